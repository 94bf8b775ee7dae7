//! Search over the seed corpus: Chinese and English queries, filters, exchanges, JSON output,
//! highlights and errors, all through the real binary.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;

const DAMAGED: &str = "000_69e3827c508b06a3";

/// The text a hit's highlight ranges cover, in code points.
fn highlighted(hit: &Value) -> Vec<String> {
    let chars: Vec<char> = hit["text"].as_str().unwrap().chars().collect();
    hit["highlights"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let (s, e) = (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
            );
            chars[s..e].iter().collect()
        })
        .collect()
}

#[test]
fn search_builds_the_index_on_first_use() {
    let ws = workspace();
    colloquy(ws.path())
        .args(["search", "mental health"])
        .assert()
        .success()
        .stderr(predicate::str::contains("building it from corpus"))
        .stdout(predicate::str::contains("**mental** **health**"))
        .stdout(predicate::str::contains(
            "\ncorpus/000_69e3827c508b06a3.txt\n",
        ))
        .stdout(predicate::str::contains("\n1:B  "));
    assert!(ws.path().join("index/meta.json").is_file());
    // Second call: no rebuild message.
    colloquy(ws.path())
        .args(["search", "mental health"])
        .assert()
        .success()
        .stderr(predicate::str::contains("building").not());
}

#[test]
fn chinese_word_from_damaged_seed_is_found() {
    let ws = workspace();
    let hits = search_jsonl(ws.path(), &["这个", "--conv", DAMAGED]);
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(h["text"].as_str().unwrap().contains("这个"));
        assert_eq!(h["repaired"], true);
        assert!(
            highlighted(h).iter().all(|w| w == "这个"),
            "{:?}",
            highlighted(h)
        );
        assert!(!highlighted(h).is_empty());
    }
    // The opening turn of 000 names its topic with 这个话题.
    assert!(hit_keys(&hits).contains(&(DAMAGED.to_owned(), 0)));
}

#[test]
fn english_phrase_is_found_and_highlighted_whole() {
    let ws = workspace();
    let hits = search_jsonl(ws.path(), &["\"mental health\""]);
    assert!(!hits.is_empty());
    for h in &hits {
        let text = h["text"].as_str().unwrap().to_lowercase();
        assert!(text.contains("mental health"), "{text}");
        assert!(highlighted(h)
            .iter()
            .all(|w| w.to_lowercase() == "mental health"));
    }
    // A phrase is stricter than its words.
    let phrase = search_jsonl(ws.path(), &["\"health mental\""]);
    assert!(phrase.is_empty());
}

#[test]
fn speaker_lang_and_conv_filters_restrict_hits() {
    let ws = workspace();
    let all = search_jsonl(ws.path(), &["AI"]);
    let a = search_jsonl(ws.path(), &["AI", "--speaker", "A"]);
    let b = search_jsonl(ws.path(), &["AI", "--speaker", "b"]);
    assert!(!a.is_empty() && !b.is_empty());
    assert!(a.iter().all(|h| h["speaker"] == "A"));
    assert!(b.iter().all(|h| h["speaker"] == "B"));
    assert_eq!(a.len() + b.len(), all.len());
    let both = search_jsonl(ws.path(), &["AI", "--speaker", "A", "--speaker", "B"]);
    assert_eq!(both.len(), all.len());

    let en_only = search_jsonl(ws.path(), &["*", "--lang", "en"]);
    let zh = search_jsonl(ws.path(), &["*", "--lang", "zh"]);
    assert!(en_only
        .iter()
        .all(|h| h["languages"].as_array().unwrap().contains(&"en".into())));
    assert!(zh
        .iter()
        .all(|h| h["languages"].as_array().unwrap().contains(&"zh".into())));
    assert!(en_only.len() < 80 && zh.len() < 80);
    let zh_b = search_jsonl(ws.path(), &["*", "--lang", "zh", "--speaker", "B"]);
    assert!(zh_b.len() < zh.len());
    assert!(zh_b.iter().all(|h| h["speaker"] == "B"));

    let conv = search_jsonl(ws.path(), &["AI", "--conv", "002_a46578f8551527d5"]);
    assert!(!conv.is_empty() && conv.len() < all.len());
    assert!(conv
        .iter()
        .all(|h| h["conversation"] == "002_a46578f8551527d5"));
}

