//! Running one case: up (FROM → TO) and, unless `down = false`, down (TO → FROM), each on a
//! real database, checked against the dump of the other side, the rows it had, the hazards
//! `case.toml` expects and the snapshot of its script.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use pg_sandbox::TestDb;
use pggraft::catalog::{Catalog, key, read_catalog};
use pggraft::conn::ConnSpec;
use pggraft::diff::source::self_check as self_check_plan;
use pggraft::diff::{DiffOptions, HazardKind, Migration, diff};
use pggraft::select::SchemaFilter;
use pggraft::sql::QualifiedName;

use crate::case::{Case, Expect};
use crate::cluster;
use crate::rows::{Before, Plan};

/// Two databases serve both directions: up changes only FROM and down only TO, and both are
/// dumped and read before either script runs, so each direction starts from pristine
/// databases, as with four fresh ones, at half the cost.
pub async fn both_ways(case: &Case) -> Result<(), String> {
    let prefix = format!("diff_{}", case.name.split('_').next().unwrap_or_default());
    let from_db =
        load(&format!("{prefix}_from"), &case.from).map_err(|e| format!("from.sql: {e}"))?;
    let to_db = load(&format!("{prefix}_to"), &case.to).map_err(|e| format!("to.sql: {e}"))?;

    let from_dump = from_db.dump_schema(&[]).map_err(|e| format!("dump FROM: {e}"))?;
    let to_dump = to_db.dump_schema(&[]).map_err(|e| format!("dump TO: {e}"))?;
    let from_cat = catalog(&from_db).await.map_err(|e| format!("read FROM: {e}"))?;
    let to_cat = catalog(&to_db).await.map_err(|e| format!("read TO: {e}"))?;

    let options = case.settings.options();
    let up = Direction {
        name: "up",
        target: &from_db,
        current: &from_cat,
        wanted: &to_cat,
        wanted_dump: &to_dump,
        options: &options,
        expect: case.settings.up(),
    };
    up.check(&case.name).await.map_err(|e| format!("up: {e}"))?;
    if case.settings.down {
        let down = Direction {
            name: "down",
            target: &to_db,
            current: &to_cat,
            wanted: &from_cat,
            wanted_dump: &from_dump,
            options: &options,
            expect: case.settings.down(),
        };
        down.check(&case.name).await.map_err(|e| format!("down: {e}"))?;
    }
    Ok(())
}

struct Direction<'a> {
    /// `up` or `down`: the snapshot's suffix.
    name: &'static str,
    /// The database the script runs on, described by `current`.
    target: &'a TestDb<'static>,
    current: &'a Catalog,
    wanted: &'a Catalog,
    wanted_dump: &'a str,
    options: &'a DiffOptions,
    expect: Expect<'a>,
}

impl Direction<'_> {
    /// The semantic checks first and the snapshot last, so a script that does the wrong
    /// thing is reported as such and is not recorded by `INSTA_UPDATE=always`.
    async fn check(&self, case: &str) -> Result<(), String> {
        let migration =
            diff(self.current, self.wanted, self.options).map_err(|e| format!("diff: {e}"))?;
        let script = migration.script();
        let with_script = |msg: String| format!("{msg}\n--- script ---\n{script}");
        self.check_plan(&migration, &script).map_err(with_script)?;
        if self_check(case) && !migration.is_empty() {
            // The check `pggraft diff` runs before it prints, on the plan's scope only: it must
            // pass every plan that is right (the rest of this check says whether it is).
            let left = self_check_plan(self.current, self.wanted, &migration, self.options)
                .await
                .map_err(|e| with_script(format!("self-check: {e}")))?;
            if !left.is_empty() {
                return Err(with_script(format!(
                    "the self-check leaves something to do:\n{}",
                    left.script()
                )));
            }
        }

        let may_lose = if self.expect.data_loss() {
            dropped_tables(self.current, &migration)
        } else {
            [].into()
        };
        let plan =
            Plan { migration: &migration, may_lose: &may_lose, data_loss: self.expect.data_loss() };
        let before = Before::read(self.target, self.current, self.wanted, &plan)
            .map_err(|e| format!("reading the rows before: {e}"))?;
        if !migration.is_empty() {
            self.target.psql(&script).map_err(|e| with_script(format!("applying: {e}")))?;
        }

        let dump = self.target.dump_schema(&[]).map_err(|e| format!("dump after: {e}"))?;
        if dump != self.wanted_dump {
            let differences = text_diff(&dump, self.wanted_dump);
            return Err(with_script(format!("the dump after differs:\n{differences}")));
        }

        before.compare(self.target, &may_lose).map_err(|e| {
            with_script(format!(
                "{e}(if the migration is meant to drop them, case.toml says so: {} = \
                 [\"data-loss\", …])",
                if self.name == "up" { "hazards" } else { "down_hazards" }
            ))
        })?;

        let now = catalog(self.target).await.map_err(|e| format!("re-read: {e}"))?;
        let again = diff(&now, self.wanted, self.options).map_err(|e| format!("re-diff: {e}"))?;
        if !again.is_empty() {
            return Err(with_script(format!("a second diff is not empty:\n{}", again.script())));
        }

        if snapshots() {
            insta::with_settings!({
                snapshot_path => "../data/diff/snapshots",
                prepend_module_to_snapshot => false
            }, {
                insta::assert_snapshot!(format!("{case}_{}", self.name), script.as_str());
            });
        }
        Ok(())
    }

    /// What `case.toml` says of the plan, checked before it runs.
    fn check_plan(&self, migration: &Migration, script: &str) -> Result<(), String> {
        if let Some(expected) = self.expect.hazards {
            let reported: BTreeSet<HazardKind> = migration.hazards().map(|h| h.kind).collect();
            if &reported != expected {
                return Err(format!(
                    "hazards: case.toml expects {}, the diff reports {}",
                    kinds(expected),
                    kinds(&reported)
                ));
            }
        }
        let missing: Vec<&String> =
            self.expect.contains.iter().filter(|text| !script.contains(text.as_str())).collect();
        if !missing.is_empty() {
            return Err(format!("the script does not contain {missing:?}"));
        }
        Ok(())
    }
}

