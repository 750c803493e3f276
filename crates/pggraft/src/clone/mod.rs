//! `clone`: the first producer of engine jobs. It reads the source model in
//! the job's snapshot, leaves out what the filters exclude, renames, renders
//! and orders the structure, checks the target ([`prepare`]), and turns the
//! result into a [`Job`](crate::engine::Job) whose [`Finish`] swaps the
//! temporary schemas into place (or loads in place for `--data-only`).
//! Running it is the engine's business ([`run`]). It owns the clone's
//! options and report; it leaves introspection to [`crate::catalog`],
//! renaming to [`crate::rename`] and moving rows to [`crate::engine`].

mod checks;
mod extensions;
pub(crate) mod filter;
mod prepare;
mod resume;
mod roles;
mod servers;
pub(crate) mod sessions;
mod steps;
mod tasks;
mod unlogged;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::conn::{ConnSpec, Snapshot};
use crate::engine::{self, Cancel, Finish, Job, ProgressSink, RunOptions, SchemaSwap, TableReport};
use crate::error::Result;
use crate::rename::Naming;
use crate::select::{Pattern, TableFilter, TablePattern};

pub(crate) use filter::exclude_relations;
pub use prepare::prepare;
pub(crate) use prepare::prepare_in;
pub use resume::{KeptTable, ResumeReport};
pub use roles::RolesReport;
pub use steps::CloneSection;
pub(crate) use unlogged::unlog;

/// How table data moves, as the user chose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyChoice {
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
    pub exclude_schemas: Vec<Pattern>,
    /// `-t` / `-T`.
    pub tables: TableFilter,
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
    /// With `drop_if_exists`: also drop objects outside the replaced
    /// schemas that depend on them (otherwise the clone refuses, naming
    /// them).
    pub drop_cascade: bool,
    pub owners: bool,
    pub privileges: bool,
    pub comments: bool,
    /// `--roles`: create on the target the roles the copied objects need
    /// and it lacks (see [`roles`]).
    pub roles: bool,
    /// With `roles`: copy their passwords when the source lets us read them
    /// (`--no-role-passwords` turns it off).
    pub role_passwords: bool,
    /// `--owner-map OLD=NEW`: objects owned by OLD on the source are owned
    /// by NEW on the target (NEW must exist there).
    pub owner_map: BTreeMap<String, String>,
    /// `--role-map OLD=NEW`: privileges granted to OLD are granted to NEW.
    pub role_map: BTreeMap<String, String>,
    pub strategy: StrategyChoice,
    /// `--snapshot NAME`: read the source in this snapshot, held by another
    /// process (`pggraft snapshot`), instead of exporting one.
    pub snapshot: Option<String>,
    /// `--section`: one part of the clone, into the final names (see
    /// [`steps`]); `All` builds under temporary names and swaps.
    pub section: CloneSection,
    /// `--resume`: go on with the killed clone stored in the target (see
    /// [`resume`]).
    pub resume: bool,
    /// `--worker`: join the clone in progress stored in the target, in its
    /// snapshot, and take some of its tasks ([`crate::engine::shared`]).
    pub worker: bool,
    /// This process's name in the task records (default: from its pid).
    pub worker_name: Option<String>,
    /// Hash the rows as they are copied, for the verification that follows
    /// ([`crate::verify::VerifyOptions::after_clone`]): source rows as they
    /// stream through, each target table as soon as it is loaded, while
    /// other tables are still copying. Off when nothing will verify the copy.
    pub hash_rows: bool,
    /// `--unlogged`: create the copy's tables `UNLOGGED` (no WAL for their
    /// rows; emptied by a crash of the target's server; see [`unlogged`]).
    pub unlogged: bool,
    /// Create no extension on the target (pgcopydb's `--skip-extensions`):
    /// those the copied objects use must be there already; the others are
    /// named in the report.
    pub skip_extensions: bool,
    /// Create an extension in the target's default version when the
    /// source's version is not available there (with a warning).
    pub any_extension_version: bool,
    /// Kinds the model leaves out that the user said to leave out (pg_dump's
    /// `--no-tablespaces`, `--no-publications`, `--no-security-labels`,
    /// `--no-subscriptions`): left out without a warning.
    pub left_out: Vec<crate::catalog::UnmodelledKind>,
    /// How long a failed clone keeps trying to remove what it built while
    /// the target cannot be reached (a restart, a failover).
    pub cleanup_wait: std::time::Duration,
    /// How long one DDL statement on the target may wait for its locks,
    /// over all its tries (`--lock-wait-timeout`).
    pub lock_wait: std::time::Duration,
    /// Test hook (cargo feature `failpoints`): fail when copying the table
    /// of this source name, to prove that a failed clone leaves the target
    /// as it was.
    #[cfg(feature = "failpoints")]
    pub fail_on_table: Option<String>,
    /// Test hook: once the table whose source name is `.0` is loaded, and
    /// before it is read back for the verification, run `.1` on the target
    /// with `{table}` standing for the build table (a copy gone wrong).
    #[cfg(feature = "failpoints")]
    pub tamper_after_load: Option<(String, String)>,
}

