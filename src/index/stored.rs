//! What a turn keeps in the index besides its text, as typed values. Repair guesses and language
//! spans, the bulk of a damaged turn's stored data, are kept in a compact binary form (varints,
//! probabilities in thousandths: [`encode_guesses`], [`encode_spans`]); metadata as JSON. Each is
//! read back into these same types, so the printers work on structs, never on stored bytes.

use serde::{Deserialize, Serialize};

use crate::repair::{damage_once, CodePage, Guess, UndefinedState};
use crate::spans::Span;

/// Runners-up kept per guess in the index, and the smallest probability worth keeping.
const STORED_ALTERNATIVES: usize = 3;
const MIN_STORED_PROBABILITY: f64 = 0.001;

/// A repair guess as stored with its turn: probabilities to three decimals and the likeliest
/// runners-up, which is what a reader checks; the full lattice output is `colloquy repair --json`'s
/// job. On the seeds this keeps the stored guesses at about a third of their full size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredGuess {
    pub alternatives: Vec<StoredAlternative>,
    pub chosen: char,
    pub code_page: CodePage,
    pub confidence: f64,
    /// Code-point offsets into the turn's repaired text.
    pub end: usize,
    /// The damaged text this replaced.
    pub original: String,
    pub start: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAlternative {
    pub probability: f64,
    pub text: char,
}

impl StoredGuess {
    pub fn of(g: &Guess) -> Self {
        let round = |p: f64| (p * 1000.0).round() / 1000.0;
        StoredGuess {
            alternatives: g
                .alternatives
                .iter()
                .filter(|a| a.probability >= MIN_STORED_PROBABILITY)
                .take(STORED_ALTERNATIVES)
                .map(|a| StoredAlternative {
                    probability: round(a.probability),
                    text: a.text,
                })
                .collect(),
            chosen: g.chosen,
            code_page: g.code_page,
            confidence: round(g.confidence),
            end: g.end,
            original: g.original.as_str().to_owned(),
            start: g.start,
        }
    }
}

/// Code pages by their stored number. Append only: a number, once written, names its page for
/// good (a test checks every page has one).
const STORED_PAGES: [CodePage; 14] = [
    CodePage::Windows1252,
    CodePage::Windows1254,
    CodePage::Latin1,
    CodePage::Windows1250,
    CodePage::Windows1251,
    CodePage::MacRoman,
    CodePage::Iso8859_2,
    CodePage::Windows1257,
    CodePage::Koi8R,
    CodePage::Iso8859_15,
    CodePage::Windows1253,
    CodePage::MacCyrillic,
    CodePage::Ibm437,
    CodePage::Ibm850,
];

/// A probability rounded to thousandths, as stored.
fn thousandths(p: f64) -> u64 {
    (p.clamp(0.0, 1.0) * 1000.0).round() as u64
}

/// A turn's guesses as stored. Per guess: start (as the distance from the previous guess's end),
/// a flags byte ([`Flags`]), the length unless it is one char, the code page, the chosen char
/// unless the repaired text holds it at `start`, the damaged text unless the page's reading of
/// the chosen char with its undefined bytes lost one of the four ways gives it back, the
/// confidence's distance from 1 (most guesses are sure: one byte), then the runners-up kept by
/// [`StoredGuess::of`], each as its distance from the chosen char (completions of one damaged
/// sequence differ in the lost byte only: one or two bytes). Under a sixteenth of the same in
/// JSON (the seeds: 7.1 KB against 138 KB). Every shortcut is taken only where the long form reads back the same.
pub fn encode_guesses(guesses: &[Guess], text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(guesses.len() * 10);
    let mut prev_end = 0;
    let mut chars = CharAt::new(text);
    for g in guesses.iter().map(StoredGuess::of) {
        let len = g.end.saturating_sub(g.start);
        let chosen_in_text = chars.at(g.start) == Some(g.chosen);
        let lost = LOSSES.iter().position(|&u| {
            reads_as(
                g.chosen.encode_utf8(&mut [0; 4]),
                g.code_page,
                u,
                &g.original,
            )
        });
        let mut flags = lost.map_or(0, |i| (i as u8 + 1) << 2);
        if chosen_in_text {
            flags |= Flags::CHOSEN_IN_TEXT;
        }
        if len == 1 {
            flags |= Flags::ONE_CHAR;
        }
        put(&mut out, g.start.saturating_sub(prev_end) as u64);
        out.push(flags);
        if len != 1 {
            put(&mut out, len as u64);
        }
        let page = STORED_PAGES.iter().position(|&p| p == g.code_page);
        put(&mut out, page.unwrap_or(STORED_PAGES.len()) as u64);
        if !chosen_in_text {
            put(&mut out, u64::from(g.chosen));
        }
        if lost.is_none() {
            put(&mut out, g.original.len() as u64);
            out.extend_from_slice(g.original.as_bytes());
        }
        put(&mut out, 1000 - thousandths(g.confidence));
        put(&mut out, g.alternatives.len() as u64);
        for a in &g.alternatives {
            put(
                &mut out,
                zigzag(i64::from(u32::from(a.text)) - i64::from(u32::from(g.chosen))),
            );
            put(&mut out, thousandths(a.probability));
        }
        prev_end = g.end;
    }
    out
}

