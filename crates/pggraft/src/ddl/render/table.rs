//! Tables: `CREATE TABLE` (or `PARTITION OF` when that reproduces the
//! partition exactly, else created and attached; `CREATE FOREIGN TABLE …
//! SERVER … OPTIONS` for a foreign table, its column options after it), the per-column
//! statements (NOT NULL not implied by the parent, defaults, storage,
//! compression, statistics, options, comments, grants), constraints (CHECKs
//! inline, the rest post-data), replica identity, row-level security and
//! policies. Many tables are rendered on a few threads. Indexes, triggers
//! and rules on a table are [`super::relations`]'s.

use super::foreign::options_sql;
use super::privileges::column_grants;
use super::{AclClass, Out, collate, phase, with_options};
use crate::catalog::model::*;
use crate::plan::{Revealed, Section, Stmt};
use crate::sql::{Ident, QualifiedName, ident};

pub(crate) fn column_sql(c: &Column) -> String {
    let mut s = format!("{} {}{}", ident(&c.name), c.type_name, collate(&c.collation));
    if let Some(g) = &c.generated {
        let kind = if c.generated_virtual { "VIRTUAL" } else { "STORED" };
        s.push_str(&format!(" GENERATED ALWAYS AS ({g}) {kind}"));
    }
    if let Some(id) = &c.identity {
        s.push_str(&format!(
            " GENERATED {} AS IDENTITY (SEQUENCE NAME {} START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{})",
            if id.always { "ALWAYS" } else { "BY DEFAULT" },
            id.sequence,
            id.start,
            id.increment,
            id.min_value,
            id.max_value,
            id.cache,
            if id.cycle { " CYCLE" } else { "" }
        ));
    }
    if c.not_null && !c.not_null_invalid {
        if let Some(n) = &c.not_null_name {
            s.push_str(&format!(" CONSTRAINT {}", ident(n)));
        }
        s.push_str(" NOT NULL");
        if c.not_null_no_inherit {
            s.push_str(" NO INHERIT");
        }
    }
    s
}

/// For a partition made with `PARTITION OF` on PostgreSQL 18+, the NOT NULL constraints that
/// must not take their parent's name (which they inherit by default), as elements of its
/// column list: one of its own name is asked for as the server names it
/// (`WITH OPTIONS NOT NULL`, as an attached partition's), another by name.
fn partition_not_nulls(t: &Table, parent: &Table, version: i32) -> Vec<String> {
    if version < crate::catalog::versions::NOT_NULL_NAMES_SINCE {
        return vec![];
    }
    let default = |table: &QualifiedName, c: &Column| format!("{}_{}_not_null", table.name, c.name);
    let mut out = vec![];
    for c in t.columns.iter().filter(|c| c.not_null && !c.not_null_invalid) {
        let Some(pc) = parent.columns.iter().find(|x| x.name == c.name && x.not_null) else {
            continue;
        };
        let inherited = pc.not_null_name.clone().unwrap_or_else(|| default(&parent.name, pc));
        match &c.not_null_name {
            Some(n) if *n == inherited => {}
            Some(n) => out.push(format!("    CONSTRAINT {} NOT NULL {}", ident(n), ident(&c.name))),
            None if default(&t.name, c) == inherited => {}
            None => out.push(format!("    {} WITH OPTIONS NOT NULL", ident(&c.name))),
        }
    }
    out
}

pub(crate) fn storage_word(s: &str) -> &'static str {
    match s {
        "p" => "PLAIN",
        "e" => "EXTERNAL",
        "m" => "MAIN",
        _ => "EXTENDED",
    }
}

pub(crate) fn policy_sql(table: &QualifiedName, p: &Policy) -> String {
    let mut s = format!("CREATE POLICY {} ON {table}", ident(&p.name));
    if !p.permissive {
        s.push_str(" AS RESTRICTIVE");
    }
    let cmd = match p.command.as_str() {
        "r" => "SELECT",
        "a" => "INSERT",
        "w" => "UPDATE",
        "d" => "DELETE",
        _ => "ALL",
    };
    s.push_str(&format!(" FOR {cmd}"));
    let roles: Vec<String> =
        p.roles.iter().map(|r| if r == "PUBLIC" { "PUBLIC".into() } else { ident(r) }).collect();
    s.push_str(&format!(" TO {}", roles.join(", ")));
    if let Some(u) = &p.using {
        s.push_str(&format!(" USING ({u})"));
    }
    if let Some(w) = &p.with_check {
        s.push_str(&format!(" WITH CHECK ({w})"));
    }
    s
}

