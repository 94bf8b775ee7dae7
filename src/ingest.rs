//! Ingest: walk corpus roots, run each changed file through the pipeline in parallel, and write
//! its turns to the tantivy index in one atomic commit.
//!
//! Incrementality comes from a manifest beside the index (`colloquy-manifest.json`): per file its
//! size, mtime and SHA-256. Unchanged size+mtime skips the file without reading it; a changed mtime
//! with the same hash only refreshes the manifest. The manifest records the opstamp of the commit it
//! describes, so a crash between commit and manifest write is detected and answered by a rebuild.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, UNIX_EPOCH};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tantivy::schema::Term;
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{doc, Index, IndexSettings, IndexWriter, TantivyDocument};

use crate::decode;
use crate::error::{Error, Result};
use crate::pipeline::{self, Conversation};
use crate::repair::{CorpusStats, Repairer};
use crate::schema::{self, Fields, KIND_CONVERSATION, KIND_TURN, SCHEMA_VERSION};
use crate::spans::{self, SegmentConfig};

pub const MANIFEST: &str = "colloquy-manifest.json";
const WRITER_MEMORY: usize = 200_000_000;

/// Receives ingest progress; the CLI draws a bar with it when stderr is a terminal.
pub trait Progress: Sync {
    /// `total` files will be looked at.
    fn start(&self, total: usize);
    /// One more file was looked at.
    fn advance(&self);
    fn finish(&self);
}

/// Progress that goes nowhere.
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: usize) {}
    fn advance(&self) {}
    fn finish(&self) {}
}

/// What to ingest and where.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Corpus folders or single files.
    pub roots: Vec<PathBuf>,
    pub index_dir: PathBuf,
    /// Drop everything and index from scratch.
    pub rebuild: bool,
    /// Languages the detector may assign to Latin-script spans (script rules always apply);
    /// `None` for the default set (zh, en, ja, ko, fr, es, de).
    pub languages: Option<Vec<String>>,
}

/// A file that was not indexed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// A non-fatal note about a file that was indexed.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

/// What an ingest run did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct IngestSummary {
    /// Files found under the roots.
    pub files: usize,
    /// Files (re)indexed in this run.
    pub indexed: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<Warning>,
    /// Totals in the index after the run.
    pub conversations: usize,
    pub turns: usize,
    pub repaired_turns: usize,
    pub guesses: usize,
    /// Turns written in this run.
    pub turns_indexed: usize,
    pub rebuilt: bool,
    #[serde(skip)]
    pub elapsed: Duration,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct Manifest {
    pub schema_version: u32,
    pub opstamp: u64,
    /// The language set the index was built with; another set re-indexes everything.
    #[serde(default)]
    pub languages: Vec<String>,
    pub files: BTreeMap<String, FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub(crate) struct FileEntry {
    pub conversation: String,
    pub size: u64,
    pub mtime_ns: u128,
    pub sha256: String,
    pub turns: usize,
    pub repaired_turns: usize,
    pub guesses: usize,
    #[serde(default)]
    pub stats: FileStats,
}

impl FileEntry {
    /// Same size and modification time: taken as unchanged without reading the file.
    fn same_stat(&self, file: &Found) -> bool {
        self.size == file.size && self.mtime_ns == file.mtime_ns
    }
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
    /// Characters in repaired turns that repair changed, and guesses below the confidence bar.
    pub low_confidence_guesses: usize,
    pub characters: usize,
}

/// Apply `f` to the value under `key`, inserting a default first; the key is copied only when
/// it is new (it almost never is: a corpus has a handful of speakers and languages).
pub(crate) fn update<V: Default>(map: &mut BTreeMap<String, V>, key: &str, f: impl FnOnce(&mut V)) {
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
    fn of(conv: &Conversation) -> Self {
        let mut s = FileStats::default();
        for t in &conv.turns {
            let chars = t.text.chars().count();
            s.characters += chars;
            update(&mut s.speakers, &t.speaker, |e| {
                e.0 += 1;
                e.1 += chars;
            });
            for l in &t.languages {
                update(&mut s.languages, l, |n| *n += 1);
            }
            if let Some(d) = &t.dominant_language {
                update(&mut s.dominant, d, |n| *n += 1);
            }
            s.code_switched += usize::from(t.code_switched);
            s.low_confidence_guesses += t.guesses.iter().filter(|g| g.low_confidence()).count();
        }
        s
    }
}

/// A file found by the walk.
struct Found {
    source: String,
    conversation: String,
    path: PathBuf,
    size: u64,
    mtime_ns: u128,
}

/// True when `dir` holds a colloquy index.
pub fn index_exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file() && dir.join(MANIFEST).is_file()
}

