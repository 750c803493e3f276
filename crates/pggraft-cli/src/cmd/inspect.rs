use anyhow::Result;
use clap::Args;
use pggraft::conn::ConnSpec;
use pggraft::select::Pattern;
use pggraft::select::SchemaFilter;

use crate::Outcome;
use crate::flags::{Format, OutputArgs};

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
    #[command(flatten)]
    pub output: OutputArgs,
}

pub async fn run(a: InspectArgs) -> Result<Outcome> {
    let spec = ConnSpec::parse(&a.conninfo)?;
    let filter = SchemaFilter {
        include: a.schemas.iter().map(Pattern::new).collect(),
        exclude: a.exclude.iter().map(Pattern::new).collect(),
    };
    let cat = pggraft::catalog::read_catalog(&spec, &filter).await?;
    for u in &cat.unmodelled {
        eprintln!("warning: {}", u.describe("included"));
    }
    let text = match a.output.format {
        Format::Json => cat.to_json(),
        Format::Sql => pggraft::ddl::to_sql(&cat),
    };
    a.output.write(&text)?;
    // The process ends next: freeing a model of 10,000 tables string by
    // string took longer than writing it out.
    std::mem::forget(cat);
    Ok(Outcome::Ok)
}
