//! The CJK word dictionary, used in place: `build.rs` compiles
//! `data/cjk_dict.bin`, `data/zh_bigram.bin` and `data/zh_wordpairs.bin`
//! into an image (layout in `layout.rs`) that the executable embeds, and
//! [`lexicon`] views it without parsing or allocating, so the first Chinese
//! query or repair of a process pays nothing for it.
//!
//! One char trie serves two readers: the repair lattice (words of zh,
//! zh-Hant, ja and ko with their probability, plus character bigram and
//! Chinese word-pair evidence) and the search analyzer's segmenter (jieba's
//! words and counts, [`segment`]).

mod layout;
pub mod segment;

pub(crate) use layout::{bigram_key, HAN_HI, HAN_LO, ROOT};
use layout::{pair_bits, Section, ALL_SECTIONS, EMPTY_KEY, HEADER_BYTES, MAGIC, PAIR_BITS_LOG2};
use std::sync::OnceLock;

#[cfg(target_endian = "big")]
compile_error!("the dictionary image is little endian");

/// The image, aligned so its sections can be viewed as u32 and u64 slices.
#[repr(C, align(8))]
struct Aligned<B: ?Sized>(B);

static IMAGE: &Aligned<[u8]> =
    &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/dictionary.img")));

/// A view of the image: slices into the executable's bytes.
pub(crate) struct Lexicon {
    node_char: &'static [u32],
    nodes: &'static [[u32; 4]],
    edge_bits: &'static [u64],
    root_han: &'static [u32],
    root_other: &'static [[u32; 2]],
    jieba: &'static [u32],
    ctx_slots: &'static [[u32; 4]],
    ctx_bits: &'static [u64],
    word_id: &'static [u32],
    pair_words: &'static [[u32; 2]],
    pair_list: &'static [u32],
    pair_bits: &'static [u64],
    /// ln of jieba's token count, as jieba-rs computes it.
    jieba_ln_total: f64,
}

/// The lexicon (constant time: the header is read, nothing is copied).
pub(crate) fn lexicon() -> &'static Lexicon {
    static LEX: OnceLock<Lexicon> = OnceLock::new();
    LEX.get_or_init(|| Lexicon::view(&IMAGE.0).unwrap_or_else(Lexicon::empty))
}

const EMPTY_ROOT: [[u32; 4]; 1] = [[0, 0, f32::NEG_INFINITY.to_bits(), u32::MAX]];

