//! In-place changes for an object whose definition differs between FROM
//! and TO, or `None` when PostgreSQL cannot alter it and it must be
//! recreated. The dispatch and the kinds that take a statement or two live
//! here; tables ([`table`], [`columns`]), types and collations ([`types`]),
//! sequences ([`sequence`]) and views ([`view`]) have files of their own.
//! Owners, privileges and comments are [`super::meta`]'s.

mod columns;
mod convert;
mod sequence;
mod table;
mod types;
mod view;

pub(super) use columns::mentions;

use super::engine::{Diff, change, hazard};
use super::objects::Obj;
use super::{Change, HazardKind};
use crate::sql::{QualifiedName, ident, literal};

impl<'a> Diff<'a> {
    /// In-place changes for an object whose definition differs, or `None`
    /// when it must be recreated.
    pub(super) fn alter(&mut self, k: &str, f: Obj<'a>, t: Obj<'a>) -> Option<Vec<Change>> {
        match (f, t) {
            (Obj::Table(a), Obj::Table(b)) => self.alter_table(k, a, b),
            (Obj::View(a), Obj::View(b)) => view::alter_view(k, a, b),
            (Obj::Function(a), Obj::Function(b)) => {
                let same_shape =
                    a.kind == b.kind && a.arguments == b.arguments && a.result == b.result;
                same_shape.then(|| {
                    let sql = crate::ddl::render::function_sql(b).replacen(
                        "CREATE ",
                        "CREATE OR REPLACE ",
                        1,
                    );
                    vec![change(sql, k, "replace")]
                })
            }
            (Obj::Sequence(a), Obj::Sequence(b)) => Some(sequence::alter_sequence(k, a, b)),
            (Obj::Type(a), Obj::Type(b)) => {
                self.alter_type(k, a, b).or_else(|| self.rebuild_used(k, f))
            }
            (Obj::Collation(_), Obj::Collation(_)) => self.rebuild_used(k, f),
            (Obj::Extension(a), Obj::Extension(b)) => {
                let mut out = vec![];
                if a.schema != b.schema {
                    out.push(change(
                        format!(
                            "ALTER EXTENSION {} SET SCHEMA {}",
                            ident(&b.name),
                            ident(&b.schema)
                        ),
                        k,
                        "alter",
                    ));
                }
                if a.version != b.version {
                    out.push(change(
                        format!(
                            "ALTER EXTENSION {} UPDATE TO {}",
                            ident(&b.name),
                            literal(&b.version)
                        ),
                        k,
                        "alter",
                    ));
                }
                Some(out)
            }
            (Obj::Default(t, c, _, view), Obj::Default(_, _, expr, _)) => {
                let what = if view { "VIEW" } else { "TABLE" };
                Some(vec![change(
                    format!("ALTER {what} {t} ALTER COLUMN {} SET DEFAULT {expr}", ident(c)),
                    k,
                    "alter",
                )])
            }
            (Obj::Index(a), Obj::Index(b))
                if a.definition == b.definition && a.table == b.table =>
            {
                let mut out = vec![];
                if a.clustered != b.clustered {
                    out.push(change(
                        if b.clustered {
                            format!("ALTER TABLE {} CLUSTER ON {}", b.table, ident(&b.name.name))
                        } else {
                            format!("ALTER TABLE {} SET WITHOUT CLUSTER", b.table)
                        },
                        k,
                        "alter",
                    ));
                }
                if a.parent != b.parent
                    && let Some(p) = &b.parent
                {
                    out.push(change(
                        format!("ALTER INDEX {p} ATTACH PARTITION {}", b.name),
                        k,
                        "alter",
                    ));
                }
                (a.parent.is_none() || b.parent.is_some()).then_some(out)
            }
            (Obj::Trigger(a), Obj::Trigger(b)) if a.definition == b.definition => {
                Some(vec![change(enable_sql("TRIGGER", &b.table, &b.name, &b.enabled), k, "alter")])
            }
            (Obj::Rule(a), Obj::Rule(b)) if a.definition == b.definition => {
                Some(vec![change(enable_sql("RULE", &b.table, &b.name, &b.enabled), k, "alter")])
            }
            (Obj::Statistics(a), Obj::Statistics(b)) if a.definition == b.definition => {
                Some(vec![change(
                    format!(
                        "ALTER STATISTICS {} SET STATISTICS {}",
                        b.name,
                        b.target.unwrap_or(-1)
                    ),
                    k,
                    "alter",
                )])
            }
            (Obj::Constraint(_, a), Obj::Constraint(tb, b))
                if !a.validated
                    && b.validated
                    && a.definition.trim_end_matches(" NOT VALID") == b.definition =>
            {
                Some(vec![hazard(
                    change(
                        format!("ALTER TABLE {} VALIDATE CONSTRAINT {}", tb.name, ident(&b.name)),
                        k,
                        "alter",
                    ),
                    HazardKind::AccessExclusiveLock,
                    format!("validating {} scans {}", b.name, tb.name),
                )])
            }
            _ => None,
        }
    }
}

fn enable_sql(what: &str, table: &QualifiedName, name: &str, state: &str) -> String {
    crate::ddl::render::firing_state_sql(what, table, name, state)
        .unwrap_or_else(|| format!("ALTER TABLE {table} ENABLE {what} {}", ident(name)))
}
