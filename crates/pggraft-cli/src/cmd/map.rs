//! `pggraft map check|run|verify`: a mapping file read and handed to the
//! library with the connections, the report as text or JSON. A mapping with
//! problems exits 2 with each one as `file:line: message`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use pggraft::engine::Cancel;
use pggraft::map::{
    self, CheckReport, MapError, MapOptions, MapReport, Mapping, SchemaFile, StrategyChoice,
};

use super::clone::{TermProgress, stop_requested};
use crate::flags::{ConnArgs, JsonArg, TargetArg};
use crate::{Outcome, output};

#[derive(Args)]
pub struct MapArgs {
    #[command(subcommand)]
    pub command: MapCommand,
}

impl MapArgs {
    /// `map run --follow`: a follower, which applies beside its stream.
    pub fn follows(&self) -> bool {
        matches!(&self.command, MapCommand::Run(r) if r.follow)
    }
}

#[derive(Subcommand)]
pub enum MapCommand {
    /// Check a mapping against both databases; write nothing.
    Check(CommonArgs),
    /// Per table: source rows and bytes, and each strategy's rate measured on a sample.
    Analyze(AnalyzeArgs),
    /// Move the rows as the mapping says, from one source snapshot, all or nothing.
    Run(RunArgs),
    /// Compare the target's rows with what the mapping makes of the source's.
    Verify(CommonArgs),
    /// Drop the foreign server, user mapping and staging schemas the fdw strategy created.
    Cleanup(CleanupArgs),
}

#[derive(Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StrategyArg {
    /// COPY (SELECT …) TO STDOUT streamed into COPY … FROM STDIN.
    Copy,
    /// INSERT … SELECT inside one database (source and target the same).
    Server,
    /// INSERT … SELECT on the target from foreign tables (postgres_fdw, set up by pggraft).
    Fdw,
}

#[derive(Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub conns: ConnArgs,
    /// The mapping file (TOML): [tables.TARGET] with from/query, where, key, strategy, columns.
    #[arg(long, short = 'm', value_name = "FILE")]
    pub mapping: PathBuf,
    /// Strategy for every table, overriding the file's.
    #[arg(long, value_enum)]
    pub strategy: Option<StrategyArg>,
    /// SQL applied to the target first, in one transaction (check: rolled back afterwards).
    #[arg(long, value_name = "FILE")]
    pub schema_file: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Rows per sample (each strategy loads the sample twice, into a temporary table).
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    pub sample_rows: u64,
}

#[derive(Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print the SQL each table would run, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Load keyed tables in batches of about N rows, each committed and recorded, so an
    /// interrupted run resumes (instead of one all-or-nothing transaction).
    #[arg(long, value_name = "N", conflicts_with = "follow")]
    pub batch_rows: Option<u64>,
    /// Then follow the source's changes through the mapping (logical replication from the run's own snapshot) until `pggraft follow cutover`.
    #[arg(long)]
    pub follow: bool,
    /// With --follow: the replication slot and publication created on the source.
    #[arg(long, value_name = "NAME", default_value = pggraft::follow::DEFAULT_SLOT, requires = "follow")]
    pub slot: String,
}

fn options(a: &CommonArgs) -> Result<MapOptions> {
    let (source, target) = a.conns.to_specs()?;
    let name = a.mapping.display().to_string();
    let text = std::fs::read_to_string(&a.mapping).with_context(|| format!("--mapping {name}"))?;
    let mapping = Mapping::parse(&name, &text)
        .map_err(|problems| pggraft::Error::from(MapError::Invalid { problems }))?;
    let mut opts = MapOptions::new(source, target, mapping);
    opts.strategy = a.strategy.map(|s| match s {
        StrategyArg::Copy => StrategyChoice::Copy,
        StrategyArg::Server => StrategyChoice::Server,
        StrategyArg::Fdw => StrategyChoice::Fdw,
    });
    if let Some(path) = &a.schema_file {
        let name = path.display().to_string();
        let sql = std::fs::read_to_string(path).with_context(|| format!("--schema-file {name}"))?;
        opts.schema_file = Some(SchemaFile { name, sql });
    }
    Ok(opts)
}

