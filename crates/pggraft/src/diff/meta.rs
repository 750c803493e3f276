//! Metadata of an object that stays: owner, privileges (object and
//! column ACLs, a schema's default privileges) and comments, changed in
//! place. The definition's changes are [`super::alter`]'s.

use std::collections::BTreeSet;

use super::Change;
use super::engine::{Diff, change};
use super::objects::Obj;
use crate::catalog::model::*;
use crate::ddl::render::{self as render, acl_statements, grantee};
use crate::sql::{ident, literal};

impl<'a> Diff<'a> {
    /// Owner, privilege and comment changes of an object that stays.
    pub(super) fn meta(&self, k: &str, f: Obj<'a>, t: Obj<'a>) -> Vec<Change> {
        let mut out = vec![];
        if let (Some(a), Some(b), Some(target)) = (f.owner(), t.owner(), t.alter_target())
            && a != b
        {
            out.push(change(format!("ALTER {target} OWNER TO {}", ident(b)), k, "owner"));
        }
        // Both on default privileges: they follow the owner by themselves.
        if let (Some((class, on, fo, fa)), Some((_, _, to_owner, ta))) = (f.acl(), t.acl())
            && (fa.is_some() || ta.is_some())
        {
            let eff = |owner: Option<&str>, acl: Option<&Vec<Grant>>| -> Vec<Grant> {
                acl.cloned().unwrap_or_else(|| class.defaults(owner, self.to.server_version))
            };
            let (from_acl, to_acl) = (eff(fo, fa), eff(to_owner, ta));
            if from_acl != to_acl {
                for sql in acl_statements(&format!("{} {on}", class.keyword()), &from_acl, &to_acl)
                {
                    out.push(change(sql, k, "privileges"));
                }
            }
        }
        let tcols = t.column_acls();
        for (col, fa) in f.column_acls() {
            let Some((_, ta)) = tcols.iter().find(|(c, _)| *c == col) else { continue };
            let (fa, ta) = (fa.cloned().unwrap_or_default(), ta.cloned().unwrap_or_default());
            if fa == ta {
                continue;
            }
            let on = match t {
                Obj::Table(x) => x.name.to_string(),
                Obj::View(x) => x.name.to_string(),
                _ => continue,
            };
            for g in fa.iter().filter(|g| {
                !ta.iter().any(|x| x.grantee == g.grantee && x.privilege == g.privilege)
            }) {
                out.push(change(
                    format!(
                        "REVOKE {} ({}) ON TABLE {on} FROM {}",
                        g.privilege,
                        ident(col),
                        grantee(&g.grantee)
                    ),
                    k,
                    "privileges",
                ));
            }
            for g in ta.iter().filter(|g| !fa.contains(g)) {
                let opt = if g.grantable { " WITH GRANT OPTION" } else { "" };
                out.push(change(
                    format!(
                        "GRANT {} ({}) ON TABLE {on} TO {}{opt}",
                        g.privilege,
                        ident(col),
                        grantee(&g.grantee)
                    ),
                    k,
                    "privileges",
                ));
            }
        }
        if let (Obj::Schema(fs), Obj::Schema(ts)) = (f, t) {
            out.extend(default_privileges_changes(k, fs, ts));
        }
        let fc = f.comments();
        for (target, comment) in t.comments() {
            let before =
                fc.iter().find(|(x, _)| *x == target).map(|(_, c)| c.clone()).unwrap_or(None);
            if before != comment {
                let value = comment.as_deref().map(literal).unwrap_or_else(|| "NULL".into());
                out.push(change(format!("COMMENT ON {target} IS {value}"), k, "comment"));
            }
        }
        out
    }
}

/// Default-privilege changes of a schema that stays.
fn default_privileges_changes(k: &str, from: &Schema, to: &Schema) -> Vec<Change> {
    let find = |s: &'_ Schema, dp: &DefaultPrivileges| -> Vec<Grant> {
        s.default_privileges
            .iter()
            .find(|x| x.role == dp.role && x.objects == dp.objects)
            .map(|x| x.grants.clone())
            .unwrap_or_default()
    };
    let mut seen = BTreeSet::new();
    let mut out = vec![];
    for dp in from.default_privileges.iter().chain(&to.default_privileges) {
        if !seen.insert((&dp.role, &dp.objects)) {
            continue;
        }
        let (a, b) = (find(from, dp), find(to, dp));
        if a != b {
            for sql in render::default_privileges_sql(&to.name, dp, &a, &b) {
                out.push(change(sql, k, render::DEFAULT_PRIVILEGES));
            }
        }
    }
    out
}
