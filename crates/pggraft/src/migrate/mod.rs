//! `migrate`: versioned migration files and the history of which ones a
//! database has applied.
//!
//! A migration is a pair of files in one folder, `<version>_<name>.up.sql`
//! and `.down.sql` ([`files`]: loading, validating and writing them). The
//! target records what it applied in `pggraft.migrations` ([`history`]),
//! and one runner at a time holds an advisory lock while it works. [`run`]
//! decides what to apply (`up`, `down`, `baseline`, `status`) and runs each
//! migration in one transaction, or statement by statement when it holds
//! statements that cannot run in a transaction block ([`script`] writes a
//! migration's text and splits files back into statements). [`generate`]
//! reads the two sides of a diff (for `pggraft diff` too) and writes new
//! migrations from it, and [`sync`] brings a renamed copy's structure up to
//! date with its source.
//!
//! It leaves computing the statements to [`crate::diff`], renaming to
//! [`crate::rename`] and reading catalogs to [`crate::catalog`].

pub mod files;
pub mod generate;
pub mod history;
pub mod run;
pub mod script;
pub mod sync;

pub use files::{Dir, Header, MigrationFile, NewFiles, new_version, sanitize_name, write_new};
pub use generate::{Generated, ReadSidesError, Sides, describe_input, generate, read_sides};
pub use history::{History, HistoryRow, Kind};
pub use run::{
    Action, Applied, DownTarget, Report, Request, Schedule, State, Status, StatusRow, Step, apply,
    apply_with, baseline, schedule_down, schedule_up, status,
};
pub use script::{ONLINE_LOCK_TIMEOUT, Statement, render_script, split_statements};
pub use sync::{SyncOptions, SyncScript, apply_sync, prepare_sync, write_sync};

/// SHA-256 of `bytes`, as lower-case hex (what the history's `checksum`
/// column holds).
pub fn checksum(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn checksum_is_sha256_hex() {
        assert_eq!(
            super::checksum(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
