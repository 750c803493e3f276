//! Table constraints (primary keys, unique, check, foreign keys,
//! exclusion), read for a shard of the tables and put on them. The index
//! behind a key is keyed as the constraint. Domain constraints are
//! [`super::types`]'s.

use tokio_postgres::Client;

use super::{Keys, PG_CLASS, PG_CONSTRAINT, each_row, opt_qn};
use crate::catalog::model::*;
use crate::error::Result;

/// A constraint as read, before it is attached to its table.
pub(super) struct RawConstraint {
    oid: u32,
    conrelid: u32,
    /// The index behind a PRIMARY KEY, UNIQUE or EXCLUDE constraint.
    conindid: u32,
    constraint: Constraint,
}

pub(super) async fn fetch_constraints(client: &Client, oids: &[u32]) -> Result<Vec<RawConstraint>> {
    let sql = "SELECT co.oid, co.conrelid, co.conname, co.contype::text AS contype, \
               pg_get_constraintdef(co.oid) AS def, co.convalidated, co.conislocal, \
               co.conparentid <> 0 AS has_parent, dsc.description AS comment, \
               rn.nspname AS ref_s, rc.relname AS ref_n, \
               CASE WHEN co.contype IN ('p', 'u', 'x') THEN ic.relname END AS idx, co.conindid, \
               CASE WHEN co.contype IN ('p', 'u', 'x') THEN pg_get_indexdef(co.conindid) END AS idxdef, \
               co.condeferrable, co.condeferred, coalesce(cx.indisclustered, false) AS clustered, \
               (SELECT pn.nspname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
                  JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
                  WHERE i.inhrelid = co.conindid AND co.contype IN ('p', 'u', 'x')) AS pidx_s, \
               (SELECT pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
                  WHERE i.inhrelid = co.conindid AND co.contype IN ('p', 'u', 'x')) AS pidx_n \
               FROM pg_constraint co \
               LEFT JOIN pg_class rc ON rc.oid = co.confrelid AND co.contype = 'f' \
               LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
               LEFT JOIN pg_class ic ON ic.oid = co.conindid \
               LEFT JOIN pg_index cx ON cx.indexrelid = co.conindid AND co.contype IN ('p', 'u', 'x') \
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
                clustered: r.get("clustered"),
            },
        });
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Puts constraints on their tables (sorted later by [`Catalog::sort`]).
pub(super) fn attach_constraints(cat: &mut Catalog, keys: &mut Keys, raw: Vec<RawConstraint>) {
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
