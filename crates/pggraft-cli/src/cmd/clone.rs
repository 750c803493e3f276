//! `pggraft clone`: arguments (`CloneArgs`) validated into the library's
//! `CloneOptions`, progress on the terminal, Ctrl-C handling, and the final
//! report (with the verification that follows unless `--no-verify`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressStyle};
use pggraft::clone::{self, CloneOptions, CloneReport, CloneSection, StrategyChoice};
use pggraft::engine::{Cancel, ProgressSink};
use pggraft::rename::SchemaArg;
use pggraft::sql::QualifiedName;
use pggraft::verify::{self, VerifyOptions, VerifyReport};

use crate::flags::{ConnArgs, FilterArgs, JsonArg, LeaveOutArgs, NamingArgs, OmitArgs, reword};
use crate::{Outcome, output};

#[derive(Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    /// Server-side INSERT … SELECT within one database, binary COPY otherwise.
    Auto,
    /// Binary COPY streamed from source to target.
    Copy,
    /// Server-side INSERT … SELECT (same database only).
    InsertSelect,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SectionArg {
    /// The whole clone, built under temporary names and swapped into place.
    All,
    /// Schemas, types, tables, functions, views: the structure before the rows.
    PreData,
    /// Rows and sequence values.
    Data,
    /// Indexes, constraints, triggers, materialized views' rows.
    PostData,
}

#[derive(Args)]
#[command(
    after_help = "Sizes (progress, the report, --split-tables-larger-than) are heap bytes: each \
                  source table's pg_relation_size, whichever strategy moves its rows.",
    mut_arg("target", reword("Target connection (may be the same database)")),
    // -N listed right after -n, as ever: clap sorts flags of one display
    // order by short name, -n then -N; -n is the third flag (2).
    mut_arg("exclude_schemas", |a| a.display_order(2))
)]
pub struct CloneArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub naming: NamingArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Copy the structure only.
    #[arg(long, conflicts_with = "data_only")]
    pub schema_only: bool,
    /// Copy rows only, into existing tables.
    #[arg(long)]
    pub data_only: bool,
    /// Tables copied in parallel.
    #[arg(short = 'j', long, default_value_t = 4)]
    pub jobs: usize,
    /// Indexes and constraints built in parallel.
    #[arg(long, default_value_t = 4)]
    pub index_jobs: usize,
    /// Copy tables larger than this (e.g. 500MB, 2GB) in parallel ranges (default: from sizes and --jobs; with both servers on this machine, no more streams than its cores run).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub split_tables_larger_than: Option<u64>,
    /// How rows move.
    #[arg(long, value_enum, default_value = "auto")]
    pub strategy: StrategyArg,
    /// Replace target schemas that already exist.
    #[arg(long)]
    pub drop_if_exists: bool,
    /// With --drop-if-exists: also drop objects in other schemas that depend on the replaced ones.
    #[arg(long, requires = "drop_if_exists")]
    pub drop_cascade: bool,
    #[command(flatten)]
    pub omit: OmitArgs,
    #[command(flatten)]
    pub leave_out: LeaveOutArgs,
    /// Create on the target the roles the copied objects need (owners, grantees, policy roles), with attributes and memberships.
    #[arg(long)]
    pub roles: bool,
    /// With --roles: create the roles without passwords (as pg_dumpall's --no-role-passwords).
    #[arg(long, requires = "roles")]
    pub no_role_passwords: bool,
    /// Objects owned by OLD on the source are owned by NEW on the target (repeatable).
    #[arg(long, value_name = "OLD=NEW", value_parser = parse_role_pair)]
    pub owner_map: Vec<(String, String)>,
    /// Privileges granted to OLD on the source are granted to NEW on the target (repeatable).
    #[arg(long, value_name = "OLD=NEW", value_parser = parse_role_pair)]
    pub role_map: Vec<(String, String)>,
    /// Create no extensions on the target (those the copy uses must exist there).
    #[arg(long)]
    pub skip_extensions: bool,
    /// Create an extension in the target's default version when the source's is not available.
    #[arg(long, conflicts_with = "skip_extensions")]
    pub any_extension_version: bool,
    /// Longest wait for a lock per statement on the target (e.g. 60s, 5min), then fail naming the blocker.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub lock_wait_timeout: std::time::Duration,
    /// Read the source in this snapshot, held by `pggraft snapshot` (or any session's pg_export_snapshot()).
    #[arg(long, value_name = "NAME")]
    pub snapshot: Option<String>,
    /// Run one section of the clone, into the final names (needs --snapshot): pre-data, data, post-data; all: the whole clone.
    #[arg(long, value_enum, default_value = "all")]
    pub section: SectionArg,
    /// Go on with the killed clone of the same plan stored in the target: keep what it finished (checked against a new snapshot), copy the rest.
    #[arg(long)]
    pub resume: bool,
    /// Join the clone in progress that the same command started (its plan and snapshot are stored in the target) and take some of its tables, ranges and statements.
    #[arg(long, conflicts_with_all = ["resume", "dry_run", "follow"])]
    pub worker: bool,
    /// Do not verify the copy afterwards.
    #[arg(long)]
    pub no_verify: bool,
    /// Create the copy's tables UNLOGGED: faster loads (no WAL), but a crash of the target's server empties them and standbys do not get their rows. For throwaway copies.
    #[arg(long)]
    pub unlogged: bool,
    /// Print the plan (statements and copy tasks) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Then follow the source's changes (logical replication from the clone's own snapshot) until `pggraft follow cutover`.
    #[arg(long, conflicts_with_all = ["schema_only", "data_only", "dry_run"])]
    pub follow: bool,
    /// With --follow: the replication slot and publication created on the source.
    #[arg(long, value_name = "NAME", default_value = pggraft::follow::DEFAULT_SLOT, requires = "follow")]
    pub slot: String,
    #[command(flatten)]
    pub json: JsonArg,
}

