//! Sequences: the last value of every sequence on both sides (identity
//! sequences included), paired by name through the renaming. A copy whose
//! sequences lag behind its data hands out keys that already exist.
//! Pairing the tables is [`super::pairing`]'s.

use futures_util::future::try_join;
use tokio_postgres::Client;

use super::pairing::Models;
use super::{SequenceResult, TableStatus};
use crate::catalog::Catalog;
use crate::error::{Error, PgResultExt, Result};
use crate::sql::QualifiedName;

/// Sequence values on both sides, paired by name through the renaming.
/// Sequences are not transactional: the values are the current ones, not
/// the snapshot's.
pub(super) async fn compare_sequences(
    models: &Models,
    src_c: &Client,
    tgt_c: &Client,
    selected: &dyn Fn(&QualifiedName) -> bool,
) -> Result<Vec<SequenceResult>> {
    // Standalone sequences and identity columns' sequences, of the selected
    // tables (a sequence owned by an excluded table is left out with it).
    fn names(cat: &Catalog) -> Vec<(QualifiedName, Option<&QualifiedName>)> {
        let mut out: Vec<(QualifiedName, Option<&QualifiedName>)> = cat
            .sequences
            .iter()
            .map(|s| (s.name.clone(), s.owned_by.as_ref().map(|(t, _)| t)))
            .collect();
        for t in &cat.tables {
            for c in &t.columns {
                if let Some(i) = &c.identity {
                    out.push((i.sequence.clone(), Some(&t.name)));
                }
            }
        }
        out
    }
    let keep =
        |owner: Option<&QualifiedName>| owner.is_none_or(|t| selected(&models.source_name(t)));
    let src_names: Vec<(QualifiedName, QualifiedName)> = names(&models.source)
        .into_iter()
        .zip(names(&models.renamed))
        .filter(|((_, owner), _)| owner.is_none_or(selected))
        .map(|((s, _), (r, _))| (s, r))
        .collect();
    let tgt_names: Vec<QualifiedName> = names(&models.target)
        .into_iter()
        .filter(|(_, owner)| keep(*owner))
        .map(|(n, _)| n)
        .collect();
    let (src_values, tgt_values) = try_join(
        sequence_values(src_c, src_names.iter().map(|(s, _)| s), "source"),
        sequence_values(tgt_c, tgt_names.iter(), "target"),
    )
    .await?;
    let mut out = vec![];
    for (i, (src, renamed)) in src_names.iter().enumerate() {
        let source_value = src_values[i];
        match tgt_names.iter().position(|t| t == renamed) {
            Some(j) => {
                let target_value = tgt_values[j];
                let status = if source_value == target_value {
                    TableStatus::Match
                } else {
                    TableStatus::Differs
                };
                out.push(SequenceResult {
                    source: src.clone(),
                    target: renamed.clone(),
                    status,
                    source_value,
                    target_value,
                });
            }
            None => out.push(SequenceResult {
                source: src.clone(),
                target: renamed.clone(),
                status: TableStatus::Missing,
                source_value,
                target_value: None,
            }),
        }
    }
    for (j, t) in tgt_names.iter().enumerate() {
        if !src_names.iter().any(|(_, r)| r == t) {
            out.push(SequenceResult {
                source: models.source_name(t),
                target: t.clone(),
                status: TableStatus::Extra,
                source_value: None,
                target_value: tgt_values[j],
            });
        }
    }
    Ok(out)
}

/// `last_value` of each sequence (`None` before its first `nextval`), in
/// the order given, in one query.
async fn sequence_values<'a>(
    c: &Client,
    names: impl Iterator<Item = &'a QualifiedName>,
    side: &str,
) -> Result<Vec<Option<i64>>> {
    let (schemas, rels): (Vec<String>, Vec<String>) =
        names.map(|n| (n.schema.clone(), n.name.clone())).unzip();
    if schemas.is_empty() {
        return Ok(vec![]);
    }
    let rows = c
        .query(
            "SELECT pg_catalog.pg_sequence_last_value(c.oid) FROM unnest($1::text[], $2::text[]) \
             WITH ORDINALITY AS u(s, n, i) \
             JOIN pg_catalog.pg_namespace ns ON ns.nspname = u.s \
             JOIN pg_catalog.pg_class c ON c.relnamespace = ns.oid AND c.relname = u.n \
             ORDER BY u.i",
            &[&schemas, &rels],
        )
        .await
        .ctx(format!("reading sequence values on the {side}"))?;
    if rows.len() != schemas.len() {
        return Err(Error::input(format!(
            "a sequence of the {side} disappeared while it was being verified"
        )));
    }
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
