//! `pggraft verify`: arguments, the library call, and the report as text,
//! a summary table on a terminal, or JSON.

use std::fmt::Write as _;
use std::io::IsTerminal;

use anyhow::Result;
use clap::{Args, ValueEnum};
use comfy_table::Cell;
use indicatif::{ProgressBar, ProgressStyle};
use pggraft::verify::{
    self, DiffKind, Level, Progress, RowDiffs, Stage, TableResult, TableStatus, VerifyOptions,
    VerifyReport,
};

use pggraft::rename::SchemaArg;

use crate::flags::{ConnArgs, FilterArgs, IdentifierCase, JsonArg, NamingArgs, OmitArgs, reword};
use crate::{Outcome, output};

#[derive(Clone, Copy, ValueEnum)]
pub enum LevelArg {
    /// Structure only: every object's SQL.
    Schema,
    /// Structure and exact row counts.
    Counts,
    /// Structure, row counts and a hash of every row, computed on the servers.
    Checksums,
    /// Checksums, then the primary keys of the rows that differ.
    Rows,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Level {
        match l {
            LevelArg::Schema => Level::Schema,
            LevelArg::Counts => Level::Counts,
            LevelArg::Checksums => Level::Checksums,
            LevelArg::Rows => Level::Rows,
        }
    }
}

#[derive(Args)]
#[command(
    mut_arg("target", reword("Target connection (the copy), in the same forms")),
    mut_arg(
        "schemas",
        reword(
            "Source schema to verify, SRC or SRC=DST when the copy is named DST; repeatable \
             (default: all)"
        )
    ),
    mut_arg(
        "schema_template",
        reword(
            "Target schema names from a template, e.g. '{schema}_copy' ({database} and {schema})"
        )
    ),
    mut_arg(
        "identifier_case",
        IdentifierCase::of_the_copy("Whether the copy's identifiers were folded to lower case")
    ),
    mut_arg(
        "tables",
        reword(
            "Only tables matching this pattern (NAME or SCHEMA.NAME, source names, * and ?); \
             repeatable"
        )
    ),
    mut_arg(
        "exclude_tables",
        reword(
            "Leave out tables matching this pattern (source names), with what depends on them, \
             as clone -T did; repeatable"
        )
    ),
    mut_arg("exclude_schemas", |a| a.display_order(2)),
    mut_arg(
        "exclude_table_data",
        reword("Tables the copy holds no rows of (clone --exclude-table-data); repeatable")
    ),
    mut_arg("filters", reword("Read the filters above from the pgcopydb-style INI file clone used")),
    mut_arg("no_owner", reword("The copy was made with --no-owner: owners are not compared")),
    mut_arg("no_acl", reword("The copy was made with --no-acl: privileges are not compared")),
    mut_arg("no_comments", reword("The copy was made with --no-comments: comments are not compared"))
)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub naming: NamingArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub omit: OmitArgs,
    /// How thoroughly to compare; each level includes the ones before it.
    #[arg(long, value_enum, default_value = "checksums")]
    pub level: LevelArg,
    /// Sessions per database reading tables in parallel.
    #[arg(short = 'j', long, default_value_t = verify::DEFAULT_JOBS, value_parser = parse_jobs)]
    pub jobs: usize,
    #[command(flatten)]
    pub json: JsonArg,
    /// At most this many differing rows listed per table (--level rows).
    #[arg(long, default_value_t = verify::DEFAULT_ROW_LIMIT, value_name = "N")]
    pub row_limit: usize,
    /// The copy was made with `clone --unlogged`: its tables are expected UNLOGGED.
    #[arg(long)]
    pub unlogged: bool,
}

fn parse_jobs(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=256).contains(&n) => Ok(n),
        _ => Err(format!("expected a number from 1 to 256, got {s:?}")),
    }
}

impl VerifyArgs {
    /// Validates the arguments into library options (no I/O).
    fn options(&self) -> Result<VerifyOptions> {
        let (source, target) = self.conn.to_specs()?;
        let mut opts = VerifyOptions::new(source, target);
        opts.naming = self.naming.to_naming()?;
        // The copy as clone described it: the same filters, the same
        // omissions.
        let filters = self.filters.to_filters()?;
        let listed =
            filters.include_schemas.into_iter().map(|p| SchemaArg { source: p, target: None });
        opts.naming.schemas.extend(listed);
        opts.exclude_schemas = filters.exclude_schemas;
        opts.tables.include = filters.include_tables;
        opts.tables.exclude = filters.exclude_tables;
        opts.exclude_table_data = filters.exclude_table_data;
        (opts.compare.owners, opts.compare.privileges, opts.compare.comments) = self.omit.kept();
        opts.level = self.level.into();
        opts.jobs = self.jobs;
        opts.row_limit = self.row_limit;
        opts.unlogged = self.unlogged;
        Ok(opts)
    }
}

