//! `verify`: proving that a copy matches its source, at increasing cost.
//!
//! - [`Level::Schema`]: both catalogs are read, the source's is renamed into
//!   target names ([`crate::rename`]), and the SQL of every object is compared
//!   ([`schema`]).
//! - [`Level::Counts`]: exact row counts of every table that holds rows.
//! - [`Level::Checksums`]: row counts plus an order-independent hash sum of
//!   every row, computed on the server ([`checksum`]).
//! - [`Level::Rows`]: for tables whose checksums differ, the keys of the rows
//!   that are missing, extra or changed ([`locate`]).
//!
//! Each side is read in one `REPEATABLE READ` snapshot shared by all its
//! sessions ([`session`]), so every table of a side is seen as of one
//! instant, together with its catalog. The module owns pairing source and
//! target tables and judging what differs; connecting, introspection,
//! renaming and rendering are the other modules' work, and printing is the
//! caller's.
//!
//! This file owns the options and the run: it reads both models and pairs
//! the tables ([`pairing`]), compares the structure ([`schema`]) and the
//! sequences ([`sequences`]), counts and hashes the pairs' rows in units
//! spread over the sessions, and locates differing rows; the result types
//! are [`report`]'s.

mod checksum;
mod locate;
pub(crate) mod pairing;
mod policy;
pub(crate) mod ranges;
mod report;
mod schema;
mod sequences;
mod session;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::{try_join, try_join_all};
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use self::checksum::{Blocks, Stats, TableSql, block_size, query_stats, split_blocks, table_stats};
use self::pairing::{Models, Pair, pair_tables, read_models};
use self::sequences::compare_sequences;
use self::session::{Side, run_pool};
use crate::clone::sessions::Room;
use crate::conn::ConnSpec;
use crate::error::{Error, PgResultExt, Result};
use crate::rename::Naming;
use crate::select::{Pattern, TableFilter, TablePattern};
use crate::sql::QualifiedName;

pub use crate::rowhash::RowSums;

pub use self::report::{
    DiffKind, ObjectDiff, Progress, RowDiffs, SequenceResult, Stage, TableResult, TableStatus,
    VerifyReport, format_key,
};

/// Default number of sessions per side.
pub const DEFAULT_JOBS: usize = 4;
/// Default number of differing rows reported per table.
pub const DEFAULT_ROW_LIMIT: usize = 100;
/// Default size above which a table's heap is hashed in parallel parts.
pub const DEFAULT_CHUNK_BYTES: u64 = 1 << 30;

/// How thoroughly to compare; each level includes the ones before it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Structure only.
    Schema,
    /// Structure and exact row counts.
    Counts,
    /// Structure, row counts and a hash of every row.
    #[default]
    Checksums,
    /// Checksums, then the keys of the rows that differ.
    Rows,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Schema => "schema",
            Level::Counts => "counts",
            Level::Checksums => "checksums",
            Level::Rows => "rows",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = Error;

    fn from_str(s: &str) -> Result<Level> {
        Ok(match s {
            "schema" => Level::Schema,
            "counts" => Level::Counts,
            "checksums" => Level::Checksums,
            "rows" => Level::Rows,
            other => {
                return Err(Error::input(format!(
                    "unknown verify level {other:?}; use schema, counts, checksums or rows"
                )));
            }
        })
    }
}

