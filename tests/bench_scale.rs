//! `colloquy bench scale` end to end: the real binary generates a 2 MB corpus, ingests it, runs
//! the query mix, and its JSON has every figure with sane values. And `colloquy bench ingest`:
//! its peers index the turns ingest indexed, whatever the corpus's format.

mod common;

use common::*;
use serde_json::Value;

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

#[test]
fn bench_scale_reports_every_figure() {
    let dir = workspace();
    let (stdout, _) = run_ok(
        dir.path(),
        &["bench", "scale", "--size", "2MB", "--runs", "3", "--json"],
    );
    let reports: Value = serde_json::from_str(&stdout).expect("JSON");
    let reports = reports.as_array().expect("one report per size");
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r["size"], "2MB");

    let corpus = &r["corpus"];
    assert!(num(corpus, "bytes") >= 2e6);
    assert!(num(corpus, "files") >= 10.0);
    assert!(num(corpus, "jsonl_files") >= 1.0 && num(corpus, "bracket_files") >= 1.0);
    let damaged = num(corpus, "damaged_files") / num(corpus, "files");
    assert!((0.6..0.9).contains(&damaged), "damaged share {damaged}");
    assert_eq!(num(r, "indexed_files"), num(corpus, "files"));
    assert_eq!(num(r, "indexed_turns"), num(corpus, "turns"));
    assert_eq!(num(r, "skipped_records"), 0.0);

    let ingest = r["ingest"].as_array().expect("ingest rows");
    assert_eq!(
        ingest.iter().map(|i| num(i, "threads")).collect::<Vec<_>>(),
        [1.0, 2.0]
    );
    for i in ingest {
        assert!(num(i, "mb_s") > 0.0 && num(i, "turns_s") > 0.0, "{i}");
        assert!(i["run"]["ok"].as_bool().unwrap_or(false), "{i}");
        let rss = num(&i["run"], "peak_rss_mb");
        assert!((5.0..4000.0).contains(&rss), "{i}");
    }
    assert!(num(&r["reingest"], "secs") > 0.0);
    assert!(num(r, "index_bytes") > 0.0);
    assert!((0.05..20.0).contains(&num(r, "index_ratio")));
    assert!(num(r, "store_bytes") > 0.0);
    let fields = r["fields"].as_array().expect("fields");
    let text = fields
        .iter()
        .find(|f| f["field"] == "text")
        .expect("the text field's size");
    assert!(num(text, "postings") > 0.0 && num(text, "positions") > 0.0);
    let summed: f64 = fields.iter().map(|f| num(f, "total")).sum();
    assert!(summed + num(r, "store_bytes") <= num(r, "index_bytes"));

    let queries = r["queries"].as_array().expect("queries");
    let labels: Vec<&str> = queries
        .iter()
        .map(|q| q["label"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        labels,
        [
            "English word",
            "rare English word",
            "Chinese word",
            "single Han character",
            "phrase",
            "zh/en mixed",
            "--speaker A",
            "--lang zh"
        ]
    );
    let rg = r["rg"].is_string();
    for q in queries {
        let (p50, p95, p99) = (num(q, "p50_ms"), num(q, "p95_ms"), num(q, "p99_ms"));
        assert!(0.0 < p50 && p50 <= p95 && p95 <= p99, "{q}");
        assert!(num(q, "in_process_p50_ms") > 0.0, "{q}");
        assert_eq!(q["rg_p50_ms"].is_number(), rg, "{q}");
        assert_eq!(q["ratio"].is_number(), rg, "{q}");
        assert!(q["args"].as_array().is_some_and(|a| a.len() >= 2), "{q}");
    }
    // The planted rare word is found exactly where it was planted; the common ones are common.
    assert_eq!(num(&queries[1], "hits"), num(corpus, "rare_turns"));
    for common in [0, 2, 3] {
        assert!(num(&queries[common], "hits") >= 20.0, "{}", queries[common]);
    }
    assert!(num(&queries[0], "hits") > num(&queries[6], "hits"));
}

#[test]
fn bench_scale_table_and_bad_size() {
    let dir = workspace();
    let out = colloquy(dir.path())
        .args(["bench", "scale", "--size", "1MB", "--runs", "1"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    for figure in [
        "figure",
        "ingest 1 thread(s): MB/s",
        "ingest 2 thread(s): peak RSS",
        "re-ingest, nothing changed",
        "index / corpus",
        "field text",
        "search English word",
        "search --lang zh",
    ] {
        assert!(table.contains(figure), "{figure} missing:\n{table}");
    }
    let bad = colloquy(dir.path())
        .args(["bench", "scale", "--size", "lots"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot read size"));
}

#[test]
fn bench_ingest_peers_index_the_turns_ingest_read_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("mixed");
    std::fs::create_dir(&corpus).expect("mkdir");
    // Three JSONL records of two turns, an [A]: transcript of three, a ShareGPT array of one
    // record of two: 11 turns per copy. Read as lines of text, the JSON files give other counts.
    let jsonl = (0..3)
        .map(|i| {
            format!(
                r#"{{"messages":[{{"role":"user","content":"question {i} about tea"}},{{"role":"assistant","content":"answer {i}, 茶很好"}}]}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(corpus.join("chat.jsonl"), jsonl + "\n").expect("write");
    std::fs::write(
        corpus.join("talk.txt"),
        "[A]: hello there\n[B]: hi, 你好\n[A]: how was the tea?\n",
    )
    .expect("write");
    std::fs::write(
        corpus.join("share.json"),
        r#"[{"id":"x1","conversations":[{"from":"human","value":"what is a haiku?"},{"from":"gpt","value":"a short poem"}]}]"#,
    )
    .expect("write");
    let (stdout, _) = run_ok(
        dir.path(),
        &[
            "bench", "ingest", "--corpus", "mixed", "--copies", "2", "--json",
        ],
    );
    let b: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(num(&b, "files"), 6.0);
    assert_eq!(num(&b, "turns"), 22.0, "{b}");
    assert_eq!(num(&b, "prepared_turns"), 22.0, "{b}");
    for stage in ["colloquy", "prepare", "peer", "analyzer"] {
        let t = &b[stage];
        assert!(num(t, "secs") > 0.0, "{stage}: {t}");
        assert!(num(t, "cpu_secs") >= 0.0, "{stage}: {t}");
    }
}
