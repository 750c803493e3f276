//! `migrate new`: the up and down migrations between two schemas, read the
//! way `diff` reads them (connections, JSON snapshots, DDL run in a
//! throwaway cluster), ready for [`super::write_new`].

use std::collections::BTreeMap;

use crate::diff::source::{Input, align};
use crate::diff::{DiffOptions, Migration, diff};
use crate::error::Result;
use crate::rename::SchemaArg;
use crate::select::Pattern;
use crate::select::SchemaFilter;

use super::files::Header;

/// Both directions, and the header that describes them.
#[derive(Debug, Clone)]
pub struct Generated {
    /// FROM → TO.
    pub up: Migration,
    /// TO → FROM.
    pub down: Migration,
    pub header: Header,
}

/// How an input is named in a header: a connection without its password, or
/// the path it was read from.
pub fn describe_input(input: &Input) -> String {
    match input {
        Input::Database(spec) => spec.redacted(),
        Input::Snapshot(p) | Input::Sql(p) => p.display().to_string(),
    }
}

/// Diffs FROM against TO both ways. `schemas` are `-n FROM[=TO]` pairs, as
/// for `diff` (empty: every user schema).
pub async fn generate(
    from: &Input,
    to: &Input,
    schemas: &[SchemaArg],
    opts: &DiffOptions,
) -> Result<Generated> {
    let from_filter = SchemaFilter {
        include: schemas.iter().map(|p| p.source.clone()).collect(),
        exclude: vec![],
    };
    let to_filter = SchemaFilter {
        include: schemas
            .iter()
            .map(|p| p.target.clone().map(Pattern::new).unwrap_or_else(|| p.source.clone()))
            .collect(),
        exclude: vec![],
    };
    let mapping: BTreeMap<String, String> = schemas
        .iter()
        .filter_map(|p| p.target.clone().map(|t| (p.source.as_str().to_string(), t)))
        .collect();
    // Both sides at once: each mostly waits on its server.
    let (from_cat, to_cat) = tokio::try_join!(from.load(&from_filter), to.load(&to_filter))?;
    let to_cat = if mapping.is_empty() { to_cat } else { align(&to_cat, &mapping)? };
    let up = diff(&from_cat, &to_cat, opts)?;
    let down = diff(&to_cat, &from_cat, opts)?;
    let header = Header {
        source: describe_input(from),
        target: describe_input(to),
        schemas: schemas
            .iter()
            .map(|a| match &a.target {
                Some(t) => format!("{}={t}", a.source.as_str()),
                None => a.source.as_str().to_string(),
            })
            .collect(),
        online: opts.online,
    };
    Ok(Generated { up, down, header })
}
