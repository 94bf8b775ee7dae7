//! The query parser and the whole search path on arbitrary query strings, over a small index
//! built once: no panic, no stack overflow.
#![no_main]

use std::sync::OnceLock;

use colloquy::ingest::{self, IngestOptions, NoProgress};
use colloquy::search::{Engine, SearchOptions};
use libfuzzer_sys::fuzz_target;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    let (_, engine) = ENGINE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let corpus = dir.path().join("corpus");
        std::fs::create_dir(&corpus).expect("corpus");
        std::fs::write(
            corpus.join("a.txt"),
            "[A]: Hey，关于'AI艺术'这个话题 mental health\n[B]: 我觉得 painting is art 😏\n",
        )
        .expect("write");
        std::fs::write(
            corpus.join("b.jsonl"),
            r#"{"id":"x","model":"m","messages":[{"role":"user","content":"photography 摄影"}]}"#,
        )
        .expect("write");
        let index = dir.path().join("index");
        ingest::ingest(
            &IngestOptions {
                roots: vec![corpus],
                index_dir: index.clone(),
                ..IngestOptions::default()
            },
            &NoProgress,
        )
        .expect("ingest");
        let engine = Engine::open(&index).expect("open");
        (dir, engine)
    });
    engine
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let _ = engine().search(&SearchOptions {
        query: query.to_owned(),
        before: 1,
        after: 1,
        limit: Some(5),
        ..SearchOptions::default()
    });
});
