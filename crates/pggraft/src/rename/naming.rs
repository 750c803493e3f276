//! Which source schemas are copied and what they are called in the target:
//! `-n SRC[=DST]` mappings, a name template, and identifier case. Shared by
//! `clone`, `verify` and every later command that pairs a copy with its
//! source, so they all resolve names the same way.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{NameMap, expand_template};
use crate::error::{Error, Result};
use crate::select::Pattern;

/// One `-n` argument: a source schema pattern, optionally renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaArg {
    pub source: Pattern,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl SchemaArg {
    /// Parses `SRC` or `SRC=DST`. Names are taken exactly as written.
    pub fn parse(text: &str) -> Result<SchemaArg> {
        let (src, dst) = match text.split_once('=') {
            Some((s, d)) => (s, Some(d.to_string())),
            None => (text, None),
        };
        if src.is_empty() || dst.as_deref() == Some("") {
            return Err(Error::input(format!(
                "-n {text:?}: expected SCHEMA or SOURCE=TARGET with non-empty names"
            )));
        }
        let source = Pattern::new(src);
        if source.is_wildcard() && dst.is_some() {
            return Err(Error::input(format!(
                "-n {text:?}: a wildcard pattern cannot be renamed to one name; \
                 use --schema-template to derive target names"
            )));
        }
        Ok(SchemaArg { source, target: dst })
    }
}

/// How source schemas are chosen and named in the target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Naming {
    /// Empty: every user schema.
    pub schemas: Vec<SchemaArg>,
    /// E.g. `dw__{database}__{schema}`; applies where `-n` gave no target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Fold identifiers to lower case.
    #[serde(default)]
    pub lower_case: bool,
}

impl Naming {
    /// The include patterns for introspecting the source.
    pub fn patterns(&self) -> Vec<Pattern> {
        self.schemas.iter().map(|a| a.source.clone()).collect()
    }

    /// Source schema → target schema, for the schemas found in the source.
    /// Target names are the explicit `=DST`, else the template, else the
    /// source name (lower-cased when folding identifiers).
    ///
    /// Refused: one schema given two targets (`-n a=x -n a=y`), a target
    /// PostgreSQL reserves (`pg_*`), a template that applies to no schema
    /// (every `-n` names its target), two schemas copied to one name.
    pub fn resolve(&self, database: &str, found: &[String]) -> Result<BTreeMap<String, String>> {
        self.check()?;
        let mut out = BTreeMap::new();
        for s in found {
            let explicit = self
                .schemas
                .iter()
                .find(|a| a.source.matches(s) && a.target.is_some())
                .and_then(|a| a.target.clone());
            let target = match (explicit, &self.template) {
                (Some(t), _) => t,
                (None, Some(tpl)) => {
                    let t = expand_template(tpl, database, s)?;
                    if self.lower_case { t.to_lowercase() } else { t }
                }
                (None, None) if self.lower_case => s.to_lowercase(),
                (None, None) => s.clone(),
            };
            out.insert(s.clone(), target);
        }
        for (src, dst) in &out {
            if dst.starts_with("pg_") {
                return Err(Error::input(format!(
                    "schema {src:?} cannot be copied to {dst:?}: names starting with pg_ are \
                     reserved for PostgreSQL's own schemas; choose another name"
                )));
            }
        }
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (src, dst) in &out {
            if let Some(other) = seen.insert(dst, src) {
                return Err(Error::input(format!(
                    "schemas {other:?} and {src:?} would both be copied to {dst:?}; \
                     give them distinct targets"
                )));
            }
        }
        Ok(out)
    }

    /// What the arguments say regardless of the database: no schema named
    /// twice with different targets, and a template that names something.
    fn check(&self) -> Result<()> {
        for (i, a) in self.schemas.iter().enumerate() {
            let Some(t) = &a.target else { continue };
            let other = self.schemas[i + 1..]
                .iter()
                .find(|b| b.source == a.source && b.target.as_ref().is_some_and(|u| u != t));
            if let Some(b) = other {
                return Err(Error::input(format!(
                    "-n {src}={t} and -n {src}={}: one schema is copied to one name; to make two \
                     copies, run clone twice",
                    b.target.as_deref().unwrap_or_default(),
                    src = a.source.as_str()
                )));
            }
        }
        if self.template.is_some()
            && !self.schemas.is_empty()
            && self.schemas.iter().all(|a| a.target.is_some())
        {
            let named: Vec<String> = self
                .schemas
                .iter()
                .map(|a| format!("-n {}={}", a.source.as_str(), a.target.as_deref().unwrap_or("")))
                .collect();
            return Err(Error::input(format!(
                "--schema-template applies to no schema: every -n names its own target ({}); \
                 drop the template, or give -n SRC without =DST for the schemas it should name",
                named.join(" ")
            )));
        }
        Ok(())
    }

    /// Notes on what the arguments do that a user may not expect: a
    /// schema renamed with `-n SRC=DST` does not get its name from the
    /// template.
    pub fn notes(&self) -> Vec<String> {
        let Some(t) = &self.template else { return vec![] };
        self.schemas
            .iter()
            .filter_map(|a| {
                let dst = a.target.as_ref()?;
                Some(format!(
                    "-n {}={dst} names its target, so --schema-template {t:?} does not apply to it",
                    a.source.as_str()
                ))
            })
            .collect()
    }

    /// The name map for a resolved schema mapping.
    pub fn name_map(&self, schemas: BTreeMap<String, String>) -> NameMap {
        NameMap::new(schemas, self.lower_case)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_explicit_template_and_case() {
        let n = Naming {
            schemas: vec![
                SchemaArg::parse("shop=shop_copy").unwrap(),
                SchemaArg::parse("Sales").unwrap(),
            ],
            template: Some("dw__{database}__{schema}".into()),
            lower_case: true,
        };
        let m = n.resolve("app", &["shop".into(), "Sales".into()]).unwrap();
        assert_eq!(m["shop"], "shop_copy");
        assert_eq!(m["Sales"], "dw__app__sales");
    }

    #[test]
    fn rejects_collisions_and_bad_args() {
        let n = Naming { schemas: vec![], template: Some("x".into()), lower_case: false };
        assert!(n.resolve("db", &["a".into(), "b".into()]).is_err());
        assert!(SchemaArg::parse("=x").is_err());
        assert!(SchemaArg::parse("s*=x").is_err());
        assert_eq!(SchemaArg::parse("Odd Schema").unwrap().source.as_str(), "Odd Schema");
    }

    #[test]
    fn refuses_two_targets_reserved_names_and_a_template_that_names_nothing() {
        let n = |args: &[&str], template: Option<&str>| Naming {
            schemas: args.iter().map(|a| SchemaArg::parse(a).unwrap()).collect(),
            template: template.map(String::from),
            lower_case: false,
        };
        let found = ["shop".to_string(), "audit".to_string()];
        assert!(n(&["shop=a1", "shop=a2"], None).resolve("db", &found).is_err());
        assert!(n(&["shop=a1", "shop=a1"], None).resolve("db", &found).is_ok());
        assert!(n(&["shop=pg_shop"], None).resolve("db", &found).is_err());
        assert!(n(&["shop=a"], Some("x_{schema}")).resolve("db", &found).is_err());
        let mixed = n(&["shop=a", "audit"], Some("x_{schema}"));
        let m = mixed.resolve("db", &found).unwrap();
        assert_eq!((m["shop"].as_str(), m["audit"].as_str()), ("a", "x_audit"));
        assert_eq!(mixed.notes().len(), 1);
    }
}
