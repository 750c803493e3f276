//! `migrate` and `sync-schema`: migrations written from diffs, applied and
//! undone on real databases, judged by the target's catalog
//! (`pg_dump --schema-only`) and its `pggraft.migrations` history.

use std::path::Path;

use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions};
use pggraft::conn::ConnSpec;
use pggraft::diff::DiffOptions;
use pggraft::diff::source::Input;
use pggraft::engine::NoProgress;
use pggraft::migrate::{
    self, Action, Dir, DownTarget, Header, Kind, Request, State, SyncOptions, write_new,
};
use pggraft::rename::{Naming, SchemaArg};
use pggraft::{Error, ErrorKind};

use crate::common::*;

const APP: &str = "CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL);
    INSERT INTO app.users SELECT g, 'user ' || g FROM generate_series(1, 100) g;";

/// APP with a new column, an index and a view on it.
const APP_V2: &str = "CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL, email text);
    CREATE INDEX users_email_idx ON app.users (email);
    CREATE VIEW app.named AS SELECT id, name, email FROM app.users;";

fn up() -> Request {
    Request::Up { to: None }
}

fn write(dir: &Path, file: &str, sql: &str) {
    std::fs::write(dir.join(file), sql).unwrap();
}

/// A folder holding one `.sql` file.
fn ddl_dir(sql: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "schema.sql", sql);
    d
}

/// `version, name, checksum, kind` of every history row.
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

/// Three hand-written migrations in a fresh folder.
fn three_migrations() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    write(p, "20240101000000_a.up.sql", "CREATE TABLE app.a (x int);\nSELECT pg_sleep(0.3);\n");
    write(p, "20240101000000_a.down.sql", "DROP TABLE app.a;\n");
    write(p, "20240102000000_b.up.sql", "CREATE TABLE app.b (x int);\n");
    write(p, "20240102000000_b.down.sql", "DROP TABLE app.b;\n");
    write(p, "20240103000000_c.up.sql", "ALTER TABLE app.a ADD y text;\n");
    write(p, "20240103000000_c.down.sql", "ALTER TABLE app.a DROP y;\n");
    d
}

