//! `pggraft migrate new|status|up|down|baseline`: versioned migration files
//! in a folder, applied to a target that records them in
//! `pggraft.migrations`. Arguments become library calls
//! (`pggraft::migrate`); this module prints the results and picks the exit
//! code (`status`: 1 when something is pending or changed).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use comfy_table::Cell;
use pggraft::diff::source::Input;
use pggraft::migrate::{self, Dir, DownTarget, Header, Report, Request};

use crate::Outcome;
use crate::config::resolve_connection;
use crate::flags::{HintArgs, JsonArg, OnlineArg, SchemaPairArgs, TargetArg};
use crate::output;

#[derive(Args)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: MigrateCommand,
}

#[derive(Subcommand)]
pub enum MigrateCommand {
    /// Write a new migration (up and down files) from the difference between two schemas.
    New(NewArgs),
    /// List applied, pending and changed migrations; exit 1 unless up to date.
    Status(StatusArgs),
    /// Apply pending migrations, oldest first, each in a transaction.
    Up(UpArgs),
    /// Undo applied migrations with their .down.sql files, newest first.
    Down(DownArgs),
    /// Record migrations up to a version as applied without running them.
    Baseline(BaselineArgs),
}

/// Where the migration files are.
#[derive(Args)]
pub struct DirArg {
    /// Folder of <version>_<name>.up.sql / .down.sql files.
    #[arg(long, value_name = "DIR", default_value = "migrations")]
    pub dir: PathBuf,
}

#[derive(Args)]
#[command(
    mut_arg("schemas", |a| a.requires("from")),
    mut_arg("online", |a| a.requires("from")),
    mut_arg("using", |a| a.requires("from")),
    mut_arg("down_using", |a| a.requires("from")),
    mut_arg("rename", |a| a.requires("from"))
)]
pub struct NewArgs {
    /// Migration name; lower-cased, anything but a-z, 0-9 and _ becomes _.
    pub name: String,
    /// The schema as it is: a connection, a JSON snapshot, or .sql DDL (file or folder).
    #[arg(long, value_name = "CONN|SNAPSHOT|DDL", requires = "to")]
    pub from: Option<String>,
    /// The schema as it should be, in the same forms (without --from/--to: empty files to edit).
    #[arg(long, value_name = "CONN|SNAPSHOT|DDL", requires = "from")]
    pub to: Option<String>,
    #[command(flatten)]
    pub schemas: SchemaPairArgs,
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub online: OnlineArg,
    #[command(flatten)]
    pub json: JsonArg,
    #[command(flatten)]
    pub hints: HintArgs,
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub dir: DirArg,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub dir: DirArg,
    /// Apply pending migrations up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Print what would run and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub dir: DirArg,
    /// Undo the newest N applied migrations (default 1).
    #[arg(long, value_name = "N", conflicts_with = "to")]
    pub steps: Option<usize>,
    /// Undo every migration applied after this version (it stays applied).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Print what would run and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub dir: DirArg,
    /// Record every migration up to and including this version as applied.
    #[arg(long, value_name = "V")]
    pub version: String,
    #[command(flatten)]
    pub json: JsonArg,
}

pub async fn run(a: MigrateArgs) -> Result<Outcome> {
    match a.command {
        MigrateCommand::New(a) => new(a).await,
        MigrateCommand::Status(a) => status(a).await,
        MigrateCommand::Up(a) => {
            let request = Request::Up { to: a.to };
            apply(&a.target, &a.dir, &request, a.dry_run, a.json.json).await
        }
        MigrateCommand::Down(a) => {
            let how = match a.to {
                Some(v) => DownTarget::To(v),
                None => DownTarget::Steps(a.steps.unwrap_or(1)),
            };
            apply(&a.target, &a.dir, &Request::Down(how), a.dry_run, a.json.json).await
        }
        MigrateCommand::Baseline(a) => {
            let target = a.target.to_spec()?;
            let dir = Dir::load(&a.dir.dir)?;
            let report = migrate::baseline(&target, &dir, &a.version).await?;
            warn(&report);
            if a.json.json {
                output::print_json("migrate-baseline", &report)?;
                return Ok(Outcome::Ok);
            }
            if report.applied.is_empty() {
                println!(
                    "nothing to record: every migration up to {} is in the history",
                    a.version
                );
            }
            for s in &report.applied {
                println!("recorded {}_{} as applied (not run)", s.version, s.name);
            }
            Ok(Outcome::Ok)
        }
    }
}

