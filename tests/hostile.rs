//! Hostile input: each case is something a probe of the tool did, and what must happen instead
//! of a crash, a hang, or invented text.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn deeply_nested_queries_are_refused_not_a_crash() {
    let ws = workspace();
    ingest(ws.path());
    let query = format!("{}art{}", "(".repeat(10_000), ")".repeat(10_000));
    colloquy(ws.path())
        .args(["search", &query])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nested deeper than 64 levels"));
    // Sixty levels are a query like any other.
    let query = format!("{}art{}", "(".repeat(60), ")".repeat(60));
    colloquy(ws.path())
        .args(["search", &query])
        .assert()
        .code(0);
}

#[test]
fn a_truncated_utf8_character_is_replaced_not_reinterpreted() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = "[A]: 你好 世界\n".as_bytes().to_vec();
    bytes.extend(b"\xe5\xa5");
    std::fs::write(dir.path().join("t.txt"), bytes).unwrap();
    let out = colloquy(dir.path())
        .args(["repair", "t.txt", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["encoding"], "UTF-8");
    assert_eq!(doc["text"], "[A]: 你好 世界\n\u{FFFD}");
    assert_eq!(doc["guesses"].as_array().map(Vec::len), Some(0));
}

#[test]
fn control_sequences_in_the_corpus_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::write(
        corpus.join("evil.txt"),
        "[A]: hello \x1b[2J\x1b]0;pwned\x07 world\n",
    )
    .unwrap();
    ingest(dir.path());
    let out = colloquy(dir.path())
        .args(["search", "hello", "--color", "always"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("\x1b[2J") && !text.contains("\x1b]0;") && !text.contains('\x07'));
    assert!(text.contains("\\u{1b}[2J"), "{text}");
}
