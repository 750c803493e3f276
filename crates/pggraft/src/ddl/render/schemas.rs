//! Schemas (with their owners, privileges, comments and default
//! privileges) and extensions. What a schema holds is rendered by the
//! other kinds' files.

use super::privileges::default_privileges_sql;
use super::{AclClass, DEFAULT_PRIVILEGES, Out, phase};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::{ident, literal};

pub(super) fn render_schema(o: &mut Out<'_>, s: &Schema) {
    use Section::*;
    let k = key::schema(&s.name);
    if o.opts.schemas {
        let ine = if s.name == "public" { "IF NOT EXISTS " } else { "" };
        o.create(
            PreData,
            phase::SCHEMA,
            k.clone(),
            vec![],
            "schema",
            format!("CREATE SCHEMA {ine}{}", ident(&s.name)),
        );
    }
    o.owner(PreData, phase::SCHEMA, &k, format!("SCHEMA {}", ident(&s.name)), &s.meta.owner);
    o.privileges(
        (PreData, phase::SCHEMA),
        &k,
        AclClass::Schema,
        &ident(&s.name),
        s.meta.owner.as_deref(),
        &s.meta.acl,
    );
    o.comment(
        PreData,
        phase::SCHEMA,
        &k,
        format_args!("SCHEMA {}", ident(&s.name)),
        &s.meta.comment,
    );
    // Last of all, as pg_dump does: applied earlier, they would add
    // grants to the objects created after them.
    if o.opts.privileges {
        for dp in &s.default_privileges {
            for sql in default_privileges_sql(&s.name, dp, &[], &dp.grants) {
                o.about(PostData, phase::DEFAULT_PRIVILEGES, &k, vec![], DEFAULT_PRIVILEGES, sql);
            }
        }
    }
}

pub(super) fn render_extension(o: &mut Out<'_>, e: &Extension) {
    use Section::*;
    let k = key::extension(&e.name);
    let schema_dep = key::schema(&e.schema);
    let deps =
        if o.cat.schemas.iter().any(|s| s.name == e.schema) { vec![schema_dep] } else { vec![] };
    let version = if o.opts.extension_versions && !e.version.is_empty() {
        format!(" VERSION {}", literal(&e.version))
    } else {
        String::new()
    };
    o.create(
        PreData,
        phase::EXTENSION,
        k.clone(),
        deps,
        "extension",
        format!(
            "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {}{version}",
            ident(&e.name),
            ident(&e.schema)
        ),
    );
    o.comment(
        PreData,
        phase::EXTENSION,
        &k,
        format_args!("EXTENSION {}", ident(&e.name)),
        &e.meta.comment,
    );
}
