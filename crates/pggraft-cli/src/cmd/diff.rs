//! `pggraft diff FROM TO`: the migration from one schema to another, as SQL
//! or JSON; `--check` for CI drift detection; hazardous plans refused
//! (exit 3) unless allowed.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use clap::Args;
use pggraft::diff::HazardKind;
use pggraft::diff::source::{Input, self_check, start_sandbox};
use pggraft::graph::Graph;
use pggraft::migrate::{read_sides, render_script};

use crate::config::resolve_connection;
use crate::flags::{Format, HintArgs, OnlineArg, OutputArgs, SchemaPairArgs};
use crate::{Outcome, output};

#[derive(Args)]
pub struct DiffArgs {
    /// The schema as it is: a connection, a JSON snapshot (inspect --format json), or .sql DDL (file or folder).
    pub from: String,
    /// The schema as it should be, in the same forms.
    pub to: String,
    #[command(flatten)]
    pub schemas: SchemaPairArgs,
    /// Produce the reverse migration (TO back to FROM).
    #[arg(long)]
    pub down: bool,
    #[command(flatten)]
    pub online: OnlineArg,
    #[command(flatten)]
    pub hints: HintArgs,
    /// Print a summary (with --format json, a JSON report); exit 0 when equal, 1 when they differ.
    #[arg(long)]
    pub check: bool,
    /// Hazards to accept: data-loss, table-rewrite, access-exclusive-lock, index-build, or all.
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub allow_hazards: Vec<String>,
    /// Skip applying the plan to a throwaway copy of FROM and re-diffing.
    #[arg(long)]
    pub no_self_check: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(a: DiffArgs) -> Result<Outcome> {
    let mut allowed: Vec<HazardKind> = vec![];
    for h in &a.allow_hazards {
        if h == "all" {
            allowed = vec![
                HazardKind::DataLoss,
                HazardKind::TableRewrite,
                HazardKind::AccessExclusiveLock,
                HazardKind::IndexBuild,
            ];
        } else {
            match HazardKind::parse(h) {
                Some(k) => allowed.push(k),
                None => bail!(
                    "--allow-hazards {h:?}: expected data-loss, table-rewrite, access-exclusive-lock, index-build or all"
                ),
            }
        }
    }
    let pairs = a.schemas.to_pairs()?;
    if !a.no_self_check && !a.check {
        // Ready by the time the plan is.
        start_sandbox();
    }
    let from_input = Input::parse(resolve_connection(&a.from)).context("FROM")?;
    let to_input = Input::parse(resolve_connection(&a.to)).context("TO")?;
    let sides = read_sides(&from_input, &to_input, &pairs).await?;
    let mut opts = a.online.to_diff_options();
    a.hints.apply(&mut opts)?;
    // --using is always FROM to TO: the way back takes --down-using.
    let (sides, opts) = if a.down { (sides.reversed(), opts.reversed()) } else { (sides, opts) };
    let m = sides.diff(&opts)?;

    if a.check {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &m.changes {
            *counts.entry(c.action.as_str()).or_default() += 1;
        }
        let objects: std::collections::BTreeSet<&str> =
            m.changes.iter().map(|c| c.object.as_str()).collect();
        let outcome = if m.is_empty() { Outcome::Ok } else { Outcome::Differences };
        if a.output.format == Format::Json {
            let body = serde_json::json!({
                "equal": m.is_empty(),
                "counts": counts,
                "objects": objects,
            });
            a.output.write(&output::json_report("diff-check", &body)?)?;
            return Ok(outcome);
        }
        if m.is_empty() {
            eprintln!("no differences");
            return Ok(Outcome::Ok);
        }
        let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        eprintln!("{} objects differ ({})", objects.len(), summary.join(", "));
        for o in objects {
            println!("{o}");
        }
        return Ok(Outcome::Differences);
    }
    if !a.no_self_check && !m.is_empty() {
        let left = self_check(&sides.from, &sides.to, &m, &opts).await.context("self-check")?;
        if !left.is_empty() {
            bail!(
                "self-check failed: after applying the plan to a copy of FROM, these statements are still needed \
                 (a pggraft bug; please report it):\n{}",
                left.script()
            );
        }
    }
    let text = match a.output.format {
        Format::Sql => render_script(&m, opts.online),
        // `warnings` always present (the library's form leaves it out when empty).
        Format::Dot => Graph::of_migration(&m, &sides.from, &sides.to).to_dot(),
        Format::Mermaid => Graph::of_migration(&m, &sides.from, &sides.to).to_mermaid(),
        Format::Json => output::json_report(
            "diff",
            &serde_json::json!({ "changes": m.changes, "warnings": m.warnings }),
        )?,
    };
    let refused: Vec<String> = m
        .hazards()
        .filter(|h| !allowed.contains(&h.kind))
        .map(|h| format!("{}: {}", h.kind.as_str(), h.detail))
        .collect();
    a.output.write(&text)?;
    if !refused.is_empty() {
        eprintln!("error: the migration has hazards that were not allowed:");
        for r in &refused {
            eprintln!("  {r}");
        }
        eprintln!("pass --allow-hazards KIND,... (or all) to accept them");
        return Ok(Outcome::Refused);
    }
    Ok(Outcome::Ok)
}
