//! The language model that chooses among completions of damaged characters:
//! a built-in character prior, statistics learned from the corpus's clean
//! text, and a word lattice over jieba's dictionary decoded jointly
//! (Viterbi for the choice, forward-backward for confidences).

use super::dict::{bigram_key, Dict, FastMap, ROOT};
use super::eojeol;
use super::variant::Tilt;
pub(crate) use crate::spans::is_han;

/// Characters the word lattice knows words of: Han, kana (with the
/// prolonged-sound mark), Hangul syllables and the jamo Korean chat writes
/// alone (ㅋㅋ, ㅠㅠ). Words of every CJK language share one dictionary; the
/// script of the candidates decides which match.
#[inline]
pub(crate) fn is_lexical(c: char) -> bool {
    is_han(c) || matches!(c as u32, 0x3041..=0x30FF) || eojeol::is_hangul(c)
}

/// Statistics from the corpus's own undamaged text.
#[derive(Default, Clone, Debug)]
pub struct CorpusStats {
    chars: FastMap<u32, u32>,
    pairs: FastMap<u64, u32>,
    total_chars: u64,
    total_pairs: u64,
    /// Changes with every change of the counts (0: none yet), so results
    /// computed from them can be cached under it.
    version: u64,
    /// One bit per hashed pair of `pairs`, built at the first lookup after a change: the lattice
    /// asks for every pair of two damaged slots' candidates, nearly all never seen, and each
    /// miss in the map cost a cache miss (~4 % of a damaged corpus's ingest samples).
    pair_bits: std::sync::OnceLock<Vec<u64>>,
}

impl CorpusStats {
    pub fn new() -> Self {
        Self::default()
    }

    /// Characters counted so far.
    pub fn total_chars(&self) -> u64 {
        self.total_chars
    }

    /// The same counts, whatever order they were learned in.
    #[cfg(test)]
    pub(crate) fn same_counts(&self, other: &CorpusStats) -> bool {
        self.chars == other.chars
            && self.pairs == other.pairs
            && self.total_chars == other.total_chars
            && self.total_pairs == other.total_pairs
    }

    pub(crate) fn version(&self) -> u64 {
        self.version
    }

    fn bump(&mut self) {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        self.version = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.pair_bits = std::sync::OnceLock::new();
    }

    /// [`CorpusStats::observe`] text that cannot hold mojibake; skip the rest.
    pub fn observe_if_clean(&mut self, text: &str) {
        if !super::detect::looks_damaged(text) {
            self.observe(text);
        }
    }

    /// Count non-ASCII characters and adjacent pairs involving one.
    pub fn observe(&mut self, text: &str) {
        self.bump();
        let mut prev: Option<char> = None;
        for c in text.chars() {
            let u = c as u32;
            if u >= 0x80 && u != 0xFFFD && !(0x80..0xA0).contains(&u) {
                *self.chars.entry(u).or_insert(0) += 1;
                self.total_chars += 1;
                if let Some(p) = prev {
                    *self.pairs.entry(bigram_key(p, c)).or_insert(0) += 1;
                    self.total_pairs += 1;
                }
                prev = Some(c);
            } else {
                prev = None;
            }
        }
    }

    pub fn merge(&mut self, other: &CorpusStats) {
        self.bump();
        for (k, v) in &other.chars {
            *self.chars.entry(*k).or_insert(0) += v;
        }
        for (k, v) in &other.pairs {
            *self.pairs.entry(*k).or_insert(0) += v;
        }
        self.total_chars += other.total_chars;
        self.total_pairs += other.total_pairs;
    }

    pub fn is_empty(&self) -> bool {
        self.total_chars == 0
    }

    fn char_logp(&self, c: char) -> Option<f32> {
        if self.total_chars == 0 {
            return None;
        }
        let n = *self.chars.get(&(c as u32))?;
        Some(((f64::from(n)) / (self.total_chars as f64 + 1.0)).ln() as f32)
    }

    fn pair_logp(&self, a: char, b: char) -> Option<f32> {
        if self.total_pairs == 0 {
            return None;
        }
        let key = bigram_key(a, b);
        let bits = self.pair_bits.get_or_init(|| pair_filter(&self.pairs));
        let h = filter_slot(key, bits.len());
        if bits.get(h >> 6).is_some_and(|w| w & (1 << (h & 63)) == 0) {
            return None;
        }
        let n = *self.pairs.get(&key)?;
        Some(((f64::from(n)) / (self.total_pairs as f64 + 1.0)).ln() as f32)
    }
}

/// The bits of [`CorpusStats::pair_bits`]: eight per pair (about one lookup in nine of an
/// absent pair passes to the map).
fn pair_filter(pairs: &FastMap<u64, u32>) -> Vec<u64> {
    let words = (pairs.len() * 8 / 64).next_power_of_two();
    let mut bits = vec![0u64; words];
    for &key in pairs.keys() {
        let h = filter_slot(key, words);
        if let Some(w) = bits.get_mut(h >> 6) {
            *w |= 1 << (h & 63);
        }
    }
    bits
}

/// The bit of `key` in a filter of `words` (a power of two) 64-bit words.
fn filter_slot(key: u64, words: usize) -> usize {
    let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20;
    (h as usize) & (words * 64 - 1)
}

