//! How a column's values get to its new type in `ALTER COLUMN … TYPE …
//! USING`: the user's `--using` first; else a plain cast where PostgreSQL
//! has one (or where pggraft cannot tell: the self-check finds out); else
//! a conversion PostgreSQL documents for the pair (Unix epoch seconds
//! between numbers and timestamps, the text form between enums, `<> 0` to
//! boolean); else none, and the diff stops with the `--using` the user
//! must write. Only built-in types, enums and domains (by their base type)
//! are told apart; everything else is left to a cast.

use crate::catalog::model::{Catalog, TypeKind};
use crate::sql::QualifiedName;

/// The expression chosen for a column's type change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conversion {
    /// `col::new_type` (or the user's expression): nothing to say.
    Cast(String),
    /// A documented conversion with a hazard of its own: what it assumes.
    Documented { expr: String, assumes: String },
    /// PostgreSQL has no cast and there is no documented conversion.
    Needed,
}

/// What a type is, as far as casts go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Int,
    Numeric,
    Bool,
    Text,
    Timestamp,
    TimestampTz,
    Date,
    Time,
    Interval,
    Json,
    Jsonb,
    Uuid,
    Enum,
    /// Anything else: a cast is tried.
    Other,
}

/// The expression that turns `col` (already quoted) of type `from` into
/// `to`. `user` is the `--using` expression for this column, if any.
pub(crate) fn conversion(
    col: &str,
    from: &str,
    to: &str,
    user: Option<&str>,
    cats: [&Catalog; 2],
) -> Conversion {
    if let Some(expr) = user {
        return Conversion::Cast(expr.to_string());
    }
    let cast = Conversion::Cast(format!("{col}::{to}"));
    let (from_elem, from_arr) = element(from);
    let (to_elem, to_arr) = element(to);
    if from_arr != to_arr {
        return cast;
    }
    let arr = if to_arr { "[]" } else { "" };
    let (a, b) = (class(from_elem, cats), class(to_elem, cats));
    use Class::*;
    let documented =
        |expr: String, assumes: &str| Conversion::Documented { expr, assumes: assumes.to_string() };
    match (a, b) {
        (Other, _) | (_, Other) => cast,
        _ if a == b && a != Enum => cast,
        (Text, _) | (_, Text) => cast,
        (Enum, Enum) if !to_arr => Conversion::Cast(format!("{col}::text::{to}")),
        (Enum, Enum) => Conversion::Cast(format!("{col}::text[]::{to}")),
        (Int | Numeric, Int | Numeric) => cast,
        (Date, Timestamp | TimestampTz) | (Timestamp | TimestampTz, Date | Time) => cast,
        (Timestamp, TimestampTz) | (TimestampTz, Timestamp) => cast,
        (Time, Interval) | (Interval, Time) => cast,
        (Json, Jsonb) | (Jsonb, Json) => cast,
        (Jsonb, Int | Numeric | Bool) => cast,
        (Json, Int | Numeric | Bool) => Conversion::Cast(format!("{col}::jsonb::{to}")),
        (Int | Numeric | Bool, Json) if !to_arr => Conversion::Cast(format!("to_json({col})")),
        (Int | Numeric | Bool, Jsonb) if !to_arr => Conversion::Cast(format!("to_jsonb({col})")),
        // int4 has casts to and from boolean; the other numbers go through it.
        (Bool, Int | Numeric) => Conversion::Cast(format!("{col}::integer{arr}::{to}")),
        (Int | Numeric, Bool) if !to_arr => Conversion::Cast(format!("({col} <> 0)")),
        (Int | Numeric, Timestamp) if !to_arr => documented(
            format!("(to_timestamp({col}) AT TIME ZONE 'UTC')::{to}"),
            "reads the values as Unix epoch seconds (to_timestamp), in UTC",
        ),
        (Int | Numeric, TimestampTz) if !to_arr => documented(
            format!("to_timestamp({col})::{to}"),
            "reads the values as Unix epoch seconds (to_timestamp)",
        ),
        (Timestamp | TimestampTz, Int | Numeric) if !to_arr => documented(
            format!("extract(epoch FROM {col})::{to}"),
            "writes the values as Unix epoch seconds (extract(epoch …))",
        ),
        _ => Conversion::Needed,
    }
}

/// A type's element type and whether it is an array.
fn element(t: &str) -> (&str, bool) {
    match t.strip_suffix("[]") {
        Some(e) => (e, true),
        None => (t, false),
    }
}

