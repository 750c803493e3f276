//! Connections: parsing libpq-style connection strings (URLs, keyword/value
//! strings, a bare database name), resolving service files
//! (`pg_service.conf`), `PG*` environment variables, `~/.pgpass` and
//! `sslmode` the way libpq does, and connecting with
//! tokio-postgres.
//!
//! tokio-postgres reads no environment, no password file and knows only
//! `disable`/`prefer`/`require`, so this module does that work itself and hands
//! the driver a fully resolved configuration. It owns certificate verification
//! (see [`tls`]) and turns driver errors into one readable line. It leaves
//! everything after the handshake to its callers.
//!
//! The password is kept in a [`Secret`] whose `Debug` prints `<redacted>`; the
//! only printable form of a spec is [`ConnSpec::redacted`], which omits it.

mod connect;
mod params;
mod pgpass;
mod service;
pub mod session;
mod snapshot;
mod tls;

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::error::{Error, Result};

pub use session::{CHECK_CLIENT, SESSION_SETTINGS, prepare_session};
pub use snapshot::{Access, Origin, Snapshot};
pub use tokio_postgres_rustls::MakeRustlsConnect;

/// Which end of a copy or comparison a session, an object or an error
/// belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Source,
    Target,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Target => "target",
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Port used when none is given, as in libpq.
pub const DEFAULT_PORT: u16 = 5432;

/// How long [`ConnSpec::connect`] waits for one server when no
/// `connect_timeout` is given. libpq waits forever; a schema tool that hangs
/// on a black-holed address is worse than one that gives up.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// `application_name` reported to the server unless the user gives one.
pub const DEFAULT_APPLICATION_NAME: &str = "pggraft";

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// libpq tries plain first, then TLS; we try TLS first, then plain (the
    /// driver cannot do it the other way round). Certificates are not checked.
    Allow,
    /// Try TLS, fall back to plain. Certificates are not checked.
    Prefer,
    /// TLS, certificate not checked, unless `sslrootcert` names a file: then
    /// like [`SslMode::VerifyCa`].
    Require,
    /// TLS, certificate chain checked against `sslrootcert` (default
    /// `~/.postgresql/root.crt`), host name not checked.
    VerifyCa,
    /// TLS, chain and host name checked.
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A password. `Debug` never shows it, and nothing in this module formats it.
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// One server to try. libpq accepts lists of hosts and tries them in order.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    /// A host name, an IP address, or a Unix-socket directory (starts with `/`).
    host: String,
    /// `hostaddr`: connect here instead of resolving `host`, which is then
    /// used only for TLS verification and `.pgpass` lookups.
    hostaddr: Option<IpAddr>,
    port: u16,
}

impl Target {
    fn is_socket(&self) -> bool {
        self.host.starts_with('/')
    }

    /// Host name compared case-insensitively, socket dirs without a trailing `/`.
    fn same_server(&self, other: &Target) -> bool {
        let norm = |t: &Target| {
            if t.is_socket() {
                let trimmed = t.host.trim_end_matches('/');
                if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() }
            } else {
                t.host.to_ascii_lowercase()
            }
        };
        norm(self) == norm(other) && self.hostaddr == other.hostaddr && self.port == other.port
    }
}

/// Where the password came from; used to explain authentication failures.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PasswordSource {
    Given,
    PassFile(PathBuf),
}

/// `target_session_attrs` values the driver supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SessionAttrs {
    ReadWrite,
    ReadOnly,
}

/// A fully resolved connection: connection string, environment, password
/// file and libpq defaults combined. Cheap to clone.
///
/// `Debug` and `Display` never show the password; `Display` is
/// [`ConnSpec::redacted`].
#[derive(Clone, Debug)]
pub struct ConnSpec {
    /// Never empty.
    targets: Vec<Target>,
    user: String,
    dbname: String,
    /// From the connection string or `PGPASSWORD`.
    password: Option<Secret>,
    /// The password file to consult when no password was given.
    passfile: Option<PathBuf>,
    /// One entry per target: the `.pgpass` match for that host and port.
    pgpass: Vec<Option<Secret>>,
    sslmode: SslMode,
    /// Whether `sslmode` came from the user (shown in `redacted()`), not the default.
    sslmode_given: bool,
    sslrootcert: Option<String>,
    /// `~/.postgresql/root.crt`, the default trust anchors for verify-ca/full.
    default_rootcert: Option<PathBuf>,
    application_name: Option<String>,
    fallback_application_name: Option<String>,
    /// Seconds as given; `None` means [`DEFAULT_CONNECT_TIMEOUT`].
    connect_timeout: Option<u64>,
    options: Option<String>,
    target_session_attrs: Option<SessionAttrs>,
    channel_binding: Option<tokio_postgres::config::ChannelBinding>,
}

