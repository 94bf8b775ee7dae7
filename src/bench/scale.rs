//! `colloquy bench scale`: colloquy at a chosen corpus size, against the goals of issue #12.
//!
//! Owns the scale corpus generator (conversations recombined at word level from the corpus
//! folder, a share damaged the seeds' way, a share in JSONL) and the measurements on it: ingest
//! with 1 and 2 threads (MB/s, turns/s, peak RSS), a no-change re-ingest, the index's size per
//! field, and a fixed query mix run as a process and in-process, with `rg -C2 --json` on the
//! same files and terms in the same run as the peer.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Serialize;
use tantivy::space_usage::PerFieldSpaceUsage;

use super::child::{measure, Run};
use super::generate::{mix, Lexicon, Rng};
use crate::error::{Error, Result};
use crate::repair::{damage, DamageModel};
use crate::search::{Engine, SearchOptions};

/// The planted rare English word: in the first turn of every [`RARE_EVERY`]th conversation.
pub const RARE_WORD: &str = "zanzibar";
const RARE_EVERY: u64 = 1000;

/// What to generate.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusSpec {
    /// Stop once this many bytes are written.
    pub bytes: u64,
    /// Share of files damaged with [`DamageModel::SEEDS`].
    pub damaged: f64,
    /// Share of bytes written as JSONL (OpenAI `messages`), the rest as `[A]: ` files.
    pub jsonl: f64,
    pub seed: u64,
}

/// What was generated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Generated {
    pub bytes: u64,
    pub files: u64,
    pub bracket_files: u64,
    pub jsonl_files: u64,
    pub jsonl_bytes: u64,
    pub damaged_files: u64,
    pub conversations: u64,
    pub turns: u64,
    /// Distinct words drawn (corpus words and derived forms).
    pub vocabulary: u64,
    /// Turns holding [`RARE_WORD`].
    pub rare_turns: u64,
}

/// `100MB`, `1GB`, `512KiB` (KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024) or a plain number
/// of MiB.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit_bytes: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "mib" | "m" => 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "kib" | "k" => 1024.0,
        "gib" | "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad_size(text)),
    };
    let n: f64 = number.parse().map_err(|_| bad_size(text))?;
    if n.is_nan() || n <= 0.0 {
        return Err(bad_size(text));
    }
    Ok((n * unit_bytes) as u64)
}

fn bad_size(text: &str) -> Error {
    Error::Format(format!(
        "cannot read size {text:?}: use e.g. 100MB, 1GB, 512KiB or a number of MiB"
    ))
}

/// Write a corpus of about `spec.bytes` into `out` (created), from the words of `corpus`.
/// The same spec writes the same bytes; damage changes only the files it is applied to.
pub fn generate(corpus: &Path, out: &Path, spec: &CorpusSpec) -> Result<Generated> {
    std::fs::create_dir_all(out)
        .map_err(|e| Error::io(format!("creating {}", out.display()), e))?;
    let mut g = Generator {
        lex: Lexicon::learn(corpus)?,
        rng: Rng(mix(spec.seed) | 1),
        stats: Generated::default(),
    };
    // The layout (which file is JSONL, when to stop) follows the clean text's bytes, so a
    // damaged corpus has the same files as a clean one of the same spec, up to where it stops.
    let (mut clean, mut clean_jsonl) = (0u64, 0u64);
    while g.stats.bytes < spec.bytes {
        let file = g.stats.files;
        let damaged = damaged_file(file, spec.damaged);
        let jsonl = (clean_jsonl as f64) < spec.jsonl * clean as f64;
        let (name, text) = if jsonl {
            g.stats.jsonl_files += 1;
            let budget = g.file_budget();
            (format!("chats_{file:06}.jsonl"), g.jsonl_file(budget))
        } else {
            g.stats.bracket_files += 1;
            (format!("conv_{file:06}.txt"), g.bracket_file())
        };
        let clean_len = text.len() as u64;
        clean += clean_len;
        // JSON's syntax is ASCII, which the damage keeps: a damaged JSONL line is still JSON,
        // its strings damaged as a whole file's text is.
        let text = if damaged {
            damage(&text, DamageModel::SEEDS)
        } else {
            text
        };
        let path = out.join(name);
        std::fs::write(&path, &text)
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        g.stats.files += 1;
        g.stats.bytes += text.len() as u64;
        if jsonl {
            clean_jsonl += clean_len;
            g.stats.jsonl_bytes += text.len() as u64;
        }
        g.stats.damaged_files += u64::from(damaged);
    }
    g.stats.vocabulary = g.lex.vocabulary();
    Ok(g.stats)
}

