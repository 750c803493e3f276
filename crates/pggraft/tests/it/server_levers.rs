//! The server-side levers of a clone (issue #16): `--unlogged` tables, and
//! loading without WAL when the target runs `wal_level = minimal`. Each
//! asserts on the target's catalog and WAL, and verifies the copy.

use pggraft::sql::QualifiedName;
use pggraft::verify::{VerifyOptions, verify};

use crate::common::*;
use crate::fidelity::clone_with;

/// Plain tables with keys and foreign keys, an identity column, and a
/// partitioned table whose foreign key references a plain one (a logged
/// table, as partitioned tables cannot be unlogged, so what it references
/// must stay logged too).
const SHOP: &str = "
CREATE SCHEMA shop;
CREATE TABLE shop.kinds (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE shop.customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE shop.orders (
  id bigint PRIMARY KEY, customer int REFERENCES shop.customers, note varchar(40)
);
CREATE TABLE shop.events (at date NOT NULL, kind int REFERENCES shop.kinds, v int)
  PARTITION BY RANGE (at);
CREATE TABLE shop.events_2024 PARTITION OF shop.events
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO shop.kinds SELECT i, 'kind ' || i FROM generate_series(1, 5) AS i;
INSERT INTO shop.customers (name) SELECT 'c' || i FROM generate_series(1, 300) AS i;
INSERT INTO shop.orders SELECT i, 1 + i % 300, 'order ' || i FROM generate_series(1, 20000) AS i;
INSERT INTO shop.events SELECT date '2024-01-01' + i % 300, 1 + i % 5, i FROM generate_series(1, 1000) AS i;
VACUUM ANALYZE;
";

fn persistence(db: &pg_sandbox::TestDb<'_>, schema: &str) -> Vec<(String, String)> {
    db.query(&format!(
        "SELECT c.relname, c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = '{schema}' AND c.relkind IN ('r', 'p') ORDER BY 1"
    ))
    .unwrap()
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone()))
    .collect()
}

#[tokio::test]
async fn an_unlogged_clone_creates_unlogged_tables_and_verifies() {
    let src = db_with("unlogged_src", SHOP);
    let dst = db_with("unlogged_dst", "");
    let (opts, report) = clone_with(&src, &dst, |o| o.unlogged = true).await.expect("clone");
    assert!(report.unlogged);
    let got = persistence(&dst, "shop");
    let want: Vec<(String, String)> = [
        ("customers", "u"),
        ("events", "p"),
        ("events_2024", "u"),
        ("kinds", "p"),
        ("orders", "u"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want, "partitioned tables, and what they reference, stay logged");

    // The verification after the clone takes the persistence as asked for,
    // and finds the rows identical.
    let after = VerifyOptions::after_clone(&opts, &report);
    let r = verify(&after).await.unwrap();
    assert!(r.is_clean(), "{}", serde_json::to_string_pretty(&r).unwrap());
    for t in ["kinds", "customers", "orders", "events_2024"] {
        let q = format!("shop.{t}");
        assert_eq!(table_hash(&src, &q), table_hash(&dst, &q), "{t}");
    }
    // A plain verify sees the tables' persistence differ from the source's.
    let plain = verify(&VerifyOptions::new(spec(&src), spec(&dst))).await.unwrap();
    assert!(!plain.is_clean());
    // The identity goes on counting where the source's stood.
    dst.psql("INSERT INTO shop.customers (name) VALUES ('new')").unwrap();
    assert_eq!(dst.query("SELECT max(id) FROM shop.customers").unwrap()[0][0], "301");
}

#[tokio::test]
async fn a_clone_into_a_target_at_wal_level_minimal_loads_without_wal() {
    // Its own cluster: wal_level is set at server start.
    let c = pg_sandbox::Cluster::start_with(pg_sandbox::ClusterOptions {
        settings: vec![
            ("wal_level".into(), "minimal".into()),
            ("max_wal_senders".into(), "0".into()),
        ],
        ..Default::default()
    })
    .unwrap();
    let src = c.create_database("minimal_src").unwrap();
    src.psql(SHOP).unwrap();
    // Big enough that its WAL would show, and that a clone would copy it in
    // ranges (each logging its rows) at another wal_level: above 64 MB.
    src.psql(
        "CREATE TABLE shop.big (id int PRIMARY KEY, pad text);
         INSERT INTO shop.big SELECT i, repeat('x', 100) FROM generate_series(1, 500000) AS i;
         VACUUM ANALYZE shop.big;",
    )
    .unwrap();
    let size: i64 =
        src.query("SELECT pg_relation_size('shop.big')").unwrap()[0][0].parse().unwrap();
    assert!(size > 64 << 20, "{size}");
    let dst = c.create_database("minimal_dst").unwrap();
    let lsn = || dst.query("SELECT pg_current_wal_lsn()").unwrap()[0][0].clone();
    let before = lsn();
    let (opts, report) = clone_with(&src, &dst, |_| {}).await.expect("clone");
    let wal: i64 = dst
        .query(&format!("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{before}')"))
        .unwrap()[0][0]
        .parse::<f64>()
        .unwrap() as i64;
    // Every table was loaded whole in its truncating transaction, the big
    // one too.
    let mut all: Vec<QualifiedName> = report.tables.iter().map(|t| t.target.clone()).collect();
    all.sort();
    assert_eq!(report.wal_skipped, all);
    assert!(all.contains(&QualifiedName::new("shop", "big")));
    // The rows (and the index builds) wrote no WAL of their own: what was
    // written is the catalog's, far less than the table.
    assert!(wal < size / 4, "{wal} bytes of WAL for a {size}-byte table");
    let r = verify(&VerifyOptions::after_clone(&opts, &report)).await.unwrap();
    assert!(r.is_clean(), "{}", serde_json::to_string_pretty(&r).unwrap());
    assert_eq!(table_hash(&src, "shop.big"), table_hash(&dst, "shop.big"));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["wal_skipped"].as_array().map(Vec::len), Some(all.len()));
}

