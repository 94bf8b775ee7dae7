#!/usr/bin/env bash
# Property-based API test of `colloquy serve` against openapi.yaml with schemathesis (PyPI): an
# index of the seed corpus in a temporary folder, the server on a free loopback port, then
# `st run` with every check. Exits non-zero when schemathesis finds anything.
#
#   scripts/schemathesis.sh                 # builds the release binary if needed
#   ST_EXAMPLES=200 scripts/schemathesis.sh # more cases per operation (default 50)
#
# schemathesis is installed once into a virtualenv under ${XDG_CACHE_HOME:-~/.cache}/colloquy.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${XDG_CACHE_HOME:-$HOME/.cache}/colloquy"
venv="$cache/schemathesis-venv"
if [ ! -x "$venv/bin/st" ]; then
    mkdir -p "$cache"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet schemathesis
fi

target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/colloquy"
if [ ! -x "$bin" ]; then
    cargo build --release --locked
fi

work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

"$bin" ingest corpus --index "$work/index" 2>/dev/null
"$bin" serve --index "$work/index" --addr 127.0.0.1:0 >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 100); do
    [ -s "$work/out" ] && break
    sleep 0.1
done
addr="$(sed -n 's|^listening on ||p' "$work/out")"
if [ -z "$addr" ]; then
    echo "schemathesis.sh: the server did not start:" >&2
    cat "$work/err" >&2
    exit 1
fi
echo "schemathesis.sh: server at $addr on the seed index"

"$venv/bin/st" --config-file scripts/schemathesis.toml run openapi.yaml \
    --url "$addr" \
    --checks all \
    --max-examples "${ST_EXAMPLES:-50}" \
    --seed 14 \
    --generation-database none \
    --no-color \
    "$@"
