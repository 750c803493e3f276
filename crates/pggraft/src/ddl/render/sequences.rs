//! Sequences: `CREATE SEQUENCE` with every parameter spelled out, owner,
//! privileges, comment, and `OWNED BY` as a statement of its own (the
//! owning column may itself need the sequence). Identity sequences come
//! with their columns ([`super::table`]).

use super::{AclClass, Out, phase};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::ident;

pub(super) fn render_sequence(o: &mut Out<'_>, s: &Sequence) {
    use Section::*;
    let k = key::sequence(&s.name);
    o.create(PreData, phase::SEQUENCE, k.clone(), vec![key::schema(&s.name.schema)], "sequence", format!(
            "CREATE {}SEQUENCE {} AS {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
            if s.unlogged { "UNLOGGED " } else { "" },
            s.name,
            s.data_type,
            s.start,
            s.increment,
            s.min_value,
            s.max_value,
            s.cache,
            if s.cycle { " CYCLE" } else { "" }
        ));
    o.owner(PreData, phase::SEQUENCE, &k, format!("SEQUENCE {}", s.name), &s.meta.owner);
    o.privileges(
        (PreData, phase::SEQUENCE),
        &k,
        AclClass::Sequence,
        &s.name.to_string(),
        s.meta.owner.as_deref(),
        &s.meta.acl,
    );
    o.comment(PreData, phase::SEQUENCE, &k, format_args!("SEQUENCE {}", s.name), &s.meta.comment);
    if let Some((t, c)) = &s.owned_by {
        o.about(
            PreData,
            phase::OWNED_BY,
            &k,
            vec![key::relation(t)],
            "sequence owned by",
            format!("ALTER SEQUENCE {} OWNED BY {t}.{}", s.name, ident(c)),
        );
    }
}
