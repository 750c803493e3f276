//! Running a [`Job`]: structure first, in one target transaction; sequence
//! values from the snapshot; then data workers and statement workers fed by
//! the [`Scheduler`]; then the [`Finish`]. On failure or cancel the finish
//! undoes what was built.
//!
//! Workers take a client-side lock per table family (shared for `CREATE
//! INDEX`, exclusive otherwise, acquired in sorted order) so two statements
//! never lock the same tables in opposite orders on the server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{Notify, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use super::data::{copy_chunk, copy_stream, insert_select_chunk};
use super::finish::Finish;
use super::job::{Job, SequenceTask, Strategy, TableTask};
use super::ledger::Ledger;
use super::lock_wait::{Ddl, LockWait};
use super::progress::{Cancel, ProgressSink, Tracker};
use super::scheduler::{Next, Scheduler, Work};
use super::shared::{Claim, SharedTasks, chunk_task, statement_task};
use super::{EngineReport, RunOptions, TableReport};
use crate::conn::{Access, CHECK_CLIENT, Side, Snapshot, prepare_session};
use crate::error::{Error, PgResultExt, Result};
use crate::plan::Stmt;
use crate::rowhash::{Kind, RowSums, StreamHasher};
use crate::sql::literal;

/// Runs `job` from `snapshot` into the target and finishes it (see the
/// module docs). The snapshot is released once the data is in.
pub async fn run(
    opts: &RunOptions,
    job: Job,
    snapshot: Snapshot,
    finish: &Finish,
    progress: &dyn ProgressSink,
    cancel: Option<Cancel>,
) -> Result<EngineReport> {
    let built = AtomicBool::new(false);
    let joined = job.shared.as_ref().is_some_and(|s| s.joined);
    // Errors from the target's sessions say so unless they already name a
    // side (the copy's own errors name the side that failed).
    let ledger = Ledger::new(&job);
    let work = async {
        run_inner(opts, job, snapshot, finish, progress, &built, &ledger)
            .await
            .map_err(|e| e.on(Side::Target))
    };
    let result = match cancel {
        Some(c) => tokio::select! {
            r = work => r,
            _ = c => Err(Error::Interrupted(match finish {
                Finish::InPlace { .. } => "the load was stopped".into(),
                _ => "the target was left as it was".into(),
            })),
        },
        None => work.await,
    };
    // A load into existing tables is not undone: say what it left.
    let result = match (result, finish) {
        (Err(e), Finish::InPlace { .. }) => Err(ledger.explain(e)),
        (r, _) => r,
    };
    match result {
        Ok(r) => Ok(r),
        // A worker that joined another's run leaves what is built to it.
        Err(error) if joined => Err(error),
        Err(error) => {
            let built = built.load(Ordering::SeqCst);
            match finish.abort(&opts.target, &opts.session_tag, built, opts.cleanup_wait).await {
                Ok(()) => Err(error),
                Err(e) => Err(Error::LeftBehind {
                    error: Box::new(error),
                    schemas: finish.build_schemas(),
                    target: opts.target.redacted(),
                    reason: e.to_string(),
                }),
            }
        }
    }
}

/// Connects to the target as one of this run's sessions. They carry the
/// run's tag as `application_name` (how [`crate::cleanup`] tells a run in
/// progress from a dead one), and the server checks every 2 s that the
/// client is still there (PostgreSQL 14+), so a backend of a killed run
/// ends even while it waits for a lock, instead of making the run look
/// alive. Index builds get at least 256 MB of `maintenance_work_mem`, or
/// the target's own setting when that is larger (a server sized for big
/// sorts keeps its size); parallel maintenance workers are the target's
/// (`max_parallel_maintenance_workers`, 2 by default), left as they are.
pub(super) async fn target_session(opts: &RunOptions) -> Result<Client> {
    let c = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    prepare_session(&c).await?;
    c.batch_execute(&format!(
        "SET application_name = {}; SET synchronous_commit = off; \
         SELECT pg_catalog.set_config('maintenance_work_mem', greatest(setting::int8, 262144) \
           || 'kB', false) FROM pg_catalog.pg_settings WHERE name = 'maintenance_work_mem'; \
         SET check_function_bodies = off; {CHECK_CLIENT}",
        literal(&opts.session_tag)
    ))
    .await
    .ctx("preparing a target session")?;
    Ok(c)
}

