//! A view altered in place: `CREATE OR REPLACE VIEW` when PostgreSQL
//! allows it (the old columns kept, new ones appended), else recreated.
//! Materialized views are always recreated.

use crate::catalog::model::View;
use crate::ddl::render::with_options;
use crate::diff::Change;
use crate::diff::engine::change;

/// `CREATE OR REPLACE VIEW` when the new view keeps the old columns (names
/// and types, in order) and only appends; otherwise `None` (recreate).
pub(super) fn alter_view(k: &str, a: &View, b: &View) -> Option<Vec<Change>> {
    if a.materialized || b.materialized || b.columns.len() < a.columns.len() {
        return None;
    }
    let same_prefix = a
        .columns
        .iter()
        .zip(&b.columns)
        .all(|(x, y)| x.name == y.name && x.type_name == y.type_name);
    if !same_prefix {
        return None;
    }
    let mut out = vec![];
    let removed: Vec<&str> = a
        .options
        .iter()
        .filter_map(|o| o.split('=').next())
        .filter(|key| !b.options.iter().any(|o| o.split('=').next() == Some(*key)))
        .collect();
    if !removed.is_empty() {
        out.push(change(
            format!("ALTER VIEW {} RESET ({})", b.name, removed.join(", ")),
            k,
            "alter",
        ));
    }
    out.push(change(
        format!(
            "CREATE OR REPLACE VIEW {}{} AS\n{}",
            b.name,
            with_options(&b.options),
            b.definition
        ),
        k,
        "replace",
    ));
    Some(out)
}