pub async fn run(a: MapArgs) -> Result<Outcome> {
    match a.command {
        MapCommand::Check(c) => check(c, false).await,
        MapCommand::Analyze(a) => analyze(a).await,
        MapCommand::Run(r) if r.dry_run => check(r.common, true).await,
        MapCommand::Run(r) if r.follow => load_follow(r.common, &r.slot).await,
        MapCommand::Run(r) => load(r.common, r.batch_rows).await,
        MapCommand::Verify(c) => verify(c).await,
        MapCommand::Cleanup(c) => cleanup(c).await,
    }
}

async fn analyze(a: AnalyzeArgs) -> Result<Outcome> {
    let opts = options(&a.common)?;
    let report = map::analyze::analyze(&opts, a.sample_rows.max(1)).await?;
    if !report.problems.is_empty() {
        return Err(pggraft::Error::from(MapError::Invalid { problems: report.problems }).into());
    }
    if a.common.json.json {
        output::print_json("map-analyze", &report)?;
        return Ok(Outcome::Ok);
    }
    let mut t = output::table(vec![
        "target",
        "source",
        "rows",
        "bytes",
        "strategy",
        "sampled rows/s",
        "estimate",
        "",
    ]);
    for x in &report.tables {
        for s in &x.samples {
            t.add_row(vec![
                x.target.to_string(),
                x.source.to_string(),
                x.rows.to_string(),
                x.bytes.to_string(),
                s.strategy.to_string(),
                format!("{:.0}", s.rows_per_second),
                format!("{:.1}s", s.estimated_seconds),
                if s.strategy == x.chosen { "chosen".into() } else { String::new() },
            ]);
        }
    }
    println!("{t}");
    Ok(Outcome::Ok)
}

async fn cleanup(a: CleanupArgs) -> Result<Outcome> {
    let done = map::fdw::cleanup(&a.target.to_spec()?).await?;
    if a.json.json {
        output::print_json("map-cleanup", &done)?;
    } else if !done.server && done.schemas.is_empty() && !done.batch_state {
        println!("nothing to drop: pggraft map created no fdw objects here");
    } else {
        if done.server {
            println!(
                "dropped foreign server {} (its user mapping and foreign tables)",
                map::fdw::SERVER
            );
        }
        for s in &done.schemas {
            println!("dropped staging schema {s}");
        }
        if done.extension {
            println!("dropped extension postgres_fdw (pggraft created it)");
        }
    }
    if done.batch_state && !a.json.json {
        println!("dropped pggraft.map_batches (batch records of --batch-rows runs)");
    }
    Ok(Outcome::Ok)
}

/// `check`, and `run --dry-run` (the same, printing the SQL).
async fn check(a: CommonArgs, script: bool) -> Result<Outcome> {
    let opts = options(&a)?;
    let report = map::check(&opts).await?;
    if a.json.json {
        output::print_json("map-check", &report)?;
    } else if !report.problems.is_empty() {
        // The problems are the error (one `file:line: …` each).
    } else if script {
        output::write_out(None, &report.script)?;
    } else {
        output::write_out(None, &check_text(&opts, &report))?;
    }
    if !report.problems.is_empty() {
        return Err(pggraft::Error::from(MapError::Invalid { problems: report.problems }).into());
    }
    Ok(Outcome::Ok)
}

fn check_text(opts: &MapOptions, r: &CheckReport) -> String {
    let mut out = format!(
        "{}: {} table(s), {} -> {}\n",
        r.file,
        r.tables.len(),
        opts.source.redacted(),
        opts.target.redacted()
    );
    for t in &r.tables {
        out.push_str(&format!("  {} <- {} ({})\n", t.target, t.source, t.strategy));
        for (col, expr) in &t.columns {
            out.push_str(&format!("      {col} = {expr}\n"));
        }
        if let Some(f) = &t.filter {
            out.push_str(&format!("      where {f}\n"));
        }
    }
    for u in &r.unmapped {
        out.push_str(&format!(
            "unmapped source columns of {}: {}\n",
            u.table,
            u.columns.join(", ")
        ));
    }
    for (t, c) in &r.defaults {
        out.push_str(&format!("left to its default: {t}.{c}\n"));
    }
    if r.problems.is_empty() {
        out.push_str("ok: nothing was written\n");
    }
    out
}