async fn new(a: NewArgs) -> Result<Outcome> {
    let mut opts = a.online.to_diff_options();
    a.hints.apply(&mut opts)?;
    let (up, down, header) = match (&a.from, &a.to) {
        (Some(from), Some(to)) => {
            let schemas = a.schemas.to_pairs()?;
            let from = Input::parse(resolve_connection(from)).context("--from")?;
            let to = Input::parse(resolve_connection(to)).context("--to")?;
            let g = migrate::generate(&from, &to, &schemas, &opts).await?;
            if g.up.is_empty() {
                eprintln!("no differences between --from and --to: nothing written");
                if a.json.json {
                    let none: Option<()> = None;
                    let body = serde_json::json!({ "written": false, "up": none, "down": none,
                        "hazards": [], "warnings": g.up.warnings });
                    output::print_json("migrate-new", &body)?;
                }
                return Ok(Outcome::Ok);
            }
            (g.up, g.down, g.header)
        }
        // Empty files to write by hand.
        _ => (Default::default(), Default::default(), Header::default()),
    };
    let files = migrate::write_new(&a.dir.dir, &a.name, &up, &down, &header)?;
    for w in &up.warnings {
        eprintln!("warning: {w}");
    }
    for h in up.hazards() {
        eprintln!("hazard {}: {}", h.kind.as_str(), h.detail);
    }
    if a.json.json {
        let body = serde_json::json!({
            "written": true,
            "up": files.up,
            "down": files.down,
            "hazards": up.hazards().collect::<Vec<_>>(),
            "warnings": up.warnings,
        });
        output::print_json("migrate-new", &body)?;
    } else {
        println!("{}", files.up.display());
        println!("{}", files.down.display());
    }
    Ok(Outcome::Ok)
}

/// Every state, in the order `status` counts them.
const STATES: [migrate::State; 4] = [
    migrate::State::Applied,
    migrate::State::Pending,
    migrate::State::Changed,
    migrate::State::MissingFile,
];

async fn status(a: StatusArgs) -> Result<Outcome> {
    let target = a.target.to_spec()?;
    let dir = Dir::load(&a.dir.dir)?;
    let st = migrate::status(&target, &dir).await?;
    let outcome = if st.is_up_to_date() { Outcome::Ok } else { Outcome::Differences };
    if a.json.json {
        let counts: serde_json::Map<String, serde_json::Value> =
            STATES.into_iter().map(|s| (s.as_str().to_owned(), st.count(s).into())).collect();
        let body = serde_json::json!({
            "target": target.redacted(),
            "up_to_date": st.is_up_to_date(),
            "counts": counts,
            "migrations": st.rows,
        });
        output::print_json("migrate-status", &body)?;
        return Ok(outcome);
    }
    let mut t = output::table(vec!["version", "name", "state", "applied at (UTC)"]);
    for r in &st.rows {
        let state = match r.kind {
            Some(k @ (migrate::Kind::Baseline | migrate::Kind::Sync)) => {
                format!("{} ({})", r.state.as_str(), k.as_str())
            }
            _ => r.state.as_str().to_string(),
        };
        t.add_row(vec![
            Cell::new(&r.version),
            Cell::new(&r.name),
            Cell::new(state),
            Cell::new(r.applied_at.as_deref().unwrap_or("")),
        ]);
    }
    println!("{t}");
    let counts: Vec<String> = STATES
        .into_iter()
        .filter_map(|s| {
            let n = st.count(s);
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect();
    if st.is_up_to_date() {
        eprintln!(
            "up to date ({})",
            if counts.is_empty() { "no migrations".into() } else { counts.join(", ") }
        );
    } else {
        eprintln!("not up to date: {}", counts.join(", "));
    }
    Ok(outcome)
}

async fn apply(
    t: &TargetArg,
    d: &DirArg,
    request: &Request,
    dry_run: bool,
    json: bool,
) -> Result<Outcome> {
    let target = t.to_spec()?;
    let dir = Dir::load(&d.dir)?;
    // Each migration is reported as it commits: a run stopped later (Ctrl-C,
    // kill -9) has still applied it. With --json the lines go to stderr,
    // leaving stdout to the JSON report.
    let progress = |a: &migrate::Applied| print_applied(a, json);
    let report = migrate::apply_with(&target, &dir, request, dry_run, &progress).await?;
    warn(&report);
    if json {
        let name =
            if matches!(request, Request::Up { .. }) { "migrate-up" } else { "migrate-down" };
        output::print_json(name, &report)?;
        return Ok(Outcome::Ok);
    }
    if report.schedule.steps.is_empty() {
        let what = if matches!(request, Request::Up { .. }) { "apply" } else { "undo" };
        println!("nothing to {what}: {}", report.target);
        return Ok(Outcome::Ok);
    }
    if dry_run {
        let mut text = String::new();
        for s in &report.schedule.steps {
            text.push_str(&format!("-- would run {} ({})\n", s.file_name(), s.action.as_str()));
            text.push_str(&s.sql);
            if !s.sql.ends_with('\n') {
                text.push('\n');
            }
            text.push('\n');
        }
        output::write_out(None, &text)?;
        return Ok(Outcome::Ok);
    }
    Ok(Outcome::Ok)
}

fn print_applied(a: &migrate::Applied, to_stderr: bool) {
    use std::io::Write;
    let verb = if a.action == migrate::Action::Down { "undid" } else { "applied" };
    let how = if a.transactional { "" } else { ", outside a transaction block" };
    let resumed = if a.earlier > 0 {
        format!(
            "; resumed after statement {0}: an earlier run had applied 1-{0} and was interrupted",
            a.earlier
        )
    } else {
        String::new()
    };
    let line = format!(
        "{verb} {}_{} ({} statement{}, {} ms{how}{resumed})",
        a.version,
        a.name,
        a.statements,
        if a.statements == 1 { "" } else { "s" },
        a.duration_ms
    );
    if to_stderr {
        eprintln!("{line}");
    } else {
        println!("{line}");
        let _ = std::io::stdout().flush();
    }
}

fn warn(report: &Report) {
    for w in &report.schedule.warnings {
        eprintln!("warning: {w}");
    }
}
