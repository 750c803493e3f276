//! The diff algorithm.
//!
//! Every object key of FROM and TO is classified: created, dropped, altered
//! in place, or recreated (drop + create, when PostgreSQL cannot alter it).
//! Recreating an object recreates what depends on it (a view over a view
//! whose columns change), and so does changing a column's type (views,
//! policies, triggers and rules over the table). Each decision becomes a
//! node — `drop:K`, `alter:K`, `create:K`, `meta:K` — in one dependency
//! graph: dependents are dropped before what they depend on, an alter that
//! stops using an object runs before that object is dropped, and creations
//! follow what they need. [`crate::plan::order`] sorts the graph.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::objects::{Obj, objects};
use super::{Change, DiffOptions, Hazard, HazardKind, Migration};
use crate::catalog::model::*;
use crate::ddl::render::{
    self as render, RenderOptions, acl_statements, column_sql, grantee, render, storage_word,
    with_options,
};
use crate::error::Result;
use crate::plan::{Section, Stmt};
use crate::sql::{QualifiedName, ident, literal};

const DROP: u16 = 10;
const ALTER: u16 = 20;
const CREATE: u16 = 30;
const META: u16 = 40;
/// Default privileges come after everything else, as in a rendered script:
/// applied earlier, they would add grants to the objects created after them.
const DEFAULT_PRIVILEGES: u16 = 50;

fn change(sql: impl Into<String>, object: &str, action: &str) -> Change {
    Change {
        sql: sql.into(),
        object: object.to_string(),
        action: action.to_string(),
        hazards: vec![],
        transactional: true,
    }
}

fn hazard(mut c: Change, kind: HazardKind, detail: impl Into<String>) -> Change {
    c.hazards.push(Hazard { kind, detail: detail.into() });
    c
}

struct Diff<'a> {
    from: &'a Catalog,
    to: &'a Catalog,
    fo: BTreeMap<String, Obj<'a>>,
    tobj: BTreeMap<String, Obj<'a>>,
    opts: &'a DiffOptions,
    /// Rendered TO statements by object key (creation SQL).
    created_sql: BTreeMap<String, Vec<Stmt>>,
    drops: BTreeSet<String>,
    creates: BTreeSet<String>,
    alters: BTreeMap<String, Vec<Change>>,
    metas: BTreeMap<String, Vec<Change>>,
    /// Drops that happen implicitly (with their table, column or parent).
    implicit_drops: BTreeSet<String>,
    /// Columns dropped, per table key.
    dropped_columns: BTreeMap<String, BTreeSet<String>>,
    /// Tables whose column types change (their dependents are recreated).
    retyped: BTreeSet<String>,
    /// Types and collations rebuilt under a new name (all their dependents
    /// but tables are recreated).
    rebuilt: BTreeSet<String>,
    warnings: Vec<String>,
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
        rebuilt: BTreeSet::new(),
        warnings: vec![],
    };
    d.classify();
    d.recreate_dependents();
    d.mark_implicit_drops();
    Ok(d.assemble())
}

