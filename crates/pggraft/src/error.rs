//! The library's error type. Each variant carries the object and the side it
//! concerns; [`Error::kind`] classifies it and [`Error::is_retryable`] tells a
//! caller whether retrying can help. Tests assert kinds, not message text.

use std::fmt;

use crate::conn::Side;
use crate::sql::QualifiedName;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an error is, and so what a caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input from the user: fix the command line or the files.
    Input,
    /// Could not reach or authenticate to a server, or lost the connection;
    /// may succeed later.
    Connection,
    /// The server refused or failed a statement.
    Database,
    /// Something pggraft does not handle yet (an unsupported object kind).
    Unsupported,
    /// The user asked to stop.
    Interrupted,
    /// Going on would lose something the user did not allow to lose
    /// (objects outside the schemas being replaced); nothing was changed.
    Refused,
    /// A bug in pggraft.
    Internal,
    /// Local I/O.
    Io,
}

/// The library's error. Variants carry the object and the side they concern
/// as data; [`Error::kind`] classifies, [`Error::is_retryable`] says whether
/// trying again can help, [`Error::sqlstate`] gives the server's code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("invalid connection string: {0}")]
    InvalidConnInfo(String),
    #[error("cannot connect to {}{target}: {reason}", side_of(*side))]
    Connect { side: Option<Side>, target: String, reason: String },
    /// The server's message is already in `message`; the driver error is
    /// kept for its SQLSTATE (not as a `source`, which would print the
    /// same message again in an error chain).
    #[error("{}{context}: {message}", side_of(*side))]
    Db { side: Option<Side>, context: String, message: String, pg: Option<tokio_postgres::Error> },
    #[error("{0}")]
    Input(String),
    #[error(
        "target schema {schema:?} already exists in database {database:?}; pass --drop-if-exists \
         to replace it"
    )]
    TargetSchemaExists { schema: String, database: String },
    #[error(
        "roles {} are used by the copied objects (owners, grants or policies) but do not exist \
         on the target; create them there, or pass --no-owner / --no-acl",
        quoted_list(roles)
    )]
    MissingRoles { roles: Vec<String> },
    /// A column's type changes between types that PostgreSQL has no cast
    /// for, and no conversion is known: the user must say how.
    #[error("{}", conversions_needed(columns))]
    ConversionNeeded { columns: Vec<NeededConversion> },
    #[error(
        "replacing target schema(s) {} would also drop {} object(s) outside them that depend on \
         them: {}; change or drop those first, or pass --drop-cascade to drop them too",
        quoted_list(schemas),
        objects.len(),
        objects.join(", ")
    )]
    DependentObjects { schemas: Vec<String>, objects: Vec<String> },
    /// A statement waited for a lock longer than the run allows.
    #[error(
        "{}{object}: gave up after waiting {waited_secs} s for {}{}",
        side_of(Some(*side)),
        lock.as_deref().unwrap_or("a lock"),
        blocked_by(blockers)
    )]
    LockTimeout {
        side: Side,
        object: String,
        waited_secs: u64,
        /// The lock waited for (`relation shop.t (AccessExclusiveLock)`).
        lock: Option<String>,
        blockers: Vec<Blocker>,
    },
    /// A load into existing tables (`--data-only`) that failed or was
    /// stopped part way: each table loads in transactions of its own, so
    /// this says which tables the target now holds the rows of.
    #[error("{error}; {}", partly_loaded(loaded, partly, uncertain, not_loaded))]
    PartlyLoaded {
        error: Box<Error>,
        /// Every row is in.
        loaded: Vec<String>,
        /// Some parts (ctid ranges) are in, others not.
        partly: Vec<String>,
        /// Was loading when the run was stopped: may or may not be in.
        uncertain: Vec<String>,
        /// Nothing is in.
        not_loaded: Vec<String>,
    },
    /// A failed or interrupted run that could not drop what it built.
    #[error(
        "{error}; the temporary schema(s) {} could not be removed from the target ({reason}): \
         remove them with `pggraft cleanup --target '{target}'` (the next clone to this database \
         removes them too)",
        quoted_list(schemas)
    )]
    LeftBehind { error: Box<Error>, schemas: Vec<String>, target: String, reason: String },
    /// An extension goes down to a version its package has no update
    /// path to, and tables use it, so it cannot be dropped and created.
    #[error("{}", no_update_paths(extensions))]
    NoUpdatePath { extensions: Vec<NoUpdatePath> },
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("interrupted; {0}")]
    Interrupted(String),
    #[error("internal error (a bug in pggraft, please report it): {0}")]
    Internal(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Sandbox(#[from] pg_sandbox::Error),
    /// `follow`: the source cannot feed a change stream yet (wal_level,
    /// privileges, tables without a replica identity); nothing was created.
    #[error("the source is not ready to be followed; nothing was created:\n  - {}", problems.join("\n  - "))]
    SourceNotReady { problems: Vec<String> },
    /// `follow`: a table's columns changed on the source (DDL) while it was
    /// followed; nothing of the transaction that met the change was applied.
    #[error(
        "the source's table {table} changed ({change}); the follow stopped before applying the \
         transaction that met the change. Make the same change to the target's table {target}, \
         then run `pggraft follow resume`"
    )]
    SourceDdl { table: String, target: String, change: String },
    /// `follow`: the replication connection failed or sent what it should not.
    #[error("the source: {context}: {message}")]
    Replication { context: String, message: String },
    /// A transaction could not lock the tables it changes within
    /// `lock_timeout`, on every attempt: other sessions held them.
    #[error(
        "the target: could not lock {} within {timeout_ms} ms in {attempts} attempt(s): other \
         sessions hold them; nothing of them was changed. Try again later, or raise \
         --lock-timeout or --lock-retries",
        tables.join(", ")
    )]
    LocksNotGranted { tables: Vec<String>, attempts: u32, timeout_ms: u64 },
    /// `refresh` refused to start (see [`crate::refresh::RefreshError`]).
    #[error(transparent)]
    Refresh(#[from] crate::refresh::RefreshError),
    /// A mapping that does not fit the databases (see [`crate::map::MapError`]).
    #[error(transparent)]
    Map(#[from] crate::map::MapError),
}

/// A column whose type change needs a `USING` expression from the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeededConversion {
    pub table: QualifiedName,
    pub column: String,
    pub from_type: String,
    pub to_type: String,
}

