//! Throwaway PostgreSQL clusters for tests, benchmarks and `pggraft demo`.
//!
//! [`Cluster::start`] runs initdb into a fresh temporary directory and starts a server on a
//! free port of 127.0.0.1; dropping the [`Cluster`] stops the server and deletes the directory.
//! [`Cluster::shared`] gives every test in a process the same cluster (or the server named by
//! `PGGRAFT_TEST_URL`), and [`Cluster::create_database`] a fresh database per test, dropped
//! when its [`TestDb`] guard goes out of scope.
//!
//! Everything goes through PostgreSQL's own programs (initdb, pg_ctl, psql, pg_dump), found by
//! [`find_bindir`], so this crate needs no driver and no async runtime. It owns starting,
//! configuring and cleaning up servers; what the code under test does with them is its own
//! business.
//!
//! Cleaning up does not rely on destructors alone: each private cluster comes with a watchdog
//! process that stops the server and removes its directory as soon as this process is gone,
//! whether it returned, panicked, aborted or was killed.
//!
//! The superuser `postgres` connects over TCP without a password; other roles
//! ([`Cluster::create_role`]) must use theirs (scram-sha-256), so authentication can be tested.
//!
//! ```no_run
//! let cluster = pg_sandbox::Cluster::shared()?;
//! let db = cluster.create_database("orders")?;
//! db.psql("CREATE TABLE t (id int PRIMARY KEY)")?;
//! assert_eq!(db.query("SELECT count(*) FROM t")?, [["0"]]);
//! # Ok::<(), pg_sandbox::Error>(())
//! ```

mod bindir;
mod conninfo;
mod dump;
mod error;
mod process;
mod server;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

pub use bindir::find_bindir;
pub use error::Error;

use conninfo::ConnInfo;
use process::run;
use server::Server;

/// The superuser role of every private cluster.
const SUPERUSER: &str = "postgres";

/// Separators for [`Cluster::query`]: a NUL cannot occur in PostgreSQL text, so rows split
/// unambiguously; the ASCII unit separator between fields is as unlikely as a byte can be.
const FIELD_SEP: &str = "\x1f";

/// Options for [`Cluster::start_with`].
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    /// Extra postgresql.conf settings, as `(name, value)`. Values are written quoted, so pass
    /// them unquoted: `("shared_preload_libraries", "pg_stat_statements")`. They come after the
    /// sandbox's own settings and so override them (except `port`).
    pub settings: Vec<(String, String)>,
    /// The directory of the server programs (`initdb`, `pg_ctl`, `postgres`) to run, for a
    /// cluster of a chosen version; `None`: [`find_bindir`]'s. When it has no psql and pg_dump
    /// (a server-only build), the machine's clients are used with it.
    pub bindir: Option<PathBuf>,
}

/// A PostgreSQL server to run tests against: a private one started by this process, or the
/// existing server named by `PGGRAFT_TEST_URL` (see [`Cluster::shared`]).
pub struct Cluster {
    conn: ConnInfo,
    bindir: PathBuf,
    /// Where psql and pg_dump come from: `bindir` unless it has none.
    client_bindir: PathBuf,
    /// `None` for a server we did not start (and must not stop).
    server: Option<Server>,
}

// Tests share one cluster across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Cluster>();
};

impl fmt::Debug for Cluster {
    // By hand: the connection info may hold a password from PGGRAFT_TEST_URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("host", &self.conn.host)
            .field("port", &self.conn.port)
            .field("superuser", &self.conn.user)
            .field("bindir", &self.bindir)
            .field("client_bindir", &self.client_bindir)
            .field("data_dir", &self.data_dir())
            .finish()
    }
}

impl Cluster {
    /// Starts a new private cluster, stopped and deleted when dropped.
    pub fn start() -> Result<Cluster, Error> {
        Cluster::start_with(ClusterOptions::default())
    }

    /// Starts a new private cluster with extra settings, stopped and deleted when dropped.
    pub fn start_with(opts: ClusterOptions) -> Result<Cluster, Error> {
        let bindir = match &opts.bindir {
            Some(dir) if dir.join("initdb").is_file() => dir.clone(),
            Some(dir) => return Err(Error::BadBinDir { dir: dir.clone(), program: "initdb" }),
            None => find_bindir()?,
        };
        let client_bindir = bindir::client_bindir_for(&bindir)?;
        let (server, port) = Server::start(&bindir, &opts)?;
        Ok(Cluster { conn: ConnInfo::local(port), bindir, client_bindir, server: Some(server) })
    }

    /// Starts a private cluster of the server programs in `bindir` (see
    /// [`ClusterOptions::bindir`]).
    pub fn start_in(bindir: impl Into<PathBuf>) -> Result<Cluster, Error> {
        Cluster::start_with(ClusterOptions { bindir: Some(bindir.into()), ..Default::default() })
    }

