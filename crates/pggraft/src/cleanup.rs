//! Temporary build schemas (`pggraft_tmp_*`): how a run marks the ones it
//! builds, and finding and removing the ones whose run is gone.
//!
//! A clone builds under `pggraft_tmp_<run>_<n>` and renames into place at
//! the end; a failed or interrupted run drops what it built. A run that
//! cannot (killed with SIGKILL, the target restarted under it, the server
//! unreachable while it cleans up) leaves its build schemas behind. Each is
//! recorded in the target when it is created: its comment names the run,
//! the `application_name` every session of the run carries, and the main
//! session's backend pid. A run is alive while any session with that
//! `application_name` is connected (`pg_stat_activity`), so a later clone
//! and `pggraft cleanup` can tell a leftover from a run in progress, and
//! remove only leftovers. Schemas made by older versions, without the
//! comment, carry the run in their name all the same.
//!
//! A schema that receives an extension is built under its final name
//! instead (see `engine::SchemaSwap::in_place`), the target's schema of
//! that name renamed to `pggraft_aside_<run>_<n>` meanwhile. Its comment
//! records the run the same way, with the schema moved aside and the
//! extensions moved out of it, so that removing such a leftover gives the
//! target its schema back.
//!
//! Introspection never takes these schemas for user schemas (see
//! `catalog::introspect`). The engine's finish calls [`drop_schemas`]; the
//! clone calls [`remove_stale`] before it starts.

use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_postgres::Client;

use crate::conn::{ConnSpec, Side};
use crate::error::{PgResultExt, Result};
use crate::sql::{ident, literal};

/// The prefix of every build schema.
pub const BUILD_PREFIX: &str = "pggraft_tmp_";

/// The prefix of a target schema moved aside while its replacement is
/// built under its name.
pub const ASIDE_PREFIX: &str = "pggraft_aside_";

/// Starts the comment that records a build schema's run.
const MARKER: &str = "pggraft build schema";

/// Where, in a build schema's comment, an in-place build names the schema
/// it moved aside and the extensions it took from it.
const ASIDE_FIELD: &str = "aside=";
const MOVED_FIELD: &str = "moved_extensions=";

/// How long a failed run keeps trying to drop what it built while the
/// target is unreachable (restarting, say).
pub const DROP_RETRY_BUDGET: Duration = Duration::from_secs(30);

/// The build schema name for schema number `i` of run `run_id`.
pub fn build_schema_name(run_id: &str, i: usize) -> String {
    format!("{BUILD_PREFIX}{run_id}_{i}")
}

/// The `application_name` of every session of run `run_id`.
pub fn session_tag(run_id: &str) -> String {
    format!("pggraft-clone-{run_id}")
}

/// The name the target's schema number `i` is moved aside to while run
/// `run_id` builds its replacement under its name.
pub fn aside_schema_name(run_id: &str, i: usize) -> String {
    format!("{ASIDE_PREFIX}{run_id}_{i}")
}

/// Whether `name` is a build schema's name, or that of a schema moved aside.
pub fn is_build_schema(name: &str) -> bool {
    name.starts_with(BUILD_PREFIX) || name.starts_with(ASIDE_PREFIX)
}

/// The statement recording on build schema `schema` that it belongs to the
/// run whose sessions are tagged `tag`, built by backend `pid`.
pub(crate) fn marker_sql(schema: &str, tag: &str, pid: i32) -> String {
    let text = format!(
        "{MARKER}: application_name={tag} backend_pid={pid} started_epoch={}; \
         renamed into place when the run ends, dropped if it fails; if the run died, \
         `pggraft cleanup` removes it",
        epoch()
    );
    format!("COMMENT ON SCHEMA {} IS {}", ident(schema), literal(&text))
}

