//! Counting and hashing a table's rows on the server.
//!
//! A table's checksum is the sum of a 64-bit hash of each row: of its typed
//! values (`hash_record_extended`, [`crate::rowhash`]) when every column's
//! type allows, else of its text form (`ROW(c1, c2, …)::text`), columns in
//! the source's order. A sum does not
//! depend on row order or on the physical layout, so a copy hashes the same
//! as its source however it was written, and the sums of parts (ctid ranges
//! of a big table, key ranges when locating rows) add up to the whole.
//! PostgreSQL sums `bigint` as `numeric`, so nothing overflows; here the
//! sums are kept as `i128`, which holds any sum of fewer than 2^64 rows.

use tokio_postgres::Client;

use crate::error::{Error, PgResultExt, Result};
use crate::sql::{QualifiedName, ident};

/// One side of a compared table: its name on that side, and its compared
/// columns (the source's columns, in the source's order, under the names
/// and with the types they have on that side).
#[derive(Debug, Clone)]
pub(crate) struct TableSql {
    pub name: QualifiedName,
    pub columns: Vec<String>,
    /// `format_type` of each column on this side, for casting key values.
    pub types: Vec<String>,
    /// Rows are hashed by their typed values ([`crate::rowhash`]) rather
    /// than their text: set alike on both sides of a pair, when every
    /// column of both has a typed hash and the same type.
    pub typed: bool,
}

impl TableSql {
    /// `ONLY schema.table`: rows of inheritance children are compared as
    /// tables of their own.
    pub fn from(&self) -> String {
        format!("ONLY {}", self.name)
    }

    /// The per-row hash expression.
    pub fn row_hash(&self) -> String {
        if self.typed {
            return crate::rowhash::sql(&self.columns);
        }
        let cols: Vec<String> = self.columns.iter().map(|c| ident(c)).collect();
        format!("pg_catalog.hashtextextended(ROW({})::pg_catalog.text, 0)", cols.join(", "))
    }
}

/// Row count and hash sum of a table or of part of one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Stats {
    pub rows: i64,
    pub sum: i128,
}

impl std::ops::AddAssign for Stats {
    fn add_assign(&mut self, o: Stats) {
        self.rows += o.rows;
        self.sum += o.sum;
    }
}

/// Parses a `numeric` hash sum printed as text.
pub(super) fn parse_sum(text: &str, table: &QualifiedName) -> Result<i128> {
    text.parse()
        .map_err(|_| Error::Unsupported(format!("unexpected checksum {text:?} from table {table}")))
}

/// A range of heap blocks, `[start, end)`; `end: None` is open, so rows
/// added beyond the size read earlier are never missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Blocks {
    pub start: u64,
    pub end: Option<u64>,
}

/// Splits a heap of `heap_bytes` into ranges of about `chunk_bytes`; `None`
/// when it is not worth splitting. TID range scans need PostgreSQL 14,
/// which introspection already requires.
pub(super) fn split_blocks(
    heap_bytes: i64,
    block_size: u64,
    chunk_bytes: u64,
) -> Option<Vec<Blocks>> {
    let heap = u64::try_from(heap_bytes).ok()?;
    if chunk_bytes == 0 || heap <= chunk_bytes || block_size == 0 {
        return None;
    }
    let blocks = heap.div_ceil(block_size);
    let per = (chunk_bytes / block_size).max(1);
    let n = blocks.div_ceil(per);
    Some(
        (0..n)
            .map(|i| Blocks { start: i * per, end: (i + 1 < n).then_some((i + 1) * per) })
            .collect(),
    )
}

/// `count(*)` and, with `hash`, the hash sum of the table's rows (or of the
/// rows in `blocks`).
pub(super) async fn table_stats(
    client: &Client,
    t: &TableSql,
    hash: bool,
    blocks: Option<Blocks>,
    side: &str,
) -> Result<Stats> {
    let sum = if hash {
        format!("COALESCE(sum({}), 0)::pg_catalog.text", t.row_hash())
    } else {
        "'0'".into()
    };
    let mut sql = format!("SELECT count(*), {sum} FROM {}", t.from());
    if let Some(b) = blocks {
        sql.push_str(&format!(" WHERE ctid >= '({},0)'::pg_catalog.tid", b.start));
        if let Some(end) = b.end {
            sql.push_str(&format!(" AND ctid < '({end},0)'::pg_catalog.tid"));
        }
    }
    let what = if hash { "hashing" } else { "counting" };
    let row =
        client.query_one(&sql, &[]).await.ctx(format!("{what} rows of {side} table {}", t.name))?;
    let text: String = row.get(1);
    Ok(Stats { rows: row.get(0), sum: parse_sum(&text, &t.name)? })
}

/// `count(*)` and, with `hash`, the hash sum of the rows `query` gives now, hashed like the
/// rows of `t` (its columns named as `t`'s): what a materialized view defined by `query`
/// holds once refreshed.
pub(super) async fn query_stats(
    client: &Client,
    t: &TableSql,
    query: &str,
    hash: bool,
) -> Result<Stats> {
    let sum = if hash {
        format!("COALESCE(sum({}), 0)::pg_catalog.text", t.row_hash())
    } else {
        "'0'".into()
    };
    let cols: Vec<String> = t.columns.iter().map(|c| ident(c)).collect();
    let query = query.trim_end().trim_end_matches(';');
    let sql = format!("SELECT count(*), {sum} FROM ({query}) AS v({})", cols.join(", "));
    let row = client
        .query_one(&sql, &[])
        .await
        .ctx(format!("running the query of materialized view {}", t.name))?;
    let text: String = row.get(1);
    Ok(Stats { rows: row.get(0), sum: parse_sum(&text, &t.name)? })
}

/// The server's block size (8192 unless compiled otherwise).
pub(super) async fn block_size(client: &Client, side: &str) -> Result<u64> {
    let row = client
        .query_one("SELECT pg_catalog.current_setting('block_size')::int8", &[])
        .await
        .ctx(format!("reading the {side} block size"))?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(8192))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_big_heaps_into_ranges_with_an_open_end() {
        assert_eq!(split_blocks(100, 8192, 0), None);
        assert_eq!(split_blocks(8192 * 10, 8192, 8192 * 10), None);
        let parts = split_blocks(8192 * 10, 8192, 8192 * 4).unwrap();
        assert_eq!(
            parts,
            vec![
                Blocks { start: 0, end: Some(4) },
                Blocks { start: 4, end: Some(8) },
                Blocks { start: 8, end: None },
            ]
        );
        // A chunk smaller than a block still makes progress.
        assert_eq!(split_blocks(8192 * 3, 8192, 100).unwrap().len(), 3);
    }

    #[test]
    fn row_hash_quotes_columns_in_order() {
        let t = TableSql {
            name: QualifiedName::new("Shop", "Orders"),
            columns: vec!["Id".into(), "note".into(), "select".into()],
            types: vec![],
            typed: false,
        };
        assert_eq!(t.from(), "ONLY \"Shop\".\"Orders\"");
        assert_eq!(
            t.row_hash(),
            "pg_catalog.hashtextextended(ROW(\"Id\", note, \"select\")::pg_catalog.text, 0)"
        );
    }
}