async fn load(a: CommonArgs, batch_rows: Option<u64>) -> Result<Outcome> {
    let mut opts = options(&a)?;
    opts.batch_rows = batch_rows;
    let started = Instant::now();
    let progress = TermProgress::new(!a.json.json);
    let cancel: Cancel = Box::pin(stop_requested());
    let report = map::run(&opts, &progress, Some(cancel)).await;
    progress.finish();
    let report = report?;
    if a.json.json {
        output::print_json("map-run", &report)?;
    } else {
        print_run(&report, started.elapsed().as_secs_f64());
    }
    Ok(Outcome::Ok)
}

/// `map run --follow`: the mapping in the slot's snapshot, then the
/// follower in the foreground until cut over.
async fn load_follow(a: CommonArgs, slot: &str) -> Result<Outcome> {
    let opts = options(&a)?;
    let started = Instant::now();
    let progress = TermProgress::new(!a.json.json);
    let cancel: Cancel = Box::pin(stop_requested());
    let run = pggraft::follow::start_map(&opts, slot, &progress, Some(cancel)).await;
    progress.finish();
    let run = run?;
    if !a.json.json {
        print_run(&run.map, started.elapsed().as_secs_f64());
        eprintln!(
            "following from {} through the mapping (slot and publication {:?} on the source); \
             `pggraft follow cutover --target …` stops it",
            run.consistent_lsn, run.slot
        );
    }
    let mut fopts = pggraft::follow::FollowOptions::new(opts.source.clone(), opts.target.clone());
    fopts.slot = Some(run.slot.clone());
    let report = super::follow::run_follower(&fopts, a.json.json).await?;
    if a.json.json {
        let doc = serde_json::json!({ "map": run, "follow": report });
        output::print_json("map-run", &doc)?;
    } else {
        super::follow::print_report(&report, false)?;
    }
    Ok(Outcome::Ok)
}

fn print_run(r: &MapReport, seconds: f64) {
    let mut t = output::table(vec!["target", "source", "strategy", "rows"]);
    for x in &r.tables {
        t.add_row(vec![
            x.target.to_string(),
            x.source.to_string(),
            x.strategy.to_string(),
            x.rows.to_string(),
        ]);
    }
    println!("{t}");
    let rate = if seconds > 0.0 { r.rows() as f64 / seconds } else { 0.0 };
    println!(
        "{} rows in {seconds:.1}s ({rate:.0} rows/s), one transaction holding its locks {:.1}s",
        r.rows(),
        r.held_seconds
    );
    if let Some(b) = &r.batches {
        println!(
            "{} batch(es){}",
            b.batches,
            if b.resumed {
                format!(", resumed: {} loaded by the interrupted run", b.done_before)
            } else {
                String::new()
            }
        );
    }
    for u in &r.unmapped {
        println!("unmapped source columns of {}: {}", u.table, u.columns.join(", "));
    }
}

async fn verify(a: CommonArgs) -> Result<Outcome> {
    let opts = options(&a)?;
    let report = map::verify::verify(&opts).await?;
    if a.json.json {
        output::print_json("map-verify", &report)?;
    } else {
        for t in &report.tables {
            let state = if t.matches { "ok" } else { "DIFFERS" };
            println!(
                "{state:8} {} <- {}: {} rows mapped, {} in the target",
                t.target, t.source, t.source_rows, t.target_rows
            );
            for (what, keys) in
                [("changed", &t.changed), ("missing", &t.missing), ("extra", &t.extra)]
            {
                if !keys.is_empty() {
                    println!("         {what} keys: {}", keys.join(" "));
                }
            }
            if !t.matches && t.keyless {
                println!("         (no key: the differing rows cannot be named)");
            }
        }
    }
    Ok(if report.matches() { Outcome::Ok } else { Outcome::Differences })
}