async fn run_inner(
    opts: &RunOptions,
    job: Job,
    snapshot: Snapshot,
    finish: &Finish,
    progress: &dyn ProgressSink,
    structure_built: &AtomicBool,
    ledger: &Ledger,
) -> Result<EngineReport> {
    let mut report = EngineReport::default();
    let t0 = Instant::now();

    // 1. Structure, all or nothing, each statement under the lock wait.
    progress.phase("structure");
    let main = target_session(opts).await?;
    let pid = backend_pid(&main).await?;
    let minimal_wal = finish.fresh_tables() && wal_level(&main).await? == "minimal";
    let waits = LockWait::new(&opts.target, opts.lock_wait, &opts.session_tag);
    if !job.structure.is_empty() {
        let mut ddl: Vec<Ddl<'_>> = job.structure.iter().map(stmt_ddl).collect();
        // Recorded with the schemas, so nothing is ever built unrecorded.
        let marks = finish.mark_sql(&opts.session_tag, pid);
        ddl.extend(marks.iter().map(|sql| Ddl {
            sql,
            shown: sql,
            what: "recording the run".into(),
        }));
        // Set first: a COMMIT whose answer is lost may still have committed
        // (dropping what a rolled-back transaction never built is a no-op).
        structure_built.store(true, Ordering::SeqCst);
        waits.transaction(&main, pid, &ddl).await?;
    }
    report.phases.push(("structure".into(), t0.elapsed().as_secs_f64()));

    // 2. Sequence values, read in the snapshot.
    let t1 = Instant::now();
    if !job.sequences.is_empty() {
        let joined;
        let reader = match snapshot.session() {
            Some(c) => c,
            None => {
                joined = snapshot.join(&opts.source, "").await.map_err(|e| e.on(Side::Source))?;
                &joined
            }
        };
        report.sequences = copy_sequences(reader, &main, &job.sequences).await?;
    }

    // Which tables are hashed as they stream (checked against the source).
    let plans = if matches!(finish, Finish::Groups(_)) {
        vec![None; job.tables.len()]
    } else {
        hash_plans(opts, &job, &snapshot, matches!(finish, Finish::Swap { .. })).await
    };

    // 3. Data and post-data.
    progress.phase("data");
    let total: u64 = job.tables.iter().map(|t| t.bytes).sum();
    progress.data_started(total, job.tables.len());
    let tracker = Tracker::new(progress, &job.tables);
    let mut job = job;
    // Tasks shared with other processes: claimed on a session of their own.
    let tasks = job.shared.take();
    let claims = match tasks.as_deref() {
        Some(t) => {
            let c = target_session(opts).await?;
            t.open(&c).await?;
            Some((t, c))
        }
        None => None,
    };
    if let Finish::Groups(load) = finish {
        // Group by group, each in one transaction; then the statements
        // (materialized views), which read the refreshed tables.
        let settings = job.source_settings();
        let done =
            super::groups::run(opts, &job.tables, load, &snapshot, &settings, progress).await?;
        report.tables = group_tables(&job.tables, load, &done);
        report.groups = done;
        job.tables.clear();
        report.phases.push(("data".into(), t1.elapsed().as_secs_f64()));
    }
    let t2 = Instant::now();
    let source_settings = job.source_settings();
    let shared = Arc::new(Shared {
        state: Mutex::new(Scheduler::new(&job)),
        notify: Notify::new(),
        sums: Mutex::new(vec![RowSums::default(); job.tables.len()]),
        target_sums: Mutex::new(vec![None; job.tables.len()]),
        #[cfg(feature = "failpoints")]
        tamper_after_load: job.tamper_after_load.clone(),
        partial: Mutex::new(vec![false; job.tables.len()]),
        tables: job.tables,
        locks: Mutex::new(HashMap::new()),
        plans,
    });
    // Only a swap's build tables are read back while the job runs: nobody
    // else can write them before they are swapped into place.
    let read_back = matches!(finish, Finish::Swap { .. });
    let loaded = run_workers(
        opts,
        shared.clone(),
        (&snapshot, &source_settings),
        (finish.fresh_tables(), read_back),
        (&tracker, claims.as_ref().map(|(t, c)| (*t, c))),
        &waits,
        ledger,
    )
    .await?;
    // Every task is done, here or elsewhere: who did what is read while
    // this process still holds its claims (the finish drops the queue).
    if let Some((t, c)) = &claims {
        report.shared = Some(t.report(c).await?);
        t.close(c).await?;
    }
    {
        let sums = shared.sums.lock().expect("sums lock");
        let target = shared.target_sums.lock().expect("sums lock");
        let partial = shared.partial.lock().expect("partial lock");
        for (i, t) in shared.tables.iter().enumerate() {
            // A table partly copied elsewhere was partly hashed here.
            if shared.plans[i].is_some() && !partial[i] {
                report.source_sums.insert(t.label.clone(), sums[i]);
            }
            if let Some(s) = target[i] {
                report.target_sums.insert(t.label.clone(), s);
            }
            // Loaded whole, in the truncating transaction (see `load_chunk`).
            if minimal_wal && t.chunks.len() == 1 {
                report.wal_skipped.push(t.target.clone());
            }
        }
    }
    if !matches!(finish, Finish::Groups(_)) {
        report.tables = loaded;
    }
    report.tables.sort_by(|a, b| a.source.cmp(&b.source));
    snapshot.release().await.map_err(|e| e.on(Side::Source))?;
    match finish {
        Finish::Groups(_) => report.phases.push(("statements".into(), t2.elapsed().as_secs_f64())),
        _ => report.phases.push(("data and indexes".into(), t1.elapsed().as_secs_f64())),
    }

    // 4. Finish: once, by whichever process sharing the job gets here
    // first (the others wait for it on the lock, then find it done).
    if let Some((t, _)) = &claims {
        let todo = t.lock_finish(&main).await?;
        let done = if todo { finish.complete(&main, pid, &waits).await } else { Ok(()) };
        t.unlock_finish(&main).await;
        done?;
        if let Some(r) = &mut report.shared {
            r.finished_here = todo;
        }
    } else if let Finish::Swap { .. } = finish {
        progress.phase("rename");
        let t2 = Instant::now();
        finish.complete(&main, pid, &waits).await?;
        report.phases.push(("rename".into(), t2.elapsed().as_secs_f64()));
    } else {
        finish.complete(&main, pid, &waits).await?;
    }
    Ok(report)
}

