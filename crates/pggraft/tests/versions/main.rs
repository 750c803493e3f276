//! The PostgreSQL version matrix, opt in: `PGGRAFT_VERSIONS` lists server bin directories
//! (`/opt/pg/14/bin,/usr/lib/postgresql/15/bin,…`; `scripts/test-versions.sh` installs them and
//! sets it). One throwaway cluster per version, started on first use. The cases, each a named
//! test (`cargo test -p pggraft --test versions -- --list`):
//!
//! - `inspect::pgN`: the sample schema read on N, its SQL applied on N again, read back equal
//!   (and `pg_dump --schema-only` equal where the machine's pg_dump is new enough);
//! - `same::pgN`: not-null constraints as 18 names them (inheritance, partitions made in
//!   place and attached), on 17+ an exclusion constraint on a partitioned table, on 18 its
//!   new kinds of constraint, cloned within N with their rows, `pg_dump --schema-only` equal;
//! - `clone::pgA_to_pgB`: the sample with its rows cloned from A to B and verified clean
//!   (structure, sequences, every row's checksum), for every ordered pair;
//! - `downgrade::pgA_to_pgB`: 17's and 18's new constraints onto an older server, refused up
//!   front naming each; the rest copied, NOT VALID NOT NULLs left out with a warning;
//! - `diff::pgA_to_pgB`: the same schema on A and on B diffs empty; a changed one diffs to a
//!   migration that, applied on A, leaves nothing to diff;
//! - `apps::<app>::pgA_to_pgB`: the application schemas of `tests/data/apps` (without PostGIS)
//!   with their rows cloned from A to B and verified clean, for pairs of 15 and later (they use
//!   15's `NULLS NOT DISTINCT` and `security_invoker`).
//!
//! - `features::<feature>::pgA_to_pgB`: the features whose server side differs by version
//!   (`features.rs`), between the oldest and the newest version listed, both ways, and within
//!   the newest.
//!
//! Without `PGGRAFT_VERSIONS` a single ignored case says how to run it.

mod features;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};
use pg_sandbox::{Cluster, TestDb};
use pggraft::catalog::read_catalog;
use pggraft::clone::{self as clone_api, CloneOptions};
use pggraft::conn::ConnSpec;
use pggraft::diff::DiffOptions;
use pggraft::diff::source::Input;
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;
use pggraft::select::SchemaFilter;
use pggraft::verify::{VerifyOptions, verify};

const SAMPLE: &str = pggraft::sample::SCHEMA;
const SAMPLE_DATA: &str = pggraft::sample::DATA;
const SAMPLE_SCHEMAS: &[&str] = pggraft::sample::SCHEMAS;

/// A server bin directory and its major version.
#[derive(Clone)]
struct Version {
    major: u32,
    bindir: PathBuf,
}

fn versions() -> Result<Vec<Version>, String> {
    let Some(list) = std::env::var_os("PGGRAFT_VERSIONS").filter(|v| !v.is_empty()) else {
        return Ok(vec![]);
    };
    let list = list.into_string().map_err(|_| "PGGRAFT_VERSIONS is not UTF-8".to_string())?;
    let mut out: Vec<Version> = vec![];
    for dir in list.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let bindir = PathBuf::from(dir);
        let major = major_of(&bindir.join("postgres"))?;
        if out.iter().any(|v| v.major == major) {
            return Err(format!("PGGRAFT_VERSIONS lists PostgreSQL {major} twice"));
        }
        out.push(Version { major, bindir });
    }
    out.sort_by_key(|v| v.major);
    Ok(out)
}

/// The major version of a PostgreSQL program (`postgres (PostgreSQL) 17.2` → 17).
fn major_of(program: &Path) -> Result<u32, String> {
    let out = Command::new(program)
        .arg("--version")
        .output()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .last()
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| format!("{}: no version in {text:?}", program.display()))
}

