//! Renaming a whole catalog model.
//!
//! Two maps are applied: `structure` to names and to SQL the server binds by
//! OID when it is created (view bodies, defaults, constraints, index and
//! trigger definitions, SQL-standard function bodies), and `text` to what is
//! resolved by name at run time (function source and `SET search_path`).
//! They differ while a clone is built under temporary schema names: views
//! must point at the temporary schema (it is renamed into place later, and
//! OID references follow), but function bodies must name the final one.

use std::collections::HashMap;

use super::{
    NameMap, rewrite_function_body, rewrite_search_path_for, rewrite_sql, rewrite_trigger_arguments,
};
use crate::catalog::model::*;
use crate::error::Result;
use crate::sql::QualifiedName;

/// Registers every name of the catalog's mapped schemas in `map`, and checks
/// that lower-casing keeps names distinct.
pub fn register_names(cat: &Catalog, map: &mut NameMap) -> Result<()> {
    let mapped: std::collections::BTreeSet<String> = map.schemas().keys().cloned().collect();
    let is_mapped = |s: &str| mapped.contains(s);
    for s in &cat.schemas {
        if !is_mapped(&s.name) {
            continue;
        }
        let mut relations: Vec<&str> = vec![];
        let mut types: Vec<&str> = vec![];
        for t in cat.tables.iter().filter(|t| t.name.schema == s.name) {
            relations.push(&t.name.name);
        }
        for v in cat.views.iter().filter(|v| v.name.schema == s.name) {
            relations.push(&v.name.name);
        }
        for q in cat.sequences.iter().filter(|q| q.name.schema == s.name) {
            relations.push(&q.name.name);
        }
        for i in cat.indexes.iter().filter(|i| i.name.schema == s.name) {
            relations.push(&i.name.name);
        }
        for t in cat.tables.iter().filter(|t| t.name.schema == s.name) {
            relations.extend(t.constraints.iter().filter_map(|c| c.index.as_deref()));
            relations.extend(
                t.columns
                    .iter()
                    .filter_map(|c| c.identity.as_ref())
                    .map(|i| i.sequence.name.as_str()),
            );
        }
        for t in cat.types.iter().filter(|t| t.name.schema == s.name) {
            types.push(&t.name.name);
            if let TypeKind::Range { multirange: Some(m), .. } = &t.kind {
                types.push(&m.name);
            }
        }
        map.check_collisions(
            &format!("schema {}", crate::sql::ident(&s.name)),
            relations.iter().copied(),
        )?;
        map.check_collisions(
            &format!("types of schema {}", crate::sql::ident(&s.name)),
            types.iter().copied(),
        )?;
        for n in relations.iter().chain(types.iter()) {
            map.add_object(&s.name, n);
        }
        for f in cat.functions.iter().filter(|f| f.name.schema == s.name) {
            map.add_object(&s.name, &f.name.name);
        }
        for c in cat.collations.iter().filter(|c| c.name.schema == s.name) {
            map.add_object(&s.name, &c.name.name);
        }
        for st in cat.statistics.iter().filter(|x| x.name.schema == s.name) {
            map.add_object(&s.name, &st.name.name);
        }
        for ts in cat.text_search.iter().filter(|x| x.name.schema == s.name) {
            map.add_object(&s.name, &ts.name.name);
        }
        for op in cat.operators.iter().filter(|x| x.name.schema == s.name) {
            map.add_object(&s.name, &op.name.name);
        }
        for c in cat.conversions.iter().filter(|x| x.name.schema == s.name) {
            map.add_object(&s.name, &c.name.name);
        }
        for f in cat.operator_families.iter().filter(|x| x.name.schema == s.name) {
            map.add_object(&s.name, &f.name.name);
        }
        for c in cat.operator_classes.iter().filter(|x| x.name.schema == s.name) {
            map.add_object(&s.name, &c.name.name);
        }
    }
    for t in cat.tables.iter().filter(|t| is_mapped(&t.name.schema)) {
        map.check_collisions(
            &format!("table {}", t.name),
            t.columns.iter().map(|c| c.name.as_str()),
        )?;
        map.check_collisions(
            &format!("constraints of table {}", t.name),
            t.constraints.iter().map(|c| c.name.as_str()),
        )?;
        for c in &t.columns {
            map.add_ident(&c.name);
        }
        for c in &t.constraints {
            map.add_ident(&c.name);
        }
        for p in &t.policies {
            map.add_ident(&p.name);
        }
    }
    for v in cat.views.iter().filter(|v| is_mapped(&v.name.schema)) {
        map.check_collisions(
            &format!("view {}", v.name),
            v.columns.iter().map(|c| c.name.as_str()),
        )?;
        for c in &v.columns {
            map.add_ident(&c.name);
        }
    }
    for t in cat.types.iter().filter(|t| is_mapped(&t.name.schema)) {
        match &t.kind {
            TypeKind::Composite { attributes } => {
                for a in attributes {
                    map.add_ident(&a.name);
                }
            }
            TypeKind::Domain { constraints, .. } => {
                for c in constraints {
                    map.add_ident(&c.name);
                }
            }
            _ => {}
        }
    }
    for tr in cat.triggers.iter().filter(|t| is_mapped(&t.table.schema)) {
        map.add_ident(&tr.name);
    }
    // What extensions hold in a mapped schema: unless they move with it
    // (register_extension_members), a reference to them keeps its schema.
    for e in cat.extensions.iter().filter(|e| is_mapped(&e.schema)) {
        map.shared.entry(e.schema.clone()).or_default().extend(e.members.iter().cloned());
    }
    for r in cat.rules.iter().filter(|t| is_mapped(&t.table.schema)) {
        map.add_ident(&r.name);
    }
    Ok(())
}

