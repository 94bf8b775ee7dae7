//! Corpus statistics for `colloquy stats`, summed from the ingest manifest (never a scan of the
//! index, so it costs the same for four conversations or a million).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::Result;
use crate::index::{self, manifest::update};

#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub conversations: usize,
    pub turns: usize,
    pub characters: usize,
    pub speakers: Vec<SpeakerStats>,
    pub languages: Vec<LanguageStats>,
    pub code_switched_turns: usize,
    /// Share of turns that are code-switched, 0–1.
    pub code_switched_share: f64,
    pub repair: RepairStats,
    /// Files per format reader.
    pub formats: BTreeMap<String, usize>,
    /// Records (or lines) the readers skipped, each reported when it was read.
    pub records_skipped: usize,
    pub index_bytes: u64,
    /// With `stats --top N`: how many speakers and languages the lists leave out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub omitted: Option<Omitted>,
}

/// Entries `stats --top N` left out of each list.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Omitted {
    pub speakers: usize,
    pub languages: usize,
}

impl Stats {
    /// Keep the first `n` speakers and languages (the lists are largest first) and say how many
    /// were left out; the totals stay those of the whole corpus.
    pub fn top(mut self, n: usize) -> Self {
        let omitted = Omitted {
            speakers: self.speakers.len().saturating_sub(n),
            languages: self.languages.len().saturating_sub(n),
        };
        self.speakers.truncate(n);
        self.languages.truncate(n);
        self.omitted = Some(omitted);
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SpeakerStats {
    pub speaker: String,
    pub turns: usize,
    pub characters: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct LanguageStats {
    pub language: String,
    /// Turns with a span of this language.
    pub turns: usize,
    /// Turns where it is the dominant language.
    pub dominant: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepairStats {
    /// Files with at least one repaired turn.
    pub files_touched: usize,
    pub repaired_turns: usize,
    /// Characters whose lost bytes repair had to restore (one guess each).
    pub characters_restored: usize,
    pub low_confidence_guesses: usize,
}

/// Statistics of the index at `dir`.
pub fn collect(dir: &Path) -> Result<Stats> {
    let manifest = index::manifest(dir)?;
    let mut speakers: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut languages: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut turns, mut characters, mut code_switched) = (0, 0, 0);
    let mut repair = RepairStats {
        files_touched: 0,
        repaired_turns: 0,
        characters_restored: 0,
        low_confidence_guesses: 0,
    };
    let mut formats: BTreeMap<String, usize> = BTreeMap::new();
    let mut records_skipped = 0;
    for entry in manifest.files.values() {
        update(&mut formats, &entry.format, |n| *n += 1);
        records_skipped += entry.skipped_records;
        turns += entry.turns;
        characters += entry.stats.characters;
        code_switched += entry.stats.code_switched;
        for (name, (t, c)) in entry.stats.speakers.iter() {
            update(&mut speakers, name, |s: &mut (usize, usize)| {
                s.0 += t;
                s.1 += c;
            });
        }
        for (lang, n) in entry.stats.languages.iter() {
            update(&mut languages, lang, |l: &mut (usize, usize)| l.0 += n);
        }
        for (lang, n) in entry.stats.dominant.iter() {
            update(&mut languages, lang, |l: &mut (usize, usize)| l.1 += n);
        }
        repair.files_touched += usize::from(entry.repaired_turns > 0);
        repair.repaired_turns += entry.repaired_turns;
        repair.characters_restored += entry.guesses;
        repair.low_confidence_guesses += entry.stats.low_confidence_guesses;
    }
    let mut speakers: Vec<SpeakerStats> = speakers
        .into_iter()
        .map(|(speaker, (turns, characters))| SpeakerStats {
            speaker,
            turns,
            characters,
        })
        .collect();
    speakers.sort_by(|a, b| b.turns.cmp(&a.turns).then(a.speaker.cmp(&b.speaker)));
    let mut languages: Vec<LanguageStats> = languages
        .into_iter()
        .map(|(language, (turns, dominant))| LanguageStats {
            language,
            turns,
            dominant,
        })
        .collect();
    languages.sort_by(|a, b| b.turns.cmp(&a.turns).then(a.language.cmp(&b.language)));
    Ok(Stats {
        conversations: manifest
            .files
            .values()
            .map(|e| e.conversation_count())
            .sum(),
        turns,
        characters,
        speakers,
        languages,
        code_switched_turns: code_switched,
        code_switched_share: if turns == 0 {
            0.0
        } else {
            code_switched as f64 / turns as f64
        },
        repair,
        formats,
        records_skipped,
        index_bytes: dir_size(dir),
        omitted: None,
    })
}

fn dir_size(dir: &Path) -> u64 {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(speakers: usize) -> Stats {
        Stats {
            conversations: 1,
            turns: speakers,
            characters: 0,
            speakers: (0..speakers)
                .map(|i| SpeakerStats {
                    speaker: format!("s{i}"),
                    turns: 1,
                    characters: 0,
                })
                .collect(),
            languages: vec![LanguageStats {
                language: "en".into(),
                turns: 1,
                dominant: 1,
            }],
            code_switched_turns: 0,
            code_switched_share: 0.0,
            repair: RepairStats {
                files_touched: 0,
                repaired_turns: 0,
                characters_restored: 0,
                low_confidence_guesses: 0,
            },
            formats: BTreeMap::new(),
            records_skipped: 0,
            index_bytes: 0,
            omitted: None,
        }
    }

    #[test]
    fn top_cuts_the_lists_and_counts_what_it_left_out() {
        let s = stats(5).top(2);
        assert_eq!(s.speakers.len(), 2);
        assert_eq!(s.speakers[0].speaker, "s0");
        assert_eq!(
            s.omitted,
            Some(Omitted {
                speakers: 3,
                languages: 0
            })
        );
        assert_eq!(s.turns, 5);
    }
}
