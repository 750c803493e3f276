//! The target's record of the copies in it, `pggraft.copies`: one row per
//! copy schema saying where its data comes from (the source connection
//! without its password, the source schema, the filters and naming the copy
//! was made with), from which snapshot, and for watermark refreshes each
//! table's high-water mark.
//!
//! `clone` writes a row in the transaction that renames the copy into place
//! ([`record_sql`]), so a failed clone records nothing; `refresh` reads
//! the rows to redo a clone's data part with no other flags, and updates them
//! once its data is in. The `pggraft` schema is pggraft's own (it also holds
//! `pggraft.migrations`) and is never copied as a user schema.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

use crate::error::{PgResultExt, Result};
use crate::select::{TableFilter, TablePattern};
use crate::sql::literal;

/// The record table, schema-qualified.
pub const TABLE: &str = "pggraft.copies";

/// Creates the table when it is missing. The advisory lock (held until the
/// transaction ends) keeps two writers from racing to create it.
const ENSURE: &str = "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pggraft.copies'));
CREATE SCHEMA IF NOT EXISTS pggraft;
CREATE TABLE IF NOT EXISTS pggraft.copies (
    target_schema text PRIMARY KEY,
    source_schema text NOT NULL,
    source text NOT NULL,
    source_database text NOT NULL,
    options jsonb NOT NULL DEFAULT '{}',
    made_by text NOT NULL CHECK (made_by IN ('clone', 'refresh')),
    snapshot_at timestamptz NOT NULL,
    snapshot text,
    created_at timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz,
    watermarks jsonb NOT NULL DEFAULT '{}',
    changes jsonb NOT NULL DEFAULT '{}',
    source_identity text
);
COMMENT ON TABLE pggraft.copies IS 'copies made by pggraft clone and refresh: where their data comes from';
COMMENT ON COLUMN pggraft.copies.source IS 'the source connection, without its password';
COMMENT ON COLUMN pggraft.copies.source_identity IS 'the source cluster (system identifier, timeline) and database (oid) the snapshot was taken on, when the role may read them: a refresh trusts the snapshot''s transaction horizon only on the same';
COMMENT ON COLUMN pggraft.copies.changes IS 'per source table: rows inserted, updated and deleted since statistics were reset, as of the snapshot (to guess how much changed)';";

/// Columns newer than the table: added to one made by an older pggraft.
const ADD_COLUMNS: &str =
    "ALTER TABLE pggraft.copies ADD COLUMN IF NOT EXISTS source_identity text;";

/// How a copy was made, as far as its data is concerned (the `options`
/// column, JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyOptions {
    /// Names inside the copy were folded to lower case.
    #[serde(default)]
    pub lower_case: bool,
    /// The name template the copy's name came from (for information: the
    /// schema names themselves are recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// `-t` / `-T`, source names.
    #[serde(default)]
    pub tables: TableFilter,
    /// Tables created without rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_table_data: Vec<TablePattern>,
}

/// A table's high-water mark: the largest value of its watermark column in
/// the snapshot the last refresh copied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub column: String,
    /// As text (the session settings make it exact: ISO dates, UTC).
    pub value: Option<String>,
}

/// One row of `pggraft.copies`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CopyRecord {
    pub target_schema: String,
    pub source_schema: String,
    /// A connection URL without the password.
    pub source: String,
    pub source_database: String,
    pub options: CopyOptions,
    /// `clone` or `refresh`.
    pub made_by: String,
    /// When the source snapshot the data comes from was taken (UTC).
    pub snapshot_at: String,
    /// `pg_current_snapshot()` of it (`xmin:xmax:xip,…`).
    pub snapshot: Option<String>,
    /// See [`source_identity`].
    pub source_identity: Option<String>,
    pub refreshed_at: Option<String>,
    /// Target table name (in the copy schema) → its high-water mark.
    pub watermarks: BTreeMap<String, Watermark>,
    /// Source table name → the source's count of rows written to it
    /// ([`changes`]) as of the snapshot. Only a hint of how much changed
    /// since: statistics can be reset.
    pub changes: BTreeMap<String, i64>,
}

