//! The features whose server side differs between versions, each between the oldest and the
//! newest version listed, both ways, and within the newest (`features::<feature>::pgA_to_pgB`):
//! small data, a few seconds each, so that CI's 15 → 17 slice keeps them. From 18 on the
//! source has virtual generated columns too (stored on an older target).
//!
//! - `unlogged`: `clone --unlogged` (partitioned tables, and what their foreign keys reference,
//!   stay logged; identity sequences follow their table from 15 on), verified clean;
//! - `workers`: two processes on one clone (`--worker`), each task done once, one swap;
//! - `resume`: a clone stopped as Ctrl-C stops it, then `--resume`d, keeping its finished
//!   tables;
//! - `refresh`: `refresh --mode incremental` by transaction horizon (`pg_current_snapshot()`,
//!   `xmin`) after writes and deletes on the source;
//! - `follow`: `clone --follow` with a partitioned table published via its root, changes while
//!   following, cut over and verified;
//! - `map_follow`: `map run --follow` through a mapping's expressions.

use std::time::Duration;

use libtest_mimic::Failed;
use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions};
use pggraft::engine::NoProgress;
use pggraft::follow::{self, FollowOptions, NoFollowProgress};
use pggraft::rename::SchemaArg;
use pggraft::verify::{Level, VerifyOptions, verify};

use super::{Version, db, ensure, ensure_clean, spec};

/// A feature case, from the first version to the second.
type Case = fn(&Version, &Version) -> Result<(), Failed>;

