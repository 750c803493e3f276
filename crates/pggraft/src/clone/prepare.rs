//! Preparing a clone: open the snapshot, read the source model, apply table
//! filters and renames, render the statements, and check the target, all
//! before anything is written. `--dry-run` stops here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tokio_postgres::Client;

use super::checks::check_target;
use super::extensions::{ExtensionPlan, plan_extensions};
use super::filter::exclude_relations;
use super::servers::{ServerPlan, plan_servers};
use super::sessions::{Room, fit};
use super::{
    CloneOptions, CloneSection, PreparedClone, StrategyChoice, resume, roles, steps, tasks,
};
use crate::catalog::Catalog;
use crate::catalog::model::{UnmodelledKind, key};
use crate::catalog::versions::{express_for, inexpressible};
use crate::catalog::{CATALOG_HELPERS, introspect_with, snapshot_helpers};
use crate::cleanup;
use crate::conn::{Side, Snapshot, prepare_session};
use crate::ddl::render::{RenderOptions, render};
use crate::engine::{Aside, Finish, SchemaSwap, dropped_outside};
use crate::error::{Error, PgResultExt, Result};
use crate::plan::order;
use crate::rename::{register_extension_members, register_names, rename_catalog};
use crate::select::SchemaFilter;
use crate::sql::ident;
use crate::sql::literal;

/// Prepares a clone (see the module docs).
pub async fn prepare(opts: &CloneOptions) -> Result<PreparedClone> {
    prepare_in(opts, None).await
}

/// [`prepare`] in a snapshot the caller already has (`follow`'s, exported
/// by its replication slot); `None` exports one.
pub(crate) async fn prepare_in(
    opts: &CloneOptions,
    given: Option<Snapshot>,
) -> Result<PreparedClone> {
    // Boxed: the preparation's future is large, and so would be every
    // future that awaits it (`follow::start`).
    Box::pin(prepare_boxed(opts, given)).await
}

