//! Every `--json` report (and `diff --format json`) against the shape `docs/json.md`
//! documents for it, with the exit codes the README gives: the built binary on throwaway
//! databases. Each report is also checked for what it says, not only for its form.

mod util;

use std::path::Path;

use util::shape::check;
use util::{db_with, pggraft, run};

const APP: &str = "CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.users, total numeric);
    CREATE VIEW app.names AS SELECT name FROM app.users;
    INSERT INTO app.users SELECT g, 'user ' || g FROM generate_series(1, 20) g;
    INSERT INTO app.orders SELECT g, 1 + g % 20, g FROM generate_series(1, 50) g;";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn clone_and_verify_reports() {
    let src = db_with("json_clone_src", APP);
    let dst = db_with("json_clone_dst", "");
    let (su, du) = (src.url(), dst.url());
    let (out, _) = run(0, &["clone", "--source", &su, "--target", &du, "-n", "app", "--json"]);
    let doc = check("clone", &out);
    assert_eq!(doc["clone"]["schemas"]["app"], "app");
    let rows: u64 = doc["clone"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(rows, 70);
    assert_eq!(doc["verify"]["tables"].as_array().map(Vec::len), Some(2));

    let verify = ["verify", "--source", &su, "--target", &du, "-n", "app", "--json"];
    let doc = check("verify", &run(0, &verify).0);
    assert!(doc["tables"].as_array().unwrap().iter().all(|t| t["status"] == "match"), "{doc:#}");

    // Differences: exit 1, and the report says where, down to the rows.
    dst.psql(
        "UPDATE app.users SET name = 'changed' WHERE id = 3; DELETE FROM app.orders WHERE id = 7;
              ALTER TABLE app.users ADD COLUMN extra int;",
    )
    .unwrap();
    let (out, _) = run(1, &[&verify[..], &["--level", "rows"]].concat());
    let doc = check("verify", &out);
    assert!(!doc["schema"].as_array().unwrap().is_empty(), "{doc:#}");
    let orders =
        doc["tables"].as_array().unwrap().iter().find(|t| t["source"]["name"] == "orders").unwrap();
    assert_eq!(orders["status"], "differs", "{doc:#}");
    assert_eq!(orders["rows"]["missing"][0][0], "7", "{doc:#}");
}

#[test]
fn diff_and_diff_check_reports() {
    let a = db_with("json_diff_a", APP);
    let b = db_with(
        "json_diff_b",
        &format!(
            "{APP} ALTER TABLE app.users ADD COLUMN email text;
        CREATE INDEX users_email ON app.users (email);"
        ),
    );
    let (au, bu) = (a.url(), b.url());
    let base = [
        "diff",
        &au,
        &bu,
        "-n",
        "app",
        "--no-self-check",
        "--format",
        "json",
        "--allow-hazards",
        "index-build",
    ];
    let doc = check("diff", &run(0, &base).0);
    let changes = doc["changes"].as_array().unwrap();
    assert!(
        changes.iter().any(|c| c["sql"].as_str().unwrap().contains("ADD COLUMN email")),
        "{doc:#}"
    );
    assert!(changes.iter().any(|c| c["hazards"][0]["kind"] == "index-build"), "{doc:#}");

    // Refused hazards: the report is printed all the same, exit 3.
    let down = run(3, &[&base[..], &["--down"]].concat()).0;
    let doc = check("diff", &down);
    assert!(
        doc["changes"].as_array().unwrap().iter().any(|c| c["hazards"][0]["kind"] == "data-loss")
    );

    let doc = check("diff-check", &run(1, &[&base[..], &["--check"]].concat()).0);
    assert_eq!(doc["equal"], false);
    assert!(
        doc["objects"].as_array().unwrap().iter().any(|o| o == "index app.users_email"),
        "{doc:#}"
    );
    let same = ["diff", &au, &au, "-n", "app", "--check", "--format", "json"];
    let doc = check("diff-check", &run(0, &same).0);
    assert_eq!(doc["equal"], true);
    assert_eq!(doc["objects"].as_array().map(Vec::len), Some(0));
}

#[test]
fn inspect_report() {
    let db = db_with("json_inspect", APP);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("app.sql");
    let (out, _) = run(0, &["inspect", &db.url(), "-n", "app", "--json", "-o", s(&file)]);
    let doc = check("inspect", &out);
    assert_eq!(doc["schemas"], serde_json::json!(["app"]));
    assert_eq!(doc["objects"]["table"], 2, "{doc:#}");
    assert_eq!(doc["objects"]["view"], 1, "{doc:#}");
    assert_eq!(doc["output"]["format"], "sql");
    let sql = std::fs::read_to_string(&file).unwrap();
    assert!(sql.contains("CREATE TABLE app.users"), "{sql}");
    // Without -o the report alone is printed.
    let doc = check("inspect", &run(0, &["inspect", &db.url(), "-n", "app", "--json"]).0);
    assert!(doc["output"].is_null());
}

