//! Loading existing tables group by group, each group in one target
//! transaction ([`Finish::Groups`](super::Finish::Groups), refresh's finish).
//!
//! A group is the smallest set of tables that must change together: tables
//! joined by foreign keys, and the members of a partition or inheritance
//! tree. Its transaction locks every table first (with `lock_timeout`,
//! retried after a pause, so a long reader delays the refresh instead of the
//! refresh queueing every other reader behind it for long), then either
//! truncates the group and copies it anew ([`Apply::Replace`]) or merges
//! rows into it ([`Apply::Merge`]: the source's rows for the differing keys
//! are streamed into a temporary table, rows gone from the source deleted,
//! the others upserted). Readers of the group see its old rows until the
//! commit and its new rows after it, never an empty or half-loaded table;
//! foreign keys between its tables hold at every commit. A failure or a lost
//! connection rolls back the group in flight; groups committed earlier stay
//! refreshed, so every table is either as it was or fully refreshed.
//!
//! A truncated group's plain secondary indexes, and its primary keys and
//! unique constraints that no foreign key references, are dropped before
//! the rows go in and built again after, in the same transaction: cheaper
//! than maintaining them row by row, and invisible to readers, who wait for
//! the commit anyway. Indexes and keys anything else depends on (foreign
//! keys, partition trees, replica identity) are kept and maintained.
//!
//! User triggers of the group's tables are disabled inside the transaction
//! and put back as they were before it commits, so loading fires none of
//! them, as a clone's load fires none (a copy's `updated_at` trigger would
//! otherwise overwrite the values copied from the source).
//!
//! Which groups exist and what each member does is the producer's decision
//! (see `crate::refresh`); this file runs them.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use super::RunOptions;
use super::data::{copy_stream, insert_select_chunk};
use super::job::{Chunk, Strategy, TableTask};
use super::progress::ProgressSink;
use super::run::target_session;
use crate::conn::{Access, Side, Snapshot};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::{QualifiedName, ident, literal};

/// Keys deleted per `DELETE` statement.
const DELETE_BATCH: usize = 10_000;

/// The groups of a refresh and how their transactions take their locks.
#[derive(Debug, Clone)]
pub struct GroupLoad {
    pub groups: Vec<Group>,
    /// How long one attempt waits for a group's locks (`lock_timeout`).
    pub lock_timeout: Duration,
    /// Further attempts after the first one timed out; between attempts
    /// the readers that held the locks go on undisturbed.
    pub lock_retries: u32,
    /// Load with `session_replication_role = replica` (needs a superuser):
    /// foreign key checks are skipped. Only for groups whose rows come from
    /// one consistent snapshot of a source that enforced those keys, and
    /// whose keys point at no table outside the refresh.
    pub replica_role: bool,
}