fn conversions_needed(columns: &[NeededConversion]) -> String {
    let each: Vec<String> = columns
        .iter()
        .map(|c| {
            let col = format!("{}.{}", c.table, crate::sql::ident(&c.column));
            format!("{col} from {} to {} (pass --using '{col}=EXPR')", c.from_type, c.to_type)
        })
        .collect();
    format!(
        "PostgreSQL has no cast, and pggraft knows no conversion, for the type change of {}; \
         EXPR computes the new value from the row's old ones (migrate new takes --using too, \
         and --down-using for the way back)",
        each.join(", ")
    )
}

/// An extension version with no update path from FROM's, used by tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoUpdatePath {
    pub extension: String,
    pub from_version: String,
    pub to_version: String,
    /// The tables whose columns use it.
    pub used_by: Vec<String>,
}

fn no_update_paths(list: &[NoUpdatePath]) -> String {
    let each: Vec<String> = list
        .iter()
        .map(|e| {
            format!(
                "extension {} from {} down to {} (used by {}; PostgreSQL extensions ship no \
                 downgrade scripts, and dropping it would drop those columns): keep {} on TO's \
                 side, or if a way down exists run ALTER EXTENSION {} UPDATE TO {} yourself \
                 and diff again",
                crate::sql::ident(&e.extension),
                e.from_version,
                e.to_version,
                e.used_by.join(", "),
                e.from_version,
                crate::sql::ident(&e.extension),
                crate::sql::literal(&e.to_version),
            )
        })
        .collect();
    format!("no update path: {}", each.join("; "))
}

