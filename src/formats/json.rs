//! JSON Lines (`jsonl`) and JSON (`json`) files of chat records; each record is interpreted by
//! [`chat::from_record`](super::chat::from_record).
//!
//! `jsonl` (`.jsonl`, `.ndjson`, `.jsonlines`; sniffed when the first non-blank line is a JSON
//! object) streams line by line: blank lines are ignored, every other line is record *n* of the
//! file. A line that is not JSON, or not a chat record, is skipped with its reason; invalid UTF-8
//! in a line is replaced by U+FFFD with a warning naming the line.
//!
//! `json` (`.json`; sniffed when the file opens with `[` followed by `{`, `[`, `"` or `]`, or with
//! a `{` whose first line is not a whole object) looks at the first byte after an optional UTF-8
//! BOM and whitespace:
//! - `[`: the array is streamed element by element, never held whole, each element a record with
//!   the line where it starts ([`super::json_array`] finds the elements). An element that is not a
//!   record is skipped; invalid UTF-8 in an element is replaced by U+FFFD with a warning. An array cut off in the
//!   middle of a record (as real dumps are) yields every complete record and then a warning with
//!   the byte offset and line of the cut; a syntax error stops the reading with the broken record
//!   skipped. An array whose first element is itself a turn (`{"role": …, "content": …}`) is one
//!   conversation, its elements the turns.
//! - `{`: the object is parsed whole (so one large object costs its size in memory). A Telegram
//!   Desktop full export (`chats.list`, and `left_chats.list`) gives one conversation per chat;
//!   anything else is one record. A file of several top-level objects is read as JSON Lines, with
//!   a warning.
//!
//! The key of a conversation is its record's id (see `chat`), else its record number; a file that
//! is one conversation has none.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::Value;

use super::chat;
use super::json_array::{skip_blank, Elements, Position, Step};
use super::{FormatError, ReadOptions, Reader, Sink};
use crate::decode::NotText;
use crate::model::{Conversation, Origin};

pub struct Jsonl;
pub struct Json;

const BOM: &[u8] = b"\xEF\xBB\xBF";
/// How far into a file a NUL byte marks it as binary.
const BINARY_SNIFF: usize = 8192;

impl Reader for Jsonl {
    fn name(&self) -> &'static str {
        "jsonl"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["jsonl", "ndjson", "jsonlines"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        let head = head.strip_prefix(BOM).unwrap_or(head);
        let Some(line) = head
            .split(|&b| b == b'\n')
            .find(|l| !l.trim_ascii().is_empty())
        else {
            return 0;
        };
        let complete = line.len() < head.len();
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(_)) => 3,
            // A first line longer than the head may still be a record.
            Err(_) if !complete && line.trim_ascii_start().starts_with(b"{") => 1,
            _ => 0,
        }
    }
    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        sink: &mut dyn Sink,
    ) -> Result<(), FormatError> {
        let mut reader = BufReader::with_capacity(64 * 1024, File::open(path)?);
        reject_binary(&mut reader)?;
        read_lines(reader, opts, sink)
    }
}

impl Reader for Json {
    fn name(&self) -> &'static str {
        "json"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["json"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        let head = head.strip_prefix(BOM).unwrap_or(head).trim_ascii_start();
        match head.first() {
            // `[A]: hi` is a transcript; an array of records opens with `{`, `[`, `"` or `]`.
            Some(b'[') => match head[1..].trim_ascii_start().first() {
                Some(b'{' | b'[' | b'"' | b']') => 3,
                _ => 0,
            },
            Some(b'{') if Jsonl.sniff(head) < 3 => 2,
            Some(b'{') => 1,
            _ => 0,
        }
    }
    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        sink: &mut dyn Sink,
    ) -> Result<(), FormatError> {
        let mut reader = BufReader::with_capacity(64 * 1024, File::open(path)?);
        reject_binary(&mut reader)?;
        let Some((first, skipped)) = skip_to_content(&mut reader)? else {
            sink.warning(Origin::line(1), "empty JSON file".into());
            return Ok(());
        };
        match first {
            b'[' => read_array(reader, skipped, opts, sink),
            b'{' => read_object(path, reader, skipped.line, opts, sink),
            other => Err(FormatError::Invalid(format!(
                "not a JSON array or object (starts with {:?} at line {})",
                char::from(other),
                skipped.line
            ))),
        }
    }
}

