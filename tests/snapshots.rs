//! Snapshot tests of every command's terminal output, with and without colour, and of the JSON.
//! Figures that change from run to run (timings, index size, scores) are redacted.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// Run colloquy in `dir` at a fixed width; returns (stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (String, String) {
    let out = colloquy(dir)
        .env("COLUMNS", "100")
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("run");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn json(dir: &Path, args: &[&str]) -> Value {
    serde_json::from_str(&run(dir, args).0).expect("JSON")
}

macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"\d+\.\d+ ms", "[time] ms"),
                (r"in \d+\.\d+s", "in [time]s"),
                (r"index [\d.]+ (B|KiB|MiB) on disk", "index [size] on disk"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $value);
        });
    };
}

fn indexed() -> tempfile::TempDir {
    let ws = workspace();
    ingest(ws.path());
    ws
}

#[test]
fn ingest_output() {
    let ws = workspace();
    let (_, stderr) = run(ws.path(), &["ingest"]);
    snap!("ingest_first", stderr);
    let (_, stderr) = run(ws.path(), &["ingest"]);
    snap!("ingest_unchanged", stderr);
}

#[test]
fn search_output() {
    let ws = indexed();
    snap!(
        "search_plain",
        run(ws.path(), &["search", "mental health", "--color", "never"]).0
    );
    snap!(
        "search_color",
        run(ws.path(), &["search", "mental health", "--color", "always"]).0
    );
    snap!(
        "search_chinese_full_plain",
        run(
            ws.path(),
            &[
                "search",
                "话题",
                "--speaker",
                "A",
                "-C",
                "0",
                "--full",
                "--color",
                "never"
            ]
        )
        .0
    );
    snap!(
        "search_no_hits",
        run(ws.path(), &["search", "xylophonequark", "--color", "never"]).0
    );
}

#[test]
fn search_json_output() {
    let ws = indexed();
    let doc = json(
        ws.path(),
        &[
            "search",
            "\"mental health\"",
            "--json",
            "--limit",
            "2",
            "-C",
            "1",
        ],
    );
    insta::assert_json_snapshot!("search_json", doc, {
        ".hits[].score" => "[score]",
        ".**.confidence" => insta::rounded_redaction(3),
        ".**.probability" => insta::rounded_redaction(3),
    });
}

#[test]
fn show_output() {
    let ws = indexed();
    snap!(
        "show_plain",
        run(
            ws.path(),
            &[
                "show",
                "001_177df1590b2f3725",
                "--turn",
                "2",
                "-C",
                "1",
                "--color",
                "never"
            ]
        )
        .0
    );
    snap!(
        "show_raw_color",
        run(
            ws.path(),
            &[
                "show",
                "000_69e3827c508b06a3",
                "--turn",
                "0",
                "-C",
                "0",
                "--raw",
                "--color",
                "always"
            ]
        )
        .0
    );
    let doc = json(
        ws.path(),
        &[
            "show",
            "000_69e3827c508b06a3",
            "--turn",
            "0",
            "-C",
            "0",
            "--json",
        ],
    );
    insta::assert_json_snapshot!("show_json", doc, {
        ".**.confidence" => insta::rounded_redaction(3),
        ".**.probability" => insta::rounded_redaction(3),
    });
}

#[test]
fn stats_output() {
    let ws = indexed();
    snap!(
        "stats_plain",
        run(ws.path(), &["stats", "--color", "never"]).0
    );
    snap!(
        "stats_color",
        run(ws.path(), &["stats", "--color", "always"]).0
    );
    let doc = json(ws.path(), &["stats", "--json"]);
    insta::assert_json_snapshot!("stats_json", doc, { ".index_bytes" => "[size]" });
}

#[test]
fn repair_explain_output() {
    let ws = workspace();
    let (stdout, _) = run(
        ws.path(),
        &["repair", "corpus/000_69e3827c508b06a3.txt", "--explain"],
    );
    let head: Vec<&str> = stdout.lines().take(25).collect();
    snap!("repair_explain_head", head.join("\n"));
    let summary = stdout.lines().last().unwrap_or_default().to_owned();
    snap!("repair_explain_summary", summary);
}

#[test]
fn help_has_examples() {
    let ws = workspace();
    for cmd in ["ingest", "search", "show", "stats", "repair", "completions"] {
        let (stdout, _) = run(ws.path(), &[cmd, "--help"]);
        assert!(stdout.contains("Examples:"), "{cmd} --help has no examples");
    }
    snap!("search_help", run(ws.path(), &["search", "--help"]).0);
}
