//! Renames: what the user says was renamed (`--rename app.users=people`,
//! `--rename app.users.mail=email`) becomes `ALTER … RENAME`, run first,
//! instead of a drop and a create that lose the rows. The rest of the
//! diff is taken from FROM as it is after the renames: PostgreSQL carries
//! the new names into what refers to the table or column by reference
//! (indexes, constraints, foreign keys from other tables, generated
//! columns, partition keys, sequences' owners), and this module writes
//! them into a copy of FROM the same way. What holds the old name as text
//! PostgreSQL prints differently after a rename (views, triggers, rules,
//! policies, SQL-standard function bodies) is left as FROM had it: it
//! differs from TO's, so the diff replaces or recreates it.
//!
//! And the other way round: a dropped table or column that looks like a
//! renamed one (same columns, or same type at the same place) is named in
//! the drop's hazard, with the `--rename` that would keep its rows.

use super::Rename;
use super::engine::change;
use super::{Change, DiffOptions};
use crate::catalog::model::*;
use crate::error::{Error, Result};
use crate::sql::{QualifiedName, ident, ident_value, tokenize};

/// A rename hint resolved against both catalogs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Resolved {
    Table {
        old: QualifiedName,
        new: QualifiedName,
    },
    /// `table` is the table's name in FROM.
    Column {
        table: QualifiedName,
        old: String,
        new: String,
    },
}

/// The hints of `opts` resolved: against FROM and TO as given, or, for the
/// way back ([`DiffOptions::reversed`]), as written for the way up and
/// turned around.
pub(super) fn resolve(opts: &DiffOptions, from: &Catalog, to: &Catalog) -> Result<Vec<Resolved>> {
    if opts.renames_reversed {
        let up = resolve_hints(&opts.renames, to, from)?;
        // Down, a column is renamed in its table's TO name (FROM's, up).
        let new_table = |t: &QualifiedName| {
            up.iter()
                .find_map(|r| match r {
                    Resolved::Table { old, new } if old == t => Some(new.clone()),
                    _ => None,
                })
                .unwrap_or_else(|| t.clone())
        };
        Ok(up
            .iter()
            .map(|r| match r {
                Resolved::Table { old, new } => {
                    Resolved::Table { old: new.clone(), new: old.clone() }
                }
                Resolved::Column { table, old, new } => {
                    Resolved::Column { table: new_table(table), old: new.clone(), new: old.clone() }
                }
            })
            .collect())
    } else {
        resolve_hints(&opts.renames, from, to)
    }
}

fn resolve_hints(hints: &[Rename], from: &Catalog, to: &Catalog) -> Result<Vec<Resolved>> {
    let bad = |h: &Rename, why: String| {
        Error::input(format!("--rename {}={}: {why}", path_text(&h.path), ident(&h.new_name)))
    };
    let find_table = |name: &str| -> Vec<&Table> {
        from.tables.iter().filter(|t| t.name.name == name).collect()
    };
    let mut tables = vec![];
    let mut columns = vec![];
    for h in hints {
        let (table, column) = match h.path.as_slice() {
            [t] => (unique(find_table(t)).map_err(|why| bad(h, why))?, None),
            [a, b] => match from.table(&QualifiedName::new(a, b)) {
                Some(t) => (t, None),
                None => (unique(find_table(a)).map_err(|why| bad(h, why))?, Some(b.clone())),
            },
            [s, t, c] => match from.table(&QualifiedName::new(s, t)) {
                Some(t) => (t, Some(c.clone())),
                None => {
                    return Err(bad(h, format!("FROM has no table {}", QualifiedName::new(s, t))));
                }
            },
            _ => return Err(bad(h, "too many name parts".into())),
        };
        match column {
            None => {
                let new = QualifiedName::new(&table.name.schema, &h.new_name);
                if to.table(&new).is_none() {
                    return Err(bad(h, format!("TO has no table {new}")));
                }
                if from.table(&new).is_some() || to.table(&table.name).is_some() {
                    return Err(bad(
                        h,
                        format!("both sides have {} or {new}: nothing to rename", table.name),
                    ));
                }
                tables.push(Resolved::Table { old: table.name.clone(), new });
            }
            Some(c) => columns.push((table, c, h)),
        }
    }
    let mut out = tables.clone();
    for (table, old, h) in columns {
        let to_name = tables
            .iter()
            .find_map(|r| match r {
                Resolved::Table { old, new } if *old == table.name => Some(new.clone()),
                _ => None,
            })
            .unwrap_or_else(|| table.name.clone());
        let Some(to_table) = to.table(&to_name) else {
            return Err(bad(h, format!("TO has no table {to_name}")));
        };
        let has = |t: &Table, c: &str| t.columns.iter().any(|x| x.name == c);
        if !has(table, &old) {
            return Err(bad(h, format!("{} has no column {}", table.name, ident(&old))));
        }
        if !has(to_table, &h.new_name) || has(to_table, &old) || has(table, &h.new_name) {
            return Err(bad(
                h,
                format!(
                    "TO's {to_name} must have {} and not {}, and FROM's not {}",
                    ident(&h.new_name),
                    ident(&old),
                    ident(&h.new_name)
                ),
            ));
        }
        out.push(Resolved::Column { table: table.name.clone(), old, new: h.new_name.clone() });
    }
    Ok(out)
}

