//! `refresh`: bringing an earlier copy's data up to date with its source. A
//! producer of engine jobs, as [`crate::clone`] is, with its own finish
//! ([`Finish::Groups`]): the copy's tables are replaced or merged in place,
//! group by group, each group in one target transaction, so readers never see
//! an empty or half-loaded table and foreign keys between copied tables hold
//! at every commit. Views and foreign keys elsewhere that bind the copy's
//! tables by OID keep working, because the tables stay the same tables.
//!
//! - Which copies, and how they were made: [`copies`] reads the target's
//!   record ([`record`], `pggraft.copies`, written by `clone`) or takes the
//!   flags for copies made by other tools.
//! - What each table needs: [`plan`] reads both sides in one source snapshot,
//!   pairs the tables and refuses structure that changed ([`checks`]),
//!   decides per table: a reload ([`reload`]), a comparison by key ranges
//!   ([`incremental`]) or the rows past a high-water mark ([`watermark`]),
//!   and which tables change together ([`groups`]).
//! - Running it: [`run`] compares what needs comparing, turns the result into
//!   an engine job ([`job`]) and runs it, then records the refresh.
//!
//! The source is only read. Everything that can be refused is refused before
//! anything is written ([`RefreshError`]). Comparing rows is
//! [`crate::verify`]'s work, moving them [`crate::engine`]'s.

mod checks;
mod copies;
mod error;
mod groups;
mod horizon;
mod incremental;
mod job;
mod plan;
pub mod record;
mod reload;
mod watermark;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::conn::{ConnSpec, Side};
use crate::engine::{self, Cancel, Finish, GroupReport, ProgressSink, RunOptions};
use crate::error::{Error, Result};
use crate::rename::Naming;
use crate::select::{Pattern, TableFilter, TablePattern};
use crate::sql::QualifiedName;

pub use copies::{CopySet, resolve};
pub use error::RefreshError;
pub use plan::{Planned, PreparedRefresh, TablePlan, prepare};

/// How the rows of keyed tables are brought up to date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Every table's rows replaced from the snapshot.
    #[default]
    Reload,
    /// Tables with a key compared by key ranges; only what differs copied.
    Incremental,
}

/// `--key TABLE=COL[,COL…]`: the key of a table without a primary key.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyArg {
    /// As typed, for messages.
    pub given: String,
    /// Source name pattern.
    pub table: TablePattern,
    pub columns: Vec<String>,
}

impl KeyArg {
    pub fn parse(text: &str) -> Result<KeyArg> {
        let bad = |why: &str| {
            crate::Error::from(RefreshError::BadKey {
                given: text.into(),
                table: None,
                reason: format!("{why}; write TABLE=COLUMN[,COLUMN…], e.g. shop.events=id"),
            })
        };
        let (table, cols) = text.split_once('=').ok_or_else(|| bad("no '='"))?;
        let columns: Vec<String> = cols.split(',').map(|c| c.trim().to_string()).collect();
        if table.is_empty() || columns.iter().any(String::is_empty) {
            return Err(bad("a table and at least one column are needed"));
        }
        Ok(KeyArg { given: text.into(), table: TablePattern::parse(table), columns })
    }
}

/// Validated options for a refresh (the library side of `pggraft refresh`).
#[derive(Debug, Clone)]
pub struct RefreshOptions {
    pub target: ConnSpec,
    /// The source; `None`: the one recorded for each copy.
    pub source: Option<ConnSpec>,
    /// `-n`: copies by their names (a recorded copy), or `SRC=DST` as for
    /// `clone`; the template and case describe copies not recorded.
    pub naming: Naming,
    pub exclude_schemas: Vec<Pattern>,
    /// `-t` / `-T` (source names); empty: as recorded.
    pub tables: TableFilter,
    /// Tables whose rows are not copied; empty: as recorded.
    pub exclude_table_data: Vec<TablePattern>,
    pub mode: Mode,
    pub keys: Vec<KeyArg>,
    /// Incremental: delete rows gone from the source (`--no-delete`: keep).
    pub delete: bool,
    /// Copy only rows whose value of this column is past the last refresh's
    /// high-water mark (with [`Mode::Incremental`]).
    pub watermark: Option<String>,
    /// With a watermark: find rows deleted at the source by comparing keys.
    pub delete_missing: bool,
    /// Incremental: compare every row's hash even where the transaction
    /// horizon could tell what changed ([`horizon`]); also repairs rows
    /// someone changed in the copy.
    pub full_compare: bool,
    /// How long one attempt waits for a group's locks.
    pub lock_timeout: Duration,
    pub lock_retries: u32,
    /// Groups loaded (and tables compared) in parallel.
    pub jobs: usize,
    /// Test hook (cargo feature `failpoints`): fail when copying the table
    /// of this source name, after its group's transaction changed things.
    #[cfg(feature = "failpoints")]
    pub fail_on_table: Option<String>,
}

