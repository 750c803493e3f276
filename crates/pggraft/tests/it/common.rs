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

pub const EVERYTHING: &str = pggraft::sample::SCHEMA;
pub const EVERYTHING_DATA: &str = pggraft::sample::DATA;

/// The fixture with data.
pub fn everything_with_data(prefix: &str) -> TestDb<'static> {
    db_with(prefix, &format!("{EVERYTHING}\n{EVERYTHING_DATA}"))
}

/// `(count, sum of row hashes)` of a table, as text, for data comparisons.
pub fn table_hash(db: &TestDb<'_>, table: &str) -> String {
    let rows = db
        .query(&format!(
            "SELECT count(*) || ':' || COALESCE(sum(hashtextextended(t::text, 0)), 0) FROM ONLY {table} t"
        ))
        .expect("hash table");
    rows[0][0].clone()
}

/// Every ordinary table and partition of the given schemas, quoted.
pub fn tables_of(db: &TestDb<'_>, schemas: &[&str]) -> Vec<(String, String)> {
    let list: Vec<String> =
        schemas.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect();
    db.query(&format!(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND n.nspname IN ({}) ORDER BY 1, 2",
        list.join(", ")
    ))
    .expect("list tables")
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone()))
    .collect()
}

pub fn quote_qualified(schema: &str, name: &str) -> String {
    pggraft::sql::QualifiedName::new(schema, name).to_string()
}

pub const EVERYTHING_SCHEMAS: &[&str] = pggraft::sample::SCHEMAS;

/// Asserts two texts are equal, showing only the lines that differ.
pub fn assert_same_text(a: &str, b: &str) {
    if a == b {
        return;
    }
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let mut diff = String::new();
    for l in al.iter().filter(|l| !bl.contains(l)) {
        diff.push_str(&format!("- {l}\n"));
    }
    for l in bl.iter().filter(|l| !al.contains(l)) {
        diff.push_str(&format!("+ {l}\n"));
    }
    if diff.is_empty() {
        diff.push_str("(same lines, different order)");
    }
    panic!("texts differ:\n{diff}");
}
