//! The `fdw` strategy's objects on the target: postgres_fdw (created only
//! when the target lacks it), a foreign server reaching the source with the
//! host, port, database and `sslmode` pggraft itself uses, a user mapping
//! with the source's user and password (given, from the environment or
//! `.pgpass`; sent to the server, never printed), and per source schema a
//! staging schema holding foreign tables of just the mapped tables
//! (`IMPORT FOREIGN SCHEMA … LIMIT TO`). Everything carries a comment that
//! marks it as pggraft's, and [`cleanup`] drops exactly what is marked.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use tokio_postgres::Client;

use crate::conn::ConnSpec;
use crate::error::{Error, PgResultExt, Result};
use crate::sql::{QualifiedName, ident, literal};

/// The foreign server's name.
pub const SERVER: &str = "pggraft_map_source";
/// The comment on every object pggraft creates.
const MARK: &str = "created by pggraft map";
/// Its form on the server when pggraft created the extension too.
const MARK_EXTENSION: &str = "created by pggraft map, with extension postgres_fdw";

/// The staging schema of source schema `schema`.
pub fn staging_schema(schema: &str) -> String {
    format!("pggraft_map_{schema}")
}

/// What [`setup`] runs, as it may be printed (the password replaced).
pub fn setup_script(source: &ConnSpec, tables: &[QualifiedName]) -> String {
    let stmts = statements(source, tables, false);
    stmts.iter().map(|(shown, _)| format!("{shown};\n")).collect()
}

/// (printable, executable) statements that set the objects up.
fn statements(
    source: &ConnSpec,
    tables: &[QualifiedName],
    create_extension: bool,
) -> Vec<(String, String)> {
    let mut out = vec![];
    let both = |s: String| (s.clone(), s);
    if create_extension {
        out.push(both("CREATE EXTENSION postgres_fdw".into()));
    }
    let mut options = vec![
        format!("host {}", literal(source.host())),
        format!("port {}", literal(&source.port().to_string())),
        format!("dbname {}", literal(source.dbname())),
        format!("sslmode {}", literal(source.sslmode().as_str())),
    ];
    options.push("fetch_size '10000'".into());
    out.push(both(format!(
        "CREATE SERVER {} FOREIGN DATA WRAPPER postgres_fdw OPTIONS ({})",
        ident(SERVER),
        options.join(", ")
    )));
    let mark = if create_extension { MARK_EXTENSION } else { MARK };
    out.push(both(format!("COMMENT ON SERVER {} IS {}", ident(SERVER), literal(mark))));
    let user = format!("user {}", literal(source.user()));
    let config = source.pg_config();
    let (shown, run) = match config.get_password() {
        Some(p) => {
            let p = String::from_utf8_lossy(p);
            (format!("{user}, password '********'"), format!("{user}, password {}", literal(&p)))
        }
        None => (user.clone(), user),
    };
    let mapping = |o: &str| {
        format!("CREATE USER MAPPING FOR CURRENT_USER SERVER {} OPTIONS ({o})", ident(SERVER))
    };
    out.push((mapping(&shown), mapping(&run)));
    let mut by_schema: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in tables {
        by_schema.entry(&t.schema).or_default().insert(&t.name);
    }
    for (schema, names) in by_schema {
        let staging = staging_schema(schema);
        out.push(both(format!("CREATE SCHEMA {}", ident(&staging))));
        out.push(both(format!("COMMENT ON SCHEMA {} IS {}", ident(&staging), literal(MARK))));
        let list: Vec<String> = names.iter().map(|n| ident(n)).collect();
        out.push(both(format!(
            "IMPORT FOREIGN SCHEMA {} LIMIT TO ({}) FROM SERVER {} INTO {}",
            ident(schema),
            list.join(", "),
            ident(SERVER),
            ident(&staging)
        )));
    }
    out
}

