//! Text search dictionaries and configurations (with a configuration's
//! token mappings), parsers and templates, their owners and comments.

use super::{Out, phase};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::ident;

pub(super) fn render_text_search(o: &mut Out<'_>, ts: &TextSearch) {
    use Section::*;
    let k = key::text_search(ts);
    let sql = match &ts.kind {
        TextSearchKind::Dictionary { template, options } => format!(
            "CREATE TEXT SEARCH DICTIONARY {} (\n    TEMPLATE = {template}{}\n)",
            ts.name,
            options.as_ref().map(|o| format!(",\n    {o}")).unwrap_or_default()
        ),
        TextSearchKind::Configuration { parser, .. } => {
            format!("CREATE TEXT SEARCH CONFIGURATION {} (\n    PARSER = {parser}\n)", ts.name)
        }
        TextSearchKind::Parser { start, gettoken, end, lextypes, headline } => format!(
            "CREATE TEXT SEARCH PARSER {} (\n    START = {start},\n    GETTOKEN = {gettoken},\n    \
             END = {end},\n    LEXTYPES = {lextypes}{}\n)",
            ts.name,
            headline.as_ref().map(|h| format!(",\n    HEADLINE = {h}")).unwrap_or_default()
        ),
        TextSearchKind::Template { init, lexize } => format!(
            "CREATE TEXT SEARCH TEMPLATE {} (\n    {}LEXIZE = {lexize}\n)",
            ts.name,
            init.as_ref().map(|i| format!("INIT = {i},\n    ")).unwrap_or_default()
        ),
    };
    let schema = key::schema(&ts.name.schema);
    o.create(PreData, phase::TEXT_SEARCH, k.clone(), vec![schema], "text search", sql);
    if let TextSearchKind::Configuration { mappings, .. } = &ts.kind {
        for (token, dicts) in mappings {
            o.about(
                PreData,
                phase::TEXT_SEARCH,
                &k,
                vec![],
                "text search mapping",
                format!(
                    "ALTER TEXT SEARCH CONFIGURATION {}\n    ADD MAPPING FOR {} WITH {}",
                    ts.name,
                    ident(token),
                    dicts.join(", ")
                ),
            );
        }
    }
    let target = format!("{} {}", ts.keyword(), ts.name);
    // Parsers and templates have no owner (their meta has none).
    o.owner(PreData, phase::TEXT_SEARCH, &k, target.clone(), &ts.meta.owner);
    o.comment(PreData, phase::TEXT_SEARCH, &k, target, &ts.meta.comment);
}
