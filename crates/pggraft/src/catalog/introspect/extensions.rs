//! Extensions, and which objects belong to one: members are left out of the
//! model by the other queries (the extension stands for them) and
//! dependencies on a member become dependencies on its extension.

use tokio_postgres::Client;

use super::{Keys, PG_EXTENSION};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

/// Extensions: database-wide, recorded so copies can create them. Their
/// members map to them, for dependencies (and to be left out of the model).
pub(super) async fn read_extensions(
    client: &Client,
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
    Ok(())
}
