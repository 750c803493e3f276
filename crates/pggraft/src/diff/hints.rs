//! What the user tells the diff that the two catalogs cannot: the `USING`
//! expression of a column's type change (`--using 'tbl.col=EXPR'`) and that
//! an object was renamed rather than dropped and created (`--rename
//! TABLE=NEW`, `--rename TABLE.COL=NEW`). This module parses them; the
//! passes that use them resolve their names against the catalogs.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sql::{QualifiedName, ident};

/// `[schema.]table.column=EXPR`: how a column's old values become the new
/// type's (`ALTER COLUMN … TYPE … USING EXPR`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Using {
    /// The table's schema; `None` matches the table in any schema.
    pub schema: Option<String>,
    pub table: String,
    pub column: String,
    /// A SQL expression over the row's old values.
    pub expr: String,
}

impl Using {
    /// Parses `[schema.]table.column=EXPR`. Names are written as in SQL:
    /// `"Odd Name"` quoted, others as stored (no case folding, as for `-n`).
    pub fn parse(text: &str) -> Result<Using> {
        let bad = |why: &str| {
            Error::input(format!(
                "--using {text:?}: {why}; expected [SCHEMA.]TABLE.COLUMN=EXPR, e.g. \
                 'app.events.at=to_timestamp(at)'"
            ))
        };
        let (path, rest) = split_path(text).map_err(|e| bad(&e))?;
        let expr = rest.trim();
        if expr.is_empty() {
            return Err(bad("the expression is empty"));
        }
        let (schema, table, column) = match path.as_slice() {
            [t, c] => (None, t.clone(), c.clone()),
            [s, t, c] => (Some(s.clone()), t.clone(), c.clone()),
            _ => return Err(bad("the column is not named as TABLE.COLUMN")),
        };
        Ok(Using { schema, table, column, expr: expr.to_string() })
    }

    pub fn matches(&self, table: &QualifiedName, column: &str) -> bool {
        self.schema.as_ref().is_none_or(|s| *s == table.schema)
            && self.table == table.name
            && self.column == column
    }

    /// The hint for `column` of `table` as it is written on the command line.
    pub fn flag(table: &QualifiedName, column: &str, expr: &str) -> String {
        format!("--using {}", shell_quoted(&format!("{table}.{}={expr}", ident(column))))
    }

    /// The column as the hint names it: `[schema.]table.column`, quoted
    /// where needed.
    pub fn path(&self) -> String {
        let table = match &self.schema {
            Some(s) => format!("{}.{}", ident(s), ident(&self.table)),
            None => ident(&self.table),
        };
        format!("{table}.{}", ident(&self.column))
    }

    /// This hint as it is written on the command line.
    pub fn to_flag(&self) -> String {
        format!("--using {}", shell_quoted(&format!("{}={}", self.path(), self.expr)))
    }
}

/// `TABLE=NEW` or `TABLE.COLUMN=NEW` (the table optionally
/// schema-qualified): FROM's object and TO's name for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    /// The old name's parts as written: `[schema.]table[.column]`. Two
    /// parts are resolved against FROM (`schema.table` or `table.column`).
    pub path: Vec<String>,
    /// The new name (of the table, or of the column), in the same schema.
    pub new_name: String,
}

impl Rename {
    /// Parses `[schema.]table[.column]=NEW`.
    pub fn parse(text: &str) -> Result<Rename> {
        let bad = |why: &str| {
            Error::input(format!(
                "--rename {text:?}: {why}; expected [SCHEMA.]TABLE=NEW or [SCHEMA.]TABLE.COLUMN=NEW"
            ))
        };
        let (path, rest) = split_path(text).map_err(|e| bad(&e))?;
        if path.len() > 3 {
            return Err(bad("too many name parts"));
        }
        let (new, tail) = split_path(rest.trim()).map_err(|e| bad(&e))?;
        if !tail.trim().is_empty() || new.len() != 1 {
            return Err(bad("the new name is one identifier (it stays in the old schema)"));
        }
        Ok(Rename { path, new_name: new[0].clone() })
    }
}

