//! Rendering the catalog model as SQL statements.
//!
//! Each statement says which object it creates (`provides`), which object it
//! belongs to, and which objects must exist first, so [`crate::plan`] can
//! order them. Statements fall into the two sections pg_dump uses: pre-data
//! (objects that must exist before rows are loaded) and post-data (indexes,
//! constraints, triggers, policies: built after the load, because that is
//! faster and because triggers must not fire on copied rows).

use std::collections::{BTreeSet, HashMap};

use foldhash::HashMap as FastMap;

use crate::catalog::model::*;
use crate::plan::{Section, Stmt};
use crate::sql::{Ident, QualifiedName, ident, literal};

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
        }
    }
}

mod phase {
    pub const SCHEMA: u16 = 10;
    pub const EXTENSION: u16 = 20;
    pub const COLLATION: u16 = 25;
    pub const TYPE: u16 = 30;
    pub const FUNCTION: u16 = 40;
    pub const TEXT_SEARCH: u16 = 42;
    pub const OPERATOR: u16 = 43;
    pub const SEQUENCE: u16 = 45;
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

/// Object classes with their default privileges (see `acldefault`).
#[derive(Debug, Clone, Copy)]
pub enum AclClass {
    Table,
    Sequence,
    Function,
    Procedure,
    Type,
    Schema,
}

impl AclClass {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            AclClass::Table => "TABLE",
            AclClass::Sequence => "SEQUENCE",
            AclClass::Function => "FUNCTION",
            AclClass::Procedure => "PROCEDURE",
            AclClass::Type => "TYPE",
            AclClass::Schema => "SCHEMA",
        }
    }

    pub(crate) fn defaults(self, owner: Option<&str>, version: i32) -> Vec<Grant> {
        let g = |grantee: &str, p: &str| Grant {
            grantee: grantee.into(),
            privilege: p.into(),
            grantable: false,
        };
        let mut out = vec![];
        let owner_privs: &[&str] = match self {
            AclClass::Table if version >= 170000 => &[
                "INSERT",
                "SELECT",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "REFERENCES",
                "TRIGGER",
                "MAINTAIN",
            ],
            AclClass::Table => {
                &["INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]
            }
            AclClass::Sequence => &["SELECT", "UPDATE", "USAGE"],
            AclClass::Function | AclClass::Procedure => &["EXECUTE"],
            AclClass::Type => &["USAGE"],
            AclClass::Schema => &["USAGE", "CREATE"],
        };
        if let Some(o) = owner {
            out.extend(owner_privs.iter().map(|p| g(o, p)));
        }
        match self {
            AclClass::Function | AclClass::Procedure => out.push(g("PUBLIC", "EXECUTE")),
            AclClass::Type => out.push(g("PUBLIC", "USAGE")),
            _ => {}
        }
        out
    }
}

pub(crate) fn grantee(name: &str) -> String {
    if name == "PUBLIC" { "PUBLIC".to_string() } else { ident(name) }
}

/// REVOKE what the defaults give and the ACL lacks; GRANT what the ACL has
/// beyond the defaults, grouped per grantee in ACL order (so the rebuilt
/// ACL lists entries in the same order as the original).
pub fn acl_statements(on: &str, defaults: &[Grant], acl: &[Grant]) -> Vec<String> {
    let mut out = vec![];
    let group = |verb: &str, items: Vec<&Grant>, out: &mut Vec<String>| {
        let mut order: Vec<(&str, bool)> = vec![];
        for g in &items {
            let k = (g.grantee.as_str(), g.grantable);
            if !order.contains(&k) {
                order.push(k);
            }
        }
        for (who, grantable) in order {
            let privs: Vec<&str> = items
                .iter()
                .filter(|g| g.grantee == who && g.grantable == grantable)
                .map(|g| g.privilege.as_str())
                .collect();
            let privs = privs.join(", ");
            out.push(if verb == "REVOKE" {
                format!("REVOKE {privs} ON {on} FROM {}", grantee(who))
            } else {
                let opt = if grantable { " WITH GRANT OPTION" } else { "" };
                format!("GRANT {privs} ON {on} TO {}{opt}", grantee(who))
            });
        }
    };
    let revoke: Vec<&Grant> = defaults
        .iter()
        .filter(|d| !acl.iter().any(|a| a.grantee == d.grantee && a.privilege == d.privilege))
        .collect();
    group("REVOKE", revoke, &mut out);
    // Kept, but no longer grantable.
    for d in defaults.iter().filter(|d| d.grantable) {
        if acl.iter().any(|a| a.grantee == d.grantee && a.privilege == d.privilege && !a.grantable)
        {
            out.push(format!(
                "REVOKE GRANT OPTION FOR {} ON {on} FROM {}",
                d.privilege,
                grantee(&d.grantee)
            ));
        }
    }
    let grant: Vec<&Grant> = acl.iter().filter(|a| !defaults.contains(a)).collect();
    group("GRANT", grant, &mut out);
    out
}

