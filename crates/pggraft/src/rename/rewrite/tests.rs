//! Examples are real output of `pg_get_viewdef`, `pg_get_expr`,
//! `pg_get_constraintdef`, `pg_get_indexdef` and `pg_get_triggerdef` (run
//! with `search_path = ''`), plus hand-written function bodies.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::sql::lexer::TokenKind;

/// `shop` → `shop_copy` with the objects of a small shop, `"Sales"` →
/// `sales_copy`, `"Mixed"` → `mixed_copy`.
fn shop_map(lower_case: bool) -> NameMap {
    let schemas: BTreeMap<String, String> =
        [("shop", "shop_copy"), ("Sales", "sales_copy"), ("Mixed", "mixed_copy")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
    let mut map = NameMap::new(schemas, lower_case);
    for name in [
        "shop",
        "orders",
        "customers",
        "orders_id_seq",
        "mood",
        "set_updated",
        "Orders",
        "archive",
        "touch",
        "tag",
    ] {
        map.add_object("shop", name);
    }
    map.add_object("Sales", "Invoices");
    map.add_object("Mixed", "Users");
    for name in ["Price", "Status", "CustomerId", "Users_pkey"] {
        map.add_ident(name);
    }
    map
}

fn sql(text: &str, map: &NameMap) -> String {
    let r = rewrite_sql(text, map);
    assert!(r.warnings.is_empty(), "unexpected warnings {:?} for {text}", r.warnings);
    r.sql
}

#[test]
fn view_with_alias_equal_to_schema_name() {
    let view = " SELECT shop.id,\n    shop.name,\n    o.total\n   FROM (shop.shop shop\n     JOIN shop.orders o ON ((o.shop_id = shop.id)));";
    assert_eq!(
        sql(view, &shop_map(false)),
        " SELECT shop.id,\n    shop.name,\n    o.total\n   FROM (shop_copy.shop shop\n     JOIN shop_copy.orders o ON ((o.shop_id = shop.id)));"
    );
}

#[test]
fn unregistered_names_in_catalog_text_keep_their_schema() {
    // PostgreSQL's output names objects of a copied schema that are not part
    // of the copy (an extension's type installed there): they stay put.
    let m = shop_map(false);
    assert_eq!(
        sql("(VALUE OPERATOR(shop.~) '@'::shop.citext)", &m),
        "(VALUE OPERATOR(shop.~) '@'::shop.citext)"
    );
}

#[test]
fn view_reading_registered_relation_after_from() {
    let view = " SELECT a.id\n   FROM shop.archive a\n  WHERE (a.id IN ( SELECT orders.id\n           FROM shop.orders));";
    assert_eq!(
        sql(view, &shop_map(false)),
        " SELECT a.id\n   FROM shop_copy.archive a\n  WHERE (a.id IN ( SELECT orders.id\n           FROM shop_copy.orders));"
    );
}

#[test]
fn serial_default() {
    let m = shop_map(false);
    assert_eq!(
        sql("nextval('shop.orders_id_seq'::regclass)", &m),
        "nextval('shop_copy.orders_id_seq'::regclass)"
    );
    assert_eq!(
        sql("nextval('shop.\"Orders_id_seq\"'::pg_catalog.regclass)", &m),
        "nextval('shop_copy.\"Orders_id_seq\"'::pg_catalog.regclass)"
    );
    assert_eq!(
        sql("nextval('shop.\"Orders_id_seq\"'::regclass)", &shop_map(true)),
        "nextval('shop_copy.orders_id_seq'::regclass)"
    );
    // Not ours: untouched.
    assert_eq!(sql("nextval('public.ids'::regclass)", &m), "nextval('public.ids'::regclass)");
}

#[test]
fn other_reg_casts() {
    let m = shop_map(false);
    assert_eq!(
        sql("'shop.set_updated(integer,shop.mood)'::regprocedure", &m),
        "'shop_copy.set_updated(integer,shop_copy.mood)'::regprocedure"
    );
    assert_eq!(sql("'shop'::regnamespace", &m), "'shop_copy'::regnamespace");
    assert_eq!(sql("'\"Sales\"'::regnamespace", &m), "'sales_copy'::regnamespace");
    assert_eq!(sql("'shop.mood[]'::regtype", &m), "'shop_copy.mood[]'::regtype");
    assert_eq!(sql("'pg_catalog.english'::regconfig", &m), "'pg_catalog.english'::regconfig");
    // A name with a quote comes back quoted the same way.
    let mut odd = NameMap::new([("it's".to_string(), "it's_copy".to_string())].into(), false);
    odd.add_object("it's", "t");
    assert_eq!(sql("'\"it''s\".t'::regclass", &odd), "'\"it''s_copy\".t'::regclass");
}

#[test]
fn constraint_definitions() {
    let m = shop_map(false);
    assert_eq!(
        sql("FOREIGN KEY (customer_id) REFERENCES shop.customers(id) ON DELETE CASCADE", &m),
        "FOREIGN KEY (customer_id) REFERENCES shop_copy.customers(id) ON DELETE CASCADE"
    );
    assert_eq!(
        sql("FOREIGN KEY (user_id) REFERENCES public.users(id)", &m),
        "FOREIGN KEY (user_id) REFERENCES public.users(id)"
    );
    assert_eq!(
        sql("CHECK ((mood <> ALL (ARRAY['sad'::shop.mood, 'angry'::shop.mood])))", &m),
        "CHECK ((mood <> ALL (ARRAY['sad'::shop_copy.mood, 'angry'::shop_copy.mood])))"
    );
    assert_eq!(sql("'{}'::shop.tag[]", &m), "'{}'::shop_copy.tag[]");
}

#[test]
fn index_and_trigger_definitions() {
    let m = shop_map(true);
    assert_eq!(
        sql(
            "CREATE UNIQUE INDEX \"Users_pkey\" ON \"Mixed\".\"Users\" USING btree (\"CustomerId\")",
            &m
        ),
        "CREATE UNIQUE INDEX users_pkey ON mixed_copy.users USING btree (customerid)"
    );
    let trigger = rewrite_sql(
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch('shop')",
        &shop_map(false),
    );
    assert_eq!(
        trigger.sql,
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON shop_copy.orders FOR EACH ROW EXECUTE FUNCTION shop_copy.touch('shop')"
    );
    // Trigger arguments are strings: left alone, but flagged.
    assert_eq!(trigger.warnings, ["string literal may reference schema shop; not rewritten"]);
}

#[test]
fn lower_casing_folds_registered_names_only() {
    let m = shop_map(true);
    assert_eq!(sql("CHECK ((\"Price\" > (0)::numeric))", &m), "CHECK ((price > (0)::numeric))");
    assert_eq!(sql("CHECK ((\"Unknown\" > 0))", &m), "CHECK ((\"Unknown\" > 0))");
    // `"Sales"` is only a schema name: it is mapped, not folded.
    assert_eq!(
        sql(" SELECT i.\"Status\"\n   FROM \"Sales\".\"Invoices\" i;", &m),
        " SELECT i.status\n   FROM sales_copy.invoices i;"
    );
    // Qualified by a schema we do not copy: its names are not ours.
    assert_eq!(
        sql(" SELECT u.\"Status\"\n   FROM other.\"Orders\" u;", &m),
        " SELECT u.status\n   FROM other.\"Orders\" u;"
    );
    assert_eq!(sql("other.\"Orders\"(1)", &m), "other.\"Orders\"(1)");
    // Folding to a keyword keeps the quotes.
    let mut kw = shop_map(true);
    kw.add_ident("Select");
    assert_eq!(sql("t.\"Select\"", &kw), "t.\"select\"");
}

#[test]
fn lower_casing_never_fuses_tokens() {
    let m = shop_map(true);
    assert_eq!(sql("SELECT\"Price\"FROM x", &m), "SELECT price FROM x");
    assert_eq!(sql("\"Price\"'x'", &m), "price 'x'");
}

#[test]
fn mixed_case_and_unicode_escape_names() {
    let m = shop_map(false);
    assert_eq!(sql("\"Mixed\".\"Users\"", &m), "mixed_copy.\"Users\"");
    assert_eq!(sql("\"Mixed\".\"Users\"", &shop_map(true)), "mixed_copy.users");
    // `U&"\0073hop"` spells `shop`.
    assert_eq!(sql("U&\"\\0073hop\".orders", &m), "shop_copy.orders");
    // Unquoted `Mixed` means `mixed`, a different (unmapped) schema.
    assert_eq!(sql("Mixed.\"Users\"", &m), "Mixed.\"Users\"");
}

#[test]
fn three_part_names() {
    let m = shop_map(false);
    assert_eq!(sql("shop.archive.id", &m), "shop_copy.archive.id");
    assert_eq!(sql("other.t.\"Price\"", &shop_map(true)), "other.t.\"Price\"");
}

#[test]
fn strings_mentioning_schemas_are_warned_about() {
    let m = shop_map(false);
    for text in ["'select * from shop.orders'::text", "'SHOP.x'", "E'\"Sales\".t'", "'shop'"] {
        let r = rewrite_sql(text, &m);
        assert_eq!(r.sql, text);
        assert_eq!(r.warnings.len(), 1, "{text}: {:?}", r.warnings);
    }
    assert!(rewrite_sql("'myshop.orders'", &m).warnings.is_empty());
    assert!(rewrite_sql("'shopping'", &m).warnings.is_empty());
    assert_eq!(
        rewrite_sql("'\"Sales\".t'", &m).warnings,
        ["string literal may reference schema \"Sales\"; not rewritten"]
    );
}

#[test]
fn comments_are_left_alone() {
    let m = shop_map(false);
    assert_eq!(sql("/* shop.orders */ 1 -- shop.orders", &m), "/* shop.orders */ 1 -- shop.orders");
}

#[test]
fn plpgsql_body() {
    let body = r#"
DECLARE
  n integer;
  total shop.orders.total%TYPE;
BEGIN
  SELECT count(*) INTO n FROM Shop.orders o WHERE o."Status" = 'open';
  EXECUTE format('delete from shop.%I', tbl);
  PERFORM shop.log_it($1, NEW."Price");
  -- shop.orders is mentioned here too
  RETURN n + shop.helper.x;
END
"#;
    let r = rewrite_function_body(body, "plpgsql", &shop_map(true));
    assert_eq!(
        r.sql,
        r#"
DECLARE
  n integer;
  total shop_copy.orders.total%TYPE;
BEGIN
  SELECT count(*) INTO n FROM shop_copy.orders o WHERE o.status = 'open';
  EXECUTE format('delete from shop.%I', tbl);
  PERFORM shop_copy.log_it($1, NEW.price);
  -- shop.orders is mentioned here too
  RETURN n + shop_copy.helper.x;
END
"#
    );
    assert_eq!(r.warnings, ["string literal may reference schema shop; not rewritten"]);
}

#[test]
fn sql_body_and_record_fields() {
    let m = shop_map(false);
    let body =
        "SELECT shop.unknown_fn(x) FROM shop.unknown_table; SELECT '\"Mixed\".\"Users\"'::regclass";
    let r = rewrite_function_body(body, "SQL", &m);
    assert_eq!(
        r.sql,
        "SELECT shop_copy.unknown_fn(x) FROM shop_copy.unknown_table; SELECT 'mixed_copy.\"Users\"'::regclass"
    );
    assert!(r.warnings.is_empty());
    let dollar = rewrite_function_body("EXECUTE $q$ TRUNCATE shop.t $q$", "plpgsql", &m);
    assert_eq!(dollar.warnings.len(), 1);
}

#[test]
fn other_languages_are_only_warned_about() {
    let m = shop_map(false);
    let body = "plpy.execute(\"select * from shop.orders\")";
    let r = rewrite_function_body(body, "plpython3u", &m);
    assert_eq!(r.sql, body);
    assert_eq!(
        r.warnings,
        ["function body in language plpython3u may reference schema shop; not rewritten"]
    );
    assert!(rewrite_function_body("return 1", "plperl", &m).warnings.is_empty());
}

#[test]
fn search_paths() {
    let m = shop_map(false);
    assert_eq!(rewrite_search_path("shop, public", &m), "shop_copy, public");
    assert_eq!(rewrite_search_path("\"Sales\", \"$user\"", &m), "sales_copy, \"$user\"");
    assert_eq!(rewrite_search_path("$user, shop", &m), "$user, shop_copy");
    assert_eq!(rewrite_search_path("\"\"", &m), "\"\"");
    assert_eq!(rewrite_search_path("'shop', pg_temp", &m), "'shop_copy', pg_temp");
    let to_odd = NameMap::new([("shop".to_string(), "Shop Copy".to_string())].into(), false);
    assert_eq!(rewrite_search_path("shop,public", &to_odd), "\"Shop Copy\",public");
}

#[test]
fn identity_map_changes_nothing() {
    let id = NameMap::new([("shop".to_string(), "shop".to_string())].into(), false);
    let text = "nextval('shop.s'::regclass) + \"X\".y";
    assert_eq!(rewrite_sql(text, &id), Rewritten::unchanged(text));
    assert_eq!(rewrite_function_body(text, "plpgsql", &id), Rewritten::unchanged(text));
}

/// SQL-ish text built from fragments that exercise every rule; without
/// `mapped`, only fragments that cannot name a mapped schema.
fn sqlish(mapped: bool) -> impl Strategy<Value = String> {
    let mut fragments = vec![
        "shop",
        "Shop",
        "\"Sales\"",
        "\"Price\"",
        "\"Mixed\"",
        "\"Users\"",
        "orders",
        "o",
        ".",
        "::",
        "(",
        ")",
        ",",
        " ",
        "\n",
        "'shop.x'",
        "'shop'",
        "regclass",
        "regnamespace",
        "pg_catalog",
        "FROM",
        "join",
        "$1",
        "1",
        "\"",
        "'",
        "E'\\''",
        "U&\"\\0073hop\"",
        "$$",
        "--",
        "/*",
        "*/",
        "-",
        "&",
        "u",
        "e",
        "ARRAY[",
        "]",
        "%TYPE",
    ];
    if !mapped {
        fragments.retain(|f| {
            let f = f.to_lowercase();
            ["shop", "sales", "mixed", "\\"].iter().all(|m| !f.contains(m))
        });
    }
    prop::collection::vec(prop::sample::select(fragments), 0..24).prop_map(|parts| parts.concat())
}

/// Token classes that must survive a rewrite: names stay names, strings
/// stay strings, and punctuation stays the same punctuation.
fn shape(text: &str) -> Vec<String> {
    tokenize(text)
        .iter()
        .filter(|t| !t.is_trivia())
        .map(|t| match t.kind {
            TokenKind::Ident | TokenKind::QuotedIdent => "name".to_string(),
            TokenKind::String => "string".to_string(),
            TokenKind::Punct | TokenKind::Other => t.text(text).to_string(),
            kind => format!("{kind:?}"),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn identity_rewrite_is_byte_exact(text in "\\PC{0,60}|[a-zA-Z\"'$.:()_ ]{0,60}") {
        let identity = NameMap::default();
        for mode in [Mode::Catalog, Mode::Body, Mode::RegName] {
            prop_assert_eq!(&rewrite(&text, &identity, mode).sql, &text);
        }
        let same = NameMap::new([("shop".to_string(), "shop".to_string())].into(), false);
        prop_assert_eq!(rewrite(&text, &same, Mode::Body).sql, text);
    }

    #[test]
    fn text_without_mapped_names_is_untouched(text in sqlish(false)) {
        let m = shop_map(false);
        prop_assert_eq!(rewrite_sql(&text, &m).sql, text.clone());
        prop_assert_eq!(rewrite_function_body(&text, "plpgsql", &m).sql, text);
    }

    #[test]
    fn rewriting_keeps_the_token_structure(text in sqlish(true)) {
        for m in [shop_map(false), shop_map(true)] {
            let sql = rewrite_sql(&text, &m).sql;
            prop_assert_eq!(shape(&sql), shape(&text), "{:?} became {:?}", text, sql);
            let body = rewrite_function_body(&text, "plpgsql", &m).sql;
            prop_assert_eq!(shape(&body), shape(&text), "{:?} became {:?}", text, body);
        }
    }

    #[test]
    fn rewriting_arbitrary_text_keeps_its_structure(text in any::<String>()) {
        let m = shop_map(true);
        let sql = rewrite_sql(&text, &m).sql;
        prop_assert_eq!(shape(&sql), shape(&text));
        let body = rewrite_function_body(&text, "plpgsql", &m).sql;
        prop_assert_eq!(shape(&body), shape(&text));
        let _ = rewrite_search_path(&text, &m);
    }
}

#[test]
fn qualified_operator_follows_its_schema() {
    let mut m = shop_map(false);
    m.add_object("shop", "~=");
    // As pg_get_viewdef prints a user operator; built-in ones stay.
    assert_eq!(
        sql("SELECT (o.amount OPERATOR(shop.~=) 10.0) FROM shop.orders o WHERE o.id > 1", &m),
        "SELECT (o.amount OPERATOR(shop_copy.~=) 10.0) FROM shop_copy.orders o WHERE o.id > 1"
    );
    // An operator the copy does not include keeps its schema.
    assert_eq!(sql("SELECT 1 OPERATOR(shop.<~>) 2", &m), "SELECT 1 OPERATOR(shop.<~>) 2");
}

#[test]
fn shared_extension_members_in_bodies_keep_their_schema() {
    // Within one database the copy of `shop` shares the extensions `shop`
    // holds: a body calling one of their functions must keep calling it.
    let mut map = shop_map(false);
    map.shared.entry("shop".into()).or_default().extend(["unaccent".to_string()]);
    let body = " SELECT shop.unaccent('shop.unaccent'::regdictionary, shop.touch($1)) ";
    assert_eq!(
        rewrite_function_body(body, "sql", &map).sql,
        " SELECT shop.unaccent('shop.unaccent'::regdictionary, shop_copy.touch($1)) "
    );
    // A copied object of the same name wins: it is the one the copy has.
    map.shared.entry("shop".into()).or_default().extend(["touch".to_string()]);
    assert_eq!(
        rewrite_function_body(" SELECT shop.touch(1) ", "sql", &map).sql,
        " SELECT shop_copy.touch(1) "
    );
    // Into another database the extensions move with the schema.
    map.extensions_follow = true;
    assert_eq!(
        rewrite_function_body(body, "sql", &map).sql,
        " SELECT shop_copy.unaccent('shop_copy.unaccent'::regdictionary, shop_copy.touch($1)) "
    );
}

#[test]
fn tsvector_update_trigger_names_its_configuration() {
    // The configuration is the second argument, a name: a copied one follows its schema.
    let mut map = shop_map(false);
    map.add_object("shop", "shop_search");
    let def = "CREATE TRIGGER tsv BEFORE INSERT OR UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger('search', 'shop.shop_search', 'shop.note')";
    // Only the configuration: the table takes the other (build) map, and the column
    // arguments are column names.
    assert_eq!(
        rewrite_trigger_arguments(def, &map),
        def.replace("'shop.shop_search'", "'shop_copy.shop_search'")
    );
    // A built-in configuration stays, and so does a definition without the function.
    let def = "EXECUTE FUNCTION pg_catalog.tsvector_update_trigger('search', 'pg_catalog.english', 'note')";
    assert_eq!(rewrite_trigger_arguments(def, &map), def);
    let def = "EXECUTE FUNCTION shop.touch('search', 'shop.shop_search')";
    assert_eq!(rewrite_trigger_arguments(def, &map), def);
}

#[test]
fn search_path_keeps_a_schema_whose_shared_extension_the_body_calls() {
    let mut map = shop_map(false);
    map.shared.entry("shop".into()).or_default().extend(["uuid_generate_v4".to_string()]);
    let calls = "BEGIN RETURN uuid_generate_v4()::text; END";
    assert_eq!(
        rewrite_search_path_for("shop, pg_temp", &map, Some(calls)),
        "shop_copy, shop, pg_temp"
    );
    assert_eq!(rewrite_search_path_for("'shop'", &map, Some(calls)), "'shop_copy', 'shop'");
    // A body that calls none of them, or no body: the copy alone.
    assert_eq!(rewrite_search_path_for("shop", &map, Some("SELECT now()")), "shop_copy");
    assert_eq!(rewrite_search_path("shop", &map), "shop_copy");
    // Into another database the extension is the copy's own.
    map.extensions_follow = true;
    assert_eq!(rewrite_search_path_for("shop", &map, Some(calls)), "shop_copy");
}
