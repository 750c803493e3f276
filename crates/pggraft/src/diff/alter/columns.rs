//! The columns of a table altered in place: dropped, added (defaults
//! inline), retyped (with the hazards a type change brings), generated
//! expressions, identities, NOT NULL (online: through a validated CHECK)
//! and per-column settings. The table itself is [`super::table`]'s.

use std::collections::BTreeSet;

use crate::catalog::model::*;
use crate::ddl::render::{column_sql, storage_word};
use crate::diff::engine::{DROP_COLUMN, Diff, change, hazard};
use crate::diff::{Change, HazardKind, Using};
use crate::error::NeededConversion;

use super::convert::{Conversion, column_path, conversion};
use crate::sql::{QualifiedName, ident, literal};

impl Diff<'_> {
    /// Column changes from `a` to `b`, in the order they must run: drops,
    /// then additions and changes, then generated columns put back.
    pub(super) fn alter_columns(&mut self, k: &str, a: &Table, b: &Table) -> Vec<Change> {
        let name = &b.name;
        let mut out = vec![];
        let parent_has = |col: &str| {
            b.partition_of.as_ref().map(|p| &p.parent).into_iter().chain(b.inherits.iter()).any(
                |p| {
                    self.to.table(p).is_some_and(|pt| pt.columns.iter().any(|c| c.name == col))
                        && self.from.table(p).is_some()
                },
            )
        };
        // Columns.
        let mut dropped = BTreeSet::new();
        // Generated columns first: they may read the others.
        let generated_first = a
            .columns
            .iter()
            .filter(|c| c.generated.is_some())
            .chain(a.columns.iter().filter(|c| c.generated.is_none()));
        for c in generated_first {
            if !b.columns.iter().any(|x| x.name == c.name) {
                dropped.insert(c.name.clone());
                if !c.is_local && (a.partition_of.is_some() || !a.inherits.is_empty()) {
                    continue;
                }
                // A step of its own unless the table's parents change
                // (an inherited column cannot go before the detach).
                let action = if a.partition_of == b.partition_of && a.inherits == b.inherits {
                    DROP_COLUMN
                } else {
                    "alter"
                };
                let mut detail =
                    format!("column {}.{} and its data are dropped", name, ident(&c.name));
                if let Some(hint) = crate::diff::renames::column_lookalike(a, b, c) {
                    detail.push_str(&format!("; {hint}"));
                }
                out.push(hazard(
                    change(format!("ALTER TABLE {name} DROP COLUMN {}", ident(&c.name)), k, action),
                    HazardKind::DataLoss,
                    detail,
                ));
            }
        }
        if !dropped.is_empty() {
            self.dropped_columns.insert(k.to_string(), dropped);
        }
        let regenerate = self.regenerated(k, a, b, &mut out);
        // Columns added (and added back) go on in TO's order, after the
        // changes to the others: that keeps TO's column order where
        // PostgreSQL can (a column can only be added at the end).
        let mut adds: Vec<(usize, Vec<Change>)> = vec![];
        for (pos, c) in b.columns.iter().enumerate() {
            let col = ident(&c.name);
            if regenerate.contains(c.name.as_str()) {
                let mut back = vec![hazard(
                    change(format!("ALTER TABLE {name} ADD COLUMN {}", column_sql(c)), k, "alter"),
                    HazardKind::TableRewrite,
                    format!("{name}.{col} is recomputed"),
                )];
                back.extend(column_settings(name, c, None, k));
                adds.push((pos, back));
                continue;
            }
            let Some(old) = a.columns.iter().find(|x| x.name == c.name) else {
                if !c.is_local && parent_has(&c.name) {
                    continue;
                }
                let mut def = column_sql(c);
                if let Some(d) = &c.default {
                    // Inline, so NOT NULL columns can be added to tables with rows.
                    let not_null = def.ends_with(" NOT NULL");
                    if not_null {
                        def.truncate(def.len() - " NOT NULL".len());
                    }
                    def.push_str(&format!(" DEFAULT {d}"));
                    if not_null {
                        def.push_str(" NOT NULL");
                    }
                }
                let mut ch = change(format!("ALTER TABLE {name} ADD COLUMN {def}"), k, "alter");
                if c.generated.is_some() {
                    ch = hazard(
                        ch,
                        HazardKind::TableRewrite,
                        format!("{name} is rewritten to compute {col}"),
                    );
                }
                let mut added = vec![ch];
                added.extend(column_settings(name, c, None, k));
                adds.push((pos, added));
                continue;
            };
            let inherited = !c.is_local && (b.partition_of.is_some() || !b.inherits.is_empty());
            if (old.type_name != c.type_name || old.collation != c.collation) && !inherited {
                self.retyped.insert(k.to_string());
                self.rework_column(k, &c.name);
                // The old default may not cast to the new type: off first,
                // back (TO's) after. One TO does not have is dropped by a
                // statement of its own, before this.
                if old.default.is_some() && c.default.is_some() {
                    out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} DROP DEFAULT"),
                        k,
                        "alter",
                    ));
                }
                let user = self
                    .opts
                    .using
                    .iter()
                    .find(|u| u.matches(name, &c.name))
                    .map(|u| u.expr.as_str());
                let (using, assumes) = match conversion(
                    &col,
                    &old.type_name,
                    &c.type_name,
                    user,
                    [self.from, self.to],
                ) {
                    Conversion::Cast(e) => (e, None),
                    Conversion::Documented { expr, assumes } => (expr, Some(assumes)),
                    Conversion::Needed => {
                        self.needed.push(NeededConversion {
                            table: name.clone(),
                            column: c.name.clone(),
                            from_type: old.type_name.clone(),
                            to_type: c.type_name.clone(),
                        });
                        (format!("{col}::{}", c.type_name), None)
                    }
                };
                let mut ch = change(
                    format!(
                        "ALTER TABLE {name} ALTER COLUMN {col} TYPE {}{} USING {using}",
                        c.type_name,
                        crate::ddl::render::collate(&c.collation),
                    ),
                    k,
                    "alter",
                );
                let documented = assumes.is_some();
                if let Some(assumes) = assumes {
                    ch = hazard(
                        ch,
                        HazardKind::DataLoss,
                        format!(
                            "{}: {} to {} {assumes}; if they are something else, pass {}",
                            column_path(name, &c.name),
                            old.type_name,
                            c.type_name,
                            Using::flag(name, &c.name, "EXPR")
                        ),
                    );
                }
                if !binary_coercible(&old.type_name, &c.type_name) || old.collation != c.collation {
                    ch = hazard(ch, HazardKind::TableRewrite, format!("{name} is rewritten"));
                    ch = hazard(
                        ch,
                        HazardKind::AccessExclusiveLock,
                        format!("{name} is locked while rewritten"),
                    );
                }
                // A documented conversion says what it may lose itself.
                if !widening(&old.type_name, &c.type_name) && !documented {
                    ch = hazard(
                        ch,
                        HazardKind::DataLoss,
                        format!(
                            "{}.{col}: {} to {} may fail or lose precision",
                            name, old.type_name, c.type_name
                        ),
                    );
                }
                out.push(ch);
                // A changed default is an object of its own, set after this
                // alter; an unchanged one is put back here.
                if let Some(d) = c.default.as_ref().filter(|_| old.default == c.default) {
                    out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} SET DEFAULT {d}"),
                        k,
                        "alter",
                    ));
                }
            }
            // Other changes of the expression drop the column and add it
            // back ([`Self::regenerated`]).
            if old.generated.is_some() && c.generated.is_none() {
                out.push(change(
                    format!("ALTER TABLE {name} ALTER COLUMN {col} DROP EXPRESSION"),
                    k,
                    "alter",
                ));
            }
            if old.identity != c.identity {
                match (&old.identity, &c.identity) {
                    (None, Some(id)) => out.extend(self.add_identity(name, old, id, k)),
                    (Some(_), None) => out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} DROP IDENTITY"),
                        k,
                        "alter",
                    )),
                    (Some(x), Some(y)) => {
                        let mut sets = vec![];
                        if x.always != y.always {
                            sets.push(format!(
                                "SET GENERATED {}",
                                if y.always { "ALWAYS" } else { "BY DEFAULT" }
                            ));
                        }
                        if x.increment != y.increment {
                            sets.push(format!("SET INCREMENT BY {}", y.increment));
                        }
                        if x.start != y.start {
                            sets.push(format!("SET START WITH {}", y.start));
                        }
                        if x.min_value != y.min_value {
                            sets.push(format!("SET MINVALUE {}", y.min_value));
                        }
                        if x.max_value != y.max_value {
                            sets.push(format!("SET MAXVALUE {}", y.max_value));
                        }
                        if x.cache != y.cache {
                            sets.push(format!("SET CACHE {}", y.cache));
                        }
                        if x.cycle != y.cycle {
                            sets.push(if y.cycle {
                                "SET CYCLE".into()
                            } else {
                                "SET NO CYCLE".into()
                            });
                        }
                        if !sets.is_empty() {
                            out.push(change(
                                format!("ALTER TABLE {name} ALTER COLUMN {col} {}", sets.join(" ")),
                                k,
                                "alter",
                            ));
                        }
                    }
                    (None, None) => {}
                }
            }
            if old.not_null != c.not_null && c.identity.is_none() {
                let parent_nn = b
                    .partition_of
                    .as_ref()
                    .map(|p| &p.parent)
                    .into_iter()
                    .chain(b.inherits.iter())
                    .any(|p| {
                        self.to.table(p).is_some_and(|pt| {
                            pt.columns.iter().any(|x| x.name == c.name && x.not_null)
                        })
                    });
                if c.not_null && !parent_nn {
                    out.extend(self.set_not_null(name, &c.name, k));
                } else if !c.not_null {
                    out.push(change(
                        format!("ALTER TABLE {name} ALTER COLUMN {col} DROP NOT NULL"),
                        k,
                        "alter",
                    ));
                }
            }
            out.extend(column_settings(name, c, Some(old), k));
        }
        // A generated column that reads a column added after it in TO can
        // only come after that one (PostgreSQL adds at the end).
        let added: Vec<(usize, &str)> = b
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !a.columns.iter().any(|o| o.name == c.name))
            .map(|(i, c)| (i, c.name.as_str()))
            .collect();
        let order = |pos: usize| {
            let reads = b.columns[pos].generated.as_deref().map_or(pos, |e| {
                added.iter().filter(|(_, n)| mentions(e, n)).map(|(i, _)| *i).fold(pos, usize::max)
            });
            (reads, pos)
        };
        adds.sort_by_key(|(pos, _)| order(*pos));
        out.extend(adds.into_iter().flat_map(|(_, changes)| changes));
        out
    }

    /// The generated columns that are dropped (here, into `out`) and added
    /// back: those reading a column whose type changes (PostgreSQL refuses
    /// to retype it under them) and those whose expression changes or that
    /// become generated (PostgreSQL 15 cannot alter that).
    fn regenerated<'t>(
        &mut self,
        k: &str,
        a: &Table,
        b: &'t Table,
        out: &mut Vec<Change>,
    ) -> BTreeSet<&'t str> {
        let inherited = b.partition_of.is_some() || !b.inherits.is_empty();
        let retyped: Vec<&str> = b
            .columns
            .iter()
            .filter(|c| c.is_local || !inherited)
            .filter(|c| {
                a.columns.iter().any(|o| {
                    o.name == c.name && (o.type_name != c.type_name || o.collation != c.collation)
                })
            })
            .map(|c| c.name.as_str())
            .collect();
        let mut regenerate = BTreeSet::new();
        for c in &b.columns {
            let Some(old) = a.columns.iter().find(|x| x.name == c.name) else { continue };
            let reads_retyped = old
                .generated
                .as_deref()
                .is_some_and(|e| retyped.iter().any(|r| *r != c.name && mentions(e, r)));
            let expression_changes = c.generated.is_some() && old.generated != c.generated;
            if !(reads_retyped || expression_changes) {
                continue;
            }
            regenerate.insert(c.name.as_str());
            self.rework_column(k, &c.name);
            if expression_changes {
                self.warnings.push(format!(
                    "{}.{}: changing a generated column's expression needs PostgreSQL 17 \
                     (ALTER COLUMN … SET EXPRESSION); the column is dropped and added back, \
                     after the columns TO has before it",
                    b.name,
                    ident(&c.name)
                ));
            }
            out.push(change(
                format!("ALTER TABLE {} DROP COLUMN {}", b.name, ident(&c.name)),
                k,
                "alter",
            ));
        }
        regenerate
    }

    /// A column that stays but whose dependents must be dropped first and
    /// created again after.
    fn rework_column(&mut self, k: &str, column: &str) {
        self.reworked_columns.entry(k.to_string()).or_default().insert(column.to_string());
    }

    /// Identity for a column that had none. PostgreSQL wants the column
    /// NOT NULL first (its default, if any, is a dropped object of its own,
    /// dropped before), and the new sequence is moved past the values the
    /// column already holds, so the next row does not collide with them.
    fn add_identity(
        &self,
        table: &QualifiedName,
        old: &Column,
        id: &Identity,
        k: &str,
    ) -> Vec<Change> {
        let col = ident(&old.name);
        let mut out = vec![];
        if !old.not_null {
            let mut nn = self.set_not_null(table, &old.name, k);
            for c in &mut nn {
                for h in &mut c.hazards {
                    h.detail.push_str(&format!(
                        "; rows where {col} is NULL make it fail (an identity needs a value in every row)"
                    ));
                }
            }
            out.extend(nn);
        }
        out.push(change(
            format!(
                "ALTER TABLE {table} ALTER COLUMN {col} ADD GENERATED {} AS IDENTITY (SEQUENCE NAME {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{})",
                if id.always { "ALWAYS" } else { "BY DEFAULT" },
                id.sequence,
                id.start,
                id.increment,
                id.min_value,
                id.max_value,
                id.cache,
                if id.cycle { " CYCLE" } else { "" }
            ),
            k,
            "alter",
        ));
        let (agg, cmp) = if id.increment < 0 { ("min", "<=") } else { ("max", ">=") };
        out.push(change(
            format!(
                "SELECT setval(pg_get_serial_sequence({}, {}), {agg}({col})) FROM {table} HAVING {agg}({col}) {cmp} {}",
                literal(&table.to_string()),
                literal(&old.name),
                id.start
            ),
            k,
            "alter",
        ));
        out
    }

    fn set_not_null(&self, table: &QualifiedName, column: &str, k: &str) -> Vec<Change> {
        let col = ident(column);
        if self.opts.online {
            // A validated CHECK lets SET NOT NULL skip its full-table scan
            // under ACCESS EXCLUSIVE; VALIDATE takes a weaker lock.
            let check = ident(&format!("{column}_not_null_pggraft"));
            return vec![
                change(
                    format!(
                        "ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID"
                    ),
                    k,
                    "alter",
                ),
                change(format!("ALTER TABLE {table} VALIDATE CONSTRAINT {check}"), k, "alter"),
                change(format!("ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"), k, "alter"),
                change(format!("ALTER TABLE {table} DROP CONSTRAINT {check}"), k, "alter"),
            ];
        }
        vec![hazard(
            change(format!("ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"), k, "alter"),
            HazardKind::AccessExclusiveLock,
            format!("{table} is scanned under an ACCESS EXCLUSIVE lock"),
        )]
    }
}

