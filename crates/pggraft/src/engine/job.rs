//! What the engine runs: a [`Job`], independent of how it was planned.
//!
//! A producer (clone's planner today; refresh's changed ranges and map's
//! mapped tables later) fills one in. Each [`TableTask`] carries its own
//! source (a relation, or a query for `map`), its columns as expressions over
//! the source row, and its own [`Strategy`]; nothing about a task depends on
//! the command that made it.

use std::collections::HashMap;

use crate::plan::Stmt;
use crate::sql::{QualifiedName, ident};

/// Everything the engine does for one run.
#[derive(Debug, Clone, Default)]
pub struct Job {
    /// Statements run in one target transaction before any data (pre-data).
    pub structure: Vec<Stmt>,
    /// Table data, in the order it should start (largest first).
    pub tables: Vec<TableTask>,
    /// Statements started per table as soon as its data is in (indexes,
    /// constraints, triggers…), in dependency order.
    pub post_data: Vec<Stmt>,
    /// Sequence values copied from the snapshot.
    pub sequences: Vec<SequenceTask>,
    /// Materialized views refreshed once the tables they read are in.
    pub matviews: Vec<MatviewTask>,
    /// Which tables each post-data statement locks (see [`Locks`]).
    pub locks: Locks,
    /// `search_path` of the transactions that read the source, for SQL a
    /// user wrote (map's expressions and queries name tables and functions
    /// as the user's own sessions see them); `None`: empty, as in every
    /// other pggraft session, where all SQL is qualified.
    pub source_search_path: Option<String>,
    /// Tables (by label) whose source rows are hashed as they stream, as
    /// verify hashes them ([`crate::rowhash`]), with each column's kind.
    /// Only binary copies of whole rows qualify, and insert-select copies
    /// of whole rows, whose source the server hashes in the job's snapshot
    /// right after the load (with [`super::Finish::Swap`]).
    pub(crate) stream_hash: HashMap<QualifiedName, Vec<crate::rowhash::Kind>>,
    /// Tasks shared with other processes running the same job (see
    /// [`super::shared`]); `None`: this process does them all.
    /// Boxed: a job is moved through many futures, and is rarely shared.
    pub shared: Option<Box<super::shared::SharedTasks>>,
    /// Test hook ([`crate::clone::CloneOptions::tamper_after_load`]).
    #[cfg(feature = "failpoints")]
    pub(crate) tamper_after_load: Option<(String, String)>,
}

impl Job {
    /// The statement that gives a source-reading transaction its
    /// `search_path` (empty when the job has none).
    pub(crate) fn source_settings(&self) -> String {
        match &self.source_search_path {
            Some(p) => format!(
                "SELECT pg_catalog.set_config('search_path', {}, true)",
                crate::sql::literal(p)
            ),
            None => String::new(),
        }
    }
}

/// The scheduler's inputs about locking: a post-data statement must wait
/// for the data of every table it locks, and statements on the same tables
/// must not run against each other in opposite lock orders.
#[derive(Debug, Clone, Default)]
pub struct Locks {
    /// Post-data object key → the relation key of the table it locks.
    pub touches: HashMap<String, String>,
    /// Relation key → the root of its partition or inheritance tree. DDL on
    /// one member locks the others (a partition's parent, say), so a tree
    /// is scheduled as one unit: its DDL waits for all of its data.
    pub family: HashMap<String, String>,
}

/// Where a table task reads its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableSource {
    /// A relation's own rows (`FROM ONLY`, so a parent does not read its
    /// children's rows twice).
    Relation(QualifiedName),
    /// A query over the source (`map`'s merges), used as a subquery; `key`
    /// names its columns that identify a row, for range splitting.
    Query { sql: String, key: Vec<String> },
}

/// A column of the target and the expression over the source row that
/// fills it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    pub expr: ColumnExpr,
    /// The target column's name.
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnExpr {
    /// A source column as is. `cast` is the target type when it is a copy
    /// of the source's type (another type to the server): server-side
    /// copies cast through text.
    Column { name: String, cast: Option<String> },
    /// Any SQL expression over the source row (`lower(email)`).
    Sql(String),
}

impl ColumnMap {
    /// A source column copied into the target column of another name.
    pub fn column(source: impl Into<String>, target: impl Into<String>) -> ColumnMap {
        ColumnMap {
            expr: ColumnExpr::Column { name: source.into(), cast: None },
            target: target.into(),
        }
    }

    /// The select-list item. With `cast`, columns whose type is a copy of
    /// the source's are cast through text to the target's type.
    pub(crate) fn select_item(&self, cast: bool) -> String {
        match &self.expr {
            ColumnExpr::Column { name, cast: Some(ty) } if cast => {
                format!("CAST(CAST({} AS text) AS {ty})", ident(name))
            }
            ColumnExpr::Column { name, .. } => ident(name).to_string(),
            ColumnExpr::Sql(sql) => format!("({sql})"),
        }
    }
}