/// `text` in single quotes for a POSIX shell.
fn shell_quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

impl Rename {
    /// This hint as it is written on the command line.
    pub fn to_flag(&self) -> String {
        let path: Vec<String> = self.path.iter().map(|p| ident(p)).collect();
        format!(
            "--rename {}",
            shell_quoted(&format!("{}={}", path.join("."), ident(&self.new_name)))
        )
    }
}

/// Splits `a."B c".d=rest` into its name parts and what follows the `=`
/// (or, with no `=`, the name parts and an empty rest).
fn split_path(text: &str) -> std::result::Result<(Vec<String>, &str), String> {
    let mut parts = vec![];
    let mut chars = text.char_indices().peekable();
    let mut current = String::new();
    let mut quoted_part = false;
    while let Some((i, ch)) = chars.next() {
        match ch {
            '"' => {
                if !current.is_empty() || quoted_part {
                    return Err("a quote inside a name".into());
                }
                quoted_part = true;
                loop {
                    match chars.next() {
                        Some((_, '"')) if chars.peek().is_some_and(|(_, c)| *c == '"') => {
                            chars.next();
                            current.push('"');
                        }
                        Some((_, '"')) => break,
                        Some((_, c)) => current.push(c),
                        None => return Err("an unterminated quoted name".into()),
                    }
                }
            }
            '.' | '=' => {
                if current.is_empty() && !quoted_part {
                    return Err("an empty name".into());
                }
                parts.push(std::mem::take(&mut current));
                quoted_part = false;
                if ch == '=' {
                    return Ok((parts, &text[i + 1..]));
                }
            }
            c if quoted_part => return Err(format!("{c:?} after a quoted name")),
            c if c.is_whitespace() && current.is_empty() => {}
            c => current.push(c),
        }
    }
    if current.is_empty() && !quoted_part {
        return Err("an empty name".into());
    }
    parts.push(current.trim_end().to_string());
    Ok((parts, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn using_parses_qualified_and_quoted_columns() {
        let u = Using::parse("app.events.at=to_timestamp(at / 1000)").unwrap();
        assert_eq!(
            (u.schema.as_deref(), u.table.as_str(), u.column.as_str()),
            (Some("app"), "events", "at")
        );
        assert_eq!(u.expr, "to_timestamp(at / 1000)");
        let u = Using::parse(r#""Odd Schema"."My ""T"""."Col.1"=CASE WHEN "Col.1" = 1 THEN 2 END"#)
            .unwrap();
        assert_eq!(u.schema.as_deref(), Some("Odd Schema"));
        assert_eq!(u.table, r#"My "T""#);
        assert_eq!(u.column, "Col.1");
        assert_eq!(u.expr, r#"CASE WHEN "Col.1" = 1 THEN 2 END"#);
        let u = Using::parse("events.at=at::text::date").unwrap();
        assert!(u.schema.is_none());
        assert!(u.matches(&QualifiedName::new("app", "events"), "at"));
        assert!(!u.matches(&QualifiedName::new("app", "events"), "other"));
    }

    #[test]
    fn using_rejects_what_names_no_column() {
        for bad in ["at=now()", "app.events.at=", "a.b.c.d=1", "a..b=1", r#""x=1"#, "noequals"] {
            let e = Using::parse(bad).unwrap_err();
            assert_eq!(e.kind(), crate::error::ErrorKind::Input, "{bad}");
        }
    }

    #[test]
    fn rename_parses_tables_and_columns() {
        let r = Rename::parse("app.users=people").unwrap();
        assert_eq!(r.path, vec!["app", "users"]);
        assert_eq!(r.new_name, "people");
        let r = Rename::parse(r#"app."Users"."E Mail"="email address""#).unwrap();
        assert_eq!(r.path, vec!["app", "Users", "E Mail"]);
        assert_eq!(r.new_name, "email address");
        assert!(Rename::parse("users=app.people").is_err());
        assert!(Rename::parse("users=").is_err());
    }
}