impl<'a> Diff<'a> {
    fn classify(&mut self) {
        let keys: BTreeSet<String> = self.fo.keys().chain(self.tobj.keys()).cloned().collect();
        for k in keys {
            match (self.fo.get(&k).copied(), self.tobj.get(&k).copied()) {
                (Some(_), None) => {
                    self.drops.insert(k);
                }
                (None, Some(_)) => {
                    self.creates.insert(k);
                }
                (Some(f), Some(t)) => {
                    if f.kind() != t.kind() {
                        self.recreate(&k);
                        continue;
                    }
                    if f.definition() != t.definition() {
                        match self.alter(&k, f, t) {
                            Some(changes) => {
                                self.alters.insert(k.clone(), changes);
                            }
                            None => {
                                self.recreate(&k);
                                continue;
                            }
                        }
                    }
                    if f.metadata() != t.metadata() {
                        let m = self.meta(&k, f, t);
                        if !m.is_empty() {
                            self.metas.insert(k, m);
                        }
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn recreate(&mut self, k: &str) {
        self.drops.insert(k.to_string());
        self.creates.insert(k.to_string());
        self.alters.remove(k);
        self.metas.remove(k);
    }

    /// Objects depending (in FROM) on recreated objects are recreated too;
    /// so are views, policies, triggers and rules over tables whose column
    /// types change. Tables are never recreated this way (their data).
    fn recreate_dependents(&mut self) {
        let mut rdeps: HashMap<&String, Vec<&String>> = HashMap::new();
        for (k, deps) in &self.from.depends {
            for d in deps {
                rdeps.entry(d).or_default().push(k);
            }
        }
        // What depended on a dropped or recreated object must be recreated
        // (an FK over a dropped unique key references TO's key instead).
        let mut stack: Vec<String> = self.drops.iter().cloned().collect();
        stack.extend(self.retyped.iter().cloned());
        stack.extend(self.rebuilt.iter().cloned());
        let mut seen: BTreeSet<String> = stack.iter().cloned().collect();
        while let Some(k) = stack.pop() {
            let retyped_table = self.retyped.contains(&k);
            for dep in rdeps.get(&k).into_iter().flatten() {
                let Some(obj) = self.fo.get(*dep).copied() else { continue };
                if retyped_table
                    && !matches!(
                        obj,
                        Obj::View(_) | Obj::Policy(..) | Obj::Trigger(_) | Obj::Rule(_)
                    )
                {
                    continue;
                }
                if let Obj::Sequence(_) = obj {
                    // Sequences keep their values: altered, never recreated.
                    continue;
                }
                if let Obj::Table(t) = obj {
                    // A table over a recreated object (a column of a
                    // recreated type): PostgreSQL would need CASCADE, which
                    // drops data. Say so instead of doing it.
                    if !self.drops.contains(*dep)
                        && !self.rebuilt.contains(&k)
                        && self.creates.contains(&k)
                    {
                        self.warnings.push(format!(
                            "{} depends on {k}, which must be recreated; recreate or alter the table by hand",
                            t.name
                        ));
                    }
                    continue;
                }
                if seen.insert((*dep).clone()) {
                    if self.tobj.contains_key(*dep) {
                        self.recreate(dep);
                    } else {
                        self.drops.insert((*dep).clone());
                    }
                    stack.push((*dep).clone());
                }
            }
        }
    }

    /// Sub-objects that go away with their table, column or parent need no
    /// statement of their own.
    fn mark_implicit_drops(&mut self) {
        for k in &self.drops {
            let Some(obj) = self.fo.get(k) else { continue };
            // Foreign keys are dropped explicitly even with their table: two
            // dropped tables referencing each other need it.
            let is_fk = matches!(obj, Obj::Constraint(_, c) if c.kind == "f" && !c.has_parent);
            let table_dropped =
                !is_fk && obj.table().is_some_and(|t| self.drops.contains(&key::relation(t)));
            let implicit = table_dropped
                || match obj {
                    Obj::Constraint(_, c) => {
                        c.has_parent
                            || !c.is_local && c.kind == "c"
                            || c.index_parent.as_ref().is_some_and(|p| self.index_dropped(p))
                    }
                    Obj::Index(i) => i.parent.as_ref().is_some_and(|p| self.index_dropped(p)),
                    Obj::Default(t, c, ..) => self
                        .dropped_columns
                        .get(&key::relation(t))
                        .is_some_and(|cols| cols.contains(*c)),
                    Obj::Sequence(s) => s.owned_by.as_ref().is_some_and(|(t, c)| {
                        self.drops.contains(&key::relation(t))
                            || self
                                .dropped_columns
                                .get(&key::relation(t))
                                .is_some_and(|cols| cols.contains(c))
                    }),
                    _ => false,
                };
            if implicit {
                self.implicit_drops.insert(k.clone());
            }
        }
    }

    /// Whether the index named `p` (plain or backing a constraint) is dropped.
    fn index_dropped(&self, p: &QualifiedName) -> bool {
        if self.drops.contains(&key::index(p)) {
            return true;
        }
        self.from.tables.iter().any(|t| {
            t.constraints.iter().any(|c| {
                c.index.as_deref() == Some(p.name.as_str())
                    && t.name.schema == p.schema
                    && self.drops.contains(&key::constraint(&t.name, &c.name))
            })
        })
    }

    /// In-place changes for an object whose definition differs, or `None`
    /// when it must be recreated.
    fn alter(&mut self, k: &str, f: Obj<'a>, t: Obj<'a>) -> Option<Vec<Change>> {
        match (f, t) {
            (Obj::Table(a), Obj::Table(b)) => self.alter_table(k, a, b),
            (Obj::View(a), Obj::View(b)) => alter_view(k, a, b),
            (Obj::Function(a), Obj::Function(b)) => {
                let same_shape =
                    a.kind == b.kind && a.arguments == b.arguments && a.result == b.result;
                same_shape.then(|| {
                    let sql = crate::ddl::render::function_sql(b).replacen(
                        "CREATE ",
                        "CREATE OR REPLACE ",
                        1,
                    );
                    vec![change(sql, k, "replace")]
                })
            }
            (Obj::Sequence(a), Obj::Sequence(b)) => Some(alter_sequence(k, a, b)),
            (Obj::Type(a), Obj::Type(b)) => {
                self.alter_type(k, a, b).or_else(|| self.rebuild_used(k, f))
            }
            (Obj::Collation(_), Obj::Collation(_)) => self.rebuild_used(k, f),
            (Obj::Extension(a), Obj::Extension(b)) => {
                let mut out = vec![];
                if a.schema != b.schema {
                    out.push(change(
                        format!(
                            "ALTER EXTENSION {} SET SCHEMA {}",
                            ident(&b.name),
                            ident(&b.schema)
                        ),
                        k,
                        "alter",
                    ));
                }
                if a.version != b.version {
                    out.push(change(
                        format!(
                            "ALTER EXTENSION {} UPDATE TO {}",
                            ident(&b.name),
                            literal(&b.version)
                        ),
                        k,
                        "alter",
                    ));
                }
                Some(out)
            }
            (Obj::Default(t, c, _, view), Obj::Default(_, _, expr, _)) => {
                let what = if view { "VIEW" } else { "TABLE" };
                Some(vec![change(
                    format!("ALTER {what} {t} ALTER COLUMN {} SET DEFAULT {expr}", ident(c)),
                    k,
                    "alter",
                )])
            }
            (Obj::Index(a), Obj::Index(b))
                if a.definition == b.definition && a.table == b.table =>
            {
                let mut out = vec![];
                if a.clustered != b.clustered {
                    out.push(change(
                        if b.clustered {
                            format!("ALTER TABLE {} CLUSTER ON {}", b.table, ident(&b.name.name))
                        } else {
                            format!("ALTER TABLE {} SET WITHOUT CLUSTER", b.table)
                        },
                        k,
                        "alter",
                    ));
                }
                if a.parent != b.parent
                    && let Some(p) = &b.parent
                {
                    out.push(change(
                        format!("ALTER INDEX {p} ATTACH PARTITION {}", b.name),
                        k,
                        "alter",
                    ));
                }
                (a.parent.is_none() || b.parent.is_some()).then_some(out)
            }
            (Obj::Trigger(a), Obj::Trigger(b)) if a.definition == b.definition => {
                Some(vec![change(enable_sql("TRIGGER", &b.table, &b.name, &b.enabled), k, "alter")])
            }
            (Obj::Rule(a), Obj::Rule(b)) if a.definition == b.definition => {
                Some(vec![change(enable_sql("RULE", &b.table, &b.name, &b.enabled), k, "alter")])
            }
            (Obj::Statistics(a), Obj::Statistics(b)) if a.definition == b.definition => {
                Some(vec![change(
                    format!(
                        "ALTER STATISTICS {} SET STATISTICS {}",
                        b.name,
                        b.target.unwrap_or(-1)
                    ),
                    k,
                    "alter",
                )])
            }
            (Obj::Constraint(_, a), Obj::Constraint(tb, b))
                if !a.validated
                    && b.validated
                    && a.definition.trim_end_matches(" NOT VALID") == b.definition =>
            {
                Some(vec![hazard(
                    change(
                        format!("ALTER TABLE {} VALIDATE CONSTRAINT {}", tb.name, ident(&b.name)),
                        k,
                        "alter",
                    ),
                    HazardKind::AccessExclusiveLock,
                    format!("validating {} scans {}", b.name, tb.name),
                )])
            }
            _ => None,
        }
    }

    fn alter_type(&mut self, k: &str, a: &'a TypeDef, b: &'a TypeDef) -> Option<Vec<Change>> {
        let name = &b.name;
        match (&a.kind, &b.kind) {
            (TypeKind::Enum { labels: old }, TypeKind::Enum { labels: new }) => {
                // Values can be added anywhere; removing or reordering needs
                // a rebuild of the type and of every column using it.
                let kept: Vec<&String> = new.iter().filter(|l| old.contains(l)).collect();
                let order_kept = kept.iter().copied().eq(old.iter());
                if !order_kept {
                    return self.rebuild_used(k, Obj::Type(a));
                }
                let mut out = vec![];
                for (i, l) in new.iter().enumerate() {
                    if old.contains(l) {
                        continue;
                    }
                    let pos = match new[..i]
                        .iter()
                        .rev()
                        .find(|x| old.contains(x) || out_contains(&out, x))
                    {
                        Some(prev) => format!(" AFTER {}", literal(prev)),
                        None => match new[i + 1..].iter().find(|x| old.contains(x)) {
                            Some(next) => format!(" BEFORE {}", literal(next)),
                            None => String::new(),
                        },
                    };
                    let mut c = change(
                        format!("ALTER TYPE {name} ADD VALUE {}{pos}", literal(l)),
                        k,
                        "alter",
                    );
                    // A new value cannot be used in the transaction that adds it.
                    c.transactional = false;
                    out.push(c);
                }
                Some(out)
            }
            (
                TypeKind::Domain {
                    base: ab,
                    collation: ac,
                    default: ad,
                    not_null: an,
                    constraints: acs,
                },
                TypeKind::Domain {
                    base: bb,
                    collation: bc,
                    default: bd,
                    not_null: bn,
                    constraints: bcs,
                },
            ) => {
                if ab != bb || ac != bc {
                    return None;
                }
                let mut out = vec![];
                if ad != bd {
                    out.push(change(
                        match bd {
                            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d}"),
                            None => format!("ALTER DOMAIN {name} DROP DEFAULT"),
                        },
                        k,
                        "alter",
                    ));
                }
                if an != bn {
                    let c = change(
                        format!(
                            "ALTER DOMAIN {name} {} NOT NULL",
                            if *bn { "SET" } else { "DROP" }
                        ),
                        k,
                        "alter",
                    );
                    out.push(if *bn {
                        hazard(
                            c,
                            HazardKind::AccessExclusiveLock,
                            format!("checks every column of type {name}"),
                        )
                    } else {
                        c
                    });
                }
                for c in acs {
                    let same = bcs.iter().find(|x| x.name == c.name);
                    if same.is_none_or(|x| x.definition != c.definition) {
                        out.push(change(
                            format!("ALTER DOMAIN {name} DROP CONSTRAINT {}", ident(&c.name)),
                            k,
                            "alter",
                        ));
                    }
                }
                for c in bcs {
                    let same = acs.iter().find(|x| x.name == c.name);
                    if same.is_none_or(|x| x.definition != c.definition) {
                        out.push(change(
                            format!(
                                "ALTER DOMAIN {name} ADD CONSTRAINT {} {}",
                                ident(&c.name),
                                c.definition
                            ),
                            k,
                            "alter",
                        ));
                    } else if let Some(x) = same
                        && !x.validated
                        && c.validated
                    {
                        out.push(change(
                            format!("ALTER DOMAIN {name} VALIDATE CONSTRAINT {}", ident(&c.name)),
                            k,
                            "alter",
                        ));
                    }
                }
                Some(out)
            }
            (TypeKind::Composite { attributes: aa }, TypeKind::Composite { attributes: ba }) => {
                let mut out = vec![];
                for x in aa {
                    if !ba.iter().any(|y| y.name == x.name) {
                        out.push(change(
                            format!("ALTER TYPE {name} DROP ATTRIBUTE {}", ident(&x.name)),
                            k,
                            "alter",
                        ));
                    }
                }
                for y in ba {
                    match aa.iter().find(|x| x.name == y.name) {
                        None => out.push(change(
                            format!(
                                "ALTER TYPE {name} ADD ATTRIBUTE {} {}{}",
                                ident(&y.name),
                                y.type_name,
                                crate::ddl::render::collate(&y.collation)
                            ),
                            k,
                            "alter",
                        )),
                        Some(x) if x.type_name != y.type_name || x.collation != y.collation => out
                            .push(change(
                                format!(
                                    "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {}{}",
                                    ident(&y.name),
                                    y.type_name,
                                    crate::ddl::render::collate(&y.collation)
                                ),
                                k,
                                "alter",
                            )),
                        _ => {}
                    }
                }
                // Attribute order is part of the type: give up on reorders.
                let kept_a: Vec<&String> = aa
                    .iter()
                    .map(|x| &x.name)
                    .filter(|n| ba.iter().any(|y| &y.name == *n))
                    .collect();
                let kept_b: Vec<&String> = ba
                    .iter()
                    .map(|y| &y.name)
                    .filter(|n| aa.iter().any(|x| &x.name == *n))
                    .collect();
                let added_at_end = ba
                    .iter()
                    .skip_while(|y| aa.iter().any(|x| x.name == y.name))
                    .all(|y| !aa.iter().any(|x| x.name == y.name));
                (kept_a == kept_b && added_at_end).then_some(out)
            }
            _ => None,
        }
    }

    /// Rebuilds a type or collation that table columns use and that cannot
    /// be altered in place (enum values removed or reordered, a domain's
    /// base type, a range, a collation): the old one is renamed aside, TO's
    /// created, every column converted (through text for types), and the
    /// old one dropped. What else depends on it is recreated around this.
    /// `None` when no column uses it (a plain drop and create will do).
    fn rebuild_used(&mut self, k: &str, f: Obj<'a>) -> Option<Vec<Change>> {
        let (word, name) = match f {
            Obj::Type(t) if matches!(t.kind, TypeKind::Domain { .. }) => ("DOMAIN", &t.name),
            Obj::Type(t) => ("TYPE", &t.name),
            Obj::Collation(c) => ("COLLATION", &c.name),
            _ => return None,
        };
        let is_collation = matches!(f, Obj::Collation(_));
        let text = name.to_string();
        let mut users: Vec<(&Table, &Column)> = vec![];
        for t in &self.from.tables {
            for c in &t.columns {
                let uses = if is_collation {
                    c.collation.as_ref() == Some(name)
                } else {
                    c.type_name == text || c.type_name == format!("{text}[]")
                };
                if uses && c.is_local && self.tobj.contains_key(&key::relation(&t.name)) {
                    users.push((t, c));
                }
            }
        }
        if users.is_empty() {
            return None;
        }
        let old = QualifiedName::new(&name.schema, format!("{}__pggraft_old", name.name));
        let mut out = vec![change(
            format!("ALTER {word} {name} RENAME TO {}", ident(&old.name)),
            k,
            "rebuild",
        )];
        for st in self.created_sql.get(k).into_iter().flatten() {
            out.push(change(st.sql.clone(), k, "rebuild"));
        }
        for (t, c) in users {
            let col = ident(&c.name);
            let to_col =
                self.to.table(&t.name).and_then(|x| x.columns.iter().find(|y| y.name == c.name));
            if c.default.is_some() {
                out.push(change(
                    format!("ALTER TABLE {} ALTER COLUMN {col} DROP DEFAULT", t.name),
                    k,
                    "rebuild",
                ));
            }
            let sql = if is_collation {
                format!(
                    "ALTER TABLE {} ALTER COLUMN {col} TYPE {} COLLATE {name}",
                    t.name, c.type_name
                )
            } else {
                let arr = if c.type_name.ends_with("[]") { "[]" } else { "" };
                format!(
                    "ALTER TABLE {} ALTER COLUMN {col} TYPE {name}{arr} USING {col}::text{arr}::{name}{arr}",
                    t.name
                )
            };
            out.push(hazard(
                change(sql, k, "rebuild"),
                HazardKind::TableRewrite,
                format!("{} is rewritten", t.name),
            ));
            if let Some(d) = to_col.and_then(|x| x.default.as_ref()) {
                out.push(change(
                    format!("ALTER TABLE {} ALTER COLUMN {col} SET DEFAULT {d}", t.name),
                    k,
                    "rebuild",
                ));
            }
            self.retyped.insert(key::relation(&t.name));
        }
        out.push(hazard(
            change(format!("DROP {word} {old}"), k, "rebuild"),
            HazardKind::DataLoss,
            format!("values that {name} no longer accepts make the conversion fail"),
        ));
        self.rebuilt.insert(k.to_string());
        Some(out)
    }

    fn alter_table(&mut self, k: &str, a: &Table, b: &Table) -> Option<Vec<Change>> {
        if a.partition_key != b.partition_key || a.access_method != b.access_method {
            return None;
        }
        let name = &b.name;
        let mut out = vec![];
        if a.unlogged != b.unlogged {
            out.push(hazard(
                change(
                    format!(
                        "ALTER TABLE {name} SET {}",
                        if b.unlogged { "UNLOGGED" } else { "LOGGED" }
                    ),
                    k,
                    "alter",
                ),
                HazardKind::TableRewrite,
                format!("{name} is rewritten"),
            ));
        }
        if a.options != b.options {
            // Reset all, then set in TO's order: the catalog keeps options
            // in the order they were set.
            let keys: Vec<&str> = a.options.iter().filter_map(|o| o.split('=').next()).collect();
            if !keys.is_empty() {
                out.push(change(
                    format!("ALTER TABLE {name} RESET ({})", keys.join(", ")),
                    k,
                    "alter",
                ));
            }
            if !b.options.is_empty() {
                out.push(change(
                    format!("ALTER TABLE {name} SET ({})", b.options.join(", ")),
                    k,
                    "alter",
                ));
            }
        }
        if a.partition_of != b.partition_of {
            if let Some(p) = &a.partition_of {
                out.push(change(
                    format!("ALTER TABLE {} DETACH PARTITION {name}", p.parent),
                    k,
                    "alter",
                ));
            }
            if let Some(p) = &b.partition_of {
                out.push(hazard(
                    change(
                        format!("ALTER TABLE {} ATTACH PARTITION {name} {}", p.parent, p.bound),
                        k,
                        "alter",
                    ),
                    HazardKind::AccessExclusiveLock,
                    format!("{name} is scanned to check the partition bound"),
                ));
            }
        }
        for p in &a.inherits {
            if !b.inherits.contains(p) {
                out.push(change(format!("ALTER TABLE {name} NO INHERIT {p}"), k, "alter"));
            }
        }
        for p in &b.inherits {
            if !a.inherits.contains(p) {
                out.push(change(format!("ALTER TABLE {name} INHERIT {p}"), k, "alter"));
            }
        }
        let parent_has = |col: &str| {
            b.partition_of.as_ref().map(|p| &p.parent).into_iter().chain(b.inherits.iter()).any(
                |p| {
                    self.to.table(p).is_some_and(|pt| pt.columns.iter().any(|c| c.name == col))
                        && self.from.table(p).is_some()
                },
            )
        };
        // Columns.
        let mut regenerate: Vec<&Column> = vec![];
        let mut dropped = BTreeSet::new();
        for c in &a.columns {
            if !b.columns.iter().any(|x| x.name == c.name) {
                dropped.insert(c.name.clone());
                if !c.is_local && (a.partition_of.is_some() || !a.inherits.is_empty()) {
                    continue;
                }
                out.push(hazard(
                    change(
                        format!("ALTER TABLE {name} DROP COLUMN {}", ident(&c.name)),
                        k,
                        "alter",
                    ),
                    HazardKind::DataLoss,
                    format!("column {}.{} and its data are dropped", name, ident(&c.name)),
                ));
            }
        }
        if !dropped.is_empty() {
            self.dropped_columns.insert(k.to_string(), dropped);
        }
        for c in &b.columns {
            let col = ident(&c.name);
            let Some(old) = a.columns.iter().find(|x| x.name == c.name) else {
                if !c.is_local && parent_has(&c.name) {
                    continue;
                }
                let mut def = column_sql(c);
                if let Some(d) = &c.default {
                    // Inline, so NOT NULL columns can be added to tables with rows.
                    let not_null = def.ends_with(" NOT NULL");
                    if not_null {
                        def.truncate(def.len() - " NOT NULL".len());
                    }
                    def.push_str(&format!(" DEFAULT {d}"));
                    if not_null {
                        def.push_str(" NOT NULL");
                    }
                }
                let mut ch = change(format!("ALTER TABLE {name} ADD COLUMN {def}"), k, "alter");
                if c.generated.is_some() {
                    ch = hazard(
                        ch,
                        HazardKind::TableRewrite,
                        format!("{name} is rewritten to compute {col}"),
                    );
                }
                out.push(ch);
                out.extend(column_settings(name, c, None, k));
                continue;
            };
            let inherited = !c.is_local && (b.partition_of.is_some() || !b.inherits.is_empty());
            if (old.type_name != c.type_name || old.collation != c.collation) && !inherited {
                self.retyped.insert(k.to_string());
                // PostgreSQL refuses to retype a column a generated column
                // reads: drop those first, add them back at the end.
                for g in a
                    .columns
                    .iter()
                    .filter(|g| g.generated.as_deref().is_some_and(|e| mentions(e, &c.name)))
                {
                    if let Some(tg) = b.columns.iter().find(|x| x.name == g.name) {
                        out.push(change(
                            format!("ALTER TABLE {name} DROP COLUMN {}", ident(&g.name)),
                            k,
                            "alter",
                        ));
                        regenerate.push(tg);
                    }
                }
                // The old default may not cast to the new type: off first,
                // back (TO's) after.
                if old.default.is_some() {
                    out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} DROP DEFAULT"),
                        k,
                        "alter",
                    ));
                }
                let mut ch = change(
                    format!(
                        "ALTER TABLE {name} ALTER COLUMN {col} TYPE {}{} USING {col}::{}",
                        c.type_name,
                        crate::ddl::render::collate(&c.collation),
                        c.type_name
                    ),
                    k,
                    "alter",
                );
                if !binary_coercible(&old.type_name, &c.type_name) || old.collation != c.collation {
                    ch = hazard(ch, HazardKind::TableRewrite, format!("{name} is rewritten"));
                    ch = hazard(
                        ch,
                        HazardKind::AccessExclusiveLock,
                        format!("{name} is locked while rewritten"),
                    );
                }
                if !widening(&old.type_name, &c.type_name) {
                    ch = hazard(
                        ch,
                        HazardKind::DataLoss,
                        format!(
                            "{}.{col}: {} to {} may fail or lose precision",
                            name, old.type_name, c.type_name
                        ),
                    );
                }
                out.push(ch);
                if let Some(d) = &c.default {
                    out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} SET DEFAULT {d}"),
                        k,
                        "alter",
                    ));
                }
            }
            if old.generated != c.generated {
                match (&old.generated, &c.generated) {
                    (Some(_), None) => out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} DROP EXPRESSION"),
                        k,
                        "alter",
                    )),
                    _ => {
                        self.warnings.push(format!(
                            "{name}.{col}: changing a generated column's expression needs PostgreSQL 17 \
                             (ALTER COLUMN … SET EXPRESSION); recreating the column changes the column order"
                        ));
                        out.push(hazard(
                            change(format!("ALTER TABLE {name} DROP COLUMN {col}"), k, "alter"),
                            HazardKind::TableRewrite,
                            format!("{name}.{col} is recomputed"),
                        ));
                        out.push(change(
                            format!("ALTER TABLE {name} ADD COLUMN {}", column_sql(c)),
                            k,
                            "alter",
                        ));
                    }
                }
            }
            if old.identity != c.identity {
                match (&old.identity, &c.identity) {
                    (None, Some(id)) => out.push(change(
                        format!(
                            "ALTER TABLE {name} ALTER COLUMN {col} ADD GENERATED {} AS IDENTITY (SEQUENCE NAME {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{})",
                            if id.always { "ALWAYS" } else { "BY DEFAULT" },
                            id.sequence, id.start, id.increment, id.min_value, id.max_value, id.cache,
                            if id.cycle { " CYCLE" } else { "" }
                        ),
                        k,
                        "alter",
                    )),
                    (Some(_), None) => out.push(change(format!("ALTER TABLE {name} ALTER COLUMN {col} DROP IDENTITY"), k, "alter")),
                    (Some(x), Some(y)) => {
                        let mut sets = vec![];
                        if x.always != y.always {
                            sets.push(format!("SET GENERATED {}", if y.always { "ALWAYS" } else { "BY DEFAULT" }));
                        }
                        if x.increment != y.increment {
                            sets.push(format!("SET INCREMENT BY {}", y.increment));
                        }
                        if x.start != y.start {
                            sets.push(format!("SET START WITH {}", y.start));
                        }
                        if x.min_value != y.min_value {
                            sets.push(format!("SET MINVALUE {}", y.min_value));
                        }
                        if x.max_value != y.max_value {
                            sets.push(format!("SET MAXVALUE {}", y.max_value));
                        }
                        if x.cache != y.cache {
                            sets.push(format!("SET CACHE {}", y.cache));
                        }
                        if x.cycle != y.cycle {
                            sets.push(if y.cycle { "SET CYCLE".into() } else { "SET NO CYCLE".into() });
                        }
                        if !sets.is_empty() {
                            out.push(change(format!("ALTER TABLE {name} ALTER COLUMN {col} {}", sets.join(" ")), k, "alter"));
                        }
                    }
                    (None, None) => {}
                }
            }
            if old.not_null != c.not_null && c.identity.is_none() {
                let parent_nn = b
                    .partition_of
                    .as_ref()
                    .map(|p| &p.parent)
                    .into_iter()
                    .chain(b.inherits.iter())
                    .any(|p| {
                        self.to.table(p).is_some_and(|pt| {
                            pt.columns.iter().any(|x| x.name == c.name && x.not_null)
                        })
                    });
                if c.not_null && !parent_nn {
                    out.extend(self.set_not_null(name, &c.name, k));
                } else if !c.not_null {
                    out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} DROP NOT NULL"),
                        k,
                        "alter",
                    ));
                }
            }
            out.extend(column_settings(name, c, Some(old), k));
        }
        for g in regenerate {
            out.push(hazard(
                change(format!("ALTER TABLE {name} ADD COLUMN {}", column_sql(g)), k, "alter"),
                HazardKind::TableRewrite,
                format!("{name}.{} is recomputed", ident(&g.name)),
            ));
        }
        if a.replica_identity != b.replica_identity
            || a.replica_identity_index != b.replica_identity_index
        {
            let sql = match (b.replica_identity.as_str(), &b.replica_identity_index) {
                ("f", _) => "FULL".to_string(),
                ("n", _) => "NOTHING".to_string(),
                ("i", Some(i)) => format!("USING INDEX {}", ident(i)),
                _ => "DEFAULT".to_string(),
            };
            out.push(change(format!("ALTER TABLE {name} REPLICA IDENTITY {sql}"), k, "alter"));
        }
        if a.rls_enabled != b.rls_enabled {
            out.push(change(
                format!(
                    "ALTER TABLE {name} {} ROW LEVEL SECURITY",
                    if b.rls_enabled { "ENABLE" } else { "DISABLE" }
                ),
                k,
                "alter",
            ));
        }
        if a.rls_forced != b.rls_forced {
            out.push(change(
                format!(
                    "ALTER TABLE {name} {} ROW LEVEL SECURITY",
                    if b.rls_forced { "FORCE" } else { "NO FORCE" }
                ),
                k,
                "alter",
            ));
        }
        Some(out)
    }

    fn set_not_null(&self, table: &QualifiedName, column: &str, k: &str) -> Vec<Change> {
        let col = ident(column);
        if self.opts.online {
            // A validated CHECK lets SET NOT NULL skip its full-table scan
            // under ACCESS EXCLUSIVE; VALIDATE takes a weaker lock.
            let check = ident(&format!("{column}_not_null_pggraft"));
            return vec![
                change(
                    format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID"
                    ),
                    k,
                    "alter",
                ),
                change(format!("ALTER TABLE {table} VALIDATE CONSTRAINT {check}"), k, "alter"),
                change(format!("ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"), k, "alter"),
                change(format!("ALTER TABLE {table} DROP CONSTRAINT {check}"), k, "alter"),
            ];
        }
        vec![hazard(
            change(format!("ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"), k, "alter"),
            HazardKind::AccessExclusiveLock,
            format!("{table} is scanned under an ACCESS EXCLUSIVE lock"),
        )]
    }

    /// Owner, privilege and comment changes of an object that stays.
    fn meta(&self, k: &str, f: Obj<'a>, t: Obj<'a>) -> Vec<Change> {
        let mut out = vec![];
        if let (Some(a), Some(b), Some(target)) = (f.owner(), t.owner(), t.alter_target())
            && a != b
        {
            out.push(change(format!("ALTER {target} OWNER TO {}", ident(b)), k, "owner"));
        }
        // Both on default privileges: they follow the owner by themselves.
        if let (Some((class, on, fo, fa)), Some((_, _, to_owner, ta))) = (f.acl(), t.acl())
            && (fa.is_some() || ta.is_some())
        {
            let eff = |owner: Option<&str>, acl: Option<&Vec<Grant>>| -> Vec<Grant> {
                acl.cloned().unwrap_or_else(|| class.defaults(owner, self.to.server_version))
            };
            let (from_acl, to_acl) = (eff(fo, fa), eff(to_owner, ta));
            if from_acl != to_acl {
                for sql in acl_statements(&format!("{} {on}", class.keyword()), &from_acl, &to_acl)
                {
                    out.push(change(sql, k, "privileges"));
                }
            }
        }
        let tcols = t.column_acls();
        for (col, fa) in f.column_acls() {
            let Some((_, ta)) = tcols.iter().find(|(c, _)| *c == col) else { continue };
            let (fa, ta) = (fa.cloned().unwrap_or_default(), ta.cloned().unwrap_or_default());
            if fa == ta {
                continue;
            }
            let on = match t {
                Obj::Table(x) => x.name.to_string(),
                Obj::View(x) => x.name.to_string(),
                _ => continue,
            };
            for g in fa.iter().filter(|g| {
                !ta.iter().any(|x| x.grantee == g.grantee && x.privilege == g.privilege)
            }) {
                out.push(change(
                    format!(
                        "REVOKE {} ({}) ON TABLE {on} FROM {}",
                        g.privilege,
                        ident(col),
                        grantee(&g.grantee)
                    ),
                    k,
                    "privileges",
                ));
            }
            for g in ta.iter().filter(|g| !fa.contains(g)) {
                let opt = if g.grantable { " WITH GRANT OPTION" } else { "" };
                out.push(change(
                    format!(
                        "GRANT {} ({}) ON TABLE {on} TO {}{opt}",
                        g.privilege,
                        ident(col),
                        grantee(&g.grantee)
                    ),
                    k,
                    "privileges",
                ));
            }
        }
        if let (Obj::Schema(fs), Obj::Schema(ts)) = (f, t) {
            out.extend(default_privileges_changes(k, fs, ts));
        }
        let fc = f.comments();
        for (target, comment) in t.comments() {
            let before =
                fc.iter().find(|(x, _)| *x == target).map(|(_, c)| c.clone()).unwrap_or(None);
            if before != comment {
                let value = comment.as_deref().map(literal).unwrap_or_else(|| "NULL".into());
                out.push(change(format!("COMMENT ON {target} IS {value}"), k, "comment"));
            }
        }
        out
    }

    /// The statement dropping an object of FROM.
    fn drop_sql(&self, k: &str, obj: Obj<'a>) -> Option<Change> {
        let sql = match obj {
            Obj::Constraint(t, c) => {
                format!("ALTER TABLE {} DROP CONSTRAINT {}", t.name, ident(&c.name))
            }
            Obj::Default(t, c, _, view) => format!(
                "ALTER {} {t} ALTER COLUMN {} DROP DEFAULT",
                if view { "VIEW" } else { "TABLE" },
                ident(c)
            ),
            Obj::Index(i)
                if self.opts.online && !self.is_partitioned(&i.table) && i.parent.is_none() =>
            {
                let mut c = change(format!("DROP INDEX CONCURRENTLY {}", i.name), k, "drop");
                c.transactional = false;
                return Some(c);
            }
            other => format!("DROP {}", other.target()?),
        };
        let mut c = change(sql, k, "drop");
        match obj {
            Obj::Table(t) => {
                c = hazard(
                    c,
                    HazardKind::DataLoss,
                    format!("table {} and its rows are dropped", t.name),
                )
            }
            Obj::View(v) if v.materialized => {
                c = hazard(
                    c,
                    HazardKind::DataLoss,
                    format!("materialized view {} must be refreshed again", v.name),
                )
            }
            Obj::Sequence(s) => {
                c = hazard(
                    c,
                    HazardKind::DataLoss,
                    format!("sequence {} and its value are dropped", s.name),
                )
            }
            Obj::Schema(s) => {
                c = hazard(c, HazardKind::DataLoss, format!("schema {} is dropped", ident(&s.name)))
            }
            _ => {}
        }
        Some(c)
    }

    fn is_partitioned(&self, t: &QualifiedName) -> bool {
        self.from.table(t).or(self.to.table(t)).is_some_and(|t| t.partition_key.is_some())
    }

    /// The statements creating an object of TO.
    fn create_sql(&self, k: &str, obj: Obj<'a>) -> Vec<Change> {
        let table_exists = obj.table().is_some_and(|t| {
            self.fo.contains_key(&key::relation(t)) && !self.drops.contains(&key::relation(t))
        });
        // Partition indexes and keys of a new partition of an existing
        // partitioned table are created by PostgreSQL with the partition.
        let parent_index_exists = |p: &QualifiedName| {
            (self.fo.contains_key(&key::index(p)) && !self.drops.contains(&key::index(p)))
                || self.from.tables.iter().any(|t| {
                    t.name.schema == p.schema
                        && t.constraints.iter().any(|c| {
                            c.index.as_deref() == Some(p.name.as_str())
                                && !self.drops.contains(&key::constraint(&t.name, &c.name))
                        })
                })
        };
        match obj {
            Obj::Index(i)
                if !table_exists && i.parent.as_ref().is_some_and(parent_index_exists) =>
            {
                return vec![];
            }
            Obj::Constraint(_, c)
                if !table_exists && c.index_parent.as_ref().is_some_and(parent_index_exists) =>
            {
                return vec![];
            }
            _ => {}
        }
        let mut out = vec![];
        let stmts = self.created_sql.get(k).cloned().unwrap_or_default();
        if let Obj::Constraint(t, c) = obj
            && c.kind == "c"
            && c.is_local
            && c.validated
            && table_exists
        {
            // Inline in CREATE TABLE when the table is new; added otherwise.
            out.push(self.add_constraint(k, t, c));
        }
        for s in stmts {
            let mut c =
                change(s.sql.clone(), k, if s.provides.is_some() { "create" } else { s.what });
            match (obj, s.what) {
                (Obj::Index(i), "index") if table_exists => {
                    if self.opts.online && !self.is_partitioned(&i.table) {
                        c.sql = c.sql.replacen("INDEX ", "INDEX CONCURRENTLY ", 1);
                        c.transactional = false;
                    } else {
                        c = hazard(
                            c,
                            HazardKind::IndexBuild,
                            format!("building {} blocks writes to {}", i.name, i.table),
                        );
                    }
                }
                (Obj::Constraint(t, con), "foreign key" | "check" | "constraint")
                    if table_exists =>
                {
                    out.push(self.add_constraint(k, t, con));
                    continue;
                }
                _ => {}
            }
            out.push(c);
        }
        out
    }

    /// `ADD CONSTRAINT` on an existing table: online, NOT VALID then VALIDATE.
    fn add_constraint(&self, k: &str, t: &Table, c: &Constraint) -> Change {
        let alter = if c.kind == "c"
            || (t.partition_key.is_some() && !matches!(c.kind.as_str(), "p" | "u" | "x"))
        {
            format!("ALTER TABLE {}", t.name)
        } else {
            format!("ALTER TABLE ONLY {}", t.name)
        };
        let base = format!("{alter} ADD CONSTRAINT {} {}", ident(&c.name), c.definition);
        let validatable =
            matches!(c.kind.as_str(), "c" | "f") && c.validated && t.partition_key.is_none();
        if self.opts.online && validatable {
            let mut ch = change(
                format!(
                    "{base} NOT VALID;\nALTER TABLE {} VALIDATE CONSTRAINT {}",
                    t.name,
                    ident(&c.name)
                ),
                k,
                "create",
            );
            ch.hazards.clear();
            return ch;
        }
        let what = match c.kind.as_str() {
            "p" | "u" | "x" => HazardKind::IndexBuild,
            _ => HazardKind::AccessExclusiveLock,
        };
        hazard(
            change(base, k, "create"),
            what,
            format!("adding {} scans {} while holding a lock", c.name, t.name),
        )
    }

    /// Nodes and edges, ordered, expanded into changes.
    fn assemble(mut self) -> Migration {
        let mut nodes: Vec<(String, Vec<Change>, Vec<String>, u16)> = vec![];
        let node_of = |prefix: &str, k: &str| format!("{prefix}:{k}");
        let mut rdeps_from: HashMap<&String, Vec<&String>> = HashMap::new();
        for (k, deps) in &self.from.depends {
            for d in deps {
                rdeps_from.entry(d).or_default().push(k);
            }
        }
        // Drops: after dependents are dropped or stop depending.
        for k in &self.drops {
            let Some(obj) = self.fo.get(k).copied() else { continue };
            let mut deps = vec![];
            for x in rdeps_from.get(k).into_iter().flatten() {
                // A dependent that goes implicitly (with its table) is gone
                // once its table is; and it cannot go before this drop
                // when this is its table.
                if !self.implicit_drops.contains(*x) {
                    deps.push(node_of("drop", x));
                } else if let Some(t) = self.fo.get(*x).and_then(|o| o.table()) {
                    let tk = key::relation(t);
                    if &tk != k {
                        deps.push(node_of("drop", &tk));
                        deps.push(node_of("alter", &tk));
                    }
                }
                deps.push(node_of("alter", x));
            }
            // Sub-objects go before their table's alters (a dropped index
            // before the dropped column it indexes).
            let changes = if self.implicit_drops.contains(k) {
                // Gone with its table (or parent index): not before that.
                if let Some(t) = obj.table() {
                    deps.push(node_of("drop", &key::relation(t)));
                    deps.push(node_of("alter", &key::relation(t)));
                }
                vec![]
            } else {
                self.drop_sql(k, obj).into_iter().collect()
            };
            nodes.push((node_of("drop", k), changes, deps, DROP));
        }
        for (k, changes) in std::mem::take(&mut self.alters) {
            let mut deps: Vec<String> = vec![];
            for d in self.to.depends.get(&k).into_iter().flatten() {
                deps.push(node_of("create", d));
                deps.push(node_of("alter", d));
            }
            for x in rdeps_from.get(&k).into_iter().flatten() {
                // Sub-objects that go with this alter (defaults of dropped
                // columns) cannot go before it.
                if !self.implicit_drops.contains(*x) {
                    deps.push(node_of("drop", x));
                }
            }
            // Added columns take their defaults inline: what those use first.
            if let Some(Obj::Table(t)) = self.tobj.get(&k) {
                for c in &t.columns {
                    for d in
                        self.to.depends.get(&key::default(&t.name, &c.name)).into_iter().flatten()
                    {
                        if d != &k {
                            deps.push(node_of("create", d));
                        }
                    }
                }
            }
            nodes.push((node_of("alter", &k), changes, deps, ALTER));
        }
        for k in &self.creates {
            let Some(obj) = self.tobj.get(k).copied() else { continue };
            let mut deps: Vec<String> = vec![node_of("drop", k)];
            let mut dep_keys: BTreeSet<&String> =
                self.to.depends.get(k).into_iter().flatten().collect();
            for s in self.created_sql.get(k).into_iter().flatten() {
                dep_keys.extend(s.deps.iter());
            }
            if let Some(t) = obj.table() {
                let tk = key::relation(t);
                deps.push(node_of("create", &tk));
                deps.push(node_of("alter", &tk));
            }
            // A new sequence may take the name of an identity column's
            // sequence that the alter of its table drops.
            if let Obj::Sequence(sq) = obj {
                for t in &self.from.tables {
                    if t.columns
                        .iter()
                        .any(|c| c.identity.as_ref().is_some_and(|i| i.sequence == sq.name))
                    {
                        deps.push(node_of("alter", &key::relation(&t.name)));
                    }
                }
            }
            // A sequence depends on its owning table only through OWNED BY,
            // which has a node of its own (below).
            let owner_table = match obj {
                Obj::Sequence(sq) => sq.owned_by.as_ref().map(|(t, _)| key::relation(t)),
                _ => None,
            };
            for d in dep_keys {
                if d != k && owner_table.as_ref() != Some(d) {
                    deps.push(node_of("create", d));
                    deps.push(node_of("alter", d));
                }
            }
            // Indexes, constraints and triggers of a parent table come after
            // its new partitions and inheritors: created before them,
            // PostgreSQL would copy them onto each child in its own way
            // (indexes of its own naming, NOT VALID checks as valid).
            if let (Some(pt), Obj::Index(_) | Obj::Constraint(..) | Obj::Trigger(_)) =
                (obj.table(), obj)
            {
                for t in &self.to.tables {
                    if t.partition_of.as_ref().is_some_and(|p| &p.parent == pt)
                        || t.inherits.contains(pt)
                    {
                        deps.push(node_of("create", &key::relation(&t.name)));
                    }
                }
            }
            let mut changes = self.create_sql(k, obj);
            // OWNED BY needs the column, which may itself need the sequence
            // (serial): a node of its own after both.
            if let Obj::Sequence(sq) = obj
                && let Some((t, _)) = &sq.owned_by
            {
                let owned: Vec<Change> =
                    changes.iter().filter(|c| c.action == "sequence owned by").cloned().collect();
                changes.retain(|c| c.action != "sequence owned by");
                let tk = key::relation(t);
                nodes.push((
                    node_of("owned", k),
                    owned,
                    vec![node_of("create", k), node_of("create", &tk), node_of("alter", &tk)],
                    CREATE,
                ));
            }
            nodes.push((node_of("create", k), changes, deps, CREATE));
        }
        for (k, changes) in std::mem::take(&mut self.metas) {
            let deps = vec![node_of("alter", &k), node_of("create", &k)];
            nodes.push((node_of("meta", &k), changes, deps, META));
        }
        let mut defaults = vec![];
        for (id, changes, _, _) in &mut nodes {
            if !changes.iter().any(|c| c.action == render::DEFAULT_PRIVILEGES) {
                continue;
            }
            let (moved, kept) = std::mem::take(changes)
                .into_iter()
                .partition(|c| c.action == render::DEFAULT_PRIVILEGES);
            *changes = kept;
            let k = id.split_once(':').map_or(id.as_str(), |(_, k)| k).to_string();
            let deps = vec![node_of("create", &k), node_of("alter", &k), node_of("meta", &k)];
            defaults.push((node_of("defaults", &k), moved, deps, DEFAULT_PRIVILEGES));
        }
        nodes.extend(defaults);
        // Order the nodes through the shared planner.
        let stmts: Vec<Stmt> = nodes
            .iter()
            .enumerate()
            .map(|(i, (id, _, deps, phase))| Stmt {
                section: Section::PreData,
                phase: *phase,
                provides: Some(id.clone()),
                object: id.clone(),
                deps: deps.clone(),
                what: "node",
                sql: i.to_string(),
            })
            .collect();
        let ordered = crate::plan::order(stmts);
        let mut slots: Vec<Option<Vec<Change>>> = nodes.into_iter().map(|n| Some(n.1)).collect();
        let mut changes = vec![];
        for s in ordered.all() {
            let i: usize = s.sql.parse().expect("node index");
            changes.extend(slots[i].take().unwrap_or_default());
        }
        let mut warnings = self.warnings;
        warnings.extend(ordered.warnings);
        Migration { changes, warnings }
    }
}

