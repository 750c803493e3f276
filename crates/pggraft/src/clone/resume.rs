//! Resuming a clone that was killed (`kill -9`, a crash, the target
//! restarting for longer than the clone waits to clean up): `--resume`.
//!
//! A clone that builds under temporary schemas records its plan in the
//! target, in `pggraft.clone_runs` (in its structure transaction, so the
//! record and the build schemas exist together or not at all), and what it
//! finished in `pggraft.clone_done`: each post-data statement in the same
//! implicit transaction as the statement itself (the two are sent as one
//! simple query), each table once all of its rows are committed (after the
//! fact: a table whose record was lost is redone, never doubled, as a redone
//! table is truncated first). The swap's transaction deletes the record.
//!
//! Resuming takes a new snapshot (the old one died with its session), checks
//! that the plan is the same (options, schemas and the rendered structure;
//! what differs is named), keeps the build schemas, checks every table
//! finished before against the new snapshot by row checksums (count and sum
//! of row hashes, as `verify --level checksums`; the source side in the new
//! snapshot) and copies again, truncated, those that changed and those that
//! were not finished, runs the post-data statements not done, and swaps.
//! Every table then holds the new snapshot's rows; the report says which
//! were kept from the earlier one.
//!
//! A clone that fails or is stopped (Ctrl-C) drops what it built and its
//! record, as before; a plain clone after a killed one removes the dead
//! run's build schemas and record ([`crate::cleanup`]) and starts fresh.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use crate::engine::{ColumnExpr, TableTask};
use crate::error::{Error, PgResultExt, Result};
use crate::plan::{Revealed, Stmt};
use crate::select::{TableFilter, TablePattern};
use crate::sql::{QualifiedName, ident, literal};

/// Creates the tables when missing (the advisory lock keeps two writers
/// from racing to create them).
const ENSURE: &str = "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pggraft.clone_runs'));
CREATE SCHEMA IF NOT EXISTS pggraft;
CREATE TABLE IF NOT EXISTS pggraft.clone_runs (
    run_id text PRIMARY KEY,
    plan jsonb NOT NULL,
    build_schemas jsonb NOT NULL,
    snapshot text,
    started_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS pggraft.clone_done (
    run_id text NOT NULL REFERENCES pggraft.clone_runs ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('table', 'statement')),
    object text NOT NULL,
    snapshot text,
    rows bigint,
    done_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, kind, object)
);
CREATE TABLE IF NOT EXISTS pggraft.clone_tasks (
    run_id text NOT NULL,
    task text NOT NULL,
    chunk text,
    PRIMARY KEY (run_id, task)
);
CREATE TABLE IF NOT EXISTS pggraft.clone_tasks_done (
    run_id text NOT NULL,
    task text NOT NULL,
    worker text NOT NULL,
    rows bigint,
    done_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, task)
);
COMMENT ON TABLE pggraft.clone_runs IS 'clones in progress or killed: their plan, for pggraft clone --resume';
COMMENT ON TABLE pggraft.clone_tasks IS 'the tasks of each clone in progress, taken by its processes (pggraft clone --worker)';";

/// The task queue and its done rows (see [`crate::engine::shared`]).
const QUEUE: (&str, &str) = ("clone_tasks", "clone_tasks_done");

/// The shared tasks of run `run_id` as the engine claims them.
pub(super) fn shared_tasks(
    run_id: &str,
    worker: &str,
    joined: bool,
    build: &BTreeMap<String, String>,
) -> crate::engine::SharedTasks {
    let names: Vec<String> = build.values().map(|b| literal(b)).collect();
    crate::engine::SharedTasks {
        queue: QualifiedName::new("pggraft", QUEUE.0),
        done: QualifiedName::new("pggraft", QUEUE.1),
        run_id: run_id.to_string(),
        worker: worker.to_string(),
        joined,
        // The swap renames the build schemas: once they are gone, it is done.
        finished_sql: format!(
            "SELECT NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ANY(ARRAY[{}]::text[]))",
            names.join(", ")
        ),
    }
}

