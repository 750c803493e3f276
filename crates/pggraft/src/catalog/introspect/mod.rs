//! Reading the catalog model from a live database.
//!
//! One set-based query per object kind (never one per table: `inspect` of
//! 10,000 tables must stay well under two seconds). The caller owns the
//! transaction, so `clone` and `verify` can introspect inside the same
//! exported snapshot they copy or hash from. Objects that belong to an
//! extension are left out (the extension is recorded instead).
//!
//! This file owns the entry points, the order of the queries and the
//! sharding of the heaviest ones over helper sessions ([`helpers`]), the
//! oid-to-key map ([`Keys`]) and the SQL fragments the queries share. Each
//! query family has its file, in the order they run: [`schemas`],
//! [`extensions`], [`types`] (and collations), [`functions`] (and
//! operators), [`opclasses`] (operator families and classes),
//! [`conversions`], [`text_search`] (and parsers and templates),
//! [`sequences`], [`tables`] (and views), [`foreign`] (servers and user
//! mappings), [`columns`], [`constraints`], [`indexes`], [`triggers`] (and
//! rules, policies), [`statistics`], [`depends`]; and [`unmodelled`], what
//! the model leaves out on purpose, by name. The model itself is
//! [`super::model`]'s.

mod columns;
mod constraints;
mod conversions;
mod depends;
mod extensions;
mod foreign;
mod functions;
mod helpers;
mod indexes;
mod opclasses;
mod schemas;
mod sequences;
mod statistics;
mod tables;
mod text_search;
mod triggers;
mod types;
mod unmodelled;

use std::sync::Arc;

use foldhash::HashMap as FastMap;
use futures_util::TryStreamExt;
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use super::model::*;
use crate::error::{Error, PgResultExt, Result};
use crate::select::SchemaFilter;
use crate::sql::QualifiedName;

use self::columns::{RawColumn, attach_columns, fetch_columns};
use self::constraints::{RawConstraint, attach_constraints, fetch_constraints};
use self::conversions::read_conversions;
use self::depends::{build_depends, fetch_depends};
use self::extensions::read_extensions;
use self::foreign::read_servers;
use self::functions::{read_functions, read_operators};
use self::indexes::{attach_indexes, fetch_indexes};
use self::opclasses::read_operator_classes;
use self::schemas::{read_default_privileges, read_schemas};
use self::sequences::read_sequences;
use self::statistics::read_statistics;
use self::tables::read_relations;
use self::text_search::read_text_search;
use self::triggers::read_triggers_rules_policies;
use self::types::{read_collations, read_types, untangle_base_types};
use self::unmodelled::read_unmodelled;

pub use self::helpers::{CATALOG_HELPERS, snapshot_helpers};

// System catalog OIDs (fixed across PostgreSQL versions).
const PG_CLASS: u32 = 1259;
const PG_TYPE: u32 = 1247;
const PG_PROC: u32 = 1255;
const PG_CONSTRAINT: u32 = 2606;
const PG_ATTRDEF: u32 = 2604;
const PG_REWRITE: u32 = 2618;
const PG_TRIGGER: u32 = 2620;
const PG_POLICY: u32 = 3256;
const PG_NAMESPACE: u32 = 2615;
const PG_EXTENSION: u32 = 3079;
const PG_COLLATION: u32 = 3456;
const PG_STATISTIC_EXT: u32 = 3381;
const PG_OPERATOR: u32 = 2617;
const PG_TS_DICT: u32 = 3600;
const PG_TS_CONFIG: u32 = 3602;
const PG_FOREIGN_SERVER: u32 = 1417;

/// The ACL of a catalog column as a JSON array of grants, NULL for default.
fn acl_json(col: &str) -> String {
    format!(
        "CASE WHEN {col} IS NULL THEN NULL ELSE COALESCE((SELECT json_agg(json_build_object(\
         'grantee', CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END, \
         'privilege', a.privilege_type, 'grantable', a.is_grantable) ORDER BY a.ord) \
         FROM aclexplode({col}) WITH ORDINALITY a(grantor, grantee, privilege_type, is_grantable, ord)), '[]') END"
    )
}