/// Default-privilege changes of a schema that stays.
fn default_privileges_changes(k: &str, from: &Schema, to: &Schema) -> Vec<Change> {
    let find = |s: &'_ Schema, dp: &DefaultPrivileges| -> Vec<Grant> {
        s.default_privileges
            .iter()
            .find(|x| x.role == dp.role && x.objects == dp.objects)
            .map(|x| x.grants.clone())
            .unwrap_or_default()
    };
    let mut seen = BTreeSet::new();
    let mut out = vec![];
    for dp in from.default_privileges.iter().chain(&to.default_privileges) {
        if !seen.insert((&dp.role, &dp.objects)) {
            continue;
        }
        let (a, b) = (find(from, dp), find(to, dp));
        if a != b {
            for sql in render::default_privileges_sql(&to.name, dp, &a, &b) {
                out.push(change(sql, k, render::DEFAULT_PRIVILEGES));
            }
        }
    }
    out
}

/// Whether SQL text names `column` as an identifier.
fn mentions(sql: &str, column: &str) -> bool {
    crate::sql::tokenize(sql)
        .iter()
        .any(|t| t.is_ident() && crate::sql::ident_value(t.text(sql)) == column)
}

fn out_contains(out: &[Change], label: &str) -> bool {
    out.iter().any(|c| c.sql.contains(&format!("ADD VALUE {}", literal(label))))
}

