//! Shared helpers for integration tests: a temporary copy of the seed corpus and the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub const SEEDS: [&str; 4] = [
    "000_69e3827c508b06a3.txt",
    "001_177df1590b2f3725.txt",
    "002_a46578f8551527d5.txt",
    "003_c8cacc78d537ad71.txt",
];

pub fn repo_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A temporary working folder holding `corpus/` with the seed files.
pub fn workspace() -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).expect("mkdir corpus");
    for seed in SEEDS {
        std::fs::copy(repo_corpus().join(seed), corpus.join(seed)).expect("copy seed");
    }
    dir
}

/// The colloquy binary, run in `dir` with colour off.
pub fn colloquy(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("colloquy").expect("binary");
    cmd.current_dir(dir).env("NO_COLOR", "1");
    cmd
}

/// Run colloquy with `args` in `dir`, check it exited 0, and return its stdout and stderr.
pub fn run_ok(dir: &Path, args: &[&str]) -> (String, String) {
    let out = colloquy(dir).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "colloquy {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

/// Run a search with an output flag; its stdout, after checking it exited 0 (hits) or 1 (none).
fn search_output(dir: &Path, args: &[&str], format: &str) -> Vec<u8> {
    let out = colloquy(dir)
        .arg("search")
        .args(args)
        .arg(format)
        .output()
        .expect("run");
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "search {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Run a search with `--json` and parse it.
pub fn search_json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_slice(&search_output(dir, args, "--json")).expect("valid JSON")
}

/// Run a search with `--jsonl` and parse every line.
pub fn search_jsonl(dir: &Path, args: &[&str]) -> Vec<Value> {
    // Every hit, ranked: a limit above any fixture's hit count unless the test sets one.
    let mut args = args.to_vec();
    if !args.contains(&"--limit") {
        args.extend(["--limit", "1000000"]);
    }
    String::from_utf8(search_output(dir, &args, "--jsonl"))
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// `(conversation, turn)` of each hit.
pub fn hit_keys(hits: &[Value]) -> Vec<(String, u64)> {
    hits.iter()
        .map(|h| {
            (
                h["conversation"].as_str().unwrap_or_default().to_owned(),
                h["turn"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect()
}

pub fn ingest(dir: &Path) -> String {
    let out = colloquy(dir).arg("ingest").output().expect("run ingest");
    assert!(
        out.status.success(),
        "ingest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr).expect("utf-8")
}

/// Run colloquy with `args`, check it succeeded, and parse its JSON output.
pub fn run_json(dir: &Path, args: &[&str]) -> Value {
    let out = colloquy(dir).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}
