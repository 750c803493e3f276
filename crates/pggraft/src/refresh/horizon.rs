//! Incremental refresh by transaction horizon: which source rows changed
//! since the last copy, without hashing every row.
//!
//! Every row version carries the transaction that wrote it (`xmin`). The
//! copy's record holds the source snapshot its data comes from
//! (`pg_current_snapshot()`): a row written by a transaction that snapshot
//! did not see as finished has an `xmin` at or past the snapshot's `xmin`.
//! So the rows inserted or updated since are among those whose `xmin` lies
//! between the old snapshot's `xmin` and the new one's `xmax`: one pass over
//! the source that reads no column but the key and sends only those keys
//! (a superset: rows of transactions that had finished by the old snapshot
//! count too when an older one was still running then, and frozen rows of
//! very old transactions may; the candidates' row hashes are compared with
//! the copy's, so only rows that differ are written).
//!
//! Deletes leave no row. They are found by counting: under the documented
//! assumption that nothing but refresh writes the copy, the copy's keys
//! together with the new keys it lacks are a superset of the source's, so a
//! bucket of keys (`key >> shift`, about 64 keys each) whose counts differ
//! holds deleted keys, and only those buckets' keys are read on both sides.
//! Rows the copy lacks outside the changed ones (someone deleted them from
//! the copy) show up the same way and are copied again.
//!
//! Only trusted on the same cluster, timeline and database as the recorded
//! snapshot ([`super::record::source_identity`]), within 2^31 transactions
//! of it (the 32-bit `xmin` wraps), and for a key of one integer column;
//! otherwise the table is compared by row hashes ([`crate::verify::ranges`]).

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use super::record::CopyRecord;
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, ident};
use crate::verify::ranges::{CompareTable, KeyDiff};

/// The transactions whose rows count as changed: `xmin` in `[from, to)`,
/// as 64-bit transaction IDs (`xid8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Horizon {
    pub from: u64,
    pub to: u64,
}

/// At most this many transactions between the snapshots: past half the
/// 32-bit space, an `xmin` no longer tells old from new.
const WINDOW: u64 = 1 << 31;

/// Keys per count bucket, about (a power of two: buckets are `key >> shift`).
const BUCKET_KEYS: f64 = 64.0;

impl Horizon {
    /// The horizon from the copy's recorded snapshot to the refresh's, or
    /// why there is none.
    pub(crate) fn between(
        recorded: Option<&CopyRecord>,
        snapshot: Option<&str>,
        identity: Option<&str>,
    ) -> std::result::Result<Horizon, String> {
        let Some(r) = recorded else {
            return Err("the copy is not recorded: no snapshot to start from".into());
        };
        let (Some(old), Some(new)) = (r.snapshot.as_deref(), snapshot) else {
            return Err("no snapshot recorded with the copy".into());
        };
        let (Some(was), Some(is)) = (r.source_identity.as_deref(), identity) else {
            return Err("the source's system identifier cannot be read (pg_control_system() and \
                        pg_control_checkpoint() need superuser or a GRANT EXECUTE)"
                .into());
        };
        if was != is {
            return Err(format!(
                "the source is not the cluster, timeline or database the copy's snapshot was \
                 taken on ({was}; now {is})"
            ));
        }
        let field = |s: &str, i: usize| s.split(':').nth(i).and_then(|v| v.parse::<u64>().ok());
        let (Some(from), Some(to)) = (field(old, 0), field(new, 1)) else {
            return Err(format!("unreadable snapshots {old:?} and {new:?}"));
        };
        if to < from || to - from >= WINDOW {
            return Err(format!(
                "{} transactions since the copy's snapshot: too many to tell by xmin",
                to.saturating_sub(from)
            ));
        }
        Ok(Horizon { from, to })
    }

    /// The condition on a source row written inside the horizon: its 32-bit
    /// `xmin`, counted from `from` modulo 2^32, is below `to - from`.
    pub(crate) fn changed_sql(&self) -> String {
        format!(
            "((pg_catalog.int8(xmin::pg_catalog.text) - {} + 4294967296) % 4294967296) < {}",
            self.from % (1 << 32),
            self.to - self.from
        )
    }
}

/// Whether a key of these source types can be compared by horizon.
pub(crate) fn key_fits(types: &[String]) -> bool {
    matches!(types, [t] if matches!(t.as_str(), "smallint" | "integer" | "bigint"))
}

