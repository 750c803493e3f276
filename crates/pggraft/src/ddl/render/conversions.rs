//! Encoding conversions (`CREATE [DEFAULT] CONVERSION … FOR … TO … FROM …`), their owners and
//! comments.

use super::{Out, phase};
use crate::catalog::model::*;
use crate::plan::Section;
use crate::sql::literal;

pub(super) fn render_conversion(o: &mut Out<'_>, c: &Conversion) {
    use Section::*;
    let k = key::conversion(&c.name);
    let sql = format!(
        "CREATE {}CONVERSION {} FOR {} TO {} FROM {}",
        if c.default { "DEFAULT " } else { "" },
        c.name,
        literal(&c.source_encoding),
        literal(&c.target_encoding),
        c.function
    );
    o.create(
        PreData,
        phase::CONVERSION,
        k.clone(),
        vec![key::schema(&c.name.schema)],
        "conversion",
        sql,
    );
    let target = format!("CONVERSION {}", c.name);
    o.owner(PreData, phase::CONVERSION, &k, target.clone(), &c.meta.owner);
    o.comment(PreData, phase::CONVERSION, &k, target, &c.meta.comment);
}