impl RefreshOptions {
    pub fn new(target: ConnSpec) -> RefreshOptions {
        RefreshOptions {
            target,
            source: None,
            naming: Naming::default(),
            exclude_schemas: vec![],
            tables: TableFilter::default(),
            exclude_table_data: vec![],
            mode: Mode::Reload,
            keys: vec![],
            delete: true,
            watermark: None,
            delete_missing: false,
            full_compare: false,
            lock_timeout: Duration::from_secs(5),
            lock_retries: 5,
            jobs: 4,
            #[cfg(feature = "failpoints")]
            fail_on_table: None,
        }
    }
}

/// What happened to one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// All rows replaced.
    Reload,
    /// Compared by key; differing rows upserted, rows gone deleted.
    Incremental,
    /// Rows past the high-water mark upserted.
    Watermark,
    /// Compared, and nothing differed.
    Unchanged,
}

/// One table's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TableOutcome {
    pub source: QualifiedName,
    pub target: QualifiedName,
    pub action: Action,
    /// Why a table of an incremental refresh was reloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Rows read from the source and written (reload) or staged (merge).
    pub rows_copied: u64,
    /// Rows inserted or updated (merges).
    pub upserted: u64,
    pub deleted: u64,
    /// Rows only the copy has that were left in place (`--no-delete`); for
    /// a watermark refresh without `--delete-missing`, `None`: not looked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<u64>,
    /// Key ranges compared by hash, and how many differed; for a table
    /// compared by transaction horizon, key buckets counted.
    pub ranges: usize,
    pub ranges_differing: usize,
    /// Compared by transaction horizon ([`horizon`]): the rows written since
    /// the copy's snapshot, and deletes by counting, instead of row hashes.
    pub by_horizon: bool,
    /// The high-water mark the rows were taken after, and the new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark_to: Option<String>,
    /// Seconds comparing (incremental) plus its group's transaction.
    pub seconds: f64,
}

/// What a refresh did.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshReport {
    /// The source, without its password.
    pub source: String,
    /// Source schema → copy.
    pub schemas: BTreeMap<String, String>,
    pub mode: Mode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<String>,
    /// When the source snapshot the data now comes from was taken (UTC).
    pub snapshot_at: String,
    pub strategy: String,
    pub tables: Vec<TableOutcome>,
    /// Each group's transaction: its tables, lock waits, how long it held
    /// them (how long readers of a reloaded group could be blocked).
    pub groups: Vec<GroupReport>,
    pub sequences: usize,
    /// Materialized views of the copy refreshed afterwards.
    pub matviews: Vec<QualifiedName>,
    /// (phase, seconds).
    pub phases: Vec<(String, f64)>,
    /// Whether `pggraft.copies` now records the copies.
    pub recorded: bool,
    pub warnings: Vec<String>,
}

impl RefreshReport {
    pub fn rows_copied(&self) -> u64 {
        self.tables.iter().map(|t| t.rows_copied).sum()
    }

    /// The longest time any group held locks that block readers.
    pub fn readers_blocked_seconds(&self) -> f64 {
        self.groups.iter().filter(|g| g.blocks_readers).map(|g| g.held_seconds).fold(0.0, f64::max)
    }

    pub fn table(&self, source_name: &str) -> Option<&TableOutcome> {
        self.tables.iter().find(|t| t.source.name == source_name)
    }
}

