//! Incremental refresh: which rows of each keyed table differ, found before
//! anything is written, and the merge that writes only those.
//!
//! Each table is compared by key ranges with row hashes on both servers
//! ([`crate::verify::ranges`]: ranges that match cost a scan and no
//! transfer), in the refresh's source snapshot and a snapshot of the copy.
//! Keys the copy lacks or holds with other rows are upserted: the source
//! rows of those keys are streamed into a temporary table on the target
//! (COPY between databases, `INSERT … SELECT` within one) and written with
//! `INSERT … ON CONFLICT DO UPDATE`; keys only the copy has are deleted
//! (unless `--no-delete`). A watermark table ([`super::watermark`]) takes the
//! rows past its high-water mark instead, and compares keys alone to find
//! deletes. The copy is expected to be written by nothing but refresh
//! between the comparison and the merge.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use tokio_postgres::Client;

use super::plan::{Planned, PreparedRefresh, TablePlan};
use super::watermark;
use super::{RefreshOptions, deletes};
use crate::catalog::model::key;
use crate::conn::{Side, prepare_session};
use crate::engine::groups::keys_filter;
use crate::engine::{Apply, Chunk, Member, Merge, ProgressSink, TableSource, TableTask};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::QualifiedName;
use crate::verify::ranges::{COMPARE_SETTINGS, CompareTable, KeyDiff, key_diff};

/// Source rows selected per task by key list (a task's filter is SQL text).
const KEY_BATCH: usize = 20_000;

/// The same for a key of one integer column, whose list is compact.
const INT_KEY_BATCH: usize = 200_000;

/// What the comparison found for one table.
#[derive(Debug, Clone)]
pub(super) struct Found {
    /// The plan's index.
    pub plan: usize,
    pub diff: KeyDiff,
    /// Rows only the copy has that stay (`--no-delete`); `None` when they
    /// are deleted or were not looked for.
    pub kept: Option<u64>,
    pub watermark: Option<Mark>,
    pub seconds: f64,
}

impl Found {
    fn is_empty(&self, deleting: bool) -> bool {
        self.diff.missing.is_empty()
            && self.diff.changed.is_empty()
            && (!deleting || self.diff.extra.is_empty())
            && self.watermark.as_ref().is_none_or(|w| w.from == w.to)
    }
}

/// A watermark table's high-water marks: the rows taken are those past
/// `from`; `to` is recorded for the next refresh.
#[derive(Debug, Clone)]
pub(super) struct Mark {
    pub column: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Where `from` came from: the record, or the copy's own rows.
    pub from_copy: bool,
}

/// Compares every table that needs it, `opts.jobs` at a time.
pub(super) async fn compare(
    opts: &RefreshOptions,
    prepared: &PreparedRefresh,
    progress: &dyn ProgressSink,
) -> Result<Vec<Found>> {
    let todo: VecDeque<usize> = prepared
        .plans
        .iter()
        .enumerate()
        .filter(|(_, p)| p.planned != Planned::Reload)
        .map(|(i, _)| i)
        .collect();
    let workers = opts.jobs.clamp(1, todo.len().max(1));
    let queue = Mutex::new(todo);
    let results: Mutex<Vec<Found>> = Mutex::new(vec![]);
    let (queue, results) = (&queue, &results);
    futures_util::future::try_join_all((0..workers).map(|_| async move {
        let src = prepared
            .snapshot
            .join(&prepared.set.source, COMPARE_SETTINGS)
            .await
            .map_err(|e| e.on(Side::Source))?;
        let tgt = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
        prepare_session(&tgt).await?;
        tgt.batch_execute(COMPARE_SETTINGS).await.ctx("preparing a comparing session")?;
        loop {
            let next = queue.lock().expect("compare queue").pop_front();
            let Some(i) = next else { break };
            let plan = &prepared.plans[i];
            tgt.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .await
                .ctx("starting to read the copy")?;
            let f = compare_one(opts, plan, i, &src, &tgt).await?;
            tgt.batch_execute("COMMIT").await.ctx("reading the copy")?;
            let n = f.diff.missing.len() + f.diff.changed.len() + f.diff.extra.len();
            progress.table_compared(&plan.source, n as u64);
            results.lock().expect("compare results").push(f);
        }
        // The snapshot's reading transaction ends with the session.
        let _ = src.batch_execute("COMMIT").await;
        Ok::<(), Error>(())
    }))
    .await?;
    let mut found = std::mem::take(&mut *results.lock().expect("compare results"));
    found.sort_by_key(|f| f.plan);
    Ok(found)
}

