//! `verify`: equal copies verify clean however their values were typed,
//! and every kind of difference is found and named.

use std::collections::BTreeMap;

use pggraft::rename::{Naming, SchemaArg};
use pggraft::select::TablePattern;
use pggraft::verify::{
    DiffKind, Level, RowDiffs, TableResult, TableStatus, VerifyOptions, VerifyReport, verify,
};

use crate::common::*;

/// A small shop in schema `{s}`: keyed and unkeyed tables, a partitioned
/// table with a composite key, inheritance, a table big enough to bisect
/// twice, and a text key.
const SHOP: &str = r#"
CREATE SCHEMA {s};
CREATE TYPE {s}.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE {s}.customers (
  id int PRIMARY KEY,
  name text NOT NULL,
  note text,
  mood {s}.mood DEFAULT 'ok'
);
CREATE TABLE {s}.orders (
  id bigserial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES {s}.customers (id),
  status text NOT NULL DEFAULT 'new',
  amount numeric(12,2),
  placed_at timestamptz NOT NULL
);
CREATE INDEX orders_status_idx ON {s}.orders (status);
GRANT SELECT ON {s}.orders TO verify_reader;
CREATE TABLE {s}.events (
  payload jsonb, tags text[], f float8, r real, n numeric, t text, ts timestamptz,
  iv interval, b bytea, m money
);
CREATE TABLE {s}.measures (id int, day date, v float8, PRIMARY KEY (id, day))
  PARTITION BY RANGE (day);
CREATE TABLE {s}.measures_2024 PARTITION OF {s}.measures
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE {s}.measures_rest PARTITION OF {s}.measures DEFAULT;
CREATE TABLE {s}.base (id int PRIMARY KEY, v text);
CREATE TABLE {s}.derived (extra int) INHERITS ({s}.base);
CREATE TABLE {s}.ledger (id int PRIMARY KEY, v int NOT NULL);
CREATE TABLE {s}.tags (name text PRIMARY KEY, n int);

INSERT INTO {s}.customers
  SELECT i, 'customer ' || i,
         CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN '' ELSE 'n' || i END,
         (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::{s}.mood
  FROM generate_series(1, 300) i;
INSERT INTO {s}.orders (id, customer_id, status, amount, placed_at)
  SELECT i, 1 + i % 300, (ARRAY['new', 'paid', 'done'])[1 + i % 3], i * 1.25,
         timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour'
  FROM generate_series(1, 5000) i;
SELECT setval('{s}.orders_id_seq', 5000);
INSERT INTO {s}.measures SELECT i % 700, date '2024-01-01' + i % 500, i / 7.0
  FROM generate_series(1, 3000) i;
INSERT INTO {s}.base VALUES (1, 'one'), (2, 'two');
INSERT INTO {s}.derived VALUES (3, 'three', 33);
INSERT INTO {s}.ledger SELECT i, i * 7 FROM generate_series(1, 40000) i;
INSERT INTO {s}.tags SELECT CASE i % 4 WHEN 0 THEN upper(md5(i::text)) WHEN 1 THEN 'tag ' || i
                                       WHEN 2 THEN 'Tag-' || i ELSE md5(i::text) END, i
  FROM generate_series(1, 3000) i;
"#;

/// Tricky values, as the source typed them.
const EVENTS_A: &str = r#"
INSERT INTO {s}.events VALUES
 ('{"b": 1, "a": [1, 2]}', '{1,NULL,"a b"}', 'NaN', 'Infinity', 1.0, NULL,
  '2024-03-01 12:00:00+02', '1 day 2 hours', '\x00ff', 12.5),
 ('{"a": null}', '{}', '-Infinity', '-0', 1.00, '', '2024-03-01 10:00:00+00', '-1 mon', '\x', 0),
 ('[]', NULL, 0.1::float8 + 0.2::float8, 0.1, 'NaN',
  (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 2000) i), 'infinity', '0', NULL, NULL),
 (NULL, ARRAY['x', ''], 1e300, 3.4e38, 123456789012345678901234567890.123, E'tab\there',
  '1999-12-31 23:59:59.999999+00', '1 year', '\xdeadbeef', -1),
 ('{"a": 1}', NULL, 1, 1, 1, 'dup', NULL, NULL, NULL, NULL),
 ('{"a": 1}', NULL, 1, 1, 1, 'dup', NULL, NULL, NULL, NULL);
"#;