/// One report per table task of a group run (rows streamed into it).
fn group_tables(
    tables: &[TableTask],
    load: &super::GroupLoad,
    done: &[super::GroupReport],
) -> Vec<TableReport> {
    let mut out = vec![];
    for (g, r) in load.groups.iter().zip(done) {
        for (m, mr) in g.members.iter().zip(&r.members) {
            let Some(&first) = m.tasks.first() else { continue };
            out.push(TableReport {
                source: tables[first].label.clone(),
                target: m.table.clone(),
                rows: mr.copied,
                bytes: mr.bytes,
                seconds: r.held_seconds,
            });
        }
    }
    out
}

/// A planned statement as DDL run under the lock wait.
fn stmt_ddl(s: &Stmt) -> Ddl<'_> {
    Ddl { sql: s.executable(), shown: &s.sql, what: format!("creating {} {}", s.what, s.object) }
}

/// The target's `wal_level` (`minimal`, `replica` or `logical`).
async fn wal_level(c: &Client) -> Result<String> {
    Ok(c.query_one("SELECT current_setting('wal_level')", &[])
        .await
        .ctx("reading the target's wal_level")?
        .get(0))
}

async fn backend_pid(c: &Client) -> Result<i32> {
    Ok(c.query_one("SELECT pg_backend_pid()", &[]).await.ctx("reading the backend pid")?.get(0))
}

/// Copies sequence values (`setval`) read inside the snapshot.
async fn copy_sequences(reader: &Client, target: &Client, seqs: &[SequenceTask]) -> Result<usize> {
    for batch in seqs.chunks(200) {
        let union: Vec<String> = batch
            .iter()
            .enumerate()
            .map(|(i, s)| format!("SELECT {i} AS i, last_value, is_called FROM {}", s.source))
            .collect();
        let rows = reader
            .query(&union.join(" UNION ALL "), &[])
            .await
            .ctx("reading sequence values")
            .map_err(|e| e.on(Side::Source))?;
        let mut sets = vec![];
        for r in rows {
            let i: i32 = r.get(0);
            let v: i64 = r.get(1);
            let called: bool = r.get(2);
            let dst = &batch[i as usize].build;
            sets.push(format!(
                "SELECT setval({}::regclass, {v}, {called})",
                literal(&dst.to_string())
            ));
        }
        if !sets.is_empty() {
            target.batch_execute(&sets.join(";")).await.ctx("setting sequence values")?;
        }
    }
    Ok(seqs.len())
}

