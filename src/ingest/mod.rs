//! Ingest: walk corpus roots, read each changed file with its format reader, run its
//! conversations through the pipeline on every core, and write them to the index in one atomic
//! commit.
//!
//! Incrementality comes from the index's manifest: per file its size, mtime and SHA-256. Unchanged
//! size+mtime skips the file without reading it; a changed mtime with the same hash only refreshes
//! the manifest. The index remembers its roots: an ingest adds and updates, and removes files only
//! under the roots it walks; files of other roots stay until `--prune`.

mod collect;
mod file;
mod walk;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::formats::{self, ReadOptions, Reader};
use crate::index::writer::{self, Writer};
use crate::index::{self, schema::Fields, FileEntry, Manifest};
use crate::pipeline;
use crate::repair::{CorpusStats, Repairer};
use crate::spans::SegmentConfig;
pub use file::sha256_hex;
pub use walk::Found;

/// The indexing memory budget of one tantivy indexing thread: each fills an arena this big, then
/// writes it out as a segment. It is reached early in a big ingest and by ~100 MB of text, so
/// peak memory is a function of the cores, not of the corpus's size. (200 MB shared by two
/// threads, before: a 100 MB corpus never filled it and peaked at 215 MB, a 1 GB one at 338-372.)
/// 80 MB was tried: peak RSS 145 and 160 MB at 100 MB and 1 GB instead of ~168 and ~185, the
/// same +10 % between them (what grows is not the arena), for 17 segments at 1 GB instead of 13:
/// index/corpus 1.00 -> 1.01x, the Chinese word 14.1 -> 16.0 ms.
const WRITER_MEMORY_PER_THREAD: usize = 100_000_000;

/// Makes every large allocation a mapping of its own, given back to the system when freed.
/// tantivy's indexing arena is made of 1 MiB pages, freed when a segment is flushed; glibc's
/// default raises its mmap threshold to the size of the first such block freed, then serves the
/// next arenas from the heap, which it keeps. Peak RSS of `colloquy bench scale`'s corpora:
/// 1 GB 242 -> 220 MB, 100 MB 180 -> 179 MB; ingest time unchanged. (Trimming the heap every
/// 64 files as well: no further change.)
fn return_flushed_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of glibc's allocator; any value is valid, and
    // allocations made before keep working under the new threshold.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// tantivy indexing threads: one per four cores. Repair, on every core, is most of an ingest's
/// work; one indexing thread kept up with two cores of it (a 100 MB corpus: 35.7 s with one,
/// 34.4 s with two, peak 186 MB against 215 MB).
fn indexing_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 4).max(1))
}
/// Messages about skipped records kept for the summary; all are counted.
const MAX_RECORD_MESSAGES: usize = 1000;

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
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Corpus folders or single files.
    pub roots: Vec<PathBuf>,
    pub index_dir: PathBuf,
    /// Drop everything and index from scratch.
    pub rebuild: bool,
    /// Remove files of roots this run does not walk.
    pub prune: bool,
    /// Languages the detector may assign to Latin-script spans (script rules always apply);
    /// `None` for the default set (zh, en, ja, ko, fr, es, de).
    pub languages: Option<Vec<String>>,
    /// Follow symbolic links wherever they lead (by default only those inside their root).
    pub follow_links: bool,
    /// Read every file with this format instead of choosing per file.
    pub format: Option<String>,
    /// Field names for formats with free field names.
    pub read: ReadOptions,
}

/// A file or record that was not indexed, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The file, or `file#record:line` / `file:line` for a record.
    pub path: String,
    pub reason: String,
}

/// A non-fatal note about data that was indexed.
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
    /// Files not indexed.
    pub skipped: Vec<Skipped>,
    /// Records (or lines) skipped inside files that were indexed; at most
    /// [`MAX_RECORD_MESSAGES`] kept, all counted in `records_skipped`.
    pub skipped_records: Vec<Skipped>,
    pub records_skipped: usize,
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