/// What a new row says (the parts a clone or a refresh knows).
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub target_schema: String,
    pub source_schema: String,
    /// Already without the password ([`crate::conn::ConnSpec::redacted`]).
    pub source: String,
    pub source_database: String,
    pub options: CopyOptions,
    pub made_by: &'static str,
    /// `now()` of the snapshot's transaction, as text.
    pub snapshot_at: String,
    /// `pg_current_snapshot()` of it.
    pub snapshot: Option<String>,
    /// See [`source_identity`].
    pub source_identity: Option<String>,
    /// See [`CopyRecord::changes`].
    pub changes: BTreeMap<String, i64>,
}

/// The source cluster and database a snapshot is taken on, as far as the
/// role may read it: `system <id> timeline <n> database <oid>`; `None`
/// when `pg_control_system()` or `pg_control_checkpoint()` are not granted
/// (superuser only by default). A restored or upgraded cluster has another
/// system identifier, and a point-in-time restore another timeline; on
/// either, transaction IDs of the old snapshot say nothing about the rows.
pub(crate) async fn source_identity(client: &Client) -> Result<Option<String>> {
    let row = client
        .query_one(
            "SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE') \
               AND pg_catalog.has_function_privilege('pg_catalog.pg_control_checkpoint()', 'EXECUTE') \
             THEN pg_catalog.format('system %s timeline %s database %s', \
               (SELECT system_identifier FROM pg_catalog.pg_control_system()), \
               (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()), \
               (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())) END",
            &[],
        )
        .await
        .ctx("reading the source's system identifier")?;
    Ok(row.get(0))
}

