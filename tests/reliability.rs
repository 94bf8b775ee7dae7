//! Interrupted and concurrent ingests: an ingest killed (kill -9) at any moment and run again
//! leaves the same index as one that was never interrupted, and searches running beside an ingest
//! never fail.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

/// Every turn in the index as (conversation, turn, speaker, text), sorted.
fn snapshot(dir: &Path) -> Vec<(String, u64, String, String)> {
    let mut turns: Vec<_> = search_jsonl(dir, &["*", "-C", "0"])
        .iter()
        .map(|h| {
            (
                h["conversation"].as_str().unwrap().to_owned(),
                h["turn"].as_u64().unwrap(),
                h["speaker"].as_str().unwrap().to_owned(),
                h["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    turns.sort();
    turns
}

/// A corpus large enough that an ingest takes a while: the seeds, plus JSONL records.
fn corpus(dir: &Path) {
    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    for seed in SEEDS {
        std::fs::copy(repo_corpus().join(seed), corpus.join(seed)).unwrap();
    }
    let mut lines = String::new();
    for i in 0..400 {
        lines.push_str(&format!(
            "{{\"id\":\"r{i}\",\"messages\":[{{\"role\":\"user\",\"content\":\"question {i} about bread 面包\"}},{{\"role\":\"assistant\",\"content\":\"answer {i}: flour, water, 时间\"}}]}}\n"
        ));
    }
    std::fs::write(corpus.join("chats.jsonl"), lines).unwrap();
}

/// Changes between the first ingest and the interrupted one, for incremental runs.
fn change(dir: &Path) {
    let corpus = dir.join("corpus");
    std::fs::remove_file(corpus.join(SEEDS[3])).unwrap();
    std::fs::write(corpus.join("new.txt"), "[A]: a new file\n[B]: 新的\n").unwrap();
    let mut text = std::fs::read_to_string(corpus.join(SEEDS[1])).unwrap();
    text.push_str("\n[C]: an added turn\n");
    std::fs::write(corpus.join(SEEDS[1]), text).unwrap();
}

fn run_ingest(dir: &Path, args: &[&str]) {
    let out = colloquy(dir).arg("ingest").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ingest {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Start an ingest and kill it with SIGKILL after `delay`.
fn kill_ingest_after(dir: &Path, args: &[&str], delay: Duration) {
    let bin = assert_cmd::cargo::cargo_bin("colloquy");
    let mut child = Command::new(bin)
        .current_dir(dir)
        .arg("ingest")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill(); // SIGKILL on Unix; it may have finished already.
    let _ = child.wait();
}

/// The corpus and index an ingest of `mode` starts from: none, or a first ingest (changed since,
/// for an incremental run).
fn prepare(dir: &Path, mode: &str) {
    corpus(dir);
    if mode != "fresh" {
        run_ingest(dir, &[]);
    }
    if mode == "incremental" {
        change(dir);
    }
}

#[test]
fn an_ingest_killed_at_any_moment_recovers_to_the_same_index() {
    // The reference: each mode run without interruption.
    let modes: [(&str, &[&str]); 3] = [
        ("fresh", &[]),
        ("incremental", &[]),
        ("rebuild", &["--rebuild"]),
    ];
    // The three modes run side by side: most of each run is waiting for its kill moment.
    std::thread::scope(|scope| {
        for (mode, args) in modes {
            scope.spawn(move || {
                let reference = tempfile::tempdir().unwrap();
                prepare(reference.path(), mode);
                run_ingest(reference.path(), args);
                let expected = snapshot(reference.path());
                // Seven moments per mode, 21 in all, spread over the run.
                for k in 0..7u64 {
                    let ws = tempfile::tempdir().unwrap();
                    prepare(ws.path(), mode);
                    kill_ingest_after(ws.path(), args, Duration::from_millis(20 + k * 170));
                    run_ingest(ws.path(), &[]);
                    assert_eq!(
                        snapshot(ws.path()),
                        expected,
                        "{mode}, killed after {} ms",
                        20 + k * 170
                    );
                }
            });
        }
    });
}

#[test]
fn searches_beside_a_running_ingest_never_fail() {
    let ws = tempfile::tempdir().unwrap();
    corpus(ws.path());
    run_ingest(ws.path(), &[]);
    let bin = assert_cmd::cargo::cargo_bin("colloquy");
    let writer_log = ws.path().join("writer.err");
    let mut writer = Command::new(&bin)
        .current_dir(ws.path())
        .args(["ingest", "--rebuild"])
        .stderr(std::fs::File::create(&writer_log).unwrap())
        .spawn()
        .unwrap();
    let mut searches = 0;
    loop {
        let out = colloquy(ws.path())
            .args(["search", "bread", "--limit", "1"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        searches += 1;
        // A second writer is turned away while the first runs, and changes nothing.
        if let Ok(None) = writer.try_wait() {
            let second = colloquy(ws.path()).arg("ingest").output().unwrap();
            let stderr = String::from_utf8_lossy(&second.stderr);
            assert!(
                second.status.success() || stderr.contains("another colloquy ingest is writing"),
                "{stderr}"
            );
        }
        if writer.try_wait().unwrap().is_some() {
            break;
        }
    }
    let status = writer.wait().unwrap();
    let log = std::fs::read_to_string(&writer_log).unwrap_or_default();
    // The second writer may reach the lock first (a loaded machine starts the first one late):
    // then the first is the one turned away. Either way one writes and the other says why.
    assert!(
        status.success() || log.contains("another colloquy ingest is writing"),
        "the ingest failed ({status}): {log}"
    );
    assert!(searches > 0);
    assert_eq!(search_jsonl(ws.path(), &["*", "-C", "0"]).len(), 80 + 800);
}

#[test]
fn an_index_of_an_older_layout_is_named_with_the_fix() {
    let ws = workspace();
    ingest(ws.path());
    // An index written before the `exact` field existed: its schema lacks the field.
    let meta_path = ws.path().join("index/meta.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["schema"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["name"] != "exact");
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    let manifest_path = ws.path().join("index/colloquy-manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
    manifest["schema_version"] = 5.into();
    std::fs::write(&manifest_path, manifest.to_string()).unwrap();
    let out = colloquy(ws.path())
        .args(["search", "art"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("written by another version of colloquy"),
        "{err}"
    );
    assert!(err.contains("colloquy ingest --index"), "{err}");
    // And ingest rebuilds it: the corpus is searchable again.
    run_ingest(ws.path(), &[]);
    run_ok(ws.path(), &["search", "art"]);
}