#[tokio::test]
async fn new_up_status_down_round_trip() {
    let db = db_with("mig_rt", APP);
    let start = db.dump_schema(&["app"]).unwrap();
    // A role with a password, so the header can be checked for leaks.
    let c = db.cluster();
    c.create_role("pggraft_mig_owner", "mig-s3cret", true).unwrap();
    let url =
        format!("postgres://pggraft_mig_owner:mig-s3cret@{}:{}/{}", c.host(), c.port(), db.name());
    let target = ConnSpec::parse(&url).unwrap();
    let to = ddl_dir(APP_V2);
    let g = migrate::generate(
        &Input::Database(Box::new(target.clone())),
        &Input::Sql(to.path().to_path_buf()),
        &[SchemaArg::parse("app").unwrap()],
        &DiffOptions::default(),
    )
    .await
    .unwrap();
    assert!(!g.up.is_empty() && !g.down.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let mdir = dir.path().join("migrations");
    let files = write_new(&mdir, "Add e-mail!", &g.up, &g.down, &g.header).unwrap();
    assert_eq!(files.name, "add_e_mail");
    assert!(files.up.ends_with(format!("{}_add_e_mail.up.sql", files.version)));
    assert_eq!(files.version.len(), 14);
    let up_text = std::fs::read_to_string(&files.up).unwrap();
    let down_text = std::fs::read_to_string(&files.down).unwrap();
    assert!(!up_text.contains("mig-s3cret") && !down_text.contains("mig-s3cret"), "{up_text}");
    assert!(up_text.contains(&format!("-- source: {}", target.redacted())), "{up_text}");
    assert!(up_text.contains(&format!("-- target: {}", to.path().display())), "{up_text}");
    assert!(up_text.contains("-- hazards:"), "{up_text}");
    assert!(down_text.contains("DROP VIEW app.named"), "{down_text}");

    let d = Dir::load(&mdir).unwrap();
    assert_eq!(d.migrations.len(), 1);
    let st = migrate::status(&target, &d).await.unwrap();
    assert_eq!(st.rows[0].state, State::Pending);
    assert!(!st.is_up_to_date());
    assert!(history(&db).is_empty(), "status must not create the history table");

    // A dry run changes nothing, not even the history table.
    let everything = db.dump_schema(&[]).unwrap();
    let r = migrate::apply(&target, &d, &up(), true).await.unwrap();
    assert_eq!(r.schedule.steps.len(), 1);
    assert!(r.applied.is_empty());
    assert_eq!(db.dump_schema(&[]).unwrap(), everything);

    let r = migrate::apply(&target, &d, &up(), false).await.unwrap();
    assert_eq!(r.applied.len(), 1);
    assert!(r.applied[0].transactional);
    assert_eq!(columns(&db, "app", "users"), ["id", "name", "email"]);
    assert_same_text(&db.dump_schema(&["app"]).unwrap(), &{
        let want = db_with("mig_rt_want", APP_V2);
        want.dump_schema(&["app"]).unwrap()
    });
    let h = history(&db);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0][0], files.version);
    assert_eq!(h[0][1], "add_e_mail");
    assert_eq!(h[0][2], d.migrations[0].checksum);
    assert_eq!(h[0][2], migrate::checksum(up_text.as_bytes()));
    assert_eq!(h[0][3], "file");
    let st = migrate::status(&target, &d).await.unwrap();
    assert!(st.is_up_to_date(), "{st:?}");
    assert!(st.rows[0].applied_at.is_some());

    // Nothing left to apply.
    let r = migrate::apply(&target, &d, &up(), false).await.unwrap();
    assert!(r.schedule.steps.is_empty() && r.applied.is_empty());

    let r = migrate::apply(&target, &d, &Request::Down(DownTarget::Steps(1)), false).await.unwrap();
    assert_eq!(r.applied.len(), 1);
    assert_eq!(r.applied[0].action, Action::Down);
    assert_same_text(&db.dump_schema(&["app"]).unwrap(), &start);
    assert!(history(&db).is_empty());
    assert_eq!(db.query("SELECT count(*) FROM app.users").unwrap()[0][0], "100");
}

#[tokio::test]
async fn online_migration_from_ddl_folders_runs_outside_a_transaction() {
    let from = ddl_dir(APP);
    let to = ddl_dir(APP_V2);
    let g = migrate::generate(
        &Input::Sql(from.path().to_path_buf()),
        &Input::Sql(to.path().to_path_buf()),
        &[],
        &DiffOptions { online: true, ..DiffOptions::default() },
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let files = write_new(dir.path(), "online", &g.up, &g.down, &g.header).unwrap();
    let text = std::fs::read_to_string(&files.up).unwrap();
    assert!(text.starts_with("-- pggraft migration"), "{text}");
    assert!(text.contains("SET lock_timeout = '5s';"), "{text}");
    assert!(text.contains("-- not in a transaction block\nCREATE INDEX CONCURRENTLY"), "{text}");

    let db = db_with("mig_online", APP);
    let start = db.dump_schema(&["app"]).unwrap();
    let d = Dir::load(dir.path()).unwrap();
    let r = migrate::apply(&spec(&db), &d, &up(), false).await.unwrap();
    assert!(!r.applied[0].transactional);
    let valid = db
        .query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'app.users_email_idx'::regclass")
        .unwrap();
    assert_eq!(valid[0][0], "t");
    assert_eq!(history(&db).len(), 1);
    let want = db_with("mig_online_want", APP_V2);
    assert_same_text(&db.dump_schema(&["app"]).unwrap(), &want.dump_schema(&["app"]).unwrap());

    migrate::apply(&spec(&db), &d, &Request::Down(DownTarget::Steps(1)), false).await.unwrap();
    assert_same_text(&db.dump_schema(&["app"]).unwrap(), &start);
    assert!(history(&db).is_empty());
}

#[tokio::test]
async fn failing_migration_rolls_back_and_keeps_history() {
    let db = db_with("mig_fail", APP);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "20240101000000_first.up.sql", "CREATE TABLE app.first (x int);\n");
    write(p, "20240101000000_first.down.sql", "DROP TABLE app.first;\n");
    migrate::apply(&spec(&db), &Dir::load(p).unwrap(), &up(), false).await.unwrap();
    let before_history = history(&db);
    let before = db.dump_schema(&[]).unwrap();

    // A hand-edited file whose last statement fails.
    write(
        p,
        "20240102000000_second.up.sql",
        "CREATE TABLE app.second (x int);\nINSERT INTO app.second VALUES (1);\n\
         ALTER TABLE app.users ADD c int;\nSELECT 1 / 0;\n",
    );
    write(p, "20240102000000_second.down.sql", "DROP TABLE app.second;\n");
    let e = migrate::apply(&spec(&db), &Dir::load(p).unwrap(), &up(), false).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("20240102000000_second.up.sql"), "{msg}");
    assert!(msg.contains("statement 4 (line 4: SELECT 1 / 0)"), "{msg}");
    assert!(msg.contains("division by zero"), "{msg}");
    assert!(msg.contains("rolled back"), "{msg}");
    assert_eq!(e.kind(), ErrorKind::Database);
    assert_eq!(history(&db), before_history);
    assert_eq!(db.dump_schema(&[]).unwrap(), before);
}

