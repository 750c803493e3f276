use anyhow::Result;
use clap::Args;

use crate::Outcome;

#[derive(Args)]
pub struct CloneArgs {}

pub async fn run(_a: CloneArgs) -> Result<Outcome> {
    anyhow::bail!("not built yet")
}
