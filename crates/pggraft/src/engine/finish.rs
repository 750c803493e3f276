//! How a job ends, as a value. The engine runs the same structure, data and
//! post-data work whatever the finish; the finish decides where the rows go
//! (fresh build tables or existing ones), what happens once everything is
//! in, and what is undone when the job fails.
//!
//! - [`Finish::Swap`] (clone): everything is built under temporary schema
//!   names and renamed into place in one transaction at the end; on failure
//!   the build schemas (and extensions the job created) are dropped, so the
//!   target is as it was. A schema that receives an extension is built
//!   under its final name instead (see [`SchemaSwap::in_place`]), its
//!   predecessor moved aside until the end.
//! - [`Finish::InPlace`] (data-only): rows are loaded into existing tables,
//!   truncated first in the loading transaction when `truncate` is set.
//! - [`Finish::Groups`] (refresh): existing tables are replaced or merged
//!   group by group, each group in one transaction that commits as soon as
//!   it is loaded ([`super::groups`]); on failure the group in flight rolls
//!   back (its sessions are stopped so that it does at once) and the groups
//!   committed before stay refreshed.
//!
//! `follow` adds a third: hand over to a change stream that starts at the
//! snapshot's consistent point (see [`crate::conn::Origin::Slot`]).

use std::time::Duration;

use tokio_postgres::Client;

use super::groups::GroupLoad;
use super::lock_wait::{Ddl, LockWait};
use crate::cleanup;
use crate::conn::{ConnSpec, Side};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::{ident, literal};

/// A source schema, the temporary name it is built under, and its final name.
#[derive(Debug, Clone)]
pub struct SchemaSwap {
    pub source: String,
    pub build: String,
    pub target: String,
    /// The target schema exists and is replaced at the end.
    pub replace: bool,
    /// For a schema built under its final name (`build == target`), the
    /// target's existing schema of that name and the extensions moved out
    /// of it into the new one (see [`Aside`]).
    pub aside: Option<Aside>,
    /// The comment the copy carries once in place (the build schema's
    /// comment records the run while it is built).
    pub comment: Option<String>,
}

impl SchemaSwap {
    /// Built under its final name: an extension created in it bakes its
    /// schema's name into its objects (PostGIS's `@extschema@`), so it must
    /// be created under the name it keeps. The schema the target had under
    /// that name, if any, is renamed aside while the job runs.
    pub fn in_place(&self) -> bool {
        self.build == self.target
    }
}

/// The target's schema that an in-place build replaces: renamed to `name`
/// by the producer's first structure statement, with its (relocatable)
/// `extensions` moved into the new schema. Dropped once the job is done;
/// restored if it fails.
#[derive(Debug, Clone)]
pub struct Aside {
    pub name: String,
    pub extensions: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Finish {
    /// Build under temporary names, swap into place at the end.
    Swap {
        schemas: Vec<SchemaSwap>,
        /// Extensions the job creates on the target (dropped on failure).
        new_extensions: Vec<String>,
        /// Foreign servers the job creates on the target (dropped on failure, with their
        /// user mappings, before the extensions that provide their wrappers).
        new_servers: Vec<String>,
        /// SQL run in the swap's transaction after the renames (clone's
        /// entry in `pggraft.copies`), so a failed job records nothing.
        record: Option<String>,
        /// Replacing a schema may drop objects outside it that depend on
        /// it (`DROP SCHEMA … CASCADE`); without this the swap refuses.
        drop_cascade: bool,
    },
    /// Load into existing tables.
    InPlace { truncate: bool },
    /// Replace or merge existing tables group by group.
    Groups(GroupLoad),
}

impl Finish {
    /// Whether a whole-table load may truncate first and write frozen rows
    /// (`COPY … FREEZE` needs the table truncated in the same transaction).
    pub(crate) fn fresh_tables(&self) -> bool {
        match self {
            Finish::Swap { .. } => true,
            Finish::InPlace { truncate } => *truncate,
            Finish::Groups(_) => false,
        }
    }

    /// Runs once all data and post-data work is done, on the main session
    /// (backend `pid`).
    pub(crate) async fn complete(&self, main: &Client, pid: i32, waits: &LockWait) -> Result<()> {
        let Finish::Swap { schemas, record, drop_cascade, .. } = self else { return Ok(()) };
        swap(main, pid, waits, schemas, record.as_deref(), *drop_cascade).await
    }

