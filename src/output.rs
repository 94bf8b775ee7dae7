//! Printers: search results, conversations and statistics for a terminal (colour or plain), and
//! search results as JSON / JSON Lines. Kept apart from `search` so the searcher never formats and
//! the printer never queries.
//!
//! Terminal layout follows ripgrep: a heading per conversation, then `line:` for hit turns and
//! `line-` for context turns, `--` between exchanges that are not adjacent. Widths are display
//! columns (a CJK character takes two), never bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use unicode_width::UnicodeWidthChar;

use crate::kwic::{self, KwicRow, KwicSort};
use crate::model::Metadata;
use crate::search::{ConversationView, Hit, SearchResults, TurnView};
use crate::stats::Stats;

/// How matched words are set apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// ANSI colours: matches bold red, context dimmed, restored characters underlined yellow.
    Color,
    /// No escapes: matches wrapped in `**`; restored characters are not marked.
    Plain,
}

/// Terminal printer settings.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub style: Style,
    /// Display columns available per line.
    pub width: usize,
    /// Print whole turns instead of one-line windows around the match.
    pub full: bool,
}

const MARK: &str = "**";
const ELLIPSIS: char = '…';
const NEWLINE_SHOWN: &str = " ⏎ ";
/// How far a window edge may move to avoid cutting a word.
const WORD_SNAP: usize = 15;

/// A turn to print, with its highlights when it is a hit (context turns have none).
type Row<'a> = (&'a TurnView, Option<&'a [[usize; 2]]>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Normal,
    Match,
    Restored,
}

impl Printer {
    fn paint(&self, code: &str, s: &str) -> String {
        match self.style {
            Style::Color if !s.is_empty() => format!("\x1b[{code}m{s}\x1b[0m"),
            _ => s.to_owned(),
        }
    }

    /// Search results grouped by conversation.
    pub fn search(
        &self,
        out: &mut impl Write,
        results: &SearchResults,
        elapsed: Duration,
    ) -> io::Result<()> {
        let mut order: Vec<&str> = Vec::new();
        let mut groups: BTreeMap<&str, BTreeMap<u64, Row>> = BTreeMap::new();
        for hit in &results.hits {
            let conv = hit.turn.conversation.as_str();
            if !groups.contains_key(conv) {
                order.push(conv);
            }
            let rows = groups.entry(conv).or_default();
            for c in hit.context.before.iter().chain(&hit.context.after) {
                rows.entry(c.turn).or_insert((c, None));
            }
            rows.insert(hit.turn.turn, (&hit.turn, Some(&hit.highlights[..])));
        }
        for (n, conv) in order.iter().enumerate() {
            if n > 0 {
                writeln!(out)?;
            }
            let rows = &groups[conv];
            let Some((first, _)) = rows.values().next() else {
                continue;
            };
            self.heading(
                out,
                &first.conversation,
                &first.title,
                &conversation_location(first),
            )?;
            let line_w = rows
                .values()
                .map(|(t, _)| digits(t.turn))
                .max()
                .unwrap_or(1);
            let label_w = rows
                .values()
                .map(|(t, _)| display_width(&t.speaker))
                .max()
                .unwrap_or(0);
            let mut previous: Option<u64> = None;
            for (turn, (view, highlights)) in rows {
                if previous.is_some_and(|p| p + 1 != *turn) {
                    writeln!(out, "{}", self.paint("2", "--"))?;
                }
                previous = Some(*turn);
                self.row(out, view, *highlights, line_w, label_w)?;
            }
        }
        self.summary(out, results, order.len(), elapsed)
    }

    fn heading(
        &self,
        out: &mut impl Write,
        id: &str,
        title: &str,
        location: &str,
    ) -> io::Result<()> {
        let title = if title.is_empty() {
            String::new()
        } else {
            format!("  {}", self.paint("1", &escape(title)))
        };
        writeln!(out, "{}{title}", self.paint("1;35", &escape(id)))?;
        writeln!(out, "{}", self.paint("35", &escape(location)))
    }

