//! CSV and TSV tables with a header row, one turn per row (readers `csv` and `tsv`).
//!
//! - The first row names the columns. Columns are recognised by name, compared case-insensitively
//!   and ignoring spaces, `_` and `-`; in each list the first name the header has wins:
//!   conversation `conversation_id conversation conv_id conv dialogue_id dialog_id dialogue
//!   thread_id thread session_id session chat_id ticket_id ticket case_id episode`; speaker
//!   `speaker role author from sender user name participant agent`; text `text content message
//!   utterance body value transcript sentence`; order `turn turn_id turn_index order index seq
//!   sequence position line`; time `timestamp time date datetime created_at sent_at`.
//!   `--columns conv=…,speaker=…,text=…,order=…,time=…` names columns exactly (surrounding spaces
//!   aside) instead. No text column, or an override naming a column the header lacks, is an
//!   error that lists the header.
//! - `csv` splits on `,` (on `;` when the header line has more `;` than `,`, as spreadsheets in
//!   comma-decimal locales save), `tsv` on tabs. Quoted cells may span lines and write `"` as `""`.
//!   Sniffed (for files without these extensions) when the first line has at least 2 delimiters
//!   and names a text column.
//! - Consecutive rows with the same conversation value are one conversation, keyed by that value,
//!   and handed on as soon as the value changes. An empty value continues the conversation above
//!   (a spreadsheet's merged cells). A value that comes back after another one is read as a new
//!   conversation with the same key (warned once, with its line). Without a conversation column
//!   the whole file is one conversation, which is necessarily held in memory to its end.
//! - With an order column, the turns of a conversation are sorted by it: as numbers when every
//!   value is a number, else as text; stable, empty cells last.
//! - A time cell is read by `model::parse_timestamp`, or as a number of unix seconds
//!   (milliseconds from 10^11 on); a value that is neither stays in the turn's metadata (warned
//!   once).
//! - Every other column is turn metadata under its header name: `true`/`false` → Bool, an integer
//!   or decimal that prints back as the same text → Int/Float (so `007` and `19.90` stay text),
//!   anything else text; empty cells are left out.
//! - A row with an empty text cell, or with a field count other than the header's, is skipped
//!   with its line. Turns point at `file#row:line`, rows numbered from 1 after the header, the
//!   line being where the row starts. Cell text keeps its content; `\r\n` inside a quoted cell
//!   becomes `\n` and trailing whitespace is dropped.
//! - UTF-8 (a BOM is dropped) streams row by row; bytes in it that are not UTF-8 are replaced by
//!   U+FFFD and reported with their line. A file whose first 64 KiB are not UTF-8 (UTF-16 as
//!   Excel's "Unicode text" saves it, a legacy code page) is decoded whole first, so held in
//!   memory.

use std::borrow::Cow;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::{Cursor, Read};
use std::path::Path;

use ::csv::ByteRecord;

use super::{head_text, read_text, FormatError, ReadOptions, Reader, Sink, HEAD_BYTES};
use crate::model::{parse_timestamp, Conversation, MetaValue, Metadata, Origin, Timestamp, Turn};

/// Comma-separated values (or semicolon-separated, decided by the header line).
pub struct Csv;

/// Tab-separated values.
pub struct Tsv;

impl Reader for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["csv"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        sniff_header(&head_text(head), Kind::Csv)
    }
    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        sink: &mut dyn Sink,
    ) -> Result<(), FormatError> {
        read_table(path, Kind::Csv, opts, sink)
    }
}

impl Reader for Tsv {
    fn name(&self) -> &'static str {
        "tsv"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["tsv", "tab"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        sniff_header(&head_text(head), Kind::Tsv)
    }
    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        sink: &mut dyn Sink,
    ) -> Result<(), FormatError> {
        read_table(path, Kind::Tsv, opts, sink)
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Csv,
    Tsv,
}

impl Kind {
    fn delimiter(self, header_line: &str) -> u8 {
        match self {
            Kind::Tsv => b'\t',
            Kind::Csv if header_line.matches(';').count() > header_line.matches(',').count() => {
                b';'
            }
            Kind::Csv => b',',
        }
    }
}