/// Column settings beyond the definition (storage, compression, statistics,
/// options), as changes from `old` (or from defaults for a new column).
fn column_settings(
    table: &QualifiedName,
    c: &Column,
    old: Option<&Column>,
    k: &str,
) -> Vec<Change> {
    let col = ident(&c.name);
    let mut out = vec![];
    let o = |f: fn(&Column) -> String| old.map(f);
    if o(|x| format!("{:?}", x.storage)) != Some(format!("{:?}", c.storage)) {
        if let Some(s) = &c.storage {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET STORAGE {}", storage_word(s)),
                k,
                "alter",
            ));
        } else if old.is_some() {
            // Back to the type's default storage: EXTENDED for varlena types.
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET STORAGE EXTENDED"),
                k,
                "alter",
            ));
        }
    }
    if o(|x| format!("{:?}", x.compression)) != Some(format!("{:?}", c.compression)) {
        let v = c.compression.as_deref().map(ident).unwrap_or_else(|| "DEFAULT".into());
        if c.compression.is_some() || old.is_some() {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET COMPRESSION {v}"),
                k,
                "alter",
            ));
        }
    }
    if o(|x| format!("{:?}", x.statistics)) != Some(format!("{:?}", c.statistics))
        && (c.statistics.is_some() || old.is_some())
    {
        out.push(change(
            format!(
                "ALTER TABLE {table} ALTER COLUMN {col} SET STATISTICS {}",
                c.statistics.unwrap_or(-1)
            ),
            k,
            "alter",
        ));
    }
    let old_opts: &[String] = old.map(|x| x.options.as_slice()).unwrap_or(&[]);
    if old_opts != c.options.as_slice() {
        let removed: Vec<&str> = old_opts
            .iter()
            .filter_map(|x| x.split('=').next())
            .filter(|key| !c.options.iter().any(|y| y.split('=').next() == Some(*key)))
            .collect();
        if !removed.is_empty() {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} RESET ({})", removed.join(", ")),
                k,
                "alter",
            ));
        }
        if !c.options.is_empty() {
            out.push(change(
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET ({})", c.options.join(", ")),
                k,
                "alter",
            ));
        }
    }
    out
}

