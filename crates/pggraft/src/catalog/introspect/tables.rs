//! Tables (foreign tables too, with their server and options) and views
//! (plain and materialized): persistence, options, access method,
//! partitioning and inheritance, the type of a typed table, replica identity,
//! row-level security, size estimates, view definitions. Their columns,
//! constraints and indexes are read per shard by [`super::columns`],
//! [`super::constraints`] and [`super::indexes`]; this records where each
//! table and view sits in the model so they can be attached.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::{Keys, PG_CLASS, PG_TYPE, acl_json, comment_join, opt_qn, parse_acl, qn};
use crate::catalog::model::*;
use crate::error::{Error, PgResultExt, Result};
use crate::sql::QualifiedName;

pub(super) async fn read_relations(
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
         CASE WHEN c.relkind IN ('r', 'm') AND am.amname <> 'heap' THEN am.amname::text \
              WHEN c.relkind = 'p' THEN am.amname::text END AS am, \
         CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey, \
         CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound, \
         par.parent_s, par.parent_n, \
         c.relreplident::text AS replident, \
         CASE WHEN c.relreplident = 'i' THEN (SELECT ic.relname FROM pg_index x \
            JOIN pg_class ic ON ic.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident) \
            END AS replident_index, \
         c.relrowsecurity, c.relforcerowsecurity, c.relispopulated, \
         ofn.nspname AS of_s, oft.typname AS of_n, \
         fsv.srvname AS ft_server, ft.ftoptions, \
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
         LEFT JOIN pg_type oft ON oft.oid = c.reloftype \
         LEFT JOIN pg_namespace ofn ON ofn.oid = oft.typnamespace \
         LEFT JOIN pg_foreign_table ft ON ft.ftrelid = c.oid \
         LEFT JOIN pg_foreign_server fsv ON fsv.oid = ft.ftserver \
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relnamespace = ANY($1)",
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
            of_type: opt_qn(r, "of_s", "of_n"),
            foreign: r.get::<_, Option<String>>("ft_server").map(|server| ForeignTable {
                server,
                options: FdwOptions::from_catalog(r.get("ftoptions")),
            }),
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
