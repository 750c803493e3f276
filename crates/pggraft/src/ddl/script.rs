//! A catalog model as one SQL script in dependency order, as
//! `pg_dump --schema-only` prints it (what `inspect` shows), headed by a
//! warning for each thing the model leaves out.

use super::render::{RenderOptions, render};
use crate::catalog::Catalog;
use crate::plan;

/// The model as one SQL script, in dependency order.
pub fn to_sql(cat: &Catalog) -> String {
    let t = std::time::Instant::now();
    let stmts = render(cat, &RenderOptions::default());
    tracing::debug!("inspect: rendered {} statements in {:.0?}", stmts.len(), t.elapsed());
    let t = std::time::Instant::now();
    let ordered = plan::order(stmts);
    tracing::debug!("inspect: ordered them in {:.0?}", t.elapsed());
    let t = std::time::Instant::now();
    let mut out = format!("-- pggraft schema of database {}\n", crate::sql::literal(&cat.database));
    for u in &cat.unmodelled {
        out.push_str(&format!("-- warning: {}\n", u.describe("included")));
    }
    out.push_str(&plan::script(&ordered));
    tracing::debug!("inspect: script in {:.0?}", t.elapsed());
    out
}
