//! The text analyzer shared by indexing and querying.
//!
//! Interim analyzer: Latin-script words lowercased, each Han/kana/Hangul character its own token.
//! Positions are ordinal so a multi-character Chinese query becomes a phrase of characters.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name under which the analyzer is registered on an index.
pub const ANALYZER: &str = "colloquy";

/// Register the analyzer on `index`.
pub fn register(index: &tantivy::Index) {
    index.tokenizers().register(
        ANALYZER,
        tantivy::tokenizer::TextAnalyzer::from(MixedTokenizer),
    );
}

#[derive(Clone, Copy, Debug, Default)]
pub struct MixedTokenizer;

pub struct VecTokenStream {
    tokens: Vec<Token>,
    cursor: usize,
    empty: Token,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.cursor < self.tokens.len() {
            self.cursor += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        self.tokens
            .get(self.cursor.wrapping_sub(1))
            .unwrap_or(&self.empty)
    }
    fn token_mut(&mut self) -> &mut Token {
        match self.tokens.get_mut(self.cursor.wrapping_sub(1)) {
            Some(t) => t,
            None => &mut self.empty,
        }
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

impl Tokenizer for MixedTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        let mut word_start: Option<usize> = None;
        let push = |tokens: &mut Vec<Token>, from: usize, to: usize| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: text[from..to].to_lowercase(),
                position_length: 1,
            });
        };
        for (i, c) in text.char_indices() {
            if is_cjk(c) {
                if let Some(s) = word_start.take() {
                    push(&mut tokens, s, i);
                }
                push(&mut tokens, i, i + c.len_utf8());
            } else if c.is_alphanumeric() {
                word_start.get_or_insert(i);
            } else if let Some(s) = word_start.take() {
                push(&mut tokens, s, i);
            }
        }
        if let Some(s) = word_start.take() {
            push(&mut tokens, s, text.len());
        }
        VecTokenStream {
            tokens,
            cursor: 0,
            empty: Token::default(),
        }
    }
}