/// Whether file `i` is damaged: exactly `share` of every run of files, spread evenly, and
/// decided without the generator so a clean regeneration writes the same words.
fn damaged_file(i: u64, share: f64) -> bool {
    let share = share.clamp(0.0, 1.0);
    ((i + 1) as f64 * share).floor() > (i as f64 * share).floor()
}

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    English,
    Chinese,
    Mixed,
}

const LETTERS: [&str; 5] = ["A", "B", "C", "D", "E"];
const NAMES: [&str; 10] = [
    "Alice", "Bob", "Carol", "李明", "王芳", "Dr. Wu", "Priya", "Kenji", "Sam", "Zoe",
];

struct Generator {
    lex: Lexicon,
    rng: Rng,
    stats: Generated,
}

/// One conversation: speakers and (speaker index, text) turns.
struct Conversation {
    speakers: Vec<String>,
    turns: Vec<(usize, String)>,
}

impl Generator {
    /// A JSONL file's size: 20–200 KB, small ones more often.
    fn file_budget(&mut self) -> u64 {
        (20_000.0 * 10f64.powf(self.rng.unit())) as u64
    }

    /// 4–40 turns by 2–5 speakers; a conversation's language is English, Chinese or mixed, and
    /// some turns of the others switch code too.
    fn conversation(&mut self, speakers: usize) -> Conversation {
        let lang = match self.rng.below(20) {
            0..=8 => Lang::English,
            9..=14 => Lang::Chinese,
            _ => Lang::Mixed,
        };
        let names: &[&str] = if self.rng.chance(0.5) {
            &LETTERS
        } else {
            &NAMES
        };
        let offset = if names.len() > speakers {
            self.rng.below(names.len() - speakers + 1)
        } else {
            0
        };
        let speakers: Vec<String> = names[offset..offset + speakers]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let n = 4 + self.rng.below(37);
        let number = self.stats.conversations;
        self.stats.conversations += 1;
        let mut turns = Vec::with_capacity(n);
        for t in 0..n {
            let who = if self.rng.chance(0.75) {
                t % speakers.len()
            } else {
                self.rng.below(speakers.len())
            };
            let mut text = if t == 0 && self.rng.chance(0.4) {
                self.topic()
            } else {
                self.turn_text(lang)
            };
            if t == 0 && number.is_multiple_of(RARE_EVERY) {
                text.push(' ');
                text.push_str(RARE_WORD);
                text.push('.');
                self.stats.rare_turns += 1;
            }
            turns.push((who, text));
        }
        self.stats.turns += n as u64;
        Conversation { speakers, turns }
    }

    /// The seeds' opening line: "Hey，关于'…'这个话题，你怎么想的？".
    fn topic(&mut self) -> String {
        let n = 3 + self.rng.below(5);
        let about = self.mixed_sentence(n);
        format!("Hey，关于'{about}'这个话题，你怎么想的？")
    }

    /// 100–6,000 bytes (log-uniform), in sentences, sometimes in paragraphs.
    fn turn_text(&mut self, lang: Lang) -> String {
        let target = (100.0 * 60f64.powf(self.rng.unit())) as usize;
        let switch = match lang {
            Lang::Mixed => 0.6,
            _ => 0.15,
        };
        let lang = if lang != Lang::Mixed && self.rng.chance(switch) {
            Lang::Mixed
        } else {
            lang
        };
        let mut text = String::with_capacity(target + 200);
        while text.len() < target {
            if !text.is_empty() {
                text.push_str(if self.rng.chance(0.08) { "\n\n" } else { " " });
            }
            let s = match lang {
                Lang::English => self.english_sentence(),
                Lang::Chinese => self.chinese_sentence(),
                Lang::Mixed => {
                    let n = 5 + self.rng.below(12);
                    self.mixed_sentence(n)
                }
            };
            text.push_str(&s);
        }
        text
    }

    fn english_sentence(&mut self) -> String {
        let n = 5 + self.rng.below(16);
        let mut words: Vec<String> = Vec::with_capacity(n);
        while words.len() < n {
            // A run of the corpus's own words now and then, so its phrases survive.
            if self.rng.chance(0.1) {
                let n = 2 + self.rng.below(4);
                words.extend(self.lex.english_run(&mut self.rng, n));
            } else {
                words.push(self.lex.english(&mut self.rng));
            }
        }
        let mut s = words.join(" ");
        if let Some(first) = s.get(..1) {
            let upper = first.to_ascii_uppercase();
            s.replace_range(..1, &upper);
        }
        s.push_str([".", ".", "?", "!"][self.rng.below(4)]);
        s
    }

    fn chinese_sentence(&mut self) -> String {
        let n = 4 + self.rng.below(10);
        let mut s: String = (0..n).map(|_| self.lex.chinese(&mut self.rng)).collect();
        s.push_str(["。", "。", "？", "！", "～"][self.rng.below(5)]);
        s
    }