const CONV_NAMES: &[&str] = &[
    "conversation_id",
    "conversation",
    "conv_id",
    "conv",
    "dialogue_id",
    "dialog_id",
    "dialogue",
    "thread_id",
    "thread",
    "session_id",
    "session",
    "chat_id",
    "ticket_id",
    "ticket",
    "case_id",
    "episode",
];
const SPEAKER_NAMES: &[&str] = &[
    "speaker",
    "role",
    "author",
    "from",
    "sender",
    "user",
    "name",
    "participant",
    "agent",
];
const TEXT_NAMES: &[&str] = &[
    "text",
    "content",
    "message",
    "utterance",
    "body",
    "value",
    "transcript",
    "sentence",
];
const ORDER_NAMES: &[&str] = &[
    "turn",
    "turn_id",
    "turn_index",
    "order",
    "index",
    "seq",
    "sequence",
    "position",
    "line",
];
const TIME_NAMES: &[&str] = &[
    "timestamp",
    "time",
    "date",
    "datetime",
    "created_at",
    "sent_at",
];

/// The roles a column can play, in `--columns` spelling, with the names that recognise them.
const ROLES: [(&str, &[&str]); 5] = [
    ("conv", CONV_NAMES),
    ("speaker", SPEAKER_NAMES),
    ("text", TEXT_NAMES),
    ("order", ORDER_NAMES),
    ("time", TIME_NAMES),
];
const CONV: usize = 0;
const SPEAKER: usize = 1;
const TEXT: usize = 2;
const ORDER: usize = 3;
const TIME: usize = 4;

/// How a header name is compared: `Conversation ID`, `conversation_id` and `conversation-id` match.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-') && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn recognised(name: &str, names: &[&str]) -> bool {
    let name = normalize(name);
    names.iter().any(|n| normalize(n) == name)
}

/// 3 when the first line is a header naming a text and a speaker or conversation column, 2 when
/// it names a text column only, else 0.
fn sniff_header(head: &str, kind: Kind) -> u8 {
    let line = head.lines().next().unwrap_or("");
    let delimiter = char::from(kind.delimiter(line));
    if line.matches(delimiter).count() < 2 {
        return 0;
    }
    let names: Vec<&str> = line
        .split(delimiter)
        .map(|n| n.trim().trim_matches('"'))
        .collect();
    let has = |list: &[&str]| names.iter().any(|n| recognised(n, list));
    match (has(TEXT_NAMES), has(SPEAKER_NAMES) || has(CONV_NAMES)) {
        (false, _) => 0,
        (true, false) => 2,
        (true, true) => 3,
    }
}

/// Which column plays which role, and the metadata name of every column.
#[derive(Debug)]
struct Columns {
    roles: [Option<usize>; 5],
    text: usize,
    names: Vec<String>,
}

impl Columns {
    fn find(header: &[String], overrides: &[(String, String)]) -> Result<Columns, FormatError> {
        let mut roles: [Option<usize>; 5] = [None; 5];
        for (role, name) in overrides {
            let r = ROLES
                .iter()
                .position(|(n, _)| n == role || (role == "conversation" && *n == "conv"))
                .ok_or_else(|| {
                    FormatError::Invalid(format!(
                        "--columns {role}={name}: unknown role {role:?}; roles are conv, speaker, text, order, time"
                    ))
                })?;
            let column = header.iter().position(|h| h == name || h.trim() == name);
            roles[r] = Some(column.ok_or_else(|| {
                FormatError::Invalid(format!(
                    "--columns {role}={name}: no column {name:?} in the header ({})",
                    header.join(", ")
                ))
            })?);
        }
        for (r, (_, names)) in ROLES.iter().enumerate() {
            if roles[r].is_none() {
                roles[r] = names.iter().find_map(|n| {
                    (0..header.len()).find(|&i| {
                        !roles.contains(&Some(i)) && normalize(&header[i]) == normalize(n)
                    })
                });
            }
        }
        let text = roles[TEXT].ok_or_else(|| {
            FormatError::Invalid(format!(
                "no text column in the header ({}); looked for {}; name it with --columns text=NAME",
                header.join(", "),
                TEXT_NAMES.join(", ")
            ))
        })?;
        Ok(Columns {
            roles,
            text,
            names: metadata_names(header),
        })
    }

    fn get(&self, role: usize) -> Option<usize> {
        self.roles.get(role).copied().flatten()
    }

    fn has_role(&self, column: usize) -> bool {
        self.roles.contains(&Some(column))
    }
}

/// Header names as metadata keys: trimmed, `columnN` when blank, `name_2` for a repeated name so
/// no cell overwrites another.
fn metadata_names(header: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        let base = match h.trim() {
            "" => format!("column{}", i + 1),
            t => t.to_owned(),
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        names.push(name);
    }
    names
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn read_table(
    path: &Path,
    kind: Kind,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), FormatError> {
    let mut file = std::fs::File::open(path)?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut file).take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    if !streams_as_utf8(&head) {
        drop(file);
        let decoded = read_text(path, sink)?;
        let delimiter = kind.delimiter(decoded.text.lines().next().unwrap_or(""));
        return read_rows(decoded.text.as_bytes(), delimiter, opts, sink);
    }
    let bom = if head.starts_with(UTF8_BOM) { 3 } else { 0 };
    let first_line = head
        .get(bom..)
        .unwrap_or_default()
        .split(|&b| b == b'\n')
        .next()
        .unwrap_or_default();
    let delimiter = kind.delimiter(&String::from_utf8_lossy(first_line));
    let mut start = Cursor::new(head);
    start.set_position(bom as u64);
    read_rows(start.chain(file), delimiter, opts, sink)
}

