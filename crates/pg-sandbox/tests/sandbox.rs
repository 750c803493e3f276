//! Starts real clusters: the shared one, private ones, and one in a child process that dies
//! without running destructors, to check that the watchdog cleans up after it.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use pg_sandbox::{Cluster, ClusterOptions, Error};

fn shared() -> &'static Cluster {
    Cluster::shared().expect("shared cluster")
}

#[test]
fn shared_returns_the_same_cluster() {
    let a = shared();
    let b = shared();
    assert!(std::ptr::eq(a, b));
    assert_eq!(a.superuser(), "postgres");
    assert!(a.bin("pg_dump").is_file());
}

#[test]
fn database_query_and_dump() {
    let db = shared().create_database("Smoke Test").unwrap();
    assert!(db.name().starts_with("smoke_test_"), "{}", db.name());
    assert!(db.url().ends_with(&format!("/{}", db.name())));
    db.psql(
        "CREATE TABLE t (id int PRIMARY KEY, note text); INSERT INTO t VALUES (1, 'a'), (2, NULL);",
    )
    .unwrap();
    assert_eq!(db.query("SELECT id, note FROM t ORDER BY id").unwrap(), [["1", "a"], ["2", ""]]);
    assert_eq!(db.query("SELECT 1 WHERE false").unwrap(), Vec::<Vec<String>>::new());
    assert_eq!(db.query("SELECT ''").unwrap(), [[""]]);
    assert_eq!(db.query("SELECT '', ''").unwrap(), [["", ""]]);
    assert_eq!(db.query("SELECT E'x|y\\nz', 'w'").unwrap(), [["x|y\nz", "w"]]);
    assert_eq!(
        db.query("SELECT 'a' UNION ALL SELECT '' UNION ALL SELECT 'b'").unwrap(),
        [["a"], [""], ["b"]]
    );

    let dump = db.dump_schema(&[]).unwrap();
    assert!(dump.contains("CREATE TABLE public.t ("), "{dump}");
    for line in dump.lines() {
        assert!(!line.starts_with("--") && !line.starts_with("SET "), "{line}");
    }
    assert!(!dump.contains("\n\n\n"), "{dump}");
}

#[test]
fn dump_schema_matches_exact_names() {
    let db = shared().create_database("dump_names").unwrap();
    let names = ["Odd \"Name\"", "a.b", "x*", "xy", "ab", "Up"];
    for name in names {
        let ident = format!("\"{}\"", name.replace('"', "\"\""));
        db.psql(&format!("CREATE SCHEMA {ident}; CREATE TABLE {ident}.t (id int);")).unwrap();
    }
    for name in names {
        let dump = db.dump_schema(&[name]).unwrap();
        let creates: Vec<&str> = dump.lines().filter(|l| l.starts_with("CREATE SCHEMA")).collect();
        assert_eq!(creates.len(), 1, "{name}: {dump}");
    }
    let dump = db.dump_schema(&["x*", "a.b"]).unwrap();
    assert_eq!(dump.matches("CREATE SCHEMA").count(), 2, "{dump}");
}

#[test]
fn databases_are_dropped_with_their_guard() {
    let cluster = shared();
    let name = {
        let db = cluster.create_database("dropped").unwrap();
        db.name().to_owned()
    };
    let sql = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");
    assert_eq!(cluster.query("postgres", &sql).unwrap(), [["0"]]);
}

#[test]
fn psql_errors_carry_stderr() {
    let db = shared().create_database("errors").unwrap();
    let err = db.psql("SELECT 1;\nSELECT * FROM no_such_table;\nSELECT 2;").unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Command { .. }), "{msg}");
    assert!(msg.contains("no_such_table") && msg.contains("does not exist"), "{msg}");
}

#[test]
fn roles_need_their_password() {
    let cluster = shared();
    if cluster.data_dir().is_none() {
        return; // PGGRAFT_TEST_URL: its pg_hba.conf is not ours.
    }
    cluster.create_role("sandbox_app", "s3cret'pw", false).unwrap();
    cluster.create_role("sandbox_app", "ignored", false).unwrap();
    let connect = |password: &str| {
        let url =
            format!("postgresql://sandbox_app@{}:{}/postgres", cluster.host(), cluster.port());
        Command::new(cluster.bin("psql"))
            .args(["-X", "-At", "-c", "SELECT current_user", &url])
            .env("PGPASSWORD", password)
            .output()
            .unwrap()
    };
    let ok = connect("s3cret'pw");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "sandbox_app");
    let bad = connect("wrong");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("password authentication failed"));
}

#[test]
fn private_cluster_takes_settings_and_goes_away_on_drop() {
    let opts =
        ClusterOptions { settings: vec![("work_mem".into(), "12MB".into())], ..Default::default() };
    let cluster = Cluster::start_with(opts).unwrap();
    assert_eq!(cluster.host(), "127.0.0.1");
    assert_eq!(cluster.query("postgres", "SHOW work_mem").unwrap(), [["12MB"]]);
    assert_eq!(cluster.query("postgres", "SHOW wal_level").unwrap(), [["logical"]]);
    let dir = cluster.data_dir().unwrap().parent().unwrap().to_owned();
    let port = cluster.port();
    assert!(dir.is_dir());
    drop(cluster);
    assert!(!dir.exists(), "{} left behind", dir.display());
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "server on {port} still up");
}

#[test]
fn watchdog_cleans_up_after_an_aborted_process() {
    if std::env::var_os("PGGRAFT_TEST_URL").is_some() {
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "aborting_child", "--ignored", "--nocapture", "--test-threads=1"])
        .env("PG_SANDBOX_ABORTING_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(!child.status.success(), "the child should have aborted: {stdout}");
    let line = stdout.lines().find_map(|l| l.strip_prefix("CLUSTER ")).unwrap_or_else(|| {
        panic!("no cluster line: {stdout}\n{}", String::from_utf8_lossy(&child.stderr))
    });
    let (port, dir) = line.split_once(' ').unwrap();
    let (port, dir): (u16, PathBuf) = (port.parse().unwrap(), dir.into());
    let deadline = Instant::now() + Duration::from_secs(15);
    while dir.exists() || TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "{} or port {port} still there", dir.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Run by `watchdog_cleans_up_after_an_aborted_process` in a child process.
#[test]
#[ignore = "run by watchdog_cleans_up_after_an_aborted_process"]
fn aborting_child() {
    if std::env::var_os("PG_SANDBOX_ABORTING_CHILD").is_none() {
        return;
    }
    let cluster = shared();
    // An owned cluster too: its destructor will not run either.
    let owned = Box::leak(Box::new(Cluster::start().unwrap()));
    for c in [cluster, &*owned] {
        println!("CLUSTER {} {}", c.port(), c.data_dir().unwrap().parent().unwrap().display());
    }
    std::process::abort();
}
