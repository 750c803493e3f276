//! Collations and types (enums, domains with their constraints, ranges with
//! their multiranges, composite types with their attributes, base types with
//! their I/O functions, shell types).

use std::collections::HashMap;

use tokio_postgres::Client;

use super::{
    Keys, PG_CLASS, PG_COLLATION, PG_CONSTRAINT, PG_TYPE, acl_json, comment_join, not_ext_member,
    opt_qn, parse_acl, qn,
};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

pub(super) async fn read_collations(
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
        let provider: String = r.get("provider");
        let (mut lc_collate, mut lc_ctype, mut icu_locale): (
            Option<String>,
            Option<String>,
            Option<String>,
        ) = (r.get("collcollate"), r.get("collctype"), r.get("icu"));
        // PostgreSQL 14 keeps an ICU collation's locale in collcollate (15 has a column of
        // its own and leaves collcollate NULL): one model, whichever server it came from.
        if provider == "i" && icu_locale.is_none() {
            icu_locale = lc_collate.take();
            lc_ctype = None;
        }
        cat.collations.push(Collation {
            name,
            provider,
            deterministic: r.get("collisdeterministic"),
            lc_collate,
            lc_ctype,
            icu_locale,
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

pub(super) async fn read_types(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT t.oid, t.typarray, t.typrelid, n.nspname, t.typname, t.typtype::text AS typtype, \
         pg_get_userbyid(t.typowner)::text AS owner, {acl} AS acl, \
         dsc.description AS comment, \
         CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base, \
         t.typnotnull, \
         (SELECT co.conname::text FROM pg_constraint co WHERE co.contypid = t.oid \
            AND co.contype = 'n' AND co.conname <> t.typname || '_not_null') AS nn_name, \
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
         r.rngmultitypid AS mr_oid, (SELECT m.typarray FROM pg_type m WHERE m.oid = r.rngmultitypid) AS mr_array, \
         t.typisdefined, t.typinput::regproc::text AS f_in, t.typoutput::regproc::text AS f_out, \
         NULLIF(t.typreceive, 0)::regproc::text AS f_recv, NULLIF(t.typsend, 0)::regproc::text AS f_send, \
         NULLIF(t.typmodin, 0)::regproc::text AS f_tmin, NULLIF(t.typmodout, 0)::regproc::text AS f_tmout, \
         NULLIF(t.typanalyze, 0)::regproc::text AS f_analyze, \
         NULLIF(t.typsubscript, 0)::regproc::text AS f_subscript, \
         t.typlen, t.typbyval, t.typalign::text AS align, t.typstorage::text AS storage, \
         t.typcategory::text AS category, t.typispreferred, t.typdelim::text AS delim, \
         CASE WHEN t.typelem <> 0 THEN format_type(t.typelem, NULL) END AS elem, \
         t.typdefault, t.typcollation <> 0 AS collatable \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         {comment} \
         LEFT JOIN pg_type bt ON bt.oid = t.typbasetype \
         LEFT JOIN pg_range r ON r.rngtypid = t.oid \
         LEFT JOIN pg_type st ON st.oid = r.rngsubtype \
         WHERE t.typnamespace = ANY($1) \
         AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND \
              (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c') \
              OR (t.typtype = 'p' AND NOT t.typisdefined) \
              OR (t.typtype = 'b' AND NOT (t.typelem <> 0 AND EXISTS (SELECT 1 FROM pg_type e \
                  WHERE e.oid = t.typelem AND e.typarray = t.oid))))",
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
                    not_null_name: r.get("nn_name"),
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
            "p" => TypeKind::Shell,
            "b" => TypeKind::Base(Box::new(BaseType {
                input: r.get("f_in"),
                output: r.get("f_out"),
                receive: r.get("f_recv"),
                send: r.get("f_send"),
                typmod_in: r.get("f_tmin"),
                typmod_out: r.get("f_tmout"),
                analyze: r.get("f_analyze"),
                subscript: r.get("f_subscript"),
                length: r.get("typlen"),
                by_value: r.get("typbyval"),
                alignment: r.get("align"),
                storage: r.get("storage"),
                category: r.get("category"),
                preferred: r.get("typispreferred"),
                delimiter: r.get("delim"),
                element: r.get("elem"),
                default: r.get("typdefault"),
                collatable: r.get("collatable"),
            })),
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

/// A base type and its I/O functions depend on each other (the functions take or return the
/// type; the type names the functions): the functions depend on the type's shell instead,
/// which the type's definition depends on, so the model orders without a cycle.
pub(super) fn untangle_base_types(cat: &mut Catalog) {
    for t in cat.types.iter().filter(|t| matches!(t.kind, TypeKind::Base(_))) {
        let k = key::type_(&t.name);
        let shell = key::shell_type(&t.name);
        let functions: Vec<String> = cat
            .depends
            .get(&k)
            .into_iter()
            .flatten()
            .filter(|f| cat.depends.get(*f).is_some_and(|d| d.contains(&k)))
            .cloned()
            .collect();
        for f in functions {
            if let Some(d) = cat.depends.get_mut(&f) {
                d.remove(&k);
                d.insert(shell.clone());
            }
        }
        cat.depends.entry(k).or_default().insert(shell);
    }
}
