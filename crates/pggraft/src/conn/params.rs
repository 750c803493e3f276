//! From text to a [`ConnSpec`]: the three input forms (URL, keyword/value,
//! bare database name), then the service file, environment variables and
//! libpq's defaults.
//!
//! Error messages quote what the user typed, except anything that may be
//! part of a password.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::{ConnSpec, DEFAULT_PORT, Secret, SessionAttrs, SslMode, Target, pgpass, service};
use crate::error::{Error, Result};

/// Keyword → value as given, before environment and defaults. Values may be
/// empty: an explicitly empty value still blocks the environment variable,
/// as in libpq, and then means "the default".
pub(super) type Given = BTreeMap<&'static str, String>;

/// Keywords we implement, with the environment variable filling each.
const KEYWORDS: &[(&str, Option<&str>)] = &[
    ("host", Some("PGHOST")),
    ("hostaddr", Some("PGHOSTADDR")),
    ("port", Some("PGPORT")),
    ("dbname", Some("PGDATABASE")),
    ("user", Some("PGUSER")),
    ("password", Some("PGPASSWORD")),
    ("passfile", Some("PGPASSFILE")),
    ("sslmode", Some("PGSSLMODE")),
    ("sslrootcert", Some("PGSSLROOTCERT")),
    ("application_name", Some("PGAPPNAME")),
    ("fallback_application_name", None),
    ("connect_timeout", Some("PGCONNECT_TIMEOUT")),
    ("options", Some("PGOPTIONS")),
    ("target_session_attrs", Some("PGTARGETSESSIONATTRS")),
    ("channel_binding", Some("PGCHANNELBINDING")),
    // PGSERVICE and PGSERVICEFILE are read by `service`, before the others.
    ("service", None),
    ("servicefile", None),
];

/// libpq keywords accepted and ignored: they tune things whose defaults are
/// fine here (keepalives, compression) or that cannot change the outcome.
const IGNORED: &[&str] = &[
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslcompression",
    "sslsni",
    "client_encoding",
    "gssencmode",
];

/// libpq keywords we do not implement. Ignoring them could connect with the
/// wrong identity or weaker security, so they are errors.
const UNSUPPORTED: &[&str] = &[
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslcrl",
    "sslcrldir",
    "sslnegotiation",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "requirepeer",
    "require_auth",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "load_balance_hosts",
    "replication",
    "min_protocol_version",
    "max_protocol_version",
];

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidConnInfo(msg.into())
}

/// Maps a keyword to its canonical spelling, rejecting unknown ones.
/// `quote` says whether the keyword may be echoed (it may be a stray piece of
/// a password).
pub(super) fn keyword(key: &str, quote: bool) -> Result<&'static str> {
    if let Some((k, _)) = KEYWORDS.iter().find(|(k, _)| *k == key) {
        return Ok(k);
    }
    if let Some(k) = IGNORED.iter().find(|k| **k == key) {
        return Ok(k);
    }
    if UNSUPPORTED.contains(&key) {
        return Err(invalid(format!("connection option \"{key}\" is not supported by pggraft")));
    }
    Err(invalid(if quote {
        format!("invalid connection option \"{key}\"")
    } else {
        "invalid connection option after the password (quote values containing spaces: \
         password='...')"
            .to_owned()
    }))
}

/// Splits any of the accepted forms into keywords and values.
pub(super) fn parse_conninfo(s: &str) -> Result<Given> {
    let trimmed = s.trim();
    if let Some(rest) =
        trimmed.strip_prefix("postgresql://").or_else(|| trimmed.strip_prefix("postgres://"))
    {
        return parse_url(rest);
    }
    if let Some((scheme, _)) = trimmed.split_once("://")
        && !scheme.contains('=')
        && !scheme.contains(char::is_whitespace)
    {
        return Err(invalid(format!(
            "unsupported URL scheme \"{scheme}\" (expected postgres:// or postgresql://)"
        )));
    }
    if trimmed.contains('=') {
        return parse_keywords(trimmed);
    }
    let mut given = Given::new();
    if !trimmed.is_empty() {
        given.insert("dbname", trimmed.to_owned());
    }
    Ok(given)
}

/// `host=x port=5432 dbname='my db'`: values may be single-quoted; a
/// backslash escapes the next character, quoted or not.
fn parse_keywords(s: &str) -> Result<Given> {
    let mut given = Given::new();
    let mut chars = s.chars().peekable();
    let mut after_password = false;
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next_if_eq(&'=').is_none() {
            return Err(invalid(if after_password {
                "missing \"=\" after a word following the password (quote values containing \
                 spaces: password='...')"
                    .to_owned()
            } else {
                format!("missing \"=\" after \"{key}\" in connection info string")
            }));
        }
        let canonical = keyword(&key, !after_password)?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => {
                        return Err(invalid(format!(
                            "unterminated quoted string for \"{canonical}\" in connection info \
                             string"
                        )));
                    }
                    Some('\'') => break,
                    Some('\\') => {
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        after_password = canonical == "password";
        given.insert(canonical, value);
    }
    Ok(given)
}

