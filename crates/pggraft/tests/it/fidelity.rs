//! Fidelity on schemas as applications write them (issue #11): tables with
//! nothing to copy but rows, extensions nothing references, objects hanging
//! off extension members, per-column statistics of expression indexes.
//! Each test is named after what broke, and asserts on the target's catalog
//! and data.

use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions, CloneReport};
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;
use pggraft::verify::{VerifyOptions, VerifyReport, verify};

use crate::common::*;

pub(crate) async fn clone_with(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
    setup: impl FnOnce(&mut CloneOptions),
) -> pggraft::Result<(CloneOptions, CloneReport)> {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 2;
    opts.index_jobs = 2;
    setup(&mut opts);
    let plan = clone_api::prepare(&opts).await?;
    let report = clone_api::run(&opts, plan, &NoProgress, None).await?;
    Ok((opts, report))
}

/// The verification `pggraft clone` runs after copying.
pub(crate) async fn verify_after(opts: &CloneOptions, report: &CloneReport) -> VerifyReport {
    verify(&VerifyOptions::after_clone(opts, report)).await.expect("verify the copy")
}

pub(crate) fn assert_clean(v: &VerifyReport) {
    assert!(
        v.is_clean(),
        "verify found differences:\nschema: {:#?}\ntables: {:#?}\nsequences: {:#?}",
        v.schema,
        v.differing_tables().collect::<Vec<_>>(),
        v.differing_sequences().collect::<Vec<_>>()
    );
}

pub(crate) fn schema_args(args: &[&str]) -> Vec<SchemaArg> {
    args.iter().map(|a| SchemaArg::parse(a).unwrap()).collect()
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))[0][0].clone()
}

const NOTHING_TO_COPY: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.g (nb int GENERATED ALWAYS AS (1) STORED);
    CREATE TABLE app.z ();
    CREATE TABLE app.gz (a int GENERATED ALWAYS AS (2) STORED, b text GENERATED ALWAYS AS ('x') STORED);
    -- A column of an array of a user enum moves as text, not binary.
    CREATE TYPE app.m AS ENUM ('a', 'b');
    CREATE TABLE app.gt (x app.m[] GENERATED ALWAYS AS (ARRAY['b'::app.m]) STORED);
    INSERT INTO app.g SELECT FROM generate_series(1, 7);
    INSERT INTO app.gt SELECT FROM generate_series(1, 4);
    INSERT INTO app.z SELECT FROM generate_series(1, 5);
    INSERT INTO app.gz SELECT FROM generate_series(1, 3);";

fn assert_nothing_to_copy_rows(dst: &TestDb<'_>, schema: &str) {
    assert_eq!(one(dst, &format!("SELECT count(*) FROM {schema}.g")), "7");
    assert_eq!(one(dst, &format!("SELECT sum(nb) FROM {schema}.g")), "7");
    assert_eq!(one(dst, &format!("SELECT count(*) FROM {schema}.z")), "5");
    assert_eq!(one(dst, &format!("SELECT count(*) || b FROM {schema}.gz GROUP BY b")), "3x");
    assert_eq!(
        one(dst, &format!("SELECT count(*) || x::text FROM {schema}.gt GROUP BY x")),
        "4{b}"
    );
}

#[tokio::test]
async fn all_generated_columns_table_copies_its_rows() {
    // Other database: COPY, binary and text.
    let src = db_with("allgen_src", NOTHING_TO_COPY);
    for strategy in [clone_api::StrategyChoice::Copy, clone_api::StrategyChoice::Auto] {
        let dst = db_with("allgen_dst", "");
        let (opts, report) = clone_with(&src, &dst, |o| {
            o.naming.schemas = schema_args(&["app"]);
            o.strategy = strategy;
        })
        .await
        .unwrap();
        assert_nothing_to_copy_rows(&dst, "app");
        assert_eq!(report.total_rows(), 19);
        assert_clean(&verify_after(&opts, &report).await);
    }
}

#[tokio::test]
async fn zero_column_table_copies_its_rows_in_the_same_database() {
    // The same database: INSERT … SELECT, and a split into page ranges.
    let db = db_with("allgen_same", NOTHING_TO_COPY);
    let (opts, report) = clone_with(&db, &db, |o| {
        o.naming.schemas = schema_args(&["app=app_copy"]);
        o.split_larger_than = Some(1);
    })
    .await
    .unwrap();
    assert_eq!(report.strategy, "insert-select");
    assert_nothing_to_copy_rows(&db, "app_copy");
    assert_clean(&verify_after(&opts, &report).await);
}

