//! Finding PostgreSQL's programs. A directory counts only if it holds the program we need:
//! on Debian, `/usr/bin` has psql (a wrapper) but never initdb, and `pg_config` may come from
//! a client-only package.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

/// Finds the directory holding the PostgreSQL server programs (`initdb`, `pg_ctl`, `postgres`)
/// and, alongside them, the clients.
///
/// Looks in `$PGGRAFT_PG_BINDIR` (an error if set but without initdb), then
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin` (Debian, Ubuntu), then the
/// newest `/usr/pgsql-*/bin` (RHEL), `/usr/local/pgsql/bin` (source builds) and `$PATH`.
pub fn find_bindir() -> Result<PathBuf, Error> {
    find("initdb", "server binaries", "postgresql", true)
}

/// Like [`find_bindir`], but only psql and pg_dump are needed: enough to talk to an existing
/// server (`PGGRAFT_TEST_URL`) from a machine with only the client package.
pub(crate) fn find_client_bindir() -> Result<PathBuf, Error> {
    find("psql", "client binaries", "postgresql-client", true)
}

/// The clients (psql, pg_dump) to use with the server programs in `server`: its own when it has
/// them, otherwise the machine's (builds that ship only the server, such as the
/// `@embedded-postgres` packages, have none). `$PGGRAFT_PG_BINDIR` counts only if it has psql.
pub(crate) fn client_bindir_for(server: &Path) -> Result<PathBuf, Error> {
    if server.join("psql").is_file() {
        return Ok(server.to_path_buf());
    }
    if let Some(dir) = env::var_os("PGGRAFT_PG_BINDIR").filter(|d| !d.is_empty())
        && Path::new(&dir).join("psql").is_file()
    {
        return Ok(PathBuf::from(dir));
    }
    find("psql", "client binaries", "postgresql-client", false)
}

fn find(
    program: &'static str,
    what: &'static str,
    package: &'static str,
    honour_env: bool,
) -> Result<PathBuf, Error> {
    let has = |dir: &Path| dir.join(program).is_file();

    if let Some(dir) = env::var_os("PGGRAFT_PG_BINDIR").filter(|d| !d.is_empty() && honour_env) {
        let dir = PathBuf::from(dir);
        // An explicit choice that does not work is an error, not a cue to pick another version.
        return if has(&dir) { Ok(dir) } else { Err(Error::BadBinDir { dir, program }) };
    }
    if let Some(dir) = pg_config_bindir().filter(|d| has(d)) {
        return Ok(dir);
    }
    let path = env::var_os("PATH").unwrap_or_default();
    let mut candidates = newest_first("/usr/lib/postgresql", "", "/bin")
        .into_iter()
        .chain(newest_first("/usr", "pgsql-", "/bin"))
        .chain([PathBuf::from("/usr/local/pgsql/bin")])
        .chain(env::split_paths(&path));
    if let Some(dir) = candidates.find(|d| has(d)) {
        return Ok(dir);
    }
    Err(Error::BinariesNotFound {
        what,
        program,
        package,
        looked: "$PGGRAFT_PG_BINDIR, `pg_config --bindir`, /usr/lib/postgresql/*/bin, \
                 /usr/pgsql-*/bin, /usr/local/pgsql/bin, $PATH"
            .to_owned(),
    })
}

fn pg_config_bindir() -> Option<PathBuf> {
    let out = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = String::from_utf8(out.stdout).ok()?;
    let dir = dir.trim();
    (out.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `{parent}/{prefix}VERSION{suffix}` for each version directory, newest first. Versions sort
/// numerically so that 10 beats 9.6.
fn newest_first(parent: &str, prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let version = parse_version(name.strip_prefix(prefix)?)?;
            Some((version, PathBuf::from(format!("{parent}/{name}{suffix}"))))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn parse_version(s: &str) -> Option<Vec<u32>> {
    s.split('.').map(|part| part.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_numerically() {
        let mut v = ["9.6", "10", "15", "9.5"].map(|s| parse_version(s).unwrap());
        v.sort();
        assert_eq!(v.last().unwrap(), &vec![15]);
        assert_eq!(v[0], vec![9, 5]);
        assert_eq!(parse_version("common"), None);
    }
}
