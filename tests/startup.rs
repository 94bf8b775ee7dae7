//! A search's start stays cheap: the Chinese dictionary is used in place from the executable, so
//! the first Chinese query of a process builds nothing (jieba-rs's load allocated ~40 MB and took
//! ~115 ms). One test in its own file, so its process has loaded nothing before it; a counting
//! allocator measures what each query allocates.

mod common;

use colloquy::search::{Engine, SearchOptions};
use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_chinese_query_builds_no_dictionary() {
    let ws = workspace();
    ingest(ws.path()); // in a child process
    let engine = Engine::open(&ws.path().join("index")).unwrap();
    let search = |q: &str| {
        let before = ALLOCATED.load(Ordering::Relaxed);
        let hits = engine
            .search(&SearchOptions {
                query: q.into(),
                before: 1,
                after: 1,
                limit: Some(20),
                ..Default::default()
            })
            .unwrap();
        (hits, ALLOCATED.load(Ordering::Relaxed) - before)
    };
    let (english, _) = search("mental health");
    assert!(english
        .hits
        .iter()
        .any(|h| h.turn.text.contains("这个话题")));
    assert!(english.hits.iter().all(|h| !h.highlights.is_empty()));
    // The first Chinese query of the process, then the same query again: a
    // dictionary built on first use would show as the difference.
    let (first, first_bytes) = search("话题");
    let (again, again_bytes) = search("话题");
    assert_eq!(first.total_hits, 4);
    assert_eq!(again.total_hits, 4);
    assert!(
        first_bytes < again_bytes + 256 * 1024,
        "the first Chinese query allocated {first_bytes} bytes, a repeat {again_bytes}"
    );
}
