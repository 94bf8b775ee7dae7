#!/usr/bin/env python3
"""Derive data/zh_wordpairs.bin, word-pair evidence for the repair lattice,
from the word trigram model of modern Chinese that fcitx5's libime ships
(Debian package libime-data-language-model 1.0.16-1, file
usr/lib/x86_64-linux-gnu/libime/zh_CN.lm, LGPL-2.1-or-later; see
data/README.md). Only its unigrams and bigrams are read (kenlm_trie.py).

For a pair of words w1 w2 the evidence is how much likelier w2 is after w1
than anywhere: ln P(w2 | w1) - ln P(w2), from the model's (quantised)
bigram and unigram log-probabilities. A pair the model lacks gets w1's
backoff, ln b(w1), as the model itself would. Kept:
  - words made only of Han ideographs (U+3400..U+9FFF), 1 to 6 characters,
    that data/cjk_dict.bin gives a repair probability (the only ones the
    lattice can produce or see as context);
  - per such word its backoff;
  - pairs of such words whose evidence differs from w1's backoff by at least
    MIN_GAIN nats (the rest say nothing the backoff does not).

Format (all integers little endian):
  b"CQW1" | u32 word count | u32 pair count |
  words in index order: u8 UTF-8 length | UTF-8 bytes | i8 round(8 ln b(w))
  pairs sorted by (w1, w2), grouped by w1: for each word in order
    LEB128 number of pairs | per pair LEB128 (w2 - previous w2 of the group,
    first one from 0) | i8 round(8 * evidence), clamped to -127..127

Usage: python3 data/build_zh_wordpairs.py PATH/TO/zh_CN.lm [OUT]
       (default OUT: data/zh_wordpairs.bin; reads data/cjk_dict.bin)
Get zh_CN.lm with `apt-get download libime-data-language-model` and
`dpkg-deb -x libime-data-language-model_*.deb DIR`.
"""
import hashlib
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kenlm_trie import Model  # noqa: E402

MIN_GAIN = float(os.environ.get("MIN_GAIN", "2.5"))
LN10 = math.log(10)


def is_han_word(w):
    return 1 <= len(w) <= 6 and all(0x3400 <= ord(c) <= 0x9FFF for c in w)


def dict_words(path):
    """Words of cjk_dict.bin with a repair probability (q > 0)."""
    buf = open(path, "rb").read()
    if buf[:4] != b"CQD2":
        raise ValueError("cjk_dict.bin: bad magic")
    n, _total = struct.unpack_from("<IQ", buf, 4)
    at, prev, out = 16, b"", set()
    for _ in range(n):
        shared, slen = buf[at], buf[at + 1]
        word = prev[:shared] + buf[at + 2: at + 2 + slen]
        at += 2 + slen
        q = buf[at]
        at += 1
        while buf[at] & 0x80:
            at += 1
        at += 1
        prev = word
        if q:
            out.add(word.decode("utf-8"))
    return out


def leb128(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def q8(x):
    return max(-127, min(127, round(8 * x)))


def main():
    lm_path = sys.argv[1]
    out_path = sys.argv[2] if len(sys.argv) > 2 else "data/zh_wordpairs.bin"
    here = os.path.dirname(os.path.abspath(__file__))
    known = dict_words(os.path.join(here, "cjk_dict.bin"))
    m = Model(lm_path)
    keep = [i for i, w in enumerate(m.words) if is_han_word(w) and w in known]
    uni = {i: m.unigram(i) for i in keep}
    # Pairs by w1 (the model's trie is keyed by the later word).
    pairs = {}
    for w2 in keep:
        p2 = uni[w2][0]
        for w1, p in m.bigrams(w2):
            if w1 not in uni:
                continue
            gain = (p - p2) * LN10
            if abs(gain - uni[w1][1] * LN10) >= MIN_GAIN:
                pairs.setdefault(w1, []).append((w2, gain))
    used = sorted(set(keep))
    index = {w: k for k, w in enumerate(used)}
    body = bytearray()
    for w in used:
        b = m.words[w].encode("utf-8")
        body += bytes([len(b)]) + b + struct.pack("<b", q8(uni[w][1] * LN10))
    n_pairs = 0
    for w in used:
        group = sorted((index[w2], g) for w2, g in pairs.get(w, []))
        body += leb128(len(group))
        last = 0
        for k, g in group:
            body += leb128(k - last) + struct.pack("<b", q8(g))
            last = k
        n_pairs += len(group)
    data = b"CQW1" + struct.pack("<II", len(used), n_pairs) + bytes(body)
    with open(out_path, "wb") as fh:
        fh.write(data)
    print(f"{len(used)} words, {n_pairs} pairs (MIN_GAIN {MIN_GAIN}), {len(data)} bytes,"
          f" sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