/// The cluster of a version, started once and kept for the process (its watchdog removes it
/// when the process ends).
fn cluster(v: &Version) -> Result<&'static Cluster, Failed> {
    static CLUSTERS: OnceLock<Mutex<BTreeMap<u32, &'static Cluster>>> = OnceLock::new();
    let mut map = CLUSTERS.get_or_init(Default::default).lock().expect("cluster map");
    if let Some(c) = map.get(&v.major) {
        return Ok(c);
    }
    let c: &'static Cluster = Box::leak(Box::new(
        Cluster::start_in(&v.bindir)
            .map_err(|e| format!("starting PostgreSQL {}: {e}", v.major))?,
    ));
    // The roles the sample's and the applications' owners and grants name, on every cluster.
    c.psql(
        "postgres",
        "DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_reader') THEN CREATE ROLE app_reader; END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'App Writer') THEN CREATE ROLE \"App Writer\"; END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'saas_app') THEN CREATE ROLE saas_app; END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'saas_readonly') THEN CREATE ROLE saas_readonly; END IF;
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'saas_support') THEN CREATE ROLE saas_support; END IF;
         END $$;",
    )
    .map_err(|e| format!("creating roles on PostgreSQL {}: {e}", v.major))?;
    map.insert(v.major, c);
    Ok(c)
}

fn db(v: &Version, prefix: &str, sql: &str) -> Result<TestDb<'static>, Failed> {
    let db = cluster(v)?.create_database(prefix)?;
    if !sql.is_empty() {
        db.psql(sql).map_err(|e| format!("loading into PostgreSQL {}: {e}", v.major))?;
    }
    Ok(db)
}

fn spec(db: &TestDb<'_>) -> ConnSpec {
    ConnSpec::parse(&db.url()).expect("test url")
}

/// Whether the pg_dump used with `v`'s cluster can dump a server of version `major`
/// (pg_dump refuses servers newer than itself).
fn can_dump(v: &Version, major: u32) -> bool {
    let pg_dump = cluster(v).map(|c| c.bin("pg_dump"));
    pg_dump.ok().and_then(|p| major_of(&p).ok()).is_some_and(|m| m >= major)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime")
}

fn sample_filter() -> SchemaFilter {
    SchemaFilter::only(SAMPLE_SCHEMAS.iter().copied())
}

fn ensure(cond: bool, msg: impl FnOnce() -> String) -> Result<(), Failed> {
    if cond { Ok(()) } else { Err(msg().into()) }
}

/// A verification that found nothing, or what it found.
fn ensure_clean(v: &pggraft::verify::VerifyReport) -> Result<(), Failed> {
    ensure(v.is_clean(), || {
        format!(
            "verify found differences:\nschema: {:#?}\ntables: {:#?}\nsequences: {:#?}",
            v.schema,
            v.differing_tables().collect::<Vec<_>>(),
            v.differing_sequences().collect::<Vec<_>>()
        )
    })
}

/// A virtual generated column, for servers that have them (18+).
const VIRTUAL: &str = "CREATE TABLE shop.virt (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);
    INSERT INTO shop.virt (a) VALUES (1), (2);";

/// The sample read on `v`, rendered, applied on `v` again and read back: the same model.
fn inspect_round_trip(v: &Version) -> Result<(), Failed> {
    let src = db(v, "ver_inspect_src", SAMPLE)?;
    if v.major >= 18 {
        src.psql(VIRTUAL)?;
    }
    let rt = runtime();
    let cat = rt.block_on(read_catalog(&spec(&src), &sample_filter()))?;
    let script = pggraft::ddl::to_sql(&cat);
    let dst = db(v, "ver_inspect_dst", "")?;
    dst.psql(&script).map_err(|e| format!("applying inspect's SQL on {}: {e}", v.major))?;
    let back = rt.block_on(read_catalog(&spec(&dst), &sample_filter()))?;
    let (a, b) =
        (cat.to_json().replace(src.name(), "DB"), back.to_json().replace(dst.name(), "DB"));
    ensure(a == b, || format!("the model read back differs:\n{}", line_diff(&a, &b)))?;
    if can_dump(v, v.major) {
        let (a, b) = (src.dump_schema(SAMPLE_SCHEMAS)?, dst.dump_schema(SAMPLE_SCHEMAS)?);
        ensure(a == b, || format!("pg_dump differs:\n{}", line_diff(&a, &b)))?;
    }
    Ok(())
}