/// `ALTER DEFAULT PRIVILEGES FOR ROLE … IN SCHEMA …` statements that turn
/// the grants `from` into `to` for one role and object kind of a schema.
pub(crate) fn default_privileges_sql(
    schema: &str,
    dp: &DefaultPrivileges,
    from: &[Grant],
    to: &[Grant],
) -> Vec<String> {
    let prefix = format!(
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {}",
        ident(&dp.role),
        ident(schema)
    );
    acl_statements(dp.objects_keyword(), from, to)
        .into_iter()
        .map(|sql| format!("{prefix} {sql}"))
        .collect()
}

/// Column-level grants (`GRANT SELECT (col) ON TABLE t TO r`).
pub(crate) fn column_grants(table: &QualifiedName, column: &str, acl: &[Grant]) -> Vec<String> {
    let on = format!("TABLE {table}");
    let mut out = vec![];
    for g in acl {
        let opt = if g.grantable { " WITH GRANT OPTION" } else { "" };
        out.push(format!(
            "GRANT {} ({}) ON {on} TO {}{opt}",
            g.privilege,
            ident(column),
            grantee(&g.grantee)
        ));
    }
    out
}

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
    if let Some(options) = &f.aggregate {
        let args = if f.arguments.is_empty() { "*" } else { &f.arguments };
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

pub(crate) fn collate(c: &Option<QualifiedName>) -> String {
    c.as_ref().map(|c| format!(" COLLATE {c}")).unwrap_or_default()
}

pub(crate) fn with_options(opts: &[String]) -> String {
    if opts.is_empty() { String::new() } else { format!(" WITH ({})", opts.join(", ")) }
}

pub(crate) fn column_sql(c: &Column) -> String {
    let mut s = format!("{} {}{}", ident(&c.name), c.type_name, collate(&c.collation));
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
    }
    if let Some(id) = &c.identity {
        s.push_str(&format!(
            " GENERATED {} AS IDENTITY (SEQUENCE NAME {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{})",
            if id.always { "ALWAYS" } else { "BY DEFAULT" },
            id.sequence,
            id.start,
            id.increment,
            id.min_value,
            id.max_value,
            id.cache,
            if id.cycle { " CYCLE" } else { "" }
        ));
    }
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    s
}

pub(crate) fn storage_word(s: &str) -> &'static str {
    match s {
        "p" => "PLAIN",
        "e" => "EXTERNAL",
        "m" => "MAIN",
        _ => "EXTENDED",
    }
}

