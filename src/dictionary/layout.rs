//! The dictionary image's layout: its header, its sections and the hashes
//! that place keys in its tables. Shared by the build script that writes the
//! image (`compile.rs`, through `#[path]`) and the library that reads it in
//! place (`mod.rs`), so the two cannot drift apart.
//!
//! The image is little endian: a header of [`HEADER_BYTES`] (magic, jieba's
//! token count, then an `(offset, length)` pair of u64 per [`Section`]),
//! then the sections, each starting at a multiple of 8 bytes.

/// First eight bytes of an image; the digit changes with the layout.
pub const MAGIC: [u8; 8] = *b"CQIMG003";

/// The image's arrays, in header order. Each holds 4- or 8-byte words.
#[derive(Clone, Copy, Debug)]
pub enum Section {
    /// Per trie node: the char on the edge into it (u32).
    NodeChar,
    /// Per trie node: first child, number of children, the word's repair
    /// log-probability (f32 bits; -inf for a prefix only) and the char of
    /// the only child (u32::MAX unless exactly one): `[u32; 4]`.
    Nodes,
    /// One bit per hash of (node, child char) over every edge (u64 words).
    EdgeBits,
    /// Root child per char of `HAN_LO..=HAN_HI` (u32; u32::MAX: none).
    RootHan,
    /// Root children outside that range: `[char, node]`, sorted by char.
    RootOther,
    /// Per trie node: the word's count in jieba's dict.txt (0: no word).
    JiebaCount,
    /// Repair's bigram evidence: open addressing, `[key lo, key hi, f32
    /// bits, 0]` per slot, a power of two of them, at most half full.
    CtxSlots,
    /// One bit per hash of every key in `CtxSlots` (u64 words).
    CtxBits,
    /// Per trie node: its word's index in the word-pair tables
    /// (`u32::MAX`: none). Traditional forms share their simplified
    /// word's index.
    WordId,
    /// Per word of the word-pair tables, and one more: the index of its
    /// first pair in `PairList`, and its backoff (f32 bits, nats):
    /// `[u32; 2]`.
    PairWords,
    /// Per pair, grouped by first word and sorted by second:
    /// `(second word << 8) | evidence in eighths of a nat (i8 bits)`.
    PairList,
    /// Two bits of one u64 word per pair of `PairList` (see [`pair_bits`]): most pairs the
    /// lattice asks about are not in the model, and a group of a common word's pairs takes a
    /// dozen reads to search.
    PairBits,
}

pub const SECTIONS: usize = 12;

/// Every section in header order.
pub const ALL_SECTIONS: [Section; SECTIONS] = [
    Section::NodeChar,
    Section::Nodes,
    Section::EdgeBits,
    Section::RootHan,
    Section::RootOther,
    Section::JiebaCount,
    Section::CtxSlots,
    Section::CtxBits,
    Section::WordId,
    Section::PairWords,
    Section::PairList,
    Section::PairBits,
];

/// Magic, jieba's token count, then `(offset, length in bytes)` per section.
pub const HEADER_BYTES: usize = 8 + 8 + SECTIONS * 16;

/// Trie node of the root.
pub const ROOT: u32 = 0;

/// Root children for U+3400..=U+9FFF live in a dense array: every lattice
/// position and every segmentation step starts with one such lookup.
pub const HAN_LO: u32 = 0x3400;
pub const HAN_HI: u32 = 0x9FFF;

pub const EDGE_BITS_LOG2: u32 = 23;
pub const CTX_BITS_LOG2: u32 = 21;
/// 2^23 bits for about a million pairs: ~5 % of absent pairs pass.
pub const PAIR_BITS_LOG2: u32 = 23;

/// Marks an empty slot of `CtxSlots`: no key is all ones.
pub const EMPTY_KEY: u64 = u64::MAX;

#[inline]
pub fn edge_hash(node: u32, u: u32) -> usize {
    let k = (u64::from(node) << 21) | u64::from(u);
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - EDGE_BITS_LOG2)) as usize
}

#[inline]
pub fn ctx_hash(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - CTX_BITS_LOG2)) as usize
}

/// The word of `PairBits` that holds the pair of word-pair indices `a`, `b`, and the two bits
/// set in it: one cache line read per question.
#[inline]
pub fn pair_bits(a: u32, b: u32) -> (usize, u64) {
    let h = ((u64::from(a) << 32) | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let word = (h >> (64 - (PAIR_BITS_LOG2 - 6))) as usize;
    (word, (1 << (h & 63)) | (1 << ((h >> 6) & 63)))
}

/// First slot probed for `key` (before masking).
#[inline]
pub fn table_hash(key: u64) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
}

/// The key of the pair `a` then `b` (chars fit in 21 bits).
#[inline]
pub fn bigram_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 21) | u64::from(b)
}
