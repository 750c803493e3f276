//! The statements that drop an object of FROM and create an object of TO:
//! drops named by [`super::objects`], creations taken from TO's rendered
//! statements, adjusted for a table that already exists (indexes built
//! concurrently online, constraints added, NOT VALID then VALIDATE). When
//! each runs is [`super::assemble`]'s business.

use super::engine::{Diff, change, hazard};
use super::objects::Obj;
use super::{Change, HazardKind};
use crate::catalog::model::*;
use crate::sql::{QualifiedName, ident, literal};

impl<'a> Diff<'a> {
    /// The statement dropping an object of FROM.
    pub(super) fn drop_sql(&self, k: &str, obj: Obj<'a>) -> Option<Change> {
        let sql = match obj {
            // Database-wide: other schemas' foreign tables may use them.
            Obj::Server(_) | Obj::UserMapping(..) => return None,
            // Its I/O functions depend on it as it depends on them: they go with it (what
            // else used it is dropped or converted first).
            Obj::Type(t) if matches!(t.kind, TypeKind::Base(_)) => {
                format!("DROP TYPE {} CASCADE", t.name)
            }
            Obj::Constraint(t, c) => {
                format!("ALTER TABLE {} DROP CONSTRAINT {}", t.name, ident(&c.name))
            }
            Obj::Default(t, c, _, view) => format!(
                "ALTER {} {t} ALTER COLUMN {} DROP DEFAULT",
                if view { "VIEW" } else { "TABLE" },
                ident(c)
            ),
            Obj::Index(i)
                if self.opts.online && !self.is_partitioned(&i.table) && i.parent.is_none() =>
            {
                let mut c = change(format!("DROP INDEX CONCURRENTLY {}", i.name), k, "drop");
                c.transactional = false;
                return Some(c);
            }
            other => format!("DROP {}", other.target()?),
        };
        let mut c = change(sql, k, "drop");
        match obj {
            Obj::Extension(e) if self.downgraded.contains(k) => {
                let to = self.to.extensions.iter().find(|x| x.name == e.name);
                let v = to.map(|x| x.version.as_str()).unwrap_or_default();
                c = hazard(
                    c,
                    HazardKind::DataLoss,
                    format!(
                        "extension {name} goes from {} down to {v}, which has no update path \
                         (extensions ship no downgrade scripts): it is dropped and created at \
                         {v}, with what uses it; if your build has a way down, run ALTER \
                         EXTENSION {name} UPDATE TO {} instead",
                        e.version,
                        literal(v),
                        name = ident(&e.name)
                    ),
                )
            }
            Obj::Table(t) if t.foreign.is_none() => {
                let mut detail = format!("table {} and its rows are dropped", t.name);
                if let Some(hint) = super::renames::table_lookalike(self.from, self.to, t) {
                    detail.push_str(&format!("; {hint}"));
                }
                c = hazard(c, HazardKind::DataLoss, detail)
            }
            Obj::View(v) if v.materialized => {
                c = hazard(
                    c,
                    HazardKind::DataLoss,
                    format!("materialized view {} must be refreshed again", v.name),
                )
            }
            Obj::Sequence(s) => {
                c = hazard(
                    c,
                    HazardKind::DataLoss,
                    format!("sequence {} and its value are dropped", s.name),
                )
            }
            Obj::Schema(s) => {
                c = hazard(c, HazardKind::DataLoss, format!("schema {} is dropped", ident(&s.name)))
            }
            _ => {}
        }
        Some(c)
    }

    fn is_partitioned(&self, t: &QualifiedName) -> bool {
        self.from.table(t).or(self.to.table(t)).is_some_and(|t| t.partition_key.is_some())
    }
    /// Whether the index named `p` (plain or backing a constraint) exists in
    /// FROM and stays.
    pub(super) fn index_stays(&self, p: &QualifiedName) -> bool {
        (self.fo.contains_key(&key::index(p)) && !self.drops.contains(&key::index(p)))
            || self.from.tables.iter().any(|t| {
                t.name.schema == p.schema
                    && t.constraints.iter().any(|c| {
                        c.index.as_deref() == Some(p.name.as_str())
                            && !self.drops.contains(&key::constraint(&t.name, &c.name))
                    })
            })
    }

    /// A new partition index or key of an existing table that the plan
    /// attaches under a parent index that stays: created on the table before
    /// it is attached, so that `ATTACH PARTITION` attaches it instead of
    /// building one of its own naming.
    pub(super) fn made_before_attach(&self, obj: Obj<'a>) -> bool {
        let parent = match obj {
            Obj::Index(i) => i.parent.as_ref(),
            Obj::Constraint(_, c) => c.index_parent.as_ref(),
            _ => None,
        };
        let (Some(p), Some(t)) = (parent, obj.table()) else { return false };
        let tk = key::relation(t);
        let attached = self.to.table(t).and_then(|x| x.partition_of.as_ref()).is_some_and(|to| {
            self.from.table(t).and_then(|x| x.partition_of.as_ref()).map(|f| &f.parent)
                != Some(&to.parent)
        });
        attached && self.fo.contains_key(&tk) && !self.drops.contains(&tk) && self.index_stays(p)
    }