pub(crate) fn policy_sql(table: &QualifiedName, p: &Policy) -> String {
    let mut s = format!("CREATE POLICY {} ON {table}", ident(&p.name));
    if !p.permissive {
        s.push_str(" AS RESTRICTIVE");
    }
    let cmd = match p.command.as_str() {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    };
    s.push_str(&format!(" FOR {cmd}"));
    let roles: Vec<String> =
        p.roles.iter().map(|r| if r == "PUBLIC" { "PUBLIC".into() } else { ident(r) }).collect();
    s.push_str(&format!(" TO {}", roles.join(", ")));
    if let Some(u) = &p.using {
        s.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.with_check {
        s.push_str(&format!(" WITH CHECK ({w})"));
    }
    s
}

/// Renders the whole model as statements (unordered; see
/// [`crate::plan::order`]).
pub fn render(cat: &Catalog, opts: &RenderOptions) -> Vec<Stmt> {
    use Section::*;
    let depends = cat.depends.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tables = cat.tables.iter().map(|t| (&t.name, t)).collect();
    let mut o = Out { cat, opts, depends: &depends, tables: &tables, stmts: vec![] };

    for s in &cat.schemas {
        let k = key::schema(&s.name);
        if opts.schemas {
            let ine = if s.name == "public" { "IF NOT EXISTS " } else { "" };
            o.create(
                PreData,
                phase::SCHEMA,
                k.clone(),
                vec![],
                "schema",
                format!("CREATE SCHEMA {ine}{}", ident(&s.name)),
            );
        }
        o.owner(PreData, phase::SCHEMA, &k, format!("SCHEMA {}", ident(&s.name)), &s.meta.owner);
        o.privileges(
            (PreData, phase::SCHEMA),
            &k,
            AclClass::Schema,
            &ident(&s.name),
            s.meta.owner.as_deref(),
            &s.meta.acl,
        );
        o.comment(
            PreData,
            phase::SCHEMA,
            &k,
            format_args!("SCHEMA {}", ident(&s.name)),
            &s.meta.comment,
        );
        // Last of all, as pg_dump does: applied earlier, they would add
        // grants to the objects created after them.
        if opts.privileges {
            for dp in &s.default_privileges {
                for sql in default_privileges_sql(&s.name, dp, &[], &dp.grants) {
                    o.about(
                        PostData,
                        phase::DEFAULT_PRIVILEGES,
                        &k,
                        vec![],
                        DEFAULT_PRIVILEGES,
                        sql,
                    );
                }
            }
        }
    }
    if opts.extensions {
        for e in &cat.extensions {
            let k = key::extension(&e.name);
            let schema_dep = key::schema(&e.schema);
            let deps = if cat.schemas.iter().any(|s| s.name == e.schema) {
                vec![schema_dep]
            } else {
                vec![]
            };
            o.create(
                PreData,
                phase::EXTENSION,
                k.clone(),
                deps,
                "extension",
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}",
                    ident(&e.name),
                    ident(&e.schema)
                ),
            );
            o.comment(
                PreData,
                phase::EXTENSION,
                &k,
                format_args!("EXTENSION {}", ident(&e.name)),
                &e.meta.comment,
            );
        }
    }
    for c in &cat.collations {
        let k = key::collation(&c.name);
        let mut parts = vec![];
        parts.push(format!(
            "provider = {}",
            match c.provider.as_str() {
                "i" => "icu",
                "b" => "builtin",
                _ => "libc",
            }
        ));
        if let Some(l) = &c.icu_locale {
            parts.push(format!("locale = {}", literal(l)));
        } else {
            if let Some(l) = &c.lc_collate {
                parts.push(format!("lc_collate = {}", literal(l)));
            }
            if let Some(l) = &c.lc_ctype {
                parts.push(format!("lc_ctype = {}", literal(l)));
            }
        }
        if !c.deterministic {
            parts.push("deterministic = false".into());
        }
        o.create(
            PreData,
            phase::COLLATION,
            k.clone(),
            vec![key::schema(&c.name.schema)],
            "collation",
            format!("CREATE COLLATION {} ({})", c.name, parts.join(", ")),
        );
        o.owner(PreData, phase::COLLATION, &k, format!("COLLATION {}", c.name), &c.meta.owner);
        o.comment(
            PreData,
            phase::COLLATION,
            &k,
            format_args!("COLLATION {}", c.name),
            &c.meta.comment,
        );
    }
    for t in &cat.types {
        render_type(&mut o, t);
    }
    for f in &cat.functions {
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
    for ts in &cat.text_search {
        render_text_search(&mut o, ts);
    }
    for op in &cat.operators {
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
    for s in &cat.sequences {
        let k = key::sequence(&s.name);
        o.create(PreData, phase::SEQUENCE, k.clone(), vec![key::schema(&s.name.schema)], "sequence", format!(
            "CREATE {}SEQUENCE {} AS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
            if s.unlogged { "UNLOGGED " } else { "" },
            s.name,
            s.data_type,
            s.start,
            s.increment,
            s.min_value,
            s.max_value,
            s.cache,
            if s.cycle { " CYCLE" } else { "" }
        ));
        o.owner(PreData, phase::SEQUENCE, &k, format!("SEQUENCE {}", s.name), &s.meta.owner);
        o.privileges(
            (PreData, phase::SEQUENCE),
            &k,
            AclClass::Sequence,
            &s.name.to_string(),
            s.meta.owner.as_deref(),
            &s.meta.acl,
        );
        o.comment(
            PreData,
            phase::SEQUENCE,
            &k,
            format_args!("SEQUENCE {}", s.name),
            &s.meta.comment,
        );
        if let Some((t, c)) = &s.owned_by {
            o.about(
                PreData,
                phase::OWNED_BY,
                &k,
                vec![key::relation(t)],
                "sequence owned by",
                format!("ALTER SEQUENCE {} OWNED BY {t}.{}", s.name, ident(c)),
            );
        }
    }
    // Index-backed constraints and indexes by qualified index name, for
    // attaching partition indexes to their parents (only those named as a
    // parent: keys for every index of a large schema cost more than the rest).
    let parents: std::collections::HashSet<&QualifiedName> = cat
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
    render_tables(&mut o, &cat.tables);
    for v in &cat.views {
        let k = key::relation(&v.name);
        let (word, ph) = if v.materialized {
            ("MATERIALIZED VIEW", phase::MATVIEW)
        } else {
            ("VIEW", phase::VIEW)
        };
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
                    format!(
                        "ALTER VIEW {} ALTER COLUMN {} SET DEFAULT {d}",
                        v.name,
                        ident(&c.name)
                    ),
                );
            }
            o.comment(
                PreData,
                ph,
                &k,
                format_args!("COLUMN {}.{}", v.name, ident(&c.name)),
                &c.comment,
            );
            if let (true, Some(acl)) = (opts.privileges, &c.acl) {
                for sql in column_grants(&v.name, &c.name, acl) {
                    o.about(PreData, ph, &k, vec![], "privileges", sql);
                }
            }
        }
    }
    for i in &cat.indexes {
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
    for tr in &cat.triggers {
        let k = key::trigger(&tr.table, &tr.name);
        let parts =
            (&tr.table, tr.name.as_str(), tr.definition.as_str(), tr.enabled.as_str(), &tr.comment);
        table_sub_object(&mut o, phase::TRIGGER, k, "TRIGGER", parts);
    }
    for r in &cat.rules {
        let k = key::rule(&r.table, &r.name);
        let parts =
            (&r.table, r.name.as_str(), r.definition.as_str(), r.enabled.as_str(), &r.comment);
        table_sub_object(&mut o, phase::RULE, k, "RULE", parts);
    }
    for s in &cat.statistics {
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
    // Attach partition constraints' indexes to their parents.
    for t in &cat.tables {
        for c in &t.constraints {
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
    o.stmts
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

fn render_type(o: &mut Out<'_>, t: &TypeDef) {
    use Section::*;
    let k = key::type_(&t.name);
    let schema = vec![key::schema(&t.name.schema)];
    let mut word = "TYPE";
    match &t.kind {
        TypeKind::Enum { labels } => {
            let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
            o.create(
                PreData,
                phase::TYPE,
                k.clone(),
                schema,
                "type",
                format!("CREATE TYPE {} AS ENUM ({})", t.name, labels.join(", ")),
            );
        }
        TypeKind::Composite { attributes } => {
            let attrs: Vec<String> = attributes
                .iter()
                .map(|a| format!("{} {}{}", ident(&a.name), a.type_name, collate(&a.collation)))
                .collect();
            o.create(
                PreData,
                phase::TYPE,
                k.clone(),
                schema,
                "type",
                format!("CREATE TYPE {} AS ({})", t.name, attrs.join(", ")),
            );
            for a in attributes {
                o.comment(
                    PreData,
                    phase::TYPE,
                    &k,
                    format_args!("COLUMN {}.{}", t.name, ident(&a.name)),
                    &a.comment,
                );
            }
        }
        TypeKind::Range {
            subtype,
            subtype_opclass,
            collation,
            canonical,
            subtype_diff,
            multirange,
        } => {
            let mut parts = vec![format!("subtype = {subtype}")];
            if let Some(x) = subtype_opclass {
                parts.push(format!("subtype_opclass = {x}"));
            }
            if let Some(x) = collation {
                parts.push(format!("collation = {x}"));
            }
            if let Some(x) = canonical {
                parts.push(format!("canonical = {x}"));
            }
            if let Some(x) = subtype_diff {
                parts.push(format!("subtype_diff = {x}"));
            }
            if let Some(x) = multirange {
                parts.push(format!("multirange_type_name = {x}"));
            }
            o.create(
                PreData,
                phase::TYPE,
                k.clone(),
                schema,
                "type",
                format!("CREATE TYPE {} AS RANGE ({})", t.name, parts.join(", ")),
            );
        }
        TypeKind::Domain { base, collation, default, not_null, constraints } => {
            word = "DOMAIN";
            let mut s = format!("CREATE DOMAIN {} AS {base}{}", t.name, collate(collation));
            if let Some(d) = default {
                s.push_str(&format!(" DEFAULT {d}"));
            }
            if *not_null {
                s.push_str(" NOT NULL");
            }
            for c in constraints.iter().filter(|c| c.validated) {
                s.push_str(&format!(" CONSTRAINT {} {}", ident(&c.name), c.definition));
            }
            o.create(PreData, phase::TYPE, k.clone(), schema, "domain", s);
            for c in constraints.iter().filter(|c| !c.validated) {
                o.about(
                    PreData,
                    phase::TYPE,
                    &k,
                    vec![],
                    "domain constraint",
                    format!(
                        "ALTER DOMAIN {} ADD CONSTRAINT {} {}",
                        t.name,
                        ident(&c.name),
                        c.definition
                    ),
                );
            }
            for c in constraints {
                o.comment(
                    PreData,
                    phase::TYPE,
                    &k,
                    format_args!("CONSTRAINT {} ON DOMAIN {}", ident(&c.name), t.name),
                    &c.comment,
                );
            }
        }
    }
    o.owner(PreData, phase::TYPE, &k, format!("{word} {}", t.name), &t.meta.owner);
    o.privileges(
        (PreData, phase::TYPE),
        &k,
        AclClass::Type,
        &t.name.to_string(),
        t.meta.owner.as_deref(),
        &t.meta.acl,
    );
    o.comment(PreData, phase::TYPE, &k, format_args!("{word} {}", t.name), &t.meta.comment);
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

fn render_text_search(o: &mut Out<'_>, ts: &TextSearch) {
    use Section::*;
    let k = key::text_search(ts);
    let sql = match &ts.kind {
        TextSearchKind::Dictionary { template, options } => format!(
            "CREATE TEXT SEARCH DICTIONARY {} (\n    TEMPLATE = {template}{}\n)",
            ts.name,
            options.as_ref().map(|o| format!(",\n    {o}")).unwrap_or_default()
        ),
        TextSearchKind::Configuration { parser, .. } => {
            format!("CREATE TEXT SEARCH CONFIGURATION {} (\n    PARSER = {parser}\n)", ts.name)
        }
    };
    let schema = key::schema(&ts.name.schema);
    o.create(PreData, phase::TEXT_SEARCH, k.clone(), vec![schema], "text search", sql);
    if let TextSearchKind::Configuration { mappings, .. } = &ts.kind {
        for (token, dicts) in mappings {
            o.about(
                PreData,
                phase::TEXT_SEARCH,
                &k,
                vec![],
                "text search mapping",
                format!(
                    "ALTER TEXT SEARCH CONFIGURATION {}\n    ADD MAPPING FOR {} WITH {}",
                    ts.name,
                    ident(token),
                    dicts.join(", ")
                ),
            );
        }
    }
    let target = format!("{} {}", ts.keyword(), ts.name);
    o.owner(PreData, phase::TEXT_SEARCH, &k, target.clone(), &ts.meta.owner);
    o.comment(PreData, phase::TEXT_SEARCH, &k, target, &ts.meta.comment);
}

/// Renders tables on a few threads when there are many: for 10,000 tables
/// this is most of `inspect`'s client time after the catalog is read. The
/// statements come back in the order of `tables`, as if rendered in turn.
fn render_tables(o: &mut Out<'_>, tables: &[Table]) {
    const PER_THREAD: usize = 1000;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    if threads < 2 || tables.len() < 2 * PER_THREAD {
        for t in tables {
            render_table(o, t);
        }
        return;
    }
    let chunk = tables.len().div_ceil(threads);
    let (cat, opts, depends, by_name) = (o.cat, o.opts, o.depends, o.tables);
    let parts: Vec<Vec<Stmt>> = std::thread::scope(|scope| {
        let handles: Vec<_> = tables
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut sub = Out { cat, opts, depends, tables: by_name, stmts: vec![] };
                    for t in part {
                        render_table(&mut sub, t);
                    }
                    sub.stmts
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for part in parts {
        o.stmts.extend(part);
    }
}

fn render_table(o: &mut Out<'_>, t: &Table) {
    use Section::*;
    let k = key::relation(&t.name);
    let parent = t.partition_of.as_ref().and_then(|p| o.tables.get(&p.parent).copied());
    // A partition is created with PARTITION OF when that reproduces it
    // exactly (same columns in the same order, none defined locally);
    // otherwise as a table of its own, then attached.
    let partition_of_form = match (&t.partition_of, parent) {
        (Some(_), Some(p)) => {
            t.columns.iter().all(|c| !c.is_local)
                && t.columns.iter().map(|c| &c.name).eq(p.columns.iter().map(|c| &c.name))
        }
        (Some(_), None) => false,
        _ => false,
    };
    let local_checks: Vec<&Constraint> =
        t.constraints.iter().filter(|c| c.kind == "c" && c.is_local && c.validated).collect();
    let mut deps = vec![key::schema(&t.name.schema)];
    for p in t.inherits.iter().chain(t.partition_of.as_ref().map(|p| &p.parent)) {
        deps.push(key::relation(p));
    }
    let persistence = if t.unlogged { "UNLOGGED " } else { "" };
    let mut sql;
    if partition_of_form {
        let po = t.partition_of.as_ref().expect("partition");
        sql = format!("CREATE {persistence}TABLE {} PARTITION OF {}", t.name, po.parent);
        if !local_checks.is_empty() {
            let items: Vec<String> = local_checks
                .iter()
                .map(|c| format!("    CONSTRAINT {} {}", ident(&c.name), c.definition))
                .collect();
            sql.push_str(&format!(" (\n{}\n)", items.join(",\n")));
        }
        sql.push_str(&format!("\n{}", po.bound));
    } else {
        let mut items: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.is_local || t.partition_of.is_some() || t.inherits.is_empty())
            .map(|c| format!("    {}", column_sql(c)))
            .collect();
        let mut checks: Vec<&Constraint> = local_checks.clone();
        if let Some(p) = parent {
            // ATTACH PARTITION requires the parent's CHECK constraints.
            for c in p.constraints.iter().filter(|c| c.kind == "c" && c.validated) {
                if !checks.iter().any(|x| x.name == c.name) {
                    checks.push(c);
                }
            }
        }
        items.extend(
            checks.iter().map(|c| format!("    CONSTRAINT {} {}", ident(&c.name), c.definition)),
        );
        sql = format!("CREATE {persistence}TABLE {} (\n{}\n)", t.name, items.join(",\n"));
        if !t.inherits.is_empty() {
            let ps: Vec<String> = t.inherits.iter().map(|p| p.to_string()).collect();
            sql.push_str(&format!("\nINHERITS ({})", ps.join(", ")));
        }
    }
    if let Some(pk) = &t.partition_key {
        sql.push_str(&format!("\nPARTITION BY {pk}"));
    }
    if let Some(am) = &t.access_method {
        sql.push_str(&format!("\nUSING {}", ident(am)));
    }
    sql.push_str(&with_options(&t.options));
    o.create(PreData, phase::TABLE, k.clone(), deps, "table", sql);
    if let (Some(po), false) = (&t.partition_of, partition_of_form) {
        o.about(
            PreData,
            phase::TABLE_ATTACH,
            &k,
            vec![key::relation(&po.parent)],
            "attach partition",
            format!("ALTER TABLE ONLY {} ATTACH PARTITION {} {}", po.parent, t.name, po.bound),
        );
    }
    let only = format!("ALTER TABLE ONLY {}", t.name);
    for c in &t.columns {
        let col = Ident(&c.name);
        let inherited_not_null = partition_of_form
            && parent
                .and_then(|p| p.columns.iter().find(|x| x.name == c.name))
                .is_some_and(|x| x.not_null);
        if partition_of_form && c.not_null && !inherited_not_null {
            o.about(
                PreData,
                phase::COLUMN,
                &k,
                vec![],
                "not null",
                format!("{only} ALTER COLUMN {col} SET NOT NULL"),
            );
        }
        if !c.is_local && !t.inherits.is_empty() {
            // Inherited columns get their parent's NOT NULL; a child's own
            // NOT NULL on an inherited column must be added.
            let parent_nn = t
                .inherits
                .iter()
                .filter_map(|p| o.tables.get(p).copied())
                .any(|p| p.columns.iter().any(|x| x.name == c.name && x.not_null));
            if c.not_null && !parent_nn {
                o.about(
                    PreData,
                    phase::COLUMN,
                    &k,
                    vec![],
                    "not null",
                    format!("{only} ALTER COLUMN {col} SET NOT NULL"),
                );
            }
        }
        if let Some(d) = &c.default {
            let dk = key::default(&t.name, &c.name);
            o.create(
                PreData,
                phase::DEFAULT,
                dk,
                vec![k.clone()],
                "default",
                format!("{only} ALTER COLUMN {col} SET DEFAULT {d}"),
            );
        }
        if let Some(s) = &c.storage {
            o.about(
                PreData,
                phase::COLUMN,
                &k,
                vec![],
                "storage",
                format!("{only} ALTER COLUMN {col} SET STORAGE {}", storage_word(s)),
            );
        }
        if let Some(cm) = &c.compression {
            o.about(
                PreData,
                phase::COLUMN,
                &k,
                vec![],
                "compression",
                format!("ALTER TABLE {} ALTER COLUMN {col} SET COMPRESSION {}", t.name, ident(cm)),
            );
        }
        if let Some(st) = c.statistics {
            o.about(
                PreData,
                phase::COLUMN,
                &k,
                vec![],
                "statistics",
                format!("{only} ALTER COLUMN {col} SET STATISTICS {st}"),
            );
        }
        if !c.options.is_empty() {
            o.about(
                PreData,
                phase::COLUMN,
                &k,
                vec![],
                "column options",
                format!("{only} ALTER COLUMN {col} SET ({})", c.options.join(", ")),
            );
        }
        o.comment(PreData, phase::TABLE, &k, format_args!("COLUMN {}.{col}", t.name), &c.comment);
        if let (true, Some(acl)) = (o.opts.privileges, &c.acl) {
            for sql in column_grants(&t.name, &c.name, acl) {
                o.about(PreData, phase::TABLE, &k, vec![], "privileges", sql);
            }
        }
    }
    o.owner(PreData, phase::TABLE, &k, format!("TABLE {}", t.name), &t.meta.owner);
    o.privileges(
        (PreData, phase::TABLE),
        &k,
        AclClass::Table,
        &t.name.to_string(),
        t.meta.owner.as_deref(),
        &t.meta.acl,
    );
    o.comment(PreData, phase::TABLE, &k, format_args!("TABLE {}", t.name), &t.meta.comment);

    let partitioned = t.partition_key.is_some();
    for c in &t.constraints {
        let ck = key::constraint(&t.name, &c.name);
        let inline = c.kind == "c" && c.is_local && c.validated;
        if !inline {
            // FKs cloned onto partitions come with their parent's FK.
            if c.kind == "f" && c.has_parent {
                continue;
            }
            if c.kind == "c" && !c.is_local {
                continue;
            }
            let (ph, what) = match c.kind.as_str() {
                "f" => (phase::FK, "foreign key"),
                "c" => (phase::CHECK, "check"),
                _ => (phase::KEY, "constraint"),
            };
            // CHECK constraints must reach inheritance children (ONLY is
            // refused once a table has children); FKs on partitioned tables
            // cannot use ONLY.
            let alter = if c.kind == "c"
                || (partitioned && c.kind != "p" && c.kind != "u" && c.kind != "x")
            {
                format!("ALTER TABLE {}", t.name)
            } else {
                only.clone()
            };
            let mut extra = vec![k.clone()];
            if let Some(r) = &c.references {
                extra.push(key::relation(r));
            }
            let via_index =
                o.opts.keys_via_index && !partitioned && (c.kind == "p" || c.kind == "u");
            if let (true, Some(idx), Some(idef)) = (via_index, &c.index, &c.index_definition) {
                let ik = key::index(&QualifiedName::new(&t.name.schema, idx));
                o.create(
                    PostData,
                    phase::INDEX,
                    ik.clone(),
                    vec![k.clone()],
                    "index",
                    idef.clone(),
                );
                extra.push(ik);
                let mut sql = format!(
                    "{only} ADD CONSTRAINT {} {} USING INDEX {}",
                    ident(&c.name),
                    if c.kind == "p" { "PRIMARY KEY" } else { "UNIQUE" },
                    ident(idx)
                );
                if c.deferrable {
                    sql.push_str(" DEFERRABLE");
                }
                if c.deferred {
                    sql.push_str(" INITIALLY DEFERRED");
                }
                o.create(PostData, ph, ck.clone(), extra, what, sql);
            } else {
                o.create(
                    PostData,
                    ph,
                    ck.clone(),
                    extra,
                    what,
                    format!("{alter} ADD CONSTRAINT {} {}", ident(&c.name), c.definition),
                );
            }
        }
        let sec = if inline { PreData } else { PostData };
        o.comment(
            sec,
            phase::KEY,
            &ck,
            format_args!("CONSTRAINT {} ON {}", ident(&c.name), t.name),
            &c.comment,
        );
    }
    match t.replica_identity.as_str() {
        "f" => o.about(
            PostData,
            phase::TABLE_POST,
            &k,
            vec![],
            "replica identity",
            format!("{only} REPLICA IDENTITY FULL"),
        ),
        "n" => o.about(
            PostData,
            phase::TABLE_POST,
            &k,
            vec![],
            "replica identity",
            format!("{only} REPLICA IDENTITY NOTHING"),
        ),
        "i" => {
            if let Some(idx) = &t.replica_identity_index {
                let iq = QualifiedName::new(&t.name.schema, idx);
                let dep = t
                    .constraints
                    .iter()
                    .find(|c| c.index.as_deref() == Some(idx.as_str()))
                    .map(|c| key::constraint(&t.name, &c.name))
                    .unwrap_or_else(|| key::index(&iq));
                o.about(
                    PostData,
                    phase::TABLE_POST,
                    &k,
                    vec![dep],
                    "replica identity",
                    format!("{only} REPLICA IDENTITY USING INDEX {}", ident(idx)),
                );
            }
        }
        _ => {}
    }
    if t.rls_enabled {
        o.about(
            PostData,
            phase::POLICY,
            &k,
            vec![],
            "row security",
            format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY", t.name),
        );
    }
    if t.rls_forced {
        o.about(
            PostData,
            phase::POLICY,
            &k,
            vec![],
            "row security",
            format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY", t.name),
        );
    }
    for p in &t.policies {
        let pk = key::policy(&t.name, &p.name);
        o.create(
            PostData,
            phase::POLICY,
            pk.clone(),
            vec![k.clone()],
            "policy",
            policy_sql(&t.name, p),
        );
        o.comment(
            PostData,
            phase::POLICY,
            &pk,
            format_args!("POLICY {} ON {}", ident(&p.name), t.name),
            &p.comment,
        );
    }
}

/// Keys of every object in the model, for callers that need to know what
/// exists (e.g. to drop dependencies on objects left out).
pub fn provided_keys(stmts: &[Stmt]) -> BTreeSet<String> {
    stmts.iter().filter_map(|s| s.provides.clone()).collect()
}
