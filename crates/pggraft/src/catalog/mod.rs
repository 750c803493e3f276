//! The catalog model ([`model`]) and reading it from a live database
//! ([`introspect`]). Rendering it as SQL lives in [`crate::ddl`]; comparing
//! two of them in `diff`.

pub mod introspect;
pub mod model;

pub use introspect::{
    CATALOG_HELPERS, SchemaFilter, introspect, introspect_with, prepare_session, snapshot_helpers,
};
pub use model::*;
