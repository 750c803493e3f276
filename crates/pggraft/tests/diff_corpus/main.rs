//! `diff`: the case corpus in `tests/data/diff/<case>/`, squawk-style, but checked against
//! real databases. Every case folder is a test of its own, `diff::<case>`, which the usual
//! test-name filter selects (`cargo test -p pggraft --test diff_corpus enum_`) and
//! `-- --list` lists; `PGGRAFT_DIFF_CASE=enum_` narrows the list the same way.
//!
//! A case is `from.sql`, `to.sql` and optionally `case.toml` (options and expected hazards,
//! see [`case::Settings`]). The migration FROM → TO is applied to a database loaded with
//! `from.sql` and must make it dump exactly like one loaded with `to.sql`, keep the rows of
//! the tables both sides have (see [`rows`]) and leave nothing for a second diff to do; then
//! the same down, TO → FROM. The plans of one case in eight must also pass the self-check that
//! `pggraft diff` runs before printing (`PGGRAFT_DIFF_SELF_CHECK=1`: every case's).
//!
//! The scripts are snapshots (`tests/data/diff/snapshots/<case>_up.snap`, `<case>_down.snap`),
//! checked on every run (`PGGRAFT_DIFF_SNAPSHOTS=0` skips them, e.g. against a server whose
//! superuser is not `postgres`, which owners in the scripts name); after an intended change to
//! the engine's output, record them again with `INSTA_UPDATE=always` (or `cargo insta review`).
//!
//! The tests share one cluster and each case gets fresh databases. They run on libtest's
//! usual thread pool (`--test-threads`): a case is mostly psql, pg_dump and the server at
//! work, so more threads than cores gains nothing.

mod case;
mod check;
mod rows;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libtest_mimic::{Arguments, Failed, Trial};
use pg_sandbox::Cluster;

use crate::case::Case;

/// Roles the cases may grant to or name in policies; roles are cluster-wide.
const ROLES: &[&str] = &["app_reader", "App Writer"];

fn main() {
    let args = Arguments::from_args();
    let filter = std::env::var("PGGRAFT_DIFF_CASE").unwrap_or_default();
    let dir = corpus_dir();
    let trials = case::names(&dir)
        .into_iter()
        .filter(|name| name.contains(&filter))
        .map(|name| {
            let dir = dir.clone();
            Trial::test(format!("diff::{name}"), move || run(&dir, &name))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn run(dir: &Path, name: &str) -> Result<(), Failed> {
    let case = Case::load(dir, name)?;
    // One runtime per case, on the test's own thread: the catalog reads are async, and
    // psql and pg_dump may block it while they run.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(check::both_ways(&case))?;
    Ok(())
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

/// The shared cluster, with the roles the cases use; started by the first case that runs
/// (`--list` starts none). A failure fails every case with the same message.
pub fn cluster() -> Result<&'static Cluster, String> {
    static READY: OnceLock<Result<&'static Cluster, String>> = OnceLock::new();
    READY
        .get_or_init(|| {
            let cluster = Cluster::shared().map_err(|e| format!("starting the cluster: {e}"))?;
            for role in ROLES {
                cluster
                    .create_role(role, "diff-cases", false)
                    .map_err(|e| format!("creating role {role}: {e}"))?;
            }
            Ok(cluster)
        })
        .clone()
}
