//! Running a clone plan.
//!
//! Structure first, in one target transaction. Then one scheduler hands out
//! data chunks (largest tables first) to the `jobs` data workers and
//! post-data statements to the `index_jobs` statement workers: a statement
//! becomes ready once the statements it depends on are done and the data of
//! every table it touches is in, so a table's indexes build while other
//! tables still copy. Workers take a client-side lock per table (shared for
//! `CREATE INDEX`, exclusive otherwise, acquired in sorted order) so two
//! statements never lock the same tables in opposite orders on the server.
//! At the end the build schemas are renamed into place in one transaction;
//! on any failure or cancel they are dropped, so the target is as before.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::{Notify, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};
use tokio_postgres::Client;

use super::data::{copy_chunk, insert_select_chunk};
use super::plan::{ClonePlan, TableTask};
use super::{Cancel, CloneOptions, CloneReport, Progress, Strategy, TableReport};
use crate::conn::prepare_session;
use crate::error::{Error, PgResultExt, Result, describe_pg_error};
use crate::plan::Stmt;
use crate::sql::{ident, literal};

/// Connects to the target as one of this clone's sessions.
async fn target_session(opts: &CloneOptions, tag: &str) -> Result<Client> {
    let c = opts.target.connect().await?;
    prepare_session(&c).await?;
    c.batch_execute(&format!(
        "SET application_name = {}; SET synchronous_commit = off; \
         SET maintenance_work_mem = '256MB'; SET check_function_bodies = off",
        literal(tag)
    ))
    .await
    .ctx("preparing a target session")?;
    Ok(c)
}

/// A read-only source session inside the clone's snapshot.
async fn snapshot_session(opts: &CloneOptions, snapshot: &str) -> Result<Client> {
    let c = opts.source.connect().await?;
    prepare_session(&c).await?;
    c.batch_execute(&format!(
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT {}",
        literal(snapshot)
    ))
    .await
    .ctx("importing the source snapshot")?;
    Ok(c)
}

/// Runs a clone plan. On failure or cancel, everything built is dropped.
pub async fn run_clone(
    opts: &CloneOptions,
    plan: ClonePlan,
    progress: &dyn Progress,
    cancel: Option<Cancel>,
) -> Result<CloneReport> {
    let tag = plan.session_tag.clone();
    let builds: Vec<String> = plan.schemas.iter().map(|s| s.build.clone()).collect();
    let new_ext = plan.new_extensions.clone();
    let data_only = opts.data_only;
    let work = run_inner(opts, plan, progress);
    let result = match cancel {
        Some(c) => tokio::select! {
            r = work => r,
            _ = c => Err(Error::input("interrupted; the target was left as it was")),
        },
        None => work.await,
    };
    if result.is_err()
        && !data_only
        && let Err(e) = cleanup(opts, &tag, &builds, &new_ext).await
    {
        tracing::error!("cleaning up after a failed clone: {e}");
    }
    result
}

/// Drops what a failed clone built (its sessions first, so their locks go).
pub async fn cleanup(
    opts: &CloneOptions,
    tag: &str,
    builds: &[String],
    extensions: &[String],
) -> Result<()> {
    let c = opts.target.connect().await?;
    c.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND pid <> pg_backend_pid()",
        &[&tag],
    )
    .await
    .ctx("stopping this clone's sessions")?;
    for b in builds {
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(b)))
            .await
            .ctx(format!("dropping build schema {b}"))?;
    }
    for e in extensions {
        let _ = c.batch_execute(&format!("DROP EXTENSION IF EXISTS {}", ident(e))).await;
    }
    Ok(())
}

