//! Preparing a refresh: one source snapshot, both catalogs, the copy's
//! tables paired with their sources and checked ([`super::checks`]), and per
//! table what it needs (a reload, a comparison by key, the rows past a
//! high-water mark), grouped into the sets of tables that must change in one
//! transaction ([`super::groups`]). `--dry-run` stops here. Turning the plan
//! and the comparison's findings into an engine job is [`super::job`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use tokio_postgres::Client;

use super::checks::{self, UniqueKeys};
use super::copies::CopySet;
use super::{Mode, RefreshError, RefreshOptions, RefreshReport};
use crate::catalog::model::key;
use crate::catalog::{CATALOG_HELPERS, Catalog, Scope, Table, introspect_scoped, snapshot_helpers};
use crate::conn::{Side, Snapshot, prepare_session};
use crate::engine::{ColumnExpr, ColumnMap, SequenceTask, Strategy};
use crate::error::{Error, PgResultExt, Result};
use crate::plan::{Section, Stmt};
use crate::rename::{NameMap, register_names, rename_catalog};
use crate::select::SchemaFilter;
use crate::sql::QualifiedName;
use crate::verify::ranges::CompareTable;

/// The source snapshot's time and identity.
#[derive(Debug, Clone)]
pub(crate) struct Stamp {
    /// `now()` of the snapshot's transaction (UTC, ISO).
    pub at: String,
    /// `pg_current_snapshot()` of it.
    pub snapshot: Option<String>,
    /// The source's cluster and database ([`super::record::source_identity`]).
    pub identity: Option<String>,
    /// Per source schema, the source's write counts per table as of the
    /// snapshot ([`super::record::changes`]).
    pub changes: BTreeMap<String, BTreeMap<String, i64>>,
}

/// What a table gets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Planned {
    /// Every row replaced.
    Reload,
    /// Compared by key ranges (`ranges` to start with; differing ones are
    /// cut further or streamed).
    Compare { key: Vec<String>, ranges: usize },
    /// Rows past the high-water mark of `column` upserted by `key`.
    Watermark { column: String, key: Vec<String> },
    /// Rows written since the copy's snapshot (by `xmin`) upserted by
    /// `key`, deleted keys found by counting ([`super::horizon`]).
    Changed { key: Vec<String> },
}

/// One table of the copy and its plan.
#[derive(Debug, Clone, Serialize)]
pub struct TablePlan {
    pub source: QualifiedName,
    pub target: QualifiedName,
    #[serde(flatten)]
    pub planned: Planned,
    /// Why an incremental refresh reloads the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub est_rows: f64,
    pub bytes: u64,
    #[serde(skip)]
    pub(crate) detail: Detail,
}

/// What the job needs to move a table's rows.
#[derive(Debug, Clone)]
pub(crate) struct Detail {
    pub columns: Vec<ColumnMap>,
    pub strategy: Strategy,
    /// Every column, both sides, for row hashes.
    pub src_cmp: CompareTable,
    pub tgt_cmp: CompareTable,
    /// The key's positions in the compared columns.
    pub key: Vec<usize>,
    /// Columns a merge sets on a key conflict (target names).
    pub update: Vec<String>,
    /// The watermark column: (source name, its type on the source).
    pub watermark: Option<(String, String)>,
    /// The high-water mark recorded by the last refresh, for this column.
    pub recorded_mark: Option<Option<String>>,
    /// Rows the source wrote to the table since the copy's snapshot, as far
    /// as its statistics tell (none: unknown, or reset since).
    pub writes: Option<i64>,
    /// For [`Planned::Changed`]: the transactions whose rows count as changed.
    pub horizon: Option<super::horizon::Horizon>,
}

/// A set of tables changed in one transaction: plan indexes, parents first,
/// and the partitioned tables over them that can be truncated with them.
#[derive(Debug, Clone, Serialize)]
pub struct GroupPlan {
    pub tables: Vec<usize>,
    #[serde(skip)]
    pub partitioned: Vec<QualifiedName>,
}

/// Everything a refresh will do, decided before anything is written.
pub struct PreparedRefresh {
    pub set: CopySet,
    pub plans: Vec<TablePlan>,
    pub groups: Vec<GroupPlan>,
    pub sequences: Vec<SequenceTask>,
    pub matviews: Vec<QualifiedName>,
    pub(crate) matview_stmts: Vec<Stmt>,
    pub warnings: Vec<String>,
    /// Rows move by `INSERT … SELECT` inside the server (one database).
    pub insert_select: bool,
    /// Loads skip foreign key checks (superuser, no key pointing outside).
    pub replica_role: bool,
    pub(crate) snapshot: Snapshot,
    pub(crate) stamp: Stamp,
    /// `application_name` of every target session.
    pub session_tag: String,
}

