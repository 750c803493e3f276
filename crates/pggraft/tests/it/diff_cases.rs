//! `diff`: the case corpus in `tests/data/diff/<case>/{from.sql,to.sql}`, squawk-style, but
//! checked against real databases: for every case, the migration FROM → TO is applied to a
//! database loaded with `from.sql` and must make it dump exactly like one loaded with `to.sql`
//! (and leave nothing for a second diff to do); then the same down, TO → FROM.
//!
//! All cases run in one test and every failure is collected, so one run shows the state of
//! the whole corpus. `PGGRAFT_DIFF_CASE=enum_` runs only the cases whose folder name contains
//! that text; `PGGRAFT_DIFF_JOBS=N` sets how many cases run at once (default 8: a case spends
//! most of its time waiting on psql, pg_dump and the server, so more than the number of cores
//! pays off).
//!
//! Snapshots of the generated up scripts (`tests/data/diff/snapshots/<case>_up.snap`) are
//! checked on every run (`PGGRAFT_DIFF_SNAPSHOTS=0` skips them, e.g. against a server whose
//! superuser is not `postgres`, which owners in the scripts name); after an intended change to
//! the engine's output, record them again with `INSTA_UPDATE=always` (or `cargo insta review`).

use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};

use futures_util::{StreamExt, stream};
use pg_sandbox::TestDb;
use pggraft::catalog::Catalog;
use pggraft::catalog::read_catalog;
use pggraft::diff::{DiffOptions, diff};
use pggraft::select::SchemaFilter;

use crate::common::*;

/// Roles the cases may grant to or name in policies; roles are cluster-wide.
const ROLES: &[&str] = &["app_reader", "App Writer"];

/// Failure details shown in full; later failures get one line each, so a run over a
/// corpus the engine mostly fails still ends in a readable report.
const DETAILED_FAILURES: usize = 25;
const EXCERPT_LINES: usize = 15;
const EXCERPT_CHARS: usize = 1500;

struct Case {
    name: String,
    from: String,
    to: String,
}

