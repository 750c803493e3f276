//! Rendering the catalog model as SQL. Identifier quoting lives in [`quote`].

pub mod quote;
pub mod render;

pub use quote::{Ident, Literal, QualifiedName, ident, literal};