/// Finds what differs for a table with a one-column integer key at
/// position `key` of the compared columns of `src` and `tgt`, both sessions
/// in their snapshots.
pub(crate) async fn key_diff(
    h: &Horizon,
    (src_c, src_t): (&Client, &CompareTable),
    (tgt_c, tgt_t): (&Client, &CompareTable),
    key: usize,
) -> Result<KeyDiff> {
    let (src, tgt) = (&src_t.name, &tgt_t.name);
    let (src_key, tgt_key) = (src_t.columns[key].as_str(), tgt_t.columns[key].as_str());
    let (sk, tk) = (format!("{}::pg_catalog.int8", ident(src_key)), ident(tgt_key));
    let tk8 = format!("{tk}::pg_catalog.int8");
    // The rows written since, by key and row hash (the horizon is a
    // superset: rows the copy already holds as they are drop out when their
    // hashes match), and the row counts (the key's index answers min and
    // max). Separate queries: counting in parallel workers while also
    // collecting keys per group would not be.
    let written: Vec<(i64, i64)> = src_c
        .query(
            &format!("SELECT {sk}, {} FROM ONLY {src} WHERE {}", src_t.row_hash(), h.changed_sql()),
            &[],
        )
        .await
        .ctx(format!("reading the keys written since in source table {src}"))?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let keys: Vec<i64> = written.iter().map(|w| w.0).collect();
    let held_sql = format!(
        "SELECT {tk8}, {} FROM ONLY {tgt} WHERE {tk} = ANY($1::pg_catalog.int8[])",
        tgt_t.row_hash()
    );
    let (s_total, (t_total, held)) = futures_util::future::try_join(
        async {
            src_c
                .query_one(&count_sql(src, &ident(src_key)), &[])
                .await
                .ctx(format!("counting the rows of source table {src}"))
        },
        async {
            let t = tgt_c
                .query_one(&count_sql(tgt, &tk), &[])
                .await
                .ctx(format!("counting the rows of target table {tgt}"))?;
            let held: BTreeMap<i64, i64> = tgt_c
                .query(&held_sql, &[&keys])
                .await
                .ctx(format!("looking up the keys written since in target table {tgt}"))?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            Ok::<_, crate::Error>((t, held))
        },
    )
    .await?;
    // The copy lacks these keys (inserted since): they count on its side.
    let new: Vec<i64> = keys.iter().copied().filter(|k| !held.contains_key(k)).collect();
    let mut changed: Vec<i64> =
        written.iter().filter(|(k, hash)| held.get(k) != Some(hash)).map(|w| w.0).collect();
    let mut diff = KeyDiff::default();
    changed.sort_unstable();
    diff.changed = changed.iter().map(|k| vec![k.to_string()]).collect();
    // The copy's rows and the new keys make exactly the source's: nothing
    // was deleted (nor is missing), no need to look further.
    if s_total.get::<_, i64>(0) == t_total.get::<_, i64>(0) + new.len() as i64 {
        diff.ranges = 1;
        return Ok(diff);
    }
    // Buckets of about BUCKET_KEYS keys, from the key's spread.
    let rows: i64 = s_total.get(0);
    let span: (Option<i64>, Option<i64>) = (s_total.get(1), s_total.get(2));
    let shift = match span {
        (Some(lo), Some(hi)) => {
            let gap = (hi as f64 - lo as f64 + 1.0) / (rows.max(1) as f64);
            (gap * BUCKET_KEYS).max(1.0).log2().floor().clamp(0.0, 62.0) as u32
        }
        _ => 6,
    };
    // One pass over each side: keys per bucket.
    let src_sql = format!("SELECT {sk} >> {shift}, count(*) FROM ONLY {src} GROUP BY 1");
    let tgt_sql = format!("SELECT {tk8} >> {shift}, count(*) FROM ONLY {tgt} GROUP BY 1");
    let (s_rows, t_rows) = futures_util::future::try_join(
        async {
            src_c.query(&src_sql, &[]).await.ctx(format!("counting keys of source table {src}"))
        },
        async {
            tgt_c.query(&tgt_sql, &[]).await.ctx(format!("counting keys of target table {tgt}"))
        },
    )
    .await?;
    let s_count: BTreeMap<i64, i64> =
        s_rows.iter().map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1))).collect();
    let mut t_count: BTreeMap<i64, i64> =
        t_rows.iter().map(|r| (r.get::<_, i64>(0), r.get::<_, i64>(1))).collect();
    for k in &new {
        *t_count.entry(k >> shift).or_default() += 1;
    }
    let buckets: BTreeSet<i64> = s_count
        .keys()
        .chain(t_count.keys())
        .filter(|b| s_count.get(b) != t_count.get(b))
        .copied()
        .collect();
    diff.ranges = s_count.len().max(t_count.len());
    diff.differing = buckets.len();
    if !buckets.is_empty() {
        let lows: Vec<i64> = buckets.iter().map(|b| b << shift).collect();
        let width: i64 = (1i64 << shift) - 1;
        let keys_in = |k: &str, t: &QualifiedName| {
            format!(
                "SELECT {k}::pg_catalog.int8 FROM ONLY {t}, pg_catalog.unnest($1::pg_catalog.int8[]) lo \
                 WHERE {k} >= lo AND {k} <= lo + {width}"
            )
        };
        let (a, b) = futures_util::future::try_join(
            async {
                src_c
                    .query(&keys_in(&ident(src_key), src), &[&lows])
                    .await
                    .ctx(format!("reading keys of source table {src}"))
            },
            async {
                tgt_c
                    .query(&keys_in(&tk, tgt), &[&lows])
                    .await
                    .ctx(format!("reading keys of target table {tgt}"))
            },
        )
        .await?;
        let s_keys: BTreeSet<i64> = a.iter().map(|r| r.get(0)).collect();
        let t_keys: BTreeSet<i64> = b.iter().map(|r| r.get(0)).collect();
        diff.streamed = (s_keys.len() + t_keys.len()) as u64;
        let changed_set: BTreeSet<i64> = changed.iter().copied().collect();
        diff.extra = t_keys.difference(&s_keys).map(|k| vec![k.to_string()]).collect();
        diff.missing = s_keys
            .difference(&t_keys)
            .filter(|k| !changed_set.contains(k))
            .map(|k| vec![k.to_string()])
            .collect();
    }
    Ok(diff)
}