#[tokio::test]
async fn failing_statement_outside_a_transaction_says_what_stays() {
    let db = db_with("mig_fail_nt", APP);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(
        p,
        "20240101000000_idx.up.sql",
        "SET lock_timeout = '5s';\n-- not in a transaction block\n\
         CREATE INDEX CONCURRENTLY users_name_idx ON app.users (name);\n\
         ALTER TABLE app.nope ADD x int;\n",
    );
    write(p, "20240101000000_idx.down.sql", "DROP INDEX app.users_name_idx;\n");
    let e = migrate::apply(&spec(&db), &Dir::load(p).unwrap(), &up(), false).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("statement 3 (line 4: ALTER TABLE app.nope ADD x int)"), "{msg}");
    assert!(msg.contains("statements 1-2 ran outside a transaction block"), "{msg}");
    assert!(msg.contains("\"app.nope\" does not exist"), "{msg}");
    assert!(history(&db).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_up_runs_apply_each_migration_once() {
    let db = db_with("mig_race", "CREATE SCHEMA app;");
    let dir = three_migrations();
    let d = Dir::load(dir.path()).unwrap();
    let target = spec(&db);
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (t, d) = (target.clone(), d.clone());
            tokio::spawn(async move { migrate::apply(&t, &d, &up(), false).await })
        })
        .collect();
    let mut applied = vec![];
    for r in runs {
        let report = r.await.unwrap().expect("both runs succeed");
        applied.push(report.applied.len());
    }
    applied.sort();
    // The lock is held for a whole run: one runner applies everything, the
    // other waits and then finds nothing to do.
    assert_eq!(applied, [0, 3], "each migration applied exactly once across both runs");
    let h = history(&db);
    assert_eq!(h.len(), 3);
    assert_eq!(columns(&db, "app", "a"), ["x", "y"]);
    assert_eq!(columns(&db, "app", "b"), ["x"]);
}

