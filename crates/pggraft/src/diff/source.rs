//! Where the two sides of a diff come from: a live database, a JSON
//! snapshot written by `inspect --format json`, or `.sql` DDL (a file or a
//! folder of files, applied in name order to a throwaway cluster and read
//! back). And the self-check: the plan applied to a throwaway copy of FROM
//! must leave nothing to diff against TO.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use pg_sandbox::Cluster;

use super::{DiffOptions, Migration, diff};
use crate::catalog::Catalog;
use crate::conn::ConnSpec;
use crate::error::{Error, Result};
use crate::rename::{NameMap, register_names, rename_catalog};
use crate::select::SchemaFilter;
use crate::sql::ident;

/// One input of a diff (FROM or TO), as given on the command line. Not to be
/// confused with [`crate::conn::Side`] (the source or target connection).
#[derive(Debug, Clone)]
pub enum Input {
    Database(Box<ConnSpec>),
    Snapshot(PathBuf),
    Sql(PathBuf),
}

impl Input {
    /// A path to a `.json` file is a snapshot; a `.sql` file or a folder is
    /// DDL; anything else is a connection string.
    pub fn parse(text: &str) -> Result<Input> {
        let p = Path::new(text);
        if p.is_dir() || (p.is_file() && text.ends_with(".sql")) {
            return Ok(Input::Sql(p.to_path_buf()));
        }
        if p.is_file() && text.ends_with(".json") {
            return Ok(Input::Snapshot(p.to_path_buf()));
        }
        if text.ends_with(".json") || text.ends_with(".sql") {
            return Err(Error::input(format!("{text}: no such file")));
        }
        Ok(Input::Database(Box::new(ConnSpec::parse(text)?)))
    }

    /// Reads the input's catalog model (schemas chosen by `filter`).
    pub async fn load(&self, filter: &SchemaFilter) -> Result<Catalog> {
        match self {
            Input::Database(spec) => crate::catalog::read_catalog(spec, filter).await,
            Input::Snapshot(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                let mut cat = Catalog::from_json(&text)?;
                keep_schemas(&mut cat, filter);
                Ok(cat)
            }
            Input::Sql(path) => {
                let files = sql_files(path)?;
                let cluster = sandbox().await?;
                let db = cluster.create_database("pggraft_diff")?;
                for f in &files {
                    db.cluster().psql_file(db.name(), f).map_err(|e| {
                        Error::input(format!(
                            "{} does not load into an empty database: {e}",
                            f.display()
                        ))
                    })?;
                }
                let spec = ConnSpec::parse(&db.url())?;
                let mut cat = crate::catalog::read_catalog(&spec, filter).await?;
                cat.database = path.display().to_string();
                Ok(cat)
            }
        }
    }
}

/// The `.sql` files of a path, in name order.
fn sql_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::input(format!("{}: no .sql files", path.display())));
    }
    Ok(files)
}

/// Starts the throwaway cluster that [`self_check`] (and `.sql` inputs) use
/// on a thread of its own and returns at once, so that initdb runs while the
/// caller reads and diffs FROM and TO. Whoever needs the cluster first waits
/// for it to be ready; one that is never used is removed at exit like any
/// other (pg-sandbox's watchdog, even mid-initdb).
pub fn start_sandbox() {
    std::thread::spawn(|| {
        if let Err(e) = Cluster::shared() {
            // Reported again, with its context, to whoever needs it.
            tracing::debug!("starting the throwaway cluster early: {e}");
        }
    });
}

/// A throwaway cluster for this process (one per run; reaped at exit).
async fn sandbox() -> Result<&'static Cluster> {
    tokio::task::spawn_blocking(Cluster::shared)
        .await
        .map_err(|e| Error::Unsupported(format!("starting a throwaway cluster: {e}")))?
        .map_err(Error::from)
}

/// Keeps only the schemas a filter admits (for snapshots, which hold what
/// they were written with).
fn keep_schemas(cat: &mut Catalog, filter: &SchemaFilter) {
    let keep = |s: &str| {
        (filter.include.is_empty() || filter.include.iter().any(|p| p.matches(s)))
            && !filter.exclude.iter().any(|p| p.matches(s))
    };
    cat.schemas.retain(|s| keep(&s.name));
    cat.collations.retain(|x| keep(&x.name.schema));
    cat.types.retain(|x| keep(&x.name.schema));
    cat.functions.retain(|x| keep(&x.name.schema));
    cat.sequences.retain(|x| keep(&x.name.schema));
    cat.tables.retain(|x| keep(&x.name.schema));
    cat.views.retain(|x| keep(&x.name.schema));
    cat.indexes.retain(|x| keep(&x.name.schema));
    cat.triggers.retain(|x| keep(&x.table.schema));
    cat.rules.retain(|x| keep(&x.table.schema));
    cat.statistics.retain(|x| keep(&x.name.schema));
    cat.text_search.retain(|x| keep(&x.name.schema));
    cat.operators.retain(|x| keep(&x.name.schema));
    let used: std::collections::BTreeSet<String> =
        cat.tables.iter().filter_map(|t| t.foreign.as_ref()).map(|f| f.server.clone()).collect();
    cat.servers.retain(|s| used.contains(&s.name));
}

