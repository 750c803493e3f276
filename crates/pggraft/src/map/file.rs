//! The mapping file: which target table gets which rows, as a model with the
//! line each part was written on, so that every problem found later (here,
//! or against the catalogs in [`super::check`]) names `file:line`.
//!
//! ```toml
//! [tables.users]                    # target table (schema-qualified allowed)
//! from = "old_users"                # source table
//! strategy = "auto"                 # auto | copy | server | fdw
//! where = "deleted_at IS NULL"      # optional filter on the source
//! [tables.users.columns]
//! display_name = "full_name"        # any SQL expression over the source row
//! legacy = false                    # left to the column's default
//! [tables.profiles]                 # merge: a query over several source tables
//! query = "SELECT p.user_id AS id, p.bio, s.theme FROM …"
//! key = ["id"]
//! ```
//!
//! Same-named columns map implicitly (`"*" = true`, the default; `"*" =
//! false` turns it off). Parsing is toml's, with its spans (`toml::Spanned`);
//! nothing here touches a database.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::error::{Problem, ProblemKind};

/// How one table's rows move (`strategy` in the file, `--strategy` on the
/// command line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StrategyChoice {
    /// `server` when source and target are one database, else `copy`.
    #[default]
    Auto,
    /// `COPY (SELECT …) TO STDOUT` streamed into `COPY … FROM STDIN`.
    Copy,
    /// `INSERT … SELECT` inside one database.
    Server,
    /// `INSERT … SELECT` on the target from foreign tables (postgres_fdw).
    Fdw,
}

/// A parsed mapping file.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The file's name as given (for messages).
    pub file: String,
    /// In file order.
    pub tables: Vec<TableMap>,
}

/// Where one target table's rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapSource {
    /// A source table, as SQL names it (`old_users`, `shop."Users"`).
    Table(String),
    /// A query over the source (merges).
    Query(String),
}

/// One `[tables.X]` entry.
#[derive(Debug, Clone)]
pub struct TableMap {
    /// The target table as written (SQL name syntax: `shop.users`).
    pub target: String,
    pub line: usize,
    pub source: MapSource,
    /// The line of `from` or `query`.
    pub source_line: usize,
    /// Target column names that identify a row (`key`), if given.
    pub key: Vec<String>,
    pub key_line: Option<usize>,
    /// `where`, and its line.
    pub filter: Option<(String, usize)>,
    pub strategy: StrategyChoice,
    pub strategy_line: Option<usize>,
    /// Explicit columns, in file order.
    pub columns: Vec<ColumnRule>,
    /// Whether target columns not listed take the source column of the same name.
    pub implicit: bool,
}