    /// The statements creating an object of TO.
    pub(super) fn create_sql(&self, k: &str, obj: Obj<'a>) -> Vec<Change> {
        let table_exists = obj.table().is_some_and(|t| {
            self.fo.contains_key(&key::relation(t)) && !self.drops.contains(&key::relation(t))
        });
        // Partition indexes and keys of a new partition of an existing
        // partitioned table are created by PostgreSQL with the partition.
        let parent_index_exists = |p: &QualifiedName| self.index_stays(p);
        match obj {
            Obj::Index(i)
                if !table_exists && i.parent.as_ref().is_some_and(parent_index_exists) =>
            {
                return vec![];
            }
            Obj::Constraint(_, c)
                if !table_exists && c.index_parent.as_ref().is_some_and(parent_index_exists) =>
            {
                return vec![];
            }
            _ => {}
        }
        let mut out = vec![];
        let stmts = self.created_sql.get(k).cloned().unwrap_or_default();
        if let Obj::Constraint(t, c) = obj
            && c.kind == "c"
            && c.is_local
            && c.validated
            && table_exists
        {
            // Inline in CREATE TABLE when the table is new; added otherwise.
            out.push(self.add_constraint(k, t, c));
        }
        let before_attach = self.made_before_attach(obj);
        for s in stmts {
            // Attached with its table.
            if before_attach && s.what == "attach index" {
                continue;
            }
            // TO's version, not the default one of the server it runs on.
            if let Obj::Extension(e) = obj
                && s.provides.is_some()
            {
                out.push(change(format!("{} VERSION {}", s.sql, literal(&e.version)), k, "create"));
                continue;
            }
            let mut c =
                change(s.sql.clone(), k, if s.provides.is_some() { "create" } else { s.what });
            match (obj, s.what) {
                (Obj::Index(i), "index") if table_exists => {
                    if self.opts.online && !self.is_partitioned(&i.table) {
                        c.sql = c.sql.replacen("INDEX ", "INDEX CONCURRENTLY ", 1);
                        c.transactional = false;
                    } else {
                        c = hazard(
                            c,
                            HazardKind::IndexBuild,
                            format!("building {} blocks writes to {}", i.name, i.table),
                        );
                    }
                }
                (Obj::Constraint(t, con), "foreign key" | "check" | "constraint")
                    if table_exists =>
                {
                    out.push(self.add_constraint(k, t, con));
                    continue;
                }
                _ => {}
            }
            out.push(c);
        }
        out
    }

    /// A new sequence owned by a column that already holds values (an
    /// identity turned into a serial-style default) is moved past them, so
    /// the next row does not collide with them. `None` for a new column.
    pub(super) fn seed_sequence(&self, k: &str, sq: &Sequence) -> Option<Change> {
        let (t, column) = sq.owned_by.as_ref()?;
        let had_column = !self.drops.contains(&key::relation(t))
            && self.from.table(t).is_some_and(|ft| ft.columns.iter().any(|c| &c.name == column));
        if !had_column {
            return None;
        }
        let col = ident(column);
        let (agg, cmp) = if sq.increment < 0 { ("min", "<=") } else { ("max", ">=") };
        Some(change(
            format!(
                "SELECT setval({}, {agg}({col})) FROM {t} HAVING {agg}({col}) {cmp} {}",
                literal(&sq.name.to_string()),
                sq.start
            ),
            k,
            "sequence value",
        ))
    }

    /// `ADD CONSTRAINT` on an existing table: online, NOT VALID then VALIDATE.
    fn add_constraint(&self, k: &str, t: &Table, c: &Constraint) -> Change {
        let alter = if c.kind == "c"
            || (t.partition_key.is_some() && !matches!(c.kind.as_str(), "p" | "u" | "x"))
        {
            format!("ALTER TABLE {}", t.name)
        } else {
            format!("ALTER TABLE ONLY {}", t.name)
        };
        let base = format!("{alter} ADD CONSTRAINT {} {}", ident(&c.name), c.definition);
        let validatable =
            matches!(c.kind.as_str(), "c" | "f") && c.validated && t.partition_key.is_none();
        if self.opts.online && validatable {
            let mut ch = change(
                format!(
                    "{base} NOT VALID;\nALTER TABLE {} VALIDATE CONSTRAINT {}",
                    t.name,
                    ident(&c.name)
                ),
                k,
                "create",
            );
            ch.hazards.clear();
            return ch;
        }
        let what = match c.kind.as_str() {
            "p" | "u" | "x" => HazardKind::IndexBuild,
            _ => HazardKind::AccessExclusiveLock,
        };
        hazard(
            change(base, k, "create"),
            what,
            format!("adding {} scans {} while holding a lock", c.name, t.name),
        )
    }
}