/// Runs a query and hands each row to `f` as it arrives, so that a large
/// result is never held whole in memory.
async fn each_row(
    client: &Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    what: &str,
    mut f: impl FnMut(Row) -> Result<()>,
) -> Result<()> {
    let rows = client.query_raw(sql, params.iter().copied()).await.ctx(what)?;
    futures_util::pin_mut!(rows);
    while let Some(row) = rows.try_next().await.ctx(what)? {
        f(row)?;
    }
    Ok(())
}

/// A `LEFT JOIN` of an object's comment as `{alias}.description`: cheaper
/// than calling `obj_description()` (a SQL function) once per row.
fn comment_join(alias: &str, class: &str, oid_expr: &str) -> String {
    format!(
        "LEFT JOIN pg_description {alias} ON {alias}.objoid = {oid_expr} \
         AND {alias}.classoid = '{class}'::regclass AND {alias}.objsubid = 0"
    )
}

/// `NOT EXISTS` clause excluding extension members of a catalog.
fn not_ext_member(class: &str, oid_expr: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM pg_depend xd WHERE xd.classid = '{class}'::regclass \
         AND xd.objid = {oid_expr} AND xd.deptype = 'e')"
    )
}

fn parse_acl(v: Option<Value>) -> Result<Option<Vec<Grant>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v)
            .map(Some)
            .map_err(|e| Error::Unsupported(format!("unexpected ACL shape: {e}"))),
    }
}

fn qn(row: &Row, schema_col: &str, name_col: &str) -> QualifiedName {
    QualifiedName::new(row.get::<_, String>(schema_col), row.get::<_, String>(name_col))
}

fn opt_qn(row: &Row, schema_col: &str, name_col: &str) -> Option<QualifiedName> {
    let s: Option<String> = row.get(schema_col);
    let n: Option<String> = row.get(name_col);
    Some(QualifiedName::new(s?, n?))
}

/// Oid → key, per catalog, filled while reading and used to turn `pg_depend`
/// into key-to-key edges.
#[derive(Default)]
struct Keys {
    map: FastMap<(u32, u32), String>,
    /// Table oid → its index in `Catalog::tables`.
    tables: FastMap<u32, usize>,
    /// View oid → its index in `Catalog::views`.
    views: FastMap<u32, usize>,
    /// (catalog, oid) of extension members → the extension's key. Filtered
    /// out here rather than in SQL: an anti-join per query scanned all of
    /// `pg_depend` each time.
    members: FastMap<(u32, u32), String>,
}

impl Keys {
    fn add(&mut self, class: u32, oid: u32, key: String) {
        self.map.insert((class, oid), key);
    }
    fn get(&self, class: u32, oid: u32) -> Option<&String> {
        self.map.get(&(class, oid))
    }
    fn is_member(&self, class: u32, oid: u32) -> bool {
        self.members.contains_key(&(class, oid))
    }
    /// Whether the relation belongs to an extension: what hangs off it
    /// (triggers, rules, policies, statistics) is the extension's too.
    fn is_member_relation(&self, oid: u32) -> bool {
        self.is_member(PG_CLASS, oid)
    }
}

/// Reads the model of the schemas admitted by `filter`. Runs in the caller's
/// transaction; call [`prepare_session`] first.
pub async fn introspect(client: &Client, filter: &SchemaFilter) -> Result<Catalog> {
    introspect_with(client, &[], filter).await
}

/// [`introspect`], with the three heaviest queries (columns, constraints,
/// indexes: about three quarters of the server's work on a schema of many
/// tables) run on `helpers` while `client` reads the rest. Every helper must
/// read the same snapshot as `client` (see [`snapshot_helpers`]); with none,
/// everything runs on `client`.
pub async fn introspect_with(
    client: &Client,
    helpers: &[Arc<Client>],
    filter: &SchemaFilter,
) -> Result<Catalog> {
    introspect_scoped(client, helpers, filter, Scope::Full).await
}