/// A session holding a lock pggraft waited for, as `pg_stat_activity` shows
/// it (fields another role's session hides are `None`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Blocker {
    pub pid: i32,
    pub application_name: Option<String>,
    pub user: Option<String>,
    pub state: Option<String>,
    /// When its transaction started (UTC).
    pub transaction_start: Option<String>,
    pub query: Option<String>,
    /// Which pggraft session it is, when it is one.
    pub pggraft: Option<String>,
}

fn blocked_by(blockers: &[Blocker]) -> String {
    if blockers.is_empty() {
        return "; raise --lock-wait-timeout to wait longer".to_string();
    }
    let each: Vec<String> = blockers
        .iter()
        .map(|b| {
            if let Some(p) = &b.pggraft {
                return format!("{p} (pid {})", b.pid);
            }
            let mut parts = vec![];
            if let Some(u) = &b.user {
                parts.push(format!("user {u}"));
            }
            if let Some(a) = b.application_name.as_deref().filter(|a| !a.is_empty()) {
                parts.push(format!("application {a:?}"));
            }
            if let Some(s) = &b.state {
                parts.push(match &b.transaction_start {
                    Some(t) => format!("{s}, in a transaction since {t}"),
                    None => s.clone(),
                });
            }
            if let Some(q) = &b.query {
                parts.push(format!(
                    "last query: {}",
                    q.split_whitespace().collect::<Vec<_>>().join(" ")
                ));
            }
            format!("session {} ({})", b.pid, parts.join(", "))
        })
        .collect();
    let advice = if blockers
        .iter()
        .any(|b| b.pggraft.as_deref().is_some_and(|p| p.contains("this pggraft run")))
    {
        "pggraft waited for itself, which is a bug in pggraft: please report it"
    } else if blockers.iter().all(|b| b.pggraft.is_some()) {
        "let that run finish first, or raise --lock-wait-timeout"
    } else {
        "end that transaction (or its session: SELECT pg_terminate_backend(pid)) and run again, \
         or raise --lock-wait-timeout"
    };
    format!(", held by {}; {advice}", each.join(" and "))
}

fn partly_loaded(
    loaded: &[String],
    partly: &[String],
    uncertain: &[String],
    not_loaded: &[String],
) -> String {
    let list = |v: &[String]| v.join(", ");
    if loaded.is_empty() && partly.is_empty() && uncertain.is_empty() {
        return "no table was loaded: the target is as it was".to_string();
    }
    let mut parts = vec![];
    if !loaded.is_empty() {
        parts.push(format!("loaded: {}", list(loaded)));
    }
    if !partly.is_empty() {
        parts.push(format!("partly loaded (some of their ranges): {}", list(partly)));
    }
    if !uncertain.is_empty() {
        parts.push(format!("being loaded when stopped (check them): {}", list(uncertain)));
    }
    if !not_loaded.is_empty() {
        parts.push(format!("not loaded: {}", list(not_loaded)));
    }
    format!(
        "--data-only loads each table on its own, and the target keeps what was loaded: {}",
        parts.join("; ")
    )
}

fn side_of(side: Option<Side>) -> String {
    side.map(|s| format!("the {s}: ")).unwrap_or_default()
}

