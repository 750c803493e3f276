//! A mapping checked against both catalogs before anything is written, and
//! resolved into what the engine needs: per target table its source, the
//! SQL expression of each column (cast to the column's type where the types
//! differ), its filter, key and strategy.
//!
//! The servers do the checking: every generated `SELECT` is prepared on the
//! source (parse analysis type-checks it, nothing runs), and every
//! expression's type is tried against its column by preparing `INSERT INTO
//! target (column) SELECT CAST(NULL AS type)` on the target, which applies
//! the assignment rules an `INSERT` would. Both sessions are in
//! transactions (the source's read-only) and every probe runs under a
//! savepoint, so a failing one costs nothing but its message.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::error::{Problem, ProblemKind};
use super::file::{MapSource, Mapping, StrategyChoice, TableMap};
use crate::engine::{ColumnExpr, ColumnMap, Strategy, TableSource};
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, TokenKind, ident, ident_value, tokenize};

/// Type OIDs below this are built in: the same on every server, so the
/// binary COPY form of their values means the same on both sides.
const FIRST_NORMAL_OID: u32 = 16384;

/// One target table, resolved.
#[derive(Debug, Clone)]
pub struct MappedTable {
    /// Index of its entry in the mapping file.
    pub entry: usize,
    pub target: QualifiedName,
    pub target_oid: u32,
    /// The source table, or for a query `query.<target table>`.
    pub source_label: QualifiedName,
    pub source: TableSource,
    /// The source table's OID (none for a query).
    pub source_oid: Option<u32>,
    /// The fdw strategy's foreign table of the source table on the target
    /// (set once the foreign tables are set up).
    pub fdw_source: Option<QualifiedName>,
    pub columns: Vec<MappedColumn>,
    pub filter: Option<String>,
    pub strategy: Strategy,
    /// Whether the binary COPY format carries every column's values.
    pub binary: bool,
    /// The strategy was chosen by measuring a sample (`strategy = "auto"`).
    pub measured: bool,
    /// Target columns that identify a row (`key`, else the primary key);
    /// empty: none.
    pub key: Vec<String>,
    /// The source table's heap bytes and estimated rows (0 for a query).
    pub bytes: u64,
    pub est_rows: f64,
}

#[derive(Debug, Clone)]
pub struct MappedColumn {
    pub target: String,
    /// The target column's type (`format_type`).
    pub target_type: String,
    pub expr: ColumnExpr,
    /// Mapped by name rather than listed in the file.
    pub implicit: bool,
    /// The source knows the target's type: verify casts the expression to it.
    pub castable: bool,
}

impl MappedColumn {
    pub(crate) fn to_engine(&self) -> ColumnMap {
        ColumnMap { expr: self.expr.clone(), target: self.target.clone() }
    }

    /// The column's value as SQL over the source row.
    pub fn sql(&self) -> String {
        match &self.expr {
            ColumnExpr::Column { name, .. } => ident(name),
            ColumnExpr::Sql(s) => format!("({s})"),
        }
    }
}

impl MappedTable {
    /// `FROM …` of the source rows, with the filter.
    pub fn from_sql(&self) -> String {
        let from = match &self.source {
            TableSource::Relation(name) => format!("ONLY {name}"),
            TableSource::Query { sql, .. } => format!("({sql}) AS src"),
        };
        match &self.filter {
            Some(f) => format!("{from} WHERE ({f})"),
            None => from,
        }
    }

    /// The mapped source rows under the target's column names.
    pub fn select_sql(&self) -> String {
        let cols: Vec<String> =
            self.columns.iter().map(|c| format!("{} AS {}", c.sql(), ident(&c.target))).collect();
        format!("SELECT {} FROM {}", cols.join(", "), self.from_sql())
    }
}

/// Source columns that no target column reads.
#[derive(Debug, Clone, Serialize)]
pub struct Unmapped {
    pub table: QualifiedName,
    pub columns: Vec<String>,
}

