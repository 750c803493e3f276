//! Deciding which migrations to run and running them.
//!
//! A schedule is made from the folder and the history only after the runner
//! holds the lock, so a runner that waited sees what the one before it
//! applied. Every check (holes in the history, pending migrations older
//! than the newest applied one, an unknown `--to`, transaction control in a
//! file) happens before the first statement runs. Each migration then runs
//! on a fresh session: its leading `SET`s first, then either one
//! transaction holding its statements and its history row, or — when it
//! holds statements that cannot run in a transaction block — each statement
//! on its own, with the history row written only after all succeeded.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use tokio_postgres::Client;

use super::files::{Dir, MigrationFile};
use super::history::{self, History, Kind, Lock, ProgressKey};
use super::script::{Statement, split_statements};
use crate::conn::ConnSpec;
use crate::error::{Error, PgResultExt, Result};

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Runs the up file and records the migration.
    Up,
    /// Runs the down file and removes the record.
    Down,
    /// Records the migration without running anything.
    Baseline,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::Baseline => "baseline",
        }
    }
}

/// One migration to run (or record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub version: String,
    pub name: String,
    pub action: Action,
    /// The file that runs (the up file for `baseline`, which runs nothing).
    pub path: PathBuf,
    pub sql: String,
    /// Checksum of the up file.
    pub checksum: String,
}

impl Step {
    fn new(m: &MigrationFile, action: Action) -> Step {
        let (path, sql) = match action {
            Action::Down => (m.down_path.clone(), m.down_sql.clone()),
            Action::Up | Action::Baseline => (m.up_path.clone(), m.up_sql.clone()),
        };
        Step {
            version: m.version.clone(),
            name: m.name.clone(),
            action,
            path,
            sql,
            checksum: m.checksum.clone(),
        }
    }

    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{}_{}", self.version, self.name))
    }
}

/// The steps of a run, in the order they run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub steps: Vec<Step>,
    /// Applied files edited since (checksum drift), and the like.
    pub warnings: Vec<String>,
}

/// How far `down` goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownTarget {
    /// Undo the newest N applied migrations.
    Steps(usize),
    /// Undo every migration applied after this version (it stays applied).
    To(String),
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Apply pending migrations, up to and including `to`.
    Up {
        to: Option<String>,
    },
    Down(DownTarget),
}

/// One migration that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub version: String,
    pub name: String,
    pub action: Action,
    pub duration_ms: u64,
    pub statements: usize,
    /// Whether it ran in one transaction.
    pub transactional: bool,
    /// Statements an earlier run (interrupted part way through this
    /// migration, which runs outside a transaction block) had applied, and
    /// that this run therefore skipped.
    #[serde(skip_serializing_if = "is_zero")]
    pub earlier: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The target, without its password.
    pub target: String,
    #[serde(rename = "plan")]
    pub schedule: Schedule,
    /// The steps that ran (all of the schedule's, unless `dry_run`).
    pub applied: Vec<Applied>,
    pub dry_run: bool,
}

/// Where a version stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Applied,
    Pending,
    /// Applied, but the up file changed since (checksum).
    Changed,
    /// Applied, but its file is no longer in the folder.
    MissingFile,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Changed => "changed",
            State::MissingFile => "missing-file",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRow {
    pub version: String,
    pub name: String,
    pub state: State,
    /// `YYYY-MM-DD HH:MM:SS` UTC, when applied.
    pub applied_at: Option<String>,
    /// How the history row came to be, when there is one.
    pub kind: Option<Kind>,
}

/// Every version the folder or the history knows, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Status {
    pub rows: Vec<StatusRow>,
}

impl Status {
    /// Nothing pending, nothing changed or missing.
    pub fn is_up_to_date(&self) -> bool {
        self.rows.iter().all(|r| r.state == State::Applied)
    }

    pub fn count(&self, state: State) -> usize {
        self.rows.iter().filter(|r| r.state == state).count()
    }
}