/// Whether SQL text names `column` as an identifier.
pub(crate) fn mentions(sql: &str, column: &str) -> bool {
    crate::sql::tokenize(sql)
        .iter()
        .any(|t| t.is_ident() && crate::sql::ident_value(t.text(sql)) == column)
}

/// Type changes PostgreSQL makes without rewriting the table.
fn binary_coercible(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let base = |t: &str| t.split('(').next().unwrap_or(t).trim().to_string();
    let (bf, bt) = (base(from), base(to));
    (bf == "character varying"
        && (bt == "text" || (bt == "character varying" && widening(from, to))))
        || (bf == "text" && bt == "character varying" && !to.contains('('))
        || (bf == "numeric" && bt == "numeric" && widening(from, to))
}

/// Type changes that cannot lose data.
pub(crate) fn widening(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    let parse = |t: &str| -> (String, Vec<i64>) {
        match t.split_once('(') {
            Some((b, rest)) => (
                b.trim().to_string(),
                rest.trim_end_matches(')')
                    .split(',')
                    .filter_map(|x| x.trim().parse().ok())
                    .collect(),
            ),
            None => (t.trim().to_string(), vec![]),
        }
    };
    let (bf, mf) = parse(from);
    let (bt, mt) = parse(to);
    // Every value has a text form: nothing is lost on the way to text.
    if bt == "text" || (bt == "character varying" && mt.is_empty()) {
        return true;
    }
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(&bf), rank(&bt))
        && a <= b
        && (bt != "numeric" || mt.is_empty())
    {
        return true;
    }
    match (bf.as_str(), bt.as_str()) {
        ("character varying" | "character", "text") => true,
        ("character varying", "character varying") => {
            mt.is_empty() || mf.first().zip(mt.first()).is_some_and(|(a, b)| a <= b)
        }
        ("numeric", "numeric") => {
            mt.is_empty()
                || (mf.len() == 2
                    && mt.len() == 2
                    && mt[1] >= mf[1]
                    && mt[0] - mt[1] >= mf[0] - mf[1])
        }
        ("real", "double precision") => true,
        ("timestamp without time zone", "timestamp with time zone") => false,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_rules() {
        assert!(widening("integer", "bigint"));
        assert!(!widening("bigint", "integer"));
        assert!(widening("character varying(10)", "character varying(20)"));
        assert!(!widening("character varying(20)", "character varying(10)"));
        assert!(widening("numeric(10,2)", "numeric(12,2)"));
        assert!(!widening("numeric(10,2)", "numeric(10,3)"));
        assert!(widening("character varying(5)", "text"));
        assert!(!widening("text", "integer"));
        assert!(widening("integer", "text"));
        assert!(binary_coercible("character varying(10)", "text"));
        assert!(!binary_coercible("integer", "bigint"));
    }
}
