use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use pggraft::conn::ConnSpec;
use pggraft::select::Pattern;
use pggraft::select::SchemaFilter;

use crate::{Outcome, output};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Sql,
    Json,
}

#[derive(Args)]
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
    /// Output format.
    #[arg(long, value_enum, default_value = "sql")]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

pub async fn run(a: InspectArgs) -> Result<Outcome> {
    let spec = ConnSpec::parse(&a.conninfo)?;
    let filter = SchemaFilter {
        include: a.schemas.iter().map(Pattern::new).collect(),
        exclude: a.exclude.iter().map(Pattern::new).collect(),
    };
    let cat = pggraft::catalog::read_catalog(&spec, &filter).await?;
    let text = match a.format {
        Format::Json => cat.to_json(),
        Format::Sql => pggraft::ddl::to_sql(&cat),
    };
    output::write_out(a.output.as_deref(), &text)?;
    // The process ends next: freeing a model of 10,000 tables string by
    // string took longer than writing it out.
    std::mem::forget(cat);
    Ok(Outcome::Ok)
}
