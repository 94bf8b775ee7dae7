//! `colloquy bench formats`: the streaming and long-turn promises, measured on generated data.
//!
//! 1. A JSONL chat dataset of a chosen size (OpenAI `messages`, zh/en text recombined from the
//!    corpus) is ingested by the real binary in a child process: wall time, MB/s and the child's
//!    peak resident memory (`wait4`). The peer, in the same run, streams the same file with
//!    serde_json and indexes the message texts with tantivy's default tokenizer: the floor for
//!    any ingest of this file.
//! 2. One `[A]: ` turn of a chosen size (a pasted log) is ingested, then searched by the real
//!    binary as a user would; the peer is `rg -C2 --json` on the same file.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Serialize;
use tantivy::schema::{Schema, STORED, TEXT};
use tantivy::{doc, Index, IndexWriter, TantivyDocument};

use super::child::measure;
pub use super::child::Run;
use super::generate::{sentence, vocabulary, Rng};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize)]
pub struct FormatsBench {
    pub jsonl_bytes: u64,
    pub jsonl_records: u64,
    pub ingest: Run,
    pub peer_secs: f64,
    pub turn_bytes: u64,
    pub turn_ingest: Run,
    pub turn_search: Run,
    /// `rg -C2 --json` on the long-turn file; `None` when rg is not installed.
    pub rg_secs: Option<f64>,
}

/// Run the benchmark with a JSONL file of about `jsonl_mb` MB and a turn of `turn_mb` MB.
pub fn run(corpus: &Path, jsonl_mb: u64, turn_mb: u64) -> Result<FormatsBench> {
    let exe = std::env::current_exe().map_err(|e| Error::io("finding colloquy's binary", e))?;
    let work = tempfile::tempdir().map_err(|e| Error::io("creating a temporary folder", e))?;
    let words = vocabulary(corpus)?;

    let data = work.path().join("jsonl");
    std::fs::create_dir_all(&data).map_err(|e| Error::io("creating the data folder", e))?;
    let file = data.join("chats.jsonl");
    let (jsonl_bytes, jsonl_records) = write_jsonl(&file, &words, jsonl_mb << 20)?;
    let index = work.path().join("idx");
    let ingest = measure(
        Command::new(&exe)
            .arg("ingest")
            .arg(&data)
            .arg("--index")
            .arg(&index),
    )?;
    let started = Instant::now();
    peer_index(&file, &work.path().join("peer"))?;
    let peer_secs = started.elapsed().as_secs_f64();

    let long = work.path().join("long");
    std::fs::create_dir_all(&long).map_err(|e| Error::io("creating the data folder", e))?;
    let turn_file = long.join("paste.txt");
    let turn_bytes = write_long_turn(&turn_file, &words, turn_mb << 20)?;
    let turn_index = work.path().join("long-idx");
    let turn_ingest = measure(
        Command::new(&exe)
            .arg("ingest")
            .arg(&long)
            .arg("--index")
            .arg(&turn_index),
    )?;
    let turn_search = measure(
        Command::new(&exe)
            .args(["search", "zanzibar", "--color", "never", "--index"])
            .arg(&turn_index),
    )?;
    let rg_secs = measure(
        Command::new("rg")
            .args(["-C2", "--json", "zanzibar"])
            .arg(&turn_file),
    )
    .ok()
    .filter(|r| r.ok)
    .map(|r| r.secs);
    Ok(FormatsBench {
        jsonl_bytes,
        jsonl_records,
        ingest,
        peer_secs,
        turn_bytes,
        turn_ingest,
        turn_search,
        rg_secs,
    })
}

fn write_jsonl(path: &Path, words: &[String], target: u64) -> Result<(u64, u64)> {
    let f = std::fs::File::create(path).map_err(|e| Error::io("writing the JSONL file", e))?;
    let mut out = BufWriter::new(f);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut bytes, mut records) = (0u64, 0u64);
    let models = ["gpt-4", "vicuna-13b", "llama-2-13b-chat", "claude-2"];
    while bytes < target {
        let turns = 2 + rng.below(7);
        let messages: Vec<serde_json::Value> = (0..turns)
            .map(|i| {
                let n = 5 + rng.below(60);
                serde_json::json!({
                    "role": if i % 2 == 0 { "user" } else { "assistant" },
                    "content": sentence(&mut rng, words, n),
                })
            })
            .collect();
        let record = serde_json::json!({
            "id": format!("c{records}"),
            "model": models[rng.below(models.len())],
            "messages": messages,
        });
        let line = serde_json::to_string(&record).unwrap_or_default();
        writeln!(out, "{line}").map_err(|e| Error::io("writing the JSONL file", e))?;
        bytes += line.len() as u64 + 1;
        records += 1;
    }
    out.flush()
        .map_err(|e| Error::io("writing the JSONL file", e))?;
    Ok((bytes, records))
}

