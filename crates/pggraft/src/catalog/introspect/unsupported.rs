//! The object kinds the model does not cover (base and shell types): found in
//! a selected schema, they make introspection fail, naming them, rather than
//! vanish from a copy.

use tokio_postgres::Client;

use super::not_ext_member;
use crate::error::{Error, PgResultExt, Result};

/// Object kinds the model does not cover fail loudly rather than vanish.
pub(super) async fn check_unsupported(client: &Client, ns: &[u32]) -> Result<()> {
    let sql = format!(
        "SELECT kind, name FROM ( \
           SELECT 'base or shell type' AS kind, t.oid::regtype::text AS name FROM pg_type t \
             WHERE t.typnamespace = ANY($1) AND t.typtype IN ('b','p') AND {t} \
             AND NOT (t.typelem <> 0 \
                      AND EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typarray = t.oid)) \
         ) u ORDER BY 1, 2 LIMIT 20",
        t = not_ext_member("pg_type", "t.oid"),
    );
    let rows = client.query(&sql, &[&ns]).await.ctx("checking for unsupported objects")?;
    if rows.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    Err(Error::Unsupported(format!(
        "the selected schemas contain objects pggraft does not model yet: {} \
         (leave their schema out with -n, or drop them)",
        list.join(", ")
    )))
}
