//! Which extensions a clone into another database creates, in which
//! version and where, decided and checked before anything is written.
//!
//! The rule: an extension whose schema is copied is created in the copy
//! (pg_dump creates it too, whether or not a copied object uses it); an
//! extension elsewhere is created when copied objects use it; and the
//! extensions those require come with them. Each is created in the source's
//! version when the target's server has it. An extension the target cannot
//! provide is an error naming the way out: install it, accept the target's
//! version (`--any-extension-version`) or create none
//! (`--skip-extensions`, as pgcopydb has). Within one database the copy
//! shares the source's extensions and nothing is decided here.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::CloneOptions;
use crate::catalog::Catalog;
use crate::catalog::model::key;
use crate::error::{Error, PgResultExt, Result};

/// What a clone does about extensions.
#[derive(Debug, Default)]
pub(super) struct ExtensionPlan {
    /// The extensions whose `CREATE EXTENSION IF NOT EXISTS` is rendered
    /// (those the target has already are left as they are).
    pub(super) wanted: BTreeSet<String>,
    /// Extension → the version to create it in (`None`: the target's
    /// default), for those the target lacks.
    pub(super) create: BTreeMap<String, Option<String>>,
    /// Source schemas that receive a created extension: they are built
    /// under their final names (an extension bakes its schema's name into
    /// its objects).
    pub(super) in_place: BTreeSet<String>,
    pub(super) warnings: Vec<String>,
}

impl ExtensionPlan {
    /// Created extensions outside the copied schemas (dropped by hand if
    /// the clone fails; those inside go with their schema).
    pub(super) fn created_elsewhere(&self, cat: &Catalog) -> Vec<String> {
        cat.extensions
            .iter()
            .filter(|e| self.create.contains_key(&e.name) && !self.in_place.contains(&e.schema))
            .map(|e| e.name.clone())
            .collect()
    }
}

/// Decides (see the module docs). `cat` is the source model, after the
/// table filters; `final_map` maps its schemas to their target names.
pub(super) async fn plan_extensions(
    target: &Client,
    cat: &Catalog,
    final_map: &BTreeMap<String, String>,
    opts: &CloneOptions,
) -> Result<ExtensionPlan> {
    let copied: BTreeSet<&str> = cat.schemas.iter().map(|s| s.name.as_str()).collect();
    let used: BTreeSet<&String> = cat.depends.values().flatten().collect();
    let is_used = |name: &str| used.contains(&key::extension(name));
    let wanted = cat.schema_extensions();
    let mut plan = ExtensionPlan::default();
    if wanted.is_empty() {
        return Ok(plan);
    }
    let names: Vec<String> = wanted.iter().cloned().collect();
    let installed: BTreeMap<String, (String, String)> = target
        .query(
            "SELECT e.extname::text, n.nspname::text, e.extversion FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = ANY($1)",
            &[&names],
        )
        .await
        .ctx("checking target extensions")?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let mut available: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in target
        .query(
            "SELECT name::text, version FROM pg_available_extension_versions \
             WHERE name = ANY($1) ORDER BY 1, 2",
            &[&names],
        )
        .await
        .ctx("checking the extensions the target can create")?
    {
        available.entry(r.get(0)).or_default().push(r.get(1));
    }
    let mut problems = vec![];
    for e in cat.extensions.iter().filter(|e| wanted.contains(&e.name)) {
        let needed = if is_used(&e.name) {
            "the copied objects use it"
        } else if copied.contains(e.schema.as_str()) {
            "its schema is copied"
        } else {
            "a copied extension requires it"
        };
        if let Some((schema, version)) = installed.get(&e.name) {
            // There already: the copied objects name it in its schema, as
            // the copy calls that schema.
            let expected = final_map.get(&e.schema).unwrap_or(&e.schema);
            if schema != expected {
                problems.push(format!(
                    "extension {:?} is installed on the target in schema {schema:?}, but the copy \
                     expects it in {expected:?}; move it there (ALTER EXTENSION … SET SCHEMA) or \
                     drop it",
                    e.name
                ));
            } else if *version != e.version {
                plan.warnings.push(format!(
                    "extension {:?} is version {version} on the target and {} on the source",
                    e.name, e.version
                ));
            }
            continue;
        }
        if opts.skip_extensions {
            if is_used(&e.name) {
                problems.push(format!(
                    "extension {:?} is not installed on the target and the copied objects use it; \
                     --skip-extensions creates none, so create it there first",
                    e.name
                ));
            } else {
                plan.warnings.push(format!(
                    "extension {:?} (schema {:?}, version {}) not created on the target \
                     (--skip-extensions)",
                    e.name, e.schema, e.version
                ));
            }
            continue;
        }
        let versions = available.get(&e.name);
        match versions {
            Some(v) if v.contains(&e.version) => {
                plan.create.insert(e.name.clone(), Some(e.version.clone()));
            }
            Some(v) if opts.any_extension_version => {
                plan.warnings.push(format!(
                    "extension {:?} is version {} on the source; the target has only {} and \
                     creates its default version (--any-extension-version)",
                    e.name,
                    e.version,
                    v.join(", ")
                ));
                plan.create.insert(e.name.clone(), None);
            }
            Some(v) => problems.push(format!(
                "extension {:?} version {} ({needed}) is not available on the target server, \
                 which has {}; install that version there, pass --any-extension-version to \
                 create the target's, or --skip-extensions to create none",
                e.name,
                e.version,
                v.join(", ")
            )),
            None => problems.push(format!(
                "extension {:?} version {} ({needed}) is not available on the target server; \
                 install its package there{}",
                e.name,
                e.version,
                if is_used(&e.name) { "" } else { ", or pass --skip-extensions to create none" }
            )),
        }
        if plan.create.contains_key(&e.name) && copied.contains(e.schema.as_str()) {
            plan.in_place.insert(e.schema.clone());
        }
    }
    // Created outside the copied schemas: in a schema the target must have.
    let outside: Vec<String> = cat
        .extensions
        .iter()
        .filter(|e| plan.create.contains_key(&e.name) && !copied.contains(e.schema.as_str()))
        .map(|e| e.schema.clone())
        .collect();
    if !outside.is_empty() {
        let found: BTreeSet<String> = target
            .query("SELECT nspname::text FROM pg_namespace WHERE nspname = ANY($1)", &[&outside])
            .await
            .ctx("checking the schemas of the extensions to create")?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for e in cat.extensions.iter().filter(|e| {
            plan.create.contains_key(&e.name)
                && !copied.contains(e.schema.as_str())
                && !found.contains(&e.schema)
        }) {
            problems.push(format!(
                "extension {:?} is in schema {:?} on the source, which the target does not have; \
                 create that schema on the target or copy it too (-n {})",
                e.name, e.schema, e.schema
            ));
        }
    }
    if !problems.is_empty() {
        return Err(Error::input(problems.join("; ")));
    }
    if !opts.skip_extensions {
        plan.wanted = wanted;
    }
    Ok(plan)
}