/// Tables changed together in one transaction.
#[derive(Debug, Clone, Default)]
pub struct Group {
    /// Parents (referenced tables) before children: rows are inserted in
    /// this order and deleted in the reverse one.
    pub members: Vec<Member>,
    /// Truncated together, right after locking (empty: nothing is
    /// truncated). A partitioned table is truncated with its partitions,
    /// other tables `ONLY`.
    pub truncate: Vec<Truncate>,
    /// Statements run in the group's transaction once its rows are in,
    /// before the commit: the producer's own bookkeeping (map records a
    /// finished batch), which commits with the rows or not at all.
    pub after: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Truncate {
    pub table: QualifiedName,
    pub only: bool,
}

/// One table of a group.
#[derive(Debug, Clone)]
pub struct Member {
    /// The target table.
    pub table: QualifiedName,
    /// The job's table tasks whose rows this member takes (their `build` is
    /// the table itself, or for a merge the temporary table staging it).
    pub tasks: Vec<usize>,
    pub apply: Apply,
}

#[derive(Debug, Clone)]
pub enum Apply {
    /// All rows replaced: copied into the truncated table, or, when the
    /// group is not truncated (it also merges), after `DELETE FROM ONLY`.
    Replace,
    /// Rows of the given keys replaced or deleted.
    Merge(Merge),
    /// Rows inserted, none deleted: one part of a table loaded in several
    /// transactions (map's key-range batches).
    Insert,
}

/// What a merge changes: the tasks' rows are upserted by `key`, and the
/// rows with the keys in `delete` are deleted.
#[derive(Debug, Clone)]
pub struct Merge {
    /// Key columns (target names).
    pub key: Vec<String>,
    /// Their types on the target, to cast the key values given as text.
    pub key_types: Vec<String>,
    /// Columns set from the source row on a key conflict.
    pub update: Vec<String>,
    /// Keys (as text, in key column order) of rows to delete.
    pub delete: Vec<Vec<String>>,
}

/// What one group's transaction did.
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    pub tables: Vec<QualifiedName>,
    /// Attempts to take the locks (1: got them at once).
    pub attempts: u32,
    /// Seconds spent waiting for locks, over all attempts. While one waits,
    /// new readers of the group's tables queue behind it.
    pub lock_wait_seconds: f64,
    /// Seconds the locks were held, until the commit: how long readers of
    /// a truncated group could be blocked (a merge blocks only writers).
    pub held_seconds: f64,
    /// Whether readers were blocked while the locks were held (`ACCESS
    /// EXCLUSIVE`, for a truncated group) or only writers (merges).
    pub blocks_readers: bool,
    pub members: Vec<MemberReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberReport {
    pub table: QualifiedName,
    /// Rows streamed from the source.
    pub copied: u64,
    /// Bytes streamed (copy strategy).
    pub bytes: u64,
    pub deleted: u64,
    /// Rows inserted or updated by a merge.
    pub upserted: u64,
}

/// Runs every group, `opts.jobs` at a time, largest first. The first failure
/// stops the others (their transactions roll back when their sessions go).
pub(super) async fn run(
    opts: &RunOptions,
    tables: &[TableTask],
    load: &GroupLoad,
    snapshot: &Snapshot,
    source_settings: &str,
    progress: &dyn ProgressSink,
) -> Result<Vec<GroupReport>> {
    let bytes = |g: &Group| -> u64 {
        g.members.iter().flat_map(|m| &m.tasks).map(|&t| tables[t].bytes).sum()
    };
    let mut order: Vec<usize> = (0..load.groups.len()).collect();
    order.sort_by_key(|&g| std::cmp::Reverse(bytes(&load.groups[g])));
    let queue = Mutex::new(order.into_iter().collect::<VecDeque<_>>());
    let results: Mutex<Vec<Option<GroupReport>>> = Mutex::new(vec![None; load.groups.len()]);
    let workers = opts.jobs.clamp(1, load.groups.len().max(1));
    let ctx = Ctx { opts, tables, load, snapshot, source_settings, progress };
    let (ctx, queue, results) = (&ctx, &queue, &results);
    futures_util::future::try_join_all((0..workers).map(|_| async move {
        let mut w = Worker { dst: target_session(ctx.opts).await?, src: None };
        loop {
            let next = queue.lock().expect("group queue").pop_front();
            let Some(g) = next else { return Ok::<(), Error>(()) };
            let r = load_group(ctx, &mut w, &ctx.load.groups[g]).await?;
            results.lock().expect("group results")[g] = Some(r);
        }
    }))
    .await?;
    let done = std::mem::take(&mut *results.lock().expect("group results"));
    Ok(done.into_iter().map(|r| r.expect("every group ran")).collect())
}

struct Ctx<'a> {
    opts: &'a RunOptions,
    tables: &'a [TableTask],
    load: &'a GroupLoad,
    snapshot: &'a Snapshot,
    /// Run in every transaction that reads the source (`Job::source_settings`).
    source_settings: &'a str,
    progress: &'a dyn ProgressSink,
}

/// A worker's sessions: the target, and (copy strategy) a source session
/// reading the snapshot, opened on first use.
struct Worker {
    dst: Client,
    src: Option<Client>,
}

/// How an attempt ended.
enum Attempt {
    Done(Vec<MemberReport>),
    /// A lock was not granted within `lock_timeout`; nothing was changed.
    LockTimeout,
}

