//! Deterministic text for the benchmarks: words learned from the corpus (repaired as ingest
//! would), a seeded generator, and a [`Lexicon`] that draws words Zipf-wise and keeps deriving new
//! word forms, so a generated corpus's vocabulary grows with its size as a real one's does.

use std::path::Path;

use crate::error::{Error, Result};

/// A deterministic generator (xorshift), so every run writes the same data.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A chance of `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// `n` words of `words` drawn uniformly, joined by spaces.
pub(crate) fn sentence(rng: &mut Rng, words: &[String], n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&words[rng.below(words.len())]);
    }
    s
}

/// Words and Chinese phrases to recombine: the corpus's turns, repaired as ingest would (most
/// chat data is clean; the repair benchmark measures damage), split on spaces.
pub(crate) fn vocabulary(corpus: &Path) -> Result<Vec<String>> {
    let repairer = crate::repair::Repairer::new();
    let mut words = Vec::new();
    for entry in walkdir::WalkDir::new(corpus).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::io("walking the corpus", e.into()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for turn in crate::pipeline::process_text(&text, &repairer).turns {
            words.extend(turn.text.split_whitespace().map(str::to_owned));
        }
    }
    if words.is_empty() {
        words = ["hello", "你好", "world", "世界"]
            .map(String::from)
            .to_vec();
    }
    Ok(words)
}

