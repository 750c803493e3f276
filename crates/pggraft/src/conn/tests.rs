use std::path::Path;

use super::*;

/// An environment holding only `vars`.
fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let vars: Vec<(String, String)> =
        vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Parses with `USER=alice` and nothing else, no home directory.
fn parse(s: &str) -> ConnSpec {
    parse_env(s, &[("USER", "alice")])
}

fn parse_env(s: &str, vars: &[(&str, &str)]) -> ConnSpec {
    ConnSpec::parse_with_env(s, &env_of(vars), None).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn parse_err(s: &str) -> String {
    match ConnSpec::parse_with_env(s, &env_of(&[("USER", "alice")]), None) {
        Ok(spec) => panic!("{s} parsed as {spec:?}"),
        Err(e) => e.to_string(),
    }
}

fn password(spec: &ConnSpec) -> Option<&str> {
    spec.password_for(0).map(|s| s.0.as_str())
}

fn hosts(spec: &ConnSpec) -> Vec<(String, u16)> {
    spec.hosts().map(|(h, p)| (h.to_owned(), p)).collect()
}

// ---- URLs ----

#[test]
fn url_with_everything() {
    let spec = parse(
        "postgres://bob:p%40ss%2Fw@db.example.com:6543/my%20db?sslmode=require&application_name=x",
    );
    assert_eq!(spec.host(), "db.example.com");
    assert_eq!(spec.port(), 6543);
    assert_eq!(spec.user(), "bob");
    assert_eq!(spec.dbname(), "my db");
    assert_eq!(password(&spec), Some("p@ss/w"));
    assert_eq!(spec.sslmode(), SslMode::Require);
    assert_eq!(spec.effective_application_name(), "x");
}

#[test]
fn url_postgresql_scheme_and_defaults() {
    let spec = parse("postgresql://db.example.com");
    assert_eq!(spec.host(), "db.example.com");
    assert_eq!(spec.port(), 5432);
    assert_eq!(spec.user(), "alice");
    assert_eq!(spec.dbname(), "alice");
    assert!(!spec.has_password());
    assert_eq!(spec.sslmode(), SslMode::Prefer);
    assert_eq!(spec.effective_application_name(), "pggraft");

    let spec = parse("postgresql://");
    assert_eq!(spec.host(), params::default_socket_dir());
}

#[test]
fn url_unencoded_at_in_password() {
    let spec = parse("postgres://bob:p@ss@h/db");
    assert_eq!(spec.user(), "bob");
    assert_eq!(password(&spec), Some("p@ss"));
    assert_eq!(spec.host(), "h");
}

#[test]
fn url_multiple_hosts() {
    let spec = parse("postgresql://h1,h2:5433,[::1]:5434/db");
    assert_eq!(
        hosts(&spec),
        [("h1".to_owned(), 5432), ("h2".to_owned(), 5433), ("::1".to_owned(), 5434)]
    );
    assert_eq!(spec.host(), "h1");
}

#[test]
fn url_ipv6() {
    let spec = parse("postgres://[2001:db8::1]:5433/db");
    assert_eq!(spec.host(), "2001:db8::1");
    assert_eq!(spec.port(), 5433);
}

#[test]
fn url_socket_hosts() {
    let spec = parse("postgres:///db?host=/var/run/postgresql&port=5433");
    assert_eq!(spec.host(), "/var/run/postgresql");
    assert_eq!(spec.port(), 5433);
    assert_eq!(spec.dbname(), "db");

    let spec = parse("postgresql://%2Ftmp%2Fpg:5999/db");
    assert_eq!(spec.host(), "/tmp/pg");
    assert_eq!(spec.port(), 5999);
}

#[test]
fn url_query_overrides_and_ssl_true() {
    let spec = parse("postgres://u@h/db?dbname=other&user=v&ssl=true&connect_timeout=3");
    assert_eq!(spec.dbname(), "other");
    assert_eq!(spec.user(), "v");
    assert_eq!(spec.sslmode(), SslMode::Require);
    assert_eq!(spec.effective_connect_timeout(), Some(Duration::from_secs(3)));
}

#[test]
fn url_errors() {
    assert!(
        parse_err("postgres://h/db?nonsense=1").contains("invalid connection option \"nonsense\"")
    );
    assert!(parse_err("postgres://h/db?sslcert=x").contains("not supported"));
    assert!(parse_err("postgres://h/db?sslmode").contains("missing \"=\""));
    assert!(parse_err("postgres://h/d%zzb").contains("invalid percent-encoded token"));
    assert!(parse_err("postgres://h/d%00b").contains("%00"));
    assert!(parse_err("postgres://h:notaport/db").contains("invalid port number"));
    assert!(parse_err("postgres://[::1/db").contains("IPv6"));
    assert!(parse_err("mysql://h/db").contains("unsupported URL scheme"));
    assert!(parse_err("postgres://h/db?sslmode=sometimes").contains("invalid sslmode"));
}

#[test]
fn url_errors_never_show_the_password() {
    let err = parse_err("postgres://u:sec%zzret@h/db");
    assert!(!err.contains("sec"), "{err}");
    assert!(err.contains("password"), "{err}");
    let err = parse_err("postgres://u@h/db?password=sec%zzret");
    assert!(!err.contains("sec"), "{err}");
}

// ---- keyword/value strings ----

#[test]
fn keyword_string() {
    let spec = parse(
        "host=db.example.com port=5433 dbname='my db' user=bob password=p sslmode=verify-full",
    );
    assert_eq!(spec.host(), "db.example.com");
    assert_eq!(spec.port(), 5433);
    assert_eq!(spec.dbname(), "my db");
    assert_eq!(spec.user(), "bob");
    assert_eq!(password(&spec), Some("p"));
    assert_eq!(spec.sslmode(), SslMode::VerifyFull);
}

#[test]
fn keyword_quoting_and_escapes() {
    let spec = parse(r"dbname = 'it\'s \\ here'  user=a\ b password='' host = h");
    assert_eq!(spec.dbname(), r"it's \ here");
    assert_eq!(spec.user(), "a b");
    assert!(!spec.has_password(), "an empty password means none");
    assert_eq!(spec.host(), "h");

    let spec = parse("password='a b\\'c' host=h");
    assert_eq!(password(&spec), Some("a b'c"));
}

#[test]
fn keyword_lists_and_hostaddr() {
    let spec = parse("host=h1,h2,h3 port=1,2,3 dbname=d");
    assert_eq!(hosts(&spec), [("h1".to_owned(), 1), ("h2".to_owned(), 2), ("h3".to_owned(), 3)]);
    let spec = parse("host=h1,,h3 port=7");
    assert_eq!(spec.targets[1].host, params::default_socket_dir());
    assert!(spec.targets.iter().all(|t| t.port == 7));

    let spec = parse("host=db.example.com hostaddr=10.0.0.5");
    assert_eq!(spec.host(), "db.example.com");
    assert_eq!(spec.targets[0].hostaddr, Some("10.0.0.5".parse().unwrap()));
    let spec = parse("hostaddr=10.0.0.5");
    assert_eq!(spec.host(), "10.0.0.5");

    assert!(parse_err("host=a,b port=1,2,3").contains("could not match 3 port numbers to 2 hosts"));
    assert!(parse_err("host=a,b hostaddr=10.0.0.1").contains("hostaddr"));
    assert!(parse_err("hostaddr=nope").contains("could not parse network address"));
    assert!(parse_err("port=0").contains("invalid port number"));
}

#[test]
fn keyword_errors() {
    assert!(parse_err("host=h dbname='unterminated").contains("unterminated quoted string"));
    assert!(parse_err("host=h oops").contains("missing \"=\" after \"oops\""));
    assert!(parse_err("host=h bogus=1").contains("invalid connection option \"bogus\""));
    assert!(parse_err("host=h sslkey=x").contains("not supported"));
    assert!(parse_err("host=h connect_timeout=soon").contains("connect_timeout"));
    assert!(parse_err("host=h target_session_attrs=primary").contains("not supported"));
    assert!(parse_err("host=h gssencmode=require").contains("gssencmode"));
    // Ignored keywords are accepted.
    parse("host=h keepalives=1 sslcompression=0 gssencmode=disable");
}

#[test]
fn keyword_errors_never_show_the_password() {
    for s in ["password=top secret host=h", "password=top secret=1", "password=top secret"] {
        let err = parse_err(s);
        assert!(!err.contains("secret"), "{s}: {err}");
    }
}

#[test]
fn bare_word_is_a_database_name() {
    let spec = parse("shop");
    assert_eq!(spec.dbname(), "shop");
    assert_eq!(spec.user(), "alice");
    assert_eq!(spec.host(), params::default_socket_dir());
}

// ---- environment and defaults ----

#[test]
fn everything_from_the_environment() {
    let spec = parse_env(
        "",
        &[
            ("PGHOST", "envhost"),
            ("PGPORT", "6000"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpw"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "verify-ca"),
            ("PGSSLROOTCERT", "/etc/ca.pem"),
            ("PGAPPNAME", "envapp"),
            ("PGCONNECT_TIMEOUT", "1"),
            ("PGOPTIONS", "-c search_path=x"),
            ("USER", "alice"),
        ],
    );
    assert_eq!(hosts(&spec), [("envhost".to_owned(), 6000)]);
    assert_eq!(spec.user(), "envuser");
    assert_eq!(password(&spec), Some("envpw"));
    assert_eq!(spec.dbname(), "envdb");
    assert_eq!(spec.sslmode(), SslMode::VerifyCa);
    assert_eq!(spec.sslrootcert.as_deref(), Some("/etc/ca.pem"));
    assert_eq!(spec.effective_application_name(), "envapp");
    // libpq raises 1 s to 2 s.
    assert_eq!(spec.effective_connect_timeout(), Some(Duration::from_secs(2)));
    let config = spec.pg_config();
    assert_eq!(config.get_options(), Some("-c search_path=x"));
    assert_eq!(config.get_application_name(), Some("envapp"));
}

#[test]
fn given_values_beat_the_environment() {
    let env = [("PGHOST", "envhost"), ("PGDATABASE", "envdb"), ("PGUSER", "envuser")];
    let spec = parse_env("postgres://h/db", &env);
    assert_eq!(spec.host(), "h");
    assert_eq!(spec.dbname(), "db");
    assert_eq!(spec.user(), "envuser");

    // An explicitly empty value blocks the variable and means the default.
    let spec = parse_env("host='' user=u", &env);
    assert_eq!(spec.host(), params::default_socket_dir());
    assert_eq!(spec.dbname(), "envdb");
}

#[test]
fn defaults() {
    let spec = parse_env("", &[("LOGNAME", "carol")]);
    assert_eq!(spec.host(), params::default_socket_dir());
    assert_eq!(spec.port(), 5432);
    assert_eq!(spec.user(), "carol");
    assert_eq!(spec.dbname(), "carol");
    assert_eq!(spec.effective_connect_timeout(), Some(DEFAULT_CONNECT_TIMEOUT));
    assert_eq!(parse("connect_timeout=0").effective_connect_timeout(), None);
}

#[test]
fn sslrootcert_system_means_verify_full() {
    assert_eq!(parse("host=h sslrootcert=system").sslmode(), SslMode::VerifyFull);
    assert!(parse_err("host=h sslrootcert=system sslmode=require").contains("weak sslmode"));
}

// ---- password file ----

/// Writes a password file with `mode` in a fresh directory.
fn pgpass_file(contents: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".pgpass");
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    (dir, path)
}

#[test]
fn pgpass_matching_rules() {
    let file = "\
# comment:*:*:*:nope
other:5432:*:*:wronghost
db.example.com:5433:*:*:wrongport
db.example.com:5432:shop:bob:first
db.example.com:5432:shop:bob:second
*:*:*:bob:wild
";
    let find = |host: &str, port, db: &str, user: &str| {
        pgpass::find(file, host, host.starts_with('/'), port, db, user)
    };
    assert_eq!(find("db.example.com", 5432, "shop", "bob").as_deref(), Some("first"));
    assert_eq!(find("db.example.com", 5433, "shop", "bob").as_deref(), Some("wrongport"));
    assert_eq!(find("db.example.com", 5432, "other", "bob").as_deref(), Some("wild"));
    assert_eq!(find("db.example.com", 5432, "shop", "carol"), None);
}

#[test]
fn pgpass_escapes() {
    let file = r"h\:x:5432:d\\b:u:pa\:ss\\word
h:5432:\*:u:literal-star
h:5432:*:u:wild
";
    assert_eq!(pgpass::find(file, "h:x", false, 5432, r"d\b", "u").as_deref(), Some(r"pa:ss\word"));
    assert_eq!(pgpass::find(file, "h", false, 5432, "*", "u").as_deref(), Some("literal-star"));
    assert_eq!(pgpass::find(file, "h", false, 5432, "anything", "u").as_deref(), Some("wild"));
    // Short lines are skipped.
    assert_eq!(pgpass::find("h:5432:d:u\n", "h", false, 5432, "d", "u"), None);
}

#[test]
fn pgpass_socket_matches_localhost() {
    let file = "localhost:5432:*:u:local\n/srv/sock:5433:*:u:bypath\n";
    assert_eq!(pgpass::find(file, "/tmp", true, 5432, "d", "u").as_deref(), Some("local"));
    assert_eq!(pgpass::find(file, "/srv/sock", true, 5433, "d", "u").as_deref(), Some("bypath"));
    assert_eq!(pgpass::find(file, "/tmp", false, 5432, "d", "u"), None);
}

#[test]
fn pgpass_from_home_and_passfile() {
    let (dir, path) = pgpass_file("h:5432:shop:bob:secret\nh:5432:*:bob:any\n", 0o600);
    let env = env_of(&[("USER", "alice")]);
    let spec =
        ConnSpec::parse_with_env("host=h user=bob dbname=shop", &env, Some(dir.path())).unwrap();
    assert_eq!(password(&spec), Some("secret"));
    assert_eq!(spec.password_source(0), Some(PasswordSource::PassFile(path.clone())));
    assert_eq!(password(&spec.with_dbname("postgres")), Some("any"));

    // A given password wins and the file is not consulted.
    let spec =
        ConnSpec::parse_with_env("host=h user=bob password=given", &env, Some(dir.path())).unwrap();
    assert_eq!(password(&spec), Some("given"));
    assert_eq!(spec.password_source(0), Some(PasswordSource::Given));

    // PGPASSFILE and passfile= name other files.
    let env = env_of(&[("USER", "alice"), ("PGPASSFILE", path.to_str().unwrap())]);
    let spec = ConnSpec::parse_with_env("host=h user=bob dbname=shop", &env, None).unwrap();
    assert_eq!(password(&spec), Some("secret"));
    let s = format!("host=h user=bob dbname=x passfile='{}'", path.display());
    let spec = ConnSpec::parse_with_env(&s, &env_of(&[]), None).unwrap();
    assert_eq!(password(&spec), Some("any"));
}

#[test]
fn pgpass_per_host() {
    let (dir, _path) = pgpass_file("a:5432:*:*:pa\nb:5432:*:*:pb\n", 0o600);
    let env = env_of(&[("USER", "alice")]);
    let spec = ConnSpec::parse_with_env("host=a,b,c", &env, Some(dir.path())).unwrap();
    assert_eq!(password(&spec), Some("pa"));
    assert_eq!(spec.password_for(1).map(|s| s.0.as_str()), Some("pb"));
    assert_eq!(spec.password_for(2), None);
}

#[test]
fn pgpass_ignored_when_group_or_world_readable() {
    for mode in [0o644, 0o640, 0o604] {
        let (dir, _path) = pgpass_file("*:*:*:*:secret\n", mode);
        let spec = ConnSpec::parse_with_env("host=h", &env_of(&[("USER", "a")]), Some(dir.path()))
            .unwrap();
        assert!(!spec.has_password(), "mode {mode:o}");
    }
    let (dir, _path) = pgpass_file("*:*:*:*:secret\n", 0o400);
    let spec =
        ConnSpec::parse_with_env("host=h", &env_of(&[("USER", "a")]), Some(dir.path())).unwrap();
    assert!(spec.has_password());
}

#[test]
fn pgpass_missing_file_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let spec =
        ConnSpec::parse_with_env("host=h", &env_of(&[("USER", "a")]), Some(dir.path())).unwrap();
    assert!(!spec.has_password());
    assert!(spec.passfile.is_some());
}

