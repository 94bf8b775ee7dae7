//! The `exact` field's value, analysed before it reaches tantivy: the distinct terms of
//! [`super::exact_analyzer`] over a turn, one per line, and the tokenizer that reads them back.
//!
//! The field keeps document ids only (no frequencies, no positions), so a turn needs each of its
//! words once. Analysed inside tantivy's indexing thread, the field had that one thread tokenize
//! every turn a second time and subscribe every occurrence: on clean chat text (30 MB of
//! ShareGPT) ingest spent 9.6–11.3 s of CPU with the field and 6.1–7.7 s without it. Here the
//! ingest workers analyse on every core, with the exact analyser's parts but not its per-word
//! cache, and tantivy only splits lines.

use std::cell::RefCell;

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

use super::{
    chunks, fold_into, folder, is_cjk_token, tokenize_into, Cjk, TokenBuf, MAX_TOKEN_BYTES,
};

/// Name under which [`super::register`] installs [`TermListTokenizer`].
pub const TERMS_TOKENIZER: &str = "colloquy_terms";

/// Separates terms in [`exact_terms`]: no analyser token holds a line break (words are runs of
/// letters, digits and marks, folded).
const SEPARATOR: char = '\n';

/// The distinct terms of the exact analyser over `text`, sorted, one per line.
pub fn exact_terms(text: &str) -> String {
    thread_local! {
        static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::new());
    }
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => s.terms(text),
        Err(_) => Scratch::new().terms(text),
    })
}

/// Buffers reused from one turn to the next on each thread.
///
/// The exact analyser's tokens are its raw words, shorter than [`MAX_TOKEN_BYTES`], folded;
/// built here from the same parts without its per-word cache: a surface form needs no
/// inflection lookup, and lowercasing an ASCII word costs less than hashing it.
struct Scratch {
    raw: TokenBuf,
    fold: TextAnalyzer,
    /// Every term seen, back to back; compacted to the distinct ones as it grows.
    all: String,
    spans: Vec<Span>,
}

/// `Scratch::all` is compacted beyond this many bytes, so a pasted log of many megabytes holds
/// its distinct words, not every occurrence.
const COMPACT_BYTES: usize = 1 << 20;

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            raw: TokenBuf::default(),
            fold: folder(),
            all: String::new(),
            spans: Vec::new(),
        }
    }

    fn terms(&mut self, text: &str) -> String {
        self.all.clear();
        self.spans.clear();
        let mut compact_at = COMPACT_BYTES;
        for (base, chunk) in chunks(text) {
            self.raw.clear();
            tokenize_into(chunk, base, 0, &mut self.raw, Cjk::None);
            for t in self.raw.tokens.get(..self.raw.len).unwrap_or_default() {
                if t.text.len() >= MAX_TOKEN_BYTES || is_cjk_token(&t.text) {
                    continue;
                }
                let from = self.all.len();
                fold_into(&mut self.fold, &t.text, &mut self.all);
                let term = self.all.get(from..).unwrap_or_default();
                self.spans.push((prefix(term), from, self.all.len()));
            }
            if self.all.len() > compact_at {
                self.compact();
                // Doubling: a text of many distinct words is not compacted chunk after chunk.
                compact_at = COMPACT_BYTES.max(2 * self.all.len());
            }
        }
        // The distinct terms are written out straight from `all`: no compaction copy first.
        self.sort_unique();
        let mut out = String::with_capacity(self.all.len() + self.spans.len());
        for term in self.distinct() {
            if !out.is_empty() {
                out.push(SEPARATOR);
            }
            out.push_str(term);
        }
        out
    }

    /// Sort the terms and keep one of each (`all` keeps every byte).
    fn sort_unique(&mut self) {
        let all = &self.all;
        let term = |&(_, a, b): &Span| all.get(a..b).unwrap_or_default();
        // By the first eight bytes, then the rest: words are short, so the whole comparison is
        // rarely needed.
        self.spans
            .sort_unstable_by(|x, y| x.0.cmp(&y.0).then_with(|| term(x).cmp(term(y))));
        self.spans.dedup_by(|x, y| x.0 == y.0 && term(x) == term(y));
    }

    /// [`Scratch::sort_unique`], and `all` rebuilt to hold the kept terms only.
    fn compact(&mut self) {
        self.sort_unique();
        let mut kept = String::with_capacity(self.all.len());
        for s in &mut self.spans {
            let from = kept.len();
            kept.push_str(self.all.get(s.1..s.2).unwrap_or_default());
            *s = (s.0, from, kept.len());
        }
        self.all = kept;
    }

    fn distinct(&self) -> impl Iterator<Item = &str> {
        self.spans
            .iter()
            .map(|&(_, a, b)| self.all.get(a..b).unwrap_or_default())
    }
}