async fn compare_one(
    opts: &RefreshOptions,
    plan: &TablePlan,
    i: usize,
    src: &Client,
    tgt: &Client,
) -> Result<Found> {
    let t = Instant::now();
    let d = &plan.detail;
    let rows = plan.est_rows as i64;
    let mut found =
        Found { plan: i, diff: KeyDiff::default(), kept: None, watermark: None, seconds: 0.0 };
    match &plan.planned {
        Planned::Compare { .. } => {
            found.diff = key_diff(src, &d.src_cmp, tgt, &d.tgt_cmp, &d.key, rows, d.writes).await?;
            if !opts.delete {
                found.kept = Some(found.diff.extra.len() as u64);
            }
        }
        Planned::Watermark { .. } => {
            found.watermark = Some(watermark::marks(plan, src, tgt).await?);
            if opts.delete_missing {
                found.kept = Some(0);
                // Keys alone: which rows are gone, and which the copy lacks
                // (rows whose watermark did not move past the mark).
                let keys = |c: &CompareTable| CompareTable {
                    name: c.name.clone(),
                    columns: d.key.iter().map(|&k| c.columns[k].clone()).collect(),
                    types: d.key.iter().map(|&k| c.types[k].clone()).collect(),
                    typed_hash: c.typed_hash,
                };
                let positions: Vec<usize> = (0..d.key.len()).collect();
                found.diff = key_diff(
                    src,
                    &keys(&d.src_cmp),
                    tgt,
                    &keys(&d.tgt_cmp),
                    &positions,
                    rows,
                    d.writes,
                )
                .await?;
            }
        }
        Planned::Changed { .. } => {
            let h = d.horizon.as_ref().expect("a horizon table");
            found.diff = super::horizon::key_diff(
                h,
                (src, &d.src_cmp),
                (tgt, &d.tgt_cmp),
                d.key[0],
                plan.est_rows,
            )
            .await?;
            if !opts.delete {
                found.kept = Some(found.diff.extra.len() as u64);
            }
        }
        Planned::Reload => {}
    }
    found.seconds = t.elapsed().as_secs_f64();
    Ok(found)
}

