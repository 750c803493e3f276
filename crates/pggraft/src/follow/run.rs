//! The follower: reads what the copy's spooler kept, then the slot's stream
//! from where the spool ends ([`super::spool::Events`]), and applies it
//! from the position the target holds until a cutover position is reached.
//!
//! Exactly once: reading starts at `pggraft.follow.applied_lsn`, the
//! end of the last source transaction the target committed; a transaction
//! whose commit lies before it is skipped; each target transaction moves
//! `applied_lsn` with the changes it holds; the source is told a position
//! (so it can release WAL) only once the target has committed it. Small
//! source transactions are grouped into one target transaction (up to
//! [`GROUP_ROWS`] rows or [`GROUP_TIME`]); a large one is applied as it
//! streams, in one target transaction, never held in memory.
//!
//! The cutover position (`endpos`) is applied up to: a transaction whose
//! commit lies before it is applied whole, one whose commit lies at or
//! after it not at all. The follower stops once the stream shows that
//! everything before `endpos` is in (a transaction beginning past it, or
//! the server saying it has sent past it), sets the sequences from the
//! live source, and records the follow as done.

use std::time::{Duration, Instant};

use pgwire_replication::{Lsn, ReplicationEvent};
use serde::Serialize;
use tokio_postgres::Client;

use super::apply::Applier;
use super::decode::{Message, decode};
use super::source::current_position;
use super::spool::Events;
use super::state::{self, FollowState};
use crate::conn::{ConnSpec, Side, prepare_session};
use crate::engine::Cancel;
use crate::error::{Error, PgResultExt, Result};
use crate::sql::literal;

/// Rows after which a group of source transactions is committed.
const GROUP_ROWS: i64 = 20_000;
/// Time after which a group of source transactions is committed.
const GROUP_TIME: Duration = Duration::from_millis(200);
/// How often the status is reported and a cutover request looked for.
const TICK: Duration = Duration::from_millis(250);

/// Where the follow stands, reported every [`TICK`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    pub received_lsn: String,
    pub applied_lsn: String,
    /// Bytes of WAL the source sent or announced that are not applied.
    pub lag_bytes: u64,
    /// Seconds since the commit of the last applied transaction, while
    /// behind; 0 when caught up.
    pub lag_seconds: f64,
    pub applied_rows: u64,
    pub transactions: u64,
    /// Rows applied per second since the last report.
    pub rows_per_second: f64,
    pub endpos: Option<String>,
}

/// What the follower reports as it goes.
pub trait FollowProgress: Send + Sync {
    fn status(&self, _s: &Status) {}
}

pub struct NoFollowProgress;
impl FollowProgress for NoFollowProgress {}

/// The end of a follow.
#[derive(Debug, Clone, Serialize)]
pub struct FollowReport {
    pub slot: String,
    pub applied_lsn: String,
    pub endpos: Option<String>,
    pub applied_rows: u64,
    pub transactions: u64,
    pub sequences: usize,
    /// The transaction whose commit lies past `endpos` and was not applied.
    pub not_applied: Option<String>,
    pub seconds: f64,
}

/// Options of a follower.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    pub source: ConnSpec,
    pub target: ConnSpec,
    /// Which follow (when the target records several).
    pub slot: Option<String>,
    /// Test hook: exit the process (as kill -9 would leave it) after this
    /// many rows were applied in an open target transaction.
    #[cfg(feature = "failpoints")]
    pub crash_after_rows: Option<u64>,
}

impl FollowOptions {
    pub fn new(source: ConnSpec, target: ConnSpec) -> FollowOptions {
        FollowOptions {
            source,
            target,
            slot: None,
            #[cfg(feature = "failpoints")]
            crash_after_rows: None,
        }
    }
}

fn lsn(s: &str) -> Result<Lsn> {
    Lsn::parse(s).map_err(|e| Error::Internal(format!("bad LSN {s:?}: {e}")))
}

/// Follows until cut over (see the module docs).
pub async fn follow(
    opts: &FollowOptions,
    progress: &dyn FollowProgress,
    cancel: Option<Cancel>,
) -> Result<FollowReport> {
    let target = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    prepare_session(&target).await?;
    let st = state::read_one(&target, opts.slot.as_deref()).await?;
    let control = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    let r = follow_inner(opts, target, &control, &st, progress, cancel).await;
    if let Err(e) = &r
        && e.kind() != crate::error::ErrorKind::Interrupted
    {
        let _ = state::set_state(&control, &st.slot, "stopped", Some(&e.to_string())).await;
    }
    r
}

