//! In-place changes for an object whose definition differs between FROM
//! and TO, or `None` when PostgreSQL cannot alter it and it must be
//! recreated. The dispatch and the kinds that take a statement or two live
//! here; tables ([`table`], [`columns`]), types and collations ([`types`]),
//! sequences ([`sequence`]), views ([`view`]), operator families
//! ([`opclasses`]) and foreign servers and user mappings ([`foreign`]) have
//! files of their own.
//! Owners, privileges and comments are [`super::meta`]'s.

mod columns;
mod convert;
mod extension;
mod foreign;
mod opclasses;
mod sequence;
mod table;
mod types;
mod view;

pub(super) use columns::{mentions, widening};
pub(super) use convert::{Conversion, column_path, conversion};

use super::engine::{Diff, change, hazard};
use super::objects::Obj;
use super::{Change, HazardKind};
use crate::catalog::model::{Constraint, key};
use crate::sql::{QualifiedName, ident};

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
            (Obj::Server(a), Obj::Server(b)) => Some(self.alter_server(k, a, b)),
            (Obj::OperatorFamily(a), Obj::OperatorFamily(b)) => {
                Some(opclasses::alter_family(k, a, b))
            }
            (Obj::UserMapping(s, a), Obj::UserMapping(_, b)) => {
                Some(self.alter_user_mapping(k, s, a, b))
            }
            (Obj::Type(a), Obj::Type(b)) => {
                self.alter_type(k, a, b).or_else(|| self.rebuild_used(k, f))
            }
            (Obj::Collation(_), Obj::Collation(_)) => self.rebuild_used(k, f),
            (Obj::Extension(a), Obj::Extension(b)) => self.alter_extension(k, a, b),
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
                    // After the parent's index, if the plan creates it.
                    let owners = self.index_owner(p);
                    self.alter_after_creates.entry(k.to_string()).or_default().extend(owners);
                }
                // Detached with its table, an index keeps being there.
                (a.parent.is_none() || b.parent.is_some() || self.detached(&b.table)).then_some(out)
            }
            (Obj::Constraint(_, a), Obj::Constraint(tb, b))
                if a.clustered != b.clustered
                    && *a == Constraint { clustered: a.clustered, ..b.clone() } =>
            {
                Some(vec![change(
                    match &b.index {
                        Some(idx) if b.clustered => {
                            format!("ALTER TABLE {} CLUSTER ON {}", tb.name, ident(idx))
                        }
                        _ => format!("ALTER TABLE {} SET WITHOUT CLUSTER", tb.name),
                    },
                    k,
                    "alter",
                )])
            }
            (Obj::Constraint(_, a), Obj::Constraint(tb, b))
                if same_but_parent(a, b)
                    && (b.index_parent.is_some() || self.detached(&tb.name)) =>
            {
                // A partition's key taken over by its parent's new one, or
                // left behind when the partition is detached: the index
                // stays, only its parent changes.
                let mut out = vec![];
                if let (None, Some(p), Some(i)) = (&a.index_parent, &b.index_parent, &b.index) {
                    out.push(change(
                        format!(
                            "ALTER INDEX {p} ATTACH PARTITION {}",
                            QualifiedName::new(&tb.name.schema, i)
                        ),
                        k,
                        "alter",
                    ));
                    let owners = self.index_owner(p);
                    self.alter_after_creates.entry(k.to_string()).or_default().extend(owners);
                }
                Some(out)
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

/// Two constraints that differ at most in whether they hang off a
/// parent's (a partition's key attached to its parent's, or detached).
fn same_but_parent(a: &Constraint, b: &Constraint) -> bool {
    let plain = |c: &Constraint| Constraint {
        has_parent: false,
        is_local: true,
        index_parent: None,
        comment: None,
        ..c.clone()
    };
    a.kind != "f" && plain(a) == plain(b)
}

impl Diff<'_> {
    /// Whether a table of FROM is a partition that TO detaches (or moves
    /// to another parent).
    pub(super) fn detached(&self, table: &QualifiedName) -> bool {
        let from = self.from.table(table).and_then(|t| t.partition_of.as_ref());
        let to = self.to.table(table).and_then(|t| t.partition_of.as_ref());
        from.is_some() && from.map(|p| &p.parent) != to.map(|p| &p.parent)
    }

    /// The key of the object that creates index `p` in TO: the index
    /// itself, or the constraint it backs.
    fn index_owner(&self, p: &QualifiedName) -> Vec<String> {
        let mut out = vec![key::index(p)];
        for t in self.to.tables.iter().filter(|t| t.name.schema == p.schema) {
            for c in &t.constraints {
                if c.index.as_deref() == Some(p.name.as_str()) {
                    out.push(key::constraint(&t.name, &c.name));
                }
            }
        }
        out
    }
}

fn enable_sql(what: &str, table: &QualifiedName, name: &str, state: &str) -> String {
    crate::ddl::render::firing_state_sql(what, table, name, state)
        .unwrap_or_else(|| format!("ALTER TABLE {table} ENABLE {what} {}", ident(name)))
}
