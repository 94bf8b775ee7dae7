//! Aggregates over the turns a search matches: frequency lists ([`freq`]), n-grams ([`ngrams`])
//! and collocates ([`collocates`]). This module owns what they share: the units a turn is cut
//! into ([`units_of`], the analyzer's tokens), the grouping of turns (`--by`), and the streaming
//! pass over the matching turns ([`scan`]), which reads one stored turn at a time per segment
//! and keeps only the counts (memory is the vocabulary's, not the corpus's).

pub mod collocates;
pub mod freq;
pub mod ngrams;
pub mod print;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;
use tantivy::query::{EnableScoring, Query};
use tantivy::schema::{OwnedValue, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocSet, SegmentReader, TantivyDocument, TERMINATED};

use crate::error::{Error, Result};
use crate::index::schema::Fields;
use crate::model::{civil_from_days, Metadata};
use crate::search::{Engine, SearchOptions};
use crate::spans::{normalize_width, script_of, Script};

/// What an item of a list is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// The analyzer's words: Latin-script words normalised as search matches them, Chinese as
    /// jieba segments it (see [`units_of`]), kana characters, Hangul runs, numbers, emoji.
    Word,
    /// Letters and ideographs, one at a time (lowercased unless `--forms surface`).
    Char,
}

/// Which form of a word is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Forms {
    /// The analyzer's normalised token (what a search for the word matches).
    Normalised,
    /// The word as written, lowercased.
    Surface,
}

/// How turns are split into groups, one list per group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    Speaker,
    /// By language span: a code-switched turn's words go to the language of the span they are in.
    Lang,
    Year,
    Month,
    Day,
    /// A metadata key of the turn, else of its conversation.
    Meta(String),
}

impl GroupBy {
    /// `speaker`, `lang`, `year`, `month`, `day`, or any other word as a metadata key.
    pub fn parse(s: &str) -> Option<Self> {
        let key = s.trim().to_lowercase();
        Some(match key.as_str() {
            "" => return None,
            "speaker" => GroupBy::Speaker,
            "lang" | "language" => GroupBy::Lang,
            "year" => GroupBy::Year,
            "month" => GroupBy::Month,
            "day" => GroupBy::Day,
            _ => GroupBy::Meta(key),
        })
    }

    /// Its name as the user gave it.
    pub fn name(&self) -> &str {
        match self {
            GroupBy::Speaker => "speaker",
            GroupBy::Lang => "lang",
            GroupBy::Year => "year",
            GroupBy::Month => "month",
            GroupBy::Day => "day",
            GroupBy::Meta(k) => k,
        }
    }

    /// Time groups print in time order; the others biggest first.
    fn chronological(&self) -> bool {
        matches!(self, GroupBy::Year | GroupBy::Month | GroupBy::Day)
    }
}

/// Group of a turn that has no value for the `--by` key.
pub const NO_GROUP: &str = "(none)";

/// Which turns, cut how, grouped how.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The query and filters, as `colloquy search` takes them (an empty query is every turn).
    pub search: SearchOptions,
    pub unit: Unit,
    pub forms: Forms,
    pub by: Option<GroupBy>,
}

/// Counts built one turn at a time, per segment in parallel, then merged.
pub trait Counter: Send {
    /// One turn's units, as runs that n-grams and windows do not cross.
    fn add_turn(&mut self, runs: &[Vec<String>]);
    /// Add another counter's counts (of other turns) to this one.
    fn merge(&mut self, other: Self);
}

/// Counters per group after a [`scan`].
pub struct Scanned<C> {
    /// Turns that matched the query and filters.
    pub turns: u64,
    pub groups: BTreeMap<String, C>,
}

/// The one place the analyzer is called from (so a change to its normaliser flows into every
/// aggregate): `text`'s units, appended to `runs`.
///
/// Words: the analyzer emits, for a Han run, every character as a unigram *and* jieba's
/// search-mode words (which overlap: 中华人民共和国 also gives 中华, 人民, 共和国). Counting all
/// of them would count each character two or three times, so at each position the longest token
/// is taken and the positions it covers are skipped: that is jieba's ordinary segmentation, with a
/// character counted as a word only where the segmentation leaves it alone (的, 我). Characters
/// are counted with `--unit char`. Every other token has one position and is taken as it is.
pub fn units_of(
    analyzer: &mut TextAnalyzer,
    text: &str,
    unit: Unit,
    forms: Forms,
    runs: &mut Vec<Vec<String>>,
) {
    match unit {
        Unit::Word => runs.push(words_of(analyzer, text, forms)),
        Unit::Char => chars_of(text, forms, runs),
    }
}