/// Tables of `current` that the migration drops (to create them again, or not), saying they
/// lose data: their rows may go.
fn dropped_tables(current: &Catalog, migration: &Migration) -> BTreeSet<QualifiedName> {
    let drops: BTreeSet<&str> = migration
        .changes
        .iter()
        .filter(|c| c.action == "drop" && c.hazards.iter().any(|h| h.kind == HazardKind::DataLoss))
        .map(|c| c.object.as_str())
        .collect();
    current
        .tables
        .iter()
        .filter(|t| drops.contains(key::relation(&t.name).as_str()))
        .map(|t| t.name.clone())
        .collect()
}

fn kinds(set: &BTreeSet<HazardKind>) -> String {
    let names: Vec<&str> = set.iter().map(|k| k.as_str()).collect();
    format!("[{}]", names.join(", "))
}

/// `PGGRAFT_DIFF_SNAPSHOTS=0` skips the snapshots, e.g. against a server whose superuser is not
/// `postgres`, which owners in the scripts name.
fn snapshots() -> bool {
    std::env::var("PGGRAFT_DIFF_SNAPSHOTS").map_or(true, |v| v != "0")
}

/// Whether `case`'s plans also go through the self-check. It costs a server-side copy of
/// FROM's scope per direction (the corpus takes about three times as long with it on every
/// case), and the round trip above already applies each plan to a real FROM: by default one
/// case in eight (by number) is self-checked, so every change to it still meets the corpus;
/// `PGGRAFT_DIFF_SELF_CHECK=1` checks every case, `=0` none.
fn self_check(case: &str) -> bool {
    match std::env::var("PGGRAFT_DIFF_SELF_CHECK").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => {
            let n: u32 = case.split('_').next().and_then(|n| n.parse().ok()).unwrap_or(0);
            n.is_multiple_of(8)
        }
    }
}

/// A fresh database loaded with `sql`.
fn load(prefix: &str, sql: &str) -> Result<TestDb<'static>, String> {
    let db = cluster()?.create_database(prefix).map_err(|e| e.to_string())?;
    db.psql(sql).map_err(|e| e.to_string())?;
    Ok(db)
}

async fn catalog(db: &TestDb<'_>) -> Result<Catalog, String> {
    let spec = ConnSpec::parse(&db.url()).map_err(|e| e.to_string())?;
    read_catalog(&spec, &SchemaFilter::all()).await.map_err(|e| e.to_string())
}

/// The lines only one text has (`-` first, `+` second); the whole texts' order aside.
pub fn text_diff(a: &str, b: &str) -> String {
    let al: Vec<&str> = a.lines().collect();
    let bl: Vec<&str> = b.lines().collect();
    let mut out = String::new();
    for l in al.iter().filter(|l| !bl.contains(l)) {
        let _ = writeln!(out, "- {l}");
    }
    for l in bl.iter().filter(|l| !al.contains(l)) {
        let _ = writeln!(out, "+ {l}");
    }
    if out.is_empty() {
        out.push_str("(the same lines, in another order or count)\n");
    }
    out
}
