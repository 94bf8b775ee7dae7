//! Hostile input: each case is something a probe of the tool did, and what must happen instead
//! of a crash, a hang, or invented text.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn deeply_nested_queries_are_refused_not_a_crash() {
    let ws = workspace();
    ingest(ws.path());
    let query = format!("{}art{}", "(".repeat(10_000), ")".repeat(10_000));
    colloquy(ws.path())
        .args(["search", &query])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nested deeper than 64 levels"));
    // Sixty levels are a query like any other.
    let query = format!("{}art{}", "(".repeat(60), ")".repeat(60));
    colloquy(ws.path())
        .args(["search", &query])
        .assert()
        .code(0);
}

#[test]
fn a_truncated_utf8_character_is_replaced_not_reinterpreted() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = "[A]: 你好 世界\n".as_bytes().to_vec();
    bytes.extend(b"\xe5\xa5");
    std::fs::write(dir.path().join("t.txt"), bytes).unwrap();
    let out = colloquy(dir.path())
        .args(["repair", "t.txt", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["encoding"], "UTF-8");
    assert_eq!(doc["text"], "[A]: 你好 世界\n\u{FFFD}");
    assert_eq!(doc["guesses"].as_array().map(Vec::len), Some(0));
}

#[test]
fn control_sequences_in_the_corpus_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    std::fs::write(
        corpus.join("evil.txt"),
        "[A]: hello \x1b[2J\x1b]0;pwned\x07 world\n",
    )
    .unwrap();
    ingest(dir.path());
    let out = colloquy(dir.path())
        .args(["search", "hello", "--color", "always"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("\x1b[2J") && !text.contains("\x1b]0;") && !text.contains('\x07'));
    assert!(text.contains("\\u{1b}[2J"), "{text}");
}

