//! The `colloquy` command line: argument parsing and wiring of the library's stages.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use colloquy::aggregate;
use colloquy::formats::ReadOptions;
use colloquy::ingest::{self, IngestOptions, IngestSummary, Progress};
use colloquy::multi::Indexes;
use colloquy::output::{self, Printer, Style};
use colloquy::request;
use colloquy::search::{Engine, SearchOptions};

#[derive(Parser)]
#[command(
    name = "colloquy",
    version,
    about = "Search dialogue corpora: repairs mojibake, splits turns by speaker, finds exchanges.",
    after_help = "Examples:\n  colloquy search \"mental health\"        # builds index/ from corpus/ on first use\n  colloquy search 话题 --speaker A -C 2\n  colloquy show 000_69e3827c508b06a3 --turn 3\n  colloquy stats\n  colloquy freq --by speaker --top 20\n  colloquy collocates art --measure all\n  colloquy ingest corpus/ --rebuild"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build or update the index from corpus folders (only changed files are re-indexed).
    #[command(
        after_help = "Examples:\n  colloquy ingest\n  colloquy ingest corpus/ more-chats/ --index /tmp/idx\n  colloquy ingest --rebuild"
    )]
    Ingest(IngestArgs),
    /// Search turns and print each hit with the turns around it.
    #[command(after_help = SEARCH_HELP)]
    Search(SearchArgs),
    /// Print a whole conversation, or the turns around one turn.
    #[command(
        after_help = "Examples:\n  colloquy show 000_69e3827c508b06a3\n  colloquy show 000_69e3827c508b06a3 --turn 5 -C 2 --raw\n  colloquy show 001_177df1590b2f3725 --json"
    )]
    Show(ShowArgs),
    /// Corpus statistics: speakers, languages, repair, index size.
    #[command(after_help = "Examples:\n  colloquy stats\n  colloquy stats --json | jq .languages")]
    Stats(StatsArgs),
    /// Frequency list of words or characters in the turns a query and filters select.
    #[command(after_help = FREQ_HELP)]
    Freq(FreqArgs),
    /// N-gram frequency list (sequences of N words or characters inside one turn).
    #[command(
        after_help = "Examples:\n  colloquy ngrams -n 2\n  colloquy ngrams -n 3 --speaker B --top 20\n  colloquy ngrams -n 2 --unit char --lang zh --csv > zh-bigrams.csv"
    )]
    Ngrams(NgramsArgs),
    /// Collocates of a word: what occurs within a window around it, with log-likelihood, MI and t.
    #[command(after_help = COLLOCATES_HELP)]
    Collocates(CollocatesArgs),
    /// Repair mojibake in a file (or stdin) and write the repaired text to stdout.
    #[command(
        after_help = "Reports go to stderr; --explain or --json send them to stdout instead of the text.\n\nExamples:\n  colloquy repair corpus/000_69e3827c508b06a3.txt > fixed.txt\n  colloquy repair corpus/000_69e3827c508b06a3.txt --explain | less\n  cat damaged.txt | colloquy repair - --json"
    )]
    Repair(RepairArgs),
    /// Serve the library over HTTP: a JSON API (/api/search, /api/show, /api/stats, /api/freq,
    /// /api/collocates; see openapi.yaml) and a search page at /.
    #[cfg(feature = "server")]
    #[command(
        after_help = "Listens on loopback only unless --addr says otherwise. Read-only: an ingest run beside it\nis picked up without a restart.\n\nExamples:\n  colloquy serve\n  colloquy serve --index corpusA/index --index corpusB/index --addr 127.0.0.1:8080\n  curl 'http://127.0.0.1:7700/api/search?q=art&limit=2'"
    )]
    Serve(ServeArgs),
    /// Benchmarks that measure colloquy against a peer in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  colloquy completions bash > /etc/bash_completion.d/colloquy\n  colloquy completions zsh > ~/.zfunc/_colloquy\n  colloquy completions fish > ~/.config/fish/completions/colloquy.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const SEARCH_HELP: &str =
    "Query syntax: words are all required; \"a phrase\"; \"a phrase\"~2 (words up to 2 apart);
OR, AND, NOT or -word; (groups); word^2 (weight). English words match their inflections
(feelings: feeling, feelings; paint: paints, painted, painting); =word is that exact form only;
photo* a prefix; photograpy~1 within 1 edit (0-2); /colou?r/ a regular expression on whole words.
field:value with fields text, title, speaker, conversation, lang, dominant, and zh:, en:, ja:, ko:
(the words in a turn with a span of that language); * matches every turn.
A hit row starts with its turn number: `colloquy show CONV:TURN` opens it (CONV heads the group).

Examples:
  colloquy search \"mental health\"
  colloquy search '这个 AND art' --speaker B -C 2
  colloquy search painting --lang en --jsonl
  colloquy search 'title:AI' --mixed --full
  colloquy search 'social -media' --conv 000_69e3827c508b06a3 --json
  colloquy search '=feelings OR photo* OR /colou?r/'
  colloquy search art --kwic --sort left1 --limit 50
  colloquy search art --sort position --offset 20 --limit 20
  colloquy search art --index corpusA/index --index corpusB/index

Exit status: 0 when something matched, 1 when nothing did, 2 on error.";

const FREQ_HELP: &str = "Words are the analyzer's tokens as search matches them (English normalised: --forms surface
counts lowercase words as written); Chinese is counted as jieba's words, characters with --unit char.

