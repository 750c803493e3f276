//! Preparing a clone: open the snapshot, read the source model, apply table
//! filters and renames, render the statements, and check the target, all
//! before anything is written. `--dry-run` stops here.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::checks::{check_target, missing_extensions};
use super::filter::exclude_relations;
use super::{CloneOptions, PreparedClone, StrategyChoice, tasks};
use crate::catalog::{CATALOG_HELPERS, introspect_with, snapshot_helpers};
use crate::conn::{Side, Snapshot, prepare_session};
use crate::ddl::render::{RenderOptions, render};
use crate::engine::{Finish, SchemaSwap};
use crate::error::{Error, PgResultExt, Result};
use crate::plan::order;
use crate::rename::{register_names, rename_catalog};
use crate::select::SchemaFilter;

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

    // The snapshot every reader shares.
    let snapshot = Snapshot::export(&opts.source).await.map_err(|e| e.on(Side::Source))?;
    let holder = snapshot.session().expect("an exported snapshot has its session");
    let filter =
        SchemaFilter { include: opts.naming.patterns(), exclude: opts.exclude_schemas.clone() };
    // The catalog is read with helper sessions in the same snapshot, as
    // `inspect` does; they close once it is read.
    let helpers = snapshot_helpers(&opts.source, &snapshot, CATALOG_HELPERS).await;
    let mut cat = introspect_with(holder, &helpers, &filter).await?;
    drop(helpers);
    if cat.schemas.is_empty() {
        return Err(Error::input(format!(
            "no user schemas to copy in database {:?}",
            cat.database
        )));
    }
    let mut warnings = vec![];
    warnings.extend(exclude_relations(&mut cat, &opts.tables));

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

    let target = opts.target.connect().await.map_err(|e| e.on(Side::Target))?;
    prepare_session(&target).await?;
    let existing = check_target(&target, opts, &final_map, &renamed).await?;
    let record = if opts.data_only {
        None
    } else {
        record(&target, holder, opts, &final_map, &cat.database, &mut warnings).await?
    };
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
    let job =
        tasks::job(&cat, &renamed, opts, &final_map, insert_select, block, pre_data, post_data);
    let schemas = final_map
        .iter()
        .map(|(s, t)| SchemaSwap {
            source: s.clone(),
            build: build_map[s].clone(),
            target: t.clone(),
            replace: existing.contains(t),
        })
        .collect();
    let finish = if opts.data_only {
        Finish::InPlace { truncate: false }
    } else {
        Finish::Swap { schemas, new_extensions, record }
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
            changes: record::changes(holder, s).await?,
        });
    }
    let ensure = !record::exists(target).await?;
    Ok(Some(record::record_sql(&rows, ensure)))
}

fn nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_micros())
        .unwrap_or(0)
}
