//! Reading a whole catalog model from a connection string: one consistent
//! snapshot, shared by a few helper sessions.

use crate::catalog::{CATALOG_HELPERS, Catalog, introspect_with, snapshot_helpers};
use crate::conn::{ConnSpec, Snapshot};
use crate::error::Result;
use crate::select::SchemaFilter;

/// Connects, and reads the model inside a read-only repeatable-read
/// transaction whose snapshot a few helper sessions share (a standby, which
/// cannot export snapshots, is read on one session).
pub async fn read_catalog(spec: &ConnSpec, filter: &SchemaFilter) -> Result<Catalog> {
    let snapshot = Snapshot::export_or_local(spec).await?;
    let helpers = snapshot_helpers(spec, &snapshot, CATALOG_HELPERS).await;
    let client = snapshot.session().expect("an exported or local snapshot has its session");
    let cat = introspect_with(client, &helpers, filter).await?;
    drop(helpers);
    snapshot.release().await?;
    Ok(cat)
}
