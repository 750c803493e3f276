//! Making `pg_dump --schema-only` output comparable between two databases: selecting schemas
//! by exact name, and dropping the lines that differ between runs or pg_dump versions rather
//! than between schemas.

/// Quotes a schema name for pg_dump's `-n` pattern syntax so that it matches only that exact
/// name. Inside double quotes pg_dump takes `.`, `*`, `?` and capitals literally; a double
/// quote is written twice.
pub(crate) fn exact_pattern(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Drops `\restrict`/`\unrestrict` (their key is random per run), `--` comments (server and
/// pg_dump versions, per-object headers), the `SET`/`set_config` preamble, and
/// collapses runs of blank lines, so equal schemas give equal text.
///
/// The filter is line-based and also applies inside function bodies; that is harmless because
/// both sides of a comparison are normalized the same way.
pub(crate) fn normalize(dump: &str) -> String {
    let mut out = String::with_capacity(dump.len());
    let mut pending_blank = false;
    for line in dump.lines() {
        let noise = ["\\restrict", "\\unrestrict", "--", "SET ", "SELECT pg_catalog.set_config"]
            .iter()
            .any(|prefix| line.starts_with(prefix));
        if noise {
            continue;
        }
        if line.trim().is_empty() {
            pending_blank = !out.is_empty();
            continue;
        }
        if pending_blank {
            out.push('\n');
            pending_blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_only_ddl() {
        let dump = "\\restrict abc\n--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n\
                    SELECT pg_catalog.set_config('search_path', '', false);\n\n\n\
                    CREATE TABLE public.t (\n    id integer\n);\n\n\n\nALTER TABLE public.t OWNER TO postgres;\n\n\
                    \\unrestrict abc\n\n";
        assert_eq!(
            normalize(dump),
            "CREATE TABLE public.t (\n    id integer\n);\n\nALTER TABLE public.t OWNER TO postgres;\n"
        );
    }

    #[test]
    fn exact_pattern_doubles_quotes() {
        assert_eq!(exact_pattern(r#"My "odd".schema*"#), r#""My ""odd"".schema*""#);
    }
}
