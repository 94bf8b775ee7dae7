//! Benchmarks behind `colloquy bench`: each measures colloquy and a peer on the same input in the
//! same run and prints the ratio, so figures stay comparable across machines.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, TEXT};
use tantivy::{doc, Index, IndexWriter, TantivyDocument};

use crate::error::{Error, Result};
use crate::ingest::{self, IngestOptions, NoProgress};

pub mod child;
pub mod formats;
mod generate;
pub mod precision;
pub mod scale;
#[cfg(feature = "server")]
pub mod serve;

/// Figures of one ingest benchmark run: wall and CPU seconds of each stage.
#[derive(Debug, Clone, Serialize)]
pub struct IngestBench {
    pub files: usize,
    pub bytes: u64,
    pub turns: usize,
    /// Turns the stages before the index gave, which the peers index: `turns` again when they
    /// read the corpus as ingest did.
    pub prepared_turns: usize,
    /// Cores the process may use.
    pub cores: usize,
    /// Full colloquy ingest: decode, repair, turns, spans, analyzer, index, commit.
    pub colloquy: Timed,
    /// The stages before the index alone, on every core: read, decode, repair, turns, spans
    /// (without the corpus statistics ingest learns).
    pub prepare: Timed,
    /// tantivy alone: the same (repaired) turn texts, default tokenizer, same commit.
    pub peer: Timed,
    /// tantivy with colloquy's analyzer on the same turn texts (no repair, no spans): the cost
    /// of the analyzer itself against the default tokenizer.
    pub analyzer: Timed,
}

/// Wall and CPU (all threads, user and system) seconds of one stage.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timed {
    pub secs: f64,
    pub cpu_secs: f64,
}

/// Run `f`, timing it by the clock and by this process's CPU use.
fn timed<T>(f: impl FnOnce() -> Result<T>) -> Result<(T, Timed)> {
    let (started, cpu) = (Instant::now(), child::self_cpu_secs());
    let out = f()?;
    let timed = Timed {
        secs: started.elapsed().as_secs_f64(),
        cpu_secs: child::self_cpu_secs() - cpu,
    };
    Ok((out, timed))
}

impl IngestBench {
    pub fn mb_s(&self, secs: f64) -> f64 {
        self.bytes as f64 / 1e6 / secs
    }
    pub fn colloquy_mb_s(&self) -> f64 {
        self.mb_s(self.colloquy.secs)
    }
    pub fn peer_mb_s(&self) -> f64 {
        self.mb_s(self.peer.secs)
    }
    pub fn analyzer_mb_s(&self) -> f64 {
        self.mb_s(self.analyzer.secs)
    }
    /// The most any ingest could reach on these cores if it did no more work than the stages
    /// before the index and tantivy with colloquy's analyzer, measured apart, and kept every
    /// core busy all the time: bytes over their CPU seconds shared among the cores.
    pub fn ceiling_mb_s(&self) -> f64 {
        let cpu = self.prepare.cpu_secs + self.analyzer.cpu_secs;
        self.mb_s(cpu / self.cores.max(1) as f64)
    }
}

/// The ingest benchmark as a table: each stage's wall time, MB/s and CPU seconds, the ratios,
/// and the ceiling the measured stages allow.
pub fn print_ingest(out: &mut impl std::io::Write, b: &IngestBench) -> std::io::Result<()> {
    writeln!(
        out,
        "ingest: {} files, {:.1} MB, {} turns ({} prepared for the peers), {} cores",
        b.files,
        b.bytes as f64 / 1e6,
        b.turns,
        b.prepared_turns,
        b.cores
    )?;
    writeln!(out, "{:<54}    wall     MB/s       CPU", "")?;
    let rows = [
        (
            "colloquy (decode+repair+turns+spans+analyzer+index)",
            b.colloquy,
        ),
        (
            "read+decode+repair+turns+spans alone (every core)",
            b.prepare,
        ),
        ("tantivy default tokenizer, same turns (peer 1)", b.peer),
        (
            "tantivy + colloquy analyzer, same turns (peer 2)",
            b.analyzer,
        ),
    ];
    for (what, t) in rows {
        writeln!(
            out,
            "  {what:<52}: {:>7.2} s {:>8.2} {:>7.2} s",
            t.secs,
            b.mb_s(t.secs),
            t.cpu_secs
        )?;
    }
    writeln!(
        out,
        "  ratio colloquy/peer: {:.2}x; analyzer vs default tokenizer: {:.2}x",
        b.colloquy_mb_s() / b.peer_mb_s(),
        b.analyzer_mb_s() / b.peer_mb_s()
    )?;
    writeln!(
        out,
        "  ceiling (the stages before the index + peer 2, their CPU shared by {} cores): {:.2} MB/s; colloquy reaches {:.0} %",
        b.cores,
        b.ceiling_mb_s(),
        100.0 * b.colloquy_mb_s() / b.ceiling_mb_s()
    )
}

