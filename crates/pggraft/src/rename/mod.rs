//! Renaming on the way from source to target: which schema becomes which
//! ([`NameMap`], built from user options and [`expand_template`]), optional
//! lower-casing of identifiers, and rewriting the references inside SQL text
//! the catalog holds ([`rewrite_sql`], [`rewrite_function_body`],
//! [`rewrite_search_path`]). Introspection fills the map with the names it
//! found; rendering DDL from the renamed model is left to [`crate::ddl`].

mod catalog;
pub mod naming;
mod rewrite;
mod template;

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::sql::quote::{QualifiedName, ident};

pub use catalog::{register_extension_members, register_names, rename_catalog};
pub use naming::{Naming, SchemaArg};
pub use rewrite::{
    Rewritten, rewrite_function_body, rewrite_search_path, rewrite_search_path_for, rewrite_sql,
    rewrite_trigger_arguments,
};
pub use template::expand_template;

/// PostgreSQL's identifier limit (`NAMEDATALEN - 1`); longer names are
/// silently truncated by the server, which would merge or mangle them.
pub const MAX_IDENT_BYTES: usize = 63;

/// Source schema → target schema, plus what is needed to fold identifiers
/// to lower case and to recognise references in SQL text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameMap {
    /// Source schema → target schema (exact catalog names).
    schemas: BTreeMap<String, String>,
    /// Fold identifiers of objects inside mapped schemas to lower case.
    lower_case: bool,
    /// Per source schema: names of relations, types, functions, sequences …
    /// (so `schema.name` can be told apart from `alias.column`).
    objects: BTreeMap<String, BTreeSet<String>>,
    /// Names (objects, columns, constraints, indexes, triggers, policies)
    /// inside mapped schemas, for case folding.
    idents: BTreeSet<String>,
    /// Extensions in mapped schemas move with them (a copy into another
    /// database creates them there): see [`register_extension_members`].
    extensions_follow: bool,
    /// Per source schema: the names of the extension members it holds. While
    /// extensions do not follow their schema (a copy within one database
    /// shares the source's), `public.unaccent(…)` in a function body still
    /// means the extension's function, not one of the copy.
    shared: BTreeMap<String, BTreeSet<String>>,
}

impl NameMap {
    pub fn new(schemas: BTreeMap<String, String>, lower_case: bool) -> NameMap {
        NameMap {
            schemas,
            lower_case,
            objects: BTreeMap::new(),
            idents: BTreeSet::new(),
            extensions_follow: false,
            shared: BTreeMap::new(),
        }
    }

    /// Registers an object (relation, type, function, sequence, …) of a
    /// mapped source schema. Objects of schemas that are not mapped are
    /// ignored: nothing about them is renamed.
    pub fn add_object(&mut self, schema: &str, name: &str) {
        if !self.schemas.contains_key(schema) {
            return;
        }
        self.objects.entry(schema.to_string()).or_default().insert(name.to_string());
        self.idents.insert(name.to_string());
    }

    /// Registers a column, constraint, index, trigger or policy name of an
    /// object in a mapped schema, so its references are folded too.
    pub fn add_ident(&mut self, name: &str) {
        self.idents.insert(name.to_string());
    }

    /// The target name of schema `s`, or `s` itself when it is not mapped.
    pub fn schema(&self, s: &str) -> String {
        self.schemas.get(s).cloned().unwrap_or_else(|| s.to_string())
    }

    /// `n` as it is called in the target: lower-cased when folding.
    pub fn name(&self, n: &str) -> String {
        if self.lower_case { n.to_lowercase() } else { n.to_string() }
    }

    /// The target name of an object: its schema mapped, and its name folded
    /// only if that schema is one we copy (objects elsewhere keep theirs).
    pub fn qualified(&self, q: &QualifiedName) -> QualifiedName {
        match self.schemas.get(&q.schema) {
            Some(target) => QualifiedName::new(target.clone(), self.name(&q.name)),
            None => q.clone(),
        }
    }

    /// True when every schema maps to itself and nothing is folded, so no
    /// SQL text needs rewriting.
    pub fn is_identity(&self) -> bool {
        !self.lower_case && self.schemas.iter().all(|(from, to)| from == to)
    }

    /// The source → target schema pairs.
    pub fn schemas(&self) -> &BTreeMap<String, String> {
        &self.schemas
    }

    pub fn lower_case(&self) -> bool {
        self.lower_case
    }

    /// Whether extensions in mapped schemas move with their schema.
    pub fn extensions_follow(&self) -> bool {
        self.extensions_follow
    }

    /// Whether `s` is a source schema of this map.
    pub fn is_mapped(&self, s: &str) -> bool {
        self.schemas.contains_key(s)
    }

