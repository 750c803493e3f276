//! One corpus case: its folder's `from.sql` and `to.sql`, and what its optional `case.toml`
//! asks for. Running a case is left to [`crate::check`].

use std::collections::BTreeSet;
use std::path::Path;

use pggraft::diff::{DiffOptions, HazardKind};
use serde::Deserialize;

pub struct Case {
    pub name: String,
    pub from: String,
    pub to: String,
    pub settings: Settings,
}

/// `case.toml`; every key is optional, and a case without the file gets the defaults.
///
/// ```toml
/// online = true                      # DiffOptions::online, both directions
/// down = false                       # skip TO → FROM
/// hazards = ["data-loss"]            # up reports exactly these kinds of hazard
/// down_hazards = []                  # down reports none
/// contains = ["NOT VALID"]           # the up script contains these texts
/// down_contains = ["DROP INDEX"]
/// ```
///
/// Without `hazards` (or `down_hazards`) the kinds are not checked, though the snapshots still
/// show them. A table may lose its rows only if the migration drops it and the direction's list
/// names `data-loss`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub online: bool,
    pub down: bool,
    pub hazards: Option<BTreeSet<HazardKind>>,
    pub down_hazards: Option<BTreeSet<HazardKind>>,
    pub contains: Vec<String>,
    pub down_contains: Vec<String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            online: false,
            down: true,
            hazards: None,
            down_hazards: None,
            contains: vec![],
            down_contains: vec![],
        }
    }
}

/// What one direction of a case expects.
pub struct Expect<'a> {
    pub hazards: Option<&'a BTreeSet<HazardKind>>,
    pub contains: &'a [String],
}

impl Expect<'_> {
    pub fn data_loss(&self) -> bool {
        self.hazards.is_some_and(|h| h.contains(&HazardKind::DataLoss))
    }
}

impl Settings {
    #[allow(clippy::needless_update, reason = "DiffOptions may grow; case.toml need not")]
    pub fn options(&self) -> DiffOptions {
        DiffOptions { online: self.online, ..DiffOptions::default() }
    }

    pub fn up(&self) -> Expect<'_> {
        Expect { hazards: self.hazards.as_ref(), contains: &self.contains }
    }

    pub fn down(&self) -> Expect<'_> {
        Expect { hazards: self.down_hazards.as_ref(), contains: &self.down_contains }
    }
}

/// The case folders under `dir`, sorted; `snapshots` holds no case.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "snapshots")
        .collect();
    names.sort();
    names
}

impl Case {
    /// Reads the case folder `dir/name`; a missing SQL file or a bad `case.toml` fails this
    /// case only.
    pub fn load(dir: &Path, name: &str) -> Result<Case, String> {
        let folder = dir.join(name);
        let read = |file: &str| {
            let path = folder.join(file);
            std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))
        };
        let settings = match read("case.toml") {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| format!("{}: {e}", folder.join("case.toml").display()))?,
            Err(_) if !folder.join("case.toml").exists() => Settings::default(),
            Err(e) => return Err(e),
        };
        Ok(Case { name: name.to_owned(), from: read("from.sql")?, to: read("to.sql")?, settings })
    }
}
