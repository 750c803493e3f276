//! Views and what hangs off a relation after its data: indexes (attached to
//! their partitioned parents), triggers and rules with their firing
//! states, extended statistics. Tables themselves, with their columns,
//! constraints and policies, are [`super::table`]'s.

use std::collections::{HashMap, HashSet};

use super::privileges::column_grants;
use super::{AclClass, Out, phase, with_options};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::{QualifiedName, ident};

/// Index-backed constraints and indexes by qualified index name, for
/// attaching partition indexes to their parents (only those named as a
/// parent: keys for every index of a large schema cost more than the rest).
pub(super) fn index_keys(cat: &Catalog) -> HashMap<QualifiedName, String> {
    let parents: HashSet<&QualifiedName> = cat
        .tables
        .iter()
        .flat_map(|t| t.constraints.iter().filter_map(|c| c.index_parent.as_ref()))
        .chain(cat.indexes.iter().filter_map(|i| i.parent.as_ref()))
        .collect();
    let mut index_keys: HashMap<QualifiedName, String> = HashMap::new();
    if !parents.is_empty() {
        for t in &cat.tables {
            for c in &t.constraints {
                if let Some(i) = &c.index {
                    let name = QualifiedName::new(&t.name.schema, i);
                    if parents.contains(&name) {
                        index_keys.insert(name, key::constraint(&t.name, &c.name));
                    }
                }
            }
        }
        for i in cat.indexes.iter().filter(|i| parents.contains(&i.name)) {
            index_keys.insert(i.name.clone(), key::index(&i.name));
        }
    }
    index_keys
}

pub(super) fn render_view(o: &mut Out<'_>, v: &View) {
    use Section::*;
    let k = key::relation(&v.name);
    let (word, ph) =
        if v.materialized { ("MATERIALIZED VIEW", phase::MATVIEW) } else { ("VIEW", phase::VIEW) };
    let sql = if v.materialized {
        format!(
            "CREATE MATERIALIZED VIEW {}{} AS\n{}\nWITH NO DATA",
            v.name,
            with_options(&v.options),
            v.definition
        )
    } else {
        format!("CREATE VIEW {}{} AS\n{}", v.name, with_options(&v.options), v.definition)
    };
    o.create(
        PreData,
        ph,
        k.clone(),
        vec![key::schema(&v.name.schema)],
        if v.materialized { "materialized view" } else { "view" },
        sql,
    );
    o.owner(PreData, ph, &k, format!("{word} {}", v.name), &v.meta.owner);
    o.privileges(
        (PreData, ph),
        &k,
        AclClass::Table,
        &v.name.to_string(),
        v.meta.owner.as_deref(),
        &v.meta.acl,
    );
    o.comment(PreData, ph, &k, format_args!("{word} {}", v.name), &v.meta.comment);
    for c in &v.columns {
        if let Some(d) = &c.default {
            let dk = key::default(&v.name, &c.name);
            o.create(
                PreData,
                ph + 1,
                dk,
                vec![k.clone()],
                "view default",
                format!("ALTER VIEW {} ALTER COLUMN {} SET DEFAULT {d}", v.name, ident(&c.name)),
            );
        }
        o.comment(
            PreData,
            ph,
            &k,
            format_args!("COLUMN {}.{}", v.name, ident(&c.name)),
            &c.comment,
        );
        if let (true, Some(acl)) = (o.opts.privileges, &c.acl) {
            for sql in column_grants(&v.name, &c.name, acl) {
                o.about(PreData, ph, &k, vec![], "privileges", sql);
            }
        }
    }
}

pub(super) fn render_index(
    o: &mut Out<'_>,
    i: &Index,
    index_keys: &HashMap<QualifiedName, String>,
) {
    use Section::*;
    let k = key::index(&i.name);
    o.create(
        PostData,
        phase::INDEX,
        k.clone(),
        vec![key::relation(&i.table)],
        "index",
        i.definition.clone(),
    );
    o.comment(PostData, phase::INDEX, &k, format_args!("INDEX {}", i.name), &i.comment);
    for (column, target) in &i.statistics {
        o.about(
            PostData,
            phase::INDEX,
            &k,
            vec![],
            "statistics target",
            format!("ALTER INDEX {} ALTER COLUMN {column} SET STATISTICS {target}", i.name),
        );
    }
    if let Some(p) = &i.parent {
        let pk = index_keys.get(p).cloned().unwrap_or_else(|| key::index(p));
        o.about(
            PostData,
            phase::INDEX_ATTACH,
            &k,
            vec![pk],
            "attach index",
            format!("ALTER INDEX {p} ATTACH PARTITION {}", i.name),
        );
    }
    if i.clustered {
        o.about(
            PostData,
            phase::TABLE_POST,
            &k,
            vec![],
            "cluster on",
            format!("ALTER TABLE {} CLUSTER ON {}", i.table, ident(&i.name.name)),
        );
    }
}

