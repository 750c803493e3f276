//! `clone`: structure and data copied faithfully, renamed, all or nothing.

use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions, CloneReport};
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;
use pggraft::select::TablePattern;

use crate::common::*;

async fn clone_with(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
    setup: impl FnOnce(&mut CloneOptions),
) -> pggraft::Result<CloneReport> {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 2;
    opts.index_jobs = 2;
    setup(&mut opts);
    let plan = clone_api::prepare(&opts).await?;
    clone_api::run(&opts, plan, &NoProgress, None).await
}

fn schema_args(args: &[&str]) -> Vec<SchemaArg> {
    args.iter().map(|a| SchemaArg::parse(a).unwrap()).collect()
}

/// Asserts every table of `schemas` has the same rows in both databases,
/// with `map` turning a source schema name into the target's.
fn assert_same_data(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
    schemas: &[&str],
    map: impl Fn(&str) -> String,
) {
    let tables = tables_of(src, schemas);
    assert!(!tables.is_empty());
    for (s, t) in tables {
        let a = table_hash(src, &quote_qualified(&s, &t));
        let b = table_hash(dst, &quote_qualified(&map(&s), &t));
        assert_eq!(a, b, "data of {s}.{t} differs");
    }
}

fn leftover_schemas(db: &TestDb<'_>) -> Vec<String> {
    db.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pggraft_tmp%'")
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}

#[tokio::test]
async fn cross_database_clone_is_identical() {
    let src = everything_with_data("xdb_src");
    let dst = db_with("xdb_dst", "");
    let report = clone_with(&src, &dst, |_| {}).await.unwrap();
    assert!(report.total_rows() > 3000);
    // The whole database, public included, dumps the same, but for pggraft's
    // record of the copy (`pggraft.copies`, what `refresh` reads).
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
    let recorded = dst.query("SELECT count(*) FROM pggraft.copies").unwrap()[0][0].clone();
    assert_eq!(recorded, report.schemas.len().to_string(), "one record per copied schema");
    assert_same_data(&src, &dst, EVERYTHING_SCHEMAS, |s| s.to_string());
    let seq = |db: &TestDb<'_>| db.query("SELECT last_value, is_called FROM shop.codes").unwrap();
    assert_eq!(seq(&src), seq(&dst));
    let ident = |db: &TestDb<'_>| db.query("SELECT last_value FROM shop.customers_id_seq").unwrap();
    assert_eq!(ident(&src), ident(&dst));
    let mv = |db: &TestDb<'_>| db.query("SELECT count(*), sum(amount) FROM shop.daily").unwrap();
    assert_eq!(mv(&src), mv(&dst));
    assert!(leftover_schemas(&dst).is_empty());
}

#[tokio::test]
async fn same_database_rename_follows_references() {
    let db = everything_with_data("samedb");
    clone_with(&db, &db, |o| {
        o.naming.schemas = schema_args(&["shop=shop_copy", "Odd Schema=Odd Copy"]);
    })
    .await
    .unwrap();
    let map = |s: &str| if s == "shop" { "shop_copy".to_string() } else { "Odd Copy".to_string() };
    assert_same_data(&db, &db, EVERYTHING_SCHEMAS, map);
    // Structure equal once names are mapped back.
    let a = db.dump_schema(EVERYTHING_SCHEMAS).unwrap();
    let b = db
        .dump_schema(&["shop_copy", "Odd Copy"])
        .unwrap()
        .replace("shop_copy", "shop")
        .replace("\"Odd Copy\"", "\"Odd Schema\"");
    assert_same_text(&a, &b);
    // Function bodies and search_path point at the copy.
    let def = db.query("SELECT pg_get_functiondef('shop_copy.next_code()'::regprocedure)").unwrap();
    assert!(def[0][0].contains("shop_copy.codes"), "{}", def[0][0]);
    assert!(
        def[0][0].contains("search_path TO 'shop_copy'")
            || def[0][0].contains("shop_copy, pg_temp"),
        "{}",
        def[0][0]
    );
    // Defaults and views reference the copies, not the originals.
    let deps = db
        .query(
            "SELECT count(*) FROM pg_depend d JOIN pg_class c ON c.oid = d.refobjid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE d.classid IN ('pg_rewrite'::regclass, 'pg_attrdef'::regclass) AND n.nspname = 'shop' \
             AND d.objid IN (SELECT oid FROM pg_rewrite WHERE ev_class IN (SELECT oid FROM pg_class WHERE relnamespace = 'shop_copy'::regnamespace) \
                             UNION SELECT oid FROM pg_attrdef WHERE adrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'shop_copy'::regnamespace))",
        )
        .unwrap();
    assert_eq!(deps[0][0], "0", "copy objects still depend on the source schema");
    // Using the copy works end to end (default calls the copied function,
    // which uses the copied sequence).
    db.psql("INSERT INTO shop_copy.customers (email, name) VALUES ('new@x', 'New')").unwrap();
    let code = db.query("SELECT code FROM shop_copy.customers WHERE email = 'new@x'").unwrap();
    assert!(code[0][0].starts_with("C-"));
    let src_seq = db.query("SELECT last_value FROM shop.codes").unwrap();
    assert_eq!(src_seq[0][0], "4242", "the source sequence must not move");
}