/// The pending migrations up to `to` (see the module docs for the checks).
pub fn schedule_up(dir: &Dir, history: &History, to: Option<&str>) -> Result<Schedule> {
    check_holes(dir, history)?;
    if let Some(v) = to {
        check_known("--to", v, dir, history)?;
    }
    let newest_applied = history.file_rows().last().map(|r| r.version.as_str());
    let pending: Vec<&MigrationFile> =
        dir.migrations.iter().filter(|m| history.get(&m.version).is_none()).collect();
    let out_of_order: Vec<String> = pending
        .iter()
        .filter(|m| newest_applied.is_some_and(|n| m.version.as_str() < n))
        .map(|m| m.id())
        .collect();
    if let Some(newest) = newest_applied
        && !out_of_order.is_empty()
    {
        return Err(Error::input(format!(
            "{}: pending migrations are older than the newest applied one ({newest}): {}; \
             migrations apply in version order, so give them a version after {newest} \
             (rename the files) or remove them",
            dir.path.display(),
            out_of_order.join(", ")
        )));
    }
    let steps: Vec<Step> = pending
        .into_iter()
        .filter(|m| to.is_none_or(|t| m.version.as_str() <= t))
        .map(|m| Step::new(m, Action::Up))
        .collect();
    check_scripts(&steps)?;
    Ok(Schedule { steps, warnings: drift_warnings(dir, history) })
}

/// The applied migrations to undo, newest first.
pub fn schedule_down(dir: &Dir, history: &History, target: &DownTarget) -> Result<Schedule> {
    check_holes(dir, history)?;
    let applied: Vec<_> = history.file_rows().collect();
    let undo: Vec<_> = match target {
        DownTarget::Steps(0) => return Err(Error::input("--steps must be at least 1")),
        DownTarget::Steps(n) if *n > applied.len() => {
            return Err(Error::input(format!(
                "--steps {n}: only {} migration(s) are applied",
                applied.len()
            )));
        }
        DownTarget::Steps(n) => applied.iter().rev().take(*n).collect(),
        DownTarget::To(v) => {
            check_known("--to", v, dir, history)?;
            applied.iter().rev().take_while(|r| r.version.as_str() > v.as_str()).collect()
        }
    };
    let mut steps = vec![];
    for r in undo {
        // check_holes made sure every applied file is there.
        if let Some(m) = dir.get(&r.version) {
            steps.push(Step::new(m, Action::Down));
        }
    }
    check_scripts(&steps)?;
    Ok(Schedule { steps, warnings: drift_warnings(dir, history) })
}

