//! `map verify`: whether the target holds what the mapping makes of the
//! source. Per mapped table, the row count and the sum of row hashes of the
//! mapped source expressions, each cast to its target column's type (so
//! both sides hash the target's values), against the target's columns;
//! where they differ and the table has a key, the keys of the differing
//! rows, from `(key, row hash)` streams of both sides read in key order and
//! matched as they arrive (memory bounded by the differences).
//!
//! Hashes are those of [`crate::verify`] (`hashtextextended` of the row's
//! text form, summed as `numeric`), in sessions with its settings.

use std::collections::HashMap;

use futures_util::{StreamExt, pin_mut};
use serde::Serialize;
use tokio_postgres::Client;

use super::check::MappedTable;
use super::{MapError, MapOptions, session};
use crate::conn::Side;
use crate::engine::ColumnExpr;
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, ident};
use crate::verify::ranges::COMPARE_SETTINGS;

/// Keys reported per table at most.
const MAX_KEYS: usize = 100;

/// One table's comparison.
#[derive(Debug, Clone, Serialize)]
pub struct TableVerdict {
    pub target: QualifiedName,
    pub source: QualifiedName,
    pub source_rows: i64,
    pub target_rows: i64,
    pub matches: bool,
    /// Keys (as text, key columns joined by `,`) whose rows differ, that
    /// only the source makes, or only the target has; at most 100 each.
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    /// The table has no key, so differing rows cannot be named.
    pub keyless: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub tables: Vec<TableVerdict>,
}

impl VerifyReport {
    pub fn matches(&self) -> bool {
        self.tables.iter().all(|t| t.matches)
    }
}

/// The source side's row hash over the mapped columns cast to the target's
/// types, and the target side's over its columns, each as `(query, hash)`.
fn sides(t: &MappedTable) -> (String, String) {
    let src_cols: Vec<String> = t
        .columns
        .iter()
        .map(|c| {
            let v = match &c.expr {
                ColumnExpr::Column { name, .. } => ident(name),
                ColumnExpr::Sql(s) => format!("({s})"),
            };
            let v = if c.castable { format!("CAST({v} AS {})", c.target_type) } else { v };
            format!("{v} AS {}", ident(&c.target))
        })
        .collect();
    let src = format!("SELECT {} FROM {}", src_cols.join(", "), t.from_sql());
    let tgt_cols: Vec<String> = t.columns.iter().map(|c| ident(&c.target)).collect();
    let tgt = format!("SELECT {} FROM ONLY {}", tgt_cols.join(", "), t.target);
    (src, tgt)
}

async fn stats(c: &Client, query: &str, what: &str) -> Result<(i64, String)> {
    let sql = format!(
        "SELECT count(*), COALESCE(sum(pg_catalog.hashtextextended(m::pg_catalog.text, 0)), 0)::text \
         FROM ({query}) AS m"
    );
    let r = c.query_one(sql.as_str(), &[]).await.ctx(what)?;
    Ok((r.get(0), r.get(1)))
}

/// Splits COPY text into rows of `key \t hash`.
#[derive(Default)]
struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    fn rows(&mut self, chunk: &[u8]) -> Vec<(String, String)> {
        self.buf.extend_from_slice(chunk);
        let mut out = vec![];
        while let Some(n) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=n).collect();
            let line = String::from_utf8_lossy(&line[..n]).to_string();
            if let Some((k, h)) = line.rsplit_once('\t') {
                out.push((k.replace('\t', ","), h.to_string()));
            }
        }
        out
    }
}