// ---- service files ----

/// A home directory holding `.pg_service.conf` (and `.pgpass`, if given,
/// mode 0600), and an empty system configuration directory, so that the
/// machine's own `pg_service.conf` is never read.
struct ServiceHome {
    home: tempfile::TempDir,
    sysconf: tempfile::TempDir,
}

impl ServiceHome {
    fn new(user_file: &str, pgpass: Option<&str>) -> ServiceHome {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".pg_service.conf"), user_file).unwrap();
        if let Some(text) = pgpass {
            let path = home.path().join(".pgpass");
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        ServiceHome { home, sysconf: tempfile::tempdir().unwrap() }
    }

    fn system_file(&self, text: &str) {
        std::fs::write(self.sysconf.path().join("pg_service.conf"), text).unwrap();
    }

    /// `USER=alice`, `PGSYSCONFDIR` = the empty directory, plus `vars`.
    fn parse(&self, s: &str, vars: &[(&str, &str)]) -> Result<ConnSpec> {
        let sysconf = self.sysconf.path().to_str().unwrap().to_owned();
        let mut all = vec![("USER", "alice"), ("PGSYSCONFDIR", sysconf.as_str())];
        all.extend_from_slice(vars);
        ConnSpec::parse_with_env(s, &env_of(&all), Some(self.home.path()))
    }

    fn ok(&self, s: &str, vars: &[(&str, &str)]) -> ConnSpec {
        self.parse(s, vars).unwrap_or_else(|e| panic!("{s}: {e}"))
    }
}

