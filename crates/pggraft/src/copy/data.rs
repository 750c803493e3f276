//! Moving one chunk of a table's rows. No per-row work happens in the
//! client: the copy strategy forwards the raw binary COPY stream from the
//! source's `COPY … TO STDOUT` into the target's `COPY … FROM STDIN`, and the
//! insert-select strategy leaves everything to the server.

use futures_util::{SinkExt, StreamExt, pin_mut};
use tokio_postgres::Client;

use super::Progress;
use super::plan::{Chunk, TableTask};
use crate::error::{PgResultExt, Result};
use crate::sql::ident;

/// Bytes gathered before a write to the target.
const COPY_BLOCK: usize = 256 * 1024;

fn column_list(cols: impl Iterator<Item = impl AsRef<str>>) -> String {
    cols.map(|c| ident(c.as_ref())).collect::<Vec<_>>().join(", ")
}

/// `WHERE` clause selecting a chunk's heap pages (TID range scans need
/// PostgreSQL 14+, which introspection already requires).
fn chunk_filter(chunk: Chunk) -> String {
    match chunk {
        Chunk::Whole => String::new(),
        Chunk::Pages(from, None) => format!(" WHERE ctid >= '({from},0)'::tid"),
        Chunk::Pages(from, Some(to)) => {
            format!(" WHERE ctid >= '({from},0)'::tid AND ctid < '({to},0)'::tid")
        }
    }
}

/// The source query for a chunk. With `cast`, columns whose type is copied
/// too are cast through text to the copy's type.
pub fn select_sql(t: &TableTask, chunk: Chunk, cast: bool) -> String {
    let cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| match (&c.cast, cast) {
            (Some(ty), true) => format!("CAST(CAST({} AS text) AS {ty})", ident(&c.source)),
            _ => ident(&c.source),
        })
        .collect();
    format!("SELECT {} FROM ONLY {}{}", cols.join(", "), t.source, chunk_filter(chunk))
}

/// Streams one chunk with binary COPY. `src` must be inside a transaction
/// that imported the clone's snapshot. When `freeze`, the target table is
/// truncated and loaded in one transaction with `COPY … FREEZE`, so its rows
/// are written frozen and the first reader does not rewrite every page.
pub async fn copy_chunk(
    src: &Client,
    dst: &Client,
    t: &TableTask,
    chunk: Chunk,
    freeze: bool,
    progress: &dyn Progress,
) -> Result<(u64, u64)> {
    let src_cols = column_list(t.columns.iter().map(|c| &c.source));
    let dst_cols = column_list(t.columns.iter().map(|c| &c.target));
    // Text when a column's binary form would name type OIDs that differ
    // between the two sides.
    let format = if t.binary { "binary" } else { "text" };
    let out_sql = match chunk {
        Chunk::Whole => format!("COPY {} ({src_cols}) TO STDOUT (FORMAT {format})", t.source),
        _ => format!("COPY ({}) TO STDOUT (FORMAT {format})", select_sql(t, chunk, false)),
    };
    let opts = if freeze { format!("FORMAT {format}, FREEZE") } else { format!("FORMAT {format}") };
    let in_sql = format!("COPY {} ({dst_cols}) FROM STDIN ({opts})", t.build);
    let what = || format!("copying {} into {}", t.source, t.build);
    if freeze {
        dst.batch_execute(&format!("BEGIN; TRUNCATE ONLY {}", t.build)).await.ctx(what())?;
    }
    let stream = src.copy_out(out_sql.as_str()).await.ctx(what())?;
    let sink = dst.copy_in::<_, bytes::Bytes>(in_sql.as_str()).await.ctx(what())?;
    pin_mut!(stream);
    pin_mut!(sink);
    // The source sends one CopyData message per row; forwarding each as its
    // own write (and flush) costs a syscall per row. Gather them into large
    // blocks: COPY's stream is a byte stream, message boundaries mean nothing.
    let mut bytes = 0u64;
    let mut block = bytes::BytesMut::with_capacity(COPY_BLOCK);
    while let Some(buf) = stream.next().await {
        let buf = buf.ctx(what())?;
        bytes += buf.len() as u64;
        block.extend_from_slice(&buf);
        if block.len() >= COPY_BLOCK {
            progress.table_bytes(&t.source, block.len() as u64);
            sink.feed(block.split().freeze()).await.ctx(what())?;
        }
    }
    if !block.is_empty() {
        progress.table_bytes(&t.source, block.len() as u64);
        sink.feed(block.split().freeze()).await.ctx(what())?;
    }
    let rows = sink.as_mut().finish().await.ctx(what())?;
    if freeze {
        dst.batch_execute("COMMIT").await.ctx(what())?;
    }
    Ok((rows, bytes))
}

/// Copies one chunk inside the server. `conn` must be inside a transaction
/// that imported the clone's snapshot.
pub async fn insert_select_chunk(conn: &Client, t: &TableTask, chunk: Chunk) -> Result<u64> {
    let sql = format!(
        "INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE {}",
        t.build,
        column_list(t.columns.iter().map(|c| &c.target)),
        select_sql(t, chunk, true)
    );
    conn.execute(sql.as_str(), &[]).await.ctx(format!("copying {} into {}", t.source, t.build))
}
