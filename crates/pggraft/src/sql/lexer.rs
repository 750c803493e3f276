//! A lossless tokenizer for PostgreSQL SQL (and PL/pgSQL, which is lexically
//! close enough): every byte of the input belongs to exactly one token, so
//! concatenating the spans gives the input back and a rewriter can replace a
//! few tokens while leaving everything else byte-for-byte as it was.
//!
//! Hand-written rather than libpg_query because libpg_query cannot deparse
//! PL/pgSQL and its deparser normalizes text (spacing, casts, case), which
//! would turn every function body into a diff. The rules follow
//! PostgreSQL's `scan.l` closely enough for finding names, strings and
//! comments; this lexer never fails: unterminated strings, quoted
//! identifiers and comments simply run to the end of the input.
//!
//! Known differences from the server: `UESCAPE` clauses are not applied
//! (`U&` text is decoded with the default `\` escape), strings continued
//! across a newline (`'a'\n'b'`) are separate tokens, and malformed numbers
//! such as `123abc` are a number followed by an identifier.

use std::ops::Range;

/// PostgreSQL truncates identifiers to `NAMEDATALEN - 1` bytes.
const MAX_IDENT_BYTES: usize = 63;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// Spaces, tabs, newlines, carriage returns, form and vertical feeds.
    Whitespace,
    /// `-- …` up to (not including) the end of the line.
    LineComment,
    /// `/* … */`, nested as in PostgreSQL.
    BlockComment,
    /// An unquoted identifier or keyword (`select`, `Orders`, `a$b`, `größe`).
    Ident,
    /// `"a""b"` or `U&"d\0061t\+000061"`.
    QuotedIdent,
    /// `'…'`, `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'`.
    String,
    /// `$$…$$` or `$tag$…$tag$`.
    DollarString,
    /// `42`, `1.5e-3`, `.5`, `0x1F`, `1_000`.
    Number,
    /// `$1`.
    Param,
    /// Operators and punctuation: `.`, `::`, `;`, `(`, `->>`, `||`, … (see
    /// [`Token::text`] for which one).
    Punct,
    /// Anything else (`{`, `\`, a lone `$`, control characters), one
    /// character per token.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

impl Token {
    /// The token's text in `src`, the string it was produced from.
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        &src[self.span.clone()]
    }

    /// Whitespace and comments: tokens that separate but mean nothing.
    pub fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment
        )
    }

    /// An identifier, quoted or not (keywords included: the lexer does not
    /// know which words are reserved).
    pub fn is_ident(&self) -> bool {
        matches!(self.kind, TokenKind::Ident | TokenKind::QuotedIdent)
    }

    /// Whether this is punctuation spelled exactly `p` in `src`.
    pub fn is_punct(&self, src: &str, p: &str) -> bool {
        self.kind == TokenKind::Punct && self.text(src) == p
    }
}

/// Splits `sql` into tokens whose spans cover it exactly, in order.
pub fn tokenize(sql: &str) -> Vec<Token> {
    let mut lexer = Lexer { src: sql, bytes: sql.as_bytes(), pos: 0 };
    let mut tokens = Vec::new();
    while lexer.pos < sql.len() {
        let start = lexer.pos;
        let kind = lexer.next_kind();
        debug_assert!(lexer.pos > start && sql.is_char_boundary(lexer.pos));
        tokens.push(Token { kind, span: start..lexer.pos });
    }
    tokens
}

/// Characters PostgreSQL accepts as the first character of an identifier:
/// ASCII letters, `_`, and every non-ASCII character (the server treats all
/// high-bit bytes as letters).
pub fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || !c.is_ascii()
}

