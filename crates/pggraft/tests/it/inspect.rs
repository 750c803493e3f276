//! `inspect`: the catalog model is complete and faithful.

use pggraft::catalog::Catalog;
use pggraft::catalog::read_catalog;
use pggraft::ddl::to_sql;
use pggraft::select::SchemaFilter;

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
    assert_eq!(cat.structure_only(), back.structure_only());
}

#[tokio::test]
async fn extension_members_are_not_user_objects() {
    let db = db_with(
        "ext_members",
        "CREATE SCHEMA app; CREATE EXTENSION citext SCHEMA app;
         CREATE TABLE app.users (id int PRIMARY KEY, email app.citext);",
    );
    let cat = read_catalog(&spec(&db), &SchemaFilter::only(["app"])).await.unwrap();
    assert!(cat.types.is_empty(), "citext's type rendered as a user type: {:?}", cat.types);
    assert!(cat.functions.is_empty(), "citext's functions rendered as user functions");
    assert!(cat.extensions.iter().any(|e| e.name == "citext" && e.schema == "app"));
    let sql = to_sql(&cat);
    assert!(sql.contains("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA app"), "{sql}");
    assert!(!sql.contains("CREATE FUNCTION"), "{sql}");
}

#[tokio::test]
async fn kinds_once_refused_are_read_and_replayed_by_inspect() {
    // Issue #11: each of these used to make introspection fail.
    let sql = "CREATE SCHEMA app;
         CREATE OPERATOR FAMILY app.my_fam USING btree;
         CREATE TEXT SEARCH TEMPLATE app.my_tmpl (LEXIZE = dsimple_lexize);
         CREATE TEXT SEARCH PARSER app.my_prs (START = prsd_start, GETTOKEN = prsd_nexttoken,
             END = prsd_end, LEXTYPES = prsd_lextype);
         CREATE CONVERSION app.my_conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
         CREATE TYPE app.shell;
         CREATE FOREIGN DATA WRAPPER pggraft_test_fdw;
         CREATE SERVER pggraft_test_srv FOREIGN DATA WRAPPER pggraft_test_fdw;
         CREATE FOREIGN TABLE app.remote (id int) SERVER pggraft_test_srv;";
    let db = db_with("once_refused", sql);
    let cat = read_catalog(&spec(&db), &SchemaFilter::only(["app"])).await.unwrap();
    let fresh = db_with("once_refused_replay", "CREATE FOREIGN DATA WRAPPER pggraft_test_fdw;");
    fresh.psql(&to_sql(&cat)).unwrap();
    assert_same_text(&db.dump_schema(&[]).unwrap(), &fresh.dump_schema(&[]).unwrap());
}

#[tokio::test]
async fn schema_names_match_exactly_with_wildcards() {
    let db =
        db_with("patterns", "CREATE SCHEMA \"Sales\"; CREATE SCHEMA sales2; CREATE SCHEMA other;");
    let names = |f: SchemaFilter| {
        let spec = spec(&db);
        async move {
            let cat = read_catalog(&spec, &f).await.unwrap();
            cat.schemas.into_iter().map(|s| s.name).collect::<Vec<_>>()
        }
    };
    assert_eq!(names(SchemaFilter::only(["Sales"])).await, ["Sales"]);
    assert_eq!(names(SchemaFilter::only(["sales*"])).await, ["sales2"]);
    assert_eq!(names(SchemaFilter::only(["?ales*"])).await, ["Sales", "sales2"]);
    let err = read_catalog(&spec(&db), &SchemaFilter::only(["sales"])).await.unwrap_err();
    assert!(err.to_string().contains("schema \"sales\" does not exist"), "{err}");
}

#[tokio::test]
async fn helper_sessions_read_the_callers_snapshot() {
    use pggraft::catalog::{introspect_with, snapshot_helpers};
    use pggraft::conn::Snapshot;
    let db = db_with(
        "helpers_snapshot",
        "CREATE SCHEMA app; CREATE TABLE app.t (a int PRIMARY KEY CHECK (a > 0));",
    );
    let snapshot = Snapshot::export(&spec(&db)).await.unwrap();
    let main = snapshot.session().unwrap();
    let helpers = snapshot_helpers(&spec(&db), &snapshot, 3).await;
    assert_eq!(helpers.len(), 3);
    // Changes made after the snapshot: the helpers read columns, constraints
    // and indexes, and must not see them.
    db.psql(
        "ALTER TABLE app.t ADD COLUMN b text, ADD CONSTRAINT b_short CHECK (length(b) < 9);
         CREATE INDEX t_b ON app.t (b);",
    )
    .unwrap();
    let cat = introspect_with(main, &helpers, &SchemaFilter::only(["app"])).await.unwrap();
    let t = &cat.tables[0];
    assert_eq!(t.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["a"]);
    assert_eq!(t.constraints.len(), 2, "{:?}", t.constraints);
    assert!(cat.indexes.is_empty(), "{:?}", cat.indexes);
}

#[tokio::test]
async fn inspect_without_spare_connections_reads_on_one_session() {
    let db = db_with("one_session", EVERYTHING);
    // A role allowed a single connection: the helper sessions cannot connect,
    // and reading falls back to the one session it has.
    let (role, password) = ("pggraft_inspect_one_conn", "One-Conn-Pass-7");
    cluster().create_role(role, password, false).unwrap();
    db.psql(&format!(
        "ALTER ROLE {role} CONNECTION LIMIT 1;
         GRANT USAGE ON SCHEMA {schemas} TO {role};",
        schemas = EVERYTHING_SCHEMAS
            .iter()
            .map(|s| pggraft::sql::ident(s))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .unwrap();
    let expected = read_catalog(&spec(&db), &filter()).await.unwrap();
    let c = cluster();
    let url = format!("postgres://{role}:{password}@{}:{}/{}", c.host(), c.port(), db.name());
    let cat =
        read_catalog(&pggraft::conn::ConnSpec::parse(&url).unwrap(), &filter()).await.unwrap();
    assert!(cat == expected, "the model read on one session differs");
}
