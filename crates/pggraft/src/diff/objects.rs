//! Every object of a model by its key, with what the diff needs to know
//! about it: its definition (compared to decide create / alter / drop), its
//! metadata (owner, privileges, comments: changed in place), and how to
//! name it in DROP, COMMENT and GRANT statements.

use std::collections::BTreeMap;

use crate::catalog::model::*;
use crate::ddl::render::{AclClass, using};
use crate::sql::{QualifiedName, ident};

/// Privilege class, `ON` target, owner and ACL of an object.
pub type AclInfo<'a> = (AclClass, String, Option<&'a str>, Option<&'a Vec<Grant>>);

/// What a key names in one model.
#[derive(Debug, Clone, Copy)]
pub enum Obj<'a> {
    Schema(&'a Schema),
    Extension(&'a Extension),
    Collation(&'a Collation),
    Type(&'a TypeDef),
    /// The shell a base type is created as first (created with it, dropped with it).
    ShellType(&'a TypeDef),
    Function(&'a Function),
    Sequence(&'a Sequence),
    Table(&'a Table),
    View(&'a View),
    Index(&'a Index),
    Trigger(&'a Trigger),
    Rule(&'a Rule),
    Statistics(&'a Statistics),
    TextSearch(&'a TextSearch),
    Operator(&'a Operator),
    Conversion(&'a Conversion),
    OperatorFamily(&'a OperatorFamily),
    OperatorClass(&'a OperatorClass),
    Constraint(&'a Table, &'a Constraint),
    /// A column default of a table (or view, `bool` = view).
    Default(&'a QualifiedName, &'a str, &'a str, bool),
    Policy(&'a Table, &'a Policy),
    /// A foreign server (database-wide: created when missing, never dropped by a diff).
    Server(&'a ForeignServer),
    UserMapping(&'a ForeignServer, &'a UserMapping),
}

/// Indexes a model's objects by key.
pub fn objects(cat: &Catalog) -> BTreeMap<String, Obj<'_>> {
    let mut m = BTreeMap::new();
    for s in &cat.schemas {
        m.insert(key::schema(&s.name), Obj::Schema(s));
    }
    for e in &cat.extensions {
        m.insert(key::extension(&e.name), Obj::Extension(e));
    }
    for c in &cat.collations {
        m.insert(key::collation(&c.name), Obj::Collation(c));
    }
    for t in &cat.types {
        m.insert(key::type_(&t.name), Obj::Type(t));
        if let TypeKind::Base(_) = t.kind {
            m.insert(key::shell_type(&t.name), Obj::ShellType(t));
        }
    }
    for f in &cat.functions {
        m.insert(key::function(&f.name, &f.identity_args), Obj::Function(f));
    }
    for s in &cat.sequences {
        m.insert(key::sequence(&s.name), Obj::Sequence(s));
    }
    for t in &cat.tables {
        m.insert(key::relation(&t.name), Obj::Table(t));
        for c in &t.columns {
            if let Some(d) = &c.default {
                m.insert(key::default(&t.name, &c.name), Obj::Default(&t.name, &c.name, d, false));
            }
        }
        for c in &t.constraints {
            m.insert(key::constraint(&t.name, &c.name), Obj::Constraint(t, c));
        }
        for p in &t.policies {
            m.insert(key::policy(&t.name, &p.name), Obj::Policy(t, p));
        }
    }
    for v in &cat.views {
        m.insert(key::relation(&v.name), Obj::View(v));
        for c in &v.columns {
            if let Some(d) = &c.default {
                m.insert(key::default(&v.name, &c.name), Obj::Default(&v.name, &c.name, d, true));
            }
        }
    }
    for i in &cat.indexes {
        m.insert(key::index(&i.name), Obj::Index(i));
    }
    for t in &cat.triggers {
        m.insert(key::trigger(&t.table, &t.name), Obj::Trigger(t));
    }
    for r in &cat.rules {
        m.insert(key::rule(&r.table, &r.name), Obj::Rule(r));
    }
    for s in &cat.statistics {
        m.insert(key::statistics(&s.name), Obj::Statistics(s));
    }
    for ts in &cat.text_search {
        m.insert(key::text_search(ts), Obj::TextSearch(ts));
    }
    for op in &cat.operators {
        m.insert(key::operator(op), Obj::Operator(op));
    }
    for c in &cat.conversions {
        m.insert(key::conversion(&c.name), Obj::Conversion(c));
    }
    for f in &cat.operator_families {
        m.insert(key::operator_family(&f.name, &f.method), Obj::OperatorFamily(f));
    }
    for c in &cat.operator_classes {
        m.insert(key::operator_class(&c.name, &c.method), Obj::OperatorClass(c));
    }
    for s in &cat.servers {
        m.insert(key::server(&s.name), Obj::Server(s));
        for u in &s.user_mappings {
            m.insert(key::user_mapping(&s.name, &u.user), Obj::UserMapping(s, u));
        }
    }
    m
}

fn no_meta(_: &Meta) -> Meta {
    Meta { owner: None, acl: None, comment: None }
}

impl<'a> Obj<'a> {
    /// The table a sub-object belongs to (dropped with it).
    pub fn table(&self) -> Option<&'a QualifiedName> {
        match self {
            Obj::Index(i) => Some(&i.table),
            Obj::Trigger(t) => Some(&t.table),
            Obj::Rule(r) => Some(&r.table),
            Obj::Statistics(s) => Some(&s.table),
            Obj::Constraint(t, _) | Obj::Policy(t, _) => Some(&t.name),
            Obj::Default(t, ..) => Some(t),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Obj::Schema(_) => "schema",
            Obj::Extension(_) => "extension",
            Obj::Collation(_) => "collation",
            Obj::Type(_) => "type",
            Obj::ShellType(_) => "shell type",
            Obj::Function(f) if f.kind == "p" => "procedure",
            Obj::Function(f) if f.kind == "a" => "aggregate",
            Obj::Function(_) => "function",
            Obj::Sequence(_) => "sequence",
            Obj::Table(t) if t.foreign.is_some() => "foreign table",
            Obj::Table(_) => "table",
            Obj::View(v) if v.materialized => "materialized view",
            Obj::View(_) => "view",
            Obj::Index(_) => "index",
            Obj::Trigger(_) => "trigger",
            Obj::Rule(_) => "rule",
            Obj::Statistics(_) => "statistics",
            Obj::Operator(_) => "operator",
            Obj::Conversion(_) => "conversion",
            Obj::OperatorFamily(_) => "operator family",
            Obj::OperatorClass(_) => "operator class",
            Obj::TextSearch(ts) => match ts.kind {
                TextSearchKind::Dictionary { .. } => "text search dictionary",
                TextSearchKind::Configuration { .. } => "text search configuration",
                TextSearchKind::Parser { .. } => "text search parser",
                TextSearchKind::Template { .. } => "text search template",
            },
            Obj::Constraint(..) => "constraint",
            Obj::Default(..) => "default",
            Obj::Policy(..) => "policy",
            Obj::Server(_) => "server",
            Obj::UserMapping(..) => "user mapping",
        }
    }

    /// A comparable rendering of the definition, without metadata.
    pub fn definition(&self) -> String {
        match self {
            Obj::Schema(s) => s.name.clone(),
            Obj::Extension(e) => format!("{} {} {}", e.name, e.schema, e.version),
            Obj::Collation(c) => {
                format!("{:?}", Collation { meta: no_meta(&c.meta), ..(*c).clone() })
            }
            Obj::Type(t) => {
                let mut t = (*t).clone();
                t.meta = no_meta(&t.meta);
                match &mut t.kind {
                    TypeKind::Composite { attributes } => {
                        for a in attributes {
                            a.comment = None;
                        }
                    }
                    TypeKind::Domain { constraints, .. } => {
                        for c in constraints {
                            c.comment = None;
                        }
                    }
                    _ => {}
                }
                format!("{t:?}")
            }
            Obj::Function(f) => {
                format!("{:?}", Function { meta: no_meta(&f.meta), ..(*f).clone() })
            }
            Obj::ShellType(t) => t.name.to_string(),
            Obj::Sequence(s) => {
                format!("{:?}", Sequence { meta: no_meta(&s.meta), ..(*s).clone() })
            }
            Obj::Table(t) => {
                let mut t = (*t).clone();
                t.meta = no_meta(&t.meta);
                t.constraints.clear();
                t.policies.clear();
                t.size_bytes = 0;
                t.est_rows = 0.0;
                for c in &mut t.columns {
                    c.default = None;
                    c.comment = None;
                    c.acl = None;
                    c.binary_unsafe = false;
                }
                format!("{t:?}")
            }
            Obj::View(v) => {
                let mut v = (*v).clone();
                v.meta = no_meta(&v.meta);
                v.populated = false;
                for c in &mut v.columns {
                    c.default = None;
                    c.comment = None;
                    c.acl = None;
                }
                format!("{v:?}")
            }
            Obj::Index(i) => format!("{:?}", Index { comment: None, ..(*i).clone() }),
            Obj::Trigger(t) => format!("{:?}", Trigger { comment: None, ..(*t).clone() }),
            Obj::Rule(r) => format!("{:?}", Rule { comment: None, ..(*r).clone() }),
            Obj::TextSearch(ts) => format!("{:?} {:?}", ts.name, ts.kind),
            Obj::Operator(op) => {
                format!("{:?}", Operator { meta: no_meta(&op.meta), ..(*op).clone() })
            }
            Obj::Statistics(s) => {
                format!("{:?}", Statistics { meta: no_meta(&s.meta), ..(*s).clone() })
            }
            Obj::Conversion(c) => {
                format!("{:?}", Conversion { meta: no_meta(&c.meta), ..(*c).clone() })
            }
            Obj::OperatorFamily(f) => {
                format!("{:?}", OperatorFamily { meta: no_meta(&f.meta), ..(*f).clone() })
            }
            Obj::OperatorClass(c) => {
                format!("{:?}", OperatorClass { meta: no_meta(&c.meta), ..(*c).clone() })
            }
            Obj::Constraint(_, c) => format!("{:?}", Constraint { comment: None, ..(*c).clone() }),
            Obj::Default(_, _, d, _) => d.to_string(),
            Obj::Policy(_, p) => format!("{:?}", Policy { comment: None, ..(*p).clone() }),
            Obj::Server(s) => format!(
                "{:?}",
                ForeignServer { meta: no_meta(&s.meta), user_mappings: vec![], ..(*s).clone() }
            ),
            Obj::UserMapping(_, u) => format!("{:?}", u.options),
        }
    }

    /// Owner, privileges and comments, comparable.
    pub fn metadata(&self) -> String {
        match self {
            Obj::Schema(s) => format!("{:?} {:?}", s.meta, s.default_privileges),
            Obj::Extension(e) => format!("{:?}", e.meta.comment),
            Obj::Collation(c) => format!("{:?}", c.meta),
            Obj::Type(t) => {
                let sub: Vec<Option<String>> = match &t.kind {
                    TypeKind::Composite { attributes } => {
                        attributes.iter().map(|a| a.comment.clone()).collect()
                    }
                    TypeKind::Domain { constraints, .. } => {
                        constraints.iter().map(|c| c.comment.clone()).collect()
                    }
                    _ => vec![],
                };
                format!("{:?} {sub:?}", t.meta)
            }
            Obj::Function(f) => format!("{:?}", f.meta),
            Obj::ShellType(_) => String::new(),
            Obj::Sequence(s) => format!("{:?}", s.meta),
            Obj::Table(t) => {
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| format!("{:?}", (&c.name, &c.comment, &c.acl)))
                    .collect();
                format!("{:?} {cols:?}", t.meta)
            }
            Obj::View(v) => {
                let cols: Vec<String> = v
                    .columns
                    .iter()
                    .map(|c| format!("{:?}", (&c.name, &c.comment, &c.acl)))
                    .collect();
                format!("{:?} {cols:?}", v.meta)
            }
            Obj::Index(i) => format!("{:?}", i.comment),
            Obj::Trigger(t) => format!("{:?}", t.comment),
            Obj::Rule(r) => format!("{:?}", r.comment),
            Obj::Statistics(s) => format!("{:?}", s.meta),
            Obj::TextSearch(ts) => format!("{:?}", ts.meta),
            Obj::Operator(op) => format!("{:?}", op.meta),
            Obj::Conversion(c) => format!("{:?}", c.meta),
            Obj::OperatorFamily(f) => format!("{:?}", f.meta),
            Obj::OperatorClass(c) => format!("{:?}", c.meta),
            Obj::Constraint(_, c) => format!("{:?}", c.comment),
            Obj::Default(..) => String::new(),
            Obj::Policy(_, p) => format!("{:?}", p.comment),
            Obj::Server(s) => format!("{:?}", s.meta),
            Obj::UserMapping(..) => String::new(),
        }
    }

    /// The object as named in `DROP <this>` / `COMMENT ON <this>`, if it
    /// has such a name.
    pub fn target(&self) -> Option<String> {
        Some(match self {
            Obj::Schema(s) => format!("SCHEMA {}", ident(&s.name)),
            Obj::Extension(e) => format!("EXTENSION {}", ident(&e.name)),
            Obj::Collation(c) => format!("COLLATION {}", c.name),
            Obj::Type(t) if matches!(t.kind, TypeKind::Domain { .. }) => {
                format!("DOMAIN {}", t.name)
            }
            Obj::Type(t) => format!("TYPE {}", t.name),
            Obj::Function(f) => format!("{} {}", f.keyword(), f.signature()),
            Obj::Sequence(s) => format!("SEQUENCE {}", s.name),
            Obj::Table(t) => format!("{} {}", t.keyword(), t.name),
            Obj::View(v) if v.materialized => format!("MATERIALIZED VIEW {}", v.name),
            Obj::View(v) => format!("VIEW {}", v.name),
            Obj::Index(i) => format!("INDEX {}", i.name),
            Obj::Trigger(t) => format!("TRIGGER {} ON {}", ident(&t.name), t.table),
            Obj::Rule(r) => format!("RULE {} ON {}", ident(&r.name), r.table),
            Obj::Statistics(s) => format!("STATISTICS {}", s.name),
            Obj::TextSearch(ts) => format!("{} {}", ts.keyword(), ts.name),
            Obj::Operator(op) => format!("OPERATOR {}", op.signature()),
            Obj::Conversion(c) => format!("CONVERSION {}", c.name),
            Obj::OperatorFamily(f) => format!("OPERATOR FAMILY {}", using(&f.name, &f.method)),
            Obj::OperatorClass(c) => format!("OPERATOR CLASS {}", using(&c.name, &c.method)),
            Obj::Constraint(t, c) => format!("CONSTRAINT {} ON {}", ident(&c.name), t.name),
            Obj::Policy(t, p) => format!("POLICY {} ON {}", ident(&p.name), t.name),
            // Dropped with its type; its statements are the type's.
            Obj::ShellType(_) => return None,
            Obj::Server(s) => format!("SERVER {}", ident(&s.name)),
            Obj::UserMapping(s, u) => format!(
                "USER MAPPING FOR {} SERVER {}",
                if u.user == "PUBLIC" { u.user.clone() } else { ident(&u.user) },
                ident(&s.name)
            ),
            Obj::Default(..) => return None,
        })
    }

    /// Owner, ACL and the class for privilege statements.
    pub fn acl(&self) -> Option<AclInfo<'a>> {
        let (class, on, meta): (AclClass, String, &Meta) = match self {
            Obj::Schema(s) => (AclClass::Schema, ident(&s.name), &s.meta),
            Obj::Type(t) => (AclClass::Type, t.name.to_string(), &t.meta),
            Obj::Function(f) => {
                let class = if f.kind == "p" { AclClass::Procedure } else { AclClass::Function };
                (class, format!("{}({})", f.name, f.identity_args), &f.meta)
            }
            Obj::Sequence(s) => (AclClass::Sequence, s.name.to_string(), &s.meta),
            Obj::Table(t) => (AclClass::Table, t.name.to_string(), &t.meta),
            Obj::View(v) => (AclClass::Table, v.name.to_string(), &v.meta),
            Obj::Server(s) => (AclClass::ForeignServer, ident(&s.name), &s.meta),
            _ => return None,
        };
        Some((class, on, meta.owner.as_deref(), meta.acl.as_ref()))
    }

    /// The owner, for objects that have one.
    pub fn owner(&self) -> Option<&'a str> {
        match self {
            Obj::Schema(s) => s.meta.owner.as_deref(),
            Obj::Collation(c) => c.meta.owner.as_deref(),
            Obj::Type(t) => t.meta.owner.as_deref(),
            Obj::Function(f) => f.meta.owner.as_deref(),
            Obj::Sequence(s) => s.meta.owner.as_deref(),
            Obj::Table(t) => t.meta.owner.as_deref(),
            Obj::View(v) => v.meta.owner.as_deref(),
            Obj::Statistics(s) => s.meta.owner.as_deref(),
            Obj::TextSearch(ts) => ts.meta.owner.as_deref(),
            Obj::Operator(op) => op.meta.owner.as_deref(),
            Obj::Conversion(c) => c.meta.owner.as_deref(),
            Obj::OperatorFamily(f) => f.meta.owner.as_deref(),
            Obj::OperatorClass(c) => c.meta.owner.as_deref(),
            Obj::Server(s) => s.meta.owner.as_deref(),
            _ => None,
        }
    }

    /// `ALTER <what> <name>` for owner changes.
    pub fn alter_target(&self) -> Option<String> {
        Some(match self {
            Obj::Sequence(s) => format!("SEQUENCE {}", s.name),
            Obj::Table(t) => format!("{} {}", t.keyword(), t.name),
            Obj::View(v) if v.materialized => format!("MATERIALIZED VIEW {}", v.name),
            Obj::View(v) => format!("VIEW {}", v.name),
            other => return other.target().filter(|_| other.owner().is_some()),
        })
    }

    /// Comments: `(COMMENT ON target, comment)` for the object and its parts.
    pub fn comments(&self) -> Vec<(String, Option<String>)> {
        let mut out = vec![];
        let main = match self {
            Obj::Schema(s) => s.meta.comment.clone(),
            Obj::Extension(e) => e.meta.comment.clone(),
            Obj::Collation(c) => c.meta.comment.clone(),
            Obj::Type(t) => t.meta.comment.clone(),
            Obj::Function(f) => f.meta.comment.clone(),
            Obj::Sequence(s) => s.meta.comment.clone(),
            Obj::Table(t) => t.meta.comment.clone(),
            Obj::View(v) => v.meta.comment.clone(),
            Obj::Index(i) => i.comment.clone(),
            Obj::Trigger(t) => t.comment.clone(),
            Obj::Rule(r) => r.comment.clone(),
            Obj::Statistics(s) => s.meta.comment.clone(),
            Obj::TextSearch(ts) => ts.meta.comment.clone(),
            Obj::Operator(op) => op.meta.comment.clone(),
            Obj::Conversion(c) => c.meta.comment.clone(),
            Obj::OperatorFamily(f) => f.meta.comment.clone(),
            Obj::OperatorClass(c) => c.meta.comment.clone(),
            Obj::Constraint(_, c) => c.comment.clone(),
            Obj::Policy(_, p) => p.comment.clone(),
            Obj::Server(s) => s.meta.comment.clone(),
            Obj::Default(..) | Obj::UserMapping(..) | Obj::ShellType(_) => None,
        };
        if let Some(t) = self.target() {
            out.push((t, main));
        }
        match self {
            Obj::Table(t) => {
                for c in &t.columns {
                    out.push((format!("COLUMN {}.{}", t.name, ident(&c.name)), c.comment.clone()));
                }
            }
            Obj::View(v) => {
                for c in &v.columns {
                    out.push((format!("COLUMN {}.{}", v.name, ident(&c.name)), c.comment.clone()));
                }
            }
            Obj::Type(t) => match &t.kind {
                TypeKind::Composite { attributes } => {
                    for a in attributes {
                        out.push((
                            format!("COLUMN {}.{}", t.name, ident(&a.name)),
                            a.comment.clone(),
                        ));
                    }
                }
                TypeKind::Domain { constraints, .. } => {
                    for c in constraints {
                        out.push((
                            format!("CONSTRAINT {} ON DOMAIN {}", ident(&c.name), t.name),
                            c.comment.clone(),
                        ));
                    }
                }
                _ => {}
            },
            _ => {}
        }
        out
    }

    /// Column ACLs of tables and views: `(column, acl)`.
    pub fn column_acls(&self) -> Vec<(&'a str, Option<&'a Vec<Grant>>)> {
        match self {
            Obj::Table(t) => t.columns.iter().map(|c| (c.name.as_str(), c.acl.as_ref())).collect(),
            Obj::View(v) => v.columns.iter().map(|c| (c.name.as_str(), c.acl.as_ref())).collect(),
            _ => vec![],
        }
    }
}