fn emoji_base(c: char) -> bool {
    matches!(c as u32,
        0x2190..=0x21FF | 0x2300..=0x23FF | 0x2460..=0x24FF | 0x25A0..=0x27BF | 0x2900..=0x297F
        | 0x2B00..=0x2BFF | 0x1F000..=0x1FAFF | 0xA9 | 0xAE | 0x203C | 0x2049 | 0x2122
        | 0x2139 | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

/// Emoji that take a skin-tone modifier (people and hands).
fn modifier_base(c: char) -> bool {
    matches!(c as u32,
        0x261D | 0x26F9 | 0x270A..=0x270D | 0x1F385 | 0x1F3C2..=0x1F3CC | 0x1F442..=0x1F443
        | 0x1F446..=0x1F450 | 0x1F466..=0x1F478 | 0x1F47C | 0x1F481..=0x1F487 | 0x1F4AA
        | 0x1F574..=0x1F575 | 0x1F57A | 0x1F590 | 0x1F595..=0x1F596 | 0x1F645..=0x1F647
        | 0x1F64B..=0x1F64F | 0x1F6A3 | 0x1F6B4..=0x1F6B6 | 0x1F6C0 | 0x1F6CC | 0x1F90C
        | 0x1F90F | 0x1F918..=0x1F91F | 0x1F926 | 0x1F930..=0x1F939 | 0x1F93C..=0x1F93E
        | 0x1F977 | 0x1F9B5..=0x1F9B6 | 0x1F9B8..=0x1F9B9 | 0x1F9BB | 0x1F9CD..=0x1F9CF
        | 0x1F9D1..=0x1F9DD | 0x1FAC3..=0x1FAC5 | 0x1FAF0..=0x1FAF8)
}

/// Sentence-final particles, simplified and traditional (and the
/// Cantonese ones Hong Kong chat writes): overwhelmingly followed by
/// sentence punctuation, which a word unigram cannot see.
pub(crate) fn final_particle(c: char) -> bool {
    matches!(
        c,
        '吗' | '呢'
            | '吧'
            | '啊'
            | '呀'
            | '嘛'
            | '啦'
            | '哦'
            | '哈'
            | '呗'
            | '么'
            | '嘞'
            | '噢'
            | '嗎'
            | '麼'
            | '唄'
            | '囉'
            | '喔'
            | '耶'
            | '欸'
            | '嘅'
            | '咩'
            | '喎'
            | '囖'
            | '㗎'
    )
}

fn sentence_punct(c: char) -> bool {
    matches!(
        c,
        '？' | '！'
            | '。'
            | '，'
            | '～'
            | '~'
            | '?'
            | '!'
            | '.'
            | ','
            | '…'
            | '\''
            | '"'
            | ' '
            | '\n'
    )
}

/// Characters people actually type in chat, with rough log-probabilities
/// per character of running text. Used when the corpus has not taught us
/// better.
fn common_symbol(c: char) -> Option<f32> {
    Some(match c {
        '，' | '。' => -4.0,
        '！' | '？' | '、' | '“' | '”' => -5.0,
        '：' | '；' | '（' | '）' | '…' | '—' | '‘' | '’' | '～' | '–' => -6.0,
        '《' | '》' | '「' | '」' | '·' | '•' | '【' | '】' | '『' | '』' => -8.0,
        // Emoji: rough popularity in chat, with the faces that dialogue
        // writing leans on (smirk, sunglasses) ahead of their byte-level
        // neighbours.
        '😏' => -7.3,
        '❤' | '😂' | '😎' => -7.5,
        '😊' | '🤔' | '👍' | '🙏' | '😅' | '🎉' | '✨' | '🔥' | '😍' | '🤣' | '😉' | '🍿'
        | '🤝' | '💪' | '👀' | '🙌' | '👏' | '😄' | '🚀' | '💡' | '🎬' => -8.5,
        '😭' | '🥰' | '😁' | '🌟' | '⭐' | '☕' | '🎵' | '🎶' | '📸' | '🎨' | '🤷' | '🙄'
        | '😬' | '😆' | '🥺' | '😢' | '😳' | '💕' | '💖' | '🌸' | '🤯' | '🎥' | '🎧' | '😌'
        | '🤩' | '😜' | '😋' | '🥲' | '😀' | '😃' | '🙂' | '👌' | '✌' | '✅' | '❌' | '⚡'
        | '☀' | '☺' | '♥' | '💔' | '🎤' | '📚' | '💻' | '📱' | '🎮' | '🌈' | '🍵' | '🍜' | '🤗'
        | '😤' | '😱' | '🙈' | '💬' | '🧐' | '🤓' | '😴' | '🥳' | '💯' | '👋' | '🥂' | '🤞'
        | '😇' | '😒' | '😔' | '💥' | '🎯' | '📝' | '🤫' | '🫡' | '🙃' | '😮' => {
            -9.0
        }
        '©' | '®' | '™' | '°' | '±' | '×' | '÷' | '€' | '£' | '¥' | '→' | '←' | '√' | '∞' | '≈'
        | '≠' | '≤' | '≥' | '‰' | '§' | '¶' | '†' | '½' | '¼' | '¾' => -10.0,
        _ => return None,
    })
}

/// Built-in prior for a character, given the character before it (for
/// variation selectors and joiners, which only follow emoji).
pub(crate) fn builtin_logp(c: char, prev: Option<char>) -> f32 {
    if let Some(p) = common_symbol(c) {
        return p;
    }
    let u = c as u32;
    let after_emoji = prev.is_some_and(|p| emoji_base(p) || p == '\u{FE0F}');
    match u {
        0xFE0F => {
            if after_emoji || prev.is_some_and(|p| p.is_ascii_digit() || p == '#' || p == '*') {
                -1.5
            } else {
                -18.0
            }
        }
        0x200D => {
            if after_emoji {
                -5.0
            } else {
                -18.0
            }
        }
        0xFE00..=0xFE0E => -17.0,
        0x20E3 => {
            if prev == Some('\u{FE0F}') {
                -2.0
            } else {
                -16.0
            }
        }
        0x1F3FB..=0x1F3FF => {
            if prev.is_some_and(modifier_base) {
                -4.0
            } else {
                -16.0
            }
        }
        0x80..=0x9F => -26.0,
        0xA0..=0xFF => -11.0,
        0x100..=0x17F => -12.0,
        0x180..=0x24F | 0x370..=0x3FF | 0x400..=0x4FF => -13.0,
        0x5D0..=0x5EA | 0x620..=0x64A => -14.0,
        0x2000..=0x200F | 0x2028..=0x202F | 0x205F..=0x206F => -16.0,
        0x2010..=0x205E => -12.0,
        0x3000..=0x303F | 0xFF01..=0xFF5E => -11.0,
        0x3040..=0x30FF => -11.0,
        0xAC00..=0xD7A3 => -12.0,
        // Jamo standing alone are chat: laughter (ㅋㅋ, ㅎㅎ), tears (ㅠㅠ,
        // ㅜㅜ), yes (ㅇㅇ); the word lists, which drop them, give none.
        0x314B | 0x314E | 0x3160 | 0x315C | 0x3147 => -9.0,
        0x3131..=0x318E => -13.0,
        0x4E00..=0x9FFF => -18.5,
        0x3400..=0x4DBF | 0x20000..=0x3134F | 0xF900..=0xFAFF => -20.0,
        0x1F300..=0x1FAFF => -12.5,
        0x2190..=0x2BFF => -13.5,
        0xE000..=0xF8FF | 0xF0000..=0x10FFFF => -26.0,
        0xFFF0..=0xFFFF => -26.0,
        _ => -17.0,
    }
}

/// Whether a decoded character is a credible intended character at all
/// (used by detection, before the language model runs).
pub(crate) fn credible(c: char) -> bool {
    let u = c as u32;
    // Spacing modifiers that code pages carry (ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝) surface
    // as intermediates of double encoding.
    if matches!(u, 0x02C6 | 0x02C7 | 0x02D8..=0x02DD) {
        return true;
    }
    // IPA letters (ə ɛ ɔ), modifiers (ʼ) and combining marks are writing
    // in Azerbaijani, West African languages and Navajo; the plausibility
    // checks keep them where a script has them.
    !matches!(u,
        0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F..=0x9F
        | 0x05EB..=0x05EE | 0x05F5..=0x05FF
        | 0x0700..=0x07FF | 0xD800..=0xDFFF | 0xE000..=0xF8FF | 0xFDD0..=0xFDEF
        | 0xFFF0..=0xFFFF | 0xF0000..=0x10FFFF)
        && (u & 0xFFFE) != 0xFFFE
        && assigned(c)
}

/// Unassigned code points are never what anyone wrote. The blocks mojibake
/// restores most (Latin, CJK ideographs, hangul syllables) are assigned
/// throughout and skip the table lookup: completions are checked by the
/// thousand.
fn assigned(c: char) -> bool {
    matches!(c as u32, 0x20..=0x036F | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3)
        || super::plausible::unicode_script(c) != unicode_script::Script::Unknown
}

/// One position of the lattice: the fixed character, or the completions of
/// a damaged character.
#[derive(Clone, Copy)]
pub(crate) struct Slot<'a> {
    pub cands: &'a [char],
}

#[derive(Clone, Copy)]
struct Edge {
    start: u32,
    end: u32,
    logp: f32,
    /// Offset into the choice pool: candidate index per covered slot.
    choices: u32,
    /// The edge's word in the word-pair tables (for a word of several characters only if it
    /// goes through a damaged slot), or [`NO_WORD`]: two edges with words in a row, one of them
    /// through damage, get the pair's evidence from each other.
    word: u32,
    /// Whether the edge goes through a damaged slot: a link needs one such edge, since two
    /// undamaged ones are alike for every choice.
    damaged: bool,
}

const MAX_WORD: usize = 6;

/// Weight of the word-sequence evidence (libime's word model) against the
/// word and character scores. Chosen on the dev texts (dev_dialogue_1/2,
/// dev_zh_hant): 0.5, 0.75 and 1.0 about equal, 1.5 and 2.0 worse.
const WORD_PAIR_WEIGHT: f32 = 1.0;

/// Weight of the word-sequence evidence between two edges in a row (`pair_link`).
/// Chosen on the dev texts and seed 000's hand-checked spots: errors on dev_zh_hant /
/// dev_dialogue_1 / dev_dialogue_2 and spots right at 0 (no link), 0.25, 0.5, 0.75, 1.0: 23/4/26
/// 48, 23/4/27 48, 22/4/25 48, 21/4/26 46, 21/4/26 46. At full weight a pair the model knows
/// outbids a word it knows whole (`仍不` over `从不`: libime sees `从 不` rarely because `从不` is
/// one of its words). Links from a guess to an undamaged single character beside it, at the
/// same weight: 22/4/25 → 22/3/20, spots 48.
const LINK_WEIGHT: f32 = 0.5;

/// Weight of a syllable's cost of standing alone as an eojeol (`eojeol::alone_cost`): chosen on
/// dev_ko.txt, where 0.5 to 3 restore the same characters (31 wrong; 38 without it).
const ALONE_WEIGHT: f32 = 1.0;

/// Longest undamaged context word looked for beside an edge, in chars.
const CONTEXT_WORD: usize = 4;

/// No context word at a position.
const NO_WORD: u32 = u32::MAX;

/// Buffers reused across lattice decodes, and the result of the last one:
/// per slot the index of the chosen candidate and, for slots with more
/// than one candidate, the posterior of every candidate
/// (`post[post_off[k]..post_off[k + 1]]`).
#[derive(Default)]
pub(crate) struct DecodeScratch {
    edges: Vec<Edge>,
    pool: Vec<u8>,
    single: Vec<f32>,
    single_off: Vec<u32>,
    /// Per candidate (laid out as `single`): bigram evidence from the fixed
    /// character on its left and on its right.
    ctx_l: Vec<f32>,
    ctx_r: Vec<f32>,
    /// Per candidate (laid out as `single`): the tilt of its kind.
    tilts: Vec<f32>,
    /// Per slot: its likeliest character by single score.
    likeliest: Vec<char>,
    /// Per position 0..=m: the undamaged word ending just before it as the
    /// word-sequence evidence knows it, or [`NO_WORD`].
    lword: Vec<u32>,
    /// Per position 0..=m: the undamaged word of two or more characters starting there, or
    /// [`NO_WORD`].
    rword: Vec<u32>,
    path: Vec<u8>,
    /// Trie children matched at each depth of the walk: (candidate, node).
    matches: Vec<(u8, u32, bool)>,
    alpha: Vec<f32>,
    best: Vec<f32>,
    back: Vec<usize>,
    beta: Vec<f32>,
    /// Per edge: forward sum and best score up to and including it, the edge before it on its
    /// best path, and the backward sum after it.
    alpha_e: Vec<f32>,
    best_e: Vec<f32>,
    back_e: Vec<usize>,
    beta_e: Vec<f32>,
    /// Per position: the edges with a word ending there.
    by_end: Vec<Vec<u32>>,
    /// The links the forward sweep found, in order of the later edge: (earlier edge, later
    /// edge, ln(e^evidence - 1)), which the backward sweep reads again instead of looking the
    /// pairs up twice.
    links: Vec<(u32, u32, f32)>,
    pub chosen: Vec<u32>,
    pub post_off: Vec<u32>,
    pub post: Vec<f32>,
}

impl DecodeScratch {
    /// Forward (sum) and Viterbi (max) in one sweep over the edges. They
    /// were generated in order of their start, which is all the sweep
    /// needs: every edge into a node starts earlier.
    fn sweep(&mut self, m: usize, dict: &Dict) {
        let lut = softplus_table();
        let DecodeScratch {
            edges,
            alpha,
            best,
            back,
            alpha_e,
            best_e,
            back_e,
            by_end,
            links,
            ..
        } = self;
        alpha.clear();
        alpha.resize(m + 1, f32::NEG_INFINITY);
        best.clear();
        best.resize(m + 1, f32::NEG_INFINITY);
        back.clear();
        back.resize(m + 1, usize::MAX);
        alpha_e.clear();
        best_e.clear();
        back_e.clear();
        by_end.iter_mut().for_each(Vec::clear);
        by_end.resize_with(m + 1, Vec::new);
        links.clear();
        alpha[0] = 0.0;
        best[0] = 0.0;
        for (ei, e) in edges.iter().enumerate() {
            let (s, t) = (e.start as usize, e.end as usize);
            let (mut a_in, mut b_in, mut b_from) = (alpha[s], best[s], back[s]);
            if e.word != NO_WORD {
                for &pj in &by_end[s] {
                    let pj = pj as usize;
                    let b = edges.get(pj).map_or(0.0, |p| pair_link(dict, p, e));
                    if b > 0.0 {
                        // The sum over paths gains e^b - 1 times this predecessor's weight.
                        let lw = b.exp_m1().ln();
                        a_in = log_add(a_in, alpha_e[pj] + lw);
                        links.push((pj as u32, ei as u32, lw));
                        if best_e[pj] + b > b_in {
                            b_in = best_e[pj] + b;
                            b_from = pj;
                        }
                    }
                }
            }
            let (ae, be) = (a_in + e.logp, b_in + e.logp);
            alpha_e.push(ae);
            best_e.push(be);
            back_e.push(b_from);
            alpha[t] = log_add_fast(lut, alpha[t], ae);
            if be > best[t] {
                best[t] = be;
                back[t] = ei;
            }
            if e.word != NO_WORD {
                by_end[t].push(ei as u32);
            }
        }
    }

    /// The backward sweep, then every candidate's posterior: the summed
    /// weight of the paths through it.
    fn posteriors(&mut self, slots: &[Slot]) {
        let m = slots.len();
        let lut = softplus_table();
        let DecodeScratch {
            edges,
            pool,
            alpha,
            beta,
            alpha_e,
            beta_e,
            links,
            post_off,
            post,
            ..
        } = self;
        beta.clear();
        beta.resize(m + 1, f32::NEG_INFINITY);
        beta[m] = 0.0;
        // Per edge: what its links to later edges add after it (summed before `beta_e`).
        beta_e.clear();
        beta_e.resize(edges.len(), f32::NEG_INFINITY);
        let mut pending = links.len();
        for (ei, e) in edges.iter().enumerate().rev() {
            let (s, t) = (e.start as usize, e.end as usize);
            let out = log_add(beta[t], beta_e[ei]);
            beta_e[ei] = out;
            beta[s] = log_add_fast(lut, beta[s], out + e.logp);
            // This edge's links to the edges before it, which come later in this sweep.
            while let Some(&(pj, nj, lw)) = pending.checked_sub(1).and_then(|k| links.get(k)) {
                if nj as usize != ei {
                    break;
                }
                pending -= 1;
                if let Some(x) = beta_e.get_mut(pj as usize) {
                    *x = log_add(*x, e.logp + out + lw);
                }
            }
        }
        let z = alpha[m];
        post_off.clear();
        post.clear();
        for s in slots {
            post_off.push(post.len() as u32);
            if s.cands.len() > 1 {
                post.resize(post.len() + s.cands.len(), 0.0);
            }
        }
        post_off.push(post.len() as u32);
        if !z.is_finite() {
            return;
        }
        for (ei, e) in edges.iter().enumerate() {
            let (s, t) = (e.start as usize, e.end as usize);
            // Below 1e-9 an edge cannot move a posterior; skip the exp.
            let x = alpha_e[ei] + beta_e[ei] - z;
            if x.is_nan() || x < MIN_LOG_WEIGHT {
                continue;
            }
            let w = x.exp();
            for (k, slot) in (s..t).enumerate() {
                let lo = post_off[slot] as usize;
                let hi = post_off[slot + 1] as usize;
                if hi > lo {
                    let ci = pool.get(e.choices as usize + k).copied().unwrap_or(0) as usize;
                    if let Some(p) = post[lo..hi].get_mut(ci) {
                        *p += w;
                    }
                }
            }
        }
    }

    /// The Viterbi path's candidate per slot, into `chosen`.
    fn back_trace(&mut self, m: usize) {
        let DecodeScratch {
            edges,
            pool,
            back,
            back_e,
            chosen,
            ..
        } = self;
        chosen.clear();
        chosen.resize(m, 0);
        let mut ei = back.get(m).copied().unwrap_or(usize::MAX);
        while let Some(e) = edges.get(ei) {
            let (s, t) = (e.start as usize, e.end as usize);
            for (k, slot) in (s..t).enumerate() {
                chosen[slot] = u32::from(pool.get(e.choices as usize + k).copied().unwrap_or(0));
            }
            ei = back_e.get(ei).copied().unwrap_or(usize::MAX);
        }
    }
}

pub(crate) struct Scorer<'a> {
    pub dict: &'a Dict,
    pub corpus: &'a CorpusStats,
    /// Which writing the undamaged text around is in (Hangul or kana,
    /// simplified or traditional): candidates of the other kind pay.
    pub tilt: Tilt,
}

