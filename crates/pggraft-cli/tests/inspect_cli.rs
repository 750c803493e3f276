//! `pggraft inspect` as a user runs it: the built binary against a throwaway cluster, checking
//! what it prints, what it writes, and that every bad input ends in exit code 2 with one
//! `error:` line that names the problem (and never echoes a password).

mod util;

use std::path::Path;

use util::{cluster, db_with, ok, pggraft, pggraft_env, url_as};

/// A small schema with a table, an index and a view, enough to recognise in the output.
const SHOP: &str = "
    CREATE SCHEMA shop;
    CREATE TABLE shop.t (id int PRIMARY KEY, name text NOT NULL);
    CREATE INDEX t_name_idx ON shop.t (name);
    CREATE VIEW shop.v AS SELECT id FROM shop.t;
";

/// Asserts exit code 2 with exactly one line on stderr, starting with `error:`, and nothing on
/// stdout. Returns that line.
fn fails(args: &[&str]) -> String {
    pggraft(args).only_error_line()
}

#[test]
fn sql_output_names_tables_schema_qualified() {
    let db = db_with("cli_sql", SHOP);
    let sql = ok(&["inspect", &db.url(), "-n", "shop"]);
    assert!(sql.contains("CREATE TABLE shop.t"), "no CREATE TABLE shop.t in:\n{sql}");
    assert!(sql.contains("t_name_idx"), "index missing from:\n{sql}");
    assert!(sql.contains("CREATE VIEW shop.v"), "view missing from:\n{sql}");
}

#[test]
fn sql_output_recreates_the_schema() {
    let src = db_with("cli_rt_src", SHOP);
    let sql = ok(&["inspect", &src.url(), "-n", "shop"]);
    let dst = db_with("cli_rt_dst", "");
    dst.psql(&sql).unwrap_or_else(|e| panic!("applying inspect output failed: {e}\n{sql}"));
    assert_eq!(src.dump_schema(&["shop"]).unwrap(), dst.dump_schema(&["shop"]).unwrap());
}