const PROD: &str = "\
# the team's databases
[staging]
host=staging.example.com
dbname=staging

[prod]
host=db.example.com
  port = 6543
dbname=app
user=bob
sslmode=require
[other]
host=other.example.com
";

#[test]
fn service_fills_what_the_string_leaves_out() {
    let h = ServiceHome::new(PROD, None);
    for s in ["service=prod", "postgres://?service=prod", "postgresql:///?service=prod"] {
        let spec = h.ok(s, &[]);
        assert_eq!(hosts(&spec), [("db.example.com".to_owned(), 6543)], "{s}");
        assert_eq!(spec.dbname(), "app", "{s}");
        assert_eq!(spec.user(), "bob", "{s}");
        assert_eq!(spec.sslmode(), SslMode::Require, "{s}");
    }
    // The connection string beats the service; the next group is not read.
    let spec = h.ok("service=prod dbname=reports port=7000", &[]);
    assert_eq!(hosts(&spec), [("db.example.com".to_owned(), 7000)]);
    assert_eq!(spec.dbname(), "reports");
    let spec = h.ok("postgres://carol@/reports?service=prod", &[]);
    assert_eq!((spec.user(), spec.dbname()), ("carol", "reports"));
    // An explicitly empty value blocks the service's, as it blocks PG* variables.
    assert_eq!(h.ok("service=prod host=''", &[]).host(), params::default_socket_dir());
}

