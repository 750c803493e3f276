//! `pggraft clone --resume` as a user runs it: a clone killed with SIGKILL
//! once some of its tables are in, resumed with the same command plus
//! `--resume` to a copy that verifies identical, its report naming what was
//! kept from which snapshot; and the refusals (exit 2, one `error:` line,
//! target unchanged): nothing stored, another plan.

mod util;

use std::time::Duration;

use pg_sandbox::TestDb;
use util::{db_with, pggraft, spawn, wait_for};

fn source() -> TestDb<'static> {
    let mut sql = String::from("CREATE SCHEMA app;\n");
    for (i, t) in ["t1", "t2", "t3", "t4"].iter().enumerate() {
        let n = 60_000 * (4 - i);
        sql.push_str(&format!(
            "CREATE TABLE app.{t} (id int PRIMARY KEY, v text);
             INSERT INTO app.{t} SELECT g, repeat('y', 60) || g FROM generate_series(1, {n}) g;\n"
        ));
    }
    db_with("resume_cli_src", &sql)
}

fn done_tables(dst: &TestDb<'_>) -> usize {
    let exists = dst.query("SELECT to_regclass('pggraft.clone_done') IS NOT NULL").unwrap();
    if exists[0][0] != "t" {
        return 0;
    }
    dst.query("SELECT count(*) FROM pggraft.clone_done WHERE kind = 'table'").unwrap()[0][0]
        .parse()
        .unwrap()
}

#[test]
fn a_clone_killed_with_sigkill_is_resumed_to_an_identical_copy() {
    let src = source();
    let dst = db_with("resume_cli_dst", "");
    let (s, t) = (src.url(), dst.url());
    let args =
        ["clone", "--source", &s, "--target", &t, "-n", "app", "-j", "1", "--index-jobs", "1"];

    let line = pggraft(&[&args[..], &["--resume"]].concat()).only_error_line();
    assert!(line.contains("no interrupted clone into \"app\""), "{line}");

    let run = spawn(&args);
    wait_for("a table copied", Duration::from_secs(60), || done_tables(&dst) >= 1);
    run.signal("KILL");
    let killed = run.finish_within(Duration::from_secs(20));
    assert_ne!(killed.exit_code(), Some(0), "{killed}");
    let builds = "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'";
    assert_eq!(dst.query(builds).unwrap()[0][0], "1");

    // The killed run's backends end once they notice (one may finish its statement first).
    let sessions = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pggraft-clone-%' \
         AND datname = '{}'",
        dst.name()
    );
    wait_for("the killed run's sessions to end", Duration::from_secs(30), || {
        dst.query(&sessions).unwrap()[0][0] == "0"
    });

    // Another plan: refused, naming what differs, nothing changed.
    let before = dst.dump_schema(&[]).unwrap();
    let line = pggraft(&[&args[..], &["--resume", "--no-owner"]].concat()).error_line();
    assert!(line.contains("owners (--no-owner) is false, was true"), "{line}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);

    // The killed run's sessions end once the server notices.
    let resumed = [&args[..], &["--resume"]].concat();
    let mut out = String::new();
    wait_for("the resume", Duration::from_secs(30), || {
        let r = pggraft(&resumed);
        if r.exit_code() == Some(0) {
            out = r.stdout();
            return true;
        }
        assert!(r.stderr().contains("still running"), "{r}");
        false
    });
    assert!(out.contains("resumed: kept"), "{out}");
    assert!(out.contains("from the new snapshot"), "{out}");
    assert!(out.contains("identical"), "{out}");
    assert_eq!(dst.query(builds).unwrap()[0][0], "0");
    let runs = "SELECT to_regclass('pggraft.clone_runs') IS NULL";
    assert_eq!(dst.query(runs).unwrap()[0][0], "t");
    // Nothing left to resume.
    let line = pggraft(&resumed).error_line();
    assert!(line.contains("no interrupted clone"), "{line}");
}
