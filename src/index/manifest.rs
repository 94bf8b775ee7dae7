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
    pub speakers: Tally<(usize, usize)>,
    /// Language → turns with a span of it.
    pub languages: Tally<usize>,
    /// Language → turns where it dominates.
    pub dominant: Tally<usize>,
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

/// A few counts by name, sorted by name: the speakers and languages of one file. Every indexed
/// file keeps three in memory until the manifest is written, so they are a vector sized to fit
/// (a `BTreeMap` allocates a node of eleven slots even for one entry: as maps, the manifest of
/// 19,289 files took 58 MB to load, as tallies 41 MB). Serialized as a JSON object, as the maps
/// were.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tally<V>(Vec<(Box<str>, V)>);

impl<V: Default> Tally<V> {
    /// Apply `f` to the count under `key`, inserting a default first.
    pub fn update(&mut self, key: &str, f: impl FnOnce(&mut V)) {
        let at = self.0.binary_search_by(|(k, _)| (**k).cmp(key));
        let i = at.unwrap_or_else(|i| {
            self.0.insert(i, (key.into(), V::default()));
            i
        });
        if let Some((_, v)) = self.0.get_mut(i) {
            f(v);
        }
    }
}

impl<V> Tally<V> {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.0.iter().map(|(k, v)| (&**k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn shrink_to_fit(&mut self) {
        self.0.shrink_to_fit();
    }
}

impl<V: Serialize> Serialize for Tally<V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de, V: Deserialize<'de> + Default> Deserialize<'de> for Tally<V> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = BTreeMap::<String, V>::deserialize(d)?;
        Ok(Tally(map.into_iter().map(|(k, v)| (k.into(), v)).collect()))
    }
}

impl FileStats {
    /// Add one conversation's figures.
    pub fn add(&mut self, conv: &Conversation) {
        for t in &conv.turns {
            let chars = t.text.chars().count();
            self.characters += chars;
            self.speakers.update(&t.speaker, |e| {
                e.0 += 1;
                e.1 += chars;
            });
            for l in &t.languages {
                self.languages.update(l, |n| *n += 1);
            }
            if let Some(d) = &t.dominant_language {
                self.dominant.update(d, |n| *n += 1);
            }
            self.code_switched += usize::from(t.code_switched);
            self.low_confidence_guesses += t.guesses.iter().filter(|g| g.low_confidence()).count();
        }
    }

    /// Give back what the tallies grew beyond their entries: the figures of every file are held
    /// until the manifest is written.
    pub fn shrink_to_fit(&mut self) {
        self.speakers.shrink_to_fit();
        self.languages.shrink_to_fit();
        self.dominant.shrink_to_fit();
    }

    /// Add another part's figures (a file is processed in batches, on several threads).
    pub fn merge(&mut self, other: &FileStats) {
        for (k, (t, c)) in other.speakers.iter() {
            self.speakers.update(k, |e| {
                e.0 += t;
                e.1 += c;
            });
        }
        for (k, n) in other.languages.iter() {
            self.languages.update(k, |e| *e += n);
        }
        for (k, n) in other.dominant.iter() {
            self.dominant.update(k, |e| *e += n);
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

/// Write the manifest atomically (a temporary file renamed over the old one), streamed: at
/// 19,000 files its JSON is 10 MB, which a buffer would add to the peak of an ingest's end.
pub fn write(dir: &Path, manifest: &Manifest) -> Result<()> {
    use std::io::Write;
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let io_err = |e| Error::io(format!("cannot write {}", tmp.display()), e);
    let file = std::fs::File::create(&tmp).map_err(io_err)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    serde_json::to_writer(&mut out, manifest).map_err(|e| Error::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    out.flush().map_err(io_err)?;
    drop(out);
    std::fs::rename(&tmp, &path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

impl FileEntry {
    pub fn conversation_count(&self) -> usize {
        self.conversations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_are_json_objects_sorted_by_name_as_the_maps_were() {
        let mut t: Tally<(usize, usize)> = Tally::default();
        for (name, chars) in [("user", 10), ("assistant", 7), ("user", 5), ("助手", 2)] {
            t.update(name, |e| {
                e.0 += 1;
                e.1 += chars;
            });
        }
        let json = serde_json::to_string(&t).unwrap();
        let mut map: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        map.insert("user".into(), (2, 15));
        map.insert("assistant".into(), (1, 7));
        map.insert("助手".into(), (1, 2));
        assert_eq!(json, serde_json::to_string(&map).unwrap());
        // A manifest written by an earlier version (a map) reads back the same.
        let back: Tally<(usize, usize)> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(
            back.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["assistant", "user", "助手"]
        );
    }

    #[test]
    fn merged_figures_do_not_depend_on_the_order_of_the_parts() {
        let part = |speakers: &[(&str, usize)], langs: &[&str]| {
            let mut s = FileStats::default();
            for &(name, n) in speakers {
                s.speakers.update(name, |e| e.0 += n);
            }
            for l in langs {
                s.languages.update(l, |n| *n += 1);
            }
            s
        };
        let a = part(&[("B", 2), ("A", 1)], &["zh", "en"]);
        let b = part(&[("C", 4), ("A", 3)], &["ja"]);
        let (mut ab, mut ba) = (a.clone(), b.clone());
        ab.merge(&b);
        ba.merge(&a);
        assert_eq!(ab, ba);
        assert_eq!(
            ab.speakers
                .iter()
                .map(|(k, v)| (k, v.0))
                .collect::<Vec<_>>(),
            [("A", 4), ("B", 2), ("C", 4)]
        );
        assert_eq!(ab.languages.len(), 3);
    }
}
