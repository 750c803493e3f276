//! `map analyze`: per mapped table, how big the source is and how fast each
//! strategy that can run here moves its rows between this source and this
//! target, measured on a sample (the first rows of the mapped query, loaded
//! into a temporary copy of the target table in a transaction that is
//! rolled back), never taken from constants. The estimate is the table's
//! rows at the sampled rate.
//!
//! Each candidate loads the sample twice and keeps the faster load, so the
//! first one's cold reads do not decide; the sample is small (20,000 rows
//! by default), so a table's real rate can be higher (per-statement costs
//! weigh more on a sample) but the comparison between strategies holds.

use std::time::Instant;

use serde::Serialize;
use tokio_postgres::Client;

use super::check::MappedTable;
use super::{MapOptions, Problem, Side, context, job, session, strategy_name};
use crate::engine::{Chunk, NoProgress, Strategy, TableSource, TableTask};
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, ident};

/// One strategy's measurement on one table.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub strategy: &'static str,
    pub rows: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// The table's rows at this rate.
    pub estimated_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableAnalysis {
    pub target: QualifiedName,
    pub source: QualifiedName,
    /// Source rows (the planner's estimate; counted when there is none)
    /// and heap bytes (0 for a query).
    pub rows: u64,
    pub bytes: u64,
    pub samples: Vec<Sample>,
    /// The fastest measured strategy.
    pub chosen: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnalyzeReport {
    pub tables: Vec<TableAnalysis>,
    pub problems: Vec<Problem>,
}

/// The sample as a task: the first `n` rows of the mapped source, loaded
/// into `into`.
fn sample_task(t: &MappedTable, n: u64, into: &QualifiedName, strategy: Strategy) -> TableTask {
    // Only the fdw strategy reads the foreign table.
    let fdw_source = if strategy == Strategy::Foreign { t.fdw_source.clone() } else { None };
    let mut task = job::task(&MappedTable { fdw_source, ..t.clone() });
    let from = match (&task.source, &t.filter) {
        (TableSource::Relation(r), Some(f)) => format!("ONLY {r} WHERE ({f})"),
        (TableSource::Relation(r), None) => format!("ONLY {r}"),
        (TableSource::Query { sql, .. }, Some(f)) => format!("({sql}) AS src WHERE ({f})"),
        (TableSource::Query { sql, .. }, None) => format!("({sql}) AS src"),
    };
    task.source =
        TableSource::Query { sql: format!("SELECT * FROM {from} LIMIT {n}"), key: vec![] };
    task.filter = None;
    task.build = into.clone();
    task.strategy = strategy;
    task
}

/// One load of the sample, in seconds, and the rows it loaded.
async fn load(
    src: &Client,
    dst: &Client,
    task: &TableTask,
    into: &QualifiedName,
) -> Result<(u64, f64)> {
    dst.batch_execute(&format!("TRUNCATE {into}")).await.ctx("emptying the sample table")?;
    let t0 = Instant::now();
    let rows = match task.strategy {
        Strategy::Copy { binary } => {
            crate::engine::copy_stream(
                src,
                dst,
                task,
                Chunk::Whole,
                binary,
                false,
                &NoProgress,
                None,
            )
            .await?
            .0
        }
        Strategy::InsertSelect | Strategy::Foreign => {
            crate::engine::insert_select_chunk(dst, task, Chunk::Whole).await?
        }
    };
    Ok((rows, t0.elapsed().as_secs_f64()))
}

/// Measures every strategy that can run for every mapped table (see the
/// module docs); writes nothing that outlives its transactions.
pub async fn analyze(opts: &MapOptions, sample_rows: u64) -> Result<AnalyzeReport> {
    let src =
        session(&opts.source, Side::Source, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
    // Read-write: the sample tables (temporary) and the fdw strategy's
    // objects are created in it, and rolled back.
    let dst = super::target_transaction(opts, false).await?;
    let cx = context(opts);
    let mut checked = super::check::check(&src, &dst, &opts.mapping, cx).await?;
    if !checked.problems.is_empty() {
        let _ = dst.batch_execute("ROLLBACK").await;
        return Ok(AnalyzeReport { tables: vec![], problems: checked.problems });
    }
    // Every table gets every candidate: fdw needs its foreign tables.
    let mut fdw = checked.clone();
    for t in &mut fdw.tables {
        if matches!(t.source, TableSource::Relation(_)) {
            t.strategy = Strategy::Foreign;
        }
    }
    // A target without postgres_fdw (or that cannot reach the source)
    // just has no fdw candidate.
    dst.batch_execute("SAVEPOINT pggraft_map_fdw").await.ctx("analyzing the mapping")?;
    let fdw_ok = match super::prepare_fdw(opts, &dst, &mut fdw).await {
        Ok(_) => fdw.problems.is_empty(),
        Err(e) => {
            tracing::info!("no fdw candidate: {e}");
            dst.batch_execute("ROLLBACK TO SAVEPOINT pggraft_map_fdw")
                .await
                .ctx("analyzing the mapping")?;
            false
        }
    };
    for (t, f) in checked.tables.iter_mut().zip(&fdw.tables) {
        t.fdw_source = f.fdw_source.clone();
    }
    let mut tables = vec![];
    for (i, t) in checked.tables.iter().enumerate() {
        let into = QualifiedName::new("pg_temp", format!("pggraft_map_sample_{i}"));
        dst.batch_execute(&format!(
            "CREATE TEMPORARY TABLE {} (LIKE {} INCLUDING DEFAULTS) ON COMMIT DROP",
            ident(&into.name),
            t.target
        ))
        .await
        .ctx(format!("creating a sample table like {}", t.target))?;
        let mut candidates = vec![Strategy::Copy { binary: t.binary }];
        if cx.same_database {
            candidates.push(Strategy::InsertSelect);
        }
        if fdw_ok && t.fdw_source.is_some() {
            candidates.push(Strategy::Foreign);
        }
        let mut rows = t.est_rows.max(0.0) as u64;
        if rows == 0 {
            let q = format!("SELECT count(*) FROM {}", t.from_sql());
            rows = src
                .query_one(q.as_str(), &[])
                .await
                .ctx("counting the source rows")?
                .get::<_, i64>(0) as u64;
        }
        let mut samples = vec![];
        for s in candidates {
            let task = sample_task(t, sample_rows, &into, s);
            let a = load(&src, &dst, &task, &into).await?;
            let b = load(&src, &dst, &task, &into).await?;
            let (n, secs) = if a.1 <= b.1 { a } else { b };
            let rate = if secs > 0.0 { n as f64 / secs } else { 0.0 };
            samples.push(Sample {
                strategy: strategy_name(s),
                rows: n,
                seconds: secs,
                rows_per_second: rate,
                estimated_seconds: if rate > 0.0 { rows as f64 / rate } else { 0.0 },
            });
        }
        let chosen = samples
            .iter()
            .max_by(|a, b| a.rows_per_second.total_cmp(&b.rows_per_second))
            .map_or("copy (binary)", |s| s.strategy);
        tables.push(TableAnalysis {
            target: t.target.clone(),
            source: t.source_label.clone(),
            rows,
            bytes: t.bytes,
            samples,
            chosen,
        });
    }
    let _ = dst.batch_execute("ROLLBACK").await;
    let _ = src.batch_execute("ROLLBACK").await;
    Ok(AnalyzeReport { tables, problems: vec![] })
}

/// The strategy [`analyze`] chose for `t`.
pub(crate) fn chosen(t: &MappedTable, name: &str) -> Strategy {
    match name {
        "server" => Strategy::InsertSelect,
        "fdw" => Strategy::Foreign,
        _ => Strategy::Copy { binary: t.binary },
    }
}

/// Rows per sample when `strategy = "auto"` is decided by measuring.
pub(crate) const AUTO_SAMPLE: u64 = 20_000;
