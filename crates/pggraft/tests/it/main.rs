//! Integration tests against real PostgreSQL clusters started by
//! `pg-sandbox`: one cluster per test binary, a fresh database per test.

mod apps;
mod base_types;
mod clone;
mod common;
mod conversions;
mod diff;
mod fidelity;
mod follow;
mod foreign;
mod inspect;
mod map;
mod migrate;
mod opclasses;
mod progress;
mod refresh;
mod resume;
mod roles;
mod sections;
mod self_check;
mod server_levers;
mod stream_verify;
mod verify;
mod workers;
