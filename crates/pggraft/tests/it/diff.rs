//! `diff`: targeted cases (the corpus under tests/data/diff covers the
//! breadth). Each case checks both directions: the migration applied to
//! FROM makes its `pg_dump --schema-only` equal TO's, and a re-diff is empty.

use pggraft::catalog::read_catalog;
use pggraft::diff::{DiffOptions, HazardKind, Migration, diff};
use pggraft::select::SchemaFilter;

use crate::common::*;

/// Runs the up and down migrations between two SQL scripts and checks them.
pub async fn check_both_ways(
    name: &str,
    from_sql: &str,
    to_sql: &str,
    opts: &DiffOptions,
) -> Migration {
    let up = check_one_way(&format!("{name}_up"), from_sql, to_sql, opts).await;
    check_one_way(&format!("{name}_down"), to_sql, from_sql, opts).await;
    up
}

async fn check_one_way(name: &str, from_sql: &str, to_sql: &str, opts: &DiffOptions) -> Migration {
    let from = db_with(&format!("{name}_f"), from_sql);
    let to = db_with(&format!("{name}_t"), to_sql);
    let all = SchemaFilter::all();
    let a = read_catalog(&spec(&from), &all).await.unwrap();
    let b = read_catalog(&spec(&to), &all).await.unwrap();
    let m = diff(&a, &b, opts).unwrap();
    let script = m.script();
    from.psql(&script)
        .unwrap_or_else(|e| panic!("{name}: applying the migration failed: {e}\n{script}"));
    assert_same_text(&from.dump_schema(&[]).unwrap(), &to.dump_schema(&[]).unwrap());
    let a2 = read_catalog(&spec(&from), &all).await.unwrap();
    let again = diff(&a2, &b, opts).unwrap();
    assert!(
        again.is_empty(),
        "{name}: re-diff not empty after applying:\n{script}\n-- re-diff:\n{}",
        again.script()
    );
    m
}

#[tokio::test]
async fn identical_schemas_diff_empty() {
    let m = check_both_ways("same", EVERYTHING, EVERYTHING, &DiffOptions::default()).await;
    assert!(m.is_empty(), "{}", m.script());
}

#[tokio::test]
async fn sample_schema_from_empty_and_back() {
    // Everything created from nothing, and dropped again, in dependency order.
    check_both_ways("sample", "", EVERYTHING, &DiffOptions::default()).await;
}

#[tokio::test]
async fn view_on_column_whose_type_changes() {
    let from = "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, v varchar(10));
                CREATE VIEW app.v AS SELECT id, v FROM app.t; CREATE VIEW app.vv AS SELECT * FROM app.v;
                INSERT INTO app.t VALUES (1, 'x');";
    let to = "CREATE SCHEMA app; CREATE TABLE app.t (id bigint PRIMARY KEY, v text);
              CREATE VIEW app.v AS SELECT id, v FROM app.t; CREATE VIEW app.vv AS SELECT * FROM app.v;";
    let m = check_both_ways("view_retype", from, to, &DiffOptions::default()).await;
    assert!(m.hazards().any(|h| h.kind == HazardKind::TableRewrite));
}

#[tokio::test]
async fn enum_value_added_before_use() {
    let from = "CREATE SCHEMA app; CREATE TYPE app.mood AS ENUM ('sad', 'happy');
                CREATE TABLE app.t (m app.mood);";
    let to = "CREATE SCHEMA app; CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
              CREATE TABLE app.t (m app.mood DEFAULT 'ok');";
    check_one_way("enum_add", from, to, &DiffOptions::default()).await;
}

#[tokio::test]
async fn enum_value_removed_rebuilds_type() {
    let from = "CREATE SCHEMA app; CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
                CREATE TABLE app.t (m app.mood DEFAULT 'ok', ms app.mood[]); INSERT INTO app.t VALUES ('happy', '{sad}');";
    let to = "CREATE SCHEMA app; CREATE TYPE app.mood AS ENUM ('happy', 'sad');
              CREATE TABLE app.t (m app.mood DEFAULT 'happy', ms app.mood[]);";
    check_one_way("enum_rebuild", from, to, &DiffOptions::default()).await;
}

#[tokio::test]
async fn function_used_in_default_and_check() {
    let from = "CREATE SCHEMA app; CREATE TABLE app.t (id int);";
    let to = "CREATE SCHEMA app;
              CREATE FUNCTION app.f() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;
              CREATE TABLE app.t (id int DEFAULT app.f() CHECK (id >= app.f()));";
    check_both_ways("fn_default", from, to, &DiffOptions::default()).await;
}

#[tokio::test]
async fn circular_foreign_keys() {
    let from = "CREATE SCHEMA app;";
    let to = "CREATE SCHEMA app; CREATE TABLE app.a (id int PRIMARY KEY, b_id int);
              CREATE TABLE app.b (id int PRIMARY KEY, a_id int REFERENCES app.a);
              ALTER TABLE app.a ADD FOREIGN KEY (b_id) REFERENCES app.b;";
    check_both_ways("circular_fk", from, to, &DiffOptions::default()).await;
}

#[tokio::test]
async fn online_mode_uses_concurrently_and_not_valid() {
    let from = "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, v int, r int);
                CREATE TABLE app.r (id int PRIMARY KEY); INSERT INTO app.t VALUES (1, 1, NULL);";
    let to = "CREATE SCHEMA app; CREATE TABLE app.r (id int PRIMARY KEY);
              CREATE TABLE app.t (id int PRIMARY KEY, v int NOT NULL CHECK (v > 0), r int REFERENCES app.r);
              CREATE INDEX t_v ON app.t (v);";
    let opts = DiffOptions { online: true, ..DiffOptions::default() };
    let m = check_one_way("online", from, to, &opts).await;
    let script = m.script();
    assert!(script.contains("CREATE INDEX CONCURRENTLY"), "{script}");
    assert!(script.contains("NOT VALID"), "{script}");
    assert!(script.contains("VALIDATE CONSTRAINT"), "{script}");
    assert!(m.changes.iter().any(|c| !c.transactional));
}

#[tokio::test]
async fn partitioned_index_on_existing_partitions() {
    let from = "CREATE SCHEMA app; CREATE TABLE app.p (id int, d date) PARTITION BY RANGE (d);
                CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');";
    let to = "CREATE SCHEMA app; CREATE TABLE app.p (id int, d date) PARTITION BY RANGE (d);
              CREATE TABLE app.p1 PARTITION OF app.p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
              CREATE TABLE app.p2 PARTITION OF app.p FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
              CREATE INDEX p_id ON app.p (id);";
    check_both_ways("part_index", from, to, &DiffOptions::default()).await;
}
