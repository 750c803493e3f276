//! `pggraft refresh`: arguments (`RefreshArgs`) validated into the library's
//! `RefreshOptions`, the plan (`--dry-run`), progress on the terminal,
//! Ctrl-C, and the report as a table or JSON.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use comfy_table::{Cell, Table, presets::UTF8_FULL_CONDENSED};
use pggraft::engine::Cancel;
use pggraft::refresh::{
    self, Action, KeyArg, Mode, Planned, PreparedRefresh, RefreshOptions, RefreshReport,
};
use pggraft::rename::SchemaArg;

use super::clone::TermProgress;
use crate::flags::{FilterArgs, IdentifierCase, NamingArgs, SourceOpt, TargetArg, reword};
use crate::{Outcome, output};

#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// Replace every table's rows from one source snapshot.
    Reload,
    /// Copy only what changed in tables with a key: rows written since the copy (by xmin), else by row hashes.
    Incremental,
}

#[derive(Args)]
#[command(
    mut_arg("target", reword("Connection to the database holding the copy")),
    mut_arg(
        "source",
        reword("Source connection (default: the one recorded for the copy, without its password)")
    ),
    mut_arg(
        "schemas",
        reword(
            "Copy to refresh, by its schema name, or SRC=DST for a copy pggraft has no record \
             of; repeatable (default: every recorded copy)"
        )
    ),
    mut_arg(
        "schema_template",
        reword("Copy names from a template, for copies not recorded, e.g. 'dw__{database}__{schema}'")
    ),
    mut_arg(
        "identifier_case",
        IdentifierCase::of_the_copy("Identifier case of a copy not recorded, as given to clone")
    ),
    mut_arg(
        "exclude_table_data",
        reword("Leave these tables' rows as they are (tables cloned without rows); repeatable")
    ),
    mut_arg("exclude_schemas", |a| a.display_order(2))
)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub source: SourceOpt,
    #[command(flatten)]
    pub naming: NamingArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// How rows are brought up to date (default: reload; incremental with --watermark).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// The key of a table without a primary key (a unique NOT NULL key), e.g. shop.events=id; repeatable.
    #[arg(long = "key", value_name = "TABLE=COL[,COL]")]
    pub keys: Vec<String>,
    /// Incremental: keep rows that are gone from the source.
    #[arg(long, conflicts_with = "watermark")]
    pub no_delete: bool,
    /// Copy only rows whose COLUMN is past the last refresh's high-water mark (e.g. updated_at).
    #[arg(long, value_name = "COLUMN")]
    pub watermark: Option<String>,
    /// With --watermark: find rows deleted at the source by comparing keys, and delete them.
    #[arg(long, requires = "watermark")]
    pub delete_missing: bool,
    /// Incremental: hash and compare every row, even where the source's transaction IDs tell
    /// what changed since the last refresh (also repairs rows changed in the copy).
    #[arg(long, conflicts_with = "watermark")]
    pub full_compare: bool,
    /// How long one attempt waits for a group's locks (e.g. 500ms, 5s, 1min).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub lock_timeout: Duration,
    /// Attempts after the first when the locks are not granted in time.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub lock_retries: u32,
    /// Groups of tables loaded, and tables compared, in parallel.
    #[arg(short = 'j', long, default_value_t = 4)]
    pub jobs: usize,
    /// Print per table what would happen, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `250ms`, `5s`, `2min`, `1h`; a bare number is milliseconds, as for
/// PostgreSQL's `lock_timeout`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("{text:?} is not a duration like 500ms or 5s"))?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n * 1000,
        "min" | "m" => n * 60_000,
        "h" => n * 3_600_000,
        u => return Err(format!("{text:?}: unknown unit {u:?} (use ms, s, min or h)")),
    };
    if ms == 0 {
        return Err("the lock timeout must be more than 0".into());
    }
    Ok(Duration::from_millis(ms))
}

