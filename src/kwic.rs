//! Concordance (KWIC) rows: each match in a hit as left context | match | right context, the
//! contexts cut to a number of display columns (a CJK character takes two), and the concordance
//! orders of corpus tools (AntConc's L1 and R1 sorts). Printing is `output`'s job.

use std::cmp::Ordering;

use serde::Serialize;

use crate::output::char_width;
use crate::search::Hit;
use crate::spans::{script_of, Script};

/// One match occurrence with its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KwicRow {
    pub conversation: String,
    pub turn: u64,
    pub speaker: String,
    /// The text just before the match: at most the row's context columns, as in the turn.
    pub left: String,
    #[serde(rename = "match")]
    pub matched: String,
    /// The text just after the match.
    pub right: String,
    /// `[start, end)` of the match in Unicode code points into the turn's text.
    pub start: usize,
    pub end: usize,
}

/// How concordance lines are sorted when not in hit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KwicSort {
    /// By the word just before the match.
    Left1,
    /// By the word just after the match.
    Right1,
}

/// Columns a character takes in a concordance line: control characters (line breaks, tabs) are
/// shown as one space.
pub fn cell_width(c: char) -> usize {
    if c.is_control() {
        1
    } else {
        char_width(c)
    }
}

/// Characters a context may hold beyond its columns: zero-width ones (combining marks) take
/// none, and a run of them must not make a context unbounded.
const ZERO_WIDTH_SLACK: usize = 64;

/// One row per highlighted match of `hit`, in text order, with up to `context_cols` columns of
/// context on each side.
pub fn rows(hit: &Hit, context_cols: usize) -> Vec<KwicRow> {
    cut(&hit.turn.text, &hit.highlights, context_cols)
        .into_iter()
        .map(|c| KwicRow {
            conversation: hit.turn.conversation.clone(),
            turn: hit.turn.turn,
            speaker: hit.turn.speaker.clone(),
            left: c.left,
            matched: c.matched,
            right: c.right,
            start: c.start,
            end: c.end,
        })
        .collect()
}

/// A match in a text with its contexts.
#[derive(Debug, PartialEq, Eq)]
struct Cut {
    left: String,
    matched: String,
    right: String,
    start: usize,
    end: usize,
}

/// Each sorted code-point range of `text` with its contexts: one pass over the text whatever the
/// number of matches (a cursor moves forward from match to match).
fn cut(text: &str, highlights: &[[usize; 2]], context_cols: usize) -> Vec<Cut> {
    let mut out = Vec::with_capacity(highlights.len());
    let (mut at_char, mut at_byte) = (0usize, 0usize);
    let mut byte_of = |target: usize| -> usize {
        let rest = text.get(at_byte..).unwrap_or("");
        let mut chars = rest.chars();
        while at_char < target {
            match chars.next() {
                Some(c) => {
                    at_byte += c.len_utf8();
                    at_char += 1;
                }
                None => break,
            }
        }
        at_byte
    };
    for &[start, end] in highlights {
        let from = byte_of(start);
        let to = byte_of(end.max(start));
        out.push(Cut {
            left: last_columns(text.get(..from).unwrap_or(""), context_cols),
            matched: text.get(from..to).unwrap_or("").to_owned(),
            right: first_columns(text.get(to..).unwrap_or(""), context_cols),
            start,
            end,
        });
    }
    out
}

/// The end of `s` that fits in `cols` display columns.
pub fn last_columns(s: &str, cols: usize) -> String {
    let mut used = 0;
    let mut cut = s.len();
    for (taken, (i, c)) in s.char_indices().rev().enumerate() {
        let w = cell_width(c);
        if used + w > cols || taken >= cols + ZERO_WIDTH_SLACK {
            break;
        }
        used += w;
        cut = i;
    }
    s[cut..].to_owned()
}

/// The start of `s` that fits in `cols` display columns.
pub fn first_columns(s: &str, cols: usize) -> String {
    let mut used = 0;
    let mut end = 0;
    for (taken, (i, c)) in s.char_indices().enumerate() {
        let w = cell_width(c);
        if used + w > cols || taken >= cols + ZERO_WIDTH_SLACK {
            break;
        }
        used += w;
        end = i + c.len_utf8();
    }
    s[..end].to_owned()
}

/// Whether `c` is part of a word for L1/R1 sorting.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || script_of(c) == Script::Mark
}

/// Scripts written without spaces between words: each character counts as a word (a Chinese
/// concordance sorts by the character next to the match).
fn unspaced(c: char) -> bool {
    matches!(script_of(c), Script::Han | Script::Kana)
}

/// The word just before the match (AntConc's L1), lowercased; empty when none.
pub fn left1(row: &KwicRow) -> String {
    let before: Vec<char> = row.left.chars().rev().collect();
    let word: String = first_word(&before).iter().rev().collect();
    word.to_lowercase()
}