/// Bits of a stored guess's flags byte; bits 2..5 hold 1 + the index in [`LOSSES`] of the loss
/// that explains the damaged text, or 0 where it is stored as it is.
struct Flags;

impl Flags {
    const CHOSEN_IN_TEXT: u8 = 1;
    const ONE_CHAR: u8 = 2;
}

/// The ways a page's undefined bytes get lost, by stored number (append only); `true` where the
/// soft hyphen (U+00AD, invisible, which text pipelines strip) went with them, as in the seeds.
const LOSSES: [(UndefinedState, bool); 5] = [
    (UndefinedState::Dropped, false),
    (UndefinedState::Dropped, true),
    (UndefinedState::QuestionMark, false),
    (UndefinedState::Replacement, false),
    (UndefinedState::C1Control, false),
];

/// What `page` shows for `text`'s UTF-8 bytes with its undefined bytes lost as `lost` says.
fn reading<'t>(
    text: &'t str,
    page: CodePage,
    (undefined, soft_hyphen): (UndefinedState, bool),
) -> impl Iterator<Item = char> + 't {
    damage_once(text, page, undefined).filter(move |&c| !(soft_hyphen && c == '\u{AD}'))
}

/// Whether `page`'s reading of `text` under `lost` is `original`, without building it.
fn reads_as(text: &str, page: CodePage, lost: (UndefinedState, bool), original: &str) -> bool {
    reading(text, page, lost).eq(original.chars())
}

fn lost_reading(c: char, page: CodePage, lost: (UndefinedState, bool)) -> String {
    reading(c.encode_utf8(&mut [0; 4]), page, lost).collect()
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    (n >> 1) as i64 ^ -((n & 1) as i64)
}

/// A text's chars by position, for positions asked in increasing order.
struct CharAt<'t> {
    chars: std::str::Chars<'t>,
    next: usize,
    last: Option<(usize, char)>,
}

impl<'t> CharAt<'t> {
    fn new(text: &'t str) -> Self {
        CharAt {
            chars: text.chars(),
            next: 0,
            last: None,
        }
    }

    /// The char at `i`; `None` past the end or before a position already passed.
    fn at(&mut self, i: usize) -> Option<char> {
        if let Some((j, c)) = self.last {
            if j == i {
                return Some(c);
            }
        }
        let c = self.chars.nth(i.checked_sub(self.next)?)?;
        self.next = i + 1;
        self.last = Some((i, c));
        Some(c)
    }
}

/// The guesses of [`encode_guesses`] for the turn whose repaired text is `text`; a malformed
/// record yields the guesses before it.
pub fn decode_guesses(bytes: &[u8], text: &str) -> Vec<StoredGuess> {
    let mut chars = CharAt::new(text);
    records(bytes, |r, at| r.guess(at, &mut chars), |g| g.end)
}

/// A turn's language spans as stored: per span its start (as the distance from the previous
/// span's end), length and language code.
pub fn encode_spans(spans: &[Span]) -> Vec<u8> {
    let mut out = Vec::with_capacity(spans.len() * 6);
    let mut prev_end = 0;
    for s in spans {
        put(&mut out, s.start.saturating_sub(prev_end) as u64);
        put(&mut out, s.end.saturating_sub(s.start) as u64);
        put(&mut out, s.lang.len() as u64);
        out.extend_from_slice(s.lang.as_bytes());
        prev_end = s.end;
    }
    out
}

/// The spans of [`encode_spans`]; a malformed record yields the spans before it.
pub fn decode_spans(bytes: &[u8]) -> Vec<Span> {
    records(bytes, |r, at| r.span(at), |s| s.end)
}

