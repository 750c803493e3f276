//! `pggraft demo`, the README's first command: it starts its own throwaway
//! cluster, clones the sample schema twice, verifies both copies and exits 0.

use std::process::Command;

#[test]
fn demo_clones_and_verifies_the_sample() {
    let out = Command::new(env!("CARGO_BIN_EXE_pggraft"))
        .args(["demo", "--scale", "1"])
        .env_remove("PGGRAFT_LOG")
        .output()
        .expect("run pggraft demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed: {stderr}\n{stdout}");
    // Both copies (same database, renamed; another database) verify clean.
    assert_eq!(stdout.matches("identical (checksums)").count(), 2, "{stdout}");
}
