//! `pggraft clone --follow` and `pggraft follow …` as a user runs them: a
//! follower in the foreground, writes on the source, a cutover, then
//! `verify --level rows` clean. The kill -9 trials stop the follower at
//! random points (during the copy, the catch-up, a large transaction, the
//! apply of what was spooled during the copy) and resume it
//! (`PGGRAFT_FOLLOW_TRIALS=10` for ten).

mod util;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pg_sandbox::TestDb;
use util::{db_with, ok, pggraft, spawn, wait_for};

const APP: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.accounts (id bigint PRIMARY KEY, balance bigint NOT NULL, note text);
    CREATE TABLE app.history (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                              account bigint, delta bigint, at timestamptz DEFAULT now());
    CREATE TABLE app.plain (v int, w text);
    ALTER TABLE app.plain REPLICA IDENTITY FULL;
    INSERT INTO app.accounts SELECT g, g * 1000, 'n' || g FROM generate_series(1, 20000) g;
    INSERT INTO app.history (account, delta) SELECT g % 100, g FROM generate_series(1, 5000) g;
    INSERT INTO app.plain SELECT g % 10, 'w' FROM generate_series(1, 100) g;
";

fn has_state(db: &TestDb<'_>) -> bool {
    db.query("SELECT to_regclass('pggraft.follow') IS NOT NULL AND EXISTS (SELECT 1 FROM pggraft.follow)")
        .map(|r| r[0][0] == "t")
        .unwrap_or(false)
}

/// Writes on the source until stopped: small transactions, and now and
/// then a large one.
fn writer(db_url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut i: u64 = 0;
        while !stop.load(Ordering::SeqCst) {
            i += 1;
            let sql = if i.is_multiple_of(15) {
                "INSERT INTO app.history (account, delta) SELECT g % 100, g FROM generate_series(1, 20000) g;"
                    .to_string()
            } else {
                format!(
                    "BEGIN; UPDATE app.accounts SET balance = balance + {i} WHERE id = {a};
                     INSERT INTO app.history (account, delta) VALUES ({a}, {i});
                     UPDATE app.plain SET w = w || 'x' WHERE ctid = (SELECT ctid FROM app.plain WHERE v = {v} LIMIT 1);
                     DELETE FROM app.accounts WHERE id = {d}; COMMIT;",
                    a = 1 + i * 7919 % 20000,
                    v = i % 10,
                    d = 20000 + i,
                )
            };
            let out = std::process::Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db_url, "-c", &sql])
                .output()
                .expect("run psql");
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            if i.is_multiple_of(5) {
                // New rows to delete later.
                let _ = std::process::Command::new("psql")
                    .args([
                        "-X",
                        "-q",
                        "-d",
                        &db_url,
                        "-c",
                        &format!(
                            "INSERT INTO app.accounts VALUES ({}, 1, 'new') ON CONFLICT DO NOTHING",
                            20000 + i + 5
                        ),
                    ])
                    .output();
            }
        }
    })
}

fn cutover_and_verify(src: &TestDb<'_>, dst: &TestDb<'_>, follower: util::Running, slot: &str) {
    let out = ok(&["follow", "cutover", "--target", &dst.url(), "--endpos", "current"]);
    assert!(out.contains("cut over"), "{out}");
    let r = follower.finish_within(Duration::from_secs(120)).code(0);
    assert!(r.stdout().contains("cut over at"), "{r}");
    ok(&["verify", "--source", &src.url(), "--target", &dst.url(), "--level", "rows", "-n", "app"]);
    let out = ok(&["follow", "cleanup", "--target", &dst.url(), "--slot", slot]);
    assert!(out.contains("dropped replication slot"), "{out}");
}

