//! Reading the catalog model from a live database.
//!
//! One set-based query per object kind (never one per table: `inspect` of
//! 10,000 tables must stay well under two seconds). The caller owns the
//! transaction, so `clone` and `verify` can introspect inside the same
//! exported snapshot they copy or hash from. Objects that belong to an
//! extension are left out (the extension is recorded instead), and object
//! kinds the model does not cover make introspection fail, naming them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use foldhash::HashMap as FastMap;
use futures_util::TryStreamExt;
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use super::model::*;
use crate::conn::{ConnSpec, Snapshot};
use crate::error::{Error, PgResultExt, Result};
use crate::select::SchemaFilter;
use crate::sql::QualifiedName;

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
    let cat = read_model(client, helpers, filter, version, &mut t).await?;
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
    t: &mut std::time::Instant,
) -> Result<Catalog> {
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

    // Schemas.
    let rows = client
        .query(
            &format!(
                "SELECT n.oid, n.nspname, pg_get_userbyid(n.nspowner)::text AS owner, {acl} AS acl, \
                 obj_description(n.oid, 'pg_namespace') AS comment FROM pg_namespace n \
                 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' AND {ext} ORDER BY n.nspname",
                acl = acl_json("n.nspacl"),
                ext = not_ext_member("pg_namespace", "n.oid")
            ),
            &[],
        )
        .await
        .ctx("reading schemas")?;
    let mut ns_oids: Vec<u32> = vec![];
    for r in &rows {
        let name: String = r.get("nspname");
        // pggraft's own bookkeeping (migration history) is not a user
        // schema, unless asked for by name.
        if !filter.admits(&name) || (name == "pggraft" && filter.include.is_empty()) {
            continue;
        }
        let oid: u32 = r.get("oid");
        ns_oids.push(oid);
        keys.add(PG_NAMESPACE, oid, key::schema(&name));
        cat.schemas.push(Schema {
            name,
            meta: Meta {
                owner: r.get("owner"),
                acl: parse_acl(r.get("acl"))?,
                comment: r.get("comment"),
            },
            default_privileges: vec![],
        });
    }
    for p in &filter.include {
        if !p.is_wildcard() && !cat.schemas.iter().any(|s| p.matches(&s.name)) {
            return Err(Error::input(format!(
                "schema \"{}\" does not exist in database \"{}\" (names match exactly as stored, \
                 case-sensitively, with * and ? wildcards)",
                p.as_str(),
                cat.database
            )));
        }
    }
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
    let rows = client
        .query(
            "SELECT c.oid FROM pg_class c WHERE c.relnamespace = ANY($1) \
             AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.oid",
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

    check_unsupported(client, ns).await?;
    read_default_privileges(client, ns, &mut cat).await?;

    // Extensions: database-wide, recorded so copies can create them.
    let rows = client
        .query(
            "SELECT e.oid, e.extname, n.nspname, e.extversion, \
             obj_description(e.oid, 'pg_extension') AS comment \
             FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname <> 'plpgsql' ORDER BY e.extname",
            &[],
        )
        .await
        .ctx("reading extensions")?;
    for r in &rows {
        let name: String = r.get("extname");
        keys.add(PG_EXTENSION, r.get("oid"), key::extension(&name));
        cat.extensions.push(Extension {
            name,
            schema: r.get("nspname"),
            version: r.get("extversion"),
            meta: Meta { comment: r.get("comment"), ..Default::default() },
        });
    }
    // Extension members map to their extension, for dependencies.
    let rows = client
        .query(
            "SELECT d.classid, d.objid, e.extname FROM pg_depend d \
             JOIN pg_extension e ON e.oid = d.refobjid \
             WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'",
            &[],
        )
        .await
        .ctx("reading extension members")?;
    let ext_members = &mut keys.members;
    for r in &rows {
        let class: u32 = r.get("classid");
        let oid: u32 = r.get("objid");
        ext_members.insert((class, oid), key::extension(&r.get::<_, String>("extname")));
    }

    let mut step = |what: &str| {
        tracing::debug!("introspect: {what} in {:.0?}", t.elapsed());
        *t = std::time::Instant::now();
    };
    step("schemas, unsupported objects and extensions");
    read_collations(client, ns, &mut cat, &mut keys).await?;
    read_types(client, ns, &mut cat, &mut keys).await?;
    step("collations and types");
    read_functions(client, ns, &mut cat, &mut keys).await?;
    read_text_search(client, ns, &mut cat, &mut keys).await?;
    read_operators(client, ns, &mut cat, &mut keys).await?;
    step("functions");
    let identities = read_sequences(client, ns, &mut cat, &mut keys).await?;
    step("sequences");
    read_relations(client, ns, &mut cat, &mut keys).await?;
    step("tables and views");
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
    read_triggers_rules_policies(client, ns, &mut cat, &mut keys).await?;
    read_statistics(client, ns, &mut cat, &mut keys).await?;
    step("triggers, rules, policies, statistics");
    cat.depends = build_depends(&keys, &raw_depends);
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

/// How many helper sessions readers of a whole catalog open: each reads the
/// columns, constraints and indexes of a third of the tables. Measured on two
/// cores with 10,000 tables: 2 and 3 helpers both take about 0.8 times as
/// long as none; 4 is no faster.
pub const CATALOG_HELPERS: usize = 3;

/// Opens `n` sessions that read `snapshot` with [`crate::conn::SESSION_SETTINGS`], for
/// [`introspect_with`]. Helpers only make reading faster, so one that cannot
/// connect (a full `max_connections`, say) is left out rather than failing
/// the command; the failure is logged at debug level.
pub async fn snapshot_helpers(spec: &ConnSpec, snapshot: &Snapshot, n: usize) -> Vec<Arc<Client>> {
    if snapshot.name().is_none() {
        return vec![];
    }
    let join = |_| async {
        let client =
            snapshot.join(spec, "SET jit = off; SET max_parallel_workers_per_gather = 0").await?;
        Ok::<_, Error>(Arc::new(client))
    };
    let mut helpers = vec![];
    for r in futures_util::future::join_all((0..n).map(join)).await {
        match r {
            Ok(c) => helpers.push(c),
            Err(e) => tracing::debug!("introspect: reading without a helper session: {e}"),
        }
    }
    helpers
}

/// `ALTER DEFAULT PRIVILEGES … IN SCHEMA` entries of the schemas read.
/// `ns` lists the schemas in `cat.schemas` order.
async fn read_default_privileges(client: &Client, ns: &[u32], cat: &mut Catalog) -> Result<()> {
    let sql = format!(
        "SELECT d.defaclnamespace, pg_get_userbyid(d.defaclrole)::text AS role, \
         d.defaclobjtype::text AS objects, {acl} AS acl \
         FROM pg_default_acl d WHERE d.defaclnamespace = ANY($1)",
        acl = acl_json("d.defaclacl")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading default privileges")? {
        let oid: u32 = r.get("defaclnamespace");
        let Some(i) = ns.iter().position(|o| *o == oid) else { continue };
        cat.schemas[i].default_privileges.push(DefaultPrivileges {
            role: r.get("role"),
            objects: r.get("objects"),
            grants: parse_acl(r.get("acl"))?.unwrap_or_default(),
        });
    }
    Ok(())
}

/// Object kinds the model does not cover fail loudly rather than vanish.
async fn check_unsupported(client: &Client, ns: &[u32]) -> Result<()> {
    let sql = format!(
        "SELECT kind, name FROM ( \
           SELECT CASE c.relkind WHEN 'f' THEN 'foreign table' ELSE 'typed table (OF type)' END \
             AS kind, c.oid::regclass::text AS name FROM pg_class c \
             WHERE c.relnamespace = ANY($1) \
             AND (c.relkind = 'f' OR (c.reloftype <> 0 AND c.relkind IN ('r','p'))) AND {c} \
           UNION ALL SELECT 'base or shell type', t.oid::regtype::text FROM pg_type t \
             WHERE t.typnamespace = ANY($1) AND t.typtype IN ('b','p') AND {t} \
             AND NOT (t.typelem <> 0 \
                      AND EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid)) \
           UNION ALL SELECT 'operator class', quote_ident(oc.opcname) FROM pg_opclass oc \
             WHERE oc.opcnamespace = ANY($1) AND {oc} \
           UNION ALL SELECT 'operator family', quote_ident(of.opfname) FROM pg_opfamily of \
             WHERE of.opfnamespace = ANY($1) AND {of} \
           UNION ALL SELECT 'conversion', quote_ident(cv.conname) FROM pg_conversion cv \
             WHERE cv.connamespace = ANY($1) AND {cv} \
           UNION ALL SELECT 'text search parser', pr.prsnamespace::regnamespace::text || '.' \
             || quote_ident(pr.prsname) FROM pg_ts_parser pr \
             WHERE pr.prsnamespace = ANY($1) AND {pr} \
           UNION ALL SELECT 'text search template', tm.tmplnamespace::regnamespace::text || '.' \
             || quote_ident(tm.tmplname) FROM pg_ts_template tm \
             WHERE tm.tmplnamespace = ANY($1) AND {tm} \
         ) u ORDER BY 1, 2 LIMIT 20",
        c = not_ext_member("pg_class", "c.oid"),
        t = not_ext_member("pg_type", "t.oid"),
        oc = not_ext_member("pg_opclass", "oc.oid"),
        of = not_ext_member("pg_opfamily", "of.oid"),
        cv = not_ext_member("pg_conversion", "cv.oid"),
        pr = not_ext_member("pg_ts_parser", "pr.oid"),
        tm = not_ext_member("pg_ts_template", "tm.oid"),
    );
    let rows = client.query(&sql, &[&ns]).await.ctx("checking for unsupported objects")?;
    if rows.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    Err(Error::Unsupported(format!(
        "the selected schemas contain objects pggraft does not model yet: {} \
         (leave their schema out with -n, or drop them)",
        list.join(", ")
    )))
}

async fn read_collations(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    // `to_jsonb` reads the ICU locale column under either of its names
    // (`colliculocale` up to 16, `colllocale` from 17).
    let sql = format!(
        "SELECT c.oid, n.nspname, c.collname, c.collprovider::text AS provider, \
         c.collisdeterministic, c.collcollate, c.collctype, \
         COALESCE(to_jsonb(c) ->> 'colllocale', to_jsonb(c) ->> 'colliculocale') AS icu, \
         pg_get_userbyid(c.collowner)::text AS owner, obj_description(c.oid, 'pg_collation') AS comment \
         FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace \
         WHERE c.collnamespace = ANY($1) AND {ext}",
        ext = not_ext_member("pg_collation", "c.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading collations")? {
        let name = qn(&r, "nspname", "collname");
        keys.add(PG_COLLATION, r.get("oid"), key::collation(&name));
        cat.collations.push(Collation {
            name,
            provider: r.get("provider"),
            deterministic: r.get("collisdeterministic"),
            lc_collate: r.get("collcollate"),
            lc_ctype: r.get("collctype"),
            icu_locale: r.get("icu"),
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        });
    }
    Ok(())
}

/// `(schema, name)` of a collation when it differs from the default of the
/// type, as SQL select-list columns `{alias}_cns`, `{alias}_cn`.
fn collation_cols(coll: &str, type_coll: &str, alias: &str) -> String {
    format!(
        "(SELECT cn.nspname FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace \
          WHERE co.oid = {coll} AND {coll} <> {type_coll}) AS {alias}_cns, \
         (SELECT co.collname FROM pg_collation co WHERE co.oid = {coll} AND {coll} <> {type_coll}) AS {alias}_cn"
    )
}

async fn read_types(client: &Client, ns: &[u32], cat: &mut Catalog, keys: &mut Keys) -> Result<()> {
    let sql = format!(
        "SELECT t.oid, t.typarray, t.typrelid, n.nspname, t.typname, t.typtype::text AS typtype, \
         pg_get_userbyid(t.typowner)::text AS owner, {acl} AS acl, \
         dsc.description AS comment, \
         CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base, \
         t.typnotnull, \
         CASE WHEN t.typtype = 'd' THEN pg_get_expr(t.typdefaultbin, 0) END AS dflt, \
         {coll}, \
         (SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder) FROM pg_enum e \
            WHERE e.enumtypid = t.oid) AS labels, \
         format_type(r.rngsubtype, NULL) AS subtype, \
         (SELECT on_.nspname FROM pg_opclass oc JOIN pg_namespace on_ ON on_.oid = oc.opcnamespace \
            WHERE oc.oid = r.rngsubopc AND NOT oc.opcdefault) AS opc_s, \
         (SELECT oc.opcname FROM pg_opclass oc WHERE oc.oid = r.rngsubopc AND NOT oc.opcdefault) AS opc_n, \
         (SELECT cn.nspname FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace \
            WHERE co.oid = r.rngcollation AND r.rngcollation <> st.typcollation) AS rcoll_s, \
         (SELECT co.collname FROM pg_collation co \
            WHERE co.oid = r.rngcollation AND r.rngcollation <> st.typcollation) AS rcoll_n, \
         NULLIF(r.rngcanonical, 0)::regproc::text AS canonical, \
         NULLIF(r.rngsubdiff, 0)::regproc::text AS subdiff, \
         (SELECT mn.nspname FROM pg_type m JOIN pg_namespace mn ON mn.oid = m.typnamespace \
            WHERE m.oid = r.rngmultitypid) AS mr_s, \
         (SELECT m.typname FROM pg_type m WHERE m.oid = r.rngmultitypid) AS mr_n, \
         r.rngmultitypid AS mr_oid, (SELECT m.typarray FROM pg_type m WHERE m.oid = r.rngmultitypid) AS mr_array \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         {comment} \
         LEFT JOIN pg_type bt ON bt.oid = t.typbasetype \
         LEFT JOIN pg_range r ON r.rngtypid = t.oid \
         LEFT JOIN pg_type st ON st.oid = r.rngsubtype \
         WHERE t.typnamespace = ANY($1) \
         AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND \
              (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))",
        acl = acl_json("t.typacl"),
        comment = comment_join("dsc", "pg_type", "t.oid"),
        coll = collation_cols("t.typcollation", "COALESCE(bt.typcollation, 0)", "d"),
    );
    let rows = client.query(&sql, &[&ns]).await.ctx("reading types")?;
    let mut composite_rel: HashMap<u32, usize> = HashMap::new();
    let mut domains: HashMap<u32, usize> = HashMap::new();
    for r in &rows {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_TYPE, oid) {
            continue;
        }
        let name = qn(r, "nspname", "typname");
        let k = key::type_(&name);
        keys.add(PG_TYPE, oid, k.clone());
        keys.add(PG_TYPE, r.get("typarray"), k.clone());
        let typtype: String = r.get("typtype");
        let kind = match typtype.as_str() {
            "e" => TypeKind::Enum {
                labels: r.get::<_, Option<Vec<String>>>("labels").unwrap_or_default(),
            },
            "d" => {
                domains.insert(oid, cat.types.len());
                TypeKind::Domain {
                    base: r.get("base"),
                    collation: opt_qn(r, "d_cns", "d_cn"),
                    default: r.get("dflt"),
                    not_null: r.get("typnotnull"),
                    constraints: vec![],
                }
            }
            "r" => {
                // The multirange type (and its array) belong to the range.
                for col in ["mr_oid", "mr_array"] {
                    if let Some(o) = r.get::<_, Option<u32>>(col) {
                        keys.add(PG_TYPE, o, k.clone());
                    }
                }
                TypeKind::Range {
                    subtype: r.get("subtype"),
                    subtype_opclass: opt_qn(r, "opc_s", "opc_n"),
                    collation: opt_qn(r, "rcoll_s", "rcoll_n"),
                    canonical: r.get("canonical"),
                    subtype_diff: r.get("subdiff"),
                    multirange: opt_qn(r, "mr_s", "mr_n"),
                }
            }
            _ => {
                let relid: u32 = r.get("typrelid");
                keys.add(PG_CLASS, relid, k.clone());
                composite_rel.insert(relid, cat.types.len());
                TypeKind::Composite { attributes: vec![] }
            }
        };
        cat.types.push(TypeDef {
            name,
            kind,
            meta: Meta {
                owner: r.get("owner"),
                acl: parse_acl(r.get("acl"))?,
                comment: r.get("comment"),
            },
        });
    }
    if !composite_rel.is_empty() {
        let rels: Vec<u32> = composite_rel.keys().copied().collect();
        let sql = format!(
            "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod) AS typ, {coll}, \
             col_description(a.attrelid, a.attnum) AS comment \
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
             WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attrelid, a.attnum",
            coll = collation_cols("a.attcollation", "t.typcollation", "a")
        );
        for r in client.query(&sql, &[&rels]).await.ctx("reading composite types")? {
            let idx = composite_rel[&r.get::<_, u32>("attrelid")];
            if let TypeKind::Composite { attributes } = &mut cat.types[idx].kind {
                attributes.push(CompositeAttribute {
                    name: r.get("attname"),
                    type_name: r.get("typ"),
                    collation: opt_qn(&r, "a_cns", "a_cn"),
                    comment: r.get("comment"),
                });
            }
        }
    }
    if !domains.is_empty() {
        let ids: Vec<u32> = domains.keys().copied().collect();
        let sql = "SELECT co.oid, co.contypid, co.conname, pg_get_constraintdef(co.oid) AS def, \
                   co.convalidated, obj_description(co.oid, 'pg_constraint') AS comment \
                   FROM pg_constraint co WHERE co.contypid = ANY($1) AND co.contype = 'c' \
                   ORDER BY co.contypid, co.conname";
        for r in client.query(sql, &[&ids]).await.ctx("reading domain constraints")? {
            let idx = domains[&r.get::<_, u32>("contypid")];
            let tkey = key::type_(&cat.types[idx].name);
            keys.add(PG_CONSTRAINT, r.get("oid"), tkey);
            if let TypeKind::Domain { constraints, .. } = &mut cat.types[idx].kind {
                constraints.push(DomainConstraint {
                    name: r.get("conname"),
                    definition: r.get("def"),
                    validated: r.get("convalidated"),
                    comment: r.get("comment"),
                });
            }
        }
    }
    Ok(())
}

async fn read_functions(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT p.oid, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) AS ident, \
         pg_get_function_arguments(p.oid) AS args, p.prokind::text AS prokind, \
         CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END AS result, \
         l.lanname, p.provolatile::text AS vol, p.proisstrict, p.prosecdef, p.proleakproof, \
         p.proparallel::text AS par, p.procost, p.prorows, \
         NULLIF(p.prosupport, 0)::regproc::text AS support, p.proconfig, \
         CASE WHEN p.prosqlbody IS NULL THEN p.prosrc END AS src, \
         NULLIF(p.probin, '-') AS probin, \
         CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) END AS sqlbody, \
         pg_get_userbyid(p.proowner)::text AS owner, {acl} AS acl, \
         dsc.description AS comment, \
         ag.aggkind::text AS aggkind, ag.aggtransfn::regproc::text AS sfunc, \
         format_type(ag.aggtranstype, NULL) AS stype, ag.aggtransspace AS sspace, \
         NULLIF(ag.aggfinalfn, 0)::regproc::text AS finalfunc, ag.aggfinalextra, \
         ag.aggfinalmodify::text AS finalmodify, \
         NULLIF(ag.aggcombinefn, 0)::regproc::text AS combinefunc, \
         NULLIF(ag.aggserialfn, 0)::regproc::text AS serialfunc, \
         NULLIF(ag.aggdeserialfn, 0)::regproc::text AS deserialfunc, ag.agginitval, \
         NULLIF(ag.aggmtransfn, 0)::regproc::text AS msfunc, \
         NULLIF(ag.aggminvtransfn, 0)::regproc::text AS minvfunc, \
         CASE WHEN ag.aggmtranstype <> 0 THEN format_type(ag.aggmtranstype, NULL) END AS mstype, \
         ag.aggmtransspace AS msspace, NULLIF(ag.aggmfinalfn, 0)::regproc::text AS mfinalfunc, \
         ag.aggmfinalextra, ag.aggmfinalmodify::text AS mfinalmodify, ag.aggminitval, \
         (SELECT quote_ident(opn.nspname) || '.' || op.oprname FROM pg_operator op \
            JOIN pg_namespace opn ON opn.oid = op.oprnamespace WHERE op.oid = ag.aggsortop) AS sortop \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         JOIN pg_language l ON l.oid = p.prolang {comment} \
         LEFT JOIN pg_aggregate ag ON ag.aggfnoid = p.oid \
         WHERE p.pronamespace = ANY($1) AND p.prokind IN ('f', 'p', 'w', 'a') \
         AND NOT EXISTS (SELECT 1 FROM pg_depend di WHERE di.classid = 'pg_proc'::regclass \
             AND di.objid = p.oid AND di.deptype = 'i')",
        acl = acl_json("p.proacl"),
        comment = comment_join("dsc", "pg_proc", "p.oid"),
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading functions")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_PROC, oid) {
            continue;
        }
        let name = qn(&r, "nspname", "proname");
        let identity_args: String = r.get("ident");
        keys.add(PG_PROC, oid, key::function(&name, &identity_args));
        let config: Vec<(String, String)> = r
            .get::<_, Option<Vec<String>>>("proconfig")
            .unwrap_or_default()
            .into_iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (kv, String::new()),
            })
            .collect();
        let kind: String = r.get("prokind");
        let aggregate = if kind == "a" { Some(aggregate_options(&r)) } else { None };
        cat.functions.push(Function {
            name,
            identity_args,
            arguments: r.get("args"),
            kind,
            result: r.get("result"),
            language: r.get("lanname"),
            volatility: r.get("vol"),
            strict: r.get("proisstrict"),
            security_definer: r.get("prosecdef"),
            leakproof: r.get("proleakproof"),
            parallel: r.get("par"),
            cost: r.get("procost"),
            rows: r.get("prorows"),
            support: r.get("support"),
            config,
            body: r.get("src"),
            object_file: r.get("probin"),
            sql_body: r.get("sqlbody"),
            aggregate,
            meta: Meta {
                owner: r.get("owner"),
                acl: parse_acl(r.get("acl"))?,
                comment: r.get("comment"),
            },
        });
    }
    Ok(())
}