impl PreparedRefresh {
    /// Whether any table is compared before the data moves.
    pub(crate) fn needs_compare(&self) -> bool {
        self.plans.iter().any(|p| p.planned != Planned::Reload)
    }

    /// When the source snapshot was taken.
    pub fn snapshot_at(&self) -> &str {
        &self.stamp.at
    }

    pub(crate) fn report_base(&self, opts: &RefreshOptions) -> RefreshReport {
        RefreshReport {
            source: self.set.source.redacted(),
            schemas: self.set.schemas.clone(),
            mode: opts.mode,
            watermark: opts.watermark.clone(),
            snapshot_at: self.stamp.at.clone(),
            strategy: if self.insert_select { "insert-select" } else { "copy" }.into(),
            tables: vec![],
            groups: vec![],
            sequences: 0,
            matviews: self.matviews.clone(),
            phases: vec![],
            recorded: false,
            warnings: self.warnings.clone(),
        }
    }
}

/// Prepares the refresh of one set of copies (see the module docs).
pub async fn prepare(opts: &RefreshOptions, set: CopySet) -> Result<PreparedRefresh> {
    if opts.jobs == 0 {
        return Err(RefreshError::Options("--jobs must be at least 1".into()).into());
    }
    if opts.watermark.is_some() && opts.mode != Mode::Incremental {
        return Err(RefreshError::Options(
            "--watermark copies only the rows past a high-water mark, which needs --mode \
             incremental (the default with --watermark)"
                .into(),
        )
        .into());
    }
    let snapshot = Snapshot::export(&set.source).await.map_err(|e| e.on(Side::Source))?;
    match plan_in(opts, set, &snapshot).await {
        Ok(p) => Ok(p.with_snapshot(snapshot)),
        Err(e) => {
            // End the snapshot's transaction now: it holds locks on the
            // source's tables (a DDL statement waits for them) until its
            // session closes, which may be later than the caller thinks.
            let _ = snapshot.release().await;
            Err(e)
        }
    }
}

/// A [`PreparedRefresh`] but for its snapshot.
struct Parts {
    set: CopySet,
    plans: Vec<TablePlan>,
    groups: Vec<GroupPlan>,
    sequences: Vec<SequenceTask>,
    matviews: Vec<QualifiedName>,
    matview_stmts: Vec<Stmt>,
    warnings: Vec<String>,
    insert_select: bool,
    replica_role: bool,
    stamp: Stamp,
    session_tag: String,
}

impl Parts {
    fn with_snapshot(self, snapshot: Snapshot) -> PreparedRefresh {
        PreparedRefresh {
            set: self.set,
            plans: self.plans,
            groups: self.groups,
            sequences: self.sequences,
            matviews: self.matviews,
            matview_stmts: self.matview_stmts,
            warnings: self.warnings,
            insert_select: self.insert_select,
            replica_role: self.replica_role,
            snapshot,
            stamp: self.stamp,
            session_tag: self.session_tag,
        }
    }
}