/// A stateless hash (splitmix64): derived word `k` is the same word in every run and file.
pub(crate) fn mix(k: u64) -> u64 {
    let mut z = k.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Words ranked by frequency, drawn with Zipf weights 1/rank.
struct Ranked {
    words: Vec<String>,
    cdf: Vec<f64>,
}

impl Ranked {
    fn new(counts: std::collections::HashMap<String, u64>, fallback: &[&str]) -> Ranked {
        let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
        // Ties broken by the word: a HashMap's order is not deterministic.
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut words: Vec<String> = ranked.into_iter().map(|(w, _)| w).collect();
        if words.is_empty() {
            words = fallback.iter().map(|w| (*w).to_owned()).collect();
        }
        let mut total = 0.0;
        let cdf = (0..words.len())
            .map(|r| {
                total += 1.0 / (r as f64 + 1.0);
                total
            })
            .collect();
        Ranked { words, cdf }
    }
    fn draw(&self, rng: &mut Rng) -> usize {
        let u = rng.unit() * self.cdf.last().copied().unwrap_or(1.0);
        self.cdf
            .partition_point(|&c| c < u)
            .min(self.words.len() - 1)
    }
}

/// Share of drawn words that are derived forms rather than the corpus's own.
const NEW_FORMS: f64 = 0.06;
/// Derived forms in use after `n` draws: `HEAPS_K · n^HEAPS_BETA` (Heaps' law; natural text has
/// β ≈ 0.5–0.7).
const HEAPS_K: f64 = 3.0;
const HEAPS_BETA: f64 = 0.65;
const SYLLABLES: [&str; 24] = [
    "an", "bel", "cor", "dra", "el", "fen", "gal", "hor", "is", "jun", "kal", "lor", "mer", "nov",
    "or", "pra", "quin", "ros", "sel", "tur", "ul", "ven", "wex", "zor",
];
const SUFFIXES: [&str; 8] = ["", "", "", "ity", "ment", "ism", "ology", "ward"];

/// The words a generated corpus is made of: the corpus's English words and Chinese two-character
/// words at Zipf frequencies, plus derived forms (recombined syllables; new pairs and triples of
/// the corpus's Han characters) whose number grows as a power of the words drawn so far.
pub(crate) struct Lexicon {
    english: Ranked,
    chinese: Ranked,
    han: Vec<char>,
    /// The corpus's English words in their order, as ranks: runs of them keep its phrases.
    sequence: Vec<usize>,
    drawn: u64,
    /// Which corpus words and derived forms have been drawn: the vocabulary so far.
    used_english: Vec<bool>,
    used_chinese: Vec<bool>,
    used_derived: Vec<bool>,
    vocabulary: u64,
}

impl Lexicon {
    /// Learn the words of the corpus folder.
    pub(crate) fn learn(corpus: &Path) -> Result<Lexicon> {
        let mut english = std::collections::HashMap::new();
        let mut chinese = std::collections::HashMap::new();
        let mut han = std::collections::BTreeSet::new();
        let mut order = Vec::new();
        for token in vocabulary(corpus)? {
            split_token(&token, &mut |word, is_han| {
                if is_han {
                    han.extend(word.chars());
                    if word.chars().count() >= 2 {
                        *chinese.entry(word.to_owned()).or_insert(0u64) += 1;
                    }
                } else if word.len() >= 2 {
                    let word = word.to_ascii_lowercase();
                    *english.entry(word.clone()).or_insert(0u64) += 1;
                    order.push(word);
                }
            });
        }
        let english = Ranked::new(english, &["hello", "world"]);
        let chinese = Ranked::new(chinese, &["你好", "世界"]);
        let rank: std::collections::HashMap<&str, usize> = english
            .words
            .iter()
            .enumerate()
            .map(|(r, w)| (w.as_str(), r))
            .collect();
        let sequence = order
            .iter()
            .filter_map(|w| rank.get(w.as_str()).copied())
            .collect();
        let mut han: Vec<char> = han.into_iter().collect();
        if han.is_empty() {
            han = vec!['你', '好'];
        }
        Ok(Lexicon {
            used_english: vec![false; english.words.len()],
            used_chinese: vec![false; chinese.words.len()],
            english,
            chinese,
            han,
            sequence,
            drawn: 0,
            used_derived: Vec::new(),
            vocabulary: 0,
        })
    }

    /// Distinct words drawn so far.
    pub(crate) fn vocabulary(&self) -> u64 {
        self.vocabulary
    }

    /// The corpus's most frequent English word of at least `min_len` letters, and its Chinese
    /// word of rank `rank`: query terms that are sure to be common.
    pub(crate) fn common_english(&self, min_len: usize) -> &str {
        let words = &self.english.words;
        words
            .iter()
            .find(|w| w.len() >= min_len)
            .unwrap_or(&words[0])
    }
    pub(crate) fn common_chinese(&self, rank: usize) -> &str {
        let words = &self.chinese.words;
        &words[rank.min(words.len() - 1)]
    }

    /// Whether the corpus has this Chinese word (as one of its two-character pieces).
    pub(crate) fn has_chinese(&self, word: &str) -> bool {
        self.chinese.words.iter().any(|w| w == word)
    }

    /// Whether the corpus's English words hold this phrase (words separated by one space).
    pub(crate) fn has_phrase(&self, phrase: &str) -> bool {
        let words: Vec<&str> = phrase.split(' ').collect();
        self.sequence.windows(words.len()).any(|w| {
            w.iter()
                .zip(&words)
                .all(|(&r, word)| self.english.words[r] == *word)
        })
    }

    /// One English word.
    pub(crate) fn english(&mut self, rng: &mut Rng) -> String {
        match self.derived(rng) {
            Some(k) => derived_english(&self.english.words, k),
            None => {
                let r = self.english.draw(rng);
                self.note(Used::English(r));
                self.english.words[r].clone()
            }
        }
    }

    /// `n` consecutive English words of the corpus, from a random place.
    pub(crate) fn english_run(&mut self, rng: &mut Rng, n: usize) -> Vec<String> {
        if self.sequence.len() < n {
            return (0..n).map(|_| self.english(rng)).collect();
        }
        let start = rng.below(self.sequence.len() - n + 1);
        self.drawn += n as u64;
        (start..start + n)
            .map(|i| {
                let r = self.sequence[i];
                self.note(Used::English(r));
                self.english.words[r].clone()
            })
            .collect()
    }

    /// One Chinese word (two or three characters).
    pub(crate) fn chinese(&mut self, rng: &mut Rng) -> String {
        match self.derived(rng) {
            Some(k) => {
                let h = mix(k);
                let n = 2 + (h % 2) as usize;
                (0..n)
                    .map(|i| self.han[(mix(h + i as u64) % self.han.len() as u64) as usize])
                    .collect()
            }
            None => {
                let r = self.chinese.draw(rng);
                self.note(Used::Chinese(r));
                self.chinese.words[r].clone()
            }
        }
    }

    /// The index of a derived form to use for this draw, or `None` for a corpus word. Low
    /// indexes come up more often (density ∝ 1/√k), so derived forms recur and their posting
    /// lists grow too.
    fn derived(&mut self, rng: &mut Rng) -> Option<u64> {
        self.drawn += 1;
        if !rng.chance(NEW_FORMS) {
            return None;
        }
        let span = HEAPS_K * (self.drawn as f64).powf(HEAPS_BETA);
        let u = rng.unit();
        let k = (span * u * u) as u64;
        self.note(Used::Derived(k));
        Some(k)
    }

    fn note(&mut self, used: Used) {
        let (seen, i) = match used {
            Used::English(r) => (&mut self.used_english, r),
            Used::Chinese(r) => (&mut self.used_chinese, r),
            Used::Derived(k) => (&mut self.used_derived, k as usize),
        };
        if seen.len() <= i {
            seen.resize(i + 1, false);
        }
        if !seen[i] {
            seen[i] = true;
            self.vocabulary += 1;
        }
    }
}

enum Used {
    English(usize),
    Chinese(usize),
    Derived(u64),
}

/// Derived English form `k`: the head of a corpus word, two syllables and maybe a suffix
/// ("photvanrel", "artzorselity"); the stem carries the variety, as the analyzer stems suffixes.
fn derived_english(words: &[String], k: u64) -> String {
    let h = mix(k);
    let base = &words[(h % words.len().min(3000) as u64) as usize];
    let head: String = base.chars().take(3 + (h >> 20) as usize % 3).collect();
    let a = SYLLABLES[(h >> 24) as usize % SYLLABLES.len()];
    let b = SYLLABLES[(h >> 32) as usize % SYLLABLES.len()];
    let s = SUFFIXES[(h >> 40) as usize % SUFFIXES.len()];
    format!("{head}{a}{b}{s}")
}

/// Split a whitespace token into runs of Han characters (cut into two-character words) and of
/// ASCII letters; everything else separates.
fn split_token(token: &str, emit: &mut impl FnMut(&str, bool)) {
    let mut start = None::<(usize, bool)>;
    let mut flush = |from: Option<(usize, bool)>, to: usize| {
        if let Some((s, is_han)) = from {
            let run = &token[s..to];
            if is_han {
                let chars: Vec<(usize, char)> = run.char_indices().collect();
                for pair in chars.chunks(2) {
                    let end = pair.last().map_or(0, |(i, c)| i + c.len_utf8());
                    emit(&run[pair[0].0..end], true);
                }
            } else {
                emit(run, false);
            }
        }
    };
    for (i, c) in token.char_indices() {
        let kind = if is_han(c) {
            Some(true)
        } else if c.is_ascii_alphabetic() {
            Some(false)
        } else {
            None
        };
        match (start, kind) {
            (Some((_, a)), Some(b)) if a == b => {}
            (_, Some(b)) => {
                flush(start, i);
                start = Some((i, b));
            }
            (_, None) => {
                flush(start, i);
                start = None;
            }
        }
    }
    flush(start, token.len());
}

pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}
