//! Applying decoded changes on the target, in the order the source
//! committed them, under the clone's names.
//!
//! One target session. Each change becomes a prepared statement (cached
//! per relation and per shape: which columns an update sets, which an
//! identity-full match compares) whose parameters are the stream's bytes
//! as they came: binary values bind as the column's type (`$1::int8`),
//! text values as text cast to it (`$1::text::int8`), so no value passes
//! through a client-side number format. Changes are queued (up to
//! [`QUEUE`]; the queue spans the source transactions of one target
//! transaction, and is sent when it fills or the group commits) and sent in
//! batches: neighbouring changes of one table and shape become one
//! statement over arrays of their values (`INSERT … SELECT * FROM
//! unnest($1::int8[], …)`, `UPDATE … FROM unnest(…)`, `DELETE … USING
//! unnest(…)`); a batch of updates writes only the last image of each key
//! (pgbench's 20 branches, updated by every transaction, become 20 rows a
//! group), and is used only where no unique or exclusion index of the
//! target reaches beyond the key (else updates go one by one, in order, as
//! the source made them). The statements are pipelined: up to
//! [`PIPELINE`] are sent before the first answer is awaited, in order, on
//! the one connection. The session runs with `session_replication_role =
//! replica`, so the target's triggers and foreign keys do not fire again
//! for what the source already did; then, and only then, a batch is first
//! grouped by table (each table's changes keep their order), which makes
//! the neighbours: the whole batch is in one target transaction, and no
//! constraint of one table looks at another once foreign keys are off.
//!
//! - An update sets only the columns the stream carries: a TOASTed value
//!   the update did not touch arrives as "unchanged" and is left as it is.
//! - Generated columns are not in the stream and are not written.
//! - Identity columns `GENERATED ALWAYS` are inserted with `OVERRIDING
//!   SYSTEM VALUE`.
//! - A table with `REPLICA IDENTITY FULL` and no key: an update or delete
//!   matches one row (by `ctid`) whose every comparable column is equal
//!   (`IS NOT DISTINCT FROM`), so of two identical rows one changes, as on
//!   the source.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use bytes::{BufMut, Bytes, BytesMut};
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, Statement};

use super::decode::{Message, Relation, Value};
use super::state::{TableMap, Transform};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::{QualifiedName, ident};

/// Statements sent before the first answer is awaited.
const PIPELINE: usize = 1000;
/// Changes queued before they are sent. As large as the follower's group
/// (`run::GROUP_ROWS`), so that a group's updates of one key coalesce.
const QUEUE: usize = 20_000;

/// A parameter: the stream's bytes, or NULL.
#[derive(Debug)]
struct Raw(Option<Bytes>);