/// The merge that brings `plan`'s table up to date with what was found,
/// its tasks appended to `tables`; `None` when nothing differs.
pub(super) fn member(
    opts: &RefreshOptions,
    plan: &TablePlan,
    p: usize,
    f: &Found,
    tables: &mut Vec<TableTask>,
) -> Option<Member> {
    let deleting = deletes(opts);
    if f.is_empty(deleting) {
        return None;
    }
    let d = &plan.detail;
    let src_key: Vec<String> = d.key.iter().map(|&i| d.src_cmp.columns[i].clone()).collect();
    let src_types: Vec<String> = d.key.iter().map(|&i| d.src_cmp.types[i].clone()).collect();
    let stage = QualifiedName::new("pg_temp", format!("pggraft_stage_{p}"));
    let per_row = plan.bytes as f64 / plan.est_rows.max(1.0);
    let task = |filter: Option<String>, rows: usize| TableTask {
        source: TableSource::Relation(plan.source.clone()),
        label: plan.source.clone(),
        build: stage.clone(),
        target: plan.target.clone(),
        key: key::relation(&plan.target),
        columns: d.columns.clone(),
        filter,
        strategy: d.strategy,
        bytes: (per_row * rows as f64) as u64,
        est_rows: rows as f64,
        chunks: vec![Chunk::Whole],
    };
    let mut tasks = vec![];
    let keyed = |keys: &[Vec<String>],
                 also: Option<String>,
                 tables: &mut Vec<TableTask>,
                 tasks: &mut Vec<usize>| {
        let filters: Vec<(String, usize)> = match int_keys(&src_types, keys) {
            Some(ints) => ints
                .chunks(INT_KEY_BATCH)
                .map(|b| (int_keys_filter(&src_key[0], &src_types[0], b), b.len()))
                .collect(),
            None => keys
                .chunks(KEY_BATCH)
                .map(|b| (keys_filter(&src_key, &src_types, b), b.len()))
                .collect(),
        };
        for (mut filter, n) in filters {
            if let Some(a) = &also {
                filter = format!("{filter} AND {a}");
            }
            tables.push(task(Some(filter), n));
            tasks.push(tables.len() - 1);
        }
    };
    match (&f.watermark, &d.watermark) {
        (Some(mark), Some((column, ty))) => {
            let past = watermark::past(column, ty, mark.from.as_deref());
            let est = (plan.est_rows / 100.0) as usize;
            tables.push(task(past.clone(), est));
            tasks.push(tables.len() - 1);
            // Rows the copy lacks although their mark did not move past the
            // high-water mark (written by a transaction still open when the
            // last refresh's snapshot was taken, say).
            if let Some(past) = past {
                keyed(&f.diff.missing, Some(format!("({past}) IS NOT TRUE")), tables, &mut tasks);
            }
        }
        _ => {
            let upsert: Vec<Vec<String>> =
                f.diff.missing.iter().chain(&f.diff.changed).cloned().collect();
            keyed(&upsert, None, tables, &mut tasks);
        }
    }
    let key: Vec<String> = d.key.iter().map(|&i| d.tgt_cmp.columns[i].clone()).collect();
    let key_types: Vec<String> = d.key.iter().map(|&i| d.tgt_cmp.types[i].clone()).collect();
    let delete = if deleting { f.diff.extra.clone() } else { vec![] };
    Some(Member {
        table: plan.target.clone(),
        tasks,
        apply: Apply::Merge(Merge { key, key_types, update: d.update.clone(), delete }),
    })
}

/// The keys as sorted integers, when the key is one integer column.
fn int_keys(types: &[String], keys: &[Vec<String>]) -> Option<Vec<i64>> {
    if !super::horizon::key_fits(types) {
        return None;
    }
    let mut ints = keys
        .iter()
        .map(|k| k.first().and_then(|v| v.parse::<i64>().ok()))
        .collect::<Option<Vec<i64>>>()?;
    ints.sort_unstable();
    Some(ints)
}

/// `k = ANY('{1,2,…}'::integer[])`: the key's index is probed once per key
/// in key order (about half the time of joining the text list of
/// [`keys_filter`] on 20,000 keys of pgbench_accounts).
fn int_keys_filter(column: &str, ty: &str, keys: &[i64]) -> String {
    let list: Vec<String> = keys.iter().map(i64::to_string).collect();
    format!(
        "{} = ANY(CAST({} AS {ty}[]))",
        crate::sql::ident(column),
        crate::sql::literal(&format!("{{{}}}", list.join(",")))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_are_selected_by_one_sorted_array() {
        let keys = vec![vec!["30".to_string()], vec!["-2".to_string()], vec!["7".to_string()]];
        let ints = int_keys(&["bigint".to_string()], &keys).unwrap();
        assert_eq!(
            int_keys_filter("Id", "bigint", &ints),
            "\"Id\" = ANY(CAST('{-2,7,30}' AS bigint[]))"
        );
        assert!(int_keys(&["text".to_string()], &keys).is_none());
        assert!(int_keys(&["integer".to_string()], &[vec!["x".to_string()]]).is_none());
    }
}
