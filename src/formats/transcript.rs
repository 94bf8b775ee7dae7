//! `Speaker: text` transcripts (interviews, meetings, chats pasted as text), one conversation per
//! file.
//!
//! A line opens a turn when it reads `[TIME] LABEL: text` where
//! - TIME is optional: `[T]`, `(T)` or a bare `T` followed by a space, T being anything
//!   `model::parse_timestamp` reads: a media offset (`00:01:23`, `01:23.5`) or a date and time
//!   (`2024-01-12 21:04`). It becomes the turn's time.
//! - LABEL starts the line (after TIME) and is 1–32 characters and at most 3 words; it starts
//!   with a letter of any script (`王老师`, `Q`); it contains no `/`, no `@` and no `.` followed
//!   by a letter (URLs, e-mail addresses, `e.g.`); it is not a URL scheme (`http`, `https`, `ftp`,
//!   `mailto`, `file`); and its first word is not one that introduces content, in any case:
//!   `Note`, `Notes`, `NB`, `PS`, `P.S`, `Warning`, `Caution`, `Tip`, `Example`, `e.g`, `Update`,
//!   `Edit`, `Subject`, `Re`, `Fwd`, `Date`, `Time`, `Source`, `See`, `TODO`, `FIXME`, `Step`.
//!   (`Q`, `A`, `Question`, `Answer`, `Interviewer`, `Interviewee` are speakers.)
//! - The colon is `:` followed by a space or the end of the line (so `10:30` and `https://` never
//!   open a turn), or the full-width `：` followed by anything.
//! - The same LABEL opens at least 2 lines of the file, or the line has a TIME. A label seen once
//!   is text of the turn it is in.
//!
//! The file is read in two passes: the first counts labels, the second splits. Any line that
//! does not open a turn belongs to the turn above it, so a turn runs to the next opening line;
//! text before the first turn is the preamble. A file without any opening line is one turn with
//! no speaker (with a warning), so nothing is dropped. Lines end at `\n`, `\r\n` or a lone `\r`;
//! a turn's trailing whitespace is dropped. The sniff says "likely" when the first 64 KiB hold at
//! least 3 opening lines by at least 2 speakers.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::{
    head_text, read_text, settle_preamble, text_lines, FormatError, ReadOptions, Reader, Sink,
};
use crate::model::{parse_timestamp, Conversation, Origin, Timestamp, Turn};

pub struct Transcript;

const MAX_LABEL_CHARS: usize = 32;
const MAX_LABEL_WORDS: usize = 3;

/// First words of labels that introduce content rather than name a speaker.
const STOP_WORDS: &[&str] = &[
    "note", "notes", "nb", "ps", "p.s", "warning", "caution", "tip", "example", "e.g", "update",
    "edit", "subject", "re", "fwd", "date", "time", "source", "see", "todo", "fixme", "step",
];

const URL_SCHEMES: &[&str] = &["http", "https", "ftp", "mailto", "file"];

impl Reader for Transcript {
    fn name(&self) -> &'static str {
        "transcript"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["txt", "md", "text", ""]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        let text = head_text(head);
        let counts = label_counts(&text);
        let mut speakers = HashSet::new();
        let mut turns = 0;
        for (_, line) in text_lines(&text) {
            if let Some(open) = opening(line).filter(|o| opens(o, &counts)) {
                speakers.insert(open.label);
                turns += 1;
            }
        }
        if speakers.len() >= 2 && turns >= 3 {
            2
        } else {
            0
        }
    }
    fn read(&self, path: &Path, _: &ReadOptions, sink: &mut dyn Sink) -> Result<(), FormatError> {
        let decoded = read_text(path, sink)?;
        let conv = split(&decoded.text, sink);
        sink.conversation(conv);
        Ok(())
    }
}

/// A line shaped like a turn's first line. Whether it opens one depends on the rest of the file.
#[derive(Debug, PartialEq, Eq)]
pub struct Opening<'a> {
    pub time: Option<Timestamp>,
    pub label: &'a str,
    pub text: &'a str,
}

/// The line's time, label and text when it has the shape of a turn's first line.
pub fn opening(line: &str) -> Option<Opening<'_>> {
    let (time, rest) = strip_time(line);
    let colon = rest.find([':', '：'])?;
    let label = rest.get(..colon)?.trim_end();
    let after = rest.get(colon..)?;
    let text = match after.strip_prefix('：') {
        Some(text) => text,
        None => {
            let text = after.strip_prefix(':')?;
            if !(text.is_empty() || text.starts_with(char::is_whitespace)) {
                return None;
            }
            text
        }
    };
    is_label(label).then(|| Opening {
        time,
        label,
        text: text.trim_start(),
    })
}

