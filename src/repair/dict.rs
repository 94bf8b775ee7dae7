//! The Chinese word dictionary (derived from jieba's dict.txt, see
//! data/build_dict.py): a char trie with word log-probabilities, loaded
//! lazily and at most once per process.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static DICT_BYTES: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/zh_dict.bin"));
static BIGRAM_BYTES: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/zh_bigram.bin"));

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

/// Root children for U+3400..=U+9FFF live in a dense array: every lattice
/// position starts with one such lookup per candidate.
const HAN_LO: u32 = 0x3400;
const HAN_HI: u32 = 0x9FFF;

/// A trie laid out level by level: the children of a node have
/// consecutive ids and sorted chars, so a lookup is a short binary search in
/// contiguous memory and a miss (the common case in the lattice) is cheap.
pub(crate) struct Dict {
    /// Per node: char on the edge into it.
    node_char: Vec<u32>,
    /// Per node: id of its first child and number of children.
    first_child: Vec<u32>,
    n_children: Vec<u32>,
    root_han: Vec<u32>,
    /// Root children outside U+3400..=U+9FFF: (char, node), sorted. Few, so
    /// a miss (most non-Han candidates) does not search the whole root.
    root_other: Vec<(u32, u32)>,
    /// Per char of U+3400..=U+9FFF: its single-character score (word
    /// log-probability, or the built-in prior when it is not a word).
    han_single: Vec<f32>,
    /// Natural log of the word's probability, or NEG_INFINITY for a node
    /// that is only a prefix.
    word_logp: Vec<f32>,
    /// Character bigrams of running text (data/build_bigram.py): pair key
    /// → ln P(b | a). Unlike the word list, these see across word and
    /// punctuation boundaries (就|像, ”|与|“).
    bigram: FastMap<u64, u32>,
    /// Character counts of the same text, and their total.
    unigram: FastMap<u32, u32>,
    unigram_total: f64,
    pub load_time: Duration,
}

pub(crate) const ROOT: u32 = 0;

impl Dict {
    #[inline]
    pub fn child(&self, node: u32, c: char) -> Option<u32> {
        let u = c as u32;
        if node == ROOT {
            if (HAN_LO..=HAN_HI).contains(&u) {
                return self
                    .root_han
                    .get((u - HAN_LO) as usize)
                    .copied()
                    .filter(|&n| n != u32::MAX);
            }
            if !self.root_han.is_empty() {
                return self
                    .root_other
                    .binary_search_by_key(&u, |x| x.0)
                    .ok()
                    .and_then(|k| self.root_other.get(k))
                    .map(|x| x.1);
            }
        }
        let first = *self.first_child.get(node as usize)? as usize;
        let n = *self.n_children.get(node as usize)? as usize;
        let kids = self.node_char.get(first..first + n)?;
        kids.binary_search(&u).ok().map(|k| (first + k) as u32)
    }

    #[inline]
    pub fn word_logp(&self, node: u32) -> f32 {
        self.word_logp
            .get(node as usize)
            .copied()
            .unwrap_or(f32::NEG_INFINITY)
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

    /// How much likelier `b` is right after `a` than anywhere in running
    /// text: ln P(b | a) / P(b), with P(b | a) interpolated towards P(b) by
    /// how often `a` was seen (Witten-Bell-like). 0 for a pair the bigram
    /// text never showed (most lookups): absence is no evidence against.
    #[inline]
    pub fn bigram_pmi(&self, a: char, b: char) -> f32 {
        if self.unigram_total <= 0.0 {
            return 0.0;
        }
        let Some(&nab) = self.bigram.get(&bigram_key(a, b)) else {
            return 0.0;
        };
        let (Some(&na), Some(&nb)) = (self.unigram.get(&(a as u32)), self.unigram.get(&(b as u32)))
        else {
            return 0.0;
        };
        let pb = f64::from(nb) / self.unigram_total;
        let p = (f64::from(nab) + BIGRAM_PRIOR * pb) / (f64::from(na) + BIGRAM_PRIOR);
        (p / pb).ln() as f32
    }

    /// Log-probability of a single char as a dictionary word, if it is one.
    pub fn char_logp(&self, c: char) -> Option<f32> {
        let n = self.child(ROOT, c)?;
        let p = self.word_logp(n);
        p.is_finite().then_some(p)
    }

    fn parse(bytes: &[u8]) -> Option<Dict> {
        let start = Instant::now();
        if bytes.get(0..4)? != b"CQD1" {
            return None;
        }
        let count = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?) as usize;
        let total = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?) as f64;
        let ln_total = total.max(1.0).ln() as f32;
        // Words as a flat char buffer, in sorted order.
        let mut flat: Vec<u32> = Vec::with_capacity(count * 3);
        let mut offs: Vec<u32> = Vec::with_capacity(count + 1);
        let mut logps: Vec<f32> = Vec::with_capacity(count);
        let mut word: Vec<u32> = Vec::new();
        let mut word_bytes = 0usize;
        let mut pos = 16usize;
        for _ in 0..count {
            let shared = *bytes.get(pos)? as usize;
            let len = *bytes.get(pos + 1)? as usize;
            let suffix = std::str::from_utf8(bytes.get(pos + 2..pos + 2 + len)?).ok()?;
            let q = *bytes.get(pos + 2 + len)?;
            pos += 3 + len;
            if shared > word_bytes {
                return None;
            }
            // Shared prefix is in bytes; walk chars to find how many survive.
            let mut kept = 0usize;
            let mut b = 0usize;
            while b < shared {
                let c = char::from_u32(*word.get(kept)?)?;
                b += c.len_utf8();
                kept += 1;
            }
            if b != shared {
                return None;
            }
            word.truncate(kept);
            word.extend(suffix.chars().map(|c| c as u32));
            word_bytes = shared + len;
            offs.push(flat.len() as u32);
            flat.extend_from_slice(&word);
            logps.push(f32::from(q) / 16.0 - ln_total);
        }
        offs.push(flat.len() as u32);
        let n_words = logps.len();
        let wlen = |w: usize| (offs[w + 1] - offs[w]) as usize;
        let max_len = (0..n_words).map(wlen).max().unwrap_or(0);