fn enable_sql(what: &str, table: &QualifiedName, name: &str, state: &str) -> String {
    crate::ddl::render::firing_state_sql(what, table, name, state)
        .unwrap_or_else(|| format!("ALTER TABLE {table} ENABLE {what} {}", ident(name)))
}

/// Column settings beyond the definition (storage, compression, statistics,
/// options), as changes from `old` (or from defaults for a new column).
fn column_settings(
    table: &QualifiedName,
    c: &Column,
    old: Option<&Column>,
    k: &str,
) -> Vec<Change> {
    let col = ident(&c.name);
    let mut out = vec![];
    let o = |f: fn(&Column) -> String| old.map(f);
    if o(|x| format!("{:?}", x.storage)) != Some(format!("{:?}", c.storage)) {
        if let Some(s) = &c.storage {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET STORAGE {}", storage_word(s)),
                k,
                "alter",
            ));
        } else if old.is_some() {
            // Back to the type's default storage: EXTENDED for varlena types.
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET STORAGE EXTENDED"),
                k,
                "alter",
            ));
        }
    }
    if o(|x| format!("{:?}", x.compression)) != Some(format!("{:?}", c.compression)) {
        let v = c.compression.as_deref().map(ident).unwrap_or_else(|| "DEFAULT".into());
        if c.compression.is_some() || old.is_some() {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET COMPRESSION {v}"),
                k,
                "alter",
            ));
        }
    }
    if o(|x| format!("{:?}", x.statistics)) != Some(format!("{:?}", c.statistics))
        && (c.statistics.is_some() || old.is_some())
    {
        out.push(change(
            format!(
                "ALTER TABLE {table} ALTER COLUMN {col} SET STATISTICS {}",
                c.statistics.unwrap_or(-1)
            ),
            k,
            "alter",
        ));
    }
    let old_opts: &[String] = old.map(|x| x.options.as_slice()).unwrap_or(&[]);
    if old_opts != c.options.as_slice() {
        let removed: Vec<&str> = old_opts
            .iter()
            .filter_map(|x| x.split('=').next())
            .filter(|key| !c.options.iter().any(|y| y.split('=').next() == Some(*key)))
            .collect();
        if !removed.is_empty() {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} RESET ({})", removed.join(", ")),
                k,
                "alter",
            ));
        }
        if !c.options.is_empty() {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET ({})", c.options.join(", ")),
                k,
                "alter",
            ));
        }
    }
    out
}

