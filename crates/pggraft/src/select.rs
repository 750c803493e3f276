//! Selecting objects by name pattern. Every command uses this one rule:
//! a pattern matches names exactly as stored in the catalog (no case
//! folding, no quoting), with `*` matching any run of characters and `?`
//! any single character.

use serde::{Deserialize, Serialize};
use wildmatch::WildMatch;

/// A name pattern as typed by the user (`-n`, `-t`, `-T`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pattern {
    text: String,
    #[serde(skip, default = "dummy_matcher")]
    matcher: Option<WildMatch>,
}

fn dummy_matcher() -> Option<WildMatch> {
    None
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Pattern {
    pub fn new(text: impl Into<String>) -> Pattern {
        let text = text.into();
        let matcher = Some(WildMatch::new(&text));
        Pattern { text, matcher }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the pattern has wildcards (and so may match several names).
    pub fn is_wildcard(&self) -> bool {
        self.text.contains(['*', '?'])
    }

    pub fn matches(&self, name: &str) -> bool {
        match &self.matcher {
            Some(m) => m.matches(name),
            None => WildMatch::new(&self.text).matches(name),
        }
    }
}

/// A table pattern: `NAME` (any schema) or `SCHEMA.NAME`. The dot splits at
/// the first `.`; a schema name containing a dot is written as `"a.b".t`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TablePattern {
    pub schema: Option<Pattern>,
    pub name: Pattern,
}

impl TablePattern {
    pub fn parse(text: &str) -> TablePattern {
        if let Some(rest) = text.strip_prefix('"')
            && let Some(end) = rest.find("\".")
        {
            return TablePattern {
                schema: Some(Pattern::new(&rest[..end])),
                name: Pattern::new(&rest[end + 2..]),
            };
        }
        match text.split_once('.') {
            Some((s, n)) => TablePattern { schema: Some(Pattern::new(s)), name: Pattern::new(n) },
            None => TablePattern { schema: None, name: Pattern::new(text) },
        }
    }

    pub fn matches(&self, schema: &str, name: &str) -> bool {
        self.schema.as_ref().is_none_or(|s| s.matches(schema)) && self.name.matches(name)
    }

    /// Whether either part has wildcards (and so may match several tables).
    pub fn is_wildcard(&self) -> bool {
        self.name.is_wildcard() || self.schema.as_ref().is_some_and(Pattern::is_wildcard)
    }

    /// The pattern as the user wrote it (`NAME` or `SCHEMA.NAME`).
    pub fn as_text(&self) -> String {
        match &self.schema {
            Some(s) => format!("{}.{}", s.as_str(), self.name.as_str()),
            None => self.name.as_str().to_string(),
        }
    }
}

/// Splits `schema.name` where either part may be double-quoted
/// (`"My Schema"."Odd.Name"`); quotes are removed, names kept as written.
pub fn split_qualified(text: &str) -> (Option<String>, String) {
    let mut parts: Vec<String> = vec![];
    let mut cur = String::new();
    let mut chars = text.trim().chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted && parts.is_empty() => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    if parts.len() == 2 {
        let name = parts.pop().unwrap_or_default();
        (parts.pop(), name)
    } else {
        (None, parts.pop().unwrap_or_default())
    }
}

/// pgcopydb's `--filters` INI file, so its users can switch: sections
/// `[include-only-schema]`, `[exclude-schema]`, `[include-only-table]`,
/// `[exclude-table]`, `[exclude-table-data]`, one name per line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub include_schemas: Vec<Pattern>,
    pub exclude_schemas: Vec<Pattern>,
    pub include_tables: Vec<TablePattern>,
    pub exclude_tables: Vec<TablePattern>,
    pub exclude_table_data: Vec<TablePattern>,
}

