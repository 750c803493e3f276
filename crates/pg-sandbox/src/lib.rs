//! Throwaway PostgreSQL clusters for tests, benchmarks and `pggraft demo`.
//! (Being filled in.)

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Other(String),
}
