//! `pggraft diff` from the command line: inputs (connections, JSON
//! snapshots, SQL folders), exit codes (0 equal / 1 differ with --check, 3
//! refused hazards), schema mapping, down migrations — judged by applying
//! the printed SQL to a real database and checking nothing is left to diff.

mod util;

use util::{db_with, fails, ok, run};

const FROM: &str = "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, old text);
                    INSERT INTO app.t VALUES (1, 'x');";
const TO: &str = "CREATE SCHEMA app; CREATE TABLE app.t (id bigint PRIMARY KEY, email text);
                  CREATE INDEX t_email ON app.t (email);";

#[test]
fn check_exits_1_on_drift_and_0_when_equal() {
    let a = db_with("dcli_check_a", FROM);
    let b = db_with("dcli_check_b", TO);
    let (out, _) = run(1, &["diff", &a.url(), &b.url(), "-n", "app", "--check"]);
    assert!(out.contains("relation app.t"), "{out}");
    run(0, &["diff", &a.url(), &a.url(), "-n", "app", "--check"]);
}

#[test]
fn hazardous_plan_is_refused_with_exit_3_then_applies_when_allowed() {
    let a = db_with("dcli_haz_a", FROM);
    let b = db_with("dcli_haz_b", TO);
    let (_, err) = run(3, &["diff", &a.url(), &b.url(), "-n", "app"]);
    assert!(err.contains("data-loss"), "{err}");
    let before = a.dump_schema(&[]).unwrap();
    assert_eq!(a.dump_schema(&[]).unwrap(), before, "a refused plan changes nothing");
    let sql = ok(&["diff", &a.url(), &b.url(), "-n", "app", "--allow-hazards", "all"]);
    a.psql(&sql).expect("the migration applies");
    let (out, _) = run(0, &["diff", &a.url(), &b.url(), "-n", "app", "--check"]);
    assert!(out.is_empty(), "nothing left to diff: {out}");
}

#[test]
fn snapshot_and_sql_folder_inputs_and_down() {
    let dir = tempfile::tempdir().unwrap();
    let a = db_with("dcli_snap_a", FROM);
    let snap = dir.path().join("from.json");
    ok(&["inspect", &a.url(), "-n", "app", "--format", "json", "-o", snap.to_str().unwrap()]);
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
    let up = ok(&["diff", snap, ddl, "-n", "app", "--allow-hazards", "all"]);
    a.psql(&up).expect("up applies");
    run(0, &["diff", &a.url(), ddl, "-n", "app", "--check"]);
    // Down (DDL folder back to the snapshot), applied to the same database.
    let down = ok(&["diff", snap, ddl, "-n", "app", "--down", "--allow-hazards", "all"]);
    a.psql(&down).expect("down applies");
    run(0, &["diff", &a.url(), snap, "-n", "app", "--check"]);
}