#[tokio::test]
async fn lower_case_with_template() {
    let src = db_with(
        "lower_src",
        r#"CREATE SCHEMA "Sales";
           CREATE TABLE "Sales"."Orders" ("Id" int PRIMARY KEY, "Amount" numeric NOT NULL CHECK ("Amount" > 0));
           CREATE VIEW "Sales"."BigOrders" AS SELECT "Id", "Amount" FROM "Sales"."Orders" WHERE "Amount" > 10;
           CREATE INDEX "Orders_Amount_Idx" ON "Sales"."Orders" ("Amount");
           INSERT INTO "Sales"."Orders" SELECT g, g FROM generate_series(1, 100) g;"#,
    );
    let dst = db_with("lower_dst", "");
    clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["Sales"]);
        o.naming.template = Some("dw__{database}__{schema}".into());
        o.naming.lower_case = true;
    })
    .await
    .unwrap();
    let schema = format!("dw__{}__sales", src.name());
    let cols = dst
        .query(&format!(
            "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute \
             WHERE attrelid = '{schema}.orders'::regclass AND attnum > 0"
        ))
        .unwrap();
    assert_eq!(cols[0][0], "id,amount");
    let n = dst.query(&format!("SELECT count(*) FROM {schema}.bigorders")).unwrap();
    assert_eq!(n[0][0], "90");
    let idx = dst.query(&format!("SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}' AND indexname = 'orders_amount_idx'")).unwrap();
    assert_eq!(idx[0][0], "1");
}

#[tokio::test]
async fn excluded_tables_take_their_dependents() {
    let src = db_with(
        "filter_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.users (id int PRIMARY KEY, name text);
         CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.users(id));
         CREATE TABLE app.logs (id int, msg text);
         CREATE VIEW app.user_orders AS SELECT u.name, o.id FROM app.users u JOIN app.orders o ON o.user_id = u.id;
         GRANT SELECT ON app.users TO PUBLIC;
         COMMENT ON TABLE app.users IS 'people';
         INSERT INTO app.users VALUES (1, 'a'); INSERT INTO app.orders VALUES (1, 1);
         INSERT INTO app.logs VALUES (1, 'x');",
    );
    let dst = db_with("filter_dst", "");
    let report = clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["app"]);
        o.tables.exclude = vec![TablePattern::parse("app.users")];
        o.exclude_table_data = vec![TablePattern::parse("logs")];
    })
    .await
    .unwrap();
    let rels = dst
        .query("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'app'::regnamespace AND relkind IN ('r', 'v')")
        .unwrap();
    assert_eq!(rels[0][0], "logs,orders");
    let fks = dst.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'app'::regnamespace").unwrap();
    assert_eq!(fks[0][0], "0");
    assert_eq!(dst.query("SELECT count(*) FROM app.logs").unwrap()[0][0], "0");
    assert_eq!(dst.query("SELECT count(*) FROM app.orders").unwrap()[0][0], "1");
    assert!(report.warnings.iter().any(|w| w.contains("user_orders")), "{:?}", report.warnings);
}