/// The statement, in the structure transaction, that puts every task of
/// `job` in the queue (after removing the run's earlier tasks, for a
/// resumed run whose tasks are new).
fn queue_stmt(job: &crate::engine::Job, run_id: &str) -> Stmt {
    let tasks = crate::engine::shared::tasks_of(job);
    let mut sql = format!(
        "{ENSURE}\nDELETE FROM pggraft.{q} WHERE run_id = {id};\nDELETE FROM pggraft.{d} WHERE run_id = {id}",
        q = QUEUE.0,
        d = QUEUE.1,
        id = literal(run_id)
    );
    for batch in tasks.chunks(1000) {
        let values: Vec<String> = batch
            .iter()
            .map(|(task, chunk)| {
                format!(
                    "({}, {}, {})",
                    literal(run_id),
                    literal(task),
                    chunk.as_deref().map(literal).unwrap_or_else(|| "NULL".into())
                )
            })
            .collect();
        sql.push_str(&format!(
            ";\nINSERT INTO pggraft.{} (run_id, task, chunk) VALUES {} ON CONFLICT DO NOTHING",
            QUEUE.0,
            values.join(", ")
        ));
    }
    record_stmt(sql)
}

/// What must be the same for a clone to be resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Plan {
    /// The source connection without its password.
    pub source: String,
    /// Source schema → target schema.
    pub schemas: BTreeMap<String, String>,
    pub tables: TableFilter,
    pub exclude_table_data: Vec<TablePattern>,
    pub schema_only: bool,
    pub owners: bool,
    pub privileges: bool,
    pub comments: bool,
    /// SHA-256 of the rendered structure and post-data statements.
    pub structure: String,
}

impl Plan {
    /// What differs from `stored`, as the user would say it.
    fn differences(&self, stored: &Plan) -> Vec<String> {
        let mut out = vec![];
        let mut diff = |what: &str, now: String, then: String| {
            if now != then {
                out.push(format!("{what} is {now}, was {then}"));
            }
        };
        diff("the source", self.source.clone(), stored.source.clone());
        diff("the schema map", format!("{:?}", self.schemas), format!("{:?}", stored.schemas));
        diff("-t/-T", format!("{:?}", self.tables), format!("{:?}", stored.tables));
        diff(
            "--exclude-table-data",
            format!("{:?}", self.exclude_table_data),
            format!("{:?}", stored.exclude_table_data),
        );
        diff("--schema-only", self.schema_only.to_string(), stored.schema_only.to_string());
        diff("owners (--no-owner)", self.owners.to_string(), stored.owners.to_string());
        diff("privileges (--no-acl)", self.privileges.to_string(), stored.privileges.to_string());
        diff("comments (--no-comments)", self.comments.to_string(), stored.comments.to_string());
        if self.structure != stored.structure && out.is_empty() {
            out.push(
                "the source's structure changed since (the statements to build differ)".into(),
            );
        }
        out
    }
}

/// The hash of the statements a clone runs (as printed: no secrets).
/// Database-wide objects (roles, extensions, servers and user mappings) are
/// left out: the interrupted run created them, so they are no longer to be
/// created when it resumes.
pub(super) fn structure_hash(pre: &[Stmt], post: &[Stmt]) -> String {
    let mut text = String::new();
    let shared = ["role ", "extension ", "server ", "user mapping "];
    for s in pre.iter().chain(post).filter(|s| !shared.iter().any(|p| s.object.starts_with(p))) {
        // A schema built in place first moves the target's schema aside
        // and takes over its extensions: that depends on the target then,
        // not on the plan (a resumed run finds its own schema there).
        for line in s.sql.lines() {
            let aside = line.starts_with("ALTER SCHEMA ")
                && line.contains(&format!(" RENAME TO {}", crate::cleanup::ASIDE_PREFIX));
            if aside || (line.starts_with("ALTER EXTENSION ") && line.contains(" SET SCHEMA ")) {
                continue;
            }
            text.push_str(line.trim_end_matches(';'));
            text.push('\n');
        }
    }
    crate::migrate::checksum(text.as_bytes())
}

/// A stored, interrupted clone.
#[derive(Debug)]
pub(super) struct Stored {
    pub run_id: String,
    pub plan: Plan,
    /// Source schema → build schema.
    pub build: BTreeMap<String, String>,
    /// Build table (`schema.table`, quoted) → snapshot its rows came from.
    pub tables: BTreeMap<String, Option<String>>,
    /// md5 of each post-data statement done.
    pub statements: BTreeSet<String>,
}

