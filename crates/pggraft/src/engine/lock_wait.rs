//! DDL on the target under a bounded lock wait. Every statement runs with a
//! short `lock_timeout`; a statement that times out waiting for a lock is
//! tried again, with growing pauses, until the run's wait budget is spent
//! (`--lock-wait-timeout`, 60 s by default). Meanwhile a watcher session
//! notes which sessions block it, so the error that ends the wait names the
//! object, the lock and each blocker — and says when the blocker is a
//! pggraft session (this run's, or another run's).
//!
//! A transaction (the structure, the swap) is retried whole: a lock timeout
//! in it rolls everything back.

use std::time::{Duration, Instant};

use tokio::sync::OnceCell;
use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use crate::conn::{ConnSpec, Side};
use crate::error::{Blocker, Error, PgResultExt, Result};

/// The default budget: how long one statement may wait for its locks, over
/// all its tries.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(60);

/// `lock_timeout` of one try.
const TRY: Duration = Duration::from_secs(2);

/// How long a statement runs before the watcher asks what blocks it.
const OBSERVE_AFTER: Duration = Duration::from_millis(500);

/// A statement and what it does, for errors (`creating index shop.i`).
pub(crate) struct Ddl<'a> {
    /// What runs (with its secrets, if it has any).
    pub sql: &'a str,
    /// What errors may show: `sql` with secrets replaced by a placeholder.
    pub shown: &'a str,
    pub what: String,
}

/// What blocked a statement the last time it waited.
#[derive(Debug, Clone, Default)]
struct Seen {
    lock: Option<String>,
    blockers: Vec<Blocker>,
}

/// Runs DDL on the target under the wait budget (see the module docs).
pub(crate) struct LockWait {
    target: ConnSpec,
    budget: Duration,
    /// `application_name` of this run's sessions.
    tag: String,
    watcher: OnceCell<Client>,
}

impl LockWait {
    pub(crate) fn new(target: &ConnSpec, budget: Duration, tag: &str) -> LockWait {
        LockWait { target: target.clone(), budget, tag: tag.to_string(), watcher: OnceCell::new() }
    }

    /// Runs `ddl` on `client` (backend `pid`), outside a transaction block.
    pub(crate) async fn run(&self, client: &Client, pid: i32, ddl: &Ddl<'_>) -> Result<()> {
        self.run_all(client, pid, std::slice::from_ref(ddl), false).await
    }