    /// `key=value` pairs on one dimmed line.
    fn metadata(&self, out: &mut impl Write, m: &Metadata) -> io::Result<()> {
        if m.is_empty() {
            return Ok(());
        }
        let pairs: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "{}", self.paint("2", &escape(&pairs.join("  "))))
    }

    fn summary(
        &self,
        out: &mut impl Write,
        results: &SearchResults,
        conversations: usize,
        elapsed: Duration,
    ) -> io::Result<()> {
        if !results.hits.is_empty() {
            writeln!(out)?;
        }
        // With --limit only the shown hits' conversations are known, so say that.
        let line = if results.hits.len() < results.total_hits {
            format!(
                "{}; showing {} in {} (--limit), {:.1} ms",
                plural(results.total_hits, "hit"),
                results.hits.len(),
                plural(conversations, "conversation"),
                elapsed.as_secs_f64() * 1000.0
            )
        } else {
            format!(
                "{} in {}, {:.1} ms",
                plural(results.total_hits, "hit"),
                plural(conversations, "conversation"),
                elapsed.as_secs_f64() * 1000.0
            )
        };
        writeln!(out, "{}", self.paint("2", &line))
    }

    /// One turn: `line:speaker text` for a hit, `line-speaker text` for context.
    fn row(
        &self,
        out: &mut impl Write,
        t: &TurnView,
        highlights: Option<&[[usize; 2]]>,
        line_w: usize,
        label_w: usize,
    ) -> io::Result<()> {
        let is_hit = highlights.is_some();
        let sep = if is_hit { ":" } else { "-" };
        let label = format!(
            "{}{}",
            escape(&t.speaker),
            " ".repeat(label_w.saturating_sub(display_width(&t.speaker)))
        );
        let time = t
            .time
            .map(|ts| format!("{} ", self.paint("2", &format!("[{ts}]"))))
            .unwrap_or_default();
        let prefix_w = line_w + 1 + label_w + 2 + t.time.map_or(0, |ts| ts.to_string().len() + 3);
        let prefix = format!(
            "{}{sep}{}  {time}",
            // The turn number, as `colloquy show CONV:TURN` and the JSON's `turn` count.
            self.paint("32", &format!("{:>line_w$}", t.turn)),
            self.paint("1;36", &label)
        );
        let body_code = if is_hit { "" } else { "2" };
        if self.full {
            let indent = " ".repeat(prefix_w);
            let mut i = 0;
            // One line at a time: a turn of megabytes is printed in the memory of its longest line.
            for_each_marked_line(t, highlights.unwrap_or(&[]), |line| {
                let text = self.render(line, body_code);
                let written = match (i, line.is_empty()) {
                    (0, _) => writeln!(out, "{prefix}{text}"),
                    (_, true) => writeln!(out),
                    _ => writeln!(out, "{indent}{text}"),
                };
                i += 1;
                written
            })
        } else {
            let avail = self.width.saturating_sub(prefix_w).max(20);
            // Enough characters around the first match for any line width.
            let anchor = highlights.and_then(|h| h.first()).map_or(0, |h| h[0]);
            let marked = mark_span(
                t,
                highlights.unwrap_or(&[]),
                anchor.saturating_sub(avail),
                avail * 3,
            );
            let flat = flatten(&marked);
            let window = window(&flat, avail);
            writeln!(out, "{prefix}{}", self.render(&window, body_code))
        }
    }

    fn render(&self, chars: &[(char, Kind)], base: &str) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            let kind = chars[i].1;
            let mut j = i;
            let mut run = String::new();
            while j < chars.len() && chars[j].1 == kind {
                let c = chars[j].0;
                if c.is_control() && c != '\n' && c != '\t' {
                    run.push_str(&format!("\\u{{{:x}}}", c as u32));
                } else {
                    run.push(c);
                }
                j += 1;
            }
            let piece = match (kind, self.style) {
                (Kind::Match, Style::Plain) => format!("{MARK}{run}{MARK}"),
                (Kind::Match, Style::Color) => self.paint("1;31", &run),
                (Kind::Restored, Style::Color) => self.paint("4;33", &run),
                (_, Style::Color) if !base.is_empty() => self.paint(base, &run),
                _ => run,
            };
            out.push_str(&piece);
            i = j;
        }
        out
    }

    /// A whole conversation (or part of it) for `colloquy show`.
    pub fn conversation(
        &self,
        out: &mut impl Write,
        conv: &ConversationView,
        raw: bool,
    ) -> io::Result<()> {
        self.heading(out, &conv.conversation, &conv.title, &conv.location)?;
        self.metadata(out, &conv.metadata)?;
        if !conv.preamble.is_empty() {
            writeln!(out, "{}", self.paint("2", &escape(&conv.preamble)))?;
        }
        let turns = &conv.turns;
        let line_w = turns.iter().map(|t| digits(t.turn)).max().unwrap_or(1);
        let label_w = turns
            .iter()
            .map(|t| display_width(&t.speaker))
            .max()
            .unwrap_or(0);
        let full = Printer {
            full: true,
            ..*self
        };
        for t in turns {
            full.row(out, t, Some(&[]), line_w, label_w)?;
            if raw {
                if let Some(original) = &t.original {
                    let indent = " ".repeat(line_w + 1 + label_w + 2);
                    for line in original.split('\n') {
                        writeln!(
                            out,
                            "{indent}{}",
                            self.paint("2;33", &format!("│ {}", escape(line)))
                        )?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `colloquy stats` as tables.
    pub fn stats(&self, out: &mut impl Write, s: &Stats) -> io::Result<()> {
        let bold = |x: &str| self.paint("1", x);
        writeln!(
            out,
            "{}  {} conversations, {} turns, {} characters; index {} on disk",
            bold("corpus"),
            group(s.conversations),
            group(s.turns),
            group(s.characters),
            human_bytes(s.index_bytes)
        )?;
        writeln!(out)?;
        let rows: Vec<Vec<String>> = s
            .speakers
            .iter()
            .map(|sp| {
                vec![
                    if sp.speaker.is_empty() {
                        "(none)".into()
                    } else {
                        sp.speaker.clone()
                    },
                    group(sp.turns),
                    group(sp.characters),
                ]
            })
            .collect();
        self.table(out, &["speaker", "turns", "characters"], &rows)?;
        let omitted = |n: usize, what: &str| match n {
            0 => String::new(),
            n => format!("… and {} (a larger --top lists them)\n", plural(n, what)),
        };
        let more = s.omitted.unwrap_or(crate::stats::Omitted {
            speakers: 0,
            languages: 0,
        });
        write!(out, "{}", omitted(more.speakers, "more speaker"))?;
        writeln!(out)?;
        let rows: Vec<Vec<String>> = s
            .languages
            .iter()
            .map(|l| vec![l.language.clone(), group(l.turns), group(l.dominant)])
            .collect();
        self.table(out, &["language", "turns", "dominant"], &rows)?;
        write!(out, "{}", omitted(more.languages, "more language"))?;
        writeln!(
            out,
            "code-switched turns: {} ({:.1} %)",
            group(s.code_switched_turns),
            s.code_switched_share * 100.0
        )?;
        writeln!(out)?;
        let mut rows: Vec<Vec<String>> = s
            .formats
            .iter()
            .map(|(f, n)| vec![f.clone(), group(*n)])
            .collect();
        if s.records_skipped > 0 {
            rows.push(vec!["records skipped".into(), group(s.records_skipped)]);
        }
        self.table(out, &["format", "files"], &rows)?;
        writeln!(out)?;
        let r = &s.repair;
        let rows = vec![
            vec!["files touched".into(), group(r.files_touched)],
            vec!["turns repaired".into(), group(r.repaired_turns)],
            vec!["characters restored".into(), group(r.characters_restored)],
            vec![
                "low-confidence guesses".into(),
                group(r.low_confidence_guesses),
            ],
        ];
        self.table(out, &["repair", ""], &rows)
    }

    /// A left-aligned first column, right-aligned numbers.
    fn table(&self, out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
        for row in rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(display_width(cell));
                }
            }
        }
        let fmt = |cells: Vec<String>| -> String {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = " ".repeat(widths[i].saturating_sub(display_width(c)));
                    if i == 0 {
                        format!("{c}{pad}")
                    } else {
                        format!("{pad}{c}")
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        };
        let head = fmt(header.iter().map(|h| h.to_string()).collect());
        writeln!(out, "{}", self.paint("1", &head))?;
        for row in rows {
            writeln!(out, "{}", fmt(row.clone()))?;
        }
        Ok(())
    }
}

/// A turn's characters tagged as matched, restored by repair, or plain: only `len` of them
/// from `from` (cut ends shown as `…`): a
/// one-line hit in a turn of megabytes costs what the line shows.
fn mark_span(
    t: &TurnView,
    highlights: &[[usize; 2]],
    from: usize,
    len: usize,
) -> Vec<(char, Kind)> {
    let mut chars: Vec<(char, Kind)> = Vec::new();
    if from > 0 {
        chars.push((ELLIPSIS, Kind::Normal));
    }
    let lead = chars.len();
    let mut rest = t.text.chars().skip(from);
    chars.extend(rest.by_ref().take(len).map(|c| (c, Kind::Normal)));
    let cut = rest.next().is_some();
    let to = from.saturating_add(len);
    let mut mark = |s: usize, e: usize, kind: Kind| {
        let (s, e) = (s.max(from), e.min(to));
        for i in s..e {
            if let Some(c) = chars.get_mut(lead + i - from) {
                c.1 = kind;
            }
        }
    };
    for g in &t.guesses {
        mark(g.start, g.end, Kind::Restored);
    }
    for &[s, e] in highlights {
        mark(s, e, Kind::Match);
    }
    if cut {
        chars.push((ELLIPSIS, Kind::Normal));
    }
    chars
}

/// Each line of the turn's text (`\r` dropped) with its characters tagged as matched, restored or
/// plain, in one pass over the text and the sorted ranges.
fn for_each_marked_line(
    t: &TurnView,
    highlights: &[[usize; 2]],
    mut line_out: impl FnMut(&[(char, Kind)]) -> io::Result<()>,
) -> io::Result<()> {
    let mut restored: Vec<(usize, usize)> = t.guesses.iter().map(|g| (g.start, g.end)).collect();
    restored.sort_unstable();
    let (mut r, mut h) = (0, 0);
    let mut line: Vec<(char, Kind)> = Vec::new();
    for (i, c) in t.text.chars().enumerate() {
        while restored.get(r).is_some_and(|&(_, end)| end <= i) {
            r += 1;
        }
        while highlights.get(h).is_some_and(|&[_, end]| end <= i) {
            h += 1;
        }
        let kind = if highlights.get(h).is_some_and(|&[start, _]| start <= i) {
            Kind::Match
        } else if restored.get(r).is_some_and(|&(start, _)| start <= i) {
            Kind::Restored
        } else {
            Kind::Normal
        };
        match c {
            '\n' => {
                line_out(&line)?;
                line.clear();
            }
            '\r' => {}
            _ => line.push((c, kind)),
        }
    }
    line_out(&line)
}

/// The turn on one line: line breaks shown as ⏎, runs of blank lines as one.
fn flatten(chars: &[(char, Kind)]) -> Vec<(char, Kind)> {
    let mut out: Vec<(char, Kind)> = Vec::with_capacity(chars.len());
    let mut pending_break = false;
    for &(c, k) in chars {
        if c == '\n' || c == '\r' {
            pending_break = true;
            continue;
        }
        if pending_break {
            while out.last().is_some_and(|(c, _)| *c == ' ') {
                out.pop();
            }
            out.extend(NEWLINE_SHOWN.chars().map(|c| (c, Kind::Normal)));
            pending_break = false;
            if c == ' ' {
                continue;
            }
        }
        out.push((if c == '\t' { ' ' } else { c }, k));
    }
    out
}

/// Where a hit's conversation is: its file, or `file#record` inside a multi-record file.
fn conversation_location(t: &TurnView) -> String {
    match t.record {
        Some(r) => format!("{}#{r}", t.source),
        None => t.source.clone(),
    }
}

/// Control characters from the data never reach the terminal as escapes (a corpus line must not
/// clear the screen or retitle the window): they are shown as `\u{..}`.
fn escape(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

pub fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// At most `avail` columns of `chars`, placed so the first match sits in the first third.
fn window(chars: &[(char, Kind)], avail: usize) -> Vec<(char, Kind)> {
    let total: usize = chars.iter().map(|(c, _)| char_width(*c)).sum();
    if total <= avail {
        return chars.to_vec();
    }
    let anchor = chars
        .iter()
        .position(|(_, k)| *k == Kind::Match)
        .unwrap_or(0);
    let budget = avail.saturating_sub(2);
    let mut start = anchor;
    let mut left_w = 0;
    while start > 0 && left_w + char_width(chars[start - 1].0) <= budget / 3 {
        start -= 1;
        left_w += char_width(chars[start].0);
    }
    let mut end = start;
    let mut used = 0;
    while end < chars.len() && used + char_width(chars[end].0) <= budget {
        used += char_width(chars[end].0);
        end += 1;
    }
    // Spend what is left on the left side when the turn ends early.
    while start > 0 && used + char_width(chars[start - 1].0) <= budget {
        start -= 1;
        used += char_width(chars[start].0);
    }
    // Do not cut a Latin word in half when a boundary is near.
    let in_word = |i: usize| {
        i > 0
            && i < chars.len()
            && chars[i - 1].0.is_alphanumeric()
            && chars[i].0.is_alphanumeric()
            && chars[i].0.is_ascii()
    };
    let mut s = start;
    while in_word(s) && s < anchor && s - start < WORD_SNAP {
        s += 1;
    }
    if !in_word(s) {
        start = s;
    }
    let mut e = end;
    while in_word(e) && e > anchor + 1 && end - e < WORD_SNAP {
        e -= 1;
    }
    if !in_word(e) {
        end = e;
    }
    let mut out = Vec::with_capacity(end - start + 2);
    if start > 0 {
        out.push((ELLIPSIS, Kind::Normal));
    }
    out.extend_from_slice(&chars[start..end]);
    if end < chars.len() {
        out.push((ELLIPSIS, Kind::Normal));
    }
    out
}

fn digits(n: u64) -> usize {
    n.to_string().len()
}

fn plural(n: usize, word: &str) -> String {
    format!("{} {word}{}", group(n), if n == 1 { "" } else { "s" })
}

/// 1234567 → 1,234,567
pub(crate) fn group(n: impl std::fmt::Display) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The keys of a hit in JSON output, for `--fields`.
pub const HIT_FIELDS: [&str; 22] = [
    "conversation",
    "title",
    "source",
    "record",
    "line",
    "location",
    "turn",
    "speaker",
    "time",
    "languages",
    "dominant_language",
    "code_switched",
    "spans",
    "text",
    "repaired",
    "original",
    "guesses",
    "metadata",
    "conversation_metadata",
    "score",
    "highlights",
    "context",
];

/// Which keys each JSON hit keeps (`--fields`); all when `None`.
#[derive(Clone, Debug, Default)]
pub struct FieldSet(Option<Vec<String>>);

impl FieldSet {
    /// Every key.
    pub fn all() -> Self {
        FieldSet(None)
    }

    /// The named keys, each one of [`HIT_FIELDS`]; the first unknown name is the error.
    pub fn of(names: &[String]) -> Result<Self, String> {
        match names.iter().find(|n| !HIT_FIELDS.contains(&n.as_str())) {
            Some(bad) => Err(bad.clone()),
            None => Ok(FieldSet(Some(names.to_vec()))),
        }
    }

    /// Whether hits carry `key`.
    pub fn has(&self, key: &str) -> bool {
        self.0.as_ref().is_none_or(|k| k.iter().any(|n| n == key))
    }

    /// The hit as JSON with only the chosen keys (serde_json orders them alphabetically).
    fn value(&self, hit: &Hit) -> serde_json::Result<serde_json::Value> {
        let serde_json::Value::Object(mut all) = serde_json::to_value(hit)? else {
            return serde_json::to_value(hit);
        };
        let Some(keys) = &self.0 else {
            return Ok(serde_json::Value::Object(all));
        };
        let mut kept = serde_json::Map::new();
        for k in keys {
            if let Some(v) = all.remove(k) {
                kept.insert(k.clone(), v);
            }
        }
        Ok(serde_json::Value::Object(kept))
    }

    fn write_line(&self, out: &mut impl Write, hit: &Hit) -> io::Result<()> {
        if self.0.is_none() {
            serde_json::to_writer(&mut *out, hit)?;
        } else {
            serde_json::to_writer(&mut *out, &self.value(hit)?)?;
        }
        Ok(())
    }

    fn pretty(&self, hit: &Hit) -> serde_json::Result<String> {
        if self.0.is_none() {
            serde_json::to_string_pretty(hit)
        } else {
            serde_json::to_string_pretty(&self.value(hit)?)
        }
    }
}

/// `--json`: one document, `{"query", "total_hits", "hits": [...]}`, written hit by hit. When the
/// total is known only at the end (every hit streamed), `total_hits` comes after the hits.
pub struct JsonSink<W: Write> {
    out: W,
    first: bool,
    fields: FieldSet,
    total_known: bool,
}

impl<W: Write> JsonSink<W> {
    pub fn new(out: W, fields: FieldSet) -> Self {
        JsonSink {
            out,
            first: true,
            fields,
            total_known: false,
        }
    }

    /// The writer back (the document was closed by `end`).
    pub fn finish(self) -> W {
        self.out
    }
}

impl<W: Write> crate::search::HitSink for JsonSink<W> {
    fn begin(&mut self, query: &str, total_hits: Option<usize>) -> io::Result<()> {
        write!(self.out, "{{\n  \"query\": ")?;
        serde_json::to_writer(&mut self.out, query)?;
        if let Some(n) = total_hits {
            write!(self.out, ",\n  \"total_hits\": {n}")?;
            self.total_known = true;
        }
        write!(self.out, ",\n  \"hits\": [")
    }
    fn hit(&mut self, hit: Hit) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"\n" } else { b",\n" })?;
        self.first = false;
        // Each hit pretty-printed, indented to sit inside the document.
        let text = self.fields.pretty(&hit)?;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            write!(self.out, "    {line}")?;
        }
        Ok(())
    }
    fn end(&mut self, total_hits: usize) -> io::Result<()> {
        // No hit: `begin` wrote the opening bracket last.
        self.out
            .write_all(if self.first { b"]" } else { b"\n  ]" })?;
        if !self.total_known {
            write!(self.out, ",\n  \"total_hits\": {total_hits}")?;
        }
        write!(self.out, "\n}}\n")
    }
}

