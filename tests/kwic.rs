//! Concordance (`search --kwic`), paging (`--offset`), hit orders (`--sort`) and several indexes
//! in one search (`--index A --index B`), driven through the real binary on the seed corpus and on
//! a small Chinese/English fixture with turn times.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::*;
use serde_json::Value;
use unicode_width::UnicodeWidthChar;

/// A workspace whose `corpus/` is the tea fixture (mixed Chinese and English, turn times, a
/// conversation without any), indexed.
fn tea() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).expect("mkdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kwic/tea.tsv");
    std::fs::copy(fixture, corpus.join("tea.tsv")).expect("copy fixture");
    ingest(dir.path());
    dir
}

/// The fixture's turns as `(conversation, text, time)`, read here independently of colloquy.
fn fixture_turns() -> Vec<(String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kwic/tea.tsv");
    let text = std::fs::read_to_string(path).expect("fixture");
    text.lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            (cells[0].into(), cells[2].into(), cells[3].into())
        })
        .collect()
}

/// Turns of the fixture that hold "tea" in any case.
fn tea_turns() -> usize {
    fixture_turns()
        .iter()
        .filter(|(_, text, _)| text.to_lowercase().contains("tea"))
        .count()
}

fn seeds() -> tempfile::TempDir {
    let ws = workspace();
    ingest(ws.path());
    ws
}

/// stdout of a search that must succeed with hits.
fn stdout(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["search"];
    all.extend_from_slice(args);
    run_ok(dir, &all).0
}

/// Display columns, as a terminal draws them (a control character is shown as one space).
fn columns(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if c.is_control() {
                1
            } else {
                c.width().unwrap_or(0)
            }
        })
        .sum()
}

/// The concordance lines of a plain-text KWIC printout (not the summary after the blank line).
fn kwic_lines(out: &str) -> Vec<&str> {
    out.lines().take_while(|l| !l.is_empty()).collect()
}

/// The display column where each line's match (`**`) starts.
fn match_columns(lines: &[&str]) -> Vec<usize> {
    lines
        .iter()
        .map(|l| columns(&l[..l.find("**").expect("a marked match")]))
        .collect()
}