/// The same values typed differently: other key order, spelling of NaN and
/// infinity, time zone offset, float literal, hex case.
const EVENTS_B: &str = r#"
INSERT INTO {s}.events VALUES
 ('{"a": [1,2], "b": 1}', '{1,NULL,"a b"}', 'nan', 'inf', 1.0, NULL,
  '2024-03-01 10:00:00Z', '1 day 2 hours', '\x00FF', 12.5),
 ('{"a":null}', '{}', '-inf', '-0.0', 1.00, '', '2024-03-01 12:00:00+02', '-1 mon', '\x', 0),
 ('[ ]', NULL, 0.30000000000000004, 0.1, 'nan',
  (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 2000) i), 'Infinity', '0', NULL, NULL),
 (NULL, '{x,""}', 1.0e300, 3.4e+38, 123456789012345678901234567890.123, E'tab\there',
  '2000-01-01 00:59:59.999999+01', '1 year', '\xDEADBEEF', -1),
 ('{"a": 1}', NULL, 1, 1, 1, 'dup', NULL, NULL, NULL, NULL),
 ('{"a": 1}', NULL, 1, 1, 1, 'dup', NULL, NULL, NULL, NULL);
"#;

fn shop(schema: &str, events: &str) -> String {
    format!("{SHOP}{events}").replace("{s}", schema)
}

fn reader_role() {
    cluster().create_role("verify_reader", "verify_reader", false).expect("create role");
}

/// Source schema `shop` and its copy `shop_copy` in one database.
fn same_db_copy(prefix: &str) -> pg_sandbox::TestDb<'static> {
    reader_role();
    db_with(prefix, &format!("{}{}", shop("shop", EVENTS_A), shop("shop_copy", EVENTS_A)))
}

fn opts(src: &pg_sandbox::TestDb<'_>, tgt: &pg_sandbox::TestDb<'_>, level: Level) -> VerifyOptions {
    let mut o = VerifyOptions::new(spec(src), spec(tgt));
    o.level = level;
    o
}

fn renamed(db: &pg_sandbox::TestDb<'_>, level: Level) -> VerifyOptions {
    let mut o = opts(db, db, level);
    o.naming =
        Naming { schemas: vec![SchemaArg::parse("shop=shop_copy").unwrap()], ..Naming::default() };
    o
}

fn table<'a>(r: &'a VerifyReport, name: &str) -> &'a TableResult {
    r.tables
        .iter()
        .find(|t| t.source.name == name)
        .unwrap_or_else(|| panic!("no table {name} in {}", json(r)))
}

fn json(r: &VerifyReport) -> String {
    serde_json::to_string_pretty(r).unwrap()
}

fn keys(v: &[&[&str]]) -> Vec<Vec<String>> {
    v.iter().map(|k| k.iter().map(|s| s.to_string()).collect()).collect()
}

fn assert_clean(r: &VerifyReport) {
    assert!(r.is_clean(), "expected a clean report:\n{}", json(r));
}

#[tokio::test]
async fn identical_copy_in_another_database_is_clean() {
    reader_role();
    let src = db_with("verify_src", &shop("shop", EVENTS_A));
    // The target prints values differently by default; verify sessions
    // must not care.
    let tgt = db_with("verify_tgt", "");
    tgt.psql(&format!(
        "ALTER DATABASE \"{db}\" SET timezone = 'Asia/Kolkata';
         ALTER DATABASE \"{db}\" SET datestyle = 'SQL, DMY';
         ALTER DATABASE \"{db}\" SET intervalstyle = 'sql_standard';
         ALTER DATABASE \"{db}\" SET extra_float_digits = 0;
         ALTER DATABASE \"{db}\" SET bytea_output = 'escape';",
        db = tgt.name()
    ))
    .unwrap();
    tgt.psql(&shop("shop", EVENTS_B)).unwrap();

    let mut o = opts(&src, &tgt, Level::Rows);
    o.jobs = 4;
    // Split every table bigger than two blocks into ctid ranges.
    o.chunk_bytes = 16 * 1024;
    let r = verify(&o).await.unwrap();
    assert_clean(&r);
    let names: Vec<&str> = r.tables.iter().map(|t| t.source.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "base",
            "customers",
            "derived",
            "events",
            "ledger",
            "measures_2024",
            "measures_rest",
            "orders",
            "tags"
        ],
        "partitioned parents hold no rows of their own"
    );
    // Inheritance parents are counted without their children.
    assert_eq!(table(&r, "base").source_rows, Some(2));
    assert_eq!(table(&r, "ledger").target_rows, Some(40000));
    assert!(table(&r, "events").source_checksum.is_some());

    // One session per side, no snapshot export.
    let mut o = opts(&src, &tgt, Level::Checksums);
    o.jobs = 1;
    assert_clean(&verify(&o).await.unwrap());
}

