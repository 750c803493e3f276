//! A catalog model as one SQL script in dependency order, as
//! `pg_dump --schema-only` prints it (what `inspect` shows), headed by a
//! warning for each thing the model leaves out or does not show (secret
//! option values, user mapping options the reading role could not see).

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
    for note in hidden(cat) {
        out.push_str(&format!("-- warning: {note}\n"));
    }
    out.push_str(&plan::script(&ordered));
    tracing::debug!("inspect: script in {:.0?}", t.elapsed());
    out
}

/// What the script does not show: secret option values (printed as the placeholder) and user
/// mapping options the reading role may not see.
fn hidden(cat: &Catalog) -> Vec<String> {
    use crate::catalog::model::{FdwOptions, SECRET_PLACEHOLDER};
    use crate::sql::ident;
    fn secrets(out: &mut Vec<String>, what: String, o: &FdwOptions) {
        let names = o.secret_names();
        if !names.is_empty() {
            let names = names.join(", ");
            out.push(format!("{what}: option {names} printed as '{SECRET_PLACEHOLDER}'"));
        }
    }
    let mut out = vec![];
    for s in &cat.servers {
        secrets(&mut out, format!("foreign server {}", ident(&s.name)), &s.options);
        for m in &s.user_mappings {
            let user = if m.user == "PUBLIC" { m.user.clone() } else { ident(&m.user) };
            let what = format!("user mapping for {user} on server {}", ident(&s.name));
            match &m.options {
                Some(o) => secrets(&mut out, what, o),
                None => out.push(format!(
                    "{what}: its options are not readable by this role, and are left out"
                )),
            }
        }
    }
    for t in &cat.tables {
        let Some(f) = &t.foreign else { continue };
        secrets(&mut out, format!("foreign table {}", t.name), &f.options);
        for c in &t.columns {
            secrets(&mut out, format!("column {}.{}", t.name, ident(&c.name)), &c.fdw_options);
        }
    }
    out
}