/// For a copy into another database, where the extensions of a mapped
/// schema are created in its copy: registers their members' names, so that
/// references such as `app.citext` follow the schema, and makes
/// [`rename_catalog`] move the extensions with their schemas. Within one
/// database the copy shares the source's extensions, and this is not
/// called.
pub fn register_extension_members(cat: &Catalog, map: &mut NameMap) {
    for e in &cat.extensions {
        if !map.is_mapped(&e.schema) {
            continue;
        }
        for m in &e.members {
            // Not folded: an extension's names are its own.
            map.objects.entry(e.schema.clone()).or_default().insert(m.clone());
        }
    }
    map.extensions_follow = true;
}

/// Applies the renames (see the module docs). Returns the renamed model and
/// warnings about references that could not be rewritten safely, each naming
/// its object.
pub fn rename_catalog(
    cat: &Catalog,
    structure: &NameMap,
    text: &NameMap,
) -> (Catalog, Vec<String>) {
    let mut r = Renamer { m: structure, warnings: vec![] };
    let old_keys = cat.object_keys();
    let mut out = cat.clone();
    for s in &mut out.schemas {
        s.name = structure.schema(&s.name);
    }
    if structure.extensions_follow() {
        for e in &mut out.extensions {
            e.schema = structure.schema(&e.schema);
        }
    }
    for c in &mut out.collations {
        c.name = r.q(&c.name);
    }
    for t in &mut out.types {
        let what = format!("type {}", t.name);
        t.name = r.q(&t.name);
        match &mut t.kind {
            TypeKind::Enum { .. } | TypeKind::Shell => {}
            TypeKind::Base(b) => {
                let b = &mut **b;
                for f in [&mut b.input, &mut b.output] {
                    *f = r.sql(&what, f);
                }
                for f in [
                    &mut b.receive,
                    &mut b.send,
                    &mut b.typmod_in,
                    &mut b.typmod_out,
                    &mut b.analyze,
                    &mut b.subscript,
                    &mut b.element,
                ]
                .into_iter()
                .flatten()
                {
                    *f = r.sql(&what, f);
                }
            }
            TypeKind::Domain { base, collation, default, constraints, .. } => {
                *base = r.sql(&what, base);
                *collation = collation.as_ref().map(|c| r.q(c));
                *default = default.as_ref().map(|d| r.sql(&what, d));
                for c in constraints {
                    c.name = r.n(&c.name);
                    c.definition = r.sql(&what, &c.definition);
                }
            }
            TypeKind::Composite { attributes } => {
                for a in attributes {
                    a.name = r.n(&a.name);
                    a.type_name = r.sql(&what, &a.type_name);
                    a.collation = a.collation.as_ref().map(|c| r.q(c));
                }
            }
            TypeKind::Range {
                subtype,
                subtype_opclass,
                collation,
                canonical,
                subtype_diff,
                multirange,
            } => {
                *subtype = r.sql(&what, subtype);
                *subtype_opclass = subtype_opclass.as_ref().map(|c| r.q(c));
                *collation = collation.as_ref().map(|c| r.q(c));
                *canonical = canonical.as_ref().map(|c| r.sql(&what, c));
                *subtype_diff = subtype_diff.as_ref().map(|c| r.sql(&what, c));
                *multirange = multirange.as_ref().map(|c| r.q(c));
            }
        }
    }
    for f in &mut out.functions {
        let what = format!("function {}({})", f.name, f.identity_args);
        f.name = r.q(&f.name);
        f.identity_args = r.sql(&what, &f.identity_args);
        f.arguments = r.sql(&what, &f.arguments);
        f.result = f.result.as_ref().map(|x| r.sql(&what, x));
        f.support = f.support.as_ref().map(|x| r.sql(&what, x));
        f.sql_body = f.sql_body.as_ref().map(|x| r.sql(&what, x));
        if let Some(a) = &mut f.aggregate {
            rename_aggregate(a, &mut |x: &str| r.sql(&what, x));
        }
        // The search path first: it looks at the body as the source has it.
        let source_body = f.body.clone().filter(|_| f.object_file.is_none());
        for (k, v) in &mut f.config {
            if k == "search_path" {
                *v = rewrite_search_path_for(v, text, source_body.as_deref());
            }
        }
        if let (Some(body), None) = (&f.body, &f.object_file) {
            let rw = rewrite_function_body(body, &f.language, text);
            r.warnings.extend(rw.warnings.into_iter().map(|w| format!("{what}: {w}")));
            f.body = Some(rw.sql);
        }
    }
    for s in &mut out.sequences {
        s.name = r.q(&s.name);
        s.owned_by = s.owned_by.as_ref().map(|(t, c)| (r.q(t), r.n(c)));
    }
    for t in &mut out.tables {
        let what = format!("table {}", t.name);
        t.name = r.q(&t.name);
        for c in &mut t.columns {
            c.name = r.n(&c.name);
            c.type_name = r.sql(&what, &c.type_name);
            c.default = c.default.as_ref().map(|x| r.sql(&what, x));
            c.generated = c.generated.as_ref().map(|x| r.sql(&what, x));
            c.collation = c.collation.as_ref().map(|x| r.q(x));
            if let Some(id) = &mut c.identity {
                id.sequence = r.q(&id.sequence);
            }
        }
        t.partition_key = t.partition_key.as_ref().map(|x| r.sql(&what, x));
        if let Some(p) = &mut t.partition_of {
            p.parent = r.q(&p.parent);
            p.bound = r.sql(&what, &p.bound);
        }
        t.inherits = t.inherits.iter().map(|p| r.q(p)).collect();
        t.of_type = t.of_type.as_ref().map(|x| r.q(x));
        for c in &mut t.constraints {
            c.name = r.n(&c.name);
            c.definition = r.sql(&what, &c.definition);
            c.references = c.references.as_ref().map(|x| r.q(x));
            c.index = c.index.as_ref().map(|x| r.n(x));
            c.index_definition = c.index_definition.as_ref().map(|x| r.sql(&what, x));
            c.index_parent = c.index_parent.as_ref().map(|x| r.q(x));
        }
        t.replica_identity_index = t.replica_identity_index.as_ref().map(|x| r.n(x));
        for p in &mut t.policies {
            p.name = r.n(&p.name);
            p.using = p.using.as_ref().map(|x| r.sql(&what, x));
            p.with_check = p.with_check.as_ref().map(|x| r.sql(&what, x));
        }
    }
    for v in &mut out.views {
        let what = format!("view {}", v.name);
        v.name = r.q(&v.name);
        v.definition = r.sql(&what, &v.definition);
        for c in &mut v.columns {
            c.name = r.n(&c.name);
            // `public.post_rating`: a type of the copy when it is one of the renamed schema's.
            c.type_name = r.sql(&what, &c.type_name);
            c.default = c.default.as_ref().map(|x| r.sql(&what, x));
        }
    }
    for i in &mut out.indexes {
        let what = format!("index {}", i.name);
        i.name = r.q(&i.name);
        i.table = r.q(&i.table);
        i.definition = r.sql(&what, &i.definition);
        i.parent = i.parent.as_ref().map(|x| r.q(x));
    }
    for t in &mut out.triggers {
        let what = format!("trigger {} on {}", t.name, t.table);
        t.name = r.n(&t.name);
        t.table = r.q(&t.table);
        // The names passed as strings first, to their final names: the structure's pass
        // leaves the result alone (the final schemas are not source schemas).
        let definition = rewrite_trigger_arguments(&t.definition, text);
        t.definition = r.sql(&what, &definition);
    }
    for x in &mut out.rules {
        let what = format!("rule {} on {}", x.name, x.table);
        x.name = r.n(&x.name);
        x.table = r.q(&x.table);
        x.definition = r.sql(&what, &x.definition);
    }
    for s in &mut out.statistics {
        let what = format!("statistics {}", s.name);
        s.name = r.q(&s.name);
        s.table = r.q(&s.table);
        s.definition = r.sql(&what, &s.definition);
    }
    for op in &mut out.operators {
        let what = format!("operator {}", op.signature());
        // Symbols have no case to fold: only the schema moves.
        op.name.schema = r.q(&op.name).schema;
        op.left = op.left.as_ref().map(|x| r.sql(&what, x));
        op.right = r.sql(&what, &op.right);
        op.function = r.sql(&what, &op.function);
        for other in [&mut op.commutator, &mut op.negator].into_iter().flatten() {
            *other = r.operator(&what, other);
        }
        op.restrict = op.restrict.as_ref().map(|x| r.sql(&what, x));
        op.join = op.join.as_ref().map(|x| r.sql(&what, x));
    }
    for f in &mut out.operator_families {
        let what = format!("operator family {}", f.name);
        f.name = r.q(&f.name);
        rename_members(&mut r, &what, &mut f.operators, &mut f.functions);
    }
    for c in &mut out.operator_classes {
        let what = format!("operator class {}", c.name);
        c.name = r.q(&c.name);
        c.family = r.q(&c.family);
        c.type_name = r.sql(&what, &c.type_name);
        c.storage = c.storage.as_ref().map(|x| r.sql(&what, x));
        rename_members(&mut r, &what, &mut c.operators, &mut c.functions);
    }
    for c in &mut out.conversions {
        let what = format!("conversion {}", c.name);
        c.name = r.q(&c.name);
        c.function = r.sql(&what, &c.function);
    }
    for ts in &mut out.text_search {
        let what = format!("{} {}", ts.keyword().to_lowercase(), ts.name);
        ts.name = r.q(&ts.name);
        match &mut ts.kind {
            TextSearchKind::Dictionary { template, .. } => *template = r.sql(&what, template),
            TextSearchKind::Parser { start, gettoken, end, lextypes, headline } => {
                for f in [start, gettoken, end, lextypes].into_iter().chain(headline.as_mut()) {
                    *f = r.sql(&what, f);
                }
            }
            TextSearchKind::Template { init, lexize } => {
                for f in init.as_mut().into_iter().chain([lexize]) {
                    *f = r.sql(&what, f);
                }
            }
            TextSearchKind::Configuration { parser, mappings } => {
                *parser = r.sql(&what, parser);
                for (_, dicts) in mappings {
                    for d in dicts {
                        *d = r.sql(&what, d);
                    }
                }
            }
        }
    }
    // Dependencies are keyed by name: re-key them.
    let new_keys = out.object_keys();
    let rekey: HashMap<&String, &String> = old_keys.iter().zip(new_keys.iter()).collect();
    let map_key = |k: &String| rekey.get(k).map(|s| (*s).clone()).unwrap_or_else(|| k.clone());
    out.depends =
        cat.depends.iter().map(|(k, v)| (map_key(k), v.iter().map(map_key).collect())).collect();
    let warnings = r.warnings;
    (out, warnings)
}

