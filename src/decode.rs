//! Stage 1 of ingest: bytes → text. Owns BOM sniffing, UTF-8 validation, UTF-16 without BOM,
//! legacy-encoding detection (chardetng) and the binary-file test.
//!
//! This stage only fixes *byte-level* encoding. Text that is valid UTF-8 but was once decoded through
//! the wrong code page (mojibake) is the `repair` stage's job: chardetng guesses GBK on such bytes, so
//! the two problems must not be mixed.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// Text decoded from a file, with how it was decoded.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    /// Name of the encoding used (`UTF-8`, `UTF-16LE`, `windows-1252`, `GBK`, …).
    pub encoding: &'static str,
    /// True when a byte-order mark was found and removed.
    pub bom: bool,
    /// True when the decoder met malformed sequences and inserted U+FFFD.
    pub lossy: bool,
    /// True when the encoding was guessed from the bytes (no BOM, not UTF-8): worth telling.
    pub guessed: bool,
}

/// Why a file is not text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotText {
    #[error("binary file (NUL byte at offset {offset})")]
    Binary { offset: usize },
    #[error("not text: decoded as {encoding}, {percent} % of its characters are control characters or undecodable")]
    Garbled {
        encoding: &'static str,
        percent: usize,
    },
}

/// Share of control characters and U+FFFD, in percent, above which decoded bytes are not text.
const GARBLED_PERCENT: usize = 3;

/// How far into a file we look for NUL bytes and UTF-16 patterns.
const SNIFF_LEN: usize = 8192;

/// Decode a file's bytes to text. Takes the bytes so that valid UTF-8, the common case, becomes the
/// text without a copy.
pub fn decode(bytes: Vec<u8>) -> Result<Decoded, NotText> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        return Ok(decode_with(encoding, &bytes[bom_len..], true));
    }
    if let Some(encoding) = utf16_without_bom(&bytes) {
        let mut d = decode_with(encoding, &bytes, false);
        d.guessed = true;
        return Ok(d);
    }
    let sniff = &bytes[..bytes.len().min(SNIFF_LEN)];
    if let Some(offset) = sniff.iter().position(|&b| b == 0) {
        if let Some(encoding) = utf16_by_content(&bytes) {
            let mut d = decode_with(encoding, &bytes, false);
            d.guessed = true;
            return Ok(d);
        }
        return Err(NotText::Binary { offset });
    }
    let bytes = match String::from_utf8(bytes) {
        Ok(text) => {
            return Ok(Decoded {
                text,
                encoding: UTF_8.name(),
                bom: false,
                lossy: false,
                guessed: false,
            })
        }
        Err(e) => e.into_bytes(),
    };
    if mostly_utf8(&bytes) {
        // A UTF-8 file with a few bad bytes (a cut-off last character, one corrupt sector) keeps
        // its UTF-8: the bad bytes become U+FFFD where they are, and the caller reports their
        // lines. Reading the whole file through a legacy code page instead would turn every
        // character of it into mojibake that was never there.
        return Ok(decode_with(UTF_8, &bytes, false));
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(&bytes, true);
    let encoding = detector.guess(None, chardetng::Utf8Detection::Allow);
    let mut d = decode_with(encoding, &bytes, false);
    d.guessed = true;
    // Random bytes decode to something in every legacy page: what they decode to says whether
    // it was text.
    let percent = garbled_percent(&d.text);
    if percent > GARBLED_PERCENT {
        return Err(NotText::Garbled {
            encoding: encoding.name(),
            percent,
        });
    }
    Ok(d)
}

/// Control characters (other than tab, line and page breaks) and U+FFFD among the first 64 KiB
/// of characters, in percent.
fn garbled_percent(text: &str) -> usize {
    let (mut all, mut bad) = (0usize, 0usize);
    for c in text.chars().take(65_536) {
        all += 1;
        let control = c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c');
        bad += usize::from(control || c == '\u{FFFD}');
    }
    (bad * 100).checked_div(all).unwrap_or(0)
}

/// UTF-16 without a BOM whose text is mostly Chinese, Japanese or Korean: its NUL bytes (from line
/// breaks, spaces, ASCII) are too few for [`utf16_without_bom`], but all sit on one side of the
/// code units (nearly all), and the start decodes without an unpaired surrogate, a control character or a
/// private-use character, mostly into letters. A binary file with NUL bytes fails one of those.
fn utf16_by_content(bytes: &[u8]) -> Option<&'static Encoding> {
    let sniff = &bytes[..bytes.len().min(SNIFF_LEN) & !1];
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sniff.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // ASCII puts its NUL on one side; a CJK character with a zero byte (一 is U+4E00) seldom
    // puts one on the other.
    let encoding = match (even, odd) {
        (e, o) if o > 0 && o >= 3 * e => UTF_16LE,
        (e, o) if e > 0 && e >= 3 * o => UTF_16BE,
        _ => return None,
    };
    let text = encoding.decode_without_bom_handling_and_without_replacement(sniff)?;
    let (mut all, mut letters) = (0usize, 0usize);
    for c in text.chars() {
        let control = c.is_control() && !matches!(c, '\t' | '\n' | '\r');
        if control || ('\u{E000}'..='\u{F8FF}').contains(&c) {
            return None;
        }
        all += 1;
        letters += usize::from(c.is_alphanumeric());
    }
    (letters * 2 >= all).then_some(encoding)
}

