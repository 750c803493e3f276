//! `map`: moving data from one schema into a differently shaped one —
//! renamed tables and columns, transformed values, one source split into
//! several targets, several sources merged by a query — described in a
//! mapping file. The third producer of engine jobs, after [`crate::clone`]
//! and [`crate::refresh`].
//!
//! - [`file`]: the mapping file, parsed with the line of every part.
//! - [`check`]: the mapping against both catalogs, before anything is
//!   written; the servers parse and type-check every expression.
//! - [`job`]: the checked tables as one engine job whose single group
//!   ([`Finish::Groups`]) loads every target table in one transaction.
//! - [`verify`]: counts and row hashes of the mapped source expressions
//!   against the target's columns, and the keys of the rows that differ.
//!
//! - [`batches`]: resumable runs in key-range batches (`--batch-rows`).
//!
//! The source is only read, in one snapshot. The target is all-or-nothing:
//! a `--schema-file` is applied in one transaction that commits only once
//! the mapping checks against it, and the rows go in in one more (or, with
//! `--batch-rows`, batch by batch, each recorded as it commits).

pub mod analyze;
mod batches;
pub mod check;
mod error;
pub mod fdw;
pub mod file;
mod job;
pub mod verify;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::Client;

use crate::conn::{ConnSpec, Side, Snapshot, prepare_session};
use crate::engine::{self, Cancel, Chunk, Finish, ProgressSink, RunOptions, Strategy, TableSource};
use crate::error::{PgResultExt, Result};
use crate::sql::QualifiedName;

pub use check::{Checked, MappedTable, Unmapped};
pub use error::{MapError, Problem, ProblemKind};
pub use file::{Mapping, StrategyChoice};
pub use job::Locking;

/// SQL applied to the target before the data (`--schema-file`).
#[derive(Debug, Clone)]
pub struct SchemaFile {
    /// The file's name, for messages.
    pub name: String,
    pub sql: String,
}

/// Validated options of `pggraft map`.
#[derive(Debug, Clone)]
pub struct MapOptions {
    pub source: ConnSpec,
    pub target: ConnSpec,
    pub mapping: Mapping,
    /// `--strategy`: overrides every table's.
    pub strategy: Option<StrategyChoice>,
    pub schema_file: Option<SchemaFile>,
    pub locking: Locking,
    /// Load tables with a one-column key in key-range batches of about this
    /// many rows, each committed and recorded on its own, so that a run
    /// interrupted resumes ([`batches`]); `None`: all in one transaction.
    pub batch_rows: Option<u64>,
    /// Test hook (cargo feature `failpoints`): fail once the rows of this
    /// target table (its name) are written, before the commit.
    #[cfg(feature = "failpoints")]
    pub fail_on_table: Option<String>,
}

impl MapOptions {
    pub fn new(source: ConnSpec, target: ConnSpec, mapping: Mapping) -> MapOptions {
        MapOptions {
            source,
            target,
            mapping,
            strategy: None,
            schema_file: None,
            locking: Locking { lock_timeout: Duration::from_secs(5), lock_retries: 5 },
            batch_rows: None,
            #[cfg(feature = "failpoints")]
            fail_on_table: None,
        }
    }
}

/// A strategy as reports name it.
pub fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::Copy { binary: true } => "copy (binary)",
        Strategy::Copy { binary: false } => "copy (text)",
        Strategy::InsertSelect => "server",
        Strategy::Foreign => "fdw",
    }
}

/// One mapped table, as `check` and `--dry-run` describe it.
#[derive(Debug, Clone, Serialize)]
pub struct TablePlan {
    pub target: QualifiedName,
    pub source: QualifiedName,
    pub strategy: &'static str,
    /// (target column, its expression over the source row).
    pub columns: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    pub key: Vec<String>,
    /// The source rows as one query.
    pub select: String,
}

/// What `check` found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub file: String,
    pub tables: Vec<TablePlan>,
    pub problems: Vec<Problem>,
    /// Source columns no target column reads.
    pub unmapped: Vec<Unmapped>,
    /// Target columns no entry fills (they take their defaults).
    pub defaults: Vec<(QualifiedName, String)>,
    /// The SQL a run would execute.
    pub script: String,
}

