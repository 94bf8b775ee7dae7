//! A search's start stays cheap: jieba's dictionary (~115 ms to load) is loaded only by a query
//! that has Chinese words in it, even when the hits it highlights are Chinese turns.
//! One test in its own file, so its process has loaded nothing before it.

mod common;

use colloquy::analyzer::jieba_loaded;
use colloquy::search::{Engine, SearchOptions};
use common::*;

#[test]
fn only_chinese_queries_load_the_dictionary() {
    let ws = workspace();
    ingest(ws.path()); // in a child process
    let engine = Engine::open(&ws.path().join("index")).unwrap();
    let search = |q: &str| {
        engine
            .search(&SearchOptions {
                query: q.into(),
                before: 1,
                after: 1,
                limit: Some(20),
                ..Default::default()
            })
            .unwrap()
    };
    let english = search("mental health");
    assert!(
        english
            .hits
            .iter()
            .any(|h| h.turn.text.contains("这个话题")),
        "a Chinese hit was highlighted"
    );
    assert!(english.hits.iter().all(|h| !h.highlights.is_empty()));
    let single = search("不");
    assert!(single.total_hits > 0);
    assert!(
        !jieba_loaded(),
        "an English or one-character query loaded jieba"
    );
    let chinese = search("话题");
    assert_eq!(chinese.total_hits, 4);
    assert!(jieba_loaded());
}