/// A NUL byte near the start means a binary file, not JSON.
fn reject_binary(reader: &mut BufReader<File>) -> Result<(), FormatError> {
    let head = reader.fill_buf()?;
    match head.iter().take(BINARY_SNIFF).position(|&b| b == 0) {
        Some(offset) => Err(NotText::Binary { offset }.into()),
        None => Ok(()),
    }
}

/// Consume a BOM and whitespace; the first content byte (not consumed) and where it is.
fn skip_to_content(reader: &mut impl BufRead) -> std::io::Result<Option<(u8, Position)>> {
    let mut pos = Position {
        line: 1,
        ..Position::default()
    };
    if reader.fill_buf()?.starts_with(BOM) {
        reader.consume(BOM.len());
        pos.bytes = BOM.len() as u64;
        pos.line_start = pos.bytes;
    }
    let first = skip_blank(reader, &mut pos, |b| b.is_ascii_whitespace())?;
    Ok(first.map(|b| (b, pos)))
}

/// JSON Lines from `reader`, one record per non-blank line.
fn read_lines(
    mut reader: impl BufRead,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), FormatError> {
    let mut buf = Vec::new();
    let (mut line, mut record) = (0u64, 0u64);
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        line += 1;
        let bytes = match line {
            1 => buf.strip_prefix(BOM).unwrap_or(&buf),
            _ => &buf[..],
        }
        .trim_ascii();
        if bytes.is_empty() {
            continue;
        }
        record += 1;
        let origin = Origin::record(record, line);
        let text = String::from_utf8_lossy(bytes);
        if let Cow::Owned(_) = text {
            sink.warning(
                origin,
                format!("malformed UTF-8 bytes replaced by U+FFFD at line {line}"),
            );
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => deliver(value, origin, opts, sink),
            Err(e) => sink.skipped(origin, format!("invalid JSON: {e}")),
        }
        if sink.full() {
            return Ok(());
        }
    }
}

/// One record to the sink: its conversation, keyed by its id or number, or why it was skipped.
fn deliver(value: Value, origin: Origin, opts: &ReadOptions, sink: &mut dyn Sink) {
    match chat::from_record(value, origin, opts) {
        Ok(mut conv) => {
            if conv.key.is_none() {
                conv.key = origin.record.map(|n| n.to_string());
            }
            sink.conversation(conv);
        }
        Err(reason) => sink.skipped(origin, reason),
    }
}

/// What the array reader has done so far.
struct ArrayState<'a> {
    opts: &'a ReadOptions,
    sink: &'a mut dyn Sink,
    /// Elements seen, complete or not.
    records: u64,
    /// The conversation when the array is a list of turns.
    turns: Option<Conversation>,
}

