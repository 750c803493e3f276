//! Preparing a clone: open the snapshot, read the source model, apply table
//! filters and renames, render the statements, and check the target, all
//! before anything is written. `--dry-run` stops here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::checks::{check_target, missing_extensions};
use super::filter::exclude_relations;
use super::sessions::{Room, fit};
use super::{CloneOptions, PreparedClone, StrategyChoice, tasks};
use crate::catalog::{CATALOG_HELPERS, introspect_with, snapshot_helpers};
use crate::cleanup;
use crate::conn::{Side, Snapshot, prepare_session};
use crate::ddl::render::{RenderOptions, render};
use crate::engine::{Finish, SchemaSwap, dropped_outside};
use crate::error::{Error, PgResultExt, Result};
use crate::plan::order;
use crate::rename::{register_names, rename_catalog};
use crate::select::SchemaFilter;
use crate::sql::literal;

/// Prepares a clone (see the module docs).
pub async fn prepare(opts: &CloneOptions) -> Result<PreparedClone> {
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

    let run_id = format!("{}_{}", std::process::id(), nanos());
    let tag = cleanup::session_tag(&run_id);
    // The snapshot every reader shares. Its session is named after the
    // run, so a lock it holds is told apart from a user's.
    let snapshot = Snapshot::export(&opts.source).await.map_err(|e| e.on(Side::Source))?;
    let holder = snapshot.session().expect("an exported snapshot has its session");
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
    let build_map: BTreeMap<String, String> = if opts.data_only {
        final_map.clone()
    } else {
        final_map
            .keys()
            .enumerate()
            .map(|(i, s)| (s.clone(), cleanup::build_schema_name(&run_id, i)))
            .collect()
    };
    let mut structure = opts.naming.name_map(build_map.clone());
    let mut text = opts.naming.name_map(final_map.clone());
    register_names(&cat, &mut structure)?;
    register_names(&cat, &mut text)?;
    let (renamed, rename_warnings) = rename_catalog(&cat, &structure, &text);
    warnings.extend(rename_warnings);

    let target = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    prepare_session(&target).await?;
    let target_room = Room::read(&target).await.map_err(|e| e.on(Side::Target))?;
    let source_room = Room::read(holder).await.map_err(|e| e.on(Side::Source))?;
    let same_server = opts.source.same_server(&opts.target);
    let (jobs, index_jobs, lowered) =
        fit(source_room, target_room, same_server, insert_select, opts.jobs, opts.index_jobs);
    warnings.extend(lowered);
    let existing =
        check_target(&target, opts, &final_map, &renamed).await.map_err(|e| e.on(Side::Target))?;
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
    let new_extensions = if same_database {
        vec![]
    } else {
        missing_extensions(&target, &renamed).await.map_err(|e| e.on(Side::Target))?
    };

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
    let job =
        tasks::job(&cat, &renamed, opts, &final_map, insert_select, block, pre_data, post_data);
    let schemas = final_map
        .iter()
        .map(|(s, t)| SchemaSwap {
            source: s.clone(),
            build: build_map[s].clone(),
            target: t.clone(),
            replace: existing.contains(t),
            comment: renamed
                .schemas
                .iter()
                .find(|x| x.name == build_map[s])
                .and_then(|x| x.meta.comment.clone())
                .filter(|_| opts.comments),
        })
        .collect();
    let finish = if opts.data_only {
        Finish::InPlace { truncate: false }
    } else {
        Finish::Swap { schemas, new_extensions, drop_cascade: opts.drop_cascade }
    };
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
    })
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0)
}
