//! Dependencies: `pg_depend` edges between user objects, turned into
//! key-to-key edges of the model through the keys the other queries
//! recorded (a dependency on an extension member becomes one on the
//! extension). Ordering by them is [`crate::plan`]'s.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::Keys;
use crate::error::{PgResultExt, Result};

/// The `pg_depend` edges between user objects, as (classid, objid,
/// refclassid, refobjid).
pub(super) async fn fetch_depends(client: &Client) -> Result<Vec<[u32; 4]>> {
    // Only user objects: system objects (oid < 16384) are always there.
    let rows = client
        .query(
            "SELECT classid, objid, refclassid, refobjid FROM pg_depend \
             WHERE deptype IN ('n', 'a') AND objid >= 16384 AND refobjid >= 16384",
            &[],
        )
        .await
        .ctx("reading dependencies")?;
    Ok(rows.iter().map(|r| [r.get(0), r.get(1), r.get(2), r.get(3)]).collect())
}

/// Turns `pg_depend` edges into key-to-key edges between objects of the
/// model (and the extensions whose members they use).
pub(super) fn build_depends(keys: &Keys, edges: &[[u32; 4]]) -> BTreeMap<String, BTreeSet<String>> {
    let mut pairs: Vec<(&str, &str)> = edges
        .iter()
        .filter_map(|&[class, oid, refclass, refoid]| {
            // A column's dependency (objsubid > 0) belongs to its table's key.
            let from = keys.get(class, oid)?;
            let to =
                keys.get(refclass, refoid).or_else(|| keys.members.get(&(refclass, refoid)))?;
            (from != to).then_some((from.as_str(), to.as_str()))
        })
        .collect();
    // Sorted and grouped, so each key is allocated once and both maps are
    // built in bulk.
    pairs.sort_unstable();
    pairs.dedup();
    pairs
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| {
            let to: BTreeSet<String> = group.iter().map(|(_, to)| to.to_string()).collect();
            (group[0].0.to_string(), to)
        })
        .collect()
}
