//! `map`: rows moved into a differently shaped schema — renames, transforms,
//! a filter, a split, a merge, same-named columns — by each strategy, all
//! or nothing, and every bad mapping refused with its line before anything
//! is written. Judged by the target's rows next to what the mapping makes
//! of the source's, computed by the source server itself.

use pg_sandbox::TestDb;
use pggraft::Error;
use pggraft::engine::NoProgress;
use pggraft::map::{self, MapError, MapOptions, Mapping, ProblemKind, SchemaFile, StrategyChoice};

use crate::common::*;

/// The old schema, as an application has it.
const OLD: &str = "
    CREATE TABLE old_users (
        id int PRIMARY KEY, full_name text NOT NULL, email text, deleted_at timestamptz,
        created date NOT NULL DEFAULT '2020-01-01'
    );
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price_cents int NOT NULL);
    CREATE TABLE orders (id int PRIMARY KEY, user_id int NOT NULL, item_sku text, qty int);
    CREATE TABLE user_profiles (user_id int PRIMARY KEY, bio text);
    CREATE TABLE user_settings (user_id int PRIMARY KEY, theme text);
    INSERT INTO old_users SELECT g, 'User ' || g, 'U' || g || '@Example.COM',
        CASE WHEN g % 10 = 0 THEN now() END, DATE '2020-01-01' + g FROM generate_series(1, 500) g;
    INSERT INTO products SELECT g, 'product ' || g, g * 137 FROM generate_series(1, 200) g;
    INSERT INTO orders SELECT g, 1 + g % 500, 'SKU-' || (g % 200), g % 7
        FROM generate_series(1, 2000) g WHERE (1 + g % 500) % 10 <> 0;
    INSERT INTO user_profiles SELECT g, 'bio ' || g FROM generate_series(1, 300) g;
    INSERT INTO user_settings SELECT g, CASE WHEN g % 2 = 0 THEN 'dark' ELSE 'light' END
        FROM generate_series(1, 300, 3) g;
    ANALYZE;
";

/// The new schema: renamed columns, dollars instead of cents, orders split
/// in two, profiles and settings merged, a column left to its default.
const NEW: &str = "
    CREATE TABLE users (
        id int PRIMARY KEY, display_name text NOT NULL, email text NOT NULL, created date,
        migrated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL);
    CREATE TABLE order_items (order_id int PRIMARY KEY, sku text, qty int);
    CREATE TABLE order_owners (order_id int PRIMARY KEY, user_id int NOT NULL REFERENCES users (id));
    CREATE TABLE profiles (id int PRIMARY KEY, bio text, theme text);
";

const MAPPING: &str = r#"
[tables.users]
from = "old_users"
where = "deleted_at IS NULL"
[tables.users.columns]
display_name = "full_name"
email = "lower(email)"

[tables.products]
columns = { price = "(price_cents::numeric / 100)::numeric(10,2)" }

[tables.order_items]
from = "orders"
columns = { order_id = "id", sku = "item_sku" }

[tables.order_owners]
from = "orders"
columns = { order_id = "id" }

[tables.profiles]
query = "SELECT p.user_id AS id, p.bio, s.theme FROM user_profiles p LEFT JOIN user_settings s USING (user_id)"
key = ["id"]
"#;

/// What the target must hold, table by table, as the source computes it.
const EXPECTED: &[(&str, &str, &str)] = &[
    (
        "users",
        "SELECT id, full_name, lower(email), created FROM old_users WHERE deleted_at IS NULL",
        "SELECT id, display_name, email, created FROM users",
    ),
    (
        "products",
        "SELECT id, name, round(price_cents / 100.0, 2) FROM products",
        "SELECT id, name, price FROM products",
    ),
    ("order_items", "SELECT id, item_sku, qty FROM orders", "SELECT * FROM order_items"),
    ("order_owners", "SELECT id, user_id FROM orders", "SELECT * FROM order_owners"),
    (
        "profiles",
        "SELECT p.user_id, p.bio, s.theme FROM user_profiles p LEFT JOIN user_settings s USING (user_id)",
        "SELECT * FROM profiles",
    ),
];

