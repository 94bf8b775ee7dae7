//! The `colloquy` tantivy analyzer, used for both indexing and queries.
//!
//! Tokens, with ordinal positions so phrase queries work:
//! - a Han run gets one position per character; every character is emitted
//!   as a unigram at its position, and every jieba search-mode word of two or
//!   more characters at the position of its first character (with
//!   `position_length` = its length). A one-character query is thus a single
//!   term found in every turn containing the character (jieba words alone
//!   found 28 % of them on the seed), and a multi-character query becomes a
//!   phrase of its jieba words *and* unigrams, which matches where the
//!   document's segmentation has the same word at the same place: 算法 does
//!   not match 打算法律 (segmented 打算/法律). Measured with
//!   `examples/recall.rs` in the scratch crate: a dictionary word put between
//!   two random dictionary words is still emitted 99.9 % of the time, while
//!   ~5 % of word boundaries form a dictionary bigram (打算|法律 → 算法)
//!   that a bigram or unigram-phrase scheme would wrongly match. jieba runs
//!   without HMM so a word's segmentation depends only on the dictionary,
//!   not on unknown-word guesses that differ between a query and a turn;
//! - Latin-script (and other alphabetic) words: split on anything not
//!   alphanumeric, full-width forms folded, lowercased, diacritics folded;
//!   English inflections read as their base ([`inflect`]: feelings → feeling,
//!   painted → paint), an -ing form indexed both as itself and as its verb;
//!   one position each. The `exact` field keeps the folded surface forms;
//! - kana: one unigram per character; Hangul: one token per run.
//!
//! Whitespace, punctuation and emoji produce no token (nor a position, so
//! a phrase may match across punctuation, as in most engines). The jieba
//! words come from [`crate::dictionary::segment`], which segments as jieba-rs
//! does over the embedded dictionary image: nothing is loaded at start-up.

use std::collections::HashMap;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

use crate::spans::{normalize_width, script_of, Script};

pub mod inflect;
pub mod terms;

/// Name under which [`register`] installs the analyzer; use it in
/// `TextFieldIndexing::set_tokenizer`.
pub const ANALYZER: &str = "colloquy";

/// Tokens longer than this (bytes) are dropped: base64 blobs, URLs glued
/// together, etc. are noise and would bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 64;

/// Builds the index analyzer (cheap: the dictionary is used in place).
pub fn analyzer() -> TextAnalyzer {
    build(false, Forms::Index)
}

/// The analyzer a query is read with: one token per word, its primary reading
/// ([`inflect::query_form`]), where the index has every reading of the word.
pub fn query_analyzer() -> TextAnalyzer {
    build(false, Forms::Query)
}

/// The index analyzer without jieba's words: every other token, normalised the same way and at
/// the same position (words take no positions of their own). Exact for matching anything but a
/// Chinese word, and it never segments, so highlighting an English query in a Chinese turn stays
/// cheap.
pub fn analyzer_without_words() -> TextAnalyzer {
    build(true, Forms::Index)
}

/// The surface forms of alphabetic words, lowercased and folded, uninflected (`feelings` stays
/// `feelings`): the `exact` field (through [`terms::exact_terms`]) and its queries, for `=word`,
/// prefixes, fuzzy and regular expressions. Han, kana and Hangul have no inflection to undo and
/// are left to the main field.
pub fn exact_analyzer() -> TextAnalyzer {
    build(true, Forms::Exact)
}

fn build(skip_words: bool, forms: Forms) -> TextAnalyzer {
    TextAnalyzer::builder(ColloquyTokenizer {
        buf: TokenBuf::default(),
        skip_words,
        // The exact field holds alphabetic words only: Han, kana and Hangul runs are passed over
        // without making tokens the filter would drop.
        latin_only: forms == Forms::Exact,
    })
    .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
    .filter(LatinNormalizer { forms })
    .build()
}

/// Registers the analyzers on `index`: [`ANALYZER`], and for the `exact` field, whose value
/// the ingest workers analyse ([`terms::exact_terms`]), [`terms::TERMS_TOKENIZER`].
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(ANALYZER, analyzer());
    index
        .tokenizers()
        .register(terms::TERMS_TOKENIZER, terms::TermListTokenizer::default());
}

