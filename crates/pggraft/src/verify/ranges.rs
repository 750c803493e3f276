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
use super::locate::{FANOUT, Key, LEAF, Range, SideSql, boundaries, part_stats_by};
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
    /// Hash rows by their typed values (`hash_record_extended`, about three
    /// times cheaper) instead of their text form. Only for columns whose
    /// types' equality is identity (see [`typed_hash_ok`]): both must
    /// hash the same way on both sides.
    pub typed_hash: bool,
}

impl CompareTable {
    fn sql(&self) -> TableSql {
        TableSql {
            name: self.name.clone(),
            columns: self.columns.clone(),
            types: self.types.clone(),
        }
    }

    fn hash(&self, t: &TableSql) -> String {
        if !self.typed_hash {
            return t.row_hash();
        }
        let cols: Vec<String> = self.columns.iter().map(|c| crate::sql::ident(c)).collect();
        format!("pg_catalog.hash_record_extended(ROW({}), 0)", cols.join(", "))
    }
}

/// Whether values of the type `format_type` calls `type_name` (with no
/// explicit collation) are equal exactly when their text forms are, and
/// hash alike in every database: then a typed hash finds every change the
/// text form would. Not numeric (`1.0 = 1.00`), floats (`-0 = 0`),
/// intervals, json, enums (hashed by OID, which differs between
/// databases), arrays, domains or types of extensions.
pub(crate) fn typed_hash_ok(type_name: &str, collation: bool) -> bool {
    let base = type_name.split('(').next().unwrap_or(type_name);
    match base {
        "smallint"
        | "integer"
        | "bigint"
        | "boolean"
        | "date"
        | "uuid"
        | "bytea"
        | "oid"
        | "timestamp without time zone"
        | "timestamp with time zone"
        | "time without time zone" => true,
        // Deterministic (the database's) collation only.
        "text" | "character varying" | "character" | "\"char\"" | "name" => !collation,
        _ => false,
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
    let (sh, gh) = (src.hash(&s), tgt.hash(&g));
    let mut acc = Matcher::default();
    let mut diff = KeyDiff::default();
    // (range, rows on the bigger side, whether the source is that side)
    let mut stack = vec![(Range::default(), rows, true)];
    while let Some((r, big, src_bigger)) = stack.pop() {
        if big <= STREAM_ROWS {
            stream(src_c, (&s, &sh), tgt_c, (&g, &gh), key, &r, &mut acc).await?;
            continue;
        }
        let step = (big + FANOUT - 1) / FANOUT;
        // The whole table of a one-column key is cut at the source's
        // histogram (from ANALYZE; no scan), else at exact row positions.
        let histogram = if r.lo.is_none() && r.hi.is_none() && key.len() == 1 {
            histogram_bounds(src_c, &s, key[0]).await?
        } else {
            vec![]
        };
        let bounds = if !histogram.is_empty() {
            histogram
        } else if src_bigger {
            boundaries(src_c, &s, key, &r, step, "source").await?
        } else {
            boundaries(tgt_c, &g, key, &r, step, "target").await?
        };
        if bounds.is_empty() {
            stream(src_c, (&s, &sh), tgt_c, (&g, &gh), key, &r, &mut acc).await?;
            continue;
        }
        let (sp, gp) = futures_util::future::try_join(
            part_stats_by(src_c, &s, &sh, key, &r, &bounds, "source"),
            part_stats_by(tgt_c, &g, &gh, key, &r, &bounds, "target"),
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
                stream(src_c, (&s, &sh), tgt_c, (&g, &gh), key, &part, &mut acc).await?;
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

/// About [`FANOUT`] - 1 key values from the source's histogram of the key
/// column, in order; none when there are no statistics.
async fn histogram_bounds(c: &Client, t: &TableSql, col: usize) -> Result<Vec<Key>> {
    let row = c
        .query_opt(
            "SELECT histogram_bounds::text::text[] FROM pg_catalog.pg_stats \
             WHERE schemaname = $1 AND tablename = $2 AND attname = $3 AND NOT inherited",
            &[&t.name.schema, &t.name.name, &t.columns[col]],
        )
        .await
        .ctx(format!("reading the key statistics of source table {}", t.name))?;
    let Some(all) = row.and_then(|r| r.get::<_, Option<Vec<String>>>(0)) else {
        return Ok(vec![]);
    };
    Ok(spaced(&all, FANOUT as usize).into_iter().map(|v| vec![v]).collect())
}

/// `parts - 1` values spread evenly over the inside of `all` (its first and
/// last values are the extremes the table had, not cuts).
fn spaced(all: &[String], parts: usize) -> Vec<String> {
    if all.len() < 3 || parts < 2 {
        return vec![];
    }
    let inner = &all[1..all.len() - 1];
    let mut out: Vec<String> =
        (1..parts).map(|i| inner[(i * inner.len() / parts).min(inner.len() - 1)].clone()).collect();
    out.dedup();
    out
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
    (s, sh): (&TableSql, &str),
    tgt_c: &Client,
    (g, gh): (&TableSql, &str),
    key: &[usize],
    r: &Range,
    acc: &mut Matcher,
) -> Result<()> {
    let query = |t: &TableSql, hash: &str| {
        let mut q = SideSql::new(t, key);
        let w = q.range_where(r);
        let sql = format!(
            "SELECT {}, {} FROM {}{w} ORDER BY {}",
            q.key_text(),
            hash,
            t.from(),
            q.cols().join(", ")
        );
        (sql, q.params)
    };
    let ((src_sql, src_params), (tgt_sql, tgt_params)) = (query(s, sh), query(g, gh));
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
    fn histogram_cuts_are_spread_and_distinct() {
        let all: Vec<String> = (0..=100).map(|i| (i * 10).to_string()).collect();
        let cuts = spaced(&all, 16);
        assert_eq!(cuts.len(), 15);
        assert_eq!(cuts.first().map(String::as_str), Some("70"));
        assert!(cuts.windows(2).all(|w| w[0] != w[1]));
        let few: Vec<String> = ["1", "2", "3"].iter().map(|s| s.to_string()).collect();
        assert_eq!(spaced(&few, 16), vec!["2".to_string()]);
        assert!(spaced(&few[..2], 16).is_empty());
    }

    #[test]
    fn typed_hashes_only_where_equal_means_identical() {
        assert!(typed_hash_ok("integer", false));
        assert!(typed_hash_ok("character(84)", false));
        assert!(typed_hash_ok("timestamp with time zone", false));
        assert!(!typed_hash_ok("text", true), "an explicit collation may not be deterministic");
        for t in
            ["numeric(10,2)", "double precision", "jsonb", "interval", "integer[]", "shop.mood"]
        {
            assert!(!typed_hash_ok(t, false), "{t}");
        }
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
            peak = peak.max(m.only_src.len() + m.only_tgt.len());
            m.target(k(&i.to_string()), if i == 500 { -1 } else { i });
        }
        assert_eq!(peak, 1);
        assert_eq!(m.changed, vec![k("500")]);
        assert!(m.any_difference());
    }
}
