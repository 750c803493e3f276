//! Text search dictionaries and configurations (with a configuration's
//! token mappings), their owners and comments.

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
    o.owner(PreData, phase::TEXT_SEARCH, &k, target.clone(), &ts.meta.owner);
    o.comment(PreData, phase::TEXT_SEARCH, &k, target, &ts.meta.comment);
}
