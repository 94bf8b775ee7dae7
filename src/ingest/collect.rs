//! What the files' outcomes add to the summary and the manifest, gathered as files finish.
//!
//! The manifest entries of the files indexed in a run wait in an unnamed temporary file beside
//! the index, not in memory, and join the manifest after the commit, once tantivy has released
//! its indexing arena: at 19,000 files they were ~20 MB held through every segment flush, the
//! part of peak memory that grew with the corpus. The temporary file has no name, so the system
//! removes it however the process ends.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use super::file::{Outcome, Status};
use super::{IngestSummary, Skipped, Warning, MAX_RECORD_MESSAGES};
use crate::error::{Error, Result};
use crate::index::{FileEntry, Manifest};

/// Gathers outcomes in whatever order the threads finish files; the summary comes out as if
/// the files had been taken in path order.
pub struct Collector {
    spill: BufWriter<File>,
    /// Entries written to `spill`.
    spilled: usize,
    /// Sources skipped whole: their old entries leave the manifest.
    skipped: Vec<Skipped>,
    /// (source, position in its file's list, what).
    records: Vec<(String, usize, Skipped)>,
    records_skipped: usize,
    warnings: Vec<(String, usize, Warning)>,
    indexed: usize,
    unchanged: usize,
    turns_indexed: usize,
    /// The first error that stops the run (the index could not be written).
    error: Option<Error>,
}

impl Collector {
    pub fn new(index_dir: &Path) -> Result<Collector> {
        let file = tempfile::tempfile_in(index_dir).map_err(|e| {
            Error::io(
                format!("cannot create a temporary file in {}", index_dir.display()),
                e,
            )
        })?;
        Ok(Collector {
            spill: BufWriter::with_capacity(1 << 16, file),
            spilled: 0,
            skipped: Vec::new(),
            records: Vec::new(),
            records_skipped: 0,
            warnings: Vec::new(),
            indexed: 0,
            unchanged: 0,
            turns_indexed: 0,
            error: None,
        })
    }

    /// Take one file's outcome.
    pub fn add(&mut self, source: &str, outcome: Result<Outcome>) {
        let o = match outcome {
            Ok(o) => o,
            Err(e) => {
                self.error.get_or_insert(e);
                return;
            }
        };
        for (i, w) in o.warnings.into_iter().enumerate() {
            self.warnings.push((source.to_owned(), i, w));
        }
        self.records_skipped += o.records_skipped.len();
        for (i, s) in o.records_skipped.into_iter().enumerate() {
            self.records.push((source.to_owned(), i, s));
        }
        if self.records.len() >= 2 * MAX_RECORD_MESSAGES {
            keep_first(&mut self.records);
        }
        match o.status {
            Status::Unchanged(entry) => {
                self.unchanged += 1;
                if let Some(entry) = entry {
                    self.spill_entry(source, &entry);
                }
            }
            Status::Indexed(entry) => {
                self.indexed += 1;
                self.turns_indexed += entry.turns;
                self.spill_entry(source, &entry);
            }
            Status::Skipped(reason) => self.skipped.push(Skipped {
                path: source.to_owned(),
                reason,
            }),
        }
    }

    fn spill_entry(&mut self, source: &str, entry: &FileEntry) {
        let written = serde_json::to_writer(&mut self.spill, &(source, entry))
            .map_err(std::io::Error::from)
            .and_then(|()| self.spill.write_all(b"\n"));
        match written {
            Ok(()) => self.spilled += 1,
            Err(e) => {
                self.error
                    .get_or_insert(Error::io("cannot write the ingest's temporary file", e));
            }
        }
    }

    /// Why the run must stop before its commit, if it must.
    pub fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    /// Fold everything into the summary and the manifest.
    pub fn finish(mut self, summary: &mut IngestSummary, manifest: &mut Manifest) -> Result<()> {
        summary.indexed += self.indexed;
        summary.unchanged += self.unchanged;
        summary.turns_indexed += self.turns_indexed;
        summary.records_skipped += self.records_skipped;
        keep_first(&mut self.records);
        summary
            .skipped_records
            .extend(self.records.into_iter().map(|(_, _, s)| s));
        self.warnings.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        summary
            .warnings
            .extend(self.warnings.into_iter().map(|(_, _, w)| w));
        for s in &self.skipped {
            manifest.files.remove(&s.path);
        }
        summary.skipped.append(&mut self.skipped);
        read_back(self.spill, self.spilled, manifest)
    }
}

