//! Pictures: a catalog's tables, foreign keys and view dependencies, or a
//! migration's statements in the order they run, as a [`Graph`] printed in
//! Graphviz's DOT or as a Mermaid flowchart.
//!
//! This module owns the drawing (what is a node, what is an edge, how a
//! hazard looks); it reads models and migrations as they are and leaves
//! introspection and diffing to [`crate::catalog`] and [`crate::diff`].
//! Everything it prints is quoted for the format, so any identifier draws.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::catalog::{Catalog, key};
use crate::diff::Migration;

/// What a node stands for; decides its shape and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Table,
    View,
    MaterializedView,
    /// A migration statement; `hazard` when it has any.
    Statement {
        hazard: bool,
        transactional: bool,
    },
}

/// What an edge stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeKind {
    /// From the referencing table to the referenced one.
    ForeignKey,
    /// From a view to a relation it reads.
    Reads,
    /// From a partition or an inheriting table to its parent.
    Child,
    /// From a statement to one that needs it (its object depends on the
    /// first's).
    Needs,
    /// From a statement to the next one run.
    Then,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    /// The first line: a name or a statement.
    pub title: String,
    /// Further lines (columns, hazards).
    pub lines: Vec<String>,
    pub kind: NodeKind,
    /// Drawn inside a box with this name (a schema).
    pub group: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    pub kind: EdgeKind,
}

/// Nodes and edges, in the order they were added.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub title: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// Columns listed in a table's node before "… N more".
const MAX_COLUMNS: usize = 12;
/// A statement's first line is cut to this many characters.
const MAX_STATEMENT: usize = 70;

impl Graph {
    /// The tables (with their columns), views and materialized views of a
    /// model, one box per schema; foreign keys between tables, and the
    /// relations each view reads (from the catalog's dependencies).
    pub fn of_catalog(cat: &Catalog) -> Graph {
        let mut g = Graph { title: format!("database {}", cat.database), ..Graph::default() };
        let mut ids: HashMap<String, String> = HashMap::new();
        for t in &cat.tables {
            let id = format!("n{}", g.nodes.len());
            ids.insert(key::relation(&t.name), id.clone());
            let pk: Vec<&str> = t
                .constraints
                .iter()
                .filter(|c| c.kind == "p")
                .flat_map(|c| c.definition.split(['(', ')', ',']).skip(1).map(str::trim))
                .collect();
            // A partition has its parent's columns: its bound says more.
            let lines: Vec<String> = match &t.partition_of {
                Some(p) => vec![p.bound.clone()],
                None => {
                    let mut lines: Vec<String> = t
                        .columns
                        .iter()
                        .take(MAX_COLUMNS)
                        .map(|c| {
                            let mark = if pk.contains(&c.name.as_str()) { " (PK)" } else { "" };
                            format!("{} {}{mark}", c.name, c.type_name)
                        })
                        .collect();
                    if t.columns.len() > MAX_COLUMNS {
                        lines.push(format!("… {} more", t.columns.len() - MAX_COLUMNS));
                    }
                    lines
                }
            };
            g.nodes.push(Node {
                id,
                title: t.name.name.clone(),
                lines,
                kind: NodeKind::Table,
                group: Some(t.name.schema.clone()),
            });
        }
        for v in &cat.views {
            let id = format!("n{}", g.nodes.len());
            ids.insert(key::relation(&v.name), id.clone());
            let kind = if v.materialized { NodeKind::MaterializedView } else { NodeKind::View };
            let what = if v.materialized { "materialized view" } else { "view" };
            g.nodes.push(Node {
                id,
                title: v.name.name.clone(),
                lines: vec![what.to_owned()],
                kind,
                group: Some(v.name.schema.clone()),
            });
        }
        for t in &cat.tables {
            let from = &ids[&key::relation(&t.name)];
            let parents = t.partition_of.iter().map(|p| (&p.parent, "partition of"));
            for (parent, label) in parents.chain(t.inherits.iter().map(|p| (p, "inherits"))) {
                if let Some(to) = ids.get(&key::relation(parent)) {
                    g.edges.push(Edge {
                        from: from.clone(),
                        to: to.clone(),
                        label: Some(label.to_owned()),
                        kind: EdgeKind::Child,
                    });
                }
            }
            for c in t.constraints.iter().filter(|c| c.kind == "f" && !c.has_parent) {
                let Some(to) = c.references.as_ref().and_then(|r| ids.get(&key::relation(r)))
                else {
                    continue;
                };
                g.edges.push(Edge {
                    from: ids[&key::relation(&t.name)].clone(),
                    to: to.clone(),
                    label: Some(c.name.clone()),
                    kind: EdgeKind::ForeignKey,
                });
            }
        }
        for v in &cat.views {
            let from = ids[&key::relation(&v.name)].clone();
            let Some(deps) = cat.depends.get(&key::relation(&v.name)) else { continue };
            for d in deps {
                if let Some(to) = ids.get(d)
                    && *to != from
                {
                    g.edges.push(Edge {
                        from: from.clone(),
                        to: to.clone(),
                        label: None,
                        kind: EdgeKind::Reads,
                    });
                }
            }
        }
        g
    }

