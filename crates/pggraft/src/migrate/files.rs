//! Migration files on disk: `<version>_<name>.up.sql` and
//! `<version>_<name>.down.sql` in one folder, the version a UTC timestamp
//! `YYYYMMDDHHMMSS`. Loading checks the folder as a whole (every `.sql`
//! file named by the pattern, every up with its down, no version twice)
//! before anything runs; writing renders a diff with a header that says
//! where it came from (connections without their passwords) and its hazards.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::checksum;
use super::script::render_script;
use crate::diff::Migration;
use crate::error::{Error, Result};

/// Digits in a version.
const VERSION_LEN: usize = 14;

/// One migration: both files, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFile {
    /// `YYYYMMDDHHMMSS`.
    pub version: String,
    /// `[a-z0-9_]+`.
    pub name: String,
    pub up_path: PathBuf,
    pub down_path: PathBuf,
    pub up_sql: String,
    pub down_sql: String,
    /// SHA-256 (hex) of the up file, as recorded when it is applied.
    pub checksum: String,
}

impl MigrationFile {
    /// `<version>_<name>`.
    pub fn id(&self) -> String {
        format!("{}_{}", self.version, self.name)
    }
}

/// A folder of migrations, in version order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dir {
    pub path: PathBuf,
    pub migrations: Vec<MigrationFile>,
}

impl Dir {
    /// Reads and checks every migration in `path`. Files that do not end in
    /// `.sql` (a README, say) and subfolders are ignored; any `.sql` file
    /// whose name does not follow the pattern is an error, so that a
    /// misnamed migration is never silently skipped.
    pub fn load(path: &Path) -> Result<Dir> {
        if !path.is_dir() {
            return Err(Error::input(format!(
                "migrations directory {} does not exist (create one with `pggraft migrate new NAME \
                 --dir {}`, or pass --dir)",
                path.display(),
                path.display()
            )));
        }
        let entries = std::fs::read_dir(path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let mut malformed = vec![];
        // version → the names using it, with their files.
        let mut found: BTreeMap<String, Vec<Pair>> = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            let p = entry.path();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if p.is_dir() || !file_name.ends_with(".sql") {
                continue;
            }
            let Some((version, name, up)) = parse_file_name(&file_name) else {
                malformed.push(file_name);
                continue;
            };
            let slot = found.entry(version.to_string()).or_default();
            let i = match slot.iter().position(|x| x.name == name) {
                Some(i) => i,
                None => {
                    slot.push(Pair { name: name.to_string(), up: None, down: None });
                    slot.len() - 1
                }
            };
            if up {
                slot[i].up = Some(p);
            } else {
                slot[i].down = Some(p);
            }
        }
        if !malformed.is_empty() {
            malformed.sort();
            return Err(Error::input(format!(
                "{}: these files are not named <version>_<name>.up.sql or <version>_<name>.down.sql \
                 (version: 14 digits YYYYMMDDHHMMSS, name: a-z, 0-9 and _): {}; rename them or move \
                 them out of the folder",
                path.display(),
                malformed.join(", ")
            )));
        }
        let mut problems = vec![];
        let mut migrations = vec![];
        for (version, names) in found {
            if names.len() > 1 {
                let list: Vec<String> =
                    names.iter().map(|x| format!("{version}_{}", x.name)).collect();
                problems.push(format!(
                    "version {version} is used by more than one migration ({}); give each its own version",
                    list.join(", ")
                ));
                continue;
            }
            let Some(Pair { name, up, down }) = names.into_iter().next() else {
                continue;
            };
            match (up, down) {
                (Some(up), Some(down)) => {
                    let up_bytes = read(&up)?;
                    let checksum = checksum(&up_bytes);
                    migrations.push(MigrationFile {
                        version,
                        name,
                        up_sql: utf8(&up, up_bytes)?,
                        down_sql: utf8(&down, read(&down)?)?,
                        up_path: up,
                        down_path: down,
                        checksum,
                    });
                }
                (Some(_), None) => problems
                    .push(format!("{version}_{name}.up.sql has no {version}_{name}.down.sql")),
                (None, Some(_)) => problems
                    .push(format!("{version}_{name}.down.sql has no {version}_{name}.up.sql")),
                (None, None) => {}
            }
        }
        if !problems.is_empty() {
            return Err(Error::input(format!("{}: {}", path.display(), problems.join("; "))));
        }
        Ok(Dir { path: path.to_path_buf(), migrations })
    }

