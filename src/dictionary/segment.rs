//! Chinese word segmentation for search, as jieba-rs's
//! `cut_for_search(text, false)` does it, over the embedded dictionary's
//! jieba words (no dictionary to load: see the module above).
//!
//! Text is cut into blocks of CJK ideographs (jieba-rs's ranges); in each,
//! every dictionary word starting at each character is an edge, and the
//! route maximising the sum of ln(count / total) wins (a character no word
//! starts with costs ln(1 / total); on a tie the longer step wins). Search
//! mode adds, for a route word longer than two characters, its two- and
//! three-character substrings that are words. The arithmetic is jieba-rs's,
//! operation for operation, so ties fall the same way; a test compares the
//! two on a large text.

use super::{lexicon, Lexicon, ROOT};
use std::cell::RefCell;

/// A segment of the text given to [`for_search`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    pub byte_start: usize,
    pub byte_end: usize,
    /// Position of its first character among the text's characters.
    pub char_start: usize,
    pub chars: usize,
}

/// jieba-rs's CJK ideograph ranges (its `is_cjk`): only these are segmented.
#[inline]
pub fn is_ideograph(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2B73F}'
        | '\u{2B740}'..='\u{2B81F}'
        | '\u{2B820}'..='\u{2CEAF}'
        | '\u{2CEB0}'..='\u{2EBEF}'
        | '\u{2F800}'..='\u{2FA1F}'
    )
}

/// Reused buffers of one thread.
#[derive(Default)]
struct Scratch {
    /// (byte offset, char) of the block's characters, plus an end sentinel.
    chars: Vec<(usize, char)>,
    /// Per character: its edges' range in `edges`.
    starts: Vec<usize>,
    /// (end character, jieba count) of every word found, by start.
    edges: Vec<(usize, u32)>,
    /// Per character: best log-probability of the rest and the step's end.
    route: Vec<(f64, usize)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Calls `emit` with every search-mode word of `text`'s ideograph blocks,
/// single characters included; other characters are skipped.
pub fn for_search(text: &str, mut emit: impl FnMut(Word)) {
    let lex = lexicon();
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        let mut char_pos = 0;
        let mut rest = text.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            if !is_ideograph(c) {
                char_pos += 1;
                continue;
            }
            s.chars.clear();
            s.chars.push((i, c));
            while let Some(&(j, d)) = rest.peek() {
                if !is_ideograph(d) {
                    break;
                }
                s.chars.push((j, d));
                rest.next();
            }
            let n = s.chars.len();
            let (last, d) = s.chars[n - 1];
            s.chars.push((last + d.len_utf8(), '\0'));
            s.block(lex, char_pos, &mut emit);
            char_pos += n;
        }
    });
}

impl Scratch {
    fn block(&mut self, lex: &Lexicon, char_pos: usize, emit: &mut impl FnMut(Word)) {
        self.dag(lex);
        self.calc(lex);
        let n = self.chars.len() - 1;
        let mut x = 0;
        while x < n {
            let y = self.route[x].1;
            let len = y - x;
            let mut gram = |i: usize, k: usize| {
                if self.is_word(x + i, x + i + k) {
                    emit(self.word(char_pos, x + i, x + i + k));
                }
            };
            if len > 2 {
                (0..len - 1).for_each(|i| gram(i, 2));
            }
            if len > 3 {
                (0..len - 2).for_each(|i| gram(i, 3));
            }
            emit(self.word(char_pos, x, y));
            x = y;
        }
    }

    fn word(&self, char_pos: usize, x: usize, y: usize) -> Word {
        Word {
            byte_start: self.chars[x].0,
            byte_end: self.chars[y].0,
            char_start: char_pos + x,
            chars: y - x,
        }
    }

    /// Every jieba word starting at every character, ends increasing.
    fn dag(&mut self, lex: &Lexicon) {
        let n = self.chars.len() - 1;
        self.starts.clear();
        self.edges.clear();
        for pos in 0..n {
            self.starts.push(self.edges.len());
            let mut node = ROOT;
            for (end, &(_, c)) in self.chars[pos..n].iter().enumerate() {
                let Some(next) = lex.child(node, c) else {
                    break;
                };
                node = next;
                let count = lex.jieba_count(node);
                if count > 0 {
                    self.edges.push((pos + end + 1, count));
                }
            }
        }
        self.starts.push(self.edges.len());
    }

    fn is_word(&self, x: usize, y: usize) -> bool {
        self.edges[self.starts[x]..self.starts[x + 1]]
            .iter()
            .any(|&(end, _)| end == y)
    }

