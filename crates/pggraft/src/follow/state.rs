//! Where a follow stands, kept on the target in `pggraft.follow` (one row
//! per slot). The row is written by the clone's swap transaction (so a
//! failed clone leaves none), and its `applied_lsn` moves in the same
//! transaction as the changes it covers: after a crash the target says
//! exactly which source transactions it holds, and the stream resumes after
//! them. `follow cutover` asks for a stop by writing `endpos` (or
//! `cutover_requested` for the source's current position) into the row; the
//! follower reads it back each time it commits.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use crate::error::{Error, PgResultExt, Result};
use crate::sql::{QualifiedName, literal};

/// A followed table: its source and target names, and its columns as the
/// stream sends them (generated columns are not sent, nor written).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableMap {
    pub source: QualifiedName,
    pub target: QualifiedName,
    pub columns: Vec<ColumnPair>,
    /// A mapped table (`map run --follow`): the target's columns as
    /// expressions over the source row; `columns` are then the source's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Transform>,
}

/// How `map` fills a target table from a source row, as the follower
/// applies it on the target: each change's source row is bound as a row of
/// the source's column names and types, and the expressions read it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transform {
    /// (target column, its SQL expression over the source columns).
    pub columns: Vec<(String, String)>,
    pub filter: Option<String>,
    /// The target columns that identify a row.
    pub key: Vec<String>,
    /// Each source column's type (`format_type`), in the stream's order.
    pub source_types: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnPair {
    pub source: String,
    pub target: String,
    /// The source column's type, to tell a changed type in a Relation message.
    pub type_oid: u32,
}

/// A sequence set from the live source at cutover.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SequenceMap {
    pub source: QualifiedName,
    pub target: QualifiedName,
}

/// One row of `pggraft.follow`.
#[derive(Debug, Clone, Serialize)]
pub struct FollowState {
    pub slot: String,
    pub publication: String,
    /// The source connection, without its password.
    pub source: String,
    pub tables: Vec<TableMap>,
    pub sequences: Vec<SequenceMap>,
    /// Column values travel in binary (both servers 14+ and only built-in
    /// types), else as text.
    pub binary: bool,
    /// Where the clone's snapshot meets the stream.
    pub consistent_lsn: String,
    /// The end of the last source transaction the target holds.
    pub applied_lsn: String,
    /// The furthest position the source said it had sent.
    pub received_lsn: Option<String>,
    /// Commit time of the last applied transaction.
    pub applied_at: Option<String>,
    pub applied_rows: i64,
    pub endpos: Option<String>,
    pub cutover_requested: bool,
    /// `following`, `done` (cut over) or `stopped` (an error, in `message`).
    pub state: String,
    pub message: Option<String>,
    pub updated_at: String,
}

pub(crate) const ENSURE: &str = "CREATE SCHEMA IF NOT EXISTS pggraft;
CREATE TABLE IF NOT EXISTS pggraft.follow (
    slot text PRIMARY KEY,
    publication text NOT NULL,
    source text NOT NULL,
    tables jsonb NOT NULL,
    sequences jsonb NOT NULL,
    binary_values boolean NOT NULL,
    consistent_lsn pg_lsn NOT NULL,
    applied_lsn pg_lsn NOT NULL,
    received_lsn pg_lsn,
    applied_at timestamptz,
    applied_rows bigint NOT NULL DEFAULT 0,
    endpos pg_lsn,
    cutover_requested boolean NOT NULL DEFAULT false,
    state text NOT NULL DEFAULT 'following',
    message text,
    updated_at timestamptz NOT NULL DEFAULT now()
)";

/// The SQL that creates the row (run in the clone's swap transaction).
pub(crate) fn insert_sql(s: &FollowState) -> Result<String> {
    let tables = serde_json::to_string(&s.tables).map_err(|e| Error::Internal(e.to_string()))?;
    let seqs = serde_json::to_string(&s.sequences).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(format!(
        "{ENSURE};\nDELETE FROM pggraft.follow WHERE slot = {slot};\n\
         INSERT INTO pggraft.follow (slot, publication, source, tables, sequences, binary_values, \
         consistent_lsn, applied_lsn) VALUES ({slot}, {publication}, {source}, {tables}, {seqs}, \
         {binary}, {lsn}, {lsn})",
        slot = literal(&s.slot),
        publication = literal(&s.publication),
        source = literal(&s.source),
        tables = literal(&tables),
        seqs = literal(&seqs),
        binary = s.binary,
        lsn = literal(&s.consistent_lsn),
    ))
}

const COLUMNS: &str = "slot, publication, source, tables::text, sequences::text, binary_values, \
    consistent_lsn::text, applied_lsn::text, received_lsn::text, applied_at::text, applied_rows, \
    endpos::text, cutover_requested, state, message, updated_at::text";

