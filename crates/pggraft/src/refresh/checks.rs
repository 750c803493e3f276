//! What is checked before a refresh writes anything: that every table of
//! the copy still has the structure of its source (pairing source and copy
//! tables through the renaming, as `verify` does), which keys the tables
//! have on each side, and which objects outside the refresh depend on the
//! tables it would truncate or delete from. Each refusal names the object
//! and the fix.

use std::collections::{BTreeSet, HashMap};

use tokio_postgres::Client;

use super::copies::CopySet;
use super::plan::{GroupPlan, Planned, TablePlan};
use super::{Mode, RefreshError, RefreshOptions, deletes};
use crate::catalog::{Catalog, Table};
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, ident};

/// A source table (position in the source catalog, and in the renamed one)
/// and its copy (position in the target catalog). Partitioned tables,
/// which hold no rows themselves, are checked but not paired.
pub(super) struct Pair {
    pub src: usize,
    pub tgt: usize,
}

/// Pairs every source table with its copy; a table missing on either side
/// or of another structure is refused (the fix is `sync-schema`).
pub(super) fn pair_tables(
    cat: &Catalog,
    renamed: &Catalog,
    tgt: &Catalog,
    set: &CopySet,
) -> Result<Vec<Pair>> {
    let pos: HashMap<&QualifiedName, usize> =
        tgt.tables.iter().enumerate().map(|(i, t)| (&t.name, i)).collect();
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    let mut pairs = vec![];
    for (i, (s, r)) in cat.tables.iter().zip(&renamed.tables).enumerate() {
        let Some(&j) = pos.get(&r.name) else {
            return Err(RefreshError::CopyTableMissing {
                source_table: s.name.clone(),
                copy: r.name.clone(),
            }
            .into());
        };
        seen.insert(j);
        if let Some(detail) = structure_difference(r, &tgt.tables[j]) {
            return Err(RefreshError::StructureChanged {
                source_table: s.name.clone(),
                copy: r.name.clone(),
                detail,
            }
            .into());
        }
        if s.holds_rows() {
            pairs.push(Pair { src: i, tgt: j });
        }
    }
    // A table only the copy has: its source is gone (or the copy grew a
    // table of its own), unless the filters leave it out.
    let back: HashMap<&String, &String> = set.schemas.iter().map(|(s, t)| (t, s)).collect();
    for (j, t) in tgt.tables.iter().enumerate() {
        if seen.contains(&j) {
            continue;
        }
        let source_of = |q: &QualifiedName| {
            let schema = back.get(&q.schema).map(|s| s.as_str()).unwrap_or(&q.schema);
            QualifiedName::new(schema, &q.name)
        };
        let source = source_of(&t.name);
        // Left out by the filters, itself or with its partitioned parent.
        let mut cur = Some(t);
        let mut left_out = false;
        while let Some(x) = cur {
            left_out |= !set.options.tables.admits(&source_of(&x.name));
            cur = x.partition_of.as_ref().and_then(|p| tgt.table(&p.parent));
        }
        if left_out {
            continue;
        }
        return Err(RefreshError::SourceTableMissing {
            source_table: source,
            copy: t.name.clone(),
        }
        .into());
    }
    Ok(pairs)
}

/// How a renamed source table and its copy differ in what a refresh writes:
/// columns, their types, generated or not, partitioned or not.
fn structure_difference(src: &Table, copy: &Table) -> Option<String> {
    let mut out = vec![];
    match (src.partition_key.is_some(), copy.partition_key.is_some()) {
        (true, false) => {
            out.push("it is partitioned in the source but not in the copy".to_string())
        }
        (false, true) => {
            out.push("it is partitioned in the copy but not in the source".to_string())
        }
        _ => {}
    }
    for c in &src.columns {
        match copy.columns.iter().find(|x| x.name == c.name) {
            None => out.push(format!("the copy lacks column {}", ident(&c.name))),
            Some(x) if x.type_name != c.type_name => out.push(format!(
                "column {} is {} in the copy but {} in the source",
                ident(&c.name),
                x.type_name,
                c.type_name
            )),
            Some(x) if x.generated.is_some() != c.generated.is_some() => {
                out.push(format!("column {} is generated on one side only", ident(&c.name)))
            }
            Some(_) => {}
        }
    }
    for x in &copy.columns {
        if !src.columns.iter().any(|c| c.name == x.name) {
            out.push(format!("the copy has column {}, which the source lacks", ident(&x.name)));
        }
    }
    (!out.is_empty()).then(|| out.join("; "))
}

/// A unique, non-partial index on plain columns (usable as a merge's key
/// and as `ON CONFLICT`'s arbiter).
#[derive(Debug, Clone)]
pub(super) struct UniqueKey {
    pub columns: Vec<String>,
    pub primary: bool,
}

pub(super) type UniqueKeys = HashMap<QualifiedName, Vec<UniqueKey>>;