/// Valid multi-byte UTF-8 characters outnumber malformed sequences by this much in a file that is
/// UTF-8 with a few bad bytes. Legacy double-byte text (GBK, Big5, Shift_JIS) forms a valid UTF-8
/// sequence only by accident, for well under one pair in ten.
const UTF8_EVIDENCE_RATIO: usize = 4;

/// True when `bytes`, which are not valid UTF-8, are UTF-8 all the same apart from a few
/// malformed sequences.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut malformed) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        malformed += usize::from(!chunk.invalid().is_empty());
    }
    multibyte >= UTF8_EVIDENCE_RATIO * malformed.max(1)
}

fn decode_with(encoding: &'static Encoding, bytes: &[u8], bom: bool) -> Decoded {
    let (text, lossy) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: encoding.name(),
        bom,
        lossy,
        guessed: false,
    }
}

/// UTF-16 text without a BOM has a NUL in every other byte for ASCII-heavy text, which the
/// binary test would otherwise reject. Require the pattern to be overwhelming before trusting it.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sniff = &bytes[..bytes.len().min(SNIFF_LEN) & !1];
    if sniff.len() < 4 {
        return None;
    }
    let pairs = sniff.len() / 2;
    let (mut even_nul, mut odd_nul) = (0usize, 0usize);
    for pair in sniff.chunks_exact(2) {
        even_nul += usize::from(pair[0] == 0);
        odd_nul += usize::from(pair[1] == 0);
    }
    let strong = |hits: usize, other: usize| hits * 10 >= pairs * 6 && other == 0;
    if strong(odd_nul, even_nul) {
        Some(UTF_16LE)
    } else if strong(even_nul, odd_nul) {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_passes_through() {
        let d = decode("Hey，关于".into()).unwrap();
        assert_eq!(d.text, "Hey，关于");
        assert_eq!(d.encoding, "UTF-8");
        assert!(!d.bom && !d.lossy);
    }

    #[test]
    fn utf8_bom_is_removed() {
        let d = decode(b"\xEF\xBB\xBF[A]: hi".to_vec()).unwrap();
        assert_eq!(d.text, "[A]: hi");
        assert!(d.bom);
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "[A]: 你好 hello\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let mut le_bom = vec![0xFF, 0xFE];
        le_bom.extend(&le);
        assert_eq!(decode(le_bom).unwrap().text, text);
        assert_eq!(decode(le).unwrap().text, text);
        assert_eq!(decode(be.clone()).unwrap().encoding, "UTF-16BE");
        assert_eq!(decode(be).unwrap().text, text);
    }

    #[test]
    fn legacy_encoding_is_detected() {
        let (bytes, _, _) =
            encoding_rs::GBK.encode("[A]: 我们今天讨论一下这个话题，你觉得怎么样？");
        let d = decode(bytes.into_owned()).unwrap();
        assert_eq!(d.text, "[A]: 我们今天讨论一下这个话题，你觉得怎么样？");
        assert_eq!(d.encoding, "GBK");
    }

    #[test]
    fn a_few_bad_bytes_in_utf8_are_replaced_where_they_are() {
        let mut bytes = "[A]: 你好 世界\n".as_bytes().to_vec();
        bytes.extend(b"\xe5\xa5");
        let d = decode(bytes).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.lossy);
        assert_eq!(d.text, "[A]: 你好 世界\n\u{FFFD}");
        let mut bytes = "[A]: café crème brûlée, déjà vu\n".as_bytes().to_vec();
        bytes.extend(b"[B]: caf\xe9\n");
        let d = decode(bytes).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.ends_with("[B]: caf\u{FFFD}\n"));
    }

    #[test]
    fn legacy_text_is_not_taken_for_damaged_utf8() {
        let text =
            "[A]: 我们今天讨论一下这个话题，你觉得怎么样？我觉得还不错。\n[B]: 好的，没问题。";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        assert!(!mostly_utf8(&bytes));
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode("[A]: café crème brûlée\n");
        assert!(!mostly_utf8(&bytes));
    }

    #[test]
    fn mostly_chinese_utf16_without_bom_is_recognised() {
        let text = "[老师]: 我们今天讨论一下这个话题，你觉得怎么样？\n[学生]: 我觉得很有意思，可以多说一点。\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let d = decode(le).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (text, "UTF-16LE"));
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(be).unwrap().encoding, "UTF-16BE");
    }

    #[test]
    fn random_bytes_are_not_text() {
        // A fixed xorshift stream with the NUL bytes taken out (a NUL alone would say binary).
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let bytes: Vec<u8> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .filter(|&b| b != 0)
            .collect();
        assert!(matches!(decode(bytes), Err(NotText::Garbled { .. })));
    }

    #[test]
    fn binary_is_rejected() {
        let err = decode(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e".to_vec())
            .unwrap_err();
        assert!(matches!(err, NotText::Binary { .. }));
    }
}
