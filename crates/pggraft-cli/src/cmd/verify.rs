use anyhow::Result;
use clap::Args;

use crate::Outcome;

#[derive(Args)]
pub struct VerifyArgs {}

pub async fn run(_a: VerifyArgs) -> Result<Outcome> {
    anyhow::bail!("not built yet")
}