fn quoted_list(items: &[String]) -> String {
    items.iter().map(|r| format!("{r:?}")).collect::<Vec<_>>().join(", ")
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidConnInfo(_)
            | Error::Input(_)
            | Error::TargetSchemaExists { .. }
            | Error::MissingRoles { .. }
            | Error::ConversionNeeded { .. }
            | Error::NoUpdatePath { .. }
            | Error::SourceNotReady { .. } => ErrorKind::Input,
            Error::SourceDdl { .. } => ErrorKind::Unsupported,
            Error::Replication { .. } => ErrorKind::Connection,
            Error::Connect { .. } => ErrorKind::Connection,
            Error::Db { pg: Some(e), .. } if lost_connection(e) => ErrorKind::Connection,
            Error::Db { .. } => ErrorKind::Database,
            Error::DependentObjects { .. } => ErrorKind::Refused,
            Error::LeftBehind { error, .. } | Error::PartlyLoaded { error, .. } => error.kind(),
            Error::LockTimeout { .. } => ErrorKind::Database,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Interrupted(_) => ErrorKind::Interrupted,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Io { .. } | Error::Sandbox(_) => ErrorKind::Io,
            Error::LocksNotGranted { .. } => ErrorKind::Database,
            Error::Refresh(e) => e.kind(),
            Error::Map(e) => e.kind(),
        }
    }

    /// Whether the same operation may succeed if tried again: a lost or
    /// refused connection, a deadlock or serialization failure, a lock
    /// that was not granted in time, a server shutting down.
    pub fn is_retryable(&self) -> bool {
        use tokio_postgres::error::SqlState;
        if self.kind() == ErrorKind::Connection
            || matches!(self, Error::LockTimeout { .. } | Error::LocksNotGranted { .. })
        {
            return true;
        }
        self.sqlstate().is_some_and(|s| {
            [
                SqlState::T_R_DEADLOCK_DETECTED,
                SqlState::T_R_SERIALIZATION_FAILURE,
                SqlState::LOCK_NOT_AVAILABLE,
                SqlState::ADMIN_SHUTDOWN,
                SqlState::CANNOT_CONNECT_NOW,
                SqlState::TOO_MANY_CONNECTIONS,
            ]
            .contains(s)
        })
    }

    /// The server's SQLSTATE, when a statement failed.
    pub fn sqlstate(&self) -> Option<&tokio_postgres::error::SqlState> {
        match self {
            Error::Db { pg: Some(e), .. } => e.code(),
            Error::LeftBehind { error, .. } | Error::PartlyLoaded { error, .. } => error.sqlstate(),
            _ => None,
        }
    }

    /// Which side the error happened on, when known.
    pub fn side(&self) -> Option<Side> {
        match self {
            Error::Connect { side, .. } | Error::Db { side, .. } => *side,
            Error::LeftBehind { error, .. } | Error::PartlyLoaded { error, .. } => error.side(),
            Error::LockTimeout { side, .. } => Some(*side),
            _ => None,
        }
    }

    /// Says which side a connection or statement error happened on (kept
    /// when already known).
    pub fn on(mut self, at: Side) -> Error {
        if let Error::Connect { side, .. } | Error::Db { side, .. } = &mut self {
            side.get_or_insert(at);
        }
        self
    }

    /// Wraps a driver error with what we were doing, keeping the server's
    /// message, detail and hint readable (the driver's own Display says only
    /// "db error").
    pub fn db(context: impl fmt::Display, e: tokio_postgres::Error) -> Error {
        Error::Db {
            side: None,
            context: context.to_string(),
            message: describe_pg_error(&e),
            pg: Some(e),
        }
    }

    pub fn input(msg: impl Into<String>) -> Error {
        Error::Input(msg.into())
    }

    pub fn internal(msg: impl Into<String>) -> Error {
        Error::Internal(msg.into())
    }

    pub fn io(context: impl fmt::Display, source: std::io::Error) -> Error {
        Error::Io { context: context.to_string(), source }
    }
}

/// Whether the session is gone: the socket closed, or the server ended the
/// session (shutting down, restarting, an administrator terminating it).
fn lost_connection(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    if e.is_closed() {
        return true;
    }
    match e.as_db_error() {
        Some(db) => {
            db.severity() == "FATAL"
                || db.code().code().starts_with("08")
                || [
                    SqlState::ADMIN_SHUTDOWN,
                    SqlState::CRASH_SHUTDOWN,
                    SqlState::CANNOT_CONNECT_NOW,
                ]
                .contains(db.code())
        }
        // An I/O error on the socket (reset, broken pipe) rather than a
        // message from the server.
        None => std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>()),
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
