//! Identifier and literal quoting: the one place SQL text is built from names.
//!
//! Rules follow PostgreSQL's `quote_ident` / `quote_literal`: an identifier is
//! left bare only when it is lower-case ASCII letters, digits and underscores,
//! does not start with a digit, and is not a keyword that needs quoting.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

/// Keywords that `quote_ident` quotes (reserved, type/function-name and
/// column-name keywords from PostgreSQL's kwlist.h). Unreserved keywords may
/// stand bare; quoting everything else is always safe.
const QUOTED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_object",
    "json_objectagg",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Whether `name` can appear unquoted and mean itself.
pub fn is_bare_identifier(name: &str) -> bool {
    let bytes = name.as_bytes();
    let Some(&first) = bytes.first() else { return false };
    (first.is_ascii_lowercase() || first == b'_')
        && bytes.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !is_quoted_keyword(name)
}

/// Whether `name` is in [`QUOTED_KEYWORDS`]. A hash set rather than a binary
/// search: rendering a large schema asks this for every name it prints.
fn is_quoted_keyword(name: &str) -> bool {
    static SET: std::sync::LazyLock<foldhash::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| QUOTED_KEYWORDS.iter().copied().collect());
    name.len() <= MAX_KEYWORD_LEN && SET.contains(name)
}

/// The longest of [`QUOTED_KEYWORDS`] (checked by a test).
const MAX_KEYWORD_LEN: usize = 17;

/// Quotes an identifier when needed (like `quote_ident`).
pub fn ident(name: &str) -> String {
    if is_bare_identifier(name) {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// [`ident`] written straight into `out`: rendering a large schema formats
/// names hundreds of thousands of times, and the allocations showed.
fn write_ident(out: &mut impl fmt::Write, name: &str) -> fmt::Result {
    if is_bare_identifier(name) {
        return out.write_str(name);
    }
    out.write_char('"')?;
    for (i, part) in name.split('"').enumerate() {
        if i > 0 {
            out.write_str("\"\"")?;
        }
        out.write_str(part)?;
    }
    out.write_char('"')
}

/// Quotes a string literal (like `quote_literal`), using the `E''` form only
/// when backslashes make it necessary under any `standard_conforming_strings`.
pub fn literal(value: &str) -> String {
    let body = value.replace('\'', "''");
    if body.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// A schema-qualified object name. `Display` quotes both parts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName { schema: schema.into(), name: name.into() }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ident(f, &self.schema)?;
        f.write_char('.')?;
        write_ident(f, &self.name)
    }
}

/// Wraps a single identifier so it can be used in `format!` with quoting.
#[derive(Debug, Clone, Copy)]
pub struct Ident<'a>(pub &'a str);

impl fmt::Display for Ident<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_ident(f, self.0)
    }
}

/// Wraps a single string literal for `format!`.
#[derive(Debug, Clone, Copy)]
pub struct Literal<'a>(pub &'a str);

impl fmt::Display for Literal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&literal(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyword_list_is_sorted_and_bounded() {
        let mut sorted = QUOTED_KEYWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, QUOTED_KEYWORDS);
        assert_eq!(QUOTED_KEYWORDS.iter().map(|k| k.len()).max(), Some(MAX_KEYWORD_LEN));
        assert!(QUOTED_KEYWORDS.iter().all(|k| !is_bare_identifier(k)));
    }

    #[test]
    fn quoting_examples() {
        assert_eq!(ident("orders"), "orders");
        assert_eq!(ident("Orders"), "\"Orders\"");
        assert_eq!(ident("select"), "\"select\"");
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(ident("1abc"), "\"1abc\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b"), "E'a\\\\b'");
        assert_eq!(QualifiedName::new("My Schema", "t").to_string(), "\"My Schema\".t");
    }
}
