//! Rewriting references inside SQL text the catalog holds: view bodies,
//! default/check/generated expressions, constraint, index and trigger
//! definitions, policy expressions (all produced by PostgreSQL with
//! `search_path = ''`, so references are schema-qualified) and function
//! bodies (written by users, so anything goes).
//!
//! Works on [`crate::sql::lexer`] tokens and replaces only the tokens that
//! name something renamed; every other byte is copied as it was. This is a
//! lexical rewrite, not a parse, so it relies on heuristics (documented on
//! each rule) to tell `schema.table` from `alias.column`.

use std::ops::Range;

use super::NameMap;
use crate::sql::lexer::{Token, TokenKind, ident_value, is_ident_cont, string_value, tokenize};
use crate::sql::quote::{ident, literal};

/// Rewritten SQL text plus what could not be handled safely (to be shown to
/// the user; the caller adds which object the text belongs to).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rewritten {
    pub sql: String,
    pub warnings: Vec<String>,
}

impl Rewritten {
    fn unchanged(sql: &str) -> Rewritten {
        Rewritten { sql: sql.to_string(), warnings: Vec::new() }
    }
}

/// Where the text comes from, which decides how sure we can be that
/// `a.b` is `schema.object`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Produced by PostgreSQL (`pg_get_viewdef`, `pg_get_expr`, …): `s.n` is
    /// only taken as a reference when `n` is a known object of `s` or the
    /// context says so, because a table alias may equal a schema name.
    Catalog,
    /// Function source: users write `shop.orders` for objects we may not
    /// know about, so any mapped `s.` followed by a name is a reference.
    Body,
    /// The text inside a `'…'::regclass` literal: always a name.
    RegName,
}

/// Object identifier types whose input is a (possibly qualified) name.
/// `regrole` is missing on purpose: roles do not live in schemas.
const REG_TYPES: &[&str] = &[
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regtype",
];

/// Functions whose first argument is a `regclass`, so a bare literal there
/// is a relation name.
const REGCLASS_FUNCTIONS: &[&str] = &["nextval", "currval", "setval"];

/// Keywords after which a dotted name can only be a relation, never
/// `alias.column`. (`INTO` is left out: PL/pgSQL allows `INTO rec.field`.)
const RELATION_KEYWORDS: &[&str] = &["from", "join", "only", "references", "table", "update"];

/// Rewrites an expression or statement fragment produced by PostgreSQL:
///
/// - `s.n` (and `s.n.col`) where `s` is a mapped source schema becomes
///   `target.n`, when `n` is a registered object of `s`, when `s.n` is
///   followed by `(` (a function call), follows `::` (a type), or follows
///   `FROM`, `JOIN`, `REFERENCES`, … (a relation), or has three parts. Other
///   `s.n` are taken to be `alias.column`.
/// - with lower-casing, every identifier whose name is registered is folded;
///   names qualified by a schema that is not mapped are left alone.
/// - a literal cast to a `reg*` type (`'shop.t'::regclass`) is rewritten
///   like a name and re-quoted.
/// - any other string literal that seems to mention a mapped schema
///   (`'… shop.t …'`, or exactly `'shop'`) is left alone with a warning.
pub fn rewrite_sql(sql: &str, map: &NameMap) -> Rewritten {
    if map.is_identity() {
        return Rewritten::unchanged(sql);
    }
    rewrite(sql, map, Mode::Catalog)
}

