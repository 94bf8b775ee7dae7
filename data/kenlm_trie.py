#!/usr/bin/env python3
"""Read the unigrams and bigrams of a KenLM binary model of type
QUANT_ARRAY_TRIE (what libime's `slm_build_binary -s -a 22 -q 8 trie` writes,
e.g. /usr/lib/x86_64-linux-gnu/libime/zh_CN.lm of Debian's
libime-data-language-model), without KenLM.

The layout, as KenLM 0.3.0's lm/binary_format.cc, vocab.cc, search_trie.cc,
trie.cc, bhiksha.cc and quantize.cc write it (little endian):
  header: Sanity (88 bytes: magic "mmap lm http://kheafield.com/code format
    version 5\\n\\0", floats 0, 1, -0.5, ...), FixedWidthParameters (20 bytes:
    order u8, probing multiplier f32, model type u32, has_vocabulary u8,
    search version u32), one u64 count per order, padded to 8 bytes;
  vocabulary: u64 n, then n sorted u64 word hashes (word index = position + 1;
    index 0 is <unk>);
  quantiser: 3 bytes (version 2, prob bits, backoff bits) padded to 8, then per
    middle order a prob and a backoff table (2^bits f32 each), then the
    longest order's prob table;
  unigrams: (count + 2) x {f32 log10 prob, f32 log10 backoff, u64 first
    bigram};
  per middle order: array-compressed next pointers (8-byte header, u64 table),
    then bit-packed entries {word index, backoff bin, prob bin, low bits of
    the next pointer};
  longest order: bit-packed {word index, prob bin};
  then the vocabulary's strings, NUL-terminated, in word-index order.
Probabilities are log10. Only what build_zh_wordpairs.py needs is decoded.
"""
import struct


def required_bits(v):
    return v.bit_length()


def chop_bits(max_offset, max_next, configured):
    required = required_bits(max_next)
    best, lowest = 0, None
    for chop in range(0, min(required, configured) + 1):
        change = (max_next >> (required - chop)) * 64 - max_offset * chop
        if lowest is None or change < lowest:
            lowest, best = change, chop
    return best


class Model:
    def __init__(self, path):
        with open(path, "rb") as fh:
            self.buf = buf = fh.read()
        magic = b"mmap lm http://kheafield.com/code format version 5\n\0"
        if not buf.startswith(magic):
            raise ValueError("not a KenLM format-5 binary")
        order, _mult, model_type, has_vocab, _ver = struct.unpack_from("<BxxxfIBxxxI", buf, 88)
        if model_type != 5 or not has_vocab:
            raise ValueError(f"model type {model_type} (want 5, QUANT_ARRAY_TRIE, with words)")
        self.order = order
        self.counts = list(struct.unpack_from(f"<{order}Q", buf, 108))
        header = (108 + 8 * order + 7) // 8 * 8
        n_vocab = struct.unpack_from("<Q", buf, header)[0]
        if n_vocab + 1 != self.counts[0]:
            raise ValueError("vocabulary size disagrees with the unigram count")
        at = header + 8 + 8 * self.counts[0]
        # Quantiser.
        qver, self.prob_bits, self.backoff_bits = buf[at], buf[at + 1], buf[at + 2]
        if qver != 2:
            raise ValueError(f"quantiser version {qver}")
        pb, bb = 1 << self.prob_bits, 1 << self.backoff_bits
        t = at + 8
        self.mid_prob = struct.unpack_from(f"<{pb}f", buf, t)
        self.mid_backoff = struct.unpack_from(f"<{bb}f", buf, t + 4 * pb)
        at += (order - 2) * 4 * (pb + bb) + 4 * pb + 8
        # Unigrams.
        self.uni_at = at
        at += (self.counts[0] + 2) * 16
        # Bigrams (the first middle order).
        if order < 3:
            raise ValueError("expects a trigram or longer model")
        max_offset, max_next = self.counts[1] + 1, self.counts[2]
        bver, configured = buf[at], buf[at + 1]
        if bver != 0:
            raise ValueError(f"array compression version {bver}")
        chop = chop_bits(max_offset, max_next, configured)
        array_count = (max_next >> (required_bits(max_next) - chop)) + 1
        bhiksha_size = 8 * (1 + array_count) + 7
        self.big_at = at + bhiksha_size
        self.word_bits = required_bits(self.counts[0])
        inline = required_bits(max_next) - chop
        self.total_bits = self.word_bits + self.prob_bits + self.backoff_bits + inline
        # Strings: after every order's tables.
        mid_size = bhiksha_size + ((1 + self.counts[1]) * self.total_bits + 7) // 8 + 8
        at += mid_size
        for i in range(2, order - 1):
            raise ValueError("orders above 3 are not supported")
        long_bits = self.word_bits + self.prob_bits
        at += ((1 + self.counts[-1]) * long_bits + 7) // 8 + 8
        words = buf[at:].split(b"\0")
        if words[0] != b"<unk>" or len(words) < self.counts[0]:
            raise ValueError("vocabulary strings are not where the layout puts them")
        self.words = [w.decode("utf-8", "replace") for w in words[: self.counts[0]]]

    def unigram(self, w):
        """(log10 prob, log10 backoff, first bigram index) of word index w."""
        return struct.unpack_from("<ffQ", self.buf, self.uni_at + 16 * w)

    def _bits(self, bit_off, length):
        v = int.from_bytes(self.buf[self.big_at + (bit_off >> 3): self.big_at + (bit_off >> 3) + 8], "little")
        return (v >> (bit_off & 7)) & ((1 << length) - 1)

    def bigrams(self, w1):
        """(w2, log10 P(w2 | w1)) for every bigram with context w1."""
        begin = self.unigram(w1)[2]
        end = self.unigram(w1 + 1)[2]
        for i in range(begin, end):
            off = i * self.total_bits
            w2 = self._bits(off, self.word_bits)
            q = self._bits(off + self.word_bits + self.backoff_bits, self.prob_bits)
            yield w2, self.mid_prob[q]


if __name__ == "__main__":
    import sys

    m = Model(sys.argv[1])
    print("order", m.order, "counts", m.counts, "bits", m.prob_bits, m.backoff_bits, m.total_bits)
    for w in sys.argv[2:]:
        i = m.words.index(w)
        p, b, _ = m.unigram(i)
        print(w, i, p, b)
        best = sorted(m.bigrams(i), key=lambda x: -x[1])[:10]
        print("  ", [(m.words[a], round(q, 2)) for a, q in best])
