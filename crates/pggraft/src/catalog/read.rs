//! Reading a whole catalog model from a connection string: one consistent
//! snapshot, shared by a few helper sessions.

use crate::catalog::{CATALOG_HELPERS, Catalog, introspect_with, snapshot_helpers};
use crate::conn::ConnSpec;
use crate::conn::prepare_session;
use crate::error::{PgResultExt, Result};
use crate::select::SchemaFilter;

const BEGIN: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Connects, and reads the model inside a read-only repeatable-read
/// transaction whose snapshot a few helper sessions share.
pub async fn read_catalog(spec: &ConnSpec, filter: &SchemaFilter) -> Result<Catalog> {
    let client = spec.connect().await?;
    // Before BEGIN, so that a rolled-back transaction keeps the settings.
    prepare_session(&client).await?;
    client.batch_execute(BEGIN).await.ctx("starting a read-only transaction")?;
    // A standby cannot export snapshots: read on one session there.
    let helpers = match client.query_one("SELECT pg_catalog.pg_export_snapshot()", &[]).await {
        Ok(row) => snapshot_helpers(spec, row.get(0), CATALOG_HELPERS).await,
        Err(e) => {
            tracing::debug!("inspect: reading on one session: {e}");
            client
                .batch_execute(&format!("ROLLBACK; {BEGIN}"))
                .await
                .ctx("restarting a read-only transaction")?;
            vec![]
        }
    };
    let cat = introspect_with(&client, &helpers, filter).await?;
    client.batch_execute("COMMIT").await.ctx("committing")?;
    Ok(cat)
}
