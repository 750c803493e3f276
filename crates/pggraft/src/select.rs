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
}