    /// The cluster shared by everything in this process, created on first use.
    ///
    /// If `PGGRAFT_TEST_URL` is set (a postgres URL for a superuser on an existing server),
    /// that server is used and nothing is started. Otherwise a private cluster is started;
    /// since statics are never dropped, its watchdog stops it once the process exits.
    ///
    /// A failure is remembered: every later call returns the same error at once.
    pub fn shared() -> Result<&'static Cluster, Error> {
        static SHARED: OnceLock<Result<Cluster, Error>> = OnceLock::new();
        SHARED
            .get_or_init(|| match std::env::var_os("PGGRAFT_TEST_URL") {
                Some(url) if !url.is_empty() => match url.into_string() {
                    Ok(url) => Cluster::existing(&url),
                    Err(_) => Err(Error::TestUrl { reason: "it is not valid UTF-8".to_owned() }),
                },
                _ => Cluster::start(),
            })
            .as_ref()
            .map_err(Error::clone)
    }

    /// Uses a running server as a superuser, after checking that it is one.
    fn existing(url: &str) -> Result<Cluster, Error> {
        let conn = ConnInfo::parse(url)?;
        let bindir = bindir::find_client_bindir()?;
        let cluster = Cluster { conn, client_bindir: bindir.clone(), bindir, server: None };
        let sql = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user";
        let rows = cluster.query(&cluster.conn.maintenance_db, sql).map_err(|e| match e {
            Error::Command { stderr, .. } => {
                Error::TestUrl { reason: format!("cannot connect ({})", first_line(&stderr)) }
            }
            other => other,
        })?;
        if rows != [["t"]] {
            let reason = format!("role `{}` is not a superuser", cluster.conn.user);
            return Err(Error::TestUrl { reason });
        }
        Ok(cluster)
    }

    /// `127.0.0.1` for a private cluster.
    pub fn host(&self) -> &str {
        &self.conn.host
    }

    pub fn port(&self) -> u16 {
        self.conn.port
    }

    /// The superuser role the sandbox connects as: `postgres` for a private cluster.
    pub fn superuser(&self) -> &str {
        &self.conn.user
    }

    /// The directory holding PostgreSQL's programs (see [`find_bindir`]).
    pub fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// The data directory of a private cluster; `None` for a `PGGRAFT_TEST_URL` server.
    pub fn data_dir(&self) -> Option<&Path> {
        self.server.as_ref().map(Server::data_dir)
    }

    /// Stops a private cluster's server (fast shutdown, as an administrator or a failover
    /// would: every session is ended) until [`Cluster::start_server`]; for tests of what
    /// happens to clients when the server goes away. A `PGGRAFT_TEST_URL` server is not ours
    /// to stop: that is an error.
    pub fn stop_server(&self) -> Result<(), Error> {
        self.own_server("stop the server")?.stop_now()
    }

    /// Starts a server stopped by [`Cluster::stop_server`] again, on the same port.
    pub fn start_server(&self) -> Result<(), Error> {
        self.own_server("start the server")?.start_again()
    }

    fn own_server(&self, what: &'static str) -> Result<&Server, Error> {
        self.server.as_ref().ok_or(Error::NotOurs { what })
    }

    /// `postgresql://postgres@127.0.0.1:PORT/DBNAME`, with `dbname` percent-encoded.
    pub fn url(&self, dbname: &str) -> String {
        self.conn.url(dbname)
    }

    /// Path to a program: `pg_dump`, `pg_restore`, `pgbench`, ..., from
    /// [`bindir`](Self::bindir), or for a server-only build from the machine's clients.
    pub fn bin(&self, name: &str) -> PathBuf {
        let own = self.bindir.join(name);
        if own.is_file() { own } else { self.client_bindir.join(name) }
    }

    /// The server's `server_version_num` (150004 for 15.4).
    pub fn server_version_num(&self) -> Result<u32, Error> {
        let rows = self.query(&self.conn.maintenance_db, "SHOW server_version_num")?;
        let text = rows.first().and_then(|r| r.first()).cloned().unwrap_or_default();
        text.trim().parse().map_err(|_| Error::Command {
            what: "reading server_version_num".into(),
            status: "unexpected output".into(),
            stderr: text,
        })
    }

    /// Creates a fresh, empty database (from template0) named `prefix` (lowercased, other
    /// characters than `[a-z0-9_]` replaced by `_`) plus the process id and a counter. The
    /// database is dropped when the returned guard is.
    pub fn create_database(&self, prefix: &str) -> Result<TestDb<'_>, Error> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = sanitize_prefix(prefix);
        let pid = std::process::id();
        let mut attempts = 0;
        loop {
            let name = format!("{base}_{pid}_{}", COUNTER.fetch_add(1, Ordering::Relaxed));
            let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE template0");
            match self.psql(&self.conn.maintenance_db, &sql) {
                Ok(_) => return Ok(TestDb { cluster: self, name }),
                // Another machine's process with our pid on a PGGRAFT_TEST_URL server.
                Err(Error::Command { stderr, .. })
                    if stderr.contains("already exists") && attempts < 5 =>
                {
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs SQL (any number of statements, psql meta-commands allowed) in `dbname` as the
    /// superuser, stopping at the first error. Returns psql's stdout; the error carries its
    /// stderr.
    pub fn psql(&self, dbname: &str, sql: &str) -> Result<String, Error> {
        let mut cmd = self.psql_command(dbname);
        // `-f -` rather than plain stdin: errors then say which line of the script failed.
        cmd.arg("--file=-");
        run(&mut cmd, Some(sql.as_bytes()), &format!("psql in database `{dbname}`"))
    }

    /// Like [`psql`](Self::psql), with the SQL read from a file.
    pub fn psql_file(&self, dbname: &str, path: &Path) -> Result<String, Error> {
        let mut cmd = self.psql_command(dbname);
        cmd.arg("-f").arg(path);
        let what = format!("psql -f {} in database `{dbname}`", path.display());
        run(&mut cmd, None, &what)
    }

    /// Runs SQL and returns the rows of its result, each a list of column values as text.
    /// NULL reads as an empty string. With several statements, the rows of all results are
    /// concatenated.
    pub fn query(&self, dbname: &str, sql: &str) -> Result<Vec<Vec<String>>, Error> {
        let mut cmd = self.psql_command(dbname);
        cmd.args(["--file=-", "--no-align", "--tuples-only", "--record-separator-zero"])
            .arg(format!("--field-separator={FIELD_SEP}"));
        let out = run(&mut cmd, Some(sql.as_bytes()), &format!("query in database `{dbname}`"))?;
        Ok(parse_rows(&out))
    }

    /// `pg_dump --schema-only` of `dbname`, or of just the named schemas (exact names, not
    /// patterns; each must exist), normalized for comparison: no comments, no `SET` preamble,
    /// no `\restrict` keys, single blank lines.
    pub fn dump_schema(&self, dbname: &str, schemas: &[&str]) -> Result<String, Error> {
        self.dump_schema_except(dbname, schemas, &[])
    }

    /// [`Cluster::dump_schema`], leaving out the schemas in `exclude`
    /// (pggraft's own bookkeeping schema, say).
    pub fn dump_schema_except(
        &self,
        dbname: &str,
        schemas: &[&str],
        exclude: &[&str],
    ) -> Result<String, Error> {
        self.dump_by(self, dbname, schemas, exclude)
    }

    /// [`Cluster::dump_schema_except`] with the pg_dump of `clients`: one new enough for the
    /// servers on both sides of a comparison across versions.
    fn dump_by(
        &self,
        clients: &Cluster,
        dbname: &str,
        schemas: &[&str],
        exclude: &[&str],
    ) -> Result<String, Error> {
        let mut cmd = clients.client("pg_dump");
        for schema in exclude {
            cmd.arg(format!("--exclude-schema={}", dump::exact_pattern(schema)));
        }
        cmd.arg("--schema-only").arg(format!("--dbname={}", self.url(dbname)));
        if !schemas.is_empty() {
            // A misspelt schema would otherwise just be missing from both sides of a comparison.
            cmd.arg("--strict-names");
        }
        for schema in schemas {
            cmd.arg(format!("--schema={}", dump::exact_pattern(schema)));
        }
        let out = run(&mut cmd, None, &format!("pg_dump of database `{dbname}`"))?;
        Ok(dump::normalize(&out))
    }

    /// Creates a login role with a password if no role of that name exists (an existing role
    /// is left as it is). Roles are cluster-wide, so tests sharing a cluster share them.
    pub fn create_role(&self, name: &str, password: &str, superuser: bool) -> Result<(), Error> {
        let power = if superuser { "SUPERUSER" } else { "NOSUPERUSER" };
        // psql variables quote the name and password for us; \gexec runs the built statement.
        let sql = format!(
            "SELECT format('CREATE ROLE %I LOGIN {power} PASSWORD %L', :'name', :'password') \
             WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \\gexec\n"
        );
        let mut cmd = self.psql_command(&self.conn.maintenance_db);
        cmd.arg("--file=-");
        cmd.arg("-v").arg(format!("name={name}")).arg("-v").arg(format!("password={password}"));
        match run(&mut cmd, Some(sql.as_bytes()), &format!("creating role `{name}`")) {
            Ok(_) => Ok(()),
            // Another thread created it between our check and our CREATE ROLE.
            Err(Error::Command { stderr, .. })
                if stderr.contains("already exists")
                    || stderr.contains("pg_authid_rolname_index") =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn psql_command(&self, dbname: &str) -> Command {
        let mut cmd = self.client("psql");
        cmd.args(["--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1"])
            .arg(format!("--dbname={}", self.url(dbname)));
        cmd
    }

    /// A client program set up to talk to this cluster.
    fn client(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin(program));
        if self.server.is_some() {
            // A private cluster is fully described by its URL; libpq settings meant for the
            // user's own servers (sslmode=require, a service file) would only break it. For a
            // PGGRAFT_TEST_URL server they may be exactly what the user wants, so they stay.
            for var in [
                "PGSERVICE",
                "PGSERVICEFILE",
                "PGOPTIONS",
                "PGSSLMODE",
                "PGREQUIRESSL",
                "PGSSLNEGOTIATION",
                "PGGSSENCMODE",
                "PGREQUIREAUTH",
                "PGCHANNELBINDING",
                "PGTARGETSESSIONATTRS",
            ] {
                cmd.env_remove(var);
            }
        }
        // Output is read as UTF-8.
        cmd.env("PGCLIENTENCODING", "UTF8");
        if std::env::var_os("PGCONNECT_TIMEOUT").is_none() {
            cmd.env("PGCONNECT_TIMEOUT", "10");
        }
        cmd
    }
}

/// A database created by [`Cluster::create_database`], dropped (WITH (FORCE), closing any
/// connections left open) when this guard is dropped.
#[derive(Debug)]
pub struct TestDb<'a> {
    cluster: &'a Cluster,
    name: String,
}

impl TestDb<'_> {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        self.cluster.url(&self.name)
    }

    pub fn psql(&self, sql: &str) -> Result<String, Error> {
        self.cluster.psql(&self.name, sql)
    }

    pub fn query(&self, sql: &str) -> Result<Vec<Vec<String>>, Error> {
        self.cluster.query(&self.name, sql)
    }

    pub fn dump_schema(&self, schemas: &[&str]) -> Result<String, Error> {
        self.cluster.dump_schema(&self.name, schemas)
    }

    /// The whole database's structure, without the schemas in `exclude`.
    pub fn dump_schema_except(&self, exclude: &[&str]) -> Result<String, Error> {
        self.cluster.dump_schema_except(&self.name, &[], exclude)
    }

    /// [`TestDb::dump_schema_except`] by the pg_dump of another cluster (pg_dump refuses a
    /// server newer than itself, so comparing across versions needs the newer side's).
    pub fn dump_schema_by(&self, clients: &Cluster, exclude: &[&str]) -> Result<String, Error> {
        self.cluster.dump_by(clients, &self.name, &[], exclude)
    }

    pub fn cluster(&self) -> &Cluster {
        self.cluster
    }
}