    /// Chinese with English words inside, as the seeds write: "最近有尝试什么new technique吗".
    fn mixed_sentence(&mut self, n: usize) -> String {
        let mut s = String::new();
        let mut english = false;
        for i in 0..n {
            if i > 0 && self.rng.chance(0.3) {
                english = !english;
                if english {
                    s.push(' ');
                }
            }
            if english {
                s.push_str(&self.lex.english(&mut self.rng));
                s.push(' ');
            } else {
                s.push_str(&self.lex.chinese(&mut self.rng));
            }
        }
        let mut s = s.trim_end().to_owned();
        s.push_str(["。", "？", "！"][self.rng.below(3)]);
        s
    }

    /// One conversation in the seeds' `[A]: text` format.
    fn bracket_file(&mut self) -> String {
        let speakers = 2 + self.rng.below(4);
        let conv = self.conversation(speakers);
        let mut text = String::new();
        for (who, turn) in &conv.turns {
            text.push('[');
            text.push_str(&conv.speakers[*who]);
            text.push_str("]: ");
            text.push_str(turn);
            text.push('\n');
        }
        text
    }

    /// Conversations as OpenAI `messages` records, one a line, up to about `budget` bytes.
    fn jsonl_file(&mut self, budget: u64) -> String {
        let mut text = String::new();
        while (text.len() as u64) < budget {
            let id = format!("c{}", self.stats.conversations);
            let conv = self.conversation(2);
            let messages: Vec<serde_json::Value> = conv
                .turns
                .into_iter()
                .enumerate()
                .map(|(i, (_, content))| {
                    serde_json::json!({
                        "role": if i % 2 == 0 { "user" } else { "assistant" },
                        "content": content,
                    })
                })
                .collect();
            let record = serde_json::json!({ "id": id, "messages": messages });
            text.push_str(&record.to_string());
            text.push('\n');
        }
        text
    }
}

/// What `colloquy bench scale` runs.
#[derive(Debug, Clone)]
pub struct ScaleOptions {
    /// The corpus folder whose words are recombined.
    pub corpus: PathBuf,
    /// One row set per size: (label as given, bytes).
    pub sizes: Vec<(String, u64)>,
    pub damaged: f64,
    pub jsonl: f64,
    pub seed: u64,
    /// Runs of each query.
    pub runs: usize,
    /// Keep the generated data and indexes here instead of a temporary folder.
    pub keep: Option<PathBuf>,
}

/// One ingest of the whole corpus in a child process.
#[derive(Debug, Clone, Serialize)]
pub struct IngestRow {
    pub threads: usize,
    pub run: Run,
    pub mb_s: f64,
    pub turns_s: f64,
}

/// The index's bytes for one field, summed over segments.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FieldSize {
    pub field: String,
    pub terms: u64,
    pub postings: u64,
    pub positions: u64,
    pub fast: u64,
    pub norms: u64,
    pub total: u64,
}

/// One query of the mix.
#[derive(Debug, Clone, Serialize)]
pub struct QueryRow {
    pub label: String,
    /// The `colloquy search` arguments after the query (filters, context).
    pub args: Vec<String>,
    pub query: String,
    pub hits: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// `Engine::search` in this process, the engine opened once: the search without start-up.
    pub in_process_p50_ms: f64,
    /// The rg pattern run as the peer, its p50 and rg_p50 / p50.
    pub rg_pattern: String,
    pub rg_p50_ms: Option<f64>,
    pub ratio: Option<f64>,
    /// Goals: p50 at most this, and at least this ratio to rg.
    pub goal_p50_ms: Option<f64>,
    pub goal_ratio: Option<f64>,
}

/// Every figure for one corpus size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeReport {
    pub size: String,
    pub corpus: Generated,
    pub generate_secs: f64,
    pub ingest: Vec<IngestRow>,
    pub indexed_files: usize,
    pub indexed_turns: usize,
    pub skipped_records: usize,
    pub reingest: Run,
    pub index_bytes: u64,
    pub index_ratio: f64,
    pub fields: Vec<FieldSize>,
    pub store_bytes: u64,
    pub queries: Vec<QueryRow>,
    /// `rg --version`'s first line, or `None` when rg is not installed.
    pub rg: Option<String>,
}

/// Run every size in turn; progress goes to stderr.
pub fn run(opts: &ScaleOptions) -> Result<Vec<SizeReport>> {
    let exe = std::env::current_exe().map_err(|e| Error::io("finding colloquy's binary", e))?;
    let temp = tempfile::tempdir().map_err(|e| Error::io("creating a temporary folder", e))?;
    let base = opts.keep.clone().unwrap_or_else(|| temp.path().to_owned());
    let rg = rg_version();
    if rg.is_none() {
        eprintln!("scale: rg not found: no peer column (apt-get install ripgrep)");
    }
    let mut reports = Vec::new();
    for (label, bytes) in &opts.sizes {
        let work = base.join(format!("scale-{label}"));
        let report = run_size(opts, &exe, &work, label, *bytes, rg.clone());
        if opts.keep.is_none() {
            // Each size's data goes before the next is written: 1 GB plus indexes is a lot of disk.
            std::fs::remove_dir_all(&work).ok();
        }
        reports.push(report?);
    }
    Ok(reports)
}