#[tokio::test]
async fn a_clone_into_a_target_that_logs_wal_says_none_was_skipped() {
    let src = db_with("walreplica_src", SHOP);
    let dst = db_with("walreplica_dst", "");
    let (_, report) = clone_with(&src, &dst, |_| {}).await.expect("clone");
    assert!(report.wal_skipped.is_empty());
    assert!(serde_json::to_value(&report).unwrap().get("wal_skipped").is_none());
}

/// Both servers on this machine: a table bigger than the split size is cut
/// into ranges only for streams that have cores to run on (a COPY keeps two
/// backends busy). On 2 cores it loads whole, in its truncating transaction,
/// with `COPY … FREEZE`: every page of the copy is all-frozen at once. On
/// more cores it is split as before, and its ranges' rows are not frozen.
#[tokio::test]
async fn a_big_table_between_local_servers_loads_whole_when_the_cores_allow_one_stream() {
    let src = db_with(
        "streams_src",
        "CREATE SCHEMA big;
         CREATE TABLE big.t (id int PRIMARY KEY, pad text NOT NULL);
         INSERT INTO big.t SELECT i, repeat('x', 100) FROM generate_series(1, 560000) AS i;
         VACUUM ANALYZE;",
    );
    let size: i64 = src.query("SELECT pg_relation_size('big.t')").unwrap()[0][0].parse().unwrap();
    assert!(size > 64 << 20, "the table must be larger than the smallest split: {size}");
    let dst = db_with("streams_dst", "");
    let (opts, report) = clone_with(&src, &dst, |o| o.jobs = 2).await.expect("clone");
    let r = verify(&VerifyOptions::after_clone(&opts, &report)).await.unwrap();
    assert!(r.is_clean(), "{}", serde_json::to_string_pretty(&r).unwrap());
    assert_eq!(table_hash(&src, "big.t"), table_hash(&dst, "big.t"));
    dst.psql("CREATE EXTENSION pg_visibility").unwrap();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let row = &dst
        .query(
            "SELECT all_frozen, pg_relation_size('big.t') / current_setting('block_size')::int \
             FROM pg_visibility_map_summary('big.t')",
        )
        .unwrap()[0];
    let (frozen, pages): (i64, i64) = (row[0].parse().unwrap(), row[1].parse().unwrap());
    if cores / 2 <= 1 {
        assert_eq!(frozen, pages, "loaded whole with FREEZE on {cores} cores");
    } else {
        assert!(frozen < pages, "split into ranges on {cores} cores: {frozen} of {pages} frozen");
    }
}