Examples:
  colloquy freq
  colloquy freq --speaker A --top 20
  colloquy freq 'art OR painting' --by speaker --json | jq '.groups[].items[0]'
  colloquy freq --unit char --lang zh --csv > zh-chars.csv
  colloquy freq --by month --min-count 5

Exit status: 0 when some turn matched, 1 when none did, 2 on error.";

const COLLOCATES_HELP: &str =
    "O: times the collocate is in the node's windows; f(c): its frequency; N: units counted;
E = f(node)·f(c)·(L+R)/N; MI = log2(O/E); t = (O−E)/√O; LL = log-likelihood G² of the 2×2 table.

Examples:
  colloquy collocates art
  colloquy collocates photography --window 3,3 --measure all --min-count 2
  colloquy collocates 这个 --measure mi --json";

/// Which turns an aggregate counts: the filters of `colloquy search`.
#[derive(Args)]
struct FilterArgs {
    /// Only turns by this speaker (repeat to allow several).
    #[arg(long = "speaker", short = 's', value_name = "S")]
    speakers: Vec<String>,
    /// Only turns with a span in this language, e.g. zh, en (repeat to allow several).
    #[arg(long = "lang", short = 'l', value_name = "L")]
    langs: Vec<String>,
    /// Only turns whose dominant language is L (repeat to allow several).
    #[arg(long = "dominant", value_name = "L")]
    dominant: Vec<String>,
    /// Only code-switched turns (more than one language).
    #[arg(long)]
    mixed: bool,
    /// Only this conversation (repeat to allow several).
    #[arg(long = "conv", value_name = "ID")]
    conversations: Vec<String>,
    /// Only turns whose conversation or turn metadata has KEY=VALUE (case-insensitive); values of
    /// one key are ORed, keys ANDed.
    #[arg(long = "where", value_name = "KEY=VALUE")]
    wheres: Vec<String>,
    /// Only turns at or after this time: a date (2024-01-12, 2024-01-12T21:04:05Z) or an
    /// offset into a recording (00:01:23). A turn without a time of its own has its conversation's.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only turns at or before this time (a date alone means the whole day).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
}

