//! `pggraft clone` as a user runs it: the built binary against throwaway databases. A clone
//! is judged by what lands in the target (catalog, rows, `pg_dump --schema-only`), and every
//! refused clone by three things: exit code 2, one `error:` line that names the problem (and
//! never a password), and a target left exactly as it was.

mod util;

use pg_sandbox::TestDb;

use std::time::Duration;

use util::{LockHolder, Run, cluster, db_with, ok, pggraft, run, spawn, url_as, wait_for};

/// A schema with the usual moving parts: a serial key, an identity column, a foreign key, a
/// check, an index, a view, and two side tables for the filter tests.
const APP: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text);
    CREATE TABLE app.orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id int NOT NULL REFERENCES app.users (id),
        amount numeric(10, 2) NOT NULL CHECK (amount > 0)
    );
    CREATE INDEX orders_user_idx ON app.orders (user_id);
    CREATE VIEW app.big_orders AS SELECT id, amount FROM app.orders WHERE amount > 100;
    CREATE TABLE app.logs (id int, msg text);
    CREATE TABLE app.audit (id int, what text);
    INSERT INTO app.users (email, name)
        SELECT 'u' || g || '@example.com', 'User ' || g FROM generate_series(1, 200) g;
    INSERT INTO app.orders (user_id, amount) SELECT 1 + g % 200, g * 0.5 FROM generate_series(1, 1000) g;
    INSERT INTO app.logs SELECT g, 'line ' || g FROM generate_series(1, 50) g;
    INSERT INTO app.audit SELECT g, 'did ' || g FROM generate_series(1, 30) g;
";

/// The tables of [`APP`].
const APP_TABLES: &[&str] = &["users", "orders", "logs", "audit"];

/// What a target holds before a clone that must not touch it.
const KEEP: &str = "CREATE TABLE public.keep (x int); INSERT INTO public.keep VALUES (1), (2);";

/// Runs `clone` with `args`, asserts exit 0 and returns stdout.
fn clone_ok(args: &[&str]) -> String {
    ok(&[&["clone"], args].concat())
}

/// Runs `clone` with `args`, which must be refused ([`Run::error_line`]). Returns the `error:`
/// line and the run.
fn clone_fails(args: &[&str]) -> (String, Run) {
    let run = pggraft(&[&["clone"], args].concat());
    (run.error_line(), run)
}

/// The state of a database that a refused clone must leave alone.
struct Untouched<'a> {
    db: &'a TestDb<'static>,
    dump: String,
    keep: Vec<Vec<String>>,
}

impl<'a> Untouched<'a> {
    fn record(db: &'a TestDb<'static>) -> Untouched<'a> {
        Untouched { db, dump: db.dump_schema(&[]).unwrap(), keep: keep_rows(db) }
    }

    fn check(&self, what: &str) {
        assert_eq!(self.db.dump_schema(&[]).unwrap(), self.dump, "{what}: target schema changed");
        assert_eq!(keep_rows(self.db), self.keep, "{what}: target data changed");
        assert_eq!(build_schemas(self.db), Vec::<String>::new(), "{what}: build schemas left");
    }
}

/// Rows of `public.keep`, if the database has that table.
fn keep_rows(db: &TestDb<'_>) -> Vec<Vec<String>> {
    let exists = db.query("SELECT to_regclass('public.keep') IS NOT NULL").unwrap();
    if exists[0][0] != "t" {
        return vec![];
    }
    db.query("SELECT x FROM public.keep ORDER BY x").unwrap()
}