#[test]
fn service_beats_pg_variables_which_fill_the_rest() {
    let h = ServiceHome::new("[s]\nhost=svc.example.com\n", None);
    let env = [("PGHOST", "envhost"), ("PGPORT", "6000"), ("PGDATABASE", "envdb")];
    let spec = h.ok("service=s", &env);
    assert_eq!(hosts(&spec), [("svc.example.com".to_owned(), 6000)]);
    assert_eq!(spec.dbname(), "envdb");
    // PGSERVICE names the service when the string does not.
    let env = [("PGSERVICE", "prod")];
    let h = ServiceHome::new(PROD, None);
    assert_eq!(h.ok("", &env).host(), "db.example.com");
    assert_eq!(h.ok("service=staging", &env).host(), "staging.example.com");
}

#[test]
fn service_file_precedence() {
    let h = ServiceHome::new("[s]\nhost=home\n", None);
    let dir = tempfile::tempdir().unwrap();
    let named = dir.path().join("named.conf");
    std::fs::write(&named, "[s]\nhost=named\n").unwrap();
    let other = dir.path().join("other.conf");
    std::fs::write(&other, "[s]\nhost=option\n").unwrap();
    let named_var = [("PGSERVICEFILE", named.to_str().unwrap())];
    // servicefile= beats PGSERVICEFILE, which beats ~/.pg_service.conf.
    assert_eq!(h.ok("service=s", &[]).host(), "home");
    assert_eq!(h.ok("service=s", &named_var).host(), "named");
    let s = format!("service=s servicefile='{}'", other.display());
    assert_eq!(h.ok(&s, &named_var).host(), "option");

    // The user's file wins over the system's; the system's is read only
    // for a service the user's file does not define.
    h.system_file("[s]\nhost=system\n[sys_only]\nhost=system-only\nport=5999\n");
    assert_eq!(h.ok("service=s", &[]).host(), "home");
    assert_eq!(hosts(&h.ok("service=sys_only", &[])), [("system-only".to_owned(), 5999)]);
    // A user file that does not exist is skipped.
    let missing = [("PGSERVICEFILE", "/nonexistent/pg_service.conf")];
    assert_eq!(h.ok("service=s", &missing).host(), "system");
}

