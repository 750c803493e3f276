//! One module per subcommand: its own clap arguments (the shared ones come
//! from [`crate::flags`]), turned into library options, then the library
//! call and the report. Policy (what to verify after a clone, how a
//! migration's text starts) is the library's.

pub mod cleanup;
pub mod clone;
pub mod config;
pub mod demo;
pub mod diff;
pub mod docs;
pub mod follow;
pub mod inspect;
pub mod map;
pub mod migrate;
pub mod refresh;
pub mod snapshot;
pub mod sync_schema;
pub mod verify;
