//! Types (enums, composites, ranges, domains, base types after their shell
//! and I/O functions, shell types) and collations, with their owners,
//! privileges and comments. The columns that use them are
//! [`super::table`]'s.

use super::{AclClass, Out, collate, phase};
use crate::catalog::model::*;
use crate::plan::{Section, Stmt};
use crate::sql::{ident, literal};

/// `CREATE TYPE name (INPUT = …, …)` with the options pg_dump writes.
fn base_type_sql(name: &crate::sql::QualifiedName, b: &BaseType) -> String {
    let mut o = vec![format!("INPUT = {}", b.input), format!("OUTPUT = {}", b.output)];
    for (word, f) in [
        ("RECEIVE", &b.receive),
        ("SEND", &b.send),
        ("TYPMOD_IN", &b.typmod_in),
        ("TYPMOD_OUT", &b.typmod_out),
        ("ANALYZE", &b.analyze),
        ("SUBSCRIPT", &b.subscript),
    ] {
        if let Some(f) = f {
            o.push(format!("{word} = {f}"));
        }
    }
    o.push(if b.length < 0 {
        "INTERNALLENGTH = variable".to_string()
    } else {
        format!("INTERNALLENGTH = {}", b.length)
    });
    if b.by_value {
        o.push("PASSEDBYVALUE".into());
    }
    let align = match b.alignment.as_str() {
        "c" => "char",
        "s" => "int2",
        "d" => "double",
        _ => "int4",
    };
    o.push(format!("ALIGNMENT = {align}"));
    let storage = match b.storage.as_str() {
        "e" => "external",
        "m" => "main",
        "x" => "extended",
        _ => "plain",
    };
    o.push(format!("STORAGE = {storage}"));
    if b.category != "U" {
        o.push(format!("CATEGORY = {}", literal(&b.category)));
    }
    if b.preferred {
        o.push("PREFERRED = true".into());
    }
    if b.delimiter != "," {
        o.push(format!("DELIMITER = {}", literal(&b.delimiter)));
    }
    if let Some(e) = &b.element {
        o.push(format!("ELEMENT = {e}"));
    }
    if let Some(d) = &b.default {
        o.push(format!("DEFAULT = {}", literal(d)));
    }
    if b.collatable {
        o.push("COLLATABLE = true".into());
    }
    format!("CREATE TYPE {name} (\n    {}\n)", o.join(",\n    "))
}

