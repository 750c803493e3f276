//! `sync-schema`: bring a renamed copy's structure up to date after its
//! source changed.
//!
//! The source's schemas are read and renamed into the copy's names exactly
//! as `clone` names them ([`crate::rename::Naming`]: `-n SRC=DST`, a
//! template, identifier case), the copy's schemas are read, and the diff
//! from the copy to the renamed source is the update. It is printed,
//! written as a migration, or applied like one (recorded in the history as
//! a `sync` row, which has no file). Only structure moves; rows stay.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::files::{Header, NewFiles, next_version, render, sanitize_name, write_new};
use super::history::{History, Kind, Lock};
use super::run::{Action, Applied, Record, run_statements};
use super::script::split_statements;
use crate::catalog::read_catalog;
use crate::catalog::respell::{differing, respell_both};
use crate::catalog::versions::{express_for, major};
use crate::catalog::{Catalog, key};
use crate::clone::filter::{exclude_from_copy, exclude_relations, source_names};
use crate::conn::ConnSpec;
use crate::conn::prepare_session;
use crate::diff::{DiffOptions, Migration, diff};
use crate::error::{Error, Result};
use crate::rename::{Naming, register_extension_members, register_names, rename_catalog};
use crate::select::{Pattern, SchemaFilter, TableFilter};

/// Validated options for `sync-schema`.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub source: ConnSpec,
    /// The database holding the copy.
    pub target: ConnSpec,
    /// How the copy was named (as given to `clone`).
    pub naming: Naming,
    /// What the copy left out, as given to `clone`: schemas (`-N`), tables
    /// (`-t`/`-T`, with what depends on them) — neither is added to the
    /// copy nor dropped from it — and owners, privileges and comments
    /// (neither set nor changed).
    pub exclude_schemas: Vec<Pattern>,
    pub tables: TableFilter,
    pub owners: bool,
    pub privileges: bool,
    pub comments: bool,
    /// Online-safe statements.
    pub online: bool,
}

impl SyncOptions {
    /// A copy named by `naming` that left nothing out; offline statements.
    pub fn new(source: ConnSpec, target: ConnSpec, naming: Naming) -> SyncOptions {
        SyncOptions {
            source,
            target,
            naming,
            exclude_schemas: vec![],
            tables: TableFilter::default(),
            owners: true,
            privileges: true,
            comments: true,
            online: false,
        }
    }

    /// Drops the statements about what the copy left out (owners,
    /// privileges, comments), both of changed objects and of new ones.
    fn keep(&self, m: &mut Migration) {
        m.changes.retain(|c| match c.action.as_str() {
            "owner" => self.owners,
            "privileges" => self.privileges,
            "comment" => self.comments,
            _ => true,
        });
    }
}

/// The update, both ways.
#[derive(Debug, Clone)]
pub struct SyncScript {
    /// Source schema → copy schema.
    pub schemas: BTreeMap<String, String>,
    /// Copy → source's structure.
    pub up: Migration,
    /// Back again.
    pub down: Migration,
    pub header: Header,
    /// References the rename could not rewrite safely.
    pub warnings: Vec<String>,
}

impl SyncScript {
    pub fn is_empty(&self) -> bool {
        self.up.is_empty()
    }

    /// `sync_<copy schema>[_<copy schema>…]`, as a migration name.
    pub fn name(&self) -> String {
        let dst: Vec<&str> = self.schemas.values().map(String::as_str).collect();
        sanitize_name(&format!("sync_{}", dst.join("_"))).unwrap_or_else(|_| "sync".into())
    }

    /// The update as a migration file's text (header included).
    pub fn script(&self) -> String {
        render(&self.name(), "up", &self.up, &self.header)
    }
}

