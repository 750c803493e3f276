//! The rows a migration must keep: every table that both catalogs have keeps the rows it had
//! before the script ran, in the columns both sides have (generated ones aside: they are
//! computed again). A column whose type changes is compared as the new type shows the old
//! value (`v::numeric(12,2)` run before the script), so `1` that became `1.00` still matches;
//! where that cast cannot run before the script (there is none, or the new type does not exist
//! yet), the column is compared as text, unless the plan converts it with a `data-loss` hazard
//! the case expects (epoch seconds to `timestamp`): then the column is left out, since no cast
//! says what its values should become. A column of a composite type whose attributes change is
//! compared on the attributes both versions have. Rows that `to.sql` inserts are not expected
//! anywhere.
//!
//! A table with partitions or inheritance children, on either side, is read through itself
//! (not `ONLY`), less the rows stored in the children both sides have, which are checked as
//! tables of their own; so the rows of a table that becomes partitioned are found in its new
//! partitions, and those of a partition attached or detached are counted once. Before the
//! script, the rows of a child the plan may drop are left out too. A family with a foreign
//! table in it is read `ONLY` (through the parent, its rows would be fetched from its server).

use std::collections::{BTreeMap, BTreeSet};

use pg_sandbox::TestDb;
use pggraft::catalog::{Catalog, CompositeAttribute, Table, TypeKind};
use pggraft::diff::{HazardKind, Migration};
use pggraft::sql::{QualifiedName, ident, literal};

use crate::check::text_diff;

/// The rows of every shared table, read before the script runs.
pub struct Before {
    tables: Vec<Shared>,
}

struct Shared {
    name: QualifiedName,
    /// Reads the rows after the script: the shared columns as they are then.
    after_sql: String,
    /// The rows before, one `ROW(…)::text` a line, sorted.
    rows: String,
}

/// What the check knows of the migration before it runs.
pub struct Plan<'a> {
    pub migration: &'a Migration,
    /// Tables the migration may empty (it drops them, and the case expects `data-loss`).
    pub may_lose: &'a BTreeSet<QualifiedName>,
    /// The case expects `data-loss` in this direction.
    pub data_loss: bool,
}

/// How a column whose type changes is shown before the script.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// As it is (after the script, when it has its wanted type).
    AsIs,
    /// Cast to its wanted type.
    Wanted,
    /// As text.
    Text,
    /// Left out: the plan converts it with a data-loss hazard and no cast says how.
    Out,
}

impl Before {
    /// Reads `db` (described by `current`) before a migration to `wanted`.
    pub fn read(
        db: &TestDb<'_>,
        current: &Catalog,
        wanted: &Catalog,
        plan: &Plan<'_>,
    ) -> Result<Before, String> {
        // A foreign table's rows are elsewhere (reading them would connect to its server).
        let pairs: Vec<(&Table, &Table)> = wanted
            .tables
            .iter()
            .filter_map(|w| current.table(&w.name).map(|c| (c, w)))
            .filter(|(c, w)| c.foreign.is_none() && w.foreign.is_none())
            .collect();
        if pairs.is_empty() {
            return Ok(Before { tables: vec![] });
        }
        let sides = Sides { current, wanted };
        let shared: BTreeSet<&QualifiedName> = pairs.iter().map(|(_, w)| &w.name).collect();
        let sources: Vec<(String, String)> = pairs
            .iter()
            .map(|(c, _)| {
                let mut below = sides.descendants(&c.name);
                if below.iter().any(|d| sides.foreign(d)) {
                    // Read through the parent, a foreign partition would be read too.
                    below.clear();
                }
                let read_apart: Vec<&QualifiedName> =
                    below.iter().filter(|d| shared.contains(d)).collect();
                let mut before = read_apart.clone();
                before.extend(below.iter().filter(|d| plan.may_lose.contains(*d)));
                (source(&c.name, &below, &before), source(&c.name, &below, &read_apart))
            })
            .collect();
        let read = |mode: &dyn Fn(usize, &str) -> Mode| {
            let queries: Vec<String> = pairs
                .iter()
                .zip(&sources)
                .enumerate()
                .map(|(i, ((c, w), (from, _)))| rows_sql(sides, c, w, from, &|col| mode(i, col)))
                .collect();
            query_all(db, &queries)
        };
        // Every changed column cast to its wanted type; where that fails for one (a type only
        // TO has, no cast, a value the new type refuses), that column is shown as text, or
        // left out if the plan says its conversion may lose data.
        let mut modes: BTreeMap<(usize, String), Mode> = BTreeMap::new();
        let rows = match read(&|_, _| Mode::Wanted) {
            Ok(rows) => rows,
            Err(_) => {
                for (i, (c, w)) in pairs.iter().enumerate() {
                    for col in sides.changed_columns(c, w) {
                        let alone = |j: usize, other: &str| {
                            if j == i && other == col { Mode::Wanted } else { Mode::Text }
                        };
                        let probe = rows_sql(sides, c, w, &sources[i].0, &|other| alone(i, other));
                        let mode = if query_all(db, &[probe]).is_ok() {
                            Mode::Wanted
                        } else if plan.lossy(current, c, &col) {
                            Mode::Out
                        } else {
                            Mode::Text
                        };
                        modes.insert((i, col), mode);
                    }
                }
                read(&|i, col| modes.get(&(i, col.to_owned())).copied().unwrap_or(Mode::Text))?
            }
        };
        let tables = pairs
            .iter()
            .zip(&sources)
            .zip(rows)
            .enumerate()
            .map(|(i, (((c, w), (_, after)), rows))| {
                let as_is = |col: &str| match modes.get(&(i, col.to_owned())) {
                    Some(Mode::Out) => Mode::Out,
                    _ => Mode::AsIs,
                };
                Shared {
                    name: w.name.clone(),
                    after_sql: rows_sql(sides, c, w, after, &as_is),
                    rows,
                }
            })
            .collect();
        Ok(Before { tables })
    }

