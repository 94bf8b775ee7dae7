//! `[Speaker]: text` transcripts, one conversation per file (the sample corpus's format).
//!
//! A turn starts at a line `[LABEL]: ` and runs to the next such line. A label is 1–40 characters
//! without `]`, not blank, and not a number: `[1]: https://…` is a Markdown reference definition,
//! which stays text of the turn it is in. A line that would open a turn but whose label is too
//! long is kept in the current turn and reported, never merged silently. Text before the first
//! turn is the preamble. A file without any speaker line is one turn with no speaker (with a
//! warning), so no text is ever dropped.

use std::path::Path;

use super::{
    head_text, read_text, settle_preamble, text_lines, trim_end_ascii, FormatError, ReadOptions,
    Reader, Sink,
};
use crate::model::{Conversation, Origin, Turn};

pub struct Bracket;

const MAX_LABEL_CHARS: usize = 40;

impl Reader for Bracket {
    fn name(&self) -> &'static str {
        "bracket"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["txt", "md", "text", ""]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        let text = head_text(head);
        let markers = text
            .lines()
            .take(200)
            .filter(|l| matches!(parse_marker(l), Marker::Turn(..)))
            .count();
        match markers {
            0 => 0,
            1 => 2,
            _ => 3,
        }
    }
    fn read(&self, path: &Path, _: &ReadOptions, sink: &mut dyn Sink) -> Result<(), FormatError> {
        let decoded = read_text(path, sink)?;
        let conv = split(&decoded.text, sink);
        sink.conversation(conv);
        Ok(())
    }
}

/// What a line is.
#[derive(Debug, PartialEq, Eq)]
pub enum Marker<'a> {
    /// `[label]: text`
    Turn(&'a str, &'a str),
    /// `[label]: ` with a label over the length limit.
    TooLong,
    /// `[]: ` or `[ ]: `: shaped like a turn, without a speaker.
    Blank,
    Text,
}

/// Classify one line.
pub fn parse_marker(line: &str) -> Marker<'_> {
    let Some(rest) = line.strip_prefix('[') else {
        return Marker::Text;
    };
    let Some(close) = rest.find(']') else {
        return Marker::Text;
    };
    let label = &rest[..close];
    let Some(after) = rest[close + 1..].strip_prefix(':') else {
        return Marker::Text;
    };
    // `[X]: text`, or `[X]:` at the end of a line (an empty first line).
    let text = match after.strip_prefix(' ') {
        Some(t) => t,
        None if after.is_empty() || after.starts_with(['\r', '\t']) => after.trim_start(),
        None => return Marker::Text,
    };
    let trimmed = label.trim();
    if trimmed.is_empty() {
        return Marker::Blank;
    }
    if trimmed.chars().all(|c| c.is_ascii_digit()) {
        return Marker::Text;
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Marker::TooLong;
    }
    Marker::Turn(label, text)
}

/// Split a transcript into its preamble and turns; lines that look like turns but are not are
/// reported to `sink`.
pub fn split(text: &str, sink: &mut dyn Sink) -> Conversation {
    let mut conv = Conversation::default();
    let mut preamble = String::new();
    let mut current: Option<Turn> = None;
    for (number, line) in text_lines(text) {
        match parse_marker(line) {
            Marker::Turn(label, first) => {
                conv.turns.extend(current.take().map(finish));
                current = Some(Turn {
                    speaker: label.trim().to_owned(),
                    text: first.to_owned(),
                    origin: Origin::line(number),
                    ..Turn::default()
                });
                continue;
            }
            Marker::TooLong => sink.warning(
                Origin::line(number),
                format!(
                    "speaker label longer than {MAX_LABEL_CHARS} characters; line kept as text"
                ),
            ),
            Marker::Blank => sink.warning(
                Origin::line(number),
                "empty speaker label; line kept as text of the turn above".into(),
            ),
            Marker::Text => {}
        }
        match current.as_mut() {
            Some(turn) => {
                turn.text.push('\n');
                turn.text.push_str(line);
            }
            None => {
                preamble.push_str(line);
                preamble.push('\n');
            }
        }
    }
    conv.turns.extend(current.map(finish));
    settle_preamble(&mut conv, text, &preamble, "[SPEAKER]: ", sink);
    conv
}