fn unique(found: Vec<&Table>) -> std::result::Result<&Table, String> {
    match found.as_slice() {
        [t] => Ok(t),
        [] => Err("FROM has no such table".into()),
        _ => Err(format!(
            "tables of that name are in several schemas ({}): name the schema",
            found.iter().map(|t| ident(&t.name.schema)).collect::<Vec<_>>().join(", ")
        )),
    }
}

fn path_text(path: &[String]) -> String {
    path.iter().map(|p| ident(p)).collect::<Vec<_>>().join(".")
}

/// The `ALTER … RENAME` statements, tables first (a column is renamed in
/// its table's new name).
pub(super) fn statements(renames: &[Resolved]) -> Vec<Change> {
    let mut out = vec![];
    for r in renames {
        if let Resolved::Table { old, new } = r {
            let k = key::relation(new);
            out.push(change(
                format!("ALTER TABLE {old} RENAME TO {}", ident(&new.name)),
                &k,
                "rename",
            ));
        }
    }
    for r in renames {
        if let Resolved::Column { table, old, new } = r {
            let t = renamed_table(renames, table);
            out.push(change(
                format!("ALTER TABLE {t} RENAME COLUMN {} TO {}", ident(old), ident(new)),
                &key::relation(&t),
                "rename",
            ));
        }
    }
    out
}

fn renamed_table(renames: &[Resolved], t: &QualifiedName) -> QualifiedName {
    renames
        .iter()
        .find_map(|r| match r {
            Resolved::Table { old, new } if old == t => Some(new.clone()),
            _ => None,
        })
        .unwrap_or_else(|| t.clone())
}

/// FROM as it is after the renames (see the module doc), and the renames
/// of what follows the table's name: its constraints, indexes and
/// sequences that TO has under other names but the same definition
/// (`users_pkey` → `people_pkey`, `users_id_seq` → `people_id_seq`).
pub(super) fn apply(from: &Catalog, to: &Catalog, renames: &[Resolved]) -> (Catalog, Vec<Change>) {
    let mut cat = from.clone();
    for r in renames {
        if let Resolved::Table { old, new } = r {
            rename_table(&mut cat, old, new);
        }
    }
    for r in renames {
        if let Resolved::Column { table, old, new } = r {
            let t = renamed_table(renames, table);
            rename_column(&mut cat, &t, old, new);
        }
    }
    let mut follow = vec![];
    let mut tables: Vec<QualifiedName> = vec![];
    for r in renames {
        let t = match r {
            Resolved::Table { new, .. } => new.clone(),
            Resolved::Column { table, .. } => renamed_table(renames, table),
        };
        if !tables.contains(&t) {
            tables.push(t);
        }
    }
    for t in &tables {
        if let Some(tt) = to.table(t) {
            follow.extend(follow_sequences(&mut cat, to, tt));
            follow.extend(follow_constraints(&mut cat, tt));
            follow.extend(follow_indexes(&mut cat, to, t));
        }
    }
    (cat, follow)
}

