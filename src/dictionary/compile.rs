//! Compiles the dictionary image at build time (run by `build.rs`, which
//! includes this file and `layout.rs` by path; the library never links it).
//!
//! Inputs: `data/cjk_dict.bin` (words with their repair score and jieba
//! count, see data/build_cjk_dict.py), `data/zh_bigram.bin` (character
//! pair counts, data/build_bigram.py) and `data/zh_wordpairs.bin` (word-pair
//! evidence from libime's word model, data/build_zh_wordpairs.py). Everything a lookup needs is computed
//! here, so the program uses the image where the executable holds it,
//! without a parse or an allocation at start-up.

use super::layout::*;
use std::collections::HashMap;

/// Weight of repair's bigram evidence against the word and character
/// scores (tuned on a text that is neither seed nor held-out). The evidence
/// counts only for (never against) a candidate: the bigram text is news, and
/// a pair it never saw or saw rarely says little about dialogue.
const CTX_WEIGHT: f32 = 0.75;
/// Cap (nats of pointwise mutual information), so no pair outweighs a
/// clear word.
const CTX_CAP: f32 = 6.0;

/// Weight of the unigram in P(b | a): pairs after a character seen a few
/// times say little.
const BIGRAM_PRIOR: f64 = 8.0;

/// One word of `cjk_dict.bin`.
struct Entry {
    chars: Vec<u32>,
    /// Repair log-probability; -inf for a word only jieba knows.
    logp: f32,
    jieba: u32,
}

/// The words, in sorted order, and jieba's token count.
fn parse_words(bytes: &[u8]) -> Result<(Vec<Entry>, u64), String> {
    if bytes.get(0..4) != Some(b"CQD2") {
        return Err("cjk_dict.bin: not a CQD2 file".into());
    }
    let count = u32::from_le_bytes(fixed(bytes, 4)?) as usize;
    let total = u64::from_le_bytes(fixed(bytes, 8)?);
    let ln_total = (total as f64).max(1.0).ln() as f32;
    let mut words = Vec::with_capacity(count);
    let mut word = String::new();
    let mut pos = 16usize;
    let truncated = || "cjk_dict.bin: truncated".to_string();
    for _ in 0..count {
        let shared = *bytes.get(pos).ok_or_else(truncated)? as usize;
        let len = *bytes.get(pos + 1).ok_or_else(truncated)? as usize;
        let suffix = bytes.get(pos + 2..pos + 2 + len).ok_or_else(truncated)?;
        let suffix = std::str::from_utf8(suffix).map_err(|e| e.to_string())?;
        let q = *bytes.get(pos + 2 + len).ok_or_else(truncated)?;
        pos += 3 + len;
        let jieba = leb128(bytes, &mut pos).ok_or_else(truncated)?;
        if !word.is_char_boundary(shared) || shared > word.len() {
            return Err(format!("cjk_dict.bin: bad prefix length at byte {pos}"));
        }
        word.truncate(shared);
        word.push_str(suffix);
        let logp = if q == 0 {
            f32::NEG_INFINITY
        } else {
            f32::from(q) / 16.0 - ln_total
        };
        let chars = word.chars().map(|c| c as u32).collect();
        words.push(Entry { chars, logp, jieba });
    }
    Ok((words, total))
}

fn fixed<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], String> {
    bytes
        .get(at..at + N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "truncated header".to_string())
}

fn leb128(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut n = 0u64;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        n |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return u32::try_from(n).ok();
        }
    }
    None
}

/// The trie, level by level: the children of a node have consecutive ids
/// and sorted chars.
struct Trie {
    node_char: Vec<u32>,
    first_child: Vec<u32>,
    n_children: Vec<u32>,
    word_logp: Vec<f32>,
    jieba: Vec<u32>,
}

