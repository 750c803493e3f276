//! `pggraft clone --roles`, `--owner-map`, `--role-map` as a user runs them:
//! into a second cluster that lacks the source's roles, judged by the
//! target's catalog; a refused map by exit 2, one `error:` line and a
//! target left as it was.

mod util;

use util::{cluster, db_with, ok, pggraft};

const APP: &str = "
    CREATE SCHEMA app AUTHORIZATION rcli_owner;
    CREATE TABLE app.t (id int PRIMARY KEY, v text);
    ALTER TABLE app.t OWNER TO rcli_owner;
    GRANT SELECT ON app.t TO rcli_reader;
    INSERT INTO app.t SELECT g, 'v' || g FROM generate_series(1, 100) g;
";

/// The source's roles, created once (the tests run at the same time).
fn source_roles() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(create_source_roles);
}

fn create_source_roles() {
    cluster()
        .psql(
            "postgres",
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rcli_owner') THEN
                 CREATE ROLE rcli_group; CREATE ROLE rcli_owner LOGIN PASSWORD 'Owner-Pass-1';
                 CREATE ROLE rcli_reader IN ROLE rcli_group;
               END IF;
             END $$;",
        )
        .unwrap();
}

/// `--roles` into a cluster without them: created, listed, and the copy
/// verifies clean (owners and grants included). Without `--roles` the
/// same clone is refused naming the missing roles.
#[test]
fn roles_are_created_on_another_cluster_and_the_copy_verifies_clean() {
    source_roles();
    let src = db_with("roles_cli_src", APP);
    let other = pg_sandbox::Cluster::start().unwrap();
    other.psql("postgres", "CREATE ROLE rcli_group").unwrap();
    let dst = other.create_database("roles_cli_dst").unwrap();
    let (s, t) = (src.url(), dst.url());

    let line = pggraft(&["clone", "--source", &s, "--target", &t, "-n", "app"]).error_line();
    assert!(line.contains("\"rcli_owner\", \"rcli_reader\""), "{line}");
    assert!(line.contains("create them there"), "{line}");
    let no_app = "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'";
    assert_eq!(dst.query(no_app).unwrap()[0][0], "0");

    let out = ok(&["clone", "--source", &s, "--target", &t, "-n", "app", "--roles"]);
    assert!(out.contains("rcli_owner, rcli_reader (passwords copied)"), "{out}");
    assert!(out.contains("rcli_group (already on the target"), "{out}");
    assert!(out.contains("identical"), "{out}");
    assert!(!out.contains("Owner-Pass-1"), "{out}");
    let owner = dst.query("SELECT tableowner FROM pg_tables WHERE schemaname = 'app'").unwrap();
    assert_eq!(owner[0][0], "rcli_owner");
    let member = dst
        .query(
            "SELECT pg_has_role('rcli_reader', 'rcli_group', 'MEMBER')::text, \
             has_table_privilege('rcli_reader', 'app.t', 'SELECT')::text",
        )
        .unwrap();
    assert_eq!(member[0], ["true", "true"]);
}

/// `--owner-map` to a role the target lacks: one line naming it, exit 2,
/// nothing changed.
#[test]
fn owner_map_to_a_missing_role_is_refused() {
    source_roles();
    let src = db_with("roles_cli_map_src", APP);
    let dst = db_with("roles_cli_map_dst", "CREATE TABLE public.keep (x int);");
    let before = dst.dump_schema(&[]).unwrap();
    let (s, t) = (src.url(), dst.url());
    let run = pggraft(&[
        "clone",
        "--source",
        &s,
        "--target",
        &t,
        "-n",
        "app",
        "--owner-map",
        "rcli_owner=rcli_nobody",
    ]);
    let line = run.only_error_line();
    assert!(line.contains("--owner-map rcli_owner=rcli_nobody"), "{line}");
    assert!(line.contains("\"rcli_nobody\" does not exist on the target"), "{line}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);

    // A pair that is not OLD=NEW is bad input too.
    let line = pggraft(&["clone", "--source", &s, "--target", &t, "--owner-map", "x"]).error_line();
    assert!(line.contains("OLD=NEW"), "{line}");
}
