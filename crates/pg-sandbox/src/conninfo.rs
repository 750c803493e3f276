//! Where a cluster listens and how to write a URL for one of its databases. Clients (psql,
//! pg_dump, the code under test) all get the same URL, so a password or `sslmode` given in
//! `PGGRAFT_TEST_URL` reaches every one of them.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::Error;

/// Everything but RFC 3986's unreserved characters, so any database name survives the trip.
const PATH_SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

#[derive(Clone)]
pub(crate) struct ConnInfo {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// `user[:password]@host:port`, as it goes into URLs.
    authority: String,
    /// `?...` or empty.
    query: String,
    /// The database to connect to for CREATE/DROP DATABASE.
    pub maintenance_db: String,
}

impl ConnInfo {
    pub fn local(port: u16) -> ConnInfo {
        ConnInfo {
            host: "127.0.0.1".to_owned(),
            port,
            user: crate::SUPERUSER.to_owned(),
            authority: format!("{}@127.0.0.1:{port}", crate::SUPERUSER),
            query: String::new(),
            maintenance_db: "postgres".to_owned(),
        }
    }

    /// Parses `postgres[ql]://[user[:password]@]host[:port][/dbname][?params]`. Unix-socket and
    /// multi-host URLs are refused: `host()`/`port()` must describe one TCP endpoint.
    pub fn parse(url: &str) -> Result<ConnInfo, Error> {
        let bad = |reason: &str| Error::TestUrl { reason: reason.to_owned() };
        let rest = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))
            .ok_or_else(|| bad("it does not start with postgresql://"))?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, format!("?{query}")),
            None => (rest, String::new()),
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        if hostport.contains(',') {
            return Err(bad("it names several hosts (multi-host URLs are not supported)"));
        }
        let (raw_host, port) =
            split_host_port(hostport).ok_or_else(|| bad("its port is not a number"))?;
        let host = decode(raw_host);
        if host.is_empty() || host.starts_with('/') {
            return Err(bad("it has no TCP host (unix-socket URLs are not supported)"));
        }
        let user = match userinfo {
            Some(userinfo) => decode(userinfo.split(':').next().unwrap_or_default()),
            None => String::new(),
        };
        // Without a user libpq would pick the OS user name; naming one keeps superuser() honest.
        let (user, authority) = if user.is_empty() {
            let user = crate::SUPERUSER.to_owned();
            let authority = format!("{user}@{hostport}");
            (user, authority)
        } else {
            (user, authority.to_owned())
        };
        let maintenance_db = match decode(path) {
            db if db.is_empty() => "postgres".to_owned(),
            db => db,
        };
        Ok(ConnInfo { host, port, user, authority, query, maintenance_db })
    }

    pub fn url(&self, dbname: &str) -> String {
        let db = utf8_percent_encode(dbname, PATH_SEGMENT);
        format!("postgresql://{}/{db}{}", self.authority, self.query)
    }
}

/// Splits `host[:port]` or `[v6]:port`; `None` if the port is not a number.
fn split_host_port(hostport: &str) -> Option<(&str, u16)> {
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match hostport.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        },
    };
    let port = match port {
        Some(port) if !port.is_empty() => port.parse().ok()?,
        _ => 5432,
    };
    Some((host, port))
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_url() {
        let c = ConnInfo::parse("postgres://admin:s%40cret@db.example:6543/main?sslmode=disable")
            .unwrap();
        assert_eq!((c.host.as_str(), c.port, c.user.as_str()), ("db.example", 6543, "admin"));
        assert_eq!(c.maintenance_db, "main");
        assert_eq!(
            c.url("x y"),
            "postgresql://admin:s%40cret@db.example:6543/x%20y?sslmode=disable"
        );
    }

    #[test]
    fn fills_defaults() {
        let c = ConnInfo::parse("postgresql://[::1]").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.user.as_str()), ("::1", 5432, "postgres"));
        assert_eq!(c.maintenance_db, "postgres");
        assert_eq!(c.url("d"), "postgresql://postgres@[::1]/d");
    }

    #[test]
    fn refuses_unusable_urls() {
        for url in
            ["host=x", "postgresql:///db", "postgresql://%2Ftmp/db", "postgresql://a:1,b:2/d"]
        {
            assert!(ConnInfo::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn local_url_encodes_dbname() {
        assert_eq!(
            ConnInfo::local(5555).url("a/b\"c"),
            "postgresql://postgres@127.0.0.1:5555/a%2Fb%22c"
        );
    }
}
