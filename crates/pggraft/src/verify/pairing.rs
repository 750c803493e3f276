//! Pairing: both catalogs read (the source's renamed into target names)
//! and every selected source table that holds rows (and every populated
//! materialized view) paired with its counterpart in the target, with what
//! can be decided before reading rows (missing, extra, incomparable).
//! `verify` counts and hashes the pairs; `refresh` will copy the ranges
//! that differ. Reading rows is left to the callers.

use std::collections::{BTreeMap, HashMap};

use tokio_postgres::Client;

use super::TableStatus;
use super::VerifyOptions;
use crate::catalog::{Catalog, Table, View, introspect};
use crate::clone::filter::{exclude_from_copy, exclude_relations, source_names};
use crate::error::{Error, PgResultExt, Result};
use crate::rename::{register_extension_members, register_names, rename_catalog};
use crate::select::{Pattern, SchemaFilter};
use crate::sql::QualifiedName;

pub(crate) use super::checksum::TableSql;

/// Both models, the source's renamed into target names.
pub(crate) struct Models {
    pub(crate) source: Catalog,
    pub(crate) renamed: Catalog,
    pub(crate) target: Catalog,
    pub(crate) schema_map: BTreeMap<String, String>,
    pub(crate) warnings: Vec<String>,
    /// Target name → source name, for the source's tables.
    source_of: HashMap<QualifiedName, QualifiedName>,
}

impl Models {
    /// The source name of a table named `t` in the target: the table it was
    /// renamed from, or for a table only the target has, the name it would
    /// have in the source (schema mapped back, name as it is).
    pub(crate) fn source_name(&self, t: &QualifiedName) -> QualifiedName {
        if let Some(s) = self.source_of.get(t) {
            return s.clone();
        }
        let schema = self.schema_map.iter().find(|(_, to)| **to == t.schema).map(|(from, _)| from);
        QualifiedName::new(schema.unwrap_or(&t.schema).clone(), t.name.clone())
    }
}

/// Reads both models: the source's schemas named by `schema_map` (exact
/// source → target names) or else chosen by `naming`, and the target
/// schemas they map to that exist. The relations `opts.tables` leaves out, and
/// what depends on them, are removed from both sides as `clone` removes
/// them from what it copies ([`exclude_relations`]), the target's names
/// mapped back to the source's. `same_database`: the target shares the
/// source's extensions (otherwise those of a mapped schema are expected in
/// its copy, as `clone` creates them).
pub(crate) async fn read_models(
    opts: &VerifyOptions,
    same_database: bool,
    src_c: &Client,
    tgt_c: &Client,
) -> Result<Models> {
    let (naming, tables) = (&opts.naming, &opts.tables);
    let schema_map = opts.schema_map.as_ref();
    let filter = match schema_map {
        Some(m) if m.is_empty() => {
            return Err(Error::input(
                "the schema map to verify is empty; name at least one schema",
            ));
        }
        Some(m) => SchemaFilter::only(m.keys().cloned()),
        None => SchemaFilter { include: naming.patterns(), exclude: opts.exclude_schemas.clone() },
    };
    let mut source = introspect(src_c, &filter).await?;
    let found: Vec<String> = source.schemas.iter().map(|s| s.name.clone()).collect();
    let schema_map = match schema_map {
        Some(m) => m.clone(),
        None => naming.resolve(&source.database, &found)?,
    };
    let mut map = naming.name_map(schema_map.clone());
    register_names(&source, &mut map)?;
    if !same_database {
        register_extension_members(&source, &mut map);
    }
    // Target relation name → source name, before anything is left out.
    let back = source_names(&source, &map);
    // The clone reported what it left out; a comparison need not again.
    let _ = exclude_relations(&mut source, tables)?;
    let (renamed, warnings) = rename_catalog(&source, &map, &map);

    // Only the mapped target schemas that exist: a missing one is a
    // difference to report, not an error.
    let wanted: Vec<String> = schema_map.values().cloned().collect();
    let existing: Vec<String> = tgt_c
        .query(
            "SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = ANY($1)",
            &[&wanted],
        )
        .await
        .ctx("listing target schemas")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let tgt_filter = if existing.is_empty() {
        SchemaFilter { include: vec![], exclude: vec![Pattern::new("*")] }
    } else {
        SchemaFilter::only(existing)
    };
    let mut target = introspect(tgt_c, &tgt_filter).await?;
    exclude_from_copy(&mut target, tables, &back, &schema_map);
    let source_of = renamed
        .tables
        .iter()
        .zip(&source.tables)
        .map(|(r, s)| (r.name.clone(), s.name.clone()))
        .collect();
    Ok(Models { source, renamed, target, schema_map, warnings, source_of })
}

/// A source table and its counterpart, as far as they exist.
pub(crate) struct Pair {
    pub(crate) source: QualifiedName,
    pub(crate) target: QualifiedName,
    pub(crate) src: Option<TableSql>,
    pub(crate) tgt: Option<TableSql>,
    /// Decided before reading rows (missing, extra, incomparable).
    pub(crate) status: Option<TableStatus>,
    pub(crate) reason: Option<String>,
    pub(crate) src_bytes: i64,
    pub(crate) tgt_bytes: i64,
}

impl Pair {
    /// A relation only the target has.
    fn extra(source: QualifiedName, target: QualifiedName) -> Pair {
        Pair {
            source,
            target,
            src: None,
            tgt: None,
            status: Some(TableStatus::Extra),
            reason: None,
            src_bytes: 0,
            tgt_bytes: 0,
        }
    }
}