async fn plan_in(opts: &RefreshOptions, mut set: CopySet, snapshot: &Snapshot) -> Result<Parts> {
    let same_database = set.source.same_database(&opts.target);
    let holder = snapshot.session().expect("an exported snapshot has its session");
    let row = holder
        .query_one("SELECT now()::text, pg_catalog.pg_current_snapshot()::text", &[])
        .await
        .ctx("reading the source snapshot's time")?;
    let identity = super::record::source_identity(holder).await?;
    let mut stamp =
        Stamp { at: row.get(0), snapshot: row.get(1), identity, changes: BTreeMap::new() };

    let filter =
        SchemaFilter { include: set.naming.patterns(), exclude: set.exclude_schemas.clone() };
    let target = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    prepare_session(&target).await?;
    // Recorded copies name their schemas before the source is read, so the
    // copy's catalog is read beside the source's (both are mostly round
    // trips); otherwise, or if the source names other copies, afterwards.
    let guess: Vec<String> = set.recorded.keys().cloned().collect();
    let (cat, early) = futures_util::future::join(
        Box::pin(async {
            let helpers = snapshot_helpers(&set.source, snapshot, CATALOG_HELPERS).await;
            introspect_scoped(holder, &helpers, &filter, Scope::Relations).await
        }),
        Box::pin(async {
            if guess.is_empty() {
                return None;
            }
            Some(read_copies(&target, &guess).await)
        }),
    )
    .await;
    let mut cat = cat?;
    if cat.schemas.is_empty() {
        return Err(Error::input(format!(
            "no user schemas to refresh from in source database {:?}",
            cat.database
        )));
    }
    let mut warnings = crate::clone::exclude_relations(&mut cat, &set.options.tables)?;
    let found: Vec<String> = cat.schemas.iter().map(|s| s.name.clone()).collect();
    set.schemas = set.naming.resolve(&cat.database, &found)?;
    for s in set.schemas.keys() {
        stamp.changes.insert(s.clone(), super::record::changes(holder, s).await?);
    }
    if same_database && let Some((s, _)) = set.schemas.iter().find(|(s, t)| s == t) {
        return Err(RefreshError::SameSchema { schema: s.clone() }.into());
    }
    let mut names = set.naming.name_map(set.schemas.clone());
    register_names(&cat, &mut names)?;
    let (renamed, rename_warnings) = rename_catalog(&cat, &names, &names);
    warnings.extend(rename_warnings);

    check_copies_exist(&target, &set).await?;
    let copy_schemas: Vec<String> = set.schemas.values().cloned().collect();
    let mut sorted = copy_schemas.clone();
    sorted.sort();
    let tgt = match early {
        Some(Ok(tgt)) if sorted == guess => tgt,
        _ => Box::pin(read_copies(&target, &copy_schemas)).await?,
    };

    let pairs = checks::pair_tables(&cat, &renamed, &tgt, &set)?;
    let source_schemas: Vec<String> = set.schemas.keys().cloned().collect();
    let sizes = table_sizes(holder, &source_schemas).await?;
    let src_keys = checks::unique_keys(holder, &source_schemas, "source").await?;
    let tgt_keys = checks::unique_keys(&target, &copy_schemas, "target").await?;
    let ctx = PlanCtx {
        opts,
        set: &set,
        cat: &cat,
        renamed: &renamed,
        tgt: &tgt,
        names: &names,
        src_keys: &src_keys,
        tgt_keys: &tgt_keys,
        insert_select: same_database,
        stamp: &stamp,
    };
    let mut plans = vec![];
    for p in &pairs {
        let s = &cat.tables[p.src];
        if set.options.exclude_table_data.iter().any(|x| x.matches(&s.name.schema, &s.name.name)) {
            continue;
        }
        let mut plan = ctx.plan(p)?;
        plan.bytes = sizes.get(&s.name).copied().unwrap_or(0);
        plans.push(plan);
    }
    for k in &opts.keys {
        if !cat.tables.iter().any(|t| k.table.matches(&t.name.schema, &t.name.name)) {
            return Err(RefreshError::BadKey {
                given: k.given.clone(),
                table: None,
                reason: "it matches no table of the copy (table patterns use source names)".into(),
            }
            .into());
        }
    }
    if let Some(column) = &opts.watermark {
        warnings.extend(super::watermark::check(holder, &target, column, &plans).await?);
    }
    let groups = super::groups::group_tables(&mut plans, &tgt);
    let outside = checks::outside_references(&target, &plans, &groups).await?;
    checks::refuse_dependents(opts, &plans, &outside)?;
    let replica_role =
        checks::is_superuser(&target).await? && !super::groups::points_outside(&plans, &tgt);
    let (sequences, seq_warnings) = sequence_tasks(&cat, &renamed, &tgt, &set);
    warnings.extend(seq_warnings);
    let (matviews, matview_stmts) = matview_work(&cat, &renamed, &tgt, &tgt_keys);
    let tag = format!("pggraft-refresh-{}_{}", std::process::id(), nanos());
    Ok(Parts {
        set,
        plans,
        groups,
        sequences,
        matviews,
        matview_stmts,
        warnings,
        insert_select: same_database,
        replica_role,
        stamp,
        session_tag: tag,
    })
}

/// Every copy schema must exist.
/// The copy's catalog: `schemas` of the target, in one snapshot.
async fn read_copies(target: &Client, schemas: &[String]) -> Result<Catalog> {
    target
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .ctx("reading the copy")?;
    let only = SchemaFilter::only(schemas.to_vec());
    let tgt = introspect_scoped(target, &[], &only, Scope::Relations).await;
    target.batch_execute("COMMIT").await.ctx("reading the copy")?;
    tgt
}

