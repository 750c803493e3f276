//! Which tables change together: tables joined by foreign keys (either
//! way) and the members of one partition or inheritance tree form a group,
//! loaded in one target transaction, its members in foreign key order
//! (referenced tables first). A group that holds a table that must be
//! reloaded is reloaded whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::plan::{GroupPlan, Planned, TablePlan};
use crate::catalog::Catalog;
use crate::sql::QualifiedName;

/// Groups the planned tables (see [`GroupPlan`]): tables joined by foreign
/// keys, either way, and the members of one partition or inheritance tree.
/// A group holding a table that must be reloaded is reloaded whole: a merge
/// next to a reload would have to delete the reloaded table's rows under
/// the merged table's foreign keys.
pub(super) fn group_tables(plans: &mut [TablePlan], tgt: &Catalog) -> Vec<GroupPlan> {
    let index: HashMap<&QualifiedName, usize> =
        plans.iter().enumerate().map(|(i, p)| (&p.target, i)).collect();
    let mut uf = UnionFind::new(tgt.tables.len());
    let pos: HashMap<&QualifiedName, usize> =
        tgt.tables.iter().enumerate().map(|(i, t)| (&t.name, i)).collect();
    for (i, t) in tgt.tables.iter().enumerate() {
        let parent = t.partition_of.as_ref().map(|p| &p.parent).into_iter().chain(&t.inherits);
        for p in parent {
            if let Some(&j) = pos.get(p) {
                uf.union(i, j);
            }
        }
        for c in t.constraints.iter().filter(|c| c.kind == "f") {
            if let Some(&j) = c.references.as_ref().and_then(|r| pos.get(r)) {
                uf.union(i, j);
            }
        }
    }
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in tgt.tables.iter().enumerate() {
        if let Some(&p) = index.get(&t.name) {
            by_root.entry(uf.find(i)).or_default().push(p);
        }
    }
    let mut groups = vec![];
    for (_, members) in by_root {
        let ordered = parents_first(&members, plans, tgt);
        let partitioned = truncatable_parents(&ordered, plans, tgt);
        if ordered.iter().any(|&p| plans[p].planned == Planned::Reload) {
            let cause = ordered
                .iter()
                .find(|&&p| plans[p].planned == Planned::Reload)
                .map(|&p| plans[p].target.clone())
                .expect("found above");
            for &p in &ordered {
                if plans[p].planned != Planned::Reload {
                    plans[p].planned = Planned::Reload;
                    plans[p].reason = Some(format!(
                        "reloaded with {cause}, which it shares foreign keys or a partition tree \
                         with and which has to be reloaded"
                    ));
                }
            }
        }
        groups.push(GroupPlan { tables: ordered, partitioned });
    }
    groups
}

/// The members in foreign key order: referenced tables first (a cycle is
/// broken by name order).
fn parents_first(members: &[usize], plans: &[TablePlan], tgt: &Catalog) -> Vec<usize> {
    let names: BTreeMap<&QualifiedName, usize> =
        members.iter().map(|&p| (&plans[p].target, p)).collect();
    // Leaves of each partitioned table, so keys on a parent order its leaves.
    let leaves = |q: &QualifiedName| -> Vec<usize> {
        let mut out = vec![];
        let mut todo = vec![q.clone()];
        while let Some(cur) = todo.pop() {
            if let Some(&p) = names.get(&cur) {
                out.push(p);
            }
            for t in &tgt.tables {
                if t.partition_of.as_ref().is_some_and(|po| po.parent == cur) {
                    todo.push(t.name.clone());
                }
            }
        }
        out
    };
    let mut after: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for t in &tgt.tables {
        for c in t.constraints.iter().filter(|c| c.kind == "f") {
            let Some(r) = &c.references else { continue };
            for child in leaves(&t.name) {
                for parent in leaves(r) {
                    if child != parent {
                        after.entry(child).or_default().insert(parent);
                    }
                }
            }
        }
    }
    let mut left: Vec<usize> = names.values().copied().collect();
    let mut out = vec![];
    while !left.is_empty() {
        let ready = left
            .iter()
            .position(|p| after.get(p).is_none_or(|deps| deps.iter().all(|d| out.contains(d))))
            .unwrap_or(0);
        out.push(left.remove(ready));
    }
    out
}

/// Partitioned tables over the members whose every partition is a member:
/// truncating them with the group lets a foreign key that references them
/// be truncated with them.
fn truncatable_parents(
    members: &[usize],
    plans: &[TablePlan],
    tgt: &Catalog,
) -> Vec<QualifiedName> {
    let member: BTreeSet<&QualifiedName> = members.iter().map(|&p| &plans[p].target).collect();
    let mut out = vec![];
    for t in tgt.tables.iter().filter(|t| t.partition_key.is_some()) {
        let mut all = true;
        let mut any = false;
        let mut todo = vec![t.name.clone()];
        while let Some(cur) = todo.pop() {
            for c in tgt
                .tables
                .iter()
                .filter(|c| c.partition_of.as_ref().is_some_and(|p| p.parent == cur))
            {
                if c.partition_key.is_some() {
                    todo.push(c.name.clone());
                } else if member.contains(&c.name) {
                    any = true;
                } else {
                    all = false;
                }
            }
        }
        if any && all {
            out.push(t.name.clone());
        }
    }
    out
}

/// Whether a refreshed table has a foreign key to a table the refresh does
/// not write (then loads keep checking foreign keys).
pub(super) fn points_outside(plans: &[TablePlan], tgt: &Catalog) -> bool {
    let refreshed: BTreeSet<&QualifiedName> = plans.iter().map(|p| &p.target).collect();
    let parents: BTreeSet<&QualifiedName> =
        tgt.tables.iter().filter(|t| t.partition_key.is_some()).map(|t| &t.name).collect();
    tgt.tables.iter().filter(|t| refreshed.contains(&t.name) || parents.contains(&t.name)).any(
        |t| {
            t.constraints.iter().filter(|c| c.kind == "f").any(|c| {
                c.references
                    .as_ref()
                    .is_some_and(|r| !refreshed.contains(r) && !parents.contains(r))
            })
        },
    )
}

/// Union-find over table positions.
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }
}
