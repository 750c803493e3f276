//! Operator families (`CREATE OPERATOR FAMILY`, then `ALTER OPERATOR FAMILY … ADD` for their
//! loose members) and operator classes (`CREATE OPERATOR CLASS … FAMILY … AS OPERATOR …,
//! FUNCTION …`), as pg_dump writes them: a class always names its family, which is created
//! first. Owners and comments with them.

use super::{Out, phase};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::ident;

/// The members as `ALTER OPERATOR FAMILY … ADD` and `CREATE OPERATOR CLASS … AS` list them.
pub(crate) fn member_sql(
    operators: &[OpFamilyOperator],
    functions: &[OpFamilyFunction],
) -> Vec<String> {
    operators.iter().map(operator_item).chain(functions.iter().map(function_item)).collect()
}

fn operator_item(m: &OpFamilyOperator) -> String {
    let mut s = format!("OPERATOR {} {}({}, {})", m.strategy, m.operator, m.left, m.right);
    if let Some(f) = &m.order_by {
        s.push_str(&format!(" FOR ORDER BY {f}"));
    }
    s
}

fn function_item(m: &OpFamilyFunction) -> String {
    format!("FUNCTION {} ({}, {}) {}", m.number, m.left, m.right, m.function)
}

/// `name USING method`, as ALTER, COMMENT and DROP name a family or class.
pub(crate) fn using(name: &crate::sql::QualifiedName, method: &str) -> String {
    format!("{name} USING {}", ident(method))
}

/// The loose members of a family as one `ALTER OPERATOR FAMILY … ADD`, if it has any.
fn family_members_sql(f: &OperatorFamily) -> Option<String> {
    let items = member_sql(&f.operators, &f.functions);
    (!items.is_empty()).then(|| {
        format!(
            "ALTER OPERATOR FAMILY {} ADD\n    {}",
            using(&f.name, &f.method),
            items.join(",\n    ")
        )
    })
}

fn operator_class_sql(c: &OperatorClass) -> String {
    let mut items = member_sql(&c.operators, &c.functions);
    if let Some(t) = &c.storage {
        items.push(format!("STORAGE {t}"));
    } else if items.is_empty() {
        // Members whose types are not the class's belong to its family: the class may have
        // none of its own, and the list cannot be empty (pg_dump writes the same).
        items.push(format!("STORAGE {}", c.type_name));
    }
    format!(
        "CREATE OPERATOR CLASS {}\n    {}FOR TYPE {} USING {} FAMILY {} AS\n    {}",
        c.name,
        if c.default { "DEFAULT " } else { "" },
        c.type_name,
        ident(&c.method),
        c.family,
        items.join(",\n    ")
    )
}

pub(super) fn render_family(o: &mut Out<'_>, f: &OperatorFamily) {
    use Section::*;
    let k = key::operator_family(&f.name, &f.method);
    let sql = format!("CREATE OPERATOR FAMILY {}", using(&f.name, &f.method));
    o.create(
        PreData,
        phase::OPCLASS,
        k.clone(),
        vec![key::schema(&f.name.schema)],
        "operator family",
        sql,
    );
    if let Some(sql) = family_members_sql(f) {
        o.about(PreData, phase::OPCLASS, &k, vec![], "operator family members", sql);
    }
    let target = format!("OPERATOR FAMILY {}", using(&f.name, &f.method));
    o.owner(PreData, phase::OPCLASS, &k, target.clone(), &f.meta.owner);
    o.comment(PreData, phase::OPCLASS, &k, target, &f.meta.comment);
}

pub(super) fn render_class(o: &mut Out<'_>, c: &OperatorClass) {
    use Section::*;
    let k = key::operator_class(&c.name, &c.method);
    let deps = vec![key::schema(&c.name.schema), key::operator_family(&c.family, &c.method)];
    o.create(PreData, phase::OPCLASS, k.clone(), deps, "operator class", operator_class_sql(c));
    let target = format!("OPERATOR CLASS {}", using(&c.name, &c.method));
    o.owner(PreData, phase::OPCLASS, &k, target.clone(), &c.meta.owner);
    o.comment(PreData, phase::OPCLASS, &k, target, &c.meta.comment);
}