async fn check_copies_exist(target: &Client, set: &CopySet) -> Result<()> {
    let wanted: Vec<String> = set.schemas.values().cloned().collect();
    let found: BTreeSet<String> = target
        .query(
            "SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = ANY($1)",
            &[&wanted],
        )
        .await
        .ctx("listing the copy's schemas")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (s, t) in &set.schemas {
        if found.contains(t) {
            continue;
        }
        if set.recorded.contains_key(t) {
            return Err(RefreshError::RecordedCopyMissing { schema: t.clone() }.into());
        }
        return Err(RefreshError::Options(format!(
            "target schema {t:?} (the copy of {s:?}) does not exist; make the copy with \
             `pggraft clone` first"
        ))
        .into());
    }
    Ok(())
}

/// What planning a table needs.
struct PlanCtx<'a> {
    opts: &'a RefreshOptions,
    set: &'a CopySet,
    cat: &'a Catalog,
    renamed: &'a Catalog,
    tgt: &'a Catalog,
    names: &'a NameMap,
    src_keys: &'a UniqueKeys,
    tgt_keys: &'a UniqueKeys,
    insert_select: bool,
    stamp: &'a Stamp,
}

impl PlanCtx<'_> {
    fn plan(&self, p: &checks::Pair) -> Result<TablePlan> {
        let (src, ren, tgt) =
            (&self.cat.tables[p.src], &self.renamed.tables[p.src], &self.tgt.tables[p.tgt]);
        let columns: Vec<ColumnMap> = src
            .columns
            .iter()
            .zip(&ren.columns)
            .filter(|(c, _)| c.generated.is_none())
            .map(|(a, b)| ColumnMap {
                expr: ColumnExpr::Column {
                    name: a.name.clone(),
                    cast: (a.type_name != b.type_name).then(|| b.type_name.clone()),
                },
                target: b.name.clone(),
            })
            .collect();
        let strategy = if self.insert_select {
            Strategy::InsertSelect
        } else {
            Strategy::Copy { binary: !src.columns.iter().any(|c| c.binary_unsafe) }
        };
        let tgt_type = |name: &str| {
            tgt.columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.type_name.clone())
                .unwrap_or_default()
        };
        let typed_hash = src
            .columns
            .iter()
            .all(|c| crate::verify::ranges::typed_hash_ok(&c.type_name, c.collation.is_some()));
        let src_cmp = CompareTable {
            name: src.name.clone(),
            columns: src.columns.iter().map(|c| c.name.clone()).collect(),
            types: src.columns.iter().map(|c| c.type_name.clone()).collect(),
            typed_hash,
        };
        let tgt_cmp = CompareTable {
            name: tgt.name.clone(),
            columns: ren.columns.iter().map(|c| c.name.clone()).collect(),
            types: ren.columns.iter().map(|c| tgt_type(&c.name)).collect(),
            typed_hash,
        };
        let mut plan = TablePlan {
            source: src.name.clone(),
            target: tgt.name.clone(),
            planned: Planned::Reload,
            reason: None,
            est_rows: src.est_rows.max(0.0),
            bytes: 0,
            detail: Detail {
                columns,
                strategy,
                src_cmp,
                tgt_cmp,
                key: vec![],
                update: vec![],
                watermark: None,
                recorded_mark: None,
                writes: self.writes(src, tgt),
                horizon: None,
            },
        };
        if self.opts.mode == Mode::Reload {
            return Ok(plan);
        }
        let key = match self.key(src, tgt)? {
            Ok(k) => k,
            Err(reason) => {
                plan.reason = Some(reason);
                return Ok(plan);
            }
        };
        plan.detail.key = key
            .iter()
            .map(|k| src.columns.iter().position(|c| &c.name == k).expect("key columns exist"))
            .collect();
        let key_targets: BTreeSet<String> =
            plan.detail.key.iter().map(|&i| ren.columns[i].name.clone()).collect();
        plan.detail.update = tgt
            .columns
            .iter()
            .filter(|c| c.generated.is_none() && !key_targets.contains(&c.name))
            // GENERATED ALWAYS identity columns can only be set to DEFAULT
            // in an UPDATE; they never change at the source either.
            .filter(|c| !c.identity.as_ref().is_some_and(|i| i.always))
            .map(|c| c.name.clone())
            .collect();
        let est = src.est_rows.max(tgt.est_rows).max(0.0) as i64;
        let watermark = self
            .opts
            .watermark
            .as_ref()
            .and_then(|w| src.columns.iter().zip(&ren.columns).find(|(c, _)| &c.name == w));
        plan.planned = match watermark {
            Some((c, r)) => {
                plan.detail.watermark = Some((c.name.clone(), c.type_name.clone()));
                plan.detail.recorded_mark = self.recorded_mark(&tgt.name, &r.name);
                Planned::Watermark { column: c.name.clone(), key }
            }
            None => {
                if let Some(w) = &self.opts.watermark {
                    plan.reason = Some(format!("no column {w}: compared by key ranges"));
                }
                let key_types: Vec<String> =
                    plan.detail.key.iter().map(|&i| plan.detail.src_cmp.types[i].clone()).collect();
                let horizon = (!self.opts.full_compare
                    && self.opts.watermark.is_none()
                    && super::horizon::key_fits(&key_types))
                .then(|| {
                    super::horizon::Horizon::between(
                        self.set.recorded.get(&tgt.name.schema),
                        self.stamp.snapshot.as_deref(),
                        self.stamp.identity.as_deref(),
                    )
                });
                match horizon {
                    Some(Ok(h)) => {
                        plan.detail.horizon = Some(h);
                        Planned::Changed { key }
                    }
                    found => {
                        if let Some(Err(why)) = found {
                            plan.reason = Some(format!("compared by row hashes: {why}"));
                        }
                        let writes = plan.detail.writes;
                        let ranges = crate::verify::ranges::first_ranges(est, writes);
                        Planned::Compare { key, ranges }
                    }
                }
            }
        };
        Ok(plan)
    }

    /// The key a merge works by (source column names), or why there is none.
    fn key(&self, src: &Table, tgt: &Table) -> Result<std::result::Result<Vec<String>, String>> {
        let given =
            self.opts.keys.iter().find(|k| k.table.matches(&src.name.schema, &src.name.name));
        let unique = |keys: &UniqueKeys, t: &QualifiedName, cols: &[String]| {
            keys.get(t).is_some_and(|ks| ks.iter().any(|k| k.columns == cols))
        };
        let to_target: Vec<String>;
        let key = match given {
            Some(k) => {
                let bad = |reason: String| -> Error {
                    RefreshError::BadKey {
                        given: k.given.clone(),
                        table: Some(src.name.clone()),
                        reason,
                    }
                    .into()
                };
                for c in &k.columns {
                    match src.columns.iter().find(|x| &x.name == c) {
                        None => {
                            return Err(bad(format!(
                                "table {} has no column {}",
                                src.name,
                                crate::sql::ident(c)
                            )));
                        }
                        Some(x) if !x.not_null => {
                            return Err(bad(format!(
                                "column {} of table {} is nullable; a key needs NOT NULL columns",
                                crate::sql::ident(c),
                                src.name
                            )));
                        }
                        Some(_) => {}
                    }
                }
                if !unique(self.src_keys, &src.name, &k.columns) {
                    return Err(bad(format!(
                        "table {} has no unique index on exactly ({}); a key must be unique",
                        src.name,
                        k.columns.join(", ")
                    )));
                }
                to_target = k.columns.iter().map(|c| self.names.name(c)).collect();
                if !unique(self.tgt_keys, &tgt.name, &to_target) {
                    return Err(bad(format!(
                        "the copy {} has no unique index on ({}) to update rows by",
                        tgt.name,
                        to_target.join(", ")
                    )));
                }
                k.columns.clone()
            }
            None => {
                let Some(pk) =
                    self.src_keys.get(&src.name).and_then(|ks| ks.iter().find(|k| k.primary))
                else {
                    return Ok(Err(format!(
                        "no primary key (name a unique NOT NULL key with --key {}=COLUMNS)",
                        src.name
                    )));
                };
                to_target = pk.columns.iter().map(|c| self.names.name(c)).collect();
                if !unique(self.tgt_keys, &tgt.name, &to_target) {
                    return Ok(Err(format!(
                        "the copy has no unique index on ({}) to update rows by",
                        to_target.join(", ")
                    )));
                }
                pk.columns.clone()
            }
        };
        Ok(Ok(key))
    }

    /// Rows the source wrote to `src` since the copy's recorded snapshot.
    fn writes(&self, src: &Table, tgt: &Table) -> Option<i64> {
        let then = self.set.recorded.get(&tgt.name.schema)?.changes.get(&src.name.name)?;
        let now = self.stamp.changes.get(&src.name.schema)?.get(&src.name.name)?;
        (now >= then).then(|| now - then)
    }

    /// The high-water mark the last refresh recorded for this table and
    /// column (`Some(None)`: recorded, the table was empty).
    fn recorded_mark(&self, table: &QualifiedName, column: &str) -> Option<Option<String>> {
        let r = self.set.recorded.get(&table.schema)?;
        let w = r.watermarks.get(&table.name)?;
        (w.column == column).then(|| w.value.clone())
    }
}

