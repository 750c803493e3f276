//! Realistic application schemas (`tests/data/apps/<app>/`), each cloned into another
//! database and renamed inside its own, and checked the way a DBA would: `pg_dump
//! --schema-only` of source and copy equal once names are mapped, every table's rows equal,
//! and pggraft's own verify clean (structure, sequences, row checksums).
//!
//! - `storefront`: a Rails app's structure.sql (sequences as defaults, monthly partitions,
//!   triggers keeping inventory, a statement trigger with transition tables, a matview,
//!   citext and trigram search from `public`, which is copied too);
//! - `saas`: multi-tenant with forced row-level security, domains over arrays, exclusion
//!   constraints through btree_gist, hash partitions, an audit trigger, pgcrypto, roles with
//!   column grants and default privileges;
//! - `forum`: a Rails app with everything in `public`, extensions too, renamed within its
//!   database as well (see its schema.sql for what it holds);
//! - `geo`: search over places with the extensions in a schema of their own (pg_trgm,
//!   btree_gin, fuzzystrmatch, pgcrypto, unaccent in a text search configuration), list
//!   partitions sub-partitioned by range, and PostGIS geography where it is installed.

use pg_sandbox::TestDb;

use crate::common::*;
use crate::fidelity::{assert_clean, clone_with, schema_args, verify_after};

struct App {
    name: &'static str,
    /// The schemas a clone copies.
    schemas: &'static [&'static str],
    sql: String,
    /// The renamed clone copies `public` too (as `public_copy`), sharing the extensions it
    /// holds with its source.
    rename_public: bool,
    /// Checks on the database holding the source and its renamed copy, after the copy.
    after_rename: Option<fn(&TestDb<'_>)>,
}

fn app(name: &'static str, schemas: &'static [&'static str], files: &[&str]) -> App {
    App { name, schemas, sql: files.join("\n"), rename_public: false, after_rename: None }
}

fn storefront() -> App {
    app(
        "storefront",
        &["public", "store"],
        &[
            include_str!("../data/apps/storefront/schema.sql"),
            include_str!("../data/apps/storefront/data.sql"),
        ],
    )
}

fn saas() -> App {
    app(
        "saas",
        &["saas"],
        &[include_str!("../data/apps/saas/schema.sql"), include_str!("../data/apps/saas/data.sql")],
    )
}

fn forum() -> App {
    App {
        rename_public: true,
        after_rename: Some(|db| {
            // The copy's trigger names the copy's configuration: the name is a string the
            // dump comparison maps back either way.
            let def = db
                .query(
                    "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t \
                     WHERE t.tgrelid = 'public_copy.posts'::regclass \
                     AND t.tgname = 'trigger_posts_on_tag_index_update'",
                )
                .unwrap();
            assert!(def[0][0].contains("'public_copy.forum_search'"), "{}", def[0][0]);
        }),
        ..app(
            "forum",
            &["public"],
            &[
                include_str!("../data/apps/forum/schema.sql"),
                include_str!("../data/apps/forum/data.sql"),
            ],
        )
    }
}

fn geo(with_postgis: bool) -> App {
    let mut files = vec![
        include_str!("../data/apps/geo/schema.sql"),
        include_str!("../data/apps/geo/data.sql"),
    ];
    if with_postgis {
        files.push(include_str!("../data/apps/geo/postgis.sql"));
    }
    app("geo", &["extensions", "geo"], &files)
}

/// Every table's `(count, sum of row hashes)` equal in both, `map` giving the copy's schema.
fn assert_same_rows(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
    schemas: &[&str],
    map: &dyn Fn(&str) -> String,
) {
    let tables = tables_of(src, schemas);
    assert!(!tables.is_empty());
    for (s, t) in tables {
        let a = table_hash(src, &quote_qualified(&s, &t));
        let b = table_hash(dst, &quote_qualified(&map(&s), &t));
        assert_eq!(a, b, "rows of {s}.{t} differ");
    }
}

/// The copy's dump with its schema names mapped back to the source's. pg_dump leaves out
/// the privileges initdb gives `public`; a copy of it holds them as a schema of its own.
fn mapped_dump(db: &TestDb<'_>, renames: &[(&str, &str)]) -> String {
    let copies: Vec<&str> = renames.iter().map(|(_, to)| *to).collect();
    let mut dump = db.dump_schema(&copies).unwrap();
    for (from, to) in renames {
        dump = dump
            .replace(&format!("{to}."), &format!("{from}."))
            .replace(&format!("SCHEMA {to}"), &format!("SCHEMA {from}"))
            .replace(&format!("'{to}'"), &format!("'{from}'"));
    }
    dump.replace("\n\nGRANT USAGE ON SCHEMA public TO PUBLIC;\n", "\n")
}

async fn clones_faithfully(app: App) {
    let src = db_with(&format!("app_{}_src", app.name), &app.sql);

    // Into another database, under the same names.
    let dst = db_with(&format!("app_{}_dst", app.name), "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(app.schemas)).await.unwrap();
    assert!(report.total_rows() > 1000, "{} rows", report.total_rows());
    assert_clean(&verify_after(&opts, &report).await);
    // The whole database dumps the same: the extensions the clone created included.
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
    assert_same_rows(&src, &dst, app.schemas, &|s| s.to_string());

    // Renamed, inside the same database (it shares the source's extensions, so a schema
    // holding nothing but extensions is not copied; and pg_dump leaves out the privileges
    // `public` has from initdb, but not the same on another schema, so it stays too).
    let renamed: Vec<(&str, String)> = app
        .schemas
        .iter()
        .filter(|s| **s != "extensions" && (**s != "public" || app.rename_public))
        .map(|s| (*s, format!("{s}_copy")))
        .collect();
    let args: Vec<String> = renamed.iter().map(|(s, t)| format!("{s}={t}")).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (opts, report) =
        clone_with(&src, &src, |o| o.naming.schemas = schema_args(&args)).await.unwrap();
    assert_eq!(report.strategy, "insert-select");
    assert_clean(&verify_after(&opts, &report).await);
    let sources: Vec<&str> = renamed.iter().map(|(s, _)| *s).collect();
    let pairs: Vec<(&str, &str)> = renamed.iter().map(|(s, t)| (*s, t.as_str())).collect();
    assert_same_text(&src.dump_schema(&sources).unwrap(), &mapped_dump(&src, &pairs));
    let map = |s: &str| format!("{s}_copy");
    assert_same_rows(&src, &src, &sources, &map);
    if let Some(check) = app.after_rename {
        check(&src);
    }
}

#[tokio::test]
async fn storefront_rails_schema_clones_faithfully() {
    clones_faithfully(storefront()).await;
}

#[tokio::test]
async fn saas_multi_tenant_schema_clones_faithfully() {
    clones_faithfully(saas()).await;
}

/// Everything in `public`, extensions included, renamed in the same database too: functions
/// calling the extensions' functions keep calling them (the copy shares them), a table
/// clustered on its primary key stays so, and a materialized view refreshed before its tables
/// changed does not make the copy differ (`verify` compares it with what its query gives).
#[tokio::test]
async fn forum_rails_public_schema_clones_faithfully() {
    clones_faithfully(forum()).await;
}

#[tokio::test]
async fn geo_search_schema_clones_faithfully() {
    let probe = db_with("geo_probe", "");
    let postgis = !probe
        .query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        .unwrap()
        .is_empty();
    if !postgis {
        eprintln!("geo: PostGIS is not installed; its part of the schema is left out");
    }
    clones_faithfully(geo(postgis)).await;
}
