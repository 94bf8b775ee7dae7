//! The `colloquy` command line: argument parsing and wiring of the library's stages.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use colloquy::ingest::{self, IngestOptions, IngestSummary};
use colloquy::output::{self, Style};
use colloquy::search::{Engine, SearchOptions};

#[derive(Parser)]
#[command(
    name = "colloquy",
    version,
    about = "Search dialogue corpora: repairs mojibake, splits turns by speaker, finds exchanges.",
    after_help = "Examples:\n  colloquy search \"mental health\"\n  colloquy search 话题 --speaker A -C 2\n  colloquy ingest corpus/ --rebuild"
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
}

const SEARCH_HELP: &str =
    "Query syntax (tantivy): words are all required; \"a phrase\"; OR, AND, NOT or -word;
field:value with fields text, speaker, conversation, lang, title, zh, en, ja, ko.

Examples:
  colloquy search \"mental health\"
  colloquy search '这个 AND art' --speaker B -C 2
  colloquy search painting --lang en --jsonl
  colloquy search 'social -media' --conv 000_69e3827c508b06a3 --json

Exit status: 0 when something matched, 1 when nothing did, 2 on error.";

#[derive(Args)]
struct IngestArgs {
    /// Corpus folders or files.
    #[arg(default_value = "corpus")]
    paths: Vec<PathBuf>,
    /// Where the index lives.
    #[arg(long, default_value = "index")]
    index: PathBuf,
    /// Discard the index and build it again.
    #[arg(long)]
    rebuild: bool,
}

#[derive(Args)]
struct SearchArgs {
    /// The query.
    query: String,
    /// Only turns by this speaker (repeat to allow several).
    #[arg(long = "speaker", short = 's', value_name = "S")]
    speakers: Vec<String>,
    /// Only turns with a span in this language, e.g. zh, en (repeat to allow several).
    #[arg(long = "lang", short = 'l', value_name = "L")]
    langs: Vec<String>,
    /// Only this conversation (repeat to allow several).
    #[arg(long = "conv", value_name = "ID")]
    conversations: Vec<String>,
    /// Turns of context before and after each hit.
    #[arg(short = 'C', long = "context", value_name = "N")]
    context: Option<usize>,
    /// Turns of context before each hit [default: 1].
    #[arg(short = 'B', long = "before", value_name = "N")]
    before: Option<usize>,
    /// Turns of context after each hit [default: 1].
    #[arg(short = 'A', long = "after", value_name = "N")]
    after: Option<usize>,
    /// Show at most N hits [default: 20; all with --jsonl].
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Print one JSON document with all hits.
    #[arg(long, conflicts_with = "jsonl")]
    json: bool,
    /// Print one JSON object per hit, one per line.
    #[arg(long)]
    jsonl: bool,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Where the index lives.
    #[arg(long, default_value = "index")]
    index: PathBuf,
    /// Corpus to index if the index does not exist yet.
    #[arg(long, default_value = "corpus")]
    corpus: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

const DEFAULT_LIMIT: usize = 20;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(args) => run_ingest(args),
        Command::Search(args) => run_search(args),
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

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

fn run_ingest(args: IngestArgs) -> anyhow::Result<ExitCode> {
    let summary = ingest::ingest(&IngestOptions {
        roots: args.paths,
        index_dir: args.index.clone(),
        rebuild: args.rebuild,
    })?;
    report_ingest(&summary, &args.index);
    Ok(ExitCode::SUCCESS)
}

fn report_ingest(s: &IngestSummary, index: &std::path::Path) {
    for skip in &s.skipped {
        eprintln!("warning: skipped {}: {}", skip.path, skip.reason);
    }
    for w in &s.warnings {
        eprintln!("warning: {}: {}", w.path, w.message);
    }
    eprintln!(
        "ingested {} files into {}: {} indexed, {} unchanged, {} removed, {} skipped{} in {:.2}s; \
         index holds {} conversations, {} turns ({} repaired, {} repair guesses)",
        s.files,
        index.display(),
        s.indexed,
        s.unchanged,
        s.removed,
        s.skipped.len(),
        if s.rebuilt { " (rebuilt)" } else { "" },
        s.elapsed.as_secs_f64(),
        s.conversations,
        s.turns,
        s.repaired_turns,
        s.guesses,
    );
}

fn run_search(args: SearchArgs) -> anyhow::Result<ExitCode> {
    if !ingest::index_exists(&args.index) {
        eprintln!(
            "colloquy: no index at {}; building it from {}",
            args.index.display(),
            args.corpus.display()
        );
        let summary = ingest::ingest(&IngestOptions {
            roots: vec![args.corpus.clone()],
            index_dir: args.index.clone(),
            rebuild: false,
        })?;
        report_ingest(&summary, &args.index);
    }
    let engine = Engine::open(&args.index)?;
    let context = args.context.unwrap_or(1);
    let limit = match (args.limit, args.jsonl) {
        (Some(n), _) => Some(n),
        (None, true) => None,
        (None, false) => Some(DEFAULT_LIMIT),
    };
    let results = engine.search(&SearchOptions {
        query: args.query,
        speakers: args.speakers,
        langs: args.langs,
        conversations: args.conversations,
        before: args.before.unwrap_or(context),
        after: args.after.unwrap_or(context),
        limit,
    })?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    if args.json {
        output::print_json(&mut out, &results)?;
    } else if args.jsonl {
        output::print_jsonl(&mut out, &results)?;
    } else {
        let style = match args.color {
            ColorChoice::Always => Style::Color,
            ColorChoice::Never => Style::Plain,
            ColorChoice::Auto => {
                if io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
                    Style::Color
                } else {
                    Style::Plain
                }
            }
        };
        output::print_terminal(&mut out, &results, style)?;
    }
    out.flush().context("writing results")?;
    Ok(if results.total_hits > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
