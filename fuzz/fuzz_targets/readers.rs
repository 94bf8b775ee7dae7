//! Decode and every format reader on arbitrary bytes: no panic, no hang. The first byte picks the
//! reader; the rest is the file.
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use colloquy::formats::{self, Collect, ReadOptions};
use libfuzzer_sys::fuzz_target;

fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("tempdir"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let _ = colloquy::decode::decode(content.to_vec());
    let reader = formats::READERS[usize::from(pick) % formats::READERS.len()];
    let path = scratch().path().join("input");
    let Ok(mut file) = std::fs::File::create(&path) else {
        return;
    };
    if file.write_all(content).is_err() {
        return;
    }
    drop(file);
    let _ = formats::choose(&path, content);
    let mut sink = Collect::default();
    let _ = reader.read(&path, &ReadOptions::default(), &mut sink);
});
