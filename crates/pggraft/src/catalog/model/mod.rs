//! The catalog model: every object kind pggraft understands, as plain data.
//!
//! Names are structured (`QualifiedName`); SQL fragments (expressions, view
//! bodies, index and constraint definitions) are kept as PostgreSQL itself
//! printed them with `search_path = ''`, so every reference inside them is
//! schema-qualified and can be rewritten by [`crate::rename`]. Objects carry
//! a stable key (see [`key`]) and the keys of the objects they depend on, so
//! the model can be ordered without a database and survives a JSON round trip.

use serde::{Deserialize, Serialize};

use crate::sql::QualifiedName;

mod aggregates;
mod foreign;
mod opclasses;
mod text_search;
mod unmodelled;

pub use aggregates::*;
pub use foreign::*;
pub use opclasses::*;
pub use text_search::*;
pub use unmodelled::*;

/// A whole introspected database (or the selected schemas of one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// `server_version_num` of the server it was read from.
    pub server_version: i32,
    pub database: String,
    pub schemas: Vec<Schema>,
    pub extensions: Vec<Extension>,
    pub collations: Vec<Collation>,
    pub types: Vec<TypeDef>,
    pub functions: Vec<Function>,
    pub sequences: Vec<Sequence>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub indexes: Vec<Index>,
    pub triggers: Vec<Trigger>,
    pub rules: Vec<Rule>,
    pub statistics: Vec<Statistics>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<Operator>,
    /// Operator families and classes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_families: Vec<OperatorFamily>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operator_classes: Vec<OperatorClass>,
    /// Text search dictionaries, configurations, parsers and templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text_search: Vec<TextSearch>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conversions: Vec<Conversion>,
    /// The foreign servers the model's foreign tables use, with their user mappings. They
    /// belong to the database, not to a schema: a copy creates those the target lacks and
    /// uses those it has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ForeignServer>,
    /// Object key → keys of the objects it depends on (from `pg_depend`,
    /// limited to objects inside the model or their extensions).
    #[serde(default)]
    pub depends: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
    /// What the database has and the model leaves out on purpose (database-wide objects,
    /// security labels, tablespaces), so that readers can say so. Not serialized: it is not
    /// structure of the selected schemas.
    #[serde(skip)]
    pub unmodelled: Vec<Unmodelled>,
}

/// A privilege granted on an object: one row of `aclexplode`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Grant {
    /// Role name, or `PUBLIC`.
    pub grantee: String,
    pub privilege: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub grantable: bool,
}

/// Ownership, privileges and comment: what every object may carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `None` when the object has default privileges (a NULL acl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<Grant>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An operator. Its name is a symbol, never quoted: see [`Operator::qualified`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operator {
    pub name: QualifiedName,
    /// Left and right argument types (`format_type`); `None` for a prefix
    /// operator's left side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    pub right: String,
    /// The implementing function, qualified unless in `pg_catalog`.
    pub function: String,
    /// `schema.symbol` of the commutator and negator operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commutator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrict: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hashes: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merges: bool,
    #[serde(flatten)]
    pub meta: Meta,
}

impl Operator {
    /// `schema.symbol`: the schema quoted, the symbol as it is.
    pub fn qualified(&self) -> String {
        format!("{}.{}", crate::sql::ident(&self.name.schema), self.name.name)
    }

    /// `schema.symbol(left, right)` as `ALTER`, `COMMENT` and `DROP` name it.
    pub fn signature(&self) -> String {
        format!("{}({}, {})", self.qualified(), self.left.as_deref().unwrap_or("NONE"), self.right)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub name: String,
    #[serde(flatten)]
    pub meta: Meta,
    /// `ALTER DEFAULT PRIVILEGES … IN SCHEMA` entries, by role and object
    /// kind (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_privileges: Vec<DefaultPrivileges>,
}

/// Privileges granted automatically on objects `role` creates in a schema
/// (one `pg_default_acl` row). Within a schema they only add to the
/// built-in defaults, so they are a plain list of grants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefaultPrivileges {
    pub role: String,
    /// `r` tables, `S` sequences, `f` functions, `T` types.
    pub objects: String,
    pub grants: Vec<Grant>,
}

