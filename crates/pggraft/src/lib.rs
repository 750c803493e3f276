//! pggraft: clone, verify, diff and migrate PostgreSQL schemas and data.
//!
//! The data flows one way: [`conn`] connects, [`catalog`] introspects into a
//! model, [`rename`] transforms names, [`plan`] orders the work, [`engine`]
//! executes it and [`verify`] proves the result. [`clone`] and [`refresh`]
//! are the engine's producers. The library never prints to
//! a terminal; progress is reported through callbacks and results are values.

pub mod catalog;
pub mod cleanup;
pub mod clone;
pub mod conn;
pub mod ddl;
pub mod diff;
pub mod engine;
pub mod error;
pub mod follow;
pub mod graph;
pub mod map;
pub mod migrate;
pub mod plan;
pub mod refresh;
pub mod rename;
pub(crate) mod rowhash;
pub mod select;
pub mod sql;
pub mod verify;

pub use error::{Error, ErrorKind, Result};

/// The sample schema shipped with pggraft (every object kind the model
/// covers, awkward names), used by `pggraft demo` and the tests.
pub mod sample {
    /// The structure.
    pub const SCHEMA: &str = include_str!("../data/sample/schema.sql");
    /// Rows; `SET pggraft.scale = N` first to multiply them.
    pub const DATA: &str = include_str!("../data/sample/data.sql");
    /// The sample's schemas.
    pub const SCHEMAS: &[&str] = &["shop", "Odd Schema"];
}
