//! Behaviour on a terminal vs a pipe: colour and the progress bar appear only on a terminal.
//! The terminal is a real pseudo-terminal made by util-linux `script`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// colloquy with `args`, to run under a pseudo-terminal.
fn script(dir: &Path, args: &str) -> Command {
    let bin = assert_cmd::cargo::cargo_bin("colloquy");
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .current_dir(dir);
    cmd
}

/// Run colloquy under a pseudo-terminal; returns everything the terminal showed.
fn on_tty(dir: &Path, args: &str) -> String {
    let out = script(dir, args)
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .output()
        .expect("util-linux script runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn terminal_gets_colour_and_a_progress_bar() {
    let ws = workspace();
    let shown = on_tty(ws.path(), "ingest");
    assert!(
        shown.contains("ingest \u{1b}["),
        "no progress bar drawn: {shown:?}"
    );
    assert!(shown.contains("/4"), "no file count in the bar: {shown:?}");
    let shown = on_tty(ws.path(), "search 'mental health'");
    assert!(shown.contains("\u{1b}[1;31mmental"), "no colour: {shown:?}");
    // NO_COLOR turns colour off even on a terminal.
    let plain = script(ws.path(), "search 'mental health'")
        .env("NO_COLOR", "1")
        .output()
        .expect("script");
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
}

#[test]
fn pipes_get_neither() {
    let ws = workspace();
    let out = colloquy(ws.path())
        .env_remove("NO_COLOR")
        .arg("ingest")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains("/4"),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("ingested 4 files"),
        "the summary line is always printed"
    );
    let out = colloquy(ws.path())
        .env_remove("NO_COLOR")
        .args(["search", "mental health"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains('\u{1b}') && stdout.contains("**mental**"),
        "{stdout:?}"
    );
}
