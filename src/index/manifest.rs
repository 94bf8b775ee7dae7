//! The manifest beside the index (`colloquy-manifest.json`): what each indexed file was (size,
//! mtime, SHA-256, the root it was found under, its format) and its figures, so ingest can skip
//! unchanged files and `colloquy stats` never scans the index. It records the opstamp of the
//! commit it describes: a crash between commit and manifest write is detected by the mismatch.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::pipeline::Conversation;

pub const MANIFEST: &str = "colloquy-manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Manifest {
    pub schema_version: u32,
    pub opstamp: u64,
    /// The language set the index was built with; another set re-indexes everything.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Every root ingested into this index (absolute paths).
    #[serde(default)]
    pub roots: Vec<String>,
    /// Source path → what was indexed from it.
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FileEntry {
    /// The root (absolute) the file was found under.
    #[serde(default)]
    pub root: String,
    /// The file's id; its conversations are `id` or `id#key`.
    pub conversation: String,
    #[serde(default)]
    pub format: String,
    pub size: u64,
    pub mtime_ns: u128,
    pub sha256: String,
    #[serde(default)]
    pub conversations: usize,
    pub turns: usize,
    pub repaired_turns: usize,
    pub guesses: usize,
    /// Records or lines the reader skipped (each reported when it was read).
    #[serde(default)]
    pub skipped_records: usize,
    #[serde(default)]
    pub stats: FileStats,
}

/// Per-file figures kept in the manifest so `colloquy stats` never scans the index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FileStats {
    /// Speaker → (turns, characters).
    pub speakers: BTreeMap<String, (usize, usize)>,
    /// Language → turns with a span of it.
    pub languages: BTreeMap<String, usize>,
    /// Language → turns where it dominates.
    pub dominant: BTreeMap<String, usize>,
    pub code_switched: usize,
    /// Guesses below the confidence bar.
    pub low_confidence_guesses: usize,
    pub characters: usize,
}

/// Apply `f` to the value under `key`, inserting a default first; the key is copied only when
/// it is new (it almost never is: a corpus has a handful of speakers and languages).
pub fn update<V: Default>(map: &mut BTreeMap<String, V>, key: &str, f: impl FnOnce(&mut V)) {
    match map.get_mut(key) {
        Some(v) => f(v),
        None => {
            let mut v = V::default();
            f(&mut v);
            map.insert(key.to_owned(), v);
        }
    }
}

impl FileStats {
    /// Add one conversation's figures.
    pub fn add(&mut self, conv: &Conversation) {
        for t in &conv.turns {
            let chars = t.text.chars().count();
            self.characters += chars;
            update(&mut self.speakers, &t.speaker, |e| {
                e.0 += 1;
                e.1 += chars;
            });
            for l in &t.languages {
                update(&mut self.languages, l, |n| *n += 1);
            }
            if let Some(d) = &t.dominant_language {
                update(&mut self.dominant, d, |n| *n += 1);
            }
            self.code_switched += usize::from(t.code_switched);
            self.low_confidence_guesses += t.guesses.iter().filter(|g| g.low_confidence()).count();
        }
    }

    /// Add another part's figures (a file is processed in batches, on several threads).
    pub fn merge(&mut self, other: &FileStats) {
        for (k, (t, c)) in &other.speakers {
            update(&mut self.speakers, k, |e| {
                e.0 += t;
                e.1 += c;
            });
        }
        for (k, n) in &other.languages {
            update(&mut self.languages, k, |e| *e += n);
        }
        for (k, n) in &other.dominant {
            update(&mut self.dominant, k, |e| *e += n);
        }
        self.code_switched += other.code_switched;
        self.low_confidence_guesses += other.low_confidence_guesses;
        self.characters += other.characters;
    }
}

/// The manifest in `dir`, if there is a readable one.
pub fn read(dir: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join(MANIFEST)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Write the manifest atomically (a temporary file renamed over the old one).
pub fn write(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let json = serde_json::to_vec(manifest).map_err(|e| Error::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    std::fs::write(&tmp, json)
        .map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

impl FileEntry {
    pub fn conversation_count(&self) -> usize {
        self.conversations
    }
}
