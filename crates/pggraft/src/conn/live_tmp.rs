use super::*;

async fn try_one(s: &str) {
    match ConnSpec::parse(s) {
        Err(e) => println!("PARSE {s}\n   -> {e}"),
        Ok(spec) => match spec.connect().await {
            Ok(client) => {
                let row = client
                    .query_one("select current_database()::text, current_user::text, current_setting('application_name'), coalesce((select ssl::text from pg_stat_ssl where pid = pg_backend_pid()), 'n/a')", &[])
                    .await
                    .unwrap();
                let (db, user, app, ssl): (String, String, String, String) =
                    (row.get(0), row.get(1), row.get(2), row.get(3));
                println!("OK   {s}\n   -> {spec} db={db} user={user} app={app} ssl={ssl}");
            }
            Err(e) => println!("ERR  {s}\n   -> {e}"),
        },
    }
}

#[tokio::test]
#[ignore]
async fn live() {
    let cases = std::env::var("CONN_CASES").unwrap();
    for case in cases.lines().filter(|l| !l.trim().is_empty()) {
        try_one(case.trim()).await;
    }
}