/// `--jsonl`: one hit per line, written as found; `on_begin` is told how many hits match when
/// that is known first, `on_hit` is told after each line (for a progress bar).
pub struct JsonlSink<W: Write, B: FnMut(Option<usize>), F: FnMut()> {
    pub out: W,
    pub fields: FieldSet,
    pub on_begin: B,
    pub on_hit: F,
}

impl<W: Write, B: FnMut(Option<usize>), F: FnMut()> crate::search::HitSink for JsonlSink<W, B, F> {
    fn begin(&mut self, _: &str, total_hits: Option<usize>) -> io::Result<()> {
        (self.on_begin)(total_hits);
        Ok(())
    }
    fn hit(&mut self, hit: Hit) -> io::Result<()> {
        self.fields.write_line(&mut self.out, &hit)?;
        writeln!(self.out)?;
        (self.on_hit)();
        Ok(())
    }
    fn end(&mut self, _: usize) -> io::Result<()> {
        Ok(())
    }
}

/// How `search --kwic` writes its concordance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KwicFormat {
    /// Aligned lines: `CONV:TURN  SPEAKER  left context  match  right context`.
    Terminal,
    /// One document, `{"query", "total_hits", "rows": [...]}`.
    Json,
    /// One row object per line.
    Jsonl,
}

