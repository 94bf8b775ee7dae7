//! `colloquy bench serve`: load on the HTTP API. Starts `colloquy serve` on an index (a child
//! process, the binary as shipped), then runs `wrk` with a fixed mix of query URLs (a Lua script
//! in a temporary file) and reads its requests/s, latency percentiles and non-2xx count.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result};

/// How to load the server.
pub struct ServeBenchOptions {
    pub index: PathBuf,
    pub connections: usize,
    pub threads: usize,
    pub seconds: u64,
}

/// What wrk measured.
#[derive(Debug, Clone, Serialize)]
pub struct ServeBench {
    pub index: String,
    pub urls: Vec<String>,
    pub connections: usize,
    pub seconds: u64,
    pub requests: u64,
    pub requests_per_sec: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub non_2xx: u64,
    pub socket_errors: u64,
}

/// The query mix: searches of every kind the page sends (words, Chinese, a phrase, a prefix,
/// filters, kwic, a deeper page, no facets) and one conversation shown.
const SEARCHES: &[&str] = &[
    "/api/search?q=art",
    "/api/search?q=photography&limit=50",
    "/api/search?q=%E8%BF%99%E4%B8%AA",
    "/api/search?q=%22depth%20mapping%22",
    "/api/search?q=paint*&sort=time",
    "/api/search?q=art&kwic=true",
    "/api/search?q=technique&speaker=A&facets=false",
    "/api/search?q=the&offset=40&limit=20",
];

/// A running server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn run(opts: &ServeBenchOptions) -> Result<ServeBench> {
    if Command::new("wrk").arg("--version").output().is_err() {
        return Err(Error::Format(
            "wrk not found: install it (Debian: apt-get install -y wrk)".into(),
        ));
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("finding colloquy's binary", e))?;
    let (server, addr) = start(&exe, &opts.index)?;
    let mut urls: Vec<String> = SEARCHES.iter().map(|s| (*s).to_owned()).collect();
    if let Some(id) = first_conversation(&addr)? {
        urls.push(format!(
            "/api/show?conversation={}&turn=0&context=2",
            percent_encode(&id)
        ));
    }
    let temp = tempfile::tempdir().map_err(|e| Error::io("creating a temporary folder", e))?;
    let script = temp.path().join("mix.lua");
    std::fs::write(&script, lua_script(&urls)).map_err(|e| Error::io("writing wrk's script", e))?;
    eprintln!(
        "bench serve: wrk -c{} -t{} -d{}s over {} URLs on {}",
        opts.connections,
        opts.threads,
        opts.seconds,
        urls.len(),
        opts.index.display()
    );
    let out = Command::new("wrk")
        .args(["--latency", "--timeout", "10s"])
        .arg(format!("-c{}", opts.connections))
        .arg(format!("-t{}", opts.threads))
        .arg(format!("-d{}s", opts.seconds))
        .arg("-s")
        .arg(&script)
        .arg(format!("http://{addr}"))
        .output()
        .map_err(|e| Error::io("running wrk", e))?;
    drop(server);
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(Error::Format(format!(
            "wrk failed: {}{text}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let report = parse_wrk(&text)
        .ok_or_else(|| Error::Format(format!("cannot read wrk's report:\n{text}")))?;
    Ok(ServeBench {
        index: opts.index.display().to_string(),
        urls,
        connections: opts.connections,
        seconds: opts.seconds,
        ..report
    })
}

/// `colloquy serve --addr 127.0.0.1:0` on `index`, and the address it printed.
fn start(exe: &Path, index: &Path) -> Result<(Server, String)> {
    let mut child = Command::new(exe)
        .args(["serve", "--addr", "127.0.0.1:0", "--index"])
        .arg(index)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| Error::io("starting colloquy serve", e))?;
    let stdout = child.stdout.take();
    let server = Server(child);
    let mut line = String::new();
    if let Some(out) = stdout {
        BufReader::new(out)
            .read_line(&mut line)
            .map_err(|e| Error::io("reading the server's address", e))?;
    }
    match line.trim().strip_prefix("listening on http://") {
        Some(addr) => Ok((server, addr.to_owned())),
        None => Err(Error::Format(format!(
            "colloquy serve did not start on {}",
            index.display()
        ))),
    }
}

/// The id of the first turn `*` finds, for the mix's `show`.
fn first_conversation(addr: &str) -> Result<Option<String>> {
    let io = |e| Error::io("asking the server", e);
    let mut stream = TcpStream::connect(addr).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(io)?;
    write!(
        stream,
        "GET /api/search?q=*&limit=1&context=0&facets=false HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(io)?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).map_err(io)?;
    let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    Ok(v["hits"][0]["conversation"].as_str().map(str::to_owned))
}

/// A query value percent-encoded (ids of records hold `#`, which would start a fragment): all
/// but RFC 3986's unreserved characters.
fn percent_encode(value: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(value, RESERVED).to_string()
}

/// wrk's script: each request takes the next URL of the mix.
fn lua_script(urls: &[String]) -> String {
    let list: Vec<String> = urls.iter().map(|u| format!("  {u:?},")).collect();
    format!(
        "local urls = {{\n{}\n}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  \
         return wrk.format(\"GET\", urls[(i % #urls) + 1])\nend\n",
        list.join("\n")
    )
}

/// Requests, requests/s, p50/p99 and errors from wrk's `--latency` report.
fn parse_wrk(text: &str) -> Option<ServeBench> {
    let mut b = ServeBench {
        index: String::new(),
        urls: Vec::new(),
        connections: 0,
        seconds: 0,
        requests: 0,
        requests_per_sec: 0.0,
        latency_p50_ms: f64::NAN,
        latency_p99_ms: f64::NAN,
        non_2xx: 0,
        socket_errors: 0,
    };
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => b.requests_per_sec = n.parse().ok()?,
            ["50%", t] => b.latency_p50_ms = millis(t)?,
            ["99%", t] => b.latency_p99_ms = millis(t)?,
            ["Non-2xx", "or", "3xx", "responses:", n] => b.non_2xx = n.parse().ok()?,
            [n, "requests", "in", ..] => b.requests = n.parse().ok()?,
            ["Socket", "errors:", rest @ ..] => {
                b.socket_errors = rest
                    .iter()
                    .filter_map(|w| w.trim_end_matches(',').parse::<u64>().ok())
                    .sum()
            }
            _ => {}
        }
    }
    (b.requests > 0 && b.latency_p50_ms.is_finite()).then_some(b)
}

