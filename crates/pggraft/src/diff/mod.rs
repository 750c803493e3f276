//! `diff`: the statements that turn one catalog model (FROM) into another
//! (TO), ordered by an explicit dependency graph, with hazards called out.
//! [`objects`] says what each key names and how it compares; [`engine`]
//! holds the state and runs the passes: [`classify`] decides what is
//! created, dropped, altered or recreated, [`alter`] and [`meta`] write the
//! in-place changes, [`statements`] the drops and creations, and
//! [`assemble`] orders them. Loading FROM and TO (connections, snapshots,
//! DDL files) is [`source`]'s, for the caller.

mod alter;
mod assemble;
mod classify;
mod engine;
pub mod hints;
mod meta;
mod objects;
mod rebuild;
mod renames;
pub mod scope;
pub mod source;
mod statements;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::Result;
pub use hints::{Rename, Using};

/// What can go wrong when a statement runs on a live database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HazardKind {
    /// Rows or columns are dropped, or values may not survive a type change.
    DataLoss,
    /// The table is rewritten (time and disk proportional to its size).
    TableRewrite,
    /// An ACCESS EXCLUSIVE lock is held while the table is scanned or rewritten.
    AccessExclusiveLock,
    /// An index build blocks writes to the table.
    IndexBuild,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hazard {
    pub kind: HazardKind,
    pub detail: String,
}

/// One migration statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub sql: String,
    /// The object key it concerns.
    pub object: String,
    /// `create`, `drop`, `alter`, …
    pub action: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hazards: Vec<Hazard>,
    /// False for statements that cannot run in a transaction block
    /// (`CREATE INDEX CONCURRENTLY`, `ALTER TYPE … ADD VALUE` before PG 12 …).
    pub transactional: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffOptions {
    /// Online-safe statements: CONCURRENTLY, NOT VALID + VALIDATE,
    /// lock_timeout.
    pub online: bool,
    /// `USING` expressions for column type changes from FROM to TO
    /// (`--using`).
    pub using: Vec<Using>,
    /// The same for the way back, TO to FROM (`--down-using`): what
    /// [`DiffOptions::reversed`] uses.
    pub down_using: Vec<Using>,
    /// Tables and columns renamed from FROM to TO (`--rename`): `ALTER …
    /// RENAME` instead of a drop and a create.
    pub renames: Vec<Rename>,
    /// The renames are written FROM to TO but this diff goes TO to FROM
    /// (set by [`DiffOptions::reversed`]).
    pub renames_reversed: bool,
}

impl DiffOptions {
    /// The options of the migration back (TO to FROM).
    pub fn reversed(&self) -> DiffOptions {
        DiffOptions {
            online: self.online,
            using: self.down_using.clone(),
            down_using: self.using.clone(),
            renames: self.renames.clone(),
            renames_reversed: !self.renames_reversed,
        }
    }
}

/// The ordered statements from FROM to TO.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Migration {
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Migration {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Every hazard of the migration, in order.
    pub fn hazards(&self) -> impl Iterator<Item = &Hazard> {
        self.changes.iter().flat_map(|c| c.hazards.iter())
    }

    /// The migration as a SQL script: hazards and statements that cannot
    /// run inside a transaction block are called out in comments.
    pub fn script(&self) -> String {
        // Function bodies are checked when first run, not when created: the
        // objects they use may come later in the script (as in pg_dump).
        let mut s = String::from("SET check_function_bodies = false;\n");
        for w in &self.warnings {
            s.push_str(&format!("-- warning: {w}\n"));
        }
        for c in &self.changes {
            for h in &c.hazards {
                s.push_str(&format!("-- hazard {}: {}\n", h.kind.as_str(), h.detail));
            }
            if !c.transactional {
                s.push_str("-- not in a transaction block\n");
            }
            s.push_str(&c.sql);
            s.push_str(";\n");
        }
        s
    }
}

impl HazardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HazardKind::DataLoss => "data-loss",
            HazardKind::TableRewrite => "table-rewrite",
            HazardKind::AccessExclusiveLock => "access-exclusive-lock",
            HazardKind::IndexBuild => "index-build",
        }
    }

    pub fn parse(text: &str) -> Option<HazardKind> {
        [
            HazardKind::DataLoss,
            HazardKind::TableRewrite,
            HazardKind::AccessExclusiveLock,
            HazardKind::IndexBuild,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// The statements that make FROM equal to TO. Both models must use the same
/// schema names (rename one first for `-n dev=prod`).
pub fn diff(from: &Catalog, to: &Catalog, opts: &DiffOptions) -> Result<Migration> {
    if opts.renames.is_empty() {
        return engine::diff(from, to, opts);
    }
    // The renames run first; the rest is the diff from FROM as it is then.
    let resolved = renames::resolve(opts, from, to)?;
    let (renamed, follow) = renames::apply(from, to, &resolved);
    let mut m = engine::diff(&renamed, to, opts)?;
    let mut changes = renames::statements(&resolved);
    changes.extend(follow);
    changes.append(&mut m.changes);
    m.changes = changes;
    Ok(m)
}
