//! `pggraft migrate` and `pggraft sync-schema` as a user runs them: the built binary against
//! throwaway databases. Success is judged by the target's catalog and its `pggraft.migrations`
//! history; every refusal by exit code 2, one `error:` line that names the problem, and a
//! target left exactly as it was.

mod util;

use std::path::Path;

use pg_sandbox::TestDb;

use util::{db_with, fails, run};

const APP: &str = "CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL);
    INSERT INTO app.users SELECT g, 'user ' || g FROM generate_series(1, 20) g;";

const APP_V2: &str = "CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL, email text);
    CREATE INDEX users_email_idx ON app.users (email);";

fn history(db: &TestDb<'_>) -> Vec<Vec<String>> {
    let exists = db.query("SELECT to_regclass('pggraft.migrations') IS NOT NULL").unwrap();
    if exists[0][0] != "t" {
        return vec![];
    }
    db.query("SELECT version, name, checksum, kind FROM pggraft.migrations ORDER BY version")
        .unwrap()
}

fn columns(db: &TestDb<'_>, schema: &str, table: &str) -> Vec<String> {
    db.query(&format!(
        "SELECT column_name FROM information_schema.columns \
         WHERE table_schema = '{schema}' AND table_name = '{table}' ORDER BY ordinal_position"
    ))
    .unwrap()
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

fn write(dir: &Path, file: &str, sql: &str) {
    std::fs::write(dir.join(file), sql).unwrap();
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn new_up_status_down() {
    let tmp = tempfile::tempdir().unwrap();
    let (from, to, dir) = (tmp.path().join("from"), tmp.path().join("to"), tmp.path().join("m"));
    std::fs::create_dir_all(&from).unwrap();
    std::fs::create_dir_all(&to).unwrap();
    write(&from, "schema.sql", APP);
    write(&to, "schema.sql", APP_V2);
    let (out, err) = run(
        0,
        &["migrate", "new", "Add email", "--from", s(&from), "--to", s(&to), "--dir", s(&dir)],
    );
    let paths: Vec<&str> = out.lines().collect();
    assert_eq!(paths.len(), 2, "{out}");
    assert!(paths[0].ends_with("_add_email.up.sql") && paths[1].ends_with("_add_email.down.sql"));
    assert!(err.contains("hazard index-build"), "{err}");
    let up_file = Path::new(paths[0]).to_path_buf();
    let up_text = std::fs::read_to_string(&up_file).unwrap();
    assert!(up_text.contains("ADD COLUMN email text"), "{up_text}");

    let db = db_with("mig_cli", APP);
    let url = db.url();
    let start = db.dump_schema(&["app"]).unwrap();
    let (out, _) = run(1, &["migrate", "status", "--target", &url, "--dir", s(&dir)]);
    assert!(out.contains("pending") && out.contains("add_email"), "{out}");
    let (out, _) = run(0, &["migrate", "up", "--target", &url, "--dir", s(&dir), "--dry-run"]);
    assert!(out.contains("-- would run") && out.contains("ADD COLUMN email"), "{out}");
    assert!(history(&db).is_empty());

    let (out, _) = run(0, &["migrate", "up", "--target", &url, "--dir", s(&dir)]);
    assert!(out.starts_with("applied ") && out.contains("_add_email"), "{out}");
    assert_eq!(columns(&db, "app", "users"), ["id", "name", "email"]);
    assert_eq!(history(&db).len(), 1);
    let (out, err) = run(0, &["migrate", "status", "--target", &url, "--dir", s(&dir)]);
    assert!(out.contains("applied") && err.contains("up to date"), "{out}{err}");
    let (out, _) = run(0, &["migrate", "up", "--target", &url, "--dir", s(&dir)]);
    assert!(out.starts_with("nothing to apply"), "{out}");

    // An applied file edited afterwards: status says so and exits 1.
    std::fs::write(&up_file, format!("{up_text}-- edited\n")).unwrap();
    let (out, err) = run(1, &["migrate", "status", "--target", &url, "--dir", s(&dir)]);
    assert!(out.contains("changed") && err.contains("1 changed"), "{out}{err}");

    let (out, _) = run(0, &["migrate", "down", "--target", &url, "--dir", s(&dir)]);
    assert!(out.starts_with("undid "), "{out}");
    assert_eq!(db.dump_schema(&["app"]).unwrap(), start);
    assert!(history(&db).is_empty());
    assert_eq!(db.query("SELECT count(*) FROM app.users").unwrap()[0][0], "20");
}

#[test]
fn refusals_exit_2_and_change_nothing() {
    let db = db_with("mig_cli_bad", "CREATE SCHEMA app;");
    let url = db.url();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    std::fs::create_dir_all(&dir).unwrap();
    write(&dir, "20240101000000_a.up.sql", "CREATE TABLE app.a (x int);");
    write(&dir, "20240101000000_a.down.sql", "DROP TABLE app.a;");
    write(&dir, "20240102000000_b.up.sql", "CREATE TABLE app.b (x int);");
    write(&dir, "20240102000000_b.down.sql", "DROP TABLE app.b;");
    run(0, &["migrate", "up", "--target", &url, "--dir", s(&dir)]);
    write(&dir, "20240103000000_c.up.sql", "CREATE TABLE app.c (x int);");
    write(&dir, "20240103000000_c.down.sql", "DROP TABLE app.c;");
    let before_history = history(&db);
    let before = db.dump_schema(&[]).unwrap();
    let unchanged = |what: &str| {
        assert_eq!(history(&db), before_history, "{what}: history changed");
        assert_eq!(db.dump_schema(&[]).unwrap(), before, "{what}: schema changed");
    };

    let missing = tmp.path().join("nope");
    let e = fails(&["migrate", "up", "--target", &url, "--dir", s(&missing)]);
    assert!(e.contains("nope") && e.contains("does not exist"), "{e}");
    unchanged("missing directory");

    let e = fails(&["migrate", "up", "--target", &url, "--dir", s(&dir), "--to", "20990101000000"]);
    assert!(e.contains("--to 20990101000000") && e.contains("20240103000000"), "{e}");
    unchanged("unknown --to");

    write(&dir, "add_users.sql", "CREATE TABLE app.x (x int);");
    let e = fails(&["migrate", "up", "--target", &url, "--dir", s(&dir)]);
    assert!(e.contains("add_users.sql") && e.contains("<version>_<name>.up.sql"), "{e}");
    unchanged("malformed file name");
    let e = fails(&["migrate", "status", "--target", &url, "--dir", s(&dir)]);
    assert!(e.contains("add_users.sql"), "{e}");
    std::fs::remove_file(dir.join("add_users.sql")).unwrap();

    // A hole: the history says `a` was applied, its files are gone.
    std::fs::remove_file(dir.join("20240101000000_a.up.sql")).unwrap();
    std::fs::remove_file(dir.join("20240101000000_a.down.sql")).unwrap();
    let e = fails(&["migrate", "up", "--target", &url, "--dir", s(&dir)]);
    assert!(e.contains("20240101000000_a") && e.contains("missing"), "{e}");
    unchanged("hole");
    let (out, _) = run(1, &["migrate", "status", "--target", &url, "--dir", s(&dir)]);
    assert!(out.contains("missing-file"), "{out}");

    // Passwords never show, not even in a connection error.
    let e = fails(&[
        "migrate",
        "status",
        "--target",
        "postgres://someone:hunter2@127.0.0.1:1/app",
        "--dir",
        s(&dir),
    ]);
    assert!(!e.contains("hunter2") && e.contains("someone@127.0.0.1"), "{e}");
}

#[test]
fn sync_schema_updates_a_cloned_copy() {
    let src = db_with(
        "sync_cli_src",
        "CREATE SCHEMA dbo;
         CREATE TABLE dbo.\"Users\" (\"Id\" int PRIMARY KEY, \"Name\" text);
         INSERT INTO dbo.\"Users\" VALUES (1, 'a'), (2, 'b');",
    );
    let dst = db_with("sync_cli_dst", "");
    let (su, du) = (src.url(), dst.url());
    let naming = [
        "-n",
        "dbo",
        "--schema-template",
        "dw__{database}__{schema}",
        "--identifier-case",
        "lower",
    ];
    run(0, &[&["clone", "--source", &su, "--target", &du][..], &naming[..]].concat());
    let copy = format!("dw__{}__dbo", src.name());
    assert_eq!(columns(&dst, &copy, "users"), ["id", "name"]);

    src.psql("ALTER TABLE dbo.\"Users\" ADD COLUMN \"Email\" text").unwrap();
    let sync = [&["sync-schema", "--source", &su, "--target", &du][..], &naming[..]].concat();
    let (out, _) = run(0, &sync);
    assert!(out.contains(&format!("ALTER TABLE {copy}.users ADD COLUMN email text")), "{out}");
    assert_eq!(columns(&dst, &copy, "users"), ["id", "name"], "printing changes nothing");

    let (out, _) = run(0, &[&sync[..], &["--apply"]].concat());
    assert!(out.starts_with("applied ") && out.contains(&format!("sync_{copy}")), "{out}");
    assert_eq!(columns(&dst, &copy, "users"), ["id", "name", "email"]);
    assert_eq!(dst.query(&format!("SELECT count(*) FROM {copy}.users")).unwrap()[0][0], "2");
    assert_eq!(history(&dst)[0][3], "sync");

    let (out, err) = run(0, &[&sync[..], &["--apply"]].concat());
    assert!(out.is_empty() && err.contains("up to date"), "{out}{err}");
}

/// `migrate new --using/--down-using`: each direction's conversion in its
/// file, and named in that file's header.
#[test]
fn new_takes_using_for_each_direction() {
    let tmp = tempfile::tempdir().unwrap();
    let (from, to, dir) = (tmp.path().join("from"), tmp.path().join("to"), tmp.path().join("m"));
    std::fs::create_dir_all(&from).unwrap();
    std::fs::create_dir_all(&to).unwrap();
    write(
        &from,
        "schema.sql",
        "CREATE SCHEMA app; CREATE TABLE app.jobs (id int, timeout bigint);",
    );
    write(
        &to,
        "schema.sql",
        "CREATE SCHEMA app; CREATE TABLE app.jobs (id int, timeout interval);",
    );
    let base = ["migrate", "new", "timeouts", "--from", s(&from), "--to", s(&to), "--dir", s(&dir)];
    let err = fails(&base);
    assert!(err.contains("--using 'app.jobs.timeout=EXPR'"), "{err}");
    let (out, _) = run(
        0,
        &[
            &base[..],
            &["--using", "app.jobs.timeout=make_interval(secs => timeout)"],
            &["--down-using", "app.jobs.timeout=extract(epoch FROM timeout)::bigint"],
        ]
        .concat(),
    );
    let paths: Vec<&str> = out.lines().collect();
    let (up, down) =
        (std::fs::read_to_string(paths[0]).unwrap(), std::fs::read_to_string(paths[1]).unwrap());
    assert!(up.contains("-- hint: --using 'app.jobs.timeout=make_interval(secs => timeout)'"));
    assert!(up.contains("USING make_interval(secs => timeout)"), "{up}");
    assert!(
        down.contains("-- hint: --using 'app.jobs.timeout=extract(epoch FROM timeout)::bigint'")
    );
    assert!(down.contains("USING extract(epoch FROM timeout)::bigint"), "{down}");
}

/// `migrate new --rename`: the up file renames, the down file renames back,
/// and both headers name the hint.
#[test]
fn new_takes_renames_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let (from, to, dir) = (tmp.path().join("from"), tmp.path().join("to"), tmp.path().join("m"));
    std::fs::create_dir_all(&from).unwrap();
    std::fs::create_dir_all(&to).unwrap();
    write(&from, "schema.sql", "CREATE SCHEMA app; CREATE TABLE app.users (id int, mail text);");
    write(&to, "schema.sql", "CREATE SCHEMA app; CREATE TABLE app.people (id int, email text);");
    let (out, _) = run(
        0,
        &[
            "migrate",
            "new",
            "rename_users",
            "--from",
            s(&from),
            "--to",
            s(&to),
            "--dir",
            s(&dir),
            "--rename",
            "app.users=people",
            "--rename",
            "app.users.mail=email",
        ],
    );
    let paths: Vec<&str> = out.lines().collect();
    let up = std::fs::read_to_string(paths[0]).unwrap();
    let down = std::fs::read_to_string(paths[1]).unwrap();
    for text in [&up, &down] {
        assert!(text.contains("-- hint: --rename 'app.users=people'"), "{text}");
    }
    assert!(up.contains("ALTER TABLE app.users RENAME TO people;"), "{up}");
    assert!(up.contains("ALTER TABLE app.people RENAME COLUMN mail TO email;"), "{up}");
    assert!(!up.contains("DROP"), "{up}");
    assert!(down.contains("ALTER TABLE app.people RENAME TO users;"), "{down}");
    assert!(down.contains("ALTER TABLE app.users RENAME COLUMN email TO mail;"), "{down}");
}

/// Issue #18, item 8: `migrate up` says each migration as it commits, so a run killed later
/// has shown what it applied; a migration that runs outside a transaction block records its
/// progress statement by statement, and the rerun says what the killed run left and resumes
/// after it.
#[test]
fn a_killed_migrate_up_has_shown_what_committed_and_its_rerun_resumes_after_it() {
    use std::time::Duration;
    use util::{LockHolder, ok, spawn, wait_for};
    let db = db_with("mig_cli_kill", "CREATE SCHEMA app; CREATE TABLE app.locked (x int);");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "20240101000000_first.up.sql", "CREATE TABLE app.t0 (x int);\n");
    write(dir, "20240101000000_first.down.sql", "DROP TABLE app.t0;\n");
    write(
        dir,
        "20240102000000_second.up.sql",
        "CREATE TABLE app.t1 (x int);\n-- not in a transaction block\n\
         CREATE INDEX CONCURRENTLY t1_idx ON app.t1 (x);\n\
         ALTER TABLE app.locked ADD COLUMN y int;\nCREATE TABLE app.t2 (x int);\n",
    );
    write(
        dir,
        "20240102000000_second.down.sql",
        "DROP TABLE app.t2;\nALTER TABLE app.locked DROP COLUMN y;\nDROP TABLE app.t1;\n",
    );
    let url = db.url();
    let args = ["migrate", "up", "--target", &url, "--dir", s(dir)];
    // Statement 3 of the second migration waits for a user's lock; the run is killed there.
    let lock = LockHolder::lock(&db, "app.locked");
    let up = spawn(&args);
    let waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                   AND query LIKE 'ALTER TABLE app.locked%' AND datname = current_database()";
    wait_for("statement 3 to wait", Duration::from_secs(60), || {
        db.query(waiting).unwrap()[0][0] == "1"
    });
    up.signal("KILL");
    let killed = up.finish_within(Duration::from_secs(30));
    assert!(killed.stdout().contains("applied 20240101000000_first"), "{killed}");
    assert!(!killed.stdout().contains("second"), "{killed}");
    // The server ends the killed run's statement rather than applying it later.
    let running = "SELECT count(*) FROM pg_stat_activity \
                   WHERE query LIKE 'ALTER TABLE app.locked%' AND datname = current_database()";
    wait_for("the killed statement to end", Duration::from_secs(30), || {
        db.query(running).unwrap()[0][0] == "0"
    });
    lock.release();
    let progress =
        "SELECT statements_done FROM pggraft.migration_progress WHERE version = '20240102000000'";
    assert_eq!(db.query(progress).unwrap(), [["2"]]);
    assert_eq!(columns(&db, "app", "locked"), ["x"]);

    // A rerun that fails says what the earlier run left.
    db.psql("ALTER TABLE app.locked RENAME TO elsewhere").unwrap();
    let err = fails(&args);
    assert!(err.contains("statement 3"), "{err}");
    assert!(err.contains("1-2 by an earlier run that was interrupted"), "{err}");
    db.psql("ALTER TABLE app.elsewhere RENAME TO locked").unwrap();

    // A rerun that can resumes after statement 2 (statement 1 would fail: app.t1 exists).
    let out = ok(&args);
    assert!(out.contains("applied 20240102000000_second"), "{out}");
    assert!(out.contains("resumed after statement 2"), "{out}");
    assert_eq!(history(&db).len(), 2);
    assert_eq!(columns(&db, "app", "locked"), ["x", "y"]);
    assert_eq!(columns(&db, "app", "t2"), ["x"]);
    assert_eq!(db.query("SELECT count(*) FROM pggraft.migration_progress").unwrap(), [["0"]]);
}
