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
use crate::index::first_str;
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
    Conversation,
    /// By language span: a code-switched turn's words go to the language of the span they are in.
    Lang,
    Year,
    Month,
    Day,
    /// A metadata key of the turn, else of its conversation.
    Meta(String),
}

impl GroupBy {
    /// `speaker`, `conversation`, `lang`, `year`, `month`, `day`, or any other word as a metadata
    /// key.
    pub fn parse(s: &str) -> Option<Self> {
        let key = s.trim().to_lowercase();
        Some(match key.as_str() {
            "" => return None,
            "speaker" => GroupBy::Speaker,
            "conv" | "conversation" => GroupBy::Conversation,
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
            GroupBy::Conversation => "conversation",
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

/// Appends `unit` to the last `keep` units seen, reusing the oldest one's string: a window over
/// a turn of any length costs `keep` strings.
fn push_recent(recent: &mut std::collections::VecDeque<String>, keep: usize, unit: &str) {
    let mut slot = if recent.len() >= keep {
        recent.pop_front().unwrap_or_default()
    } else {
        String::new()
    };
    slot.clear();
    slot.push_str(unit);
    recent.push_back(slot);
}

/// Which turns, cut how, grouped how.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The query and filters, as `colloquy search` takes them (an empty query is every turn).
    pub search: SearchOptions,
    pub unit: Unit,
    pub forms: Forms,
    pub by: Option<GroupBy>,
}

/// What [`units_of`] hands on, in text order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    Unit(&'a str),
    /// The end of a run (the text, a stretch of letters with `--unit char`): n-grams and
    /// windows do not cross it.
    RunEnd,
}

/// Counts built a unit at a time, per segment in parallel, then merged. A counter keeps only
/// its counts and the last few units (an n-gram, a window), never a turn's units.
pub trait Counter: Send {
    /// A turn starts (also the end of the previous one's last run).
    fn begin_turn(&mut self);
    /// The next unit of the turn.
    fn unit(&mut self, unit: &str);
    /// The run ended: nothing after it forms an n-gram or window with anything before it.
    fn end_run(&mut self);
    /// Add another counter's counts (of other turns) to this one.
    fn merge(&mut self, other: Self);

    fn piece(&mut self, piece: Piece<'_>) {
        match piece {
            Piece::Unit(u) => self.unit(u),
            Piece::RunEnd => self.end_run(),
        }
    }
}

/// Counters per group after a [`scan`].
pub struct Scanned<C> {
    /// Turns that matched the query and filters.
    pub turns: u64,
    pub groups: BTreeMap<String, C>,
}

/// The one place the analyzer is called from (so a change to its normaliser flows into every
/// aggregate): `text`'s units, handed to `sink` one at a time, each run closed by
/// [`Piece::RunEnd`].
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
    sink: &mut dyn FnMut(Piece<'_>),
) {
    match unit {
        Unit::Word => words_of(analyzer, text, forms, sink),
        Unit::Char => chars_of(text, forms, sink),
    }
}

fn words_of(
    analyzer: &mut TextAnalyzer,
    text: &str,
    forms: Forms,
    sink: &mut dyn FnMut(Piece<'_>),
) {
    // The longest token at the current position: (position, length, text).
    let mut best: Option<(usize, usize, String)> = None;
    let mut next_free = 0usize;
    let mut take = |tok: &(usize, usize, String), sink: &mut dyn FnMut(Piece<'_>)| {
        let (pos, len, word) = tok;
        if *pos >= next_free {
            next_free = pos + (*len).max(1);
            sink(Piece::Unit(word));
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
                if let Some(done) = best.replace((t.position, t.position_length, word)) {
                    take(&done, sink);
                }
            }
        }
    }
    if let Some(done) = best {
        take(&done, sink);
    }
    sink(Piece::RunEnd);
}

fn is_cjk(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| matches!(script_of(c), Script::Han | Script::Kana | Script::Hangul))
}

/// Letters and ideographs (full-width forms folded), one run per stretch without a non-letter.
fn chars_of(text: &str, forms: Forms, sink: &mut dyn FnMut(Piece<'_>)) {
    let mut in_run = false;
    let mut unit = String::new();
    for c in text.chars().map(normalize_width) {
        if c.is_alphabetic() {
            unit.clear();
            match forms {
                Forms::Normalised => unit.extend(c.to_lowercase()),
                Forms::Surface => unit.push(c),
            }
            sink(Piece::Unit(&unit));
            in_run = true;
        } else if in_run {
            sink(Piece::RunEnd);
            in_run = false;
        }
    }
    if in_run {
        sink(Piece::RunEnd);
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
        check_group_key(&searcher, scope.by.as_ref())?;
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
            count_turn(&stored, fields, scope, &mut analyzer, &mut out.groups, new);
        }
        doc = scorer.advance();
    }
    Ok(out)
}

/// A turn's units into the counter of its group (with `--by lang`, each span's into its
/// language's: a code-switched turn counts once under each language it has).
fn count_turn<C: Counter>(
    doc: &TantivyDocument,
    f: &Fields,
    scope: &Scope,
    analyzer: &mut TextAnalyzer,
    groups: &mut BTreeMap<String, C>,
    new: &(dyn Fn() -> C + Sync),
) {
    let text = first_str(doc, f.text).unwrap_or("");
    let key = match &scope.by {
        None => String::new(),
        Some(GroupBy::Speaker) => non_empty(first_str(doc, f.speaker).unwrap_or("")),
        Some(GroupBy::Conversation) => non_empty(first_str(doc, f.conversation).unwrap_or("")),
        Some(GroupBy::Lang) => {
            let spans = doc
                .get_first(f.spans)
                .and_then(|v| v.as_bytes())
                .map(crate::index::stored::decode_spans)
                .unwrap_or_default();
            if !spans.is_empty() {
                return count_spans(text, spans, scope, analyzer, groups, new);
            }
            NO_GROUP.to_owned()
        }
        Some(GroupBy::Year) => date_key(doc, f, 4),
        Some(GroupBy::Month) => date_key(doc, f, 7),
        Some(GroupBy::Day) => date_key(doc, f, 10),
        Some(GroupBy::Meta(key)) => meta_key(doc, f, key),
    };
    let counter = groups.entry(key).or_insert_with(new);
    counter.begin_turn();
    units_of(analyzer, text, scope.unit, scope.forms, &mut |p| {
        counter.piece(p)
    });
}

/// Each language span's text into its language's counter, one run per span.
fn count_spans<C: Counter>(
    text: &str,
    spans: Vec<crate::spans::Span>,
    scope: &Scope,
    analyzer: &mut TextAnalyzer,
    groups: &mut BTreeMap<String, C>,
    new: &(dyn Fn() -> C + Sync),
) {
    // Code-point offsets → byte offsets, walking the text once.
    let mut chars = text.char_indices().map(|(i, _)| i).enumerate();
    let mut byte_at = |cp: usize| {
        chars
            .by_ref()
            .find(|(n, _)| *n == cp)
            .map_or(text.len(), |(_, b)| b)
    };
    let mut begun: Vec<String> = Vec::new();
    let mut from = byte_at(0);
    let last = spans.len().saturating_sub(1);
    for (i, span) in spans.into_iter().enumerate() {
        // The last span takes the rest: no character is left uncounted.
        let to = if i == last {
            text.len()
        } else {
            byte_at(span.end)
        };
        let piece = text.get(from..to).unwrap_or("");
        from = to;
        let counter = groups.entry(span.lang.clone()).or_insert_with(new);
        if !begun.contains(&span.lang) {
            counter.begin_turn();
            begun.push(span.lang);
        }
        units_of(analyzer, piece, scope.unit, scope.forms, &mut |p| {
            counter.piece(p)
        });
    }
}

/// `--by KEY` for a metadata key that no turn has is almost always a typo: say which keys exist
/// (read from the `--where` terms, `key=value`, one dictionary seek per key).
fn check_group_key(searcher: &tantivy::Searcher, by: Option<&GroupBy>) -> Result<()> {
    const MAX_KEYS: usize = 20;
    let Some(GroupBy::Meta(key)) = by else {
        return Ok(());
    };
    let meta = searcher.schema().get_field("meta")?;
    let stream_err = |e| Error::io("reading the term dictionary", e);
    let prefix = format!("{key}=");
    let mut keys = std::collections::BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(meta)?;
        let terms = inverted.terms();
        let mut found = terms
            .range()
            .ge(&prefix)
            .into_stream()
            .map_err(stream_err)?;
        if found.advance() && found.key().starts_with(prefix.as_bytes()) {
            return Ok(());
        }
        // Each key once: after `k=…`, seek to `k>` ('>' follows '=').
        let mut from = Vec::new();
        while keys.len() < MAX_KEYS {
            let mut stream = terms.range().ge(&from).into_stream().map_err(stream_err)?;
            if !stream.advance() {
                break;
            }
            let term = stream.key();
            let k = term.split(|b| *b == b'=').next().unwrap_or(term);
            keys.insert(String::from_utf8_lossy(k).into_owned());
            from = k.to_vec();
            from.push(b'>');
        }
    }
    let mut known: Vec<String> = ["speaker", "conversation", "lang", "year", "month", "day"]
        .map(String::from)
        .to_vec();
    known.extend(keys.into_iter().take(MAX_KEYS));
    Err(Error::UnknownValue {
        flag: "--by".into(),
        value: key.clone(),
        known,
    })
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

