//! `pggraft.toml`: named connections and per-command defaults.
//!
//! The file is found with `--config FILE` (or `PGGRAFT_CONFIG`), else as
//! `pggraft.toml` in the working directory; without one nothing changes.
//! It holds `[connections.NAME]` tables (`url = "…"`), used wherever a
//! connection is asked for by giving NAME instead of a connection string,
//! and one table per command (`[clone]`, `[verify]`, `[migrate]` for every
//! `migrate` subcommand or `[migrate.up]` for one, …) whose keys are that
//! command's long flags (`jobs = 8`, `schema-template = "…"`, `exclude-schema
//! = ["audit"]`; `_` may stand for `-`). String values may hold `${VAR}`,
//! replaced by the environment variable (so passwords stay out of the file),
//! and `$$` for a `$`.
//!
//! Precedence is what clap gives defaults: a flag given on the command line
//! beats its environment variable (`PGGRAFT_SOURCE`…), which beats the file,
//! which beats the built-in default. The file's values become the clap
//! arguments' defaults before parsing, so every flag, help text and check
//! stays where it is declared.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow, bail};
use clap::{ArgAction, Command};

/// The file looked for in the working directory.
pub const FILE_NAME: &str = "pggraft.toml";

/// A loaded configuration file.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it was read from; `None` when there is no file.
    pub path: Option<PathBuf>,
    /// Name → connection string, interpolated.
    pub connections: BTreeMap<String, Connection>,
    /// Command path (`clone`, `migrate up`) → flag (long name) → value.
    pub defaults: BTreeMap<String, BTreeMap<String, Value>>,
}

#[derive(Debug, Clone)]
pub struct Connection {
    /// As written in the file (`${VAR}` not replaced).
    pub raw: String,
    /// With `${VAR}` replaced.
    pub url: String,
}

/// A flag's value from the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    One(String),
    Many(Vec<String>),
}

/// The configuration of this run, set once by `main`.
static CURRENT: OnceLock<Config> = OnceLock::new();

pub fn set_current(config: Config) {
    let _ = CURRENT.set(config);
}

pub fn current() -> &'static Config {
    CURRENT.get_or_init(Config::default)
}

/// A connection as typed: a name from the file's `[connections]` stands
/// for its `url`; anything else is a connection string as it is.
pub fn resolve_connection(value: &str) -> &str {
    match current().connections.get(value) {
        Some(c) => &c.url,
        None => value,
    }
}

/// `--config FILE` (or `--config=FILE`) from the raw arguments, before
/// clap parses them: the file decides the defaults clap parses with.
pub fn config_arg(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let a = a.to_string_lossy();
        if a == "--" {
            break;
        }
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    None
}

