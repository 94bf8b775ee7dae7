//! Format readers: files in the formats people have → [`Conversation`]s of the one model.
//!
//! One module per format, each a [`Reader`]; the [`READERS`] table picks one per file by
//! `--format`, by extension, and by sniffing the first bytes (in the spirit of charabia's segmenter
//! table). Readers stream: a conversation is handed to the [`Sink`] as soon as it is complete, so a
//! file of a million records is never held whole. A record that cannot be read is reported to the
//! sink with its location and skipped; the rest of the file is still read.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use crate::decode::{self, Decoded, NotText};
use crate::model::{Conversation, Origin};

pub mod bracket;
pub mod chat;
pub mod csv;
pub mod json;
mod json_array;
pub mod parquet;
pub mod subtitles;
pub mod transcript;
pub mod whatsapp;

/// Free field names a user can pin when a format does not fix them.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// JSON: the key holding a turn's speaker (instead of role/from/speaker/author/sender/name).
    pub speaker_field: Option<String>,
    /// JSON: the key holding a turn's text (instead of content/value/text/message).
    pub text_field: Option<String>,
    /// CSV/TSV: column overrides, `conv=…,speaker=…,text=…,order=…,time=…`.
    pub columns: Vec<(String, String)>,
}

/// Why a whole file could not be read (a record-level problem goes to [`Sink::skipped`]).
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(transparent)]
    NotText(#[from] NotText),
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

/// Where a reader sends what it reads.
pub trait Sink {
    /// A complete conversation.
    fn conversation(&mut self, conv: Conversation);
    /// A record (or line) that was not read, and why; counted in the ingest summary.
    fn skipped(&mut self, at: Origin, reason: String);
    /// Something the user should know about data that was read (lossy bytes, a cut-off file, …).
    fn warning(&mut self, at: Origin, message: String);
    /// True when the sink wants nothing more from this file: readers of multi-record files check
    /// it between records and stop early (the repair statistics pre-pass samples a prefix).
    fn full(&self) -> bool {
        false
    }
}

/// A dialogue file format.
pub trait Reader: Sync {
    /// The name `--format` takes.
    fn name(&self) -> &'static str;
    /// File extensions (lowercase, without the dot) this format owns or shares.
    fn extensions(&self) -> &'static [&'static str];
    /// How surely the file's first bytes are this format: 0 no, 1 possible, 2 likely, 3 certain.
    fn sniff(&self, head: &[u8]) -> u8;
    /// Read every conversation of the file at `path` into `sink`.
    fn read(&self, path: &Path, opts: &ReadOptions, sink: &mut dyn Sink)
        -> Result<(), FormatError>;
}

/// Every reader, in the order ties are broken.
pub static READERS: &[&dyn Reader] = &[
    &bracket::Bracket,
    &json::Jsonl,
    &json::Json,
    &subtitles::Srt,
    &subtitles::Vtt,
    &whatsapp::WhatsApp,
    &csv::Csv,
    &csv::Tsv,
    &transcript::Transcript,
    &parquet::Parquet,
];

/// Bytes of a file's start that [`choose`] sniffs.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The reader named `name`, or the list of names when there is none.
pub fn by_name(name: &str) -> Result<&'static dyn Reader, String> {
    READERS
        .iter()
        .copied()
        .find(|r| r.name().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let names: Vec<&str> = READERS.iter().map(|r| r.name()).collect();
            format!("unknown format {name:?}; formats: {}", names.join(", "))
        })
}

/// The reader for a file: the most certain sniff among the readers that own its extension, else
/// among all readers; plain text (`bracket`, which reads a file without speaker lines as one
/// turn) when nothing claims it.
pub fn choose(path: &Path, head: &[u8]) -> &'static dyn Reader {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let owners: Vec<&'static dyn Reader> = READERS
        .iter()
        .copied()
        .filter(|r| r.extensions().contains(&ext.as_str()))
        .collect();
    let best = |candidates: &[&'static dyn Reader]| {
        let mut best: Option<(u8, &'static dyn Reader)> = None;
        for r in candidates {
            let score = r.sniff(head);
            if score > 0 && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, *r));
            }
        }
        best
    };
    if let Some((_, r)) = best(&owners) {
        return r;
    }
    if owners.len() == 1 {
        return owners[0];
    }
    match best(READERS) {
        Some((score, r)) if score >= 2 || owners.is_empty() => r,
        _ => &bracket::Bracket,
    }
}

