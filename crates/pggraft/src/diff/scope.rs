//! What the self-check rebuilds: not all of FROM, only what the plan can
//! touch or be stopped by. The seeds are the objects the plan names and
//! every object that differs between FROM and TO (so a change the plan
//! forgot is still seen); to them come everything that depends on a seed,
//! in either catalog (a view over a retyped column makes `ALTER TABLE`
//! fail), and everything those need to exist (the table a foreign key
//! points at). An object that only comes in as something needed brings
//! none of its own sub-objects that are outside the scope (a referenced
//! table's other constraints and defaults), so the scope stays near the
//! size of the change whatever the size of the schema.
//!
//! Both catalogs are cut to the same scope, so what is outside it is
//! neither built nor compared. Known blind spot: a name clash between an
//! object the plan creates and an unrelated one outside the scope (an
//! index named like an untouched table) is not seen.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Migration;
use super::objects::{Obj, objects};
use crate::catalog::model::*;
use crate::sql::QualifiedName;

/// The keys the self-check rebuilds for plan `m` from FROM to TO.
pub fn scope(from: &Catalog, to: &Catalog, m: &Migration) -> BTreeSet<String> {
    let (fo, tobj) = (objects(from), objects(to));
    let mut seeds: BTreeSet<String> = m.changes.iter().map(|c| c.object.clone()).collect();
    for (k, f) in &fo {
        match tobj.get(k) {
            Some(t) if t.definition() == f.definition() && t.metadata() == f.metadata() => {}
            _ => {
                seeds.insert(k.clone());
            }
        }
    }
    seeds.extend(tobj.keys().filter(|k| !fo.contains_key(*k)).cloned());

    // Sub-objects count as dependents of their table (whatever pg_depend
    // says), so a table in the scope as a dependent brings them along.
    let mut rdeps: HashMap<String, Vec<&str>> = HashMap::new();
    for (cat, objs) in [(from, &fo), (to, &tobj)] {
        for (k, deps) in &cat.depends {
            for d in deps {
                rdeps.entry(d.clone()).or_default().push(k);
            }
        }
        for (k, o) in objs {
            if let Some(t) = o.table() {
                rdeps.entry(key::relation(t)).or_default().push(k);
            }
        }
    }
    let mut dependents = seeds.clone();
    let mut stack: Vec<String> = seeds.into_iter().collect();
    while let Some(k) = stack.pop() {
        // What is in a schema depends on it, but a schema that changes
        // (its owner, its grants) changes nothing in it; one that goes or
        // comes takes or brings its objects, which are seeds themselves.
        if k.starts_with("schema ") {
            continue;
        }
        for d in rdeps.get(k.as_str()).into_iter().flatten() {
            if dependents.insert((*d).to_owned()) {
                stack.push((*d).to_owned());
            }
        }
    }
    // Everything those need, in either catalog; a sub-object needs its table.
    // The constraints that own an index (PK, UNIQUE, EXCLUDE), by index.
    let mut index_owners: HashMap<QualifiedName, Vec<String>> = HashMap::new();
    for cat in [from, to] {
        for t in &cat.tables {
            for c in &t.constraints {
                if let Some(i) = &c.index {
                    index_owners
                        .entry(QualifiedName::new(&t.name.schema, i))
                        .or_default()
                        .push(key::constraint(&t.name, &c.name));
                }
            }
        }
    }
    let tables: [HashMap<String, &Table>; 2] =
        [from, to].map(|cat| cat.tables.iter().map(|t| (key::relation(&t.name), t)).collect());
    let mut out = dependents.clone();
    let mut stack: Vec<String> = dependents.into_iter().collect();
    while let Some(k) = stack.pop() {
        let mut needs: Vec<String> = vec![];
        for ((cat, objs), tables) in [(from, &fo), (to, &tobj)].into_iter().zip(&tables) {
            needs.extend(cat.depends.get(&k).into_iter().flatten().cloned());
            if let Some(t) = objs.get(&k).and_then(|o| o.table()) {
                needs.push(key::relation(t));
            }
            // A partition's index or key needs the parent's it is attached to.
            let parent = match objs.get(&k) {
                Some(Obj::Index(i)) => i.parent.as_ref(),
                Some(Obj::Constraint(_, c)) => c.index_parent.as_ref(),
                _ => None,
            };
            if let Some(p) = parent {
                needs.push(key::index(p));
                needs.extend(index_owners.get(p).into_iter().flatten().cloned());
            }
            // A partition needs its parent; an inheritor its parents.
            if let Some(t) = tables.get(&k) {
                needs.extend(t.partition_of.iter().map(|p| key::relation(&p.parent)));
                needs.extend(t.inherits.iter().map(key::relation));
            }
        }
        for n in needs {
            if out.insert(n.clone()) {
                stack.push(n);
            }
        }
    }
    // Schemas are cheap and hold the default privileges: all of them.
    out.extend(from.schemas.iter().chain(&to.schemas).map(|s| key::schema(&s.name)));
    out
}

