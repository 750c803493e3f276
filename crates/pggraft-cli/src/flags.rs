//! The flags several commands share, each declared once (name, short form,
//! value name, env var, default, parsing) with the one function that turns
//! it into library values. A command flattens the groups it takes
//! (`#[command(flatten)]`). Where a shared flag means something narrower to
//! a command (verify's `--target` is the copy), the command rewords its
//! one-line help with `#[command(mut_arg(ID, reword("…")))]`, and a
//! constraint that ties a shared flag to a command's own (`migrate new -n`
//! requires `--from`) is added the same way; everything else about the flag
//! stays here. Flags only one command has stay in its `cmd/` module.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Arg, Args, ValueEnum};
use pggraft::conn::ConnSpec;
use pggraft::diff::{DiffOptions, Rename, Using};
use pggraft::rename::{Naming, SchemaArg};
use pggraft::select::{Filters, Pattern, TablePattern};

/// A shared flag's one-line help in a command's own words (no final
/// period, as clap drops it from doc comments).
pub fn reword(help: &'static str) -> impl FnOnce(Arg) -> Arg {
    move |a| a.help(help)
}

/// `--source` and `--target` (or `PGGRAFT_SOURCE` and `PGGRAFT_TARGET`).
#[derive(Args)]
pub struct ConnArgs {
    /// Source connection: a postgres:// URL, a libpq keyword string, or a name from pggraft.toml.
    #[arg(long, env = "PGGRAFT_SOURCE", hide_env_values = true, value_name = "CONN")]
    pub source: String,
    #[command(flatten)]
    pub target: TargetArg,
}

impl ConnArgs {
    /// Both connections, parsed (no I/O); an error names the flag.
    pub fn to_specs(&self) -> Result<(ConnSpec, ConnSpec)> {
        let source = conn_spec(&self.source).context("--source")?;
        Ok((source, self.target.to_spec()?))
    }
}

/// A connection as typed: a connection string, or the name of one in the
/// config file's `[connections]`.
pub fn conn_spec(value: &str) -> pggraft::Result<ConnSpec> {
    ConnSpec::parse(crate::config::resolve_connection(value))
}

/// `--source` when a command can find it elsewhere (refresh reads it from
/// the copy's record).
#[derive(Args)]
pub struct SourceOpt {
    /// Source connection: a postgres:// URL or a libpq keyword string.
    #[arg(long, env = "PGGRAFT_SOURCE", hide_env_values = true, value_name = "CONN")]
    pub source: Option<String>,
}

impl SourceOpt {
    pub fn to_spec(&self) -> Result<Option<ConnSpec>> {
        self.source.as_deref().map(|s| conn_spec(s).context("--source")).transpose()
    }
}

/// `--target` alone, for the commands that work on one database.
#[derive(Args)]
pub struct TargetArg {
    /// Target connection: a postgres:// URL, a libpq keyword string, or a name from pggraft.toml.
    #[arg(long, env = "PGGRAFT_TARGET", hide_env_values = true, value_name = "CONN")]
    pub target: String,
}

impl TargetArg {
    pub fn to_spec(&self) -> Result<ConnSpec> {
        conn_spec(&self.target).context("--target")
    }
}

/// Whether names inside the copied schemas are folded to lower case.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdentifierCase {
    /// Keep names as they are.
    Preserve,
    /// Fold table, column, constraint and index names to lower case.
    Lower,
}

impl IdentifierCase {
    /// `--identifier-case` for a command that checks a copy: the values
    /// describe what the clone did.
    pub fn of_the_copy(help: &'static str) -> impl FnOnce(Arg) -> Arg {
        move |a| {
            let values = PossibleValuesParser::new([
                PossibleValue::new("preserve").help("Names are copied as they are"),
                PossibleValue::new("lower")
                    .help("Names inside the copied schemas were folded to lower case"),
            ]);
            let parser = values.map(|v| match v.as_str() {
                "lower" => IdentifierCase::Lower,
                _ => IdentifierCase::Preserve,
            });
            a.help(help).value_parser(parser)
        }
    }
}

/// Which source schemas, and their names in the target: `-n SRC[=DST]`,
/// `--schema-template`, `--identifier-case`. Clone names a copy with them;
/// verify and sync-schema find it by the same flags.
#[derive(Args)]
pub struct NamingArgs {
    /// Schema to copy, optionally renamed (SRC or SRC=DST); repeatable (default: all user schemas).
    #[arg(short = 'n', long = "schema", value_name = "SRC[=DST]")]
    pub schemas: Vec<String>,
    /// Derive target schema names, e.g. 'dw__{database}__{schema}'.
    #[arg(long, value_name = "T")]
    pub schema_template: Option<String>,
    /// Fold table, column, constraint and index names to lower case on the way.
    #[arg(long, value_enum, default_value = "preserve")]
    pub identifier_case: IdentifierCase,
}

