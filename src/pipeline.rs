//! The per-conversation pipeline: a conversation as read by a format reader → repaired turns with
//! language spans, ready to index; and the repair model's learning from clean turns, which
//! `ingest` and `colloquy repair` share.
//!
//! Every turn is repaired on its own, so its original text is kept exactly as it was in the file.
//! Speaker labels and titles are repaired too (a damaged label would split a speaker in two);
//! metadata values are not: they are matched exactly by `--where`.

use std::path::Path;

use serde::Serialize;

use crate::decode::{self, Decoded};
use crate::formats::{self, ReadOptions, Sink};
use crate::model::{self, Metadata, Origin, Timestamp};
use crate::repair::{CorpusStats, Guess, Repaired, Repairer};
use crate::spans::{self, SegmentConfig, Span};

/// A reader's sink that feeds the repair model the clean turns it reads, until a byte budget
/// shared between threads runs out: the corpus's own emoji, punctuation and names.
pub struct LearnSink {
    pub stats: CorpusStats,
    /// Bytes of turn text still to be read; learning stops at 0.
    pub left: usize,
}

impl Sink for LearnSink {
    fn conversation(&mut self, conv: model::Conversation) {
        for turn in &conv.turns {
            if self.left == 0 {
                return;
            }
            self.left = self.left.saturating_sub(turn.text.len());
            self.stats.observe_if_clean(&turn.text);
        }
    }
    fn skipped(&mut self, _: Origin, _: String) {}
    fn warning(&mut self, _: Origin, _: String) {}
    fn full(&self) -> bool {
        self.left == 0
    }
}

/// How much clean text may teach the repair model, per ingest run and per `colloquy repair`:
/// enough for character and emoji statistics, and a bound on the work done twice when most of a
/// large corpus changed.
pub const LEARN_BYTES: usize = 64 << 20;

/// A file made ready for `colloquy repair`: its decoding, and a repair model that learned from
/// its clean turns as ingest would.
pub struct RepairJob {
    pub decoded: Decoded,
    pub repairer: Repairer,
}

impl RepairJob {
    /// Decode `bytes` and learn from the clean turns of the file as ingest does (through the
    /// reader its format picks; from each line when there is no file, as for stdin).
    pub fn prepare(path: Option<&Path>, bytes: Vec<u8>) -> Result<RepairJob, decode::NotText> {
        let head: Vec<u8> = bytes.iter().take(64 << 10).copied().collect();
        let decoded = decode::decode(bytes)?;
        let mut sink = LearnSink {
            stats: CorpusStats::new(),
            left: LEARN_BYTES,
        };
        let read = path.is_some_and(|p| {
            formats::choose(p, &head)
                .read(p, &ReadOptions::default(), &mut sink)
                .is_ok()
        });
        if !read {
            for line in decoded.text.lines() {
                sink.stats.observe_if_clean(line);
            }
        }
        Ok(RepairJob {
            decoded,
            repairer: Repairer::with_stats(sink.stats),
        })
    }

    /// The repair of the whole text at once, on every core (for output that needs all of it).
    pub fn repair_whole(&self) -> Repaired {
        self.repairer.repair_parallel(&self.decoded.text)
    }

    /// The repair, piece by piece in text order, each piece's offsets its own; memory stays
    /// that of a few pieces (see [`Repairer::repair_in_chunks`]).
    pub fn repair_in_pieces<E>(
        &self,
        each: impl FnMut(Repaired) -> Result<(), E>,
    ) -> Result<(), E> {
        self.repairer.repair_in_chunks(&self.decoded.text, each)
    }
}

/// One turn, ready to index.
#[derive(Debug, Clone, Serialize)]
pub struct Turn {
    /// 0-based position of the turn in its conversation.
    pub index: usize,
    pub origin: Origin,
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
    pub time: Option<Timestamp>,
    pub metadata: Metadata,
}

impl Turn {
    pub fn repaired(&self) -> bool {
        self.original.is_some() || self.speaker_original.is_some()
    }
}

/// A conversation, ready to index.
#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    /// The key inside a multi-conversation file (see [`model::Conversation::key`]).
    pub key: Option<String>,
    pub title: String,
    pub metadata: Metadata,
    pub time: Option<Timestamp>,
    pub preamble: String,
    pub turns: Vec<Turn>,
    pub origin: Origin,
}

