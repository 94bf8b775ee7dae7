//! Repair of one large text on every core: the text is cut at line breaks into chunks repaired
//! independently, then stitched back with their offsets shifted. Mojibake runs and the lattice
//! never cross a line break, so the result is the same as repairing the text whole (a test holds
//! the two equal on the seeds).

use rayon::prelude::*;

use super::{Repaired, Repairer};

/// Below this many bytes a chunk is not worth a thread.
const MIN_CHUNK: usize = 4096;

impl Repairer {
    /// [`Repairer::repair`] on every core, for texts large enough to split.
    pub fn repair_parallel(&self, text: &str) -> Repaired {
        let threads = rayon::current_num_threads().max(1);
        let target = (text.len() / (threads * 4)).max(MIN_CHUNK);
        let chunks = split_at_lines(text, target);
        if chunks.len() < 2 {
            return self.repair(text);
        }
        let parts: Vec<Repaired> = chunks.par_iter().map(|c| self.repair(c)).collect();
        let mut out = Repaired {
            text: String::with_capacity(text.len()),
            changed: false,
            runs: Vec::new(),
            guesses: Vec::new(),
            bytes_restored: 0,
            chars_replaced: 0,
        };
        let mut offset = 0;
        for part in parts {
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
        }
        out
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
}
