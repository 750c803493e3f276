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