impl Scorer<'_> {
    #[inline]
    fn single_logp(&self, c: char, prev: Option<char>) -> f32 {
        // Han characters of the main block: dictionary or built-in prior,
        // precomputed (neither depends on the previous character).
        let base = match self.dict.han_single(c) {
            Some(lp) => lp,
            None if is_lexical(c) => self
                .dict
                .char_logp(c)
                .unwrap_or_else(|| builtin_logp(c, prev)),
            None => builtin_logp(c, prev),
        };
        match self.corpus.char_logp(c) {
            Some(lp) => log_add(base, lp - 1.0),
            None => base,
        }
    }

    /// Keep the candidates worth a place in the lattice: within `BEAM` nats
    /// of the best by context-free prior, at most `MAX_KEEP`, best first.
    /// Joiners and selectors are judged as if an emoji preceded them.
    /// Returns how many of `cands` (rewritten in place) are kept.
    pub fn prune(&self, cands: &mut [char]) -> usize {
        const BEAM: f32 = 9.0;
        // Context-free ranking cannot tell which candidate completes a word
        // with its neighbours (坞 of 好莱坞 ranks 18th of the 64 ways
        // to fill two lost bytes), so keep a generous list.
        const MAX_KEEP: usize = 24;
        if cands.len() <= 2 {
            return cands.len();
        }
        let mut scored: Vec<(f32, char)> = cands
            .iter()
            .map(|&c| (self.single_logp(c, Some('\u{1F600}')), c))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let best = scored.first().map_or(0.0, |x| x.0);
        let mut kept = 0;
        for (slot, x) in cands
            .iter_mut()
            .zip(scored.iter().take(MAX_KEEP).filter(|x| x.0 >= best - BEAM))
        {
            *slot = x.1;
            kept += 1;
        }
        kept
    }

    /// Decode one stretch of slots jointly. Slots with one candidate are
    /// context; the rest get a choice and posteriors (left in `sc`).
    pub fn decode(
        &self,
        slots: &[Slot],
        left: Option<char>,
        right: Option<char>,
        sc: &mut DecodeScratch,
    ) {
        self.score_singles(slots, left, right, sc);
        self.score_context(slots, left, right, sc);
        self.context_words(slots, left, right, sc);
        self.build_edges(slots, sc);
        sc.sweep(slots.len(), self.dict);
        sc.posteriors(slots);
        sc.back_trace(slots.len());
    }

    /// Single-character scores, with the previous position's likeliest
    /// character as context for variation selectors and modifiers.
    fn score_singles(
        &self,
        slots: &[Slot],
        left: Option<char>,
        right: Option<char>,
        sc: &mut DecodeScratch,
    ) {
        let DecodeScratch {
            single,
            single_off,
            tilts,
            likeliest,
            ..
        } = sc;
        single.clear();
        single_off.clear();
        tilts.clear();
        likeliest.clear();
        let mut prev = left;
        for (a, s) in slots.iter().enumerate() {
            let next = match slots.get(a + 1) {
                Some(n) if n.cands.len() == 1 => n.cands.first().copied(),
                Some(_) => None,
                None => right,
            };
            single_off.push(single.len() as u32);
            let multi = s.cands.len() > 1;
            // A syllable after a space (or nothing) and before a non-Hangul character is a whole
            // eojeol. Particles follow whatever they attach to (`API의`, `"단어"의`, `10개의`), so
            // the space is needed; a damaged neighbour after it that may be Hangul, or a `?` or
            // U+FFFD that may stand for its lost bytes, may make it part of a longer word.
            // Checked only for a damaged slot: this loop runs for every slot of every run.
            let joins = |c: char| eojeol::is_hangul(c) || matches!(c, '?' | '\u{FFFD}');
            let space_before = || match a.checked_sub(1).map(|k| slots.get(k)) {
                Some(Some(n)) => n.cands.iter().all(|c| c.is_whitespace()),
                _ => left.is_none_or(char::is_whitespace),
            };
            let joined_after = || match slots.get(a + 1) {
                Some(n) => n.cands.iter().any(|&c| joins(c)),
                None => right.is_some_and(joins),
            };
            let alone = multi && space_before() && !joined_after();
            let mut best_k = None;
            let mut best_v = f32::NEG_INFINITY;
            for (k, &c) in s.cands.iter().enumerate() {
                let tilt = self.tilt.of(c);
                tilts.push(tilt);
                let mut lp = self.single_logp(c, prev) + tilt;
                if final_particle(c) && next.is_some_and(sentence_punct) {
                    lp += 4.0;
                }
                if alone {
                    lp -= ALONE_WEIGHT * eojeol::alone_cost(c);
                }
                if multi {
                    // Words spanning this slot carry the real evidence;
                    // a lone character beats them only when much likelier.
                    lp -= 1.0;
                }
                // Last maximum wins, as `Iterator::max_by` does.
                if best_k.is_none() || lp >= best_v {
                    best_k = Some(k);
                    best_v = lp;
                }
                single.push(lp);
            }
            prev = best_k.and_then(|k| s.cands.get(k).copied());
            likeliest.push(prev.unwrap_or(' '));
        }
        single_off.push(single.len() as u32);
    }

    /// Bigram evidence across word and punctuation boundaries: the word
    /// list knows 就 and 像 but not that 像 follows 就 far more often than
    /// 吃 does, nor what stands between ” and “. Each damaged candidate is
    /// scored against the fixed characters beside it; a word gets the
    /// evidence of its outer edges only (its inside is the word's own
    /// probability).
    fn score_context(
        &self,
        slots: &[Slot],
        left: Option<char>,
        right: Option<char>,
        sc: &mut DecodeScratch,
    ) {
        let m = slots.len();
        let DecodeScratch {
            single,
            single_off,
            ctx_l,
            ctx_r,
            likeliest,
            ..
        } = sc;
        ctx_l.clear();
        ctx_l.resize(single.len(), 0.0);
        ctx_r.clear();
        ctx_r.resize(single.len(), 0.0);
        for (a, s) in slots.iter().enumerate() {
            if s.cands.len() <= 1 {
                continue;
            }
            // A damaged neighbour stands in by its likeliest character
            // (a lost byte of ” next to a lost byte of 与).
            let fixed = |k: Option<usize>, edge: Option<char>| match k {
                Some(k) => likeliest.get(k).copied(),
                None => edge,
            };
            let l = fixed(a.checked_sub(1), left);
            let r = fixed((a + 1 < m).then_some(a + 1), right);
            let lo = single_off[a] as usize;
            for (k, &c) in s.cands.iter().enumerate() {
                if let (Some(l), Some(x)) = (l, ctx_l.get_mut(lo + k)) {
                    *x = self.dict.ctx(l, c);
                }
                if let (Some(r), Some(x)) = (r, ctx_r.get_mut(lo + k)) {
                    *x = self.dict.ctx(c, r);
                }
            }
        }
    }

    /// The undamaged words beside every position, which the word-sequence
    /// evidence scores each edge starting or ending there against: the longest
    /// dictionary word of fixed characters (at most [`CONTEXT_WORD`]) ending
    /// just before it, and the one starting at it.
    fn context_words(
        &self,
        slots: &[Slot],
        left: Option<char>,
        right: Option<char>,
        sc: &mut DecodeScratch,
    ) {
        let m = slots.len();
        // Position p of the stretch is fixed[p + 1]; `left` stands at -1, `right` at m.
        let fixed = |p: usize| -> Option<char> {
            match p.checked_sub(1) {
                None => left,
                Some(q) if q == m => right,
                Some(q) => slots
                    .get(q)
                    .and_then(|s| (s.cands.len() == 1).then(|| s.cands.first().copied())?),
            }
        };
        // The word of fixed chars from..to, as the pair tables know it.
        let word = |from: usize, to: usize| -> Option<u32> {
            let mut node = ROOT;
            for p in from..to {
                node = self.dict.child(node, fixed(p)?)?;
            }
            self.dict.word_logp(node).is_finite().then_some(node)?;
            self.dict.pair_word(node)
        };
        let damaged = |k: usize| slots.get(k).is_some_and(|s| s.cands.len() > 1);
        let lword = &mut sc.lword;
        lword.clear();
        for a in 0..=m {
            // Only where an edge through a damaged slot can start.
            let l = (a..(a + MAX_WORD).min(m)).any(damaged).then(|| {
                // In `fixed` coordinates position a starts at a + 1.
                let end = a + 1;
                (1..=CONTEXT_WORD.min(end))
                    .rev()
                    .find_map(|len| word(end - len, end))
            });
            lword.push(l.flatten().unwrap_or(NO_WORD));
        }
        // The same after each position: the word starting at stretch position e is
        // fixed[e + 1..]. Words of two characters or more only: a one-character word is as often
        // the first character of a word the dictionary lacks, and its pairs misled (`像黑泽明` read
        // `吃黑`, seed 000); with them the dev texts lost 3 characters fewer, and seed 000 lost 5
        // it had.
        let rword = &mut sc.rword;
        rword.clear();
        for e in 0..=m {
            // Only where an edge through a damaged slot can end.
            let r = (e.saturating_sub(MAX_WORD)..e).any(damaged).then(|| {
                let start = e + 1;
                (2..=CONTEXT_WORD)
                    .rev()
                    .find_map(|len| word(start, start + len))
            });
            rword.push(r.flatten().unwrap_or(NO_WORD));
        }
    }

    /// The lattice's edges, in order of their start: one per candidate,
    /// one per dictionary word through the candidates, one per pair the
    /// corpus's own clean text showed.
    fn build_edges(&self, slots: &[Slot], sc: &mut DecodeScratch) {
        let m = slots.len();
        let DecodeScratch {
            edges,
            pool,
            single,
            single_off,
            ctx_l,
            ctx_r,
            tilts,
            path,
            matches,
            lword,
            rword,
            ..
        } = sc;
        edges.clear();
        pool.clear();
        for a in 0..m {
            let lo = single_off[a] as usize;
            let hi = single_off[a + 1] as usize;
            for (ci, &lp) in single[lo..hi].iter().enumerate() {
                let ctx = ctx_l.get(lo + ci).copied().unwrap_or(0.0)
                    + ctx_r.get(lo + ci).copied().unwrap_or(0.0);
                // An undamaged character's word too: a guess beside it links to it in the
                // paths that read it as a word of its own (`喝` before `点`), which the
                // undamaged words of `lword`/`rword` (two characters or more after a guess)
                // leave out.
                let dmg = slots[a].cands.len() > 1;
                let word = slots[a]
                    .cands
                    .get(ci)
                    .and_then(|&c| self.dict.child(ROOT, c))
                    .filter(|&n| self.dict.word_logp(n).is_finite())
                    .and_then(|n| self.dict.pair_word(n));
                let seq = word.filter(|_| dmg).map_or(0.0, |w| {
                    pair_bonus(self.dict, lword, a, w)
                        + pair_bonus_after(self.dict, rword, a + 1, w)
                });
                edges.push(Edge {
                    start: a as u32,
                    end: a as u32 + 1,
                    logp: lp + ctx + seq,
                    choices: pool.len() as u32,
                    word: word.unwrap_or(NO_WORD),
                    damaged: dmg,
                });
                pool.push(ci as u8);
            }
            if !slots[a].cands.iter().any(|&c| is_lexical(c)) {
                continue;
            }
            // Depth-first over dictionary words starting at `a`, branching
            // over candidates; the trie prunes almost every branch.
            path.clear();
            matches.clear();
            let walk = Walk {
                dict: self.dict,
                slots,
                single_off,
                ctx_l,
                ctx_r,
                tilts,
                lword,
                rword,
                a,
                lo,
            };
            walk.dfs(a, ROOT, path, matches, edges, pool);
            if a + 1 < m {
                self.corpus_pair_edges(slots, a, edges, pool);
            }
        }
    }

    /// Pairs seen in the corpus's clean text that the dictionary lacks
    /// (names, slang), starting at slot `a`.
    fn corpus_pair_edges(
        &self,
        slots: &[Slot],
        a: usize,
        edges: &mut Vec<Edge>,
        pool: &mut Vec<u8>,
    ) {
        if self.corpus.is_empty() {
            return;
        }
        let (Some(here), Some(next)) = (slots.get(a), slots.get(a + 1)) else {
            return;
        };
        for (ci, &c) in here.cands.iter().enumerate() {
            for (cj, &d) in next.cands.iter().enumerate() {
                if let Some(lp) = self.corpus.pair_logp(c, d) {
                    edges.push(Edge {
                        start: a as u32,
                        end: a as u32 + 2,
                        logp: lp - 2.0,
                        choices: pool.len() as u32,
                        word: NO_WORD,
                        damaged: true,
                    });
                    pool.push(ci as u8);
                    pool.push(cj as u8);
                }
            }
        }
    }
}