/// Pairs the selected source tables that hold rows (not partitioned
/// parents, not foreign tables) with target tables, plus target tables the source lacks.
pub(crate) fn pair_tables(m: &Models, selected: &dyn Fn(&QualifiedName) -> bool) -> Vec<Pair> {
    let mut targets: BTreeMap<&QualifiedName, &Table> =
        m.target.tables.iter().map(|t| (&t.name, t)).collect();
    let mut out = vec![];
    for (s, r) in m.source.tables.iter().zip(&m.renamed.tables) {
        let t = targets.remove(&r.name);
        if !s.holds_rows() || !selected(&s.name) {
            continue;
        }
        let src = TableSql {
            name: s.name.clone(),
            columns: s.columns.iter().map(|c| c.name.clone()).collect(),
            types: s.columns.iter().map(|c| c.type_name.clone()).collect(),
            typed: false,
        };
        let mut pair = Pair {
            source: s.name.clone(),
            target: r.name.clone(),
            src: Some(src),
            tgt: None,
            status: None,
            reason: None,
            src_bytes: s.size_bytes,
            tgt_bytes: 0,
        };
        match t {
            None => {
                pair.src = None;
                pair.status = Some(TableStatus::Missing);
            }
            Some(t) if !t.holds_rows() => {
                pair.src = None;
                pair.status = Some(TableStatus::Incomparable);
                let what = if t.foreign.is_some() { "a foreign table" } else { "partitioned" };
                pair.reason = Some(format!("{what} in the target but not in the source"));
            }
            Some(t) => {
                let mut tgt =
                    TableSql { name: t.name.clone(), columns: vec![], types: vec![], typed: false };
                let mut lacking = vec![];
                for c in &r.columns {
                    match t.columns.iter().find(|x| x.name == c.name) {
                        Some(x) => {
                            tgt.columns.push(x.name.clone());
                            tgt.types.push(x.type_name.clone());
                        }
                        None => lacking.push(crate::sql::ident(&c.name)),
                    }
                }
                if !lacking.is_empty() {
                    pair.status = Some(TableStatus::Incomparable);
                    pair.reason = Some(format!(
                        "the target lacks column(s) {}; only row counts were compared",
                        lacking.join(", ")
                    ));
                }
                // Typed hashes when both sides' columns have them, in the
                // same types (the copy's stream hash needs the same rule).
                let kinds = |t: &Table| {
                    crate::rowhash::plan(
                        t.columns.iter().map(|c| (c.type_name.as_str(), c.collation.is_some())),
                    )
                };
                let typed = lacking.is_empty()
                    && t.columns.len() == s.columns.len()
                    && kinds(s).is_some()
                    && kinds(s) == kinds(t)
                    && s.columns.iter().zip(&tgt.types).all(|(c, ty)| c.type_name == *ty);
                if let Some(src) = pair.src.as_mut() {
                    src.typed = typed;
                }
                tgt.typed = typed;
                pair.tgt = Some(tgt);
                pair.tgt_bytes = t.size_bytes;
            }
        }
        out.push(pair);
    }
    for t in targets.into_values() {
        let source = m.source_name(&t.name);
        if !t.holds_rows() || !selected(&source) {
            continue;
        }
        out.push(Pair::extra(source, t.name.clone()));
    }
    out.extend(pair_matviews(m, selected));
    out
}

/// Pairs populated materialized views like tables: a copy refreshes them
/// from its own data, so their rows show whether that data (and the view)
/// came across. One unsplit query each: their sizes are not read.
fn pair_matviews(m: &Models, selected: &dyn Fn(&QualifiedName) -> bool) -> Vec<Pair> {
    let sql = |v: &View| TableSql {
        name: v.name.clone(),
        columns: v.columns.iter().map(|c| c.name.clone()).collect(),
        types: v.columns.iter().map(|c| c.type_name.clone()).collect(),
        typed: false,
    };
    let mut targets: BTreeMap<&QualifiedName, &View> =
        m.target.views.iter().filter(|v| v.materialized).map(|v| (&v.name, v)).collect();
    let mut out = vec![];
    for (s, r) in m.source.views.iter().zip(&m.renamed.views) {
        if !s.materialized {
            continue;
        }
        let t = targets.remove(&r.name);
        if !s.populated || !selected(&s.name) {
            continue;
        }
        let mut pair = Pair {
            source: s.name.clone(),
            target: r.name.clone(),
            src: Some(sql(s)),
            tgt: None,
            status: None,
            reason: None,
            src_bytes: 0,
            tgt_bytes: 0,
        };
        match t {
            None => {
                pair.src = None;
                pair.status = Some(TableStatus::Missing);
            }
            Some(t) if !t.populated => {
                pair.src = None;
                pair.status = Some(TableStatus::Incomparable);
                pair.reason = Some("materialized view not populated in the target".into());
            }
            Some(t) if t.columns.iter().map(|c| &c.name).ne(r.columns.iter().map(|c| &c.name)) => {
                pair.src = None;
                pair.status = Some(TableStatus::Incomparable);
                pair.reason = Some("materialized view columns differ".into());
            }
            Some(t) => pair.tgt = Some(sql(t)),
        }
        out.push(pair);
    }
    for t in targets.into_values() {
        let source = m.source_name(&t.name);
        if selected(&source) {
            out.push(Pair::extra(source, t.name.clone()));
        }
    }
    out
}