struct Shared {
    state: Mutex<Scheduler>,
    notify: Notify,
    tables: Vec<TableTask>,
    locks: Mutex<HashMap<String, Arc<RwLock<()>>>>,
    /// Per table: how its rows are hashed as they stream, if they are.
    plans: Vec<Option<Vec<Kind>>>,
    /// Per table: the hash sums of its chunks loaded so far.
    sums: Mutex<Vec<RowSums>>,
    /// Per table: the sums of the target table, read back once loaded.
    target_sums: Mutex<Vec<Option<RowSums>>>,
    #[cfg(feature = "failpoints")]
    tamper_after_load: Option<(String, String)>,
    /// Per table: some of its chunks were copied by another process.
    partial: Mutex<Vec<bool>>,
}

/// Which of the job's tables are hashed as they stream: those it names,
/// when a probe has shown that this client hashes a row of every kind as
/// the source server does (a server of other byte order, or whose text
/// reaches the client converted to another encoding, would not; their
/// tables are then hashed by the servers, as before). Insert-select tables
/// it names are hashed on both sides by the server once loaded, when
/// `read_back`.
async fn hash_plans(
    opts: &RunOptions,
    job: &Job,
    snapshot: &Snapshot,
    read_back: bool,
) -> Vec<Option<Vec<Kind>>> {
    let binary = |t: &TableTask| matches!(t.strategy, Strategy::Copy { binary: true });
    let streams = job.tables.iter().any(|t| binary(t) && job.stream_hash.contains_key(&t.label));
    let probed = streams
        && match probe(opts, snapshot).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::debug!("the source hashes rows otherwise: no hashing as rows stream");
                false
            }
            Err(e) => {
                tracing::debug!(
                    "probing the source's row hash failed ({e}): no hashing as rows stream"
                );
                false
            }
        };
    job.tables
        .iter()
        .map(|t| {
            let hashed =
                if binary(t) { probed } else { read_back && t.strategy == Strategy::InsertSelect };
            job.stream_hash.get(&t.label).filter(|_| hashed).cloned()
        })
        .collect()
}

/// Whether the source's `hash_record_extended` of a row of every kind is
/// what [`StreamHasher`] makes of the same row's binary COPY.
async fn probe(opts: &RunOptions, snapshot: &Snapshot) -> Result<bool> {
    use futures_util::StreamExt;
    let joined;
    let c = match snapshot.session() {
        Some(c) => c,
        None => {
            joined = snapshot.join(&opts.source, "").await.map_err(|e| e.on(Side::Source))?;
            &joined
        }
    };
    let (select, kinds) = crate::rowhash::probe_sql();
    let row = c
        .query_one(
            &format!(
                "SELECT pg_catalog.hash_record_extended(ROW(p.*), 0) FROM (SELECT {select}) AS p"
            ),
            &[],
        )
        .await
        .ctx("probing the source's row hash")?;
    let server: i64 = row.get(0);
    let stream = c
        .copy_out(format!("COPY (SELECT {select}) TO STDOUT (FORMAT binary)").as_str())
        .await
        .ctx("probing the source's row hash")?;
    futures_util::pin_mut!(stream);
    let mut h = StreamHasher::new(kinds);
    while let Some(buf) = stream.next().await {
        let buf = buf.ctx("probing the source's row hash")?;
        if h.feed(&buf).is_err() {
            return Ok(false);
        }
    }
    Ok(h.finish().is_ok_and(|s| s.rows == 1 && s.sum == i128::from(server)))
}

