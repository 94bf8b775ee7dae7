//! Subtitles: SubRip (`.srt`, reader `srt`) and WebVTT (`.vtt`, reader `vtt`), one conversation
//! per file, one turn per cue.
//!
//! - A cue is an optional identifier line (the SRT cue number, a VTT cue id), a timing line
//!   `START --> END [settings]` and its text lines up to a blank line. Times are `[H:]MM:SS[.,]mmm`;
//!   either separator is accepted in both formats. Blank lines end a cue; text after a blank line
//!   that is not a new cue continues the previous cue (subtitle tools write such files); a timing
//!   line right after a cue's text starts a new cue even without a blank line.
//! - The start time is the turn's time (`Timestamp::Offset`); the end time and the identifier go to
//!   the turn's metadata as `end` and `cue`. Cue settings are dropped.
//! - A cue whose timing line has `-->` but times that do not parse, or an SRT cue number followed by
//!   a timing-like line without `-->`, is skipped and reported with the timing line's number;
//!   text of that cue is skipped with it (text after a blank line is reported as skipped too). A
//!   cue that ends before it starts is read, with a warning.
//! - WebVTT: the text after `WEBVTT` and the header lines go to the preamble, `NOTE` blocks to the
//!   conversation's `note` metadata (a list), `STYLE` and `REGION` blocks are dropped. Text before
//!   the first cue is the preamble.
//! - Speaker: the first `<v Name>` / `<v.class Name>` voice tag of the cue (all distinct voice names
//!   go to `voices` when there are several); else a `NAME: ` prefix at the start of the cue's first
//!   line, optionally after a dialogue dash (`- NAME: `): an ALL-CAPS name (up to 4 words and 32
//!   characters, letters, digits, `.'-`), which may also end the line, or a Capitalised name of at
//!   most 3 words followed by `: ` and text. Words that introduce prose rather than a speaker
//!   (`Note`, `Warning`, `Time`, `Https`, …) are never speakers; a colon must be followed by a space
//!   or end the line, so URLs and clock times never are. Names in scripts without letter case
//!   (Chinese) and full-width colons are not recognised. Otherwise the speaker is empty. Only the
//!   first line's prefix is taken: a second `- NAME: ` line of a two-speaker cue stays in the text.
//! - Text: the cue's lines joined with `\n`, with formatting tags removed (`<i> <b> <u> <s> <font>
//!   <c.x> <v> <lang> <ruby> <rt>`, inline `<00:00:01.000>` timestamps, `{\an8}`-style SSA override
//!   tags) and the entities `&amp; &lt; &gt; &nbsp; &lrm; &rlm; &quot; &apos;` and numeric
//!   references decoded. Other `<…>` text is kept. Only trailing ASCII whitespace is trimmed. A cue
//!   with no text left is not a turn.

use std::path::Path;

use super::{
    head_text, read_text, text_lines, trim_end_ascii, FormatError, ReadOptions, Reader, Sink,
};
use crate::model::{parse_offset, Conversation, MetaValue, Origin, Timestamp, Turn};

/// SubRip `.srt` files.
pub struct Srt;

/// WebVTT `.vtt` files.
pub struct Vtt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Srt,
    Vtt,
}

impl Reader for Srt {
    fn name(&self) -> &'static str {
        "srt"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["srt"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        sniff_srt(&head_text(head))
    }
    fn read(&self, path: &Path, _: &ReadOptions, sink: &mut dyn Sink) -> Result<(), FormatError> {
        let decoded = read_text(path, sink)?;
        let conv = parse(&decoded.text, Flavor::Srt, sink);
        sink.conversation(conv);
        Ok(())
    }
}

impl Reader for Vtt {
    fn name(&self) -> &'static str {
        "vtt"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["vtt"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        if is_keyword(head_text(head).trim_start_matches('\u{FEFF}'), "WEBVTT") {
            3
        } else {
            0
        }
    }
    fn read(&self, path: &Path, _: &ReadOptions, sink: &mut dyn Sink) -> Result<(), FormatError> {
        let decoded = read_text(path, sink)?;
        let conv = parse(&decoded.text, Flavor::Vtt, sink);
        sink.conversation(conv);
        Ok(())
    }
}