/// `[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`, the
/// part after the scheme.
fn parse_url(rest: &str) -> Result<Given> {
    let mut given = Given::new();
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (before_query, None),
    };
    // The last '@' ends the user info, so an unencoded '@' in a password
    // still parses (libpq requires it percent-encoded, like '/').
    let (userinfo, hostspec) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };

    if let Some(userinfo) = userinfo {
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (userinfo, None),
        };
        let user = decode(user, Some("user name"))?;
        if !user.is_empty() {
            given.insert("user", user);
        }
        if let Some(password) = password {
            let password = decode(password, None)?;
            if !password.is_empty() {
                given.insert("password", password);
            }
        }
    }

    if !hostspec.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for item in hostspec.split(',') {
            let (host, port) = split_host_port(item)?;
            hosts.push(decode(host, Some("host"))?);
            ports.push(decode(port.unwrap_or(""), Some("port"))?);
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            given.insert("host", hosts.join(","));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            given.insert("port", ports.join(","));
        }
    }

    if let Some(path) = path {
        let dbname = decode(path, Some("database name"))?;
        if !dbname.is_empty() {
            given.insert("dbname", dbname);
        }
    }

    for pair in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(invalid(format!(
                "missing \"=\" in URL query parameter \"{}\"",
                decode(pair, Some("query parameter")).unwrap_or_else(|_| pair.to_owned())
            )));
        };
        let key = decode(key, Some("query parameter"))?;
        // JDBC's spelling, which libpq accepts too.
        if key == "ssl" && value == "true" {
            given.insert("sslmode", "require".to_owned());
            continue;
        }
        let canonical = keyword(&key, true)?;
        let value = if canonical == "password" {
            decode(value, None)?
        } else {
            decode(value, Some(canonical))?
        };
        given.insert(canonical, value);
    }
    Ok(given)
}

/// `host:port`, `[v6addr]:port`, or either without the port.
fn split_host_port(item: &str) -> Result<(&str, Option<&str>)> {
    if let Some(inner) = item.strip_prefix('[') {
        let Some((host, after)) = inner.split_once(']') else {
            return Err(invalid(format!("missing \"]\" in IPv6 host address \"{item}\" in URL")));
        };
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(invalid(format!(
                    "unexpected \"{after}\" after IPv6 host address \"{host}\" in URL"
                ))),
            },
        };
    }
    Ok(match item.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (item, None),
    })
}

/// Strict percent-decoding, as libpq: a `%` must start two hex digits and
/// `%00` is refused. `what` names the part for errors; `None` marks a
/// password, which is never quoted.
fn decode(s: &str, what: Option<&str>) -> Result<String> {
    let fail = |why: &str| {
        invalid(match what {
            Some(what) => format!("{why} in {what} \"{s}\" in URL"),
            None => format!("{why} in the password in URL"),
        })
    };
    let bytes = s.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'%' {
            let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            match hex {
                None => return Err(fail("invalid percent-encoded token")),
                Some(b"00") => return Err(fail("forbidden value %00")),
                Some(_) => {}
            }
        }
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| fail("percent-encoded bytes are not UTF-8"))
}

/// The socket directory libpq was most likely built with: Debian and Red
/// Hat packages use /var/run/postgresql, upstream builds /tmp.
pub(super) fn default_socket_dir() -> &'static str {
    if Path::new("/var/run/postgresql").is_dir() { "/var/run/postgresql" } else { "/tmp" }
}

