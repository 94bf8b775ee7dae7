//! Ingest of the seed corpus: files, turns, speakers, lines, incremental updates and bad files.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::*;
use predicates::prelude::*;
use sha2::{Digest, Sha256};

#[test]
fn corpus_holds_the_seeds_byte_identical() {
    let expected = [
        (
            "000_69e3827c508b06a3.txt",
            "4ce9a45a5baea4b80fd86505cecb96e7a32292c585e3b4ab430b807ebcab7788",
        ),
        (
            "001_177df1590b2f3725.txt",
            "12a7a416ade900fe82fa0102fca89a50c999ef8e039ad3242759cbcb66b8282c",
        ),
        (
            "002_a46578f8551527d5.txt",
            "b0f256adae6e9d5d4c25c787a0f61d42e6c4a410c251252b111a56a4d6a2c66d",
        ),
        (
            "003_c8cacc78d537ad71.txt",
            "ec30fbb0bf62eebc6b56440ef10a01e50136970cabe9e267935823aee011985d",
        ),
    ];
    let mut files: Vec<String> = std::fs::read_dir(repo_corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, SEEDS);
    for (name, sha) in expected {
        let bytes = std::fs::read(repo_corpus().join(name)).unwrap();
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, sha, "{name} differs from the seed");
        // Where the shared seeds are beside the checkout, compare against them too.
        let shared = repo_corpus().join("../../shared/seeds").join(name);
        if let Ok(mut f) = std::fs::File::open(shared) {
            let mut seed = Vec::new();
            f.read_to_end(&mut seed).unwrap();
            assert_eq!(bytes, seed, "{name} differs from ../shared/seeds");
        }
    }
}

/// Start lines of `[A]: ` / `[B]: ` markers, found independently of colloquy.
fn marker_lines(name: &str) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(repo_corpus().join(name)).unwrap();
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| {
            ["A", "B"]
                .iter()
                .find(|s| l.starts_with(&format!("[{s}]: ")))
                .map(|s| (i as u64 + 1, s.to_string()))
        })
        .collect()
}

#[test]
fn seed_corpus_ingests_to_80_turns_in_4_conversations() {
    let ws = workspace();
    let stderr = ingest(ws.path());
    assert!(
        stderr.contains("index holds 4 conversations, 80 turns"),
        "summary was: {stderr}"
    );
    let hits = search_jsonl(ws.path(), &["*", "-C", "0"]);
    assert_eq!(hits.len(), 80);
    let mut per_conv: BTreeMap<String, Vec<(u64, u64, String)>> = BTreeMap::new();
    for h in &hits {
        per_conv
            .entry(h["conversation"].as_str().unwrap().to_owned())
            .or_default()
            .push((
                h["turn"].as_u64().unwrap(),
                h["line"].as_u64().unwrap(),
                h["speaker"].as_str().unwrap().to_owned(),
            ));
    }
    assert_eq!(per_conv.len(), 4);
    for seed in SEEDS {
        let conv = seed.trim_end_matches(".txt");
        let mut turns = per_conv
            .remove(conv)
            .unwrap_or_else(|| panic!("{conv} missing"));
        turns.sort();
        assert_eq!(turns.len(), 20, "{conv}");
        let expected = marker_lines(seed);
        for (i, (turn, line, speaker)) in turns.iter().enumerate() {
            assert_eq!(*turn, i as u64);
            assert_eq!((*line, speaker.clone()), expected[i], "{conv} turn {i}");
        }
    }
    // Spot check against lines read by eye: 000's turns 2 and 3 start on lines 5 and 10.
    let first = search_jsonl(
        ws.path(),
        &["*", "--conv", "000_69e3827c508b06a3", "-C", "0"],
    );
    let mut lines: Vec<u64> = first.iter().map(|h| h["line"].as_u64().unwrap()).collect();
    lines.sort();
    assert_eq!(&lines[..4], &[1, 2, 5, 10]);
}

