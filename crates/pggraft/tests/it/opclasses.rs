//! Operator families and classes (issue #11): created after the operators, functions and
//! types they use and before the indexes that use them, renamed with their schema.

use pg_sandbox::TestDb;

use crate::common::*;
use crate::fidelity::{assert_clean, clone_with, schema_args, verify_after};

const OPCLASSES: &str = "
    CREATE SCHEMA app;
    CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
    CREATE FUNCTION app.abs_lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) < abs($2)';
    CREATE FUNCTION app.abs_le(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) <= abs($2)';
    CREATE FUNCTION app.abs_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) = abs($2)';
    CREATE FUNCTION app.abs_ge(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) >= abs($2)';
    CREATE FUNCTION app.abs_gt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) > abs($2)';
    CREATE FUNCTION app.abs_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE
        AS 'SELECT btint4cmp(abs($1), abs($2))';
    CREATE FUNCTION app.abs_hash(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT hashint4(abs($1))';
    CREATE OPERATOR app.<< (FUNCTION = app.abs_lt, LEFTARG = int, RIGHTARG = int);
    CREATE OPERATOR app.<<= (FUNCTION = app.abs_le, LEFTARG = int, RIGHTARG = int);
    CREATE OPERATOR app.== (FUNCTION = app.abs_eq, LEFTARG = int, RIGHTARG = int);
    CREATE OPERATOR app.>>= (FUNCTION = app.abs_ge, LEFTARG = int, RIGHTARG = int);
    CREATE OPERATOR app.>> (FUNCTION = app.abs_gt, LEFTARG = int, RIGHTARG = int);
    CREATE OPERATOR CLASS app.abs_ops FOR TYPE int USING btree AS
        OPERATOR 1 app.<<, OPERATOR 2 app.<<=, OPERATOR 3 app.==, OPERATOR 4 app.>>=,
        OPERATOR 5 app.>>, FUNCTION 1 app.abs_cmp(int, int);
    COMMENT ON OPERATOR CLASS app.abs_ops USING btree IS 'by absolute value';
    -- A family of its own with a loose member, and a class in it.
    CREATE OPERATOR FAMILY app.abs_hash_ops USING hash;
    CREATE OPERATOR CLASS app.abs_hash_int FOR TYPE int USING hash FAMILY app.abs_hash_ops AS
        OPERATOR 1 app.==, FUNCTION 1 app.abs_hash(int);
    ALTER OPERATOR FAMILY app.abs_hash_ops USING hash
        ADD FUNCTION 2 (int, int) hashint4extended(int, bigint);
    -- The default class of a type of the schema: indexes on it use it without naming it.
    CREATE OPERATOR CLASS app.mood_ops DEFAULT FOR TYPE app.mood USING hash AS
        OPERATOR 1 =(anyenum, anyenum), FUNCTION 1 (app.mood, app.mood) hashenum(anyenum);
    CREATE TABLE app.t (a int, m app.mood);
    CREATE INDEX t_abs ON app.t (a app.abs_ops);
    CREATE INDEX t_abs_hash ON app.t USING hash (a app.abs_hash_int);
    CREATE INDEX t_mood ON app.t USING hash (m);
    INSERT INTO app.t VALUES (-3, 'ok'), (2, 'sad'), (1, 'happy');";

fn classes_of(db: &TestDb<'_>, schema: &str) -> String {
    db.query(&format!(
        "SELECT string_agg(i.relname || ':' || oc.opcname, ',' ORDER BY i.relname) FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_opclass oc ON oc.oid = x.indclass[0] \
         WHERE i.relnamespace = '{schema}'::regnamespace"
    ))
    .unwrap()[0][0]
        .clone()
}

#[tokio::test]
async fn operator_classes_and_families_clone_across_databases() {
    let src = db_with("opc_src", OPCLASSES);
    let dst = db_with("opc_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
    assert_eq!(classes_of(&dst, "app"), "t_abs:abs_ops,t_abs_hash:abs_hash_int,t_mood:mood_ops");
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn operator_classes_and_families_clone_renamed_within_one_database() {
    let src = db_with("opc_same", OPCLASSES);
    let (opts, report) =
        clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"]))
            .await
            .unwrap();
    assert_same_text(
        &src.dump_schema(&["app"]).unwrap(),
        &src.dump_schema(&["app_copy"]).unwrap().replace("app_copy", "app"),
    );
    // The copy's indexes use the copy's classes, the default one too.
    assert_eq!(
        src.query(
            "SELECT string_agg(DISTINCT n.nspname, ',') FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_opclass oc ON oc.oid = x.indclass[0] \
             JOIN pg_namespace n ON n.oid = oc.opcnamespace \
             WHERE i.relnamespace = 'app_copy'::regnamespace"
        )
        .unwrap()[0][0],
        "app_copy"
    );
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn a_default_class_for_a_shared_type_is_not_the_default_in_a_same_database_copy() {
    let src = db_with(
        "opc_default",
        "CREATE SCHEMA app;
         CREATE TYPE public.shared AS ENUM ('a', 'b');
         CREATE OPERATOR CLASS app.shared_ops DEFAULT FOR TYPE public.shared USING hash AS
             OPERATOR 1 =(anyenum, anyenum), FUNCTION 1 hashenum(anyenum);",
    );
    let (_, report) = clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"]))
        .await
        .unwrap();
    let w = report.warnings.join("\n");
    assert!(
        w.contains("operator class app.shared_ops is the default for type public.shared"),
        "{w}"
    );
    assert_eq!(
        src.query(
            "SELECT opcdefault::text FROM pg_opclass WHERE opcnamespace = 'app_copy'::regnamespace"
        )
        .unwrap()[0][0],
        "false"
    );
}
