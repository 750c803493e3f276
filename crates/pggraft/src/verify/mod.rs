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

mod checksum;
mod locate;
mod policy;
pub(crate) mod ranges;
mod schema;
mod session;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::{try_join, try_join_all};
use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use self::checksum::{Blocks, Stats, TableSql, block_size, split_blocks, table_stats};
use self::session::{Side, run_pool};
use crate::catalog::{Catalog, Table, View, introspect};
use crate::conn::ConnSpec;
use crate::error::{Error, PgResultExt, Result};
use crate::rename::{Naming, register_names, rename_catalog};
use crate::select::SchemaFilter;
use crate::select::{Pattern, TablePattern};
use crate::sql::QualifiedName;

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
    /// Tables to compare, matched against source names; empty means all.
    pub include_tables: Vec<TablePattern>,
    /// Tables to leave out (source names). Their rows and their indexes,
    /// constraints, triggers … are not compared.
    pub exclude_tables: Vec<TablePattern>,
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
    /// them. Extensions and schemas are always compared.
    pub compare: crate::ddl::render::RenderOptions,
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
            include_tables: vec![],
            exclude_tables: vec![],
            level: Level::default(),
            jobs: DEFAULT_JOBS,
            row_limit: DEFAULT_ROW_LIMIT,
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            compare: crate::ddl::render::RenderOptions::default(),
        }
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub level: Level,
    /// Source schema → target schema, as compared.
    pub schema_map: BTreeMap<String, String>,
    /// Objects whose SQL differs, in rendering order.
    pub schema: Vec<ObjectDiff>,
    /// One entry per compared table (empty at [`Level::Schema`]).
    pub tables: Vec<TableResult>,
    /// One entry per sequence, identity sequences included (empty at
    /// [`Level::Schema`]).
    pub sequences: Vec<SequenceResult>,
    /// References in the source's SQL that renaming could not rewrite
    /// safely; differences reported for those objects may be false alarms.
    pub warnings: Vec<String>,
}

impl VerifyReport {
    /// No structural difference and every table matches.
    pub fn is_clean(&self) -> bool {
        self.schema.is_empty()
            && self.tables.iter().all(|t| t.status == TableStatus::Match)
            && self.sequences.iter().all(|s| s.status == TableStatus::Match)
    }

    /// The sequences whose values differ (or that one side lacks).
    pub fn differing_sequences(&self) -> impl Iterator<Item = &SequenceResult> {
        self.sequences.iter().filter(|s| s.status != TableStatus::Match)
    }

    /// The tables that do not match.
    pub fn differing_tables(&self) -> impl Iterator<Item = &TableResult> {
        self.tables.iter().filter(|t| t.status != TableStatus::Match)
    }
}

/// How an object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// In the source only.
    Missing,
    /// In the target only.
    Extra,
    /// In both, with different SQL.
    Changed,
}

impl DiffKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Missing => "missing",
            DiffKind::Extra => "extra",
            DiffKind::Changed => "changed",
        }
    }
}

/// One object whose SQL differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectDiff {
    /// The object's key in target names, e.g. `index shop_copy.orders_status_idx`
    /// or `default shop_copy.orders.status`.
    pub object: String,
    /// What kind of object it is (`table`, `index`, `default`, …).
    pub what: String,
    pub kind: DiffKind,
    /// The object's statements found only in the source, written with
    /// target names.
    pub source: Vec<String>,
    /// The object's statements found only in the target.
    pub target: Vec<String>,
}

/// How a table compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableStatus {
    /// Same count (and checksum, when hashed).
    Match,
    /// Counts or checksums differ.
    Differs,
    /// In the source only.
    Missing,
    /// In the target only.
    Extra,
    /// The rows cannot be compared (e.g. the target lacks a column; see
    /// [`TableResult::reason`]); only counts were read.
    Incomparable,
}

impl TableStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            TableStatus::Match => "match",
            TableStatus::Differs => "differs",
            TableStatus::Missing => "missing",
            TableStatus::Extra => "extra",
            TableStatus::Incomparable => "incomparable",
        }
    }
}

