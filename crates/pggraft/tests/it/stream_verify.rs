//! The verification after a clone with the source side hashed as the rows
//! streamed (issue #16): the client's hash of each source table equals the
//! server's, the source is not read again, and every kind of difference in
//! the copy is still caught and located as `verify --level rows` locates it.

use std::collections::BTreeMap;

use pggraft::clone::{CloneOptions, CloneReport};
use pggraft::sql::QualifiedName;
use pggraft::verify::{Level, RowDiffs, TableStatus, VerifyOptions, VerifyReport, verify};

use crate::common::*;
use crate::fidelity::clone_with;

/// Tables of every typed-hash kind (one big enough to be copied in several
/// ranges, one without a key) and one with a numeric column, which is
/// hashed by the servers as before.
const APP: &str = "
CREATE SCHEMA app;
CREATE TABLE app.accounts (
  id int PRIMARY KEY, grp smallint, balance bigint, note text, code char(8),
  at timestamptz, day date, ok boolean, tag varchar(12), u uuid, b bytea, c \"char\"
);
INSERT INTO app.accounts
  SELECT i, (i % 7)::smallint, i::bigint * -1234567, CASE WHEN i % 5 = 0 THEN NULL ELSE 'note ' || i || ' é' END,
         'c' || (i % 100), timestamptz '2024-01-01 00:00+00' + i * interval '1 minute',
         date '2000-01-01' + i, i % 2 = 0, 't' || i, md5(i::text)::uuid, decode(md5(i::text), 'hex'),
         chr(65 + i % 26)::\"char\"
  FROM generate_series(1, 20000) AS i;
CREATE TABLE app.items (id bigint PRIMARY KEY, name varchar(20), born date);
INSERT INTO app.items SELECT i, 'item ' || i, date '2020-01-01' + i FROM generate_series(1, 500) AS i;
CREATE TABLE app.loose (v int, t text);
INSERT INTO app.loose SELECT i % 10, 'row ' || i FROM generate_series(1, 100) AS i;
CREATE TABLE app.priced (id int PRIMARY KEY, price numeric(10,2));
INSERT INTO app.priced SELECT i, i / 3.0 FROM generate_series(1, 50) AS i;
CREATE SEQUENCE app.s;
SELECT setval('app.s', 42);
VACUUM ANALYZE;
";

async fn clone_app(
    prefix: &str,
) -> (pg_sandbox::TestDb<'static>, pg_sandbox::TestDb<'static>, CloneOptions, CloneReport) {
    let src = db_with(&format!("{prefix}_src"), APP);
    let dst = db_with(&format!("{prefix}_dst"), "");
    let (opts, report) = clone_with(&src, &dst, |o| {
        // app.accounts (about 2.5 MB) goes in several ranges.
        o.split_larger_than = Some(256 * 1024);
    })
    .await
    .expect("clone");
    (src, dst, opts, report)
}

fn sums(report: &CloneReport, table: &str) -> Option<pggraft::verify::RowSums> {
    report.source_sums.get(&QualifiedName::new("app", table)).copied()
}

fn json(r: &VerifyReport) -> String {
    serde_json::to_string_pretty(r).unwrap()
}

/// The keys `verify` located, per differing table.
fn located(r: &VerifyReport) -> BTreeMap<String, RowDiffs> {
    r.differing_tables()
        .map(|t| (t.source.name.clone(), t.rows.clone().expect("rows located")))
        .collect()
}

