//! Types and collations: enum values added in place, domains and
//! composite types altered, and what cannot be altered (enum values
//! removed or reordered, a domain's base type, a range, a collation)
//! rebuilt under TO's definition with every column that uses it converted.
//! What else depends on a rebuilt type is recreated by
//! [`crate::diff::classify`].

use crate::catalog::model::*;
use crate::diff::engine::{Diff, change, hazard};
use crate::diff::objects::Obj;
use crate::diff::{Change, HazardKind};
use crate::sql::{QualifiedName, ident, literal};

impl<'a> Diff<'a> {
    pub(super) fn alter_type(
        &mut self,
        k: &str,
        a: &'a TypeDef,
        b: &'a TypeDef,
    ) -> Option<Vec<Change>> {
        let name = &b.name;
        match (&a.kind, &b.kind) {
            (TypeKind::Enum { labels: old }, TypeKind::Enum { labels: new }) => {
                // Values can be added anywhere; removing or reordering needs
                // a rebuild of the type and of every column using it.
                let kept: Vec<&String> = new.iter().filter(|l| old.contains(l)).collect();
                let order_kept = kept.iter().copied().eq(old.iter());
                if !order_kept {
                    return self.rebuild_used(k, Obj::Type(a));
                }
                let mut out = vec![];
                for (i, l) in new.iter().enumerate() {
                    if old.contains(l) {
                        continue;
                    }
                    let pos = match new[..i]
                        .iter()
                        .rev()
                        .find(|x| old.contains(x) || out_contains(&out, x))
                    {
                        Some(prev) => format!(" AFTER {}", literal(prev)),
                        None => match new[i + 1..].iter().find(|x| old.contains(x)) {
                            Some(next) => format!(" BEFORE {}", literal(next)),
                            None => String::new(),
                        },
                    };
                    let mut c = change(
                        format!("ALTER TYPE {name} ADD VALUE {}{pos}", literal(l)),
                        k,
                        "alter",
                    );
                    // A new value cannot be used in the transaction that adds it.
                    c.transactional = false;
                    out.push(c);
                }
                Some(out)
            }
            (
                TypeKind::Domain {
                    base: ab,
                    collation: ac,
                    default: ad,
                    not_null: an,
                    constraints: acs,
                    ..
                },
                TypeKind::Domain {
                    base: bb,
                    collation: bc,
                    default: bd,
                    not_null: bn,
                    constraints: bcs,
                    ..
                },
            ) => {
                if ab != bb || ac != bc {
                    return None;
                }
                let mut out = vec![];
                if ad != bd {
                    out.push(change(
                        match bd {
                            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d}"),
                            None => format!("ALTER DOMAIN {name} DROP DEFAULT"),
                        },
                        k,
                        "alter",
                    ));
                }
                if an != bn {
                    let c = change(
                        format!(
                            "ALTER DOMAIN {name} {} NOT NULL",
                            if *bn { "SET" } else { "DROP" }
                        ),
                        k,
                        "alter",
                    );
                    out.push(if *bn {
                        hazard(
                            c,
                            HazardKind::AccessExclusiveLock,
                            format!("checks every column of type {name}"),
                        )
                    } else {
                        c
                    });
                }
                for c in acs {
                    let same = bcs.iter().find(|x| x.name == c.name);
                    if same.is_none_or(|x| x.definition != c.definition) {
                        out.push(change(
                            format!("ALTER DOMAIN {name} DROP CONSTRAINT {}", ident(&c.name)),
                            k,
                            "alter",
                        ));
                    }
                }
                for c in bcs {
                    let same = acs.iter().find(|x| x.name == c.name);
                    if same.is_none_or(|x| x.definition != c.definition) {
                        out.push(change(
                            format!(
                                "ALTER DOMAIN {name} ADD CONSTRAINT {} {}",
                                ident(&c.name),
                                c.definition
                            ),
                            k,
                            "alter",
                        ));
                    } else if let Some(x) = same
                        && !x.validated
                        && c.validated
                    {
                        out.push(change(
                            format!("ALTER DOMAIN {name} VALIDATE CONSTRAINT {}", ident(&c.name)),
                            k,
                            "alter",
                        ));
                    }
                }
                Some(out)
            }
            (TypeKind::Base(x), TypeKind::Base(y)) => Some(self.alter_base_type(k, name, x, y)),
            (TypeKind::Composite { attributes: aa }, TypeKind::Composite { attributes: ba }) => {
                let mut out = vec![];
                for x in aa {
                    if !ba.iter().any(|y| y.name == x.name) {
                        out.push(change(
                            format!("ALTER TYPE {name} DROP ATTRIBUTE {}", ident(&x.name)),
                            k,
                            "alter",
                        ));
                    }
                }
                for y in ba {
                    match aa.iter().find(|x| x.name == y.name) {
                        None => out.push(change(
                            format!(
                                "ALTER TYPE {name} ADD ATTRIBUTE {} {}{}",
                                ident(&y.name),
                                y.type_name,
                                crate::ddl::render::collate(&y.collation)
                            ),
                            k,
                            "alter",
                        )),
                        Some(x) if x.type_name != y.type_name || x.collation != y.collation => out
                            .push(change(
                                format!(
                                    "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {}{}",
                                    ident(&y.name),
                                    y.type_name,
                                    crate::ddl::render::collate(&y.collation)
                                ),
                                k,
                                "alter",
                            )),
                        _ => {}
                    }
                }
                // Attribute order is part of the type: give up on reorders.
                let kept_a: Vec<&String> = aa
                    .iter()
                    .map(|x| &x.name)
                    .filter(|n| ba.iter().any(|y| &y.name == *n))
                    .collect();
                let kept_b: Vec<&String> = ba
                    .iter()
                    .map(|y| &y.name)
                    .filter(|n| aa.iter().any(|x| &x.name == *n))
                    .collect();
                let added_at_end = ba
                    .iter()
                    .skip_while(|y| aa.iter().any(|x| x.name == y.name))
                    .all(|y| !aa.iter().any(|x| x.name == y.name));
                (kept_a == kept_b && added_at_end).then_some(out)
            }
            _ => None,
        }
    }

    /// Rebuilds a type or collation that table columns use and that cannot
    /// be altered in place (enum values removed or reordered, a domain's
    /// base type, a range, a collation): the old one is renamed aside, TO's
    /// created, every column converted (through text for types), and the
    /// old one dropped. What else depends on it is recreated around this.
    /// `None` when no column uses it (a plain drop and create will do).
    pub(super) fn rebuild_used(&mut self, k: &str, f: Obj<'a>) -> Option<Vec<Change>> {
        let (word, name) = match f {
            Obj::Type(t) if matches!(t.kind, TypeKind::Domain { .. }) => ("DOMAIN", &t.name),
            Obj::Type(t) => ("TYPE", &t.name),
            Obj::Collation(c) => ("COLLATION", &c.name),
            _ => return None,
        };
        let is_collation = matches!(f, Obj::Collation(_));
        let text = name.to_string();
        let mut users: Vec<(&Table, &Column)> = vec![];
        for t in &self.from.tables {
            for c in &t.columns {
                let uses = if is_collation {
                    c.collation.as_ref() == Some(name)
                } else {
                    c.type_name == text || c.type_name == format!("{text}[]")
                };
                if !uses || !c.is_local {
                    continue;
                }
                // A column the plan drops (or a table it drops) is not
                // converted: it is gone before the old type is.
                let kept = self
                    .to
                    .table(&t.name)
                    .is_some_and(|x| x.columns.iter().any(|y| y.name == c.name));
                if kept && self.tobj.contains_key(&key::relation(&t.name)) {
                    users.push((t, c));
                } else if self.to.table(&t.name).is_some() {
                    // The old type goes after the column it types.
                    self.after_column_drops
                        .entry(k.to_string())
                        .or_default()
                        .insert(key::relation(&t.name));
                }
            }
        }
        if users.is_empty() {
            return None;
        }
        let old = QualifiedName::new(&name.schema, format!("{}__pggraft_old", name.name));
        let mut out = vec![change(
            format!("ALTER {word} {name} RENAME TO {}", ident(&old.name)),
            k,
            "rebuild",
        )];
        for st in self.created_sql.get(k).into_iter().flatten() {
            out.push(change(st.sql.clone(), k, "rebuild"));
        }
        for (t, c) in users {
            let col = ident(&c.name);
            let to_col =
                self.to.table(&t.name).and_then(|x| x.columns.iter().find(|y| y.name == c.name));
            if c.default.is_some() {
                self.rebuild_defaults.insert(key::default(&t.name, &c.name));
                out.push(change(
                    format!("ALTER TABLE {} ALTER COLUMN {col} DROP DEFAULT", t.name),
                    k,
                    "rebuild",
                ));
            }
            let sql = if is_collation {
                format!(
                    "ALTER TABLE {} ALTER COLUMN {col} TYPE {} COLLATE {name}",
                    t.name, c.type_name
                )
            } else {
                let arr = if c.type_name.ends_with("[]") { "[]" } else { "" };
                format!(
                    "ALTER TABLE {} ALTER COLUMN {col} TYPE {name}{arr} USING {col}::text{arr}::{name}{arr}",
                    t.name
                )
            };
            out.push(hazard(
                change(sql, k, "rebuild"),
                HazardKind::TableRewrite,
                format!("{} is rewritten", t.name),
            ));
            if let Some(d) = to_col.and_then(|x| x.default.as_ref()) {
                out.push(change(
                    format!("ALTER TABLE {} ALTER COLUMN {col} SET DEFAULT {d}", t.name),
                    k,
                    "rebuild",
                ));
            }
            self.retyped.insert(key::relation(&t.name));
        }
        out.push(hazard(
            change(format!("DROP {word} {old}"), k, "rebuild"),
            HazardKind::DataLoss,
            format!("values that {name} no longer accepts make the conversion fail"),
        ));
        self.rebuilt.insert(k.to_string());
        Some(out)
    }
}