/// A leading `[T]`, `(T)` or `T ` that `parse_timestamp` reads, and the rest of the line.
fn strip_time(line: &str) -> (Option<Timestamp>, &str) {
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = line.strip_prefix(open) {
            return match inner.split_once(close) {
                Some((t, rest)) => match parse_timestamp(t) {
                    Some(time) => (Some(time), rest.trim_start()),
                    None => (None, line),
                },
                None => (None, line),
            };
        }
    }
    if !line.starts_with(|c: char| c.is_ascii_digit()) {
        return (None, line);
    }
    let Some((first, after_first)) = line.split_once(' ') else {
        return (None, line);
    };
    // A date is followed by its clock: `2024-01-12 21:04 Alice: …`.
    if let Some((second, rest)) = after_first.split_once(' ') {
        let date_time = line.get(..first.len() + 1 + second.len()).unwrap_or("");
        if let Some(time) = parse_timestamp(date_time).filter(|_| first.len() == 10) {
            return (Some(time), rest.trim_start());
        }
    }
    match parse_timestamp(first) {
        Some(time) => (Some(time), after_first.trim_start()),
        None => (None, line),
    }
}

/// Whether `label` may name a speaker (every rule but the count; see the module comment).
pub fn is_label(label: &str) -> bool {
    let chars = label.chars().count();
    if !(1..=MAX_LABEL_CHARS).contains(&chars)
        || label.split_whitespace().count() > MAX_LABEL_WORDS
        || !label.starts_with(char::is_alphabetic)
        || label.contains(['/', '@'])
    {
        return false;
    }
    let dotted_word = label
        .chars()
        .zip(label.chars().skip(1))
        .any(|(a, b)| a == '.' && b.is_alphabetic());
    let first = label.split_whitespace().next().unwrap_or("");
    let first = first.trim_end_matches('.');
    !dotted_word
        && !STOP_WORDS.iter().any(|w| w.eq_ignore_ascii_case(first))
        && !URL_SCHEMES.iter().any(|s| s.eq_ignore_ascii_case(label))
}

/// How many lines each label would open.
fn label_counts(text: &str) -> HashMap<&str, u32> {
    let mut counts = HashMap::new();
    for (_, line) in text_lines(text) {
        if let Some(open) = opening(line) {
            *counts.entry(open.label).or_insert(0) += 1;
        }
    }
    counts
}

fn opens(open: &Opening, counts: &HashMap<&str, u32>) -> bool {
    open.time.is_some() || counts.get(open.label).is_some_and(|&n| n >= 2)
}