/// 3 for a cue number followed by a timing line among the first lines, 2 for a timing line alone;
/// 0 for WebVTT, whose cues look the same.
fn sniff_srt(text: &str) -> u8 {
    let text = text.trim_start_matches('\u{FEFF}');
    if is_keyword(text, "WEBVTT") {
        return 0;
    }
    let lines: Vec<&str> = text_lines(text).map(|(_, l)| l).take(40).collect();
    let mut score = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.contains("-->") && parse_timing(line).is_ok() {
            let numbered = i > 0 && lines.get(i - 1).is_some_and(|l| is_cue_number(l));
            score = score.max(if numbered { 3 } else { 2 });
        }
    }
    score
}

/// `line` is `keyword` alone or followed by a space or tab (`WEBVTT`, `NOTE`, `STYLE`, `REGION`).
fn is_keyword(line: &str, keyword: &str) -> bool {
    line.strip_prefix(keyword)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']))
}

fn is_cue_number(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit())
}

/// A line that was meant as a timing line but has no `-->`: digits, separators and an arrow-ish.
fn looks_like_timing(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 8
        && t.starts_with(|c: char| c.is_ascii_digit())
        && t.contains(':')
        && t.chars()
            .all(|c| c.is_ascii_digit() || " \t:,.->=".contains(c))
}

/// `START --> END [settings]` → (start, end) in milliseconds.
fn parse_timing(line: &str) -> Result<(u64, u64), String> {
    let (start, rest) = line.split_once("-->").ok_or("no `-->`")?;
    let start = start.trim();
    let end = rest.split_whitespace().next().unwrap_or("");
    let start_ms = parse_offset(start).ok_or_else(|| format!("bad start time {start:?}"))?;
    let end_ms = parse_offset(end).ok_or_else(|| format!("bad end time {end:?}"))?;
    Ok((start_ms, end_ms))
}

/// What the lines being read belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between blocks.
    Idle,
    /// The WebVTT header block.
    Header,
    Note,
    /// A STYLE or REGION block.
    Ignore,
    Cue,
    /// A cue that was skipped.
    Skip,
    /// Text before the first cue.
    Preamble,
}

struct Cue {
    origin: u64,
    id: Option<String>,
    start: u64,
    end: u64,
    lines: Vec<String>,
}

struct Parser<'a> {
    flavor: Flavor,
    sink: &'a mut dyn Sink,
    conv: Conversation,
    preamble: Vec<String>,
    notes: Vec<String>,
    cue: Option<Cue>,
    state: State,
    started: bool,
    last_skipped: bool,
}

/// Read a whole subtitle file into one conversation.
fn parse(text: &str, flavor: Flavor, sink: &mut dyn Sink) -> Conversation {
    let lines: Vec<(u64, &str)> = text_lines(text).collect();
    let mut p = Parser {
        flavor,
        sink,
        conv: Conversation {
            origin: Origin::line(1),
            ..Conversation::default()
        },
        preamble: Vec::new(),
        notes: Vec::new(),
        cue: None,
        state: State::Idle,
        started: false,
        last_skipped: false,
    };
    let mut i = 0;
    while let Some(&(n, line)) = lines.get(i) {
        i += p.line(n, line, lines.get(i + 1).copied());
    }
    p.finish()
}

