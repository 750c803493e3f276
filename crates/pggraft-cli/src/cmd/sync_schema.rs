//! `pggraft sync-schema`: the statements that bring a renamed copy's
//! structure up to date with its source, printed, written as a migration
//! (`--write DIR`) or applied (`--apply`). The copy is named as for
//! `clone`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use pggraft::migrate::{self, SyncOptions};

use crate::Outcome;
use crate::flags::{ConnArgs, NamingArgs, OnlineArg, reword};

#[derive(Args)]
#[command(
    mut_arg(
        "target",
        reword("Connection to the database holding the copy (may be the source database)")
    ),
    mut_arg("schemas", |a| {
        a.help("Source schema and, optionally, its copy's name (SRC or SRC=DST); repeatable")
            .required(true)
    }),
    mut_arg(
        "schema_template",
        reword("Copy names from a template, as given to clone, e.g. 'dw__{database}__{schema}'")
    ),
    mut_arg("identifier_case", reword("Identifier case of the copy, as given to clone"))
)]
pub struct SyncSchemaArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub naming: NamingArgs,
    /// Write the update as a new migration (up and down files) in DIR instead of printing it.
    #[arg(long, value_name = "DIR", conflicts_with = "apply")]
    pub write: Option<PathBuf>,
    /// Apply the update to the copy now, recorded in pggraft.migrations.
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub online: OnlineArg,
}

pub async fn run(a: SyncSchemaArgs) -> Result<Outcome> {
    let naming = a.naming.to_naming()?;
    let (source, target) = a.conn.to_specs()?;
    let opts = SyncOptions { source, target, naming, online: a.online.online };
    let plan = migrate::prepare_sync(&opts).await?;
    for w in plan.warnings.iter().chain(&plan.up.warnings) {
        eprintln!("warning: {w}");
    }
    if plan.is_empty() {
        let pairs: Vec<String> = plan.schemas.iter().map(|(s, d)| format!("{s} → {d}")).collect();
        eprintln!("the copy is up to date ({})", pairs.join(", "));
        return Ok(Outcome::Ok);
    }
    for h in plan.up.hazards() {
        eprintln!("hazard {}: {}", h.kind.as_str(), h.detail);
    }
    if let Some(dir) = &a.write {
        let files = migrate::write_sync(dir, &plan)?;
        println!("{}", files.up.display());
        println!("{}", files.down.display());
    } else if a.apply {
        let applied = migrate::apply_sync(&opts.target, &plan).await?;
        println!(
            "applied {}_{} to {} ({} statements, {} ms{})",
            applied.version,
            applied.name,
            opts.target.redacted(),
            applied.statements,
            applied.duration_ms,
            if applied.transactional { "" } else { ", outside a transaction block" }
        );
    } else {
        crate::output::write_out(None, &plan.script())?;
    }
    Ok(Outcome::Ok)
}