impl CloneOptions {
    pub fn new(source: ConnSpec, target: ConnSpec) -> CloneOptions {
        CloneOptions {
            source,
            target,
            naming: Naming::default(),
            exclude_schemas: vec![],
            tables: TableFilter::default(),
            exclude_table_data: vec![],
            schema_only: false,
            data_only: false,
            jobs: 4,
            index_jobs: 4,
            split_larger_than: None,
            drop_if_exists: false,
            drop_cascade: false,
            owners: true,
            privileges: true,
            comments: true,
            roles: false,
            role_passwords: true,
            owner_map: BTreeMap::new(),
            role_map: BTreeMap::new(),
            strategy: StrategyChoice::Auto,
            snapshot: None,
            section: CloneSection::All,
            resume: false,
            worker: false,
            worker_name: None,
            hash_rows: true,
            unlogged: false,
            skip_extensions: false,
            any_extension_version: false,
            left_out: vec![],
            cleanup_wait: crate::cleanup::DROP_RETRY_BUDGET,
            lock_wait: crate::engine::lock_wait::DEFAULT_LOCK_WAIT,
            #[cfg(feature = "failpoints")]
            fail_on_table: None,
            #[cfg(feature = "failpoints")]
            tamper_after_load: None,
        }
    }
}

/// Everything a clone will do, decided before anything is written.
pub struct PreparedClone {
    /// Source schema → final target schema.
    pub schema_map: BTreeMap<String, String>,
    pub same_database: bool,
    /// Rows move by `INSERT … SELECT` inside the server.
    pub insert_select: bool,
    pub job: Job,
    pub finish: Finish,
    pub warnings: Vec<String>,
    /// The snapshot every reader shares, held until the data is in.
    pub snapshot: Snapshot,
    /// `application_name` of every target session.
    pub session_tag: String,
    /// Data and statement workers: the options', lowered to what the
    /// servers' connection limits allow.
    pub jobs: usize,
    pub index_jobs: usize,
    /// What `--roles` creates and finds.
    pub roles: RolesReport,
    /// SQL run on the target once the job is done (a section's record).
    pub after: Option<String>,
    /// A resumable clone's record (see [`resume`]).
    pub resume: Option<ResumeState>,
}

/// What a resumable clone records as it goes.
pub struct ResumeState {
    pub run_id: String,
    /// The snapshot its rows come from.
    pub snapshot: Option<String>,
    /// Each table task's source label and build table.
    pub tables: Vec<(crate::sql::QualifiedName, String)>,
    /// With `--resume`: what was kept, checked and copied again.
    pub report: ResumeReport,
    /// The SQL that removes the record when the run fails.
    pub forget: String,
}

impl PreparedClone {
    /// The strategy chosen for every table.
    pub fn strategy(&self) -> StrategyChoice {
        if self.insert_select { StrategyChoice::InsertSelect } else { StrategyChoice::Copy }
    }

    /// The schemas and the names they are built under.
    pub fn schemas(&self) -> Vec<SchemaSwap> {
        match &self.finish {
            Finish::Swap { schemas, .. } => schemas.clone(),
            Finish::InPlace { .. } | Finish::Groups(_) => self
                .schema_map
                .iter()
                .map(|(s, t)| SchemaSwap {
                    source: s.clone(),
                    build: t.clone(),
                    target: t.clone(),
                    replace: false,
                    aside: None,
                    comment: None,
                })
                .collect(),
        }
    }

    /// The statements as a script (for `--dry-run`).
    pub fn script(&self) -> String {
        let ordered = crate::plan::Ordered {
            pre_data: self.job.structure.clone(),
            post_data: self.job.post_data.clone(),
            warnings: vec![],
        };
        crate::plan::script(&ordered)
    }
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
    /// Data workers the clone ran with (its verification uses as many).
    pub jobs: usize,
    /// Temporary schemas of earlier, interrupted runs that were removed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// With `--roles`: the roles created and those found.
    #[serde(skip_serializing_if = "RolesReport::is_empty")]
    pub roles: RolesReport,
    /// With `--resume`: the tables kept from the interrupted run (and the
    /// snapshot they came from), and those copied from the new snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<ResumeReport>,
    /// The tasks each process sharing the clone did (`--worker`), and
    /// whether this one ran the swap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<crate::engine::SharedReport>,
    /// With `--section`: the section that ran and its snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// Row counts and typed hash sums of the source tables whose rows were
    /// hashed as they streamed (by source name): the verification after
    /// the clone reads only their target side.
    #[serde(skip)]
    pub source_sums: BTreeMap<crate::sql::QualifiedName, crate::verify::RowSums>,
    /// The same of their copies, read back from the target as soon as each
    /// was loaded (before its indexes were built and the schemas swapped).
    #[serde(skip)]
    pub target_sums: BTreeMap<crate::sql::QualifiedName, crate::verify::RowSums>,
    /// With `--unlogged`: the copy's tables were created `UNLOGGED`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
    /// The tables whose rows were written without WAL, because the target
    /// runs `wal_level = minimal` and each was loaded in the transaction
    /// that gave it a new file (see [`engine::EngineReport::wal_skipped`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub wal_skipped: Vec<crate::sql::QualifiedName>,
}