/// The sample with its rows cloned from `a` to `b`, verified clean.
fn clone_between(a: &Version, b: &Version) -> Result<(), Failed> {
    let src = db(a, "ver_clone_src", &format!("{SAMPLE}\n{SAMPLE_DATA}"))?;
    if a.major >= 17 {
        // A privilege that does not exist before 17.
        src.psql("GRANT MAINTAIN ON shop.customers TO app_reader")?;
    }
    if a.major >= 18 {
        src.psql(VIRTUAL)?;
    }
    let dst = db(b, "ver_clone_dst", "")?;
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas =
        SAMPLE_SCHEMAS.iter().map(|s| SchemaArg::parse(s).expect("schema arg")).collect();
    opts.jobs = 2;
    opts.index_jobs = 2;
    // An older server may not have a newer one's extension versions.
    opts.any_extension_version = b.major < a.major;
    let rt = runtime();
    let report = rt.block_on(async {
        let plan = clone_api::prepare(&opts).await?;
        clone_api::run(&opts, plan, &NoProgress, None).await
    })?;
    ensure(report.total_rows() > 3000, || format!("only {} rows copied", report.total_rows()))?;
    let lost_maintain = report.warnings.iter().any(|w| w.contains("MAINTAIN"));
    ensure(lost_maintain == (a.major >= 17 && b.major < 17), || {
        format!("MAINTAIN warnings: {:?}", report.warnings)
    })?;
    let stored_virtual = report.warnings.iter().any(|w| w.contains("virtual generated column"));
    ensure(stored_virtual == (a.major >= 18 && b.major < 18), || {
        format!("virtual column warnings: {:?}", report.warnings)
    })?;
    let v = rt.block_on(verify(&VerifyOptions::after_clone(&opts, &report)))?;
    ensure_clean(&v)?;
    if can_dump(a, a.major.max(b.major)) && a.major == b.major {
        let (x, y) = (src.dump_schema(SAMPLE_SCHEMAS)?, dst.dump_schema(SAMPLE_SCHEMAS)?);
        ensure(x == y, || format!("pg_dump differs:\n{}", line_diff(&x, &y)))?;
    }
    Ok(())
}

/// Not-null constraints as PostgreSQL 18 names them: an inheritance child's primary key on a
/// column whose NOT NULL it inherits, partitions created in place (their NOT NULLs named as
/// the parent's) and attached (named their own), and a NOT NULL named by hand (18+ only).
const NOT_NULLS: &str = "
    CREATE SCHEMA nn;
    CREATE TABLE nn.fav (id bigint NOT NULL, bucket int NOT NULL);
    CREATE TABLE nn.fav_0 (CONSTRAINT fav_0_bucket CHECK (bucket = 0)) INHERITS (nn.fav);
    ALTER TABLE ONLY nn.fav ADD CONSTRAINT fav_pkey PRIMARY KEY (id);
    ALTER TABLE ONLY nn.fav_0 ADD CONSTRAINT fav_0_pkey PRIMARY KEY (id);
    CREATE TABLE nn.ev (id bigint NOT NULL, region text NOT NULL, note text)
        PARTITION BY LIST (region);
    CREATE TABLE nn.ev_eu PARTITION OF nn.ev FOR VALUES IN ('eu');
    CREATE TABLE nn.ev_us (id bigint NOT NULL, region text NOT NULL, note text);
    ALTER TABLE nn.ev ATTACH PARTITION nn.ev_us FOR VALUES IN ('us');
    INSERT INTO nn.fav_0 SELECT g, 0 FROM generate_series(1, 100) g;
    INSERT INTO nn.ev SELECT g, (ARRAY['eu', 'us'])[1 + g % 2], 'n' FROM generate_series(1, 100) g;";

/// An exclusion constraint on a partitioned table (17+), over a sub-partitioned tree.
const PARTITIONED_EXCLUSION: &str = "
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    CREATE TABLE nn.slots (room int, during int4range, region text) PARTITION BY LIST (region);
    CREATE TABLE nn.slots_a PARTITION OF nn.slots FOR VALUES IN ('a') PARTITION BY RANGE (room);
    CREATE TABLE nn.slots_a1 PARTITION OF nn.slots_a FOR VALUES FROM (0) TO (100);
    CREATE TABLE nn.slots_b PARTITION OF nn.slots FOR VALUES IN ('b');
    ALTER TABLE nn.slots ADD CONSTRAINT slots_no_overlap
        EXCLUDE USING gist (region WITH =, room WITH =, during WITH &&);
    INSERT INTO nn.slots VALUES (1, '[1,5)', 'a'), (1, '[5,9)', 'a'), (2, '[1,5)', 'b');";

