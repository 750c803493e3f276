//! What is wrong with a mapping: each [`Problem`] names the file and line
//! it was written on and says what to change. A run that finds any refuses
//! before anything is written ([`MapError::Invalid`]). Tests match
//! [`ProblemKind`]s, not message text.

use std::fmt;

use serde::Serialize;

use crate::error::ErrorKind;

/// What kind of mistake a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file does not parse, or a value has the wrong shape (a duplicate
    /// key, an unknown setting, both `from` and `query`).
    Syntax,
    UnknownTable,
    UnknownColumn,
    /// An expression, filter or query the source does not accept.
    BadExpression,
    /// An expression whose type cannot be assigned to its column.
    TypeMismatch,
    /// A target column mapped twice (a target table mapped twice, too).
    DuplicateTarget,
    /// A `query` without `key`, or a key that names no column.
    MergeWithoutKey,
    /// Source and target are the same table.
    SameTable,
    /// A strategy that cannot run here (`server` across databases).
    Strategy,
}

/// One mistake, where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    pub fn new(file: &str, line: usize, kind: ProblemKind, message: String) -> Problem {
        Problem { file: file.to_string(), line, kind, message }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MapError {
    /// The mapping does not fit the two databases; nothing was written.
    #[error("{} (nothing was written)", list(problems))]
    Invalid { problems: Vec<Problem> },
}

fn list(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    match lines.len() {
        1 => lines[0].clone(),
        n => format!("{n} problems in the mapping:\n  {}", lines.join("\n  ")),
    }
}

impl MapError {
    /// Fixing the mapping (or the target's structure) is what helps.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Input
    }
}