#[test]
fn schemas_of_different_names_are_compared() {
    let a = db_with("dcli_map_a", "CREATE SCHEMA dev; CREATE TABLE dev.t (id int, note text);");
    let b = db_with("dcli_map_b", "CREATE SCHEMA prod; CREATE TABLE prod.t (id int);");
    let out = ok(&[
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
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sql: Vec<&str> =
        json["changes"].as_array().unwrap().iter().map(|c| c["sql"].as_str().unwrap()).collect();
    assert_eq!(sql, ["ALTER TABLE dev.t DROP COLUMN note"], "{json}");
}

#[test]
fn bad_inputs_exit_2() {
    let err = fails(&["diff", "missing.json", "postgres://postgres@127.0.0.1:1/x"]);
    assert!(err.contains("missing.json"), "{err}");
    fails(&["diff", "postgres://postgres@127.0.0.1:1/x", "postgres://postgres@127.0.0.1:1/y"]);
    fails(&["diff", "a", "b", "--allow-hazards", "nonsense"]);
}

/// A type change PostgreSQL has no cast for, and pggraft no conversion: the
/// diff stops (exit 2) naming the `--using` to write; with it, the plan
/// passes the self-check and brings the rows across.
#[test]
fn type_change_without_a_cast_needs_using() {
    let from = "CREATE SCHEMA app; CREATE TABLE app.jobs (id int PRIMARY KEY, timeout bigint);
                INSERT INTO app.jobs VALUES (1, 90), (2, NULL);";
    let to = "CREATE SCHEMA app; CREATE TABLE app.jobs (id int PRIMARY KEY, timeout interval);";
    let a = db_with("dcli_using_a", from);
    let b = db_with("dcli_using_b", to);
    let err = fails(&["diff", &a.url(), &b.url(), "-n", "app", "--allow-hazards", "all"]);
    assert!(
        err.contains("from bigint to interval") && err.contains("--using 'app.jobs.timeout=EXPR'")
    );
    let using = "app.jobs.timeout=make_interval(secs => timeout)";
    let args = ["diff", &a.url(), &b.url(), "-n", "app", "--allow-hazards", "all"];
    let sql = ok(&[&args[..], &["--using", using]].concat());
    assert!(sql.contains("USING make_interval(secs => timeout)"), "{sql}");
    // The way back needs its own: --using names only FROM to TO.
    let err = fails(&[&args[..], &["--using", using, "--down"]].concat());
    assert!(err.contains("from interval to bigint"), "{err}");
    let down_using = "jobs.timeout=extract(epoch FROM timeout)::bigint";
    let down = ok(&[&args[..], &["--using", using, "--down", "--down-using", down_using]].concat());
    assert!(down.contains("USING extract(epoch FROM timeout)::bigint"), "{down}");

    a.psql(&sql).expect("the migration applies");
    run(0, &["diff", &a.url(), &b.url(), "-n", "app", "--check"]);
    let rows = a.query("SELECT id, timeout::text FROM app.jobs ORDER BY id").unwrap();
    assert_eq!(rows, [vec!["1".to_string(), "00:01:30".into()], vec!["2".into(), String::new()]]);
    let err = fails(&["diff", &a.url(), &b.url(), "--using", "timeout=1"]);
    assert!(err.contains("--using \"timeout=1\""), "{err}");
}

/// An extension going down to a version its package has no update path to,
/// while a column uses it: no `ALTER EXTENSION … UPDATE` that cannot run,
/// and no drop that would take the column: the diff stops and says why.
#[test]
fn extension_downgrade_under_a_column_stops_with_the_fix() {
    let from = "CREATE SCHEMA app; CREATE EXTENSION hstore WITH SCHEMA app;
                CREATE TABLE app.t (id int, attrs app.hstore);";
    let to = "CREATE SCHEMA app; CREATE EXTENSION hstore WITH SCHEMA app VERSION '1.7';
              CREATE TABLE app.t (id int, attrs app.hstore);";
    let a = db_with("dcli_ext_a", from);
    let b = db_with("dcli_ext_b", to);
    let err = fails(&["diff", &a.url(), &b.url(), "--allow-hazards", "all"]);
    assert!(err.contains("no update path") && err.contains("app.t"), "{err}");
    assert!(err.contains("ALTER EXTENSION hstore UPDATE TO '1.7'"), "{err}");
    // The way up has a path.
    let sql = ok(&["diff", &b.url(), &a.url(), "--allow-hazards", "all"]);
    assert!(sql.contains("ALTER EXTENSION hstore UPDATE TO '1.8'"), "{sql}");
}

const BEFORE_RENAME: &str = "CREATE SCHEMA app;
    CREATE TABLE app.users (id serial PRIMARY KEY, mail text NOT NULL CHECK (mail <> ''), name text);
    CREATE UNIQUE INDEX users_mail_key ON app.users (lower(mail));
    CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.users, total numeric);
    CREATE VIEW app.user_mails AS SELECT id, mail FROM app.users;
    CREATE TABLE app.notes (id int, body text);
    INSERT INTO app.users (mail, name) VALUES ('a@x', 'Ann'), ('b@x', 'Bo');
    INSERT INTO app.orders VALUES (10, 1, 5);
    INSERT INTO app.notes VALUES (1, 'n');";
const AFTER_RENAME: &str = "CREATE SCHEMA app;
    CREATE TABLE app.people (id serial PRIMARY KEY, email text NOT NULL CHECK (email <> ''), name text);
    CREATE UNIQUE INDEX people_email_key ON app.people (lower(email));
    CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.people, total numeric);
    CREATE VIEW app.user_mails AS SELECT id, email FROM app.people;
    CREATE TABLE app.memos (id int, body text);";

/// `--rename`: a renamed table and column keep their rows, and what follows
/// the table's name (its key, check, index and serial sequence) is renamed
/// with it; without the hint, the drop's hazard says the rename it looks like.
#[test]
fn renames_keep_rows_and_lookalikes_are_named() {
    let a = db_with("dcli_ren_a", BEFORE_RENAME);
    let b = db_with("dcli_ren_b", AFTER_RENAME);
    let (_, err) = run(3, &["diff", &a.url(), &b.url(), "-n", "app"]);
    assert!(err.contains("looks like a rename to app.memos: pass --rename 'app.notes=memos'"));
    let renames = ["--rename", "app.users=people", "--rename", "users.mail=email"];
    let renames = [&renames[..], &["--rename", "notes=memos"]].concat();
    let up = ok(&[&["diff", &a.url(), &b.url(), "-n", "app"][..], &renames].concat());
    assert!(up.starts_with(
        "SET check_function_bodies = false;\nALTER TABLE app.users RENAME TO people;"
    ));
    assert!(up.contains("ALTER SEQUENCE app.users_id_seq RENAME TO people_id_seq"), "{up}");
    assert!(!up.contains("DROP TABLE") && !up.contains("PRIMARY KEY"), "{up}");
    let down = ok(&[&["diff", &a.url(), &b.url(), "-n", "app", "--down"][..], &renames].concat());
    assert!(down.contains("ALTER TABLE app.people RENAME TO users"), "{down}");

    a.psql(&up).expect("up applies");
    run(0, &["diff", &a.url(), &b.url(), "-n", "app", "--check"]);
    let rows = a.query("SELECT id, email, name FROM app.people ORDER BY id").unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(a.query("SELECT body FROM app.memos").unwrap(), [vec!["n".to_string()]]);
    // The serial keeps counting past the rows.
    a.psql("INSERT INTO app.people (email) VALUES ('c@x')").unwrap();
    a.psql(&down).expect("down applies");
    let c = db_with("dcli_ren_c", BEFORE_RENAME);
    run(0, &["diff", &a.url(), &c.url(), "-n", "app", "--check"]);
    assert_eq!(a.query("SELECT count(*) FROM app.users").unwrap()[0][0], "3");

    let err = fails(&["diff", &a.url(), &b.url(), "--rename", "app.nope=x"]);
    assert!(err.contains("--rename app.nope=x"), "{err}");
}
