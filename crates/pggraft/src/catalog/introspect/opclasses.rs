//! Operator families and classes, with their members: the operators (strategies) and support
//! functions of each class, and the loose ones a family holds by itself (`ALTER OPERATOR
//! FAMILY … ADD`). Each member's `pg_amop`/`pg_amproc` row is keyed as its class or family,
//! so that `pg_depend`'s edges from members to their operators and functions become the
//! class's (or family's) dependencies: classes come after what they use, and indexes (which
//! depend on their classes) after them.

use tokio_postgres::Client;

use super::{Keys, comment_join, opt_qn, qn};
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

const PG_OPCLASS: u32 = 2616;
const PG_OPFAMILY: u32 = 2753;
const PG_AMOP: u32 = 2602;
const PG_AMPROC: u32 = 2603;

pub(super) async fn read_operator_classes(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    let sql = format!(
        "SELECT f.oid, n.nspname, f.opfname::text AS name, am.amname::text AS method, \
         pg_get_userbyid(f.opfowner)::text AS owner, dsc.description AS comment \
         FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace \
         JOIN pg_am am ON am.oid = f.opfmethod {comment} \
         WHERE f.opfnamespace = ANY($1)",
        comment = comment_join("dsc", "pg_opfamily", "f.oid"),
    );
    // Families and classes by oid → (is a class, index in the model).
    let mut owners: std::collections::HashMap<u32, (bool, usize)> = Default::default();
    for r in client.query(&sql, &[&ns]).await.ctx("reading operator families")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_OPFAMILY, oid) {
            continue;
        }
        let f = OperatorFamily {
            name: qn(&r, "nspname", "name"),
            method: r.get("method"),
            operators: vec![],
            functions: vec![],
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_OPFAMILY, oid, key::operator_family(&f.name, &f.method));
        owners.insert(oid, (false, cat.operator_families.len()));
        cat.operator_families.push(f);
    }
    if owners.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT c.oid, n.nspname, c.opcname::text AS name, am.amname::text AS method, \
         format_type(c.opcintype, NULL) AS typ, c.opcdefault, fn.nspname AS fam_s, \
         f.opfname::text AS fam_n, \
         CASE WHEN c.opckeytype <> 0 THEN format_type(c.opckeytype, NULL) END AS storage, \
         pg_get_userbyid(c.opcowner)::text AS owner, dsc.description AS comment \
         FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace \
         JOIN pg_am am ON am.oid = c.opcmethod JOIN pg_opfamily f ON f.oid = c.opcfamily \
         JOIN pg_namespace fn ON fn.oid = f.opfnamespace {comment} \
         WHERE c.opcnamespace = ANY($1)",
        comment = comment_join("dsc", "pg_opclass", "c.oid"),
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading operator classes")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_OPCLASS, oid) {
            continue;
        }
        let c = OperatorClass {
            name: qn(&r, "nspname", "name"),
            method: r.get("method"),
            type_name: r.get("typ"),
            default: r.get("opcdefault"),
            family: qn(&r, "fam_s", "fam_n"),
            storage: r.get("storage"),
            operators: vec![],
            functions: vec![],
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_OPCLASS, oid, key::operator_class(&c.name, &c.method));
        owners.insert(oid, (true, cat.operator_classes.len()));
        cat.operator_classes.push(c);
    }
    // A member belongs to its class (an internal dependency) or, loose, to its family.
    let owner_of = "JOIN pg_depend d ON d.objid = m.oid AND d.deptype IN ('i', 'a') \
         AND d.refclassid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)";
    let sql = format!(
        "SELECT m.oid, d.refobjid AS owner, m.amopstrategy AS n, \
         quote_ident(opn.nspname) || '.' || op.oprname AS opr, \
         format_type(m.amoplefttype, NULL) AS l, format_type(m.amoprighttype, NULL) AS r, \
         sfn.nspname AS sf_s, sf.opfname::text AS sf_n \
         FROM pg_amop m {owner_of} AND d.classid = 'pg_amop'::regclass \
         JOIN pg_operator op ON op.oid = m.amopopr JOIN pg_namespace opn ON opn.oid = op.oprnamespace \
         LEFT JOIN pg_opfamily sf ON sf.oid = m.amopsortfamily \
         LEFT JOIN pg_namespace sfn ON sfn.oid = sf.opfnamespace \
         WHERE d.refobjid = ANY($1) ORDER BY 3, 5, 6"
    );
    let oids: Vec<u32> = owners.keys().copied().collect();
    for r in client.query(&sql, &[&oids]).await.ctx("reading operator class operators")? {
        let Some(&(is_class, i)) = owners.get(&r.get::<_, u32>("owner")) else { continue };
        let m = OpFamilyOperator {
            strategy: r.get("n"),
            operator: r.get("opr"),
            left: r.get("l"),
            right: r.get("r"),
            order_by: opt_qn(&r, "sf_s", "sf_n"),
        };
        let k = if is_class {
            let c = &mut cat.operator_classes[i];
            c.operators.push(m);
            key::operator_class(&c.name, &c.method)
        } else {
            let f = &mut cat.operator_families[i];
            f.operators.push(m);
            key::operator_family(&f.name, &f.method)
        };
        keys.add(PG_AMOP, r.get("oid"), k);
    }
    let sql = format!(
        "SELECT m.oid, d.refobjid AS owner, m.amprocnum AS n, \
         format_type(m.amproclefttype, NULL) AS l, format_type(m.amprocrighttype, NULL) AS r, \
         m.amproc::regprocedure::text AS func \
         FROM pg_amproc m {owner_of} AND d.classid = 'pg_amproc'::regclass \
         WHERE d.refobjid = ANY($1) ORDER BY 3, 4, 5"
    );
    for r in client.query(&sql, &[&oids]).await.ctx("reading operator class functions")? {
        let Some(&(is_class, i)) = owners.get(&r.get::<_, u32>("owner")) else { continue };
        let m = OpFamilyFunction {
            number: r.get("n"),
            left: r.get("l"),
            right: r.get("r"),
            function: r.get("func"),
        };
        let k = if is_class {
            let c = &mut cat.operator_classes[i];
            c.functions.push(m);
            key::operator_class(&c.name, &c.method)
        } else {
            let f = &mut cat.operator_families[i];
            f.functions.push(m);
            key::operator_family(&f.name, &f.method)
        };
        keys.add(PG_AMPROC, r.get("oid"), k);
    }
    Ok(())
}
