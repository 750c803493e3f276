//! `diff` of the sample schema (`pggraft::sample::SCHEMA`): to itself and from nothing. Every
//! other "this FROM and this TO give this plan" case is a folder of the corpus
//! (`tests/data/diff`, run by the `diff_corpus` target); these two stay here because their SQL
//! is the sample that `demo` and the other tests load, and a copy in the corpus would drift
//! from it. Each checks its directions as the corpus does: the migration applied to FROM
//! makes its `pg_dump --schema-only` equal TO's, and a re-diff is empty.

use pggraft::catalog::read_catalog;
use pggraft::diff::{DiffOptions, Migration, diff};
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

/// A schema and its renamed copy diff empty when a view shows a column of one of the schema's
/// own types: the view column's type is renamed with the schema (it was left naming the
/// source's, so diff and sync-schema wanted to recreate the view).
#[tokio::test]
async fn renamed_copy_with_views_over_its_own_types_diffs_empty() {
    use pggraft::diff::source::Input;
    use pggraft::migrate::read_sides;
    use pggraft::rename::SchemaArg;
    let schema = |s: &str| {
        format!(
            "CREATE SCHEMA {s};
             CREATE TYPE {s}.rating AS ENUM ('g', 'x');
             CREATE DOMAIN {s}.score AS int CHECK (VALUE >= 0);
             CREATE TABLE {s}.posts (id int PRIMARY KEY, rating {s}.rating, score {s}.score);
             CREATE VIEW {s}.rated AS SELECT id, rating, score FROM {s}.posts;
             CREATE MATERIALIZED VIEW {s}.counts AS SELECT rating, count(*) AS n FROM {s}.posts GROUP BY rating;"
        )
    };
    let db = db_with("renamed_views", &format!("{}\n{}", schema("app"), schema("app_copy")));
    let input = || Input::Database(Box::new(spec(&db)));
    let sides =
        read_sides(&input(), &input(), &[SchemaArg::parse("app=app_copy").unwrap()]).await.unwrap();
    let m = sides.diff(&DiffOptions::default()).unwrap();
    assert!(m.is_empty(), "{}", m.script());
}