/// `RefreshArgs` (what the user typed) → `RefreshOptions` (validated).
fn options(a: &RefreshArgs) -> Result<RefreshOptions> {
    let mut opts = RefreshOptions::new(a.target.to_spec()?);
    opts.source = a.source.to_spec()?;
    opts.naming = a.naming.to_naming()?;
    let filters = a.filters.to_filters()?;
    let listed = filters.include_schemas.into_iter().map(|p| SchemaArg { source: p, target: None });
    opts.naming.schemas.extend(listed);
    opts.exclude_schemas = filters.exclude_schemas;
    opts.tables.include = filters.include_tables;
    opts.tables.exclude = filters.exclude_tables;
    opts.exclude_table_data = filters.exclude_table_data;
    opts.mode = match (a.mode, &a.watermark) {
        (Some(ModeArg::Reload), Some(_)) => {
            bail!(
                "--watermark copies only rows past a high-water mark; it cannot be used with --mode reload"
            )
        }
        (Some(ModeArg::Reload), None) | (None, None) => Mode::Reload,
        (Some(ModeArg::Incremental), _) | (None, Some(_)) => Mode::Incremental,
    };
    if a.no_delete && opts.mode == Mode::Reload {
        bail!("--no-delete applies to --mode incremental (a reload replaces every row)");
    }
    opts.keys = a.keys.iter().map(|k| KeyArg::parse(k)).collect::<pggraft::Result<_>>()?;
    opts.delete = !a.no_delete;
    opts.watermark = a.watermark.clone();
    opts.delete_missing = a.delete_missing;
    opts.full_compare = a.full_compare;
    opts.lock_timeout = a.lock_timeout;
    opts.lock_retries = a.lock_retries;
    if a.jobs == 0 {
        bail!("--jobs must be at least 1");
    }
    opts.jobs = a.jobs;
    Ok(opts)
}