impl Parser<'_> {
    /// Take one line (and its successor when it is the timing line of a cue id); returns how many
    /// lines were used.
    fn line(&mut self, n: u64, line: &str, next: Option<(u64, &str)>) -> usize {
        if line.trim().is_empty() {
            self.state = State::Idle;
            return 1;
        }
        match self.state {
            State::Idle => self.block_start(n, line, next),
            State::Cue => self.cue_line(n, line, next),
            State::Header | State::Preamble => {
                self.preamble.push(line.to_owned());
                1
            }
            State::Note => {
                if let Some(note) = self.notes.last_mut() {
                    if !note.is_empty() {
                        note.push('\n');
                    }
                    note.push_str(line);
                }
                1
            }
            State::Ignore | State::Skip => 1,
        }
    }

    /// The first line of a block: a header, a note, a cue, or text outside any cue.
    fn block_start(&mut self, n: u64, line: &str, next: Option<(u64, &str)>) -> usize {
        let first_block = !self.started;
        self.started = true;
        let line = line.trim_start_matches('\u{FEFF}');
        let vtt = self.flavor == Flavor::Vtt;
        if vtt && first_block {
            if let Some(rest) = line
                .strip_prefix("WEBVTT")
                .filter(|_| is_keyword(line, "WEBVTT"))
            {
                self.state = State::Header;
                if !rest.trim().is_empty() {
                    self.preamble.push(rest.trim().to_owned());
                }
                return 1;
            }
            self.sink.warning(
                Origin::line(n),
                "no `WEBVTT` header; read as WebVTT anyway".into(),
            );
        }
        if vtt && is_keyword(line, "NOTE") {
            self.notes.push(line["NOTE".len()..].trim().to_owned());
            self.state = State::Note;
            return 1;
        }
        if vtt && (is_keyword(line, "STYLE") || is_keyword(line, "REGION")) {
            self.state = State::Ignore;
            return 1;
        }
        if line.contains("-->") {
            self.start_cue(n, None, n, line);
            return 1;
        }
        if let Some((tn, timing)) = next.filter(|(_, l)| l.contains("-->")) {
            self.start_cue(n, Some(line), tn, timing);
            return 2;
        }
        self.stray_block(n, line, next)
    }

    /// A block without a `-->` line: a cue whose timing line lost its arrow, the rest of the
    /// previous cue's text, or text before the first cue.
    fn stray_block(&mut self, n: u64, line: &str, next: Option<(u64, &str)>) -> usize {
        let numbered = is_cue_number(line) && next.is_some_and(|(_, l)| looks_like_timing(l));
        if numbered || (looks_like_timing(line) && line.contains('>')) {
            let (tn, timing) = match next {
                Some(next) if numbered => next,
                _ => (n, line),
            };
            self.skip_cue(
                tn,
                format!("malformed cue timing line (no `-->`): {:?}", timing.trim()),
            );
            return 1;
        }
        if self.last_skipped {
            self.sink
                .skipped(Origin::line(n), "text of a skipped cue".into());
            self.state = State::Skip;
        } else if let Some(cue) = self.cue.as_mut() {
            // A blank line inside a cue's text: keep the paragraph break.
            cue.lines.push(String::new());
            cue.lines.push(line.to_owned());
            self.state = State::Cue;
        } else {
            self.preamble.push(line.to_owned());
            self.state = State::Preamble;
        }
        1
    }

    /// A line inside a cue: its text, or the start of a next cue written without a blank line.
    fn cue_line(&mut self, n: u64, line: &str, next: Option<(u64, &str)>) -> usize {
        let timing = |l: &str| l.contains("-->") && parse_timing(l).is_ok();
        if timing(line) {
            self.start_cue(n, None, n, line);
            return 1;
        }
        if let Some((tn, t)) = next.filter(|(_, l)| is_cue_number(line) && timing(l)) {
            self.start_cue(n, Some(line), tn, t);
            return 2;
        }
        if let Some(cue) = self.cue.as_mut() {
            cue.lines.push(line.to_owned());
        }
        1
    }

    fn start_cue(&mut self, n: u64, id: Option<&str>, timing_line: u64, timing: &str) {
        self.flush();
        match parse_timing(timing) {
            Ok((start, end)) => {
                if end < start {
                    self.sink.warning(
                        Origin::line(timing_line),
                        "cue ends before it starts".into(),
                    );
                }
                self.cue = Some(Cue {
                    origin: n,
                    id: id.map(|s| s.trim().to_owned()),
                    start,
                    end,
                    lines: Vec::new(),
                });
                self.state = State::Cue;
                self.last_skipped = false;
            }
            Err(why) => self.skip_cue(timing_line, format!("malformed cue timing line: {why}")),
        }
    }

    fn skip_cue(&mut self, line: u64, reason: String) {
        self.flush();
        self.sink.skipped(Origin::line(line), reason);
        self.state = State::Skip;
        self.last_skipped = true;
    }

    fn flush(&mut self) {
        if let Some(turn) = self.cue.take().and_then(cue_turn) {
            self.conv.turns.push(turn);
        }
    }

    fn finish(mut self) -> Conversation {
        self.flush();
        let mut conv = self.conv;
        conv.preamble = self.preamble.join("\n").trim().to_owned();
        let notes: Vec<MetaValue> = self
            .notes
            .into_iter()
            .filter(|n| !n.trim().is_empty())
            .map(MetaValue::Str)
            .collect();
        if !notes.is_empty() {
            conv.metadata.insert("note".into(), MetaValue::List(notes));
        }
        if conv.turns.is_empty() && !conv.preamble.is_empty() {
            self.sink.warning(
                Origin::line(1),
                "no subtitle cues found; the text is kept as the preamble".into(),
            );
        }
        conv
    }
}