/// Rows inserted, updated and deleted per table of `schema` since the
/// server's statistics were reset, as the statistics snapshot of the
/// caller's transaction sees them (read in the copy's source snapshot).
pub(crate) async fn changes(client: &Client, schema: &str) -> Result<BTreeMap<String, i64>> {
    let rows = client
        .query(
            "SELECT c.relname::text, (pg_catalog.pg_stat_get_tuples_inserted(c.oid) \
               + pg_catalog.pg_stat_get_tuples_updated(c.oid) \
               + pg_catalog.pg_stat_get_tuples_deleted(c.oid))::int8 \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind = 'r'",
            &[&schema],
        )
        .await
        .ctx(format!("reading the write counts of source schema {schema:?}"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Reads every record; none when the table does not exist.
pub async fn read(client: &Client) -> Result<Vec<CopyRecord>> {
    if !exists(client).await? {
        return Ok(vec![]);
    }
    let rows = client
        .query(
            "SELECT target_schema, source_schema, source, source_database, options::text, \
             made_by, to_char(snapshot_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), \
             to_char(refreshed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), \
             watermarks::text, changes::text, snapshot, \
             pg_catalog.to_jsonb(c) ->> 'source_identity' FROM pggraft.copies c \
             ORDER BY target_schema",
            &[],
        )
        .await
        .ctx("reading pggraft.copies")?;
    let mut out = vec![];
    for r in rows {
        let schema: String = r.get(0);
        let bad = |what: &str, e: serde_json::Error| {
            crate::Error::input(format!(
                "pggraft.copies: the {what} of copy {schema:?} cannot be read ({e}); delete the \
                 record and refresh with explicit options"
            ))
        };
        let options: String = r.get(4);
        let watermarks: String = r.get(8);
        let changes: String = r.get(9);
        out.push(CopyRecord {
            options: serde_json::from_str(&options).map_err(|e| bad("options", e))?,
            watermarks: serde_json::from_str(&watermarks).map_err(|e| bad("watermarks", e))?,
            changes: serde_json::from_str(&changes).unwrap_or_default(),
            target_schema: schema.clone(),
            source_schema: r.get(1),
            source: r.get(2),
            source_database: r.get(3),
            made_by: r.get(5),
            snapshot_at: r.get(6),
            snapshot: r.get(10),
            source_identity: r.get(11),
            refreshed_at: r.get(7),
        });
    }
    Ok(out)
}

pub(crate) async fn exists(client: &Client) -> Result<bool> {
    Ok(client
        .query_one("SELECT pg_catalog.to_regclass('pggraft.copies') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.copies")?
        .get(0))
}

/// What the record table lacks for this version to write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Needs {
    Nothing,
    /// Made by an older pggraft: columns that came since are added (which
    /// takes the table's owner; a role that only may write rows never needs to).
    Columns,
    Table,
}

/// What `pggraft.copies` lacks in the database `client` is connected to.
pub(crate) async fn needs(client: &Client) -> Result<Needs> {
    let row = client
        .query_one(
            "SELECT pg_catalog.to_regclass('pggraft.copies') IS NOT NULL, EXISTS (\
               SELECT 1 FROM pg_catalog.pg_attribute \
               WHERE attrelid = pg_catalog.to_regclass('pggraft.copies') \
                 AND attname = 'source_identity' AND NOT attisdropped)",
            &[],
        )
        .await
        .ctx("looking for pggraft.copies")?;
    Ok(match (row.get::<_, bool>(0), row.get::<_, bool>(1)) {
        (false, _) => Needs::Table,
        (true, false) => Needs::Columns,
        (true, true) => Needs::Nothing,
    })
}

/// Whether the connected role can write records: insert into the table, or
/// create it (in the `pggraft` schema, or the schema in the database).
pub(crate) async fn writable(client: &Client) -> Result<bool> {
    let row = client
        .query_one(
            "SELECT CASE \
               WHEN pg_catalog.to_regclass('pggraft.copies') IS NOT NULL THEN \
                 pg_catalog.has_table_privilege('pggraft.copies', 'INSERT, UPDATE') \
               WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'pggraft') THEN \
                 pg_catalog.has_schema_privilege('pggraft', 'CREATE') \
               ELSE pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') \
             END",
            &[],
        )
        .await
        .ctx("checking whether pggraft.copies can be written")?;
    Ok(row.get(0))
}

/// The SQL that records (or re-records) `rows`, to run inside the caller's
/// transaction, after creating the table or adding columns as `needs` says.
/// A re-recorded copy starts over: no refresh, no high-water marks.
pub(crate) fn record_sql(rows: &[NewRecord], needs: Needs) -> String {
    let mut sql = String::new();
    match needs {
        Needs::Table => sql.push_str(ENSURE),
        Needs::Columns => sql.push_str(ADD_COLUMNS),
        Needs::Nothing => {}
    }
    if needs != Needs::Nothing {
        sql.push('\n');
    }
    if rows.is_empty() {
        return sql;
    }
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            let options = serde_json::to_string(&r.options).expect("options serialize");
            let changes = serde_json::to_string(&r.changes).expect("counts serialize");
            format!(
                "({}, {}, {}, {}, {}::jsonb, {}, {}::timestamptz, {}, {}::jsonb, {})",
                literal(&r.target_schema),
                literal(&r.source_schema),
                literal(&r.source),
                literal(&r.source_database),
                literal(&options),
                literal(r.made_by),
                literal(&r.snapshot_at),
                r.snapshot.as_deref().map(literal).unwrap_or_else(|| "NULL".into()),
                literal(&changes),
                r.source_identity.as_deref().map(literal).unwrap_or_else(|| "NULL".into()),
            )
        })
        .collect();
    sql.push_str(&format!(
        "INSERT INTO pggraft.copies (target_schema, source_schema, source, source_database, \
         options, made_by, snapshot_at, snapshot, changes, source_identity) VALUES {} \
         ON CONFLICT (target_schema) \
         DO UPDATE \
         SET source_schema = EXCLUDED.source_schema, source = EXCLUDED.source, \
         source_database = EXCLUDED.source_database, options = EXCLUDED.options, \
         made_by = EXCLUDED.made_by, snapshot_at = EXCLUDED.snapshot_at, \
         snapshot = EXCLUDED.snapshot, changes = EXCLUDED.changes, \
         source_identity = EXCLUDED.source_identity, created_at = now(), \
         refreshed_at = NULL, \
         watermarks = '{{}}';",
        values.join(", ")
    ));
    sql
}

