//! Which foreign servers and user mappings a clone creates on the target, decided and
//! checked before anything is written.
//!
//! Servers belong to the database, not to a schema, so a copy shares those the target has:
//! a server the target has already is used as it is (with a warning when its wrapper or
//! options differ from the source's), and so is a user mapping it has; the rest are created
//! (within one database, everything is there already). A server's wrapper comes with its
//! extension ([`super::extensions`]); one no extension provides must be on the target. A
//! mapping for a role the target lacks is left out, and one whose options the reading role
//! could not see is created without them, each with a warning. Secret options (a password)
//! reach the target only inside the statements that run; the report says which.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use crate::catalog::Catalog;
use crate::catalog::model::{FdwOptions, SECRET_PLACEHOLDER, key};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::ident;

/// What a clone does about foreign servers and user mappings.
#[derive(Debug, Default)]
pub(super) struct ServerPlan {
    /// Servers and user mappings (by key) the target has already: their statements are left
    /// out.
    pub(super) skip: BTreeSet<String>,
    /// Servers the clone creates (dropped again if it fails).
    pub(super) create: Vec<String>,
    pub(super) warnings: Vec<String>,
}

/// Decides (see the module docs). `cat` is the source model, after the table filters.
pub(super) async fn plan_servers(target: &Client, cat: &Catalog) -> Result<ServerPlan> {
    let mut plan = ServerPlan::default();
    if cat.servers.is_empty() {
        return Ok(plan);
    }
    let names: Vec<String> = cat.servers.iter().map(|s| s.name.clone()).collect();
    let existing: BTreeMap<String, (String, FdwOptions)> = target
        .query(
            "SELECT s.srvname::text, w.fdwname::text, s.srvoptions FROM pg_foreign_server s \
             JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE s.srvname = ANY($1)",
            &[&names],
        )
        .await
        .ctx("checking the target's foreign servers")?
        .iter()
        .map(|r| (r.get(0), (r.get(1), FdwOptions::from_catalog(r.get(2)))))
        .collect();
    let mapped: BTreeSet<(String, String)> = target
        .query(
            "SELECT srvname::text, CASE WHEN umuser = 0 THEN 'PUBLIC' ELSE usename::text END \
             FROM pg_user_mappings WHERE srvname = ANY($1)",
            &[&names],
        )
        .await
        .ctx("checking the target's user mappings")?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let users: Vec<String> =
        cat.servers.iter().flat_map(|s| &s.user_mappings).map(|m| m.user.clone()).collect();
    let roles: BTreeSet<String> = target
        .query("SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)", &[&users])
        .await
        .ctx("checking the roles of user mappings")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let wrappers: Vec<String> = cat.servers.iter().map(|s| s.wrapper.clone()).collect();
    let have_wrappers: BTreeSet<String> = target
        .query(
            "SELECT fdwname::text FROM pg_foreign_data_wrapper WHERE fdwname = ANY($1)",
            &[&wrappers],
        )
        .await
        .ctx("checking the target's foreign-data wrappers")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let user: String = target
        .query_one("SELECT current_user::text", &[])
        .await
        .ctx("reading the target role")?
        .get(0);

    let mut problems = vec![];
    for s in &cat.servers {
        let name = ident(&s.name);
        match existing.get(&s.name) {
            Some((wrapper, options)) => {
                plan.skip.insert(key::server(&s.name));
                if *wrapper != s.wrapper {
                    plan.warnings.push(format!(
                        "foreign server {name} exists on the target with wrapper {} (the \
                         source's uses {}); the copied foreign tables use the target's server",
                        ident(wrapper),
                        ident(&s.wrapper)
                    ));
                } else if *options != s.options {
                    plan.warnings.push(format!(
                        "foreign server {name} exists on the target with other options ({}; the \
                         source's: {}); the copied foreign tables use the target's server",
                        shown(options),
                        shown(&s.options)
                    ));
                }
            }
            None => {
                plan.create.push(s.name.clone());
                if !s.wrapper_from_extension && !have_wrappers.contains(&s.wrapper) {
                    problems.push(format!(
                        "foreign server {name} uses foreign-data wrapper {}, which no extension \
                         provides and the target does not have; create it there first (CREATE \
                         FOREIGN DATA WRAPPER)",
                        ident(&s.wrapper)
                    ));
                }
                secrets(&mut plan.warnings, &format!("foreign server {name}"), &s.options);
            }
        }
        for m in &s.user_mappings {
            let k = key::user_mapping(&s.name, &m.user);
            let what = format!(
                "user mapping for {} on server {name}",
                if m.user == "PUBLIC" { m.user.clone() } else { ident(&m.user) }
            );
            if mapped.contains(&(s.name.clone(), m.user.clone())) {
                plan.skip.insert(k);
                continue;
            }
            if m.user != "PUBLIC" && !roles.contains(&m.user) {
                plan.skip.insert(k);
                plan.warnings.push(format!(
                    "{what} not copied: role {} does not exist on the target (create it, then \
                     the mapping with CREATE USER MAPPING)",
                    ident(&m.user)
                ));
                continue;
            }
            match &m.options {
                None => plan.warnings.push(format!(
                    "{what} created without options: role {} may not read them on the source \
                     (pg_user_mappings shows them to the mapped user and the server's owner, \
                     pg_user_mapping only to superusers); set them with ALTER USER MAPPING",
                    ident(&user)
                )),
                Some(options) => secrets(&mut plan.warnings, &what, options),
            }
        }
    }
    for t in &cat.tables {
        let Some(f) = &t.foreign else { continue };
        secrets(&mut plan.warnings, &format!("foreign table {}", t.name), &f.options);
        for c in &t.columns {
            let what = format!("column {}.{} of a foreign table", t.name, ident(&c.name));
            secrets(&mut plan.warnings, &what, &c.fdw_options);
        }
    }
    if !problems.is_empty() {
        return Err(Error::input(problems.join("; ")));
    }
    Ok(plan)
}

/// Options as they may be printed.
fn shown(options: &FdwOptions) -> String {
    if options.is_empty() {
        return "none".into();
    }
    options.shown().map(|(k, v)| format!("{k} '{v}'")).collect::<Vec<_>>().join(", ")
}

/// The warning that says secret options are sent but never printed.
fn secrets(warnings: &mut Vec<String>, what: &str, options: &FdwOptions) {
    let names = options.secret_names();
    if !names.is_empty() {
        warnings.push(format!(
            "{what}: option {} sent to the target only in the statement that runs; printed as \
             '{SECRET_PLACEHOLDER}' everywhere else",
            names.join(", ")
        ));
    }
}