/// The first [`HEAD_BYTES`] of a file.
pub fn head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// Read and decode a whole text file (transcripts, subtitles, messenger logs), telling the sink
/// where malformed bytes were replaced.
pub fn read_text(path: &Path, sink: &mut dyn Sink) -> Result<Decoded, FormatError> {
    let bytes = std::fs::read(path)?;
    let decoded = decode::decode(bytes)?;
    if decoded.guessed {
        sink.warning(
            Origin::default(),
            format!(
                "no byte-order mark and not UTF-8: decoded as {} (detected from its bytes)",
                decoded.encoding
            ),
        );
    }
    if decoded.lossy {
        warn_lossy(&decoded, sink);
    }
    Ok(decoded)
}

/// Where decoding replaced malformed bytes: the first line and how many more.
fn warn_lossy(decoded: &Decoded, sink: &mut dyn Sink) {
    let mut lines = decoded
        .text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains('\u{FFFD}'))
        .map(|(i, _)| i as u64 + 1);
    let first = lines.next().unwrap_or(1);
    let more = match lines.count() {
        0 => String::new(),
        n => format!(" (and on {n} more lines)"),
    };
    sink.warning(
        Origin::line(first),
        format!(
            "malformed {} bytes replaced by U+FFFD{more}",
            decoded.encoding
        ),
    );
}

/// Lines of a text with their 1-based numbers, ended by `\n`, `\r\n` or a lone `\r` (old Mac
/// files, and subtitle tools that still write them).
pub fn text_lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    let mut rest = Some(text);
    let mut number = 0;
    std::iter::from_fn(move || {
        let s = rest?;
        number += 1;
        match s.find(['\n', '\r']) {
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some((number, &s[..i]))
            }
            None => {
                rest = None;
                Some((number, s))
            }
        }
    })
}

/// Close a transcript read line by line: the text before its first turn is its preamble, or, when
/// the file had no turn at all, its one turn, by no speaker, with a warning naming the line shape
/// looked for (`marker`): no text is ever dropped.
pub fn settle_preamble(
    conv: &mut Conversation,
    text: &str,
    preamble: &str,
    marker: &str,
    sink: &mut dyn Sink,
) {
    let preamble = preamble.trim();
    let line = text_lines(text)
        .find(|(_, l)| !l.trim().is_empty())
        .map_or(1, |(n, _)| n);
    if preamble.is_empty() {
        return;
    }
    if !conv.turns.is_empty() {
        // Kept and shown, but not in the search index: say so, so that no
        // text of the file is out of reach without a word.
        sink.warning(
            Origin::line(line),
            format!(
                "{} line(s) before the first `{marker}` line kept as the preamble: `show` prints it, search does not find it",
                preamble.lines().count()
            ),
        );
        conv.preamble = preamble.to_owned();
        return;
    }
    sink.warning(
        Origin::line(line),
        format!("no `{marker}` lines; indexed as a single turn with no speaker"),
    );
    conv.turns.push(crate::model::Turn {
        text: preamble.to_owned(),
        origin: Origin::line(line),
        ..crate::model::Turn::default()
    });
}

/// A file's first bytes as text for sniffing: UTF-16 (with or without a BOM) decoded, a UTF-8 BOM
/// dropped, anything else read as lossy UTF-8.
pub fn head_text(head: &[u8]) -> Cow<'_, str> {
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if utf16 || head.contains(&0) {
        return decode::decode(head.to_vec())
            .map(|d| d.text.into())
            .unwrap_or_default();
    }
    String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head))
}

/// A turn's text without trailing ASCII whitespace. Only ASCII: a trailing U+00A0 may be the last
/// byte of a mojibake character (`加` read as cp1252 ends in `\u{A0}`) that repair needs.
pub fn trim_end_ascii(s: &str) -> &str {
    s.trim_end_matches(|c: char| c.is_ascii_whitespace())
}

/// A sink that keeps everything, for tests and for `colloquy repair`-style one-file tools.
#[derive(Debug, Default)]
pub struct Collect {
    pub conversations: Vec<Conversation>,
    pub skipped: Vec<(Origin, String)>,
    pub warnings: Vec<(Origin, String)>,
}

impl Sink for Collect {
    fn conversation(&mut self, conv: Conversation) {
        self.conversations.push(conv);
    }
    fn skipped(&mut self, at: Origin, reason: String) {
        self.skipped.push((at, reason));
    }
    fn warning(&mut self, at: Origin, message: String) {
        self.warnings.push((at, message));
    }
}