async fn load_group(ctx: &Ctx<'_>, w: &mut Worker, g: &Group) -> Result<GroupReport> {
    let tasks = g.members.iter().flat_map(|m| &m.tasks).map(|&t| &ctx.tables[t]);
    let insert_select = tasks.clone().any(|t| t.strategy == Strategy::InsertSelect);
    // A group may mix strategies (map's per-table choice): any copy task
    // needs a source session, whatever the others do.
    let copies = tasks.clone().any(|t| matches!(t.strategy, Strategy::Copy { .. }));
    if copies && w.src.is_none() {
        let s = ctx
            .snapshot
            .join(&ctx.opts.source, ctx.source_settings)
            .await
            .map_err(|e| e.on(Side::Source))?;
        w.src = Some(s);
    }
    let mut lock: BTreeSet<&QualifiedName> = g.members.iter().map(|m| &m.table).collect();
    lock.extend(g.truncate.iter().map(|t| &t.table));
    let names: Vec<QualifiedName> = lock.iter().map(|q| (*q).clone()).collect();
    let mut wait = Duration::ZERO;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let outcome = attempt(ctx, w, g, &names, insert_select, &mut waited).await;
        wait += waited;
        match outcome {
            Ok(Attempt::Done(members)) => {
                let held = started.elapsed().saturating_sub(waited).as_secs_f64();
                return Ok(GroupReport {
                    tables: names,
                    attempts,
                    lock_wait_seconds: wait.as_secs_f64(),
                    held_seconds: held,
                    blocks_readers: !g.truncate.is_empty(),
                    members,
                });
            }
            Ok(Attempt::LockTimeout) if attempts <= ctx.load.lock_retries => {
                // Let the readers that held the locks go on, then try again.
                let pause = Duration::from_millis(250 << attempts.min(6));
                tracing::info!(
                    "could not lock {} within {:?} (attempt {attempts}); retrying in {pause:?}",
                    list(&names),
                    ctx.load.lock_timeout
                );
                tokio::time::sleep(pause).await;
            }
            Ok(Attempt::LockTimeout) => {
                return Err(Error::LocksNotGranted {
                    tables: names.iter().map(|n| n.to_string()).collect(),
                    attempts,
                    timeout_ms: ctx.load.lock_timeout.as_millis() as u64,
                });
            }
            Err(e) => return Err(e),
        }
    }
}

/// One try at a group's transaction. Any error rolls it back.
async fn attempt(
    ctx: &Ctx<'_>,
    w: &Worker,
    g: &Group,
    names: &[QualifiedName],
    insert_select: bool,
    wait: &mut Duration,
) -> Result<Attempt> {
    let dst = &w.dst;
    let mut settings =
        format!("SET LOCAL lock_timeout = {}", ctx.load.lock_timeout.as_millis().max(1));
    if ctx.load.replica_role {
        settings.push_str("; SET LOCAL session_replication_role = replica");
    }
    if insert_select {
        // One database: the transaction that writes also reads the source,
        // so it imports the snapshot first, as its first statement must.
        if !ctx.source_settings.is_empty() {
            settings.push_str("; ");
            settings.push_str(ctx.source_settings);
        }
        ctx.snapshot.begin_on(dst, Access::ReadWrite, &settings).await?;
    } else {
        dst.batch_execute(&format!("BEGIN; {settings}"))
            .await
            .ctx("starting a refresh transaction")?;
    }
    let mode = if g.truncate.is_empty() { "SHARE ROW EXCLUSIVE" } else { "ACCESS EXCLUSIVE" };
    let t = Instant::now();
    let locked = dst.batch_execute(&format!("LOCK TABLE {} IN {mode} MODE", list(names))).await;
    *wait += t.elapsed();
    if let Err(e) = locked {
        let _ = dst.batch_execute("ROLLBACK").await;
        if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
            return Ok(Attempt::LockTimeout);
        }
        return Err(Error::db(format!("locking {}", list(names)), e).on(Side::Target));
    }
    match work(ctx, w, g).await {
        Ok(members) => {
            dst.batch_execute("COMMIT").await.ctx(format!("committing {}", list(names)))?;
            Ok(Attempt::Done(members))
        }
        Err(e) => {
            let _ = dst.batch_execute("ROLLBACK").await;
            if e.sqlstate() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                return Ok(Attempt::LockTimeout);
            }
            Err(e)
        }
    }
}

