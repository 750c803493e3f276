//! Functions, procedures and aggregates (`CREATE FUNCTION` as pg_dump
//! writes it, with a dollar quote that does not clash with the body), and
//! operators, which are thin names over functions. Owners, privileges and
//! comments with them.

use super::{AclClass, Out, phase};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::{ident, literal};

/// Chooses a dollar-quote tag that does not occur in `body`.
pub fn dollar_quote(body: &str) -> String {
    let mut tag = "$function$".to_string();
    let mut n = 0;
    while body.contains(&tag) {
        n += 1;
        tag = format!("$function{n}$");
    }
    format!("{tag}{body}{tag}")
}

/// GUCs whose values are lists (rendered as given rather than as one literal).
const LIST_GUCS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "shared_preload_libraries",
    "local_preload_libraries",
];

fn render_set(name: &str, value: &str) -> String {
    if LIST_GUCS.contains(&name) {
        if value.is_empty() || value == "\"\"" {
            return format!("SET {name} TO ''");
        }
        return format!("SET {name} TO {value}");
    }
    format!("SET {name} TO {}", literal(value))
}

pub fn function_sql(f: &Function) -> String {
    if let Some(agg) = &f.aggregate {
        let args = if f.arguments.is_empty() { "*" } else { &f.arguments };
        let options = aggregate_options(agg).join(",\n    ");
        return format!("CREATE AGGREGATE {}({args}) (\n    {options}\n)", f.name);
    }
    let is_proc = f.kind == "p";
    let mut s = format!(
        "CREATE {} {}({})",
        if is_proc { "PROCEDURE" } else { "FUNCTION" },
        f.name,
        f.arguments
    );
    if let Some(r) = &f.result {
        s.push_str(&format!(" RETURNS {r}"));
    }
    s.push_str(&format!("\n    LANGUAGE {}", ident(&f.language)));
    if f.kind == "w" {
        s.push_str(" WINDOW");
    }
    if !is_proc {
        match f.volatility.as_str() {
            "i" => s.push_str(" IMMUTABLE"),
            "s" => s.push_str(" STABLE"),
            _ => {}
        }
        if f.strict {
            s.push_str(" STRICT");
        }
        if f.leakproof {
            s.push_str(" LEAKPROOF");
        }
        match f.parallel.as_str() {
            "s" => s.push_str(" PARALLEL SAFE"),
            "r" => s.push_str(" PARALLEL RESTRICTED"),
            _ => {}
        }
    }
    if f.security_definer {
        s.push_str(" SECURITY DEFINER");
    }
    if !is_proc {
        s.push_str(&format!(" COST {}", f.cost));
        if f.rows > 0.0 {
            s.push_str(&format!(" ROWS {}", f.rows));
        }
        if let Some(sup) = &f.support {
            s.push_str(&format!(" SUPPORT {sup}"));
        }
    }
    for (k, v) in &f.config {
        s.push_str(&format!("\n    {}", render_set(k, v)));
    }
    if let Some(body) = &f.sql_body {
        s.push_str(&format!("\n{body}"));
    } else if let Some(obj) = &f.object_file {
        s.push_str(&format!(
            "\n    AS {}, {}",
            literal(obj),
            literal(f.body.as_deref().unwrap_or(""))
        ));
    } else if f.language == "internal" {
        s.push_str(&format!("\n    AS {}", literal(f.body.as_deref().unwrap_or(""))));
    } else {
        s.push_str(&format!("\n    AS {}", dollar_quote(f.body.as_deref().unwrap_or(""))));
    }
    s
}

pub(super) fn render_function(o: &mut Out<'_>, f: &Function) {
    use Section::*;
    let k = key::function(&f.name, &f.identity_args);
    let target = format!("{} {}", f.keyword(), f.signature());
    o.create(
        PreData,
        phase::FUNCTION,
        k.clone(),
        vec![key::schema(&f.name.schema)],
        "function",
        function_sql(f),
    );
    o.owner(PreData, phase::FUNCTION, &k, target.clone(), &f.meta.owner);
    let class = if f.kind == "p" { AclClass::Procedure } else { AclClass::Function };
    o.privileges(
        (PreData, phase::FUNCTION),
        &k,
        class,
        &format!("{}({})", f.name, f.identity_args),
        f.meta.owner.as_deref(),
        &f.meta.acl,
    );
    o.comment(PreData, phase::FUNCTION, &k, target, &f.meta.comment);
}

