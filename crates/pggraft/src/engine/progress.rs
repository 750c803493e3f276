//! How the engine reports progress and learns that it must stop. The library
//! never prints; a front end implements [`ProgressSink`].

use std::future::Future;
use std::pin::Pin;

use crate::sql::QualifiedName;

/// Progress callbacks; every method has a no-op default. Tables are named by
/// their task's source label.
pub trait ProgressSink: Send + Sync {
    fn phase(&self, _name: &str) {}
    /// The data phase is about to start: total bytes and tables.
    fn data_started(&self, _total_bytes: u64, _tables: usize) {}
    fn table_started(&self, _table: &QualifiedName, _bytes: u64) {}
    /// Bytes streamed for a table (copy strategy; wire bytes, not heap).
    fn table_bytes(&self, _table: &QualifiedName, _delta: u64) {}
    /// A chunk of a table is in: `heap_bytes` of the total given to
    /// `data_started` are done.
    fn chunk_done(&self, _table: &QualifiedName, _heap_bytes: u64) {}
    fn table_done(&self, _table: &QualifiedName, _rows: u64, _bytes: u64) {}
    fn statement_done(&self, _what: &str, _object: &str) {}
    /// A table was compared with its copy (refresh): `differing` rows
    /// will be written or deleted.
    fn table_compared(&self, _table: &QualifiedName, _differing: u64) {}
}

/// A [`ProgressSink`] that reports nothing.
pub struct NoProgress;
impl ProgressSink for NoProgress {}

/// A future that completes when the user asks to stop (Ctrl-C).
pub type Cancel = Pin<Box<dyn Future<Output = ()> + Send>>;