    /// Compares the rows now in `db` with those read before; tables in `may_lose` are left
    /// out. An error lists every table whose rows differ.
    pub fn compare(
        &self,
        db: &TestDb<'_>,
        may_lose: &BTreeSet<QualifiedName>,
    ) -> Result<(), String> {
        let checked: Vec<&Shared> = self
            .tables
            .iter()
            .filter(|t| !may_lose.contains(&t.name))
            // Nothing to lose: skips a query for the many cases without rows.
            .filter(|t| !t.rows.is_empty())
            .collect();
        if checked.is_empty() {
            return Ok(());
        }
        let queries: Vec<String> = checked.iter().map(|t| t.after_sql.clone()).collect();
        let after = query_all(db, &queries)?;
        let mut out = String::new();
        for (t, now) in checked.iter().zip(after) {
            if now != t.rows {
                out.push_str(&format!(
                    "rows of {} changed ({} before, {} after):\n{}",
                    t.name,
                    count(&t.rows),
                    count(&now),
                    text_diff(&t.rows, &now)
                ));
            }
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

impl Plan<'_> {
    /// The plan changes `column`'s type (on `table` or a table it inherits it from) with a
    /// `data-loss` hazard, and the case expects one.
    fn lossy(&self, current: &Catalog, table: &Table, column: &str) -> bool {
        if !self.data_loss {
            return false;
        }
        let mut owners = vec![table.name.clone()];
        let mut at = table;
        while let Some(parent) = at.partition_of.as_ref().and_then(|p| current.table(&p.parent)) {
            owners.push(parent.name.clone());
            at = parent;
        }
        owners.extend(table.inherits.iter().cloned());
        let alter = format!(" ALTER COLUMN {} TYPE ", ident(column));
        self.migration.changes.iter().any(|c| {
            c.hazards.iter().any(|h| h.kind == HazardKind::DataLoss)
                && c.sql.contains(&alter)
                && owners.iter().any(|o| c.sql.starts_with(&format!("ALTER TABLE {o} ")))
        })
    }
}

fn count(rows: &str) -> usize {
    rows.lines().count()
}

/// What a table's rows are read from: `ONLY` the table when it has no children on either
/// side; otherwise the table with its children, less the rows stored in `leave_out`.
fn source(
    name: &QualifiedName,
    children: &BTreeSet<QualifiedName>,
    leave_out: &[&QualifiedName],
) -> String {
    if children.is_empty() {
        return format!("ONLY {name}");
    }
    if leave_out.is_empty() {
        return name.to_string();
    }
    let oids: Vec<String> =
        leave_out.iter().map(|t| format!("{}::regclass", literal(&t.to_string()))).collect();
    format!("{name} WHERE tableoid NOT IN ({})", oids.join(", "))
}

/// The two catalogs, for the types of the columns.
#[derive(Clone, Copy)]
struct Sides<'a> {
    current: &'a Catalog,
    wanted: &'a Catalog,
}

/// The rows read from `from` (see [`source`]) in the columns `current` shares with `wanted`,
/// one per line, sorted bytewise so both sides sort alike; `mode` says how a column whose
/// type changes is shown.
fn rows_sql(
    sides: Sides<'_>,
    current: &Table,
    wanted: &Table,
    from: &str,
    mode: &dyn Fn(&str) -> Mode,
) -> String {
    let columns: Vec<String> = wanted
        .columns
        .iter()
        .filter(|w| w.generated.is_none())
        .filter_map(|w| {
            let c = current.columns.iter().find(|c| c.name == w.name && c.generated.is_none())?;
            let col = ident(&w.name);
            let mode = mode(&w.name);
            Some(match sides.changed_composite(&w.type_name) {
                // Its values gain or lose attributes: the ones both versions have must keep
                // their values.
                Some((c, w)) => {
                    let attrs = shared(c, w, |a| &a.name, |a| &a.type_name);
                    let fields: Vec<String> = attrs
                        .iter()
                        .map(|(name, from, to)| {
                            convert(&format!("({col}).{}", ident(name)), from, to, mode)
                        })
                        .collect();
                    format!("ROW({})", fields.join(", "))
                }
                None if mode == Mode::Out && c.type_name != w.type_name => return None,
                None => convert(&col, &c.type_name, &w.type_name, mode),
            })
        })
        .collect();
    format!(
        "SELECT string_agg(r, E'\\n' ORDER BY r COLLATE \"C\") \
         FROM (SELECT ROW({})::text AS r FROM {from}) s",
        columns.join(", "),
    )
}

/// `expr`, of type `from`, as `mode` shows it given that it becomes `to`.
fn convert(expr: &str, from: &str, to: &str, mode: Mode) -> String {
    match mode {
        _ if from == to => expr.to_owned(),
        Mode::AsIs => expr.to_owned(),
        Mode::Wanted => format!("{expr}::{to}"),
        Mode::Text | Mode::Out => format!("{expr}::text"),
    }
}

/// The (name, current type, wanted type) of what both lists have, in the wanted order.
fn shared<'a, T>(
    current: &'a [T],
    wanted: &'a [T],
    name: impl Fn(&T) -> &String,
    type_name: impl Fn(&T) -> &String,
) -> Vec<(&'a String, &'a String, &'a String)> {
    wanted
        .iter()
        .filter_map(|w| {
            let c = current.iter().find(|c| name(c) == name(w))?;
            Some((name(w), type_name(c), type_name(w)))
        })
        .collect()
}

