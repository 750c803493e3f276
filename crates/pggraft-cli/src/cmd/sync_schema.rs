//! `pggraft sync-schema`: the statements that bring a renamed copy's
//! structure up to date with its source, printed, written as a migration
//! (`--write DIR`) or applied (`--apply`). The copy is named as for
//! `clone`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use pggraft::migrate::{self, SyncOptions};

use crate::Outcome;
use pggraft::rename::SchemaArg;

use crate::flags::{ConnArgs, FilterArgs, JsonArg, NamingArgs, OmitArgs, OnlineArg, reword};
use crate::output;

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
    mut_arg("identifier_case", reword("Identifier case of the copy, as given to clone")),
    mut_arg("exclude_schemas", |a| a.display_order(2)),
    mut_arg(
        "tables",
        reword("Only tables matching this pattern, as given to clone (source names); repeatable")
    ),
    mut_arg(
        "exclude_tables",
        reword(
            "Tables clone left out (source names): neither added to the copy nor dropped from it, \
             with what depends on them; repeatable"
        )
    ),
    mut_arg(
        "exclude_table_data",
        reword("As given to clone (rows are never synced, so only accepted); repeatable")
    ),
    mut_arg("filters", reword("Read the filters above from the pgcopydb-style INI file clone used")),
    mut_arg("no_owner", reword("The copy was made with --no-owner: owners are left as they are")),
    mut_arg("no_acl", reword("The copy was made with --no-acl: privileges are left as they are")),
    mut_arg("no_comments", reword("The copy was made with --no-comments: comments are left as they are"))
)]
pub struct SyncSchemaArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub naming: NamingArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub omit: OmitArgs,
    /// Write the update as a new migration (up and down files) in DIR instead of printing it.
    #[arg(long, value_name = "DIR", conflicts_with = "apply")]
    pub write: Option<PathBuf>,
    /// Apply the update to the copy now, recorded in pggraft.migrations.
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub online: OnlineArg,
    #[command(flatten)]
    pub json: JsonArg,
}

pub async fn run(a: SyncSchemaArgs) -> Result<Outcome> {
    let mut naming = a.naming.to_naming()?;
    let (source, target) = a.conn.to_specs()?;
    let filters = a.filters.to_filters()?;
    let listed = filters.include_schemas.into_iter().map(|p| SchemaArg { source: p, target: None });
    naming.schemas.extend(listed);
    let mut opts = SyncOptions::new(source, target, naming);
    opts.exclude_schemas = filters.exclude_schemas;
    opts.tables.include = filters.include_tables;
    opts.tables.exclude = filters.exclude_tables;
    (opts.owners, opts.privileges, opts.comments) = a.omit.kept();
    opts.online = a.online.online;
    let plan = migrate::prepare_sync(&opts).await?;
    for w in plan.warnings.iter().chain(&plan.up.warnings) {
        eprintln!("warning: {w}");
    }
    let up_to_date = plan.is_empty();
    if up_to_date {
        let pairs: Vec<String> = plan.schemas.iter().map(|(s, d)| format!("{s} → {d}")).collect();
        eprintln!("the copy is up to date ({})", pairs.join(", "));
    }
    for h in plan.up.hazards() {
        eprintln!("hazard {}: {}", h.kind.as_str(), h.detail);
    }
    let (mut files, mut applied) = (None, None);
    if up_to_date {
        // Nothing to print, write or apply.
    } else if let Some(dir) = &a.write {
        let written = migrate::write_sync(dir, &plan)?;
        if !a.json.json {
            println!("{}", written.up.display());
            println!("{}", written.down.display());
        }
        files = Some(serde_json::json!({ "up": written.up, "down": written.down }));
    } else if a.apply {
        let done = migrate::apply_sync(&opts.target, &plan).await?;
        if !a.json.json {
            println!(
                "applied {}_{} to {} ({} statements, {} ms{})",
                done.version,
                done.name,
                opts.target.redacted(),
                done.statements,
                done.duration_ms,
                if done.transactional { "" } else { ", outside a transaction block" }
            );
        }
        applied = Some(done);
    } else if !a.json.json {
        output::write_out(None, &plan.script())?;
    }
    if a.json.json {
        let warnings: Vec<&String> = plan.warnings.iter().chain(&plan.up.warnings).collect();
        let body = serde_json::json!({
            "source": opts.source.redacted(),
            "target": opts.target.redacted(),
            "schemas": plan.schemas,
            "up_to_date": up_to_date,
            "name": plan.name(),
            "changes": plan.up.changes,
            "hazards": plan.up.hazards().collect::<Vec<_>>(),
            "warnings": warnings,
            "written": files,
            "applied": applied,
        });
        output::print_json("sync-schema", &body)?;
    }
    Ok(Outcome::Ok)
}