/// Tokenizer producing the raw (not yet lowercased/stemmed) tokens.
#[derive(Clone, Default)]
pub struct ColloquyTokenizer {
    buf: TokenBuf,
    /// Leave out jieba's words (see [`analyzer_without_words`]).
    skip_words: bool,
    /// Make no token of Han, kana or Hangul.
    latin_only: bool,
}

/// Token stream over one text, computed a chunk at a time (see [`chunks`]): a pasted log of
/// 50 MB is about 8 million tokens, which held at once took gigabytes.
pub struct ColloquyTokenStream<'a> {
    buf: &'a mut TokenBuf,
    /// Index of the current token + 1 (0 before the first `advance`).
    next: usize,
    fallback: Token,
    text: &'a str,
    /// Bytes of `text` tokenized so far.
    done: usize,
    /// Position of the next chunk's first token.
    position: usize,
    words: bool,
    latin_only: bool,
}

impl Tokenizer for ColloquyTokenizer {
    type TokenStream<'a> = ColloquyTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ColloquyTokenStream<'a> {
        self.buf.clear();
        ColloquyTokenStream {
            buf: &mut self.buf,
            next: 0,
            fallback: Token::default(),
            text,
            done: 0,
            position: 0,
            words: !self.skip_words,
            latin_only: self.latin_only,
        }
    }
}

/// Bytes tokenized at a time.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// `text` in pieces of about [`CHUNK_BYTES`], each with its byte offset, cut after a whitespace
/// character where one is near so no word is split (a Han run without any space for 64 KiB may
/// be cut between two characters).
pub fn chunks(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut done = 0;
    std::iter::from_fn(move || {
        if done >= text.len() {
            return None;
        }
        let start = done;
        done = chunk_end(text, start);
        text.get(start..done).map(|c| (start, c))
    })
}

fn chunk_end(text: &str, start: usize) -> usize {
    let mut cut = (start + CHUNK_BYTES).min(text.len());
    while !text.is_char_boundary(cut) {
        cut += 1;
    }
    if cut == text.len() {
        return cut;
    }
    // Move the cut to just after the next whitespace within 4 KiB, else keep it.
    let window = text
        .get(cut..(cut + 4096).min(text.len()))
        .unwrap_or_default();
    match window.char_indices().find(|(_, c)| c.is_whitespace()) {
        Some((i, c)) => cut + i + c.len_utf8(),
        None => cut,
    }
}

impl TokenStream for ColloquyTokenStream<'_> {
    fn advance(&mut self) -> bool {
        while self.next >= self.buf.len {
            if self.done >= self.text.len() {
                return false;
            }
            let end = chunk_end(self.text, self.done);
            let chunk = self.text.get(self.done..end).unwrap_or_default();
            self.buf.clear();
            let cjk = match (self.latin_only, self.words) {
                (true, _) => Cjk::None,
                (false, true) => Cjk::Words,
                (false, false) => Cjk::Chars,
            };
            self.position = tokenize_into(chunk, self.done, self.position, self.buf, cjk);
            self.done = end;
            self.next = 0;
        }
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        match self.next.checked_sub(1) {
            Some(i) => self.buf.tokens.get(i).unwrap_or(&self.fallback),
            None => &self.fallback,
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) => self.buf.tokens.get_mut(i).unwrap_or(&mut self.fallback),
            None => &mut self.fallback,
        }
    }
}

/// Token vector whose slots (and their `String`s) are reused from one text
/// to the next: a Han run yields about two tokens per character, and fresh
/// allocations for each were a measurable share of indexing time.
#[derive(Clone, Default)]
struct TokenBuf {
    tokens: Vec<Token>,
    /// Number of live tokens; slots past it are spare.
    len: usize,
}

impl TokenBuf {
    fn clear(&mut self) {
        self.len = 0;
    }

    fn push(&mut self, from: usize, to: usize, position: usize, length: usize, text: &str) {
        if let Some(t) = self.tokens.get_mut(self.len) {
            t.offset_from = from;
            t.offset_to = to;
            t.position = position;
            t.position_length = length;
            t.text.clear();
            t.text.push_str(text);
        } else {
            self.tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: text.to_string(),
                position_length: length,
            });
        }
        self.len += 1;
    }
}

/// What kind of run the scanner is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Run {
    Han,
    Kana,
    Hangul,
    Word,
}

