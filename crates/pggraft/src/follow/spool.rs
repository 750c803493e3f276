//! The changes that arrive while the copy runs, kept until it is done.
//!
//! The slot's exported snapshot is held by the connection that created the
//! slot, which must not stream (START_REPLICATION there would end the
//! snapshot). So [`Spooler`] opens a second replication connection as soon
//! as the copy starts, streams from the slot's consistent point, and writes
//! what arrives into `pggraft.follow_spool` on the target, in batches of
//! committed rows; it tells the source a position only once the rows up to
//! it are committed there, so the source can let go of its WAL while the
//! copy is still running, and nothing it let go of is lost. A large source
//! transaction is written in batches as it streams, never held whole.
//!
//! The spool is a table in the target rather than a local file because the
//! target is where exactly-once lives already: its WAL makes a committed
//! batch durable (no fsync dance of ours), a `follow resume` on another
//! machine finds it, and the follower's position and the spool are read
//! from one place. Rows are written as the stream's bytes (pgoutput
//! messages, plus the transaction boundaries the transport decoded), so
//! [`Events`] hands the follower the spool and then the live stream as one
//! sequence of [`ReplicationEvent`]s, in commit order (pgoutput sends each
//! transaction whole at its commit), and the follower applies both alike.
//!
//! Only rows up to the last committed boundary (a commit, or a position the
//! spooler acknowledged between transactions) are read back: the part of a
//! transaction whose end was not spooled is not acknowledged either, so the
//! source sends it again, whole.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use pgwire_replication::{Lsn, ReplicationClient, ReplicationEvent};
use tokio::sync::oneshot;
use tokio_postgres::Client;

use super::source::{config, repl};
use crate::conn::{ConnSpec, Side};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::literal;

/// Spooled rows after which a batch is committed (and acknowledged).
const BATCH_ROWS: usize = 5_000;
/// Spooled bytes after which a batch is committed.
const BATCH_BYTES: usize = 8 << 20;
/// Time after which a non-empty batch is committed.
const BATCH_TIME: Duration = Duration::from_millis(500);
/// Rows read back at a time.
const READ_ROWS: i64 = 2_000;

pub(crate) const ENSURE: &str = "CREATE SCHEMA IF NOT EXISTS pggraft;
CREATE TABLE IF NOT EXISTS pggraft.follow_spool (
    slot text NOT NULL,
    seq bigint NOT NULL,
    kind \"char\" NOT NULL,
    lsn bigint NOT NULL,
    end_lsn bigint,
    at bigint,
    data bytea,
    PRIMARY KEY (slot, seq)
)";

/// One spooled event: `B` begin (`lsn` the commit's, `end_lsn` the xid),
/// `D` a pgoutput message, `C` commit, `K` a position acknowledged between
/// transactions.
struct Row {
    kind: i8,
    lsn: i64,
    end_lsn: Option<i64>,
    at: Option<i64>,
    data: Option<Vec<u8>>,
}

fn n(l: Lsn) -> i64 {
    l.as_u64() as i64
}

fn l(n: i64) -> Lsn {
    Lsn::from_u64(n as u64)
}

/// Removes the spool of `slot` (nothing when there is no spool table).
pub(crate) async fn delete(c: &Client, slot: &str) -> Result<u64> {
    let exists: bool = c
        .query_one("SELECT pg_catalog.to_regclass('pggraft.follow_spool') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.follow_spool")?
        .get(0);
    if !exists {
        return Ok(0);
    }
    c.execute("DELETE FROM pggraft.follow_spool WHERE slot = $1", &[&slot])
        .await
        .ctx("removing the follow's spool")
}

/// What the spooler did, once stopped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Spooled {
    pub rows: u64,
    pub transactions: u64,
    /// The last position acknowledged to the source.
    pub acked: Option<Lsn>,
}

/// The spooler task (see the module docs).
pub(crate) struct Spooler {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<Spooled>>,
}

impl Spooler {
    /// Streams from `start` (the slot's consistent point) into the spool.
    pub async fn start(
        source: &ConnSpec,
        target: &ConnSpec,
        slot: &str,
        publication: &str,
        start: &str,
        binary: bool,
    ) -> Result<Spooler> {
        let start = Lsn::parse(start).map_err(|e| Error::Internal(format!("bad LSN: {e}")))?;
        let c = target.connect().await.map_err(|e| e.on(Side::Target))?;
        c.batch_execute(&format!(
            "SET application_name = {}; {ENSURE}",
            literal(&format!("pggraft-spool-{slot}"))
        ))
        .await
        .ctx("creating the follow's spool pggraft.follow_spool on the target")?;
        delete(&c, slot).await?;
        let cfg = config(source, slot, publication, start, Some(binary))?;
        let stream =
            ReplicationClient::connect(cfg).await.map_err(repl("starting the stream to spool"))?;
        let (tx, rx) = oneshot::channel();
        let slot = slot.to_string();
        let task = tokio::spawn(async move { spool(c, stream, slot, rx).await });
        Ok(Spooler { stop: Some(tx), task })
    }