/// Renders tables on a few threads when there are many: for 10,000 tables
/// this is most of `inspect`'s client time after the catalog is read. The
/// statements come back in the order of `tables`, as if rendered in turn.
pub(super) fn render_tables(o: &mut Out<'_>, tables: &[Table]) {
    const PER_THREAD: usize = 1000;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    if threads < 2 || tables.len() < 2 * PER_THREAD {
        for t in tables {
            render_table(o, t);
        }
        return;
    }
    let chunk = tables.len().div_ceil(threads);
    let (cat, opts, depends, by_name) = (o.cat, o.opts, o.depends, o.tables);
    let parts: Vec<Vec<Stmt>> = std::thread::scope(|scope| {
        let handles: Vec<_> = tables
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut sub = Out { cat, opts, depends, tables: by_name, stmts: vec![] };
                    for t in part {
                        render_table(&mut sub, t);
                    }
                    sub.stmts
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for part in parts {
        o.stmts.extend(part);
    }
}

fn render_table(o: &mut Out<'_>, t: &Table) {
    use Section::*;
    let k = key::relation(&t.name);
    let parent = t.partition_of.as_ref().and_then(|p| o.tables.get(&p.parent).copied());
    let partition_of_form = partition_of_form(t, parent);
    let mut deps = vec![key::schema(&t.name.schema)];
    for p in t.inherits.iter().chain(t.partition_of.as_ref().map(|p| &p.parent)) {
        deps.push(key::relation(p));
    }
    if let Some(of) = &t.of_type {
        deps.push(key::type_(of));
    }
    if let Some(f) = &t.foreign {
        deps.push(key::server(&f.server));
    }
    let parents: Vec<&Table> = t.inherits.iter().filter_map(|p| o.tables.get(p).copied()).collect();
    let inherits_form = inherits_form(t, &parents);
    let sql = create_table_sql(
        t,
        parent,
        partition_of_form,
        (&parents, inherits_form),
        o.cat.server_version,
    );
    let what = if t.foreign.is_some() { "foreign table" } else { "table" };
    match &t.foreign {
        Some(f) if !f.options.secret_names().is_empty() => {
            let shown = format!("{sql}{}", options_sql(&f.options, false));
            let revealed = format!("{sql}{}", options_sql(&f.options, true));
            o.create(PreData, phase::TABLE, k.clone(), deps, what, shown);
            o.stmts.last_mut().expect("just pushed").exec = Some(Revealed(revealed));
        }
        Some(f) => {
            let sql = format!("{sql}{}", options_sql(&f.options, false));
            o.create(PreData, phase::TABLE, k.clone(), deps, what, sql);
        }
        None => o.create(PreData, phase::TABLE, k.clone(), deps, what, sql),
    }
    if !inherits_form {
        for p in &t.inherits {
            o.about(
                PreData,
                phase::TABLE_ATTACH,
                &k,
                vec![key::relation(p)],
                "inherit",
                format!("ALTER TABLE {} INHERIT {p}", t.name),
            );
        }
    }
    if let (Some(po), false) = (&t.partition_of, partition_of_form) {
        o.about(
            PreData,
            phase::TABLE_ATTACH,
            &k,
            vec![key::relation(&po.parent)],
            "attach partition",
            format!("ALTER TABLE ONLY {} ATTACH PARTITION {} {}", po.parent, t.name, po.bound),
        );
    }
    let only = format!("ALTER TABLE ONLY {}", t.name);
    for c in &t.columns {
        render_column(o, t, c, (&k, &only), parent, partition_of_form);
    }
    let target = format!("{} {}", t.keyword(), t.name);
    o.owner(PreData, phase::TABLE, &k, target.clone(), &t.meta.owner);
    o.privileges(
        (PreData, phase::TABLE),
        &k,
        AclClass::Table,
        &t.name.to_string(),
        t.meta.owner.as_deref(),
        &t.meta.acl,
    );
    o.comment(PreData, phase::TABLE, &k, target, &t.meta.comment);

    for c in &t.constraints {
        render_constraint(o, t, c, &k, &only);
    }
    render_replica_identity(o, t, &k, &only);
    render_row_security(o, t, &k);
}

/// A partition is created with PARTITION OF when that reproduces it
/// exactly (same columns in the same order, none defined locally);
/// otherwise as a table of its own, then attached.
fn partition_of_form(t: &Table, parent: Option<&Table>) -> bool {
    match (&t.partition_of, parent) {
        (Some(_), Some(p)) => {
            t.columns.iter().all(|c| !c.is_local)
                && t.columns.iter().map(|c| &c.name).eq(p.columns.iter().map(|c| &c.name))
        }
        (Some(_), None) => false,
        _ => false,
    }
}

/// An inheritance child is created with INHERITS when that reproduces its
/// column order (its parents' columns first, then its own); a child whose
/// own columns come first (made on its own, then `INHERIT`ed) is made the
/// same way, when all its columns are its own.
fn inherits_form(t: &Table, parents: &[&Table]) -> bool {
    if t.inherits.is_empty() || t.columns.iter().any(|c| !c.is_local) {
        return true;
    }
    let mut merged: Vec<&str> = vec![];
    for p in parents {
        for c in &p.columns {
            if !merged.contains(&c.name.as_str()) {
                merged.push(&c.name);
            }
        }
    }
    for c in &t.columns {
        if !merged.contains(&c.name.as_str()) {
            merged.push(&c.name);
        }
    }
    t.columns.iter().map(|c| c.name.as_str()).eq(merged)
}

/// `CREATE TABLE`, with the table's own CHECK constraints inline (and, for
/// a partition or inheritance child created on its own, its parents',
/// which ATTACH PARTITION and INHERIT require). A foreign table's ends with
/// its `SERVER`: its options are the caller's (they may hold secrets).
fn create_table_sql(
    t: &Table,
    parent: Option<&Table>,
    partition_of_form: bool,
    (parents, inherits_form): (&[&Table], bool),
    version: i32,
) -> String {
    let local_checks: Vec<&Constraint> =
        t.constraints.iter().filter(|c| c.kind == "c" && c.is_local && c.validated).collect();
    let persistence = match (&t.foreign, t.unlogged) {
        (Some(_), _) => "FOREIGN ",
        (None, true) => "UNLOGGED ",
        (None, false) => "",
    };
    let mut sql;
    if let (Some(of), false) = (&t.of_type, partition_of_form) {
        // The columns are the type's; NOT NULL and defaults come after, per column.
        sql = format!("CREATE {persistence}TABLE {} OF {of}", t.name);
        if !local_checks.is_empty() {
            let items: Vec<String> = local_checks
                .iter()
                .map(|c| format!("    CONSTRAINT {} {}", ident(&c.name), c.definition))
                .collect();
            sql.push_str(&format!(" (\n{}\n)", items.join(",\n")));
        }
    } else if partition_of_form {
        let po = t.partition_of.as_ref().expect("partition");
        sql = format!("CREATE {persistence}TABLE {} PARTITION OF {}", t.name, po.parent);
        let mut items: Vec<String> =
            parent.map(|p| partition_not_nulls(t, p, version)).unwrap_or_default();
        items.extend(
            local_checks
                .iter()
                .map(|c| format!("    CONSTRAINT {} {}", ident(&c.name), c.definition)),
        );
        if !items.is_empty() {
            sql.push_str(&format!(" (\n{}\n)", items.join(",\n")));
        }
        sql.push_str(&format!("\n{}", po.bound));
    } else {
        let mut items: Vec<String> = t
            .columns
            .iter()
            .filter(|c| {
                c.is_local || t.partition_of.is_some() || t.inherits.is_empty() || !inherits_form
            })
            .map(|c| format!("    {}", column_sql(c)))
            .collect();
        let mut checks: Vec<&Constraint> = local_checks.clone();
        let own_parents = if inherits_form { &[][..] } else { parents };
        for p in parent.into_iter().chain(own_parents.iter().copied()) {
            // ATTACH PARTITION requires the parent's CHECK constraints.
            for c in p.constraints.iter().filter(|c| c.kind == "c" && c.validated) {
                if !checks.iter().any(|x| x.name == c.name) {
                    checks.push(c);
                }
            }
        }
        items.extend(
            checks.iter().map(|c| format!("    CONSTRAINT {} {}", ident(&c.name), c.definition)),
        );
        sql = format!("CREATE {persistence}TABLE {} (\n{}\n)", t.name, items.join(",\n"));
        if !t.inherits.is_empty() && inherits_form {
            let ps: Vec<String> = t.inherits.iter().map(|p| p.to_string()).collect();
            sql.push_str(&format!("\nINHERITS ({})", ps.join(", ")));
        }
    }
    if let Some(f) = &t.foreign {
        sql.push_str(&format!("\nSERVER {}", ident(&f.server)));
        return sql;
    }
    if let Some(pk) = &t.partition_key {
        sql.push_str(&format!("\nPARTITION BY {pk}"));
    }
    if let Some(am) = &t.access_method {
        sql.push_str(&format!("\nUSING {}", ident(am)));
    }
    sql.push_str(&with_options(&t.options));
    sql
}

/// The statements about one column beyond its definition in `CREATE
/// TABLE`; `(k, only)` are the table's key and its `ALTER TABLE ONLY`.
fn render_column(
    o: &mut Out<'_>,
    t: &Table,
    c: &Column,
    (k, only): (&str, &str),
    parent: Option<&Table>,
    partition_of_form: bool,
) {
    use Section::*;
    let col = Ident(&c.name);
    let inherited_not_null = partition_of_form
        && parent
            .and_then(|p| p.columns.iter().find(|x| x.name == c.name))
            .is_some_and(|x| x.not_null);
    let typed = t.of_type.is_some() && !partition_of_form;
    let named = c.not_null_name.as_ref().map(|n| format!("CONSTRAINT {} ", ident(n)));
    let no_inherit = if c.not_null_no_inherit { " NO INHERIT" } else { "" };
    let set_not_null = if named.is_some() || c.not_null_no_inherit {
        format!("{only} ADD {}NOT NULL {col}{no_inherit}", named.clone().unwrap_or_default())
    } else {
        format!("{only} ALTER COLUMN {col} SET NOT NULL")
    };
    if c.not_null_invalid {
        // After the data: a NOT VALID NOT NULL still refuses the NULLs of new rows.
        o.about(
            PostData,
            phase::CHECK,
            k,
            vec![],
            "not null",
            format!("{only} ADD {}NOT NULL {col}{no_inherit} NOT VALID", named.unwrap_or_default()),
        );
    } else {
        if (partition_of_form && c.not_null && !inherited_not_null) || (typed && c.not_null) {
            o.about(PreData, phase::COLUMN, k, vec![], "not null", set_not_null.clone());
        }
        if !c.is_local && !t.inherits.is_empty() {
            // Inherited columns get their parent's NOT NULL; a child's own
            // NOT NULL on an inherited column must be added.
            let parent_nn = t.inherits.iter().filter_map(|p| o.tables.get(p).copied()).any(|p| {
                p.columns.iter().any(|x| x.name == c.name && x.not_null && !x.not_null_no_inherit)
            });
            if c.not_null && !parent_nn {
                o.about(PreData, phase::COLUMN, k, vec![], "not null", set_not_null);
            }
        }
    }
    if let Some(id) = &c.identity {
        o.privileges(
            (PreData, phase::OWNED_BY),
            k,
            AclClass::Sequence,
            &id.sequence.to_string(),
            t.meta.owner.as_deref(),
            &id.acl,
        );
    }
    if let Some(d) = &c.default {
        let dk = key::default(&t.name, &c.name);
        o.create(
            PreData,
            phase::DEFAULT,
            dk,
            vec![k.to_string()],
            "default",
            format!("{only} ALTER COLUMN {col} SET DEFAULT {d}"),
        );
    }
    if let Some(s) = &c.storage {
        o.about(
            PreData,
            phase::COLUMN,
            k,
            vec![],
            "storage",
            format!("{only} ALTER COLUMN {col} SET STORAGE {}", storage_word(s)),
        );
    }
    if let Some(cm) = &c.compression {
        o.about(
            PreData,
            phase::COLUMN,
            k,
            vec![],
            "compression",
            format!("ALTER TABLE {} ALTER COLUMN {col} SET COMPRESSION {}", t.name, ident(cm)),
        );
    }
    if let Some(st) = c.statistics {
        o.about(
            PreData,
            phase::COLUMN,
            k,
            vec![],
            "statistics",
            format!("{only} ALTER COLUMN {col} SET STATISTICS {st}"),
        );
    }
    if !c.options.is_empty() {
        o.about(
            PreData,
            phase::COLUMN,
            k,
            vec![],
            "column options",
            format!("{only} ALTER COLUMN {col} SET ({})", c.options.join(", ")),
        );
    }
    if !c.fdw_options.is_empty() {
        let alter = format!("ALTER FOREIGN TABLE ONLY {} ALTER COLUMN {col}", t.name);
        o.about(
            PreData,
            phase::COLUMN,
            k,
            vec![],
            "column options",
            format!("{alter}{}", options_sql(&c.fdw_options, false)),
        );
        if !c.fdw_options.secret_names().is_empty() {
            let revealed = format!("{alter}{}", options_sql(&c.fdw_options, true));
            o.stmts.last_mut().expect("just pushed").exec = Some(Revealed(revealed));
        }
    }
    o.comment(PreData, phase::TABLE, k, format_args!("COLUMN {}.{col}", t.name), &c.comment);
    if let (true, Some(acl)) = (o.opts.privileges, &c.acl) {
        for sql in column_grants(&t.name, &c.name, acl) {
            o.about(PreData, phase::TABLE, k, vec![], "privileges", sql);
        }
    }
}

/// A constraint that is not inline in `CREATE TABLE` (post-data; a key
/// through its index first with `keys_via_index`), and its comment.
fn render_constraint(o: &mut Out<'_>, t: &Table, c: &Constraint, k: &str, only: &str) {
    use Section::*;
    let partitioned = t.partition_key.is_some();
    let ck = key::constraint(&t.name, &c.name);
    let inline = c.kind == "c" && c.is_local && c.validated;
    if !inline {
        // FKs cloned onto partitions come with their parent's FK, and so do exclusion
        // constraints: PostgreSQL 17 and 18 refuse to attach a partition's exclusion index to
        // its parent's (ALTER INDEX … ATTACH PARTITION: "the index definitions do not match",
        // pg_dump's own restore fails the same way), so the parent's is added without ONLY,
        // which builds its partitions' (named as the server names them, as the source's were).
        if (c.kind == "f" || c.kind == "x") && c.has_parent {
            return;
        }
        if c.kind == "c" && !c.is_local {
            return;
        }
        let (ph, what) = match c.kind.as_str() {
            "f" => (phase::FK, "foreign key"),
            "c" => (phase::CHECK, "check"),
            _ => (phase::KEY, "constraint"),
        };
        // CHECK constraints must reach inheritance children (ONLY is
        // refused once a table has children); FKs on partitioned tables
        // cannot use ONLY.
        let alter = if c.kind == "c" || (partitioned && c.kind != "p" && c.kind != "u") {
            format!("ALTER TABLE {}", t.name)
        } else {
            only.to_string()
        };
        let mut extra = vec![k.to_string()];
        if let Some(r) = &c.references {
            extra.push(key::relation(r));
        }
        // Not an inheritance child's primary key: on PostgreSQL 18, `ADD PRIMARY KEY USING
        // INDEX` makes the NOT NULL it inherits its own (`conislocal`), which `ADD PRIMARY
        // KEY (…)` leaves as it is (pg_dump then prints the constraint on the child).
        let inherited_key = c.kind == "p" && !t.inherits.is_empty();
        let via_index = o.opts.keys_via_index
            && !partitioned
            && !inherited_key
            && (c.kind == "p" || c.kind == "u");
        // Only a btree unique index can become a key: a key WITHOUT OVERLAPS (PostgreSQL 18)
        // has a GiST index, which CREATE UNIQUE INDEX refuses.
        let btree = c.index_definition.as_deref().is_some_and(|d| d.contains(" USING btree "));
        if let (true, true, Some(idx), Some(idef)) =
            (via_index, btree, &c.index, &c.index_definition)
        {
            let ik = key::index(&QualifiedName::new(&t.name.schema, idx));
            o.create(
                PostData,
                phase::INDEX,
                ik.clone(),
                vec![k.to_string()],
                "index",
                idef.clone(),
            );
            extra.push(ik);
            let mut sql = format!(
                "{only} ADD CONSTRAINT {} {} USING INDEX {}",
                ident(&c.name),
                if c.kind == "p" { "PRIMARY KEY" } else { "UNIQUE" },
                ident(idx)
            );
            if c.deferrable {
                sql.push_str(" DEFERRABLE");
            }
            if c.deferred {
                sql.push_str(" INITIALLY DEFERRED");
            }
            o.create(PostData, ph, ck.clone(), extra, what, sql);
        } else {
            o.create(
                PostData,
                ph,
                ck.clone(),
                extra,
                what,
                format!("{alter} ADD CONSTRAINT {} {}", ident(&c.name), c.definition),
            );
        }
        if let (true, Some(idx)) = (c.clustered, &c.index) {
            o.about(
                PostData,
                phase::TABLE_POST,
                &ck,
                vec![],
                "cluster on",
                format!("ALTER TABLE {} CLUSTER ON {}", t.name, ident(idx)),
            );
        }
    }
    let sec = if inline { PreData } else { PostData };
    o.comment(
        sec,
        phase::KEY,
        &ck,
        format_args!("CONSTRAINT {} ON {}", ident(&c.name), t.name),
        &c.comment,
    );
}

/// `REPLICA IDENTITY`, when not the default (foreign tables have none).
fn render_replica_identity(o: &mut Out<'_>, t: &Table, k: &str, only: &str) {
    use Section::*;
    if t.foreign.is_some() {
        return;
    }
    match t.replica_identity.as_str() {
        "f" => o.about(
            PostData,
            phase::TABLE_POST,
            k,
            vec![],
            "replica identity",
            format!("{only} REPLICA IDENTITY FULL"),
        ),
        "n" => o.about(
            PostData,
            phase::TABLE_POST,
            k,
            vec![],
            "replica identity",
            format!("{only} REPLICA IDENTITY NOTHING"),
        ),
        "i" => {
            if let Some(idx) = &t.replica_identity_index {
                let iq = QualifiedName::new(&t.name.schema, idx);
                let dep = t
                    .constraints
                    .iter()
                    .find(|c| c.index.as_deref() == Some(idx.as_str()))
                    .map(|c| key::constraint(&t.name, &c.name))
                    .unwrap_or_else(|| key::index(&iq));
                o.about(
                    PostData,
                    phase::TABLE_POST,
                    k,
                    vec![dep],
                    "replica identity",
                    format!("{only} REPLICA IDENTITY USING INDEX {}", ident(idx)),
                );
            }
        }
        _ => {}
    }
}

/// Row-level security and the table's policies.
fn render_row_security(o: &mut Out<'_>, t: &Table, k: &str) {
    use Section::*;
    if t.rls_enabled {
        o.about(
            PostData,
            phase::POLICY,
            k,
            vec![],
            "row security",
            format!("ALTER TABLE {} ENABLE ROW LEVEL SECURITY", t.name),
        );
    }
    if t.rls_forced {
        o.about(
            PostData,
            phase::POLICY,
            k,
            vec![],
            "row security",
            format!("ALTER TABLE {} FORCE ROW LEVEL SECURITY", t.name),
        );
    }
    for p in &t.policies {
        let pk = key::policy(&t.name, &p.name);
        o.create(
            PostData,
            phase::POLICY,
            pk.clone(),
            vec![k.to_string()],
            "policy",
            policy_sql(&t.name, p),
        );
        o.comment(
            PostData,
            phase::POLICY,
            &pk,
            format_args!("POLICY {} ON {}", ident(&p.name), t.name),
            &p.comment,
        );
    }
}