/// The turn a cue makes: speaker, clean text, start time, and `end`/`cue`/`voices` metadata.
fn cue_turn(cue: Cue) -> Option<Turn> {
    let voices = voice_names(&cue.lines);
    let lines: Vec<String> = cue.lines.iter().map(|l| clean(l)).collect();
    let (speaker, text) = match voices.first() {
        Some(voice) => (
            voice.clone(),
            trim_start_ascii(&lines.join("\n")).to_owned(),
        ),
        None => split_speaker(&lines),
    };
    let text = trim_end_ascii(&text).to_owned();
    if text.trim().is_empty() {
        return None;
    }
    let mut turn = Turn {
        speaker,
        text,
        time: Some(Timestamp::Offset(cue.start)),
        origin: Origin::line(cue.origin),
        ..Turn::default()
    };
    let end = Timestamp::Offset(cue.end).to_string();
    turn.metadata.insert("end".into(), MetaValue::Str(end));
    if let Some(id) = cue.id {
        turn.metadata.insert("cue".into(), MetaValue::Str(id));
    }
    if voices.len() > 1 {
        let all = voices.into_iter().map(MetaValue::Str).collect();
        turn.metadata.insert("voices".into(), MetaValue::List(all));
    }
    Some(turn)
}

fn trim_start_ascii(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_ascii_whitespace())
}