    /// Commits what is pending and stops streaming.
    pub async fn stop(mut self) -> Result<Spooled> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(Error::Internal(format!("the spooler failed: {e}"))),
        }
    }
}

impl Drop for Spooler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn spool(
    c: Client,
    mut stream: ReplicationClient,
    slot: String,
    mut stop: oneshot::Receiver<()>,
) -> Result<Spooled> {
    let mut out = Spooled::default();
    let mut batch: Vec<Row> = vec![];
    let mut bytes = 0usize;
    let mut seq: i64 = 0;
    let mut in_txn = false;
    // The last boundary in `batch` (what its commit lets us acknowledge),
    // and a position between transactions the server announced.
    let mut boundary: Option<Lsn> = None;
    let mut between: Option<Lsn> = None;
    let mut tick = tokio::time::interval(BATCH_TIME);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopping = false;
    loop {
        let mut flush = stopping;
        if !stopping {
            tokio::select! {
                biased;
                _ = &mut stop => { stopping = true; flush = true; }
                ev = stream.recv() => {
                    let Some(ev) = ev.map_err(repl("reading the stream to spool"))? else {
                        return Err(Error::Replication {
                            context: "spooling the stream".into(),
                            message: "the source ended the stream".into(),
                        });
                    };
                    match ev {
                        ReplicationEvent::Begin { final_lsn, xid, commit_time_micros } => {
                            in_txn = true;
                            batch.push(Row { kind: b'B' as i8, lsn: n(final_lsn),
                                end_lsn: Some(xid as i64), at: Some(commit_time_micros), data: None });
                        }
                        ReplicationEvent::XLogData { data, wal_start, wal_end, .. } => {
                            bytes += data.len();
                            batch.push(Row { kind: b'D' as i8, lsn: n(wal_start),
                                end_lsn: Some(n(wal_end)), at: None, data: Some(data.to_vec()) });
                        }
                        ReplicationEvent::Commit { lsn, end_lsn, commit_time_micros } => {
                            in_txn = false;
                            out.transactions += 1;
                            batch.push(Row { kind: b'C' as i8, lsn: n(lsn),
                                end_lsn: Some(n(end_lsn)), at: Some(commit_time_micros), data: None });
                            boundary = Some(end_lsn);
                        }
                        // Everything before it was sent; nothing between the
                        // last commit and it is ours.
                        ReplicationEvent::KeepAlive { wal_end, .. }
                            if !in_txn && boundary.or(out.acked).is_none_or(|b| wal_end > b) =>
                        {
                            between = Some(wal_end);
                        }
                        _ => {}
                    }
                    flush = batch.len() >= BATCH_ROWS || bytes >= BATCH_BYTES;
                }
                _ = tick.tick() => { flush = !batch.is_empty() || between.is_some(); }
            }
        }
        if flush {
            if !in_txn && let Some(p) = between.take() {
                batch.push(Row {
                    kind: b'K' as i8,
                    lsn: n(p),
                    end_lsn: None,
                    at: None,
                    data: None,
                });
                boundary = Some(p);
            }
            if !batch.is_empty() {
                write(&c, &slot, &mut seq, &batch).await?;
                out.rows += batch.len() as u64;
                batch.clear();
                bytes = 0;
            }
            // Committed on the target: the source may let go of it.
            if let Some(b) = boundary.take() {
                stream.update_applied_lsn(b);
                out.acked = Some(b);
            }
        }
        if stopping {
            break;
        }
    }
    let _ = stream.shutdown().await;
    Ok(out)
}

/// Writes one batch (one statement, so one target transaction).
async fn write(c: &Client, slot: &str, seq: &mut i64, rows: &[Row]) -> Result<()> {
    let seqs: Vec<i64> = (0..rows.len() as i64).map(|i| *seq + i + 1).collect();
    let kinds: Vec<i8> = rows.iter().map(|r| r.kind).collect();
    let lsns: Vec<i64> = rows.iter().map(|r| r.lsn).collect();
    let ends: Vec<Option<i64>> = rows.iter().map(|r| r.end_lsn).collect();
    let ats: Vec<Option<i64>> = rows.iter().map(|r| r.at).collect();
    let data: Vec<Option<&[u8]>> = rows.iter().map(|r| r.data.as_deref()).collect();
    c.execute(
        "INSERT INTO pggraft.follow_spool (slot, seq, kind, lsn, end_lsn, at, data) \
         SELECT $1, * FROM unnest($2::int8[], $3::\"char\"[], $4::int8[], $5::int8[], \
         $6::int8[], $7::bytea[])",
        &[&slot, &seqs, &kinds, &lsns, &ends, &ats, &data],
    )
    .await
    .ctx("writing the follow's spool")?;
    *seq += rows.len() as i64;
    Ok(())
}

/// The spooled events (up to the last boundary), then the live stream from
/// where the spool ends; see the module docs.
pub(crate) struct Events {
    source: ConnSpec,
    slot: String,
    publication: String,
    binary: bool,
    /// Where the stream starts: past the spool and what the target holds.
    start: Lsn,
    spool: Option<Reader>,
    stream: Option<ReplicationClient>,
    /// The end of a spool read to its end and not removed yet: it can go
    /// once the target holds everything up to here.
    drained: Option<Lsn>,
}

