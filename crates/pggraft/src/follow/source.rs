//! What follow needs of the source, and the two objects it creates there
//! (the one documented exception to "the source is only read"): a
//! publication for exactly the copied tables and a logical replication
//! slot. [`check`] runs before anything is created and names every problem
//! at once.
//!
//! The replication connection is `pgwire-replication`'s. Of the two crates
//! that can open one, it was chosen over `pg_walstream` because it is the
//! transport only (7 kLOC against 41 kLOC, no libpq): it gives the explicit
//! start and acknowledged positions that exactly-once needs (`ack_lsn` is
//! never moved past what the target committed), a gated session on which
//! `CREATE_REPLICATION_SLOT … EXPORT_SNAPSHOT` runs and stays open while
//! the copy workers import the snapshot, and the server's bytes of each
//! value untouched (binary or text), which the apply forwards as they
//! came. Decoding the five row messages it leaves raw is short
//! (`decode.rs`).

use pgwire_replication::{Lsn, ReplicationClient, ReplicationConfig, TlsConfig};
use tokio_postgres::Client;

use super::state::TableMap;
use crate::conn::{ConnSpec, SslMode};
use crate::error::{Error, PgResultExt, Result};
use crate::sql::{QualifiedName, ident, literal};

/// Everything that would stop a follow from starting, as one message each
/// (empty: ready). `tables` are the copied tables (source names).
pub(crate) async fn check(
    src: &Client,
    slot: &str,
    publication: &str,
    tables: &[QualifiedName],
) -> Result<Vec<String>> {
    let mut problems = vec![];
    let row = src
        .query_one(
            "SELECT current_setting('wal_level'), \
             r.rolsuper OR r.rolreplication, r.rolsuper, \
             current_setting('server_version_num')::int, \
             (SELECT count(*) FROM pg_catalog.pg_replication_slots)::int, \
             current_setting('max_replication_slots')::int, \
             EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1), \
             EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $2), \
             has_database_privilege(current_database(), 'CREATE'), current_user::text \
             FROM pg_catalog.pg_roles r WHERE r.rolname = current_user",
            &[&slot, &publication],
        )
        .await
        .ctx("checking that the source can be followed")?;
    let wal_level: String = row.get(0);
    let may_replicate: bool = row.get(1);
    let superuser: bool = row.get(2);
    let version: i32 = row.get(3);
    let (slots, max_slots): (i32, i32) = (row.get(4), row.get(5));
    let user: String = row.get(9);
    if wal_level != "logical" {
        problems.push(format!(
            "wal_level is {wal_level:?}, and a change stream needs \"logical\": set \
             wal_level = logical in the source's postgresql.conf (ALTER SYSTEM SET wal_level = \
             logical) and restart it"
        ));
    }
    if version < 100000 {
        problems.push("the source runs PostgreSQL before 10, which has no publications".into());
    }
    if !may_replicate {
        problems.push(format!(
            "role {user:?} may not open a replication connection: ALTER ROLE {} REPLICATION (or \
             connect as a superuser)",
            ident(&user)
        ));
    }
    if slots >= max_slots {
        problems.push(format!(
            "all {max_slots} replication slots (max_replication_slots) are taken: drop an unused \
             one or raise max_replication_slots"
        ));
    }
    if row.get::<_, bool>(6) {
        problems.push(format!(
            "replication slot {slot:?} exists already: a follow may be running or left over; \
             `pggraft follow cleanup --slot {slot}` drops it, or pass another --slot"
        ));
    }
    if row.get::<_, bool>(7) {
        problems.push(format!(
            "publication {publication:?} exists already: `pggraft follow cleanup --slot {slot}` \
             drops it, or pass another --slot"
        ));
    }
    if !superuser && !row.get::<_, bool>(8) {
        problems.push(format!(
            "role {user:?} may not create a publication in this database: GRANT CREATE ON \
             DATABASE to it"
        ));
    }
    if tables.is_empty() {
        problems.push("no table is copied, so there is nothing to follow".into());
        return Ok(problems);
    }
    let schemas: Vec<&str> = tables.iter().map(|t| t.schema.as_str()).collect();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let rows = src
        .query(
            "SELECT n.nspname::text, c.relname::text, c.relreplident::text, \
               EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid \
                       AND i.indisprimary), \
               EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid \
                       AND i.indisreplident), \
               pg_catalog.pg_has_role(c.relowner, 'USAGE') \
             FROM unnest($1::text[], $2::text[]) AS t(s, r) \
             JOIN pg_catalog.pg_namespace n ON n.nspname = t.s \
             JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.r \
             ORDER BY 1, 2",
            &[&schemas, &names],
        )
        .await
        .ctx("reading the copied tables' replica identities")?;
    let mut no_identity = vec![];
    let mut not_owned = vec![];
    for r in &rows {
        let name = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let ident_kind: String = r.get(2);
        let usable = match ident_kind.as_str() {
            "f" => true,
            "d" => r.get::<_, bool>(3),
            "i" => r.get::<_, bool>(4),
            _ => false,
        };
        if !usable {
            no_identity.push(name.to_string());
        }
        if !superuser && !r.get::<_, bool>(5) {
            not_owned.push(name.to_string());
        }
    }
    if !no_identity.is_empty() {
        problems.push(format!(
            "table(s) {} have no usable replica identity, so their updates and deletes cannot \
             be followed (and would fail on the source once published): add a primary key, or \
             ALTER TABLE … REPLICA IDENTITY FULL (or USING INDEX a unique index on NOT NULL \
             columns), or leave them out with -T",
            no_identity.join(", ")
        ));
    }
    if !not_owned.is_empty() {
        problems.push(format!(
            "role {user:?} does not own table(s) {}, and a publication may only name tables its \
             creator owns: connect as their owner or a superuser",
            not_owned.join(", ")
        ));
    }
    Ok(problems)
}

