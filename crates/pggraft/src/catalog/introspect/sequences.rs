//! Sequences, with the column that owns one (`OWNED BY`). Identity
//! sequences are not objects of their own: they are handed to
//! [`super::columns`], which puts them on their columns.

use std::collections::HashMap;

use tokio_postgres::Client;

use super::{Keys, PG_CLASS, acl_json, comment_join, opt_qn, parse_acl, qn};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};
use crate::sql::QualifiedName;

/// Identity sequences, by (table oid, attnum), for the columns that own them.
/// Identity sequences by (table oid, column number): name, start/increment/min/max/cache,
/// cycle, privileges.
pub(super) type Identities =
    HashMap<(u32, i16), (QualifiedName, [i64; 5], bool, Option<Vec<Grant>>)>;

pub(super) async fn read_sequences(
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
            let acl = parse_acl(r.get("acl"))?;
            identities.insert((tbl, r.get("attnum")), (name, params, r.get("seqcycle"), acl));
            continue;
        }
        keys.add(PG_CLASS, r.get("oid"), key::sequence(&name));
        let owned_by = match (opt_qn(&r, "tbl_s", "tbl_n"), r.get::<_, Option<String>>("tbl_col")) {
            // Owned by an extension's table: that table is not copied.
            (Some(_), Some(_)) if keys.is_member_relation(r.get("tbl")) => None,
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
