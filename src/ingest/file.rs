//! One file through ingest: the unchanged test (stat, then hash), its format reader, and its
//! conversations through the pipeline in bounded batches on every core, written to the index.

use std::collections::HashSet;
use std::io::Read;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::walk::Found;
use super::{Skipped, Warning};
use crate::error::{Error, Result};
use crate::formats::{self, ReadOptions, Reader, Sink};
use crate::index::schema::Fields;
use crate::index::writer::{self, Placement, Writer};
use crate::index::{FileEntry, FileStats};
use crate::model::{Conversation, Origin};
use crate::pipeline;
use crate::repair::Repairer;
use crate::spans::SegmentConfig;

/// Conversations processed together; a batch is also closed at [`BATCH_BYTES`] of text, so a
/// file of a million records is never held whole.
const BATCH_CONVERSATIONS: usize = 512;
const BATCH_BYTES: usize = 8 << 20;

/// What every file of a run shares.
pub struct Context<'a> {
    pub writer: &'a Writer,
    pub fields: &'a Fields,
    pub repairer: Repairer,
    pub segment_config: &'a SegmentConfig,
    pub read: &'a ReadOptions,
    pub forced: Option<&'static dyn Reader>,
}

/// What became of a file.
pub enum Status {
    /// Nothing to index; the manifest's entry stands (`None`) or is refreshed.
    Unchanged(Option<FileEntry>),
    Indexed(FileEntry),
    Skipped(String),
}

pub struct Outcome {
    pub status: Status,
    pub records_skipped: Vec<Skipped>,
    pub warnings: Vec<Warning>,
}

