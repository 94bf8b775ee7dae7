//! A search ranked on several threads (one segment each at a time, as `colloquy search` does on
//! every core) answers exactly as one thread does: the same total, the same hits in the same
//! order, the same context around each.

mod common;

use colloquy::search::{Engine, SearchOptions};
use common::*;

#[test]
fn threads_rank_and_read_hits_as_one_thread_does() {
    let ws = workspace();
    // Two ingests, two commits: an index of several segments, which is what threads share.
    let later = ws.path().join("later");
    std::fs::create_dir(&later).unwrap();
    for seed in &SEEDS[2..] {
        std::fs::rename(ws.path().join("corpus").join(seed), later.join(seed)).unwrap();
    }
    ingest(ws.path());
    for seed in &SEEDS[2..] {
        std::fs::rename(later.join(seed), ws.path().join("corpus").join(seed)).unwrap();
    }
    ingest(ws.path());
    let dir = ws.path().join("index");
    let one = Engine::open(&dir).unwrap();
    let many = Engine::open(&dir).unwrap().with_rank_threads(3);
    assert!(one.searcher().segment_readers().len() >= 2);
    for query in [
        "*",
        "art",
        "话题",
        "mental health",
        "NOT art",
        "title:photography",
    ] {
        for (offset, limit) in [(0, 1000), (3, 20), (0, 1)] {
            let opts = SearchOptions {
                query: query.into(),
                before: 2,
                after: 1,
                offset,
                limit: Some(limit),
                ..Default::default()
            };
            let first = one.search(&opts).unwrap();
            if query == "*" && limit == 1000 {
                // Every turn, read sixteen at a time: several chunks of a page.
                assert_eq!((first.total_hits, first.hits.len()), (80, 80));
            }
            let a = serde_json::to_string(&first).unwrap();
            let b = serde_json::to_string(&many.search(&opts).unwrap()).unwrap();
            assert_eq!(a, b, "{query} offset {offset} limit {limit}");
        }
    }
}