fn out_contains(out: &[Change], label: &str) -> bool {
    out.iter().any(|c| c.sql.contains(&format!("ADD VALUE {}", literal(label))))
}

impl Diff<'_> {
    /// What `ALTER TYPE … SET (…)` can change of a base type; anything else (its I/O
    /// functions, length, alignment …) would mean dropping every column of the type: a warning.
    fn alter_base_type(
        &mut self,
        k: &str,
        name: &QualifiedName,
        a: &BaseType,
        b: &BaseType,
    ) -> Vec<Change> {
        let settable = |t: &BaseType| BaseType {
            receive: None,
            send: None,
            typmod_in: None,
            typmod_out: None,
            analyze: None,
            subscript: None,
            storage: String::new(),
            ..t.clone()
        };
        if settable(a) != settable(b) {
            self.warnings.push(format!(
                "base type {name} changes in what ALTER TYPE cannot set (its input or output \
                 function, length, alignment, category …): recreate it and what uses it by hand"
            ));
        }
        let none = || "NONE".to_string();
        let mut set = vec![];
        for (word, x, y) in [
            ("RECEIVE", &a.receive, &b.receive),
            ("SEND", &a.send, &b.send),
            ("TYPMOD_IN", &a.typmod_in, &b.typmod_in),
            ("TYPMOD_OUT", &a.typmod_out, &b.typmod_out),
            ("ANALYZE", &a.analyze, &b.analyze),
            ("SUBSCRIPT", &a.subscript, &b.subscript),
        ] {
            if x != y {
                set.push(format!("{word} = {}", y.clone().unwrap_or_else(none)));
            }
        }
        if a.storage != b.storage {
            let s = match b.storage.as_str() {
                "e" => "external",
                "m" => "main",
                "x" => "extended",
                _ => "plain",
            };
            set.push(format!("STORAGE = {s}"));
        }
        if set.is_empty() {
            return vec![];
        }
        vec![change(format!("ALTER TYPE {name} SET ({})", set.join(", ")), k, "alter")]
    }
}