#[tokio::test]
async fn changed_deleted_and_extra_rows_are_located_by_key() {
    let db = same_db_copy("verify_rows");
    let mut o = renamed(&db, Level::Rows);
    o.jobs = 2;
    assert_clean(&verify(&o).await.unwrap());

    db.psql(
        "UPDATE shop_copy.orders SET amount = amount + 1 WHERE id = 1234;
         DELETE FROM shop_copy.orders WHERE id = 4321;
         INSERT INTO shop_copy.orders VALUES (9999, 1, 'new', 1, now());
         UPDATE shop_copy.customers SET note = '' WHERE id = 3;
         DELETE FROM shop_copy.measures WHERE id = 5 AND day = '2024-01-06';
         UPDATE shop_copy.ledger SET v = v + 1 WHERE id IN (31415, 7);
         DELETE FROM shop_copy.ledger WHERE id = 39999;
         UPDATE shop_copy.tags SET n = -1 WHERE name = 'Tag-2';
         UPDATE shop_copy.events SET f = 2 WHERE t = E'tab\\there';",
    )
    .unwrap();

    // Counts see only what changes counts.
    let r = verify(&renamed(&db, Level::Counts)).await.unwrap();
    let differing: Vec<&str> = r.differing_tables().map(|t| t.source.name.as_str()).collect();
    assert_eq!(differing, ["ledger", "measures_2024"], "{}", json(&r));
    assert!(r.schema.is_empty(), "{}", json(&r));

    let r = verify(&o).await.unwrap();
    assert!(!r.is_clean());
    assert!(r.schema.is_empty(), "{}", json(&r));
    let differing: Vec<&str> = r.differing_tables().map(|t| t.source.name.as_str()).collect();
    assert_eq!(differing, ["customers", "events", "ledger", "measures_2024", "orders", "tags"]);
    let expect = |name: &str, missing: &[&[&str]], extra: &[&[&str]], changed: &[&[&str]]| {
        let t = table(&r, name);
        assert_eq!(t.status, TableStatus::Differs);
        match t.rows.as_ref().expect("rows located") {
            RowDiffs::Keyed { missing: m, extra: e, changed: c, truncated, .. } => {
                assert_eq!((m, e, c), (&keys(missing), &keys(extra), &keys(changed)), "{name}");
                assert!(!truncated);
            }
            other => panic!("{name}: {other:?}"),
        }
    };
    expect("orders", &[&["4321"]], &[&["9999"]], &[&["1234"]]);
    // NULL and '' are different values.
    expect("customers", &[], &[], &[&["3"]]);
    expect("measures_2024", &[&["5", "2024-01-06"]], &[], &[]);
    expect("ledger", &[&["39999"]], &[], &[&["7"], &["31415"]]);
    expect("tags", &[], &[], &[&["Tag-2"]]);
    match &table(&r, "orders").rows {
        Some(RowDiffs::Keyed { key_columns, .. }) => assert_eq!(key_columns, &["id"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(table(&r, "orders").target.to_string(), "shop_copy.orders");
    // Without a key: a changed row is one missing and one extra.
    assert_eq!(
        table(&r, "events").rows,
        Some(RowDiffs::Unkeyed { missing_rows: 1, extra_rows: 1, truncated: false })
    );

    // The row limit caps the list and says so.
    let mut o = renamed(&db, Level::Rows);
    o.row_limit = 2;
    o.tables.include = vec![TablePattern::parse("shop.ledger")];
    let r = verify(&o).await.unwrap();
    assert_eq!(r.tables.len(), 1);
    match &table(&r, "ledger").rows {
        Some(RowDiffs::Keyed { missing, changed, truncated, .. }) => {
            assert_eq!(missing.len() + changed.len(), 2);
            assert!(truncated);
        }
        other => panic!("{other:?}"),
    }

    // An explicit schema map gives the same answer as the naming options.
    let mut o = opts(&db, &db, Level::Checksums);
    o.schema_map = Some(BTreeMap::from([("shop".to_string(), "shop_copy".to_string())]));
    o.tables.exclude = ["customers", "events", "ledger", "measures*", "orders", "tags"]
        .into_iter()
        .map(TablePattern::parse)
        .collect();
    let r = verify(&o).await.unwrap();
    assert_clean(&r);
    assert_eq!(r.tables.len(), 2, "{}", json(&r));
}

#[tokio::test]
async fn schema_differences_are_named() {
    let db = same_db_copy("verify_schema");
    db.psql(
        "ALTER TABLE shop_copy.orders ALTER COLUMN status SET DEFAULT 'open';
         DROP INDEX shop_copy.orders_status_idx;
         REVOKE SELECT ON shop_copy.orders FROM verify_reader;
         CREATE INDEX customers_name_idx ON shop_copy.customers (name);",
    )
    .unwrap();
    let r = verify(&renamed(&db, Level::Schema)).await.unwrap();
    assert!(r.tables.is_empty());
    let diffs: Vec<(&str, DiffKind)> =
        r.schema.iter().map(|d| (d.object.as_str(), d.kind)).collect();
    assert_eq!(
        diffs,
        [
            ("relation shop_copy.orders", DiffKind::Changed),
            ("default shop_copy.orders.status", DiffKind::Changed),
            ("index shop_copy.orders_status_idx", DiffKind::Missing),
            ("index shop_copy.customers_name_idx", DiffKind::Extra),
        ],
        "{}",
        json(&r)
    );
    let grant = &r.schema[0];
    assert_eq!(grant.source, ["GRANT SELECT ON TABLE shop_copy.orders TO verify_reader"]);
    assert!(grant.target.is_empty());
    let default = &r.schema[1];
    assert_eq!(default.what, "default");
    assert!(default.source[0].contains("'new'::text"), "{default:?}");
    assert!(default.target[0].contains("'open'::text"), "{default:?}");
    assert!(
        r.schema[2].source[0].starts_with("CREATE INDEX orders_status_idx ON shop_copy.orders")
    );

    // Leaving the tables out leaves their objects out.
    let mut o = renamed(&db, Level::Checksums);
    o.tables.exclude = vec![TablePattern::parse("orders"), TablePattern::parse("shop.cust*")];
    let r = verify(&o).await.unwrap();
    assert_clean(&r);
    assert!(r.tables.iter().all(|t| !["orders", "customers"].contains(&t.source.name.as_str())));
}

#[tokio::test]
async fn missing_extra_and_incomparable_tables() {
    let db = same_db_copy("verify_tables");
    db.psql(
        "DROP TABLE shop_copy.derived;
         CREATE TABLE shop_copy.stray (x int);
         ALTER TABLE shop_copy.customers DROP COLUMN note;",
    )
    .unwrap();
    let r = verify(&renamed(&db, Level::Rows)).await.unwrap();
    assert_eq!(table(&r, "derived").status, TableStatus::Missing);
    let stray = table(&r, "stray");
    assert_eq!(stray.status, TableStatus::Extra);
    assert_eq!(stray.source.to_string(), "shop.stray");
    let customers = table(&r, "customers");
    assert_eq!(customers.status, TableStatus::Incomparable);
    let why = customers.reason.as_deref().unwrap_or_default();
    assert!(why.contains("lacks column(s) note"), "{why}");
    assert_eq!((customers.source_rows, customers.target_rows), (Some(300), Some(300)));
    assert_eq!(table(&r, "orders").status, TableStatus::Match);
    assert!(r.schema.iter().any(|d| d.object == "relation shop_copy.derived"));

    // -t keeps only the named tables.
    let mut o = renamed(&db, Level::Counts);
    o.tables.include = vec![TablePattern::parse("orders")];
    let r = verify(&o).await.unwrap();
    assert_eq!(r.tables.len(), 1);
    assert_eq!(r.tables[0].status, TableStatus::Match);

    // A target schema that does not exist is a difference, not an error.
    let mut o = renamed(&db, Level::Counts);
    o.naming.schemas = vec![SchemaArg::parse("shop=nowhere").unwrap()];
    let r = verify(&o).await.unwrap();
    assert!(r.tables.iter().all(|t| t.status == TableStatus::Missing));
    assert!(r.schema.iter().any(|d| d.object == "schema nowhere" && d.kind == DiffKind::Missing));
}

#[tokio::test]
async fn renamed_copy_with_lower_case_identifiers_is_clean() {
    let db = db_with(
        "verify_case",
        r#"
        CREATE SCHEMA "Shop";
        CREATE TABLE "Shop"."Orders" (
          "Id" serial PRIMARY KEY,
          "Name" text NOT NULL,
          "Total" numeric DEFAULT 0 CHECK ("Total" >= 0)
        );
        CREATE INDEX "Orders_Name_idx" ON "Shop"."Orders" ("Name");
        CREATE VIEW "Shop"."Big" AS SELECT "Id", "Total" FROM "Shop"."Orders" WHERE "Total" > 100;
        INSERT INTO "Shop"."Orders" ("Name", "Total")
          SELECT 'order ' || i, i * 10 FROM generate_series(1, 1500) i;

        CREATE SCHEMA shop;
        CREATE TABLE shop.orders (
          id serial PRIMARY KEY,
          name text NOT NULL,
          total numeric DEFAULT 0 CHECK (total >= 0)
        );
        CREATE INDEX orders_name_idx ON shop.orders (name);
        CREATE VIEW shop.big AS SELECT id, total FROM shop.orders WHERE total > 100;
        INSERT INTO shop.orders (name, total) SELECT 'order ' || i, i * 10 FROM generate_series(1, 1500) i;
        "#,
    );
    let mut o = opts(&db, &db, Level::Rows);
    o.naming = Naming {
        schemas: vec![SchemaArg::parse("Shop").unwrap()],
        template: None,
        lower_case: true,
    };
    let r = verify(&o).await.unwrap();
    assert_clean(&r);
    assert_eq!(r.schema_map, BTreeMap::from([("Shop".to_string(), "shop".to_string())]));
    assert_eq!(r.tables.len(), 1);
    assert_eq!(r.tables[0].target.to_string(), "shop.orders");

    // And a changed row is found by its key.
    db.psql("UPDATE shop.orders SET name = 'x' WHERE id = 1200").unwrap();
    let r = verify(&o).await.unwrap();
    match &r.tables[0].rows {
        Some(RowDiffs::Keyed { key_columns, changed, .. }) => {
            assert_eq!(key_columns, &["Id"]);
            assert_eq!(changed, &keys(&[&["1200"]]));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sequence_behind_its_source_is_reported() {
    let db = same_db_copy("verify_sequences");
    assert_clean(&verify(&renamed(&db, Level::Counts)).await.unwrap());
    // The copy's sequence lags: its next id would collide with copied rows.
    db.psql("SELECT setval('shop_copy.orders_id_seq', 10); CREATE SEQUENCE shop_copy.extra_seq;")
        .unwrap();
    let r = verify(&renamed(&db, Level::Counts)).await.unwrap();
    assert!(!r.is_clean());
    assert!(r.schema.iter().any(|d| d.kind == DiffKind::Extra), "{}", json(&r));
    let seq = r
        .sequences
        .iter()
        .find(|s| s.source.name == "orders_id_seq")
        .unwrap_or_else(|| panic!("orders_id_seq not compared: {}", json(&r)));
    assert_eq!(seq.status, TableStatus::Differs);
    assert_eq!((seq.source_value, seq.target_value), (Some(5000), Some(10)));
    let extra = r.sequences.iter().find(|s| s.target.name == "extra_seq").unwrap();
    assert_eq!((extra.status, extra.target_value), (TableStatus::Extra, None));
    // Every table still matches: only the sequences differ.
    assert!(r.tables.iter().all(|t| t.status == TableStatus::Match), "{}", json(&r));
}

#[tokio::test]
async fn stale_materialized_view_is_reported() {
    let side = |s: &str| {
        format!(
            "CREATE SCHEMA {s};
             CREATE TABLE {s}.t (id int PRIMARY KEY);
             INSERT INTO {s}.t SELECT generate_series(1, 100);
             CREATE MATERIALIZED VIEW {s}.mv AS SELECT id * 2 AS twice FROM {s}.t;
             CREATE MATERIALIZED VIEW {s}.empty AS SELECT 1 AS one WITH NO DATA;"
        )
    };
    let db = db_with("verify_matview", &format!("{}{}", side("shop"), side("shop_copy")));
    assert_clean(&verify(&renamed(&db, Level::Checksums)).await.unwrap());
    // The copy's rows are equal again, but its view was refreshed in between.
    db.psql(
        "INSERT INTO shop_copy.t VALUES (101); REFRESH MATERIALIZED VIEW shop_copy.mv;
         DELETE FROM shop_copy.t WHERE id = 101;",
    )
    .unwrap();
    let r = verify(&renamed(&db, Level::Checksums)).await.unwrap();
    assert_eq!(table(&r, "t").status, TableStatus::Match, "{}", json(&r));
    let mv = table(&r, "mv");
    assert_eq!(mv.status, TableStatus::Differs, "{}", json(&r));
    assert_eq!((mv.source_rows, mv.target_rows), (Some(100), Some(101)));
    // Views never populated are not read (reading them is an error).
    assert!(r.tables.iter().all(|t| t.source.name != "empty"), "{}", json(&r));
}
