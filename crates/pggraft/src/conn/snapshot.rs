//! One instant of a source database that many sessions read together.
//!
//! A snapshot comes into being in one of three ways ([`Origin`]): a session
//! pggraft opens exports it ([`Snapshot::export`]); it is joined by the name
//! another process printed ([`Snapshot::named`], `SET TRANSACTION SNAPSHOT`);
//! or a logical replication slot exports it when it is created
//! ([`Snapshot::from_slot`], for `follow`: the slot's consistent point is the
//! LSN the change stream starts from, so copy and stream meet with no gap and
//! no overlap). Whatever the origin, sessions join it the same way
//! ([`Snapshot::join`], [`Snapshot::begin_on`]); this file is the only place
//! the SQL for exporting and importing a snapshot is written.
//!
//! The snapshot lives as long as whatever holds it: the exporting session
//! (kept here until [`Snapshot::release`]), another process, or the slot's
//! replication connection (kept alive by the caller, handed in as a guard).

use std::any::Any;

use tokio_postgres::Client;

use super::{ConnSpec, prepare_session};
use crate::error::{PgResultExt, Result};
use crate::sql::literal;

/// The transaction every snapshot reader runs in.
const BEGIN_READ_ONLY: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
const BEGIN_READ_WRITE: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ";

/// How a snapshot came into being.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Exported by a session pggraft opened (and holds).
    Exported,
    /// Known by name only; held by another process (`pggraft snapshot`,
    /// `pg_export_snapshot()` in the user's own session).
    Named,
    /// Exported by `CREATE_REPLICATION_SLOT … EXPORT_SNAPSHOT`; changes after
    /// `consistent_point` are in the slot's stream.
    Slot { slot: String, consistent_point: String },
    /// The server could not export a snapshot (a standby): one session reads
    /// everything itself, and nobody can join.
    Local,
}

/// Whether a joining session may write (a same-database copy inserts rows
/// in the transaction that reads the snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

enum Holder {
    /// The exporting session, in its open transaction.
    Session(Client),
    /// Something the caller keeps alive for as long as the snapshot is
    /// needed (a replication connection, say).
    Guard(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
    /// Held by another process.
    Elsewhere,
}

/// A snapshot of one database (see the module docs).
pub struct Snapshot {
    name: Option<String>,
    origin: Origin,
    holder: Holder,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("name", &self.name).field("origin", &self.origin).finish()
    }
}

impl Snapshot {
    /// Connects, opens a read-only repeatable-read transaction with the
    /// session settings, and exports its snapshot. Fails when the server
    /// cannot export one.
    pub async fn export(spec: &ConnSpec) -> Result<Snapshot> {
        let client = open(spec).await?;
        let name: String = client
            .query_one("SELECT pg_catalog.pg_export_snapshot()", &[])
            .await
            .ctx("exporting the source snapshot")?
            .get(0);
        Ok(Snapshot { name: Some(name), origin: Origin::Exported, holder: Holder::Session(client) })
    }

    /// [`Snapshot::export`], falling back to one session that reads alone
    /// when the server cannot export (a standby).
    pub async fn export_or_local(spec: &ConnSpec) -> Result<Snapshot> {
        let client = open(spec).await?;
        match client.query_one("SELECT pg_catalog.pg_export_snapshot()", &[]).await {
            Ok(row) => Ok(Snapshot {
                name: Some(row.get(0)),
                origin: Origin::Exported,
                holder: Holder::Session(client),
            }),
            Err(e) => {
                tracing::debug!("reading on one session (no exported snapshot): {e}");
                client
                    .batch_execute(&format!("ROLLBACK; {BEGIN_READ_ONLY}"))
                    .await
                    .ctx("restarting a read-only transaction")?;
                Ok(Snapshot { name: None, origin: Origin::Local, holder: Holder::Session(client) })
            }
        }
    }

    /// One session reading alone, exporting nothing (nobody joins it).
    pub async fn local(spec: &ConnSpec) -> Result<Snapshot> {
        let client = open(spec).await?;
        Ok(Snapshot { name: None, origin: Origin::Local, holder: Holder::Session(client) })
    }

    /// A snapshot held by another process, known by the name it printed.
    pub fn named(name: impl Into<String>) -> Snapshot {
        Snapshot { name: Some(name.into()), origin: Origin::Named, holder: Holder::Elsewhere }
    }

    /// The snapshot a logical replication slot exported when it was created.
    /// `guard` is whatever keeps it alive (the slot's replication connection,
    /// which must not start streaming until every reader has joined).
    pub fn from_slot(
        name: impl Into<String>,
        slot: impl Into<String>,
        consistent_point: impl Into<String>,
        guard: Box<dyn Any + Send + Sync>,
    ) -> Snapshot {
        Snapshot {
            name: Some(name.into()),
            origin: Origin::Slot { slot: slot.into(), consistent_point: consistent_point.into() },
            holder: Holder::Guard(guard),
        }
    }

    /// The name other sessions import, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The exporting session, when pggraft holds it: it reads inside the
    /// snapshot already (the catalog, sequence values).
    pub fn session(&self) -> Option<&Client> {
        match &self.holder {
            Holder::Session(c) => Some(c),
            _ => None,
        }
    }

    /// The SQL that starts a transaction reading this snapshot.
    fn begin_sql(&self, access: Access) -> String {
        let begin = match access {
            Access::ReadOnly => BEGIN_READ_ONLY,
            Access::ReadWrite => BEGIN_READ_WRITE,
        };
        match &self.name {
            Some(n) => format!("{begin}; SET TRANSACTION SNAPSHOT {}", literal(n)),
            None => begin.to_string(),
        }
    }

    /// Starts a transaction on `client` that reads this snapshot, then runs
    /// `extra` (more settings) in the same round trip.
    pub async fn begin_on(&self, client: &Client, access: Access, extra: &str) -> Result<()> {
        let mut sql = self.begin_sql(access);
        if !extra.is_empty() {
            sql.push_str("; ");
            sql.push_str(extra);
        }
        client.batch_execute(&sql).await.ctx(format!("joining snapshot {}", self.label()))
    }

    /// A new session of `spec` reading this snapshot (read-only, with the
    /// session settings, plus `extra`).
    pub async fn join(&self, spec: &ConnSpec, extra: &str) -> Result<Client> {
        let client = spec.connect().await?;
        prepare_session(&client).await?;
        self.begin_on(&client, Access::ReadOnly, extra).await?;
        Ok(client)
    }

    fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("(local)")
    }

    /// Ends the holding transaction (if pggraft holds it); the snapshot can
    /// no longer be joined afterwards.
    pub async fn release(self) -> Result<()> {
        if let Holder::Session(c) = &self.holder {
            c.batch_execute("COMMIT").await.ctx("closing the source snapshot")?;
        }
        Ok(())
    }
}

/// A session in a read-only repeatable-read transaction with the session
/// settings (applied before BEGIN, so a rolled-back transaction keeps them).
async fn open(spec: &ConnSpec) -> Result<Client> {
    let client = spec.connect().await?;
    prepare_session(&client).await?;
    client.batch_execute(BEGIN_READ_ONLY).await.ctx("starting a read-only transaction")?;
    Ok(client)
}
