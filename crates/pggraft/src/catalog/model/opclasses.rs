//! Operator families and classes of index access methods.

use super::*;

/// An operator family of an index access method, with its loose members: the operators and
/// support functions added to the family itself (`ALTER OPERATOR FAMILY … ADD`) rather than
/// with one of its classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorFamily {
    pub name: QualifiedName,
    /// The access method (`btree`, `hash`, `gist`, `gin`, `brin`, …).
    pub method: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<OpFamilyOperator>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub functions: Vec<OpFamilyFunction>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// An operator class: how an access method indexes one type, in a family.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatorClass {
    pub name: QualifiedName,
    pub method: String,
    /// `FOR TYPE` (`format_type`).
    pub type_name: String,
    /// `DEFAULT`: the class indexes of the type use when they name none.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    pub family: QualifiedName,
    /// `STORAGE`: the type stored in the index, when it is not `type_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    pub operators: Vec<OpFamilyOperator>,
    pub functions: Vec<OpFamilyFunction>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// `OPERATOR strategy schema.symbol (left, right) [FOR ORDER BY family]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpFamilyOperator {
    pub strategy: i16,
    /// `schema.symbol`, the schema quoted (`pg_catalog.<`).
    pub operator: String,
    pub left: String,
    pub right: String,
    /// An ordering operator's btree family (`FOR ORDER BY`); `None` for a search operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<QualifiedName>,
}

/// `FUNCTION number (left, right) function(arguments)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpFamilyFunction {
    pub number: i16,
    pub left: String,
    pub right: String,
    /// `regprocedure`: name and argument types, qualified unless in `pg_catalog`.
    pub function: String,
}