impl ToSql for Raw {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match &self.0 {
            Some(b) => {
                out.put_slice(b);
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    to_sql_checked!();
}

/// A target column, as the statements name it.
#[derive(Debug, Clone)]
struct TargetColumn {
    name: String,
    /// The type without modifier (`numeric`, `character varying`).
    type_sql: String,
    /// `GENERATED ALWAYS AS IDENTITY`.
    identity_always: bool,
    /// The type has an equality an identity-full match can use.
    comparable: bool,
    type_oid: u32,
    /// An array type (whose values `unnest` would flatten: such columns are
    /// applied row by row).
    is_array: bool,
}

/// A relation of the stream, resolved to its target table.
#[derive(Debug)]
struct Rel {
    source: QualifiedName,
    target: QualifiedName,
    /// One per column of the stream's tuples.
    columns: Vec<TargetColumn>,
    /// Indexes of the replica identity's columns.
    key: Vec<usize>,
    full: bool,
    identity_always: bool,
    /// Updates of neighbouring rows may be coalesced (the last image per
    /// key) and applied as one statement: no unique or exclusion index of
    /// the target has a column outside the key (which such updates never
    /// set). Otherwise a skipped intermediate image, or the order in which
    /// one `UPDATE … FROM` visits its rows, could collide with another row's
    /// value that the source had already moved away.
    updates_batch: bool,
    /// A partitioned table (published via its root): statements name it
    /// without ONLY, and a row is told apart by `(tableoid, ctid)`.
    partitioned: bool,
    /// A mapped table (`map run --follow`): `columns` are the source's, and
    /// changes go through the mapping's expressions ([`transform_sql`]).
    transform: Option<Transform>,
}

impl Rel {
    /// `ONLY ` before the table's name, unless it is partitioned (whose
    /// rows are all in its partitions).
    fn only(&self) -> &'static str {
        if self.partitioned { "" } else { "ONLY " }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Shape {
    Insert,
    /// The columns set, and the columns matched.
    Update(Vec<usize>, Vec<usize>),
    Delete(Vec<usize>),
}

/// A change waiting to be sent.
struct Queued {
    rel: u32,
    shape: Shape,
    params: Vec<Raw>,
    /// May be applied together with neighbours of the same table and shape.
    batchable: bool,
}

pub(crate) struct Applier {
    client: Client,
    binary: bool,
    tables: HashMap<(String, String), TableMap>,
    /// Target columns by target table.
    target_columns: HashMap<QualifiedName, Vec<TargetColumn>>,
    /// The target's unique and exclusion indexes by target table: their
    /// columns' names, or `None` for one on expressions, partial, or an
    /// exclusion constraint.
    unique_indexes: HashMap<QualifiedName, Vec<Option<Vec<String>>>>,
    /// The target tables that are partitioned.
    partitioned: std::collections::HashSet<QualifiedName>,
    rels: HashMap<u32, Rel>,
    /// Prepared statements by relation, shape, and whether they apply a
    /// batch of rows (array parameters) or one.
    statements: HashMap<(u32, Shape, bool), Statement>,
    /// Changes not sent yet, in stream order.
    queue: Vec<Queued>,
    /// Changes of different tables may be sent grouped by table: the
    /// target's triggers and foreign keys do not fire (replica role).
    pub reorder: bool,
    /// Rows changed in the open target transaction.
    pub rows: i64,
    pub open: bool,
}

impl Applier {
    pub async fn new(client: Client, binary: bool, maps: &[TableMap]) -> Result<Applier> {
        let mut target_columns = HashMap::new();
        let mut unique_indexes = HashMap::new();
        for t in maps {
            let rows = client
                .query(
                    "SELECT CASE WHEN i.indexprs IS NULL AND i.indpred IS NULL \
                         AND NOT i.indisexclusion \
                       THEN ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a \
                         WHERE a.attrelid = i.indrelid \
                           AND a.attnum = ANY (i.indkey::int2[])) END \
                     FROM pg_catalog.pg_index i \
                     WHERE i.indrelid = $1::text::regclass \
                       AND (i.indisunique OR i.indisexclusion)",
                    &[&t.target.to_string()],
                )
                .await
                .ctx(format!("reading the unique indexes of {}", t.target))?;
            unique_indexes.insert(
                t.target.clone(),
                rows.iter().map(|r| r.get::<_, Option<Vec<String>>>(0)).collect(),
            );
            let rows = client
                .query(
                    "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, NULL), \
                       a.attidentity = 'a', \
                       EXISTS (SELECT 1 FROM pg_catalog.pg_opclass oc \
                         JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod \
                         JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid \
                         WHERE am.amname IN ('btree', 'hash') AND oc.opcdefault \
                           AND (oc.opcintype IN (a.atttypid, ty.typbasetype) \
                             OR (oc.opcintype = 'anyarray'::regtype AND ty.typelem <> 0 \
                                 AND ty.typlen = -1) \
                             OR (oc.opcintype = 'anyenum'::regtype AND ty.typtype = 'e') \
                             OR (oc.opcintype = 'record'::regtype AND ty.typtype = 'c') \
                             OR (oc.opcintype = 'anyrange'::regtype AND ty.typtype = 'r'))), \
                       a.atttypid, EXISTS (SELECT 1 FROM pg_catalog.pg_type ty \
                         WHERE ty.oid = a.atttypid AND ty.typelem <> 0 AND ty.typlen = -1) \
                     FROM pg_catalog.pg_attribute a \
                     WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 \
                       AND NOT a.attisdropped ORDER BY a.attnum",
                    &[&t.target.to_string()],
                )
                .await
                .ctx(format!("reading the columns of {}", t.target))?;
            let cols = rows
                .iter()
                .map(|r| TargetColumn {
                    name: r.get(0),
                    type_sql: r.get(1),
                    identity_always: r.get(2),
                    comparable: r.get(3),
                    type_oid: r.get(4),
                    is_array: r.get(5),
                })
                .collect();
            target_columns.insert(t.target.clone(), cols);
        }
        let names: Vec<String> = maps.iter().map(|t| t.target.to_string()).collect();
        let partitioned = client
            .query(
                "SELECT n FROM unnest($1::text[]) AS n \
                 WHERE (SELECT relkind FROM pg_catalog.pg_class WHERE oid = n::regclass) = 'p'",
                &[&names],
            )
            .await
            .ctx("reading which target tables are partitioned")?
            .iter()
            .filter_map(|r| maps.iter().find(|t| t.target.to_string() == r.get::<_, String>(0)))
            .map(|t| t.target.clone())
            .collect();
        let tables = maps
            .iter()
            .map(|t| ((t.source.schema.clone(), t.source.name.clone()), t.clone()))
            .collect();
        Ok(Applier {
            client,
            binary,
            tables,
            target_columns,
            unique_indexes,
            partitioned,
            rels: HashMap::new(),
            statements: HashMap::new(),
            queue: vec![],
            reorder: false,
            rows: 0,
            open: false,
        })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens the target transaction if none is open.
    pub async fn begin(&mut self) -> Result<()> {
        if !self.open {
            self.client.batch_execute("BEGIN").await.ctx("starting a target transaction")?;
            self.open = true;
            self.rows = 0;
        }
        Ok(())
    }

    /// Sends what is pending and commits.
    pub async fn commit(&mut self) -> Result<()> {
        self.flush().await?;
        if self.open {
            self.client.batch_execute("COMMIT").await.ctx("committing applied changes")?;
            self.open = false;
        }
        Ok(())
    }

    /// A Relation message: resolves it to its target table, and stops on a
    /// column change the target does not have.
    pub fn relation(&mut self, r: Relation) -> Result<()> {
        let key = (r.schema.clone(), r.name.clone());
        let src = QualifiedName::new(&r.schema, &r.name);
        let Some(map) = self.tables.get(&key) else {
            return Err(Error::Replication {
                context: "reading the change stream".into(),
                message: format!("changes of {src}, a table that was not copied"),
            });
        };
        let expected: Vec<(&str, u32)> =
            map.columns.iter().map(|c| (c.source.as_str(), c.type_oid)).collect();
        let got: Vec<(&str, u32)> =
            r.columns.iter().map(|c| (c.name.as_str(), c.type_oid)).collect();
        if expected != got {
            return Err(Error::SourceDdl {
                table: src.to_string(),
                target: map.target.to_string(),
                change: describe_change(&expected, &got),
            });
        }
        if let Some(t) = &map.transform {
            return self.mapped_relation(r, src, map.target.clone(), t.clone());
        }
        let tcols = &self.target_columns[&map.target];
        let mut columns = vec![];
        for c in &map.columns {
            let Some(t) = tcols.iter().find(|t| t.name == c.target) else {
                return Err(Error::SourceDdl {
                    table: src.to_string(),
                    target: map.target.to_string(),
                    change: format!("the target lacks column {:?}", c.target),
                });
            };
            columns.push(t.clone());
        }
        let full = r.identity == b'f';
        let key: Vec<usize> = if full {
            (0..columns.len()).filter(|&i| columns[i].comparable).collect()
        } else {
            r.columns.iter().enumerate().filter(|(_, c)| c.key).map(|(i, _)| i).collect()
        };
        let identity_always = columns.iter().any(|c| c.identity_always);
        let updates_batch = !full
            && self.unique_indexes.get(&map.target).is_none_or(|ixs| {
                ixs.iter().all(|ix| {
                    ix.as_ref().is_some_and(|cols| {
                        cols.iter().all(|c| key.iter().any(|&k| columns[k].name == *c))
                    })
                })
            });
        // A new description of the relation: its statements are made anew.
        self.statements.retain(|(id, _, _), _| *id != r.id);
        self.rels.insert(
            r.id,
            Rel {
                source: src,
                partitioned: self.partitioned.contains(&map.target),
                target: map.target.clone(),
                columns,
                key,
                full,
                identity_always,
                updates_batch,
                transform: None,
            },
        );
        Ok(())
    }

    /// Queues one row change (sending when the pipeline is full); a
    /// truncate is sent at once, after what is queued.
    pub async fn change(&mut self, m: Message) -> Result<()> {
        if let Message::Insert { rel, .. }
        | Message::Update { rel, .. }
        | Message::Delete { rel, .. } = &m
            && self.rel(*rel)?.transform.is_some()
        {
            return self.mapped_change(m).await;
        }
        match m {
            Message::Insert { rel, new } => {
                let r = self.rel(rel)?;
                let batchable = !r.columns.iter().any(|c| c.is_array);
                let params = new.into_iter().map(raw).collect();
                self.push(Queued { rel, shape: Shape::Insert, params, batchable }).await
            }
            Message::Update { rel, old, new } => {
                let r = self.rel(rel)?;
                let key_changed = old.is_some();
                let set: Vec<usize> = (0..new.len())
                    .filter(|&i| !matches!(new[i], Value::Unchanged))
                    // The key's columns keep their values unless an old key came.
                    .filter(|&i| key_changed || r.full || !r.key.contains(&i))
                    // GENERATED ALWAYS identity columns cannot be set by UPDATE; one keeps
                    // its value unless an old row says it changed.
                    .filter(|&i| {
                        !r.columns[i].identity_always
                            || old.as_ref().is_some_and(|o| o.get(i) != new.get(i))
                    })
                    .collect();
                let matched_from = old.as_ref().unwrap_or(&new);
                let matched: Vec<usize> = r
                    .key
                    .iter()
                    .copied()
                    .filter(|&i| !matches!(matched_from.get(i), Some(Value::Unchanged) | None))
                    .collect();
                if set.is_empty() {
                    return Ok(());
                }
                let batchable = r.updates_batch
                    && !key_changed
                    && !set.iter().chain(&matched).any(|&i| r.columns[i].is_array);
                let mut params: Vec<Raw> = set.iter().map(|&i| raw(new[i].clone())).collect();
                params.extend(matched.iter().map(|&i| raw(matched_from[i].clone())));
                self.push(Queued { rel, shape: Shape::Update(set, matched), params, batchable })
                    .await
            }
            Message::Delete { rel, old } => {
                let r = self.rel(rel)?;
                let matched: Vec<usize> = r
                    .key
                    .iter()
                    .copied()
                    .filter(|&i| !matches!(old.get(i), Some(Value::Unchanged) | None))
                    .collect();
                let batchable = !r.full && !matched.iter().any(|&i| r.columns[i].is_array);
                let params = matched.iter().map(|&i| raw(old[i].clone())).collect();
                self.push(Queued { rel, shape: Shape::Delete(matched), params, batchable }).await
            }
            Message::Truncate { rels, cascade, restart_identity } => {
                self.flush().await?;
                let mut names = vec![];
                for id in rels {
                    // A table of the stream that this follow never saw described is
                    // not one of ours (a cascade reached it).
                    if let Some(r) = self.rels.get(&id) {
                        names.push(format!("{}{}", r.only(), r.target));
                    }
                }
                if names.is_empty() {
                    return Ok(());
                }
                let mut sql = format!("TRUNCATE {}", names.join(", "));
                if restart_identity {
                    sql.push_str(" RESTART IDENTITY");
                }
                if cascade {
                    sql.push_str(" CASCADE");
                }
                self.client.batch_execute(&sql).await.ctx("applying a TRUNCATE")?;
                self.rows += 1;
                Ok(())
            }
            Message::Relation(r) => {
                // Changes queued under the old description are sent under it.
                if self.queue.iter().any(|q| q.rel == r.id) {
                    self.flush().await?;
                }
                self.relation(r)
            }
            Message::Other => Ok(()),
        }
    }

    /// A Relation message of a mapped table: its columns are bound as the
    /// source's (names and types), for the mapping's expressions to read.
    fn mapped_relation(
        &mut self,
        r: Relation,
        src: QualifiedName,
        target: QualifiedName,
        t: Transform,
    ) -> Result<()> {
        let columns: Vec<TargetColumn> = r
            .columns
            .iter()
            .zip(&t.source_types)
            .map(|(c, ty)| TargetColumn {
                name: c.name.clone(),
                type_sql: ty.clone(),
                identity_always: false,
                comparable: true,
                type_oid: c.type_oid,
                is_array: false,
            })
            .collect();
        let full = r.identity == b'f';
        let key: Vec<usize> = if full {
            (0..columns.len()).collect()
        } else {
            r.columns.iter().enumerate().filter(|(_, c)| c.key).map(|(i, _)| i).collect()
        };
        self.statements.retain(|(id, _, _), _| *id != r.id);
        self.rels.insert(
            r.id,
            Rel {
                source: src,
                partitioned: false,
                target,
                columns,
                key,
                full,
                identity_always: false,
                // Mapped changes are sent as deletes and inserts in order,
                // never coalesced.
                updates_batch: false,
                transform: Some(t),
            },
        );
        Ok(())
    }

    /// A change of a mapped table: an insert of the mapped row (if it
    /// passes the filter), a delete by the mapped key, and an update as
    /// both (the row may move in or out of the filter, its key may change).
    async fn mapped_change(&mut self, m: Message) -> Result<()> {
        let one = |rel: u32, shape: Shape, params: Vec<Raw>| Queued {
            rel,
            shape,
            params,
            batchable: false,
        };
        match m {
            Message::Insert { rel, new } => {
                let params = new.into_iter().map(raw).collect();
                self.push(one(rel, Shape::Insert, params)).await
            }
            Message::Delete { rel, old } => {
                let key = self.rel(rel)?.key.clone();
                let params = key.iter().map(|&i| raw(old[i].clone())).collect();
                self.push(one(rel, Shape::Delete(key), params)).await
            }
            Message::Update { rel, old, mut new } => {
                let r = self.rel(rel)?;
                let key = r.key.clone();
                let from = old.as_ref().unwrap_or(&new);
                let params: Vec<Raw> = key.iter().map(|&i| raw(from[i].clone())).collect();
                for i in 0..new.len() {
                    if matches!(new[i], Value::Unchanged) {
                        // A full old row carries the value; a key alone does not.
                        match old.as_ref().map(|o| &o[i]) {
                            Some(v) if r.full => new[i] = v.clone(),
                            _ => {
                                return Err(Error::Unsupported(format!(
                                    "an update of {} left its TOASTed column {:?} out of the \
                                     stream, and the mapping into {} needs the whole row: ALTER \
                                     TABLE {} REPLICA IDENTITY FULL on the source",
                                    r.source, r.columns[i].name, r.target, r.source
                                )));
                            }
                        }
                    }
                }
                self.push(one(rel, Shape::Delete(key), params)).await?;
                let params = new.into_iter().map(raw).collect();
                self.push(one(rel, Shape::Insert, params)).await
            }
            _ => Ok(()),
        }
    }

    fn rel(&self, id: u32) -> Result<&Rel> {
        self.rels.get(&id).ok_or_else(|| Error::Replication {
            context: "reading the change stream".into(),
            message: format!("a change of relation {id}, which the stream never described"),
        })
    }

    async fn push(&mut self, q: Queued) -> Result<()> {
        self.queue.push(q);
        self.rows += 1;
        if self.queue.len() >= QUEUE {
            self.flush().await?;
        }
        Ok(())
    }

    /// Sends every queued change and awaits the answers. Neighbouring
    /// changes of one table and shape go as one statement over arrays of
    /// their values (an update of a key seen again later in the run is
    /// left out: an update sets whole new values, so the last one wins);
    /// with `reorder`, the queue is first grouped by table, keeping each
    /// table's changes in their order. The statements are pipelined.
    pub async fn flush(&mut self) -> Result<()> {
        if self.queue.is_empty() {
            return Ok(());
        }
        let mut queue = std::mem::take(&mut self.queue);
        if self.reorder {
            queue.sort_by_key(|q| q.rel);
        }
        let mut execs: Vec<(Statement, Vec<Raw>)> = vec![];
        let mut i = 0;
        while i < queue.len() {
            let mut j = i + 1;
            if queue[i].batchable {
                while j < queue.len()
                    && queue[j].batchable
                    && queue[j].rel == queue[i].rel
                    && queue[j].shape == queue[i].shape
                {
                    j += 1;
                }
            }
            let (rel, shape) = (queue[i].rel, queue[i].shape.clone());
            if j - i >= 2 {
                let st = self.statement(rel, shape.clone(), true).await?;
                let params = self.arrays(rel, &shape, &mut queue[i..j])?;
                execs.push((st, params));
            } else {
                let st = self.statement(rel, shape, false).await?;
                execs.push((st, std::mem::take(&mut queue[i].params)));
            }
            i = j;
            if execs.len() >= PIPELINE {
                self.send(&execs).await?;
                execs.clear();
            }
        }
        self.send(&execs).await
    }

    /// One array parameter per value of the shape, over the rows of `run`.
    fn arrays(&self, rel: u32, shape: &Shape, run: &mut [Queued]) -> Result<Vec<Raw>> {
        let r = self.rel(rel)?;
        let cols: Vec<usize> = match shape {
            Shape::Insert => (0..r.columns.len()).collect(),
            Shape::Update(set, matched) => set.iter().chain(matched).copied().collect(),
            Shape::Delete(matched) => matched.clone(),
        };
        let mut rows: Vec<&Vec<Raw>> = run.iter().map(|q| &q.params).collect();
        if let Shape::Update(set, _) = shape {
            // The last update of each key.
            let mut last: HashMap<Vec<Option<&[u8]>>, usize> = HashMap::new();
            for (n, p) in rows.iter().enumerate() {
                last.insert(p[set.len()..].iter().map(|v| v.0.as_deref()).collect(), n);
            }
            rows = rows
                .iter()
                .enumerate()
                .filter(|(n, p)| {
                    last[&p[set.len()..].iter().map(|v| v.0.as_deref()).collect::<Vec<_>>()] == *n
                })
                .map(|(_, p)| *p)
                .collect();
        }
        Ok(cols
            .iter()
            .enumerate()
            .map(|(k, &c)| {
                let oid = if self.binary { r.columns[c].type_oid } else { TEXT_OID };
                array(rows.iter().map(|p| &p[k]), oid, rows.len())
            })
            .collect())
    }

    /// Sends statements pipelined and awaits their answers in order.
    async fn send(&self, execs: &[(Statement, Vec<Raw>)]) -> Result<()> {
        type Exec<'a> = Pin<
            Box<dyn Future<Output = std::result::Result<u64, tokio_postgres::Error>> + Send + 'a>,
        >;
        let client = &self.client;
        let mut futs: Vec<Exec<'_>> = execs
            .iter()
            .map(|(st, params)| -> Exec<'_> { Box::pin(client.execute_raw(st, params.iter())) })
            .collect();
        // The first poll of each sends its statement: polled once each in
        // order, they go out in order without waiting for answers.
        let mut early = Vec::with_capacity(futs.len());
        for f in &mut futs {
            early.push(std::future::poll_fn(|cx| Poll::Ready(f.as_mut().poll(cx))).await);
        }
        for (f, e) in futs.into_iter().zip(early) {
            let r = match e {
                Poll::Ready(r) => r,
                Poll::Pending => f.await,
            };
            r.ctx("applying a change")?;
        }
        Ok(())
    }

    async fn statement(&mut self, rel: u32, shape: Shape, batch: bool) -> Result<Statement> {
        if let Some(s) = self.statements.get(&(rel, shape.clone(), batch)) {
            return Ok(s.clone());
        }
        let r = self.rel(rel)?;
        let sql = if let Some(t) = &r.transform {
            transform_sql(r, t, &shape, self.binary)
        } else if batch {
            batch_sql(r, &shape, self.binary)
        } else {
            statement_sql(r, &shape, self.binary)
        };
        let st = self
            .client
            .prepare(&sql)
            .await
            .ctx(format!("preparing the apply of {} into {}", r.source, r.target))?;
        self.statements.insert((rel, shape, batch), st.clone());
        Ok(st)
    }
}

const TEXT_OID: u32 = 25;

/// A one-dimensional array in PostgreSQL's binary form, of elements that
/// are already in the element type's binary (or text) form.
fn array<'a>(values: impl Iterator<Item = &'a Raw> + Clone, elem: u32, n: usize) -> Raw {
    let has_null = values.clone().any(|v| v.0.is_none());
    let mut b = BytesMut::new();
    b.put_i32(1);
    b.put_i32(has_null as i32);
    b.put_u32(elem);
    b.put_i32(n as i32);
    b.put_i32(1);
    for v in values {
        match &v.0 {
            Some(x) => {
                b.put_i32(x.len() as i32);
                b.put_slice(x);
            }
            None => b.put_i32(-1),
        }
    }
    Raw(Some(b.freeze()))
}

/// `$n` as an array of the column's type.
fn array_param(n: usize, c: &TargetColumn, binary: bool) -> String {
    if binary {
        format!("${n}::{}[]", c.type_sql)
    } else {
        format!("${n}::text[]::{}[]", c.type_sql)
    }
}

/// The statement applying a batch of rows of one shape: `unnest` of one
/// array per value.
fn batch_sql(r: &Rel, shape: &Shape, binary: bool) -> String {
    let t = &r.target;
    let cols: Vec<usize> = match shape {
        Shape::Insert => (0..r.columns.len()).collect(),
        Shape::Update(set, matched) => set.iter().chain(matched).copied().collect(),
        Shape::Delete(matched) => matched.clone(),
    };
    let arrays: Vec<String> =
        cols.iter().enumerate().map(|(k, &c)| array_param(k + 1, &r.columns[c], binary)).collect();
    let names: Vec<String> = (1..=cols.len()).map(|k| format!("p{k}")).collect();
    let from = format!("unnest({}) AS v({})", arrays.join(", "), names.join(", "));
    let key_match = |matched: &[usize], first: usize| -> String {
        let conds: Vec<String> = matched
            .iter()
            .enumerate()
            .map(|(k, &i)| format!("d.{} = v.p{}", ident(&r.columns[i].name), first + k))
            .collect();
        if conds.is_empty() { "true".into() } else { conds.join(" AND ") }
    };
    match shape {
        Shape::Insert => {
            let names: Vec<String> = r.columns.iter().map(|c| ident(&c.name)).collect();
            let overriding = if r.identity_always { " OVERRIDING SYSTEM VALUE" } else { "" };
            format!("INSERT INTO {t} ({}){overriding} SELECT * FROM {from}", names.join(", "))
        }
        Shape::Update(set, matched) => {
            let sets: Vec<String> = set
                .iter()
                .enumerate()
                .map(|(k, &i)| format!("{} = v.p{}", ident(&r.columns[i].name), k + 1))
                .collect();
            format!(
                "UPDATE {}{t} AS d SET {} FROM {from} WHERE {}",
                r.only(),
                sets.join(", "),
                key_match(matched, set.len() + 1)
            )
        }
        Shape::Delete(matched) => {
            format!("DELETE FROM {}{t} AS d USING {from} WHERE {}", r.only(), key_match(matched, 1))
        }
    }
}

/// A mapped table's statements: the change's source values bound as a row
/// `s` of the source's column names and types, read by the mapping's
/// expressions (evaluated on the target).
fn transform_sql(r: &Rel, t: &Transform, shape: &Shape, binary: bool) -> String {
    let row = |cols: &[usize]| -> String {
        let items: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                format!("{} AS {}", param(k + 1, &r.columns[i], binary), ident(&r.columns[i].name))
            })
            .collect();
        format!("(SELECT {}) AS s", items.join(", "))
    };
    let target = &r.target;
    match shape {
        Shape::Insert => {
            let all: Vec<usize> = (0..r.columns.len()).collect();
            let names: Vec<String> = t.columns.iter().map(|(c, _)| ident(c)).collect();
            let exprs: Vec<String> = t.columns.iter().map(|(_, e)| format!("({e})")).collect();
            let filter = t.filter.as_ref().map(|f| format!(" WHERE ({f})")).unwrap_or_default();
            format!(
                "INSERT INTO {target} ({}) SELECT {} FROM {}{filter}",
                names.join(", "),
                exprs.join(", "),
                row(&all)
            )
        }
        Shape::Delete(matched) | Shape::Update(_, matched) => {
            let keys: Vec<String> = t.key.iter().map(|k| ident(k)).collect();
            let exprs: Vec<String> = t
                .key
                .iter()
                .map(|k| {
                    t.columns
                        .iter()
                        .find(|(c, _)| c == k)
                        .map(|(_, e)| format!("({e})"))
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            format!(
                "DELETE FROM {target} WHERE ({}) IN (SELECT {} FROM {})",
                keys.join(", "),
                exprs.join(", "),
                row(matched)
            )
        }
    }
}

fn raw(v: Value) -> Raw {
    match v {
        Value::Data(b) => Raw(Some(b)),
        Value::Null | Value::Unchanged => Raw(None),
    }
}

/// `$n` as the column's type.
fn param(n: usize, c: &TargetColumn, binary: bool) -> String {
    if binary { format!("${n}::{}", c.type_sql) } else { format!("${n}::text::{}", c.type_sql) }
}

fn statement_sql(r: &Rel, shape: &Shape, binary: bool) -> String {
    let t = &r.target;
    let matching = |cols: &[usize], first: usize| -> String {
        let conds: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let c = &r.columns[i];
                let op = if r.full { "IS NOT DISTINCT FROM" } else { "=" };
                format!("{} {op} {}", ident(&c.name), param(first + k, c, binary))
            })
            .collect();
        let conds = if conds.is_empty() { "true".to_string() } else { conds.join(" AND ") };
        if r.full {
            if r.partitioned {
                format!("(tableoid, ctid) = (SELECT tableoid, ctid FROM {t} WHERE {conds} LIMIT 1)")
            } else {
                format!("ctid = (SELECT ctid FROM ONLY {t} WHERE {conds} LIMIT 1)")
            }
        } else {
            conds
        }
    };
    match shape {
        Shape::Insert => {
            let names: Vec<String> = r.columns.iter().map(|c| ident(&c.name)).collect();
            let values: Vec<String> =
                r.columns.iter().enumerate().map(|(i, c)| param(i + 1, c, binary)).collect();
            let overriding = if r.identity_always { " OVERRIDING SYSTEM VALUE" } else { "" };
            format!(
                "INSERT INTO {t} ({}){overriding} VALUES ({})",
                names.join(", "),
                values.join(", ")
            )
        }
        Shape::Update(set, matched) => {
            let sets: Vec<String> = set
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let c = &r.columns[i];
                    format!("{} = {}", ident(&c.name), param(k + 1, c, binary))
                })
                .collect();
            format!(
                "UPDATE {}{t} SET {} WHERE {}",
                r.only(),
                sets.join(", "),
                matching(matched, set.len() + 1)
            )
        }
        Shape::Delete(matched) => {
            format!("DELETE FROM {}{t} WHERE {}", r.only(), matching(matched, 1))
        }
    }
}

/// What changed between the columns the follow expects and those a
/// Relation message describes, in words.
fn describe_change(expected: &[(&str, u32)], got: &[(&str, u32)]) -> String {
    let mut parts = vec![];
    for (n, _) in got {
        if !expected.iter().any(|(e, _)| e == n) {
            parts.push(format!("column {n:?} added"));
        }
    }
    for (n, _) in expected {
        if !got.iter().any(|(g, _)| g == n) {
            parts.push(format!("column {n:?} dropped or renamed"));
        }
    }
    for (n, t) in got {
        if let Some((_, e)) = expected.iter().find(|(e, _)| e == n)
            && e != t
        {
            parts.push(format!("column {n:?} changed type (type oid {e} → {t})"));
        }
    }
    if parts.is_empty() {
        parts.push("its columns were reordered".into());
    }
    parts.join(", ")
}
