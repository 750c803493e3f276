//! Turning the two catalogs of a clone (the source's, and the same renamed
//! to build names) into the engine's [`Job`]: one task per table with data,
//! sequence values, materialized views to refresh, what each post-data
//! statement locks, and the orderings parallel statement workers need beyond
//! what a script run in order gets from its order.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::CloneOptions;
use crate::catalog::Catalog;
use crate::catalog::model::key;
use crate::ddl::render::DEFAULT_PRIVILEGES;
use crate::engine::{
    Chunk, ColumnExpr, ColumnMap, Job, Locks, MatviewTask, SequenceTask, Strategy, TableSource,
    TableTask,
};
use crate::plan::Stmt;
use crate::sql::QualifiedName;

/// Default heap size above which a table is split into ranges.
const MIN_SPLIT_BYTES: u64 = 64 << 20;

/// The job of a clone. `cat` is the source model, `renamed` the same objects
/// under their build names (index for index).
#[allow(clippy::too_many_arguments)]
pub(super) fn job(
    cat: &Catalog,
    renamed: &Catalog,
    opts: &CloneOptions,
    final_map: &BTreeMap<String, String>,
    insert_select: bool,
    block: i64,
    structure: Vec<Stmt>,
    mut post_data: Vec<Stmt>,
) -> Job {
    order_for_workers(&mut post_data, renamed);
    let tables = table_tasks(cat, renamed, opts, final_map, insert_select, block);
    let stream_hash =
        if opts.hash_rows { stream_hash(cat, renamed, &tables) } else { HashMap::new() };
    Job {
        structure,
        tables,
        post_data,
        sequences: sequence_tasks(cat, renamed, opts),
        matviews: matview_tasks(cat, renamed, opts),
        locks: Locks { touches: touches(renamed), family: family(renamed) },
        stream_hash,
        #[cfg(feature = "failpoints")]
        tamper_after_load: opts.tamper_after_load.clone(),
        ..Job::default()
    }
}

/// The tables whose rows can be hashed as they stream, as verify will hash
/// them ([`crate::rowhash`]): binary copies of every column (none
/// generated), each of a type with a typed hash, the same type on both sides;
/// and, within one database, the same tables copied by `INSERT … SELECT`,
/// which the engine hashes on both sides in the server once loaded.
fn stream_hash(
    cat: &Catalog,
    renamed: &Catalog,
    tasks: &[TableTask],
) -> HashMap<QualifiedName, Vec<crate::rowhash::Kind>> {
    let binary: BTreeSet<&QualifiedName> = tasks
        .iter()
        .filter(|t| matches!(t.strategy, Strategy::Copy { binary: true } | Strategy::InsertSelect))
        .map(|t| &t.label)
        .collect();
    let mut out = HashMap::new();
    for (src, dst) in cat.tables.iter().zip(renamed.tables.iter()) {
        if !binary.contains(&src.name)
            || src.columns.iter().any(|c| c.generated.is_some())
            || src.columns.iter().zip(&dst.columns).any(|(a, b)| a.type_name != b.type_name)
        {
            continue;
        }
        let kinds = crate::rowhash::plan(
            src.columns.iter().map(|c| (c.type_name.as_str(), c.collation.is_some())),
        );
        if let Some(k) = kinds {
            out.insert(src.name.clone(), k);
        }
    }
    out
}

