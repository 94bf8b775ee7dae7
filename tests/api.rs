//! `colloquy serve` end to end: the real binary on an index built from the seed corpus, asked over
//! HTTP with a plain TcpStream client, its answers compared with the CLI's JSON.

#![cfg(feature = "server")]

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{run_json, run_ok, workspace};
use serde_json::Value;

/// A running `colloquy serve`, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(dir: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("colloquy"))
            .current_dir(dir)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start colloquy serve");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("first line");
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Server { child, addr }
    }

    /// GET `path`: status, content type, body.
    fn get(&self, path: &str) -> Response {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read");
        Response::parse(&raw)
    }

    fn json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        serde_json::from_slice(&r.body).expect("JSON body")
    }

    /// The error body of a failing request, after checking its status.
    fn error(&self, path: &str, status: u16) -> Value {
        let r = self.get(path);
        assert_eq!(
            r.status,
            status,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
        let v: Value = serde_json::from_slice(&r.body).expect("JSON error");
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        v["error"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Response {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("end of headers");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v == "chunked")
        {
            body = dechunk(&body);
        }
        Response {
            status,
            headers,
            body,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).expect("hex"), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
}

/// Percent-encode a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A workspace with its index built, and a server on it.
fn served() -> (tempfile::TempDir, Server) {
    let ws = workspace();
    run_ok(ws.path(), &["ingest"]);
    let server = Server::start(ws.path(), &[]);
    (ws, server)
}

#[test]
fn search_answers_the_clis_hits() {
    let (ws, server) = served();
    for (query, extra_cli, extra_api) in [
        ("art", vec![], ""),
        (
            "photography OR 照片",
            vec!["--limit", "7", "-C", "2"],
            "&limit=7&context=2",
        ),
        (
            "art",
            vec!["--sort", "position", "--offset", "3"],
            "&sort=position&offset=3",
        ),
        (
            "技术",
            vec!["--speaker", "B", "-A", "0"],
            "&speaker=B&after=0",
        ),
    ] {
        let mut args = vec![query];
        args.extend(&extra_cli);
        let cli = common::search_json(ws.path(), &args);
        let api = server.json(&format!("/api/search?q={}{extra_api}", enc(query)));
        assert_eq!(api["hits"], cli["hits"], "{query} {extra_cli:?}");
        assert_eq!(api["total_hits"], cli["total_hits"], "{query}");
        assert!(
            api["hits"].as_array().is_some_and(|h| !h.is_empty()),
            "{query}"
        );
        assert!(api["took_ms"].as_f64().is_some_and(|t| t >= 0.0));
    }
    let page = server.json("/api/search?q=art&limit=2&offset=4&facets=false");
    assert_eq!(
        (page["limit"].as_u64(), page["offset"].as_u64()),
        (Some(2), Some(4))
    );
    assert!(page.get("facets").is_none());
}

#[test]
fn kwic_lines_are_the_clis_rows() {
    let (ws, server) = served();
    let cli = run_json(
        ws.path(),
        &[
            "search", "art", "--kwic", "--json", "--width", "60", "--sort", "left1",
        ],
    );
    let api = server.json("/api/search?q=art&kwic=true&width=60&sort=left1");
    assert_eq!(api["lines"], cli["rows"]);
    assert!(api.get("hits").is_none());
    assert!(api["lines"].as_array().is_some_and(|l| !l.is_empty()));
}

/// Matching turns per value, from every hit the CLI exports.
fn counts(hits: &[Value], key: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for h in hits {
        let values = match &h[key] {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            v => vec![v.as_str().unwrap_or_default()],
        };
        for v in values {
            *counts.entry(v.to_lowercase()).or_default() += 1;
        }
    }
    counts
}

fn facet_counts(facets: &Value) -> BTreeMap<String, u64> {
    facets
        .as_array()
        .expect("facet list")
        .iter()
        .map(|f| {
            let v = f["value"].as_str().expect("value").to_lowercase();
            (v, f["count"].as_u64().expect("count"))
        })
        .collect()
}

#[test]
fn facets_count_every_match_per_speaker_and_language() {
    let (ws, server) = served();
    for (query, filter_cli, filter_api) in [
        ("*", vec![], ""),
        ("the OR 这个", vec![], ""),
        ("art", vec!["--lang", "zh"], "&lang=zh"),
    ] {
        let mut args = vec!["search", query, "--all", "--jsonl"];
        args.extend(&filter_cli);
        let (out, _) = run_ok(ws.path(), &args);
        let hits: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        // A page of one: the facets still count every match.
        let api = server.json(&format!("/api/search?q={}{filter_api}&limit=1", enc(query)));
        assert_eq!(
            api["total_hits"].as_u64(),
            Some(hits.len() as u64),
            "{query}"
        );
        assert_eq!(
            facet_counts(&api["facets"]["speaker"]),
            counts(&hits, "speaker"),
            "{query}"
        );
        assert_eq!(
            facet_counts(&api["facets"]["lang"]),
            counts(&hits, "languages"),
            "{query}"
        );
        let speakers = api["facets"]["speaker"].as_array().expect("speakers");
        assert!(speakers
            .windows(2)
            .all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64()));
    }
}

#[test]
fn show_stats_and_aggregates_answer_the_clis_documents() {
    let (ws, server) = served();
    let id = common::search_json(ws.path(), &["art"])["hits"][0]["conversation"]
        .as_str()
        .expect("an id")
        .to_owned();
    let cli = run_json(ws.path(), &["show", &id, "--json"]);
    assert_eq!(server.json(&format!("/api/show?conversation={id}")), cli);
    let cli = run_json(
        ws.path(),
        &["show", &id, "--turn", "3", "-C", "1", "--json"],
    );
    let api = server.json(&format!("/api/show?conversation={id}&turn=3&context=1"));
    assert_eq!(api, cli);
    assert_eq!(api["turns"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        server.json("/api/stats"),
        run_json(ws.path(), &["stats", "--json"])
    );
    let cli = run_json(
        ws.path(),
        &["freq", "art", "--by", "speaker", "--top", "5", "--json"],
    );
    assert_eq!(server.json("/api/freq?q=art&by=speaker&top=5"), cli);
    let cli = run_json(
        ws.path(),
        &[
            "collocates",
            "art",
            "--window",
            "3,3",
            "--measure",
            "all",
            "--json",
        ],
    );
    let api = server.json("/api/collocates?word=art&window=3,3&measure=all");
    assert_eq!(api, cli);
    assert!(api["groups"][0]["node_frequency"].as_u64() > Some(0));
}

#[test]
fn pages_and_assets_are_embedded() {
    let (_ws, server) = served();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (path, file, kind) in [
        ("/", "web/index.html", "text/html"),
        ("/c/000_69e3827c508b06a3", "web/index.html", "text/html"),
        ("/assets/app.js", "web/app.js", "text/javascript"),
        ("/assets/style.css", "web/style.css", "text/css"),
        ("/api/openapi.yaml", "openapi.yaml", "application/yaml"),
    ] {
        let r = server.get(path);
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type")
                .is_some_and(|t| t.starts_with(kind)),
            "{path}"
        );
        assert_eq!(
            r.body,
            std::fs::read(repo.join(file)).expect("file"),
            "{path}"
        );
        // The page may run its own script only, whatever text it shows.
        if kind == "text/html" {
            let policy = r.header("content-security-policy").unwrap_or_default();
            assert!(policy.contains("script-src 'self'"), "{path}: {policy}");
        }
    }
}

#[test]
fn errors_are_json_with_their_status() {
    let (_ws, server) = served();
    let e = server.error("/api/search?q=art%20(painting", 400);
    assert_eq!(e["kind"], "bad_query");
    assert!(e["position"].as_u64().is_some(), "{e}");
    let e = server.error("/api/search?q=%2F%5B%2F", 400);
    assert_eq!(e["kind"], "bad_query");
    for (path, status, kind) in [
        ("/api/search", 400, "bad_request"),
        ("/api/search?q=art&limit=501", 400, "bad_request"),
        ("/api/search?q=art&context=11", 400, "bad_request"),
        ("/api/search?q=art&colour=red", 400, "bad_request"),
        ("/api/search?q=art&sort=left1", 400, "bad_request"),
        ("/api/search?q=art&speaker=nobody", 400, "bad_request"),
        ("/api/search?q=art&since=yesterday", 400, "bad_request"),
        (
            "/api/search?q=art&exact=true&snowball=true",
            400,
            "bad_request",
        ),
        ("/api/show?conversation=nope", 404, "not_found"),
        (
            "/api/show?conversation=..%2F..%2Fetc%2Fpasswd",
            404,
            "not_found",
        ),
        (
            "/api/show?conversation=000_69e3827c508b06a3&turn=9999",
            400,
            "bad_request",
        ),
        ("/api/collocates?word=art&window=99", 400, "bad_request"),
        ("/api/freq?unit=syllable", 400, "bad_request"),
        ("/api/nothing", 404, "not_found"),
        ("/assets/../Cargo.toml", 404, "not_found"),
    ] {
        assert_eq!(server.error(path, status)["kind"], kind, "{path}");
    }
    let long = "a".repeat(1001);
    assert_eq!(
        server.error(&format!("/api/search?q={long}"), 413)["kind"],
        "too_large"
    );
    let huge = format!("/api/search?q=a&where={}", "k%3Dv".repeat(4000));
    assert_eq!(server.error(&huge, 413)["kind"], "too_large");
}

#[test]
fn an_ingest_beside_the_server_is_picked_up() {
    let (ws, server) = served();
    let q = "/api/search?q=zyxwvutsrq";
    assert_eq!(server.json(q)["total_hits"], 0);
    std::fs::write(
        ws.path().join("corpus/900_new.txt"),
        "[A]: Have you heard of zyxwvutsrq?\n[B]: Never, what is it?\n",
    )
    .expect("write");
    run_ok(ws.path(), &["ingest"]);
    let found = wait_for(|| server.json(q)["total_hits"] == 1);
    assert!(found, "the new file's turn is found without a restart");
    let hit = &server.json(q)["hits"][0];
    let id = hit["conversation"].as_str().expect("id");
    let conv = server.json(&format!("/api/show?conversation={id}"));
    assert_eq!(conv["turns"].as_array().map(Vec::len), Some(2));
    // A rebuild replaces every segment; the server follows it too.
    run_ok(ws.path(), &["ingest", "--rebuild"]);
    std::fs::remove_file(ws.path().join("corpus/900_new.txt")).expect("rm");
    run_ok(ws.path(), &["ingest"]);
    assert!(wait_for(|| server.json(q)["total_hits"] == 0));
    assert!(server.json("/api/search?q=art")["total_hits"].as_u64() > Some(0));
}

/// Poll `done` for up to 10 s.
fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn listening_beyond_loopback_warns_and_a_missing_index_stops_it() {
    let ws = workspace();
    let out = common::colloquy(ws.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no index"));
    run_ok(ws.path(), &["ingest"]);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("colloquy"))
        .current_dir(ws.path())
        .args(["serve", "--addr", "0.0.0.0:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut line = String::new();
    let stderr = child.stderr.take().expect("stderr");
    BufReader::new(stderr)
        .read_line(&mut line)
        .expect("warning");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.contains("warning") && line.contains("0.0.0.0"),
        "{line}"
    );
}

#[test]
fn metadata_facets_count_what_where_filters_find() {
    let ws = workspace();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let examples = repo.join("examples");
    let examples = examples.to_str().expect("a UTF-8 path");
    run_ok(ws.path(), &["ingest", "corpus", examples]);
    let server = Server::start(ws.path(), &[]);
    let api = server.json("/api/search?q=*&limit=1");
    let metadata = api["facets"]["metadata"]
        .as_array()
        .expect("metadata facets");
    let keys: Vec<&str> = metadata.iter().filter_map(|f| f["key"].as_str()).collect();
    // The chat export's `model` is a category; its `id` (a value per conversation) is one too
    // while a handful of conversations have it, so only the category is asserted here.
    assert!(keys.contains(&"model"), "{keys:?}");
    for facet in metadata {
        let key = facet["key"].as_str().expect("key");
        for v in facet["values"].as_array().expect("values") {
            let value = v["value"].as_str().expect("value");
            // Each count is the number of turns the CLI's --where finds.
            let filter = format!("{key}={value}");
            let (out, _) = run_ok(
                ws.path(),
                &["search", "*", "--all", "--jsonl", "--where", &filter],
            );
            assert_eq!(
                v["count"].as_u64(),
                Some(out.lines().count() as u64),
                "{filter}"
            );
        }
    }
}