impl Outcome {
    fn of(status: Status) -> Self {
        Outcome {
            status,
            records_skipped: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// Same size and modification time: taken as unchanged without reading the file.
pub fn same_stat(entry: &FileEntry, file: &Found) -> bool {
    entry.size == file.size && entry.mtime_ns == file.mtime_ns
}

/// The reader for a file: the forced one, or the one its extension and first bytes point to.
pub fn reader_for(
    file: &Found,
    forced: Option<&'static dyn Reader>,
) -> Result<&'static dyn Reader, String> {
    if let Some(r) = forced {
        return Ok(r);
    }
    let head = formats::head(file.path()).map_err(|e| format!("cannot read: {e}"))?;
    Ok(formats::choose(file.path(), &head))
}

/// Ingest one file; `Err` only when the index cannot be written.
pub fn ingest_file(ctx: &Context, file: &Found, previous: Option<&FileEntry>) -> Result<Outcome> {
    let same_id = previous.is_some_and(|p| p.conversation == file.id());
    if previous.is_some_and(|p| same_id && same_stat(p, file)) {
        return Ok(Outcome::of(Status::Unchanged(None)));
    }
    let sha256 = match sha256_hex(file.path()) {
        Ok(h) => h,
        Err(e) => return Ok(Outcome::of(Status::Skipped(format!("cannot read: {e}")))),
    };
    if let Some(prev) = previous.filter(|p| same_id && p.sha256 == sha256) {
        let mut entry = prev.clone();
        entry.mtime_ns = file.mtime_ns;
        entry.size = file.size;
        return Ok(Outcome::of(Status::Unchanged(Some(entry))));
    }
    // A changed or new file: its old documents go first, so the delete precedes the adds.
    if previous.is_some() {
        writer::delete_source(ctx.writer, ctx.fields, &file.source);
    }
    let reader = match reader_for(file, ctx.forced) {
        Ok(r) => r,
        Err(reason) => return Ok(Outcome::of(Status::Skipped(reason))),
    };
    let mut run = FileRun::new(ctx, file);
    let read = reader.read(file.path(), ctx.read, &mut run);
    run.flush();
    if let Some(e) = run.error.take() {
        return Err(e);
    }
    if let Err(e) = read {
        if run.entry.conversations == 0 {
            // Nothing of the file was read: it is skipped whole (and any old version is gone).
            let mut outcome = run.outcome(Status::Skipped(e.to_string()));
            outcome.warnings.clear();
            return Ok(outcome);
        }
        run.warnings.push(Warning {
            path: file.source.to_string(),
            message: format!("stopped reading: {e}; the conversations before were indexed"),
        });
    }
    let mut entry = std::mem::take(&mut run.entry);
    entry.stats.shrink_to_fit();
    entry.format = reader.name().to_owned();
    entry.sha256 = sha256;
    Ok(run.outcome(Status::Indexed(entry)))
}

/// The sha256 of the file at `path` in lower-case hex, read a megabyte at a time (the checksum
/// the manifest records per file, and `data/SHA256SUMS` per data file).
pub fn sha256_hex(path: &std::path::Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The sink a file is read into: conversations are named, batched, processed and written.
struct FileRun<'a> {
    ctx: &'a Context<'a>,
    file: &'a Found,
    batch: Vec<(String, Conversation)>,
    batch_bytes: usize,
    /// Hashes of the keys seen in the file: 8 bytes a conversation however long its key, for
    /// files of millions of records. A collision only renames a key (`~2`), deterministically.
    keys: HashSet<u64>,
    entry: FileEntry,
    records_skipped: Vec<Skipped>,
    warnings: Vec<Warning>,
    error: Option<Error>,
}

impl<'a> FileRun<'a> {
    fn new(ctx: &'a Context<'a>, file: &'a Found) -> Self {
        FileRun {
            ctx,
            file,
            batch: Vec::new(),
            batch_bytes: 0,
            keys: HashSet::new(),
            entry: FileEntry {
                root: file.root().to_owned(),
                conversation: file.id().to_owned(),
                size: file.size,
                mtime_ns: file.mtime_ns,
                ..FileEntry::default()
            },
            records_skipped: Vec::new(),
            warnings: Vec::new(),
            error: None,
        }
    }

    /// The conversation's id: the file's, or `file#key` with keys made unique in the file.
    fn id_for(&mut self, conv: &Conversation) -> String {
        let multi = conv.key.is_some() || self.entry.conversations > 0;
        if !multi {
            return self.file.id().to_owned();
        }
        let key = match &conv.key {
            Some(k) if !k.is_empty() => k.clone(),
            _ => conv
                .origin
                .record
                .unwrap_or(self.entry.conversations as u64 + 1)
                .to_string(),
        };
        let mut unique = key.clone();
        let mut n = 2;
        while !self.keys.insert(key_hash(&unique)) {
            unique = format!("{key}~{n}");
            n += 1;
        }
        format!("{}#{unique}", self.file.id())
    }

    /// Process and write the batch on every core.
    fn flush(&mut self) {
        if self.batch.is_empty() || self.error.is_some() {
            self.batch.clear();
            return;
        }
        let ctx = self.ctx;
        let source = &*self.file.source;
        let results: Vec<Result<(FileEntry, FileStats)>> = std::mem::take(&mut self.batch)
            .into_par_iter()
            .map(|(id, raw)| {
                let conv = pipeline::process_with(raw, &ctx.repairer, ctx.segment_config);
                let at = Placement { id: &id, source };
                writer::add_conversation(ctx.writer, ctx.fields, &at, &conv)?;
                let mut stats = FileStats::default();
                stats.add(&conv);
                Ok((counts(&conv), stats))
            })
            .collect();
        self.batch_bytes = 0;
        for r in results {
            match r {
                Ok((c, stats)) => {
                    self.entry.turns += c.turns;
                    self.entry.repaired_turns += c.repaired_turns;
                    self.entry.guesses += c.guesses;
                    self.entry.stats.merge(&stats);
                }
                Err(e) => {
                    self.error.get_or_insert(e);
                }
            }
        }
    }

    fn outcome(self, status: Status) -> Outcome {
        Outcome {
            status,
            records_skipped: self.records_skipped,
            warnings: self.warnings,
        }
    }
}

fn key_hash(key: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(key)
}

fn counts(conv: &pipeline::Conversation) -> FileEntry {
    FileEntry {
        turns: conv.turns.len(),
        repaired_turns: conv.turns.iter().filter(|t| t.repaired()).count(),
        guesses: conv.turns.iter().map(|t| t.guesses.len()).sum(),
        ..FileEntry::default()
    }
}

impl Sink for FileRun<'_> {
    fn conversation(&mut self, conv: Conversation) {
        let id = self.id_for(&conv);
        self.entry.conversations += 1;
        self.batch_bytes += conv.turns.iter().map(|t| t.text.len()).sum::<usize>();
        self.batch.push((id, conv));
        if self.batch.len() >= BATCH_CONVERSATIONS || self.batch_bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    fn skipped(&mut self, at: Origin, reason: String) {
        self.entry.skipped_records += 1;
        self.records_skipped.push(Skipped {
            path: at.locate(&self.file.source),
            reason,
        });
    }

    fn warning(&mut self, at: Origin, message: String) {
        let path = if at.line == 0 && at.record.is_none() {
            self.file.source.to_string()
        } else {
            at.locate(&self.file.source)
        };
        self.warnings.push(Warning { path, message });
    }

    fn full(&self) -> bool {
        self.error.is_some()
    }
}
