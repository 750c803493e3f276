//! Conversions and text search parsers and templates (issue #11): objects over C functions
//! (here PostgreSQL's own), copied after the functions they use and before what uses them
//! (dictionaries over a template, configurations over a parser), renamed with their schema.

use crate::common::*;
use crate::fidelity::{assert_clean, clone_with, schema_args, verify_after};

const KINDS: &str = "
    CREATE SCHEMA app;
    CREATE CONVERSION app.latin1_to_utf8 FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
    CREATE DEFAULT CONVERSION app.utf8_to_latin1 FOR 'UTF8' TO 'LATIN1' FROM utf8_to_iso8859_1;
    COMMENT ON CONVERSION app.latin1_to_utf8 IS 'latin one';
    CREATE TEXT SEARCH TEMPLATE app.simple_tmpl (INIT = dsimple_init, LEXIZE = dsimple_lexize);
    CREATE TEXT SEARCH TEMPLATE app.bare_tmpl (LEXIZE = dsimple_lexize);
    COMMENT ON TEXT SEARCH TEMPLATE app.simple_tmpl IS 'like simple';
    CREATE TEXT SEARCH DICTIONARY app.plain (TEMPLATE = app.simple_tmpl, stopwords = 'english');
    CREATE TEXT SEARCH PARSER app.words (START = prsd_start, GETTOKEN = prsd_nexttoken,
        END = prsd_end, LEXTYPES = prsd_lextype, HEADLINE = prsd_headline);
    CREATE TEXT SEARCH PARSER app.words_plain (START = prsd_start, GETTOKEN = prsd_nexttoken,
        END = prsd_end, LEXTYPES = prsd_lextype);
    COMMENT ON TEXT SEARCH PARSER app.words IS 'the default parser, again';
    CREATE TEXT SEARCH CONFIGURATION app.cfg (PARSER = app.words);
    ALTER TEXT SEARCH CONFIGURATION app.cfg ADD MAPPING FOR asciiword WITH app.plain;
    CREATE TABLE app.docs (body text);
    INSERT INTO app.docs VALUES ('The quick brown fox');";

#[tokio::test]
async fn conversions_and_text_search_parsers_and_templates_clone_across_databases() {
    let src = db_with("conv_src", KINDS);
    let dst = db_with("conv_dst", "");
    let (opts, report) =
        clone_with(&src, &dst, |o| o.naming.schemas = schema_args(&["app"])).await.unwrap();
    assert_same_text(
        &src.dump_schema(&[]).unwrap(),
        &dst.dump_schema_except(&["pggraft"]).unwrap(),
    );
    let words = "SELECT string_agg(lexeme, ' ' ORDER BY lexeme) FROM \
                 unnest(to_tsvector('app.cfg', 'The quick brown fox'))";
    assert_eq!(dst.query(words).unwrap(), src.query(words).unwrap());
    assert_clean(&verify_after(&opts, &report).await);
}

#[tokio::test]
async fn conversions_and_text_search_parsers_and_templates_clone_renamed_within_one_database() {
    let src = db_with("conv_same", KINDS);
    let (opts, report) =
        clone_with(&src, &src, |o| o.naming.schemas = schema_args(&["app=app_copy"]))
            .await
            .unwrap();
    assert_same_text(
        &src.dump_schema(&["app"]).unwrap(),
        &src.dump_schema(&["app_copy"]).unwrap().replace("app_copy", "app"),
    );
    assert_clean(&verify_after(&opts, &report).await);
}
