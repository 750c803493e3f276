//! Connection service files (`pg_service.conf`), read with libpq's rules.
//!
//! A service is named by `service=` in the connection string or by
//! `PGSERVICE`. Its definition is looked for in the user's file first —
//! `servicefile=`, else `PGSERVICEFILE`, else `~/.pg_service.conf` — and
//! only if that file does not define it, in the system's file,
//! `$PGSYSCONFDIR/pg_service.conf` (default: the directory libpq is usually
//! built with on this machine). A service defined in neither is an error.
//!
//! The file is INI-like: `[name]` starts a service, `keyword=value` lines
//! follow, `#` starts a comment line. The service's values fill only the
//! keywords the connection string left out; they beat the `PG*` variables,
//! which fill what is still missing afterwards (libpq's order). Passwords
//! are then looked up in `.pgpass` with the resolved host, port, database and
//! user, so a service that names a `.pgpass` entry gets its password.
//!
//! This module only turns a service into keywords; [`super::params`]
//! decides what each keyword means.

use std::path::{Path, PathBuf};

use super::params::{Given, keyword};
use crate::error::{Error, Result};

/// Where libpq looks for the system's `pg_service.conf` when
/// `PGSYSCONFDIR` is not set: its compiled-in `sysconfdir`, which differs
/// by packaging (Debian/Ubuntu, PGDG RPMs, a source build). The first
/// directory that exists is taken.
const SYSCONFDIRS: &[&str] =
    &["/etc/postgresql-common", "/etc/sysconfig/pgsql", "/usr/local/pgsql/etc"];

/// Fills `given` from the service it names (`service=`, else
/// `PGSERVICE`). Keywords already in `given` are kept, even when empty.
pub(super) fn apply(
    given: &mut Given,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<()> {
    let name = match given.get("service").filter(|s| !s.is_empty()) {
        Some(s) => s.clone(),
        None => match env("PGSERVICE").filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => return Ok(()),
        },
    };
    let files = candidate_files(given, env, home);
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            // libpq skips a file it cannot stat; one it cannot read is an error.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(invalid(format!(
                    "cannot read service file \"{}\": {e}",
                    file.display()
                )));
            }
        };
        if let Some(values) = find(&text, &name, file)? {
            for (key, value) in values {
                given.entry(key).or_insert(value);
            }
            return Ok(());
        }
    }
    let looked: Vec<String> = files.iter().map(|f| format!("\"{}\"", f.display())).collect();
    Err(invalid(format!(
        "definition of service \"{name}\" not found (looked in {}; set PGSERVICEFILE or \
         PGSYSCONFDIR to name another file)",
        looked.join(" and ")
    )))
}

/// The user's file, then the system's, in the order they are read.
fn candidate_files(
    given: &Given,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Vec<PathBuf> {
    let mut files = vec![];
    let user = given
        .get("servicefile")
        .filter(|f| !f.is_empty())
        .cloned()
        .or_else(|| env("PGSERVICEFILE").filter(|f| !f.is_empty()))
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".pg_service.conf")));
    files.extend(user);
    let sysconfdir =
        env("PGSYSCONFDIR").filter(|d| !d.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
            let dir = SYSCONFDIRS.iter().find(|d| Path::new(d).is_dir()).unwrap_or(&SYSCONFDIRS[0]);
            PathBuf::from(dir)
        });
    files.push(sysconfdir.join("pg_service.conf"));
    files
}

/// The keywords of service `name` in a file's text, or `None` when the
/// file does not define it. `file` names the file in errors.
pub(super) fn find(
    text: &str,
    name: &str,
    file: &Path,
) -> Result<Option<Vec<(&'static str, String)>>> {
    let mut in_group = false;
    let mut found = None::<Vec<(&'static str, String)>>;
    for (number, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            if found.is_some() {
                // The next group ends the one asked for.
                break;
            }
            in_group = rest.strip_suffix(']') == Some(name);
            if in_group {
                found = Some(vec![]);
            }
            continue;
        }
        if !in_group {
            continue;
        }
        let at = || format!("service file \"{}\", line {}", file.display(), number + 1);
        let Some((key, value)) = line.split_once('=') else {
            return Err(invalid(format!("syntax error in {} (expected keyword=value)", at())));
        };
        let key = key.trim();
        if key == "service" {
            return Err(invalid(format!(
                "nested service specifications not supported in {}",
                at()
            )));
        }
        let canonical =
            keyword(key, true).map_err(|e| invalid(format!("{}: {}", at(), bare(&e))))?;
        let values = found.as_mut().expect("inside the group");
        // The first line wins, as libpq sets only what is still unset.
        if !values.iter().any(|(k, _)| *k == canonical) {
            values.push((canonical, value.trim().to_owned()));
        }
    }
    Ok(found)
}

fn invalid(msg: String) -> Error {
    Error::InvalidConnInfo(msg)
}

/// An [`Error::InvalidConnInfo`]'s message without its prefix.
fn bare(e: &Error) -> String {
    match e {
        Error::InvalidConnInfo(m) => m.clone(),
        other => other.to_string(),
    }
}
