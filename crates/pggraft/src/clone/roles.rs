//! Roles and owners: which roles the copied objects name (owners, grantees,
//! policy roles, roles of default privileges), `--owner-map` and
//! `--role-map` applied to the renamed model, and with `--roles` the
//! statements that create on the target the roles it lacks, with their
//! attributes, settings, comments and memberships (and passwords when the
//! source connection may read `pg_authid`).
//!
//! Roles are cluster-wide, but `CREATE ROLE` and `GRANT role` are
//! transactional: the statements run first in the clone's structure
//! transaction, so a clone that fails before its structure commits creates
//! no role, and one that fails later drops the roles it created (see
//! [`super::run`]). Existing roles are never changed. Renaming a schema
//! never renames a role: role names are not schema names, and nothing
//! here looks at the schema map.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tokio_postgres::Client;

use super::CloneOptions;
use crate::catalog::Catalog;
use crate::error::{Error, PgResultExt, Result};
use crate::plan::{Revealed, Section, Stmt};
use crate::sql::{ident, literal};

/// What `--roles` did, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RolesReport {
    /// Roles created on the target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created: Vec<String>,
    /// Roles the copy needs that the target has already: left as they are.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub existing: Vec<String>,
    /// Whether passwords were copied: `copied`, `not-readable` (the source
    /// connection cannot read `pg_authid`), `not-requested`
    /// (`--no-role-passwords`); empty when no role was created.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub passwords: String,
    /// Created login roles that have no password on the target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub without_password: Vec<String>,
}

impl RolesReport {
    pub fn is_empty(&self) -> bool {
        self.created.is_empty() && self.existing.is_empty()
    }
}

/// The roles the model names, and among them those that own objects or
/// default privileges (giving an object to a role takes membership in it).
pub(super) fn needed(cat: &Catalog, opts: &CloneOptions) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut needed: BTreeSet<String> = BTreeSet::new();
    let mut owners: BTreeSet<String> = BTreeSet::new();
    for m in cat.metas() {
        if opts.owners
            && let Some(o) = &m.owner
        {
            needed.insert(o.clone());
            owners.insert(o.clone());
        }
        if opts.privileges {
            needed.extend(m.acl.iter().flatten().map(|g| g.grantee.clone()));
        }
    }
    if opts.privileges {
        // `ALTER DEFAULT PRIVILEGES FOR ROLE r` takes membership in r too.
        for dp in cat.schemas.iter().flat_map(|s| &s.default_privileges) {
            needed.insert(dp.role.clone());
            owners.insert(dp.role.clone());
            needed.extend(dp.grants.iter().map(|g| g.grantee.clone()));
        }
        for v in &cat.views {
            for c in &v.columns {
                needed.extend(c.acl.iter().flatten().map(|g| g.grantee.clone()));
            }
        }
    }
    for t in &cat.tables {
        for p in &t.policies {
            needed.extend(p.roles.iter().cloned());
        }
        if opts.privileges {
            for c in &t.columns {
                needed.extend(c.acl.iter().flatten().map(|g| g.grantee.clone()));
                if let Some(i) = &c.identity {
                    needed.extend(i.acl.iter().flatten().map(|g| g.grantee.clone()));
                }
            }
        }
    }
    needed.remove("PUBLIC");
    (needed, owners)
}