/// The table's constraints that TO names differently, same definition.
fn follow_constraints(cat: &mut Catalog, tt: &Table) -> Vec<Change> {
    let Some(t) = cat.tables.iter().position(|x| x.name == tt.name) else { return vec![] };
    let mut out = vec![];
    let mut moves = vec![];
    let ours = &cat.tables[t];
    for c in &ours.constraints {
        if tt.constraints.iter().any(|x| x.name == c.name) {
            continue;
        }
        let same = |x: &&Constraint| {
            x.kind == c.kind
                && x.definition == c.definition
                && x.references == c.references
                && !ours.constraints.iter().any(|y| y.name == x.name)
        };
        let found: Vec<&Constraint> = tt.constraints.iter().filter(same).collect();
        if let [x] = found.as_slice() {
            moves.push((c.name.clone(), x.name.clone(), c.index.clone(), x.index.clone()));
        }
    }
    let table = tt.name.clone();
    for (old, new, old_index, new_index) in moves {
        let k = key::constraint(&table, &new);
        out.push(change(
            format!("ALTER TABLE {table} RENAME CONSTRAINT {} TO {}", ident(&old), ident(&new)),
            &k,
            "rename",
        ));
        for c in &mut cat.tables[t].constraints {
            if c.name == old {
                c.name = new.clone();
                c.index = new_index.clone();
                if let (Some(d), Some(oi), Some(ni)) =
                    (&mut c.index_definition, &old_index, &new_index)
                {
                    *d = d.replacen(
                        &format!("INDEX {} ON", ident(oi)),
                        &format!("INDEX {} ON", ident(ni)),
                        1,
                    );
                }
            }
        }
        rekey(cat, &key::constraint(&table, &old), &k);
        if let (Some(oi), Some(ni)) = (old_index, new_index) {
            let (o, n) =
                (QualifiedName::new(&table.schema, oi), QualifiedName::new(&table.schema, ni));
            for x in cat.tables.iter_mut().flat_map(|x| x.constraints.iter_mut()) {
                if x.index_parent.as_ref() == Some(&o) {
                    x.index_parent = Some(n.clone());
                }
            }
            for i in &mut cat.indexes {
                if i.parent.as_ref() == Some(&o) {
                    i.parent = Some(n.clone());
                }
            }
        }
    }
    out
}

/// The table's indexes (not backing a constraint) that TO names
/// differently, same definition.
fn follow_indexes(cat: &mut Catalog, to: &Catalog, table: &QualifiedName) -> Vec<Change> {
    let body = |i: &Index| i.definition.split_once(" ON ").map(|(_, b)| b.to_string());
    let mut moves = vec![];
    for i in cat.indexes.iter().filter(|i| &i.table == table) {
        if to.indexes.iter().any(|x| x.name == i.name) {
            continue;
        }
        let found: Vec<&Index> = to
            .indexes
            .iter()
            .filter(|x| &x.table == table && body(x) == body(i) && x.unique == i.unique)
            .filter(|x| !cat.indexes.iter().any(|y| y.name == x.name))
            .collect();
        if let [x] = found.as_slice() {
            moves.push((i.name.clone(), x.name.clone()));
        }
    }
    let mut out = vec![];
    for (old, new) in moves {
        out.push(change(
            format!("ALTER INDEX {old} RENAME TO {}", ident(&new.name)),
            &key::index(&new),
            "rename",
        ));
        for i in &mut cat.indexes {
            if i.name == old {
                i.definition = i.definition.replacen(
                    &format!("INDEX {} ON", ident(&old.name)),
                    &format!("INDEX {} ON", ident(&new.name)),
                    1,
                );
                i.name = new.clone();
            }
            if i.parent.as_ref() == Some(&old) {
                i.parent = Some(new.clone());
            }
        }
        rekey(cat, &key::index(&old), &key::index(&new));
    }
    out
}