/// Parses `OLD=NEW` (role names as they are spelled, case kept).
fn parse_role_pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((o, n)) if !o.is_empty() && !n.is_empty() => Ok((o.to_string(), n.to_string())),
        _ => Err(format!("{text:?} is not OLD=NEW (two role names)")),
    }
}

/// Parses `123`, `10kB`, `500MB`, `2GB`, `1TB` (powers of 1024, as PostgreSQL).
fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{text:?} is not a size like 500MB or 2GB"))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        "t" | "tb" => 1 << 40,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (use kB, MB, GB or TB)")),
    };
    Ok(n * mult)
}

/// Parses `90` (seconds), `500ms`, `60s`, `5min`, `1h`.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{text:?} is not a duration like 60s or 5min"))?;
    let ms = match unit.trim() {
        "ms" => 1,
        "" | "s" => 1_000,
        "min" | "m" => 60_000,
        "h" => 3_600_000,
        other => return Err(format!("{text:?}: unknown unit {other:?} (use ms, s, min or h)")),
    };
    Ok(std::time::Duration::from_millis(n.saturating_mul(ms)))
}

/// `CloneArgs` (what the user typed) → `CloneOptions` (validated).
fn options(a: &CloneArgs) -> Result<CloneOptions> {
    let (source, target) = a.conn.to_specs()?;
    let mut opts = CloneOptions::new(source, target);
    opts.naming = a.naming.to_naming()?;
    let filters = a.filters.to_filters()?;
    // A filters file's schemas are copied under the naming flags' rule.
    let listed = filters.include_schemas.into_iter().map(|p| SchemaArg { source: p, target: None });
    opts.naming.schemas.extend(listed);
    opts.exclude_schemas = filters.exclude_schemas;
    opts.tables.include = filters.include_tables;
    opts.tables.exclude = filters.exclude_tables;
    opts.exclude_table_data = filters.exclude_table_data;
    opts.schema_only = a.schema_only;
    opts.data_only = a.data_only;
    if a.jobs == 0 || a.index_jobs == 0 {
        bail!("--jobs and --index-jobs must be at least 1");
    }
    opts.jobs = a.jobs;
    opts.index_jobs = a.index_jobs;
    opts.split_larger_than = a.split_tables_larger_than;
    opts.strategy = match a.strategy {
        StrategyArg::Auto => StrategyChoice::Auto,
        StrategyArg::Copy => StrategyChoice::Copy,
        StrategyArg::InsertSelect => StrategyChoice::InsertSelect,
    };
    opts.drop_if_exists = a.drop_if_exists;
    opts.drop_cascade = a.drop_cascade;
    opts.lock_wait = a.lock_wait_timeout;
    // Rows are hashed as they copy only for the verification that follows.
    opts.hash_rows = !a.no_verify;
    opts.unlogged = a.unlogged;
    (opts.owners, opts.privileges, opts.comments) = a.omit.kept();
    opts.skip_extensions = a.skip_extensions;
    opts.any_extension_version = a.any_extension_version;
    opts.left_out = a.leave_out.kinds();
    opts.snapshot = a.snapshot.clone();
    opts.section = match a.section {
        SectionArg::All => CloneSection::All,
        SectionArg::PreData => CloneSection::PreData,
        SectionArg::Data => CloneSection::Data,
        SectionArg::PostData => CloneSection::PostData,
    };
    opts.resume = a.resume;
    opts.worker = a.worker;
    opts.roles = a.roles;
    opts.role_passwords = !a.no_role_passwords;
    for (flag, pairs, map) in [
        ("--owner-map", &a.owner_map, &mut opts.owner_map),
        ("--role-map", &a.role_map, &mut opts.role_map),
    ] {
        for (o, n) in pairs {
            if let Some(prev) = map.insert(o.clone(), n.clone())
                && prev != *n
            {
                bail!("{flag} maps role {o:?} twice (to {prev:?} and {n:?}); give it once");
            }
        }
    }
    Ok(opts)
}