/// What to compare and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub source: ConnSpec,
    pub target: ConnSpec,
    /// Which source schemas are compared and what they are called in the
    /// target (as for `clone`).
    pub naming: Naming,
    /// An already resolved source → target schema map (exact names), used
    /// instead of resolving `naming.schemas` and `naming.template`;
    /// `naming.lower_case` still applies to the names inside.
    pub schema_map: Option<BTreeMap<String, String>>,
    /// Source schemas left out (`-N`), when `schema_map` is not given.
    pub exclude_schemas: Vec<Pattern>,
    /// Tables to compare (`include`; empty means all) and to leave out
    /// (`exclude`), matched against source names, as given to `clone`:
    /// left-out tables, and everything that depends on them (views,
    /// foreign keys, …), are not compared on either side.
    pub tables: TableFilter,
    /// Tables whose structure is compared but not their rows (`clone
    /// --exclude-table-data`).
    pub exclude_table_data: Vec<TablePattern>,
    pub level: Level,
    /// Sessions per side (at least 1).
    pub jobs: usize,
    /// At most this many differing rows are reported per table.
    pub row_limit: usize,
    /// With several jobs, a table whose heap is larger than this is hashed
    /// in ctid ranges of about this size, in parallel; 0 never splits.
    pub chunk_bytes: u64,
    /// What the structure comparison includes: a copy made without owners,
    /// privileges or comments (`clone --no-owner`, …) is compared without
    /// them; one made with `--skip-extensions`, without extensions. Schemas
    /// are always compared.
    pub compare: crate::ddl::render::RenderOptions,
    /// Source tables' row counts and typed hash sums already known (a
    /// clone hashes the rows it streams, [`crate::rowhash`]), by source
    /// name: those tables are not read on the source again. Used only for
    /// tables hashed by typed values.
    pub source_sums: BTreeMap<QualifiedName, RowSums>,
    /// The same of the target tables (by source name), read back by the
    /// clone as soon as each was loaded: tables known on both sides are
    /// not read at all.
    pub target_sums: BTreeMap<QualifiedName, RowSums>,
    /// The copy's tables were created `UNLOGGED` on purpose (`clone
    /// --unlogged`): the source's are compared as the clone rewrote them.
    pub unlogged: bool,
}

impl VerifyOptions {
    /// Every source schema under its own name, all tables, default level,
    /// jobs, row limit and chunk size.
    pub fn new(source: ConnSpec, target: ConnSpec) -> VerifyOptions {
        VerifyOptions {
            source,
            target,
            naming: Naming::default(),
            schema_map: None,
            exclude_schemas: vec![],
            tables: TableFilter::default(),
            exclude_table_data: vec![],
            level: Level::default(),
            jobs: DEFAULT_JOBS,
            row_limit: DEFAULT_ROW_LIMIT,
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            compare: crate::ddl::render::RenderOptions::default(),
            source_sums: BTreeMap::new(),
            target_sums: BTreeMap::new(),
            unlogged: false,
        }
    }
}

/// Compares the target with the source (see the module docs).
pub async fn verify(opts: &VerifyOptions) -> Result<VerifyReport> {
    verify_with_progress(opts, &|_| {}).await
}

