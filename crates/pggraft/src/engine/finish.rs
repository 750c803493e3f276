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

use tokio_postgres::Client;

use super::groups::GroupLoad;
use crate::conn::ConnSpec;
use crate::error::{Error, PgResultExt, Result};
use crate::sql::ident;

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
        /// SQL run in the swap's transaction after the renames (clone's
        /// entry in `pggraft.copies`), so a failed job records nothing.
        record: Option<String>,
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

    /// Runs once all data and post-data work is done.
    pub(crate) async fn complete(&self, main: &Client) -> Result<()> {
        let Finish::Swap { schemas, record, .. } = self else { return Ok(()) };
        swap(main, schemas, record.as_deref()).await
    }

    /// Undoes what a failed job built. `tag` is the `application_name` of
    /// the job's target sessions, stopped first so their locks go.
    /// `structure_built`: the structure transaction committed (before it
    /// did, a schema built in place is still the target's own).
    pub(crate) async fn abort(
        &self,
        target: &ConnSpec,
        tag: &str,
        structure_built: bool,
    ) -> Result<()> {
        let (schemas, new_extensions) = match self {
            Finish::Swap { schemas, new_extensions, .. } => (schemas, new_extensions),
            Finish::Groups(_) => (&vec![], &vec![]),
            Finish::InPlace { .. } => return Ok(()),
        };
        let c = target.connect().await?;
        // A group transaction busy in a long statement would notice its
        // client is gone only when it next writes to it; stopping it rolls
        // it back now (and lets go of its locks).
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
            &[&tag],
        )
        .await
        .ctx("stopping this run's sessions")?;
        for s in schemas {
            if s.in_place() {
                if structure_built {
                    restore_aside(&c, s).await?;
                }
                continue;
            }
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", ident(&s.build)))
                .await
                .ctx(format!("dropping build schema {}", s.build))?;
        }
        for e in new_extensions {
            let _ = c.batch_execute(&format!("DROP EXTENSION IF EXISTS {}", ident(e))).await;
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

/// Renames the build schemas into place in one transaction (with `record`).
async fn swap(main: &Client, schemas: &[SchemaSwap], record: Option<&str>) -> Result<()> {
    let mut sql = String::from("BEGIN;");
    // Schemas built in place are there already; what they replaced goes.
    for s in schemas.iter().filter(|s| s.in_place()) {
        if let Some(a) = &s.aside {
            sql.push_str(&format!(" DROP SCHEMA IF EXISTS {} CASCADE;", ident(&a.name)));
        }
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
            sql.push_str(&format!(
                " ALTER EXTENSION {} SET SCHEMA {};",
                ident(&e),
                ident(&s.build)
            ));
        }
        if s.replace {
            sql.push_str(&format!(" DROP SCHEMA IF EXISTS {} CASCADE;", ident(&s.target)));
        }
        sql.push_str(&format!(" ALTER SCHEMA {} RENAME TO {};", ident(&s.build), ident(&s.target)));
    }
    if let Some(r) = record {
        sql.push(' ');
        sql.push_str(r);
    }
    sql.push_str(" COMMIT;");
    if let Err(e) = main.batch_execute(&sql).await {
        let _ = main.batch_execute("ROLLBACK").await;
        return Err(Error::db("renaming the copy into place", e));
    }
    Ok(())
}