#[test]
fn json_to_a_file_parses() {
    let db = db_with("cli_json", SHOP);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.json");
    let file_arg = file.to_str().unwrap();
    let out = ok(&["inspect", &db.url(), "-n", "shop", "--format", "json", "-o", file_arg]);
    assert!(out.is_empty(), "-o should leave stdout empty, got:\n{out}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).expect("valid JSON");
    assert_eq!(json["database"], db.name());
    assert_eq!(schema_names(&json), ["shop"]);
    let tables = json["tables"].to_string();
    assert!(tables.contains("\"t\""), "table t missing from JSON tables: {tables}");
}

#[test]
fn schema_names_with_spaces_and_capitals_match_exactly() {
    let db = db_with(
        "cli_odd",
        r#"CREATE SCHEMA "Odd Schema";
           CREATE TABLE "Odd Schema"."My Table" (id int PRIMARY KEY);
           CREATE SCHEMA odd;
           CREATE TABLE odd.plain (id int);"#,
    );
    let sql = ok(&["inspect", &db.url(), "-n", "Odd Schema"]);
    assert!(sql.contains(r#"CREATE TABLE "Odd Schema"."My Table""#), "table missing from:\n{sql}");
    assert!(!sql.contains("odd.plain"), "schema `odd` was not asked for:\n{sql}");
    // Names are not case-folded: a lower-case spelling names no schema.
    let err = fails(&["inspect", &db.url(), "-n", "odd schema"]);
    assert!(err.contains("odd schema"), "error does not name the schema: {err}");
}

#[test]
fn wildcards_select_several_schemas() {
    let db = db_with(
        "cli_wild",
        "CREATE SCHEMA sales; CREATE TABLE sales.orders (id int);
         CREATE SCHEMA stock; CREATE TABLE stock.items (id int);
         CREATE SCHEMA other; CREATE TABLE other.misc (id int);",
    );
    let sql = ok(&["inspect", &db.url(), "-n", "s*"]);
    assert!(sql.contains("CREATE TABLE sales.orders"), "sales missing from:\n{sql}");
    assert!(sql.contains("CREATE TABLE stock.items"), "stock missing from:\n{sql}");
    assert!(!sql.contains("other.misc"), "`s*` matched `other`:\n{sql}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.json");
    ok(&["inspect", &db.url(), "-n", "st?ck", "--format", "json", "-o", file.to_str().unwrap()]);
    assert_eq!(schema_names(&read_json(&file)), ["stock"]);

    // A wildcard that matches nothing is not an error, just an empty selection.
    let json = ok(&["inspect", &db.url(), "-n", "zz*", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert!(schema_names(&json).is_empty());
}

#[test]
fn keyword_strings_and_pg_env_vars_connect() {
    let db = db_with("cli_conn", SHOP);
    let (role, password) = ("pggraft_cli_conn", "Conn-Secret-1234");
    cluster().create_role(role, password, false).unwrap();
    let (host, port) = (cluster().host(), cluster().port().to_string());

    let keywords = format!("host={host} port={port} dbname={} user={role}", db.name());
    let with_password = format!("{keywords} password='{password}'");
    let sql = ok(&["inspect", &with_password, "-n", "shop"]);
    assert!(sql.contains("CREATE TABLE shop.t"), "keyword string: no shop.t in:\n{sql}");

    // No connection argument at all: everything from the environment, as with psql.
    let out = pggraft_env(
        &["inspect", "-n", "shop"],
        &[
            ("PGHOST", host),
            ("PGPORT", &port),
            ("PGDATABASE", db.name()),
            ("PGUSER", role),
            ("PGPASSWORD", password),
        ],
    )
    .code(0);
    assert!(out.stdout().contains("CREATE TABLE shop.t"), "PG* variables: {out}");
}

/// A team's `pg_service.conf` names the server, the database and the role; the password
/// comes from a `.pgpass` line matching what the service resolved to. Connected with
/// `service=` and with `PGSERVICE`, over a real password login.
#[test]
fn service_file_and_pgpass_connect() {
    use std::os::unix::fs::PermissionsExt;
    let db = db_with("cli_svc", SHOP);
    let (role, password) = ("pggraft_cli_svc", "Svc-Secret-2468");
    cluster().create_role(role, password, false).unwrap();
    let (host, port) = (cluster().host(), cluster().port());
    let home = tempfile::tempdir().unwrap();
    let service_file = home.path().join("services.conf");
    let conf = format!(
        "[other]\nhost=192.0.2.1\n[app]\nhost={host}\nport={port}\ndbname={}\nuser={role}\n",
        db.name()
    );
    std::fs::write(&service_file, conf).unwrap();
    let pgpass = home.path().join(".pgpass");
    std::fs::write(&pgpass, format!("{host}:{port}:{}:{role}:{password}\n", db.name())).unwrap();
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let home_dir = home.path().to_str().unwrap();
    let env = [
        ("HOME", home_dir),
        ("PGSERVICEFILE", service_file.to_str().unwrap()),
        ("PGSYSCONFDIR", home_dir),
    ];
    let by_env = [&env[..], &[("PGSERVICE", "app")]].concat();
    let runs = [
        (&["inspect", "service=app", "-n", "shop"][..], &env[..]),
        (&["inspect", "-n", "shop"], &by_env),
    ];
    for (args, env) in runs {
        let out = pggraft_env(args, env).code(0);
        assert!(out.stdout().contains("CREATE TABLE shop.t"), "{out}");
    }
    let err = pggraft_env(&["inspect", "service=nope"], &env).only_error_line();
    assert!(err.contains("\"nope\""), "{err}");
}

#[test]
fn unreachable_server_is_an_error() {
    let err = fails(&["inspect", "postgres://postgres@127.0.0.1:1/x"]);
    assert!(err.contains("127.0.0.1:1/x"), "error does not name the server: {err}");
    assert!(err.contains("connection refused"), "error does not say why: {err}");
}

#[test]
fn wrong_password_is_an_error_and_not_echoed() {
    let db = db_with("cli_pw", SHOP);
    let role = "pggraft_cli_pw";
    cluster().create_role(role, "Right-Secret-4711", false).unwrap();
    // The right password gets in, so the failure below is about the password alone.
    let sql = ok(&["inspect", &url_as(role, "Right-Secret-4711", db.name()), "-n", "shop"]);
    assert!(sql.contains("CREATE TABLE shop.t"));

    let wrong = "Wrong-Secret-0815";
    let url = url_as(role, wrong, db.name());
    let out = pggraft(&["inspect", &url, "-n", "shop"]);
    assert!(!out.stderr().contains(wrong), "stderr shows the password: {out}");
    let err = out.only_error_line();
    assert!(err.contains("password"), "error does not say it is the password: {err}");
    assert!(err.contains(role), "error does not name the role: {err}");
}

#[test]
fn missing_database_is_an_error() {
    let name = format!("no_such_db_{}", std::process::id());
    let err = fails(&["inspect", &cluster().url(&name)]);
    assert!(err.contains(&name), "error does not name the database: {err}");
}

#[test]
fn missing_schema_is_an_error() {
    let db = db_with("cli_noschema", SHOP);
    let err = fails(&["inspect", &db.url(), "-n", "nope"]);
    assert!(err.contains("nope"), "error does not name the schema: {err}");
}

#[test]
fn shell_types_once_refused_are_printed() {
    let db = db_with("cli_unsup", &format!("{SHOP} CREATE TYPE shop.later;"));
    let sql = ok(&["inspect", &db.url(), "-n", "shop"]);
    assert!(sql.contains("CREATE TYPE shop.later;"), "no shell type in:\n{sql}");
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).expect("valid JSON")
}

fn schema_names(json: &serde_json::Value) -> Vec<String> {
    json["schemas"]
        .as_array()
        .expect("`schemas` is an array")
        .iter()
        .map(|s| s["name"].as_str().expect("schema name").to_owned())
        .collect()
}
