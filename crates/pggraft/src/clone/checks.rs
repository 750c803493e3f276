//! Checks of the target made before anything is written: schemas that
//! would be overwritten, privileges, roles, extensions.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::CloneOptions;
use crate::catalog::Catalog;
use crate::error::{Error, PgResultExt, Result};

/// Checks the target before anything is written: schemas that would be
/// overwritten, privileges, and roles named by owners, grants and policies.
/// Returns the target schemas that exist. A target schema holding no user
/// objects (a fresh database's `public`) is replaced without
/// `--drop-if-exists`: nothing is lost.
pub(super) async fn check_target(
    target: &Client,
    opts: &CloneOptions,
    final_map: &BTreeMap<String, String>,
    cat: &Catalog,
    creating: &BTreeSet<String>,
) -> Result<BTreeSet<String>> {
    let names: Vec<String> = final_map.values().cloned().collect();
    let rows = target
        .query(
            "SELECT n.nspname::text, \
               (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid AND NOT EXISTS \
                  (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                   AND d.objid = c.oid AND d.deptype IN ('e', 'i'))) \
             + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid AND NOT EXISTS \
                  (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
                   AND d.objid = p.oid AND d.deptype = 'e')) \
             + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = n.oid AND t.typrelid = 0 \
                  AND t.typelem = 0 AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                  WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'))) \
               AS user_objects, \
             ARRAY(SELECT e.extname::text FROM pg_extension e WHERE e.extnamespace = n.oid \
                   AND NOT e.extrelocatable) AS fixed \
             FROM pg_namespace n WHERE n.nspname = ANY($1)",
            &[&names],
        )
        .await
        .ctx("checking target schemas")?;
    let mut existing: BTreeSet<String> = BTreeSet::new();
    for r in &rows {
        let name: String = r.get(0);
        let objects: i64 = r.get(1);
        let fixed: Vec<String> = r.get(2);
        if opts.data_only {
            continue;
        }
        if objects > 0 && !opts.drop_if_exists {
            return Err(Error::TargetSchemaExists {
                schema: name,
                database: opts.target.dbname().to_string(),
            });
        }
        if let Some(e) = fixed.first() {
            return Err(Error::input(format!(
                "target schema {name:?} holds extension {e:?}, which cannot be moved aside while the \
                 schema is replaced; install it in another schema on the target"
            )));
        }
        existing.insert(name);
    }
    if opts.data_only {
        let found: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        if let Some(missing) = names.iter().find(|n| !found.contains(n)) {
            return Err(Error::input(format!(
                "target schema {missing:?} does not exist; --data-only copies into existing tables"
            )));
        }
    }
    let row = target
        .query_one(
            "SELECT current_user::text, has_database_privilege(current_database(), 'CREATE')",
            &[],
        )
        .await
        .ctx("checking target privileges")?;
    let (user, can_create): (String, bool) = (row.get(0), row.get(1));
    if !can_create && !opts.data_only {
        return Err(Error::input(format!(
            "role {user:?} cannot create schemas in target database {:?}; \
             grant it CREATE on the database or connect as another role",
            opts.target.dbname()
        )));
    }
    let (needed, owners) = super::roles::needed(cat, opts);
    // Roles `--roles` creates are neither missing nor in need of membership checks.
    let needed: BTreeSet<String> = needed.difference(creating).cloned().collect();
    let owners: BTreeSet<String> = owners.difference(creating).cloned().collect();
    if needed.is_empty() {
        return Ok(existing);
    }
    let list: Vec<String> = needed.iter().cloned().collect();
    let found: BTreeSet<String> = target
        .query("SELECT rolname::text FROM pg_roles WHERE rolname = ANY($1)", &[&list])
        .await
        .ctx("checking target roles")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<&String> = needed.iter().filter(|r| !found.contains(*r)).collect();
    if !missing.is_empty() {
        return Err(Error::MissingRoles { roles: missing.into_iter().cloned().collect() });
    }
    // Giving an object to a role takes membership in it (superusers have all).
    let owners: Vec<String> = owners.into_iter().collect();
    let refused: Vec<String> = target
        .query(
            "SELECT r FROM unnest($1::text[]) r WHERE NOT pg_has_role(current_user, r, 'MEMBER')",
            &[&owners],
        )
        .await
        .ctx("checking owner roles")?
        .iter()
        .map(|r| format!("{:?}", r.get::<_, String>(0)))
        .collect();
    if !refused.is_empty() {
        return Err(Error::input(format!(
            "role {user:?} cannot make {} the owner of the copied objects or set default \
             privileges for them (it is not a member); pass --no-owner (and --no-acl for default \
             privileges) to leave them owned by {user:?}, or connect to the target as a role that is",
            refused.join(", ")
        )));
    }
    Ok(existing)
}