/// Renames TO's schemas into FROM's names (`-n dev=prod` compares FROM's
/// `dev` with TO's `prod`; the migration applies to FROM).
pub fn align(to: &Catalog, pairs: &BTreeMap<String, String>) -> Result<Catalog> {
    let back: BTreeMap<String, String> =
        pairs.iter().map(|(f, t)| (t.clone(), f.clone())).collect();
    let mut map = NameMap::new(back, false);
    register_names(to, &mut map)?;
    let (renamed, _) = rename_catalog(to, &map, &map);
    Ok(renamed)
}

/// Applies the migration to a throwaway copy of FROM's structure and diffs
/// the result against TO. Returns what is left (empty when the plan is
/// right). The copy holds only the plan's scope ([`super::scope`]): what
/// it touches or differs, what depends on that and what that needs; TO is
/// cut the same way before the comparison.
pub async fn self_check(
    from: &Catalog,
    to: &Catalog,
    m: &Migration,
    opts: &DiffOptions,
) -> Result<Migration> {
    let started = std::time::Instant::now();
    let cluster = sandbox().await?;
    tracing::debug!("self-check: throwaway cluster ready in {:.0?}", started.elapsed());
    let roles: BTreeSet<String> = from.roles().into_iter().chain(to.roles()).collect();
    let mut create_roles = String::from("DO $pggraft$ BEGIN\n");
    for r in &roles {
        create_roles.push_str(&format!(
            "IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {lit}) THEN CREATE ROLE {id}; END IF;\n",
            lit = crate::sql::literal(r),
            id = ident(r)
        ));
    }
    create_roles.push_str("END $pggraft$;");
    if !roles.is_empty() {
        cluster.psql("postgres", &create_roles)?;
    }
    let db = cluster.create_database("pggraft_selfcheck")?;
    // Only what the plan touches, what depends on it and what that needs.
    let t = std::time::Instant::now();
    let keep = super::scope::scope(from, to, m);
    let whole = from;
    let from = &super::scope::cut(from, &keep);
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(
            "self-check: the copy holds {} of FROM's {} objects (scope in {:.0?})",
            from.object_keys().len(),
            whole.object_keys().len(),
            t.elapsed()
        );
    }
    let t = std::time::Instant::now();
    // Committed every thousand statements: one commit per statement is
    // slow for tens of thousands, one transaction for all of them runs out
    // of lock slots (max_locks_per_transaction).
    db.psql(&batched_script(from))
        .map_err(|e| Error::Unsupported(format!("self-check: recreating FROM failed: {e}")))?;
    tracing::debug!("self-check: copy built in {:.0?}", t.elapsed());
    let t = std::time::Instant::now();
    db.psql(&m.script()).map_err(|e| {
        Error::Unsupported(format!(
            "self-check: the migration fails on a copy of FROM: {e} (this is a pggraft bug; please report it with the script)"
        ))
    })?;
    tracing::debug!("self-check: plan applied in {:.0?}", t.elapsed());
    let t = std::time::Instant::now();
    let spec = ConnSpec::parse(&db.url())?;
    let names: Vec<String> =
        from.schemas.iter().chain(to.schemas.iter()).map(|s| s.name.clone()).collect();
    let filter = SchemaFilter::only(names.into_iter().collect::<BTreeSet<_>>());
    let after = crate::catalog::read_catalog(&spec, &filter).await;
    let after = match after {
        Ok(c) => c,
        // A schema the migration drops no longer exists: read all instead.
        Err(_) => crate::catalog::read_catalog(&spec, &SchemaFilter::all()).await?,
    };
    tracing::debug!("self-check: copy read back in {:.0?}", t.elapsed());
    let mut to_only = super::scope::cut(to, &keep);
    let wanted: BTreeSet<&String> = to.schemas.iter().map(|s| &s.name).collect();
    keep_schemas(
        &mut to_only,
        &SchemaFilter {
            include: wanted.iter().map(|s| crate::select::Pattern::new(s.as_str())).collect(),
            exclude: vec![],
        },
    );
    let mut after = after;
    if !wanted.is_empty() {
        keep_schemas(
            &mut after,
            &SchemaFilter {
                include: wanted.iter().map(|s| crate::select::Pattern::new(s.as_str())).collect(),
                exclude: vec![],
            },
        );
    }
    // The copy has the new names already.
    let opts = DiffOptions { renames: vec![], renames_reversed: false, ..opts.clone() };
    let left = diff(&after, &to_only, &opts);
    tracing::debug!("self-check: done in {:.0?}", started.elapsed());
    left
}

/// FROM's structure as a script committing every thousand statements.
fn batched_script(cat: &Catalog) -> String {
    let ordered = crate::plan::order(crate::ddl::render::render(cat, &Default::default()));
    let mut out = String::from(crate::plan::SCRIPT_PREAMBLE);
    for (i, s) in ordered.all().enumerate() {
        if i % 1000 == 0 {
            out.push_str(if i == 0 { "BEGIN;\n" } else { "COMMIT;\nBEGIN;\n" });
        }
        out.push_str(&s.sql);
        out.push_str(";\n");
    }
    out.push_str("COMMIT;\n");
    out
}
