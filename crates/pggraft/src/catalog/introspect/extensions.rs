//! Extensions, and which objects belong to one: members are left out of the
//! model by the other queries (the extension stands for them) and
//! dependencies on a member become dependencies on its extension. The
//! names of the members in a schema that is read are kept with their
//! extension, for renaming references to them.

use tokio_postgres::Client;

use super::{Keys, PG_EXTENSION};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

/// Extensions: database-wide, recorded so copies can create them. Their
/// members map to them, for dependencies (and to be left out of the model).
pub(super) async fn read_extensions(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
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
            members: vec![],
        });
    }
    read_member_names(client, ns, cat).await?;
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
    Ok(())
}

/// The names of extension members that live in the extension's own schema,
/// for the extensions whose schema is one of `ns` (the schemas read): what
/// SQL text can name as `schema.name`.
async fn read_member_names(client: &Client, ns: &[u32], cat: &mut Catalog) -> Result<()> {
    // One branch per catalog whose objects SQL text names by schema.
    let named = [
        ("pg_type", "typname", "typnamespace"),
        ("pg_proc", "proname", "pronamespace"),
        ("pg_class", "relname", "relnamespace"),
        ("pg_operator", "oprname", "oprnamespace"),
        ("pg_opclass", "opcname", "opcnamespace"),
        ("pg_opfamily", "opfname", "opfnamespace"),
        ("pg_collation", "collname", "collnamespace"),
        ("pg_conversion", "conname", "connamespace"),
        ("pg_ts_config", "cfgname", "cfgnamespace"),
        ("pg_ts_dict", "dictname", "dictnamespace"),
        ("pg_ts_parser", "prsname", "prsnamespace"),
        ("pg_ts_template", "tmplname", "tmplnamespace"),
    ];
    let branches: Vec<String> = named
        .iter()
        .map(|(catalog, name, namespace)| {
            format!(
                "SELECT e.extname::text, o.{name}::text FROM pg_depend d \
                 JOIN pg_extension e ON e.oid = d.refobjid \
                 JOIN {catalog} o ON o.oid = d.objid AND o.{namespace} = e.extnamespace \
                 WHERE d.classid = '{catalog}'::regclass \
                 AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' \
                 AND e.extnamespace = ANY($1)"
            )
        })
        .collect();
    let sql = format!("SELECT DISTINCT * FROM ({}) m ORDER BY 1, 2", branches.join(" UNION ALL "));
    for r in client.query(&sql, &[&ns]).await.ctx("reading extension members")? {
        let ext: String = r.get(0);
        if let Some(e) = cat.extensions.iter_mut().find(|e| e.name == ext) {
            e.members.push(r.get(1));
        }
    }
    Ok(())
}
