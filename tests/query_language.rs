//! The query language through the real binary: inflection without derivation, exact forms,
//! prefixes, fuzzy words, regular expressions, proximity, refusals with a caret, and one turn
//! address (`CONV:TURN`) that search prints and show accepts.

mod common;

use common::*;
use serde_json::Value;

/// The lowercase words of each hit's text.
fn words_of(hit: &Value) -> Vec<String> {
    hit["text"]
        .as_str()
        .unwrap()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn every_hit_has(hits: &[Value], query: &str, ok: impl Fn(&str) -> bool) {
    assert!(!hits.is_empty(), "{query}: no hits");
    for h in hits {
        assert!(
            words_of(h).iter().any(|w| ok(w)),
            "{query}: a hit without a matching word: {}",
            h["text"]
        );
    }
}

/// Run a query expected to be refused: exit 2, the reason, and a caret line under the query.
fn refused(dir: &std::path::Path, query: &str, reason: &str) -> String {
    let out = colloquy(dir).args(["search", query]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{query}: {err}");
    assert!(err.contains(reason), "{query}: {err}");
    err
}

#[test]
fn inflections_match_and_derivations_do_not() {
    let ws = workspace();
    let dir = ws.path();
    let feelings = search_jsonl(dir, &["feelings", "-C", "0"]);
    every_hit_has(&feelings, "feelings", |w| w == "feeling" || w == "feelings");
    let feel = search_jsonl(dir, &["feel", "-C", "0"]);
    every_hit_has(&feel, "feel", |w| {
        ["feel", "feels", "felt", "feeling"].contains(&w)
    });
    assert!(feel.len() > feelings.len());
    let emotion = search_jsonl(dir, &["emotion", "-C", "0"]);
    every_hit_has(&emotion, "emotion", |w| w == "emotion" || w == "emotions");
    let code = search_jsonl(dir, &["code", "-C", "0"]);
    assert!(code
        .iter()
        .any(|h| words_of(h).contains(&"coding".to_owned())));
    // Exact forms rank first: every turn saying "feelings" comes before one saying only "feeling".
    let exact_first: Vec<bool> = feelings
        .iter()
        .map(|h| words_of(h).contains(&"feelings".to_owned()))
        .collect();
    assert!(exact_first.contains(&false) && exact_first.contains(&true));
    assert!(
        exact_first.windows(2).all(|w| w[0] || !w[1]),
        "{exact_first:?}"
    );
}

#[test]
fn exact_prefix_fuzzy_regex_and_proximity() {
    let ws = workspace();
    let dir = ws.path();
    let exact = search_jsonl(dir, &["=feelings", "-C", "0"]);
    every_hit_has(&exact, "=feelings", |w| w == "feelings");
    let flag = search_jsonl(dir, &["feelings", "--exact", "-C", "0"]);
    assert_eq!(hit_keys(&flag).len(), hit_keys(&exact).len());
    let prefix = search_jsonl(dir, &["photo*", "-C", "0"]);
    every_hit_has(&prefix, "photo*", |w| w.starts_with("photo"));
    assert!(prefix
        .iter()
        .any(|h| words_of(h).contains(&"photos".to_owned())));
    let fuzzy = search_jsonl(dir, &["photograpy~1", "-C", "0"]);
    every_hit_has(&fuzzy, "photograpy~1", |w| w == "photography");
    let re = search_jsonl(dir, &["/colou?rs?/", "-C", "0"]);
    every_hit_has(&re, "/colou?rs?/", |w| {
        ["color", "colors", "colour", "colours"].contains(&w)
    });
    // An apostrophe inside a word is part of it, not a quote.
    let its = search_jsonl(dir, &["it's", "-C", "0"]);
    assert!(its.iter().all(
        |h| h["text"].as_str().unwrap().to_lowercase().contains("it's")
            || h["text"].as_str().unwrap().to_lowercase().contains("it’s")
    ));
    assert!(!its.is_empty());
    let near = search_jsonl(dir, &["\"mental health\"~2", "-C", "0"]);
    assert!(near.len() >= search_jsonl(dir, &["\"mental health\"", "-C", "0"]).len());
    // Highlights cover what matched: the prefix's words, whole.
    for h in &prefix {
        let chars: Vec<char> = h["text"].as_str().unwrap().chars().collect();
        for r in h["highlights"].as_array().unwrap() {
            let (s, e) = (
                r[0].as_u64().unwrap() as usize,
                r[1].as_u64().unwrap() as usize,
            );
            let word: String = chars[s..e].iter().collect();
            assert!(word.to_lowercase().starts_with("photo"), "{word}");
        }
    }
}

#[test]
fn what_is_not_understood_is_refused_with_a_caret() {
    let ws = workspace();
    let dir = ws.path();
    ingest(dir);
    let err = refused(dir, "art 话*", "alphabetic words");
    // The caret sits under the refused word.
    let lines: Vec<&str> = err.lines().collect();
    let q = lines.iter().position(|l| l.trim() == "art 话*").unwrap();
    assert_eq!(lines[q + 1].find('^'), lines[q].find('话'));
    refused(dir, "*oto", "may only end a word");
    refused(dir, "pho*to", "may only end a word");
    refused(dir, "colour~5", "fuzzy distance must be 0, 1 or 2");
    refused(dir, "话题~1", "alphabetic words");
    refused(dir, "/[a-/", "not a regular expression");
    refused(dir, "/话.*/", "alphabetic words");
    refused(dir, "!!!", "nothing searchable");
    refused(dir, "=", "must be followed by a word");
    refused(
        dir,
        "title:photo*",
        "search the turn text, not other fields",
    );
    // A field value that matches nothing lists the known values, as the flag does.
    let err = refused(dir, "speaker:Zed art", "known values: a, b");
    let flag = colloquy(dir)
        .args(["search", "art", "--speaker", "Zed"])
        .output()
        .unwrap();
    assert_eq!(flag.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&flag.stderr).contains("known values: a, b"),
        "{err}"
    );
    // A language the corpus lacks is not a typo: no hits, no error.
    let out = colloquy(dir).args(["search", "ja:art"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn search_prints_the_turn_address_show_accepts() {
    let ws = workspace();
    let dir = ws.path();
    let hits = search_jsonl(dir, &["\"depth mapping\"", "-C", "0"]);
    let (conv, turn) = hit_keys(&hits)[0].clone();
    let (plain, _) = run_ok(dir, &["search", "\"depth mapping\"", "-C", "0"]);
    let row = format!("\n{turn}:{}  ", hits[0]["speaker"].as_str().unwrap());
    assert!(plain.contains(&row), "{row:?} not in {plain}");
    let (shown, _) = run_ok(dir, &["show", &format!("{conv}:{turn}"), "-C", "0"]);
    assert!(shown.contains(&row), "{shown}");
    let (flag, _) = run_ok(
        dir,
        &["show", &conv, "--turn", &turn.to_string(), "-C", "0"],
    );
    assert_eq!(flag, shown);
    // Out of range: an error naming the range and the nearest turn.
    let out = colloquy(dir)
        .args(["show", &conv, "--turn", "999"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("has no turn 999") && err.contains(&format!("{conv}:19")),
        "{err}"
    );
    let out = colloquy(dir)
        .args(["show", &format!("{conv}:999")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // An unknown id names the nearest ids.
    let out = colloquy(dir)
        .args(["show", "001_177df1590b2f37"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("001_177df1590b2f3725"), "{err}");
}

#[test]
fn expansions_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("corpus")).unwrap();
    // 12,000 different words: a one-letter prefix or a catch-all expression stands for too many.
    let words: Vec<String> = (0..12_000).map(|i| format!("w{i:05}")).collect();
    let text = format!("[A]: {}\n[B]: w00042 again\n", words.join(" "));
    std::fs::write(dir.path().join("corpus/many.txt"), text).unwrap();
    refused(dir.path(), "w*", "more than 10000 different words");
    refused(dir.path(), "/w.*/", "more than 10000 different words");
    let hits = search_jsonl(dir.path(), &["w0004*", "-C", "0"]);
    assert_eq!(hits.len(), 2);
    let hits = search_jsonl(dir.path(), &["/w0004[0-9]/", "-C", "0"]);
    assert_eq!(hits.len(), 2);
}

#[test]
fn snowball_stemming_stays_available() {
    let ws = workspace();
    let dir = ws.path();
    let light = search_jsonl(dir, &["emotion", "-C", "0"]);
    let aggressive = search_jsonl(dir, &["emotion", "--snowball", "-C", "0"]);
    assert!(aggressive.len() > light.len());
    every_hit_has(&aggressive, "emotion --snowball", |w| {
        w.starts_with("emotion")
    });
    assert!(aggressive
        .iter()
        .any(|h| words_of(h).contains(&"emotional".to_owned())));
}
