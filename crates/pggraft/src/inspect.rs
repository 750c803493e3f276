//! `inspect`: read a database's catalog model in one consistent snapshot
//! and print it as SQL.

use crate::catalog::{Catalog, SchemaFilter, introspect, prepare_session};
use crate::conn::ConnSpec;
use crate::ddl::render::{RenderOptions, render};
use crate::error::{PgResultExt, Result};
use crate::plan;

/// Connects, and reads the model inside a read-only repeatable-read
/// transaction.
pub async fn read_catalog(spec: &ConnSpec, filter: &SchemaFilter) -> Result<Catalog> {
    let client = spec.connect().await?;
    client
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .ctx("starting a read-only transaction")?;
    prepare_session(&client).await?;
    let cat = introspect(&client, filter).await?;
    client.batch_execute("COMMIT").await.ctx("committing")?;
    Ok(cat)
}

/// The model as one SQL script, in dependency order.
pub fn to_sql(cat: &Catalog) -> String {
    let ordered = plan::order(render(cat, &RenderOptions::default()));
    let mut out = format!("-- pggraft schema of database {}\n", crate::ddl::literal(&cat.database));
    out.push_str(&plan::script(&ordered));
    out
}