fn alter_sequence(k: &str, a: &Sequence, b: &Sequence) -> Vec<Change> {
    let mut parts = vec![];
    if a.data_type != b.data_type {
        parts.push(format!("AS {}", b.data_type));
    }
    if a.increment != b.increment {
        parts.push(format!("INCREMENT BY {}", b.increment));
    }
    if a.min_value != b.min_value || a.data_type != b.data_type {
        parts.push(format!("MINVALUE {}", b.min_value));
    }
    if a.max_value != b.max_value || a.data_type != b.data_type {
        parts.push(format!("MAXVALUE {}", b.max_value));
    }
    if a.start != b.start {
        parts.push(format!("START WITH {}", b.start));
    }
    if a.cache != b.cache {
        parts.push(format!("CACHE {}", b.cache));
    }
    if a.cycle != b.cycle {
        parts.push(if b.cycle { "CYCLE".into() } else { "NO CYCLE".into() });
    }
    let mut out = vec![];
    if !parts.is_empty() {
        out.push(change(format!("ALTER SEQUENCE {} {}", b.name, parts.join(" ")), k, "alter"));
    }
    if a.unlogged != b.unlogged {
        out.push(change(
            format!(
                "ALTER SEQUENCE {} SET {}",
                b.name,
                if b.unlogged { "UNLOGGED" } else { "LOGGED" }
            ),
            k,
            "alter",
        ));
    }
    if a.owned_by != b.owned_by {
        let to = match &b.owned_by {
            Some((t, c)) => format!("{t}.{}", ident(c)),
            None => "NONE".into(),
        };
        out.push(change(format!("ALTER SEQUENCE {} OWNED BY {to}", b.name), k, "alter"));
    }
    out
}