/// A domain's NOT NULL named by hand, and a partitioned table's access method (17+).
const PG17_NAMES: &str = "
    CREATE DOMAIN nn.pos AS int CONSTRAINT pos_is_set NOT NULL CHECK (VALUE > 0);
    CREATE TABLE nn.uses_pos (p nn.pos);
    CREATE TABLE nn.pam (id int) PARTITION BY RANGE (id) USING heap;
    CREATE TABLE nn.pam_1 PARTITION OF nn.pam FOR VALUES FROM (0) TO (10);
    INSERT INTO nn.pam VALUES (1);";

/// Constraints of PostgreSQL 18: a NOT NULL named by hand, a NOT NULL NO INHERIT whose
/// inheritance child holds NULLs, NOT NULL NOT VALID over rows that hold NULLs, NOT ENFORCED checks and foreign keys over rows that break them, a key WITHOUT
/// OVERLAPS (a GiST index) and a foreign key to it with PERIOD.
const PG18_CONSTRAINTS: &str = "
    CREATE EXTENSION IF NOT EXISTS btree_gist;
    CREATE TABLE nn.named (a int CONSTRAINT a_is_set NOT NULL, b int NOT NULL);
    CREATE TABLE nn.par (a int, b int);
    ALTER TABLE nn.par ADD CONSTRAINT par_a_set NOT NULL a NO INHERIT;
    CREATE TABLE nn.kid () INHERITS (nn.par);
    INSERT INTO nn.kid VALUES (NULL, 1);
    CREATE TABLE nn.loose (a int, b int);
    INSERT INTO nn.loose VALUES (NULL, NULL), (1, 2);
    ALTER TABLE nn.loose ADD CONSTRAINT loose_a_set NOT NULL a NOT VALID;
    ALTER TABLE nn.loose ADD NOT NULL b NOT VALID;
    CREATE TABLE nn.rooms (id int PRIMARY KEY);
    CREATE TABLE nn.lax (a int, b int,
        CONSTRAINT lax_a CHECK (a > 0) NOT ENFORCED,
        CONSTRAINT lax_b FOREIGN KEY (b) REFERENCES nn.rooms (id) NOT ENFORCED);
    INSERT INTO nn.lax VALUES (-1, 999);
    CREATE TABLE nn.booking (room int, during tstzrange,
        CONSTRAINT booking_pk PRIMARY KEY (room, during WITHOUT OVERLAPS));
    CREATE TABLE nn.usage (room int, during tstzrange,
        CONSTRAINT usage_booking FOREIGN KEY (room, PERIOD during)
            REFERENCES nn.booking (room, PERIOD during));
    INSERT INTO nn.rooms VALUES (1);
    INSERT INTO nn.booking VALUES (1, tstzrange('2024-01-01', '2024-02-01'));
    INSERT INTO nn.usage VALUES (1, tstzrange('2024-01-05', '2024-01-06'));";

/// [`NOT_NULLS`] (on 17+ [`PARTITIONED_EXCLUSION`], on 18+ [`PG18_CONSTRAINTS`]) with their
/// rows cloned into another
/// database of the same server: verified clean, `pg_dump --schema-only` equal where the
/// machine's pg_dump can dump that server.
fn same_version(v: &Version) -> Result<(), Failed> {
    let src = db(v, "ver_same_src", NOT_NULLS)?;
    if v.major >= 17 {
        src.psql(PARTITIONED_EXCLUSION)?;
        src.psql(PG17_NAMES)?;
    }
    if v.major >= 18 {
        src.psql(PG18_CONSTRAINTS)?;
    }
    let dst = db(v, "ver_same_dst", "")?;
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas = vec![SchemaArg::parse("nn").expect("schema arg")];
    opts.jobs = 2;
    opts.index_jobs = 2;
    let rt = runtime();
    let report = rt.block_on(async {
        let plan = clone_api::prepare(&opts).await?;
        clone_api::run(&opts, plan, &NoProgress, None).await
    })?;
    let checked = rt.block_on(verify(&VerifyOptions::after_clone(&opts, &report)))?;
    ensure(checked.is_clean(), || format!("verify found differences: {:#?}", checked.schema))?;
    if can_dump(v, v.major) {
        let (x, y) = (src.dump_schema(&["nn"])?, dst.dump_schema(&["nn"])?);
        ensure(x == y, || format!("pg_dump differs:\n{}", line_diff(&x, &y)))?;
    }
    Ok(())
}