/// Stream the array that starts at the reader's next byte (its `[`, at `start`).
fn read_array(
    mut reader: BufReader<File>,
    start: Position,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), FormatError> {
    reader.consume(1);
    let mut pos = start;
    pos.advance(b"[");
    let mut elements = Elements::new(reader, pos);
    let mut state = ArrayState {
        opts,
        sink,
        records: 0,
        turns: None,
    };
    let mut bytes = Vec::new();
    let end = loop {
        if state.sink.full() {
            break Ok(None);
        }
        let step = match elements.next(&mut bytes) {
            Ok(step) => step,
            Err(e) => break Err(e),
        };
        match step {
            Step::Element(at) => {
                state.records += 1;
                let text = String::from_utf8_lossy(&bytes);
                if let Cow::Owned(_) = text {
                    state.sink.warning(
                        Origin::record(state.records, at.line),
                        format!(
                            "malformed UTF-8 bytes replaced by U+FFFD in the record at line {}",
                            at.line
                        ),
                    );
                }
                match serde_json::from_str::<Value>(&text) {
                    Ok(value) => state.element(at.line, value),
                    Err(e) => break Ok(Some(Stop::Invalid(at, e, elements.position()))),
                }
            }
            Step::End => break Ok(Some(Stop::End)),
            Step::CutOff => break Ok(Some(Stop::CutOff(elements.position()))),
            Step::Unexpected(b) => break Ok(Some(Stop::Unexpected(b, elements.position()))),
        }
    };
    if let Some(conv) = state.turns.take() {
        state.sink.conversation(conv);
    }
    match end {
        Ok(Some(stop)) => array_end(&mut state, stop, elements),
        Ok(None) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Why the array reading stopped before the sink was full.
enum Stop {
    /// At the closing `]`.
    End,
    /// The file ended inside the array, here.
    CutOff(Position),
    /// An element (starting at the position) that is not JSON; the scan got to the second.
    Invalid(Position, serde_json::Error, Position),
    /// A byte that is neither `,` nor `]` after an element, here.
    Unexpected(u8, Position),
}

/// Report how the array ended: content after it, a cut, or a syntax error (the broken record is
/// skipped with the rest of the file: a scan of strings and nesting cannot resynchronise).
fn array_end(
    state: &mut ArrayState,
    stop: Stop,
    elements: Elements<BufReader<File>>,
) -> Result<(), FormatError> {
    let not_read = |line: u64, column: u64, what: String, from: Position| {
        format!(
            "invalid JSON at line {line} column {column} ({what}); the rest of the file (from \
             byte {}) was not read",
            from.bytes
        )
    };
    match stop {
        Stop::End => trailing_content(elements, state.sink),
        Stop::CutOff(at) => {
            // Inside the record after the last complete one, or before its first byte.
            let (record, complete) = (state.records + 1, state.records);
            state.sink.warning(
                Origin::record(record, at.line),
                format!(
                    "file cut off at byte {} (line {}) inside record {record}; the {complete} \
                     records before it were read",
                    at.bytes, at.line
                ),
            );
            Ok(())
        }
        Stop::Invalid(start, e, from) => {
            let line = start.line + e.line() as u64 - 1;
            let column = match e.line() {
                1 => start.column() + e.column() as u64 - 1,
                _ => e.column() as u64,
            };
            // serde_json's own position counts from the record's first byte.
            let own = format!(" at line {} column {}", e.line(), e.column());
            let what = e.to_string();
            let what = what.strip_suffix(&own).unwrap_or(&what).to_owned();
            let message = not_read(line, column, what, from);
            state
                .sink
                .skipped(Origin::record(state.records, start.line), message);
            Ok(())
        }
        Stop::Unexpected(b, at) => {
            let what = format!("expected `,` or `]`, found {:?}", char::from(b));
            let message = not_read(at.line, at.column(), what, at);
            state
                .sink
                .skipped(Origin::record(state.records + 1, at.line), message);
            Ok(())
        }
    }
}

/// Anything but whitespace after the array's `]` is ignored, with a warning.
fn trailing_content(
    elements: Elements<BufReader<File>>,
    sink: &mut dyn Sink,
) -> Result<(), FormatError> {
    let mut pos = elements.position();
    let mut reader = elements.into_reader();
    if skip_blank(&mut reader, &mut pos, |b| b.is_ascii_whitespace())?.is_some() {
        sink.warning(
            Origin::line(pos.line),
            format!(
                "content after the end of the JSON array ignored (line {} column {})",
                pos.line,
                pos.column()
            ),
        );
    }
    Ok(())
}

impl ArrayState<'_> {
    fn element(&mut self, line: u64, value: Value) {
        let origin = Origin::record(self.records, line);
        if self.records == 1 && chat::is_single_turn(&value, self.opts) {
            self.turns = Some(Conversation {
                origin: Origin::line(line),
                ..Conversation::default()
            });
        }
        let Some(conv) = self.turns.as_mut() else {
            return deliver(value, origin, self.opts, self.sink);
        };
        let turn = match &value {
            Value::Object(obj) => chat::turn_of_object(obj, self.opts, origin),
            _ => None,
        };
        match turn {
            Some(turn) => conv.turns.push(turn),
            None => self
                .sink
                .skipped(origin, "not a turn with a speaker and a text".into()),
        }
    }
}

/// A file whose first byte is `{`: parsed whole.
fn read_object(
    path: &Path,
    mut reader: BufReader<File>,
    line: u64,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), FormatError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    if let Cow::Owned(_) = text {
        sink.warning(
            Origin::line(line),
            "malformed UTF-8 bytes replaced by U+FFFD".into(),
        );
    }
    let mut values = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let first = values.next().transpose();
    let more = values.next();
    match (first, more) {
        (Ok(Some(value)), None) => {
            drop(values);
            read_value(value, line, opts, sink);
            Ok(())
        }
        (Ok(Some(_)), Some(_)) => {
            sink.warning(
                Origin::line(line),
                "several top-level JSON values: read as JSON Lines".into(),
            );
            Jsonl.read(path, opts, sink)
        }
        (Ok(None), _) => Ok(()),
        (Err(e), _) => Err(FormatError::Invalid(format!(
            "invalid JSON at line {} column {}: {e}",
            e.line() as u64 + line - 1,
            e.column()
        ))),
    }
}

