//! Planning a clone: open the snapshot, read the source model, apply table
//! filters and renames, render the statements, and check the target, all
//! before anything is written. `--dry-run` stops here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tokio_postgres::Client;

use super::{CloneOptions, Strategy};
use crate::catalog::model::key;
use crate::catalog::{CATALOG_HELPERS, Catalog, introspect_with, snapshot_helpers};
use crate::conn::prepare_session;
use crate::ddl::render::{RenderOptions, render};
use crate::error::{Error, PgResultExt, Result};
use crate::plan::Stmt;
use crate::plan::order;
use crate::rename::{register_names, rename_catalog};
use crate::select::SchemaFilter;
use crate::sql::QualifiedName;

/// A source schema, the temporary name it is built under, and its final name.
#[derive(Debug, Clone)]
pub struct SchemaPair {
    pub source: String,
    pub build: String,
    pub target: String,
    /// The target schema exists and is replaced at the end.
    pub replace: bool,
}

/// Part of a table's data: all of it, or a range of heap pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunk {
    Whole,
    /// Pages `from..to` (`to = None`: to the end).
    Pages(u32, Option<u32>),
}

/// Copying one table's data.
#[derive(Debug, Clone)]
pub struct TableTask {
    pub source: QualifiedName,
    /// The name it has while the clone is built.
    pub build: QualifiedName,
    /// Its final name.
    pub target: QualifiedName,
    /// The build relation key (what post-data statements wait for).
    pub key: String,
    /// Generated columns are left out.
    pub columns: Vec<ColumnMap>,
    /// Binary COPY is safe for every column (see `Column::binary_unsafe`).
    pub binary: bool,
    pub bytes: u64,
    pub est_rows: f64,
    pub chunks: Vec<Chunk>,
}

/// A column as read from the source and written to the target.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    pub source: String,
    pub target: String,
    /// The target type, when it is a copy of the source's type (another
    /// type to the server): server-side copies cast through text.
    pub cast: Option<String>,
}

/// Refreshing a materialized view after the data is in.
#[derive(Debug, Clone)]
pub struct MatviewTask {
    pub build: QualifiedName,
    pub key: String,
    /// Keys of other materialized views it reads (refreshed first).
    pub after: Vec<String>,
}

/// Everything a clone will do, decided before anything is written.
pub struct ClonePlan {
    pub schemas: Vec<SchemaPair>,
    pub same_database: bool,
    pub strategy: Strategy,
    pub pre_data: Vec<Stmt>,
    pub post_data: Vec<Stmt>,
    pub tables: Vec<TableTask>,
    /// (source, build) names of sequences whose values are copied.
    pub sequences: Vec<(QualifiedName, QualifiedName)>,
    pub matviews: Vec<MatviewTask>,
    /// Extensions the target lacks and the clone will create.
    pub new_extensions: Vec<String>,
    pub warnings: Vec<String>,
    /// Post-data object keys → the relation keys of the tables they lock.
    pub touches: HashMap<String, String>,
    /// Relation key → the root of its partition or inheritance tree. DDL on
    /// one member locks the others (a partition's parent, say), so a tree
    /// is scheduled as one unit: its DDL waits for all of its data.
    pub family: HashMap<String, String>,
    /// The session holding the exported snapshot, open until data is in.
    pub(crate) holder: Option<Client>,
    pub snapshot: Option<String>,
    /// `application_name` of every target session, so an aborted clone can
    /// stop its own sessions before dropping what it built.
    pub session_tag: String,
}

impl ClonePlan {
    /// The statements as a script (for `--dry-run`).
    pub fn script(&self) -> String {
        let ordered = crate::plan::Ordered {
            pre_data: self.pre_data.clone(),
            post_data: self.post_data.clone(),
            warnings: vec![],
        };
        crate::plan::script(&ordered)
    }

    /// Final schema name → build schema name.
    pub fn final_map(&self) -> BTreeMap<String, String> {
        self.schemas.iter().map(|s| (s.source.clone(), s.target.clone())).collect()
    }
}

/// Default heap size above which a table is split into ranges.
const MIN_SPLIT_BYTES: u64 = 64 << 20;