#[tokio::test]
async fn failure_mid_copy_leaves_target_unchanged() {
    let src = everything_with_data("fail_src");
    let dst = db_with(
        "fail_dst",
        "CREATE TABLE public.keep (x int); INSERT INTO public.keep VALUES (1);",
    );
    let before = dst.dump_schema(&[]).unwrap();
    let err = clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["shop", "Odd Schema"]);
        o.fail_on_table = Some("orders_2023".into());
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);
    assert!(leftover_schemas(&dst).is_empty());
    let ext = dst
        .query("SELECT count(*) FROM pg_extension WHERE extname IN ('citext', 'btree_gist')")
        .unwrap();
    assert_eq!(ext[0][0], "0", "extensions created by the failed clone are dropped");
}

#[tokio::test]
async fn copy_is_as_of_one_snapshot() {
    let src = db_with(
        "snap_src",
        "CREATE SCHEMA app; CREATE TABLE app.a (id int PRIMARY KEY); CREATE TABLE app.b (id int PRIMARY KEY);
         INSERT INTO app.a SELECT generate_series(1, 1000); INSERT INTO app.b SELECT generate_series(1, 1000);",
    );
    let dst = db_with("snap_dst", "");
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas = schema_args(&["app"]);
    let plan = clone_api::prepare(&opts).await.unwrap();
    // Writes after the snapshot was taken must not appear in the copy.
    src.psql(
        "INSERT INTO app.a SELECT generate_series(1001, 2000); DELETE FROM app.b WHERE id <= 500;",
    )
    .unwrap();
    clone_api::run(&opts, plan, &NoProgress, None).await.unwrap();
    assert_eq!(dst.query("SELECT count(*) FROM app.a").unwrap()[0][0], "1000");
    assert_eq!(dst.query("SELECT count(*) FROM app.b").unwrap()[0][0], "1000");
}

#[tokio::test]
async fn existing_target_needs_drop_if_exists() {
    let src = db_with(
        "exists_src",
        "CREATE SCHEMA app; CREATE TABLE app.t (id int); INSERT INTO app.t VALUES (1);",
    );
    let dst = db_with("exists_dst", "CREATE SCHEMA app; CREATE TABLE app.old (x int);");
    let err =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap_err();
    assert!(err.to_string().contains("--drop-if-exists"), "{err}");
    assert_eq!(
        dst.query("SELECT count(*) FROM pg_class WHERE relname = 'old'").unwrap()[0][0],
        "1"
    );
    clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["app"]);
        o.drop_if_exists = true;
    })
    .await
    .unwrap();
    assert_eq!(
        dst.query("SELECT count(*) FROM pg_class WHERE relname = 'old'").unwrap()[0][0],
        "0"
    );
    assert_eq!(dst.query("SELECT count(*) FROM app.t").unwrap()[0][0], "1");
}

#[tokio::test]
async fn unknown_schema_is_an_error() {
    let src = db_with("unknown_src", "CREATE SCHEMA app;");
    let dst = db_with("unknown_dst", "");
    let err =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["nope"])).await.unwrap_err();
    assert!(err.to_string().contains("\"nope\" does not exist"), "{err}");
}

#[tokio::test]
async fn cross_cluster_clone() {
    let other = pg_sandbox::Cluster::start().unwrap();
    other.psql("postgres", "CREATE ROLE app_reader; CREATE ROLE \"App Writer\";").unwrap();
    let src = everything_with_data("xcl_src");
    let dst = other.create_database("xcl_dst").unwrap();
    clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["shop", "Odd Schema"]))
        .await
        .unwrap();
    assert_same_text(
        &src.dump_schema(EVERYTHING_SCHEMAS).unwrap(),
        &dst.dump_schema(EVERYTHING_SCHEMAS).unwrap(),
    );
    assert_same_data(&src, &dst, EVERYTHING_SCHEMAS, |s| s.to_string());
}

