//! The language tags of all 80 seed turns against hand labels kept in a fixture.

mod common;

use common::*;

#[test]
fn seed_turn_languages_match_the_hand_labels() {
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed_languages.tsv"),
    )
    .unwrap();
    let labels: Vec<Vec<&str>> = fixture
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("conversation\t"))
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(labels.len(), 80);

    let ws = workspace();
    let hits = search_jsonl(ws.path(), &["*", "-C", "0"]);
    assert_eq!(hits.len(), 80);
    let mut wrong = Vec::new();
    for label in &labels {
        let (conv, turn) = (label[0], label[1].parse::<u64>().unwrap());
        let hit = hits
            .iter()
            .find(|h| h["conversation"] == conv && h["turn"] == turn)
            .unwrap_or_else(|| panic!("{conv} turn {turn} missing"));
        let mut langs: Vec<&str> = hit["languages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        langs.sort();
        let got = (
            langs.join(","),
            hit["dominant_language"].as_str().unwrap_or("").to_owned(),
            if hit["code_switched"] == true {
                "yes"
            } else {
                "no"
            },
        );
        let want = (label[2].to_owned(), label[3].to_owned(), label[4]);
        if got != want {
            wrong.push(format!(
                "{conv} turn {turn}: got {got:?}, labelled {want:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