/// Plans a clone (see the module docs).
pub async fn plan_clone(opts: &CloneOptions) -> Result<ClonePlan> {
    if opts.schema_only && opts.data_only {
        return Err(Error::input("--schema-only and --data-only cannot be used together"));
    }
    if opts.jobs == 0 || opts.index_jobs == 0 {
        return Err(Error::input("--jobs and --index-jobs must be at least 1"));
    }
    let same_database = opts.source.same_database(&opts.target);
    let strategy = match (opts.strategy, same_database) {
        (Strategy::Auto, true) => Strategy::InsertSelect,
        (Strategy::Auto, false) => Strategy::Copy,
        (Strategy::InsertSelect, false) => {
            return Err(Error::input(
                "--strategy insert-select needs source and target in the same database",
            ));
        }
        (s, _) => s,
    };

    // The snapshot every reader shares.
    let holder = opts.source.connect().await?;
    holder
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await
        .ctx("starting the source snapshot")?;
    prepare_session(&holder).await?;
    let snapshot: String = holder
        .query_one("SELECT pg_export_snapshot()", &[])
        .await
        .ctx("exporting the source snapshot")?
        .get(0);
    let filter =
        SchemaFilter { include: opts.naming.patterns(), exclude: opts.exclude_schemas.clone() };
    // The catalog is read with helper sessions in the same snapshot, as
    // `inspect` does; they close once it is read.
    let helpers = snapshot_helpers(&opts.source, &snapshot, CATALOG_HELPERS).await;
    let mut cat = introspect_with(&holder, &helpers, &filter).await?;
    drop(helpers);
    if cat.schemas.is_empty() {
        return Err(Error::input(format!(
            "no user schemas to copy in database {:?}",
            cat.database
        )));
    }
    let mut warnings = vec![];
    warnings.extend(exclude_relations(&mut cat, opts));

    let found: Vec<String> = cat.schemas.iter().map(|s| s.name.clone()).collect();
    let final_map = opts.naming.resolve(&cat.database, &found)?;
    if same_database {
        for (s, t) in &final_map {
            if s == t {
                return Err(Error::input(format!(
                    "source and target are the same schema {s:?} in the same database; \
                     rename it with -n {s}=NEW_NAME or --schema-template"
                )));
            }
        }
    }
    let run_id = format!("{}_{}", std::process::id(), nanos());
    let tag = format!("pggraft-clone-{run_id}");
    let build_map: BTreeMap<String, String> = if opts.data_only {
        final_map.clone()
    } else {
        final_map
            .keys()
            .enumerate()
            .map(|(i, s)| (s.clone(), format!("pggraft_tmp_{run_id}_{i}")))
            .collect()
    };
    let mut structure = opts.naming.name_map(build_map.clone());
    let mut text = opts.naming.name_map(final_map.clone());
    register_names(&cat, &mut structure)?;
    register_names(&cat, &mut text)?;
    let (renamed, rename_warnings) = rename_catalog(&cat, &structure, &text);
    warnings.extend(rename_warnings);

    let target = opts.target.connect().await?;
    prepare_session(&target).await?;
    let existing = check_target(&target, opts, &final_map, &renamed).await?;
    let new_extensions =
        if same_database { vec![] } else { missing_extensions(&target, &renamed).await? };

    let render_opts = RenderOptions {
        owners: opts.owners,
        privileges: opts.privileges,
        comments: opts.comments,
        extensions: !same_database,
        schemas: true,
        keys_via_index: true,
    };
    let (pre_data, post_data, order_warnings) = if opts.data_only {
        (vec![], vec![], vec![])
    } else {
        let mut stmts = render(&renamed, &render_opts);
        // Only the extensions the copied objects use.
        let used: BTreeSet<&String> = renamed.depends.values().flatten().collect();
        // (their comments too).
        stmts.retain(|s| !s.object.starts_with("extension ") || used.contains(&s.object));
        let o = order(stmts);
        (o.pre_data, o.post_data, o.warnings)
    };
    warnings.extend(order_warnings);

    // Exact heap sizes of what is copied (introspection only estimates
    // them, as a stat() per table is too slow for `inspect` of 10,000).
    if !opts.schema_only {
        let names: Vec<String> = cat.schemas.iter().map(|s| s.name.clone()).collect();
        let rows = holder
            .query(
                "SELECT n.nspname::text, c.relname::text, pg_relation_size(c.oid) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = ANY($1) AND c.relkind = 'r'",
                &[&names],
            )
            .await
            .ctx("reading table sizes")?;
        let sizes: HashMap<(String, String), i64> =
            rows.iter().map(|r| ((r.get(0), r.get(1)), r.get(2))).collect();
        for t in &mut cat.tables {
            if let Some(sz) = sizes.get(&(t.name.schema.clone(), t.name.name.clone())) {
                t.size_bytes = *sz;
            }
        }
    }
    let block: i64 = holder
        .query_one("SELECT current_setting('block_size')::int8", &[])
        .await
        .ctx("reading block size")?
        .get(0);
    let mut tables = vec![];
    if !opts.schema_only {
        for (src, dst) in cat.tables.iter().zip(renamed.tables.iter()) {
            if src.partition_key.is_some()
                || opts
                    .exclude_table_data
                    .iter()
                    .any(|p| p.matches(&src.name.schema, &src.name.name))
            {
                continue;
            }
            let columns: Vec<ColumnMap> = src
                .columns
                .iter()
                .zip(dst.columns.iter())
                .filter(|(c, _)| c.generated.is_none())
                .map(|(a, b)| ColumnMap {
                    source: a.name.clone(),
                    target: b.name.clone(),
                    cast: (a.type_name != b.type_name).then(|| b.type_name.clone()),
                })
                .collect();
            let binary = !src.columns.iter().any(|c| c.binary_unsafe);
            tables.push(TableTask {
                source: src.name.clone(),
                build: dst.name.clone(),
                target: QualifiedName::new(
                    final_map[&src.name.schema].clone(),
                    dst.name.name.clone(),
                ),
                key: key::relation(&dst.name),
                columns,
                binary,
                bytes: src.size_bytes.max(0) as u64,
                est_rows: src.est_rows.max(0.0),
                chunks: vec![Chunk::Whole],
            });
        }
    }
    let total: u64 = tables.iter().map(|t| t.bytes).sum();
    let threshold = opts
        .split_larger_than
        .unwrap_or_else(|| MIN_SPLIT_BYTES.max(total / (opts.jobs as u64 * 2).max(1)));
    for t in &mut tables {
        t.chunks = split(t.bytes, threshold, block.max(1) as u64);
    }
    // Largest first, so the longest copy starts first.
    tables.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.source.cmp(&b.source)));

    let mut sequences = vec![];
    if !opts.schema_only {
        for (s, d) in cat.sequences.iter().zip(renamed.sequences.iter()) {
            sequences.push((s.name.clone(), d.name.clone()));
        }
        for (s, d) in cat.tables.iter().zip(renamed.tables.iter()) {
            for (a, b) in s.columns.iter().zip(d.columns.iter()) {
                if let (Some(x), Some(y)) = (&a.identity, &b.identity) {
                    sequences.push((x.sequence.clone(), y.sequence.clone()));
                }
            }
        }
    }
    let mut matviews = vec![];
    if !opts.schema_only && !opts.data_only {
        let mv_keys: BTreeSet<String> = renamed
            .views
            .iter()
            .filter(|v| v.materialized)
            .map(|v| key::relation(&v.name))
            .collect();
        for (s, d) in cat.views.iter().zip(renamed.views.iter()) {
            if d.materialized && s.populated {
                let k = key::relation(&d.name);
                let after = renamed
                    .depends
                    .get(&k)
                    .map(|deps| {
                        deps.iter().filter(|x| mv_keys.contains(*x) && **x != k).cloned().collect()
                    })
                    .unwrap_or_default();
                matviews.push(MatviewTask { build: d.name.clone(), key: k, after });
            }
        }
    }

    let mut touches = HashMap::new();
    for t in &renamed.tables {
        let rk = key::relation(&t.name);
        for c in &t.constraints {
            touches.insert(key::constraint(&t.name, &c.name), rk.clone());
            if let Some(i) = &c.index {
                touches.insert(key::index(&QualifiedName::new(&t.name.schema, i)), rk.clone());
            }
        }
        for p in &t.policies {
            touches.insert(key::policy(&t.name, &p.name), rk.clone());
        }
    }
    for i in &renamed.indexes {
        touches.insert(key::index(&i.name), key::relation(&i.table));
    }
    for tr in &renamed.triggers {
        touches.insert(key::trigger(&tr.table, &tr.name), key::relation(&tr.table));
    }
    for r in &renamed.rules {
        touches.insert(key::rule(&r.table, &r.name), key::relation(&r.table));
    }
    for s in &renamed.statistics {
        touches.insert(key::statistics(&s.name), key::relation(&s.table));
    }

    let mut family: HashMap<String, String> = HashMap::new();
    let parent: HashMap<String, String> = renamed
        .tables
        .iter()
        .filter_map(|t| {
            let p = t.partition_of.as_ref().map(|p| &p.parent).or(t.inherits.first())?;
            Some((key::relation(&t.name), key::relation(p)))
        })
        .collect();
    for t in &renamed.tables {
        let mut root = key::relation(&t.name);
        let mut hops = 0;
        while let Some(p) = parent.get(&root) {
            root = p.clone();
            hops += 1;
            if hops > 1000 {
                break;
            }
        }
        family.insert(key::relation(&t.name), root);
    }

    let schemas = final_map
        .iter()
        .map(|(s, t)| SchemaPair {
            source: s.clone(),
            build: build_map[s].clone(),
            target: t.clone(),
            replace: existing.contains(t),
        })
        .collect();
    Ok(ClonePlan {
        schemas,
        same_database,
        strategy,
        pre_data,
        post_data,
        tables,
        sequences,
        matviews,
        new_extensions,
        warnings,
        touches,
        family,
        holder: Some(holder),
        snapshot: Some(snapshot),
        session_tag: tag,
    })
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0)
}