/// The `CREATE AGGREGATE` options of an aggregate's row, as pg_dump writes
/// them (defaults left out, `FINALFUNC_MODIFY` always given with a final
/// function: its default depends on the aggregate's kind).
fn aggregate_options(r: &Row) -> String {
    let modify = |m: &str| match m {
        "s" => "SHAREABLE",
        "w" => "READ_WRITE",
        _ => "READ_ONLY",
    };
    let mut o = vec![
        format!("SFUNC = {}", r.get::<_, String>("sfunc")),
        format!("STYPE = {}", r.get::<_, String>("stype")),
    ];
    let sspace: i32 = r.get("sspace");
    if sspace != 0 {
        o.push(format!("SSPACE = {sspace}"));
    }
    // The final function of the plain (`""`) or moving (`"M"`) form.
    let final_func = |o: &mut Vec<String>, m: &str, cols: [&str; 3]| {
        if let Some(f) = r.get::<_, Option<String>>(cols[0]) {
            o.push(format!("{m}FINALFUNC = {f}"));
            if r.get::<_, bool>(cols[1]) {
                o.push(format!("{m}FINALFUNC_EXTRA"));
            }
            o.push(format!("{m}FINALFUNC_MODIFY = {}", modify(&r.get::<_, String>(cols[2]))));
        }
    };
    final_func(&mut o, "", ["finalfunc", "aggfinalextra", "finalmodify"]);
    for (col, word) in [
        ("combinefunc", "COMBINEFUNC"),
        ("serialfunc", "SERIALFUNC"),
        ("deserialfunc", "DESERIALFUNC"),
    ] {
        if let Some(f) = r.get::<_, Option<String>>(col) {
            o.push(format!("{word} = {f}"));
        }
    }
    if let Some(v) = r.get::<_, Option<String>>("agginitval") {
        o.push(format!("INITCOND = {}", crate::sql::literal(&v)));
    }
    if let Some(f) = r.get::<_, Option<String>>("msfunc") {
        o.push(format!("MSFUNC = {f}"));
        if let Some(f) = r.get::<_, Option<String>>("minvfunc") {
            o.push(format!("MINVFUNC = {f}"));
        }
        if let Some(t) = r.get::<_, Option<String>>("mstype") {
            o.push(format!("MSTYPE = {t}"));
        }
        let msspace: i32 = r.get("msspace");
        if msspace != 0 {
            o.push(format!("MSSPACE = {msspace}"));
        }
        final_func(&mut o, "M", ["mfinalfunc", "aggmfinalextra", "mfinalmodify"]);
        if let Some(v) = r.get::<_, Option<String>>("aggminitval") {
            o.push(format!("MINITCOND = {}", crate::sql::literal(&v)));
        }
    }
    if let Some(op) = r.get::<_, Option<String>>("sortop") {
        o.push(format!("SORTOP = OPERATOR({op})"));
    }
    match r.get::<_, String>("par").as_str() {
        "s" => o.push("PARALLEL = SAFE".into()),
        "r" => o.push("PARALLEL = RESTRICTED".into()),
        _ => {}
    }
    if r.get::<_, Option<String>>("aggkind").as_deref() == Some("h") {
        o.push("HYPOTHETICAL".into());
    }
    o.join(",\n    ")
}