    /// What the finish runs at the end, as SQL (for `--dry-run`): the
    /// replaced schemas dropped and the build schemas renamed into place,
    /// in one transaction. Extensions living in a replaced schema move into
    /// its copy first (decided when it runs).
    pub fn script(&self) -> String {
        let Finish::Swap { schemas, .. } = self else { return String::new() };
        let mut sql = String::from("BEGIN;\n");
        for s in schemas {
            if s.in_place() {
                if let Some(a) = &s.aside {
                    sql.push_str(&format!(
                        "DROP SCHEMA IF EXISTS {} CASCADE; -- the target's schema, moved aside\n",
                        ident(&a.name)
                    ));
                }
                continue;
            }
            if s.replace {
                sql.push_str(&format!(
                    "DROP SCHEMA IF EXISTS {} CASCADE; -- replaced (--drop-if-exists)\n",
                    ident(&s.target)
                ));
            }
            sql.push_str(&format!(
                "ALTER SCHEMA {} RENAME TO {};\n",
                ident(&s.build),
                ident(&s.target)
            ));
        }
        sql.push_str("COMMIT;\n");
        sql
    }

    /// The statements, run in the structure transaction by backend `pid`,
    /// that record in each build schema which run it belongs to (see
    /// [`crate::cleanup`]). A schema built under its final name records
    /// the schema it moved aside too, so that a leftover of a killed run
    /// can be undone; the swap gives it its own comment.
    pub(crate) fn mark_sql(&self, tag: &str, pid: i32) -> Vec<String> {
        let Finish::Swap { schemas, .. } = self else { return vec![] };
        schemas
            .iter()
            .map(|s| match (&s.aside, s.in_place()) {
                (_, false) => cleanup::marker_sql(&s.build, tag, pid),
                (Some(a), true) => {
                    cleanup::in_place_marker_sql(&s.build, tag, pid, Some(&a.name), &a.extensions)
                }
                (None, true) => cleanup::in_place_marker_sql(&s.build, tag, pid, None, &[]),
            })
            .collect()
    }

    /// The schemas the job builds under temporary names.
    pub fn build_schemas(&self) -> Vec<String> {
        match self {
            Finish::Swap { schemas, .. } => {
                schemas.iter().filter(|s| !s.in_place()).map(|s| s.build.clone()).collect()
            }
            Finish::InPlace { .. } | Finish::Groups(_) => vec![],
        }
    }

