#!/usr/bin/env python3
"""Derive data/lexicon.bin, a Bloom filter of "known words" that contain a
non-ASCII letter, from the word lists of wordfreq 3.1.1 (code Apache-2.0,
data CC BY-SA 4.0, Robyn Speer; see data/README.md): every word of the
"small" lists (Zipf frequency >= 3, 42 lists), and from the "large" lists
(21 lists) the Latin-script words of Zipf 2.5 to 3:
rarer words such as "źdźbło" for the question that matters most (does a
Latin word stay Latin?), within the size budget of ~1.5 MB.

The repair engine asks it whether a repaired word is a real word in some
language. Words made only of Han, kana or hangul are left out (those scripts
have their own statistics); so are ASCII-only words, which the engine never
asks about, except German words with "ss" (see fold()).

Each word is normalised by fold(): NFC, then lowercase, then the parts of
wordfreq's own preprocessing that plain lowercasing does not reproduce, so
that src/repair/lexicon.rs can match its data with char::to_lowercase:
  - U+0130 (I with dot) -> "i" before lowercasing (wordfreq's Turkish rule);
  - final sigma -> sigma, sharp s -> "ss" (wordfreq case-folds);
  - s/t with comma below -> with cedilla (wordfreq turns Romanian cedillas
    into commas and Turkish commas into cedillas; one form for both);
  - Arabic and Hebrew combining marks and the tatweel removed (wordfreq
    strips them from those scripts).

Format (all integers little endian):
  b"CQL1" | u32 k (hash count) | u64 m (bits) | u64 n (words) |
  bit array of m bits as ceil(m / 64) u64 words (bit j is bit j % 64 of
  word j / 64).
Hashing: h = 64-bit FNV-1a of the folded word's UTF-8 bytes,
h1 = h & 0xffffffff, h2 = (h >> 32) | 1; bits (h1 + i * h2) mod m, i < k.

The output depends only on the wheel: the same wheel gives the same bytes.

Usage: python3 data/build_lexicon.py [data/lexicon.bin]
  Downloads wordfreq-3.1.1 (pip download --no-deps) and installs msgpack into
  a venv, both under ${XDG_CACHE_HOME:-~/.cache}/colloquy-data, once.
"""
import gzip
import math
import os
import random
import struct
import subprocess
import sys
import unicodedata
import zipfile

WHEEL_VERSION = "3.1.1"
# Buckets of a cBpack list are centibels below frequency 1; Zipf = 9 - j / 100.
LARGE_MIN_ZIPF = 2.5
K = 8
TARGET_FP = 0.005
MAX_BYTES = 1_500_000
FP_TRIALS = 100_000

CACHE = os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "colloquy-data"
)
VENV = os.path.join(CACHE, "venv")


def ensure_msgpack():
    """Re-run this script under the cache venv when msgpack is missing."""
    try:
        import msgpack  # noqa: F401

        return
    except ImportError:
        pass
    py = os.path.join(VENV, "bin", "python")
    if os.path.abspath(sys.executable) == os.path.abspath(py):
        sys.exit("msgpack is not importable in " + VENV)
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "msgpack>=1.0.7,<2"], check=True)
    os.execv(py, [py] + sys.argv)


def ensure_wheel():
    wheel = os.path.join(CACHE, f"wordfreq-{WHEEL_VERSION}-py3-none-any.whl")
    if not os.path.exists(wheel):
        os.makedirs(CACHE, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"wordfreq=={WHEEL_VERSION}",
             "--no-deps", "-d", CACHE],
            check=True,
        )
    return wheel


def read_cbpack(raw):
    """wordfreq's read_cBpack: a header, then item i >= 1 lists the words of
    frequency 10 ** (-(i - 1) / 100), most frequent first."""
    import msgpack

    data = msgpack.unpackb(gzip.decompress(raw), raw=False)
    header = data[0]
    if not isinstance(header, dict) or header.get("format") != "cB" or header.get("version") != 1:
        raise ValueError("unexpected cBpack header: %r" % (header,))
    return data[1:]


def is_cjk(c):
    o = ord(c)
    return (
        0x2E80 <= o <= 0x2FDF  # CJK radicals, Kangxi radicals
        or 0x3005 <= o <= 0x3007  # iteration mark, closing mark, ideographic zero
        or 0x3040 <= o <= 0x30FF  # hiragana, katakana
        or 0x3100 <= o <= 0x312F  # bopomofo
        or 0x3131 <= o <= 0x318F  # hangul compatibility jamo
        or 0x31A0 <= o <= 0x31FF  # bopomofo ext., katakana phonetic ext.
        or 0x3400 <= o <= 0x4DBF
        or 0x4E00 <= o <= 0x9FFF
        or 0xA960 <= o <= 0xA97F  # hangul jamo ext. A
        or 0xAC00 <= o <= 0xD7FF  # hangul syllables, jamo ext. B
        or 0x1100 <= o <= 0x11FF  # hangul jamo
        or 0xF900 <= o <= 0xFAFF
        or 0xFF66 <= o <= 0xFFDC  # half-width katakana and hangul
        or 0x20000 <= o <= 0x3FFFF
    )


