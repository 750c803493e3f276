//! The library's error type. Each variant carries the object and the side it
//! concerns, and [`Error::kind`] tells a caller whether retrying can help.

use std::fmt;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether an error is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bad input from the user: fix the command line or the files.
    Input,
    /// Could not reach or authenticate to a server; may succeed later.
    Connection,
    /// The server refused or failed a statement.
    Database,
    /// Something pggraft cannot handle (an unsupported object kind, a bug).
    Unsupported,
    /// Local I/O.
    Io,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid connection string: {0}")]
    InvalidConnInfo(String),
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    /// The server's message is already in `message`; the driver error is
    /// kept for its SQLSTATE (not as a `source`, which would print the
    /// same message again in an error chain).
    #[error("{context}: {message}")]
    Db { context: String, message: String, pg: Option<tokio_postgres::Error> },
    #[error("{0}")]
    Input(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Sandbox(#[from] pg_sandbox::Error),
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidConnInfo(_) | Error::Input(_) => ErrorKind::Input,
            Error::Connect { .. } => ErrorKind::Connection,
            Error::Db { pg: Some(e), .. } if e.is_closed() => ErrorKind::Connection,
            Error::Db { .. } => ErrorKind::Database,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Io { .. } | Error::Sandbox(_) => ErrorKind::Io,
        }
    }

    /// Wraps a driver error with what we were doing, keeping the server's
    /// message, detail and hint readable (the driver's own Display says only
    /// "db error").
    pub fn db(context: impl fmt::Display, e: tokio_postgres::Error) -> Error {
        Error::Db { context: context.to_string(), message: describe_pg_error(&e), pg: Some(e) }
    }

    pub fn input(msg: impl Into<String>) -> Error {
        Error::Input(msg.into())
    }

    pub fn io(context: impl fmt::Display, source: std::io::Error) -> Error {
        Error::Io { context: context.to_string(), source }
    }
}

/// One line (plus detail/hint) describing a driver error.
pub fn describe_pg_error(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{}: {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            s.push_str(&format!(" (detail: {d})"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!(" (hint: {h})"));
        }
        // One line: details (deadlock reports, say) can span several.
        return s.replace('\n', "; ");
    }
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(&format!(": {inner}"));
        src = inner.source();
    }
    s
}

/// Extension for `Result<T, tokio_postgres::Error>`.
pub trait PgResultExt<T> {
    fn ctx(self, context: impl fmt::Display) -> Result<T>;
}

impl<T> PgResultExt<T> for std::result::Result<T, tokio_postgres::Error> {
    fn ctx(self, context: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::db(context, e))
    }
}