/// Issue #18, item 1: `--drop-if-exists` runs `DROP SCHEMA … CASCADE` on the old copy; what
/// other schemas built on it must not vanish with it unless `--drop-cascade` says so.
#[tokio::test]
async fn drop_if_exists_refuses_to_drop_what_other_schemas_build_on_it() {
    let src = db_with(
        "dropdep_src",
        "CREATE SCHEMA victim; CREATE TABLE victim.t (id int PRIMARY KEY); INSERT INTO victim.t VALUES (1);",
    );
    let dst = db_with(
        "dropdep_dst",
        "CREATE SCHEMA victim; CREATE TABLE victim.t (id int PRIMARY KEY, old text);
         CREATE TYPE victim.mood AS ENUM ('ok');
         CREATE VIEW public.v AS SELECT id FROM victim.t;
         CREATE FUNCTION public.rows_of() RETURNS SETOF victim.t LANGUAGE sql AS 'SELECT * FROM victim.t';
         CREATE TABLE public.u (id int REFERENCES victim.t, m victim.mood);",
    );
    let before = dst.dump_schema(&[]).unwrap();
    let err = clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["victim"]);
        o.drop_if_exists = true;
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Refused, "{err}");
    let pggraft::Error::DependentObjects { schemas, objects } = &err else { panic!("{err:?}") };
    assert_eq!(schemas, &["victim"]);
    for o in [
        "view public.v",
        "function public.rows_of()",
        "constraint u_id_fkey on table public.u",
        "column m of table public.u",
    ] {
        assert!(objects.iter().any(|x| x == o), "{o:?} not in {objects:?}");
    }
    // Parts of the replaced tables themselves (their TOAST tables) are no outside objects.
    assert!(!objects.iter().any(|x| x.contains("pg_toast")), "{objects:?}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before, "the refused clone changed the target");
    assert!(leftover_schemas(&dst).is_empty());

    let report = clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["victim"]);
        o.drop_if_exists = true;
        o.drop_cascade = true;
    })
    .await
    .unwrap();
    assert!(report.warnings.iter().any(|w| w.contains("view public.v")), "{:?}", report.warnings);
    assert_eq!(dst.query("SELECT to_regclass('public.v') IS NULL").unwrap()[0][0], "t");
    assert_eq!(dst.query("SELECT count(*) FROM victim.t").unwrap()[0][0], "1");
}

/// A clone stopped in its data phase, waiting for a lock the test holds on the target (a
/// foreign key to a table outside the copied schema waits for it).
const REF: &str = "CREATE TABLE public.ref (id int PRIMARY KEY);
    INSERT INTO public.ref SELECT generate_series(1, 10);";
const REF_APP: &str = "CREATE SCHEMA app;
    CREATE TABLE app.x (id int PRIMARY KEY, ref int REFERENCES public.ref);
    INSERT INTO app.x SELECT g, 1 + g % 10 FROM generate_series(1, 100) g;";