/// The stored clone into `schemas` (source → target), refusing when there
/// is none, when it is still running, or when its build schemas are gone.
pub(super) async fn find(target: &Client, plan_now: &Plan) -> Result<Stored> {
    let exists: bool = target
        .query_one("SELECT to_regclass('pggraft.clone_runs') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.clone_runs")?
        .get(0);
    let targets: Vec<String> = plan_now.schemas.values().map(|t| format!("{t:?}")).collect();
    let none = || {
        Error::input(format!(
            "--resume: no interrupted clone into {} is stored in the target; run the clone \
             without --resume",
            targets.join(", ")
        ))
    };
    if !exists {
        return Err(none());
    }
    let rows = target
        .query(
            "SELECT run_id, plan::text, build_schemas::text FROM pggraft.clone_runs \
             ORDER BY started_at DESC",
            &[],
        )
        .await
        .ctx("reading pggraft.clone_runs")?;
    let mut candidates = vec![];
    for r in &rows {
        let plan: Plan = match serde_json::from_str(r.get::<_, &str>(1)) {
            Ok(p) => p,
            Err(_) => continue,
        };
        let build: BTreeMap<String, String> =
            serde_json::from_str(r.get::<_, &str>(2)).unwrap_or_default();
        // A clone into any of the same target schemas.
        if plan.schemas.values().any(|t| plan_now.schemas.values().any(|n| n == t)) {
            candidates.push((r.get::<_, String>(0), plan, build));
        }
    }
    let Some((run_id, plan, build)) = candidates.into_iter().next() else { return Err(none()) };
    let mut differ = plan_now.differences(&plan);
    // The structure is compared once rendered (see `check_structure`).
    differ.retain(|d| !d.starts_with("the source's structure"));
    if !differ.is_empty() {
        return Err(Error::input(format!(
            "--resume: the stored clone into {} was made with another plan: {}; run the same \
             command as before with --resume, or without --resume to start over",
            targets.join(", "),
            differ.join("; ")
        )));
    }
    let names: Vec<String> = build.values().cloned().collect();
    let found: i64 = target
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = ANY($1)",
            &[&names],
        )
        .await
        .ctx("looking for the stored clone's build schemas")?
        .get(0);
    if found as usize != names.len() {
        return Err(Error::input(format!(
            "--resume: the build schemas of the stored clone into {} are gone (removed by \
             `pggraft cleanup` or another clone); run the clone without --resume",
            targets.join(", ")
        )));
    }
    let tag = crate::cleanup::session_tag(&run_id);
    let alive: bool = target
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity WHERE application_name = $1)",
            &[&tag],
        )
        .await
        .ctx("checking whether the stored clone still runs")?
        .get(0);
    if alive {
        return Err(Error::input(format!(
            "--resume: the clone into {} is still running (sessions named {tag}); wait for it \
             or stop it first",
            targets.join(", ")
        )));
    }
    let done = target
        .query(
            "SELECT kind, object, snapshot FROM pggraft.clone_done WHERE run_id = $1",
            &[&run_id],
        )
        .await
        .ctx("reading pggraft.clone_done")?;
    let mut stored =
        Stored { run_id, plan, build, tables: BTreeMap::new(), statements: BTreeSet::new() };
    for r in &done {
        let (kind, object, snapshot): (String, String, Option<String>) =
            (r.get(0), r.get(1), r.get(2));
        if kind == "table" {
            stored.tables.insert(object, snapshot);
        } else {
            stored.statements.insert(object);
        }
    }
    Ok(stored)
}

