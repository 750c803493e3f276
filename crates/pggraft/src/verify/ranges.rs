//! Every key whose row differs between a source table and its copy, for
//! `refresh --mode incremental` (and, on key columns alone, for finding the
//! rows a watermark refresh must delete).
//!
//! It starts like [`super::locate`]: the table is cut into [`FANOUT`] key
//! ranges at key values of the side with more rows, and each range's (count,
//! hash sum) is compared on both servers, so ranges that match cost one scan
//! and no transfer. A differing range is cut again while fewer than half of
//! its parts differ (changes clustered in some key ranges: recent rows, one
//! tenant); once they are spread out, cutting further would hash the same
//! rows again for nothing, so the differing ranges are streamed instead:
//! `(key, row hash)` of every row, in key order, from both sides at once.
//!
//! Streams are matched by key in a hash table rather than merged by
//! comparison, because the client cannot compare keys the way the servers
//! order them (collations). In key order a match arrives almost at once, so
//! the table holds little more than the differing rows; when the two
//! servers order keys differently it holds more, and the result is the same.
//! Memory is bounded by the number of differences, not by the table.

use std::collections::HashMap;

use futures_util::{StreamExt, pin_mut};
use tokio_postgres::Client;

use super::checksum::{Stats, TableSql};
use super::locate::{FANOUT, Key, LEAF, Range, SideSql, boundaries, part_stats};
use crate::error::{PgResultExt, Result};
use crate::sql::QualifiedName;

/// Ranges with at most this many rows (on either side) are streamed, not cut.
const STREAM_ROWS: i64 = 16 * LEAF;

/// Settings of the comparing sessions beyond the common session settings
/// (as verify's own sessions have them): `money` prints the same on both
/// servers, and a role's statement timeout must not cut a long scan short.
pub(crate) const COMPARE_SETTINGS: &str = "SELECT pg_catalog.set_config('lc_monetary', 'C', false), \
     pg_catalog.set_config('statement_timeout', '0', false), \
     pg_catalog.set_config('idle_in_transaction_session_timeout', '0', false)";

/// How many key ranges a table of about `rows` rows is cut into first.
pub(crate) fn first_ranges(rows: i64) -> usize {
    if rows <= STREAM_ROWS { 1 } else { FANOUT as usize }
}

/// One side of a compared table: its name there, and the compared columns
/// (the source's, in the source's order, under this side's names) with this
/// side's types.
#[derive(Debug, Clone)]
pub(crate) struct CompareTable {
    pub name: QualifiedName,
    pub columns: Vec<String>,
    pub types: Vec<String>,
}

impl CompareTable {
    fn sql(&self) -> TableSql {
        TableSql {
            name: self.name.clone(),
            columns: self.columns.clone(),
            types: self.types.clone(),
        }
    }
}

/// The keys that differ, as text in key column order.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyDiff {
    /// Keys whose source row the target lacks.
    pub missing: Vec<Key>,
    /// Keys in both whose rows differ.
    pub changed: Vec<Key>,
    /// Keys only the target has.
    pub extra: Vec<Key>,
    /// Key ranges whose hashes were compared, and how many of them differed.
    pub ranges: usize,
    pub differing: usize,
    /// Rows streamed, both sides together.
    pub streamed: u64,
}

/// Finds every differing key of a table (see the module docs). `key` gives
/// the key columns' positions in the columns of both sides; `rows` is an
/// estimate of the larger side's row count. Both sessions must each be in a
/// transaction that sees one instant of its side.
pub(crate) async fn key_diff(
    src_c: &Client,
    src: &CompareTable,
    tgt_c: &Client,
    tgt: &CompareTable,
    key: &[usize],
    rows: i64,
) -> Result<KeyDiff> {
    let (s, g) = (src.sql(), tgt.sql());
    let mut acc = Matcher::default();
    let mut diff = KeyDiff::default();
    // (range, rows on the bigger side, whether the source is that side)
    let mut stack = vec![(Range::default(), rows, true)];
    while let Some((r, big, src_bigger)) = stack.pop() {
        if big <= STREAM_ROWS {
            stream(src_c, &s, tgt_c, &g, key, &r, &mut acc).await?;
            continue;
        }
        let step = (big + FANOUT - 1) / FANOUT;
        let bounds = if src_bigger {
            boundaries(src_c, &s, key, &r, step, "source").await?
        } else {
            boundaries(tgt_c, &g, key, &r, step, "target").await?
        };
        if bounds.is_empty() {
            stream(src_c, &s, tgt_c, &g, key, &r, &mut acc).await?;
            continue;
        }
        let (sp, gp) = futures_util::future::try_join(
            part_stats(src_c, &s, key, &r, &bounds, "source"),
            part_stats(tgt_c, &g, key, &r, &bounds, "target"),
        )
        .await?;
        let mut parts: Vec<(Range, Stats, Stats)> = vec![];
        for i in 0..=bounds.len() {
            let lo = if i == 0 { r.lo.clone() } else { Some(bounds[i - 1].clone()) };
            let hi = if i == bounds.len() { r.hi.clone() } else { Some(bounds[i].clone()) };
            if sp[i] != gp[i] {
                parts.push((Range { lo, hi }, sp[i], gp[i]));
            }
        }
        diff.ranges += bounds.len() + 1;
        diff.differing += parts.len();
        let spread = parts.len() * 2 > bounds.len() + 1;
        tracing::debug!(
            "{}: {} of {} key ranges of about {step} rows differ{}",
            s.name,
            parts.len(),
            bounds.len() + 1,
            if spread { "; streaming them" } else { "" }
        );
        for (part, ps, gs) in parts.into_iter().rev() {
            if spread {
                stream(src_c, &s, tgt_c, &g, key, &part, &mut acc).await?;
            } else {
                stack.push((part, ps.rows.max(gs.rows), ps.rows >= gs.rows));
            }
        }
    }
    if diff.ranges == 0 {
        // Streamed whole: one range.
        diff.ranges = 1;
        diff.differing = usize::from(acc.any_difference());
    }
    diff.streamed = acc.streamed;
    diff.changed = acc.changed;
    diff.missing = acc.only_src.into_keys().collect();
    diff.extra = acc.only_tgt.into_keys().collect();
    // Key order is the caller's nicety (and makes reports repeatable).
    diff.missing.sort();
    diff.extra.sort();
    diff.changed.sort();
    Ok(diff)
}

