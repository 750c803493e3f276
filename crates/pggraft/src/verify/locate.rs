//! Locating the rows that make two checksums differ.
//!
//! With a primary key, key ranges are bisected: a range whose (count, hash
//! sum) differs between the sides is cut into [`FANOUT`] parts at key
//! values taken from the side with more rows, and only the parts that still
//! differ are looked at again, until a range holds at most [`LEAF`] rows;
//! then both sides' `(key, row hash)` pairs are fetched and compared. Ranges
//! are visited depth first in key order, so the first `--row-limit`
//! differences are found without hashing the rest of the table again.
//!
//! The sides may order keys differently (text under different collation
//! versions), so a key that one side places in a range may lie in another
//! range on the other side. A key found on one side only is therefore
//! looked up by equality on the other before it is reported.
//!
//! Without a key, rows can only be compared as multisets: row hashes are
//! grouped into buckets by their low bits, and the hashes of differing
//! buckets are counted on both sides.

use std::collections::{BTreeMap, HashMap, HashSet};

use tokio_postgres::Client;
use tokio_postgres::types::ToSql;

use super::RowDiffs;
use super::checksum::{Stats, TableSql, parse_sum};
use crate::error::{PgResultExt, Result};
use crate::sql::ident;

/// Ranges with at most this many rows (on either side) are compared row by row.
pub(super) const LEAF: i64 = 1000;
/// How many parts a differing range is cut into.
pub(super) const FANOUT: i64 = 16;
/// Hash buckets for tables without a key (a power of two).
const BUCKETS: i64 = 4096;
/// At most this many differing buckets are fetched for a table without a
/// key; beyond that the counts are lower bounds.
const MAX_BUCKETS: usize = 256;

/// A table compared by key: both sides and the key columns' positions in
/// [`TableSql::columns`].
pub(super) struct Keyed<'a> {
    pub src: &'a TableSql,
    pub tgt: &'a TableSql,
    pub key: Vec<usize>,
}

pub(super) type Key = Vec<String>;

/// `[lo, hi)` in key order; `None` is unbounded.
#[derive(Debug, Clone, Default)]
pub(super) struct Range {
    pub lo: Option<Key>,
    pub hi: Option<Key>,
}

/// Builds the SQL of one side: key expressions and parameters bound as text
/// and cast to the key column's type on that side.
pub(super) struct SideSql<'a> {
    t: &'a TableSql,
    key: &'a [usize],
    pub(super) params: Vec<String>,
}

impl<'a> SideSql<'a> {
    pub(super) fn new(t: &'a TableSql, key: &'a [usize]) -> SideSql<'a> {
        SideSql { t, key, params: vec![] }
    }

    pub(super) fn cols(&self) -> Vec<String> {
        self.key.iter().map(|&i| ident(&self.t.columns[i])).collect()
    }

    /// `(k1, k2)`: a row constructor, or a parenthesised column for one key
    /// column; both compare in key order.
    fn key_expr(&self) -> String {
        format!("({})", self.cols().join(", "))
    }

    pub(super) fn key_text(&self) -> String {
        let cols: Vec<String> =
            self.cols().iter().map(|c| format!("{c}::pg_catalog.text")).collect();
        cols.join(", ")
    }

    fn value(&mut self, key: &[String]) -> String {
        let mut parts = vec![];
        for (&i, v) in self.key.iter().zip(key) {
            self.params.push(v.clone());
            parts.push(format!(
                "CAST(${}::pg_catalog.text AS {})",
                self.params.len(),
                self.t.types[i]
            ));
        }
        format!("({})", parts.join(", "))
    }

    pub(super) fn range_where(&mut self, r: &Range) -> String {
        let k = self.key_expr();
        let mut conds = vec![];
        if let Some(lo) = &r.lo {
            conds.push(format!("{k} >= {}", self.value(lo)));
        }
        if let Some(hi) = &r.hi {
            conds.push(format!("{k} < {}", self.value(hi)));
        }
        if conds.is_empty() { String::new() } else { format!(" WHERE {}", conds.join(" AND ")) }
    }

    pub(super) fn param_refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
    }
}