/// The copied tables' source columns with their types, in the order the
/// stream sends them (`attnum`; generated columns are not sent).
pub(crate) async fn column_types(src: &Client, t: &QualifiedName) -> Result<Vec<(String, u32)>> {
    let rows = src
        .query(
            "SELECT a.attname::text, a.atttypid FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped \
               AND a.attgenerated = '' ORDER BY a.attnum",
            &[&t.to_string()],
        )
        .await
        .ctx(format!("reading the columns of {t}"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get::<_, u32>(1))).collect())
}

/// Whether values can travel in binary: both servers 14+, and every
/// column of a built-in type whose binary form does not hold OIDs (a
/// user-defined type's OID differs between servers, and array and record
/// values carry their element types' OIDs; `reg*` values are OIDs).
pub(crate) async fn binary_ok(src: &Client, target: &Client, tables: &[TableMap]) -> Result<bool> {
    if version(src).await? < 140000 || version(target).await? < 140000 {
        return Ok(false);
    }
    let oids: Vec<u32> = tables.iter().flat_map(|t| t.columns.iter().map(|c| c.type_oid)).collect();
    let bad: i64 = src
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_type t WHERE t.oid = ANY($1::oid[]) AND \
             (t.oid >= 16384 OR t.typelem >= 16384 OR t.typname::text LIKE 'reg%' \
              OR t.typname::text LIKE '_reg%' OR t.typtype NOT IN ('b') \
              OR t.typname::text IN ('record', '_record'))",
            &[&oids],
        )
        .await
        .ctx("reading the copied columns' types")?
        .get(0);
    Ok(bad == 0)
}

async fn version(c: &Client) -> Result<i32> {
    c.query_one("SELECT current_setting('server_version_num')::int", &[])
        .await
        .ctx("reading the server version")
        .map(|r| r.get::<_, i32>(0))
}

/// A partitioned table published via its root: every leaf partition is
/// copied, and the root has a replica identity of its own (the stream
/// describes the root, with the root's key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Root {
    pub root: QualifiedName,
    pub leaves: Vec<QualifiedName>,
}