/// `count:sum of row hashes` of a query's rows.
fn hash_of(db: &TestDb<'_>, query: &str) -> String {
    let sql = format!(
        "SELECT count(*) || ':' || COALESCE(sum(hashtextextended(t::text, 0)), 0) FROM ({query}) t"
    );
    db.query(&sql).unwrap()[0][0].clone()
}

fn assert_mapped(src: &TestDb<'_>, dst: &TestDb<'_>) {
    for (table, expected, got) in EXPECTED {
        assert_eq!(hash_of(src, expected), hash_of(dst, got), "{table} differs");
    }
}

fn options(src: &TestDb<'_>, dst: &TestDb<'_>, mapping: &str) -> MapOptions {
    let m = Mapping::parse("mapping.toml", mapping).expect("mapping parses");
    MapOptions::new(spec(src), spec(dst), m)
}

fn counts(db: &TestDb<'_>, tables: &[&str]) -> Vec<String> {
    tables
        .iter()
        .map(|t| db.query(&format!("SELECT count(*) FROM {t}")).unwrap()[0][0].clone())
        .collect()
}

#[tokio::test]
async fn map_renames_transforms_filters_splits_and_merges_across_databases() {
    let src = db_with("map_src", OLD);
    let dst = db_with("map_dst", NEW);
    let opts = options(&src, &dst, MAPPING);

    let checked = map::check(&opts).await.unwrap();
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    // Every source column is read (`deleted_at` by the filter, `created` by its name).
    let unmapped: Vec<(String, Vec<String>)> =
        checked.unmapped.iter().map(|u| (u.table.name.clone(), u.columns.clone())).collect();
    assert!(unmapped.is_empty(), "{unmapped:?}");
    assert!(checked.defaults.iter().any(|(t, c)| t.name == "users" && c == "migrated_at"));

    // `auto` measures copy and fdw on a sample of each table first.
    let analysis = map::analyze::analyze(&opts, 1000).await.unwrap();
    for a in &analysis.tables {
        let measured: Vec<&str> = a.samples.iter().map(|s| s.strategy).collect();
        // A query names the source's own tables: no fdw for the merge.
        let expected: &[&str] = if a.target.name == "profiles" {
            &["copy (binary)"]
        } else {
            &["copy (binary)", "fdw"]
        };
        assert_eq!(measured, expected, "{a:?}");
        assert!(a.samples.iter().all(|s| s.rows_per_second > 0.0 && s.rows > 0), "{a:?}");
    }
    let users = analysis.tables.iter().find(|a| a.target.name == "users").unwrap();
    assert_eq!(users.rows, 500);
    let report = map::run(&opts, &NoProgress, None).await.unwrap();
    assert_mapped(&src, &dst);
    assert!(report.tables.iter().all(|t| t.measured), "{:?}", report.tables);
    assert_eq!(report.rows(), 450 + 200 + 2 * 1800 + 300);
    // Unmapped target columns took their defaults.
    let nulls = dst.query("SELECT count(*) FROM users WHERE migrated_at IS NULL").unwrap();
    assert_eq!(nulls[0][0], "0");

    // verify agrees, and a second run replaces the rows rather than adding.
    let v = map::verify::verify(&opts).await.unwrap();
    assert!(v.matches(), "{:?}", v.tables);
    map::run(&opts, &NoProgress, None).await.unwrap();
    assert_mapped(&src, &dst);
}