impl CloneReport {
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
    pub fn total_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.bytes).sum()
    }
}

/// After Ctrl-C stopped a resumable run (its future dropped): ends its
/// sessions on the target, and says what is left and what to do. A worker
/// leaves the run's other processes alone; the first process's stop ends
/// its workers' sessions too (its snapshot, which they read, goes with it).
async fn stopped_resumable(
    opts: &CloneOptions,
    tag: &str,
    run_id: &str,
    build_schemas: &[String],
) -> crate::error::Error {
    use crate::error::Error;
    if opts.worker {
        return Error::Interrupted(
            "this worker was stopped; the clone goes on in its other processes (what this \
             worker had not committed is taken by them)"
                .into(),
        );
    }
    let Ok(c) = opts.target.connect().await else {
        return Error::Interrupted(
            "the clone was stopped; the target could not be reached to see what it kept: run \
             the same command plus --resume to go on, or without --resume to start fresh"
                .into(),
        );
    };
    let _ = c
        .execute(
            "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_catalog.pg_backend_pid()",
            &[&tag],
        )
        .await;
    // Until the backends are gone the run still counts as running.
    for _ in 0..100 {
        let left: i64 = match c
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE application_name = $1 \
                 AND pid <> pg_catalog.pg_backend_pid()",
                &[&tag],
            )
            .await
        {
            Ok(r) => r.get(0),
            Err(_) => break,
        };
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let kept: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = ANY($1)",
            &[&build_schemas],
        )
        .await
        .map(|r| r.get(0))
        .unwrap_or(1);
    let stored: bool = match c
        .query_one("SELECT to_regclass('pggraft.clone_runs') IS NOT NULL", &[])
        .await
        .map(|r| r.get::<_, bool>(0))
    {
        Ok(true) => c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pggraft.clone_runs WHERE run_id = $1)",
                &[&run_id],
            )
            .await
            .map(|r| r.get(0))
            .unwrap_or(true),
        _ => false,
    };
    if kept == 0 && !stored {
        return Error::Interrupted(
            "the clone was stopped before it had built anything (or after it was swapped into \
             place): the target was left as it was, or holds the complete copy"
                .into(),
        );
    }
    // A schema that receives an extension is built under its final name.
    let untouched = if build_schemas.iter().all(|b| crate::cleanup::is_build_schema(b)) {
        "the final schemas were not touched"
    } else {
        "the final schemas were not touched but for those built in place (they receive an \
         extension; the target's own schemas of those names are moved aside meanwhile)"
    };
    Error::Interrupted(format!(
        "the clone was stopped; {untouched}, and what was copied so far is kept in {}: run the \
         same command plus --resume to go on from there, or the same command without --resume \
         to start fresh (that removes what was kept, as `pggraft cleanup` does)",
        build_schemas.join(", ")
    ))
}