fn run_size(
    opts: &ScaleOptions,
    exe: &Path,
    work: &Path,
    label: &str,
    bytes: u64,
    rg: Option<String>,
) -> Result<SizeReport> {
    let data = work.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data)
            .map_err(|e| Error::io(format!("clearing {}", data.display()), e))?;
    }
    eprintln!(
        "scale {label}: generating {:.0} MB in {}",
        bytes as f64 / 1e6,
        data.display()
    );
    let started = Instant::now();
    let spec = CorpusSpec {
        bytes,
        damaged: opts.damaged,
        jsonl: opts.jsonl,
        seed: opts.seed,
    };
    let corpus = generate(&opts.corpus, &data, &spec)?;
    let generate_secs = started.elapsed().as_secs_f64();
    let lex = Lexicon::learn(&opts.corpus)?;
    let (ingest, index) = ingest_rows(exe, work, &data, &corpus, label)?;
    eprintln!("scale {label}: re-ingest with nothing changed");
    let reingest = ingest_child(exe, &data, &index, 2, false)?;
    let manifest = crate::index::manifest(&index)?;
    let indexed_turns = manifest.files.values().map(|f| f.turns).sum();
    let skipped_records = manifest.files.values().map(|f| f.skipped_records).sum();
    let index_bytes = folder_bytes(&index);
    let (fields, store_bytes) = field_sizes(&index)?;
    eprintln!("scale {label}: queries, {} runs each", opts.runs);
    let queries = query_mix(&lex)
        .iter()
        .map(|q| run_query(exe, &index, &data, q, opts.runs, rg.is_some()))
        .collect::<Result<Vec<_>>>()?;
    Ok(SizeReport {
        size: label.to_owned(),
        generate_secs,
        ingest,
        indexed_files: manifest.files.len(),
        indexed_turns,
        skipped_records,
        reingest,
        index_ratio: index_bytes as f64 / corpus.bytes.max(1) as f64,
        index_bytes,
        corpus,
        fields,
        store_bytes,
        queries,
        rg,
    })
}

/// Fresh ingests with 1 and 2 threads; the index of the last is kept for the rest.
fn ingest_rows(
    exe: &Path,
    work: &Path,
    data: &Path,
    corpus: &Generated,
    label: &str,
) -> Result<(Vec<IngestRow>, PathBuf)> {
    let mut rows = Vec::new();
    let mut index = work.join("index-1");
    for threads in [1, 2] {
        eprintln!("scale {label}: ingest with {threads} thread(s)");
        let previous = std::mem::replace(&mut index, work.join(format!("index-{threads}")));
        if threads > 1 {
            std::fs::remove_dir_all(&previous).ok();
        }
        let run = ingest_child(exe, data, &index, threads, true)?;
        rows.push(IngestRow {
            threads,
            mb_s: corpus.bytes as f64 / 1e6 / run.secs,
            turns_s: corpus.turns as f64 / run.secs,
            run,
        });
    }
    Ok((rows, index))
}

fn ingest_child(
    exe: &Path,
    data: &Path,
    index: &Path,
    threads: usize,
    rebuild: bool,
) -> Result<Run> {
    let mut cmd = Command::new(exe);
    cmd.arg("ingest")
        .arg(data)
        .arg("--index")
        .arg(index)
        .env("RAYON_NUM_THREADS", threads.to_string());
    if rebuild {
        cmd.arg("--rebuild");
    }
    let run = measure(&mut cmd)?;
    if !run.ok {
        return Err(Error::Format(format!(
            "`colloquy ingest {} --index {}` failed (exit {:?}); run it to see why",
            data.display(),
            index.display(),
            run.code
        )));
    }
    Ok(run)
}

