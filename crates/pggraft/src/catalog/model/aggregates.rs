//! Aggregates, modelled as data (`pg_aggregate`).

use super::*;

/// An aggregate's definition (`pg_aggregate`). Function, type and operator
/// names are SQL as the server printed them, schema-qualified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub sfunc: String,
    pub stype: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sspace: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalfunc: Option<FinalFunc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combinefunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialfunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deserialfunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initcond: Option<String>,
    /// The moving-aggregate form (`MSFUNC` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moving: Option<MovingAggregate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sortop: Option<String>,
    pub parallel: Parallel,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hypothetical: bool,
}

/// A final function and how it treats the transition state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalFunc {
    pub func: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extra: bool,
    pub modify: FinalModify,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalModify {
    ReadOnly,
    Shareable,
    ReadWrite,
}

impl FinalModify {
    /// From `pg_aggregate.aggfinalmodify`.
    pub fn from_code(code: &str) -> FinalModify {
        match code {
            "s" => FinalModify::Shareable,
            "w" => FinalModify::ReadWrite,
            _ => FinalModify::ReadOnly,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovingAggregate {
    pub msfunc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minvfunc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mstype: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub msspace: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfinalfunc: Option<FinalFunc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minitcond: Option<String>,
}

/// `proparallel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parallel {
    Safe,
    Restricted,
    Unsafe,
}

impl Parallel {
    pub fn from_code(code: &str) -> Parallel {
        match code {
            "s" => Parallel::Safe,
            "r" => Parallel::Restricted,
            _ => Parallel::Unsafe,
        }
    }
}

fn is_zero(n: &i32) -> bool {
    *n == 0
}