#[tokio::test]
async fn edited_applied_file_is_reported() {
    let db = db_with("mig_drift", "CREATE SCHEMA app;");
    let dir = three_migrations();
    let d = Dir::load(dir.path()).unwrap();
    migrate::apply(&spec(&db), &d, &Request::Up { to: Some("20240102000000".into()) }, false)
        .await
        .unwrap();
    assert_eq!(history(&db).len(), 2);
    let st = migrate::status(&spec(&db), &d).await.unwrap();
    let states: Vec<State> = st.rows.iter().map(|r| r.state).collect();
    assert_eq!(states, [State::Applied, State::Applied, State::Pending]);

    write(dir.path(), "20240102000000_b.up.sql", "CREATE TABLE app.b (x int, z int);\n");
    let d = Dir::load(dir.path()).unwrap();
    let st = migrate::status(&spec(&db), &d).await.unwrap();
    let states: Vec<State> = st.rows.iter().map(|r| r.state).collect();
    assert_eq!(states, [State::Applied, State::Changed, State::Pending]);
    assert!(!st.is_up_to_date());
    // `up` goes on, and says so.
    let r = migrate::apply(&spec(&db), &d, &up(), false).await.unwrap();
    assert_eq!(r.applied.len(), 1);
    assert!(r.schedule.warnings.iter().any(|w| w.contains("20240102000000_b.up.sql")), "{r:?}");
    let st = migrate::status(&spec(&db), &d).await.unwrap();
    assert_eq!(st.count(State::Changed), 1);
}

#[tokio::test]
async fn down_to_a_version_and_baseline() {
    let db = db_with("mig_base", "CREATE SCHEMA app;");
    let dir = three_migrations();
    let d = Dir::load(dir.path()).unwrap();
    migrate::apply(&spec(&db), &d, &up(), false).await.unwrap();
    let r = migrate::apply(
        &spec(&db),
        &d,
        &Request::Down(DownTarget::To("20240101000000".into())),
        false,
    )
    .await
    .unwrap();
    let undone: Vec<&str> = r.applied.iter().map(|a| a.version.as_str()).collect();
    assert_eq!(undone, ["20240103000000", "20240102000000"]);
    assert_eq!(history(&db).len(), 1);
    assert_eq!(columns(&db, "app", "a"), ["x"]);

    // A database that already has a and b: adopted without running them.
    let other = db_with("mig_base2", "CREATE SCHEMA app; CREATE TABLE app.a (x int);");
    let before = other.dump_schema(&[]).unwrap();
    let e = migrate::baseline(&spec(&other), &d, "20991231000000").await.unwrap_err();
    assert!(e.to_string().contains("--version 20991231000000"), "{e}");
    let r = migrate::baseline(&spec(&other), &d, "20240101000000").await.unwrap();
    assert_eq!(r.applied.len(), 1);
    let h = history(&other);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0][3], "baseline");
    let after = other.dump_schema(&["app"]).unwrap();
    assert!(before.contains("CREATE TABLE app.a") && after.contains("CREATE TABLE app.a"));
    let r = migrate::apply(&spec(&other), &d, &up(), false).await.unwrap();
    let ran: Vec<&str> = r.applied.iter().map(|a| a.version.as_str()).collect();
    assert_eq!(ran, ["20240102000000", "20240103000000"]);
}

