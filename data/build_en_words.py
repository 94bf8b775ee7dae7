#!/usr/bin/env python3
"""Derive data/en_words.txt, English word frequencies for the inflection
rules of src/analyzer/inflect.rs, from wordfreq 3.1.1's `large_en` list
(code Apache-2.0, data CC BY-SA 4.0, Robyn Speer; see data/README.md).

Every word made only of the letters a-z with Zipf frequency >= 2.5
(wordfreq bucket < 650), one per line, sorted bytewise:
    word SPACE bucket NEWLINE
where bucket is wordfreq's centibel bucket (Zipf = 9 - bucket / 100; smaller
is more frequent). The analyzer binary-searches the embedded text in place:
nothing is parsed at start-up.

The output depends only on the wheel: the same wheel gives the same bytes.

Usage: python3 data/build_en_words.py [data/en_words.txt]
  Uses the wheel and the msgpack venv of build_lexicon.py (downloaded once
  under ${XDG_CACHE_HOME:-~/.cache}/colloquy-data).
"""
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_lexicon  # noqa: E402  (shares the download cache and cBpack reader)

MAX_BUCKET = 650


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "en_words.txt")
    build_lexicon.ensure_msgpack()
    wheel = build_lexicon.ensure_wheel()
    with zipfile.ZipFile(wheel) as z:
        buckets = build_lexicon.read_cbpack(z.read("wordfreq/data/large_en.msgpack.gz"))
    best = {}
    for bucket, words in enumerate(buckets):
        if bucket >= MAX_BUCKET:
            break
        for w in words:
            if re.fullmatch(r"[a-z]+", w) and w not in best:
                best[w] = bucket
    lines = [f"{w} {b}\n" for w, b in sorted(best.items(), key=lambda kv: kv[0].encode())]
    with open(out, "w", encoding="ascii", newline="\n") as f:
        f.writelines(lines)
    print(f"{out}: {len(lines)} words, {sum(map(len, lines))} bytes")


if __name__ == "__main__":
    main()
