//! `follow`: a clone that keeps up with its source through logical
//! replication, from the clone's own snapshot to a cutover, exactly once.
//!
//! [`start`] is `clone --follow`'s first half: it checks that the source can
//! be followed ([`source::check`], before anything is created), creates a
//! publication for exactly the copied tables and then a slot whose exported
//! snapshot becomes the clone's snapshot (`conn::Origin::Slot`: no gap, no
//! overlap), and runs the clone in it while a second replication connection
//! streams from the slot into a spool on the target ([`spool`]); the
//! clone's swap transaction also writes the follow's state on the target
//! ([`state`]). [`follow`] (also `follow resume`) then applies the spool and
//! the stream after it ([`run`], [`apply`], [`decode`]) until [`cutover`]
//! asks it to stop. [`cleanup`] drops the slot, the publication, the state
//! and the spool, and nothing else.
//!
//! This module owns the replication side; copying is the engine's
//! ([`crate::clone`] plans it), comparing is [`crate::verify`]'s.

mod apply;
mod decode;
mod run;
mod source;
mod spool;
pub mod state;

use std::time::{Duration, Instant};

use serde::Serialize;

pub use run::{FollowOptions, FollowProgress, FollowReport, NoFollowProgress, Status, follow};
pub use state::FollowState;

use crate::clone::{self, CloneOptions, CloneReport};
use crate::conn::{ConnSpec, Side, Snapshot};
use crate::engine::{Cancel, Finish, ProgressSink, TableSource};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::QualifiedName;
use state::{ColumnPair, SequenceMap, TableMap};

/// The slot (and publication) name when none is given.
pub const DEFAULT_SLOT: &str = "pggraft_follow";

/// What `clone --follow` set up.
#[derive(Debug, Clone, Serialize)]
pub struct Started {
    pub clone: CloneReport,
    pub slot: String,
    pub publication: String,
    pub consistent_lsn: String,
    pub binary: bool,
    /// Source transactions that arrived while the copy ran, kept in the
    /// target's spool for the follower (the source was told of them).
    pub spooled_transactions: u64,
}

/// Clones in the snapshot of a new slot and records the follow on the
/// target (see the module docs). On failure the slot and publication are
/// dropped again, and the clone leaves the target as it was.
pub async fn start(
    opts: &CloneOptions,
    slot: &str,
    progress: &dyn ProgressSink,
    cancel: Option<Cancel>,
) -> Result<Started> {
    if opts.schema_only || opts.data_only {
        return Err(Error::input(
            "--follow needs a whole clone: it cannot be used with --schema-only or --data-only",
        ));
    }
    check_slot_name(slot)?;
    let publication = slot.to_string();
    // What would be copied, planned once without writing anything, so the
    // checks can name the tables before the slot exists.
    let planned = clone::prepare(opts).await?;
    let tables = relations(&planned.job.tables);
    drop(planned);
    let (src, target) =
        connect_checked(&opts.source, &opts.target, slot, &publication, &tables).await?;
    let roots = source::partition_roots(&src, &tables).await.map_err(|e| e.on(Side::Source))?;
    source::create_publication(&src, &publication, &tables, &roots)
        .await
        .map_err(|e| e.on(Side::Source))?;
    let undo = |e: Error| undo_setup(&src, &target, slot, &publication, e);
    let (consistent, snapshot) = match slot_snapshot(&opts.source, slot, &publication).await {
        Ok(c) => c,
        Err(e) => return Err(undo(e).await),
    };
    let result = async {
        let mut prepared = clone::prepare_in(opts, Some(snapshot)).await?;
        let now = relations(&prepared.job.tables);
        if now != tables {
            return Err(Error::input(
                "the source's tables changed while the follow was set up; run it again",
            ));
        }
        let names = opts.naming.name_map(prepared.schema_map.clone());
        let maps = table_maps(&src, &prepared.job.tables, &roots, &names).await?;
        let binary = source::binary_ok(&src, &target, &maps).await?;
        let build_to_final: std::collections::HashMap<String, String> =
            prepared.schemas().into_iter().map(|s| (s.build, s.target)).collect();
        let sequences = prepared
            .job
            .sequences
            .iter()
            .map(|s| SequenceMap {
                source: s.source.clone(),
                target: QualifiedName::new(
                    build_to_final.get(&s.build.schema).cloned().unwrap_or(s.build.schema.clone()),
                    s.build.name.clone(),
                ),
            })
            .collect();
        let st = FollowState {
            slot: slot.to_string(),
            publication: publication.clone(),
            source: opts.source.redacted(),
            tables: maps,
            sequences,
            binary,
            consistent_lsn: consistent.clone(),
            applied_lsn: consistent.clone(),
            received_lsn: None,
            applied_at: None,
            applied_rows: 0,
            endpos: None,
            cutover_requested: false,
            state: "following".into(),
            message: None,
            updated_at: String::new(),
        };
        let insert = state::insert_sql(&st)?;
        if let Finish::Swap { record, .. } = &mut prepared.finish {
            *record = Some(match record.take() {
                Some(r) if !r.trim().is_empty() => format!("{r};\n{insert}"),
                _ => insert,
            });
        }
        // Streaming starts now, while the copy runs, into the target's
        // spool: the source need not keep its WAL for the whole copy.
        let spooler = spool::Spooler::start(
            &opts.source,
            &opts.target,
            slot,
            &publication,
            &consistent,
            binary,
        )
        .await?;
        let report = clone::run(opts, prepared, progress, cancel).await;
        let spooled = spooler.stop().await;
        let report = report?;
        Ok((report, binary, spooled?))
    }
    .await;
    match result {
        Ok((clone, binary, spooled)) => Ok(Started {
            clone,
            slot: slot.to_string(),
            publication,
            consistent_lsn: consistent,
            binary,
            spooled_transactions: spooled.transactions,
        }),
        Err(e) => Err(undo(e).await),
    }
}

