//! Foreign servers and their user mappings: database-wide objects, read only for the servers
//! that the foreign tables of the selected schemas use (a copy needs exactly those). A user
//! mapping's options are read from `pg_user_mappings`, which shows them only to the mapped
//! user and the server's owner (and superusers); when the reading role may not see them they
//! are `None`, and the copy says so. The foreign tables themselves are [`super::tables`]'.

use tokio_postgres::Client;

use super::{Keys, PG_FOREIGN_SERVER, acl_json, comment_join, not_ext_member, parse_acl};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

pub(super) async fn read_servers(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT s.oid, s.srvname::text AS name, w.fdwname::text AS wrapper, \
         EXISTS (SELECT 1 FROM pg_depend xd WHERE xd.classid = 'pg_foreign_data_wrapper'::regclass \
             AND xd.objid = w.oid AND xd.deptype = 'e') AS from_extension, \
         s.srvtype, s.srvversion, s.srvoptions, pg_get_userbyid(s.srvowner)::text AS owner, \
         {acl} AS acl, dsc.description AS comment \
         FROM pg_foreign_server s JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw {comment} \
         WHERE s.oid IN (SELECT ft.ftserver FROM pg_foreign_table ft \
             JOIN pg_class c ON c.oid = ft.ftrelid WHERE c.relnamespace = ANY($1) AND {member}) \
         ORDER BY s.srvname",
        acl = acl_json("s.srvacl"),
        comment = comment_join("dsc", "pg_foreign_server", "s.oid"),
        member = not_ext_member("pg_class", "c.oid"),
    );
    let rows = client.query(&sql, &[&ns]).await.ctx("reading foreign servers")?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut oids = vec![];
    for r in &rows {
        let oid: u32 = r.get("oid");
        let name: String = r.get("name");
        keys.add(PG_FOREIGN_SERVER, oid, key::server(&name));
        oids.push(oid);
        cat.servers.push(ForeignServer {
            name,
            wrapper: r.get("wrapper"),
            wrapper_from_extension: r.get("from_extension"),
            server_type: r.get("srvtype"),
            version: r.get("srvversion"),
            options: FdwOptions::from_catalog(r.get("srvoptions")),
            user_mappings: vec![],
            meta: Meta {
                owner: r.get("owner"),
                acl: parse_acl(r.get("acl"))?,
                comment: r.get("comment"),
            },
        });
    }
    // `readable` is the view's own rule for showing `umoptions`: without it a NULL could mean
    // either no options or options hidden from this role.
    let rows = client
        .query(
            "SELECT um.srvid, CASE WHEN um.umuser = 0 THEN 'PUBLIC' ELSE um.usename::text END AS usr, \
             um.umoptions, \
             (um.umuser <> 0 AND um.usename = current_user \
                AND (pg_has_role(s.srvowner, 'USAGE') OR has_server_privilege(s.oid, 'USAGE'))) \
             OR (um.umuser = 0 AND pg_has_role(s.srvowner, 'USAGE')) \
             OR COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) \
               AS readable \
             FROM pg_user_mappings um JOIN pg_foreign_server s ON s.oid = um.srvid \
             WHERE um.srvid = ANY($1) ORDER BY 1, 2",
            &[&oids],
        )
        .await
        .ctx("reading user mappings")?;
    for r in rows {
        let srvid: u32 = r.get("srvid");
        let Some(i) = oids.iter().position(|o| *o == srvid) else { continue };
        let readable: bool = r.get("readable");
        cat.servers[i].user_mappings.push(UserMapping {
            user: r.get("usr"),
            options: readable.then(|| FdwOptions::from_catalog(r.get("umoptions"))),
        });
    }
    Ok(())
}