/// The distinct names of the cue's `<v Name>` / `<v.class Name>` tags, in order.
fn voice_names(lines: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in lines {
        let mut rest = line.as_str();
        while let Some(open) = rest.find("<v") {
            rest = &rest[open + 2..];
            let Some(close) = rest
                .find(['>', '<'])
                .filter(|&c| rest[c..].starts_with('>'))
            else {
                continue;
            };
            let inner = &rest[..close];
            if !inner.starts_with([' ', '\t', '.']) {
                continue;
            }
            let name = inner
                .split_once([' ', '\t'])
                .map_or("", |(_, name)| name.trim());
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

/// A cue's speaker from a `NAME: ` prefix on its first line, and the text without it.
fn split_speaker(lines: &[String]) -> (String, String) {
    let Some((first, others)) = lines.split_first() else {
        return (String::new(), String::new());
    };
    let Some((name, rest)) = speaker_prefix(first) else {
        return (String::new(), lines.join("\n"));
    };
    let mut text = trim_start_ascii(rest).to_owned();
    for line in others {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
    }
    (name.to_owned(), text)
}

/// Words that open a line of prose with a colon, never a speaker's name.
const NOT_SPEAKERS: &[&str] = &[
    "note",
    "notes",
    "nb",
    "ps",
    "p.s.",
    "warning",
    "caution",
    "attention",
    "important",
    "reminder",
    "remember",
    "tip",
    "hint",
    "example",
    "update",
    "edit",
    "source",
    "subject",
    "re",
    "fw",
    "fwd",
    "translation",
    "translator",
    "transcript",
    "subtitle",
    "subtitles",
    "caption",
    "captions",
    "sync",
    "lyrics",
    "credits",
    "date",
    "time",
    "location",
    "chapter",
    "part",
    "step",
    "scene",
    "episode",
    "season",
    "title",
    "summary",
    "listen",
    "look",
    "wait",
    "well",
    "so",
    "yes",
    "no",
    "okay",
    "ok",
    "hey",
    "oh",
    "and",
    "but",
    "or",
    "then",
    "now",
    "here",
    "there",
    "this",
    "that",
    "also",
    "however",
    "result",
    "total",
    "price",
    "score",
    "rule",
    "tel",
    "phone",
    "email",
    "address",
    "website",
    "url",
    "http",
    "https",
    "ftp",
    "mailto",
];

/// `NAME: rest` or `- NAME: rest` → (`NAME`, `rest`), under the rules in the module doc.
fn speaker_prefix(line: &str) -> Option<(&str, &str)> {
    let body = match line.strip_prefix('-') {
        Some(after_dash) => after_dash.trim_start_matches([' ', '\t']),
        None => line,
    };
    let (name, after) = body.split_once(':')?;
    let rest = match after.strip_prefix([' ', '\t']) {
        Some(rest) => rest,
        None if after.is_empty() => "",
        None => return None,
    };
    let has_text = !rest.trim().is_empty();
    let shaped = is_caps_name(name) || (has_text && is_capitalised_name(name));
    let prose = NOT_SPEAKERS.contains(&name.to_lowercase().as_str());
    (shaped && !prose).then_some((name, rest))
}

fn name_char(c: char) -> bool {
    matches!(c, '.' | '\'' | '-' | '’')
}

/// `ALICE`, `DR. WU`, `GUARD 2`: uppercase letters (no lowercase), up to 4 words.
fn is_caps_name(name: &str) -> bool {
    name.chars().count() <= 32
        && name.starts_with(char::is_uppercase)
        && name.split(' ').count() <= 4
        && name.split(' ').all(|w| !w.is_empty())
        && name
            .chars()
            .all(|c| c.is_uppercase() || c.is_ascii_digit() || c == ' ' || name_char(c))
}

/// `Alice`, `Dr. Wu`, `Mary-Jane Watson`: 1–3 words, each starting with a capital letter.
fn is_capitalised_name(name: &str) -> bool {
    let words: Vec<&str> = name.split(' ').collect();
    name.chars().count() <= 32
        && words.len() <= 3
        && words.iter().all(|w| {
            w.starts_with(char::is_uppercase)
                && w.chars().all(|c| c.is_alphabetic() || name_char(c))
        })
}

/// One text line without formatting tags, with entities decoded.
fn clean(line: &str) -> String {
    decode_entities(&strip_tags(line))
}

/// Remove the known formatting tags and `{\…}` SSA overrides; keep any other `<`/`{` text.
fn strip_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find(['<', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        // Search only up to the next opener, so a line of unclosed `<` stays linear.
        let close = |closer: char| {
            tail[1..]
                .find([closer, '<', '{'])
                .map(|e| e + 1)
                .filter(|&e| tail[e..].starts_with(closer))
        };
        let end = if tail.starts_with('<') {
            close('>').filter(|&e| is_format_tag(&tail[1..e]))
        } else if tail.starts_with("{\\") {
            close('}')
        } else {
            None
        };
        match end {
            Some(e) => rest = &tail[e + 1..],
            None => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The inside of `<…>` is a formatting tag or an inline timestamp.
fn is_format_tag(inner: &str) -> bool {
    let inner = inner.strip_prefix('/').unwrap_or(inner);
    if inner.contains(':')
        && inner
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '.')
    {
        return true;
    }
    let name = inner
        .split(['.', ' ', '\t'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(
        name.as_str(),
        "i" | "b" | "u" | "s" | "c" | "v" | "font" | "lang" | "ruby" | "rt"
    )
}

/// Decode the HTML entities subtitle files use; unknown `&…;` stays as written.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let decoded = tail[1..]
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .and_then(|(semi, _)| Some((entity(&tail[1..semi + 1])?, semi + 2)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &tail[len..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    let named = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "nbsp" => '\u{A0}',
        "lrm" => '\u{200E}',
        "rlm" => '\u{200F}',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            return char::from_u32(code).filter(|&c| c != '\0');
        }
    };
    Some(named)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{check_fixture_dir, read_as};
    use crate::formats::{choose, reads, Collect};

    fn read(reader: &dyn Reader, name: &str, content: &str) -> Collect {
        read_as(reader, name, content.as_bytes(), &ReadOptions::default())
    }

    fn meta(turn: &Turn, key: &str) -> Option<String> {
        turn.metadata.get(key).map(|v| v.to_string())
    }

    reads!(
        srt_cues_are_turns,
        Srt,
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,500\nALICE: 你好 there\nsecond line\n\n\
         2\n00:00:03,000 --> 00:00:04,000\nno speaker here\n",
        [
            ("ALICE", "你好 there\nsecond line"),
            ("", "no speaker here")
        ]
    );

    reads!(
        vtt_voice_tags_name_the_speaker,
        Vtt,
        "a.vtt",
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Mei>早上好</v>\n\n\
         00:02.000 --> 00:03.000\n<v.loud.red Tom Lee>Hi!\n\n\
         00:03.000 --> 00:04.000\n<v   >Nobody\n",
        [("Mei", "早上好"), ("Tom Lee", "Hi!"), ("", "Nobody")]
    );

    reads!(
        vtt_header_notes_style_and_region_are_not_text,
        Vtt,
        "a.vtt",
        "WEBVTT - title\nKind: captions\n\nNOTE a comment\n--- still comment\n\n\
         STYLE\n::cue { color: red }\n\nREGION\nid:r1\n\n\
         c1\n00:00:01.000 --> 00:00:02.000 align:start line:0\nSpoken\n",
        [("", "Spoken")]
    );

    #[test]
    fn vtt_header_goes_to_preamble_and_notes_to_metadata() {
        let got = read(
            &Vtt,
            "a.vtt",
            "WEBVTT - title\nKind: captions\n\nNOTE\n注释 one\n\nNOTE two\n\n00:01.000 --> 00:02.000\nx\n",
        );
        let conv = &got.conversations[0];
        assert_eq!(conv.preamble, "- title\nKind: captions");
        assert_eq!(conv.metadata["note"].terms(), ["注释 one", "two"]);
        assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    }

    #[test]
    fn times_ids_and_end_go_to_the_turn() {
        let got = read(
            &Vtt,
            "a.vtt",
            "WEBVTT\n\nintro\n01:02.500 --> 1:01:02.000 position:10%\nA\n\n00:00:05.000 --> 00:00:06.000\nB\n",
        );
        let turns = &got.conversations[0].turns;
        assert_eq!(turns[0].time, Some(Timestamp::Offset(62_500)));
        assert_eq!(meta(&turns[0], "end").as_deref(), Some("01:01:02.000"));
        assert_eq!(meta(&turns[0], "cue").as_deref(), Some("intro"));
        assert_eq!(turns[0].origin.line, 3);
        assert_eq!(meta(&turns[1], "cue"), None);
        assert_eq!(turns[1].origin.line, 7);
        let srt = read(
            &Srt,
            "a.srt",
            "7\n00:00:01,250 --> 00:00:02,000 X1:10 X2:20\nA\n",
        );
        let turn = &srt.conversations[0].turns[0];
        assert_eq!(turn.time, Some(Timestamp::Offset(1_250)));
        assert_eq!(meta(turn, "cue").as_deref(), Some("7"));
        assert_eq!(meta(turn, "end").as_deref(), Some("00:00:02.000"));
    }

    #[test]
    fn malformed_timing_skips_the_cue_and_reads_the_rest() {
        let got = read(
            &Srt,
            "a.srt",
            "1\n00:00:01,000 --> 00:00:02,000\nA\n\n2\n00:00:0x,000 --> 00:00:04,000\nlost\n\n\
             3\n00:00:05,000 -> 00:00:06,000\nlost too\n\n4\n00:00:07,000 --> 00:00:08,000\nD\n",
        );
        let texts: Vec<String> = crate::formats::testing::turns_of(&got)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(texts, ["A", "D"]);
        let lines: Vec<u64> = got.skipped.iter().map(|(o, _)| o.line).collect();
        assert_eq!(lines, [6, 10]);
        assert!(got.skipped[0].1.contains("start time"), "{:?}", got.skipped);
    }

    reads!(
        text_after_a_blank_line_continues_the_cue,
        Srt,
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\nBOB: first\n\nsecond paragraph\n\n\
         2\n00:00:03,000 --> 00:00:04,000\nnext\n",
        [("BOB", "first\n\nsecond paragraph"), ("", "next")]
    );

    reads!(
        cues_without_blank_lines_between_them,
        Srt,
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\none\n2\n00:00:03,000 --> 00:00:04,000\ntwo\n\
         00:00:05,000 --> 00:00:06,000\nthree\n",
        [("", "one"), ("", "two"), ("", "three")]
    );

    reads!(
        lone_cr_line_endings,
        Srt,
        "a.srt",
        "1\r00:00:01,000 --> 00:00:02,000\rALICE: one\rtwo\r\r2\r00:00:03,000 --> 00:00:04,000\rthree\r",
        [("ALICE", "one\ntwo"), ("", "three")]
    );

    reads!(
        crlf_line_endings,
        Vtt,
        "a.vtt",
        "WEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\n<v A>one\r\ntwo\r\n\r\n",
        [("A", "one\ntwo")]
    );

    #[test]
    fn speaker_prefixes() {
        let yes = [
            ("ALICE: hi", "ALICE", "hi"),
            ("- BOB: 好", "BOB", "好"),
            ("-BOB: 好", "BOB", "好"),
            ("DR. WU: x", "DR. WU", "x"),
            ("GUARD 2: stop", "GUARD 2", "stop"),
            ("NARRATOR:", "NARRATOR", ""),
            ("Alice: hi", "Alice", "hi"),
            ("Dr. Chen: 你好", "Dr. Chen", "你好"),
            ("Mary-Jane Watson: hey", "Mary-Jane Watson", "hey"),
            ("Q: why?", "Q", "why?"),
        ];
        for (line, name, rest) in yes {
            assert_eq!(speaker_prefix(line), Some((name, rest)), "{line}");
        }
        let no = [
            "Note: bring an umbrella",
            "NOTE: this is a caption",
            "Warning: loud",
            "https://example.org",
            "Https: x",
            "see http://x.org: now",
            "10:30 at the station",
            "Time: 10:30",
            "Alice:hi",
            "Alice:",
            "the plan: go",
            "Mary Jane Watson Parker: hi",
            "Hi there: you",
            "王小明: 你好",
            "ALICE : hi",
            "THE VERY LONG NAME HERE: x",
        ];
        for line in no {
            assert_eq!(speaker_prefix(line), None, "{line}");
        }
    }

    reads!(
        prose_colons_are_not_speakers,
        Srt,
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\nNote: 这不是 speaker\n\n\
         2\n00:00:03,000 --> 00:00:04,000\nhttps://example.org 链接\n\n\
         3\n00:00:05,000 --> 00:00:06,000\n10:30 见\n",
        [
            ("", "Note: 这不是 speaker"),
            ("", "https://example.org 链接"),
            ("", "10:30 见")
        ]
    );

    reads!(
        dialogue_dashes_take_the_first_speaker,
        Srt,
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\n- ALICE: 走吧\n- BOB: ok\n",
        [("ALICE", "走吧\n- BOB: ok")]
    );

    #[test]
    fn several_voices_are_all_kept() {
        let got = read(
            &Vtt,
            "a.vtt",
            "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Mei>几个?</v>\n<v Tom>Forty-two</v>\n",
        );
        let turn = &got.conversations[0].turns[0];
        assert_eq!(turn.speaker, "Mei");
        assert_eq!(turn.text, "几个?\nForty-two");
        assert_eq!(meta(turn, "voices").as_deref(), Some("Mei,Tom"));
    }

    #[test]
    fn tags_are_removed_and_entities_decoded() {
        let cases = [
            ("<i>hi</i> <b>there</b> <u>u</u>", "hi there u"),
            ("<c.yellow.bg_blue>彩色</c>", "彩色"),
            ("<ruby>漢<rt>kan</rt></ruby>", "漢kan"),
            ("<00:00:01.000>one <00:02.500>two", "one two"),
            ("{\\an8}top {\\i1}x{\\i0}", "top x"),
            ("<font color=\"#ff0000\">red</font>", "red"),
            ("<I>CAPS</I>", "CAPS"),
            ("<3 and a < b > c", "<3 and a < b > c"),
            ("{not ssa}", "{not ssa}"),
            ("a &amp; b &lt;i&gt; &nbsp;x", "a & b <i> \u{A0}x"),
            ("&lrm;x&rlm; &#39;y&#x4E2D;", "\u{200E}x\u{200F} 'y中"),
            ("&unknown; & &amp", "&unknown; & &amp"),
        ];
        for (raw, clean_text) in cases {
            assert_eq!(clean(raw), clean_text, "{raw}");
        }
    }

    reads!(
        tags_do_not_hide_a_speaker_prefix,
        Srt,
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>ALICE: 你好 &amp; bye</i>\n",
        [("ALICE", "你好 & bye")]
    );

    reads!(
        empty_cues_are_not_turns,
        Srt,
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n\n2\n00:00:03,000 --> 00:00:04,000\nreal\n",
        [("", "real")]
    );

    #[test]
    fn legacy_encodings_are_decoded() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nJOSÉ: café\n";
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(srt.encode_utf16().flat_map(u16::to_le_bytes));
        let got = read_as(&Srt, "a.srt", &utf16, &ReadOptions::default());
        assert_eq!(
            crate::formats::testing::turns_of(&got),
            [("JOSÉ".to_string(), "café".to_string())]
        );
        let cp1252 = b"1\n00:00:01,000 --> 00:00:02,000\nJOS\xC9: caf\xE9 cr\xE8me br\xFBl\xE9e, s'il vous pla\xEEt\n";
        let got = read_as(&Srt, "a.srt", cp1252, &ReadOptions::default());
        assert_eq!(got.conversations[0].turns[0].speaker, "JOSÉ");
        assert!(got.conversations[0].turns[0].text.starts_with("café"));
    }

    #[test]
    fn sniffing() {
        let srt = b"1\n00:00:01,000 --> 00:00:02,000\nhi\n";
        let vtt = b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nhi\n";
        assert_eq!(Srt.sniff(srt), 3);
        assert_eq!(Srt.sniff(b"00:00:01,000 --> 00:00:02,000\nhi\n"), 2);
        assert_eq!(Srt.sniff(vtt), 0);
        assert_eq!(Srt.sniff(b"[A]: hi\n"), 0);
        assert_eq!(Vtt.sniff(vtt), 3);
        assert_eq!(Vtt.sniff(b"\xEF\xBB\xBFWEBVTT - t\n"), 3);
        assert_eq!(Vtt.sniff(b"WEBVTTX\n"), 0);
        assert_eq!(Vtt.sniff(srt), 0);
        let utf16: Vec<u8> = "WEBVTT\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(Vtt.sniff(&utf16), 3);
        assert_eq!(choose(Path::new("a.txt"), vtt).name(), "vtt");
        assert_eq!(choose(Path::new("a.txt"), srt).name(), "srt");
    }

    #[test]
    fn missing_webvtt_header_is_a_warning() {
        let got = read(&Vtt, "a.vtt", "00:01.000 --> 00:02.000\nhi\n");
        assert_eq!(got.conversations[0].turns.len(), 1);
        assert_eq!(got.warnings.len(), 1);
    }

    #[test]
    fn text_without_cues_is_kept_as_preamble() {
        let got = read(&Srt, "a.srt", "just some words\n");
        assert_eq!(got.conversations[0].preamble, "just some words");
        assert_eq!(got.warnings.len(), 1);
    }

    #[test]
    fn fixtures() {
        check_fixture_dir("subtitles");
        let path = "tests/fixtures/formats/subtitles/episode1.srt";
        let content = std::fs::read(path).expect("fixture");
        let got = read_as(&Srt, "e.srt", &content, &ReadOptions::default());
        assert_eq!(got.skipped.len(), 1, "{:?}", got.skipped);
    }

    /// Read `bytes` as a file, accepting a whole-file error (binary input).
    fn try_read(reader: &dyn Reader, name: &str, bytes: &[u8]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let _ = reader.read(&path, &ReadOptions::default(), &mut Collect::default());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            try_read(&Srt, "a.srt", &bytes);
            try_read(&Vtt, "a.vtt", &bytes);
            Srt.sniff(&bytes);
            Vtt.sniff(&bytes);
        }

        #[test]
        fn subtitle_shaped_text_never_panics(lines in proptest::collection::vec(
            proptest::prop_oneof![
                "[0-9]{1,3}",
                "[0-9:.,]{4,12} --> [0-9:.,]{4,12}( [a-z:%0-9]{0,8})?",
                "(<[a-z./ 0-9]{0,6}>|[A-Za-z 你好:&;{}\\\\-]){0,12}",
                "(WEBVTT|NOTE|STYLE|REGION)?",
            ],
            0..16,
        )) {
            let text = lines.join("\n");
            read_as(&Srt, "a.srt", text.as_bytes(), &ReadOptions::default());
            read_as(&Vtt, "a.vtt", text.as_bytes(), &ReadOptions::default());
        }
    }
}