#[test]
fn clone_follow_status_cutover_verify_and_cleanup() {
    let src = db_with("fcli_src", APP);
    let dst = db_with("fcli_dst", "");
    let follower = spawn(&[
        "clone",
        "--follow",
        "--slot",
        "fcli_main",
        "--source",
        &src.url(),
        "--target",
        &dst.url(),
    ]);
    wait_for("the clone's swap", Duration::from_secs(60), || has_state(&dst));
    src.psql(
        "UPDATE app.accounts SET balance = balance * 2 WHERE id % 10 = 0;
         INSERT INTO app.history (account, delta) VALUES (1, 1000001), (2, 2147483648);
         TRUNCATE app.plain; INSERT INTO app.plain VALUES (1, 'after');",
    )
    .unwrap();
    let status = ok(&["follow", "status", "--target", &dst.url()]);
    assert!(status.contains("fcli_main") && status.contains("following"), "{status}");
    let json = ok(&["follow", "status", "--target", &dst.url(), "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["follows"][0]["slot"], "fcli_main", "{json}");
    cutover_and_verify(&src, &dst, follower, "fcli_main");
    assert_eq!(
        src.query("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'fcli_main'")
            .unwrap()[0][0],
        "0",
        "cleanup drops the slot"
    );
}

#[test]
fn a_source_that_is_not_ready_is_refused_with_nothing_created() {
    let src = db_with("fcli_noid_src", "CREATE SCHEMA s; CREATE TABLE s.nokey (v int);");
    let dst = db_with("fcli_noid_dst", "");
    let line = pggraft(&["clone", "--follow", "--source", &src.url(), "--target", &dst.url()])
        .error_line();
    assert!(line.contains("not ready"), "{line}");
    let all =
        pggraft(&["clone", "--follow", "--source", &src.url(), "--target", &dst.url()]).stderr();
    assert!(all.contains("s.nokey") && all.contains("REPLICA IDENTITY FULL"), "{all}");
    assert_eq!(src.query("SELECT count(*) FROM pg_publication").unwrap()[0][0], "0");
    assert_eq!(
        src.query("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")
            .unwrap()[0][0],
        "0"
    );
    assert_eq!(
        dst.query("SELECT count(*) FROM pg_namespace WHERE nspname = 's'").unwrap()[0][0],
        "0"
    );
}

/// When a trial kills the follower.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// This many milliseconds after the start.
    After(u64),
    /// In the middle of applying a large transaction.
    LargeTransaction,
    /// While the follower applies the spool: what arrived during the copy
    /// (a large transaction among it), kept in the target's spool.
    Spool,
}

fn spooled(db: &TestDb<'_>, slot: &str) -> i64 {
    db.query(&format!(
        "SELECT CASE WHEN to_regclass('pggraft.follow_spool') IS NULL THEN 0 \
         ELSE (SELECT count(*) FROM pggraft.follow_spool WHERE slot = '{slot}') END"
    ))
    .map(|r| r[0][0].parse().unwrap_or(0))
    .unwrap_or(0)
}

/// kill -9 of the follower at `kill`, while the source is written to;
/// then resumed (or, killed before the clone finished, cleaned up and
/// started again) and cut over: the copy is identical row by row.
fn kill_trial(n: usize, kill: Kill) {
    let src = db_with(&format!("fkill{n}_src"), APP);
    if let Kill::Spool = kill {
        // A copy that lasts a few seconds, so that a large transaction
        // commits while it runs.
        src.psql(
            "CREATE TABLE app.bulk (id int PRIMARY KEY, v int);
             INSERT INTO app.bulk SELECT g, g FROM generate_series(1, 1500000) g;",
        )
        .unwrap();
    }
    let dst = db_with(&format!("fkill{n}_dst"), "");
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(src.url(), stop.clone());
    let slot = format!("fkill_{n}");
    let args =
        ["clone", "--follow", "--slot", &slot, "--source", &src.url(), "--target", &dst.url()];
    let first = spawn(&args);
    match kill {
        Kill::After(ms) => std::thread::sleep(Duration::from_millis(ms)),
        Kill::Spool => {
            let slot_made =
                format!("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'");
            wait_for("the slot", Duration::from_secs(60), || {
                src.query(&slot_made).unwrap()[0][0] == "1"
            });
            src.psql("INSERT INTO app.history (account, delta) SELECT g % 100, g FROM generate_series(1, 300000) g")
                .unwrap();
            wait_for("the clone's swap", Duration::from_secs(120), || has_state(&dst));
            let left = spooled(&dst, &slot);
            assert!(left > 0, "killed while the spool is applied ({left} rows left)");
        }
        Kill::LargeTransaction => {
            // In the middle of applying a large transaction.
            wait_for("the clone's swap", Duration::from_secs(60), || has_state(&dst));
            src.psql("INSERT INTO app.history (account, delta) SELECT g % 100, g FROM generate_series(1, 300000) g")
                .unwrap();
            let writing = format!(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pggraft-follow-{slot}' \
                 AND backend_xid IS NOT NULL"
            );
            wait_for("the apply of the large transaction", Duration::from_secs(60), || {
                dst.query(&writing).unwrap()[0][0] == "1"
            });
            std::thread::sleep(Duration::from_millis(300));
        }
    }
    first.signal("KILL");
    let _ = first.finish_within(Duration::from_secs(10));
    let resumed = has_state(&dst);
    eprintln!(
        "trial {n}: killed {}",
        if resumed { "after the clone (resumed)" } else { "during the clone (started again)" }
    );
    let follower = if resumed {
        spawn(&["follow", "resume", "--target", &dst.url(), "--source", &src.url()])
    } else {
        // Killed before the swap: the target has no copy yet.
        ok(&["follow", "cleanup", "--source", &src.url(), "--target", &dst.url(), "--slot", &slot]);
        let f = spawn(&args);
        wait_for("the clone's swap", Duration::from_secs(60), || has_state(&dst));
        f
    };
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    w.join().unwrap();
    cutover_and_verify(&src, &dst, follower, &slot);
}

#[test]
fn kill_9_of_the_follower_then_resume_is_exactly_once() {
    // Before, during and after the copy; more trials with PGGRAFT_FOLLOW_TRIALS.
    let trials: usize =
        std::env::var("PGGRAFT_FOLLOW_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let mut seed: u64 = std::process::id() as u64;
    for n in 0..trials {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let kill = match n {
            0 => Kill::After(150),
            1 => Kill::LargeTransaction,
            2 => Kill::After(3000),
            3 => Kill::Spool,
            _ => Kill::After(100 + (seed >> 33) % 4000),
        };
        eprintln!("trial {n}: kill -9 at {kill:?}");
        kill_trial(n, kill);
    }
}

#[test]
fn map_run_follow_applies_changes_through_the_mapping_then_cuts_over() {
    let src = db_with(
        "fcli_map_src",
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, cents bigint NOT NULL);
         INSERT INTO orders SELECT g, 'c' || g, g * 137 FROM generate_series(1, 300) g;",
    );
    let dst = db_with(
        "fcli_map_dst",
        "CREATE TABLE purchases (order_id bigint PRIMARY KEY, buyer text NOT NULL,
                                 dollars numeric(12,2) NOT NULL);",
    );
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("mapping.toml");
    std::fs::write(
        &m,
        "[tables.purchases]\nfrom = \"orders\"\n[tables.purchases.columns]\norder_id = \"id\"\n\
         buyer = \"customer\"\ndollars = \"(cents::numeric / 100)::numeric(12,2)\"\n",
    )
    .unwrap();
    let m = m.display().to_string();
    let (s, t) = (src.url(), dst.url());
    let conns = ["--source", s.as_str(), "--target", t.as_str(), "--mapping", m.as_str()];
    let follower = spawn(&[&["map", "run", "--follow", "--slot", "fcli_map"], &conns[..]].concat());
    wait_for("the map's load", Duration::from_secs(60), || has_state(&dst));
    src.psql(
        "INSERT INTO orders VALUES (1000, 'new', 99999); UPDATE orders SET cents = 1 WHERE id = 5;
         UPDATE orders SET customer = 'renamed' WHERE id = 6; DELETE FROM orders WHERE id = 7;",
    )
    .unwrap();
    ok(&["follow", "cutover", "--target", &t]);
    follower.finish_within(Duration::from_secs(120)).code(0);
    ok(&[&["map", "verify"], &conns[..]].concat());
    let rows = dst
        .query("SELECT order_id, buyer, dollars FROM purchases WHERE order_id IN (5, 6, 7, 1000) ORDER BY 1")
        .unwrap();
    assert_eq!(rows, [["5", "c5", "0.01"], ["6", "renamed", "8.22"], ["1000", "new", "999.99"]]);
    ok(&["follow", "cleanup", "--target", &t, "--slot", "fcli_map"]);
}
