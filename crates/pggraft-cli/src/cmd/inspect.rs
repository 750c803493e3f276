//! `pggraft inspect`: a database's catalog model as SQL, as a JSON snapshot,
//! or as a picture of its tables, foreign keys and views (`--format dot` or
//! `mermaid`), and with `--json` a report of what was read.

use std::collections::BTreeMap;

use anyhow::Result;
use clap::Args;
use pggraft::catalog::Catalog;
use pggraft::conn::ConnSpec;
use pggraft::ddl::render::{RenderOptions, render};
use pggraft::graph::Graph;
use pggraft::select::Pattern;
use pggraft::select::SchemaFilter;

use crate::flags::{Format, JsonArg, OutputArgs, reword};
use crate::{Outcome, output};

#[derive(Args)]
#[command(mut_arg(
    "json",
    reword(
        "Print a JSON report of what was read (schemas, objects by kind) on stdout; the model \
         itself goes only to -o"
    )
))]
pub struct InspectArgs {
    /// Connection: a postgres:// URL or a libpq keyword string ("host=… dbname=…").
    #[arg(default_value = "")]
    pub conninfo: String,
    /// Schema to include, matched exactly as stored (`*` and `?` wildcards); repeatable.
    #[arg(short = 'n', long = "schema")]
    pub schemas: Vec<String>,
    /// Schema to leave out (same matching); repeatable.
    #[arg(short = 'N', long = "exclude-schema")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub json: JsonArg,
}

pub async fn run(a: InspectArgs) -> Result<Outcome> {
    let spec = crate::flags::conn_spec(&a.conninfo)?;
    let filter = SchemaFilter {
        include: a.schemas.iter().map(Pattern::new).collect(),
        exclude: a.exclude.iter().map(Pattern::new).collect(),
    };
    let cat = pggraft::catalog::read_catalog(&spec, &filter).await?;
    for u in &cat.unmodelled {
        eprintln!("warning: {}", u.describe("included"));
    }
    if !a.json.json || a.output.output.is_some() {
        let text = match a.output.format {
            Format::Json => cat.to_json(),
            Format::Sql => pggraft::ddl::to_sql(&cat),
            Format::Dot => Graph::of_catalog(&cat).to_dot(),
            Format::Mermaid => Graph::of_catalog(&cat).to_mermaid(),
        };
        a.output.write(&text)?;
    }
    if a.json.json {
        output::print_json("inspect", &report(&cat, &spec, &a))?;
    }
    // The process ends next: freeing a model of 10,000 tables string by
    // string took longer than writing it out.
    std::mem::forget(cat);
    Ok(Outcome::Ok)
}

/// What `inspect --json` prints: where the model came from, and how many
/// objects of each kind it holds (counted as `clone` counts them: one per
/// statement that creates an object).
fn report(cat: &Catalog, spec: &ConnSpec, a: &InspectArgs) -> serde_json::Value {
    let mut objects: BTreeMap<&str, usize> = BTreeMap::new();
    for s in render(cat, &RenderOptions::default()) {
        if s.provides.is_some() {
            *objects.entry(s.what).or_default() += 1;
        }
    }
    let schemas: Vec<&str> = cat.schemas.iter().map(|s| s.name.as_str()).collect();
    serde_json::json!({
        "connection": spec.redacted(),
        "database": cat.database,
        "server_version": cat.server_version,
        "schemas": schemas,
        "objects": objects,
        "output": a.output.output.as_ref().map(|p| {
            serde_json::json!({ "path": p, "format": a.output.format.as_str() })
        }),
    })
}