impl FilterArgs {
    /// The library's filters (shared with `colloquy serve`).
    fn filters(&self) -> request::Filters {
        request::Filters {
            speakers: self.speakers.clone(),
            langs: self.langs.clone(),
            dominant: self.dominant.clone(),
            mixed: self.mixed,
            conversations: self.conversations.clone(),
            wheres: self.wheres.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

/// What the aggregate commands share: filters, units, groups and output.
#[derive(Args)]
struct AggArgs {
    #[command(flatten)]
    filters: FilterArgs,
    /// Count words (the analyzer's tokens) or characters (letters and ideographs).
    #[arg(long, value_enum, default_value_t = UnitArg::Word)]
    unit: UnitArg,
    /// Count normalised words (what search matches) or lowercase words as written.
    #[arg(long, value_enum, default_value_t = FormsArg::Normalised)]
    forms: FormsArg,
    /// One list per speaker, conversation, lang (language span), year, month, day, or metadata
    /// KEY.
    #[arg(long, value_name = "KEY")]
    by: Option<String>,
    /// Rows per list (0 for all).
    #[arg(long, value_name = "N", default_value_t = 50)]
    top: usize,
    /// Leave out items seen fewer times [default: 1; collocates: 3].
    #[arg(long, value_name = "N")]
    min_count: Option<u64>,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV (a header, then one line per item; a group column with --by).
    #[arg(long)]
    csv: bool,
    #[command(flatten)]
    color: ColorArg,
    #[command(flatten)]
    index: IndexArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum UnitArg {
    Word,
    Char,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormsArg {
    Normalised,
    Surface,
}

#[derive(Clone, Copy, ValueEnum)]
enum MeasureArg {
    Ll,
    Mi,
    T,
    All,
}

#[derive(Args)]
struct FreqArgs {
    /// Only turns matching this query (search syntax); every turn without one.
    query: Option<String>,
    #[command(flatten)]
    agg: AggArgs,
}

#[derive(Args)]
struct NgramsArgs {
    /// Units per n-gram.
    #[arg(short = 'n', long = "n", value_name = "N", default_value_t = 2)]
    n: usize,
    /// Only turns matching this query (search syntax); every turn without one.
    query: Option<String>,
    #[command(flatten)]
    agg: AggArgs,
}

#[derive(Args)]
struct CollocatesArgs {
    /// The node word (one word, normalised like the text).
    word: String,
    /// Units counted left and right of the node: L,R (or one number for both).
    #[arg(long, value_name = "L,R", default_value = "5,5")]
    window: String,
    /// The measure that ranks collocates (all: every one, ranked by log-likelihood).
    #[arg(long, value_enum, default_value_t = MeasureArg::Ll)]
    measure: MeasureArg,
    #[command(flatten)]
    agg: AggArgs,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Ingest throughput: colloquy's whole pipeline vs tantivy with its default tokenizer.
    #[command(
        after_help = "Examples:\n  colloquy bench ingest --copies 200\n  colloquy bench ingest --corpus my-dataset --copies 1"
    )]
    Ingest {
        /// Copies of the corpus to index (each file becomes a distinct conversation).
        #[arg(long, default_value_t = 100)]
        copies: usize,
        /// The corpus to replicate.
        #[arg(long, default_value = "corpus")]
        corpus: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Streaming and long turns: ingest of a generated JSONL dataset (time, peak memory) vs
    /// serde_json + tantivy, and search in one huge turn vs rg.
    #[command(
        after_help = "Examples:\n  colloquy bench formats\n  colloquy bench formats --jsonl-mb 100 --turn-mb 10"
    )]
    Formats {
        /// Size of the generated JSONL file, in MiB.
        #[arg(long, default_value_t = 1024)]
        jsonl_mb: u64,
        /// Size of the one long turn, in MiB.
        #[arg(long, default_value_t = 50)]
        turn_mb: u64,
        /// The corpus whose words are recombined.
        #[arg(long, default_value = "corpus")]
        corpus: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A generated corpus of a chosen size (zh/en conversations recombined at word level, a share
    /// damaged, a share JSONL): ingest speed and memory, index size per field, and a query mix as
    /// a process and in-process vs rg -C2 --json, against the goals of issue #12.
    #[command(
        after_help = "Sizes: 100MB, 1GB, 512KiB (KB/MB/GB powers of 1000) or a plain number of MiB.\n\nExamples:\n  colloquy bench scale\n  colloquy bench scale --size 100MB --size 1GB --json > scale.json\n  colloquy bench scale --size 2MB --runs 3 --keep /tmp/scale"
    )]
    Scale {
        /// Corpus size; repeat for one row set per size.
        #[arg(long = "size", default_values = ["100MB"])]
        sizes: Vec<String>,
        /// Share of files damaged the seeds' way (windows-1254 mojibake).
        #[arg(long, default_value_t = 0.75)]
        damaged: f64,
        /// Share of bytes written as JSONL (OpenAI messages); the rest as [A]: files.
        #[arg(long, default_value_t = 0.25)]
        jsonl: f64,
        /// Runs of each query (p50/p95/p99 over them).
        #[arg(long, default_value_t = 21)]
        runs: usize,
        /// Seed of the generator: the same seed and size write the same bytes.
        #[arg(long, default_value_t = 12)]
        seed: u64,
        /// The corpus whose words are recombined.
        #[arg(long, default_value = "corpus")]
        corpus: PathBuf,
        /// Keep the generated corpus and index under DIR instead of removing them.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Load on the HTTP API: `colloquy serve` on an index, wrk with 16 connections over a fixed
    /// mix of search and show URLs; requests/s, p50/p99 latency, non-2xx answers.
    #[cfg(feature = "server")]
    #[command(
        after_help = "Needs wrk (Debian: apt-get install -y wrk).\n\nExamples:\n  colloquy bench serve\n  colloquy bench scale --size 1GB --keep /tmp/scale && colloquy bench serve --index /tmp/scale/scale-1GB/index-2"
    )]
    Serve {
        /// The index to serve.
        #[arg(long, default_value = "index")]
        index: PathBuf,
        /// Open connections.
        #[arg(long, default_value_t = 16)]
        connections: usize,
        /// wrk threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Seconds of load.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Repair accuracy and speed under every damage model, colloquy vs ftfy (installed into a
    /// temporary virtualenv).
    #[command(
        after_help = "Examples:\n  colloquy bench repair\n  colloquy bench repair my-clean-dialogue.txt --seeds corpus/000_69e3827c508b06a3.txt"
    )]
    Repair {
        /// Clean UTF-8 texts to damage and repair (held out: nothing is learned from them).
        #[arg(default_values = ["corpus/001_177df1590b2f3725.txt", "data/heldout_unseen.txt", "data/heldout_zh_hant.txt", "data/heldout_ja.txt", "data/heldout_ko.txt"])]
        clean: Vec<PathBuf>,
        /// Really damaged files, timed with both tools.
        #[arg(long, num_args = 0.., default_values = ["corpus/000_69e3827c508b06a3.txt", "corpus/002_a46578f8551527d5.txt", "corpus/003_c8cacc78d537ad71.txt"])]
        seeds: Vec<PathBuf>,
        /// The clean multilingual set (`lang<TAB>text` lines): false changes per language and one
        /// round of damage per code page, colloquy against ftfy.
        #[arg(long, default_value = "tests/fixtures/repair/clean_multilingual.tsv")]
        set: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct RepairArgs {
    /// The file to repair; `-` or nothing reads stdin.
    file: Option<PathBuf>,
    /// Print each change (before → after, code page, guesses and runners-up) instead of the text.
    #[arg(long, conflicts_with = "json")]
    explain: bool,
    /// Print the repaired text, report, runs and guesses as JSON instead of the text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct IndexArg {
    /// Where the index lives.
    #[arg(long, default_value = "index")]
    index: PathBuf,
}

/// Indexes searched together (`search`, `show`).
#[derive(Args)]
struct IndexesArg {
    /// Where the index lives; repeat to search several as one (ids are then qualified by the
    /// folder as given: INDEX/CONVERSATION).
    #[arg(long = "index", default_value = "index", value_name = "DIR")]
    index: Vec<PathBuf>,
}

#[derive(Args)]
struct IngestArgs {
    /// Corpus folders or files.
    #[arg(default_value = "corpus")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    index: IndexArg,
    /// Discard the index and build it again.
    #[arg(long)]
    rebuild: bool,
    /// Also remove files of roots that this run does not walk (by default an index keeps every
    /// root it was built from, and only files gone from the walked roots are removed).
    #[arg(long)]
    prune: bool,
    /// Follow symbolic links that lead out of a corpus root (by default they are skipped, with
    /// a warning; links inside the root are always followed).
    #[arg(long)]
    follow_links: bool,
    #[command(flatten)]
    read: ReadArgs,
    /// Languages the detector may give Latin-script spans, e.g. en,fr,de (script rules for zh,
    /// ja, ko always apply) [default: the index's set, else zh,en,ja,ko,fr,es,de]. Changing the
    /// set re-indexes everything.
    #[arg(long, value_delimiter = ',', value_name = "L,L,...")]
    languages: Option<Vec<String>>,
}

/// How files are read.
#[derive(Args)]
struct ReadArgs {
    /// Read every file as this format instead of choosing by extension and content: bracket,
    /// transcript, jsonl, json, csv, tsv, srt, vtt, whatsapp, parquet.
    #[arg(long, value_name = "NAME")]
    format: Option<String>,
    /// JSON: the key holding a turn's speaker (default: role/from/speaker/author/sender/name).
    #[arg(long, value_name = "KEY")]
    speaker_field: Option<String>,
    /// JSON: the key holding a turn's text (default: content/value/text/message).
    #[arg(long, value_name = "KEY")]
    text_field: Option<String>,
    /// CSV/TSV column names: conv=…,speaker=…,text=…,order=…,time=…
    #[arg(long, value_delimiter = ',', value_name = "ROLE=COLUMN,...")]
    columns: Vec<String>,
}

impl ReadArgs {
    fn options(self) -> anyhow::Result<(Option<String>, ReadOptions)> {
        let columns = self
            .columns
            .iter()
            .map(|c| {
                c.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                    .ok_or_else(|| anyhow::anyhow!("--columns takes ROLE=COLUMN pairs, not {c:?}"))
            })
            .collect::<anyhow::Result<_>>()?;
        let read = ReadOptions {
            speaker_field: self.speaker_field,
            text_field: self.text_field,
            columns,
        };
        Ok((self.format, read))
    }
}

#[cfg(feature = "server")]
#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    index: IndexesArg,
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:7700", value_name = "IP:PORT")]
    addr: std::net::SocketAddr,
    /// Seconds a request may take before it is answered 503.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
}

#[derive(Args)]
struct SearchArgs {
    /// The query.
    query: String,
    #[command(flatten)]
    filters: FilterArgs,
    /// Match every word's exact form only (as if each were written =word): no inflections.
    #[arg(long, conflicts_with = "snowball")]
    exact: bool,
    /// Match each single English word by its Snowball stem: aggressive, derivations included
    /// (feelings also finds feel, emotional finds emotion).
    #[arg(long)]
    snowball: bool,
    /// Turns of context before and after each hit.
    #[arg(short = 'C', long = "context", value_name = "N")]
    context: Option<usize>,
    /// Turns of context before each hit [default: 1].
    #[arg(short = 'B', long = "before", value_name = "N")]
    before: Option<usize>,
    /// Turns of context after each hit [default: 1].
    #[arg(short = 'A', long = "after", value_name = "N")]
    after: Option<usize>,
    /// Show the first N hits of the order (--sort) [default: 20].
    #[arg(long, value_name = "N", conflicts_with = "all")]
    limit: Option<usize>,
    /// Skip the first N hits of the order: `--offset 20 --limit 20` is the second page of 20
    /// (with --json, total_hits is still every match).
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: usize,
    /// Order of hits: score (best first), time (the turn's time, earliest first; turns without
    /// one last), position (conversation id, then turn); ties in position order. With --kwic also
    /// left1 / right1: lines by the word just before / after the match (case-insensitive), which
    /// sorts the lines of the hits within --limit, the best by score [default: score].
    #[arg(long, value_enum, value_name = "ORDER", conflicts_with = "all")]
    sort: Option<SortArg>,
    /// Print a concordance: one line per match, left context | match | right context aligned
    /// on the match, with CONVERSATION:TURN and speaker (--json/--jsonl: the same rows as objects).
    #[arg(long, conflicts_with_all = ["full", "fields"])]
    kwic: bool,
    /// Columns of a --kwic line [default: the terminal's width, else 100]; --json rows carry
    /// half of it as context on each side.
    #[arg(long, value_name = "N", requires = "kwic")]
    width: Option<usize>,
    /// Every hit, unranked, in index order as found: for exports (memory stays flat).
    #[arg(long)]
    all: bool,
    /// JSON keys each hit keeps, e.g. conversation,turn,speaker,text (without context: not read).
    #[arg(long, value_delimiter = ',', value_name = "KEY,...")]
    fields: Option<Vec<String>>,
    /// Print one JSON document with the hits.
    #[arg(long, conflicts_with = "jsonl")]
    json: bool,
    /// Print one JSON object per hit, one per line.
    #[arg(long)]
    jsonl: bool,
    /// Print whole turns instead of one line around the match.
    #[arg(long)]
    full: bool,
    #[command(flatten)]
    color: ColorArg,
    #[command(flatten)]
    index: IndexesArg,
    /// Corpus to index if the index does not exist yet.
    #[arg(long, default_value = "corpus")]
    corpus: PathBuf,
}

#[derive(Args)]
struct ShowArgs {
    /// A conversation id, or a location as search prints it: FILE, FILE#RECORD, FILE:LINE,
    /// FILE#RECORD:LINE (a line shows the turns around that turn).
    conversation: String,
    /// Only the turns around this turn (0-based).
    #[arg(long, value_name = "N")]
    turn: Option<u64>,
    /// Turns of context around --turn.
    #[arg(short = 'C', long = "context", value_name = "N", default_value_t = 2)]
    context: u64,
    /// Show the original (damaged) text under each repaired turn.
    #[arg(long)]
    raw: bool,
    #[command(flatten)]
    view: ViewArgs,
    #[command(flatten)]
    index: IndexesArg,
}

#[derive(Args)]
struct StatsArgs {
    /// Show only the N largest speakers and languages [default: all].
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    #[command(flatten)]
    view: ViewArgs,
    #[command(flatten)]
    index: IndexArg,
}

/// What `show` and `stats` share: how to print.
#[derive(Args)]
struct ViewArgs {
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    color: ColorArg,
}

impl ViewArgs {
    /// Print `doc` as JSON with --json, else with `terminal`, to a buffered stdout.
    fn print(
        &self,
        doc: &impl serde::Serialize,
        terminal: impl FnOnce(&Printer, &mut dyn Write) -> io::Result<()>,
    ) -> anyhow::Result<ExitCode> {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        if self.json {
            serde_json::to_writer_pretty(&mut out, doc)?;
            writeln!(out)?;
        } else {
            let printer = Printer {
                style: self.color.style(),
                width: terminal_width(),
                full: true,
            };
            terminal(&printer, &mut out)?;
        }
        out.flush().context("writing output")?;
        Ok(ExitCode::SUCCESS)
    }
}

#[derive(Args)]
struct ColorArg {
    /// When to colour the output (NO_COLOR is respected by auto).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SortArg {
    Score,
    Time,
    Position,
    Left1,
    Right1,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl SortArg {
    fn sort(self) -> request::Sort {
        match self {
            SortArg::Score => request::Sort::Score,
            SortArg::Time => request::Sort::Time,
            SortArg::Position => request::Sort::Position,
            SortArg::Left1 => request::Sort::Left1,
            SortArg::Right1 => request::Sort::Right1,
        }
    }
}

impl ColorArg {
    fn style(&self) -> Style {
        match self.color {
            ColorChoice::Always => Style::Color,
            ColorChoice::Never => Style::Plain,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
                if io::stdout().is_terminal() && !no_color && !dumb {
                    Style::Color
                } else {
                    Style::Plain
                }
            }
        }
    }
}

/// Matches a one-line hit needs: the line shows the region of the first (every match in the
/// 64 KiB chunk where it is found is highlighted).
const TERMINAL_HIGHLIGHTS: usize = 1;
const PIPED_WIDTH: usize = 100;
/// The narrowest line `--width` may ask for.
const KWIC_MIN_WIDTH: usize = 20;
/// Exports smaller than this finish before a progress bar would be read.
const EXPORT_PROGRESS_MIN: usize = 2000;

fn main() -> ExitCode {
    // One line per panic (the library turns those from damaged index files into an error that
    // names the fix, printed after it), not the default multi-line report.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("colloquy: internal error: {info}")
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(args) => run_ingest(args),
        Command::Search(args) => run_search(args),
        Command::Show(args) => run_show(args),
        Command::Stats(args) => run_stats(args),
        Command::Freq(args) => run_freq(args),
        Command::Ngrams(args) => run_ngrams(args),
        Command::Collocates(args) => run_collocates(args),
        #[cfg(feature = "server")]
        Command::Serve(args) => run_serve(args),
        Command::Bench(cmd) => run_bench(cmd),
        Command::Repair(args) => run_repair(args),
        Command::Completions { shell } => run_completions(shell),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("colloquy: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// clap_complete's generators panic when their writer fails (`completions bash | head`): the
/// script (~40 KB) is generated into memory, and a closed pipe ends quietly, as with every other
/// command.
fn run_completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "colloquy", &mut script);
    io::stdout().lock().write_all(&script)?;
    Ok(ExitCode::SUCCESS)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new(what: &str) -> Self {
        if !io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(0);
        let template =
            format!("{what} {{bar:40.cyan/blue}} {{pos}}/{{len}} {{per_sec}} eta {{eta}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Bar(Some(bar))
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total as u64);
        }
    }
    fn advance(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

fn ingest_with_progress(opts: &IngestOptions) -> anyhow::Result<IngestSummary> {
    let bar = Bar::new("ingest");
    let summary = ingest::ingest(opts, &bar)?;
    report_ingest(&summary, &opts.index_dir);
    Ok(summary)
}

fn run_ingest(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let (format, read) = args.read.options()?;
    ingest_with_progress(&IngestOptions {
        roots: args.paths,
        index_dir: args.index.index,
        rebuild: args.rebuild,
        prune: args.prune,
        follow_links: args.follow_links,
        languages: args.languages,
        format,
        read,
    })?;
    Ok(ExitCode::SUCCESS)
}

fn report_ingest(s: &IngestSummary, index: &Path) {
    for skip in &s.skipped {
        eprintln!("warning: skipped {}: {}", skip.path, skip.reason);
    }
    for skip in &s.skipped_records {
        eprintln!("warning: skipped record {}: {}", skip.path, skip.reason);
    }
    if s.records_skipped > s.skipped_records.len() {
        eprintln!(
            "warning: {} more records skipped",
            s.records_skipped - s.skipped_records.len()
        );
    }
    for w in &s.warnings {
        eprintln!("warning: {}: {}", w.path, w.message);
    }
    eprintln!(
        "ingested {} files into {}: {} indexed, {} unchanged, {} removed, {} skipped{}{} in {:.2}s; \
         index holds {} conversations, {} turns ({} repaired, {} repair guesses)",
        s.files,
        index.display(),
        s.indexed,
        s.unchanged,
        s.removed,
        s.skipped.len(),
        if s.records_skipped > 0 {
            format!(", {} records skipped", s.records_skipped)
        } else {
            String::new()
        },
        if s.rebuilt { " (rebuilt)" } else { "" },
        s.elapsed.as_secs_f64(),
        s.conversations,
        s.turns,
        s.repaired_turns,
        s.guesses,
    );
}

fn terminal_width() -> usize {
    if io::stdout().is_terminal() {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return usize::from(w);
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(PIPED_WIDTH)
}

/// Build the index from `--corpus` on first use, where there is nothing yet: a folder holding
/// anything else (a damaged index, someone's files) is reported by Engine::open, never replaced.
/// Only a lone index is built: of several, the corpus would be a guess.
fn build_on_first_use(args: &SearchArgs) -> anyhow::Result<()> {
    let [index] = args.index.index.as_slice() else {
        return Ok(());
    };
    if !colloquy::index::exists(index)
        && colloquy::index::folder_state(index) != colloquy::index::FolderState::Foreign
    {
        eprintln!(
            "colloquy: no index at {}; building it from {}",
            index.display(),
            args.corpus.display()
        );
        ingest_with_progress(&IngestOptions {
            roots: vec![args.corpus.clone()],
            index_dir: index.clone(),
            ..IngestOptions::default()
        })?;
    }
    Ok(())
}

fn run_search(args: SearchArgs) -> anyhow::Result<ExitCode> {
    build_on_first_use(&args)?;
    // The time printed is the search's own, not the first-use index build's.
    let started = Instant::now();
    let fields = match &args.fields {
        Some(_) if !(args.json || args.jsonl) => {
            anyhow::bail!("--fields chooses the keys of --json and --jsonl hits; add one of them")
        }
        Some(names) => output::FieldSet::of(names).map_err(|bad| {
            anyhow::anyhow!(
                "--fields: no field `{bad}`; hits have {}",
                output::HIT_FIELDS.join(", ")
            )
        })?,
        None => output::FieldSet::all(),
    };
    // One search, answered on every core (a server shares its cores among searches instead).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut indexes = Indexes::open(&args.index.index)?.with_rank_threads(cores);
    if !(args.json || args.jsonl) || !fields.has("spans") || args.kwic {
        indexes = indexes.without_spans();
    }
    let opts = search_options(&args, &fields)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let printer = Printer {
        style: args.color.style(),
        width: args
            .width
            .unwrap_or_else(terminal_width)
            .max(KWIC_MIN_WIDTH),
        full: args.full,
    };
    let total_hits = if args.kwic {
        write_kwic(&indexes, &opts, &args, printer, &mut out)?
    } else if args.json || args.jsonl {
        write_json_hits(&indexes, &opts, args.jsonl, fields, &mut out)?
    } else {
        let results = indexes.search(&opts)?;
        printer.search(&mut out, &results, started.elapsed())?;
        results.total_hits
    };
    out.flush().context("writing results")?;
    let shown = opts.limit.map_or(total_hits, |l| {
        l.min(total_hits.saturating_sub(opts.offset))
    });
    let written = opts.offset.saturating_add(shown);
    if (args.json || args.jsonl) && args.limit.is_none() && written < total_hits {
        eprintln!("colloquy: {shown} of {total_hits} hits written; --limit N or --all for more");
    }
    Ok(if total_hits > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `--kwic`: concordance lines on the terminal, or their rows as JSON.
fn write_kwic(
    indexes: &Indexes,
    opts: &SearchOptions,
    args: &SearchArgs,
    printer: Printer,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    let format = match (args.json, args.jsonl) {
        (true, _) => output::KwicFormat::Json,
        (_, true) => output::KwicFormat::Jsonl,
        _ => output::KwicFormat::Terminal,
    };
    let sort = args.sort.and_then(|s| s.sort().kwic());
    let mut sink = output::KwicSink::new(out, format, printer, sort);
    Ok(indexes.search_each(opts, &mut sink)?)
}

fn search_options(args: &SearchArgs, fields: &output::FieldSet) -> anyhow::Result<SearchOptions> {
    let json = args.json || args.jsonl;
    let req = request::SearchRequest {
        query: args.query.clone(),
        filters: args.filters.filters(),
        exact: args.exact,
        snowball: args.snowball,
        context: args.context,
        before: args.before,
        after: args.after,
        limit: args.limit,
        offset: args.offset,
        sort: args.sort.map(SortArg::sort),
        kwic: args.kwic,
        all: args.all,
        with_context: fields.has("context"),
        highlight_limit: (!json && !args.full && !args.kwic).then_some(TERMINAL_HIGHLIGHTS),
    };
    Ok(req.options()?)
}

/// `--json` / `--jsonl`: hits written as the searcher finds them; the number that match.
fn write_json_hits(
    engine: &Indexes,
    opts: &SearchOptions,
    lines: bool,
    fields: output::FieldSet,
    out: &mut impl Write,
) -> anyhow::Result<usize> {
    if !lines {
        let mut sink = output::JsonSink::new(out, fields);
        return Ok(engine.search_each(opts, &mut sink)?);
    }
    // A bar only for exports long enough to watch, and whose size is known.
    let bar: std::cell::OnceCell<Bar> = std::cell::OnceCell::new();
    let mut sink = output::JsonlSink {
        out,
        fields,
        on_begin: |total: Option<usize>| {
            let shown = total.map(|t| opts.limit.unwrap_or(t).min(t));
            if let Some(shown) = shown.filter(|&n| n >= EXPORT_PROGRESS_MIN) {
                bar.get_or_init(|| Bar::new("export")).start(shown);
            }
        },
        on_hit: || bar.get().into_iter().for_each(Bar::advance),
    };
    let total = engine.search_each(opts, &mut sink)?;
    bar.get().into_iter().for_each(Bar::finish);
    Ok(total)
}

/// A benchmark's figures on stdout: pretty JSON, or its table.
fn print_bench<T: serde::Serialize + ?Sized>(
    json: bool,
    figures: &T,
    table: impl FnOnce(&mut io::StdoutLock<'static>, &T) -> io::Result<()>,
) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, figures)?;
        writeln!(out)?;
    } else {
        table(&mut out, figures)?;
    }
    Ok(())
}

/// `serve`: the first line on stdout is where it listens (tests and scripts read the port).
#[cfg(feature = "server")]
fn run_serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    use colloquy::serve;
    if let Some(warning) = serve::exposure_warning(&args.addr) {
        eprintln!("colloquy: {warning}");
    }
    let opts = serve::ServeOptions {
        indexes: args.index.index,
        addr: args.addr,
        timeout: std::time::Duration::try_from_secs_f64(args.timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| anyhow::anyhow!("--timeout takes a positive number of seconds"))?,
    };
    serve::run(&opts, |bound| {
        println!("listening on http://{bound}");
        let _ = io::stdout().flush();
    })?;
    Ok(ExitCode::SUCCESS)
}

fn run_show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let mut engine = Indexes::open(&args.index.index)?;
    if !args.view.json {
        engine = engine.without_spans();
    }
    let conv = engine.show(&args.conversation, args.turn, args.context)?;
    args.view.print(&conv, |printer, mut out| {
        printer.conversation(&mut out, &conv, args.raw)
    })
}

fn run_stats(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let mut stats = colloquy::stats::collect(&args.index.index)?;
    if let Some(n) = args.top {
        stats = stats.top(n);
    }
    args.view
        .print(&stats, |printer, mut out| printer.stats(&mut out, &stats))
}

fn run_bench(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Ingest {
            copies,
            corpus,
            json,
        } => {
            if !corpus.exists() {
                anyhow::bail!("corpus not found: {}", corpus.display());
            }
            let b = colloquy::bench::ingest_bench(&corpus, copies)?;
            print_bench(json, &b, colloquy::bench::print_ingest)?;
        }
        BenchCommand::Formats {
            jsonl_mb,
            turn_mb,
            corpus,
            json,
        } => {
            let b = colloquy::bench::formats::run(&corpus, jsonl_mb, turn_mb)?;
            print_bench(json, &b, colloquy::bench::formats::print)?;
        }
        BenchCommand::Scale {
            sizes,
            damaged,
            jsonl,
            runs,
            seed,
            corpus,
            keep,
            json,
        } => {
            let opts = scale_options(sizes, damaged, jsonl, runs, seed, corpus, keep)?;
            let reports = colloquy::bench::scale::run(&opts)?;
            print_bench(json, reports.as_slice(), colloquy::bench::scale::print)?;
        }
        #[cfg(feature = "server")]
        BenchCommand::Serve {
            index,
            connections,
            threads,
            seconds,
            json,
        } => {
            use colloquy::bench::serve;
            let opts = serve::ServeBenchOptions {
                index,
                connections,
                threads,
                seconds,
            };
            let b = serve::run(&opts)?;
            print_bench(json, &b, serve::print)?;
        }
        BenchCommand::Repair {
            clean,
            seeds,
            set,
            json,
        } => {
            let set = set.exists().then_some(set.as_path());
            let b = colloquy::bench::repair_bench(&clean, &seeds, set)?;
            print_bench(json, &b, colloquy::bench::print_repair_bench)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `bench scale`'s options from its arguments; the sizes parsed (`1k`, `1m`, `10000`).
fn scale_options(
    sizes: Vec<String>,
    damaged: f64,
    jsonl: f64,
    runs: usize,
    seed: u64,
    corpus: PathBuf,
    keep: Option<PathBuf>,
) -> anyhow::Result<colloquy::bench::scale::ScaleOptions> {
    use colloquy::bench::scale;
    if !corpus.exists() {
        anyhow::bail!("corpus not found: {}", corpus.display());
    }
    let sizes = sizes
        .into_iter()
        .map(|s| Ok((s.clone(), scale::parse_size(&s)?)))
        .collect::<anyhow::Result<_>>()?;
    Ok(scale::ScaleOptions {
        corpus,
        sizes,
        damaged,
        jsonl,
        seed,
        runs,
        keep,
    })
}

fn run_repair(args: RepairArgs) -> anyhow::Result<ExitCode> {
    use colloquy::repair::FileReport;
    use std::io::Read;
    let (name, bytes) = match args.file.as_deref() {
        None => ("<stdin>".to_owned(), read_stdin()?),
        Some(p) if p == Path::new("-") => ("<stdin>".to_owned(), read_stdin()?),
        Some(p) => (
            p.display().to_string(),
            std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        ),
    };
    fn read_stdin() -> anyhow::Result<Vec<u8>> {
        let mut buf = Vec::new();
        io::stdin().read_to_end(&mut buf).context("reading stdin")?;
        Ok(buf)
    }
    let path = args.file.as_deref().filter(|p| *p != Path::new("-"));
    let job = colloquy::pipeline::RepairJob::prepare(path, bytes)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if args.json {
        let repaired = job.repair_whole();
        let report = FileReport::new(&name, &repaired);
        // Serialized straight from the repair's own structs: a JSON tree of every guess first
        // took gigabytes on a 20 MB file.
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            file: &'a str,
            encoding: &'a str,
            report: &'a FileReport,
            text: &'a str,
            runs: &'a [colloquy::repair::RunReport],
            guesses: &'a [colloquy::repair::Guess],
        }
        let doc = Doc {
            file: &name,
            encoding: job.decoded.encoding,
            report: &report,
            text: &repaired.text,
            runs: &repaired.runs,
            guesses: &repaired.guesses,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        // Piece by piece: the text (or the explanations) of a large file goes out as it is
        // repaired, and memory holds a few pieces rather than the whole repair.
        let mut report = FileReport::empty(&name);
        let mut line = 1;
        job.repair_in_pieces(|piece| -> io::Result<()> {
            report.add(&piece);
            if args.explain {
                line += output::print_repair_explain_piece(&mut out, &name, line, &piece)?;
            } else {
                out.write_all(piece.text.as_bytes())?;
            }
            Ok(())
        })?;
        if args.explain {
            writeln!(out, "{}", output::repair_summary(&report))?;
        } else {
            eprintln!("{}", output::repair_summary(&report));
        }
    }
    out.flush().context("writing output")?;
    Ok(ExitCode::SUCCESS)
}

impl AggArgs {
    /// The turns to count, how to cut and group them.
    fn scope(&self, query: Option<&str>) -> anyhow::Result<aggregate::Scope> {
        let req = request::AggRequest {
            filters: self.filters.filters(),
            unit: match self.unit {
                UnitArg::Word => aggregate::Unit::Word,
                UnitArg::Char => aggregate::Unit::Char,
            },
            forms: match self.forms {
                FormsArg::Normalised => aggregate::Forms::Normalised,
                FormsArg::Surface => aggregate::Forms::Surface,
            },
            by: self.by.clone(),
        };
        Ok(req.scope(query)?)
    }

    fn cutoff(&self) -> aggregate::freq::Cutoff {
        aggregate::freq::Cutoff {
            top: self.top,
            min_count: self.min_count.unwrap_or(1),
        }
    }

    /// Print `report` as JSON, CSV or a table; exit 0 when `found`, else 1.
    fn print<T: serde::Serialize>(
        &self,
        report: &T,
        found: bool,
        csv: fn(&mut dyn Write, &T) -> io::Result<()>,
        table: fn(&mut dyn Write, &T, Style) -> io::Result<()>,
    ) -> anyhow::Result<ExitCode> {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        if self.json {
            serde_json::to_writer_pretty(&mut out, report)?;
            writeln!(out)?;
        } else if self.csv {
            csv(&mut out, report)?;
        } else {
            table(&mut out, report, self.color.style())?;
        }
        out.flush().context("writing results")?;
        Ok(if found {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

fn print_freq(args: &AggArgs, report: &aggregate::freq::FreqReport) -> anyhow::Result<ExitCode> {
    args.print(
        report,
        report.turns > 0,
        |out, r| aggregate::print::freq_csv(out, r),
        |out, r, style| aggregate::print::freq_table(out, r, style),
    )
}

fn run_freq(args: FreqArgs) -> anyhow::Result<ExitCode> {
    let engine = Engine::open(&args.agg.index.index)?;
    let scope = args.agg.scope(args.query.as_deref())?;
    let report = aggregate::freq::freq(&engine, &scope, args.agg.cutoff())?;
    print_freq(&args.agg, &report)
}

fn run_ngrams(args: NgramsArgs) -> anyhow::Result<ExitCode> {
    let engine = Engine::open(&args.agg.index.index)?;
    let scope = args.agg.scope(args.query.as_deref())?;
    let report = aggregate::ngrams::ngrams(&engine, &scope, args.n, args.agg.cutoff())?;
    print_freq(&args.agg, &report)
}

fn run_collocates(args: CollocatesArgs) -> anyhow::Result<ExitCode> {
    use aggregate::collocates::{self, CollocateOptions, Measure};
    let engine = Engine::open(&args.agg.index.index)?;
    let scope = args.agg.scope(None)?;
    let opts = CollocateOptions {
        node: args.word.clone(),
        window: request::parse_window(&args.window)?,
        measure: match args.measure {
            MeasureArg::Ll => Measure::Ll,
            MeasureArg::Mi => Measure::Mi,
            MeasureArg::T => Measure::T,
            MeasureArg::All => Measure::All,
        },
        top: args.agg.top,
        min_count: args.agg.min_count.unwrap_or(request::DEFAULT_COLLOCATE_MIN),
    };
    let report = collocates::collocates(&engine, &scope, &opts)?;
    let found = report.groups.iter().any(|g| g.node_frequency > 0);
    args.agg.print(
        &report,
        found,
        |out, r| aggregate::print::collocates_csv(out, r),
        |out, r, style| aggregate::print::collocates_table(out, r, style),
    )
}
