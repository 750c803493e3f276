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
//! very old transactions may). A row whose `xmin` is at or past the old
//! snapshot's `xmax` is a version the copy cannot hold, so it is written
//! without a look at the copy; the rows of the transactions in between (those
//! the old snapshot may have seen finish) have their hashes compared with the
//! copy's, so only those that differ are written.
//!
//! Deletes leave no row. They are found by summing up the keys per bucket
//! on both sides, in the same source scan that finds the rows written since
//! ([`key_diff`]): where keys are dense, a bucket of 64 consecutive key
//! values is a 64-bit map of the keys present, and the two maps name every
//! key deleted from the source (or missing from the copy) without another
//! read; sparser keys are counted per bucket of about 64 keys, and, under
//! the documented assumption that nothing but refresh writes the copy (its
//! keys with the new ones it lacks are a superset of the source's), only
//! the buckets whose counts differ are read key by key on both sides. Rows
//! the copy lacks outside the changed ones (someone deleted them from the
//! copy) show up the same way and are copied again.
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
    /// The old snapshot's `xmax`: a row whose `xmin` is at or past it was
    /// written by a transaction the copy's snapshot did not see, so the copy
    /// cannot hold that row version. Only rows between `from` and `seen`
    /// (transactions that may have finished before the copy's snapshot) need
    /// their hashes compared with the copy's.
    pub seen: u64,
}

/// At most this many transactions between the snapshots: past half the
/// 32-bit space, an `xmin` no longer tells old from new.
const WINDOW: u64 = 1 << 31;

/// Keys per count bucket, about (a power of two: buckets are `key >> shift`).
const BUCKET_KEYS: f64 = 64.0;

/// Key maps are used up to this many buckets even when the keys are
/// sparse (fewer than a quarter of a bucket's 64 values exist).
const MAP_BUCKETS: f64 = 65_536.0;

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
        let (Some(from), Some(seen), Some(to)) = (field(old, 0), field(old, 1), field(new, 1))
        else {
            return Err(format!("unreadable snapshots {old:?} and {new:?}"));
        };
        if to < from || seen < from || to - from >= WINDOW {
            return Err(format!(
                "{} transactions since the copy's snapshot: too many to tell by xmin",
                to.saturating_sub(from)
            ));
        }
        Ok(Horizon { from, to, seen: seen.min(to) })
    }

    /// How old, as `age()` counts in the reading session's transaction,
    /// `from` and `seen` are. `age(xid)` counts back from the transaction's
    /// view of the next transaction ID, which stays the same for the whole
    /// transaction and lies past every visible row's `xmin` (and past
    /// `to`); within the horizon's window of 2^31 the 32-bit difference
    /// orders them, and frozen IDs are infinitely old. So a row was written
    /// inside the horizon when `age(xmin)` is at most the first, and the
    /// copy's snapshot may have seen it when it is above the second.
    /// (Converting `xmin` to text and back to compare it cost a scan of two
    /// million rows 0.3 s of CPU; one `age` call per row costs a quarter.)
    pub(crate) async fn ages(&self, c: &Client) -> Result<Ages> {
        let xid = |x: u64| format!("pg_catalog.age(CAST('{}' AS pg_catalog.xid))", x % (1 << 32));
        let row = c
            .query_one(&format!("SELECT {}, {}", xid(self.from), xid(self.seen)), &[])
            .await
            .ctx("reading the age of the copy's snapshot")?;
        Ok(Ages { from: row.get(0), seen: row.get(1) })
    }
}

/// [`Horizon::ages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ages {
    pub from: i32,
    pub seen: i32,
}

impl Ages {
    /// The source rows written inside the horizon.
    pub(crate) fn written_sql(&self) -> String {
        format!("pg_catalog.age(xmin) <= {}", self.from)
    }

    /// Of those, the ones the copy's snapshot may have seen; `None` when
    /// there are none (no transaction was running when it was taken).
    pub(crate) fn uncertain_sql(&self) -> Option<String> {
        (self.from > self.seen).then(|| {
            format!(
                "pg_catalog.age(xmin) <= {} AND pg_catalog.age(xmin) > {}",
                self.from, self.seen
            )
        })
    }
}

/// Whether a key of these source types can be compared by horizon.
pub(crate) fn key_fits(types: &[String]) -> bool {
    matches!(types, [t] if matches!(t.as_str(), "smallint" | "integer" | "bigint"))
}

