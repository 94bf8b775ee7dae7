//! Lone C1 controls. A character of U+0080..U+009F left in a text once its mojibake runs are
//! repaired is a byte of Windows-1252 that something read as Latin-1 (`\u{93}contract
//! attorney\u{94}` for `“contract attorney”`): no writing uses these controls, and Windows-1252
//! is what text that holds them was written in far more often than anything else. Each is read
//! as the Windows-1252 character of its byte. Two kinds are left as they are: the five bytes
//! Windows-1252 does not define (0x81, 0x8D, 0x8F, 0x90, 0x9D), and a control that completes a
//! UTF-8 sequence as some code page reads the characters before it (`â\u{80}\u{9c}` is the
//! Latin-1 reading of `“`'s bytes): that is mojibake the run repair declined, and reading its
//! bytes one by one would only hide it.

use super::codepage::CodePage;
use super::detect;
use super::RunReport;

/// Whether `c` is a C1 control that Windows-1252 gives a character.
pub(crate) fn is_readable(c: char) -> bool {
    windows_1252(c).is_some()
}

/// The Windows-1252 character of the byte a C1 control stands for, if that byte is defined.
fn windows_1252(c: char) -> Option<char> {
    let b = u8::try_from(u32::from(c))
        .ok()
        .filter(|b| (0x80..0xA0).contains(b))?;
    let read = *CodePage::Windows1252.table().decode.get(usize::from(b))?;
    (read != c).then_some(read)
}

/// `text` with its lone C1 controls read as Windows-1252, and one run report per control
/// (code-point offsets; `pass` is what the reports carry). `None` when there is none.
pub(crate) fn read_lone_controls(text: &str, pass: u8) -> Option<(String, Vec<RunReport>)> {
    if !text.chars().any(is_readable) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut runs = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        match windows_1252(c).filter(|_| !inside_a_sequence(&chars, i)) {
            Some(r) => {
                out.push(r);
                runs.push(RunReport {
                    start: i,
                    end: i + 1,
                    original: c.to_string(),
                    repaired: r.to_string(),
                    code_page: CodePage::Windows1252,
                    pass,
                    bytes_restored: 0,
                    guesses: 0,
                });
            }
            None => out.push(c),
        }
    }
    (!runs.is_empty()).then_some((out, runs))
}

/// Whether the control at `i` is a continuation byte of a whole UTF-8 sequence that starts at
/// one of the three characters before it, as some code page reads them (the control standing
/// for its own byte, as Latin-1 and the pages that keep undefined bytes leave it).
fn inside_a_sequence(chars: &[char], i: usize) -> bool {
    CodePage::ALL.iter().any(|&cp| {
        let t = cp.table();
        let byte = |k: usize| -> Option<u8> {
            let c = *chars.get(k)?;
            if k == i {
                return u8::try_from(u32::from(c)).ok();
            }
            t.encode(c)
        };
        (1..=3).any(|back| {
            let Some(start) = i.checked_sub(back) else {
                return false;
            };
            let Some(lead) = byte(start) else {
                return false;
            };
            let len = detect::seq_len(lead);
            let mut tail = [0u8; 3];
            for (slot, k) in tail.iter_mut().zip(start + 1..start + len) {
                match byte(k) {
                    Some(b) => *slot = b,
                    None => return false,
                }
            }
            len > back && detect::decode_utf8(lead, tail.get(..len - 1).unwrap_or(&[])).is_some()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> String {
        read_lone_controls(text, 1).map_or_else(|| text.to_string(), |(t, _)| t)
    }

    #[test]
    fn quotes_dashes_and_ellipses_are_read_as_windows_1252() {
        assert_eq!(
            read("the \u{93}contract attorney\u{94} said"),
            "the “contract attorney” said"
        );
        assert_eq!(read("don\u{92}t \u{96} wait\u{85}"), "don’t – wait…");
        assert_eq!(read("\u{80}5 and \u{93}\u{94}"), "€5 and “”");
    }

    #[test]
    fn each_control_is_reported_where_it_stood() {
        let (text, runs) = read_lone_controls("a\u{93}b\u{94}", 2).unwrap();
        assert_eq!(text, "a“b”");
        let spans: Vec<_> = runs.iter().map(|r| (r.start, r.end, r.pass)).collect();
        assert_eq!(spans, [(1, 2, 2), (3, 4, 2)]);
        assert_eq!(runs[0].original, "\u{93}");
        assert_eq!(runs[0].code_page, CodePage::Windows1252);
    }

    #[test]
    fn bytes_windows_1252_lacks_and_other_text_stay() {
        for kept in [
            "x\u{81}y",
            "\u{8D}",
            "\u{8F}\u{90}\u{9D}",
            "plain",
            "café",
            "中文",
        ] {
            assert_eq!(read(kept), kept);
        }
    }

    #[test]
    fn a_control_inside_a_utf8_sequence_is_mojibake_left_to_the_run_repair() {
        // `“` (E2 80 9C) read through Latin-1; `é` (C3 A9) … `\u{80}` after a lead of its own.
        for kept in ["say â\u{80}\u{9c}hi", "Ã\u{89}cole", "x Ä\u{8e} y"] {
            assert_eq!(read(kept), kept, "{kept:?}");
        }
        // A lead that the control cannot continue (`é`, E9, wants two more) leaves it lone.
        assert_eq!(read("café\u{92}s"), "café’s");
    }
}
