//! What the CLI test binaries share (each has `mod util;`): the test
//! cluster (one per binary), fresh databases, and the built `pggraft` run
//! as a user runs it. Every failed expectation about a run prints the
//! command, its exit code, stdout and stderr.

// Each test binary uses only some of these.
#![allow(dead_code)]

use std::fmt;
use std::io::Write;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub mod shape;

use pg_sandbox::{Cluster, TestDb};

/// The test binary's cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    Cluster::shared().expect("start the shared test cluster")
}

/// A fresh database (dropped with the guard), loaded with `sql` (if any).
pub fn db_with(prefix: &str, sql: &str) -> TestDb<'static> {
    let db = cluster().create_database(prefix).expect("create test database");
    if !sql.is_empty() {
        db.psql(sql).expect("load fixture");
    }
    db
}

/// `postgres://ROLE:PASSWORD@HOST:PORT/DBNAME`: non-superusers log in with
/// a password over TCP.
pub fn url_as(role: &str, password: &str, dbname: &str) -> String {
    let c = cluster();
    format!("postgres://{role}:{password}@{}:{}/{dbname}", c.host(), c.port())
}

/// One finished run of the binary.
pub struct Run {
    args: Vec<String>,
    out: Output,
}

/// Runs `pggraft ARGS` with what users see at the default log level and
/// nothing from the developer's environment (`PGGRAFT_LOG`,
/// `PGGRAFT_SOURCE`, `PGGRAFT_TARGET`).
pub fn pggraft(args: &[&str]) -> Run {
    pggraft_env(args, &[])
}

/// [`pggraft`] with these environment variables set.
pub fn pggraft_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    pggraft_in(None, args, env)
}

