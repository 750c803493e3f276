//! One module per subcommand: clap arguments, turned into library options,
//! then the library call and the report.

pub mod clone;
pub mod demo;
pub mod diff;
pub mod inspect;
pub mod migrate;
pub mod sync_schema;
pub mod verify;
