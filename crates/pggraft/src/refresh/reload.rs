//! Reloading a table: all of its rows, read in the snapshot, copied into
//! the table once its group's transaction has truncated it (`COPY … FREEZE`
//! between databases, `INSERT … SELECT` within one). The table keeps its
//! OID, its indexes and everything bound to it; its indexes are maintained
//! while the rows go in (see the README's benchmark for what that costs
//! next to a fresh clone, which builds them afterwards).

use super::plan::TablePlan;
use crate::catalog::model::key;
use crate::engine::{Chunk, TableSource, TableTask};

/// The task that copies all of `plan`'s rows into its table.
pub(super) fn task(plan: &TablePlan) -> TableTask {
    TableTask {
        source: TableSource::Relation(plan.source.clone()),
        label: plan.source.clone(),
        build: plan.target.clone(),
        target: plan.target.clone(),
        key: key::relation(&plan.target),
        columns: plan.detail.columns.clone(),
        filter: None,
        strategy: plan.detail.strategy,
        bytes: plan.bytes,
        est_rows: plan.est_rows,
        // One transaction loads the group, so splitting the table into
        // ranges would gain nothing.
        chunks: vec![Chunk::Whole],
    }
}
