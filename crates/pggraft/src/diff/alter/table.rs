//! A table altered in place: persistence, storage options, partition and
//! inheritance parents, replica identity and row-level security. Its
//! columns are [`super::columns`]'s; its constraints, indexes, triggers and
//! policies are objects of their own. A changed partition key or access
//! method, or a retyped column that a partition key names, cannot be
//! altered (`None`: recreate).

use crate::catalog::model::*;
use crate::diff::engine::{DETACH, Diff, change, hazard};
use crate::diff::{Change, HazardKind};
use crate::sql::ident;

use super::columns::mentions;

impl Diff<'_> {
    pub(super) fn alter_table(&mut self, k: &str, a: &Table, b: &Table) -> Option<Vec<Change>> {
        // A foreign table holds no rows: recreating it loses nothing.
        if a.partition_key != b.partition_key
            || a.access_method != b.access_method
            || a.foreign.is_some()
            || b.foreign.is_some()
            || self.partition_key_retyped(a, b)
        {
            return None;
        }
        let name = &b.name;
        let mut out = vec![];
        if a.unlogged != b.unlogged {
            out.push(hazard(
                change(
                    format!(
                        "ALTER TABLE {name} SET {}",
                        if b.unlogged { "UNLOGGED" } else { "LOGGED" }
                    ),
                    k,
                    "alter",
                ),
                HazardKind::TableRewrite,
                format!("{name} is rewritten"),
            ));
        }
        if a.options != b.options {
            // Reset all, then set in TO's order: the catalog keeps options
            // in the order they were set.
            let keys: Vec<&str> = a.options.iter().filter_map(|o| o.split('=').next()).collect();
            if !keys.is_empty() {
                out.push(change(
                    format!("ALTER TABLE {name} RESET ({})", keys.join(", ")),
                    k,
                    "alter",
                ));
            }
            if !b.options.is_empty() {
                out.push(change(
                    format!("ALTER TABLE {name} SET ({})", b.options.join(", ")),
                    k,
                    "alter",
                ));
            }
        }
        // Off the old parents first: a table still inheriting cannot be
        // attached as a partition, nor a partition made to inherit. The
        // detaches are a step of their own when the parent is rebuilt
        // (`detach`, see [`crate::diff::assemble`]).
        if a.partition_of != b.partition_of
            && let Some(p) = &a.partition_of
        {
            out.push(change(
                format!("ALTER TABLE {} DETACH PARTITION {name}", p.parent),
                k,
                DETACH,
            ));
        }
        for p in &a.inherits {
            if !b.inherits.contains(p) {
                out.push(change(format!("ALTER TABLE {name} NO INHERIT {p}"), k, DETACH));
            }
        }
        if a.partition_of != b.partition_of
            && let Some(p) = &b.partition_of
        {
            out.push(hazard(
                change(
                    format!("ALTER TABLE {} ATTACH PARTITION {name} {}", p.parent, p.bound),
                    k,
                    "alter",
                ),
                HazardKind::AccessExclusiveLock,
                format!("{name} is scanned to check the partition bound"),
            ));
        }
        for p in &b.inherits {
            if !a.inherits.contains(p) {
                out.push(change(format!("ALTER TABLE {name} INHERIT {p}"), k, "alter"));
            }
        }
        out.extend(self.alter_columns(k, a, b));
        if a.replica_identity != b.replica_identity
            || a.replica_identity_index != b.replica_identity_index
        {
            let sql = match (b.replica_identity.as_str(), &b.replica_identity_index) {
                ("f", _) => "FULL".to_string(),
                ("n", _) => "NOTHING".to_string(),
                ("i", Some(i)) => format!("USING INDEX {}", ident(i)),
                _ => "DEFAULT".to_string(),
            };
            out.push(change(format!("ALTER TABLE {name} REPLICA IDENTITY {sql}"), k, "alter"));
        }
        if a.rls_enabled != b.rls_enabled {
            out.push(change(
                format!(
                    "ALTER TABLE {name} {} ROW LEVEL SECURITY",
                    if b.rls_enabled { "ENABLE" } else { "DISABLE" }
                ),
                k,
                "alter",
            ));
        }
        if a.rls_forced != b.rls_forced {
            out.push(change(
                format!(
                    "ALTER TABLE {name} {} ROW LEVEL SECURITY",
                    if b.rls_forced { "FORCE" } else { "NO FORCE" }
                ),
                k,
                "alter",
            ));
        }
        Some(out)
    }
}

impl Diff<'_> {
    /// Whether a column whose type changes is in the partition key of the
    /// table or of a partition below it: PostgreSQL refuses to retype it
    /// ("cannot alter column … because it is part of the partition key").
    fn partition_key_retyped(&self, a: &Table, b: &Table) -> bool {
        if a.partition_of.is_some() {
            // A partition's columns are retyped through its root.
            return false;
        }
        let retyped: Vec<&str> = b
            .columns
            .iter()
            .filter(|c| a.columns.iter().any(|o| o.name == c.name && o.type_name != c.type_name))
            .map(|c| c.name.as_str())
            .collect();
        if retyped.is_empty() {
            return false;
        }
        let mut family = vec![&a.name];
        let mut i = 0;
        while i < family.len() {
            let parent = family[i];
            for t in &self.from.tables {
                if t.partition_of.as_ref().is_some_and(|p| &p.parent == parent)
                    && !family.contains(&&t.name)
                {
                    family.push(&t.name);
                }
            }
            i += 1;
        }
        family
            .iter()
            .filter_map(|n| self.from.table(n)?.partition_key.as_deref())
            .any(|pk| retyped.iter().any(|c| mentions(pk, c)))
    }
}
