//! The catalog model. (Being filled in.)
