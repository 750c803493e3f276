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
use crate::sql::{QualifiedName, literal};

/// Ranges with at most this many rows (on either side) are streamed, not cut.
const STREAM_ROWS: i64 = 16 * LEAF;

/// Settings of the comparing sessions beyond the common session settings
/// (as verify's own sessions have them): `money` prints the same on both
/// servers, and a role's statement timeout must not cut a long scan short.
/// JIT compiling these short expressions costs more than it saves.
pub(crate) const COMPARE_SETTINGS: &str = "SELECT pg_catalog.set_config('lc_monetary', 'C', false), \
     pg_catalog.set_config('statement_timeout', '0', false), \
     pg_catalog.set_config('idle_in_transaction_session_timeout', '0', false), \
     pg_catalog.set_config('jit', 'off', false)";

/// At least this many rows written since the copy (a hint from the
/// source's statistics) make it likely that every key range differs: then
/// the table is streamed at once rather than hashed by range first.
const SPREAD_WRITES: i64 = 4 * FANOUT;

/// How many key ranges a table of about `rows` rows is cut into first;
/// `writes` is how many rows the source wrote to it since the copy, if known.
pub(crate) fn first_ranges(rows: i64, writes: Option<i64>) -> usize {
    if rows <= STREAM_ROWS || writes.is_some_and(|w| w >= SPREAD_WRITES) {
        1
    } else {
        FANOUT as usize
    }
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
            typed: false,
        }
    }

    /// The hash of one row of this table, as SQL over its columns.
    pub(crate) fn row_hash(&self) -> String {
        self.hash(&self.sql())
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
/// estimate of the larger side's row count, and `writes` how many rows the
/// source wrote to the table since the copy, when its statistics tell: with
/// many, the table is streamed at once (hashing ranges first would only
/// find that they all differ). Both sessions must each be in a transaction
/// that sees one instant of its side.
pub(crate) async fn key_diff(
    src_c: &Client,
    src: &CompareTable,
    tgt_c: &Client,
    tgt: &CompareTable,
    key: &[usize],
    rows: i64,
    writes: Option<i64>,
) -> Result<KeyDiff> {
    let (s, g) = (src.sql(), tgt.sql());
    let (sh, gh) = (src.hash(&s), tgt.hash(&g));
    let mut acc = Matcher::default();
    let mut diff = KeyDiff::default();
    // (range, rows on the bigger side, whether the source is that side)
    let mut stack = vec![(Range::default(), rows, true)];
    while let Some((r, big, src_bigger)) = stack.pop() {
        if first_ranges(big, if r.lo.is_none() && r.hi.is_none() { writes } else { None }) == 1 {
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
    diff.changed = acc.changed.iter().map(|k| key_of(k)).collect();
    diff.missing = acc.only_src.keys().map(|k| key_of(k)).collect();
    diff.extra = acc.only_tgt.keys().map(|k| key_of(k)).collect();
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

/// The COPY text one side streamed and the matcher has not consumed yet:
/// rows of the key's columns and the row hash, tab-separated (columns
/// escaped), one per line. Rows are looked at in place, as slices: the
/// common case (both sides stream the same key with the same hash) copies
/// and allocates nothing per row, which keeps the client's CPU well below
/// the servers' for a table compared row by row.
#[derive(Default)]
struct Lines {
    buf: Vec<u8>,
    /// Where the next row starts in `buf`.
    pos: usize,
}

impl Lines {
    /// Appends a COPY message (which may end in the middle of a row).
    fn push(&mut self, chunk: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete row as (key, hash), and its length with the newline.
    fn head(&self) -> Option<(&[u8], &[u8], usize)> {
        let rest = &self.buf[self.pos..];
        let nl = rest.iter().position(|&b| b == b'\n')?;
        let line = &rest[..nl];
        let tab = line.iter().rposition(|&b| b == b'\t').unwrap_or(line.len());
        Some((&line[..tab], line.get(tab + 1..).unwrap_or_default(), nl + 1))
    }

    fn advance(&mut self, len: usize) {
        self.pos += len;
    }

    /// Whether a complete row is waiting.
    fn has_row(&self) -> bool {
        self.buf[self.pos..].contains(&b'\n')
    }
}

/// Rows seen on one side only so far, and the keys whose rows differ, all
/// as COPY text (turned into key values once, for the differences only).
#[derive(Default)]
struct Matcher {
    only_src: HashMap<Vec<u8>, Vec<u8>>,
    only_tgt: HashMap<Vec<u8>, Vec<u8>>,
    changed: Vec<Vec<u8>>,
    streamed: u64,
}

impl Matcher {
    /// The heads of both streams. Equal keys (the common case: both sides
    /// stream in the same key order) are compared at once. Otherwise a head
    /// the other side already passed is matched alone, which puts the
    /// streams back in step after a row only one side has; when neither
    /// was seen, both wait in the tables.
    fn pair(&mut self, a: &mut Lines, b: &mut Lines) {
        while let (Some((xk, xh, xn)), Some((yk, yh, yn))) = (a.head(), b.head()) {
            if xk == yk {
                if xh != yh {
                    self.changed.push(xk.to_vec());
                }
                self.streamed += 2;
                a.advance(xn);
                b.advance(yn);
            } else if self.only_tgt.contains_key(xk) {
                self.source(xk, xh);
                a.advance(xn);
            } else if self.only_src.contains_key(yk) {
                self.target(yk, yh);
                b.advance(yn);
            } else {
                self.source(xk, xh);
                self.target(yk, yh);
                a.advance(xn);
                b.advance(yn);
            }
        }
    }

    /// Every row left on one side, once the other side's stream ended.
    fn rest(&mut self, side: &mut Lines, source: bool) {
        while let Some((k, h, n)) = side.head() {
            if source {
                self.source(k, h)
            } else {
                self.target(k, h)
            }
            side.advance(n);
        }
    }

    fn source(&mut self, k: &[u8], h: &[u8]) {
        self.streamed += 1;
        match self.only_tgt.remove(k) {
            Some(th) if th != h => self.changed.push(k.to_vec()),
            Some(_) => {}
            None => {
                self.only_src.insert(k.to_vec(), h.to_vec());
            }
        }
    }

    fn target(&mut self, k: &[u8], h: &[u8]) {
        self.streamed += 1;
        match self.only_src.remove(k) {
            Some(sh) if sh != h => self.changed.push(k.to_vec()),
            Some(_) => {}
            None => {
                self.only_tgt.insert(k.to_vec(), h.to_vec());
            }
        }
    }

    fn any_difference(&self) -> bool {
        !(self.only_src.is_empty() && self.only_tgt.is_empty() && self.changed.is_empty())
    }
}

/// Key values from a key's COPY text: split at tabs, escapes undone.
fn key_of(raw: &[u8]) -> Key {
    raw.split(|&b| b == b'\t').map(unescape).collect()
}

/// Undoes COPY's text escapes (`\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`).
fn unescape(field: &[u8]) -> String {
    if !field.contains(&b'\\') {
        return String::from_utf8_lossy(field).into_owned();
    }
    let mut out = Vec::with_capacity(field.len());
    let mut it = field.iter();
    while let Some(&c) = it.next() {
        if c != b'\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            Some(b'b') => out.push(8),
            Some(b'f') => out.push(12),
            Some(b'v') => out.push(11),
            Some(&o) => out.push(o),
            None => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `(key, row hash)` of every row of `r`, streamed with COPY from both
/// sides at once and matched as it arrives.
async fn stream(
    src_c: &Client,
    (s, sh): (&TableSql, &str),
    tgt_c: &Client,
    (g, gh): (&TableSql, &str),
    key: &[usize],
    r: &Range,
    acc: &mut Matcher,
) -> Result<()> {
    // COPY takes no parameters: the range's bounds are typed literals.
    let query = |t: &TableSql, hash: &str| {
        let q = SideSql::new(t, key);
        let k = format!("({})", q.cols().join(", "));
        let value = |v: &[String]| -> String {
            let parts: Vec<String> = key
                .iter()
                .zip(v)
                .map(|(&i, x)| format!("CAST({} AS {})", literal(x), t.types[i]))
                .collect();
            format!("({})", parts.join(", "))
        };
        let mut conds = vec![];
        if let Some(lo) = &r.lo {
            conds.push(format!("{k} >= {}", value(lo)));
        }
        if let Some(hi) = &r.hi {
            conds.push(format!("{k} < {}", value(hi)));
        }
        let w = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        // The outputs get names of their own: `ORDER BY id` would otherwise
        // mean the output `id::text` (a sort of text) instead of the column
        // (its index's order).
        let outputs: Vec<String> = q
            .cols()
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}::pg_catalog.text AS k{i}"))
            .collect();
        format!(
            "COPY (SELECT {}, {hash} AS h FROM {}{w} ORDER BY {}) TO STDOUT",
            outputs.join(", "),
            t.from(),
            q.cols().join(", ")
        )
    };
    let (src_sql, tgt_sql) = (query(s, sh), query(g, gh));
    let what = |side: &str, t: &TableSql| format!("reading row hashes of {side} table {}", t.name);
    let (a, b) = futures_util::future::try_join(
        async { src_c.copy_out(src_sql.as_str()).await.ctx(what("source", s)) },
        async { tgt_c.copy_out(tgt_sql.as_str()).await.ctx(what("target", g)) },
    )
    .await?;
    pin_mut!(a);
    pin_mut!(b);
    let (mut qa, mut qb) = (Lines::default(), Lines::default());
    let (mut a_done, mut b_done) = (false, false);
    while !(a_done && b_done) {
        // Read whichever side ran dry (both at once when both did).
        let need_a = !a_done && !qa.has_row();
        let need_b = !b_done && !qb.has_row();
        let (x, y) = futures_util::future::join(
            async { if need_a { Some(a.as_mut().next().await) } else { None } },
            async { if need_b { Some(b.as_mut().next().await) } else { None } },
        )
        .await;
        match x {
            Some(Some(chunk)) => qa.push(&chunk.ctx(what("source", s))?),
            Some(None) => a_done = true,
            None => {}
        }
        match y {
            Some(Some(chunk)) => qb.push(&chunk.ctx(what("target", g))?),
            Some(None) => b_done = true,
            None => {}
        }
        acc.pair(&mut qa, &mut qb);
        if a_done {
            acc.rest(&mut qb, false);
        }
        if b_done {
            acc.rest(&mut qa, true);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The COPY text of rows `(key, hash)`.
    fn lines<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> Lines {
        let mut l = Lines::default();
        for (k, h) in rows {
            l.push(format!("{k}\t{h}\n").as_bytes());
        }
        l
    }

    fn keys(m: &HashMap<Vec<u8>, Vec<u8>>) -> Vec<Key> {
        let mut out: Vec<Key> = m.keys().map(|k| key_of(k)).collect();
        out.sort();
        out
    }

    #[test]
    fn matching_is_independent_of_order() {
        let mut m = Matcher::default();
        // Same rows, the target in another order; one changed, one each extra.
        let mut a = lines([("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]);
        let mut b = lines([("c", "3"), ("a", "1"), ("b", "20"), ("e", "5")]);
        m.pair(&mut a, &mut b);
        assert!(!a.has_row() && !b.has_row());
        assert_eq!(m.changed, vec![b"b".to_vec()]);
        assert_eq!(keys(&m.only_src), vec![vec!["d".to_string()]]);
        assert_eq!(keys(&m.only_tgt), vec![vec!["e".to_string()]]);
        assert_eq!(m.streamed, 8);
    }

    #[test]
    fn a_row_on_one_side_only_puts_the_streams_back_in_step() {
        let mut m = Matcher::default();
        let src: Vec<String> = (0..1000).filter(|i| *i != 10).map(|i| i.to_string()).collect();
        let tgt: Vec<String> = (0..1000).filter(|i| *i != 500).map(|i| i.to_string()).collect();
        let mut a = lines(src.iter().map(|k| (k.as_str(), if k == "700" { "x" } else { "h" })));
        let mut b = lines(tgt.iter().map(|k| (k.as_str(), "h")));
        m.pair(&mut a, &mut b);
        assert!(!a.has_row() && !b.has_row());
        assert_eq!(keys(&m.only_src), vec![vec!["500".to_string()]]);
        assert_eq!(keys(&m.only_tgt), vec![vec!["10".to_string()]]);
        assert_eq!(m.changed, vec![b"700".to_vec()]);
        assert!(m.any_difference());
    }

    #[test]
    fn copy_text_splits_into_keys_and_hashes_across_messages() {
        let mut l = Lines::default();
        l.push(b"1\tx\\ty\t42\n2\t");
        let (k, h, n) = l.head().unwrap();
        assert_eq!(key_of(k), vec!["1".to_string(), "x\ty".to_string()]);
        assert_eq!(h, b"42");
        l.advance(n);
        assert!(l.head().is_none(), "half a row is no row");
        l.push(b"b\t-7\n");
        let (k, h, n) = l.head().unwrap();
        assert_eq!(key_of(k), vec!["2".to_string(), "b".to_string()]);
        assert_eq!(h, b"-7");
        l.advance(n);
        assert!(!l.has_row() && l.buf.len() == l.pos);
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
}
