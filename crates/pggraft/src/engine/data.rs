//! Moving one chunk of a table's rows, per the task's [`Strategy`]. No
//! per-row work happens in the client: the copy strategy forwards the raw
//! COPY stream from the source's `COPY … TO STDOUT` into the target's
//! `COPY … FROM STDIN`, and the insert-select strategy leaves everything to
//! the server. The one exception is hashing the rows as they pass when the
//! copy is to be verified ([`crate::rowhash`]): a few nanoseconds a row,
//! instead of the source reading and hashing the table a second time.
//!
//! [`Strategy`]: super::job::Strategy

use futures_util::{SinkExt, StreamExt, pin_mut};
use tokio_postgres::Client;

use super::job::{Chunk, TableTask};
use super::progress::ProgressSink;
use crate::conn::Side;
use crate::error::{Error, PgResultExt, Result};
use crate::rowhash::StreamHasher;

/// Bytes gathered before a write to the target.
const COPY_BLOCK: usize = 256 * 1024;

/// Streams one chunk with COPY. `src` must be inside a transaction that
/// reads the job's snapshot. With `fresh`, the target table is truncated and
/// loaded in one transaction with `COPY … FREEZE`, so its rows are written
/// frozen and the first reader does not rewrite every page. With `hasher`,
/// the rows are hashed as they pass (see [`copy_stream`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn copy_chunk(
    src: &Client,
    dst: &Client,
    t: &TableTask,
    chunk: Chunk,
    binary: bool,
    fresh: bool,
    progress: &dyn ProgressSink,
    hasher: Option<&mut StreamHasher>,
) -> Result<(u64, u64)> {
    let what = || format!("copying {} into {}", t.label, t.build);
    if fresh {
        dst.batch_execute(&format!("BEGIN; TRUNCATE ONLY {}", t.build)).await.ctx(what())?;
    }
    let done = copy_stream(src, dst, t, chunk, binary, fresh, progress, hasher).await?;
    if fresh {
        dst.batch_execute("COMMIT").await.ctx(what())?;
    }
    Ok(done)
}

/// Streams one chunk with COPY inside whatever transaction `dst` is in
/// (the caller's: a refresh loads a whole group of tables in one). With
/// `freeze`, the rows are written frozen, which needs `t.build` created or
/// truncated in that same transaction. With `hasher` (a binary copy), every
/// row is hashed on its way through: the one piece of per-row work in the
/// client, which spares the source a second read when the copy is verified.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn copy_stream(
    src: &Client,
    dst: &Client,
    t: &TableTask,
    chunk: Chunk,
    binary: bool,
    freeze: bool,
    progress: &dyn ProgressSink,
    mut hasher: Option<&mut StreamHasher>,
) -> Result<(u64, u64)> {
    // Text when a column's binary form would name type OIDs that differ
    // between the two sides.
    let format = if binary { "binary" } else { "text" };
    let out_sql = match t.plain_relation(chunk) {
        Some(name) => {
            format!("COPY {name} ({}) TO STDOUT (FORMAT {format})", t.source_columns())
        }
        None => format!("COPY ({}) TO STDOUT (FORMAT {format})", t.select_sql(chunk, false)),
    };
    let opts = if freeze { format!("FORMAT {format}, FREEZE") } else { format!("FORMAT {format}") };
    // No column list when there is no column to write (every column is
    // generated, or the table has none): `()` is a syntax error, and COPY
    // without a list writes exactly the non-generated columns.
    let in_sql = if t.columns.is_empty() {
        format!("COPY {} FROM STDIN ({opts})", t.build)
    } else {
        format!("COPY {} ({}) FROM STDIN ({opts})", t.build, t.target_columns())
    };
    // Either side may fail (or go away): each error says which.
    let what = || format!("copying {} into {}", t.label, t.build);
    let on_src = |e| Error::db(what(), e).on(Side::Source);
    let on_dst = |e| Error::db(what(), e).on(Side::Target);
    let stream = src.copy_out(out_sql.as_str()).await.map_err(on_src)?;
    let sink = dst.copy_in::<_, bytes::Bytes>(in_sql.as_str()).await.map_err(on_dst)?;
    pin_mut!(stream);
    pin_mut!(sink);
    // The source sends one CopyData message per row; forwarding each as its
    // own write (and flush) costs a syscall per row. Gather them into large
    // blocks: COPY's stream is a byte stream, message boundaries mean nothing.
    let mut bytes = 0u64;
    let mut block = bytes::BytesMut::with_capacity(COPY_BLOCK);
    while let Some(buf) = stream.next().await {
        let buf = buf.map_err(on_src)?;
        if let Some(h) = hasher.as_deref_mut() {
            h.feed(&buf).map_err(|e| {
                Error::Unsupported(format!("hashing the rows of {} as they stream: {e}", t.label))
            })?;
        }
        bytes += buf.len() as u64;
        block.extend_from_slice(&buf);
        if block.len() >= COPY_BLOCK {
            progress.table_bytes(&t.label, block.len() as u64);
            sink.feed(block.split().freeze()).await.map_err(on_dst)?;
        }
    }
    if !block.is_empty() {
        progress.table_bytes(&t.label, block.len() as u64);
        sink.feed(block.split().freeze()).await.map_err(on_dst)?;
    }
    let rows = sink.as_mut().finish().await.map_err(on_dst)?;
    Ok((rows, bytes))
}

/// Copies one chunk inside the server. `conn` must be inside a transaction
/// that reads the job's snapshot.
pub(crate) async fn insert_select_chunk(conn: &Client, t: &TableTask, chunk: Chunk) -> Result<u64> {
    let cols =
        if t.columns.is_empty() { String::new() } else { format!(" ({})", t.target_columns()) };
    let sql = format!(
        "INSERT INTO {}{cols} OVERRIDING SYSTEM VALUE {}",
        t.build,
        t.select_sql(chunk, true)
    );
    // Source and target are one database: its errors are the target's.
    conn.execute(sql.as_str(), &[])
        .await
        .ctx(format!("copying {} into {}", t.label, t.build))
        .map_err(|e| e.on(Side::Target))
}