/// `cat` cut to the keys in `keep`: a table kept brings only its
/// constraints, policies and column defaults that are kept too.
pub fn cut(cat: &Catalog, keep: &BTreeSet<String>) -> Catalog {
    let has = |k: String| keep.contains(&k);
    let mut c = cat.clone();
    c.extensions.retain(|x| has(key::extension(&x.name)));
    c.collations.retain(|x| has(key::collation(&x.name)));
    c.types.retain(|x| has(key::type_(&x.name)));
    c.functions.retain(|x| has(key::function(&x.name, &x.identity_args)));
    c.sequences.retain(|x| has(key::sequence(&x.name)));
    c.tables.retain(|t| has(key::relation(&t.name)));
    for t in &mut c.tables {
        let name = t.name.clone();
        t.constraints.retain(|x| has(key::constraint(&name, &x.name)));
        t.policies.retain(|x| has(key::policy(&name, &x.name)));
        for col in &mut t.columns {
            if col.default.is_some() && !has(key::default(&name, &col.name)) {
                col.default = None;
            }
        }
    }
    c.views.retain(|v| has(key::relation(&v.name)));
    c.indexes.retain(|x| has(key::index(&x.name)));
    c.triggers.retain(|x| has(key::trigger(&x.table, &x.name)));
    c.rules.retain(|x| has(key::rule(&x.table, &x.name)));
    c.statistics.retain(|x| has(key::statistics(&x.name)));
    c.text_search.retain(|x| has(key::text_search(x)));
    c.operators.retain(|x| has(key::operator(x)));
    c.depends = cat
        .depends
        .iter()
        .filter(|(k, _)| keep.contains(*k))
        .map(|(k, deps)| (k.clone(), deps.iter().filter(|d| keep.contains(*d)).cloned().collect()))
        .collect::<BTreeMap<_, _>>();
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};

    fn column(name: &str, type_name: &str) -> Column {
        serde_json::from_value(serde_json::json!({
            "name": name, "type_name": type_name, "not_null": false, "is_local": true
        }))
        .unwrap()
    }

    fn table(name: &str, columns: Vec<Column>) -> Table {
        let mut t: Table = serde_json::from_value(serde_json::json!({
            "name": {"schema": "app", "name": name}, "unlogged": false, "columns": [],
            "constraints": [], "replica_identity": "d", "rls_enabled": false, "rls_forced": false
        }))
        .unwrap();
        t.columns = columns;
        t
    }

    /// 200 tables, one referenced by another's foreign key, one changed.
    fn catalogs() -> (Catalog, Catalog) {
        let mut from = Catalog::default();
        from.schemas.push(serde_json::from_value(serde_json::json!({"name": "app"})).unwrap());
        for i in 0..200 {
            from.tables.push(table(&format!("t{i}"), vec![column("id", "integer")]));
        }
        let mut fk: Constraint = serde_json::from_value(serde_json::json!({
            "name": "t1_id_fkey", "kind": "f", "definition": "FOREIGN KEY (id) REFERENCES app.t2(id)",
            "validated": true, "is_local": true, "has_parent": false,
            "references": {"schema": "app", "name": "t2"}
        }))
        .unwrap();
        fk.references = Some(QualifiedName::new("app", "t2"));
        from.tables[1].constraints.push(fk);
        let fk_key = key::constraint(&QualifiedName::new("app", "t1"), "t1_id_fkey");
        from.depends.insert(
            fk_key,
            [
                key::relation(&QualifiedName::new("app", "t1")),
                key::relation(&QualifiedName::new("app", "t2")),
            ]
            .into(),
        );
        let mut to = from.clone();
        to.tables[1].columns.push(column("note", "text"));
        (from, to)
    }

    #[test]
    fn scope_is_the_change_and_what_it_needs() {
        let (from, to) = catalogs();
        let m = diff(&from, &to, &DiffOptions::default()).unwrap();
        let keep = scope(&from, &to, &m);
        let cut_from = cut(&from, &keep);
        let names: Vec<&str> = cut_from.tables.iter().map(|t| t.name.name.as_str()).collect();
        // t1 is changed; t2 is what its foreign key needs; the other 198 stay out.
        assert_eq!(names, ["t1", "t2"]);
        assert_eq!(cut_from.tables[0].constraints.len(), 1);
        // Cut the same way, the two sides differ only by the change.
        let again = diff(&cut_from, &cut(&to, &keep), &DiffOptions::default()).unwrap();
        assert_eq!(again.changes.len(), m.changes.len());
    }

    #[test]
    fn a_change_the_plan_forgets_stays_in_scope() {
        let (from, mut to) = catalogs();
        let m = diff(&from, &to, &DiffOptions::default()).unwrap();
        to.tables[150].columns.push(column("forgotten", "text"));
        let keep = scope(&from, &to, &m);
        assert!(keep.contains(&key::relation(&QualifiedName::new("app", "t150"))));
    }
}