/// Key values that cut `r` into parts of `step` rows each (on this side).
pub(super) async fn boundaries(
    c: &Client,
    t: &TableSql,
    key: &[usize],
    r: &Range,
    step: i64,
    side: &str,
) -> Result<Vec<Key>> {
    let mut q = SideSql::new(t, key);
    let cols = q.cols();
    let inner: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} AS c{i}")).collect();
    let outer: Vec<String> = (0..cols.len()).map(|i| format!("c{i}::pg_catalog.text")).collect();
    let w = q.range_where(r);
    let sql = format!(
        "SELECT {} FROM (SELECT {}, row_number() OVER (ORDER BY {}) AS rn FROM {}{w}) s \
         WHERE rn > 1 AND (rn - 1) % {step} = 0 ORDER BY rn",
        outer.join(", "),
        inner.join(", "),
        cols.join(", "),
        t.from(),
    );
    let rows = c
        .query(&sql, &q.param_refs())
        .await
        .ctx(format!("splitting key ranges of {side} table {}", t.name))?;
    Ok(rows.iter().map(|row| (0..cols.len()).map(|i| row.get(i)).collect()).collect())
}

/// (count, hash sum) of each part of `r` cut at `bounds`.
pub(super) async fn part_stats(
    c: &Client,
    t: &TableSql,
    key: &[usize],
    r: &Range,
    bounds: &[Key],
    side: &str,
) -> Result<Vec<Stats>> {
    part_stats_by(c, t, &t.row_hash(), key, r, bounds, side).await
}

/// [`part_stats`] with another per-row hash expression (`hash`).
pub(super) async fn part_stats_by(
    c: &Client,
    t: &TableSql,
    hash: &str,
    key: &[usize],
    r: &Range,
    bounds: &[Key],
    side: &str,
) -> Result<Vec<Stats>> {
    let mut q = SideSql::new(t, key);
    let w = q.range_where(r);
    let k = q.key_expr();
    let mut case = String::from("CASE");
    for (i, b) in bounds.iter().enumerate() {
        let v = q.value(b);
        case.push_str(&format!(" WHEN {k} < {v} THEN {i}"));
    }
    case.push_str(&format!(" ELSE {} END", bounds.len()));
    let sql = format!(
        "SELECT {case} AS part, count(*), COALESCE(sum({hash}), 0)::pg_catalog.text FROM {}{w} GROUP BY 1",
        t.from()
    );
    let rows = c
        .query(&sql, &q.param_refs())
        .await
        .ctx(format!("hashing key ranges of {side} table {}", t.name))?;
    let mut out = vec![Stats::default(); bounds.len() + 1];
    for row in rows {
        let part: i32 = row.get(0);
        let sum: String = row.get(2);
        if let Some(s) = out.get_mut(usize::try_from(part).unwrap_or(usize::MAX)) {
            *s = Stats { rows: row.get(1), sum: parse_sum(&sum, &t.name)? };
        }
    }
    Ok(out)
}

/// `(key, row hash)` of every row in `r`, in key order.
async fn fetch(
    c: &Client,
    t: &TableSql,
    key: &[usize],
    r: &Range,
    side: &str,
) -> Result<Vec<(Key, i64)>> {
    let mut q = SideSql::new(t, key);
    let w = q.range_where(r);
    let sql = format!(
        "SELECT {}, {} FROM {}{w} ORDER BY {}",
        q.key_text(),
        t.row_hash(),
        t.from(),
        q.cols().join(", ")
    );
    let rows = c
        .query(&sql, &q.param_refs())
        .await
        .ctx(format!("reading row hashes of {side} table {}", t.name))?;
    let n = key.len();
    Ok(rows.iter().map(|row| ((0..n).map(|i| row.get(i)).collect(), row.get(n))).collect())
}

/// The row hash of the row with key `k`, if there is one.
async fn lookup(
    c: &Client,
    t: &TableSql,
    key: &[usize],
    k: &[String],
    side: &str,
) -> Result<Option<i64>> {
    let mut q = SideSql::new(t, key);
    let v = q.value(k);
    let sql = format!("SELECT {} FROM {} WHERE {} = {v}", t.row_hash(), t.from(), q.key_expr());
    let row = c
        .query_opt(&sql, &q.param_refs())
        .await
        .ctx(format!("looking up a row of {side} table {}", t.name))?;
    Ok(row.map(|r| r.get(0)))
}