/// Text search dictionaries and configurations (with their token mappings).
async fn read_text_search(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT d.oid, n.nspname, d.dictname AS name, \
         quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname) AS template, \
         d.dictinitoption, pg_get_userbyid(d.dictowner)::text AS owner, dsc.description AS comment \
         FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace \
         JOIN pg_ts_template t ON t.oid = d.dicttemplate \
         JOIN pg_namespace tn ON tn.oid = t.tmplnamespace {comment} \
         WHERE d.dictnamespace = ANY($1)",
        comment = comment_join("dsc", "pg_ts_dict", "d.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading text search dictionaries")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_TS_DICT, oid) {
            continue;
        }
        let ts = TextSearch {
            name: qn(&r, "nspname", "name"),
            kind: TextSearchKind::Dictionary {
                template: r.get("template"),
                options: r.get("dictinitoption"),
            },
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_TS_DICT, oid, key::text_search(&ts));
        cat.text_search.push(ts);
    }
    let sql = format!(
        "SELECT c.oid, n.nspname, c.cfgname AS name, \
         quote_ident(pn.nspname) || '.' || quote_ident(p.prsname) AS parser, \
         pg_get_userbyid(c.cfgowner)::text AS owner, dsc.description AS comment, \
         (SELECT array_agg(m.tok ORDER BY m.maptokentype) FROM (SELECT DISTINCT mm.maptokentype, \
              (SELECT tt.alias FROM ts_token_type(c.cfgparser) tt \
                 WHERE tt.tokid = mm.maptokentype) AS tok \
            FROM pg_ts_config_map mm WHERE mm.mapcfg = c.oid) m) AS tokens, \
         (SELECT array_agg(array_to_string(m.dicts, ',') ORDER BY m.maptokentype) FROM ( \
            SELECT mm.maptokentype, \
              array_agg(quote_ident(dn.nspname) || '.' || quote_ident(dd.dictname) \
                        ORDER BY mm.mapseqno) AS dicts \
            FROM pg_ts_config_map mm JOIN pg_ts_dict dd ON dd.oid = mm.mapdict \
            JOIN pg_namespace dn ON dn.oid = dd.dictnamespace \
            WHERE mm.mapcfg = c.oid GROUP BY mm.maptokentype) m) AS dicts \
         FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace \
         JOIN pg_ts_parser p ON p.oid = c.cfgparser \
         JOIN pg_namespace pn ON pn.oid = p.prsnamespace {comment} \
         WHERE c.cfgnamespace = ANY($1)",
        comment = comment_join("dsc", "pg_ts_config", "c.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading text search configurations")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_TS_CONFIG, oid) {
            continue;
        }
        let tokens: Vec<String> = r.get::<_, Option<Vec<String>>>("tokens").unwrap_or_default();
        let dicts: Vec<String> = r.get::<_, Option<Vec<String>>>("dicts").unwrap_or_default();
        // Dictionary names are quoted identifiers, which cannot hold a comma
        // unquoted; split on commas outside double quotes.
        let mappings = tokens.into_iter().zip(dicts.iter().map(|d| split_names(d))).collect();
        let ts = TextSearch {
            name: qn(&r, "nspname", "name"),
            kind: TextSearchKind::Configuration { parser: r.get("parser"), mappings },
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_TS_CONFIG, oid, key::text_search(&ts));
        cat.text_search.push(ts);
    }
    Ok(())
}

