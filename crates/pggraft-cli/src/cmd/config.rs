//! `pggraft config show`: the configuration in effect — the file's named
//! connections and, per command, every flag's default with where it comes
//! from (the file, an environment variable, or pggraft's own default).
//! Passwords are masked; `${VAR}` references are shown, not their values.

use std::fmt::Write as _;

use anyhow::Result;
use clap::{Args, Command, Subcommand};

use crate::config::{self, Config, Value};
use crate::flags::JsonArg;
use crate::{Outcome, output};

#[derive(Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the merged configuration (file, environment, defaults), passwords masked.
    Show(ShowArgs),
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub json: JsonArg,
}

/// One flag's value in effect, and where it comes from.
#[derive(serde::Serialize)]
struct Setting {
    flag: String,
    value: serde_json::Value,
    from: String,
}

/// `applied` is the command line with the file's defaults; `base` the one
/// without, which keeps the declaration order of commands and flags.
pub fn show(a: &ShowArgs, cfg: &Config, base: &Command, applied: &Command) -> Result<Outcome> {
    let mut commands: Vec<(String, Vec<Setting>)> = vec![];
    collect(base, applied, "", cfg, &mut commands);
    if a.json.json {
        let conns: serde_json::Map<String, serde_json::Value> = cfg
            .connections
            .iter()
            .map(|(name, c)| {
                (
                    name.clone(),
                    serde_json::json!({
                        "url": config::mask_password(&c.raw),
                        "resolved": redacted(&c.url),
                    }),
                )
            })
            .collect();
        let cmds: serde_json::Map<String, serde_json::Value> = commands
            .into_iter()
            .map(|(path, settings)| (path, serde_json::to_value(settings).unwrap_or_default()))
            .collect();
        let body = serde_json::json!({ "file": cfg.path, "connections": conns, "commands": cmds });
        output::print_json("config", &body)?;
        return Ok(Outcome::Ok);
    }
    let mut out = String::new();
    match &cfg.path {
        Some(p) => {
            let _ = writeln!(out, "# config file: {}", p.display());
        }
        None => {
            let _ = writeln!(
                out,
                "# no config file ({} in the working directory, or --config FILE)",
                config::FILE_NAME
            );
        }
    }
    for (name, c) in &cfg.connections {
        let _ = writeln!(out, "\n[connections.{name}]");
        let _ = writeln!(out, "url = {:?}  # {}", config::mask_password(&c.raw), redacted(&c.url));
    }
    for (path, settings) in commands {
        let _ = writeln!(out, "\n[{}]", path.replace(' ', "."));
        let width = settings.iter().map(|s| s.flag.len() + s.value.to_string().len()).max();
        for s in settings {
            let line = format!("{} = {}", s.flag, s.value);
            let pad = width.unwrap_or(0) + 3;
            let _ = writeln!(out, "{line:<pad$}  # {}", s.from);
        }
    }
    output::write_out(None, &out)?;
    Ok(Outcome::Ok)
}

/// The connection as pggraft will use it, without its password.
fn redacted(url: &str) -> String {
    match pggraft::conn::ConnSpec::parse(url) {
        Ok(spec) => spec.redacted(),
        Err(e) => format!("invalid: {e}"),
    }
}

/// Every leaf command's flags that have a value without being typed, in
/// `base`'s order, with `applied`'s defaults.
fn collect(
    base: &Command,
    applied: &Command,
    prefix: &str,
    cfg: &Config,
    out: &mut Vec<(String, Vec<Setting>)>,
) {
    for sub in base.get_subcommands() {
        let name = sub.get_name();
        if matches!(name, "help" | "completions" | "man" | "config") {
            continue;
        }
        let Some(applied_sub) = applied.find_subcommand(name) else { continue };
        let path = if prefix.is_empty() { name.to_owned() } else { format!("{prefix} {name}") };
        if sub.get_subcommands().next().is_some() {
            collect(sub, applied_sub, &path, cfg, out);
            continue;
        }
        let file = cfg.defaults.get(&path);
        let mut settings = vec![];
        for arg in sub.get_arguments().filter(|a| !a.is_global_set()) {
            let Some(flag) = arg.get_long() else { continue };
            if matches!(flag, "help" | "version") {
                continue;
            }
            let env = arg
                .get_env()
                .and_then(|e| std::env::var(e).ok().map(|v| (e.to_string_lossy().into_owned(), v)));
            let defaults: Vec<String> = applied_sub
                .get_arguments()
                .find(|a| a.get_id() == arg.get_id())
                .map(|a| {
                    a.get_default_values()
                        .iter()
                        .map(|v| v.to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            let (value, from) = if let Some((name, v)) = env {
                (json_of(&Value::One(v)), format!("environment {name}"))
            } else if let Some(v) = file.and_then(|f| f.get(flag)) {
                (json_of(v), "config file".to_owned())
            } else if !defaults.is_empty() {
                let v = if arg.get_num_args().is_some_and(|n| n.max_values() > 1)
                    || matches!(arg.get_action(), clap::ArgAction::Append)
                {
                    Value::Many(defaults)
                } else {
                    Value::One(defaults[0].clone())
                };
                (json_of(&v), "default".to_owned())
            } else {
                continue;
            };
            settings.push(Setting { flag: flag.to_owned(), value, from });
        }
        if !settings.is_empty() {
            out.push((path, settings));
        }
    }
}

/// A value as JSON (and so as TOML-like text): numbers and booleans bare,
/// connection strings with their passwords masked.
fn json_of(v: &Value) -> serde_json::Value {
    let one = |s: &str| -> serde_json::Value {
        if let Ok(n) = s.parse::<i64>() {
            n.into()
        } else if let Ok(b) = s.parse::<bool>() {
            b.into()
        } else {
            config::mask_password(s).into()
        }
    };
    match v {
        Value::One(s) => one(s),
        Value::Many(vs) => vs.iter().map(|s| one(s)).collect::<Vec<_>>().into(),
    }
}