#[tokio::test]
async fn rows_hashed_as_they_stream_hash_as_the_source_server_does() {
    let (src, dst, opts, report) = clone_app("stream_hash").await;
    let split = report.tables.iter().find(|t| t.source.name == "accounts").unwrap();
    assert_eq!(split.rows, 20000);
    for (table, cols) in [
        ("accounts", "id, grp, balance, note, code, at, day, ok, tag, u, b, c"),
        ("items", "id, name, born"),
        ("loose", "v, t"),
    ] {
        let got = sums(&report, table).unwrap_or_else(|| panic!("{table} was not hashed"));
        let server = src
            .query(&format!(
                "SELECT count(*), sum(hash_record_extended(ROW({cols}), 0)) FROM ONLY app.{table}"
            ))
            .unwrap();
        assert_eq!(got.rows.to_string(), server[0][0], "{table}");
        assert_eq!(got.sum.to_string(), server[0][1], "{table}");
    }
    // numeric has no typed hash: that table is hashed by the servers.
    assert_eq!(sums(&report, "priced"), None);
    // Each copy was read back as soon as it was loaded, with the same sums.
    for table in ["accounts", "items", "loose"] {
        let q = QualifiedName::new("app", table);
        assert_eq!(report.target_sums.get(&q), report.source_sums.get(&q), "{table}");
    }

    let after = VerifyOptions::after_clone(&opts, &report);
    let r = verify(&after).await.unwrap();
    assert!(r.is_clean(), "{}", json(&r));

    // The source is not read again: a source row changed since the clone
    // leaves the copy matching what was copied, while a fresh verify,
    // which reads the source now, sees the change.
    src.psql("UPDATE app.items SET name = 'renamed' WHERE id = 7").unwrap();
    let r = verify(&after).await.unwrap();
    assert!(r.is_clean(), "{}", json(&r));
    let mut fresh = VerifyOptions::new(spec(&src), spec(&dst));
    fresh.level = Level::Rows;
    let r = verify(&fresh).await.unwrap();
    assert_eq!(located(&r).keys().collect::<Vec<_>>(), ["items"], "{}", json(&r));
    // Nor is the copy read again: it was read back as it was loaded. What
    // changes in it after the clone is a fresh verify's to find.
    dst.psql("UPDATE app.loose SET t = 'other' WHERE t = 'row 3'").unwrap();
    let r = verify(&after).await.unwrap();
    assert!(r.is_clean(), "{}", json(&r));
    let r = verify(&fresh).await.unwrap();
    assert_eq!(located(&r).keys().collect::<Vec<_>>(), ["items", "loose"], "{}", json(&r));
}