/// The first [`MAX_RECORD_MESSAGES`] in (source, position) order.
fn keep_first(records: &mut Vec<(String, usize, Skipped)>) {
    records.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    records.truncate(MAX_RECORD_MESSAGES);
}

/// Insert the `count` spilled entries into the manifest.
fn read_back(spill: BufWriter<File>, count: usize, manifest: &mut Manifest) -> Result<()> {
    let io = |e| Error::io("cannot read the ingest's temporary file back", e);
    let mut file = spill.into_inner().map_err(|e| io(e.into_error()))?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut read = 0;
    for line in BufReader::with_capacity(1 << 16, file).lines() {
        let line = line.map_err(io)?;
        let (source, entry): (String, FileEntry) = serde_json::from_str(&line)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        manifest.files.insert(source, entry);
        read += 1;
    }
    if read != count {
        let lost = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("{read} of {count} entries"),
        );
        return Err(io(lost));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: Status, warnings: &[&str]) -> Outcome {
        Outcome {
            status,
            records_skipped: Vec::new(),
            warnings: warnings
                .iter()
                .map(|m| Warning {
                    path: String::new(),
                    message: (*m).to_owned(),
                })
                .collect(),
        }
    }

    fn entry(turns: usize) -> FileEntry {
        FileEntry {
            conversation: format!("c{turns}"),
            sha256: "ab".repeat(32),
            turns,
            ..FileEntry::default()
        }
    }

    /// Files finishing in any order give the summary of path order, and every entry written
    /// aside reaches the manifest after the commit.
    #[test]
    fn outcomes_in_any_order_make_one_summary_and_manifest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut manifest = Manifest::default();
        manifest.files.insert("gone.txt".into(), entry(9));
        manifest.files.insert("same.txt".into(), entry(4));
        let mut c = Collector::new(dir.path()).expect("collector");
        c.add(
            "b.txt",
            Ok(outcome(Status::Indexed(entry(2)), &["b1", "b2"])),
        );
        c.add("same.txt", Ok(outcome(Status::Unchanged(None), &[])));
        c.add("gone.txt", Ok(outcome(Status::Skipped("bad".into()), &[])));
        c.add("a.txt", Ok(outcome(Status::Indexed(entry(1)), &["a1"])));
        assert!(c.take_error().is_none());
        let mut summary = IngestSummary::default();
        c.finish(&mut summary, &mut manifest).expect("finish");
        let messages: Vec<&str> = summary
            .warnings
            .iter()
            .map(|w| w.message.as_str())
            .collect();
        assert_eq!(messages, ["a1", "b1", "b2"]);
        assert_eq!(
            (summary.indexed, summary.unchanged, summary.turns_indexed),
            (2, 1, 3)
        );
        assert_eq!(summary.skipped.len(), 1);
        let sources: Vec<&str> = manifest.files.keys().map(String::as_str).collect();
        assert_eq!(sources, ["a.txt", "b.txt", "same.txt"]);
        assert_eq!(manifest.files.get("a.txt"), Some(&entry(1)));
        assert_eq!(manifest.files.get("same.txt"), Some(&entry(4)));
    }

    /// All skipped records are counted; the messages kept are the first in path and line order
    /// whatever order the files finished in.
    #[test]
    fn kept_record_messages_do_not_depend_on_thread_timing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Collector::new(dir.path()).expect("collector");
        for source in ["c.txt", "a.txt", "b.txt"] {
            let mut o = outcome(Status::Indexed(entry(1)), &[]);
            o.records_skipped = (0..900)
                .map(|line| Skipped {
                    path: format!("{source}:{line}"),
                    reason: "bad".into(),
                })
                .collect();
            c.add(source, Ok(o));
        }
        let mut summary = IngestSummary::default();
        c.finish(&mut summary, &mut Manifest::default())
            .expect("finish");
        assert_eq!(summary.records_skipped, 2700);
        assert_eq!(summary.skipped_records.len(), MAX_RECORD_MESSAGES);
        assert_eq!(summary.skipped_records[0].path, "a.txt:0");
        assert_eq!(summary.skipped_records[899].path, "a.txt:899");
        assert_eq!(summary.skipped_records[900].path, "b.txt:0");
    }

    #[test]
    fn an_index_write_error_stops_the_run() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Collector::new(dir.path()).expect("collector");
        c.add("a.txt", Ok(outcome(Status::Indexed(entry(1)), &[])));
        c.add(
            "b.txt",
            Err(Error::io("disk full", std::io::ErrorKind::Other.into())),
        );
        assert!(c.take_error().is_some());
    }
}
