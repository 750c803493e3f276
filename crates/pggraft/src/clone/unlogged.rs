//! `clone --unlogged`: the copy's tables are created `UNLOGGED`, so loading
//! them writes no WAL. The trade-off is durability: after a crash of the
//! target's server its unlogged tables come back empty, and they are not
//! replicated to standbys. Meant for throwaway copies (test sandboxes, a
//! backup taken before a risky change and dropped again).
//!
//! The same rewrite of the model serves the clone (what it renders) and the
//! verification after it (what the target is expected to hold).

use std::collections::BTreeSet;

use crate::catalog::Catalog;
use crate::sql::QualifiedName;

/// Marks every table of `cat` that can be unlogged as such: not foreign
/// tables, nor partitioned parents (PostgreSQL refuses `UNLOGGED` on them),
/// nor a table a logged table's foreign key references (a permanent table's
/// constraint may reference only permanent tables), transitively.
pub(crate) fn unlog(cat: &mut Catalog) {
    let mut logged: BTreeSet<QualifiedName> = cat
        .tables
        .iter()
        .filter(|t| !t.unlogged && (t.foreign.is_some() || t.partition_key.is_some()))
        .map(|t| t.name.clone())
        .collect();
    loop {
        let referenced: Vec<QualifiedName> = cat
            .tables
            .iter()
            .filter(|t| logged.contains(&t.name))
            .flat_map(|t| t.constraints.iter().filter_map(|c| c.references.clone()))
            .filter(|r| !logged.contains(r))
            .collect();
        if referenced.is_empty() {
            break;
        }
        logged.extend(referenced);
    }
    for t in &mut cat.tables {
        if !logged.contains(&t.name) {
            t.unlogged = true;
        }
    }
}