#[test]
fn context_turns_are_the_neighbours_in_order() {
    let ws = workspace();
    let hits = search_jsonl(
        ws.path(),
        &["zanzibar OR *", "--conv", DAMAGED, "-B", "2", "-A", "3"],
    );
    for h in &hits {
        let t = h["turn"].as_u64().unwrap();
        let before: Vec<u64> = h["context"]["before"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["turn"].as_u64().unwrap())
            .collect();
        let after: Vec<u64> = h["context"]["after"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["turn"].as_u64().unwrap())
            .collect();
        let want_before: Vec<u64> = (t.saturating_sub(2)..t).collect();
        let want_after: Vec<u64> = (t + 1..=(t + 3).min(19)).collect();
        assert_eq!(before, want_before, "turn {t}");
        assert_eq!(after, want_after, "turn {t}");
        for c in h["context"]["before"]
            .as_array()
            .unwrap()
            .iter()
            .chain(h["context"]["after"].as_array().unwrap())
        {
            assert_eq!(c["conversation"], DAMAGED);
        }
    }
    // -C sets both sides; the neighbours' texts are the turns themselves.
    let hit = &search_jsonl(
        ws.path(),
        &["\"mental health\"", "--conv", DAMAGED, "-C", "1"],
    )[0];
    let turn = hit["turn"].as_u64().unwrap();
    let neighbours = search_jsonl(ws.path(), &["*", "--conv", DAMAGED, "-C", "0"]);
    let text_of = |n: u64| neighbours.iter().find(|h| h["turn"] == n).unwrap()["text"].clone();
    assert_eq!(hit["context"]["after"][0]["text"], text_of(turn + 1));
    if turn > 0 {
        assert_eq!(hit["context"]["before"][0]["text"], text_of(turn - 1));
    }
}

