//! A migration's statements as the text of a file ([`render_script`]), and
//! that text split back into statements ([`split_statements`]), so each can
//! run (and fail) on its own and an error can say which one broke.
//!
//! The split works on [`crate::sql::tokenize`]'s tokens: a `;` ends a
//! statement only outside strings, dollar quotes, comments and parentheses
//! (`CREATE RULE … DO ( …; … )`), and outside the `BEGIN ATOMIC … END` body
//! of a SQL-standard function, which psql recognises with the same
//! heuristic used here. Each statement also says whether it may run inside
//! a transaction block: not when the diff marked it so (a
//! [`NOT_IN_TRANSACTION`] comment line right before it) or when it is a
//! command PostgreSQL refuses there (`CREATE INDEX CONCURRENTLY`, `VACUUM`,
//! …; recognised by its first words, for hand-written files).

use crate::diff::Migration;
use crate::sql::{TokenKind, tokenize};

/// How long an online migration's statement waits for a lock before it
/// fails.
pub const ONLINE_LOCK_TIMEOUT: &str = "5s";

/// The statements of a migration as SQL text ([`Migration::script`]). An
/// online migration starts with `SET lock_timeout`: a statement queued
/// behind a long transaction for its lock would make every query on the
/// table queue behind it in turn; better that it fails and is retried.
pub fn render_script(m: &Migration, online: bool) -> String {
    let mut s = String::new();
    if online {
        s.push_str(&format!("SET lock_timeout = '{ONLINE_LOCK_TIMEOUT}';\n"));
    }
    s.push_str(&m.script());
    s
}

/// The comment line [`crate::diff::Migration::script`] writes before a
/// statement that cannot run in a transaction block.
pub const NOT_IN_TRANSACTION: &str = "-- not in a transaction block";

/// One statement of a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based position in the file.
    pub number: usize,
    /// 1-based line of its first token.
    pub line: usize,
    /// The statement without the comments before it and without its `;`.
    pub sql: String,
    /// False for statements that cannot run in a transaction block.
    pub transactional: bool,
    /// A `SET` before any other statement: it applies to the session that
    /// runs the whole file.
    pub session: bool,
    /// `BEGIN`, `COMMIT`, `ROLLBACK` …: pggraft manages transactions itself.
    pub transaction_control: bool,
}

impl Statement {
    /// The first line of the statement, for error messages.
    pub fn first_line(&self) -> &str {
        self.sql.lines().next().unwrap_or("").trim_end()
    }

    /// `statement 3 (line 12: CREATE TABLE …)`.
    pub fn describe(&self) -> String {
        let first = self.first_line();
        let more = if self.sql.contains('\n') { " …" } else { "" };
        format!("statement {} (line {}: {first}{more})", self.number, self.line)
    }
}

/// Splits SQL text into statements (see the module docs). Text after the
/// last `;` that holds more than comments is a statement too.
pub fn split_statements(sql: &str) -> Vec<Statement> {
    let tokens = tokenize(sql);
    let mut out: Vec<Statement> = vec![];
    let mut cur = Current::default();
    let mut line = 1;
    let mut counted = 0;
    for (i, t) in tokens.iter().enumerate() {
        // Line of this token's start.
        line += sql[counted..t.span.start].matches('\n').count();
        counted = t.span.start;
        if t.is_trivia() {
            if cur.start.is_none()
                && t.kind == TokenKind::LineComment
                && t.text(sql).trim_end() == NOT_IN_TRANSACTION
            {
                cur.marked = true;
            }
            continue;
        }
        if t.is_punct(sql, ";") && cur.parens == 0 && cur.begin_depth == 0 {
            cur.finish(sql, &tokens, &mut out);
            continue;
        }
        if cur.start.is_none() {
            cur.start = Some(i);
            cur.line = line;
        }
        cur.last = i;
        match t.kind {
            TokenKind::Punct if t.text(sql) == "(" => cur.parens += 1,
            TokenKind::Punct if t.text(sql) == ")" => cur.parens = cur.parens.saturating_sub(1),
            TokenKind::Ident => cur.word(t.text(sql)),
            _ => {}
        }
    }
    cur.finish(sql, &tokens, &mut out);
    out
}

/// The statement being read.
#[derive(Default)]
struct Current {
    /// Index of its first and last tokens.
    start: Option<usize>,
    last: usize,
    line: usize,
    /// A [`NOT_IN_TRANSACTION`] comment came before it.
    marked: bool,
    parens: usize,
    /// Nesting of `BEGIN … END` (and `CASE … END` inside it) in a
    /// `CREATE FUNCTION|PROCEDURE` statement, as psql counts it.
    begin_depth: usize,
    /// Its first unquoted words, upper-cased.
    lead: Vec<String>,
    /// Words seen, for psql's `CREATE [OR REPLACE] FUNCTION` test.
    words: usize,
    /// psql's `identifiers`: the first letter of the first four words when
    /// they are one of create / or / replace / function / procedure.
    shape: [u8; 4],
}

impl Current {
    fn word(&mut self, text: &str) {
        let upper = text.to_ascii_uppercase();
        if self.words < self.shape.len()
            && ["CREATE", "OR", "REPLACE", "FUNCTION", "PROCEDURE"].contains(&upper.as_str())
        {
            self.shape[self.words] = upper.as_bytes()[0];
        }
        self.words += 1;
        let s = self.shape;
        let routine = s[0] == b'C'
            && (s[1] == b'F'
                || s[1] == b'P'
                || (s[1] == b'O' && s[2] == b'R' && matches!(s[3], b'F' | b'P')));
        if routine && self.parens == 0 {
            match upper.as_str() {
                "BEGIN" => self.begin_depth += 1,
                "CASE" if self.begin_depth > 0 => self.begin_depth += 1,
                "END" if self.begin_depth > 0 => self.begin_depth -= 1,
                _ => {}
            }
        }
        if self.lead.len() < 6 {
            self.lead.push(upper);
        }
    }