/// The partition trees among the copied tables that can be published via
/// their root (PostgreSQL 13+): all of a root's leaves are copied and the
/// root has a usable replica identity. A tree that is copied only in part
/// keeps its partitions published themselves.
pub(crate) async fn partition_roots(src: &Client, tables: &[QualifiedName]) -> Result<Vec<Root>> {
    if version(src).await? < 130000 {
        return Ok(vec![]);
    }
    let schemas: Vec<&str> = tables.iter().map(|t| t.schema.as_str()).collect();
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    let rows = src
        .query(
            "WITH copied AS ( \
               SELECT c.oid FROM unnest($1::text[], $2::text[]) AS t(s, r) \
               JOIN pg_catalog.pg_namespace n ON n.nspname = t.s \
               JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.r \
               WHERE c.relispartition), \
             roots AS (SELECT DISTINCT pg_catalog.pg_partition_root(oid) AS root FROM copied) \
             SELECT rn.nspname::text, rc.relname::text, ln.nspname::text, lc.relname::text \
             FROM roots r \
             JOIN pg_catalog.pg_class rc ON rc.oid = r.root \
             JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace \
             CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.root) p \
             JOIN pg_catalog.pg_class lc ON lc.oid = p.relid \
             JOIN pg_catalog.pg_namespace ln ON ln.oid = lc.relnamespace \
             WHERE p.isleaf \
               AND (rc.relreplident = 'f' OR EXISTS (SELECT 1 FROM pg_catalog.pg_index i \
                    WHERE i.indrelid = rc.oid AND ((rc.relreplident = 'd' AND i.indisprimary) \
                      OR (rc.relreplident = 'i' AND i.indisreplident)))) \
             ORDER BY 1, 2, 3, 4",
            &[&schemas, &names],
        )
        .await
        .ctx("reading the copied tables' partition roots")?;
    let mut out: Vec<Root> = vec![];
    for r in &rows {
        let root = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let leaf = QualifiedName::new(r.get::<_, String>(2), r.get::<_, String>(3));
        match out.last_mut() {
            Some(last) if last.root == root => last.leaves.push(leaf),
            _ => out.push(Root { root, leaves: vec![leaf] }),
        }
    }
    out.retain(|r| r.leaves.iter().all(|l| tables.contains(l)));
    Ok(out)
}

/// `CREATE PUBLICATION` for exactly the copied tables: the partitions of
/// `roots` via their root (`publish_via_partition_root`: a change is
/// described as the root's, so it maps to the root's name in the target
/// and a row moving between partitions is the root's update), the other
/// tables themselves.
pub(crate) async fn create_publication(
    src: &Client,
    publication: &str,
    tables: &[QualifiedName],
    roots: &[Root],
) -> Result<()> {
    let mut list: Vec<String> = tables
        .iter()
        .filter(|t| !roots.iter().any(|r| r.root == **t || r.leaves.contains(t)))
        .map(|t| format!("ONLY {t}"))
        .collect();
    list.extend(roots.iter().map(|r| r.root.to_string()));
    let with = if roots.is_empty() { "" } else { " WITH (publish_via_partition_root = true)" };
    src.batch_execute(&format!(
        "CREATE PUBLICATION {} FOR TABLE {}{with}",
        ident(publication),
        list.join(", ")
    ))
    .await
    .ctx(format!("creating publication {publication:?} on the source"))
}

/// The slot's replication session, its exported snapshot and consistent
/// point. The session must stay open until every reader has imported the
/// snapshot (and must never start streaming: that ends the snapshot).
pub(crate) struct CreatedSlot {
    pub session: ReplicationClient,
    pub snapshot: String,
    pub consistent_point: String,
}

pub(crate) async fn create_slot(
    spec: &ConnSpec,
    slot: &str,
    publication: &str,
) -> Result<CreatedSlot> {
    let cfg = config(spec, slot, publication, Lsn::from_u64(0), None)?;
    let mut session = ReplicationClient::connect_gated(cfg).await.map_err(repl("connecting"))?;
    // The positional form works from PostgreSQL 10 on.
    let rows = session
        .simple_query(&format!(
            "CREATE_REPLICATION_SLOT {} LOGICAL pgoutput EXPORT_SNAPSHOT",
            ident(slot)
        ))
        .await
        .map_err(repl("creating the replication slot"))?;
    let text = |i: usize| -> Result<String> {
        rows.first()
            .and_then(|r| r.get(i).cloned().flatten())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .ok_or_else(|| Error::Replication {
                context: "creating the replication slot".into(),
                message: format!("the answer lacks column {i}"),
            })
    };
    Ok(CreatedSlot { consistent_point: text(1)?, snapshot: text(2)?, session })
}