pub async fn run(a: CloneArgs) -> Result<Outcome> {
    let opts = options(&a)?;
    if a.follow {
        return run_clone_follow(&opts, &a.slot, a.json.json).await;
    }
    // A copy is complete, and can be verified, once its last section is in.
    let whole = matches!(opts.section, CloneSection::All | CloneSection::PostData);
    let report = run_clone(&opts, a.dry_run, a.json.json, !a.no_verify && whole).await?;
    Ok(report)
}

/// Runs a clone with terminal output; shared with `demo`.
pub async fn run_clone(
    opts: &CloneOptions,
    dry_run: bool,
    json: bool,
    verify_after: bool,
) -> Result<Outcome> {
    // A plain rerun after a stopped clone starts fresh: what that run kept
    // (its build schemas, and a schema built in place with the target's own
    // moved aside) is removed before the plan checks the target's schemas.
    // A failure here is reported by the clone's own pass, as a warning.
    let mut removed_first = vec![];
    if !dry_run
        && !opts.resume
        && !opts.worker
        && !opts.data_only
        && let Ok(c) = pggraft::cleanup::remove_stale(&opts.target, false).await
    {
        removed_first = c.removed.into_iter().map(|s| s.schema).collect();
    }
    let plan = clone::prepare(opts).await?;
    if dry_run {
        let mut text = String::new();
        text.push_str(&format!(
            "-- pggraft clone plan: {} -> {}\n-- strategy: {:?}\n",
            opts.source,
            opts.target,
            plan.strategy()
        ));
        for s in &plan.schemas() {
            text.push_str(&format!(
                "-- schema {:?} -> {:?} (built as {:?})\n",
                s.source, s.target, s.build
            ));
        }
        for w in &plan.warnings {
            text.push_str(&format!("-- warning: {w}\n"));
        }
        text.push_str(&plan.script());
        text.push_str("\n-- data\n");
        for t in &plan.job.tables {
            text.push_str(&format!(
                "-- copy {} -> {} ({} of heap, {} part{})\n",
                t.label,
                t.target,
                HumanBytes(t.bytes),
                t.chunks.len(),
                if t.chunks.len() == 1 { "" } else { "s" }
            ));
        }
        let finish = plan.finish.script();
        if !finish.is_empty() {
            text.push_str("\n-- finish: once the data is in\n");
            text.push_str(&finish);
        }
        output::write_out(None, &text)?;
        return Ok(Outcome::Ok);
    }
    let progress = TermProgress::new(!json);
    let cancel: Cancel = Box::pin(stop_requested());
    let started = Instant::now();
    let report = clone::run(opts, plan, &progress, Some(cancel)).await;
    progress.finish();
    let mut report = report?;
    removed_first.append(&mut report.removed);
    report.removed = removed_first;
    let elapsed = started.elapsed().as_secs_f64();
    let verified = if verify_after {
        let v = VerifyOptions::after_clone(opts, &report);
        if !json {
            eprintln!("verifying the copy ({})", v.level.as_str());
        }
        // Ctrl-C (or SIGTERM) stops the verification at once; the copy is
        // complete by now and stays.
        let checked = tokio::select! {
            r = verify::verify(&v) => r,
            () = stop_requested() => Err(pggraft::Error::Interrupted(format!(
                "the verification was stopped; the copy is complete and stays in place ({}); \
                 verify it later with `pggraft verify`",
                report.schemas.values().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ")
            ))),
        };
        Some(checked.context("verifying the copy")?)
    } else {
        None
    };
    if json {
        let doc = serde_json::json!({ "clone": report, "verify": verified, "seconds": elapsed });
        output::print_json("clone", &doc)?;
    } else {
        print_report(&report, verified.as_ref(), elapsed);
    }
    Ok(match verified {
        Some(v) if !v.is_clean() => Outcome::Differences,
        _ => Outcome::Ok,
    })
}

