//! `follow`: a clone kept up to date from its own slot's snapshot, cut over
//! at a known position, exactly once.

use std::time::Duration;

use pg_sandbox::TestDb;
use pggraft::ErrorKind;
use pggraft::clone::CloneOptions;
use pggraft::engine::NoProgress;
use pggraft::follow::{self, FollowOptions, NoFollowProgress};
use pggraft::rename::SchemaArg;
use pggraft::verify::{self, Level, VerifyOptions};

use crate::common::*;

const SHOP: &str = "
CREATE SCHEMA shop;
CREATE TABLE shop.items (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    price numeric(12,2),
    big bigint,
    doc text,
    total numeric GENERATED ALWAYS AS (price * 2) STORED
);
ALTER TABLE shop.items ALTER COLUMN doc SET STORAGE EXTERNAL;
CREATE TABLE shop.log (at int, what text);
ALTER TABLE shop.log REPLICA IDENTITY FULL;
CREATE TABLE shop.kv (k text PRIMARY KEY, v jsonb, tags text[]);
CREATE SEQUENCE shop.counter;
INSERT INTO shop.items (name, price, big, doc)
  SELECT 'item ' || g, g * 1.5, g * 1000003, CASE WHEN g = 1 THEN repeat('x', 100000) END
  FROM generate_series(1, 200) g;
INSERT INTO shop.log VALUES (1, 'same'), (1, 'same'), (2, 'other');
INSERT INTO shop.kv VALUES ('a', '{\"n\": 1}', '{x,y}');
SELECT setval('shop.counter', 10);
";

fn clone_opts(src: &TestDb<'_>, dst: &TestDb<'_>, rename: Option<&str>) -> CloneOptions {
    let mut o = CloneOptions::new(spec(src), spec(dst));
    o.jobs = 2;
    o.index_jobs = 2;
    if let Some(r) = rename {
        o.naming.schemas = vec![SchemaArg::parse(r).unwrap()];
    }
    o
}

async fn assert_rows_clean(src: &TestDb<'_>, dst: &TestDb<'_>, map: &[(&str, &str)]) {
    let mut v = VerifyOptions::new(spec(src), spec(dst));
    v.level = Level::Rows;
    v.schema_map = Some(map.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect());
    let r = verify::verify(&v).await.unwrap();
    let bad: Vec<String> = r
        .differing_tables()
        .map(|t| format!("{} → {}: {}", t.source, t.target, t.status.as_str()))
        .collect();
    assert!(bad.is_empty(), "rows differ: {bad:?}");
}

fn slots(db: &TestDb<'_>, slot: &str) -> usize {
    db.query(&format!("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"))
        .unwrap()[0][0]
        .parse()
        .unwrap()
}

async fn client(db: &TestDb<'_>) -> tokio_postgres::Client {
    spec(db).connect().await.unwrap()
}

