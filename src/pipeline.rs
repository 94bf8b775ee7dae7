//! The per-file pipeline, free of I/O: decoded text → turns → repair → language spans.
//!
//! `ingest` feeds it files and writes its output to the index; `repair` and tests call it directly.
//! Turns are split on the text as decoded, then each turn is repaired on its own, so every turn's
//! original text is kept exactly as it was in the file.

use serde::Serialize;

use crate::repair::{Guess, Repairer};
use crate::spans::{self, SegmentConfig, Span};
use crate::turns;

/// One turn, ready to index.
#[derive(Debug, Clone, Serialize)]
pub struct Turn {
    pub index: usize,
    pub line: usize,
    pub speaker: String,
    /// The speaker label as it was in the file, when repair changed it.
    pub speaker_original: Option<String>,
    pub text: String,
    /// The turn as it was in the file, when repair changed it.
    pub original: Option<String>,
    pub guesses: Vec<Guess>,
    pub spans: Vec<Span>,
    pub languages: Vec<String>,
    pub dominant_language: Option<String>,
    pub code_switched: bool,
}

impl Turn {
    pub fn repaired(&self) -> bool {
        self.original.is_some() || self.speaker_original.is_some()
    }
}

/// A conversation, ready to index.
#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub title: String,
    pub preamble: String,
    pub turns: Vec<Turn>,
    /// True when the file had no `[SPEAKER]: ` line and was indexed as one unattributed turn.
    pub unstructured: bool,
}

/// Run the text stages on one file's decoded text, with the default language set.
pub fn process(text: &str, repairer: &Repairer) -> Conversation {
    process_with(text, repairer, &SegmentConfig::default())
}

/// Run the text stages on one file's decoded text.
pub fn process_with(text: &str, repairer: &Repairer, langs: &SegmentConfig) -> Conversation {
    let mut parsed = turns::split(text);
    let unstructured = parsed.turns.is_empty() && !parsed.preamble.is_empty();
    if unstructured {
        // Never drop text: a file without speaker markers becomes one turn by an unknown speaker.
        parsed.turns.push(turns::RawTurn {
            index: 0,
            line: 1 + text[..text.len() - text.trim_start().len()]
                .matches('\n')
                .count(),
            speaker: String::new(),
            text: std::mem::take(&mut parsed.preamble),
        });
    }
    let turns: Vec<Turn> = parsed
        .turns
        .into_iter()
        .map(|raw| build_turn(raw, repairer, langs))
        .collect();
    let preamble = repairer.repair(&parsed.preamble).text;
    let title = title_of(&turns);
    Conversation {
        title,
        preamble,
        turns,
        unstructured,
    }
}

fn build_turn(raw: turns::RawTurn, repairer: &Repairer, langs: &SegmentConfig) -> Turn {
    let fixed = repairer.repair(&raw.text);
    let label = repairer.repair(&raw.speaker);
    let spans = spans::segment_with(&fixed.text, langs);
    let summary = spans::summarize(&fixed.text, &spans);
    Turn {
        index: raw.index,
        line: raw.line,
        speaker_original: label.changed.then(|| raw.speaker.clone()),
        speaker: label.text,
        original: fixed.changed.then_some(raw.text),
        text: fixed.text,
        guesses: fixed.guesses,
        spans,
        languages: summary.languages,
        dominant_language: summary.dominant_language,
        code_switched: summary.code_switched,
    }
}

const OPEN_QUOTES: [char; 6] = ['\'', '‘', '“', '"', '「', '《'];
const CLOSE_QUOTES: [char; 6] = ['\'', '’', '”', '"', '」', '》'];
const TITLE_FALLBACK_CHARS: usize = 40;

/// The conversation's topic when its first turn names one (`关于'…'这个话题`), else its first words.
pub fn title_of(turns: &[Turn]) -> String {
    let Some(first) = turns.first() else {
        return String::new();
    };
    if let Some(topic) = named_topic(&first.text) {
        return topic.to_owned();
    }
    let line = first.text.lines().next().unwrap_or_default().trim();
    let mut title: String = line.chars().take(TITLE_FALLBACK_CHARS).collect();
    if line.chars().count() > TITLE_FALLBACK_CHARS {
        title.push('…');
    }
    title
}

fn named_topic(text: &str) -> Option<&str> {
    let after = &text[text.find("关于")? + "关于".len()..];
    let open = after.chars().next().filter(|c| OPEN_QUOTES.contains(c))?;
    let body = &after[open.len_utf8()..];
    let end = body.find("这个话题")?;
    let inner = body[..end].trim_end_matches(|c| CLOSE_QUOTES.contains(&c));
    (!inner.trim().is_empty()).then_some(inner.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_from_named_topic() {
        let conv = process(
            "[A]: Hey，关于'最近有尝试什么new photography technique吗？'这个话题，你怎么想的？\n[B]: ok",
            &Repairer::new(),
        );
        assert_eq!(conv.title, "最近有尝试什么new photography technique吗？");
    }

    #[test]
    fn title_falls_back_to_first_words() {
        let conv = process("[A]: Hello there, how are you?\n", &Repairer::new());
        assert_eq!(conv.title, "Hello there, how are you?");
    }

    #[test]
    fn unstructured_file_is_one_turn() {
        let conv = process("\n\nplain notes\nmore", &Repairer::new());
        assert!(conv.unstructured);
        assert_eq!(conv.turns.len(), 1);
        assert_eq!(conv.turns[0].text, "plain notes\nmore");
        assert_eq!(conv.turns[0].line, 3);
    }

    #[test]
    fn repaired_turn_keeps_original() {
        let conv = process("[A]: å…³äºŽ\n", &Repairer::new());
        let turn = &conv.turns[0];
        assert_eq!(turn.original.as_deref(), Some("å…³äºŽ"));
        assert!(turn.repaired());
    }

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
            let conv = process(&text, &Repairer::new());
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

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if let Ok(decoded) = crate::decode::decode(bytes) {
                let _ = process(&decoded.text, &Repairer::new());
            }
        }
    }
}
