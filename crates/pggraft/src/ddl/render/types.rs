//! Types (enums, composites, ranges, domains) and collations, with their
//! owners, privileges and comments. The columns that use them are
//! [`super::table`]'s.

use super::{AclClass, Out, collate, phase};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::{ident, literal};

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
        TypeKind::Domain { base, collation, default, not_null, constraints } => {
            word = "DOMAIN";
            let mut s = format!("CREATE DOMAIN {} AS {base}{}", t.name, collate(collation));
            if let Some(d) = default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if *not_null {
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