/// `CREATE OR REPLACE VIEW` when the new view keeps the old columns (names
/// and types, in order) and only appends; otherwise `None` (recreate).
fn alter_view(k: &str, a: &View, b: &View) -> Option<Vec<Change>> {
    if a.materialized || b.materialized || b.columns.len() < a.columns.len() {
        return None;
    }
    let same_prefix = a
        .columns
        .iter()
        .zip(&b.columns)
        .all(|(x, y)| x.name == y.name && x.type_name == y.type_name);
    if !same_prefix {
        return None;
    }
    let mut out = vec![];
    let removed: Vec<&str> = a
        .options
        .iter()
        .filter_map(|o| o.split('=').next())
        .filter(|key| !b.options.iter().any(|o| o.split('=').next() == Some(*key)))
        .collect();
    if !removed.is_empty() {
        out.push(change(
            format!("ALTER VIEW {} RESET ({})", b.name, removed.join(", ")),
            k,
            "alter",
        ));
    }
    out.push(change(
        format!(
            "CREATE OR REPLACE VIEW {}{} AS\n{}",
            b.name,
            with_options(&b.options),
            b.definition
        ),
        k,
        "replace",
    ));
    Some(out)
}

/// Type changes PostgreSQL makes without rewriting the table.
fn binary_coercible(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let base = |t: &str| t.split('(').next().unwrap_or(t).trim().to_string();
    let (bf, bt) = (base(from), base(to));
    (bf == "character varying"
        && (bt == "text" || (bt == "character varying" && widening(from, to))))
        || (bf == "text" && bt == "character varying" && !to.contains('('))
        || (bf == "numeric" && bt == "numeric" && widening(from, to))
}

