//! The CJK word dictionary (Chinese, traditional Chinese, Japanese and
//! Korean words with their probability in their language, see
//! data/build_cjk_dict.py): a char trie with word log-probabilities, loaded
//! lazily and at most once per process.

use super::variant::to_simplified;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static DICT_BYTES: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/cjk_dict.bin"));
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
    /// Per node: id of its first child, number of children, and the
    /// word's log-probability (NEG_INFINITY for a node that is only a
    /// prefix), together so a step of the walk touches one cache line.
    nodes: Vec<Node>,
    /// One bit per hash of (node, child char) over every trie edge: a
    /// clear bit proves the child absent without touching the node (most
    /// lattice lookups miss).
    edge_bits: Vec<u64>,
    root_han: Vec<u32>,
    /// Root children outside U+3400..=U+9FFF: (char, node), sorted. Few, so
    /// a miss (most non-Han candidates) does not search the whole root.
    root_other: Vec<(u32, u32)>,
    /// Per char of U+3400..=U+9FFF: its single-character score (word
    /// log-probability, or the built-in prior when it is not a word).
    han_single: Vec<f32>,
    /// The bigram evidence the lattice adds,
    /// `CTX_WEIGHT * bigram_pmi(a, b).clamp(0, CTX_CAP)`, precomputed (pairs
    /// whose evidence is exactly 0 left out) in an open-addressing table:
    /// one probe, usually one cache line, where a sorted list per
    /// neighbour cost a cache miss per step of its binary search.
    ctx: CtxTable,
    /// One bit per hash of every pair with evidence: a clear bit proves the
    /// pair absent (most lookups) without a search.
    ctx_bits: Vec<u64>,
    pub load_time: Duration,
}

pub(crate) const ROOT: u32 = 0;

const EDGE_BITS_LOG2: u32 = 23;
const CTX_BITS_LOG2: u32 = 21;

#[inline]
fn ctx_hash(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CTX_BITS_LOG2)) as usize
}

#[inline]
fn edge_hash(node: u32, u: u32) -> usize {
    let k = (u64::from(node) << 21) | u64::from(u);
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - EDGE_BITS_LOG2)) as usize
}

fn edge_bits(node_char: &[u32], first_child: &[u32], n_children: &[u32]) -> Vec<u64> {
    let mut bits = vec![0u64; 1 << (EDGE_BITS_LOG2 - 6)];
    for (p, (&first, &n)) in first_child.iter().zip(n_children).enumerate() {
        let first = first as usize;
        for &u in node_char.get(first..first + n as usize).unwrap_or(&[]) {
            let h = edge_hash(p as u32, u);
            if let Some(w) = bits.get_mut(h >> 6) {
                *w |= 1 << (h & 63);
            }
        }
    }
    bits
}

#[derive(Clone, Copy)]
struct Node {
    first_child: u32,
    n_children: u32,
    word_logp: f32,
    /// The char of the only child (u32::MAX unless there is exactly one):
    /// deep in the trie most nodes have one child, found without a search.
    only: u32,
}

