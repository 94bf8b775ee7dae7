//! Multi-conversation files at the command line: record ids and locations, metadata filters,
//! time filters, malformed records and files cut off mid-record.

mod common;

use std::path::Path;

use common::*;

const CHATS: &str = r#"{"id":"a1","model":"vicuna-13b","language":"English","tstamp":1700000000,"messages":[{"role":"user","content":"How do I bake bread?"},{"role":"assistant","content":"Mix flour, water, yeast. 先揉面 then bake."}]}
{"id":"a2","model":"gpt-4","language":"Chinese","tstamp":1710000000,"messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"面包怎么做？bread please"},{"role":"assistant","content":[{"type":"text","text":"Use bread flour 高筋面粉."}]}]}
{"id":"a3", "model": broken json
{"id":"a4","model":"gpt-4","messages":[{"role":"user","content":"sourdough bread starter?"},{"role":"assistant","content":"Feed it daily."}]}
"#;

const CUT: &str = r#"[{"conversations":[{"from":"human","value":"bread question one"},{"from":"gpt","value":"answer one"}]},{"conversations":[{"from":"human","value":"bread two"},{"from":"gpt","value":"ans"#;

fn setup() -> (tempfile::TempDir, String) {
    let ws = tempfile::tempdir().unwrap();
    let corpus = ws.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::write(corpus.join("chats.jsonl"), CHATS).unwrap();
    std::fs::write(corpus.join("cut.json"), CUT).unwrap();
    let stderr = ingest(ws.path());
    (ws, stderr)
}

fn conversations(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = search_jsonl(dir, args)
        .iter()
        .map(|h| h["conversation"].as_str().unwrap().to_owned())
        .collect();
    ids.dedup();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn malformed_and_cut_off_records_are_reported_and_the_rest_indexed() {
    let (ws, stderr) = setup();
    assert!(
        stderr.contains("warning: skipped record corpus/chats.jsonl#3:3: invalid JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("corpus/cut.json"), "{stderr}");
    assert!(stderr.contains("cut off"), "{stderr}");
    assert!(stderr.contains("1 records skipped"), "{stderr}");
    assert!(stderr.contains("4 conversations, 9 turns"), "{stderr}");
    assert_eq!(
        conversations(ws.path(), &["bread", "-C", "0"]),
        ["chats#a1", "chats#a2", "chats#a4", "cut#1"]
    );
}

#[test]
fn metadata_and_time_filter_and_travel_with_hits() {
    let (ws, _) = setup();
    assert_eq!(
        conversations(ws.path(), &["bread", "--where", "model=GPT-4"]),
        ["chats#a2", "chats#a4"]
    );
    // Values of one key are ORed, keys ANDed.
    assert_eq!(
        conversations(
            ws.path(),
            &[
                "bread",
                "--where",
                "model=gpt-4",
                "--where",
                "model=vicuna-13b",
                "--where",
                "language=english"
            ]
        ),
        ["chats#a1"]
    );
    assert_eq!(
        conversations(ws.path(), &["bread", "--since", "2024-01-01"]),
        ["chats#a2"]
    );
    assert_eq!(
        conversations(ws.path(), &["bread", "--until", "2023-11-14"]),
        ["chats#a1"]
    );
    let hits = search_jsonl(ws.path(), &["flour", "--where", "model=gpt-4", "-C", "1"]);
    assert_eq!(hits.len(), 1);
    let hit = &hits[0];
    assert_eq!(hit["conversation_metadata"]["model"], "gpt-4");
    assert_eq!(hit["conversation_metadata"]["language"], "Chinese");
    assert_eq!(hit["time"], "2024-03-09T16:00:00Z");
    assert_eq!(hit["record"], 2);
    assert_eq!(hit["location"], "corpus/chats.jsonl#2:2");
    assert_eq!(hit["speaker"], "assistant");
    assert_eq!(hit["context"]["before"][0]["speaker"], "user");
    // A system prompt is not the title.
    assert_eq!(hit["title"], "面包怎么做？bread please");
    // An unknown pair lists what there is.
    colloquy(ws.path())
        .args(["search", "bread", "--where", "model=gpt4"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "known values: model=gpt-4, model=vicuna-13b",
        ));
}

#[test]
fn show_takes_record_locations() {
    let (ws, _) = setup();
    let (out, _) = run_ok(ws.path(), &["show", "corpus/chats.jsonl#4", "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["conversation"], "chats#a4");
    assert_eq!(doc["metadata"]["model"], "gpt-4");
    assert_eq!(doc["turns"].as_array().unwrap().len(), 2);
    // A file of several conversations needs a record.
    colloquy(ws.path())
        .args(["show", "corpus/chats.jsonl"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("holds several conversations"));
}
