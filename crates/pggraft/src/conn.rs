//! Connections: parsing libpq-style connection strings (URLs and keyword
//! strings), resolving `PG*` environment variables, `~/.pgpass` and
//! `sslmode` the way libpq does, and connecting with tokio-postgres.
//! (Being filled in.)
