//! Precision of mojibake repair on clean multilingual text: a hand-written set of chat lines in many
//! languages and symbol registers (`tests/fixtures/repair/clean_multilingual.tsv`) must come through
//! repair unchanged, and one round of lossless mojibake of it must be restored.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use colloquy::repair::{damage, score_output, CodePage, DamageModel, Repairer, UndefinedState};
use common::*;

/// One fixture row.
struct Row {
    lang: String,
    text: String,
}

/// Language tags written in Latin script; every other non-symbol tag is another script.
const LATIN_TAGS: [&str; 34] = [
    "cs", "sk", "pl", "hu", "sl", "hr", "ro", "lt", "lv", "et", "tr", "az", "is", "fo", "de", "fr",
    "es", "pt", "it", "ca", "nl", "da", "no", "sv", "fi", "cy", "ga", "mt", "sq", "vi", "eo", "en",
    "yo", "nv",
];

/// Where a row's text comes from, for the per-page table.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Latin,
    OtherScript,
    Symbols,
}

impl Group {
    const ALL: [Group; 3] = [Group::Latin, Group::OtherScript, Group::Symbols];

    fn of(lang: &str) -> Group {
        if lang.starts_with("sym-") {
            Group::Symbols
        } else if LATIN_TAGS.contains(&lang) {
            Group::Latin
        } else {
            Group::OtherScript
        }
    }

    fn name(self) -> &'static str {
        match self {
            Group::Latin => "latin",
            Group::OtherScript => "other scripts",
            Group::Symbols => "symbols",
        }
    }
}

fn load_rows() -> Vec<Row> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/repair/clean_multilingual.tsv");
    let tsv = std::fs::read_to_string(&path).expect("fixture is UTF-8");
    let mut lines = tsv.lines();
    assert_eq!(lines.next(), Some("lang\ttext"), "fixture header");
    lines
        .map(|l| {
            let (lang, text) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("no tab in fixture line {l:?}"));
            assert!(!text.contains('\t'), "tab inside the text of {l:?}");
            Row {
                lang: lang.to_owned(),
                text: text.to_owned(),
            }
        })
        .collect()
}

/// The set must not shrink: enough lines, languages and symbol lines.
fn check_size(rows: &[Row]) {
    let languages: BTreeSet<&str> = rows
        .iter()
        .map(|r| r.lang.as_str())
        .filter(|l| !l.starts_with("sym-"))
        .collect();
    let symbols = rows.iter().filter(|r| r.lang.starts_with("sym-")).count();
    assert!(rows.len() >= 320, "only {} lines", rows.len());
    assert!(languages.len() >= 45, "only {} languages", languages.len());
    assert!(symbols >= 60, "only {symbols} symbol lines");
}

/// Characters of `before` not reproduced in `after` (or added to it), by the harness's alignment.
fn changed_chars(before: &str, after: &str) -> usize {
    let s = score_output(before, after, None);
    s.chars.max(after.chars().count()) - s.all_exact
}

/// `lang: before → after` for every row whose repair differs, and the changed characters in all.
fn describe_changes(rows: &[Row], repaired: &[String]) -> (Vec<String>, usize) {
    let mut lines = Vec::new();
    let mut chars = 0;
    for (row, after) in rows.iter().zip(repaired) {
        if *after != row.text {
            lines.push(format!("{}: {} → {}", row.lang, row.text, after));
            chars += changed_chars(&row.text, after);
        }
    }
    (lines, chars)
}

fn assert_unchanged(rows: &[Row], repaired: &[String], how: &str) {
    let (changed, chars) = describe_changes(rows, repaired);
    assert!(
        changed.is_empty(),
        "{how}: {} of {} clean lines changed, {chars} characters in all:\n{}",
        changed.len(),
        rows.len(),
        changed.join("\n")
    );
}

#[test]
fn clean_multilingual_text_is_never_changed() {
    let rows = load_rows();
    check_size(&rows);
    let dir = tempfile::tempdir().expect("tempdir");
    let input: String = rows.iter().map(|r| format!("{}\n", r.text)).collect();
    std::fs::write(dir.path().join("clean.txt"), &input).expect("write input");
    let doc = run_json(dir.path(), &["repair", "clean.txt", "--json"]);
    let output = doc["text"].as_str().expect("text in the repair JSON");
    let repaired: Vec<String> = output
        .strip_suffix('\n')
        .unwrap_or(output)
        .split('\n')
        .map(str::to_owned)
        .collect();
    assert_eq!(
        repaired.len(),
        rows.len(),
        "repair changed the number of lines"
    );
    assert_unchanged(&rows, &repaired, "colloquy repair --json on the whole set");
}