#[test]
fn json_and_jsonl_follow_the_schema() {
    let ws = workspace();
    let doc = search_json(ws.path(), &["art", "--limit", "3"]);
    assert_eq!(doc["query"], "art");
    let total = doc["total_hits"].as_u64().unwrap();
    assert!(total > 3);
    let hits = doc["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    let lines = search_jsonl(ws.path(), &["art"]);
    assert_eq!(lines.len() as u64, total, "the helper asks for every hit");
    assert_eq!(search_jsonl(ws.path(), &["art", "--limit", "2"]).len(), 2);
    for h in hits.iter().chain(&lines) {
        for key in ["conversation", "source", "speaker", "text"] {
            assert!(h[key].is_string(), "{key} in {h}");
        }
        for key in ["line", "turn"] {
            assert!(h[key].is_u64(), "{key}");
        }
        assert!(h["score"].is_f64());
        assert!(h["repaired"].is_boolean());
        assert!(h["languages"]
            .as_array()
            .unwrap()
            .iter()
            .all(Value::is_string));
        assert!(h["highlights"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.as_array().unwrap().len() == 2));
        assert!(
            highlighted(h).iter().all(|w| w.to_lowercase() == "art"),
            "{:?}",
            highlighted(h)
        );
        for side in ["before", "after"] {
            for c in h["context"][side].as_array().unwrap() {
                for key in ["conversation", "speaker", "text"] {
                    assert!(c[key].is_string());
                }
                assert!(c["turn"].is_u64());
                assert!(c["languages"].is_array());
            }
        }
        if h["repaired"] == true {
            assert!(
                h["original"].is_string(),
                "a repaired turn keeps its original"
            );
        }
    }
}

#[test]
fn mixed_chinese_and_english_query() {
    let ws = workspace();
    let hits = search_jsonl(ws.path(), &["photography 尝试"]);
    assert!(!hits.is_empty());
    for h in &hits {
        let text = h["text"].as_str().unwrap().to_lowercase();
        assert!(text.contains("photography") && text.contains("尝试"));
    }
}

#[test]
fn invalid_query_points_at_the_problem() {
    let ws = workspace();
    ingest(ws.path());
    colloquy(ws.path())
        .args(["search", "\"unclosed phrase"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid query"))
        .stderr(predicate::str::contains("^"));
    colloquy(ws.path())
        .args(["search", "nosuchfield:x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nosuchfield"));
}

#[test]
fn no_hits_exits_1_and_missing_index_is_explained() {
    let ws = workspace();
    colloquy(ws.path())
        .args(["search", "xylophonequark"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("0 hits"));
    let empty = tempfile::tempdir().unwrap();
    colloquy(empty.path())
        .args(["search", "anything"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("corpus not found"));
}

#[test]
fn dominant_mixed_and_language_fields() {
    let ws = workspace();
    let all = search_jsonl(ws.path(), &["*", "-C", "0"]);
    let zh_dominant = search_jsonl(ws.path(), &["*", "--dominant", "zh", "-C", "0"]);
    let en_dominant = search_jsonl(ws.path(), &["*", "--dominant", "en", "-C", "0"]);
    assert!(!zh_dominant.is_empty() && !en_dominant.is_empty());
    assert!(zh_dominant.iter().all(|h| h["dominant_language"] == "zh"));
    assert!(en_dominant.iter().all(|h| h["dominant_language"] == "en"));
    assert_eq!(
        zh_dominant.len() + en_dominant.len(),
        all.len(),
        "every seed turn is zh or en"
    );

    let mixed = search_jsonl(ws.path(), &["*", "--mixed", "-C", "0"]);
    assert!(!mixed.is_empty() && mixed.len() < all.len());
    for h in &mixed {
        assert_eq!(h["code_switched"], true);
        assert!(h["languages"].as_array().unwrap().len() >= 2);
    }
    for h in &all {
        let spans = h["spans"].as_array().unwrap();
        assert!(spans
            .iter()
            .all(|s| s["start"].is_u64() && s["end"].is_u64() && s["lang"].is_string()));
        let n = h["text"].as_str().unwrap().chars().count() as u64;
        assert!(spans.iter().all(|s| s["end"].as_u64().unwrap() <= n));
    }

    // `en:art` is `art` in a turn with an English span: the same turns as `art --lang en`.
    let keys = |args: &[&str]| {
        let mut k = hit_keys(&search_jsonl(ws.path(), args));
        k.sort();
        k
    };
    let en_art = keys(&["en:art", "-C", "0"]);
    assert!(!en_art.is_empty());
    assert_eq!(en_art, keys(&["art", "--lang", "en", "-C", "0"]));
    // Every turn with AI has a Chinese span too in the seeds, and 艺术 is always Chinese.
    let zh_ai = keys(&["zh:AI", "-C", "0"]);
    assert_eq!(zh_ai, keys(&["AI", "--lang", "zh", "-C", "0"]));
    let zh_art = search_jsonl(ws.path(), &["zh:艺术", "-C", "0"]);
    let any_art = search_jsonl(ws.path(), &["艺术", "-C", "0"]);
    assert!(!zh_art.is_empty());
    assert_eq!(hit_keys(&zh_art).len(), hit_keys(&any_art).len());
    assert!(zh_art
        .iter()
        .all(|h| h["languages"].as_array().unwrap().contains(&"zh".into())));
    // A turn without Japanese never matches `ja:`; a phrase is restricted alike.
    assert!(keys(&["ja:艺术", "-C", "0"]).is_empty());
    assert_eq!(
        keys(&["en:\"mental health\"", "-C", "0"]),
        keys(&["\"mental health\"", "--lang", "en", "-C", "0"])
    );
}

#[test]
fn title_field_is_searchable() {
    let ws = workspace();
    let hits = search_jsonl(ws.path(), &["title:photography", "-C", "0"]);
    assert_eq!(hits.len(), 20, "every turn of 001 carries its title");
    assert!(hits
        .iter()
        .all(|h| h["conversation"] == "001_177df1590b2f3725"));
    assert_eq!(
        hits[0]["title"],
        "最近有尝试什么new photography technique吗？"
    );
}

/// Conversation records share the index with turns; whatever the query's shape (text, title,
/// everything, negation, a mix), only turns come back, and `*` counts each turn once.
#[test]
fn every_query_shape_finds_turns_only() {
    let ws = workspace();
    let all = |q: &str| search_jsonl(ws.path(), &[q, "-C", "0"]);
    assert_eq!(all("*").len(), 80);
    for q in [
        "*",
        "NOT art",
        "title:photography",
        "art OR title:photography",
        "art speaker:B",
        "art",
    ] {
        let hits = all(q);
        assert!(!hits.is_empty(), "{q}");
        for h in &hits {
            assert!(!h["text"].as_str().unwrap_or("").is_empty(), "{q}: {h}");
            assert!(!h["speaker"].as_str().unwrap_or("").is_empty(), "{q}: {h}");
        }
    }
    let title = all("title:photography").len();
    let either = all("art OR title:photography").len();
    assert!(either >= title && either <= 80, "{either} {title}");
}

#[test]
fn unknown_filter_values_list_the_known_ones() {
    let ws = workspace();
    colloquy(ws.path())
        .args(["search", "art", "--speaker", "Alice"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--speaker \"Alice\" matches nothing",
        ))
        .stderr(predicate::str::contains("known values: a, b"));
    colloquy(ws.path())
        .args(["search", "art", "--conv", "000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("000_69e3827c508b06a3"));
    colloquy(ws.path())
        .args(["search", "art", "--speakr", "A"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--speaker"));
}

#[test]
fn show_prints_a_conversation_and_its_raw_text() {
    let ws = workspace();
    ingest(ws.path());
    let out = colloquy(ws.path())
        .args(["show", DAMAGED, "--json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let turns = doc["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 20);
    assert!(turns.iter().enumerate().all(|(i, t)| t["turn"] == i as u64));
    let out = colloquy(ws.path())
        .args([
            "show", DAMAGED, "--turn", "0", "-C", "0", "--raw", "--color", "never",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Hey，关于"), "{text}");
    assert!(
        text.contains("│ Heyï¼Œå…³äº"),
        "raw text shown under the repaired turn: {text}"
    );
    colloquy(ws.path())
        .args(["show", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "ids nearest to it: 000_69e3827c508b06a3",
        ));
}

#[test]
fn completions_and_version() {
    let ws = workspace();
    for shell in ["bash", "zsh", "fish"] {
        colloquy(ws.path())
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("colloquy"))
            .stdout(predicate::str::contains("search"));
    }
    colloquy(ws.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("colloquy "));
}

#[test]
fn emoji_and_negation_alone() {
    let ws = workspace();
    let hits = search_jsonl(ws.path(), &["😏", "-C", "0"]);
    assert!(!hits.is_empty());
    for h in &hits {
        assert!(h["text"].as_str().unwrap().contains('😏'));
        assert!(highlighted(h).iter().all(|w| w == "😏"));
    }
    let without = search_jsonl(ws.path(), &["NOT art", "-C", "0"]);
    let with = search_jsonl(ws.path(), &["art", "-C", "0"]);
    assert_eq!(without.len() + with.len(), 80);
    // A leading `-` needs `--` on the command line, as in any Unix tool.
    let out = colloquy(ws.path())
        .args(["search", "--jsonl", "--all", "-C", "0", "--", "-art"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        without.len()
    );
}

/// `--json` and `--jsonl` show the best 20 by default and say so; `--all` streams every hit
/// (the same set), `--fields` keeps only the keys asked for.
#[test]
fn json_outputs_share_the_limit_and_all_streams_every_hit() {
    let ws = workspace();
    let run = |args: &[&str]| run_ok(ws.path(), &[&["search"], args].concat());
    let (default, note) = run(&["*", "--jsonl"]);
    assert_eq!(default.lines().count(), 20);
    assert!(note.contains("20 of 80 hits written"), "{note}");
    let (json, _) = run(&["*", "--json"]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["hits"].as_array().unwrap().len(), 20);
    assert_eq!(doc["total_hits"], 80);

    let keys = |text: &str| -> BTreeSet<(String, u64)> {
        let hits: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        hit_keys(&hits).into_iter().collect()
    };
    let (all, quiet) = run(&["*", "--jsonl", "--all", "-C", "0"]);
    assert!(quiet.is_empty(), "{quiet}");
    let (ranked, _) = run(&["*", "--jsonl", "--limit", "1000", "-C", "0"]);
    assert_eq!(all.lines().count(), 80);
    assert_eq!(keys(&all), keys(&ranked));
    // Streamed, the total is known at the end: it follows the hits.
    let (json_all, _) = run(&["话题", "--json", "--all"]);
    let doc: Value = serde_json::from_str(&json_all).unwrap();
    assert_eq!(doc["total_hits"], 4);
    assert_eq!(doc["hits"].as_array().unwrap().len(), 4);
    assert!(json_all.find("\"total_hits\"") > json_all.find("\"hits\""));

    let (few, _) = run(&["art", "--jsonl", "--fields", "conversation,turn,text"]);
    for line in few.lines() {
        let hit: Value = serde_json::from_str(line).unwrap();
        let got: Vec<&str> = hit
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(got, ["conversation", "text", "turn"]);
    }
    let bad = colloquy(ws.path())
        .args(["search", "art", "--jsonl", "--fields", "txt"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(
        msg.contains("no field `txt`") && msg.contains("text"),
        "{msg}"
    );
}