/// The group's changes, inside its transaction, with its locks held.
async fn work(ctx: &Ctx<'_>, w: &Worker, g: &Group) -> Result<Vec<MemberReport>> {
    let dst = &w.dst;
    let tables: Vec<String> = g.members.iter().map(|m| m.table.to_string()).collect();
    let restore = disable_triggers(dst, &tables).await?;
    if !g.truncate.is_empty() {
        let list: Vec<String> = g
            .truncate
            .iter()
            .map(|t| if t.only { format!("ONLY {}", t.table) } else { t.table.to_string() })
            .collect();
        dst.batch_execute(&format!("TRUNCATE {}", list.join(", ")))
            .await
            .ctx(format!("truncating {}", list.join(", ")))?;
    }
    let truncated = |q: &QualifiedName| g.truncate.iter().any(|t| &t.table == q);
    // Loading into a table's indexes costs far more than building them
    // afterwards (1M pgbench rows: 5.5 s with a secondary index, 3.2 s
    // when it is dropped and built again); the table is empty and locked
    // against readers anyway, so its plain indexes are rebuilt after.
    let rebuild = if g.truncate.is_empty() {
        vec![]
    } else {
        let reloaded: Vec<String> = g
            .members
            .iter()
            .filter(|m| truncated(&m.table) && matches!(m.apply, Apply::Replace))
            .map(|m| m.table.to_string())
            .collect();
        let mut rebuild = drop_free_keys(dst, &reloaded).await?;
        rebuild.extend(drop_plain_indexes(dst, &reloaded).await?);
        rebuild
    };
    let mut reports: Vec<MemberReport> = g
        .members
        .iter()
        .map(|m| MemberReport {
            table: m.table.clone(),
            copied: 0,
            bytes: 0,
            deleted: 0,
            upserted: 0,
        })
        .collect();
    // The source's rows of every merge, staged first.
    for (m, r) in g.members.iter().zip(reports.iter_mut()) {
        if let Apply::Merge(_) = &m.apply
            && let Some(&first) = m.tasks.first()
        {
            let stage = &ctx.tables[first].build;
            dst.batch_execute(&format!(
                "CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM ONLY {} WITH NO DATA",
                ident(&stage.name),
                ctx.tables[first].target_columns(),
                m.table
            ))
            .await
            .ctx(format!("staging the changed rows of {}", m.table))?;
            for &t in &m.tasks {
                let (rows, bytes) = load_task(ctx, w, &ctx.tables[t], false).await?;
                r.copied += rows;
                r.bytes += bytes;
            }
        }
    }
    // Deletes, children first.
    for (m, r) in g.members.iter().zip(reports.iter_mut()).rev() {
        match &m.apply {
            Apply::Replace if !truncated(&m.table) => {
                r.deleted += dst
                    .execute(&format!("DELETE FROM ONLY {}", m.table), &[])
                    .await
                    .ctx(format!("deleting the rows of {}", m.table))?;
            }
            Apply::Replace | Apply::Insert => {}
            Apply::Merge(mg) => r.deleted += delete_keys(dst, &m.table, mg).await?,
        }
    }
    // Inserts, parents first.
    for (m, r) in g.members.iter().zip(reports.iter_mut()) {
        match &m.apply {
            Apply::Replace | Apply::Insert => {
                let freeze =
                    matches!(m.apply, Apply::Replace) && truncated(&m.table) && m.tasks.len() == 1;
                for &t in &m.tasks {
                    let (rows, bytes) = load_task(ctx, w, &ctx.tables[t], freeze).await?;
                    r.copied += rows;
                    r.bytes += bytes;
                }
            }
            Apply::Merge(mg) => {
                if let Some(&first) = m.tasks.first() {
                    r.upserted += upsert(dst, &m.table, &ctx.tables[first], mg).await?;
                }
            }
        }
    }
    for stmt in &rebuild {
        dst.batch_execute(stmt).await.ctx("rebuilding an index after the reload")?;
    }
    // Test hook: fail once everything of the group is written, just before
    // the commit, to prove the transaction takes it all back.
    #[cfg(feature = "failpoints")]
    for m in &g.members {
        let label = m.tasks.first().map(|&t| &ctx.tables[t].label);
        if let Some(l) =
            label.filter(|l| ctx.opts.fail_on_table.as_deref() == Some(l.name.as_str()))
        {
            return Err(Error::input(format!("injected failure after writing {l}")));
        }
    }
    if !restore.is_empty() {
        dst.batch_execute(&restore.join("; ")).await.ctx("re-enabling triggers")?;
    }
    for stmt in &g.after {
        dst.batch_execute(stmt).await.ctx("recording the group's work")?;
    }
    Ok(reports)
}