#[test]
fn clean_lines_beside_mojibake_are_unchanged_and_lone_c1_controls_are_read() {
    // One file as a real export mixes them: Czech through windows-1252, clean measurements, and
    // Windows-1252 quotes that something read as Latin-1 (C1 controls). The Czech and the quotes
    // are repaired; the measurements, every line of the clean set, and the line numbers stay.
    let rows = load_rows();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut input = String::from("ÄŒeÅ¡tina je krÃ¡snÃ¡, ale tÄ›Å¾kÃ¡.\n");
    input.push_str("TPSA: 112 Å², 5×£35 each.\n");
    input.push_str("the \u{93}contract attorney\u{94} isn\u{92}t here\n");
    for r in &rows {
        input.push_str(&r.text);
        input.push('\n');
    }
    std::fs::write(dir.path().join("mixed.txt"), &input).expect("write input");
    let doc = run_json(dir.path(), &["repair", "mixed.txt", "--json"]);
    let output = doc["text"].as_str().expect("text in the repair JSON");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some("Čeština je krásná, ale těžká.")
    );
    assert_eq!(lines.get(1).copied(), Some("TPSA: 112 Å², 5×£35 each."));
    assert_eq!(
        lines.get(2).copied(),
        Some("the “contract attorney” isn’t here")
    );
    let rest: Vec<String> = lines.iter().skip(3).map(|l| l.to_string()).collect();
    assert_eq!(rest.len(), rows.len(), "repair changed the number of lines");
    assert_unchanged(&rows, &rest, "colloquy repair --json beside mojibake");
    let quotes: Vec<&serde_json::Value> = doc["runs"]
        .as_array()
        .expect("runs in the repair JSON")
        .iter()
        .filter(|r| {
            r["original"]
                .as_str()
                .is_some_and(|o| o.starts_with('\u{93}'))
        })
        .collect();
    assert_eq!(quotes.len(), 1, "one run per control: {quotes:?}");
    assert_eq!(quotes[0]["repaired"], "“");
    assert_eq!(quotes[0]["code_page"], "Windows1252");
}

#[test]
fn clean_lines_are_unchanged_one_by_one() {
    let rows = load_rows();
    check_size(&rows);
    let repaired: Vec<String> = rows
        .iter()
        .map(|r| Repairer::new().repair(&r.text).text)
        .collect();
    assert_unchanged(&rows, &repaired, "each line repaired on its own");
}

/// One round through each code page with every byte kept (undefined bytes stay C1 controls).
fn lossless_models() -> Vec<DamageModel> {
    DamageModel::all()
        .into_iter()
        .filter(|m| m.rounds == 1 && m.undefined == UndefinedState::C1Control)
        .collect()
}

/// Damaged lines and lines restored exactly, per script group, for one model; plus the misses.
#[derive(Default)]
struct PageResult {
    counts: BTreeMap<Group, (usize, usize)>,
    /// The same for the lines the page can write (its own languages), whatever their group.
    own: (usize, usize),
    misses: Vec<(Group, String)>,
}

fn run_model(rows: &[Row], model: DamageModel) -> PageResult {
    let mut res = PageResult::default();
    for row in rows {
        let damaged = damage(&row.text, model);
        if damaged == row.text {
            continue;
        }
        let group = Group::of(&row.lang);
        let got = Repairer::new().repair(&damaged).text;
        let entry = res.counts.entry(group).or_default();
        entry.0 += 1;
        let own = model.code_page.can_write(&row.text);
        res.own.0 += usize::from(own);
        if got == row.text {
            entry.1 += 1;
            res.own.1 += usize::from(own);
        } else {
            res.misses.push((
                group,
                format!("{}: {} → {} (want {})", row.lang, damaged, got, row.text),
            ));
        }
    }
    res
}

fn cell(counts: &BTreeMap<Group, (usize, usize)>, groups: &[Group]) -> String {
    let (n, ok) = groups
        .iter()
        .filter_map(|g| counts.get(g))
        .fold((0, 0), |(n, ok), (a, b)| (n + a, ok + b));
    if n == 0 {
        return "—".to_owned();
    }
    format!("{ok}/{n} ({:.1} %)", 100.0 * ok as f64 / n as f64)
}

fn table(results: &[(DamageModel, PageResult)]) -> String {
    let mut t = String::from(
        "| damage model | latin | other scripts | symbols | all | text the page can write |\n",
    );
    t.push_str("|---|---|---|---|---|---|\n");
    for (model, res) in results {
        let own = BTreeMap::from([(Group::Latin, res.own)]);
        let _ = writeln!(
            t,
            "| {model} | {} | {} | {} | {} | {} |",
            cell(&res.counts, &[Group::Latin]),
            cell(&res.counts, &[Group::OtherScript]),
            cell(&res.counts, &[Group::Symbols]),
            cell(&res.counts, &Group::ALL),
            cell(&own, &[Group::Latin]),
        );
    }
    t
}

