//! Conversation ids, corpus roots and `--prune`: no conversation is ever lost or merged.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

fn ingest_args(dir: &Path, args: &[&str]) -> String {
    let out = colloquy(dir).arg("ingest").args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ingest {args:?}: {stderr}");
    stderr
}

/// Every conversation id in the index at `index`, from a match-all search.
fn conversations(dir: &Path, index: &str) -> BTreeSet<String> {
    search_jsonl(dir, &["*", "-C", "0", "--index", index])
        .iter()
        .map(|h| h["conversation"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn same_stem_different_extension_are_two_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    write(&c.join("notes.txt"), "[A]: apple one\n");
    write(&c.join("notes.md"), "[B]: apple two\n[C]: pear\n");
    write(&c.join("other.txt"), "[A]: apple three\n");
    let summary = ingest_args(dir.path(), &["c", "--index", "idx"]);
    assert!(summary.contains("3 conversations, 4 turns"), "{summary}");
    assert_eq!(
        conversations(dir.path(), "idx"),
        ["notes.md", "notes.txt", "other"].map(String::from).into()
    );
    let out = colloquy(dir.path())
        .args(["show", "notes.md", "--index", "idx", "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["turns"].as_array().unwrap().len(), 2);
    assert_eq!(doc["source"], "c/notes.md");
}

#[test]
fn a_new_sibling_renames_without_leaving_stale_turns() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    write(&c.join("ep1.txt"), "[A]: first episode\n");
    ingest_args(dir.path(), &["c", "--index", "idx"]);
    assert_eq!(conversations(dir.path(), "idx"), ["ep1".to_owned()].into());
    write(&c.join("ep1.md"), "[A]: second episode\n");
    let summary = ingest_args(dir.path(), &["c", "--index", "idx"]);
    assert!(summary.contains("2 indexed"), "{summary}");
    assert_eq!(
        conversations(dir.path(), "idx"),
        ["ep1.md", "ep1.txt"].map(String::from).into()
    );
    assert!(summary.contains("2 conversations, 2 turns"), "{summary}");
}

#[test]
fn two_roots_with_the_same_relative_path_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a/same.txt"), "[A]: from a\n");
    write(&dir.path().join("b/same.txt"), "[B]: from b\n");
    let summary = ingest_args(dir.path(), &["a", "b", "--index", "idx"]);
    assert!(summary.contains("2 conversations, 2 turns"), "{summary}");
    assert_eq!(
        conversations(dir.path(), "idx"),
        ["a/same.txt", "b/same.txt"].map(String::from).into()
    );
}

#[test]
fn roots_are_remembered_and_only_prune_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a/one.txt"), "[A]: one\n");
    write(&dir.path().join("b/two.txt"), "[B]: two\n");
    write(&dir.path().join("b/three.txt"), "[B]: three\n");
    ingest_args(dir.path(), &["a", "--index", "idx"]);
    // A second root adds to the index; the first root's files stay.
    let added = ingest_args(dir.path(), &["b", "--index", "idx"]);
    assert!(added.contains("0 removed"), "{added}");
    assert_eq!(
        conversations(dir.path(), "idx"),
        ["one", "three", "two"].map(String::from).into()
    );
    // A file gone from a walked root is removed; the other root is untouched.
    std::fs::remove_file(dir.path().join("b/three.txt")).unwrap();
    let removed = ingest_args(dir.path(), &["b", "--index", "idx"]);
    assert!(removed.contains("1 removed"), "{removed}");
    assert_eq!(
        conversations(dir.path(), "idx"),
        ["one", "two"].map(String::from).into()
    );
    // --prune removes roots that were not walked.
    let pruned = ingest_args(dir.path(), &["b", "--index", "idx", "--prune"]);
    assert!(pruned.contains("1 removed"), "{pruned}");
    assert_eq!(conversations(dir.path(), "idx"), ["two".to_owned()].into());
}

#[test]
fn search_locations_can_be_pasted_into_show() {
    let ws = workspace();
    ingest(ws.path());
    let hits = search_jsonl(ws.path(), &["photography", "-C", "0", "--limit", "1"]);
    let location = hits[0]["location"].as_str().unwrap().to_owned();
    assert!(
        location.starts_with("corpus/001_177df1590b2f3725.txt:"),
        "{location}"
    );
    let (out, _) = run_ok(ws.path(), &["show", &location, "-C", "0", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let turns = doc["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1);
    assert_eq!(turns[0]["turn"], hits[0]["turn"]);
    // The file alone names its one conversation.
    let out = colloquy(ws.path())
        .args(["show", "corpus/001_177df1590b2f3725.txt", "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["conversation"], "001_177df1590b2f3725");
    assert_eq!(doc["turns"].as_array().unwrap().len(), 20);
}