/// The replication session's configuration for `spec`.
pub(crate) fn config(
    spec: &ConnSpec,
    slot: &str,
    publication: &str,
    start: Lsn,
    binary: Option<bool>,
) -> Result<ReplicationConfig> {
    let pg = spec.pg_config();
    let password =
        pg.get_password().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
    let tls = if spec.host().starts_with('/') {
        TlsConfig::disabled()
    } else {
        match spec.sslmode() {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => TlsConfig::disabled(),
            SslMode::Require => TlsConfig::require(),
            SslMode::VerifyCa => TlsConfig::verify_ca(None),
            SslMode::VerifyFull => TlsConfig::verify_full(None),
        }
    };
    let cfg = ReplicationConfig::new(
        spec.host(),
        spec.user(),
        password,
        spec.dbname(),
        slot,
        publication,
    )
    .with_port(spec.port())
    .with_tls(tls)
    .with_start_lsn(start)
    .with_ack_lsn(start)
    .with_binary(binary.unwrap_or(false))
    .with_status_interval(std::time::Duration::from_secs(1))
    .with_wakeup_interval(std::time::Duration::from_secs(1))
    .with_application_name(format!("pggraft-follow-{slot}"));
    Ok(cfg)
}

pub(crate) fn repl(context: &'static str) -> impl Fn(pgwire_replication::PgWireError) -> Error {
    move |e| Error::Replication { context: context.into(), message: e.to_string() }
}

/// Drops the slot and the publication, whichever exist; says which it
/// dropped. A slot still in use by a follower is refused, naming it.
pub(crate) async fn drop_objects(
    src: &Client,
    slot: &str,
    publication: &str,
) -> Result<Vec<String>> {
    let mut dropped = vec![];
    let active: Option<Option<i32>> = src
        .query_opt(
            "SELECT active_pid FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .ctx("looking for the replication slot")?
        .map(|r| r.get(0));
    match active {
        Some(Some(pid)) => {
            return Err(Error::input(format!(
                "replication slot {slot:?} is in use by backend {pid} (a follower is running): \
                 stop it first (`pggraft follow cutover`, or Ctrl-C)"
            )));
        }
        Some(None) => {
            src.execute("SELECT pg_catalog.pg_drop_replication_slot($1)", &[&slot])
                .await
                .ctx(format!("dropping replication slot {slot:?}"))?;
            dropped.push(format!("replication slot {slot}"));
        }
        None => {}
    }
    let has_pub: bool = src
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1)",
            &[&publication],
        )
        .await
        .ctx("looking for the publication")?
        .get(0);
    if has_pub {
        src.batch_execute(&format!("DROP PUBLICATION {}", ident(publication)))
            .await
            .ctx(format!("dropping publication {publication:?}"))?;
        dropped.push(format!("publication {publication}"));
    }
    Ok(dropped)
}

/// Waits (up to a few seconds) until no backend holds the slot: a stream
/// that was just shut down leaves it a moment later.
pub(crate) async fn wait_inactive(src: &Client, slot: &str) {
    for _ in 0..50 {
        let active = src
            .query_opt(
                "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND active",
                &[&slot],
            )
            .await;
        if !matches!(active, Ok(Some(_))) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A position past every transaction committed so far (a logical message
/// written now): the stream reaches it once everything before it is sent.
pub(crate) async fn current_position(src: &Client) -> Result<String> {
    let r = src
        .query_one(
            &format!(
                "SELECT pg_catalog.pg_logical_emit_message(false, {}, '')::text",
                literal("pggraft.cutover")
            ),
            &[],
        )
        .await
        .ctx("reading the source's current position")?;
    Ok(r.get(0))
}
