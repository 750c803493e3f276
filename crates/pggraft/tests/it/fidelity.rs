//! Fidelity on schemas as applications write them (issue #11): tables with
//! nothing to copy but rows, extensions nothing references, objects hanging
//! off extension members, per-column statistics of expression indexes.
//! Each test is named after what broke, and asserts on the target's catalog
//! and data.

use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions, CloneReport};
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;
use pggraft::verify::{VerifyOptions, VerifyReport, verify};

use crate::common::*;

pub(crate) async fn clone_with(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
    setup: impl FnOnce(&mut CloneOptions),
) -> pggraft::Result<(CloneOptions, CloneReport)> {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 2;
    opts.index_jobs = 2;
    setup(&mut opts);
    let plan = clone_api::prepare(&opts).await?;
    let report = clone_api::run(&opts, plan, &NoProgress, None).await?;
    Ok((opts, report))
}

/// The verification `pggraft clone` runs after copying.
pub(crate) async fn verify_after(opts: &CloneOptions, report: &CloneReport) -> VerifyReport {
    verify(&VerifyOptions::after_clone(opts, report)).await.expect("verify the copy")
}

pub(crate) fn assert_clean(v: &VerifyReport) {
    assert!(
        v.is_clean(),
        "verify found differences:\nschema: {:#?}\ntables: {:#?}\nsequences: {:#?}",
        v.schema,
        v.differing_tables().collect::<Vec<_>>(),
        v.differing_sequences().collect::<Vec<_>>()
    );
}

pub(crate) fn schema_args(args: &[&str]) -> Vec<SchemaArg> {
    args.iter().map(|a| SchemaArg::parse(a).unwrap()).collect()
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))[0][0].clone()
}

const NOTHING_TO_COPY: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.g (nb int GENERATED ALWAYS AS (1) STORED);
    CREATE TABLE app.z ();
    CREATE TABLE app.gz (a int GENERATED ALWAYS AS (2) STORED, b text GENERATED ALWAYS AS ('x') STORED);
    -- A column of an array of a user enum moves as text, not binary.
    CREATE TYPE app.m AS ENUM ('a', 'b');
    CREATE TABLE app.gt (x app.m[] GENERATED ALWAYS AS (ARRAY['b'::app.m]) STORED);
    INSERT INTO app.g SELECT FROM generate_series(1, 7);
    INSERT INTO app.gt SELECT FROM generate_series(1, 4);
    INSERT INTO app.z SELECT FROM generate_series(1, 5);
    INSERT INTO app.gz SELECT FROM generate_series(1, 3);";

fn assert_nothing_to_copy_rows(dst: &TestDb<'_>, schema: &str) {
    assert_eq!(one(dst, &format!("SELECT count(*) FROM {schema}.g")), "7");
    assert_eq!(one(dst, &format!("SELECT sum(nb) FROM {schema}.g")), "7");
    assert_eq!(one(dst, &format!("SELECT count(*) FROM {schema}.z")), "5");
    assert_eq!(one(dst, &format!("SELECT count(*) || b FROM {schema}.gz GROUP BY b")), "3x");
    assert_eq!(
        one(dst, &format!("SELECT count(*) || x::text FROM {schema}.gt GROUP BY x")),
        "4{b}"
    );
}

#[tokio::test]
async fn all_generated_columns_table_copies_its_rows() {
    // Other database: COPY, binary and text.
    let src = db_with("allgen_src", NOTHING_TO_COPY);
    for strategy in [clone_api::StrategyChoice::Copy, clone_api::StrategyChoice::Auto] {
        let dst = db_with("allgen_dst", "");
        let (opts, report) = clone_with(&src, &dst, |o| {
            o.naming.schemas = schema_args(&["app"]);
            o.strategy = strategy;
        })
        .await
        .unwrap();
        assert_nothing_to_copy_rows(&dst, "app");
        assert_eq!(report.total_rows(), 19);
        assert_clean(&verify_after(&opts, &report).await);
    }
}

#[tokio::test]
async fn zero_column_table_copies_its_rows_in_the_same_database() {
    // The same database: INSERT … SELECT, and a split into page ranges.
    let db = db_with("allgen_same", NOTHING_TO_COPY);
    let (opts, report) = clone_with(&db, &db, |o| {
        o.naming.schemas = schema_args(&["app=app_copy"]);
        o.split_larger_than = Some(1);
    })
    .await
    .unwrap();
    assert_eq!(report.strategy, "insert-select");
    assert_nothing_to_copy_rows(&db, "app_copy");
    assert_clean(&verify_after(&opts, &report).await);
}