/// Applies `--owner-map` (owners, and the roles whose default privileges
/// are copied) and `--role-map` (grantees and policy roles) to the renamed
/// model.
pub(super) fn apply_maps(cat: &mut Catalog, opts: &CloneOptions) {
    let owner = |r: &mut String| {
        if let Some(n) = opts.owner_map.get(r.as_str()) {
            *r = n.clone();
        }
    };
    let grantee = |r: &mut String| {
        if let Some(n) = opts.role_map.get(r.as_str()) {
            *r = n.clone();
        }
    };
    if opts.owner_map.is_empty() && opts.role_map.is_empty() {
        return;
    }
    // An owner's own privileges (`owner=arwdDxt/owner` in the acl) follow
    // the owner, unless `--role-map` says otherwise.
    let follow = |g: &mut crate::catalog::model::Grant, old_owner: &str, new_owner: &str| {
        if opts.role_map.contains_key(&g.grantee) {
            grantee(&mut g.grantee);
        } else if g.grantee == old_owner {
            g.grantee = new_owner.to_string();
        }
    };
    for m in cat.metas_mut() {
        let old = m.owner.clone().unwrap_or_default();
        if let Some(o) = &mut m.owner {
            owner(o);
        }
        let new = m.owner.clone().unwrap_or_default();
        m.acl.iter_mut().flatten().for_each(|g| follow(g, &old, &new));
    }
    for s in &mut cat.schemas {
        for dp in &mut s.default_privileges {
            let old = dp.role.clone();
            owner(&mut dp.role);
            let new = dp.role.clone();
            dp.grants.iter_mut().for_each(|g| follow(g, &old, &new));
        }
    }
    for v in &mut cat.views {
        for c in &mut v.columns {
            c.acl.iter_mut().flatten().for_each(|g| grantee(&mut g.grantee));
        }
    }
    for t in &mut cat.tables {
        for p in &mut t.policies {
            p.roles.iter_mut().for_each(&grantee);
        }
        for c in &mut t.columns {
            c.acl.iter_mut().flatten().for_each(|g| grantee(&mut g.grantee));
            if let Some(i) = &mut c.identity {
                i.acl.iter_mut().flatten().for_each(|g| grantee(&mut g.grantee));
            }
        }
    }
}

/// Refuses a map to a role the target does not have (before anything is
/// written): the copy would otherwise fail halfway through its structure.
pub(super) async fn check_map_targets(target: &Client, opts: &CloneOptions) -> Result<()> {
    let wanted: Vec<(&str, &String, &String)> = opts
        .owner_map
        .iter()
        .map(|(o, n)| ("--owner-map", o, n))
        .chain(opts.role_map.iter().map(|(o, n)| ("--role-map", o, n)))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = wanted.iter().map(|(_, _, n)| (*n).clone()).collect();
    let found: BTreeSet<String> = target
        .query("SELECT rolname::text FROM pg_catalog.pg_roles WHERE rolname = ANY($1)", &[&names])
        .await
        .ctx("checking the roles of --owner-map and --role-map")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (flag, old, new) in wanted {
        if !found.contains(new) {
            return Err(Error::input(format!(
                "{flag} {old}={new}: role {new:?} does not exist on the target; create it there \
                 first (CREATE ROLE {}), or map {old:?} to a role that exists",
                ident(new)
            )));
        }
    }
    Ok(())
}

/// The roles to create and the statements that create them.
#[derive(Debug, Default)]
pub(super) struct RolePlan {
    pub stmts: Vec<Stmt>,
    pub report: RolesReport,
    pub warnings: Vec<String>,
}

impl RolePlan {
    pub(super) fn creating(&self) -> BTreeSet<String> {
        self.report.created.iter().cloned().collect()
    }
}

struct RoleDef {
    name: String,
    superuser: bool,
    inherit: bool,
    create_role: bool,
    create_db: bool,
    login: bool,
    replication: bool,
    bypass_rls: bool,
    conn_limit: i32,
    valid_until: Option<String>,
    comment: Option<String>,
}