impl Lexicon {
    fn view(image: &'static [u8]) -> Option<Lexicon> {
        if image.get(..8)? != MAGIC {
            return None;
        }
        let word = |at: usize| -> Option<u64> {
            Some(u64::from_le_bytes(image.get(at..at + 8)?.try_into().ok()?))
        };
        let section = |s: Section| -> Option<&'static [u8]> {
            let at = 16 + 16 * s as usize;
            let (offset, len) = (word(at)? as usize, word(at + 8)? as usize);
            (offset >= HEADER_BYTES).then_some(())?;
            image.get(offset..offset.checked_add(len)?)
        };
        let mut raw = [&[][..]; ALL_SECTIONS.len()];
        for s in ALL_SECTIONS {
            raw[s as usize] = section(s)?;
        }
        let lex = Lexicon {
            node_char: cast(raw[Section::NodeChar as usize])?,
            nodes: cast(raw[Section::Nodes as usize])?,
            edge_bits: cast(raw[Section::EdgeBits as usize])?,
            root_han: cast(raw[Section::RootHan as usize])?,
            root_other: cast(raw[Section::RootOther as usize])?,
            jieba: cast(raw[Section::JiebaCount as usize])?,
            ctx_slots: cast(raw[Section::CtxSlots as usize])?,
            ctx_bits: cast(raw[Section::CtxBits as usize])?,
            word_id: cast(raw[Section::WordId as usize])?,
            pair_words: cast(raw[Section::PairWords as usize])?,
            pair_list: cast(raw[Section::PairList as usize])?,
            pair_bits: cast(raw[Section::PairBits as usize])?,
            jieba_ln_total: (word(8)? as f64).ln(),
        };
        lex.is_consistent().then_some(lex)
    }

    /// The sizes lookups rely on: a node per char, the root present, the
    /// dense root complete, the table a power of two. (Lookups index with
    /// `get`, so a wrong child range in a node reads as no child, never a
    /// panic; checking every node here would cost the load time saved.)
    fn is_consistent(&self) -> bool {
        let n = self.nodes.len();
        n > 0
            && self.node_char.len() == n
            && self.jieba.len() == n
            && self.root_han.len() == (HAN_HI - HAN_LO + 1) as usize
            && self.ctx_slots.len().is_power_of_two()
            && self.word_id.len() == n
            && self.pair_bits.len() == 1 << (PAIR_BITS_LOG2 - 6)
    }

    /// A lexicon that knows no word (a corrupt image degrades to this).
    fn empty() -> Lexicon {
        Lexicon {
            node_char: &[0],
            nodes: &EMPTY_ROOT,
            edge_bits: &[],
            root_han: &[],
            root_other: &[],
            jieba: &[0],
            ctx_slots: &[],
            ctx_bits: &[],
            word_id: &[0],
            pair_words: &[],
            pair_list: &[],
            pair_bits: &[],
            jieba_ln_total: 0.0,
        }
    }

    /// The child of `node` along `c`.
    #[inline]
    pub fn child(&self, node: u32, c: char) -> Option<u32> {
        let u = c as u32;
        if node == ROOT && !self.root_han.is_empty() {
            if (HAN_LO..=HAN_HI).contains(&u) {
                return self
                    .root_han
                    .get((u - HAN_LO) as usize)
                    .copied()
                    .filter(|&n| n != u32::MAX);
            }
            return self
                .root_other
                .binary_search_by_key(&u, |x| x[0])
                .ok()
                .and_then(|k| self.root_other.get(k))
                .map(|x| x[1]);
        }
        if !self.may_have_child(node, u) {
            return None;
        }
        let &[first, count, _, only] = self.nodes.get(node as usize)?;
        if count == 1 {
            return (only == u).then_some(first);
        }
        let first = first as usize;
        let kids = self.node_char.get(first..first + count as usize)?;
        kids.binary_search(&u).ok().map(|k| (first + k) as u32)
    }

    /// False when `node` surely has no child `u`: one bit, where most
    /// lookups (misses) stop.
    #[inline]
    pub fn may_have_child(&self, node: u32, u: u32) -> bool {
        let h = layout::edge_hash(node, u);
        self.edge_bits
            .get(h >> 6)
            .is_none_or(|w| w & (1 << (h & 63)) != 0)
    }

    /// A node's children: id of the first and their chars (sorted).
    #[inline]
    pub fn children(&self, node: u32) -> Option<(u32, &'static [u32])> {
        let &[first, count, ..] = self.nodes.get(node as usize)?;
        let kids = self
            .node_char
            .get(first as usize..first as usize + count as usize)?;
        Some((first, kids))
    }

    /// The repair log-probability of the word ending at `node` (-inf when
    /// it is not a word of the repair lattice).
    #[inline]
    pub fn word_logp(&self, node: u32) -> f32 {
        self.nodes
            .get(node as usize)
            .map_or(f32::NEG_INFINITY, |nd| f32::from_bits(nd[2]))
    }

    /// jieba's count of the word ending at `node` (0: not a jieba word).
    #[inline]
    pub fn jieba_count(&self, node: u32) -> u32 {
        self.jieba.get(node as usize).copied().unwrap_or(0)
    }

    /// Repair's bigram evidence for the pair `key` (0 when it has none).
    #[inline]
    pub fn ctx(&self, key: u64) -> f32 {
        let h = layout::ctx_hash(key);
        let maybe = self
            .ctx_bits
            .get(h >> 6)
            .is_some_and(|w| w & (1 << (h & 63)) != 0);
        if !maybe {
            return 0.0;
        }
        let mask = self.ctx_slots.len().wrapping_sub(1);
        let mut i = layout::table_hash(key) & mask;
        // At most half full: every probe sequence reaches an empty slot.
        while let Some(&[lo, hi, v, _]) = self.ctx_slots.get(i) {
            let k = u64::from(lo) | (u64::from(hi) << 32);
            if k == key {
                return f32::from_bits(v);
            }
            if k == EMPTY_KEY {
                return 0.0;
            }
            i = (i + 1) & mask;
        }
        0.0
    }
}

impl Lexicon {
    /// The index of the word ending at `node` in the word-pair tables
    /// (libime's word model), if it has one.
    #[inline]
    pub fn pair_word(&self, node: u32) -> Option<u32> {
        self.word_id
            .get(node as usize)
            .copied()
            .filter(|&id| id != u32::MAX)
    }

