//! Indexes that no constraint owns (those are [`super::constraints`]'s),
//! with their partitioned parents and the statistics targets of their
//! expression columns, read for a shard of the tables.

use tokio_postgres::Client;

use super::{Keys, PG_CLASS, each_row, opt_qn, qn};
use crate::catalog::model::*;
use crate::error::Result;

/// Indexes that no constraint owns, with their `pg_class` oids.
pub(super) async fn fetch_indexes(client: &Client, oids: &[u32]) -> Result<Vec<(u32, Index)>> {
    let sql = "SELECT x.indexrelid, n.nspname, ic.relname, tn.nspname AS tbl_s, tc.relname AS tbl_n, \
               pg_get_indexdef(x.indexrelid) AS def, x.indisunique, x.indisclustered, \
               tc.relkind = 'm' AS on_matview, dsc.description AS comment, \
               (SELECT array_agg(a.attnum::int4 || ':' || a.attstattarget::int4 ORDER BY a.attnum) \
                  FROM pg_attribute a WHERE a.attrelid = x.indexrelid \
                  AND a.attstattarget IS NOT NULL AND a.attstattarget::int4 <> -1) AS stats, \
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
                statistics: parse_stats(r.get("stats")),
                comment: r.get("comment"),
            },
        ));
        Ok(())
    })
    .await?;
    Ok(out)
}

/// `attnum:target` pairs, as the query gives them. A PostgreSQL 17+
/// default target is NULL, before it -1: neither is listed.
fn parse_stats(v: Option<Vec<String>>) -> Vec<(i16, i32)> {
    v.unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let (n, t) = s.split_once(':')?;
            Some((n.parse().ok()?, t.parse().ok()?))
        })
        .collect()
}

pub(super) fn attach_indexes(cat: &mut Catalog, keys: &mut Keys, raw: Vec<(u32, Index)>) {
    cat.indexes.reserve(raw.len());
    for (oid, index) in raw {
        keys.add(PG_CLASS, oid, key::index(&index.name));
        cat.indexes.push(index);
    }
}