/// The word walk of one lattice position: everything `dfs` reads.
struct Walk<'w, 's> {
    dict: &'w Dict,
    slots: &'w [Slot<'s>],
    single_off: &'w [u32],
    ctx_l: &'w [f32],
    ctx_r: &'w [f32],
    tilts: &'w [f32],
    lword: &'w [u32],
    rword: &'w [u32],
    /// First slot of the words, and its offset among the single scores.
    a: usize,
    lo: usize,
}

impl Walk<'_, '_> {
    /// Words through `node` continuing at slot `pos`, in pre-order with
    /// candidates in index order (the order the forward sweep and the
    /// Viterbi tie-break rely on).
    fn dfs(
        &self,
        pos: usize,
        node: u32,
        path: &mut Vec<u8>,
        matches: &mut Vec<(u8, u32, bool)>,
        edges: &mut Vec<Edge>,
        pool: &mut Vec<u8>,
    ) {
        let a = self.a;
        let Some(slot) = self.slots.get(pos) else {
            return;
        };
        if pos - a >= MAX_WORD {
            return;
        }
        let base = matches.len();
        self.match_candidates(pos, node, slot.cands, matches);
        let end = matches.len();
        for i in base..end {
            let Some(&(ci, child, cont)) = matches.get(i) else {
                break;
            };
            path.push(ci);
            let len = pos + 1 - a;
            if len >= 2 {
                if let Some(edge) = self.word_edge(pos, child, path, pool.len()) {
                    edges.push(edge);
                    pool.extend_from_slice(path);
                }
            }
            if cont {
                self.dfs(pos + 1, child, path, matches, edges, pool);
            }
            path.pop();
        }
        matches.truncate(base);
    }