    /// Word-pair evidence of word `b` right after word `a` (indices from
    /// [`Lexicon::pair_word`]): how much likelier `b` is there than
    /// anywhere, in nats, or `a`'s backoff when the model lacks the pair.
    #[inline]
    pub fn word_pair(&self, a: u32, b: u32) -> f32 {
        let (Some(&[lo, backoff]), Some(&[hi, _])) = (
            self.pair_words.get(a as usize),
            self.pair_words.get(a as usize + 1),
        ) else {
            return 0.0;
        };
        let (i, m) = pair_bits(a, b);
        if self.pair_bits.get(i).is_some_and(|&w| w & m != m) {
            return f32::from_bits(backoff);
        }
        let Some(group) = self.pair_list.get(lo as usize..hi as usize) else {
            return 0.0;
        };
        match group.binary_search_by_key(&b, |&x| x >> 8) {
            Ok(k) => group
                .get(k)
                .map_or(0.0, |&x| f32::from(x as u8 as i8) / 8.0),
            Err(_) => f32::from_bits(backoff),
        }
    }
}

/// `bytes` as a slice of `T`, if its length and alignment allow.
fn cast<T: bytemuck::Pod>(bytes: &'static [u8]) -> Option<&'static [T]> {
    bytemuck::try_cast_slice(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_image_is_read() {
        let lex = lexicon();
        assert!(lex.nodes.len() > 500_000, "{} nodes", lex.nodes.len());
        assert!(lex.ctx_slots.len() > 100_000);
    }

    #[test]
    fn words_have_their_scores() {
        let lex = lexicon();
        let walk = |w: &str| w.chars().try_fold(ROOT, |n, c| lex.child(n, c));
        let women = walk("我们").expect("我们 is in the trie");
        assert!(lex.word_logp(women) > -10.0);
        assert!(lex.jieba_count(women) > 10_000);
        // A Korean word: scored for repair, unknown to jieba.
        let ko = walk("사람").expect("사람 is in the trie");
        assert!(lex.word_logp(ko).is_finite());
        assert_eq!(lex.jieba_count(ko), 0);
        assert!(walk("我们们们").is_none_or(|n| lex.jieba_count(n) == 0));
    }

    #[test]
    fn word_pairs_favour_what_people_say() {
        let lex = lexicon();
        let walk = |w: &str| w.chars().try_fold(ROOT, |n, c| lex.child(n, c));
        let node = |w: &str| walk(w).unwrap_or_else(|| panic!("{w} is in the trie"));
        let id = |w: &str| {
            lex.pair_word(node(w))
                .unwrap_or_else(|| panic!("{w} has pairs"))
        };
        let gain = |a: &str, b: &str| lex.word_pair(id(a), id(b));
        // 早上七点 is said, 七点早上 much less; 发朋友圈 more than 向朋友圈.
        assert!(gain("早上", "七点") > gain("七点", "早上") + 1.0);
        assert!(gain("发", "朋友圈") > gain("向", "朋友圈") + 1.0);
        // Traditional forms read the simplified word's pairs.
        assert_eq!(id("這個"), id("这个"));
    }

    #[test]
    fn the_pair_filter_lets_every_pair_through_and_stops_most_others() {
        let lex = lexicon();
        let mut present = 0usize;
        for (a, w) in lex.pair_words.windows(2).enumerate() {
            let group = lex
                .pair_list
                .get(w[0][0] as usize..w[1][0] as usize)
                .unwrap();
            for &x in group {
                let want = f32::from(x as u8 as i8) / 8.0;
                assert_eq!(lex.word_pair(a as u32, x >> 8), want);
                present += 1;
            }
        }
        assert!(present > 1_000_000, "{present} pairs");
        // Pairs absent from the model: how many the filter wrongly passes.
        let n_words = lex.pair_words.len() as u32 - 1;
        let (mut absent, mut passed) = (0u32, 0u32);
        for k in 0..200_000u32 {
            let (a, b) = (k.wrapping_mul(2_654_435_761) % n_words, k % n_words);
            let (i, m) = pair_bits(a, b);
            let [lo, _] = lex.pair_words[a as usize];
            let [hi, _] = lex.pair_words[a as usize + 1];
            let group = &lex.pair_list[lo as usize..hi as usize];
            if group.binary_search_by_key(&b, |&x| x >> 8).is_err() {
                absent += 1;
                passed += u32::from(lex.pair_bits[i] & m == m);
            }
        }
        assert!(
            f64::from(passed) < 0.08 * f64::from(absent),
            "{passed} of {absent}"
        );
    }

    #[test]
    fn a_corrupt_image_knows_nothing() {
        static BAD: [u8; 16] = *b"CQIMG003\xff\xff\xff\xff\xff\xff\xff\xff";
        assert!(Lexicon::view(&BAD).is_none());
        assert!(Lexicon::view(b"").is_none());
        let e = Lexicon::empty();
        assert_eq!(e.child(ROOT, '我'), None);
        assert_eq!(e.ctx(bigram_key('我' as u32, '们' as u32)), 0.0);
        assert_eq!(e.pair_word(1), None);
        assert_eq!(e.word_pair(1, 2), 0.0);
    }
}
