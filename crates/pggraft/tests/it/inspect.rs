//! `inspect`: the catalog model is complete and faithful.

use pggraft::catalog::{Catalog, SchemaFilter};
use pggraft::inspect::{read_catalog, to_sql};

use crate::common::*;

fn filter() -> SchemaFilter {
    SchemaFilter::only(EVERYTHING_SCHEMAS.iter().copied())
}

#[tokio::test]
async fn rendered_model_recreates_the_schema_exactly() {
    let src = db_with("rt_src", EVERYTHING);
    let cat = read_catalog(&spec(&src), &filter()).await.unwrap();
    let script = to_sql(&cat);
    let dst = db_with("rt_dst", "");
    dst.psql(&script).unwrap_or_else(|e| panic!("applying rendered model failed: {e}\n{script}"));
    let a = src.dump_schema(EVERYTHING_SCHEMAS).unwrap();
    let b = dst.dump_schema(EVERYTHING_SCHEMAS).unwrap();
    for expected in
        ["CREATE TABLE shop.customers", "CREATE POLICY", "ATTACH PARTITION", "EXCLUDE USING gist"]
    {
        assert!(a.contains(expected), "fixture dump lacks {expected}");
    }
    assert_same_text(&a, &b);
    // And the model read back from the copy is the same model.
    let cat2 = read_catalog(&spec(&dst), &filter()).await.unwrap();
    assert_eq!(cat.to_json().replace(src.name(), "DB"), cat2.to_json().replace(dst.name(), "DB"));
}

#[tokio::test]
async fn json_snapshot_reads_back_equal() {
    let src = db_with("json_rt", EVERYTHING);
    let cat = read_catalog(&spec(&src), &filter()).await.unwrap();
    let json = cat.to_json();
    let back = Catalog::from_json(&json).unwrap();
    assert_eq!(back.to_json(), json);
    let mut a = cat.clone();
    let mut b = back;
    a.sort();
    b.sort();
    for t in &mut a.tables {
        t.size_bytes = 0;
        t.est_rows = 0.0;
    }
    assert_eq!(a, b);
}
