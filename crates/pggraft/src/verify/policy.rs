//! What is checked after a clone: which level runs and what the comparison
//! leaves out. A clone is never faulted for what it was asked to leave
//! behind (`--no-owner`, `--no-acl`, `--no-comments`, the rows of
//! `--exclude-table-data` tables, the rows of a `--schema-only` copy).
//! Whether to verify at all, and printing the report, are the caller's.

use super::{Level, VerifyOptions};
use crate::clone::{CloneOptions, CloneReport};

impl VerifyOptions {
    /// The verification of the copy that `clone` made, as `report` says
    /// it made it.
    pub fn after_clone(clone: &CloneOptions, report: &CloneReport) -> VerifyOptions {
        let mut v = VerifyOptions::new(clone.source.clone(), clone.target.clone());
        v.naming = clone.naming.clone();
        // The schemas the clone made, by exact name: resolving the patterns
        // and the template again could pick up schemas created since.
        v.schema_map = Some(report.schemas.clone());
        // What the clone left out, and what depends on it, is left out of
        // the comparison the same way.
        v.tables = clone.tables.clone();
        // Tables left empty by request have no rows to compare.
        v.exclude_table_data = clone.exclude_table_data.clone();
        // A structure-only copy has no rows to count; otherwise checksums:
        // exact, computed on the servers, and far cheaper than listing rows.
        v.level = if clone.schema_only { Level::Schema } else { Level::Checksums };
        // The clone's parallelism (as the servers' limits allowed it), with
        // at least two sessions per side.
        v.jobs = if report.jobs > 0 { report.jobs } else { clone.jobs }.max(2);
        // Owners and grantees mapped to other roles differ from the source's by design.
        v.compare.owners = clone.owners && clone.owner_map.is_empty();
        v.compare.privileges =
            clone.privileges && clone.role_map.is_empty() && clone.owner_map.is_empty();
        v.compare.comments = clone.comments;
        // Extensions it was told not to create are not its to compare.
        v.compare.extensions = !clone.skip_extensions;
        // The source tables the clone hashed as their rows streamed are
        // not read again; nor their copies, when it read them back.
        v.source_sums = report.source_sums.clone();
        v.target_sums = report.target_sums.clone();
        v.unlogged = clone.unlogged;
        v
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::conn::ConnSpec;
    use crate::select::TablePattern;

    fn clone_options() -> CloneOptions {
        let spec = |db: &str| {
            ConnSpec::parse_with_env(&format!("postgres://u@h/{db}"), &|_| None, None).unwrap()
        };
        CloneOptions::new(spec("src"), spec("dst"))
    }

    fn report() -> CloneReport {
        let schemas = BTreeMap::from([("app".to_string(), "app_copy".to_string())]);
        CloneReport { schemas, ..CloneReport::default() }
    }

    #[test]
    fn a_full_clone_is_verified_by_checksums_of_the_schemas_it_made() {
        let v = VerifyOptions::after_clone(&clone_options(), &report());
        assert_eq!(v.level, Level::Checksums);
        assert_eq!(v.schema_map, Some(report().schemas));
        assert_eq!(v.jobs, 4);
        assert!(v.compare.owners && v.compare.privileges && v.compare.comments);
    }

    #[test]
    fn what_the_clone_left_out_is_not_compared() {
        let mut c = clone_options();
        c.schema_only = true;
        c.jobs = 1;
        c.owners = false;
        c.privileges = false;
        c.comments = false;
        c.tables.exclude = vec![TablePattern::parse("app.logs")];
        c.exclude_table_data = vec![TablePattern::parse("app.audit")];
        let v = VerifyOptions::after_clone(&c, &report());
        assert_eq!(v.level, Level::Schema);
        assert_eq!(v.jobs, 2);
        assert!(!v.compare.owners && !v.compare.privileges && !v.compare.comments);
        assert_eq!(v.tables.exclude, [TablePattern::parse("app.logs")]);
        assert_eq!(v.exclude_table_data, [TablePattern::parse("app.audit")]);
    }
}