/// How much of the model [`introspect_scoped`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything.
    Full,
    /// Schemas, extensions, types, sequences and relations with their
    /// columns, constraints, indexes and dependencies: what moving rows
    /// into existing tables needs (`refresh`). Functions, operators, text
    /// search, collations, servers, triggers, rules, policies, statistics,
    /// default privileges and the unmodelled objects are left out; the read
    /// is mostly round trips, and they are half of its queries.
    Relations,
}

/// [`introspect_with`], reading only what `scope` names.
pub async fn introspect_scoped(
    client: &Client,
    helpers: &[Arc<Client>],
    filter: &SchemaFilter,
    scope: Scope,
) -> Result<Catalog> {
    let mut t = std::time::Instant::now();
    // JIT compiling the big catalog queries costs more than it saves, and
    // parallel workers would each rebuild the caches the queries need (and
    // the helpers already keep the cores busy). The caller's own settings
    // come back afterwards.
    let row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int, \
             current_setting('jit'), current_setting('max_parallel_workers_per_gather'), \
             set_config('jit', 'off', true), \
             set_config('max_parallel_workers_per_gather', '0', true)",
            &[],
        )
        .await
        .ctx("reading server version")?;
    let (version, jit, workers): (i32, String, String) = (row.get(0), row.get(1), row.get(2));
    let cat = read_model(client, helpers, filter, version, scope, &mut t).await?;
    client
        .query_one(
            "SELECT set_config('jit', $1, true), \
             set_config('max_parallel_workers_per_gather', $2, true)",
            &[&jit, &workers],
        )
        .await
        .ctx("restoring session settings")?;
    tracing::debug!("introspect: the rest in {:.0?}", t.elapsed());
    Ok(cat)
}

