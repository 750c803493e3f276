//! The catalog model ([`model`]) and reading it from a live database
//! ([`introspect`]); making two models comparable by meaning: one server
//! re-spelling the other's definitions ([`respell`]), privileges and
//! extension versions across server versions ([`versions`]). Rendering it as SQL lives in [`crate::ddl`];
//! comparing two of them in `diff`.

pub mod introspect;
pub mod model;
mod read;
pub mod respell;
pub mod versions;

pub use introspect::{
    CATALOG_HELPERS, Scope, introspect, introspect_scoped, introspect_with, snapshot_helpers,
};
pub use model::*;
pub use read::read_catalog;