pub(super) fn render_trigger(o: &mut Out<'_>, tr: &Trigger) {
    let k = key::trigger(&tr.table, &tr.name);
    let parts =
        (&tr.table, tr.name.as_str(), tr.definition.as_str(), tr.enabled.as_str(), &tr.comment);
    table_sub_object(o, phase::TRIGGER, k, "TRIGGER", parts);
}

pub(super) fn render_rule(o: &mut Out<'_>, r: &Rule) {
    let k = key::rule(&r.table, &r.name);
    let parts = (&r.table, r.name.as_str(), r.definition.as_str(), r.enabled.as_str(), &r.comment);
    table_sub_object(o, phase::RULE, k, "RULE", parts);
}

/// `ALTER TABLE … {DISABLE|ENABLE REPLICA|ENABLE ALWAYS} {TRIGGER|RULE} …`
/// for a non-default firing state (`O`, enabled, gives `None`).
pub(crate) fn firing_state_sql(
    word: &str,
    table: &QualifiedName,
    name: &str,
    state: &str,
) -> Option<String> {
    let verb = match state {
        "D" => "DISABLE",
        "R" => "ENABLE REPLICA",
        "A" => "ENABLE ALWAYS",
        _ => return None,
    };
    Some(format!("ALTER TABLE {table} {verb} {word} {}", ident(name)))
}

/// A trigger or rule: its definition, firing state and comment.
fn table_sub_object(
    o: &mut Out<'_>,
    ph: u16,
    k: String,
    word: &'static str,
    (table, name, definition, enabled, comment): (
        &QualifiedName,
        &str,
        &str,
        &str,
        &Option<String>,
    ),
) {
    use Section::PostData;
    let what = if word == "TRIGGER" { "trigger" } else { "rule" };
    o.create(PostData, ph, k.clone(), vec![key::relation(table)], what, definition.to_string());
    if let Some(sql) = firing_state_sql(word, table, name, enabled) {
        o.about(
            PostData,
            ph,
            &k,
            vec![],
            if word == "TRIGGER" { "trigger state" } else { "rule state" },
            sql,
        );
    }
    o.comment(PostData, ph, &k, format_args!("{word} {} ON {table}", ident(name)), comment);
}

pub(super) fn render_statistics(o: &mut Out<'_>, s: &Statistics) {
    use Section::*;
    let k = key::statistics(&s.name);
    o.create(
        PostData,
        phase::STATISTICS,
        k.clone(),
        vec![key::relation(&s.table)],
        "statistics",
        s.definition.clone(),
    );
    if let Some(t) = s.target {
        o.about(
            PostData,
            phase::STATISTICS,
            &k,
            vec![],
            "statistics target",
            format!("ALTER STATISTICS {} SET STATISTICS {t}", s.name),
        );
    }
    o.owner(PostData, phase::STATISTICS, &k, format!("STATISTICS {}", s.name), &s.meta.owner);
    o.comment(
        PostData,
        phase::STATISTICS,
        &k,
        format_args!("STATISTICS {}", s.name),
        &s.meta.comment,
    );
}

/// Attaches partition constraints' indexes to their parents.
pub(super) fn attach_constraint_indexes(
    o: &mut Out<'_>,
    tables: &[Table],
    index_keys: &HashMap<QualifiedName, String>,
) {
    use Section::*;
    // Attach partition constraints' indexes to their parents.
    for t in tables {
        for c in &t.constraints {
            // An exclusion constraint's come with its parent's (see render_constraint).
            if c.kind == "x" {
                continue;
            }
            if let (Some(idx), Some(parent)) = (&c.index, &c.index_parent) {
                let k = key::constraint(&t.name, &c.name);
                let pk = index_keys.get(parent).cloned().unwrap_or_else(|| key::index(parent));
                o.about(
                    PostData,
                    phase::INDEX_ATTACH,
                    &k,
                    vec![pk],
                    "attach index",
                    format!(
                        "ALTER INDEX {parent} ATTACH PARTITION {}",
                        QualifiedName::new(&t.name.schema, idx)
                    ),
                );
            }
        }
    }
}