/// Whether a file whose first bytes are `head` can be read as UTF-8 as it streams: no UTF-16 BOM,
/// no NUL (UTF-16 without BOM, or binary, which `decode` tells apart), and valid UTF-8 up to a
/// sequence cut by the end of the head.
fn streams_as_utf8(head: &[u8]) -> bool {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return false;
    }
    let body = head.strip_prefix(UTF8_BOM).unwrap_or(head);
    if body.iter().take(8192).any(|&b| b == 0) {
        return false;
    }
    match std::str::from_utf8(body) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

fn read_rows<R: Read>(
    input: R,
    delimiter: u8,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> Result<(), FormatError> {
    let mut rows = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(Quotes {
            inner: input,
            count: 0,
        });
    let mut record = ByteRecord::new();
    if !next_record(&mut rows, &mut record)? {
        sink.warning(Origin::line(1), "empty file: no header row".into());
        return Ok(());
    }
    let header: Vec<String> = record
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let mut table = Table::new(Columns::find(&header, &opts.columns)?);
    let mut last = (0, 0);
    while next_record(&mut rows, &mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        let spans = rows.position().line().saturating_sub(line);
        if !table.row(&record, spans, sink) {
            return Ok(());
        }
        last = (line, spans);
    }
    if rows.get_ref().count % 2 == 1 && last.1 > 1 {
        // The csv crate ends a quoted cell left open at the end of the file without a word.
        sink.warning(
            Origin::line(last.0),
            format!(
                "the row at line {} runs to the end of the file over {} lines: an unclosed quote?",
                last.0, last.1
            ),
        );
    }
    table.finish(sink);
    Ok(())
}

/// Counts the `"` bytes read, to tell a quote left open at the end of the file.
struct Quotes<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Quotes<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or_default();
        self.count += read.iter().filter(|&&b| b == b'"').count() as u64;
        Ok(n)
    }
}

fn next_record<R: Read>(
    rows: &mut ::csv::Reader<Quotes<R>>,
    record: &mut ByteRecord,
) -> Result<bool, FormatError> {
    rows.read_byte_record(record)
        .map_err(|e| match e.into_kind() {
            ::csv::ErrorKind::Io(io) => FormatError::Io(io),
            other => FormatError::Invalid(format!("{other:?}")),
        })
}

/// Rows of the conversation being read.
struct Group {
    key: Option<String>,
    origin: Origin,
    /// Each turn with its order cell.
    rows: Vec<(String, Turn)>,
}

/// The reading state of one table.
struct Table {
    cols: Columns,
    group: Option<Group>,
    /// Hashes of the keys already handed on (a collision only costs a warning).
    seen: HashSet<u64>,
    warned_unsorted: bool,
    warned_time: bool,
    lossy_rows: u64,
}

impl Table {
    fn new(cols: Columns) -> Self {
        Table {
            cols,
            group: None,
            seen: HashSet::new(),
            warned_unsorted: false,
            warned_time: false,
            lossy_rows: 0,
        }
    }

    /// Read one data row spanning `spans` lines; false when the sink wants nothing more.
    fn row(&mut self, record: &ByteRecord, spans: u64, sink: &mut dyn Sink) -> bool {
        let (number, line) = record.position().map_or((0, 0), |p| (p.record(), p.line()));
        let origin = Origin::record(number, line);
        if record.len() != self.cols.names.len() {
            let hint = if spans > 1 {
                format!(" (the row runs over {spans} lines: an unclosed quote?)")
            } else {
                String::new()
            };
            let reason = format!(
                "{} fields where the header has {}{hint}",
                record.len(),
                self.cols.names.len()
            );
            sink.skipped(origin, reason);
            return true;
        }
        let cells = self.decode_cells(record, line, sink);
        if cell(&cells, Some(self.cols.text)).trim().is_empty() {
            sink.skipped(origin, "empty text".into());
            return true;
        }
        let key = self.key_of(&cells, number);
        if self.group.as_ref().is_none_or(|g| g.key != key) && !self.start(key, origin, sink) {
            return false;
        }
        let order = cell(&cells, self.cols.get(ORDER)).trim().to_owned();
        let turn = self.turn(&cells, origin, sink);
        if let Some(group) = self.group.as_mut() {
            group.rows.push((order, turn));
        }
        true
    }