/// A term in `Scratch::all`: its first eight bytes (big-endian, zero-padded: they order as the
/// term does), and its byte range.
type Span = (u64, usize, usize);

fn prefix(term: &str) -> u64 {
    let mut b = [0u8; 8];
    for (d, s) in b.iter_mut().zip(term.bytes()) {
        *d = s;
    }
    u64::from_be_bytes(b)
}

/// Reads [`exact_terms`] back: one token per line, as written.
#[derive(Clone, Default)]
pub struct TermListTokenizer {
    token: Token,
}

/// Token stream of [`TermListTokenizer`].
pub struct TermListStream<'a> {
    text: &'a str,
    /// Byte where the next term starts.
    at: usize,
    token: &'a mut Token,
}

impl Tokenizer for TermListTokenizer {
    type TokenStream<'a> = TermListStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TermListStream<'a> {
        self.token.reset();
        TermListStream {
            text,
            at: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for TermListStream<'_> {
    fn advance(&mut self) -> bool {
        while self.at < self.text.len() {
            let rest = self.text.get(self.at..).unwrap_or_default();
            let len = rest.find(SEPARATOR).unwrap_or(rest.len());
            let from = self.at;
            self.at += len + SEPARATOR.len_utf8();
            if len == 0 {
                continue;
            }
            self.token.text.clear();
            self.token
                .text
                .push_str(rest.get(..len).unwrap_or_default());
            self.token.offset_from = from;
            self.token.offset_to = from + len;
            self.token.position = self.token.position.wrapping_add(1);
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(list: &str) -> Vec<String> {
        let mut t = TermListTokenizer::default();
        let mut stream = t.token_stream(list);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    /// What the exact analyser alone makes of `text`: every occurrence, in order.
    fn analysed(text: &str) -> Vec<String> {
        let mut a = super::super::exact_analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn each_surface_form_once_folded_and_sorted() {
        let text =
            "Feelings, feelings and FEELING: café Cafe\u{301} 用Python的 ＡＩ 2024 Привет привет";
        let terms = read_back(&exact_terms(text));
        assert_eq!(
            terms,
            [
                "2024",
                "ai",
                "and",
                "cafe",
                "feeling",
                "feelings",
                "python",
                "привет"
            ]
        );
        // The same set as the analyser gives occurrence by occurrence.
        let mut every = analysed(text);
        every.sort();
        every.dedup();
        assert_eq!(terms, every);
    }

    #[test]
    fn texts_without_words_give_no_terms() {
        for text in ["", "   ", "你好，世界！", "ペン 안녕", "«…» — ¿?"] {
            assert_eq!(exact_terms(text), "", "{text:?}");
            assert!(read_back(&exact_terms(text)).is_empty());
        }
    }

    #[test]
    fn empty_lines_make_no_token() {
        assert_eq!(read_back("\nabc\n\ndef\n"), ["abc", "def"]);
    }

    #[test]
    fn a_long_mixed_text_keeps_every_term() {
        let words = [
            "alpha",
            "Beta",
            "gamma",
            "δέλτα",
            "Ωmega",
            "x2",
            "naïve",
            "l'été",
        ];
        let text: String = (0..5000)
            .map(|i| words[(i * 7 + i / 3) % words.len()])
            .collect::<Vec<_>>()
            .join(" ");
        let mut every = analysed(&text);
        every.sort();
        every.dedup();
        assert_eq!(read_back(&exact_terms(&text)), every);
    }

    #[test]
    fn a_text_larger_than_the_compaction_threshold_keeps_every_term() {
        // ~2.6 MB of words, 150,000 of them distinct: compacted on the way.
        let text: String = (0..300_000u32)
            .map(|i| format!("w{} ", (i * 7919) % 150_000))
            .collect();
        assert!(text.len() > 2 * COMPACT_BYTES);
        let terms = read_back(&exact_terms(&text));
        assert_eq!(terms.len(), 150_000);
        let mut every = analysed(&text);
        every.sort();
        every.dedup();
        assert_eq!(terms, every);
    }

    proptest::proptest! {
        #[test]
        fn the_same_terms_as_the_exact_analyser(
            text in "[a-zA-Z0-9 éÉßø\u{301}ＡＢ１你好ペン안녕😂ΑΩяЖ.,'\n-]{0,120}",
            long in 0usize..90,
        ) {
            // A word past the analyser's length limit is dropped by both.
            let text = format!("{text} {} {text}", "x".repeat(long));
            let mut every = analysed(&text);
            every.sort();
            every.dedup();
            proptest::prop_assert_eq!(read_back(&exact_terms(&text)), every);
        }
    }
}