fn jsonl(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[test]
fn kwic_lines_align_the_match_column_with_chinese_context() {
    let ws = tea();
    for width in ["60", "80", "123"] {
        let out = stdout(
            ws.path(),
            &[
                "tea", "--kwic", "--limit", "100", "--width", width, "--color", "never",
            ],
        );
        let lines = kwic_lines(&out);
        assert!(lines.len() > 10, "{out}");
        // Some lines hold Chinese on the left of the match, some do not.
        let cjk_left = lines.iter().filter(|l| {
            let left = &l[..l.find("**").unwrap_or(0)];
            left.chars().any(|c| c.width() == Some(2))
        });
        assert!(cjk_left.count() >= 3, "{out}");
        let at = match_columns(&lines);
        assert!(
            at.iter().all(|&c| c == at[0]),
            "width {width}: {at:?}\n{out}"
        );
        let width: usize = width.parse().unwrap_or(0);
        for l in &lines {
            assert!(columns(l) <= width, "{} > {width}: {l}", columns(l));
        }
    }
    let out = stdout(
        ws.path(),
        &[
            "tea", "--kwic", "--limit", "100", "--width", "80", "--sort", "position", "--color",
            "never",
        ],
    );
    insta::assert_snapshot!("kwic_tea_position", out);
}

#[test]
fn kwic_on_the_seed_corpus() {
    let ws = seeds();
    let out = stdout(
        ws.path(),
        &["art", "--kwic", "--width", "100", "--color", "never"],
    );
    let lines = kwic_lines(&out);
    let at = match_columns(&lines);
    assert!(at.iter().all(|&c| c == at[0]), "{at:?}\n{out}");
    insta::assert_snapshot!("kwic_seeds_art", out);
    let coloured = stdout(
        ws.path(),
        &["话题", "--kwic", "--width", "100", "--color", "always"],
    );
    assert!(coloured.contains("\x1b[1;31m话题\x1b[0m"), "{coloured}");
    insta::assert_snapshot!("kwic_seeds_chinese_color", coloured);
}

#[test]
fn each_match_is_a_row_and_rows_point_into_the_turn() {
    let ws = tea();
    let rows = jsonl(&stdout(
        ws.path(),
        &["tea", "--kwic", "--jsonl", "--limit", "100"],
    ));
    let hits = search_jsonl(
        ws.path(),
        &["tea", "--fields", "conversation,turn,text,highlights"],
    );
    let mut expected_rows = 0;
    for hit in &hits {
        let text: Vec<char> = s(&hit["text"]).chars().collect();
        let mine: Vec<&Value> = rows
            .iter()
            .filter(|r| r["conversation"] == hit["conversation"] && r["turn"] == hit["turn"])
            .collect();
        let highlights = hit["highlights"].as_array().expect("highlights");
        assert_eq!(mine.len(), highlights.len(), "{hit}");
        expected_rows += highlights.len();
        for r in mine {
            let (start, end) = (
                r["start"].as_u64().unwrap_or(0),
                r["end"].as_u64().unwrap_or(0),
            );
            let (start, end) = (start as usize, end as usize);
            let matched: String = text[start..end].iter().collect();
            assert_eq!(s(&r["match"]), matched);
            assert!(matched.eq_ignore_ascii_case("tea"), "{r}");
            let left: String = text[..start].iter().collect();
            let right: String = text[end..].iter().collect();
            assert!(left.ends_with(s(&r["left"])), "{r}");
            assert!(right.starts_with(s(&r["right"])), "{r}");
        }
    }
    assert_eq!(rows.len(), expected_rows);
    // The turn with four matches gives four lines.
    let four = rows
        .iter()
        .filter(|r| s(&r["match"]) == "tea" && r["turn"] == 0)
        .filter(|r| s(&r["conversation"]).ends_with("c2"))
        .count();
    assert_eq!(four, 4);
}

#[test]
fn kwic_json_is_one_document_of_the_same_rows() {
    let ws = tea();
    let doc: Value = serde_json::from_str(&stdout(
        ws.path(),
        &[
            "tea", "--kwic", "--json", "--limit", "3", "--sort", "position",
        ],
    ))
    .expect("JSON");
    let lines = jsonl(&stdout(
        ws.path(),
        &[
            "tea", "--kwic", "--jsonl", "--limit", "3", "--sort", "position",
        ],
    ));
    assert_eq!(doc["query"], "tea");
    assert_eq!(doc["total_hits"].as_u64(), Some(tea_turns() as u64));
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows, &lines);
    let keys: HashSet<&str> = rows[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let expected: HashSet<&str> = [
        "conversation",
        "turn",
        "speaker",
        "left",
        "match",
        "right",
        "start",
        "end",
    ]
    .into();
    assert_eq!(keys, expected);
    // --width bounds the context each side carries: half of it.
    let narrow = jsonl(&stdout(
        ws.path(),
        &["tea", "--kwic", "--jsonl", "--width", "20"],
    ));
    assert!(narrow
        .iter()
        .all(|r| columns(s(&r["left"])) <= 10 && columns(s(&r["right"])) <= 10));
}

/// Independent of the library: the last word before the match, lowercased (a Chinese
/// character alone, letters and digits with inner apostrophes otherwise).
fn word_next_to(context: &str, before: bool) -> String {
    let chars: Vec<char> = if before {
        context.chars().rev().collect()
    } else {
        context.chars().collect()
    };
    let han = |c: char| ('\u{4e00}'..='\u{9fff}').contains(&c);
    let mut word = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if han(c) {
            if word.is_empty() {
                word.push(c);
            }
            break;
        }
        let inner = (c == '\'' || c == '’')
            && !word.is_empty()
            && chars
                .get(i + 1)
                .is_some_and(|n| n.is_alphanumeric() && !han(*n));
        if c.is_alphanumeric() || inner {
            word.push(c);
        } else if !word.is_empty() {
            break;
        }
    }
    if before {
        word.reverse();
    }
    word.into_iter().collect::<String>().to_lowercase()
}