    /// The cells as text; bytes that are not UTF-8 are replaced and reported.
    fn decode_cells<'r>(
        &mut self,
        record: &'r ByteRecord,
        line: u64,
        sink: &mut dyn Sink,
    ) -> Vec<Cow<'r, str>> {
        let cells: Vec<Cow<str>> = record.iter().map(String::from_utf8_lossy).collect();
        if cells.iter().any(|c| matches!(c, Cow::Owned(_))) {
            if self.lossy_rows == 0 {
                sink.warning(
                    Origin::line(line),
                    format!("malformed UTF-8 bytes replaced by U+FFFD at line {line}"),
                );
            }
            self.lossy_rows += 1;
        }
        cells
    }

    /// The conversation a row belongs to; an empty cell continues the one above.
    fn key_of(&self, cells: &[Cow<str>], number: u64) -> Option<String> {
        let conv = self.cols.get(CONV)?;
        match cell(cells, Some(conv)).trim() {
            "" => Some(match &self.group {
                Some(g) => g.key.clone().unwrap_or_default(),
                None => number.to_string(),
            }),
            key => Some(key.to_owned()),
        }
    }

    /// Hand on the conversation read so far and start the one keyed `key`; false when the sink
    /// is full.
    fn start(&mut self, key: Option<String>, origin: Origin, sink: &mut dyn Sink) -> bool {
        if let Some(group) = self.group.take() {
            self.emit(group, sink);
            if sink.full() {
                return false;
            }
        }
        if let Some(k) = &key {
            let mut hasher = DefaultHasher::new();
            k.hash(&mut hasher);
            if !self.seen.insert(hasher.finish()) && !self.warned_unsorted {
                self.warned_unsorted = true;
                sink.warning(
                    origin,
                    format!(
                        "conversation {k:?} comes back at line {}: rows are not sorted by conversation, \
                         so it is read as another conversation with the same key (further returns not reported)",
                        origin.line
                    ),
                );
            }
        }
        self.group = Some(Group {
            key,
            origin,
            rows: Vec::new(),
        });
        true
    }

    fn turn(&mut self, cells: &[Cow<str>], origin: Origin, sink: &mut dyn Sink) -> Turn {
        let mut metadata = Metadata::new();
        let mut time = None;
        if let Some(i) = self.cols.get(TIME) {
            let value = cell(cells, Some(i)).trim();
            time = parse_time(value);
            if time.is_none() && !value.is_empty() {
                self.warn_time(value, origin, sink);
                let name = self.cols.names.get(i).cloned().unwrap_or_default();
                metadata.insert(name, meta_value(value));
            }
        }
        for (i, (c, name)) in cells.iter().zip(&self.cols.names).enumerate() {
            let value = c.trim();
            if !self.cols.has_role(i) && !value.is_empty() {
                metadata.insert(name.clone(), meta_value(value));
            }
        }
        let text = cell(cells, Some(self.cols.text)).replace("\r\n", "\n");
        Turn {
            speaker: cell(cells, self.cols.get(SPEAKER)).trim().to_owned(),
            text: text.trim_end().to_owned(),
            time,
            metadata,
            origin,
        }
    }

    fn warn_time(&mut self, value: &str, origin: Origin, sink: &mut dyn Sink) {
        if !self.warned_time {
            self.warned_time = true;
            sink.warning(
                origin,
                format!(
                    "time {value:?} at line {} is not a timestamp; kept as metadata (further ones not reported)",
                    origin.line
                ),
            );
        }
    }

    fn emit(&self, group: Group, sink: &mut dyn Sink) {
        let mut rows = group.rows;
        if self.cols.get(ORDER).is_some() {
            sort_rows(&mut rows);
        }
        let turns: Vec<Turn> = rows.into_iter().map(|(_, t)| t).collect();
        let time = turns
            .iter()
            .filter_map(|t| match t.time {
                Some(Timestamp::At(ms)) => Some(ms),
                _ => None,
            })
            .min()
            .map(Timestamp::At);
        sink.conversation(Conversation {
            key: group.key,
            time,
            turns,
            origin: group.origin,
            ..Conversation::default()
        });
    }

    fn finish(mut self, sink: &mut dyn Sink) {
        if let Some(group) = self.group.take() {
            self.emit(group, sink);
        }
        if self.lossy_rows > 1 {
            sink.warning(
                Origin::line(0),
                format!(
                    "malformed UTF-8 bytes replaced by U+FFFD in {} more rows",
                    self.lossy_rows - 1
                ),
            );
        }
    }
}

