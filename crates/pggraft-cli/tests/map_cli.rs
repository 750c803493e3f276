//! `pggraft map` as a user runs it: a mapping file checked (exit 2 with `file:line` for a bad
//! one, nothing written), its SQL printed by `--dry-run`, run with a JSON report, verified (exit
//! 1 naming the keys of rows a wrong expression made), and a run killed with -9 leaving the
//! target as it was.

mod util;

use std::time::{Duration, Instant};

use pg_sandbox::TestDb;

use util::shape::check;
use util::{db_with, fails, ok, pggraft, spawn};

const OLD: &str = "
    CREATE TABLE old_users (id int PRIMARY KEY, full_name text NOT NULL, email text, price_cents int);
    INSERT INTO old_users SELECT g, 'User ' || g, 'U' || g || '@X.ORG', g * 10 FROM generate_series(1, 1000) g;
";

const NEW: &str = "
    CREATE TABLE users (id int PRIMARY KEY, display_name text NOT NULL, email text, price numeric(10, 2));
";

const MAPPING: &str = r#"[tables.users]
from = "old_users"
[tables.users.columns]
display_name = "full_name"
email = "lower(email)"
price = "(price_cents::numeric / 100)::numeric(10,2)"
"#;

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn count(db: &TestDb<'_>, table: &str) -> String {
    db.query(&format!("SELECT count(*) FROM {table}")).unwrap()[0][0].clone()
}

#[test]
fn map_checks_runs_and_verifies_a_renaming_mapping() {
    let src = db_with("mcli_src", OLD);
    let dst = db_with("mcli_dst", NEW);
    let dir = tempfile::tempdir().unwrap();
    let m = file(&dir, "mapping.toml", MAPPING);
    let (s, t) = (src.url(), dst.url());
    let base = ["--source", s.as_str(), "--target", t.as_str(), "--mapping", m.as_str()];
    let cmd = |head: &[&'static str]| -> Vec<&str> {
        let mut v: Vec<&str> = head.to_vec();
        v.extend(base);
        v
    };

    let checked = ok(&cmd(&["map", "check"]));
    assert!(checked.contains("display_name = full_name"), "{checked}");
    assert!(checked.contains("ok: nothing was written"), "{checked}");

    let dry = ok(&cmd(&["map", "run", "--dry-run"]));
    assert!(dry.contains("COPY (SELECT"), "{dry}");
    assert!(dry.contains("FROM STDIN"), "{dry}");
    assert_eq!(count(&dst, "users"), "0", "--dry-run wrote rows");

    let doc = check("map-check", &ok(&cmd(&["map", "check", "--json"])));
    assert_eq!(doc["tables"][0]["columns"][0][0], "id");
    let doc = check("map-run", &ok(&cmd(&["map", "run", "--json"])));
    assert_eq!(doc["tables"][0]["rows"], 1000);
    let sample = dst.query("SELECT display_name, email, price FROM users WHERE id = 7").unwrap();
    assert_eq!(sample, [["User 7", "u7@x.org", "0.70"]]);

    let doc = check("map-verify", &ok(&cmd(&["map", "verify", "--json"])));
    assert_eq!(doc["tables"][0]["matches"], true);
    dst.psql("UPDATE users SET email = upper(email) WHERE id IN (12, 345)").unwrap();
    let out = pggraft(&cmd(&["map", "verify"])).code(1).stdout();
    assert!(out.contains("changed keys: 12 345"), "{out}");
}

#[test]
fn a_bad_mapping_exits_2_naming_file_and_line_and_writes_nothing() {
    let src = db_with("mcli_bad_src", OLD);
    let dst = db_with("mcli_bad_dst", NEW);
    let dir = tempfile::tempdir().unwrap();
    let bad = MAPPING.replace("lower(email)", "lower(emial)");
    let m = file(&dir, "bad.toml", &bad);
    let (s, t) = (src.url(), dst.url());
    for cmd in ["check", "run"] {
        let line = fails(&["map", cmd, "--source", &s, "--target", &t, "--mapping", &m]);
        assert!(line.contains("bad.toml:5: column public.users.email"), "{line}");
        assert!(line.contains("emial"), "{line}");
    }
    let syntax = file(&dir, "syntax.toml", "[tables.users]\nfrom = \"old_users\"\nfrom = \"x\"\n");
    let line = fails(&["map", "check", "--source", &s, "--target", &t, "--mapping", &syntax]);
    assert!(line.contains("syntax.toml:3: "), "{line}");
    assert_eq!(count(&dst, "users"), "0");
}

/// Big enough that the run is still copying when it is killed.
const BIG: &str = "
    CREATE TABLE old_users (id int PRIMARY KEY, full_name text NOT NULL, email text, price_cents int);
    INSERT INTO old_users SELECT g, repeat('x', 200) || g, 'U' || g, g FROM generate_series(1, 1500000) g;
";

