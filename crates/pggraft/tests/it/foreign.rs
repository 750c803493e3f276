//! Foreign tables (issue #11), with what they need: the servers they use, those servers' user
//! mappings and the wrapper's extension. Servers belong to the database: a copy creates those
//! the target lacks and uses those it has. Passwords never appear in what pggraft prints.

use pg_sandbox::TestDb;
use pggraft::catalog::read_catalog;
use pggraft::clone as clone_api;
use pggraft::select::SchemaFilter;

use crate::common::*;
use crate::fidelity::{assert_clean, clone_with, schema_args, verify_after};

/// The user mappings' passwords: none of them may be printed.
const SECRETS: [&str; 2] = ["S3cret-public-pw", "S3cret-admin-pw"];

const FOREIGN: &str = "
    CREATE EXTENSION postgres_fdw;
    CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw
        OPTIONS (host 'localhost', dbname 'elsewhere', port '5432');
    COMMENT ON SERVER remote IS 'the other shop';
    CREATE USER MAPPING FOR PUBLIC SERVER remote
        OPTIONS (user 'reader', password 'S3cret-public-pw');
    CREATE USER MAPPING FOR postgres SERVER remote
        OPTIONS (user 'admin', password 'S3cret-admin-pw');
    CREATE EXTENSION file_fdw;
    CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
    CREATE SCHEMA app;
    CREATE TABLE app.local (id int PRIMARY KEY, note text);
    CREATE FOREIGN TABLE app.remote_items (
        id int OPTIONS (column_name 'item_id') NOT NULL,
        name text COLLATE \"C\",
        price numeric DEFAULT 0 CHECK (price >= 0)
    ) SERVER remote OPTIONS (schema_name 'public', table_name 'items');
    COMMENT ON FOREIGN TABLE app.remote_items IS 'items kept elsewhere';
    COMMENT ON COLUMN app.remote_items.name IS 'as the other shop spells it';
    CREATE FOREIGN TABLE app.csv (a int, b text) SERVER files
        OPTIONS (filename '/dev/null', format 'csv');
    CREATE TABLE app.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE app.events_2024 PARTITION OF app.events
        FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE FOREIGN TABLE app.events_old PARTITION OF app.events
        FOR VALUES FROM ('2000-01-01') TO ('2024-01-01')
        SERVER remote OPTIONS (table_name 'events_old');
    CREATE INDEX events_at ON app.events (at);
    CREATE VIEW app.cheap AS SELECT id, name FROM app.remote_items WHERE price < 10;
    INSERT INTO app.local VALUES (1, 'a'), (2, 'b');
    INSERT INTO app.events VALUES (1, '2024-05-01');";

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))[0][0].clone()
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows a password:\n{text}");
    }
}