/// Test support shared by every reader's tests.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Read `content` as a file named `name` with `reader`.
    pub fn read_as(reader: &dyn Reader, name: &str, content: &[u8], opts: &ReadOptions) -> Collect {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write fixture");
        let mut sink = Collect::default();
        if let Err(e) = reader.read(&path, opts, &mut sink) {
            panic!("{} failed on {name}: {e}", reader.name());
        }
        sink
    }

    /// Check every row of `tests/fixtures/formats/<dir>/expected.tsv` (file, format,
    /// conversations, turns, speakers, word, speaker): the reader chosen automatically, the
    /// counts, the sorted set of non-empty speakers, and a turn of `speaker` holding `word`.
    pub fn check_fixture_dir(dir: &str) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/formats")
            .join(dir);
        let table = std::fs::read_to_string(root.join("expected.tsv")).expect("expected.tsv");
        for row in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = row.split('\t').collect();
            assert_eq!(f.len(), 7, "bad expected.tsv row {row:?}");
            let path = root.join(f[0]);
            let reader = choose(&path, &head(&path).expect("fixture"));
            assert_eq!(reader.name(), f[1], "{}: reader", f[0]);
            let mut got = Collect::default();
            reader
                .read(&path, &ReadOptions::default(), &mut got)
                .expect("fixture reads");
            assert_eq!(
                got.conversations.len().to_string(),
                f[2],
                "{}: conversations",
                f[0]
            );
            let turns = turns_of(&got);
            assert_eq!(turns.len().to_string(), f[3], "{}: turns", f[0]);
            let mut speakers: Vec<&str> = turns
                .iter()
                .map(|(s, _)| s.as_str())
                .filter(|s| !s.is_empty())
                .collect();
            speakers.sort_unstable();
            speakers.dedup();
            assert_eq!(speakers.join(","), f[4], "{}: speakers", f[0]);
            let word = f[5].to_lowercase();
            assert!(
                turns
                    .iter()
                    .any(|(s, t)| s == f[6] && t.to_lowercase().contains(&word)),
                "{}: no turn of {} says {word}",
                f[0],
                f[6]
            );
        }
    }

    /// A sink that keeps everything and is full after `.1` conversations.
    pub struct FullAfter(pub Collect, pub usize);

    impl Sink for FullAfter {
        fn conversation(&mut self, conv: Conversation) {
            self.0.conversation(conv);
        }
        fn skipped(&mut self, at: Origin, reason: String) {
            self.0.skipped(at, reason);
        }
        fn warning(&mut self, at: Origin, message: String) {
            self.0.warning(at, message);
        }
        fn full(&self) -> bool {
            self.0.conversations.len() >= self.1
        }
    }

    /// `(speaker, text)` of every turn of every conversation, in order.
    pub fn turns_of(c: &Collect) -> Vec<(String, String)> {
        c.conversations
            .iter()
            .flat_map(|conv| conv.turns.iter())
            .map(|t| (t.speaker.clone(), t.text.clone()))
            .collect()
    }
}

/// One test per case: `reads!(test_name, Reader, "file.ext", "content", [("speaker", "text"), …])`
/// asserts every turn read, in order, across all conversations of the file.
#[cfg(test)]
macro_rules! reads {
    ($name:ident, $reader:expr, $file:expr, $content:expr, [$(($speaker:expr, $text:expr)),* $(,)?]) => {
        #[test]
        fn $name() {
            let got = $crate::formats::testing::read_as(
                &$reader,
                $file,
                $content.as_ref(),
                &$crate::formats::ReadOptions::default(),
            );
            let expected: Vec<(String, String)> =
                vec![$(($speaker.to_string(), $text.to_string())),*];
            assert_eq!($crate::formats::testing::turns_of(&got), expected);
        }
    };
}
#[cfg(test)]
pub(crate) use reads;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_falls_back_to_bracket() {
        assert_eq!(choose(Path::new("a.txt"), b"[A]: hi\n").name(), "bracket");
        assert_eq!(
            choose(Path::new("notes"), b"just words\n").name(),
            "bracket"
        );
    }

    #[test]
    fn unknown_format_names_the_known_ones() {
        let err = by_name("nope").err().unwrap_or_default();
        assert!(err.contains("bracket"), "{err}");
        assert_eq!(by_name("BRACKET").map(|r| r.name()), Ok("bracket"));
    }
}