/// Rewrites a function body. `sql` and `plpgsql` bodies are rewritten like
/// [`rewrite_sql`] except that any mapped `s.` followed by a name counts as a
/// reference (spelled any way: `Shop.orders` reads as `shop.orders`).
/// Unqualified references are left alone: they resolve through the
/// function's `search_path`, which [`rewrite_search_path`] handles. String
/// literals (dynamic SQL for `EXECUTE`) are not rewritten but warned about;
/// `'…'::regclass` and friends are rewritten, being names rather than SQL.
/// Bodies in other languages are returned unchanged, with a warning if they
/// seem to mention a mapped schema.
pub fn rewrite_function_body(body: &str, language: &str, map: &NameMap) -> Rewritten {
    let lexable = ["sql", "plpgsql"].iter().any(|l| language.eq_ignore_ascii_case(l));
    if lexable {
        if map.is_identity() {
            return Rewritten::unchanged(body);
        }
        return rewrite(body, map, Mode::Body);
    }
    let warnings = mentioned_schemas(body, map)
        .into_iter()
        .map(|s| {
            format!(
                "function body in language {language} may reference schema {}; not rewritten",
                ident(s)
            )
        })
        .collect();
    Rewritten { sql: body.to_string(), warnings }
}

/// Maps the schemas in a `search_path` value as stored in
/// `pg_proc.proconfig` (`shop, public`, `"Shop", "$user"`), keeping the rest
/// of the text, including `$user` and unmapped schemas, as it was.
pub fn rewrite_search_path(value: &str, map: &NameMap) -> String {
    rewrite_search_path_for(value, map, None)
}

/// [`rewrite_search_path`] for the function whose source is `body`. A schema whose
/// extensions the copy shares with its source (a copy within one database) stays in the path
/// after its copy when the body names one of their members unqualified
/// (`SET search_path = public` and `uuid_generate_v4()`): the copy has no such member, and
/// without the source schema the call would no longer resolve.
pub fn rewrite_search_path_for(value: &str, map: &NameMap, body: Option<&str>) -> String {
    let used: std::collections::BTreeSet<String> = body
        .map(|b| {
            tokenize(b)
                .iter()
                .filter(|t| t.kind == TokenKind::Ident || t.kind == TokenKind::QuotedIdent)
                .map(|t| ident_value(t.text(b)))
                .collect()
        })
        .unwrap_or_default();
    let keeps = |name: &str| used.iter().any(|u| map.is_shared(name, u));
    let src = value;
    let toks = tokenize(src);
    let mut edits = Vec::new();
    for (k, tok) in toks.iter().enumerate() {
        let text = tok.text(src);
        match tok.kind {
            TokenKind::Ident | TokenKind::QuotedIdent => {
                // Unquoted `$user` lexes as `$` then `user`.
                let after_dollar = k > 0 && toks[k - 1].text(src) == "$";
                if tok.kind == TokenKind::Ident && after_dollar {
                    continue;
                }
                let name = ident_value(text);
                let target = map.schema(&name);
                if target != name {
                    let mut new = ident(&target);
                    if keeps(&name) {
                        new = format!("{new}, {}", ident(&name));
                    }
                    edits.push((tok.span.clone(), new));
                }
            }
            TokenKind::String => {
                if let Some(name) = string_value(text) {
                    let target = map.schema(&name);
                    if target != name {
                        let mut new = literal(&target);
                        if keeps(&name) {
                            new = format!("{new}, {}", literal(&name));
                        }
                        edits.push((tok.span.clone(), new));
                    }
                }
            }
            _ => {}
        }
    }
    splice(src, edits)
}

/// Rewrites the names a trigger definition passes as strings to its function, which the
/// server resolves when the trigger fires, not when it is created: so `map` is the map of
/// the final names (`text` in [`super::rename_catalog`]) while the rest of the definition
/// takes the build names. Only what is known to be a name is rewritten: the text search
/// configuration of `tsvector_update_trigger(column, 'shop.config', …)`.
pub fn rewrite_trigger_arguments(definition: &str, map: &NameMap) -> String {
    if map.is_identity() {
        return definition.to_string();
    }
    let r = Rewriter {
        src: definition,
        toks: tokenize(definition),
        map,
        mode: Mode::Catalog,
        edits: Vec::new(),
        warnings: Vec::new(),
    };
    let mut edits = Vec::new();
    for f in (0..r.toks.len()).filter(|&k| r.toks[k].is_ident()) {
        if ident_value(r.text(f)) != "tsvector_update_trigger"
            || !r.qualified_by_pg_catalog_or_bare(f)
        {
            continue;
        }
        // `(`, the column, `,`, the configuration.
        let open = r.next_significant(f).filter(|&k| r.is_punct(k, "("));
        let column = open.and_then(|k| r.next_significant(k));
        let comma = column
            .filter(|&k| r.toks[k].kind == TokenKind::String)
            .and_then(|k| r.next_significant(k))
            .filter(|&k| r.is_punct(k, ","));
        let config = comma
            .and_then(|k| r.next_significant(k))
            .filter(|&k| r.toks[k].kind == TokenKind::String);
        if let Some(c) = config
            && let Some(content) = string_value(r.text(c))
            && let Some(new) = rewrite_reg_name(&content, "regconfig", map)
        {
            edits.push((r.toks[c].span.clone(), literal(&new)));
        }
    }
    splice(definition, edits)
}

