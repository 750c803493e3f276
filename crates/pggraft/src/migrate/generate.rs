//! `migrate new` and `diff`: the two sides of a diff read the way `diff`
//! reads them (connections, JSON snapshots, DDL run in a throwaway cluster)
//! and put in the same names ([`read_sides`]), and the up and down
//! migrations between them, ready for [`super::write_new`] ([`generate`]).

use std::collections::BTreeMap;

use crate::catalog::Catalog;
use crate::catalog::respell::{differing, respell_both};
use crate::catalog::versions::{express_for, keep_extension_versions, major};
use crate::conn::prepare_session;
use crate::diff::source::{Input, align};
use crate::diff::{DiffOptions, Migration, diff};
use crate::error::{Error, ErrorKind, Result};
use crate::rename::SchemaArg;
use crate::select::Pattern;
use crate::select::SchemaFilter;

use super::files::Header;

/// Both directions, and the header that describes them.
#[derive(Debug, Clone)]
pub struct Generated {
    /// FROM → TO.
    pub up: Migration,
    /// TO → FROM.
    pub down: Migration,
    pub header: Header,
}

/// The catalogs of FROM and TO, TO's schemas renamed into FROM's names
/// (`-n dev=prod`: TO's `prod` is read as `dev`), so the diff between them
/// applies to FROM. Read from servers of different major versions, they are
/// made comparable first (see [`crate::catalog::versions`]).
#[derive(Debug, Clone)]
pub struct Sides {
    pub from: Catalog,
    pub to: Catalog,
    /// What making them comparable could not carry over (privileges one
    /// version cannot express), added to every migration's warnings.
    pub warnings: Vec<String>,
}

impl Sides {
    /// TO and FROM swapped: the migration back.
    pub fn reversed(self) -> Sides {
        Sides { from: self.to, to: self.from, warnings: self.warnings }
    }

    /// The statements that turn FROM into TO.
    pub fn diff(&self, opts: &DiffOptions) -> Result<Migration> {
        let mut m = diff(&self.from, &self.to, opts)?;
        m.warnings.extend(self.warnings.iter().cloned());
        Ok(m)
    }
}

/// Why [`read_sides`] failed: reading one of the sides (which one is in
/// the message), or renaming TO's schemas.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadSidesError {
    #[error("reading FROM")]
    From(#[source] Error),
    #[error("reading TO")]
    To(#[source] Error),
    #[error(transparent)]
    Align(Error),
}

impl ReadSidesError {
    pub fn kind(&self) -> ErrorKind {
        self.error().kind()
    }

    /// The underlying error, without the side.
    pub fn error(&self) -> &Error {
        match self {
            ReadSidesError::From(e) | ReadSidesError::To(e) | ReadSidesError::Align(e) => e,
        }
    }
}

impl From<ReadSidesError> for Error {
    fn from(e: ReadSidesError) -> Error {
        match e {
            ReadSidesError::From(e) | ReadSidesError::To(e) | ReadSidesError::Align(e) => e,
        }
    }
}

/// Reads FROM and TO. `schemas` are `-n FROM[=TO]` pairs (empty: every
/// user schema on both sides).
pub async fn read_sides(
    from: &Input,
    to: &Input,
    schemas: &[SchemaArg],
) -> Result<Sides, ReadSidesError> {
    let from_filter = SchemaFilter {
        include: schemas.iter().map(|p| p.source.clone()).collect(),
        exclude: vec![],
    };
    let to_filter = SchemaFilter {
        include: schemas
            .iter()
            .map(|p| p.target.clone().map(Pattern::new).unwrap_or_else(|| p.source.clone()))
            .collect(),
        exclude: vec![],
    };
    let mapping: BTreeMap<String, String> = schemas
        .iter()
        .filter_map(|p| p.target.clone().map(|t| (p.source.as_str().to_string(), t)))
        .collect();
    // Both sides at once: each mostly waits on its server.
    let (from_cat, to_cat) = tokio::try_join!(
        async { from.load(&from_filter).await.map_err(ReadSidesError::From) },
        async { to.load(&to_filter).await.map_err(ReadSidesError::To) },
    )?;
    let mut from_cat = from_cat;
    let mut to_cat = if mapping.is_empty() {
        to_cat
    } else {
        align(&to_cat, &mapping).map_err(ReadSidesError::Align)?
    };
    let warnings = align_versions(from, to, &mut from_cat, &mut to_cat).await;
    Ok(Sides { from: from_cat, to: to_cat, warnings })
}

/// Makes the sides comparable by meaning: between major versions, TO's privileges restated
/// for FROM's version and its extension versions taken as FROM's; and the definitions that
/// differ in text re-spelled, on both sides, by one server (FROM's if it is a live
/// database, else TO's; snapshots and DDL have none to ask). Returns the warnings.
async fn align_versions(
    from: &Input,
    to: &Input,
    from_cat: &mut Catalog,
    to_cat: &mut Catalog,
) -> Vec<String> {
    let mut warnings = vec![];
    if major(from_cat.server_version) != major(to_cat.server_version) {
        warnings = keep_extension_versions(to_cat, from_cat);
        warnings.extend(express_for(to_cat, from_cat.server_version));
    }
    let ((Input::Database(spec), _) | (_, Input::Database(spec))) = (from, to) else {
        return warnings;
    };
    let n = differing(from_cat, to_cat).len();
    if n == 0 {
        return warnings;
    }
    let respelled = async {
        let c = spec.connect().await?;
        prepare_session(&c).await?;
        respell_both(&c, from_cat, to_cat).await
    };
    if let Err(e) = respelled.await {
        warnings.push(format!(
            "{n} definitions differing in text could not be compared on one server ({e}); \
             they may show as changed"
        ));
    }
    warnings
}

/// How a side is named in a header: a connection without its password, or
/// the path it was read from.
pub fn describe_input(input: &Input) -> String {
    match input {
        Input::Database(spec) => spec.redacted(),
        Input::Snapshot(p) | Input::Sql(p) => p.display().to_string(),
    }
}

/// Diffs FROM against TO both ways. `schemas` are `-n FROM[=TO]` pairs, as
/// for `diff` (empty: every user schema).
pub async fn generate(
    from: &Input,
    to: &Input,
    schemas: &[SchemaArg],
    opts: &DiffOptions,
) -> Result<Generated> {
    let sides = read_sides(from, to, schemas).await?;
    let up = sides.diff(opts)?;
    let down = sides.reversed().diff(&opts.reversed())?;
    let header = Header {
        source: describe_input(from),
        target: describe_input(to),
        schemas: schemas
            .iter()
            .map(|a| match &a.target {
                Some(t) => format!("{}={t}", a.source.as_str()),
                None => a.source.as_str().to_string(),
            })
            .collect(),
        online: opts.online,
        hints: hint_flags(opts),
        down_hints: hint_flags(&opts.reversed()),
    };
    Ok(Generated { up, down, header })
}

/// The `--using` hints of one direction, as they would be typed.
fn hint_flags(opts: &DiffOptions) -> Vec<String> {
    let mut out: Vec<String> = opts.using.iter().map(|u| u.to_flag()).collect();
    // Renames are written FROM to TO in both files.
    out.extend(opts.renames.iter().map(|r| r.to_flag()));
    out
}
