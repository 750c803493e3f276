//! Rendering the catalog model as SQL statements.
//!
//! Each statement says which object it creates (`provides`), which object it
//! belongs to, and which objects must exist first, so [`crate::plan`] can
//! order them. Statements fall into the two sections pg_dump uses: pre-data
//! (objects that must exist before rows are loaded) and post-data (indexes,
//! constraints, triggers, policies: built after the load, because that is
//! faster and because triggers must not fire on copied rows).
//!
//! This file owns the options, the phases, the statement builder ([`Out`])
//! and [`render`], which walks the model in a fixed order and hands each
//! object to the file of its kind: [`schemas`], [`types`] (and
//! collations), [`functions`] (and operators), [`opclasses`] (operator
//! families and classes), [`conversions`], [`text_search`],
//! [`sequences`], [`foreign`] (servers and user mappings), [`table`], [`relations`] (views, indexes, triggers,
//! rules, statistics); [`privileges`] turns ACLs into GRANT and REVOKE.
//! Ordering the statements is left to [`crate::plan`], quoting to
//! [`crate::sql`].

mod conversions;
mod foreign;
mod functions;
mod opclasses;
mod privileges;
mod relations;
mod schemas;
mod sequences;
mod table;
mod text_search;
mod types;

use std::collections::BTreeSet;

use foldhash::HashMap as FastMap;

use crate::catalog::model::*;
use crate::plan::{Section, Stmt};
use crate::sql::{QualifiedName, ident, literal};

pub use foreign::{options_sql, user_mapping_sql};
pub use functions::{dollar_quote, function_sql};
pub(crate) use opclasses::{member_sql, using};
pub use privileges::{AclClass, acl_statements};
pub(crate) use privileges::{default_privileges_sql, grantee};
pub(crate) use relations::firing_state_sql;
pub(crate) use table::{column_sql, storage_word};

/// The `what` of default-privilege statements (the diff orders them last).
pub(crate) const DEFAULT_PRIVILEGES: &str = "default privileges";

/// What to include when rendering.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub owners: bool,
    pub privileges: bool,
    pub comments: bool,
    pub extensions: bool,
    /// Render `CREATE SCHEMA` statements.
    pub schemas: bool,
    /// Build PRIMARY KEY and UNIQUE constraints as a unique index first, then
    /// `ADD CONSTRAINT … USING INDEX`: the index build takes only a SHARE
    /// lock, so several can run on one table at once while data loads
    /// elsewhere.
    pub keys_via_index: bool,
    /// `CREATE EXTENSION … VERSION`: the model's version of each extension
    /// (a copy creates what the source has). Off, as pg_dump does, an
    /// extension is created in its default version.
    pub extension_versions: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            owners: true,
            privileges: true,
            comments: true,
            extensions: true,
            schemas: true,
            keys_via_index: false,
            extension_versions: false,
        }
    }
}

mod phase {
    pub const SCHEMA: u16 = 10;
    pub const EXTENSION: u16 = 20;
    pub const COLLATION: u16 = 25;
    pub const TYPE: u16 = 30;
    pub const FUNCTION: u16 = 40;
    pub const CONVERSION: u16 = 41;
    pub const TEXT_SEARCH: u16 = 42;
    pub const OPERATOR: u16 = 43;
    pub const OPCLASS: u16 = 44;
    pub const SEQUENCE: u16 = 45;
    pub const SERVER: u16 = 47;
    pub const TABLE: u16 = 50;
    pub const TABLE_ATTACH: u16 = 52;
    pub const COLUMN: u16 = 54;
    pub const DEFAULT: u16 = 55;
    pub const OWNED_BY: u16 = 56;
    pub const VIEW: u16 = 60;
    pub const MATVIEW: u16 = 62;
    pub const KEY: u16 = 70;
    pub const INDEX: u16 = 72;
    pub const INDEX_ATTACH: u16 = 74;
    pub const CHECK: u16 = 76;
    pub const FK: u16 = 78;
    pub const TRIGGER: u16 = 80;
    pub const RULE: u16 = 82;
    pub const POLICY: u16 = 84;
    pub const STATISTICS: u16 = 86;
    pub const TABLE_POST: u16 = 88;
    pub const DEFAULT_PRIVILEGES: u16 = 99;
}

/// Builds statements into a list.
struct Out<'a> {
    cat: &'a Catalog,
    opts: &'a RenderOptions,
    /// `cat.depends` hashed: looking keys up in the B-tree compared long
    /// common prefixes ("relation bench.t_0…") for every statement.
    depends: &'a FastMap<&'a str, &'a BTreeSet<String>>,
    /// Tables by name, for partitions and inheritance children to find
    /// their parents without a scan each.
    tables: &'a FastMap<&'a QualifiedName, &'a Table>,
    stmts: Vec<Stmt>,
}