fn rewrite(sql: &str, map: &NameMap, mode: Mode) -> Rewritten {
    let mut r = Rewriter {
        src: sql,
        toks: tokenize(sql),
        map,
        mode,
        edits: Vec::new(),
        warnings: Vec::new(),
    };
    let mut i = 0;
    while i < r.toks.len() {
        i = match r.toks[i].kind {
            TokenKind::Ident | TokenKind::QuotedIdent => r.name_chain(i),
            TokenKind::String => r.string(i),
            TokenKind::DollarString => {
                r.warn_string(i);
                i + 1
            }
            _ => i + 1,
        };
    }
    Rewritten { sql: splice(sql, r.edits), warnings: r.warnings }
}

struct Rewriter<'a> {
    src: &'a str,
    toks: Vec<Token>,
    map: &'a NameMap,
    mode: Mode,
    /// Replacements, in increasing span order.
    edits: Vec<(Range<usize>, String)>,
    warnings: Vec<String>,
}

impl Rewriter<'_> {
    fn text(&self, i: usize) -> &str {
        self.toks[i].text(self.src)
    }

    fn is_punct(&self, i: usize, p: &str) -> bool {
        self.toks.get(i).is_some_and(|t| t.is_punct(self.src, p))
    }

    fn prev_significant(&self, i: usize) -> Option<usize> {
        (0..i).rev().find(|&k| !self.toks[k].is_trivia())
    }

    fn next_significant(&self, i: usize) -> Option<usize> {
        (i + 1..self.toks.len()).find(|&k| !self.toks[k].is_trivia())
    }

    fn replace(&mut self, i: usize, text: String) {
        self.edits.push((self.toks[i].span.clone(), text));
    }

    /// Folds identifier token `i` (whose value is `value`) if it is a
    /// registered name and folding changes it.
    fn fold(&mut self, i: usize, value: &str) {
        if self.map.lower_case() && self.map.is_ident(value) {
            let folded = self.map.name(value);
            if folded != value {
                self.replace(i, ident(&folded));
            }
        }
    }

    /// Handles the dotted name starting at identifier token `i`
    /// (`a`, `a.b`, `a.b.c`, …); returns the index after it.
    fn name_chain(&mut self, i: usize) -> usize {
        let mut parts = vec![i];
        loop {
            let last = parts[parts.len() - 1];
            if self.is_punct(last + 1, ".") && self.toks.get(last + 2).is_some_and(Token::is_ident)
            {
                parts.push(last + 2);
            } else {
                break;
            }
        }
        let after = parts[parts.len() - 1] + 1;
        let values: Vec<String> = parts.iter().map(|&p| ident_value(self.text(p))).collect();
        // `(x).shop.t` or `$1.shop`: the chain does not start a name.
        let continues_other = i > 0 && self.is_punct(i - 1, ".");
        // `OPERATOR(shop.===)`, as PostgreSQL prints a qualified operator:
        // the schema moves when the operator is one of the copied ones.
        if parts.len() == 1
            && !continues_other
            && self.is_punct(i + 1, ".")
            && let Some(op) = self.toks.get(i + 2).filter(|t| t.kind == TokenKind::Punct)
        {
            let (schema, symbol) = (&values[0], op.text(self.src));
            if self.map.is_mapped(schema) && self.map.is_object(schema, symbol) {
                let target = self.map.schema(schema);
                if target != *schema {
                    self.replace(i, ident(&target));
                }
                return i + 3;
            }
        }
        if parts.len() >= 2 && !continues_other {
            let schema_context = self.is_punct(after, "(") || self.follows_type_or_relation(i);
            let (schema, name) = (&values[0], &values[1]);
            if self.map.is_mapped(schema) {
                // PostgreSQL's own output qualifies every reference and we
                // know every copied object, so there only registered names
                // are references: an extension's type living in a copied
                // schema (`public.citext`) is not part of the copy and keeps
                // its name. User-written text gets the benefit of the doubt.
                // An extension's member the copy shares with its source is
                // not renamed, however the text spells it.
                let is_reference = match self.mode {
                    Mode::Catalog => self.map.is_object(schema, name),
                    Mode::Body | Mode::RegName => !self.map.is_shared(schema, name),
                };
                if is_reference {
                    let target = self.map.schema(schema);
                    if target != *schema {
                        self.replace(parts[0], ident(&target));
                    }
                    // Everything directly inside a mapped schema is folded,
                    // registered or not.
                    let folded = self.map.name(name);
                    if folded != *name {
                        self.replace(parts[1], ident(&folded));
                    }
                    for (&p, v) in parts.iter().zip(&values).skip(2) {
                        self.fold(p, v);
                    }
                    return after;
                }
            } else if schema_context || (parts.len() >= 3 && self.mode == Mode::Catalog) {
                // Qualified by a schema we do not copy: its names stay.
                return after;
            }
        }
        for (&p, v) in parts.iter().zip(&values) {
            self.fold(p, v);
        }
        after
    }

    /// Whether the name at `i` follows `::` (a type name) or a keyword after
    /// which only a relation can come.
    fn follows_type_or_relation(&self, i: usize) -> bool {
        let Some(p) = self.prev_significant(i) else { return false };
        let tok = &self.toks[p];
        tok.is_punct(self.src, "::")
            || (tok.kind == TokenKind::Ident
                && RELATION_KEYWORDS.contains(&ident_value(self.text(p)).as_str()))
    }

    /// Handles string token `i`; returns the index after it.
    fn string(&mut self, i: usize) -> usize {
        if self.mode != Mode::RegName
            && let Some(reg_type) = self.reg_cast_after(i)
            && let Some(content) = string_value(self.text(i))
        {
            if let Some(new) = rewrite_reg_name(&content, &reg_type, self.map) {
                self.replace(i, literal(&new));
            }
            return i + 1;
        }
        self.warn_string(i);
        i + 1
    }

    /// The `reg*` type string token `i` is cast to with `::`, if any
    /// (`::regclass` or `::pg_catalog.regclass`).
    fn reg_cast_after(&self, i: usize) -> Option<String> {
        // The first argument of the sequence functions is a regclass too,
        // even without a cast: `nextval('shop.codes')`.
        if let Some(open) = self.prev_significant(i).filter(|&k| self.is_punct(k, "("))
            && let Some(f) = self.prev_significant(open).filter(|&k| self.toks[k].is_ident())
            && REGCLASS_FUNCTIONS.contains(&ident_value(self.text(f)).as_str())
            && self.qualified_by_pg_catalog_or_bare(f)
        {
            return Some("regclass".to_string());
        }
        let cast = self.next_significant(i).filter(|&k| self.is_punct(k, "::"))?;
        let mut k = self.next_significant(cast).filter(|&k| self.toks[k].is_ident())?;
        if ident_value(self.text(k)) == "pg_catalog"
            && self.is_punct(k + 1, ".")
            && self.toks.get(k + 2).is_some_and(Token::is_ident)
        {
            k += 2;
        }
        let type_name = ident_value(self.text(k));
        REG_TYPES.contains(&type_name.as_str()).then_some(type_name)
    }

    /// Whether the name at `f` stands alone or is `pg_catalog.` qualified.
    fn qualified_by_pg_catalog_or_bare(&self, f: usize) -> bool {
        match self.prev_significant(f).filter(|&p| self.is_punct(p, ".")) {
            None => true,
            Some(dot) => self
                .prev_significant(dot)
                .is_some_and(|q| ident_value(self.text(q)) == "pg_catalog"),
        }
    }

    fn warn_string(&mut self, i: usize) {
        if self.mode == Mode::RegName {
            return;
        }
        let text = self.text(i);
        let value = string_value(text).unwrap_or_else(|| text.to_string());
        for schema in mentioned_schemas(&value, self.map) {
            let warning =
                format!("string literal may reference schema {}; not rewritten", ident(schema));
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
    }
}