struct Renamer<'a> {
    m: &'a NameMap,
    warnings: Vec<String>,
}

impl Renamer<'_> {
    fn q(&self, q: &QualifiedName) -> QualifiedName {
        self.m.qualified(q)
    }
    fn n(&self, n: &str) -> String {
        self.m.name(n)
    }
    fn sql(&mut self, what: &str, sql: &str) -> String {
        let rw = rewrite_sql(sql, self.m);
        self.warnings.extend(rw.warnings.into_iter().map(|w| format!("{what}: {w}")));
        rw.sql
    }
    /// `schema.symbol` of an operator: the rewriter knows operator names inside `OPERATOR()`.
    fn operator(&mut self, what: &str, op: &str) -> String {
        self.sql(what, &format!("OPERATOR({op})"))
            .trim_start_matches("OPERATOR(")
            .trim_end_matches(')')
            .to_string()
    }
}

/// Renames the operators, functions and types of an operator class's or family's members.
fn rename_members(
    r: &mut Renamer<'_>,
    what: &str,
    operators: &mut [OpFamilyOperator],
    functions: &mut [OpFamilyFunction],
) {
    for m in operators {
        m.operator = r.operator(what, &m.operator);
        m.left = r.sql(what, &m.left);
        m.right = r.sql(what, &m.right);
        m.order_by = m.order_by.as_ref().map(|f| r.q(f));
    }
    for m in functions {
        m.left = r.sql(what, &m.left);
        m.right = r.sql(what, &m.right);
        m.function = r.sql(what, &m.function);
    }
}

/// Renames the function, type and operator names of an aggregate.
fn rename_aggregate(a: &mut Aggregate, sql: &mut impl FnMut(&str) -> String) {
    let opt = |x: &mut Option<String>, sql: &mut dyn FnMut(&str) -> String| {
        if let Some(v) = x {
            *v = sql(v);
        }
    };
    a.sfunc = sql(&a.sfunc);
    a.stype = sql(&a.stype);
    if let Some(f) = &mut a.finalfunc {
        f.func = sql(&f.func);
    }
    opt(&mut a.combinefunc, sql);
    opt(&mut a.serialfunc, sql);
    opt(&mut a.deserialfunc, sql);
    opt(&mut a.sortop, sql);
    if let Some(m) = &mut a.moving {
        m.msfunc = sql(&m.msfunc);
        opt(&mut m.minvfunc, sql);
        opt(&mut m.mstype, sql);
        if let Some(f) = &mut m.mfinalfunc {
            f.func = sql(&f.func);
        }
    }
}
