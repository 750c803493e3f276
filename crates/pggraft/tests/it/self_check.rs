//! The self-check, narrowed to the plan's scope (only what the plan
//! touches, what depends on it and what that needs is rebuilt), still
//! refuses every plan that is wrong: one that fails on the copy because of
//! a dependent it did not handle, and one that leaves a change undone.

use pggraft::catalog::{Catalog, read_catalog};
use pggraft::diff::source::self_check;
use pggraft::diff::{Change, DiffOptions, Migration, diff, scope};
use pggraft::select::SchemaFilter;

use crate::common::*;

/// 60 tables; `t7.old` is read by a view and `t7` is referenced by `t8`.
fn schema(change: bool) -> String {
    let mut sql = String::from("CREATE SCHEMA app;\n");
    for i in 0..60 {
        sql.push_str(&format!("CREATE TABLE app.t{i} (id int PRIMARY KEY, v text);\n"));
    }
    if change {
        sql.push_str("ALTER TABLE app.t7 ADD COLUMN keep text;\n");
        sql.push_str("CREATE VIEW app.v7 AS SELECT id, keep FROM app.t7;\n");
    } else {
        sql.push_str("ALTER TABLE app.t7 ADD COLUMN keep text, ADD COLUMN old text;\n");
        sql.push_str("CREATE VIEW app.v7 AS SELECT id, keep, old FROM app.t7;\n");
    }
    sql.push_str("ALTER TABLE app.t8 ADD COLUMN t7_id int REFERENCES app.t7;\n");
    sql
}

async fn sides() -> (Catalog, Catalog) {
    let a = db_with("selfcheck_from", &schema(false));
    let b = db_with("selfcheck_to", &schema(true));
    let all = SchemaFilter::all();
    (read_catalog(&spec(&a), &all).await.unwrap(), read_catalog(&spec(&b), &all).await.unwrap())
}

fn change(sql: &str, object: &str) -> Change {
    Change {
        sql: sql.into(),
        object: object.into(),
        action: "alter".into(),
        hazards: vec![],
        transactional: true,
    }
}

#[tokio::test]
async fn narrowed_self_check_passes_a_right_plan_on_a_small_copy() {
    let (from, to) = sides().await;
    let opts = DiffOptions::default();
    let m = diff(&from, &to, &opts).unwrap();
    let keep = scope::scope(&from, &to, &m);
    let rebuilt = scope::cut(&from, &keep);
    // The changed table, its view, the table whose key references it: not the 60.
    let names: Vec<&str> = rebuilt.tables.iter().map(|t| t.name.name.as_str()).collect();
    assert_eq!(names, ["t7", "t8"], "{keep:?}");
    let left = self_check(&from, &to, &m, &opts).await.unwrap();
    assert!(left.is_empty(), "{}", left.script());
}

#[tokio::test]
async fn narrowed_self_check_refuses_a_plan_that_fails_on_the_copy() {
    let (from, to) = sides().await;
    // Drops the column without dropping the view over it first.
    let m = Migration {
        changes: vec![
            change("ALTER TABLE app.t7 DROP COLUMN old", "relation app.t7"),
            change(
                "CREATE OR REPLACE VIEW app.v7 AS SELECT id, keep FROM app.t7",
                "relation app.v7",
            ),
        ],
        warnings: vec![],
    };
    let err = self_check(&from, &to, &m, &DiffOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("depends on"), "{err}");
}

#[tokio::test]
async fn narrowed_self_check_refuses_a_plan_that_leaves_a_change_undone() {
    let (from, to) = sides().await;
    // Only the view is replaced, by one that runs: the column stays.
    let m = Migration {
        changes: vec![
            change("DROP VIEW app.v7", "relation app.v7"),
            change("CREATE VIEW app.v7 AS SELECT id, keep FROM app.t7", "relation app.v7"),
        ],
        warnings: vec![],
    };
    let left = self_check(&from, &to, &m, &DiffOptions::default()).await.unwrap();
    assert!(left.script().contains("DROP COLUMN old"), "{}", left.script());
}

#[tokio::test]
async fn narrowed_self_check_refuses_a_plan_stopped_by_an_unchanged_foreign_key() {
    let (from, to) = sides().await;
    // t8's foreign key, which neither side changes, needs t7's primary key: the copy must hold
    // it for the drop to fail there as it would on FROM.
    let m = Migration {
        changes: vec![change(
            "ALTER TABLE app.t7 DROP CONSTRAINT t7_pkey",
            "constraint t7_pkey.app.t7",
        )],
        warnings: vec![],
    };
    let err = self_check(&from, &to, &m, &DiffOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("depends on"), "{err}");
}
