//! `pggraft follow …` (status, cutover, resume, cleanup) and the follower
//! that `clone --follow` runs in the foreground, with its status line.

use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use pggraft::conn::ConnSpec;
use pggraft::engine::Cancel;
use pggraft::follow::{self, FollowOptions, FollowProgress, FollowReport, Status};

use crate::flags::{JsonArg, SourceOpt, TargetArg, reword};
use crate::{Outcome, output};

#[derive(Args)]
pub struct FollowArgs {
    #[command(subcommand)]
    pub command: FollowCommand,
}

#[derive(Subcommand)]
pub enum FollowCommand {
    /// Where each follow recorded on the target stands: positions received and applied, lag.
    Status(StatusArgs),
    /// Stop a running follow at a position: wait until everything before it is applied, set sequences.
    Cutover(CutoverArgs),
    /// Continue a follow from the position the target holds (after a crash or a stop).
    Resume(ResumeArgs),
    /// Drop the follow's slot and publication on the source and its state on the target; nothing else.
    Cleanup(CleanupArgs),
}

/// `--slot`, naming one follow when the target records several.
#[derive(Args)]
pub struct SlotOpt {
    /// The follow's replication slot (and publication) name (default: the only one recorded).
    #[arg(long, value_name = "NAME")]
    pub slot: Option<String>,
}

#[derive(Args)]
#[command(mut_arg("target", reword("The follow's target (where pggraft.follow is)")))]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args)]
#[command(mut_arg("target", reword("The follow's target (where pggraft.follow is)")))]
pub struct CutoverArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub slot: SlotOpt,
    /// Stop at this LSN (e.g. 0/16B6C50), or `current`: the source's position when the follower reads the request.
    #[arg(long, value_name = "LSN|current", default_value = "current")]
    pub endpos: String,
    /// Longest wait for the follower to reach the position (e.g. 10min, 1h).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = super::clone::parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args)]
#[command(mut_arg("target", reword("The follow's target (where pggraft.follow is)")))]
pub struct ResumeArgs {
    #[command(flatten)]
    pub source: SourceOpt,
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub slot: SlotOpt,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args)]
#[command(mut_arg("target", reword("The follow's target (where pggraft.follow is)")))]
pub struct CleanupArgs {
    #[command(flatten)]
    pub source: SourceOpt,
    #[command(flatten)]
    pub target: TargetArg,
    /// The follow's replication slot (and publication) name.
    #[arg(long, value_name = "NAME", default_value = follow::DEFAULT_SLOT)]
    pub slot: String,
}

pub async fn run(a: FollowArgs) -> Result<Outcome> {
    match a.command {
        FollowCommand::Status(a) => status(a).await,
        FollowCommand::Cutover(a) => cutover(a).await,
        FollowCommand::Resume(a) => resume(a).await,
        FollowCommand::Cleanup(a) => cleanup(a).await,
    }
}

async fn status(a: StatusArgs) -> Result<Outcome> {
    let target = a.target.to_spec()?;
    let all = follow::status(&target).await?;
    if a.json.json {
        output::print_json("follow status", &serde_json::json!({ "follows": all }))?;
        return Ok(Outcome::Ok);
    }
    if all.is_empty() {
        println!("no follow is recorded in {}", target.redacted());
    }
    for f in &all {
        let mut t = output::Summary::new("follow");
        t.row("slot", format!("{} (publication {})", f.slot, f.publication));
        t.row("source", &f.source);
        t.row(
            "state",
            match &f.message {
                Some(m) => format!("{}: {m}", f.state),
                None => f.state.clone(),
            },
        );
        t.row(
            "applied",
            format!(
                "{} ({} rows; last source commit {})",
                f.applied_lsn,
                f.applied_rows,
                f.applied_at.as_deref().unwrap_or("none yet")
            ),
        );
        let behind = match (&f.received_lsn, lsn_bytes(&f.applied_lsn)) {
            (Some(r), Some(a)) => lsn_bytes(r).map(|r| r.saturating_sub(a)),
            _ => None,
        };
        t.row(
            "received",
            format!(
                "{}{}",
                f.received_lsn.as_deref().unwrap_or("nothing yet"),
                behind.map(|b| format!(" ({b} bytes not applied)")).unwrap_or_default()
            ),
        );
        if let Some(e) = &f.endpos {
            t.row("cutover at", e);
        }
        t.row("updated", &f.updated_at);
        t.row("values", if f.binary { "binary" } else { "text" });
        t.row("tables", format!("{}, {} sequences", f.tables.len(), f.sequences.len()));
        print!("{}", t.render());
    }
    Ok(Outcome::Ok)
}