/// [`verify`], calling `progress` after each step.
pub async fn verify_with_progress(
    opts: &VerifyOptions,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<VerifyReport> {
    let jobs = opts.jobs.max(1);
    let data = opts.level >= Level::Counts;
    let (src_snap, tgt_snap) = try_join(
        session::open(&opts.source, Side::Source, data && jobs > 1),
        session::open(&opts.target, Side::Target, data && jobs > 1),
    )
    .await?;
    let src_c = session::coordinator(&src_snap);
    let tgt_c = session::coordinator(&tgt_snap);

    let same_database = opts.source.same_database(&opts.target);
    let mut models = Box::pin(read_models(opts, same_database, src_c, tgt_c)).await?;
    let selected = |q: &QualifiedName| opts.tables.admits(q);
    let with_rows = |q: &QualifiedName| {
        selected(q) && !opts.exclude_table_data.iter().any(|p| p.matches(&q.schema, &q.name))
    };
    let pairs = pair_tables(&models, &with_rows);

    let excluded: BTreeSet<QualifiedName> = models
        .renamed
        .tables
        .iter()
        .chain(&models.target.tables)
        .map(|t| &t.name)
        .filter(|t| !selected(&models.source_name(t)))
        .cloned()
        .collect();
    let mut skip = schema::table_object_keys(&models.renamed, &excluded);
    skip.extend(schema::table_object_keys(&models.target, &excluded));
    let mut renamed = models.renamed.clone();
    if opts.unlogged {
        crate::clone::unlog(&mut renamed);
    }
    renamed.sort();
    // Extensions are the database's: only those that go with the compared schemas count
    // (as clone creates them), and on the target those and the ones in its schemas.
    let wanted = models.source.schema_extensions();
    renamed.extensions.retain(|e| wanted.contains(&e.name));
    let target_schemas: BTreeSet<String> =
        models.target.schemas.iter().map(|s| s.name.clone()).collect();
    models
        .target
        .extensions
        .retain(|e| wanted.contains(&e.name) || target_schemas.contains(&e.schema));
    let mut warnings = models.warnings.clone();
    warnings.extend(schema::align(&opts.target, &mut renamed, &mut models.target).await);
    let mut report = VerifyReport {
        level: opts.level,
        schema_map: models.schema_map.clone(),
        schema: schema::compare(&renamed, &models.target, &skip, &opts.compare),
        tables: vec![],
        sequences: vec![],
        warnings,
    };
    if !data {
        end_transactions([src_c, tgt_c].into_iter()).await?;
        return Ok(report);
    }
    report.sequences = compare_sequences(&models, src_c, tgt_c, &selected).await?;

    let hash = opts.level >= Level::Checksums;
    let (src_bs, tgt_bs) =
        try_join(block_size(src_c, "source"), block_size(tgt_c, "target")).await?;
    let chunk = if jobs > 1 { opts.chunk_bytes } else { 0 };
    // Sums the clone computed as the rows streamed by (source) and as it
    // read each table back once loaded (target): those sides are not read.
    let known = |sums: &BTreeMap<QualifiedName, RowSums>| -> Vec<Option<Stats>> {
        pairs
            .iter()
            .map(|p| match (&p.src, &p.tgt, &p.status) {
                (Some(s), Some(_), None) if hash && s.typed => {
                    sums.get(&p.source).map(|k| Stats { rows: k.rows, sum: k.sum })
                }
                _ => None,
            })
            .collect()
    };
    let known_src = known(&opts.source_sums);
    // A target table's sums count only with its source's.
    let known_tgt: Vec<Option<Stats>> = known(&opts.target_sums)
        .into_iter()
        .zip(&known_src)
        .map(|(t, s)| t.filter(|_| s.is_some()))
        .collect();
    let src_units = plan_units(&pairs, Side::Source, src_bs, chunk, &known_src);
    let tgt_units = plan_units(&pairs, Side::Target, tgt_bs, chunk, &known_tgt);
    let mut n_workers = jobs.min(src_units.len().max(tgt_units.len())).max(1);
    // No more workers than the servers have connections for (one server
    // holding both sides counts both).
    if n_workers > 1 {
        let (s, t) = try_join(Room::read(src_c), Room::read(tgt_c)).await?;
        let free = if opts.source.same_server(&opts.target) {
            t.free() / 2
        } else {
            s.free().min(t.free())
        };
        let fits = usize::try_from(free.max(1)).unwrap_or(1);
        if fits < n_workers {
            report.warnings.push(format!(
                "--jobs {jobs} lowered to {fits}: the servers allow no more connections"
            ));
            n_workers = fits;
        }
    }

    // Workers join the coordinators' snapshots; with one job the
    // coordinators do the work themselves.
    let joinable = src_snap.name().is_some() && tgt_snap.name().is_some();
    let (src_workers, tgt_workers) = match (&src_snap, &tgt_snap, n_workers) {
        (s, t, n) if n > 1 && joinable => {
            try_join(
                try_join_all((0..n).map(|_| session::join(&opts.source, Side::Source, s))),
                try_join_all((0..n).map(|_| session::join(&opts.target, Side::Target, t))),
            )
            .await?
        }
        _ => (vec![], vec![]),
    };
    let src_pool: Vec<&Client> =
        if src_workers.is_empty() { vec![src_c] } else { src_workers.iter().collect() };
    let tgt_pool: Vec<&Client> =
        if tgt_workers.is_empty() { vec![tgt_c] } else { tgt_workers.iter().collect() };

    let total = src_units.len() + tgt_units.len();
    let count = Counter { done: AtomicUsize::new(0), total, progress };
    let (src_stats, tgt_stats) = try_join(
        read_side(&src_pool, src_units, Side::Source, &pairs, hash, &count),
        read_side(&tgt_pool, tgt_units, Side::Target, &pairs, hash, &count),
    )
    .await?;
    let mut stats: Vec<(Option<Stats>, Option<Stats>)> =
        known_src.into_iter().zip(known_tgt).collect();
    for (i, s) in src_stats {
        *stats[i].0.get_or_insert_default() += s;
    }
    for (i, s) in tgt_stats {
        *stats[i].1.get_or_insert_default() += s;
    }

    for (pair, (s, g)) in pairs.iter().zip(&stats) {
        let hashed = hash && pair.status.is_none();
        let status = match (&pair.status, s, g) {
            (Some(decided), _, _) => *decided,
            (None, Some(s), Some(g)) if s.rows == g.rows && (!hashed || s.sum == g.sum) => {
                TableStatus::Match
            }
            _ => TableStatus::Differs,
        };
        report.tables.push(TableResult {
            source: pair.source.clone(),
            target: pair.target.clone(),
            status,
            reason: pair.reason.clone(),
            source_rows: s.map(|s| s.rows),
            target_rows: g.map(|g| g.rows),
            source_checksum: s.filter(|_| hashed).map(|s| s.sum.to_string()),
            target_checksum: g.filter(|_| hashed).map(|g| g.sum.to_string()),
            rows: None,
        });
    }

    stale_matviews(&mut report, &models, &pairs, &stats, src_c, hash).await?;

    if opts.level >= Level::Rows && opts.row_limit > 0 {
        let differing: Vec<usize> =
            (0..pairs.len()).filter(|&i| report.tables[i].status == TableStatus::Differs).collect();
        let workers: Vec<(&Client, &Client)> =
            src_pool.iter().copied().zip(tgt_pool.iter().copied()).collect();
        let count = Counter { done: AtomicUsize::new(0), total: differing.len(), progress };
        let (pairs, stats, count) = (&pairs, &stats, &count);
        let found =
            run_pool(&workers, differing, |&(sc, tc): &(&Client, &Client), i: usize| async move {
                let pair = &pairs[i];
                let (src, tgt) =
                    (pair.src.as_ref().expect("compared"), pair.tgt.as_ref().expect("compared"));
                let (s, g) = (stats[i].0.unwrap_or_default(), stats[i].1.unwrap_or_default());
                let key = primary_key(sc, src).await?;
                let diffs = match key {
                    Some(key) => {
                        let keyed = locate::Keyed { src, tgt, key };
                        locate::keyed(sc, tc, &keyed, s, g, opts.row_limit).await?
                    }
                    None => locate::unkeyed(sc, tc, src, tgt).await?,
                };
                count.step(Stage::Rows, &pair.source);
                Ok((i, diffs))
            })
            .await?;
        for (i, diffs) in found {
            report.tables[i].rows = Some(diffs);
        }
    }
    // End every reading transaction (and release its locks) before
    // returning, not whenever the dropped connections get to close.
    let sessions = [src_c, tgt_c].into_iter().chain(&src_workers).chain(&tgt_workers);
    end_transactions(sessions).await?;
    Ok(report)
}

/// A materialized view the source has not refreshed since its tables changed holds rows its
/// query no longer gives, and no copy can hold those: a copy is refreshed from the copied
/// rows. Such a view differs, so its copy is compared with what the source's query gives now
/// (in the same snapshot); equal, it matches, and a warning says the source's is stale.
async fn stale_matviews(
    report: &mut VerifyReport,
    models: &Models,
    pairs: &[Pair],
    stats: &[(Option<Stats>, Option<Stats>)],
    src_c: &Client,
    hash: bool,
) -> Result<()> {
    for (i, pair) in pairs.iter().enumerate() {
        if report.tables[i].status != TableStatus::Differs || pair.status.is_some() {
            continue;
        }
        let Some(view) =
            models.source.views.iter().find(|v| v.materialized && v.name == pair.source)
        else {
            continue;
        };
        let (Some(src), Some(copy)) = (&pair.src, stats[i].1) else { continue };
        let now = query_stats(src_c, src, &view.definition, hash).await?;
        if now.rows == copy.rows && (!hash || now.sum == copy.sum) {
            report.tables[i].status = TableStatus::Match;
            report.warnings.push(format!(
                "materialized view {} is stale in the source (its rows are not what its query \
                 gives now; REFRESH MATERIALIZED VIEW brings it up to date): its copy matches \
                 the query instead",
                pair.source
            ));
        }
    }
    Ok(())
}

/// Commits the read-only transactions of `sessions`.
async fn end_transactions(sessions: impl Iterator<Item = &Client>) -> Result<()> {
    try_join_all(sessions.map(|c| c.batch_execute("COMMIT")))
        .await
        .ctx("ending the reading transactions")?;
    Ok(())
}

/// Counts finished steps and reports them.
struct Counter<'a> {
    done: AtomicUsize,
    total: usize,
    progress: &'a (dyn Fn(&Progress) + Sync),
}