#[tokio::test]
async fn map_inside_one_database_runs_insert_select_or_copy_when_told() {
    let db = db_with("map_same", "");
    db.psql(&format!("CREATE SCHEMA old; SET search_path = old; {OLD}")).unwrap();
    db.psql(&format!("CREATE SCHEMA new; SET search_path = new; {NEW}")).unwrap();
    let qualified = MAPPING
        .replace("[tables.users]", "[tables.\"new.users\"]")
        .replace("[tables.users.columns]", "[tables.\"new.users\".columns]")
        .replace("[tables.products]", "[tables.\"new.products\"]\nfrom = \"old.products\"")
        .replace("[tables.order_items]", "[tables.\"new.order_items\"]")
        .replace("[tables.order_owners]", "[tables.\"new.order_owners\"]")
        .replace("[tables.profiles]", "[tables.\"new.profiles\"]")
        .replace("from = \"old_users\"", "from = \"old.old_users\"")
        .replace("from = \"orders\"", "from = \"old.orders\"")
        .replace(
            "FROM user_profiles p LEFT JOIN user_settings",
            "FROM old.user_profiles p LEFT JOIN old.user_settings",
        );
    let mut opts = options(&db, &db, &qualified);
    opts.strategy = Some(StrategyChoice::Server);
    let report = map::run(&opts, &NoProgress, None).await.unwrap();
    assert!(report.tables.iter().all(|t| t.strategy == "server"), "{:?}", report.tables);
    for (table, expected, got) in EXPECTED {
        let expected = expected
            .replace("FROM old_users", "FROM old.old_users")
            .replace("FROM products", "FROM old.products")
            .replace("FROM orders", "FROM old.orders")
            .replace(
                "FROM user_profiles p LEFT JOIN user_settings",
                "FROM old.user_profiles p LEFT JOIN old.user_settings",
            );
        let got = got.replace("FROM ", "FROM new.");
        assert_eq!(hash_of(&db, &expected), hash_of(&db, &got), "{table} differs");
    }

    // --strategy copy: the same rows, streamed through the client.
    db.psql("TRUNCATE new.order_owners, new.order_items, new.users, new.products, new.profiles")
        .unwrap();
    opts.strategy = Some(StrategyChoice::Copy);
    let report = map::run(&opts, &NoProgress, None).await.unwrap();
    assert!(report.tables.iter().all(|t| t.strategy.starts_with("copy")), "{:?}", report.tables);
    assert_eq!(report.rows(), 450 + 200 + 2 * 1800 + 300);
    let v = map::verify::verify(&opts).await.unwrap();
    assert!(v.matches(), "{:?}", v.tables);
}

/// Each bad mapping is refused with its kind and line, and the target is left as it was.
#[tokio::test]
async fn bad_mappings_are_refused_with_their_line_before_anything_is_written() {
    let src = db_with("map_bad_src", OLD);
    let dst = db_with("map_bad_dst", NEW);
    dst.psql("INSERT INTO users VALUES (1, 'kept', 'kept@example.com', NULL)").unwrap();
    let cases: &[(&str, &str, ProblemKind, usize)] = &[
        ("unknown table", "[tables.nope]\nfrom = \"old_users\"\n", ProblemKind::UnknownTable, 1),
        ("unknown source", "[tables.users]\nfrom = \"nope\"\n", ProblemKind::UnknownTable, 2),
        (
            "unknown column",
            "[tables.users]\nfrom = \"old_users\"\n[tables.users.columns]\ndisplay_name = \"full_name\"\nnickname = \"full_name\"\n",
            ProblemKind::UnknownColumn,
            5,
        ),
        (
            "expression that does not parse",
            "[tables.users]\nfrom = \"old_users\"\n[tables.users.columns]\ndisplay_name = \"full_name ||\"\n",
            ProblemKind::BadExpression,
            4,
        ),
        (
            "expression that does not type-check",
            "[tables.users]\nfrom = \"old_users\"\ncolumns = { display_name = \"fullname\" }\n",
            ProblemKind::BadExpression,
            3,
        ),
        (
            "type mismatch",
            "[tables.users]\nfrom = \"old_users\"\n\n[tables.users.columns]\ndisplay_name = \"full_name\"\ncreated = \"full_name\"\n",
            ProblemKind::TypeMismatch,
            6,
        ),
        (
            "duplicate target column",
            "[tables.users]\nfrom = \"old_users\"\n[tables.users.columns]\ndisplay_name = \"full_name\"\n\"display_name\" = \"email\"\n",
            ProblemKind::Syntax,
            5,
        ),
        (
            "merge without a key",
            "[tables.profiles]\nquery = \"SELECT user_id AS id, bio FROM user_profiles\"\n",
            ProblemKind::MergeWithoutKey,
            2,
        ),
        (
            "a bad filter",
            "[tables.products]\nfrom = \"products\"\nwhere = \"nope > 1\"\ncolumns = { price = \"price_cents\" }\n",
            ProblemKind::BadExpression,
            3,
        ),
        (
            "server across databases",
            "[tables.products]\nstrategy = \"server\"\ncolumns = { price = \"price_cents\" }\n",
            ProblemKind::Strategy,
            2,
        ),
    ];
    for (what, text, kind, line) in cases {
        let problems = match Mapping::parse("bad.toml", text) {
            Err(p) => p,
            Ok(m) => {
                let opts = MapOptions::new(spec(&src), spec(&dst), m);
                let checked = map::check(&opts).await.unwrap();
                match map::run(&opts, &NoProgress, None).await {
                    Err(Error::Map(MapError::Invalid { problems })) => {
                        assert_eq!(problems, checked.problems, "{what}");
                        problems
                    }
                    other => panic!("{what}: expected a refusal, got {other:?}"),
                }
            }
        };
        assert!(
            problems.iter().any(|p| p.kind == *kind && p.line == *line),
            "{what}: expected {kind:?} on line {line}, got {problems:#?}"
        );
        assert!(problems.iter().all(|p| p.to_string().starts_with("bad.toml:")), "{problems:?}");
    }
    assert_eq!(counts(&dst, &["users", "products", "profiles"]), ["1", "0", "0"]);

    // Source and target the same table (one database).
    let same =
        "[tables.products]\nfrom = \"products\"\ncolumns = { price_cents = \"price_cents + 1\" }\n";
    let opts = options(&src, &src, same);
    let checked = map::check(&opts).await.unwrap();
    assert_eq!(
        checked.problems.iter().map(|p| (p.kind, p.line)).collect::<Vec<_>>(),
        [(ProblemKind::SameTable, 2)]
    );
}