/// Pictographic emoji and symbols people search for (not arrows, box drawing or flags).
fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x2B50 | 0x2B55 | 0x231A | 0x231B)
}

fn run_of(s: Script) -> Option<Run> {
    match s {
        Script::Han => Some(Run::Han),
        Script::Kana => Some(Run::Kana),
        Script::Hangul => Some(Run::Hangul),
        Script::Latin | Script::OtherLetter | Script::Digit => Some(Run::Word),
        Script::Mark | Script::Neutral => None,
    }
}

/// The raw tokens of `text` (before lowercasing, folding and stemming), in
/// non-decreasing position.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut buf = TokenBuf::default();
    tokenize_into(text, 0, 0, &mut buf, Cjk::Words);
    buf.tokens.truncate(buf.len);
    buf.tokens
}

/// Append the tokens of `text`, which starts at byte `base` of the whole text, numbering
/// positions from `position`; returns the position after the last token.
/// What a tokenizer makes of Han, kana and Hangul.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cjk {
    /// Characters and jieba's words.
    Words,
    /// Characters only.
    Chars,
    /// Nothing: the runs are passed over.
    None,
}

fn tokenize_into(
    text: &str,
    base: usize,
    mut position: usize,
    out: &mut TokenBuf,
    cjk: Cjk,
) -> usize {
    let mut word = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, raw)) = chars.next() {
        // Offsets index the original text: a full-width letter is 3 bytes
        // there even though it is indexed as its 1-byte ASCII form.
        let mut end = start + raw.len_utf8();
        let c = normalize_width(raw);
        // Emoji carry meaning in chat (😏 is not 😎): each is a token of its own. Selectors and
        // joiners that follow are neutral and dropped, so 🎨 and 🎨\u{FE0F} index alike.
        if is_emoji(c) {
            word.clear();
            word.push(c);
            out.push(base + start, base + end, position, 1, &word);
            position += 1;
            continue;
        }
        let Some(run) = run_of(script_of(c)) else {
            continue;
        };
        if cjk == Cjk::None && run != Run::Word {
            continue;
        }
        match run {
            Run::Kana => {
                word.clear();
                word.push(c);
                out.push(base + start, base + end, position, 1, &word);
                position += 1;
            }
            Run::Han => {
                while let Some(&(i, d)) = chars.peek() {
                    if script_of(d) != Script::Han {
                        break;
                    }
                    end = i + d.len_utf8();
                    chars.next();
                }
                // `start..end` are char boundaries from `char_indices`.
                let run = text.get(start..end).unwrap_or_default();
                position = push_han(run, base + start, position, out, cjk == Cjk::Words);
            }
            Run::Hangul | Run::Word => {
                word.clear();
                word.push(c);
                while let Some(&(i, raw)) = chars.peek() {
                    let d = normalize_width(raw);
                    let s = script_of(d);
                    // Combining marks continue a word and are dropped: the
                    // decomposed "cafe\u{301}" must index like "café" → cafe.
                    if s == Script::Mark && run == Run::Word {
                        end = i + raw.len_utf8();
                        chars.next();
                        continue;
                    }
                    if run_of(s) != Some(run) {
                        break;
                    }
                    word.push(d);
                    end = i + raw.len_utf8();
                    chars.next();
                }
                out.push(base + start, base + end, position, 1, &word);
                position += 1;
            }
        }
    }
    position
}

/// Emits unigrams and jieba search-mode words of one Han run starting at
/// byte `base` and position `position`; returns the position after the run.
fn push_han(run: &str, base: usize, position: usize, out: &mut TokenBuf, words: bool) -> usize {
    let first = out.len;
    let mut n = 0;
    for (i, c) in run.char_indices() {
        let end = i + c.len_utf8();
        out.push(
            base + i,
            base + end,
            position + n,
            1,
            run.get(i..end).unwrap_or_default(),
        );
        n += 1;
    }
    if n > 1 && words {
        crate::dictionary::segment::for_search(run, |w| {
            // Single characters are already there as unigrams.
            if w.chars >= 2 {
                out.push(
                    base + w.byte_start,
                    base + w.byte_end,
                    position + w.char_start,
                    w.chars,
                    run.get(w.byte_start..w.byte_end).unwrap_or_default(),
                );
            }
        });
        // Positions of one term must not decrease, and a term must not
        // repeat at one position (it would be a phrase of itself).
        let live = out.len;
        let tail = &mut out.tokens[first..live];
        tail.sort_by(|a, b| {
            (a.position, a.position_length, &a.text).cmp(&(b.position, b.position_length, &b.text))
        });
        let mut kept = first;
        for k in first..live {
            let dup = kept > first
                && out.tokens[kept - 1].position == out.tokens[k].position
                && out.tokens[kept - 1].text == out.tokens[k].text;
            if !dup {
                out.tokens.swap(kept, k);
                kept += 1;
            }
        }
        out.len = kept;
    }
    position + n
}