/// The same for a schema built under its final name, replacing the schema
/// moved `aside` (if the target had one), whose extensions `moved` were
/// moved into the build.
pub(crate) fn in_place_marker_sql(
    schema: &str,
    tag: &str,
    pid: i32,
    aside: Option<&str>,
    moved: &[String],
) -> String {
    let aside_field = aside.map(|a| format!(" {ASIDE_FIELD}{a}")).unwrap_or_default();
    let moved_field =
        if moved.is_empty() { String::new() } else { format!(" {MOVED_FIELD}{}", moved.join(",")) };
    let text = format!(
        "{MARKER} (in place): application_name={tag} backend_pid={pid} started_epoch={}\
         {aside_field}{moved_field}; kept when the run ends; if the run died, `pggraft cleanup` \
         drops it and gives back the schema moved aside",
        epoch()
    );
    format!("COMMENT ON SCHEMA {} IS {}", ident(schema), literal(&text))
}

fn epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A build schema found in a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuildSchema {
    pub schema: String,
    /// The `application_name` of the run's sessions.
    pub tag: String,
    /// The backend that created it, when recorded.
    pub backend_pid: Option<i32>,
    /// Whether a session of its run is still connected.
    pub alive: bool,
    /// Built under its final name (the target's schema of that name, if
    /// any, moved aside meanwhile): removing it gives that schema back.
    pub in_place: bool,
    /// For an in-place build, the target's schema it replaces, moved aside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aside: Option<String>,
    /// For an in-place build, the extensions it took from that schema.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub moved_extensions: Vec<String>,
}

fn field(c: &str, key: &str) -> Option<String> {
    c.split(|ch: char| ch.is_whitespace() || ch == ';')
        .find_map(|w| w.strip_prefix(key))
        .map(|v| v.to_string())
}

/// The run's tag from a build schema's comment, or else from its name
/// (`pggraft_tmp_<run>_<n>`).
fn tag_of(schema: &str, comment: Option<&str>) -> (String, Option<i32>) {
    if let Some(c) = comment.filter(|c| c.starts_with(MARKER))
        && let Some(tag) = field(c, "application_name=")
    {
        let pid = field(c, "backend_pid=").and_then(|p| p.parse().ok());
        return (tag, pid);
    }
    let run = schema.strip_prefix(BUILD_PREFIX).unwrap_or(schema);
    let run = run.rsplit_once('_').map_or(run, |(r, _)| r);
    (session_tag(run), None)
}

/// Every build schema of the database `c` is connected to, and whether its
/// run is alive.
pub async fn list(c: &Client) -> Result<Vec<BuildSchema>> {
    let rows = c
        .query(
            "SELECT n.nspname::text, obj_description(n.oid, 'pg_namespace') FROM pg_namespace n \
             WHERE starts_with(n.nspname, $1) \
                OR starts_with(obj_description(n.oid, 'pg_namespace'), $2) ORDER BY 1",
            &[&BUILD_PREFIX, &MARKER],
        )
        .await
        .ctx("listing temporary build schemas")?;
    let live: Vec<String> = c
        .query(
            "SELECT DISTINCT application_name::text FROM pg_stat_activity \
             WHERE starts_with(application_name, 'pggraft-clone-') AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .ctx("listing running pggraft sessions")?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(rows
        .iter()
        .map(|r| {
            let schema: String = r.get(0);
            let comment: Option<String> = r.get(1);
            let (tag, backend_pid) = tag_of(&schema, comment.as_deref());
            let alive = live.contains(&tag);
            let in_place = !schema.starts_with(BUILD_PREFIX);
            let c = comment.as_deref().unwrap_or_default();
            let aside = field(c, ASIDE_FIELD).filter(|_| in_place);
            let moved_extensions = field(c, MOVED_FIELD)
                .filter(|_| in_place)
                .map(|m| m.split(',').map(str::to_string).collect())
                .unwrap_or_default();
            BuildSchema { schema, tag, backend_pid, alive, in_place, aside, moved_extensions }
        })
        .collect())
}

