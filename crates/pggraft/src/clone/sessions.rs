//! How many sessions a clone opens, fitted to what the servers allow:
//! `--jobs 300` on a server with `max_connections = 100` would fail with
//! "too many clients" halfway through; it is lowered up front instead, with
//! a warning.

use tokio_postgres::Client;

use crate::error::{PgResultExt, Result};

/// Connections left free for others (and for the clean-up session).
const MARGIN: i64 = 3;

/// A server's room for new sessions: `max_connections` less the reserved
/// ones and those in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Room {
    pub max: i64,
    pub in_use: i64,
}

impl Room {
    pub(crate) async fn read(c: &Client) -> Result<Room> {
        let row = c
            .query_one(
                "SELECT current_setting('max_connections')::int8 \
                        - current_setting('superuser_reserved_connections')::int8, \
                        (SELECT count(*) FROM pg_stat_activity \
                          WHERE backend_type = 'client backend')",
                &[],
            )
            .await
            .ctx("reading the server's connection limit")?;
        Ok(Room { max: row.get(0), in_use: row.get(1) })
    }

    pub(crate) fn free(self) -> i64 {
        self.max - self.in_use - MARGIN
    }
}

/// The sessions a clone needs: on the source, the snapshot holder and one
/// per data worker (unless rows move inside the server); on the target, the
/// main session, one per data worker and one per statement worker. A data
/// worker moving rows inside the server takes a second session to hash the
/// copy beside the source once a table is in.
fn needs(jobs: usize, index_jobs: usize, insert_select: bool) -> (i64, i64) {
    let (j, i) = (jobs as i64, index_jobs as i64);
    let source = 1 + if insert_select { 0 } else { j };
    let data = if insert_select { 2 * j } else { j };
    (source, 1 + data + i)
}

/// `jobs` and `index_jobs` lowered until the sessions fit (`same_server`:
/// both sides count against one limit), and the warning saying so.
pub(super) fn fit(
    source: Room,
    target: Room,
    same_server: bool,
    insert_select: bool,
    jobs: usize,
    index_jobs: usize,
) -> (usize, usize, Option<String>) {
    let fits = |j: usize, i: usize| {
        let (s, t) = needs(j, i, insert_select);
        if same_server { s + t <= target.free() } else { s <= source.free() && t <= target.free() }
    };
    let (mut j, mut i) = (jobs, index_jobs);
    while !fits(j, i) && (j > 1 || i > 1) {
        if j >= i && j > 1 {
            j -= 1;
        } else {
            i -= 1;
        }
    }
    if (j, i) == (jobs, index_jobs) {
        return (j, i, None);
    }
    let limit = |side: &str, r: Room| {
        format!("the {side} allows {} connections and {} are in use", r.max, r.in_use)
    };
    let why = if same_server {
        limit("server", target)
    } else {
        format!("{}; {}", limit("source", source), limit("target", target))
    };
    let warning = format!(
        "--jobs {jobs} --index-jobs {index_jobs} lowered to --jobs {j} --index-jobs {i}: {why}"
    );
    (j, i, Some(warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_lowered_to_what_the_servers_allow() {
        let room = |max, in_use| Room { max, in_use };
        assert_eq!(fit(room(100, 5), room(100, 5), false, false, 4, 4), (4, 4, None));
        let (j, i, w) = fit(room(197, 10), room(197, 10), false, false, 300, 4);
        assert_eq!((j, i), (179, 4));
        assert!(w.unwrap().contains("--jobs 300"));
        // One server for both sides: both count.
        let (j, i, _) = fit(room(100, 0), room(100, 0), true, false, 300, 4);
        assert!(2 * j + i + 2 <= 97, "{j} {i}");
        // Within one database each data worker takes two sessions.
        let (j, i, _) = fit(room(100, 0), room(100, 0), true, true, 300, 4);
        assert!(1 + 1 + 2 * j + i <= 97 && 1 + 1 + 2 * (j + 1) + i > 97, "{j} {i}");
        // Nothing fits: one of each, and the server will say so.
        assert_eq!(fit(room(5, 5), room(5, 5), false, false, 4, 4).0, 1);
    }
}