/// Applied versions whose files are gone: a hole pggraft will not run or
/// undo migrations around.
fn check_holes(dir: &Dir, history: &History) -> Result<()> {
    let missing: Vec<String> = history
        .file_rows()
        .filter(|r| dir.get(&r.version).is_none())
        .map(|r| format!("{}_{}", r.version, r.name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::input(format!(
        "{}: the target's history says these migrations were applied, but their files are \
         missing from the folder: {}; restore them (from version control, say) before running \
         migrations",
        dir.path.display(),
        missing.join(", ")
    )))
}

fn check_known(flag: &str, version: &str, dir: &Dir, history: &History) -> Result<()> {
    if dir.get(version).is_some() || history.get(version).is_some() {
        return Ok(());
    }
    let known: Vec<&str> = dir.migrations.iter().map(|m| m.version.as_str()).collect();
    let hint = if known.is_empty() {
        "the folder has no migrations".to_string()
    } else {
        format!("known versions: {}", known.join(", "))
    };
    Err(Error::input(format!(
        "{flag} {version}: no migration with that version in {} or in the target's history ({hint})",
        dir.path.display()
    )))
}

/// Files must not manage transactions themselves: pggraft wraps each
/// migration in one, and a COMMIT inside it would record a half-applied
/// migration.
fn check_scripts(steps: &[Step]) -> Result<()> {
    for step in steps {
        if let Some(s) = split_statements(&step.sql).iter().find(|s| s.transaction_control) {
            return Err(Error::input(format!(
                "{}: {} controls the transaction; remove it (pggraft runs each migration in a \
                 transaction, or statement by statement when it holds statements marked \
                 `-- not in a transaction block`)",
                step.path.display(),
                s.describe()
            )));
        }
    }
    Ok(())
}

fn drift_warnings(dir: &Dir, history: &History) -> Vec<String> {
    history
        .file_rows()
        .filter_map(|r| {
            let m = dir.get(&r.version)?;
            (m.checksum != r.checksum).then(|| {
                format!(
                    "{} changed after it was applied (checksum {} recorded, {} now); \
                     the change is not applied",
                    m.up_path.display(),
                    short(&r.checksum),
                    short(&m.checksum)
                )
            })
        })
        .collect()
}

fn short(checksum: &str) -> &str {
    checksum.get(..12).unwrap_or(checksum)
}

/// Runs `up` or `down` against `target` (see the module docs). With
/// `dry_run`, returns the schedule and changes nothing, not even creating the
/// history table.
pub async fn apply(
    target: &ConnSpec,
    dir: &Dir,
    request: &Request,
    dry_run: bool,
) -> Result<Report> {
    apply_with(target, dir, request, dry_run, &|_| {}).await
}

/// [`apply`], calling `on_applied` as each migration commits (so a caller
/// can say so at once: a run stopped later has still applied it).
pub async fn apply_with(
    target: &ConnSpec,
    dir: &Dir,
    request: &Request,
    dry_run: bool,
    on_applied: &(dyn Fn(&Applied) + Sync),
) -> Result<Report> {
    let schedule_for = |history: &History| match request {
        Request::Up { to } => schedule_up(dir, history, to.as_deref()),
        Request::Down(t) => schedule_down(dir, history, t),
    };
    let mut report = Report { target: target.redacted(), dry_run, ..Report::default() };
    if dry_run {
        let client = target.connect().await?;
        report.schedule = schedule_for(&History::read(&client).await?)?;
        return Ok(report);
    }
    let lock = Lock::acquire(target).await?;
    let result = async {
        History::ensure(lock.client()).await?;
        report.schedule = schedule_for(&History::read(lock.client()).await?)?;
        for step in &report.schedule.steps {
            match run_step(target, step).await {
                Ok(a) => {
                    on_applied(&a);
                    report.applied.push(a);
                }
                Err(e) => return Err(after_earlier(e, &report.applied)),
            }
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            lock.release().await?;
            Ok(report)
        }
        // The lock goes with its session.
        Err(e) => Err(e),
    }
}

/// Records every migration up to and including `version` as applied,
/// running nothing: for a database that already has their effect.
pub async fn baseline(target: &ConnSpec, dir: &Dir, version: &str) -> Result<Report> {
    if dir.get(version).is_none() {
        return Err(Error::input(format!(
            "--version {version}: no migration with that version in {}",
            dir.path.display()
        )));
    }
    let lock = Lock::acquire(target).await?;
    let client = lock.client();
    History::ensure(client).await?;
    let history = History::read(client).await?;
    check_holes(dir, &history)?;
    let steps: Vec<Step> = dir
        .migrations
        .iter()
        .filter(|m| m.version.as_str() <= version && history.get(&m.version).is_none())
        .map(|m| Step::new(m, Action::Baseline))
        .collect();
    client.batch_execute("BEGIN").await.ctx("starting the baseline transaction")?;
    for s in &steps {
        history::insert(client, &s.version, &s.name, &s.checksum, None, Kind::Baseline).await?;
    }
    client.batch_execute("COMMIT").await.ctx("committing the baseline")?;
    let applied = steps
        .iter()
        .map(|s| Applied {
            version: s.version.clone(),
            name: s.name.clone(),
            action: Action::Baseline,
            duration_ms: 0,
            statements: 0,
            transactional: true,
            earlier: 0,
        })
        .collect();
    let warnings = drift_warnings(dir, &history);
    lock.release().await?;
    Ok(Report {
        target: target.redacted(),
        schedule: Schedule { steps, warnings },
        applied,
        dry_run: false,
    })
}

/// Compares the folder with the target's history. Changes nothing.
pub async fn status(target: &ConnSpec, dir: &Dir) -> Result<Status> {
    let client = target.connect().await?;
    let history = History::read(&client).await?;
    let mut versions: Vec<&str> = dir
        .migrations
        .iter()
        .map(|m| m.version.as_str())
        .chain(history.rows.iter().map(|r| r.version.as_str()))
        .collect();
    versions.sort_unstable();
    versions.dedup();
    let rows = versions
        .into_iter()
        .map(|v| {
            let file = dir.get(v);
            let row = history.get(v);
            let state = match (file, row) {
                (Some(f), Some(r)) if r.kind.has_file() && f.checksum != r.checksum => {
                    State::Changed
                }
                (_, Some(r)) if file.is_some() || !r.kind.has_file() => State::Applied,
                (_, Some(_)) => State::MissingFile,
                (_, None) => State::Pending,
            };
            StatusRow {
                version: v.to_string(),
                name: row
                    .map(|r| r.name.clone())
                    .or(file.map(|f| f.name.clone()))
                    .unwrap_or_default(),
                state,
                applied_at: row.map(|r| r.applied_at.clone()),
                kind: row.map(|r| r.kind),
            }
        })
        .collect();
    Ok(Status { rows })
}

async fn run_step(target: &ConnSpec, step: &Step) -> Result<Applied> {
    let statements = split_statements(&step.sql);
    let record = match step.action {
        Action::Up => Record::Insert {
            version: &step.version,
            name: &step.name,
            checksum: &step.checksum,
            kind: Kind::File,
        },
        Action::Down => Record::Delete { version: &step.version },
        Action::Baseline => Record::None,
    };
    let progress = ProgressKey {
        version: &step.version,
        action: step.action.as_str(),
        checksum: &step.checksum,
    };
    let ran =
        run_statements(target, &step.file_name(), &statements, record, Some(progress)).await?;
    Ok(Applied {
        version: step.version.clone(),
        name: step.name.clone(),
        action: step.action,
        duration_ms: ran.duration_ms,
        statements: statements.len(),
        transactional: ran.transactional,
        earlier: ran.earlier,
    })
}

/// The history change that goes with a migration.
pub(crate) enum Record<'a> {
    Insert { version: &'a str, name: &'a str, checksum: &'a str, kind: Kind },
    Delete { version: &'a str },
    None,
}

impl Record<'_> {
    async fn write(&self, client: &Client, duration_ms: u64) -> Result<()> {
        match self {
            Record::Insert { version, name, checksum, kind } => {
                let ms = i64::try_from(duration_ms).ok();
                history::insert(client, version, name, checksum, ms, *kind).await
            }
            Record::Delete { version } => history::delete(client, version).await,
            Record::None => Ok(()),
        }
    }
}

/// How one migration ran.
pub(crate) struct Ran {
    pub duration_ms: u64,
    /// Whether it ran in one transaction.
    pub transactional: bool,
    /// Statements an earlier, interrupted run had applied (skipped).
    pub earlier: usize,
}

/// Runs one migration's statements on a fresh session, with its history
/// change. A migration that must run outside a transaction block records
/// its progress after each statement under `progress`, and one that an
/// earlier run left part way (same file) resumes after what that run
/// applied.
pub(crate) async fn run_statements(
    target: &ConnSpec,
    label: &str,
    statements: &[Statement],
    record: Record<'_>,
    progress: Option<ProgressKey<'_>>,
) -> Result<Ran> {
    let client = target.connect().await?;
    let transactional = statements.iter().all(|s| s.transactional);
    let started = Instant::now();
    let elapsed = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if !transactional {
        // A killed client must not leave its statement running (or waiting
        // for a lock) and applying after the fact (PostgreSQL 14+).
        client
            .batch_execute(crate::conn::CHECK_CLIENT)
            .await
            .ctx(format!("{label}: preparing the session"))?;
        let earlier = match &progress {
            Some(key) => resume_point(&client, key, label, statements.len()).await?,
            None => 0,
        };
        for (i, s) in statements.iter().enumerate() {
            // Resuming: what the earlier run applied is skipped, but the
            // session's SETs apply to this session too.
            if i < earlier && !s.session {
                continue;
            }
            if let Err(e) = client.batch_execute(&s.sql).await {
                let done = match (i, earlier) {
                    (0, _) => "nothing of it was applied".to_string(),
                    (i, 0) => format!(
                        "statements 1-{i} ran outside a transaction block and stay applied; \
                         the migration is not recorded as applied"
                    ),
                    (i, e) => format!(
                        "statements 1-{i} ran outside a transaction block and stay applied \
                         (1-{e} by an earlier run that was interrupted); the migration is not \
                         recorded as applied"
                    ),
                };
                return Err(Error::db(format!("{label}: {} failed ({done})", s.describe()), e));
            }
            if let Some(key) = &progress
                && i >= earlier
            {
                key.write(&client, i + 1, statements.len())
                    .await
                    .map_err(|e| prefix(e, &format!("{label}: ")))?;
            }
        }
        let ms = elapsed();
        record.write(&client, ms).await.map_err(|e| prefix(e, &format!("{label}: ")))?;
        if let Some(key) = &progress {
            key.clear(&client).await.map_err(|e| prefix(e, &format!("{label}: ")))?;
        }
        return Ok(Ran { duration_ms: ms, transactional: false, earlier });
    }
    // Leading SETs apply to the session (and the session ends with the
    // migration, so they never leak into the next one).
    for s in statements.iter().filter(|s| s.session) {
        client
            .batch_execute(&s.sql)
            .await
            .ctx(format!("{label}: {} failed (nothing of it was applied)", s.describe()))?;
    }
    client.batch_execute("BEGIN").await.ctx(format!("{label}: starting a transaction"))?;
    let result = async {
        for s in statements.iter().filter(|s| !s.session) {
            client
                .batch_execute(&s.sql)
                .await
                .ctx(format!("{label}: {} failed (the migration was rolled back)", s.describe()))?;
        }
        let ms = elapsed();
        record.write(&client, ms).await?;
        client
            .batch_execute("COMMIT")
            .await
            .ctx(format!("{label}: committing failed (the migration was rolled back)"))?;
        Ok(ms)
    }
    .await;
    match result {
        Ok(ms) => Ok(Ran { duration_ms: ms, transactional: true, earlier: 0 }),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Where a migration that runs outside a transaction block starts: after
/// the statements an earlier, interrupted run of the same file recorded as
/// applied (0 when there was none). An earlier run of another version of
/// the file is refused: its statements may not be this file's.
async fn resume_point(
    client: &Client,
    key: &ProgressKey<'_>,
    label: &str,
    total: usize,
) -> Result<usize> {
    let Some(earlier) = key.read(client).await? else { return Ok(0) };
    if earlier.checksum != key.checksum {
        return Err(Error::input(format!(
            "{label}: an earlier run applied statements 1-{} of another version of this file \
             (checksum {}, at {} UTC) and was interrupted; this file changed since, so pggraft \
             cannot tell what of it is applied: bring the database in line by hand, then delete \
             its row from pggraft.migration_progress (version {}, action {})",
            earlier.statements_done,
            short(&earlier.checksum),
            earlier.at,
            key.version,
            key.action
        )));
    }
    Ok(earlier.statements_done.min(total))
}

/// Says which migrations of the run were applied before a failure.
fn after_earlier(e: Error, applied: &[Applied]) -> Error {
    if applied.is_empty() {
        return e;
    }
    let ids: Vec<String> = applied.iter().map(|a| format!("{}_{}", a.version, a.name)).collect();
    let verb = if applied[0].action == Action::Down { "undid" } else { "applied" };
    prefix(e, &format!("{verb} {}; then ", ids.join(", ")))
}

fn prefix(e: Error, p: &str) -> Error {
    match e {
        Error::Db { side, context, message, pg } => {
            Error::Db { side, context: format!("{p}{context}"), message, pg }
        }
        Error::Input(m) => Error::Input(format!("{p}{m}")),
        other => other,
    }
}
