//! Tables rebuilt with their rows: a table whose partitioning changes (an
//! unpartitioned table becoming partitioned, the way back, a new partition
//! key) cannot be altered into TO's. Instead of dropping it with its rows,
//! the old table and its partitions that TO keeps are renamed aside, TO's
//! are created, the rows are copied across (`INSERT … SELECT`, routed into
//! TO's partitions), and the old tables are dropped. What depends on them
//! is recreated as for any recreated object ([`super::classify`]); when
//! each step runs is [`super::assemble`]'s business.
//!
//! An inheritance child that becomes a partition of the rebuilt table (the
//! old way of partitioning turned into the declarative one) keeps its rows
//! where they are: it leaves the old table (`NO INHERIT`) before that is set
//! aside and is attached to the new one (`ATTACH PARTITION`) after it is
//! created. A partition that becomes an inheritance child is rebuilt
//! itself, its rows copied into the new child before the old parent's are
//! copied (which then no longer include them). Tables with other
//! inheritance children are left to a plain drop and create: their rows
//! could not be told apart.

use std::collections::BTreeSet;

use super::alter::{Conversion, column_path, conversion, widening};
use super::engine::{Diff, change, hazard};
use super::objects::Obj;
use super::{Change, HazardKind, Using};
use crate::catalog::model::*;
use crate::error::NeededConversion;
use crate::sql::{QualifiedName, ident, literal};

/// Whether table `t` (of one side) hangs under `parent` one way and `o` (the
/// same table on the other side) the other way: inheritance child and
/// partition.
fn converts(t: &Table, o: &Table, parent: &QualifiedName) -> bool {
    let partition = |x: &Table| x.partition_of.as_ref().is_some_and(|p| &p.parent == parent);
    let child = |x: &Table| x.inherits.len() == 1 && x.inherits.contains(parent);
    (child(t) && partition(o) && o.inherits.is_empty())
        || (partition(t) && child(o) && t.inherits.is_empty())
}

/// A name pggraft gives an old object it sets aside, within PostgreSQL's
/// 63 bytes.
pub(super) fn aside_name(name: &str) -> String {
    const SUFFIX: &str = "__pggraft_old";
    let mut base = name.to_string();
    while base.len() + SUFFIX.len() > 63 {
        base.pop();
    }
    format!("{base}{SUFFIX}")
}

impl<'a> Diff<'a> {
    /// Whether the table of key `k` can be rebuilt with its rows: both
    /// sides have it as a table, and every inheritance child it has on
    /// either side is, on the other, a partition of it (or not there).
    pub(super) fn rebuildable(&self, a: &Table, b: &Table) -> bool {
        let children_convert = |cat: &Catalog, other: &Catalog, n: &QualifiedName| {
            cat.tables.iter().filter(|t| t.inherits.contains(n)).all(|t| {
                other.table(&t.name).is_none_or(|o| converts(t, o, n) && o.partition_key.is_none())
            })
        };
        a.partition_of.is_none()
            && b.partition_of.is_none()
            && a.foreign.is_none()
            && b.foreign.is_none()
            && children_convert(self.from, self.to, &a.name)
            && children_convert(self.to, self.from, &b.name)
    }

    /// After classification: the partitions of tables rebuilt with their
    /// rows. Those TO keeps are recreated too (renamed aside first), except
    /// the children that convert (see the module docs); the others go with
    /// the old parent, after its rows are copied.
    pub(super) fn expand_rebuilds(&mut self) {
        let roots: Vec<String> = self.rebuilt_tables.iter().cloned().collect();
        for k in roots {
            let Some(Obj::Table(t)) = self.fo.get(&k).copied() else { continue };
            let mut stack = vec![&t.name];
            while let Some(parent) = stack.pop() {
                for m in &self.from.tables {
                    let child = m.partition_of.as_ref().is_some_and(|p| &p.parent == parent)
                        || m.inherits.contains(parent);
                    if !child {
                        continue;
                    }
                    let mk = key::relation(&m.name);
                    match self.to.table(&m.name) {
                        Some(o)
                            if parent == &t.name
                                && converts(m, o, parent)
                                && m.partition_key.is_none()
                                && o.partition_key.is_none() =>
                        {
                            if m.partition_of.is_none() {
                                self.converted.insert(mk);
                            } else {
                                // Detached, its columns would stay its own
                                // (attislocal), unlike a child created
                                // with INHERITS: rebuilt with its rows.
                                self.recreate(&mk);
                                self.set_aside.insert(mk.clone());
                                self.rebuilt_tables.insert(mk);
                            }
                            continue;
                        }
                        Some(_) if matches!(self.tobj.get(&mk), Some(Obj::Table(_))) => {
                            self.recreate(&mk);
                            self.set_aside.insert(mk);
                        }
                        _ => {
                            self.drops.insert(mk.clone());
                            self.gone_with_rebuild.insert(mk);
                        }
                    }
                    stack.push(&m.name);
                }
            }
            self.set_aside.insert(k);
        }
    }

    /// A table of TO and its partitions, all levels down.
    pub(super) fn family_in_to(&self, root: &'a QualifiedName) -> Vec<&'a QualifiedName> {
        let mut out = vec![root];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            for t in &self.to.tables {
                if t.partition_of.as_ref().is_some_and(|p| &p.parent == parent)
                    && !out.contains(&&t.name)
                {
                    out.push(&t.name);
                }
            }
            i += 1;
        }
        out
    }