fn build_trie(words: &[Entry]) -> Trie {
    let mut t = Trie {
        node_char: vec![0],
        first_child: vec![0],
        n_children: vec![0],
        word_logp: vec![f32::NEG_INFINITY],
        jieba: vec![0],
    };
    let max_len = words.iter().map(|w| w.chars.len()).max().unwrap_or(0);
    let mut cur: Vec<u32> = vec![ROOT; words.len()];
    // Words still as long as the depth, in sorted order: most words are
    // short, so later levels visit few.
    let mut active: Vec<usize> = (0..words.len()).collect();
    for d in 1..=max_len {
        let mut last: Option<(u32, u32)> = None;
        let mut last_id = 0u32;
        active.retain(|&w| words[w].chars.len() >= d);
        for &w in &active {
            let (parent, c) = (cur[w], words[w].chars[d - 1]);
            if last != Some((parent, c)) {
                last_id = t.node_char.len() as u32;
                t.node_char.push(c);
                t.first_child.push(0);
                t.n_children.push(0);
                t.word_logp.push(f32::NEG_INFINITY);
                t.jieba.push(0);
                let p = parent as usize;
                if t.n_children[p] == 0 {
                    t.first_child[p] = last_id;
                }
                t.n_children[p] += 1;
                last = Some((parent, c));
            }
            cur[w] = last_id;
            if words[w].chars.len() == d {
                t.word_logp[last_id as usize] = words[w].logp;
                t.jieba[last_id as usize] = words[w].jieba;
            }
        }
    }
    t
}

fn nodes(t: &Trie) -> Vec<[u32; 4]> {
    (0..t.node_char.len())
        .map(|p| {
            let (first, n) = (t.first_child[p], t.n_children[p]);
            let only = if n == 1 {
                t.node_char[first as usize]
            } else {
                u32::MAX
            };
            [first, n, t.word_logp[p].to_bits(), only]
        })
        .collect()
}

fn edge_bits(t: &Trie) -> Vec<u64> {
    let mut bits = vec![0u64; 1 << (EDGE_BITS_LOG2 - 6)];
    for p in 0..t.node_char.len() {
        let first = t.first_child[p] as usize;
        for &u in &t.node_char[first..first + t.n_children[p] as usize] {
            let h = edge_hash(p as u32, u);
            bits[h >> 6] |= 1 << (h & 63);
        }
    }
    bits
}

/// Root children: a dense array over the main Han range, the rest sorted.
fn root_children(t: &Trie) -> (Vec<u32>, Vec<[u32; 2]>) {
    let mut han = vec![u32::MAX; (HAN_HI - HAN_LO + 1) as usize];
    let mut other = Vec::new();
    let first = t.first_child[0] as usize;
    for k in first..first + t.n_children[0] as usize {
        let u = t.node_char[k];
        if (HAN_LO..=HAN_HI).contains(&u) {
            han[(u - HAN_LO) as usize] = k as u32;
        } else {
            other.push([u, k as u32]);
        }
    }
    (han, other)
}

type Counts = (HashMap<u32, u32>, HashMap<u64, u32>);

/// Character counts and pair counts of data/zh_bigram.bin.
fn parse_bigrams(bytes: &[u8]) -> Result<Counts, String> {
    if bytes.get(0..4) != Some(b"CQB1") {
        return Err("zh_bigram.bin: not a CQB1 file".into());
    }
    let le32 = |p: usize| fixed::<4>(bytes, p).map(u32::from_le_bytes);
    let (n_uni, n_pairs) = (le32(4)? as usize, le32(8)? as usize);
    let mut uni = HashMap::with_capacity(n_uni);
    let mut pos = 20usize;
    for _ in 0..n_uni {
        uni.insert(le32(pos)?, le32(pos + 4)?);
        pos += 8;
    }
    let mut pairs = HashMap::with_capacity(n_pairs);
    for _ in 0..n_pairs {
        let n = u16::from_le_bytes(fixed(bytes, pos + 8)?);
        pairs.insert(bigram_key(le32(pos)?, le32(pos + 4)?), u32::from(n));
        pos += 10;
    }
    Ok((uni, pairs))
}

/// Bigram evidence of every pair the text showed: how much likelier `b` is
/// right after `a` than anywhere in running text, ln P(b | a) / P(b), with
/// P(b | a) interpolated towards P(b) by how often `a` was seen
/// (Witten-Bell-like), weighted and capped. A pair the text never showed
/// has none (absence is no evidence against), and pairs whose evidence is 0
/// are left out. Sorted by key, so the image is the same on every build.
fn ctx_pairs((unigram, bigram): &Counts) -> Vec<(u64, f32)> {
    let total: f64 = unigram.values().map(|&n| f64::from(n)).sum();
    let mut ctx = Vec::new();
    if total <= 0.0 {
        return ctx;
    }
    for (&key, &nab) in bigram {
        let (a, b) = ((key >> 21) as u32, (key & ((1 << 21) - 1)) as u32);
        let (Some(&na), Some(&nb)) = (unigram.get(&a), unigram.get(&b)) else {
            continue;
        };
        let pb = f64::from(nb) / total;
        let p = (f64::from(nab) + BIGRAM_PRIOR * pb) / (f64::from(na) + BIGRAM_PRIOR);
        let ratio = p / pb;
        if ratio <= 1.0 {
            continue;
        }
        let v = CTX_WEIGHT * (ratio.ln() as f32).clamp(0.0, CTX_CAP);
        if v != 0.0 {
            ctx.push((key, v));
        }
    }
    ctx.sort_by_key(|&(k, _)| k);
    ctx
}

