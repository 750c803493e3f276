//! What the model leaves out on purpose, named so that nothing vanishes silently: objects
//! that belong to the database or the cluster rather than to a schema (event triggers,
//! publications, subscriptions, large objects, database-wide default privileges), security
//! labels, and the tablespaces relations live in (copies go to the target's default, as
//! `pg_dump --no-tablespaces` restores them).

use tokio_postgres::Client;

use crate::catalog::model::{Unmodelled, UnmodelledKind};
use crate::error::{PgResultExt, Result};

/// At most this many objects are named per line (the count says how many there are).
const NAMED: usize = 5;

pub(super) async fn read_unmodelled(
    client: &Client,
    ns: &[u32],
    version: i32,
) -> Result<Vec<Unmodelled>> {
    // FOR TABLES IN SCHEMA came with PostgreSQL 15.
    let in_schema = if version >= 150000 {
        "OR EXISTS (SELECT 1 FROM pg_publication_namespace pn \
            WHERE pn.pnpubid = p.oid AND pn.pnnspid = ANY($1))"
    } else {
        ""
    };
    let sql = format!(
        "SELECT 'event_trigger' AS kind, e.evtname::text AS name, 1::int8 AS n, NULL::text[] AS list \
           FROM pg_event_trigger e WHERE NOT EXISTS (SELECT 1 FROM pg_depend d \
             WHERE d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid AND d.deptype = 'e') \
         UNION ALL SELECT 'publication', p.pubname::text, 1, NULL FROM pg_publication p \
           WHERE p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_rel pr \
             JOIN pg_class c ON c.oid = pr.prrelid WHERE pr.prpubid = p.oid AND c.relnamespace = ANY($1)) \
             {in_schema} \
         UNION ALL SELECT 'subscription', s.subname::text, 1, NULL FROM pg_subscription s \
           WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         UNION ALL SELECT 'security_label', l.provider, count(*), \
             array_agg(l.objtype || ' ' || l.objname ORDER BY l.objtype, l.objname) \
           FROM pg_seclabels l WHERE l.objnamespace = ANY($1) \
             OR (l.classoid = 'pg_namespace'::regclass AND l.objoid = ANY($1)) \
           GROUP BY l.provider \
         UNION ALL SELECT 'large_objects', '', count(*), NULL FROM pg_largeobject_metadata \
           HAVING count(*) > 0 \
         UNION ALL SELECT 'tablespace', t.spcname::text, count(*), \
             array_agg(c.oid::regclass::text ORDER BY c.oid::regclass::text) \
           FROM pg_class c JOIN pg_tablespace t ON t.oid = c.reltablespace \
           WHERE c.relnamespace = ANY($1) AND c.relkind IN ('r', 'p', 'm', 'i', 'I') \
           GROUP BY t.spcname \
         UNION ALL SELECT 'database_tablespace', t.spcname::text, 1, NULL FROM pg_database d \
           JOIN pg_tablespace t ON t.oid = d.dattablespace \
           WHERE d.datname = current_database() AND t.spcname <> 'pg_default' \
         UNION ALL SELECT 'default_privileges', pg_get_userbyid(a.defaclrole)::text, 1, \
             ARRAY[CASE a.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' \
               WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' \
               ELSE a.defaclobjtype::text END] \
           FROM pg_default_acl a WHERE a.defaclnamespace = 0 \
         ORDER BY 1, 2"
    );
    let rows = client.query(&sql, &[&ns]).await.ctx("listing objects the model leaves out")?;
    let mut out = vec![];
    for r in rows {
        let kind = match r.get::<_, &str>("kind") {
            "event_trigger" => UnmodelledKind::EventTrigger,
            "publication" => UnmodelledKind::Publication,
            "subscription" => UnmodelledKind::Subscription,
            "security_label" => UnmodelledKind::SecurityLabels,
            "large_objects" => UnmodelledKind::LargeObjects,
            "tablespace" => UnmodelledKind::Tablespace,
            "database_tablespace" => UnmodelledKind::DatabaseTablespace,
            _ => UnmodelledKind::DatabaseDefaultPrivileges,
        };
        let list: Option<Vec<String>> = r.get("list");
        let count: i64 = r.get("n");
        let objects = list.unwrap_or_default().into_iter().take(NAMED).collect();
        out.push(Unmodelled { kind, name: r.get("name"), count, objects });
    }
    Ok(out)
}
