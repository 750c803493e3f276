//! Tasks shared with other processes running the same job (`clone --worker`).
//! PostgreSQL coordinates them, not the processes: every data chunk and
//! post-data statement of the job is a row of a queue table in the target
//! (written by the first process in its structure transaction), and a
//! process takes one with `SELECT … FOR UPDATE SKIP LOCKED` on a claim
//! session of its own, whose transaction holds the row locks it took until
//! the process has nothing left to do. Done is a row in a second table,
//! inserted in the same transaction as the task's work (the chunk's rows,
//! the statement), so a task is done exactly once: a process that dies
//! loses its locks with its sessions, and what it had not committed is
//! taken by another. Done rows are inserted, never updated: a
//! same-database copy's transaction reads an older snapshot, in which the
//! queue's rows do not exist yet, and an insert needs no visibility.
//!
//! The job's finish (the swap) runs once, by whichever process gets to it
//! first once every task is done, under a session advisory lock; the others
//! find it done ([`SharedTasks::finished_sql`]). The engine treats a task
//! done elsewhere as done (what waits for it starts) and one still held
//! elsewhere as not yet (asked again shortly).

use tokio_postgres::Client;

use super::job::{Chunk, Job};
use crate::error::{PgResultExt, Result};
use crate::sql::{QualifiedName, literal};

/// Where the job's tasks are shared, and who this process is.
#[derive(Debug, Clone)]
pub struct SharedTasks {
    /// The queue: `(run_id text, task text, chunk text)`.
    pub queue: QualifiedName,
    /// Tasks done: `(run_id text, task text, worker text, rows bigint)`,
    /// primary key `(run_id, task)`.
    pub done: QualifiedName,
    pub run_id: String,
    /// This process's name, in the done rows.
    pub worker: String,
    /// This process joined a run another started: when it fails, it leaves
    /// what is built to the others (nothing is undone).
    pub joined: bool,
    /// A query returning true once the finish was done (by any process).
    pub finished_sql: String,
}

/// How a task stands for this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Locked by this process and not done: do it.
    Mine,
    /// Done (here or elsewhere).
    Done,
    /// Held by another process that has not finished it.
    Busy,
}

/// Per worker, the tasks it did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct WorkerTasks {
    pub worker: String,
    /// Data tasks: tables, or ranges of a split table.
    pub data: u64,
    /// Post-data statements (indexes, constraints, …, materialized views).
    pub statements: u64,
    pub rows: u64,
}

/// What the processes sharing a job did, read once every task was done.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SharedReport {
    /// This process's name.
    pub worker: String,
    /// Tasks in the queue, and how many have a done row (equal once done).
    pub tasks: u64,
    pub done: u64,
    pub workers: Vec<WorkerTasks>,
    /// Whether this process ran the finish (the swap).
    pub finished_here: bool,
}

/// The task of chunk `c` of the table built as `build`.
pub fn chunk_task(build: &QualifiedName, c: usize) -> String {
    format!("data {build} {c}")
}

/// The task of a post-data statement (by its text, as printed).
pub fn statement_task(sql: &str) -> String {
    format!("statement {}", crate::migrate::checksum(sql.as_bytes()))
}

/// A chunk as the queue stores it.
pub fn chunk_text(c: Chunk) -> String {
    match c {
        Chunk::Whole => "whole".into(),
        Chunk::Pages(from, to) => {
            format!("pages {from} {}", to.map_or("-".to_string(), |t| t.to_string()))
        }
    }
}

/// [`chunk_text`] read back.
pub fn parse_chunk(text: &str) -> Option<Chunk> {
    let mut w = text.split(' ');
    match (w.next()?, w.next(), w.next()) {
        ("whole", None, None) => Some(Chunk::Whole),
        ("pages", Some(from), Some(to)) => Some(Chunk::Pages(
            from.parse().ok()?,
            if to == "-" { None } else { Some(to.parse().ok()?) },
        )),
        _ => None,
    }
}

/// Every task of `job`, with the chunk of data tasks: what the first
/// process puts in the queue.
pub fn tasks_of(job: &Job) -> Vec<(String, Option<String>)> {
    let mut out = vec![];
    for t in &job.tables {
        for (c, chunk) in t.chunks.iter().enumerate() {
            out.push((chunk_task(&t.build, c), Some(chunk_text(*chunk))));
        }
    }
    for s in &job.post_data {
        out.push((statement_task(&s.sql), None));
    }
    for m in &job.matviews {
        out.push((statement_task(&super::scheduler::refresh_sql(m)), None));
    }
    out
}

impl SharedTasks {
    /// Opens the claim transaction on `c` (a session of this process's own).
    pub(crate) async fn open(&self, c: &Client) -> Result<()> {
        c.batch_execute("BEGIN").await.ctx("opening the task claim transaction")
    }

