//! The password file (`~/.pgpass`, `PGPASSFILE`, `passfile=`), read with
//! libpq's rules: lines `host:port:database:username:password`, `*` matches
//! anything, `\:` and `\\` escape, the first matching line wins, and a file
//! that group or others can read is ignored with a warning.

use std::path::Path;

use super::{ConnSpec, Secret};

/// The password for each of `spec`'s targets, if the spec has no password
/// of its own and its password file has a matching line.
pub(super) fn lookup_all(spec: &ConnSpec) -> Vec<Option<Secret>> {
    let contents = match (&spec.password, &spec.passfile) {
        (None, Some(path)) => read_checked(path),
        _ => None,
    };
    spec.targets
        .iter()
        .map(|t| {
            let contents = contents.as_deref()?;
            find(contents, &t.host, t.is_socket(), t.port, &spec.dbname, &spec.user).map(Secret)
        })
        .collect()
}

/// The file's text, or `None` if it is missing, unreadable or too open.
fn read_checked(path: &Path) -> Option<String> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("cannot read password file \"{}\": {e}", path.display());
            return None;
        }
    };
    if !meta.is_file() {
        tracing::warn!("password file \"{}\" is not a plain file", path.display());
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                "password file \"{}\" has group or world access; permissions should be u=rw \
                 (0600) or less; ignoring it",
                path.display()
            );
            return None;
        }
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            tracing::warn!("cannot read password file \"{}\": {e}", path.display());
            None
        }
    }
}

/// The password of the first line matching the connection. A socket
/// directory matches `localhost` (libpq does so for its default directory)
/// as well as its own path.
pub(super) fn find(
    contents: &str,
    host: &str,
    is_socket: bool,
    port: u16,
    dbname: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    contents.lines().find_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        let fields = split_line(line);
        let [h, p, d, u, password, ..] = fields.as_slice() else {
            return None;
        };
        let host_ok = h.matches(host) || (is_socket && h.matches("localhost"));
        (host_ok && p.matches(&port) && d.matches(dbname) && u.matches(user))
            .then(|| password.text.clone())
    })
}

struct Field {
    text: String,
    /// An unescaped `*` alone.
    wildcard: bool,
}

impl Field {
    fn matches(&self, value: &str) -> bool {
        self.wildcard || self.text == value
    }
}

/// Splits at unescaped `:`, removing the escaping backslashes.
fn split_line(line: &str) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut text = String::new();
    let mut escaped_any = false;
    let mut chars = line.chars();
    let finish = |text: &mut String, escaped_any: &mut bool| {
        let field = Field { wildcard: !*escaped_any && text == "*", text: std::mem::take(text) };
        *escaped_any = false;
        field
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                escaped_any = true;
                if let Some(next) = chars.next() {
                    text.push(next);
                }
            }
            ':' => fields.push(finish(&mut text, &mut escaped_any)),
            c => text.push(c),
        }
    }
    fields.push(finish(&mut text, &mut escaped_any));
    fields
}