        let mut node_char: Vec<u32> = vec![0];
        let mut first_child: Vec<u32> = vec![0];
        let mut n_children: Vec<u32> = vec![0];
        let mut word_logp: Vec<f32> = vec![f32::NEG_INFINITY];
        let mut cur: Vec<u32> = vec![ROOT; n_words];
        for d in 1..=max_len {
            let mut last: Option<(u32, u32)> = None;
            let mut last_id = 0u32;
            for w in 0..n_words {
                if wlen(w) < d {
                    continue;
                }
                let parent = cur[w];
                let c = flat[offs[w] as usize + d - 1];
                if last != Some((parent, c)) {
                    last_id = node_char.len() as u32;
                    node_char.push(c);
                    first_child.push(0);
                    n_children.push(0);
                    word_logp.push(f32::NEG_INFINITY);
                    let p = parent as usize;
                    if n_children[p] == 0 {
                        first_child[p] = last_id;
                    }
                    n_children[p] += 1;
                    last = Some((parent, c));
                }
                cur[w] = last_id;
                if wlen(w) == d {
                    word_logp[last_id as usize] = logps[w];
                }
            }
        }
        let mut dict = Dict {
            node_char,
            first_child,
            n_children,
            root_han: Vec::new(),
            root_other: Vec::new(),
            han_single: Vec::new(),
            word_logp,
            bigram: FastMap::default(),
            unigram: FastMap::default(),
            unigram_total: 0.0,
            load_time: Duration::ZERO,
        };
        let mut root_han = vec![u32::MAX; (HAN_HI - HAN_LO + 1) as usize];
        let mut root_other = Vec::new();
        let first = dict.first_child[0] as usize;
        for k in first..first + dict.n_children[0] as usize {
            let u = dict.node_char[k];
            if (HAN_LO..=HAN_HI).contains(&u) {
                if let Some(slot) = root_han.get_mut((u - HAN_LO) as usize) {
                    *slot = k as u32;
                }
            } else {
                root_other.push((u, k as u32));
            }
        }
        if let Some((uni, pairs)) = parse_bigrams(BIGRAM_BYTES) {
            dict.unigram_total = uni.values().map(|&n| f64::from(n)).sum();
            dict.unigram = uni;
            dict.bigram = pairs;
        }
        dict.root_han = root_han;
        dict.root_other = root_other;
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
        Some(dict)
    }

    fn empty() -> Dict {
        Dict {
            node_char: vec![0],
            first_child: vec![0],
            n_children: vec![0],
            root_han: Vec::new(),
            root_other: Vec::new(),
            han_single: Vec::new(),
            word_logp: vec![f32::NEG_INFINITY],
            bigram: FastMap::default(),
            unigram: FastMap::default(),
            unigram_total: 0.0,
            load_time: Duration::ZERO,
        }
    }
}

#[inline]
pub(crate) fn bigram_key(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 21) | u64::from(b as u32)
}

/// Weight of the unigram in P(b | a): pairs after a character seen a few
/// times say little.
const BIGRAM_PRIOR: f64 = 8.0;

/// Parse data/zh_bigram.bin (see data/build_bigram.py): character counts
/// and pair counts. A malformed table yields None (no bigram evidence).
type Counts = (FastMap<u32, u32>, FastMap<u64, u32>);
fn parse_bigrams(bytes: &[u8]) -> Option<Counts> {
    if bytes.get(0..4)? != b"CQB1" {
        return None;
    }
    let le32 = |p: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(p..p + 4)?.try_into().ok()?))
    };
    let n_uni = le32(4)? as usize;
    let n_pairs = le32(8)? as usize;
    let mut uni: FastMap<u32, u32> = FastMap::default();
    uni.reserve(n_uni);
    let mut pos = 20usize;
    for _ in 0..n_uni {
        uni.insert(le32(pos)?, le32(pos + 4)?);
        pos += 8;
    }
    let mut map: FastMap<u64, u32> = FastMap::default();
    map.reserve(n_pairs);
    for _ in 0..n_pairs {
        let a = char::from_u32(le32(pos)?)?;
        let b = char::from_u32(le32(pos + 4)?)?;
        let n = u16::from_le_bytes(bytes.get(pos + 8..pos + 10)?.try_into().ok()?);
        pos += 10;
        map.insert(bigram_key(a, b), u32::from(n));
    }
    Some((uni, map))
}

static DICT: OnceLock<Dict> = OnceLock::new();

/// The dictionary, parsed on first use. A corrupt data file degrades to an
/// empty dictionary (repairs fall back to character statistics) rather than
/// a panic.
pub(crate) fn dict() -> &'static Dict {
    DICT.get_or_init(|| Dict::parse(DICT_BYTES).unwrap_or_else(Dict::empty))
}

/// Whether the dictionary has been loaded in this process, and how long the
/// load took.
pub fn dict_load_time() -> Option<Duration> {
    DICT.get().map(|d| d.load_time)
}

/// Force the lazy load (for benchmarks that want to exclude it).
pub fn preload_dict() -> Duration {
    dict().load_time
}