fn write_long_turn(path: &Path, words: &[String], target: u64) -> Result<u64> {
    let f = std::fs::File::create(path).map_err(|e| Error::io("writing the long turn", e))?;
    let mut out = BufWriter::new(f);
    let mut rng = Rng(42);
    let mut bytes = 0u64;
    let mut write = |s: &str, bytes: &mut u64| -> Result<()> {
        *bytes += s.len() as u64;
        out.write_all(s.as_bytes())
            .map_err(|e| Error::io("writing the long turn", e))
    };
    write("[A]: can you look at this log?\n[B]: ", &mut bytes)?;
    let mut lines = 0u64;
    while bytes < target {
        // The searched word is rare: once every 5,000 lines.
        let marker = if lines % 5000 == 2500 {
            " zanzibar"
        } else {
            ""
        };
        let line = format!("{}{marker}\n", sentence(&mut rng, words, 12));
        write(&line, &mut bytes)?;
        lines += 1;
    }
    write("[A]: thanks, found it\n", &mut bytes)?;
    out.flush()
        .map_err(|e| Error::io("writing the long turn", e))?;
    Ok(bytes)
}

/// The peer: stream the JSONL with serde_json and index each message's text with tantivy's
/// default tokenizer.
fn peer_index(file: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating the peer index", e))?;
    let mut builder = Schema::builder();
    let text = builder.add_text_field("text", TEXT | STORED);
    let index = Index::create_in_dir(dir, builder.build())?;
    let mut writer: IndexWriter<TantivyDocument> = index.writer(200_000_000)?;
    let f = std::fs::File::open(file).map_err(|e| Error::io("reading the JSONL file", e))?;
    for line in std::io::BufReader::new(f).lines() {
        let line = line.map_err(|e| Error::io("reading the JSONL file", e))?;
        let Ok(record) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        for m in record["messages"].as_array().into_iter().flatten() {
            if let Some(t) = m["content"].as_str() {
                writer.add_document(doc!(text => t))?;
            }
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// The figures as a table, with ratios against the peers.
pub fn print(out: &mut impl Write, b: &FormatsBench) -> std::io::Result<()> {
    let mb = |bytes: u64| bytes as f64 / 1e6;
    writeln!(
        out,
        "JSONL: {:.0} MB, {} records (OpenAI messages, zh/en)",
        mb(b.jsonl_bytes),
        b.jsonl_records
    )?;
    writeln!(
        out,
        "  colloquy ingest (child process) : {:>7.1} s  {:>6.1} MB/s  peak RSS {:>6.0} MB{}",
        b.ingest.secs,
        mb(b.jsonl_bytes) / b.ingest.secs,
        b.ingest.peak_rss_mb,
        if b.ingest.ok { "" } else { "  FAILED" }
    )?;
    writeln!(
        out,
        "  peer: serde_json + tantivy default tokenizer : {:>7.1} s  {:>6.1} MB/s",
        b.peer_secs,
        mb(b.jsonl_bytes) / b.peer_secs
    )?;
    writeln!(
        out,
        "  ratio colloquy/peer: {:.2}x",
        b.peer_secs / b.ingest.secs
    )?;
    writeln!(out, "one turn of {:.0} MB:", mb(b.turn_bytes))?;
    writeln!(
        out,
        "  colloquy ingest : {:>7.2} s  peak RSS {:>6.0} MB{}",
        b.turn_ingest.secs,
        b.turn_ingest.peak_rss_mb,
        if b.turn_ingest.ok { "" } else { "  FAILED" }
    )?;
    writeln!(
        out,
        "  colloquy search (whole process) : {:>7.3} s  peak RSS {:>6.0} MB{}",
        b.turn_search.secs,
        b.turn_search.peak_rss_mb,
        if b.turn_search.ok { "" } else { "  FAILED" }
    )?;
    match b.rg_secs {
        Some(rg) => writeln!(
            out,
            "  rg -C2 --json on the file : {rg:>7.3} s; ratio colloquy/rg {:.2}x",
            rg / b.turn_search.secs
        ),
        None => writeln!(
            out,
            "  rg not installed: no peer figure (apt-get install ripgrep)"
        ),
    }
}