fn folder_bytes(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// Where one kind of a field's bytes is added up.
type Slot = fn(&mut FieldSize) -> &mut u64;

/// Bytes per field (terms, postings, positions, fast fields, norms) over every segment, largest
/// first, and the document store's bytes (tantivy stores documents whole, not per field).
fn field_sizes(index: &Path) -> Result<(Vec<FieldSize>, u64)> {
    let reader = crate::index::open(index)?.reader()?;
    let usage = reader
        .searcher()
        .space_usage()
        .map_err(|e| Error::io(format!("reading {}", index.display()), e))?;
    let mut fields: std::collections::BTreeMap<String, FieldSize> = Default::default();
    let mut store = 0;
    for seg in usage.segments() {
        store += seg.store().total().get_bytes();
        let parts: [(&PerFieldSpaceUsage, Slot); 5] = [
            (seg.termdict(), |f| &mut f.terms),
            (seg.postings(), |f| &mut f.postings),
            (seg.positions(), |f| &mut f.positions),
            (seg.fast_fields(), |f| &mut f.fast),
            (seg.fieldnorms(), |f| &mut f.norms),
        ];
        for (per_field, slot) in parts {
            for usage in per_field.fields() {
                let entry = fields.entry(usage.field_name().to_owned()).or_default();
                *slot(entry) += usage.total().get_bytes();
                entry.total += usage.total().get_bytes();
            }
        }
    }
    let mut fields: Vec<FieldSize> = fields
        .into_iter()
        .map(|(field, f)| FieldSize { field, ..f })
        .filter(|f| f.total > 0)
        .collect();
    fields.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.field.cmp(&b.field)));
    Ok((fields, store))
}

/// One query of the fixed mix.
struct Query {
    label: &'static str,
    query: String,
    speakers: Vec<String>,
    langs: Vec<String>,
    /// What rg looks for: the literal term (filters have no rg equivalent, so the bare term).
    rg_pattern: String,
    goal_p50_ms: Option<f64>,
    goal_ratio: Option<f64>,
}

/// Chinese words for the query mix, the first one the corpus has is used.
const CHINESE_WORDS: [&str; 5] = ["话题", "感觉", "问题", "时候", "喜欢"];
/// An English phrase for the mix, if the corpus has it (the seeds do).
const PHRASE: &str = "mental health";

/// The fixed mix: common and rare English words, a Chinese word, a single Han character, a
/// phrase, a zh/en query, a speaker and a language filter; all with two turns of context.
fn query_mix(lex: &Lexicon) -> Vec<Query> {
    let english = lex.common_english(5).to_owned();
    let chinese = CHINESE_WORDS
        .iter()
        .find(|w| lex.has_chinese(w))
        .map_or_else(|| lex.common_chinese(0).to_owned(), |w| (*w).to_owned());
    let han: String = chinese.chars().take(1).collect();
    let phrase = if lex.has_phrase(PHRASE) {
        PHRASE.to_owned()
    } else {
        format!("{} {}", lex.common_english(2), lex.common_english(3))
    };
    let q = |label, query: String, rg_pattern: String| Query {
        label,
        query,
        speakers: Vec::new(),
        langs: Vec::new(),
        rg_pattern,
        goal_p50_ms: None,
        goal_ratio: None,
    };
    vec![
        Query {
            goal_p50_ms: Some(20.0),
            goal_ratio: Some(20.0),
            ..q("English word", english.clone(), english.clone())
        },
        q("rare English word", RARE_WORD.into(), RARE_WORD.into()),
        Query {
            goal_p50_ms: Some(30.0),
            goal_ratio: Some(20.0),
            ..q("Chinese word", chinese.clone(), chinese.clone())
        },
        Query {
            goal_p50_ms: Some(30.0),
            ..q("single Han character", han.clone(), han)
        },
        q("phrase", format!("\"{phrase}\""), phrase),
        q(
            "zh/en mixed",
            format!("{chinese} {english}"),
            format!("{chinese}.*{english}|{english}.*{chinese}"),
        ),
        Query {
            speakers: vec!["A".into()],
            ..q("--speaker A", english.clone(), english.clone())
        },
        Query {
            langs: vec!["zh".into()],
            ..q("--lang zh", english.clone(), english)
        },
    ]
}

fn run_query(
    exe: &Path,
    index: &Path,
    data: &Path,
    q: &Query,
    runs: usize,
    with_rg: bool,
) -> Result<QueryRow> {
    let mut args: Vec<String> = vec!["-C".into(), "2".into()];
    for s in &q.speakers {
        args.extend(["--speaker".into(), s.clone()]);
    }
    for l in &q.langs {
        args.extend(["--lang".into(), l.clone()]);
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let run = measure(
            Command::new(exe)
                .arg("search")
                .arg(&q.query)
                .args(&args)
                .args(["--color", "never", "--index"])
                .arg(index),
        )?;
        if !matches!(run.code, Some(0 | 1)) {
            return Err(Error::Format(format!(
                "`colloquy search {:?} {} --index {}` failed (exit {:?})",
                q.query,
                args.join(" "),
                index.display(),
                run.code
            )));
        }
        times.push(run.secs * 1e3);
    }
    let (hits, in_process_p50_ms) = in_process(index, q, runs)?;
    let rg_p50_ms = if with_rg {
        rg_p50(data, &q.rg_pattern, runs)?
    } else {
        None
    };
    let p50_ms = percentile(&mut times, 0.50);
    Ok(QueryRow {
        label: q.label.to_owned(),
        args,
        query: q.query.clone(),
        hits,
        p50_ms,
        p95_ms: percentile(&mut times, 0.95),
        p99_ms: percentile(&mut times, 0.99),
        in_process_p50_ms,
        rg_pattern: q.rg_pattern.clone(),
        rg_p50_ms,
        ratio: rg_p50_ms.map(|rg| rg / p50_ms),
        goal_p50_ms: q.goal_p50_ms,
        goal_ratio: q.goal_ratio,
    })
}