    /// Ends the statement (if it has any tokens) and starts the next.
    fn finish(&mut self, sql: &str, tokens: &[crate::sql::Token], out: &mut Vec<Statement>) {
        let done = std::mem::take(self);
        let Some(start) = done.start else {
            return;
        };
        let text = &sql[tokens[start].span.start..tokens[done.last].span.end];
        let lead: Vec<&str> = done.lead.iter().map(String::as_str).collect();
        let is_set = lead.first() == Some(&"SET")
            && !matches!(lead.get(1), Some(&"LOCAL" | &"TRANSACTION" | &"SESSION"));
        let session = is_set && out.iter().all(|s| s.session);
        out.push(Statement {
            number: out.len() + 1,
            line: done.line,
            sql: text.to_string(),
            transactional: !done.marked && !refused_in_transaction(&lead),
            session,
            transaction_control: is_transaction_control(&lead),
        });
    }
}

/// Commands PostgreSQL refuses inside a transaction block, by their first
/// words. Not exhaustive; the diff marks what it generates explicitly.
fn refused_in_transaction(lead: &[&str]) -> bool {
    let has = |w: &str, within: usize| lead.iter().take(within).any(|x| *x == w);
    match lead {
        ["VACUUM", ..] => true,
        ["CREATE" | "DROP", "DATABASE" | "TABLESPACE", ..] => true,
        ["ALTER", "SYSTEM", ..] => true,
        ["CREATE", ..] => has("INDEX", 3) && has("CONCURRENTLY", 4),
        ["DROP", "INDEX", "CONCURRENTLY", ..] => true,
        ["REINDEX", ..] => has("CONCURRENTLY", 5),
        _ => false,
    }
}

fn is_transaction_control(lead: &[&str]) -> bool {
    matches!(
        lead,
        ["BEGIN" | "COMMIT" | "ROLLBACK" | "END" | "ABORT", ..]
            | ["START", "TRANSACTION", ..]
            | ["PREPARE", "TRANSACTION", ..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        split_statements(sql).into_iter().map(|s| s.sql).collect()
    }

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = "SET a = 1;\n-- c; d\nCREATE TABLE t (x text DEFAULT 'a;b');\n\
                   /* x; */ CREATE FUNCTION f() RETURNS int AS $q$ SELECT 1; $q$ LANGUAGE sql;\n\
                   CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b);\n\
                   SELECT \"x;y\" FROM t";
        assert_eq!(
            texts(sql),
            vec![
                "SET a = 1",
                "CREATE TABLE t (x text DEFAULT 'a;b')",
                "CREATE FUNCTION f() RETURNS int AS $q$ SELECT 1; $q$ LANGUAGE sql",
                "CREATE RULE r AS ON INSERT TO t DO ALSO (NOTIFY a; NOTIFY b)",
                "SELECT \"x;y\" FROM t",
            ]
        );
        let s = split_statements(sql);
        assert_eq!(s[1].line, 3);
        assert_eq!(s[2].number, 3);
        assert!(s[0].session && !s[1].session);
    }

    #[test]
    fn begin_atomic_bodies_stay_whole() {
        let sql = "CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql\n\
                   BEGIN ATOMIC SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2; END;\n\
                   CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n\
                   SELECT 3;";
        let t = texts(sql);
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(t[0].ends_with("SELECT 2; END"));
        assert_eq!(t[2], "SELECT 3");
    }

    #[test]
    fn transaction_block_markers_and_commands() {
        let sql = "SET lock_timeout = '5s';\nSET check_function_bodies = false;\n\
                   -- hazard index-build: x\n-- not in a transaction block\n\
                   CREATE INDEX CONCURRENTLY i ON t (x);\nALTER TABLE t ADD c int;\n\
                   create unique index concurrently j on t (c);\nVACUUM t;\nSET x = 1;\nCOMMIT;";
        let s = split_statements(sql);
        let flags: Vec<(bool, bool, bool)> =
            s.iter().map(|s| (s.transactional, s.session, s.transaction_control)).collect();
        assert_eq!(
            flags,
            vec![
                (true, true, false),
                (true, true, false),
                (false, false, false),
                (true, false, false),
                (false, false, false),
                (false, false, false),
                (true, false, false),
                (true, false, true),
            ]
        );
        assert_eq!(s[2].describe(), "statement 3 (line 5: CREATE INDEX CONCURRENTLY i ON t (x))");
    }

    #[test]
    fn an_online_script_sets_lock_timeout_for_the_whole_session() {
        let m = Migration {
            changes: vec![crate::diff::Change {
                sql: "ALTER TABLE t ADD c int".into(),
                object: "relation public.t".into(),
                action: "alter".into(),
                hazards: vec![],
                transactional: true,
            }],
            warnings: vec![],
        };
        assert_eq!(render_script(&m, false), m.script());
        let online = render_script(&m, true);
        let s = split_statements(&online);
        assert_eq!(s[0].sql, "SET lock_timeout = '5s'");
        assert!(s[0].session);
        assert_eq!(online.strip_prefix("SET lock_timeout = '5s';\n"), Some(m.script().as_str()));
    }

    #[test]
    fn comments_only_is_empty() {
        assert!(split_statements("-- nothing\n/* here */\n").is_empty());
        assert!(split_statements(";;").is_empty());
    }
}
