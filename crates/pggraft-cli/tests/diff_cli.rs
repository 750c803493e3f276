//! `pggraft diff` from the command line: inputs (connections, JSON
//! snapshots, SQL folders), exit codes (0 equal / 1 differ with --check, 3
//! refused hazards), schema mapping, down migrations — judged by applying
//! the printed SQL to a real database and checking nothing is left to diff.

use std::process::{Command, Output};

use pg_sandbox::{Cluster, TestDb};

fn db_with(prefix: &str, sql: &str) -> TestDb<'static> {
    let db = Cluster::shared().expect("test cluster").create_database(prefix).expect("database");
    if !sql.is_empty() {
        db.psql(sql).expect("load");
    }
    db
}

fn pggraft(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pggraft")).args(args).output().expect("run pggraft")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const FROM: &str = "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, old text);
                    INSERT INTO app.t VALUES (1, 'x');";
const TO: &str = "CREATE SCHEMA app; CREATE TABLE app.t (id bigint PRIMARY KEY, email text);
                  CREATE INDEX t_email ON app.t (email);";

#[test]
fn check_exits_1_on_drift_and_0_when_equal() {
    let a = db_with("dcli_check_a", FROM);
    let b = db_with("dcli_check_b", TO);
    let out = pggraft(&["diff", &a.url(), &b.url(), "-n", "app", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("relation app.t"));
    let out = pggraft(&["diff", &a.url(), &a.url(), "-n", "app", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn hazardous_plan_is_refused_with_exit_3_then_applies_when_allowed() {
    let a = db_with("dcli_haz_a", FROM);
    let b = db_with("dcli_haz_b", TO);
    let out = pggraft(&["diff", &a.url(), &b.url(), "-n", "app"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("data-loss"), "{}", text(&out.stderr));
    let before = a.dump_schema(&[]).unwrap();
    assert_eq!(a.dump_schema(&[]).unwrap(), before, "a refused plan changes nothing");
    let out = pggraft(&["diff", &a.url(), &b.url(), "-n", "app", "--allow-hazards", "all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    a.psql(&text(&out.stdout)).expect("the migration applies");
    let out = pggraft(&["diff", &a.url(), &b.url(), "-n", "app", "--check"]);
    assert_eq!(out.status.code(), Some(0), "nothing left to diff: {}", text(&out.stdout));
}

#[test]
fn snapshot_and_sql_folder_inputs_and_down() {
    let dir = tempfile::tempdir().unwrap();
    let a = db_with("dcli_snap_a", FROM);
    let snap = dir.path().join("from.json");
    let out = pggraft(&[
        "inspect",
        &a.url(),
        "-n",
        "app",
        "--format",
        "json",
        "-o",
        snap.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ddl = dir.path().join("ddl");
    std::fs::create_dir(&ddl).unwrap();
    std::fs::write(ddl.join("01_schema.sql"), "CREATE SCHEMA app;").unwrap();
    std::fs::write(
        ddl.join("02_tables.sql"),
        "CREATE TABLE app.t (id bigint PRIMARY KEY, email text);
        CREATE INDEX t_email ON app.t (email);",
    )
    .unwrap();
    let (snap, ddl) = (snap.to_str().unwrap(), ddl.to_str().unwrap());
    // Up from the snapshot to the DDL folder, applied to the live database.
    let out = pggraft(&["diff", snap, ddl, "-n", "app", "--allow-hazards", "all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    a.psql(&text(&out.stdout)).expect("up applies");
    let out = pggraft(&["diff", &a.url(), ddl, "-n", "app", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // Down (DDL folder back to the snapshot), applied to the same database.
    let out = pggraft(&["diff", snap, ddl, "-n", "app", "--down", "--allow-hazards", "all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    a.psql(&text(&out.stdout)).expect("down applies");
    let out = pggraft(&["diff", &a.url(), snap, "-n", "app", "--check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn schemas_of_different_names_are_compared() {
    let a = db_with("dcli_map_a", "CREATE SCHEMA dev; CREATE TABLE dev.t (id int, note text);");
    let b = db_with("dcli_map_b", "CREATE SCHEMA prod; CREATE TABLE prod.t (id int);");
    let out = pggraft(&[
        "diff",
        &a.url(),
        &b.url(),
        "-n",
        "dev=prod",
        "--allow-hazards",
        "all",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sql: Vec<&str> =
        json["changes"].as_array().unwrap().iter().map(|c| c["sql"].as_str().unwrap()).collect();
    assert_eq!(sql, ["ALTER TABLE dev.t DROP COLUMN note"], "{json}");
}

#[test]
fn bad_inputs_exit_2() {
    let out = pggraft(&["diff", "missing.json", "postgres://postgres@127.0.0.1:1/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error:"), "{}", text(&out.stderr));
    let out = pggraft(&[
        "diff",
        "postgres://postgres@127.0.0.1:1/x",
        "postgres://postgres@127.0.0.1:1/y",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = pggraft(&["diff", "a", "b", "--allow-hazards", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
}