enum Guard {
    Read(#[allow(dead_code)] OwnedRwLockReadGuard<()>),
    Write(#[allow(dead_code)] OwnedRwLockWriteGuard<()>),
}

impl Shared {
    fn next(&self, data_worker: bool) -> Next {
        self.state.lock().expect("scheduler lock").next(data_worker)
    }

    fn fail(&self, e: Error) {
        self.state.lock().expect("scheduler lock").fail(e);
        self.notify.notify_waiters();
    }

    async fn lock(&self, w: &Work) -> Vec<Guard> {
        let locks: Vec<Arc<RwLock<()>>> = {
            let mut m = self.locks.lock().expect("lock table");
            w.locks.iter().map(|k| m.entry(k.clone()).or_default().clone()).collect()
        };
        let mut guards = vec![];
        for l in locks {
            guards.push(if w.shared_lock {
                Guard::Read(l.read_owned().await)
            } else {
                Guard::Write(l.write_owned().await)
            });
        }
        guards
    }
}

/// What every worker shares.
struct Ctx<'a> {
    opts: &'a RunOptions,
    waits: &'a LockWait,
    ledger: &'a Ledger,
    shared: Arc<Shared>,
    snapshot: &'a Snapshot,
    /// Run in every transaction that reads the source ([`Job::source_settings`]).
    source_settings: &'a str,
    fresh: bool,
    /// Read each hashed table back from the target once it is loaded.
    read_back: bool,
    progress: &'a dyn ProgressSink,
    /// Tasks shared with other processes, and this process's claim session.
    claims: Option<(&'a SharedTasks, &'a Client)>,
}

async fn run_workers(
    opts: &RunOptions,
    shared: Arc<Shared>,
    (snapshot, source_settings): (&Snapshot, &str),
    (fresh, read_back): (bool, bool),
    (progress, claims): (&dyn ProgressSink, Option<(&SharedTasks, &Client)>),
    waits: &LockWait,
    ledger: &Ledger,
) -> Result<Vec<TableReport>> {
    // Workers run as futures polled here (not spawned tasks), so they may
    // borrow the options and the progress sink, and dropping this future
    // (on cancel) drops every worker and its connections at once.
    let ctx = Ctx {
        opts,
        waits,
        ledger,
        shared: shared.clone(),
        snapshot,
        source_settings,
        fresh,
        read_back,
        progress,
        claims,
    };
    let mut set = futures_util::stream::FuturesUnordered::new();
    let data_workers = if shared.tables.is_empty() { 0 } else { opts.jobs };
    for _ in 0..data_workers {
        set.push(worker(&ctx, true));
    }
    for _ in 0..opts.index_jobs {
        set.push(worker(&ctx, false));
    }
    use futures_util::StreamExt;
    while let Some(r) = set.next().await {
        if let Err(e) = r {
            shared.fail(e);
        }
    }
    drop(set);
    let mut s = shared.state.lock().expect("scheduler lock");
    if let Some(e) = s.take_error() {
        return Err(e);
    }
    Ok(shared
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| TableReport {
            source: t.label.clone(),
            target: t.target.clone(),
            rows: s.rows[i],
            bytes: s.bytes[i],
            seconds: s.finished[i],
        })
        .collect())
}

/// How long a worker waits before asking again for a task another process
/// holds.
const BUSY_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