/// Rows, and the smallest and largest key (the key's index answers those).
fn count_sql(t: &QualifiedName, k: &str) -> String {
    format!("SELECT count(*), min({k})::pg_catalog.int8, max({k})::pg_catalog.int8 FROM ONLY {t}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(snapshot: &str, identity: Option<&str>) -> CopyRecord {
        CopyRecord {
            target_schema: "copy".into(),
            source_schema: "app".into(),
            source: "postgres://me@db/app".into(),
            source_database: "app".into(),
            options: super::super::record::CopyOptions {
                lower_case: false,
                template: None,
                tables: Default::default(),
                exclude_table_data: vec![],
            },
            made_by: "clone".into(),
            snapshot_at: "2026-01-02 03:04:05".into(),
            snapshot: Some(snapshot.into()),
            source_identity: identity.map(str::to_string),
            refreshed_at: None,
            watermarks: Default::default(),
            changes: Default::default(),
        }
    }

    #[test]
    fn the_horizon_runs_from_the_old_xmin_to_the_new_xmax() {
        let id = "system 7 timeline 1 database 5";
        let r = record("4294967300:4294967310:4294967301", Some(id));
        let h = Horizon::between(Some(&r), Some("4294967400:4294967500:"), Some(id)).unwrap();
        assert_eq!(h, Horizon { from: 4294967300, to: 4294967500 });
        // The 32-bit xmin counts from 4 (4294967300 mod 2^32), wrapping.
        assert_eq!(
            h.changed_sql(),
            "((pg_catalog.int8(xmin::pg_catalog.text) - 4 + 4294967296) % 4294967296) < 200"
        );
    }

    #[test]
    fn no_horizon_across_clusters_or_without_an_identity() {
        let r = record("100:110:", Some("system 7 timeline 1 database 5"));
        let other =
            Horizon::between(Some(&r), Some("200:210:"), Some("system 8 timeline 1 database 5"));
        assert!(other.unwrap_err().contains("not the cluster"));
        assert!(Horizon::between(Some(&r), Some("200:210:"), None).is_err());
        let unknown = record("100:110:", None);
        assert!(Horizon::between(Some(&unknown), Some("200:210:"), Some("x")).is_err());
        let far = format!("{}:{}:", 100 + WINDOW, 110 + WINDOW);
        let r = record("100:110:", Some("x"));
        assert!(
            Horizon::between(Some(&r), Some(&far), Some("x")).unwrap_err().contains("too many")
        );
        assert!(Horizon::between(None, Some("1:2:"), Some("x")).is_err());
    }

    #[test]
    fn only_one_integer_key_column_fits() {
        assert!(key_fits(&["bigint".to_string()]));
        assert!(!key_fits(&["text".to_string()]));
        assert!(!key_fits(&["integer".to_string(), "integer".to_string()]));
    }
}