impl Drop for TestDb<'_> {
    fn drop(&mut self) {
        // WITH (FORCE) needs PostgreSQL 13+.
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(e) = self.cluster.psql(&self.cluster.conn.maintenance_db, &sql) {
            eprintln!("pg-sandbox: could not drop test database `{}`: {e}", self.name);
        }
    }
}

/// Lowercase `[a-z0-9_]`, at most 40 bytes so that pid and counter still fit in 63.
fn sanitize_prefix(prefix: &str) -> String {
    let mut name: String = prefix
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| if c.is_ascii_lowercase() || c.is_ascii_digit() { c } else { '_' })
        .take(40)
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "db_");
    }
    name
}

/// psql ends every row with the record separator, NUL here, so an empty output has no rows
/// and a lone NUL is one row holding one empty value.
fn parse_rows(out: &str) -> Vec<Vec<String>> {
    out.split_terminator('\0')
        .map(|row| row.split(FIELD_SEP).map(str::to_owned).collect())
        .collect()
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_on_nul() {
        assert_eq!(parse_rows(""), Vec::<Vec<String>>::new());
        assert_eq!(parse_rows("\0"), [[""]]);
        assert_eq!(parse_rows("a\x1fb|c\n\0\0"), [vec!["a", "b|c\n"], vec![""]]);
    }

    #[test]
    fn prefixes_are_sanitized() {
        assert_eq!(sanitize_prefix("Diff Case-1"), "diff_case_1");
        assert_eq!(sanitize_prefix(""), "db_");
        assert_eq!(sanitize_prefix("9lives"), "db_9lives");
        assert_eq!(sanitize_prefix("ü"), "_");
        assert_eq!(sanitize_prefix(&"x".repeat(100)).len(), 40);
    }
}