async fn worker(ctx: &Ctx<'_>, data_worker: bool) -> Result<()> {
    let shared = &ctx.shared;
    let mut conns = Conns::default();
    loop {
        let notified = shared.notify.notified();
        match shared.next(data_worker) {
            Next::Stop => return Ok(()),
            Next::Wait => notified.await,
            Next::Data(t, c) => {
                let task = &shared.tables[t];
                if let Some((tasks, claims)) = ctx.claims {
                    match tasks.claim(claims, &chunk_task(&task.build, c)).await {
                        Ok(Claim::Mine) => {}
                        Ok(Claim::Done) => {
                            // Copied by another process: what waits for it may start.
                            shared.partial.lock().expect("partial lock")[t] = true;
                            let heap = task.chunk_bytes(c);
                            ctx.progress.chunk_done(&task.label, heap);
                            let done =
                                shared.state.lock().expect("scheduler lock").chunk_done(t, 0, heap);
                            if let Some((r, b)) = done {
                                ctx.progress.table_done(&task.label, r, b);
                            }
                            shared.notify.notify_waiters();
                            continue;
                        }
                        Ok(Claim::Busy) => {
                            shared.state.lock().expect("scheduler lock").requeue_data(t, c);
                            tokio::time::sleep(BUSY_PAUSE).await;
                            continue;
                        }
                        Err(e) => {
                            shared.fail(e);
                            return Ok(());
                        }
                    }
                }
                let mut attempt = 0;
                ctx.ledger.started(t);
                let result = loop {
                    match load_chunk(ctx, t, c, &mut conns).await {
                        // A chunk loads in one transaction, so losing a
                        // deadlock leaves nothing behind: roll back, retry.
                        Err(e)
                            if attempt < 3
                                && e.sqlstate() == Some(&SqlState::T_R_DEADLOCK_DETECTED) =>
                        {
                            attempt += 1;
                            conns.rollback().await;
                            if task.strategy != Strategy::InsertSelect {
                                // The source session's snapshot transaction is gone.
                                conns.source = None;
                            }
                        }
                        r => break r,
                    }
                };
                ctx.ledger.finished(t, result.is_ok());
                let rows = match result {
                    Ok((rows, _streamed, sums)) => {
                        if let Some(s) = sums {
                            shared.sums.lock().expect("sums lock")[t] += s;
                        }
                        rows
                    }
                    Err(e) => {
                        shared.fail(e);
                        return Ok(());
                    }
                };
                // Reports count heap bytes whatever the strategy (see `progress`).
                let heap = task.chunk_bytes(c);
                ctx.progress.chunk_done(&task.label, heap);
                let done = shared.state.lock().expect("scheduler lock").chunk_done(t, rows, heap);
                if let Some((r, b)) = done {
                    ctx.progress.table_done(&task.label, r, b);
                }
                shared.notify.notify_waiters();
                // The table's indexes are built now, by the statement
                // workers; meanwhile this worker reads its rows back, so the
                // verification overlaps the rest of the copy.
                let partial = shared.partial.lock().expect("partial lock")[t];
                if done.is_some() && ctx.read_back && shared.plans[t].is_some() && !partial {
                    // An insert-select's worker holds a session of the
                    // shared database; the read-back takes one more.
                    if conns.target.is_none() {
                        conns.target = Some(target_session(ctx.opts).await?);
                    }
                    #[cfg(feature = "failpoints")]
                    if let Some((table, sql)) = &shared.tamper_after_load
                        && *table == task.label.name
                        && let Some(c) = &conns.target
                    {
                        let sql = sql.replace("{table}", &task.build.to_string());
                        c.batch_execute(&sql).await.expect("the tamper hook's SQL");
                    }
                    let sums = if task.strategy == Strategy::InsertSelect {
                        // No rows passed the client: the source is hashed by
                        // the server too, in the snapshot, beside the copy.
                        futures_util::future::try_join(
                            source_sums(ctx, task, &conns),
                            read_back(task, &conns),
                        )
                        .await
                        .map(|(s, d)| (Some(s), d))
                    } else {
                        read_back(task, &conns).await.map(|d| (None, d))
                    };
                    match sums {
                        Ok((s, d)) => {
                            if let Some(s) = s {
                                shared.sums.lock().expect("sums lock")[t] = s;
                            }
                            shared.target_sums.lock().expect("sums lock")[t] = Some(d);
                        }
                        Err(e) => {
                            shared.fail(e);
                            return Ok(());
                        }
                    }
                }
            }
            Next::Work(i, w) => {
                // Shared: run only if this process holds it; the statement
                // and its done row commit together.
                let mut exec = None;
                if let Some((tasks, claims)) = ctx.claims {
                    let id = statement_task(&w.stmt.sql);
                    match tasks.claim(claims, &id).await {
                        Ok(Claim::Mine) => {
                            exec = Some(format!(
                                "{};\n{}",
                                w.stmt.executable(),
                                tasks.done_sql(&id, 0)
                            ));
                        }
                        Ok(Claim::Done) => {
                            shared.state.lock().expect("scheduler lock").work_done(i);
                            shared.notify.notify_waiters();
                            continue;
                        }
                        Ok(Claim::Busy) => {
                            shared.state.lock().expect("scheduler lock").requeue_work(i);
                            tokio::time::sleep(BUSY_PAUSE).await;
                            continue;
                        }
                        Err(e) => {
                            shared.fail(e);
                            return Ok(());
                        }
                    }
                }
                if conns.target.is_none() {
                    let c = target_session(ctx.opts).await?;
                    conns.target_pid = backend_pid(&c).await?;
                    conns.target = Some(c);
                }
                let client = conns.target.as_ref().expect("target");
                let mut ddl = stmt_ddl(&w.stmt);
                if let Some(sql) = &exec {
                    ddl.sql = sql;
                }
                let guards = shared.lock(&w).await;
                let mut attempt = 0;
                let outcome = loop {
                    match ctx.waits.run(client, conns.target_pid, &ddl).await {
                        Ok(()) => break Ok(()),
                        // Two statements may still deadlock on the server
                        // (its locks are finer than ours); the loser retries.
                        Err(e)
                            if attempt < 3
                                && e.sqlstate() == Some(&SqlState::T_R_DEADLOCK_DETECTED) =>
                        {
                            attempt += 1;
                        }
                        Err(e) => break Err(e),
                    }
                };
                drop(guards);
                if let Err(e) = outcome {
                    shared.fail(e);
                    return Ok(());
                }
                ctx.progress.statement_done(w.stmt.what, &w.stmt.object);
                shared.state.lock().expect("scheduler lock").work_done(i);
                shared.notify.notify_waiters();
            }
        }
    }
}

