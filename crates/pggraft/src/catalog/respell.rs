//! Definitions compared by meaning: one server re-spells the other side's.
//!
//! The model keeps view bodies and constraint expressions as the server printed them. Two
//! copies of one definition can still be printed differently:
//!
//! - by **another server version**: PostgreSQL 16 stopped qualifying the columns of a query
//!   over one relation (`SELECT id FROM shop.orders`, where 15 prints `SELECT orders.id …`);
//! - **after a round trip**: printing is not idempotent. A CHECK written `a BETWEEN 1 AND 2
//!   AND b BETWEEN 3 AND 4` prints as `((a >= 1) AND (a <= 2)) AND ((b >= 3) AND (b <= 4))`
//!   with its parentheses, and the parser flattens a parenthesised AND on the left into its
//!   parent, so the copy made from that text prints `(a >= 1) AND (a <= 2) AND ((b >= 3) …)`.
//!   The same happens to view bodies.
//!
//! [`respell_both`] takes the definitions that differ in text between two models and has one
//! server parse and print both sides' (a printed definition parsed and printed again is
//! stable, so the two meet), inside a transaction that is rolled back: views become
//! temporary views, table checks go on a temporary copy of the table's columns, domain
//! checks on a temporary domain over the same type. A definition that means the same is then
//! spelled the same; one that cannot be created there (it names what that server lacks)
//! keeps its text, and the difference stands. Which server is the caller's (verify, diff,
//! sync-schema).

use std::collections::BTreeSet;

use tokio_postgres::Client;

use super::model::*;
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, ident};

/// What differs in text between two models, by kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Differing {
    /// Views (plain and materialized).
    pub views: BTreeSet<QualifiedName>,
    /// (table, constraint) of CHECK constraints.
    pub checks: BTreeSet<(QualifiedName, String)>,
    /// (domain, constraint) of domain CHECK constraints.
    pub domain_checks: BTreeSet<(QualifiedName, String)>,
}

impl Differing {
    pub fn is_empty(&self) -> bool {
        self.views.is_empty() && self.checks.is_empty() && self.domain_checks.is_empty()
    }

    pub fn len(&self) -> usize {
        self.views.len() + self.checks.len() + self.domain_checks.len()
    }
}

/// The definitions of `a` that differ in text from those of the same objects in `b`.
pub fn differing(a: &Catalog, b: &Catalog) -> Differing {
    let mut out = Differing::default();
    for v in &a.views {
        if b.views.iter().any(|w| w.name == v.name && w.definition != v.definition) {
            out.views.insert(v.name.clone());
        }
    }
    for t in &a.tables {
        let Some(u) = b.table(&t.name) else { continue };
        for c in t.constraints.iter().filter(|c| c.kind == "c") {
            if u.constraints.iter().any(|d| d.name == c.name && d.definition != c.definition) {
                out.checks.insert((t.name.clone(), c.name.clone()));
            }
        }
    }
    for t in &a.types {
        let TypeKind::Domain { constraints, .. } = &t.kind else { continue };
        let Some(TypeKind::Domain { constraints: theirs, .. }) =
            b.types.iter().find(|u| u.name == t.name).map(|u| &u.kind)
        else {
            continue;
        };
        for c in constraints {
            if theirs.iter().any(|d| d.name == c.name && d.definition != c.definition) {
                out.domain_checks.insert((t.name.clone(), c.name.clone()));
            }
        }
    }
    out
}

/// Re-spells the definitions that differ in text between `a` and `b`, on both sides, as the
/// server behind `client` prints them (see the module docs). `client` as for [`respell`].
/// Returns how many differed.
pub async fn respell_both(client: &Client, a: &mut Catalog, b: &mut Catalog) -> Result<usize> {
    let which = differing(a, b);
    if which.is_empty() {
        return Ok(0);
    }
    respell(client, a, &which).await?;
    respell(client, b, &which).await?;
    Ok(which.len())
}

