//! `pggraft cleanup`: removes the temporary build schemas (`pggraft_tmp_*`)
//! that interrupted clones left in a database, leaving those of runs in
//! progress alone, and says what it removed.

use anyhow::Result;
use clap::Args;

use crate::Outcome;
use crate::flags::{TargetArg, reword};

#[derive(Args)]
#[command(mut_arg(
    "target",
    reword("Database to clean up (a clone's target; for a same-database clone, its source)")
))]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: TargetArg,
    /// List what would be removed and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub async fn run(a: CleanupArgs) -> Result<Outcome> {
    let target = a.target.to_spec()?;
    let done = pggraft::cleanup::remove_stale(&target, a.dry_run).await?;
    let (verb, back) = if a.dry_run { ("would remove", "give") } else { ("removed", "gave") };
    for s in &done.removed {
        match &s.aside {
            Some(a) => println!(
                "{verb} {} (half built in place by an interrupted pggraft run, {}) and {back} \
                 back the schema it replaced ({a})",
                s.schema, s.tag
            ),
            None => println!("{verb} {} (left by an interrupted pggraft run, {})", s.schema, s.tag),
        }
    }
    for s in &done.running {
        println!("left {} alone: its run ({}) is still going", s.schema, s.tag);
    }
    if done.removed.is_empty() {
        println!("nothing to remove in {}", target.redacted());
    }
    Ok(Outcome::Ok)
}