/// Operators (shell operators, which only a forward reference created, are
/// left out: creating the real one fills them in).
async fn read_operators(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let other = |col: &str| {
        format!(
            "(SELECT quote_ident(xn.nspname) || '.' || x.oprname FROM pg_operator x \
             JOIN pg_namespace xn ON xn.oid = x.oprnamespace WHERE x.oid = o.{col})"
        )
    };
    let sql = format!(
        "SELECT o.oid, n.nspname, o.oprname, \
         CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END AS l, \
         format_type(o.oprright, NULL) AS r, o.oprcode::regproc::text AS func, \
         {com} AS com, {neg} AS neg, \
         NULLIF(o.oprrest, 0)::regproc::text AS rest, NULLIF(o.oprjoin, 0)::regproc::text AS jn, \
         o.oprcanhash, o.oprcanmerge, pg_get_userbyid(o.oprowner)::text AS owner, \
         dsc.description AS comment \
         FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace {comment} \
         WHERE o.oprnamespace = ANY($1) AND o.oprcode <> 0",
        com = other("oprcom"),
        neg = other("oprnegate"),
        comment = comment_join("dsc", "pg_operator", "o.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading operators")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_OPERATOR, oid) {
            continue;
        }
        let op = Operator {
            name: qn(&r, "nspname", "oprname"),
            left: r.get("l"),
            right: r.get("r"),
            function: r.get("func"),
            commutator: r.get("com"),
            negator: r.get("neg"),
            restrict: r.get("rest"),
            join: r.get("jn"),
            hashes: r.get("oprcanhash"),
            merges: r.get("oprcanmerge"),
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_OPERATOR, oid, key::operator(&op));
        cat.operators.push(op);
    }
    Ok(())
}

