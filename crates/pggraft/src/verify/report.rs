//! What `verify` reports: the outcome ([`VerifyReport`]) with the objects,
//! tables and sequences that differ and how, and the progress it reports
//! on the way ([`Progress`]). Deciding what differs is `super`'s; printing
//! the report is the caller's.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Level;
use crate::sql::QualifiedName;

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub level: Level,
    /// Source schema → target schema, as compared.
    pub schema_map: BTreeMap<String, String>,
    /// Objects whose SQL differs, in rendering order.
    pub schema: Vec<ObjectDiff>,
    /// One entry per compared table (empty at [`Level::Schema`]).
    pub tables: Vec<TableResult>,
    /// One entry per sequence, identity sequences included (empty at
    /// [`Level::Schema`]).
    pub sequences: Vec<SequenceResult>,
    /// References in the source's SQL that renaming could not rewrite
    /// safely; differences reported for those objects may be false alarms.
    pub warnings: Vec<String>,
}

impl VerifyReport {
    /// No structural difference and every table matches.
    pub fn is_clean(&self) -> bool {
        self.schema.is_empty()
            && self.tables.iter().all(|t| t.status == TableStatus::Match)
            && self.sequences.iter().all(|s| s.status == TableStatus::Match)
    }

    /// The sequences whose values differ (or that one side lacks).
    pub fn differing_sequences(&self) -> impl Iterator<Item = &SequenceResult> {
        self.sequences.iter().filter(|s| s.status != TableStatus::Match)
    }

    /// The tables that do not match.
    pub fn differing_tables(&self) -> impl Iterator<Item = &TableResult> {
        self.tables.iter().filter(|t| t.status != TableStatus::Match)
    }
}

/// How an object differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    /// In the source only.
    Missing,
    /// In the target only.
    Extra,
    /// In both, with different SQL.
    Changed,
}

impl DiffKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Missing => "missing",
            DiffKind::Extra => "extra",
            DiffKind::Changed => "changed",
        }
    }
}

/// One object whose SQL differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectDiff {
    /// The object's key in target names, e.g. `index shop_copy.orders_status_idx`
    /// or `default shop_copy.orders.status`.
    pub object: String,
    /// What kind of object it is (`table`, `index`, `default`, …).
    pub what: String,
    pub kind: DiffKind,
    /// The object's statements found only in the source, written with
    /// target names.
    pub source: Vec<String>,
    /// The object's statements found only in the target.
    pub target: Vec<String>,
}

/// How a table compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableStatus {
    /// Same count (and checksum, when hashed).
    Match,
    /// Counts or checksums differ.
    Differs,
    /// In the source only.
    Missing,
    /// In the target only.
    Extra,
    /// The rows cannot be compared (e.g. the target lacks a column; see
    /// [`TableResult::reason`]); only counts were read.
    Incomparable,
}

impl TableStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            TableStatus::Match => "match",
            TableStatus::Differs => "differs",
            TableStatus::Missing => "missing",
            TableStatus::Extra => "extra",
            TableStatus::Incomparable => "incomparable",
        }
    }
}

/// The comparison of one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableResult {
    /// The name in the source (for extra tables: the name it would have).
    pub source: QualifiedName,
    /// The name in the target.
    pub target: QualifiedName,
    pub status: TableStatus,
    /// Why the rows could not be compared ([`TableStatus::Incomparable`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_rows: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_rows: Option<i64>,
    /// Sum of the row hashes, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_checksum: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_checksum: Option<String>,
    /// At [`Level::Rows`], for tables that differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<RowDiffs>,
}

/// The comparison of one sequence's value. A copy whose sequences lag
/// behind its data hands out keys that already exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequenceResult {
    pub source: QualifiedName,
    pub target: QualifiedName,
    /// `Match`, `Differs`, `Missing` or `Extra`.
    pub status: TableStatus,
    /// The last value handed out; `None` before the first `nextval`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_value: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_value: Option<i64>,
}

/// The rows that differ in one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum RowDiffs {
    /// Located by primary key. Keys are the key columns' values as text.
    Keyed {
        /// The primary key's columns (source names).
        key_columns: Vec<String>,
        /// Keys in the source only.
        missing: Vec<Vec<String>>,
        /// Keys in the target only.
        extra: Vec<Vec<String>>,
        /// Keys in both whose rows differ.
        changed: Vec<Vec<String>>,
        /// More differences exist than were listed (see `row_limit`).
        truncated: bool,
    },
    /// Without a key, rows are compared as multisets: a changed row counts
    /// as one missing and one extra.
    Unkeyed {
        missing_rows: u64,
        extra_rows: u64,
        /// Too many rows differ to count them all; the counts are lower bounds.
        truncated: bool,
    },
}

/// `id=42` or `(id, day)=(42, 2024-01-01)`, like PostgreSQL's key messages.
pub fn format_key(columns: &[String], values: &[String]) -> String {
    let cols: Vec<String> = columns.iter().map(|c| crate::sql::ident(c)).collect();
    if cols.len() == 1 && values.len() == 1 {
        format!("{}={}", cols[0], values[0])
    } else {
        format!("({})=({})", cols.join(", "), values.join(", "))
    }
}

/// What [`verify_with_progress`] is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Counting or hashing tables (a big table counts once per part and side).
    Tables,
    /// Locating differing rows, one step per differing table.
    Rows,
}

/// Progress report: `done` of `total` steps of `stage`.
#[derive(Debug, Clone)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
    /// The table of the step just finished (source name).
    pub table: QualifiedName,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_like_postgres() {
        let s = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(format_key(&s(&["id"]), &s(&["42"])), "id=42");
        assert_eq!(
            format_key(&s(&["Id", "day"]), &s(&["1", "2024-01-01"])),
            "(\"Id\", day)=(1, 2024-01-01)"
        );
    }
}
