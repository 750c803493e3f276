//! Foreign-data objects: generic options (with their secrets), foreign servers, user
//! mappings and foreign tables.

use super::*;

/// Generic options (`OPTIONS (name 'value', …)`) of a foreign server, user mapping, foreign
/// table or column, in the catalog's order. The values of options named like a password
/// ([`is_secret_option`]) are secrets: JSON and `Debug` show [`SECRET_PLACEHOLDER`] instead, and
/// so does every statement pggraft prints; only the statements a clone runs carry them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FdwOptions(pub Vec<(String, String)>);

/// What a secret option's value is printed as.
pub const SECRET_PLACEHOLDER: &str = "********";

/// Whether an option's value is kept out of everything pggraft prints: `password`, and any
/// option named like one (`passwd`, `secret`, `ldap_password`, …).
pub fn is_secret_option(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["password", "passwd", "secret"].iter().any(|w| n.contains(w))
}

impl FdwOptions {
    /// From a catalog's `name=value` array (`srvoptions`, `ftoptions`, …).
    pub fn from_catalog(list: Option<Vec<String>>) -> FdwOptions {
        FdwOptions(
            list.unwrap_or_default()
                .into_iter()
                .map(|kv| match kv.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (kv, String::new()),
                })
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names of the options whose values are secrets.
    pub fn secret_names(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).filter(|k| is_secret_option(k)).collect()
    }

    /// The options as they may be printed: secrets replaced by [`SECRET_PLACEHOLDER`].
    pub fn shown(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| {
            (k.as_str(), if is_secret_option(k) { SECRET_PLACEHOLDER } else { v.as_str() })
        })
    }
}

impl std::fmt::Debug for FdwOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.shown()).finish()
    }
}

impl Serialize for FdwOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.shown())
    }
}

impl<'de> Deserialize<'de> for FdwOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Vec::<(String, String)>::deserialize(d).map(FdwOptions)
    }
}

/// A foreign server (database-wide) and its user mappings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignServer {
    pub name: String,
    /// The foreign-data wrapper (`postgres_fdw`).
    pub wrapper: String,
    /// Whether the wrapper belongs to an extension (created with it); otherwise the target must
    /// have a wrapper of that name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wrapper_from_extension: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "FdwOptions::is_empty")]
    pub options: FdwOptions,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_mappings: Vec<UserMapping>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// `CREATE USER MAPPING FOR user SERVER server OPTIONS (…)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMapping {
    /// A role, or `PUBLIC`.
    pub user: String,
    /// `None` when the reading role may not see them (`pg_user_mappings` shows them to the
    /// mapped user and the server's owner; `pg_user_mapping` only to superusers).
    #[serde(default)]
    pub options: Option<FdwOptions>,
}

/// What makes a table a foreign table: its server and options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForeignTable {
    pub server: String,
    #[serde(default, skip_serializing_if = "FdwOptions::is_empty")]
    pub options: FdwOptions,
}