async fn run_inner(
    opts: &CloneOptions,
    mut plan: ClonePlan,
    progress: &dyn Progress,
) -> Result<CloneReport> {
    let mut report = CloneReport {
        schemas: plan.final_map(),
        strategy: match plan.strategy {
            Strategy::InsertSelect => "insert-select".into(),
            _ => "copy".into(),
        },
        warnings: plan.warnings.clone(),
        ..Default::default()
    };
    for s in plan.pre_data.iter().chain(plan.post_data.iter()) {
        if s.provides.is_some() {
            *report.objects.entry(s.what.to_string()).or_default() += 1;
        }
    }
    let tag = plan.session_tag.clone();
    let t0 = Instant::now();

    // 1. Structure, all or nothing.
    progress.phase("structure");
    let main = target_session(opts, &tag).await?;
    if !plan.pre_data.is_empty() {
        main.batch_execute("BEGIN").await.ctx("starting the structure transaction")?;
        for s in &plan.pre_data {
            if let Err(e) = main.batch_execute(&s.sql).await {
                let _ = main.batch_execute("ROLLBACK").await;
                return Err(statement_error(s, &e));
            }
        }
        main.batch_execute("COMMIT").await.ctx("committing the structure")?;
    }
    report.phases.push(("structure".into(), t0.elapsed().as_secs_f64()));

    // 2. Sequence values, read in the snapshot.
    let holder =
        plan.holder.take().ok_or_else(|| Error::Unsupported("clone plan already used".into()))?;
    let t1 = Instant::now();
    report.sequences = copy_sequences(&holder, &main, &plan.sequences).await?;

    // 3. Data and post-data.
    progress.phase("data");
    let total: u64 = plan.tables.iter().map(|t| t.bytes).sum();
    progress.data_started(total, plan.tables.len());
    let snapshot = plan.snapshot.clone().unwrap_or_default();
    let sched = Scheduler::new(&plan);
    let shared = Arc::new(Shared {
        state: Mutex::new(sched),
        notify: Notify::new(),
        tables: plan.tables.clone(),
        locks: Mutex::new(HashMap::new()),
    });
    report.tables = run_workers(opts, &plan, shared, &snapshot, &tag, progress).await?;
    report.tables.sort_by(|a, b| a.source.cmp(&b.source));
    holder.batch_execute("COMMIT").await.ctx("closing the source snapshot")?;
    report.phases.push(("data and indexes".into(), t1.elapsed().as_secs_f64()));

    // 4. Into place.
    if !opts.data_only {
        progress.phase("rename");
        let t2 = Instant::now();
        let mut sql = String::from("BEGIN;");
        // Extensions living in a schema about to be replaced (including
        // ones this clone just created there) move into the copy first:
        // dropping the old schema must not take them, and the copied
        // columns that use their types, along.
        let replaced: Vec<String> =
            plan.schemas.iter().filter(|s| s.replace).map(|s| s.target.clone()).collect();
        let exts = main
            .query(
                "SELECT n.nspname::text, e.extname::text, e.extrelocatable FROM pg_extension e \
                 JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = ANY($1)",
                &[&replaced],
            )
            .await
            .ctx("listing extensions in replaced schemas")?;
        for s in &plan.schemas {
            for r in exts.iter().filter(|r| r.get::<_, String>(0) == s.target) {
                let e: String = r.get(1);
                if !r.get::<_, bool>(2) {
                    return Err(Error::input(format!(
                        "target schema {:?} holds extension {e:?}, which cannot be moved aside while \
                         the schema is replaced; install it in another schema on the target",
                        s.target
                    )));
                }
                sql.push_str(&format!(
                    " ALTER EXTENSION {} SET SCHEMA {};",
                    ident(&e),
                    ident(&s.build)
                ));
            }
            if s.replace {
                sql.push_str(&format!(" DROP SCHEMA IF EXISTS {} CASCADE;", ident(&s.target)));
            }
            sql.push_str(&format!(
                " ALTER SCHEMA {} RENAME TO {};",
                ident(&s.build),
                ident(&s.target)
            ));
        }
        sql.push_str(" COMMIT;");
        if let Err(e) = main.batch_execute(&sql).await {
            let _ = main.batch_execute("ROLLBACK").await;
            return Err(Error::db("renaming the copy into place", e));
        }
        report.phases.push(("rename".into(), t2.elapsed().as_secs_f64()));
    }
    Ok(report)
}

