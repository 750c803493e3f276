//! An operator family's loose members changed in place: `ALTER OPERATOR FAMILY … DROP` the
//! members TO lacks, then `… ADD` those FROM lacks. Operator classes cannot be altered: a
//! changed class is recreated, and with it the indexes that use it.

use super::super::engine::change;
use crate::catalog::model::*;
use crate::ddl::render::{member_sql, using};
use crate::diff::Change;

pub(super) fn alter_family(k: &str, a: &OperatorFamily, b: &OperatorFamily) -> Vec<Change> {
    let family = using(&b.name, &b.method);
    let mut out = vec![];
    // A member is named by its number and types; one that changes otherwise is dropped and
    // added again.
    let dropped_ops: Vec<String> = a
        .operators
        .iter()
        .filter(|m| !b.operators.contains(m))
        .map(|m| format!("OPERATOR {} ({}, {})", m.strategy, m.left, m.right))
        .collect();
    let dropped_fns: Vec<String> = a
        .functions
        .iter()
        .filter(|m| !b.functions.contains(m))
        .map(|m| format!("FUNCTION {} ({}, {})", m.number, m.left, m.right))
        .collect();
    let dropped: Vec<String> = dropped_ops.into_iter().chain(dropped_fns).collect();
    if !dropped.is_empty() {
        out.push(change(
            format!("ALTER OPERATOR FAMILY {family} DROP\n    {}", dropped.join(",\n    ")),
            k,
            "alter",
        ));
    }
    let ops: Vec<OpFamilyOperator> =
        b.operators.iter().filter(|m| !a.operators.contains(m)).cloned().collect();
    let fns: Vec<OpFamilyFunction> =
        b.functions.iter().filter(|m| !a.functions.contains(m)).cloned().collect();
    let added = member_sql(&ops, &fns);
    if !added.is_empty() {
        out.push(change(
            format!("ALTER OPERATOR FAMILY {family} ADD\n    {}", added.join(",\n    ")),
            k,
            "alter",
        ));
    }
    out
}