/// Ingest `opts.roots` into the index at `opts.index_dir`.
pub fn ingest(opts: &IngestOptions, progress: &dyn Progress) -> Result<IngestSummary> {
    let started = Instant::now();
    return_flushed_arenas();
    for root in &opts.roots {
        if !root.exists() {
            return Err(Error::CorpusMissing { path: root.clone() });
        }
    }
    let forced = match &opts.format {
        Some(name) => Some(formats::by_name(name).map_err(Error::Format)?),
        None => None,
    };
    let (idx, mut manifest, rebuilt, _lock) =
        index::open_for_writing(&opts.index_dir, opts.rebuild)?;
    let mut summary = IngestSummary {
        rebuilt: rebuilt || opts.rebuild,
        ..IngestSummary::default()
    };
    let segment_config = segment_config(opts, &manifest, &mut summary);
    let fields = Fields::new(&idx.schema())?;
    let threads = indexing_threads();
    let writer = Writer::new(
        idx.writer_with_num_threads(threads, WRITER_MEMORY_PER_THREAD * threads)
            .map_err(|source| Error::Index {
                path: opts.index_dir.clone(),
                source,
            })?,
    );
    writer.tantivy.set_merge_policy(Box::new(merge_policy()));
    // A writer killed mid-commit leaves files no commit refers to, a deletes file named by its
    // segment and opstamp among them; this run's commit would reuse the name and fail.
    writer
        .tantivy
        .garbage_collect_files()
        .wait()
        .map_err(|source| Error::Index {
            path: opts.index_dir.clone(),
            source,
        })?;
    if summary.rebuilt {
        writer.tantivy.delete_all_documents()?;
        manifest.files.clear();
    }

    let roots: BTreeSet<String> = opts.roots.iter().map(|r| walk::root_key(r)).collect();
    let (mut found, walk_skipped) = walk::walk(&opts.roots, opts.follow_links);
    summary.files = found.len() + walk_skipped.len();
    summary.skipped = walk_skipped;
    summary.removed = remove_gone(&writer, &fields, &mut manifest, &found, &roots, opts.prune);
    let taken: BTreeSet<String> = manifest
        .files
        .values()
        .filter(|e| !roots.contains(&e.root))
        .map(|e| e.conversation.clone())
        .collect();
    walk::assign_ids(&mut found, &taken);

    let ctx = file::Context {
        writer: &writer,
        fields: &fields,
        repairer: Repairer::with_stats(learn_clean_stats(&found, &manifest, forced, &opts.read)),
        segment_config: &segment_config,
        read: &opts.read,
        forced,
    };
    let collector = Mutex::new(collect::Collector::new(&opts.index_dir)?);
    progress.start(found.len());
    found.par_iter().for_each(|f| {
        let outcome = file::ingest_file(&ctx, f, manifest.files.get(&*f.source));
        if let Ok(mut c) = collector.lock() {
            c.add(&f.source, outcome);
        }
        progress.advance();
    });
    progress.finish();
    drop(ctx);
    drop(found);
    let collected = collector.into_inner().map_err(|_| {
        Error::io(
            "an ingest thread panicked",
            std::io::ErrorKind::Other.into(),
        )
    })?;
    finish(
        writer,
        manifest,
        collected,
        opts,
        &segment_config,
        summary,
        started,
    )
}

/// tantivy's log merge policy, except that segments past [`MERGE_MAX_DOCS`] are left as they are:
/// a merge reads its segments through memory maps, and every page it reads counts in the process's
/// resident memory. Sampled during a 1 GB ingest (`bench scale`), anonymous memory stayed at
/// ~330 MB while a merge of the flushed segments mapped 852 MB more (peak RSS 1.18 GB). Only the
/// small segments of incremental ingests are merged now; a big ingest keeps its flushed segments,
/// and searches over a few more segments cost little.
fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_max_docs_before_merge(MERGE_MAX_DOCS);
    policy
}

/// Documents (turns and conversations) above which a segment is not merged further: below what
/// the writer's memory budget flushes in a big ingest (~50,000 documents a segment).
const MERGE_MAX_DOCS: usize = 10_000;

/// The language set: asked for, else the one the index was built with; another set than the
/// index's re-indexes everything.
fn segment_config(
    opts: &IngestOptions,
    manifest: &Manifest,
    summary: &mut IngestSummary,
) -> SegmentConfig {
    let mut config = SegmentConfig::default();
    match &opts.languages {
        Some(langs) => config.allowed = langs.iter().map(|l| l.trim().to_lowercase()).collect(),
        None if !manifest.languages.is_empty() && !summary.rebuilt => {
            config.allowed = manifest.languages.clone();
        }
        None => {}
    }
    if !summary.rebuilt && !manifest.files.is_empty() && manifest.languages != config.allowed {
        summary.rebuilt = true;
    }
    config
}

/// Delete files that are gone from the roots being walked (and, with `prune`, every file of
/// other roots); the number removed.
fn remove_gone(
    writer: &Writer,
    fields: &Fields,
    manifest: &mut Manifest,
    found: &[Found],
    roots: &BTreeSet<String>,
    prune: bool,
) -> usize {
    let seen: BTreeSet<&str> = found.iter().map(|f| &*f.source).collect();
    let gone: Vec<String> = manifest
        .files
        .iter()
        .filter(|(source, entry)| {
            let walked = roots.contains(&entry.root) || entry.root.is_empty();
            if walked {
                !seen.contains(source.as_str())
            } else {
                prune
            }
        })
        .map(|(source, _)| source.clone())
        .collect();
    for source in &gone {
        writer::delete_source(writer, fields, source);
        manifest.files.remove(source);
    }
    gone.len()
}