/// Splits `a.b,"c,d".e` at the commas outside double quotes.
fn split_names(list: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (vec![], String::new(), false);
    for ch in list.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

/// Identity sequences, by (table oid, attnum), for the columns that own them.
type Identities = HashMap<(u32, i16), (QualifiedName, [i64; 5], bool)>;

async fn read_sequences(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<Identities> {
    let sql = format!(
        "SELECT c.oid, n.nspname, c.relname, format_type(s.seqtypid, NULL) AS typ, \
         s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, \
         c.relpersistence = 'u' AS unlogged, \
         pg_get_userbyid(c.relowner)::text AS owner, {acl} AS acl, \
         dsc.description AS comment, \
         d.deptype::text AS deptype, d.refobjid AS tbl, d.refobjsubid::int2 AS attnum, \
         CASE WHEN d.deptype = 'a' THEN (SELECT tn.nspname FROM pg_class tc \
            JOIN pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = d.refobjid) END AS tbl_s, \
         CASE WHEN d.deptype = 'a' THEN (SELECT tc.relname FROM pg_class tc \
            WHERE tc.oid = d.refobjid) END AS tbl_n, \
         CASE WHEN d.deptype = 'a' THEN (SELECT ta.attname FROM pg_attribute ta \
            WHERE ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid) END AS tbl_col \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_sequence s ON s.seqrelid = c.oid {comment} \
         LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid \
              AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') \
         WHERE c.relkind = 'S' AND c.relnamespace = ANY($1)",
        acl = acl_json("c.relacl"),
        comment = comment_join("dsc", "pg_class", "c.oid"),
    );
    let mut identities = Identities::new();
    for r in client.query(&sql, &[&ns]).await.ctx("reading sequences")? {
        if keys.is_member(PG_CLASS, r.get("oid")) {
            continue;
        }
        let name = qn(&r, "nspname", "relname");
        let params: [i64; 5] = [
            r.get("seqstart"),
            r.get("seqincrement"),
            r.get("seqmin"),
            r.get("seqmax"),
            r.get("seqcache"),
        ];
        let deptype: Option<String> = r.get("deptype");
        if deptype.as_deref() == Some("i") {
            // Part of an identity column: created with it, keyed as the table.
            let tbl: u32 = r.get("tbl");
            identities.insert((tbl, r.get("attnum")), (name, params, r.get("seqcycle")));
            continue;
        }
        keys.add(PG_CLASS, r.get("oid"), key::sequence(&name));
        let owned_by = match (opt_qn(&r, "tbl_s", "tbl_n"), r.get::<_, Option<String>>("tbl_col")) {
            (Some(t), Some(c)) => Some((t, c)),
            _ => None,
        };
        cat.sequences.push(Sequence {
            name,
            data_type: r.get("typ"),
            start: params[0],
            increment: params[1],
            min_value: params[2],
            max_value: params[3],
            cache: params[4],
            cycle: r.get("seqcycle"),
            unlogged: r.get("unlogged"),
            owned_by,
            meta: Meta {
                owner: r.get("owner"),
                acl: parse_acl(r.get("acl"))?,
                comment: r.get("comment"),
            },
        });
    }
    Ok(identities)
}

async fn read_relations(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT c.oid, c.reltype, rt.typarray, n.nspname, c.relname, c.relkind::text AS relkind, \
         c.relpersistence = 'u' AS unlogged, \
         array_cat(c.reloptions, (SELECT array_agg('toast.' || o) FROM unnest(toast.reloptions) o)) \
            AS reloptions, \
         CASE WHEN c.relkind IN ('r', 'm') AND am.amname <> 'heap' THEN am.amname::text END AS am, \
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey, \
         CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound, \
         par.parent_s, par.parent_n, \
         c.relreplident::text AS replident, \
         CASE WHEN c.relreplident = 'i' THEN (SELECT ic.relname FROM pg_index x \
            JOIN pg_class ic ON ic.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident) \
            END AS replident_index, \
         c.relrowsecurity, c.relforcerowsecurity, c.relispopulated, \
         c.relpages::int8 * current_setting('block_size')::int8 AS size, \
         c.reltuples::float8 AS reltuples, \
         CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS viewdef, \
         pg_get_userbyid(c.relowner)::text AS owner, {acl} AS acl, \
         dsc.description AS comment \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace {comment} \
         LEFT JOIN (SELECT oid, reloptions FROM pg_class WHERE relkind = 't' \
              AND reloptions IS NOT NULL) toast ON toast.oid = c.reltoastrelid \
         LEFT JOIN (SELECT i.inhrelid, \
                array_agg(pn.nspname::text ORDER BY i.inhseqno) AS parent_s, \
                array_agg(pc.relname::text ORDER BY i.inhseqno) AS parent_n \
              FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
              JOIN pg_namespace pn ON pn.oid = pc.relnamespace GROUP BY i.inhrelid) par \
              ON par.inhrelid = c.oid \
         LEFT JOIN pg_am am ON am.oid = c.relam \
         LEFT JOIN pg_type rt ON rt.oid = c.reltype \
         WHERE c.relkind IN ('r', 'p', 'v', 'm') AND c.relnamespace = ANY($1)",
        acl = acl_json("c.relacl"),
        comment = comment_join("dsc", "pg_class", "c.oid"),
    );
    let rows = client.query(&sql, &[&ns]).await.ctx("reading tables and views")?;
    enum Slot {
        Table(usize),
        View(usize),
    }
    let mut slots: HashMap<u32, Slot> = HashMap::new();
    for r in &rows {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_CLASS, oid) {
            continue;
        }
        let name = qn(r, "nspname", "relname");
        let k = key::relation(&name);
        keys.add(PG_CLASS, oid, k.clone());
        keys.add(PG_TYPE, r.get("reltype"), k.clone());
        if let Some(arr) = r.get::<_, Option<u32>>("typarray") {
            keys.add(PG_TYPE, arr, k.clone());
        }
        let meta = Meta {
            owner: r.get("owner"),
            acl: parse_acl(r.get("acl"))?,
            comment: r.get("comment"),
        };
        let options: Vec<String> =
            r.get::<_, Option<Vec<String>>>("reloptions").unwrap_or_default();
        let relkind: String = r.get("relkind");
        if relkind == "v" || relkind == "m" {
            let def: String = r.get("viewdef");
            slots.insert(oid, Slot::View(cat.views.len()));
            cat.views.push(View {
                name,
                materialized: relkind == "m",
                definition: def.trim_end().trim_end_matches(';').to_string(),
                options,
                columns: vec![],
                populated: r.get("relispopulated"),
                meta,
            });
            continue;
        }
        let parents: Vec<QualifiedName> = match (
            r.get::<_, Option<Vec<String>>>("parent_s"),
            r.get::<_, Option<Vec<String>>>("parent_n"),
        ) {
            (Some(s), Some(n)) => {
                s.into_iter().zip(n).map(|(s, n)| QualifiedName::new(s, n)).collect()
            }
            _ => vec![],
        };
        let bound: Option<String> = r.get("bound");
        let (partition_of, inherits) = match bound {
            Some(bound) => {
                let parent = parents.into_iter().next().ok_or_else(|| {
                    Error::Unsupported(format!("partition {name} without a parent"))
                })?;
                (Some(PartitionOf { parent, bound }), vec![])
            }
            None => (None, parents),
        };
        slots.insert(oid, Slot::Table(cat.tables.len()));
        cat.tables.push(Table {
            name,
            unlogged: r.get("unlogged"),
            options,
            access_method: r.get("am"),
            columns: vec![],
            partition_key: r.get("partkey"),
            partition_of,
            inherits,
            constraints: vec![],
            replica_identity: r.get("replident"),
            replica_identity_index: r.get("replident_index"),
            rls_enabled: r.get("relrowsecurity"),
            rls_forced: r.get("relforcerowsecurity"),
            policies: vec![],
            size_bytes: r.get("size"),
            est_rows: r.get("reltuples"),
            meta,
        });
    }

    for (oid, slot) in slots {
        match slot {
            Slot::Table(i) => {
                keys.tables.insert(oid, i);
            }
            Slot::View(i) => {
                keys.views.insert(oid, i);
            }
        }
    }
    Ok(())
}