/// Open addressing with linear probing at load factor at most 1/2, and
/// the bit filter in front of it.
fn ctx_table(pairs: &[(u64, f32)]) -> (Vec<[u32; 4]>, Vec<u64>) {
    let cap = (pairs.len() * 2).max(16).next_power_of_two();
    let empty = [EMPTY_KEY as u32, (EMPTY_KEY >> 32) as u32, 0, 0];
    let mut slots = vec![empty; cap];
    let mut bits = vec![0u64; 1 << (CTX_BITS_LOG2 - 6)];
    for &(key, v) in pairs {
        let mut i = table_hash(key) & (cap - 1);
        while slots[i] != empty {
            i = (i + 1) & (cap - 1);
        }
        slots[i] = [key as u32, (key >> 32) as u32, v.to_bits(), 0];
        let h = ctx_hash(key);
        bits[h >> 6] |= 1 << (h & 63);
    }
    (slots, bits)
}

/// `zh_wordpairs.bin` as the image holds it.
#[derive(Default)]
struct WordPairs {
    words: Vec<String>,
    /// Per word and one more: first pair, backoff (f32 bits).
    heads: Vec<[u32; 2]>,
    /// Per pair: `(second << 8) | evidence (i8 bits)`.
    list: Vec<u32>,
}

/// The bits of every pair of `wp` (see `layout::pair_bits`).
fn pair_filter(wp: &WordPairs) -> Vec<u64> {
    let mut bits = vec![0u64; 1 << (PAIR_BITS_LOG2 - 6)];
    for (a, w) in wp.heads.windows(2).enumerate() {
        for &x in wp
            .list
            .get(w[0][0] as usize..w[1][0] as usize)
            .unwrap_or(&[])
        {
            let (i, m) = pair_bits(a as u32, x >> 8);
            bits[i] |= m;
        }
    }
    bits
}

fn parse_word_pairs(bytes: &[u8]) -> Result<WordPairs, String> {
    if bytes.get(0..4) != Some(b"CQW1") {
        return Err("zh_wordpairs.bin: not a CQW1 file".into());
    }
    let n_words = fixed::<4>(bytes, 4).map(u32::from_le_bytes)? as usize;
    let truncated = || "zh_wordpairs.bin: truncated".to_string();
    let byte = |p: usize| bytes.get(p).copied().ok_or_else(truncated);
    let mut pos = 12usize;
    let mut wp = WordPairs::default();
    let mut backoffs = Vec::with_capacity(n_words);
    for _ in 0..n_words {
        let len = usize::from(byte(pos)?);
        let word = bytes.get(pos + 1..pos + 1 + len).ok_or_else(truncated)?;
        wp.words.push(
            std::str::from_utf8(word)
                .map_err(|e| e.to_string())?
                .to_string(),
        );
        backoffs.push(f32::from(byte(pos + 1 + len)? as i8) / 8.0);
        pos += 2 + len;
    }
    for backoff in backoffs {
        wp.heads.push([wp.list.len() as u32, backoff.to_bits()]);
        let n = leb128(bytes, &mut pos).ok_or_else(truncated)?;
        let mut b = 0u32;
        for _ in 0..n {
            b += leb128(bytes, &mut pos).ok_or_else(truncated)?;
            if b as usize >= n_words {
                return Err("zh_wordpairs.bin: bad word index".into());
            }
            wp.list.push((b << 8) | u32::from(byte(pos)?));
            pos += 1;
        }
    }
    wp.heads.push([wp.list.len() as u32, 0]);
    Ok(wp)
}