/// `clone --follow`: the clone in the slot's snapshot, then the follower in
/// the foreground until cut over. The copy is not verified at once: the
/// source moves on while it is followed; verify after the cutover.
async fn run_clone_follow(opts: &CloneOptions, slot: &str, json: bool) -> Result<Outcome> {
    let progress = TermProgress::new(!json);
    let cancel: Cancel = Box::pin(stop_requested());
    let started = pggraft::follow::start(opts, slot, &progress, Some(cancel)).await;
    progress.finish();
    let started = started?;
    if !json {
        print_report(&started.clone, None, started.clone.phases.iter().map(|p| p.1).sum());
        eprintln!(
            "following from {} (slot and publication {:?} on the source; values as {}); \
             `pggraft follow cutover --target …` stops it",
            started.consistent_lsn,
            started.slot,
            if started.binary { "binary" } else { "text" }
        );
    }
    let mut fopts = pggraft::follow::FollowOptions::new(opts.source.clone(), opts.target.clone());
    fopts.slot = Some(started.slot.clone());
    let report = super::follow::run_follower(&fopts, json).await?;
    if json {
        let doc = serde_json::json!({ "clone": started, "follow": report });
        output::print_json("clone", &doc)?;
    } else {
        super::follow::print_report(&report, false)?;
    }
    Ok(Outcome::Ok)
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM (what `timeout`, systemd and
/// Kubernetes send): both stop a run the same way.
pub async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn print_report(r: &CloneReport, v: Option<&VerifyReport>, elapsed: f64) {
    for s in &r.removed {
        eprintln!("removed {s}: a temporary schema left by an interrupted pggraft run");
    }
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    let mut t = output::Summary::new("clone");
    for (s, d) in &r.schemas {
        t.row("schema", format!("{s} → {d}"));
    }
    if let Some(x) = &r.resumed {
        let from = |s: &Option<String>| s.clone().unwrap_or_else(|| "(unnamed)".into());
        let mut kept: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for k in &x.kept {
            kept.entry(from(&k.snapshot)).or_default().push(k.table.to_string());
        }
        for (snap, tables) in kept {
            t.row(
                "resumed: kept",
                format!("{} (from snapshot {snap}, unchanged in the new one)", tables.join(", ")),
            );
        }
        let names = |v: &[QualifiedName]| v.iter().map(|q| q.to_string()).collect::<Vec<_>>();
        let mut fresh = names(&x.copied);
        fresh.extend(names(&x.changed).into_iter().map(|n| format!("{n} (changed since)")));
        t.row(
            "resumed: copied",
            format!(
                "{} (from the new snapshot {})",
                if fresh.is_empty() { "no table".to_string() } else { fresh.join(", ") },
                from(&x.snapshot)
            ),
        );
    }
    if let Some(s) = &r.section {
        t.row("section", s.clone());
    }
    if let Some(w) = &r.workers {
        let each: Vec<String> = w
            .workers
            .iter()
            .map(|x| {
                let me = if x.worker == w.worker { " (this one)" } else { "" };
                format!(
                    "{}{me}: {} data, {} statements, {} rows",
                    x.worker, x.data, x.statements, x.rows
                )
            })
            .collect();
        t.row("workers", each.join(", "));
        let once = if w.done == w.tasks { ", each done once" } else { "" };
        let swap = if w.finished_here { "this worker" } else { "another worker" };
        t.row("tasks", format!("{} of {}{once}; swapped into place by {swap}", w.done, w.tasks));
    }
    let roles = &r.roles;
    if !roles.created.is_empty() {
        let pw = match roles.passwords.as_str() {
            "copied" => "passwords copied".to_string(),
            "not-readable" => "without passwords: the source cannot read pg_authid".to_string(),
            _ => "without passwords (--no-role-passwords)".to_string(),
        };
        t.row("roles created", format!("{} ({pw})", roles.created.join(", ")));
    }
    if !roles.existing.is_empty() {
        t.row(
            "roles kept",
            format!("{} (already on the target, left as they are)", roles.existing.join(", ")),
        );
    }
    let objects: Vec<String> = r.objects.iter().map(|(k, n)| format!("{n} {k}")).collect();
    t.row("objects", objects.join(", "));
    let rows = r.total_rows();
    t.row(
        "data",
        format!(
            "{} tables, {rows} rows, {} of heap ({} strategy), {} sequences",
            r.tables.len(),
            HumanBytes(r.total_bytes()),
            r.strategy,
            r.sequences
        ),
    );
    if r.unlogged {
        t.row("tables", "UNLOGGED (--unlogged): a crash of the target's server empties them");
    }
    if !r.wal_skipped.is_empty() {
        t.row(
            "WAL",
            format!(
                "{} of {} tables loaded without WAL (the target runs wal_level = minimal)",
                r.wal_skipped.len(),
                r.tables.len()
            ),
        );
    }
    for (phase, secs) in &r.phases {
        t.row(format!("{phase} time"), format!("{secs:.2}s"));
    }
    t.row("total", format!("{elapsed:.2}s, {:.0} rows/s", rows as f64 / elapsed.max(0.001)));
    if let Some(v) = v {
        let verdict = if v.is_clean() {
            format!("identical ({})", v.level.as_str())
        } else {
            let tables = v.differing_tables().count();
            format!("DIFFERENT: {} object(s), {tables} table(s) differ", v.schema.len())
        };
        t.row("verify", verdict);
    }
    print!("{}", t.render());
    if let Some(v) = v {
        for d in &v.schema {
            println!("  {} {}: {}", d.kind.as_str(), d.what, d.object);
        }
        for d in v.differing_tables() {
            println!("  table {} → {}: {}", d.source, d.target, d.status.as_str());
        }
        for w in &v.warnings {
            eprintln!("warning: verify: {w}");
        }
    }
}

/// Progress bars on a terminal, plain lines otherwise. Sizes are heap bytes
/// (the source tables' `pg_relation_size`), the engine's one measure: the
/// overall bar follows `data_progress`, which moves while a table streams.
pub(crate) struct TermProgress {
    enabled: bool,
    bars: Option<(MultiProgress, ProgressBar)>,
    tables: Mutex<HashMap<QualifiedName, ProgressBar>>,
}

/// How often bars redraw on their own (the clock and the spinners move
/// while a long statement runs).
const TICK: Duration = Duration::from_millis(200);

impl TermProgress {
    pub(crate) fn new(enabled: bool) -> TermProgress {
        let bars = (enabled && output::stderr_is_terminal()).then(|| {
            let mp = MultiProgress::new();
            let overall = mp.add(ProgressBar::new(0));
            overall.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30}] {bytes}/{total_bytes} heap, {bytes_per_sec}, ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            overall.enable_steady_tick(TICK);
            (mp, overall)
        });
        TermProgress { enabled, bars, tables: Mutex::new(HashMap::new()) }
    }

    pub(crate) fn finish(&self) {
        if let Some((_, overall)) = &self.bars {
            overall.finish_and_clear();
        }
    }

    fn line(&self, text: String) {
        if !self.enabled {
            return;
        }
        match &self.bars {
            Some((mp, _)) => {
                let _ = mp.println(text);
            }
            None => eprintln!("{text}"),
        }
    }
}