fn finish(mut turn: Turn) -> Turn {
    turn.text.truncate(trim_end_ascii(&turn.text).len());
    turn
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{reads, Collect};

    #[test]
    fn markers() {
        assert_eq!(parse_marker("[A]: hi"), Marker::Turn("A", "hi"));
        assert_eq!(
            parse_marker("[Dr. Wu]: 你好"),
            Marker::Turn("Dr. Wu", "你好")
        );
        assert_eq!(parse_marker("[A]:"), Marker::Turn("A", ""));
        for text in ["[A] hi", "[A]:hi", " [A]: hi", "[1]: https://x.org"] {
            assert_eq!(parse_marker(text), Marker::Text, "{text}");
        }
        assert_eq!(parse_marker("[]: hi"), Marker::Blank);
        assert_eq!(parse_marker("[ ]: hi"), Marker::Blank);
        assert_eq!(
            parse_marker(&format!("[{}]: x", "x".repeat(41))),
            Marker::TooLong
        );
        assert!(matches!(
            parse_marker(&format!("[{}]: x", "话".repeat(40))),
            Marker::Turn(..)
        ));
    }

    #[test]
    fn multi_line_turns_and_preamble() {
        let mut sink = Collect::default();
        let conv = split(
            "title line\n\n[A]: one\ncontinued\n\n[B]: two\r\n[A]: three\n\n",
            &mut sink,
        );
        assert_eq!(conv.preamble, "title line");
        // The preamble is not searched: the reader says so, with its line.
        assert!(
            sink.warnings
                .iter()
                .any(|(at, w)| at.line == 1 && w.contains("preamble")),
            "{:?}",
            sink.warnings
        );
        assert_eq!(conv.turns.len(), 3);
        assert_eq!(conv.turns[0].text, "one\ncontinued");
        assert_eq!(conv.turns[0].origin.line, 3);
        assert_eq!(conv.turns[1].speaker, "B");
        assert_eq!(conv.turns[1].text, "two");
        assert_eq!(conv.turns[1].origin.line, 6);
        assert_eq!(conv.turns[2].origin.line, 7);
        assert_eq!(sink.warnings.len(), 1);
    }

    #[test]
    fn unstructured_file_is_one_turn_with_a_warning() {
        let mut sink = Collect::default();
        let conv = split("\n\nplain notes\nmore", &mut sink);
        assert_eq!(conv.turns.len(), 1);
        assert_eq!(conv.turns[0].text, "plain notes\nmore");
        assert_eq!(conv.turns[0].origin.line, 3);
        assert_eq!(sink.warnings.len(), 1);
    }

    #[test]
    fn empty_labels_are_reported_and_kept() {
        let mut sink = Collect::default();
        let conv = split("[A]: hi\n[]: who said this\n[ ]: and this\n", &mut sink);
        assert_eq!(conv.turns.len(), 1);
        assert_eq!(conv.turns[0].text, "hi\n[]: who said this\n[ ]: and this");
        let lines: Vec<u64> = sink.warnings.iter().map(|(o, _)| o.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn too_long_label_is_reported_and_kept() {
        let long = format!("[{}]: said this", "x".repeat(41));
        let mut sink = Collect::default();
        let conv = split(&format!("[A]: hi\n{long}\n"), &mut sink);
        assert_eq!(conv.turns.len(), 1);
        assert_eq!(conv.turns[0].text, format!("hi\n{long}"));
        assert_eq!(sink.warnings.len(), 1);
        assert_eq!(sink.warnings[0].0.line, 2);
    }

    reads!(
        lone_carriage_returns_end_lines,
        Bracket,
        "old-mac.txt",
        "[A]: one\r[B]: two\rmore\r[C]: three",
        [("A", "one"), ("B", "two\nmore"), ("C", "three")]
    );

    reads!(
        markdown_references_stay_in_the_turn,
        Bracket,
        "notes.md",
        "[Alice]: see the docs\n[1]: https://example.org\n[Bob]: 好的\n",
        [
            ("Alice", "see the docs\n[1]: https://example.org"),
            ("Bob", "好的")
        ]
    );

    proptest::proptest! {
        /// Whatever the layout, every character of the file ends up in a turn, a speaker label or
        /// the preamble: nothing is silently dropped.
        #[test]
        fn no_text_is_lost(lines in proptest::collection::vec(
            proptest::prop_oneof![
                "\\[[A-Za-z 王]{1,5}\\]: [a-z 你好，。]{0,20}",
                "[a-z 你好，。\\[\\]:]{0,30}",
            ],
            0..12,
        )) {
            let text = lines.join("\n");
            let conv = split(&text, &mut Collect::default());
            let mut kept: String = conv.preamble.clone();
            for t in &conv.turns {
                kept.push_str(&t.speaker);
                kept.push_str(&t.text);
            }
            let strip = |s: &str| -> String {
                s.chars().filter(|c| !c.is_whitespace() && !"[]:".contains(*c)).collect()
            };
            proptest::prop_assert_eq!(strip(&kept), strip(&text));
        }
    }
}
