//! The target's record of applied migrations, `pggraft.migrations`, and the
//! advisory lock that lets one runner at a time change it.
//!
//! The table is created on first use by a runner holding the lock (two
//! concurrent `CREATE TABLE IF NOT EXISTS` can still collide in the
//! catalog). Readers that change nothing (`status`, `--dry-run`) never
//! create it: a missing table is an empty history.

use tokio_postgres::Client;

use crate::conn::ConnSpec;
use crate::error::{PgResultExt, Result};

/// The history table, schema-qualified.
pub const TABLE: &str = "pggraft.migrations";

/// Creates the history table when it is missing.
const ENSURE: &str = "CREATE SCHEMA IF NOT EXISTS pggraft;
CREATE TABLE IF NOT EXISTS pggraft.migrations (
    version text PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint,
    applied_by text NOT NULL DEFAULT current_user,
    kind text NOT NULL DEFAULT 'file' CHECK (kind IN ('file', 'baseline', 'sync'))
);
COMMENT ON TABLE pggraft.migrations IS 'migrations applied by pggraft migrate and sync-schema';";

/// Creates the table of statement progress when it is missing: how far a
/// migration that runs outside a transaction block got, statement by
/// statement, so a run killed part way leaves a record of what it applied.
const ENSURE_PROGRESS: &str = "CREATE TABLE IF NOT EXISTS pggraft.migration_progress (
    version text NOT NULL,
    action text NOT NULL,
    checksum text NOT NULL,
    statements_done int NOT NULL,
    statements int NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (version, action)
);
COMMENT ON TABLE pggraft.migration_progress IS 'statements applied so far by pggraft migrations \
that run outside a transaction block; a row is removed when its migration completes';";

/// The advisory lock every runner takes before it reads the history.
const LOCK: &str = "SELECT pg_advisory_lock(hashtext('pggraft.migrate'))";
const TRY_LOCK: &str = "SELECT pg_try_advisory_lock(hashtext('pggraft.migrate'))";
const UNLOCK: &str = "SELECT pg_advisory_unlock(hashtext('pggraft.migrate'))";

/// How a history row came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A migration file that `up` ran.
    File,
    /// A migration file recorded by `baseline` without running it.
    Baseline,
    /// A structure update `sync-schema --apply` ran; it has no file.
    Sync,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Baseline => "baseline",
            Kind::Sync => "sync",
        }
    }

    fn parse(s: &str) -> Kind {
        match s {
            "baseline" => Kind::Baseline,
            "sync" => Kind::Sync,
            _ => Kind::File,
        }
    }

    /// Whether a file in the migrations folder stands behind the row.
    pub fn has_file(self) -> bool {
        self != Kind::Sync
    }
}

/// One applied migration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HistoryRow {
    pub version: String,
    pub name: String,
    pub checksum: String,
    /// `YYYY-MM-DD HH:MM:SS` UTC.
    pub applied_at: String,
    pub duration_ms: Option<i64>,
    pub applied_by: String,
    pub kind: Kind,
}

/// The history, in version order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub rows: Vec<HistoryRow>,
}

impl History {
    /// Reads the history; empty when the table does not exist yet.
    pub async fn read(client: &Client) -> Result<History> {
        if !exists(client).await? {
            return Ok(History::default());
        }
        let rows = client
            .query(
                "SELECT version, name, checksum, \
                 to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS applied_at, \
                 duration_ms, applied_by, kind FROM pggraft.migrations ORDER BY version",
                &[],
            )
            .await
            .ctx("reading pggraft.migrations")?;
        Ok(History {
            rows: rows
                .iter()
                .map(|r| HistoryRow {
                    version: r.get("version"),
                    name: r.get("name"),
                    checksum: r.get("checksum"),
                    applied_at: r.get("applied_at"),
                    duration_ms: r.get("duration_ms"),
                    applied_by: r.get("applied_by"),
                    kind: Kind::parse(r.get("kind")),
                })
                .collect(),
        })
    }

    /// Creates the table when it is missing (call with the lock held).
    /// Looks first: `CREATE SCHEMA IF NOT EXISTS` needs the CREATE privilege
    /// on the database even when the schema exists, which a role that only
    /// runs migrations may lack.
    pub async fn ensure(client: &Client) -> Result<()> {
        if !exists(client).await? {
            client.batch_execute(ENSURE).await.ctx("creating pggraft.migrations")?;
        }
        let progress: bool = client
            .query_one("SELECT to_regclass('pggraft.migration_progress') IS NOT NULL", &[])
            .await
            .ctx("looking for pggraft.migration_progress")?
            .get(0);
        if !progress {
            client
                .batch_execute(ENSURE_PROGRESS)
                .await
                .ctx("creating pggraft.migration_progress")?;
        }
        Ok(())
    }

    pub fn get(&self, version: &str) -> Option<&HistoryRow> {
        self.rows.iter().find(|r| r.version == version)
    }