/// Plans `--roles`: the roles in `needed` that the target lacks, and the
/// roles they are members of (their privileges reach the copied objects
/// through them), read from the source (`source`, in the clone's snapshot
/// transaction: roles are not versioned, but it is the one session at hand).
pub(super) async fn plan(
    source: &Client,
    target: &Client,
    needed: &BTreeSet<String>,
    opts: &CloneOptions,
) -> Result<RolePlan> {
    let mut out = RolePlan::default();
    if needed.is_empty() {
        return Ok(out);
    }
    let list: Vec<String> = needed.iter().cloned().collect();
    // The needed roles and, transitively, the roles they are members of.
    let rows = source
        .query(
            "WITH RECURSIVE r(oid) AS ( \
               SELECT oid FROM pg_catalog.pg_roles WHERE rolname = ANY($1) \
               UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN r ON m.member = r.oid) \
             SELECT rolname::text, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, \
                    rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil::text, \
                    pg_catalog.shobj_description(oid, 'pg_authid') \
             FROM pg_catalog.pg_roles WHERE oid IN (SELECT oid FROM r) ORDER BY 1",
            &[&list],
        )
        .await
        .ctx("reading the roles of the copied objects")?;
    let defs: Vec<RoleDef> = rows
        .iter()
        .map(|r| RoleDef {
            name: r.get(0),
            superuser: r.get(1),
            inherit: r.get(2),
            create_role: r.get(3),
            create_db: r.get(4),
            login: r.get(5),
            replication: r.get(6),
            bypass_rls: r.get(7),
            conn_limit: r.get(8),
            valid_until: r.get(9),
            comment: r.get(10),
        })
        .collect();
    let all: Vec<String> = defs.iter().map(|d| d.name.clone()).collect();
    let on_target: BTreeSet<String> = target
        .query("SELECT rolname::text FROM pg_catalog.pg_roles WHERE rolname = ANY($1)", &[&all])
        .await
        .ctx("listing the target's roles")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    out.report.existing = all.iter().filter(|n| on_target.contains(*n)).cloned().collect();
    let mut create: Vec<&RoleDef> = vec![];
    for d in defs.iter().filter(|d| !on_target.contains(&d.name)) {
        if d.name.starts_with("pg_") {
            // A predefined role of a newer source server: not ours to create.
            out.warnings.push(format!(
                "predefined role {:?} of the source does not exist on the target's server \
                 version; memberships in it are not copied",
                d.name
            ));
            continue;
        }
        create.push(d);
    }
    if create.is_empty() {
        return Ok(out);
    }
    let row = target
        .query_one(
            "SELECT current_user::text, rolsuper OR rolcreaterole FROM pg_catalog.pg_roles \
             WHERE rolname = current_user",
            &[],
        )
        .await
        .ctx("checking whether the target role may create roles")?;
    let (user, may): (String, bool) = (row.get(0), row.get(1));
    if !may {
        let names: Vec<String> = create.iter().map(|d| format!("{:?}", d.name)).collect();
        return Err(Error::input(format!(
            "--roles: role {user:?} may not create roles on the target (it lacks CREATEROLE), \
             and {} are missing there; create them first, or connect as a role with CREATEROLE",
            names.join(", ")
        )));
    }
    let names: Vec<String> = create.iter().map(|d| d.name.clone()).collect();
    let (passwords, how) = read_passwords(source, &names, opts.role_passwords).await?;
    out.report.passwords = how.to_string();
    for d in &create {
        let mut sql = format!(
            "CREATE ROLE {} WITH {} {} {} {} {} {} {} CONNECTION LIMIT {}",
            ident(&d.name),
            if d.superuser { "SUPERUSER" } else { "NOSUPERUSER" },
            if d.inherit { "INHERIT" } else { "NOINHERIT" },
            if d.create_role { "CREATEROLE" } else { "NOCREATEROLE" },
            if d.create_db { "CREATEDB" } else { "NOCREATEDB" },
            if d.login { "LOGIN" } else { "NOLOGIN" },
            if d.replication { "REPLICATION" } else { "NOREPLICATION" },
            if d.bypass_rls { "BYPASSRLS" } else { "NOBYPASSRLS" },
            d.conn_limit
        );
        if let Some(v) = &d.valid_until {
            sql.push_str(&format!(" VALID UNTIL {}", literal(v)));
        }
        let exec =
            passwords.get(&d.name).map(|p| Revealed(format!("{sql} PASSWORD {}", literal(p))));
        if exec.is_some() {
            sql.push_str(" PASSWORD '…'");
        } else if d.login {
            out.report.without_password.push(d.name.clone());
        }
        out.stmts.push(role_stmt(&d.name, "role", sql, exec));
        if let Some(c) = &d.comment {
            let sql = format!("COMMENT ON ROLE {} IS {}", ident(&d.name), literal(c));
            out.stmts.push(role_stmt(&d.name, "comment", sql, None));
        }
    }
    // Role settings valid in every database (`ALTER ROLE … SET`).
    let settings = source
        .query(
            "SELECT r.rolname::text, s.setting FROM pg_catalog.pg_db_role_setting d \
             JOIN pg_catalog.pg_roles r ON r.oid = d.setrole \
             CROSS JOIN LATERAL unnest(d.setconfig) s(setting) \
             WHERE d.setdatabase = 0 AND r.rolname = ANY($1) ORDER BY 1, 2",
            &[&names],
        )
        .await
        .ctx("reading role settings")?;
    for r in &settings {
        let (role, setting): (String, String) = (r.get(0), r.get(1));
        let Some((k, v)) = setting.split_once('=') else { continue };
        let sql = format!("ALTER ROLE {} SET {} = {}", ident(&role), ident(k), literal(v));
        out.stmts.push(role_stmt(&role, "role setting", sql, None));
    }
    // Memberships of the created roles in roles the target has or gets.
    let members = source
        .query(
            "SELECT g.rolname::text, m.rolname::text, a.admin_option FROM pg_catalog.pg_auth_members a \
             JOIN pg_catalog.pg_roles g ON g.oid = a.roleid \
             JOIN pg_catalog.pg_roles m ON m.oid = a.member \
             WHERE m.rolname = ANY($1) ORDER BY 1, 2",
            &[&names],
        )
        .await
        .ctx("reading role memberships")?;
    for r in &members {
        let (group, member, admin): (String, String, bool) = (r.get(0), r.get(1), r.get(2));
        if !on_target.contains(&group) && !names.contains(&group) {
            continue;
        }
        let sql = format!(
            "GRANT {} TO {}{}",
            ident(&group),
            ident(&member),
            if admin { " WITH ADMIN OPTION" } else { "" }
        );
        out.stmts.push(role_stmt(&member, "membership", sql, None));
    }
    out.report.created = names;
    if !out.report.without_password.is_empty() {
        let why = match how {
            "not-readable" => {
                "the source connection cannot read pg_authid (a managed service, or \
                               not a superuser)"
            }
            _ => "--no-role-passwords",
        };
        out.warnings.push(format!(
            "login roles {} were created without passwords ({why}); set them with ALTER ROLE … \
             PASSWORD on the target",
            out.report
                .without_password
                .iter()
                .map(|r| format!("{r:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(out)
}

/// The created roles' passwords (hashes, as stored) when wanted and the
/// source connection may read `pg_authid`, and which of the two it was.
async fn read_passwords(
    source: &Client,
    names: &[String],
    wanted: bool,
) -> Result<(BTreeMap<String, String>, &'static str)> {
    if !wanted {
        return Ok((BTreeMap::new(), "not-requested"));
    }
    let readable: bool = source
        .query_one("SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT')", &[])
        .await
        .ctx("checking whether role passwords can be read")?
        .get(0);
    if !readable {
        return Ok((BTreeMap::new(), "not-readable"));
    }
    let rows = source
        .query(
            "SELECT rolname::text, rolpassword FROM pg_catalog.pg_authid \
             WHERE rolname = ANY($1) AND rolpassword IS NOT NULL",
            &[&names],
        )
        .await
        .ctx("reading role passwords")?;
    Ok((rows.iter().map(|r| (r.get(0), r.get(1))).collect(), "copied"))
}

fn role_stmt(role: &str, what: &'static str, sql: String, exec: Option<Revealed>) -> Stmt {
    let key = format!("role {role}");
    Stmt {
        section: Section::PreData,
        phase: 0,
        provides: (what == "role").then(|| key.clone()),
        object: key,
        deps: vec![],
        what,
        sql,
        exec,
    }
}

/// Drops the roles a failed clone created (after its schemas went, with
/// what the roles owned). Best effort: a role that cannot be dropped is
/// named in the log.
pub(super) async fn drop_created(target: &crate::conn::ConnSpec, roles: &[String]) {
    if roles.is_empty() {
        return;
    }
    let c = match target.connect().await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("could not drop the roles the failed clone created: {e}");
            return;
        }
    };
    for r in roles {
        if let Err(e) = c.batch_execute(&format!("DROP ROLE IF EXISTS {}", ident(r))).await {
            tracing::warn!("could not drop role {r:?} that the failed clone created: {e}");
        }
    }
}
