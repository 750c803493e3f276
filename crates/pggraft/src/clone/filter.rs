//! Leaving tables out (`-t`, `-T`): the relations themselves and everything
//! that depends on them, each dependent named in a warning. `clone` applies
//! it to the source model; `verify` and `sync-schema` apply the same rule
//! to both sides of a comparison (the target's names mapped back to the
//! source's, which the patterns are written in), so a copy made with `-T x`
//! is compared exactly as it was made.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::catalog::Catalog;
use crate::catalog::model::key;
use crate::error::{Error, Result};
use crate::rename::NameMap;
use crate::select::{TableFilter, TablePattern};
use crate::sql::QualifiedName;

/// Removes relations left out by `-t`/`-T`, and every object that depends
/// on them (views, foreign keys, functions over their row types …), with a
/// warning for each dependent object so nothing vanishes silently. A `-t`
/// naming one table (no wildcards) that the catalog does not have, or that
/// would be left out all the same (a partition without its parent), is an
/// error, before anything is written.
pub(crate) fn exclude_relations(cat: &mut Catalog, tables: &TableFilter) -> Result<Vec<String>> {
    if tables.is_empty() {
        return Ok(vec![]);
    }
    let named: Vec<(&TablePattern, Vec<QualifiedName>)> = tables
        .include
        .iter()
        .filter(|p| !p.is_wildcard())
        .map(|p| (p, relations(cat).filter(|q| p.matches(&q.schema, &q.name)).cloned().collect()))
        .collect();
    let named: Vec<(TablePattern, Vec<QualifiedName>)> =
        named.into_iter().map(|(p, m)| (p.clone(), m)).collect();
    let schemas: Vec<String> = cat.schemas.iter().map(|s| format!("{:?}", s.name)).collect();
    for (p, matches) in &named {
        if matches.is_empty() {
            return Err(Error::input(format!(
                "-t {}: no table or view of that name in schema(s) {} of database {:?} (names \
                 match exactly as stored, case-sensitively, with * and ? wildcards)",
                p.as_text(),
                schemas.join(", "),
                cat.database
            )));
        }
    }
    let parent_of: HashMap<QualifiedName, QualifiedName> = cat
        .tables
        .iter()
        .filter_map(|t| t.partition_of.as_ref().map(|p| (t.name.clone(), p.parent.clone())))
        .collect();
    let warnings = exclude_relations_by(cat, tables, &|q| q.clone());
    for (p, matches) in &named {
        let kept = relations(cat).any(|q| matches.contains(q));
        if kept {
            continue;
        }
        let first = &matches[0];
        let why = match parent_of.get(first) {
            Some(parent) => format!(
                "{first} is a partition of {parent}, and a partition is copied with its \
                 partitioned table; name the table instead (-t {parent})"
            ),
            None => format!("{first} depends on a table that is left out"),
        };
        return Err(Error::input(format!("-t {}: nothing would be copied: {why}", p.as_text())));
    }
    Ok(warnings)
}

/// The target names of the relations of `source` under `map`, each with
/// its source name: read before anything is left out, so the copy's
/// relations can be matched against patterns written in source names.
pub(crate) fn source_names(
    source: &Catalog,
    map: &NameMap,
) -> HashMap<QualifiedName, QualifiedName> {
    relations(source).map(|q| (map.qualified(q), q.clone())).collect()
}

/// [`exclude_relations_by`] on a copy (a catalog in target names): its
/// relations are matched by the source names in `names`, or for those only
/// the copy has, by their schema mapped back through `schema_map`.
pub(crate) fn exclude_from_copy(
    copy: &mut Catalog,
    tables: &TableFilter,
    names: &HashMap<QualifiedName, QualifiedName>,
    schema_map: &BTreeMap<String, String>,
) {
    let reverse: BTreeMap<&String, &String> = schema_map.iter().map(|(s, t)| (t, s)).collect();
    let source_name = |q: &QualifiedName| match names.get(q) {
        Some(s) => s.clone(),
        None => QualifiedName::new(
            reverse.get(&q.schema).map_or(q.schema.clone(), |s| (*s).clone()),
            q.name.clone(),
        ),
    };
    exclude_relations_by(copy, tables, &source_name);
}

fn relations(cat: &Catalog) -> impl Iterator<Item = &QualifiedName> {
    cat.tables.iter().map(|t| &t.name).chain(cat.views.iter().map(|v| &v.name))
}

/// [`exclude_relations`] on a catalog whose names are not the source's:
/// `source_name` maps a relation of `cat` to the source name the patterns
/// are matched against. Returns the warnings; checks no pattern.
pub(crate) fn exclude_relations_by(
    cat: &mut Catalog,
    tables: &TableFilter,
    source_name: &dyn Fn(&QualifiedName) -> QualifiedName,
) -> Vec<String> {
    if tables.is_empty() {
        return vec![];
    }
    let wanted = |q: &QualifiedName| tables.admits(&source_name(q));
    let excludes = |q: &QualifiedName| tables.excludes(&source_name(q));
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
            if !excludes(cur) && wanted(cur) {
                return true;
            }
            if excludes(cur) {
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
    // Servers are in the model for the foreign tables that use them.
    let used: BTreeSet<&str> =
        cat.tables.iter().filter_map(|t| t.foreign.as_ref()).map(|f| f.server.as_str()).collect();
    let used: BTreeSet<String> = used.into_iter().map(str::to_string).collect();
    cat.servers.retain(|s| used.contains(&s.name));
    warnings
}