/// What [`remove_stale`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cleanup {
    /// Build schemas of runs that are gone, dropped.
    pub removed: Vec<BuildSchema>,
    /// Build schemas of runs still in progress, left alone.
    pub running: Vec<BuildSchema>,
}

/// Drops the build schemas of `target`'s database whose run is gone. With
/// `dry_run`, only lists them.
pub async fn remove_stale(target: &ConnSpec, dry_run: bool) -> Result<Cleanup> {
    let c = target.connect().await.map_err(|e| e.on(Side::Target))?;
    // A leftover someone is still reading is left for the next time.
    c.batch_execute("SET lock_timeout = '10s'").await.ctx("preparing the cleanup session")?;
    let mut out = Cleanup::default();
    for s in list(&c).await.map_err(|e| e.on(Side::Target))? {
        if s.alive {
            out.running.push(s);
            continue;
        }
        if !dry_run {
            c.batch_execute(&removal_sql(&s))
                .await
                .ctx(format!("dropping temporary schema {} left by an earlier run", s.schema))
                .map_err(|e| e.on(Side::Target))?;
        }
        out.removed.push(s);
    }
    if !dry_run {
        // The records of killed clones (`clone --resume`) whose build schemas are gone,
        // and of those just removed (a schema built in place gave way to the target's own,
        // of the same name).
        let runs: Vec<String> = out
            .removed
            .iter()
            .filter_map(|s| s.tag.strip_prefix("pggraft-clone-"))
            .map(literal)
            .collect();
        let sql =
            FORGET_ORPHANS.replace("'{}'::text[]", &format!("ARRAY[{}]::text[]", runs.join(", ")));
        if let Err(e) = c.batch_execute(&sql).await {
            tracing::debug!("could not remove the records of removed clones: {e}");
        }
    }
    Ok(out)
}

/// Deletes from `pggraft.clone_runs` the runs none of whose build schemas exist; the
/// record's tables go with the last run (under the lock that creates them), and the
/// `pggraft` schema when nothing else is in it.
const FORGET_ORPHANS: &str = "DO $$ BEGIN
  IF to_regclass('pggraft.clone_runs') IS NOT NULL THEN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('pggraft.clone_runs'));
    DELETE FROM pggraft.clone_runs r WHERE r.run_id = ANY('{}'::text[]) OR NOT EXISTS (
      SELECT 1 FROM jsonb_each_text(r.build_schemas) b
      JOIN pg_catalog.pg_namespace n ON n.nspname = b.value);
    IF to_regclass('pggraft.clone_tasks') IS NOT NULL THEN
      DELETE FROM pggraft.clone_tasks t WHERE NOT EXISTS (
        SELECT 1 FROM pggraft.clone_runs r WHERE r.run_id = t.run_id);
      DELETE FROM pggraft.clone_tasks_done t WHERE NOT EXISTS (
        SELECT 1 FROM pggraft.clone_runs r WHERE r.run_id = t.run_id);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pggraft.clone_runs) THEN
      DROP TABLE pggraft.clone_done, pggraft.clone_runs;
      DROP TABLE IF EXISTS pggraft.clone_tasks, pggraft.clone_tasks_done;
      IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relnamespace = 'pggraft'::regnamespace)
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE pronamespace = 'pggraft'::regnamespace)
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE typnamespace = 'pggraft'::regnamespace) THEN
        DROP SCHEMA pggraft;
      END IF;
    END IF;
  END IF;
END $$";

/// Removes a leftover build schema. An in-place one gives the target back
/// the schema it replaced, with its extensions, in one transaction.
fn removal_sql(s: &BuildSchema) -> String {
    let drop = format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&s.schema));
    let Some(aside) = &s.aside else { return drop };
    let mut sql = String::from("BEGIN;");
    for e in &s.moved_extensions {
        sql.push_str(&format!(" ALTER EXTENSION {} SET SCHEMA {};", ident(e), ident(aside)));
    }
    sql.push_str(&format!(
        " {drop}; ALTER SCHEMA {} RENAME TO {}; COMMIT;",
        ident(aside),
        ident(&s.schema)
    ));
    sql
}

