//! `clone --roles`, `--owner-map` and `--role-map`: the roles the copied
//! objects need, created on a target cluster that lacks them (with their
//! attributes, memberships and, when the source may read them, passwords),
//! and owners and grantees mapped to the target's roles. Roles are
//! cluster-wide, so the target is a second cluster shared by these tests,
//! and every test's roles carry a prefix of their own.

use std::sync::OnceLock;

use pg_sandbox::{Cluster, TestDb};
use pggraft::clone::{self as clone_api, CloneOptions, CloneReport};
use pggraft::conn::ConnSpec;
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;

use crate::common::*;

/// The second cluster: the target that lacks the source's roles.
fn other() -> &'static Cluster {
    static OTHER: OnceLock<Cluster> = OnceLock::new();
    OTHER.get_or_init(|| Cluster::start().expect("start the target cluster"))
}

async fn clone_into(
    src: ConnSpec,
    dst: &TestDb<'_>,
    setup: impl FnOnce(&mut CloneOptions),
) -> pggraft::Result<CloneReport> {
    let mut opts = CloneOptions::new(src, spec(dst));
    opts.jobs = 2;
    opts.index_jobs = 2;
    setup(&mut opts);
    let plan = clone_api::prepare(&opts).await?;
    clone_api::run(&opts, plan, &NoProgress, None).await
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap().first().and_then(|r| r.first().cloned()).unwrap_or_default()
}

fn roles_like(c: &Cluster, prefix: &str) -> Vec<String> {
    c.query(
        "postgres",
        &format!("SELECT rolname FROM pg_roles WHERE rolname LIKE '{prefix}%' ORDER BY 1"),
    )
    .unwrap()
    .into_iter()
    .map(|r| r[0].clone())
    .collect()
}