#[tokio::test]
async fn a_failed_run_leaves_every_target_table_as_it_was() {
    let src = db_with("map_fail_src", OLD);
    let dst = db_with("map_fail_dst", NEW);
    dst.psql("INSERT INTO users VALUES (1, 'kept', 'kept@example.com', NULL)").unwrap();
    let mut opts = options(&src, &dst, MAPPING);
    opts.fail_on_table = Some("profiles".into());
    let err = map::run(&opts, &NoProgress, None).await.unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    let all = ["users", "products", "order_items", "order_owners", "profiles"];
    assert_eq!(counts(&dst, &all), ["1", "0", "0", "0", "0"]);
}

#[tokio::test]
async fn a_schema_file_is_applied_first_and_kept_only_when_the_mapping_fits() {
    let src = db_with("map_schema_src", OLD);
    let dst = db_with("map_schema_dst", "");
    let schema = SchemaFile { name: "new.sql".into(), sql: NEW.into() };

    // A mapping that does not fit: refused, and the schema is not kept.
    let bad = format!("{MAPPING}\n[tables.users.columns]\n");
    assert!(Mapping::parse("m.toml", &bad).is_err());
    let mut opts = options(&src, &dst, &MAPPING.replace("lower(email)", "lower(emial)"));
    opts.schema_file = Some(schema.clone());
    let checked = map::check(&opts).await.unwrap();
    assert_eq!(checked.problems.len(), 1, "{:?}", checked.problems);
    assert!(matches!(map::run(&opts, &NoProgress, None).await, Err(Error::Map(_))));
    let tables = dst.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").unwrap();
    assert_eq!(tables[0][0], "0", "the schema file was kept after a refusal");

    let mut opts = options(&src, &dst, MAPPING);
    opts.schema_file = Some(schema);
    map::run(&opts, &NoProgress, None).await.unwrap();
    assert_mapped(&src, &dst);
}