fn position(r: &Value) -> (String, u64, u64) {
    (
        s(&r["conversation"]).to_owned(),
        r["turn"].as_u64().unwrap_or(0),
        r["start"].as_u64().unwrap_or(0),
    )
}

#[test]
fn kwic_sorts_by_the_word_before_or_after_the_match() {
    let ws = tea();
    let unsorted = jsonl(&stdout(
        ws.path(),
        &["tea", "--kwic", "--jsonl", "--limit", "100"],
    ));
    for (order, before) in [("left1", true), ("right1", false)] {
        let rows = jsonl(&stdout(
            ws.path(),
            &[
                "tea", "--kwic", "--jsonl", "--limit", "100", "--sort", order,
            ],
        ));
        assert_eq!(rows.len(), unsorted.len());
        let side = if before { "left" } else { "right" };
        let keys: Vec<(String, (String, u64, u64))> = rows
            .iter()
            .map(|r| (word_next_to(s(&r[side]), before), position(r)))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{order}");
        let unsorted_keys: Vec<_> = unsorted
            .iter()
            .map(|r| (word_next_to(s(&r[side]), before), position(r)))
            .collect();
        assert_ne!(
            unsorted_keys, keys,
            "{order}: the fixture must need sorting"
        );
    }
    // Case-insensitive: "Green tea" and "green tea" sort together.
    let rows = jsonl(&stdout(
        ws.path(),
        &[
            "tea", "--kwic", "--jsonl", "--limit", "100", "--sort", "left1",
        ],
    ));
    let greens: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| word_next_to(s(&r["left"]), true) == "green")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(greens.len(), 2);
    assert_eq!(greens[1], greens[0] + 1);
    let lefts: Vec<&str> = greens.iter().map(|&i| s(&rows[i]["left"])).collect();
    assert!(
        lefts.iter().any(|l| l.ends_with("Green ")) && lefts.iter().any(|l| l.ends_with("green "))
    );
}

/// `(conversation, turn)` of a ranked search's hits.
fn keys(dir: &Path, args: &[&str]) -> Vec<(String, u64)> {
    hit_keys(&search_jsonl(dir, args))
}

#[test]
fn pages_concatenate_to_the_unpaged_list_in_every_order() {
    let ws = seeds();
    for order in ["score", "time", "position"] {
        let all = keys(ws.path(), &["the", "--sort", order, "--limit", "1000"]);
        assert!(all.len() > 30, "{order}: {}", all.len());
        let distinct: HashSet<_> = all.iter().collect();
        assert_eq!(distinct.len(), all.len(), "{order}: a hit twice");
        let mut pages = Vec::new();
        for offset in (0..all.len() + 7).step_by(7) {
            let offset = offset.to_string();
            let page = keys(
                ws.path(),
                &["the", "--sort", order, "--limit", "7", "--offset", &offset],
            );
            assert!(page.len() <= 7);
            pages.extend(page);
        }
        assert_eq!(pages, all, "{order}");
        let doc = search_json(
            ws.path(),
            &["the", "--sort", order, "--limit", "5", "--offset", "30"],
        );
        assert_eq!(doc["total_hits"].as_u64(), Some(all.len() as u64));
        assert_eq!(hit_keys(doc["hits"].as_array().expect("hits")), all[30..35]);
    }
    // Position order is conversation, then turn.
    let by_position = keys(ws.path(), &["the", "--sort", "position", "--limit", "1000"]);
    let mut sorted = by_position.clone();
    sorted.sort();
    assert_eq!(by_position, sorted);
    // Paging a streamed export skips the first hits of the stream.
    let streamed = hit_keys(&jsonl(&stdout(ws.path(), &["the", "--all", "--jsonl"])));
    let rest = hit_keys(&jsonl(&stdout(
        ws.path(),
        &["the", "--all", "--jsonl", "--offset", "10"],
    )));
    assert_eq!(rest, streamed[10..]);
}