pub(super) fn render_type(o: &mut Out<'_>, t: &TypeDef) {
    use Section::*;
    let k = key::type_(&t.name);
    let schema = vec![key::schema(&t.name.schema)];
    let mut word = "TYPE";
    match &t.kind {
        TypeKind::Enum { labels } => {
            let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
            o.create(
                PreData,
                phase::TYPE,
                k.clone(),
                schema,
                "type",
                format!("CREATE TYPE {} AS ENUM ({})", t.name, labels.join(", ")),
            );
        }
        TypeKind::Composite { attributes } => {
            let attrs: Vec<String> = attributes
                .iter()
                .map(|a| format!("{} {}{}", ident(&a.name), a.type_name, collate(&a.collation)))
                .collect();
            o.create(
                PreData,
                phase::TYPE,
                k.clone(),
                schema,
                "type",
                format!("CREATE TYPE {} AS ({})", t.name, attrs.join(", ")),
            );
            for a in attributes {
                o.comment(
                    PreData,
                    phase::TYPE,
                    &k,
                    format_args!("COLUMN {}.{}", t.name, ident(&a.name)),
                    &a.comment,
                );
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
            let mut parts = vec![format!("subtype = {subtype}")];
            if let Some(x) = subtype_opclass {
                parts.push(format!("subtype_opclass = {x}"));
            }
            if let Some(x) = collation {
                parts.push(format!("collation = {x}"));
            }
            if let Some(x) = canonical {
                parts.push(format!("canonical = {x}"));
            }
            if let Some(x) = subtype_diff {
                parts.push(format!("subtype_diff = {x}"));
            }
            if let Some(x) = multirange {
                parts.push(format!("multirange_type_name = {x}"));
            }
            o.create(
                PreData,
                phase::TYPE,
                k.clone(),
                schema,
                "type",
                format!("CREATE TYPE {} AS RANGE ({})", t.name, parts.join(", ")),
            );
        }
        TypeKind::Shell => {
            o.create(
                PreData,
                phase::TYPE,
                k.clone(),
                schema,
                "type",
                format!("CREATE TYPE {}", t.name),
            );
        }
        TypeKind::Base(b) => {
            // The shell first, for the I/O functions to name (see the model's depends).
            let shell = key::shell_type(&t.name);
            o.stmts.push(Stmt {
                section: PreData,
                phase: phase::TYPE,
                provides: Some(shell.clone()),
                object: shell,
                deps: schema.clone(),
                what: "shell type",
                sql: format!("CREATE TYPE {}", t.name),
                exec: None,
            });
            o.create(PreData, phase::TYPE, k.clone(), schema, "type", base_type_sql(&t.name, b));
        }
        TypeKind::Domain { base, collation, default, not_null, not_null_name, constraints } => {
            word = "DOMAIN";
            let mut s = format!("CREATE DOMAIN {} AS {base}{}", t.name, collate(collation));
            if let Some(d) = default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if *not_null {
                if let Some(n) = not_null_name {
                    s.push_str(&format!(" CONSTRAINT {}", ident(n)));
                }
                s.push_str(" NOT NULL");
            }
            for c in constraints.iter().filter(|c| c.validated) {
                s.push_str(&format!(" CONSTRAINT {} {}", ident(&c.name), c.definition));
            }
            o.create(PreData, phase::TYPE, k.clone(), schema, "domain", s);
            for c in constraints.iter().filter(|c| !c.validated) {
                o.about(
                    PreData,
                    phase::TYPE,
                    &k,
                    vec![],
                    "domain constraint",
                    format!(
                        "ALTER DOMAIN {} ADD CONSTRAINT {} {}",
                        t.name,
                        ident(&c.name),
                        c.definition
                    ),
                );
            }
            for c in constraints {
                o.comment(
                    PreData,
                    phase::TYPE,
                    &k,
                    format_args!("CONSTRAINT {} ON DOMAIN {}", ident(&c.name), t.name),
                    &c.comment,
                );
            }
        }
    }
    o.owner(PreData, phase::TYPE, &k, format!("{word} {}", t.name), &t.meta.owner);
    o.privileges(
        (PreData, phase::TYPE),
        &k,
        AclClass::Type,
        &t.name.to_string(),
        t.meta.owner.as_deref(),
        &t.meta.acl,
    );
    o.comment(PreData, phase::TYPE, &k, format_args!("{word} {}", t.name), &t.meta.comment);
}

pub(super) fn render_collation(o: &mut Out<'_>, c: &Collation) {
    use Section::*;
    let k = key::collation(&c.name);
    let mut parts = vec![];
    parts.push(format!(
        "provider = {}",
        match c.provider.as_str() {
            "i" => "icu",
            "b" => "builtin",
            _ => "libc",
        }
    ));
    if let Some(l) = &c.icu_locale {
        parts.push(format!("locale = {}", literal(l)));
    } else {
        if let Some(l) = &c.lc_collate {
            parts.push(format!("lc_collate = {}", literal(l)));
        }
        if let Some(l) = &c.lc_ctype {
            parts.push(format!("lc_ctype = {}", literal(l)));
        }
    }
    if !c.deterministic {
        parts.push("deterministic = false".into());
    }
    o.create(
        PreData,
        phase::COLLATION,
        k.clone(),
        vec![key::schema(&c.name.schema)],
        "collation",
        format!("CREATE COLLATION {} ({})", c.name, parts.join(", ")),
    );
    o.owner(PreData, phase::COLLATION, &k, format!("COLLATION {}", c.name), &c.meta.owner);
    o.comment(PreData, phase::COLLATION, &k, format_args!("COLLATION {}", c.name), &c.meta.comment);
}