/// How a table's rows move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `COPY … TO STDOUT` on the source streamed into `COPY … FROM STDIN` on
    /// the target, bytes forwarded untouched. `binary` unless a column's
    /// binary form names type OIDs that differ between the two sides.
    Copy { binary: bool },
    /// `INSERT … SELECT` inside the server (source and target are the same
    /// database).
    InsertSelect,
    /// `INSERT … SELECT` on the target from foreign tables the producer set
    /// up (postgres_fdw; the task's source names them): the target reads the
    /// source itself, in the remote transaction postgres_fdw opens, which is
    /// one snapshot for every such task of one target transaction, not the
    /// job's snapshot.
    Foreign,
}

/// Part of a table's data: all of it, or a range of heap pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk {
    Whole,
    /// Pages `from..to` (`to = None`: to the end).
    Pages(u32, Option<u32>),
}

impl Chunk {
    /// The `WHERE` clause selecting the chunk's heap pages (TID range scans
    /// need PostgreSQL 14+, which introspection already requires).
    pub(crate) fn filter(self) -> String {
        match self {
            Chunk::Whole => String::new(),
            Chunk::Pages(from, None) => format!(" WHERE ctid >= '({from},0)'::tid"),
            Chunk::Pages(from, Some(to)) => {
                format!(" WHERE ctid >= '({from},0)'::tid AND ctid < '({to},0)'::tid")
            }
        }
    }
}

/// Moving one table's rows.
#[derive(Debug, Clone)]
pub struct TableTask {
    pub source: TableSource,
    /// A source-side name for reports and progress (the relation itself, or
    /// the name a query's producer gives it).
    pub label: QualifiedName,
    /// The relation the rows go into while the job runs.
    pub build: QualifiedName,
    /// Its name once the job has finished.
    pub target: QualifiedName,
    /// The build relation's key (what post-data statements wait for).
    pub key: String,
    /// Columns written; generated columns are left out. May be empty: a
    /// table whose every column is generated (or that has none) still has
    /// rows to copy.
    pub columns: Vec<ColumnMap>,
    /// Extra condition on the source rows (`map`'s `where`).
    pub filter: Option<String>,
    pub strategy: Strategy,
    pub bytes: u64,
    pub est_rows: f64,
    pub chunks: Vec<Chunk>,
}

impl TableTask {
    /// Chunk `c`'s share of the table's heap bytes: an equal part, the last
    /// taking what the division leaves, so the shares add up to `bytes`.
    pub(crate) fn chunk_bytes(&self, c: usize) -> u64 {
        let n = self.chunks.len().max(1) as u64;
        let part = self.bytes / n;
        if c as u64 + 1 == n { self.bytes - part * (n - 1) } else { part }
    }

    /// The source rows of a chunk as a query.
    pub(crate) fn select_sql(&self, chunk: Chunk, cast: bool) -> String {
        let cols: Vec<String> = self.columns.iter().map(|c| c.select_item(cast)).collect();
        let from = match &self.source {
            TableSource::Relation(name) => format!("ONLY {name}"),
            TableSource::Query { sql, .. } => format!("({sql}) AS src"),
        };
        let mut filter = chunk.filter();
        if let Some(f) = &self.filter {
            filter = if filter.is_empty() {
                format!(" WHERE ({f})")
            } else {
                format!("{filter} AND ({f})")
            };
        }
        format!("SELECT {} FROM {from}{filter}", cols.join(", "))
    }

    /// Whether the whole relation can be read with `COPY table (cols)`
    /// (cheaper than `COPY (SELECT …)`).
    pub(crate) fn plain_relation(&self, chunk: Chunk) -> Option<&QualifiedName> {
        match (&self.source, chunk, &self.filter) {
            (TableSource::Relation(name), Chunk::Whole, None)
                if !self.columns.is_empty()
                    && self.columns.iter().all(|c| matches!(c.expr, ColumnExpr::Column { .. })) =>
            {
                Some(name)
            }
            _ => None,
        }
    }

    /// The source columns when [`TableTask::plain_relation`] holds.
    pub(crate) fn source_columns(&self) -> String {
        self.columns
            .iter()
            .map(|c| match &c.expr {
                ColumnExpr::Column { name, .. } => ident(name).to_string(),
                ColumnExpr::Sql(sql) => sql.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub(crate) fn target_columns(&self) -> String {
        self.columns.iter().map(|c| ident(&c.target).to_string()).collect::<Vec<_>>().join(", ")
    }
}

/// Copying one sequence's value.
#[derive(Debug, Clone)]
pub struct SequenceTask {
    pub source: QualifiedName,
    /// The sequence the value is set on while the job runs.
    pub build: QualifiedName,
}

/// Refreshing a materialized view after the data is in.
#[derive(Debug, Clone)]
pub struct MatviewTask {
    pub build: QualifiedName,
    pub key: String,
    /// Keys of other materialized views it reads (refreshed first).
    pub after: Vec<String>,
}