/// Constraints newer than the target from 17 or 18 onto an older server
/// ([`PARTITIONED_EXCLUSION`] before 17, [`PG18_CONSTRAINTS`] before 18): refused before
/// anything is written, naming each constraint the older server cannot hold; without those
/// tables (`-T`) copied, the NOT VALID NOT NULLs left out with a warning.
fn downgrade(a: &Version, b: &Version) -> Result<(), Failed> {
    let mut sql = NOT_NULLS.to_string();
    let mut want: Vec<String> = vec![format!("PostgreSQL {} does not have", b.major)];
    let mut tables = vec![];
    if a.major >= 17 {
        sql.push_str(PARTITIONED_EXCLUSION);
        sql.push_str(PG17_NAMES);
        if b.major < 17 {
            want.push(
                "nn.slots: constraint slots_no_overlap is an exclusion constraint on a \
                 partitioned table"
                    .into(),
            );
            tables.push("nn.slots*");
        }
    }
    if a.major >= 18 {
        sql.push_str(PG18_CONSTRAINTS);
        want.extend(
            [
                "nn.lax: constraint lax_a is NOT ENFORCED",
                "nn.lax: constraint lax_b is NOT ENFORCED",
                "nn.booking: constraint booking_pk is a key WITHOUT OVERLAPS",
                "nn.usage: constraint usage_booking is a foreign key with PERIOD",
                "nn.par: the NOT NULL constraint of column a is NO INHERIT",
            ]
            .map(String::from),
        );
        tables.extend(["nn.lax", "nn.booking", "nn.usage", "nn.kid"]);
    }
    let src = db(a, "ver_down_src", &sql)?;
    let dst = db(b, "ver_down_dst", "")?;
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas = vec![SchemaArg::parse("nn").expect("schema arg")];
    opts.any_extension_version = true;
    let rt = runtime();
    let clone = |opts: &CloneOptions| {
        rt.block_on(async {
            let plan = clone_api::prepare(opts).await?;
            clone_api::run(opts, plan, &NoProgress, None).await
        })
    };
    let Err(e) = clone(&opts) else {
        return Err("the clone was not refused".into());
    };
    let msg = e.to_string();
    ensure(e.kind() == pggraft::ErrorKind::Input, || format!("{:?}: {msg}", e.kind()))?;
    for w in &want {
        ensure(msg.contains(w.as_str()), || format!("{w:?} missing from: {msg}"))?;
    }
    let left = dst.query("SELECT nspname FROM pg_namespace WHERE nspname ~ '^(nn|pggraft)'")?;
    ensure(left.is_empty(), || format!("left on the target: {left:?}"))?;
    for t in tables {
        opts.tables.exclude.push(pggraft::select::TablePattern::parse(t));
    }
    let report = clone(&opts)?;
    let loose = report.warnings.iter().filter(|w| w.contains("NOT VALID")).count();
    let expected = if a.major >= 18 && b.major < 18 { 2 } else { 0 };
    ensure(loose == expected, || format!("NOT VALID warnings: {:?}", report.warnings))?;
    let v = rt.block_on(verify(&VerifyOptions::after_clone(&opts, &report)))?;
    ensure(v.is_clean(), || format!("verify found differences: {:#?}", v.schema))
}

