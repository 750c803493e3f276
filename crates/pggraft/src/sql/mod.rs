//! SQL text, the lowest layer: [`quote`] is the one place identifiers and
//! literals are quoted, and [`lexer`] splits PostgreSQL SQL and PL/pgSQL into
//! tokens that keep every byte, so [`crate::rename`] can rewrite references
//! inside view bodies, expressions and function bodies without disturbing
//! anything else. Nothing here imports anything above it.

pub mod lexer;
pub mod quote;

#[cfg(test)]
mod quote_props;

pub use lexer::{Token, TokenKind, ident_value, string_value, tokenize};
pub use quote::{Ident, Literal, QualifiedName, ident, literal};