    pub fn get(&self, version: &str) -> Option<&MigrationFile> {
        self.migrations.iter().find(|m| m.version == version)
    }
}

/// The files of one `<version>_<name>` found while loading.
struct Pair {
    name: String,
    up: Option<PathBuf>,
    down: Option<PathBuf>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| Error::input(format!("{} is not valid UTF-8", path.display())))
}

/// `(version, name, is_up)` of a well-formed file name.
fn parse_file_name(file: &str) -> Option<(&str, &str, bool)> {
    let (stem, up) = match file.strip_suffix(".up.sql") {
        Some(s) => (s, true),
        None => (file.strip_suffix(".down.sql")?, false),
    };
    let (version, name) = stem.split_once('_')?;
    let ok = version.len() == VERSION_LEN
        && version.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some((version, name, up))
}

/// A migration name as it goes into a file name: lower case, runs of
/// anything but `a-z`, `0-9` and `_` replaced by one `_`, at most 100
/// characters.
pub fn sanitize_name(name: &str) -> Result<String> {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out: String = out.trim_matches('_').chars().take(100).collect();
    if out.is_empty() {
        return Err(Error::input(format!(
            "migration name {name:?} has no letters or digits; use something like add_email"
        )));
    }
    Ok(out)
}

/// The current time as a version, `YYYYMMDDHHMMSS` in UTC.
pub fn new_version() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    version_at(secs)
}

/// `YYYYMMDDHHMMSS` for seconds since the epoch (UTC).
fn version_at(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Seconds since the epoch of a version (for stepping past a taken one).
fn version_secs(v: &str) -> Option<u64> {
    if v.len() != VERSION_LEN || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| v[r].parse::<i64>().ok();
    let days = days_from_civil(n(0..4)?, n(4..6)?, n(6..8)?);
    let secs = days * 86_400 + n(8..10)? * 3600 + n(10..12)? * 60 + n(12..14)?;
    u64::try_from(secs).ok()
}

/// A version after `after` (the current time, or one second past `after`
/// when that is not later): versions stay unique and increasing even when
/// two migrations are written within one second.
pub(crate) fn next_version(after: Option<&str>) -> String {
    let now = new_version();
    match after {
        Some(last) if last >= now.as_str() => {
            version_secs(last).map(|s| version_at(s + 1)).unwrap_or(now)
        }
        _ => now,
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What the header of a new migration says about where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// The schema as it is (FROM): a connection without its password, or a
    /// path. Empty for a migration written by hand (no line in the header).
    pub source: String,
    /// The schema as it should be (TO), in the same forms.
    pub target: String,
    /// Schema mappings, as given (`app`, `dev=prod`).
    pub schemas: Vec<String>,
    /// Online-safe statements: the file starts with `SET lock_timeout`.
    pub online: bool,
    /// The hints the diff was given for this direction, as flags
    /// (`--using 'app.events.at=to_timestamp(at)'`), so the file says how
    /// it was made.
    pub hints: Vec<String>,
    /// The same for the other direction (the down file's).
    pub down_hints: Vec<String>,
}

/// The files [`write_new`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFiles {
    pub version: String,
    pub name: String,
    pub up: PathBuf,
    pub down: PathBuf,
}

/// Writes `<version>_<name>.up.sql` and `.down.sql` into `dir` (created
/// when missing). The version is the current UTC time, or one second past
/// the newest migration already in `dir`. Existing files are never
/// overwritten.
pub fn write_new(
    dir: &Path,
    name: &str,
    up: &Migration,
    down: &Migration,
    header: &Header,
) -> Result<NewFiles> {
    let name = sanitize_name(name)?;
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let newest = newest_version(dir)?;
    let version = next_version(newest.as_deref());
    let id = format!("{version}_{name}");
    let up_path = dir.join(format!("{id}.up.sql"));
    let down_path = dir.join(format!("{id}.down.sql"));
    let reversed = Header {
        source: header.target.clone(),
        target: header.source.clone(),
        hints: header.down_hints.clone(),
        down_hints: header.hints.clone(),
        ..header.clone()
    };
    write_file(&up_path, &render(&id, "up", up, header))?;
    if let Err(e) = write_file(&down_path, &render(&id, "down", down, &reversed)) {
        let _ = std::fs::remove_file(&up_path);
        return Err(e);
    }
    Ok(NewFiles { version, name, up: up_path, down: down_path })
}

/// The newest version among the `.sql` files of `dir`, well-formed or not
/// (a half-written folder must not make `new` reuse a version).
fn newest_version(dir: &Path) -> Result<Option<String>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    Ok(entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let f = e.file_name().to_string_lossy().into_owned();
            parse_file_name(&f).map(|(v, _, _)| v.to_string())
        })
        .max())
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    f.write_all(text.as_bytes()).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