#[test]
fn a_folder_that_is_not_an_index_is_never_written_or_emptied() {
    let ws = workspace();
    let u = ws.path().join("u");
    std::fs::create_dir(&u).unwrap();
    std::fs::write(u.join("meta.json"), "{}").unwrap();
    std::fs::write(u.join("0123456789abcdef0123456789abcdef.txt"), "x").unwrap();
    colloquy(ws.path())
        .args(["ingest", "corpus", "--index", "u"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a colloquy index"));
    colloquy(ws.path())
        .args(["search", "art", "--index", "u"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a colloquy index"));
    assert_eq!(std::fs::read_to_string(u.join("meta.json")).unwrap(), "{}");
    assert!(u.join("0123456789abcdef0123456789abcdef.txt").is_file());
    assert_eq!(std::fs::read_dir(&u).unwrap().count(), 2);
}

#[test]
fn an_index_that_lost_its_manifest_is_reported_not_rebuilt_from_elsewhere() {
    let ws = workspace();
    ingest(ws.path());
    let index = ws.path().join("index");
    std::fs::remove_file(index.join("colloquy-manifest.json")).unwrap();
    let before = std::fs::read_dir(&index).unwrap().count();
    colloquy(ws.path())
        .args(["search", "art"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a colloquy index"));
    colloquy(ws.path())
        .arg("ingest")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not a colloquy index"));
    assert_eq!(std::fs::read_dir(&index).unwrap().count(), before);
}

#[test]
fn an_index_inside_the_corpus_is_never_read_as_corpus() {
    let ws = workspace();
    for _ in 0..2 {
        let out = colloquy(ws.path())
            .args(["ingest", "corpus", "--index", "corpus/idx"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(
            stderr.contains("index holds 4 conversations, 80 turns"),
            "{stderr}"
        );
    }
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_lock() {
    let ws = workspace();
    ingest(ws.path());
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(ws.path().join("index/.colloquy-writer.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    colloquy(ws.path())
        .args(["ingest", "--rebuild"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "another colloquy ingest is writing",
        ));
    // Readers take no lock.
    colloquy(ws.path()).args(["search", "art"]).assert().code(0);
    drop(lock);
    colloquy(ws.path())
        .args(["ingest", "--rebuild"])
        .assert()
        .success();
}

#[cfg(unix)]
#[test]
fn names_that_show_alike_stay_two_files() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir_all(c.join("x")).unwrap();
    std::fs::write(c.join(OsStr::from_bytes(b"\xff\xfe.txt")), "[A]: one\n").unwrap();
    std::fs::write(c.join(OsStr::from_bytes(b"\xff\xfd.txt")), "[A]: two\n").unwrap();
    std::fs::write(c.join("x\\y.txt"), "[A]: three\n").unwrap();
    std::fs::write(c.join("x/y.txt"), "[A]: four\n").unwrap();
    let out = colloquy(dir.path())
        .args(["ingest", "c", "--index", "idx"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("4 conversations, 4 turns"), "{stderr}");
    let stats: serde_json::Value = serde_json::from_slice(
        &colloquy(dir.path())
            .args(["stats", "--json", "--index", "idx"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(stats["turns"], 4);
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_root_are_not_followed_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "[A]: secret words\n").unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(c.join("real.txt"), "[A]: real words\n").unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), c.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(c.join("real.txt"), c.join("inside.txt")).unwrap();
    let out = colloquy(dir.path())
        .args(["ingest", "c", "--index", "idx"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped c/link.txt: symbolic link"),
        "{stderr}"
    );
    assert!(stderr.contains("--follow-links"), "{stderr}");
    assert!(stderr.contains("2 conversations"), "{stderr}");
    colloquy(dir.path())
        .args(["search", "secret", "--index", "idx"])
        .assert()
        .code(1);
    let out = colloquy(dir.path())
        .args(["ingest", "c", "--index", "idx", "--follow-links"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 conversations"));
    colloquy(dir.path())
        .args(["search", "secret", "--index", "idx"])
        .assert()
        .code(0);
}

/// Flip a run of 64 bytes at `frac` of the first segment's fast-field file.
fn damage_fast_file(index: &std::path::Path, frac: f64) {
    let fast = std::fs::read_dir(index)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "fast"))
        .unwrap();
    let mut bytes = std::fs::read(&fast).unwrap();
    let start = (bytes.len() as f64 * frac) as usize;
    let end = (start + 64).min(bytes.len());
    for b in &mut bytes[start..end] {
        *b ^= 0xA5;
    }
    std::fs::write(&fast, bytes).unwrap();
}

#[test]
fn damaged_segments_give_an_error_that_names_the_fix() {
    for frac in [0.5, 0.8, 0.95] {
        let ws = workspace();
        ingest(ws.path());
        damage_fast_file(&ws.path().join("index"), frac);
        for args in [
            &["search", "art"][..],
            &["show", "000_69e3827c508b06a3"][..],
        ] {
            let out = colloquy(ws.path()).args(args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_ne!(out.status.code(), Some(101), "{args:?} at {frac}: {stderr}");
            if !out.status.success() {
                assert!(
                    stderr.contains("is damaged"),
                    "{args:?} at {frac}: {stderr}"
                );
                assert!(stderr.contains("colloquy ingest --rebuild"), "{stderr}");
            }
        }
        // Ingest checks every file: it refuses to build on damage, and --rebuild recovers.
        colloquy(ws.path())
            .arg("ingest")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is damaged"))
            .stderr(predicate::str::contains("--rebuild"));
        colloquy(ws.path())
            .args(["ingest", "--rebuild"])
            .assert()
            .success()
            .stderr(predicate::str::contains("4 conversations, 80 turns"));
        colloquy(ws.path()).args(["search", "art"]).assert().code(0);
    }
}

#[test]
fn decoding_is_honest_about_what_it_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    // Mostly Chinese UTF-16LE without a BOM: few NUL bytes, still text.
    let text = "[老师]: 我们今天讨论一下这个话题，你觉得怎么样？\n[学生]: 我觉得很有意思。\n";
    let utf16: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    std::fs::write(c.join("utf16.txt"), utf16).unwrap();
    // Random bytes without a NUL: not text, whatever a legacy page makes of them.
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let noise: Vec<u8> = (0..8000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .filter(|&b| b != 0)
        .collect();
    std::fs::write(c.join("noise.txt"), noise).unwrap();
    // A legacy file: decoded, and the guess is said.
    let (gbk, _, _) = encoding_rs::GBK.encode("[A]: 这个话题很有意思，我们明天再聊吧。\n");
    std::fs::write(c.join("gbk.txt"), &gbk).unwrap();
    let out = colloquy(dir.path())
        .args(["ingest", "c", "--index", "idx"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped c/noise.txt: not text"), "{stderr}");
    assert!(
        stderr.contains("c/utf16.txt: no byte-order mark and not UTF-8: decoded as UTF-16LE"),
        "{stderr}"
    );
    assert!(
        stderr.contains("c/gbk.txt: no byte-order mark and not UTF-8: decoded as"),
        "{stderr}"
    );
    assert!(stderr.contains("2 conversations, 3 turns"), "{stderr}");
    colloquy(dir.path())
        .args(["search", "话题", "--speaker", "老师", "--index", "idx"])
        .assert()
        .code(0);
}

/// Whether `dir` can be bind-mounted read-only here (root in a Linux sandbox can; elsewhere the
/// test says it was not run).
#[cfg(target_os = "linux")]
fn mount_read_only(from: &std::path::Path, to: &std::path::Path) -> bool {
    let run = |args: &[&str]| {
        std::process::Command::new("mount")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    let (from, to) = (from.to_str().unwrap(), to.to_str().unwrap());
    run(&["--bind", from, to]) && run(&["-o", "remount,ro,bind", to])
}

#[cfg(target_os = "linux")]
#[test]
fn an_index_on_read_only_media_can_be_searched() {
    let ws = workspace();
    ingest(ws.path());
    let ro = ws.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    if !mount_read_only(&ws.path().join("index"), &ro) {
        eprintln!("not run: cannot bind-mount read-only here (needs root on Linux)");
        return;
    }
    let search = colloquy(ws.path())
        .args(["search", "art", "--index", "ro"])
        .output()
        .unwrap();
    let show = colloquy(ws.path())
        .args([
            "show",
            "000_69e3827c508b06a3",
            "--index",
            "ro",
            "--turn",
            "0",
        ])
        .output()
        .unwrap();
    let _ = std::process::Command::new("umount").arg(&ro).status();
    assert_eq!(
        search.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&search.stderr)
    );
    assert_eq!(
        show.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
}

#[test]
fn a_reader_that_went_away_ends_every_command_quietly() {
    // `colloquy completions bash | head -n 3` printed "internal error: panicked": clap_complete's
    // generators panic when their writer fails. Writing to a pipe nobody reads, every command
    // exits 0 and says nothing.
    let ws = workspace();
    ingest(ws.path());
    for args in [
        &["completions", "bash"][..],
        &["completions", "fish"],
        &["search", "the", "-C", "2"],
        &["search", "the", "--jsonl"],
        &["show", "000_69e3827c508b06a3"],
        &["repair", "corpus/000_69e3827c508b06a3.txt", "--explain"],
        &["freq"],
        &["stats"],
        &["--help"],
    ] {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_colloquy"))
            .args(args)
            .current_dir(ws.path())
            .env("NO_COLOR", "1")
            .stdout(writer)
            .output()
            .expect("run");
        assert!(out.status.success(), "{args:?}: {:?}", out.status);
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}