    /// The best route from every character to the end (jieba-rs's `calc`).
    fn calc(&mut self, lex: &Lexicon) {
        let n = self.chars.len() - 1;
        let ln_total = lex.jieba_ln_total;
        self.route.clear();
        self.route.resize(n + 1, (0.0, n));
        for idx in (0..n).rev() {
            let mut best: Option<(f64, usize)> = None;
            for &(end, count) in &self.edges[self.starts[idx]..self.starts[idx + 1]] {
                let prob = f64::from(count).ln() - ln_total + self.route[end].0;
                if best.is_none_or(|(p, e)| prob > p || (prob == p && end > e)) {
                    best = Some((prob, end));
                }
            }
            self.route[idx] = best.unwrap_or((0.0 - ln_total + self.route[idx + 1].0, idx + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for_search(text, |w| out.push(&text[w.byte_start..w.byte_end]));
        out
    }

    #[test]
    fn search_mode_adds_the_words_inside_long_words() {
        assert_eq!(
            words("中华人民共和国"),
            ["中华", "华人", "人民", "共和", "共和国", "中华人民共和国"]
        );
        assert_eq!(words("我们"), ["我们"]);
    }

    #[test]
    fn other_characters_split_blocks_and_are_skipped() {
        let text = "我们a去〇北京。";
        let mut got = Vec::new();
        for_search(text, |w| {
            got.push((w.char_start, w.chars, &text[w.byte_start..w.byte_end]))
        });
        assert_eq!(got, [(0, 2, "我们"), (3, 1, "去"), (5, 2, "北京")]);
    }

    /// Every jieba word of the trie, by count descending.
    fn jieba_words() -> Vec<(String, u32)> {
        let lex = lexicon();
        let mut out = Vec::new();
        let mut stack = vec![(ROOT, String::new())];
        while let Some((node, word)) = stack.pop() {
            let count = lex.jieba_count(node);
            if count > 0 {
                out.push((word.clone(), count));
            }
            let Some((first, kids)) = lex.children(node) else {
                continue;
            };
            for (k, &u) in kids.iter().enumerate() {
                let mut w = word.clone();
                w.extend(char::from_u32(u));
                stack.push((first + k as u32, w));
            }
        }
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Sentences of dictionary words (frequent ones more often), with now
    /// and then a character no word starts with: new word boundaries and
    /// ties that real text may not show.
    fn synthetic_text(words: &[(String, u32)], sentences: usize) -> String {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut text = String::new();
        for _ in 0..sentences {
            for _ in 0..5 + next() % 15 {
                let r = (next() % 1_000_000) as f64 / 1e6;
                let i = (r * r * r * words.len() as f64) as usize;
                text.push_str(&words[i.min(words.len() - 1)].0);
                if next() % 10 == 0 {
                    text.extend(char::from_u32(0x4E00 + (next() % 0x5200) as u32));
                }
            }
            text.push('。');
        }
        text
    }

    /// The segmentation of jieba-rs 0.11 (`cut_for_search`, no HMM) and
    /// ours, word for word, on every Chinese text of the repository and
    /// on 200,000 characters of synthetic text.
    #[test]
    fn segments_as_jieba_rs_does() {
        let words = jieba_words();
        // data/build_cjk_dict.py keeps jieba's 348,974 ideograph words.
        assert_eq!(words.len(), 348_974);
        let jieba = jieba_rs::Jieba::new();
        assert!(words.iter().step_by(97).all(|(w, _)| jieba.has_word(w)));
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts = vec![synthetic_text(&words, 16_000)];
        for dir in ["corpus", "data"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "txt") {
                    texts.push(std::fs::read_to_string(&path).unwrap_or_default());
                }
            }
        }
        let (mut chars, mut compared) = (0, 0);
        for text in &texts {
            for line in text.lines() {
                let theirs: Vec<(usize, usize, &str)> = jieba
                    .cut_for_search(line, false)
                    .into_iter()
                    .filter(|t| t.word.chars().all(is_ideograph))
                    .map(|t| (t.start, t.end - t.start, t.word))
                    .collect();
                let mut ours = Vec::new();
                for_search(line, |w| {
                    ours.push((w.char_start, w.chars, &line[w.byte_start..w.byte_end]))
                });
                assert_eq!(ours, theirs, "{line}");
                chars += line.chars().count();
                compared += ours.len();
            }
        }
        assert!(chars > 200_000, "{chars} characters");
        println!("{compared} words of {chars} characters segmented alike");
    }

    #[test]
    fn empty_and_non_chinese_text_give_nothing() {
        assert!(words("").is_empty());
        assert!(words("hello, ペン 한국어").is_empty());
    }
}
