//! Connecting: try each host (and each address a name resolves to) in
//! order, as libpq does, and turn the last failures into one readable line.
//!
//! Names are resolved here rather than in the driver so that a DNS failure,
//! a refused connection and a timeout can be told apart and reported with
//! the host they concern.

use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

use rustls::CertificateError;
use tokio_postgres::Client;
use tokio_postgres::config::SslMode as DriverSsl;
use tokio_postgres::error::SqlState;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{ConnSpec, PasswordSource, SslMode, Target, tls};
use crate::error::{Error, Result, describe_pg_error};

/// Why one attempt failed.
struct Failure {
    /// Which server, for messages that do not already say.
    server: String,
    message: String,
    /// Whether `message` names the server itself.
    names_server: bool,
}

impl ConnSpec {
    /// Connects to the first host that accepts, spawning the connection task
    /// on the current tokio runtime. The session's `application_name` is
    /// "pggraft" unless one was given. Each host gets `connect_timeout`
    /// (default 10 s) for connecting and authenticating.
    ///
    /// Errors are [`Error::Connect`] with `target` = [`ConnSpec::redacted`]
    /// and a one-line reason such as `connection refused (is the server
    /// running on host "db" port 5432 ...?)` or `password authentication
    /// failed for user "u"`.
    pub async fn connect(&self) -> Result<Client> {
        let fail = |reason: String| Error::Connect { side: None, target: self.redacted(), reason };
        let needs_tls =
            self.sslmode != SslMode::Disable && self.targets.iter().any(|t| !t.is_socket());
        // Without TLS the connector is never used; one that checks nothing
        // avoids reading root certificates for socket-only specs.
        let tls =
            if needs_tls { tls::connector(self) } else { tls::connector(&self.without_tls()) }
                .map_err(fail)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(fail("connect() must run inside a tokio runtime".to_owned()));
        }

