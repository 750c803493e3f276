//! Columns of tables and views: read for a shard of them in one streamed
//! query, then put on their relations in `attnum` order with their identity
//! sequences (from [`super::sequences`]) and the keys of their defaults.

use tokio_postgres::Client;

use super::sequences::Identities;
use super::{Keys, PG_ATTRDEF, acl_json, each_row, opt_qn, parse_acl};
use crate::catalog::model::*;
use crate::error::{Error, Result};

/// A column as read, before it is attached to its table or view.
pub(super) struct RawColumn {
    relid: u32,
    attnum: i16,
    /// `pg_attrdef` oid of its default or generation expression.
    adoid: Option<u32>,
    /// `attidentity`: empty, `a` or `d` (the sequence is attached later).
    identity: String,
    column: Column,
}

/// Every column of the given tables and views, in no particular order.
pub(super) async fn fetch_columns(client: &Client, oids: &[u32]) -> Result<Vec<RawColumn>> {
    // No ORDER BY: sorting 100,000 wide rows spilled to disk on the server;
    // the client sorts the narrow (relid, attnum) pairs instead.
    let sql = format!(
        "SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS typ, \
         a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid) AS expr, ad.oid AS adoid, \
         CASE WHEN nn.conname <> rc.relname || '_' || a.attname || '_not_null' \
              AND (a.attislocal OR rc.relispartition) THEN nn.conname::text END AS nn_name, \
         coalesce(NOT nn.convalidated, false) AS nn_invalid, \
         coalesce(nn.connoinherit, false) AS nn_no_inherit, \
         a.attidentity::text AS identity, a.attgenerated::text AS generated, \
         acn.nspname AS a_cns, aco.collname AS a_cn, \
         CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text END AS storage, \
         CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS compression, \
         NULLIF(a.attstattarget::int, -1) AS stattarget, a.attoptions, a.attfdwoptions, a.attislocal, \
         dsc.description AS comment, {acl} AS acl, \
         (t.typtype = 'c' OR t.typsend::oid = 0 OR (t.typelem <> 0 AND (t.typelem >= 16384 OR et.typtype = 'c')) \
          OR (t.typtype = 'd' AND (bt.typtype = 'c' OR bt.typsend::oid = 0 OR bt.typelem >= 16384))) AS binary_unsafe \
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
         JOIN pg_class rc ON rc.oid = a.attrelid \
         LEFT JOIN pg_constraint nn ON nn.conrelid = a.attrelid AND nn.contype = 'n' \
              AND nn.conkey[1] = a.attnum \
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
        let generated_kind: String = r.get("generated");
        let (default, generated) =
            if generated_kind.is_empty() { (expr, None) } else { (None, expr) };
        out.push(RawColumn {
            relid: r.get("attrelid"),
            attnum: r.get("attnum"),
            adoid: r.get("adoid"),
            identity: r.get("identity"),
            column: Column {
                name: r.get("attname"),
                type_name: r.get("typ"),
                not_null: r.get("attnotnull"),
                not_null_name: r.get("nn_name"),
                not_null_invalid: r.get("nn_invalid"),
                not_null_no_inherit: r.get("nn_no_inherit"),
                default,
                identity: None,
                generated,
                generated_virtual: generated_kind == "v",
                collation: opt_qn(&r, "a_cns", "a_cn"),
                storage: r.get("storage"),
                compression: r.get("compression"),
                statistics: r.get("stattarget"),
                options: r.get::<_, Option<Vec<String>>>("attoptions").unwrap_or_default(),
                fdw_options: FdwOptions::from_catalog(r.get("attfdwoptions")),
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
pub(super) fn attach_columns(
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
            // From PostgreSQL 17 a partition's column shows its parent's identity, and
            // has no sequence of its own: the identity is the parent's (as before 17, when
            // partitions did not show it), created with the partition.
            let inherited = t.partition_of.is_some() && !identities.contains_key(&(relid, attnum));
            if !identity.is_empty() && !inherited {
                let (sequence, p, cycle, acl) =
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
                    acl,
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