/// Sequences owned by the table's columns (serial and identity) that TO
/// names differently: the defaults that name them follow.
fn follow_sequences(cat: &mut Catalog, to: &Catalog, tt: &Table) -> Vec<Change> {
    let mut out = vec![];
    let Some(t) = cat.tables.iter().position(|x| x.name == tt.name) else { return out };
    // Identity sequences.
    let mut identity_moves = vec![];
    for c in &cat.tables[t].columns {
        let (Some(a), Some(b)) = (
            c.identity.as_ref(),
            tt.columns.iter().find(|x| x.name == c.name).and_then(|x| x.identity.as_ref()),
        ) else {
            continue;
        };
        if a.sequence != b.sequence {
            identity_moves.push((c.name.clone(), a.sequence.clone(), b.sequence.clone()));
        }
    }
    for (col, old, new) in identity_moves {
        out.push(change(
            format!("ALTER SEQUENCE {old} RENAME TO {}", ident(&new.name)),
            &key::relation(&tt.name),
            "rename",
        ));
        for c in &mut cat.tables[t].columns {
            if c.name == col
                && let Some(i) = &mut c.identity
            {
                i.sequence = new.clone();
            }
        }
    }
    // Serial-style sequences: owned by a column, named in its default.
    let mut moves = vec![];
    for s in &cat.sequences {
        let Some((ot, col)) = &s.owned_by else { continue };
        if ot != &tt.name || to.sequences.iter().any(|x| x.name == s.name) {
            continue;
        }
        let found: Vec<&Sequence> = to
            .sequences
            .iter()
            .filter(|x| x.owned_by.as_ref() == Some(&(ot.clone(), col.clone())))
            .filter(|x| !cat.sequences.iter().any(|y| y.name == x.name))
            .filter(|x| {
                Sequence { name: s.name.clone(), meta: s.meta.clone(), ..(*x).clone() } == *s
            })
            .collect();
        if let [x] = found.as_slice() {
            moves.push((s.name.clone(), x.name.clone()));
        }
    }
    for (old, new) in moves {
        out.push(change(
            format!("ALTER SEQUENCE {old} RENAME TO {}", ident(&new.name)),
            &key::sequence(&new),
            "rename",
        ));
        for s in &mut cat.sequences {
            if s.name == old {
                s.name = new.clone();
            }
        }
        let (o, n) = (crate::sql::literal(&old.to_string()), crate::sql::literal(&new.to_string()));
        for c in cat.tables.iter_mut().flat_map(|x| x.columns.iter_mut()) {
            if let Some(d) = &mut c.default {
                *d = d.replace(&format!("{o}::regclass"), &format!("{n}::regclass"));
            }
        }
        rekey(cat, &key::sequence(&old), &key::sequence(&new));
    }
    out
}

/// Renames a key in the dependencies.
fn rekey(cat: &mut Catalog, old: &str, new: &str) {
    let rk = |k: &String| if k == old { new.to_string() } else { k.clone() };
    cat.depends =
        cat.depends.iter().map(|(k, deps)| (rk(k), deps.iter().map(&rk).collect())).collect();
}

