//! Functions, procedures and aggregates (with their `CREATE AGGREGATE`
//! options), and operators. Functions an extension or another object owns
//! internally are left out.

use tokio_postgres::{Client, Row};

use super::{Keys, PG_OPERATOR, PG_PROC, acl_json, comment_join, parse_acl, qn};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

pub(super) async fn read_functions(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT p.oid, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) AS ident, \
         pg_get_function_arguments(p.oid) AS args, p.prokind::text AS prokind, \
         CASE WHEN p.prokind <> 'p' THEN pg_get_function_result(p.oid) END AS result, \
         l.lanname, p.provolatile::text AS vol, p.proisstrict, p.prosecdef, p.proleakproof, \
         p.proparallel::text AS par, p.procost, p.prorows, \
         NULLIF(p.prosupport, 0)::regproc::text AS support, p.proconfig, \
         CASE WHEN p.prosqlbody IS NULL THEN p.prosrc END AS src, \
         NULLIF(p.probin, '-') AS probin, \
         CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) END AS sqlbody, \
         pg_get_userbyid(p.proowner)::text AS owner, {acl} AS acl, \
         dsc.description AS comment, \
         ag.aggkind::text AS aggkind, ag.aggtransfn::regproc::text AS sfunc, \
         format_type(ag.aggtranstype, NULL) AS stype, ag.aggtransspace AS sspace, \
         NULLIF(ag.aggfinalfn, 0)::regproc::text AS finalfunc, ag.aggfinalextra, \
         ag.aggfinalmodify::text AS finalmodify, \
         NULLIF(ag.aggcombinefn, 0)::regproc::text AS combinefunc, \
         NULLIF(ag.aggserialfn, 0)::regproc::text AS serialfunc, \
         NULLIF(ag.aggdeserialfn, 0)::regproc::text AS deserialfunc, ag.agginitval, \
         NULLIF(ag.aggmtransfn, 0)::regproc::text AS msfunc, \
         NULLIF(ag.aggminvtransfn, 0)::regproc::text AS minvfunc, \
         CASE WHEN ag.aggmtranstype <> 0 THEN format_type(ag.aggmtranstype, NULL) END AS mstype, \
         ag.aggmtransspace AS msspace, NULLIF(ag.aggmfinalfn, 0)::regproc::text AS mfinalfunc, \
         ag.aggmfinalextra, ag.aggmfinalmodify::text AS mfinalmodify, ag.aggminitval, \
         (SELECT quote_ident(opn.nspname) || '.' || op.oprname FROM pg_operator op \
            JOIN pg_namespace opn ON opn.oid = op.oprnamespace WHERE op.oid = ag.aggsortop) AS sortop \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         JOIN pg_language l ON l.oid = p.prolang {comment} \
         LEFT JOIN pg_aggregate ag ON ag.aggfnoid = p.oid \
         WHERE p.pronamespace = ANY($1) AND p.prokind IN ('f', 'p', 'w', 'a') \
         AND NOT EXISTS (SELECT 1 FROM pg_depend di WHERE di.classid = 'pg_proc'::regclass \
             AND di.objid = p.oid AND di.deptype = 'i')",
        acl = acl_json("p.proacl"),
        comment = comment_join("dsc", "pg_proc", "p.oid"),
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading functions")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_PROC, oid) {
            continue;
        }
        let name = qn(&r, "nspname", "proname");
        let identity_args: String = r.get("ident");
        keys.add(PG_PROC, oid, key::function(&name, &identity_args));
        let config: Vec<(String, String)> = r
            .get::<_, Option<Vec<String>>>("proconfig")
            .unwrap_or_default()
            .into_iter()
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (kv, String::new()),
            })
            .collect();
        let kind: String = r.get("prokind");
        let aggregate = if kind == "a" { Some(aggregate(&r)) } else { None };
        cat.functions.push(Function {
            name,
            identity_args,
            arguments: r.get("args"),
            kind,
            result: r.get("result"),
            language: r.get("lanname"),
            volatility: r.get("vol"),
            strict: r.get("proisstrict"),
            security_definer: r.get("prosecdef"),
            leakproof: r.get("proleakproof"),
            parallel: r.get("par"),
            cost: r.get("procost"),
            rows: r.get("prorows"),
            support: r.get("support"),
            config,
            body: r.get("src"),
            object_file: r.get("probin"),
            sql_body: r.get("sqlbody"),
            aggregate,
            meta: Meta {
                owner: r.get("owner"),
                acl: parse_acl(r.get("acl"))?,
                comment: r.get("comment"),
            },
        });
    }
    Ok(())
}