/// Runs a prepared refresh: compares what needs comparing, loads the
/// groups, refreshes materialized views, sets sequences, records the
/// refresh. On failure or cancel, the group in flight rolls back.
pub async fn run(
    opts: &RefreshOptions,
    prepared: PreparedRefresh,
    progress: &dyn ProgressSink,
    cancel: Option<Cancel>,
) -> Result<RefreshReport> {
    let t0 = Instant::now();
    let mut phases = vec![];
    let mut cancel = cancel;
    // Comparisons run before anything is written, in the same snapshot the
    // rows are read from; a cancel here changes nothing either.
    let found = if prepared.needs_compare() {
        progress.phase("compare");
        let work = incremental::compare(opts, &prepared, progress);
        let found = match cancel.as_mut() {
            Some(c) => tokio::select! {
                r = work => r?,
                _ = c => return Err(Error::Interrupted("nothing was changed".into())),
            },
            None => work.await?,
        };
        phases.push(("compare".to_string(), t0.elapsed().as_secs_f64()));
        found
    } else {
        vec![]
    };
    let (job, load, work) = job::job(opts, &prepared, &found);
    let run_opts = RunOptions {
        source: prepared.set.source.clone(),
        target: opts.target.clone(),
        jobs: opts.jobs,
        index_jobs: opts.jobs.clamp(1, 4),
        session_tag: prepared.session_tag.clone(),
        cleanup_wait: crate::cleanup::DROP_RETRY_BUDGET,
        // The statements a refresh runs outside its groups wait as long as
        // a group may (every attempt's lock_timeout).
        lock_wait: opts.lock_timeout * (opts.lock_retries + 1),
        #[cfg(feature = "failpoints")]
        fail_on_table: opts.fail_on_table.clone(),
    };
    let mut report = prepared.report_base(opts);
    report.sequences = job.sequences.len();
    let finish = Finish::Groups(load);
    let PreparedRefresh { snapshot, plans, set, stamp, .. } = prepared;
    let done = engine::run(&run_opts, job, snapshot, &finish, progress, cancel).await?;
    let Finish::Groups(load) = finish else { unreachable!("built above") };
    phases.extend(done.phases.iter().filter(|(p, _)| p != "structure").cloned());
    report.tables = job::outcomes(&plans, &work, &load, &done.groups, &found);
    report.groups = done.groups;
    let t = Instant::now();
    match save_record(opts, &set, &stamp, &plans, &found).await {
        Ok(true) => report.recorded = true,
        Ok(false) => report.warnings.push(format!(
            "role {:?} cannot write pggraft.copies on the target: the refresh is not recorded, so \
             the next one needs --source and -n again",
            opts.target.user()
        )),
        // The data is in; only the bookkeeping failed. A high-water mark
        // left behind only makes the next refresh copy some rows again.
        Err(e) => report.warnings.push(format!("the refresh is done but was not recorded: {e}")),
    }
    phases.push(("record".to_string(), t.elapsed().as_secs_f64()));
    report.phases = phases;
    Ok(report)
}

/// Records the refresh in `pggraft.copies`: the new snapshot and high-water
/// marks of recorded copies, and a row for each copy that had none. Returns
/// whether the copies are recorded.
async fn save_record(
    opts: &RefreshOptions,
    set: &CopySet,
    stamp: &plan::Stamp,
    plans: &[TablePlan],
    found: &[incremental::Found],
) -> Result<bool> {
    let client = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    let fresh: Vec<record::NewRecord> = set
        .schemas
        .iter()
        .filter(|(_, t)| !set.recorded.contains_key(*t))
        .map(|(s, t)| record::NewRecord {
            target_schema: t.clone(),
            source_schema: s.clone(),
            source: set.source.redacted(),
            source_database: set.source.dbname().to_string(),
            options: set.options.clone(),
            made_by: "refresh",
            snapshot_at: stamp.at.clone(),
            snapshot: stamp.snapshot.clone(),
            source_identity: stamp.identity.clone(),
            changes: stamp.changes.get(s).cloned().unwrap_or_default(),
        })
        .collect();
    if !record::writable(&client).await? {
        return Ok(false);
    }
    let refreshed = set
        .schemas
        .iter()
        .map(|(source_schema, schema)| {
            let marks = found
                .iter()
                .filter_map(|f| {
                    let p = &plans[f.plan];
                    let w = f.watermark.as_ref()?;
                    (&p.target.schema == schema).then(|| {
                        let mark =
                            record::Watermark { column: w.column.clone(), value: w.to.clone() };
                        (p.target.name.clone(), mark)
                    })
                })
                .collect();
            record::Refreshed {
                schema: schema.clone(),
                snapshot_at: stamp.at.clone(),
                snapshot: stamp.snapshot.clone(),
                source_identity: stamp.identity.clone(),
                watermarks: marks,
                changes: stamp.changes.get(source_schema).cloned().unwrap_or_default(),
            }
        })
        .collect::<Vec<_>>();
    record::save_refresh(&client, &fresh, &refreshed).await?;
    Ok(true)
}

/// Whether rows only the copy has are deleted: `--no-delete` keeps them;
/// a watermark refresh looks for them only with `--delete-missing`.
pub(crate) fn deletes(opts: &RefreshOptions) -> bool {
    if opts.watermark.is_some() { opts.delete_missing } else { opts.delete }
}

/// Resolves, prepares and runs every copy the options name, one source at
/// a time.
pub async fn refresh(
    opts: &RefreshOptions,
    progress: &dyn ProgressSink,
) -> Result<Vec<RefreshReport>> {
    let mut out = vec![];
    for set in resolve(opts).await? {
        let p = prepare(opts, set).await?;
        out.push(run(opts, p, progress, None).await?);
    }
    Ok(out)
}