impl<'a> Sides<'a> {
    /// The tables below `root` (partitions, inheritance children, theirs) on either side.
    fn descendants(self, root: &QualifiedName) -> BTreeSet<QualifiedName> {
        let mut out = BTreeSet::new();
        for cat in [self.current, self.wanted] {
            let mut stack = vec![root.clone()];
            while let Some(parent) = stack.pop() {
                for t in &cat.tables {
                    let child = t.partition_of.as_ref().is_some_and(|p| p.parent == parent)
                        || t.inherits.contains(&parent);
                    if child && out.insert(t.name.clone()) {
                        stack.push(t.name.clone());
                    }
                }
            }
        }
        out
    }

    /// Whether `name` is a foreign table on either side.
    fn foreign(self, name: &QualifiedName) -> bool {
        [self.current, self.wanted]
            .iter()
            .any(|cat| cat.table(name).is_some_and(|t| t.foreign.is_some()))
    }

    /// The shared columns of a table whose type (or composite type's attributes) changes.
    fn changed_columns(self, current: &Table, wanted: &Table) -> Vec<String> {
        wanted
            .columns
            .iter()
            .filter(|w| w.generated.is_none())
            .filter(|w| {
                current.columns.iter().any(|c| {
                    c.name == w.name
                        && c.generated.is_none()
                        && (c.type_name != w.type_name
                            || self.changed_composite(&w.type_name).is_some())
                })
            })
            .map(|w| w.name.clone())
            .collect()
    }

    /// The attributes of a composite type both sides have under `type_name`, if they differ.
    fn changed_composite(
        self,
        type_name: &str,
    ) -> Option<(&'a [CompositeAttribute], &'a [CompositeAttribute])> {
        let attributes = |cat: &'a Catalog| {
            cat.types.iter().find(|t| t.name.to_string() == type_name).and_then(|t| match &t.kind {
                TypeKind::Composite { attributes } => Some(attributes.as_slice()),
                _ => None,
            })
        };
        let (c, w) = (attributes(self.current)?, attributes(self.wanted)?);
        (c != w).then_some((c, w))
    }
}

/// Runs one query per table in one round trip; each yields one text (empty: no rows).
fn query_all(db: &TestDb<'_>, queries: &[String]) -> Result<Vec<String>, String> {
    let sql: Vec<String> =
        queries.iter().enumerate().map(|(i, q)| format!("SELECT {i}, ({q})")).collect();
    let rows = db.query(&format!("{};", sql.join("\nUNION ALL "))).map_err(|e| e.to_string())?;
    let mut out = vec![String::new(); queries.len()];
    for row in rows {
        let i: usize = row[0].parse().map_err(|e| format!("row index {:?}: {e}", row[0]))?;
        out[i] = row.get(1).cloned().unwrap_or_default();
    }
    Ok(out)
}
