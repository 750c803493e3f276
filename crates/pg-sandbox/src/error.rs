//! The crate's error type. Most readers of these messages are looking at a failed test, so each
//! one says what failed and what to do about it.

use std::path::PathBuf;
use std::sync::Arc;

/// Everything that can go wrong while starting, using or finding a sandbox cluster.
///
/// `Clone` so that the process-wide [`Cluster::shared`](crate::Cluster::shared) can hand the
/// same start-up failure to every test instead of retrying `initdb` once per test.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(
        "PostgreSQL {what} not found (looked in {looked}); install them, e.g. \
         `apt-get install {package}`, or set PGGRAFT_PG_BINDIR to the directory holding {program}"
    )]
    BinariesNotFound {
        /// "server binaries" or "client binaries".
        what: &'static str,
        /// The program whose presence marks a usable directory (`initdb`, `psql`).
        program: &'static str,
        package: &'static str,
        looked: String,
    },

    #[error(
        "PGGRAFT_PG_BINDIR={} has no {program}; set it to the bin directory of a PostgreSQL \
         install, e.g. /usr/lib/postgresql/16/bin, or unset it",
        dir.display()
    )]
    BadBinDir { dir: PathBuf, program: &'static str },

    #[error(
        "running as root, but {missing}, and PostgreSQL refuses to run as root; {fix}, or run \
         as a non-root user"
    )]
    CannotDropRoot { missing: &'static str, fix: &'static str },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: Arc<std::io::Error>,
    },

    /// A PostgreSQL program (initdb, psql, pg_dump, ...) exited unsuccessfully. `stderr` is its
    /// own diagnostic, kept verbatim because psql's `LINE 1: ... ^` caret needs its lines.
    #[error("{what} failed ({status}): {stderr}")]
    Command { what: String, status: String, stderr: String },

    #[error(
        "PostgreSQL server did not start ({reason}); the last lines of its log say why:\n{log_tail}"
    )]
    Start { reason: String, log_tail: String },

    #[error(
        "PGGRAFT_TEST_URL is not usable: {reason}; set it to \
         postgresql://USER[:PASSWORD]@HOST[:PORT][/DBNAME] naming a superuser on a running \
         server, or unset it to start a private cluster"
    )]
    TestUrl { reason: String },

    #[error("cannot {what}: the server was not started by pg-sandbox (PGGRAFT_TEST_URL)")]
    NotOurs { what: &'static str },
}

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io { context: context.into(), source: Arc::new(source) }
    }
}