    /// Runs `stmts` on `client` (backend `pid`) in one transaction.
    pub(crate) async fn transaction(
        &self,
        client: &Client,
        pid: i32,
        stmts: &[Ddl<'_>],
    ) -> Result<()> {
        self.run_all(client, pid, stmts, true).await
    }

    async fn run_all(
        &self,
        client: &Client,
        pid: i32,
        stmts: &[Ddl<'_>],
        transaction: bool,
    ) -> Result<()> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let left = self.budget.saturating_sub(started.elapsed());
            let timeout = TRY.min(left).max(Duration::from_millis(10));
            match self.attempt(client, pid, stmts, transaction, timeout).await {
                Ok(()) => return Ok(()),
                Err(Failure::Other(e)) => return Err(e),
                Err(Failure::Lock { at, seen, error }) => {
                    if started.elapsed() + pause >= self.budget {
                        return Err(self.gave_up(&stmts[at], seen, started.elapsed(), error));
                    }
                    tracing::info!("{} is waiting for a lock; trying again", stmts[at].what);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    async fn attempt(
        &self,
        client: &Client,
        pid: i32,
        stmts: &[Ddl<'_>],
        transaction: bool,
        timeout: Duration,
    ) -> std::result::Result<(), Failure> {
        let set = format!("SET lock_timeout = '{}ms'", timeout.as_millis());
        let begin = if transaction { format!("BEGIN; {set}") } else { set };
        client.batch_execute(&begin).await.ctx("setting lock_timeout").map_err(Failure::Other)?;
        for (at, s) in stmts.iter().enumerate() {
            let (result, seen) = self.watched(client, pid, s.sql).await;
            if let Err(e) = result {
                if transaction {
                    let _ = client.batch_execute("ROLLBACK").await;
                }
                if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                    return Err(Failure::Lock { at, seen: seen.unwrap_or_default(), error: e });
                }
                let first = s.shown.lines().next().unwrap_or_default();
                let context = format!("{} (statement: {first})", s.what);
                return Err(Failure::Other(Error::db(context, e).on(Side::Target)));
            }
        }
        if transaction {
            client.batch_execute("COMMIT").await.map_err(|e| {
                Failure::Other(Error::db(format!("committing ({})", stmts[0].what), e))
            })?;
        }
        Ok(())
    }

    /// Runs `sql`; when it is still running after [`OBSERVE_AFTER`], asks
    /// (on the watcher session) what it waits for. The statement is on the
    /// server already, so not polling it meanwhile costs nothing.
    async fn watched(
        &self,
        client: &Client,
        pid: i32,
        sql: &str,
    ) -> (std::result::Result<(), tokio_postgres::Error>, Option<Seen>) {
        let exec = client.batch_execute(sql);
        tokio::pin!(exec);
        tokio::select! {
            r = &mut exec => return (r, None),
            () = tokio::time::sleep(OBSERVE_AFTER) => {}
        }
        let seen = match self.observe(pid).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!("could not see what blocks backend {pid}: {e}");
                None
            }
        };
        (exec.await, seen)
    }

    /// The lock backend `pid` waits for and the sessions holding it up.
    async fn observe(&self, pid: i32) -> Result<Option<Seen>> {
        let c = self
            .watcher
            .get_or_try_init(|| async {
                let c = self.target.connect().await?;
                c.batch_execute(&format!(
                    "SET application_name = {}",
                    crate::sql::literal(&format!("{}-watcher", self.tag))
                ))
                .await
                .ctx("preparing the lock watcher session")?;
                Ok::<Client, Error>(c)
            })
            .await?;
        let rows = c
            .query(
                "SELECT CASE WHEN l.relation IS NOT NULL \
                          THEN 'relation ' || l.relation::regclass::text ELSE l.locktype END \
                        || ' (' || l.mode || ')', \
                        b.pid, b.application_name::text, b.usename::text, b.state::text, \
                        to_char(b.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', \
                        left(b.query, 200) \
                 FROM pg_locks l \
                 CROSS JOIN LATERAL unnest(pg_blocking_pids($1)) AS bp(pid) \
                 LEFT JOIN pg_stat_activity b ON b.pid = bp.pid \
                 WHERE l.pid = $1 AND NOT l.granted",
                &[&pid],
            )
            .await
            .ctx("asking what a statement waits for")?;
        let Some(first) = rows.first() else { return Ok(None) };
        let mut seen = Seen { lock: first.get(0), blockers: vec![] };
        for r in &rows {
            let application_name: Option<String> = r.get(2);
            let pggraft = application_name.as_deref().and_then(|a| self.whose(a));
            let b = Blocker {
                pid: r.get(1),
                application_name,
                user: r.get(3),
                state: r.get(4),
                transaction_start: r.get(5),
                query: r.get(6),
                pggraft,
            };
            if !seen.blockers.iter().any(|x| x.pid == b.pid) {
                seen.blockers.push(b);
            }
        }
        Ok(Some(seen))
    }

    /// Which pggraft session an `application_name` names, if any.
    fn whose(&self, app: &str) -> Option<String> {
        if app == self.tag {
            Some("a session of this pggraft run".into())
        } else if app == format!("{}-snapshot", self.tag) {
            Some(
                "this pggraft run's own snapshot session (it holds its locks until the data is in)"
                    .into(),
            )
        } else if app.starts_with("pggraft-clone-") && app.ends_with("-snapshot") {
            Some(format!("the snapshot session of another pggraft run ({app})"))
        } else if app.starts_with("pggraft") {
            Some(format!("another pggraft run ({app})"))
        } else {
            None
        }
    }

    fn gave_up(
        &self,
        ddl: &Ddl<'_>,
        seen: Seen,
        waited: Duration,
        e: tokio_postgres::Error,
    ) -> Error {
        tracing::debug!("{}: {e}", ddl.what);
        Error::LockTimeout {
            side: Side::Target,
            object: ddl.what.clone(),
            waited_secs: waited.as_secs_f64().round() as u64,
            lock: seen.lock,
            blockers: seen.blockers,
        }
    }
}

enum Failure {
    /// Waited too long for a lock (statement `at` of the list).
    Lock {
        at: usize,
        seen: Seen,
        error: tokio_postgres::Error,
    },
    Other(Error),
}
