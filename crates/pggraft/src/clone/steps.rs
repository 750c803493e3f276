//! A clone in steps under one held snapshot (`--snapshot NAME --section
//! pre-data | data | post-data`), as pgcopydb's `snapshot`, `restore
//! pre-data`, `copy data` and `restore post-data` do: each section runs on
//! its own, into the final names (no swap), and is recorded in the target,
//! in `pggraft.clone_steps` (one row per target schema and section, with
//! the snapshot it ran under), so a section run out of order, twice, or
//! under another snapshot is refused before anything is written. Between
//! sections the user's own SQL runs (a column added, a type changed).
//!
//! The pre-data step is recorded in its structure transaction; data and
//! post-data once their work is done. The `pggraft` schema is pggraft's
//! own (see [`crate::refresh::record`]) and never copied.

use std::collections::BTreeMap;

use serde::Serialize;
use tokio_postgres::Client;

use crate::error::{Error, PgResultExt, Result};
use crate::sql::literal;

/// Which part of a clone runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CloneSection {
    /// Everything, built under temporary names and swapped into place.
    #[default]
    All,
    /// The structure before the data: schemas, types, tables, functions…
    PreData,
    /// Rows and sequence values, into the tables pre-data made.
    Data,
    /// Indexes, constraints, triggers, materialized views' rows.
    PostData,
}

impl CloneSection {
    pub fn as_str(self) -> &'static str {
        match self {
            CloneSection::All => "all",
            CloneSection::PreData => "pre-data",
            CloneSection::Data => "data",
            CloneSection::PostData => "post-data",
        }
    }

    /// The section that must be done first.
    fn before(self) -> Option<CloneSection> {
        match self {
            CloneSection::Data => Some(CloneSection::PreData),
            CloneSection::PostData => Some(CloneSection::Data),
            CloneSection::All | CloneSection::PreData => None,
        }
    }
}

/// Creates the table when it is missing (the advisory lock keeps two
/// writers from racing to create it).
const ENSURE: &str = "SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pggraft.clone_steps'));
CREATE SCHEMA IF NOT EXISTS pggraft;
CREATE TABLE IF NOT EXISTS pggraft.clone_steps (
    target_schema text NOT NULL,
    section text NOT NULL CHECK (section IN ('pre-data', 'data', 'post-data')),
    source_schema text NOT NULL,
    snapshot text NOT NULL,
    done_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target_schema, section)
);
COMMENT ON TABLE pggraft.clone_steps IS 'sections of clones run one at a time (pggraft clone --section) and the snapshot each ran under';";

/// Target schema → (section → snapshot) of the sections recorded.
pub(super) type Recorded = BTreeMap<String, BTreeMap<String, String>>;

/// The sections recorded for `schemas` (none when the table is missing).
pub(super) async fn read(target: &Client, schemas: &[String]) -> Result<Recorded> {
    let exists: bool = target
        .query_one("SELECT to_regclass('pggraft.clone_steps') IS NOT NULL", &[])
        .await
        .ctx("looking for pggraft.clone_steps")?
        .get(0);
    let mut out = Recorded::new();
    if !exists {
        return Ok(out);
    }
    let rows = target
        .query(
            "SELECT s.target_schema, s.section, s.snapshot FROM pggraft.clone_steps s \
             WHERE s.target_schema = ANY($1) \
               AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n WHERE n.nspname = s.target_schema)",
            &[&schemas],
        )
        .await
        .ctx("reading pggraft.clone_steps")?;
    for r in rows {
        out.entry(r.get(0)).or_default().insert(r.get(1), r.get(2));
    }
    Ok(out)
}

/// Refuses `section` under `snapshot` when the one before it is not done
/// under the same snapshot for every target schema, or it is done already.
pub(super) fn check(
    section: CloneSection,
    snapshot: &str,
    targets: &[String],
    recorded: &Recorded,
) -> Result<()> {
    let me = section.as_str();
    for t in targets {
        let done = recorded.get(t);
        if let Some(s) = done.and_then(|d| d.get(me)) {
            return Err(Error::input(format!(
                "section {me} of target schema {t:?} is done already (under snapshot {s}); run \
                 the next section, or drop the schema to start over"
            )));
        }
        let Some(before) = section.before() else { continue };
        let b = before.as_str();
        match done.and_then(|d| d.get(b)) {
            None => {
                return Err(Error::input(format!(
                    "section {me} of target schema {t:?} needs section {b} first, which has not \
                     run; run `pggraft clone … --snapshot {snapshot} --section {b}`"
                )));
            }
            Some(s) if s != snapshot => {
                return Err(Error::input(format!(
                    "section {b} of target schema {t:?} ran under snapshot {s}, not {snapshot}; \
                     the sections of one clone share one snapshot: pass --snapshot {s}"
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The SQL recording that `section` ran under `snapshot` for each schema
/// of `final_map` (source → target). Pre-data first forgets what an
/// earlier clone of a schema since dropped had recorded.
pub(super) fn record_sql(
    section: CloneSection,
    snapshot: &str,
    final_map: &BTreeMap<String, String>,
) -> String {
    let mut sql = format!("{ENSURE}\n");
    let targets: Vec<String> = final_map.values().map(|t| literal(t)).collect();
    if section == CloneSection::PreData {
        sql.push_str(&format!(
            "DELETE FROM pggraft.clone_steps WHERE target_schema IN ({});\n",
            targets.join(", ")
        ));
    }
    let values: Vec<String> = final_map
        .iter()
        .map(|(s, t)| {
            format!(
                "({}, {}, {}, {})",
                literal(t),
                literal(section.as_str()),
                literal(s),
                literal(snapshot)
            )
        })
        .collect();
    sql.push_str(&format!(
        "INSERT INTO pggraft.clone_steps (target_schema, section, source_schema, snapshot) \
         VALUES {}",
        values.join(", ")
    ));
    sql
}