/// A column as read, before it is attached to its table or view.
struct RawColumn {
    relid: u32,
    attnum: i16,
    /// `pg_attrdef` oid of its default or generation expression.
    adoid: Option<u32>,
    /// `attidentity`: empty, `a` or `d` (the sequence is attached later).
    identity: String,
    column: Column,
}

/// Every column of the given tables and views, in no particular order.
async fn fetch_columns(client: &Client, oids: &[u32]) -> Result<Vec<RawColumn>> {
    // No ORDER BY: sorting 100,000 wide rows spilled to disk on the server;
    // the client sorts the narrow (relid, attnum) pairs instead.
    let sql = format!(
        "SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS typ, \
         a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid) AS expr, ad.oid AS adoid, \
         a.attidentity::text AS identity, a.attgenerated::text AS generated, \
         acn.nspname AS a_cns, aco.collname AS a_cn, \
         CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage, \
         CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression, \
         NULLIF(a.attstattarget::int, -1) AS stattarget, a.attoptions, a.attislocal, \
         dsc.description AS comment, {acl} AS acl, \
         (t.typtype = 'c' OR t.typsend::oid = 0 OR (t.typelem <> 0 AND (t.typelem >= 16384 OR et.typtype = 'c')) \
          OR (t.typtype = 'd' AND (bt.typtype = 'c' OR bt.typsend::oid = 0 OR bt.typelem >= 16384))) AS binary_unsafe \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_type et ON et.oid = t.typelem LEFT JOIN pg_type bt ON bt.oid = t.typbasetype \
         LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
         LEFT JOIN pg_description dsc ON dsc.objoid = a.attrelid \
              AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = a.attnum \
         LEFT JOIN pg_collation aco ON aco.oid = a.attcollation AND a.attcollation <> t.typcollation \
         LEFT JOIN pg_namespace acn ON acn.oid = aco.collnamespace \
         WHERE a.attrelid = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped",
        acl = acl_json("a.attacl"),
    );
    let mut out = Vec::with_capacity(oids.len() * 8);
    each_row(client, &sql, &[&oids], "reading columns", |r| {
        let expr: Option<String> = r.get("expr");
        let generated: String = r.get("generated");
        let (default, generated) = if generated.is_empty() { (expr, None) } else { (None, expr) };
        out.push(RawColumn {
            relid: r.get("attrelid"),
            attnum: r.get("attnum"),
            adoid: r.get("adoid"),
            identity: r.get("identity"),
            column: Column {
                name: r.get("attname"),
                type_name: r.get("typ"),
                not_null: r.get("attnotnull"),
                default,
                identity: None,
                generated,
                collation: opt_qn(&r, "a_cns", "a_cn"),
                storage: r.get("storage"),
                compression: r.get("compression"),
                statistics: r.get("stattarget"),
                options: r.get::<_, Option<Vec<String>>>("attoptions").unwrap_or_default(),
                is_local: r.get("attislocal"),
                binary_unsafe: r.get("binary_unsafe"),
                comment: r.get("comment"),
                acl: parse_acl(r.get("acl"))?,
            },
        });
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Puts columns on their tables and views, in `attnum` order, with their
/// identity sequences, and records the keys of their defaults.
fn attach_columns(
    cat: &mut Catalog,
    keys: &mut Keys,
    mut identities: Identities,
    raw: Vec<RawColumn>,
) -> Result<()> {
    // Sorting the (large) columns themselves moved hundreds of megabytes.
    let mut order: Vec<(u32, i16, usize)> =
        raw.iter().enumerate().map(|(i, c)| (c.relid, c.attnum, i)).collect();
    order.sort_unstable();
    let mut raw: Vec<Option<RawColumn>> = raw.into_iter().map(Some).collect();
    let mut last_relid = None;
    for (n, &(_, _, i)) in order.iter().enumerate() {
        let Some(RawColumn { relid, attnum, adoid, identity, mut column }) = raw[i].take() else {
            continue;
        };
        let first_of_relation = last_relid != Some(relid);
        last_relid = Some(relid);
        if let Some(&i) = keys.tables.get(&relid) {
            let t = &mut cat.tables[i];
            if first_of_relation {
                let count = order[n..].iter().take_while(|(r, _, _)| *r == relid).count();
                t.columns.reserve_exact(count);
            }
            if let Some(adoid) = adoid {
                let k = if column.generated.is_some() {
                    key::relation(&t.name)
                } else {
                    key::default(&t.name, &column.name)
                };
                keys.add(PG_ATTRDEF, adoid, k);
            }
            if !identity.is_empty() {
                let (sequence, p, cycle) =
                    identities.remove(&(relid, attnum)).ok_or_else(|| {
                        Error::Unsupported(format!(
                            "identity column {}.{} without its sequence",
                            t.name, column.name
                        ))
                    })?;
                column.identity = Some(Identity {
                    always: identity == "a",
                    sequence,
                    start: p[0],
                    increment: p[1],
                    min_value: p[2],
                    max_value: p[3],
                    cache: p[4],
                    cycle,
                });
            }
            t.columns.push(column);
        } else if let Some(&i) = keys.views.get(&relid) {
            let v = &mut cat.views[i];
            if let Some(adoid) = adoid {
                keys.add(PG_ATTRDEF, adoid, key::default(&v.name, &column.name));
            }
            v.columns.push(ViewColumn {
                name: column.name,
                type_name: column.type_name,
                default: column.default,
                comment: column.comment,
                acl: column.acl,
            });
        }
    }
    Ok(())
}

/// A constraint as read, before it is attached to its table.
struct RawConstraint {
    oid: u32,
    conrelid: u32,
    /// The index behind a PRIMARY KEY, UNIQUE or EXCLUDE constraint.
    conindid: u32,
    constraint: Constraint,
}

async fn fetch_constraints(client: &Client, oids: &[u32]) -> Result<Vec<RawConstraint>> {
    let sql = "SELECT co.oid, co.conrelid, co.conname, co.contype::text AS contype, \
               pg_get_constraintdef(co.oid) AS def, co.convalidated, co.conislocal, \
               co.conparentid <> 0 AS has_parent, dsc.description AS comment, \
               rn.nspname AS ref_s, rc.relname AS ref_n, \
               CASE WHEN co.contype IN ('p', 'u', 'x') THEN ic.relname END AS idx, co.conindid, \
               CASE WHEN co.contype IN ('p', 'u', 'x') THEN pg_get_indexdef(co.conindid) END AS idxdef, \
               co.condeferrable, co.condeferred, \
               (SELECT pn.nspname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
                  JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
                  WHERE i.inhrelid = co.conindid AND co.contype IN ('p', 'u', 'x')) AS pidx_s, \
               (SELECT pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
                  WHERE i.inhrelid = co.conindid AND co.contype IN ('p', 'u', 'x')) AS pidx_n \
               FROM pg_constraint co \
               LEFT JOIN pg_class rc ON rc.oid = co.confrelid AND co.contype = 'f' \
               LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
               LEFT JOIN pg_class ic ON ic.oid = co.conindid \
               LEFT JOIN pg_description dsc ON dsc.objoid = co.oid \
                    AND dsc.classoid = 'pg_constraint'::regclass AND dsc.objsubid = 0 \
               WHERE co.conrelid = ANY($1) AND co.contype IN ('p', 'u', 'c', 'f', 'x')";
    let mut out = Vec::with_capacity(oids.len() * 2);
    each_row(client, sql, &[&oids], "reading constraints", |r| {
        out.push(RawConstraint {
            oid: r.get("oid"),
            conrelid: r.get("conrelid"),
            conindid: r.get("conindid"),
            constraint: Constraint {
                name: r.get("conname"),
                kind: r.get("contype"),
                definition: r.get("def"),
                validated: r.get("convalidated"),
                is_local: r.get("conislocal"),
                has_parent: r.get("has_parent"),
                comment: r.get("comment"),
                references: opt_qn(&r, "ref_s", "ref_n"),
                index: r.get("idx"),
                index_definition: r.get("idxdef"),
                deferrable: r.get("condeferrable"),
                deferred: r.get("condeferred"),
                index_parent: opt_qn(&r, "pidx_s", "pidx_n"),
            },
        });
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Puts constraints on their tables (sorted later by [`Catalog::sort`]).
fn attach_constraints(cat: &mut Catalog, keys: &mut Keys, raw: Vec<RawConstraint>) {
    for RawConstraint { oid, conrelid, conindid, constraint } in raw {
        let Some(&ti) = keys.tables.get(&conrelid) else { continue };
        let t = &mut cat.tables[ti];
        let k = key::constraint(&t.name, &constraint.name);
        if matches!(constraint.kind.as_str(), "p" | "u" | "x") {
            // Whatever depends on the backing index depends on the constraint.
            keys.add(PG_CLASS, conindid, k.clone());
        }
        keys.add(PG_CONSTRAINT, oid, k);
        t.constraints.push(constraint);
    }
}

/// Indexes that no constraint owns, with their `pg_class` oids.
async fn fetch_indexes(client: &Client, oids: &[u32]) -> Result<Vec<(u32, Index)>> {
    let sql = "SELECT x.indexrelid, n.nspname, ic.relname, tn.nspname AS tbl_s, tc.relname AS tbl_n, \
               pg_get_indexdef(x.indexrelid) AS def, x.indisunique, x.indisclustered, \
               tc.relkind = 'm' AS on_matview, dsc.description AS comment, \
               (SELECT pn.nspname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
                  JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = x.indexrelid) AS p_s, \
               (SELECT pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
                  WHERE i.inhrelid = x.indexrelid) AS p_n \
               FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid \
               JOIN pg_namespace n ON n.oid = ic.relnamespace \
               JOIN pg_class tc ON tc.oid = x.indrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
               LEFT JOIN pg_description dsc ON dsc.objoid = x.indexrelid \
                    AND dsc.classoid = 'pg_class'::regclass AND dsc.objsubid = 0 \
               WHERE x.indrelid = ANY($1) AND tc.relkind IN ('r', 'p', 'm') \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid \
                   AND co.contype IN ('p', 'u', 'x'))";
    let mut out = Vec::with_capacity(oids.len());
    each_row(client, sql, &[&oids], "reading indexes", |r| {
        out.push((
            r.get("indexrelid"),
            Index {
                name: qn(&r, "nspname", "relname"),
                table: qn(&r, "tbl_s", "tbl_n"),
                definition: r.get("def"),
                unique: r.get("indisunique"),
                clustered: r.get("indisclustered"),
                parent: opt_qn(&r, "p_s", "p_n"),
                on_matview: r.get("on_matview"),
                comment: r.get("comment"),
            },
        ));
        Ok(())
    })
    .await?;
    Ok(out)
}

fn attach_indexes(cat: &mut Catalog, keys: &mut Keys, raw: Vec<(u32, Index)>) {
    cat.indexes.reserve(raw.len());
    for (oid, index) in raw {
        keys.add(PG_CLASS, oid, key::index(&index.name));
        cat.indexes.push(index);
    }
}

async fn read_triggers_rules_policies(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT t.oid, tn.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) AS def, \
         t.tgenabled::text AS enabled, dsc.description AS comment \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_namespace tn ON tn.oid = c.relnamespace {comment} \
         WHERE c.relnamespace = ANY($1) AND NOT t.tgisinternal AND t.tgparentid = 0",
        comment = comment_join("dsc", "pg_trigger", "t.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading triggers")? {
        let table = qn(&r, "nspname", "relname");
        let name: String = r.get("tgname");
        keys.add(PG_TRIGGER, r.get("oid"), key::trigger(&table, &name));
        cat.triggers.push(Trigger {
            name,
            table,
            definition: r.get("def"),
            enabled: r.get("enabled"),
            comment: r.get("comment"),
        });
    }
    let sql = "SELECT w.oid, n.nspname, c.relname, w.rulename, w.ev_class, w.ev_type::text AS evtype, \
               pg_get_ruledef(w.oid) AS def, w.ev_enabled::text AS enabled, \
               obj_description(w.oid, 'pg_rewrite') AS comment, c.relkind::text AS relkind \
               FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relnamespace = ANY($1)";
    for r in client.query(sql, &[&ns]).await.ctx("reading rules")? {
        let table = qn(&r, "nspname", "relname");
        let name: String = r.get("rulename");
        if name == "_RETURN" {
            keys.add(PG_REWRITE, r.get("oid"), key::relation(&table));
            continue;
        }
        keys.add(PG_REWRITE, r.get("oid"), key::rule(&table, &name));
        let def: String = r.get("def");
        cat.rules.push(Rule {
            name,
            table,
            definition: def.trim_end().trim_end_matches(';').to_string(),
            enabled: r.get("enabled"),
            comment: r.get("comment"),
        });
    }
    let sql = "SELECT p.oid, p.polrelid, p.polname, p.polpermissive, p.polcmd::text AS cmd, \
               ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r)::text END \
                     FROM unnest(p.polroles) r ORDER BY 1) AS roles, \
               pg_get_expr(p.polqual, p.polrelid) AS qual, \
               pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck, \
               obj_description(p.oid, 'pg_policy') AS comment \
               FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
               WHERE c.relnamespace = ANY($1) ORDER BY p.polrelid, p.polname";
    for r in client.query(sql, &[&ns]).await.ctx("reading policies")? {
        let Some(&ti) = keys.tables.get(&r.get::<_, u32>("polrelid")) else { continue };
        let t = &mut cat.tables[ti];
        let name: String = r.get("polname");
        keys.add(PG_POLICY, r.get("oid"), key::policy(&t.name, &name));
        t.policies.push(Policy {
            name,
            permissive: r.get("polpermissive"),
            command: r.get("cmd"),
            roles: r.get("roles"),
            using: r.get("qual"),
            with_check: r.get("wcheck"),
            comment: r.get("comment"),
        });
    }
    Ok(())
}

async fn read_statistics(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT s.oid, n.nspname, s.stxname, tn.nspname AS tbl_s, c.relname AS tbl_n, \
         pg_get_statisticsobjdef(s.oid) AS def, \
         NULLIF((to_jsonb(s) ->> 'stxstattarget')::int, -1) AS target, \
         pg_get_userbyid(s.stxowner)::text AS owner, \
         obj_description(s.oid, 'pg_statistic_ext') AS comment \
         FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace \
         JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace tn ON tn.oid = c.relnamespace \
         WHERE s.stxnamespace = ANY($1) AND {ext}",
        ext = not_ext_member("pg_statistic_ext", "s.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading statistics objects")? {
        let name = qn(&r, "nspname", "stxname");
        keys.add(PG_STATISTIC_EXT, r.get("oid"), key::statistics(&name));
        cat.statistics.push(Statistics {
            name,
            table: qn(&r, "tbl_s", "tbl_n"),
            definition: r.get("def"),
            target: r.get("target"),
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        });
    }
    Ok(())
}

/// The `pg_depend` edges between user objects, as (classid, objid,
/// refclassid, refobjid).
async fn fetch_depends(client: &Client) -> Result<Vec<[u32; 4]>> {
    // Only user objects: system objects (oid < 16384) are always there.
    let rows = client
        .query(
            "SELECT classid, objid, refclassid, refobjid FROM pg_depend \
             WHERE deptype IN ('n', 'a') AND objid >= 16384 AND refobjid >= 16384",
            &[],
        )
        .await
        .ctx("reading dependencies")?;
    Ok(rows.iter().map(|r| [r.get(0), r.get(1), r.get(2), r.get(3)]).collect())
}

/// Turns `pg_depend` edges into key-to-key edges between objects of the
/// model (and the extensions whose members they use).
fn build_depends(keys: &Keys, edges: &[[u32; 4]]) -> BTreeMap<String, BTreeSet<String>> {
    let mut pairs: Vec<(&str, &str)> = edges
        .iter()
        .filter_map(|&[class, oid, refclass, refoid]| {
            // A column's dependency (objsubid > 0) belongs to its table's key.
            let from = keys.get(class, oid)?;
            let to =
                keys.get(refclass, refoid).or_else(|| keys.members.get(&(refclass, refoid)))?;
            (from != to).then_some((from.as_str(), to.as_str()))
        })
        .collect();
    // Sorted and grouped, so each key is allocated once and both maps are
    // built in bulk.
    pairs.sort_unstable();
    pairs.dedup();
    pairs
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| {
            let to: BTreeSet<String> = group.iter().map(|(_, to)| to.to_string()).collect();
            (group[0].0.to_string(), to)
        })
        .collect()
}