/// What checking a mapping found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub tables: Vec<MappedTable>,
    pub problems: Vec<Problem>,
    pub unmapped: Vec<Unmapped>,
    /// Target columns that no entry fills, left to their defaults.
    pub defaults: Vec<(QualifiedName, String)>,
    /// The source's `search_path` (its default for the role and database),
    /// which the mapping's SQL is read with.
    pub search_path: String,
}

/// Runs `sql` (a prepare, or a query) under a savepoint, so that a failure
/// leaves the transaction usable; the server's message on failure.
pub(crate) async fn probe<T, F>(c: &Client, f: F) -> Result<std::result::Result<T, String>>
where
    F: std::future::Future<Output = std::result::Result<T, tokio_postgres::Error>>,
{
    c.batch_execute("SAVEPOINT pggraft_map_probe").await.ctx("checking the mapping")?;
    match f.await {
        Ok(v) => {
            c.batch_execute("RELEASE SAVEPOINT pggraft_map_probe")
                .await
                .ctx("checking the mapping")?;
            Ok(Ok(v))
        }
        Err(e) => {
            let msg = match e.as_db_error() {
                Some(d) => d.message().to_string(),
                None => e.to_string(),
            };
            c.batch_execute("ROLLBACK TO SAVEPOINT pggraft_map_probe")
                .await
                .ctx("checking the mapping")?;
            Ok(Err(msg))
        }
    }
}

/// A relation found by SQL name.
struct Rel {
    oid: u32,
    name: QualifiedName,
    bytes: u64,
    rows: f64,
}

async fn find_rel(c: &Client, name: &str) -> Result<Option<Rel>> {
    let sql = "SELECT c.oid, n.nspname::text, c.relname::text, \
               pg_catalog.pg_relation_size(c.oid), greatest(c.reltuples, 0)::float8 \
               FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.oid = pg_catalog.to_regclass($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')";
    let params: [&(dyn ToSql + Sync); 1] = [&name];
    let Ok(rows) = probe(c, c.query(sql, &params)).await? else { return Ok(None) };
    Ok(rows.first().map(|r| Rel {
        oid: r.get(0),
        name: QualifiedName::new(r.get::<_, String>(1), r.get::<_, String>(2)),
        bytes: r.get::<_, i64>(3) as u64,
        rows: r.get(4),
    }))
}

/// A table's column.
struct Col {
    name: String,
    ty: String,
    type_oid: u32,
    generated: bool,
}

async fn columns(c: &Client, oid: u32) -> Result<Vec<Col>> {
    let rows = c
        .query(
            "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
             a.atttypid, a.attgenerated <> '' FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            &[&oid],
        )
        .await
        .ctx("reading the columns of a mapped table")?;
    Ok(rows
        .iter()
        .map(|r| Col { name: r.get(0), ty: r.get(1), type_oid: r.get(2), generated: r.get(3) })
        .collect())
}

async fn primary_key(c: &Client, oid: u32) -> Result<Vec<String>> {
    let rows = c
        .query(
            "SELECT a.attname::text FROM pg_catalog.pg_index i \
             CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indrelid = $1 AND i.indisprimary ORDER BY k.n",
            &[&oid],
        )
        .await
        .ctx("reading the primary key of a mapped table")?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// `format_type` of type OIDs, on the side that knows them.
async fn type_names(c: &Client, oids: &[u32]) -> Result<HashMap<u32, String>> {
    let rows = c
        .query(
            "SELECT t.oid, pg_catalog.format_type(t.oid, NULL) FROM pg_catalog.pg_type t \
             WHERE t.oid = ANY($1)",
            &[&oids],
        )
        .await
        .ctx("naming the types of the mapped expressions")?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The identifiers an expression names (lower-cased as the server would),
/// to tell which source columns a mapping reads.
fn names_in(sql: &str) -> impl Iterator<Item = String> + '_ {
    tokenize(sql)
        .into_iter()
        .filter(|t| matches!(t.kind, TokenKind::Ident | TokenKind::QuotedIdent))
        .map(|t| ident_value(t.text(sql)))
}

/// The source column an expression is, when it is one column as is.
fn bare_column(sql: &str, source_cols: &[String]) -> Option<String> {
    let toks: Vec<_> = tokenize(sql).into_iter().filter(|t| !t.is_trivia()).collect();
    match toks.as_slice() {
        [t] if t.is_ident() => {
            let name = ident_value(t.text(sql));
            source_cols.contains(&name).then_some(name)
        }
        _ => None,
    }
}

/// What the caller decides for every table.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext {
    pub same_database: bool,
    /// `--strategy`, overriding the file.
    pub strategy: Option<StrategyChoice>,
}