/// Records read one after another, each starting from the previous one's end; reading stops at
/// the first malformed record.
fn records<'a, T>(
    bytes: &'a [u8],
    mut read: impl FnMut(&mut Bytes<'a>, usize) -> Option<T>,
    end: impl Fn(&T) -> usize,
) -> Vec<T> {
    let mut r = Bytes(bytes);
    let mut out = Vec::new();
    let mut prev_end = 0usize;
    while !r.0.is_empty() {
        let Some(record) = read(&mut r, prev_end) else {
            break;
        };
        prev_end = end(&record);
        out.push(record);
    }
    out
}

/// Single-byte pages an original is tried in, by stored number (append only). A mojibake turn
/// is its page's reading of bytes that are mostly the repaired text's own UTF-8, so stored as
/// those bytes it sits beside the text in the same compressed block and costs little; read back
/// through the page it is the original exactly.
const ORIGINAL_PAGES: [&encoding_rs::Encoding; 11] = [
    encoding_rs::WINDOWS_1254,
    encoding_rs::WINDOWS_1252,
    encoding_rs::WINDOWS_1250,
    encoding_rs::WINDOWS_1251,
    encoding_rs::MACINTOSH,
    encoding_rs::ISO_8859_2,
    encoding_rs::WINDOWS_1257,
    encoding_rs::KOI8_R,
    encoding_rs::ISO_8859_15,
    encoding_rs::WINDOWS_1253,
    encoding_rs::X_MAC_CYRILLIC,
];

/// Stored number of an original that is the repaired text read through a page, its undefined
/// bytes lost one way: a page number and a loss follow ([`STORED_PAGES`], [`LOSSES`]).
const ORIGINAL_READING: u8 = 0xFD;
/// Stored number of an original kept as latin-1 bytes (U+0000..U+00FF, one byte each).
const ORIGINAL_LATIN1: u8 = 0xFE;
/// Stored number of an original kept as its own UTF-8 (no page reads it back exactly).
const ORIGINAL_UTF8: u8 = 0xFF;

/// A repaired turn's original as stored. Where repair restored lost bytes, the original is most
/// often exactly what the page makes of the repaired `text` (a guess, right or wrong, only fills
/// bytes the page loses): then three bytes name the page and the loss. Else a page number and the
/// bytes that page reads as the original; the first page that gives it back exactly wins, else
/// the original's UTF-8.
pub fn encode_original(original: &str, text: &str, guesses: &[Guess]) -> Vec<u8> {
    if let Some(reading) = reading_of(original, text, guesses) {
        return reading.to_vec();
    }
    for (n, page) in ORIGINAL_PAGES.iter().enumerate() {
        let (bytes, _, unmappable) = page.encode(original);
        if unmappable {
            continue;
        }
        let (back, malformed) = page.decode_without_bom_handling(&bytes);
        if !malformed && back == original {
            let mut out = Vec::with_capacity(bytes.len() + 1);
            out.push(n as u8);
            out.extend_from_slice(&bytes);
            return out;
        }
    }
    if original.chars().all(|c| u32::from(c) <= 0xFF) {
        let mut out = vec![ORIGINAL_LATIN1];
        out.extend(original.chars().map(|c| u32::from(c) as u8));
        return out;
    }
    let mut out = vec![ORIGINAL_UTF8];
    out.extend_from_slice(original.as_bytes());
    out
}

/// The stored form of an original that the guesses' first page reads from `text` with one of
/// the losses. Pages are tried only where guesses name them: a few readings of a damaged turn,
/// none of a clean one.
fn reading_of(original: &str, text: &str, guesses: &[Guess]) -> Option<[u8; 3]> {
    let page = guesses.first()?.code_page;
    let number = STORED_PAGES.iter().position(|&p| p == page)?;
    LOSSES.iter().enumerate().find_map(|(n, &loss)| {
        reads_as(text, page, loss, original).then_some([ORIGINAL_READING, number as u8, n as u8])
    })
}

/// The original of [`encode_original`] for the turn whose repaired text is `text`; `None` for
/// bytes it cannot have written.
pub fn decode_original(bytes: &[u8], text: &str) -> Option<String> {
    let (&page, rest) = bytes.split_first()?;
    match page {
        ORIGINAL_UTF8 => String::from_utf8(rest.to_vec()).ok(),
        ORIGINAL_LATIN1 => Some(rest.iter().map(|&b| char::from(b)).collect()),
        ORIGINAL_READING => {
            let [page, loss] = rest else { return None };
            let page = *STORED_PAGES.get(usize::from(*page))?;
            Some(reading(text, page, *LOSSES.get(usize::from(*loss))?).collect())
        }
        n => {
            let page = ORIGINAL_PAGES.get(usize::from(n))?;
            let (text, malformed) = page.decode_without_bom_handling(rest);
            (!malformed).then(|| text.into_owned())
        }
    }
}