/// The same search through [`Engine`] as the terminal output runs it (20 hits, spans left out,
/// one highlight), the engine opened once: its total hits and p50.
fn in_process(index: &Path, q: &Query, runs: usize) -> Result<(usize, f64)> {
    let engine = Engine::open(index)?.without_spans();
    let opts = SearchOptions {
        query: q.query.clone(),
        speakers: q.speakers.clone(),
        langs: q.langs.clone(),
        before: 2,
        after: 2,
        limit: Some(20),
        highlight_limit: Some(1),
        ..SearchOptions::default()
    };
    let mut hits = 0;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        hits = engine.search(&opts)?.total_hits;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok((hits, percentile(&mut times, 0.50)))
}

/// `rg -C2 --json PATTERN DATA`, `runs` times: its p50 in ms (`None` if rg failed).
fn rg_p50(data: &Path, pattern: &str, runs: usize) -> Result<Option<f64>> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let run = measure(
            Command::new("rg")
                .args(["-C2", "--json", "-e", pattern])
                .arg(data),
        )?;
        if !matches!(run.code, Some(0 | 1)) {
            return Ok(None);
        }
        times.push(run.secs * 1e3);
    }
    Ok(Some(percentile(&mut times, 0.50)))
}

fn rg_version() -> Option<String> {
    let out = Command::new("rg").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status
        .success()
        .then(|| text.lines().next().unwrap_or("rg").to_owned())
}

/// The nearest-rank percentile `q` of `values` (sorted in place).
fn percentile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// One line of the table.
struct Row {
    figure: String,
    value: String,
    goal: String,
    peer: String,
    ratio: String,
}

fn row(figure: impl Into<String>, value: impl Into<String>) -> Row {
    Row {
        figure: figure.into(),
        value: value.into(),
        goal: String::new(),
        peer: String::new(),
        ratio: String::new(),
    }
}

impl Row {
    fn goal(mut self, goal: &str, met: bool) -> Row {
        self.goal = format!("{goal} ({})", if met { "met" } else { "MISSED" });
        self
    }
}

fn corpus_rows(r: &SizeReport) -> Vec<Row> {
    let c = &r.corpus;
    vec![
        row(
            "corpus",
            format!(
                "{:.1} MB, {} files ({} [A]: , {} JSONL = {:.0} % of bytes), {} damaged",
                c.bytes as f64 / 1e6,
                c.files,
                c.bracket_files,
                c.jsonl_files,
                100.0 * c.jsonl_bytes as f64 / c.bytes.max(1) as f64,
                c.damaged_files
            ),
        ),
        row(
            "conversations, turns, vocabulary",
            format!(
                "{}, {} ({} indexed), {} words; generated in {:.1} s",
                c.conversations, c.turns, r.indexed_turns, c.vocabulary, r.generate_secs
            ),
        ),
        row(
            "files indexed, records skipped",
            format!("{} of {}, {}", r.indexed_files, c.files, r.skipped_records),
        ),
    ]
}

fn ingest_rows_table(r: &SizeReport) -> Vec<Row> {
    let mut rows = Vec::new();
    for i in &r.ingest {
        let t = i.threads;
        rows.push(
            row(
                format!("ingest {t} thread(s): MB/s"),
                format!("{:.1} ({:.1} s)", i.mb_s, i.run.secs),
            )
            .goal(">= 15", i.mb_s >= 15.0),
        );
        rows.push(row(
            format!("ingest {t} thread(s): turns/s"),
            format!("{:.0}", i.turns_s),
        ));
        rows.push(
            row(
                format!("ingest {t} thread(s): peak RSS"),
                format!("{:.0} MB", i.run.peak_rss_mb),
            )
            .goal("<= 500 MB", i.run.peak_rss_mb <= 500.0),
        );
    }
    let per_gb = r.corpus.bytes as f64 / 1e9;
    rows.push(
        row(
            "re-ingest, nothing changed",
            format!("{:.2} s", r.reingest.secs),
        )
        .goal(
            &format!("<= {per_gb:.2} s (1 s/GB)"),
            r.reingest.secs <= per_gb,
        ),
    );
    rows.push(
        row(
            "index / corpus",
            format!(
                "{:.2}x ({:.1} MB)",
                r.index_ratio,
                r.index_bytes as f64 / 1e6
            ),
        )
        .goal("<= 1.0x", r.index_ratio <= 1.0),
    );
    rows
}