/// Type changes that cannot lose data.
fn widening(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let parse = |t: &str| -> (String, Vec<i64>) {
        match t.split_once('(') {
            Some((b, rest)) => (
                b.trim().to_string(),
                rest.trim_end_matches(')')
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect(),
            ),
            None => (t.trim().to_string(), vec![]),
        }
    };
    let (bf, mf) = parse(from);
    let (bt, mt) = parse(to);
    // Every value has a text form: nothing is lost on the way to text.
    if bt == "text" || (bt == "character varying" && mt.is_empty()) {
        return true;
    }
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(&bf), rank(&bt))
        && a <= b
        && (bt != "numeric" || mt.is_empty())
    {
        return true;
    }
    match (bf.as_str(), bt.as_str()) {
        ("character varying" | "character", "text") => true,
        ("character varying", "character varying") => {
            mt.is_empty() || mf.first().zip(mt.first()).is_some_and(|(a, b)| a <= b)
        }
        ("numeric", "numeric") => {
            mt.is_empty()
                || (mf.len() == 2
                    && mt.len() == 2
                    && mt[1] >= mf[1]
                    && mt[0] - mt[1] >= mf[0] - mf[1])
        }
        ("real", "double precision") => true,
        ("timestamp without time zone", "timestamp with time zone") => false,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_rules() {
        assert!(widening("integer", "bigint"));
        assert!(!widening("bigint", "integer"));
        assert!(widening("character varying(10)", "character varying(20)"));
        assert!(!widening("character varying(20)", "character varying(10)"));
        assert!(widening("numeric(10,2)", "numeric(12,2)"));
        assert!(!widening("numeric(10,2)", "numeric(10,3)"));
        assert!(widening("character varying(5)", "text"));
        assert!(!widening("text", "integer"));
        assert!(widening("integer", "text"));
        assert!(binary_coercible("character varying(10)", "text"));
        assert!(!binary_coercible("integer", "bigint"));
    }
}
