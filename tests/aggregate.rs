//! `colloquy freq`, `ngrams`, `collocates` and `stats --top` through the real binary, on a small
//! fixture corpus (tests/fixtures/aggregate/chats.jsonl) whose counts are computed independently
//! by tests/fixtures/aggregate/oracle.py (regular-expression words, textbook formulas).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;
use tempfile::TempDir;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aggregate")
}

/// A workspace whose corpus is the fixture, ingested.
fn fixture_workspace() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).expect("mkdir");
    std::fs::copy(
        fixture_dir().join("chats.jsonl"),
        corpus.join("chats.jsonl"),
    )
    .expect("copy");
    ingest(dir.path());
    dir
}

/// The oracle's answer, or `None` (with a message) when python3 is not installed.
fn oracle(args: &[&str]) -> Option<Value> {
    let fixture = fixture_dir();
    let out = match Command::new("python3")
        .arg(fixture.join("oracle.py"))
        .arg(fixture.join("chats.jsonl"))
        .args(args)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("SKIPPED: python3 is not available ({e}); the independent check did not run");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "oracle {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("oracle JSON"))
}

/// item → (count, turns) of one group of a `--json` list.
fn items(group: &Value) -> BTreeMap<String, (u64, u64)> {
    group["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["item"].as_str().expect("item").to_owned(),
                (r["count"].as_u64().unwrap(), r["turns"].as_u64().unwrap()),
            )
        })
        .collect()
}

