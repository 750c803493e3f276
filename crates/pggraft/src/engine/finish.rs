//! How a job ends, as a value. The engine runs the same structure, data and
//! post-data work whatever the finish; the finish decides where the rows go
//! (fresh build tables or existing ones), what happens once everything is
//! in, and what is undone when the job fails.
//!
//! - [`Finish::Swap`] (clone): everything is built under temporary schema
//!   names and renamed into place in one transaction at the end; on failure
//!   the build schemas (and extensions the job created) are dropped, so the
//!   target is as it was.
//! - [`Finish::InPlace`] (data-only; refresh's reload will use it): rows are
//!   loaded into existing tables, truncated first in the loading transaction
//!   when `truncate` is set.
//!
//! `follow` adds a third: hand over to a change stream that starts at the
//! snapshot's consistent point (see [`crate::conn::Origin::Slot`]).

use std::time::Duration;

use tokio_postgres::Client;

use super::lock_wait::{Ddl, LockWait};
use crate::cleanup;
use crate::conn::ConnSpec;
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
    /// The comment the copy carries once in place (the build schema's
    /// comment records the run while it is built).
    pub comment: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Finish {
    /// Build under temporary names, swap into place at the end.
    Swap {
        schemas: Vec<SchemaSwap>,
        /// Extensions the job creates on the target (dropped on failure).
        new_extensions: Vec<String>,
        /// Replacing a schema may drop objects outside it that depend on
        /// it (`DROP SCHEMA … CASCADE`); without this the swap refuses.
        drop_cascade: bool,
    },
    /// Load into existing tables.
    InPlace { truncate: bool },
}

impl Finish {
    /// Whether a whole-table load may truncate first and write frozen rows
    /// (`COPY … FREEZE` needs the table truncated in the same transaction).
    pub(crate) fn fresh_tables(&self) -> bool {
        match self {
            Finish::Swap { .. } => true,
            Finish::InPlace { truncate } => *truncate,
        }
    }

    /// Runs once all data and post-data work is done, on the main session
    /// (backend `pid`).
    pub(crate) async fn complete(&self, main: &Client, pid: i32, waits: &LockWait) -> Result<()> {
        let Finish::Swap { schemas, drop_cascade, .. } = self else { return Ok(()) };
        swap(main, pid, waits, schemas, *drop_cascade).await
    }

    /// What the finish runs at the end, as SQL (for `--dry-run`): the
    /// replaced schemas dropped and the build schemas renamed into place,
    /// in one transaction. Extensions living in a replaced schema move into
    /// its copy first (decided when it runs).
    pub fn script(&self) -> String {
        let Finish::Swap { schemas, .. } = self else { return String::new() };
        let mut sql = String::from("BEGIN;\n");
        for s in schemas {
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
    /// [`crate::cleanup`]).
    pub(crate) fn mark_sql(&self, tag: &str, pid: i32) -> Vec<String> {
        let Finish::Swap { schemas, .. } = self else { return vec![] };
        schemas.iter().map(|s| cleanup::marker_sql(&s.build, tag, pid)).collect()
    }

    /// The schemas the job builds under temporary names.
    pub fn build_schemas(&self) -> Vec<String> {
        match self {
            Finish::Swap { schemas, .. } => schemas.iter().map(|s| s.build.clone()).collect(),
            Finish::InPlace { .. } => vec![],
        }
    }

    /// Undoes what a failed job built. `tag` is the `application_name` of
    /// the job's target sessions, stopped first so their locks go. A target
    /// that is restarting is waited for, up to `wait`.
    pub(crate) async fn abort(&self, target: &ConnSpec, tag: &str, wait: Duration) -> Result<()> {
        let Finish::Swap { new_extensions, .. } = self else { return Ok(()) };
        let schemas = self.build_schemas();
        cleanup::drop_schemas(target, tag, &schemas, new_extensions, wait).await
    }
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

/// Renames the build schemas into place in one transaction, each
/// statement under the run's lock wait (a user's open transaction on a
/// table of a replaced schema makes the drop wait, then fail naming it). A
/// replaced schema that objects elsewhere depend on is dropped only with
/// `drop_cascade`.
async fn swap(
    main: &Client,
    pid: i32,
    waits: &LockWait,
    schemas: &[SchemaSwap],
    drop_cascade: bool,
) -> Result<()> {
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
    let mut stmts: Vec<(String, String)> = vec![];
    for s in schemas {
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
        let comment = s.comment.as_deref().map_or("NULL".to_string(), |c| literal(c).to_string());
        stmts.push((
            format!("COMMENT ON SCHEMA {} IS {comment}", ident(&s.build)),
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
    let ddl: Vec<Ddl<'_>> =
        stmts.iter().map(|(sql, what)| Ddl { sql, what: what.clone() }).collect();
    waits.transaction(main, pid, &ddl).await
}
