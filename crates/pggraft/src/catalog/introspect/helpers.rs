//! Helper sessions for reading a whole catalog faster: sessions that join
//! the caller's exported snapshot and read a shard of the tables each (see
//! [`super::introspect_with`]). How the work is split is `super`'s.

use std::sync::Arc;

use tokio_postgres::Client;

use crate::conn::{ConnSpec, Snapshot};
use crate::error::Error;

/// How many helper sessions readers of a whole catalog open: each reads the
/// columns, constraints and indexes of a third of the tables. Measured on two
/// cores with 10,000 tables: 2 and 3 helpers both take about 0.8 times as
/// long as none; 4 is no faster.
pub const CATALOG_HELPERS: usize = 3;

/// Opens `n` sessions that read `snapshot` with
/// [`crate::conn::SESSION_SETTINGS`], for [`super::introspect_with`]. Helpers
/// only make reading faster, so one that cannot connect (a full
/// `max_connections`, say) is left out rather than failing the command; the
/// failure is logged at debug level. A snapshot nobody can join (a standby's)
/// gets none.
pub async fn snapshot_helpers(spec: &ConnSpec, snapshot: &Snapshot, n: usize) -> Vec<Arc<Client>> {
    if snapshot.name().is_none() {
        return vec![];
    }
    let join = |_| async {
        let client =
            snapshot.join(spec, "SET jit = off; SET max_parallel_workers_per_gather = 0").await?;
        Ok::<_, Error>(Arc::new(client))
    };
    let mut helpers = vec![];
    for r in futures_util::future::join_all((0..n).map(join)).await {
        match r {
            Ok(c) => helpers.push(c),
            Err(e) => tracing::debug!("introspect: reading without a helper session: {e}"),
        }
    }
    helpers
}
