//! `pggraft clone --worker` as a user runs it: a second process joins a
//! clone in progress started by the same command, both end with exit 0,
//! the copy verifies identical, and each report gives the tasks per worker
//! (every task done once, the swap by one of them); and the refusal of a
//! worker with nothing to join (exit 2, one `error:` line, target unchanged).

mod util;

use std::time::Duration;

use pg_sandbox::TestDb;
use util::{LockHolder, db_with, pggraft, spawn, wait_for};

fn source() -> TestDb<'static> {
    let mut sql = String::from("CREATE SCHEMA app;\n");
    for i in 1..=6 {
        let n = 20_000 * (7 - i);
        sql.push_str(&format!(
            "CREATE TABLE app.t{i} (id int PRIMARY KEY, v text);
             INSERT INTO app.t{i} SELECT g, repeat('v', 40) || g FROM generate_series(1, {n}) g;\n"
        ));
    }
    db_with("workers_cli_src", &sql)
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap()[0][0].clone()
}

#[test]
fn a_worker_joins_a_clone_in_progress_and_one_of_them_swaps() {
    let src = source();
    let dst = db_with("workers_cli_dst", "");
    let (s, t) = (src.url(), dst.url());
    let args =
        ["clone", "--source", &s, "--target", &t, "-n", "app", "-j", "1", "--index-jobs", "1"];

    // Nothing to join yet: refused, nothing changed.
    let before = dst.dump_schema(&[]).unwrap();
    let line = pggraft(&[&args[..], &["--worker"]].concat()).only_error_line();
    assert!(line.contains("--worker: no clone from"), "{line}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);

    let first = spawn(&args);
    wait_for("the clone's tasks", Duration::from_secs(60), || {
        one(&dst, "SELECT to_regclass('pggraft.clone_tasks') IS NOT NULL") == "t"
            && one(&dst, "SELECT count(*) FROM pggraft.clone_tasks") != "0"
    });
    // The smallest table (copied last) is held by a user for a moment, so
    // the first process is still at work when the worker joins.
    let build = one(&dst, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'");
    let hold = LockHolder::lock(&dst, &format!("{build}.t6"));
    let worker = spawn(&[&args[..], &["--worker"]].concat());
    std::thread::sleep(Duration::from_secs(3));
    hold.release();
    let w = worker.finish_within(Duration::from_secs(120));
    let f = first.finish_within(Duration::from_secs(120));
    assert_eq!(w.exit_code(), Some(0), "{w}");
    assert_eq!(f.exit_code(), Some(0), "{f}");
    let (wo, fo) = (w.stdout(), f.stdout());
    for out in [&wo, &fo] {
        assert!(out.contains("workers:"), "{out}");
        assert!(out.contains("each done once"), "{out}");
        assert!(out.contains("identical"), "{out}");
    }
    let swapped =
        [&wo, &fo].iter().filter(|o| o.contains("swapped into place by this worker")).count();
    assert_eq!(swapped, 1, "{wo}\n{fo}");
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'"), "6");
    assert_eq!(
        one(&dst, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'"),
        "0"
    );
    assert_eq!(one(&dst, "SELECT to_regclass('pggraft.clone_tasks') IS NULL"), "t");

    // JSON: the per-worker counts.
    let again = db_with("workers_cli_dst2", "");
    let t2 = again.url();
    let json =
        pggraft(&["clone", "--source", &s, "--target", &t2, "-n", "app", "--json", "--no-verify"]);
    assert_eq!(json.exit_code(), Some(0), "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    let workers = &doc["clone"]["workers"];
    assert_eq!(workers["tasks"], workers["done"], "{doc}");
    assert_eq!(workers["workers"].as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(workers["finished_here"], true, "{doc}");
}
