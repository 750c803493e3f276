//! Leaving tables out (`-t`, `-T`): the relations themselves and everything
//! that depends on them, each dependent named in a warning.

use std::collections::{BTreeSet, HashMap};

use crate::catalog::Catalog;
use crate::catalog::model::key;
use crate::select::TableFilter;
use crate::sql::QualifiedName;

/// Removes relations left out by `-t`/`-T`, and every object that depends
/// on them (views, foreign keys, functions over their row types …), with a
/// warning for each dependent object so nothing vanishes silently.
pub(crate) fn exclude_relations(cat: &mut Catalog, tables: &TableFilter) -> Vec<String> {
    if tables.is_empty() {
        return vec![];
    }
    let wanted = |q: &QualifiedName| tables.admits(q);
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    // Partitions go with their parents (and come with them under -t).
    let parent_of: HashMap<&QualifiedName, &QualifiedName> = cat
        .tables
        .iter()
        .filter_map(|t| t.partition_of.as_ref().map(|p| (&t.name, &p.parent)))
        .collect();
    let root_wanted = |q: &QualifiedName| {
        let mut cur = q;
        loop {
            if !tables.excludes(cur) && wanted(cur) {
                return true;
            }
            if tables.excludes(cur) {
                return false;
            }
            match parent_of.get(cur) {
                Some(p) => cur = p,
                None => return false,
            }
        }
    };
    for t in &cat.tables {
        if !root_wanted(&t.name) {
            excluded.insert(key::relation(&t.name));
        }
    }
    for v in &cat.views {
        if !wanted(&v.name) {
            excluded.insert(key::relation(&v.name));
        }
    }
    let direct = excluded.clone();
    // Transitive dependents.
    loop {
        let before = excluded.len();
        for (k, deps) in &cat.depends {
            if !excluded.contains(k) && deps.iter().any(|d| excluded.contains(d)) {
                excluded.insert(k.clone());
            }
        }
        if excluded.len() == before {
            break;
        }
    }
    let mut warnings = vec![];
    let mut note = |k: &str| {
        if !direct.contains(k) {
            warnings.push(format!("{k} left out: it depends on an excluded table"));
        }
    };
    cat.tables.retain(|t| {
        let k = key::relation(&t.name);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    for t in &mut cat.tables {
        let name = t.name.clone();
        t.constraints.retain(|c| {
            let k = key::constraint(&name, &c.name);
            let keep = !excluded.contains(&k)
                && c.references.as_ref().is_none_or(|r| !excluded.contains(&key::relation(r)));
            if !keep {
                note(&k);
            }
            keep
        });
        t.policies.retain(|p| !excluded.contains(&key::policy(&name, &p.name)));
        for c in &mut t.columns {
            if excluded.contains(&key::default(&name, &c.name)) {
                note(&key::default(&name, &c.name));
                c.default = None;
            }
        }
    }
    cat.views.retain(|v| {
        let k = key::relation(&v.name);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    cat.functions.retain(|f| {
        let k = key::function(&f.name, &f.identity_args);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    cat.sequences.retain(|s| {
        let owner_gone =
            s.owned_by.as_ref().is_some_and(|(t, _)| excluded.contains(&key::relation(t)));
        !owner_gone && !excluded.contains(&key::sequence(&s.name))
    });
    cat.indexes.retain(|i| {
        !excluded.contains(&key::relation(&i.table)) && !excluded.contains(&key::index(&i.name))
    });
    cat.triggers.retain(|t| {
        !excluded.contains(&key::relation(&t.table))
            && !excluded.contains(&key::trigger(&t.table, &t.name))
    });
    cat.rules.retain(|r| {
        !excluded.contains(&key::relation(&r.table))
            && !excluded.contains(&key::rule(&r.table, &r.name))
    });
    cat.statistics.retain(|s| !excluded.contains(&key::relation(&s.table)));
    cat.types.retain(|t| {
        let k = key::type_(&t.name);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    warnings
}