    /// Append to `matches` the candidates of slot `pos` (`cands`) that continue a word at
    /// `node`: (candidate index, child node, whether the word may go on), in candidate order.
    #[inline]
    fn match_candidates(
        &self,
        pos: usize,
        node: u32,
        cands: &[char],
        matches: &mut Vec<(u8, u32, bool)>,
    ) {
        let base = matches.len();
        // A fixed char here was already probed against the edge filter by
        // the caller (the `cont` flag), which is where most branches die.
        let kids = if node == ROOT || cands.len() == 1 {
            None
        } else {
            self.dict.children(node)
        };
        match kids {
            Some((first, kids)) if kids.len() <= cands.len() => {
                // Few children: find each among the candidates, then
                // restore candidate order.
                for (j, &u) in kids.iter().enumerate() {
                    if let Some(ci) = cands.iter().position(|&c| c as u32 == u) {
                        matches.push((ci as u8, first + j as u32, true));
                    }
                }
                if let Some(part) = matches.get_mut(base..) {
                    if part.len() > 1 {
                        part.sort_unstable_by_key(|x| x.0);
                    }
                }
            }
            Some((first, kids)) => {
                for (ci, &c) in cands.iter().enumerate() {
                    if let Ok(k) = kids.binary_search(&(c as u32)) {
                        matches.push((ci as u8, first + k as u32, true));
                    }
                }
            }
            None => {
                for (ci, &c) in cands.iter().enumerate() {
                    if let Some(child) = self.dict.child(node, c) {
                        matches.push((ci as u8, child, true));
                    }
                }
            }
        }
        // A fixed char next: probe the edge filter for every match in one
        // sweep (independent loads overlap) before walking any of them.
        if let Some(next) = self.slots.get(pos + 1) {
            if pos + 1 - self.a < MAX_WORD && next.cands.len() == 1 {
                if let (Some(&f), Some(part)) = (next.cands.first(), matches.get_mut(base..)) {
                    for m in part {
                        m.2 = self.dict.may_have_child(m.1, f as u32);
                    }
                }
            }
        }
    }

