//! The diff's state and its entry point.
//!
//! Every object key of FROM and TO is classified: created, dropped, altered
//! in place, or recreated (drop + create, when PostgreSQL cannot alter it).
//! Recreating an object recreates what depends on it (a view over a view
//! whose columns change), and so does changing a column's type (views,
//! policies, triggers and rules over the table). Each decision becomes a
//! node — drop, alter, create, meta — in one dependency graph: dependents
//! are dropped before what they depend on, an alter that stops using an
//! object runs before that object is dropped, and creations follow what
//! they need. [`crate::plan::order_positions`] sorts the graph.
//!
//! This file owns the [`Diff`] state shared by the passes and runs them in
//! order; the passes live beside it: [`super::classify`] decides,
//! [`super::alter`] writes in-place changes per object kind,
//! [`super::meta`] owners, privileges and comments, [`super::statements`]
//! the drops and creations, and [`super::assemble`] orders the result.

use std::collections::{BTreeMap, BTreeSet};

use super::objects::{Obj, objects};
use super::{Change, DiffOptions, Hazard, HazardKind, Migration};
use crate::catalog::model::*;
use crate::ddl::render::{RenderOptions, render};
use crate::error::{Error, NeededConversion, NoUpdatePath, Result};
use crate::plan::Stmt;

/// The action of a column dropped from a table that stays: a step of its
/// own in the plan (see [`super::assemble`]).
pub(super) const DROP_COLUMN: &str = "drop column";

/// The action of a table taken off its partition or inheritance parent
/// (`DETACH PARTITION`, `NO INHERIT`): a step of its own when the parent is
/// rebuilt (see [`super::assemble`]).
pub(super) const DETACH: &str = "detach";

pub(super) fn change(sql: impl Into<String>, object: &str, action: &str) -> Change {
    Change {
        sql: sql.into(),
        object: object.to_string(),
        action: action.to_string(),
        hazards: vec![],
        transactional: true,
    }
}

pub(super) fn hazard(mut c: Change, kind: HazardKind, detail: impl Into<String>) -> Change {
    c.hazards.push(Hazard { kind, detail: detail.into() });
    c
}

/// What the passes decide, and what they read: both models and their
/// objects by key.
pub(super) struct Diff<'a> {
    pub(super) from: &'a Catalog,
    pub(super) to: &'a Catalog,
    pub(super) fo: BTreeMap<String, Obj<'a>>,
    pub(super) tobj: BTreeMap<String, Obj<'a>>,
    pub(super) opts: &'a DiffOptions,
    /// Rendered TO statements by object key (creation SQL).
    pub(super) created_sql: BTreeMap<String, Vec<Stmt>>,
    pub(super) drops: BTreeSet<String>,
    pub(super) creates: BTreeSet<String>,
    pub(super) alters: BTreeMap<String, Vec<Change>>,
    pub(super) metas: BTreeMap<String, Vec<Change>>,
    /// Drops that happen implicitly (with their table, column or parent).
    pub(super) implicit_drops: BTreeSet<String>,
    /// Columns dropped, per table key.
    pub(super) dropped_columns: BTreeMap<String, BTreeSet<String>>,
    /// Tables whose column types change (their dependents are recreated).
    pub(super) retyped: BTreeSet<String>,
    /// Columns that stay but are retyped or dropped and added back (a
    /// generated column), per table key: what mentions them is recreated.
    pub(super) reworked_columns: BTreeMap<String, BTreeSet<String>>,
    /// Types and collations rebuilt under a new name (all their dependents
    /// but tables are recreated).
    pub(super) rebuilt: BTreeSet<String>,
    /// Alters that must run after the column drops of tables (a type
    /// rebuilt aside after the drop of a column of that type).
    pub(super) after_column_drops: BTreeMap<String, BTreeSet<String>>,
    /// Tables rebuilt with their rows (their partitioning changes), and
    /// the statements that copy them (see [`super::rebuild`]).
    pub(super) rebuilt_tables: BTreeSet<String>,
    pub(super) copies: BTreeMap<String, Vec<Change>>,
    /// Tables renamed aside where they would be dropped: rebuilt tables
    /// and the partitions of theirs that TO keeps.
    pub(super) set_aside: BTreeSet<String>,
    /// Partitions of rebuilt tables that TO does not have: dropped with
    /// the old parent, after its rows are copied.
    pub(super) gone_with_rebuild: BTreeSet<String>,
    /// Children of rebuilt tables that change how they hang under them (an
    /// inheritance child becoming a partition, or the reverse): they keep
    /// their rows, detached from the old table before it is set aside and
    /// attached to the new one after it is created.
    pub(super) converted: BTreeSet<String>,
    /// Alters that must run after the creation of other keys (a
    /// partition's key attached to its parent's new one).
    pub(super) alter_after_creates: BTreeMap<String, BTreeSet<String>>,
    /// Defaults of the columns a rebuild converts: the rebuild takes them
    /// off and puts TO's back itself.
    pub(super) rebuild_defaults: BTreeSet<String>,
    pub(super) warnings: Vec<String>,
    /// Type changes with no cast, no known conversion and no `--using`.
    pub(super) needed: Vec<NeededConversion>,
    /// Extensions going down to a version with no update path, used by
    /// tables (the diff stops), and all those going down (recreated).
    pub(super) no_update_path: Vec<NoUpdatePath>,
    pub(super) downgraded: BTreeSet<String>,
}

