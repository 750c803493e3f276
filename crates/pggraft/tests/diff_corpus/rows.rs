//! The rows a migration must keep: every table that both catalogs have keeps the rows it had
//! before the script ran, in the columns both sides have (generated ones aside: they are
//! computed again). A column whose type changes is compared as the new type shows the old
//! value (`v::numeric(12,2)` run before the script), so `1` that became `1.00` still matches;
//! where that cast cannot run before the script (the new type does not exist yet), both sides
//! are compared as text. A column of a composite type whose attributes change is compared on
//! the attributes both versions have. Rows that `to.sql` inserts are not expected anywhere.

use std::collections::BTreeSet;

use pg_sandbox::TestDb;
use pggraft::catalog::{Catalog, CompositeAttribute, Table, TypeKind};
use pggraft::sql::{QualifiedName, ident};

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

impl Before {
    /// Reads `db` (described by `current`) before a migration to `wanted`.
    pub fn read(db: &TestDb<'_>, current: &Catalog, wanted: &Catalog) -> Result<Before, String> {
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
        let read = |cast: Cast| {
            let queries: Vec<String> =
                pairs.iter().map(|(c, w)| rows_sql(sides, c, w, cast)).collect();
            query_all(db, &queries)
        };
        // A cast that fails (a type only TO has, a value the new type refuses) falls back to
        // text for all changed columns: the script then has to keep their text.
        let rows = read(Cast::ToWanted).or_else(|_| read(Cast::Text))?;
        let tables = pairs
            .iter()
            .zip(rows)
            .map(|((c, w), rows)| Shared {
                name: w.name.clone(),
                after_sql: rows_sql(sides, c, w, Cast::None),
                rows,
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

fn count(rows: &str) -> usize {
    rows.lines().count()
}

#[derive(Clone, Copy)]
enum Cast {
    /// Columns as they are.
    None,
    /// Changed columns cast to their wanted type.
    ToWanted,
    /// Changed columns as text.
    Text,
}

/// The two catalogs, for the types of the columns.
#[derive(Clone, Copy)]
struct Sides<'a> {
    current: &'a Catalog,
    wanted: &'a Catalog,
}

/// The rows of `current` (physically in it: `ONLY`) in the columns it shares with `wanted`,
/// one per line, sorted bytewise so both sides sort alike.
fn rows_sql(sides: Sides<'_>, current: &Table, wanted: &Table, cast: Cast) -> String {
    let columns: Vec<String> = wanted
        .columns
        .iter()
        .filter(|w| w.generated.is_none())
        .filter_map(|w| {
            let c = current.columns.iter().find(|c| c.name == w.name && c.generated.is_none())?;
            let col = ident(&w.name);
            Some(match sides.changed_composite(&w.type_name) {
                // Its values gain or lose attributes: the ones both versions have must keep
                // their values.
                Some((c, w)) => {
                    let attrs = shared(c, w, |a| &a.name, |a| &a.type_name);
                    let fields: Vec<String> = attrs
                        .iter()
                        .map(|(name, from, to)| {
                            convert(&format!("({col}).{}", ident(name)), from, to, cast)
                        })
                        .collect();
                    format!("ROW({})", fields.join(", "))
                }
                None => convert(&col, &c.type_name, &w.type_name, cast),
            })
        })
        .collect();
    format!(
        "SELECT string_agg(r, E'\\n' ORDER BY r COLLATE \"C\") \
         FROM (SELECT ROW({})::text AS r FROM ONLY {}) s",
        columns.join(", "),
        current.name
    )
}

/// `expr`, of type `from`, as `cast` shows it given that it becomes `to`.
fn convert(expr: &str, from: &str, to: &str, cast: Cast) -> String {
    match cast {
        _ if from == to => expr.to_owned(),
        Cast::None => expr.to_owned(),
        Cast::ToWanted => format!("{expr}::{to}"),
        Cast::Text => format!("{expr}::text"),
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