/// Traditional-only characters and their simplified forms
/// (`data/zh_variants.bin`, see data/build_cjk_dict.py).
fn parse_folds(bytes: &[u8]) -> Result<HashMap<u32, u32>, String> {
    if bytes.get(0..4) != Some(b"CQV2") {
        return Err("zh_variants.bin: not a CQV2 file".into());
    }
    let le32 = |p: usize| fixed::<4>(bytes, p).map(u32::from_le_bytes);
    let span = le32(8)?.saturating_sub(le32(4)?) as usize + 1;
    let at = 12 + 2 * span.div_ceil(8);
    (0..le32(at)? as usize)
        .map(|i| Ok((le32(at + 4 + 8 * i)?, le32(at + 8 + 8 * i)?)))
        .collect()
}

/// The node of `chars` if the trie has it as a repair word.
fn word_node(t: &Trie, chars: impl IntoIterator<Item = u32>) -> Option<usize> {
    let mut node = ROOT as usize;
    for u in chars {
        let first = t.first_child[node] as usize;
        let kids = t
            .node_char
            .get(first..first + t.n_children[node] as usize)?;
        node = first + kids.binary_search(&u).ok()?;
    }
    (node != ROOT as usize && t.word_logp[node].is_finite()).then_some(node)
}

/// Per trie node, the index of its word in the pair tables: its own, or
/// for a traditional form that of its simplified form (character by
/// character through the folds).
fn word_ids(t: &Trie, words: &[Entry], wp: &WordPairs, folds: &HashMap<u32, u32>) -> Vec<u32> {
    let mut ids = vec![u32::MAX; t.node_char.len()];
    let mut by_text = HashMap::new();
    for (i, w) in wp.words.iter().enumerate() {
        by_text.insert(w.chars().map(|c| c as u32).collect::<Vec<_>>(), i as u32);
        if let Some(n) = word_node(t, w.chars().map(|c| c as u32)) {
            ids[n] = i as u32;
        }
    }
    for w in words.iter().filter(|w| w.logp.is_finite()) {
        let simple: Vec<u32> = w.chars.iter().map(|u| *folds.get(u).unwrap_or(u)).collect();
        if simple == w.chars {
            continue;
        }
        if let (Some(n), Some(&id)) = (word_node(t, w.chars.iter().copied()), by_text.get(&simple))
        {
            if ids[n] == u32::MAX {
                ids[n] = id;
            }
        }
    }
    ids
}

/// The inputs of the image, as bytes.
pub struct Inputs<'a> {
    pub dict: &'a [u8],
    pub bigrams: &'a [u8],
    pub word_pairs: &'a [u8],
    pub variants: &'a [u8],
}

/// The image of `cjk_dict.bin`, `zh_bigram.bin`, `zh_wordpairs.bin` and
/// the folds of `zh_variants.bin`.
pub fn compile(inputs: &Inputs) -> Result<Vec<u8>, String> {
    let (words, total) = parse_words(inputs.dict)?;
    let trie = build_trie(&words);
    let (root_han, root_other) = root_children(&trie);
    let (slots, ctx_bits) = ctx_table(&ctx_pairs(&parse_bigrams(inputs.bigrams)?));
    let wp = parse_word_pairs(inputs.word_pairs)?;
    let ids = word_ids(&trie, &words, &wp, &parse_folds(inputs.variants)?);
    let u32s = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let quads = |v: &[[u32; 4]]| u32s(&v.concat());
    let u64s = |v: &[u64]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let sections: [Vec<u8>; SECTIONS] = [
        u32s(&trie.node_char),
        quads(&nodes(&trie)),
        u64s(&edge_bits(&trie)),
        u32s(&root_han),
        u32s(&root_other.concat()),
        u32s(&trie.jieba),
        quads(&slots),
        u64s(&ctx_bits),
        u32s(&ids),
        u32s(&wp.heads.concat()),
        u32s(&wp.list),
        u64s(&pair_filter(&wp)),
    ];
    let mut out = Vec::new();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&total.to_le_bytes());
    let mut offset = HEADER_BYTES;
    for s in &sections {
        out.extend_from_slice(&(offset as u64).to_le_bytes());
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        offset += s.len().next_multiple_of(8);
    }
    for s in &sections {
        out.extend_from_slice(s);
        out.resize(out.len().next_multiple_of(8), 0);
    }
    Ok(out)
}