#[test]
fn service_not_defined_is_an_error() {
    let h = ServiceHome::new(PROD, None);
    for (s, env) in [("service=nope", vec![]), ("", vec![("PGSERVICE", "nope")])] {
        let err = h.parse(s, &env).unwrap_err();
        assert!(matches!(err, Error::InvalidConnInfo(_)), "{err:?}");
        assert_eq!(err.kind(), crate::error::ErrorKind::Input);
        let text = err.to_string();
        assert!(text.contains("\"nope\"") && text.contains(".pg_service.conf"), "{text}");
    }
    // A prefix of a group's name is not that group.
    assert!(h.parse("service=pro", &[]).is_err());
    assert!(h.parse("service=prod]", &[]).is_err());
}

#[test]
fn service_file_syntax() {
    let file = Path::new("svc.conf");
    let found = |text: &str, name: &str| service::find(text, name, file);
    let values = found("[a]\n# c\n\n  host = h  \nport=1\nhost=second\n[b]\nport=2\n", "a")
        .unwrap()
        .unwrap();
    assert_eq!(values, [("host", "h".to_owned()), ("port", "1".to_owned())]);
    assert_eq!(found("[a]\nhost=h\n", "b").unwrap(), None);
    // A value may hold `=` (options, application names).
    let values = found("[a]\noptions=-c search_path=x\n", "a").unwrap().unwrap();
    assert_eq!(values, [("options", "-c search_path=x".to_owned())]);
    // Lines of other groups are never checked.
    assert!(found("[b]\nnonsense\n[a]\nhost=h\n", "a").unwrap().is_some());

    let err = |text: &str| found(text, "a").unwrap_err().to_string();
    assert!(err("[a]\nhost\n").contains("svc.conf\", line 2"), "{}", err("[a]\nhost\n"));
    assert!(err("[a]\nservice=b\n").contains("nested service"));
    assert!(err("[a]\n\nbogus=1\n").contains("line 3"));
    assert!(err("[a]\nsslkey=/k\n").contains("not supported"));
}

