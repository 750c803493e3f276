//! Sessions that read one side of a comparison as of one instant, and a
//! small work queue that spreads jobs over such sessions.
//!
//! Every session runs in a `REPEATABLE READ READ ONLY` transaction with the
//! settings of [`prepare_session`] plus a few of our own, so both servers
//! print values the same way. With several jobs, a coordinator session
//! exports its snapshot and every worker imports it, so all tables of one
//! side are read as of the same instant as its catalog.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use futures_util::future::try_join_all;
use tokio_postgres::Client;

pub(super) use crate::conn::Side;
use crate::conn::{ConnSpec, Snapshot};

use crate::error::{PgResultExt, Result};

/// Settings beyond [`prepare_session`]: `money` prints per `lc_monetary`,
/// and a role's statement or idle timeout must not cut a long checksum
/// short or kill the coordinator while the workers hash.
const VERIFY_SETTINGS: &str = "SELECT pg_catalog.set_config('lc_monetary', 'C', false), \
     pg_catalog.set_config('statement_timeout', '0', false), \
     pg_catalog.set_config('idle_in_transaction_session_timeout', '0', false)";

/// Connects and opens the side's reading transaction; with `export`, also
/// exports its snapshot for workers to join.
pub(super) async fn open(spec: &ConnSpec, side: Side, export: bool) -> Result<Snapshot> {
    let snapshot = if export { Snapshot::export(spec).await } else { Snapshot::local(spec).await }
        .map_err(|e| e.on(side))?;
    coordinator(&snapshot)
        .batch_execute(VERIFY_SETTINGS)
        .await
        .ctx(format!("preparing the {} session", side.as_str()))?;
    Ok(snapshot)
}

/// The session that opened `snapshot` (and reads the catalog).
pub(super) fn coordinator(snapshot: &Snapshot) -> &Client {
    snapshot.session().expect("pggraft holds the snapshots it opens")
}

/// A worker session reading the snapshot exported by [`open`].
pub(super) async fn join(spec: &ConnSpec, side: Side, snapshot: &Snapshot) -> Result<Client> {
    snapshot.join(spec, VERIFY_SETTINGS).await.map_err(|e| e.on(side))
}

/// Runs `f` on every item, each worker taking the next item as soon as it is
/// free (so big items first keeps everyone busy). Results come back in item
/// order; the first error stops the others.
pub(super) async fn run_pool<'a, W, T, R, F, Fut>(
    workers: &'a [W],
    items: Vec<T>,
    f: F,
) -> Result<Vec<R>>
where
    W: 'a,
    F: Fn(&'a W, T) -> Fut,
    Fut: Future<Output = Result<R>> + 'a,
{
    let total = items.len();
    let queue = Mutex::new(items.into_iter().enumerate().collect::<VecDeque<_>>());
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..total).map(|_| None).collect());
    let (queue, results, f) = (&queue, &results, &f);
    try_join_all(workers.iter().map(|w| async move {
        loop {
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
            let Some((i, item)) = next else { return Ok::<(), crate::Error>(()) };
            let r = f(w, item).await?;
            results.lock().unwrap_or_else(PoisonError::into_inner)[i] = Some(r);
        }
    }))
    .await?;
    let results = std::mem::take(&mut *results.lock().unwrap_or_else(PoisonError::into_inner));
    Ok(results.into_iter().map(|r| r.expect("every item ran")).collect())
}
