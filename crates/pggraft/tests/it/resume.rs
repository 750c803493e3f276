//! `clone --resume`: a clone killed mid-way (its future dropped, as a
//! `kill -9` leaves the target: connections gone, nothing undone) goes on
//! from its record in the target, keeping the tables it finished that are
//! unchanged in the new snapshot, copying again those that changed and
//! those it had not finished; a plain rerun starts fresh; a stopped
//! (Ctrl-C) clone leaves nothing to resume; a resume with no stored clone
//! or another plan is refused, saying what differs.

use std::time::Duration;

use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions, CloneReport};
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;

use crate::common::*;

const TABLES: &[&str] = &["t1", "t2", "t3", "t4", "t5"];

fn source(prefix: &str, rows: usize) -> TestDb<'static> {
    let mut sql = String::from("CREATE SCHEMA app;\n");
    for (i, t) in TABLES.iter().enumerate() {
        // Sizes differ so the order (largest first) is known: t1 first.
        let n = rows * (TABLES.len() - i);
        sql.push_str(&format!(
            "CREATE TABLE app.{t} (id int PRIMARY KEY, v text);
             INSERT INTO app.{t} SELECT g, repeat('x', 40) || g FROM generate_series(1, {n}) g;
             CREATE INDEX {t}_v ON app.{t} (v);\n"
        ));
    }
    db_with(prefix, &sql)
}

fn options(src: &TestDb<'_>, dst: &TestDb<'_>) -> CloneOptions {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 1;
    opts.index_jobs = 1;
    opts.naming.schemas = vec![SchemaArg::parse("app=app_copy").unwrap()];
    opts
}

async fn clone(opts: &CloneOptions) -> pggraft::Result<CloneReport> {
    let plan = clone_api::prepare(opts).await?;
    clone_api::run(opts, plan, &NoProgress, None).await
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap().first().and_then(|r| r.first().cloned()).unwrap_or_default()
}

