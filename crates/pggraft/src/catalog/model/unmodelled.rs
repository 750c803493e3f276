//! What the model leaves out on purpose (database-wide objects, tablespaces, security
//! labels, large objects), and how a report says so.

/// Something the model leaves out on purpose, with how many there are and some of the
/// objects concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmodelled {
    pub kind: UnmodelledKind,
    /// The event trigger, publication, subscription, tablespace or role; the label provider;
    /// empty for large objects.
    pub name: String,
    pub count: i64,
    /// Up to five of the objects concerned (relations in a tablespace, labelled objects, the
    /// object class of default privileges).
    pub objects: Vec<String>,
}

/// The kinds of [`Unmodelled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum UnmodelledKind {
    /// Database-wide; pg_dump dumps them only in a whole-database dump.
    EventTrigger,
    /// Publishing tables of the selected schemas (or all tables).
    Publication,
    Subscription,
    /// Security labels of one provider on objects of the selected schemas.
    SecurityLabels,
    /// Large objects belong to the database, not to a schema.
    LargeObjects,
    /// Relations of the selected schemas in a tablespace other than the database's default.
    Tablespace,
    /// The database's own default tablespace, when it is not `pg_default`.
    DatabaseTablespace,
    /// `ALTER DEFAULT PRIVILEGES` without `IN SCHEMA`: for the whole database.
    DatabaseDefaultPrivileges,
}

impl Unmodelled {
    /// What is left out and why, naming pg_dump's switch for the same behaviour where there
    /// is one (`copied` or `included`: the reader's verb).
    pub fn describe(&self, verb: &str) -> String {
        let some = |what: &str| {
            let mut s = self.objects.join(", ");
            if self.count > self.objects.len() as i64 {
                s.push_str(&format!(", … ({} {what} in all)", self.count));
            }
            s
        };
        let name = crate::sql::ident(&self.name);
        match self.kind {
            UnmodelledKind::EventTrigger => format!(
                "event trigger {name} not {verb}: event triggers are database-wide (pg_dump \
                 dumps them only with a whole database)"
            ),
            UnmodelledKind::Publication => format!(
                "publication {name} not {verb}: it publishes tables of these schemas \
                 (pggraft leaves publications out, as pg_dump --no-publications)"
            ),
            UnmodelledKind::Subscription => format!(
                "subscription {name} not {verb} (pggraft leaves subscriptions out, as pg_dump \
                 --no-subscriptions)"
            ),
            UnmodelledKind::SecurityLabels => format!(
                "security labels of provider {name} not {verb}, on {} (as pg_dump \
                 --no-security-labels)",
                some("objects")
            ),
            UnmodelledKind::LargeObjects => format!(
                "{} large objects not {verb}: they belong to the database, not to a schema \
                 (pg_dump dumps them with --large-objects)",
                self.count
            ),
            UnmodelledKind::Tablespace => format!(
                "tablespace {name} not {verb}: {} of these schemas are in it ({}); copies go to \
                 the target's default tablespace, as pg_dump --no-tablespaces restores them",
                self.count,
                some("relations")
            ),
            UnmodelledKind::DatabaseTablespace => format!(
                "the database's default tablespace {name} not {verb}: copies go to the target's \
                 default tablespace, as pg_dump --no-tablespaces restores them"
            ),
            UnmodelledKind::DatabaseDefaultPrivileges => format!(
                "database-wide default privileges of role {name} on {} not {verb} (ALTER DEFAULT \
                 PRIVILEGES without IN SCHEMA belongs to the whole database)",
                self.objects.join(", ")
            ),
        }
    }
}