/// Split a transcript into its preamble and turns.
pub fn split(text: &str, sink: &mut dyn Sink) -> Conversation {
    let counts = label_counts(text);
    let mut conv = Conversation::default();
    let mut preamble = String::new();
    let mut current: Option<Turn> = None;
    for (number, line) in text_lines(text) {
        if let Some(open) = opening(line).filter(|o| opens(o, &counts)) {
            conv.turns.extend(current.take().map(finish));
            current = Some(Turn {
                speaker: open.label.to_owned(),
                text: open.text.to_owned(),
                time: open.time,
                origin: Origin::line(number),
                ..Turn::default()
            });
            continue;
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
    settle_preamble(&mut conv, text, &preamble, "SPEAKER: ", sink);
    conv
}

/// Only trailing ASCII whitespace goes: a trailing U+00A0 may be the last
/// byte of a mojibake character that repair needs (see `trim_end_ascii`).
fn finish(mut turn: Turn) -> Turn {
    turn.text.truncate(super::trim_end_ascii(&turn.text).len());
    turn
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{read_as, turns_of};
    use crate::formats::{reads, Collect};

    fn turns(text: &str) -> Vec<(String, String)> {
        let conv = split(text, &mut Collect::default());
        conv.turns
            .into_iter()
            .map(|t| (t.speaker, t.text))
            .collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(s, t)| (s.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn only_ascii_whitespace_is_trimmed_from_a_turn() {
        // `加` through windows-1252 ends in U+00A0: repair needs it.
        assert_eq!(
            turns("Alice: \u{e5}\u{160}\u{a0}\nBob: ok \t\nAlice: yes\nBob: no\n"),
            pairs(&[
                ("Alice", "\u{e5}\u{160}\u{a0}"),
                ("Bob", "ok"),
                ("Alice", "yes"),
                ("Bob", "no")
            ])
        );
    }

    #[test]
    fn label_rules() {
        for speaker in [
            "Alice",
            "Q",
            "A",
            "Interviewer",
            "Interviewee",
            "Dr. Wu",
            "Speaker 1",
            "王老师",
            "Mary Ann Lee",
            "Answer",
        ] {
            assert!(is_label(speaker), "{speaker}");
        }
        let long = "x".repeat(33);
        for text in [
            "",
            "1st",
            " Alice",
            "(Alice)",
            "one two three four",
            long.as_str(),
            "http",
            "HTTPS",
            "mailto",
            "file",
            "Note",
            "NOTES",
            "NB",
            "PS",
            "P.S",
            "e.g",
            "i.e",
            "Warning",
            "Caution",
            "Tip",
            "Example 2",
            "Update",
            "Edit",
            "Subject",
            "Re",
            "Fwd",
            "Date",
            "Time",
            "Source",
            "See",
            "TODO",
            "FIXME",
            "Step 3",
            "www.example.com",
            "a/b",
            "bob@example",
        ] {
            assert!(!is_label(text), "{text}");
        }
        assert!(is_label(&"话".repeat(32)));
    }

    #[test]
    fn openings_need_a_spaced_colon_or_a_full_width_one() {
        let o = |line| opening(line).map(|o| (o.label, o.text));
        assert_eq!(o("Alice: hi"), Some(("Alice", "hi")));
        assert_eq!(o("Alice:"), Some(("Alice", "")));
        assert_eq!(o("Alice :\tthere"), Some(("Alice", "there")));
        assert_eq!(o("王老师：你好"), Some(("王老师", "你好")));
        assert_eq!(o("Q：为什么?"), Some(("Q", "为什么?")));
        for text in [
            "Alice:hi",
            "See https://example.org",
            "https://example.org",
            "Meeting at 10:30 we met",
            "ratio 3:2",
            "  Alice: indented",
            "no colon at all",
        ] {
            assert_eq!(opening(text), None, "{text}");
        }
    }

    #[test]
    fn timestamps_before_the_label() {
        let t = |line| opening(line).map(|o| (o.time.map(|t| t.to_string()), o.label, o.text));
        let offset = Some("00:01:23.000".to_string());
        assert_eq!(
            t("[00:01:23] Alice: hi"),
            Some((offset.clone(), "Alice", "hi"))
        );
        assert_eq!(
            t("(00:01:23) Alice: hi"),
            Some((offset.clone(), "Alice", "hi"))
        );
        assert_eq!(
            t("00:01:23 Alice: hi"),
            Some((offset.clone(), "Alice", "hi"))
        );
        assert_eq!(t("[00:01:23]Alice: hi"), Some((offset, "Alice", "hi")));
        let at = Some("2024-01-12T21:04:00Z".to_string());
        assert_eq!(
            t("[2024-01-12 21:04] 王老师：好"),
            Some((at.clone(), "王老师", "好"))
        );
        assert_eq!(t("2024-01-12 21:04 Bob: ok"), Some((at, "Bob", "ok")));
        assert_eq!(
            t("2024-01-12 Bob: ok"),
            Some((Some("2024-01-12T00:00:00Z".into()), "Bob", "ok"))
        );
        assert_eq!(t("[Music] Bob: ok"), None);
        assert_eq!(t("[00:01:23] (laughs)"), None);
    }

    reads!(
        content_labels_stay_in_the_turn,
        Transcript,
        "interview.txt",
        "Interviewer: first\nNote: one\nInterviewee: answer\nNote: two\nSee https://x.org/a\nhttps://x.org/b\nInterviewer: bye\nInterviewee: bye\n",
        [
            ("Interviewer", "first\nNote: one"),
            (
                "Interviewee",
                "answer\nNote: two\nSee https://x.org/a\nhttps://x.org/b"
            ),
            ("Interviewer", "bye"),
            ("Interviewee", "bye"),
        ]
    );

    #[test]
    fn a_label_seen_once_is_text_unless_timed() {
        assert_eq!(
            turns("A: one\nIn short: it works\nB: two\nA: three\nB: four\n"),
            pairs(&[
                ("A", "one\nIn short: it works"),
                ("B", "two"),
                ("A", "three"),
                ("B", "four"),
            ])
        );
        assert_eq!(
            turns("[00:00:01] A: one\n[00:00:02] Guest: once\n"),
            pairs(&[("A", "one"), ("Guest", "once")])
        );
    }

    #[test]
    fn preamble_multi_line_turns_and_line_endings() {
        let mut sink = Collect::default();
        let conv = split(
            "Title\r\nDate: 2024-05-10\r\n\r\nQ: why?\r\nbecause\rA: yes\r\rQ: ok\nA: fine  \n\n",
            &mut sink,
        );
        assert_eq!(conv.preamble, "Title\r\nDate: 2024-05-10".replace('\r', ""));
        let got: Vec<(&str, &str, u64)> = conv
            .turns
            .iter()
            .map(|t| (t.speaker.as_str(), t.text.as_str(), t.origin.line))
            .collect();
        assert_eq!(
            got,
            [
                ("Q", "why?\nbecause", 4),
                ("A", "yes", 6),
                ("Q", "ok", 8),
                ("A", "fine", 9)
            ]
        );
        // One warning: the preamble is kept but not searched.
        assert_eq!(sink.warnings.len(), 1, "{:?}", sink.warnings);
    }

    #[test]
    fn a_file_without_turns_is_one_turn_with_a_warning() {
        let mut sink = Collect::default();
        let conv = split("\nJust notes: nothing else\nmore\n", &mut sink);
        assert_eq!(conv.turns.len(), 1);
        assert_eq!(conv.turns[0].text, "Just notes: nothing else\nmore");
        assert_eq!(conv.turns[0].origin.line, 2);
        assert_eq!(sink.warnings.len(), 1);
    }

    #[test]
    fn sniffs_two_speakers_and_three_turns() {
        assert_eq!(Transcript.sniff(b"A: hi\nB: yo\nA: ok\nB: k\n"), 2);
        assert_eq!(
            Transcript.sniff(b"A: hi\nB: yo\nA: ok\n"),
            0,
            "B is seen once"
        );
        assert_eq!(
            Transcript.sniff(b"[1:00] A: hi\n[1:01] B: yo\n"),
            0,
            "two turns"
        );
        assert_eq!(Transcript.sniff(b"A: hi\nA: yo\nA: ok\n"), 0, "one speaker");
        assert_eq!(Transcript.sniff(b"Note: a\nNote: b\nSee: c\nSee: d\n"), 0);
        assert_eq!(
            Transcript.sniff(b"[00:01] Ann: hi\n[00:02] Bo: yo\n[00:03] Cy: ok\n"),
            2
        );
        assert_eq!(
            crate::formats::choose(Path::new("a.txt"), b"A: hi\nB: yo\nA: ok\nB: k\n").name(),
            "transcript"
        );
        assert_eq!(
            crate::formats::choose(Path::new("a.txt"), b"[A]: hi\n[B]: yo\n").name(),
            "bracket"
        );
    }

    #[test]
    fn fixtures_read_as_expected() {
        crate::formats::testing::check_fixture_dir("transcript");
    }

    #[test]
    fn fixture_details() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/formats/transcript/interview.txt");
        let c = read_as(
            &Transcript,
            "interview.txt",
            &std::fs::read(path).expect("fixture"),
            &crate::formats::ReadOptions::default(),
        );
        let conv = &c.conversations[0];
        assert!(conv.preamble.ends_with("Transcribed by: volunteer team"));
        assert!(turns_of(&c)[1].1.contains("\nNote: the school"));
        assert!(turns_of(&c)[6]
            .1
            .ends_with("\nhttps://example.org/appendix has the data tables."));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = Transcript.sniff(&bytes);
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("t.txt");
            std::fs::write(&path, &bytes).expect("write");
            let _ = Transcript.read(&path, &crate::formats::ReadOptions::default(), &mut Collect::default());
        }

        /// Every character of the file ends up in the preamble, a speaker label, a turn or a
        /// timestamp: nothing is silently dropped.
        #[test]
        fn no_text_is_lost(lines in proptest::collection::vec(
            proptest::prop_oneof![
                "(\\[00:0[0-9]:1[0-9]\\] )?(A|Bo|王|Note|See) ?[:：] [a-z 你好，。:/]{0,20}",
                "[a-z 你好，。\\[\\]:：/]{0,30}",
            ],
            0..12,
        )) {
            let text = lines.join("\n");
            let conv = split(&text, &mut Collect::default());
            let mut kept: String = conv.preamble.clone();
            for t in &conv.turns {
                kept.push_str(&t.speaker);
                kept.push_str(&t.time.map(|t| t.to_string()).unwrap_or_default());
                kept.push_str(&t.text);
            }
            let strip = |s: &str| -> String {
                s.chars().filter(|c| !c.is_whitespace() && !"[]:：.0123456789".contains(*c)).collect()
            };
            let mut a: Vec<char> = strip(&kept).chars().collect();
            let mut b: Vec<char> = strip(&text).chars().collect();
            a.sort_unstable();
            b.sort_unstable();
            proptest::prop_assert_eq!(a, b);
        }
    }
}