#[test]
fn migrate_reports() {
    let from = db_with("json_mig_from", APP);
    let to = db_with("json_mig_to", &format!("{APP} ALTER TABLE app.users ADD COLUMN email text;"));
    let target = db_with("json_mig_target", APP);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    let d = s(&dir);
    let (fu, tu, url) = (from.url(), to.url(), target.url());

    let new = ["migrate", "new", "add email", "--from", &fu, "--to", &tu, "--dir", d, "--json"];
    let doc = check("migrate-new", &run(0, &new).0);
    assert_eq!(doc["written"], true);
    assert!(doc["up"].as_str().unwrap().ends_with("_add_email.up.sql"), "{doc:#}");
    assert!(Path::new(doc["down"].as_str().unwrap()).exists());
    let same = ["migrate", "new", "nothing", "--from", &fu, "--to", &fu, "--dir", d, "--json"];
    assert_eq!(check("migrate-new", &run(0, &same).0)["written"], false);

    let status = ["migrate", "status", "--target", &url, "--dir", d, "--json"];
    let doc = check("migrate-status", &run(1, &status).0);
    assert_eq!(doc["up_to_date"], false);
    assert_eq!(doc["counts"]["pending"], 1);
    assert_eq!(doc["migrations"][0]["state"], "pending");

    let up = ["migrate", "up", "--target", &url, "--dir", d, "--json"];
    let doc = check("migrate-up", &run(0, &[&up[..], &["--dry-run"]].concat()).0);
    assert_eq!(
        (doc["dry_run"].clone(), doc["applied"].as_array().map(Vec::len)),
        (true.into(), Some(0))
    );
    let doc = check("migrate-up", &run(0, &up).0);
    assert_eq!(doc["applied"][0]["action"], "up", "{doc:#}");
    let doc = check("migrate-status", &run(0, &status).0);
    assert_eq!(
        (doc["up_to_date"].clone(), doc["counts"]["applied"].clone()),
        (true.into(), 1.into())
    );

    let down = ["migrate", "down", "--target", &url, "--dir", d, "--json"];
    let doc = check("migrate-down", &run(0, &down).0);
    assert_eq!(doc["applied"][0]["action"], "down", "{doc:#}");

    let version = doc["applied"][0]["version"].as_str().unwrap().to_owned();
    let baseline =
        ["migrate", "baseline", "--target", &url, "--dir", d, "--version", &version, "--json"];
    let doc = check("migrate-baseline", &run(0, &baseline).0);
    assert_eq!(doc["applied"][0]["action"], "baseline", "{doc:#}");
}

#[test]
fn sync_schema_report() {
    let src = db_with("json_sync_src", APP);
    let dst = db_with("json_sync_dst", "");
    let (su, du) = (src.url(), dst.url());
    run(0, &["clone", "--source", &su, "--target", &du, "-n", "app=app_copy", "--no-verify"]);
    let sync = ["sync-schema", "--source", &su, "--target", &du, "-n", "app=app_copy", "--json"];
    let doc = check("sync-schema", &run(0, &sync).0);
    assert_eq!(doc["up_to_date"], true, "{doc:#}");

    src.psql("ALTER TABLE app.users ADD COLUMN email text").unwrap();
    let doc = check("sync-schema", &run(0, &sync).0);
    assert_eq!(doc["up_to_date"], false);
    assert_eq!(doc["schemas"]["app"], "app_copy");
    assert!(
        doc["changes"][0]["sql"].as_str().unwrap().contains("app_copy.users ADD COLUMN email"),
        "{doc:#}"
    );
    assert!(doc["applied"].is_null() && doc["written"].is_null());

    let tmp = tempfile::tempdir().unwrap();
    let write = [&sync[..], &["--write", s(tmp.path())]].concat();
    let doc = check("sync-schema", &run(0, &write).0);
    assert!(Path::new(doc["written"]["up"].as_str().unwrap()).exists(), "{doc:#}");

    let doc = check("sync-schema", &run(0, &[&sync[..], &["--apply"]].concat()).0);
    assert_eq!(doc["applied"]["action"], "up", "{doc:#}");
    let cols = dst.query("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'app_copy' AND column_name = 'email'").unwrap();
    assert_eq!(cols[0][0], "1");
}

/// A refusal stays an `error:` line on stderr with exit 2, `--json` or not.
#[test]
fn errors_are_not_json() {
    let tmp = tempfile::tempdir().unwrap();
    let url = "postgres://u@127.0.0.1:1/x";
    let line = pggraft(&["migrate", "status", "--target", url, "--dir", s(tmp.path()), "--json"])
        .error_line();
    assert!(line.contains("127.0.0.1:1"), "{line}");
}