fn spawn_follower(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
) -> tokio::task::JoinHandle<pggraft::Result<follow::FollowReport>> {
    let opts = FollowOptions::new(spec(src), spec(dst));
    tokio::spawn(async move { follow::follow(&opts, &NoFollowProgress, None).await })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_during_and_after_the_clone_arrive_exactly_once_and_cut_over_clean() {
    let src = db_with("follow_src", SHOP);
    let dst = db_with("follow_dst", "");
    let started =
        follow::start(&clone_opts(&src, &dst, None), "fl_main", &NoProgress, None).await.unwrap();
    assert_eq!(started.clone.total_rows(), 204);
    assert!(started.binary, "built-in types only: values travel in binary");
    assert_eq!(slots(&src, "fl_main"), 1);
    // Written after the snapshot: in the stream, not in the copy.
    src.psql("INSERT INTO shop.items (name, price, big) VALUES ('late', 1, 9007199254740993)")
        .unwrap();
    let follower = spawn_follower(&src, &dst);

    // Interleaved: A begins first and commits last.
    let a = client(&src).await;
    let b = client(&src).await;
    a.batch_execute("BEGIN; INSERT INTO shop.items (name, big) VALUES ('from a', 1000001)")
        .await
        .unwrap();
    b.batch_execute("BEGIN; INSERT INTO shop.items (name, big) VALUES ('from b', 2000002)")
        .await
        .unwrap();
    a.batch_execute("UPDATE shop.items SET name = 'a saw' WHERE id = 2").await.unwrap();
    b.batch_execute("COMMIT").await.unwrap();
    a.batch_execute("COMMIT").await.unwrap();
    // Empty transactions, and one that only reads.
    src.psql("BEGIN; COMMIT; BEGIN; SELECT count(*) FROM shop.items; COMMIT;").unwrap();
    // Unchanged TOAST: row 1's doc is stored out of line and not touched.
    src.psql("UPDATE shop.items SET price = 99 WHERE id = 1").unwrap();
    // Replica identity full, no key, two identical rows: one changes.
    src.psql("UPDATE shop.log SET what = 'changed' WHERE ctid = (SELECT ctid FROM shop.log WHERE at = 1 LIMIT 1)")
        .unwrap();
    src.psql("DELETE FROM shop.log WHERE at = 2").unwrap();
    // Key change, deletes, non-comparable columns.
    src.psql(
        "UPDATE shop.kv SET k = 'b', v = '{\"n\": 2}' WHERE k = 'a';
         INSERT INTO shop.kv VALUES ('c', NULL, '{}');
         DELETE FROM shop.items WHERE id BETWEEN 10 AND 19;
         SELECT nextval('shop.counter') FROM generate_series(1, 5);",
    )
    .unwrap();
    // The same key updated twice in one batch, and deleted then inserted again.
    src.psql(
        "BEGIN; UPDATE shop.items SET price = 1 WHERE id = 5; UPDATE shop.items SET price = 2 WHERE id = 6;
         UPDATE shop.items SET price = 3 WHERE id = 5; COMMIT;
         UPDATE shop.items SET price = 4 WHERE id = 6;
         BEGIN; DELETE FROM shop.kv WHERE k = 'c'; INSERT INTO shop.kv VALUES ('c', '[1]', '{z}'); COMMIT;",
    )
    .unwrap();
    // A larger transaction.
    src.psql(
        "INSERT INTO shop.items (name, price, big) SELECT 'bulk', g, g FROM generate_series(1, 30000) g",
    )
    .unwrap();

    let done = follow::cutover(&spec(&dst), None, None, Duration::from_secs(120)).await.unwrap();
    assert_eq!(done.state, "done");
    let report = follower.await.unwrap().unwrap();
    assert!(report.applied_rows >= 30000 + 10, "{report:?}");
    assert_rows_clean(&src, &dst, &[("shop", "shop")]).await;
    // The unchanged TOAST value is still there, and the generated column computed.
    let row = dst.query("SELECT length(doc), total FROM shop.items WHERE id = 1").unwrap();
    assert_eq!(row[0], ["100000", "198.00"]);
    let prices = dst.query("SELECT price FROM shop.items WHERE id IN (5, 6) ORDER BY id").unwrap();
    assert_eq!(prices, [["3.00"], ["4.00"]]);
    let big = dst.query("SELECT big FROM shop.items WHERE name = 'late'").unwrap();
    assert_eq!(big[0][0], "9007199254740993");
    // Sequences come from the live source at cutover.
    assert_eq!(dst.query("SELECT last_value FROM shop.counter").unwrap()[0][0], "15");

    // TRUNCATE, after a resume of a finished follow does nothing more.
    let cleaned = follow::cleanup(None, Some(&spec(&dst)), "fl_main").await.unwrap();
    assert_eq!(cleaned.dropped.len(), 2);
    assert_eq!(slots(&src, "fl_main"), 0);
    assert_eq!(dst.query("SELECT count(*) FROM pggraft.follow").unwrap()[0][0], "0");
}

fn confirmed_flush(db: &TestDb<'_>, slot: &str) -> Option<String> {
    db.query(&format!(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '{slot}' \
         AND confirmed_flush_lsn IS NOT NULL"
    ))
    .unwrap()
    .first()
    .map(|r| r[0].clone())
}

fn lsn_gt(db: &TestDb<'_>, a: &str, b: &str) -> bool {
    db.query(&format!("SELECT '{a}'::pg_lsn > '{b}'::pg_lsn")).unwrap()[0][0] == "t"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_spooled_and_acknowledged_while_the_copy_still_runs() {
    let src = db_with("follow_spool_src", SHOP);
    let dst = db_with("follow_spool_dst", "");
    let mut opts = clone_opts(&src, &dst, None);
    // The copy pauses once shop.log is loaded: the swap is 10 s away.
    opts.tamper_after_load = Some(("log".into(), "SELECT pg_sleep(10)".into()));
    let start =
        tokio::spawn(async move { follow::start(&opts, "fl_spool", &NoProgress, None).await });
    let mut consistent = None;
    for _ in 0..100 {
        consistent = confirmed_flush(&src, "fl_spool");
        if consistent.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let consistent = consistent.expect("the slot is created");
    // Written while the copy runs: a large transaction, and small ones.
    src.psql(
        "INSERT INTO shop.items (name, price, big) SELECT 'during', g, g FROM generate_series(1, 30000) g;
         UPDATE shop.items SET price = 7 WHERE id < 20; DELETE FROM shop.items WHERE id BETWEEN 30 AND 39;
         INSERT INTO shop.log VALUES (3, 'during'); UPDATE shop.kv SET v = '[2]';",
    )
    .unwrap();
    let written = src.query("SELECT pg_current_wal_lsn()::text").unwrap()[0][0].clone();
    // The source hears of the changes while the copy is still running.
    let mut advanced = false;
    for _ in 0..60 {
        let now = confirmed_flush(&src, "fl_spool").unwrap();
        if lsn_gt(&src, &now, &consistent) && !lsn_gt(&src, &written, &now) {
            advanced = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!start.is_finished(), "the copy is still running");
    assert!(advanced, "confirmed_flush_lsn moved past the changes during the copy");
    assert_eq!(
        dst.query("SELECT count(*) FROM pg_namespace WHERE nspname = 'shop'").unwrap()[0][0],
        "0",
        "nothing swapped in yet"
    );
    let spooled: i64 = dst
        .query("SELECT count(*) FROM pggraft.follow_spool WHERE slot = 'fl_spool'")
        .unwrap()[0][0]
        .parse()
        .unwrap();
    assert!(spooled > 30000, "the changes are in the target's spool: {spooled}");

    let started = start.await.unwrap().unwrap();
    assert!(started.spooled_transactions >= 2, "{started:?}");
    let follower = spawn_follower(&src, &dst);
    src.psql("UPDATE shop.items SET big = -big WHERE name = 'during' AND big % 2 = 0").unwrap();
    follow::cutover(&spec(&dst), None, None, Duration::from_secs(120)).await.unwrap();
    follower.await.unwrap().unwrap();
    assert_rows_clean(&src, &dst, &[("shop", "shop")]).await;
    assert_eq!(
        dst.query("SELECT count(*) FROM pggraft.follow_spool").unwrap()[0][0],
        "0",
        "the spool is gone once applied"
    );
    follow::cleanup(None, Some(&spec(&dst)), "fl_spool").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partitioned_table_is_followed_via_its_root_rows_moving_between_partitions() {
    let src = db_with(
        "follow_part_src",
        "CREATE SCHEMA p;
         CREATE TABLE p.events (id bigint, region text, note text, PRIMARY KEY (id, region))
           PARTITION BY LIST (region);
         CREATE TABLE p.events_eu PARTITION OF p.events FOR VALUES IN ('eu');
         CREATE TABLE p.events_us PARTITION OF p.events FOR VALUES IN ('us');
         CREATE TABLE p.events_rest PARTITION OF p.events DEFAULT;
         CREATE TABLE p.audit (v int, w text) PARTITION BY RANGE (v);
         CREATE TABLE p.audit_low PARTITION OF p.audit FOR VALUES FROM (MINVALUE) TO (100);
         CREATE TABLE p.audit_high PARTITION OF p.audit FOR VALUES FROM (100) TO (MAXVALUE);
         ALTER TABLE p.audit REPLICA IDENTITY FULL;
         ALTER TABLE p.audit_low REPLICA IDENTITY FULL;
         ALTER TABLE p.audit_high REPLICA IDENTITY FULL;
         INSERT INTO p.events SELECT g, (ARRAY['eu','us','ap'])[1 + g % 3], 'n' || g
           FROM generate_series(1, 3000) g;
         INSERT INTO p.audit SELECT g % 200, 'w' FROM generate_series(1, 400) g;",
    );
    let dst = db_with("follow_part_dst", "");
    let opts = clone_opts(&src, &dst, Some("p=q"));
    follow::start(&opts, "fl_part", &NoProgress, None).await.unwrap();
    let published = src
        .query(
            "SELECT pubviaroot, (SELECT string_agg(tablename, ',' ORDER BY tablename) \
             FROM pg_publication_tables WHERE pubname = 'fl_part') \
             FROM pg_publication WHERE pubname = 'fl_part'",
        )
        .unwrap();
    assert_eq!(published[0], ["t", "audit,events"], "published via the roots");
    let follower = spawn_follower(&src, &dst);
    src.psql(
        "UPDATE p.events SET region = 'us' WHERE region = 'eu' AND id % 2 = 0;
         UPDATE p.events SET region = 'mars', note = 'moved' WHERE id BETWEEN 1 AND 30;
         INSERT INTO p.events VALUES (5000, 'eu', 'new'), (5001, 'zz', 'default');
         DELETE FROM p.events WHERE region = 'ap' AND id > 2900;
         UPDATE p.audit SET v = v + 100 WHERE ctid = (SELECT ctid FROM p.audit_low WHERE v = 5 LIMIT 1);
         UPDATE p.audit SET w = 'x' WHERE v = 150;
         DELETE FROM p.audit WHERE v = 7;",
    )
    .unwrap();
    follow::cutover(&spec(&dst), None, None, Duration::from_secs(120)).await.unwrap();
    follower.await.unwrap().unwrap();
    assert_rows_clean(&src, &dst, &[("p", "q")]).await;
    let moved = dst
        .query("SELECT count(*) FROM q.events_rest WHERE region = 'mars' AND note = 'moved'")
        .unwrap();
    assert_eq!(moved[0][0], "30", "rows moved into the default partition on the target too");
    assert_eq!(
        dst.query("SELECT count(*) FROM q.events_eu WHERE id % 2 = 0 AND id < 5000").unwrap()[0][0],
        "0"
    );
    follow::cleanup(None, Some(&spec(&dst)), "fl_part").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_and_a_renamed_copy_in_the_same_database() {
    let db = db_with("follow_same", SHOP);
    db.psql(
        "CREATE TYPE shop.mood AS ENUM ('ok', 'sad');
         CREATE TABLE shop.moods (id int PRIMARY KEY, m shop.mood, ms shop.mood[]);
         INSERT INTO shop.moods VALUES (1, 'ok', '{ok}');",
    )
    .unwrap();
    let opts = clone_opts(&db, &db, Some("shop=shop_copy"));
    let started = follow::start(&opts, "fl_same", &NoProgress, None).await.unwrap();
    assert!(!started.binary, "an enum's binary form differs between its copies: text");
    let follower = spawn_follower(&db, &db);
    db.psql(
        "TRUNCATE shop.log; INSERT INTO shop.log VALUES (5, 'after truncate');
         UPDATE shop.items SET big = big + 1 WHERE id < 50;
         INSERT INTO shop.moods VALUES (2, 'sad', '{sad,ok}'); UPDATE shop.moods SET m = 'sad' WHERE id = 1;",
    )
    .unwrap();
    follow::cutover(&spec(&db), Some("fl_same"), None, Duration::from_secs(60)).await.unwrap();
    follower.await.unwrap().unwrap();
    assert_rows_clean(&db, &db, &[("shop", "shop_copy")]).await;
    assert_eq!(db.query("SELECT count(*) FROM shop_copy.log").unwrap()[0][0], "1");
    follow::cleanup(None, Some(&spec(&db)), "fl_same").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_stopped_mid_transaction_resumes_exactly_once() {
    let src = db_with("follow_resume_src", SHOP);
    let dst = db_with("follow_resume_dst", "");
    follow::start(&clone_opts(&src, &dst, None), "fl_resume", &NoProgress, None).await.unwrap();
    let follower = spawn_follower(&src, &dst);
    for i in 0..5 {
        src.psql(&format!(
            "INSERT INTO shop.items (name, big) SELECT 'r{i}', g FROM generate_series(1, 20000) g;
             UPDATE shop.items SET price = coalesce(price, 0) + 1 WHERE id % 7 = {i};"
        ))
        .unwrap();
    }
    // Stopped at some point of the stream, with no goodbye.
    tokio::time::sleep(Duration::from_millis(700)).await;
    follower.abort();
    let _ = follower.await;
    src.psql("DELETE FROM shop.items WHERE id % 3 = 0").unwrap();
    let follower = spawn_follower(&src, &dst);
    follow::cutover(&spec(&dst), None, None, Duration::from_secs(120)).await.unwrap();
    follower.await.unwrap().unwrap();
    assert_rows_clean(&src, &dst, &[("shop", "shop")]).await;
    follow::cleanup(None, Some(&spec(&dst)), "fl_resume").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_added_on_the_source_stops_the_follow_naming_it() {
    let src = db_with("follow_ddl_src", SHOP);
    let dst = db_with("follow_ddl_dst", "");
    follow::start(&clone_opts(&src, &dst, None), "fl_ddl", &NoProgress, None).await.unwrap();
    src.psql("INSERT INTO shop.kv VALUES ('before', NULL, NULL)").unwrap();
    src.psql(
        "ALTER TABLE shop.kv ADD COLUMN extra int; INSERT INTO shop.kv VALUES ('x', NULL, NULL, 1)",
    )
    .unwrap();
    let opts = FollowOptions::new(spec(&src), spec(&dst));
    let err = tokio::time::timeout(
        Duration::from_secs(60),
        follow::follow(&opts, &NoFollowProgress, None),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(err.to_string().contains("\"extra\" added"), "{err}");
    // What came before the change is in; nothing of the change.
    assert_eq!(dst.query("SELECT k FROM shop.kv ORDER BY k").unwrap(), [["a"], ["before"]]);
    let st = follow::status(&spec(&dst)).await.unwrap();
    assert_eq!(st[0].state, "stopped");
    follow::cleanup(None, Some(&spec(&dst)), "fl_ddl").await.unwrap();
}

#[tokio::test]
async fn a_table_without_replica_identity_is_refused_before_anything_is_created() {
    let src = db_with(
        "follow_noid_src",
        "CREATE SCHEMA s; CREATE TABLE s.keyed (id int PRIMARY KEY); CREATE TABLE s.bare (v int);",
    );
    let dst = db_with("follow_noid_dst", "");
    let err = follow::start(&clone_opts(&src, &dst, None), "fl_noid", &NoProgress, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    let msg = err.to_string();
    assert!(msg.contains("s.bare") && msg.contains("REPLICA IDENTITY FULL"), "{msg}");
    assert!(!msg.contains("s.keyed"), "{msg}");
    assert_eq!(slots(&src, "fl_noid"), 0);
    assert_eq!(src.query("SELECT count(*) FROM pg_publication").unwrap()[0][0], "0");
    assert_eq!(
        dst.query("SELECT count(*) FROM pg_namespace WHERE nspname = 's'").unwrap()[0][0],
        "0"
    );
}

#[tokio::test]
async fn a_source_without_logical_wal_is_refused() {
    let c = pg_sandbox::Cluster::start_with(pg_sandbox::ClusterOptions {
        settings: vec![("wal_level".into(), "replica".into())],
        ..Default::default()
    })
    .unwrap();
    let src = c.create_database("follow_wal").unwrap();
    src.psql(SHOP).unwrap();
    let dst = c.create_database("follow_wal_dst").unwrap();
    let err = follow::start(&clone_opts(&src, &dst, None), "fl_wal", &NoProgress, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Input);
    assert!(err.to_string().contains("wal_level"), "{err}");
    assert_eq!(src.query("SELECT count(*) FROM pg_publication").unwrap()[0][0], "0");
}

/// One source transaction of a million rows (and a million updates), applied as it
/// streams in one target transaction. Opt in: `cargo test -- --ignored follow::a_million`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a million-row transaction takes a minute in a debug build"]
async fn a_million_row_transaction_is_applied_whole() {
    let src = db_with("follow_1m_src", SHOP);
    let dst = db_with("follow_1m_dst", "");
    follow::start(&clone_opts(&src, &dst, None), "fl_million", &NoProgress, None).await.unwrap();
    let follower = spawn_follower(&src, &dst);
    src.psql(
        "BEGIN;
         INSERT INTO shop.items (name, price, big) SELECT 'm', g, g FROM generate_series(1, 1000000) g;
         UPDATE shop.items SET big = big + 1 WHERE name = 'm';
         COMMIT;",
    )
    .unwrap();
    follow::cutover(&spec(&dst), None, None, Duration::from_secs(600)).await.unwrap();
    let report = follower.await.unwrap().unwrap();
    assert!(report.applied_rows >= 2_000_000, "{report:?}");
    assert_rows_clean(&src, &dst, &[("shop", "shop")]).await;
    follow::cleanup(None, Some(&spec(&dst)), "fl_million").await.unwrap();
}

/// Many small source transactions written before the follower starts arrive
/// together, so they are applied as one group: updates of one key coalesce to
/// the last image, and what must keep its order does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_of_small_transactions_coalesces_and_keeps_order_sensitive_changes_in_order() {
    let src = db_with(
        "follow_group_src",
        &format!(
            "{SHOP}
             CREATE TABLE shop.users (id int PRIMARY KEY, email text UNIQUE, n int);
             INSERT INTO shop.users VALUES (1, 'a', 0), (2, 'b', 0);"
        ),
    );
    let dst = db_with("follow_group_dst", "");
    follow::start(&clone_opts(&src, &dst, None), "fl_group", &NoProgress, None).await.unwrap();
    // One statement per source transaction, all in the stream before the follower reads it.
    let txns = [
        // A row updated several times, then deleted.
        "UPDATE shop.items SET price = 1 WHERE id = 7",
        "UPDATE shop.items SET price = 2, name = 'seven' WHERE id = 7",
        "UPDATE shop.items SET price = 3 WHERE id = 7",
        "DELETE FROM shop.items WHERE id = 7",
        // A row inserted, then updated twice; the unchanged TOAST value of row 1 kept.
        "INSERT INTO shop.kv VALUES ('n', '1', '{}')",
        "UPDATE shop.kv SET v = '2' WHERE k = 'n'",
        "UPDATE shop.kv SET v = '3' WHERE k = 'n'",
        "UPDATE shop.items SET price = 10 WHERE id = 1",
        "UPDATE shop.items SET price = 11 WHERE id = 1",
        // A key changed, then the old key used again, and updated.
        "UPDATE shop.kv SET k = 'z' WHERE k = 'a'",
        "INSERT INTO shop.kv VALUES ('a', '\"again\"', '{q}')",
        "UPDATE shop.kv SET v = '\"again 2\"' WHERE k = 'a'",
        "UPDATE shop.kv SET v = '\"z 2\"' WHERE k = 'z'",
        // Replica identity full, no key, two identical rows: each update changes one.
        "UPDATE shop.log SET what = 'first' WHERE ctid = (SELECT ctid FROM shop.log WHERE what = 'same' LIMIT 1)",
        "UPDATE shop.log SET what = 'second' WHERE ctid = (SELECT ctid FROM shop.log WHERE what = 'same' LIMIT 1)",
        "UPDATE shop.log SET what = 'first again' WHERE what = 'first'",
        "DELETE FROM shop.log WHERE what = 'second'",
        "INSERT INTO shop.log VALUES (1, 'first again')",
        // Unique values swapped between two rows (in one transaction, which is
        // always sent at once): applied in the source's order, with no intermediate
        // image skipped, or one statement would collide with itself.
        "BEGIN; UPDATE shop.users SET email = 'tmp', n = 1 WHERE id = 1;
         UPDATE shop.users SET email = 'a', n = 1 WHERE id = 2;
         UPDATE shop.users SET email = 'b', n = 2 WHERE id = 1; COMMIT;",
    ];
    for t in txns {
        src.psql(t).unwrap();
    }
    let follower = spawn_follower(&src, &dst);
    follow::cutover(&spec(&dst), None, None, Duration::from_secs(120)).await.unwrap();
    let report = follower.await.unwrap().unwrap();
    assert_eq!(report.transactions, txns.len() as u64, "{report:?}");
    assert_rows_clean(&src, &dst, &[("shop", "shop")]).await;
    assert_eq!(dst.query("SELECT count(*) FROM shop.items WHERE id = 7").unwrap()[0][0], "0");
    let kv = dst.query("SELECT k, v::text FROM shop.kv ORDER BY k").unwrap();
    assert_eq!(kv, [["a", "\"again 2\""], ["n", "3"], ["z", "\"z 2\""]]);
    let one = dst.query("SELECT length(doc), price FROM shop.items WHERE id = 1").unwrap();
    assert_eq!(one[0], ["100000", "11.00"]);
    let log = dst.query("SELECT at, what FROM shop.log ORDER BY at, what").unwrap();
    assert_eq!(log, [["1", "first again"], ["1", "first again"], ["2", "other"]]);
    let users = dst.query("SELECT id, email FROM shop.users ORDER BY id").unwrap();
    assert_eq!(users, [["1", "b"], ["2", "a"]]);
    follow::cleanup(None, Some(&spec(&dst)), "fl_group").await.unwrap();
}

/// `map run --follow`: renamed columns, cents → dollars, a filter and a
/// renamed key, followed through the mapping's expressions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_is_followed_through_its_expressions_and_cut_over() {
    let src = db_with(
        "follow_map_src",
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, cents bigint NOT NULL,
                              status text);
         INSERT INTO orders SELECT g, 'c' || g, g * 137, CASE WHEN g % 5 = 0 THEN 'void' END
           FROM generate_series(1, 500) g;",
    );
    let dst = db_with(
        "follow_map_dst",
        "CREATE TABLE purchases (order_id bigint PRIMARY KEY, buyer text NOT NULL,
                                 dollars numeric(12,2) NOT NULL, status text);",
    );
    let mapping = pggraft::map::Mapping::parse(
        "follow.toml",
        r#"
[tables.purchases]
from = "orders"
where = "status IS DISTINCT FROM 'void'"
[tables.purchases.columns]
order_id = "id"
buyer = "upper(customer)"
dollars = "(cents::numeric / 100)::numeric(12,2)"
"#,
    )
    .unwrap();
    let opts = pggraft::map::MapOptions::new(spec(&src), spec(&dst), mapping);
    let started = follow::start_map(&opts, "fl_map", &NoProgress, None).await.unwrap();
    assert_eq!(started.map.rows(), 400);
    let follower = spawn_follower(&src, &dst);
    src.psql(
        "INSERT INTO orders VALUES (1000, 'new', 12345, NULL), (1001, 'gone', 1, 'void');
         UPDATE orders SET cents = cents + 1 WHERE id % 7 = 0;
         UPDATE orders SET status = 'void' WHERE id = 3;
         UPDATE orders SET status = NULL WHERE id = 10;
         UPDATE orders SET id = 2000 WHERE id = 11;
         DELETE FROM orders WHERE id BETWEEN 20 AND 29;
         BEGIN; DELETE FROM orders WHERE id = 30; INSERT INTO orders VALUES (30, 'again', 5, NULL); COMMIT;",
    )
    .unwrap();
    follow::cutover(&spec(&dst), None, None, Duration::from_secs(120)).await.unwrap();
    follower.await.unwrap().unwrap();
    let expected = src
        .query(
            "SELECT id, upper(customer), (cents::numeric / 100)::numeric(12,2), status FROM orders \
             WHERE status IS DISTINCT FROM 'void' ORDER BY id",
        )
        .unwrap();
    let got = dst
        .query("SELECT order_id, buyer, dollars, status FROM purchases ORDER BY order_id")
        .unwrap();
    assert_eq!(got.len(), expected.len());
    assert!(got == expected, "the target's rows are the mapped source rows");
    assert_eq!(
        dst.query("SELECT dollars FROM purchases WHERE order_id = 1000").unwrap()[0][0],
        "123.45"
    );
    let v = pggraft::map::verify::verify(&opts).await.unwrap();
    assert!(v.matches(), "{:?}", v.tables);
    follow::cleanup(None, Some(&spec(&dst)), "fl_map").await.unwrap();
}