    /// The rows with a migration file behind them.
    pub fn file_rows(&self) -> impl DoubleEndedIterator<Item = &HistoryRow> {
        self.rows.iter().filter(|r| r.kind.has_file())
    }

    /// The newest version of any kind.
    pub fn newest(&self) -> Option<&str> {
        self.rows.last().map(|r| r.version.as_str())
    }
}

async fn exists(client: &Client) -> Result<bool> {
    Ok(client
        .query_one("SELECT to_regclass('pggraft.migrations') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.migrations")?
        .get(0))
}

/// Inserts a history row (inside the caller's transaction, if any).
pub(crate) async fn insert(
    client: &Client,
    version: &str,
    name: &str,
    checksum: &str,
    duration_ms: Option<i64>,
    kind: Kind,
) -> Result<()> {
    client
        .execute(
            "INSERT INTO pggraft.migrations (version, name, checksum, duration_ms, kind) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&version, &name, &checksum, &duration_ms, &kind.as_str()],
        )
        .await
        .ctx(format!("recording {version}_{name} in pggraft.migrations"))?;
    Ok(())
}

pub(crate) async fn delete(client: &Client, version: &str) -> Result<()> {
    client
        .execute("DELETE FROM pggraft.migrations WHERE version = $1", &[&version])
        .await
        .ctx(format!("removing {version} from pggraft.migrations"))?;
    Ok(())
}

/// Which migration (and which way) statement progress is recorded for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProgressKey<'a> {
    pub version: &'a str,
    pub action: &'a str,
    pub checksum: &'a str,
}

/// What an earlier run recorded for a migration that runs outside a
/// transaction block and did not complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EarlierRun {
    pub statements_done: usize,
    pub checksum: String,
    /// `YYYY-MM-DD HH:MM:SS` UTC of its last statement.
    pub at: String,
}

impl ProgressKey<'_> {
    /// The earlier run's record, if there is one.
    pub(crate) async fn read(&self, client: &Client) -> Result<Option<EarlierRun>> {
        let rows = client
            .query(
                "SELECT statements_done, checksum, \
                 to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') \
                 FROM pggraft.migration_progress WHERE version = $1 AND action = $2",
                &[&self.version, &self.action],
            )
            .await
            .ctx("reading pggraft.migration_progress")?;
        Ok(rows.first().map(|r| EarlierRun {
            statements_done: usize::try_from(r.get::<_, i32>(0)).unwrap_or(0),
            checksum: r.get(1),
            at: r.get(2),
        }))
    }

    /// Records that the first `done` of `total` statements are applied.
    pub(crate) async fn write(&self, client: &Client, done: usize, total: usize) -> Result<()> {
        let (done, total) =
            (i32::try_from(done).unwrap_or(i32::MAX), i32::try_from(total).unwrap_or(i32::MAX));
        client
            .execute(
                "INSERT INTO pggraft.migration_progress \
                   (version, action, checksum, statements_done, statements) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version, action) DO UPDATE \
                 SET checksum = EXCLUDED.checksum, statements_done = EXCLUDED.statements_done, \
                     statements = EXCLUDED.statements, updated_at = now()",
                &[&self.version, &self.action, &self.checksum, &done, &total],
            )
            .await
            .ctx("recording statement progress in pggraft.migration_progress")?;
        Ok(())
    }

    /// The migration completed: its progress record goes.
    pub(crate) async fn clear(&self, client: &Client) -> Result<()> {
        client
            .execute(
                "DELETE FROM pggraft.migration_progress WHERE version = $1 AND action = $2",
                &[&self.version, &self.action],
            )
            .await
            .ctx("clearing pggraft.migration_progress")?;
        Ok(())
    }
}

/// The runner's lock: a session of its own holding
/// `pg_advisory_lock(hashtext('pggraft.migrate'))` for the whole run, so
/// that statements running outside a transaction block (and failing) never
/// affect it. Released when dropped (the session closes) or by
/// [`Lock::release`].
pub(crate) struct Lock {
    client: Client,
}

impl Lock {
    /// Waits for the lock; other runners finish first.
    pub(crate) async fn acquire(spec: &ConnSpec) -> Result<Lock> {
        let client = spec.connect().await?;
        let got: bool =
            client.query_one(TRY_LOCK, &[]).await.ctx("taking the migration lock")?.get(0);
        if !got {
            tracing::warn!(
                "another pggraft migrate run holds the migration lock on {}; waiting for it",
                spec.redacted()
            );
            client.query_one(LOCK, &[]).await.ctx("waiting for the migration lock")?;
        }
        Ok(Lock { client })
    }

    /// The lock's session, for history reads and writes between migrations.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) async fn release(self) -> Result<()> {
        self.client.query_one(UNLOCK, &[]).await.ctx("releasing the migration lock")?;
        Ok(())
    }
}
