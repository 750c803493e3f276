//! Which piece of work runs next. Pure bookkeeping, no I/O, so it is tested
//! on its own.
//!
//! Data chunks go out largest table first to the data workers. A post-data
//! statement becomes ready once the statements it depends on are done and
//! the data of every table it locks is in, so a table's indexes build while
//! other tables still copy. A partition or inheritance tree is one unit: a
//! statement on any member waits for the data of all members (its DDL locks
//! the others). A failure stops everything: once [`Scheduler::fail`] is
//! called, [`Scheduler::next`] hands out nothing more.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use super::job::Job;
use crate::error::Error;
use crate::plan::{Section, Stmt};

/// A unit of post-data work.
#[derive(Debug, Clone)]
pub(crate) struct Work {
    pub stmt: Stmt,
    /// Data key this marks as loaded when done (materialized view refresh).
    pub loads: Option<String>,
    /// Relation keys to lock (family roots), sorted.
    pub locks: Vec<String>,
    /// Whether the locks may be shared (`CREATE INDEX` takes a SHARE lock).
    pub shared_lock: bool,
}

/// What a worker should do next.
#[derive(Debug)]
pub(crate) enum Next {
    /// Copy chunk `.1` of table `.0`.
    Data(usize, usize),
    /// Run post-data work `.0`.
    Work(usize, Work),
    /// Nothing ready yet: wait for a notification.
    Wait,
    /// All done, or failed.
    Stop,
}

pub(crate) struct Scheduler {
    data: VecDeque<(usize, usize)>,
    chunks_left: Vec<usize>,
    table_keys: Vec<String>,
    pub rows: Vec<u64>,
    pub bytes: Vec<u64>,
    started: Vec<Option<Instant>>,
    pub finished: Vec<f64>,
    work: Vec<Work>,
    waiting: Vec<usize>,
    dependents: Vec<Vec<usize>>,
    key_waiters: HashMap<String, Vec<usize>>,
    ready: VecDeque<usize>,
    remaining: usize,
    error: Option<Error>,
}

/// The statement that fills a materialized view once its tables are in.
pub(crate) fn refresh_sql(m: &super::job::MatviewTask) -> String {
    format!("REFRESH MATERIALIZED VIEW {}", m.build)
}

