//! Every format end to end: each fixture folder under `tests/fixtures/formats/` is ingested as a
//! corpus by the real binary, and its `expected.tsv` (file, format, conversations, turns,
//! speakers, word, speaker) is checked against the index: the reader chosen, the exact counts per
//! file, a speaker-filtered search with context, `show` of the hit's location, and the JSON export.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

struct Row {
    file: String,
    format: String,
    conversations: usize,
    turns: usize,
    speakers: String,
    word: String,
    speaker: String,
}

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.tsv").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn rows(dir: &Path) -> Vec<Row> {
    let table = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 7, "{}: bad row {l:?}", dir.display());
            Row {
                file: f[0].into(),
                format: f[1].into(),
                conversations: f[2].parse().unwrap(),
                turns: f[3].parse().unwrap(),
                speakers: f[4].into(),
                word: f[5].into(),
                speaker: f[6].into(),
            }
        })
        .collect()
}

/// A workspace whose `corpus/` holds the fixture files of `dir` named in its table.
fn corpus_of(dir: &Path, rows: &[Row]) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    let corpus = ws.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    for r in rows {
        std::fs::copy(dir.join(&r.file), corpus.join(&r.file)).unwrap();
    }
    ws
}

#[test]
fn every_format_fixture_ingests_searches_and_shows() {
    let dirs = fixture_dirs();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let rows = rows(&dir);
        let ws = corpus_of(&dir, &rows);
        let stderr = ingest(ws.path());
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();

        // The reader chosen per file, as stats counts them.
        let stats = run_json(ws.path(), &["stats", "--json"]);
        let mut formats: BTreeMap<String, u64> = BTreeMap::new();
        for r in &rows {
            *formats.entry(r.format.clone()).or_default() += 1;
        }
        let got: BTreeMap<String, u64> = serde_json::from_value(stats["formats"].clone()).unwrap();
        assert_eq!(got, formats, "{name}: formats chosen ({stderr})");
        if rows.iter().any(|r| r.file.contains("damaged")) {
            assert!(
                stats["repair"]["repaired_turns"].as_u64().unwrap() > 0,
                "{name}: the damaged fixture was not repaired"
            );
        }

        // Exact conversation and turn counts, and speakers, per file.
        let all = search_jsonl(ws.path(), &["*", "-C", "0"]);
        // Formats with fields beside the text export them as metadata with every hit.
        if ["json", "csv", "parquet", "subtitles", "whatsapp"].contains(&name.as_str()) {
            let with_metadata = |h: &&Value| {
                h.get("metadata")
                    .is_some_and(|m| m.as_object().is_some_and(|o| !o.is_empty()))
                    || h.get("conversation_metadata").is_some()
            };
            assert!(
                all.iter().any(|h| with_metadata(&h)),
                "{name}: no metadata exported"
            );
        }
        for r in &rows {
            let source = format!("corpus/{}", r.file);
            let turns: Vec<&Value> = all.iter().filter(|h| h["source"] == source).collect();
            let convs: BTreeSet<&str> = turns
                .iter()
                .map(|h| h["conversation"].as_str().unwrap())
                .collect();
            assert_eq!(turns.len(), r.turns, "{name}/{}: turns", r.file);
            assert_eq!(
                convs.len(),
                r.conversations,
                "{name}/{}: conversations",
                r.file
            );
            let speakers: BTreeSet<&str> = turns
                .iter()
                .map(|h| h["speaker"].as_str().unwrap())
                .filter(|s| !s.is_empty())
                .collect();
            assert_eq!(
                speakers.into_iter().collect::<Vec<_>>().join(","),
                r.speakers,
                "{name}/{}: speakers",
                r.file
            );
            check_search_and_show(ws.path(), &name, r);
        }
    }
}

/// The row's word, said by its speaker, is found with a speaker filter and context; its printed
/// location opens it in `show`.
fn check_search_and_show(ws: &Path, name: &str, r: &Row) {
    let source = format!("corpus/{}", r.file);
    let hits = search_jsonl(
        ws,
        &[r.word.as_str(), "--speaker", r.speaker.as_str(), "-C", "1"],
    );
    let hit = hits
        .iter()
        .find(|h| h["source"] == source)
        .unwrap_or_else(|| panic!("{name}/{}: no hit of {} by {}", r.file, r.word, r.speaker));
    assert!(hits.iter().all(|h| h["speaker"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(&r.speaker)));
    let location = hit["location"].as_str().unwrap();
    assert!(location.starts_with(&source), "{name}: location {location}");
    let context = hit["context"]["before"].as_array().unwrap().len()
        + hit["context"]["after"].as_array().unwrap().len();
    if r.turns > 1 && r.conversations == 1 {
        assert!(context > 0, "{name}/{}: no context turns", r.file);
    }
    // Turns of a JSON record share its line, so a turn is named `ID:TURN` (tests/roots.rs
    // pastes `file:line` locations of text formats).
    let address = format!("{}:{}", hit["conversation"].as_str().unwrap(), hit["turn"]);
    let shown = run_json(ws, &["show", &address, "-C", "0", "--json"]);
    assert_eq!(
        shown["conversation"], hit["conversation"],
        "{name}: show {address}"
    );
    let turns = shown["turns"].as_array().unwrap();
    assert!(
        turns.iter().any(|t| t["turn"] == hit["turn"]),
        "{name}: show {address} lacks the hit's turn"
    );
}
