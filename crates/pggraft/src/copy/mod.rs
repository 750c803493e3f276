//! The copy engine under `clone` (and later `refresh` and `follow`): one
//! exported snapshot on the source, structure built on the target under
//! temporary schema names, data streamed table by table (largest first,
//! large tables split into ctid ranges), post-data statements started per
//! table as soon as its data is in, and the schemas renamed into place at
//! the end. It owns planning ([`plan`]), scheduling ([`exec`]) and the data
//! strategies ([`data`]); it leaves introspection to [`crate::catalog`],
//! renaming to [`crate::rename`] and statement ordering to [`crate::plan`].

pub mod data;
pub mod exec;
pub mod plan;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use crate::conn::ConnSpec;
use crate::rename::Naming;
use crate::select::TablePattern;
use crate::sql::QualifiedName;

pub use exec::run_clone;
pub use plan::{ClonePlan, TableTask, plan_clone};

/// How table data moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// `insert-select` within one database, else `copy`.
    Auto,
    /// Binary COPY from the source streamed into COPY on the target.
    Copy,
    /// Server-side `INSERT … SELECT` (same database only).
    InsertSelect,
}

/// Validated options for a clone (the library side of `pggraft clone`).
#[derive(Debug, Clone)]
pub struct CloneOptions {
    pub source: ConnSpec,
    pub target: ConnSpec,
    pub naming: Naming,
    /// Source schemas to leave out.
    pub exclude_schemas: Vec<crate::select::Pattern>,
    /// Only tables matching one of these (empty: all).
    pub include_tables: Vec<TablePattern>,
    pub exclude_tables: Vec<TablePattern>,
    /// Tables created but left empty.
    pub exclude_table_data: Vec<TablePattern>,
    pub schema_only: bool,
    pub data_only: bool,
    pub jobs: usize,
    pub index_jobs: usize,
    /// Split tables whose heap is larger than this many bytes into ranges
    /// copied in parallel. `None`: decided from the sizes and `jobs`.
    pub split_larger_than: Option<u64>,
    pub drop_if_exists: bool,
    pub owners: bool,
    pub privileges: bool,
    pub comments: bool,
    pub strategy: Strategy,
    /// Test hook: fail when copying the table of this (source) name, to
    /// prove that a failed clone leaves the target as it was.
    #[doc(hidden)]
    pub fail_on_table: Option<String>,
}

impl CloneOptions {
    pub fn new(source: ConnSpec, target: ConnSpec) -> CloneOptions {
        CloneOptions {
            source,
            target,
            naming: Naming::default(),
            exclude_schemas: vec![],
            include_tables: vec![],
            exclude_tables: vec![],
            exclude_table_data: vec![],
            schema_only: false,
            data_only: false,
            jobs: 4,
            index_jobs: 4,
            split_larger_than: None,
            drop_if_exists: false,
            owners: true,
            privileges: true,
            comments: true,
            strategy: Strategy::Auto,
            fail_on_table: None,
        }
    }
}

/// Progress callbacks; every method has a no-op default.
pub trait Progress: Send + Sync {
    fn phase(&self, _name: &str) {}
    /// The data phase is about to start: total bytes and estimated rows.
    fn data_started(&self, _total_bytes: u64, _tables: usize) {}
    fn table_started(&self, _table: &QualifiedName, _bytes: u64) {}
    /// Bytes streamed for a table (copy strategy; wire bytes, not heap).
    fn table_bytes(&self, _table: &QualifiedName, _delta: u64) {}
    /// A chunk of a table is in: `heap_bytes` of the total given to
    /// `data_started` are done.
    fn chunk_done(&self, _table: &QualifiedName, _heap_bytes: u64) {}
    fn table_done(&self, _table: &QualifiedName, _rows: u64, _bytes: u64) {}
    fn statement_done(&self, _what: &str, _object: &str) {}
}

/// A [`Progress`] that reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// A future that completes when the user asks to stop (Ctrl-C).
pub type Cancel = Pin<Box<dyn Future<Output = ()> + Send>>;

#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub source: QualifiedName,
    pub target: QualifiedName,
    pub rows: u64,
    pub bytes: u64,
    pub seconds: f64,
}

/// What a clone did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CloneReport {
    /// Source schema → target schema.
    pub schemas: BTreeMap<String, String>,
    pub strategy: String,
    /// Objects created, by kind.
    pub objects: BTreeMap<String, usize>,
    pub tables: Vec<TableReport>,
    pub sequences: usize,
    /// (phase, seconds).
    pub phases: Vec<(String, f64)>,
    pub warnings: Vec<String>,
}

impl CloneReport {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
    pub fn total_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum()
    }
}
