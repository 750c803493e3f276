//! `pggraft verify` as a user runs it: exit code 0 when the copy matches,
//! 1 when it differs (each difference printed), 2 on errors.

use std::process::{Command, Output};

use pg_sandbox::Cluster;

const SHOP: &str = "
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new', amount numeric);
CREATE INDEX orders_status_idx ON shop.orders (status);
CREATE TABLE shop.log (msg text);
INSERT INTO shop.orders SELECT i, 'new', i * 1.5 FROM generate_series(1, 3000) i;
INSERT INTO shop.log SELECT 'line ' || i FROM generate_series(1, 100) i;
";

fn pggraft(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pggraft"));
    cmd.args(args).env_remove("PGGRAFT_SOURCE").env_remove("PGGRAFT_TARGET");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pggraft")
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn exit_code_says_whether_the_copy_matches() {
    let cluster = Cluster::shared().expect("test cluster");
    let src = cluster.create_database("cli_verify_src").unwrap();
    let tgt = cluster.create_database("cli_verify_tgt").unwrap();
    src.psql(SHOP).unwrap();
    tgt.psql(SHOP).unwrap();
    let (s, t) = (src.url(), tgt.url());

    let out =
        pggraft(&["verify", "--source", &s, "--target", &t, "-n", "shop", "--level", "rows"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("identical"), "{}", show(&out));

    tgt.psql(
        "DELETE FROM shop.orders WHERE id = 17;
         UPDATE shop.orders SET amount = 0 WHERE id = 2500;
         INSERT INTO shop.log VALUES ('extra');
         ALTER TABLE shop.orders ALTER COLUMN status SET DEFAULT 'old';
         DROP INDEX shop.orders_status_idx;",
    )
    .unwrap();
    let out = pggraft(&["verify", "--source", &s, "--target", &t, "--level", "rows"], &[]);
    println!("{}", show(&out));
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "schema changed: default shop.orders.status",
        "schema missing: index shop.orders_status_idx",
        "missing row id=17",
        "changed row id=2500",
        "1 row(s) only in target",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in\n{}", show(&out));
    }

    // Connections from the environment, report as JSON.
    let out = pggraft(
        &["verify", "--json", "-t", "orders", "--level", "counts"],
        &[("PGGRAFT_SOURCE", &s), ("PGGRAFT_TARGET", &t)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["level"], "counts");
    assert_eq!(report["tables"][0]["status"], "differs", "{report:#}");
    assert_eq!(report["tables"][0]["target_rows"], 2999);

    // An error is exit code 2.
    let nowhere = cluster.url("no_such_database_for_verify");
    let out = pggraft(&["verify", "--source", &s, "--target", &nowhere], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no_such_database_for_verify"),
        "{}",
        show(&out)
    );
}
