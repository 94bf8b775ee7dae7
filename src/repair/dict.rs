//! The repair lattice's view of the CJK dictionary (src/dictionary/):
//! word lookups, single-character scores and the bigram evidence, the
//! latter read through the simplified form of each character.

use super::variant::to_simplified;
use crate::dictionary::{self, Lexicon, HAN_HI, HAN_LO};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub(crate) use crate::dictionary::ROOT;

/// Multiplicative hash: keys are already well mixed (node id, char), and
/// SipHash would dominate lattice construction time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // hashbrown takes the bucket from the low bits, which a plain
        // multiply leaves dependent on the key's low bits only; fold the
        // high half down.
        let h = self.0;
        h ^ (h >> 29) ^ (h >> 41)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
pub(crate) type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<FastHasher>>;

/// The dictionary as the lattice uses it.
pub(crate) struct Dict {
    lex: &'static Lexicon,
    /// Per char of U+3400..=U+9FFF: its single-character score (word
    /// log-probability, or the built-in prior when it is not a word).
    han_single: Vec<f32>,
    pub load_time: Duration,
}

impl Dict {
    fn new() -> Dict {
        let start = Instant::now();
        let lex = dictionary::lexicon();
        let mut dict = Dict {
            lex,
            han_single: Vec::new(),
            load_time: Duration::ZERO,
        };
        dict.han_single = (HAN_LO..=HAN_HI)
            .map(|u| {
                let c = char::from_u32(u).unwrap_or('\u{3400}');
                let word = if super::lm::is_han(c) {
                    dict.char_logp(c)
                } else {
                    None
                };
                word.unwrap_or_else(|| super::lm::builtin_logp(c, None))
            })
            .collect();
        dict.load_time = start.elapsed();
        dict
    }

    #[inline]
    pub fn child(&self, node: u32, c: char) -> Option<u32> {
        self.lex.child(node, c)
    }

    /// False when `node` surely has no child `u`.
    #[inline]
    pub fn may_have_child(&self, node: u32, u: u32) -> bool {
        self.lex.may_have_child(node, u)
    }

    /// A node's children: id of the first and their chars (sorted).
    #[inline]
    pub fn children(&self, node: u32) -> Option<(u32, &[u32])> {
        self.lex.children(node)
    }

    #[inline]
    pub fn word_logp(&self, node: u32) -> f32 {
        self.lex.word_logp(node)
    }

    /// Precomputed single-character score of a char in U+3400..=U+9FFF.
    #[inline]
    pub fn han_single(&self, c: char) -> Option<f32> {
        let u = c as u32;
        if !(HAN_LO..=HAN_HI).contains(&u) {
            return None;
        }
        self.han_single.get((u - HAN_LO) as usize).copied()
    }

    /// Bigram evidence of `b` right after `a` (0 when the pair has none).
    #[inline]
    pub fn ctx(&self, a: char, b: char) -> f32 {
        // The pairs were counted in simplified text.
        self.lex.ctx(bigram_key(to_simplified(a), to_simplified(b)))
    }

    /// The word ending at `node` as the word-sequence evidence knows it.
    #[inline]
    pub fn pair_word(&self, node: u32) -> Option<u32> {
        self.lex.pair_word(node)
    }

    /// Word-sequence evidence of word `b` right after word `a` (from
    /// [`Dict::pair_word`]), in nats; see `Lexicon::word_pair`.
    #[inline]
    pub fn word_pair(&self, a: u32, b: u32) -> f32 {
        self.lex.word_pair(a, b)
    }

    /// Log-probability of a single char as a dictionary word, if it is one.
    pub fn char_logp(&self, c: char) -> Option<f32> {
        let n = self.child(ROOT, c)?;
        let p = self.word_logp(n);
        p.is_finite().then_some(p)
    }
}

#[inline]
pub(crate) fn bigram_key(a: char, b: char) -> u64 {
    dictionary::bigram_key(a as u32, b as u32)
}

static DICT: OnceLock<Dict> = OnceLock::new();

/// The dictionary; the first call fills the single-character scores (the
/// words themselves are used in place, nothing is parsed).
pub(crate) fn dict() -> &'static Dict {
    DICT.get_or_init(Dict::new)
}

/// Whether the dictionary has been set up in this process, and how long
/// that took.
pub fn dict_load_time() -> Option<Duration> {
    DICT.get().map(|d| d.load_time)
}

/// Force the lazy set-up (for benchmarks that want to exclude it).
pub fn preload_dict() -> Duration {
    dict().load_time
}