/// The usable unique keys of every relation of `schemas` on one side.
pub(super) async fn unique_keys(c: &Client, schemas: &[String], side: &str) -> Result<UniqueKeys> {
    let rows = c
        .query(
            "SELECT n.nspname::text, t.relname::text, i.indisprimary, \
               ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
                     WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) \
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class t ON t.oid = i.indrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = ANY($1) AND i.indisunique AND i.indisvalid AND i.indimmediate \
             AND i.indpred IS NULL AND i.indexprs IS NULL",
            &[&schemas],
        )
        .await
        .ctx(format!("reading the unique keys of the {side}"))?;
    let mut out: UniqueKeys = HashMap::new();
    for r in rows {
        let name = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        out.entry(name).or_default().push(UniqueKey { primary: r.get(2), columns: r.get(3) });
    }
    Ok(out)
}

/// A foreign key of a table the refresh does not write, pointing at one it
/// does.
#[derive(Debug, Clone)]
pub(super) struct OutsideKey {
    pub constraint: String,
    pub table: String,
    pub references: QualifiedName,
    /// `confdeltype`: `a` no action, `r` restrict, `c` cascade, `n` set
    /// null, `d` set default.
    pub on_delete: String,
}

/// Foreign keys from tables outside the refresh into the refreshed tables
/// (or the partitioned tables over them).
pub(super) async fn outside_references(
    target: &Client,
    plans: &[TablePlan],
    groups: &[GroupPlan],
) -> Result<Vec<OutsideKey>> {
    let mut names: Vec<String> = plans.iter().map(|p| p.target.to_string()).collect();
    names.extend(groups.iter().flat_map(|g| &g.partitioned).map(|q| q.to_string()));
    let rows = target
        .query(
            "WITH s AS (SELECT pg_catalog.to_regclass(x) AS oid FROM unnest($1::text[]) x) \
             SELECT c.conname::text, c.conrelid::regclass::text, rn.nspname::text, r.relname::text, \
                    c.confdeltype::text \
             FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class r ON r.oid = c.confrelid \
             JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace \
             WHERE c.contype = 'f' AND c.conparentid = 0 \
             AND c.confrelid IN (SELECT oid FROM s) AND c.conrelid NOT IN (SELECT oid FROM s) \
             ORDER BY 2, 1",
            &[&names],
        )
        .await
        .ctx("looking for foreign keys into the copy")?;
    Ok(rows
        .iter()
        .map(|r| OutsideKey {
            constraint: r.get(0),
            table: r.get(1),
            references: QualifiedName::new(r.get::<_, String>(2), r.get::<_, String>(3)),
            on_delete: r.get(4),
        })
        .collect())
}

/// Refuses a refresh that would break what depends on the copy from
/// outside: a truncate (reload) cannot leave rows referencing a table, and a
/// delete must not cascade into tables outside the refresh.
pub(super) fn refuse_dependents(
    opts: &RefreshOptions,
    plans: &[TablePlan],
    outside: &[OutsideKey],
) -> Result<()> {
    let plan_of = |q: &QualifiedName| plans.iter().find(|p| &p.target == q);
    let mut blocking = vec![];
    let mut reloads = false;
    for k in outside {
        let what = format!(
            "foreign key {} of {} (references {})",
            ident(&k.constraint),
            k.table,
            k.references
        );
        match plan_of(&k.references).map(|p| &p.planned) {
            // A partitioned parent: its leaves tell.
            None => {
                reloads |= opts.mode == Mode::Reload;
                if opts.mode == Mode::Reload {
                    blocking.push(what);
                }
            }
            Some(Planned::Reload) => {
                reloads = true;
                blocking.push(what);
            }
            Some(Planned::Compare { .. } | Planned::Watermark { .. } | Planned::Changed { .. })
                if deletes(opts) && matches!(k.on_delete.as_str(), "c" | "n" | "d") =>
            {
                blocking.push(format!("{what}, ON DELETE {}", on_delete(&k.on_delete)));
            }
            Some(_) => {}
        }
    }
    if blocking.is_empty() {
        return Ok(());
    }
    let fix = if reloads {
        "refresh those tables too (name their schema with -n), leave the tables they reference \
         out with -T, or use --mode incremental, which changes rows instead of truncating"
    } else {
        "deleting rows gone from the source would change rows outside the refresh; refresh \
         those tables too, or keep the rows with --no-delete"
    };
    Err(RefreshError::Dependents { objects: blocking, fix: fix.into() }.into())
}

fn on_delete(code: &str) -> &'static str {
    match code {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        "r" => "RESTRICT",
        _ => "NO ACTION",
    }
}

pub(super) async fn is_superuser(target: &Client) -> Result<bool> {
    Ok(target
        .query_one("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user", &[])
        .await
        .ctx("checking the target role")?
        .get(0))
}
