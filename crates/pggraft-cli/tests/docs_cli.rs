//! Shell completions and man pages, generated from the flag definitions: each shell's script
//! is valid for that shell (checked by the shell itself where it is installed) and offers
//! every subcommand and the flags of a nested one; the man pages cover every subcommand.

mod util;

use std::process::Command;

use util::ok;

const SUBCOMMANDS: &[&str] =
    &["inspect", "clone", "verify", "diff", "migrate", "sync-schema", "demo", "completions", "man"];

/// Whether `shell` is installed (so its syntax check can run).
fn installed(shell: &str) -> bool {
    Command::new(shell).arg("-c").arg("true").output().is_ok_and(|o| o.status.success())
}

/// Runs `shell`'s own parser over `script` without executing it.
fn syntax_check(shell: &str, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("pggraft.{shell}"));
    std::fs::write(&file, script).unwrap();
    let flag = if shell == "fish" { "--no-execute" } else { "-n" };
    let out = Command::new(shell).arg(flag).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "{shell} rejects the completion script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}: no `{sub}` in the completions");
        }
        // Flags of commands at every depth, and values of a flag with a closed set.
        for flag in ["schema-template", "drop-if-exists", "allow-hazards", "json", "dry-run"] {
            assert!(script.contains(flag), "{shell}: no --{flag} in the completions");
        }
        assert!(script.contains("insert-select"), "{shell}: --strategy values not offered");
        if installed(shell) {
            syntax_check(shell, &script);
        } else {
            eprintln!("{shell} is not installed: its completion script was not syntax-checked");
        }
    }
    // bash is everywhere the tests run: its check never skips.
    assert!(installed("bash"));
}

#[test]
fn man_pages_cover_every_subcommand() {
    let page = ok(&["man"]);
    assert!(page.contains(".TH pggraft 1"), "{page}");
    for sub in SUBCOMMANDS {
        assert!(page.contains(&format!("pggraft\\-{}(1)", sub.replace('-', "\\-"))), "{sub}");
    }
    let dir = tempfile::tempdir().unwrap();
    ok(&["man", "--dir", dir.path().to_str().unwrap()]);
    for page in
        ["pggraft.1", "pggraft-clone.1", "pggraft-migrate-status.1", "pggraft-sync-schema.1"]
    {
        assert!(dir.path().join(page).is_file(), "no {page}");
    }
    let clone = std::fs::read_to_string(dir.path().join("pggraft-clone.1")).unwrap();
    assert!(clone.contains("schema\\-template"), "{clone}");
}
