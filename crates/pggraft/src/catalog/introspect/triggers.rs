//! What hangs off a table and fires or filters: triggers (not internal,
//! not cloned onto partitions), rules (a view's `_RETURN` rule is keyed as
//! the view) and row-level security policies. Those on relations that
//! belong to an extension (PostGIS's rules on `geometry_columns`) are the
//! extension's and are left out.

use tokio_postgres::Client;

use super::{Keys, PG_POLICY, PG_REWRITE, PG_TRIGGER, comment_join, qn};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

pub(super) async fn read_triggers_rules_policies(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT t.oid, t.tgrelid, tn.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) AS def, \
         t.tgenabled::text AS enabled, dsc.description AS comment \
         FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         JOIN pg_namespace tn ON tn.oid = c.relnamespace {comment} \
         WHERE c.relnamespace = ANY($1) AND NOT t.tgisinternal AND t.tgparentid = 0",
        comment = comment_join("dsc", "pg_trigger", "t.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading triggers")? {
        if keys.is_member_relation(r.get("tgrelid")) {
            continue;
        }
        let table = qn(&r, "nspname", "relname");
        let name: String = r.get("tgname");
        keys.add(PG_TRIGGER, r.get("oid"), key::trigger(&table, &name));
        cat.triggers.push(Trigger {
            name,
            table,
            definition: r.get("def"),
            enabled: r.get("enabled"),
            comment: r.get("comment"),
        });
    }
    let sql = "SELECT w.oid, n.nspname, c.relname, w.rulename, w.ev_class, w.ev_type::text AS evtype, \
               pg_get_ruledef(w.oid) AS def, w.ev_enabled::text AS enabled, \
               obj_description(w.oid, 'pg_rewrite') AS comment, c.relkind::text AS relkind \
               FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class \
               JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE c.relnamespace = ANY($1)";
    for r in client.query(sql, &[&ns]).await.ctx("reading rules")? {
        if keys.is_member_relation(r.get("ev_class")) {
            continue;
        }
        let table = qn(&r, "nspname", "relname");
        let name: String = r.get("rulename");
        if name == "_RETURN" {
            keys.add(PG_REWRITE, r.get("oid"), key::relation(&table));
            continue;
        }
        keys.add(PG_REWRITE, r.get("oid"), key::rule(&table, &name));
        let def: String = r.get("def");
        cat.rules.push(Rule {
            name,
            table,
            definition: def.trim_end().trim_end_matches(';').to_string(),
            enabled: r.get("enabled"),
            comment: r.get("comment"),
        });
    }
    let sql = "SELECT p.oid, p.polrelid, p.polname, p.polpermissive, p.polcmd::text AS cmd, \
               ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r)::text END \
                     FROM unnest(p.polroles) r ORDER BY 1) AS roles, \
               pg_get_expr(p.polqual, p.polrelid) AS qual, \
               pg_get_expr(p.polwithcheck, p.polrelid) AS wcheck, \
               obj_description(p.oid, 'pg_policy') AS comment \
               FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid \
               WHERE c.relnamespace = ANY($1) ORDER BY p.polrelid, p.polname";
    for r in client.query(sql, &[&ns]).await.ctx("reading policies")? {
        let Some(&ti) = keys.tables.get(&r.get::<_, u32>("polrelid")) else { continue };
        let t = &mut cat.tables[ti];
        let name: String = r.get("polname");
        keys.add(PG_POLICY, r.get("oid"), key::policy(&t.name, &name));
        t.policies.push(Policy {
            name,
            permissive: r.get("polpermissive"),
            command: r.get("cmd"),
            roles: r.get("roles"),
            using: r.get("qual"),
            with_check: r.get("wcheck"),
            comment: r.get("comment"),
        });
    }
    Ok(())
}