fn class(t: &str, cats: [&Catalog; 2]) -> Class {
    let base = t.split('(').next().unwrap_or(t).trim();
    // `timestamp(3) without time zone`: the modifier sits inside.
    let words: String = t
        .split(['(', ')'])
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, s)| s.trim())
        .collect::<Vec<_>>()
        .join(" ");
    match words.as_str() {
        "timestamp without time zone" => return Class::Timestamp,
        "timestamp with time zone" => return Class::TimestampTz,
        "time without time zone" | "time with time zone" => return Class::Time,
        _ => {}
    }
    match base {
        "smallint" | "integer" | "bigint" => Class::Int,
        "numeric" | "real" | "double precision" => Class::Numeric,
        "boolean" => Class::Bool,
        "text" | "character varying" | "character" | "\"char\"" | "name" => Class::Text,
        "date" => Class::Date,
        "interval" => Class::Interval,
        "json" => Class::Json,
        "jsonb" => Class::Jsonb,
        "uuid" => Class::Uuid,
        _ => user_type(t, cats),
    }
}

/// An enum, or a domain classed by its base type.
fn user_type(t: &str, cats: [&Catalog; 2]) -> Class {
    for cat in cats {
        let Some(def) = cat.types.iter().find(|x| x.name.to_string() == t) else { continue };
        return match &def.kind {
            TypeKind::Enum { .. } => Class::Enum,
            // A value cast to a domain goes through its base type's cast.
            TypeKind::Domain { base, .. } if base != t => class(base, cats),
            _ => Class::Other,
        };
    }
    Class::Other
}

/// The column as a `--using` names it in messages.
pub(crate) fn column_path(table: &QualifiedName, column: &str) -> String {
    format!("{table}.{}", crate::sql::ident(column))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::TypeDef;

    fn cat_with_enums(names: &[&str]) -> Catalog {
        let mut c = Catalog::default();
        for n in names {
            let (s, t) = n.split_once('.').unwrap();
            c.types.push(TypeDef {
                name: QualifiedName::new(s, t),
                kind: TypeKind::Enum { labels: vec!["a".into()] },
                meta: Default::default(),
            });
        }
        c
    }

    fn conv(from: &str, to: &str) -> Conversion {
        let c = cat_with_enums(&["app.mood", "app.feeling"]);
        conversion("c", from, to, None, [&c, &c])
    }

    #[test]
    fn casts_where_postgres_has_them() {
        assert_eq!(conv("integer", "bigint"), Conversion::Cast("c::bigint".into()));
        assert_eq!(conv("text", "app.mood"), Conversion::Cast("c::app.mood".into()));
        assert_eq!(conv("app.mood", "text"), Conversion::Cast("c::text".into()));
        assert_eq!(conv("point", "box"), Conversion::Cast("c::box".into()));
        assert_eq!(
            conv("timestamp without time zone", "timestamp(3) with time zone"),
            Conversion::Cast("c::timestamp(3) with time zone".into())
        );
    }

    #[test]
    fn converts_between_enums_through_text() {
        assert_eq!(
            conv("app.mood", "app.feeling"),
            Conversion::Cast("c::text::app.feeling".into())
        );
        assert_eq!(
            conv("app.mood[]", "app.feeling[]"),
            Conversion::Cast("c::text[]::app.feeling[]".into())
        );
    }

    #[test]
    fn numbers_and_timestamps_go_through_the_epoch() {
        let Conversion::Documented { expr, .. } = conv("bigint", "timestamp without time zone")
        else {
            panic!("bigint to timestamp is a documented conversion");
        };
        assert_eq!(expr, "(to_timestamp(c) AT TIME ZONE 'UTC')::timestamp without time zone");
        assert!(matches!(
            conv("timestamp with time zone", "bigint"),
            Conversion::Documented { .. }
        ));
    }

    #[test]
    fn stops_where_no_conversion_is_known() {
        assert_eq!(conv("bigint", "interval"), Conversion::Needed);
        assert_eq!(conv("app.mood", "integer"), Conversion::Needed);
        assert_eq!(conv("uuid", "bigint"), Conversion::Needed);
        let c = Catalog::default();
        assert_eq!(
            conversion("c", "bigint", "interval", Some("make_interval(secs => c)"), [&c, &c]),
            Conversion::Cast("make_interval(secs => c)".into())
        );
    }
}