    /// A migration's statements, numbered in the order they run, linked
    /// one to the next; a statement whose object depends (in `from` or
    /// `to`) on an earlier statement's object is also linked to it.
    /// Statements with hazards are marked, and those that cannot run in a
    /// transaction block say so.
    pub fn of_migration(m: &Migration, from: &Catalog, to: &Catalog) -> Graph {
        let mut g = Graph { title: "migration".into(), ..Graph::default() };
        let mut by_object: BTreeMap<&str, String> = BTreeMap::new();
        for (i, c) in m.changes.iter().enumerate() {
            let id = format!("s{i}");
            let first = c.sql.lines().next().unwrap_or("").trim();
            let mut title = format!("{}. ", i + 1);
            if first.chars().count() > MAX_STATEMENT {
                title.extend(first.chars().take(MAX_STATEMENT - 1));
                title.push('…');
            } else {
                title.push_str(first);
            }
            let mut lines: Vec<String> = c
                .hazards
                .iter()
                .map(|h| format!("hazard {}: {}", h.kind.as_str(), h.detail))
                .collect();
            if !c.transactional {
                lines.push("not in a transaction block".into());
            }
            let kind = NodeKind::Statement {
                hazard: !c.hazards.is_empty(),
                transactional: c.transactional,
            };
            g.nodes.push(Node { id: id.clone(), title, lines, kind, group: None });
            for dep in [&from.depends, &to.depends].into_iter().filter_map(|d| d.get(&c.object)) {
                for d in dep {
                    if let Some(earlier) = by_object.get(d.as_str())
                        && !g.edges.iter().any(|e| e.from == *earlier && e.to == id)
                    {
                        g.edges.push(Edge {
                            from: earlier.clone(),
                            to: id.clone(),
                            label: None,
                            kind: EdgeKind::Needs,
                        });
                    }
                }
            }
            if i > 0 {
                g.edges.push(Edge {
                    from: format!("s{}", i - 1),
                    to: id.clone(),
                    label: None,
                    kind: EdgeKind::Then,
                });
            }
            by_object.insert(c.object.as_str(), id);
        }
        g
    }