fn rename_table(cat: &mut Catalog, old: &QualifiedName, new: &QualifiedName) {
    let (o, n) = (old.to_string(), new.to_string());
    for t in &mut cat.tables {
        if &t.name == old {
            t.name = new.clone();
            for c in &mut t.constraints {
                if let Some(d) = &mut c.index_definition {
                    *d = d.replacen(&format!(" ON {o} "), &format!(" ON {n} "), 1).replacen(
                        &format!(" ON ONLY {o} "),
                        &format!(" ON ONLY {n} "),
                        1,
                    );
                }
            }
        }
        if let Some(p) = &mut t.partition_of
            && &p.parent == old
        {
            p.parent = new.clone();
        }
        for p in &mut t.inherits {
            if p == old {
                *p = new.clone();
            }
        }
        for c in &mut t.constraints {
            if c.references.as_ref() == Some(old) {
                c.references = Some(new.clone());
                c.definition =
                    c.definition.replace(&format!("REFERENCES {o}("), &format!("REFERENCES {n}("));
            }
        }
    }
    for i in &mut cat.indexes {
        if &i.table == old {
            i.table = new.clone();
            i.definition = i
                .definition
                .replacen(&format!(" ON {o} "), &format!(" ON {n} "), 1)
                .replacen(&format!(" ON ONLY {o} "), &format!(" ON ONLY {n} "), 1);
        }
    }
    for tr in &mut cat.triggers {
        if &tr.table == old {
            tr.table = new.clone();
            tr.definition = tr.definition.replacen(&format!(" ON {o} "), &format!(" ON {n} "), 1);
        }
    }
    for r in &mut cat.rules {
        if &r.table == old {
            r.table = new.clone();
        }
    }
    for s in &mut cat.statistics {
        if &s.table == old {
            s.table = new.clone();
            s.definition = s.definition.replace(&format!(" FROM {o}"), &format!(" FROM {n}"));
        }
    }
    for s in &mut cat.sequences {
        if let Some((t, _)) = &mut s.owned_by
            && t == old
        {
            *t = new.clone();
        }
    }
    let rk = |k: &String| -> String {
        if *k == key::relation(old) {
            return key::relation(new);
        }
        if let Some(rest) = k.strip_prefix(&format!("default {o}.")) {
            return format!("default {n}.{rest}");
        }
        // Sub-objects' keys end with their table: `constraint c.<table>`.
        let suffix = format!(".{o}");
        if !k.starts_with("relation ") && k.ends_with(&suffix) {
            return format!("{}.{n}", &k[..k.len() - suffix.len()]);
        }
        k.clone()
    };
    cat.depends =
        cat.depends.iter().map(|(k, deps)| (rk(k), deps.iter().map(&rk).collect())).collect();
}

fn rename_column(cat: &mut Catalog, table: &QualifiedName, old: &str, new: &str) {
    // The table and its partitions and inheritors that have the column.
    let mut family = vec![table.clone()];
    let mut i = 0;
    while i < family.len() {
        let parent = family[i].clone();
        for t in &cat.tables {
            let child = t.partition_of.as_ref().is_some_and(|p| p.parent == parent)
                || t.inherits.contains(&parent);
            if child && !family.contains(&t.name) && t.columns.iter().any(|c| c.name == old) {
                family.push(t.name.clone());
            }
        }
        i += 1;
    }
    let names: Vec<String> = family.iter().map(|t| t.to_string()).collect();
    for t in &mut cat.tables {
        let in_family = family.contains(&t.name);
        if in_family {
            for c in &mut t.columns {
                if c.name == old {
                    c.name = new.to_string();
                }
                if let Some(g) = &mut c.generated {
                    *g = rename_idents(g, old, new);
                }
            }
            if let Some(pk) = &mut t.partition_key {
                *pk = rename_idents(pk, old, new);
            }
        }
        for c in &mut t.constraints {
            if in_family && c.kind != "f" {
                c.definition = rename_idents(&c.definition, old, new);
                if let Some(d) = &mut c.index_definition {
                    *d = after_using(d, old, new);
                }
            }
            if in_family && c.kind == "f" {
                // `FOREIGN KEY (cols) REFERENCES …`: this table's columns.
                if let Some((cols, rest)) = c.definition.split_once(" REFERENCES ") {
                    c.definition = format!("{} REFERENCES {rest}", rename_idents(cols, old, new));
                }
            }
            if c.kind == "f"
                && c.references.as_ref().is_some_and(|r| family.contains(r))
                && let Some((head, rest)) = c.definition.split_once(" REFERENCES ")
                && let Some((target, tail)) = rest.split_once('(')
                && let Some((cols, after)) = tail.split_once(')')
            {
                c.definition =
                    format!("{head} REFERENCES {target}({}){after}", rename_idents(cols, old, new));
            }
        }
    }
    for i in &mut cat.indexes {
        if names.contains(&i.table.to_string()) {
            i.definition = after_using(&i.definition, old, new);
        }
    }
    for s in &mut cat.statistics {
        if names.contains(&s.table.to_string())
            && let Some((head, rest)) = s.definition.split_once(" ON ")
            && let Some((cols, tail)) = rest.rsplit_once(" FROM ")
        {
            s.definition = format!("{head} ON {} FROM {tail}", rename_idents(cols, old, new));
        }
    }
    for s in &mut cat.sequences {
        if let Some((t, c)) = &mut s.owned_by
            && names.contains(&t.to_string())
            && c == old
        {
            *c = new.to_string();
        }
    }
    let moved: Vec<(String, String)> =
        family.iter().map(|t| (key::default(t, old), key::default(t, new))).collect();
    let rk = |k: &String| {
        moved.iter().find(|(o, _)| o == k).map_or_else(|| k.clone(), |(_, n)| n.clone())
    };
    cat.depends =
        cat.depends.iter().map(|(k, deps)| (rk(k), deps.iter().map(&rk).collect())).collect();
}