/// Counts and hashes a loaded build table as verify will hash its copy.
/// It takes only an ACCESS SHARE lock: the table's indexes build meanwhile.
async fn read_back(task: &TableTask, conns: &Conns) -> Result<RowSums> {
    let Some(c) = conns.target.as_ref() else {
        return Err(Error::Unsupported(format!("no target session to read back {}", task.build)));
    };
    let cols: Vec<String> = task.columns.iter().map(|c| c.target.clone()).collect();
    sums_of(c, &cols, &task.build, &format!("reading back {} to verify it", task.build)).await
}

/// Counts and hashes an insert-select table's source rows in the job's
/// snapshot, as [`read_back`] hashes its copy, on the worker's session of
/// the shared database.
async fn source_sums(ctx: &Ctx<'_>, task: &TableTask, conns: &Conns) -> Result<RowSums> {
    let (Some(c), super::job::TableSource::Relation(name)) = (conns.source.as_ref(), &task.source)
    else {
        return Err(Error::Unsupported(format!("no source session to hash {}", task.label)));
    };
    let cols: Vec<String> = task
        .columns
        .iter()
        .map(|c| match &c.expr {
            super::job::ColumnExpr::Column { name, .. } => name.clone(),
            super::job::ColumnExpr::Sql(sql) => sql.clone(),
        })
        .collect();
    ctx.snapshot.begin_on(c, Access::ReadOnly, ctx.source_settings).await?;
    let sums = sums_of(c, &cols, name, &format!("hashing {} to verify its copy", task.label)).await;
    c.batch_execute("COMMIT").await.ctx(format!("hashing {}", task.label))?;
    sums
}

/// `count(*)` and the typed hash sum of `table`'s `cols`.
async fn sums_of(
    c: &Client,
    cols: &[String],
    table: &crate::sql::QualifiedName,
    what: &str,
) -> Result<RowSums> {
    let sql = format!(
        "SELECT count(*), COALESCE(sum({}), 0)::pg_catalog.text FROM ONLY {table}",
        crate::rowhash::sql(cols),
    );
    let row = c.query_one(&sql, &[]).await.ctx(what)?;
    let sum: String = row.get(1);
    let sum = sum.parse().map_err(|_| Error::Unsupported(format!("{what}: sum {sum:?}")))?;
    Ok(RowSums { rows: row.get(0), sum })
}

/// A data worker's sessions, opened on first use and kept.
#[derive(Default)]
struct Conns {
    target: Option<Client>,
    /// The target session's backend (what the lock watcher asks about).
    target_pid: i32,
    /// A source session in the snapshot (copy), or a session of the shared
    /// database (insert-select: each chunk imports the snapshot itself).
    source: Option<Client>,
}

impl Conns {
    async fn rollback(&self) {
        for conn in [&self.target, &self.source].into_iter().flatten() {
            let _ = conn.batch_execute("ROLLBACK").await;
        }
    }
}