/// One entry of `columns`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRule {
    /// The target column's name, exactly (case-sensitive).
    pub target: String,
    /// The SQL expression over the source row; `None`: the column takes its default.
    pub expr: Option<String>,
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    tables: BTreeMap<Spanned<String>, RawTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    from: Option<Spanned<String>>,
    query: Option<Spanned<String>>,
    key: Option<Spanned<Vec<String>>>,
    #[serde(rename = "where")]
    filter: Option<Spanned<String>>,
    strategy: Option<Spanned<StrategyChoice>>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<RawColumn>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawColumn {
    Expr(String),
    Flag(bool),
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Mapping {
    /// Parses a TOML mapping file; `file` is its name for messages. Every
    /// problem the file has on its own is returned, each with its line.
    pub fn parse(file: &str, text: &str) -> Result<Mapping, Vec<Problem>> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            vec![Problem::new(file, line, ProblemKind::Syntax, e.message().trim().to_string())]
        })?;
        let mut problems = vec![];
        let mut tables = vec![];
        for (name, t) in raw.tables {
            let line = line_of(text, name.span().start);
            let at = |s: std::ops::Range<usize>| line_of(text, s.start);
            let target = name.into_inner();
            let (source, source_line) = match (t.from, t.query) {
                (Some(f), None) => (MapSource::Table(f.get_ref().clone()), at(f.span())),
                (None, Some(q)) => (MapSource::Query(q.get_ref().clone()), at(q.span())),
                (Some(f), Some(_)) => {
                    problems.push(Problem::new(
                        file,
                        at(f.span()),
                        ProblemKind::Syntax,
                        format!(
                            "table {target}: give either `from` (a source table) or `query`, \
                             not both"
                        ),
                    ));
                    continue;
                }
                (None, None) => (MapSource::Table(target.clone()), line),
            };
            let key_line = t.key.as_ref().map(|k| at(k.span()));
            let key = t.key.map(Spanned::into_inner).unwrap_or_default();
            if matches!(source, MapSource::Query(_)) && key.is_empty() {
                problems.push(Problem::new(
                    file,
                    source_line,
                    ProblemKind::MergeWithoutKey,
                    format!(
                        "table {target}: a `query` needs `key = [\"column\", …]`, the target \
                         columns that identify a row (for batches and verify)"
                    ),
                ));
            }
            let filter = t.filter.map(|f| {
                let l = at(f.span());
                (f.into_inner(), l)
            });
            let strategy_line = t.strategy.as_ref().map(|s| at(s.span()));
            let strategy = t.strategy.map(Spanned::into_inner).unwrap_or_default();
            let mut implicit = true;
            let mut columns = vec![];
            for (col, value) in t.columns {
                let l = at(value.span());
                let col = col.into_inner();
                match (col.as_str(), value.into_inner()) {
                    ("*", RawColumn::Flag(b)) => implicit = b,
                    ("*", RawColumn::Expr(e)) if e == "*" => implicit = true,
                    ("*", RawColumn::Expr(_)) => problems.push(Problem::new(
                        file,
                        l,
                        ProblemKind::Syntax,
                        format!(
                            "table {target}: `\"*\"` takes true (same-named columns map \
                             implicitly) or false"
                        ),
                    )),
                    (_, RawColumn::Expr(e)) if e.trim().is_empty() => problems.push(Problem::new(
                        file,
                        l,
                        ProblemKind::Syntax,
                        format!(
                            "column {target}.{col}: empty expression; write the source column \
                             or an SQL expression, or false to leave it to its default"
                        ),
                    )),
                    (_, RawColumn::Expr(e)) => {
                        columns.push(ColumnRule { target: col, expr: Some(e), line: l })
                    }
                    (_, RawColumn::Flag(false)) => {
                        columns.push(ColumnRule { target: col, expr: None, line: l })
                    }
                    (_, RawColumn::Flag(true)) => problems.push(Problem::new(
                        file,
                        l,
                        ProblemKind::Syntax,
                        format!(
                            "column {target}.{col}: true is not an expression; write the source \
                             column's name (or false to leave the column to its default)"
                        ),
                    )),
                }
            }
            columns.sort_by_key(|c| c.line);
            tables.push(TableMap {
                target,
                line,
                source,
                source_line,
                key,
                key_line,
                filter,
                strategy,
                strategy_line,
                columns,
                implicit,
            });
        }
        tables.sort_by_key(|t| t.line);
        if tables.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                file,
                1,
                ProblemKind::Syntax,
                "no tables: add a [tables.TARGET] entry per target table".to_string(),
            ));
        }
        if problems.is_empty() {
            Ok(Mapping { file: file.to_string(), tables })
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[tables.users]
from = "old_users"
strategy = "copy"
where = "deleted_at IS NULL"
[tables.users.columns]
display_name = "full_name"
email = "lower(email)"
legacy = false

[tables.order_items]
from = "orders"
columns = { order_id = "id", sku = "item_sku", "*" = false }

[tables.profiles]
query = "SELECT 1 AS id"
key = ["id"]
"#;

    #[test]
    fn reads_tables_in_file_order_with_lines() {
        let m = Mapping::parse("m.toml", FILE).unwrap();
        let names: Vec<&str> = m.tables.iter().map(|t| t.target.as_str()).collect();
        assert_eq!(names, ["users", "order_items", "profiles"]);
        let u = &m.tables[0];
        assert_eq!((u.line, u.source_line), (2, 3));
        assert_eq!(u.source, MapSource::Table("old_users".into()));
        assert_eq!(u.strategy, StrategyChoice::Copy);
        assert_eq!(u.filter, Some(("deleted_at IS NULL".into(), 5)));
        assert_eq!(
            u.columns,
            vec![
                ColumnRule {
                    target: "display_name".into(),
                    expr: Some("full_name".into()),
                    line: 7
                },
                ColumnRule { target: "email".into(), expr: Some("lower(email)".into()), line: 8 },
                ColumnRule { target: "legacy".into(), expr: None, line: 9 },
            ]
        );
        assert!(u.implicit);
        assert!(!m.tables[1].implicit);
        assert_eq!(m.tables[2].key, ["id"]);
    }

    #[test]
    fn problems_name_their_line() {
        let dup = "[tables.users]\nfrom = \"a\"\n[tables.users.columns]\nx = \"a\"\nx = \"b\"\n";
        let p = Mapping::parse("m.toml", dup).unwrap_err();
        assert_eq!((p[0].line, p[0].kind), (5, ProblemKind::Syntax), "{p:?}");
        let merge = "[tables.p]\nquery = \"SELECT 1 AS id\"\n";
        let p = Mapping::parse("m.toml", merge).unwrap_err();
        assert_eq!((p[0].line, p[0].kind), (2, ProblemKind::MergeWithoutKey));
        let unknown = "[tables.p]\nfrom = \"a\"\nstrategi = \"copy\"\n";
        let p = Mapping::parse("m.toml", unknown).unwrap_err();
        assert_eq!(p[0].line, 3, "{p:?}");
        assert!(p[0].to_string().starts_with("m.toml:3: "), "{}", p[0]);
    }
}