#[test]
fn sort_time_orders_by_the_turn_time_with_untimed_turns_last() {
    let ws = tea();
    let hits = search_jsonl(
        ws.path(),
        &[
            "tea",
            "--sort",
            "time",
            "--fields",
            "conversation,turn,time",
        ],
    );
    assert_eq!(hits.len(), tea_turns());
    // A turn without a time of its own has its conversation's: untimed are the turns of
    // conversations without any time.
    let turns = fixture_turns();
    let timed_conversations: HashSet<&str> = turns
        .iter()
        .filter(|(_, _, time)| !time.is_empty())
        .map(|(c, _, _)| c.as_str())
        .collect();
    let untimed_turns = turns
        .iter()
        .filter(|(c, text, _)| {
            !timed_conversations.contains(c.as_str()) && text.to_lowercase().contains("tea")
        })
        .count();
    assert!(untimed_turns > 0);
    let times: Vec<Option<&str>> = hits.iter().map(|h| h["time"].as_str()).collect();
    let timed = times.iter().take_while(|t| t.is_some()).count();
    assert_eq!(timed, hits.len() - untimed_turns, "{times:?}");
    assert!(times[timed..].iter().all(Option::is_none), "{times:?}");
    let mut sorted = times[..timed].to_vec();
    sorted.sort();
    assert_eq!(times[..timed], sorted[..]);
    // Not the position order: the fixture's times run against it.
    let by_position = keys(ws.path(), &["tea", "--sort", "position"]);
    assert_ne!(hit_keys(&hits), by_position);
    // The untimed turns, in position order among themselves.
    let untimed = &hit_keys(&hits)[timed..];
    assert!(untimed.windows(2).all(|w| w[0] < w[1]), "{untimed:?}");
}

/// Two indexes side by side: the seed corpus as `seeds`, the tea fixture as `tea`.
fn two_indexes() -> tempfile::TempDir {
    let ws = seeds();
    let tea = ws.path().join("tea-corpus");
    std::fs::create_dir(&tea).expect("mkdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kwic/tea.tsv");
    std::fs::copy(fixture, tea.join("tea.tsv")).expect("copy");
    run_ok(ws.path(), &["ingest", "corpus", "--index", "seeds"]);
    run_ok(ws.path(), &["ingest", "tea-corpus", "--index", "tea"]);
    ws
}