/// Run the text stages on one conversation, with the default language set.
pub fn process(conv: model::Conversation, repairer: &Repairer) -> Conversation {
    process_with(conv, repairer, &SegmentConfig::default())
}

/// Run the text stages on one conversation.
pub fn process_with(
    conv: model::Conversation,
    repairer: &Repairer,
    langs: &SegmentConfig,
) -> Conversation {
    let turns: Vec<Turn> = conv
        .turns
        .into_iter()
        .enumerate()
        .map(|(index, raw)| build_turn(index, raw, repairer, langs))
        .collect();
    let title = match conv.title {
        Some(t) if !t.trim().is_empty() => repairer.repair(t.trim()).text,
        _ => title_of(&turns),
    };
    Conversation {
        key: conv.key,
        title,
        metadata: conv.metadata,
        time: conv.time,
        preamble: repairer.repair(&conv.preamble).text,
        turns,
        origin: conv.origin,
    }
}

/// Split a `[Speaker]: ` transcript and run the text stages on it (tests and benchmarks).
pub fn process_text(text: &str, repairer: &Repairer) -> Conversation {
    let raw = crate::formats::bracket::split(text, &mut crate::formats::Collect::default());
    process(raw, repairer)
}

fn build_turn(index: usize, raw: model::Turn, repairer: &Repairer, langs: &SegmentConfig) -> Turn {
    let fixed = repairer.repair(&raw.text);
    let label = repairer.repair(&raw.speaker);
    let spans = spans::segment_with(&fixed.text, langs);
    let summary = spans::summarize(&fixed.text, &spans);
    Turn {
        index,
        origin: raw.origin,
        speaker_original: label.changed.then(|| raw.speaker.clone()),
        speaker: label.text,
        original: fixed.changed.then_some(raw.text),
        text: fixed.text,
        guesses: fixed.guesses,
        spans,
        languages: summary.languages,
        dominant_language: summary.dominant_language,
        code_switched: summary.code_switched,
        time: raw.time,
        metadata: raw.metadata,
    }
}

const OPEN_QUOTES: [char; 6] = ['\'', '‘', '“', '"', '「', '《'];
const CLOSE_QUOTES: [char; 6] = ['\'', '’', '”', '"', '」', '》'];
const TITLE_FALLBACK_CHARS: usize = 40;

/// The conversation's topic when its first turn names one (`关于'…'这个话题`), else the first
/// words of its first turn that is not a system prompt.
pub fn title_of(turns: &[Turn]) -> String {
    let is_system = |t: &&Turn| {
        matches!(
            t.speaker.to_lowercase().as_str(),
            "system" | "developer" | "tool"
        )
    };
    let Some(first) = turns.iter().find(|t| !is_system(t)).or(turns.first()) else {
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
        let conv = process_text(
            "[A]: Hey，关于'最近有尝试什么new photography technique吗？'这个话题，你怎么想的？\n[B]: ok",
            &Repairer::new(),
        );
        assert_eq!(conv.title, "最近有尝试什么new photography technique吗？");
    }

    #[test]
    fn title_falls_back_to_first_words() {
        let conv = process_text("[A]: Hello there, how are you?\n", &Repairer::new());
        assert_eq!(conv.title, "Hello there, how are you?");
    }

    #[test]
    fn a_given_title_wins_and_is_repaired() {
        let raw = model::Conversation {
            title: Some("å…³äºŽ".into()),
            turns: vec![model::Turn {
                text: "hello".into(),
                ..model::Turn::default()
            }],
            ..model::Conversation::default()
        };
        assert_eq!(process(raw, &Repairer::new()).title, "关于");
    }

    #[test]
    fn repaired_turn_keeps_original() {
        let conv = process_text("[A]: å…³äºŽ\n", &Repairer::new());
        let turn = &conv.turns[0];
        assert_eq!(turn.original.as_deref(), Some("å…³äºŽ"));
        assert!(turn.repaired());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            if let Ok(decoded) = crate::decode::decode(bytes) {
                let _ = process_text(&decoded.text, &Repairer::new());
            }
        }
    }
}