fn statement_error(s: &Stmt, e: &tokio_postgres::Error) -> Error {
    let first = s.sql.lines().next().unwrap_or_default();
    Error::Db {
        context: format!("creating {} {} (statement: {first})", s.what, s.object),
        message: describe_pg_error(e),
        pg: None,
    }
}

/// Copies sequence values (`setval`) read inside the snapshot.
async fn copy_sequences(
    holder: &Client,
    target: &Client,
    seqs: &[(crate::sql::QualifiedName, crate::sql::QualifiedName)],
) -> Result<usize> {
    for batch in seqs.chunks(200) {
        let union: Vec<String> = batch
            .iter()
            .enumerate()
            .map(|(i, (s, _))| format!("SELECT {i} AS i, last_value, is_called FROM {s}"))
            .collect();
        let rows =
            holder.query(&union.join(" UNION ALL "), &[]).await.ctx("reading sequence values")?;
        let mut sets = vec![];
        for r in rows {
            let i: i32 = r.get(0);
            let v: i64 = r.get(1);
            let called: bool = r.get(2);
            let (_, dst) = &batch[i as usize];
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

/// A unit of post-data work.
#[derive(Clone)]
struct Work {
    stmt: Stmt,
    /// Data key this marks as loaded when done (materialized view refresh).
    loads: Option<String>,
    /// Relation keys to lock, and whether shared.
    locks: Vec<String>,
    shared_lock: bool,
}

struct Scheduler {
    data: VecDeque<(usize, usize)>,
    chunks_left: Vec<usize>,
    rows: Vec<u64>,
    bytes: Vec<u64>,
    started: Vec<Option<Instant>>,
    finished: Vec<f64>,
    work: Vec<Work>,
    waiting: Vec<usize>,
    dependents: Vec<Vec<usize>>,
    key_waiters: HashMap<String, Vec<usize>>,
    ready: VecDeque<usize>,
    remaining: usize,
    error: Option<Error>,
}

impl Scheduler {
    fn new(plan: &ClonePlan) -> Scheduler {
        let mut data = VecDeque::new();
        for (i, t) in plan.tables.iter().enumerate() {
            for c in 0..t.chunks.len() {
                data.push_back((i, c));
            }
        }
        let table_keys: BTreeSet<String> = plan.tables.iter().map(|t| t.key.clone()).collect();
        let mv_keys: BTreeSet<String> = plan.matviews.iter().map(|m| m.key.clone()).collect();
        let mut work: Vec<Work> = vec![];
        for m in &plan.matviews {
            let mut deps = vec![m.key.clone()];
            deps.extend(m.after.iter().cloned());
            deps.extend(table_keys.iter().cloned());
            work.push(Work {
                stmt: Stmt {
                    section: crate::plan::Section::PostData,
                    phase: 0,
                    provides: None,
                    object: m.key.clone(),
                    deps,
                    what: "refresh",
                    sql: format!("REFRESH MATERIALIZED VIEW {}", m.build),
                },
                loads: Some(m.key.clone()),
                locks: vec![m.key.clone()],
                shared_lock: false,
            });
        }
        // Members of each partition/inheritance tree, by root.
        let mut members: HashMap<&String, Vec<String>> = HashMap::new();
        for (k, root) in &plan.family {
            members.entry(root).or_default().push(k.clone());
        }
        let root_of = |k: &String| plan.family.get(k).cloned().unwrap_or_else(|| k.clone());
        for s in &plan.post_data {
            let mut locks: BTreeSet<String> = BTreeSet::new();
            for k in s.deps.iter().chain(std::iter::once(&s.object)) {
                if table_keys.contains(k) || mv_keys.contains(k) || k.starts_with("relation ") {
                    locks.insert(root_of(k));
                } else if let Some(rel) = plan.touches.get(k) {
                    locks.insert(root_of(rel));
                }
            }
            // Wait for the data of every member of the trees it touches.
            let mut deps = s.deps.clone();
            for root in &locks {
                deps.extend(members.get(root).into_iter().flatten().cloned());
            }
            let mut stmt = s.clone();
            stmt.deps = deps;
            work.push(Work {
                stmt,
                loads: None,
                locks: locks.into_iter().collect(),
                shared_lock: s.what == "index",
            });
        }
        let mut providers: HashMap<&str, usize> = HashMap::new();
        for (i, w) in work.iter().enumerate() {
            if let Some(p) = &w.stmt.provides {
                providers.entry(p.as_str()).or_insert(i);
            }
        }
        let data_keys: BTreeSet<&String> = table_keys.iter().chain(mv_keys.iter()).collect();
        let mut waiting = vec![0usize; work.len()];
        let mut dependents: Vec<Vec<usize>> = vec![vec![]; work.len()];
        let mut key_waiters: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, w) in work.iter().enumerate() {
            let mut need_keys: BTreeSet<&String> = BTreeSet::new();
            let mut need_work: BTreeSet<usize> = BTreeSet::new();
            for k in w.stmt.deps.iter().chain(std::iter::once(&w.stmt.object)).chain(w.locks.iter())
            {
                if data_keys.contains(k) && w.loads.as_ref() != Some(k) {
                    need_keys.insert(k);
                }
                if let Some(&p) = providers.get(k.as_str())
                    && p != i
                {
                    need_work.insert(p);
                }
            }
            for k in need_keys {
                key_waiters.entry(k.clone()).or_default().push(i);
                waiting[i] += 1;
            }
            for p in need_work {
                dependents[p].push(i);
                waiting[i] += 1;
            }
        }
        let ready: VecDeque<usize> = (0..work.len()).filter(|i| waiting[*i] == 0).collect();
        let n = plan.tables.len();
        let remaining = data.len() + work.len();
        let mut s = Scheduler {
            data,
            chunks_left: plan.tables.iter().map(|t| t.chunks.len()).collect(),
            rows: vec![0; n],
            bytes: vec![0; n],
            started: vec![None; n],
            finished: vec![0.0; n],
            work,
            waiting,
            dependents,
            key_waiters,
            ready,
            remaining,
            error: None,
        };
        // Tables without data tasks never "load": release what waits on them.
        let loaded_now: Vec<String> = s
            .key_waiters
            .keys()
            .filter(|k| !table_keys.contains(*k) && !mv_keys.contains(*k))
            .cloned()
            .collect();
        for k in loaded_now {
            s.key_loaded(&k);
        }
        s
    }

    fn key_loaded(&mut self, key: &str) {
        if let Some(ws) = self.key_waiters.remove(key) {
            for w in ws {
                self.waiting[w] -= 1;
                if self.waiting[w] == 0 {
                    self.ready.push_back(w);
                }
            }
        }
    }

    fn work_done(&mut self, i: usize) {
        self.remaining -= 1;
        for d in std::mem::take(&mut self.dependents[i]) {
            self.waiting[d] -= 1;
            if self.waiting[d] == 0 {
                self.ready.push_back(d);
            }
        }
        if let Some(k) = self.work[i].loads.clone() {
            self.key_loaded(&k);
        }
    }
}

struct Shared {
    state: Mutex<Scheduler>,
    notify: Notify,
    tables: Vec<TableTask>,
    locks: Mutex<HashMap<String, Arc<RwLock<()>>>>,
}

enum Job {
    Data(usize, usize),
    Work(usize, Work),
    Wait,
    Stop,
}

enum Guard {
    Read(#[allow(dead_code)] OwnedRwLockReadGuard<()>),
    Write(#[allow(dead_code)] OwnedRwLockWriteGuard<()>),
}

impl Shared {
    fn next(&self, data_worker: bool) -> Job {
        let mut s = self.state.lock().expect("scheduler lock");
        if s.error.is_some() {
            return Job::Stop;
        }
        if data_worker && let Some((t, c)) = s.data.pop_front() {
            if s.started[t].is_none() {
                s.started[t] = Some(Instant::now());
            }
            return Job::Data(t, c);
        }
        if let Some(i) = s.ready.pop_front() {
            return Job::Work(i, s.work[i].clone());
        }
        if s.remaining == 0 { Job::Stop } else { Job::Wait }
    }

    fn fail(&self, e: Error) {
        let mut s = self.state.lock().expect("scheduler lock");
        if s.error.is_none() {
            s.error = Some(e);
        }
        drop(s);
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

async fn run_workers(
    opts: &CloneOptions,
    plan: &ClonePlan,
    shared: Arc<Shared>,
    snapshot: &str,
    tag: &str,
    progress: &dyn Progress,
) -> Result<Vec<TableReport>> {
    // Workers run as futures polled here (not spawned tasks), so they may
    // borrow the options and the progress sink, and dropping this future
    // (on cancel) drops every worker and its connections at once.
    let mut set = futures_util::stream::FuturesUnordered::new();
    let insert_select = plan.strategy == Strategy::InsertSelect;
    let data_workers = if plan.tables.is_empty() { 0 } else { opts.jobs };
    for _ in 0..data_workers {
        set.push(worker(opts, shared.clone(), snapshot, tag, true, insert_select, progress));
    }
    for _ in 0..opts.index_jobs {
        set.push(worker(opts, shared.clone(), snapshot, tag, false, insert_select, progress));
    }
    use futures_util::StreamExt;
    while let Some(r) = set.next().await {
        if let Err(e) = r {
            shared.fail(e);
        }
    }
    let mut s = shared.state.lock().expect("scheduler lock");
    if let Some(e) = s.error.take() {
        return Err(e);
    }
    Ok(shared
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| TableReport {
            source: t.source.clone(),
            target: t.target.clone(),
            rows: s.rows[i],
            bytes: s.bytes[i],
            seconds: s.finished[i],
        })
        .collect())
}

async fn worker(
    opts: &CloneOptions,
    shared: Arc<Shared>,
    snapshot: &str,
    tag: &str,
    data_worker: bool,
    insert_select: bool,
    progress: &dyn Progress,
) -> Result<()> {
    let mut target: Option<Client> = None;
    let mut source: Option<Client> = None;
    loop {
        let notified = shared.notify.notified();
        match shared.next(data_worker) {
            Job::Stop => return Ok(()),
            Job::Wait => notified.await,
            Job::Data(t, c) => {
                let task = &shared.tables[t];
                let mut attempt = 0;
                let result = loop {
                    let conns = Conns { target: &mut target, source: &mut source, tag, snapshot };
                    match load_chunk(opts, task, c, insert_select, conns, progress).await {
                        // A chunk loads in one transaction, so losing a
                        // deadlock leaves nothing behind: roll back, retry.
                        Err(e) if attempt < 3 && is_deadlock(&e) => {
                            attempt += 1;
                            for conn in [&target, &source].into_iter().flatten() {
                                let _ = conn.batch_execute("ROLLBACK").await;
                            }
                            if !insert_select {
                                // The source session's snapshot transaction is gone.
                                source = None;
                            }
                        }
                        r => break r,
                    }
                };
                let (rows, bytes) = match result {
                    Ok(x) => x,
                    Err(e) => {
                        shared.fail(e);
                        return Ok(());
                    }
                };
                progress.chunk_done(&task.source, task.bytes / task.chunks.len() as u64);
                let mut s = shared.state.lock().expect("scheduler lock");
                s.rows[t] += rows;
                s.bytes[t] += bytes;
                s.chunks_left[t] -= 1;
                s.remaining -= 1;
                if s.chunks_left[t] == 0 {
                    s.finished[t] = s.started[t].map(|x| x.elapsed().as_secs_f64()).unwrap_or(0.0);
                    let key = task.key.clone();
                    s.key_loaded(&key);
                    let (r, b) = (s.rows[t], s.bytes[t]);
                    drop(s);
                    progress.table_done(&task.source, r, b);
                } else {
                    drop(s);
                }
                shared.notify.notify_waiters();
            }
            Job::Work(i, w) => {
                if target.is_none() {
                    target = Some(target_session(opts, tag).await?);
                }
                let client = target.as_ref().expect("target");
                let guards = shared.lock(&w).await;
                let mut attempt = 0;
                let outcome = loop {
                    match client.batch_execute(&w.stmt.sql).await {
                        Ok(()) => break Ok(()),
                        // Two statements may still deadlock on the server
                        // (its locks are finer than ours); the loser retries.
                        Err(e)
                            if attempt < 3
                                && e.code()
                                    == Some(
                                        &tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED,
                                    ) =>
                        {
                            attempt += 1;
                        }
                        Err(e) => break Err(statement_error(&w.stmt, &e)),
                    }
                };
                drop(guards);
                if let Err(e) = outcome {
                    shared.fail(e);
                    return Ok(());
                }
                progress.statement_done(w.stmt.what, &w.stmt.object);
                shared.state.lock().expect("scheduler lock").work_done(i);
                shared.notify.notify_waiters();
            }
        }
    }
}

fn is_deadlock(e: &Error) -> bool {
    matches!(e, Error::Db { pg: Some(pg), .. }
        if pg.code() == Some(&tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED))
}

/// A data worker's sessions, opened on first use and kept.
struct Conns<'a> {
    target: &'a mut Option<Client>,
    source: &'a mut Option<Client>,
    tag: &'a str,
    snapshot: &'a str,
}

async fn load_chunk(
    opts: &CloneOptions,
    task: &TableTask,
    c: usize,
    insert_select: bool,
    conns: Conns<'_>,
    progress: &dyn Progress,
) -> Result<(u64, u64)> {
    let chunk = task.chunks[c];
    if c == 0 {
        progress.table_started(&task.source, task.bytes);
    }
    if opts.fail_on_table.as_deref() == Some(task.source.name.as_str()) {
        return Err(Error::input(format!("injected failure while copying {}", task.source)));
    }
    let whole = task.chunks.len() == 1;
    if insert_select {
        // One session of the shared database; each chunk imports the
        // snapshot in a transaction of its own.
        if conns.source.is_none() {
            *conns.source = Some(target_session(opts, conns.tag).await?);
        }
        let conn = conns.source.as_ref().expect("session");
        let mut sql = format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT {}",
            literal(conns.snapshot)
        );
        if whole && !opts.data_only {
            sql.push_str(&format!("; TRUNCATE ONLY {}", task.build));
        }
        conn.batch_execute(&sql).await.ctx("importing the source snapshot")?;
        let rows = insert_select_chunk(conn, task, chunk).await?;
        conn.batch_execute("COMMIT").await.ctx(format!("committing {}", task.build))?;
        return Ok((rows, task.bytes / task.chunks.len() as u64));
    }
    if conns.source.is_none() {
        *conns.source = Some(snapshot_session(opts, conns.snapshot).await?);
    }
    if conns.target.is_none() {
        *conns.target = Some(target_session(opts, conns.tag).await?);
    }
    let src = conns.source.as_ref().expect("source");
    let dst = conns.target.as_ref().expect("target");
    let freeze = whole && !opts.data_only;
    copy_chunk(src, dst, task, chunk, freeze, progress).await
}
