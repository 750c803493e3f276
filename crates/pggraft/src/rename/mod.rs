//! Renaming on the way: schema maps, name templates, identifier case folding,
//! and rewriting references inside SQL text. (Being filled in.)