/// One whole object: a Telegram full export's chats, or one record.
fn read_value(value: Value, line: u64, opts: &ReadOptions, sink: &mut dyn Sink) {
    let Value::Object(mut map) = value else {
        return;
    };
    let mut chats = Vec::new();
    for section in ["chats", "left_chats"] {
        if let Some(Value::Array(list)) = map.get_mut(section).and_then(|s| s.get_mut("list")) {
            chats.append(list);
        }
    }
    if chats.is_empty() {
        match chat::from_record(Value::Object(map), Origin::line(line), opts) {
            Ok(conv) => sink.conversation(Conversation { key: None, ..conv }),
            Err(reason) => sink.skipped(Origin::line(line), reason),
        }
        return;
    }
    // Positions inside an object parsed whole are not known: chats are located by number only.
    for (i, chat) in chats.into_iter().enumerate() {
        if sink.full() {
            return;
        }
        deliver(chat, Origin::record(i as u64 + 1, 0), opts, sink);
    }
}

/// Read every fixture listed in `tests/fixtures/formats/<dir>/expected.tsv` with the reader
/// chosen for it and check the counts, the speakers and who says the word.
#[cfg(test)]
pub(crate) fn check_fixtures(dir: &str) {
    use std::collections::BTreeSet;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats")
        .join(dir);
    let expected = std::fs::read_to_string(dir.join("expected.tsv")).expect("expected.tsv");
    for row in expected.lines().skip(1).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = row.split('\t').collect();
        assert_eq!(f.len(), 7, "{row}");
        let path = dir.join(f[0]);
        let head = super::head(&path).expect("fixture");
        let reader = super::choose(&path, &head);
        assert_eq!(reader.name(), f[1], "{row}");
        let mut sink = super::Collect::default();
        reader
            .read(&path, &ReadOptions::default(), &mut sink)
            .expect("read");
        let turns: Vec<_> = sink.conversations.iter().flat_map(|c| &c.turns).collect();
        assert_eq!(sink.conversations.len().to_string(), f[2], "{row}");
        assert_eq!(turns.len().to_string(), f[3], "{row}");
        let speakers: BTreeSet<&str> = turns.iter().map(|t| t.speaker.as_str()).collect();
        assert_eq!(
            speakers.into_iter().collect::<Vec<_>>().join(","),
            f[4],
            "{row}"
        );
        let word = f[5].to_lowercase();
        assert!(
            turns
                .iter()
                .any(|t| t.speaker == f[6] && t.text.to_lowercase().contains(&word)),
            "{row}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{read_as, turns_of};
    use crate::formats::{reads, Collect};
    use crate::model::MetaValue;

    fn jsonl(content: &str) -> Collect {
        read_as(
            &Jsonl,
            "a.jsonl",
            content.as_bytes(),
            &ReadOptions::default(),
        )
    }

    fn json(content: &[u8]) -> Collect {
        read_as(&Json, "a.json", content, &ReadOptions::default())
    }

    reads!(
        jsonl_reads_each_line,
        Jsonl,
        "chat.jsonl",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}\n\n\
         {\"conversations\":[{\"from\":\"gpt\",\"value\":\"你好\"}]}\n",
        [("user", "hi"), ("gpt", "你好")]
    );

    #[test]
    fn jsonl_bad_lines_are_skipped_with_their_line() {
        let c = jsonl(
            "\u{FEFF}{\"id\":\"x\",\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]}\n\
             {\"messages\": [\n\
             \n\
             {\"instruction\":\"no turns\"}\r\n\
             {\"messages\":[{\"role\":\"b\",\"content\":\"2\"}]}",
        );
        assert_eq!(
            turns_of(&c),
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(c.conversations[0].key.as_deref(), Some("x"));
        assert_eq!(c.conversations[1].key.as_deref(), Some("4"));
        assert_eq!(c.conversations[1].origin, Origin::record(4, 5));
        assert_eq!(c.conversations[1].turns[0].origin, Origin::record(4, 5));
        let at: Vec<Origin> = c.skipped.iter().map(|(o, _)| *o).collect();
        assert_eq!(at, [Origin::record(2, 2), Origin::record(3, 4)]);
        assert!(c.skipped[0].1.contains("invalid JSON"));
    }

    #[test]
    fn jsonl_invalid_utf8_is_replaced_with_a_warning() {
        let c = read_as(
            &Jsonl,
            "a.jsonl",
            b"{\"messages\":[{\"role\":\"a\",\"content\":\"ok\"}]}\n{\"messages\":[{\"role\":\"a\",\"content\":\"b\xFFd\"}]}\n",
            &ReadOptions::default(),
        );
        assert_eq!(c.conversations.len(), 2);
        assert_eq!(c.conversations[1].turns[0].text, "b\u{FFFD}d");
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].0, Origin::record(2, 2));
        assert!(c.warnings[0].1.contains("line 2"));
    }

    #[test]
    fn readers_stop_when_the_sink_is_full() {
        let record = "{\"messages\":[{\"role\":\"a\",\"content\":\"x\"}]}";
        let dir = tempfile::tempdir().expect("tempdir");
        let lines = dir.path().join("a.jsonl");
        std::fs::write(&lines, [record; 5].join("\n")).expect("write");
        let array = dir.path().join("a.json");
        std::fs::write(&array, format!("[{}]", [record; 5].join(","))).expect("write");
        for (reader, path) in [(&Jsonl as &dyn Reader, &lines), (&Json, &array)] {
            let mut sink = crate::formats::testing::FullAfter(Collect::default(), 2);
            reader
                .read(path, &ReadOptions::default(), &mut sink)
                .expect("read");
            assert_eq!(sink.0.conversations.len(), 2, "{}", reader.name());
            assert!(sink.0.warnings.is_empty() && sink.0.skipped.is_empty());
        }
    }

    #[test]
    fn json_array_records_know_their_lines() {
        let c = json(
            b"\xEF\xBB\xBF\n[\n  {\"id\": 5, \"messages\": [{\"role\": \"a\", \"content\": \"1\"}]},\n  3,\n  {\n    \"messages\": [{\"role\": \"b\", \"content\": \"2\"}]}\n]\n",
        );
        assert_eq!(
            turns_of(&c),
            [("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(c.conversations[0].origin, Origin::record(1, 3));
        assert_eq!(c.conversations[0].key.as_deref(), Some("5"));
        assert_eq!(c.conversations[1].origin, Origin::record(3, 5));
        assert_eq!(c.conversations[1].key.as_deref(), Some("3"));
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].0, Origin::record(2, 4));
        assert!(c.skipped[0].1.contains("a number"), "{}", c.skipped[0].1);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn json_array_cut_off_mid_record_keeps_the_complete_ones() {
        let text = "[{\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]},\n{\"messages\":[{\"role\":\"b\",\"content\":\"2\"}]},\n{\"messages\":[{\"role\":\"c\",\"con";
        let c = json(text.as_bytes());
        assert_eq!(c.conversations.len(), 2);
        assert!(c.skipped.is_empty());
        assert_eq!(c.warnings.len(), 1);
        let (at, message) = &c.warnings[0];
        assert_eq!(*at, Origin::record(3, 3));
        assert!(
            message.contains(&format!("byte {}", text.len())),
            "{message}"
        );
        assert!(
            message.contains("line 3") && message.contains("record 3"),
            "{message}"
        );
        // Cut between records, and right after the opening bracket.
        assert_eq!(
            json(b"[{\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]},")
                .conversations
                .len(),
            1
        );
        assert_eq!(json(b"[").warnings.len(), 1);
    }

    #[test]
    fn json_syntax_error_skips_the_record_and_the_rest() {
        let c =
            json(b"[{\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]},\n{\"messages\" 1},\n{}]");
        assert_eq!(c.conversations.len(), 1);
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].0, Origin::record(2, 2));
        assert!(c.skipped[0].1.contains("not read"));
    }

    #[test]
    fn json_array_invalid_utf8_is_replaced_and_the_rest_is_read() {
        let c = json(b"[{\"messages\":[{\"role\":\"a\",\"content\":\"caf\xE9\"}]},\n{\"messages\":[{\"role\":\"b\",\"content\":\"2\"}]}]");
        assert_eq!(
            turns_of(&c),
            [("a".into(), "caf\u{FFFD}".into()), ("b".into(), "2".into())]
        );
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].0, Origin::record(1, 1));
        assert!(c.warnings[0].1.contains("U+FFFD"), "{}", c.warnings[0].1);
    }

    #[test]
    fn json_syntax_errors_name_the_file_position() {
        let c = json(
            b"[{\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]},\n  {\"messages\" 1},\n{}]",
        );
        assert_eq!(c.skipped[0].0, Origin::record(2, 2));
        assert!(
            c.skipped[0].1.starts_with(
                "invalid JSON at line 2 column 15 (expected `:`); the rest of the file"
            ),
            "{}",
            c.skipped[0].1
        );
        let c = json(b"[{\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]}\n {}]");
        assert_eq!(c.conversations.len(), 1);
        assert_eq!(c.skipped[0].0, Origin::record(2, 2));
        assert!(
            c.skipped[0]
                .1
                .contains("line 2 column 2 (expected `,` or `]`"),
            "{}",
            c.skipped[0].1
        );
        let c = json(b"[{\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]}]\n\n x");
        assert_eq!(c.conversations.len(), 1);
        assert_eq!(c.warnings[0].0, Origin::line(3));
        assert!(
            c.warnings[0].1.contains("ignored (line 3 column 2)"),
            "{}",
            c.warnings[0].1
        );
    }

    #[test]
    fn json_array_of_turns_is_one_conversation() {
        let c = json(b"[\n{\"role\":\"user\",\"content\":\"hi\"},\n7,\n{\"role\":\"bot\",\"content\":\"yo\"}\n]");
        assert_eq!(c.conversations.len(), 1);
        assert_eq!(c.conversations[0].key, None);
        assert_eq!(
            turns_of(&c),
            [("user".into(), "hi".into()), ("bot".into(), "yo".into())]
        );
        assert_eq!(c.conversations[0].turns[1].origin, Origin::record(3, 4));
        assert_eq!(c.skipped.len(), 1);
    }

    #[test]
    fn json_single_object_is_one_conversation_without_key() {
        let c =
            json(b"\n{\"id\": \"x\", \"messages\": [\n{\"role\": \"a\", \"content\": \"1\"}]}\n");
        assert_eq!(c.conversations.len(), 1);
        assert_eq!(c.conversations[0].key, None);
        assert_eq!(
            c.conversations[0].metadata["id"],
            MetaValue::Str("x".into())
        );
        assert_eq!(c.conversations[0].origin, Origin::line(2));
        let c = json(b"{\"nothing\": 1}");
        assert_eq!(c.skipped.len(), 1);
    }

    #[test]
    fn json_telegram_full_export_gives_one_conversation_per_chat() {
        let c = json(
            br#"{"about": "x", "chats": {"about": "y", "list": [
                {"name": "A", "type": "personal_chat", "id": 1, "messages": [
                    {"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "from": "A", "text": "hi"}]},
                {"name": "B", "type": "personal_chat", "id": 2, "messages": []}]},
               "left_chats": {"list": [
                {"name": "C", "type": "private_group", "id": 3, "messages": [
                    {"id": 1, "type": "message", "date": "2024-01-01T00:00:00", "from": "C", "text": "yo"}]}]}}"#,
        );
        let keys: Vec<_> = c.conversations.iter().map(|c| c.key.clone()).collect();
        assert_eq!(keys, [Some("1".into()), Some("3".into())]);
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].0, Origin::record(2, 0));
    }

    #[test]
    fn json_several_objects_are_read_as_lines() {
        let c = json(b"{\"messages\":[{\"role\":\"a\",\"content\":\"1\"}]}\n{\"messages\":[{\"role\":\"b\",\"content\":\"2\"}]}\n");
        assert_eq!(c.conversations.len(), 2);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn json_bad_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (bytes, ok) in [
            (&b"{\"a\": "[..], false),
            (b"hello", false),
            (b"\x00\x01[", false),
            (b"  \n ", true),
        ] {
            let path = dir.path().join("x.json");
            std::fs::write(&path, bytes).expect("write");
            let result = Json.read(&path, &ReadOptions::default(), &mut Collect::default());
            assert_eq!(result.is_ok(), ok, "{bytes:?}");
        }
    }

    #[test]
    fn sniffing() {
        assert_eq!(Jsonl.sniff(b"\n{\"a\": 1}\n{\"a\""), 3);
        assert_eq!(Jsonl.sniff(b"{\n  \"a\": 1\n}"), 0);
        assert_eq!(Jsonl.sniff(b"{\"a\": \"very long"), 1);
        assert_eq!(Jsonl.sniff(b"[A]: hi"), 0);
        assert_eq!(Json.sniff(b"\xEF\xBB\xBF [\n {\"a\""), 3);
        assert_eq!(Json.sniff(b"[A]: hi"), 0);
        assert_eq!(Json.sniff(b"{\n  \"a\": 1\n}"), 2);
        assert_eq!(Json.sniff(b"{\"a\": 1}\n"), 1);
        assert_eq!(Json.sniff(b"hello"), 0);
    }

    #[test]
    fn fixtures_read_as_expected() {
        check_fixtures("json");
    }

    #[test]
    fn fixture_details() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats/json");
        let read = |name: &str| {
            let mut sink = Collect::default();
            let path = dir.join(name);
            let reader = crate::formats::choose(&path, &crate::formats::head(&path).expect("head"));
            reader
                .read(&path, &ReadOptions::default(), &mut sink)
                .expect("read");
            sink
        };
        // The edited-away branch of the ChatGPT export is not read.
        let chatgpt = read("conversations.json");
        assert!(!turns_of(&chatgpt)
            .iter()
            .any(|(_, t)| t.contains("lakeside")));
        assert_eq!(
            chatgpt.conversations[0].title.as_deref(),
            Some("周末 hiking 计划")
        );
        let chat = read("chat.jsonl");
        assert_eq!(chat.skipped.len(), 1);
        assert_eq!(chat.skipped[0].0, Origin::record(4, 4));
        assert_eq!(
            chat.conversations[0].metadata["meta.source"],
            MetaValue::Str("support".into())
        );
        let truncated = read("truncated.json");
        assert_eq!(truncated.warnings.len(), 1, "{:?}", truncated.warnings);
        assert!(truncated.warnings[0].1.contains("cut off"));
        let telegram = read("result.json");
        assert_eq!(telegram.conversations[0].key, None);
        assert_eq!(
            telegram.conversations[0].title.as_deref(),
            Some("项目群 Project")
        );
        let damaged = read("damaged.jsonl");
        assert!(turns_of(&damaged).iter().any(|(_, t)| t.contains("æˆ‘")));
        assert!(damaged.skipped.is_empty() && damaged.warnings.is_empty());
    }

    /// Reads `bytes` with both readers; errors are fine, panics are not.
    fn read_both(bytes: &[u8]) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (reader, name) in [(&Jsonl as &dyn Reader, "a.jsonl"), (&Json, "a.json")] {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("write");
            let _ = reader.read(&path, &ReadOptions::default(), &mut Collect::default());
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            read_both(&bytes);
        }

        #[test]
        fn json_like_bytes_never_panic(text in "[\\[\\]{}\",:a-z0-9 \n]{0,200}") {
            read_both(text.as_bytes());
            read_both(format!("[{{\"messages\":[{{\"role\":\"a\",\"content\":\"x\"}}]}},{text}").as_bytes());
        }
    }
}
