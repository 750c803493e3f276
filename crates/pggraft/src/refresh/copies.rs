//! Which copies a refresh brings up to date, and how each was made.
//!
//! A copy is named by its own schema (`-n shop_copy`) and found in the
//! target's record ([`super::record`]), which says where its data comes from;
//! with no `-n`, every recorded copy is refreshed. A copy pggraft has no
//! record of (made by another tool) is described by flags as for `clone`:
//! `--source` and `-n SRC=DST`, `--schema-template`, `--identifier-case`.
//! Flags given for a recorded copy override its filters for this run, and
//! must not contradict its naming. Copies are grouped by source: each group
//! is refreshed from one snapshot.

use std::collections::BTreeMap;

use super::record::{self, CopyOptions, CopyRecord};
use super::{RefreshError, RefreshOptions};
use crate::conn::{ConnSpec, Side};
use crate::error::Result;
use crate::rename::{Naming, SchemaArg};
use crate::select::Pattern;

/// Copies refreshed together, from one source.
#[derive(Debug, Clone)]
pub struct CopySet {
    pub source: ConnSpec,
    /// Which source schemas and their copies' names: exact names for
    /// recorded copies, the user's patterns and template otherwise.
    pub naming: Naming,
    pub exclude_schemas: Vec<Pattern>,
    /// Resolved source schema → copy (filled by [`super::prepare`]).
    pub schemas: BTreeMap<String, String>,
    pub options: CopyOptions,
    /// Copy schema → its record, for the recorded ones.
    pub recorded: BTreeMap<String, CopyRecord>,
}

/// The copies `opts` names, grouped by source (see the module docs).
pub async fn resolve(opts: &RefreshOptions) -> Result<Vec<CopySet>> {
    let target = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    let records = record::read(&target).await?;
    let database = opts.target.dbname().to_string();
    let mut chosen: Vec<&CopyRecord> = vec![];
    let mut explicit: Vec<SchemaArg> = vec![];
    if opts.naming.schemas.is_empty() {
        if records.is_empty() && opts.source.is_none() {
            return Err(RefreshError::NoCopies { database }.into());
        }
        chosen.extend(
            records
                .iter()
                .filter(|r| !opts.exclude_schemas.iter().any(|p| p.matches(&r.source_schema))),
        );
        if records.is_empty() {
            // Copies made by other tools, named as `clone` would name them.
            explicit.push(SchemaArg { source: Pattern::new("*"), target: None });
        }
    }
    for a in &opts.naming.schemas {
        let given = match &a.target {
            Some(d) => format!("{}={d}", a.source.as_str()),
            None => a.source.as_str().to_string(),
        };
        let recorded: Vec<&CopyRecord> = match &a.target {
            Some(dst) => records.iter().filter(|r| &r.target_schema == dst).collect(),
            None => records.iter().filter(|r| a.source.matches(&r.target_schema)).collect(),
        };
        if let (Some(dst), Some(r)) = (&a.target, recorded.first())
            && !a.source.matches(&r.source_schema)
        {
            return Err(RefreshError::RecordConflict {
                schema: dst.clone(),
                recorded: r.source_schema.clone(),
                source_schema: a.source.as_str().to_string(),
                given,
            }
            .into());
        }
        if !recorded.is_empty() {
            chosen.extend(recorded);
        } else if opts.source.is_some() {
            explicit.push(a.clone());
        } else {
            let schema = a.target.clone().unwrap_or_else(|| a.source.as_str().to_string());
            return Err(RefreshError::NotACopy { schema, database }.into());
        }
    }
    chosen.sort_by(|a, b| a.target_schema.cmp(&b.target_schema));
    chosen.dedup_by(|a, b| a.target_schema == b.target_schema);

    let mut sets: Vec<CopySet> = vec![];
    for r in chosen {
        let options = overridden(opts, r)?;
        let source = match &opts.source {
            Some(s) => s.clone(),
            None => ConnSpec::parse(&r.source).map_err(|e| {
                crate::Error::input(format!(
                    "the source recorded for copy {:?} ({}) cannot be used: {e}; give --source",
                    r.target_schema, r.source
                ))
            })?,
        };
        let arg = SchemaArg {
            source: Pattern::new(r.source_schema.clone()),
            target: Some(r.target_schema.clone()),
        };
        let same = sets.iter_mut().find(|s| {
            s.source.redacted() == source.redacted()
                && s.options == options
                && !s.recorded.is_empty()
        });
        let set = match same {
            Some(s) => s,
            None => {
                sets.push(CopySet {
                    source,
                    naming: Naming {
                        schemas: vec![],
                        template: None,
                        lower_case: options.lower_case,
                    },
                    exclude_schemas: vec![],
                    schemas: BTreeMap::new(),
                    options,
                    recorded: BTreeMap::new(),
                });
                sets.last_mut().expect("just pushed")
            }
        };
        set.naming.schemas.push(arg);
        set.recorded.insert(r.target_schema.clone(), r.clone());
    }
    if !explicit.is_empty() {
        let source = opts.source.clone().expect("explicit copies come with --source");
        let naming = Naming { schemas: explicit, ..opts.naming.clone() };
        // `*` stands for "every user schema", as no -n does for clone.
        let naming = if naming.schemas.iter().all(|a| a.source.as_str() == "*") {
            Naming { schemas: vec![], ..naming }
        } else {
            naming
        };
        sets.push(CopySet {
            source,
            options: CopyOptions {
                lower_case: naming.lower_case,
                template: naming.template.clone(),
                tables: opts.tables.clone(),
                exclude_table_data: opts.exclude_table_data.clone(),
            },
            naming,
            exclude_schemas: opts.exclude_schemas.clone(),
            schemas: BTreeMap::new(),
            recorded: BTreeMap::new(),
        });
    }
    Ok(sets)
}

/// A record's options with the flags given for this run: filters replace
/// the recorded ones; naming flags must agree with the record (the copy's
/// names are what they are).
fn overridden(opts: &RefreshOptions, r: &CopyRecord) -> Result<CopyOptions> {
    let mut o = r.options.clone();
    let conflict = |option: String, recorded: String| {
        Err(RefreshError::OptionConflict { schema: r.target_schema.clone(), option, recorded }
            .into())
    };
    if opts.naming.lower_case && !o.lower_case {
        return conflict(
            "--identifier-case lower".into(),
            "it was copied with its names as they are".into(),
        );
    }
    if let Some(t) = &opts.naming.template
        && o.template.as_ref() != Some(t)
    {
        let recorded = match &o.template {
            Some(rt) => format!("its name came from template {rt:?}"),
            None => "its name came from -n".into(),
        };
        return conflict(format!("--schema-template {t:?}"), recorded);
    }
    if !opts.tables.is_empty() {
        o.tables = opts.tables.clone();
    }
    if !opts.exclude_table_data.is_empty() {
        o.exclude_table_data = opts.exclude_table_data.clone();
    }
    Ok(o)
}