pub async fn run(a: RefreshArgs) -> Result<Outcome> {
    let opts = options(&a)?;
    let started = Instant::now();
    let sets = refresh::resolve(&opts).await?;
    let mut reports = vec![];
    for set in sets {
        let prepared = refresh::prepare(&opts, set).await?;
        if a.dry_run {
            output::write_out(None, &plan_text(&opts, &prepared))?;
            continue;
        }
        let progress = TermProgress::new(!a.json);
        let cancel: Cancel = Box::pin(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        let report = refresh::run(&opts, prepared, &progress, Some(cancel)).await;
        progress.finish();
        reports.push(report?);
    }
    if a.dry_run {
        return Ok(Outcome::Ok);
    }
    let elapsed = started.elapsed().as_secs_f64();
    if a.json {
        let doc = serde_json::json!({ "refresh": reports, "seconds": elapsed });
        output::write_out(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        for r in &reports {
            print_report(r, elapsed);
        }
    }
    Ok(Outcome::Ok)
}

/// `--dry-run`: per group and table, what would happen.
fn plan_text(opts: &RefreshOptions, p: &PreparedRefresh) -> String {
    let mut text = format!(
        "-- pggraft refresh plan: {} -> {}\n-- mode: {}{}; strategy: {}; source snapshot of {}\n",
        p.set.source.redacted(),
        opts.target.redacted(),
        match opts.mode {
            Mode::Reload => "reload",
            Mode::Incremental => "incremental",
        },
        opts.watermark.as_ref().map(|w| format!(" (watermark {w})")).unwrap_or_default(),
        if p.insert_select { "insert-select" } else { "copy" },
        p.snapshot_at()
    );
    for (s, t) in &p.set.schemas {
        let how = match p.set.recorded.get(t) {
            Some(r) => format!(
                "recorded by {}, data as of {}{}",
                r.made_by,
                r.snapshot_at,
                r.refreshed_at.as_ref().map(|x| format!(", refreshed {x}")).unwrap_or_default()
            ),
            None => "not recorded; described by the flags".into(),
        };
        text.push_str(&format!("-- copy {s:?} -> {t:?} ({how})\n"));
    }
    for w in &p.warnings {
        text.push_str(&format!("-- warning: {w}\n"));
    }
    for (i, g) in p.groups.iter().enumerate() {
        let names: Vec<String> = g.tables.iter().map(|&t| p.plans[t].target.to_string()).collect();
        text.push_str(&format!("group {} (one transaction): {}\n", i + 1, names.join(", ")));
        for &t in &g.tables {
            let plan = &p.plans[t];
            let (what, how) = match &plan.planned {
                Planned::Reload => ("reload", String::new()),
                Planned::Compare { key, ranges } if *ranges == 1 => (
                    "compare",
                    format!(": every row's hash, by ({}), in one stream", key.join(", ")),
                ),
                Planned::Compare { key, ranges } => (
                    "compare",
                    format!(
                        ": {ranges} key ranges by ({}) hashed, the differing ones cut further \
                         or streamed",
                        key.join(", ")
                    ),
                ),
                Planned::Watermark { column, key } => (
                    "watermark",
                    format!(": rows past the high-water mark of {column}, by ({})", key.join(", ")),
                ),
                Planned::Changed { key } => (
                    "changed",
                    format!(
                        ": rows written since the copy's snapshot (by xmin), by ({}); deleted \
                         keys found by counting",
                        key.join(", ")
                    ),
                ),
            };
            let why = plan.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
            text.push_str(&format!(
                "  {what:<10} {} -> {}{how}, ~{} rows{why}\n",
                plan.source, plan.target, plan.est_rows as u64
            ));
        }
    }
    for s in &p.sequences {
        text.push_str(&format!("sequence   {} -> {}\n", s.source, s.build));
    }
    for m in &p.matviews {
        text.push_str(&format!("refresh    materialized view {m}\n"));
    }
    text
}

fn print_report(r: &RefreshReport, elapsed: f64) {
    for w in &r.warnings {
        eprintln!("warning: {w}");
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec!["refresh", ""]);
    for (s, d) in &r.schemas {
        t.add_row(vec![Cell::new("copy"), Cell::new(format!("{s} → {d}"))]);
    }
    let mode = match r.mode {
        Mode::Reload => "reload".to_string(),
        Mode::Incremental => match &r.watermark {
            Some(w) => format!("incremental, watermark {w}"),
            None => "incremental".into(),
        },
    };
    t.add_row(vec![
        Cell::new("mode"),
        Cell::new(format!("{mode} ({} strategy); data as of {}", r.strategy, r.snapshot_at)),
    ]);
    let count = |a: Action| r.tables.iter().filter(|t| t.action == a).count();
    t.add_row(vec![
        Cell::new("tables"),
        Cell::new(format!(
            "{} reloaded, {} incremental, {} by watermark, {} unchanged",
            count(Action::Reload),
            count(Action::Incremental),
            count(Action::Watermark),
            count(Action::Unchanged)
        )),
    ]);
    let sum = |f: fn(&refresh::TableOutcome) -> u64| r.tables.iter().map(f).sum::<u64>();
    t.add_row(vec![
        Cell::new("rows"),
        Cell::new(format!(
            "{} copied, {} upserted, {} deleted",
            sum(|t| t.rows_copied),
            sum(|t| t.upserted),
            sum(|t| t.deleted)
        )),
    ]);
    let waits: f64 = r.groups.iter().map(|g| g.lock_wait_seconds).sum();
    let retried = r.groups.iter().filter(|g| g.attempts > 1).count();
    t.add_row(vec![
        Cell::new("readers"),
        Cell::new(format!(
            "blocked at most {:.2}s ({} group transactions); waited {waits:.2}s for locks{}",
            r.readers_blocked_seconds(),
            r.groups.len(),
            if retried > 0 { format!(", {retried} group(s) retried") } else { String::new() }
        )),
    ]);
    t.add_row(vec![
        Cell::new("also"),
        Cell::new(format!(
            "{} sequences set, {} materialized views refreshed{}",
            r.sequences,
            r.matviews.len(),
            if r.recorded { ", recorded in pggraft.copies" } else { "" }
        )),
    ]);
    for (phase, secs) in &r.phases {
        t.add_row(vec![Cell::new(format!("{phase} time")), Cell::new(format!("{secs:.2}s"))]);
    }
    t.add_row(vec![
        Cell::new("total"),
        Cell::new(format!(
            "{elapsed:.2}s, {:.0} rows/s copied",
            r.rows_copied() as f64 / elapsed.max(0.001)
        )),
    ]);
    println!("{t}");
    for o in &r.tables {
        let what = match o.action {
            Action::Reload => format!("reloaded, {} rows", o.rows_copied),
            Action::Unchanged if o.watermark_to.is_some() => "unchanged (nothing past the \
                                                               high-water mark)"
                .to_string(),
            Action::Unchanged if o.by_horizon => {
                "unchanged (nothing written since the copy's snapshot)".to_string()
            }
            Action::Unchanged if o.ranges <= 1 => "unchanged (compared in one stream)".to_string(),
            Action::Unchanged => format!("unchanged ({} key ranges compared)", o.ranges),
            Action::Incremental => format!(
                "{}: {} upserted, {} deleted{}",
                if o.by_horizon {
                    format!(
                        "written since the copy's snapshot; {} of {} key buckets counted differ",
                        o.ranges_differing, o.ranges
                    )
                } else if o.ranges <= 1 {
                    "compared in one stream".to_string()
                } else {
                    format!("{} of {} key ranges differ", o.ranges_differing, o.ranges)
                },
                o.upserted,
                o.deleted,
                o.kept.filter(|k| *k > 0).map(|k| format!(", {k} kept")).unwrap_or_default()
            ),
            Action::Watermark => format!(
                "past {}: {} upserted, {} deleted{}",
                o.watermark_from.as_deref().unwrap_or("(no mark: every row)"),
                o.upserted,
                o.deleted,
                if o.kept.is_none() { ", deletes at the source not looked for" } else { "" }
            ),
        };
        let why = o.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
        println!("  {} → {}: {what}{why}", o.source, o.target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_lock_timeout() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
