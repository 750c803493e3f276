//! Models read from servers of different major versions, made comparable.
//!
//! Some things in a model are one server version's way of saying something rather than
//! structure, and they make equal schemas look different across versions:
//!
//! - **How the server prints a query.** PostgreSQL 16 stopped qualifying the columns of a
//!   query over one relation (`SELECT id FROM shop.orders` where 15 prints `SELECT orders.id
//!   …`). That is [`super::respell`]'s: one server re-spells the other side's definitions.
//! - **What privileges exist.** PostgreSQL 17 added `MAINTAIN`: a table's owner holds it by
//!   default there, and it cannot be granted before 17. [`express_for`] restates a model's
//!   privileges for another version.
//! - **What generated columns can be.** PostgreSQL 18 added virtual ones; before it they can
//!   only be stored ([`express_for`] stores them, with a warning).
//! - **Whether NOT NULL constraints have names.** A domain's do from 17 on, a column's from 18
//!   on (and may be `NOT VALID`); before that [`express_for`] drops the names, and a `NOT
//!   VALID` one with a warning. The constraints 17 and 18 added that an older server cannot
//!   hold at all are [`inexpressible`]'s.
//! - **Which extension versions there are.** Each server ships its own (citext 1.6 with 15,
//!   1.8 with 18); [`keep_extension_versions`] stops a diff from proposing an `ALTER
//!   EXTENSION … UPDATE` to a version the other server does not have.
//!
//! What else differs between versions is not modelled in a version-dependent way. Who calls
//! these (verify, diff, sync-schema, clone) is theirs to decide.

use super::model::*;
use crate::sql::{QualifiedName, ident};

/// PostgreSQL 17: `MAINTAIN` exists, and table owners hold it by default.
const MAINTAIN_SINCE: i32 = 170000;

/// PostgreSQL 18: generated columns may be virtual.
const VIRTUAL_SINCE: i32 = 180000;

/// What a table's owner holds by default before PostgreSQL 17.
const TABLE_OWNER_BEFORE_17: [&str; 7] =
    ["INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"];

/// PostgreSQL 17: a domain's NOT NULL constraint has a name, and a partitioned table may have
/// an access method.
const DOMAIN_NOT_NULL_NAMES_SINCE: i32 = 170000;

/// PostgreSQL 18: NOT NULL constraints have names (before it they are a column's flag).
pub(crate) const NOT_NULL_NAMES_SINCE: i32 = 180000;

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
    if version < DOMAIN_NOT_NULL_NAMES_SINCE {
        // Before 17 a partitioned table has no access method of its own (only the default
        // for partitions made later; each partition keeps its own).
        for t in cat.tables.iter_mut().filter(|t| t.partition_key.is_some()) {
            t.access_method = None;
        }
        for t in &mut cat.types {
            if let TypeKind::Domain { not_null_name, .. } = &mut t.kind {
                *not_null_name = None;
            }
        }
    }
    if version < NOT_NULL_NAMES_SINCE {
        for t in &mut cat.tables {
            for c in &mut t.columns {
                c.not_null_name = None;
                if c.not_null_no_inherit {
                    c.not_null_no_inherit = false;
                    warnings.push(format!(
                        "table {}: the NOT NULL constraint of column {} is NO INHERIT, which \
                         PostgreSQL {} does not have; a plain NOT NULL there",
                        t.name,
                        ident(&c.name),
                        major(version)
                    ));
                }
                if c.not_null_invalid {
                    c.not_null = false;
                    c.not_null_invalid = false;
                    warnings.push(format!(
                        "table {}: the NOT NULL constraint of column {} is NOT VALID, which \
                         PostgreSQL {} does not have; left out (CHECK ({} IS NOT NULL) NOT VALID \
                         says the same there)",
                        t.name,
                        ident(&c.name),
                        major(version),
                        ident(&c.name)
                    ));
                }
            }
        }
    }
    if version < VIRTUAL_SINCE {
        for t in &mut cat.tables {
            for c in t.columns.iter_mut().filter(|c| c.generated_virtual) {
                c.generated_virtual = false;
                warnings.push(format!(
                    "table {}: column {} is a virtual generated column, which PostgreSQL {} does \
                     not have; it is stored instead",
                    t.name,
                    ident(&c.name),
                    major(version)
                ));
            }
        }
    }
    cat.server_version = version;
    warnings
}

/// What a model holds that a server of `version` cannot create, one message each naming the
/// object and the ways out: the constraints PostgreSQL 18 added (NOT ENFORCED, keys WITHOUT
/// OVERLAPS, foreign keys with PERIOD, a NOT NULL NO INHERIT over inheritance children) and 17 allowed (exclusion on a partitioned table), onto
/// an older server. A clone refuses these before it
/// writes anything, instead of failing at the constraint after the data.
pub fn inexpressible(cat: &Catalog, version: i32) -> Vec<String> {
    if version >= NOT_NULL_NAMES_SINCE {
        return vec![];
    }
    let mut out = vec![];
    for t in &cat.tables {
        let children: Vec<String> = cat
            .tables
            .iter()
            .filter(|k| k.inherits.contains(&t.name))
            .map(|k| k.name.to_string())
            .collect();
        for c in t.columns.iter().filter(|c| c.not_null_no_inherit && !children.is_empty()) {
            out.push(format!(
                "table {}: the NOT NULL constraint of column {} is NO INHERIT, which PostgreSQL \
                 {} does not have: its inheritance children ({}) would get it there; leave them \
                 out (-T) or copy into PostgreSQL 18 or later",
                t.name,
                ident(&c.name),
                major(version),
                children.join(", ")
            ));
        }
        for c in &t.constraints {
            let what = if c.kind == "x" && t.partition_key.is_some() && version < 170000 {
                if c.has_parent {
                    continue;
                }
                "is an exclusion constraint on a partitioned table"
            } else if c.definition.ends_with(" NOT ENFORCED") {
                "is NOT ENFORCED"
            } else if matches!(c.kind.as_str(), "p" | "u")
                && c.definition.contains(" WITHOUT OVERLAPS)")
            {
                "is a key WITHOUT OVERLAPS"
            } else if c.kind == "f" && c.definition.contains("PERIOD ") {
                "is a foreign key with PERIOD"
            } else {
                continue;
            };
            out.push(format!(
                "table {}: constraint {} {what}, which PostgreSQL {} does not have; leave the \
                 table out (-T {}) or copy into PostgreSQL {} or later",
                t.name,
                ident(&c.name),
                major(version),
                t.name,
                if what.contains("exclusion") { 17 } else { 18 }
            ));
        }
    }
    out
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
