//! `refresh`: a copy brought up to date with its source, by reload, by key
//! comparison or past a watermark, each table either as it was or fully
//! refreshed, and every refusal before anything changed. Judged by the
//! copy's rows (hashes compared with the source's), its catalog, and the
//! record in `pggraft.copies`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use pg_sandbox::TestDb;
use pggraft::Error;
use pggraft::clone::{self as clone_api, CloneOptions};
use pggraft::engine::NoProgress;
use pggraft::error::ErrorKind;
use pggraft::refresh::{self, Action, KeyArg, Mode, RefreshError, RefreshOptions, RefreshReport};
use pggraft::rename::SchemaArg;

use crate::common::*;

/// Customers and their orders (a foreign key with ON DELETE CASCADE), a
/// table without a key, a sequence, a materialized view with a unique
/// index, and an `updated_at` trigger (which a refresh must not fire).
const APP: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.customers (
        id int PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX customers_updated_idx ON app.customers (updated_at);
    CREATE TABLE app.orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        customer_id int NOT NULL REFERENCES app.customers (id) ON DELETE CASCADE,
        amount numeric(10, 2) NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX orders_customer_idx ON app.orders (customer_id);
    CREATE TABLE app.events (at timestamptz NOT NULL, what text);
    CREATE SEQUENCE app.codes;
    CREATE MATERIALIZED VIEW app.totals AS
        SELECT customer_id, sum(amount) AS total FROM app.orders GROUP BY 1;
    CREATE UNIQUE INDEX totals_customer_idx ON app.totals (customer_id);
    CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql
        AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
    CREATE TRIGGER customers_touch BEFORE INSERT OR UPDATE ON app.customers
        FOR EACH ROW EXECUTE FUNCTION app.touch();
    INSERT INTO app.customers (id, name) SELECT g, 'customer ' || g FROM generate_series(1, 1000) g;
    INSERT INTO app.orders (customer_id, amount)
        SELECT 1 + g % 1000, (g % 97) + 0.5 FROM generate_series(1, 5000) g;
    INSERT INTO app.events SELECT now(), 'event ' || g FROM generate_series(1, 300) g;
    SELECT nextval('app.codes') FROM generate_series(1, 5);
    ANALYZE;
";

/// What changes at the source between the clone and the refresh: 20
/// customers updated, one deleted (with its orders), 10 new ones, 50 orders
/// deleted, 30 new orders, 20 new events, the sequence moved on.
const CHANGES: &str = "
    UPDATE app.customers SET name = name || '!' WHERE id % 50 = 0;
    DELETE FROM app.customers WHERE id = 7;
    INSERT INTO app.customers (id, name) SELECT g, 'new ' || g FROM generate_series(1001, 1010) g;
    DELETE FROM app.orders WHERE id % 100 = 0;
    INSERT INTO app.orders (customer_id, amount) SELECT 1001 + g % 10, g FROM generate_series(1, 30) g;
    INSERT INTO app.events SELECT now(), 'more ' || g FROM generate_series(1, 20) g;
    SELECT nextval('app.codes') FROM generate_series(1, 3);
";

const TABLES: &[&str] = &["customers", "orders", "events"];

async fn clone_copy(src: &TestDb<'_>, dst: &TestDb<'_>, setup: impl FnOnce(&mut CloneOptions)) {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 2;
    opts.index_jobs = 2;
    setup(&mut opts);
    let plan = clone_api::prepare(&opts).await.expect("prepare the clone");
    clone_api::run(&opts, plan, &NoProgress, None).await.expect("clone");
}

fn schemas(args: &[&str]) -> Vec<SchemaArg> {
    args.iter().map(|a| SchemaArg::parse(a).unwrap()).collect()
}

/// Options naming `copies` (no other flag: the record says the rest).
fn options(dst: &TestDb<'_>, copies: &[&str]) -> RefreshOptions {
    let mut o = RefreshOptions::new(spec(dst));
    o.naming.schemas = schemas(copies);
    o.jobs = 2;
    o.lock_timeout = std::time::Duration::from_secs(2);
    o
}

async fn refresh_with(opts: &RefreshOptions) -> pggraft::Result<RefreshReport> {
    let mut reports = refresh::refresh(opts, &NoProgress).await?;
    assert_eq!(reports.len(), 1, "one source");
    Ok(reports.remove(0))
}

/// Asserts every table of [`APP`] has the source's rows in the copy.
fn assert_same_rows(src: &TestDb<'_>, dst: &TestDb<'_>, copy: &str) {
    for t in TABLES {
        assert_eq!(
            table_hash(src, &format!("app.{t}")),
            table_hash(dst, &format!("{copy}.{t}")),
            "rows of app.{t} and {copy}.{t} differ"
        );
    }
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))[0][0].clone()
}

/// The copy's state a refused or failed refresh must leave alone.
fn state(db: &TestDb<'_>, copy: &str) -> Vec<String> {
    let mut out: Vec<String> =
        TABLES.iter().map(|t| table_hash(db, &format!("{copy}.{t}"))).collect();
    out.push(db.dump_schema(&[copy]).unwrap());
    out.push(one(db, "SELECT count(*) FROM pg_class WHERE relname LIKE 'pggraft_stage%'"));
    out
}