/// [`pggraft_env`] run in the working directory `dir` (where it looks for `pggraft.toml`);
/// `None`: the test's own, which has no `pggraft.toml`. `PGGRAFT_CONFIG` is never inherited.
pub fn pggraft_in(dir: Option<&std::path::Path>, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = command(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.envs(env.iter().copied()).output().expect("run the pggraft binary");
    Run { args: args.iter().map(|a| a.to_string()).collect(), out }
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pggraft"));
    c.args(args)
        .env_remove("PGGRAFT_CONFIG")
        .env_remove("PGGRAFT_LOG")
        .env_remove("PGGRAFT_SOURCE")
        .env_remove("PGGRAFT_TARGET")
        .env("PGCONNECT_TIMEOUT", "10");
    c
}

/// `pggraft ARGS` started in the background, to be signalled.
pub struct Running {
    args: Vec<String>,
    child: Child,
}

/// Starts `pggraft ARGS` (as [`pggraft`] runs it) without waiting for it.
pub fn spawn(args: &[&str]) -> Running {
    let child = command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the pggraft binary");
    Running { args: args.iter().map(|a| a.to_string()).collect(), child }
}

impl Running {
    /// Sends `signal` (`TERM`, `INT`, `KILL`) to the process.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args([&format!("-{signal}"), &pid]).status();
        assert!(ok.is_ok_and(|s| s.success()), "kill -{signal} {pid} failed");
    }

    /// Waits for the process to end, at most `limit`; panics (killing it) if it does not.
    pub fn finish_within(mut self, limit: Duration) -> Run {
        let started = Instant::now();
        while self.child.try_wait().expect("wait for pggraft").is_none() {
            if started.elapsed() > limit {
                let _ = self.child.kill();
                let out = self.child.wait_with_output().expect("collect pggraft output");
                panic!(
                    "pggraft {:?} still running after {limit:?}\n{}",
                    self.args,
                    Run { args: self.args.clone(), out }
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = self.child.wait_with_output().expect("collect pggraft output");
        Run { args: self.args, out }
    }
}

/// Polls `check` every 100 ms until it holds, at most `limit`; panics naming `what` if not.
#[track_caller]
pub fn wait_for(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A `psql` session of the test's own that holds `LOCK TABLE … IN ACCESS EXCLUSIVE MODE`
/// in a database until [`LockHolder::release`] (or drop), as a user's open transaction would.
pub struct LockHolder {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl LockHolder {
    /// Locks `table` (quoted as needed) in `db` and returns once the lock is granted.
    pub fn lock(db: &TestDb<'_>, table: &str) -> LockHolder {
        LockHolder::hold(db, &format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"), table)
    }

    /// Runs `sql` in a transaction left open and returns once it holds an ACCESS EXCLUSIVE
    /// lock on `table` (`REFRESH MATERIALIZED VIEW`, say, where LOCK TABLE is not allowed).
    pub fn hold(db: &TestDb<'_>, sql: &str, table: &str) -> LockHolder {
        let holder = LockHolder::start(db, sql, &[("PGAPPNAME", "pggraft-test-lock-holder")]);
        let sql = format!(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE a.application_name = 'pggraft-test-lock-holder' AND l.granted \
             AND l.relation = '{table}'::regclass AND l.mode = 'AccessExclusiveLock' \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        );
        wait_for("the test's lock", Duration::from_secs(20), || {
            db.query(&sql).unwrap()[0][0] == "1"
        });
        holder
    }

    /// A session that runs `BEGIN; sql;` and stays in that transaction.
    pub fn start(db: &TestDb<'_>, sql: &str, env: &[(&str, &str)]) -> LockHolder {
        let mut child = Command::new(cluster().bin("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url()])
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start psql");
        let mut stdin = child.stdin.take().expect("psql stdin");
        writeln!(stdin, "BEGIN; {sql};").expect("write to psql");
        stdin.flush().expect("flush psql");
        LockHolder { child, stdin: Some(stdin) }
    }

    /// Ends the transaction and the session.
    pub fn release(mut self) {
        self.end();
    }

    fn end(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "COMMIT;");
        }
        let _ = self.child.wait();
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        self.end();
    }
}

/// Runs pggraft, asserts exit 0, returns stdout.
pub fn ok(args: &[&str]) -> String {
    pggraft(args).code(0).stdout()
}

/// Runs pggraft, asserts the exit code, returns stdout and stderr.
pub fn run(code: i32, args: &[&str]) -> (String, String) {
    let r = pggraft(args).code(code);
    (r.stdout(), r.stderr())
}

/// Runs pggraft, which must refuse: see [`Run::error_line`].
pub fn fails(args: &[&str]) -> String {
    pggraft(args).error_line()
}

impl Run {
    /// Asserts the exit code.
    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.out.status.code(), Some(code), "want exit {code}\n{self}");
        self
    }

    pub fn exit_code(&self) -> Option<i32> {
        self.out.status.code()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    pub fn stdout_bytes(&self) -> &[u8] {
        &self.out.stdout
    }

    /// Asserts a refusal: exit 2, nothing on stdout and exactly one
    /// `error:` line on stderr (clap may add usage lines, a failed run its
    /// progress lines). Returns that line.
    #[track_caller]
    pub fn error_line(&self) -> String {
        assert_eq!(self.out.status.code(), Some(2), "want exit 2\n{self}");
        assert!(self.out.stdout.is_empty(), "printed to stdout on error\n{self}");
        let stderr = self.stderr();
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "want one `error:` line\n{self}");
        errors[0].to_owned()
    }

    /// [`Run::error_line`], and that line is all of stderr.
    #[track_caller]
    pub fn only_error_line(&self) -> String {
        let line = self.error_line();
        assert_eq!(
            self.stderr().lines().count(),
            1,
            "want nothing but the error on stderr\n{self}"
        );
        line
    }
}

/// The command, its exit code, stdout and stderr.
impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pggraft {:?}: exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.args,
            self.out.status.code(),
            self.stdout(),
            self.stderr()
        )
    }
}
