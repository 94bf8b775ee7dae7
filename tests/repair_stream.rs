//! `colloquy repair` on large files: the text goes out piece by piece in bounded memory, equals
//! the repair of the whole text, and does not depend on the number of cores.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

const DAMAGED: [&str; 3] = [
    "000_69e3827c508b06a3.txt",
    "002_a46578f8551527d5.txt",
    "003_c8cacc78d537ad71.txt",
];

/// The damaged seeds, one after another, until the text has `bytes` bytes.
fn damaged_text(bytes: usize) -> String {
    let seeds: Vec<String> = DAMAGED
        .iter()
        .map(|n| std::fs::read_to_string(repo_corpus().join(n)).unwrap())
        .collect();
    let mut text = String::with_capacity(bytes + 40_000);
    for seed in seeds.iter().cycle() {
        if text.len() >= bytes {
            break;
        }
        text.push_str(seed);
    }
    text
}

/// `colloquy repair` with `args` in `dir` on `threads` cores: exit status, stdout, peak RSS in MB.
fn repair(dir: &Path, args: &[&str], threads: usize) -> (bool, Vec<u8>, f64) {
    let out_path = dir.join(format!("out-{threads}.txt"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_colloquy"))
        .arg("repair")
        .args(args)
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let exit = colloquy::bench::child::wait_peak(&mut child).unwrap();
    (exit.ok, std::fs::read(out_path).unwrap(), exit.peak_rss_mb)
}

#[test]
fn a_large_file_is_repaired_in_memory_that_does_not_grow_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut peaks = Vec::new();
    for mb in [4, 24] {
        let text = damaged_text(mb << 20);
        let name = format!("big{mb}.txt");
        std::fs::write(dir.path().join(&name), &text).unwrap();
        let (ok, out, peak) = repair(dir.path(), &[&name], 2);
        assert!(ok);
        // Every line comes out, repaired: the seeds' mojibake of 你觉得 and 话题 is gone.
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(text.contains("è¯é¢˜") && !out.contains("è¯é¢˜"));
        let copies = text.matches("mental healthå½±å“å¤§å—").count();
        assert!(copies > 0);
        assert_eq!(
            out.matches("你觉得social media对mental health影响大吗")
                .count(),
            copies
        );
        peaks.push((mb, peak));
    }
    // Whole-text repair held some thirty times the file (144 MB at 4 MB, 625-694 MB at 24 MB);
    // in pieces, the file itself, what learning reads of it, and a few pieces' working sets
    // (93 MB and 145 MB).
    let (small, large) = (peaks[0].1, peaks[1].1);
    assert!(
        large < small + 90.0,
        "peak RSS grew from {small:.0} MB (4 MB file) to {large:.0} MB (24 MB file)"
    );
}

#[test]
fn repair_in_pieces_writes_the_text_of_the_whole_repair() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.txt"), damaged_text(300_000)).unwrap();
    let (ok, streamed, _) = repair(dir.path(), &["t.txt"], 2);
    assert!(ok);
    let (ok, json, _) = repair(dir.path(), &["t.txt", "--json"], 2);
    assert!(ok);
    let doc: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        doc["text"].as_str().unwrap().as_bytes(),
        streamed.as_slice()
    );
}

#[test]
fn the_repair_and_its_confidences_do_not_depend_on_the_number_of_cores() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.txt"), damaged_text(150_000)).unwrap();
    let outputs: Vec<Vec<u8>> = [1, 2, 3]
        .iter()
        .map(|&threads| {
            let (ok, out, _) = repair(dir.path(), &["t.txt", "--explain"], threads);
            assert!(ok);
            out
        })
        .collect();
    assert!(String::from_utf8_lossy(&outputs[0]).contains(" p=0."));
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0], outputs[2]);
}