/// Drops the primary key and unique constraints of `tables` that nothing
/// depends on (no foreign key references them, no partition tree shares
/// them; index named like the constraint, no comment on it, not the replica
/// identity or clustering index, default tablespace) and returns the
/// statements that add them again, with their comments.
async fn drop_free_keys(dst: &Client, tables: &[String]) -> Result<Vec<String>> {
    if tables.is_empty() {
        return Ok(vec![]);
    }
    let rows = dst
        .query(
            "SELECT k.conrelid::regclass::text, k.conname::text, \
                    pg_catalog.pg_get_constraintdef(k.oid), \
                    pg_catalog.obj_description(k.oid, 'pg_constraint') \
             FROM pg_catalog.pg_constraint k \
             JOIN pg_catalog.pg_index i ON i.indexrelid = k.conindid \
             JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             WHERE k.conrelid = ANY(SELECT pg_catalog.to_regclass(x) FROM unnest($1::text[]) x) \
             AND k.contype IN ('p', 'u') AND k.conparentid = 0 AND c.relname = k.conname \
             AND i.indisvalid AND NOT i.indisreplident AND NOT i.indisclustered \
             AND c.reltablespace = 0 \
             AND pg_catalog.obj_description(i.indexrelid, 'pg_class') IS NULL \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h \
                             WHERE h.inhrelid = i.indexrelid OR h.inhparent = i.indexrelid) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                             WHERE d.refclassid = 'pg_catalog.pg_class'::regclass \
                             AND d.refobjid = i.indexrelid) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                             WHERE d.refclassid = 'pg_catalog.pg_constraint'::regclass \
                             AND d.refobjid = k.oid \
                             AND NOT (d.classid = 'pg_catalog.pg_class'::regclass \
                                      AND d.objid = i.indexrelid)) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a \
                             WHERE a.attrelid = i.indexrelid AND a.attstattarget > 0) \
             ORDER BY 1, 2",
            &[&tables],
        )
        .await
        .ctx("listing the keys of the reloaded tables")?;
    let mut drop = vec![];
    let mut build = vec![];
    for r in rows {
        let (table, name, def, comment): (String, String, String, Option<String>) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        drop.push(format!("ALTER TABLE ONLY {table} DROP CONSTRAINT {}", ident(&name)));
        build.push(format!("ALTER TABLE ONLY {table} ADD CONSTRAINT {} {def}", ident(&name)));
        if let Some(c) = comment {
            build.push(format!(
                "COMMENT ON CONSTRAINT {} ON {table} IS {}",
                ident(&name),
                literal(&c)
            ));
        }
    }
    if !drop.is_empty() {
        dst.batch_execute(&drop.join("; ")).await.ctx("dropping keys before the reload")?;
    }
    Ok(build)
}