/// The new content of a literal cast to `reg_type`, if it changes.
fn rewrite_reg_name(content: &str, reg_type: &str, map: &NameMap) -> Option<String> {
    if reg_type == "regnamespace" {
        // A bare schema name, which the dotted-name rule would not touch.
        let toks = tokenize(content);
        let mut significant = toks.iter().filter(|t| !t.is_trivia());
        let (Some(tok), None) = (significant.next(), significant.next()) else { return None };
        if !tok.is_ident() {
            return None;
        }
        let name = ident_value(tok.text(content));
        let target = map.schema(&name);
        return (target != name).then(|| splice(content, vec![(tok.span.clone(), ident(&target))]));
    }
    let rewritten = rewrite(content, map, Mode::RegName).sql;
    (rewritten != content).then_some(rewritten)
}

/// Mapped schemas that `text` (a string literal's value, or a whole body)
/// seems to refer to: `shop.` case-insensitively and not preceded by an
/// identifier character, `"Shop".`, or the text being just the name.
fn mentioned_schemas<'m>(text: &str, map: &'m NameMap) -> Vec<&'m str> {
    let lower = text.to_lowercase();
    map.changed_schemas()
        .filter(|&schema| {
            if text.trim() == schema {
                return true;
            }
            let bare = format!("{}.", schema.to_lowercase());
            let quoted = format!("{}.", ident(schema).to_lowercase());
            lower.match_indices(bare.as_str()).any(|(at, _)| {
                !lower[..at].chars().next_back().is_some_and(|c| is_ident_cont(c) || c == '"')
            }) || (quoted != bare && lower.contains(quoted.as_str()))
        })
        .collect()
}

