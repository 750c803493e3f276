//! Ordering statements by an explicit dependency graph.
//!
//! Statements are nodes; an edge runs from the statement that provides a key
//! to every statement that lists the key among its dependencies, and from an
//! object's creating statement to the statements about it. Among statements
//! whose dependencies are met, the lowest (section, phase) goes first, so the
//! output reads like pg_dump's: schemas, types, functions, tables, views,
//! then indexes, constraints, triggers. A post-data statement that a pre-data
//! statement needs (a view relying on a primary key) moves to pre-data.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use petgraph::graph::{DiGraph, NodeIndex};

mod stmt;

pub use stmt::{Revealed, Section, Stmt};

/// Statements split into the two sections, each in execution order.
#[derive(Debug, Clone, Default)]
pub struct Ordered {
    pub pre_data: Vec<Stmt>,
    pub post_data: Vec<Stmt>,
    /// Dependency cycles that had to be broken, one line each.
    pub warnings: Vec<String>,
}

impl Ordered {
    pub fn all(&self) -> impl Iterator<Item = &Stmt> {
        self.pre_data.iter().chain(self.post_data.iter())
    }
}

fn graph(stmts: &[Stmt]) -> DiGraph<usize, ()> {
    let mut g = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..stmts.len()).map(|i| g.add_node(i)).collect();
    let mut providers: HashMap<&str, usize> = HashMap::new();
    for (i, s) in stmts.iter().enumerate() {
        if let Some(p) = &s.provides {
            providers.entry(p.as_str()).or_insert(i);
        }
    }
    // `update_edge` would scan a node's edges on every call: quadratic for
    // the schema every statement depends on. A set keeps edges unique.
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for (i, s) in stmts.iter().enumerate() {
        for d in &s.deps {
            if let Some(&p) = providers.get(d.as_str())
                && p != i
                && seen.insert((p, i))
            {
                g.add_edge(nodes[p], nodes[i], ());
            }
        }
    }
    g
}

/// Orders statements (see the module docs).
pub fn order(mut stmts: Vec<Stmt>) -> Ordered {
    let (sorted, warnings) = order_positions(&mut stmts);
    let mut out = Ordered { warnings, ..Default::default() };
    let mut slots: Vec<Option<Stmt>> = stmts.into_iter().map(Some).collect();
    for i in sorted {
        let s = slots[i].take().expect("each statement once");
        match s.section {
            Section::PreData => out.pre_data.push(s),
            Section::PostData => out.post_data.push(s),
        }
    }
    out
}

/// The order [`order`] gives, as positions into `stmts` (pre-data first),
/// and the dependency cycles broken on the way; a post-data statement that
/// pre-data needs is moved to pre-data in place. For callers whose nodes
/// carry more than a statement (diff's carry their changes): they keep
/// that beside the nodes and find it again by position.
pub fn order_positions(stmts: &mut [Stmt]) -> (Vec<usize>, Vec<String>) {
    // Promote what pre-data needs, transitively.
    let g = graph(stmts);
    let mut stack: Vec<NodeIndex> =
        g.node_indices().filter(|n| stmts[g[*n]].section == Section::PreData).collect();
    while let Some(n) = stack.pop() {
        for p in g.neighbors_directed(n, petgraph::Direction::Incoming) {
            if stmts[g[p]].section == Section::PostData {
                stmts[g[p]].section = Section::PreData;
                stack.push(p);
            }
        }
    }
    let mut warnings = vec![];
    let sorted = topo(stmts, &g, &mut warnings);
    let (mut pre, post): (Vec<usize>, Vec<usize>) =
        sorted.into_iter().partition(|&i| stmts[i].section == Section::PreData);
    pre.extend(post);
    (pre, warnings)
}

/// Kahn's algorithm with a priority queue; cycles are broken at the lowest
/// priority statement left, with a warning.
fn topo(stmts: &[Stmt], g: &DiGraph<usize, ()>, warnings: &mut Vec<String>) -> Vec<usize> {
    let prio = |i: usize| (stmts[i].section, stmts[i].phase, i);
    let mut indegree: Vec<usize> = g
        .node_indices()
        .map(|n| g.neighbors_directed(n, petgraph::Direction::Incoming).count())
        .collect();
    let mut heap: BinaryHeap<Reverse<(Section, u16, usize)>> = BinaryHeap::new();
    for n in g.node_indices() {
        if indegree[n.index()] == 0 {
            heap.push(Reverse(prio(g[n])));
        }
    }
    let mut done = vec![false; stmts.len()];
    let mut out = Vec::with_capacity(stmts.len());
    while out.len() < stmts.len() {
        let next = match heap.pop() {
            Some(Reverse((_, _, i))) => i,
            None => {
                // A cycle: take the first statement left by priority.
                let i = (0..stmts.len())
                    .filter(|i| !done[*i])
                    .min_by_key(|i| prio(*i))
                    .expect("statements left");
                warnings.push(format!(
                    "dependency cycle around {}; emitted in catalog order",
                    stmts[i].object
                ));
                indegree[i] = 0;
                i
            }
        };
        if done[next] {
            continue;
        }
        done[next] = true;
        out.push(next);
        for m in g.neighbors_directed(NodeIndex::new(next), petgraph::Direction::Outgoing) {
            let mi = m.index();
            if done[mi] {
                continue;
            }
            indegree[mi] = indegree[mi].saturating_sub(1);
            if indegree[mi] == 0 {
                heap.push(Reverse(prio(mi)));
            }
        }
    }
    out
}

/// The preamble every rendered script starts with.
pub const SCRIPT_PREAMBLE: &str = "SET statement_timeout = 0;\n\
SET lock_timeout = 0;\n\
SET client_encoding = 'UTF8';\n\
SET standard_conforming_strings = on;\n\
SET check_function_bodies = false;\n\
SET client_min_messages = warning;\n\
SET search_path = '';\n";

/// The statements as one SQL script.
pub fn script(ordered: &Ordered) -> String {
    let mut out = String::from(SCRIPT_PREAMBLE);
    for w in &ordered.warnings {
        out.push_str(&format!("-- warning: {w}\n"));
    }
    for (title, list) in [("pre-data", &ordered.pre_data), ("post-data", &ordered.post_data)] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n-- {title}\n"));
        for s in list {
            out.push('\n');
            out.push_str(&s.sql);
            out.push_str(";\n");
        }
    }
    out
}