pub async fn run(a: VerifyArgs) -> Result<Outcome> {
    let opts = a.options()?;
    let bar =
        (!a.json.json && output::stderr_is_terminal() && opts.level >= Level::Counts).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg:<12} [{bar:30}] {pos}/{len} {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
    let on_progress = |p: &Progress| {
        if let Some(bar) = &bar {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
            bar.set_message(match p.stage {
                Stage::Tables => "tables",
                Stage::Rows => "rows",
            });
        }
    };
    let report = verify::verify_with_progress(&opts, &on_progress).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = report?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let text = if a.json.json {
        output::json_report("verify", &report)?
    } else {
        render_text(&report, std::io::stdout().is_terminal())
    };
    output::write_out(None, &text)?;
    Ok(if report.is_clean() { Outcome::Ok } else { Outcome::Differences })
}

/// Every difference, one per line (statements and keys indented below),
/// then a summary table on a terminal, then one verdict line.
fn render_text(r: &VerifyReport, terminal: bool) -> String {
    let mut out = String::new();
    for d in &r.schema {
        let where_ = match d.kind {
            DiffKind::Missing => " (source only)",
            DiffKind::Extra => " (target only)",
            DiffKind::Changed => "",
        };
        let _ = writeln!(out, "schema {}: {}{where_}", d.kind.as_str(), d.object);
        for s in &d.source {
            let _ = writeln!(out, "  source: {}", one_line(s));
        }
        for s in &d.target {
            let _ = writeln!(out, "  target: {}", one_line(s));
        }
    }
    for t in r.differing_tables() {
        let _ = writeln!(out, "table {}: {}", t.status.as_str(), table_line(t));
        if let Some(rows) = &t.rows {
            write_rows(&mut out, rows);
        }
    }
    for q in r.differing_sequences() {
        let name = if q.source == q.target {
            q.source.to_string()
        } else {
            format!("{} -> {}", q.source, q.target)
        };
        let value = |v: Option<i64>| v.map_or_else(|| "never used".to_string(), |v| v.to_string());
        let detail = match q.status {
            TableStatus::Differs => {
                format!(
                    " (last value {} in source, {} in target)",
                    value(q.source_value),
                    value(q.target_value)
                )
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "sequence {}: {name}{detail}", q.status.as_str());
    }
    if terminal && !r.tables.is_empty() {
        out.push_str(&summary_table(r));
        out.push('\n');
    }
    let differing = r.differing_tables().count();
    if r.is_clean() {
        let tables = if r.level >= Level::Counts {
            format!(", {} table(s) and {} sequence(s)", r.tables.len(), r.sequences.len())
        } else {
            String::new()
        };
        let _ = writeln!(out, "identical: structure{tables} match at level {}", r.level);
    } else {
        let _ = writeln!(
            out,
            "differences: {} object(s), {differing} of {} table(s), {} of {} sequence(s) at level {}",
            r.schema.len(),
            r.tables.len(),
            r.differing_sequences().count(),
            r.sequences.len(),
            r.level
        );
    }
    out
}

fn table_line(t: &TableResult) -> String {
    let mut s = if t.source == t.target {
        t.source.to_string()
    } else {
        format!("{} -> {}", t.source, t.target)
    };
    match &t.status {
        TableStatus::Incomparable => {
            let _ = write!(s, " ({})", t.reason.as_deref().unwrap_or("rows not compared"));
        }
        TableStatus::Missing | TableStatus::Extra => {}
        TableStatus::Match | TableStatus::Differs => {
            if let (Some(a), Some(b)) = (t.source_rows, t.target_rows) {
                if a == b {
                    let _ = write!(s, " ({a} rows on both sides, checksums differ)");
                } else {
                    let _ = write!(s, " ({a} rows in source, {b} in target)");
                }
            }
        }
    }
    s
}

fn write_rows(out: &mut String, rows: &RowDiffs) {
    match rows {
        RowDiffs::Keyed { key_columns, missing, extra, changed, truncated } => {
            for (what, keys) in [("missing", missing), ("extra", extra), ("changed", changed)] {
                for k in keys {
                    let _ = writeln!(out, "  {what} row {}", verify::format_key(key_columns, k));
                }
            }
            if *truncated {
                let _ = writeln!(out, "  … more rows differ (raise --row-limit to list them)");
            }
        }
        RowDiffs::Unkeyed { missing_rows, extra_rows, truncated } => {
            let at_least = if *truncated { "at least " } else { "" };
            let _ = writeln!(
                out,
                "  no primary key: {at_least}{missing_rows} row(s) only in source, \
                 {at_least}{extra_rows} row(s) only in target (a changed row counts as both)"
            );
        }
    }
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// All tables when there are few, otherwise only those that differ.
fn summary_table(r: &VerifyReport) -> String {
    let mut table = output::table(vec!["table", "source rows", "target rows", "status"]);
    let all = r.tables.len() <= 50;
    for t in r.tables.iter().filter(|t| all || t.status != TableStatus::Match) {
        let rows = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
        table.add_row(vec![
            Cell::new(&t.target),
            Cell::new(rows(t.source_rows)),
            Cell::new(rows(t.target_rows)),
            Cell::new(t.status.as_str()),
        ]);
    }
    table.to_string()
}
