#!/usr/bin/env python3
"""Refresh the example outputs in README.md by running them.

Every fenced ```console block preceded by `<!-- run -->` is re-run: each `$ colloquy ...` line is
executed (in order, in one scratch copy of corpus/, data/ and examples/, with a fresh index, COLUMNS=100 and
NO_COLOR) and its output replaces the lines after it. `<!-- run head=N -->` keeps the first N lines
of each command's output and marks the cut with `[…]`.
Usage: cargo build --release && python3 scripts/readme_examples.py
"""
import os
import re
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "colloquy")


def run(cmd, cwd):
    env = dict(os.environ, COLUMNS="100", NO_COLOR="1")
    shell = cmd.replace("colloquy", BIN, 1)
    p = subprocess.run(
        shell, shell=True, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return p.stdout.rstrip("\n")


def main():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    work = tempfile.mkdtemp()
    for d in ("corpus", "data", "examples"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(work, d))
    out, lines, i = [], readme.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = re.match(r"<!-- run(?: head=(\d+))? -->", line)
        if m and i + 1 < len(lines) and lines[i + 1].startswith("```console"):
            head = int(m.group(1)) if m.group(1) else None
            out.append(lines[i + 1])
            i += 2
            while not lines[i].startswith("```"):
                if lines[i].startswith("$ "):
                    cmd = lines[i][2:]
                    out.append(lines[i])
                    result = run(cmd, work).split("\n")
                    if head is not None and len(result) > head:
                        result = result[:head] + ["[…]"]
                    out.extend(result)
                i += 1
            out.append(lines[i])
        i += 1
    open(os.path.join(ROOT, "README.md"), "w", encoding="utf-8").write("\n".join(out))
    shutil.rmtree(work)


main()
