//! The node the planner orders: one SQL statement, the object it creates,
//! the object it concerns and the objects it needs first. Rendering
//! ([`crate::ddl::render`]) and diff produce them; [`super::order`] orders
//! them; the copy engine runs them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    PreData,
    PostData,
}

/// One SQL statement and where it fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stmt {
    pub section: Section,
    /// Tie-breaking priority among statements whose dependencies are met.
    pub phase: u16,
    /// The key of the object this statement creates, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provides: Option<String>,
    /// The key of the object this statement concerns.
    pub object: String,
    /// Keys of objects that must exist before this statement runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deps: Vec<String>,
    /// What kind of statement this is (for reports and filtering).
    pub what: &'static str,
    /// The statement as it may be printed (in scripts, `--dry-run`, errors and logs): secret
    /// option values (a user mapping's password) replaced by a placeholder.
    pub sql: String,
    /// The statement as it runs, when it differs from `sql` (it holds a secret). Never
    /// printed, serialized or logged: only [`Stmt::executable`] reads it.
    #[serde(skip)]
    pub exec: Option<Revealed>,
}

impl Stmt {
    /// The SQL to send to the server: with its secrets, if it has any.
    pub fn executable(&self) -> &str {
        self.exec.as_ref().map_or(&self.sql, |r| &r.0)
    }
}

/// A statement with its secrets in it. `Debug` does not show it.
#[derive(Clone, PartialEq)]
pub struct Revealed(pub String);

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Revealed(…)")
    }
}