fn refresh_error(r: pggraft::Result<RefreshReport>) -> RefreshError {
    match r {
        Err(Error::Refresh(e)) => e,
        Err(e) => panic!("want a refresh refusal, got {e} ({:?})", e.kind()),
        Ok(_) => panic!("want a refresh refusal, got a refresh"),
    }
}

#[tokio::test]
async fn refresh_reload_redoes_a_same_database_clone_from_its_record() {
    let db = db_with("refresh_same", APP);
    clone_copy(&db, &db, |o| o.naming.schemas = schemas(&["app=app_copy"])).await;
    // Something outside the copy bound to it by OID: a view in another schema.
    db.psql("CREATE VIEW public.names AS SELECT name FROM app_copy.customers").unwrap();
    db.psql(CHANGES).unwrap();
    let structure = db.dump_schema(&["app_copy", "public"]).unwrap();

    let report = refresh_with(&options(&db, &["app_copy"])).await.unwrap();
    assert_same_rows(&db, &db, "app_copy");
    // Keys and indexes rebuilt after the rows went in are as they were.
    assert_same_text(&structure, &db.dump_schema(&["app_copy", "public"]).unwrap());
    assert!(report.tables.iter().all(|t| t.action == Action::Reload), "{:?}", report.tables);
    assert_eq!(report.strategy, "insert-select");
    // One transaction for customers and orders (a foreign key), one for events.
    let grouped: Vec<usize> = report.groups.iter().map(|g| g.tables.len()).collect();
    assert_eq!(grouped.iter().sum::<usize>(), 3);
    assert!(grouped.contains(&2), "{grouped:?}");
    assert!(report.groups.iter().all(|g| g.blocks_readers && g.attempts == 1));
    // Sequences (standalone and identity) follow the source; the
    // materialized view was refreshed from the new rows.
    let seq = |schema: &str| one(&db, &format!("SELECT last_value FROM {schema}.codes"));
    assert_eq!(seq("app"), seq("app_copy"));
    let ident = |schema: &str| one(&db, &format!("SELECT last_value FROM {schema}.orders_id_seq"));
    assert_eq!(ident("app"), ident("app_copy"));
    assert_eq!(table_hash(&db, "app.totals"), "0:0", "the source's view was never refreshed");
    assert_eq!(
        one(&db, "SELECT count(*) FROM app_copy.totals"),
        one(&db, "SELECT count(DISTINCT customer_id) FROM app.orders")
    );
    assert_eq!(report.matviews.len(), 1);
    // The view outside the copy still works and sees the new rows.
    assert_eq!(one(&db, "SELECT count(*) FROM public.names WHERE name LIKE 'new %'"), "10");
    // The copy's trigger is back as it was, and fired on none of the rows.
    assert_eq!(
        one(
            &db,
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'customers_touch' \
                  AND tgrelid = 'app_copy.customers'::regclass"
        ),
        "O"
    );
    // Recorded: refreshed, and the snapshot moved on.
    assert!(report.recorded);
    let rec = db
        .query("SELECT made_by, refreshed_at IS NOT NULL, snapshot_at > created_at FROM pggraft.copies WHERE target_schema = 'app_copy'")
        .unwrap();
    assert_eq!(rec, [["clone", "t", "t"]]);
}