/// Applies `edits` (non-overlapping spans of `src`) to `src`. A replacement
/// that would fuse with its neighbour (a bare name after `"Users"from`
/// became `usersfrom`, two quoted names becoming one `"a""b"`) gets a space.
fn splice(src: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(span, _)| span.start);
    let mut out = String::with_capacity(src.len() + 16);
    let mut copied = 0;
    for (span, text) in edits {
        debug_assert!(span.start >= copied, "overlapping edits");
        out.push_str(&src[copied..span.start]);
        let before = src[..span.start].chars().next_back();
        let after = src[span.end..].chars().next();
        if let (Some(a), Some(b)) = (before, text.chars().next())
            && fuses(a, b)
        {
            out.push(' ');
        }
        out.push_str(&text);
        if let (Some(a), Some(b)) = (text.chars().next_back(), after)
            && fuses(a, b)
        {
            out.push(' ');
        }
        copied = span.end;
    }
    out.push_str(&src[copied..]);
    out
}

/// Whether characters `a` and `b`, written next to each other, could lex
/// differently from the two tokens they end and start.
fn fuses(a: char, b: char) -> bool {
    (is_ident_cont(a) && (is_ident_cont(b) || matches!(b, '\'' | '"' | '&')))
        || (a == '"' && b == '"')
        || (a == '&' && matches!(b, '\'' | '"'))
}

#[cfg(test)]
mod tests;