/// The comparison of one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableResult {
    /// The name in the source (for extra tables: the name it would have).
    pub source: QualifiedName,
    /// The name in the target.
    pub target: QualifiedName,
    pub status: TableStatus,
    /// Why the rows could not be compared ([`TableStatus::Incomparable`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_rows: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_rows: Option<i64>,
    /// Sum of the row hashes, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_checksum: Option<String>,
    /// At [`Level::Rows`], for tables that differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowDiffs>,
}

/// The comparison of one sequence's value. A copy whose sequences lag
/// behind its data hands out keys that already exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceResult {
    pub source: QualifiedName,
    pub target: QualifiedName,
    /// `Match`, `Differs`, `Missing` or `Extra`.
    pub status: TableStatus,
    /// The last value handed out; `None` before the first `nextval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_value: Option<i64>,
}

/// The rows that differ in one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum RowDiffs {
    /// Located by primary key. Keys are the key columns' values as text.
    Keyed {
        /// The primary key's columns (source names).
        key_columns: Vec<String>,
        /// Keys in the source only.
        missing: Vec<Vec<String>>,
        /// Keys in the target only.
        extra: Vec<Vec<String>>,
        /// Keys in both whose rows differ.
        changed: Vec<Vec<String>>,
        /// More differences exist than were listed (see `row_limit`).
        truncated: bool,
    },
    /// Without a key, rows are compared as multisets: a changed row counts
    /// as one missing and one extra.
    Unkeyed {
        missing_rows: u64,
        extra_rows: u64,
        /// Too many rows differ to count them all; the counts are lower bounds.
        truncated: bool,
    },
}

/// `id=42` or `(id, day)=(42, 2024-01-01)`, like PostgreSQL's key messages.
pub fn format_key(columns: &[String], values: &[String]) -> String {
    let cols: Vec<String> = columns.iter().map(|c| crate::sql::ident(c)).collect();
    if cols.len() == 1 && values.len() == 1 {
        format!("{}={}", cols[0], values[0])
    } else {
        format!("({})=({})", cols.join(", "), values.join(", "))
    }
}

/// What [`verify_with_progress`] is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Counting or hashing tables (a big table counts once per part and side).
    Tables,
    /// Locating differing rows, one step per differing table.
    Rows,
}