/// Commit, then bring the files' outcomes into the manifest and write it.
fn finish(
    writer: Writer,
    mut manifest: Manifest,
    mut collected: collect::Collector,
    opts: &IngestOptions,
    segment_config: &SegmentConfig,
    mut summary: IngestSummary,
    started: Instant,
) -> Result<IngestSummary> {
    if let Some(e) = collected.take_error() {
        return Err(e);
    }
    let mut tantivy = writer.tantivy;
    let opstamp = tantivy.commit()?;
    tantivy.wait_merging_threads()?;
    collected.finish(&mut summary, &mut manifest)?;
    manifest.opstamp = opstamp;
    manifest.schema_version = index::schema::SCHEMA_VERSION;
    manifest.languages = segment_config.allowed.clone();
    let mut roots: BTreeSet<String> = manifest.files.values().map(|e| e.root.clone()).collect();
    roots.extend(opts.roots.iter().map(|r| walk::root_key(r)));
    manifest.roots = roots.into_iter().filter(|r| !r.is_empty()).collect();
    index::manifest::write(&opts.index_dir, &manifest)?;

    summary.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    summary.conversations = manifest
        .files
        .values()
        .map(FileEntry::conversation_count)
        .sum();
    summary.turns = manifest.files.values().map(|e| e.turns).sum();
    summary.repaired_turns = manifest.files.values().map(|e| e.repaired_turns).sum();
    summary.guesses = manifest.files.values().map(|e| e.guesses).sum();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// The repair model's corpus statistics: characters and pairs of the undamaged turns of the files
/// this run will (re)index, from their first [`pipeline::LEARN_BYTES`] of text. A first pass, because
/// the damaged turns of a file may come before the clean turns that explain them.
///
/// Files are read in walk order, [`LEARN_GROUP`] at a time on every core, each from at most what
/// the budget had left when its group began, and merged in order until the budget is spent: the
/// same corpus teaches the same statistics however the threads run. (One budget shared between
/// threads made which files taught depend on timing: two ingests of one 100 MB corpus gave
/// confidences differing by 0.001 in 44 of 60 conversations.)
fn learn_clean_stats(
    found: &[Found],
    manifest: &Manifest,
    forced: Option<&'static dyn Reader>,
    read: &ReadOptions,
) -> CorpusStats {
    let todo: Vec<&Found> = found
        .iter()
        .filter(|f| {
            manifest
                .files
                .get(&*f.source)
                .is_none_or(|prev| !file::same_stat(prev, f))
        })
        .collect();
    learn_in_order(&todo, forced, read, pipeline::LEARN_BYTES)
}

/// [`learn_clean_stats`] over `todo`, in its order, from at most about `budget` bytes of turns.
fn learn_in_order(
    todo: &[&Found],
    forced: Option<&'static dyn Reader>,
    read: &ReadOptions,
    budget: usize,
) -> CorpusStats {
    let mut stats = CorpusStats::new();
    let mut left = budget;
    for files in todo.chunks(LEARN_GROUP) {
        if left == 0 {
            break;
        }
        let learned: Vec<(CorpusStats, usize)> = files
            .par_iter()
            .map(|f| learn_file(f, forced, read, left))
            .collect();
        for (file_stats, used) in learned {
            if left == 0 {
                break;
            }
            stats.merge(&file_stats);
            left = left.saturating_sub(used);
        }
    }
    stats
}

/// Files learned from at once. Fixed, not per core: each file of a group may read what the
/// budget had left when the group began, so the grouping decides what is learned.
const LEARN_GROUP: usize = 16;

/// One file's clean-turn statistics from at most `budget` bytes of its turns, and the bytes read.
fn learn_file(
    f: &Found,
    forced: Option<&'static dyn Reader>,
    read: &ReadOptions,
    budget: usize,
) -> (CorpusStats, usize) {
    let mut sink = pipeline::LearnSink {
        stats: CorpusStats::new(),
        left: budget,
    };
    if let Ok(reader) = file::reader_for(f, forced) {
        // A file that cannot be read is reported by the indexing pass.
        let _ = reader.read(f.path(), read, &mut sink);
    }
    (sink.stats, budget - sink.left)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statistics learned from a corpus larger than the budget are the same with one thread
    /// or two, run after run.
    #[test]
    fn learning_does_not_depend_on_thread_timing() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Eight clean files of ~6 KB, each of its own Han characters, of different lengths, so
        // that which files a shared budget reached first would show in the counts.
        for f in 0..8u32 {
            let line: String = (0..40)
                .filter_map(|k| char::from_u32(0x4E00 + f * 64 + k))
                .collect();
            let turns = format!("[A]: {line}\n").repeat(30 + 5 * f as usize);
            std::fs::write(dir.path().join(format!("{f}.txt")), turns).expect("write");
        }
        let (found, _) = walk::walk(&[dir.path().to_path_buf()], false);
        let todo: Vec<&Found> = found.iter().collect();
        let learn = |threads: usize, budget: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            pool.install(|| learn_in_order(&todo, None, &ReadOptions::default(), budget))
        };
        let one = learn(1, 20_000);
        for _ in 0..5 {
            assert!(learn(2, 20_000).same_counts(&one));
        }
        // The budget is what bounds the pass.
        let all = learn(2, 1 << 20);
        assert!(one.total_chars() > 0);
        assert!(one.total_chars() < all.total_chars());
    }
}
