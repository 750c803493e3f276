//! Models read from servers of different major versions, made comparable.
//!
//! Two things in a model are one server version's way of saying something rather than
//! structure, and they make equal schemas look different across versions:
//!
//! - **How the server prints a query.** PostgreSQL 16 stopped qualifying the columns of a
//!   query over one relation (`SELECT id FROM shop.orders` where 15 prints `SELECT orders.id
//!   …`). A view or materialized view defined the same way has two spellings.
//!   [`respell_views`] asks one server to print the other side's definition, by creating it as
//!   a temporary view in a transaction that is rolled back, so both definitions compared are
//!   that server's spelling of their meaning.
//! - **What privileges exist.** PostgreSQL 17 added `MAINTAIN`: a table's owner holds it by
//!   default there, and it cannot be granted before 17. [`express_for`] restates a model's
//!   privileges for another version.
//! - **Which extension versions there are.** Each server ships its own (citext 1.6 with 15,
//!   1.8 with 18); [`keep_extension_versions`] stops a diff from proposing an `ALTER
//!   EXTENSION … UPDATE` to a version the other server does not have.
//!
//! What else differs between versions is not modelled in a version-dependent way. Who calls
//! these (verify, diff, sync-schema, clone) is theirs to decide.

use std::collections::BTreeSet;

use tokio_postgres::Client;

use super::model::*;
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, ident};

/// PostgreSQL 17: `MAINTAIN` exists, and table owners hold it by default.
const MAINTAIN_SINCE: i32 = 170000;