/// An aggregate's row as the model's [`Aggregate`].
fn aggregate(r: &Row) -> Aggregate {
    let final_func = |cols: [&str; 3]| {
        r.get::<_, Option<String>>(cols[0]).map(|func| FinalFunc {
            func,
            extra: r.get(cols[1]),
            modify: FinalModify::from_code(&r.get::<_, String>(cols[2])),
        })
    };
    let moving = r.get::<_, Option<String>>("msfunc").map(|msfunc| MovingAggregate {
        msfunc,
        minvfunc: r.get("minvfunc"),
        mstype: r.get("mstype"),
        msspace: r.get("msspace"),
        mfinalfunc: final_func(["mfinalfunc", "aggmfinalextra", "mfinalmodify"]),
        minitcond: r.get("aggminitval"),
    });
    Aggregate {
        sfunc: r.get("sfunc"),
        stype: r.get("stype"),
        sspace: r.get("sspace"),
        finalfunc: final_func(["finalfunc", "aggfinalextra", "finalmodify"]),
        combinefunc: r.get("combinefunc"),
        serialfunc: r.get("serialfunc"),
        deserialfunc: r.get("deserialfunc"),
        initcond: r.get("agginitval"),
        moving,
        sortop: r.get("sortop"),
        parallel: Parallel::from_code(&r.get::<_, String>("par")),
        hypothetical: r.get::<_, Option<String>>("aggkind").as_deref() == Some("h"),
    }
}

/// Operators (shell operators, which only a forward reference created, are
/// left out: creating the real one fills them in).
pub(super) async fn read_operators(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let other = |col: &str| {
        format!(
            "(SELECT quote_ident(xn.nspname) || '.' || x.oprname FROM pg_operator x \
             JOIN pg_namespace xn ON xn.oid = x.oprnamespace WHERE x.oid = o.{col})"
        )
    };
    let sql = format!(
        "SELECT o.oid, n.nspname, o.oprname, \
         CASE WHEN o.oprleft <> 0 THEN format_type(o.oprleft, NULL) END AS l, \
         format_type(o.oprright, NULL) AS r, o.oprcode::regproc::text AS func, \
         {com} AS com, {neg} AS neg, \
         NULLIF(o.oprrest, 0)::regproc::text AS rest, NULLIF(o.oprjoin, 0)::regproc::text AS jn, \
         o.oprcanhash, o.oprcanmerge, pg_get_userbyid(o.oprowner)::text AS owner, \
         dsc.description AS comment \
         FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace {comment} \
         WHERE o.oprnamespace = ANY($1) AND o.oprcode <> 0",
        com = other("oprcom"),
        neg = other("oprnegate"),
        comment = comment_join("dsc", "pg_operator", "o.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading operators")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_OPERATOR, oid) {
            continue;
        }
        let op = Operator {
            name: qn(&r, "nspname", "oprname"),
            left: r.get("l"),
            right: r.get("r"),
            function: r.get("func"),
            commutator: r.get("com"),
            negator: r.get("neg"),
            restrict: r.get("rest"),
            join: r.get("jn"),
            hashes: r.get("oprcanhash"),
            merges: r.get("oprcanmerge"),
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_OPERATOR, oid, key::operator(&op));
        cat.operators.push(op);
    }
    Ok(())
}