/// Runs a prepared clone. On failure, everything built is dropped; a
/// resumable clone stopped by `cancel` keeps it for `--resume`.
pub async fn run(
    opts: &CloneOptions,
    prepared: PreparedClone,
    progress: &dyn ProgressSink,
    cancel: Option<Cancel>,
) -> Result<CloneReport> {
    let mut report = CloneReport {
        schemas: prepared.schema_map.clone(),
        strategy: if prepared.insert_select { "insert-select" } else { "copy" }.into(),
        warnings: prepared.warnings.clone(),
        jobs: prepared.jobs,
        roles: prepared.roles.clone(),
        unlogged: opts.unlogged,
        section: opts
            .snapshot
            .as_ref()
            .filter(|_| opts.section != CloneSection::All)
            .map(|n| format!("{} under snapshot {n}", opts.section.as_str())),
        ..Default::default()
    };
    for s in prepared.job.structure.iter().chain(prepared.job.post_data.iter()) {
        if s.provides.as_deref() == Some(s.object.as_str()) {
            *report.objects.entry(s.what.to_string()).or_default() += 1;
        }
    }
    let run_opts = RunOptions {
        source: opts.source.clone(),
        target: opts.target.clone(),
        jobs: prepared.jobs,
        index_jobs: prepared.index_jobs,
        session_tag: prepared.session_tag.clone(),
        cleanup_wait: opts.cleanup_wait,
        lock_wait: opts.lock_wait,
        #[cfg(feature = "failpoints")]
        fail_on_table: opts.fail_on_table.clone(),
    };
    // A resumable run's record session first: connected, it keeps the
    // build schemas of the run it resumes from being taken for leftovers.
    let mut recorder = None;
    if let Some(r) = &prepared.resume {
        let (c, tx, rx) = resume::writer(&opts.target, &prepared.session_tag).await?;
        recorder = Some((c, tx, rx, r));
        if opts.resume {
            report.resumed = Some(r.report.clone());
        }
    }
    // Build schemas that interrupted runs left in the target go first.
    if !opts.data_only {
        match crate::cleanup::remove_stale(&opts.target, false).await {
            Ok(c) => report.removed = c.removed.into_iter().map(|s| s.schema).collect(),
            Err(e) => report
                .warnings
                .push(format!("could not remove temporary schemas left by interrupted runs: {e}")),
        }
    }
    let (done, forget, kept) = match recorder {
        None => (
            Box::pin(engine::run(
                &run_opts,
                prepared.job,
                prepared.snapshot,
                &prepared.finish,
                progress,
                cancel,
            ))
            .await,
            None,
            false,
        ),
        Some((c, tx, rx, r)) => {
            let sink = resume::Recording {
                inner: progress,
                tx,
                run_id: r.run_id.clone(),
                snapshot: r.snapshot.clone(),
                tables: r.tables.iter().cloned().collect(),
            };
            let writing = tokio::spawn(resume::write_all(c, rx));
            // Every schema it builds, under a temporary name or in place.
            let build_schemas: Vec<String> =
                prepared.schemas().into_iter().map(|s| s.build).collect();
            // A clone that hands over to a change stream (`follow`) stays
            // all or nothing: its slot goes when it stops.
            let keep = !matches!(prepared.snapshot.origin(), crate::conn::Origin::Slot { .. });
            // Ctrl-C stops a resumable run as kill -9 would, but cleanly:
            // its sessions end, what it built stays in its build schemas
            // with its record, and the final names are never touched. The
            // same command plus --resume goes on; without it, starts fresh.
            let (to_engine, here) = if keep { (None, cancel) } else { (cancel, None) };
            // Boxed: the engine's future is large, and so would be every
            // future that awaits this one (`follow::start`).
            let run = Box::pin(engine::run(
                &run_opts,
                prepared.job,
                prepared.snapshot,
                &prepared.finish,
                &sink,
                to_engine,
            ));
            let done = match here {
                Some(c) => tokio::select! {
                    r = run => r,
                    () = c => Err(Box::pin(stopped_resumable(
                        opts,
                        &prepared.session_tag,
                        &r.run_id,
                        &build_schemas,
                    ))
                    .await),
                },
                None => run.await,
            };
            drop(sink);
            let _ = writing.await;
            (done, Some(r.forget.clone()), keep)
        }
    };
    // A failed or stopped run dropped what it built: its record goes too.
    // One that could not (the target gone meanwhile) stays resumable.
    // A worker leaves the run to its other processes.
    let stopped = kept && matches!(done, Err(crate::error::Error::Interrupted(_)));
    if let (Err(e), Some(sql), false, false) = (&done, &forget, opts.worker, stopped)
        && !matches!(e, crate::error::Error::LeftBehind { .. })
        && let Ok(c) = opts.target.connect().await
        && let Err(e) = c.batch_execute(sql).await
    {
        tracing::debug!("could not remove the failed clone's record: {e}");
    }
    // The engine dropped what it built; the roles created in its structure
    // transaction go too (they are the clone's, not the engine's).
    let done = match done {
        Ok(d) => d,
        // Kept for --resume, roles too (a plain rerun finds them there).
        Err(e) if stopped => return Err(e),
        Err(e) => {
            roles::drop_created(&opts.target, &report.roles.created).await;
            return Err(e);
        }
    };
    if let Some(sql) = &prepared.after {
        let c = opts.target.connect().await.map_err(|e| e.on(crate::conn::Side::Target))?;
        c.batch_execute(sql).await.map_err(|e| {
            crate::error::Error::db("recording the section in pggraft.clone_steps", e)
                .on(crate::conn::Side::Target)
        })?;
    }
    report.tables = done.tables;
    report.sequences = done.sequences;
    report.phases = done.phases;
    report.source_sums = done.source_sums;
    report.target_sums = done.target_sums;
    report.workers = done.shared;
    report.wal_skipped = done.wal_skipped;
    report.wal_skipped.sort();
    Ok(report)
}