/// Terminal rows are aligned in blocks of this many: a streamed concordance (`--all`) holds no
/// more than a block, and a ranked one (at most `--limit` hits) is usually one block.
const KWIC_BLOCK: usize = 1000;
/// The narrowest left context a terminal line gets, however long the ids.
const KWIC_MIN_CONTEXT: usize = 8;

/// `search --kwic`: turns each hit into one row per match and prints the rows as they come, or,
/// sorted by the word before or after the match, all at the end (`--limit` bounds them).
pub struct KwicSink<W: Write> {
    out: W,
    format: KwicFormat,
    printer: Printer,
    sort: Option<KwicSort>,
    /// Context kept per side: the line's width for the terminal (cut to fit when printed), half
    /// of it for JSON.
    context_cols: usize,
    rows: Vec<KwicRow>,
    hits: usize,
    lines: usize,
    total_known: bool,
}

impl<W: Write> KwicSink<W> {
    pub fn new(out: W, format: KwicFormat, printer: Printer, sort: Option<KwicSort>) -> Self {
        let context_cols = match format {
            KwicFormat::Terminal => printer.width,
            KwicFormat::Json | KwicFormat::Jsonl => printer.width / 2,
        };
        KwicSink {
            out,
            format,
            printer,
            sort,
            context_cols,
            rows: Vec::new(),
            hits: 0,
            lines: 0,
            total_known: false,
        }
    }