#[test]
fn one_round_mojibake_of_the_set_is_repaired() {
    let rows = load_rows();
    check_size(&rows);
    let results: Vec<(DamageModel, PageResult)> = lossless_models()
        .into_iter()
        .map(|m| (m, run_model(&rows, m)))
        .collect();
    for (model, res) in &results {
        for (group, miss) in &res.misses {
            println!("[{model}, {}] {miss}", group.name());
        }
    }
    println!(
        "Lines restored exactly after one lossless round:\n{}",
        table(&results)
    );
    // Issue #11 asks for 100 %; these floors are what the engine reaches (lines restored per
    // group, then among the lines the page can write), so a change that loses any of them fails
    // here. Raise them as it improves. Last raised on 2026-12-01, when one-letter words beside a
    // run of the same page, the letters of every living script as results, Latin words of
    // accented letters only (box drawing), words read with all of a page's runs in them (in the
    // choice between pages and in the lexicon's verdict) and the rare letters of Latin Extended-B
    // as unlikely results, and lone pairs that the page's runs in the same text hold, came in;
    // four lowered the same day when the rule on words of accented letters only was narrowed to
    // vowels read as symbols (the property test found clean `Řľčśż` changed under the broad one).
    let floors: [(CodePage, [usize; 4]); 14] = [
        (CodePage::Windows1254, [184, 134, 85, 109]),
        (CodePage::Windows1252, [184, 134, 85, 116]),
        (CodePage::Latin1, [184, 134, 89, 92]),
        (CodePage::Windows1250, [171, 133, 78, 89]),
        (CodePage::Windows1251, [166, 128, 72, 54]),
        (CodePage::MacRoman, [172, 133, 88, 91]),
        (CodePage::Iso8859_2, [160, 131, 76, 65]),
        (CodePage::Windows1257, [175, 132, 82, 82]),
        (CodePage::Koi8R, [179, 134, 87, 39]),
        (CodePage::Iso8859_15, [175, 132, 85, 91]),
        (CodePage::Windows1253, [178, 126, 81, 17]),
        (CodePage::MacCyrillic, [181, 134, 85, 51]),
        (CodePage::Ibm437, [184, 132, 87, 79]),
        (CodePage::Ibm850, [182, 131, 80, 106]),
    ];
    let mut failures = Vec::new();
    for (model, res) in &results {
        let Some((_, floor)) = floors.iter().find(|(cp, _)| *cp == model.code_page) else {
            failures.push(format!("{model}: no floor recorded"));
            continue;
        };
        let restored = Group::ALL
            .iter()
            .map(|g| (g.name(), res.counts.get(g).map_or(0, |c| c.1)))
            .chain([("text the page can write", res.own.1)]);
        for ((what, ok), min) in restored.zip(floor) {
            if ok < *min {
                failures.push(format!("{model} {what}: {ok} lines restored, floor {min}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "fewer lines restored than before:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_page_restores_its_own_languages_in_a_text() {
    // Issue #11: one lossless round of clean text in a page's languages is repaired 100 %, and
    // double mojibake too. A page's languages are the lines it can write; they are damaged and
    // repaired as one text, the way a file or a conversation in one language arrives. (Line by
    // line, with no other line's evidence, the floors above apply.)
    let rows = load_rows();
    let mut failures = Vec::new();
    let twice = lossless_models()
        .into_iter()
        .map(|m| DamageModel { rounds: 2, ..m });
    for model in lossless_models().into_iter().chain(twice) {
        let own: Vec<&Row> = rows
            .iter()
            .filter(|r| model.code_page.can_write(&r.text) && damage(&r.text, model) != r.text)
            .collect();
        assert!(own.len() >= 17, "{model}: only {} lines", own.len());
        let damaged: Vec<String> = own.iter().map(|r| damage(&r.text, model)).collect();
        let got = Repairer::new().repair(&damaged.join("\n")).text;
        for (row, line) in own.iter().zip(got.split('\n')) {
            if line != row.text {
                failures.push(format!("{model} {}: {line} (want {})", row.lang, row.text));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "not restored:\n{}",
        failures.join("\n")
    );
}

/// Development aid, not a check: `cargo test --release --test repair_precision clean_throughput --
/// --ignored --nocapture` prints how fast the clean set, repeated to 16 MB, passes through repair
/// on every core (best of three), as the precision bench measures it.
#[test]
#[ignore]
fn clean_throughput() {
    let rows = load_rows();
    let joined: String = rows.iter().map(|r| format!("{}\n", r.text)).collect();
    let mut big = String::with_capacity(16 << 20);
    while big.len() < 16 << 20 {
        big.push_str(&joined);
    }
    let repairer = Repairer::new();
    let best = (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            let out = repairer.repair_parallel(&big);
            assert!(!out.changed, "the clean set changed");
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    println!(
        "clean set, {:.1} MB: {:.1} MB/s",
        big.len() as f64 / 1e6,
        big.len() as f64 / 1e6 / best
    );
}