impl ConnSpec {
    /// Parses a `postgres://` or `postgresql://` URL (percent-encoding,
    /// multiple hosts `h1,h2:5433`, query parameters such as
    /// `?sslmode=require&host=/var/run/postgresql`), a libpq keyword/value
    /// string (`host=x port=5432 dbname='my db'`, with single quotes and
    /// backslash escapes), a bare database name (like psql's first argument),
    /// or `""`. Whatever is missing comes from `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`, `PGAPPNAME`,
    /// `PGCONNECT_TIMEOUT`, `PGOPTIONS`, `PGPASSFILE`/`~/.pgpass`, then libpq's
    /// defaults: the local socket directory, port 5432, the OS user, a
    /// database named like the user.
    pub fn parse(s: &str) -> Result<ConnSpec> {
        let env = |name: &str| std::env::var(name).ok();
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
        ConnSpec::parse_with_env(s, &env, home.as_deref())
    }

    /// [`ConnSpec::parse`] with an injected environment: `env` looks up
    /// variables, `home` is the directory holding `.pgpass` and `.postgresql/`.
    pub fn parse_with_env(
        s: &str,
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<ConnSpec> {
        let given = params::parse_conninfo(s)?;
        params::resolve(given, env, home)
    }

    /// The first (usually only) host: a name, an address or a socket directory.
    pub fn host(&self) -> &str {
        &self.targets[0].host
    }

    /// The port of the first host.
    pub fn port(&self) -> u16 {
        self.targets[0].port
    }

    /// All hosts with their ports, in the order they are tried.
    pub fn hosts(&self) -> impl Iterator<Item = (&str, u16)> {
        self.targets.iter().map(|t| (t.host.as_str(), t.port))
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn dbname(&self) -> &str {
        &self.dbname
    }

    /// The effective `sslmode`.
    pub fn sslmode(&self) -> SslMode {
        self.sslmode
    }

    /// Whether a password is known for the first host (given, from
    /// `PGPASSWORD`, or from the password file).
    pub fn has_password(&self) -> bool {
        self.password_for(0).is_some()
    }

    /// A copy pointing at another database on the same server(s). The
    /// password file is consulted again, since its lines may name databases.
    pub fn with_dbname(&self, dbname: &str) -> ConnSpec {
        let mut spec = self.clone();
        spec.dbname = dbname.to_owned();
        spec.pgpass = pgpass::lookup_all(&spec);
        spec
    }

    /// The connection as a URL without the password: the only form that may
    /// be printed or logged. Everything resolved from the environment is
    /// spelled out, so the URL (plus a password) reaches the same server.
    pub fn redacted(&self) -> String {
        // Socket directories cannot be written in the authority part in a
        // readable way, so such specs carry hosts and ports as parameters.
        let in_query = self.targets.iter().any(Target::is_socket);
        let mut url = String::from("postgres://");
        url.push_str(&utf8_percent_encode(&self.user, USERINFO).to_string());
        url.push('@');
        let mut query: Vec<(&str, String)> = Vec::new();
        if in_query {
            let hosts: Vec<String> = self
                .targets
                .iter()
                .map(|t| utf8_percent_encode(&t.host, QUERY).to_string())
                .collect();
            query.push(("host", hosts.join(",")));
            query.push(("port", self.port_list()));
        } else {
            let hosts: Vec<String> = self
                .targets
                .iter()
                .map(|t| {
                    let host = if t.host.contains(':') {
                        format!("[{}]", t.host)
                    } else {
                        utf8_percent_encode(&t.host, HOST).to_string()
                    };
                    format!("{host}:{}", t.port)
                })
                .collect();
            url.push_str(&hosts.join(","));
        }
        url.push('/');
        url.push_str(&utf8_percent_encode(&self.dbname, PATH).to_string());

        if self.targets.iter().any(|t| t.hostaddr.is_some()) {
            let addrs: Vec<String> = self
                .targets
                .iter()
                .map(|t| t.hostaddr.map(|a| a.to_string()).unwrap_or_default())
                .collect();
            query.push(("hostaddr", addrs.join(",")));
        }
        if self.sslmode_given {
            query.push(("sslmode", self.sslmode.as_str().to_owned()));
        }
        let optional = [
            ("sslrootcert", self.sslrootcert.clone()),
            ("application_name", self.application_name.clone()),
            ("fallback_application_name", self.fallback_application_name.clone()),
            ("connect_timeout", self.connect_timeout.map(|t| t.to_string())),
            ("options", self.options.clone()),
            (
                "target_session_attrs",
                self.target_session_attrs.map(|a| {
                    match a {
                        SessionAttrs::ReadWrite => "read-write",
                        SessionAttrs::ReadOnly => "read-only",
                    }
                    .to_owned()
                }),
            ),
            (
                "channel_binding",
                self.channel_binding.map(|c| {
                    use tokio_postgres::config::ChannelBinding as Cb;
                    match c {
                        Cb::Disable => "disable",
                        Cb::Require => "require",
                        _ => "prefer",
                    }
                    .to_owned()
                }),
            ),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                query.push((key, utf8_percent_encode(&value, QUERY).to_string()));
            }
        }
        for (i, (key, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(key);
            url.push('=');
            url.push_str(value);
        }
        url
    }

    /// Whether both specs reach the same server: same hosts (and addresses)
    /// and ports, in the same order.
    pub fn same_server(&self, other: &ConnSpec) -> bool {
        self.targets.len() == other.targets.len()
            && self.targets.iter().zip(&other.targets).all(|(a, b)| a.same_server(b))
    }

    /// Whether every host this spec may reach is this machine: Unix
    /// sockets, `localhost` and loopback addresses.
    pub fn is_local(&self) -> bool {
        self.targets.iter().all(|t| {
            t.is_socket()
                || t.host.eq_ignore_ascii_case("localhost")
                || t.hostaddr
                    .or_else(|| t.host.parse().ok())
                    .is_some_and(|a: IpAddr| a.is_loopback())
        })
    }

    /// Whether both specs reach the same database on the same server.
    pub fn same_database(&self, other: &ConnSpec) -> bool {
        self.same_server(other) && self.dbname == other.dbname
    }

    /// The driver configuration for this spec, with every host. `sslmode`
    /// is reduced to what the driver knows (verify-ca/full become `Require`);
    /// pair it with [`ConnSpec::tls_connector`], which does the checking.
    /// The password is the one for the first host.
    pub fn pg_config(&self) -> tokio_postgres::Config {
        let mut config = self.base_config();
        for target in &self.targets {
            config.host(&target.host);
            config.port(target.port);
        }
        if self.targets.iter().all(|t| t.hostaddr.is_some()) {
            for target in &self.targets {
                if let Some(addr) = target.hostaddr {
                    config.hostaddr(addr);
                }
            }
        }
        if let Some(password) = self.password_for(0) {
            config.password(password.0.as_bytes());
        }
        if self.targets.iter().all(Target::is_socket) {
            config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        }
        config
    }

    /// The TLS connector implementing this spec's `sslmode` and
    /// `sslrootcert`, for use with [`ConnSpec::pg_config`].
    pub fn tls_connector(&self) -> Result<MakeRustlsConnect> {
        tls::connector(self).map_err(|reason| Error::Connect {
            side: None,
            target: self.redacted(),
            reason,
        })
    }

    /// Settings shared by every host: user, database, timeouts, names.
    fn base_config(&self) -> tokio_postgres::Config {
        use tokio_postgres::config::{SslMode as DriverSsl, TargetSessionAttrs};
        let mut config = tokio_postgres::Config::new();
        config.user(&self.user);
        config.dbname(&self.dbname);
        config.application_name(self.effective_application_name());
        if let Some(options) = &self.options {
            config.options(options);
        }
        if let Some(timeout) = self.effective_connect_timeout() {
            config.connect_timeout(timeout);
        }
        config.ssl_mode(match self.sslmode {
            SslMode::Disable => DriverSsl::Disable,
            SslMode::Allow | SslMode::Prefer => DriverSsl::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverSsl::Require,
        });
        match self.target_session_attrs {
            Some(SessionAttrs::ReadWrite) => {
                config.target_session_attrs(TargetSessionAttrs::ReadWrite);
            }
            Some(SessionAttrs::ReadOnly) => {
                config.target_session_attrs(TargetSessionAttrs::ReadOnly);
            }
            None => {}
        }
        if let Some(cb) = self.channel_binding {
            config.channel_binding(cb);
        }
        config
    }

    fn effective_application_name(&self) -> &str {
        self.application_name
            .as_deref()
            .or(self.fallback_application_name.as_deref())
            .unwrap_or(DEFAULT_APPLICATION_NAME)
    }

    /// libpq semantics: 0 waits forever, 1 is raised to 2 seconds.
    fn effective_connect_timeout(&self) -> Option<Duration> {
        match self.connect_timeout {
            None => Some(DEFAULT_CONNECT_TIMEOUT),
            Some(0) => None,
            Some(secs) => Some(Duration::from_secs(secs.max(2))),
        }
    }

    fn password_for(&self, target: usize) -> Option<&Secret> {
        self.password.as_ref().or_else(|| self.pgpass.get(target).and_then(Option::as_ref))
    }

    fn password_source(&self, target: usize) -> Option<PasswordSource> {
        if self.password.is_some() {
            Some(PasswordSource::Given)
        } else {
            match (self.pgpass.get(target), &self.passfile) {
                (Some(Some(_)), Some(file)) => Some(PasswordSource::PassFile(file.clone())),
                _ => None,
            }
        }
    }

    fn port_list(&self) -> String {
        let ports: Vec<String> = self.targets.iter().map(|t| t.port.to_string()).collect();
        ports.join(",")
    }
}

impl fmt::Display for ConnSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Characters escaped in the user name (before `@`).
const USERINFO: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b':')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'@')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b',');

/// Characters escaped in a host name in the authority part.
const HOST: &AsciiSet = USERINFO;

/// Characters escaped in the database name (the path).
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|');

/// Characters escaped in query values; `/` stays readable for socket paths.
const QUERY: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b',')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`');

#[cfg(test)]
mod tests;