    /// The edge of the word ending at `child` (slots `a..=pos`, `path` the candidate per
    /// slot), if the dictionary holds it: its probability, the bigram evidence at
    /// its outer edges, the tilts of its characters and, through damage, the word-sequence
    /// evidence of the undamaged words beside it. `choices` is where its path goes in the pool.
    #[inline]
    fn word_edge(&self, pos: usize, child: u32, path: &[u8], choices: usize) -> Option<Edge> {
        let a = self.a;
        let wl = self.dict.word_logp(child);
        if !wl.is_finite() {
            return None;
        }
        let first = path.first().map_or(0, |&x| usize::from(x));
        let last = path.last().map_or(0, |&x| usize::from(x));
        let el = self.ctx_l.get(self.lo + first).copied().unwrap_or(0.0);
        let er = self
            .single_off
            .get(pos)
            .and_then(|&o| self.ctx_r.get(o as usize + last))
            .copied()
            .unwrap_or(0.0);
        let tilt: f32 = path
            .iter()
            .enumerate()
            .filter_map(|(k, &ci)| {
                let off = *self.single_off.get(a + k)? as usize;
                self.tilts.get(off + usize::from(ci))
            })
            .sum();
        // Edges of undamaged characters only are alike for
        // every choice: no evidence needed.
        let through_damage = self
            .slots
            .get(a..=pos)
            .is_some_and(|s| s.iter().any(|s| s.cands.len() > 1));
        let word = self.dict.pair_word(child).filter(|_| through_damage);
        let seq = word.map_or(0.0, |w| {
            pair_bonus(self.dict, self.lword, a, w)
                + pair_bonus_after(self.dict, self.rword, pos + 1, w)
        });
        Some(Edge {
            start: a as u32,
            end: (pos + 1) as u32,
            logp: wl + el + er + tilt + seq,
            choices: choices as u32,
            word: word.unwrap_or(NO_WORD),
            damaged: through_damage,
        })
    }
}