/// Owners, grantees, policy roles, default privileges' roles, a role only
/// reached through membership, attributes, settings, comments, passwords;
/// a role the target has already is left as it is.
#[tokio::test]
async fn roles_creates_owners_grantees_and_memberships() {
    cluster()
        .psql(
            "postgres",
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ra_owner') THEN
                 CREATE ROLE ra_group NOLOGIN;
                 CREATE ROLE ra_owner LOGIN CREATEDB CONNECTION LIMIT 7 PASSWORD 'owner-secret';
                 CREATE ROLE ra_reader NOLOGIN IN ROLE ra_group;
                 CREATE ROLE ra_policy NOLOGIN;
                 CREATE ROLE ra_dp NOLOGIN;
                 CREATE ROLE ra_kept LOGIN;
                 COMMENT ON ROLE ra_owner IS 'owns the shop';
                 ALTER ROLE ra_owner SET work_mem = '8MB';
                 GRANT ra_group TO ra_owner WITH ADMIN OPTION;
               END IF;
             END $$;",
        )
        .unwrap();
    other().psql("postgres", "DROP ROLE IF EXISTS ra_kept; CREATE ROLE ra_kept NOLOGIN;").unwrap();
    let src = db_with(
        "roles_src",
        "CREATE SCHEMA shop AUTHORIZATION ra_owner;
         CREATE TABLE shop.items (id int PRIMARY KEY, owner text);
         ALTER TABLE shop.items OWNER TO ra_owner;
         INSERT INTO shop.items VALUES (1, 'a'), (2, 'b');
         GRANT SELECT ON shop.items TO ra_reader;
         GRANT UPDATE (owner) ON shop.items TO ra_kept;
         ALTER TABLE shop.items ENABLE ROW LEVEL SECURITY;
         CREATE POLICY mine ON shop.items TO ra_policy USING (owner = current_user);
         ALTER DEFAULT PRIVILEGES FOR ROLE ra_owner IN SCHEMA shop GRANT SELECT ON TABLES TO ra_dp;",
    );
    let dst = other().create_database("roles_dst").unwrap();
    let report = clone_into(spec(&src), &dst, |o| {
        o.naming.schemas = vec![SchemaArg::parse("shop").unwrap()];
        o.roles = true;
    })
    .await
    .unwrap();
    let created = &report.roles.created;
    for r in ["ra_dp", "ra_group", "ra_owner", "ra_policy", "ra_reader"] {
        assert!(created.contains(&r.to_string()), "{r} not created: {:?}", report.roles);
    }
    assert_eq!(report.roles.existing, ["ra_kept"]);
    assert_eq!(report.roles.passwords, "copied");
    // Attributes, comment, setting and password as on the source.
    let attrs = "SELECT rolcanlogin::text || rolcreatedb::text || rolconnlimit || \
                 coalesce(shobj_description(oid, 'pg_authid'), '') || \
                 coalesce(array_to_string(ARRAY(SELECT unnest(setconfig) FROM pg_db_role_setting \
                   WHERE setrole = r.oid AND setdatabase = 0), ','), '') \
                 FROM pg_roles r WHERE rolname = 'ra_owner'";
    assert_eq!(one(&dst, attrs), one(&src, attrs));
    assert_eq!(one(&dst, attrs), "truetrue7owns the shopwork_mem=8MB");
    let pw = "SELECT rolpassword FROM pg_authid WHERE rolname = 'ra_owner'";
    assert!(one(&src, pw).starts_with("SCRAM-SHA-256$") || one(&src, pw).starts_with("md5"));
    assert_eq!(one(&dst, pw), one(&src, pw));
    // Memberships, with the admin option.
    let members = "SELECT string_agg(g.rolname || '>' || m.rolname || ':' || a.admin_option, ' ' \
                   ORDER BY m.rolname) FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid \
                   JOIN pg_roles m ON m.oid = a.member WHERE m.rolname LIKE 'ra\\_%'";
    assert_eq!(one(&dst, members), "ra_group>ra_owner:true ra_group>ra_reader:false");
    // The copied objects name them.
    assert_eq!(one(&dst, "SELECT tableowner FROM pg_tables WHERE tablename = 'items'"), "ra_owner");
    assert_eq!(
        one(&dst, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'shop'"),
        "ra_owner"
    );
    assert_eq!(
        one(&dst, "SELECT has_table_privilege('ra_reader', 'shop.items', 'SELECT')::text"),
        "true"
    );
    assert_eq!(
        one(&dst, "SELECT roles::text FROM pg_policies WHERE policyname = 'mine'"),
        "{ra_policy}"
    );
    assert_eq!(
        one(&dst, "SELECT defaclacl::text FROM pg_default_acl"),
        one(&src, "SELECT defaclacl::text FROM pg_default_acl")
    );
    // The role the target had is as it was.
    assert_eq!(
        other()
            .query("postgres", "SELECT rolcanlogin::text FROM pg_roles WHERE rolname = 'ra_kept'")
            .unwrap()[0][0],
        "false"
    );
    assert_eq!(table_hash(&dst, "shop.items"), table_hash(&src, "shop.items"));
}

/// Without `--roles` a missing role is refused before anything is written,
/// with the list; a clone with `--roles` that fails after its structure
/// committed drops the roles it created along with its schemas.
#[tokio::test]
async fn without_roles_missing_roles_are_refused_and_a_failed_clone_drops_its_roles() {
    cluster()
        .psql(
            "postgres",
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rb_owner') THEN
                 CREATE ROLE rb_owner; CREATE ROLE rb_reader;
               END IF;
             END $$;",
        )
        .unwrap();
    let src = db_with(
        "roles_refused_src",
        "CREATE SCHEMA app; CREATE TABLE app.t (id int); ALTER TABLE app.t OWNER TO rb_owner;
         GRANT SELECT ON app.t TO rb_reader; INSERT INTO app.t VALUES (1);",
    );
    let dst = other().create_database("roles_refused_dst").unwrap();
    let app = || vec![SchemaArg::parse("app").unwrap()];
    let err = clone_into(spec(&src), &dst, |o| o.naming.schemas = app()).await.unwrap_err();
    let pggraft::Error::MissingRoles { roles } = &err else { panic!("{err:?}") };
    assert_eq!(roles, &["rb_owner", "rb_reader"]);
    assert!(roles_like(other(), "rb_").is_empty());
    assert_eq!(one(&dst, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"), "0");

    let err = clone_into(spec(&src), &dst, |o| {
        o.naming.schemas = app();
        o.roles = true;
        o.fail_on_table = Some("t".into());
    })
    .await
    .unwrap_err();
    assert!(err.to_string().contains("injected failure"), "{err}");
    assert!(roles_like(other(), "rb_").is_empty(), "the failed clone left its roles");
    assert_eq!(
        one(
            &dst,
            "SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema')"
        ),
        "0"
    );
}

/// Cloning `shop` to `shop_copy` keeps the roles `shop` and `shop_reader`
/// as they are (the `pg_dump | sed` method makes `shop_copy_reader`).
#[tokio::test]
async fn renaming_a_schema_never_renames_a_role() {
    cluster()
        .psql(
            "postgres",
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop_reader') THEN
                 CREATE ROLE shop_reader;
               END IF;
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'shop') THEN
                 CREATE ROLE shop;
               END IF;
             END $$;",
        )
        .unwrap();
    let src = db_with(
        "roles_like_schema_src",
        "CREATE SCHEMA shop AUTHORIZATION shop;
         CREATE TABLE shop.orders (id int, who text DEFAULT 'shop_reader');
         ALTER TABLE shop.orders OWNER TO shop;
         GRANT SELECT ON shop.orders TO shop_reader;
         GRANT USAGE ON SCHEMA shop TO shop_reader;
         ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;
         CREATE POLICY p ON shop.orders TO shop_reader USING (who = 'shop_reader');
         CREATE FUNCTION shop.whoami() RETURNS text LANGUAGE sql AS $f$ SELECT 'shop_reader'::text $f$;
         ALTER FUNCTION shop.whoami() OWNER TO shop;",
    );
    let dst = other().create_database("roles_like_schema_dst").unwrap();
    let report = clone_into(spec(&src), &dst, |o| {
        o.roles = true;
        o.naming.schemas = vec![SchemaArg::parse("shop=shop_copy").unwrap()];
    })
    .await
    .unwrap();
    assert!(report.roles.created.contains(&"shop_reader".to_string()), "{:?}", report.roles);
    assert!(roles_like(other(), "shop_copy").is_empty());
    assert_eq!(
        one(&dst, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'shop_copy'"),
        "shop"
    );
    assert_eq!(
        one(&dst, "SELECT tableowner FROM pg_tables WHERE schemaname = 'shop_copy'"),
        "shop"
    );
    assert_eq!(
        one(&dst, "SELECT has_table_privilege('shop_reader', 'shop_copy.orders', 'SELECT')::text"),
        "true"
    );
    assert_eq!(
        one(&dst, "SELECT roles::text || qual FROM pg_policies WHERE policyname = 'p'"),
        "{shop_reader}(who = 'shop_reader'::text)"
    );
    assert_eq!(one(&dst, "SELECT shop_copy.whoami()"), "shop_reader");
    assert_eq!(
        one(
            &dst,
            "SELECT column_default FROM information_schema.columns WHERE table_schema = 'shop_copy' AND column_name = 'who'"
        ),
        "'shop_reader'::text"
    );
}

/// A copy from dev to prod owned by prod's roles: `--owner-map` for owners,
/// `--role-map` for grantees; a map to a role the target lacks is refused
/// before anything is written.
#[tokio::test]
async fn owner_map_and_role_map_give_the_copy_to_the_targets_roles() {
    cluster()
        .psql(
            "postgres",
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_dev') THEN
                 CREATE ROLE rc_dev; CREATE ROLE rc_devread;
               END IF;
             END $$;",
        )
        .unwrap();
    other()
        .psql(
            "postgres",
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rc_prod') THEN
                 CREATE ROLE rc_prod; CREATE ROLE rc_prodread;
               END IF;
             END $$;",
        )
        .unwrap();
    let src = db_with(
        "owner_map_src",
        "CREATE SCHEMA app AUTHORIZATION rc_dev;
         CREATE TABLE app.t (id int, secret text); ALTER TABLE app.t OWNER TO rc_dev;
         GRANT SELECT ON app.t TO rc_devread; GRANT SELECT (id) ON app.t TO rc_devread;
         CREATE SEQUENCE app.s; ALTER SEQUENCE app.s OWNER TO rc_dev;
         ALTER DEFAULT PRIVILEGES FOR ROLE rc_dev IN SCHEMA app GRANT SELECT ON TABLES TO rc_devread;
         INSERT INTO app.t VALUES (1, 'x');",
    );
    let dst = other().create_database("owner_map_dst").unwrap();
    let before = dst.dump_schema(&[]).unwrap();
    let app = || vec![SchemaArg::parse("app").unwrap()];
    let err = clone_into(spec(&src), &dst, |o| {
        o.naming.schemas = app();
        o.owner_map.insert("rc_dev".into(), "rc_nobody".into());
    })
    .await
    .unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    assert!(err.to_string().contains("\"rc_nobody\" does not exist on the target"), "{err}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before, "the refused clone changed the target");

    clone_into(spec(&src), &dst, |o| {
        o.naming.schemas = app();
        o.owner_map.insert("rc_dev".into(), "rc_prod".into());
        o.role_map.insert("rc_devread".into(), "rc_prodread".into());
    })
    .await
    .unwrap();
    assert_eq!(one(&dst, "SELECT tableowner FROM pg_tables WHERE schemaname = 'app'"), "rc_prod");
    assert_eq!(
        one(&dst, "SELECT sequenceowner FROM pg_sequences WHERE schemaname = 'app'"),
        "rc_prod"
    );
    assert_eq!(
        one(&dst, "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'app'"),
        "rc_prod"
    );
    assert_eq!(
        one(&dst, "SELECT relacl::text FROM pg_class WHERE relname = 't'"),
        "{rc_prod=arwdDxt/rc_prod,rc_prodread=r/rc_prod}"
    );
    assert_eq!(
        one(
            &dst,
            "SELECT attacl::text FROM pg_attribute WHERE attrelid = 'app.t'::regclass AND attname = 'id'"
        ),
        "{rc_prodread=r/rc_prod}"
    );
    assert_eq!(
        one(&dst, "SELECT defaclrole::regrole::text || ' ' || defaclacl::text FROM pg_default_acl"),
        "rc_prod {rc_prodread=r/rc_prod}"
    );
    assert!(roles_like(other(), "rc_dev").is_empty());
}

/// A source connection that cannot read `pg_authid` (a managed service's
/// admin, any non-superuser) still copies the roles, without passwords,
/// and says so.
#[tokio::test]
async fn a_source_role_that_cannot_read_passwords_creates_roles_without_them() {
    cluster().create_role("rd_reader_login", "rd-pass", false).unwrap();
    cluster().create_role("rd_app", "app-pass", false).unwrap();
    let src = db_with(
        "roles_nopw_src",
        "CREATE SCHEMA app; CREATE TABLE app.t (id int); INSERT INTO app.t VALUES (1);
         ALTER TABLE app.t OWNER TO rd_app; GRANT USAGE ON SCHEMA app TO rd_reader_login;
         GRANT SELECT ON app.t TO rd_reader_login;",
    );
    let c = cluster();
    let url =
        format!("postgres://rd_reader_login:rd-pass@{}:{}/{}", c.host(), c.port(), src.name());
    let source = ConnSpec::parse(&url).unwrap();
    let dst = other().create_database("roles_nopw_dst").unwrap();
    let report = clone_into(source, &dst, |o| {
        o.naming.schemas = vec![SchemaArg::parse("app").unwrap()];
        o.roles = true;
    })
    .await
    .unwrap();
    assert_eq!(report.roles.passwords, "not-readable");
    assert_eq!(report.roles.without_password, ["rd_app", "rd_reader_login"]);
    assert!(
        report.warnings.iter().any(|w| w.contains("cannot read pg_authid")),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        one(
            &dst,
            "SELECT count(*) FROM pg_authid WHERE rolname LIKE 'rd\\_%' AND rolcanlogin AND rolpassword IS NULL"
        ),
        "2"
    );
    assert_eq!(one(&dst, "SELECT tableowner FROM pg_tables WHERE schemaname = 'app'"), "rd_app");
}

/// `--no-role-passwords`, as pg_dumpall has it: none copied even when the
/// source could read them.
#[tokio::test]
async fn no_role_passwords_creates_login_roles_without_passwords() {
    cluster().create_role("re_login", "re-pass", false).unwrap();
    let src = db_with(
        "roles_nopw2_src",
        "CREATE SCHEMA app; CREATE TABLE app.t (id int); ALTER TABLE app.t OWNER TO re_login;",
    );
    let dst = other().create_database("roles_nopw2_dst").unwrap();
    let report = clone_into(spec(&src), &dst, |o| {
        o.naming.schemas = vec![SchemaArg::parse("app").unwrap()];
        o.roles = true;
        o.role_passwords = false;
    })
    .await
    .unwrap();
    assert_eq!(report.roles.created, ["re_login"]);
    assert_eq!(report.roles.passwords, "not-requested");
    assert_eq!(
        one(&dst, "SELECT (rolpassword IS NULL)::text FROM pg_authid WHERE rolname = 're_login'"),
        "true"
    );
}