async fn prepare_boxed(opts: &CloneOptions, given: Option<Snapshot>) -> Result<PreparedClone> {
    if opts.schema_only && opts.data_only {
        return Err(Error::input("--schema-only and --data-only cannot be used together"));
    }
    if opts.jobs == 0 || opts.index_jobs == 0 {
        return Err(Error::input("--jobs and --index-jobs must be at least 1"));
    }
    let same_database = opts.source.same_database(&opts.target);
    let insert_select = match (opts.strategy, same_database) {
        (StrategyChoice::Auto, same) => same,
        (StrategyChoice::InsertSelect, false) => {
            return Err(Error::input(
                "--strategy insert-select needs source and target in the same database",
            ));
        }
        (StrategyChoice::InsertSelect, true) => true,
        (StrategyChoice::Copy, _) => false,
    };

    let section = opts.section;
    if section != CloneSection::All {
        if opts.snapshot.is_none() {
            return Err(Error::input(format!(
                "--section {} needs --snapshot NAME, the snapshot all sections share: start one \
                 with `pggraft snapshot --source …`",
                section.as_str()
            )));
        }
        if opts.schema_only || opts.data_only || opts.drop_if_exists {
            return Err(Error::input(format!(
                "--section {} cannot be combined with --schema-only, --data-only or \
                 --drop-if-exists (the sections are the parts of one clone into new schemas)",
                section.as_str()
            )));
        }
    }
    // The target's tables exist already: rows or post-data only.
    let existing_tables =
        opts.data_only || matches!(section, CloneSection::Data | CloneSection::PostData);

    if opts.resume && (section != CloneSection::All || opts.data_only) {
        return Err(Error::input(
            "--resume resumes a whole clone; it cannot be combined with --section or --data-only",
        ));
    }
    if opts.worker
        && (opts.resume
            || section != CloneSection::All
            || opts.data_only
            || opts.schema_only
            || opts.snapshot.is_some())
    {
        return Err(Error::input(
            "--worker joins a whole clone in progress, in its snapshot; it cannot be combined \
             with --resume, --section, --snapshot, --schema-only or --data-only",
        ));
    }
    let mut run_id = format!("{}_{}", std::process::id(), nanos());
    let mut tag = cleanup::session_tag(&run_id);
    // A worker joins the stored clone: its run, and the snapshot its first
    // process holds.
    let mut joining = None;
    if opts.worker {
        let target = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
        let found = resume::find_to_join(&target, &opts.source.redacted())
            .await
            .map_err(|e| e.on(Side::Target))?;
        run_id = found.0.run_id.clone();
        tag = cleanup::session_tag(&run_id);
        joining = Some(found);
    }
    let wanted = joining.as_ref().map(|(_, n)| n.clone()).or_else(|| opts.snapshot.clone());
    // The snapshot every reader shares: the caller's (`follow`'s, exported
    // by its replication slot), held by another process (`pggraft snapshot`)
    // and joined by name, or exported here. Its session is named after the
    // run, so a lock it holds is told apart from a user's.
    let (snapshot, joined) = match (given, &wanted) {
        (Some(s), _) => {
            // A snapshot held elsewhere (a slot's) is read by a session that joins it.
            let joined = match s.session() {
                Some(_) => None,
                None => Some(s.join(&opts.source, "").await.map_err(|e| e.on(Side::Source))?),
            };
            (s, joined)
        }
        (None, None) => {
            (Snapshot::export(&opts.source).await.map_err(|e| e.on(Side::Source))?, None)
        }
        (None, Some(name)) => {
            let snapshot = Snapshot::named(name.clone());
            let joined = snapshot.join(&opts.source, "").await.map_err(|e| match e.sqlstate() {
                Some(c)
                    if *c == tokio_postgres::error::SqlState::INVALID_PARAMETER_VALUE
                        && opts.worker =>
                {
                    Error::input(format!(
                        "--worker: snapshot {name:?} of the stored clone is gone from the source \
                         (the clone's first process, which holds it, has ended or finished \
                         copying); nothing was changed. A clone whose first process was killed \
                         goes on with the same command plus --resume"
                    ))
                }
                Some(c) if *c == tokio_postgres::error::SqlState::INVALID_PARAMETER_VALUE => {
                    Error::input(format!(
                        "snapshot {name:?} does not exist on the source (the session holding \
                         it has ended); start one with `pggraft snapshot --source …` and pass \
                         the name it prints"
                    ))
                }
                _ => e.on(Side::Source),
            })?;
            (snapshot, Some(joined))
        }
    };
    let holder = match (&joined, snapshot.session()) {
        (Some(j), _) => j,
        (None, Some(h)) => h,
        (None, None) => unreachable!("an exported snapshot has its session"),
    };
    holder
        .batch_execute(&format!("SET application_name = {}", literal(&format!("{tag}-snapshot"))))
        .await
        .ctx("naming the snapshot session")
        .map_err(|e| e.on(Side::Source))?;
    let filter =
        SchemaFilter { include: opts.naming.patterns(), exclude: opts.exclude_schemas.clone() };
    // The catalog is read with helper sessions in the same snapshot, as
    // `inspect` does; they close once it is read.
    let helpers = snapshot_helpers(&opts.source, &snapshot, CATALOG_HELPERS).await;
    let mut cat =
        introspect_with(holder, &helpers, &filter).await.map_err(|e| e.on(Side::Source))?;
    drop(helpers);
    if cat.schemas.is_empty() {
        return Err(Error::input(format!(
            "no user schemas to copy in database {:?}",
            cat.database
        )));
    }
    let mut warnings = vec![];
    // What the model leaves out, by name. Within one database the copy shares what belongs
    // to the database (event triggers, large objects, …): only what is per table is news.
    warnings.extend(
        cat.unmodelled
            .iter()
            .filter(|u| !opts.left_out.contains(&u.kind))
            .filter(|u| {
                !same_database
                    || matches!(
                        u.kind,
                        UnmodelledKind::Publication
                            | UnmodelledKind::SecurityLabels
                            | UnmodelledKind::Tablespace
                    )
            })
            .map(|u| u.describe("copied")),
    );
    warnings.extend(exclude_relations(&mut cat, &opts.tables)?);

    let found: Vec<String> = cat.schemas.iter().map(|s| s.name.clone()).collect();
    let final_map = opts.naming.resolve(&cat.database, &found)?;
    warnings.extend(opts.naming.notes());
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
    let target = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    prepare_session(&target).await?;
    if let (Some(name), true) = (&opts.snapshot, section != CloneSection::All) {
        let targets: Vec<String> = final_map.values().cloned().collect();
        let recorded = steps::read(&target, &targets).await.map_err(|e| e.on(Side::Target))?;
        steps::check(section, name, &targets, &recorded)?;
    }
    // The plan as far as it is known before rendering; a resumed clone
    // must have the same (its stored run names its build schemas).
    let mut plan_now = resume::Plan {
        source: opts.source.redacted(),
        schemas: final_map.clone(),
        tables: opts.tables.clone(),
        exclude_table_data: opts.exclude_table_data.clone(),
        schema_only: opts.schema_only,
        owners: opts.owners,
        privileges: opts.privileges,
        comments: opts.comments,
        structure: String::new(),
    };
    let stored = if opts.resume {
        let stored = resume::find(&target, &plan_now).await.map_err(|e| e.on(Side::Target))?;
        run_id = stored.run_id.clone();
        tag = cleanup::session_tag(&run_id);
        Some(stored)
    } else if let Some((stored, _)) = joining {
        resume::check_joined(&plan_now, &stored.plan)?;
        Some(stored)
    } else {
        None
    };
    let ext_plan = if same_database || existing_tables {
        ExtensionPlan::default()
    } else {
        plan_extensions(&target, &cat, &final_map, opts).await?
    };
    warnings.extend(ext_plan.warnings.iter().cloned());
    let server_plan =
        if existing_tables { ServerPlan::default() } else { plan_servers(&target, &cat).await? };
    warnings.extend(server_plan.warnings.iter().cloned());
    // Sections build under the final names: there is no swap.
    let build_map: BTreeMap<String, String> = if existing_tables || section != CloneSection::All {
        final_map.clone()
    } else if let Some(st) = &stored {
        st.build.clone()
    } else {
        final_map
            .iter()
            .enumerate()
            .map(|(i, (s, t))| {
                let build = if ext_plan.in_place.contains(s) {
                    t.clone()
                } else {
                    cleanup::build_schema_name(&run_id, i)
                };
                (s.clone(), build)
            })
            .collect()
    };
    let mut structure = opts.naming.name_map(build_map.clone());
    let mut text = opts.naming.name_map(final_map.clone());
    register_names(&cat, &mut structure)?;
    register_names(&cat, &mut text)?;
    if !same_database && !opts.skip_extensions {
        // The copy gets extensions of its own, in the copied schemas.
        register_extension_members(&cat, &mut structure);
        register_extension_members(&cat, &mut text);
    }
    let (mut renamed, rename_warnings) = rename_catalog(&cat, &structure, &text);
    warnings.extend(rename_warnings);
    if same_database {
        warnings.extend(undefault_shared_types(&cat, &mut renamed));
    }
    if opts.unlogged {
        super::unlog(&mut renamed);
    }
    // Privileges as the target's server has them (MAINTAIN came with 17).
    let target_version: i32 = target
        .query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .ctx("reading the target's server version")?
        .get(0);
    warnings.extend(express_for(&mut renamed, target_version));
    let refused = inexpressible(&cat, target_version);
    if !refused.is_empty() {
        return Err(Error::input(refused.join("; ")));
    }
    for e in &mut renamed.extensions {
        if let Some(v) = ext_plan.create.get(&e.name) {
            e.version = v.clone().unwrap_or_default();
        }
    }

    let target_room = Room::read(&target).await.map_err(|e| e.on(Side::Target))?;
    let source_room = Room::read(holder).await.map_err(|e| e.on(Side::Source))?;
    let same_server = opts.source.same_server(&opts.target);
    let (jobs, index_jobs, lowered) =
        fit(source_room, target_room, same_server, insert_select, opts.jobs, opts.index_jobs);
    warnings.extend(lowered);
    // Owners and grantees as the target has them; the roles it lacks are
    // created with `--roles`, refused (with the list) without.
    let mut role_plan = roles::RolePlan::default();
    if !existing_tables {
        roles::apply_maps(&mut renamed, opts);
        roles::check_map_targets(&target, opts).await.map_err(|e| e.on(Side::Target))?;
        if opts.roles {
            let (needed, _) = roles::needed(&renamed, opts);
            role_plan = roles::plan(holder, &target, &needed, opts).await?;
            warnings.extend(role_plan.warnings.iter().cloned());
        }
    }
    let mut checked = opts.clone();
    checked.data_only = existing_tables;
    // A stored run's schemas built under their final names are its own.
    let own_in_place: BTreeSet<String> = match &stored {
        Some(st) => final_map
            .iter()
            .filter(|(s, t)| st.build.get(*s) == Some(*t))
            .map(|(_, t)| t.clone())
            .collect(),
        None => BTreeSet::new(),
    };
    let checked_map: BTreeMap<String, String> = final_map
        .iter()
        .filter(|(_, t)| !own_in_place.contains(*t))
        .map(|(s, t)| (s.clone(), t.clone()))
        .collect();
    let existing = check_target(&target, &checked, &checked_map, &renamed, &role_plan.creating())
        .await
        .map_err(|e| e.on(Side::Target))?;
    if section == CloneSection::PreData
        && let Some(t) = existing.first()
    {
        // Built under its final name, the schema must not be there yet.
        return Err(Error::input(format!(
            "target schema {t:?} exists; --section pre-data creates it: drop it first, or copy \
             under another name (-n SRC={t}_new)"
        )));
    }
    // What dropping the replaced schemas would take along from elsewhere.
    let replaced: Vec<String> = existing.iter().cloned().collect();
    let outside = dropped_outside(&target, &replaced, &[]).await.map_err(|e| e.on(Side::Target))?;
    if !outside.is_empty() {
        if !opts.drop_cascade {
            return Err(Error::DependentObjects { schemas: replaced, objects: outside });
        }
        warnings.push(format!(
            "--drop-cascade: replacing {} also drops {}",
            replaced.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "),
            outside.join(", ")
        ));
    }
    let record = if opts.data_only || matches!(section, CloneSection::PreData | CloneSection::Data)
    {
        None
    } else {
        record(&target, holder, opts, &final_map, &cat.database, &mut warnings).await?
    };
    let new_extensions = ext_plan.created_elsewhere(&cat);
    let mut asides = asides(&target, &final_map, &build_map, &existing, &run_id).await?;
    if !own_in_place.is_empty() {
        // As the stored run recorded them in its schemas' comments.
        for b in cleanup::list(&target).await.map_err(|e| e.on(Side::Target))? {
            if b.in_place
                && own_in_place.contains(&b.schema)
                && let Some(name) = b.aside
            {
                asides.insert(b.schema, Aside { name, extensions: b.moved_extensions });
            }
        }
    }

    let render_opts = RenderOptions {
        owners: opts.owners,
        privileges: opts.privileges,
        comments: opts.comments,
        extensions: !same_database && !opts.skip_extensions,
        schemas: true,
        keys_via_index: true,
        extension_versions: true,
    };
    let (pre_data, post_data, order_warnings) = if opts.data_only || section == CloneSection::Data {
        (vec![], vec![], vec![])
    } else {
        let mut stmts = render(&renamed, &render_opts);
        // Only the extensions decided on (their comments too), and the servers and user
        // mappings the target lacks.
        stmts.retain(|s| {
            (s.object.strip_prefix("extension ").is_none()
                || ext_plan.wanted.iter().any(|w| s.object == key::extension(w)))
                && !server_plan.skip.contains(&s.object)
        });
        // A schema built in place first moves the target's schema of that
        // name aside, and takes over its extensions.
        for (schema, aside) in &asides {
            let k = key::schema(schema);
            if let Some(st) = stmts.iter_mut().find(|s| s.provides.as_ref() == Some(&k)) {
                let mut sql =
                    format!("ALTER SCHEMA {} RENAME TO {};\n", ident(schema), ident(&aside.name));
                sql.push_str(&st.sql);
                for e in &aside.extensions {
                    sql.push_str(&format!(
                        ";\nALTER EXTENSION {} SET SCHEMA {}",
                        ident(e),
                        ident(schema)
                    ));
                }
                st.sql = sql;
            }
        }
        let o = order(stmts);
        // Roles first: the structure's owners and grants name them.
        let mut pre_data = std::mem::take(&mut role_plan.stmts);
        pre_data.extend(o.pre_data);
        (pre_data, o.post_data, o.warnings)
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
            .ctx("reading table sizes")
            .map_err(|e| e.on(Side::Source))?;
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
    let mut job =
        tasks::job(&cat, &renamed, opts, &final_map, insert_select, block, pre_data, post_data);
    // One section of the job; pre-data records itself in its transaction,
    // data and post-data once done.
    let mut after = None;
    if let Some(name) = opts.snapshot.as_deref().filter(|_| section != CloneSection::All) {
        let step = steps::record_sql(section, name, &final_map);
        match section {
            CloneSection::PreData => {
                job.tables.clear();
                job.sequences.clear();
                job.post_data.clear();
                job.matviews.clear();
                job.structure.push(crate::plan::Stmt {
                    section: crate::plan::Section::PreData,
                    phase: 0,
                    provides: None,
                    object: "pggraft.clone_steps".into(),
                    deps: vec![],
                    what: "record",
                    sql: step,
                    exec: None,
                });
            }
            CloneSection::Data => {
                job.structure.clear();
                job.post_data.clear();
                job.matviews.clear();
                after = Some(step);
            }
            CloneSection::PostData | CloneSection::All => {
                job.structure.clear();
                job.tables.clear();
                job.sequences.clear();
                after = Some(match &record {
                    Some(r) => format!("{step};\n{r}"),
                    None => step,
                });
            }
        }
    }
    // Resumable: a whole clone built under temporary names whose record
    // can be written. Its plan goes in with the structure; each post-data
    // statement records itself; the swap forgets it.
    let resumable = section == CloneSection::All && !opts.data_only && record.is_some();
    let mut resume_state = None;
    let mut record = record;
    if resumable {
        plan_now.structure = resume::structure_hash(&job.structure, &job.post_data);
        let snap = snapshot.name();
        let worker = opts.worker_name.clone().unwrap_or_else(worker_name);
        let state = resume::shape_job(
            &mut job,
            &plan_now,
            (stored.as_ref(), opts.worker),
            holder,
            &target,
            (&run_id, &worker),
            snap,
            &build_map,
        )
        .await?;
        // The copy's record (`pggraft.copies`) keeps the schema after a swap.
        record = record.map(|r| format!("{r};\n{}", resume::forget_sql(&run_id, false)));
        resume_state = Some(state);
    } else if opts.worker {
        return Err(Error::input(
            "--worker: this clone cannot be shared (the role cannot write pggraft's record in \
             the target); run it with one process",
        ));
    } else if opts.resume {
        return Err(Error::input(
            "--resume: this clone cannot be resumed (the role \
             cannot write pggraft's record in the target); run it without --resume",
        ));
    }
    let schemas = final_map
        .iter()
        .map(|(s, t)| SchemaSwap {
            source: s.clone(),
            build: build_map[s].clone(),
            target: t.clone(),
            replace: existing.contains(t),
            aside: asides.get(t).cloned(),
            comment: renamed
                .schemas
                .iter()
                .find(|x| x.name == build_map[s])
                .and_then(|x| x.meta.comment.clone())
                .filter(|_| opts.comments),
        })
        .collect();
    let finish = if existing_tables || section == CloneSection::PreData {
        // The data section's tables are new and empty: truncated and
        // loaded frozen in one transaction each.
        Finish::InPlace { truncate: section == CloneSection::Data }
    } else {
        Finish::Swap {
            schemas,
            new_extensions,
            new_servers: server_plan.create,
            record,
            drop_cascade: opts.drop_cascade,
        }
    };
    // A target at wal_level = minimal writes no WAL for rows loaded in the
    // transaction that truncated their table (a new file), which is how a
    // table loaded whole goes in; a table loaded in ranges logs every row.
    // Measured on 2 cores (pgbench -s 20): whole tables 14% faster and
    // 250 kB of WAL instead of 205 MB; so, unless the user chose a size,
    // no table is split there.
    if finish.fresh_tables() && opts.split_larger_than.is_none() {
        let level: String = target
            .query_one("SELECT current_setting('wal_level')", &[])
            .await
            .ctx("reading the target's wal_level")
            .map_err(|e| e.on(Side::Target))?
            .get(0);
        if level == "minimal" {
            for t in &mut job.tables {
                t.chunks = vec![crate::engine::Chunk::Whole];
            }
        }
    }
    Ok(PreparedClone {
        schema_map: final_map,
        same_database,
        insert_select,
        job,
        finish,
        warnings,
        snapshot,
        session_tag: tag,
        jobs,
        index_jobs,
        roles: role_plan.report,
        after,
        resume: resume_state,
    })
}

/// The SQL that records the copy in `pggraft.copies` (run in the swap's
/// transaction), so that `refresh` can redo its data part with no other
/// flags. A role that cannot write the record still gets its clone, with a
/// warning.
async fn record(
    target: &tokio_postgres::Client,
    holder: &tokio_postgres::Client,
    opts: &CloneOptions,
    final_map: &BTreeMap<String, String>,
    database: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<String>> {
    use crate::refresh::record::{self, CopyOptions, NewRecord};
    if !record::writable(target).await? {
        warnings.push(format!(
            "role {:?} cannot write pggraft.copies on the target, so the copy is not recorded: \
             refresh it with --source and -n SRC=DST",
            opts.target.user()
        ));
        return Ok(None);
    }
    let row = holder
        .query_one("SELECT now()::text, pg_catalog.pg_current_snapshot()::text", &[])
        .await
        .ctx("reading the source snapshot's time")?;
    let (at, snapshot): (String, Option<String>) = (row.get(0), row.get(1));
    let source_identity = record::source_identity(holder).await?;
    let mut rows: Vec<NewRecord> = vec![];
    for (s, t) in final_map {
        rows.push(NewRecord {
            target_schema: t.clone(),
            source_schema: s.clone(),
            source: opts.source.redacted(),
            source_database: database.to_string(),
            options: CopyOptions {
                lower_case: opts.naming.lower_case,
                template: opts.naming.template.clone(),
                tables: opts.tables.clone(),
                exclude_table_data: opts.exclude_table_data.clone(),
            },
            made_by: "clone",
            snapshot_at: at.clone(),
            snapshot: snapshot.clone(),
            source_identity: source_identity.clone(),
            changes: record::changes(holder, s).await?,
        });
    }
    Ok(Some(record::record_sql(&rows, record::needs(target).await?)))
}

/// For each schema built in place that the target has already: the name
/// it is moved aside to, and the extensions it holds (relocatable:
/// [`check_target`] refused the others), to be moved into the new schema.
async fn asides(
    target: &Client,
    final_map: &BTreeMap<String, String>,
    build_map: &BTreeMap<String, String>,
    existing: &BTreeSet<String>,
    run_id: &str,
) -> Result<BTreeMap<String, Aside>> {
    let mut out = BTreeMap::new();
    for (i, (s, t)) in final_map.iter().enumerate() {
        if build_map[s] != *t || !existing.contains(t) {
            continue;
        }
        let extensions = target
            .query(
                "SELECT e.extname::text FROM pg_extension e \
                 JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = $1 ORDER BY 1",
                &[t],
            )
            .await
            .ctx("listing the extensions of a replaced target schema")?
            .iter()
            .map(|r| r.get(0))
            .collect();
        out.insert(t.clone(), Aside { name: cleanup::aside_schema_name(run_id, i), extensions });
    }
    Ok(out)
}

/// Within one database a type has one default operator class per access method: a copied
/// class that is the default for a type the copy shares with its source (`integer`, a type of
/// a schema not copied) is made an ordinary class, with a warning.
fn undefault_shared_types(cat: &Catalog, renamed: &mut Catalog) -> Vec<String> {
    let mut out = vec![];
    for (src, c) in cat.operator_classes.iter().zip(renamed.operator_classes.iter_mut()) {
        if c.default && c.type_name == src.type_name {
            c.default = false;
            out.push(format!(
                "operator class {} is the default for type {} using {}, which the copy shares \
                 with its source in this database: the copy's class is not the default (verify \
                 shows it)",
                src.name, src.type_name, src.method
            ));
        }
    }
    out
}

/// This process's name among the workers of a clone: its pid, and a count
/// for several clones run by one process (tests).
fn worker_name() -> String {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if n == 0 {
        format!("pid {}", std::process::id())
    } else {
        format!("pid {}.{n}", std::process::id())
    }
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0)
}
