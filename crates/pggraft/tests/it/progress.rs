//! What a front end learns while a clone runs: the overall heap-byte count advances while a
//! single large table is still copying (not only when it is done), never goes back, and ends
//! at the announced total; and both strategies report one measure, heap bytes, for a table.

use std::sync::Mutex;

use pggraft::clone::{self as clone_api, CloneOptions, StrategyChoice};
use pggraft::engine::ProgressSink;
use pggraft::rename::SchemaArg;
use pggraft::sql::QualifiedName;

use crate::common::*;

/// One table of about 200,000 rows (some 15 MB of heap), copied whole.
const BIG: &str = "CREATE SCHEMA big;
    CREATE TABLE big.events (id bigint PRIMARY KEY, at timestamptz NOT NULL, payload text);
    INSERT INTO big.events
        SELECT g, '2024-01-01'::timestamptz + g * interval '1 second', repeat(md5(g::text), 2)
        FROM generate_series(1, 200000) g;
    ANALYZE big.events;";

#[derive(Debug, Clone, PartialEq)]
enum Event {
    DataStarted { total: u64 },
    TableBytes,
    ChunkDone,
    TableDone { bytes: u64 },
    Progress { done: u64, total: u64 },
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl Recorder {
    fn push(&self, e: Event) {
        self.0.lock().unwrap().push(e);
    }
    fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }
}

impl ProgressSink for Recorder {
    fn data_started(&self, total: u64, _tables: usize) {
        self.push(Event::DataStarted { total });
    }
    fn table_bytes(&self, _table: &QualifiedName, _delta: u64) {
        self.push(Event::TableBytes);
    }
    fn chunk_done(&self, _table: &QualifiedName, _heap_bytes: u64) {
        self.push(Event::ChunkDone);
    }
    fn table_done(&self, _table: &QualifiedName, _rows: u64, bytes: u64) {
        self.push(Event::TableDone { bytes });
    }
    fn data_progress(&self, done: u64, total: u64) {
        self.push(Event::Progress { done, total });
    }
}

async fn clone_recorded(
    src: &pg_sandbox::TestDb<'_>,
    dst: &pg_sandbox::TestDb<'_>,
    setup: impl FnOnce(&mut CloneOptions),
) -> (pggraft::clone::CloneReport, Vec<Event>) {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 1;
    opts.index_jobs = 1;
    // One chunk: the table must show progress while that one chunk streams.
    opts.split_larger_than = Some(u64::MAX);
    setup(&mut opts);
    let recorder = Recorder::default();
    let plan = clone_api::prepare(&opts).await.unwrap();
    let report = clone_api::run(&opts, plan, &recorder, None).await.unwrap();
    (report, recorder.events())
}

#[tokio::test]
async fn overall_bytes_advance_while_one_large_table_copies() {
    let src = db_with("progress_src", BIG);
    let dst = db_with("progress_dst", "");
    let (report, events) = clone_recorded(&src, &dst, |_| {}).await;
    assert_eq!(report.strategy, "copy");
    assert_eq!(report.total_rows(), 200_000);

    let Some(Event::DataStarted { total }) =
        events.iter().find(|e| matches!(e, Event::DataStarted { .. })).cloned()
    else {
        panic!("no data_started in {events:?}")
    };
    assert!(total > 10 << 20, "the table is large: {total} bytes of heap");
    let done_at = events.iter().position(|e| *e == Event::ChunkDone).expect("a chunk is done");
    assert_eq!(events.iter().filter(|e| **e == Event::ChunkDone).count(), 1, "one chunk");

    // Before its one chunk is done, the overall count has moved many times, to well past
    // a quarter of the table and strictly below the total.
    let during: Vec<u64> = events[..done_at]
        .iter()
        .filter_map(|e| match e {
            Event::Progress { done, total: t } => {
                assert_eq!(*t, total);
                Some(*done)
            }
            _ => None,
        })
        .collect();
    assert!(during.len() >= 10, "only {} progress reports while copying", during.len());
    assert!(during.windows(2).all(|w| w[0] < w[1]), "not increasing: {during:?}");
    assert!(*during.last().unwrap() > total / 4 && *during.last().unwrap() <= total);
    assert!(during[0] > 0);

    // All progress reports, in order, never go back and end at the total.
    let all: Vec<u64> = events
        .iter()
        .filter_map(|e| if let Event::Progress { done, .. } = e { Some(*done) } else { None })
        .collect();
    assert!(all.windows(2).all(|w| w[0] <= w[1]), "went back: {all:?}");
    assert_eq!(all.last(), Some(&total));
    assert!(events.contains(&Event::TableDone { bytes: total }), "{events:?}");
    assert_eq!(report.total_bytes(), total);
}

/// The same table reports the same size copied within one database (INSERT … SELECT, no
/// bytes through the client) and to another (COPY): heap bytes, both times.
#[tokio::test]
async fn both_strategies_report_heap_bytes() {
    let src = db_with("progress_same", BIG);
    let other = db_with("progress_other", "");
    let (across, _) = clone_recorded(&src, &other, |_| {}).await;
    let (within, events) = clone_recorded(&src, &src, |o| {
        o.naming.schemas = vec![SchemaArg::parse("big=big_copy").unwrap()];
        o.strategy = StrategyChoice::Auto;
    })
    .await;
    assert_eq!(within.strategy, "insert-select");
    assert_eq!(across.tables[0].bytes, within.tables[0].bytes);
    assert!(!events.contains(&Event::TableBytes), "insert-select streams nothing");
    let last = events.iter().rev().find_map(|e| match e {
        Event::Progress { done, total } => Some((*done, *total)),
        _ => None,
    });
    assert_eq!(last, Some((within.total_bytes(), within.total_bytes())));
}
