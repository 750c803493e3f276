//! Property tests tying [`crate::sql::quote`] to the lexer: whatever name we
//! quote must read back, as exactly one token, as the same name. A quoting
//! bug here would silently rename or break objects in generated DDL.

use proptest::prelude::*;

use super::lexer::{TokenKind, ident_value, string_value, tokenize};
use crate::sql::quote::{Ident, QualifiedName, ident, is_bare_identifier, literal};

/// Names a user might really have: hostile characters, unicode, keywords,
/// and names right at PostgreSQL's 63-byte limit.
fn hostile_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_$]{0,20}",
        "[a-zA-Z0-9 \"'$&_.;(),\\\\-]{0,30}",
        "\\PC{0,20}",
        "[a-z_]{63}",
        "[é\"ü a]{0,40}",
        prop::sample::select(vec![
            "select",
            "from",
            "user",
            "table",
            "order",
            "group",
            "Select",
            "e",
            "u",
            "U&",
            "b",
            "x",
            "n",
            "$1",
            "1abc",
            "",
            " ",
            "\"",
            "\"\"",
            "--",
            "/*",
            "é",
            "ß",
            "İ",
            "\u{1F600}",
            "a\nb",
        ])
        .prop_map(str::to_string),
    ]
    .prop_map(|mut s| {
        // PostgreSQL truncates longer names, so only names that fit are
        // expected to survive the round trip.
        while s.len() > 63 {
            s.pop();
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn quoted_identifier_reads_back_as_one_token(name in hostile_name()) {
        let quoted = ident(&name);
        let toks = tokenize(&quoted);
        prop_assert_eq!(toks.len(), 1, "{:?} lexed as {:?}", quoted, toks);
        let expected =
            if is_bare_identifier(&name) { TokenKind::Ident } else { TokenKind::QuotedIdent };
        prop_assert_eq!(toks[0].kind, expected);
        prop_assert_eq!(ident_value(&quoted), name);
    }

    #[test]
    fn ident_display_quotes_like_ident(name in hostile_name()) {
        prop_assert_eq!(Ident(&name).to_string(), ident(&name));
    }

    #[test]
    fn qualified_name_reads_back_as_three_tokens(schema in hostile_name(), name in hostile_name()) {
        let text = QualifiedName::new(schema.clone(), name.clone()).to_string();
        let toks = tokenize(&text);
        prop_assert_eq!(toks.len(), 3, "{:?} lexed as {:?}", text, toks);
        prop_assert!(toks[1].is_punct(&text, "."));
        prop_assert_eq!(ident_value(toks[0].text(&text)), schema);
        prop_assert_eq!(ident_value(toks[2].text(&text)), name);
    }

    #[test]
    fn quoted_literal_reads_back_as_one_token(value in "\\PC{0,30}|[\\\\'a ]{0,10}") {
        let quoted = literal(&value);
        let toks = tokenize(&quoted);
        prop_assert_eq!(toks.len(), 1, "{:?} lexed as {:?}", quoted, toks);
        prop_assert_eq!(toks[0].kind, TokenKind::String);
        prop_assert_eq!(string_value(&quoted), Some(value));
    }
}