/// Open an existing index with colloquy's tokenizers registered.
pub fn open_index(dir: &Path) -> Result<Index> {
    if !index_exists(dir) {
        return Err(Error::IndexMissing {
            path: dir.to_owned(),
        });
    }
    let index = Index::open_in_dir(dir).map_err(|source| Error::Index {
        path: dir.to_owned(),
        source,
    })?;
    schema::register_tokenizers(&index);
    Ok(index)
}

/// Ingest `opts.roots` into the index at `opts.index_dir`.
pub fn ingest(opts: &IngestOptions, progress: &dyn Progress) -> Result<IngestSummary> {
    let started = Instant::now();
    for root in &opts.roots {
        if !root.exists() {
            return Err(Error::CorpusMissing { path: root.clone() });
        }
    }
    let mut summary = IngestSummary::default();
    let (index, mut manifest) = open_or_create(&opts.index_dir, opts.rebuild, &mut summary)?;
    let fields = Fields::new(&index.schema())?;
    let mut segment_config = SegmentConfig::default();
    match &opts.languages {
        Some(langs) => {
            segment_config.allowed = langs.iter().map(|l| l.trim().to_lowercase()).collect();
        }
        // The set an index was built with sticks to it until another is asked for.
        None if !manifest.languages.is_empty() && !summary.rebuilt => {
            segment_config.allowed = manifest.languages.clone();
        }
        None => {}
    }
    if !summary.rebuilt
        && !manifest.files.is_empty()
        && manifest.languages != segment_config.allowed
    {
        summary.rebuilt = true;
    }
    let mut writer: IndexWriter<TantivyDocument> =
        index.writer(WRITER_MEMORY).map_err(|source| Error::Index {
            path: opts.index_dir.clone(),
            source,
        })?;
    if summary.rebuilt {
        writer.delete_all_documents()?;
        manifest.files.clear();
    }

    let (found, walk_skipped) = walk(&opts.roots);
    summary.files = found.len() + walk_skipped.len();
    summary.skipped = walk_skipped;

    let seen: BTreeSet<&str> = found.iter().map(|f| f.source.as_str()).collect();
    let removed: Vec<String> = manifest
        .files
        .keys()
        .filter(|k| !seen.contains(k.as_str()))
        .cloned()
        .collect();
    for source in &removed {
        writer.delete_term(Term::from_field_text(fields.source, source));
        manifest.files.remove(source);
    }
    summary.removed = removed.len();

    let repairer = Repairer::with_stats(learn_clean_stats(&found, &manifest));
    let updates: Mutex<Vec<(String, Option<FileEntry>)>> = Mutex::new(Vec::new());
    let skipped = Mutex::new(Vec::new());
    let warnings = Mutex::new(Vec::new());
    let unchanged = AtomicUsize::new(0);
    let turns_indexed = AtomicUsize::new(0);
    let indexed = AtomicUsize::new(0);
    let write_error: Mutex<Option<Error>> = Mutex::new(None);

    let process_one = |file: &Found| {
        let previous = manifest.files.get(&file.source);
        if previous.is_some_and(|p| p.same_stat(file)) {
            unchanged.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let bytes = match std::fs::read(&file.path) {
            Ok(b) => b,
            Err(e) => {
                push(&skipped, skip(file, format!("cannot read: {e}")));
                return;
            }
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        if let Some(prev) = previous {
            if prev.sha256 == sha256 {
                unchanged.fetch_add(1, Ordering::Relaxed);
                let mut entry = prev.clone();
                entry.mtime_ns = file.mtime_ns;
                entry.size = file.size;
                push(&updates, (file.source.clone(), Some(entry)));
                return;
            }
        }
        // A changed or new file: its old turns go first, so the delete's opstamp precedes the adds.
        if previous.is_some() {
            writer.delete_term(Term::from_field_text(fields.source, &file.source));
        }
        let decoded = match decode::decode(bytes) {
            Ok(d) => d,
            Err(reason) => {
                push(&skipped, skip(file, reason.to_string()));
                push(&updates, (file.source.clone(), None));
                return;
            }
        };
        if decoded.lossy {
            push(
                &warnings,
                Warning {
                    path: file.source.clone(),
                    message: lossy_message(&decoded),
                },
            );
        }
        let conv = pipeline::process_with(&decoded.text, &repairer, &segment_config);
        if conv.unstructured {
            push(
                &warnings,
                Warning {
                    path: file.source.clone(),
                    message: "no `[SPEAKER]: ` lines; indexed as a single turn with no speaker"
                        .into(),
                },
            );
        }
        if let Err(e) = write_conversation(&writer, &fields, file, &conv) {
            write_error.lock().map(|mut w| *w = Some(e)).ok();
            return;
        }
        turns_indexed.fetch_add(conv.turns.len(), Ordering::Relaxed);
        indexed.fetch_add(1, Ordering::Relaxed);
        let entry = FileEntry {
            conversation: file.conversation.clone(),
            size: file.size,
            mtime_ns: file.mtime_ns,
            sha256,
            turns: conv.turns.len(),
            repaired_turns: conv.turns.iter().filter(|t| t.repaired()).count(),
            guesses: conv.turns.iter().map(|t| t.guesses.len()).sum(),
            stats: FileStats::of(&conv),
        };
        push(&updates, (file.source.clone(), Some(entry)));
    };
    progress.start(found.len());
    found.par_iter().for_each(|file| {
        process_one(file);
        progress.advance();
    });
    progress.finish();

    if let Some(e) = write_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let updates = updates.into_inner().unwrap_or_default();
    for (source, entry) in updates {
        match entry {
            Some(entry) => {
                manifest.files.insert(source, entry);
            }
            None => {
                manifest.files.remove(&source);
            }
        }
    }
    summary
        .skipped
        .extend(skipped.into_inner().unwrap_or_default());
    summary.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    summary.warnings = warnings.into_inner().unwrap_or_default();
    summary.warnings.sort_by(|a, b| a.path.cmp(&b.path));
    summary.unchanged = unchanged.into_inner();
    summary.turns_indexed = turns_indexed.into_inner();
    summary.indexed = indexed.into_inner();

    let opstamp = writer.commit()?;
    writer.wait_merging_threads()?;
    manifest.opstamp = opstamp;
    manifest.schema_version = SCHEMA_VERSION;
    manifest.languages = segment_config.allowed.clone();
    write_manifest(&opts.index_dir, &manifest)?;

    summary.conversations = manifest.files.len();
    summary.turns = manifest.files.values().map(|e| e.turns).sum();
    summary.repaired_turns = manifest.files.values().map(|e| e.repaired_turns).sum();
    summary.guesses = manifest.files.values().map(|e| e.guesses).sum();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// File bytes the first pass reads per run, at most: enough for character and emoji statistics,
/// and a bound on the work done twice when most of a large corpus changed.
const CLEAN_SAMPLE_BYTES: usize = 64 << 20;

/// The repair model's corpus statistics: characters and pairs of the undamaged turns of the files
/// this run will (re)index, from their first [`CLEAN_SAMPLE_BYTES`]. A first pass, because the
/// damaged turns of a file may come before the clean turns that explain them.
fn learn_clean_stats(found: &[Found], manifest: &Manifest) -> CorpusStats {
    let budget = AtomicUsize::new(CLEAN_SAMPLE_BYTES);
    // Charge a file's size before reading it; false once the budget is spent.
    let take = |n: u64| {
        budget
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                (left > 0).then(|| left.saturating_sub(usize::try_from(n).unwrap_or(usize::MAX)))
            })
            .is_ok()
    };
    found
        .par_iter()
        .filter(|f| {
            manifest
                .files
                .get(&f.source)
                .is_none_or(|prev| !prev.same_stat(f))
        })
        .fold(CorpusStats::new, |mut stats, file| {
            if !take(file.size) {
                return stats;
            }
            let Ok(bytes) = std::fs::read(&file.path) else {
                return stats;
            };
            let Ok(decoded) = decode::decode(bytes) else {
                return stats;
            };
            for turn in crate::turns::split(&decoded.text).turns {
                stats.observe_if_clean(&turn.text);
            }
            stats
        })
        .reduce(CorpusStats::new, |mut a, b| {
            a.merge(&b);
            a
        })
}

fn push<T>(list: &Mutex<Vec<T>>, item: T) {
    if let Ok(mut l) = list.lock() {
        l.push(item);
    }
}

fn skip(file: &Found, reason: String) -> Skipped {
    Skipped {
        path: file.source.clone(),
        reason,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_conversation(
    writer: &IndexWriter<TantivyDocument>,
    f: &Fields,
    file: &Found,
    conv: &Conversation,
) -> Result<()> {
    writer.add_document(doc!(
        f.kind => KIND_CONVERSATION,
        f.conversation => file.conversation.as_str(),
        f.source => file.source.as_str(),
        f.title => conv.title.as_str(),
        f.preamble => conv.preamble.as_str(),
        f.turns => conv.turns.len() as u64,
    ))?;
    for turn in &conv.turns {
        let mut d = doc!(
            f.kind => KIND_TURN,
            f.conversation => file.conversation.as_str(),
            f.source => file.source.as_str(),
            f.line => turn.line as u64,
            f.turn => turn.index as u64,
            f.speaker => turn.speaker.as_str(),
            f.title => conv.title.as_str(),
            f.text => turn.text.as_str(),
            f.repaired => turn.repaired(),
            f.code_switched => turn.code_switched,
            f.spans => serde_json::to_string(&turn.spans).unwrap_or_default(),
        );
        for lang in &turn.languages {
            d.add_text(f.languages, lang);
        }
        if let Some(dominant) = &turn.dominant_language {
            d.add_text(f.dominant, dominant);
        }
        if let Some(original) = &turn.original {
            d.add_text(f.original, original);
        }
        if !turn.guesses.is_empty() {
            d.add_text(
                f.guesses,
                serde_json::to_string(&stored_guesses(&turn.guesses)).unwrap_or_default(),
            );
        }
        for (lang, text) in spans::text_by_lang(&turn.text, &turn.spans) {
            if let Some((_, field)) = f.lang_fields.iter().find(|(l, _)| *l == lang) {
                d.add_text(*field, &text);
            }
        }
        writer.add_document(d)?;
    }
    Ok(())
}

/// Where decoding replaced malformed bytes: the first line and how many more.
fn lossy_message(decoded: &decode::Decoded) -> String {
    let mut lines = decoded
        .text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains('\u{FFFD}'))
        .map(|(i, _)| i + 1);
    let first = lines.next().unwrap_or(1);
    let more = match lines.count() {
        0 => String::new(),
        n => format!(" and {n} more lines"),
    };
    format!(
        "malformed {} bytes replaced by U+FFFD at line {first}{more}",
        decoded.encoding
    )
}

/// Runners-up kept per guess in the index, and the smallest probability worth keeping.
const STORED_ALTERNATIVES: usize = 3;
const MIN_STORED_PROBABILITY: f64 = 0.001;

/// Guesses as stored with a turn: probabilities to three decimals and the likeliest runners-up,
/// which is what a reader checks; the full lattice output is `colloquy repair --json`'s job. On the
/// seeds this keeps the stored guesses at about a third of their full size.
/// Serialized straight from the guesses (no JSON tree per guess); fields in the alphabetical
/// order the stored documents have always had.
fn stored_guesses(guesses: &[crate::repair::Guess]) -> Vec<StoredGuess<'_>> {
    let round = |p: f64| (p * 1000.0).round() / 1000.0;
    guesses
        .iter()
        .map(|g| StoredGuess {
            alternatives: g
                .alternatives
                .iter()
                .filter(|a| a.probability >= MIN_STORED_PROBABILITY)
                .take(STORED_ALTERNATIVES)
                .map(|a| StoredAlternative {
                    probability: round(a.probability),
                    text: a.text,
                })
                .collect(),
            chosen: g.chosen,
            code_page: g.code_page,
            confidence: round(g.confidence),
            end: g.end,
            original: g.original.as_str(),
            start: g.start,
        })
        .collect()
}

#[derive(Serialize)]
struct StoredGuess<'a> {
    alternatives: Vec<StoredAlternative>,
    chosen: char,
    code_page: crate::repair::CodePage,
    confidence: f64,
    end: usize,
    original: &'a str,
    start: usize,
}