impl ProgressSink for TermProgress {
    fn phase(&self, name: &str) {
        self.line(format!("== {name}"));
    }

    fn data_started(&self, total: u64, tables: usize) {
        if let Some((_, overall)) = &self.bars {
            overall.set_length(total);
            overall.set_position(0);
            overall.reset_eta();
            overall.set_message(format!("{tables} tables"));
        }
        self.line(format!("copying {tables} tables ({} of heap)", HumanBytes(total)));
    }

    fn table_started(&self, table: &QualifiedName, bytes: u64) {
        if let Some((mp, _)) = &self.bars {
            let bar = mp.add(ProgressBar::new(bytes));
            bar.set_style(
                ProgressStyle::with_template("  {spinner} {msg} {bytes}/{total_bytes} heap")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(table.to_string());
            bar.enable_steady_tick(TICK);
            if let Ok(mut m) = self.tables.lock() {
                m.insert(table.clone(), bar);
            }
        }
    }

    fn table_bytes(&self, table: &QualifiedName, delta: u64) {
        // The engine's estimate: COPY bytes streamed stand for heap bytes done.
        if let Ok(m) = self.tables.lock()
            && let Some(b) = m.get(table)
        {
            let len = b.length().unwrap_or(u64::MAX);
            b.set_position((b.position() + delta).min(len));
        }
    }

    fn data_progress(&self, done: u64, total: u64) {
        if let Some((_, overall)) = &self.bars {
            overall.set_position(done);
            if done >= total {
                overall.set_message("rows in; building indexes and constraints");
            }
        }
    }

    fn table_done(&self, table: &QualifiedName, rows: u64, bytes: u64) {
        if let Ok(mut m) = self.tables.lock()
            && let Some(b) = m.remove(table)
        {
            b.finish_and_clear();
        }
        self.line(format!("  copied {table}: {rows} rows, {} of heap", HumanBytes(bytes)));
    }

    fn table_compared(&self, table: &QualifiedName, differing: u64) {
        self.line(format!("  compared {table}: {differing} rows differ"));
    }
}