/// Finds what differs for a table with a one-column integer key at
/// position `key` of the compared columns of `src` and `tgt`, both sessions
/// in their snapshots; `est_rows` is the statistics' row count (it only
/// sets the bucket size).
///
/// One pass over each side, run at once: the source's groups its keys by
/// bucket and, in the same scan, collects the keys (and row hashes) of the
/// rows written since the horizon; the target's groups its keys the same
/// way. Where the keys are dense enough (a bucket of 64 consecutive key
/// values holds a quarter of them or more, as serial keys do), a bucket is
/// summed up as a 64-bit map of which of its keys exist: comparing the
/// two maps names every deleted and missing key at once, with no key read
/// back. Sparser keys are counted per bucket of about [`BUCKET_KEYS`]
/// keys instead, and the keys of the buckets whose counts differ are read
/// on both sides.
pub(crate) async fn key_diff(
    h: &Horizon,
    (src_c, src_t): (&Client, &CompareTable),
    (tgt_c, tgt_t): (&Client, &CompareTable),
    key: usize,
    est_rows: f64,
) -> Result<KeyDiff> {
    let (src, tgt) = (&src_t.name, &tgt_t.name);
    let (src_key, tgt_key) = (src_t.columns[key].as_str(), tgt_t.columns[key].as_str());
    let (sk, tk) = (format!("{}::pg_catalog.int8", ident(src_key)), ident(tgt_key));
    let tk8 = format!("{tk}::pg_catalog.int8");
    // The key's index answers these at once.
    let span = src_c
        .query_one(
            &format!(
                "SELECT min({k})::pg_catalog.int8, max({k})::pg_catalog.int8 FROM ONLY {src}",
                k = ident(src_key)
            ),
            &[],
        )
        .await
        .ctx(format!("reading the key range of source table {src}"))?;
    let (lo, hi): (Option<i64>, Option<i64>) = (span.get(0), span.get(1));
    let width = match (lo, hi) {
        (Some(lo), Some(hi)) => hi as f64 - lo as f64 + 1.0,
        _ => 0.0,
    };
    let rows = est_rows.max(1.0);
    let bitmap = width / 64.0 <= (rows / 16.0).max(MAP_BUCKETS);
    let shift = if bitmap {
        6
    } else {
        ((width / rows) * BUCKET_KEYS).max(1.0).log2().floor().clamp(0.0, 62.0) as u32
    };
    // A bucket's summary: its map of keys, or where keys are sparse its
    // count (a map also gives the count: keys are unique).
    let summary = |k: &str| {
        if bitmap {
            format!("pg_catalog.bit_or(1::pg_catalog.int8 << ({k} & 63)::pg_catalog.int4)")
        } else {
            "count(*)".to_string()
        }
    };
    let ages = h.ages(src_c).await?;
    let written = ages.written_sql();
    // Row hashes are needed only where the copy may hold the row as it is:
    // rows written since the copy's snapshot began that it may have seen,
    // or, where keys are only counted, every written row (its key is looked
    // up in the copy anyway).
    let hashed = if bitmap { ages.uncertain_sql() } else { Some(written.clone()) };
    let hashes = match hashed {
        Some(w) => format!(
            "pg_catalog.array_agg({sk}) FILTER (WHERE {w}), \
             pg_catalog.array_agg({}) FILTER (WHERE {w})",
            src_t.row_hash()
        ),
        None => "NULL::pg_catalog.int8[], NULL::pg_catalog.int8[]".to_string(),
    };
    let src_sql = format!(
        "SELECT {sk} >> {shift}, {}, pg_catalog.array_agg({sk}) FILTER (WHERE {written}), \
         {hashes} FROM ONLY {src} GROUP BY 1",
        summary(&sk),
    );
    let tgt_sql = format!("SELECT {tk8} >> {shift}, {} FROM ONLY {tgt} GROUP BY 1", summary(&tk8));
    // One scan each, no parallel workers (the two sides already share the
    // cores), and enough memory to group every bucket in one hash table.
    let (s_rows, t_rows) = futures_util::future::try_join(
        async {
            with_scan_settings(src_c, &src_sql)
                .await
                .ctx(format!("reading the keys of source table {src}"))
        },
        async {
            with_scan_settings(tgt_c, &tgt_sql)
                .await
                .ctx(format!("reading the keys of target table {tgt}"))
        },
    )
    .await?;
    // (count, map) of a bucket's summary.
    let sum = |v: i64| if bitmap { (i64::from(v.count_ones()), v) } else { (v, 0) };
    let mut keys: Vec<i64> = vec![];
    let mut hashes: Vec<(i64, i64)> = vec![];
    let mut s_sum: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for r in &s_rows {
        s_sum.insert(r.get(0), sum(r.get(1)));
        if let Some(k) = r.get::<_, Option<Vec<i64>>>(2) {
            keys.extend(k);
        }
        let (k, v): (Option<Vec<i64>>, Option<Vec<i64>>) = (r.get(3), r.get(4));
        if let (Some(k), Some(v)) = (k, v) {
            hashes.extend(k.into_iter().zip(v));
        }
    }
    let mut t_sum: BTreeMap<i64, (i64, i64)> =
        t_rows.iter().map(|r| (r.get(0), sum(r.get(1)))).collect();
    keys.sort_unstable();
    // The hashed rows the copy holds as they are drop out of the written
    // ones (the horizon is a superset).
    let looked_up: Vec<i64> = hashes.iter().map(|w| w.0).collect();
    let held: BTreeMap<i64, i64> = if looked_up.is_empty() {
        BTreeMap::new()
    } else {
        tgt_c
            .query(
                &format!(
                    "SELECT {tk8}, {} FROM ONLY {tgt} WHERE {tk} = ANY($1::pg_catalog.int8[])",
                    tgt_t.row_hash()
                ),
                &[&looked_up],
            )
            .await
            .ctx(format!("looking up the keys written since in target table {tgt}"))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let same: BTreeSet<i64> =
        hashes.iter().filter(|(k, hash)| held.get(k) == Some(hash)).map(|w| w.0).collect();
    // Whether the copy holds a key at all: its map says so, or the lookup.
    let in_copy = |k: i64| {
        if bitmap {
            t_sum.get(&(k >> shift)).is_some_and(|t| t.1 & (1i64 << (k & 63)) != 0)
        } else {
            held.contains_key(&k)
        }
    };
    let lacking: Vec<i64> = keys.iter().copied().filter(|&k| !in_copy(k)).collect();
    let changed: Vec<i64> = keys.iter().copied().filter(|k| !same.contains(k)).collect();
    let changed_set: BTreeSet<i64> = changed.iter().copied().collect();
    let mut diff = KeyDiff {
        changed: changed.iter().map(|k| vec![k.to_string()]).collect(),
        ..KeyDiff::default()
    };
    // The copy lacks these keys (inserted since): they count on its side.
    for k in &lacking {
        let e = t_sum.entry(k >> shift).or_default();
        e.0 += 1;
        if bitmap {
            e.1 |= 1i64 << (k & 63);
        }
    }
    let buckets: BTreeSet<i64> = s_sum
        .keys()
        .chain(t_sum.keys())
        .filter(|b| s_sum.get(b) != t_sum.get(b))
        .copied()
        .collect();
    diff.ranges = s_sum.len().max(t_sum.len());
    diff.differing = buckets.len();
    if buckets.is_empty() {
        return Ok(diff);
    }
    if bitmap {
        // The maps name the keys: bit i of bucket b is key b * 64 + i. The
        // new keys were added to the copy's maps above, so a bit only the
        // source has is a key the copy lacks that was not written since.
        for b in &buckets {
            let (s, t) = (s_sum.get(b).map_or(0, |x| x.1), t_sum.get(b).map_or(0, |x| x.1));
            let key_of = |bit: u32| (b << 6) | i64::from(bit);
            for bit in Bits(t & !s) {
                diff.extra.push(vec![key_of(bit).to_string()]);
            }
            for bit in Bits(s & !t) {
                if !changed_set.contains(&key_of(bit)) {
                    diff.missing.push(vec![key_of(bit).to_string()]);
                }
            }
        }
        return Ok(diff);
    }
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
    diff.extra = t_keys.difference(&s_keys).map(|k| vec![k.to_string()]).collect();
    diff.missing = s_keys
        .difference(&t_keys)
        .filter(|k| !changed_set.contains(k))
        .map(|k| vec![k.to_string()])
        .collect();
    Ok(diff)
}

/// Runs one grouping scan without parallel workers and hashed in memory
/// (the planner takes `key >> n` for as many groups as rows and would sort
/// two million rows on disk instead of hashing 31,000 buckets), then puts the session's settings back (the
/// session compares other tables after this one, in the same transaction).
async fn with_scan_settings(
    c: &Client,
    sql: &str,
) -> std::result::Result<Vec<tokio_postgres::Row>, tokio_postgres::Error> {
    let was = c
        .query_one(
            "SELECT pg_catalog.current_setting('work_mem'), \
             pg_catalog.current_setting('max_parallel_workers_per_gather'), \
             pg_catalog.current_setting('enable_sort'), \
             pg_catalog.set_config('work_mem', '256MB', true), \
             pg_catalog.set_config('max_parallel_workers_per_gather', '0', true), \
             pg_catalog.set_config('enable_sort', 'off', true)",
            &[],
        )
        .await?;
    let (mem, workers, sort): (String, String, String) = (was.get(0), was.get(1), was.get(2));
    let rows = c.query(sql, &[]).await?;
    c.query_one(
        "SELECT pg_catalog.set_config('work_mem', $1, true), \
         pg_catalog.set_config('max_parallel_workers_per_gather', $2, true), \
         pg_catalog.set_config('enable_sort', $3, true)",
        &[&mem, &workers, &sort],
    )
    .await?;
    Ok(rows)
}

/// The positions of the set bits of a word, lowest first.
struct Bits(i64);

impl Iterator for Bits {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let bit = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(bit)
    }
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
        assert_eq!(h, Horizon { from: 4294967300, to: 4294967500, seen: 4294967310 });
        let ages = Ages { from: 200, seen: 190 };
        assert_eq!(ages.written_sql(), "pg_catalog.age(xmin) <= 200");
        assert_eq!(
            ages.uncertain_sql().unwrap(),
            "pg_catalog.age(xmin) <= 200 AND pg_catalog.age(xmin) > 190"
        );
        assert_eq!(Ages { from: 200, seen: 200 }.uncertain_sql(), None);
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