fn summary_counts(stderr: &str) -> (String, String, String) {
    let grab = |word: &str| {
        stderr
            .split(", ")
            .flat_map(|p| p.split(": "))
            .find(|p| p.ends_with(word))
            .map(|p| p.trim().to_owned())
            .unwrap_or_default()
    };
    (grab(" indexed"), grab(" unchanged"), grab(" removed"))
}

#[test]
fn incremental_ingest_touches_only_what_changed() {
    let ws = workspace();
    let corpus = ws.path().join("corpus");
    let first = ingest(ws.path());
    assert_eq!(
        summary_counts(&first),
        ("4 indexed".into(), "0 unchanged".into(), "0 removed".into())
    );

    // Nothing changed: nothing is indexed.
    let again = ingest(ws.path());
    assert_eq!(
        summary_counts(&again),
        ("0 indexed".into(), "4 unchanged".into(), "0 removed".into())
    );

    // Same bytes, new mtime: hashed, still nothing indexed.
    let f = corpus.join(SEEDS[1]);
    let bytes = std::fs::read(&f).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&f, &bytes).unwrap();
    let touched = ingest(ws.path());
    assert_eq!(summary_counts(&touched).0, "0 indexed");

    // Edit one file: only it is re-indexed, and its new text is searchable.
    let mut text = String::from_utf8(bytes).unwrap();
    text.push_str("\n[C]: zanzibarquux is a new word\n");
    std::fs::write(&f, text).unwrap();
    let edited = ingest(ws.path());
    assert_eq!(
        summary_counts(&edited),
        ("1 indexed".into(), "3 unchanged".into(), "0 removed".into())
    );
    assert!(edited.contains("81 turns"), "{edited}");
    let hits = search_jsonl(ws.path(), &["zanzibarquux"]);
    assert_eq!(hit_keys(&hits), [("001_177df1590b2f3725".to_owned(), 20)]);
    assert_eq!(hits[0]["speaker"], "C");

    // Delete a file: its turns are gone.
    std::fs::remove_file(corpus.join(SEEDS[3])).unwrap();
    let removed = ingest(ws.path());
    assert_eq!(
        summary_counts(&removed),
        ("0 indexed".into(), "3 unchanged".into(), "1 removed".into())
    );
    let all = search_jsonl(ws.path(), &["*"]);
    assert_eq!(all.len(), 61);
    assert!(all
        .iter()
        .all(|h| h["conversation"] != "003_c8cacc78d537ad71"));

    // Add a file in a sub-folder: its turns appear, with a path-derived id.
    std::fs::create_dir(corpus.join("extra")).unwrap();
    std::fs::write(
        corpus.join("extra/new.txt"),
        "[X]: hello quokka\n[Y]: 你好 quokka\n",
    )
    .unwrap();
    let added = ingest(ws.path());
    assert_eq!(
        summary_counts(&added),
        ("1 indexed".into(), "3 unchanged".into(), "0 removed".into())
    );
    let hits = search_jsonl(ws.path(), &["quokka", "-C", "0"]);
    let mut keys = hit_keys(&hits);
    keys.sort();
    assert_eq!(
        keys,
        [("extra/new".to_owned(), 0), ("extra/new".to_owned(), 1)]
    );
    assert_eq!(hits[0]["source"].as_str().unwrap(), "corpus/extra/new.txt");

    // --rebuild starts over and finds the same corpus.
    let rebuilt = colloquy(ws.path())
        .args(["ingest", "--rebuild"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(
        stderr.contains("4 indexed") && stderr.contains("(rebuilt)"),
        "{stderr}"
    );
    assert_eq!(search_jsonl(ws.path(), &["*"]).len(), 63);
}

#[test]
fn unreadable_and_binary_files_are_skipped_with_a_warning() {
    let ws = workspace();
    let corpus = ws.path().join("corpus");
    std::fs::write(
        corpus.join("image.png"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    )
    .unwrap();
    // A dangling symlink is listed but cannot be read (root can read chmod-000 files, so this is
    // the unreadable file that fails for every user).
    std::os::unix::fs::symlink(ws.path().join("nowhere.txt"), corpus.join("gone.txt")).unwrap();
    colloquy(ws.path())
        .arg("ingest")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: skipped corpus/image.png: binary file",
        ))
        .stderr(predicate::str::contains(
            "warning: skipped corpus/gone.txt: cannot read",
        ))
        .stderr(predicate::str::contains("2 skipped"))
        .stderr(predicate::str::contains("4 conversations, 80 turns"));
}

