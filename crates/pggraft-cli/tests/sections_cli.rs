//! `pggraft snapshot` and `pggraft clone --snapshot NAME --section …` as a
//! user runs them: the snapshot held in the foreground or by a detached
//! process (`--background --pid-file`), a clone run section by section
//! with the user's `ALTER TABLE … ADD COLUMN` between pre-data and data,
//! and the refusals (exit 2, one `error:` line, target unchanged).

mod util;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use util::{db_with, ok, pggraft, wait_for};

const APP: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
    CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.users, amount int);
    INSERT INTO app.users (email) SELECT 'u' || g FROM generate_series(1, 20) g;
    INSERT INTO app.orders SELECT g, 1 + g % 20, g FROM generate_series(1, 200) g;
";

fn alive(pid: &str) -> bool {
    Command::new("kill").args(["-0", pid]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

#[test]
fn a_clone_in_sections_under_a_background_snapshot() {
    let src = db_with("sections_cli_src", APP);
    let dst = db_with("sections_cli_dst", "");
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("snapshot.pid");
    let pid_path = pid_file.to_str().unwrap();
    let s = src.url();
    let t = dst.url();
    let out = ok(&["snapshot", "--source", &s, "--background", "--pid-file", pid_path]);
    let name = out.trim().to_string();
    assert!(!name.is_empty() && !name.contains(' '), "{out}");
    let pid = std::fs::read_to_string(&pid_file).unwrap().trim().to_string();
    assert!(alive(&pid));
    src.psql("UPDATE app.orders SET amount = 0").unwrap();

    let base = ["clone", "--source", &s, "--target", &t, "-n", "app", "--snapshot", &name];
    let step = |section: &'static str| [&base[..], &["--section", section]].concat();
    let line = pggraft(&step("data")).only_error_line();
    assert!(line.contains("needs section pre-data first"), "{line}");

    let out = ok(&step("pre-data"));
    assert!(out.contains(&format!("pre-data under snapshot {name}")), "{out}");
    dst.psql("ALTER TABLE app.orders ADD COLUMN note text DEFAULT 'mine'").unwrap();
    ok(&step("data"));
    ok(&[&step("post-data")[..], &["--no-verify"]].concat());
    let got = dst
        .query("SELECT count(*), sum(amount), min(note), count(DISTINCT user_id) FROM app.orders")
        .unwrap();
    assert_eq!(got[0], ["200", "20100", "mine", "20"]);
    let keys = "SELECT string_agg(conname, ' ' ORDER BY conname) FROM pg_constraint \
                WHERE connamespace = 'app'::regnamespace";
    assert_eq!(dst.query(keys).unwrap(), src.query(keys).unwrap());

    // Stopping the holder ends the snapshot and removes the pid file.
    Command::new("kill").arg(&pid).status().unwrap();
    wait_for("the snapshot holder to stop", Duration::from_secs(20), || !alive(&pid));
    assert!(!pid_file.exists());
    let other = db_with("sections_cli_gone_dst", "CREATE TABLE public.keep (x int);");
    let before = other.dump_schema(&[]).unwrap();
    let to = other.url();
    let run = pggraft(&[
        "clone",
        "--source",
        &s,
        "--target",
        &to,
        "-n",
        "app",
        "--snapshot",
        &name,
        "--section",
        "pre-data",
    ]);
    let line = run.only_error_line();
    assert!(line.contains(&format!("snapshot {name:?} does not exist")), "{line}");
    assert!(line.contains("pggraft snapshot --source"), "{line}");
    assert_eq!(other.dump_schema(&[]).unwrap(), before);
}

#[test]
fn snapshot_in_the_foreground_prints_its_name_and_stops_on_ctrl_c() {
    let src = db_with("snapshot_cli_src", APP);
    let mut child = Command::new(env!("CARGO_BIN_EXE_pggraft"))
        .args(["snapshot", "--source", &src.url()])
        .env_remove("PGGRAFT_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let name = line.trim();
    // Another session can join it.
    let joined = src
        .query(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT '{name}'; \
             SELECT count(*) FROM app.orders; COMMIT;"
        ))
        .unwrap();
    assert!(joined.iter().any(|r| r == &["200"]), "{joined:?}");
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
