//! Assembly: every decision becomes a node of one dependency graph (a
//! [`Step`] for an object key, with the changes it emits and the nodes that
//! must come first), the graph is ordered by the shared planner and the
//! nodes are expanded into changes in that order. The planner sees each
//! node as a [`Stmt`] with no SQL of its own; the changes stay here, found
//! again by the node's position. What the changes are is decided by the
//! other passes.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::engine::{DETACH, DROP_COLUMN, Diff};
use super::objects::Obj;
use super::{Change, Migration};
use crate::catalog::model::*;
use crate::ddl::render;
use crate::plan::{Section, Stmt};

const DROP: u16 = 10;
const ALTER: u16 = 20;
const CREATE: u16 = 30;
const META: u16 = 40;
/// Default privileges come after everything else, as in a rendered script:
/// applied earlier, they would add grants to the objects created after them.
const DEFAULT_PRIVILEGES: u16 = 50;

/// What a node does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Drop,
    /// A converted child of a rebuilt table taken off it (see
    /// [`super::rebuild`]), before the old table is set aside.
    Detach,
    /// A table's dropped columns, before the rest of its alter: what the
    /// columns used (a type rebuilt aside) can go after them, what the
    /// alter adds can come first.
    DropColumns,
    Alter,
    Create,
    /// A rebuilt table's rows copied from the old one set aside, after TO's
    /// table and its partitions are created.
    Copy,
    /// A sequence's `OWNED BY`, after both the sequence and the column.
    Owned,
    /// Owner, privileges and comments.
    Meta,
    /// A schema's default privileges, moved after everything else.
    Defaults,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Drop => "drop",
            Step::Detach => "detach",
            Step::DropColumns => "drop-columns",
            Step::Alter => "alter",
            Step::Create => "create",
            Step::Copy => "copy",
            Step::Owned => "owned",
            Step::Meta => "meta",
            Step::Defaults => "defaults",
        }
    }
}

/// A node's name: its step and its object's key. The planner links nodes by
/// the name's text (`drop:K`), which also names a node in the warning about
/// a dependency cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NodeId {
    step: Step,
    key: String,
}

fn node(step: Step, key: &str) -> NodeId {
    NodeId { step, key: key.to_string() }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.step.as_str(), self.key)
    }
}

/// One node of the graph.
struct Node {
    id: NodeId,
    changes: Vec<Change>,
    /// Nodes that must come first (those that do not exist are ignored).
    deps: Vec<NodeId>,
    /// Tie-breaking priority among nodes whose dependencies are met.
    phase: u16,
}

impl Node {
    /// The node as the planner's node type: it orders by name, dependencies
    /// and phase only.
    fn stmt(&self) -> Stmt {
        let id = self.id.to_string();
        Stmt {
            section: Section::PreData,
            phase: self.phase,
            provides: Some(id.clone()),
            object: id,
            deps: self.deps.iter().map(NodeId::to_string).collect(),
            what: "node",
            sql: String::new(),
            exec: None,
        }
    }
}