/// Every follow recorded on the target (none when it has no state table).
pub async fn read_all(target: &Client) -> Result<Vec<FollowState>> {
    let exists: bool = target
        .query_one("SELECT pg_catalog.to_regclass('pggraft.follow') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.follow")?
        .get(0);
    if !exists {
        return Ok(vec![]);
    }
    let rows = target
        .query(&format!("SELECT {COLUMNS} FROM pggraft.follow ORDER BY slot"), &[])
        .await
        .ctx("reading pggraft.follow")?;
    rows.iter().map(from_row).collect()
}

fn from_row(r: &tokio_postgres::Row) -> Result<FollowState> {
    let bad = |e: serde_json::Error| Error::Internal(format!("pggraft.follow: {e}"));
    Ok(FollowState {
        slot: r.get(0),
        publication: r.get(1),
        source: r.get(2),
        tables: serde_json::from_str(r.get::<_, &str>(3)).map_err(bad)?,
        sequences: serde_json::from_str(r.get::<_, &str>(4)).map_err(bad)?,
        binary: r.get(5),
        consistent_lsn: r.get(6),
        applied_lsn: r.get(7),
        received_lsn: r.get(8),
        applied_at: r.get(9),
        applied_rows: r.get(10),
        endpos: r.get(11),
        cutover_requested: r.get(12),
        state: r.get(13),
        message: r.get(14),
        updated_at: r.get(15),
    })
}

/// The one follow the target records, or the one named `slot`.
pub async fn read_one(target: &Client, slot: Option<&str>) -> Result<FollowState> {
    let all = read_all(target).await?;
    match slot {
        Some(s) => all.into_iter().find(|f| f.slot == s).ok_or_else(|| {
            Error::input(format!(
                "the target records no follow of slot {s:?}; `pggraft follow status` lists them"
            ))
        }),
        None => {
            let n = all.len();
            let mut it = all.into_iter();
            match (it.next(), n) {
                (Some(f), 1) => Ok(f),
                (None, _) => Err(Error::input(
                    "the target records no follow (pggraft.follow is empty or missing): start \
                     one with `pggraft clone --follow`",
                )),
                _ => Err(Error::input(format!(
                    "the target records {n} follows; name one with --slot"
                ))),
            }
        }
    }
}

/// What the follower learns back each time it writes its position.
#[derive(Debug, Clone, Default)]
pub(crate) struct Control {
    pub endpos: Option<String>,
    pub cutover_requested: bool,
}

/// Moves the applied position (in the caller's open transaction, with the
/// changes it covers) and reads back a cutover request.
pub(crate) async fn advance(
    c: &Client,
    slot: &str,
    applied: &str,
    received: &str,
    applied_at_micros: Option<i64>,
    rows: i64,
) -> Result<Control> {
    let row = c
        .query_one(
            "UPDATE pggraft.follow SET applied_lsn = GREATEST(applied_lsn, $2::text::pg_lsn), \
             received_lsn = GREATEST(received_lsn, $3::text::pg_lsn), \
             applied_at = COALESCE(timestamptz '2000-01-01 00:00:00+00' + $4::int8 * interval '1 microsecond', applied_at), \
             applied_rows = applied_rows + $5, updated_at = now() \
             WHERE slot = $1 RETURNING endpos::text, cutover_requested",
            &[&slot, &applied, &received, &applied_at_micros, &rows],
        )
        .await
        .ctx("recording the applied position in pggraft.follow")?;
    Ok(Control { endpos: row.get(0), cutover_requested: row.get(1) })
}

pub(crate) async fn set_endpos(c: &Client, slot: &str, endpos: &str) -> Result<()> {
    c.execute(
        "UPDATE pggraft.follow SET endpos = $2::text::pg_lsn WHERE slot = $1",
        &[&slot, &endpos],
    )
    .await
    .ctx("recording the cutover position")?;
    Ok(())
}

pub(crate) async fn set_state(
    c: &Client,
    slot: &str,
    state: &str,
    msg: Option<&str>,
) -> Result<()> {
    c.execute(
        "UPDATE pggraft.follow SET state = $2, message = $3, updated_at = now() WHERE slot = $1",
        &[&slot, &state, &msg],
    )
    .await
    .ctx("recording the follow's state")?;
    Ok(())
}

/// Asks the follower to stop at `endpos` (`None`: the source's position
/// when the follower reads the request).
pub(crate) async fn request_cutover(c: &Client, slot: &str, endpos: Option<&str>) -> Result<()> {
    c.execute(
        "UPDATE pggraft.follow SET endpos = $2::text::pg_lsn, cutover_requested = true, \
         updated_at = now() WHERE slot = $1",
        &[&slot, &endpos],
    )
    .await
    .ctx("asking for a cutover")?;
    Ok(())
}

pub(crate) async fn delete(c: &Client, slot: &str) -> Result<u64> {
    let exists: bool = c
        .query_one("SELECT pg_catalog.to_regclass('pggraft.follow') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.follow")?
        .get(0);
    if !exists {
        return Ok(0);
    }
    c.execute("DELETE FROM pggraft.follow WHERE slot = $1", &[&slot])
        .await
        .ctx("removing the follow's state")
}