/// `CREATE OPERATOR`, with the options pg_dump writes.
pub(crate) fn operator_sql(op: &Operator) -> String {
    let mut opts = vec![format!("FUNCTION = {}", op.function)];
    if let Some(l) = &op.left {
        opts.push(format!("LEFTARG = {l}"));
    }
    opts.push(format!("RIGHTARG = {}", op.right));
    if let Some(c) = &op.commutator {
        opts.push(format!("COMMUTATOR = OPERATOR({c})"));
    }
    if let Some(n) = &op.negator {
        opts.push(format!("NEGATOR = OPERATOR({n})"));
    }
    if let Some(r) = &op.restrict {
        opts.push(format!("RESTRICT = {r}"));
    }
    if let Some(j) = &op.join {
        opts.push(format!("JOIN = {j}"));
    }
    if op.hashes {
        opts.push("HASHES".into());
    }
    if op.merges {
        opts.push("MERGES".into());
    }
    format!("CREATE OPERATOR {} (\n    {}\n)", op.qualified(), opts.join(",\n    "))
}

pub(super) fn render_operator(o: &mut Out<'_>, op: &Operator) {
    use Section::*;
    let k = key::operator(op);
    o.create(
        PreData,
        phase::OPERATOR,
        k.clone(),
        vec![key::schema(&op.name.schema)],
        "operator",
        operator_sql(op),
    );
    let target = format!("OPERATOR {}", op.signature());
    o.owner(PreData, phase::OPERATOR, &k, target.clone(), &op.meta.owner);
    o.comment(PreData, phase::OPERATOR, &k, target, &op.meta.comment);
}

/// The `CREATE AGGREGATE` options, as pg_dump writes them: defaults left
/// out, `FINALFUNC_MODIFY` always given with a final function (its default
/// depends on the aggregate's kind).
fn aggregate_options(a: &Aggregate) -> Vec<String> {
    let modify = |m: FinalModify| match m {
        FinalModify::Shareable => "SHAREABLE",
        FinalModify::ReadWrite => "READ_WRITE",
        FinalModify::ReadOnly => "READ_ONLY",
    };
    // The final function of the plain (`""`) or moving (`"M"`) form.
    let final_func = |o: &mut Vec<String>, m: &str, f: &Option<FinalFunc>| {
        if let Some(f) = f {
            o.push(format!("{m}FINALFUNC = {}", f.func));
            if f.extra {
                o.push(format!("{m}FINALFUNC_EXTRA"));
            }
            o.push(format!("{m}FINALFUNC_MODIFY = {}", modify(f.modify)));
        }
    };
    let mut o = vec![format!("SFUNC = {}", a.sfunc), format!("STYPE = {}", a.stype)];
    if a.sspace != 0 {
        o.push(format!("SSPACE = {}", a.sspace));
    }
    final_func(&mut o, "", &a.finalfunc);
    for (f, word) in [
        (&a.combinefunc, "COMBINEFUNC"),
        (&a.serialfunc, "SERIALFUNC"),
        (&a.deserialfunc, "DESERIALFUNC"),
    ] {
        if let Some(f) = f {
            o.push(format!("{word} = {f}"));
        }
    }
    if let Some(v) = &a.initcond {
        o.push(format!("INITCOND = {}", literal(v)));
    }
    if let Some(m) = &a.moving {
        o.push(format!("MSFUNC = {}", m.msfunc));
        if let Some(f) = &m.minvfunc {
            o.push(format!("MINVFUNC = {f}"));
        }
        if let Some(t) = &m.mstype {
            o.push(format!("MSTYPE = {t}"));
        }
        if m.msspace != 0 {
            o.push(format!("MSSPACE = {}", m.msspace));
        }
        final_func(&mut o, "M", &m.mfinalfunc);
        if let Some(v) = &m.minitcond {
            o.push(format!("MINITCOND = {}", literal(v)));
        }
    }
    if let Some(op) = &a.sortop {
        o.push(format!("SORTOP = OPERATOR({op})"));
    }
    match a.parallel {
        Parallel::Safe => o.push("PARALLEL = SAFE".into()),
        Parallel::Restricted => o.push("PARALLEL = RESTRICTED".into()),
        Parallel::Unsafe => {}
    }
    if a.hypothetical {
        o.push("HYPOTHETICAL".into());
    }
    o
}