/// The feature cases, by name.
pub(crate) const FEATURES: &[(&str, Case)] = &[
    ("unlogged", unlogged),
    ("workers", workers),
    ("resume", resume),
    ("refresh", refresh),
    ("follow", follow_clone),
    ("map_follow", map_follow),
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn one(db: &TestDb<'_>, sql: &str) -> Result<String, Failed> {
    Ok(db.query(sql)?.first().and_then(|r| r.first().cloned()).unwrap_or_default())
}

/// `(count, sum of row hashes)` of a table, as text.
fn rows(db: &TestDb<'_>, table: &str) -> Result<String, Failed> {
    one(
        db,
        &format!(
            "SELECT count(*) || ' ' || coalesce(sum(hashtextextended(t::text, 0)), 0) FROM {table} t"
        ),
    )
}

fn same_rows(src: &TestDb<'_>, dst: &TestDb<'_>, pairs: &[(&str, &str)]) -> Result<(), Failed> {
    for (s, t) in pairs {
        let (a, b) = (rows(src, s)?, rows(dst, t)?);
        ensure(a == b, || format!("rows of {s} ({a}) and {t} ({b}) differ"))?;
    }
    Ok(())
}

fn clone_opts(src: &TestDb<'_>, dst: &TestDb<'_>, a: &Version, b: &Version) -> CloneOptions {
    let mut o = CloneOptions::new(spec(src), spec(dst));
    o.jobs = 2;
    o.index_jobs = 2;
    o.any_extension_version = b.major < a.major;
    o
}

async fn rows_verify(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
    map: &[(&str, &str)],
) -> Result<(), Failed> {
    let mut v = VerifyOptions::new(spec(src), spec(dst));
    v.level = Level::Rows;
    v.schema_map = Some(map.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect());
    let r = verify(&v).await?;
    let bad: Vec<String> = r
        .differing_tables()
        .map(|t| format!("{} → {}: {}", t.source, t.target, t.status.as_str()))
        .collect();
    ensure(bad.is_empty(), || format!("rows differ: {bad:?}"))
}

const SHOP: &str = "
CREATE SCHEMA shop;
CREATE TABLE shop.kinds (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE shop.customers (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
CREATE TABLE shop.orders (
  id bigint PRIMARY KEY, customer int REFERENCES shop.customers, note varchar(40)
);
CREATE TABLE shop.events (at date NOT NULL, kind int REFERENCES shop.kinds, v int)
  PARTITION BY RANGE (at);
CREATE TABLE shop.events_2024 PARTITION OF shop.events
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO shop.kinds SELECT i, 'kind ' || i FROM generate_series(1, 5) AS i;
INSERT INTO shop.customers (name) SELECT 'c' || i FROM generate_series(1, 300) AS i;
INSERT INTO shop.orders SELECT i, 1 + i % 300, 'order ' || i FROM generate_series(1, 5000) AS i;
INSERT INTO shop.events SELECT date '2024-01-01' + i % 300, 1 + i % 5, i FROM generate_series(1, 1000) AS i;
ANALYZE;
";

fn unlogged(a: &Version, b: &Version) -> Result<(), Failed> {
    let src = db(a, "ver_unlogged_src", SHOP)?;
    let dst = db(b, "ver_unlogged_dst", "")?;
    let mut opts = clone_opts(&src, &dst, a, b);
    opts.unlogged = true;
    let rt = runtime();
    let report = rt.block_on(async {
        let plan = clone_api::prepare(&opts).await?;
        clone_api::run(&opts, plan, &NoProgress, None).await
    })?;
    ensure(report.unlogged, || "the report does not say unlogged".into())?;
    let got = dst
        .query(
            "SELECT string_agg(c.relname || '=' || c.relpersistence::text, ',' ORDER BY c.relname) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'shop' AND c.relkind IN ('r', 'p')",
        )?
        .remove(0)
        .remove(0);
    ensure(got == "customers=u,events=p,events_2024=u,kinds=p,orders=u", || got.clone())?;
    let v = rt.block_on(verify(&VerifyOptions::after_clone(&opts, &report)))?;
    ensure_clean(&v)?;
    dst.psql("INSERT INTO shop.customers (name) VALUES ('new')")?;
    let max = one(&dst, "SELECT max(id) FROM shop.customers")?;
    ensure(max == "301", || format!("the identity went on at {max}"))
}

/// `n` tables `app.t1…` of sizes falling from `rows * n`, each with an index.
fn tables_sql(n: usize, rows: usize) -> String {
    let mut sql = String::from("CREATE SCHEMA app;\n");
    for i in 1..=n {
        let count = rows * (n + 1 - i);
        sql.push_str(&format!(
            "CREATE TABLE app.t{i} (id int PRIMARY KEY, v text);
             INSERT INTO app.t{i} SELECT g, repeat('w', 40) || g FROM generate_series(1, {count}) g;
             CREATE INDEX t{i}_v ON app.t{i} (v);\n"
        ));
    }
    sql
}

fn app_copy_pairs(n: usize) -> Vec<(String, String)> {
    (1..=n).map(|i| (format!("app.t{i}"), format!("app_copy.t{i}"))).collect()
}

fn same_app_rows(src: &TestDb<'_>, dst: &TestDb<'_>, n: usize) -> Result<(), Failed> {
    let pairs = app_copy_pairs(n);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    same_rows(src, dst, &pairs)
}

fn renamed_opts(src: &TestDb<'_>, dst: &TestDb<'_>, a: &Version, b: &Version) -> CloneOptions {
    let mut o = clone_opts(src, dst, a, b);
    o.jobs = 1;
    o.index_jobs = 1;
    o.naming.schemas = vec![SchemaArg::parse("app=app_copy").expect("schema arg")];
    o
}

async fn wait_for(
    what: &str,
    running: &tokio::task::JoinHandle<impl Send + 'static>,
    ready: impl Fn() -> Result<bool, Failed>,
) -> Result<(), Failed> {
    let started = std::time::Instant::now();
    while !ready()? {
        ensure(!running.is_finished(), || format!("the clone finished before {what}"))?;
        ensure(started.elapsed() < Duration::from_secs(60), || format!("timed out: {what}"))?;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

fn workers(a: &Version, b: &Version) -> Result<(), Failed> {
    const N: usize = 4;
    let src = db(a, "ver_workers_src", &tables_sql(N, 10_000))?;
    let dst = db(b, "ver_workers_dst", "")?;
    let rt = runtime();
    rt.block_on(async {
        let mut first = renamed_opts(&src, &dst, a, b);
        first.worker_name = Some("first".into());
        // The first process pauses after its first table, so the worker joins while most of
        // the clone is still to do.
        first.tamper_after_load = Some(("t1".into(), "SELECT pg_sleep(1)".into()));
        let plan = clone_api::prepare(&first).await?;
        let o = first.clone();
        let leader = tokio::spawn(async move { clone_api::run(&o, plan, &NoProgress, None).await });
        wait_for("a worker joined", &leader, || {
            Ok(one(&dst, "SELECT to_regclass('pggraft.clone_tasks') IS NOT NULL")? == "t"
                && one(&dst, "SELECT count(*) FROM pggraft.clone_tasks")? != "0")
        })
        .await?;
        let mut second = renamed_opts(&src, &dst, a, b);
        second.worker = true;
        second.worker_name = Some("second".into());
        let plan = clone_api::prepare(&second).await?;
        let rb = clone_api::run(&second, plan, &NoProgress, None).await?;
        let ra = leader.await.map_err(|e| e.to_string())??;
        let (wa, wb) =
            (ra.workers.ok_or("no worker report")?, rb.workers.ok_or("no worker report")?);
        ensure(wa.done == wa.tasks && wa.tasks > 0, || format!("{wa:?}"))?;
        ensure([wa.finished_here, wb.finished_here].iter().filter(|x| **x).count() == 1, || {
            format!("the swap is not done once: {wa:?} {wb:?}")
        })?;
        let data: u64 = wa.workers.iter().map(|x| x.data).sum();
        ensure(data == N as u64, || format!("each table loaded once: {wa:?}"))?;
        ensure(wa.workers.iter().all(|x| x.data + x.statements > 0), || {
            format!("both took tasks: {wa:?}")
        })?;
        Ok::<_, Failed>(())
    })?;
    same_app_rows(&src, &dst, N)?;
    let left = one(&dst, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'")?;
    ensure(left == "0", || format!("{left} build schemas left"))
}

fn done_tables(dst: &TestDb<'_>) -> Result<usize, Failed> {
    if one(dst, "SELECT to_regclass('pggraft.clone_done') IS NOT NULL")? != "t" {
        return Ok(0);
    }
    Ok(one(dst, "SELECT count(*) FROM pggraft.clone_done WHERE kind = 'table'")?.parse()?)
}

fn resume(a: &Version, b: &Version) -> Result<(), Failed> {
    const N: usize = 5;
    let src = db(a, "ver_resume_src", &tables_sql(N, 20_000))?;
    let dst = db(b, "ver_resume_dst", "")?;
    let opts = renamed_opts(&src, &dst, a, b);
    let rt = runtime();
    let done = rt.block_on(async {
        let plan = clone_api::prepare(&opts).await?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let stop: pggraft::engine::Cancel = Box::pin(async move {
            let _ = rx.await;
        });
        let o = opts.clone();
        let run =
            tokio::spawn(async move { clone_api::run(&o, plan, &NoProgress, Some(stop)).await });
        wait_for("it could be stopped", &run, || Ok(done_tables(&dst)? >= 2)).await?;
        let _ = tx.send(());
        let Err(err) = run.await.map_err(|e| e.to_string())? else {
            return Err("the stopped clone finished".into());
        };
        ensure(err.kind() == pggraft::ErrorKind::Interrupted, || format!("{err}"))?;
        done_tables(&dst)
    })?;
    ensure(one(&dst, "SELECT to_regnamespace('app_copy') IS NULL")? == "t", || {
        "a stopped clone swapped".into()
    })?;
    let mut again = opts.clone();
    again.resume = true;
    let report = rt.block_on(async {
        let plan = clone_api::prepare(&again).await?;
        clone_api::run(&again, plan, &NoProgress, None).await
    })?;
    let r = report.resumed.as_ref().ok_or("no resume report")?;
    ensure(r.kept.len() == done && r.kept.len() + r.copied.len() + r.changed.len() == N, || {
        format!("{done} done before the stop: {r:?}")
    })?;
    same_app_rows(&src, &dst, N)
}

const APP: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.customers (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE app.orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        customer_id int NOT NULL REFERENCES app.customers (id) ON DELETE CASCADE,
        amount numeric(10, 2) NOT NULL
    );
    CREATE INDEX orders_customer_idx ON app.orders (customer_id);
    INSERT INTO app.customers (id, name) SELECT g, 'customer ' || g FROM generate_series(1, 1000) g;
    INSERT INTO app.orders (customer_id, amount)
        SELECT 1 + g % 1000, (g % 97) + 0.5 FROM generate_series(1, 5000) g;
    ANALYZE;
";

const CHANGES: &str = "
    UPDATE app.customers SET name = name || '!' WHERE id % 50 = 0;
    DELETE FROM app.customers WHERE id = 7;
    INSERT INTO app.customers (id, name) SELECT g, 'new ' || g FROM generate_series(1001, 1010) g;
    DELETE FROM app.orders WHERE id % 100 = 0;
    INSERT INTO app.orders (customer_id, amount) SELECT 1001 + g % 10, g FROM generate_series(1, 30) g;
";

/// A virtual generated column (18+; stored on an older target).
const VIRTUAL: &str = "
    CREATE TABLE app.virt (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);
    INSERT INTO app.virt (id, a) SELECT g, g FROM generate_series(1, 200) g;";

/// 48 updated (2 of the 50 are deleted), 10 deleted, 10 new.
const VIRTUAL_CHANGES: &str = "
    UPDATE app.virt SET a = a + 1000 WHERE id % 4 = 0;
    DELETE FROM app.virt WHERE id BETWEEN 101 AND 110;
    INSERT INTO app.virt (id, a) SELECT g, g FROM generate_series(1001, 1010) g;";

fn refresh(a: &Version, b: &Version) -> Result<(), Failed> {
    use pggraft::refresh::{self as refresh_api, Mode, RefreshOptions};
    let src = db(a, "ver_refresh_src", APP)?;
    if a.major >= 18 {
        src.psql(VIRTUAL)?;
    }
    let dst = db(b, "ver_refresh_dst", "")?;
    let mut opts = clone_opts(&src, &dst, a, b);
    opts.naming.schemas = vec![SchemaArg::parse("app").expect("schema arg")];
    let rt = runtime();
    rt.block_on(async {
        let plan = clone_api::prepare(&opts).await?;
        clone_api::run(&opts, plan, &NoProgress, None).await
    })?;
    src.psql(CHANGES)?;
    if a.major >= 18 {
        src.psql(VIRTUAL_CHANGES)?;
    }
    let mut r = RefreshOptions::new(spec(&dst));
    r.naming.schemas = vec![SchemaArg::parse("app").expect("schema arg")];
    r.jobs = 2;
    r.mode = Mode::Incremental;
    let mut reports = rt.block_on(refresh_api::refresh(&r, &NoProgress))?;
    ensure(reports.len() == 1, || format!("{} sources", reports.len()))?;
    let report = reports.remove(0);
    same_rows(&src, &dst, &[("app.customers", "app.customers"), ("app.orders", "app.orders")])?;
    if a.major >= 18 {
        same_rows(&src, &dst, &[("app.virt", "app.virt")])?;
        let got = report.table("virt").ok_or("virt not in the report")?;
        ensure(got.by_horizon && (got.upserted, got.deleted) == (58, 10), || format!("{got:?}"))?;
    }
    for (t, want) in [("customers", (10 + 20, 1)), ("orders", (30, 55))] {
        let got = report.table(t).ok_or_else(|| format!("{t} not in the report"))?;
        ensure(got.by_horizon && (got.upserted, got.deleted) == want, || format!("{got:?}"))?;
    }
    // Nothing written since: nothing to do.
    let again = rt.block_on(refresh_api::refresh(&r, &NoProgress))?;
    let t = again[0].table("orders").ok_or("orders not in the report")?;
    ensure(t.upserted == 0 && t.deleted == 0, || format!("{t:?}"))
}

const FOLLOWED: &str = "
CREATE SCHEMA p;
CREATE TABLE p.items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL,
                      price numeric(12,2), doc jsonb, tags text[]);
CREATE TABLE p.log (at int, what text);
ALTER TABLE p.log REPLICA IDENTITY FULL;
CREATE TABLE p.events (id bigint, region text, note text, PRIMARY KEY (id, region))
  PARTITION BY LIST (region);
CREATE TABLE p.events_eu PARTITION OF p.events FOR VALUES IN ('eu');
CREATE TABLE p.events_us PARTITION OF p.events FOR VALUES IN ('us');
CREATE TABLE p.events_rest PARTITION OF p.events DEFAULT;
CREATE SEQUENCE p.counter;
INSERT INTO p.items (name, price, doc, tags)
  SELECT 'item ' || g, g * 1.5, jsonb_build_object('n', g), ARRAY['t' || g] FROM generate_series(1, 500) g;
INSERT INTO p.log VALUES (1, 'same'), (1, 'same'), (2, 'other');
INSERT INTO p.events SELECT g, (ARRAY['eu','us','ap'])[1 + g % 3], 'n' || g FROM generate_series(1, 900) g;
";

const FOLLOWED_CHANGES: &str = "
INSERT INTO p.items (name, price) SELECT 'more', g FROM generate_series(1, 300) g;
UPDATE p.items SET price = 99, doc = '{\"changed\": true}' WHERE id % 10 = 0;
DELETE FROM p.items WHERE id BETWEEN 100 AND 120;
UPDATE p.log SET what = 'changed' WHERE ctid = (SELECT ctid FROM p.log WHERE at = 1 LIMIT 1);
DELETE FROM p.log WHERE at = 2;
UPDATE p.events SET region = 'us' WHERE region = 'eu' AND id % 2 = 0;
UPDATE p.events SET region = 'mars', note = 'moved' WHERE id BETWEEN 1 AND 30;
DELETE FROM p.events WHERE region = 'ap' AND id > 800;
SELECT nextval('p.counter') FROM generate_series(1, 5);
";

fn follow_clone(a: &Version, b: &Version) -> Result<(), Failed> {
    let slot = format!("ver_fl_{}_{}", a.major, b.major);
    let src = db(a, "ver_follow_src", FOLLOWED)?;
    if a.major >= 18 {
        src.psql(
            "CREATE TABLE p.virt (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL);
             INSERT INTO p.virt (id, a) SELECT g, g FROM generate_series(1, 100) g;",
        )?;
    }
    let dst = db(b, "ver_follow_dst", "")?;
    let mut opts = clone_opts(&src, &dst, a, b);
    opts.naming.schemas = vec![SchemaArg::parse("p=q").expect("schema arg")];
    let rt = runtime();
    rt.block_on(async {
        let started = follow::start(&opts, &slot, &NoProgress, None).await?;
        ensure(started.binary, || "built-in types only: values should travel in binary".into())?;
        let viaroot =
            one(&src, &format!("SELECT pubviaroot FROM pg_publication WHERE pubname = '{slot}'"))?;
        ensure(viaroot == "t", || "not published via the partitioned table's root".into())?;
        // Written after the snapshot, before the follower starts.
        src.psql("INSERT INTO p.items (name) VALUES ('late')")?;
        let fo = FollowOptions::new(spec(&src), spec(&dst));
        let follower =
            tokio::spawn(async move { follow::follow(&fo, &NoFollowProgress, None).await });
        src.psql(FOLLOWED_CHANGES)?;
        if a.major >= 18 {
            src.psql(
                "UPDATE p.virt SET a = a + 1000 WHERE id % 3 = 0;
                 DELETE FROM p.virt WHERE id > 90;
                 INSERT INTO p.virt (id, a) VALUES (500, 5);",
            )?;
        }
        follow::cutover(&spec(&dst), None, None, Duration::from_secs(60)).await?;
        let report = follower.await.map_err(|e| e.to_string())??;
        ensure(report.applied_rows > 300, || format!("{report:?}"))?;
        rows_verify(&src, &dst, &[("p", "q")]).await?;
        follow::cleanup(None, Some(&spec(&dst)), &slot).await?;
        Ok::<_, Failed>(())
    })?;
    let moved =
        one(&dst, "SELECT count(*) FROM q.events_rest WHERE region = 'mars' AND note = 'moved'")?;
    ensure(moved == "30", || format!("{moved} rows moved into the default partition"))?;
    let counter = one(&dst, "SELECT last_value FROM q.counter")?;
    ensure(counter == "5", || format!("the sequence stands at {counter}"))?;
    let slots = one(
        &src,
        &format!("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{slot}'"),
    )?;
    ensure(slots == "0", || "the slot is left".into())
}

fn map_follow(a: &Version, b: &Version) -> Result<(), Failed> {
    let slot = format!("ver_flmap_{}_{}", a.major, b.major);
    let src = db(
        a,
        "ver_flmap_src",
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer text NOT NULL, cents bigint NOT NULL,
                              status text);
         INSERT INTO orders SELECT g, 'c' || g, g * 137, CASE WHEN g % 5 = 0 THEN 'void' END
           FROM generate_series(1, 500) g;",
    )?;
    let dst = db(
        b,
        "ver_flmap_dst",
        "CREATE TABLE purchases (order_id bigint PRIMARY KEY, buyer text NOT NULL,
                                 dollars numeric(12,2) NOT NULL, status text);",
    )?;
    let mapping = pggraft::map::Mapping::parse(
        "follow.toml",
        r#"
[tables.purchases]
from = "orders"
where = "status IS DISTINCT FROM 'void'"
[tables.purchases.columns]
order_id = "id"
buyer = "upper(customer)"
dollars = "(cents::numeric / 100)::numeric(12,2)"
"#,
    )
    .map_err(|e| format!("{e:?}"))?;
    let opts = pggraft::map::MapOptions::new(spec(&src), spec(&dst), mapping);
    let rt = runtime();
    rt.block_on(async {
        let started = follow::start_map(&opts, &slot, &NoProgress, None).await?;
        ensure(started.map.rows() == 400, || format!("{} rows mapped", started.map.rows()))?;
        let fo = FollowOptions::new(spec(&src), spec(&dst));
        let follower =
            tokio::spawn(async move { follow::follow(&fo, &NoFollowProgress, None).await });
        src.psql(
            "INSERT INTO orders VALUES (1000, 'new', 12345, NULL), (1001, 'gone', 1, 'void');
             UPDATE orders SET cents = cents + 1 WHERE id % 7 = 0;
             UPDATE orders SET status = 'void' WHERE id = 3;
             UPDATE orders SET status = NULL WHERE id = 10;
             UPDATE orders SET id = 2000 WHERE id = 11;
             DELETE FROM orders WHERE id BETWEEN 20 AND 29;",
        )?;
        follow::cutover(&spec(&dst), None, None, Duration::from_secs(60)).await?;
        follower.await.map_err(|e| e.to_string())??;
        let v = pggraft::map::verify::verify(&opts).await?;
        ensure(v.matches(), || format!("{:?}", v.tables))?;
        follow::cleanup(None, Some(&spec(&dst)), &slot).await?;
        Ok::<_, Failed>(())
    })?;
    let expected = src.query(
        "SELECT id, upper(customer), (cents::numeric / 100)::numeric(12,2), status FROM orders \
         WHERE status IS DISTINCT FROM 'void' ORDER BY id",
    )?;
    let got =
        dst.query("SELECT order_id, buyer, dollars, status FROM purchases ORDER BY order_id")?;
    ensure(got == expected, || "the target's rows are not the mapped source rows".into())
}