#[test]
fn service_naming_a_pgpass_entry_gets_its_password() {
    let pgpass = "db.example.com:6543:app:bob:from-pgpass\n*:*:*:*:wildcard\n";
    let h = ServiceHome::new(PROD, Some(pgpass));
    let spec = h.ok("service=prod", &[]);
    assert_eq!(password(&spec), Some("from-pgpass"));
    let file = h.home.path().join(".pgpass");
    assert_eq!(spec.password_source(0), Some(PasswordSource::PassFile(file)));
    // The lookup uses the resolved values: another database, another line.
    assert_eq!(password(&h.ok("service=prod dbname=other", &[])), Some("wildcard"));

    // A service may name its password file, and even its password.
    let dir = tempfile::tempdir().unwrap();
    let (_pdir, passfile) = pgpass_file("h:5432:*:*:svc-file\n", 0o600);
    let text =
        format!("[p]\nhost=h\npassfile={}\n[q]\nhost=h\npassword=inline\n", passfile.display());
    let conf = dir.path().join("svc.conf");
    std::fs::write(&conf, text).unwrap();
    let var = [("PGSERVICEFILE", conf.to_str().unwrap())];
    assert_eq!(password(&h.ok("service=p", &var)), Some("svc-file"));
    let spec = h.ok("service=q", &var);
    assert_eq!(password(&spec), Some("inline"));
    assert!(!spec.redacted().contains("inline"), "{}", spec.redacted());
}