/// Which forms of a word the normaliser emits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Forms {
    /// Every reading of the word at its position (painting → painting, paint).
    #[default]
    Index,
    /// The primary reading only (painting → painting; paintings → painting).
    Query,
    /// The folded surface form only; Han, kana and Hangul tokens are dropped.
    Exact,
}

/// Normalises word tokens: lowercase, fold diacritics (café → cafe), then English inflection
/// ([`inflect`]: paintings → painting, painted → paint); Han, kana and Hangul tokens pass
/// untouched.
///
/// Chaining tantivy's `LowerCaser`, `AsciiFoldingFilter` and a stemmer instead ran all three
/// on every Han unigram and cut indexing throughput by more than half; chat vocabulary is small
/// and Zipfian, so the result per raw word is memoised (per analyzer instance, i.e. per
/// indexing thread).
#[derive(Clone, Copy, Default)]
pub struct LatinNormalizer {
    pub forms: Forms,
}

/// Cache entries kept before the cache is simply emptied (bounded memory).
const CACHE_MAX: usize = 50_000;

/// Tokenizer wrapper applying [`LatinNormalizer`].
#[derive(Clone)]
pub struct LatinNormalizerTokenizer<T> {
    inner: T,
    state: NormalizerState,
}

#[derive(Clone)]
struct NormalizerState {
    forms: Forms,
    /// Raw word → (the token, a second reading at the same position).
    /// Seeded per map (input text picks the keys); SipHash was ~3 % of clean-text ingest.
    cache: HashMap<String, (String, Option<String>), foldhash::fast::RandomState>,
    /// Lowercases and folds a whole token (tantivy's folding table is only
    /// reachable as a filter).
    fold: TextAnalyzer,
}

impl TokenFilter for LatinNormalizer {
    type Tokenizer<T: Tokenizer> = LatinNormalizerTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> LatinNormalizerTokenizer<T> {
        LatinNormalizerTokenizer {
            inner: tokenizer,
            state: NormalizerState {
                forms: self.forms,
                cache: HashMap::default(),
                fold: folder(),
            },
        }
    }
}

impl<T: Tokenizer> Tokenizer for LatinNormalizerTokenizer<T> {
    type TokenStream<'a> = LatinNormalizerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        LatinNormalizerStream {
            tail: self.inner.token_stream(text),
            state: &mut self.state,
            also: None,
            also_token: Token::default(),
            on_also: false,
        }
    }
}

/// Token stream of [`LatinNormalizerTokenizer`].
pub struct LatinNormalizerStream<'a, S> {
    tail: S,
    state: &'a mut NormalizerState,
    /// A second reading of the current word, emitted next at the same position.
    also: Option<String>,
    /// The second reading as a token; served instead of the tail's while `on_also`.
    also_token: Token,
    on_also: bool,
}

impl NormalizerState {
    fn normalize(&mut self, word: &str) -> (String, Option<String>) {
        let mut folded = String::new();
        fold_into(&mut self.fold, word, &mut folded);
        match self.forms {
            Forms::Exact => (folded, None),
            Forms::Query => (inflect::query_form(&folded), None),
            Forms::Index => {
                let r = inflect::readings(&folded);
                (r.primary, r.also)
            }
        }
    }
}

/// The analyser that lowercases and folds a whole word (see [`fold_into`]).
fn folder() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default())
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Append `word` lowercased and folded (`Café` → `cafe`) to `out`; `fold` is a [`folder`].
fn fold_into(fold: &mut TextAnalyzer, word: &str, out: &mut String) {
    if word.is_ascii() {
        out.extend(word.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        fold.token_stream(word)
            .process(&mut |t| out.push_str(&t.text));
    }
}

fn is_cjk_token(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|c| matches!(script_of(c), Script::Han | Script::Kana | Script::Hangul))
}