impl CheckReport {
    fn new(mapping: &Mapping, checked: &Checked, script: String) -> CheckReport {
        let tables = checked
            .tables
            .iter()
            .map(|t| TablePlan {
                target: t.target.clone(),
                source: t.source_label.clone(),
                strategy: strategy_name(t.strategy),
                columns: t.columns.iter().map(|c| (c.target.clone(), c.sql())).collect(),
                filter: t.filter.clone(),
                key: t.key.clone(),
                select: t.select_sql(),
            })
            .collect();
        CheckReport {
            file: mapping.file.clone(),
            tables,
            problems: checked.problems.clone(),
            unmapped: checked.unmapped.clone(),
            defaults: checked.defaults.clone(),
            script,
        }
    }
}

/// One table's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct TableRun {
    pub target: QualifiedName,
    pub source: QualifiedName,
    pub strategy: &'static str,
    /// The strategy was chosen by measuring a sample of each (`auto`).
    pub measured: bool,
    pub rows: u64,
    /// COPY bytes streamed (copy strategy).
    pub bytes: u64,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct MapReport {
    /// The connections, without passwords.
    pub source: String,
    pub target: String,
    /// `--schema-file`, `null` without one.
    pub schema_file: Option<String>,
    pub tables: Vec<TableRun>,
    /// Source columns no target column reads.
    pub unmapped: Vec<Unmapped>,
    /// Seconds the load transaction held its locks, and waited for them.
    pub held_seconds: f64,
    pub lock_wait_seconds: f64,
    /// With `--batch-rows`: how many batches, how many an earlier run had
    /// loaded, and whether this run resumed one; `null` otherwise.
    pub batches: Option<BatchReport>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    pub batches: usize,
    pub done_before: usize,
    pub resumed: bool,
}

impl MapReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

async fn session(spec: &ConnSpec, side: Side, begin: &str) -> Result<Client> {
    let c = spec.connect().await.map_err(|e| e.on(side))?;
    prepare_session(&c).await.map_err(|e| e.on(side))?;
    c.batch_execute(begin).await.ctx("starting a transaction").map_err(|e| e.on(side))?;
    Ok(c)
}

/// Starts the target transaction of a check or run: the schema file
/// applied in it first, when there is one.
async fn target_transaction(opts: &MapOptions, read_only: bool) -> Result<Client> {
    let begin = match (&opts.schema_file, read_only) {
        (None, true) => "BEGIN READ ONLY".to_string(),
        // The schema file runs as psql would run it: with the role's and
        // database's own search_path.
        _ => format!(
            "BEGIN; SET LOCAL lock_timeout = {}; SET LOCAL search_path TO DEFAULT",
            opts.locking.lock_timeout.as_millis()
        ),
    };
    let c = session(&opts.target, Side::Target, &begin).await?;
    if let Some(f) = &opts.schema_file {
        c.batch_execute(&f.sql)
            .await
            .ctx(format!("applying --schema-file {} (nothing of it was kept)", f.name))
            .map_err(|e| e.on(Side::Target))?;
    }
    Ok(c)
}

fn context(opts: &MapOptions) -> check::CheckContext {
    check::CheckContext {
        same_database: opts.source.same_database(&opts.target),
        strategy: opts.strategy,
    }
}

/// Sets up the fdw strategy's foreign tables in `dst`'s open transaction,
/// when a table uses it, and checks each such table's `INSERT … SELECT` on
/// the target (its expressions run there). Returns the setup as SQL that
/// may be printed.
async fn prepare_fdw(opts: &MapOptions, dst: &Client, checked: &mut Checked) -> Result<String> {
    let sources: BTreeSet<QualifiedName> = checked
        .tables
        .iter()
        .filter(|t| t.strategy == Strategy::Foreign)
        .filter_map(|t| match &t.source {
            TableSource::Relation(n) => Some(n.clone()),
            TableSource::Query { .. } => None,
        })
        .collect();
    if sources.is_empty() {
        return Ok(String::new());
    }
    let sources: Vec<QualifiedName> = sources.into_iter().collect();
    let staged = fdw::setup(dst, &opts.source, &sources).await.map_err(|e| e.on(Side::Target))?;
    for t in checked.tables.iter_mut().filter(|t| t.strategy == Strategy::Foreign) {
        if let TableSource::Relation(n) = &t.source {
            t.fdw_source = staged.get(n).cloned();
        }
        let task = job::task(t);
        let sql = format!(
            "INSERT INTO {} ({}) {}",
            t.target,
            task.target_columns(),
            task.select_sql(Chunk::Whole, true)
        );
        if let Err(msg) = check::probe(dst, dst.prepare(&sql)).await? {
            checked.problems.push(Problem::new(
                &opts.mapping.file,
                opts.mapping.tables[t.entry].line,
                ProblemKind::Strategy,
                format!(
                    "table {}: the fdw strategy runs the mapping's expressions on the target,                      which refuses them: {msg}; use `copy`",
                    t.target
                ),
            ));
        }
    }
    Ok(format!(
        "-- on the target, in the transaction that checks the mapping (fdw strategy):\n{}\n",
        fdw::setup_script(&opts.source, &sources)
    ))
}

