//! The language model that chooses among completions of damaged characters:
//! a built-in character prior, statistics learned from the corpus's clean
//! text, and a word lattice over jieba's dictionary decoded jointly
//! (Viterbi for the choice, forward-backward for confidences).

use super::dict::{Dict, FastMap, ROOT};

/// Statistics from the corpus's own undamaged text.
#[derive(Default, Clone, Debug)]
pub struct CorpusStats {
    chars: FastMap<u32, u32>,
    pairs: FastMap<u64, u32>,
    total_chars: u64,
    total_pairs: u64,
}

impl CorpusStats {
    pub fn new() -> Self {
        Self::default()
    }

    /// Count non-ASCII characters and adjacent pairs involving one.
    pub fn observe(&mut self, text: &str) {
        let mut prev: Option<char> = None;
        for c in text.chars() {
            let u = c as u32;
            if u >= 0x80 && u != 0xFFFD && !(0x80..0xA0).contains(&u) {
                *self.chars.entry(u).or_insert(0) += 1;
                self.total_chars += 1;
                if let Some(p) = prev {
                    *self.pairs.entry(pair_key(p, c)).or_insert(0) += 1;
                    self.total_pairs += 1;
                }
                prev = Some(c);
            } else {
                prev = None;
            }
        }
    }

    pub fn merge(&mut self, other: &CorpusStats) {
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
        let n = *self.chars.get(&(c as u32))?;
        Some(((f64::from(n)) / (self.total_chars as f64 + 1.0)).ln() as f32)
    }

    fn pair_logp(&self, a: char, b: char) -> Option<f32> {
        let n = *self.pairs.get(&pair_key(a, b))?;
        Some(((f64::from(n)) / (self.total_pairs as f64 + 1.0)).ln() as f32)
    }
}

fn pair_key(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 21) | u64::from(b as u32)
}

pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x3134F | 0xF900..=0xFAFF)
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

/// Sentence-final particles: overwhelmingly followed by sentence
/// punctuation, which a word unigram cannot see.
pub(crate) fn final_particle(c: char) -> bool {
    matches!(
        c,
        '吗' | '呢' | '吧' | '啊' | '呀' | '嘛' | '啦' | '哦' | '哈' | '呗' | '么' | '嘞' | '噢'
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
    !matches!(u,
        0x00..=0x08 | 0x0B | 0x0C | 0x0E..=0x1F | 0x7F..=0x9F
        | 0x0250..=0x036F | 0x0530..=0x058F | 0x05EB..=0x05EE | 0x05F5..=0x05FF
        | 0x0700..=0x07FF | 0xD800..=0xDFFF | 0xE000..=0xF8FF | 0xFDD0..=0xFDEF
        | 0xFFF0..=0xFFFF | 0xF0000..=0x10FFFF)
        && (u & 0xFFFE) != 0xFFFE
}

/// One position of the lattice: the fixed character, or the completions of
/// a damaged character.
pub(crate) struct Slot<'a> {
    pub cands: &'a [char],
}

/// Result for one slot: index of the chosen candidate and the posterior of
/// every candidate.
pub(crate) struct SlotChoice {
    pub chosen: usize,
    pub posterior: Vec<f32>,
}

struct Edge {
    start: u32,
    end: u32,
    logp: f32,
    /// Offset into the choice pool: candidate index per covered slot.
    choices: u32,
}

const MAX_WORD: usize = 6;

pub(crate) struct Scorer<'a> {
    pub dict: &'a Dict,
    pub corpus: &'a CorpusStats,
}

