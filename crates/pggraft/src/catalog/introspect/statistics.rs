//! Extended statistics objects, with their statistics targets (not those
//! on an extension's tables: they go with the table).

use tokio_postgres::Client;

use super::{Keys, PG_STATISTIC_EXT, not_ext_member, qn};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

pub(super) async fn read_statistics(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT s.oid, s.stxrelid, n.nspname, s.stxname, tn.nspname AS tbl_s, c.relname AS tbl_n, \
         pg_get_statisticsobjdef(s.oid) AS def, \
         NULLIF((to_jsonb(s) ->> 'stxstattarget')::int, -1) AS target, \
         pg_get_userbyid(s.stxowner)::text AS owner, \
         obj_description(s.oid, 'pg_statistic_ext') AS comment \
         FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace \
         JOIN pg_class c ON c.oid = s.stxrelid JOIN pg_namespace tn ON tn.oid = c.relnamespace \
         WHERE s.stxnamespace = ANY($1) AND {ext}",
        ext = not_ext_member("pg_statistic_ext", "s.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading statistics objects")? {
        if keys.is_member_relation(r.get("stxrelid")) {
            continue;
        }
        let name = qn(&r, "nspname", "stxname");
        keys.add(PG_STATISTIC_EXT, r.get("oid"), key::statistics(&name));
        cat.statistics.push(Statistics {
            name,
            table: qn(&r, "tbl_s", "tbl_n"),
            definition: r.get("def"),
            target: r.get("target"),
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        });
    }
    Ok(())
}