/// Checks `mapping` on a source session and a target session, each inside
/// a transaction, and resolves what it can.
pub async fn check(
    src: &Client,
    dst: &Client,
    mapping: &Mapping,
    cx: CheckContext,
) -> Result<Checked> {
    let mut out = Checked::default();
    // The mapping's SQL names things as the user's own sessions see them,
    // not with pggraft's empty search_path; both sessions are in
    // transactions, so this lasts only as long as they do.
    for c in [src, dst] {
        c.batch_execute("SET LOCAL search_path TO DEFAULT").await.ctx("reading search_path")?;
    }
    out.search_path = src
        .query_one("SELECT pg_catalog.current_setting('search_path')", &[])
        .await
        .ctx("reading search_path")?
        .get(0);
    let mut targets: HashMap<u32, usize> = HashMap::new();
    // Source table → (its columns, the names any entry reads).
    let mut read: BTreeMap<QualifiedName, (Vec<String>, BTreeSet<String>)> = BTreeMap::new();
    for (i, entry) in mapping.tables.iter().enumerate() {
        let mut p = vec![];
        if let Some(t) = table(src, dst, mapping, i, entry, cx, &mut p, &mut read).await? {
            if let Some(&first) = targets.get(&t.0) {
                p.push(Problem::new(
                    &mapping.file,
                    entry.line,
                    ProblemKind::DuplicateTarget,
                    format!(
                        "target table {} is already mapped on line {}; map it once (a query \
                         with UNION ALL merges several sources)",
                        t.1.target, mapping.tables[first].line
                    ),
                ));
            } else {
                targets.insert(t.0, i);
                out.defaults.extend(t.2.into_iter().map(|c| (t.1.target.clone(), c)));
                out.tables.push(t.1);
            }
        }
        out.problems.extend(p);
    }
    for (table, (cols, names)) in read {
        let left: Vec<String> = cols.into_iter().filter(|c| !names.contains(c)).collect();
        if !left.is_empty() {
            out.unmapped.push(Unmapped { table, columns: left });
        }
    }
    Ok(out)
}

