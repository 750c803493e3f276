//! Text search dictionaries and configurations, with a configuration's
//! token-to-dictionaries mappings, and the parsers and templates they use.

use tokio_postgres::Client;

use super::{Keys, PG_TS_CONFIG, PG_TS_DICT, comment_join, qn};

const PG_TS_PARSER: u32 = 3601;
const PG_TS_TEMPLATE: u32 = 3764;
use crate::catalog::model::*;
use crate::error::{PgResultExt, Result};

/// Text search dictionaries and configurations (with their token mappings).
pub(super) async fn read_text_search(
    client: &Client,
    ns: &[u32],
    cat: &mut Catalog,
    keys: &mut Keys,
) -> Result<()> {
    // Parsers and templates have neither owner nor privileges.
    let func = |col: &str| format!("NULLIF({col}, 0)::regproc::text");
    let sql = format!(
        "SELECT p.oid, n.nspname, p.prsname AS name, {start} AS start, {token} AS token, \
         {end} AS finish, {lextypes} AS lextypes, {headline} AS headline, \
         dsc.description AS comment \
         FROM pg_ts_parser p JOIN pg_namespace n ON n.oid = p.prsnamespace {comment} \
         WHERE p.prsnamespace = ANY($1)",
        start = func("p.prsstart"),
        token = func("p.prstoken"),
        end = func("p.prsend"),
        lextypes = func("p.prslextype"),
        headline = func("p.prsheadline"),
        comment = comment_join("dsc", "pg_ts_parser", "p.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading text search parsers")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_TS_PARSER, oid) {
            continue;
        }
        let ts = TextSearch {
            name: qn(&r, "nspname", "name"),
            kind: TextSearchKind::Parser {
                start: r.get("start"),
                gettoken: r.get("token"),
                end: r.get("finish"),
                lextypes: r.get("lextypes"),
                headline: r.get("headline"),
            },
            meta: Meta { owner: None, acl: None, comment: r.get("comment") },
        };
        keys.add(PG_TS_PARSER, oid, key::text_search(&ts));
        cat.text_search.push(ts);
    }
    let sql = format!(
        "SELECT t.oid, n.nspname, t.tmplname AS name, {init} AS init, {lexize} AS lexize, \
         dsc.description AS comment \
         FROM pg_ts_template t JOIN pg_namespace n ON n.oid = t.tmplnamespace {comment} \
         WHERE t.tmplnamespace = ANY($1)",
        init = func("t.tmplinit"),
        lexize = func("t.tmpllexize"),
        comment = comment_join("dsc", "pg_ts_template", "t.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading text search templates")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_TS_TEMPLATE, oid) {
            continue;
        }
        let ts = TextSearch {
            name: qn(&r, "nspname", "name"),
            kind: TextSearchKind::Template { init: r.get("init"), lexize: r.get("lexize") },
            meta: Meta { owner: None, acl: None, comment: r.get("comment") },
        };
        keys.add(PG_TS_TEMPLATE, oid, key::text_search(&ts));
        cat.text_search.push(ts);
    }
    let sql = format!(
        "SELECT d.oid, n.nspname, d.dictname AS name, \
         quote_ident(tn.nspname) || '.' || quote_ident(t.tmplname) AS template, \
         d.dictinitoption, pg_get_userbyid(d.dictowner)::text AS owner, dsc.description AS comment \
         FROM pg_ts_dict d JOIN pg_namespace n ON n.oid = d.dictnamespace \
         JOIN pg_ts_template t ON t.oid = d.dicttemplate \
         JOIN pg_namespace tn ON tn.oid = t.tmplnamespace {comment} \
         WHERE d.dictnamespace = ANY($1)",
        comment = comment_join("dsc", "pg_ts_dict", "d.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading text search dictionaries")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_TS_DICT, oid) {
            continue;
        }
        let ts = TextSearch {
            name: qn(&r, "nspname", "name"),
            kind: TextSearchKind::Dictionary {
                template: r.get("template"),
                options: r.get("dictinitoption"),
            },
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_TS_DICT, oid, key::text_search(&ts));
        cat.text_search.push(ts);
    }
    let sql = format!(
        "SELECT c.oid, n.nspname, c.cfgname AS name, \
         quote_ident(pn.nspname) || '.' || quote_ident(p.prsname) AS parser, \
         pg_get_userbyid(c.cfgowner)::text AS owner, dsc.description AS comment, \
         (SELECT array_agg(m.tok ORDER BY m.maptokentype) FROM (SELECT DISTINCT mm.maptokentype, \
              (SELECT tt.alias FROM ts_token_type(c.cfgparser) tt \
                 WHERE tt.tokid = mm.maptokentype) AS tok \
            FROM pg_ts_config_map mm WHERE mm.mapcfg = c.oid) m) AS tokens, \
         (SELECT array_agg(array_to_string(m.dicts, ',') ORDER BY m.maptokentype) FROM ( \
            SELECT mm.maptokentype, \
              array_agg(quote_ident(dn.nspname) || '.' || quote_ident(dd.dictname) \
                        ORDER BY mm.mapseqno) AS dicts \
            FROM pg_ts_config_map mm JOIN pg_ts_dict dd ON dd.oid = mm.mapdict \
            JOIN pg_namespace dn ON dn.oid = dd.dictnamespace \
            WHERE mm.mapcfg = c.oid GROUP BY mm.maptokentype) m) AS dicts \
         FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace \
         JOIN pg_ts_parser p ON p.oid = c.cfgparser \
         JOIN pg_namespace pn ON pn.oid = p.prsnamespace {comment} \
         WHERE c.cfgnamespace = ANY($1)",
        comment = comment_join("dsc", "pg_ts_config", "c.oid")
    );
    for r in client.query(&sql, &[&ns]).await.ctx("reading text search configurations")? {
        let oid: u32 = r.get("oid");
        if keys.is_member(PG_TS_CONFIG, oid) {
            continue;
        }
        let tokens: Vec<String> = r.get::<_, Option<Vec<String>>>("tokens").unwrap_or_default();
        let dicts: Vec<String> = r.get::<_, Option<Vec<String>>>("dicts").unwrap_or_default();
        // Dictionary names are quoted identifiers, which cannot hold a comma
        // unquoted; split on commas outside double quotes.
        let mappings = tokens.into_iter().zip(dicts.iter().map(|d| split_names(d))).collect();
        let ts = TextSearch {
            name: qn(&r, "nspname", "name"),
            kind: TextSearchKind::Configuration { parser: r.get("parser"), mappings },
            meta: Meta { owner: r.get("owner"), acl: None, comment: r.get("comment") },
        };
        keys.add(PG_TS_CONFIG, oid, key::text_search(&ts));
        cat.text_search.push(ts);
    }
    Ok(())
}

/// Splits `a.b,"c,d".e` at the commas outside double quotes.
fn split_names(list: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (vec![], String::new(), false);
    for ch in list.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}