    /// Graphviz DOT (`dot -Tpng`).
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph pggraft {{");
        let _ =
            writeln!(out, "  label={}; labelloc=t; fontname=\"Helvetica\";", dot_str(&self.title));
        let _ = writeln!(out, "  rankdir=LR; nodesep=0.4; ranksep=0.8;");
        let _ = writeln!(out, "  node [fontname=\"Helvetica\", fontsize=10];");
        let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];");
        if self.nodes.iter().any(|n| matches!(n.kind, NodeKind::Statement { .. })) {
            let _ = writeln!(out, "  rankdir=TB;");
        }
        let mut groups: BTreeMap<Option<&str>, Vec<&Node>> = BTreeMap::new();
        for n in &self.nodes {
            groups.entry(n.group.as_deref()).or_default().push(n);
        }
        for (i, (group, nodes)) in groups.iter().enumerate() {
            let indent = if group.is_some() { "    " } else { "  " };
            if let Some(name) = group {
                let _ = writeln!(out, "  subgraph cluster_{i} {{");
                let _ = writeln!(
                    out,
                    "    label={}; style=\"rounded,filled\"; fillcolor=\"#f5f5f5\"; color=\"#bbbbbb\";",
                    dot_str(&format!("schema {name}"))
                );
            }
            for n in nodes {
                let _ = writeln!(out, "{indent}{} [{}];", n.id, dot_node(n));
            }
            if group.is_some() {
                let _ = writeln!(out, "  }}");
            }
        }
        for e in &self.edges {
            let style = match e.kind {
                EdgeKind::ForeignKey => "color=\"#1f5fa8\"",
                EdgeKind::Reads => "style=dashed, color=\"#7a7a7a\"",
                EdgeKind::Child => "style=bold, color=\"#8a6d3b\", arrowhead=empty",
                EdgeKind::Needs => "color=\"#1f5fa8\", penwidth=1.4",
                EdgeKind::Then => "style=dotted, color=\"#999999\", arrowhead=none",
            };
            let label =
                e.label.as_deref().map(|l| format!(", label={}", dot_str(l))).unwrap_or_default();
            let _ = writeln!(out, "  {} -> {} [{style}{label}];", e.from, e.to);
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart (GitHub renders it in Markdown).
    pub fn to_mermaid(&self) -> String {
        let mut out = String::new();
        let statements = self.nodes.iter().any(|n| matches!(n.kind, NodeKind::Statement { .. }));
        let _ = writeln!(out, "flowchart {}", if statements { "TB" } else { "LR" });
        let mut groups: BTreeMap<Option<&str>, Vec<&Node>> = BTreeMap::new();
        for n in &self.nodes {
            groups.entry(n.group.as_deref()).or_default().push(n);
        }
        for (i, (group, nodes)) in groups.iter().enumerate() {
            if let Some(name) = group {
                let _ = writeln!(
                    out,
                    "  subgraph g{i}[\"{}\"]",
                    mermaid_text(&format!("schema {name}"))
                );
            }
            for n in nodes {
                let mut text = mermaid_text(&n.title);
                for l in &n.lines {
                    text.push_str("<br/>");
                    text.push_str(&mermaid_text(l));
                }
                let (open, close) = match n.kind {
                    NodeKind::Table => ("[", "]"),
                    NodeKind::View => ("([", "])"),
                    NodeKind::MaterializedView => ("[(", ")]"),
                    NodeKind::Statement { .. } => ("[", "]"),
                };
                let _ = writeln!(out, "    {}{open}\"{text}\"{close}", n.id);
            }
            if group.is_some() {
                let _ = writeln!(out, "  end");
            }
        }
        for e in &self.edges {
            let arrow = match e.kind {
                EdgeKind::ForeignKey | EdgeKind::Needs => "-->",
                EdgeKind::Reads => "-.->",
                EdgeKind::Child => "==>",
                EdgeKind::Then => "---",
            };
            match &e.label {
                Some(l) => {
                    let _ = writeln!(out, "  {} {arrow}|\"{}\"| {}", e.from, mermaid_text(l), e.to);
                }
                None => {
                    let _ = writeln!(out, "  {} {arrow} {}", e.from, e.to);
                }
            }
        }
        for n in &self.nodes {
            if let NodeKind::Statement { hazard: true, .. } = n.kind {
                let _ =
                    writeln!(out, "  style {} fill:#fde2e1,stroke:#c0392b,stroke-width:2px", n.id);
            }
        }
        out
    }
}

/// A DOT node's attributes: an HTML-like label (title bold, lines below).
fn dot_node(n: &Node) -> String {
    let mut label = format!("<<b>{}</b>", html(&n.title));
    for l in &n.lines {
        let _ = write!(label, "<br align=\"left\"/>{}", html(l));
    }
    if !n.lines.is_empty() {
        label.push_str("<br align=\"left\"/>");
    }
    label.push('>');
    let style = match n.kind {
        NodeKind::Table => "shape=box, style=filled, fillcolor=\"#ffffff\"",
        NodeKind::View => "shape=box, style=\"rounded,filled\", fillcolor=\"#eef6ee\"",
        NodeKind::MaterializedView => "shape=box3d, style=filled, fillcolor=\"#eef6ee\"",
        NodeKind::Statement { hazard: true, transactional: true } => {
            "shape=box, style=\"filled,bold\", fillcolor=\"#fde2e1\", color=\"#c0392b\""
        }
        NodeKind::Statement { hazard: true, transactional: false } => {
            "shape=box, style=\"filled,bold,dashed\", fillcolor=\"#fde2e1\", color=\"#c0392b\""
        }
        NodeKind::Statement { hazard: false, transactional: false } => {
            "shape=box, style=\"filled,dashed\", fillcolor=\"#ffffff\""
        }
        NodeKind::Statement { hazard: false, transactional: true } => {
            "shape=box, style=filled, fillcolor=\"#ffffff\""
        }
    };
    format!("label={label}, {style}")
}

/// A DOT double-quoted string.
fn dot_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Text inside a DOT HTML-like label.
fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Text inside a Mermaid `"…"` label (entity codes for what would end it).
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_and_mermaid_quote_what_would_break_them() {
        let g = Graph {
            title: "a \"b\"".into(),
            nodes: vec![Node {
                id: "n0".into(),
                title: "Odd \"<Table>\" & co".into(),
                lines: vec!["x int".into()],
                kind: NodeKind::Table,
                group: Some("Odd Schema".into()),
            }],
            edges: vec![Edge {
                from: "n0".into(),
                to: "n0".into(),
                label: Some("fk \"x\"".into()),
                kind: EdgeKind::ForeignKey,
            }],
        };
        let dot = g.to_dot();
        assert!(dot.contains("Odd &quot;&lt;Table&gt;&quot; &amp; co"), "{dot}");
        assert!(dot.contains("label=\"fk \\\"x\\\"\""), "{dot}");
        assert!(dot.contains("label=\"schema Odd Schema\""), "{dot}");
        let mm = g.to_mermaid();
        assert!(mm.contains("Odd #quot;#lt;Table#gt;#quot; & co"), "{mm}");
        assert!(mm.contains("n0 -->|\"fk #quot;x#quot;\"| n0"), "{mm}");
    }
}
