//! Small helpers for terminal output shared by the commands.

use std::io::{IsTerminal, Write};

/// One line for an error and its causes, without repeating a cause that the
/// outer message already contains.
pub fn error_line(e: &anyhow::Error) -> String {
    let mut line = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !line.contains(&c) {
            line.push_str(": ");
            line.push_str(&c);
        }
    }
    line
}

/// The kind of the library error in `e`'s chain, if there is one.
pub fn error_kind(e: &anyhow::Error) -> Option<pggraft::ErrorKind> {
    e.chain().find_map(|c| c.downcast_ref::<pggraft::Error>()).map(pggraft::Error::kind)
}

/// `pggraft diff | head` closing the pipe early is not an error.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes text to a file, or to stdout when `path` is `None` or `-`.
pub fn write_out(path: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Whether stdout is a terminal: reports are tables there, and plain lines
/// of at most [`PLAIN_WIDTH`] columns in files, pipes and CI logs.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// The width reports keep to when stdout is not a terminal.
pub const PLAIN_WIDTH: usize = 100;

/// A table whose cells wrap to the terminal's width on a terminal, and to
/// [`PLAIN_WIDTH`] columns elsewhere (comfy-table measures the terminal).
pub fn table(header: Vec<&str>) -> comfy_table::Table {
    use comfy_table::{ContentArrangement, presets::UTF8_FULL_CONDENSED};
    let mut t = comfy_table::Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    if !stdout_is_terminal() {
        t.set_width(PLAIN_WIDTH as u16);
    }
    t.set_header(header);
    t
}

/// A report of `key: value` rows under a title: a two-column table on a
/// terminal, plain `key: value` lines otherwise, long values wrapped at
/// word boundaries (a list wraps after its commas) under their first line.
#[derive(Default)]
pub struct Summary {
    title: String,
    rows: Vec<(String, String)>,
}

impl Summary {
    pub fn new(title: &str) -> Summary {
        Summary { title: title.to_owned(), rows: vec![] }
    }

    pub fn row(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.rows.push((key.into(), value.into()));
    }

    /// For stdout as it is.
    pub fn render(&self) -> String {
        if stdout_is_terminal() { self.table() } else { self.plain(PLAIN_WIDTH) }
    }

    fn table(&self) -> String {
        let mut t = table(vec![&self.title, ""]);
        for (k, v) in &self.rows {
            t.add_row(vec![k, v]);
        }
        format!("{t}\n")
    }

    /// `key: value` lines of at most `width` columns. A value wraps after
    /// the commas of a list, so that `11 function` stays on one line, and
    /// at spaces inside an item too long for a line (a single word longer
    /// than a line stays whole).
    pub fn plain(&self, width: usize) -> String {
        let key_width = self.rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
        let indent = key_width + 2;
        let room = width.saturating_sub(indent).max(1);
        let mut out = String::new();
        for (k, v) in &self.rows {
            let mut lines: Vec<String> = vec![String::new()];
            for item in v.split_inclusive(", ").map(str::trim).filter(|i| !i.is_empty()) {
                let words: Vec<&str> = if item.chars().count() > room {
                    item.split(' ').filter(|w| !w.is_empty()).collect()
                } else {
                    vec![item]
                };
                for word in words {
                    let line = lines.last_mut().expect("one line");
                    let len = line.chars().count();
                    if len > 0 && len + 1 + word.chars().count() > room {
                        lines.push(word.to_owned());
                    } else {
                        if len > 0 {
                            line.push(' ');
                        }
                        line.push_str(word);
                    }
                }
            }
            for (i, line) in lines.iter().enumerate() {
                if i == 0 {
                    out.push_str(&format!("{k}:{}", " ".repeat(indent - k.chars().count() - 1)));
                } else {
                    out.push_str(&" ".repeat(indent));
                }
                out.push_str(line);
                let trimmed = out.trim_end().len();
                out.truncate(trimmed);
                out.push('\n');
            }
        }
        out
    }
}

/// The version of every JSON report's shape (docs/json.md). It goes up
/// when a field is removed or changes meaning; new fields may appear
/// without it.
pub const JSON_VERSION: u32 = 1;

/// A JSON report: `{"report": NAME, "version": 1, …fields of body}`, pretty
/// printed with a final newline. `body` must serialize to an object.
pub fn json_report(name: &str, body: &impl serde::Serialize) -> anyhow::Result<String> {
    let mut doc = serde_json::Map::new();
    doc.insert("report".into(), name.into());
    doc.insert("version".into(), JSON_VERSION.into());
    match serde_json::to_value(body)? {
        serde_json::Value::Object(fields) => doc.extend(fields),
        other => anyhow::bail!("internal error: the {name} report is not an object: {other}"),
    }
    let mut text = serde_json::to_string_pretty(&doc)?;
    text.push('\n');
    Ok(text)
}

/// Writes a JSON report ([`json_report`]) on stdout.
pub fn print_json(name: &str, body: &impl serde::Serialize) -> anyhow::Result<()> {
    write_out(None, &json_report(name, body)?)
}

#[cfg(test)]
mod tests {
    use super::Summary;

    #[test]
    fn plain_summary_wraps_long_values_under_their_first_line() {
        let mut s = Summary::new("clone");
        s.row("schema", "shop → shop_copy");
        let objects: Vec<String> = (1..=40).map(|i| format!("{i} kind{i}")).collect();
        s.row("objects", objects.join(", "));
        let text = s.plain(60);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "schema:  shop → shop_copy");
        assert!(lines[1].starts_with("objects: 1 kind1, 2 kind2,"), "{text}");
        // Items stay whole: every line ends after a comma but the last.
        assert!(lines[1..lines.len() - 1].iter().all(|l| l.ends_with(',')), "{text}");
        assert!(lines.len() > 3, "{text}");
        for l in &lines[2..] {
            assert!(l.starts_with("         ") && !l.starts_with("          "), "{text}");
        }
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{text}");
        let words = |t: &str| t.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let rejoined: Vec<String> = words(&text).into_iter().skip(5).collect();
        assert_eq!(rejoined, words(&objects.join(", ")));
    }
}
