//! A lexer for PostgreSQL SQL text that keeps every byte, so that references
//! can be rewritten without disturbing anything else. (Being filled in.)