impl DefaultPrivileges {
    /// The object class as `ALTER DEFAULT PRIVILEGES` spells it.
    pub fn objects_keyword(&self) -> &'static str {
        match self.objects.as_str() {
            "S" => "SEQUENCES",
            "f" => "FUNCTIONS",
            "T" => "TYPES",
            "n" => "SCHEMAS",
            _ => "TABLES",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    pub schema: String,
    pub version: String,
    #[serde(flatten)]
    pub meta: Meta,
    /// Names of the extension's objects in its own schema (types,
    /// functions, operators, operator classes, relations …), read only when
    /// that schema is one of those read: a copy that moves the schema to
    /// another name must rewrite references to them (`app.citext`). Not
    /// serialized: they are the extension's, not structure of the model.
    #[serde(skip)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collation {
    pub name: QualifiedName,
    /// `c` (libc), `i` (icu) or `d` (default).
    pub provider: String,
    pub deterministic: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_collate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lc_ctype: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icu_locale: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeDef {
    pub name: QualifiedName,
    pub kind: TypeKind,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TypeKind {
    Enum {
        labels: Vec<String>,
    },
    Domain {
        /// `format_type` of the base type.
        base: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<QualifiedName>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<String>,
        not_null: bool,
        /// The name of its NOT NULL constraint (PostgreSQL 17+ names them) when it is not
        /// `<domain>_not_null`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        not_null_name: Option<String>,
        constraints: Vec<DomainConstraint>,
    },
    Composite {
        attributes: Vec<CompositeAttribute>,
    },
    Range {
        subtype: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subtype_opclass: Option<QualifiedName>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<QualifiedName>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        canonical: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subtype_diff: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        multirange: Option<QualifiedName>,
    },
    /// A base type, over its (C) input and output functions.
    Base(Box<BaseType>),
    /// A shell type: a name only (`CREATE TYPE name`), as left before its definition.
    Shell,
}

/// What `CREATE TYPE name (INPUT = …, OUTPUT = …, …)` says. Functions are `regproc`,
/// qualified unless in `pg_catalog`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseType {
    pub input: String,
    pub output: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receive: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typmod_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typmod_out: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyze: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscript: Option<String>,
    /// `typlen`: bytes, or -1 for variable length.
    pub length: i16,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub by_value: bool,
    /// `typalign`: `c`, `s`, `i` or `d`.
    pub alignment: String,
    /// `typstorage`: `p`, `e`, `m` or `x`.
    pub storage: String,
    /// `typcategory` (`U` for user types).
    pub category: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub preferred: bool,
    pub delimiter: String,
    /// The element type of a fixed-length array type (`ELEMENT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub collatable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainConstraint {
    pub name: String,
    /// `pg_get_constraintdef`, e.g. `CHECK (VALUE > 0)`.
    pub definition: String,
    pub validated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompositeAttribute {
    pub name: String,
    pub type_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<QualifiedName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub name: QualifiedName,
    /// `pg_get_function_identity_arguments`: the signature that names it.
    pub identity_args: String,
    /// `pg_get_function_arguments`: with modes, names and defaults.
    pub arguments: String,
    /// `f` function, `p` procedure, `w` window function, `a` aggregate.
    pub kind: String,
    /// `pg_get_function_result`; `None` for procedures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    pub language: String,
    /// `i`, `s` or `v`.
    pub volatility: String,
    pub strict: bool,
    pub security_definer: bool,
    pub leakproof: bool,
    /// `s`, `r` or `u`.
    pub parallel: String,
    pub cost: f32,
    pub rows: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<String>,
    /// `SET` clauses as `(name, value)` from `proconfig`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config: Vec<(String, String)>,
    /// The source text (`prosrc`) for non-SQL-standard bodies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// For C functions: the object file (`probin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_file: Option<String>,
    /// A SQL-standard body (`BEGIN ATOMIC … END` / `RETURN …`), already
    /// parsed by the server, so its references are bound like a view's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql_body: Option<String>,
    /// For aggregates: what `pg_aggregate` says (rendered by
    /// [`crate::ddl::render`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<Aggregate>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl Function {
    /// `FUNCTION`, `PROCEDURE` or `AGGREGATE`, as DDL names its kind.
    pub fn keyword(&self) -> &'static str {
        match self.kind.as_str() {
            "p" => "PROCEDURE",
            "a" => "AGGREGATE",
            _ => "FUNCTION",
        }
    }

    /// `name(identity arguments)` as `ALTER`, `COMMENT` and `DROP` name it:
    /// an aggregate without arguments is `name(*)`.
    pub fn signature(&self) -> String {
        let args = if self.kind == "a" && self.identity_args.is_empty() {
            "*"
        } else {
            &self.identity_args
        };
        format!("{}({args})", self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sequence {
    pub name: QualifiedName,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    pub unlogged: bool,
    /// `OWNED BY` table column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<(QualifiedName, String)>,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: QualifiedName,
    pub unlogged: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Its access method when not heap; a partitioned table's whenever it has one (17+: the
    /// default of the partitions made later, `heap` too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_method: Option<String>,
    pub columns: Vec<Column>,
    /// `pg_get_partkeydef`, for partitioned tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<String>,
    /// Parent and bound (`FOR VALUES …` / `DEFAULT`) for partitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<PartitionOf>,
    /// Parents by `INHERITS` (not partitioning), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<QualifiedName>,
    /// The composite type of a typed table (`CREATE TABLE … OF type`): its columns are the
    /// type's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_type: Option<QualifiedName>,
    /// A foreign table's server and options: it holds no rows of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign: Option<ForeignTable>,
    pub constraints: Vec<Constraint>,
    /// `d` default, `n` nothing, `f` full, `i` index.
    pub replica_identity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_identity_index: Option<String>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    /// Size of the main fork in bytes as of the last VACUUM/ANALYZE
    /// (`relpages`; `clone` asks for exact sizes of what it copies). Not
    /// serialized: it is not structure.
    #[serde(skip)]
    pub size_bytes: i64,
    /// Estimated rows (not serialized).
    #[serde(skip)]
    pub est_rows: f64,
    #[serde(flatten)]
    pub meta: Meta,
}

impl Table {
    /// Whether rows live in the table itself: not in its partitions (a partitioned table)
    /// nor behind a foreign server (a foreign table). Only these are copied and counted.
    pub fn holds_rows(&self) -> bool {
        self.partition_key.is_none() && self.foreign.is_none()
    }

    /// `TABLE` or `FOREIGN TABLE`, as `COMMENT ON` and `DROP` name it.
    pub fn keyword(&self) -> &'static str {
        if self.foreign.is_some() { "FOREIGN TABLE" } else { "TABLE" }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionOf {
    pub parent: QualifiedName,
    pub bound: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type(atttypid, atttypmod)`.
    pub type_name: String,
    pub not_null: bool,
    /// The name of its NOT NULL constraint (PostgreSQL 18+ names them) when it is not the one
    /// the server gives by itself: `<table>_<column>_not_null` for a table's own, the parent's
    /// for one an inheritance child inherits. A partition made with `PARTITION OF` carries its
    /// parent's name here; one attached after it was made, its own (`None`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_null_name: Option<String>,
    /// Its NOT NULL constraint is `NOT VALID` (PostgreSQL 18+): rows older than it may hold
    /// NULLs, so it is added after the data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null_invalid: bool,
    /// Its NOT NULL constraint is `NO INHERIT` (PostgreSQL 18+): inheritance children do not
    /// get it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null_no_inherit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `a` (ALWAYS) or `d` (BY DEFAULT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Generated column expression (stored, unless `generated_virtual`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    /// A virtual generated column (PostgreSQL 18+): computed when read, not stored.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generated_virtual: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<QualifiedName>,
    /// Storage when it differs from the type's default (`p`, `e`, `m`, `x`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<i32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// A foreign table's column options (`attfdwoptions`).
    #[serde(default, skip_serializing_if = "FdwOptions::is_empty")]
    pub fdw_options: FdwOptions,
    /// Defined in this table (not only inherited from a parent).
    pub is_local: bool,
    /// Its binary COPY form names type OIDs (arrays or composites of
    /// non-built-in types) or its type has no binary I/O, so it cannot move
    /// between databases in binary (data movement, not structure).
    #[serde(skip)]
    pub binary_unsafe: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<Grant>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub always: bool,
    pub sequence: QualifiedName,
    pub start: i64,
    pub increment: i64,
    pub min_value: i64,
    pub max_value: i64,
    pub cache: i64,
    pub cycle: bool,
    /// The identity sequence's own privileges (`GRANT USAGE ON SEQUENCE …`); its owner is
    /// always the table's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<Grant>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    pub name: String,
    /// `p`, `u`, `c`, `f`, `x`, `t` (constraint trigger: handled as trigger).
    pub kind: String,
    /// `pg_get_constraintdef`.
    pub definition: String,
    pub validated: bool,
    /// Defined here, not only inherited.
    pub is_local: bool,
    /// Inherited from a partitioned parent's constraint (`conparentid`).
    pub has_parent: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// For FKs: the referenced table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<QualifiedName>,
    /// The backing index's name (PK/UNIQUE/EXCLUDE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    /// `pg_get_indexdef` of the backing index (PK/UNIQUE/EXCLUDE), so a copy
    /// can build the index first and then attach the constraint to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_definition: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferrable: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deferred: bool,
    /// For backing indexes of partitions: the parent's index it is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_parent: Option<QualifiedName>,
    /// The table is clustered on the backing index (`CLUSTER t USING t_pkey`,
    /// `ALTER TABLE … CLUSTER ON`): the index is the constraint's, so the
    /// flag is kept here rather than on an [`Index`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clustered: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub permissive: bool,
    /// `r`, `a`, `w`, `d` or `*`.
    pub command: String,
    /// Role names; `PUBLIC` for public.
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub using: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub with_check: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub name: QualifiedName,
    pub materialized: bool,
    /// `pg_get_viewdef`: the query.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Column names, for comments, grants and defaults.
    pub columns: Vec<ViewColumn>,
    /// Whether a materialized view holds data (state, not structure).
    #[serde(skip)]
    pub populated: bool,
    #[serde(flatten)]
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewColumn {
    pub name: String,
    /// `format_type`: `CREATE OR REPLACE VIEW` must keep it.
    #[serde(default)]
    pub type_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<Grant>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Index {
    pub name: QualifiedName,
    pub table: QualifiedName,
    /// `pg_get_indexdef`: the whole `CREATE INDEX` statement.
    pub definition: String,
    pub unique: bool,
    /// `CLUSTER ON` this index.
    pub clustered: bool,
    /// The partitioned index this one is attached to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<QualifiedName>,
    /// Whether the table is a materialized view.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub on_matview: bool,
    /// Per-column statistics targets (`ALTER INDEX … ALTER COLUMN n SET
    /// STATISTICS t`, expression columns only): (column number, target).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statistics: Vec<(i16, i32)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    pub table: QualifiedName,
    /// `pg_get_triggerdef`: the whole `CREATE TRIGGER` statement.
    pub definition: String,
    /// `O` origin (enabled), `D` disabled, `R` replica, `A` always.
    pub enabled: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub table: QualifiedName,
    /// `pg_get_ruledef`: the whole `CREATE RULE` statement.
    pub definition: String,
    pub enabled: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    pub name: QualifiedName,
    pub table: QualifiedName,
    /// `pg_get_statisticsobjdef`: the whole `CREATE STATISTICS` statement.
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<i32>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// Stable keys naming objects across databases (used for dependencies,
/// ordering and diffs). Names are rendered quoted, so keys are unambiguous.
pub mod key;

impl Catalog {
    pub fn table(&self, name: &QualifiedName) -> Option<&Table> {
        self.tables.iter().find(|t| &t.name == name)
    }

    /// Sorts every list by name so the model (and its JSON) is stable.
    pub fn sort(&mut self) {
        self.schemas.sort_by(|a, b| a.name.cmp(&b.name));
        for s in &mut self.schemas {
            s.default_privileges.sort_by(|a, b| (&a.role, &a.objects).cmp(&(&b.role, &b.objects)));
        }
        self.extensions.sort_by(|a, b| a.name.cmp(&b.name));
        self.collations.sort_by(|a, b| a.name.cmp(&b.name));
        self.types.sort_by(|a, b| a.name.cmp(&b.name));
        self.functions
            .sort_by(|a, b| (&a.name, &a.identity_args).cmp(&(&b.name, &b.identity_args)));
        self.sequences.sort_by(|a, b| a.name.cmp(&b.name));
        self.tables.sort_by(|a, b| a.name.cmp(&b.name));
        for t in &mut self.tables {
            t.constraints.sort_by(|a, b| a.name.cmp(&b.name));
            t.policies.sort_by(|a, b| a.name.cmp(&b.name));
        }
        self.views.sort_by(|a, b| a.name.cmp(&b.name));
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.triggers.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
        self.rules.sort_by(|a, b| (&a.table, &a.name).cmp(&(&b.table, &b.name)));
        self.statistics.sort_by(|a, b| a.name.cmp(&b.name));
        self.text_search.sort_by(|a, b| (a.keyword(), &a.name).cmp(&(b.keyword(), &b.name)));
        self.operators
            .sort_by(|a, b| (&a.name, &a.left, &a.right).cmp(&(&b.name, &b.left, &b.right)));
        self.conversions.sort_by(|a, b| a.name.cmp(&b.name));
        self.operator_families.sort_by(|a, b| (&a.name, &a.method).cmp(&(&b.name, &b.method)));
        self.operator_classes.sort_by(|a, b| (&a.name, &a.method).cmp(&(&b.name, &b.method)));
        self.servers.sort_by(|a, b| a.name.cmp(&b.name));
        for s in &mut self.servers {
            s.user_mappings.sort_by(|a, b| a.user.cmp(&b.user));
        }
    }

    /// The key of every object, in model order (a renamed copy of the model
    /// lists its objects in the same order, so keys can be paired up).
    pub fn object_keys(&self) -> Vec<String> {
        let mut k = vec![];
        k.extend(self.schemas.iter().map(|s| key::schema(&s.name)));
        k.extend(self.extensions.iter().map(|e| key::extension(&e.name)));
        k.extend(self.collations.iter().map(|c| key::collation(&c.name)));
        k.extend(self.types.iter().map(|t| key::type_(&t.name)));
        k.extend(
            self.types
                .iter()
                .filter(|t| matches!(t.kind, TypeKind::Base(_)))
                .map(|t| key::shell_type(&t.name)),
        );
        k.extend(self.functions.iter().map(|f| key::function(&f.name, &f.identity_args)));
        k.extend(self.sequences.iter().map(|s| key::sequence(&s.name)));
        for t in &self.tables {
            k.push(key::relation(&t.name));
            k.extend(t.columns.iter().map(|c| key::default(&t.name, &c.name)));
            k.extend(t.constraints.iter().map(|c| key::constraint(&t.name, &c.name)));
            k.extend(t.policies.iter().map(|p| key::policy(&t.name, &p.name)));
        }
        for v in &self.views {
            k.push(key::relation(&v.name));
            k.extend(v.columns.iter().map(|c| key::default(&v.name, &c.name)));
        }
        k.extend(self.indexes.iter().map(|i| key::index(&i.name)));
        k.extend(self.triggers.iter().map(|t| key::trigger(&t.table, &t.name)));
        k.extend(self.rules.iter().map(|r| key::rule(&r.table, &r.name)));
        k.extend(self.statistics.iter().map(|s| key::statistics(&s.name)));
        k.extend(self.text_search.iter().map(key::text_search));
        k.extend(self.operators.iter().map(key::operator));
        k.extend(self.conversions.iter().map(|c| key::conversion(&c.name)));
        k.extend(self.operator_families.iter().map(|f| key::operator_family(&f.name, &f.method)));
        k.extend(self.operator_classes.iter().map(|c| key::operator_class(&c.name, &c.method)));
        for s in &self.servers {
            k.push(key::server(&s.name));
            k.extend(s.user_mappings.iter().map(|m| key::user_mapping(&s.name, &m.user)));
        }
        k
    }

    /// The owner, privileges and comment of every object that has them.
    pub fn metas(&self) -> impl Iterator<Item = &Meta> {
        let s = self.schemas.iter().map(|x| &x.meta);
        let c = self.collations.iter().map(|x| &x.meta);
        let t = self.types.iter().map(|x| &x.meta);
        let f = self.functions.iter().map(|x| &x.meta);
        let q = self.sequences.iter().map(|x| &x.meta);
        let r = self.tables.iter().map(|x| &x.meta);
        let v = self.views.iter().map(|x| &x.meta);
        let st = self.statistics.iter().map(|x| &x.meta);
        let ts = self.text_search.iter().map(|x| &x.meta);
        let op = self.operators.iter().map(|x| &x.meta);
        let sv = self.servers.iter().map(|x| &x.meta);
        let of = self.operator_families.iter().map(|x| &x.meta);
        let oc = self.operator_classes.iter().map(|x| &x.meta);
        let cv = self.conversions.iter().map(|x| &x.meta);
        s.chain(c)
            .chain(t)
            .chain(f)
            .chain(q)
            .chain(r)
            .chain(v)
            .chain(st)
            .chain(ts)
            .chain(op)
            .chain(sv)
            .chain(of)
            .chain(oc)
            .chain(cv)
    }

    /// [`Catalog::metas`], to change (`clone --owner-map` and `--role-map`).
    pub fn metas_mut(&mut self) -> impl Iterator<Item = &mut Meta> {
        let s = self.schemas.iter_mut().map(|x| &mut x.meta);
        let c = self.collations.iter_mut().map(|x| &mut x.meta);
        let t = self.types.iter_mut().map(|x| &mut x.meta);
        let f = self.functions.iter_mut().map(|x| &mut x.meta);
        let q = self.sequences.iter_mut().map(|x| &mut x.meta);
        let r = self.tables.iter_mut().map(|x| &mut x.meta);
        let v = self.views.iter_mut().map(|x| &mut x.meta);
        let st = self.statistics.iter_mut().map(|x| &mut x.meta);
        let ts = self.text_search.iter_mut().map(|x| &mut x.meta);
        let op = self.operators.iter_mut().map(|x| &mut x.meta);
        let sv = self.servers.iter_mut().map(|x| &mut x.meta);
        let of = self.operator_families.iter_mut().map(|x| &mut x.meta);
        let oc = self.operator_classes.iter_mut().map(|x| &mut x.meta);
        let cv = self.conversions.iter_mut().map(|x| &mut x.meta);
        s.chain(c)
            .chain(t)
            .chain(f)
            .chain(q)
            .chain(r)
            .chain(v)
            .chain(st)
            .chain(ts)
            .chain(op)
            .chain(sv)
            .chain(of)
            .chain(oc)
            .chain(cv)
    }

    /// The extensions that go with the model's schemas: those living in one of them, those
    /// the model's objects use, and those these require (a clone into another database
    /// creates exactly these; verify compares exactly these).
    pub fn schema_extensions(&self) -> std::collections::BTreeSet<String> {
        let schemas: std::collections::BTreeSet<&str> =
            self.schemas.iter().map(|s| s.name.as_str()).collect();
        let used: std::collections::BTreeSet<&String> = self.depends.values().flatten().collect();
        let mut wanted: std::collections::BTreeSet<String> = self
            .extensions
            .iter()
            .filter(|e| {
                schemas.contains(e.schema.as_str()) || used.contains(&key::extension(&e.name))
            })
            .map(|e| e.name.clone())
            .collect();
        // `requires` in the control file shows as a dependency of one extension on another.
        loop {
            let before = wanted.len();
            for e in &self.extensions {
                let k = key::extension(&e.name);
                let required = wanted.iter().any(|w| {
                    self.depends.get(&key::extension(w)).is_some_and(|deps| deps.contains(&k))
                });
                if required {
                    wanted.insert(e.name.clone());
                }
            }
            if wanted.len() == before {
                return wanted;
            }
        }
    }

    /// Every role the model names: owners, grantees (column grants and
    /// default privileges included) and policy roles, without `PUBLIC`.
    pub fn roles(&self) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for m in self.metas() {
            out.extend(m.owner.iter().cloned());
            out.extend(m.acl.iter().flatten().map(|g| g.grantee.clone()));
        }
        for dp in self.schemas.iter().flat_map(|s| &s.default_privileges) {
            out.insert(dp.role.clone());
            out.extend(dp.grants.iter().map(|g| g.grantee.clone()));
        }
        for t in &self.tables {
            for p in &t.policies {
                out.extend(p.roles.iter().cloned());
            }
            for c in &t.columns {
                out.extend(c.acl.iter().flatten().map(|g| g.grantee.clone()));
            }
        }
        for v in &self.views {
            for c in &v.columns {
                out.extend(c.acl.iter().flatten().map(|g| g.grantee.clone()));
            }
        }
        for s in &self.servers {
            out.extend(s.user_mappings.iter().map(|m| m.user.clone()));
        }
        out.remove("PUBLIC");
        out
    }

    /// The model without what is state rather than structure (sizes, row
    /// estimates, whether a materialized view is populated, data-movement
    /// hints): exactly what a JSON snapshot keeps, sorted.
    pub fn structure_only(&self) -> Catalog {
        let mut c = self.clone();
        c.sort();
        for t in &mut c.tables {
            t.size_bytes = 0;
            t.est_rows = 0.0;
            for col in &mut t.columns {
                col.binary_unsafe = false;
            }
        }
        for v in &mut c.views {
            v.populated = false;
        }
        for e in &mut c.extensions {
            e.members.clear();
        }
        c
    }

    /// The JSON snapshot: stable (sorted) and diffable.
    pub fn to_json(&self) -> String {
        let mut sorted = self.clone();
        sorted.sort();
        let mut s = serde_json::to_string_pretty(&sorted).expect("catalog serializes");
        s.push('\n');
        s
    }

    pub fn from_json(text: &str) -> crate::Result<Catalog> {
        serde_json::from_str(text)
            .map_err(|e| crate::Error::input(format!("not a pggraft JSON snapshot: {e}")))
    }
}
