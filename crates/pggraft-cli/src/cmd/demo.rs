//! `pggraft demo`: the main job end to end on a throwaway cluster. Loads
//! the shipped sample schema with data, clones it twice (renamed in the same
//! database, then to another database), verifies both copies and prints the
//! reports. The cluster is stopped and deleted at the end.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use pg_sandbox::Cluster;
use pggraft::clone::CloneOptions;
use pggraft::conn::ConnSpec;
use pggraft::rename::SchemaArg;

use crate::Outcome;
use crate::cmd::clone::run_clone;

#[derive(Args)]
pub struct DemoArgs {
    /// Multiplies the sample's rows (100 gives about 370,000 rows).
    #[arg(long, default_value_t = 100)]
    pub scale: u32,
    /// Tables copied in parallel.
    #[arg(short = 'j', long, default_value_t = 2)]
    pub jobs: usize,
}

pub async fn run(a: DemoArgs) -> Result<Outcome> {
    let t0 = Instant::now();
    eprintln!("== starting a throwaway PostgreSQL cluster");
    // pg-sandbox is synchronous (std::process); keep it off the async threads.
    let cluster =
        tokio::task::spawn_blocking(Cluster::start).await?.context("starting the demo cluster")?;
    eprintln!("   {} (port {})", cluster.bindir().display(), cluster.port());
    eprintln!("== loading the sample schema (scale {})", a.scale);
    let sql = format!(
        "SET pggraft.scale = {};\n{}\n{}\nANALYZE;",
        a.scale,
        pggraft::sample::SCHEMA,
        pggraft::sample::DATA
    );
    cluster.psql("postgres", "CREATE DATABASE shop_demo; CREATE DATABASE shop_demo_copy;")?;
    cluster.psql("shop_demo", &sql).context("loading the sample")?;
    let source = ConnSpec::parse(&cluster.url("shop_demo"))?;

    eprintln!(
        "\n== clone 1: renamed copies in the same database (shop → shop_copy, \"Odd Schema\" → odd_copy)"
    );
    let mut opts = CloneOptions::new(source.clone(), source.clone());
    opts.naming.schemas =
        vec![SchemaArg::parse("shop=shop_copy")?, SchemaArg::parse("Odd Schema=odd_copy")?];
    opts.jobs = a.jobs;
    opts.index_jobs = a.jobs;
    let first = run_clone(&opts, false, false, true).await?;

    eprintln!("\n== clone 2: the whole database to another database (shop_demo → shop_demo_copy)");
    let target = ConnSpec::parse(&cluster.url("shop_demo_copy"))?;
    let mut opts = CloneOptions::new(source, target);
    opts.jobs = a.jobs;
    opts.index_jobs = a.jobs;
    let second = run_clone(&opts, false, false, true).await?;

    eprintln!("\n== done in {:.1}s; stopping the cluster", t0.elapsed().as_secs_f64());
    drop(cluster);
    Ok(match (first, second) {
        (Outcome::Ok, Outcome::Ok) => Outcome::Ok,
        _ => Outcome::Differences,
    })
}
