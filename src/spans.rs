//! Stage 4 of ingest: language spans of a turn, by script.
//!
//! Interim segmenter: Han → zh, kana → ja, Hangul → ko, Latin letters → en. Characters without a
//! script (digits, punctuation, emoji, spaces) join the span before them.

use serde::Serialize;

/// A maximal run of one language, in Unicode code points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub lang: String,
}

/// Per-turn language summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Languages {
    pub languages: Vec<String>,
    pub dominant_language: Option<String>,
    pub code_switched: bool,
}

fn script_lang(c: char) -> Option<&'static str> {
    match c as u32 {
        0x3040..=0x30FF | 0x31F0..=0x31FF => Some("ja"),
        0xAC00..=0xD7AF | 0x1100..=0x11FF | 0x3130..=0x318F => Some("ko"),
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F => Some("zh"),
        _ if c.is_alphabetic() && (c.is_ascii() || (c as u32) < 0x0250) => Some("en"),
        _ => None,
    }
}

/// Split `text` into language spans covering it contiguously.
pub fn segment(text: &str) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut pending_start: Option<usize> = None;
    for (i, c) in text.chars().enumerate() {
        match script_lang(c) {
            Some(lang) => match spans.last_mut() {
                Some(last) if last.lang == lang => last.end = i + 1,
                _ => {
                    let start = match spans.last_mut() {
                        Some(last) => {
                            last.end = i;
                            i
                        }
                        None => pending_start.take().unwrap_or(i),
                    };
                    spans.push(Span {
                        start,
                        end: i + 1,
                        lang: lang.to_owned(),
                    });
                }
            },
            None => match spans.last_mut() {
                Some(last) => last.end = i + 1,
                None => {
                    pending_start.get_or_insert(i);
                }
            },
        }
    }
    spans
}

/// Languages present, the dominant one and whether the turn switches language.
pub fn summarize(text: &str, spans: &[Span]) -> Languages {
    let chars: Vec<char> = text.chars().collect();
    let mut weights: Vec<(String, f64)> = Vec::new();
    for span in spans {
        let content = chars
            .get(span.start..span.end)
            .unwrap_or_default()
            .iter()
            .filter(|c| script_lang(**c).is_some())
            .count() as f64;
        match weights.iter_mut().find(|(l, _)| *l == span.lang) {
            Some((_, w)) => *w += content,
            None => weights.push((span.lang.clone(), content)),
        }
    }
    let languages: Vec<String> = weights.iter().map(|(l, _)| l.clone()).collect();
    let dominant_language = weights
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(l, _)| l.clone());
    Languages {
        code_switched: languages.len() > 1,
        languages,
        dominant_language,
    }
}

/// The turn's text restricted to each language, for the language fields (`zh:算法`).
pub fn text_by_lang(text: &str, spans: &[Span]) -> Vec<(String, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<(String, String)> = Vec::new();
    for span in spans {
        let piece: String = chars
            .get(span.start..span.end)
            .unwrap_or_default()
            .iter()
            .collect();
        match out.iter_mut().find(|(l, _)| *l == span.lang) {
            Some((_, t)) => {
                t.push('\n');
                t.push_str(&piece);
            }
            None => out.push((span.lang.clone(), piece)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_switched_sentence() {
        let text = "把王家卫的color palette喂给AI";
        let spans = segment(text);
        let langs: Vec<&str> = spans.iter().map(|s| s.lang.as_str()).collect();
        assert_eq!(langs, ["zh", "en", "zh", "en"]);
        assert_eq!(spans[0].start, 0);
        assert_eq!(spans.last().map(|s| s.end), Some(text.chars().count()));
        let summary = summarize(text, &spans);
        assert!(summary.code_switched);
        assert_eq!(summary.languages, ["zh", "en"]);
    }
}