/// The clone a worker joins (`--worker`): the latest stored run from the
/// same source, with the name of the snapshot its first process holds.
/// Its plan is compared once the worker has rendered its own
/// ([`check_joined`]).
pub(super) async fn find_to_join(target: &Client, source: &str) -> Result<(Stored, String)> {
    let none = || {
        Error::input(format!(
            "--worker: no clone from {source} is stored in the target to join; start the clone \
             without --worker first (its first process stores the plan and the tasks that \
             workers take)"
        ))
    };
    let exists: bool = target
        .query_one("SELECT to_regclass('pggraft.clone_tasks') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.clone_tasks")?
        .get(0);
    if !exists {
        return Err(none());
    }
    let rows = target
        .query(
            "SELECT run_id, plan::text, build_schemas::text, snapshot FROM pggraft.clone_runs \
             ORDER BY started_at DESC",
            &[],
        )
        .await
        .ctx("reading pggraft.clone_runs")?;
    for r in &rows {
        let Ok(plan) = serde_json::from_str::<Plan>(r.get::<_, &str>(1)) else { continue };
        if plan.source != source {
            continue;
        }
        let build: BTreeMap<String, String> =
            serde_json::from_str(r.get::<_, &str>(2)).unwrap_or_default();
        let Some(snapshot) = r.get::<_, Option<String>>(3) else {
            return Err(Error::input(
                "--worker: the stored clone has no snapshot to share (its source cannot export \
                 one); run it with one process",
            ));
        };
        let stored = Stored {
            run_id: r.get(0),
            plan,
            build,
            tables: BTreeMap::new(),
            statements: BTreeSet::new(),
        };
        return Ok((stored, snapshot));
    }
    Err(none())
}

/// Refuses to join a stored clone of another plan, saying what differs.
pub(super) fn check_joined(now: &Plan, stored: &Plan) -> Result<()> {
    let mut differ = now.differences(stored);
    // The structure is compared once rendered (see `check_structure`).
    differ.retain(|d| !d.starts_with("the source's structure"));
    if differ.is_empty() {
        return Ok(());
    }
    Err(Error::input(format!(
        "--worker: the stored clone into {} was started with another plan: {}; run the worker \
         with the same command as the clone's first process, plus --worker",
        stored.schemas.values().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", "),
        differ.join("; ")
    )))
}

/// A joining worker's chunks: those the first process queued (table sizes,
/// and so the ranges, may have moved since it planned them).
async fn queued_chunks(target: &Client, run_id: &str, job: &mut crate::engine::Job) -> Result<()> {
    let rows = target
        .query(
            "SELECT task, chunk FROM pggraft.clone_tasks WHERE run_id = $1 AND chunk IS NOT NULL",
            &[&run_id],
        )
        .await
        .ctx("reading the clone's tasks")?;
    let queued: BTreeMap<String, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for t in &mut job.tables {
        let mut chunks = vec![];
        while let Some(c) = queued.get(&crate::engine::shared::chunk_task(&t.build, chunks.len())) {
            let Some(chunk) = crate::engine::shared::parse_chunk(c) else { break };
            chunks.push(chunk);
        }
        if !chunks.is_empty() {
            t.chunks = chunks;
        }
    }
    Ok(())
}

