//! `pggraft diff FROM TO`: the migration from one schema to another, as SQL
//! or JSON; `--check` for CI drift detection; hazardous plans refused
//! (exit 3) unless allowed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use pggraft::diff::source::{Input, align, self_check};
use pggraft::diff::{DiffOptions, HazardKind, diff};
use pggraft::rename::SchemaArg;
use pggraft::select::Pattern;
use pggraft::select::SchemaFilter;

use crate::{Outcome, output};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Sql,
    Json,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The schema as it is: a connection, a JSON snapshot (inspect --format json), or .sql DDL (file or folder).
    pub from: String,
    /// The schema as it should be, in the same forms.
    pub to: String,
    /// Schema to compare, FROM_SCHEMA or FROM_SCHEMA=TO_SCHEMA; repeatable (default: all).
    #[arg(short = 'n', long = "schema", value_name = "FROM[=TO]")]
    pub schemas: Vec<String>,
    /// Produce the reverse migration (TO back to FROM).
    #[arg(long)]
    pub down: bool,
    /// Online-safe statements: CONCURRENTLY, NOT VALID + VALIDATE, lock_timeout.
    #[arg(long)]
    pub online: bool,
    /// Print a summary; exit 0 when equal, 1 when they differ.
    #[arg(long)]
    pub check: bool,
    /// Hazards to accept: data-loss, table-rewrite, access-exclusive-lock, index-build, or all.
    #[arg(long, value_delimiter = ',', value_name = "KIND,...")]
    pub allow_hazards: Vec<String>,
    /// Skip applying the plan to a throwaway copy of FROM and re-diffing.
    #[arg(long)]
    pub no_self_check: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "sql")]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
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
    let pairs: Vec<SchemaArg> =
        a.schemas.iter().map(|s| SchemaArg::parse(s)).collect::<pggraft::Result<_>>()?;
    let from_filter =
        SchemaFilter { include: pairs.iter().map(|p| p.source.clone()).collect(), exclude: vec![] };
    let to_filter = SchemaFilter {
        include: pairs
            .iter()
            .map(|p| p.target.clone().map(Pattern::new).unwrap_or_else(|| p.source.clone()))
            .collect(),
        exclude: vec![],
    };
    let mapping: BTreeMap<String, String> = pairs
        .iter()
        .filter_map(|p| p.target.clone().map(|t| (p.source.as_str().to_string(), t)))
        .collect();
    let from_input = Input::parse(&a.from).context("FROM")?;
    let to_input = Input::parse(&a.to).context("TO")?;
    // The two sides are read at the same time: each mostly waits on its server.
    let (from, to) = tokio::try_join!(
        async { from_input.load(&from_filter).await.context("reading FROM") },
        async { to_input.load(&to_filter).await.context("reading TO") },
    )?;
    let to = if mapping.is_empty() { to } else { align(&to, &mapping)? };
    let (from, to) = if a.down { (to, from) } else { (from, to) };
    let opts = DiffOptions { online: a.online };
    let m = diff(&from, &to, &opts)?;

    if a.check {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &m.changes {
            *counts.entry(c.action.as_str()).or_default() += 1;
        }
        if m.is_empty() {
            eprintln!("no differences");
            return Ok(Outcome::Ok);
        }
        let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let objects: std::collections::BTreeSet<&str> =
            m.changes.iter().map(|c| c.object.as_str()).collect();
        eprintln!("{} objects differ ({})", objects.len(), summary.join(", "));
        for o in objects {
            println!("{o}");
        }
        return Ok(Outcome::Differences);
    }
    if !a.no_self_check && !m.is_empty() {
        let left = self_check(&from, &to, &m, &opts).await.context("self-check")?;
        if !left.is_empty() {
            bail!(
                "self-check failed: after applying the plan to a copy of FROM, these statements are still needed \
                 (a pggraft bug; please report it):\n{}",
                left.script()
            );
        }
    }
    let text = match a.format {
        Format::Sql => {
            let mut s = String::new();
            if a.online {
                s.push_str("SET lock_timeout = '5s';\n");
            }
            s.push_str(&m.script());
            s
        }
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&m)?),
    };
    let refused: Vec<String> = m
        .hazards()
        .filter(|h| !allowed.contains(&h.kind))
        .map(|h| format!("{}: {}", h.kind.as_str(), h.detail))
        .collect();
    output::write_out(a.output.as_deref(), &text)?;
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
