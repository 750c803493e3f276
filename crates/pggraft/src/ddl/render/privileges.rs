//! Privileges as statements: the default ACL of each object class (what
//! `acldefault` gives), the GRANT and REVOKE statements that turn it into
//! an object's ACL, column grants and a schema's default privileges. Used
//! by rendering and by diff (which turns one ACL into another). Which
//! objects have an ACL is up to the per-kind renderers.

use crate::catalog::model::*;
use crate::sql::{QualifiedName, ident};

/// Object classes with their default privileges (see `acldefault`).
#[derive(Debug, Clone, Copy)]
pub enum AclClass {
    Table,
    Sequence,
    Function,
    Procedure,
    Type,
    Schema,
    ForeignServer,
}

impl AclClass {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            AclClass::Table => "TABLE",
            AclClass::Sequence => "SEQUENCE",
            AclClass::Function => "FUNCTION",
            AclClass::Procedure => "PROCEDURE",
            AclClass::Type => "TYPE",
            AclClass::Schema => "SCHEMA",
            AclClass::ForeignServer => "FOREIGN SERVER",
        }
    }

    pub(crate) fn defaults(self, owner: Option<&str>, version: i32) -> Vec<Grant> {
        let g = |grantee: &str, p: &str| Grant {
            grantee: grantee.into(),
            privilege: p.into(),
            grantable: false,
        };
        let mut out = vec![];
        let owner_privs: &[&str] = match self {
            AclClass::Table if version >= 170000 => &[
                "INSERT",
                "SELECT",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "REFERENCES",
                "TRIGGER",
                "MAINTAIN",
            ],
            AclClass::Table => {
                &["INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]
            }
            AclClass::Sequence => &["SELECT", "UPDATE", "USAGE"],
            AclClass::Function | AclClass::Procedure => &["EXECUTE"],
            AclClass::Type => &["USAGE"],
            AclClass::Schema => &["USAGE", "CREATE"],
            AclClass::ForeignServer => &["USAGE"],
        };
        if let Some(o) = owner {
            out.extend(owner_privs.iter().map(|p| g(o, p)));
        }
        match self {
            AclClass::Function | AclClass::Procedure => out.push(g("PUBLIC", "EXECUTE")),
            AclClass::Type => out.push(g("PUBLIC", "USAGE")),
            _ => {}
        }
        out
    }
}

pub(crate) fn grantee(name: &str) -> String {
    if name == "PUBLIC" { "PUBLIC".to_string() } else { ident(name) }
}

/// REVOKE what the defaults give and the ACL lacks; GRANT what the ACL has
/// beyond the defaults, grouped per grantee in ACL order (so the rebuilt
/// ACL lists entries in the same order as the original).
pub fn acl_statements(on: &str, defaults: &[Grant], acl: &[Grant]) -> Vec<String> {
    let mut out = vec![];
    let group = |verb: &str, items: Vec<&Grant>, out: &mut Vec<String>| {
        let mut order: Vec<(&str, bool)> = vec![];
        for g in &items {
            let k = (g.grantee.as_str(), g.grantable);
            if !order.contains(&k) {
                order.push(k);
            }
        }
        for (who, grantable) in order {
            let privs: Vec<&str> = items
                .iter()
                .filter(|g| g.grantee == who && g.grantable == grantable)
                .map(|g| g.privilege.as_str())
                .collect();
            let privs = privs.join(", ");
            out.push(if verb == "REVOKE" {
                format!("REVOKE {privs} ON {on} FROM {}", grantee(who))
            } else {
                let opt = if grantable { " WITH GRANT OPTION" } else { "" };
                format!("GRANT {privs} ON {on} TO {}{opt}", grantee(who))
            });
        }
    };
    let revoke: Vec<&Grant> = defaults
        .iter()
        .filter(|d| !acl.iter().any(|a| a.grantee == d.grantee && a.privilege == d.privilege))
        .collect();
    group("REVOKE", revoke, &mut out);
    // Kept, but no longer grantable.
    for d in defaults.iter().filter(|d| d.grantable) {
        if acl.iter().any(|a| a.grantee == d.grantee && a.privilege == d.privilege && !a.grantable)
        {
            out.push(format!(
                "REVOKE GRANT OPTION FOR {} ON {on} FROM {}",
                d.privilege,
                grantee(&d.grantee)
            ));
        }
    }
    let grant: Vec<&Grant> = acl.iter().filter(|a| !defaults.contains(a)).collect();
    group("GRANT", grant, &mut out);
    out
}

/// `ALTER DEFAULT PRIVILEGES FOR ROLE … IN SCHEMA …` statements that turn
/// the grants `from` into `to` for one role and object kind of a schema.
pub(crate) fn default_privileges_sql(
    schema: &str,
    dp: &DefaultPrivileges,
    from: &[Grant],
    to: &[Grant],
) -> Vec<String> {
    let prefix = format!(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {}",
        ident(&dp.role),
        ident(schema)
    );
    acl_statements(dp.objects_keyword(), from, to)
        .into_iter()
        .map(|sql| format!("{prefix} {sql}"))
        .collect()
}

/// Column-level grants (`GRANT SELECT (col) ON TABLE t TO r`).
pub(crate) fn column_grants(table: &QualifiedName, column: &str, acl: &[Grant]) -> Vec<String> {
    let on = format!("TABLE {table}");
    let mut out = vec![];
    for g in acl {
        let opt = if g.grantable { " WITH GRANT OPTION" } else { "" };
        out.push(format!(
            "GRANT {} ({}) ON {on} TO {}{opt}",
            g.privilege,
            ident(column),
            grantee(&g.grantee)
        ));
    }
    out
}