/// One entry: the target table's OID, the resolved table, and its target
/// columns left to their defaults; `None` when a problem stops it.
#[allow(clippy::too_many_arguments)]
async fn table(
    src: &Client,
    dst: &Client,
    mapping: &Mapping,
    entry_index: usize,
    e: &TableMap,
    cx: CheckContext,
    p: &mut Vec<Problem>,
    read: &mut BTreeMap<QualifiedName, (Vec<String>, BTreeSet<String>)>,
) -> Result<Option<(u32, MappedTable, Vec<String>)>> {
    let file = mapping.file.as_str();
    let problem = |line, kind, msg: String| Problem::new(file, line, kind, msg);
    let Some(target) = find_rel(dst, &e.target).await? else {
        p.push(problem(
            e.line,
            ProblemKind::UnknownTable,
            format!(
                "target table {} does not exist in the target database; create it first \
                 (--schema-file new.sql applies a schema before the data)",
                e.target
            ),
        ));
        return Ok(None);
    };
    let tcols = columns(dst, target.oid).await?;

    // The source: its columns (name, type OID).
    let (source, source_label, source_cols, source_oid, bytes, rows) = match &e.source {
        MapSource::Table(name) => {
            let Some(rel) = find_rel(src, name).await? else {
                p.push(problem(
                    e.source_line,
                    ProblemKind::UnknownTable,
                    format!("source table {name} does not exist in the source database"),
                ));
                return Ok(None);
            };
            if cx.same_database && rel.oid == target.oid {
                p.push(problem(
                    e.source_line,
                    ProblemKind::SameTable,
                    format!(
                        "table {}: source and target are the same table; map into another \
                         table (or another database)",
                        rel.name
                    ),
                ));
                return Ok(None);
            }
            let cols = columns(src, rel.oid).await?;
            let names: Vec<(String, u32)> =
                cols.iter().map(|c| (c.name.clone(), c.type_oid)).collect();
            (
                TableSource::Relation(rel.name.clone()),
                rel.name.clone(),
                names,
                Some(rel.oid),
                rel.bytes,
                rel.rows,
            )
        }
        MapSource::Query(q) => {
            let sql = format!("SELECT * FROM ({q}) AS src");
            match probe(src, src.prepare(&sql)).await? {
                Ok(stmt) => {
                    let names = stmt
                        .columns()
                        .iter()
                        .map(|c| (c.name().to_string(), c.type_().oid()))
                        .collect();
                    let label = QualifiedName::new("query", target.name.name.clone());
                    let source = TableSource::Query { sql: q.clone(), key: vec![] };
                    (source, label, names, None, 0, 0.0)
                }
                Err(msg) => {
                    p.push(problem(
                        e.source_line,
                        ProblemKind::BadExpression,
                        format!("query of table {}: {msg}", e.target),
                    ));
                    return Ok(None);
                }
            }
        }
    };
    let src_names: Vec<String> = source_cols.iter().map(|c| c.0.clone()).collect();
    let mut reads: BTreeSet<String> = BTreeSet::new();

    // Which target column gets what.
    let mut mapped: Vec<(usize, String, bool, usize)> = vec![]; // (target col, expr, implicit, line)
    let mut listed: BTreeSet<&str> = BTreeSet::new();
    let mut ok = true;
    for rule in &e.columns {
        listed.insert(rule.target.as_str());
        let Some(ci) = tcols.iter().position(|c| c.name == rule.target) else {
            let names: Vec<&str> = tcols.iter().map(|c| c.name.as_str()).collect();
            p.push(problem(
                rule.line,
                ProblemKind::UnknownColumn,
                format!(
                    "target table {} has no column {:?} (it has: {})",
                    target.name,
                    rule.target,
                    names.join(", ")
                ),
            ));
            ok = false;
            continue;
        };
        if tcols[ci].generated {
            p.push(problem(
                rule.line,
                ProblemKind::UnknownColumn,
                format!(
                    "column {}.{} is generated: the target computes it; leave it out",
                    target.name, rule.target
                ),
            ));
            ok = false;
            continue;
        }
        if let Some(expr) = &rule.expr {
            reads.extend(names_in(expr));
            mapped.push((ci, expr.clone(), false, rule.line));
        }
    }
    let mut defaults = vec![];
    for (ci, c) in tcols.iter().enumerate() {
        if c.generated || listed.contains(c.name.as_str()) {
            continue;
        }
        if e.implicit && src_names.contains(&c.name) {
            reads.insert(c.name.clone());
            mapped.push((ci, ident(&c.name), true, e.line));
        } else {
            defaults.push(c.name.clone());
        }
    }
    if let Some((f, _)) = &e.filter {
        reads.extend(names_in(f));
    }
    if let TableSource::Relation(name) = &source {
        let slot = read.entry(name.clone()).or_insert_with(|| (src_names.clone(), BTreeSet::new()));
        slot.1.extend(reads);
    }
    if !ok {
        return Ok(None);
    }
    if mapped.is_empty() {
        p.push(problem(
            e.line,
            ProblemKind::UnknownColumn,
            format!(
                "table {}: no column is mapped (no source column has a target column's name); \
                 list them under [tables.{}.columns]",
                target.name, e.target
            ),
        ));
        return Ok(None);
    }
    mapped.sort_by_key(|m| m.0);

    let from = {
        let base = match &source {
            TableSource::Relation(name) => format!("ONLY {name}"),
            TableSource::Query { sql, .. } => format!("({sql}) AS src"),
        };
        match &e.filter {
            Some((f, _)) => format!("{base} WHERE ({f})"),
            None => base,
        }
    };
    // Parse and type-check on the source: all at once, then (on failure)
    // the filter and each column alone, to name the line at fault.
    let exprs: Vec<String> = mapped.iter().map(|m| format!("({})", m.1)).collect();
    let whole = format!("SELECT {} FROM {from}", exprs.join(", "));
    let types: Vec<u32> = match probe(src, src.prepare(&whole)).await? {
        Ok(stmt) => stmt.columns().iter().map(|c| c.type_().oid()).collect(),
        Err(msg) => {
            let mut found = false;
            if let Some((_, line)) = &e.filter
                && let Err(m) = probe(src, src.prepare(&format!("SELECT 1 FROM {from}"))).await?
            {
                p.push(problem(
                    *line,
                    ProblemKind::BadExpression,
                    format!("`where` of table {}: {m}", e.target),
                ));
                return Ok(None);
            }
            for (m, sql) in mapped.iter().zip(&exprs) {
                let one = format!("SELECT {sql} FROM {from}");
                if let Err(msg) = probe(src, src.prepare(&one)).await? {
                    found = true;
                    p.push(problem(
                        m.3,
                        ProblemKind::BadExpression,
                        format!(
                            "column {}.{} = {:?}: {msg} (on the source)",
                            target.name, tcols[m.0].name, m.1
                        ),
                    ));
                }
            }
            if !found {
                p.push(problem(
                    e.line,
                    ProblemKind::BadExpression,
                    format!("table {}: {msg}", e.target),
                ));
            }
            return Ok(None);
        }
    };
    let src_types = type_names(src, &types).await?;

    // Each expression's type against its column, as an INSERT would.
    let mut columns_out = vec![];
    let mut binary = true;
    for (m, ty_oid) in mapped.iter().zip(&types) {
        let col = &tcols[m.0];
        let src_ty = src_types.get(ty_oid).cloned().unwrap_or_else(|| "text".into());
        let same = src_ty == col.ty || (*ty_oid == col.type_oid && *ty_oid < FIRST_NORMAL_OID);
        if !same {
            let insert = format!(
                "INSERT INTO {} ({}) SELECT CAST(NULL AS {src_ty})",
                target.name,
                ident(&col.name)
            );
            if let Err(msg) = probe(dst, dst.prepare(&insert)).await? {
                p.push(problem(
                    m.3,
                    ProblemKind::TypeMismatch,
                    format!(
                        "column {}.{} = {:?}: the expression is {src_ty}, the column {}: {msg}; \
                         cast it in the mapping, e.g. \"({})::{}\"",
                        target.name, col.name, m.1, col.ty, m.1, col.ty
                    ),
                ));
                continue;
            }
        }
        // Cast on the source to the column's type when the source knows
        // it, so that both COPY formats carry the target's values and the
        // source hashes what the target will hold.
        let cast = !same
            && probe(src, src.query_one("SELECT pg_catalog.to_regtype($1)::text", &[&col.ty]))
                .await?
                .ok()
                .and_then(|r| r.get::<_, Option<String>>(0))
                .is_some();
        binary &= col.type_oid < FIRST_NORMAL_OID && (same || cast);
        let expr = match (cast, bare_column(&m.1, &src_names)) {
            (false, Some(name)) => ColumnExpr::Column { name, cast: None },
            (false, None) => ColumnExpr::Sql(m.1.clone()),
            (true, _) => ColumnExpr::Sql(format!("CAST(({}) AS {})", m.1, col.ty)),
        };
        columns_out.push(MappedColumn {
            target: col.name.clone(),
            target_type: col.ty.clone(),
            expr,
            implicit: m.2,
            castable: same || cast,
        });
    }
    if columns_out.len() != mapped.len() {
        return Ok(None);
    }
    // The casts must work on the source as well.
    let casts: Vec<String> = columns_out.iter().map(MappedColumn::sql).collect();
    let cast_sql = format!("SELECT {} FROM {from}", casts.join(", "));
    if let Err(msg) = probe(src, src.prepare(&cast_sql)).await? {
        p.push(problem(
            e.line,
            ProblemKind::TypeMismatch,
            format!(
                "table {}: casting to the target's column types fails on the source: {msg}",
                e.target
            ),
        ));
        return Ok(None);
    }

    // The key: as given, else the target's primary key.
    let key = if e.key.is_empty() { primary_key(dst, target.oid).await? } else { e.key.clone() };
    for k in &key {
        if !columns_out.iter().any(|c| &c.target == k) {
            p.push(problem(
                e.key_line.unwrap_or(e.line),
                ProblemKind::MergeWithoutKey,
                format!(
                    "key column {k:?} of table {} is not a mapped column of it; name mapped \
                     target columns in `key`",
                    target.name
                ),
            ));
            return Ok(None);
        }
    }

    let choice = cx.strategy.unwrap_or(e.strategy);
    let strategy = match (choice, cx.same_database) {
        (StrategyChoice::Server, false) => {
            p.push(problem(
                e.strategy_line.unwrap_or(e.line),
                ProblemKind::Strategy,
                format!(
                    "table {}: strategy `server` (INSERT … SELECT) needs source and target to \
                     be one database; use `copy`",
                    target.name
                ),
            ));
            return Ok(None);
        }
        (StrategyChoice::Fdw, _) if matches!(source, TableSource::Query { .. }) => {
            p.push(problem(
                e.strategy_line.unwrap_or(e.line),
                ProblemKind::Strategy,
                format!(
                    "table {}: strategy `fdw` reads source tables through foreign tables, and                      a `query` names the source's own; use `copy`",
                    target.name
                ),
            ));
            return Ok(None);
        }
        (StrategyChoice::Fdw, _) => Strategy::Foreign,
        (StrategyChoice::Server, true) | (StrategyChoice::Auto, true) => Strategy::InsertSelect,
        (StrategyChoice::Copy, _) | (StrategyChoice::Auto, false) => Strategy::Copy { binary },
    };
    let source = match source {
        TableSource::Query { sql, .. } => TableSource::Query { sql, key: key.clone() },
        s => s,
    };
    let table = MappedTable {
        entry: entry_index,
        target: target.name,
        target_oid: target.oid,
        source_label,
        source,
        source_oid,
        fdw_source: None,
        columns: columns_out,
        filter: e.filter.as_ref().map(|f| f.0.clone()),
        strategy,
        binary,
        measured: false,
        key,
        bytes,
        est_rows: rows,
    };
    Ok(Some((target.oid, table, defaults)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_name_is_a_column_and_anything_else_an_expression() {
        let cols = vec!["full_name".to_string(), "Email".to_string()];
        assert_eq!(bare_column(" full_name ", &cols), Some("full_name".into()));
        assert_eq!(bare_column("FULL_NAME", &cols), Some("full_name".into()));
        assert_eq!(bare_column("\"Email\"", &cols), Some("Email".into()));
        assert_eq!(bare_column("email", &cols), None);
        assert_eq!(bare_column("lower(full_name)", &cols), None);
        let names: Vec<String> = names_in("(price_cents::numeric / 100)").collect();
        assert!(names.contains(&"price_cents".to_string()), "{names:?}");
    }
}