impl Scheduler {
    pub(crate) fn new(job: &Job) -> Scheduler {
        let mut data = VecDeque::new();
        for (i, t) in job.tables.iter().enumerate() {
            for c in 0..t.chunks.len() {
                data.push_back((i, c));
            }
        }
        let table_keys: BTreeSet<String> = job.tables.iter().map(|t| t.key.clone()).collect();
        let mv_keys: BTreeSet<String> = job.matviews.iter().map(|m| m.key.clone()).collect();
        let mut work: Vec<Work> = vec![];
        for m in &job.matviews {
            let mut deps = vec![m.key.clone()];
            deps.extend(m.after.iter().cloned());
            deps.extend(table_keys.iter().cloned());
            work.push(Work {
                stmt: Stmt {
                    section: Section::PostData,
                    phase: 0,
                    provides: None,
                    object: m.key.clone(),
                    deps,
                    what: "refresh",
                    sql: refresh_sql(m),
                    exec: None,
                },
                loads: Some(m.key.clone()),
                locks: vec![m.key.clone()],
                shared_lock: false,
            });
        }
        // Members of each partition/inheritance tree, by root.
        let family = &job.locks.family;
        let mut members: HashMap<&String, Vec<String>> = HashMap::new();
        for (k, root) in family {
            members.entry(root).or_default().push(k.clone());
        }
        let root_of = |k: &String| family.get(k).cloned().unwrap_or_else(|| k.clone());
        for s in &job.post_data {
            let mut locks: BTreeSet<String> = BTreeSet::new();
            for k in s.deps.iter().chain(std::iter::once(&s.object)) {
                if table_keys.contains(k) || mv_keys.contains(k) || k.starts_with("relation ") {
                    locks.insert(root_of(k));
                } else if let Some(rel) = job.locks.touches.get(k) {
                    locks.insert(root_of(rel));
                }
            }
            // Wait for the data of every member of the trees it touches.
            let mut deps = s.deps.clone();
            for root in &locks {
                deps.extend(members.get(root).into_iter().flatten().cloned());
            }
            let mut stmt = s.clone();
            stmt.deps = deps;
            work.push(Work {
                stmt,
                loads: None,
                locks: locks.into_iter().collect(),
                shared_lock: s.what == "index",
            });
        }
        let mut providers: HashMap<&str, usize> = HashMap::new();
        for (i, w) in work.iter().enumerate() {
            if let Some(p) = &w.stmt.provides {
                providers.entry(p.as_str()).or_insert(i);
            }
        }
        let data_keys: BTreeSet<&String> = table_keys.iter().chain(mv_keys.iter()).collect();
        let mut waiting = vec![0usize; work.len()];
        let mut dependents: Vec<Vec<usize>> = vec![vec![]; work.len()];
        let mut key_waiters: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, w) in work.iter().enumerate() {
            let mut need_keys: BTreeSet<&String> = BTreeSet::new();
            let mut need_work: BTreeSet<usize> = BTreeSet::new();
            for k in w.stmt.deps.iter().chain(std::iter::once(&w.stmt.object)).chain(w.locks.iter())
            {
                if data_keys.contains(k) && w.loads.as_ref() != Some(k) {
                    need_keys.insert(k);
                }
                if let Some(&p) = providers.get(k.as_str())
                    && p != i
                {
                    need_work.insert(p);
                }
            }
            for k in need_keys {
                key_waiters.entry(k.clone()).or_default().push(i);
                waiting[i] += 1;
            }
            for p in need_work {
                dependents[p].push(i);
                waiting[i] += 1;
            }
        }
        let ready: VecDeque<usize> = (0..work.len()).filter(|i| waiting[*i] == 0).collect();
        let n = job.tables.len();
        let remaining = data.len() + work.len();
        let mut s = Scheduler {
            data,
            chunks_left: job.tables.iter().map(|t| t.chunks.len()).collect(),
            table_keys: job.tables.iter().map(|t| t.key.clone()).collect(),
            rows: vec![0; n],
            bytes: vec![0; n],
            started: vec![None; n],
            finished: vec![0.0; n],
            work,
            waiting,
            dependents,
            key_waiters,
            ready,
            remaining,
            error: None,
        };
        // Tables without data tasks never "load": release what waits on them.
        let loaded_now: Vec<String> = s
            .key_waiters
            .keys()
            .filter(|k| !table_keys.contains(*k) && !mv_keys.contains(*k))
            .cloned()
            .collect();
        for k in loaded_now {
            s.key_loaded(&k);
        }
        s
    }

    /// The next piece of work for a data worker (`data_worker`) or a
    /// statement worker.
    pub(crate) fn next(&mut self, data_worker: bool) -> Next {
        if self.error.is_some() {
            return Next::Stop;
        }
        if data_worker && let Some((t, c)) = self.data.pop_front() {
            if self.started[t].is_none() {
                self.started[t] = Some(Instant::now());
            }
            return Next::Data(t, c);
        }
        if let Some(i) = self.ready.pop_front() {
            return Next::Work(i, self.work[i].clone());
        }
        if self.remaining == 0 { Next::Stop } else { Next::Wait }
    }

    /// A chunk of table `t` is in. Returns the table's totals when it was
    /// the last one.
    pub(crate) fn chunk_done(&mut self, t: usize, rows: u64, bytes: u64) -> Option<(u64, u64)> {
        self.rows[t] += rows;
        self.bytes[t] += bytes;
        self.chunks_left[t] -= 1;
        self.remaining -= 1;
        if self.chunks_left[t] > 0 {
            return None;
        }
        self.finished[t] = self.started[t].map(|x| x.elapsed().as_secs_f64()).unwrap_or(0.0);
        let key = self.table_keys[t].clone();
        self.key_loaded(&key);
        Some((self.rows[t], self.bytes[t]))
    }

    /// Post-data work `i` is done.
    pub(crate) fn work_done(&mut self, i: usize) {
        self.remaining -= 1;
        for d in std::mem::take(&mut self.dependents[i]) {
            self.release(d);
        }
        if let Some(k) = self.work[i].loads.clone() {
            self.key_loaded(&k);
        }
    }

    /// Chunk `c` of table `t` is held by another process sharing the job
    /// ([`super::shared`]): handed out again later.
    pub(crate) fn requeue_data(&mut self, t: usize, c: usize) {
        self.data.push_back((t, c));
    }

    /// Post-data work `i` is held by another process: handed out again later.
    pub(crate) fn requeue_work(&mut self, i: usize) {
        self.ready.push_back(i);
    }

    /// Records the first failure; everything stops.
    pub(crate) fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    pub(crate) fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    fn key_loaded(&mut self, key: &str) {
        if let Some(ws) = self.key_waiters.remove(key) {
            for w in ws {
                self.release(w);
            }
        }
    }

    fn release(&mut self, w: usize) {
        self.waiting[w] -= 1;
        if self.waiting[w] == 0 {
            self.ready.push_back(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::{Chunk, Strategy, TableSource, TableTask};
    use crate::sql::QualifiedName;

    fn table(name: &str, chunks: usize) -> TableTask {
        let q = QualifiedName::new("s", name);
        TableTask {
            source: TableSource::Relation(q.clone()),
            label: q.clone(),
            build: q.clone(),
            target: q.clone(),
            key: format!("relation s.{name}"),
            columns: vec![],
            filter: None,
            strategy: Strategy::Copy { binary: true },
            bytes: 0,
            est_rows: 0.0,
            chunks: vec![Chunk::Whole; chunks],
        }
    }

    fn stmt(object: &str, what: &'static str, deps: &[&str]) -> Stmt {
        Stmt {
            section: Section::PostData,
            phase: 0,
            provides: Some(object.into()),
            object: object.into(),
            deps: deps.iter().map(|d| d.to_string()).collect(),
            what,
            sql: format!("-- {object}"),
            exec: None,
        }
    }

    fn work_name(n: &Next) -> Option<&str> {
        match n {
            Next::Work(_, w) => Some(&w.stmt.object),
            _ => None,
        }
    }

    #[test]
    fn index_jobs_start_as_soon_as_their_table_is_in() {
        let mut job = Job { tables: vec![table("big", 2), table("small", 1)], ..Job::default() };
        job.post_data = vec![
            stmt("index s.big_i", "index", &["relation s.big"]),
            stmt("index s.small_i", "index", &["relation s.small"]),
        ];
        job.locks.touches.insert("index s.big_i".into(), "relation s.big".into());
        job.locks.touches.insert("index s.small_i".into(), "relation s.small".into());
        let mut s = Scheduler::new(&job);
        // Statement workers wait while nothing is loaded.
        assert!(matches!(s.next(false), Next::Wait));
        assert!(matches!(s.next(true), Next::Data(0, 0)));
        assert!(matches!(s.next(true), Next::Data(0, 1)));
        assert!(matches!(s.next(true), Next::Data(1, 0)));
        // The small table is in while the big one still copies: its index
        // is ready, the big table's is not.
        assert_eq!(s.chunk_done(1, 10, 100), Some((10, 100)));
        assert_eq!(work_name(&s.next(false)), Some("index s.small_i"));
        assert!(matches!(s.next(false), Next::Wait));
        assert_eq!(s.chunk_done(0, 5, 50), None);
        assert!(matches!(s.next(false), Next::Wait));
        assert_eq!(s.chunk_done(0, 5, 50), Some((10, 100)));
        assert_eq!(work_name(&s.next(false)), Some("index s.big_i"));
        s.work_done(1);
        s.work_done(0);
        assert!(matches!(s.next(true), Next::Stop));
    }

    #[test]
    fn a_partition_tree_is_one_unit() {
        // The parent's index waits for the data of every partition, and a
        // partition's index locks the tree's root.
        let mut job = Job {
            tables: vec![table("p1", 1), table("p2", 1), table("lonely", 1)],
            ..Job::default()
        };
        for m in ["p1", "p2", "parent"] {
            job.locks.family.insert(format!("relation s.{m}"), "relation s.parent".into());
        }
        job.post_data = vec![
            stmt("index s.parent_i", "index", &["relation s.parent"]),
            stmt("index s.p1_i", "index", &["relation s.p1"]),
        ];
        let mut s = Scheduler::new(&job);
        for _ in 0..3 {
            assert!(matches!(s.next(true), Next::Data(..)));
        }
        s.chunk_done(0, 1, 1);
        s.chunk_done(2, 1, 1);
        // p1 is in, but p2 (same tree) is not: nothing on the tree runs.
        assert!(matches!(s.next(false), Next::Wait));
        s.chunk_done(1, 1, 1);
        let a = s.next(false);
        let b = s.next(false);
        let mut got = [work_name(&a).unwrap(), work_name(&b).unwrap()];
        got.sort();
        assert_eq!(got, ["index s.p1_i", "index s.parent_i"]);
        for n in [a, b] {
            let Next::Work(_, w) = n else { unreachable!() };
            assert_eq!(w.locks, ["relation s.parent"]);
        }
    }

    #[test]
    fn statements_wait_for_the_statements_they_need() {
        let mut job = Job { tables: vec![table("t", 1)], ..Job::default() };
        job.post_data = vec![
            stmt("index s.t_pkey", "index", &["relation s.t"]),
            stmt("constraint s.t.t_pkey", "constraint", &["relation s.t", "index s.t_pkey"]),
        ];
        let mut s = Scheduler::new(&job);
        assert!(matches!(s.next(true), Next::Data(0, 0)));
        s.chunk_done(0, 1, 1);
        let Next::Work(i, w) = s.next(false) else { panic!("index ready") };
        assert!(w.shared_lock);
        assert!(matches!(s.next(false), Next::Wait));
        s.work_done(i);
        let Next::Work(_, w) = s.next(false) else { panic!("constraint ready") };
        assert!(!w.shared_lock);
    }

    #[test]
    fn one_failure_stops_every_worker() {
        let job = Job { tables: vec![table("a", 1), table("b", 1)], ..Job::default() };
        let mut s = Scheduler::new(&job);
        assert!(matches!(s.next(true), Next::Data(0, 0)));
        s.fail(Error::input("boom"));
        s.fail(Error::input("second"));
        assert!(matches!(s.next(true), Next::Stop));
        assert!(matches!(s.next(false), Next::Stop));
        assert_eq!(s.take_error().map(|e| e.to_string()).as_deref(), Some("boom"));
    }

    #[test]
    fn statements_on_tables_without_data_run_at_once() {
        // A schema-only job: no data tasks, statements ready immediately.
        let job = Job {
            post_data: vec![stmt("index s.t_i", "index", &["relation s.t"])],
            ..Job::default()
        };
        let mut s = Scheduler::new(&job);
        assert_eq!(work_name(&s.next(false)), Some("index s.t_i"));
        s.work_done(0);
        assert!(matches!(s.next(false), Next::Stop));
    }

    #[test]
    fn materialized_views_refresh_after_all_tables_and_in_dependency_order() {
        use crate::engine::job::MatviewTask;
        let mut job = Job { tables: vec![table("t", 1)], ..Job::default() };
        job.matviews = vec![
            MatviewTask {
                build: QualifiedName::new("s", "mv2"),
                key: "relation s.mv2".into(),
                after: vec!["relation s.mv1".into()],
            },
            MatviewTask {
                build: QualifiedName::new("s", "mv1"),
                key: "relation s.mv1".into(),
                after: vec![],
            },
        ];
        let mut s = Scheduler::new(&job);
        assert!(matches!(s.next(false), Next::Wait));
        assert!(matches!(s.next(true), Next::Data(0, 0)));
        s.chunk_done(0, 1, 1);
        let Next::Work(i, w) = s.next(false) else { panic!("mv1 ready") };
        assert_eq!(w.stmt.object, "relation s.mv1");
        assert!(matches!(s.next(false), Next::Wait));
        s.work_done(i);
        assert_eq!(work_name(&s.next(false)), Some("relation s.mv2"));
    }
}