/// Blocks until a clone's session waits for a lock in database `db` of `cluster`.
fn wait_until_blocked(cluster: &pg_sandbox::Cluster, db: &str) {
    let sql = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
               AND starts_with(application_name, 'pggraft-clone-') AND datname = current_database()";
    let started = std::time::Instant::now();
    while cluster.query(db, sql).unwrap()[0][0] == "0" {
        assert!(started.elapsed().as_secs() < 60, "the clone never waited for the lock");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Issue #18, item 2: a target restart during a clone. The cleanup waits for the server to
/// come back and removes the build schema; when it cannot (the server stays away longer than
/// the clone waits), the error names what was left and how to remove it, and a later cleanup
/// does. Either way the error says the target was lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_target_restart_during_a_clone_is_waited_for_and_what_is_left_is_named() {
    // Leaked: the restarting thread needs it for the whole test (its watchdog stops it).
    let target: &'static pg_sandbox::Cluster =
        Box::leak(Box::new(pg_sandbox::Cluster::start().unwrap()));
    let src = db_with("restart_src", &format!("{REF} {REF_APP}"));
    let dst = target.create_database("restart_dst").unwrap();
    dst.psql(REF).unwrap();
    for (down_for, cleanup_wait) in [(2, 30), (6, 1)] {
        let holder = spec(&dst).connect().await.unwrap();
        holder
            .batch_execute("BEGIN; LOCK TABLE public.ref IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
        let name = dst.name().to_string();
        let restart = tokio::task::spawn_blocking(move || {
            wait_until_blocked(target, &name);
            target.stop_server().unwrap();
            std::thread::sleep(std::time::Duration::from_secs(down_for));
            target.start_server().unwrap();
        });
        let clone = clone_with(&src, &dst, |o| {
            o.naming.schemas = schema_args(&["app"]);
            o.cleanup_wait = std::time::Duration::from_secs(cleanup_wait);
        });
        let (result, restarted) = tokio::join!(clone, restart);
        restarted.unwrap();
        let err = result.unwrap_err();
        assert_eq!(err.kind(), pggraft::ErrorKind::Connection, "{err}");
        assert_eq!(err.side(), Some(pggraft::conn::Side::Target), "{err}");
        if down_for < cleanup_wait {
            assert!(!matches!(err, pggraft::Error::LeftBehind { .. }), "{err}");
            assert!(leftover_schemas(&dst).is_empty());
        } else {
            let pggraft::Error::LeftBehind { schemas, .. } = &err else { panic!("{err:?}") };
            assert_eq!(schemas, &leftover_schemas(&dst), "{err}");
            assert!(err.to_string().contains("pggraft cleanup --target"), "{err}");
            let done = pggraft::cleanup::remove_stale(&spec(&dst), false).await.unwrap();
            let removed: Vec<String> = done.removed.into_iter().map(|s| s.schema).collect();
            assert_eq!(&removed, schemas);
            assert!(leftover_schemas(&dst).is_empty());
        }
        assert_eq!(dst.query("SELECT to_regnamespace('app') IS NULL").unwrap()[0][0], "t");
    }
}

/// Issue #18, item 9: a connection lost during a clone says which side it was (the target's
/// case is in the restart test above).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_source_connection_says_it_was_the_source() {
    let src = db_with("lostsrc_src", &format!("{REF} {REF_APP}"));
    let dst = db_with("lostsrc_dst", REF);
    let holder = spec(&dst).connect().await.unwrap();
    holder.batch_execute("BEGIN; LOCK TABLE public.ref IN ACCESS EXCLUSIVE MODE").await.unwrap();
    let (src_name, dst_name) = (src.name().to_string(), dst.name().to_string());
    let kill = tokio::task::spawn_blocking(move || {
        let c = cluster();
        wait_until_blocked(c, &dst_name);
        // Every session of the source database goes (the clone's snapshot among them).
        c.query(
            "postgres",
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{src_name}'"
            ),
        )
        .unwrap();
    });
    let clone = clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"]));
    let release = async {
        kill.await.unwrap();
        holder.batch_execute("COMMIT").await.unwrap();
    };
    let (result, ()) = tokio::join!(clone, release);
    let err = result.unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Connection, "{err}");
    assert_eq!(err.side(), Some(pggraft::conn::Side::Source), "{err}");
    assert!(err.to_string().starts_with("the source: "), "{err}");
    assert!(leftover_schemas(&dst).is_empty());
}

/// Issue #18, item 3: a user's open transaction reading a table that `--drop-if-exists` must
/// replace makes the swap wait, within the budget, then fail naming the table and the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_user_transaction_on_a_replaced_table_fails_the_clone_naming_it_in_time() {
    let src = db_with(
        "lockuser_src",
        "CREATE SCHEMA app; CREATE TABLE app.t (id int); INSERT INTO app.t VALUES (1);",
    );
    let dst = db_with("lockuser_dst", "CREATE SCHEMA app; CREATE TABLE app.t (id int, old text);");
    let reader = spec(&dst).connect().await.unwrap();
    reader
        .batch_execute("SET application_name = 'nightly report'; BEGIN; SELECT * FROM app.t")
        .await
        .unwrap();
    let reader_pid: i32 = reader.query_one("SELECT pg_backend_pid()", &[]).await.unwrap().get(0);
    let started = std::time::Instant::now();
    let err = clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["app"]);
        o.drop_if_exists = true;
        o.lock_wait = std::time::Duration::from_secs(3);
    })
    .await
    .unwrap_err();
    let waited = started.elapsed();
    assert!(waited.as_secs() < 30, "waited {waited:?}");
    let pggraft::Error::LockTimeout { object, lock, blockers, side, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*side, pggraft::conn::Side::Target);
    assert!(object.contains("replacing target schema app"), "{err}");
    assert!(lock.as_deref().is_some_and(|l| l.contains("app.t")), "{err}");
    assert_eq!(blockers.len(), 1, "{err}");
    assert_eq!(blockers[0].pid, reader_pid);
    assert_eq!(blockers[0].application_name.as_deref(), Some("nightly report"));
    assert_eq!(blockers[0].pggraft, None);
    assert!(err.to_string().contains("--lock-wait-timeout"), "{err}");
    // The old copy is as it was, and nothing of the new one is left.
    reader.batch_execute("COMMIT").await.unwrap();
    let cols = dst.query(
        "SELECT count(*) FROM pg_attribute WHERE attrelid = 'app.t'::regclass AND attname = 'old'",
    );
    assert_eq!(cols.unwrap()[0][0], "1");
    assert!(leftover_schemas(&dst).is_empty());
}

