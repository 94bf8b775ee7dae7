//! Stage 2 of ingest: undo mojibake (UTF-8 that was decoded through a Windows code page).
//!
//! Interim engine: reverses windows-1252/1254 mojibake sequence by sequence and leaves characters
//! whose bytes were lost visible as U+FFFD, recording each as a guess with confidence 0.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Guesses below this confidence are reported as low-confidence.
pub const LOW_CONFIDENCE: f64 = 0.9;

/// Result of repairing one text.
#[derive(Debug, Clone, Serialize)]
pub struct Repaired {
    pub text: String,
    pub changed: bool,
    pub guesses: Vec<Guess>,
}

/// A character whose bytes were incomplete; `chosen` is what was written in its place.
#[derive(Debug, Clone, Serialize)]
pub struct Guess {
    /// Code-point offsets into the repaired text.
    pub start: usize,
    pub end: usize,
    pub chosen: String,
    pub alternatives: Vec<Alternative>,
    pub confidence: f64,
    /// The damaged text this guess replaced.
    pub original: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Alternative {
    pub text: String,
    pub probability: f64,
}

/// Shared repair engine.
#[derive(Debug, Default)]
pub struct Repairer {}

impl Repairer {
    pub fn new() -> Self {
        Repairer {}
    }

    /// Statistics from clean text are not used by the interim engine.
    pub fn observe_clean(&mut self, _text: &str) {}

    pub fn repair(&self, text: &str) -> Repaired {
        repair_sequences(text)
    }
}

/// Cheap pre-check: could this text contain mojibake at all?
pub fn looks_damaged(text: &str) -> bool {
    let table = reverse_table();
    let mut prev_lead = false;
    for c in text.chars() {
        let byte = table.get(&c).copied();
        let is_cont = matches!(byte, Some(0x80..=0xBF));
        if prev_lead && is_cont {
            return true;
        }
        prev_lead = matches!(byte, Some(0xC2..=0xF4));
    }
    false
}

/// Characters of windows-1254 and windows-1252 back to their byte, for bytes ≥ 0x80.
fn reverse_table() -> &'static HashMap<char, u8> {
    static TABLE: OnceLock<HashMap<char, u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for enc in [encoding_rs::WINDOWS_1252, encoding_rs::WINDOWS_1254] {
            for b in 0x80u8..=0xFF {
                let bytes = [b];
                let (s, _) = enc.decode_without_bom_handling(&bytes);
                if let Some(c) = s.chars().next() {
                    map.entry(c).or_insert(b);
                }
            }
        }
        map
    })
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

fn repair_sequences(text: &str) -> Repaired {
    let table = reverse_table();
    let chars: Vec<char> = text.chars().collect();
    let byte_of = |c: char| table.get(&c).copied();
    let mut out = String::with_capacity(text.len());
    let mut out_len = 0usize;
    let mut guesses = Vec::new();
    let mut changed = false;
    let mut i = 0;
    let mut last_was_mojibake = false;
    while i < chars.len() {
        let Some(lead) = byte_of(chars[i]) else {
            out.push(chars[i]);
            out_len += 1;
            i += 1;
            last_was_mojibake = false;
            continue;
        };
        let need = utf8_len(lead);
        let mut bytes = vec![lead];
        let mut j = i + 1;
        while need > 0 && bytes.len() < need && j < chars.len() {
            match byte_of(chars[j]) {
                Some(b @ 0x80..=0xBF) => bytes.push(b),
                _ => break,
            }
            j += 1;
        }
        let next_is_lead = j < chars.len() && byte_of(chars[j]).is_some_and(|b| utf8_len(b) > 0);
        if need > 0 && bytes.len() == need {
            if let Ok(s) = std::str::from_utf8(&bytes) {
                out.push_str(s);
                out_len += s.chars().count();
                changed = true;
                i = j;
                last_was_mojibake = true;
                continue;
            }
        }
        // An incomplete sequence is only mojibake with lost bytes if it has continuation bytes or
        // sits next to sequences that decoded; a lone `é` in `café` is left alone.
        if need > 0 && (bytes.len() > 1 || last_was_mojibake || next_is_lead) {
            let original: String = chars[i..j].iter().collect();
            out.push('\u{FFFD}');
            guesses.push(Guess {
                start: out_len,
                end: out_len + 1,
                chosen: "\u{FFFD}".into(),
                alternatives: Vec::new(),
                confidence: 0.0,
                original,
            });
            out_len += 1;
            changed = true;
            i = j;
            last_was_mojibake = true;
            continue;
        }
        out.push(chars[i]);
        out_len += 1;
        i += 1;
        last_was_mojibake = false;
    }
    Repaired {
        text: out,
        changed,
        guesses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverses_1254_mojibake() {
        let r = Repairer::new().repair("Heyï¼Œå…³äº'ä½\u{a0}è§‰å¾—");
        assert_eq!(r.text, "Hey，关\u{FFFD}'你觉得");
        assert!(r.changed);
    }

    #[test]
    fn lost_bytes_become_replacement_characters() {
        // 不 = E4 B8 8D; 0x8D is undefined in windows-1254 and was dropped.
        let r = Repairer::new().repair("ä¸è¿‡");
        assert_eq!(r.text, "\u{FFFD}过");
        assert_eq!(r.guesses.len(), 1);
        assert_eq!(r.guesses[0].original, "ä¸");
    }

    #[test]
    fn clean_text_is_untouched() {
        for s in [
            "café naïve Ærø",
            "İstanbul'da güzel bir gün",
            "你好 hello",
            "“quoted”",
        ] {
            let r = Repairer::new().repair(s);
            assert_eq!(r.text, s);
            assert!(!r.changed);
        }
    }
}