/// Rows seen on one side only so far, and the keys whose rows differ.
#[derive(Default)]
struct Matcher {
    only_src: HashMap<Key, i64>,
    only_tgt: HashMap<Key, i64>,
    changed: Vec<Key>,
    streamed: u64,
}

impl Matcher {
    fn source(&mut self, k: Key, h: i64) {
        self.streamed += 1;
        match self.only_tgt.remove(&k) {
            Some(th) if th != h => self.changed.push(k),
            Some(_) => {}
            None => {
                self.only_src.insert(k, h);
            }
        }
    }

    fn target(&mut self, k: Key, h: i64) {
        self.streamed += 1;
        match self.only_src.remove(&k) {
            Some(sh) if sh != h => self.changed.push(k),
            Some(_) => {}
            None => {
                self.only_tgt.insert(k, h);
            }
        }
    }

    fn any_difference(&self) -> bool {
        !(self.only_src.is_empty() && self.only_tgt.is_empty() && self.changed.is_empty())
    }
}

/// `(key, row hash)` of every row of `r`, both sides at once.
async fn stream(
    src_c: &Client,
    s: &TableSql,
    tgt_c: &Client,
    g: &TableSql,
    key: &[usize],
    r: &Range,
    acc: &mut Matcher,
) -> Result<()> {
    let query = |t: &TableSql| {
        let mut q = SideSql::new(t, key);
        let w = q.range_where(r);
        let sql = format!(
            "SELECT {}, {} FROM {}{w} ORDER BY {}",
            q.key_text(),
            t.row_hash(),
            t.from(),
            q.cols().join(", ")
        );
        (sql, q.params)
    };
    let ((src_sql, src_params), (tgt_sql, tgt_params)) = (query(s), query(g));
    let (a, b) = futures_util::future::try_join(
        async {
            src_c
                .query_raw(&src_sql, src_params.iter())
                .await
                .ctx(format!("reading row hashes of source table {}", s.name))
        },
        async {
            tgt_c
                .query_raw(&tgt_sql, tgt_params.iter())
                .await
                .ctx(format!("reading row hashes of target table {}", g.name))
        },
    )
    .await?;
    pin_mut!(a);
    pin_mut!(b);
    let n = key.len();
    let row = |r: tokio_postgres::Row| -> (Key, i64) {
        ((0..n).map(|i| r.get::<_, String>(i)).collect(), r.get(n))
    };
    let (mut a_done, mut b_done) = (false, false);
    while !(a_done && b_done) {
        let (x, y) = futures_util::future::join(
            async { if a_done { None } else { a.as_mut().next().await } },
            async { if b_done { None } else { b.as_mut().next().await } },
        )
        .await;
        match x {
            Some(r) => {
                let (k, h) = row(r.ctx(format!("reading row hashes of source table {}", s.name))?);
                acc.source(k, h);
            }
            None => a_done = true,
        }
        match y {
            Some(r) => {
                let (k, h) = row(r.ctx(format!("reading row hashes of target table {}", g.name))?);
                acc.target(k, h);
            }
            None => b_done = true,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(v: &str) -> Key {
        vec![v.to_string()]
    }

    #[test]
    fn matching_is_independent_of_order() {
        let mut m = Matcher::default();
        // Same rows, the target in another order; one changed, one each extra.
        for (key, h) in [("a", 1), ("b", 2), ("c", 3), ("d", 4)] {
            m.source(k(key), h);
        }
        for (key, h) in [("c", 3), ("a", 1), ("b", 20), ("e", 5)] {
            m.target(k(key), h);
        }
        assert_eq!(m.changed, vec![k("b")]);
        assert_eq!(m.only_src.keys().cloned().collect::<Vec<_>>(), vec![k("d")]);
        assert_eq!(m.only_tgt.keys().cloned().collect::<Vec<_>>(), vec![k("e")]);
        assert_eq!(m.streamed, 8);
    }

    #[test]
    fn in_key_order_only_differences_stay_in_memory() {
        let mut m = Matcher::default();
        let mut peak = 0;
        for i in 0..1000 {
            m.source(k(&i.to_string()), i);
            m.target(k(&i.to_string()), if i == 500 { -1 } else { i });
            peak = peak.max(m.only_src.len() + m.only_tgt.len());
        }
        assert_eq!(peak, 1);
        assert_eq!(m.changed, vec![k("500")]);
        assert!(m.any_difference());
    }
}
