//! Encoding conversions (`pg_conversion`): their encodings, function and default flag.

use tokio_postgres::Client;

use super::{Keys, comment_join, qn};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

const PG_CONVERSION: u32 = 2607;

pub(super) async fn read_conversions(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT c.oid, n.nspname, c.conname::text AS name, \
         pg_encoding_to_char(c.conforencoding)::text AS src, \
         pg_encoding_to_char(c.contoencoding)::text AS dst, c.conproc::regproc::text AS func, \
         c.condefault, pg_get_userbyid(c.conowner)::text AS owner, dsc.description AS comment \
         FROM pg_conversion c JOIN pg_namespace n ON n.oid = c.connamespace {comment} \
         WHERE c.connamespace = ANY($1)",
        comment = comment_join("dsc", "pg_conversion", "c.oid"),
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading conversions")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_CONVERSION, oid) {
            continue;
        }
        let c = Conversion {
            name: qn(&r, "nspname", "name"),
            source_encoding: r.get("src"),
            target_encoding: r.get("dst"),
            function: r.get("func"),
            default: r.get("condefault"),
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_CONVERSION, oid, key::conversion(&c.name));
        cat.conversions.push(c);
    }
    Ok(())
}