#[tokio::test]
async fn foreign_tables_clone_with_their_servers_and_user_mappings() {
    let src = db_with("fdw_src", FOREIGN);
    let dst = db_with("fdw_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
    // The passwords reached the target, and nothing printed shows them.
    assert_eq!(
        one(
            &dst,
            "SELECT string_agg(array_to_string(umoptions, ','), ';' ORDER BY umuser) FROM pg_user_mapping"
        ),
        "user=reader,password=S3cret-public-pw;user=admin,password=S3cret-admin-pw"
    );
    let w = report.warnings.join("\n");
    assert_no_secret("the clone report", &w);
    assert!(w.contains("user mapping for PUBLIC on server remote: option password"), "{w}");
    assert!(w.contains("'********'"), "{w}");
    // Foreign tables hold no rows of their own: none copied, none counted.
    let mut copied: Vec<String> = report.tables.iter().map(|t| t.source.to_string()).collect();
    copied.sort();
    assert_eq!(copied, ["app.events_2024", "app.local"]);
    let v = verify_after(&opts, &report).await;
    assert_clean(&v);
    assert!(v.tables.iter().all(|t| !t.source.name.contains("remote")), "{:?}", v.tables);
    assert_eq!(one(&dst, "SELECT count(*) FROM app.local"), "2");
}

#[tokio::test]
async fn foreign_tables_clone_renamed_within_one_database() {
    let src = db_with("fdw_same", FOREIGN);
    let (opts, report) =
        clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"]))
            .await
            .unwrap();
    assert_same_text(
        &src.dump_schema(&["app"]).unwrap(),
        &src.dump_schema(&["app_copy"]).unwrap().replace("app_copy", "app"),
    );
    // The copy shares the database's servers and mappings.
    assert_eq!(one(&src, "SELECT count(*) FROM pg_foreign_server"), "2");
    assert_eq!(one(&src, "SELECT count(*) FROM pg_user_mapping"), "2");
    assert!(report.warnings.iter().all(|w| !w.contains("server")), "{:?}", report.warnings);
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn printed_sql_and_snapshots_hide_user_mapping_passwords() {
    let src = db_with("fdw_print", FOREIGN);
    let dst = db_with("fdw_print_dst", "");
    let cat = read_catalog(&spec(&src), &SchemaFilter::only(["app"])).await.unwrap();
    let sql = pggraft::ddl::to_sql(&cat);
    assert_no_secret("inspect", &sql);
    assert!(
        sql.contains(
            "CREATE USER MAPPING IF NOT EXISTS FOR PUBLIC SERVER remote OPTIONS (\"user\" 'reader', password '********')"
        ),
        "{sql}"
    );
    assert!(sql.contains("-- warning: user mapping for PUBLIC on server remote: option password"));
    let json = cat.to_json();
    assert_no_secret("the JSON snapshot", &json);
    assert_no_secret("the model's Debug", &format!("{cat:?}"));
    // `clone --dry-run` prints the same statements; the ones that run carry the secret.
    let mut opts = clone_api::CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas = schema_args(&["app"]);
    let prepared = clone_api::prepare(&opts).await.unwrap();
    let script = prepared.script();
    assert_no_secret("clone --dry-run", &script);
    assert!(script.contains("password '********'"), "{script}");
    assert!(prepared.job.structure.iter().any(|s| s.executable().contains(SECRETS[0])));
    assert_no_secret("the job's Debug", &format!("{:?}", prepared.job.structure));
    // A diff from an empty database writes them as the placeholder, and says so.
    let empty = Default::default();
    let m = pggraft::diff::diff(&empty, &cat, &Default::default()).unwrap();
    assert_no_secret("diff", &m.script());
    assert!(m.warnings.iter().any(|w| w.contains("set its value by hand")), "{:?}", m.warnings);
}

#[tokio::test]
async fn a_server_the_target_has_is_used_and_other_options_are_named() {
    let src = db_with("fdw_has_src", FOREIGN);
    let dst = db_with(
        "fdw_has_dst",
        "CREATE EXTENSION postgres_fdw;
         CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'db2', dbname 'x');
         CREATE USER MAPPING FOR PUBLIC SERVER remote OPTIONS (user 'mine');",
    );
    let (_, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    let w = report.warnings.join("\n");
    assert!(w.contains("foreign server remote exists on the target with other options"), "{w}");
    assert_no_secret("the clone report", &w);
    // The target's server and its PUBLIC mapping stay as they were; the missing one is added.
    assert_eq!(
        one(
            &dst,
            "SELECT array_to_string(srvoptions, ',') FROM pg_foreign_server WHERE srvname = 'remote'"
        ),
        "host=db2,dbname=x"
    );
    assert_eq!(
        one(
            &dst,
            "SELECT string_agg(array_to_string(umoptions, ','), ';' ORDER BY umuser) FROM pg_user_mapping"
        ),
        "user=mine;user=admin,password=S3cret-admin-pw"
    );
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_foreign_server WHERE srvname = 'files'"), "1");
    assert_eq!(
        one(
            &dst,
            "SELECT ftoptions::text FROM pg_foreign_table WHERE ftrelid = 'app.remote_items'::regclass"
        ),
        "{schema_name=public,table_name=items}"
    );
}

#[tokio::test]
async fn user_mappings_a_reader_may_not_see_are_created_without_options() {
    let src = db_with("fdw_reader_src", FOREIGN);
    let (role, password) = ("pggraft_fdw_reader", "Fdw-Reader-Pass-3");
    cluster().create_role(role, password, false).unwrap();
    src.psql(&format!(
        "GRANT USAGE ON SCHEMA app TO {role}; GRANT SELECT ON ALL TABLES IN SCHEMA app TO {role};"
    ))
    .unwrap();
    let c = cluster();
    let url = format!("postgres://{role}:{password}@{}:{}/{}", c.host(), c.port(), src.name());
    let dst = db_with("fdw_reader_dst", "");
    let mut opts =
        clone_api::CloneOptions::new(pggraft::conn::ConnSpec::parse(&url).unwrap(), spec(&dst));
    opts.naming.schemas = schema_args(&["app"]);
    opts.schema_only = true;
    let prepared = clone_api::prepare(&opts).await.unwrap();
    let report = clone_api::run(&opts, prepared, &pggraft::engine::NoProgress, None).await.unwrap();
    let w = report.warnings.join("\n");
    assert!(w.contains("user mapping for PUBLIC on server remote created without options"), "{w}");
    assert_eq!(one(&dst, "SELECT count(*) || ':' || count(umoptions) FROM pg_user_mapping"), "2:0");
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_foreign_table"), "3");
}

#[tokio::test]
async fn a_wrapper_no_extension_provides_must_be_on_the_target() {
    let sql = "CREATE FOREIGN DATA WRAPPER pggraft_plain_fdw;
        CREATE SERVER plain FOREIGN DATA WRAPPER pggraft_plain_fdw OPTIONS (where_to 'nowhere');
        CREATE SCHEMA app;
        CREATE FOREIGN TABLE app.r (id int) SERVER plain;";
    let src = db_with("fdw_plain_src", sql);
    let dst = db_with("fdw_plain_dst", "");
    let err = clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"]))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("foreign-data wrapper pggraft_plain_fdw"), "{msg}");
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"), "0");
    dst.psql("CREATE FOREIGN DATA WRAPPER pggraft_plain_fdw").unwrap();
    clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
}
