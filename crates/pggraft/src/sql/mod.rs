//! SQL text as tokens. [`lexer`] splits PostgreSQL SQL and PL/pgSQL into
//! tokens that keep every byte, so [`crate::rename`] can rewrite references
//! inside view bodies, expressions and function bodies without disturbing
//! anything else. Building SQL from names is [`crate::ddl::quote`]'s job, not
//! this module's.

pub mod lexer;

#[cfg(test)]
mod quote_props;

pub use lexer::{Token, TokenKind, ident_value, string_value, tokenize};