impl Diff<'_> {
    /// The sequences of FROM that stay and are owned by the table `tk` (if
    /// it is dropped) or by one of its dropped columns: `DROP` would take
    /// them along.
    fn moved_sequences<'s>(&'s self, tk: &'s str) -> impl Iterator<Item = &'s String> + 's {
        self.from.sequences.iter().filter_map(move |sq| {
            let (t, col) = sq.owned_by.as_ref()?;
            let owner_goes = key::relation(t) == tk
                && (self.drops.contains(tk)
                    || self.dropped_columns.get(tk).is_some_and(|cols| cols.contains(col)));
            let k = self.fo.get_key_value(&key::sequence(&sq.name))?.0;
            (owner_goes && self.tobj.contains_key(k) && !self.drops.contains(k)).then_some(k)
        })
    }

    /// Whether `k` is a partition index or key dropped (by a statement of
    /// its own) from a table the plan detaches: PostgreSQL refuses to drop
    /// it while it is attached.
    fn dropped_after_detach(&self, k: &str) -> bool {
        let (attached, table) = match self.fo.get(k) {
            Some(Obj::Index(i)) => (i.parent.is_some(), &i.table),
            Some(Obj::Constraint(t, c)) => (c.index_parent.is_some(), &t.name),
            _ => return false,
        };
        attached
            && self.drops.contains(k)
            && !self.implicit_drops.contains(k)
            && (self.detached(table) || self.converted.contains(&key::relation(table)))
    }

    /// The keys of TO's partition indexes and keys attached to the index
    /// that the index or constraint `k` names (none for other keys).
    fn attached_to(&self, k: &str) -> Vec<String> {
        let index = match self.tobj.get(k) {
            Some(Obj::Index(i)) => i.name.clone(),
            Some(Obj::Constraint(t, c)) => match &c.index {
                Some(i) => crate::sql::QualifiedName::new(&t.name.schema, i),
                None => return vec![],
            },
            _ => return vec![],
        };
        let mut out = vec![];
        for i in self.to.indexes.iter().filter(|i| i.parent.as_ref() == Some(&index)) {
            out.push(key::index(&i.name));
        }
        for t in &self.to.tables {
            for c in t.constraints.iter().filter(|c| c.index_parent.as_ref() == Some(&index)) {
                out.push(key::constraint(&t.name, &c.name));
            }
        }
        out
    }

    /// Nodes and edges, ordered, expanded into changes.
    pub(super) fn assemble(mut self) -> Migration {
        let mut nodes: Vec<Node> = vec![];
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
                    deps.push(node(Step::Drop, x));
                } else if let Some(t) = self.fo.get(*x).and_then(|o| o.table()) {
                    let tk = key::relation(t);
                    if &tk != k {
                        deps.push(node(Step::Drop, &tk));
                        deps.push(node(Step::DropColumns, &tk));
                        deps.push(node(Step::Alter, &tk));
                    }
                }
                // A child converted under a rebuilt table only has to be off
                // it; the rest of its alter is for the new one.
                let step = if self.converted.contains(*x) { Step::Detach } else { Step::Alter };
                deps.push(node(step, x));
            }
            // A partition's index or key cannot be dropped while attached:
            // after its table is detached.
            if self.dropped_after_detach(k)
                && let Some(t) = obj.table()
            {
                let tk = key::relation(t);
                let step = if self.converted.contains(&tk) { Step::Detach } else { Step::Alter };
                deps.push(node(step, &tk));
            }
            // A sequence that the table or column owned and that stays is
            // given its new owner first: it would go with the old one.
            if let Obj::Table(_) = obj {
                deps.extend(self.moved_sequences(k).map(|sk| node(Step::Alter, sk)));
            }
            // Sub-objects go before their table's alters (a dropped index
            // before the dropped column it indexes).
            let changes = if self.implicit_drops.contains(k) {
                // Gone with its table (or parent index): not before that.
                if let Some(t) = obj.table() {
                    deps.push(node(Step::Drop, &key::relation(t)));
                    deps.push(node(Step::DropColumns, &key::relation(t)));
                    deps.push(node(Step::Alter, &key::relation(t)));
                }
                vec![]
            } else if let (true, Obj::Table(t)) = (self.set_aside.contains(k), obj) {
                self.set_aside_sql(k, t)
            } else {
                self.drop_sql(k, obj).into_iter().collect()
            };
            nodes.push(Node { id: node(Step::Drop, k), changes, deps, phase: DROP });
        }
        // Indexes and keys made on a table before it is attached.
        let mut before_attach: HashMap<String, Vec<NodeId>> = HashMap::new();
        for k in &self.creates {
            if let Some(obj) = self.tobj.get(k).copied()
                && let Some(t) = obj.table()
                && self.made_before_attach(obj)
            {
                before_attach.entry(key::relation(t)).or_default().push(node(Step::Create, k));
            }
        }
        for (k, mut changes) in std::mem::take(&mut self.alters) {
            let mut deps: Vec<NodeId> = before_attach.remove(&k).unwrap_or_default();
            for d in self.after_column_drops.get(&k).into_iter().flatten() {
                deps.push(node(Step::DropColumns, d));
            }
            for d in self.alter_after_creates.get(&k).into_iter().flatten() {
                deps.push(node(Step::Create, d));
            }
            for d in self.to.depends.get(&k).into_iter().flatten() {
                deps.push(node(Step::Create, d));
                // The sub-objects of a converted child follow it off the old
                // table; onto the new one, they follow what they attach to.
                let step = if self.converted.contains(d) { Step::Detach } else { Step::Alter };
                deps.push(node(step, d));
            }
            if self.converted.contains(&k) {
                let (detach, rest): (Vec<Change>, Vec<Change>) =
                    changes.into_iter().partition(|c| c.action == DETACH);
                changes = rest;
                deps.push(node(Step::Detach, &k));
                nodes.push(Node {
                    id: node(Step::Detach, &k),
                    changes: detach,
                    deps: vec![],
                    phase: ALTER,
                });
            }
            let mut dropped_first = vec![];
            for x in rdeps_from.get(&k).into_iter().flatten() {
                // Sub-objects that go with this alter (defaults of dropped
                // columns) cannot go before it, nor those that need it to
                // detach the table first.
                if !self.implicit_drops.contains(*x) && !self.dropped_after_detach(x) {
                    deps.push(node(Step::Drop, x));
                    dropped_first.push(node(Step::Drop, x));
                }
            }
            if changes.iter().any(|c| c.action == DROP_COLUMN) {
                let (drops, rest): (Vec<Change>, Vec<Change>) =
                    changes.into_iter().partition(|c| c.action == DROP_COLUMN);
                changes = rest;
                deps.push(node(Step::DropColumns, &k));
                dropped_first.extend(self.moved_sequences(&k).map(|sk| node(Step::Alter, sk)));
                nodes.push(Node {
                    id: node(Step::DropColumns, &k),
                    changes: drops,
                    deps: dropped_first,
                    phase: ALTER,
                });
            }
            // Added columns take their defaults inline: what those use first.
            if let Some(Obj::Table(t)) = self.tobj.get(&k) {
                let old = self.from.table(&t.name);
                let added = t
                    .columns
                    .iter()
                    .filter(|c| !old.is_some_and(|o| o.columns.iter().any(|x| x.name == c.name)));
                for c in added {
                    for d in
                        self.to.depends.get(&key::default(&t.name, &c.name)).into_iter().flatten()
                    {
                        if d != &k {
                            deps.push(node(Step::Create, d));
                        }
                    }
                }
            }
            nodes.push(Node { id: node(Step::Alter, &k), changes, deps, phase: ALTER });
        }
        for k in &self.creates {
            let Some(obj) = self.tobj.get(k).copied() else { continue };
            let mut deps: Vec<NodeId> = vec![node(Step::Drop, k)];
            let mut dep_keys: BTreeSet<&String> =
                self.to.depends.get(k).into_iter().flatten().collect();
            for s in self.created_sql.get(k).into_iter().flatten() {
                dep_keys.extend(s.deps.iter());
            }
            let before_attach = self.made_before_attach(obj);
            let own_table = obj.table().map(key::relation);
            if let Some(tk) = &own_table {
                deps.push(node(Step::Create, tk));
                if before_attach {
                    deps.push(node(Step::Detach, tk));
                } else {
                    deps.push(node(Step::Alter, tk));
                }
            }
            // A new sequence may take the name of an identity column's
            // sequence that the alter of its table drops.
            if let Obj::Sequence(sq) = obj {
                for t in &self.from.tables {
                    if t.columns
                        .iter()
                        .any(|c| c.identity.as_ref().is_some_and(|i| i.sequence == sq.name))
                    {
                        deps.push(node(Step::Alter, &key::relation(&t.name)));
                    }
                }
            }
            // A sequence depends on its owning table only through OWNED BY,
            // which has a node of its own (below).
            let owner_table = match obj {
                Obj::Sequence(sq) => sq.owned_by.as_ref().map(|(t, _)| key::relation(t)),
                _ => None,
            };
            // A partitioned table's key can be referenced once it is valid:
            // once its partitions' keys are attached to it.
            let mut attached: Vec<String> = vec![];
            if let Obj::Constraint(_, c) = obj
                && let Some(rt) = c.references.as_ref().and_then(|r| self.to.table(r))
            {
                for rc in rt.constraints.iter().filter(|x| matches!(x.kind.as_str(), "p" | "u")) {
                    attached.extend(self.attached_to(&key::constraint(&rt.name, &rc.name)));
                }
            }
            for a in &attached {
                if a != k {
                    deps.push(node(Step::Create, a));
                }
            }
            for d in dep_keys {
                if before_attach && own_table.as_ref() == Some(d) {
                    continue;
                }
                if d != k && owner_table.as_ref() != Some(d) {
                    deps.push(node(Step::Create, d));
                    deps.push(node(Step::Alter, d));
                    // What uses a rebuilt table (its keys, indexes, foreign
                    // keys to it) comes once its rows are in; its new
                    // partitions come before, to take them.
                    if !matches!(obj, Obj::Table(_)) {
                        deps.push(node(Step::Copy, d));
                    }
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
                        let tk = key::relation(&t.name);
                        deps.push(node(Step::Create, &tk));
                        if self.converted.contains(&tk) {
                            deps.push(node(Step::Alter, &tk));
                        }
                    }
                }
            }
            // A partition's own foreign key that matches one of its
            // parent's would be taken over by the parent's (PostgreSQL
            // attaches an equal constraint instead of adding one): after.
            if let Obj::Constraint(t, c) = obj
                && c.kind == "f"
                && !c.has_parent
                && let Some(p) = &t.partition_of
                && let Some(pt) = self.to.table(&p.parent)
            {
                for pc in pt.constraints.iter().filter(|x| x.kind == "f") {
                    deps.push(node(Step::Create, &key::constraint(&pt.name, &pc.name)));
                }
            }
            let mut changes = self.create_sql(k, obj);
            // OWNED BY needs the column, which may itself need the sequence
            // (serial): a node of its own after both.
            if let Obj::Sequence(sq) = obj
                && let Some((t, _)) = &sq.owned_by
            {
                let mut owned: Vec<Change> =
                    changes.iter().filter(|c| c.action == "sequence owned by").cloned().collect();
                changes.retain(|c| c.action != "sequence owned by");
                owned.extend(self.seed_sequence(k, sq));
                let tk = key::relation(t);
                nodes.push(Node {
                    id: node(Step::Owned, k),
                    changes: owned,
                    deps: vec![
                        node(Step::Create, k),
                        node(Step::Create, &tk),
                        node(Step::Alter, &tk),
                    ],
                    phase: CREATE,
                });
            }
            nodes.push(Node { id: node(Step::Create, k), changes, deps, phase: CREATE });
        }
        for (k, changes) in std::mem::take(&mut self.copies) {
            let Some(Obj::Table(t)) = self.tobj.get(&k).copied() else { continue };
            let mut deps = vec![node(Step::Create, &k), node(Step::Drop, &k)];
            for m in self.family_in_to(&t.name) {
                let mk = key::relation(m);
                // A converted child is attached before the rows come: some
                // may be its.
                if self.converted.contains(&mk) {
                    deps.push(node(Step::Alter, &mk));
                }
                deps.push(node(Step::Create, &mk));
            }
            for m in self.set_aside.iter().chain(&self.gone_with_rebuild) {
                deps.push(node(Step::Drop, m));
            }
            // A partition rebuilt as an inheritance child takes its rows
            // (and drops its old table) before the old parent's are read.
            if let Some(Obj::Table(old)) = self.fo.get(&k).copied() {
                for m in &self.from.tables {
                    if m.partition_of.as_ref().is_some_and(|p| p.parent == old.name) {
                        deps.push(node(Step::Copy, &key::relation(&m.name)));
                    }
                }
            }
            nodes.push(Node { id: node(Step::Copy, &k), changes, deps, phase: CREATE });
        }
        for (k, changes) in std::mem::take(&mut self.metas) {
            let deps = vec![node(Step::Alter, &k), node(Step::Create, &k)];
            nodes.push(Node { id: node(Step::Meta, &k), changes, deps, phase: META });
        }
        let mut defaults = vec![];
        for n in &mut nodes {
            if !n.changes.iter().any(|c| c.action == render::DEFAULT_PRIVILEGES) {
                continue;
            }
            let (moved, kept) = std::mem::take(&mut n.changes)
                .into_iter()
                .partition(|c| c.action == render::DEFAULT_PRIVILEGES);
            n.changes = kept;
            let k = &n.id.key;
            let deps = vec![node(Step::Create, k), node(Step::Alter, k), node(Step::Meta, k)];
            defaults.push(Node {
                id: node(Step::Defaults, k),
                changes: moved,
                deps,
                phase: DEFAULT_PRIVILEGES,
            });
        }
        nodes.extend(defaults);
        // Order the nodes through the shared planner.
        let mut stmts: Vec<Stmt> = nodes.iter().map(Node::stmt).collect();
        let (order, cycles) = crate::plan::order_positions(&mut stmts);
        let mut slots: Vec<Vec<Change>> = nodes.into_iter().map(|n| n.changes).collect();
        let mut changes = vec![];
        for i in order {
            changes.append(&mut slots[i]);
        }
        let mut warnings = self.warnings;
        warnings.extend(cycles);
        Migration { changes, warnings }
    }
}
