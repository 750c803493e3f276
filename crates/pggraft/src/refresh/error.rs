//! Why a refresh refused to start. Every variant names the object and the
//! side as data, and its message says what to do; nothing was changed when
//! one is returned. Tests match variants, not message text.

use crate::error::ErrorKind;
use crate::sql::QualifiedName;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    #[error(
        "target schema {schema:?} is not a copy pggraft knows: {database:?} has no record of it \
         in pggraft.copies; give --source and -n SOURCE_SCHEMA={schema} to refresh it anyway"
    )]
    NotACopy { schema: String, database: String },

    #[error(
        "target database {database:?} records no copies in pggraft.copies; name the copy with \
         -n SOURCE_SCHEMA=COPY and give --source"
    )]
    NoCopies { database: String },

    #[error(
        "pggraft.copies records copy {schema:?}, but the target has no such schema; clone it \
         again, or delete its record: DELETE FROM pggraft.copies WHERE target_schema = '{schema}'"
    )]
    RecordedCopyMissing { schema: String },

    #[error(
        "-n {given}: target schema {schema:?} is recorded as a copy of {recorded:?}, not \
         {source_schema:?}; write -n {recorded}={schema}, or just -n {schema}"
    )]
    RecordConflict { schema: String, recorded: String, source_schema: String, given: String },

    #[error(
        "{option} conflicts with the record of copy {schema:?} ({recorded}); leave it out to \
         refresh the copy as it was made"
    )]
    OptionConflict { schema: String, option: String, recorded: String },

    #[error(
        "copy {schema:?} would be refreshed from itself: it is source schema {schema:?} in the \
         same database; name its source with -n SOURCE_SCHEMA={schema}"
    )]
    SameSchema { schema: String },

    #[error(
        "the source: table {source_table} (copied as {copy}) no longer exists; bring the copy's \
         structure up to date with `pggraft sync-schema`, or leave the table out with -T {source_table}"
    )]
    SourceTableMissing { source_table: QualifiedName, copy: QualifiedName },

    #[error(
        "the target: source table {source_table} has no copy {copy}; bring the copy's structure \
         up to date with `pggraft sync-schema` first, or leave the table out with -T \
         {source_table}"
    )]
    CopyTableMissing { source_table: QualifiedName, copy: QualifiedName },

    #[error(
        "table {copy} no longer has the structure of its source {source_table}: {detail}; bring \
         the copy's structure up to date with `pggraft sync-schema` first"
    )]
    StructureChanged { source_table: QualifiedName, copy: QualifiedName, detail: String },

    #[error("--key {given}: {reason}")]
    BadKey { given: String, table: Option<QualifiedName>, reason: String },

    #[error("--watermark {column}: {reason}")]
    BadWatermark { column: String, table: Option<QualifiedName>, reason: String },

    #[error(
        "refresh would have to truncate tables that objects outside the refresh depend on: {}; \
         {fix}",
        objects.join(", ")
    )]
    Dependents { objects: Vec<String>, fix: String },

    #[error("{0}")]
    Options(String),
}

impl RefreshError {
    /// Every refusal is about the input or the state of the two databases:
    /// fixing the command (or the copy) is what helps.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Input
    }
}
