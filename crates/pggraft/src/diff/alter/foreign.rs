//! Foreign servers and user mappings changed in place: `ALTER SERVER … VERSION … OPTIONS
//! (SET …, ADD …, DROP …)` and `ALTER USER MAPPING … OPTIONS (…)`. A server's wrapper or type
//! cannot change (and a diff never drops a server, which other schemas' foreign tables may
//! use): that is a warning. A secret option's value is not known to a diff (snapshots do not
//! hold it): one that is added is written as the placeholder, with a warning.

use super::super::engine::{Diff, change};
use crate::catalog::model::*;
use crate::diff::Change;
use crate::sql::{ident, literal};

/// ` OPTIONS (SET a 'x', ADD b 'y', DROP c)` turning `from` into `to`; `None` when equal.
/// Secret values compare as their placeholders.
fn options_change(from: &FdwOptions, to: &FdwOptions) -> Option<String> {
    let old: Vec<(&str, &str)> = from.shown().collect();
    let mut items = vec![];
    for (k, v) in to.shown() {
        match old.iter().find(|(o, _)| *o == k) {
            Some((_, ov)) if *ov == v => {}
            Some(_) => items.push(format!("SET {} {}", ident(k), literal(v))),
            None => items.push(format!("ADD {} {}", ident(k), literal(v))),
        }
    }
    for (k, _) in &old {
        if !to.0.iter().any(|(n, _)| n == k) {
            items.push(format!("DROP {}", ident(k)));
        }
    }
    (!items.is_empty()).then(|| format!(" OPTIONS ({})", items.join(", ")))
}

impl Diff<'_> {
    pub(in crate::diff) fn alter_server(
        &mut self,
        k: &str,
        a: &ForeignServer,
        b: &ForeignServer,
    ) -> Vec<Change> {
        let name = ident(&b.name);
        if a.wrapper != b.wrapper || a.server_type != b.server_type {
            self.warnings.push(format!(
                "foreign server {name} has another wrapper or type in TO; a diff cannot change \
                 them (and does not drop servers): recreate it by hand"
            ));
        }
        let mut out = vec![];
        if a.version != b.version {
            let v = b.version.as_deref().map_or("NULL".to_string(), literal);
            out.push(change(format!("ALTER SERVER {name} VERSION {v}"), k, "alter"));
        }
        if let Some(o) = options_change(&a.options, &b.options) {
            self.secret_warning(&format!("foreign server {name}"), &a.options, &b.options);
            out.push(change(format!("ALTER SERVER {name}{o}"), k, "alter"));
        }
        out
    }

    pub(in crate::diff) fn alter_user_mapping(
        &mut self,
        k: &str,
        s: &ForeignServer,
        a: &UserMapping,
        b: &UserMapping,
    ) -> Vec<Change> {
        let user = if b.user == "PUBLIC" { b.user.clone() } else { ident(&b.user) };
        let what = format!("user mapping for {user} on server {}", ident(&s.name));
        let (Some(from), Some(to)) = (&a.options, &b.options) else {
            self.warnings.push(format!(
                "{what}: its options could not be read on one side, so they are not compared"
            ));
            return vec![];
        };
        let Some(o) = options_change(from, to) else { return vec![] };
        self.secret_warning(&what, from, to);
        vec![change(
            format!("ALTER USER MAPPING FOR {user} SERVER {}{o}", ident(&s.name)),
            k,
            "alter",
        )]
    }

    /// Secret options TO adds are written as their placeholder: say so.
    fn secret_warning(&mut self, what: &str, from: &FdwOptions, to: &FdwOptions) {
        let added: Vec<&str> =
            to.secret_names().into_iter().filter(|n| !from.secret_names().contains(n)).collect();
        if !added.is_empty() {
            self.warnings.push(format!(
                "{what}: option {} is written as '{SECRET_PLACEHOLDER}'; set its value by hand",
                added.join(", ")
            ));
        }
    }
}