// ---- redaction ----

#[test]
fn password_never_printed() {
    let (dir, _path) = pgpass_file("*:*:*:*:filesecret\n", 0o600);
    let env = env_of(&[("USER", "a")]);
    for s in [
        "postgres://bob:hunter2@h/db",
        "host=h password=hunter2 sslmode=require application_name=app",
        "host=/tmp password=hunter2",
        "host=h",
    ] {
        let spec = ConnSpec::parse_with_env(s, &env, Some(dir.path())).unwrap();
        assert!(spec.has_password());
        for shown in [format!("{spec:?}"), spec.to_string(), spec.redacted()] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(!shown.contains("filesecret"), "{shown}");
        }
    }
}

#[test]
fn redacted_url_forms() {
    assert_eq!(
        parse("postgres://bob:pw@db.example.com:6543/my%20db").redacted(),
        "postgres://bob@db.example.com:6543/my%20db"
    );
    assert_eq!(
        parse("host=/var/run/postgresql port=5433 user=bob dbname=shop").redacted(),
        "postgres://bob@/shop?host=/var/run/postgresql&port=5433"
    );
    assert_eq!(
        parse("host=h1,::1 port=1,2 user=b@x dbname=d sslmode=require application_name='a b'")
            .redacted(),
        "postgres://b%40x@h1:1,[::1]:2/d?sslmode=require&application_name=a%20b"
    );
}

#[test]
fn redacted_url_parses_back_to_the_same_spec() {
    for s in [
        "postgres://bob:pw@db.example.com:6543/my%20db?sslmode=verify-full&connect_timeout=5",
        "host=/var/run/postgresql,/tmp port=5433,5434 user='we ird' dbname='a/b?c'",
        "host=h1,h2 hostaddr=10.0.0.1,10.0.0.2 options='-c x=1' target_session_attrs=read-write",
        "host=h channel_binding=require sslrootcert=/etc/ca.pem sslmode=verify-ca",
    ] {
        let spec = parse(s);
        let again = parse(&spec.redacted());
        assert!(spec.same_database(&again), "{s} -> {}", spec.redacted());
        assert_eq!(spec.user(), again.user(), "{s}");
        assert_eq!(spec.redacted(), again.redacted(), "{s}");
        let mut without_password = spec.clone();
        without_password.password = None;
        assert_eq!(
            format!("{:?}", without_password.pg_config()),
            format!("{:?}", again.pg_config()),
            "{s}"
        );
    }
}

// ---- comparisons ----

#[test]
fn same_server_and_database() {
    let a = parse("postgres://u@DB.example.com:5432/one");
    let b = parse("host=db.example.com user=other dbname=two");
    assert!(a.same_server(&b));
    assert!(!a.same_database(&b));
    assert!(a.same_database(&b.with_dbname("one")));
    assert!(!a.same_server(&parse("postgres://db.example.com:5433/one")));
    assert!(!a.same_server(&parse("postgres://other.example.com/one")));
    assert!(parse("host=/tmp/ port=5").same_server(&parse("host=/tmp port=5")));
    assert!(!parse("host=/tmp").same_server(&parse("host=localhost")));
}

// ---- driver configuration and TLS ----

