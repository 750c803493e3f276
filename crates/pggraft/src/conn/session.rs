//! Settings every pggraft session on a server uses, so that server-printed
//! SQL is fully qualified and values print the same way on every server.

use tokio_postgres::Client;

use crate::error::{PgResultExt, Result};

/// Session settings every introspecting (and hashing) session uses, so that
/// server-printed SQL is fully qualified and values print the same way on
/// every server.
pub const SESSION_SETTINGS: &str = "SELECT pg_catalog.set_config('search_path', '', false), \
     pg_catalog.set_config('DateStyle', 'ISO, YMD', false), \
     pg_catalog.set_config('IntervalStyle', 'postgres', false), \
     pg_catalog.set_config('TimeZone', 'UTC', false), \
     pg_catalog.set_config('extra_float_digits', '3', false), \
     pg_catalog.set_config('bytea_output', 'hex', false), \
     pg_catalog.set_config('quote_all_identifiers', 'off', false), \
     pg_catalog.set_config('standard_conforming_strings', 'on', false)";

/// Applies [`SESSION_SETTINGS`] to a session.
pub async fn prepare_session(client: &Client) -> Result<()> {
    client.batch_execute(SESSION_SETTINGS).await.ctx("preparing session settings")
}

/// Makes the server check every 2 s that the client is still there while a
/// statement runs (or waits for a lock), and end the session if not, so a
/// killed client's statement is not applied after the fact. PostgreSQL 14+;
/// older servers go without.
pub const CHECK_CLIENT: &str = "SELECT pg_catalog.set_config('client_connection_check_interval', \
     '2s', false) WHERE pg_catalog.current_setting('server_version_num')::int >= 140000";