/// The statements that make FROM equal to TO.
pub fn diff(from: &Catalog, to: &Catalog, opts: &DiffOptions) -> Result<Migration> {
    let mut created_sql: BTreeMap<String, Vec<Stmt>> = BTreeMap::new();
    for s in render(to, &RenderOptions::default()) {
        created_sql.entry(s.object.clone()).or_default().push(s);
    }
    let mut d = Diff {
        from,
        to,
        fo: objects(from),
        tobj: objects(to),
        opts,
        created_sql,
        drops: BTreeSet::new(),
        creates: BTreeSet::new(),
        alters: BTreeMap::new(),
        metas: BTreeMap::new(),
        implicit_drops: BTreeSet::new(),
        dropped_columns: BTreeMap::new(),
        retyped: BTreeSet::new(),
        reworked_columns: BTreeMap::new(),
        rebuilt: BTreeSet::new(),
        after_column_drops: BTreeMap::new(),
        rebuild_defaults: BTreeSet::new(),
        alter_after_creates: BTreeMap::new(),
        rebuilt_tables: BTreeSet::new(),
        copies: BTreeMap::new(),
        set_aside: BTreeSet::new(),
        gone_with_rebuild: BTreeSet::new(),
        converted: BTreeSet::new(),
        warnings: vec![],
        needed: vec![],
        no_update_path: vec![],
        downgraded: BTreeSet::new(),
    };
    d.classify();
    d.expand_rebuilds();
    for k in d.rebuilt_tables.clone() {
        let copy = d.copy_rows(&k);
        d.copies.insert(k, copy);
    }
    if !d.needed.is_empty() {
        return Err(Error::ConversionNeeded { columns: d.needed });
    }
    if !d.no_update_path.is_empty() {
        return Err(Error::NoUpdatePath { extensions: d.no_update_path });
    }
    for u in &opts.using {
        let used = from.tables.iter().any(|t| {
            to.table(&t.name).is_some_and(|tt| {
                t.columns.iter().any(|c| {
                    u.matches(&t.name, &c.name)
                        && tt.columns.iter().any(|x| x.name == c.name && x.type_name != c.type_name)
                })
            })
        });
        if !used {
            d.warnings.push(format!(
                "--using {}: no column of that name changes its type; the hint is not used",
                u.path()
            ));
        }
    }
    d.recreate_dependents();
    d.mark_implicit_drops();
    // A snapshot holds no secrets, and a script shows none: a created object with one (a user
    // mapping's password) is written with the placeholder.
    for k in &d.creates {
        if d.created_sql.get(k).is_some_and(|stmts| stmts.iter().any(|s| s.exec.is_some())) {
            d.warnings.push(format!(
                "{k}: a secret option (a password) is written as '{}'; set its value by hand",
                crate::catalog::model::SECRET_PLACEHOLDER
            ));
        }
    }
    Ok(d.assemble())
}