impl NamingArgs {
    /// The library's naming rule; an error quotes the malformed `-n`.
    pub fn to_naming(&self) -> Result<Naming> {
        let schemas =
            self.schemas.iter().map(|s| SchemaArg::parse(s)).collect::<pggraft::Result<_>>()?;
        Ok(Naming {
            schemas,
            template: self.schema_template.clone(),
            lower_case: self.identifier_case == IdentifierCase::Lower,
        })
    }
}

/// `-n FROM[=TO]`: the schemas the two sides of a diff compare.
#[derive(Args)]
pub struct SchemaPairArgs {
    /// Schema to compare, FROM_SCHEMA or FROM_SCHEMA=TO_SCHEMA; repeatable (default: all).
    #[arg(short = 'n', long = "schema", value_name = "FROM[=TO]")]
    pub schemas: Vec<String>,
}

impl SchemaPairArgs {
    pub fn to_pairs(&self) -> Result<Vec<SchemaArg>> {
        Ok(self.schemas.iter().map(|s| SchemaArg::parse(s)).collect::<pggraft::Result<_>>()?)
    }
}

/// `-t` and `-T`: which tables.
#[derive(Args)]
pub struct TableArgs {
    /// Only tables matching this pattern (NAME or SCHEMA.NAME, * and ?); repeatable.
    #[arg(short = 't', long = "table", value_name = "PATTERN")]
    pub tables: Vec<String>,
    /// Leave out tables matching this pattern, with what depends on them; repeatable.
    #[arg(short = 'T', long = "exclude-table", value_name = "PATTERN")]
    pub exclude_tables: Vec<String>,
}

impl TableArgs {
    /// The table patterns (the other fields empty).
    pub fn to_filters(&self) -> Filters {
        Filters {
            include_tables: table_patterns(&self.tables),
            exclude_tables: table_patterns(&self.exclude_tables),
            ..Filters::default()
        }
    }
}

/// What a clone leaves out: `-N`, `-t`, `-T`, `--exclude-table-data`, and
/// the same lists from a `--filters` file.
#[derive(Args)]
pub struct FilterArgs {
    /// Schema to leave out (names as stored, * and ?); repeatable.
    #[arg(short = 'N', long = "exclude-schema", value_name = "PATTERN")]
    pub exclude_schemas: Vec<String>,
    #[command(flatten)]
    pub tables: TableArgs,
    /// Create these tables but copy none of their rows; repeatable.
    #[arg(long, value_name = "PATTERN")]
    pub exclude_table_data: Vec<String>,
    /// Read filters from a pgcopydb-style INI file.
    #[arg(long, value_name = "FILE.ini")]
    pub filters: Option<PathBuf>,
}

impl FilterArgs {
    /// The flags' lists followed by the `--filters` file's (read here).
    /// The file's `[include-only-schema]` entries are in `include_schemas`.
    pub fn to_filters(&self) -> Result<Filters> {
        let mut f = self.tables.to_filters();
        f.exclude_schemas = self.exclude_schemas.iter().map(Pattern::new).collect();
        f.exclude_table_data = table_patterns(&self.exclude_table_data);
        if let Some(path) = &self.filters {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let file = Filters::parse(&text).with_context(|| format!("in {}", path.display()))?;
            f.include_schemas.extend(file.include_schemas);
            f.exclude_schemas.extend(file.exclude_schemas);
            f.include_tables.extend(file.include_tables);
            f.exclude_tables.extend(file.exclude_tables);
            f.exclude_table_data.extend(file.exclude_table_data);
        }
        Ok(f)
    }
}

/// `--no-owner`, `--no-acl`, `--no-comments`: what a clone leaves out, and
/// so what verify and sync-schema must not count or add back.
#[derive(Args)]
pub struct OmitArgs {
    /// Do not set owners (objects belong to the connecting role).
    #[arg(long)]
    pub no_owner: bool,
    /// Do not copy privileges (GRANT/REVOKE).
    #[arg(long)]
    pub no_acl: bool,
    /// Do not copy comments.
    #[arg(long)]
    pub no_comments: bool,
}

