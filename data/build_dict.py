#!/usr/bin/env python3
"""Derive data/zh_dict.bin from jieba-rs's dict.txt (MIT, word freq tag lines).

Format (all integers little endian):
  b"CQD1" | u32 entry count | u64 total frequency |
  entries sorted by UTF-8 bytes, front coded:
    u8 shared prefix length in bytes (always on a char boundary)
    u8 suffix length in bytes | suffix bytes | u8 round(ln(freq) * 16)

Usage: python3 data/build_dict.py PATH/TO/jieba-rs-0.11.0/src/data/dict.txt data/zh_dict.bin
"""
import math
import struct
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    freqs = {}
    total = 0
    with open(src, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, freq = parts[0], int(parts[1])
            if freq <= 0:
                continue
            total += freq
            freqs[word] = freqs.get(word, 0) + freq
    items = sorted(freqs.items(), key=lambda kv: kv[0].encode("utf-8"))
    out = bytearray(b"CQD1")
    out += struct.pack("<IQ", len(items), total)
    prev = ""
    for word, freq in items:
        shared = 0
        for a, b in zip(prev, word):
            if a != b:
                break
            shared += 1
        pb = len(word[:shared].encode("utf-8"))
        suffix = word[shared:].encode("utf-8")
        if pb > 255 or len(suffix) > 255:
            continue
        q = min(255, round(math.log(freq) * 16))
        out += bytes([pb, len(suffix)]) + suffix + bytes([q])
        prev = word
    with open(dst, "wb") as fh:
        fh.write(out)
    print(f"{len(items)} words, total {total}, {len(out)} bytes")


if __name__ == "__main__":
    main()