/// LEB128.
fn put(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let b = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A cursor over stored bytes.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = self.0.split_first()?;
            self.0 = rest;
            n |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.varint()?).ok()
    }

    fn char(&mut self) -> Option<char> {
        char::from_u32(u32::try_from(self.varint()?).ok()?)
    }

    fn probability(&mut self) -> Option<f64> {
        Some(self.varint()? as f64 / 1000.0)
    }

    fn str(&mut self) -> Option<String> {
        let n = self.usize()?;
        if n > self.0.len() {
            return None;
        }
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8(s.to_vec()).ok()
    }

    fn guess(&mut self, prev_end: usize, chars: &mut CharAt) -> Option<StoredGuess> {
        let start = prev_end.checked_add(self.usize()?)?;
        let (&flags, rest) = self.0.split_first()?;
        self.0 = rest;
        let len = if flags & Flags::ONE_CHAR != 0 {
            1
        } else {
            self.usize()?
        };
        let end = start.checked_add(len)?;
        let code_page = *STORED_PAGES.get(self.usize()?)?;
        let chosen = if flags & Flags::CHOSEN_IN_TEXT != 0 {
            chars.at(start)?
        } else {
            self.char()?
        };
        let original = match usize::from(flags >> 2) {
            0 => self.str()?,
            n => lost_reading(chosen, code_page, *LOSSES.get(n - 1)?),
        };
        let confidence = 1000u64.checked_sub(self.varint()?)? as f64 / 1000.0;
        let n = self.usize()?;
        let mut alternatives = Vec::with_capacity(n.min(STORED_ALTERNATIVES));
        for _ in 0..n {
            let delta = unzigzag(self.varint()?);
            let text = char::from_u32(u32::try_from(i64::from(u32::from(chosen)) + delta).ok()?)?;
            let probability = self.probability()?;
            alternatives.push(StoredAlternative { probability, text });
        }
        Some(StoredGuess {
            alternatives,
            chosen,
            code_page,
            confidence,
            end,
            original,
            start,
        })
    }

    fn span(&mut self, prev_end: usize) -> Option<Span> {
        let start = prev_end.checked_add(self.usize()?)?;
        let end = start.checked_add(self.usize()?)?;
        let lang = self.str()?;
        Some(Span { start, end, lang })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repair::Repairer;
    use proptest::prelude::*;

    #[test]
    fn every_code_page_has_a_stored_number() {
        for page in CodePage::ALL {
            assert!(STORED_PAGES.contains(&page), "{page:?}");
        }
    }

    #[test]
    fn guesses_of_a_damaged_seed_round_trip_at_a_sixteenth_of_json() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/000_69e3827c508b06a3.txt"
        );
        let text = std::fs::read_to_string(path).expect("seed");
        let repaired = Repairer::new().repair(&text);
        assert!(repaired.guesses.len() > 100);
        let bytes = encode_guesses(&repaired.guesses, &repaired.text);
        let want: Vec<StoredGuess> = repaired.guesses.iter().map(StoredGuess::of).collect();
        assert_eq!(decode_guesses(&bytes, &repaired.text), want);
        let json = serde_json::to_string(&want).expect("json").len();
        assert!(
            bytes.len() * 16 < json,
            "{} bytes, JSON {json}",
            bytes.len()
        );
    }

    #[test]
    fn spans_round_trip() {
        let spans = vec![
            Span {
                start: 0,
                end: 5,
                lang: "zh".into(),
            },
            Span {
                start: 5,
                end: 300,
                lang: "en".into(),
            },
            Span {
                start: 301,
                end: 302,
                lang: "und".into(),
            },
        ];
        assert_eq!(decode_spans(&encode_spans(&spans)), spans);
        assert!(decode_spans(&[]).is_empty());
    }

    /// The three damaged seeds, by name, as read.
    fn damaged_seeds() -> Vec<(&'static str, String)> {
        [
            "000_69e3827c508b06a3",
            "002_a46578f8551527d5",
            "003_c8cacc78d537ad71",
        ]
        .into_iter()
        .map(|seed| {
            let path = format!("{}/corpus/{seed}.txt", env!("CARGO_MANIFEST_DIR"));
            (seed, std::fs::read_to_string(path).expect("seed"))
        })
        .collect()
    }

    #[test]
    fn originals_of_the_damaged_seeds_come_back_exactly_in_their_page() {
        for (seed, text) in damaged_seeds() {
            let repaired = Repairer::new().repair(&text).text;
            // Without guesses to name a page: page bytes, no more than the repaired text's own
            // UTF-8 (fewer where bytes were lost), not its mojibake's.
            let stored = encode_original(&text, &repaired, &[]);
            assert_eq!(
                decode_original(&stored, &repaired).as_deref(),
                Some(text.as_str())
            );
            assert!(stored[0] < ORIGINAL_LATIN1, "{seed}: page {}", stored[0]);
            assert!(stored.len() <= repaired.len() + 1, "{seed}");
        }
    }

    /// Turn by turn, as ingest stores them: nearly every damaged line of the seeds is the page's
    /// reading of its repair, three bytes; every line comes back exactly.
    #[test]
    fn originals_of_damaged_turns_are_mostly_the_pages_reading_of_the_repair() {
        let (mut lines, mut readings) = (0, 0);
        for (_, text) in damaged_seeds() {
            for line in text.lines() {
                let r = Repairer::new().repair(line);
                if r.guesses.is_empty() {
                    continue;
                }
                let stored = encode_original(line, &r.text, &r.guesses);
                assert_eq!(decode_original(&stored, &r.text).as_deref(), Some(line));
                lines += 1;
                readings += usize::from(stored.len() == 3 && stored[0] == ORIGINAL_READING);
            }
        }
        assert!(lines >= 50, "{lines} lines with guesses");
        assert!(
            readings * 10 >= lines * 9,
            "{readings} of {lines} lines stored as readings"
        );
    }

    #[test]
    fn originals_no_page_reads_stay_utf8() {
        for original in [
            "",
            "plain ASCII",
            "中文 and ã¤",
            "€\u{81}\u{8d}",
            "ÿ\u{80}\u{9f}",
            "😏 ä¸",
        ] {
            let stored = encode_original(original, "", &[]);
            assert_eq!(
                decode_original(&stored, "").as_deref(),
                Some(original),
                "{original:?}"
            );
        }
        assert_eq!(decode_original(&[], ""), None);
        assert_eq!(decode_original(&[ORIGINAL_UTF8, 0xC3], ""), None);
        assert_eq!(decode_original(&[200, b'a'], ""), None);
        assert_eq!(decode_original(&[ORIGINAL_READING, 1], "x"), None);
        assert_eq!(decode_original(&[ORIGINAL_READING, 99, 0], "x"), None);
    }

    proptest! {
        #[test]
        fn malformed_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_guesses(&bytes, "");
            let _ = decode_guesses(&bytes, "话题 about");
            let _ = decode_spans(&bytes);
            let _ = decode_original(&bytes, "话题 about");
        }

        /// Every shortcut of the stored form, taken or not, reads back what the long form says:
        /// the chosen char in the text or not, the damaged text the page's reading or not.
        #[test]
        fn any_guesses_round_trip(
            guesses in proptest::collection::vec(
                (0usize..4, 1usize..3, 0usize..14, any::<char>(), 0u32..1001,
                 proptest::collection::vec((any::<char>(), 0u32..1001), 0..4),
                 0usize..7, "\\PC{0,3}"),
                0..6),
            text in "\\PC{0,30}",
        ) {
            let text_chars: Vec<char> = text.chars().collect();
            let mut at = 0;
            let mut list = Vec::new();
            for (gap, len, page, chosen, conf, alts, how, other) in guesses {
                let start = at + gap;
                let code_page = CodePage::ALL[page];
                // how: 0..5 the page's reading under LOSSES[how], 5 the text's char, 6 other text.
                let chosen = if how == 5 { text_chars.get(start).copied().unwrap_or(chosen) } else { chosen };
                let original = match LOSSES.get(how) {
                    Some(&u) => lost_reading(chosen, code_page, u),
                    None => other,
                };
                let original: Vec<char> = original.chars().take(3).collect();
                list.push(Guess {
                    start,
                    end: start + len,
                    chosen,
                    alternatives: alts
                        .into_iter()
                        .map(|(text, p)| crate::repair::Alternative { text, probability: f64::from(p) / 1000.0 })
                        .collect(),
                    confidence: f64::from(conf) / 1000.0,
                    original: crate::repair::ShortStr::from_chars(&original),
                    code_page,
                });
                at = start + len;
            }
            let want: Vec<StoredGuess> = list.iter().map(StoredGuess::of).collect();
            prop_assert_eq!(decode_guesses(&encode_guesses(&list, &text), &text), want);
        }

        #[test]
        fn any_original_round_trips(original in "\\PC{0,40}") {
            prop_assert_eq!(decode_original(&encode_original(&original, "", &[]), ""), Some(original));
        }
    }
}
