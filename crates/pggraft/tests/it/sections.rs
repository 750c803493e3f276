//! `clone --snapshot NAME --section pre-data | data | post-data`: one clone
//! in steps under a snapshot held elsewhere, into the final names, with the
//! user's own SQL between the steps; each step recorded in
//! `pggraft.clone_steps`, and steps out of order, repeated, under another
//! snapshot or under a snapshot that is gone refused before anything is
//! written.

use pg_sandbox::TestDb;
use pggraft::clone::{self as clone_api, CloneOptions, CloneReport, CloneSection};
use pggraft::conn::Snapshot;
use pggraft::engine::NoProgress;
use pggraft::rename::SchemaArg;

use crate::common::*;

const APP: &str = "
    CREATE SCHEMA app;
    CREATE TABLE app.users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
    CREATE TABLE app.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id int NOT NULL REFERENCES app.users (id), amount numeric NOT NULL CHECK (amount > 0));
    CREATE INDEX orders_user_idx ON app.orders (user_id);
    CREATE MATERIALIZED VIEW app.totals AS SELECT user_id, sum(amount) AS total FROM app.orders GROUP BY 1;
    INSERT INTO app.users (email) SELECT 'u' || g || '@x' FROM generate_series(1, 50) g;
    INSERT INTO app.orders (user_id, amount) SELECT 1 + g % 50, g FROM generate_series(1, 500) g;
    REFRESH MATERIALIZED VIEW app.totals;
";

async fn section(
    src: &TestDb<'_>,
    dst: &TestDb<'_>,
    snapshot: &str,
    section: CloneSection,
) -> pggraft::Result<CloneReport> {
    let mut opts = CloneOptions::new(spec(src), spec(dst));
    opts.jobs = 2;
    opts.index_jobs = 2;
    opts.naming.schemas = vec![SchemaArg::parse("app=app_copy").unwrap()];
    opts.snapshot = Some(snapshot.to_string());
    opts.section = section;
    let plan = clone_api::prepare(&opts).await?;
    clone_api::run(&opts, plan, &NoProgress, None).await
}

fn one(db: &TestDb<'_>, sql: &str) -> String {
    db.query(sql).unwrap().first().and_then(|r| r.first().cloned()).unwrap_or_default()
}

fn indexes(db: &TestDb<'_>) -> String {
    one(db, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app_copy'")
}

#[tokio::test]
async fn sections_run_one_at_a_time_with_a_users_alter_table_between() {
    let src = db_with("sections_src", APP);
    let dst = db_with("sections_dst", "");
    let held = Snapshot::export(&spec(&src)).await.unwrap();
    let name = held.name().unwrap().to_string();
    // Written after the snapshot: no section sees it.
    src.psql("UPDATE app.users SET email = 'late@x' WHERE id = 1; UPDATE app.orders SET amount = amount + 1 WHERE id <= 10;").unwrap();

    section(&src, &dst, &name, CloneSection::PreData).await.unwrap();
    assert_eq!(one(&dst, "SELECT count(*) FROM app_copy.users"), "0");
    assert_eq!(indexes(&dst), "0", "pre-data built post-data objects");
    assert_eq!(
        one(&dst, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pggraft\\_tmp%'"),
        "0"
    );

    // The user's own step between the structure and the data.
    dst.psql("ALTER TABLE app_copy.orders ADD COLUMN note text DEFAULT 'added by the user'")
        .unwrap();

    let r = section(&src, &dst, &name, CloneSection::Data).await.unwrap();
    assert_eq!(r.total_rows(), 550);
    assert_eq!(one(&dst, "SELECT count(*) FROM app_copy.users WHERE email <> 'late@x'"), "50");
    assert_eq!(
        one(&dst, "SELECT count(*) || ' ' || sum(amount) || ' ' || min(note) FROM app_copy.orders"),
        "500 125250 added by the user"
    );
    assert_eq!(indexes(&dst), "0", "data built post-data objects");
    // Sequence values came along.
    assert_eq!(one(&dst, "SELECT last_value FROM app_copy.users_id_seq"), "50");

    section(&src, &dst, &name, CloneSection::PostData).await.unwrap();
    assert_eq!(indexes(&dst), "4");
    assert_eq!(
        one(
            &dst,
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'app_copy.orders'::regclass AND contype IN ('f', 'c', 'p')"
        ),
        "3"
    );
    assert_eq!(one(&dst, "SELECT count(*) FROM app_copy.totals"), "50");
    let steps = format!(
        "SELECT string_agg(section || ':' || (snapshot = '{name}'), ' ' ORDER BY done_at) \
         FROM pggraft.clone_steps WHERE target_schema = 'app_copy'"
    );
    assert_eq!(one(&dst, &steps), "pre-data:true data:true post-data:true");
    // Recorded for refresh like a whole clone.
    assert_eq!(
        one(&dst, "SELECT source_schema FROM pggraft.copies WHERE target_schema = 'app_copy'"),
        "app"
    );
    held.release().await.unwrap();
}

/// Out of order, repeated, under another snapshot, without a snapshot, or
/// under one that is gone: refused, naming what to do, target unchanged.
#[tokio::test]
async fn sections_out_of_order_or_under_a_gone_snapshot_are_refused() {
    let src = db_with("sections_bad_src", APP);
    let dst = db_with("sections_bad_dst", "CREATE TABLE public.keep (x int);");
    let held = Snapshot::export(&spec(&src)).await.unwrap();
    let name = held.name().unwrap().to_string();
    let before = dst.dump_schema(&[]).unwrap();

    let err = section(&src, &dst, &name, CloneSection::Data).await.unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    assert!(err.to_string().contains("needs section pre-data first"), "{err}");
    let err = section(&src, &dst, &name, CloneSection::PostData).await.unwrap_err();
    assert!(err.to_string().contains("needs section data first"), "{err}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), before);

    let mut opts = CloneOptions::new(spec(&src), spec(&dst));
    opts.section = CloneSection::Data;
    let Err(err) = clone_api::prepare(&opts).await else { panic!("prepared without a snapshot") };
    assert!(err.to_string().contains("needs --snapshot NAME"), "{err}");

    section(&src, &dst, &name, CloneSection::PreData).await.unwrap();
    let err = section(&src, &dst, &name, CloneSection::PreData).await.unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    let other = Snapshot::export(&spec(&src)).await.unwrap();
    let err = section(&src, &dst, other.name().unwrap(), CloneSection::Data).await.unwrap_err();
    assert!(err.to_string().contains(&format!("ran under snapshot {name}")), "{err}");
    other.release().await.unwrap();
    let after_pre = dst.dump_schema(&[]).unwrap();

    held.release().await.unwrap();
    let err = section(&src, &dst, &name, CloneSection::Data).await.unwrap_err();
    assert_eq!(err.kind(), pggraft::ErrorKind::Input, "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&format!("snapshot {name:?} does not exist")), "{msg}");
    assert!(msg.contains("pggraft snapshot"), "{msg}");
    assert_eq!(dst.dump_schema(&[]).unwrap(), after_pre);
    assert_eq!(one(&dst, "SELECT count(*) FROM app_copy.users"), "0");
}