def is_mark_stripped(c):
    """Arabic and Hebrew combining marks and the tatweel (the Mn marks of
    those blocks, as in src/repair/lexicon.rs)."""
    o = ord(c)
    return (
        0x0591 <= o <= 0x05BD
        or o in (0x05BF, 0x05C1, 0x05C2, 0x05C4, 0x05C5, 0x05C7)
        or 0x0610 <= o <= 0x061A
        or 0x064B <= o <= 0x065F
        or o in (0x0640, 0x0670)
        or 0x06D6 <= o <= 0x06DC
        or 0x06DF <= o <= 0x06E4
        or o in (0x06E7, 0x06E8)
        or 0x06EA <= o <= 0x06ED
    )


FOLD = {"ς": "σ", "ß": "ss", "ș": "ş", "ț": "ţ"}


def fold(word):
    w = unicodedata.normalize("NFC", word).replace("İ", "i").lower()
    return "".join(FOLD.get(c, c) for c in w if not is_mark_stripped(c))


def is_latin(word):
    """Every letter in Latin blocks (Basic Latin to IPA, Latin Extended
    Additional)."""
    return all(
        ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF for c in word if c.isalpha()
    )


def wanted(word, lang):
    """A non-ASCII letter outside Han/kana/hangul; or, in German, an ASCII
    word with "ss" that may have been written with a sharp s."""
    if any(ord(c) > 0x7F and c.isalpha() and not is_cjk(c) for c in word):
        return True
    return lang == "de" and "ss" in word and word.isascii()


def collect(wheel):
    """The folded words and how many each list contributed (before
    duplicates across lists are merged)."""
    words = set()
    per_list = {}
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(z.namelist()):
            base = os.path.basename(name)
            if not name.startswith("wordfreq/data/") or not base.endswith(".msgpack.gz"):
                continue
            kind, _, lang = base[: -len(".msgpack.gz")].partition("_")
            if kind not in ("small", "large"):
                continue
            kept = 0
            for j, bucket in enumerate(read_cbpack(z.read(name))):
                zipf = 9 - j / 100
                if kind == "large" and (zipf >= 3 or zipf < LARGE_MIN_ZIPF):
                    continue
                for w in bucket:
                    f = fold(w)
                    if wanted(f, lang) and (kind == "small" or is_latin(f)):
                        words.add(f)
                        kept += 1
            per_list[base.split(".")[0]] = kept
    return sorted(words), per_list


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def positions(word, m):
    h = fnv1a(word.encode("utf-8"))
    h1, h2 = h & 0xFFFFFFFF, (h >> 32) | 1
    return [(h1 + i * h2) % m for i in range(K)]


def bits_for(n):
    """m for TARGET_FP with K hashes: (1 - e^(-Kn/m))^K = p."""
    m = math.ceil(-K * n / math.log(1 - TARGET_FP ** (1 / K)))
    return (m + 63) // 64 * 64


def build(words):
    m = bits_for(len(words))
    bits = bytearray(m // 8)
    for w in words:
        for p in positions(w, m):
            bits[p >> 3] |= 1 << (p & 7)
    # Little-endian u64 words hold bit j at bit j % 64 of word j / 64, which
    # is byte j / 8, bit j % 8: the byte array already is that layout.
    return m, bytes(bits)


def false_positive_rate(words, m, bits):
    """On random strings of accented letters that are not in the set."""
    rng = random.Random(20261129)
    alphabet = "áàâäãåąčćçďéèêëěęíìîïľĺłńňñóòôöõőřŕšśşťúùûüůűýÿžźżğıæøœðþ"
    known = set(words)
    hits = trials = 0
    while trials < FP_TRIALS:
        w = "".join(rng.choice(alphabet) for _ in range(rng.randint(3, 10)))
        if w in known:
            continue
        trials += 1
        if all(bits[p >> 3] >> (p & 7) & 1 for p in positions(w, m)):
            hits += 1
    return hits / trials


def main():
    ensure_msgpack()
    dst = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "lexicon.bin")
    words, per_list = collect(ensure_wheel())
    m, bits = build(words)
    out = b"CQL1" + struct.pack("<IQQ", K, m, len(words)) + bits
    if len(out) > MAX_BYTES:
        sys.exit(f"{len(out)} bytes is over {MAX_BYTES}: drop the rarest words first")
    with open(dst, "wb") as fh:
        fh.write(out)
    lists = " ".join(f"{name}:{n}" for name, n in sorted(per_list.items()) if n)
    print(f"words kept per list: {lists}")
    print(f"n = {len(words)} words, m = {m} bits, k = {K}, {len(out)} bytes")
    fp = false_positive_rate(words, m, bits)
    print(f"false positives on {FP_TRIALS} random non-words: {fp:.4%}")


if __name__ == "__main__":
    main()