/// Fills what `given` lacks from the environment and defaults.
pub(super) fn resolve(
    mut given: Given,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
) -> Result<ConnSpec> {
    // libpq's order: what was given, then the service, then PG* variables.
    service::apply(&mut given, env, home)?;
    for (key, var) in KEYWORDS {
        if let Some(var) = var
            && !given.contains_key(key)
            && let Some(value) = env(var).filter(|v| !v.is_empty())
        {
            given.insert(key, value);
        }
    }
    let get = |key: &str| given.get(key).map(String::as_str).filter(|v| !v.is_empty());

    if get("gssencmode") == Some("require") {
        return Err(invalid("gssencmode=require is not supported by pggraft"));
    }

    let targets = targets(get("host"), get("hostaddr"), get("port"))?;

    let user = match get("user") {
        Some(user) => user.to_owned(),
        None => os_user(env).ok_or_else(|| {
            invalid(
                "no user name given and the OS user name is unknown; pass user=... or set PGUSER",
            )
        })?,
    };
    let dbname = get("dbname").map_or_else(|| user.clone(), str::to_owned);

    let sslrootcert = get("sslrootcert").map(str::to_owned);
    let system_roots = sslrootcert.as_deref() == Some("system");
    let (sslmode, sslmode_given) = match get("sslmode") {
        Some(mode) => match SslMode::parse(mode) {
            Some(mode) => (mode, true),
            None => {
                return Err(invalid(format!(
                    "invalid sslmode value \"{mode}\" (expected disable, allow, prefer, require, \
                     verify-ca or verify-full)"
                )));
            }
        },
        // libpq 16: trusting the system's roots implies checking host names.
        None if system_roots => (SslMode::VerifyFull, false),
        None => (SslMode::Prefer, false),
    };
    if system_roots && sslmode != SslMode::VerifyFull {
        return Err(invalid(format!(
            "weak sslmode \"{sslmode}\" may not be used with sslrootcert=system (use \"verify-full\")"
        )));
    }

    let connect_timeout = match get("connect_timeout") {
        None => None,
        Some(t) => match t.trim().parse::<i64>() {
            Ok(secs) => Some(u64::try_from(secs).unwrap_or(0)),
            Err(_) => {
                return Err(invalid(format!(
                    "invalid integer value \"{t}\" for connection option \"connect_timeout\""
                )));
            }
        },
    };

    let target_session_attrs = match get("target_session_attrs") {
        None | Some("any") => None,
        Some("read-write") => Some(SessionAttrs::ReadWrite),
        Some("read-only") => Some(SessionAttrs::ReadOnly),
        Some(other @ ("primary" | "standby" | "prefer-standby")) => {
            return Err(invalid(format!(
                "target_session_attrs=\"{other}\" is not supported by pggraft (use any, \
                 read-write or read-only)"
            )));
        }
        Some(other) => {
            return Err(invalid(format!("invalid target_session_attrs value: \"{other}\"")));
        }
    };

    let channel_binding = match get("channel_binding") {
        None => None,
        Some(cb) => {
            use tokio_postgres::config::ChannelBinding as Cb;
            Some(match cb {
                "disable" => Cb::Disable,
                "prefer" => Cb::Prefer,
                "require" => Cb::Require,
                other => {
                    return Err(invalid(format!("invalid channel_binding value: \"{other}\"")));
                }
            })
        }
    };

    let password = get("password").map(|p| Secret(p.to_owned()));
    let passfile = match password {
        Some(_) => None,
        None => get("passfile").map(PathBuf::from).or_else(|| home.map(|h| h.join(".pgpass"))),
    };

    let mut spec = ConnSpec {
        targets,
        user,
        dbname,
        password,
        passfile,
        pgpass: Vec::new(),
        sslmode,
        sslmode_given,
        sslrootcert,
        default_rootcert: home.map(|h| h.join(".postgresql").join("root.crt")),
        application_name: get("application_name").map(str::to_owned),
        fallback_application_name: get("fallback_application_name").map(str::to_owned),
        connect_timeout,
        options: get("options").map(str::to_owned),
        target_session_attrs,
        channel_binding,
    };
    spec.pgpass = pgpass::lookup_all(&spec);
    Ok(spec)
}

/// Pairs up the comma-separated `host`, `hostaddr` and `port` lists. An
/// empty entry means the default, as in libpq.
fn targets(host: Option<&str>, hostaddr: Option<&str>, port: Option<&str>) -> Result<Vec<Target>> {
    let hosts: Vec<&str> = host.map(|h| h.split(',').map(str::trim).collect()).unwrap_or_default();
    let addrs: Vec<&str> =
        hostaddr.map(|h| h.split(',').map(str::trim).collect()).unwrap_or_default();
    if !hosts.is_empty() && !addrs.is_empty() && hosts.len() != addrs.len() {
        return Err(invalid(format!(
            "could not match {} host names to {} hostaddr values",
            hosts.len(),
            addrs.len()
        )));
    }
    let count = hosts.len().max(addrs.len()).max(1);

    let ports: Vec<u16> = match port {
        None => vec![DEFAULT_PORT],
        Some(list) => list
            .split(',')
            .map(|p| match p.trim() {
                "" => Ok(DEFAULT_PORT),
                p => p
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| invalid(format!("invalid port number: \"{p}\""))),
            })
            .collect::<Result<_>>()?,
    };
    if ports.len() != 1 && ports.len() != count {
        return Err(invalid(format!(
            "could not match {} port numbers to {count} hosts",
            ports.len()
        )));
    }

    (0..count)
        .map(|i| {
            let hostaddr = match addrs.get(i).copied().filter(|a| !a.is_empty()) {
                None => None,
                Some(a) => Some(a.parse::<IpAddr>().map_err(|_| {
                    invalid(format!("could not parse network address \"{a}\" in hostaddr"))
                })?),
            };
            let host = match hosts.get(i).copied().filter(|h| !h.is_empty()) {
                Some(h) => h.to_owned(),
                None => match hostaddr {
                    Some(addr) => addr.to_string(),
                    None => default_socket_dir().to_owned(),
                },
            };
            let port = if ports.len() == 1 { ports[0] } else { ports[i] };
            Ok(Target { host, hostaddr, port })
        })
        .collect()
}

/// The OS user name: `USER`, `LOGNAME`, else the passwd entry of the uid
/// owning this process (libpq asks getpwuid; reading /proc avoids libc).
fn os_user(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let Some(user) = env("USER").or_else(|| env("LOGNAME")).filter(|u| !u.is_empty()) {
        return Some(user);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
        let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
        passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let _password = fields.next()?;
            (fields.next()? == uid).then(|| name.to_owned())
        })
    }
    #[cfg(not(unix))]
    None
}