fn table_tasks(
    cat: &Catalog,
    renamed: &Catalog,
    opts: &CloneOptions,
    final_map: &BTreeMap<String, String>,
    insert_select: bool,
    block: i64,
) -> Vec<TableTask> {
    let mut tables = vec![];
    if !opts.schema_only {
        for (src, dst) in cat.tables.iter().zip(renamed.tables.iter()) {
            if !src.holds_rows()
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
                    expr: ColumnExpr::Column {
                        name: a.name.clone(),
                        cast: (a.type_name != b.type_name).then(|| b.type_name.clone()),
                    },
                    target: b.name.clone(),
                })
                .collect();
            let strategy = if insert_select {
                Strategy::InsertSelect
            } else {
                Strategy::Copy { binary: !src.columns.iter().any(|c| c.binary_unsafe) }
            };
            tables.push(TableTask {
                source: TableSource::Relation(src.name.clone()),
                label: src.name.clone(),
                build: dst.name.clone(),
                target: QualifiedName::new(
                    final_map[&src.name.schema].clone(),
                    dst.name.name.clone(),
                ),
                key: key::relation(&dst.name),
                columns,
                filter: None,
                strategy,
                bytes: src.size_bytes.max(0) as u64,
                est_rows: src.est_rows.max(0.0),
                chunks: vec![Chunk::Whole],
            });
        }
    }
    let total: u64 = tables.iter().map(|t| t.bytes).sum();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let streams = useful_streams(opts, insert_select, cores);
    let threshold = opts.split_larger_than.unwrap_or(if streams <= 1 {
        u64::MAX
    } else {
        MIN_SPLIT_BYTES.max(total / (streams as u64 * 2))
    });
    for t in &mut tables {
        t.chunks = split(t.bytes, threshold, block.max(1) as u64);
    }
    // Largest first, so the longest copy starts first.
    tables.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.label.cmp(&b.label)));

    tables
}

/// How many table copies can run at once and each still have cores to run
/// on, for sizing the ranges large tables are split into. When both servers
/// run on this machine they share its cores: a COPY between them keeps two
/// backends busy (one reading, one writing), an `INSERT … SELECT` one. More
/// streams than that only take turns, and a table loaded in ranges loses
/// `COPY … FREEZE` (its rows are frozen only when one transaction truncates
/// and loads it), so its first readers set every row's hint bits. Measured
/// on 2 cores, pgbench -s 20 between two databases of one local cluster,
/// three alternating pairs: `pgbench_accounts` whole 2.39–2.47 s against
/// 2.61–2.84 s in four ranges (`--no-verify`), 2.69–3.12 s against
/// 3.00–3.45 s verified. Elsewhere the servers' cores are unknown, and
/// `--jobs` decides.
fn useful_streams(opts: &CloneOptions, insert_select: bool, cores: usize) -> usize {
    let jobs = opts.jobs.max(1);
    if !(opts.source.is_local() && opts.target.is_local()) {
        return jobs;
    }
    let per_stream = if insert_select { 1 } else { 2 };
    jobs.min((cores / per_stream).max(1))
}

fn sequence_tasks(cat: &Catalog, renamed: &Catalog, opts: &CloneOptions) -> Vec<SequenceTask> {
    let mut sequences = vec![];
    if !opts.schema_only {
        for (s, d) in cat.sequences.iter().zip(renamed.sequences.iter()) {
            sequences.push(SequenceTask { source: s.name.clone(), build: d.name.clone() });
        }
        for (s, d) in cat.tables.iter().zip(renamed.tables.iter()) {
            for (a, b) in s.columns.iter().zip(d.columns.iter()) {
                if let (Some(x), Some(y)) = (&a.identity, &b.identity) {
                    sequences.push(SequenceTask {
                        source: x.sequence.clone(),
                        build: y.sequence.clone(),
                    });
                }
            }
        }
    }
    sequences
}

/// Populated materialized views, each after the ones it reads.
fn matview_tasks(cat: &Catalog, renamed: &Catalog, opts: &CloneOptions) -> Vec<MatviewTask> {
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

    matviews
}