#[test]
fn pg_config_ssl_modes() {
    use tokio_postgres::config::SslMode as Driver;
    let mode = |s: &str| parse(s).pg_config().get_ssl_mode();
    assert_eq!(mode("host=h sslmode=disable"), Driver::Disable);
    assert_eq!(mode("host=h sslmode=allow"), Driver::Prefer);
    assert_eq!(mode("host=h"), Driver::Prefer);
    assert_eq!(mode("host=h sslmode=require"), Driver::Require);
    assert_eq!(mode("host=h sslmode=verify-ca"), Driver::Require);
    assert_eq!(mode("host=h sslmode=verify-full"), Driver::Require);
    assert_eq!(mode("host=/tmp sslmode=verify-full"), Driver::Disable);
}

#[test]
fn pg_config_contents() {
    let config = parse("postgres://bob:pw@h1:1,h2:2/db").pg_config();
    assert_eq!(config.get_ports(), [1, 2]);
    assert_eq!(config.get_hosts().len(), 2);
    assert_eq!(config.get_user(), Some("bob"));
    assert_eq!(config.get_dbname(), Some("db"));
    assert_eq!(config.get_password(), Some(&b"pw"[..]));
    assert_eq!(config.get_application_name(), Some("pggraft"));
    assert_eq!(config.get_connect_timeout(), Some(&DEFAULT_CONNECT_TIMEOUT));
}

#[test]
fn tls_connectors() {
    assert!(parse("host=h sslmode=require").tls_connector().is_ok());
    assert!(parse("host=h sslmode=verify-full sslrootcert=system").tls_connector().is_ok());

    let dir = tempfile::tempdir().unwrap();
    let env = env_of(&[("USER", "a")]);
    let spec =
        ConnSpec::parse_with_env("host=h sslmode=verify-ca", &env, Some(dir.path())).unwrap();
    let err = spec.tls_connector().err().expect("an error").to_string();
    assert!(err.contains(".postgresql/root.crt") && err.contains("does not exist"), "{err}");

    // require + a root file behaves as verify-ca, so a bad file is an error.
    let bad = dir.path().join("empty.pem");
    std::fs::write(&bad, "not a certificate\n").unwrap();
    let spec = parse(&format!("host=h sslmode=require sslrootcert='{}'", bad.display()));
    let err = spec.tls_connector().err().expect("an error").to_string();
    assert!(err.contains("no certificates found"), "{err}");
}

#[tokio::test]
async fn connect_refused_names_host_and_port() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let spec = parse(&format!("postgres://u:hunter2@127.0.0.1:{port}/db"));
    let err = spec.connect().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(text.contains(&format!("port {port}")), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

/// Issue #18, item 9: a server that is not PostgreSQL (here, one answering in HTTP) is named
/// as such, not reported as "bytes remaining on stream".
#[tokio::test]
async fn a_server_that_does_not_speak_postgresql_is_named_as_such() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(2) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    for mode in ["disable", "prefer"] {
        let spec = parse(&format!("postgres://u@127.0.0.1:{port}/db?sslmode={mode}"));
        let text = spec.connect().await.unwrap_err().to_string();
        assert!(text.contains("not in the PostgreSQL protocol"), "sslmode={mode}: {text}");
        assert!(text.contains(&format!("port {port}")), "{text}");
    }
}

#[tokio::test]
async fn connect_missing_socket() {
    let dir = tempfile::tempdir().unwrap();
    let spec = parse(&format!("host='{}' port=5999", dir.path().display()));
    let text = spec.connect().await.unwrap_err().to_string();
    assert!(text.contains("no server is listening on socket"), "{text}");
    assert!(text.contains(".s.PGSQL.5999"), "{text}");
}

#[tokio::test]
async fn connect_tries_every_host() {
    let dir = tempfile::tempdir().unwrap();
    let spec = parse(&format!("host='{0},{0}' port=5998,5999", dir.path().display()));
    let text = spec.connect().await.unwrap_err().to_string();
    assert!(text.contains(".s.PGSQL.5998") && text.contains(".s.PGSQL.5999"), "{text}");
}

#[test]
fn os_user_fallback_on_this_machine() {
    // Without USER/LOGNAME the passwd entry of this process is used.
    if Path::new("/proc/self").exists() {
        let spec = ConnSpec::parse_with_env("host=h", &env_of(&[]), None).unwrap();
        assert!(!spec.user().is_empty());
    }
}