#[derive(Serialize)]
struct StoredAlternative {
    probability: f64,
    text: char,
}

fn open_or_create(
    dir: &Path,
    rebuild: bool,
    summary: &mut IngestSummary,
) -> Result<(Index, Manifest)> {
    if dir.join("meta.json").is_file() {
        let manifest = read_manifest(dir).unwrap_or_default();
        let index = Index::open_in_dir(dir).map_err(|source| Error::Index {
            path: dir.to_owned(),
            source,
        });
        let consistent = manifest.schema_version == SCHEMA_VERSION
            && index
                .as_ref()
                .ok()
                .and_then(|i| i.load_metas().ok())
                .is_some_and(|m| m.opstamp == manifest.opstamp);
        if let (Ok(index), true) = (index, consistent) {
            schema::register_tokenizers(&index);
            summary.rebuilt = rebuild;
            return Ok((index, manifest));
        }
        // An index from another schema version, or whose manifest does not describe its last commit:
        // nothing in it can be trusted, so start over.
        clear_index_dir(dir)?;
        summary.rebuilt = true;
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create index folder {}", dir.display()), e))?;
    // Stored turns (text, original, guesses) are most of the index; zstd over 64 KiB blocks keeps
    // them about half the size lz4 gives, and a hit only ever decompresses one block.
    let settings = IndexSettings {
        docstore_compression: Compressor::Zstd(ZstdCompressor {
            compression_level: Some(3),
        }),
        docstore_blocksize: 64 * 1024,
        ..IndexSettings::default()
    };
    let index = Index::builder()
        .schema(schema::build())
        .settings(settings)
        .create_in_dir(dir)
        .map_err(|source| Error::Index {
            path: dir.to_owned(),
            source,
        })?;
    schema::register_tokenizers(&index);
    Ok((index, Manifest::default()))
}

/// Remove an old index's files, keeping anything that is not tantivy's or ours (e.g. `.gitkeep`).
fn clear_index_dir(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read index folder {}", dir.display()), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == "meta.json"
            || name == MANIFEST
            || name == ".managed.json"
            || name.starts_with(".tantivy-")
            || name.split('.').next().is_some_and(|stem| {
                stem.len() == 32 && stem.chars().all(|c| c.is_ascii_hexdigit())
            });
        if ours && entry.path().is_file() {
            std::fs::remove_file(entry.path())
                .map_err(|e| Error::io(format!("cannot remove {}", entry.path().display()), e))?;
        }
    }
    Ok(())
}

pub(crate) fn read_manifest(dir: &Path) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join(MANIFEST)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
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

/// Walk the roots; hidden files and folders are not corpus content.
fn walk(roots: &[PathBuf]) -> (Vec<Found>, Vec<Skipped>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for root in roots {
        let base = if root.is_file() {
            root.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            root.clone()
        };
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e.path().map(display).unwrap_or_else(|| display(root));
                    let reason = match e.io_error() {
                        Some(io) => format!("cannot read: {io}"),
                        None => e.to_string(),
                    };
                    skipped.push(Skipped { path, reason });
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.path().to_path_buf();
            let rel = path.strip_prefix(&base).unwrap_or(&path);
            let conversation = display(&rel.with_extension(""));
            let (size, mtime_ns) = match entry.metadata() {
                Ok(m) => (
                    m.len(),
                    m.modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_nanos()),
                ),
                Err(e) => {
                    skipped.push(Skipped {
                        path: display(&path),
                        reason: format!("cannot read metadata: {e}"),
                    });
                    continue;
                }
            };
            found.push(Found {
                source: display(&path),
                conversation,
                path,
                size,
                mtime_ns,
            });
        }
    }
    (found, skipped)
}

/// Paths are shown and stored with `/` separators on every platform.
fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