/// Reads both sides and diffs them (changes nothing).
pub async fn prepare_sync(opts: &SyncOptions) -> Result<SyncScript> {
    let filter =
        SchemaFilter { include: opts.naming.patterns(), exclude: opts.exclude_schemas.clone() };
    let mut source = read_catalog(&opts.source, &filter).await?;
    if source.schemas.is_empty() {
        return Err(Error::input(format!(
            "no schemas to sync in database {:?}; name them with -n",
            source.database
        )));
    }
    let found: Vec<String> = source.schemas.iter().map(|s| s.name.clone()).collect();
    let map = opts.naming.resolve(&source.database, &found)?;
    if opts.source.same_database(&opts.target)
        && let Some((s, _)) = map.iter().find(|(s, d)| s == d)
    {
        return Err(Error::input(format!(
            "schema {s:?} would be synced onto itself; name the copy with -n {s}=COPY or \
             --schema-template, as it was named for clone"
        )));
    }
    let mut names = opts.naming.name_map(map.clone());
    register_names(&source, &mut names)?;
    if !opts.source.same_database(&opts.target) {
        // As clone made it: the copied schemas' extensions live in the copies.
        register_extension_members(&source, &mut names);
    }
    // What clone left out stays out, on both sides.
    let back = source_names(&source, &names);
    let mut warnings = exclude_relations(&mut source, &opts.tables)?;
    let (mut renamed, rename_warnings) = rename_catalog(&source, &names, &names);
    warnings.extend(rename_warnings);
    let mut copy = read_catalog(&opts.target, &SchemaFilter::only(map.values().cloned()))
        .await
        .map_err(|e| match e {
            Error::Input(m) => Error::Input(format!(
                "{m}; sync-schema updates an existing copy: make it first with `pggraft clone` \
                 (with the same -n, --schema-template and --identifier-case)"
            )),
            other => other,
        })?;
    exclude_from_copy(&mut copy, &opts.tables, &back, &map);
    keep_copy_extensions(&mut renamed, &copy);
    if major(renamed.server_version) != major(copy.server_version) {
        warnings.extend(express_for(&mut renamed, copy.server_version));
    }
    // Definitions the copy's server spells otherwise are not changes to make.
    if !differing(&renamed, &copy).is_empty() {
        let c = opts.target.connect().await?;
        prepare_session(&c).await?;
        respell_both(&c, &mut renamed, &mut copy).await?;
    }
    let diff_opts = DiffOptions { online: opts.online, ..DiffOptions::default() };
    let mut up = diff(&copy, &renamed, &diff_opts)?;
    let mut down = diff(&renamed, &copy, &diff_opts)?;
    opts.keep(&mut up);
    opts.keep(&mut down);
    let header = Header {
        source: opts.source.redacted(),
        target: opts.target.redacted(),
        schemas: map.iter().map(|(s, d)| format!("{s}={d}")).collect(),
        online: opts.online,
        ..Header::default()
    };
    Ok(SyncScript { schemas: map, up, down, header, warnings })
}

/// Extensions are database-wide: the copy's database keeps the ones it
/// has, and gains only those the source's objects use.
fn keep_copy_extensions(renamed: &mut Catalog, copy: &Catalog) {
    let used: BTreeSet<&String> = renamed.depends.values().flatten().collect();
    let have: BTreeSet<&str> = copy.extensions.iter().map(|e| e.name.as_str()).collect();
    let needed: Vec<_> = renamed
        .extensions
        .iter()
        .filter(|e| !have.contains(e.name.as_str()) && used.contains(&key::extension(&e.name)))
        .cloned()
        .collect();
    renamed.extensions = copy.extensions.iter().cloned().chain(needed).collect();
}

/// Writes the update as a new migration in `dir` (its down is the reverse
/// diff).
pub fn write_sync(dir: &Path, plan: &SyncScript) -> Result<NewFiles> {
    write_new(dir, &plan.name(), &plan.up, &plan.down, &plan.header)
}

/// Applies the update to the copy as a migration would run, holding the
/// migration lock, and records it in `pggraft.migrations` (kind `sync`,
/// named [`SyncScript::name`], checksum of [`SyncScript::script`]).
pub async fn apply_sync(target: &ConnSpec, plan: &SyncScript) -> Result<Applied> {
    let lock = Lock::acquire(target).await?;
    History::ensure(lock.client()).await?;
    let history = History::read(lock.client()).await?;
    let version = next_version(history.newest());
    let name = plan.name();
    let script = plan.script();
    let checksum = super::checksum(script.as_bytes());
    let statements = split_statements(&script);
    let record =
        Record::Insert { version: &version, name: &name, checksum: &checksum, kind: Kind::Sync };
    let ran =
        run_statements(target, &format!("sync-schema {name}"), &statements, record, None).await?;
    let (duration_ms, transactional) = (ran.duration_ms, ran.transactional);
    lock.release().await?;
    Ok(Applied {
        version,
        name,
        action: Action::Up,
        duration_ms,
        statements: statements.len(),
        transactional,
        earlier: 0,
    })
}
