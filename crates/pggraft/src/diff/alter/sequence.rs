//! A sequence altered in place: `ALTER SEQUENCE` for its parameters,
//! persistence and owner column. Sequences keep their values: they are
//! never recreated to follow what they depend on.

use crate::catalog::model::Sequence;
use crate::diff::Change;
use crate::diff::engine::change;
use crate::sql::ident;

pub(super) fn alter_sequence(k: &str, a: &Sequence, b: &Sequence) -> Vec<Change> {
    let mut parts = vec![];
    if a.data_type != b.data_type {
        parts.push(format!("AS {}", b.data_type));
    }
    if a.increment != b.increment {
        parts.push(format!("INCREMENT BY {}", b.increment));
    }
    if a.min_value != b.min_value || a.data_type != b.data_type {
        parts.push(format!("MINVALUE {}", b.min_value));
    }
    if a.max_value != b.max_value || a.data_type != b.data_type {
        parts.push(format!("MAXVALUE {}", b.max_value));
    }
    if a.start != b.start {
        parts.push(format!("START WITH {}", b.start));
    }
    if a.cache != b.cache {
        parts.push(format!("CACHE {}", b.cache));
    }
    if a.cycle != b.cycle {
        parts.push(if b.cycle { "CYCLE".into() } else { "NO CYCLE".into() });
    }
    let mut out = vec![];
    if !parts.is_empty() {
        out.push(change(format!("ALTER SEQUENCE {} {}", b.name, parts.join(" ")), k, "alter"));
    }
    if a.unlogged != b.unlogged {
        out.push(change(
            format!(
                "ALTER SEQUENCE {} SET {}",
                b.name,
                if b.unlogged { "UNLOGGED" } else { "LOGGED" }
            ),
            k,
            "alter",
        ));
    }
    if a.owned_by != b.owned_by {
        let to = match &b.owned_by {
            Some((t, c)) => format!("{t}.{}", ident(c)),
            None => "NONE".into(),
        };
        out.push(change(format!("ALTER SEQUENCE {} OWNED BY {to}", b.name), k, "alter"));
    }
    out
}