/// Drops the indexes of `tables` that nothing but their table depends on
/// (no constraint's, no partition tree's, not the replica identity or
/// clustering index, default tablespace, no per-column statistics target)
/// and returns the statements that build them again, with their comments.
async fn drop_plain_indexes(dst: &Client, tables: &[String]) -> Result<Vec<String>> {
    if tables.is_empty() {
        return Ok(vec![]);
    }
    let rows = dst
        .query(
            "SELECT i.indexrelid::regclass::text, pg_catalog.pg_get_indexdef(i.indexrelid), \
                    pg_catalog.obj_description(i.indexrelid, 'pg_class') \
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             WHERE i.indrelid = ANY(SELECT pg_catalog.to_regclass(x) FROM unnest($1::text[]) x) \
             AND i.indisvalid AND NOT i.indisreplident AND NOT i.indisclustered \
             AND c.reltablespace = 0 \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits h \
                             WHERE h.inhrelid = i.indexrelid OR h.inhparent = i.indexrelid) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d \
                             WHERE d.refclassid = 'pg_catalog.pg_class'::regclass \
                             AND d.refobjid = i.indexrelid) \
             AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a \
                             WHERE a.attrelid = i.indexrelid AND a.attstattarget > 0) \
             ORDER BY 1",
            &[&tables],
        )
        .await
        .ctx("listing the indexes of the reloaded tables")?;
    let mut drop = vec![];
    let mut build = vec![];
    for r in rows {
        let (name, def, comment): (String, String, Option<String>) = (r.get(0), r.get(1), r.get(2));
        drop.push(format!("DROP INDEX {name}"));
        build.push(def);
        if let Some(c) = comment {
            build.push(format!("COMMENT ON INDEX {name} IS {}", literal(&c)));
        }
    }
    if !drop.is_empty() {
        dst.batch_execute(&drop.join("; ")).await.ctx("dropping indexes before the reload")?;
    }
    Ok(build)
}

/// Disables the enabled user triggers of `tables` (in the caller's
/// transaction) and returns the statements that put them back as they were.
async fn disable_triggers(dst: &Client, tables: &[String]) -> Result<Vec<String>> {
    let rows = dst
        .query(
            "SELECT t.tgrelid::regclass::text, t.tgname::text, t.tgenabled::text \
             FROM pg_catalog.pg_trigger t WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' \
             AND t.tgrelid = ANY(SELECT pg_catalog.to_regclass(x) FROM unnest($1::text[]) x) \
             ORDER BY 1, 2",
            &[&tables],
        )
        .await
        .ctx("listing the triggers of the refreshed tables")?;
    let mut disable: Vec<String> = vec![];
    let mut restore = vec![];
    for r in rows {
        let (table, name, state): (String, String, String) = (r.get(0), r.get(1), r.get(2));
        let how = match state.as_str() {
            "A" => "ALWAYS ",
            "R" => "REPLICA ",
            _ => "",
        };
        let stmt = format!("ALTER TABLE ONLY {table} DISABLE TRIGGER USER");
        if !disable.contains(&stmt) {
            disable.push(stmt);
        }
        restore.push(format!("ALTER TABLE ONLY {table} ENABLE {how}TRIGGER {}", ident(&name)));
    }
    if !disable.is_empty() {
        dst.batch_execute(&disable.join("; ")).await.ctx("disabling user triggers")?;
    }
    Ok(restore)
}

/// Loads one task's rows into its `build` relation, in the open transaction.
async fn load_task(ctx: &Ctx<'_>, w: &Worker, t: &TableTask, freeze: bool) -> Result<(u64, u64)> {
    ctx.progress.table_started(&t.label, t.bytes);
    let (mut rows, mut bytes) = (0, 0);
    for &chunk in &t.chunks {
        let (r, b) = match t.strategy {
            Strategy::InsertSelect | Strategy::Foreign => {
                let r = insert_select_chunk(&w.dst, t, chunk).await?;
                (r, t.bytes / t.chunks.len().max(1) as u64)
            }
            Strategy::Copy { binary } => {
                let src = w.src.as_ref().expect("a source session for the copy strategy");
                let whole = freeze && chunk == Chunk::Whole;
                copy_stream(src, &w.dst, t, chunk, binary, whole, ctx.progress, None).await?
            }
        };
        rows += r;
        bytes += b;
        ctx.progress.chunk_done(&t.label, t.bytes / t.chunks.len().max(1) as u64);
    }
    ctx.progress.table_done(&t.label, rows, bytes);
    Ok((rows, bytes))
}

/// `(k1, k2) IN (SELECT CAST(u.c0 AS t1), … FROM unnest($1::text[], …) AS u(c0, …))`:
/// key values bound as text arrays, one per key column.
fn key_in(key: &[String], types: &[String], first_param: usize) -> String {
    let cols: Vec<String> = key.iter().map(|k| ident(k)).collect();
    let casts: Vec<String> =
        types.iter().enumerate().map(|(i, ty)| format!("CAST(u.c{i} AS {ty})")).collect();
    let arrays: Vec<String> =
        (0..key.len()).map(|i| format!("${}::pg_catalog.text[]", first_param + i)).collect();
    let names: Vec<String> = (0..key.len()).map(|i| format!("c{i}")).collect();
    format!(
        "({}) IN (SELECT {} FROM unnest({}) AS u({}))",
        cols.join(", "),
        casts.join(", "),
        arrays.join(", "),
        names.join(", ")
    )
}