    /// Whether `name` was registered with [`NameMap::add_object`] for `schema`.
    pub fn is_object(&self, schema: &str, name: &str) -> bool {
        self.objects.get(schema).is_some_and(|names| names.contains(name))
    }

    /// Whether `schema.name` names an extension's member that stays where it is
    /// (extensions do not follow their schema) rather than a copied object.
    pub fn is_shared(&self, schema: &str, name: &str) -> bool {
        !self.extensions_follow
            && !self.is_object(schema, name)
            && self.shared.get(schema).is_some_and(|names| names.contains(name))
    }

    /// Whether `name` was registered (as an object or with
    /// [`NameMap::add_ident`]) and so is subject to folding.
    pub fn is_ident(&self, name: &str) -> bool {
        self.idents.contains(name)
    }

    /// Source schemas whose references in SQL text would change: renamed
    /// ones, and with folding all of them (their objects' names change).
    pub(crate) fn changed_schemas(&self) -> impl Iterator<Item = &str> {
        self.schemas
            .iter()
            .filter(|(from, to)| from != to || self.lower_case)
            .map(|(from, _)| from.as_str())
    }

    /// Checks that folding keeps the names of one scope (the objects of a
    /// schema, the columns of a table, …) distinct and within PostgreSQL's
    /// 63-byte limit. `scope` names the scope in the error, e.g.
    /// `table shop."Orders"`.
    pub fn check_collisions<'a>(
        &self,
        scope: &str,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<()> {
        if !self.lower_case {
            return Ok(());
        }
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for name in names {
            let folded = self.name(name);
            if folded.len() > MAX_IDENT_BYTES {
                return Err(Error::input(format!(
                    "lower-casing {} in {scope} gives {}, longer than PostgreSQL's \
                     {MAX_IDENT_BYTES}-byte limit for names; rename it in the source or \
                     clone without lower-casing",
                    ident(name),
                    ident(&folded),
                )));
            }
            match seen.get(folded.as_str()) {
                Some(&other) if other != name => {
                    let (a, b) = if other < name { (other, name) } else { (name, other) };
                    return Err(Error::input(format!(
                        "lower-casing names in {scope} would turn both {} and {} into {}; \
                         rename one of them in the source or clone without lower-casing",
                        ident(a),
                        ident(b),
                        ident(&folded),
                    )));
                }
                Some(_) => {}
                None => {
                    seen.insert(folded, name);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn map(lower_case: bool) -> NameMap {
        let schemas = [("shop", "shop_copy"), ("Sales", "sales_2")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        NameMap::new(schemas, lower_case)
    }

    #[test]
    fn maps_schemas_and_folds_names_only_inside_them() {
        let m = map(true);
        assert_eq!(m.schema("shop"), "shop_copy");
        assert_eq!(m.schema("public"), "public");
        assert_eq!(m.name("Users"), "users");
        assert_eq!(m.name("ÄRGER"), "ärger");
        assert_eq!(
            m.qualified(&QualifiedName::new("Sales", "Orders")),
            QualifiedName::new("sales_2", "orders")
        );
        assert_eq!(
            m.qualified(&QualifiedName::new("public", "Orders")),
            QualifiedName::new("public", "Orders")
        );
        assert_eq!(
            map(false).qualified(&QualifiedName::new("shop", "Orders")),
            QualifiedName::new("shop_copy", "Orders")
        );
    }

    #[test]
    fn identity() {
        assert!(NameMap::default().is_identity());
        let same = NameMap::new([("a".to_string(), "a".to_string())].into(), false);
        assert!(same.is_identity());
        assert!(!map(false).is_identity());
        assert!(!NameMap::new(BTreeMap::new(), true).is_identity());
    }

    #[test]
    fn objects_of_unmapped_schemas_are_ignored() {
        let mut m = map(true);
        m.add_object("shop", "Orders");
        m.add_object("public", "Users");
        assert!(m.is_object("shop", "Orders"));
        assert!(m.is_ident("Orders"));
        assert!(!m.is_ident("Users"));
    }

    #[test]
    fn collisions_name_both_names() {
        let m = map(true);
        let err = m.check_collisions("table shop.t", ["id", "Users", "users"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Input);
        let msg = err.to_string();
        assert!(msg.contains("\"Users\" and users") && msg.contains("table shop.t"), "{msg}");
        assert!(m.check_collisions("table shop.t", ["id", "Name", "name2", "id"]).is_ok());
        assert!(map(false).check_collisions("t", ["Users", "users"]).is_ok());
        // 'İ' (2 bytes) lower-cases to "i̇" (3 bytes).
        let long = "İ".repeat(31);
        assert!(m.check_collisions("schema shop", [long.as_str()]).is_err());
    }
}