/// Exact heap sizes of the source's tables.
async fn table_sizes(holder: &Client, schemas: &[String]) -> Result<HashMap<QualifiedName, u64>> {
    let rows = holder
        .query(
            "SELECT n.nspname::text, c.relname::text, pg_relation_size(c.oid) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = ANY($1) AND c.relkind = 'r'",
            &[&schemas],
        )
        .await
        .ctx("reading table sizes")?;
    Ok(rows
        .iter()
        .map(|r| {
            (
                QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1)),
                r.get::<_, i64>(2).max(0) as u64,
            )
        })
        .collect())
}

/// Sequence values copied from the snapshot: standalone sequences and those
/// of identity columns, when the copy has them.
fn sequence_tasks(
    cat: &Catalog,
    renamed: &Catalog,
    tgt: &Catalog,
    set: &CopySet,
) -> (Vec<SequenceTask>, Vec<String>) {
    let mut have: BTreeSet<&QualifiedName> = tgt.sequences.iter().map(|s| &s.name).collect();
    for t in &tgt.tables {
        have.extend(t.columns.iter().filter_map(|c| c.identity.as_ref().map(|i| &i.sequence)));
    }
    let mut pairs: Vec<(&QualifiedName, &QualifiedName)> =
        cat.sequences.iter().zip(&renamed.sequences).map(|(s, d)| (&s.name, &d.name)).collect();
    for (s, d) in cat.tables.iter().zip(&renamed.tables) {
        for (a, b) in s.columns.iter().zip(&d.columns) {
            if let (Some(x), Some(y)) = (&a.identity, &b.identity) {
                pairs.push((&x.sequence, &y.sequence));
            }
        }
    }
    let mut tasks = vec![];
    let mut warnings = vec![];
    for (s, d) in pairs {
        if !set.schemas.contains_key(&s.schema) {
            continue;
        }
        if have.contains(d) {
            tasks.push(SequenceTask { source: s.clone(), build: d.clone() });
        } else {
            warnings.push(format!(
                "sequence {s} has no copy {d}; its value is not copied (bring the copy's \
                 structure up to date with `pggraft sync-schema`)"
            ));
        }
    }
    (tasks, warnings)
}