fn cell<'c>(cells: &'c [Cow<str>], column: Option<usize>) -> &'c str {
    column.and_then(|i| cells.get(i)).map_or("", |c| c)
}

/// A time cell: a timestamp `parse_timestamp` reads, or unix seconds (milliseconds from 10^11,
/// which as seconds would be past the year 5000).
fn parse_time(value: &str) -> Option<Timestamp> {
    parse_timestamp(value).or_else(|| {
        let n: f64 = value.parse().ok()?;
        Timestamp::from_unix_seconds(if n.abs() >= 1e11 { n / 1000.0 } else { n })
    })
}

/// A metadata cell's value: only a number that prints back as the same text becomes a number, so
/// no cell loses its spelling (`007`, `19.90`, `1e3` stay text).
fn meta_value(value: &str) -> MetaValue {
    if value.eq_ignore_ascii_case("true") {
        return MetaValue::Bool(true);
    }
    if value.eq_ignore_ascii_case("false") {
        return MetaValue::Bool(false);
    }
    if let Ok(n) = value.parse::<i64>() {
        if n.to_string() == value {
            return MetaValue::Int(n);
        }
    }
    if let Ok(x) = value.parse::<f64>() {
        if x.is_finite() && x.to_string() == value {
            return MetaValue::Float(x);
        }
    }
    MetaValue::Str(value.to_owned())
}