/// Checks the mapping against both databases (with the schema file applied
/// in a transaction that is rolled back) and writes nothing.
pub async fn check(opts: &MapOptions) -> Result<CheckReport> {
    let src =
        session(&opts.source, Side::Source, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
    // The fdw strategy's objects are created (and rolled back) to check them.
    let fdw = opts.strategy == Some(StrategyChoice::Fdw)
        || opts.mapping.tables.iter().any(|t| t.strategy == StrategyChoice::Fdw);
    let dst = target_transaction(opts, !fdw).await?;
    let mut checked = check::check(&src, &dst, &opts.mapping, context(opts)).await?;
    let mut script = prepare_fdw(opts, &dst, &mut checked).await?;
    let order = job::parents_first(&dst, &checked.tables).await?;
    script.push_str(&job::script(&checked.tables, &order));
    let _ = dst.batch_execute("ROLLBACK").await;
    let _ = src.batch_execute("ROLLBACK").await;
    Ok(CheckReport::new(&opts.mapping, &checked, script))
}

/// Runs the mapping: the schema file (if any) and the check in one target
/// transaction, committed only when the mapping fits; then every table's
/// rows from one source snapshot, in one more.
pub async fn run(
    opts: &MapOptions,
    progress: &dyn ProgressSink,
    cancel: Option<Cancel>,
) -> Result<MapReport> {
    run_in(opts, progress, cancel, None, None).await
}

/// SQL a producer adds to the load transaction, made from the checked
/// mapping (`follow` records the follow's state with the rows).
pub(crate) type After<'a> = &'a (dyn Fn(&Checked) -> Result<String> + Sync);

/// The mapping checked against both databases as a run would see it
/// (no fdw objects set up), for a producer that needs the tables first.
pub(crate) async fn checked(opts: &MapOptions) -> Result<Checked> {
    let src =
        session(&opts.source, Side::Source, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
    let dst = target_transaction(opts, true).await?;
    let checked = check::check(&src, &dst, &opts.mapping, context(opts)).await?;
    let _ = dst.batch_execute("ROLLBACK").await;
    let _ = src.batch_execute("ROLLBACK").await;
    if !checked.problems.is_empty() {
        return Err(MapError::Invalid { problems: checked.problems }.into());
    }
    Ok(checked)
}

/// [`run`] in `snapshot` (a replication slot's, for `follow`) instead of
/// one of its own, with `after`'s SQL in the load transaction.
pub(crate) async fn run_in(
    opts: &MapOptions,
    progress: &dyn ProgressSink,
    cancel: Option<Cancel>,
    snapshot: Option<Snapshot>,
    after: Option<After<'_>>,
) -> Result<MapReport> {
    let t0 = Instant::now();
    // `auto`: each strategy that can run is measured on a sample first
    // (before the run's own transactions, which would otherwise see the
    // sample's schema file and foreign tables collide with theirs).
    let auto = |entry: usize| {
        opts.strategy.is_none() && opts.mapping.tables[entry].strategy == StrategyChoice::Auto
    };
    let measured = if opts.strategy.is_none()
        && opts.mapping.tables.iter().any(|t| t.strategy == StrategyChoice::Auto)
    {
        Some(analyze::analyze(opts, analyze::AUTO_SAMPLE).await?)
    } else {
        None
    };
    let snapshot = match snapshot {
        Some(s) => s,
        None => Snapshot::export(&opts.source).await.map_err(|e| e.on(Side::Source))?,
    };
    // A slot's snapshot is held by its replication session: read in it
    // through a session that imports it.
    let imported;
    let holder = match snapshot.session() {
        Some(c) => c,
        None => {
            let name = snapshot.name().unwrap_or_default();
            imported = session(
                &opts.source,
                Side::Source,
                &format!(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}",
                    crate::sql::literal(name)
                ),
            )
            .await?;
            &imported
        }
    };
    let dst = target_transaction(opts, false).await?;
    let mut checked = check::check(holder, &dst, &opts.mapping, context(opts)).await?;
    for t in checked.tables.iter_mut().filter(|t| auto(t.entry)) {
        let m = measured.as_ref().and_then(|m| m.tables.iter().find(|a| a.target == t.target));
        if let Some(a) = m {
            t.strategy = analyze::chosen(t, a.chosen);
            t.measured = true;
        }
    }
    if checked.problems.is_empty() {
        prepare_fdw(opts, &dst, &mut checked).await?;
    }
    if !checked.problems.is_empty() {
        let _ = dst.batch_execute("ROLLBACK").await;
        return Err(MapError::Invalid { problems: checked.problems }.into());
    }
    let order = job::parents_first(&dst, &checked.tables).await?;
    let fp = batches::fingerprint(&checked.tables);
    let planned = match opts.batch_rows {
        Some(n) => Some(batches::plan(holder, &dst, &checked.tables, n.max(1), &fp).await?),
        None => None,
    };
    dst.batch_execute("COMMIT")
        .await
        .ctx(match &opts.schema_file {
            Some(f) => format!("committing --schema-file {}", f.name),
            None => "ending the check".to_string(),
        })
        .map_err(|e| e.on(Side::Target))?;
    drop(dst);

    let (mut job, mut load) = job::job(&checked.tables, &order, opts.locking);
    let mut batch_report = None;
    if let Some((list, resumed)) = &planned {
        // One group (one transaction) per batch not yet done, parents'
        // tables first.
        job.tables.clear();
        load.groups.clear();
        for &i in &order {
            for b in list.iter().filter(|b| b.table == i && !b.done) {
                job.tables.push(batches::task(&checked.tables[i], b));
                load.groups.push(batches::group(&checked.tables[i], b, job.tables.len() - 1, &fp));
            }
        }
        batch_report = Some(BatchReport {
            batches: list.len(),
            done_before: list.iter().filter(|b| b.done).count(),
            resumed: *resumed,
        });
    }
    if let Some(f) = after {
        let sql = f(&checked)?;
        if let Some(g) = load.groups.last_mut() {
            g.after.push(sql);
        }
    }
    job.source_search_path = Some(checked.search_path.clone());
    let run_opts = RunOptions {
        source: opts.source.clone(),
        target: opts.target.clone(),
        jobs: 1,
        index_jobs: 1,
        session_tag: format!("pggraft-map-{}_{}", std::process::id(), nanos()),
        cleanup_wait: crate::cleanup::DROP_RETRY_BUDGET,
        lock_wait: opts.locking.lock_timeout * (opts.locking.lock_retries + 1),
        #[cfg(feature = "failpoints")]
        fail_on_table: opts.fail_on_table.clone(),
    };
    let finish = Finish::Groups(load);
    let done = engine::run(&run_opts, job, snapshot, &finish, progress, cancel).await?;
    if planned.is_some() {
        let c = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
        batches::finish(&c, &fp).await.map_err(|e| e.on(Side::Target))?;
    }
    let members = || done.groups.iter().flat_map(|g| &g.members);
    let tables = checked
        .tables
        .iter()
        .map(|t| {
            let of = || members().filter(|m| m.table == t.target);
            TableRun {
                target: t.target.clone(),
                source: t.source_label.clone(),
                strategy: strategy_name(t.strategy),
                measured: t.measured,
                rows: of().map(|m| m.copied).sum(),
                bytes: of().map(|m| m.bytes).sum(),
            }
        })
        .collect();
    Ok(MapReport {
        source: opts.source.redacted(),
        target: opts.target.redacted(),
        schema_file: opts.schema_file.as_ref().map(|f| f.name.clone()),
        tables,
        unmapped: checked.unmapped,
        held_seconds: done.groups.iter().map(|g| g.held_seconds).sum(),
        lock_wait_seconds: done.groups.iter().map(|g| g.lock_wait_seconds).sum(),
        batches: batch_report,
        seconds: t0.elapsed().as_secs_f64(),
    })
}