impl Counter<'_> {
    fn step(&self, stage: Stage, table: &QualifiedName) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.progress)(&Progress { stage, done, total: self.total, table: table.clone() });
    }
}

/// Counts (and hashes) the side's units; returns (pair, stats) per unit.
async fn read_side(
    pool: &[&Client],
    units: Vec<Unit>,
    side: Side,
    pairs: &[Pair],
    hash: bool,
    count: &Counter<'_>,
) -> Result<Vec<(usize, Stats)>> {
    run_pool(pool, units, |c: &&Client, u: Unit| async move {
        let pair = &pairs[u.pair];
        let t = match side {
            Side::Source => pair.src.as_ref(),
            Side::Target => pair.tgt.as_ref(),
        }
        .expect("units are planned only for present tables");
        let stats =
            table_stats(c, t, hash && pair.status.is_none(), u.blocks, side.as_str()).await?;
        count.step(Stage::Tables, &pair.source);
        Ok((u.pair, stats))
    })
    .await
}

/// One query of one side: a table, or a block range of a big one.
struct Unit {
    pair: usize,
    blocks: Option<Blocks>,
    bytes: i64,
}

/// The side's queries, biggest first so the long ones start early.
/// Pairs with `known` stats are left out.
fn plan_units(
    pairs: &[Pair],
    side: Side,
    block_size: u64,
    chunk_bytes: u64,
    known: &[Option<Stats>],
) -> Vec<Unit> {
    let mut units = vec![];
    for (i, p) in pairs.iter().enumerate() {
        if known.get(i).is_some_and(Option::is_some) {
            continue;
        }
        let (present, bytes) = match side {
            Side::Source => (p.src.is_some(), p.src_bytes),
            Side::Target => (p.tgt.is_some(), p.tgt_bytes),
        };
        if !present {
            continue;
        }
        match split_blocks(bytes, block_size, chunk_bytes) {
            Some(parts) => {
                let per = bytes / i64::try_from(parts.len()).unwrap_or(1);
                units.extend(parts.into_iter().map(|b| Unit {
                    pair: i,
                    blocks: Some(b),
                    bytes: per,
                }));
            }
            None => units.push(Unit { pair: i, blocks: None, bytes }),
        }
    }
    units.sort_by_key(|u| std::cmp::Reverse(u.bytes));
    units
}

/// The primary key's columns as positions in `t.columns`, or `None` when
/// the table has no primary key.
async fn primary_key(c: &Client, t: &TableSql) -> Result<Option<Vec<usize>>> {
    let rows = c
        .query(
            "SELECT a.attname::text FROM pg_catalog.pg_index i \
             CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
             WHERE i.indrelid = $1::text::regclass AND i.indisprimary ORDER BY k.ord",
            &[&t.name.to_string()],
        )
        .await
        .ctx(format!("reading the primary key of source table {}", t.name))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut key = vec![];
    for r in rows {
        let name: String = r.get(0);
        match t.columns.iter().position(|c| *c == name) {
            Some(i) => key.push(i),
            None => return Ok(None),
        }
    }
    Ok(Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!("rows".parse::<Level>().unwrap(), Level::Rows);
        assert!("all".parse::<Level>().is_err());
        assert!(Level::Schema < Level::Counts && Level::Counts < Level::Checksums);
        assert_eq!(Level::default(), Level::Checksums);
    }
}
