//! Watermark refresh (`--watermark updated_at`): a keyed table with that
//! column takes only the source rows whose value is past the high-water
//! mark, upserted by key. The mark is the column's largest value in the
//! snapshot the last refresh copied, recorded in `pggraft.copies`; before
//! any refresh recorded one, the copy's own largest value stands in (a copy
//! holds exactly the source's rows as of its snapshot). The new mark is read
//! in the same snapshot as the rows.
//!
//! Rows deleted at the source leave no trace in the column: with
//! `--delete-missing` they are found by comparing keys, otherwise kept. Rows
//! whose value was set by a transaction still open when a snapshot was taken
//! and committed later with an older value are behind the mark; the key
//! comparison of `--delete-missing` finds those the copy lacks, but a change
//! to a row the copy has is only seen by `--mode incremental` without a
//! watermark. A row whose watermark is NULL is never copied by the mark.

use tokio_postgres::Client;

use super::RefreshError;
use super::incremental::Mark;
use super::plan::{Planned, TablePlan};
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, ident, literal};

/// Checks the watermark column before anything runs: some table must have
/// it, and it must be of a type with an order (checked by asking the server
/// to plan a comparison on the copy). Returns a warning for each source
/// table without an index that starts with the column.
pub(super) async fn check(
    source: &Client,
    target: &Client,
    column: &str,
    plans: &[TablePlan],
) -> Result<Vec<String>> {
    let bad = |table: Option<QualifiedName>, reason: String| RefreshError::BadWatermark {
        column: column.to_string(),
        table,
        reason,
    };
    let with: Vec<&TablePlan> =
        plans.iter().filter(|p| p.detail.src_cmp.columns.iter().any(|c| c == column)).collect();
    if with.is_empty() {
        return Err(bad(
            None,
            "no table of the copy has a column of that name (names as stored in the source)".into(),
        )
        .into());
    }
    let mut warnings = vec![];
    for p in with {
        let i = p.detail.src_cmp.columns.iter().position(|c| c == column).expect("found above");
        let (tcol, ty) = (&p.detail.tgt_cmp.columns[i], &p.detail.src_cmp.types[i]);
        let probe =
            format!("SELECT max({c}) FROM ONLY {t} WHERE {c} > {c}", c = ident(tcol), t = p.target);
        if target.prepare(&probe).await.is_err() {
            return Err(bad(
                Some(p.source.clone()),
                format!(
                    "column {} of table {} is of type {ty}, which has no order to compare marks \
                     by; choose a column such as a timestamptz or a bigint",
                    ident(column),
                    p.source
                ),
            )
            .into());
        }
        let indexed: bool = source
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
                 WHERE i.indrelid = $1::text::regclass AND a.attname = $2)",
                &[&p.source.to_string(), &column],
            )
            .await
            .ctx(format!("looking for an index on {} ({column})", p.source))?
            .get(0);
        if !indexed && matches!(p.planned, Planned::Watermark { .. }) {
            warnings.push(format!(
                "no index of source table {} starts with {}: every watermark refresh reads the \
                 whole table to find the new rows (CREATE INDEX ON {} ({}) on the source)",
                p.source,
                ident(column),
                p.source,
                ident(column)
            ));
        }
    }
    Ok(warnings)
}

/// The table's high-water marks: from the record (or the copy), and the new
/// one from the source snapshot.
pub(super) async fn marks(plan: &TablePlan, src: &Client, tgt: &Client) -> Result<Mark> {
    let (column, _) = plan.detail.watermark.as_ref().expect("a watermark table");
    let i = plan.detail.src_cmp.columns.iter().position(|c| c == column).expect("its column");
    let to = largest(src, column, &plan.source, "source").await?;
    let (from, from_copy) = match &plan.detail.recorded_mark {
        Some(recorded) => (recorded.clone(), false),
        None => {
            (largest(tgt, &plan.detail.tgt_cmp.columns[i], &plan.target, "target").await?, true)
        }
    };
    Ok(Mark { column: column.clone(), from, to, from_copy })
}

/// The largest value of `column` in `table`, as text.
async fn largest(
    c: &Client,
    column: &str,
    table: &QualifiedName,
    side: &str,
) -> Result<Option<String>> {
    let sql = format!("SELECT max({})::text FROM ONLY {table}", ident(column));
    let row = c
        .query_one(&sql, &[])
        .await
        .ctx(format!("reading the high-water mark of {side} table {table}"))?;
    Ok(row.get(0))
}

/// The source condition selecting rows past the mark; `None` (every row)
/// when there is no mark.
pub(super) fn past(column: &str, ty: &str, from: Option<&str>) -> Option<String> {
    from.map(|v| format!("{} > CAST({} AS {ty})", ident(column), literal(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_past_the_mark_are_selected_by_a_typed_literal() {
        assert_eq!(
            past("updated_at", "timestamp with time zone", Some("2026-01-02 03:04:05+00")),
            Some("updated_at > CAST('2026-01-02 03:04:05+00' AS timestamp with time zone)".into())
        );
        assert_eq!(past("Seq", "bigint", None), None);
    }
}