#[test]
fn several_indexes_merge_hits_qualify_ids_and_sum_totals() {
    let ws = two_indexes();
    let dir = ws.path();
    let query = "tea OR art";
    let total = |args: &[&str]| {
        let mut all = vec![query, "--limit", "1"];
        all.extend_from_slice(args);
        search_json(dir, &all)["total_hits"].as_u64().unwrap_or(0)
    };
    let (seeds_total, tea_total) = (total(&["--index", "seeds"]), total(&["--index", "tea"]));
    assert!(seeds_total > 0 && tea_total > 0);
    assert_eq!(
        total(&["--index", "seeds", "--index", "tea"]),
        seeds_total + tea_total
    );

    let merged = search_jsonl(dir, &[query, "--index", "seeds", "--index", "tea"]);
    assert_eq!(merged.len() as u64, seeds_total + tea_total);
    let mut from = HashSet::new();
    for hit in &merged {
        let id = s(&hit["conversation"]);
        let (label, bare) = id.split_once('/').expect("a qualified id");
        from.insert(label.to_owned());
        assert!(
            s(&hit["location"]).starts_with(&format!("{label}/")),
            "{hit}"
        );
        // The same turn is found in that index alone.
        let alone = search_jsonl(dir, &[query, "--index", label, "--conv", bare]);
        assert!(hit_keys(&alone).contains(&(bare.to_owned(), hit["turn"].as_u64().unwrap_or(0))));
    }
    assert_eq!(from, HashSet::from(["seeds".to_owned(), "tea".to_owned()]));
    // Merged by raw score, best first.
    let scores: Vec<f64> = merged
        .iter()
        .map(|h| h["score"].as_f64().unwrap_or(0.0))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // One index alone keeps bare ids.
    let single = search_jsonl(dir, &[query, "--index", "tea"]);
    assert!(single.iter().all(|h| !s(&h["conversation"]).contains('/')));

    // Pages of the merged order concatenate to it.
    let all = keys(
        dir,
        &[
            query, "--index", "seeds", "--index", "tea", "--sort", "position",
        ],
    );
    let mut pages = Vec::new();
    for offset in (0..all.len()).step_by(4) {
        let offset = offset.to_string();
        pages.extend(keys(
            dir,
            &[
                query, "--index", "seeds", "--index", "tea", "--sort", "position", "--limit", "4",
                "--offset", &offset,
            ],
        ));
    }
    assert_eq!(pages, all);

    // An index given twice would give its hits twice.
    let out = colloquy(dir)
        .args(["search", query, "--index", "tea", "--index", "tea/"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("given twice"));

    // A concordance over both, ids qualified.
    let out = stdout(
        dir,
        &[
            "tea", "--kwic", "--index", "seeds", "--index", "tea", "--color", "never",
        ],
    );
    assert!(
        out.lines().next().is_some_and(|l| l.starts_with("tea/")),
        "{out}"
    );
}

#[test]
fn show_takes_a_qualified_id_with_the_same_indexes() {
    let ws = two_indexes();
    let dir = ws.path();
    let hit = &search_jsonl(dir, &["bubble", "--index", "seeds", "--index", "tea"])[0];
    let id = s(&hit["conversation"]).to_owned();
    let turn = hit["turn"].as_u64().unwrap_or(0).to_string();
    let view = run_json(
        dir,
        &[
            "show", &id, "--turn", &turn, "-C", "0", "--json", "--index", "seeds", "--index", "tea",
        ],
    );
    assert_eq!(view["conversation"], id.as_str());
    assert_eq!(view["turns"][0]["text"], hit["text"]);
    // `ID:TURN` qualified, as printed.
    let view = run_json(
        dir,
        &[
            "show",
            &format!("{id}:{turn}"),
            "-C",
            "0",
            "--json",
            "--index",
            "seeds",
            "--index",
            "tea",
        ],
    );
    assert_eq!(view["turns"][0]["text"], hit["text"]);
    // A bare id found in one index only is accepted too.
    let bare = id.split_once('/').map(|(_, b)| b).unwrap_or_default();
    let view = run_json(
        dir,
        &["show", bare, "--json", "--index", "seeds", "--index", "tea"],
    );
    assert_eq!(view["conversation"], id.as_str());
    // An id in neither names the nearest, qualified.
    let out = colloquy(dir)
        .args(["show", "tea/nothing", "--index", "seeds", "--index", "tea"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"tea/nothing\"") && err.contains("tea/tea#c"),
        "{err}"
    );
}

#[test]
fn sort_and_paging_refusals_are_explained() {
    let ws = tea();
    let refused = |args: &[&str], says: &str| {
        let out = colloquy(ws.path())
            .arg("search")
            .args(args)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(&["tea", "--sort", "left1"], "add --kwic");
    refused(&["tea", "--sort", "time", "--all"], "--all");
    refused(&["tea", "--kwic", "--full"], "--full");
    refused(&["tea", "--width", "50"], "--kwic");
    refused(&["tea", "--sort", "alphabetical"], "position");
    // Out-of-range pages and widths are not errors: an empty page, a line of the narrowest width.
    let doc = search_json(ws.path(), &["tea", "--offset", "18446744073709551615"]);
    assert_eq!(doc["total_hits"].as_u64(), Some(tea_turns() as u64));
    assert_eq!(doc["hits"].as_array().map(Vec::len), Some(0));
    let out = stdout(
        ws.path(),
        &["tea", "--kwic", "--width", "0", "--color", "never"],
    );
    assert_eq!(
        kwic_lines(&out).len(),
        jsonl(&stdout(ws.path(), &["tea", "--kwic", "--jsonl"])).len()
    );
}
