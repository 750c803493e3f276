//! Classification: each key of FROM and TO is created, dropped, altered in
//! place or recreated; recreating an object (or retyping a table's columns)
//! recreates what depends on it; and the drops that happen by themselves
//! (with their table, column or parent index) are marked so that no
//! statement is written for them. It leaves the in-place changes to
//! [`super::alter`] and [`super::meta`], and the statements to
//! [`super::statements`].

use std::collections::{BTreeSet, HashMap};

use super::alter::mentions;
use super::engine::Diff;
use super::objects::Obj;
use crate::catalog::model::*;
use crate::sql::QualifiedName;

impl<'a> Diff<'a> {
    pub(super) fn classify(&mut self) {
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
                                if let (Obj::Table(a), Obj::Table(b)) = (f, t)
                                    && self.rebuildable(a, b)
                                {
                                    self.rebuilt_tables.insert(k.clone());
                                }
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

    pub(super) fn recreate(&mut self, k: &str) {
        self.drops.insert(k.to_string());
        self.creates.insert(k.to_string());
        self.alters.remove(k);
        self.metas.remove(k);
    }

    /// Objects depending (in FROM) on recreated objects are recreated too;
    /// so are views, policies, triggers and rules over tables whose column
    /// types change. Tables are never recreated this way (their data).
    pub(super) fn recreate_dependents(&mut self) {
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
        for dep in self.column_dependents(&rdeps) {
            if seen.insert(dep.clone()) {
                if self.tobj.contains_key(&dep) {
                    self.recreate(&dep);
                } else {
                    self.drops.insert(dep.clone());
                }
                stack.push(dep);
            }
        }
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
                if self.rebuilt.contains(&k) && self.rebuild_defaults.contains(*dep) {
                    // The rebuild takes the default off and puts TO's back.
                    continue;
                }
                if let Obj::Sequence(_) = obj {
                    // Sequences keep their values: altered, never recreated.
                    continue;
                }
                if let Obj::OperatorFamily(_) = obj
                    && self.alters.contains_key(*dep)
                    && !self.creates.contains(&k)
                {
                    // A loose member's operator or function goes: the family's alter drops
                    // the member first.
                    continue;
                }
                if let Obj::Table(t) = obj {
                    // A table over a recreated object (a column of a
                    // recreated type): PostgreSQL would need CASCADE, which
                    // drops data. Say so instead of doing it.
                    if !self.drops.contains(*dep)
                        && !self.rebuilt.contains(&k)
                        && !self.converted.contains(*dep)
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

    /// What PostgreSQL will not let a column be dropped or retyped under:
    /// views, rules, policies, triggers (`UPDATE OF`, `WHEN`) and
    /// SQL-standard function bodies that name a column the plan drops,
    /// retypes or adds back, in its table or in the partitions and children
    /// that share the column. The catalog's dependencies stop at the table,
    /// so the column is found by name in their SQL.
    fn column_dependents(&self, rdeps: &HashMap<&String, Vec<&String>>) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let changed = self.dropped_columns.iter().chain(&self.reworked_columns);
        for (tk, cols) in changed {
            let Some(Obj::Table(t)) = self.fo.get(tk).copied() else { continue };
            for table in self.family_in_from(&t.name) {
                for dep in rdeps.get(&key::relation(table)).into_iter().flatten() {
                    let Some(obj) = self.fo.get(*dep).copied() else { continue };
                    let texts: Vec<&str> = match obj {
                        Obj::View(v) => vec![&v.definition],
                        Obj::Rule(r) => vec![&r.definition],
                        Obj::Trigger(tr) => vec![&tr.definition],
                        Obj::Policy(_, p) => {
                            p.using.iter().chain(&p.with_check).map(String::as_str).collect()
                        }
                        Obj::Function(f) => f.sql_body.iter().map(String::as_str).collect(),
                        _ => continue,
                    };
                    if texts.iter().any(|sql| cols.iter().any(|c| mentions(sql, c))) {
                        out.insert((*dep).clone());
                    }
                }
            }
        }
        out
    }

    /// A table of FROM and its partitions and inheritors, all levels down.
    pub(super) fn family_in_from(&self, root: &'a QualifiedName) -> Vec<&'a QualifiedName> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            for t in &self.from.tables {
                let child = t.partition_of.as_ref().is_some_and(|p| &p.parent == parent)
                    || t.inherits.contains(parent);
                if child && !out.contains(&&t.name) {
                    out.push(&t.name);
                }
            }
            i += 1;
        }
        out
    }

    /// Sub-objects that go away with their table, column or parent need no
    /// statement of their own.
    pub(super) fn mark_implicit_drops(&mut self) {
        for k in &self.drops {
            let Some(obj) = self.fo.get(k) else { continue };
            // Foreign keys are dropped explicitly even with their table: two
            // dropped tables referencing each other need it.
            let is_fk = matches!(obj, Obj::Constraint(_, c) if c.kind == "f" && !c.has_parent);
            // A table set aside keeps its name-holding sub-objects (indexes
            // and the keys they back) until it is dropped: TO's take their
            // names, so they go first.
            let holds_name = matches!(obj, Obj::Index(_))
                || matches!(obj, Obj::Constraint(_, c) if matches!(c.kind.as_str(), "p" | "u" | "x"));
            let set_aside = obj.table().is_some_and(|t| self.set_aside.contains(&key::relation(t)))
                && holds_name;
            let table_dropped = !is_fk
                && !set_aside
                && obj.table().is_some_and(|t| self.drops.contains(&key::relation(t)));
            let implicit = table_dropped
                || self.gone_with_rebuild.contains(k)
                || match obj {
                    Obj::Constraint(_, c) => {
                        c.has_parent
                            || !c.is_local && c.kind == "c"
                            || c.index_parent.as_ref().is_some_and(|p| self.index_dropped(p))
                    }
                    Obj::Index(i) => i.parent.as_ref().is_some_and(|p| self.index_dropped(p)),
                    // A base type's I/O functions go with the type (`DROP TYPE … CASCADE`).
                    Obj::Function(_) => self.from.depends.get(k).is_some_and(|d| {
                        d.iter().any(|x| {
                            x.strip_prefix("shell ").is_some_and(|t| self.drops.contains(t))
                        })
                    }),
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
}
