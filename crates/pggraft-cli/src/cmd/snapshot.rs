//! `pggraft snapshot`: exports a snapshot of the source and holds it open,
//! printing its name, so that `pggraft clone --snapshot NAME --section …`
//! runs each section of one clone in the same instant (pgcopydb's
//! `snapshot`). It stays in the foreground until Ctrl-C or SIGTERM, or with
//! `--background` starts itself again detached (its own process group),
//! writes that process's id to `--pid-file` and returns once the snapshot
//! is held. The snapshot lives as long as its session; a lost session ends
//! the command with an error.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;
use pggraft::conn::Snapshot;

use crate::Outcome;
use crate::flags::conn_spec;

#[derive(Args)]
pub struct SnapshotArgs {
    /// Source connection: a postgres:// URL, a libpq keyword string, or a name from pggraft.toml.
    #[arg(long, env = "PGGRAFT_SOURCE", hide_env_values = true, value_name = "CONN")]
    pub source: String,
    /// Return once the snapshot is held, leaving a detached process holding it (stop it with kill).
    #[arg(long, requires = "pid_file")]
    pub background: bool,
    /// With --background: write the holding process's id to this file (removed when it stops).
    #[arg(long, value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Set by --background on the process it starts: report on stdout only.
    #[arg(long, hide = true)]
    pub detached: bool,
}

/// How often the holding session is checked.
const PING: Duration = Duration::from_secs(5);

pub async fn run(a: SnapshotArgs) -> Result<Outcome> {
    if a.background {
        return background(&a);
    }
    let result = hold(&a).await;
    if let Err(e) = &result
        && a.detached
    {
        // The parent reads this line (if it is still there); stderr goes nowhere.
        let _ = writeln!(std::io::stdout(), "error: {}", crate::output::error_line(e));
    }
    if let Some(f) = &a.pid_file
        && a.detached
    {
        let _ = std::fs::remove_file(f);
    }
    result
}

async fn hold(a: &SnapshotArgs) -> Result<Outcome> {
    let source = conn_spec(&a.source).context("--source")?;
    let snapshot = Snapshot::export(&source).await.context("exporting a snapshot of the source")?;
    let session = snapshot.session().expect("an exported snapshot has its session");
    // Held for as long as the user wants: no idle timeout may end it.
    session
        .batch_execute(
            "SET idle_in_transaction_session_timeout = 0; \
             SET application_name = 'pggraft-snapshot'",
        )
        .await
        .context("preparing the snapshot session")?;
    let name = snapshot.name().expect("an exported snapshot has a name").to_string();
    let mut out = std::io::stdout();
    writeln!(out, "{name}")?;
    out.flush()?;
    if !a.detached {
        eprintln!(
            "holding snapshot {name} of {}; pass --snapshot {name} to `pggraft clone`; stop with \
             Ctrl-C",
            source.redacted()
        );
    }
    let lost = async {
        loop {
            tokio::time::sleep(PING).await;
            if let Err(e) = session.batch_execute("SELECT 1").await {
                return e;
            }
        }
    };
    tokio::select! {
        () = super::clone::stop_requested() => {}
        e = lost => bail!("the session holding snapshot {name} was lost ({e}); take a new one"),
    }
    snapshot.release().await?;
    Ok(Outcome::Ok)
}

/// Starts `pggraft snapshot` again, detached, and returns once it prints
/// the snapshot's name (or its error).
fn background(a: &SnapshotArgs) -> Result<Outcome> {
    let pid_file = a.pid_file.as_ref().expect("clap requires --pid-file");
    let exe = std::env::current_exe().context("finding the pggraft binary")?;
    let args: Vec<std::ffi::OsString> =
        std::env::args_os().skip(1).filter(|x| x != "--background").collect();
    let mut cmd = Command::new(exe);
    cmd.args(args).arg("--detached").stdin(Stdio::null()).stdout(Stdio::piped());
    cmd.stderr(Stdio::null());
    #[cfg(unix)]
    {
        // Its own process group: Ctrl-C in this terminal does not stop it.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().context("starting the process that holds the snapshot")?;
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).context("reading the snapshot's name")?;
    let line = line.trim_end();
    if let Some(msg) = line.strip_prefix("error: ") {
        let _ = child.wait();
        bail!("{msg}");
    }
    if line.is_empty() {
        let _ = child.wait();
        bail!(
            "the process holding the snapshot ended before it printed a name; run without --background to see why"
        );
    }
    std::fs::write(pid_file, format!("{}\n", child.id()))
        .with_context(|| format!("writing {}", pid_file.display()))?;
    println!("{line}");
    eprintln!(
        "holding snapshot {line} in process {} (pid in {}); stop it with kill {}",
        child.id(),
        pid_file.display(),
        child.id()
    );
    Ok(Outcome::Ok)
}