/// The word just after the match (AntConc's R1), lowercased; empty when none.
pub fn right1(row: &KwicRow) -> String {
    let after: Vec<char> = row.right.chars().collect();
    first_word(&after).iter().collect::<String>().to_lowercase()
}

/// The first word in `chars` (read in either direction): a run of letters, digits and marks with
/// apostrophes inside it (`that's`), or one character of a script written without spaces.
fn first_word(chars: &[char]) -> &[char] {
    let Some(start) = chars.iter().position(|c| word_char(*c)) else {
        return &[];
    };
    if unspaced(chars[start]) {
        return &chars[start..=start];
    }
    let spaced_word = |c: &char| word_char(*c) && !unspaced(*c);
    let mut end = start + 1;
    while end < chars.len() {
        let c = chars[end];
        let inner_apostrophe =
            APOSTROPHES.contains(&c) && chars.get(end + 1).is_some_and(spaced_word);
        if !(inner_apostrophe || spaced_word(&c)) {
            break;
        }
        end += 1;
    }
    &chars[start..end]
}

const APOSTROPHES: [char; 2] = ['\'', '\u{2019}'];

/// Corpus position: conversation, turn, then where in the turn.
fn by_position(a: &KwicRow, b: &KwicRow) -> Ordering {
    (&a.conversation, a.turn, a.start).cmp(&(&b.conversation, b.turn, b.start))
}

/// Sort rows by the word next to the match, case-insensitively; equal words by position.
pub fn sort(rows: &mut [KwicRow], by: KwicSort) {
    let key = match by {
        KwicSort::Left1 => left1,
        KwicSort::Right1 => right1,
    };
    // Each key computed once, not once per comparison.
    let mut keyed: Vec<(String, KwicRow)> = rows.iter().map(|r| (key(r), r.clone())).collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| by_position(&a.1, &b.1)));
    for (slot, (_, row)) in rows.iter_mut().zip(keyed) {
        *slot = row;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(left: &str, right: &str, conversation: &str, turn: u64) -> KwicRow {
        KwicRow {
            conversation: conversation.into(),
            turn,
            speaker: "A".into(),
            left: left.into(),
            matched: "x".into(),
            right: right.into(),
            start: 0,
            end: 1,
        }
    }

    #[test]
    fn every_match_gets_its_own_row() {
        let text = "the art of art and more art";
        let cuts = cut(text, &[[4, 7], [11, 14], [24, 27]], 8);
        let parts: Vec<(&str, &str, &str)> = cuts
            .iter()
            .map(|c| (c.left.as_str(), c.matched.as_str(), c.right.as_str()))
            .collect();
        assert_eq!(
            parts,
            vec![
                ("the ", "art", " of art "),
                (" art of ", "art", " and mor"),
                ("nd more ", "art", ""),
            ]
        );
    }

    #[test]
    fn contexts_are_cut_in_display_columns() {
        // 话 takes two columns: 5 columns hold two of them, never a half.
        let text = "话话话话needle话话话话";
        let cuts = cut(text, &[[4, 10]], 5);
        assert_eq!(cuts[0].left, "话话");
        assert_eq!(cuts[0].matched, "needle");
        assert_eq!(cuts[0].right, "话话");
        assert_eq!(crate::output::display_width(&cuts[0].left), 4);
    }

    #[test]
    fn ranges_past_the_text_are_cut_short_not_a_panic() {
        let cuts = cut("short", &[[3, 99], [200, 300]], 10);
        assert_eq!(cuts[0].matched, "rt");
        assert_eq!(cuts[1].matched, "");
    }

    #[test]
    fn left1_and_right1_are_the_neighbouring_words() {
        let r = row("I said, Hello ", ", World! and", "c", 0);
        assert_eq!(left1(&r), "hello");
        assert_eq!(right1(&r), "world");
        let r = row("That\u{2019}s ", " students' work", "c", 0);
        assert_eq!(left1(&r), "that\u{2019}s");
        assert_eq!(right1(&r), "students");
        // Chinese: the neighbouring character.
        let r = row("我们讨论", "问题", "c", 0);
        assert_eq!(left1(&r), "论");
        assert_eq!(right1(&r), "问");
        assert_eq!(left1(&row("", "x", "c", 0)), "");
    }

    #[test]
    fn sorting_ignores_case_and_breaks_ties_by_position() {
        let mut rows = vec![
            row("the Zebra ", "", "b", 1),
            row("an apple ", "", "b", 0),
            row("the zebra ", "", "a", 7),
            row("APPLE ", "", "a", 9),
        ];
        sort(&mut rows, KwicSort::Left1);
        let order: Vec<(&str, u64)> = rows
            .iter()
            .map(|r| (r.conversation.as_str(), r.turn))
            .collect();
        assert_eq!(order, vec![("a", 9), ("b", 0), ("a", 7), ("b", 1)]);
    }
}