/// Temporary schemas a clone builds under before renaming them into place.
fn build_schemas(db: &TestDb<'_>) -> Vec<String> {
    db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'")
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

/// Runs a clone that must be refused and checks that `target` is as before. Returns the
/// `error:` line.
fn refused(target: &TestDb<'static>, args: &[&str]) -> String {
    let before = Untouched::record(target);
    let (line, _) = clone_fails(args);
    before.check(&line);
    line
}

/// `count:sum of row hashes` of a table (already quoted), to compare data across databases.
fn table_hash(db: &TestDb<'_>, table: &str) -> String {
    let sql = format!(
        "SELECT count(*) || ':' || COALESCE(sum(hashtextextended(t::text, 0)), 0) FROM ONLY {table} t"
    );
    db.query(&sql).unwrap()[0][0].clone()
}

fn count(db: &TestDb<'_>, table: &str) -> String {
    db.query(&format!("SELECT count(*) FROM {table}")).unwrap()[0][0].clone()
}

/// Relations (tables and views) of a schema, sorted.
fn relations(db: &TestDb<'_>, schema: &str) -> Vec<String> {
    db.query(&format!(
        "SELECT relname FROM pg_class WHERE relkind IN ('r', 'v', 'p', 'm') \
         AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = '{schema}') ORDER BY 1"
    ))
    .unwrap()
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

#[test]
fn clone_to_another_database_copies_structure_and_data() {
    let src = db_with("clone_cli_src", APP);
    let dst = db_with("clone_cli_dst", "");
    let (s, t) = (src.url(), dst.url());
    let report = clone_ok(&["--source", &s, "--target", &t, "-n", "app"]);
    assert!(report.contains("identical"), "report does not say the copy is identical:\n{report}");

    assert_eq!(src.dump_schema(&["app"]).unwrap(), dst.dump_schema(&["app"]).unwrap());
    for table in APP_TABLES {
        let q = format!("app.{table}");
        assert_eq!(table_hash(&src, &q), table_hash(&dst, &q), "data of {q} differs");
    }
    assert_eq!(count(&dst, "app.orders"), "1000");
    assert_eq!(count(&dst, "app.big_orders"), "800");
    // Sequences continue where the source's stopped: the next user gets id 201.
    dst.psql("INSERT INTO app.users (email) VALUES ('new@example.com')").unwrap();
    let id = dst.query("SELECT id FROM app.users WHERE email = 'new@example.com'").unwrap();
    assert_eq!(id[0][0], "201");
    assert!(build_schemas(&dst).is_empty());
}

/// `--unlogged`: every table UNLOGGED on the target (issue #16), the rows copied, the
/// verification after the clone clean (exit 0), and the report saying so.
#[test]
fn unlogged_clone_creates_unlogged_tables() {
    let src = db_with("clone_cli_unlogged_src", APP);
    let dst = db_with("clone_cli_unlogged_dst", "");
    let report =
        clone_ok(&["--source", &src.url(), "--target", &dst.url(), "-n", "app", "--unlogged"]);
    assert!(report.contains("identical"), "{report}");
    assert!(report.contains("UNLOGGED"), "{report}");
    let persistence = dst
        .query(
            "SELECT DISTINCT c.relpersistence FROM pg_class c JOIN pg_namespace n \
             ON n.oid = c.relnamespace WHERE n.nspname = 'app' AND c.relkind = 'r'",
        )
        .unwrap();
    assert_eq!(persistence, [["u"]]);
    // verify on its own takes the flag the copy was made with.
    let (s, t) = (src.url(), dst.url());
    // Without it, the tables' persistence differs from the source's.
    run(1, &["verify", "--source", &s, "--target", &t, "-n", "app"]);
    ok(&["verify", "--source", &s, "--target", &t, "-n", "app", "--unlogged"]);
    for table in APP_TABLES {
        let q = format!("app.{table}");
        assert_eq!(table_hash(&src, &q), table_hash(&dst, &q), "data of {q} differs");
    }
}

#[test]
fn json_report_has_clone_and_verify() {
    let src = db_with("clone_cli_json_src", APP);
    let dst = db_with("clone_cli_json_dst", "");
    let (s, t) = (src.url(), dst.url());
    let out = clone_ok(&["--source", &s, "--target", &t, "-n", "app", "--json"]);
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"));
    assert_eq!(doc["clone"]["schemas"]["app"], "app", "{doc:#}");
    let rows: u64 = doc["clone"]["tables"]
        .as_array()
        .expect("clone.tables is an array")
        .iter()
        .map(|t| t["rows"].as_u64().expect("rows"))
        .sum();
    assert_eq!(rows, 200 + 1000 + 50 + 30, "{doc:#}");
    let verify = &doc["verify"];
    assert!(verify.is_object(), "no verify report in {doc:#}");
    assert_eq!(verify["schema"].as_array().map(Vec::len), Some(0), "{verify:#}");
    let tables = verify["tables"].as_array().expect("verify.tables is an array");
    assert_eq!(tables.len(), APP_TABLES.len(), "{verify:#}");
    assert!(tables.iter().all(|t| t["status"] == "match"), "{verify:#}");
    // And the copy itself is there.
    assert_eq!(count(&dst, "app.users"), "200");
}

/// pg_dump's `--no-publications` (and `--no-tablespaces`, `--no-security-labels`,
/// `--no-subscriptions`): pggraft always leaves those out and names them in its report; given
/// the switch, it leaves them out without a word.
#[test]
fn pg_dump_switches_for_what_is_left_out_silence_its_warning() {
    let src = db_with(
        "clone_cli_nopub_src",
        "CREATE SCHEMA app; CREATE TABLE app.x (id int PRIMARY KEY);
         CREATE PUBLICATION app_pub FOR TABLE app.x;",
    );
    let warnings = |extra: &[&str]| {
        let dst = db_with(&format!("clone_cli_nopub_dst{}", extra.len()), "");
        let (s, t) = (src.url(), dst.url());
        let out = clone_ok(
            &[&["--source", &s, "--target", &t, "-n", "app", "--json"][..], extra].concat(),
        );
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        let pubs = dst.query("SELECT count(*) FROM pg_publication").unwrap();
        assert_eq!(pubs[0][0], "0", "a publication was copied");
        doc["clone"]["warnings"].as_array().expect("clone.warnings").clone()
    };
    let named = warnings(&[]);
    assert!(named.iter().any(|w| w.as_str().unwrap_or_default().contains("app_pub")), "{named:?}");
    let quiet = warnings(&["--no-publications"]);
    assert!(!quiet.iter().any(|w| w.as_str().unwrap_or_default().contains("app_pub")), "{quiet:?}");
}

/// Piped into a file or a CI log, the report is `key: value` lines of at most 100 columns:
/// the sample schema's object list (over 250 characters on one line before) wraps under its
/// first line, and every kind is still in it.
#[test]
fn report_is_plain_lines_of_at_most_100_columns_when_not_a_terminal() {
    let src = db_with("clone_cli_width_src", pggraft::sample::SCHEMA);
    let dst = db_with("clone_cli_width_dst", "");
    let (s, t) = (src.url(), dst.url());
    let report = clone_ok(&["--source", &s, "--target", &t, "--schema-only"]);
    let lines: Vec<&str> = report.lines().collect();
    for l in &lines {
        assert!(l.chars().count() <= 100, "line of {} columns:\n{report}", l.chars().count());
    }
    let keys: Vec<&str> = lines.iter().filter_map(|l| l.split_once(": ").map(|(k, _)| k)).collect();
    for want in ["schema", "objects", "data", "total", "verify"] {
        assert!(keys.contains(&want), "no `{want}:` line in\n{report}");
    }
    // The objects value continues on indented lines until the next key.
    let start = lines.iter().position(|l| l.starts_with("objects:")).unwrap();
    let value: Vec<&str> = std::iter::once(&lines[start]["objects:".len()..])
        .chain(lines[start + 1..].iter().take_while(|l| l.starts_with(' ')).copied())
        .map(str::trim)
        .collect();
    assert!(value.len() > 1, "the object list did not need wrapping:\n{report}");
    let objects = value.join(" ");
    for kind in [" table", " view", " function", " index", " sequence"] {
        assert!(objects.contains(kind), "no {kind} in the objects line: {objects}");
    }
    assert!(objects.len() > 250, "{objects}");
}

#[test]
fn dry_run_prints_sql_and_changes_nothing() {
    let src = db_with("clone_cli_dry_src", APP);
    let dst = db_with("clone_cli_dry_dst", KEEP);
    let before = Untouched::record(&dst);
    let (s, t) = (src.url(), dst.url());
    let sql = clone_ok(&["--source", &s, "--target", &t, "-n", "app", "--dry-run"]);
    assert!(sql.contains("CREATE TABLE"), "no CREATE TABLE in the plan:\n{sql}");
    assert!(sql.contains("orders"), "table orders missing from the plan:\n{sql}");
    before.check("--dry-run");
    assert!(relations(&dst, "app").is_empty());
}

#[test]
fn same_database_copy_under_a_new_name() {
    let db = db_with("clone_cli_same", APP);
    let original = db.dump_schema(&["app"]).unwrap();
    let url = db.url();
    clone_ok(&["--source", &url, "--target", &url, "-n", "app=app_copy"]);

    assert_eq!(db.dump_schema(&["app"]).unwrap(), original, "the source schema changed");
    let copy = db.dump_schema(&["app_copy"]).unwrap().replace("app_copy", "app");
    assert_eq!(copy, original, "the copy's structure differs once renamed back");
    for table in APP_TABLES {
        let (a, b) = (format!("app.{table}"), format!("app_copy.{table}"));
        assert_eq!(table_hash(&db, &a), table_hash(&db, &b), "data of {table} differs");
    }
    // The copy's view reads the copy's table, not the original.
    db.psql("DELETE FROM app_copy.orders WHERE amount > 100").unwrap();
    assert_eq!(count(&db, "app_copy.big_orders"), "0");
    assert_eq!(count(&db, "app.big_orders"), "800");
    assert!(build_schemas(&db).is_empty());
}

#[test]
fn schema_template_and_lower_case_identifiers() {
    let db = db_with(
        "clone_cli_tpl",
        r#"CREATE SCHEMA "App";
           CREATE TABLE "App"."Users" ("Id" int PRIMARY KEY, "Name" text);
           INSERT INTO "App"."Users" SELECT g, 'n' || g FROM generate_series(1, 10) g;"#,
    );
    let url = db.url();
    clone_ok(&[
        "--source",
        &url,
        "--target",
        &url,
        "-n",
        "App",
        "--schema-template",
        "dw__{database}__{schema}",
        "--identifier-case",
        "lower",
    ]);
    let schema = format!("dw__{}__app", db.name());
    assert_eq!(relations(&db, &schema), ["users"]);
    let cols = db
        .query(&format!(
            "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute \
             WHERE attrelid = '{schema}.users'::regclass AND attnum > 0 AND NOT attisdropped"
        ))
        .unwrap();
    assert_eq!(cols[0][0], "id,name");
    assert_eq!(
        table_hash(&db, r#""App"."Users""#),
        table_hash(&db, &format!("{schema}.users")),
        "data differs"
    );
    assert_eq!(relations(&db, "App"), ["Users"], "the source schema changed");
}

#[test]
fn filters_file_excludes_tables_and_data() {
    let src = db_with("clone_cli_filt_src", APP);
    let dst = db_with("clone_cli_filt_dst", "");
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("filters.ini");
    std::fs::write(
        &ini,
        "# pgcopydb-style filters\n[exclude-table]\napp.logs\n\n[exclude-table-data]\napp.audit\n",
    )
    .unwrap();
    let (s, t) = (src.url(), dst.url());
    clone_ok(&["--source", &s, "--target", &t, "-n", "app", "--filters", ini.to_str().unwrap()]);
    assert_eq!(relations(&dst, "app"), ["audit", "big_orders", "orders", "users"]);
    assert_eq!(count(&dst, "app.audit"), "0", "app.audit's rows were copied");
    assert_eq!(table_hash(&src, "app.orders"), table_hash(&dst, "app.orders"));
    assert_eq!(table_hash(&src, "app.users"), table_hash(&dst, "app.users"));
}

#[test]
fn schema_only_with_data_only_is_refused() {
    let src = db_with("clone_cli_flags_src", APP);
    let dst = db_with("clone_cli_flags_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(
        &dst,
        &["--source", &s, "--target", &t, "-n", "app", "--schema-only", "--data-only"],
    );
    assert!(err.contains("--schema-only") && err.contains("--data-only"), "{err}");
}

#[test]
fn unknown_source_schema_is_refused() {
    let src = db_with("clone_cli_nope_src", APP);
    let dst = db_with("clone_cli_nope_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "nope"]);
    assert!(err.contains("\"nope\" does not exist"), "error does not name the schema: {err}");
}

#[test]
fn existing_target_schema_needs_drop_if_exists() {
    let src = db_with("clone_cli_exists_src", APP);
    let dst = db_with(
        "clone_cli_exists_dst",
        "CREATE SCHEMA app; CREATE TABLE app.old (x int); INSERT INTO app.old VALUES (7);",
    );
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app"]);
    assert!(err.contains("\"app\" already exists"), "error does not name the schema: {err}");
    assert!(err.contains("--drop-if-exists"), "error does not suggest the fix: {err}");
    assert_eq!(count(&dst, "app.old"), "1");

    // With the flag, the old schema is replaced.
    clone_ok(&["--source", &s, "--target", &t, "-n", "app", "--drop-if-exists"]);
    assert_eq!(relations(&dst, "app"), ["audit", "big_orders", "logs", "orders", "users"]);
}

#[test]
fn target_role_without_create_is_refused() {
    let src = db_with("clone_cli_nocreate_src", APP);
    let dst = db_with("clone_cli_nocreate_dst", KEEP);
    let (role, password) = ("pggraft_clone_cli_nocreate", "NoCreate-Pass-31");
    cluster().create_role(role, password, false).unwrap();
    dst.psql(&format!(
        "REVOKE CREATE ON DATABASE \"{db}\" FROM PUBLIC; REVOKE CREATE ON DATABASE \"{db}\" FROM {role};",
        db = dst.name()
    ))
    .unwrap();
    let (s, t) = (src.url(), url_as(role, password, dst.name()));
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app"]);
    assert!(err.contains(role), "error does not name the role: {err}");
    assert!(err.contains("CREATE"), "error does not name the missing privilege: {err}");
    assert!(err.contains(dst.name()), "error does not name the database: {err}");
}

#[test]
fn source_role_that_cannot_read_a_table_is_refused() {
    let src = db_with(
        "clone_cli_noread_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.visible (id int PRIMARY KEY);
         CREATE TABLE app.secret (id int PRIMARY KEY);
         INSERT INTO app.visible SELECT generate_series(1, 10);
         INSERT INTO app.secret SELECT generate_series(1, 10);",
    );
    let dst = db_with("clone_cli_noread_dst", KEEP);
    let (role, password) = ("pggraft_clone_cli_noread", "NoRead-Pass-47");
    cluster().create_role(role, password, false).unwrap();
    src.psql(&format!(
        "GRANT USAGE ON SCHEMA app TO {role}; GRANT SELECT ON app.visible TO {role};"
    ))
    .unwrap();
    let (s, t) = (url_as(role, password, src.name()), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app"]);
    assert!(err.contains("app.secret"), "error does not name the table: {err}");
    assert!(err.contains("permission denied"), "error does not say why: {err}");
    // The server's message is in the line already; the driver's bare "db error" adds nothing.
    assert!(!err.contains("db error"), "error carries driver noise: {err}");
}

#[test]
fn target_role_that_cannot_assign_owners_is_told_about_no_owner() {
    let src = db_with("clone_cli_owner_src", APP);
    let dst = db_with("clone_cli_owner_dst", KEEP);
    let (role, password) = ("pggraft_clone_cli_creator", "Creator-Pass-59");
    cluster().create_role(role, password, false).unwrap();
    dst.psql(&format!("GRANT CREATE ON DATABASE \"{}\" TO {role}", dst.name())).unwrap();
    let (s, t) = (src.url(), url_as(role, password, dst.name()));
    // The source's objects belong to the superuser, which this role cannot give objects to.
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app"]);
    assert!(err.contains(cluster().superuser()), "error does not name the owner: {err}");
    assert!(err.contains("--no-owner"), "error does not suggest the fix: {err}");
}

#[test]
fn no_owner_clone_by_a_plain_role_verifies_clean() {
    let src = db_with("clone_cli_noowner_src", APP);
    let dst = db_with("clone_cli_noowner_dst", "");
    let (role, password) = ("pggraft_clone_cli_creator", "Creator-Pass-59");
    cluster().create_role(role, password, false).unwrap();
    dst.psql(&format!("GRANT CREATE ON DATABASE \"{}\" TO {role}", dst.name())).unwrap();
    let (s, t) = (src.url(), url_as(role, password, dst.name()));
    // Owners differ by request, so they are no difference the verification should report.
    clone_ok(&["--source", &s, "--target", &t, "-n", "app", "--no-owner"]);
    let owners = dst
        .query(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class \
             WHERE relnamespace = 'app'::regnamespace",
        )
        .unwrap();
    assert_eq!(owners, [[role]]);
    assert_eq!(table_hash(&src, "app.orders"), table_hash(&dst, "app.orders"));
}

#[test]
fn no_acl_and_no_comments_clone_verifies_clean() {
    let src = db_with(
        "clone_cli_noacl_src",
        &format!(
            "{APP} GRANT SELECT ON app.users TO PUBLIC; COMMENT ON TABLE app.users IS 'people';"
        ),
    );
    let dst = db_with("clone_cli_noacl_dst", "");
    let (s, t) = (src.url(), dst.url());
    // Grants and comments are left out by request: the verification must not count them.
    clone_ok(&["--source", &s, "--target", &t, "-n", "app", "--no-acl", "--no-comments"]);
    let users = dst
        .query(
            "SELECT relacl IS NULL, obj_description(oid, 'pg_class') IS NULL FROM pg_class \
                WHERE oid = 'app.users'::regclass",
        )
        .unwrap();
    assert_eq!(users, [["t", "t"]], "grant or comment copied");
    assert_eq!(table_hash(&src, "app.users"), table_hash(&dst, "app.users"));
}

#[test]
fn unreachable_source_is_refused() {
    let dst = db_with("clone_cli_unreach_dst", KEEP);
    let t = dst.url();
    let err = refused(&dst, &["--source", "postgres://postgres@127.0.0.1:1/x", "--target", &t]);
    assert!(err.contains("127.0.0.1:1/x"), "error does not name the server: {err}");
    assert!(err.contains("connection refused"), "error does not say why: {err}");
}

#[test]
fn wrong_password_is_refused_and_no_password_is_echoed() {
    let src = db_with("clone_cli_pw_src", APP);
    let dst = db_with("clone_cli_pw_dst", KEEP);
    let (role, right, wrong) = ("pggraft_clone_cli_pw", "S3cretPass!", "WrongPass123");
    cluster().create_role(role, right, false).unwrap();
    src.psql(&format!(
        "GRANT USAGE ON SCHEMA app TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA app TO {role};"
    ))
    .unwrap();
    // The right password in the source, the wrong one in the target.
    let (s, t) = (url_as(role, right, src.name()), url_as(role, wrong, dst.name()));
    let before = Untouched::record(&dst);
    let (err, out) = clone_fails(&["--source", &s, "--target", &t, "-n", "app"]);
    before.check(&err);
    for text in [out.stdout(), out.stderr()] {
        for secret in [right, wrong] {
            assert!(!text.contains(secret), "output shows password {secret:?}:\n{text}");
        }
    }
    assert!(err.contains("password"), "error does not say it is the password: {err}");
    assert!(err.contains(role), "error does not name the role: {err}");
    assert!(err.contains(dst.name()), "error does not name the target: {err}");
}

#[test]
fn zero_jobs_is_refused() {
    let src = db_with("clone_cli_jobs_src", APP);
    let dst = db_with("clone_cli_jobs_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app", "--jobs", "0"]);
    assert!(err.contains("--jobs"), "error does not name the flag: {err}");
}

#[test]
fn malformed_schema_argument_is_refused() {
    let src = db_with("clone_cli_badn_src", APP);
    let dst = db_with("clone_cli_badn_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "=x"]);
    assert!(err.contains("=x"), "error does not quote the argument: {err}");
}

#[test]
fn same_schema_in_same_database_suggests_a_rename() {
    let db = db_with("clone_cli_self", &format!("{APP}\n{KEEP}"));
    let url = db.url();
    let err = refused(&db, &["--source", &url, "--target", &url, "-n", "app"]);
    assert!(err.contains("\"app\""), "error does not name the schema: {err}");
    assert!(err.contains("rename") && err.contains("-n app="), "error does not suggest: {err}");
}

// Issue #18, item 5: a clone that leaves tables out is verified as it was made, and a `-t` that
// would copy nothing is refused before anything is written.

#[test]
fn clone_excluding_a_table_verifies_clean_without_the_view_over_it() {
    let src = db_with("clone_cli_xT_src", APP);
    let dst = db_with("clone_cli_xT_dst", "");
    let (s, t) = (src.url(), dst.url());
    // app.big_orders reads app.orders: it is left out with it (a warning), not reported missing.
    let run = pggraft(&["clone", "--source", &s, "--target", &t, "-n", "app", "-T", "orders"]);
    let run = run.code(0);
    assert!(run.stderr().contains("big_orders"), "no warning about the view\n{run}");
    assert_eq!(relations(&dst, "app"), ["audit", "logs", "users"]);
    // A later verify given the same filter agrees with the clone's own.
    pggraft(&["verify", "--source", &s, "--target", &t, "-n", "app", "-T", "orders"]).code(0);
}

#[test]
fn clone_of_one_table_verifies_clean_without_views_over_the_others() {
    let src = db_with("clone_cli_xt_src", APP);
    let dst = db_with("clone_cli_xt_dst", "");
    let (s, t) = (src.url(), dst.url());
    clone_ok(&["--source", &s, "--target", &t, "-n", "app", "-t", "users"]);
    assert_eq!(relations(&dst, "app"), ["users"]);
    assert_eq!(table_hash(&src, "app.users"), table_hash(&dst, "app.users"));
    pggraft(&["verify", "--source", &s, "--target", &t, "-n", "app", "-t", "users"]).code(0);
}

#[test]
fn clone_of_a_partition_without_its_table_is_refused_before_anything_is_written() {
    let src = db_with(
        "clone_cli_xp_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
         CREATE TABLE app.p1 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
         CREATE TABLE app.p2 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
         INSERT INTO app.events VALUES (1, '2024-05-01'), (2, '2025-05-01');",
    );
    let dst = db_with("clone_cli_xp_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app", "-t", "p1"]);
    assert!(err.contains("-t p1") && err.contains("-t app.events"), "no hint: {err}");
    // With its table, the partition tree comes across and verifies clean.
    clone_ok(&["--source", &s, "--target", &t, "-n", "app", "-t", "events"]);
    assert_eq!(relations(&dst, "app"), ["events", "p1", "p2"]);
    assert_eq!(count(&dst, "app.events"), "2");
}

#[test]
fn clone_of_an_unknown_table_is_refused_before_anything_is_written() {
    let src = db_with("clone_cli_xn_src", APP);
    let dst = db_with("clone_cli_xn_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app", "-t", "nosuchtable"]);
    assert!(err.contains("nosuchtable"), "error does not name the pattern: {err}");
    // verify refuses it the same way.
    let err =
        pggraft(&["verify", "--source", &s, "--target", &t, "-n", "app", "-t", "nosuchtable"])
            .error_line();
    assert!(err.contains("nosuchtable"), "{err}");
}

// Issue #18, item 1.

#[test]
fn drop_if_exists_with_dependents_elsewhere_is_refused_and_dry_run_shows_the_drop() {
    let src = db_with("clone_cli_dropdep_src", APP);
    let dst = db_with(
        "clone_cli_dropdep_dst",
        &format!(
            "{KEEP} CREATE SCHEMA app; CREATE TABLE app.users (id int PRIMARY KEY);
             CREATE VIEW public.user_ids AS SELECT id FROM app.users;"
        ),
    );
    let (s, t) = (src.url(), dst.url());
    let args = ["--source", &s, "--target", &t, "-n", "app", "--drop-if-exists"];
    let plan = clone_ok(&[&args[..], &["--dry-run", "--drop-cascade"]].concat());
    assert!(plan.contains("DROP SCHEMA IF EXISTS app CASCADE"), "no drop in the plan:\n{plan}");
    assert!(plan.contains("RENAME TO app;"), "no rename in the plan:\n{plan}");

    let before = Untouched::record(&dst);
    let run = pggraft(&[&["clone"], &args[..]].concat()).code(3);
    before.check("refused --drop-if-exists");
    assert!(run.stderr().contains("view public.user_ids"), "{run}");
    assert!(run.stderr().contains("--drop-cascade"), "{run}");

    clone_ok(&[&args[..], &["--drop-cascade"]].concat());
    assert_eq!(relations(&dst, "public"), ["keep"]);
    assert_eq!(count(&dst, "app.users"), "200");
}

// Issue #18, item 2: interrupted clones leave nothing behind, or leave what the next clone (or
// `pggraft cleanup`) finds and removes.

/// A copied table with a foreign key to a table outside the copied schema: holding a lock on
/// that table in the target stops a clone in its data phase (the foreign key waits), with its
/// build schema in place.
const REF: &str = "CREATE TABLE public.ref (id int PRIMARY KEY);
    INSERT INTO public.ref SELECT generate_series(1, 10);";
const REF_APP: &str = "CREATE SCHEMA app;
    CREATE TABLE app.x (id int PRIMARY KEY, ref int REFERENCES public.ref);
    INSERT INTO app.x SELECT g, 1 + g % 10 FROM generate_series(1, 100) g;";

/// Waits until a session of a clone waits for a lock in `db`.
fn wait_until_blocked(db: &TestDb<'_>) {
    let sql = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
               AND starts_with(application_name, 'pggraft-clone-') AND datname = current_database()";
    wait_for("the clone to wait for the lock", Duration::from_secs(60), || {
        db.query(sql).unwrap()[0][0] != "0"
    });
}

/// Sessions of clones still connected to the cluster.
fn clone_sessions(db: &TestDb<'_>) -> String {
    let sql = "SELECT count(*) FROM pg_stat_activity \
               WHERE starts_with(application_name, 'pggraft-clone-') AND datname = current_database()";
    db.query(sql).unwrap()[0][0].clone()
}

/// SIGTERM (like Ctrl-C) stops a clone without touching the final names: what it copied stays
/// in its build schema for `--resume`, and `pggraft cleanup` (or a plain rerun) leaves the
/// target as it was.
#[test]
fn sigterm_stops_a_clone_like_ctrl_c_and_leaves_nothing_behind() {
    let src = db_with("clone_cli_term_src", &format!("{REF} {REF_APP}"));
    let dst = db_with("clone_cli_term_dst", &format!("{REF} {KEEP}"));
    let before = Untouched::record(&dst);
    let lock = LockHolder::lock(&dst, "public.ref");
    let (s, t) = (src.url(), dst.url());
    let clone = spawn(&["clone", "--source", &s, "--target", &t, "-n", "app"]);
    wait_until_blocked(&dst);
    assert_eq!(build_schemas(&dst).len(), 1, "the clone is not in its data phase");
    clone.signal("TERM");
    let run = clone.finish_within(Duration::from_secs(30));
    let line = run.error_line();
    assert!(line.contains("interrupted") && line.contains("--resume"), "{run}");
    lock.release();
    assert!(relations(&dst, "app").is_empty(), "the final name was touched");
    assert_eq!(build_schemas(&dst).len(), 1, "what was copied is kept");
    assert_eq!(clone_sessions(&dst), "0", "the stopped clone's sessions are gone");
    ok(&["cleanup", "--target", &t]);
    before.check("clone stopped by SIGTERM, then pggraft cleanup");
}

#[test]
fn a_killed_same_database_clone_leaves_a_schema_that_the_next_clone_removes() {
    let db = db_with("clone_cli_kill", &format!("{REF} {REF_APP}"));
    let url = db.url();
    let lock = LockHolder::lock(&db, "public.ref");
    let args = ["clone", "--source", &url, "--target", &url, "-n", "app=app_copy"];
    let clone = spawn(&args);
    wait_until_blocked(&db);
    clone.signal("KILL");
    clone.finish_within(Duration::from_secs(30));
    // Nothing could clean up: the build schema stays, in the source database (it is the target).
    let left = build_schemas(&db);
    assert_eq!(left.len(), 1);
    // The server notices that the killed client is gone, even while its session waits.
    wait_for("the killed clone's sessions to end", Duration::from_secs(30), || {
        clone_sessions(&db) == "0"
    });
    let plan = ok(&["cleanup", "--target", &url, "--dry-run"]);
    assert!(plan.contains(&format!("would remove {}", left[0])), "{plan}");
    assert_eq!(build_schemas(&db), left, "--dry-run removed it");
    lock.release();
    // It is no user schema: inspect does not show it.
    let sql = ok(&["inspect", &url]);
    assert!(!sql.contains("pggraft_tmp"), "inspect lists the build schema:\n{sql}");

    let run = pggraft(&args).code(0);
    assert!(run.stderr().contains(&format!("removed {}", left[0])), "{run}");
    assert!(build_schemas(&db).is_empty());
    assert_eq!(count(&db, "app_copy.x"), "100");
}

/// A schema that receives an extension is built under its final name, the target's schema of
/// that name moved aside meanwhile. Killed there, the clone leaves both; `pggraft cleanup`
/// drops the half-built copy and gives the target its schema back, as it was.
#[test]
fn a_killed_clone_building_in_place_is_undone_by_cleanup() {
    let src = db_with(
        "clone_cli_kill_inplace_src",
        &format!("{REF} {REF_APP} CREATE EXTENSION pg_trgm WITH SCHEMA app;"),
    );
    let dst = db_with(
        "clone_cli_kill_inplace_dst",
        &format!(
            "{REF} CREATE SCHEMA app; COMMENT ON SCHEMA app IS 'the old one';
         CREATE TABLE app.old (id int); INSERT INTO app.old VALUES (1), (2);"
        ),
    );
    let before = dst.dump_schema(&[]).unwrap();
    let lock = LockHolder::lock(&dst, "public.ref");
    let (s, t) = (src.url(), dst.url());
    let clone = spawn(&["clone", "--source", &s, "--target", &t, "-n", "app", "--drop-if-exists"]);
    wait_until_blocked(&dst);
    let aside = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pggraft\\_aside%'";
    assert_eq!(dst.query(aside).unwrap().len(), 1, "the old app is not moved aside");
    assert_eq!(relations(&dst, "app"), ["x"], "the copy is not being built in place");
    clone.signal("KILL");
    clone.finish_within(Duration::from_secs(30));
    wait_for("the killed clone's sessions to end", Duration::from_secs(30), || {
        clone_sessions(&dst) == "0"
    });
    lock.release();
    let plan = ok(&["cleanup", "--target", &t, "--dry-run"]);
    assert!(plan.contains("would remove app (half built in place"), "{plan}");
    assert_eq!(relations(&dst, "app"), ["x"], "--dry-run changed something");
    let out = ok(&["cleanup", "--target", &t]);
    assert!(out.contains("gave back the schema it replaced"), "{out}");
    assert!(dst.query(aside).unwrap().is_empty());
    assert_eq!(dst.dump_schema(&[]).unwrap(), before, "the target is not as it was");
    assert_eq!(count(&dst, "app.old"), "2");
    let exts = dst.query("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").unwrap();
    assert_eq!(exts[0][0], "0", "the half-built copy's extension stayed");
}

#[test]
fn cleanup_removes_the_temporary_schemas_of_dead_runs_only() {
    let db = db_with(
        "clone_cli_cleanup",
        "CREATE SCHEMA pggraft_tmp_1_2_0; CREATE TABLE pggraft_tmp_1_2_0.t (x int);
         CREATE SCHEMA pggraft_tmp_3_4_0;",
    );
    // A run in progress: one of its sessions is connected.
    let _alive = LockHolder::start(&db, "SELECT 1", &[("PGAPPNAME", "pggraft-clone-3_4")]);
    wait_for("the live run's session", Duration::from_secs(20), || clone_sessions(&db) == "1");
    let url = db.url();
    let out = ok(&["cleanup", "--target", &url]);
    assert!(out.contains("removed pggraft_tmp_1_2_0"), "{out}");
    assert!(out.contains("left pggraft_tmp_3_4_0 alone"), "{out}");
    assert_eq!(build_schemas(&db), ["pggraft_tmp_3_4_0"]);
    let out = ok(&["cleanup", "--target", &url]);
    assert!(out.contains("nothing to remove"), "{out}");
}

// Issue #18, item 9: bad input refused before anything is written, and messages that say what
// is wrong.

#[test]
fn one_schema_given_two_targets_is_refused() {
    let src = db_with("clone_cli_two_src", APP);
    let dst = db_with("clone_cli_two_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app=a1", "-n", "app=a2"]);
    assert!(err.contains("app=a1") && err.contains("app=a2"), "{err}");
}

#[test]
fn a_reserved_target_schema_name_is_refused_before_anything_is_copied() {
    let src = db_with("clone_cli_pg_src", APP);
    let dst = db_with("clone_cli_pg_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t, "-n", "app=pg_app"]);
    assert!(err.contains("\"pg_app\"") && err.contains("reserved"), "{err}");
}

#[test]
fn a_schema_template_that_names_no_schema_is_refused_and_a_partial_one_is_explained() {
    let src = db_with("clone_cli_tplmix_src", &format!("{APP} CREATE SCHEMA extra;"));
    let dst = db_with("clone_cli_tplmix_dst", KEEP);
    let (s, t) = (src.url(), dst.url());
    let tpl = ["--schema-template", "copy_{schema}"];
    let err = refused(&dst, &[&["--source", &s, "--target", &t, "-n", "app=b"], &tpl[..]].concat());
    assert!(err.contains("--schema-template") && err.contains("app=b"), "{err}");
    // With a schema the template does name, the clone runs and says what the template skipped.
    let args = [&["clone", "--source", &s, "--target", &t, "-n", "app=b", "-n", "extra"], &tpl[..]];
    let run = pggraft(&args.concat()).code(0);
    assert!(run.stderr().contains("-n app=b names its target"), "{run}");
    assert_eq!(relations(&dst, "b"), ["audit", "big_orders", "logs", "orders", "users"]);
    assert_eq!(build_schemas(&dst), Vec::<String>::new());
    let copy = dst.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'copy_extra'");
    assert_eq!(copy.unwrap()[0][0], "1");
}

#[test]
fn a_source_that_is_not_postgresql_is_named_as_such() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let dst = db_with("clone_cli_http_dst", KEEP);
    let (s, t) = (format!("postgres://postgres@127.0.0.1:{port}/app"), dst.url());
    let err = refused(&dst, &["--source", &s, "--target", &t]);
    assert!(err.contains("not in the PostgreSQL protocol"), "{err}");
    assert!(err.contains("source"), "error does not say which side: {err}");
    assert!(!err.contains("bytes remaining"), "{err}");
}

#[test]
fn too_many_jobs_are_lowered_to_what_the_servers_allow() {
    let src = db_with("clone_cli_jobs300_src", APP);
    let dst = db_with("clone_cli_jobs300_dst", "");
    let (s, t) = (src.url(), dst.url());
    let run = pggraft(&["clone", "--source", &s, "--target", &t, "-n", "app", "--jobs", "300"]);
    let run = run.code(0);
    assert!(run.stderr().contains("--jobs 300") && run.stderr().contains("lowered"), "{run}");
    assert_eq!(table_hash(&src, "app.orders"), table_hash(&dst, "app.orders"));
}

// Issue #18, item 7.

#[test]
fn ctrl_c_during_the_verification_stops_it_and_keeps_the_copy() {
    let src = db_with(
        "clone_cli_intv_src",
        &format!(
            "{REF} {REF_APP} CREATE TABLE app.audit (id int);
             CREATE VIEW app.audit_v AS SELECT * FROM app.audit;"
        ),
    );
    let dst = db_with("clone_cli_intv_dst", REF);
    let (s, t) = (src.url(), dst.url());
    // Hold the clone in its data phase (see REF), then queue a user's lock on a source table the
    // clone does not copy rows of: granted once the clone's snapshot ends, it holds up the
    // verification (reading the definition of the view over that table), not the clone.
    let target_lock = LockHolder::lock(&dst, "public.ref");
    let args = ["clone", "--source", &s, "--target", &t, "-n", "app"];
    let clone = spawn(&[&args[..], &["--exclude-table-data", "app.audit"]].concat());
    wait_until_blocked(&dst);
    let source_lock = LockHolder::start(
        &src,
        "LOCK TABLE app.audit IN ACCESS EXCLUSIVE MODE",
        &[("PGAPPNAME", "pggraft-test-lock-holder")],
    );
    let waiting = |app: &str| {
        let sql = format!(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
             AND application_name = '{app}' AND datname = current_database()"
        );
        src.query(&sql).unwrap()[0][0] != "0"
    };
    wait_for("the user's lock to queue", Duration::from_secs(30), || {
        waiting("pggraft-test-lock-holder")
    });
    target_lock.release();
    wait_for("the verification to wait", Duration::from_secs(60), || waiting("pggraft"));
    clone.signal("INT");
    let run = clone.finish_within(Duration::from_secs(10));
    let line = run.error_line();
    assert!(line.contains("interrupted") && line.contains("the copy is complete"), "{run}");
    source_lock.release();
    assert_eq!(table_hash(&src, "app.x"), table_hash(&dst, "app.x"));
    assert!(build_schemas(&dst).is_empty());
}

// Issue #18, item 6: every command that describes a copy takes the flags it was made with.

#[test]
fn verify_and_sync_schema_take_the_flags_the_copy_was_made_with() {
    let role = "pggraft_clone_cli_item6_owner";
    cluster().create_role(role, "Item6-Owner-Pass", false).unwrap();
    let db = db_with(
        "clone_cli_item6",
        &format!(
            "{APP} ALTER TABLE app.users OWNER TO {role}; GRANT SELECT ON app.logs TO PUBLIC;
             COMMENT ON TABLE app.audit IS 'who did what';"
        ),
    );
    let url = db.url();
    let copy = ["-n", "app=app_copy", "-T", "orders", "--no-owner", "--no-acl", "--no-comments"];
    let conn = ["--source", &url, "--target", &url];
    clone_ok(&[&conn[..], &copy[..]].concat());
    assert_eq!(relations(&db, "app_copy"), ["audit", "logs", "users"]);

    // verify: clean with the clone's flags, and each omission counts without its flag.
    pggraft(&[&["verify"], &conn[..], &copy[..]].concat()).code(0);
    // The clone's flags less one (and its value, for -T).
    let without = |flag: &str| -> Vec<&str> {
        let at = copy.iter().position(|a| *a == flag).unwrap();
        let n = if flag == "-T" { 2 } else { 1 };
        copy.iter()
            .enumerate()
            .filter(|(i, _)| !(at..at + n).contains(i))
            .map(|(_, a)| *a)
            .collect()
    };
    for dropped in ["--no-owner", "--no-acl", "--no-comments", "-T"] {
        let run = pggraft(&[&["verify"], &conn[..], &without(dropped)[..]].concat());
        assert_eq!(run.exit_code(), Some(1), "without {dropped} the copy differs\n{run}");
    }

    // sync-schema: nothing to do, rather than adding orders, its view, owners, grants, comments.
    let run = pggraft(&[&["sync-schema"], &conn[..], &copy[..]].concat()).code(0);
    assert_eq!(run.stdout(), "", "{run}");
    assert!(run.stderr().contains("up to date"), "{run}");
    let sql = ok(&[&["sync-schema"], &conn[..], &without("-T")[..]].concat());
    assert!(sql.contains("CREATE TABLE app_copy.orders"), "{sql}");
}

#[test]
fn user_mapping_passwords_never_appear_in_output_or_logs() {
    let secret = "Fdw-S3cret-9f2";
    let src = db_with(
        "clone_cli_fdw_src",
        &format!(
            "CREATE EXTENSION postgres_fdw;
             CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost');
             CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'u', password '{secret}');
             CREATE SCHEMA app;
             CREATE FOREIGN TABLE app.items (id int) SERVER remote OPTIONS (table_name 'items');"
        ),
    );
    let dst = db_with("clone_cli_fdw_dst", "");
    let (s, t) = (src.url(), dst.url());
    let runs = [
        pggraft(&["inspect", &s, "-n", "app", "-vvv"]),
        pggraft(&["inspect", &s, "-n", "app", "--format", "json"]),
        pggraft(&["clone", "--source", &s, "--target", &t, "-n", "app", "--dry-run", "-vvv"]),
        pggraft(&["clone", "--source", &s, "--target", &t, "-n", "app", "-vvv"]),
        pggraft(&["diff", &t, &s, "-n", "app", "-vvv"]),
    ];
    for run in &runs {
        let (out, err) = (run.stdout(), run.stderr());
        assert!(!out.contains(secret) && !err.contains(secret), "{out}\n{err}");
    }
    assert!(runs[2].stdout().contains("password '********'"), "{}", runs[2].stdout());
    assert!(runs[3].stderr().contains("option password"), "{}", runs[3].stderr());
    // It reached the target all the same.
    let options = dst.query("SELECT array_to_string(umoptions, ',') FROM pg_user_mapping").unwrap();
    assert_eq!(options[0][0], format!("user=u,password={secret}"));
}