fn pack_nodes(
    node_char: &[u32],
    first_child: &[u32],
    n_children: &[u32],
    word_logp: &[f32],
) -> Vec<Node> {
    first_child
        .iter()
        .zip(n_children)
        .zip(word_logp)
        .map(|((&first_child, &n_children), &word_logp)| Node {
            first_child,
            n_children,
            word_logp,
            only: if n_children == 1 {
                node_char
                    .get(first_child as usize)
                    .copied()
                    .unwrap_or(u32::MAX)
            } else {
                u32::MAX
            },
        })
        .collect()
}

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
        if !self.may_have_child(node, u) {
            return None;
        }
        let nd = self.nodes.get(node as usize)?;
        if nd.n_children == 1 {
            return (nd.only == u).then_some(nd.first_child);
        }
        let first = nd.first_child as usize;
        let kids = self.node_char.get(first..first + nd.n_children as usize)?;
        kids.binary_search(&u).ok().map(|k| (first + k) as u32)
    }

    /// False when `node` surely has no child `u`.
    #[inline]
    pub fn may_have_child(&self, node: u32, u: u32) -> bool {
        let h = edge_hash(node, u);
        self.edge_bits
            .get(h >> 6)
            .is_none_or(|w| w & (1 << (h & 63)) != 0)
    }

    /// A node's children: id of the first and their chars (sorted).
    #[inline]
    pub fn children(&self, node: u32) -> Option<(u32, &[u32])> {
        let nd = self.nodes.get(node as usize)?;
        let first = nd.first_child;
        let kids = self
            .node_char
            .get(first as usize..first as usize + nd.n_children as usize)?;
        Some((first, kids))
    }

    #[inline]
    pub fn word_logp(&self, node: u32) -> f32 {
        self.nodes
            .get(node as usize)
            .map_or(f32::NEG_INFINITY, |nd| nd.word_logp)
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
        let key = bigram_key(to_simplified(a), to_simplified(b));
        let h = ctx_hash(key);
        let maybe = self
            .ctx_bits
            .get(h >> 6)
            .is_some_and(|w| w & (1 << (h & 63)) != 0);
        if maybe {
            self.ctx.get(key)
        } else {
            0.0
        }
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
        // Words still as long as the depth, in sorted order: most words are
        // short, so later levels visit few (a scan of every word per level
        // was most of the load time).
        let mut active: Vec<u32> = (0..n_words as u32).collect();
        for d in 1..=max_len {
            let mut last: Option<(u32, u32)> = None;
            let mut last_id = 0u32;
            active.retain(|&w| wlen(w as usize) >= d);
            for &w in &active {
                let w = w as usize;
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
        let nodes = pack_nodes(&node_char, &first_child, &n_children, &word_logp);
        let edge_bits = edge_bits(&node_char, &first_child, &n_children);
        let mut dict = Dict {
            node_char,
            nodes,
            edge_bits,
            ..Dict::empty()
        };
        let mut root_han = vec![u32::MAX; (HAN_HI - HAN_LO + 1) as usize];
        let mut root_other = Vec::new();
        let first = first_child.first().copied().unwrap_or(0) as usize;
        for k in first..first + n_children.first().copied().unwrap_or(0) as usize {
            let u = dict.node_char[k];
            if (HAN_LO..=HAN_HI).contains(&u) {
                if let Some(slot) = root_han.get_mut((u - HAN_LO) as usize) {
                    *slot = k as u32;
                }
            } else {
                root_other.push((u, k as u32));
            }
        }
        // Character bigrams and counts of running text (data/build_bigram.py).
        // Unlike the word list, they see across word and punctuation
        // boundaries (就|像, ”|与|“). Only the evidence derived below is kept.
        let (unigram, bigram) = parse_bigrams(BIGRAM_BYTES).unwrap_or_default();
        let unigram_total: f64 = unigram.values().map(|&n| f64::from(n)).sum();
        // Bigram evidence of every pair: how much likelier `b` is right
        // after `a` than anywhere in running text, ln P(b | a) / P(b), with
        // P(b | a) interpolated towards P(b) by how often `a` was seen
        // (Witten-Bell-like). A pair the text never showed (most lookups)
        // has none: absence is no evidence against. Only pairs whose
        // evidence is not 0 are kept; a ratio at most 1 has ln <= 0, which
        // the evidence clamps to 0, so it is skipped before the ln.
        let mut ctx: Vec<(u64, f32)> = Vec::new();
        if unigram_total > 0.0 {
            for (&key, &nab) in &bigram {
                let (a, b) = ((key >> 21) as u32, (key & ((1 << 21) - 1)) as u32);
                let (Some(&na), Some(&nb)) = (unigram.get(&a), unigram.get(&b)) else {
                    continue;
                };
                let pb = f64::from(nb) / unigram_total;
                let p = (f64::from(nab) + BIGRAM_PRIOR * pb) / (f64::from(na) + BIGRAM_PRIOR);
                let ratio = p / pb;
                if ratio <= 1.0 {
                    continue;
                }
                let v = super::lm::ctx_evidence(ratio.ln() as f32);
                if v != 0.0 {
                    ctx.push((key, v));
                }
            }
        }
        let mut bits = vec![0u64; 1 << (CTX_BITS_LOG2 - 6)];
        for &(key, _) in &ctx {
            let h = ctx_hash(key);
            if let Some(w) = bits.get_mut(h >> 6) {
                *w |= 1 << (h & 63);
            }
        }
        dict.ctx_bits = bits;
        dict.ctx = CtxTable::build(&ctx);
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
            nodes: pack_nodes(&[0], &[0], &[0], &[f32::NEG_INFINITY]),
            edge_bits: Vec::new(),
            root_han: Vec::new(),
            root_other: Vec::new(),
            han_single: Vec::new(),
            ctx: CtxTable::default(),
            ctx_bits: Vec::new(),
            load_time: Duration::ZERO,
        }
    }
}

/// Pair key → value, open addressing with linear probing at load factor
/// at most 1/2. Keys are `bigram_key`s, never `EMPTY`.
#[derive(Default)]
struct CtxTable {
    slots: Vec<(u64, f32)>,
    mask: usize,
}

const EMPTY: u64 = u64::MAX;

impl CtxTable {
    fn build(pairs: &[(u64, f32)]) -> CtxTable {
        let cap = (pairs.len() * 2).max(16).next_power_of_two();
        let mut t = CtxTable {
            slots: vec![(EMPTY, 0.0); cap],
            mask: cap - 1,
        };
        for &(key, v) in pairs {
            let mut i = table_hash(key) & t.mask;
            while let Some(slot) = t.slots.get_mut(i) {
                if slot.0 == EMPTY || slot.0 == key {
                    *slot = (key, v);
                    break;
                }
                i = (i + 1) & t.mask;
            }
        }
        t
    }

    #[inline]
    fn get(&self, key: u64) -> f32 {
        let mut i = table_hash(key) & self.mask;
        // At most half full: every probe sequence reaches an empty slot.
        while let Some(&(k, v)) = self.slots.get(i) {
            if k == key {
                return v;
            }
            if k == EMPTY {
                return 0.0;
            }
            i = (i + 1) & self.mask;
        }
        0.0
    }
}

#[inline]
fn table_hash(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
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