#[test]
fn a_run_killed_with_9_leaves_the_target_as_it_was_and_the_next_run_completes() {
    let src = db_with("mcli_kill_src", BIG);
    let dst = db_with("mcli_kill_dst", NEW);
    dst.psql("INSERT INTO users VALUES (1, 'kept', NULL, NULL)").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let m = file(&dir, "mapping.toml", MAPPING);
    let (s, t) = (src.url(), dst.url());
    let args =
        ["map", "run", "--source", &s, "--target", &t, "--mapping", &m, "--strategy", "copy"];
    let child = spawn(&args);
    // Wait until the load transaction is writing, then kill -9.
    let started = Instant::now();
    loop {
        let busy = dst
            .query(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %users%FROM STDIN%'",
            )
            .unwrap();
        if busy[0][0] != "0" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the run never started copying");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.signal("KILL");
    let _ = child.finish_within(Duration::from_secs(10));
    // Its sessions go (the server notices the client is gone), rolling back.
    let started = Instant::now();
    while dst
        .query("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pggraft-map-%'")
        .unwrap()[0][0]
        != "0"
    {
        assert!(started.elapsed() < Duration::from_secs(30), "the killed run's sessions stay");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(count(&dst, "users"), "1", "the killed run left rows behind");
    ok(&args);
    assert_eq!(count(&dst, "users"), "1500000");
}

#[test]
fn map_analyze_measures_each_strategy_and_cleanup_drops_the_fdw_objects() {
    let src = db_with("mcli_an_src", OLD);
    let dst = db_with("mcli_an_dst", NEW);
    let dir = tempfile::tempdir().unwrap();
    let m = file(&dir, "mapping.toml", MAPPING);
    let (s, t) = (src.url(), dst.url());
    let conns = ["--source", s.as_str(), "--target", t.as_str(), "--mapping", m.as_str()];
    let mut args = vec!["map", "analyze", "--json", "--sample-rows", "500"];
    args.extend(conns);
    let doc = check("map-analyze", &ok(&args));
    let samples = doc["tables"][0]["samples"].as_array().unwrap();
    let names: Vec<&str> = samples.iter().map(|s| s["strategy"].as_str().unwrap()).collect();
    assert_eq!(names, ["copy (binary)", "fdw"], "{doc}");
    assert!(
        samples.iter().all(|s| s["rows"] == 500 && s["rows_per_second"].as_f64().unwrap() > 0.0)
    );
    assert_eq!(count(&dst, "users"), "0", "analyze wrote rows");
    let servers = dst.query("SELECT count(*) FROM pg_foreign_server").unwrap();
    assert_eq!(servers[0][0], "0", "analyze left a foreign server");

    let mut args = vec!["map", "run", "--strategy", "fdw"];
    args.extend(conns);
    ok(&args);
    assert_eq!(count(&dst, "users"), "1000");
    let doc = check("map-cleanup", &ok(&["map", "cleanup", "--target", &t, "--json"]));
    assert_eq!(doc["server"], true);
    assert_eq!(doc["schemas"][0], "pggraft_map_public");
    let out = ok(&["map", "cleanup", "--target", &t]);
    assert!(out.contains("nothing to drop"), "{out}");
}

#[test]
fn a_batched_run_killed_with_9_resumes_where_it_stopped() {
    let src = db_with("mcli_resume_src", BIG);
    let dst = db_with("mcli_resume_dst", NEW);
    let dir = tempfile::tempdir().unwrap();
    let m = file(&dir, "mapping.toml", MAPPING);
    let (s, t) = (src.url(), dst.url());
    let args = [
        "map",
        "run",
        "--source",
        &s,
        "--target",
        &t,
        "--mapping",
        &m,
        "--strategy",
        "copy",
        "--batch-rows",
        "100000",
        "--json",
    ];
    let done = || -> usize {
        let exists = dst.query("SELECT to_regclass('pggraft.map_batches') IS NOT NULL").unwrap();
        if exists[0][0] != "t" {
            return 0;
        }
        let q = "SELECT count(*) FROM pggraft.map_batches WHERE done";
        dst.query(q).unwrap()[0][0].parse().unwrap()
    };
    let child = spawn(&args);
    let started = Instant::now();
    while done() < 3 {
        assert!(started.elapsed() < Duration::from_secs(60), "no batch was recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.signal("KILL");
    let _ = child.finish_within(Duration::from_secs(10));
    let started = Instant::now();
    while dst
        .query("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pggraft-map-%'")
        .unwrap()[0][0]
        != "0"
    {
        assert!(started.elapsed() < Duration::from_secs(30), "the killed run's sessions stay");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The target holds exactly the batches recorded as done.
    let before = done();
    assert!(before < 16, "the run finished before it was killed");
    assert_eq!(count(&dst, "users"), (before * 100_000).to_string());

    let doc = check("map-run", &ok(&args));
    assert_eq!(doc["batches"]["resumed"], true, "{doc}");
    assert_eq!(doc["batches"]["done_before"], before as u64, "{doc}");
    assert_eq!(doc["tables"][0]["rows"], 1_500_000 - before as u64 * 100_000, "{doc}");
    assert_eq!(count(&dst, "users"), "1500000");
    let dupes = dst.query("SELECT count(*) - count(DISTINCT id) FROM users").unwrap();
    assert_eq!(dupes[0][0], "0");
    assert_eq!(count(&dst, "pggraft.map_batches"), "0", "the finished run's records stay");
    ok(&["map", "verify", "--source", &s, "--target", &t, "--mapping", &m]);
}
