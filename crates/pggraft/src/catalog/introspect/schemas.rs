//! Schemas (owners, privileges, comments) and their default privileges.
//! Reading them first tells the other queries which namespaces to read.

use tokio_postgres::Client;

use super::{Keys, PG_NAMESPACE, acl_json, not_ext_member, parse_acl};
use crate::catalog::model::*;
use crate::error::{Error, PgResultExt, Result};
use crate::select::SchemaFilter;

/// The schemas admitted by `filter` (pggraft's own only when asked for by
/// name), with their oids in `cat.schemas` order. A schema named without
/// wildcards that does not exist is an error.
pub(super) async fn read_schemas(
    client: &Client,
    filter: &SchemaFilter,
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<Vec<u32>> {
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
        // schema, unless asked for by name; a clone's temporary build
        // schemas never are, unless named exactly.
        let named = || filter.include.iter().any(|p| !p.is_wildcard() && p.as_str() == name);
        if !filter.admits(&name)
            || (name == "pggraft" && filter.include.is_empty())
            || (crate::cleanup::is_build_schema(&name) && !named())
        {
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
    Ok(ns_oids)
}

/// `ALTER DEFAULT PRIVILEGES … IN SCHEMA` entries of the schemas read.
/// `ns` lists the schemas in `cat.schemas` order.
pub(super) async fn read_default_privileges(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
) -> Result<()> {
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
