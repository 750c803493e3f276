//! Foreign servers and user mappings (`CREATE SERVER IF NOT EXISTS`, `CREATE USER MAPPING IF
//! NOT EXISTS`: they belong to the database, and a target may have them already), and the
//! `OPTIONS (…)` clause they share with foreign tables and their columns. A secret option's
//! value is printed as [`SECRET_PLACEHOLDER`]; the statement that runs carries it in
//! [`crate::plan::Stmt::exec`]. Foreign tables themselves are [`super::table`]'s.

use super::{AclClass, Out, phase};
use crate::catalog::model::*;
use crate::plan::{Revealed, Section};
use crate::sql::{ident, literal};

/// ` OPTIONS (name 'value', …)`, or nothing for no options; `reveal` puts secret values in,
/// otherwise they are [`SECRET_PLACEHOLDER`].
pub fn options_sql(options: &FdwOptions, reveal: bool) -> String {
    if options.is_empty() {
        return String::new();
    }
    let items: Vec<String> = if reveal {
        options.0.iter().map(|(k, v)| format!("{} {}", ident(k), literal(v))).collect()
    } else {
        options.shown().map(|(k, v)| format!("{} {}", ident(k), literal(v))).collect()
    };
    format!(" OPTIONS ({})", items.join(", "))
}

fn mapping_user(user: &str) -> String {
    if user == "PUBLIC" { user.to_string() } else { ident(user) }
}

/// `CREATE USER MAPPING IF NOT EXISTS …`: printable, and, when it holds secrets, as it runs.
pub fn user_mapping_sql(server: &str, m: &UserMapping) -> (String, Option<String>) {
    let head = format!(
        "CREATE USER MAPPING IF NOT EXISTS FOR {} SERVER {}",
        mapping_user(&m.user),
        ident(server)
    );
    let Some(options) = &m.options else { return (head, None) };
    let shown = format!("{head}{}", options_sql(options, false));
    let secret = !options.secret_names().is_empty();
    (shown, secret.then(|| format!("{head}{}", options_sql(options, true))))
}

pub(super) fn render_server(o: &mut Out<'_>, s: &ForeignServer) {
    use Section::*;
    let k = key::server(&s.name);
    let mut sql = format!("CREATE SERVER IF NOT EXISTS {}", ident(&s.name));
    if let Some(t) = &s.server_type {
        sql.push_str(&format!(" TYPE {}", literal(t)));
    }
    if let Some(v) = &s.version {
        sql.push_str(&format!(" VERSION {}", literal(v)));
    }
    sql.push_str(&format!(" FOREIGN DATA WRAPPER {}", ident(&s.wrapper)));
    let revealed = (!s.options.secret_names().is_empty())
        .then(|| format!("{sql}{}", options_sql(&s.options, true)));
    sql.push_str(&options_sql(&s.options, false));
    o.create(PreData, phase::SERVER, k.clone(), vec![], "server", sql);
    if let Some(r) = revealed {
        o.stmts.last_mut().expect("just pushed").exec = Some(Revealed(r));
    }
    let target = format!("SERVER {}", ident(&s.name));
    o.owner(PreData, phase::SERVER, &k, target.clone(), &s.meta.owner);
    o.privileges(
        (PreData, phase::SERVER),
        &k,
        AclClass::ForeignServer,
        &ident(&s.name),
        s.meta.owner.as_deref(),
        &s.meta.acl,
    );
    o.comment(PreData, phase::SERVER, &k, target, &s.meta.comment);
    for m in &s.user_mappings {
        let (sql, revealed) = user_mapping_sql(&s.name, m);
        let mk = key::user_mapping(&s.name, &m.user);
        o.create(PreData, phase::SERVER, mk, vec![k.clone()], "user mapping", sql);
        if let Some(r) = revealed {
            o.stmts.last_mut().expect("just pushed").exec = Some(Revealed(r));
        }
    }
}