#[test]
fn legacy_and_utf16_files_are_decoded() {
    let ws = workspace();
    let corpus = ws.path().join("corpus");
    let (gbk, _, _) =
        encoding_rs::GBK.encode("[甲]: 我们今天讨论一下这个话题，你觉得怎么样？\n[乙]: 很好\n");
    std::fs::write(corpus.join("gbk.txt"), gbk).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "[A]: wombat in utf16\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    std::fs::write(corpus.join("utf16.txt"), utf16).unwrap();
    ingest(ws.path());
    let hits = search_jsonl(ws.path(), &["wombat", "-C", "0"]);
    assert_eq!(hit_keys(&hits), [("utf16".to_owned(), 0)]);
    let hits = search_jsonl(ws.path(), &["讨论", "-C", "0"]);
    assert_eq!(hit_keys(&hits), [("gbk".to_owned(), 0)]);
    assert_eq!(hits[0]["speaker"], "甲");
}

#[test]
fn missing_corpus_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    colloquy(dir.path())
        .args(["ingest", "no-such-folder"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("corpus not found: no-such-folder"));
}

#[test]
fn malformed_bytes_are_reported_with_their_line() {
    let ws = workspace();
    let corpus = ws.path().join("corpus");
    // UTF-16 with a BOM and an unpaired surrogate on line 2.
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(
        "[A]: fine\n[B]: bad "
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    bytes.extend([0x00, 0xD8]);
    bytes.extend(" end\n".encode_utf16().flat_map(|u| u.to_le_bytes()));
    std::fs::write(corpus.join("broken.txt"), bytes).unwrap();
    colloquy(ws.path())
        .arg("ingest")
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: corpus/broken.txt:2: malformed UTF-16LE bytes replaced by U+FFFD",
        ))
        .stderr(predicate::str::contains("5 conversations, 82 turns"));
    let hits = search_jsonl(ws.path(), &["end", "--conv", "broken", "-C", "0"]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["text"], "bad \u{FFFD} end");
}

#[test]
fn the_detector_language_set_is_configurable() {
    let ws = workspace();
    let corpus = ws.path().join("corpus");
    std::fs::write(
        corpus.join("fr.txt"),
        "[A]: Je pense que la lumière du matin dans ce film est vraiment magnifique et très douce.\n",
    )
    .unwrap();
    ingest(ws.path());
    let hits = search_jsonl(ws.path(), &["magnifique", "-C", "0"]);
    assert_eq!(hits[0]["languages"], serde_json::json!(["fr"]));
    // Without fr in the set the same turn is English, and the whole index is rebuilt for it.
    let out = colloquy(ws.path())
        .args(["ingest", "--languages", "zh,en"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("5 indexed") && stderr.contains("(rebuilt)"),
        "{stderr}"
    );
    let hits = search_jsonl(ws.path(), &["magnifique", "-C", "0"]);
    assert_eq!(hits[0]["languages"], serde_json::json!(["en"]));
    // The set sticks to the index: a plain ingest changes nothing.
    let again = ingest(ws.path());
    assert!(
        again.contains("0 indexed") && !again.contains("rebuilt"),
        "{again}"
    );
    colloquy(ws.path())
        .args(["search", "*", "--lang", "fr"])
        .assert()
        .code(2);
}
