//! An extension altered in place: `SET SCHEMA`, and `UPDATE TO` a newer
//! version. PostgreSQL updates an extension along the scripts its package
//! ships, and packages ship no way down: a version older than FROM's has
//! no update path. Such an extension is dropped and created at TO's
//! version instead (with what uses it, [`crate::diff::classify`]), a
//! hazard saying so and what to run if a way down exists after all; when
//! a table's column uses it, that would take the column's data, and the
//! diff stops ([`crate::error::Error::NoUpdatePath`]).

use std::cmp::Ordering;

use crate::catalog::model::{Extension, key};
use crate::diff::Change;
use crate::diff::engine::{Diff, change};
use crate::error::NoUpdatePath;
use crate::sql::{ident, literal};

impl Diff<'_> {
    /// `None` when the extension must be dropped and created (a version
    /// with no update path).
    pub(super) fn alter_extension(
        &mut self,
        k: &str,
        a: &Extension,
        b: &Extension,
    ) -> Option<Vec<Change>> {
        let mut out = vec![];
        if a.version != b.version && compare_versions(&b.version, &a.version) == Ordering::Less {
            let users: Vec<String> = self
                .from
                .tables
                .iter()
                .filter(|t| {
                    self.from.depends.get(&key::relation(&t.name)).is_some_and(|d| d.contains(k))
                })
                .map(|t| t.name.to_string())
                .collect();
            if !users.is_empty() {
                self.no_update_path.push(NoUpdatePath {
                    extension: b.name.clone(),
                    from_version: a.version.clone(),
                    to_version: b.version.clone(),
                    used_by: users,
                });
            }
            self.downgraded.insert(k.to_string());
            return None;
        }
        if a.schema != b.schema {
            out.push(change(
                format!("ALTER EXTENSION {} SET SCHEMA {}", ident(&b.name), ident(&b.schema)),
                k,
                "alter",
            ));
        }
        if a.version != b.version {
            out.push(change(
                format!("ALTER EXTENSION {} UPDATE TO {}", ident(&b.name), literal(&b.version)),
                k,
                "alter",
            ));
        }
        Some(out)
    }
}

/// Orders extension versions as their numbers read (`1.10` after `1.9`),
/// the parts that are not numbers as text.
pub(crate) fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parts(v: &str) -> Vec<Result<u64, &str>> {
        let mut out = vec![];
        let mut start = 0;
        let bytes = v.as_bytes();
        for i in 1..=bytes.len() {
            let boundary =
                i == bytes.len() || bytes[i].is_ascii_digit() != bytes[i - 1].is_ascii_digit();
            if boundary {
                let s = &v[start..i];
                if !matches!(s, "." | "-" | "_") {
                    out.push(s.parse::<u64>().map_err(|_| s));
                }
                start = i;
            }
        }
        out
    }
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = match (x, y) {
            (Ok(x), Ok(y)) => x.cmp(y),
            (Err(x), Err(y)) => x.cmp(y),
            // A number sorts after a label: 1.0 after 1.0beta's "beta".
            (Ok(_), Err(_)) => Ordering::Greater,
            (Err(_), Ok(_)) => Ordering::Less,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    // One is the other and more: a label (3.1.0beta1) comes before the
    // release, a number (2.0.1) after.
    match (pa.get(pb.len()), pb.get(pa.len())) {
        (Some(Err(_)), _) => Ordering::Less,
        (_, Some(Err(_))) => Ordering::Greater,
        _ => pa.len().cmp(&pb.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_numbers() {
        assert_eq!(compare_versions("1.5", "1.6"), Ordering::Less);
        assert_eq!(compare_versions("1.10", "1.9"), Ordering::Greater);
        assert_eq!(compare_versions("2.0.1", "2.0"), Ordering::Greater);
        assert_eq!(compare_versions("1.6", "1.6"), Ordering::Equal);
        assert_eq!(compare_versions("3.1.0beta1", "3.1.0"), Ordering::Less);
    }
}