/// A refreshed copy: its schema, the snapshot its data now comes from
/// (time, `pg_current_snapshot()`), and the high-water marks taken.
#[derive(Debug, Clone)]
pub(crate) struct Refreshed {
    pub schema: String,
    pub snapshot_at: String,
    pub snapshot: Option<String>,
    pub source_identity: Option<String>,
    pub watermarks: BTreeMap<String, Watermark>,
    /// The source's write counts as of the snapshot.
    pub changes: BTreeMap<String, i64>,
}

/// Records a finished refresh: each copy's new snapshot and high-water
/// marks (merged into the ones recorded), and a new row for a copy that had
/// none. Runs in a transaction of its own after the data: a high-water mark
/// recorded late only makes the next refresh copy some rows again (upserts
/// are idempotent), while one recorded ahead of the data would lose rows.
pub(crate) async fn save_refresh(
    client: &Client,
    new_rows: &[NewRecord],
    refreshed: &[Refreshed],
) -> Result<()> {
    let mut sql = String::from("BEGIN;\n");
    sql.push_str(&record_sql(new_rows, needs(client).await?));
    for r in refreshed {
        let marks = serde_json::to_string(&r.watermarks).expect("watermarks serialize");
        let changes = serde_json::to_string(&r.changes).expect("counts serialize");
        sql.push_str(&format!(
            "\nUPDATE pggraft.copies SET snapshot_at = {}::timestamptz, snapshot = {}, \
             source_identity = {}, refreshed_at = now(), watermarks = watermarks || {}::jsonb, \
             changes = {}::jsonb WHERE target_schema = {};",
            literal(&r.snapshot_at),
            r.snapshot.as_deref().map(literal).unwrap_or_else(|| "NULL".into()),
            r.source_identity.as_deref().map(literal).unwrap_or_else(|| "NULL".into()),
            literal(&marks),
            literal(&changes),
            literal(&r.schema)
        ));
    }
    sql.push_str("\nCOMMIT;");
    if let Err(e) = client.batch_execute(&sql).await {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(crate::Error::db("recording the refresh in pggraft.copies", e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> NewRecord {
        NewRecord {
            target_schema: "shop_copy".into(),
            source_schema: "shop".into(),
            source: "postgres://me@db:5432/app".into(),
            source_database: "app".into(),
            options: CopyOptions {
                lower_case: false,
                template: None,
                tables: TableFilter::default(),
                exclude_table_data: vec![TablePattern::parse("shop.events")],
            },
            made_by: "clone",
            snapshot_at: "2026-01-02 03:04:05.123456+00".into(),
            snapshot: Some("100:100:".into()),
            source_identity: None,
            changes: BTreeMap::from([("events".to_string(), 42)]),
        }
    }

    #[test]
    fn options_round_trip_through_json() {
        let text = serde_json::to_string(&row().options).unwrap();
        let back: CopyOptions = serde_json::from_str(&text).unwrap();
        assert_eq!(back, row().options);
        assert!(back.exclude_table_data[0].matches("shop", "events"));
        // Older or hand-written records may leave everything out.
        let empty: CopyOptions = serde_json::from_str("{}").unwrap();
        assert!(!empty.lower_case && empty.tables.is_empty());
    }

    #[test]
    fn recording_upserts_and_starts_over() {
        let sql = record_sql(&[row()], Needs::Nothing);
        assert!(!sql.contains("CREATE TABLE"), "{sql}");
        assert!(sql.contains("ON CONFLICT (target_schema) DO UPDATE"), "{sql}");
        assert!(sql.contains("watermarks = '{}'"), "{sql}");
        assert!(
            record_sql(&[], Needs::Table).contains("CREATE TABLE IF NOT EXISTS pggraft.copies")
        );
        assert!(record_sql(&[], Needs::Columns).starts_with(ADD_COLUMNS));
    }
}