    /// Where task `task` stands (see [`Claim`]), taking its row lock on the
    /// claim session `c` when it is free.
    pub(crate) async fn claim(&self, c: &Client, task: &str) -> Result<Claim> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {done} WHERE run_id = $1 AND task = $2), \
             EXISTS (SELECT 1 FROM (SELECT 1 FROM {queue} WHERE run_id = $1 AND task = $2 \
                     FOR UPDATE SKIP LOCKED) q), \
             EXISTS (SELECT 1 FROM {queue} WHERE run_id = $1 AND task = $2)",
            done = self.done,
            queue = self.queue
        );
        let what = || format!("claiming task {task}");
        let r = c.query_one(&sql, &[&self.run_id, &task]).await.ctx(what())?;
        let (done, locked, queued): (bool, bool, bool) = (r.get(0), r.get(1), r.get(2));
        if done {
            return Ok(Claim::Done);
        }
        if !queued {
            // Not in the queue: nobody else knows of it.
            return Ok(Claim::Mine);
        }
        // Done by a process that ended between this statement's snapshot
        // and the lock: ask again, in a snapshot taken after the lock.
        let done_sql =
            format!("SELECT EXISTS (SELECT 1 FROM {} WHERE run_id = $1 AND task = $2)", self.done);
        let again: bool = c.query_one(&done_sql, &[&self.run_id, &task]).await.ctx(what())?.get(0);
        Ok(match (again, locked) {
            (true, _) => Claim::Done,
            (false, true) => Claim::Mine,
            (false, false) => Claim::Busy,
        })
    }

    /// The statement that marks `task` done, for the task's own transaction.
    pub(crate) fn done_sql(&self, task: &str, rows: u64) -> String {
        format!(
            "INSERT INTO {} (run_id, task, worker, rows) VALUES ({}, {}, {}, {rows})",
            self.done,
            literal(&self.run_id),
            literal(task),
            literal(&self.worker)
        )
    }

    /// Ends the claim transaction: every task it held is done.
    pub(crate) async fn close(&self, c: &Client) -> Result<()> {
        c.batch_execute("COMMIT").await.ctx("closing the task claim transaction")
    }

    /// Waits for the finish's advisory lock on `c` (held by the session
    /// until [`SharedTasks::unlock_finish`] or its end), then says whether
    /// the finish is still to be done.
    pub(crate) async fn lock_finish(&self, c: &Client) -> Result<bool> {
        c.execute(
            "SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext($1), \
             pg_catalog.hashtext($2))",
            &[&self.queue.to_string(), &format!("{} finish", self.run_id)],
        )
        .await
        .ctx("waiting for the other workers' finish")?;
        let finished: bool = c
            .query_one(&self.finished_sql, &[])
            .await
            .ctx("checking whether another worker finished the job")?
            .get(0);
        Ok(!finished)
    }

    pub(crate) async fn unlock_finish(&self, c: &Client) {
        let _ = c
            .execute(
                "SELECT pg_catalog.pg_advisory_unlock(pg_catalog.hashtext($1), \
                 pg_catalog.hashtext($2))",
                &[&self.queue.to_string(), &format!("{} finish", self.run_id)],
            )
            .await;
    }

    /// Who did what, once every task is done.
    pub(crate) async fn report(&self, c: &Client) -> Result<SharedReport> {
        let what = "reading the tasks done by each worker";
        let totals = c
            .query_one(
                &format!(
                    "SELECT (SELECT count(*) FROM {} WHERE run_id = $1), \
                     (SELECT count(*) FROM {} WHERE run_id = $1)",
                    self.queue, self.done
                ),
                &[&self.run_id],
            )
            .await
            .ctx(what)?;
        let rows = c
            .query(
                &format!(
                    "SELECT worker, count(*) FILTER (WHERE task LIKE 'data %'), \
                     count(*) FILTER (WHERE task LIKE 'statement %'), \
                     COALESCE(sum(rows), 0)::int8 FROM {} WHERE run_id = $1 \
                     GROUP BY worker ORDER BY worker",
                    self.done
                ),
                &[&self.run_id],
            )
            .await
            .ctx(what)?;
        Ok(SharedReport {
            worker: self.worker.clone(),
            tasks: totals.get::<_, i64>(0) as u64,
            done: totals.get::<_, i64>(1) as u64,
            workers: rows
                .iter()
                .map(|r| WorkerTasks {
                    worker: r.get(0),
                    data: r.get::<_, i64>(1) as u64,
                    statements: r.get::<_, i64>(2) as u64,
                    rows: r.get::<_, i64>(3) as u64,
                })
                .collect(),
            finished_here: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_read_back_as_they_were_written() {
        for c in [Chunk::Whole, Chunk::Pages(0, Some(128)), Chunk::Pages(128, None)] {
            assert_eq!(parse_chunk(&chunk_text(c)), Some(c));
        }
        assert_eq!(parse_chunk("pages x 1"), None);
    }
}
