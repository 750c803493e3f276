//! `pggraft verify` as a user runs it: exit code 0 when the copy matches,
//! 1 when it differs (each difference printed), 2 on errors.

mod util;

use util::{cluster, db_with, pggraft, pggraft_env};

const SHOP: &str = "
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id int PRIMARY KEY, status text NOT NULL DEFAULT 'new', amount numeric);
CREATE INDEX orders_status_idx ON shop.orders (status);
CREATE TABLE shop.log (msg text);
INSERT INTO shop.orders SELECT i, 'new', i * 1.5 FROM generate_series(1, 3000) i;
INSERT INTO shop.log SELECT 'line ' || i FROM generate_series(1, 100) i;
";

#[test]
fn exit_code_says_whether_the_copy_matches() {
    let src = db_with("cli_verify_src", SHOP);
    let tgt = db_with("cli_verify_tgt", SHOP);
    let (s, t) = (src.url(), tgt.url());

    let out = pggraft(&["verify", "--source", &s, "--target", &t, "-n", "shop", "--level", "rows"])
        .code(0);
    assert!(out.stdout().contains("identical"), "{out}");

    tgt.psql(
        "DELETE FROM shop.orders WHERE id = 17;
         UPDATE shop.orders SET amount = 0 WHERE id = 2500;
         INSERT INTO shop.log VALUES ('extra');
         ALTER TABLE shop.orders ALTER COLUMN status SET DEFAULT 'old';
         DROP INDEX shop.orders_status_idx;",
    )
    .unwrap();
    let out = pggraft(&["verify", "--source", &s, "--target", &t, "--level", "rows"]);
    println!("{out}");
    let out = out.code(1);
    let stdout = out.stdout();
    for expected in [
        "schema changed: default shop.orders.status",
        "schema missing: index shop.orders_status_idx",
        "missing row id=17",
        "changed row id=2500",
        "1 row(s) only in target",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in\n{out}");
    }

    // Connections from the environment, report as JSON.
    let out = pggraft_env(
        &["verify", "--json", "-t", "orders", "--level", "counts"],
        &[("PGGRAFT_SOURCE", &s), ("PGGRAFT_TARGET", &t)],
    )
    .code(1);
    let report: serde_json::Value =
        serde_json::from_slice(out.stdout_bytes()).expect("JSON report");
    assert_eq!(report["level"], "counts");
    assert_eq!(report["tables"][0]["status"], "differs", "{report:#}");
    assert_eq!(report["tables"][0]["target_rows"], 2999);

    // An error is exit code 2.
    let nowhere = cluster().url("no_such_database_for_verify");
    let err = pggraft(&["verify", "--source", &s, "--target", &nowhere]).error_line();
    assert!(err.contains("no_such_database_for_verify"), "{err}");
}
