//! Base and shell types (issue #11): a base type is created as a shell, then its I/O
//! functions, then its definition, and its columns move like any other; renamed with its
//! schema. The functions here are PostgreSQL's own text functions (`LANGUAGE internal`), as
//! an extension's C functions would be.

use crate::common::*;
use crate::fidelity::{assert_clean, clone_with, schema_args, verify_after};

const BASE: &str = "
    CREATE SCHEMA app;
    CREATE TYPE app.label;
    CREATE FUNCTION app.label_in(cstring) RETURNS app.label
        LANGUAGE internal IMMUTABLE STRICT AS 'textin';
    CREATE FUNCTION app.label_out(app.label) RETURNS cstring
        LANGUAGE internal IMMUTABLE STRICT AS 'textout';
    CREATE FUNCTION app.label_recv(internal) RETURNS app.label
        LANGUAGE internal IMMUTABLE STRICT AS 'textrecv';
    CREATE FUNCTION app.label_send(app.label) RETURNS bytea
        LANGUAGE internal IMMUTABLE STRICT AS 'textsend';
    CREATE TYPE app.label (INPUT = app.label_in, OUTPUT = app.label_out,
        RECEIVE = app.label_recv, SEND = app.label_send, INTERNALLENGTH = variable,
        STORAGE = extended, CATEGORY = 'S', COLLATABLE = true);
    COMMENT ON TYPE app.label IS 'text by another name';
    CREATE FUNCTION app.shout(app.label) RETURNS text LANGUAGE sql IMMUTABLE
        AS $$ SELECT upper($1::text) $$;
    CREATE CAST (app.label AS text) WITHOUT FUNCTION;
    -- A shell type no definition followed.
    CREATE TYPE app.later;
    CREATE TABLE app.tags (id int PRIMARY KEY, name app.label, names app.label[]);
    INSERT INTO app.tags VALUES (1, 'red', '{a,b}'), (2, 'blue', NULL);";

#[tokio::test]
async fn base_and_shell_types_clone_across_databases() {
    let src = db_with("base_src", BASE);
    let dst = db_with("base_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    // Casts belong to the database: the one over app.label is not copied (pg_dump -n leaves
    // it out too), so the whole-database dumps differ in it alone.
    let without_cast = |dump: String| {
        dump.split("\n\n")
            .filter(|s| !s.contains("CAST (app.label"))
            .collect::<Vec<_>>()
            .join("\n\n")
    };
    assert_same_text(
        &without_cast(src.dump_schema(&[]).unwrap()),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
    assert_eq!(
        dst.query("SELECT string_agg(name::text || ':' || coalesce(names::text, '-'), ',' ORDER BY id) FROM app.tags")
            .unwrap()[0][0],
        "red:{a,b},blue:-"
    );
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn base_and_shell_types_clone_renamed_within_one_database() {
    let src = db_with("base_same", BASE);
    let (opts, report) =
        clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"]))
            .await
            .unwrap();
    assert_same_text(
        &src.dump_schema(&["app"]).unwrap(),
        &src.dump_schema(&["app_copy"]).unwrap().replace("app_copy", "app"),
    );
    assert_eq!(
        src.query("SELECT count(*) FROM app_copy.tags WHERE name::text = 'red'").unwrap()[0][0],
        "1"
    );
    assert_clean(&verify_after(&opts, &report).await);
}