/// An index definition with the column renamed after `USING` (before it
/// are the index's and the table's names).
fn after_using(def: &str, old: &str, new: &str) -> String {
    match def.split_once(" USING ") {
        Some((head, tail)) => format!("{head} USING {}", rename_idents(tail, old, new)),
        None => def.to_string(),
    }
}

/// `sql` with every identifier naming `old` (not a function called so, not
/// after a `.`) written as `new`, quoted as PostgreSQL prints it.
fn rename_idents(sql: &str, old: &str, new: &str) -> String {
    let tokens = tokenize(sql);
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for (i, t) in tokens.iter().enumerate() {
        if !t.is_ident() || ident_value(t.text(sql)) != old {
            continue;
        }
        let next = tokens[i + 1..].iter().find(|x| !x.is_trivia());
        let prev = tokens[..i].iter().rev().find(|x| !x.is_trivia());
        if next.is_some_and(|x| x.is_punct(sql, "(")) || prev.is_some_and(|x| x.is_punct(sql, "."))
        {
            continue;
        }
        out.push_str(&sql[last..t.span.start]);
        out.push_str(&ident(new));
        last = t.span.end;
    }
    out.push_str(&sql[last..]);
    out
}

/// "Looks like a rename" hints for a table dropped while TO has one that
/// FROM has not, in the same schema, with the same columns.
pub(super) fn table_lookalike(from: &Catalog, to: &Catalog, dropped: &Table) -> Option<String> {
    let shape = |t: &Table| -> Vec<(String, String)> {
        t.columns.iter().map(|c| (c.name.clone(), c.type_name.clone())).collect()
    };
    let mine = shape(dropped);
    let candidates: Vec<&Table> = to
        .tables
        .iter()
        .filter(|t| t.name.schema == dropped.name.schema && from.table(&t.name).is_none())
        .filter(|t| shape(t) == mine)
        .collect();
    match candidates.as_slice() {
        [t] => Some(format!(
            "looks like a rename to {}: pass --rename '{}={}' to keep its rows",
            t.name,
            dropped.name,
            ident(&t.name.name)
        )),
        _ => None,
    }
}

/// "Looks like a rename" for a column dropped while one of the same type
/// is added at the same position.
pub(super) fn column_lookalike(a: &Table, b: &Table, dropped: &Column) -> Option<String> {
    let pos = a.columns.iter().position(|c| c.name == dropped.name)?;
    let there = b.columns.get(pos)?;
    let added = !a.columns.iter().any(|c| c.name == there.name);
    (added && there.type_name == dropped.type_name).then(|| {
        format!(
            "looks like a rename to {}: pass --rename '{}.{}={}' to keep its data",
            ident(&there.name),
            b.name,
            ident(&dropped.name),
            ident(&there.name)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_identifiers_but_not_functions_or_qualified_names() {
        assert_eq!(
            rename_idents("CHECK ((mail <> ''::text))", "mail", "email"),
            "CHECK ((email <> ''::text))"
        );
        assert_eq!(rename_idents("(lower(mail))", "mail", "e mail"), "(lower(\"e mail\"))");
        assert_eq!(rename_idents("mail(x), t.mail, \"mail\"", "mail", "m"), "mail(x), t.mail, m");
        assert_eq!(
            after_using("CREATE INDEX mail ON app.t USING btree (mail)", "mail", "email"),
            "CREATE INDEX mail ON app.t USING btree (email)"
        );
    }
}
