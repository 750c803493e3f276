//! Running PostgreSQL's programs: capturing their output, feeding them stdin, and quoting
//! command lines for `sh` (the watchdog and `su -c` take one shell string, not an argv).

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::{Command, Stdio};

use crate::Error;

/// Runs `cmd` to completion, feeding it `input` on stdin, and returns its stdout.
///
/// `what` names the step for the error message ("initdb", "psql in database `x`").
pub(crate) fn run(cmd: &mut Command, input: Option<&[u8]>, what: &str) -> Result<String, Error> {
    cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| {
        let program = cmd.get_program().to_string_lossy().into_owned();
        Error::io(format!("could not run {program} (is PostgreSQL installed?)"), e)
    })?;
    let output = match (input, child.stdin.take()) {
        (Some(bytes), Some(mut stdin)) => std::thread::scope(|s| {
            // Written from a second thread: a large script could otherwise fill the stdin pipe
            // while the child blocks on a full stdout pipe that nobody is reading yet. A write
            // error (the child exited early) is not reported: the exit status says why.
            s.spawn(move || {
                let _ = stdin.write_all(bytes);
            });
            child.wait_with_output()
        }),
        _ => child.wait_with_output(),
    }
    .map_err(|e| Error::io(format!("could not wait for {what}"), e))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    // pg_ctl reports some failures on stdout.
    let diagnostic = if output.stderr.iter().all(u8::is_ascii_whitespace) {
        &output.stdout
    } else {
        &output.stderr
    };
    Err(Error::Command {
        what: what.to_owned(),
        status: output.status.to_string(),
        stderr: String::from_utf8_lossy(diagnostic).trim().to_owned(),
    })
}

/// Quotes one word for POSIX `sh`.
pub(crate) fn shell_quote(word: &OsStr) -> OsString {
    let bytes = word.as_bytes();
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_-./=:,+@%".contains(b);
    if !bytes.is_empty() && bytes.iter().all(plain) {
        return word.to_owned();
    }
    let mut quoted = Vec::with_capacity(bytes.len() + 2);
    quoted.push(b'\'');
    for &b in bytes {
        if b == b'\'' {
            quoted.extend_from_slice(b"'\\''");
        } else {
            quoted.push(b);
        }
    }
    quoted.push(b'\'');
    OsString::from_vec(quoted)
}

/// Joins an argv into one `sh` command line.
pub(crate) fn shell_join(argv: &[OsString]) -> OsString {
    let mut line = OsString::new();
    for (i, word) in argv.iter().enumerate() {
        if i > 0 {
            line.push(" ");
        }
        line.push(shell_quote(word));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_survives_sh() {
        let words = ["plain", "", "it's", "a b", "$HOME", "`x`", "\\n", "'''"];
        let argv: Vec<OsString> = words.iter().map(OsString::from).collect();
        let script = format!("printf '%s\\n' {}", shell_join(&argv).to_string_lossy());
        let out = run(Command::new("/bin/sh").arg("-c").arg(script), None, "sh").unwrap();
        assert_eq!(out, words.iter().map(|w| format!("{w}\n")).collect::<String>());
    }
}