struct Failure {
    case: String,
    step: &'static str,
    detail: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn diff_corpus() {
    let filter = std::env::var("PGGRAFT_DIFF_CASE").unwrap_or_default();
    let jobs = std::env::var("PGGRAFT_DIFF_JOBS")
        .ok()
        .and_then(|j| j.parse::<usize>().ok())
        .filter(|&j| j > 0)
        .unwrap_or(8);
    let (cases, mut failures) = load_corpus(&corpus_dir(), &filter);
    assert!(!cases.is_empty() || !failures.is_empty(), "no diff case matches {filter:?}");
    for role in ROLES {
        cluster().create_role(role, "diff-cases", false).expect("create role");
    }
    install_quiet_panic_hook();

    let total = cases.len() + failures.len();
    let results: Vec<Result<(), Failure>> = stream::iter(cases)
        .map(|case| async move {
            let name = case.name.clone();
            let step = Arc::new(Step::new());
            let task = tokio::spawn(run_case(case, Arc::clone(&step)));
            match task.await {
                Ok(result) => result,
                // A panic (engine or harness) fails this case only.
                Err(e) => Err(Failure {
                    case: name,
                    step: step.get(),
                    detail: if e.is_panic() {
                        panic_message(e.into_panic().as_ref())
                    } else {
                        e.to_string()
                    },
                }),
            }
        })
        .buffer_unordered(jobs)
        .collect()
        .await;
    failures.extend(results.into_iter().filter_map(Result::err));
    failures.sort_by(|a, b| a.case.cmp(&b.case));

    let summary =
        format!("diff corpus: {} passed, {} failed", total - failures.len(), failures.len());
    println!("{summary}");
    if !failures.is_empty() {
        panic!("{}\n{summary}", report(&failures));
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

/// The cases in sorted order; a folder without both files is a failure of its own.
fn load_corpus(dir: &Path, filter: &str) -> (Vec<Case>, Vec<Failure>) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "snapshots" && name.contains(filter))
        .collect();
    names.sort();
    let mut cases = vec![];
    let mut failures = vec![];
    for name in names {
        let read = |file: &str| std::fs::read_to_string(dir.join(&name).join(file));
        match (read("from.sql"), read("to.sql")) {
            (Ok(from), Ok(to)) => cases.push(Case { name, from, to }),
            (Err(e), _) | (_, Err(e)) => failures.push(Failure {
                case: name,
                step: "read case files",
                detail: e.to_string(),
            }),
        }
    }
    (cases, failures)
}

/// The step a case is at, for reporting panics.
struct Step(Mutex<&'static str>);

impl Step {
    fn new() -> Step {
        Step(Mutex::new("start"))
    }
    fn set(&self, step: &'static str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = step;
    }
    fn get(&self) -> &'static str {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Up: migrate FROM into TO; down: migrate TO into FROM.
async fn run_case(case: Case, step: Arc<Step>) -> Result<(), Failure> {
    let fail =
        |step: &'static str, detail: String| Failure { case: case.name.clone(), step, detail };
    let prefix = format!("diff_{}", case.name.split('_').next().unwrap_or_default());

    step.set("load from.sql");
    let from_db = blocking(|| load(&format!("{prefix}_from"), &case.from))
        .map_err(|e| fail("load from.sql", e))?;
    step.set("load to.sql");
    let to_db = match blocking(|| load(&format!("{prefix}_to"), &case.to)) {
        Ok(db) => db,
        Err(e) => {
            blocking(|| drop(from_db));
            return Err(fail("load to.sql", e));
        }
    };
    let result = both_ways(&case.name, &from_db, &to_db, &step).await;
    // The guards run DROP DATABASE through psql: blocking too.
    blocking(|| drop((from_db, to_db)));
    result.map_err(|(step, detail)| fail(step, detail))
}

/// Two databases serve both directions: up changes only FROM and down only TO, and both are
/// dumped and read before either script runs, so each direction starts from pristine
/// databases, as with four fresh ones, at half the cost.
async fn both_ways(
    case: &str,
    from_db: &TestDb<'static>,
    to_db: &TestDb<'static>,
    step: &Step,
) -> Result<(), (&'static str, String)> {
    step.set("dump originals");
    let from_dump =
        blocking(|| from_db.dump_schema(&[])).map_err(|e| ("dump from", e.to_string()))?;
    let to_dump = blocking(|| to_db.dump_schema(&[])).map_err(|e| ("dump to", e.to_string()))?;

    step.set("read catalogs");
    let from_cat = catalog(from_db).await.map_err(|e| ("read from catalog", e))?;
    let to_cat = catalog(to_db).await.map_err(|e| ("read to catalog", e))?;

    let up = Direction { name: "up", target: from_db, current: &from_cat, wanted: &to_cat };
    up.check(case, &to_dump, step).await?;
    let down = Direction { name: "down", target: to_db, current: &to_cat, wanted: &from_cat };
    down.check(case, &from_dump, step).await
}

struct Direction<'a> {
    name: &'static str,
    /// The database the script runs on, described by `current`.
    target: &'a TestDb<'static>,
    current: &'a Catalog,
    wanted: &'a Catalog,
}

impl Direction<'_> {
    async fn check(
        &self,
        case: &str,
        wanted_dump: &str,
        step: &Step,
    ) -> Result<(), (&'static str, String)> {
        let up = self.name == "up";
        let s = |up_step: &'static str, down_step: &'static str| {
            let name = if up { up_step } else { down_step };
            step.set(name);
            name
        };

        let at = s("diff up", "diff down");
        let script = diff(self.current, self.wanted, &DiffOptions::default())
            .map_err(|e| (at, e.to_string()))?
            .script();

        if up && std::env::var("PGGRAFT_DIFF_SNAPSHOTS").map_or(true, |v| v != "0") {
            let at = s("snapshot up", "snapshot down");
            quietly(|| {
                insta::with_settings!({
                    snapshot_path => "../data/diff/snapshots",
                    prepend_module_to_snapshot => false
                }, {
                    insta::assert_snapshot!(format!("{case}_up"), script.as_str());
                });
            })
            .map_err(|e| (at, e))?;
        }

        let at = s("apply up", "apply down");
        if !script.trim().is_empty() {
            blocking(|| self.target.psql(&script))
                .map_err(|e| (at, format!("{e}\n--- script ---\n{script}")))?;
        }

        let at = s("compare up", "compare down");
        let dump = blocking(|| self.target.dump_schema(&[])).map_err(|e| (at, e.to_string()))?;
        if dump != wanted_dump {
            let differences = quietly(|| assert_same_text(&dump, wanted_dump)).err();
            let mut detail = differences.unwrap_or_default();
            if !script.trim().is_empty() {
                let _ = write!(detail, "\n--- script ---\n{script}");
            }
            return Err((at, detail));
        }

        let at = s("re-diff up", "re-diff down");
        let now = catalog(self.target).await.map_err(|e| (at, e))?;
        let again =
            diff(&now, self.wanted, &DiffOptions::default()).map_err(|e| (at, e.to_string()))?;
        if !again.is_empty() {
            return Err((at, format!("a second diff is not empty:\n{}", again.script())));
        }
        Ok(())
    }
}

/// A fresh database loaded with `sql`; like [`db_with`], but a load error is a result naming
/// the line, not a panic.
fn load(prefix: &str, sql: &str) -> Result<TestDb<'static>, String> {
    let db = cluster().create_database(prefix).map_err(|e| e.to_string())?;
    db.psql(sql).map_err(|e| e.to_string())?;
    Ok(db)
}

async fn catalog(db: &TestDb<'_>) -> Result<Catalog, String> {
    read_catalog(&spec(db), &SchemaFilter::all()).await.map_err(|e| e.to_string())
}

/// psql and pg_dump block; keep the runtime's other tasks (catalog connections) moving.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into its message without printing it: assertion helpers
/// (`assert_same_text`, insta) report by panicking, and hundreds of expected failures would
/// otherwise bury the report.
fn quietly(f: impl FnOnce()) -> Result<(), String> {
    QUIET.with(|q| q.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.map_err(|payload| panic_message(payload.as_ref()))
}

/// Silences panics inside [`quietly`] on this thread only; every other panic, in this test
/// or any other running alongside, goes to the previous hook as before.
fn install_quiet_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panicked (no message)".to_owned()
    }
}

fn report(failures: &[Failure]) -> String {
    let mut out = String::new();
    for (i, f) in failures.iter().enumerate() {
        if i < DETAILED_FAILURES {
            let _ = writeln!(out, "\n=== {} [{}]\n{}", f.case, f.step, excerpt(&f.detail));
        } else {
            if i == DETAILED_FAILURES {
                let _ = writeln!(out, "\n=== and {} more:", failures.len() - DETAILED_FAILURES);
            }
            // The first line that says something ("texts differ:" does not).
            let first = f
                .detail
                .lines()
                .find(|l| !l.trim().is_empty() && !l.ends_with(':'))
                .unwrap_or_default();
            let _ = writeln!(out, "{} [{}] {}", f.case, f.step, truncate(first, 160));
        }
    }
    out
}

fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let head = lines[..lines.len().min(EXCERPT_LINES)].join("\n");
    let mut out = truncate(&head, EXCERPT_CHARS);
    if lines.len() > EXCERPT_LINES || head.len() > EXCERPT_CHARS {
        let _ = write!(out, "\n… ({} lines in all)", lines.len());
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