    /// Write the held rows.
    fn flush(&mut self) -> io::Result<()> {
        let rows = std::mem::take(&mut self.rows);
        if self.format == KwicFormat::Terminal {
            self.printer.kwic_block(&mut self.out, &rows)?;
            self.lines += rows.len();
            return Ok(());
        }
        for row in &rows {
            if self.format == KwicFormat::Json {
                let sep: &[u8] = if self.lines == 0 {
                    b"\n    "
                } else {
                    b",\n    "
                };
                self.out.write_all(sep)?;
            }
            serde_json::to_writer(&mut self.out, row)?;
            if self.format == KwicFormat::Jsonl {
                writeln!(self.out)?;
            }
            self.lines += 1;
        }
        Ok(())
    }
}

impl<W: Write> crate::search::HitSink for KwicSink<W> {
    fn begin(&mut self, query: &str, total_hits: Option<usize>) -> io::Result<()> {
        if self.format != KwicFormat::Json {
            return Ok(());
        }
        write!(self.out, "{{\n  \"query\": ")?;
        serde_json::to_writer(&mut self.out, query)?;
        if let Some(n) = total_hits {
            write!(self.out, ",\n  \"total_hits\": {n}")?;
            self.total_known = true;
        }
        write!(self.out, ",\n  \"rows\": [")
    }

