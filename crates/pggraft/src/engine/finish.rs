//! How a job ends, as a value. The engine runs the same structure, data and
//! post-data work whatever the finish; the finish decides where the rows go
//! (fresh build tables or existing ones), what happens once everything is
//! in, and what is undone when the job fails.
//!
//! - [`Finish::Swap`] (clone): everything is built under temporary schema
//!   names and renamed into place in one transaction at the end; on failure
//!   the build schemas (and extensions the job created) are dropped, so the
//!   target is as it was.
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
    pub(crate) async fn abort(&self, target: &ConnSpec, tag: &str) -> Result<()> {
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

/// Renames the build schemas into place in one transaction (with `record`).
async fn swap(main: &Client, schemas: &[SchemaSwap], record: Option<&str>) -> Result<()> {
    let mut sql = String::from("BEGIN;");
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