/// A migration file's text: the header, then the statements.
pub(crate) fn render(id: &str, direction: &str, m: &Migration, header: &Header) -> String {
    let mut s = format!("-- pggraft migration {id} ({direction})\n");
    if !header.source.is_empty() {
        let _ = writeln!(s, "-- source: {}", header.source);
    }
    if !header.target.is_empty() {
        let _ = writeln!(s, "-- target: {}", header.target);
    }
    if !header.schemas.is_empty() {
        let _ = writeln!(s, "-- schemas: {}", header.schemas.join(", "));
    }
    for h in &header.hints {
        let _ = writeln!(s, "-- hint: {h}");
    }
    // An empty migration is to be written by hand: no hazards to report.
    let hazards: Vec<_> = m.hazards().collect();
    if !m.is_empty() {
        if hazards.is_empty() {
            s.push_str("-- hazards: none\n");
        } else {
            s.push_str("-- hazards:\n");
            for h in hazards {
                let _ = writeln!(s, "--   {}: {}", h.kind.as_str(), h.detail);
            }
        }
    }
    if m.changes.iter().any(|c| !c.transactional) {
        s.push_str(
            "-- runs outside a transaction block, statement by statement (it holds statements \
             that cannot run in one)\n",
        );
    }
    s.push('\n');
    if m.is_empty() {
        s.push_str("-- no statements yet: write them below\n");
        return s;
    }
    s.push_str(&render_script(m, header.online));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_utc_timestamps() {
        assert_eq!(version_at(0), "19700101000000");
        assert_eq!(version_at(951_782_400 + 86_399), "20000229235959");
        assert_eq!(version_at(1_767_225_600), "20260101000000");
        for v in ["19700101000000", "20000229235959", "20260101000000", "20991231120000"] {
            assert_eq!(version_at(version_secs(v).unwrap()), v);
        }
        assert_eq!(next_version(Some("29991231235959")), "30000101000000");
        assert!(next_version(Some("20000101000000")).as_str() > "20000101000000");
    }

    #[test]
    fn names_are_sanitized() {
        assert_eq!(sanitize_name("Add Email to Users!").unwrap(), "add_email_to_users");
        assert_eq!(sanitize_name("  __x--y__ ").unwrap(), "x_y");
        assert!(sanitize_name("!!!").is_err());
    }

    #[test]
    fn file_names() {
        assert_eq!(
            parse_file_name("20260101000000_a_b.up.sql"),
            Some(("20260101000000", "a_b", true))
        );
        assert_eq!(
            parse_file_name("20260101000000_a.down.sql"),
            Some(("20260101000000", "a", false))
        );
        for bad in [
            "2026_a.up.sql",
            "20260101000000_A.up.sql",
            "20260101000000.up.sql",
            "20260101000000_a.sql",
            "20260101000000_.up.sql",
            "x20260101000000_a.up.sql",
        ] {
            assert_eq!(parse_file_name(bad), None, "{bad}");
        }
    }
}