fn lsn_bytes(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

async fn cutover(a: CutoverArgs) -> Result<Outcome> {
    let target = a.target.to_spec()?;
    let endpos = (!a.endpos.eq_ignore_ascii_case("current")).then_some(a.endpos.as_str());
    let done = follow::cutover(&target, a.slot.slot.as_deref(), endpos, a.timeout).await?;
    if a.json.json {
        output::print_json("follow cutover", &done)?;
    } else {
        println!(
            "cut over: {} (applied up to {}, {} rows applied by the follow); `pggraft follow \
             cleanup` drops the slot and publication",
            done.message.as_deref().unwrap_or("done"),
            done.applied_lsn,
            done.applied_rows
        );
    }
    Ok(Outcome::Ok)
}

async fn resume(a: ResumeArgs) -> Result<Outcome> {
    let target = a.target.to_spec()?;
    let source = match a.source.to_spec()? {
        Some(s) => s,
        None => {
            let all = follow::status(&target).await?;
            let f = match a.slot.slot.as_deref() {
                Some(s) => all.iter().find(|f| f.slot == s),
                None if all.len() == 1 => all.first(),
                None => None,
            }
            .context("pass --source (and --slot when the target records several follows)")?;
            ConnSpec::parse(&f.source).context("the recorded source")?
        }
    };
    let mut opts = FollowOptions::new(source, target);
    opts.slot = a.slot.slot.clone();
    let report = run_follower(&opts, a.json.json).await?;
    print_report(&report, a.json.json)?;
    Ok(Outcome::Ok)
}

async fn cleanup(a: CleanupArgs) -> Result<Outcome> {
    let target = a.target.to_spec()?;
    let source = a.source.to_spec()?;
    let done = follow::cleanup(source.as_ref(), Some(&target), &a.slot).await?;
    for d in &done.dropped {
        println!("dropped {d} on the source");
    }
    if done.state_rows > 0 {
        println!("removed the follow's state from pggraft.follow on the target");
    }
    if done.dropped.is_empty() && done.state_rows == 0 {
        println!("nothing to remove for slot {}", a.slot);
    }
    Ok(Outcome::Ok)
}

/// A status line on stderr, redrawn in place on a terminal.
struct Line {
    enabled: bool,
    tty: bool,
}

impl FollowProgress for Line {
    fn status(&self, s: &Status) {
        if !self.enabled {
            return;
        }
        let text = format!(
            "following: applied {} / received {}, lag {} bytes {:.1}s, {} rows ({:.0} rows/s){}",
            s.applied_lsn,
            s.received_lsn,
            s.lag_bytes,
            s.lag_seconds,
            s.applied_rows,
            s.rows_per_second,
            s.endpos.as_deref().map(|e| format!(", cutover at {e}")).unwrap_or_default()
        );
        if self.tty {
            eprint!("\r\x1b[2K{text}");
        } else {
            eprintln!("{text}");
        }
    }
}

/// Runs the follower in the foreground until cut over; Ctrl-C stops it
/// (the target keeps what it applied, `follow resume` continues).
pub async fn run_follower(opts: &FollowOptions, json: bool) -> Result<FollowReport> {
    use std::io::IsTerminal;
    let line = Line { enabled: !json, tty: std::io::stderr().is_terminal() };
    let cancel: Cancel = Box::pin(super::clone::stop_requested());
    let r = follow::follow(opts, &line, Some(cancel)).await;
    if line.tty && line.enabled {
        eprintln!();
    }
    Ok(r?)
}

pub fn print_report(r: &FollowReport, json: bool) -> Result<()> {
    if json {
        return output::print_json("follow", r);
    }
    let mut t = output::Summary::new("follow");
    t.row("slot", &r.slot);
    t.row("cut over at", r.endpos.as_deref().unwrap_or("-"));
    t.row(
        "applied",
        format!(
            "up to {}: {} transactions, {} rows in {:.1}s",
            r.applied_lsn, r.transactions, r.applied_rows, r.seconds
        ),
    );
    if let Some(n) = &r.not_applied {
        t.row("not applied", format!("{n} (past the cutover position)"));
    }
    t.row("sequences", format!("{} set from the source", r.sequences));
    print!("{}", t.render());
    Ok(())
}
