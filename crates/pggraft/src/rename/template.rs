//! Target schema names from templates such as `{schema}_copy` or
//! `{database}_{schema}`.

use super::MAX_IDENT_BYTES;
use crate::error::{Error, Result};

/// Expands `{database}` and `{schema}` in `template`; `{{` and `}}` stand
/// for literal braces. The result must be a usable PostgreSQL name: not
/// empty and at most 63 bytes (the server would silently truncate it, and
/// two long names could end up the same).
pub fn expand_template(template: &str, database: &str, schema: &str) -> Result<String> {
    let mut out = String::with_capacity(template.len() + schema.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let (brace, after) = (&rest[i..=i], &rest[i + 1..]);
        if let Some(after_escape) = after.strip_prefix(brace) {
            out.push_str(brace);
            rest = after_escape;
            continue;
        }
        if brace == "}" {
            return Err(Error::input(format!(
                "unmatched '}}' in name template {template:?}; write '}}}}' for a literal brace"
            )));
        }
        let Some(end) = after.find('}') else {
            return Err(Error::input(format!(
                "unclosed '{{' in name template {template:?}; write '{{{{' for a literal brace"
            )));
        };
        match &after[..end] {
            "database" => out.push_str(database),
            "schema" => out.push_str(schema),
            other => {
                return Err(Error::input(format!(
                    "unknown placeholder {{{other}}} in name template {template:?}; \
                     use {{database}} or {{schema}}"
                )));
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    if out.is_empty() {
        return Err(Error::input(format!(
            "name template {template:?} gives an empty name for schema {schema:?}"
        )));
    }
    if out.len() > MAX_IDENT_BYTES {
        return Err(Error::input(format!(
            "name template {template:?} gives {out:?} for schema {schema:?}, which is {} bytes; \
             PostgreSQL names are limited to {MAX_IDENT_BYTES} bytes, use a shorter template",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_placeholders_and_escapes() {
        assert_eq!(expand_template("{schema}_copy", "db", "shop").unwrap(), "shop_copy");
        assert_eq!(expand_template("{database}_{schema}", "app", "Shop").unwrap(), "app_Shop");
        assert_eq!(expand_template("{{{schema}}}", "d", "s").unwrap(), "{s}");
        assert_eq!(expand_template("fixed", "d", "s").unwrap(), "fixed");
        assert_eq!(expand_template("é_{schema}", "d", "s").unwrap(), "é_s");
    }

    #[test]
    fn rejects_bad_templates() {
        let msg = |t: &str| expand_template(t, "db", "shop").unwrap_err().to_string();
        assert!(
            msg("{scheme}_x").contains("unknown placeholder {scheme}"),
            "{}",
            msg("{scheme}_x")
        );
        assert!(msg("{schema").contains("unclosed '{'"));
        assert!(msg("a}b").contains("unmatched '}'"));
        assert!(msg("").contains("empty name"));
        let long = format!("{}_{{schema}}", "x".repeat(60));
        assert!(msg(&long).contains("65 bytes"), "{}", msg(&long));
        assert!(expand_template(&format!("{}{{schema}}", "x".repeat(59)), "d", "shop").is_ok());
    }
}