/// pg_dump's switches for what pggraft always leaves out: given, the clone
/// leaves them out without naming them in its report.
#[derive(Args)]
pub struct LeaveOutArgs {
    /// Leave out tablespaces without a warning (always: copies go to the target's default).
    #[arg(long)]
    pub no_tablespaces: bool,
    /// Leave out publications of copied tables without a warning (always left out).
    #[arg(long)]
    pub no_publications: bool,
    /// Leave out security labels without a warning (always left out).
    #[arg(long)]
    pub no_security_labels: bool,
    /// Leave out subscriptions without a warning (always left out).
    #[arg(long)]
    pub no_subscriptions: bool,
}

impl LeaveOutArgs {
    /// The kinds the user acknowledged leaving out.
    pub fn kinds(&self) -> Vec<pggraft::catalog::UnmodelledKind> {
        use pggraft::catalog::UnmodelledKind as K;
        let mut out = vec![];
        if self.no_tablespaces {
            out.extend([K::Tablespace, K::DatabaseTablespace]);
        }
        if self.no_publications {
            out.push(K::Publication);
        }
        if self.no_security_labels {
            out.push(K::SecurityLabels);
        }
        if self.no_subscriptions {
            out.push(K::Subscription);
        }
        out
    }
}

impl OmitArgs {
    /// `(owners, privileges, comments)`: whether each is copied (compared).
    pub fn kept(&self) -> (bool, bool, bool) {
        (!self.no_owner, !self.no_acl, !self.no_comments)
    }
}

/// `--online`: statements safe to run on a busy database.
#[derive(Args)]
pub struct OnlineArg {
    /// Online-safe statements: CONCURRENTLY, NOT VALID + VALIDATE, lock_timeout.
    #[arg(long)]
    pub online: bool,
}

impl OnlineArg {
    pub fn to_diff_options(&self) -> DiffOptions {
        DiffOptions { online: self.online, ..DiffOptions::default() }
    }
}

/// What the user tells a diff that the catalogs cannot: `--using` and
/// `--down-using` (how a column's values reach a new type when PostgreSQL
/// has no cast, or the one it has is not what is meant) and `--rename`.
#[derive(Args)]
pub struct HintArgs {
    /// USING expression for a column's type change, FROM to TO: '[SCHEMA.]TABLE.COLUMN=EXPR'; repeatable.
    #[arg(long = "using", value_name = "TABLE.COLUMN=EXPR")]
    pub using: Vec<String>,
    /// The same for the way back, TO to FROM (the down migration); repeatable.
    #[arg(long = "down-using", value_name = "TABLE.COLUMN=EXPR")]
    pub down_using: Vec<String>,
    /// A table or column renamed from FROM to TO: '[SCHEMA.]TABLE=NEW' or '[SCHEMA.]TABLE.COLUMN=NEW'; repeatable.
    #[arg(long = "rename", value_name = "OLD=NEW")]
    pub rename: Vec<String>,
}

impl HintArgs {
    /// Adds the hints to `opts`; an error quotes the malformed flag.
    pub fn apply(&self, opts: &mut DiffOptions) -> Result<()> {
        for r in &self.rename {
            opts.renames.push(Rename::parse(r)?);
        }
        for u in &self.using {
            opts.using.push(Using::parse(u)?);
        }
        for u in &self.down_using {
            opts.down_using.push(Using::parse(u)?);
        }
        Ok(())
    }
}

/// `--json`: the command's report as JSON on stdout, in the versioned shape
/// docs/json.md documents; exit codes stay as they are.
#[derive(Args)]
pub struct JsonArg {
    /// Print the report as JSON on stdout (its shape: docs/json.md).
    #[arg(long)]
    pub json: bool,
}

/// `--format` and `-o`: what a command that prints a schema or a migration
/// writes, and where.
#[derive(Args)]
pub struct OutputArgs {
    /// Output format: sql, json, or a picture, dot (Graphviz) or mermaid.
    #[arg(long, value_enum, default_value = "sql")]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

// No doc comments on the values: clap would list them in --help.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Sql,
    Json,
    Dot,
    Mermaid,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sql => "sql",
            Format::Json => "json",
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
        }
    }
}

impl OutputArgs {
    /// Writes `text` to the `-o` file, or to stdout.
    pub fn write(&self, text: &str) -> Result<()> {
        crate::output::write_out(self.output.as_deref(), text)
    }
}

fn table_patterns(list: &[String]) -> Vec<TablePattern> {
    list.iter().map(|p| TablePattern::parse(p)).collect()
}