/// What a table's owner holds by default before PostgreSQL 17.
const TABLE_OWNER_BEFORE_17: [&str; 7] =
    ["INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];

/// The major version of a `server_version_num`.
pub fn major(version: i32) -> i32 {
    version / 10000
}

/// Restates the model's privileges as a server of `version` has them, and records that
/// version as the model's (rendering computes default privileges from it). Returns a warning
/// for each privilege the other version cannot express (granting `MAINTAIN` before 17).
pub fn express_for(cat: &mut Catalog, version: i32) -> Vec<String> {
    let from = cat.server_version;
    let mut warnings = vec![];
    if (from >= MAINTAIN_SINCE) != (version >= MAINTAIN_SINCE) {
        let adding = version >= MAINTAIN_SINCE;
        let mut relation = |what: &str, name: &QualifiedName, meta: &mut Meta| {
            let owner = meta.owner.clone();
            if let Some(acl) = &mut meta.acl {
                let dropped = table_acl_for(acl, owner.as_deref(), adding);
                for g in dropped {
                    warnings.push(format!(
                        "{what} {name}: privilege MAINTAIN granted to {} does not exist before \
                         PostgreSQL 17; left out",
                        g.grantee
                    ));
                }
            }
        };
        for t in &mut cat.tables {
            relation("table", &t.name, &mut t.meta);
        }
        for v in &mut cat.views {
            let what = if v.materialized { "materialized view" } else { "view" };
            relation(what, &v.name, &mut v.meta);
        }
        if !adding {
            for s in &mut cat.schemas {
                for dp in s.default_privileges.iter_mut().filter(|d| d.objects == "r") {
                    let before = dp.grants.len();
                    dp.grants.retain(|g| g.privilege != "MAINTAIN");
                    if dp.grants.len() != before {
                        warnings.push(format!(
                            "default privileges of role {} in schema {}: MAINTAIN does not exist \
                             before PostgreSQL 17; left out",
                            ident(&dp.role),
                            ident(&s.name)
                        ));
                    }
                }
            }
        }
    }
    cat.server_version = version;
    warnings
}

/// A table's ACL restated across the MAINTAIN boundary. Adding (to 17+): an owner holding
/// every pre-17 privilege gets MAINTAIN too, as the same owner would by default on 17.
/// Removing (before 17): every MAINTAIN goes; those granted to others than the owner are
/// returned, as they are lost.
fn table_acl_for(acl: &mut Vec<Grant>, owner: Option<&str>, adding: bool) -> Vec<Grant> {
    let Some(owner) = owner else {
        return if adding { vec![] } else { take_maintain(acl, None) };
    };
    if !adding {
        return take_maintain(acl, Some(owner));
    }
    let holds = |p: &str| acl.iter().any(|g| g.grantee == owner && g.privilege == p);
    if TABLE_OWNER_BEFORE_17.iter().all(|p| holds(p)) && !holds("MAINTAIN") {
        let at = acl.iter().rposition(|g| g.grantee == owner).map_or(acl.len(), |i| i + 1);
        let grantable = acl.iter().any(|g| g.grantee == owner && g.grantable);
        acl.insert(
            at,
            Grant { grantee: owner.to_string(), privilege: "MAINTAIN".into(), grantable },
        );
    }
    vec![]
}

/// Removes every MAINTAIN grant; returns those not held by `owner`.
fn take_maintain(acl: &mut Vec<Grant>, owner: Option<&str>) -> Vec<Grant> {
    let mut lost = vec![];
    acl.retain(|g| {
        if g.privilege != "MAINTAIN" {
            return true;
        }
        if Some(g.grantee.as_str()) != owner {
            lost.push(g.clone());
        }
        false
    });
    lost
}

/// Across major versions: `other`'s extensions take the versions `base` has of them, so the
/// versions each server ships are not a difference. Returns a note for each one that differed.
pub fn keep_extension_versions(other: &mut Catalog, base: &Catalog) -> Vec<String> {
    let (a, b) = (major(other.server_version), major(base.server_version));
    if a == b {
        return vec![];
    }
    let mut notes = vec![];
    for e in &mut other.extensions {
        let Some(theirs) = base.extensions.iter().find(|x| x.name == e.name) else { continue };
        if theirs.version != e.version {
            notes.push(format!(
                "extension {} is version {} on PostgreSQL {a} and {} on {b}; extension versions \
                 are not compared across major versions",
                ident(&e.name),
                e.version,
                theirs.version
            ));
            e.version = theirs.version.clone();
        }
    }
    notes
}

/// The views (plain and materialized) of `a` whose definitions differ from those of the same
/// name in `b`.
pub fn differing_views(a: &Catalog, b: &Catalog) -> BTreeSet<QualifiedName> {
    a.views
        .iter()
        .filter(|v| {
            b.views.iter().find(|w| w.name == v.name).is_some_and(|w| w.definition != v.definition)
        })
        .map(|v| v.name.clone())
        .collect()
}

/// Re-spells the definitions of the views of `cat` named in `names` as the server behind
/// `client` prints them (see the module docs). `client` must be a session prepared with
/// [`crate::conn::prepare_session`] (the spelling depends on the session's settings) outside
/// a transaction; nothing is left behind on the server. A definition that server cannot
/// create (it names an object that server lacks) keeps its spelling: the two do differ.
/// Returns how many were re-spelled.
pub async fn respell_views(
    client: &Client,
    cat: &mut Catalog,
    names: &BTreeSet<QualifiedName>,
) -> Result<usize> {
    if names.is_empty() {
        return Ok(0);
    }
    client
        .batch_execute("BEGIN; SET LOCAL search_path = ''; SET LOCAL check_function_bodies = off")
        .await
        .ctx("starting to re-spell view definitions")?;
    let mut done = 0;
    for (i, v) in cat.views.iter_mut().filter(|v| names.contains(&v.name)).enumerate() {
        let temp = format!("pggraft_respell_{i}");
        let create = format!(
            "SAVEPOINT respell; CREATE TEMPORARY VIEW {} AS {}",
            ident(&temp),
            v.definition
        );
        if client.batch_execute(&create).await.is_err() {
            client
                .batch_execute("ROLLBACK TO SAVEPOINT respell")
                .await
                .ctx("re-spelling view definitions")?;
            continue;
        }
        let row = client
            .query_one("SELECT pg_get_viewdef(format('pg_temp.%I', $1::text)::regclass)", &[&temp])
            .await
            .ctx(format!("re-spelling the definition of {}", v.name))?;
        let def: String = row.get(0);
        v.definition = def.trim_end().trim_end_matches(';').to_string();
        done += 1;
        client.batch_execute("RELEASE SAVEPOINT respell").await.ctx("re-spelling views")?;
    }
    client.batch_execute("ROLLBACK").await.ctx("ending the re-spelling transaction")?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(who: &str, p: &str) -> Grant {
        Grant { grantee: who.into(), privilege: p.into(), grantable: false }
    }

    fn owner_and_reader(extra: &[&str]) -> Vec<Grant> {
        let mut acl: Vec<Grant> = TABLE_OWNER_BEFORE_17.iter().map(|p| g("o", p)).collect();
        acl.extend(extra.iter().map(|p| g("o", p)));
        acl.push(g("r", "SELECT"));
        acl
    }

    #[test]
    fn an_owner_with_every_privilege_holds_maintain_from_17() {
        let mut acl = owner_and_reader(&[]);
        assert!(table_acl_for(&mut acl, Some("o"), true).is_empty());
        assert_eq!(acl, owner_and_reader(&["MAINTAIN"]));
        // An owner who gave some up is not given MAINTAIN.
        let mut partial = vec![g("o", "SELECT"), g("r", "SELECT")];
        table_acl_for(&mut partial, Some("o"), true);
        assert_eq!(partial, vec![g("o", "SELECT"), g("r", "SELECT")]);
    }

    #[test]
    fn maintain_goes_before_17_and_others_grants_of_it_are_reported() {
        let mut acl = owner_and_reader(&["MAINTAIN"]);
        acl.push(g("r", "MAINTAIN"));
        let lost = table_acl_for(&mut acl, Some("o"), false);
        assert_eq!(lost, vec![g("r", "MAINTAIN")]);
        assert_eq!(acl, owner_and_reader(&[]));
    }

    #[test]
    fn express_for_sets_the_version_and_keeps_same_major_acls() {
        let mut cat = Catalog { server_version: 150004, ..Default::default() };
        assert!(express_for(&mut cat, 150010).is_empty());
        assert_eq!(cat.server_version, 150010);
        assert_eq!(major(170002), 17);
    }
}