/// item → (count, turns) of an oracle map `{item: [count, turns]}`.
fn expected(map: &Value) -> BTreeMap<String, (u64, u64)> {
    map.as_object()
        .expect("object")
        .iter()
        .map(|(k, v)| (k.clone(), (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())))
        .collect()
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// The word list (surface forms) checked against the oracle: ASCII words exactly; Chinese words
/// cover every Han character exactly as often as it occurs (no character counted twice, none lost).
fn check_words(list: &Value, want: &Value) {
    let got = items(&list["groups"][0]);
    let latin: BTreeMap<_, _> = got
        .iter()
        .filter(|(w, _)| w.is_ascii())
        .map(|(w, c)| (w.clone(), *c))
        .collect();
    assert_eq!(latin, expected(&want["latin"]));
    let mut han: BTreeMap<String, u64> = BTreeMap::new();
    for (word, (count, _)) in got.iter().filter(|(w, _)| !w.is_ascii()) {
        assert!(word.chars().all(is_han), "{word:?}");
        for c in word.chars() {
            *han.entry(c.to_string()).or_default() += count;
        }
    }
    let want_han: BTreeMap<String, u64> = want["han_chars"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(han, want_han);
    let han_words: u64 = got
        .iter()
        .filter(|(w, _)| !w.is_ascii())
        .map(|(_, c)| c.0)
        .sum();
    let tokens = list["groups"][0]["tokens"].as_u64().unwrap();
    assert_eq!(tokens, want["latin_tokens"].as_u64().unwrap() + han_words);
    assert_eq!(list["turns"], want["turns"]);
}

#[test]
fn word_frequencies_match_an_independent_count() {
    let ws = fixture_workspace();
    let list = run_json(
        ws.path(),
        &["freq", "--forms", "surface", "--top", "0", "--json"],
    );
    let Some(want) = oracle(&["freq"]) else {
        return;
    };
    check_words(&list, &want);
    // Most frequent first.
    let rows = list["groups"][0]["items"].as_array().unwrap();
    assert_eq!(rows[0]["item"], "the");
    assert!(rows
        .windows(2)
        .all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64()));
    let pm = rows[0]["per_million"].as_f64().unwrap();
    let tokens = list["groups"][0]["tokens"].as_f64().unwrap();
    assert!((pm - rows[0]["count"].as_f64().unwrap() * 1e6 / tokens).abs() < 1e-6);
}

#[test]
fn speaker_filter_restricts_the_counts() {
    let ws = fixture_workspace();
    let args = [
        "freq",
        "--forms",
        "surface",
        "--top",
        "0",
        "--json",
        "--speaker",
        "user",
    ];
    let list = run_json(ws.path(), &args);
    let Some(want) = oracle(&["freq", "--speaker", "user"]) else {
        return;
    };
    check_words(&list, &want);
    let all = run_json(ws.path(), &["freq", "--top", "0", "--json"]);
    assert!(list["turns"].as_u64() < all["turns"].as_u64());
}

#[test]
fn character_frequencies_match_an_independent_count() {
    let ws = fixture_workspace();
    let list = run_json(
        ws.path(),
        &["freq", "--unit", "char", "--top", "0", "--json"],
    );
    let Some(want) = oracle(&["chars"]) else {
        return;
    };
    assert_eq!(list["unit"], "char");
    assert_eq!(items(&list["groups"][0]), expected(&want["items"]));
    assert_eq!(list["groups"][0]["tokens"], want["tokens"]);
}

#[test]
fn groups_by_month_match_the_turns_of_each_month() {
    let ws = fixture_workspace();
    let list = run_json(
        ws.path(),
        &[
            "freq", "--forms", "surface", "--top", "0", "--by", "month", "--json",
        ],
    );
    assert_eq!(list["by"], "month");
    let groups = list["groups"].as_array().unwrap();
    let names: Vec<&str> = groups
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2024-01", "2024-02"]);
    for g in groups {
        let month = g["group"].as_str().unwrap();
        let Some(want) = oracle(&["freq", "--month", month]) else {
            return;
        };
        let latin: BTreeMap<_, _> = items(g).into_iter().filter(|(w, _)| w.is_ascii()).collect();
        assert_eq!(latin, expected(&want["latin"]), "{month}");
        assert_eq!(g["turns"], want["turns"]);
    }
}

#[test]
fn groups_by_speaker_and_metadata_add_up_to_the_whole() {
    let ws = fixture_workspace();
    let whole = run_json(ws.path(), &["freq", "--top", "0", "--json"]);
    let total = |v: &Value, key: &str| -> u64 {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g[key].as_u64().unwrap())
            .sum()
    };
    for (by, groups) in [("speaker", 2), ("model", 2), ("conversation", 4)] {
        let list = run_json(ws.path(), &["freq", "--top", "0", "--by", by, "--json"]);
        assert_eq!(list["groups"].as_array().unwrap().len(), groups, "{by}");
        assert_eq!(total(&list, "tokens"), total(&whole, "tokens"), "{by}");
        assert_eq!(total(&list, "turns"), 10, "{by}");
    }
    let list = run_json(
        ws.path(),
        &["freq", "--by", "model", "--where", "model=gpt-b", "--json"],
    );
    let groups = list["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["group"], "gpt-b");
}

#[test]
fn by_language_puts_each_span_under_its_language() {
    let ws = fixture_workspace();
    let list = run_json(ws.path(), &["freq", "--top", "0", "--by", "lang", "--json"]);
    for g in list["groups"].as_array().unwrap() {
        let lang = g["group"].as_str().unwrap();
        for item in items(g).keys() {
            match lang {
                "en" => assert!(item.is_ascii(), "{item} under en"),
                "zh" => assert!(item.chars().all(is_han), "{item} under zh"),
                _ => {}
            }
        }
    }
}

#[test]
fn normalised_forms_fold_inflections_that_surface_forms_keep() {
    let ws = fixture_workspace();
    let norm = run_json(ws.path(), &["freq", "--top", "0", "--json"]);
    let surface = run_json(
        ws.path(),
        &["freq", "--forms", "surface", "--top", "0", "--json"],
    );
    let (n, s) = (items(&norm["groups"][0]), items(&surface["groups"][0]));
    assert_eq!(n["dog"].0, s["dog"].0 + s["dogs"].0);
    assert!(!n.contains_key("dogs"));
    assert_eq!(norm["groups"][0]["tokens"], surface["groups"][0]["tokens"]);
    assert!(n.len() < s.len());
}

#[test]
fn ngrams_match_an_independent_count() {
    let ws = fixture_workspace();
    let args = [
        "ngrams",
        "-n",
        "2",
        "--forms",
        "surface",
        "--top",
        "0",
        "--json",
        "--conv",
        "chats#en-dogs",
        "--conv",
        "chats#en-barns",
    ];
    let list = run_json(ws.path(), &args);
    let Some(want) = oracle(&["ngrams", "2", "--conv", "en-dogs", "--conv", "en-barns"]) else {
        return;
    };
    assert_eq!(list["n"], 2);
    assert_eq!(items(&list["groups"][0]), expected(&want["items"]));
    assert_eq!(list["groups"][0]["tokens"], want["tokens"]);
    // The last word of one turn and the first of the next never form a bigram.
    assert!(!items(&list["groups"][0]).contains_key("park my"));
}

#[test]
fn chinese_ngrams_are_over_words_or_characters() {
    let ws = fixture_workspace();
    let words = run_json(
        ws.path(),
        &[
            "ngrams",
            "-n",
            "2",
            "--top",
            "0",
            "--conv",
            "chats#zh-park",
            "--json",
        ],
    );
    let chars = run_json(
        ws.path(),
        &[
            "ngrams",
            "-n",
            "2",
            "--unit",
            "char",
            "--top",
            "0",
            "--conv",
            "chats#zh-park",
            "--json",
        ],
    );
    let w = items(&words["groups"][0]);
    let c = items(&chars["groups"][0]);
    assert!(w.keys().all(|k| k.contains(' ')), "{w:?}");
    assert!(c.keys().all(|k| k.chars().count() == 2), "{c:?}");
    // 今天天气很好 / 我们去公园散步吧 / 好的 / 公园里的花很漂亮: punctuation ends a character run.
    assert!(c.contains_key("公园") && !c.contains_key("好我"));
}

#[test]
fn collocation_measures_match_an_independent_computation() {
    let ws = fixture_workspace();
    let args = [
        "collocates",
        "the",
        "--window",
        "3,2",
        "--measure",
        "all",
        "--forms",
        "surface",
        "--min-count",
        "1",
        "--top",
        "0",
        "--json",
        "--conv",
        "chats#en-dogs",
        "--conv",
        "chats#en-barns",
    ];
    let got = run_json(ws.path(), &args);
    let Some(want) = oracle(&[
        "collocates",
        "the",
        "3",
        "2",
        "--conv",
        "en-dogs",
        "--conv",
        "en-barns",
    ]) else {
        return;
    };
    let g = &got["groups"][0];
    assert_eq!(g["tokens"], want["N"]);
    assert_eq!(g["node_frequency"], want["node"]);
    let want_items = want["items"].as_object().unwrap();
    let rows = g["items"].as_array().unwrap();
    assert_eq!(rows.len(), want_items.len());
    for row in rows {
        let item = row["item"].as_str().unwrap();
        let w = &want_items[item];
        for (mine, theirs) in [("observed", "O"), ("left", "left"), ("right", "right")] {
            assert_eq!(row[mine], w[theirs], "{item} {mine}");
        }
        assert_eq!(row["frequency"], w["f"], "{item}");
        for (mine, theirs) in [("expected", "E"), ("mi", "MI"), ("t", "t"), ("ll", "LL")] {
            let (a, b) = (row[mine].as_f64().unwrap(), w[theirs].as_f64().unwrap());
            assert!((a - b).abs() < 1e-6, "{item} {mine}: {a} vs {b}");
        }
    }
    // Ranked by log-likelihood.
    assert!(rows
        .windows(2)
        .all(|w| w[0]["ll"].as_f64() >= w[1]["ll"].as_f64()));
}

#[test]
fn csv_has_a_header_and_one_line_per_item() {
    let ws = fixture_workspace();
    let (csv, _) = run_ok(
        ws.path(),
        &["freq", "--by", "speaker", "--top", "3", "--csv"],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "group,rank,item,count,per_million,turns");
    assert_eq!(lines.len(), 1 + 2 * 3);
    assert!(
        lines[1..].iter().all(|l| l.split(',').count() == 6),
        "{csv}"
    );
    let (csv, _) = run_ok(
        ws.path(),
        &["collocates", "dog", "--min-count", "1", "--csv"],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "rank,item,observed,left,right,frequency,expected,ll,mi,t"
    );
    assert!(lines.len() > 1);
    assert!(
        lines[1..].iter().all(|l| l.split(',').count() == 10),
        "{csv}"
    );
}

#[test]
fn json_has_the_documented_shape() {
    let ws = fixture_workspace();
    let list = run_json(ws.path(), &["freq", "dog", "--top", "2", "--json"]);
    assert_eq!(list["query"], "dog");
    assert_eq!(list["unit"], "word");
    assert_eq!(list["forms"], "normalised");
    assert!(list.get("by").is_none());
    let g = &list["groups"][0];
    assert!(g.get("group").is_none());
    for key in ["tokens", "types", "turns"] {
        assert!(g[key].as_u64().is_some(), "{key}");
    }
    let rows = g["items"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for key in ["rank", "item", "count", "per_million", "turns"] {
        assert!(!rows[0][key].is_null(), "{key}");
    }
    // The query selects turns: only those with "dog" are counted.
    let Some(want) = oracle(&["freq"]) else {
        return;
    };
    assert!(g["turns"].as_u64() < want["turns"].as_u64());
}

#[test]
fn the_terminal_table_is_aligned() {
    let ws = fixture_workspace();
    let (out, _) = run_ok(ws.path(), &["freq", "--top", "5", "--by", "lang"]);
    let head = out.lines().next().unwrap();
    assert!(head.starts_with("lang en: "), "{out}");
    let zh: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("lang zh"))
        .skip(1)
        .take(6)
        .collect();
    assert!(zh[0].starts_with("rank  word"), "{out}");
    let width = |s: &str| colloquy::output::display_width(s);
    assert!(zh.iter().all(|l| width(l) == width(zh[0])), "{zh:#?}");
}

#[test]
fn errors_name_the_problem() {
    let ws = fixture_workspace();
    let out = colloquy(ws.path())
        .args(["freq", "--speaker", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("known values") && err.contains("assistant"),
        "{err}"
    );
    let out = colloquy(ws.path())
        .args(["freq", "--by", "modle"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--by \"modle\"") && err.contains("model"),
        "{err}"
    );
    for (args, message) in [
        (
            &["collocates", "red ball"][..],
            "takes one word; this is 2 words (red, ball)",
        ),
        (&["collocates", " ,"][..], "needs a word; this has none"),
        (
            &["collocates", "red", "--window", "x"][..],
            "--window takes L,R",
        ),
        (&["collocates", "red", "--window", "0,0"][..], "no unit"),
        (&["ngrams", "-n", "0"][..], "1 to 12"),
        (&["freq", "(dog"][..], "invalid query"),
    ] {
        let out = colloquy(ws.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{args:?}: {err}");
    }
    // Nothing matched: exit 1, and the table says so.
    let out = colloquy(ws.path())
        .args(["freq", "zebra"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 turns matched"));
}

#[test]
fn stats_top_cuts_the_lists_and_says_so() {
    let ws = fixture_workspace();
    let full = run_json(ws.path(), &["stats", "--json"]);
    assert!(full.get("omitted").is_none());
    assert_eq!(full["speakers"].as_array().unwrap().len(), 2);
    let top = run_json(ws.path(), &["stats", "--top", "1", "--json"]);
    assert_eq!(top["speakers"].as_array().unwrap().len(), 1);
    assert_eq!(top["speakers"][0], full["speakers"][0]);
    assert_eq!(top["omitted"]["speakers"], 1);
    assert_eq!(top["turns"], full["turns"]);
    let (out, _) = run_ok(ws.path(), &["stats", "--top", "1"]);
    assert!(
        out.contains("… and 1 more speaker (a larger --top lists them)"),
        "{out}"
    );
    let (out, _) = run_ok(ws.path(), &["stats"]);
    assert!(!out.contains("more speaker"), "{out}");
}

#[test]
fn help_has_examples() {
    let ws = fixture_workspace();
    for cmd in ["freq", "ngrams", "collocates"] {
        let (out, _) = run_ok(ws.path(), &[cmd, "--help"]);
        assert!(out.contains("Examples:"), "{cmd} --help has no examples");
        assert!(out.contains("--speaker") && out.contains("--by"), "{cmd}");
    }
    let (out, _) = run_ok(ws.path(), &["stats", "--help"]);
    assert!(out.contains("--top"), "{out}");
}
