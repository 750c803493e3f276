//! The `pggraft` command: argument parsing, terminal output and exit codes.
//! Everything else lives in the `pggraft` library. The flags several
//! commands share are in [`flags`], each command's own in [`cmd`].

mod cmd;
mod config;
mod flags;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Clone, verify, diff and migrate PostgreSQL schemas and data.
#[derive(Parser)]
#[command(name = "pggraft", version, after_long_help = AFTER_HELP)]
struct Cli {
    /// More log output (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Read named connections and per-command defaults from this file (default: ./pggraft.toml).
    #[arg(long, global = true, value_name = "FILE", env = "PGGRAFT_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the catalog model of a database as SQL or as a JSON snapshot.
    Inspect(cmd::inspect::InspectArgs),
    /// Copy schemas (structure and data) to new names or another database.
    Clone(cmd::clone::CloneArgs),
    /// Check that a copy matches its source: structure, counts, checksums, rows.
    Verify(cmd::verify::VerifyArgs),
    /// The migration from one schema to another (up or down), with hazards.
    Diff(cmd::diff::DiffArgs),
    /// Versioned migrations: write them from a diff, apply, undo, show status.
    Migrate(cmd::migrate::MigrateArgs),
    /// Bring a renamed copy's structure up to date after its source changed.
    SyncSchema(cmd::sync_schema::SyncSchemaArgs),
    /// Bring an earlier copy's data up to date: reload, or copy only what changed.
    Refresh(cmd::refresh::RefreshArgs),
    /// Move data into a differently shaped schema, as a mapping file says.
    Map(cmd::map::MapArgs),
    /// Hold a snapshot of the source open and print its name, for `clone --snapshot NAME --section …`.
    Snapshot(cmd::snapshot::SnapshotArgs),
    /// Remove temporary schemas that interrupted clones left in a database.
    Cleanup(cmd::cleanup::CleanupArgs),
    /// A clone that follows its source (`clone --follow`): status, cutover, resume, cleanup.
    Follow(cmd::follow::FollowArgs),
    /// Run a clone and verify on a built-in sample in a throwaway cluster.
    Demo(cmd::demo::DemoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::docs::CompletionsArgs),
    /// Print the man page (or write all of them with --dir).
    Man(cmd::docs::ManArgs),
    /// Show the configuration in effect (pggraft.toml, environment, defaults).
    Config(cmd::config::ConfigArgs),
}

/// The end of `--help` and of the man page: what every command shares.
const AFTER_HELP: &str = "\
Connections are what psql takes: a postgres:// URL, a libpq keyword string, service=NAME \
(pg_service.conf), or nothing (PG* variables); passwords from PGPASSWORD or ~/.pgpass.

Exit status: 0 success; 1 differences found (verify, clone's verification, diff --check, \
migrate status); 2 bad input or failure; 3 diff refused hazards.

Reports: --json (diff: --format json) prints a versioned JSON report on stdout, documented in \
docs/json.md.";

/// What a command tells `main` about its outcome.
#[derive(Clone, Copy)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: differences were found (verify, diff --check, migrate status).
    Differences,
    /// Exit 3: a plan with hazards that were not allowed (printed, not
    /// run); errors of kind `Refused` exit 3 as well.
    Refused,
}

/// Exit 2: bad input (clap exits with 2 for a malformed command line too)
/// or a failure.
const FAILURE: u8 = 2;

/// The one place a run's result becomes an exit code (and an error its
/// `error:` line).
fn exit(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Differences) => ExitCode::from(1),
        Ok(Outcome::Refused) => ExitCode::from(3),
        // `pggraft diff | head` closing the pipe early is not an error.
        Err(e) if output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        // Refused to lose what the user did not allow to lose: as a
        // plan with hazards, nothing was changed.
        Err(e) if output::error_kind(&e) == Some(pggraft::ErrorKind::Refused) => {
            eprintln!("error: {}", output::error_line(&e));
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("error: {}", output::error_line(&e));
            ExitCode::from(FAILURE)
        }
    }
}

fn main() -> ExitCode {
    // The config file's values become the flags' defaults, so it is read
    // before clap parses (see `config`).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let config = match config::Config::find(config::config_arg(&args), &Cli::command()) {
        Ok(c) => c,
        Err(e) => return exit(Err(e)),
    };
    let command = config.apply(Cli::command());
    let matches = command.clone().get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Generated from the definitions above; no runtime, no logging.
    match &cli.command {
        Command::Completions(a) => return exit(cmd::docs::completions(a, Cli::command())),
        Command::Man(a) => return exit(cmd::docs::man(a, Cli::command())),
        Command::Config(cmd::config::ConfigArgs {
            command: cmd::config::ConfigCommand::Show(a),
        }) => return exit(cmd::config::show(a, &config, &Cli::command(), &command)),
        _ => {}
    }
    config::set_current(config);
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PGGRAFT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("pggraft={level}"))),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    // A clone forwards its COPY streams on one thread. tokio-postgres hands
    // every socket read (8 KiB or so) from the connection's task to the
    // stream's reader over a channel; on a multi-threaded runtime each hand-off
    // wakes another thread (a futex wake and a context switch), which cost a
    // clone more client CPU than forwarding the bytes. The client's work is
    // far less than one core, so one thread loses nothing (README, issue #16).
    // `refresh`, `map run` and `verify` stream the same way. Whatever follows
    // a source (`clone --follow`, `map run --follow`, `follow`) applies
    // changes beside its replication stream and keeps the default.
    let one_thread = match &cli.command {
        Command::Clone(a) => !a.follow,
        Command::Map(m) => !m.follows(),
        Command::Refresh(_) | Command::Verify(_) => true,
        _ => false,
    };
    let mut builder = if one_thread {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return exit(Err(anyhow::Error::new(e).context("cannot start the async runtime")));
        }
    };
    exit(runtime.block_on(async {
        match cli.command {
            Command::Inspect(a) => cmd::inspect::run(a).await,
            Command::Clone(a) => Box::pin(cmd::clone::run(a)).await,
            Command::Verify(a) => cmd::verify::run(a).await,
            Command::Demo(a) => cmd::demo::run(a).await,
            Command::Diff(a) => cmd::diff::run(a).await,
            Command::Migrate(a) => cmd::migrate::run(a).await,
            Command::SyncSchema(a) => cmd::sync_schema::run(a).await,
            Command::Refresh(a) => cmd::refresh::run(a).await,
            Command::Cleanup(a) => cmd::cleanup::run(a).await,
            Command::Map(a) => cmd::map::run(a).await,
            Command::Follow(a) => cmd::follow::run(a).await,
            Command::Snapshot(a) => cmd::snapshot::run(a).await,
            Command::Completions(_) | Command::Man(_) | Command::Config(_) => {
                unreachable!("handled before")
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own checks of every command (ids named by `mut_arg`,
    /// `requires` and `conflicts_with` exist, no two flags collide).
    #[test]
    fn flags_are_well_formed() {
        super::Cli::command().debug_assert();
    }
}