/// The copy's materialized views that are populated at the source, each
/// refreshed after the ones it reads; `CONCURRENTLY` (readers go on) when
/// it is populated and has a unique index.
fn matview_work(
    cat: &Catalog,
    renamed: &Catalog,
    tgt: &Catalog,
    tgt_keys: &UniqueKeys,
) -> (Vec<QualifiedName>, Vec<Stmt>) {
    let copies: BTreeMap<&QualifiedName, bool> =
        tgt.views.iter().filter(|v| v.materialized).map(|v| (&v.name, v.populated)).collect();
    let keys: BTreeSet<String> =
        renamed.views.iter().filter(|v| v.materialized).map(|v| key::relation(&v.name)).collect();
    let mut names = vec![];
    let mut stmts = vec![];
    for (s, d) in cat.views.iter().zip(&renamed.views) {
        let Some(&populated) = copies.get(&d.name) else { continue };
        if !s.materialized || !s.populated {
            continue;
        }
        let k = key::relation(&d.name);
        let deps: Vec<String> = renamed
            .depends
            .get(&k)
            .map(|ds| ds.iter().filter(|x| keys.contains(*x) && **x != k).cloned().collect())
            .unwrap_or_default();
        let concurrently = populated && tgt_keys.get(&d.name).is_some_and(|ks| !ks.is_empty());
        stmts.push(Stmt {
            section: Section::PostData,
            phase: 0,
            provides: Some(k.clone()),
            object: k,
            deps,
            what: "refresh",
            sql: format!(
                "REFRESH MATERIALIZED VIEW {}{}",
                if concurrently { "CONCURRENTLY " } else { "" },
                d.name
            ),
            exec: None,
        });
        names.push(d.name.clone());
    }
    (names, stmts)
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0)
}
