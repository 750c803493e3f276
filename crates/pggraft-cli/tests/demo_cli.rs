//! `pggraft demo`, the README's first command: it starts its own throwaway
//! cluster, clones the sample schema twice, verifies both copies and exits 0.

mod util;

#[test]
fn demo_clones_and_verifies_the_sample() {
    let stdout = util::ok(&["demo", "--scale", "1"]);
    // Both copies (same database, renamed; another database) verify clean.
    assert_eq!(stdout.matches("identical (checksums)").count(), 2, "{stdout}");
}