    /// The statements that set a table aside where it would be dropped:
    /// identities dropped (their sequences' names are TO's) and the table
    /// renamed.
    pub(super) fn set_aside_sql(&self, k: &str, t: &Table) -> Vec<Change> {
        let mut out = vec![];
        for c in t.columns.iter().filter(|c| c.identity.is_some() && c.is_local) {
            out.push(change(
                format!("ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY", t.name, ident(&c.name)),
                k,
                "set aside",
            ));
        }
        out.push(change(
            format!("ALTER TABLE {} RENAME TO {}", t.name, ident(&aside_name(&t.name.name))),
            k,
            "set aside",
        ));
        out
    }

    /// The rows of a rebuilt table copied from the old one set aside into
    /// TO's, its sequences moved past them and given to the new table, and
    /// the old one (with its partitions) dropped.
    pub(super) fn copy_rows(&mut self, k: &str) -> Vec<Change> {
        let (Some(Obj::Table(a)), Some(Obj::Table(b))) =
            (self.fo.get(k).copied(), self.tobj.get(k).copied())
        else {
            return vec![];
        };
        let old = QualifiedName::new(&a.name.schema, aside_name(&a.name.name));
        let mut cols = vec![];
        let mut exprs = vec![];
        // What the conversions of retyped columns may lose, as an in-place
        // ALTER COLUMN … TYPE would say.
        let mut losses = vec![];
        for c in b.columns.iter().filter(|c| c.generated.is_none()) {
            let Some(o) = a.columns.iter().find(|x| x.name == c.name) else { continue };
            let col = ident(&c.name);
            let expr = if o.type_name == c.type_name {
                col.clone()
            } else {
                let user = self
                    .opts
                    .using
                    .iter()
                    .find(|u| u.matches(&b.name, &c.name))
                    .map(|u| u.expr.as_str());
                let path = column_path(&b.name, &c.name);
                match conversion(&col, &o.type_name, &c.type_name, user, [self.from, self.to]) {
                    Conversion::Documented { expr, assumes } => {
                        losses.push(format!(
                            "{path}: {} to {} {assumes}; if they are something else, pass {}",
                            o.type_name,
                            c.type_name,
                            Using::flag(&b.name, &c.name, "EXPR")
                        ));
                        expr
                    }
                    Conversion::Cast(e) => {
                        if !widening(&o.type_name, &c.type_name) {
                            losses.push(format!(
                                "{path}: {} to {} may fail or lose precision",
                                o.type_name, c.type_name
                            ));
                        }
                        e
                    }
                    Conversion::Needed => {
                        self.needed.push(NeededConversion {
                            table: b.name.clone(),
                            column: c.name.clone(),
                            from_type: o.type_name.clone(),
                            to_type: c.type_name.clone(),
                        });
                        col.clone()
                    }
                }
            };
            cols.push(col);
            exprs.push(expr);
        }
        let overriding = b.columns.iter().any(|c| {
            c.identity.as_ref().is_some_and(|i| i.always)
                && a.columns.iter().any(|x| x.name == c.name)
        });
        // A partitioned old table's rows are its partitions'; a plain one's
        // are its own.
        let only = if a.partition_key.is_some() { "" } else { "ONLY " };
        let mut copy = hazard(
            hazard(
                change(
                    format!(
                        "INSERT INTO {} ({}){} SELECT {} FROM {only}{old}",
                        b.name,
                        cols.join(", "),
                        if overriding { " OVERRIDING SYSTEM VALUE" } else { "" },
                        exprs.join(", ")
                    ),
                    k,
                    "copy rows",
                ),
                HazardKind::TableRewrite,
                format!(
                    "{} is rebuilt: its rows are copied into the new table{}",
                    b.name,
                    if b.partition_key.is_some() {
                        " (rows that fit no partition make it fail)"
                    } else {
                        ""
                    }
                ),
            ),
            HazardKind::AccessExclusiveLock,
            format!("{} is locked while its rows are copied", b.name),
        );
        for loss in losses {
            copy = hazard(copy, HazardKind::DataLoss, loss);
        }
        let mut out = vec![copy];
        // Identity sequences start past the copied values.
        for c in b.columns.iter().filter(|c| c.identity.is_some()) {
            if !a.columns.iter().any(|x| x.name == c.name) {
                continue;
            }
            let id = c.identity.as_ref().expect("filtered");
            let (agg, cmp) = if id.increment < 0 { ("min", "<=") } else { ("max", ">=") };
            let col = ident(&c.name);
            out.push(change(
                format!(
                    "SELECT setval(pg_get_serial_sequence({}, {}), {agg}({col})) FROM {} HAVING {agg}({col}) {cmp} {}",
                    literal(&b.name.to_string()),
                    literal(&c.name),
                    b.name,
                    id.start
                ),
                k,
                "sequence value",
            ));
        }
        // Sequences the old columns own would go with the old table.
        let family: BTreeSet<&QualifiedName> = self.family_in_from(&a.name).into_iter().collect();
        for sq in &self.to.sequences {
            if let Some((t, c)) = &sq.owned_by
                && family.contains(t)
                && self.fo.contains_key(&key::sequence(&sq.name))
            {
                out.push(change(
                    format!("ALTER SEQUENCE {} OWNED BY {t}.{}", sq.name, ident(c)),
                    k,
                    "sequence owned by",
                ));
            }
        }
        out.push(change(format!("DROP TABLE {old}"), k, "drop"));
        out
    }
}