#[tokio::test]
async fn verify_catches_a_wrong_expression_and_names_the_keys() {
    let src = db_with("map_verify_src", OLD);
    let dst = db_with("map_verify_dst", NEW);
    // The rows were moved with a wrong expression for a few users.
    let wrong = MAPPING.replace(
        "email = \"lower(email)\"",
        "email = \"CASE WHEN id IN (3, 42) THEN email ELSE lower(email) END\"",
    );
    map::run(&options(&src, &dst, &wrong), &NoProgress, None).await.unwrap();
    dst.psql("DELETE FROM order_owners WHERE order_id = 5; INSERT INTO profiles VALUES (9999, 'x', NULL)").unwrap();

    let v = map::verify::verify(&options(&src, &dst, MAPPING)).await.unwrap();
    assert!(!v.matches());
    let users = v.tables.iter().find(|t| t.target.name == "users").unwrap();
    assert_eq!(users.changed, ["3", "42"], "{users:?}");
    assert!(users.missing.is_empty() && users.extra.is_empty(), "{users:?}");
    let owners = v.tables.iter().find(|t| t.target.name == "order_owners").unwrap();
    assert_eq!(owners.missing, ["5"]);
    let profiles = v.tables.iter().find(|t| t.target.name == "profiles").unwrap();
    assert_eq!(profiles.extra, ["9999"]);
    let products = v.tables.iter().find(|t| t.target.name == "products").unwrap();
    assert!(products.matches);
}

/// [`MAPPING`] without its merge (a query reads the source's own tables, which the fdw
/// strategy cannot).
fn tables_only() -> String {
    MAPPING.split("[tables.profiles]").next().unwrap().to_string()
}

#[tokio::test]
async fn fdw_strategy_reads_another_cluster_with_a_scram_password_and_cleanup_drops_only_its_own() {
    let src = db_with("map_fdw_src", OLD);
    let c = cluster();
    c.create_role("map_fdw_reader", "s3cret-scram", false).unwrap();
    src.psql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO map_fdw_reader").unwrap();
    let other = pg_sandbox::Cluster::start().unwrap();
    let dst = other.create_database("map_fdw_dst").unwrap();
    dst.psql(NEW).unwrap();
    dst.psql("CREATE SCHEMA mine; COMMENT ON SCHEMA mine IS 'a user''s'").unwrap();
    let url = format!(
        "postgres://map_fdw_reader:s3cret-scram@{}:{}/{}?sslmode=prefer",
        c.host(),
        c.port(),
        src.name()
    );
    let source = pggraft::conn::ConnSpec::parse(&url).unwrap();
    let m = Mapping::parse("mapping.toml", &tables_only()).unwrap();
    let mut opts = MapOptions::new(source, spec(&dst), m);
    opts.strategy = Some(StrategyChoice::Fdw);

    // The check sets the foreign tables up in a transaction it rolls back; the script it
    // prints hides the password.
    let checked = map::check(&opts).await.unwrap();
    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
    assert!(checked.script.contains("password '********'"), "{}", checked.script);
    assert!(!checked.script.contains("s3cret"), "{}", checked.script);
    assert!(checked.script.contains("IMPORT FOREIGN SCHEMA public LIMIT TO"), "{}", checked.script);
    let servers = dst.query("SELECT count(*) FROM pg_foreign_server").unwrap();
    assert_eq!(servers[0][0], "0", "check left a foreign server");

    let report = map::run(&opts, &NoProgress, None).await.unwrap();
    assert!(report.tables.iter().all(|t| t.strategy == "fdw"), "{:?}", report.tables);
    assert!(!format!("{report:?}").contains("s3cret"));
    for (table, expected, got) in &EXPECTED[..4] {
        assert_eq!(hash_of(&src, expected), hash_of(&dst, got), "{table} differs");
    }
    let options = dst
        .query("SELECT array_to_string(srvoptions, ' ') FROM pg_foreign_server WHERE srvname = 'pggraft_map_source'")
        .unwrap();
    let options = &options[0][0];
    assert!(options.contains(&format!("port={}", c.port())), "{options}");
    assert!(options.contains("sslmode=prefer"), "{options}");
    // Only the mapped tables were imported.
    let imported = dst.query("SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_foreign_table f JOIN pg_class c ON c.oid = f.ftrelid").unwrap();
    assert_eq!(imported[0][0], "old_users orders products");

    // A second run replaces what the first set up.
    map::run(&opts, &NoProgress, None).await.unwrap();

    let done = map::fdw::cleanup(&spec(&dst)).await.unwrap();
    assert!(done.server && done.extension, "{done:?}");
    assert_eq!(done.schemas, ["pggraft_map_public"]);
    let left = dst
        .query(
            "SELECT (SELECT count(*) FROM pg_foreign_server), \
             (SELECT count(*) FROM pg_extension WHERE extname = 'postgres_fdw'), \
             (SELECT string_agg(nspname, ' ') FROM pg_namespace WHERE nspname IN ('mine', 'pggraft_map_public'))",
        )
        .unwrap();
    assert_eq!(left, [["0", "0", "mine"]]);
    assert_eq!(counts(&dst, &["users"]), ["450"], "cleanup touched the data");
}

