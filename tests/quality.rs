//! Search quality over the seed corpus: every query of tests/fixtures/quality.tsv against the turns
//! a reader expects (worked out from the repaired text; see quality_oracle.py for the meaning of each
//! query). Prints recall and precision per query and overall.

use std::collections::BTreeSet;
use std::path::Path;

use colloquy::ingest::{self, IngestOptions, NoProgress};
use colloquy::search::{Engine, SearchOptions};

fn short(conversation: &str, turn: u64) -> String {
    format!("{}:{turn}", &conversation[..3.min(conversation.len())])
}

#[test]
fn quality_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = std::fs::read_to_string(root.join("tests/fixtures/quality.tsv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    ingest::ingest(
        &IngestOptions {
            roots: vec![root.join("corpus")],
            index_dir: dir.path().join("index"),
            rebuild: false,
            ..IngestOptions::default()
        },
        &NoProgress,
    )
    .unwrap();
    let engine = Engine::open(&dir.path().join("index")).unwrap();

    let (mut expected_total, mut found_total, mut returned_total) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut queries = 0;
    println!(
        "{:<18} {:>8} {:>5} {:>8} {:>9}  note",
        "query", "expected", "hits", "recall", "precision"
    );
    for line in fixture
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let (query, expected, note) = (cols[0], cols[1], cols.get(2).copied().unwrap_or(""));
        let expected: BTreeSet<String> = expected
            .split_whitespace()
            .filter(|e| *e != "-")
            .map(str::to_owned)
            .collect();
        let results = engine
            .search(&SearchOptions {
                query: query.to_owned(),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        let got: BTreeSet<String> = results
            .hits
            .iter()
            .map(|h| short(&h.turn.conversation, h.turn.turn))
            .collect();
        let found = expected.intersection(&got).count();
        let recall = if expected.is_empty() {
            1.0
        } else {
            found as f64 / expected.len() as f64
        };
        let precision = if got.is_empty() {
            1.0
        } else {
            found as f64 / got.len() as f64
        };
        println!(
            "{query:<18} {:>8} {:>5} {:>7.1}% {:>8.1}%  {note}",
            expected.len(),
            got.len(),
            recall * 100.0,
            precision * 100.0
        );
        let missed: Vec<&String> = expected.difference(&got).collect();
        let extra: Vec<&String> = got.difference(&expected).collect();
        if !missed.is_empty() {
            failures.push(format!("{query}: missed {missed:?}"));
        }
        if !extra.is_empty() {
            println!("    extra hits: {extra:?}");
        }
        expected_total += expected.len();
        found_total += found;
        returned_total += got.len();
        queries += 1;
    }
    let recall = found_total as f64 / expected_total as f64;
    let precision = found_total as f64 / returned_total as f64;
    println!(
        "overall: {queries} queries, recall {:.1} % ({found_total}/{expected_total}), precision {:.1} % ({found_total}/{returned_total})",
        recall * 100.0,
        precision * 100.0
    );
    assert!(queries >= 40, "the table needs at least 40 queries");
    assert!(
        failures.is_empty(),
        "recall below 100 %:\n{}",
        failures.join("\n")
    );
    assert!(precision >= 0.95, "precision {precision:.3} below 95 %");
}
