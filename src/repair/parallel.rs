//! Repair of one large text on every core: the text is cut at line breaks into chunks repaired
//! independently, then stitched back with their offsets shifted, or handed on chunk by chunk so
//! that a file of gigabytes is repaired in the memory of a few chunks. Mojibake runs and the
//! lattice never cross a line break, so the result is the same as repairing the text whole (a
//! test holds the two equal on the seeds). The cut depends on the text alone, never on the
//! number of cores, so every machine repairs a file alike.

use rayon::prelude::*;

use super::{Repaired, Repairer};

/// Below this many bytes a chunk is not worth a thread.
const MIN_CHUNK: usize = 4096;

/// Above this many bytes a chunk's repair holds too much at once: its working set is some thirty
/// times its size (characters, tokens and clusters under every code page).
const MAX_CHUNK: usize = 256 << 10;

/// About a sixteenth of the text per chunk, within the bounds: enough pieces for the cores of a
/// small machine on a seed-sized text.
fn chunk_target(len: usize) -> usize {
    (len / 16).clamp(MIN_CHUNK, MAX_CHUNK)
}

impl Repairer {
    /// [`Repairer::repair`] on every core, for texts large enough to split.
    pub fn repair_parallel(&self, text: &str) -> Repaired {
        let mut out = Repaired {
            text: String::with_capacity(text.len()),
            changed: false,
            runs: Vec::new(),
            guesses: Vec::new(),
            bytes_restored: 0,
            chars_replaced: 0,
        };
        let mut offset = 0;
        let stitched = self.repair_in_chunks(text, |part| {
            out.changed |= part.changed;
            out.bytes_restored += part.bytes_restored;
            out.chars_replaced += part.chars_replaced;
            out.runs.extend(part.runs.into_iter().map(|mut r| {
                r.start += offset;
                r.end += offset;
                r
            }));
            out.guesses.extend(part.guesses.into_iter().map(|mut g| {
                g.start += offset;
                g.end += offset;
                g
            }));
            offset += part.text.chars().count();
            out.text.push_str(&part.text);
            Ok::<(), std::convert::Infallible>(())
        });
        match stitched {
            Ok(()) => out,
            Err(never) => match never {},
        }
    }

    /// Repair `text` on every core, chunk by chunk (cut at line breaks), and hand each chunk's
    /// repair to `each` in text order; offsets in it are the chunk's own. At most four chunks a
    /// core are held at once, so memory is bounded whatever the text's length. Stops at the
    /// first error `each` returns (a closed pipe).
    pub fn repair_in_chunks<E>(
        &self,
        text: &str,
        mut each: impl FnMut(Repaired) -> Result<(), E>,
    ) -> Result<(), E> {
        let chunks = split_at_lines(text, chunk_target(text.len()));
        if chunks.len() < 2 {
            return each(self.repair(text));
        }
        let batch = rayon::current_num_threads().max(1) * 4;
        for group in chunks.chunks(batch) {
            let parts: Vec<Repaired> = group.par_iter().map(|c| self.repair(c)).collect();
            for part in parts {
                each(part)?;
            }
        }
        Ok(())
    }
}

/// Pieces of about `target` bytes, each ending just after a `\n` (the last one at the end).
fn split_at_lines(text: &str, target: usize) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut rest = text;
    while rest.len() > target {
        // Searching bytes: `target` need not fall on a character boundary, a cut after `\n` does.
        let cut = match rest.as_bytes()[target..].iter().position(|&b| b == b'\n') {
            Some(i) => target + i + 1,
            None => rest.len(),
        };
        let (head, tail) = rest.split_at(cut);
        chunks.push(head);
        rest = tail;
    }
    if !rest.is_empty() {
        chunks.push(rest);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_text_at_line_breaks() {
        let text = "a\nbb\nccc\n".repeat(2000);
        let chunks = split_at_lines(&text, 100);
        assert_eq!(chunks.concat(), text);
        assert!(chunks.iter().all(|c| c.ends_with('\n')));
    }

    #[test]
    fn parallel_repair_equals_whole_repair_on_the_seeds() {
        for name in [
            "000_69e3827c508b06a3.txt",
            "002_a46578f8551527d5.txt",
            "003_c8cacc78d537ad71.txt",
        ] {
            let path = format!("{}/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            let r = Repairer::new();
            let whole = r.repair(&text);
            let parallel = r.repair_parallel(&text);
            assert_eq!(parallel.text, whole.text, "{name}");
            assert_eq!(parallel.guesses.len(), whole.guesses.len(), "{name}");
            for (p, w) in parallel.guesses.iter().zip(&whole.guesses) {
                assert_eq!(
                    (p.start, p.end, &p.chosen),
                    (w.start, w.end, &w.chosen),
                    "{name}"
                );
            }
            assert_eq!(parallel.runs.len(), whole.runs.len(), "{name}");
            assert_eq!(parallel.bytes_restored, whole.bytes_restored, "{name}");
        }
    }

    #[test]
    fn chunks_depend_on_the_text_alone_and_are_bounded() {
        assert_eq!(chunk_target(1000), MIN_CHUNK);
        assert_eq!(chunk_target(160_000), 10_000);
        assert_eq!(chunk_target(1 << 30), MAX_CHUNK);
        let text = "x".repeat(100) + "\n";
        let big = text.repeat(50_000);
        let chunks = split_at_lines(&big, chunk_target(big.len()));
        assert!(chunks.len() >= 16);
        assert!(chunks.iter().all(|c| c.len() <= MAX_CHUNK + text.len()));
    }

    #[test]
    fn chunked_repair_hands_on_every_chunk_in_order() {
        let path = format!(
            "{}/corpus/000_69e3827c508b06a3.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(path).unwrap();
        let r = Repairer::new();
        let mut pieces = Vec::new();
        r.repair_in_chunks(&text, |part| {
            pieces.push(part.text);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert!(pieces.len() > 1);
        assert_eq!(pieces.concat(), r.repair(&text).text);
        let mut calls = 0;
        let stopped = r.repair_in_chunks(&text, |_| {
            calls += 1;
            Err("closed")
        });
        assert_eq!((stopped, calls), (Err("closed"), 1));
    }
}