fn done_tables(dst: &TestDb<'_>) -> Vec<String> {
    if one(dst, "SELECT to_regclass('pggraft.clone_done') IS NOT NULL") != "t" {
        return vec![];
    }
    dst.query("SELECT object FROM pggraft.clone_done WHERE kind = 'table' ORDER BY done_at")
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// Starts a clone and drops it (as `kill -9` would leave the target) once
/// `ready` holds; waits until its sessions are gone.
async fn kill_when(opts: &CloneOptions, dst: &TestDb<'_>, ready: impl Fn() -> bool) {
    let plan = clone_api::prepare(opts).await.unwrap();
    let o = opts.clone();
    let run = tokio::spawn(async move { clone_api::run(&o, plan, &NoProgress, None).await });
    let started = std::time::Instant::now();
    while !ready() {
        assert!(!run.is_finished(), "the clone finished before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(60), "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    run.abort();
    let _ = run.await;
    let sessions = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pggraft-clone-%' \
         AND datname = '{}'",
        dst.name()
    );
    for _ in 0..500 {
        if one(dst, &sessions) == "0" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the killed clone's sessions did not end");
}

/// Runs recorded in `pggraft.clone_runs` (0 when it does not exist).
fn runs(db: &TestDb<'_>) -> String {
    if one(db, "SELECT to_regclass('pggraft.clone_runs') IS NOT NULL") != "t" {
        return "0".into();
    }
    one(db, "SELECT count(*) FROM pggraft.clone_runs")
}

fn build_schemas(dst: &TestDb<'_>) -> String {
    one(dst, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'")
}

#[tokio::test]
async fn a_killed_clone_resumes_keeping_what_is_unchanged_and_copying_the_rest() {
    let src = source("resume_src", 40_000);
    let dst = db_with("resume_dst", "");
    let opts = options(&src, &dst);
    kill_when(&opts, &dst, || done_tables(&dst).len() >= 2).await;
    let done = done_tables(&dst);
    assert!(done.len() < TABLES.len(), "all tables were done: {done:?}");
    assert_eq!(build_schemas(&dst), "1");
    // A finished table changes at the source before the resume.
    let changed = done[0].rsplit('.').next().unwrap().to_string();
    src.psql(&format!("UPDATE app.{changed} SET v = 'changed' WHERE id = 7")).unwrap();

    let mut again = opts.clone();
    again.resume = true;
    let report = clone(&again).await.unwrap();
    let r = report.resumed.as_ref().expect("a resume report");
    let names = |v: &[pggraft::sql::QualifiedName]| -> Vec<String> {
        v.iter().map(|q| q.name.clone()).collect()
    };
    assert_eq!(names(&r.changed), std::slice::from_ref(&changed));
    let kept: Vec<String> = r.kept.iter().map(|k| k.table.name.clone()).collect();
    assert_eq!(kept.len(), done.len() - 1, "{r:?}");
    assert!(r.kept.iter().all(|k| k.snapshot.is_some() && k.snapshot != r.snapshot), "{r:?}");
    assert_eq!(kept.len() + r.changed.len() + r.copied.len(), TABLES.len(), "{r:?}");
    for t in TABLES {
        assert_eq!(
            table_hash(&dst, &format!("app_copy.{t}")),
            table_hash(&src, &format!("app.{t}")),
            "{t}"
        );
    }
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app_copy'"), "10");
    assert_eq!(build_schemas(&dst), "0");
    assert_eq!(runs(&dst), "0");
    assert_eq!(one(&dst, "SELECT to_regclass('pggraft.clone_done') IS NULL"), "t");
}

/// Killed during its post-data statements: those done are not run again
/// (they would fail: the index exists), the others are.
#[tokio::test]
async fn a_clone_killed_among_its_indexes_resumes_with_the_rest() {
    let src = source("resume_idx_src", 20_000);
    let dst = db_with("resume_idx_dst", "");
    let opts = options(&src, &dst);
    let statements = "SELECT count(*) FROM pggraft.clone_done WHERE kind = 'statement'";
    kill_when(&opts, &dst, || {
        one(&dst, "SELECT to_regclass('pggraft.clone_done') IS NOT NULL") == "t"
            && one(&dst, statements).parse::<i32>().unwrap_or(0) >= 2
    })
    .await;
    let mut again = opts.clone();
    again.resume = true;
    clone(&again).await.unwrap();
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app_copy'"), "10");
    for t in TABLES {
        assert_eq!(
            table_hash(&dst, &format!("app_copy.{t}")),
            table_hash(&src, &format!("app.{t}")),
            "{t}"
        );
    }
}

/// No stored clone, another plan (named), a plain rerun starting fresh, and
/// a stopped clone leaving nothing to resume.
#[tokio::test]
async fn resume_without_a_stored_clone_or_with_another_plan_is_refused() {
    let src = source("resume_bad_src", 20_000);
    let dst = db_with("resume_bad_dst", "");
    let opts = options(&src, &dst);
    let mut again = opts.clone();
    again.resume = true;
    let Err(err) = clone_api::prepare(&again).await else { panic!("resumed nothing") };
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    assert!(err.to_string().contains("no interrupted clone into \"app_copy\""), "{err}");

    kill_when(&opts, &dst, || !done_tables(&dst).is_empty()).await;
    let mut other = again.clone();
    other.owners = false;
    let Err(err) = clone_api::prepare(&other).await else { panic!("resumed another plan") };
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    assert!(err.to_string().contains("owners (--no-owner) is false, was true"), "{err}");
    assert_eq!(build_schemas(&dst), "1", "a refused resume changed the target");

    // A plain rerun removes the killed run and starts fresh.
    let report = clone(&opts).await.unwrap();
    assert_eq!(report.removed.len(), 1);
    assert!(report.resumed.is_none());
    assert_eq!(build_schemas(&dst), "0");
    assert_eq!(runs(&dst), "0");
    assert_eq!(table_hash(&dst, "app_copy.t1"), table_hash(&src, "app.t1"));

    // Stopped (Ctrl-C) mid-way: the final name untouched; a plain rerun
    // removes what the stopped run kept and starts fresh.
    let dst2 = db_with("resume_bad_dst2", "");
    let opts2 = options(&src, &dst2);
    let d = &dst2;
    stop_when(&opts2, d, || !done_tables(d).is_empty()).await;
    assert_eq!(one(d, "SELECT to_regnamespace('app_copy') IS NULL"), "t");
    assert_eq!(build_schemas(d), "1");
    assert_eq!(runs(d), "1");
    let report = clone(&opts2).await.unwrap();
    assert!(report.resumed.is_none());
    assert_eq!(report.removed.len(), 1, "{:?}", report.removed);
    assert_eq!(build_schemas(d), "0");
    assert_eq!(runs(d), "0");
    for t in TABLES {
        assert_eq!(
            table_hash(d, &format!("app_copy.{t}")),
            table_hash(&src, &format!("app.{t}")),
            "{t}"
        );
    }
}

/// Runs a clone with a Ctrl-C (the cancel future) that fires once `ready`
/// holds; returns once it has stopped, asserting that it says so.
async fn stop_when(opts: &CloneOptions, dst: &TestDb<'_>, ready: impl Fn() -> bool) {
    let plan = clone_api::prepare(opts).await.unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let stop: pggraft::engine::Cancel = Box::pin(async move {
        let _ = rx.await;
    });
    let o = opts.clone();
    let run = tokio::spawn(async move { clone_api::run(&o, plan, &NoProgress, Some(stop)).await });
    let started = std::time::Instant::now();
    while !ready() {
        assert!(!run.is_finished(), "the clone finished before it could be stopped");
        assert!(started.elapsed() < Duration::from_secs(60), "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.send(()).unwrap();
    let err = run.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Interrupted, "{err}");
    assert!(err.to_string().contains("--resume"), "{err}");
    assert_eq!(one(dst, "SELECT to_regnamespace('app_copy') IS NULL"), "t");
}

/// Ctrl-C keeps what was copied: the same clone plus `--resume` keeps the
/// tables finished before the stop (their rows are not copied again) and
/// copies the rest, to an identical copy with nothing left behind.
#[tokio::test]
async fn a_clone_stopped_with_ctrl_c_resumes_keeping_its_finished_tables() {
    let src = source("resume_int_src", 40_000);
    let dst = db_with("resume_int_dst", "");
    let opts = options(&src, &dst);
    stop_when(&opts, &dst, || done_tables(&dst).len() >= 2).await;
    let done = done_tables(&dst);
    assert!(done.len() >= 2 && done.len() < TABLES.len(), "{done:?}");
    // The final name was never touched; the build schema and record stay,
    // and no session of the stopped run is left.
    assert_eq!(one(&dst, "SELECT to_regnamespace('app_copy') IS NULL"), "t");
    assert_eq!(build_schemas(&dst), "1");
    assert_eq!(runs(&dst), "1");
    let sessions = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pggraft-clone-%' \
         AND datname = '{}'",
        dst.name()
    );
    assert_eq!(one(&dst, &sessions), "0");
    // The rows of a finished table, as the stopped run committed them.
    let first = done[0].clone();
    let xmin_before = one(&dst, &format!("SELECT min(xmin::text::bigint) FROM {first}"));

    let mut again = opts.clone();
    again.resume = true;
    let report = clone(&again).await.unwrap();
    let r = report.resumed.as_ref().expect("a resume report");
    assert_eq!(r.kept.len(), done.len(), "{r:?}");
    assert_eq!(r.kept.len() + r.copied.len() + r.changed.len(), TABLES.len(), "{r:?}");
    let kept_table = first.rsplit('.').next().unwrap().trim_matches('"').to_string();
    assert_eq!(
        one(&dst, &format!("SELECT min(xmin::text::bigint) FROM app_copy.{kept_table}")),
        xmin_before,
        "a kept table was copied again"
    );
    for t in TABLES {
        assert_eq!(
            table_hash(&dst, &format!("app_copy.{t}")),
            table_hash(&src, &format!("app.{t}")),
            "{t}"
        );
    }
    assert_eq!(build_schemas(&dst), "0");
    assert_eq!(runs(&dst), "0");
    assert_eq!(one(&dst, "SELECT to_regclass('pggraft.clone_tasks') IS NULL"), "t");
}

/// `pggraft cleanup` after a killed clone removes its build schemas, its
/// record and the record's emptied tables: the target is as it was.
#[tokio::test]
async fn cleanup_after_a_killed_clone_leaves_the_target_as_it_was() {
    let src = source("resume_cleanup_src", 20_000);
    let dst = db_with("resume_cleanup_dst", "CREATE TABLE public.keep (x int);");
    let before = dst.dump_schema(&[]).unwrap();
    let opts = options(&src, &dst);
    kill_when(&opts, &dst, || runs(&dst) == "1").await;
    assert_eq!(build_schemas(&dst), "1");
    let done = pggraft::cleanup::remove_stale(&spec(&dst), false).await.unwrap();
    assert_eq!(done.removed.len(), 1);
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);
}

/// Killed once its foreign keys are built: a parent that changed since is
/// emptied and copied again (its foreign key dropped first, as TRUNCATE
/// refuses a referenced table, and built again after); the unchanged
/// child is kept.
#[tokio::test]
async fn a_changed_parent_is_copied_again_and_its_foreign_key_built_again() {
    let src = db_with(
        "resume_fk_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.parent (id int PRIMARY KEY, v text);
         CREATE TABLE app.child (id int PRIMARY KEY, parent_id int REFERENCES app.parent, v text);
         CREATE TABLE app.big (id int PRIMARY KEY, v text);
         INSERT INTO app.parent SELECT g, 'p' || g FROM generate_series(1, 1000) g;
         INSERT INTO app.child SELECT g, 1 + g % 1000, 'c' || g FROM generate_series(1, 20000) g;
         INSERT INTO app.big SELECT g, repeat('z', 80) || g FROM generate_series(1, 400000) g;",
    );
    let dst = db_with("resume_fk_dst", "");
    // Two data workers: the big table still copies while the small ones and their keys are done.
    let mut opts = options(&src, &dst);
    opts.jobs = 2;
    let fk = "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
              WHERE c.contype = 'f' AND n.nspname LIKE 'pggraft\\_tmp%'";
    kill_when(&opts, &dst, || one(&dst, fk) == "1").await;
    src.psql("UPDATE app.parent SET v = 'changed' WHERE id = 3").unwrap();
    let mut again = opts.clone();
    again.resume = true;
    let report = clone(&again).await.unwrap();
    let r = report.resumed.unwrap();
    assert!(r.kept.iter().any(|k| k.table.name == "child"), "{r:?}");
    assert!(r.changed.iter().any(|q| q.name == "parent"), "{r:?}");
    assert_eq!(
        one(
            &dst,
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'app_copy'::regnamespace"
        ),
        "1"
    );
    for t in ["parent", "child", "big"] {
        assert_eq!(
            table_hash(&dst, &format!("app_copy.{t}")),
            table_hash(&src, &format!("app.{t}")),
            "{t}"
        );
    }
}

/// A schema that receives an extension is built under its final name (the
/// target's schema of that name moved aside meanwhile, here replaced with
/// --drop-if-exists); killed mid-way, it resumes too: the tables finished
/// are kept, the rest copied, the schema moved aside dropped at the swap.
#[tokio::test]
async fn a_killed_clone_of_a_schema_that_receives_an_extension_resumes() {
    let mut sql = String::from("CREATE SCHEMA app; CREATE EXTENSION citext SCHEMA app;\n");
    for (i, t) in TABLES.iter().enumerate() {
        let n = 40_000 * (TABLES.len() - i);
        sql.push_str(&format!(
            "CREATE TABLE app.{t} (id int PRIMARY KEY, v app.citext);
             INSERT INTO app.{t} SELECT g, 'Mixed Case ' || g FROM generate_series(1, {n}) g;\n"
        ));
    }
    let src = db_with("resume_ext_src", &sql);
    let dst =
        db_with("resume_ext_dst", "CREATE SCHEMA app_copy; CREATE TABLE app_copy.old (x int);");
    let mut opts = options(&src, &dst);
    opts.drop_if_exists = true;
    kill_when(&opts, &dst, || done_tables(&dst).len() >= 2).await;
    let done = done_tables(&dst);
    assert!(done.len() < TABLES.len(), "all tables were done: {done:?}");
    let aside = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_aside%'";
    assert_eq!(one(&dst, aside), "1", "the target's app_copy is moved aside");

    let mut again = opts.clone();
    again.resume = true;
    let report = clone(&again).await.unwrap();
    let r = report.resumed.as_ref().expect("a resume report");
    assert_eq!(r.kept.len(), done.len(), "{r:?}");
    for t in TABLES {
        assert_eq!(
            table_hash(&dst, &format!("app_copy.{t}")),
            table_hash(&src, &format!("app.{t}")),
            "{t}"
        );
    }
    assert_eq!(one(&dst, "SELECT to_regclass('app_copy.old') IS NULL"), "t");
    assert_eq!(
        one(
            &dst,
            "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'citext'"
        ),
        "app_copy"
    );
    assert_eq!(
        one(
            &dst,
            "SELECT count(*) FROM app_copy.t1 WHERE v OPERATOR(app_copy.=) 'MIXED CASE 7'::app_copy.citext"
        ),
        "1"
    );
    assert_eq!(one(&dst, aside), "0");
    assert_eq!(build_schemas(&dst), "0");
    assert_eq!(runs(&dst), "0");
}