    fn hit(&mut self, hit: Hit) -> io::Result<()> {
        self.hits += 1;
        self.rows.extend(kwic::rows(&hit, self.context_cols));
        let streamed = self.sort.is_none()
            && (self.format != KwicFormat::Terminal || self.rows.len() >= KWIC_BLOCK);
        if streamed {
            self.flush()?;
        }
        Ok(())
    }

    fn end(&mut self, total_hits: usize) -> io::Result<()> {
        if let Some(by) = self.sort {
            kwic::sort(&mut self.rows, by);
        }
        self.flush()?;
        match self.format {
            KwicFormat::Terminal => {
                if self.lines > 0 {
                    writeln!(self.out)?;
                }
                let line = format!(
                    "{}; {} shown as {}",
                    plural(total_hits, "hit"),
                    group(self.hits),
                    plural(self.lines, "concordance line")
                );
                writeln!(self.out, "{}", self.printer.paint("2", &line))
            }
            KwicFormat::Json => {
                self.out
                    .write_all(if self.lines == 0 { b"]" } else { b"\n  ]" })?;
                if !self.total_known {
                    write!(self.out, ",\n  \"total_hits\": {total_hits}")?;
                }
                write!(self.out, "\n}}\n")
            }
            KwicFormat::Jsonl => Ok(()),
        }
    }
}