/// The application schemas of `tests/data/apps`: name, schemas copied, SQL.
const APPS: &[(&str, &[&str], &[&str])] = &[
    (
        "storefront",
        &["public", "store"],
        &[
            include_str!("../data/apps/storefront/schema.sql"),
            include_str!("../data/apps/storefront/data.sql"),
        ],
    ),
    (
        "saas",
        &["saas"],
        &[include_str!("../data/apps/saas/schema.sql"), include_str!("../data/apps/saas/data.sql")],
    ),
    (
        "forum",
        &["public"],
        &[
            include_str!("../data/apps/forum/schema.sql"),
            include_str!("../data/apps/forum/data.sql"),
        ],
    ),
    (
        "geo",
        &["extensions", "geo"],
        &[include_str!("../data/apps/geo/schema.sql"), include_str!("../data/apps/geo/data.sql")],
    ),
];

/// An application schema with its rows cloned from `a` to `b`, verified clean.
fn app_between(app: usize, a: &Version, b: &Version) -> Result<(), Failed> {
    let (name, schemas, files) = APPS[app];
    let src = db(a, &format!("ver_{name}_src"), &files.join("\n"))?;
    let dst = db(b, &format!("ver_{name}_dst"), "")?;
    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.naming.schemas =
        schemas.iter().map(|s| SchemaArg::parse(s).expect("schema arg")).collect();
    opts.jobs = 2;
    opts.index_jobs = 2;
    opts.any_extension_version = b.major < a.major;
    let rt = runtime();
    let report = rt.block_on(async {
        let plan = clone_api::prepare(&opts).await?;
        clone_api::run(&opts, plan, &NoProgress, None).await
    })?;
    let v = rt.block_on(verify(&VerifyOptions::after_clone(&opts, &report)))?;
    ensure_clean(&v)?;
    // Onto a newer server, the copy dumps as the source's own dump restored there does (the
    // bar a DBA would set: the servers spell view bodies, say, differently), extensions
    // included; by a pg_dump as new as the target (skipped when only an older one is
    // installed: see scripts/test-versions.sh).
    if a.major <= b.major && can_dump(b, b.major) {
        let clients = cluster(b)?;
        let restored = db(b, &format!("ver_{name}_ref"), &raw_dump(clients, &src)?)?;
        let (x, y) =
            (restored.dump_schema_by(clients, &[])?, dst.dump_schema_by(clients, &["pggraft"])?);
        ensure(x == y, || {
            format!("pg_dump differs from the restored dump's:\n{}", line_diff(&x, &y))
        })?;
    }
    Ok(())
}