impl<S: TokenStream> TokenStream for LatinNormalizerStream<'_, S> {
    fn advance(&mut self) -> bool {
        if let Some(also) = self.also.take() {
            self.also_token.clone_from(self.tail.token());
            self.also_token.text = also;
            self.on_also = true;
            return true;
        }
        self.on_also = false;
        loop {
            if !self.tail.advance() {
                return false;
            }
            let token = self.tail.token_mut();
            if is_cjk_token(&token.text) {
                if self.state.forms == Forms::Exact {
                    continue;
                }
                return true;
            }
            // The tail's token is rewritten in place: no copy of the common case.
            if let Some((norm, also)) = self.state.cache.get(&token.text) {
                token.text.clear();
                token.text.push_str(norm);
                self.also.clone_from(also);
                return true;
            }
            let (norm, also) = self.state.normalize(&token.text);
            if self.state.cache.len() >= CACHE_MAX {
                self.state.cache.clear();
            }
            let raw = std::mem::replace(&mut token.text, norm.clone());
            self.also.clone_from(&also);
            self.state.cache.insert(raw, (norm, also));
            return true;
        }
    }

    fn token(&self) -> &Token {
        if self.on_also {
            &self.also_token
        } else {
            self.tail.token()
        }
    }

    fn token_mut(&mut self) -> &mut Token {
        if self.on_also {
            &mut self.also_token
        } else {
            self.tail.token_mut()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::segment;
    use tantivy::collector::DocSetCollector;
    use tantivy::query::QueryParser;
    use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED};
    use tantivy::{doc, Index};

    /// (text, position) of every token after all filters.
    fn toks(text: &str) -> Vec<(String, usize)> {
        let mut a = analyzer();
        let mut ts = a.token_stream(text);
        let mut v = Vec::new();
        while ts.advance() {
            v.push((ts.token().text.clone(), ts.token().position));
        }
        v
    }

    fn texts(text: &str) -> Vec<String> {
        toks(text).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn latin_tokens() {
        assert_eq!(
            toks("Paintings, painting & ARTS: café ＡＩ ２０２４!"),
            vec![
                // A plural noun reads as its singular; an -ing form as itself and its verb.
                ("painting".to_string(), 0),
                ("painting".to_string(), 1),
                ("paint".to_string(), 1),
                ("art".to_string(), 2),
                ("cafe".to_string(), 3),
                ("ai".to_string(), 4),
                ("2024".to_string(), 5),
            ]
        );
        assert_eq!(texts("cafe\u{301} CAFÉ"), vec!["cafe", "cafe"]);
        // Second sight of a word comes from the cache: same result.
        assert_eq!(
            texts("Paintings PAINTINGS paintings Straße Привет"),
            vec!["painting", "painting", "painting", "strasse", "привет"]
        );
        assert_eq!(texts("  ，。！ ... "), Vec::<String>::new());
        // Emoji are tokens; their variation selectors are not.
        assert_eq!(texts("🎨\u{FE0F} art😂"), vec!["🎨", "art", "😂"]);
    }

    #[test]
    fn mixed_tokens() {
        let t = toks("用Python的OpenCV库来处理照片");
        let expect: Vec<(String, usize)> = [
            ("用", 0),
            ("python", 1),
            ("的", 2),
            ("opencv", 3),
            ("库", 4),
            ("来", 5),
            ("处", 6),
            ("处理", 6),
            ("理", 7),
            ("照", 8),
            ("照片", 8),
            ("片", 9),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), *b))
        .collect();
        assert_eq!(t, expect);
        // Search mode gives the parts of a long word too.
        let t = texts("影响力");
        assert!(t.contains(&"影响".to_string()) && t.contains(&"影响力".to_string()));
        // Kana are unigrams; Hangul words stay whole.
        assert_eq!(texts("ペン 안녕하세요"), vec!["ペ", "ン", "안녕하세요"]);
    }

    #[test]
    fn offsets_index_the_original_text() {
        let text = "ＡＩ绘画，cafe\u{301}!";
        let got: Vec<(String, &str)> = tokenize(text)
            .into_iter()
            .map(|t| {
                let src = text.get(t.offset_from..t.offset_to).unwrap_or("?");
                (t.text, src)
            })
            .collect();
        let want: Vec<(String, &str)> = vec![
            ("AI".into(), "ＡＩ"),
            ("绘".into(), "绘"),
            ("绘画".into(), "绘画"),
            ("画".into(), "画"),
            ("cafe".into(), "cafe\u{301}"),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn positions_non_decreasing_and_no_duplicates() {
        let t = toks("把王家卫的《花样年华》的color palette喂给AI，艺术家的艺术");
        for w in t.windows(2) {
            assert!(w[0].1 <= w[1].1);
            assert!(w[0] != w[1]);
        }
    }

    #[test]
    fn stemmer_keeps_cjk_tokens() {
        let text = "这个话题我们都很喜欢，ですね、안녕하세요";
        let raw: Vec<String> = tokenize(text).into_iter().map(|t| t.text).collect();
        assert_eq!(texts(text), raw);
    }

    fn test_index(docs: &[&str]) -> (Index, tantivy::schema::Field) {
        let mut sb = Schema::builder();
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let body = sb.add_text_field("body", opts | STORED);
        let index = Index::create_in_ram(sb.build());
        register(&index);
        let Ok(mut w) = index.writer_with_num_threads(1, 15_000_000) else {
            panic!("writer");
        };
        for d in docs {
            assert!(w.add_document(doc!(body => *d)).is_ok());
        }
        assert!(w.commit().is_ok());
        (index, body)
    }

    /// Sorted ids (positions in `docs`) of the documents matching `q`.
    fn search(index: &Index, field: tantivy::schema::Field, q: &str) -> Vec<u32> {
        let mut qp = QueryParser::for_index(index, vec![field]);
        qp.set_conjunction_by_default();
        let query = match qp.parse_query(q) {
            Ok(query) => query,
            Err(e) => panic!("{q}: {e}"),
        };
        let Ok(reader) = index.reader() else {
            panic!("reader")
        };
        let Ok(hits) = reader.searcher().search(&query, &DocSetCollector) else {
            panic!("search")
        };
        let mut ids: Vec<u32> = hits.into_iter().map(|a| a.doc_id).collect();
        ids.sort_unstable();
        ids
    }

    const DOCS: &[&str] = &[
        /* 0 */
        "Hey，关于'你觉得social media对mental health影响大吗？'这个话题，你怎么想的？",
        /* 1 */ "社交媒体的影响力越来越大",
        /* 2 */ "把王家卫的《花样年华》的color palette喂给AI",
        /* 3 */ "AI生成的艺术作品，算不算艺术？",
        /* 4 */ "我打算法律系毕业后去工作",
        /* 5 */ "这个算法很不错",
        /* 6 */ "I love these paintings, and painting is my health routine",
        /* 7 */ "Mental fatigue and health issues",
        /* 8 */ "ＡＩ绘画的话题很热",
        /* 9 */ "Un café au lait, s'il vous plaît",
        /* 10 */ "艺术家们都不说话，题目太难",
    ];

    #[test]
    fn queries_find_expected_docs() {
        let (index, body) = test_index(DOCS);
        let cases: &[(&str, &[u32])] = &[
            ("影响", &[0, 1]),
            ("影响力", &[1]),
            ("话题", &[0, 8]),
            ("这个", &[0, 5]),
            ("不", &[3, 5, 10]),
            ("后", &[4]),
            ("艺术", &[3, 10]),
            ("算法", &[5]),
            ("paintings", &[6]),
            ("\"mental health\"", &[0]),
            ("mental health", &[0, 7]),
            ("AI 艺术", &[3]),
            ("ＡＩ", &[2, 3, 8]),
            ("CAFÉ", &[9]),
            ("花样年华", &[2]),
            ("王家卫", &[2]),
            ("\"color palette\"", &[2]),
            ("这个话题", &[0]),
        ];
        for (q, want) in cases {
            assert_eq!(search(&index, body, q), want.to_vec(), "query {q}");
        }
    }

    #[test]
    fn threads_segment_alike() {
        let handles: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| texts("多线程共享同一个结巴实例")))
            .collect();
        let first = texts("多线程共享同一个结巴实例");
        for h in handles {
            let Ok(t) = h.join() else { panic!("thread") };
            assert_eq!(t, first);
        }
    }

    const SEED: &str = "/work/shared/seeds/001_177df1590b2f3725.txt";

    fn seed_turns() -> Vec<String> {
        let path = std::env::var("COLLOQUY_SEED").unwrap_or_else(|_| SEED.to_string());
        let Ok(text) = std::fs::read_to_string(&path) else {
            panic!("cannot read {path} (set COLLOQUY_SEED)")
        };
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Recall of single-character and jieba-word queries against substring
    /// truth on the seed turns: `cargo test --release -- --ignored measure_recall --nocapture`.
    #[test]
    #[ignore = "measurement"]
    fn measure_recall() {
        let turns = seed_turns();
        let refs: Vec<&str> = turns.iter().map(String::as_str).collect();
        let (index, body) = test_index(&refs);
        let mut chars: Vec<char> = turns
            .iter()
            .flat_map(|t| t.chars())
            .filter(|c| script_of(*c) == Script::Han)
            .collect();
        chars.sort_unstable();
        chars.dedup();
        // Without unigrams a character is findable only where jieba leaves
        // it as a one-character word.
        let (mut truth, mut jieba_only, mut ours) = (0usize, 0usize, 0usize);
        for c in &chars {
            let q = c.to_string();
            for t in &turns {
                if t.contains(*c) {
                    truth += 1;
                    let mut alone = false;
                    segment::for_search(t, |w| {
                        alone |= w.chars == 1 && t[w.byte_start..].starts_with(*c)
                    });
                    jieba_only += usize::from(alone);
                }
            }
            ours += search(&index, body, &q).len();
        }
        println!(
            "1-char queries: {} chars, {truth} (char, turn) pairs; jieba-only recall {:.1}%, analyzer recall {:.1}%",
            chars.len(),
            100.0 * jieba_only as f64 / truth as f64,
            100.0 * ours as f64 / truth as f64
        );
        let mut words: Vec<String> = Vec::new();
        for t in &turns {
            segment::for_search(t, |w| {
                if w.chars >= 2 {
                    words.push(t[w.byte_start..w.byte_end].to_string());
                }
            });
        }
        words.sort_unstable();
        words.dedup();
        let (mut truth, mut found) = (0usize, 0usize);
        for w in &words {
            let t = turns.iter().filter(|t| t.contains(w.as_str())).count();
            let f = search(&index, body, w).len();
            truth += t;
            found += f;
            if f < t {
                println!("  {w}: {f}/{t} turns");
            }
        }
        println!(
            "jieba-word queries: {} words, recall vs substring {:.1}% ({found}/{truth})",
            words.len(),
            100.0 * found as f64 / truth as f64
        );
    }

    /// Indexing throughput, default tokenizer vs this analyzer:
    /// `cargo test --release -- --ignored bench_indexing --nocapture`.
    #[test]
    #[ignore = "benchmark"]
    fn bench_indexing() {
        let turns = seed_turns();
        let repeat: usize = std::env::var("COLLOQUY_BENCH_REPEAT")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(1000);
        let bytes: usize = turns.iter().map(String::len).sum::<usize>() * repeat;
        // Best of three rounds, alternating, since the machine is shared.
        let mut best = [0.0f64; 2];
        for _ in 0..3 {
            for (k, tokenizer) in ["default", ANALYZER].into_iter().enumerate() {
                let mut sb = Schema::builder();
                let opts = TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(tokenizer)
                        .set_index_option(IndexRecordOption::WithFreqsAndPositions),
                );
                let body = sb.add_text_field("body", opts);
                let index = Index::create_in_ram(sb.build());
                register(&index);
                let Ok(mut w) = index.writer_with_num_threads(1, 100_000_000) else {
                    panic!("writer")
                };
                let t0 = std::time::Instant::now();
                for _ in 0..repeat {
                    for t in &turns {
                        assert!(w.add_document(doc!(body => t.as_str())).is_ok());
                    }
                }
                assert!(w.commit().is_ok());
                let mbs = bytes as f64 / 1e6 / t0.elapsed().as_secs_f64();
                best[k] = best[k].max(mbs);
            }
        }
        println!(
            "{:.1} MB, 1 indexing thread, best of 3: default {:.1} MB/s, {ANALYZER} {:.1} MB/s",
            bytes as f64 / 1e6,
            best[0],
            best[1]
        );
    }
}