/// Issue #18, item 3: a same-database clone whose DDL must lock what a pggraft snapshot session
/// holds (here another run's, prepared and holding the source schema this clone replaces)
/// fails in time and says that the blocker is pggraft.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_clone_waiting_on_a_pggraft_snapshot_session_says_so() {
    let db = db_with(
        "lockself",
        "CREATE SCHEMA shop; CREATE TABLE shop.t (id int); INSERT INTO shop.t VALUES (1);
         CREATE VIEW shop.v AS SELECT id FROM shop.t;
         CREATE SCHEMA other; CREATE TABLE other.t (id int); INSERT INTO other.t VALUES (2);",
    );
    // Run A has read `shop` in its snapshot: reading the view's definition locked the table it
    // reads, until A's snapshot ends (once its data is in).
    let mut a = CloneOptions::new(spec(&db), spec(&db));
    a.naming.schemas = schema_args(&["shop=shop_a"]);
    let held = clone_api::prepare(&a).await.unwrap();
    // Run B replaces `shop` with a copy of `other`.
    let err = clone_with(&db, &db, |o| {
        o.naming.schemas = schema_args(&["other=shop"]);
        o.drop_if_exists = true;
        o.lock_wait = std::time::Duration::from_secs(3);
    })
    .await
    .unwrap_err();
    let pggraft::Error::LockTimeout { blockers, .. } = &err else { panic!("{err:?}") };
    let who = blockers.iter().find_map(|b| b.pggraft.clone()).unwrap_or_default();
    assert!(who.contains("snapshot session of another pggraft run"), "{err}");
    assert!(err.to_string().contains("let that run finish first"), "{err}");
    assert!(leftover_schemas(&db).is_empty());
    // Run A goes on undisturbed.
    clone_api::run(&a, held, &NoProgress, None).await.unwrap();
    assert_eq!(db.query("SELECT count(*) FROM shop_a.t").unwrap()[0][0], "1");
    assert_eq!(db.query("SELECT count(*) FROM shop.t").unwrap()[0][0], "1");
}

/// Issue #18, item 4: a `--data-only` load onto an existing copy that fails on a duplicate key
/// in one table, after another table received its rows, says exactly which tables were
/// loaded and which were not.
#[tokio::test]
async fn a_failed_data_only_load_names_the_tables_it_loaded_and_those_it_did_not() {
    let tables = "CREATE SCHEMA app; CREATE TABLE app.big (id int PRIMARY KEY, pad text);
                  CREATE TABLE app.small (id int PRIMARY KEY);";
    let src = db_with(
        "dataonly_src",
        &format!(
            "{tables} INSERT INTO app.big SELECT g, repeat('x', 200) FROM generate_series(1, 5000) g;
             INSERT INTO app.small SELECT generate_series(1, 10);"
        ),
    );
    let dst = db_with("dataonly_dst", &format!("{tables} INSERT INTO app.small VALUES (5);"));
    let err = clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["app"]);
        o.data_only = true;
        // One table after the other, largest first: big loads, then small fails.
        o.jobs = 1;
    })
    .await
    .unwrap_err();
    let pggraft::Error::PartlyLoaded { error, loaded, partly, uncertain, not_loaded } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(error.sqlstate(), Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION));
    assert_eq!(loaded, &["app.big"]);
    assert_eq!(not_loaded, &["app.small"]);
    assert!(partly.is_empty() && uncertain.is_empty(), "{err}");
    assert_eq!(dst.query("SELECT count(*) FROM app.big").unwrap()[0][0], "5000");
    assert_eq!(dst.query("SELECT count(*) FROM app.small").unwrap()[0][0], "1");
}