impl Filters {
    pub fn parse(text: &str) -> crate::Result<Filters> {
        let mut f = Filters::default();
        let mut section = String::new();
        for (n, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_string();
                continue;
            }
            let table = || {
                let (schema, name) = split_qualified(line);
                TablePattern { schema: schema.map(Pattern::new), name: Pattern::new(name) }
            };
            match section.as_str() {
                "include-only-schema" => {
                    f.include_schemas.push(Pattern::new(split_qualified(line).1))
                }
                "exclude-schema" => f.exclude_schemas.push(Pattern::new(split_qualified(line).1)),
                "include-only-table" => f.include_tables.push(table()),
                "exclude-table" => f.exclude_tables.push(table()),
                "exclude-table-data" => f.exclude_table_data.push(table()),
                "" => {
                    return Err(crate::Error::input(format!(
                        "filters line {}: {line:?} comes before any [section]",
                        n + 1
                    )));
                }
                other => {
                    return Err(crate::Error::input(format!(
                        "filters line {}: section [{other}] is not supported (supported: \
                         include-only-schema, exclude-schema, include-only-table, exclude-table, \
                         exclude-table-data)",
                        n + 1
                    )));
                }
            }
        }
        Ok(f)
    }
}

/// Which schemas to read.
#[derive(Debug, Clone, Default)]
pub struct SchemaFilter {
    /// Schema name patterns; empty means every user schema.
    pub include: Vec<Pattern>,
    /// Schema name patterns to leave out.
    pub exclude: Vec<Pattern>,
}

impl SchemaFilter {
    pub fn all() -> SchemaFilter {
        SchemaFilter::default()
    }

    pub fn only(names: impl IntoIterator<Item = impl Into<String>>) -> SchemaFilter {
        SchemaFilter {
            include: names.into_iter().map(|n| Pattern::new(n)).collect(),
            exclude: vec![],
        }
    }

    pub(crate) fn admits(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(name)))
            && !self.exclude.iter().any(|p| p.matches(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_names_as_stored() {
        assert!(Pattern::new("Sales").matches("Sales"));
        assert!(!Pattern::new("Sales").matches("sales"));
        assert!(Pattern::new("Odd Schema").matches("Odd Schema"));
        assert!(Pattern::new("s*").matches("shop"));
        assert!(Pattern::new("sh?p").matches("shop"));
        assert!(!Pattern::new("sh?p").matches("shoop"));
        let t = TablePattern::parse("shop.ord*");
        assert!(t.matches("shop", "orders"));
        assert!(!t.matches("audit", "orders"));
        assert!(TablePattern::parse("orders").matches("any", "orders"));
        assert!(TablePattern::parse("\"a.b\".t").matches("a.b", "t"));
    }

    #[test]
    fn pgcopydb_filters_parse() {
        let f = Filters::parse(
            "[include-only-schema]\nshop\n\n[exclude-table]\n\"Odd Schema\".\"T.1\"\npublic.logs\n\
             [exclude-table-data]\naudit.big\n",
        )
        .unwrap();
        assert_eq!(f.include_schemas[0].as_str(), "shop");
        assert!(f.exclude_tables[0].matches("Odd Schema", "T.1"));
        assert!(f.exclude_tables[1].matches("public", "logs"));
        assert!(f.exclude_table_data[0].matches("audit", "big"));
        assert!(Filters::parse("[exclude-index]\nx\n").is_err());
        assert!(Filters::parse("x\n").is_err());
    }
}

/// Which tables to take (`-t`, the include list; empty: all) and which to
/// leave out (`-T`). The one place the two lists are combined.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableFilter {
    pub include: Vec<TablePattern>,
    pub exclude: Vec<TablePattern>,
}

impl TableFilter {
    /// Neither list says anything.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the table `q` is taken.
    pub fn admits(&self, q: &crate::sql::QualifiedName) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(&q.schema, &q.name)))
            && !self.excludes(q)
    }

    /// Whether `-T` names the table `q`.
    pub fn excludes(&self, q: &crate::sql::QualifiedName) -> bool {
        self.exclude.iter().any(|p| p.matches(&q.schema, &q.name))
    }
}