fn field_rows(r: &SizeReport) -> Vec<Row> {
    let mb = |b: u64| b as f64 / 1e6;
    let mut rows = vec![row(
        "  document store",
        format!("{:.1} MB", mb(r.store_bytes)),
    )];
    // Fields under 1 % of the index are summed on one line (the JSON has each).
    let (big, small): (Vec<&FieldSize>, Vec<&FieldSize>) = r
        .fields
        .iter()
        .partition(|f| f.total * 100 >= r.index_bytes);
    for f in big {
        rows.push(row(
            format!("  field {}", f.field),
            format!(
                "{:.1} MB (terms {:.1}, postings {:.1}, positions {:.1}, fast {:.1}, norms {:.1})",
                mb(f.total),
                mb(f.terms),
                mb(f.postings),
                mb(f.positions),
                mb(f.fast),
                mb(f.norms)
            ),
        ));
    }
    if !small.is_empty() {
        let names: Vec<&str> = small.iter().map(|f| f.field.as_str()).collect();
        rows.push(row(
            format!("  {} other fields", small.len()),
            format!(
                "{:.2} MB ({})",
                mb(small.iter().map(|f| f.total).sum()),
                names.join(" ")
            ),
        ));
    }
    rows
}

fn query_row(q: &QueryRow) -> Row {
    let filters: Vec<&str> = q
        .args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "-C" && *a != "2")
        .collect();
    let mut r = row(
        format!("search {}: `{}` {}", q.label, q.query, filters.join(" ")),
        format!(
            "p50 {:.1} ms, p95 {:.1}, p99 {:.1}; in-process p50 {:.2}; {} hits",
            q.p50_ms, q.p95_ms, q.p99_ms, q.in_process_p50_ms, q.hits
        ),
    );
    let mut goals = Vec::new();
    let mut met = true;
    if let Some(g) = q.goal_p50_ms {
        goals.push(format!("p50 <= {g:.0} ms"));
        met &= q.p50_ms <= g;
    }
    if let Some(g) = q.goal_ratio {
        goals.push(format!(">= {g:.0}x rg"));
        met &= q.ratio.is_some_and(|r| r >= g);
    }
    if !goals.is_empty() {
        r = r.goal(&goals.join(", "), met);
    }
    if let Some(rg) = q.rg_p50_ms {
        r.peer = format!("rg p50 {rg:.1} ms");
    }
    if let Some(ratio) = q.ratio {
        r.ratio = format!("{ratio:.1}x");
    }
    r
}

/// The figures of every size as tables, then the memory comparison across sizes.
pub fn print(out: &mut impl Write, reports: &[SizeReport]) -> std::io::Result<()> {
    let mut out = BufWriter::new(out);
    for r in reports {
        writeln!(out, "colloquy bench scale --size {}", r.size)?;
        let mut rows = vec![Row {
            figure: "figure".into(),
            value: "value".into(),
            goal: "goal".into(),
            peer: "peer".into(),
            ratio: "ratio".into(),
        }];
        rows.extend(corpus_rows(r));
        rows.extend(ingest_rows_table(r));
        rows.extend(field_rows(r));
        rows.extend(r.queries.iter().map(query_row));
        print_rows(&mut out, &rows)?;
        match &r.rg {
            Some(v) => writeln!(out, "peer: {v}, `rg -C2 --json PATTERN DIR` on the same files (damaged files as they are); ratio = rg p50 / colloquy p50")?,
            None => writeln!(out, "peer: rg not installed, no peer figures (apt-get install ripgrep)")?,
        }
        writeln!(out)?;
    }
    print_memory(&mut out, reports)?;
    out.flush()
}