/// What `map run --follow` set up.
#[derive(Debug, Clone, Serialize)]
pub struct StartedMap {
    pub map: crate::map::MapReport,
    pub slot: String,
    pub publication: String,
    pub consistent_lsn: String,
    pub spooled_transactions: u64,
}

/// `map run --follow`: runs the mapping in the snapshot of a new slot, its
/// load transaction also writing the follow's state, whose tables carry the
/// mapping's expressions ([`state::Transform`]): the follower applies each
/// change through them, on the target. Values travel as text (the
/// expressions bind them as the source's types). Each mapped table must
/// read one source table (not a query) and have a key; the fdw strategy
/// and `--batch-rows` are refused.
pub async fn start_map(
    opts: &crate::map::MapOptions,
    slot: &str,
    progress: &dyn ProgressSink,
    cancel: Option<Cancel>,
) -> Result<StartedMap> {
    check_slot_name(slot)?;
    if opts.batch_rows.is_some() {
        return Err(Error::input(
            "map run --follow loads in one transaction: it cannot be used with --batch-rows",
        ));
    }
    let publication = slot.to_string();
    let checked = crate::map::checked(opts).await?;
    let mut tables = vec![];
    for t in &checked.tables {
        let TableSource::Relation(name) = &t.source else {
            return Err(Error::input(format!(
                "map run --follow: target table {} reads a query, and only a table's changes \
                 can be followed; map it from one table",
                t.target
            )));
        };
        if t.strategy == crate::engine::Strategy::Foreign {
            return Err(Error::input(format!(
                "map run --follow: target table {} uses the fdw strategy; use copy",
                t.target
            )));
        }
        if t.key.is_empty() {
            return Err(Error::input(format!(
                "map run --follow: target table {} has no key (a primary key, or `key` in the \
                 mapping), so updates and deletes cannot find their rows",
                t.target
            )));
        }
        tables.push(name.clone());
    }
    tables.sort();
    tables.dedup();
    let (src, target) =
        connect_checked(&opts.source, &opts.target, slot, &publication, &tables).await?;
    // Each source table's columns as the stream sends them, with type names.
    let mut columns = std::collections::HashMap::new();
    for t in &tables {
        let rows = src
            .query(
                "SELECT a.attname::text, a.atttypid, pg_catalog.format_type(a.atttypid, NULL) \
                 FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1::text::regclass \
                   AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' \
                 ORDER BY a.attnum",
                &[&t.to_string()],
            )
            .await
            .ctx(format!("reading the columns of {t}"))
            .map_err(|e| e.on(Side::Source))?;
        let cols: Vec<(String, u32, String)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        columns.insert(t.clone(), cols);
    }
    source::create_publication(&src, &publication, &tables, &[])
        .await
        .map_err(|e| e.on(Side::Source))?;
    let undo = |e: Error| undo_setup(&src, &target, slot, &publication, e);
    let (consistent, snapshot) = match slot_snapshot(&opts.source, slot, &publication).await {
        Ok(c) => c,
        Err(e) => return Err(undo(e).await),
    };
    let record = |checked: &crate::map::Checked| -> Result<String> {
        let mut maps = vec![];
        for t in &checked.tables {
            let TableSource::Relation(name) = &t.source else { continue };
            let cols = columns.get(name).cloned().unwrap_or_default();
            maps.push(TableMap {
                source: name.clone(),
                target: t.target.clone(),
                columns: cols
                    .iter()
                    .map(|(c, oid, _)| ColumnPair {
                        source: c.clone(),
                        target: c.clone(),
                        type_oid: *oid,
                    })
                    .collect(),
                transform: Some(state::Transform {
                    columns: t.columns.iter().map(|c| (c.target.clone(), c.sql())).collect(),
                    filter: t.filter.clone(),
                    key: t.key.clone(),
                    source_types: cols.iter().map(|(_, _, ty)| ty.clone()).collect(),
                }),
            });
        }
        state::insert_sql(&FollowState {
            slot: slot.to_string(),
            publication: publication.clone(),
            source: opts.source.redacted(),
            tables: maps,
            sequences: vec![],
            binary: false,
            consistent_lsn: consistent.clone(),
            applied_lsn: consistent.clone(),
            received_lsn: None,
            applied_at: None,
            applied_rows: 0,
            endpos: None,
            cutover_requested: false,
            state: "following".into(),
            message: None,
            updated_at: String::new(),
        })
    };
    let result = async {
        let spooler = spool::Spooler::start(
            &opts.source,
            &opts.target,
            slot,
            &publication,
            &consistent,
            false,
        )
        .await?;
        let report =
            crate::map::run_in(opts, progress, cancel, Some(snapshot), Some(&record)).await;
        let spooled = spooler.stop().await;
        Ok::<_, Error>((report?, spooled?))
    }
    .await;
    match result {
        Ok((map, spooled)) => Ok(StartedMap {
            map,
            slot: slot.to_string(),
            publication,
            consistent_lsn: consistent,
            spooled_transactions: spooled.transactions,
        }),
        Err(e) => Err(undo(e).await),
    }
}

