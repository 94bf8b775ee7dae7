//! What a turn keeps in the index besides its text, as typed values. Repair guesses and language
//! spans, the bulk of a damaged turn's stored data, are kept in a compact binary form (varints,
//! probabilities in thousandths: [`encode_guesses`], [`encode_spans`]); metadata as JSON. Each is
//! read back into these same types, so the printers work on structs, never on stored bytes.

use serde::{Deserialize, Serialize};

use crate::repair::{CodePage, Guess};
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
/// length, code page, chosen char, confidence, the damaged text, then the runners-up kept by
/// [`StoredGuess::of`]. About a tenth of the same in JSON.
pub fn encode_guesses(guesses: &[Guess]) -> Vec<u8> {
    let mut out = Vec::with_capacity(guesses.len() * 12);
    let mut prev_end = 0;
    for g in guesses.iter().map(StoredGuess::of) {
        put(&mut out, g.start.saturating_sub(prev_end) as u64);
        put(&mut out, g.end.saturating_sub(g.start) as u64);
        let page = STORED_PAGES.iter().position(|&p| p == g.code_page);
        put(&mut out, page.unwrap_or(STORED_PAGES.len()) as u64);
        put(&mut out, u64::from(g.chosen));
        put(&mut out, thousandths(g.confidence));
        put(&mut out, g.original.len() as u64);
        out.extend_from_slice(g.original.as_bytes());
        put(&mut out, g.alternatives.len() as u64);
        for a in &g.alternatives {
            put(&mut out, u64::from(a.text));
            put(&mut out, thousandths(a.probability));
        }
        prev_end = g.end;
    }
    out
}

/// The guesses of [`encode_guesses`]; a malformed record yields the guesses before it.
pub fn decode_guesses(bytes: &[u8]) -> Vec<StoredGuess> {
    records(bytes, |r, at| r.guess(at), |g| g.end)
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
    read: impl Fn(&mut Bytes<'a>, usize) -> Option<T>,
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

/// Stored number of an original kept as latin-1 bytes (U+0000..U+00FF, one byte each).
const ORIGINAL_LATIN1: u8 = 0xFE;
/// Stored number of an original kept as its own UTF-8 (no page reads it back exactly).
const ORIGINAL_UTF8: u8 = 0xFF;

/// A repaired turn's original as stored: a page number, then the bytes that page reads as the
/// original; the first page that gives it back exactly wins, else the original's UTF-8.
pub fn encode_original(original: &str) -> Vec<u8> {
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

/// The original of [`encode_original`]; `None` for bytes it cannot have written.
pub fn decode_original(bytes: &[u8]) -> Option<String> {
    let (&page, rest) = bytes.split_first()?;
    match page {
        ORIGINAL_UTF8 => String::from_utf8(rest.to_vec()).ok(),
        ORIGINAL_LATIN1 => Some(rest.iter().map(|&b| char::from(b)).collect()),
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

    fn guess(&mut self, prev_end: usize) -> Option<StoredGuess> {
        let start = prev_end.checked_add(self.usize()?)?;
        let end = start.checked_add(self.usize()?)?;
        let code_page = *STORED_PAGES.get(self.usize()?)?;
        let chosen = self.char()?;
        let confidence = self.probability()?;
        let original = self.str()?;
        let n = self.usize()?;
        let mut alternatives = Vec::with_capacity(n.min(STORED_ALTERNATIVES));
        for _ in 0..n {
            let text = self.char()?;
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
    fn guesses_of_a_damaged_seed_round_trip_at_a_tenth_of_json() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/000_69e3827c508b06a3.txt"
        );
        let text = std::fs::read_to_string(path).expect("seed");
        let repaired = Repairer::new().repair(&text);
        assert!(repaired.guesses.len() > 100);
        let bytes = encode_guesses(&repaired.guesses);
        let want: Vec<StoredGuess> = repaired.guesses.iter().map(StoredGuess::of).collect();
        assert_eq!(decode_guesses(&bytes), want);
        let json = serde_json::to_string(&want).expect("json").len();
        assert!(bytes.len() * 8 < json, "{} bytes, JSON {json}", bytes.len());
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

    #[test]
    fn originals_of_the_damaged_seeds_come_back_exactly_in_their_page() {
        for seed in [
            "000_69e3827c508b06a3",
            "002_a46578f8551527d5",
            "003_c8cacc78d537ad71",
        ] {
            let path = format!("{}/corpus/{seed}.txt", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).expect("seed");
            let stored = encode_original(&text);
            assert_eq!(decode_original(&stored).as_deref(), Some(text.as_str()));
            // Kept as page bytes: no more than the repaired text's own UTF-8 (fewer where bytes
            // were lost), not its mojibake's.
            assert!(stored[0] < ORIGINAL_LATIN1, "{seed}: page {}", stored[0]);
            let repaired = Repairer::new().repair(&text).text;
            assert!(stored.len() <= repaired.len() + 1, "{seed}");
        }
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
            let stored = encode_original(original);
            assert_eq!(
                decode_original(&stored).as_deref(),
                Some(original),
                "{original:?}"
            );
        }
        assert_eq!(decode_original(&[]), None);
        assert_eq!(decode_original(&[ORIGINAL_UTF8, 0xC3]), None);
        assert_eq!(decode_original(&[200, b'a']), None);
    }

    proptest! {
        #[test]
        fn malformed_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_guesses(&bytes);
            let _ = decode_spans(&bytes);
            let _ = decode_original(&bytes);
        }

        #[test]
        fn any_original_round_trips(original in "\\PC{0,40}") {
            prop_assert_eq!(decode_original(&encode_original(&original)), Some(original));
        }
    }
}
