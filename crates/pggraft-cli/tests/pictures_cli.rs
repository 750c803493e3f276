//! `inspect --format dot|mermaid` and `diff --format dot`: the pictures name what the model and
//! the migration hold (every table and view, the foreign keys and view dependencies, every
//! statement in order with its hazards marked), and Graphviz accepts the DOT where installed.

mod util;

use std::process::{Command, Stdio};

use util::{db_with, ok, run};

const APP: &str = "CREATE SCHEMA app;
    CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE app.orders (id int PRIMARY KEY, user_id int REFERENCES app.users, total numeric);
    CREATE TABLE app.events (at date NOT NULL, what text) PARTITION BY RANGE (at);
    CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE VIEW app.big_orders AS SELECT o.id, u.name FROM app.orders o JOIN app.users u ON u.id = o.user_id;
    CREATE TABLE \"Odd Schema\".\"Quote \"\"Me\"\"\" (x int);";

/// The lines of a DOT graph as `from -> to` pairs of node titles.
fn edges(dot: &str) -> Vec<(String, String, String)> {
    let title = |id: &str| -> String {
        let line = dot.lines().find(|l| l.trim_start().starts_with(&format!("{id} ["))).unwrap();
        let start = line.find("<b>").unwrap() + 3;
        line[start..line.find("</b>").unwrap()].to_owned()
    };
    dot.lines()
        .filter_map(|l| {
            let (a, rest) = l.trim().split_once(" -> ")?;
            let (b, attrs) = rest.split_once(' ')?;
            let label =
                attrs.split("label=\"").nth(1).map(|s| s.split('"').next().unwrap().to_owned());
            Some((title(a), title(b), label.unwrap_or_default()))
        })
        .collect()
}

/// Graphviz's verdict on a DOT text, when it is installed.
fn graphviz_accepts(dot: &str) {
    let Ok(mut child) = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("graphviz is not installed: the DOT was not rendered");
        return;
    };
    use std::io::Write;
    child.stdin.take().unwrap().write_all(dot.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "dot rejects it: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn inspect_draws_tables_foreign_keys_and_view_dependencies() {
    let db = db_with("pic_inspect", &format!("CREATE SCHEMA \"Odd Schema\"; {APP}"));
    let dot = ok(&["inspect", &db.url(), "--format", "dot"]);
    let e = edges(&dot);
    let has =
        |a: &str, b: &str, label: &str| e.iter().any(|x| x.0 == a && x.1 == b && x.2 == label);
    assert!(has("orders", "users", "orders_user_id_fkey"), "{e:?}");
    assert!(has("big_orders", "orders", "") && has("big_orders", "users", ""), "{e:?}");
    assert!(has("events_2024", "events", "partition of"), "{e:?}");
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(dot.contains("label=\"schema Odd Schema\""), "{dot}");
    assert!(dot.contains("Quote &quot;Me&quot;"), "{dot}");
    assert!(dot.contains("id integer (PK)"), "{dot}");
    graphviz_accepts(&dot);

    let mermaid = ok(&["inspect", &db.url(), "-n", "app", "--format", "mermaid"]);
    assert!(mermaid.starts_with("flowchart LR"), "{mermaid}");
    assert!(mermaid.contains("|\"orders_user_id_fkey\"|"), "{mermaid}");
    assert!(!mermaid.contains("Odd Schema"), "-n app only: {mermaid}");
}

#[test]
fn diff_draws_the_statements_in_order_with_hazards_marked() {
    let a = db_with("pic_diff_a", &format!("CREATE SCHEMA \"Odd Schema\"; {APP}"));
    let b = db_with(
        "pic_diff_b",
        &format!(
            "CREATE SCHEMA \"Odd Schema\"; {APP}
        ALTER TABLE app.users ADD COLUMN email text;
        CREATE INDEX users_email ON app.users (email);
        ALTER TABLE app.orders DROP COLUMN total;"
        ),
    );
    let args =
        ["diff", &a.url(), &b.url(), "-n", "app", "--no-self-check", "--allow-hazards", "all"];
    let (json, _) = run(0, &[&args[..], &["--format", "json"]].concat());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let changes = json["changes"].as_array().unwrap();
    let dot = ok(&[&args[..], &["--format", "dot"]].concat());
    let nodes: Vec<&str> = dot
        .lines()
        .filter(|l| l.trim_start().starts_with('s'))
        .filter(|l| l.contains("[label="))
        .collect();
    assert_eq!(nodes.len(), changes.len(), "{dot}");
    for (i, (node, change)) in nodes.iter().zip(changes).enumerate() {
        let first = change["sql"].as_str().unwrap().lines().next().unwrap();
        let shown = first.chars().take(40).collect::<String>().replace('"', "&quot;");
        assert!(node.contains(&format!("{}. {shown}", i + 1)), "{node} / {first}");
        let hazardous = change["hazards"].as_array().is_some_and(|h| !h.is_empty());
        assert_eq!(node.contains("#fde2e1"), hazardous, "{node}");
        if hazardous {
            assert!(node.contains("hazard "), "{node}");
        }
    }
    assert!(changes.iter().any(|c| c["hazards"][0]["kind"] == "data-loss"));
    // The index needs the column it is built on.
    let e = edges(&dot);
    assert!(
        e.iter().any(|(from, to, _)| from.contains("ADD COLUMN email")
            && to.contains("CREATE INDEX users_email")),
        "{e:?}"
    );
    graphviz_accepts(&dot);
}