struct Reader {
    c: Client,
    last: i64,
    /// The last row that may be read (the last boundary).
    upto: i64,
    end: Lsn,
    rows: VecDeque<ReplicationEvent>,
}

impl Events {
    pub async fn new(
        source: &ConnSpec,
        target: &ConnSpec,
        slot: &str,
        publication: &str,
        applied: Lsn,
        binary: bool,
    ) -> Result<Events> {
        let c = target.connect().await.map_err(|e| e.on(Side::Target))?;
        let exists: bool = c
            .query_one("SELECT pg_catalog.to_regclass('pggraft.follow_spool') IS NOT NULL", &[])
            .await
            .ctx("looking for pggraft.follow_spool")?
            .get(0);
        let mut start = applied;
        let mut spool = None;
        if exists {
            let r = c
                .query_one(
                    "SELECT max(seq), max(COALESCE(end_lsn, lsn)) FROM pggraft.follow_spool \
                     WHERE slot = $1 AND kind IN ('C', 'K')",
                    &[&slot],
                )
                .await
                .ctx("reading the follow's spool")?;
            if let (Some(upto), Some(end)) =
                (r.get::<_, Option<i64>>(0), r.get::<_, Option<i64>>(1))
            {
                start = start.max(l(end));
                spool = Some(Reader { c, last: 0, upto, end: l(end), rows: VecDeque::new() });
            }
        }
        Ok(Events {
            source: source.clone(),
            slot: slot.to_string(),
            publication: publication.to_string(),
            binary,
            start,
            spool,
            stream: None,
            drained: None,
        })
    }

    /// The next event: from the spool while it lasts, then from the stream
    /// (connected then, from past the spool). Cancel-safe: a read dropped
    /// half-way is read again.
    pub async fn recv(&mut self) -> Result<Option<ReplicationEvent>> {
        if let Some(r) = &mut self.spool {
            if r.rows.is_empty() && r.last < r.upto {
                let rows =
                    r.c.query(
                        "SELECT seq, kind, lsn, end_lsn, at, data FROM pggraft.follow_spool \
                         WHERE slot = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4",
                        &[&self.slot, &r.last, &r.upto, &READ_ROWS],
                    )
                    .await
                    .ctx("reading the follow's spool")?;
                for row in &rows {
                    r.rows.push_back(event(row)?);
                }
                r.last = rows.last().map(|x| x.get(0)).unwrap_or(r.upto);
            }
            if let Some(ev) = r.rows.pop_front() {
                return Ok(Some(ev));
            }
            self.drained = Some(r.end);
            self.spool = None;
        }
        if self.stream.is_none() {
            let cfg =
                config(&self.source, &self.slot, &self.publication, self.start, Some(self.binary))?;
            self.stream =
                Some(ReplicationClient::connect(cfg).await.map_err(repl("starting the stream"))?);
        }
        let s = self.stream.as_mut().expect("connected");
        s.recv().await.map_err(repl("reading the stream"))
    }

    /// Tells the source the target holds everything before `lsn`.
    pub fn update_applied_lsn(&self, lsn: Lsn) {
        if let Some(s) = &self.stream {
            s.update_applied_lsn(lsn);
        }
    }

    /// Removes the spool once it was read to its end and `applied` (what
    /// the target committed) covers it.
    pub async fn remove_spool(&mut self, c: &Client, applied: Lsn) -> Result<()> {
        if let Some(end) = self.drained
            && applied >= end
        {
            delete(c, &self.slot).await?;
            self.drained = None;
        }
        Ok(())
    }

    pub async fn shutdown(&mut self) {
        if let Some(s) = &mut self.stream {
            let _ = s.shutdown().await;
        }
    }
}

fn event(row: &tokio_postgres::Row) -> Result<ReplicationEvent> {
    let kind: i8 = row.get(1);
    let lsn = l(row.get(2));
    let end: Option<i64> = row.get(3);
    let at: Option<i64> = row.get(4);
    Ok(match kind as u8 {
        b'B' => ReplicationEvent::Begin {
            final_lsn: lsn,
            xid: end.unwrap_or(0) as u32,
            commit_time_micros: at.unwrap_or(0),
        },
        b'D' => ReplicationEvent::XLogData {
            wal_start: lsn,
            wal_end: l(end.unwrap_or(0)),
            server_time_micros: 0,
            data: Bytes::from(row.get::<_, Option<Vec<u8>>>(5).unwrap_or_default()),
        },
        b'C' => ReplicationEvent::Commit {
            lsn,
            end_lsn: l(end.unwrap_or(0)),
            commit_time_micros: at.unwrap_or(0),
        },
        b'K' => ReplicationEvent::KeepAlive {
            wal_end: lsn,
            reply_requested: false,
            server_time_micros: 0,
        },
        k => return Err(Error::Internal(format!("pggraft.follow_spool: unknown kind {k}"))),
    })
}