/// Re-spells the definitions of `cat` listed in `which` as the server behind `client` prints
/// them (see the module docs). `client` must be a session prepared with
/// [`crate::conn::prepare_session`] (the spelling depends on the session's settings), outside
/// a transaction; nothing is left behind on the server. Returns how many were re-spelled.
pub async fn respell(client: &Client, cat: &mut Catalog, which: &Differing) -> Result<usize> {
    if which.is_empty() {
        return Ok(0);
    }
    client
        .batch_execute("BEGIN; SET LOCAL search_path = ''; SET LOCAL check_function_bodies = off")
        .await
        .ctx("starting to re-spell definitions")?;
    let mut s = Session { client, n: 0, done: 0 };
    let result = s.all(cat, which).await;
    client.batch_execute("ROLLBACK").await.ctx("ending the re-spelling transaction")?;
    result.map(|()| s.done)
}

struct Session<'a> {
    client: &'a Client,
    /// Temporary objects made so far (for unique names).
    n: usize,
    done: usize,
}

impl Session<'_> {
    async fn all(&mut self, cat: &mut Catalog, which: &Differing) -> Result<()> {
        for v in cat.views.iter_mut().filter(|v| which.views.contains(&v.name)) {
            let temp = self.temp_name();
            let create = format!("CREATE TEMPORARY VIEW {} AS {}", ident(&temp), v.definition);
            let read = "SELECT pg_get_viewdef(format('pg_temp.%I', $1::text)::regclass)";
            if let Some(def) = self.attempt(&create, read, &temp, "").await? {
                v.definition = def.trim_end().trim_end_matches(';').to_string();
            }
        }
        for t in &mut cat.tables {
            let name = t.name.clone();
            for c in t.constraints.iter_mut() {
                if !which.checks.contains(&(name.clone(), c.name.clone())) {
                    continue;
                }
                // On the columns of the table the other server has under this name.
                let temp = self.temp_name();
                let create = format!(
                    "CREATE TEMPORARY TABLE {tmp} (LIKE {name}); \
                     ALTER TABLE pg_temp.{tmp} ADD CONSTRAINT {c} {def}",
                    tmp = ident(&temp),
                    c = ident(&c.name),
                    def = c.definition
                );
                let read = "SELECT pg_get_constraintdef(oid) FROM pg_constraint \
                            WHERE conrelid = format('pg_temp.%I', $1::text)::regclass \
                            AND conname = $2";
                if let Some(def) = self.attempt(&create, read, &temp, &c.name).await? {
                    c.definition = def;
                }
            }
        }
        for t in &mut cat.types {
            let name = t.name.clone();
            let TypeKind::Domain { base, constraints, .. } = &mut t.kind else { continue };
            for c in constraints.iter_mut() {
                if !which.domain_checks.contains(&(name.clone(), c.name.clone())) {
                    continue;
                }
                let temp = self.temp_name();
                let create = format!(
                    "CREATE DOMAIN pg_temp.{tmp} AS {base}; \
                     ALTER DOMAIN pg_temp.{tmp} ADD CONSTRAINT {c} {def}",
                    tmp = ident(&temp),
                    c = ident(&c.name),
                    def = c.definition
                );
                let read = "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c \
                            WHERE c.contypid = format('pg_temp.%I', $1::text)::regtype \
                            AND c.conname = $2";
                if let Some(def) = self.attempt(&create, read, &temp, &c.name).await? {
                    c.definition = def;
                }
            }
        }
        Ok(())
    }

    fn temp_name(&mut self) -> String {
        self.n += 1;
        format!("pggraft_respell_{}", self.n)
    }

    /// Runs `create` in a savepoint and `read` (with `$1` the temporary object's name and
    /// `$2` = `arg`, when it takes it); `None` when the server refuses the definition.
    async fn attempt(
        &mut self,
        create: &str,
        read: &str,
        temp: &str,
        arg: &str,
    ) -> Result<Option<String>> {
        let c = self.client;
        c.batch_execute("SAVEPOINT respell").await.ctx("re-spelling definitions")?;
        if c.batch_execute(create).await.is_err() {
            c.batch_execute("ROLLBACK TO SAVEPOINT respell")
                .await
                .ctx("re-spelling definitions")?;
            return Ok(None);
        }
        let rows = if read.contains("$2") {
            c.query(read, &[&temp, &arg]).await
        } else {
            c.query(read, &[&temp]).await
        }
        .ctx("reading a re-spelled definition")?;
        c.batch_execute("RELEASE SAVEPOINT respell").await.ctx("re-spelling definitions")?;
        let def = rows.first().map(|r| r.get::<_, String>(0));
        if def.is_some() {
            self.done += 1;
        }
        Ok(def)
    }
}