fn extensions_of(db: &TestDb<'_>) -> Vec<String> {
    db.query(
        "SELECT e.extname || ' ' || e.extversion || ' in ' || n.nspname FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1",
    )
    .unwrap()
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

#[tokio::test]
async fn unreferenced_extensions_of_a_cloned_schema_are_created() {
    // Nothing copied uses them; pg_dump creates them all the same.
    let src = db_with(
        "unref_ext_src",
        "CREATE EXTENSION fuzzystrmatch WITH SCHEMA public;
         CREATE EXTENSION pgcrypto WITH SCHEMA public;
         CREATE EXTENSION pgstattuple WITH SCHEMA public;
         CREATE SCHEMA app;
         CREATE EXTENSION citext VERSION '1.5' SCHEMA app;
         CREATE EXTENSION pg_trgm SCHEMA app;
         CREATE TABLE app.users (id int PRIMARY KEY, email app.citext);
         INSERT INTO app.users VALUES (1, 'A@x');
         CREATE TABLE public.t (id int); INSERT INTO public.t VALUES (1);",
    );
    let dst = db_with("unref_ext_dst", "");
    let (opts, report) = clone_with(&src, &dst, |_| {}).await.unwrap();
    assert_eq!(extensions_of(&dst), extensions_of(&src));
    assert!(extensions_of(&dst).contains(&"citext 1.5 in app".to_string()));
    assert_clean(&verify_after(&opts, &report).await);
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
}

#[tokio::test]
async fn extension_of_a_cloned_schema_other_than_public_is_created_there() {
    let src = db_with(
        "ext_app_src",
        "CREATE SCHEMA app;
         CREATE EXTENSION citext SCHEMA app;
         CREATE EXTENSION fuzzystrmatch SCHEMA app;
         CREATE TABLE app.users (id int PRIMARY KEY, email app.citext);
         INSERT INTO app.users VALUES (1, 'A@x');",
    );
    let dst = db_with("ext_app_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_eq!(extensions_of(&dst), ["citext 1.6 in app", "fuzzystrmatch 1.1 in app"]);
    assert_eq!(one(&dst, "SELECT count(*) FROM app.users WHERE email OPERATOR(app.=) 'a@X'"), "1");
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn extension_version_missing_on_the_target_is_refused_before_anything_is_written() {
    let src = db_with(
        "ext_ver_src",
        "CREATE SCHEMA app; CREATE EXTENSION fuzzystrmatch SCHEMA app;
         CREATE TABLE app.t (id int);
         -- A version the target's server does not have.
         UPDATE pg_extension SET extversion = '0.9' WHERE extname = 'fuzzystrmatch';",
    );
    let dst = db_with("ext_ver_dst", "");
    let before = dst.dump_schema(&[]).unwrap();
    let err = clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"]))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("fuzzystrmatch") && msg.contains("0.9"), "{msg}");
    assert!(msg.contains("--skip-extensions"), "{msg}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);
    // With --skip-extensions the clone goes ahead, says what it left out,
    // and creates nothing.
    let (_, report) = clone_with(&src, &dst, |o| {
        o.naming.schemas = schema_args(&["app"]);
        o.skip_extensions = true;
    })
    .await
    .unwrap();
    assert!(report.warnings.iter().any(|w| w.contains("fuzzystrmatch")), "{:?}", report.warnings);
    assert!(extensions_of(&dst).is_empty());
    assert_eq!(one(&dst, "SELECT count(*) FROM app.t"), "0");
}

#[tokio::test]
async fn extension_of_a_renamed_schema_follows_it_into_the_other_database() {
    let src = db_with(
        "ext_ren_src",
        "CREATE SCHEMA app;
         CREATE EXTENSION citext SCHEMA app;
         CREATE EXTENSION pg_trgm SCHEMA app;
         CREATE TABLE app.users (id int PRIMARY KEY, email app.citext NOT NULL, name text);
         CREATE INDEX users_name_trgm ON app.users USING gin (name app.gin_trgm_ops);
         CREATE FUNCTION app.similar_names(q text) RETURNS SETOF app.users LANGUAGE sql STABLE
           AS $$ SELECT * FROM app.users WHERE app.similarity(name, q) > 0.3 $$;
         INSERT INTO app.users VALUES (1, 'A@x', 'alice'), (2, 'B@x', 'bob');",
    );
    let dst = db_with("ext_ren_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app=dw_app"])).await.unwrap();
    assert_eq!(extensions_of(&dst), ["citext 1.6 in dw_app", "pg_trgm 1.6 in dw_app"]);
    let idx = one(&dst, "SELECT pg_get_indexdef('dw_app.users_name_trgm'::regclass)");
    assert!(idx.contains("dw_app.gin_trgm_ops"), "{idx}");
    assert_eq!(one(&dst, "SELECT count(*) FROM dw_app.similar_names('alice')"), "1");
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn failed_clone_into_a_schema_built_in_place_gives_the_target_schema_back() {
    let src = db_with(
        "ext_abort_src",
        "CREATE EXTENSION pgcrypto WITH SCHEMA public;
         CREATE TABLE public.t (id int); INSERT INTO public.t SELECT generate_series(1, 10);
         CREATE TABLE public.u (id int); INSERT INTO public.u VALUES (1);",
    );
    // The target's public holds a table and a (relocatable) extension.
    let dst = db_with(
        "ext_abort_dst",
        "CREATE EXTENSION citext WITH SCHEMA public;
         CREATE TABLE public.keep (x public.citext); INSERT INTO public.keep VALUES ('k');",
    );
    let before = dst.dump_schema(&[]).unwrap();
    let err = clone_with(&src, &dst, |o| {
        o.drop_if_exists = true;
        o.fail_on_table = Some("u".into());
    })
    .await
    .map(|_| ())
    .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);
    assert_eq!(extensions_of(&dst), ["citext 1.6 in public"]);
    assert_eq!(one(&dst, "SELECT x FROM public.keep"), "k");
    assert!(
        dst.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pggraft\\_%'")
            .unwrap()
            .is_empty()
    );
    // Done for real: the copy replaces public, and keeps the extension the
    // target had there.
    let (opts, report) = clone_with(&src, &dst, |o| o.drop_if_exists = true).await.unwrap();
    assert_eq!(extensions_of(&dst), ["citext 1.6 in public", "pgcrypto 1.3 in public"]);
    assert_eq!(one(&dst, "SELECT count(*) FROM public.t"), "10");
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_class WHERE relname = 'keep'"), "0");
    assert!(
        dst.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pggraft\\_%'")
            .unwrap()
            .is_empty()
    );
    // The target's own extra extension is a difference verify reports.
    let v = verify_after(&opts, &report).await;
    assert!(v.schema.iter().all(|d| d.object == "extension citext"), "{:#?}", v.schema);
}

/// A table and a view that belong to an extension (as PostGIS's
/// `geometry_columns` does), with every kind of object that hangs off a
/// relation added to them by the user afterwards.
const ON_EXTENSION_MEMBERS: &str = "
    CREATE SCHEMA app;
    CREATE EXTENSION citext SCHEMA app;
    CREATE TABLE app.ext_t (id int, v text);
    CREATE VIEW app.ext_v AS SELECT id, v FROM app.ext_t;
    ALTER EXTENSION citext ADD TABLE app.ext_t;
    ALTER EXTENSION citext ADD VIEW app.ext_v;
    CREATE RULE ext_v_ins AS ON INSERT TO app.ext_v DO INSTEAD INSERT INTO app.ext_t VALUES (NEW.id, NEW.v);
    CREATE RULE ext_t_del AS ON DELETE TO app.ext_t DO INSTEAD NOTHING;
    CREATE FUNCTION app.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER t_trg BEFORE INSERT ON app.ext_t FOR EACH ROW EXECUTE FUNCTION app.trg();
    CREATE TRIGGER v_trg INSTEAD OF UPDATE ON app.ext_v FOR EACH ROW EXECUTE FUNCTION app.trg();
    CREATE CONSTRAINT TRIGGER c_trg AFTER INSERT ON app.ext_t DEFERRABLE
      FOR EACH ROW EXECUTE FUNCTION app.trg();
    CREATE INDEX ext_t_v ON app.ext_t (v);
    CREATE STATISTICS app.ext_st ON id, v FROM app.ext_t;
    ALTER TABLE app.ext_t ADD CONSTRAINT ext_t_pk PRIMARY KEY (id);
    ALTER TABLE app.ext_t ENABLE ROW LEVEL SECURITY;
    CREATE POLICY p ON app.ext_t USING (true);
    COMMENT ON TABLE app.ext_t IS 'member';
    COMMENT ON COLUMN app.ext_t.v IS 'member column';
    COMMENT ON RULE ext_v_ins ON app.ext_v IS 'member rule';
    GRANT SELECT ON app.ext_t TO PUBLIC;
    ALTER TABLE app.ext_t ALTER COLUMN v SET STATISTICS 500;
    CREATE SEQUENCE app.ext_t_seq OWNED BY app.ext_t.id;
    -- And a user table beside them.
    CREATE TABLE app.mine (id int PRIMARY KEY, e app.citext);
    INSERT INTO app.mine VALUES (1, 'x');";

#[tokio::test]
async fn objects_on_extension_members_are_left_to_the_extension() {
    use pggraft::catalog::read_catalog;
    use pggraft::select::SchemaFilter;
    let src = db_with("ext_member_src", ON_EXTENSION_MEMBERS);
    let cat = read_catalog(&spec(&src), &SchemaFilter::only(["app"])).await.unwrap();
    let on_member = |t: &pggraft::sql::QualifiedName| t.name.starts_with("ext_");
    assert!(cat.tables.iter().all(|t| !on_member(&t.name)), "{:?}", cat.tables);
    assert!(cat.indexes.iter().all(|i| !on_member(&i.table)), "{:?}", cat.indexes);
    assert!(cat.triggers.is_empty(), "{:?}", cat.triggers);
    assert!(cat.rules.is_empty(), "{:?}", cat.rules);
    assert!(cat.statistics.is_empty(), "{:?}", cat.statistics);
    assert!(cat.sequences.iter().all(|s| s.owned_by.is_none()), "{:?}", cat.sequences);
    // inspect's SQL applies where the extension is created afresh.
    let script = pggraft::ddl::to_sql(&cat);
    let fresh = db_with("ext_member_apply", "");
    fresh.psql(&script).unwrap_or_else(|e| panic!("applying inspect's SQL failed: {e}\n{script}"));
    // And a clone into another database succeeds and verifies clean.
    let dst = db_with("ext_member_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_eq!(one(&dst, "SELECT count(*) FROM app.mine"), "1");
    assert_clean(&verify_after(&opts, &report).await);
}

fn has_postgis(db: &TestDb<'_>) -> bool {
    let found = !db
        .query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        .unwrap()
        .is_empty();
    if !found {
        eprintln!("skipped: PostGIS is not installed (apt-get install postgresql-NN-postgis-3)");
    }
    found
}

#[tokio::test]
async fn postgis_rules_on_geometry_columns_are_not_copied() {
    let probe = db_with("postgis_probe", "");
    if !has_postgis(&probe) {
        return;
    }
    let src = db_with(
        "postgis_src",
        "CREATE EXTENSION postgis;
         CREATE TABLE public.places (id int PRIMARY KEY, name text, geom geometry(Point, 4326));
         CREATE INDEX places_geom ON public.places USING gist (geom);
         INSERT INTO public.places SELECT i, 'p' || i, ST_SetSRID(ST_MakePoint(i, i), 4326)
           FROM generate_series(1, 50) i;",
    );
    let cat =
        pggraft::catalog::read_catalog(&spec(&src), &pggraft::select::SchemaFilter::default())
            .await
            .unwrap();
    assert!(cat.rules.is_empty(), "{:?}", cat.rules);
    let script = pggraft::ddl::to_sql(&cat);
    let fresh = db_with("postgis_apply", "");
    fresh.psql(&script).unwrap_or_else(|e| panic!("applying inspect's SQL failed: {e}"));
    let dst = db_with("postgis_dst", "");
    let (opts, report) = clone_with(&src, &dst, |_| {}).await.unwrap();
    assert_eq!(one(&dst, "SELECT count(*) FROM public.places WHERE ST_X(geom) = id"), "50");
    assert_clean(&verify_after(&opts, &report).await);
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
}

#[tokio::test]
async fn expression_index_statistics_target_survives_clone_and_inspect() {
    let sql = "CREATE SCHEMA app;
        CREATE TABLE app.people (id int PRIMARY KEY, name text, born date);
        CREATE INDEX people_lower_name ON app.people (lower(name), born, (extract(year FROM born)));
        ALTER INDEX app.people_lower_name ALTER COLUMN 1 SET STATISTICS 3000;
        ALTER INDEX app.people_lower_name ALTER COLUMN 3 SET STATISTICS 0;
        INSERT INTO app.people VALUES (1, 'Ann', '2000-01-01');";
    let targets = |db: &TestDb<'_>, schema: &str| {
        one(
            db,
            &format!(
                "SELECT string_agg(attnum || '=' || coalesce(attstattarget::int, -1), ',' ORDER BY attnum) \
                 FROM pg_attribute WHERE attrelid = '{schema}.people_lower_name'::regclass"
            ),
        )
    };
    let src = db_with("idxstat_src", sql);
    let expected = targets(&src, "app");
    assert_eq!(expected, "1=3000,2=-1,3=0");
    // inspect
    let cat =
        pggraft::catalog::read_catalog(&spec(&src), &pggraft::select::SchemaFilter::only(["app"]))
            .await
            .unwrap();
    let fresh = db_with("idxstat_inspect", "");
    fresh.psql(&pggraft::ddl::to_sql(&cat)).unwrap();
    assert_eq!(targets(&fresh, "app"), expected);
    // clone, into another database and renamed in place
    let dst = db_with("idxstat_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_eq!(targets(&dst, "app"), expected);
    assert_clean(&verify_after(&opts, &report).await);
    clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"])).await.unwrap();
    assert_eq!(targets(&src, "app_copy"), expected);
    assert_same_text(
        &src.dump_schema(&["app"]).unwrap(),
        &src.dump_schema(&["app_copy"]).unwrap().replace("app_copy", "app"),
    );
}

#[tokio::test]
async fn view_spelled_by_another_server_version_compares_as_the_same_view() {
    use pggraft::catalog::respell::{differing, respell};
    let db = db_with(
        "respell",
        "CREATE SCHEMA app;
         CREATE TABLE app.open_orders (id int, amount numeric);
         CREATE VIEW app.v AS SELECT id FROM app.open_orders WHERE amount > 10;
         CREATE MATERIALIZED VIEW app.mv AS SELECT id, sum(amount) AS total FROM app.open_orders GROUP BY id;
         CREATE VIEW app.w AS SELECT id FROM app.open_orders;",
    );
    let here =
        pggraft::catalog::read_catalog(&spec(&db), &pggraft::select::SchemaFilter::only(["app"]))
            .await
            .unwrap();
    // The same views as the other side of PostgreSQL 16 prints them: 15 qualifies the
    // columns of a one-relation query, 16 and later do not.
    let spellings = [
        (
            "v",
            " SELECT open_orders.id\n   FROM app.open_orders\n  WHERE (open_orders.amount > (10)::numeric)",
            " SELECT id\n   FROM app.open_orders\n  WHERE (amount > (10)::numeric)",
        ),
        (
            "mv",
            " SELECT open_orders.id,\n    sum(open_orders.amount) AS total\n   FROM app.open_orders\n  GROUP BY open_orders.id",
            " SELECT id,\n    sum(amount) AS total\n   FROM app.open_orders\n  GROUP BY id",
        ),
    ];
    let mut there = here.clone();
    for v in &mut there.views {
        if let Some((_, qualified, bare)) = spellings.iter().find(|s| s.0 == v.name.name) {
            assert!(v.definition == *qualified || v.definition == *bare, "{:?}", v.definition);
            v.definition =
                if v.definition == *qualified { bare.to_string() } else { qualified.to_string() };
        }
        if v.name.name == "w" {
            // A real difference: another column.
            v.definition = " SELECT open_orders.amount AS id\n   FROM app.open_orders".into();
        }
    }
    let which = differing(&there, &here);
    assert_eq!(which.views.len(), 3, "{which:?}");
    let client = spec(&db).connect().await.unwrap();
    pggraft::conn::prepare_session(&client).await.unwrap();
    assert_eq!(respell(&client, &mut there, &which).await.unwrap(), 3);
    let left: Vec<String> =
        differing(&there, &here).views.into_iter().map(|q| q.name.clone()).collect();
    assert_eq!(left, ["w"], "only the real difference is left");
    // Nothing stays behind on the server.
    assert_eq!(
        one(&db, "SELECT count(*) FROM pg_class WHERE relname LIKE 'pggraft_respell%'"),
        "0"
    );
}

#[tokio::test]
async fn definitions_printed_otherwise_after_a_round_trip_verify_clean() {
    // `a BETWEEN x AND y AND b BETWEEN …` prints with parentheses the parser then flattens:
    // the copy made from the printed text prints differently, and means the same.
    let sql = "CREATE SCHEMA app;
        CREATE DOMAIN app.lnglat AS float8[]
          CHECK (VALUE[1] BETWEEN -180 AND 180 AND VALUE[2] BETWEEN -90 AND 90);
        CREATE TABLE app.spots (id int PRIMARY KEY, lat float8, lng float8, at app.lnglat,
          CONSTRAINT spots_range CHECK (lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180));
        CREATE VIEW app.central AS SELECT id FROM app.spots
          WHERE lat BETWEEN 40 AND 50 AND lng BETWEEN 0 AND 10;
        INSERT INTO app.spots VALUES (1, 45, 5, '{5,45}');";
    let src = db_with("roundtrip_src", sql);
    let dst = db_with("roundtrip_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    let printed = |db: &TestDb<'_>| {
        one(db, "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'spots_range'")
    };
    assert_ne!(printed(&src), printed(&dst), "PostgreSQL prints the copy's check as it did");
    assert_clean(&verify_after(&opts, &report).await);
    let (opts, report) =
        clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"]))
            .await
            .unwrap();
    assert_clean(&verify_after(&opts, &report).await);
    // And a diff between source and copy has nothing to do.
    let input = |d: &TestDb<'_>| pggraft::diff::source::Input::Database(Box::new(spec(d)));
    let sides = pggraft::migrate::read_sides(&input(&src), &input(&dst), &schema_args(&["app"]))
        .await
        .unwrap();
    let m = sides.diff(&Default::default()).unwrap();
    assert!(m.is_empty(), "{}", m.script());
}

#[tokio::test]
async fn foreign_key_to_a_partitioned_table_waits_for_its_partitions_keys() {
    // The parent's key is valid only once every partition's index is attached; the engine
    // runs post-data statements in parallel, so the foreign key must wait for all of them.
    let src = db_with(
        "fk_part_src",
        "CREATE SCHEMA app;
         CREATE TABLE app.orders (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
         CREATE TABLE app.orders_a PARTITION OF app.orders FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
         CREATE TABLE app.orders_b PARTITION OF app.orders FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')
           PARTITION BY RANGE (day);
         CREATE TABLE app.orders_b1 PARTITION OF app.orders_b FOR VALUES FROM ('2024-02-01') TO ('2024-02-15');
         CREATE TABLE app.orders_b2 PARTITION OF app.orders_b DEFAULT;
         CREATE TABLE app.items (order_id int, day date, FOREIGN KEY (order_id, day) REFERENCES app.orders);
         INSERT INTO app.orders VALUES (1, '2024-01-05'), (2, '2024-02-20');
         INSERT INTO app.items VALUES (1, '2024-01-05'), (2, '2024-02-20');",
    );
    let dst = db_with("fk_part_dst", "");
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas = schema_args(&["app"]);
    let plan = clone_api::prepare(&opts).await.unwrap();
    let fk = plan.job.post_data.iter().find(|s| s.what == "foreign key").expect("the foreign key");
    let attached: Vec<&String> = fk.deps.iter().filter(|d| d.starts_with("attached ")).collect();
    // orders_a, orders_b (itself partitioned), orders_b1, orders_b2.
    assert_eq!(attached.len(), 4, "{:?}", fk.deps);
    for a in attached {
        assert!(plan.job.post_data.iter().any(|s| s.provides.as_ref() == Some(a)), "{a}");
    }
    let report = clone_api::run(&opts, plan, &NoProgress, None).await.unwrap();
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn identity_sequence_privileges_are_copied() {
    let src = db_with(
        "ident_acl_src",
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ident_writer')
           THEN CREATE ROLE ident_writer; END IF; END $$;
         CREATE SCHEMA app;
         CREATE TABLE app.t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
         GRANT USAGE, SELECT ON SEQUENCE app.t_id_seq TO ident_writer;",
    );
    let acl = |db: &TestDb<'_>, schema: &str| {
        one(
            db,
            &format!("SELECT relacl::text FROM pg_class WHERE oid = '{schema}.t_id_seq'::regclass"),
        )
    };
    let dst = db_with("ident_acl_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_eq!(acl(&dst, "app"), acl(&src, "app"));
    assert_clean(&verify_after(&opts, &report).await);
    clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"])).await.unwrap();
    assert_eq!(acl(&src, "app_copy"), acl(&src, "app"));
}

#[tokio::test]
async fn extension_in_a_schema_the_target_lacks_is_refused_before_anything_is_written() {
    let src = db_with(
        "ext_schema_src",
        "CREATE SCHEMA extensions; CREATE EXTENSION citext SCHEMA extensions;
         CREATE SCHEMA app; CREATE TABLE app.t (e extensions.citext);",
    );
    let dst = db_with("ext_schema_dst", "");
    let err = clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"]))
        .await
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    assert!(err.to_string().contains("-n extensions"), "{err}");
    // Copying that schema too works.
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app", "extensions"]))
            .await
            .unwrap();
    assert_eq!(extensions_of(&dst), ["citext 1.6 in extensions"]);
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn ignored_object_kinds_are_named_in_the_clone_report_and_inspect() {
    // A cluster of its own: tablespaces and subscriptions are cluster-wide.
    let cluster = pg_sandbox::Cluster::start().unwrap();
    let space = tempfile::tempdir().unwrap();
    let location = space.path().join("ts");
    std::fs::create_dir(&location).unwrap();
    if std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n" {
        // The server runs as `postgres` when the tests run as root.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(space.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let st =
            std::process::Command::new("chown").args(["postgres"]).arg(&location).status().unwrap();
        assert!(st.success());
    }
    cluster
        .psql("postgres", &format!("CREATE TABLESPACE fast LOCATION '{}'", location.display()))
        .unwrap();
    let src = cluster.create_database("ignored_src").unwrap();
    src.psql(
        "CREATE SCHEMA app;
         CREATE TABLE app.t (id int PRIMARY KEY) TABLESPACE fast;
         CREATE TABLE app.u (id int);
         CREATE INDEX u_id ON app.u (id) TABLESPACE fast;
         CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
         CREATE EVENT TRIGGER app_ddl ON ddl_command_end EXECUTE FUNCTION app.on_ddl();
         CREATE PUBLICATION app_pub FOR TABLE app.t;
         CREATE SUBSCRIPTION app_sub CONNECTION 'dbname=nowhere' PUBLICATION p WITH (connect = false);
         SELECT lo_create(0);
         ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;
         INSERT INTO app.t VALUES (1);",
    )
    .unwrap();
    let dst = cluster.create_database("ignored_dst").unwrap();
    let (_, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    let w = report.warnings.join("\n");
    for expected in [
        "event trigger app_ddl not copied",
        "publication app_pub not copied",
        "--no-publications",
        "subscription app_sub not copied",
        "--no-subscriptions",
        "1 large objects not copied",
        "--large-objects",
        "tablespace fast not copied: 2 of these schemas are in it (app.t, app.u_id)",
        "--no-tablespaces",
        "database-wide default privileges of role postgres on TABLES not copied",
    ] {
        assert!(w.contains(expected), "{expected:?} is not in:\n{w}");
    }
    assert_eq!(one(&dst, "SELECT count(*) FROM app.t"), "1");
    let cat =
        pggraft::catalog::read_catalog(&spec(&src), &pggraft::select::SchemaFilter::only(["app"]))
            .await
            .unwrap();
    let sql = pggraft::ddl::to_sql(&cat);
    assert!(sql.contains("-- warning: event trigger app_ddl not included"), "{sql}");
    src.psql(
        "ALTER SUBSCRIPTION app_sub SET (slot_name = NONE); DROP SUBSCRIPTION app_sub;
         DROP EVENT TRIGGER app_ddl; DROP TABLE app.t; DROP INDEX app.u_id;",
    )
    .unwrap();
    drop((src, dst));
    cluster.psql("postgres", "DROP TABLESPACE fast").unwrap();
}

#[tokio::test]
async fn unused_extension_of_a_schema_not_copied_is_no_difference() {
    // pg_stat_statements-like: in public, used by nothing copied. The clone does not create
    // it, and its verify must not call it missing.
    let src = db_with(
        "unused_ext_src",
        "CREATE EXTENSION pgstattuple WITH SCHEMA public;
         CREATE SCHEMA app; CREATE TABLE app.t (id int); INSERT INTO app.t VALUES (1);",
    );
    // The target has an extension of its own elsewhere: not a difference either.
    let dst = db_with("unused_ext_dst", "CREATE EXTENSION fuzzystrmatch WITH SCHEMA public;");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_eq!(extensions_of(&dst), ["fuzzystrmatch 1.1 in public"]);
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn default_privileges_of_one_role_and_schema_run_one_at_a_time() {
    // Two grants of one role, schema and object class write one pg_default_acl row: run at
    // once by two statement workers, one failed on its unique key.
    let src = db_with(
        "defacl_src",
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defacl_a') THEN CREATE ROLE defacl_a; END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'defacl_b') THEN CREATE ROLE defacl_b; END IF;
         END $$;
         CREATE SCHEMA app;
         ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO defacl_a;
         ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT INSERT, UPDATE ON TABLES TO defacl_b;
         ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT USAGE ON SEQUENCES TO defacl_b;
         CREATE TABLE app.t (id int);",
    );
    let dst = db_with("defacl_dst", "");
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas = schema_args(&["app"]);
    opts.index_jobs = 4;
    let plan = clone_api::prepare(&opts).await.unwrap();
    let grants: Vec<&pggraft::plan::Stmt> =
        plan.job.post_data.iter().filter(|s| s.what == "default privileges").collect();
    assert!(grants.len() >= 3, "{grants:?}");
    for pair in grants.windows(2) {
        assert!(pair[1].deps.contains(pair[0].provides.as_ref().unwrap()), "{pair:?}");
    }
    let report = clone_api::run(&opts, plan, &NoProgress, None).await.unwrap();
    assert_clean(&verify_after(&opts, &report).await);
}

/// A copy renamed within one database shares the extensions of the schema it copies: its
/// functions keep calling them, qualified (`public.uuid_generate_v4()`) or through their own
/// `search_path` (which keeps `public` after `public_copy` when the body calls one), and a
/// default calling one still fills rows.
#[tokio::test]
async fn renamed_copy_within_a_database_still_calls_the_shared_extensions() {
    let src = db_with(
        "shared_ext",
        "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\" WITH SCHEMA public;
         CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
         CREATE FUNCTION public.new_token() RETURNS text LANGUAGE plpgsql SET search_path = public
             AS $$ BEGIN RETURN uuid_generate_v4()::text; END $$;
         CREATE FUNCTION public.plain(text) RETURNS text LANGUAGE sql IMMUTABLE
             AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
         CREATE FUNCTION public.stamp() RETURNS text LANGUAGE plpgsql SET search_path = public
             AS $$ BEGIN RETURN now()::text; END $$;
         CREATE TABLE public.rooms (id serial PRIMARY KEY, token text DEFAULT public.new_token(),
             label text GENERATED ALWAYS AS (public.plain(token)) STORED);
         INSERT INTO public.rooms DEFAULT VALUES;",
    );
    let (opts, report) =
        clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["public=public_copy"]))
            .await
            .unwrap();
    assert_clean(&verify_after(&opts, &report).await);
    let rows = src
        .query(
            "INSERT INTO public_copy.rooms DEFAULT VALUES RETURNING length(token), \
             public_copy.plain('Élan'), public_copy.stamp() IS NOT NULL",
        )
        .unwrap();
    assert_eq!(rows[0], ["36", "Elan", "t"]);
    // Only the function that needs it keeps `public` in its path.
    let paths = src
        .query(
            "SELECT p.proname, array_to_string(p.proconfig, ';') FROM pg_proc p \
             WHERE p.pronamespace = 'public_copy'::regnamespace AND p.proconfig IS NOT NULL \
             ORDER BY 1",
        )
        .unwrap();
    assert_eq!(
        paths,
        [["new_token", "search_path=public_copy, public"], ["stamp", "search_path=public_copy"]]
    );
}