    /// The units of `text`, runs as lists.
    fn runs(text: &str, unit: Unit, forms: Forms) -> Vec<Vec<String>> {
        let mut runs = vec![Vec::new()];
        let mut analyzer = crate::analyzer::analyzer();
        units_of(&mut analyzer, text, unit, forms, &mut |p| match p {
            Piece::Unit(u) => runs.last_mut().unwrap().push(u.to_owned()),
            Piece::RunEnd => runs.push(Vec::new()),
        });
        assert_eq!(runs.pop(), Some(Vec::new()), "every run is closed");
        runs
    }

    fn words(text: &str, forms: Forms) -> Vec<String> {
        let runs = runs(text, Unit::Word, forms);
        assert_eq!(runs.len(), 1);
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
        let r = runs("Ab 中文!ｃ1d", Unit::Char, Forms::Normalised);
        assert_eq!(r, [vec!["a", "b"], vec!["中", "文"], vec!["c"], vec!["d"]]);
        assert_eq!(runs("Ab", Unit::Char, Forms::Surface), [vec!["A", "b"]]);
    }

    #[test]
    fn group_names_parse() {
        assert_eq!(GroupBy::parse("Speaker"), Some(GroupBy::Speaker));
        assert_eq!(GroupBy::parse("conv"), Some(GroupBy::Conversation));
        assert_eq!(GroupBy::parse("model"), Some(GroupBy::Meta("model".into())));
        assert_eq!(GroupBy::parse(" "), None);
    }
}