/// Word-sequence evidence of the word `w` (see `Dict::pair_word`) starting
/// at position `a`, from the undamaged word before it. Like the character
/// bigrams it counts only for a candidate, never against: a pair the model
/// lacks says little about chat, and words it lacks (Japanese forms, rare
/// characters) would otherwise win by having no evidence at all.
#[inline]
fn pair_bonus(dict: &Dict, lword: &[u32], a: usize, w: u32) -> f32 {
    match lword.get(a) {
        Some(&l) if l != NO_WORD => WORD_PAIR_WEIGHT * dict.word_pair(l, w).max(0.0),
        _ => 0.0,
    }
}

/// Word-sequence evidence between two edges in a row with words, at least one of them through
/// damage (`吃` then `東西` with `東`'s bytes lost, `喝` then an undamaged `点`): the lattice's
/// paths carry it where no undamaged word beside a guess does. 0 when there is none.
#[inline]
fn pair_link(dict: &Dict, a: &Edge, b: &Edge) -> f32 {
    if a.word == NO_WORD || b.word == NO_WORD || !(a.damaged || b.damaged) {
        return 0.0;
    }
    LINK_WEIGHT * dict.word_pair(a.word, b.word).max(0.0)
}

/// The same evidence from the undamaged word after `w`, which ends at position `e`: `吃` before
/// `麻辣锅`, where `想像` lists higher alone.
#[inline]
fn pair_bonus_after(dict: &Dict, rword: &[u32], e: usize, w: u32) -> f32 {
    match rword.get(e) {
        Some(&r) if r != NO_WORD => WORD_PAIR_WEIGHT * dict.word_pair(w, r).max(0.0),
        _ => 0.0,
    }
}

/// ln(1e-9): edges whose posterior weight is below this are ignored.
const MIN_LOG_WEIGHT: f32 = -20.723_267;

/// ln(1 + e^d) sampled on [-16, 0] every 1/64 (plus one guard entry), for
/// the lattice sums: linear interpolation keeps the error below 1e-5,
/// far under anything a posterior reports, at a fraction of exp + ln_1p.
const SOFTPLUS_STEPS: f32 = 64.0;
const SOFTPLUS_LEN: usize = 16 * 64 + 2;