/// Every refusal happens before anything runs: history and schema as they were.
#[tokio::test]
async fn bad_input_is_refused_before_anything_runs() {
    let db = db_with("mig_bad", "CREATE SCHEMA app;");
    let target = spec(&db);

    let missing = tempfile::tempdir().unwrap().path().join("nope");
    let e = Dir::load(&missing).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Input);
    assert!(e.to_string().contains("does not exist"), "{e}");

    let dir = three_migrations();
    let p = dir.path();
    migrate::apply(
        &target,
        &Dir::load(p).unwrap(),
        &Request::Up { to: Some("20240102000000".into()) },
        false,
    )
    .await
    .unwrap();
    let before_history = history(&db);
    let before = db.dump_schema(&[]).unwrap();
    let unchanged = |what: &str| {
        assert_eq!(history(&db), before_history, "{what}: history changed");
        assert_eq!(db.dump_schema(&[]).unwrap(), before, "{what}: schema changed");
    };
    let refused = |e: Error, want: &str| {
        assert_eq!(e.kind(), ErrorKind::Input, "{e}");
        assert!(e.to_string().contains(want), "want {want:?} in: {e}");
    };

    // Malformed names, a lone up, a duplicate version.
    write(p, "2024_bad.up.sql", "SELECT 1;");
    write(p, "notes.txt", "ignored: not .sql");
    refused(Dir::load(p).unwrap_err(), "2024_bad.up.sql");
    std::fs::remove_file(p.join("2024_bad.up.sql")).unwrap();
    write(p, "20240104000000_d.up.sql", "CREATE TABLE app.d (x int);");
    refused(Dir::load(p).unwrap_err(), "20240104000000_d.up.sql has no 20240104000000_d.down.sql");
    write(p, "20240104000000_e.up.sql", "CREATE TABLE app.e (x int);");
    write(p, "20240104000000_e.down.sql", "DROP TABLE app.e;");
    write(p, "20240104000000_d.down.sql", "DROP TABLE app.d;");
    refused(Dir::load(p).unwrap_err(), "version 20240104000000 is used by more than one");
    for f in ["d.up", "d.down", "e.up", "e.down"] {
        std::fs::remove_file(p.join(format!("20240104000000_{f}.sql"))).unwrap();
    }

    // Unknown --to.
    let d = Dir::load(p).unwrap();
    let e = migrate::apply(&target, &d, &Request::Up { to: Some("20240109000000".into()) }, false)
        .await
        .unwrap_err();
    refused(e, "--to 20240109000000");
    unchanged("unknown --to");
    let e = migrate::apply(&target, &d, &Request::Down(DownTarget::To("1".into())), false)
        .await
        .unwrap_err();
    refused(e, "--to 1");
    unchanged("unknown down --to");

    // Transaction control in a file.
    write(p, "20240103000000_c.up.sql", "BEGIN;\nALTER TABLE app.a ADD y text;\nCOMMIT;\n");
    let e = migrate::apply(&target, &Dir::load(p).unwrap(), &up(), false).await.unwrap_err();
    refused(e, "statement 1 (line 1: BEGIN) controls the transaction");
    unchanged("BEGIN in a file");
    write(p, "20240103000000_c.up.sql", "ALTER TABLE app.a ADD y text;\n");

    // A hole: an applied migration's files are gone.
    std::fs::rename(p.join("20240101000000_a.up.sql"), p.join("a.up.bak")).unwrap();
    std::fs::rename(p.join("20240101000000_a.down.sql"), p.join("a.down.bak")).unwrap();
    let d = Dir::load(p).unwrap();
    let e = migrate::apply(&target, &d, &up(), false).await.unwrap_err();
    refused(e, "20240101000000_a");
    unchanged("hole");
    let st = migrate::status(&target, &d).await.unwrap();
    assert_eq!(st.rows[0].state, State::MissingFile);
    std::fs::rename(p.join("a.up.bak"), p.join("20240101000000_a.up.sql")).unwrap();
    std::fs::rename(p.join("a.down.bak"), p.join("20240101000000_a.down.sql")).unwrap();

    // Out of order: a pending migration older than the newest applied one.
    write(p, "20231231000000_old.up.sql", "CREATE TABLE app.old (x int);");
    write(p, "20231231000000_old.down.sql", "DROP TABLE app.old;");
    let e = migrate::apply(&target, &Dir::load(p).unwrap(), &up(), false).await.unwrap_err();
    refused(e, "20231231000000_old");
    unchanged("out of order");
    std::fs::remove_file(p.join("20231231000000_old.up.sql")).unwrap();
    std::fs::remove_file(p.join("20231231000000_old.down.sql")).unwrap();

    // Too many steps down.
    let e = migrate::apply(
        &target,
        &Dir::load(p).unwrap(),
        &Request::Down(DownTarget::Steps(5)),
        false,
    )
    .await
    .unwrap_err();
    refused(e, "only 2 migration(s) are applied");
    unchanged("--steps 5");

    // And with everything back in place, it runs.
    let r = migrate::apply(&target, &Dir::load(p).unwrap(), &up(), false).await.unwrap();
    assert_eq!(r.applied.len(), 1);
}

