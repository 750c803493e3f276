//! `clone --worker`: a second process joins a clone in progress, in the
//! snapshot its first process holds, and takes tables and statements from
//! the task queue in the target (`pggraft.clone_tasks`, `FOR UPDATE SKIP
//! LOCKED`). Every task is done once, the copy is identical to the source,
//! the swap is done once (by whichever process gets there first once all is
//! done), and each report gives the per-worker counts.

use std::time::Duration;

use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions};
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;

use crate::common::*;

const TABLES: usize = 8;

fn source() -> TestDb<'static> {
    let mut sql = String::from("CREATE SCHEMA app;\n");
    for i in 1..=TABLES {
        let n = 30_000 + 5_000 * (TABLES - i);
        sql.push_str(&format!(
            "CREATE TABLE app.t{i} (id int PRIMARY KEY, v text);
             INSERT INTO app.t{i} SELECT g, repeat('w', 50) || g FROM generate_series(1, {n}) g;
             CREATE INDEX t{i}_v ON app.t{i} (v);\n"
        ));
    }
    db_with("workers_src", &sql)
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap().first().and_then(|r| r.first().cloned()).unwrap_or_default()
}

fn options(src: &TestDb<'_>, dst: &TestDb<'_>) -> CloneOptions {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 1;
    opts.index_jobs = 1;
    opts.naming.schemas = vec![SchemaArg::parse("app=app_copy").unwrap()];
    opts
}

#[tokio::test]
async fn two_workers_share_one_clone_each_task_done_once_and_one_swap() {
    let src = source();
    let dst = db_with("workers_dst", "");
    let mut first = options(&src, &dst);
    first.worker_name = Some("first".into());
    // The first process pauses after its first table, so the worker joins
    // while most of the clone is still to do.
    first.tamper_after_load = Some(("t1".into(), "SELECT pg_sleep(1.5)".into()));
    let plan = clone_api::prepare(&first).await.unwrap();
    let o = first.clone();
    let leader = tokio::spawn(async move { clone_api::run(&o, plan, &NoProgress, None).await });
    let started = std::time::Instant::now();
    while one(&dst, "SELECT to_regclass('pggraft.clone_tasks') IS NOT NULL") != "t"
        || one(&dst, "SELECT count(*) FROM pggraft.clone_tasks") == "0"
    {
        assert!(!leader.is_finished(), "the first process finished before a worker joined");
        assert!(started.elapsed() < Duration::from_secs(60), "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let tasks: u64 = one(&dst, "SELECT count(*) FROM pggraft.clone_tasks").parse().unwrap();
    let mut second = options(&src, &dst);
    second.worker = true;
    second.worker_name = Some("second".into());
    let plan = clone_api::prepare(&second).await.unwrap();
    assert!(plan.job.structure.is_empty(), "a worker builds no structure");
    let b = clone_api::run(&second, plan, &NoProgress, None).await.unwrap();
    let a = leader.await.unwrap().unwrap();

    let (wa, wb) = (a.workers.clone().unwrap(), b.workers.clone().unwrap());
    for w in [&wa, &wb] {
        assert_eq!(w.tasks, tasks, "{w:?}");
        assert_eq!(w.done, tasks, "every task has one done row: {w:?}");
        let sum: u64 = w.workers.iter().map(|x| x.data + x.statements).sum();
        assert_eq!(sum, tasks, "{w:?}");
        let data: u64 = w.workers.iter().map(|x| x.data).sum();
        assert_eq!(data, TABLES as u64, "{w:?}");
        let rows: u64 = w.workers.iter().map(|x| x.rows).sum();
        let expected: usize = (1..=TABLES).map(|i| 30_000 + 5_000 * (TABLES - i)).sum();
        assert_eq!(rows, expected as u64, "every row copied once: {w:?}");
    }
    let names: Vec<&str> = wa.workers.iter().map(|x| x.worker.as_str()).collect();
    assert_eq!(names, ["first", "second"], "both took tasks: {wa:?}");
    assert!(wa.workers.iter().all(|x| x.data + x.statements > 0), "{wa:?}");
    assert_eq!(
        [wa.finished_here, wb.finished_here].iter().filter(|x| **x).count(),
        1,
        "the swap is done once: {wa:?} {wb:?}"
    );
    // Each report's rows are what that process copied.
    assert_eq!(a.total_rows() + b.total_rows(), wa.workers.iter().map(|x| x.rows).sum::<u64>());

    for i in 1..=TABLES {
        assert_eq!(
            table_hash(&dst, &format!("app_copy.t{i}")),
            table_hash(&src, &format!("app.t{i}")),
            "t{i}"
        );
    }
    let mut v = pggraft::verify::VerifyOptions::new(spec(&src), spec(&dst));
    v.naming = first.naming.clone();
    v.level = pggraft::verify::Level::Rows;
    let checked = pggraft::verify::verify(&v).await.unwrap();
    assert!(checked.is_clean(), "{checked:?}");
    assert_eq!(
        one(&dst, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app_copy'"),
        (2 * TABLES).to_string()
    );
    assert_eq!(
        one(&dst, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'"),
        "0"
    );
    assert_eq!(one(&dst, "SELECT to_regclass('pggraft.clone_runs') IS NULL"), "t");
    assert_eq!(one(&dst, "SELECT to_regclass('pggraft.clone_tasks') IS NULL"), "t");
}

/// A worker with no clone stored in the target to join is refused before
/// anything is written.
#[tokio::test]
async fn a_worker_with_no_stored_clone_is_refused() {
    let src = source();
    let dst = db_with("workers_none_dst", "CREATE TABLE public.keep (x int);");
    let before = dst.dump_schema(&[]).unwrap();
    let mut w = options(&src, &dst);
    w.worker = true;
    let Err(err) = clone_api::prepare(&w).await else { panic!("joined nothing") };
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    assert!(err.to_string().contains("no clone from"), "{err}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);
}