/// Sort a conversation's rows by their order cells: numerically when every non-empty cell is a
/// number, else as text; stable, empty cells last.
fn sort_rows(rows: &mut [(String, Turn)]) {
    let number = |o: &str| o.parse::<f64>().ok().filter(|x| x.is_finite());
    let numeric = rows
        .iter()
        .all(|(o, _)| o.is_empty() || number(o).is_some());
    rows.sort_by_cached_key(|(o, _)| {
        let value = if numeric {
            OrderKey::Number(total_order(number(o).unwrap_or(0.0)))
        } else {
            OrderKey::Text(o.clone())
        };
        (o.is_empty(), value)
    });
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum OrderKey {
    Number(i64),
    Text(String),
}

/// An `f64` as an integer of the same order.
fn total_order(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{read_as, turns_of};
    use crate::formats::{reads, Collect};

    fn read(content: &str) -> Collect {
        read_as(&Csv, "t.csv", content.as_bytes(), &ReadOptions::default())
    }

    fn with_columns(content: &str, columns: &[(&str, &str)]) -> Result<Collect, FormatError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, content).expect("write");
        let opts = ReadOptions {
            columns: columns
                .iter()
                .map(|(r, n)| (r.to_string(), n.to_string()))
                .collect(),
            ..ReadOptions::default()
        };
        let mut sink = Collect::default();
        Csv.read(&path, &opts, &mut sink).map(|()| sink)
    }

    fn error(result: Result<Collect, FormatError>) -> String {
        match result {
            Err(FormatError::Invalid(message)) => message,
            other => panic!("expected an Invalid error, got {other:?}"),
        }
    }

    fn keys(c: &Collect) -> Vec<Option<String>> {
        c.conversations.iter().map(|c| c.key.clone()).collect()
    }

    reads!(
        quoted_cells_span_lines_and_escape_quotes,
        Csv,
        "t.csv",
        "speaker,text,lang\nAlice,\"line one\nline two\",en\nBob,\"she said \"\"你好\"\", ok\",zh\n",
        [
            ("Alice", "line one\nline two"),
            ("Bob", "she said \"你好\", ok")
        ]
    );

    reads!(
        tabs_split_tsv,
        Tsv,
        "t.tsv",
        "role\tcontent\tx\nuser\thello, world\t1\nassistant\t好的\t2\n",
        [("user", "hello, world"), ("assistant", "好的")]
    );

    reads!(
        semicolons_split_csv_when_the_header_has_more_of_them,
        Csv,
        "t.csv",
        "Speaker;Message;Price\nA;hi, there;1,5\nB;yo;2\n",
        [("A", "hi, there"), ("B", "yo")]
    );

    reads!(
        crlf_files_and_blank_lines,
        Csv,
        "t.csv",
        "speaker,text,n\r\nA,\"one\r\ntwo\",1\r\n\r\nB,three  ,2\r\n",
        [("A", "one\ntwo"), ("B", "three")]
    );

    #[test]
    fn header_names_match_loosely() {
        let header: Vec<String> = [
            "Conversation ID",
            "Turn-Index",
            "AUTHOR",
            "Message",
            "Sent_At",
        ]
        .map(String::from)
        .to_vec();
        let cols = Columns::find(&header, &[]).expect("columns");
        assert_eq!(cols.roles, [Some(0), Some(2), Some(3), Some(1), Some(4)]);
    }

    #[test]
    fn earlier_names_in_a_list_win() {
        let header: Vec<String> = ["name", "user", "text", "value"].map(String::from).to_vec();
        let cols = Columns::find(&header, &[]).expect("columns");
        assert_eq!(cols.get(SPEAKER), Some(1));
        assert_eq!(cols.text, 2);
    }

    #[test]
    fn overrides_pick_columns_by_exact_name() {
        let csv = "who,said,text,sid\nA,hello,ignored,s1\nB,world,ignored,s1\nC,next,x,s2\n";
        let c = with_columns(
            csv,
            &[("speaker", "who"), ("text", "said"), ("conv", "sid")],
        )
        .expect("read");
        assert_eq!(
            turns_of(&c),
            [("A", "hello"), ("B", "world"), ("C", "next")].map(|(a, b)| (a.into(), b.into()))
        );
        assert_eq!(keys(&c), [Some("s1".into()), Some("s2".into())]);
        // The recognised `text` column is no longer the text, so it is metadata.
        assert_eq!(
            c.conversations[0].turns[0].metadata["text"],
            MetaValue::Str("ignored".into())
        );
    }

    #[test]
    fn an_override_naming_a_missing_column_lists_the_header() {
        let message = error(with_columns("who,text\nA,hi\n", &[("speaker", "Who")]));
        assert!(message.contains("\"Who\""), "{message}");
        assert!(message.contains("(who, text)"), "{message}");
        let message = error(with_columns("who,text\nA,hi\n", &[("voice", "who")]));
        assert!(message.contains("unknown role"), "{message}");
    }

    #[test]
    fn no_text_column_lists_the_header_and_the_names_looked_for() {
        let message = error(with_columns("a,b,c\n1,2,3\n", &[]));
        assert!(message.contains("(a, b, c)"), "{message}");
        assert!(message.contains("utterance"), "{message}");
        assert!(message.contains("--columns text="), "{message}");
    }

    #[test]
    fn consecutive_rows_group_by_key_and_a_returning_key_warns_once() {
        let c = read("thread,speaker,text\nt1,A,a1\nt1,B,b1\nt2,A,a2\nt1,C,c1\nt2,D,d2\nt3,E,e3\n");
        assert_eq!(
            keys(&c),
            ["t1", "t2", "t1", "t2", "t3"].map(|k| Some(k.to_string()))
        );
        assert_eq!(c.conversations[0].turns.len(), 2);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert_eq!(c.warnings[0].0.line, 5);
        assert!(c.warnings[0].1.contains("\"t1\" comes back at line 5"));
        assert_eq!(c.conversations[2].origin, Origin::record(4, 5));
    }

    #[test]
    fn an_empty_key_continues_the_conversation_above() {
        let c = read("session,speaker,text\n,Z,first\ns1,A,hi\n,B,there\ns2,A,bye\n");
        assert_eq!(
            keys(&c),
            [Some("1".into()), Some("s1".into()), Some("s2".into())]
        );
        assert_eq!(c.conversations[1].turns.len(), 2);
    }

    #[test]
    fn no_conversation_column_is_one_conversation_without_key() {
        let c = read("speaker,text\nA,1\nB,2\nA,3\n");
        assert_eq!(keys(&c), [None]);
        assert_eq!(c.conversations[0].turns.len(), 3);
    }

    #[test]
    fn order_sorts_numerically_when_all_values_are_numbers() {
        let c = read("conv,seq,speaker,text\nc,10,A,ten\nc,2,B,two\nc,,C,none\nc,2.5,D,two and a half\nc,2,E,two again\n");
        let texts: Vec<String> = turns_of(&c).into_iter().map(|(_, t)| t).collect();
        assert_eq!(texts, ["two", "two again", "two and a half", "ten", "none"]);
    }

    #[test]
    fn order_sorts_as_text_otherwise() {
        let c = read("turn,speaker,text\nb,A,bee\n10,B,ten\na,C,ay\n9,D,nine\n");
        let texts: Vec<String> = turns_of(&c).into_iter().map(|(_, t)| t).collect();
        assert_eq!(texts, ["ten", "nine", "ay", "bee"]);
        // The order is consumed, not metadata; the origins still point at the rows.
        assert!(c.conversations[0].turns[0].metadata.is_empty());
        assert_eq!(c.conversations[0].turns[0].origin, Origin::record(2, 3));
    }

    #[test]
    fn times_parse_as_timestamps_or_unix_seconds() {
        let c = read(
            "speaker,text,created_at\nA,a,2024-01-12 21:04\nB,b,1705093440\nC,c,1705093440000\nD,d,00:01:23\nE,e,yesterday\nF,f,\n",
        );
        let times: Vec<Option<String>> = c.conversations[0]
            .turns
            .iter()
            .map(|t| t.time.map(|t| t.to_string()))
            .collect();
        let at = Some("2024-01-12T21:04:00Z".to_string());
        assert_eq!(
            times,
            [
                at.clone(),
                at.clone(),
                at.clone(),
                Some("00:01:23.000".into()),
                None,
                None
            ]
        );
        assert_eq!(
            c.conversations[0].turns[4].metadata["created_at"],
            MetaValue::Str("yesterday".into())
        );
        assert!(!c.conversations[0].turns[5]
            .metadata
            .contains_key("created_at"));
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(c.warnings[0].0.line, 6);
        assert_eq!(c.conversations[0].time.map(|t| t.to_string()), at);
    }

    #[test]
    fn other_columns_are_typed_turn_metadata() {
        let c = read("speaker,text,n,x,ok,code,price,note,blank,blank\nA,hi,42,1.5,TRUE,007,19.90, spaced ,,\n");
        let meta = &c.conversations[0].turns[0].metadata;
        assert_eq!(meta["n"], MetaValue::Int(42));
        assert_eq!(meta["x"], MetaValue::Float(1.5));
        assert_eq!(meta["ok"], MetaValue::Bool(true));
        assert_eq!(meta["code"], MetaValue::Str("007".into()));
        assert_eq!(meta["price"], MetaValue::Str("19.90".into()));
        assert_eq!(meta["note"], MetaValue::Str("spaced".into()));
        assert_eq!(meta.len(), 6, "empty cells are left out: {meta:?}");
        assert_eq!(
            metadata_names(&["a".into(), " ".into(), "a".into()]),
            ["a", "column2", "a_2"]
        );
    }

    #[test]
    fn empty_text_and_wrong_field_counts_are_skipped_with_their_line() {
        let c = read(
            "speaker,text,n\nA,one,1\nB,   ,2\nC,three\nD,\"four\nstill four\",4,extra\nE,five,5\n",
        );
        assert_eq!(turns_of(&c).len(), 2);
        let skipped: Vec<(u64, &str)> = c
            .skipped
            .iter()
            .map(|(o, r)| (o.line, r.as_str()))
            .collect();
        assert_eq!(
            skipped,
            [
                (3, "empty text"),
                (4, "2 fields where the header has 3"),
                (
                    5,
                    "4 fields where the header has 3 (the row runs over 2 lines: an unclosed quote?)"
                ),
            ]
        );
        assert_eq!(c.conversations[0].turns[1].origin, Origin::record(5, 7));
    }

    #[test]
    fn an_unclosed_quote_is_reported_not_silently_swallowed() {
        let c = read("speaker,text\nA,\"oops\nB,two\nC,three\n");
        assert_eq!(turns_of(&c), [("A".into(), "oops\nB,two\nC,three".into())]);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(c.warnings[0]
            .1
            .contains("line 2 runs to the end of the file over 3 lines"));
        let c = read("speaker,text\nA,\"closed\nquote\"\nB,5\" screen\n");
        assert_eq!(turns_of(&c).len(), 2);
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn bom_is_dropped_and_utf16_and_legacy_files_are_decoded() {
        let c = read_as(
            &Csv,
            "t.csv",
            b"\xEF\xBB\xBFspeaker,text\nA,hi\n",
            &ReadOptions::default(),
        );
        assert_eq!(turns_of(&c), [("A".into(), "hi".into())]);
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "speaker\ttext\n王\t你好\n".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        let c = read_as(&Tsv, "t.txt", &utf16, &ReadOptions::default());
        assert_eq!(turns_of(&c), [("王".into(), "你好".into())]);
        let (gbk, _, _) = encoding_rs::GBK
            .encode("speaker,text\n王老师,我们今天讨论一下这个问题的解决方案和时间安排\n");
        let c = read_as(&Csv, "t.csv", &gbk, &ReadOptions::default());
        assert_eq!(
            turns_of(&c),
            [(
                "王老师".into(),
                "我们今天讨论一下这个问题的解决方案和时间安排".into()
            )]
        );
    }

    #[test]
    fn invalid_utf8_after_the_head_is_replaced_and_reported_with_its_line() {
        let mut bytes = b"speaker,text\n".to_vec();
        for _ in 0..3000 {
            bytes.extend_from_slice(b"A,a plain ascii row of text that fills the head\n");
        }
        bytes.extend_from_slice(b"B,bad \xFF byte\nC,bad \xFE again\n");
        let c = read_as(&Csv, "t.csv", &bytes, &ReadOptions::default());
        let turns = turns_of(&c);
        assert_eq!(turns.len(), 3002);
        assert_eq!(turns[3000].1, "bad \u{FFFD} byte");
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert_eq!(c.warnings[0].0.line, 3002);
        assert!(c.warnings[1].1.contains("1 more rows"));
    }

    #[test]
    fn an_empty_file_warns() {
        let c = read("");
        assert!(c.conversations.is_empty());
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn a_full_sink_stops_the_read_between_conversations() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "conv,speaker,text\n1,A,a\n1,B,b\n2,A,c\n3,A,d\n").expect("write");
        let mut sink = crate::formats::testing::FullAfter(Collect::default(), 1);
        Csv.read(&path, &ReadOptions::default(), &mut sink)
            .expect("read");
        assert_eq!(sink.0.conversations.len(), 1);
        assert_eq!(sink.0.conversations[0].turns.len(), 2);
    }

    #[test]
    fn sniffs_headers_with_a_text_column() {
        assert_eq!(Csv.sniff(b"conversation_id,speaker,text\n1,a,b\n"), 3);
        assert_eq!(Csv.sniff(b"\"id\",\"n\",\"Message\"\n"), 2);
        assert_eq!(
            Csv.sniff(b"speaker,text\n"),
            0,
            "one delimiter is not enough"
        );
        assert_eq!(Csv.sniff(b"a,b,c\n"), 0);
        assert_eq!(Csv.sniff(b"Alice: hello, world, and more text\n"), 0);
        assert_eq!(Tsv.sniff(b"role\tcontent\tlang\n"), 3);
        assert_eq!(Tsv.sniff(b"role,content,lang\n"), 0);
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in "speaker\ttext\ttime\n".encode_utf16() {
            utf16.extend(unit.to_le_bytes());
        }
        assert_eq!(Tsv.sniff(&utf16), 3);
        assert_eq!(
            crate::formats::choose(Path::new("export.txt"), &utf16).name(),
            "tsv"
        );
        assert_eq!(
            crate::formats::choose(Path::new("a.csv"), b"x,y\n").name(),
            "csv"
        );
    }

    #[test]
    fn support_fixture_details() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats/csv/support.csv");
        let bytes = std::fs::read(path).expect("fixture");
        let c = read_as(&Csv, "support.csv", &bytes, &ReadOptions::default());
        let t1001 = &c.conversations[0];
        assert_eq!(t1001.key.as_deref(), Some("T-1001"));
        assert_eq!(t1001.origin, Origin::record(1, 2));
        let order: Vec<u64> = t1001
            .turns
            .iter()
            .map(|t| t.origin.record.unwrap_or(0))
            .collect();
        assert_eq!(order, [1, 2, 4, 3, 5], "turn 3 is the fourth row");
        assert!(t1001.turns[2].text.contains("\"2-year warranty\""));
        assert!(t1001.turns[3]
            .text
            .ends_with("\nIf you don't see it by Friday, reply to this email."));
        assert_eq!(
            t1001.turns[0].metadata["channel"],
            MetaValue::Str("email".into())
        );
        assert_eq!(
            t1001.turns[0].metadata["priority"],
            MetaValue::Str("high".into())
        );
        assert_eq!(
            t1001.time.map(|t| t.to_string()).as_deref(),
            Some("2024-03-02T09:15:00Z")
        );
        assert_eq!(c.skipped.len(), 1);
        assert_eq!(c.skipped[0].0, Origin::record(11, 14));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn fixtures_read_as_expected() {
        crate::formats::testing::check_fixture_dir("csv");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let mut table = b"conv,turn,speaker,text,time\n".to_vec();
            table.extend_from_slice(&bytes);
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("t.tsv");
            std::fs::write(&path, &bytes).expect("write");
            let _ = Tsv.read(&path, &ReadOptions::default(), &mut Collect::default());
            std::fs::write(&path, &table).expect("write");
            let _ = Csv.read(&path, &ReadOptions::default(), &mut Collect::default());
            let _ = Csv.sniff(&bytes);
        }

        #[test]
        fn arbitrary_rows_never_panic(rows in proptest::collection::vec("[a-c1-3,\"\\n\\r 你]{0,12}", 0..20)) {
            let table = format!("conv,turn,speaker,text,time\n{}", rows.join("\n"));
            read_as(&Csv, "t.csv", table.as_bytes(), &ReadOptions::default());
        }
    }
}