impl Config {
    /// The file named by `--config`/`PGGRAFT_CONFIG` (which must exist), or
    /// `pggraft.toml` in the working directory if there is one.
    pub fn find(explicit: Option<PathBuf>, cmd: &Command) -> Result<Config> {
        let env = |name: &str| std::env::var(name).ok();
        let explicit = explicit.or_else(|| env("PGGRAFT_CONFIG").map(PathBuf::from));
        let path = match explicit {
            Some(p) => p,
            None => {
                let p = PathBuf::from(FILE_NAME);
                if !p.is_file() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the config file {}", path.display()))?;
        Config::parse(&text, &path, cmd, &env).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and checks a file's text against the commands of `cmd`.
    pub fn parse(
        text: &str,
        path: &Path,
        cmd: &Command,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let mut table: toml::Table = toml::from_str(text)?;
        let mut config = Config { path: Some(path.to_owned()), ..Config::default() };
        if let Some(conns) = table.remove("connections") {
            let toml::Value::Table(conns) = conns else {
                bail!("[connections] must be a table of [connections.NAME] tables");
            };
            for (name, c) in conns {
                let url = match &c {
                    toml::Value::Table(t) => match t.get("url") {
                        Some(toml::Value::String(u)) if t.len() == 1 => u.clone(),
                        _ => bail!("[connections.{name}]: expected one key, url = \"…\""),
                    },
                    _ => bail!("connections.{name}: expected a table with url = \"…\""),
                };
                let resolved =
                    interpolate(&url, env).with_context(|| format!("[connections.{name}] url"))?;
                config.connections.insert(name, Connection { raw: url, url: resolved });
            }
        }
        for (name, value) in table {
            let toml::Value::Table(keys) = value else {
                bail!("`{name}` must be a table ([{name}]) of flags");
            };
            let Some(sub) = cmd.find_subcommand(&name) else {
                bail!("[{name}]: no such command (commands: {})", command_names(cmd));
            };
            config.add_command(&name, sub, keys, env)?;
        }
        Ok(config)
    }

    /// `[name]`'s keys; for a command with subcommands (`migrate`), keys
    /// apply to each subcommand that has the flag, and `[name.sub]` tables
    /// to one.
    fn add_command(
        &mut self,
        name: &str,
        cmd: &Command,
        keys: toml::Table,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<()> {
        let has_subcommands = cmd.get_subcommands().next().is_some();
        for (key, value) in keys {
            if has_subcommands && let toml::Value::Table(inner) = value {
                let Some(sub) = cmd.find_subcommand(&key) else {
                    bail!("[{name}.{key}]: `{name}` has no subcommand `{key}`");
                };
                self.add_command(&format!("{name} {key}"), sub, inner, env)?;
                continue;
            }
            let flag = key.replace('_', "-");
            let value = to_value(&value, env).with_context(|| format!("[{name}] {key}"))?;
            let targets: Vec<(String, &Command)> = if has_subcommands {
                cmd.get_subcommands()
                    .filter(|s| find_arg(s, &flag).is_some())
                    .map(|s| (format!("{name} {}", s.get_name()), s))
                    .collect()
            } else {
                vec![(name.to_owned(), cmd)]
            };
            let mut any = false;
            for (path, sub) in targets {
                let Some(arg) = find_arg(sub, &flag) else { continue };
                check_value(arg, &value).with_context(|| format!("[{name}] {key}"))?;
                let value = self.relative_to_file(arg, value.clone());
                self.defaults.entry(path).or_default().insert(flag.clone(), value);
                any = true;
            }
            if !any {
                bail!("[{name}] {key}: `{name}` has no flag --{flag} (flags: {})", flag_names(cmd));
            }
        }
        Ok(())
    }

    /// Paths in the file are relative to the file's folder, wherever
    /// pggraft runs from (`dir = "migrations"` beside `pggraft.toml`).
    fn relative_to_file(&self, arg: &clap::Arg, value: Value) -> Value {
        use clap::ValueHint;
        let is_path = matches!(
            arg.get_value_hint(),
            ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
        );
        let base =
            self.path.as_deref().and_then(Path::parent).filter(|d| !d.as_os_str().is_empty());
        let (true, Some(base)) = (is_path, base) else { return value };
        let fix = |v: String| {
            if Path::new(&v).is_absolute() {
                v
            } else {
                base.join(v).to_string_lossy().into_owned()
            }
        };
        match value {
            Value::One(v) => Value::One(fix(v)),
            Value::Many(vs) => Value::Many(vs.into_iter().map(fix).collect()),
        }
    }

    /// `cmd` with the file's values as its arguments' defaults.
    pub fn apply(&self, mut cmd: Command) -> Command {
        for (path, flags) in &self.defaults {
            let names: Vec<&str> = path.split(' ').collect();
            cmd = apply_to(cmd, &names, flags);
        }
        cmd
    }
}

fn apply_to(cmd: Command, path: &[&str], flags: &BTreeMap<String, Value>) -> Command {
    match path {
        [] => flags.iter().fold(cmd, |cmd, (flag, value)| {
            let Some(id) = find_arg(&cmd, flag).map(|a| a.get_id().to_string()) else {
                return cmd;
            };
            let value = value.clone();
            // A required flag (`--source`) with a value from the file is
            // required no more.
            cmd.mut_arg(id, move |a| match value {
                Value::One(v) => a.default_value(v).required(false),
                Value::Many(vs) => a.default_values(vs).required(false),
            })
        }),
        [first, rest @ ..] => {
            let rest: Vec<&str> = rest.to_vec();
            let flags = flags.clone();
            cmd.mut_subcommand(*first, move |sub| apply_to(sub, &rest, &flags))
        }
    }
}

/// The argument whose long name is `flag`.
fn find_arg<'a>(cmd: &'a Command, flag: &str) -> Option<&'a clap::Arg> {
    cmd.get_arguments().find(|a| a.get_long() == Some(flag) && !a.is_global_set())
}

/// A TOML value as flag text: strings (interpolated), integers, booleans,
/// or arrays of them for repeatable flags.
fn to_value(v: &toml::Value, env: &dyn Fn(&str) -> Option<String>) -> Result<Value> {
    let one = |v: &toml::Value| -> Result<String> {
        Ok(match v {
            toml::Value::String(s) => interpolate(s, env)?,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            other => bail!("expected a string, number or boolean, not {}", other.type_str()),
        })
    };
    Ok(match v {
        toml::Value::Array(items) => Value::Many(items.iter().map(one).collect::<Result<_>>()?),
        v => Value::One(one(v)?),
    })
}

/// Refuses a list for a flag given once, and a non-boolean for a switch;
/// whether the value itself is valid is clap's to say when it parses.
fn check_value(arg: &clap::Arg, value: &Value) -> Result<()> {
    let repeatable = matches!(arg.get_action(), ArgAction::Append);
    let switch = matches!(arg.get_action(), ArgAction::SetTrue);
    match value {
        Value::Many(_) if !repeatable => bail!("--{} takes one value, not a list", long(arg)),
        Value::One(v) if switch && v != "true" && v != "false" => {
            bail!("--{} is a switch: true or false", long(arg))
        }
        _ => Ok(()),
    }
}

fn long(arg: &clap::Arg) -> &str {
    arg.get_long().unwrap_or("?")
}

fn command_names(cmd: &Command) -> String {
    let names: Vec<&str> = cmd.get_subcommands().map(Command::get_name).collect();
    names.join(", ")
}

fn flag_names(cmd: &Command) -> String {
    let mut names: Vec<&str> = cmd
        .get_arguments()
        .chain(cmd.get_subcommands().flat_map(Command::get_arguments))
        .filter(|a| !a.is_global_set())
        .filter_map(clap::Arg::get_long)
        .filter(|l| *l != "help")
        .collect();
    names.sort_unstable();
    names.dedup();
    names.join(", ")
}

/// Replaces `${VAR}` by the variable's value and `$$` by `$`. An unset
/// variable is an error that names it.
pub fn interpolate(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = r.find('}').ok_or_else(|| anyhow!("unclosed ${{ in {text:?}"))?;
            let name = &r[..end];
            let value = env(name).ok_or_else(|| {
                anyhow!("environment variable {name} is not set (used as ${{{name}}})")
            })?;
            out.push_str(&value);
            rest = &r[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A connection string as written, with any password written into it
/// replaced by `***` (`${VAR}` references are kept: they are not secrets).
pub fn mask_password(conn: &str) -> String {
    let trimmed = conn.trim();
    if let Some((scheme, rest)) = trimmed.split_once("://") {
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let masked = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => match userinfo.split_once(':') {
                Some((user, pw)) if !is_reference(pw) => format!("{user}:***@{hosts}"),
                _ => authority.to_owned(),
            },
            None => authority.to_owned(),
        };
        let tail = mask_query_password(tail);
        return format!("{scheme}://{masked}{tail}");
    }
    // Keyword/value: the word after `password=` (quoted or not).
    let mut out = String::new();
    let mut rest = trimmed;
    while let Some(at) = rest.find("password") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let after_key = from["password".len()..].trim_start();
        let preceded = before.is_empty() || before.ends_with(char::is_whitespace);
        match after_key.strip_prefix('=') {
            Some(v) if preceded => {
                let v = v.trim_start();
                let (value, tail) = if let Some(q) = v.strip_prefix('\'') {
                    match q.find('\'') {
                        Some(e) => v.split_at(e + 2),
                        None => (v, ""),
                    }
                } else {
                    v.split_at(v.find(char::is_whitespace).unwrap_or(v.len()))
                };
                out.push_str("password=");
                out.push_str(if is_reference(value.trim_matches('\'')) { value } else { "***" });
                rest = tail;
            }
            _ => {
                out.push_str("password");
                rest = &from["password".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn mask_query_password(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else { return tail.to_owned() };
    let pairs: Vec<String> = query
        .split('&')
        .map(|p| match p.split_once('=') {
            Some(("password", v)) if !is_reference(v) => "password=***".to_owned(),
            _ => p.to_owned(),
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// A value that is only a `${VAR}` reference.
fn is_reference(v: &str) -> bool {
    v.starts_with("${") && v.ends_with('}') && v.matches("${").count() == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |n: &str| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
    }

    fn cli() -> Command {
        use clap::CommandFactory;
        crate::Cli::command()
    }

    fn parse(text: &str, vars: &[(&str, &str)]) -> Result<Config> {
        Config::parse(text, Path::new("pggraft.toml"), &cli(), &env_of(vars))
    }

    #[test]
    fn interpolation() {
        let env = env_of(&[("PW", "s3cret"), ("HOST", "db")]);
        assert_eq!(
            interpolate("postgres://u:${PW}@${HOST}/x", &env).unwrap(),
            "postgres://u:s3cret@db/x"
        );
        assert_eq!(interpolate("a $$ b $x ${HOST}", &env).unwrap(), "a $ b $x db");
        let err = interpolate("${NOPE}", &env).unwrap_err().to_string();
        assert!(err.contains("NOPE"), "{err}");
        assert!(interpolate("${PW", &env).is_err());
    }

    #[test]
    fn passwords_are_masked_but_references_shown() {
        assert_eq!(mask_password("postgres://u:hunter2@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(mask_password("postgres://u:${PW}@h/db"), "postgres://u:${PW}@h/db");
        assert_eq!(
            mask_password("postgres://u@h/db?password=x&sslmode=require"),
            "postgres://u@h/db?password=***&sslmode=require"
        );
        assert_eq!(
            mask_password("host=h password=hunter2 dbname=d"),
            "host=h password=*** dbname=d"
        );
        assert_eq!(mask_password("host=h password='a b' dbname=d"), "host=h password=*** dbname=d");
        assert_eq!(mask_password("host=h password=${PW}"), "host=h password=${PW}");
        assert_eq!(mask_password("service=prod"), "service=prod");
    }

    #[test]
    fn connections_and_defaults_are_read_and_checked() {
        let text = r#"
            [connections.prod]
            url = "postgres://deploy:${PW}@db.example.com/app"
            [connections.local]
            url = "service=local"

            [clone]
            jobs = 8
            schema_template = "dw__{schema}"
            exclude-schema = ["audit", "tmp_*"]
            no-owner = true

            [migrate]
            dir = "db/migrations"
            [migrate.status]
            target = "prod"
        "#;
        let c = parse(text, &[("PW", "pw1")]).unwrap();
        assert_eq!(c.connections["prod"].url, "postgres://deploy:pw1@db.example.com/app");
        assert_eq!(c.connections["prod"].raw, "postgres://deploy:${PW}@db.example.com/app");
        let clone = &c.defaults["clone"];
        assert_eq!(clone["jobs"], Value::One("8".into()));
        assert_eq!(clone["schema-template"], Value::One("dw__{schema}".into()));
        assert_eq!(clone["exclude-schema"], Value::Many(vec!["audit".into(), "tmp_*".into()]));
        // [migrate] keys reach every migrate subcommand that has the flag.
        for sub in ["new", "status", "up", "down", "baseline"] {
            assert_eq!(
                c.defaults[&format!("migrate {sub}")]["dir"],
                Value::One("db/migrations".into())
            );
        }
        assert_eq!(c.defaults["migrate status"]["target"], Value::One("prod".into()));
        assert!(!c.defaults["migrate up"].contains_key("target"));
    }

    #[test]
    fn mistakes_are_errors_naming_them() {
        let err = |text: &str| format!("{:#}", parse(text, &[]).unwrap_err());
        assert!(err("[clone]\njobz = 3\n").contains("--jobz"));
        assert!(err("[clonee]\njobs = 3\n").contains("[clonee]"));
        assert!(err("[clone]\njobs = [1, 2]\n").contains("one value"));
        assert!(err("[clone]\nno-owner = 3\n").contains("switch"));
        assert!(err("[connections.x]\nurl = \"${UNSET_VAR}\"\n").contains("UNSET_VAR"));
        assert!(err("[connections.x]\nhost = \"h\"\n").contains("url"));
        assert!(err("[migrate.sideways]\ndir = \"x\"\n").contains("sideways"));
        assert!(err("not toml").contains("TOML") || err("not toml").contains("expected"));
    }

    #[test]
    fn the_file_becomes_clap_defaults_and_flags_beat_it() {
        use clap::FromArgMatches;
        let c = parse(
            "[verify]\nlevel = \"rows\"\njobs = 3\n[clone]\nexclude-schema = [\"audit\"]\n",
            &[],
        )
        .unwrap();
        let cmd = c.apply(cli());
        let m = cmd
            .clone()
            .try_get_matches_from(["pggraft", "verify", "--source", "a", "--target", "b"])
            .unwrap();
        let (_, sub) = m.subcommand().unwrap();
        assert_eq!(sub.get_one::<usize>("jobs"), Some(&3));
        let cli = crate::Cli::from_arg_matches(&m).unwrap();
        let crate::Command::Verify(v) = cli.command else { panic!("not verify") };
        assert!(matches!(v.level, crate::cmd::verify::LevelArg::Rows));
        let m = cmd
            .try_get_matches_from([
                "pggraft", "verify", "--source", "a", "--target", "b", "--level", "counts", "-j",
                "2",
            ])
            .unwrap();
        let (_, sub) = m.subcommand().unwrap();
        assert_eq!(sub.get_one::<usize>("jobs"), Some(&2));
        let cli = crate::Cli::from_arg_matches(&m).unwrap();
        let crate::Command::Verify(v) = cli.command else { panic!("not verify") };
        assert!(matches!(v.level, crate::cmd::verify::LevelArg::Counts));
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        let text = "[migrate]\ndir = \"db/migrations\"\n[clone]\nfilters = \"/abs/f.ini\"\nschema-template = \"x/{schema}\"\n";
        let c =
            Config::parse(text, Path::new("/srv/app/pggraft.toml"), &cli(), &env_of(&[])).unwrap();
        assert_eq!(c.defaults["migrate up"]["dir"], Value::One("/srv/app/db/migrations".into()));
        assert_eq!(c.defaults["clone"]["filters"], Value::One("/abs/f.ini".into()));
        assert_eq!(c.defaults["clone"]["schema-template"], Value::One("x/{schema}".into()));
    }

    #[test]
    fn config_arg_is_found_before_parsing() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            config_arg(&args(&["pggraft", "clone", "--config", "x.toml"])),
            Some("x.toml".into())
        );
        assert_eq!(
            config_arg(&args(&["pggraft", "--config=y.toml", "verify"])),
            Some("y.toml".into())
        );
        assert_eq!(config_arg(&args(&["pggraft", "diff", "--", "--config", "z"])), None);
    }
}