// The group's bookkeeping is reset after the last commit too.
#[allow(unused_assignments)]
async fn follow_inner(
    opts: &FollowOptions,
    target: Client,
    control: &Client,
    st: &FollowState,
    progress: &dyn FollowProgress,
    cancel: Option<Cancel>,
) -> Result<FollowReport> {
    let started = Instant::now();
    let mut report = FollowReport {
        slot: st.slot.clone(),
        applied_lsn: st.applied_lsn.clone(),
        endpos: st.endpos.clone(),
        applied_rows: 0,
        transactions: 0,
        sequences: 0,
        not_applied: None,
        seconds: 0.0,
    };
    if st.state == "done" {
        return Ok(report);
    }
    state::set_state(control, &st.slot, "following", None).await?;
    // Triggers and foreign keys of the target do not fire again for what
    // the source did (needs a superuser, or SET granted on 15+).
    target
        .batch_execute(&format!(
            "SET application_name = {}",
            literal(&format!("pggraft-follow-{}", st.slot))
        ))
        .await
        .ctx("naming the apply session")?;
    let replica = match target.batch_execute("SET session_replication_role = replica").await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("the target's triggers will fire while applying: {e}");
            false
        }
    };
    let source = opts.source.connect().await.map_err(|e| e.on(Side::Source))?;
    let mut applied = lsn(&st.applied_lsn)?;
    // The copy's spooler may have let go of the slot a moment ago.
    super::source::wait_inactive(&source, &st.slot).await;
    // What the copy's spooler kept, then the slot's stream (`spool.rs`).
    let mut stream =
        Events::new(&opts.source, &opts.target, &st.slot, &st.publication, applied, st.binary)
            .await?;
    let mut applier = Applier::new(target, st.binary, &st.tables).await?;
    applier.reorder = replica;

    let mut endpos = st.endpos.as_deref().map(lsn).transpose()?;
    let mut cutover = st.cutover_requested;
    let mut received = applied;
    // The source transaction being applied: its commit position, and
    // whether the target holds it already.
    let mut in_txn: Option<(Lsn, bool)> = None;
    // The last transaction applied in the open group.
    let mut group_end: Option<Lsn> = None;
    let mut group_at: Option<i64> = None;
    let mut group_started = Instant::now();
    let mut group_rows: i64 = 0;
    let mut txn_start_rows: i64 = 0;
    let mut last_commit_time: Option<Instant> = None;
    let mut last_report = Instant::now();
    let mut rows_at_report = 0u64;
    let mut cancel = cancel;
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    macro_rules! commit_group {
        () => {
            if applier.open {
                let end = group_end.unwrap_or(applied);
                applier.flush().await?;
                let ctl = state::advance(
                    applier.client(),
                    &st.slot,
                    &end.to_string(),
                    &received.to_string(),
                    group_at,
                    group_rows,
                )
                .await?;
                applier.commit().await?;
                stream.update_applied_lsn(end);
                applied = end;
                report.applied_rows += group_rows as u64;
                group_rows = 0;
                group_end = None;
                group_at = None;
                if let Some(e) = ctl.endpos {
                    endpos = Some(lsn(&e)?);
                }
                cutover |= ctl.cutover_requested;
            }
        };
    }

    let stop_reason = loop {
        if cutover && endpos.is_none() {
            let pos = current_position(&source).await.map_err(|e| e.on(Side::Source))?;
            state::set_endpos(control, &st.slot, &pos).await?;
            endpos = Some(lsn(&pos)?);
        }
        if let (Some(e), None) = (endpos, in_txn)
            && applied >= e
        {
            break None;
        }
        let event = tokio::select! {
            biased;
            () = async { match cancel.as_mut() { Some(c) => c.await, None => std::future::pending().await } } => {
                let _ = applier.commit().await;
                return Err(Error::Interrupted(format!(
                    "the follow stopped at {applied}; `pggraft follow resume` continues it"
                )));
            }
            ev = stream.recv() => Some(ev?),
            _ = tick.tick() => None,
        };
        match event {
            None => {
                if in_txn.is_none() {
                    commit_group!();
                    stream.remove_spool(control, applied).await?;
                }
                if last_report.elapsed() >= Duration::from_secs(1) || in_txn.is_none() {
                    // Poll for a cutover request, and say where we are.
                    if !applier.open {
                        let ctl = state::advance(
                            control,
                            &st.slot,
                            &applied.to_string(),
                            &received.to_string(),
                            None,
                            0,
                        )
                        .await?;
                        if let Some(e) = ctl.endpos {
                            endpos = Some(lsn(&e)?);
                        }
                        cutover |= ctl.cutover_requested;
                    }
                    let secs = last_report.elapsed().as_secs_f64().max(0.001);
                    let done = report.applied_rows + applier.rows as u64;
                    progress.status(&Status {
                        received_lsn: received.to_string(),
                        applied_lsn: applied.to_string(),
                        lag_bytes: received.as_u64().saturating_sub(applied.as_u64()),
                        lag_seconds: match (received > applied, last_commit_time) {
                            (true, Some(t)) => t.elapsed().as_secs_f64(),
                            _ => 0.0,
                        },
                        applied_rows: done,
                        transactions: report.transactions,
                        rows_per_second: (done.saturating_sub(rows_at_report)) as f64 / secs,
                        endpos: endpos.map(|e| e.to_string()),
                    });
                    rows_at_report = done;
                    last_report = Instant::now();
                }
            }
            Some(None) => {
                return Err(Error::Replication {
                    context: "reading the stream".into(),
                    message: "the source ended the stream".into(),
                });
            }
            Some(Some(ev)) => match ev {
                ReplicationEvent::Begin { final_lsn, .. } => {
                    if let Some(e) = endpos
                        && final_lsn >= e
                    {
                        break Some(final_lsn);
                    }
                    let skip = final_lsn < applied;
                    if !skip {
                        applier.begin().await?;
                        if group_end.is_none() {
                            group_started = Instant::now();
                        }
                    }
                    txn_start_rows = applier.rows;
                    in_txn = Some((final_lsn, skip));
                }
                ReplicationEvent::XLogData { data, wal_end, .. } => {
                    received = received.max(wal_end);
                    let m = decode(&data)?;
                    match (&m, in_txn) {
                        (Message::Relation(_), _) => {
                            if let Err(e) = applier.change(m).await {
                                // A changed table met before any change of this
                                // transaction: the transactions before it stay applied.
                                if matches!(e, Error::SourceDdl { .. })
                                    && applier.rows == txn_start_rows
                                {
                                    commit_group!();
                                }
                                return Err(e);
                            }
                        }
                        (Message::Other, _) => {}
                        (_, Some((_, false))) => {
                            applier.change(m).await?;
                            #[cfg(feature = "failpoints")]
                            if opts.crash_after_rows.is_some_and(|n| applier.rows as u64 >= n) {
                                // What kill -9 leaves: no rollback, no goodbye.
                                std::process::abort();
                            }
                        }
                        _ => {}
                    }
                }
                ReplicationEvent::Commit { end_lsn, commit_time_micros, .. } => {
                    received = received.max(end_lsn);
                    let Some((_, skip)) = in_txn.take() else { continue };
                    if skip {
                        continue;
                    }
                    // What is queued stays queued: the group's changes are sent
                    // together (see apply.rs), at the latest when it commits.
                    group_rows = applier.rows;
                    group_end = Some(end_lsn);
                    group_at = Some(commit_time_micros);
                    report.transactions += 1;
                    last_commit_time = Some(Instant::now());
                    if applier.rows >= GROUP_ROWS || group_started.elapsed() >= GROUP_TIME {
                        commit_group!();
                    }
                }
                ReplicationEvent::KeepAlive { wal_end, .. } => {
                    received = received.max(wal_end);
                    if in_txn.is_none() {
                        commit_group!();
                        // Everything before wal_end was sent, and is applied:
                        // nothing between is ours, so the source may let it go.
                        if wal_end > applied {
                            applied = wal_end;
                            stream.update_applied_lsn(wal_end);
                        }
                    }
                }
                ReplicationEvent::Message { transactional: false, lsn: at, .. } => {
                    if in_txn.is_none() {
                        commit_group!();
                        if endpos.is_some_and(|e| at >= e) {
                            applied = applied.max(at);
                            break None;
                        }
                    }
                }
                ReplicationEvent::StoppedAt { .. } | ReplicationEvent::Message { .. } => {}
            },
        }
    };
    // Cut over: everything before endpos is in.
    commit_group!();
    let end = endpos.expect("stopped at a cutover position");
    let ctl_applied = if applied > end { end.max(applied) } else { applied };
    state::advance(control, &st.slot, &ctl_applied.to_string(), &received.to_string(), None, 0)
        .await?;
    report.sequences = set_sequences(&source, control, st).await?;
    report.not_applied = stop_reason.map(|l| format!("the transaction committing at {l}"));
    report.applied_lsn = applied.to_string();
    report.endpos = Some(end.to_string());
    let msg = match &report.not_applied {
        Some(t) => format!("cut over at {end}; {t} is past it and was not applied"),
        None => format!("cut over at {end}"),
    };
    state::set_state(control, &st.slot, "done", Some(&msg)).await?;
    stream.remove_spool(control, applied).await?;
    stream.shutdown().await;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Sets every followed sequence on the target from the live source.
async fn set_sequences(source: &Client, target: &Client, st: &FollowState) -> Result<usize> {
    for s in &st.sequences {
        let row = source
            .query_one(&format!("SELECT last_value, is_called FROM {}", s.source), &[])
            .await
            .ctx(format!("reading sequence {}", s.source))
            .map_err(|e| e.on(Side::Source))?;
        let (v, called): (i64, bool) = (row.get(0), row.get(1));
        target
            .batch_execute(&format!(
                "SELECT pg_catalog.setval({}::regclass, {v}, {called})",
                literal(&s.target.to_string())
            ))
            .await
            .ctx(format!("setting sequence {}", s.target))?;
    }
    Ok(st.sequences.len())
}