    /// Undoes what a failed job built. `tag` is the `application_name` of
    /// the job's target sessions, stopped first so their locks go (a group
    /// transaction busy in a long statement would notice its client is gone
    /// only when it next writes to it; stopping it rolls it back now). A
    /// target that is restarting is waited for, up to `wait`.
    /// `structure_built`: the structure transaction committed (before it
    /// did, a schema built in place is still the target's own).
    pub(crate) async fn abort(
        &self,
        target: &ConnSpec,
        tag: &str,
        structure_built: bool,
        wait: Duration,
    ) -> Result<()> {
        let (schemas, servers, extensions): (&[SchemaSwap], &[String], &[String]) = match self {
            Finish::Swap { schemas, new_servers, new_extensions, .. } => {
                (schemas, new_servers, new_extensions)
            }
            Finish::Groups(_) => (&[], &[], &[]),
            Finish::InPlace { .. } => return Ok(()),
        };
        let created = cleanup::Created { servers, extensions };
        cleanup::drop_schemas(target, tag, &self.build_schemas(), &created, wait).await?;
        if structure_built && schemas.iter().any(|s| s.in_place()) {
            let c = target.connect().await.map_err(|e| e.on(Side::Target))?;
            for s in schemas.iter().filter(|s| s.in_place()) {
                restore_aside(&c, s).await?;
            }
        }
        Ok(())
    }
}

/// Drops a schema built in place and gives the target back the schema it
/// replaced, with the extensions that were moved out of it.
async fn restore_aside(c: &Client, s: &SchemaSwap) -> Result<()> {
    if let Some(a) = &s.aside {
        // Not renamed aside (the structure did not commit after all): the
        // schema under the final name is still the target's own.
        let found = c
            .query("SELECT 1 FROM pg_namespace WHERE nspname = $1", &[&a.name])
            .await
            .ctx("looking for the schema moved aside")?;
        if found.is_empty() {
            return Ok(());
        }
    }
    let mut sql = String::from("BEGIN;");
    if let Some(a) = &s.aside {
        for e in &a.extensions {
            sql.push_str(&format!(" ALTER EXTENSION {} SET SCHEMA {};", ident(e), ident(&a.name)));
        }
    }
    sql.push_str(&format!(" DROP SCHEMA IF EXISTS {} CASCADE;", ident(&s.target)));
    if let Some(a) = &s.aside {
        sql.push_str(&format!(" ALTER SCHEMA {} RENAME TO {};", ident(&a.name), ident(&s.target)));
    }
    sql.push_str(" COMMIT;");
    if let Err(e) = c.batch_execute(&sql).await {
        let _ = c.batch_execute("ROLLBACK").await;
        return Err(Error::db(format!("restoring target schema {}", s.target), e));
    }
    Ok(())
}

/// Objects outside `schemas` that `DROP SCHEMA … CASCADE` of `schemas`
/// would drop along (a view over one of their tables, a function returning
/// one of their row types, a foreign key, a column of one of their types,
/// a default calling one of their functions …), as the server describes
/// them (`view public.v`), sorted. Objects in `also_inside` do not count;
/// extensions (and their members) do not either: the swap moves them.
pub(crate) async fn dropped_outside(
    c: &Client,
    schemas: &[String],
    also_inside: &[String],
) -> Result<Vec<String>> {
    if schemas.is_empty() {
        return Ok(vec![]);
    }
    let inside: Vec<String> = schemas.iter().chain(also_inside).cloned().collect();
    // Everything the drop takes: what depends on a dropped object (normal,
    // auto or internal dependency) goes, and an object another one is an
    // internal part of (a view's rule) takes that one along.
    let rows = c
        .query(
            "WITH RECURSIVE gone(classid, objid, objsubid) AS ( \
               SELECT 'pg_namespace'::regclass::oid, n.oid, 0 FROM pg_namespace n \
                WHERE n.nspname = ANY($1) \
               UNION \
               SELECT x.classid, x.objid, x.objsubid FROM gone g CROSS JOIN LATERAL ( \
                 SELECT d.classid, d.objid, d.objsubid FROM pg_depend d \
                  WHERE d.refclassid = g.classid AND d.refobjid = g.objid \
                    AND (g.objsubid = 0 OR d.refobjsubid = g.objsubid) \
                    AND d.deptype IN ('n', 'a', 'i') \
                    AND d.classid <> 'pg_extension'::regclass \
                    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = d.classid \
                                    AND e.objid = d.objid AND e.deptype = 'e') \
                 UNION ALL \
                 SELECT d.refclassid, d.refobjid, 0 FROM pg_depend d \
                  WHERE d.classid = g.classid AND d.objid = g.objid AND d.deptype = 'i' \
               ) x \
             ) \
             SELECT DISTINCT pg_describe_object(g.classid, g.objid, g.objsubid) FROM gone g \
             CROSS JOIN LATERAL pg_identify_object(g.classid, g.objid, g.objsubid) o \
             LEFT JOIN pg_rewrite r ON g.classid = 'pg_rewrite'::regclass AND r.oid = g.objid \
             LEFT JOIN pg_trigger t ON g.classid = 'pg_trigger'::regclass AND t.oid = g.objid \
             LEFT JOIN pg_attrdef a ON g.classid = 'pg_attrdef'::regclass AND a.oid = g.objid \
             LEFT JOIN pg_policy p ON g.classid = 'pg_policy'::regclass AND p.oid = g.objid \
             LEFT JOIN pg_type ty ON g.classid = 'pg_type'::regclass AND ty.oid = g.objid \
             WHERE g.classid <> 'pg_namespace'::regclass AND o.schema IS DISTINCT FROM 'pg_toast' \
               AND NOT (r.oid IS NOT NULL AND r.rulename = '_RETURN') \
               AND NOT coalesce(t.tgisinternal, false) \
               AND NOT (ty.oid IS NOT NULL AND (ty.typrelid <> 0 \
                        OR (ty.typcategory = 'A' AND ty.typelem <> 0))) \
               AND coalesce(o.schema, (SELECT n.nspname FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE c.oid = coalesce(r.ev_class, t.tgrelid, a.adrelid, p.polrelid))) \
                   <> ALL($2) \
             ORDER BY 1",
            &[&schemas, &inside],
        )
        .await
        .ctx("listing what depends on the schemas to replace")?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Renames the build schemas into place in one transaction, with `record`
/// (clone's entry in `pggraft.copies`), each statement under the run's lock
/// wait (a user's open transaction on a table of a replaced schema makes the
/// drop wait, then fail naming it). A replaced schema that objects elsewhere
/// depend on is dropped only with `drop_cascade`.
async fn swap(
    main: &Client,
    pid: i32,
    waits: &LockWait,
    schemas: &[SchemaSwap],
    record: Option<&str>,
    drop_cascade: bool,
) -> Result<()> {
    let mut stmts: Vec<(String, String)> = vec![];
    // Schemas built in place are there already; what they replaced goes,
    // and the comment that recorded the run gives way to the copy's.
    for s in schemas.iter().filter(|s| s.in_place()) {
        if let Some(a) = &s.aside {
            stmts.push((
                format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&a.name)),
                format!("dropping the target's {} that was moved aside", s.target),
            ));
        }
        stmts.push((
            format!("COMMENT ON SCHEMA {} IS {}", ident(&s.target), comment_value(s)),
            format!("setting the comment of schema {}", s.target),
        ));
    }
    let schemas: Vec<&SchemaSwap> = schemas.iter().filter(|s| !s.in_place()).collect();
    // Extensions living in a schema about to be replaced (including ones
    // this job just created there) move into the copy first: dropping the
    // old schema must not take them, and the copied columns that use their
    // types, along.
    let replaced: Vec<String> =
        schemas.iter().filter(|s| s.replace).map(|s| s.target.clone()).collect();
    let exts = main
        .query(
            "SELECT n.nspname::text, e.extname::text, e.extrelocatable FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE n.nspname = ANY($1)",
            &[&replaced],
        )
        .await
        .ctx("listing extensions in replaced schemas")?;
    for s in &schemas {
        for r in exts.iter().filter(|r| r.get::<_, String>(0) == s.target) {
            let e: String = r.get(1);
            if !r.get::<_, bool>(2) {
                return Err(Error::input(format!(
                    "target schema {:?} holds extension {e:?}, which cannot be moved aside while \
                     the schema is replaced; install it in another schema on the target",
                    s.target
                )));
            }
            stmts.push((
                format!("ALTER EXTENSION {} SET SCHEMA {}", ident(&e), ident(&s.build)),
                format!("moving extension {e} into the copy of {}", s.target),
            ));
        }
        if s.replace {
            stmts.push((
                format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&s.target)),
                format!("replacing target schema {} (--drop-if-exists)", s.target),
            ));
        }
        stmts.push((
            format!("COMMENT ON SCHEMA {} IS {}", ident(&s.build), comment_value(s)),
            format!("setting the comment of schema {}", s.target),
        ));
        stmts.push((
            format!("ALTER SCHEMA {} RENAME TO {}", ident(&s.build), ident(&s.target)),
            format!("renaming the copy into place as {}", s.target),
        ));
    }
    if !drop_cascade && !replaced.is_empty() {
        // Checked before the clone started; checked again here, as the
        // drop is what loses them.
        let builds: Vec<String> = schemas.iter().map(|s| s.build.clone()).collect();
        let outside = dropped_outside(main, &replaced, &builds).await?;
        if !outside.is_empty() {
            return Err(Error::DependentObjects { schemas: replaced, objects: outside });
        }
    }
    if let Some(r) = record {
        stmts.push((r.to_string(), "recording the copy in pggraft.copies".to_string()));
    }
    let ddl: Vec<Ddl<'_>> =
        stmts.iter().map(|(sql, what)| Ddl { sql, shown: sql, what: what.clone() }).collect();
    waits.transaction(main, pid, &ddl).await
}

/// The comment a copied schema carries once in place, as SQL.
fn comment_value(s: &SchemaSwap) -> String {
    s.comment.as_deref().map_or("NULL".to_string(), |c| literal(c).to_string())
}