/// `812.00us`, `1.23ms`, `2.01s` in milliseconds.
fn millis(t: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = t.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1e3)
    } else {
        (t, 1.0)
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// The figures as a short table.
pub fn print(out: &mut impl std::io::Write, b: &ServeBench) -> std::io::Result<()> {
    writeln!(
        out,
        "serve: {} ({} URLs, {} connections, {} s)",
        b.index,
        b.urls.len(),
        b.connections,
        b.seconds
    )?;
    writeln!(out, "  requests      : {}", b.requests)?;
    writeln!(out, "  requests/s    : {:.1}", b.requests_per_sec)?;
    writeln!(out, "  latency p50   : {:.2} ms", b.latency_p50_ms)?;
    writeln!(out, "  latency p99   : {:.2} ms", b.latency_p99_ms)?;
    writeln!(out, "  non-2xx       : {}", b.non_2xx)?;
    writeln!(out, "  socket errors : {}", b.socket_errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrks_report() {
        let text = "Running 30s test @ http://127.0.0.1:1\n  2 threads and 16 connections\n  \
            Latency Distribution\n     50%  812.00us\n     75%    1.10ms\n     90%    2.00ms\n     \
            99%   12.30ms\n  45123 requests in 30.01s, 1.2GB read\n  Socket errors: connect 0, \
            read 2, write 0, timeout 1\n  Non-2xx or 3xx responses: 7\nRequests/sec:   1503.51\n";
        let b = parse_wrk(text).expect("parsed");
        assert_eq!((b.requests, b.non_2xx, b.socket_errors), (45123, 7, 3));
        assert!((b.latency_p50_ms - 0.812).abs() < 1e-9);
        assert!((b.latency_p99_ms - 12.3).abs() < 1e-9);
        assert!((b.requests_per_sec - 1503.51).abs() < 1e-9);
    }

    #[test]
    fn record_ids_are_encoded() {
        assert_eq!(percent_encode("chats_000001#c1"), "chats_000001%23c1");
        assert_eq!(percent_encode("a b/é"), "a%20b%2F%C3%A9");
    }

    #[test]
    fn the_script_cycles_through_every_url() {
        let s = lua_script(&["/a".into(), "/b?q=\"x\"".into()]);
        assert!(s.contains("\"/a\",") && s.contains("\"/b?q=\\\"x\\\"\","));
        assert!(s.contains("urls[(i % #urls) + 1]"));
    }
}