/// Loads chunk `c` of table `t`: (rows, bytes streamed, the rows' hash
/// sums when the table is hashed as it streams).
async fn load_chunk(
    ctx: &Ctx<'_>,
    t: usize,
    c: usize,
    conns: &mut Conns,
) -> Result<(u64, u64, Option<RowSums>)> {
    let task = &ctx.shared.tables[t];
    let chunk = task.chunks[c];
    if c == 0 {
        ctx.progress.table_started(&task.label, task.bytes);
    }
    #[cfg(feature = "failpoints")]
    if ctx.opts.fail_on_table.as_deref() == Some(task.label.name.as_str()) {
        return Err(Error::input(format!("injected failure while copying {}", task.label)));
    }
    let whole = task.chunks.len() == 1;
    let fresh = whole && ctx.fresh;
    // Shared: the chunk's done row commits with its rows.
    let mark = |rows: u64| match ctx.claims {
        Some((tasks, _)) => {
            format!("{}; COMMIT", tasks.done_sql(&chunk_task(&task.build, c), rows))
        }
        None => "COMMIT".to_string(),
    };
    match task.strategy {
        Strategy::InsertSelect => {
            // One session of the shared database; each chunk imports the
            // snapshot in a transaction of its own.
            if conns.source.is_none() {
                conns.source = Some(target_session(ctx.opts).await?);
            }
            let conn = conns.source.as_ref().expect("session");
            let mut extra =
                if fresh { format!("TRUNCATE ONLY {}", task.build) } else { String::new() };
            if !ctx.source_settings.is_empty() {
                if !extra.is_empty() {
                    extra.push_str("; ");
                }
                extra.push_str(ctx.source_settings);
            }
            ctx.snapshot.begin_on(conn, Access::ReadWrite, &extra).await?;
            let rows = insert_select_chunk(conn, task, chunk).await?;
            conn.batch_execute(&mark(rows)).await.ctx(format!("committing {}", task.build))?;
            Ok((rows, task.chunk_bytes(c), None))
        }
        Strategy::Foreign => {
            // The target reads the source through its foreign tables.
            if conns.target.is_none() {
                conns.target = Some(target_session(ctx.opts).await?);
            }
            let conn = conns.target.as_ref().expect("target");
            let begin = if fresh {
                format!("BEGIN; TRUNCATE ONLY {}", task.build)
            } else {
                "BEGIN".to_string()
            };
            conn.batch_execute(&begin).await.ctx(format!("loading {}", task.build))?;
            let rows = insert_select_chunk(conn, task, chunk).await?;
            conn.batch_execute(&mark(rows)).await.ctx(format!("committing {}", task.build))?;
            Ok((rows, task.chunk_bytes(c), None))
        }
        Strategy::Copy { binary } => {
            if conns.source.is_none() {
                let s = ctx
                    .snapshot
                    .join(&ctx.opts.source, ctx.source_settings)
                    .await
                    .map_err(|e| e.on(Side::Source))?;
                conns.source = Some(s);
            }
            if conns.target.is_none() {
                conns.target = Some(target_session(ctx.opts).await?);
            }
            let src = conns.source.as_ref().expect("source");
            let dst = conns.target.as_ref().expect("target");
            let mut hasher = ctx.shared.plans[t].clone().map(StreamHasher::new);
            let (rows, bytes) = if ctx.claims.is_some() {
                // One transaction, whole or not, so that the done row goes with the rows.
                let what = || format!("copying {} into {}", task.label, task.build);
                let begin = if fresh {
                    format!("BEGIN; TRUNCATE ONLY {}", task.build)
                } else {
                    "BEGIN".to_string()
                };
                dst.batch_execute(&begin).await.ctx(what())?;
                let (rows, bytes) = copy_stream(
                    src,
                    dst,
                    task,
                    chunk,
                    binary,
                    fresh,
                    ctx.progress,
                    hasher.as_mut(),
                )
                .await?;
                dst.batch_execute(&mark(rows)).await.ctx(what())?;
                (rows, bytes)
            } else {
                copy_chunk(src, dst, task, chunk, binary, fresh, ctx.progress, hasher.as_mut())
                    .await?
            };
            let sums = match hasher.map(StreamHasher::finish) {
                Some(Ok(s)) => Some(s),
                Some(Err(e)) => {
                    return Err(Error::Unsupported(format!(
                        "hashing the rows of {} as they stream: {e}",
                        task.label
                    )));
                }
                None => None,
            };
            Ok((rows, bytes, sums))
        }
    }
}
