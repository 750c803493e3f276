//! Rendering the catalog model as SQL statements ([`render`]) and as one
//! script ([`script`]). Quoting lives below, in [`crate::sql::quote`].

pub mod render;
mod script;

pub use script::to_sql;