/// Dependencies the engine's parallel post-data workers need and a script run in order does
/// not (there, phases order these statements):
///
/// - a foreign key to a partitioned table needs the table's key valid, which it is once
///   every partition's key index is attached to the parent's: it waits for each attachment;
/// - two `ALTER DEFAULT PRIVILEGES` for one role, schema and object class write the same
///   `pg_default_acl` row, and at once one fails on its unique key: they run one by one.
fn order_for_workers(post_data: &mut [Stmt], renamed: &Catalog) {
    let attached = |object: &str| format!("attached {object}");
    for s in post_data.iter_mut().filter(|s| s.what == "attach index" && s.provides.is_none()) {
        s.provides = Some(attached(&s.object));
    }
    let tables: HashMap<&QualifiedName, &crate::catalog::Table> =
        renamed.tables.iter().map(|t| (&t.name, t)).collect();
    let under = |t: &crate::catalog::Table, root: &QualifiedName| {
        let mut cur = t.partition_of.as_ref().map(|p| &p.parent);
        for _ in 0..100 {
            match cur {
                Some(p) if p == root => return true,
                Some(p) => {
                    cur = tables.get(p).and_then(|t| t.partition_of.as_ref()).map(|p| &p.parent)
                }
                None => return false,
            }
        }
        false
    };
    let mut fk_waits: HashMap<String, Vec<String>> = HashMap::new();
    for t in &renamed.tables {
        for c in t.constraints.iter().filter(|c| c.kind == "f") {
            let Some(r) = &c.references else { continue };
            if tables.get(r).is_none_or(|rt| rt.partition_key.is_none()) {
                continue;
            }
            let waits: Vec<String> = renamed
                .tables
                .iter()
                .filter(|p| under(p, r))
                .flat_map(|p| {
                    p.constraints
                        .iter()
                        .filter(|pc| pc.index.is_some() && pc.index_parent.is_some())
                        .map(|pc| attached(&key::constraint(&p.name, &pc.name)))
                })
                .collect();
            fk_waits.insert(key::constraint(&t.name, &c.name), waits);
        }
    }
    let mut previous_grant: Option<String> = None;
    for (i, s) in post_data.iter_mut().enumerate() {
        if s.what == "foreign key"
            && let Some(waits) = fk_waits.get(&s.object)
        {
            s.deps.extend(waits.iter().cloned());
        }
        if s.what == DEFAULT_PRIVILEGES && s.provides.is_none() {
            let k = format!("{DEFAULT_PRIVILEGES} #{i}");
            if let Some(p) = previous_grant.replace(k.clone()) {
                s.deps.push(p);
            }
            s.provides = Some(k);
        }
    }
}

/// Post-data object key → the relation key of the table it locks.
fn touches(renamed: &Catalog) -> HashMap<String, String> {
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

    touches
}

/// Relation key → the root of its partition or inheritance tree.
fn family(renamed: &Catalog) -> HashMap<String, String> {
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

    family
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::ConnSpec;

    fn opts(source: &str, target: &str, jobs: usize) -> CloneOptions {
        let mut o = CloneOptions::new(
            ConnSpec::parse(source).expect("source"),
            ConnSpec::parse(target).expect("target"),
        );
        o.jobs = jobs;
        o
    }

    #[test]
    fn streams_are_limited_by_cores_only_when_both_servers_are_local() {
        let local = opts("postgres://u@localhost/a", "host=/tmp dbname=b", 4);
        assert_eq!(useful_streams(&local, false, 2), 1, "a COPY keeps two backends busy");
        assert_eq!(useful_streams(&local, true, 2), 2, "an INSERT … SELECT one");
        assert_eq!(useful_streams(&local, false, 16), 4, "--jobs still caps it");
        let loopback = opts("postgres://u@127.0.0.1/a", "postgres://u@[::1]/b", 4);
        assert_eq!(useful_streams(&loopback, false, 4), 2);
        let remote = opts("postgres://u@db.example.com/a", "postgres://u@localhost/b", 4);
        assert_eq!(useful_streams(&remote, false, 2), 4, "the remote server's cores are unknown");
    }

    #[test]
    fn split_makes_open_ended_ranges() {
        assert_eq!(split(100, 1000, 10), vec![Chunk::Whole]);
        assert_eq!(
            split(300, 100, 10),
            vec![Chunk::Pages(0, Some(10)), Chunk::Pages(10, Some(20)), Chunk::Pages(20, None)]
        );
    }
}