impl Scorer<'_> {
    fn single_logp(&self, c: char, prev: Option<char>) -> f32 {
        let base = if is_han(c) {
            self.dict
                .char_logp(c)
                .unwrap_or_else(|| builtin_logp(c, prev))
        } else {
            builtin_logp(c, prev)
        };
        match self.corpus.char_logp(c) {
            Some(lp) => log_add(base, lp - 1.0),
            None => base,
        }
    }

    /// Keep the candidates worth a place in the lattice: within `BEAM` nats
    /// of the best by context-free prior, at most `MAX_KEEP`. Joiners and
    /// selectors are judged as if an emoji preceded them.
    pub fn prune(&self, cands: &mut Vec<char>) {
        const BEAM: f32 = 9.0;
        const MAX_KEEP: usize = 12;
        if cands.len() <= 2 {
            return;
        }
        let mut scored: Vec<(f32, char)> = cands
            .iter()
            .map(|&c| (self.single_logp(c, Some('\u{1F600}')), c))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        let best = scored.first().map_or(0.0, |x| x.0);
        cands.clear();
        cands.extend(
            scored
                .iter()
                .take(MAX_KEEP)
                .filter(|x| x.0 >= best - BEAM)
                .map(|x| x.1),
        );
    }

    /// Decode one stretch of slots jointly. Slots with one candidate are
    /// context; the rest get a choice and posteriors.
    pub fn decode(
        &self,
        slots: &[Slot],
        left: Option<char>,
        right: Option<char>,
    ) -> Vec<SlotChoice> {
        let m = slots.len();
        let mut edges: Vec<Edge> = Vec::with_capacity(m * 3);
        let mut pool: Vec<u8> = Vec::with_capacity(m * 6);
        // Single-character scores, with the previous position's likeliest
        // character as context for variation selectors and modifiers.
        let mut single: Vec<Vec<f32>> = Vec::with_capacity(m);
        let mut prev = left;
        for (a, s) in slots.iter().enumerate() {
            let next = match slots.get(a + 1) {
                Some(n) if n.cands.len() == 1 => n.cands.first().copied(),
                Some(_) => None,
                None => right,
            };
            let scores: Vec<f32> = s
                .cands
                .iter()
                .map(|&c| {
                    let mut lp = self.single_logp(c, prev);
                    if final_particle(c) && next.is_some_and(sentence_punct) {
                        lp += 4.0;
                    }
                    if s.cands.len() > 1 {
                        // Words spanning this slot carry the real evidence;
                        // a lone character beats them only when much likelier.
                        lp -= 1.0;
                    }
                    lp
                })
                .collect();
            prev = scores
                .iter()
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .and_then(|(k, _)| s.cands.get(k).copied());
            single.push(scores);
        }
        let mut path: Vec<u8> = Vec::new();
        let mut frames: Vec<(usize, u32, usize)> = Vec::new();
        for a in 0..m {
            for (ci, &lp) in single[a].iter().enumerate() {
                edges.push(Edge {
                    start: a as u32,
                    end: a as u32 + 1,
                    logp: lp,
                    choices: pool.len() as u32,
                });
                pool.push(ci as u8);
            }
            if !slots[a].cands.iter().any(|&c| is_han(c)) {
                continue;
            }
            // Depth-first over dictionary words starting at `a`, branching
            // over candidates; the trie prunes almost every branch.
            path.clear();
            frames.clear();
            frames.push((a, ROOT, 0));
            while let Some(&mut (pos, node, ref mut next_ci)) = frames.last_mut() {
                if pos >= m || pos - a >= MAX_WORD || *next_ci >= slots[pos].cands.len() {
                    frames.pop();
                    path.pop();
                    continue;
                }
                let ci = *next_ci;
                *next_ci += 1;
                let c = slots[pos].cands[ci];
                if let Some(child) = self.dict.child(node, c) {
                    path.push(ci as u8);
                    let len = pos + 1 - a;
                    if len >= 2 {
                        let wl = self.dict.word_logp(child);
                        if wl.is_finite() {
                            edges.push(Edge {
                                start: a as u32,
                                end: (pos + 1) as u32,
                                logp: wl,
                                choices: pool.len() as u32,
                            });
                            pool.extend_from_slice(&path);
                        }
                    }
                    frames.push((pos + 1, child, 0));
                }
            }
            // Pairs seen in the corpus's clean text that the dictionary
            // lacks (names, slang).
            if !self.corpus.is_empty() && a + 1 < m {
                for (ci, &c) in slots[a].cands.iter().enumerate() {
                    for (cj, &d) in slots[a + 1].cands.iter().enumerate() {
                        if let Some(lp) = self.corpus.pair_logp(c, d) {
                            edges.push(Edge {
                                start: a as u32,
                                end: a as u32 + 2,
                                logp: lp - 2.0,
                                choices: pool.len() as u32,
                            });
                            pool.push(ci as u8);
                            pool.push(cj as u8);
                        }
                    }
                }
            }
        }
        // Edges were generated in order of their start, which is all the
        // forward sweep needs: every edge into a node starts earlier.
        // Forward (sum) and Viterbi (max) in one sweep.
        let mut alpha = vec![f32::NEG_INFINITY; m + 1];
        let mut best = vec![f32::NEG_INFINITY; m + 1];
        let mut back: Vec<usize> = vec![usize::MAX; m + 1];
        alpha[0] = 0.0;
        best[0] = 0.0;
        for (ei, e) in edges.iter().enumerate() {
            let (s, t) = (e.start as usize, e.end as usize);
            alpha[t] = log_add(alpha[t], alpha[s] + e.logp);
            let v = best[s] + e.logp;
            if v > best[t] {
                best[t] = v;
                back[t] = ei;
            }
        }
        let mut beta = vec![f32::NEG_INFINITY; m + 1];
        beta[m] = 0.0;
        for e in edges.iter().rev() {
            let (s, t) = (e.start as usize, e.end as usize);
            beta[s] = log_add(beta[s], beta[t] + e.logp);
        }
        let z = alpha[m];

        let mut out: Vec<SlotChoice> = slots
            .iter()
            .map(|s| SlotChoice {
                chosen: 0,
                posterior: if s.cands.len() > 1 {
                    vec![0.0; s.cands.len()]
                } else {
                    Vec::new()
                },
            })
            .collect();
        if z.is_finite() {
            for e in &edges {
                let (s, t) = (e.start as usize, e.end as usize);
                let w = (alpha[s] + e.logp + beta[t] - z).exp();
                if w < 1e-9 {
                    continue;
                }
                for (k, slot) in (s..t).enumerate() {
                    if slots[slot].cands.len() > 1 {
                        let ci = pool.get(e.choices as usize + k).copied().unwrap_or(0) as usize;
                        if let Some(p) = out[slot].posterior.get_mut(ci) {
                            *p += w;
                        }
                    }
                }
            }
        }
        // Viterbi back-trace.
        let mut t = m;
        while t > 0 {
            let ei = back[t];
            let Some(e) = edges.get(ei) else { break };
            let s = e.start as usize;
            for (k, slot) in (s..t).enumerate() {
                out[slot].chosen = pool.get(e.choices as usize + k).copied().unwrap_or(0) as usize;
            }
            t = s;
        }
        out
    }
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