        let mut failures = Vec::new();
        for (index, target) in self.targets.iter().enumerate() {
            match self.connect_target(index, target, &tls).await {
                Ok(client) => return Ok(client),
                Err(mut f) => failures.append(&mut f),
            }
        }
        Err(fail(summarize(failures)))
    }

    fn without_tls(&self) -> ConnSpec {
        let mut spec = self.clone();
        spec.sslmode = SslMode::Disable;
        spec
    }

    /// Tries every address of one target.
    async fn connect_target(
        &self,
        index: usize,
        target: &Target,
        tls: &MakeRustlsConnect,
    ) -> std::result::Result<Client, Vec<Failure>> {
        let timeout = self.effective_connect_timeout();
        let addrs: Vec<Option<IpAddr>> = if target.is_socket() {
            vec![None]
        } else if let Some(addr) = target.hostaddr.or_else(|| target.host.parse().ok()) {
            vec![Some(addr)]
        } else {
            let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
            let resolved = match with_timeout(timeout, lookup).await {
                Some(Ok(addrs)) => addrs,
                Some(Err(e)) => {
                    return Err(vec![Failure {
                        server: server_label(target, None),
                        message: format!(
                            "could not translate host name \"{}\" to address: {e}",
                            target.host
                        ),
                        names_server: true,
                    }]);
                }
                None => {
                    return Err(vec![Failure {
                        server: server_label(target, None),
                        message: format!(
                            "timed out resolving host name \"{}\" (raise connect_timeout to wait \
                             longer)",
                            target.host
                        ),
                        names_server: true,
                    }]);
                }
            };
            let mut ips: Vec<Option<IpAddr>> = Vec::new();
            for addr in resolved {
                if !ips.contains(&Some(addr.ip())) {
                    ips.push(Some(addr.ip()));
                }
            }
            ips
        };

        let mut failures = Vec::new();
        for addr in addrs {
            let config = self.attempt_config(index, target, addr);
            let connecting = config.connect(tls.clone());
            match with_timeout(timeout, Box::pin(connecting)).await {
                Some(Ok((client, connection))) => {
                    let label = server_label(target, addr);
                    tokio::spawn(async move {
                        if let Err(e) = connection.await {
                            tracing::debug!(
                                "connection to {label} ended with an error: {}",
                                describe_pg_error(&e)
                            );
                        }
                    });
                    return Ok(client);
                }
                Some(Err(e)) => failures.push(self.describe(index, target, addr, &e)),
                None => failures.push(Failure {
                    server: server_label(target, addr),
                    message: format!(
                        "timed out after {}s connecting to {} (is the server reachable and responding? raise \
                         connect_timeout to wait longer)",
                        timeout.unwrap_or_default().as_secs(),
                        server_label(target, addr)
                    ),
                    names_server: true,
                }),
            }
        }
        Err(failures)
    }

    /// The driver configuration for one address of one target.
    fn attempt_config(
        &self,
        index: usize,
        target: &Target,
        addr: Option<IpAddr>,
    ) -> tokio_postgres::Config {
        let mut config = self.base_config();
        config.host(&target.host);
        if let Some(addr) = addr {
            config.hostaddr(addr);
        }
        config.port(target.port);
        if let Some(password) = self.password_for(index) {
            config.password(password.0.as_bytes());
        }
        // The server never offers TLS on Unix sockets; libpq does not ask.
        if target.is_socket() {
            config.ssl_mode(DriverSsl::Disable);
        }
        config
    }

    /// One line for a driver error.
    fn describe(
        &self,
        index: usize,
        target: &Target,
        addr: Option<IpAddr>,
        e: &tokio_postgres::Error,
    ) -> Failure {
        let server = server_label(target, addr);
        let named =
            |message: String| Failure { server: server.clone(), message, names_server: true };
        let unnamed =
            |message: String| Failure { server: server.clone(), message, names_server: false };

        if let Some(db) = e.as_db_error() {
            let mut message = db.message().to_owned();
            if let Some(hint) = db.hint() {
                message.push_str(&format!(" (hint: {hint})"));
            }
            if *db.code() == SqlState::INVALID_PASSWORD
                && let Some(PasswordSource::PassFile(file)) = self.password_source(index)
            {
                message
                    .push_str(&format!(" (password retrieved from file \"{}\")", file.display()));
            }
            return unnamed(message);
        }

        let cause = std::error::Error::source(e);
        let cause_text = cause.map(ToString::to_string).unwrap_or_default();
        let kind = e.to_string();
        if kind == "invalid configuration" && cause_text == "password missing" {
            return unnamed(format!(
                "the server asks for a password for user \"{}\", but none was given (set \
                 PGPASSWORD, add a line to ~/.pgpass, or put password= in the connection string)",
                self.user
            ));
        }
        if kind == "error performing TLS handshake" {
            if cause_text == "server does not support TLS" {
                return named(format!(
                    "{server} does not support TLS, but sslmode={} requires it",
                    self.sslmode
                ));
            }
            let rustls_error = find_cause::<io::Error>(e)
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            let advice = match rustls_error {
                Some(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => " (the certificate does not name this host: connect by a name it lists, or \
                       use sslmode=verify-ca to skip the name check)"
                    .to_owned(),
                Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                    match self.sslrootcert.as_deref() {
                        Some("system") => " (not signed by a root the system trusts; set \
                                           sslrootcert to the server's CA file)"
                            .to_owned(),
                        Some(file) => format!(" (not signed by a root in \"{file}\")"),
                        None => " (not signed by a root in ~/.postgresql/root.crt)".to_owned(),
                    }
                }
                _ => String::new(),
            };
            let detail = rustls_error.map_or(cause_text, ToString::to_string);
            return named(format!("TLS handshake with {server} failed: {detail}{advice}"));
        }

        // Something answered, but not a PostgreSQL server: an HTTP server
        // replies and closes ("bytes remaining on stream"), others send
        // bytes the protocol has no meaning for.
        let garbled = find_cause::<io::Error>(e).is_some_and(|io| {
            io.kind() == io::ErrorKind::InvalidData
                || io.kind() == io::ErrorKind::InvalidInput
                || io.to_string() == "bytes remaining on stream"
        });
        if garbled
            || kind == "error parsing response from server"
            || kind == "unexpected message from server"
        {
            return named(format!(
                "{server} answered, but not in the PostgreSQL protocol (is a PostgreSQL server \
                 listening on that port? check the host and port)"
            ));
        }
        if let Some(io) = find_cause::<io::Error>(e) {
            let message = if target.is_socket() {
                let socket =
                    format!("{}/.s.PGSQL.{}", target.host.trim_end_matches('/'), target.port);
                match io.kind() {
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => format!(
                        "no server is listening on socket \"{socket}\" (is the server running \
                         locally and accepting connections on that socket?)"
                    ),
                    io::ErrorKind::PermissionDenied => {
                        format!("permission denied on socket \"{socket}\"")
                    }
                    _ => format!("{io} (socket \"{socket}\")"),
                }
            } else {
                match io.kind() {
                    io::ErrorKind::ConnectionRefused => format!(
                        "connection refused (is the server running on {server} and accepting \
                         TCP/IP connections?)"
                    ),
                    io::ErrorKind::TimedOut => format!(
                        "timed out connecting to {server} (is the server reachable and responding? raise \
                         connect_timeout to wait longer)"
                    ),
                    io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => format!(
                        "{server} closed the connection unexpectedly (does it speak the \
                         PostgreSQL protocol on that port?)"
                    ),
                    _ => format!("{io} ({server})"),
                }
            };
            return named(message);
        }
        if e.is_closed() {
            return named(format!("{server} closed the connection unexpectedly"));
        }
        unnamed(describe_pg_error(e))
    }
}

/// `host "db" (10.0.0.5) port 5432`, or `socket directory "/tmp" port 5432`.
fn server_label(target: &Target, addr: Option<IpAddr>) -> String {
    if target.is_socket() {
        return format!("socket directory \"{}\" port {}", target.host, target.port);
    }
    match addr {
        Some(addr) if addr.to_string() != target.host => {
            format!("host \"{}\" ({addr}) port {}", target.host, target.port)
        }
        _ => format!("host \"{}\" port {}", target.host, target.port),
    }
}

/// Failures joined into one line; the server is named once per failure.
fn summarize(failures: Vec<Failure>) -> String {
    match failures.as_slice() {
        [] => "no hosts to try".to_owned(),
        [only] => only.message.clone(),
        _ => failures
            .iter()
            .map(|f| {
                if f.names_server {
                    f.message.clone()
                } else {
                    format!("{}: {}", f.server, f.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn find_cause<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

async fn with_timeout<F: Future>(timeout: Option<Duration>, fut: F) -> Option<F::Output> {
    match timeout {
        Some(limit) => tokio::time::timeout(limit, fut).await.ok(),
        None => Some(fut.await),
    }
}