/// Characters that may continue an identifier: also digits and `$`.
pub fn is_ident_cont(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == '$'
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_op_char(b: u8) -> bool {
    b"~!@#^&|`?+-*/%<>=".contains(&b)
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.src.get(pos..).and_then(|s| s.chars().next())
    }

    /// Consumes one token starting at `self.pos` and says what it was.
    fn next_kind(&mut self) -> TokenKind {
        let b = self.bytes[self.pos];
        match b {
            _ if is_whitespace(b) => {
                while self.peek(0).is_some_and(is_whitespace) {
                    self.pos += 1;
                }
                TokenKind::Whitespace
            }
            b'-' if self.peek(1) == Some(b'-') => {
                while self.peek(0).is_some_and(|b| b != b'\n' && b != b'\r') {
                    self.pos += 1;
                }
                TokenKind::LineComment
            }
            b'/' if self.peek(1) == Some(b'*') => {
                self.block_comment();
                TokenKind::BlockComment
            }
            b'\'' => {
                self.pos += 1;
                self.quoted(b'\'', false);
                TokenKind::String
            }
            b'"' => {
                self.pos += 1;
                self.quoted(b'"', false);
                TokenKind::QuotedIdent
            }
            b'e' | b'E' if self.peek(1) == Some(b'\'') => {
                self.pos += 2;
                self.quoted(b'\'', true);
                TokenKind::String
            }
            b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if self.peek(1) == Some(b'\'') => {
                self.pos += 2;
                self.quoted(b'\'', false);
                TokenKind::String
            }
            b'u' | b'U' if self.peek(1) == Some(b'&') && self.peek(2) == Some(b'\'') => {
                self.pos += 3;
                self.quoted(b'\'', false);
                TokenKind::String
            }
            b'u' | b'U' if self.peek(1) == Some(b'&') && self.peek(2) == Some(b'"') => {
                self.pos += 3;
                self.quoted(b'"', false);
                TokenKind::QuotedIdent
            }
            b'$' => self.dollar(),
            b'0'..=b'9' => {
                self.number();
                TokenKind::Number
            }
            b'.' if self.peek(1).is_some_and(|b| b.is_ascii_digit()) => {
                self.number();
                TokenKind::Number
            }
            b':' => {
                self.pos += if matches!(self.peek(1), Some(b':' | b'=')) { 2 } else { 1 };
                TokenKind::Punct
            }
            b'.' => {
                self.pos += if self.peek(1) == Some(b'.') { 2 } else { 1 };
                TokenKind::Punct
            }
            b',' | b'(' | b')' | b'[' | b']' | b';' => {
                self.pos += 1;
                TokenKind::Punct
            }
            _ if is_op_char(b) => {
                self.operator();
                TokenKind::Punct
            }
            _ => {
                let c = self.char_at(self.pos).unwrap_or('\0');
                if is_ident_start(c) {
                    self.pos += c.len_utf8();
                    while let Some(c) = self.char_at(self.pos).filter(|&c| is_ident_cont(c)) {
                        self.pos += c.len_utf8();
                    }
                    TokenKind::Ident
                } else {
                    self.pos += c.len_utf8().max(1);
                    TokenKind::Other
                }
            }
        }
    }

    /// After the opening `/*`; nested comments must all be closed.
    fn block_comment(&mut self) {
        self.pos += 2;
        let mut depth = 1usize;
        while self.pos < self.bytes.len() {
            match (self.bytes[self.pos], self.peek(1)) {
                (b'/', Some(b'*')) => {
                    depth += 1;
                    self.pos += 2;
                }
                (b'*', Some(b'/')) => {
                    self.pos += 2;
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => self.pos += 1,
            }
        }
    }

    /// After the opening quote: runs to the matching `quote`, where a doubled
    /// quote stands for itself and, in `E''` strings, a backslash escapes the
    /// next byte. Scanning bytes is safe because the delimiters are ASCII,
    /// which never occurs inside a multi-byte UTF-8 sequence.
    fn quoted(&mut self, quote: u8, backslash_escapes: bool) {
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if backslash_escapes && b == b'\\' {
                self.pos = (self.pos + 2).min(self.bytes.len());
                // A backslash before a multi-byte character skips only its
                // first byte; step over the rest so we stay on a boundary.
                while !self.src.is_char_boundary(self.pos) {
                    self.pos += 1;
                }
            } else if b == quote {
                self.pos += 1;
                if self.peek(0) == Some(quote) {
                    self.pos += 1;
                } else {
                    return;
                }
            } else {
                self.pos += 1;
            }
        }
    }

    /// `$1` (parameter), `$tag$…$tag$` (dollar quote) or a lone `$`.
    fn dollar(&mut self) -> TokenKind {
        if self.peek(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            while self.peek(0).is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            return TokenKind::Param;
        }
        // The tag follows identifier rules, except that `$` cannot occur in it.
        let mut end = self.pos + 1;
        if let Some(c) = self.char_at(end).filter(|&c| is_ident_start(c)) {
            end += c.len_utf8();
            while let Some(c) = self.char_at(end).filter(|&c| c != '$' && is_ident_cont(c)) {
                end += c.len_utf8();
            }
        }
        if self.bytes.get(end) != Some(&b'$') {
            self.pos += 1;
            return TokenKind::Other;
        }
        let delimiter = &self.src[self.pos..=end];
        let body_start = end + 1;
        self.pos = match self.src[body_start..].find(delimiter) {
            Some(i) => body_start + i + delimiter.len(),
            None => self.src.len(),
        };
        TokenKind::DollarString
    }

    fn digits(&mut self, is_digit: fn(u8) -> bool) {
        // PostgreSQL 16 allows `_` between digits.
        while let Some(b) = self.peek(0) {
            if is_digit(b) || (b == b'_' && self.peek(1).is_some_and(is_digit)) {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn number(&mut self) {
        let radix_digit: Option<fn(u8) -> bool> = match (self.peek(0), self.peek(1)) {
            (Some(b'0'), Some(b'x' | b'X')) => Some(|b: u8| b.is_ascii_hexdigit()),
            (Some(b'0'), Some(b'o' | b'O')) => Some(|b: u8| matches!(b, b'0'..=b'7')),
            (Some(b'0'), Some(b'b' | b'B')) => Some(|b: u8| matches!(b, b'0' | b'1')),
            _ => None,
        };
        if let Some(is_digit) = radix_digit {
            let after_prefix = self.peek(2);
            let valid = after_prefix
                .is_some_and(|b| is_digit(b) || (b == b'_' && self.peek(3).is_some_and(is_digit)));
            if valid {
                self.pos += 2;
                self.digits(is_digit);
                return;
            }
        }
        let is_dec = |b: u8| b.is_ascii_digit();
        self.digits(is_dec);
        // `1..5` is an integer followed by `..`, not `1.` and `.5`.
        if self.peek(0) == Some(b'.') && self.peek(1) != Some(b'.') {
            self.pos += 1;
            self.digits(is_dec);
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.peek(1), Some(b'+' | b'-')));
            if self.peek(1 + sign).is_some_and(is_dec) {
                self.pos += 1 + sign;
                self.digits(is_dec);
            }
        }
    }

    /// A run of operator characters, cut the way `scan.l` cuts it: before an
    /// embedded comment start, and without trailing `+`/`-` unless the
    /// operator contains one of `~!@#^&|`?%` (so `a=-1` is `=` then `-`).
    fn operator(&mut self) {
        let start = self.pos;
        let mut end = start;
        while end < self.bytes.len() && is_op_char(self.bytes[end]) {
            if end > start
                && matches!(
                    (self.bytes[end], self.bytes.get(end + 1)),
                    (b'-', Some(b'-')) | (b'/', Some(b'*'))
                )
            {
                break;
            }
            end += 1;
        }
        let op = &self.bytes[start..end];
        let mut len = op.len();
        if len > 1
            && matches!(op[len - 1], b'+' | b'-')
            && !op.iter().any(|b| b"~!@#^&|`?%".contains(b))
        {
            while len > 1 && matches!(op[len - 1], b'+' | b'-') {
                len -= 1;
            }
        }
        self.pos = start + len;
    }
}

/// The name an identifier token stands for: unquoted identifiers are
/// lower-cased (ASCII only, as PostgreSQL does for multi-byte encodings),
/// quoted ones lose their quotes and doubled `""`, `U&"…"` escapes are
/// decoded (with the default `\` escape character). Like the server, the
/// result is truncated to 63 bytes.
pub fn ident_value(tok_text: &str) -> String {
    let value = if let Some(rest) = tok_text.strip_prefix('"') {
        unquote(rest, '"')
    } else if let Some(rest) = strip_unicode_prefix(tok_text, '"') {
        let raw = unquote(rest, '"');
        decode_unicode_escapes(&raw).unwrap_or(raw)
    } else {
        tok_text.to_ascii_lowercase()
    };
    truncate_ident(value)
}

fn strip_unicode_prefix(text: &str, quote: char) -> Option<&str> {
    let rest = text.strip_prefix('U').or_else(|| text.strip_prefix('u'))?;
    rest.strip_prefix('&')?.strip_prefix(quote)
}

/// Text after an opening quote: drops the closing quote (if present) and
/// undoubles embedded quotes. Inside the body quotes come in pairs, so an odd
/// number of trailing quotes means the last one closes the token.
fn unquote(rest: &str, quote: char) -> String {
    let trailing = rest.chars().rev().take_while(|&c| c == quote).count();
    let body = if trailing % 2 == 1 { &rest[..rest.len() - quote.len_utf8()] } else { rest };
    let single = quote.to_string();
    body.replace(&single.repeat(2), &single)
}

/// Parses hex digits only (`from_str_radix` would also take a sign).
fn hex_value(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

fn truncate_ident(mut value: String) -> String {
    if value.len() > MAX_IDENT_BYTES {
        let mut cut = MAX_IDENT_BYTES;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        value.truncate(cut);
    }
    value
}

/// Decodes `\XXXX`, `\+XXXXXX` and `\\` as in `U&'…'` / `U&"…"`. `None` on
/// a malformed escape (the server would reject the text).
fn decode_unicode_escapes(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('\\') {
            out.push('\\');
            rest = r;
            continue;
        }
        let (digits, r) = match rest.strip_prefix('+') {
            Some(r) => (r.get(..6)?, &r[6..]),
            None => (rest.get(..4)?, &rest[4..]),
        };
        let mut code = hex_value(digits.as_bytes())?;
        rest = r;
        if (0xD800..0xDC00).contains(&code) {
            // A surrogate pair spelled as two escapes.
            let low_digits = rest.strip_prefix('\\')?;
            let (low, r) = match low_digits.strip_prefix('+') {
                Some(r) => (r.get(..6)?, &r[6..]),
                None => (low_digits.get(..4)?, &low_digits[4..]),
            };
            let low = hex_value(low.as_bytes())?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            rest = r;
        }
        out.push(char::from_u32(code).filter(|&c| c != '\0')?);
    }
    out.push_str(rest);
    Some(out)
}

/// The value of a plain `'…'` (or `N'…'`) string or an `E'…'` string with
/// backslash escapes. `None` for other forms (bit strings, `U&''`, dollar
/// quotes), for unterminated strings and for escapes that do not give valid
/// UTF-8.
pub fn string_value(tok_text: &str) -> Option<String> {
    let (body, escapes) = if let Some(r) = tok_text.strip_prefix(['e', 'E']) {
        (r, true)
    } else {
        (tok_text.strip_prefix(['n', 'N']).unwrap_or(tok_text), false)
    };
    let body = body.strip_prefix('\'')?;
    if !escapes {
        let inner = body.strip_suffix('\'')?;
        // A lone quote cannot occur inside a well-formed token, but the
        // caller may pass any text.
        if inner.replace("''", "").contains('\'') {
            return None;
        }
        return Some(inner.replace("''", "'"));
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let bytes = body.as_bytes();
    let mut i = 0;
    loop {
        let b = *bytes.get(i)?;
        i += 1;
        match b {
            b'\'' if bytes.get(i) == Some(&b'\'') => {
                out.push(b'\'');
                i += 1;
            }
            b'\'' => {
                // The closing quote must end the text.
                return if i == bytes.len() { String::from_utf8(out).ok() } else { None };
            }
            b'\\' => {
                let e = *bytes.get(i)?;
                i += 1;
                match e {
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match bytes.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(u8::try_from(v & 0xff).ok()?);
                    }
                    b'x' if bytes.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                        let mut v = 0u8;
                        for _ in 0..2 {
                            match bytes.get(i) {
                                Some(&d) if d.is_ascii_hexdigit() => {
                                    v = v * 16 + (d as char).to_digit(16)? as u8;
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(v);
                    }
                    b'u' | b'U' => {
                        let n = if e == b'u' { 4 } else { 8 };
                        let mut code = hex_value(bytes.get(i..i + n)?)?;
                        i += n;
                        if (0xD800..0xDC00).contains(&code) {
                            let low = bytes.get(i..i + 6)?;
                            if !low.starts_with(b"\\u") {
                                return None;
                            }
                            let low = hex_value(&low[2..])?;
                            if !(0xDC00..0xE000).contains(&low) {
                                return None;
                            }
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            i += 6;
                        }
                        let c = char::from_u32(code).filter(|&c| c != '\0')?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    // Any other escaped byte stands for itself.
                    other => out.push(other),
                }
            }
            other => out.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TokenKind::*;
    use super::*;

    fn kinds(sql: &str) -> Vec<(TokenKind, &str)> {
        tokenize(sql).into_iter().map(|t| (t.kind, &sql[t.span])).collect()
    }

    fn significant(sql: &str) -> Vec<(TokenKind, &str)> {
        kinds(sql).into_iter().filter(|(k, _)| *k != Whitespace).collect()
    }

    #[test]
    fn view_body_from_pg_get_viewdef() {
        let sql = " SELECT o.id,\n    c.\"Name\" AS customer\n   FROM (shop.orders o\n     JOIN shop.customers c ON ((c.id = o.customer_id)));";
        let toks = significant(sql);
        assert_eq!(
            &toks[..8],
            &[
                (Ident, "SELECT"),
                (Ident, "o"),
                (Punct, "."),
                (Ident, "id"),
                (Punct, ","),
                (Ident, "c"),
                (Punct, "."),
                (QuotedIdent, "\"Name\""),
            ]
        );
        assert!(toks.contains(&(Punct, "=")));
        assert_eq!(toks.last(), Some(&(Punct, ";")));
    }

    #[test]
    fn strings_and_casts() {
        assert_eq!(
            significant("nextval('shop.orders_id_seq'::regclass)"),
            vec![
                (Ident, "nextval"),
                (Punct, "("),
                (String, "'shop.orders_id_seq'"),
                (Punct, "::"),
                (Ident, "regclass"),
                (Punct, ")"),
            ]
        );
        assert_eq!(significant("'it''s'"), vec![(String, "'it''s'")]);
        assert_eq!(significant(r"E'a\'b' x"), vec![(String, r"E'a\'b'"), (Ident, "x")]);
        assert_eq!(
            significant("B'101' X'1F' N'n' U&'\\0041'"),
            vec![(String, "B'101'"), (String, "X'1F'"), (String, "N'n'"), (String, "U&'\\0041'"),]
        );
        // Only a single letter directly before the quote makes a prefix.
        assert_eq!(significant("abe'x'"), vec![(Ident, "abe"), (String, "'x'")]);
        assert_eq!(
            significant("'a'::pg_catalog.regclass")[2..],
            [(Ident, "pg_catalog"), (Punct, "."), (Ident, "regclass")]
        );
    }

    #[test]
    fn dollar_quotes_params_and_identifiers_with_dollars() {
        assert_eq!(significant("$$ it's $x$ $$"), vec![(DollarString, "$$ it's $x$ $$")]);
        assert_eq!(
            significant("$body$ a $$ b $body$;"),
            vec![(DollarString, "$body$ a $$ b $body$"), (Punct, ";")]
        );
        assert_eq!(significant("$1 + $23"), vec![(Param, "$1"), (Punct, "+"), (Param, "$23")]);
        assert_eq!(significant("a$b$ $"), vec![(Ident, "a$b$"), (Other, "$")]);
        assert_eq!(significant("$fn$ unterminated"), vec![(DollarString, "$fn$ unterminated")]);
    }

    #[test]
    fn comments_nest_and_cut_operators() {
        assert_eq!(
            significant("/* a /* b */ c */x"),
            vec![(BlockComment, "/* a /* b */ c */"), (Ident, "x")]
        );
        assert_eq!(
            kinds("a--c\nb"),
            vec![(Ident, "a"), (LineComment, "--c"), (Whitespace, "\n"), (Ident, "b")]
        );
        assert_eq!(
            significant("a+/*c*/b"),
            vec![(Ident, "a"), (Punct, "+"), (BlockComment, "/*c*/"), (Ident, "b")]
        );
        assert_eq!(significant("/* open"), vec![(BlockComment, "/* open")]);
    }

    #[test]
    fn operators() {
        assert_eq!(
            significant("a->>'k' @> b || c"),
            vec![
                (Ident, "a"),
                (Punct, "->>"),
                (String, "'k'"),
                (Punct, "@>"),
                (Ident, "b"),
                (Punct, "||"),
                (Ident, "c"),
            ]
        );
        // Trailing `-` is split off so `=-1` means "equals minus one".
        assert_eq!(
            significant("a=-1"),
            vec![(Ident, "a"), (Punct, "="), (Punct, "-"), (Number, "1")]
        );
        assert_eq!(significant("x := 1"), vec![(Ident, "x"), (Punct, ":="), (Number, "1")]);
        assert_eq!(significant("a[1:2]")[3..6], [(Punct, ":"), (Number, "2"), (Punct, "]")]);
    }

    #[test]
    fn numbers() {
        for n in ["42", "1.5", ".5", "1.", "1e10", "1.5E-3", "0x1F", "0o17", "0b101", "1_000"] {
            assert_eq!(kinds(n), vec![(Number, n)], "{n}");
        }
        assert_eq!(kinds("1..5"), vec![(Number, "1"), (Punct, ".."), (Number, "5")]);
        assert_eq!(kinds("1e"), vec![(Number, "1"), (Ident, "e")]);
    }

    #[test]
    fn quoted_identifiers() {
        assert_eq!(
            significant("\"Mixed\".\"Case\""),
            vec![(QuotedIdent, "\"Mixed\""), (Punct, "."), (QuotedIdent, "\"Case\"")]
        );
        assert_eq!(ident_value("\"a\"\"b\""), "a\"b");
        assert_eq!(ident_value("\"\"\"\""), "\"");
        assert_eq!(ident_value("\"a\"\"\""), "a\"");
        assert_eq!(ident_value("Orders"), "orders");
        assert_eq!(ident_value("Größe"), "größe");
        assert_eq!(kinds("U&\"\\0041\""), vec![(QuotedIdent, "U&\"\\0041\"")]);
        assert_eq!(ident_value("U&\"\\0041\""), "A");
        assert_eq!(ident_value("u&\"d\\0061t\\+000061\""), "data");
        assert_eq!(ident_value("U&\"\\D83D\\DE00\""), "\u{1F600}");
        assert_eq!(ident_value("\"unterminated"), "unterminated");
        assert_eq!(ident_value(&"x".repeat(70)), "x".repeat(63));
    }

    #[test]
    fn string_values() {
        assert_eq!(string_value("'it''s'").as_deref(), Some("it's"));
        assert_eq!(string_value("N'n'").as_deref(), Some("n"));
        assert_eq!(string_value(r"E'a\nb\\c\'d'").as_deref(), Some("a\nb\\c'd"));
        assert_eq!(string_value(r"e'\x41\101\u00e9\U0001F600'").as_deref(), Some("AAé\u{1F600}"));
        assert_eq!(string_value(r"E'\xff'"), None);
        assert_eq!(string_value("'open"), None);
        assert_eq!(string_value("B'101'"), None);
        assert_eq!(string_value("$$x$$"), None);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for sql in [
            "'",
            "\"",
            "E'\\",
            "E'\\é",
            "U&",
            "u&\"",
            "$",
            "$a",
            "0x",
            ".",
            "/*",
            "-",
            "\u{0}é\u{1F600}",
        ] {
            let toks = tokenize(sql);
            let joined: std::string::String = toks.iter().map(|t| t.text(sql)).collect();
            assert_eq!(joined, sql);
        }
    }

    mod props {
        use proptest::prelude::*;

        use super::super::*;

        /// The lexer's contract: spans are non-empty, contiguous, on
        /// character boundaries, and together they are the input.
        fn assert_lossless(sql: &str) -> Result<(), TestCaseError> {
            let mut at = 0;
            for tok in tokenize(sql) {
                prop_assert_eq!(tok.span.start, at);
                prop_assert!(tok.span.end > at);
                prop_assert!(sql.is_char_boundary(tok.span.end));
                at = tok.span.end;
            }
            prop_assert_eq!(at, sql.len());
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(5000))]

            #[test]
            fn arbitrary_text_round_trips(sql in any::<String>()) {
                assert_lossless(&sql)?;
            }

            #[test]
            fn sqlish_text_round_trips(
                sql in "[a-zA-Z0-9_ \n'\"$.:;(),/*+\\\\&|@#<>=!~?%^`\\[\\]{}eEbBxXuUnNé😀-]{0,60}"
            ) {
                assert_lossless(&sql)?;
                for tok in tokenize(&sql) {
                    let text = tok.text(&sql);
                    // The value helpers accept whatever the lexer produced.
                    let _ = ident_value(text);
                    let _ = string_value(text);
                }
            }
        }
    }
}