/// Make `copies` copies of every file under `corpus` in `work/corpus`, as distinct conversations.
pub fn replicate(corpus: &Path, work: &Path, copies: usize) -> Result<(Vec<PathBuf>, u64)> {
    let mut sources = Vec::new();
    for entry in walkdir::WalkDir::new(corpus).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::io("walking the corpus", e.into()))?;
        if entry.file_type().is_file() {
            sources.push(entry.path().to_path_buf());
        }
    }
    let mut made = Vec::new();
    let mut bytes = 0;
    for i in 0..copies {
        let dir = work.join("corpus").join(format!("copy{i:05}"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        for src in &sources {
            let name = src.file_name().unwrap_or_default();
            let dst = dir.join(name);
            bytes += std::fs::copy(src, &dst)
                .map_err(|e| Error::io(format!("copying {}", src.display()), e))?;
            made.push(dst);
        }
    }
    Ok((made, bytes))
}

/// Ingest `copies` copies of `corpus` with colloquy and with plain tantivy.
pub fn ingest_bench(corpus: &Path, copies: usize) -> Result<IngestBench> {
    let work = tempfile::tempdir().map_err(|e| Error::io("creating a temporary folder", e))?;
    let (files, bytes) = replicate(corpus, work.path(), copies)?;

    let (summary, colloquy) = timed(|| {
        ingest::ingest(
            &IngestOptions {
                roots: vec![work.path().join("corpus")],
                index_dir: work.path().join("index"),
                rebuild: true,
                ..IngestOptions::default()
            },
            &NoProgress,
        )
    })?;
    // The peers index the turns colloquy indexed (repaired), so they tokenize the same text.
    let (turns, prepare) = timed(|| Ok(prepared_turns(&files)))?;
    let peer_dir = work.path().join("peer-index");
    let ((), peer) = timed(|| peer_tantivy(&turns, &peer_dir, false))?;
    let analyzer_dir = work.path().join("analyzer-index");
    let ((), analyzer) = timed(|| peer_tantivy(&turns, &analyzer_dir, true))?;
    Ok(IngestBench {
        files: files.len(),
        bytes,
        turns: summary.turns,
        prepared_turns: turns.len(),
        cores: rayon::current_num_threads(),
        colloquy,
        prepare,
        peer,
        analyzer,
    })
}

/// (file, speaker, repaired text) of every turn, read by the reader ingest would pick and run
/// through the text stages as ingest does (without the statistics ingest learns from the
/// corpus's clean turns, so a few guesses may differ), on every core. Every copy is processed,
/// as ingest processes it. Held whole in memory, as the peers index it after; a benchmark
/// corpus, not a user's.
fn prepared_turns(files: &[PathBuf]) -> Vec<(String, String, String)> {
    use rayon::prelude::*;
    let repairer = crate::repair::Repairer::new();
    files
        .par_iter()
        .flat_map_iter(|path| {
            let name = path.to_string_lossy().into_owned();
            file_turns(path, &repairer)
                .into_iter()
                .map(move |(speaker, text)| (name.clone(), speaker, text))
        })
        .collect()
}

/// (speaker, repaired text) of every turn of one file; none when it cannot be read.
fn file_turns(path: &Path, repairer: &crate::repair::Repairer) -> Vec<(String, String)> {
    let Ok(head) = crate::formats::head(path) else {
        return Vec::new();
    };
    let reader = crate::formats::choose(path, &head);
    let mut read = crate::formats::Collect::default();
    // A file that stops early keeps what was read, as ingest does.
    let _ = reader.read(path, &crate::formats::ReadOptions::default(), &mut read);
    read.conversations
        .into_iter()
        .flat_map(|conv| crate::pipeline::process(conv, repairer).turns)
        .map(|t| (t.speaker, t.text))
        .collect()
}

/// The floor for indexing these turns: read, split, index with tantivy's default tokenizer (or,
/// with `colloquy_analyzer`, with colloquy's analyzer and positions, as the turn field is indexed).
fn peer_tantivy(
    turns: &[(String, String, String)],
    dir: &Path,
    colloquy_analyzer: bool,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating the peer index", e))?;
    let mut builder = Schema::builder();
    let conv = builder.add_text_field("conversation", STORED);
    let speaker = builder.add_text_field("speaker", STORED);
    let options = if colloquy_analyzer {
        TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(crate::analyzer::ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    } else {
        TEXT | STORED
    };
    let text = builder.add_text_field("text", options);
    let index = Index::create_in_dir(dir, builder.build())?;
    crate::analyzer::register(&index);
    let mut writer: IndexWriter<TantivyDocument> = index.writer(200_000_000)?;
    for (name, who, body) in turns {
        writer.add_document(
            doc!(conv => name.as_str(), speaker => who.as_str(), text => body.as_str()),
        )?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// One damage model's figures for colloquy and the peer.
#[derive(Debug, Clone, Serialize)]
pub struct RepairRow {
    pub model: String,
    pub colloquy: crate::repair::Score,
    pub colloquy_mb_s: f64,
    pub ftfy: Option<crate::repair::Score>,
    pub ftfy_mb_s: Option<f64>,
}

/// Throughput of both tools on real damaged files.
/// Rounds of the damaged-seed speed comparison.
const SPEED_ROUNDS: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct SeedSpeed {
    pub files: Vec<String>,
    pub bytes: usize,
    pub cores: usize,
    /// Both tools timed on the same files, one after the other, in every round.
    pub rounds: Vec<SpeedRound>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct SpeedRound {
    /// One thread, as ftfy runs.
    pub colloquy_mb_s: f64,
    /// `Repairer::repair_parallel`: every core, as `colloquy repair` runs.
    pub colloquy_all_cores_mb_s: f64,
    pub ftfy_mb_s: Option<f64>,
}

impl SeedSpeed {
    fn best(&self, f: impl Fn(&SpeedRound) -> Option<f64>) -> Option<f64> {
        self.rounds.iter().filter_map(f).reduce(f64::max)
    }
    /// Best round of colloquy on one thread.
    pub fn colloquy_mb_s(&self) -> f64 {
        self.best(|r| Some(r.colloquy_mb_s)).unwrap_or(0.0)
    }
    /// Best round of colloquy on every core.
    pub fn colloquy_all_cores_mb_s(&self) -> f64 {
        self.best(|r| Some(r.colloquy_all_cores_mb_s))
            .unwrap_or(0.0)
    }
    /// Best round of ftfy.
    pub fn ftfy_mb_s(&self) -> Option<f64> {
        self.best(|r| r.ftfy_mb_s)
    }
    /// Per-round ratios colloquy / ftfy (one thread, every core), lowest first.
    pub fn round_ratios(&self) -> (Vec<f64>, Vec<f64>) {
        let mut one = Vec::new();
        let mut all = Vec::new();
        for r in &self.rounds {
            if let Some(f) = r.ftfy_mb_s.filter(|f| *f > 0.0) {
                one.push(r.colloquy_mb_s / f);
                all.push(r.colloquy_all_cores_mb_s / f);
            }
        }
        one.sort_by(f64::total_cmp);
        all.sort_by(f64::total_cmp);
        (one, all)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RepairBench {
    pub clean_files: Vec<String>,
    pub clean_bytes: usize,
    pub dict_load_ms: f64,
    pub rows: Vec<RepairRow>,
    /// Each clean file alone (one language each) under the seeds' damage
    /// model, undefined bytes dropped and kept as C1 controls.
    pub per_file: Vec<FileRow>,
    /// Clean inputs unchanged by each tool: characters changed.
    pub clean_changed_colloquy: usize,
    pub clean_changed_ftfy: Option<usize>,
    pub clean_chars: usize,
    pub seeds: Option<SeedSpeed>,
    /// The clean multilingual set: false changes per language, one round per code page.
    pub precision: Option<precision::PrecisionBench>,
    /// Why ftfy could not be run, if it could not.
    pub ftfy_error: Option<String>,
    pub ftfy_version: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    pub file: String,
    pub model: String,
    pub colloquy: crate::repair::Score,
}

/// Whether a damage model gets a row per clean file: the seeds' own, and
/// the same with the undefined bytes kept (where nothing is lost).
fn per_file_model(m: &crate::repair::DamageModel) -> bool {
    use crate::repair::{DamageModel, UndefinedState};
    let seeds = DamageModel::SEEDS;
    m.code_page == seeds.code_page
        && m.rounds == seeds.rounds
        && matches!(
            m.undefined,
            UndefinedState::Dropped | UndefinedState::C1Control
        )
}

fn print_per_file(out: &mut impl std::io::Write, rows: &[FileRow]) -> std::io::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\neach clean file alone (one language each), damaged characters restored by colloquy"
    )?;
    for r in rows {
        writeln!(
            out,
            "  {:<40} {:<22} {:>5} damaged  {}  (all characters {})",
            r.file,
            r.model,
            r.colloquy.damaged,
            pct(r.colloquy.accuracy_damaged()),
            pct(r.colloquy.accuracy_all()),
        )?;
    }
    Ok(())
}

/// Minimum wall time per timed input, so short texts are timed over many repetitions.
const MIN_TIMING_SECS: f64 = 0.2;

/// Seconds per repair of `text`, each repetition as the first: the cache of
/// candidate lists that a corpus fills once is emptied every time, or
/// repeating one input would time a warm cache.
fn time_repair(repairer: &crate::repair::Repairer, text: &str) -> (String, f64) {
    time_with(|| {
        crate::repair::forget_patterns();
        repairer.repair(text).text
    })
}

fn time_with(mut f: impl FnMut() -> String) -> (String, f64) {
    let mut out = f();
    let started = Instant::now();
    let mut reps = 0u32;
    while started.elapsed().as_secs_f64() < MIN_TIMING_SECS || reps == 0 {
        out = f();
        reps += 1;
    }
    (out, started.elapsed().as_secs_f64() / f64::from(reps))
}

/// Apply every damage model to the clean files, repair with colloquy and with ftfy
/// (`ftfy.fix_encoding`, installed into a temporary virtualenv), and score both the same way.
/// `damaged_seeds` are real damaged files timed with both tools.
pub fn repair_bench(
    clean_files: &[PathBuf],
    damaged_seeds: &[PathBuf],
    clean_set: Option<&Path>,
) -> Result<RepairBench> {
    use crate::repair::{preload_dict, Repairer};

    let clean = read_texts(clean_files)?;
    let load = Instant::now();
    preload_dict();
    let dict_load_ms = load.elapsed().as_secs_f64() * 1000.0;
    // A fresh model per run: nothing is learned from the texts being scored.
    let repairer = Repairer::new();

    let work = tempfile::tempdir().map_err(|e| Error::io("creating a temporary folder", e))?;
    let inputs = work.path().join("in");
    std::fs::create_dir_all(&inputs).map_err(|e| Error::io("creating the input folder", e))?;
    let damaged = damaged_rows(&repairer, &clean, &inputs)?;
    let (clean_changed_colloquy, clean_chars) = clean_changes(&repairer, &clean, &inputs)?;
    let seed_dir = work.path().join("seeds");
    std::fs::create_dir_all(&seed_dir).map_err(|e| Error::io("creating the seeds folder", e))?;
    let seed_texts = read_texts(damaged_seeds)?;
    for (i, (_, text)) in seed_texts.iter().enumerate() {
        std::fs::write(seed_dir.join(format!("seed_{i}.txt")), text)
            .map_err(|e| Error::io("writing an input", e))?;
    }
    let mut bench = RepairBench {
        clean_files: clean.iter().map(|(n, _)| n.clone()).collect(),
        clean_bytes: clean.iter().map(|(_, t)| t.len()).sum(),
        dict_load_ms,
        rows: damaged.rows,
        per_file: damaged.per_file,
        clean_changed_colloquy,
        clean_changed_ftfy: None,
        clean_chars,
        seeds: None,
        precision: None,
        ftfy_error: None,
        ftfy_version: None,
    };
    match run_ftfy(&inputs, &work.path().join("out")) {
        Err(e) => bench.ftfy_error = Some(e),
        Ok((version, timings)) => {
            bench.ftfy_version = Some(version);
            let out_dir = work.path().join("out");
            add_ftfy_scores(&mut bench, &clean, &damaged.bytes, &out_dir, &timings);
        }
    }
    if !seed_texts.is_empty() {
        let texts: Vec<&str> = seed_texts.iter().map(|(_, t)| t.as_str()).collect();
        let ftfy_dirs = bench
            .ftfy_version
            .is_some()
            .then(|| (seed_dir.clone(), work.path().join("seeds-out")));
        bench.seeds = Some(seed_speed(&repairer, damaged_seeds, &texts, ftfy_dirs));
    }
    if let Some(set) = clean_set {
        bench.precision = Some(precision::run(set, work.path())?);
    }
    Ok(bench)
}

/// (path as shown, contents) of each file.
fn read_texts(paths: &[PathBuf]) -> Result<Vec<(String, String)>> {
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            Ok((path.display().to_string(), text))
        })
        .collect()
}

/// colloquy's scores on every clean text damaged by every model.
struct DamagedRows {
    rows: Vec<RepairRow>,
    per_file: Vec<FileRow>,
    /// Bytes of damaged input per model, for ftfy's MB/s.
    bytes: Vec<usize>,
}

/// Damage every clean text by every model, write each damaged text to `inputs` for ftfy, and
/// score colloquy's repair of it.
fn damaged_rows(
    repairer: &crate::repair::Repairer,
    clean: &[(String, String)],
    inputs: &Path,
) -> Result<DamagedRows> {
    use crate::repair::{damage, score_output, DamageModel};
    let models = DamageModel::all();
    let mut out = DamagedRows {
        rows: Vec::new(),
        per_file: Vec::new(),
        bytes: Vec::with_capacity(models.len()),
    };
    for (m, model) in models.iter().enumerate() {
        let mut score = crate::repair::Score::default();
        let (mut bytes, mut secs) = (0usize, 0f64);
        for (i, (name_shown, text)) in clean.iter().enumerate() {
            let damaged = damage(text, *model);
            let name = inputs.join(format!("m{m:02}_{i}.txt"));
            std::fs::write(&name, &damaged).map_err(|e| Error::io("writing an input", e))?;
            let (repaired, t) = time_repair(repairer, &damaged);
            bytes += damaged.len();
            secs += t;
            let file_score = score_output(text, &repaired, Some(*model));
            score.add(file_score);
            if per_file_model(model) {
                out.per_file.push(FileRow {
                    file: name_shown.clone(),
                    model: model.to_string(),
                    colloquy: file_score,
                });
            }
        }
        out.bytes.push(bytes);
        out.rows.push(RepairRow {
            model: model.to_string(),
            colloquy: score,
            colloquy_mb_s: bytes as f64 / 1e6 / secs.max(1e-12),
            ftfy: None,
            ftfy_mb_s: None,
        });
    }
    Ok(out)
}

/// Characters colloquy changes in the clean texts (written to `inputs` for ftfy), and their
/// number.
fn clean_changes(
    repairer: &crate::repair::Repairer,
    clean: &[(String, String)],
    inputs: &Path,
) -> Result<(usize, usize)> {
    let (mut changed, mut chars) = (0, 0);
    for (i, (_, text)) in clean.iter().enumerate() {
        std::fs::write(inputs.join(format!("clean_{i}.txt")), text)
            .map_err(|e| Error::io("writing an input", e))?;
        let s = crate::repair::score_output(text, &repairer.repair(text).text, None);
        changed += s.chars - s.all_exact;
        chars += s.chars;
    }
    Ok((changed, chars))
}

/// ftfy's scores and speed on the same damaged and clean inputs, read from `out_dir`.
fn add_ftfy_scores(
    bench: &mut RepairBench,
    clean: &[(String, String)],
    model_bytes: &[usize],
    out_dir: &Path,
    timings: &std::collections::HashMap<String, f64>,
) {
    use crate::repair::{score_output, DamageModel};
    let read = |name: &str| std::fs::read_to_string(out_dir.join(name)).unwrap_or_default();
    for (m, model) in DamageModel::all().iter().enumerate() {
        let mut score = crate::repair::Score::default();
        let bytes = model_bytes.get(m).copied().unwrap_or(0);
        let mut secs = 0f64;
        for (i, (_, text)) in clean.iter().enumerate() {
            let name = format!("m{m:02}_{i}.txt");
            score.add(score_output(text, &read(&name), Some(*model)));
            secs += timings.get(&name).copied().unwrap_or(f64::NAN);
        }
        if let Some(row) = bench.rows.get_mut(m) {
            row.ftfy = Some(score);
            row.ftfy_mb_s = Some(bytes as f64 / 1e6 / secs);
        }
    }
    let mut changed = 0;
    for (i, (_, text)) in clean.iter().enumerate() {
        let s = score_output(text, &read(&format!("clean_{i}.txt")), None);
        changed += s.chars - s.all_exact;
    }
    bench.clean_changed_ftfy = Some(changed);
}

/// Speed on the damaged seeds: colloquy on one thread and on every core, and ftfy when
/// `ftfy_dirs` (its input and output folders) is given, alternating within every round so load
/// from elsewhere on the machine falls on all alike; each tool's best round is its figure.
fn seed_speed(
    repairer: &crate::repair::Repairer,
    files: &[PathBuf],
    texts: &[&str],
    ftfy_dirs: Option<(PathBuf, PathBuf)>,
) -> SeedSpeed {
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let mb_s = |secs: f64| bytes as f64 / 1e6 / secs.max(1e-12);
    let mut speed = SeedSpeed {
        files: files.iter().map(|p| p.display().to_string()).collect(),
        bytes,
        rounds: Vec::with_capacity(SPEED_ROUNDS),
        cores: rayon::current_num_threads(),
    };
    for _ in 0..SPEED_ROUNDS {
        let one: f64 = texts.iter().map(|t| time_repair(repairer, t).1).sum();
        let all: f64 = texts
            .iter()
            .map(|t| {
                time_with(|| {
                    crate::repair::forget_patterns();
                    repairer.repair_parallel(t).text
                })
                .1
            })
            .sum();
        let ftfy = ftfy_dirs.as_ref().and_then(|(input, output)| {
            let (_, timings) = run_ftfy(input, output).ok()?;
            let secs = (0..texts.len())
                .map(|i| {
                    timings
                        .get(&format!("seed_{i}.txt"))
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .sum::<f64>();
            Some(mb_s(secs))
        });
        speed.rounds.push(SpeedRound {
            colloquy_mb_s: mb_s(one),
            colloquy_all_cores_mb_s: mb_s(all),
            ftfy_mb_s: ftfy,
        });
    }
    speed
}

const FTFY_SCRIPT: &str = r#"
import json, pathlib, sys, time
import ftfy
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
dst.mkdir(parents=True, exist_ok=True)
timings = {}
for f in sorted(src.iterdir()):
    text = f.read_text(encoding="utf-8")
    fixed = ftfy.fix_encoding(text)
    reps, start = 0, time.perf_counter()
    while reps == 0 or time.perf_counter() - start < MIN_SECS:
        fixed = ftfy.fix_encoding(text)
        reps += 1
    timings[f.name] = (time.perf_counter() - start) / reps
    (dst / f.name).write_text(fixed, encoding="utf-8")
print(json.dumps({"version": ftfy.__version__, "timings": timings}))
"#;

/// Install ftfy into a virtualenv (kept in the system temp folder between runs) and run it on
/// every file of `inputs`. Returns its version and seconds per file.
fn run_ftfy(
    inputs: &Path,
    outputs: &Path,
) -> std::result::Result<(String, std::collections::HashMap<String, f64>), String> {
    use std::process::Command;
    let venv = std::env::temp_dir().join("colloquy-bench-ftfy-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("python3 not available: {e}"))?;
        if !status.success() {
            return Err("python3 -m venv failed".into());
        }
    }
    let has_ftfy = Command::new(&python)
        .args(["-c", "import ftfy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_ftfy {
        let out = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "ftfy"])
            .output()
            .map_err(|e| format!("pip not available: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "pip install ftfy failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    let script = FTFY_SCRIPT.replace("MIN_SECS", &MIN_TIMING_SECS.to_string());
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(inputs)
        .arg(outputs)
        .output()
        .map_err(|e| format!("running ftfy: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ftfy failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("ftfy output: {e}"))?;
    let version = v["version"].as_str().unwrap_or("?").to_owned();
    let timings = v["timings"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, t)| Some((k.clone(), t.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    Ok((version, timings))
}

fn pct(x: f64) -> String {
    format!("{:6.2} %", x * 100.0)
}

/// The repair benchmark as a table.
pub fn print_repair_bench(out: &mut impl std::io::Write, b: &RepairBench) -> std::io::Result<()> {
    writeln!(
        out,
        "repair bench: {} clean file(s), {:.1} KB: {}",
        b.clean_files.len(),
        b.clean_bytes as f64 / 1e3,
        b.clean_files.join(", ")
    )?;
    writeln!(
        out,
        "dictionary load {:.0} ms (once per process, excluded from MB/s); peer: {}",
        b.dict_load_ms,
        match (&b.ftfy_version, &b.ftfy_error) {
            (Some(v), _) => format!("ftfy {v} fix_encoding"),
            (None, Some(e)) => format!("ftfy unavailable: {e}"),
            (None, None) => "none".into(),
        }
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:>8} | {:>25} {:>8} | {:>25} {:>8}",
        "damage model", "damaged", "colloquy damaged / all", "MB/s", "ftfy damaged / all", "MB/s"
    )?;
    for r in &b.rows {
        let ftfy = match (&r.ftfy, r.ftfy_mb_s) {
            (Some(s), Some(mb)) => format!(
                "{} / {} {mb:>8.2}",
                pct(s.accuracy_damaged()),
                pct(s.accuracy_all())
            ),
            _ => format!("{:>25} {:>8}", "-", "-"),
        };
        writeln!(
            out,
            "{:<28} {:>8} | {} / {} {:>8.2} | {ftfy}",
            r.model,
            r.colloquy.damaged,
            pct(r.colloquy.accuracy_damaged()),
            pct(r.colloquy.accuracy_all()),
            r.colloquy_mb_s,
        )?;
    }
    print_per_file(out, &b.per_file)?;
    let undamaged: usize = b.rows.iter().map(|r| r.colloquy.undamaged_changed()).sum();
    writeln!(
        out,
        "\nundamaged characters changed by colloquy, all models: {undamaged}"
    )?;
    writeln!(
        out,
        "clean input (false changes): colloquy {} of {} characters; ftfy {}",
        b.clean_changed_colloquy,
        b.clean_chars,
        b.clean_changed_ftfy
            .map_or("-".into(), |c| format!("{c} of {}", b.clean_chars))
    )?;
    if let Some(s) = &b.seeds {
        print_seed_speed(out, s)?;
    }
    if let Some(p) = &b.precision {
        precision::print(out, p)?;
    }
    Ok(())
}

/// The speed lines of `print_repair_bench`: ftfy and colloquy on the damaged seeds, with ratios.
fn print_seed_speed(out: &mut impl std::io::Write, s: &SeedSpeed) -> std::io::Result<()> {
    let ftfy = s.ftfy_mb_s();
    let ratio = |c: f64| ftfy.map_or("-".into(), |f| format!("{:.1}x", c / f));
    let (one, all) = s.round_ratios();
    let spread = |v: &[f64]| match (v.first(), v.last()) {
        (Some(lo), Some(hi)) => format!(" (rounds {lo:.1}x to {hi:.1}x)"),
        _ => String::new(),
    };
    writeln!(
        out,
        "damaged seeds ({:.1} KB), best of {} alternating rounds: ftfy {} (one thread)",
        s.bytes as f64 / 1e3,
        s.rounds.len(),
        ftfy.map_or("-".into(), |f| format!("{f:.2} MB/s")),
    )?;
    writeln!(
        out,
        "  colloquy, one thread:      {:>6.2} MB/s, ratio {}{}",
        s.colloquy_mb_s(),
        ratio(s.colloquy_mb_s()),
        spread(&one)
    )?;
    writeln!(
        out,
        "  colloquy, {} cores:         {:>6.2} MB/s, ratio {}{}",
        s.cores,
        s.colloquy_all_cores_mb_s(),
        ratio(s.colloquy_all_cores_mb_s()),
        spread(&all)
    )?;
    Ok(())
}
