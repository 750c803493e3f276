//! `pggraft.toml` as a user keeps it: named connections whose passwords come from the
//! environment, per-command defaults that flags override, paths relative to the file, and
//! `config show` with passwords masked. Judged by real logins and parsed JSON reports.

mod util;

use std::path::Path;

use util::shape::check;
use util::{cluster, db_with, pggraft_in};

const APP: &str = "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY, v text);
    INSERT INTO app.t SELECT g, 'v' || g FROM generate_series(1, 10) g;";

fn write_config(dir: &Path, text: &str) {
    std::fs::write(dir.join("pggraft.toml"), text).unwrap();
}

#[test]
fn named_connection_with_its_password_from_the_environment() {
    let db = db_with("cfg_conn", APP);
    let (role, password) = ("pggraft_cfg_conn", "Cfg-Secret-9753");
    cluster().create_role(role, password, false).unwrap();
    let (host, port) = (cluster().host(), cluster().port());
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &format!(
            "[connections.app]\nurl = \"postgres://{role}:${{APP_PASSWORD}}@{host}:{port}/{}\"\n",
            db.name()
        ),
    );
    let run = pggraft_in(
        Some(dir.path()),
        &["inspect", "app", "-n", "app", "--json"],
        &[("APP_PASSWORD", password)],
    )
    .code(0);
    let doc = check("inspect", &run.stdout());
    assert_eq!(doc["database"], db.name());
    let shown = doc["connection"].as_str().unwrap();
    assert!(
        shown.starts_with(&format!("postgres://{role}@{host}:{port}/{}", db.name())),
        "{shown}"
    );
    assert!(!run.stdout().contains(password) && !run.stderr().contains(password), "{run}");

    // The variable unset: an error that names it, before anything connects.
    let err = pggraft_in(Some(dir.path()), &["inspect", "app"], &[]).only_error_line();
    assert!(err.contains("APP_PASSWORD") && err.contains("pggraft.toml"), "{err}");
}

#[test]
fn flags_beat_the_file_which_beats_the_defaults() {
    let db = db_with("cfg_prec", APP);
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let level = |args: &[&str], config: Option<&str>| {
        if let Some(text) = config {
            write_config(dir.path(), text);
        }
        let base = ["verify", "-n", "app", "--json"];
        let run = pggraft_in(Some(dir.path()), &[&base[..], args].concat(), &[]).code(0);
        check("verify", &run.stdout())["level"].as_str().unwrap().to_owned()
    };
    let both = ["--source", url.as_str(), "--target", url.as_str()];
    assert_eq!(level(&both, None), "checksums", "pggraft's default");
    let file = format!(
        "[connections.here]\nurl = \"{url}\"\n[verify]\nsource = \"here\"\ntarget = \"here\"\nlevel = \"counts\"\n"
    );
    assert_eq!(level(&[], Some(&file)), "counts", "the file, its connections by name");
    assert_eq!(level(&["--level", "schema"], None), "schema", "the flag");
    // An environment variable beats the file too (clap's order: flag, env, default).
    let run = pggraft_in(
        Some(dir.path()),
        &["verify", "-n", "app", "--json"],
        &[("PGGRAFT_SOURCE", "postgres://nobody@127.0.0.1:1/x")],
    );
    assert!(run.error_line().contains("127.0.0.1:1"), "{run}");
}

#[test]
fn config_flag_names_a_file_whose_paths_are_relative_to_it() {
    let db = db_with("cfg_dir", APP);
    let project = tempfile::tempdir().unwrap();
    let migrations = project.path().join("db").join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(migrations.join("20240101000000_a.up.sql"), "CREATE TABLE app.a (x int);")
        .unwrap();
    std::fs::write(migrations.join("20240101000000_a.down.sql"), "DROP TABLE app.a;").unwrap();
    let file = project.path().join("pggraft.toml");
    std::fs::write(
        &file,
        format!("[migrate]\ndir = \"db/migrations\"\ntarget = \"{}\"\n", db.url()),
    )
    .unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let file = file.to_str().unwrap();
    for (args, env) in [
        (vec!["migrate", "status", "--json", "--config", file], vec![]),
        (vec!["migrate", "status", "--json"], vec![("PGGRAFT_CONFIG", file)]),
    ] {
        let run = pggraft_in(Some(elsewhere.path()), &args, &env).code(1);
        let doc = check("migrate-status", &run.stdout());
        assert_eq!(doc["migrations"][0]["version"], "20240101000000", "{doc:#}");
    }
    // A named file that does not exist is an error; a missing ./pggraft.toml is not.
    let missing = elsewhere.path().join("nope.toml");
    let err = pggraft_in(None, &["config", "show", "--config", missing.to_str().unwrap()], &[])
        .error_line();
    assert!(err.contains("nope.toml"), "{err}");
}

#[test]
fn config_show_merges_and_masks_passwords() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "[connections.prod]\nurl = \"postgres://deploy:${PROD_PW}@db.example.com/app\"\n\
         [connections.legacy]\nurl = \"host=old.example.com password=Literal-Pw-1 dbname=app\"\n\
         [clone]\nsource = \"prod\"\njobs = 8\nexclude-schema = [\"audit\"]\n",
    );
    let env = [("PROD_PW", "Env-Pw-2"), ("PGGRAFT_TARGET", "postgres://u:Env-Pw-3@h/x")];
    let text = pggraft_in(Some(dir.path()), &["config", "show"], &env).code(0).stdout();
    for secret in ["Literal-Pw-1", "Env-Pw-2", "Env-Pw-3"] {
        assert!(!text.contains(secret), "{secret} shown:\n{text}");
    }
    assert!(text.contains("${PROD_PW}") && text.contains("password=***"), "{text}");
    let run = pggraft_in(Some(dir.path()), &["config", "show", "--json"], &env).code(0);
    let doc = check("config", &run.stdout());
    let clone: Vec<(String, String)> = doc["commands"]["clone"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["flag"].as_str().unwrap().to_owned(), s["from"].as_str().unwrap().to_owned()))
        .collect();
    let from = |flag: &str| clone.iter().find(|(f, _)| f == flag).map(|(_, w)| w.as_str());
    assert_eq!(from("jobs"), Some("config file"));
    assert_eq!(from("index-jobs"), Some("default"));
    assert_eq!(from("target"), Some("environment PGGRAFT_TARGET"));
    let resolved = doc["connections"]["prod"]["resolved"].as_str().unwrap();
    assert!(resolved.starts_with("postgres://deploy@db.example.com:5432/app"), "{resolved}");
    assert!(!run.stdout().contains("Env-Pw"), "{run}");
}

#[test]
fn mistakes_in_the_file_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "[clone]\njobz = 3\n");
    let err = pggraft_in(Some(dir.path()), &["config", "show"], &[]).only_error_line();
    assert!(err.contains("pggraft.toml") && err.contains("jobz"), "{err}");
    write_config(dir.path(), "[clone]\njobs = \"many\"\n");
    let run = pggraft_in(Some(dir.path()), &["clone", "--source", "a", "--target", "b"], &[]);
    assert_eq!(run.exit_code(), Some(2), "{run}");
    assert!(run.stderr().contains("many"), "{run}");
}
