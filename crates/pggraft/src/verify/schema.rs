//! Comparing structure: the source model, renamed into target names, and
//! the target model are both rendered as SQL, and the statements of each
//! object (its `CREATE`, owner, grants, comments, …) are compared as sets.
//!
//! Comparing rendered SQL rather than model fields means every property the
//! renderer knows is compared, and a difference is shown as the statements
//! that would reproduce each side. The database name, sizes and row
//! estimates are not rendered, so they never count. Definitions that differ
//! in text are first re-spelled by the target's server, and between major
//! versions the source's privileges restated for the target's ([`align`]),
//! so meaning is compared, not one server's spelling.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::{DiffKind, ObjectDiff};
use crate::catalog::respell::{differing, respell_both};
use crate::catalog::versions::{express_for, major};
use crate::catalog::{Catalog, key};
use crate::conn::{ConnSpec, prepare_session};
use crate::ddl::render::{RenderOptions, render};
use crate::sql::QualifiedName;

/// Keys of every object that belongs to one of `tables`: the relation, its
/// defaults, constraints, policies, indexes, triggers, rules, statistics
/// and the sequences it owns.
pub(super) fn table_object_keys(
    cat: &Catalog,
    tables: &BTreeSet<QualifiedName>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in cat.tables.iter().filter(|t| tables.contains(&t.name)) {
        out.insert(key::relation(&t.name));
        out.extend(t.columns.iter().map(|c| key::default(&t.name, &c.name)));
        out.extend(t.constraints.iter().map(|c| key::constraint(&t.name, &c.name)));
        out.extend(t.policies.iter().map(|p| key::policy(&t.name, &p.name)));
    }
    out.extend(
        cat.indexes.iter().filter(|i| tables.contains(&i.table)).map(|i| key::index(&i.name)),
    );
    out.extend(
        cat.triggers
            .iter()
            .filter(|x| tables.contains(&x.table))
            .map(|x| key::trigger(&x.table, &x.name)),
    );
    out.extend(
        cat.rules
            .iter()
            .filter(|x| tables.contains(&x.table))
            .map(|x| key::rule(&x.table, &x.name)),
    );
    out.extend(
        cat.statistics
            .iter()
            .filter(|x| tables.contains(&x.table))
            .map(|x| key::statistics(&x.name)),
    );
    out.extend(
        cat.sequences
            .iter()
            .filter(|s| s.owned_by.as_ref().is_some_and(|(t, _)| tables.contains(t)))
            .map(|s| key::sequence(&s.name)),
    );
    out
}

/// Makes `source` (renamed into target names) and `target` comparable by meaning: read
/// from another major version, the source's privileges are restated for the target's; and
/// the definitions that differ in text are re-spelled, on both sides, by the target's server
/// (see [`crate::catalog::respell`]). Returns warnings: privileges the target's version
/// cannot express, or why definitions could not be re-spelled.
pub(super) async fn align(
    target_spec: &ConnSpec,
    source: &mut Catalog,
    target: &mut Catalog,
) -> Vec<String> {
    let (from, to) = (major(source.server_version), major(target.server_version));
    let mut warnings = if from == to { vec![] } else { express_for(source, target.server_version) };
    let n = differing(source, target).len();
    if n == 0 {
        return warnings;
    }
    let respelled = async {
        let c = target_spec.connect().await?;
        prepare_session(&c).await?;
        respell_both(&c, source, target).await
    };
    if let Err(e) = respelled.await {
        warnings.push(format!(
            "{n} definitions differing in text could not be compared on the target's server \
             ({e}); they may show as changed"
        ));
    }
    warnings
}

/// Statements per object key, keys in first-rendered order.
struct Rendered {
    order: Vec<String>,
    stmts: HashMap<String, Vec<String>>,
    what: HashMap<String, &'static str>,
}

fn rendered(cat: &Catalog, skip: &BTreeSet<String>, opts: &RenderOptions) -> Rendered {
    let mut r = Rendered { order: vec![], stmts: HashMap::new(), what: HashMap::new() };
    for s in render(cat, opts) {
        if skip.contains(&s.object) {
            continue;
        }
        if !r.stmts.contains_key(&s.object) {
            r.order.push(s.object.clone());
        }
        // The creating statement names the kind; otherwise the first one.
        if s.provides.as_deref() == Some(s.object.as_str()) {
            r.what.insert(s.object.clone(), s.what);
        } else {
            r.what.entry(s.object.clone()).or_insert(s.what);
        }
        r.stmts.entry(s.object).or_default().push(s.sql);
    }
    r
}

/// Differences between `source` (already renamed into target names) and
/// `target`, leaving out the objects whose keys are in `skip`.
pub(super) fn compare(
    source: &Catalog,
    target: &Catalog,
    skip: &BTreeSet<String>,
    opts: &RenderOptions,
) -> Vec<ObjectDiff> {
    let a = rendered(source, skip, opts);
    let b = rendered(target, skip, opts);
    let mut out = vec![];
    let keys = a.order.iter().chain(b.order.iter().filter(|k| !a.stmts.contains_key(*k)));
    for k in keys {
        let what = a.what.get(k).or_else(|| b.what.get(k)).copied().unwrap_or("object").to_string();
        match (a.stmts.get(k), b.stmts.get(k)) {
            (Some(s), None) => out.push(ObjectDiff {
                object: k.clone(),
                what,
                kind: DiffKind::Missing,
                source: s.clone(),
                target: vec![],
            }),
            (None, Some(t)) => out.push(ObjectDiff {
                object: k.clone(),
                what,
                kind: DiffKind::Extra,
                source: vec![],
                target: t.clone(),
            }),
            (Some(s), Some(t)) => {
                // As multisets: the order of an object's grants and comments
                // is not part of its definition.
                let (only_s, only_t) = multiset_difference(s, t);
                if !only_s.is_empty() || !only_t.is_empty() {
                    out.push(ObjectDiff {
                        object: k.clone(),
                        what,
                        kind: DiffKind::Changed,
                        source: only_s,
                        target: only_t,
                    });
                }
            }
            (None, None) => {}
        }
    }
    out
}

/// Items of `a` not in `b` and of `b` not in `a`, counting repeats, each in
/// its original order.
fn multiset_difference(a: &[String], b: &[String]) -> (Vec<String>, Vec<String>) {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for s in b {
        *counts.entry(s).or_default() += 1;
    }
    let mut only_a = vec![];
    for s in a {
        match counts.get_mut(s.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => only_a.push(s.clone()),
        }
    }
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for s in a {
        *counts.entry(s).or_default() += 1;
    }
    let mut only_b = vec![];
    for s in b {
        match counts.get_mut(s.as_str()) {
            Some(n) if *n > 0 => *n -= 1,
            _ => only_b.push(s.clone()),
        }
    }
    (only_a, only_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiset_difference_counts_repeats_and_ignores_order() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(multiset_difference(&v(&["a", "b"]), &v(&["b", "a"])), (vec![], vec![]));
        assert_eq!(
            multiset_difference(&v(&["a", "a", "b"]), &v(&["a", "c"])),
            (v(&["a", "b"]), v(&["c"]))
        );
    }
}
