//! How the engine reports progress and learns that it must stop. The library
//! never prints; a front end implements [`ProgressSink`].
//!
//! Data progress has one measure: **heap bytes**, the size of each source
//! table (`pg_relation_size`, its main fork) when the job was planned — the
//! total [`ProgressSink::data_started`] announces and every table's
//! `bytes`. It is the one size both strategies know: `INSERT … SELECT`
//! moves no bytes through the client, and COPY's wire bytes differ from the
//! heap's (no tuple headers or padding, a length word per field). While a
//! table streams with COPY, its heap bytes done are estimated as the COPY
//! bytes streamed so far (capped at the table's size), and made exact each
//! time a chunk is in; [`ProgressSink::data_progress`] reports the sum.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use super::job::TableTask;
use crate::sql::QualifiedName;

/// Progress callbacks; every method has a no-op default. Tables are named by
/// their task's source label. Sizes are heap bytes (see the module docs)
/// unless a method says otherwise.
pub trait ProgressSink: Send + Sync {
    fn phase(&self, _name: &str) {}
    /// The data phase is about to start: total heap bytes and tables.
    fn data_started(&self, _total_bytes: u64, _tables: usize) {}
    fn table_started(&self, _table: &QualifiedName, _bytes: u64) {}
    /// COPY bytes streamed for a table (copy strategy only; wire bytes, not
    /// heap): a rate, not a measure of what is done.
    fn table_bytes(&self, _table: &QualifiedName, _delta: u64) {}
    /// A chunk of a table is in: `heap_bytes` of the total given to
    /// `data_started` are done.
    fn chunk_done(&self, _table: &QualifiedName, _heap_bytes: u64) {}
    fn table_done(&self, _table: &QualifiedName, _rows: u64, _bytes: u64) {}
    fn statement_done(&self, _what: &str, _object: &str) {}
    /// The heap bytes of all tables done so far, of `total` (the total of
    /// `data_started`): called whenever it grows, during a chunk too (see
    /// the module docs). It never goes back and ends at `total`.
    fn data_progress(&self, _done: u64, _total: u64) {}
    /// A table was compared with its copy (refresh): `differing` rows
    /// will be written or deleted.
    fn table_compared(&self, _table: &QualifiedName, _differing: u64) {}
}

/// A [`ProgressSink`] that reports nothing.
pub struct NoProgress;
impl ProgressSink for NoProgress {}

/// A future that completes when the user asks to stop (Ctrl-C).
pub type Cancel = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The engine's wrapper around a caller's sink: forwards every call and
/// adds [`ProgressSink::data_progress`], computed from the others.
pub(crate) struct Tracker<'a> {
    inner: &'a dyn ProgressSink,
    state: Mutex<State>,
}

struct State {
    tables: HashMap<QualifiedName, TableProgress>,
    done: u64,
    total: u64,
}

#[derive(Default)]
struct TableProgress {
    /// Heap bytes of the table.
    size: u64,
    /// Heap bytes of its chunks that are in.
    chunks_done: u64,
    /// COPY bytes streamed.
    streamed: u64,
    /// What `done` counts for this table.
    counted: u64,
}

impl<'a> Tracker<'a> {
    pub(crate) fn new(inner: &'a dyn ProgressSink, tables: &[TableTask]) -> Tracker<'a> {
        let mut map: HashMap<QualifiedName, TableProgress> = HashMap::new();
        for t in tables {
            map.entry(t.label.clone()).or_default().size += t.bytes;
        }
        let total = tables.iter().map(|t| t.bytes).sum();
        Tracker { inner, state: Mutex::new(State { tables: map, done: 0, total }) }
    }

    /// Applies `change` to the table's numbers and reports the new sum if
    /// it grew. The sink is called under the lock, so its calls come in
    /// order.
    fn update(&self, table: &QualifiedName, change: impl FnOnce(&mut TableProgress)) {
        let Ok(mut s) = self.state.lock() else { return };
        let State { tables, done, total } = &mut *s;
        let Some(t) = tables.get_mut(table) else { return };
        change(t);
        let now = t.chunks_done.max(t.streamed).min(t.size);
        if now > t.counted {
            *done += now - t.counted;
            t.counted = now;
            self.inner.data_progress(*done, *total);
        }
    }
}

impl ProgressSink for Tracker<'_> {
    fn phase(&self, name: &str) {
        self.inner.phase(name);
    }
    fn data_started(&self, total_bytes: u64, tables: usize) {
        self.inner.data_started(total_bytes, tables);
    }
    fn table_started(&self, table: &QualifiedName, bytes: u64) {
        self.inner.table_started(table, bytes);
    }
    fn table_bytes(&self, table: &QualifiedName, delta: u64) {
        self.inner.table_bytes(table, delta);
        self.update(table, |t| t.streamed += delta);
    }
    fn chunk_done(&self, table: &QualifiedName, heap_bytes: u64) {
        self.inner.chunk_done(table, heap_bytes);
        self.update(table, |t| t.chunks_done += heap_bytes);
    }
    fn table_done(&self, table: &QualifiedName, rows: u64, bytes: u64) {
        self.update(table, |t| t.chunks_done = t.size);
        self.inner.table_done(table, rows, bytes);
    }
    fn statement_done(&self, what: &str, object: &str) {
        self.inner.statement_done(what, object);
    }
    fn data_progress(&self, done: u64, total: u64) {
        self.inner.data_progress(done, total);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Record(Mutex<Vec<(u64, u64)>>);
    impl ProgressSink for Record {
        fn data_progress(&self, done: u64, total: u64) {
            self.0.lock().unwrap().push((done, total));
        }
    }

    fn task(name: &str, bytes: u64) -> TableTask {
        let q = QualifiedName::new("s", name);
        TableTask {
            source: super::super::job::TableSource::Relation(q.clone()),
            label: q.clone(),
            build: q.clone(),
            target: q,
            key: String::new(),
            columns: vec![],
            filter: None,
            strategy: super::super::job::Strategy::InsertSelect,
            bytes,
            est_rows: 0.0,
            chunks: vec![],
        }
    }

    #[test]
    fn streamed_bytes_move_the_total_and_chunks_make_it_exact() {
        let record = Record::default();
        let tasks = [task("big", 1000), task("small", 100)];
        let tracker = Tracker::new(&record, &tasks);
        let (big, small) = (&tasks[0].label, &tasks[1].label);
        tracker.table_bytes(big, 300);
        tracker.table_bytes(big, 300);
        // Streamed bytes beyond the table's size are not counted.
        tracker.table_bytes(big, 900);
        tracker.chunk_done(small, 100);
        // A chunk done after more was streamed changes nothing.
        tracker.chunk_done(big, 500);
        tracker.table_done(big, 10, 1000);
        tracker.table_done(small, 1, 100);
        let calls = record.0.lock().unwrap().clone();
        assert_eq!(calls, [(300, 1100), (600, 1100), (1000, 1100), (1100, 1100)]);
    }

    #[test]
    fn without_streamed_bytes_chunks_move_it() {
        let record = Record::default();
        let tasks = [task("t", 90)];
        let tracker = Tracker::new(&record, &tasks);
        tracker.chunk_done(&tasks[0].label, 30);
        tracker.chunk_done(&tasks[0].label, 30);
        // The last chunk's share may be short by a rounding; table_done completes it.
        tracker.chunk_done(&tasks[0].label, 29);
        tracker.table_done(&tasks[0].label, 3, 90);
        let calls = record.0.lock().unwrap().clone();
        assert_eq!(calls, [(30, 90), (60, 90), (89, 90), (90, 90)]);
    }
}