async fn delete_keys(dst: &Client, table: &QualifiedName, m: &Merge) -> Result<u64> {
    let sql = format!("DELETE FROM ONLY {table} WHERE {}", key_in(&m.key, &m.key_types, 1));
    let mut deleted = 0;
    for batch in m.delete.chunks(DELETE_BATCH) {
        let columns: Vec<Vec<String>> =
            (0..m.key.len()).map(|i| batch.iter().map(|k| k[i].clone()).collect()).collect();
        let params: Vec<&(dyn ToSql + Sync)> =
            columns.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
        deleted += dst
            .execute(sql.as_str(), &params)
            .await
            .ctx(format!("deleting rows gone from the source from {table}"))?;
    }
    Ok(deleted)
}

/// Inserts the staged rows, updating the rows whose keys exist.
async fn upsert(dst: &Client, table: &QualifiedName, staged: &TableTask, m: &Merge) -> Result<u64> {
    let cols = staged.target_columns();
    let key: Vec<String> = m.key.iter().map(|k| ident(k)).collect();
    let action = if m.update.is_empty() {
        "DO NOTHING".to_string()
    } else {
        let sets: Vec<String> =
            m.update.iter().map(|c| format!("{0} = EXCLUDED.{0}", ident(c))).collect();
        format!("DO UPDATE SET {}", sets.join(", "))
    };
    let sql = format!(
        "INSERT INTO {table} ({cols}) OVERRIDING SYSTEM VALUE SELECT {cols} FROM {} \
         ON CONFLICT ({}) {action}",
        ident(&staged.build.name),
        key.join(", ")
    );
    dst.execute(sql.as_str(), &[]).await.ctx(format!("writing the changed rows of {table}"))
}

fn list(names: &[QualifiedName]) -> String {
    names.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
}

/// A literal text array (`ARRAY['a', 'b']::text[]`), for key lists inside
/// SQL text that cannot take parameters (a task's source filter).
pub fn text_array(values: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let items: Vec<String> = values.into_iter().map(|v| literal(v.as_ref())).collect();
    format!("ARRAY[{}]::pg_catalog.text[]", items.join(", "))
}

/// The filter selecting the rows with the given keys (as text, in key
/// column order) on a side whose key columns are `key` of types `types`.
pub fn keys_filter(key: &[String], types: &[String], keys: &[Vec<String>]) -> String {
    let cols: Vec<String> = key.iter().map(|k| ident(k)).collect();
    let casts: Vec<String> =
        types.iter().enumerate().map(|(i, ty)| format!("CAST(u.c{i} AS {ty})")).collect();
    let arrays: Vec<String> =
        (0..key.len()).map(|i| text_array(keys.iter().map(|k| k[i].as_str()))).collect();
    let names: Vec<String> = (0..key.len()).map(|i| format!("c{i}")).collect();
    format!(
        "({}) IN (SELECT {} FROM unnest({}) AS u({}))",
        cols.join(", "),
        casts.join(", "),
        arrays.join(", "),
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lists_bind_text_and_cast_per_column() {
        assert_eq!(
            key_in(&["id".into(), "Day".into()], &["integer".into(), "date".into()], 1),
            "(id, \"Day\") IN (SELECT CAST(u.c0 AS integer), CAST(u.c1 AS date) \
             FROM unnest($1::pg_catalog.text[], $2::pg_catalog.text[]) AS u(c0, c1))"
        );
        let keys = vec![vec!["1".to_string()], vec!["it's".to_string()]];
        assert_eq!(
            keys_filter(&["k".into()], &["text".into()], &keys),
            "(k) IN (SELECT CAST(u.c0 AS text) FROM \
             unnest(ARRAY['1', 'it''s']::pg_catalog.text[]) AS u(c0))"
        );
    }
}
