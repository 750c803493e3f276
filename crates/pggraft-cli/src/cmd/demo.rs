use anyhow::Result;
use clap::Args;

use crate::Outcome;

#[derive(Args)]
pub struct DemoArgs {}

pub async fn run(_a: DemoArgs) -> Result<Outcome> {
    anyhow::bail!("not built yet")
}