/// Gives a private cluster a self-signed certificate, turns TLS on, and
/// refuses `role` any connection that is not encrypted: a connection that
/// succeeds as `role` is a TLS one.
fn require_tls_for(c: &pg_sandbox::Cluster, role: &str) {
    let data = c.data_dir().expect("a private cluster");
    let status = std::process::Command::new("openssl")
        .args(["req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(data.join("server.key"))
        .arg("-out")
        .arg(data.join("server.crt"))
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl req failed");
    // The server runs as `postgres` when the tests run as root; it wants its
    // key readable by itself alone.
    for f in ["server.key", "server.crt"] {
        let path = data.join(f);
        let _ =
            std::process::Command::new("chown").arg("--reference").arg(data).arg(&path).status();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    }
    let hba = data.join("pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).unwrap();
    std::fs::write(&hba, format!("hostnossl all {role} all reject\n{rules}")).unwrap();
    c.psql("postgres", "ALTER SYSTEM SET ssl = on").unwrap();
    c.psql("postgres", "SELECT pg_reload_conf()").unwrap();
    // The reload is asynchronous: wait until the server answers with TLS.
    for _ in 0..50 {
        if c.query("postgres", "SHOW ssl").unwrap()[0][0] == "on" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The fdw strategy across clusters with `sslmode=require`, the source
/// refusing the reading role every unencrypted connection: pggraft's own
/// sessions and postgres_fdw's (which gets the source's sslmode in its
/// server options) both read it over TLS, with a scram password.
#[tokio::test]
async fn fdw_strategy_reads_a_source_that_requires_tls() {
    let tls = pg_sandbox::Cluster::start().unwrap();
    tls.create_role("map_tls_reader", "s3cret-tls", false).unwrap();
    let src = tls.create_database("map_tls_src").unwrap();
    src.psql(OLD).unwrap();
    src.psql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO map_tls_reader").unwrap();
    require_tls_for(&tls, "map_tls_reader");
    let dst = db_with("map_tls_dst", NEW);
    let url = |mode: &str| {
        format!(
            "postgres://map_tls_reader:s3cret-tls@{}:{}/{}?sslmode={mode}",
            tls.host(),
            tls.port(),
            src.name()
        )
    };
    // Without TLS the source says no: the rule above is in force.
    let plain = pggraft::conn::ConnSpec::parse(&url("disable")).unwrap();
    assert!(plain.connect().await.is_err(), "an unencrypted connection was let in");

    let source = pggraft::conn::ConnSpec::parse(&url("require")).unwrap();
    let m = Mapping::parse("mapping.toml", &tables_only()).unwrap();
    let mut opts = MapOptions::new(source, spec(&dst), m);
    opts.strategy = Some(StrategyChoice::Fdw);
    let report = map::run(&opts, &NoProgress, None).await.unwrap();
    assert!(report.tables.iter().all(|t| t.strategy == "fdw"), "{:?}", report.tables);
    for (table, expected, got) in &EXPECTED[..4] {
        assert_eq!(hash_of(&src, expected), hash_of(&dst, got), "{table} differs");
    }
    let options = dst
        .query("SELECT array_to_string(srvoptions, ' ') FROM pg_foreign_server WHERE srvname = 'pggraft_map_source'")
        .unwrap();
    assert!(options[0][0].contains("sslmode=require"), "{}", options[0][0]);
    map::fdw::cleanup(&spec(&dst)).await.unwrap();
}