/// The keys whose rows differ, matched as the two streams arrive.
async fn keys(src: &Client, dst: &Client, t: &MappedTable, v: &mut TableVerdict) -> Result<()> {
    let (sq, tq) = sides(t);
    let key: Vec<String> = t.key.iter().map(|k| ident(k)).collect();
    let copy = |q: &str| {
        let ks: Vec<String> = key
            .iter()
            .enumerate()
            .map(|(i, k)| format!("m.{k}::pg_catalog.text AS k{i}"))
            .collect();
        format!(
            "COPY (SELECT {}, pg_catalog.hashtextextended(m::pg_catalog.text, 0) FROM ({q}) AS m \
             ORDER BY {}) TO STDOUT",
            ks.join(", "),
            key.iter().map(|k| format!("m.{k}")).collect::<Vec<_>>().join(", ")
        )
    };
    let (a, b) = futures_util::future::try_join(
        async {
            src.copy_out(copy(&sq).as_str())
                .await
                .ctx("reading mapped row hashes")
                .map_err(|e| e.on(Side::Source))
        },
        async {
            dst.copy_out(copy(&tq).as_str())
                .await
                .ctx("reading row hashes")
                .map_err(|e| e.on(Side::Target))
        },
    )
    .await?;
    pin_mut!(a);
    pin_mut!(b);
    let (mut la, mut lb) = (Lines::default(), Lines::default());
    let mut only_src: HashMap<String, String> = HashMap::new();
    let mut only_tgt: HashMap<String, String> = HashMap::new();
    let (mut a_done, mut b_done) = (false, false);
    while !(a_done && b_done) {
        let (x, y) = futures_util::future::join(
            async { if a_done { None } else { Some(a.as_mut().next().await) } },
            async { if b_done { None } else { Some(b.as_mut().next().await) } },
        )
        .await;
        match x {
            Some(Some(chunk)) => {
                let chunk =
                    chunk.ctx("reading mapped row hashes").map_err(|e| e.on(Side::Source))?;
                for (k, h) in la.rows(&chunk) {
                    match only_tgt.remove(&k) {
                        Some(th) if th != h => v.changed.push(k),
                        Some(_) => {}
                        None => {
                            only_src.insert(k, h);
                        }
                    }
                }
            }
            Some(None) => a_done = true,
            None => {}
        }
        match y {
            Some(Some(chunk)) => {
                let chunk = chunk.ctx("reading row hashes").map_err(|e| e.on(Side::Target))?;
                for (k, h) in lb.rows(&chunk) {
                    match only_src.remove(&k) {
                        Some(sh) if sh != h => v.changed.push(k),
                        Some(_) => {}
                        None => {
                            only_tgt.insert(k, h);
                        }
                    }
                }
            }
            Some(None) => b_done = true,
            None => {}
        }
    }
    v.missing = only_src.into_keys().collect();
    v.extra = only_tgt.into_keys().collect();
    for l in [&mut v.changed, &mut v.missing, &mut v.extra] {
        l.sort();
        l.truncate(MAX_KEYS);
    }
    Ok(())
}

/// Compares every mapped table (see the module docs). A mapping that does
/// not check is refused as [`MapError::Invalid`].
pub async fn verify(opts: &MapOptions) -> Result<VerifyReport> {
    let begin = format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; {COMPARE_SETTINGS}");
    let src = session(&opts.source, Side::Source, &begin).await?;
    let dst = session(&opts.target, Side::Target, &begin).await?;
    let checked = super::check::check(&src, &dst, &opts.mapping, super::context(opts)).await?;
    if !checked.problems.is_empty() {
        return Err(MapError::Invalid { problems: checked.problems }.into());
    }
    let mut tables = vec![];
    for t in &checked.tables {
        let (sq, tq) = sides(t);
        let what_s = format!("hashing the mapped rows of {}", t.source_label);
        let what_t = format!("hashing the rows of {}", t.target);
        let (s, g) = futures_util::future::try_join(
            async { stats(&src, &sq, &what_s).await.map_err(|e| e.on(Side::Source)) },
            async { stats(&dst, &tq, &what_t).await.map_err(|e| e.on(Side::Target)) },
        )
        .await?;
        let mut v = TableVerdict {
            target: t.target.clone(),
            source: t.source_label.clone(),
            source_rows: s.0,
            target_rows: g.0,
            matches: s == g,
            changed: vec![],
            missing: vec![],
            extra: vec![],
            keyless: t.key.is_empty(),
        };
        if !v.matches && !t.key.is_empty() {
            keys(&src, &dst, t, &mut v).await?;
        }
        tables.push(v);
    }
    let _ = src.batch_execute("ROLLBACK").await;
    let _ = dst.batch_execute("ROLLBACK").await;
    Ok(VerifyReport { tables })
}
