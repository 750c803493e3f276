//! The copy engine: one way to move rows from one snapshot of a source into
//! a target, whatever asked for it.
//!
//! A producer describes a [`Job`] (clone's planner in [`crate::clone`],
//! refresh's reloads and changed keys in [`crate::refresh`]; map's mapped
//! tables later): structure
//! statements, table tasks each with its own source, column expressions and
//! [`Strategy`], sequences and materialized views. [`run`] executes it under
//! one [`Snapshot`](crate::conn::Snapshot) — structure in one transaction,
//! then data workers and statement workers fed by the [`scheduler`] — and a
//! [`Finish`] value decides how it ends (swap temporary schemas into place,
//! load in place, or replace and merge existing tables group by group in
//! [`groups`]). A new feature is a new producer or a new finish, not a
//! new engine. The engine leaves introspection to [`crate::catalog`],
//! renaming to [`crate::rename`] and statement ordering to [`crate::plan`].

mod data;
mod finish;
pub mod groups;
mod job;
mod ledger;
pub mod lock_wait;
mod progress;
mod run;
pub(crate) mod scheduler;
pub mod shared;

use serde::Serialize;

use crate::conn::ConnSpec;
use crate::sql::QualifiedName;

pub(crate) use data::{copy_stream, insert_select_chunk};
pub(crate) use finish::dropped_outside;
pub use finish::{Aside, Finish, SchemaSwap};
pub use groups::{Apply, Group, GroupLoad, GroupReport, Member, MemberReport, Merge, Truncate};
pub use job::{
    Chunk, ColumnExpr, ColumnMap, Job, Locks, MatviewTask, SequenceTask, Strategy, TableSource,
    TableTask,
};
pub use progress::{Cancel, NoProgress, ProgressSink};
pub use run::run;
pub use shared::{SharedReport, SharedTasks, WorkerTasks};

/// Where and how a job runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub source: ConnSpec,
    pub target: ConnSpec,
    /// Data workers.
    pub jobs: usize,
    /// Post-data statement workers.
    pub index_jobs: usize,
    /// `application_name` of every target session, so an aborted run can
    /// stop its own sessions before dropping what it built.
    pub session_tag: String,
    /// How long a failed run keeps trying to undo what it built while the
    /// target cannot be reached.
    pub cleanup_wait: std::time::Duration,
    /// How long one DDL statement may wait for its locks, over all its
    /// tries ([`lock_wait`]).
    pub lock_wait: std::time::Duration,
    /// Test hook: fail when copying the table whose source name is this,
    /// to prove that a failed run leaves the target as it was.
    #[cfg(feature = "failpoints")]
    pub fail_on_table: Option<String>,
}

/// One table's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    pub source: QualifiedName,
    pub target: QualifiedName,
    pub rows: u64,
    /// Heap bytes: the source table's size when the job was planned, the
    /// one measure of both strategies (see [`ProgressSink`]).
    pub bytes: u64,
    pub seconds: f64,
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct EngineReport {
    pub tables: Vec<TableReport>,
    pub sequences: usize,
    /// (phase, seconds).
    pub phases: Vec<(String, f64)>,
    /// With [`Finish::Groups`]: what each group's transaction did.
    pub groups: Vec<GroupReport>,
    /// Tables of [`Job::stream_hash`] whose rows were hashed as they
    /// streamed (by label): rows and typed hash sum, as verify computes them.
    pub source_sums: std::collections::BTreeMap<QualifiedName, crate::rowhash::RowSums>,
    /// The same read back from each build table as soon as its rows were in
    /// (with [`Finish::Swap`], whose build tables nobody else can write).
    pub target_sums: std::collections::BTreeMap<QualifiedName, crate::rowhash::RowSums>,
    /// With [`Job::shared`]: who did which tasks, and whether this process
    /// ran the finish.
    pub shared: Option<SharedReport>,
    /// Tables (by target name) whose rows were written without WAL: the
    /// target runs `wal_level = minimal` and each was loaded whole in the
    /// transaction that truncated it, which gave it a new file (what
    /// PostgreSQL needs to skip WAL; it syncs the file at commit instead).
    pub wal_skipped: Vec<QualifiedName>,
}