/// Refuses to resume when the statements to build differ from the stored.
pub(super) fn check_structure(now: &Plan, stored: &Plan) -> Result<()> {
    if now.structure != stored.structure {
        return Err(Error::input(format!(
            "--resume: the source's structure changed since the interrupted clone into {} (the \
             statements to build differ); run the clone without --resume to start over",
            now.schemas.values().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}

/// The statement, in the structure transaction, that records the run.
pub(super) fn start_stmt(
    run_id: &str,
    plan: &Plan,
    build: &BTreeMap<String, String>,
    snapshot: Option<&str>,
) -> Stmt {
    let plan = serde_json::to_string(plan).expect("plan serializes");
    let build = serde_json::to_string(build).expect("map serializes");
    let sql = format!(
        "{ENSURE}\nINSERT INTO pggraft.clone_runs (run_id, plan, build_schemas, snapshot) \
         VALUES ({}, {}::jsonb, {}::jsonb, {})",
        literal(run_id),
        literal(&plan),
        literal(&build),
        snapshot.map(literal).unwrap_or_else(|| "NULL".into())
    );
    record_stmt(sql)
}

fn record_stmt(sql: String) -> Stmt {
    Stmt {
        section: crate::plan::Section::PreData,
        phase: 0,
        provides: None,
        object: "pggraft.clone_runs".into(),
        deps: vec![],
        what: "record",
        sql,
        exec: None,
    }
}

/// Makes a post-data statement record itself when it commits: the two go
/// in one simple query, which PostgreSQL runs as one transaction.
pub(super) fn recording(stmt: &mut Stmt, run_id: &str, snapshot: Option<&str>) {
    let sql = format!(
        "{};\nINSERT INTO pggraft.clone_done (run_id, kind, object, snapshot) VALUES ({}, \
         'statement', md5({}), {}) ON CONFLICT DO NOTHING",
        stmt.executable(),
        literal(run_id),
        literal(&stmt.sql),
        snapshot.map(literal).unwrap_or_else(|| "NULL".into())
    );
    stmt.exec = Some(Revealed(sql));
}

/// md5 of each of `stmts` (as recorded), computed by the server.
pub(super) async fn md5s(c: &Client, stmts: &[Stmt]) -> Result<Vec<String>> {
    let sqls: Vec<&str> = stmts.iter().map(|s| s.sql.as_str()).collect();
    Ok(c.query(
        "SELECT md5(x) FROM unnest($1::text[]) WITH ORDINALITY u(x, i) ORDER BY i",
        &[&sqls],
    )
    .await
    .ctx("hashing the post-data statements")?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

/// Records that a table's rows are all in.
pub(super) fn table_done_sql(
    run_id: &str,
    table: &str,
    snapshot: Option<&str>,
    rows: u64,
) -> String {
    format!(
        "INSERT INTO pggraft.clone_done (run_id, kind, object, snapshot, rows) VALUES ({}, \
         'table', {}, {}, {rows}) ON CONFLICT (run_id, kind, object) DO UPDATE SET \
         snapshot = EXCLUDED.snapshot, rows = EXCLUDED.rows, done_at = now()",
        literal(run_id),
        literal(table),
        snapshot.map(literal).unwrap_or_else(|| "NULL".into())
    )
}

/// Forgets the run (in the swap's transaction, or after a failed run
/// dropped what it built).
/// The record's tables go with the last run they hold (under the lock that
/// creates them, so a run starting meanwhile keeps them), and with
/// `drop_schema` the `pggraft` schema too when nothing else is in it (the
/// run created it): a failed clone leaves the target as it was.
pub(super) fn forget_sql(run_id: &str, drop_schema: bool) -> String {
    let schema = if drop_schema {
        "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relnamespace = 'pggraft'::regnamespace)            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE pronamespace = 'pggraft'::regnamespace)            AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE typnamespace = 'pggraft'::regnamespace) THEN            DROP SCHEMA pggraft;          END IF;"
    } else {
        ""
    };
    format!(
        "DELETE FROM pggraft.clone_runs WHERE run_id = {id};
         DO $$ BEGIN            IF to_regclass('pggraft.clone_tasks') IS NOT NULL THEN              DELETE FROM pggraft.clone_tasks WHERE run_id = {id};              DELETE FROM pggraft.clone_tasks_done WHERE run_id = {id};            END IF;            PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pggraft.clone_runs'));            IF NOT EXISTS (SELECT 1 FROM pggraft.clone_runs) THEN              DROP TABLE pggraft.clone_done, pggraft.clone_runs;              DROP TABLE IF EXISTS pggraft.clone_tasks, pggraft.clone_tasks_done;            END IF; {schema}          END $$",
        id = literal(run_id)
    )
}

/// Whether `task`'s build table holds the same rows as the source in the
/// session `source` (the new snapshot): count and sum of row hashes.
pub(super) async fn same_rows(source: &Client, target: &Client, task: &TableTask) -> Result<bool> {
    let mut src_cols = vec![];
    let mut dst_cols = vec![];
    for c in &task.columns {
        let ColumnExpr::Column { name, .. } = &c.expr else { return Ok(false) };
        src_cols.push(ident(name));
        dst_cols.push(ident(&c.target));
    }
    let sql = |table: &QualifiedName, cols: &[String]| {
        format!(
            "SELECT count(*)::text || ':' || COALESCE(sum(pg_catalog.hashtextextended(ROW({})::pg_catalog.text, 0)), 0)::text \
             FROM ONLY {table}",
            cols.join(", ")
        )
    };
    let crate::engine::TableSource::Relation(src) = &task.source else { return Ok(false) };
    let a: String = source
        .query_one(&sql(src, &src_cols), &[])
        .await
        .ctx(format!("checking source table {src} against the new snapshot"))?
        .get(0);
    let b: String = target
        .query_one(&sql(&task.build, &dst_cols), &[])
        .await
        .ctx(format!("checking the copied rows of {}", task.build))?
        .get(0);
    Ok(a == b)
}

/// The foreign keys (table as [`QualifiedName`] prints it, constraint
/// name) on or pointing at any of `tables`.
pub(super) async fn foreign_keys(
    target: &Client,
    tables: &[String],
) -> Result<Vec<(String, String)>> {
    if tables.is_empty() {
        return Ok(vec![]);
    }
    let rows = target
        .query(
            "SELECT n.nspname::text, r.relname::text, c.conname::text \
             FROM pg_catalog.pg_constraint c \
             JOIN pg_catalog.pg_class r ON r.oid = c.conrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace \
             WHERE c.contype = 'f' AND (c.conrelid = ANY($1::text[]::regclass[]) \
                OR c.confrelid = ANY($1::text[]::regclass[])) ORDER BY 1, 2, 3",
            &[&tables],
        )
        .await
        .ctx("listing the foreign keys of the tables to copy again")?;
    Ok(rows
        .iter()
        .map(|r| {
            let t = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1)).to_string();
            (t, r.get(2))
        })
        .collect())
}

/// Shapes a resumable clone's job. A new run records its plan in its
/// structure transaction. A resumed one (`stored`) builds no structure; it
/// keeps the tables finished before whose rows the new snapshot (`source`
/// reads in it) still has, empties and copies again the others (dropping the
/// foreign keys on or to them first, built again after, as TRUNCATE refuses
/// a referenced table), and runs only the post-data statements not done.
/// Either way each post-data statement records itself.
#[allow(clippy::too_many_arguments)]
pub(super) async fn shape_job(
    job: &mut crate::engine::Job,
    plan: &Plan,
    (stored, joined): (Option<&Stored>, bool),
    source: &Client,
    target: &Client,
    (run_id, worker): (&str, &str),
    snapshot: Option<&str>,
    build: &BTreeMap<String, String>,
) -> Result<super::ResumeState> {
    let mut report = ResumeReport { snapshot: snapshot.map(str::to_string), ..Default::default() };
    match stored {
        None => {
            job.structure.push(start_stmt(run_id, plan, build, snapshot));
            let queue = queue_stmt(job, run_id);
            job.structure.push(queue);
        }
        Some(st) if joined => {
            // A worker: the first process built the structure, set the
            // sequences and queued the tasks; it takes some of them.
            check_structure(plan, &st.plan)?;
            job.structure.clear();
            job.sequences.clear();
            queued_chunks(target, run_id, job).await?;
        }
        Some(st) => {
            check_structure(plan, &st.plan)?;
            job.structure.clear();
            let mut redo = vec![];
            let mut tables = vec![];
            for t in std::mem::take(&mut job.tables) {
                match st.tables.get(&t.build.to_string()) {
                    Some(from) => {
                        if same_rows(source, target, &t).await? {
                            report.kept.push(KeptTable {
                                table: t.target.clone(),
                                snapshot: from.clone(),
                            });
                            continue;
                        }
                        report.changed.push(t.target.clone());
                    }
                    None => report.copied.push(t.target.clone()),
                }
                redo.push(t.build.to_string());
                tables.push(t);
            }
            job.tables = tables;
            let fks = foreign_keys(target, &redo).await?;
            let md5s = md5s(target, &job.post_data).await?;
            let mut i = 0;
            job.post_data.retain(|s| {
                i += 1;
                let again = s.what == "foreign key"
                    && fks.iter().any(|(t, c)| {
                        s.sql.contains(&format!("ADD CONSTRAINT {} ", ident(c)))
                            && s.sql.contains(t)
                    });
                again || !st.statements.contains(&md5s[i - 1])
            });
            for (t, c) in &fks {
                let sql = format!("ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {}", ident(c));
                job.structure.push(Stmt { what: "drop", ..record_stmt(sql) });
            }
            // What a killed run left of a table goes before it is copied again.
            if !redo.is_empty() {
                let sql = format!("TRUNCATE ONLY {}", redo.join(", "));
                job.structure.push(Stmt { what: "truncate", ..record_stmt(sql) });
            }
            // The tasks left, for workers to share.
            let queue = queue_stmt(job, run_id);
            job.structure.push(queue);
        }
    }
    job.shared = Some(Box::new(shared_tasks(run_id, worker, joined, build)));
    for s in &mut job.post_data {
        recording(s, run_id, snapshot);
    }
    let had_schema: bool = target
        .query_one("SELECT to_regnamespace('pggraft') IS NOT NULL", &[])
        .await
        .ctx("looking for the pggraft schema")?
        .get(0);
    Ok(super::ResumeState {
        run_id: run_id.to_string(),
        snapshot: snapshot.map(str::to_string),
        tables: job.tables.iter().map(|t| (t.label.clone(), t.build.to_string())).collect(),
        report,
        forget: forget_sql(run_id, !had_schema),
    })
}

/// What a resumed clone did, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ResumeReport {
    /// The snapshot the resumed part was copied from.
    pub snapshot: Option<String>,
    /// Tables finished before the interruption and unchanged in the new
    /// snapshot: kept, with the snapshot they were copied from.
    pub kept: Vec<KeptTable>,
    /// Tables finished before that changed since: copied again.
    pub changed: Vec<QualifiedName>,
    /// Tables not finished before: copied from the new snapshot.
    pub copied: Vec<QualifiedName>,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeptTable {
    pub table: QualifiedName,
    pub snapshot: Option<String>,
}

/// Passes progress on, and records each table whose rows are all in, on
/// the writer session behind `tx` (the run's own, named like its other
/// sessions, so that the run counts as alive while it is connected).
pub(super) struct Recording<'a> {
    pub inner: &'a dyn crate::engine::ProgressSink,
    pub tx: tokio::sync::mpsc::UnboundedSender<String>,
    pub run_id: String,
    pub snapshot: Option<String>,
    /// Source label → build table.
    pub tables: std::collections::HashMap<QualifiedName, String>,
}

impl crate::engine::ProgressSink for Recording<'_> {
    fn phase(&self, name: &str) {
        self.inner.phase(name);
    }
    fn data_started(&self, total_bytes: u64, tables: usize) {
        self.inner.data_started(total_bytes, tables);
    }
    fn table_started(&self, table: &QualifiedName, bytes: u64) {
        self.inner.table_started(table, bytes);
    }
    fn table_bytes(&self, table: &QualifiedName, delta: u64) {
        self.inner.table_bytes(table, delta);
    }
    fn chunk_done(&self, table: &QualifiedName, heap_bytes: u64) {
        self.inner.chunk_done(table, heap_bytes);
    }
    fn table_done(&self, table: &QualifiedName, rows: u64, bytes: u64) {
        if let Some(build) = self.tables.get(table) {
            let _ =
                self.tx.send(table_done_sql(&self.run_id, build, self.snapshot.as_deref(), rows));
        }
        self.inner.table_done(table, rows, bytes);
    }
    fn statement_done(&self, what: &str, object: &str) {
        self.inner.statement_done(what, object);
    }
    fn data_progress(&self, done: u64, total: u64) {
        self.inner.data_progress(done, total);
    }
    fn table_compared(&self, table: &QualifiedName, differing: u64) {
        self.inner.table_compared(table, differing);
    }
}

/// The run's writer session: connected as one of the run's sessions before
/// stale build schemas are removed (so a resumed run's are not), then
/// writing the records it is sent until the sender is dropped. A record
/// that fails to be written only means its table is copied again if the
/// run has to be resumed.
pub(super) async fn writer(
    target: &crate::conn::ConnSpec,
    tag: &str,
) -> Result<(
    Client,
    tokio::sync::mpsc::UnboundedSender<String>,
    tokio::sync::mpsc::UnboundedReceiver<String>,
)> {
    let c = target.connect().await.map_err(|e| e.on(crate::conn::Side::Target))?;
    c.batch_execute(&format!("SET application_name = {}", literal(tag)))
        .await
        .ctx("preparing the record session")?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    Ok((c, tx, rx))
}

/// Writes what arrives on `rx` until it closes.
pub(super) async fn write_all(c: Client, mut rx: tokio::sync::mpsc::UnboundedReceiver<String>) {
    while let Some(sql) = rx.recv().await {
        if let Err(e) = c.batch_execute(&sql).await {
            tracing::debug!("could not record a finished table: {e}");
        }
    }
}
