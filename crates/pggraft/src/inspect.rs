//! `inspect`: read a database's catalog model in one consistent snapshot
//! and print it as SQL.

use crate::catalog::{
    CATALOG_HELPERS, Catalog, SchemaFilter, introspect_with, prepare_session, snapshot_helpers,
};
use crate::conn::ConnSpec;
use crate::ddl::render::{RenderOptions, render};
use crate::error::{PgResultExt, Result};
use crate::plan;

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

/// The model as one SQL script, in dependency order.
pub fn to_sql(cat: &Catalog) -> String {
    let t = std::time::Instant::now();
    let stmts = render(cat, &RenderOptions::default());
    tracing::debug!("inspect: rendered {} statements in {:.0?}", stmts.len(), t.elapsed());
    let t = std::time::Instant::now();
    let ordered = plan::order(stmts);
    tracing::debug!("inspect: ordered them in {:.0?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut out = format!("-- pggraft schema of database {}\n", crate::ddl::literal(&cat.database));
    out.push_str(&plan::script(&ordered));
    tracing::debug!("inspect: script in {:.0?}", t.elapsed());
    out
}