#[tokio::test]
async fn stream_hashed_verification_catches_every_difference_and_locates_it_as_verify_rows() {
    let src = db_with("stream_diff_src", APP);
    let dst = db_with("stream_diff_dst", "");
    // The copy goes wrong once app.accounts (copied in several ranges) is
    // loaded, before it is read back: a changed row in a late range and one
    // in the first, a missing row and an extra one.
    let (opts, report) = clone_with(&src, &dst, |o| {
        o.split_larger_than = Some(256 * 1024);
        o.tamper_after_load = Some((
            "accounts".into(),
            "UPDATE {table} SET note = 'changed' WHERE id = 15001;
             UPDATE {table} SET code = 'x' WHERE id = 2;
             DELETE FROM {table} WHERE id = 250;
             INSERT INTO {table} (id) VALUES (99999);"
                .into(),
        ));
    })
    .await
    .expect("clone");
    assert!(sums(&report, "accounts").is_some());
    assert!(report.target_sums.contains_key(&QualifiedName::new("app", "accounts")));
    // After the clone: a changed sequence, and a changed row in a table the
    // servers hash (numeric has no typed hash).
    dst.psql("SELECT setval('app.s', 7); UPDATE app.priced SET price = 0 WHERE id = 1;").unwrap();

    // The clone's verification, at checksums.
    let after = VerifyOptions::after_clone(&opts, &report);
    let r = verify(&after).await.unwrap();
    let differing: Vec<&str> = r.differing_tables().map(|t| t.source.name.as_str()).collect();
    assert_eq!(differing, ["accounts", "priced"], "{}", json(&r));
    let seq = r.sequences.iter().find(|s| s.source.name == "s").expect("sequence compared");
    assert_eq!(seq.status, TableStatus::Differs);
    assert_eq!((seq.source_value, seq.target_value), (Some(42), Some(7)));

    // Asked for the rows, it names the same keys as `verify --level rows`.
    let mut rows = after.clone();
    rows.level = Level::Rows;
    let streamed = verify(&rows).await.unwrap();
    let mut plain = VerifyOptions::new(spec(&src), spec(&dst));
    plain.level = Level::Rows;
    let plain = verify(&plain).await.unwrap();
    assert_eq!(located(&streamed), located(&plain), "{}", json(&streamed));
    let keys = |v: &[&str]| v.iter().map(|k| vec![k.to_string()]).collect::<Vec<_>>();
    match &located(&streamed)["accounts"] {
        RowDiffs::Keyed { changed, missing, extra, .. } => {
            assert_eq!(changed, &keys(&["2", "15001"]));
            assert_eq!((missing, extra), (&keys(&["250"]), &keys(&["99999"])));
        }
        other => panic!("{other:?}"),
    }
    match &located(&streamed)["priced"] {
        RowDiffs::Keyed { changed, .. } => assert_eq!(changed, &keys(&["1"])),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_clone_without_verification_hashes_nothing() {
    let src = db_with("stream_off_src", APP);
    let dst = db_with("stream_off_dst", "");
    let (_, report) = clone_with(&src, &dst, |o| o.hash_rows = false).await.expect("clone");
    assert!(report.source_sums.is_empty() && report.target_sums.is_empty());
}

/// Within one database no row passes the client: each table copied by
/// `INSERT … SELECT` is hashed by the server on both sides (the source in
/// the clone's snapshot) right after its load, and the verification after
/// the clone reads neither side again, yet catches a changed row.
#[tokio::test]
async fn a_same_database_copy_is_hashed_by_the_server_beside_the_copy() {
    let db = db_with("stream_same", APP);
    let schemas = vec![pggraft::rename::SchemaArg::parse("app=app_copy").unwrap()];
    let (opts, report) = clone_with(&db, &db, |o| {
        o.naming.schemas = schemas.clone();
        o.split_larger_than = Some(256 * 1024);
        o.tamper_after_load = Some((
            "accounts".into(),
            "UPDATE {table} SET note = 'changed' WHERE id = 15001".into(),
        ));
    })
    .await
    .expect("clone");
    assert_eq!(report.strategy, "insert-select");
    let got = sums(&report, "accounts").expect("accounts hashed");
    let server = db
        .query(
            "SELECT count(*), sum(hash_record_extended(ROW(id, grp, balance, note, code, at, day, \
             ok, tag, u, b, c), 0)) FROM ONLY app.accounts",
        )
        .unwrap();
    assert_eq!(
        (got.rows.to_string(), got.sum.to_string()),
        (server[0][0].clone(), server[0][1].clone())
    );
    for table in ["accounts", "items", "loose"] {
        assert!(report.target_sums.contains_key(&QualifiedName::new("app", table)), "{table}");
    }
    // The copy of accounts was read back after the tamper: its sums differ.
    let q = QualifiedName::new("app", "accounts");
    assert_ne!(report.target_sums.get(&q), report.source_sums.get(&q));

    let after = VerifyOptions::after_clone(&opts, &report);
    let r = verify(&after).await.unwrap();
    let differing: Vec<&str> = r.differing_tables().map(|t| t.source.name.as_str()).collect();
    assert_eq!(differing, ["accounts"], "{}", json(&r));
    let mut rows = after.clone();
    rows.level = Level::Rows;
    let streamed = verify(&rows).await.unwrap();
    let mut plain = VerifyOptions::new(spec(&db), spec(&db));
    plain.naming.schemas = schemas;
    plain.level = Level::Rows;
    let plain = verify(&plain).await.unwrap();
    assert_eq!(located(&streamed), located(&plain), "{}", json(&streamed));
    match &located(&streamed)["accounts"] {
        RowDiffs::Keyed { changed, .. } => assert_eq!(changed, &[vec!["15001".to_string()]]),
        other => panic!("{other:?}"),
    }
}