/// Drops `schemas` (and `extensions`, best effort) on `target`, after
/// stopping the sessions tagged `tag` (whose locks would block the drop).
/// Connecting is retried with backoff for up to `budget` while the server
/// cannot be reached or is starting up or shutting down. The session is
/// tagged `tag` too, so another run does not take the schemas for
/// leftovers meanwhile.
/// Database-wide objects a failed run created outside its schemas, dropped after them.
pub(crate) struct Created<'a> {
    pub servers: &'a [String],
    pub extensions: &'a [String],
}

pub(crate) async fn drop_schemas(
    target: &ConnSpec,
    tag: &str,
    schemas: &[String],
    created: &Created<'_>,
    budget: Duration,
) -> Result<()> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        match try_drop(target, tag, schemas, created).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_retryable() && started.elapsed() + pause < budget => {
                tracing::info!("cleaning up, will retry in {pause:?}: {e}");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(4));
            }
            Err(e) => return Err(e),
        }
    }
}

async fn try_drop(
    target: &ConnSpec,
    tag: &str,
    schemas: &[String],
    created: &Created<'_>,
) -> Result<()> {
    let c = target.connect().await.map_err(|e| e.on(Side::Target))?;
    // A lock someone holds on what is dropped makes the drop wait 5 s at a
    // time, within the retries' budget.
    c.batch_execute(&format!("SET application_name = {}; SET lock_timeout = '5s'", literal(tag)))
        .await
        .ctx("preparing the cleanup session")?;
    c.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = $1 AND pid <> pg_backend_pid()",
        &[&tag],
    )
    .await
    .ctx("stopping this run's sessions")?;
    for s in schemas {
        c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(s)))
            .await
            .ctx(format!("dropping build schema {s}"))?;
    }
    // With their user mappings; the run's foreign tables went with its schemas.
    for s in created.servers {
        let _ = c.batch_execute(&format!("DROP SERVER IF EXISTS {} CASCADE", ident(s))).await;
    }
    for e in created.extensions {
        let _ = c.batch_execute(&format!("DROP EXTENSION IF EXISTS {}", ident(e))).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_is_read_from_the_comment_or_the_name() {
        let sql = marker_sql("pggraft_tmp_12_34_0", "pggraft-clone-12_34", 777);
        let comment = sql.split_once(" IS '").unwrap().1.trim_end_matches('\'');
        assert_eq!(
            tag_of("pggraft_tmp_12_34_0", Some(comment)),
            ("pggraft-clone-12_34".to_string(), Some(777))
        );
        assert_eq!(tag_of("pggraft_tmp_12_34_1", None), ("pggraft-clone-12_34".to_string(), None));
        assert_eq!(build_schema_name("12_34", 1), "pggraft_tmp_12_34_1");
        assert!(is_build_schema("pggraft_tmp_1_2_0") && !is_build_schema("pggraft"));
        assert!(is_build_schema(&aside_schema_name("1_2", 0)));
    }

    #[test]
    fn an_in_place_build_records_what_it_moved_aside() {
        let moved = ["hstore".to_string(), "pg_trgm".to_string()];
        let sql =
            in_place_marker_sql("app", "pggraft-clone-1_2", 5, Some("pggraft_aside_1_2_0"), &moved);
        let comment = sql.split_once(" IS '").unwrap().1.trim_end_matches('\'');
        assert!(comment.starts_with(MARKER));
        assert_eq!(tag_of("app", Some(comment)), ("pggraft-clone-1_2".to_string(), Some(5)));
        assert_eq!(field(comment, ASIDE_FIELD).as_deref(), Some("pggraft_aside_1_2_0"));
        assert_eq!(field(comment, MOVED_FIELD).as_deref(), Some("hstore,pg_trgm"));
    }
}