/// Page ranges of about `threshold` bytes each; the last is open-ended so
/// rows on pages added later are not lost (the snapshot hides them anyway).
fn split(bytes: u64, threshold: u64, block: u64) -> Vec<Chunk> {
    if threshold == 0 || bytes <= threshold {
        return vec![Chunk::Whole];
    }
    let pages = bytes.div_ceil(block);
    let per = (threshold / block).max(1);
    let mut out = vec![];
    let mut start = 0u64;
    while start + per < pages {
        out.push(Chunk::Pages(start as u32, Some((start + per) as u32)));
        start += per;
    }
    out.push(Chunk::Pages(start as u32, None));
    out
}

/// Removes relations left out by `-t`/`-T`, and every object that depends
/// on them (views, foreign keys, functions over their row types …), with a
/// warning for each dependent object so nothing vanishes silently.
fn exclude_relations(cat: &mut Catalog, opts: &CloneOptions) -> Vec<String> {
    if opts.include_tables.is_empty() && opts.exclude_tables.is_empty() {
        return vec![];
    }
    let wanted = |q: &QualifiedName| {
        (opts.include_tables.is_empty()
            || opts.include_tables.iter().any(|p| p.matches(&q.schema, &q.name)))
            && !opts.exclude_tables.iter().any(|p| p.matches(&q.schema, &q.name))
    };
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    // Partitions go with their parents (and come with them under -t).
    let parent_of: HashMap<&QualifiedName, &QualifiedName> = cat
        .tables
        .iter()
        .filter_map(|t| t.partition_of.as_ref().map(|p| (&t.name, &p.parent)))
        .collect();
    let root_wanted = |q: &QualifiedName| {
        let mut cur = q;
        loop {
            if !opts.exclude_tables.iter().any(|p| p.matches(&cur.schema, &cur.name)) && wanted(cur)
            {
                return true;
            }
            if opts.exclude_tables.iter().any(|p| p.matches(&cur.schema, &cur.name)) {
                return false;
            }
            match parent_of.get(cur) {
                Some(p) => cur = p,
                None => return false,
            }
        }
    };
    for t in &cat.tables {
        if !root_wanted(&t.name) {
            excluded.insert(key::relation(&t.name));
        }
    }
    for v in &cat.views {
        if !wanted(&v.name) {
            excluded.insert(key::relation(&v.name));
        }
    }
    let direct = excluded.clone();
    // Transitive dependents.
    loop {
        let before = excluded.len();
        for (k, deps) in &cat.depends {
            if !excluded.contains(k) && deps.iter().any(|d| excluded.contains(d)) {
                excluded.insert(k.clone());
            }
        }
        if excluded.len() == before {
            break;
        }
    }
    let mut warnings = vec![];
    let mut note = |k: &str| {
        if !direct.contains(k) {
            warnings.push(format!("{k} left out: it depends on an excluded table"));
        }
    };
    cat.tables.retain(|t| {
        let k = key::relation(&t.name);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    for t in &mut cat.tables {
        let name = t.name.clone();
        t.constraints.retain(|c| {
            let k = key::constraint(&name, &c.name);
            let keep = !excluded.contains(&k)
                && c.references.as_ref().is_none_or(|r| !excluded.contains(&key::relation(r)));
            if !keep {
                note(&k);
            }
            keep
        });
        t.policies.retain(|p| !excluded.contains(&key::policy(&name, &p.name)));
        for c in &mut t.columns {
            if excluded.contains(&key::default(&name, &c.name)) {
                note(&key::default(&name, &c.name));
                c.default = None;
            }
        }
    }
    cat.views.retain(|v| {
        let k = key::relation(&v.name);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    cat.functions.retain(|f| {
        let k = key::function(&f.name, &f.identity_args);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    cat.sequences.retain(|s| {
        let owner_gone =
            s.owned_by.as_ref().is_some_and(|(t, _)| excluded.contains(&key::relation(t)));
        !owner_gone && !excluded.contains(&key::sequence(&s.name))
    });
    cat.indexes.retain(|i| {
        !excluded.contains(&key::relation(&i.table)) && !excluded.contains(&key::index(&i.name))
    });
    cat.triggers.retain(|t| {
        !excluded.contains(&key::relation(&t.table))
            && !excluded.contains(&key::trigger(&t.table, &t.name))
    });
    cat.rules.retain(|r| {
        !excluded.contains(&key::relation(&r.table))
            && !excluded.contains(&key::rule(&r.table, &r.name))
    });
    cat.statistics.retain(|s| !excluded.contains(&key::relation(&s.table)));
    cat.types.retain(|t| {
        let k = key::type_(&t.name);
        let keep = !excluded.contains(&k);
        if !keep {
            note(&k);
        }
        keep
    });
    warnings
}

/// Checks the target before anything is written: schemas that would be
/// overwritten, privileges, and roles named by owners, grants and policies.
/// Returns the target schemas that exist. A target schema holding no user
/// objects (a fresh database's `public`) is replaced without
/// `--drop-if-exists`: nothing is lost.
async fn check_target(
    target: &Client,
    opts: &CloneOptions,
    final_map: &BTreeMap<String, String>,
    cat: &Catalog,
) -> Result<BTreeSet<String>> {
    let names: Vec<String> = final_map.values().cloned().collect();
    let rows = target
        .query(
            "SELECT n.nspname::text, \
               (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND NOT EXISTS \
                  (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                   AND d.objid = c.oid AND d.deptype IN ('e', 'i'))) \
             + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid AND NOT EXISTS \
                  (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
                   AND d.objid = p.oid AND d.deptype = 'e')) \
             + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = n.oid AND t.typrelid = 0 \
                  AND t.typelem = 0 AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'))) \
               AS user_objects, \
             ARRAY(SELECT e.extname::text FROM pg_extension e WHERE e.extnamespace = n.oid \
                   AND NOT e.extrelocatable) AS fixed \
             FROM pg_namespace n WHERE n.nspname = ANY($1)",
            &[&names],
        )
        .await
        .ctx("checking target schemas")?;
    let mut existing: BTreeSet<String> = BTreeSet::new();
    for r in &rows {
        let name: String = r.get(0);
        let objects: i64 = r.get(1);
        let fixed: Vec<String> = r.get(2);
        if opts.data_only {
            continue;
        }
        if objects > 0 && !opts.drop_if_exists {
            return Err(Error::input(format!(
                "target schema {name:?} already exists in database {:?}; pass --drop-if-exists to replace it",
                opts.target.dbname()
            )));
        }
        if let Some(e) = fixed.first() {
            return Err(Error::input(format!(
                "target schema {name:?} holds extension {e:?}, which cannot be moved aside while the \
                 schema is replaced; install it in another schema on the target"
            )));
        }
        existing.insert(name);
    }
    if opts.data_only {
        let found: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        if let Some(missing) = names.iter().find(|n| !found.contains(n)) {
            return Err(Error::input(format!(
                "target schema {missing:?} does not exist; --data-only copies into existing tables"
            )));
        }
    }
    let row = target
        .query_one(
            "SELECT current_user::text, has_database_privilege(current_database(), 'CREATE')",
            &[],
        )
        .await
        .ctx("checking target privileges")?;
    let (user, can_create): (String, bool) = (row.get(0), row.get(1));
    if !can_create && !opts.data_only {
        return Err(Error::input(format!(
            "role {user:?} cannot create schemas in target database {:?}; \
             grant it CREATE on the database or connect as another role",
            opts.target.dbname()
        )));
    }
    let mut needed: BTreeSet<String> = BTreeSet::new();
    let mut owners: BTreeSet<String> = BTreeSet::new();
    for m in cat.metas() {
        if opts.owners
            && let Some(o) = &m.owner
        {
            needed.insert(o.clone());
            owners.insert(o.clone());
        }
        if opts.privileges {
            needed.extend(m.acl.iter().flatten().map(|g| g.grantee.clone()));
        }
    }
    if opts.privileges {
        // `ALTER DEFAULT PRIVILEGES FOR ROLE r` takes membership in r too.
        for dp in cat.schemas.iter().flat_map(|s| &s.default_privileges) {
            needed.insert(dp.role.clone());
            owners.insert(dp.role.clone());
            needed.extend(dp.grants.iter().map(|g| g.grantee.clone()));
        }
    }
    for t in &cat.tables {
        for p in &t.policies {
            needed.extend(p.roles.iter().cloned());
        }
        if opts.privileges {
            for c in &t.columns {
                needed.extend(c.acl.iter().flatten().map(|g| g.grantee.clone()));
            }
        }
    }
    needed.remove("PUBLIC");
    if needed.is_empty() {
        return Ok(existing);
    }
    let list: Vec<String> = needed.iter().cloned().collect();
    let found: BTreeSet<String> = target
        .query("SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)", &[&list])
        .await
        .ctx("checking target roles")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<&String> = needed.iter().filter(|r| !found.contains(*r)).collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|r| format!("{r:?}")).collect();
        return Err(Error::input(format!(
            "roles {} are used by the copied objects (owners, grants or policies) but do not exist \
             on the target; create them there, or pass --no-owner / --no-acl",
            names.join(", ")
        )));
    }
    // Giving an object to a role takes membership in it (superusers have all).
    let owners: Vec<String> = owners.into_iter().collect();
    let refused: Vec<String> = target
        .query(
            "SELECT r FROM unnest($1::text[]) r WHERE NOT pg_has_role(current_user, r, 'MEMBER')",
            &[&owners],
        )
        .await
        .ctx("checking owner roles")?
        .iter()
        .map(|r| format!("{:?}", r.get::<_, String>(0)))
        .collect();
    if !refused.is_empty() {
        return Err(Error::input(format!(
            "role {user:?} cannot make {} the owner of the copied objects or set default \
             privileges for them (it is not a member); pass --no-owner (and --no-acl for default \
             privileges) to leave them owned by {user:?}, or connect to the target as a role that is",
            refused.join(", ")
        )));
    }
    Ok(existing)
}

/// Extensions the copied objects use that the target does not have yet
/// (created by the clone, and dropped again if it fails).
async fn missing_extensions(target: &Client, cat: &Catalog) -> Result<Vec<String>> {
    let used: BTreeSet<&String> = cat.depends.values().flatten().collect();
    let wanted: Vec<String> = cat
        .extensions
        .iter()
        .filter(|e| used.contains(&key::extension(&e.name)))
        .map(|e| e.name.clone())
        .collect();
    if wanted.is_empty() {
        return Ok(vec![]);
    }
    let rows = target
        .query(
            "SELECT a.name::text, e.extname IS NOT NULL FROM pg_available_extensions a \
             LEFT JOIN pg_extension e ON e.extname = a.name WHERE a.name = ANY($1)",
            &[&wanted],
        )
        .await
        .ctx("checking target extensions")?;
    let mut missing = vec![];
    for w in &wanted {
        match rows.iter().find(|r| r.get::<_, String>(0) == *w) {
            None => {
                return Err(Error::input(format!(
                    "the copied objects use extension {w:?}, which is not available on the target \
                     server; install its package there"
                )));
            }
            Some(r) if !r.get::<_, bool>(1) => missing.push(w.clone()),
            Some(_) => {}
        }
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_makes_open_ended_ranges() {
        assert_eq!(split(100, 1000, 10), vec![Chunk::Whole]);
        assert_eq!(
            split(300, 100, 10),
            vec![Chunk::Pages(0, Some(10)), Chunk::Pages(10, Some(20)), Chunk::Pages(20, None)]
        );
    }
}