/// Sets the objects up in `dst`'s open transaction, replacing what an
/// earlier run of pggraft left; returns each source table's foreign table.
pub(crate) async fn setup(
    dst: &Client,
    source: &ConnSpec,
    tables: &[QualifiedName],
) -> Result<BTreeMap<QualifiedName, QualifiedName>> {
    // What an earlier run left goes first (postgres_fdw too, when pggraft
    // created it and nothing else uses it: then it is created again here,
    // and stays pggraft's to drop).
    cleanup_in(dst).await?;
    let have = !dst
        .query("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'postgres_fdw'", &[])
        .await
        .ctx("looking for postgres_fdw on the target")?
        .is_empty();
    let stmts = statements(source, tables, !have);
    for (shown, run) in &stmts {
        // The server's message never holds the statement, so the password
        // stays out of errors; the printable form's head names what failed.
        let head = shown.split(" OPTIONS").next().unwrap_or(shown);
        dst.batch_execute(run).await.ctx(format!("setting up the fdw strategy: {head}"))?;
    }
    Ok(tables
        .iter()
        .map(|t| (t.clone(), QualifiedName::new(staging_schema(&t.schema), t.name.clone())))
        .collect())
}

/// What [`cleanup`] dropped.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Cleanup {
    /// The foreign server (with its user mappings and foreign tables).
    pub server: bool,
    pub schemas: Vec<String>,
    /// postgres_fdw, when pggraft had created it and nothing else uses it.
    pub extension: bool,
    /// `pggraft.map_batches`, the batch records of `--batch-rows` runs.
    pub batch_state: bool,
}

/// Drops what pggraft created for the fdw strategy (see the module docs),
/// and nothing else, in one transaction.
pub async fn cleanup(target: &ConnSpec) -> Result<Cleanup> {
    let c = target.connect().await?;
    c.batch_execute("BEGIN").await.ctx("starting the cleanup")?;
    let mut done = cleanup_in(&c).await?;
    done.batch_state = super::batches::cleanup(&c).await?;
    c.batch_execute("COMMIT").await.ctx("committing the cleanup")?;
    Ok(done)
}

async fn cleanup_in(c: &Client) -> Result<Cleanup> {
    let mut done = Cleanup::default();
    let server = c
        .query(
            "SELECT pg_catalog.obj_description(oid, 'pg_foreign_server') FROM \
             pg_catalog.pg_foreign_server WHERE srvname = $1",
            &[&SERVER],
        )
        .await
        .ctx("looking for pggraft's foreign server")?;
    if let Some(r) = server.first() {
        let comment: Option<String> = r.get(0);
        match comment.as_deref() {
            Some(MARK) => {}
            Some(MARK_EXTENSION) => done.extension = true,
            _ => {
                return Err(Error::input(format!(
                    "the target has a foreign server {SERVER:?} that pggraft did not create; \
                     rename or drop it to use the fdw strategy"
                )));
            }
        }
        c.batch_execute(&format!("DROP SERVER {} CASCADE", ident(SERVER)))
            .await
            .ctx("dropping pggraft's foreign server")?;
        done.server = true;
    }
    let schemas = c
        .query(
            "SELECT nspname::text FROM pg_catalog.pg_namespace \
             WHERE pg_catalog.obj_description(oid, 'pg_namespace') = $1 ORDER BY 1",
            &[&MARK],
        )
        .await
        .ctx("looking for pggraft's staging schemas")?;
    for r in schemas {
        let name: String = r.get(0);
        // Without CASCADE: a user's object in it stops the cleanup.
        c.batch_execute(&format!("DROP SCHEMA {}", ident(&name)))
            .await
            .ctx(format!("dropping staging schema {name}"))?;
        done.schemas.push(name);
    }
    if done.extension {
        let others = c
            .query(
                "SELECT 1 FROM pg_catalog.pg_foreign_server s \
                 JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw \
                 WHERE w.fdwname = 'postgres_fdw'",
                &[],
            )
            .await
            .ctx("looking for other postgres_fdw servers")?;
        if others.is_empty() {
            c.batch_execute("DROP EXTENSION postgres_fdw")
                .await
                .ctx("dropping postgres_fdw, which pggraft created")?;
        } else {
            done.extension = false;
        }
    }
    Ok(done)
}