impl Out<'_> {
    fn deps_of(&self, key: &str) -> Vec<String> {
        self.depends.get(key).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    /// A statement creating `key`, depending on what `pg_depend` says plus
    /// `extra`.
    fn create(
        &mut self,
        section: Section,
        phase: u16,
        key: String,
        extra: Vec<String>,
        what: &'static str,
        sql: String,
    ) {
        let mut deps = self.deps_of(&key);
        deps.extend(extra);
        deps.retain(|d| d != &key);
        self.stmts.push(Stmt {
            section,
            phase,
            provides: Some(key.clone()),
            object: key,
            deps,
            what,
            sql,
            exec: None,
        });
    }

    /// A statement about an existing object (owner, grant, comment, ALTER).
    fn about(
        &mut self,
        section: Section,
        phase: u16,
        object: &str,
        mut deps: Vec<String>,
        what: &'static str,
        sql: String,
    ) {
        deps.insert(0, object.to_string());
        self.stmts.push(Stmt {
            section,
            phase,
            provides: None,
            object: object.to_string(),
            deps,
            what,
            sql,
            exec: None,
        });
    }

    fn comment(
        &mut self,
        section: Section,
        phase: u16,
        object: &str,
        target: impl std::fmt::Display,
        comment: &Option<String>,
    ) {
        if let (true, Some(c)) = (self.opts.comments, comment) {
            self.about(
                section,
                phase,
                object,
                vec![],
                "comment",
                format!("COMMENT ON {target} IS {}", literal(c)),
            );
        }
    }

    fn owner(
        &mut self,
        section: Section,
        phase: u16,
        object: &str,
        target: String,
        owner: &Option<String>,
    ) {
        if let (true, Some(o)) = (self.opts.owners, owner) {
            self.about(
                section,
                phase,
                object,
                vec![],
                "owner",
                format!("ALTER {target} OWNER TO {}", ident(o)),
            );
        }
    }

    /// GRANT/REVOKE statements that turn the default privileges of an object
    /// of this kind into `acl`.
    fn privileges(
        &mut self,
        (section, phase): (Section, u16),
        object: &str,
        class: AclClass,
        target: &str,
        owner: Option<&str>,
        acl: &Option<Vec<Grant>>,
    ) {
        if !self.opts.privileges {
            return;
        }
        let Some(acl) = acl else { return };
        let defaults = class.defaults(owner, self.cat.server_version);
        let grant_on = format!("{} {target}", class.keyword());
        for sql in acl_statements(&grant_on, &defaults, acl) {
            self.about(section, phase, object, vec![], "privileges", sql);
        }
    }
}

pub(crate) fn collate(c: &Option<QualifiedName>) -> String {
    c.as_ref().map(|c| format!(" COLLATE {c}")).unwrap_or_default()
}

pub(crate) fn with_options(opts: &[String]) -> String {
    if opts.is_empty() { String::new() } else { format!(" WITH ({})", opts.join(", ")) }
}

/// Renders the whole model as statements (unordered; see
/// [`crate::plan::order`]).
pub fn render(cat: &Catalog, opts: &RenderOptions) -> Vec<Stmt> {
    let depends = cat.depends.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tables = cat.tables.iter().map(|t| (&t.name, t)).collect();
    let mut o = Out { cat, opts, depends: &depends, tables: &tables, stmts: vec![] };

    for s in &cat.schemas {
        schemas::render_schema(&mut o, s);
    }
    if opts.extensions {
        for e in &cat.extensions {
            schemas::render_extension(&mut o, e);
        }
    }
    for c in &cat.collations {
        types::render_collation(&mut o, c);
    }
    for t in &cat.types {
        types::render_type(&mut o, t);
    }
    for f in &cat.functions {
        functions::render_function(&mut o, f);
    }
    for c in &cat.conversions {
        conversions::render_conversion(&mut o, c);
    }
    for ts in &cat.text_search {
        text_search::render_text_search(&mut o, ts);
    }
    for op in &cat.operators {
        functions::render_operator(&mut o, op);
    }
    for f in &cat.operator_families {
        opclasses::render_family(&mut o, f);
    }
    for c in &cat.operator_classes {
        opclasses::render_class(&mut o, c);
    }
    for s in &cat.sequences {
        sequences::render_sequence(&mut o, s);
    }
    for s in &cat.servers {
        foreign::render_server(&mut o, s);
    }
    let index_keys = relations::index_keys(cat);
    table::render_tables(&mut o, &cat.tables);
    for v in &cat.views {
        relations::render_view(&mut o, v);
    }
    for i in &cat.indexes {
        relations::render_index(&mut o, i, &index_keys);
    }
    for tr in &cat.triggers {
        relations::render_trigger(&mut o, tr);
    }
    for r in &cat.rules {
        relations::render_rule(&mut o, r);
    }
    for s in &cat.statistics {
        relations::render_statistics(&mut o, s);
    }
    relations::attach_constraint_indexes(&mut o, &cat.tables, &index_keys);
    o.stmts
}

/// Keys of every object in the model, for callers that need to know what
/// exists (e.g. to drop dependencies on objects left out).
pub fn provided_keys(stmts: &[Stmt]) -> BTreeSet<String> {
    stmts.iter().filter_map(|s| s.provides.clone()).collect()
}
