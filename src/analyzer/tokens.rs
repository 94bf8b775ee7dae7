//! The `text` field's value, analysed before it reaches tantivy: every token of
//! [`super::analyzer`] over a turn with its position, and the tokenizer that reads them back.
//!
//! tantivy indexes on one thread, so that an ingest's memory stays flat, and on clean text that
//! thread is what an ingest waits for; analysing the text was about 30 % of its samples (`perf
//! record` of an ingest of ShareGPT). Here the ingest workers analyse on every core and tantivy
//! only reads lines: ShareGPT V3 (125.5 MB) ingests 11–15 % faster, the damaged mix of `colloquy
//! bench scale` as fast as before. The turn's text itself is stored in a field of its own
//! (`body`), since a field's stored value is the value it indexes.
//!
//! The list holds one token per line: its text alone when its position follows the previous
//! token's, a tab and its text when it shares the previous token's position (a Chinese word and
//! its first character, the readings of an English word). No formatting of numbers is needed
//! for those, which are nearly all. Any other token — another position, or a text holding a line
//! break or beginning with a tab or a carriage return, which no analyser token does (tokens are
//! words, numbers and symbols, never white space) — is written `\r{position},{byte length}\t{text}\n`,
//! so every token survives whatever it holds.

use std::cell::RefCell;
use std::fmt::Write as _;

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

/// Name under which [`super::register`] installs [`TokenListTokenizer`].
pub const TOKENS_TOKENIZER: &str = "colloquy_tokens";

/// Every token the index analyser makes of `text`, with its position, as [`TokenListTokenizer`]
/// reads them back.
pub fn text_tokens(text: &str) -> String {
    thread_local! {
        static ANALYZER: RefCell<TextAnalyzer> = RefCell::new(super::analyzer());
    }
    ANALYZER.with(|a| match a.try_borrow_mut() {
        Ok(mut a) => write_tokens(&mut a, text),
        Err(_) => write_tokens(&mut super::analyzer(), text),
    })
}

fn write_tokens(analyzer: &mut TextAnalyzer, text: &str) -> String {
    // Tokens and line breaks take about what the text does; positions are rare.
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut last = None;
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        push_token(&mut out, &mut last, t.position, &t.text);
    }
    out
}

/// Write one token to the list after a token at `last` (`None` at the start).
fn push_token(out: &mut String, last: &mut Option<usize>, position: usize, text: &str) {
    let next = last.map_or(0, |p| p.wrapping_add(1));
    let special = text.contains('\n') || text.starts_with(['\t', '\r']);
    if special || (position != next && Some(position) != *last) {
        // Writing to a String cannot fail.
        let _ = write!(out, "\r{},{}\t", position, text.len());
    } else if position != next {
        out.push('\t');
    }
    out.push_str(text);
    out.push('\n');
    *last = Some(position);
}

/// Reads [`text_tokens`] back: the analyser's tokens at their positions.
#[derive(Clone, Default)]
pub struct TokenListTokenizer {
    token: Token,
}

/// Token stream of [`TokenListTokenizer`].
pub struct TokenListStream<'a> {
    text: &'a str,
    /// Byte where the next line starts.
    at: usize,
    /// Position of the last token read.
    last: Option<usize>,
    token: &'a mut Token,
}

impl Tokenizer for TokenListTokenizer {
    type TokenStream<'a> = TokenListStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> TokenListStream<'a> {
        self.token.reset();
        TokenListStream {
            text,
            at: 0,
            last: None,
            token: &mut self.token,
        }
    }
}

impl TokenListStream<'_> {
    /// The token of the line at `self.at`: (position, text's byte range, where the next line
    /// starts). `None` at the end or where the list is malformed (it then ends there).
    fn line(&self) -> Option<(usize, usize, usize, usize)> {
        let rest = self.text.get(self.at..)?;
        if rest.is_empty() {
            return None;
        }
        if let Some(head) = rest.strip_prefix('\r') {
            let close = head.find('\t')?;
            let (pos, len) = head.get(..close)?.split_once(',')?;
            let (pos, len) = (pos.parse::<usize>().ok()?, len.parse::<usize>().ok()?);
            let from = self.at + 1 + close + 1;
            let to = from.checked_add(len)?;
            self.text.get(from..to)?;
            return Some((pos, from, to, to + 1));
        }
        let (position, from) = match rest.strip_prefix('\t') {
            Some(_) => (self.last?, self.at + 1),
            None => (self.last.map_or(0, |p| p.wrapping_add(1)), self.at),
        };
        let len = self
            .text
            .get(from..)?
            .find('\n')
            .unwrap_or(self.text.len() - from);
        Some((position, from, from + len, from + len + 1))
    }
}

impl TokenStream for TokenListStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((position, from, to, after)) = self.line() else {
            self.at = self.text.len();
            return false;
        };
        self.token.text.clear();
        self.token
            .text
            .push_str(self.text.get(from..to).unwrap_or_default());
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = position;
        self.last = Some(position);
        self.at = after;
        true
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

    /// (position, text) of every token.
    fn read_back(list: &str) -> Vec<(usize, String)> {
        let mut t = TokenListTokenizer::default();
        let mut stream = t.token_stream(list);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().position, stream.token().text.clone()));
        }
        out
    }

    fn analysed(text: &str) -> Vec<(usize, String)> {
        let mut a = super::super::analyzer();
        let mut stream = a.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().position, stream.token().text.clone()));
        }
        out
    }

    #[test]
    fn the_analysers_tokens_at_their_positions() {
        for text in [
            "",
            "Feelings, feelings and FEELING: café 用Python的 ＡＩ 2024",
            "我们今天讨论一下这个话题，你觉得怎么样？ mental health 😂",
            "ペンを持っています。안녕하세요 반갑습니다",
            "running ran runs — the runner's runs",
        ] {
            let want = analysed(text);
            assert_eq!(read_back(&text_tokens(text)), want, "{text:?}");
        }
        // A Chinese word shares its first character's position: a tab says so, no number.
        assert_eq!(text_tokens("我们好"), "我\n\t我们\n们\n好\n");
    }

    #[test]
    fn any_token_survives_the_list() {
        let tokens = [
            (0, "a"),
            (1, "b\nc"),
            (1, "\tx"),
            (1, "same"),
            (7, "\ry"),
            (8, "z"),
            (3, ""),
            (4, "€"),
            (4, "€"),
        ];
        let mut list = String::new();
        let mut last = None;
        for (position, text) in tokens {
            push_token(&mut list, &mut last, position, text);
        }
        let want: Vec<(usize, String)> = tokens.iter().map(|&(p, t)| (p, t.to_owned())).collect();
        assert_eq!(read_back(&list), want, "{list:?}");
    }

    #[test]
    fn a_malformed_list_ends_without_panicking() {
        for list in [
            "\t",
            "\r",
            "\r3",
            "\r3,\t",
            "\r3,99\tabc",
            "\rx,1\ta\n",
            "\r1,1\t€\n",
        ] {
            let _ = read_back(list);
        }
        assert_eq!(read_back("a\n\r5,x\tb\nc\n"), [(0, "a".to_owned())]);
        // A first line cannot share a position: there is none before it.
        assert!(read_back("\tx\n").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn the_same_tokens_as_the_analyser(
            text in "[a-zA-Z0-9 éÉßø\u{301}ＡＢ１你好我们中国人ペン안녕😂ΑΩяЖ.,'\t\n-]{0,160}",
        ) {
            proptest::prop_assert_eq!(read_back(&text_tokens(&text)), analysed(&text));
        }
    }
}
