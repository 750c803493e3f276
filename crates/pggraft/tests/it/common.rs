//! Shared test helpers.

use pg_sandbox::{Cluster, TestDb};
use pggraft::conn::ConnSpec;

pub fn cluster() -> &'static Cluster {
    Cluster::shared().expect("start the shared test cluster")
}

/// A fresh database, loaded with `sql` (if any).
pub fn db_with(prefix: &str, sql: &str) -> TestDb<'static> {
    let db = cluster().create_database(prefix).expect("create test database");
    if !sql.is_empty() {
        db.psql(sql).expect("load fixture");
    }
    db
}

pub fn spec(db: &TestDb<'_>) -> ConnSpec {
    ConnSpec::parse(&db.url()).expect("parse test url")
}

pub const EVERYTHING: &str = include_str!("../data/everything.sql");
pub const EVERYTHING_SCHEMAS: &[&str] = &["shop", "Odd Schema"];