/// `pg_dump --schema-only` of `db` by the pg_dump of `clients`, as psql can apply it to a
/// server older than that pg_dump (without the `\restrict` lines, which an older psql does not
/// know, and the `transaction_timeout` setting, which servers before 17 do not have).
fn raw_dump(clients: &Cluster, db: &TestDb<'_>) -> Result<String, Failed> {
    let out = Command::new(clients.bin("pg_dump"))
        .arg("--schema-only")
        .arg(format!("--dbname={}", db.url()))
        .output()
        .map_err(|e| format!("pg_dump: {e}"))?;
    ensure(out.status.success(), || format!("pg_dump: {}", String::from_utf8_lossy(&out.stderr)))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| {
            !["\\restrict", "\\unrestrict", "SET transaction_timeout"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// A change made on `b` to the sample, for the diff case.
const CHANGE: &str = "
    ALTER TABLE shop.customers ADD COLUMN nickname text;
    CREATE VIEW shop.nicknames AS SELECT c.id, c.nickname FROM shop.customers c WHERE c.nickname IS NOT NULL;";

/// The same schema on `a` and `b` diffs empty; a changed one diffs to a migration that,
/// applied on `a`, leaves nothing to diff.
fn diff_between(a: &Version, b: &Version) -> Result<(), Failed> {
    let from = db(a, "ver_diff_from", SAMPLE)?;
    let same = db(b, "ver_diff_same", SAMPLE)?;
    let changed = db(b, "ver_diff_to", &format!("{SAMPLE}\n{CHANGE}"))?;
    let schemas: Vec<SchemaArg> =
        SAMPLE_SCHEMAS.iter().map(|s| SchemaArg::parse(s).expect("schema arg")).collect();
    let input = |d: &TestDb<'_>| Input::Database(Box::new(spec(d)));
    let rt = runtime();
    let opts = DiffOptions::default();
    let sides =
        rt.block_on(pggraft::migrate::read_sides(&input(&from), &input(&same), &schemas))?;
    let m = sides.diff(&opts)?;
    ensure(m.is_empty(), || format!("the same schema diffs non-empty:\n{}", m.script()))?;
    let sides =
        rt.block_on(pggraft::migrate::read_sides(&input(&from), &input(&changed), &schemas))?;
    let m = sides.diff(&opts)?;
    ensure(m.script().contains("nickname"), || format!("the change is missing:\n{}", m.script()))?;
    from.psql(&m.script()).map_err(|e| format!("applying the migration on {}: {e}", a.major))?;
    let sides =
        rt.block_on(pggraft::migrate::read_sides(&input(&from), &input(&changed), &schemas))?;
    let m = sides.diff(&opts)?;
    ensure(m.is_empty(), || format!("left to diff after migrating:\n{}", m.script()))?;
    Ok(())
}

/// The lines of `a` not in `b` (-) and of `b` not in `a` (+), counting repeats (a line twice
/// in `a` and once in `b` shows once).
fn line_diff(a: &str, b: &str) -> String {
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    for l in a.lines() {
        *count.entry(l).or_default() += 1;
    }
    for l in b.lines() {
        *count.entry(l).or_default() -= 1;
    }
    let mut out = String::new();
    for l in a.lines().chain(b.lines()) {
        let n = count.get_mut(l).expect("counted");
        if *n > 0 {
            out.push_str(&format!("- {l}\n"));
            *n -= 1;
        } else if *n < 0 {
            out.push_str(&format!("+ {l}\n"));
            *n += 1;
        }
    }
    if out.is_empty() { "(same lines, different order)".into() } else { out }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![];
    match versions() {
        Err(e) => trials.push(Trial::test("versions", move || Err(e.clone().into()))),
        Ok(vs) if vs.is_empty() => {
            trials.push(
                Trial::test(
                    "versions (set PGGRAFT_VERSIONS=BINDIR,… or run scripts/test-versions.sh)",
                    || Ok(()),
                )
                .with_ignored_flag(true),
            );
        }
        Ok(vs) => {
            for v in &vs {
                let v2 = v.clone();
                trials.push(Trial::test(format!("inspect::pg{}", v.major), move || {
                    inspect_round_trip(&v2)
                }));
                let v2 = v.clone();
                trials.push(Trial::test(format!("same::pg{}", v.major), move || same_version(&v2)));
            }
            for a in &vs {
                for b in vs.iter().filter(|b| b.major != a.major) {
                    let (a2, b2) = (a.clone(), b.clone());
                    trials.push(Trial::test(
                        format!("clone::pg{}_to_pg{}", a.major, b.major),
                        move || clone_between(&a2, &b2),
                    ));
                    let (a2, b2) = (a.clone(), b.clone());
                    trials.push(Trial::test(
                        format!("diff::pg{}_to_pg{}", a.major, b.major),
                        move || diff_between(&a2, &b2),
                    ));
                    if (a.major >= 18 && b.major < 18) || (a.major >= 17 && b.major < 17) {
                        let (a2, b2) = (a.clone(), b.clone());
                        trials.push(Trial::test(
                            format!("downgrade::pg{}_to_pg{}", a.major, b.major),
                            move || downgrade(&a2, &b2),
                        ));
                    }
                    if a.major >= 15 && b.major >= 15 {
                        for (i, (name, ..)) in APPS.iter().enumerate() {
                            let (a2, b2) = (a.clone(), b.clone());
                            trials.push(Trial::test(
                                format!("apps::{name}::pg{}_to_pg{}", a.major, b.major),
                                move || app_between(i, &a2, &b2),
                            ));
                        }
                    }
                }
            }
            if let (Some(old), Some(new)) = (vs.first(), vs.last())
                && old.major != new.major
            {
                for (a, b) in [(old, new), (new, old), (new, new)] {
                    for (name, case) in features::FEATURES {
                        let (a2, b2, case) = (a.clone(), b.clone(), *case);
                        trials.push(Trial::test(
                            format!("features::{name}::pg{}_to_pg{}", a.major, b.major),
                            move || case(&a2, &b2),
                        ));
                    }
                }
            }
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