/// Progress report: `done` of `total` steps of `stage`.
#[derive(Debug, Clone)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
    /// The table of the step just finished (source name).
    pub table: QualifiedName,
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

    let models = Box::pin(read_models(opts, src_c, tgt_c)).await?;
    let selected = |q: &QualifiedName| {
        (opts.include_tables.is_empty()
            || opts.include_tables.iter().any(|p| p.matches(&q.schema, &q.name)))
            && !opts.exclude_tables.iter().any(|p| p.matches(&q.schema, &q.name))
    };
    let pairs = pair_tables(&models, &selected);

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
    renamed.sort();
    let mut report = VerifyReport {
        level: opts.level,
        schema_map: models.schema_map.clone(),
        schema: schema::compare(&renamed, &models.target, &skip, &opts.compare),
        tables: vec![],
        sequences: vec![],
        warnings: models.warnings.clone(),
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
    let src_units = plan_units(&pairs, Side::Source, src_bs, chunk);
    let tgt_units = plan_units(&pairs, Side::Target, tgt_bs, chunk);
    let n_workers = jobs.min(src_units.len().max(tgt_units.len())).max(1);

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
    let mut stats: Vec<(Option<Stats>, Option<Stats>)> = vec![(None, None); pairs.len()];
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

/// Commits the read-only transactions of `sessions`.
async fn end_transactions(sessions: impl Iterator<Item = &Client>) -> Result<()> {
    try_join_all(sessions.map(|c| c.batch_execute("COMMIT")))
        .await
        .ctx("ending the reading transactions")?;
    Ok(())
}

/// Sequence values on both sides, paired by name through the renaming.
/// Sequences are not transactional: the values are the current ones, not
/// the snapshot's.
async fn compare_sequences(
    models: &Models,
    src_c: &Client,
    tgt_c: &Client,
    selected: &dyn Fn(&QualifiedName) -> bool,
) -> Result<Vec<SequenceResult>> {
    // Standalone sequences and identity columns' sequences, of the selected
    // tables (a sequence owned by an excluded table is left out with it).
    fn names(cat: &Catalog) -> Vec<(QualifiedName, Option<&QualifiedName>)> {
        let mut out: Vec<(QualifiedName, Option<&QualifiedName>)> = cat
            .sequences
            .iter()
            .map(|s| (s.name.clone(), s.owned_by.as_ref().map(|(t, _)| t)))
            .collect();
        for t in &cat.tables {
            for c in &t.columns {
                if let Some(i) = &c.identity {
                    out.push((i.sequence.clone(), Some(&t.name)));
                }
            }
        }
        out
    }
    let keep =
        |owner: Option<&QualifiedName>| owner.is_none_or(|t| selected(&models.source_name(t)));
    let src_names: Vec<(QualifiedName, QualifiedName)> = names(&models.source)
        .into_iter()
        .zip(names(&models.renamed))
        .filter(|((_, owner), _)| owner.is_none_or(selected))
        .map(|((s, _), (r, _))| (s, r))
        .collect();
    let tgt_names: Vec<QualifiedName> = names(&models.target)
        .into_iter()
        .filter(|(_, owner)| keep(*owner))
        .map(|(n, _)| n)
        .collect();
    let (src_values, tgt_values) = try_join(
        sequence_values(src_c, src_names.iter().map(|(s, _)| s), "source"),
        sequence_values(tgt_c, tgt_names.iter(), "target"),
    )
    .await?;
    let mut out = vec![];
    for (i, (src, renamed)) in src_names.iter().enumerate() {
        let source_value = src_values[i];
        match tgt_names.iter().position(|t| t == renamed) {
            Some(j) => {
                let target_value = tgt_values[j];
                let status = if source_value == target_value {
                    TableStatus::Match
                } else {
                    TableStatus::Differs
                };
                out.push(SequenceResult {
                    source: src.clone(),
                    target: renamed.clone(),
                    status,
                    source_value,
                    target_value,
                });
            }
            None => out.push(SequenceResult {
                source: src.clone(),
                target: renamed.clone(),
                status: TableStatus::Missing,
                source_value,
                target_value: None,
            }),
        }
    }
    for (j, t) in tgt_names.iter().enumerate() {
        if !src_names.iter().any(|(_, r)| r == t) {
            out.push(SequenceResult {
                source: models.source_name(t),
                target: t.clone(),
                status: TableStatus::Extra,
                source_value: None,
                target_value: tgt_values[j],
            });
        }
    }
    Ok(out)
}

/// `last_value` of each sequence (`None` before its first `nextval`), in
/// the order given, in one query.
async fn sequence_values<'a>(
    c: &Client,
    names: impl Iterator<Item = &'a QualifiedName>,
    side: &str,
) -> Result<Vec<Option<i64>>> {
    let (schemas, rels): (Vec<String>, Vec<String>) =
        names.map(|n| (n.schema.clone(), n.name.clone())).unzip();
    if schemas.is_empty() {
        return Ok(vec![]);
    }
    let rows = c
        .query(
            "SELECT pg_catalog.pg_sequence_last_value(c.oid) FROM unnest($1::text[], $2::text[]) \
             WITH ORDINALITY AS u(s, n, i) \
             JOIN pg_catalog.pg_namespace ns ON ns.nspname = u.s \
             JOIN pg_catalog.pg_class c ON c.relnamespace = ns.oid AND c.relname = u.n \
             ORDER BY u.i",
            &[&schemas, &rels],
        )
        .await
        .ctx(format!("reading sequence values on the {side}"))?;
    if rows.len() != schemas.len() {
        return Err(Error::input(format!(
            "a sequence of the {side} disappeared while it was being verified"
        )));
    }
    Ok(rows.iter().map(|r| r.get(0)).collect())
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

/// Both models, the source's renamed into target names.
struct Models {
    source: Catalog,
    renamed: Catalog,
    target: Catalog,
    schema_map: BTreeMap<String, String>,
    warnings: Vec<String>,
    /// Target name → source name, for the source's tables.
    source_of: HashMap<QualifiedName, QualifiedName>,
}

impl Models {
    /// The source name of a table named `t` in the target: the table it was
    /// renamed from, or for a table only the target has, the name it would
    /// have in the source (schema mapped back, name as it is).
    fn source_name(&self, t: &QualifiedName) -> QualifiedName {
        if let Some(s) = self.source_of.get(t) {
            return s.clone();
        }
        let schema = self.schema_map.iter().find(|(_, to)| **to == t.schema).map(|(from, _)| from);
        QualifiedName::new(schema.unwrap_or(&t.schema).clone(), t.name.clone())
    }
}

async fn read_models(opts: &VerifyOptions, src_c: &Client, tgt_c: &Client) -> Result<Models> {
    let filter = match &opts.schema_map {
        Some(m) if m.is_empty() => {
            return Err(Error::input(
                "the schema map to verify is empty; name at least one schema",
            ));
        }
        Some(m) => SchemaFilter::only(m.keys().cloned()),
        None => SchemaFilter { include: opts.naming.patterns(), exclude: vec![] },
    };
    let source = introspect(src_c, &filter).await?;
    let found: Vec<String> = source.schemas.iter().map(|s| s.name.clone()).collect();
    let schema_map = match &opts.schema_map {
        Some(m) => m.clone(),
        None => opts.naming.resolve(&source.database, &found)?,
    };
    let mut map = opts.naming.name_map(schema_map.clone());
    register_names(&source, &mut map)?;
    let (renamed, warnings) = rename_catalog(&source, &map, &map);

    // Only the mapped target schemas that exist: a missing one is a
    // difference to report, not an error.
    let wanted: Vec<String> = schema_map.values().cloned().collect();
    let existing: Vec<String> = tgt_c
        .query(
            "SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = ANY($1)",
            &[&wanted],
        )
        .await
        .ctx("listing target schemas")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let tgt_filter = if existing.is_empty() {
        SchemaFilter { include: vec![], exclude: vec![Pattern::new("*")] }
    } else {
        SchemaFilter::only(existing)
    };
    let target = introspect(tgt_c, &tgt_filter).await?;
    let source_of = renamed
        .tables
        .iter()
        .zip(&source.tables)
        .map(|(r, s)| (r.name.clone(), s.name.clone()))
        .collect();
    Ok(Models { source, renamed, target, schema_map, warnings, source_of })
}

/// A source table and its counterpart, as far as they exist.
struct Pair {
    source: QualifiedName,
    target: QualifiedName,
    src: Option<TableSql>,
    tgt: Option<TableSql>,
    /// Decided before reading rows (missing, extra, incomparable).
    status: Option<TableStatus>,
    reason: Option<String>,
    src_bytes: i64,
    tgt_bytes: i64,
}

impl Pair {
    /// A relation only the target has.
    fn extra(source: QualifiedName, target: QualifiedName) -> Pair {
        Pair {
            source,
            target,
            src: None,
            tgt: None,
            status: Some(TableStatus::Extra),
            reason: None,
            src_bytes: 0,
            tgt_bytes: 0,
        }
    }
}

/// Pairs the selected source tables that hold rows (not partitioned
/// parents) with target tables, plus target tables the source lacks.
fn pair_tables(m: &Models, selected: &dyn Fn(&QualifiedName) -> bool) -> Vec<Pair> {
    let mut targets: BTreeMap<&QualifiedName, &Table> =
        m.target.tables.iter().map(|t| (&t.name, t)).collect();
    let mut out = vec![];
    for (s, r) in m.source.tables.iter().zip(&m.renamed.tables) {
        let t = targets.remove(&r.name);
        if s.partition_key.is_some() || !selected(&s.name) {
            continue;
        }
        let src = TableSql {
            name: s.name.clone(),
            columns: s.columns.iter().map(|c| c.name.clone()).collect(),
            types: s.columns.iter().map(|c| c.type_name.clone()).collect(),
        };
        let mut pair = Pair {
            source: s.name.clone(),
            target: r.name.clone(),
            src: Some(src),
            tgt: None,
            status: None,
            reason: None,
            src_bytes: s.size_bytes,
            tgt_bytes: 0,
        };
        match t {
            None => {
                pair.src = None;
                pair.status = Some(TableStatus::Missing);
            }
            Some(t) if t.partition_key.is_some() => {
                pair.src = None;
                pair.status = Some(TableStatus::Incomparable);
                pair.reason = Some("partitioned in the target but not in the source".into());
            }
            Some(t) => {
                let mut tgt = TableSql { name: t.name.clone(), columns: vec![], types: vec![] };
                let mut lacking = vec![];
                for c in &r.columns {
                    match t.columns.iter().find(|x| x.name == c.name) {
                        Some(x) => {
                            tgt.columns.push(x.name.clone());
                            tgt.types.push(x.type_name.clone());
                        }
                        None => lacking.push(crate::sql::ident(&c.name)),
                    }
                }
                if !lacking.is_empty() {
                    pair.status = Some(TableStatus::Incomparable);
                    pair.reason = Some(format!(
                        "the target lacks column(s) {}; only row counts were compared",
                        lacking.join(", ")
                    ));
                }
                pair.tgt = Some(tgt);
                pair.tgt_bytes = t.size_bytes;
            }
        }
        out.push(pair);
    }
    for t in targets.into_values() {
        let source = m.source_name(&t.name);
        if t.partition_key.is_some() || !selected(&source) {
            continue;
        }
        out.push(Pair::extra(source, t.name.clone()));
    }
    out.extend(pair_matviews(m, selected));
    out
}

/// Pairs populated materialized views like tables: a copy refreshes them
/// from its own data, so their rows show whether that data (and the view)
/// came across. One unsplit query each: their sizes are not read.
fn pair_matviews(m: &Models, selected: &dyn Fn(&QualifiedName) -> bool) -> Vec<Pair> {
    let sql = |v: &View| TableSql {
        name: v.name.clone(),
        columns: v.columns.iter().map(|c| c.name.clone()).collect(),
        types: v.columns.iter().map(|c| c.type_name.clone()).collect(),
    };
    let mut targets: BTreeMap<&QualifiedName, &View> =
        m.target.views.iter().filter(|v| v.materialized).map(|v| (&v.name, v)).collect();
    let mut out = vec![];
    for (s, r) in m.source.views.iter().zip(&m.renamed.views) {
        if !s.materialized {
            continue;
        }
        let t = targets.remove(&r.name);
        if !s.populated || !selected(&s.name) {
            continue;
        }
        let mut pair = Pair {
            source: s.name.clone(),
            target: r.name.clone(),
            src: Some(sql(s)),
            tgt: None,
            status: None,
            reason: None,
            src_bytes: 0,
            tgt_bytes: 0,
        };
        match t {
            None => {
                pair.src = None;
                pair.status = Some(TableStatus::Missing);
            }
            Some(t) if !t.populated => {
                pair.src = None;
                pair.status = Some(TableStatus::Incomparable);
                pair.reason = Some("materialized view not populated in the target".into());
            }
            Some(t) if t.columns.iter().map(|c| &c.name).ne(r.columns.iter().map(|c| &c.name)) => {
                pair.src = None;
                pair.status = Some(TableStatus::Incomparable);
                pair.reason = Some("materialized view columns differ".into());
            }
            Some(t) => pair.tgt = Some(sql(t)),
        }
        out.push(pair);
    }
    for t in targets.into_values() {
        let source = m.source_name(&t.name);
        if selected(&source) {
            out.push(Pair::extra(source, t.name.clone()));
        }
    }
    out
}

/// One query of one side: a table, or a block range of a big one.
struct Unit {
    pair: usize,
    blocks: Option<Blocks>,
    bytes: i64,
}

/// The side's queries, biggest first so the long ones start early.
fn plan_units(pairs: &[Pair], side: Side, block_size: u64, chunk_bytes: u64) -> Vec<Unit> {
    let mut units = vec![];
    for (i, p) in pairs.iter().enumerate() {
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

    #[test]
    fn keys_print_like_postgres() {
        let s = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(format_key(&s(&["id"]), &s(&["42"])), "id=42");
        assert_eq!(
            format_key(&s(&["Id", "day"]), &s(&["1", "2024-01-01"])),
            "(\"Id\", day)=(1, 2024-01-01)"
        );
    }
}
