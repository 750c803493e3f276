//! Resumable runs (`map run --batch-rows N`): each table with a one-column
//! key is cut into key ranges of about N source rows, and each range loads
//! in a transaction of its own (an engine group, [`Apply::Insert`]) that
//! also records it as done in `pggraft.map_batches` on the target, so the
//! rows and the record commit together or not at all. A run that finds
//! batches recorded for the same mapping (by fingerprint) resumes: it keeps
//! the recorded ranges and loads only those not done; a run that finds none
//! truncates the tables and records its ranges first. Once every batch is
//! in, the run deletes its records.
//!
//! A resumed run reads a new snapshot of the source: the ranges loaded
//! before hold the rows as they were then. Tables without such a key load
//! whole, in one batch.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::check::MappedTable;
use crate::engine::{Apply, Group, Member, TableTask};
use crate::error::{PgResultExt, Result};
use crate::sql::{ident, literal};

const STATE: &str = "CREATE SCHEMA IF NOT EXISTS pggraft; \
     CREATE TABLE IF NOT EXISTS pggraft.map_batches (\
       fingerprint text NOT NULL, target text NOT NULL, batch int NOT NULL, \
       lo text, hi text, done boolean NOT NULL DEFAULT false, \
       PRIMARY KEY (fingerprint, target, batch))";

/// One key range of one table.
#[derive(Debug, Clone)]
pub(crate) struct Batch {
    pub table: usize,
    pub number: i32,
    /// Exclusive lower and inclusive upper bound, as text; `None`: open.
    pub lo: Option<String>,
    pub hi: Option<String>,
    pub done: bool,
}

/// What the mapped tables are, as a key for their recorded batches.
pub(crate) fn fingerprint(tables: &[MappedTable]) -> String {
    let mut h = Sha256::new();
    for t in tables {
        h.update(t.target.to_string());
        h.update("\n");
        h.update(t.select_sql());
        h.update("\n");
    }
    h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// The one-column key's expression over the source row and its target type.
fn key_of(t: &MappedTable) -> Option<(String, String)> {
    let [k] = t.key.as_slice() else { return None };
    let c = t.columns.iter().find(|c| &c.target == k)?;
    Some((c.sql(), c.target_type.clone()))
}

/// The batches of every table: the recorded ones (resuming), or new ones
/// cut on the source and recorded, after truncating the tables (a fresh
/// run). `dst` is in the transaction that commits before the load.
pub(crate) async fn plan(
    src: &Client,
    dst: &Client,
    tables: &[MappedTable],
    rows: u64,
    fp: &str,
) -> Result<(Vec<Batch>, bool)> {
    dst.batch_execute(STATE).await.ctx("creating pggraft.map_batches")?;
    let recorded = dst
        .query(
            "SELECT target, batch, lo, hi, done FROM pggraft.map_batches \
             WHERE fingerprint = $1 ORDER BY target, batch",
            &[&fp],
        )
        .await
        .ctx("reading pggraft.map_batches")?;
    if !recorded.is_empty() {
        let index: BTreeMap<String, usize> =
            tables.iter().enumerate().map(|(i, t)| (t.target.to_string(), i)).collect();
        let mut out = vec![];
        for r in recorded {
            let target: String = r.get(0);
            let Some(&table) = index.get(&target) else { continue };
            out.push(Batch { table, number: r.get(1), lo: r.get(2), hi: r.get(3), done: r.get(4) });
        }
        return Ok((out, true));
    }
    let mut out = vec![];
    for (i, t) in tables.iter().enumerate() {
        let mut bounds: Vec<String> = vec![];
        if let Some((key, _)) = key_of(t) {
            let q = format!(
                "SELECT k FROM (SELECT ({key})::pg_catalog.text AS k, ({key}) AS o, \
                 row_number() OVER (ORDER BY ({key})) AS rn FROM {}) s \
                 WHERE rn % {rows} = 0 ORDER BY o",
                t.from_sql()
            );
            bounds = src
                .query(q.as_str(), &[])
                .await
                .ctx(format!("cutting {} into batches", t.source_label))?
                .iter()
                .map(|r| r.get(0))
                .collect();
        }
        let mut lo: Option<String> = None;
        for (n, hi) in bounds.into_iter().map(Some).chain([None]).enumerate() {
            out.push(Batch {
                table: i,
                number: n as i32,
                lo: lo.clone(),
                hi: hi.clone(),
                done: false,
            });
            lo = hi;
        }
    }
    let names: Vec<String> = tables.iter().map(|t| format!("ONLY {}", t.target)).collect();
    dst.batch_execute(&format!("TRUNCATE {}", names.join(", ")))
        .await
        .ctx("emptying the target tables for a new batched run")?;
    for b in &out {
        dst.execute(
            "INSERT INTO pggraft.map_batches (fingerprint, target, batch, lo, hi) \
             VALUES ($1, $2, $3, $4, $5)",
            &[&fp, &tables[b.table].target.to_string(), &b.number, &b.lo, &b.hi],
        )
        .await
        .ctx("recording the batches")?;
    }
    Ok((out, false))
}

/// The task of one batch: the table's task, its filter narrowed to the range.
pub(crate) fn task(t: &MappedTable, b: &Batch) -> TableTask {
    let mut task = super::job::task(t);
    task.label.name = format!("{} [batch {}]", t.target.name, b.number);
    // Groups run in the order given when their sizes are equal.
    task.bytes = 0;
    let mut conds: Vec<String> = t.filter.iter().map(|f| format!("({f})")).collect();
    if let Some((key, ty)) = key_of(t) {
        if let Some(lo) = &b.lo {
            conds.push(format!("({key}) > CAST({} AS {ty})", literal(lo)));
        }
        if let Some(hi) = &b.hi {
            conds.push(format!("({key}) <= CAST({} AS {ty})", literal(hi)));
        }
    }
    task.filter = (!conds.is_empty()).then(|| conds.join(" AND "));
    task
}

/// The group loading one batch and recording it, in one transaction.
pub(crate) fn group(t: &MappedTable, b: &Batch, task: usize, fp: &str) -> Group {
    Group {
        members: vec![Member { table: t.target.clone(), tasks: vec![task], apply: Apply::Insert }],
        truncate: vec![],
        after: vec![format!(
            "UPDATE pggraft.map_batches SET done = true WHERE fingerprint = {} AND target = {} \
             AND batch = {}",
            literal(fp),
            literal(&t.target.to_string()),
            b.number
        )],
    }
}

/// Forgets a finished run's batches.
pub(crate) async fn finish(dst: &Client, fp: &str) -> Result<()> {
    dst.execute("DELETE FROM pggraft.map_batches WHERE fingerprint = $1", &[&fp])
        .await
        .ctx("deleting the finished run's batch records")?;
    Ok(())
}

/// Drops the batch state table (an interrupted run's records with it:
/// that run can then only start over).
pub(crate) async fn cleanup(c: &Client) -> Result<bool> {
    let exists = !c
        .query("SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = 'pggraft' AND tablename = 'map_batches'", &[])
        .await
        .ctx("looking for pggraft.map_batches")?
        .is_empty();
    if exists {
        c.batch_execute(&format!("DROP TABLE pggraft.{}", ident("map_batches")))
            .await
            .ctx("dropping pggraft.map_batches")?;
    }
    Ok(exists)
}