fn check_slot_name(slot: &str) -> Result<()> {
    if slot.is_empty()
        || slot.len() > 63
        || !slot.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(Error::input(format!(
            "--slot {slot:?}: a replication slot name has 1 to 63 lower-case letters, digits and \
             underscores"
        )));
    }
    Ok(())
}

/// The copied relations (source names), sorted.
fn relations(tasks: &[crate::engine::TableTask]) -> Vec<QualifiedName> {
    let mut out: Vec<QualifiedName> = tasks
        .iter()
        .filter_map(|t| match &t.source {
            TableSource::Relation(n) => Some(n.clone()),
            TableSource::Query { .. } => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Each copied table's names and columns, as the stream will describe them
/// (a partition published via its root: the root, named as in the target,
/// with the columns of one of its leaves' tasks).
async fn table_maps(
    src: &tokio_postgres::Client,
    tasks: &[crate::engine::TableTask],
    roots: &[source::Root],
    names: &crate::rename::NameMap,
) -> Result<Vec<TableMap>> {
    let mut out: Vec<TableMap> = vec![];
    for t in tasks {
        let TableSource::Relation(leaf) = &t.source else { continue };
        // A partition published via its root: changes come as the root's,
        // but the stream describes the partition too (PostgreSQL sends both
        // Relation messages), so both are mapped.
        let mut pairs = vec![(leaf.clone(), t.target.clone())];
        if let Some(r) = roots.iter().find(|r| r.leaves.contains(leaf)) {
            pairs.push((r.root.clone(), names.qualified(&r.root)));
        }
        for (name, target) in pairs {
            if out.iter().any(|m| m.source == name) {
                continue;
            }
            let types = source::column_types(src, &name).await.map_err(|e| e.on(Side::Source))?;
            let mut columns = vec![];
            for (col, oid) in types {
                let target = t
                    .columns
                    .iter()
                    .find(|c| {
                        matches!(&c.expr, crate::engine::ColumnExpr::Column { name, .. } if *name == col)
                    })
                    .map(|c| c.target.clone())
                    .ok_or_else(|| {
                        Error::Unsupported(format!(
                            "column {col:?} of {name} is not copied as it is, so it cannot be \
                             followed"
                        ))
                    })?;
                columns.push(ColumnPair { source: col, target, type_oid: oid });
            }
            out.push(TableMap { source: name, target, columns, transform: None });
        }
    }
    Ok(out)
}

/// Every follow the target records.
pub async fn status(target: &ConnSpec) -> Result<Vec<FollowState>> {
    let c = target.connect().await.map_err(|e| e.on(Side::Target))?;
    state::read_all(&c).await
}

/// Asks the follower to stop at `endpos` (`None`: the source's current
/// position, read by the follower) and waits until it has, up to `wait`.
pub async fn cutover(
    target: &ConnSpec,
    slot: Option<&str>,
    endpos: Option<&str>,
    wait: Duration,
) -> Result<FollowState> {
    let c = target.connect().await.map_err(|e| e.on(Side::Target))?;
    let st = state::read_one(&c, slot).await?;
    if st.state == "done" {
        return Ok(st);
    }
    if let Some(e) = endpos {
        pgwire_replication::Lsn::parse(e)
            .map_err(|_| Error::input(format!("--endpos {e:?} is not an LSN like 0/16B6C50")))?;
    }
    state::request_cutover(&c, &st.slot, endpos).await?;
    let started = Instant::now();
    loop {
        let now = state::read_one(&c, Some(&st.slot)).await?;
        match now.state.as_str() {
            "done" => return Ok(now),
            "stopped" => {
                return Err(Error::input(format!(
                    "the follow of slot {:?} stopped: {}; fix that and run `pggraft follow \
                     resume`, which then stops at the cutover",
                    now.slot,
                    now.message.as_deref().unwrap_or("(no reason recorded)")
                )));
            }
            _ => {}
        }
        if started.elapsed() > wait {
            return Err(Error::input(format!(
                "the follow of slot {:?} did not reach the cutover position within {} s (applied \
                 {}); is a follower running (`pggraft follow resume`)?",
                now.slot,
                wait.as_secs(),
                now.applied_lsn
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What cleanup removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cleaned {
    pub dropped: Vec<String>,
    pub state_rows: u64,
}

/// Drops the slot and the publication on the source and the follow's row
/// on the target; nothing else. `source` defaults to the one recorded.
pub async fn cleanup(
    source: Option<&ConnSpec>,
    target: Option<&ConnSpec>,
    slot: &str,
) -> Result<Cleaned> {
    let mut out = Cleaned::default();
    let tc = match target {
        Some(t) => Some(t.connect().await.map_err(|e| e.on(Side::Target))?),
        None => None,
    };
    let recorded = match &tc {
        Some(c) => state::read_all(c).await?.into_iter().find(|f| f.slot == slot),
        None => None,
    };
    let spec = match (source, &recorded) {
        (Some(s), _) => s.clone(),
        (None, Some(r)) => ConnSpec::parse(&r.source)?,
        (None, None) => {
            return Err(Error::input(
                "pass --source: the target records no follow of this slot to take it from",
            ));
        }
    };
    let publication = recorded.as_ref().map(|r| r.publication.clone()).unwrap_or(slot.to_string());
    let src = spec.connect().await.map_err(|e| e.on(Side::Source))?;
    out.dropped =
        source::drop_objects(&src, slot, &publication).await.map_err(|e| e.on(Side::Source))?;
    if let Some(c) = &tc {
        out.state_rows = state::delete(c, slot).await?;
        spool::delete(c, slot).await?;
    }
    Ok(out)
}

/// Connects to both sides and checks, before anything is created, that the
/// source can publish `tables` through `slot` and that the target can hold
/// the follow's state; every problem is named at once.
async fn connect_checked(
    source: &crate::conn::ConnSpec,
    target: &crate::conn::ConnSpec,
    slot: &str,
    publication: &str,
    tables: &[QualifiedName],
) -> Result<(tokio_postgres::Client, tokio_postgres::Client)> {
    let src = source.connect().await.map_err(|e| e.on(Side::Source))?;
    let mut problems = source::check(&src, slot, publication, tables).await?;
    let tgt = target.connect().await.map_err(|e| e.on(Side::Target))?;
    if !crate::refresh::record::writable(&tgt).await? {
        problems.push(format!(
            "role {:?} may not create the follow's state table pggraft.follow on the target: \
             grant it CREATE on the target database (or on schema pggraft)",
            target.user()
        ));
    }
    if !problems.is_empty() {
        return Err(Error::SourceNotReady { problems });
    }
    Ok((src, tgt))
}

/// Undoes a follow's set-up after a failure: its spool on the target, then
/// its slot and publication on the source (once the slot is let go). Gives
/// back the error it was called with.
async fn undo_setup(
    src: &tokio_postgres::Client,
    target: &tokio_postgres::Client,
    slot: &str,
    publication: &str,
    e: Error,
) -> Error {
    if let Err(d) = spool::delete(target, slot).await {
        tracing::warn!("could not remove the follow's spool again: {d}");
    }
    source::wait_inactive(src, slot).await;
    if let Err(d) = source::drop_objects(src, slot, publication).await {
        tracing::warn!("could not drop the slot and publication again: {d}");
    }
    e
}

/// Creates the slot; its exported snapshot (held by the creating session)
/// is the copy's. Returns the slot's consistent point with it.
async fn slot_snapshot(
    spec: &crate::conn::ConnSpec,
    slot: &str,
    publication: &str,
) -> Result<(String, Snapshot)> {
    let created = source::create_slot(spec, slot, publication).await?;
    let consistent = created.consistent_point.clone();
    let snapshot = Snapshot::from_slot(
        created.snapshot.clone(),
        slot,
        consistent.clone(),
        Box::new(std::sync::Mutex::new(created.session)),
    );
    Ok((consistent, snapshot))
}
