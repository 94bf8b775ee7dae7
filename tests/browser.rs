//! The page `colloquy serve` serves, in a real browser: an index built from the seed corpus (plus
//! examples/, for metadata, and one conversation whose text is HTML, to prove the page never runs
//! corpus text as markup), the real `colloquy serve` on a free loopback port, and
//! tests/browser/page.test.mjs run by node against it in headless Chromium (playwright-core).
//! Screenshots land in target/screenshots/.
//!
//! Without node/npm or /usr/bin/chromium the test prints "skipped: …" and passes, so `cargo test`
//! works on a bare machine; with `CI` (or `COLLOQUY_REQUIRE_BROWSER`, which .ci/run sets) it fails
//! instead and says what to install.
#![cfg(feature = "server")]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{run_ok, workspace};

/// Debian's Chromium; `COLLOQUY_CHROMIUM` names another binary.
fn chromium() -> PathBuf {
    std::env::var_os("COLLOQUY_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

const INSTALL: &str = "apt-get install -y chromium nodejs npm fonts-wqy-microhei \
                       && (cd tests/browser && npm ci)";

/// A conversation whose turns are HTML and script: the page must show them as text.
const HOSTILE: &str = "[A]: <img src=x onerror=\"window.__pwned=1\"> <b>bold</b> & \
                       <script>window.__pwned=2</script>\n[B]: 不要<i>相信</i> markup\n";

/// A running `colloquy serve`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    /// Starts the server on port 0 and reads the address it prints first ("listening on http://…").
    fn start(dir: &Path) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("colloquy"))
            .current_dir(dir)
            .args(["serve", "--index", "index", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start colloquy serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("first line of serve");
        // Keep reading so a later print never meets a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let at = line
            .find("http://")
            .unwrap_or_else(|| panic!("serve's first line names no address: {line:?}"));
        let url = line[at..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_owned();
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What this machine lacks to run the browser tests, if anything.
fn missing_tools() -> Option<String> {
    let mut missing = Vec::new();
    for tool in ["node", "npm"] {
        if !runs(tool) {
            missing.push(tool.to_owned());
        }
    }
    let chromium = chromium();
    if !chromium.exists() {
        missing.push(chromium.display().to_string());
    }
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// `npm ci` once per package-lock.json: a stamp in node_modules remembers the lock it installed.
fn npm_ci(dir: &Path) {
    let lock =
        std::fs::read(dir.join("package-lock.json")).expect("tests/browser/package-lock.json");
    let stamp = dir.join("node_modules/.colloquy-lock");
    if std::fs::read(&stamp).is_ok_and(|s| s == lock) {
        return;
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .expect("run npm ci");
    assert!(status.success(), "npm ci in tests/browser failed");
    std::fs::write(&stamp, &lock).expect("write the npm ci stamp");
}

/// Runs the node tests against `url`; their TAP output, and whether they passed.
fn node_tests(dir: &Path, url: &str) -> (bool, String) {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    let mut child = Command::new("node")
        .args([
            "--test",
            "--test-concurrency=1",
            "--test-timeout=60000",
            "page.test.mjs",
        ])
        .current_dir(dir)
        .env("COLLOQUY_URL", url)
        .env("CHROMIUM", chromium())
        .env("SCREENSHOT_DIR", &shots)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node --test");
    let mut err = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read node's output");
    let status = child.wait().expect("wait for node");
    out.push_str(&errors.join().unwrap_or_default());
    (status.success(), out)
}

#[test]
fn page_in_headless_chromium() {
    if let Some(missing) = missing_tools() {
        if std::env::var_os("CI").is_some()
            || std::env::var_os("COLLOQUY_REQUIRE_BROWSER").is_some()
        {
            panic!("browser tests need {missing}; install with: {INSTALL}");
        }
        eprintln!("skipped: browser tests need {missing} (install with: {INSTALL})");
        return;
    }
    let dir = workspace();
    let hostile = dir.path().join("hostile");
    std::fs::create_dir(&hostile).expect("mkdir hostile");
    std::fs::write(hostile.join("markup.txt"), HOSTILE).expect("write markup.txt");
    // examples/ brings metadata (model=gpt-4) and ids with `#` in them.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let examples = examples.to_str().expect("a UTF-8 checkout path");
    run_ok(
        dir.path(),
        &["ingest", "corpus", "hostile", examples, "--index", "index"],
    );

    let browser = browser_dir();
    npm_ci(&browser);
    let server = Server::start(dir.path());
    let (passed, output) = node_tests(&browser, &server.url);
    println!("{output}");
    assert!(
        passed,
        "browser tests failed against {}:\n{output}",
        server.url
    );
    // Every test ran: none skipped for want of the hostile conversation.
    assert!(output.contains("# skipped 0"), "{output}");
}