#[derive(Clone, Copy)]
enum Kind {
    Missing,
    Extra,
    Changed,
}

/// What was found so far for one keyed table.
#[derive(Default)]
struct Found {
    missing: Vec<Key>,
    extra: Vec<Key>,
    changed: Vec<Key>,
    seen: HashSet<Key>,
    limit: usize,
    truncated: bool,
}

impl Found {
    fn len(&self) -> usize {
        self.missing.len() + self.extra.len() + self.changed.len()
    }

    fn full(&self) -> bool {
        self.len() >= self.limit
    }

    fn push(&mut self, kind: Kind, k: Key) {
        if self.seen.contains(&k) {
            return;
        }
        if self.full() {
            self.truncated = true;
            return;
        }
        self.seen.insert(k.clone());
        match kind {
            Kind::Missing => self.missing.push(k),
            Kind::Extra => self.extra.push(k),
            Kind::Changed => self.changed.push(k),
        }
    }
}

/// Finds differing rows of a keyed table whose whole-table stats are `src`
/// and `tgt`, up to `limit` of them.
pub(super) async fn keyed(
    src_c: &Client,
    tgt_c: &Client,
    t: &Keyed<'_>,
    src: Stats,
    tgt: Stats,
    limit: usize,
) -> Result<RowDiffs> {
    let mut found = Found { limit, ..Found::default() };
    let mut stack = vec![(Range::default(), src, tgt)];
    while let Some((r, s, g)) = stack.pop() {
        if found.full() {
            found.truncated = true;
            break;
        }
        let big = s.rows.max(g.rows);
        if big > LEAF {
            let step = (big + FANOUT - 1) / FANOUT;
            let bounds = if s.rows >= g.rows {
                boundaries(src_c, t.src, &t.key, &r, step, "source").await?
            } else {
                boundaries(tgt_c, t.tgt, &t.key, &r, step, "target").await?
            };
            if !bounds.is_empty() {
                let (sp, gp) = futures_util::future::try_join(
                    part_stats(src_c, t.src, &t.key, &r, &bounds, "source"),
                    part_stats(tgt_c, t.tgt, &t.key, &r, &bounds, "target"),
                )
                .await?;
                let mut parts = vec![];
                for i in 0..=bounds.len() {
                    let lo = if i == 0 { r.lo.clone() } else { Some(bounds[i - 1].clone()) };
                    let hi = if i == bounds.len() { r.hi.clone() } else { Some(bounds[i].clone()) };
                    if sp[i] != gp[i] {
                        parts.push((Range { lo, hi }, sp[i], gp[i]));
                    }
                }
                tracing::debug!(
                    "{}: cut a key range of {big} rows into {} parts, {} differ",
                    t.src.name,
                    bounds.len() + 1,
                    parts.len()
                );
                // Depth first, lowest keys first.
                stack.extend(parts.into_iter().rev());
                continue;
            }
        }
        leaf(src_c, tgt_c, t, &r, &mut found).await?;
    }
    let key_columns = t.key.iter().map(|&i| t.src.columns[i].clone()).collect();
    Ok(RowDiffs::Keyed {
        key_columns,
        missing: found.missing,
        extra: found.extra,
        changed: found.changed,
        truncated: found.truncated,
    })
}