fn print_rows(out: &mut impl Write, rows: &[Row]) -> std::io::Result<()> {
    let width =
        |f: fn(&Row) -> &String| rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
    let (w0, w1, w2, w3) = (
        width(|r| &r.figure),
        width(|r| &r.value),
        width(|r| &r.goal),
        width(|r| &r.peer),
    );
    for r in rows {
        let line = format!(
            "{:w0$} | {:w1$} | {:w2$} | {:w3$} | {}",
            r.figure, r.value, r.goal, r.peer, r.ratio
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The memory goal: peak RSS at every size within 10 % of the smallest size's.
fn print_memory(out: &mut impl Write, reports: &[SizeReport]) -> std::io::Result<()> {
    if reports.len() < 2 {
        return Ok(());
    }
    let peak = |r: &SizeReport| {
        r.ingest
            .iter()
            .map(|i| i.run.peak_rss_mb)
            .fold(0.0, f64::max)
    };
    let first = peak(&reports[0]);
    for r in &reports[1..] {
        let p = peak(r);
        let within = (p - first).abs() <= 0.1 * first;
        writeln!(
            out,
            "peak ingest RSS {} {:.0} MB vs {} {:.0} MB: {:+.0} % (goal: within 10 %, {})",
            r.size,
            p,
            reports[0].size,
            first,
            100.0 * (p - first) / first.max(1.0),
            if within { "met" } else { "MISSED" }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{ingest, IngestOptions, NoProgress};

    fn seeds() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
    }

    fn spec(bytes: u64, damaged: f64) -> CorpusSpec {
        CorpusSpec {
            bytes,
            damaged,
            jsonl: 0.25,
            seed: 12,
        }
    }

    /// Every file under `dir`, by name.
    fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| {
                let e = e.expect("entry");
                let bytes = std::fs::read(e.path()).expect("read file");
                (e.file_name().to_string_lossy().into_owned(), bytes)
            })
            .collect()
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("100MB").ok(), Some(100_000_000));
        assert_eq!(parse_size("1GB").ok(), Some(1_000_000_000));
        assert_eq!(parse_size("2").ok(), Some(2 << 20));
        assert_eq!(parse_size("512KiB").ok(), Some(512 << 10));
        assert_eq!(parse_size("1.5 GiB").ok(), Some(3 << 29));
        for bad in ["", "MB", "-1MB", "0", "12 parsecs"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn same_seed_same_bytes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let ga = generate(&seeds(), &a, &spec(1 << 20, 0.75)).expect("generate a");
        let gb = generate(&seeds(), &b, &spec(1 << 20, 0.75)).expect("generate b");
        assert!(files(&a) == files(&b), "same seed, different bytes");
        assert_eq!(ga.bytes, gb.bytes);
        assert!(ga.bytes >= 1 << 20);
        let other = generate(
            &seeds(),
            &tmp.path().join("c"),
            &CorpusSpec {
                seed: 13,
                ..spec(1 << 20, 0.75)
            },
        )
        .expect("generate c");
        assert!(files(&a) != files(&tmp.path().join("c")), "{other:?}");
    }

    #[test]
    fn vocabulary_grows_with_size() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let small = generate(&seeds(), &tmp.path().join("s"), &spec(1 << 20, 0.0)).expect("1 MiB");
        let large = generate(&seeds(), &tmp.path().join("l"), &spec(8 << 20, 0.0)).expect("8 MiB");
        // Heaps' law with β ≈ 0.5–0.7: 8× the text, 2.8–4.3× the words; a closed vocabulary
        // would stay flat.
        let growth = large.vocabulary as f64 / small.vocabulary as f64;
        assert!(
            (2.0..6.0).contains(&growth),
            "{small:?} {large:?}: {growth}"
        );
    }

    #[test]
    fn damaged_share_is_as_asked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (clean, damaged) = (tmp.path().join("clean"), tmp.path().join("damaged"));
        let g = generate(&seeds(), &damaged, &spec(2 << 20, 0.75)).expect("damaged");
        generate(&seeds(), &clean, &spec(2 << 20, 0.0)).expect("clean");
        let (clean, damaged) = (files(&clean), files(&damaged));
        // Damage makes files longer, so the damaged corpus stops sooner: its files are a prefix
        // of the clean one's.
        assert!(damaged.keys().all(|name| clean.contains_key(name)));
        let differ = damaged
            .iter()
            .filter(|(name, text)| clean[*name] != **text)
            .count() as u64;
        assert_eq!(differ, g.damaged_files);
        let expected = 0.75 * g.files as f64;
        assert!(
            (differ as f64 - expected).abs() <= 1.0,
            "{differ} of {}",
            g.files
        );
        assert!(g.jsonl_files > 0 && g.bracket_files > 0, "{g:?}");
    }

    #[test]
    fn every_generated_file_ingests() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let g = generate(&seeds(), &data, &spec(2 << 20, 0.75)).expect("generate");
        let index = tmp.path().join("index");
        let summary = ingest(
            &IngestOptions {
                roots: vec![data],
                index_dir: index.clone(),
                ..IngestOptions::default()
            },
            &NoProgress,
        )
        .expect("ingest");
        assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
        assert_eq!(summary.records_skipped, 0, "{:?}", summary.skipped_records);
        assert_eq!(summary.files as u64, g.files);
        assert_eq!(summary.conversations as u64, g.conversations);
        assert_eq!(summary.turns as u64, g.turns);
        let engine = Engine::open(&index).expect("open");
        let rare = SearchOptions {
            query: RARE_WORD.into(),
            ..SearchOptions::default()
        };
        let hits = engine.search(&rare).expect("search").total_hits as u64;
        assert_eq!(hits, g.rare_turns);
        assert!(hits >= 1);
    }
}
