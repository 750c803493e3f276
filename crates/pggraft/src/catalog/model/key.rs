//! Stable keys naming objects across databases (used for dependencies,
//! ordering and diffs). Names are rendered quoted, so keys are unambiguous.

use crate::sql::{QualifiedName, ident};

pub fn schema(name: &str) -> String {
    format!("schema {}", ident(name))
}
pub fn extension(name: &str) -> String {
    format!("extension {}", ident(name))
}
pub fn collation(q: &QualifiedName) -> String {
    format!("collation {q}")
}
pub fn type_(q: &QualifiedName) -> String {
    format!("type {q}")
}
/// The shell a base type is created as first, for its I/O functions to name.
pub fn shell_type(q: &QualifiedName) -> String {
    format!("shell type {q}")
}
pub fn function(q: &QualifiedName, identity_args: &str) -> String {
    format!("function {q}({identity_args})")
}
pub fn sequence(q: &QualifiedName) -> String {
    format!("sequence {q}")
}
/// Tables, views and materialized views share a namespace.
pub fn relation(q: &QualifiedName) -> String {
    format!("relation {q}")
}
pub fn constraint(table: &QualifiedName, name: &str) -> String {
    format!("constraint {}.{table}", ident(name))
}
pub fn default(table: &QualifiedName, column: &str) -> String {
    format!("default {table}.{}", ident(column))
}
pub fn index(q: &QualifiedName) -> String {
    format!("index {q}")
}
pub fn trigger(table: &QualifiedName, name: &str) -> String {
    format!("trigger {}.{table}", ident(name))
}
pub fn rule(table: &QualifiedName, name: &str) -> String {
    format!("rule {}.{table}", ident(name))
}
pub fn policy(table: &QualifiedName, name: &str) -> String {
    format!("policy {}.{table}", ident(name))
}
pub fn statistics(q: &QualifiedName) -> String {
    format!("statistics {q}")
}
pub fn operator(op: &super::Operator) -> String {
    format!("operator {}", op.signature())
}
pub fn text_search(ts: &super::TextSearch) -> String {
    format!("{} {}", ts.keyword().to_lowercase(), ts.name)
}
pub fn conversion(q: &QualifiedName) -> String {
    format!("conversion {q}")
}
pub fn operator_family(q: &QualifiedName, method: &str) -> String {
    format!("operator family {q} using {}", ident(method))
}
pub fn operator_class(q: &QualifiedName, method: &str) -> String {
    format!("operator class {q} using {}", ident(method))
}
pub fn server(name: &str) -> String {
    format!("server {}", ident(name))
}
/// `user` is a role or `PUBLIC` (unquoted).
pub fn user_mapping(server: &str, user: &str) -> String {
    let user = if user == "PUBLIC" { user.to_string() } else { ident(user) };
    format!("user mapping for {user} server {}", ident(server))
}