fn words_of(analyzer: &mut TextAnalyzer, text: &str, forms: Forms) -> Vec<String> {
    let mut words = Vec::new();
    // The longest token at the current position: (position, length, text).
    let mut best: Option<(usize, usize, String)> = None;
    let mut next_free = 0usize;
    let mut take = |tok: Option<(usize, usize, String)>, words: &mut Vec<String>| {
        if let Some((pos, len, word)) = tok {
            if pos >= next_free {
                next_free = pos + len.max(1);
                words.push(word);
            }
        }
    };
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        let word = match forms {
            Forms::Surface if !is_cjk(&t.text) => text
                .get(t.offset_from..t.offset_to)
                .map_or_else(|| t.text.clone(), str::to_lowercase),
            _ => t.text.clone(),
        };
        match &mut best {
            Some(b) if b.0 == t.position => {
                if t.position_length > b.1 {
                    *b = (t.position, t.position_length, word);
                }
            }
            _ => {
                let done = best.replace((t.position, t.position_length, word));
                take(done, &mut words);
            }
        }
    }
    take(best, &mut words);
    words
}

fn is_cjk(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| matches!(script_of(c), Script::Han | Script::Kana | Script::Hangul))
}

/// Letters and ideographs (full-width forms folded), one run per stretch without a non-letter.
fn chars_of(text: &str, forms: Forms, runs: &mut Vec<Vec<String>>) {
    let mut run: Vec<String> = Vec::new();
    for c in text.chars().map(normalize_width) {
        if c.is_alphabetic() {
            match forms {
                Forms::Normalised => run.push(c.to_lowercase().collect()),
                Forms::Surface => run.push(c.to_string()),
            }
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
}

/// Stream every turn matching `scope` through a counter per group (`new` makes one), segment by
/// segment on every core. Only the stored turn in hand and the counters are in memory.
pub fn scan<C: Counter>(
    engine: &Engine,
    scope: &Scope,
    new: &(dyn Fn() -> C + Sync),
) -> Result<Scanned<C>> {
    let mut search = scope.search.clone();
    if search.query.trim().is_empty() {
        search.query = "*".into();
    }
    engine.guard(|| {
        let query = engine.build_query(&search)?;
        let searcher = engine.searcher();
        let fields = Fields::new(searcher.schema())?;
        let weight = query.weight(EnableScoring::disabled_from_searcher(&searcher))?;
        // Segments' counts are merged as they finish, so about one set per core is alive at
        // once, not one per segment.
        searcher
            .segment_readers()
            .par_iter()
            .map(|segment| scan_segment(segment, weight.as_ref(), &fields, scope, new))
            .try_reduce(Scanned::empty, |mut a, b| {
                a.merge(b);
                Ok(a)
            })
    })
}

impl<C: Counter> Scanned<C> {
    fn empty() -> Self {
        Scanned {
            turns: 0,
            groups: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: Self) {
        self.turns += other.turns;
        for (key, counter) in other.groups {
            match self.groups.entry(key) {
                std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(counter),
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(counter);
                }
            }
        }
    }
}

fn scan_segment<C: Counter>(
    segment: &SegmentReader,
    weight: &dyn tantivy::query::Weight,
    fields: &Fields,
    scope: &Scope,
    new: &(dyn Fn() -> C + Sync),
) -> Result<Scanned<C>> {
    let mut out = Scanned::empty();
    let mut analyzer = crate::analyzer::analyzer();
    let store = segment
        .get_store_reader(8)
        .map_err(|e| Error::io("opening the stored turns", e))?;
    let mut scorer = weight.scorer(segment, 1.0)?;
    let alive = segment.alive_bitset();
    let mut doc = scorer.doc();
    while doc != TERMINATED {
        if alive.is_none_or(|a| a.is_alive(doc)) {
            let stored: TantivyDocument = store.get(doc)?;
            out.turns += 1;
            for (key, runs) in grouped_units(&stored, fields, scope, &mut analyzer) {
                out.groups.entry(key).or_insert_with(new).add_turn(&runs);
            }
        }
        doc = scorer.advance();
    }
    Ok(out)
}

/// A turn's units under each group it belongs to (one group, except `--by lang` for a
/// code-switched turn: each span's text goes to its language).
fn grouped_units(
    doc: &TantivyDocument,
    f: &Fields,
    scope: &Scope,
    analyzer: &mut TextAnalyzer,
) -> Vec<(String, Vec<Vec<String>>)> {
    let text = first_str(doc, f.text).unwrap_or("");
    let mut cut = |piece: &str| {
        let mut runs = Vec::new();
        units_of(analyzer, piece, scope.unit, scope.forms, &mut runs);
        runs
    };
    let key = match &scope.by {
        None => String::new(),
        Some(GroupBy::Speaker) => non_empty(first_str(doc, f.speaker).unwrap_or("")),
        Some(GroupBy::Lang) => return by_span_language(doc, f, text, &mut cut),
        Some(GroupBy::Year) => date_key(doc, f, 4),
        Some(GroupBy::Month) => date_key(doc, f, 7),
        Some(GroupBy::Day) => date_key(doc, f, 10),
        Some(GroupBy::Meta(key)) => meta_key(doc, f, key),
    };
    vec![(key, cut(text))]
}

/// The text of each language span, runs of one language gathered (a turn is counted once per
/// language it has; n-grams and windows do not cross a span).
fn by_span_language(
    doc: &TantivyDocument,
    f: &Fields,
    text: &str,
    cut: &mut dyn FnMut(&str) -> Vec<Vec<String>>,
) -> Vec<(String, Vec<Vec<String>>)> {
    let spans = doc
        .get_first(f.spans)
        .and_then(|v| v.as_bytes())
        .map(crate::index::stored::decode_spans)
        .unwrap_or_default();
    if spans.is_empty() {
        return vec![(NO_GROUP.to_owned(), cut(text))];
    }
    // Code-point offsets → byte offsets, in one pass.
    let bytes: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let byte_at = |cp: usize| bytes.get(cp).copied().unwrap_or(text.len());
    let mut by_lang: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for span in spans {
        let piece = text
            .get(byte_at(span.start)..byte_at(span.end))
            .unwrap_or("");
        by_lang.entry(span.lang).or_default().extend(cut(piece));
    }
    by_lang.into_iter().collect()
}

fn non_empty(s: &str) -> String {
    if s.trim().is_empty() {
        NO_GROUP.to_owned()
    } else {
        s.to_owned()
    }
}

/// `2024`, `2024-01` or `2024-01-12` (UTC) of the turn's time; `(none)` for a turn without a
/// date (none recorded, or an offset into a recording).
fn date_key(doc: &TantivyDocument, f: &Fields, len: usize) -> String {
    let ms = doc
        .get_first(f.time)
        .and_then(|v| match OwnedValue::from(v) {
            OwnedValue::Date(d) => Some(d.into_timestamp_millis()),
            _ => None,
        });
    match ms {
        Some(ms) => {
            let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
            let day = format!("{y:04}-{m:02}-{d:02}");
            day.get(..len).unwrap_or(&day).to_owned()
        }
        None => NO_GROUP.to_owned(),
    }
}

/// The value of metadata `key` (case-insensitive) on the turn, else on its conversation; a list
/// (tags) as its values joined with commas.
fn meta_key(doc: &TantivyDocument, f: &Fields, key: &str) -> String {
    for field in [f.metadata, f.conversation_metadata] {
        let meta: Metadata = first_str(doc, field)
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        if let Some((_, v)) = meta.iter().find(|(k, _)| k.to_lowercase() == key) {
            return non_empty(&v.to_string());
        }
    }
    NO_GROUP.to_owned()
}

fn first_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}

/// Groups in the order they print: time groups chronologically, others by size (then name).
pub fn ordered<C>(
    by: Option<&GroupBy>,
    groups: BTreeMap<String, C>,
    size: impl Fn(&C) -> u64,
) -> Vec<(String, C)> {
    let mut groups: Vec<(String, C)> = groups.into_iter().collect();
    if !by.is_some_and(GroupBy::chronological) {
        groups.sort_by(|a, b| size(&b.1).cmp(&size(&a.1)).then_with(|| a.0.cmp(&b.0)));
    }
    groups
}

/// Items per million of `total`.
pub fn per_million(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        count as f64 * 1e6 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, forms: Forms) -> Vec<String> {
        let mut runs = Vec::new();
        units_of(
            &mut crate::analyzer::analyzer(),
            text,
            Unit::Word,
            forms,
            &mut runs,
        );
        runs.concat()
    }

    #[test]
    fn han_words_are_counted_once_not_with_their_characters() {
        let w = words("我们喜欢人工智能", Forms::Normalised);
        // Every character is covered exactly once.
        assert_eq!(w.concat(), "我们喜欢人工智能");
        assert!(w.contains(&"我们".to_owned()), "{w:?}");
        assert!(w.len() < 8, "{w:?}");
    }

    #[test]
    fn latin_words_are_normalised_or_surface() {
        let norm = words("Paintings, PAINTED café", Forms::Normalised);
        let surface = words("Paintings, PAINTED café", Forms::Surface);
        assert_eq!(surface, ["paintings", "painted", "café"]);
        assert_eq!(norm.len(), 3);
        assert_eq!(norm[2], "cafe");
        assert_ne!(norm[0], "paintings");
    }

    #[test]
    fn characters_split_into_runs_of_letters() {
        let mut runs = Vec::new();
        chars_of("Ab 中文!ｃ1d", Forms::Normalised, &mut runs);
        assert_eq!(
            runs,
            [vec!["a", "b"], vec!["中", "文"], vec!["c"], vec!["d"]]
        );
        let mut runs = Vec::new();
        chars_of("Ab", Forms::Surface, &mut runs);
        assert_eq!(runs, [vec!["A", "b"]]);
    }

    #[test]
    fn group_names_parse() {
        assert_eq!(GroupBy::parse("Speaker"), Some(GroupBy::Speaker));
        assert_eq!(GroupBy::parse("model"), Some(GroupBy::Meta("model".into())));
        assert_eq!(GroupBy::parse(" "), None);
    }
}