impl Printer {
    /// Concordance lines aligned on the match: `CONV:TURN  SPEAKER  left  match  right`, each
    /// line `width` columns at most (unless ids or the match alone are wider).
    fn kwic_block(&self, out: &mut impl Write, rows: &[KwicRow]) -> io::Result<()> {
        let locations: Vec<String> = rows
            .iter()
            .map(|r| escape(&format!("{}:{}", r.conversation, r.turn)))
            .collect();
        let speakers: Vec<String> = rows.iter().map(|r| escape(&r.speaker)).collect();
        let widest = |v: &[String]| v.iter().map(|s| display_width(s)).max().unwrap_or(0);
        let (loc_w, spk_w) = (widest(&locations), widest(&speakers));
        let marks = match self.style {
            Style::Plain => 2 * MARK.len(),
            Style::Color => 0,
        };
        let rest = self.width.saturating_sub(loc_w + 2 + spk_w + 2);
        let widest_match = rows
            .iter()
            .map(|r| kwic_width(&r.matched))
            .max()
            .unwrap_or(0)
            .min(rest / 3);
        let left_w = (rest.saturating_sub(widest_match + marks + 2) / 2).max(KWIC_MIN_CONTEXT);
        for ((row, loc), speaker) in rows.iter().zip(&locations).zip(&speakers) {
            // The spaces around the match stand in for the text's own.
            let left = kwic::last_columns(one_line(&row.left).trim_end(), left_w);
            let matched = kwic_width(&row.matched) + marks;
            let right_w = rest.saturating_sub(left_w + 2 + matched);
            let right = kwic::first_columns(one_line(&row.right).trim_start(), right_w);
            let pad = |s: &str, w: usize| " ".repeat(w.saturating_sub(display_width(s)));
            let shown_match = match self.style {
                Style::Plain => format!("{MARK}{}{MARK}", one_line(&row.matched)),
                Style::Color => self.paint("1;31", &one_line(&row.matched)),
            };
            let line = format!(
                "{}{}  {}{}  {}{} {shown_match} {}",
                self.paint("35", loc),
                pad(loc, loc_w),
                self.paint("1;36", speaker),
                pad(speaker, spk_w),
                " ".repeat(left_w.saturating_sub(kwic_width(&left))),
                left,
                right,
            );
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// A concordance cell on one line: line breaks, tabs and other control characters (escapes)
/// shown as spaces, and each run of spaces as one, so contexts read as running text.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

fn kwic_width(s: &str) -> usize {
    s.chars().map(kwic::cell_width).sum()
}

/// One line: what repair did to a file.
pub fn repair_summary(r: &crate::repair::FileReport) -> String {
    if !r.changed {
        return format!("{}: no mojibake found, text unchanged", r.name);
    }
    format!(
        "{}: {} runs repaired, {} characters replaced, {} lost bytes restored, {} guesses ({} below confidence {})",
        r.name,
        group(r.runs_repaired),
        group(r.chars_replaced),
        group(r.bytes_restored),
        group(r.guesses),
        group(r.low_confidence_guesses),
        r.low_confidence_threshold
    )
}

/// `colloquy repair --explain` for one piece of a file (pieces come in text order, each with its
/// own offsets, and start at a line): each run and guess at `file:line:column`, counting lines
/// from `first_line`. Returns the number of line breaks in the piece, so the caller can count on.
pub fn print_repair_explain_piece(
    out: &mut impl Write,
    name: &str,
    first_line: usize,
    repaired: &crate::repair::Repaired,
) -> io::Result<usize> {
    // Line starts in code points, so offsets can be shown as line:column.
    let mut starts = vec![0usize];
    for (i, c) in repaired.text.chars().enumerate() {
        if c == '\n' {
            starts.push(i + 1);
        }
    }
    let locate = |offset: usize| {
        let line = starts.partition_point(|&s| s <= offset).max(1);
        let column = offset - starts.get(line - 1).copied().unwrap_or(0) + 1;
        format!("{name}:{}:{column}", first_line + line - 1)
    };
    for e in crate::repair::explain(repaired) {
        let indent = match e {
            crate::repair::Explained::Run(_) => "",
            crate::repair::Explained::Guess(_) => "    ",
        };
        writeln!(out, "{indent}{} {}", locate(e.start()), e.body())?;
    }
    Ok(starts.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> Vec<(char, Kind)> {
        s.chars().map(|c| (c, Kind::Normal)).collect()
    }

    fn text(v: &[(char, Kind)]) -> String {
        v.iter().map(|(c, _)| *c).collect()
    }

    #[test]
    fn window_counts_display_columns() {
        let chars = plain(&"话".repeat(50));
        let w = window(&chars, 21);
        // 19 columns of budget hold 9 two-column characters, plus the ellipsis.
        assert_eq!(text(&w), format!("{}…", "话".repeat(9)));
        assert!(display_width(&text(&w)) <= 21);
    }

    #[test]
    fn window_keeps_the_match_in_view() {
        let mut chars = plain(&format!("{} needle {}", "a ".repeat(100), "b ".repeat(100)));
        let at = text(&chars).find("needle").unwrap();
        for c in chars.iter_mut().skip(at).take(6) {
            c.1 = Kind::Match;
        }
        let w = window(&chars, 40);
        assert!(text(&w).starts_with('…') && text(&w).ends_with('…'));
        assert!(text(&w).contains("needle"));
        assert!(display_width(&text(&w)) <= 40);
    }

    #[test]
    fn flatten_shows_line_breaks_once() {
        assert_eq!(text(&flatten(&plain("one \n\n two"))), "one ⏎ two");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(human_bytes(2048), "2.0 KiB");
    }
}