#[tokio::test]
async fn sync_schema_adds_a_column_to_a_lower_case_copy() {
    let src = db_with(
        "sync_src",
        "CREATE SCHEMA dbo;
         CREATE TABLE dbo.\"Users\" (\"Id\" int PRIMARY KEY, \"Name\" text NOT NULL);
         CREATE VIEW dbo.\"UserNames\" AS SELECT \"Name\" FROM dbo.\"Users\";
         INSERT INTO dbo.\"Users\" SELECT g, 'u' || g FROM generate_series(1, 50) g;",
    );
    let dst = db_with("sync_dst", "");
    let naming = Naming {
        schemas: vec![SchemaArg::parse("dbo").unwrap()],
        template: Some("dw__{database}__{schema}".into()),
        lower_case: true,
    };
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming = naming.clone();
    let plan = clone_api::prepare(&opts).await.unwrap();
    clone_api::run(&opts, plan, &NoProgress, None).await.unwrap();
    let copy = format!("dw__{}__dbo", src.name());
    assert_eq!(columns(&dst, &copy, "users"), ["id", "name"]);

    let sync = SyncOptions::new(spec(&src), spec(&dst), naming);
    let plan = migrate::prepare_sync(&sync).await.unwrap();
    assert!(plan.is_empty(), "a fresh copy needs no sync:\n{}", plan.script());

    src.psql("ALTER TABLE dbo.\"Users\" ADD COLUMN \"Email\" text").unwrap();
    let plan = migrate::prepare_sync(&sync).await.unwrap();
    assert_eq!(plan.schemas["dbo"], copy);
    assert_eq!(plan.name(), format!("sync_{copy}"));
    let script = plan.script();
    assert!(
        script.contains(&format!("ALTER TABLE {copy}.users ADD COLUMN email text")),
        "{script}"
    );

    // --write: a migration with its down.
    let dir = tempfile::tempdir().unwrap();
    let files = migrate::write_sync(dir.path(), &plan).unwrap();
    let down = std::fs::read_to_string(&files.down).unwrap();
    assert!(down.contains("DROP COLUMN email"), "{down}");

    // --apply.
    let applied = migrate::apply_sync(&spec(&dst), &plan).await.unwrap();
    assert_eq!(applied.name, format!("sync_{copy}"));
    assert_eq!(columns(&dst, &copy, "users"), ["id", "name", "email"]);
    let h = history(&dst);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0][1], format!("sync_{copy}"));
    assert_eq!(h[0][3], "sync");
    // Rows stay.
    assert_eq!(
        dst.query(&format!("SELECT count(*), count(email) FROM {copy}.users")).unwrap()[0],
        ["50", "0"]
    );
    assert!(migrate::prepare_sync(&sync).await.unwrap().is_empty());
    // The sync row has no file, and that is not a hole.
    let empty = tempfile::tempdir().unwrap();
    let st = migrate::status(&spec(&dst), &Dir::load(empty.path()).unwrap()).await.unwrap();
    assert!(st.is_up_to_date(), "{st:?}");
    assert_eq!(st.rows[0].kind, Some(Kind::Sync));

    // A copy that does not exist is named, with the fix.
    let wrong = SyncOptions {
        naming: Naming { template: Some("nope_{schema}".into()), ..sync.naming.clone() },
        ..sync.clone()
    };
    let e = migrate::prepare_sync(&wrong).await.unwrap_err();
    assert!(e.to_string().contains("nope_dbo") && e.to_string().contains("pggraft clone"), "{e}");
}

#[test]
fn write_new_never_reuses_a_version() {
    let dir = tempfile::tempdir().unwrap();
    let h = Header::default();
    let m = pggraft::diff::Migration::default();
    let a = write_new(dir.path(), "a", &m, &m, &h).unwrap();
    let b = write_new(dir.path(), "a", &m, &m, &h).unwrap();
    assert!(b.version > a.version, "{} then {}", a.version, b.version);
    assert_eq!(Dir::load(dir.path()).unwrap().migrations.len(), 2);
}