#[tokio::test]
async fn refresh_incremental_copies_only_what_differs_into_another_database() {
    let src = db_with("refresh_inc_src", APP);
    let dst = db_with("refresh_inc_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    src.psql(CHANGES).unwrap();

    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    let report = refresh_with(&opts).await.unwrap();
    assert_same_rows(&src, &dst, "app");
    assert_eq!(report.strategy, "copy");

    let customers = report.table("customers").unwrap();
    assert_eq!(customers.action, Action::Incremental, "{customers:?}");
    // 20 changed and 10 new rows upserted, the deleted customer deleted.
    assert_eq!((customers.upserted, customers.deleted), (30, 1), "{customers:?}");
    assert_eq!(customers.rows_copied, 30);
    let orders = report.table("orders").unwrap();
    // 50 deleted, 5 cascaded with customer 7, 30 new.
    assert_eq!((orders.upserted, orders.deleted), (30, 55), "{orders:?}");
    // No key: reloaded, and the report says why.
    let events = report.table("events").unwrap();
    assert_eq!(events.action, Action::Reload);
    assert!(events.reason.as_deref().unwrap_or_default().contains("primary key"), "{events:?}");
    // Merges block writers, not readers.
    let merged = report.groups.iter().find(|g| g.tables.len() == 2).unwrap();
    assert!(!merged.blocks_readers);

    // Again, with nothing changed: nothing is written.
    let again = refresh_with(&opts).await.unwrap();
    assert_eq!(again.table("customers").unwrap().action, Action::Unchanged);
    assert_eq!(again.table("orders").unwrap().action, Action::Unchanged);
    assert_same_rows(&src, &dst, "app");
}

#[tokio::test]
async fn refresh_no_delete_keeps_rows_gone_from_the_source() {
    let src = db_with("refresh_keep_src", APP);
    let dst = db_with("refresh_keep_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    src.psql(
        "DELETE FROM app.orders WHERE id <= 10; UPDATE app.orders SET amount = 1 WHERE id = 11;",
    )
    .unwrap();
    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    opts.delete = false;
    let report = refresh_with(&opts).await.unwrap();
    let orders = report.table("orders").unwrap();
    assert_eq!((orders.upserted, orders.deleted, orders.kept), (1, 0, Some(10)), "{orders:?}");
    assert_eq!(one(&dst, "SELECT count(*) FROM app.orders WHERE id <= 10"), "10");
    assert_eq!(one(&dst, "SELECT amount FROM app.orders WHERE id = 11"), "1.00");
}

/// Many rows, so that a reload takes long enough for readers to meet it.
const BIG: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.parents (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE app.children (
        id int PRIMARY KEY, parent_id int NOT NULL REFERENCES app.parents (id), filler text
    );
    INSERT INTO app.parents SELECT g, 'p' || g FROM generate_series(1, 20000) g;
    INSERT INTO app.children SELECT g, 1 + g % 20000, repeat('x', 100) FROM generate_series(1, 200000) g;
    ANALYZE;
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_reload_readers_never_see_fewer_rows_or_broken_keys() {
    let src = db_with("refresh_read_src", BIG);
    let dst = db_with("refresh_read_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    // The source only grows, and re-points children at new parents.
    src.psql(
        "INSERT INTO app.parents SELECT g, 'p' || g FROM generate_series(20001, 21000) g;
         INSERT INTO app.children SELECT g, 20001 + g % 1000, 'new' FROM generate_series(200001, 210000) g;
         UPDATE app.children SET parent_id = 20500 WHERE id <= 1000;
         DELETE FROM app.parents p WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM app.children WHERE parent_id = 1);",
    )
    .unwrap();
    let before: u64 = one(&dst, "SELECT count(*) FROM app.children").parse().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let url = dst.url();
        tokio::spawn(async move {
            let spec = pggraft::conn::ConnSpec::parse(&url).unwrap();
            let c = spec.connect().await.unwrap();
            let (mut reads, mut min, mut orphans) = (0u64, u64::MAX, 0i64);
            while !stop.load(Ordering::Relaxed) {
                // One statement: a snapshot of both tables at once.
                let row = c
                    .query_one(
                        "SELECT (SELECT count(*) FROM app.children), \
                         (SELECT count(*) FROM app.children c LEFT JOIN app.parents p \
                          ON p.id = c.parent_id WHERE p.id IS NULL)",
                        &[],
                    )
                    .await
                    .expect("a reader's query never fails");
                reads += 1;
                min = min.min(row.get::<_, i64>(0) as u64);
                orphans = orphans.max(row.get(1));
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            (reads, min, orphans)
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let report = refresh_with(&options(&dst, &["app"])).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    let (reads, min, orphans) = reader.await.unwrap();
    assert!(reads >= 3, "the reader ran ({reads} reads)");
    assert!(min >= before, "a reader saw {min} rows, fewer than the {before} before");
    assert_eq!(orphans, 0, "a reader saw children without their parent");
    assert_eq!(table_hash(&src, "app.children"), table_hash(&dst, "app.children"));
    assert_eq!(table_hash(&src, "app.parents"), table_hash(&dst, "app.parents"));
    assert_eq!(report.groups.len(), 1, "parents and children in one transaction");
    assert!(report.readers_blocked_seconds() > 0.0);
}

#[tokio::test]
async fn refresh_watermark_copies_rows_past_the_mark() {
    let src = db_with("refresh_wm_src", APP);
    let dst = db_with("refresh_wm_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    src.psql(CHANGES).unwrap();

    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    opts.watermark = Some("updated_at".into());
    let report = refresh_with(&opts).await.unwrap();
    let customers = report.table("customers").unwrap();
    assert_eq!(customers.action, Action::Watermark, "{customers:?}");
    // Only the rows past the mark (taken from the copy: no refresh recorded
    // one): 20 updated, 10 new. The deleted one is kept: not looked for.
    assert_eq!((customers.rows_copied, customers.upserted, customers.deleted), (30, 30, 0));
    assert!(customers.kept.is_none());
    assert!(
        customers.watermark_from.is_some() && customers.watermark_to > customers.watermark_from
    );
    assert_eq!(one(&dst, "SELECT count(*) FROM app.customers WHERE id = 7"), "1");
    // Without a watermark column, events is reloaded (no key).
    assert_eq!(report.table("events").unwrap().action, Action::Reload);
    // The mark is recorded with the data's snapshot.
    let marks = one(
        &dst,
        "SELECT watermarks->'customers'->>'value' FROM pggraft.copies WHERE target_schema = 'app'",
    );
    assert_eq!(Some(marks), customers.watermark_to);

    // Next: deletes found by comparing keys; only new changes copied.
    src.psql("UPDATE app.customers SET name = 'again' WHERE id = 1; DELETE FROM app.customers WHERE id = 2;")
        .unwrap();
    opts.delete_missing = true;
    let report = refresh_with(&opts).await.unwrap();
    let customers = report.table("customers").unwrap();
    // Customer 1 changed; customers 2 and 7 deleted (with their orders).
    assert_eq!((customers.upserted, customers.deleted), (1, 2), "{customers:?}");
    assert_same_rows(&src, &dst, "app");
}

#[tokio::test]
async fn refresh_of_a_lower_case_template_copy_follows_its_names() {
    let src = db_with(
        "refresh_tpl_src",
        r#"CREATE SCHEMA "Sales";
           CREATE TABLE "Sales"."Orders" ("Id" int PRIMARY KEY, "Amount" numeric NOT NULL, "Note" text);
           CREATE TABLE "Sales"."Lines" ("OrderId" int NOT NULL REFERENCES "Sales"."Orders" ("Id"), "N" int NOT NULL, PRIMARY KEY ("OrderId", "N"));
           INSERT INTO "Sales"."Orders" SELECT g, g, 'n' || g FROM generate_series(1, 3000) g;
           INSERT INTO "Sales"."Lines" SELECT 1 + g % 3000, g FROM generate_series(1, 9000) g;
           ANALYZE;"#,
    );
    let dst = db_with("refresh_tpl_dst", "");
    clone_copy(&src, &dst, |o| {
        o.naming.schemas = schemas(&["Sales"]);
        o.naming.template = Some("dw__{database}__{schema}".into());
        o.naming.lower_case = true;
    })
    .await;
    let copy = format!("dw__{}__sales", src.name());
    src.psql(
        r#"UPDATE "Sales"."Orders" SET "Note" = NULL WHERE "Id" % 300 = 0;
           DELETE FROM "Sales"."Lines" WHERE "N" % 1000 = 0;
           INSERT INTO "Sales"."Orders" VALUES (5000, 1, 'late');
           INSERT INTO "Sales"."Lines" VALUES (5000, 1), (5000, 2);"#,
    )
    .unwrap();
    // No flags but the copy's name: the record says the source, the
    // schema and the case.
    let mut opts = options(&dst, &[copy.as_str()]);
    opts.mode = Mode::Incremental;
    let report = refresh_with(&opts).await.unwrap();
    assert_eq!(report.schemas.get("Sales"), Some(&copy));
    for (s, d) in [("Orders", "orders"), ("Lines", "lines")] {
        assert_eq!(
            table_hash(&src, &format!("\"Sales\".\"{s}\"")),
            table_hash(&dst, &format!("{copy}.{d}")),
            "{s}"
        );
    }
    let lines = report.table("Lines").unwrap();
    assert_eq!((lines.upserted, lines.deleted), (2, 9), "{lines:?}");

    // The same copy described by flags instead (as for a copy made by
    // another tool) refreshes the same way.
    dst.psql("DELETE FROM pggraft.copies").unwrap();
    src.psql(r#"UPDATE "Sales"."Orders" SET "Amount" = 0 WHERE "Id" = 1"#).unwrap();
    let mut opts = options(&dst, &["Sales"]);
    opts.source = Some(spec(&src));
    opts.naming.template = Some("dw__{database}__{schema}".into());
    opts.naming.lower_case = true;
    opts.mode = Mode::Incremental;
    let report = refresh_with(&opts).await.unwrap();
    assert_eq!(report.table("Orders").unwrap().upserted, 1);
    assert!(report.recorded, "a copy refreshed by flags is recorded for next time");
    assert_eq!(one(&dst, "SELECT made_by FROM pggraft.copies"), "refresh");
}

#[tokio::test]
async fn refresh_with_a_key_for_a_table_without_primary_key() {
    let src = db_with(
        "refresh_key_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.events (code text NOT NULL, day date NOT NULL, n int, note text);
         CREATE UNIQUE INDEX events_code_day ON app.events (code, day);
         INSERT INTO app.events SELECT 'c' || (g % 100), date '2026-01-01' + g / 100, g, NULL FROM generate_series(0, 4999) g;",
    );
    let dst = db_with("refresh_key_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    src.psql(
        "UPDATE app.events SET note = 'x' WHERE n % 500 = 0; DELETE FROM app.events WHERE n = 1;",
    )
    .unwrap();
    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    let report = refresh_with(&opts).await.unwrap();
    assert_eq!(report.table("events").unwrap().action, Action::Reload, "no key given");
    src.psql("UPDATE app.events SET note = 'y' WHERE n = 2;").unwrap();
    opts.keys = vec![KeyArg::parse("app.events=code,day").unwrap()];
    let report = refresh_with(&opts).await.unwrap();
    let events = report.table("events").unwrap();
    assert_eq!((events.action, events.upserted, events.deleted), (Action::Incremental, 1, 0));
    assert_eq!(table_hash(&src, "app.events"), table_hash(&dst, "app.events"));

    // Keys that cannot be keys are refused, naming the column.
    for (key, what) in [("app.events=nope", "no column"), ("app.events=code,n", "nullable")] {
        opts.keys = vec![KeyArg::parse(key).unwrap()];
        let e = refresh_error(refresh_with(&opts).await);
        let RefreshError::BadKey { reason, .. } = &e else { panic!("{e}") };
        assert!(reason.contains(what), "{key}: {e}");
    }
}

#[tokio::test]
async fn refresh_interrupted_mid_group_leaves_every_table_as_it_was_then_runs_again() {
    let src = db_with("refresh_fail_src", APP);
    let dst = db_with("refresh_fail_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    src.psql(CHANGES).unwrap();
    let before = state(&dst, "app");
    for mode in [Mode::Reload, Mode::Incremental] {
        let mut opts = options(&dst, &["app"]);
        opts.mode = mode;
        opts.jobs = 1;
        // customers and orders are one group: orders fails after customers
        // was truncated (reload) or merged (incremental) in it.
        opts.fail_on_table = Some("orders".into());
        let err = refresh_with(&opts).await.unwrap_err();
        assert!(err.to_string().contains("injected failure"), "{err}");
        let after = state(&dst, "app");
        // events (its own group) may be refreshed already; the group that
        // failed is exactly as it was.
        assert_eq!(after[0..2], before[0..2], "{mode:?}: customers and orders changed");
        assert_eq!(after[3..], before[3..], "{mode:?}: structure changed or stage tables left");
    }
    let report = refresh_with(&options(&dst, &["app"])).await.unwrap();
    assert_same_rows(&src, &dst, "app");
    assert!(report.recorded);
}

#[tokio::test]
async fn refresh_refuses_what_is_not_a_copy_and_structure_that_changed() {
    let src = db_with("refresh_bad_src", APP);
    let dst = db_with("refresh_bad_dst", "CREATE SCHEMA other; CREATE TABLE other.t (x int);");
    // No record at all, and a schema that is not a copy.
    let e = refresh_error(refresh_with(&options(&dst, &[])).await);
    assert!(matches!(e, RefreshError::NoCopies { .. }), "{e}");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    let e = refresh_error(refresh_with(&options(&dst, &["other"])).await);
    assert!(matches!(&e, RefreshError::NotACopy { schema, .. } if schema == "other"), "{e}");
    assert_eq!(e.kind(), ErrorKind::Input);
    let e = refresh_error(refresh_with(&options(&dst, &["elsewhere=app"])).await);
    assert!(matches!(e, RefreshError::RecordConflict { .. }), "{e}");

    let before = state(&dst, "app");
    let check = |what: &str| assert_eq!(state(&dst, "app"), before, "{what}: the copy changed");
    // A column added at the source.
    src.psql("ALTER TABLE app.orders ADD COLUMN note text").unwrap();
    let e = refresh_error(refresh_with(&options(&dst, &["app"])).await);
    let RefreshError::StructureChanged { source_table, detail, .. } = &e else { panic!("{e}") };
    assert_eq!(source_table.name, "orders");
    assert!(detail.contains("note"), "{e}");
    check("new column");
    src.psql("ALTER TABLE app.orders DROP COLUMN note").unwrap();
    // A source table gone.
    src.psql("DROP TABLE app.events").unwrap();
    let e = refresh_error(refresh_with(&options(&dst, &["app"])).await);
    assert!(
        matches!(&e, RefreshError::SourceTableMissing { copy, .. } if copy.name == "events"),
        "{e}"
    );
    check("table gone");
    // ... which -T leaves out.
    let mut opts = options(&dst, &["app"]);
    opts.tables.exclude = vec![pggraft::select::TablePattern::parse("app.events")];
    refresh_with(&opts).await.unwrap();
}

#[tokio::test]
async fn refresh_names_foreign_keys_into_the_copy_from_outside() {
    let db = db_with("refresh_dep", APP);
    clone_copy(&db, &db, |o| o.naming.schemas = schemas(&["app=app_copy"])).await;
    db.psql(
        "CREATE TABLE public.notes (customer_id int REFERENCES app_copy.customers (id) ON DELETE CASCADE, note text);
         INSERT INTO public.notes VALUES (7, 'keep me');",
    )
    .unwrap();
    db.psql(CHANGES).unwrap();
    let before = state(&db, "app_copy");
    // A reload would truncate customers under the outside key.
    let e = refresh_error(refresh_with(&options(&db, &["app_copy"])).await);
    let RefreshError::Dependents { objects, .. } = &e else { panic!("{e}") };
    assert!(objects.iter().any(|o| o.contains("notes")), "{e}");
    // Incremental deletes would cascade into it.
    let mut opts = options(&db, &["app_copy"]);
    opts.mode = Mode::Incremental;
    let e = refresh_error(refresh_with(&opts).await);
    assert!(matches!(e, RefreshError::Dependents { .. }), "{e}");
    assert_eq!(state(&db, "app_copy"), before);
    // Keeping deleted rows, nothing outside changes: allowed.
    opts.delete = false;
    refresh_with(&opts).await.unwrap();
    assert_eq!(one(&db, "SELECT count(*) FROM public.notes"), "1");
}

#[tokio::test]
async fn refresh_watermark_column_must_be_orderable_and_should_be_indexed() {
    let src = db_with(
        "refresh_wmbad_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.a (id int PRIMARY KEY, changed bigint NOT NULL DEFAULT 0, doc json);
         CREATE TABLE app.b (id int PRIMARY KEY, changed json);
         INSERT INTO app.a SELECT g FROM generate_series(1, 10) g;",
    );
    let dst = db_with("refresh_wmbad_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    opts.watermark = Some("changed".into());
    let e = refresh_error(refresh_with(&opts).await);
    let RefreshError::BadWatermark { table, .. } = &e else { panic!("{e}") };
    assert_eq!(table.as_ref().map(|t| t.name.as_str()), Some("b"), "{e}");
    opts.watermark = Some("nope".into());
    assert!(matches!(refresh_error(refresh_with(&opts).await), RefreshError::BadWatermark { .. }));
    // An orderable column without an index works, with a warning.
    opts.watermark = Some("changed".into());
    opts.tables.exclude = vec![pggraft::select::TablePattern::parse("app.b")];
    let report = refresh_with(&opts).await.unwrap();
    assert!(
        report.warnings.iter().any(|w| w.contains("app.a") && w.contains("index")),
        "{:?}",
        report.warnings
    );
    assert_eq!(report.table("a").unwrap().action, Action::Unchanged);
}

#[tokio::test]
async fn clone_records_its_copy_and_a_failed_clone_records_nothing() {
    let src = db_with("refresh_rec_src", APP);
    let dst = db_with("refresh_rec_dst", "");
    let err = {
        let mut opts = CloneOptions::new(spec(&src), spec(&dst));
        opts.naming.schemas = schemas(&["app=copy_a"]);
        opts.fail_on_table = Some("orders".into());
        let plan = clone_api::prepare(&opts).await.unwrap();
        clone_api::run(&opts, plan, &NoProgress, None).await.unwrap_err()
    };
    assert!(err.to_string().contains("injected"), "{err}");
    assert_eq!(one(&dst, "SELECT to_regclass('pggraft.copies') IS NULL"), "t");
    clone_copy(&src, &dst, |o| {
        o.naming.schemas = schemas(&["app=copy_a"]);
        o.exclude_table_data = vec![pggraft::select::TablePattern::parse("app.events")];
    })
    .await;
    let rows = dst
        .query("SELECT source_schema, source_database, made_by, options->'exclude_table_data'->0->'name'->>'text' FROM pggraft.copies")
        .unwrap();
    assert_eq!(rows, [["app", src.name(), "clone", "events"]]);
    // The record keeps the data filters: events stays empty on refresh.
    src.psql(CHANGES).unwrap();
    let report = refresh_with(&options(&dst, &["copy_a"])).await.unwrap();
    assert!(report.table("events").is_none());
    assert_eq!(one(&dst, "SELECT count(*) FROM copy_a.events"), "0");
    // pggraft's own schema is never taken for a user schema.
    let all = pggraft::catalog::read_catalog(&spec(&dst), &pggraft::select::SchemaFilter::all())
        .await
        .unwrap();
    assert!(all.schemas.iter().all(|s| s.name != "pggraft"));
}

#[tokio::test]
async fn refresh_counts_are_tracked_across_concurrent_groups() {
    // Many small independent tables, several groups at once: every group
    // commits its own table and the report adds up.
    let mut sql = String::from("CREATE SCHEMA app;");
    for i in 0..8 {
        sql.push_str(&format!(
            "CREATE TABLE app.t{i} (id int PRIMARY KEY, v int); INSERT INTO app.t{i} SELECT g, g FROM generate_series(1, 500) g;"
        ));
    }
    let src = db_with("refresh_many_src", &sql);
    let dst = db_with("refresh_many_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    src.psql("UPDATE app.t3 SET v = 0 WHERE id < 5; INSERT INTO app.t5 VALUES (501, 1);").unwrap();
    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    opts.jobs = 4;
    let report = refresh_with(&opts).await.unwrap();
    assert_eq!(report.tables.iter().map(|t| t.upserted).sum::<u64>(), 5);
    assert_eq!(report.groups.len(), 2, "only the tables that differ are written");
    for i in 0..8 {
        assert_eq!(table_hash(&src, &format!("app.t{i}")), table_hash(&dst, &format!("app.t{i}")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_waits_for_a_long_reader_within_lock_timeout_and_retries() {
    let src = db_with("refresh_lock_src", APP);
    let dst = db_with("refresh_lock_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    src.psql(CHANGES).unwrap();
    // A reader in a long transaction holds events.
    let reader = spec(&dst).connect().await.unwrap();
    reader.batch_execute("BEGIN; SELECT count(*) FROM app.events").await.unwrap();
    let before = table_hash(&dst, "app.events");

    // Never released in time: refused after every attempt, events as it was.
    let mut opts = options(&dst, &["app"]);
    opts.lock_timeout = std::time::Duration::from_millis(200);
    opts.lock_retries = 1;
    let err = refresh_with(&opts).await.unwrap_err();
    let Error::LocksNotGranted { tables, attempts, .. } = &err else { panic!("{err}") };
    assert_eq!(*attempts, 2, "{err}");
    assert!(tables.iter().any(|t| t.contains("events")), "{err}");
    assert!(err.is_retryable());
    assert_eq!(table_hash(&dst, "app.events"), before);

    // Released while the refresh pauses between attempts: it goes through,
    // and the report says it had to wait.
    let watcher = spec(&dst).connect().await.unwrap();
    let release = tokio::spawn(async move {
        // Once the refresh waits for the lock, let its first attempt time
        // out, then go away.
        loop {
            let waiting: i64 = watcher
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                     AND application_name LIKE 'pggraft-refresh%'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if waiting > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        reader.batch_execute("COMMIT").await.unwrap();
    });
    opts.lock_retries = 8;
    let report = refresh_with(&opts).await.unwrap();
    release.await.unwrap();
    let events =
        report.groups.iter().find(|g| g.tables.iter().any(|t| t.name == "events")).unwrap();
    assert!(events.attempts > 1, "{events:?}");
    assert!(events.lock_wait_seconds >= 0.2, "{events:?}");
    assert_same_rows(&src, &dst, "app");
}

/// Changes to the sample schema (`round` makes each set new): rows of partitions (nested ones too), of an
/// inheritance tree, of a table with generated and identity columns and a
/// deferrable foreign key, and of the awkwardly named schema.
fn sample_changes(round: i32) -> String {
    format!(
        r#"
    UPDATE shop.customers SET name = name || '!' WHERE id % 40 = {round};
    DELETE FROM shop.customers WHERE id = {deleted};
    INSERT INTO shop.customers (email, name) VALUES ('new{round}@example.com', 'New');
    UPDATE shop.orders SET status = 'done' WHERE id % 50 = {round};
    INSERT INTO shop.orders (customer_id, placed_on, amount) VALUES (1000, '2024-03-01', 5), (1000, '2026-01-01', 7);
    INSERT INTO shop.special_item VALUES ({item}, 'five', 'y');
    UPDATE shop.base_item SET label = 'uno{round}' WHERE id = 1;
    UPDATE "Odd Schema"."Mixed Case ""Table""" SET "user" = 'zz{round}' WHERE "ID" < 5;
    INSERT INTO shop.cache VALUES ('new{round}', '{{"n": 1}}');
    SELECT nextval('shop.codes');
"#,
        deleted = 1002 + 2 * round,
        item = 5 + round
    )
}

#[tokio::test]
async fn refresh_of_the_sample_schema_follows_partitions_inheritance_and_odd_names() {
    let src = everything_with_data("refresh_sample_src");
    let dst = db_with("refresh_sample_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(EVERYTHING_SCHEMAS)).await;
    let all_same = |what: &str| {
        for (s, t) in tables_of(&src, EVERYTHING_SCHEMAS) {
            let q = quote_qualified(&s, &t);
            assert_eq!(table_hash(&src, &q), table_hash(&dst, &q), "{what}: {q} differs");
        }
        assert_eq!(
            one(&src, "SELECT last_value FROM shop.codes"),
            one(&dst, "SELECT last_value FROM shop.codes"),
            "{what}"
        );
        assert_eq!(
            table_hash(&dst, "shop.daily"),
            one(
                &src,
                "SELECT count(*) || ':' || COALESCE(sum(hashtextextended(t::text, 0)), 0) FROM \
                 (SELECT placed_on, sum(amount) AS amount FROM shop.orders GROUP BY 1) t"
            ),
            "{what}: the copy's materialized view was not refreshed"
        );
    };
    let structure = dst.dump_schema(&[]).unwrap();
    for (round, mode) in [Mode::Incremental, Mode::Reload].into_iter().enumerate() {
        src.psql(&sample_changes(round as i32)).unwrap();
        let mut opts = options(&dst, &[]);
        opts.mode = mode;
        let report = refresh_with(&opts).await.unwrap();
        all_same(&format!("{mode:?}"));
        assert_same_text(&structure, &dst.dump_schema(&[]).unwrap());
        // The inheritance tree is one group; ONLY kept the parent's
        // truncate from taking the child's rows twice.
        assert!(report.groups.iter().any(|g| g.tables.iter().any(|t| t.name == "base_item")
            && g.tables.iter().any(|t| t.name == "special_item")));
        if mode == Mode::Incremental {
            let leaf = report.table("orders_2024_new").unwrap();
            assert_eq!(leaf.action, Action::Incremental, "{leaf:?}");
            assert_eq!(report.table("rooms").unwrap().action, Action::Reload, "no key");
        }
    }
}

#[tokio::test]
async fn refresh_incremental_hashes_ranges_for_few_writes_and_streams_for_many() {
    let src = db_with(
        "refresh_hint_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.big (id int PRIMARY KEY, v text NOT NULL);
         INSERT INTO app.big SELECT g, 'v' || g FROM generate_series(1, 50000) g;
         ANALYZE;",
    );
    let dst = db_with("refresh_hint_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    dst.psql("ANALYZE").unwrap();
    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    // Row hashes by key range, not the transaction horizon.
    opts.full_compare = true;
    // A few rows at the end of the key range: only their range is read.
    src.psql("UPDATE app.big SET v = 'x' WHERE id > 49990").unwrap();
    let report = refresh_with(&opts).await.unwrap();
    let big = report.table("big").unwrap();
    assert_eq!(big.upserted, 10, "{big:?}");
    assert_eq!(big.ranges, 16, "{big:?}");
    assert_eq!(big.ranges_differing, 1, "{big:?}");
    // Changes all over the table (the statistics say many rows were
    // written): streamed at once.
    src.psql("UPDATE app.big SET v = 'y' WHERE id % 50 = 0").unwrap();
    let report = refresh_with(&opts).await.unwrap();
    let big = report.table("big").unwrap();
    assert_eq!((big.upserted, big.ranges), (1000, 1), "{big:?}");
    assert_eq!(table_hash(&src, "app.big"), table_hash(&dst, "app.big"));
}

/// `--mode incremental` on a recorded copy of the same cluster: the rows
/// written since the copy's snapshot are found by their transaction IDs,
/// deleted keys by counting key buckets on both sides, and no row is hashed.
/// Keys someone deleted from the copy, or added to it, are put right too.
#[tokio::test]
async fn refresh_incremental_by_transaction_horizon_copies_what_was_written_since() {
    let src = db_with("refresh_xmin_src", APP);
    let dst = db_with("refresh_xmin_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    let identity =
        one(&dst, "SELECT source_identity FROM pggraft.copies WHERE target_schema = 'app'");
    assert!(identity.starts_with("system "), "{identity}");
    // Another session's transaction, open from before the changes until
    // after the first refresh: that refresh's snapshot sees the changes but
    // its xmin is older, so the next refresh's horizon holds them again;
    // they drop out there because the copy's rows hash the same.
    let other = spec(&src).connect().await.unwrap();
    other.batch_execute("BEGIN; SELECT pg_catalog.pg_current_xact_id()").await.unwrap();
    src.psql(CHANGES).unwrap();

    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    let report = refresh_with(&opts).await.unwrap();
    other.batch_execute("COMMIT").await.unwrap();
    assert_same_rows(&src, &dst, "app");
    let customers = report.table("customers").unwrap();
    assert!(customers.by_horizon, "{customers:?}");
    assert_eq!((customers.upserted, customers.deleted), (30, 1), "{customers:?}");
    let orders = report.table("orders").unwrap();
    assert!(orders.by_horizon, "{orders:?}");
    assert_eq!((orders.upserted, orders.deleted), (30, 55), "{orders:?}");
    // Only the buckets holding deleted keys are read key by key.
    assert!(orders.ranges_differing <= 55 && orders.ranges_differing > 0, "{orders:?}");

    // Nothing written since: nothing to do.
    let again = refresh_with(&opts).await.unwrap();
    assert_eq!(again.table("customers").unwrap().action, Action::Unchanged);
    assert_eq!(again.table("orders").unwrap().action, Action::Unchanged);

    // Rows taken from and added to the copy come back and go.
    dst.psql("DELETE FROM app.orders WHERE id IN (3, 4001); INSERT INTO app.customers (id, name) VALUES (5000, 'stray')")
        .unwrap();
    let fixed = refresh_with(&opts).await.unwrap();
    assert_same_rows(&src, &dst, "app");
    assert_eq!(fixed.table("orders").unwrap().upserted, 2);
    assert_eq!(fixed.table("customers").unwrap().deleted, 1);

    // --full-compare hashes every row instead.
    src.psql("UPDATE app.customers SET name = 'again' WHERE id = 2").unwrap();
    opts.full_compare = true;
    let full = refresh_with(&opts).await.unwrap();
    let customers = full.table("customers").unwrap();
    assert!(!customers.by_horizon && customers.upserted == 1, "{customers:?}");
    assert_same_rows(&src, &dst, "app");
}

/// The transaction horizon is trusted only on the cluster, timeline and
/// database the recorded snapshot was taken on: a record naming another
/// (a restored or upgraded source, say) makes the refresh hash rows, and
/// say why.
#[tokio::test]
async fn refresh_incremental_hashes_rows_when_the_source_is_not_the_recorded_one() {
    let src = db_with("refresh_xmin_other_src", APP);
    let dst = db_with("refresh_xmin_other_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    dst.psql("UPDATE pggraft.copies SET source_identity = 'system 1 timeline 1 database 1'")
        .unwrap();
    src.psql(CHANGES).unwrap();
    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    let report = refresh_with(&opts).await.unwrap();
    assert_same_rows(&src, &dst, "app");
    let customers = report.table("customers").unwrap();
    assert!(!customers.by_horizon, "{customers:?}");
    assert!(
        customers.reason.as_deref().unwrap_or_default().contains("not the cluster"),
        "{customers:?}"
    );
    assert_eq!((customers.upserted, customers.deleted), (30, 1), "{customers:?}");
    // The refresh records the source it saw: the next one may use the horizon.
    src.psql("UPDATE app.customers SET name = 'later' WHERE id = 3").unwrap();
    let next = refresh_with(&opts).await.unwrap();
    let customers = next.table("customers").unwrap();
    assert!(customers.by_horizon && customers.upserted == 1, "{customers:?}");
    assert_same_rows(&src, &dst, "app");
}

/// A record table made by an older pggraft (no `source_identity` column) is read, refreshed
/// by row hashes (it has no identity to trust), and given the column then.
#[tokio::test]
async fn refresh_reads_and_upgrades_a_record_table_of_an_older_pggraft() {
    let src = db_with("refresh_old_record_src", APP);
    let dst = db_with("refresh_old_record_dst", "");
    clone_copy(&src, &dst, |o| o.naming.schemas = schemas(&["app"])).await;
    dst.psql("ALTER TABLE pggraft.copies DROP COLUMN source_identity").unwrap();
    src.psql(CHANGES).unwrap();
    let mut opts = options(&dst, &["app"]);
    opts.mode = Mode::Incremental;
    let report = refresh_with(&opts).await.unwrap();
    assert_same_rows(&src, &dst, "app");
    assert!(!report.table("customers").unwrap().by_horizon);
    let identity =
        one(&dst, "SELECT source_identity FROM pggraft.copies WHERE target_schema = 'app'");
    assert!(identity.starts_with("system "), "{identity}");
}
