//! Checked mapped tables as the engine's [`Job`]: one table task per target
//! table (its source relation or query, its column expressions, filter and
//! strategy) and one group ([`Finish::Groups`](crate::engine::Finish::Groups))
//! holding every target table, so the whole load is one target transaction:
//! the tables are truncated, loaded parents first, and committed together,
//! or not at all. Also the SQL a run would execute, for `--dry-run`.

use std::collections::{BTreeSet, HashMap};

use tokio_postgres::Client;

use super::check::MappedTable;
use crate::engine::{
    Apply, Chunk, Group, GroupLoad, Job, Member, Strategy, TableSource, TableTask, Truncate,
};
use crate::error::{PgResultExt, Result};

/// Lock waits of the load transaction.
#[derive(Debug, Clone, Copy)]
pub struct Locking {
    pub lock_timeout: std::time::Duration,
    pub lock_retries: u32,
}

/// The task of one mapped table.
pub(crate) fn task(t: &MappedTable) -> TableTask {
    TableTask {
        source: match &t.fdw_source {
            Some(f) => TableSource::Relation(f.clone()),
            None => t.source.clone(),
        },
        // Unique per task: a source split into several targets is read by
        // several tasks.
        label: t.target.clone(),
        build: t.target.clone(),
        target: t.target.clone(),
        key: t.target.to_string(),
        columns: t.columns.iter().map(|c| c.to_engine()).collect(),
        filter: t.filter.clone(),
        strategy: t.strategy,
        bytes: t.bytes,
        est_rows: t.est_rows,
        chunks: vec![Chunk::Whole],
    }
}

/// Orders `tables` so that a table referenced by a foreign key of another
/// comes first (rows go in parents first inside the one transaction).
pub(crate) async fn parents_first(dst: &Client, tables: &[MappedTable]) -> Result<Vec<usize>> {
    let oids: Vec<u32> = tables.iter().map(|t| t.target_oid).collect();
    let rows = dst
        .query(
            "SELECT conrelid, confrelid FROM pg_catalog.pg_constraint \
             WHERE contype = 'f' AND conrelid = ANY($1) AND confrelid = ANY($1) \
             AND conrelid <> confrelid",
            &[&oids],
        )
        .await
        .ctx("reading the foreign keys between the target tables")?;
    let at: HashMap<u32, usize> = oids.iter().enumerate().map(|(i, &o)| (o, i)).collect();
    let mut needs: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); tables.len()];
    for r in rows {
        let (child, parent): (u32, u32) = (r.get(0), r.get(1));
        needs[at[&child]].insert(at[&parent]);
    }
    // Kahn's algorithm, file order among equals; a cycle keeps file order
    // (its foreign keys must then be deferrable to load in one transaction).
    let mut order = vec![];
    let mut done = vec![false; tables.len()];
    while order.len() < tables.len() {
        let next = (0..tables.len())
            .find(|&i| !done[i] && needs[i].iter().all(|&p| done[p]))
            .or_else(|| (0..tables.len()).find(|&i| !done[i]))
            .expect("a table left");
        done[next] = true;
        order.push(next);
    }
    Ok(order)
}

/// The job and its one group, members in `order`.
pub(crate) fn job(tables: &[MappedTable], order: &[usize], locking: Locking) -> (Job, GroupLoad) {
    let tasks: Vec<TableTask> = tables.iter().map(task).collect();
    let members = order
        .iter()
        .map(|&i| Member { table: tables[i].target.clone(), tasks: vec![i], apply: Apply::Replace })
        .collect();
    let truncate =
        order.iter().map(|&i| Truncate { table: tables[i].target.clone(), only: true }).collect();
    let load = GroupLoad {
        groups: vec![Group { members, truncate, after: vec![] }],
        lock_timeout: locking.lock_timeout,
        lock_retries: locking.lock_retries,
        replica_role: false,
    };
    (Job { tables: tasks, ..Job::default() }, load)
}

/// What a run executes, as SQL: per table, the statements on the source and
/// on the target, inside the one target transaction.
pub(crate) fn script(tables: &[MappedTable], order: &[usize]) -> String {
    let names: Vec<String> = order.iter().map(|&i| tables[i].target.to_string()).collect();
    let mut out = String::from("-- on the target, in one transaction:\nBEGIN;\n");
    out.push_str(&format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE;\n", names.join(", ")));
    let only: Vec<String> = names.iter().map(|n| format!("ONLY {n}")).collect();
    out.push_str(&format!("TRUNCATE {};\n", only.join(", ")));
    for &i in order {
        let t = &tables[i];
        let task = task(t);
        let source = match &t.source {
            TableSource::Relation(n) => n.to_string(),
            TableSource::Query { .. } => "a query".to_string(),
        };
        out.push_str(&format!("\n-- {} <- {source}\n", t.target));
        let cols = task.target_columns();
        match t.strategy {
            Strategy::InsertSelect | Strategy::Foreign => {
                out.push_str(&format!(
                    "INSERT INTO {} ({cols}) OVERRIDING SYSTEM VALUE {};\n",
                    t.target,
                    task.select_sql(Chunk::Whole, true)
                ));
            }
            Strategy::Copy { binary } => {
                let format = if binary { "binary" } else { "text" };
                let out_sql = match task.plain_relation(Chunk::Whole) {
                    Some(name) => format!(
                        "COPY {name} ({}) TO STDOUT (FORMAT {format})",
                        task.source_columns()
                    ),
                    None => format!(
                        "COPY ({}) TO STDOUT (FORMAT {format})",
                        task.select_sql(Chunk::Whole, false)
                    ),
                };
                out.push_str(&format!("-- on the source, in the snapshot:\n{out_sql};\n"));
                out.push_str(&format!(
                    "-- streamed into:\nCOPY {} ({cols}) FROM STDIN (FORMAT {format});\n",
                    t.target
                ));
            }
        }
    }
    out.push_str("\nCOMMIT;\n");
    out
}