fn softplus_table() -> &'static [f32; SOFTPLUS_LEN] {
    static T: std::sync::OnceLock<[f32; SOFTPLUS_LEN]> = std::sync::OnceLock::new();
    T.get_or_init(|| {
        let mut t = [0.0f32; SOFTPLUS_LEN];
        for (i, v) in t.iter_mut().enumerate() {
            let d = (i as f64 / f64::from(SOFTPLUS_STEPS) - 16.0).min(0.0);
            *v = d.exp().ln_1p() as f32;
        }
        t
    })
}

/// `log_add` through the interpolated table.
#[inline]
fn log_add_fast(t: &[f32; SOFTPLUS_LEN], a: f32, b: f32) -> f32 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f32::NEG_INFINITY {
        return hi;
    }
    let d = lo - hi;
    if d.is_nan() || d < -16.0 {
        return hi;
    }
    let x = (d + 16.0) * SOFTPLUS_STEPS;
    let i = (x as usize).min(SOFTPLUS_LEN - 2);
    let f = x - i as f32;
    let (y0, y1) = (t[i], t[i + 1]);
    hi + y0 + (y1 - y0) * f
}

#[inline]
pub(crate) fn log_add(a: f32, b: f32) -> f32 {
    if a == f32::NEG_INFINITY {
        return b;
    }
    if b == f32::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    let d = lo - hi;
    if d < -16.0 {
        return hi;
    }
    hi + d.exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `word` is a word of the lattice's dictionary.
    fn is_word(dict: &Dict, word: &[char]) -> bool {
        let mut node = ROOT;
        for &c in word {
            match dict.child(node, c) {
                Some(n) => node = n,
                None => return false,
            }
        }
        dict.word_logp(node).is_finite()
    }

    /// Every way through `slots` from `a`, two to MAX_WORD slots long, that spells a word.
    fn words_by_brute_force(dict: &Dict, slots: &[Slot], a: usize) -> Vec<(usize, Vec<u8>)> {
        let mut out = Vec::new();
        let mut paths: Vec<Vec<u8>> = vec![Vec::new()];
        for pos in a..slots.len().min(a + MAX_WORD) {
            let cands = slots[pos].cands;
            paths = paths
                .into_iter()
                .flat_map(|p| {
                    (0..cands.len()).map(move |ci| {
                        let mut q = p.clone();
                        q.push(ci as u8);
                        q
                    })
                })
                .collect();
            for p in &paths {
                let word: Vec<char> = p
                    .iter()
                    .enumerate()
                    .map(|(k, &ci)| slots[a + k].cands[usize::from(ci)])
                    .collect();
                if word.len() >= 2 && is_word(dict, &word) {
                    out.push((pos + 1, p.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn the_word_walk_finds_every_dictionary_word_through_the_candidates_and_no_other() {
        // Damaged slots of various widths between fixed characters; the walk's shortcuts (the
        // child filter probed before a fixed character, children matched by search or by scan)
        // must find exactly what trying every path finds.
        let lists: Vec<Vec<char>> = vec![
            vec!['我'],
            vec!['好'],
            vec!['像', '吃', '千', '參', '僞'],
            vec!['东'],
            vec!['西'],
            vec!['的'],
            vec!['时', '候', '侯'],
            vec!['候', '间'],
            vec!['发', '向', '后'],
            vec!['来', '你'],
            vec!['微'],
            vec!['信'],
        ];
        let slots: Vec<Slot> = lists.iter().map(|c| Slot { cands: c }).collect();
        let dict = super::super::dict::dict();
        let corpus = CorpusStats::new();
        let scorer = Scorer {
            dict,
            corpus: &corpus,
            tilt: Tilt::default(),
        };
        let mut sc = DecodeScratch::default();
        scorer.score_singles(&slots, None, None, &mut sc);
        scorer.score_context(&slots, None, None, &mut sc);
        scorer.context_words(&slots, None, None, &mut sc);
        scorer.build_edges(&slots, &mut sc);
        let (mut found, mut through_damage) = (0, 0);
        for a in 0..slots.len() {
            let walked: Vec<(usize, Vec<u8>)> = sc
                .edges
                .iter()
                .filter(|e| e.start as usize == a && e.end as usize - a >= 2)
                .map(|e| {
                    let len = e.end as usize - a;
                    let at = e.choices as usize;
                    (e.end as usize, sc.pool[at..at + len].to_vec())
                })
                .collect();
            let expected = words_by_brute_force(dict, &slots, a);
            let mut sorted_walked = walked.clone();
            sorted_walked.sort();
            let mut sorted_expected = expected.clone();
            sorted_expected.sort();
            assert_eq!(sorted_walked, sorted_expected, "words starting at slot {a}");
            found += walked.len();
            through_damage += walked
                .iter()
                .filter(|(end, _)| (a..*end).any(|k| slots[k].cands.len() > 1))
                .count();
        }
        // The fixture is worth its name: `好像`, `好吃`, `时候`, `时间`, `后来` through damaged
        // slots, `东西`, `微信` through fixed ones.
        assert!(
            found >= 7 && through_damage >= 5,
            "{found} words, {through_damage} through damage"
        );
    }

    /// The map's answer, without the filter.
    fn from_map(stats: &CorpusStats, a: char, b: char) -> Option<f32> {
        let n = *stats.pairs.get(&bigram_key(a, b))?;
        Some(((f64::from(n)) / (stats.total_pairs as f64 + 1.0)).ln() as f32)
    }

    #[test]
    fn the_pair_filter_answers_as_the_map_does_and_follows_new_counts() {
        let mut stats = CorpusStats::new();
        let text: String = (0..3000u32)
            .filter_map(|i| char::from_u32(0x4E00 + (i * 7919) % 1500))
            .collect();
        stats.observe(&text);
        // The text's own characters: some of their pairs were seen, most not.
        let chars: Vec<char> = text.chars().take(200).collect();
        let (mut seen, mut unseen) = (0, 0);
        for &a in &chars {
            for &b in &chars {
                let want = from_map(&stats, a, b);
                assert_eq!(stats.pair_logp(a, b), want, "{a}{b}");
                match want {
                    Some(_) => seen += 1,
                    None => unseen += 1,
                }
            }
        }
        assert!(seen > 0 && unseen > 0, "{seen} {unseen}");
        // A pair learned later is found: the filter is rebuilt after a change.
        assert_eq!(stats.pair_logp('ア', 'イ'), None);
        stats.observe("アイ");
        assert!(stats.pair_logp('ア', 'イ').is_some());
        let mut other = CorpusStats::new();
        other.observe("ウエ");
        stats.merge(&other);
        assert!(stats.pair_logp('ウ', 'エ').is_some());
    }
}