async fn leaf(
    src_c: &Client,
    tgt_c: &Client,
    t: &Keyed<'_>,
    r: &Range,
    found: &mut Found,
) -> Result<()> {
    let (src_rows, tgt_rows) = futures_util::future::try_join(
        fetch(src_c, t.src, &t.key, r, "source"),
        fetch(tgt_c, t.tgt, &t.key, r, "target"),
    )
    .await?;
    let mut tgt_map: HashMap<Key, i64> = HashMap::with_capacity(tgt_rows.len());
    for (k, h) in &tgt_rows {
        tgt_map.insert(k.clone(), *h);
    }
    let mut only_src = vec![];
    for (k, h) in src_rows {
        match tgt_map.remove(&k) {
            None => only_src.push((k, h)),
            Some(th) if th != h => found.push(Kind::Changed, k),
            Some(_) => {}
        }
    }
    // In target order, which is key order.
    let only_tgt: Vec<(Key, i64)> =
        tgt_rows.into_iter().filter(|(k, _)| tgt_map.contains_key(k)).collect();
    for (k, h) in only_src {
        if found.full() {
            found.truncated = true;
            break;
        }
        match lookup(tgt_c, t.tgt, &t.key, &k, "target").await? {
            None => found.push(Kind::Missing, k),
            Some(th) if th != h => found.push(Kind::Changed, k),
            Some(_) => {}
        }
    }
    for (k, h) in only_tgt {
        if found.full() {
            found.truncated = true;
            break;
        }
        match lookup(src_c, t.src, &t.key, &k, "source").await? {
            None => found.push(Kind::Extra, k),
            Some(sh) if sh != h => found.push(Kind::Changed, k),
            Some(_) => {}
        }
    }
    Ok(())
}

/// Per bucket of row hashes: (count, sum).
async fn bucket_stats(c: &Client, t: &TableSql, side: &str) -> Result<BTreeMap<i64, Stats>> {
    let sql = format!(
        "SELECT h & {mask}, count(*), sum(h)::pg_catalog.text FROM (SELECT {} AS h FROM {}) s GROUP BY 1",
        t.row_hash(),
        t.from(),
        mask = BUCKETS - 1,
    );
    let rows = c.query(&sql, &[]).await.ctx(format!("hashing rows of {side} table {}", t.name))?;
    let mut out = BTreeMap::new();
    for row in rows {
        let sum: String = row.get(2);
        out.insert(
            row.get::<_, i64>(0),
            Stats { rows: row.get(1), sum: parse_sum(&sum, &t.name)? },
        );
    }
    Ok(out)
}

/// How many rows have each row hash, within the given buckets.
async fn hash_counts(
    c: &Client,
    t: &TableSql,
    buckets: &[i64],
    side: &str,
) -> Result<HashMap<i64, i64>> {
    let sql = format!(
        "SELECT h, count(*) FROM (SELECT {} AS h FROM {}) s WHERE h & {mask} = ANY($1) GROUP BY 1",
        t.row_hash(),
        t.from(),
        mask = BUCKETS - 1,
    );
    let rows = c
        .query(&sql, &[&buckets])
        .await
        .ctx(format!("reading row hashes of {side} table {}", t.name))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Compares a table without a key as two multisets of rows.
pub(super) async fn unkeyed(
    src_c: &Client,
    tgt_c: &Client,
    src: &TableSql,
    tgt: &TableSql,
) -> Result<RowDiffs> {
    let (sb, gb) = futures_util::future::try_join(
        bucket_stats(src_c, src, "source"),
        bucket_stats(tgt_c, tgt, "target"),
    )
    .await?;
    let mut differing: Vec<i64> = sb
        .keys()
        .chain(gb.keys())
        .copied()
        .filter(|b| {
            sb.get(b).copied().unwrap_or_default() != gb.get(b).copied().unwrap_or_default()
        })
        .collect();
    differing.sort_unstable();
    differing.dedup();
    let truncated = differing.len() > MAX_BUCKETS;
    differing.truncate(MAX_BUCKETS);
    let (sh, gh) = futures_util::future::try_join(
        hash_counts(src_c, src, &differing, "source"),
        hash_counts(tgt_c, tgt, &differing, "target"),
    )
    .await?;
    let (mut missing_rows, mut extra_rows) = (0u64, 0u64);
    for (h, &n) in &sh {
        let m = gh.get(h).copied().unwrap_or(0);
        missing_rows += u64::try_from(n - m).unwrap_or(0);
    }
    for (h, &n) in &gh {
        let m = sh.get(h).copied().unwrap_or(0);
        extra_rows += u64::try_from(n - m).unwrap_or(0);
    }
    Ok(RowDiffs::Unkeyed { missing_rows, extra_rows, truncated })
}