async fn read_model(
    client: &Client,
    helpers: &[Arc<Client>],
    filter: &SchemaFilter,
    version: i32,
    scope: Scope,
    t: &mut std::time::Instant,
) -> Result<Catalog> {
    let full = scope == Scope::Full;
    if version < 140000 {
        return Err(Error::Unsupported(format!(
            "PostgreSQL {}.{} (pggraft needs 14 or newer)",
            version / 10000,
            version % 10000 / 100
        )));
    }
    let database: String =
        client.query_one("SELECT current_database()", &[]).await.ctx("reading database")?.get(0);
    let mut cat = Catalog { server_version: version, database, ..Default::default() };
    let mut keys = Keys::default();

    let ns_oids = read_schemas(client, filter, &mut cat, &mut keys).await?;
    let ns = &ns_oids;

    // Each helper reads the columns, constraints and indexes of one shard of
    // the tables (by oid). Sharding by table rather than by query matters:
    // printing a default, a CHECK or an index makes the backend build the
    // table's relation cache entry, the dearest part of the work, and it is
    // then built once per table instead of once per query. Spawned, so the
    // helpers' rows are read and parsed while this task reads the rest.
    //
    // The shards are explicit oid lists: `= ANY(oids)` lets each query
    // probe the catalogs' indexes for its tables, where a modulo filter made
    // the planner expect a handful of rows and nest loops over 30,000.
    //
    // Relations that belong to an extension are left out here, and with
    // them their columns, constraints and indexes: they are the extension's.
    let rows = client
        .query(
            &format!(
                "SELECT c.oid FROM pg_class c WHERE c.relnamespace = ANY($1) \
                 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {} ORDER BY c.oid",
                not_ext_member("pg_class", "c.oid")
            ),
            &[&ns],
        )
        .await
        .ctx("listing tables")?;
    let n = helpers.len().max(1);
    let mut shards: Vec<Vec<u32>> = vec![vec![]; n];
    for (i, r) in rows.iter().enumerate() {
        shards[i % n].push(r.get(0));
    }
    let tasks: Vec<JoinHandle<Result<Fetched>>> = helpers
        .iter()
        .zip(shards.iter_mut())
        .enumerate()
        .map(|(i, (helper, oids))| {
            let helper = Arc::clone(helper);
            let shard = Shard { first: i == 0, oids: std::mem::take(oids) };
            tokio::spawn(async move {
                let fetched = fetch_shard(&helper, shard).await;
                // Printing definitions took ACCESS SHARE locks on the tables;
                // end the transaction now rather than whenever the
                // connection happens to close.
                let _ = helper.batch_execute("COMMIT").await;
                fetched
            })
        })
        .collect();

    if full {
        cat.unmodelled = read_unmodelled(client, ns, version).await?;
        read_default_privileges(client, ns, &mut cat).await?;
    }

    read_extensions(client, ns, &mut cat, &mut keys).await?;

    let mut step = |what: &str| {
        tracing::debug!("introspect: {what} in {:.0?}", t.elapsed());
        *t = std::time::Instant::now();
    };
    step("schemas and extensions");
    if full {
        read_collations(client, ns, &mut cat, &mut keys).await?;
    }
    read_types(client, ns, &mut cat, &mut keys).await?;
    step("collations and types");
    if full {
        read_functions(client, ns, &mut cat, &mut keys).await?;
        read_conversions(client, ns, &mut cat, &mut keys).await?;
        read_text_search(client, ns, &mut cat, &mut keys).await?;
        read_operators(client, ns, &mut cat, &mut keys).await?;
        read_operator_classes(client, ns, &mut cat, &mut keys).await?;
    }
    step("functions, operators and their classes");
    let identities = read_sequences(client, ns, &mut cat, &mut keys).await?;
    step("sequences");
    read_relations(client, ns, &mut cat, &mut keys).await?;
    if full {
        read_servers(client, ns, &mut cat, &mut keys).await?;
    }
    step("tables, views and foreign servers");
    let mut raw = Fetched::default();
    if tasks.is_empty() {
        let oids = shards.pop().unwrap_or_default();
        raw = fetch_shard(client, Shard { first: true, oids }).await?;
    }
    for task in tasks {
        let part = task.await.unwrap_or_else(|e| {
            Err(Error::Unsupported(format!("a catalog-reading task failed: {e}")))
        })?;
        raw.columns.extend(part.columns);
        raw.constraints.extend(part.constraints);
        raw.indexes.extend(part.indexes);
        raw.depends.extend(part.depends);
    }
    step("columns, constraints and indexes");
    attach_columns(&mut cat, &mut keys, identities, raw.columns)?;
    step("attach columns");
    attach_constraints(&mut cat, &mut keys, raw.constraints);
    step("attach constraints");
    attach_indexes(&mut cat, &mut keys, raw.indexes);
    let raw_depends = raw.depends;
    step("attaching them");
    if full {
        read_triggers_rules_policies(client, ns, &mut cat, &mut keys).await?;
        read_statistics(client, ns, &mut cat, &mut keys).await?;
    }
    step("triggers, rules, policies, statistics");
    cat.depends = build_depends(&keys, &raw_depends);
    untangle_base_types(&mut cat);
    step("dependencies");
    cat.sort();
    Ok(cat)
}

/// One part of the tables and views, by oid.
struct Shard {
    /// The first shard also reads `pg_depend`.
    first: bool,
    oids: Vec<u32>,
}

/// The columns, constraints and indexes of a shard's tables.
#[derive(Default)]
struct Fetched {
    columns: Vec<RawColumn>,
    constraints: Vec<RawConstraint>,
    indexes: Vec<(u32, Index)>,
    /// `pg_depend` edges, read by the first shard only.
    depends: Vec<[u32; 4]>,
}

async fn fetch_shard(client: &Client, shard: Shard) -> Result<Fetched> {
    let depends = async { if shard.first { fetch_depends(client).await } else { Ok(vec![]) } };
    let oids = &shard.oids;
    // Sent together: the session works through them back to back.
    let (depends, columns, constraints, indexes) = futures_util::try_join!(
        depends,
        fetch_columns(client, oids),
        fetch_constraints(client, oids),
        fetch_indexes(client, oids),
    )?;
    Ok(Fetched { columns, constraints, indexes, depends })
}
