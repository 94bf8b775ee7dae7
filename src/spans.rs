//! Language spans of a turn: splits code-switched text into maximal
//! single-language spans and summarises which languages a turn uses (the
//! `lang` and `dominant` filters and the spans stored with each turn).
//!
//! The rule is script first: Han → `zh` (`ja` when the sentence also has
//! kana), kana → `ja`, Hangul → `ko`, Latin-script words → `en`, letters of
//! any other script → `und`. Only a long Latin run may be relabelled
//! (`fr`, `es`, `de`, …) by the whatlang detector, and only when it is
//! confident (see [`SegmentConfig`]); in chat, short English fragments are
//! routinely misdetected as French or German, so the detector is never
//! trusted on short text.
//!
//! Digits, punctuation, emoji and spaces have no language: they join the
//! span of the letters before them (or after them at the start of the turn).
//! Spans therefore cover the whole text contiguously, in code points, as soon
//! as the text has one letter; a turn without any letter gets no span at all
//! (rather than an `und` span, which would count as a language in facets).

use serde::{Deserialize, Serialize};

/// Language code of letters in a script no rule maps (Cyrillic, Thai, …).
pub const UND: &str = "und";

/// A maximal run of one language, in Unicode code points (`end` exclusive).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub lang: String,
}

/// Per-turn language summary.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
pub struct Languages {
    /// Languages with enough content to count ([`MIN_WEIGHT`]), in order of
    /// first appearance; always contains the dominant language.
    pub languages: Vec<String>,
    /// Language with the largest content weight; `None` without letters.
    pub dominant_language: Option<String>,
    /// More than one language in `languages`.
    pub code_switched: bool,
}

/// Which detector verdicts [`segment_with`] may accept.
#[derive(Clone, Debug)]
pub struct SegmentConfig {
    /// Languages a span may be labelled with. Script rules (`zh`, `ja`,
    /// `ko`, `en`) always apply; this only restricts the detector, which
    /// chooses among the Latin-script languages listed here.
    pub allowed: Vec<String>,
    /// A Latin run needs at least this many words to be sent to the detector.
    pub min_detect_words: usize,
    /// ... and at least this many letters.
    pub min_detect_letters: usize,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            allowed: ["zh", "en", "ja", "ko", "fr", "es", "de"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            // Measured on the clean seed: whatlang (allow-listed to en/fr/es/de)
            // called runs of 3–5 English words French or German several times,
            // and once a 12-word English sentence, "reliably"; hence the length
            // floor plus the English function-word veto in `detect_latin`.
            min_detect_words: 6,
            min_detect_letters: 30,
        }
    }
}

/// Weight of one Latin-script word relative to one CJK character. Parallel
/// zh/en text runs at roughly 1.5–1.7 Han characters per English word, so a
/// word counts 1.5 to put both on the scale of "one Han character".
pub const LATIN_WORD_WEIGHT: f64 = 1.5;
/// Minimum weight for a language to count in [`Languages::languages`]:
/// two CJK characters or two Latin words. A lone English word in Chinese
/// chat is nearly always a loanword (`AI`, `OK`, `Python`), not a switch.
pub const MIN_WEIGHT: f64 = 2.0;

/// Character classes shared with the analyzer, so spans and tokens agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Script {
    Han,
    Kana,
    Hangul,
    Latin,
    /// Letters of any other script (Cyrillic, Greek, Thai, …).
    OtherLetter,
    Digit,
    /// Combining marks: continue the word before them.
    Mark,
    /// Spaces, punctuation, symbols, emoji.
    Neutral,
}

/// Folds full-width ASCII forms (ＡＩ, ２０２４) and the ideographic space to
/// ASCII, so Chinese IME output tokenizes like ordinary Latin text.
pub(crate) fn normalize_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// CJK ideographs (unified, extension A and beyond, compatibility); repair's
/// language model uses the same test (in its inner loops: keep it inlinable).
#[inline]
pub(crate) fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x3134F | 0xF900..=0xFAFF)
}

/// Classifies a character already passed through [`normalize_width`].
pub(crate) fn script_of(c: char) -> Script {
    match c {
        'a'..='z' | 'A'..='Z' => Script::Latin,
        '0'..='9' => Script::Digit,
        c if c.is_ascii() => Script::Neutral,
        c if is_han(c) || c == '\u{3005}' || c == '\u{3007}' => Script::Han,
        // U+30FB (katakana middle dot) is also the Chinese name separator
        // (列奥纳多・达・芬奇), so it must stay neutral, not mark Japanese.
        '\u{30FB}' | '\u{30A0}' => Script::Neutral,
        '\u{3041}'..='\u{309F}' | '\u{30A1}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' => Script::Kana,
        '\u{FF66}'..='\u{FF9F}' => Script::Kana,
        '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => {
            Script::Hangul
        }
        '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{20D0}'..='\u{20FF}' => Script::Mark,
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' | '\u{2C60}'..='\u{2C7F}'
            if c.is_alphabetic() =>
        {
            Script::Latin
        }
        c if c.is_numeric() => Script::Digit,
        c if c.is_alphabetic() => Script::OtherLetter,
        _ => Script::Neutral,
    }
}

/// Coarse class deciding where one language block ends and the next begins.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Block {
    /// Han and kana together: which of zh/ja is decided per sentence.
    Cjk,
    Hangul,
    Latin,
    Other,
}

fn block_of(s: Script) -> Option<Block> {
    match s {
        Script::Han | Script::Kana => Some(Block::Cjk),
        Script::Hangul => Some(Block::Hangul),
        Script::Latin => Some(Block::Latin),
        Script::OtherLetter => Some(Block::Other),
        Script::Digit | Script::Mark | Script::Neutral => None,
    }
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '\n' | '…' | '．' | '｡')
}

/// Segments `text` with the default [`SegmentConfig`].
pub fn segment(text: &str) -> Vec<Span> {
    segment_with(text, &SegmentConfig::default())
}

/// Segments `text` into maximal single-language spans (see module docs).
pub fn segment_with(text: &str, cfg: &SegmentConfig) -> Vec<Span> {
    let chars: Vec<char> = text.chars().map(normalize_width).collect();
    // Units: (start of first letter, lang), in order.
    let mut units: Vec<(usize, &'static str)> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let Some(block) = block_of(script_of(chars[i])) else {
            i += 1;
            continue;
        };
        // Extend over letters of the same block, skipping letterless gaps.
        let start = i;
        let mut end = i + 1;
        let mut j = i + 1;
        while j < chars.len() {
            match block_of(script_of(chars[j])) {
                Some(b) if b == block => {
                    j += 1;
                    end = j;
                }
                Some(_) => break,
                None => j += 1,
            }
        }
        label_block(&chars, start, end, block, cfg, &mut units);
        i = end;
    }

    let mut spans: Vec<Span> = Vec::with_capacity(units.len());
    for (k, &(start, lang)) in units.iter().enumerate() {
        // Leading neutrals go to the first span, trailing ones to the
        // span before them.
        let span_start = if k == 0 { 0 } else { start };
        let span_end = units.get(k + 1).map_or(chars.len(), |u| u.0);
        match spans.last_mut() {
            Some(last) if last.lang == lang => last.end = span_end,
            _ => spans.push(Span {
                start: span_start,
                end: span_end,
                lang: lang.to_string(),
            }),
        }
    }
    spans
}

fn label_block(
    chars: &[char],
    start: usize,
    end: usize,
    block: Block,
    cfg: &SegmentConfig,
    units: &mut Vec<(usize, &'static str)>,
) {
    match block {
        Block::Hangul => units.push((start, "ko")),
        Block::Other => units.push((start, UND)),
        Block::Latin => units.push((start, detect_latin(&chars[start..end], cfg).unwrap_or("en"))),
        Block::Cjk => {
            // A Chinese sentence next to a Japanese one must not become
            // Japanese, so kana decide per sentence, not per block.
            let mut s = start;
            while s < end {
                let mut e = s;
                let mut kana = false;
                while e < end {
                    let c = chars[e];
                    kana |= script_of(c) == Script::Kana;
                    e += 1;
                    if is_sentence_end(c) {
                        break;
                    }
                }
                let lang = if kana { "ja" } else { "zh" };
                units.push((s, lang));
                // Skip to the next CJK letter.
                s = e;
                while s < end && !matches!(script_of(chars[s]), Script::Han | Script::Kana) {
                    s += 1;
                }
            }
        }
    }
}

/// Two-letter codes the detector may return, with whatlang's language.
const DETECTABLE: &[(&str, whatlang::Lang)] = &[
    ("en", whatlang::Lang::Eng),
    ("fr", whatlang::Lang::Fra),
    ("es", whatlang::Lang::Spa),
    ("de", whatlang::Lang::Deu),
    ("it", whatlang::Lang::Ita),
    ("pt", whatlang::Lang::Por),
    ("nl", whatlang::Lang::Nld),
];

/// English words that are not words in the other detectable languages.
const ENGLISH_FUNCTION_WORDS: &[&str] = &[
    "the", "and", "you", "that", "is", "it", "of", "my", "but", "with", "this", "what", "just",
    "not", "are", "for", "have", "your", "i", "be", "to", "was", "they", "we", "how", "it's",
];

/// Returns a non-English label for a long Latin run only when whatlang is
/// confident and the run lacks English function words; `None` means `en`.
fn detect_latin(chars: &[char], cfg: &SegmentConfig) -> Option<&'static str> {
    // Most Latin runs in chat are a few words: count letters before allocating anything.
    let letters = chars.iter().filter(|c| c.is_alphabetic()).count();
    if letters < cfg.min_detect_letters {
        return None;
    }
    let allow: Vec<whatlang::Lang> = DETECTABLE
        .iter()
        .filter(|(code, _)| cfg.allowed.iter().any(|a| a == code))
        .map(|(_, l)| *l)
        .collect();
    // Nothing but English to choose from: no point running the detector.
    if !allow.iter().any(|l| *l != whatlang::Lang::Eng) {
        return None;
    }
    let text: String = chars.iter().collect();
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphabetic() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if words.len() < cfg.min_detect_words {
        return None;
    }
    let english = words
        .iter()
        .filter(|w| ENGLISH_FUNCTION_WORDS.contains(&w.as_str()))
        .count();
    if english * 12 >= words.len() {
        return None;
    }
    let info = whatlang::Detector::with_allowlist(allow).detect(&text)?;
    if !info.is_reliable() {
        return None;
    }
    DETECTABLE
        .iter()
        .find(|(_, l)| *l == info.lang())
        .map(|(code, _)| *code)
        .filter(|code| *code != "en")
}

/// Content weight of the code points `chars`: CJK characters count 1, other
/// words [`LATIN_WORD_WEIGHT`]; digits, punctuation and emoji count 0.
fn weight(chars: &[char]) -> f64 {
    let mut w = 0.0;
    let mut in_word = false;
    for &c in chars {
        match script_of(normalize_width(c)) {
            Script::Han | Script::Kana | Script::Hangul => {
                w += 1.0;
                in_word = false;
            }
            Script::Latin | Script::OtherLetter => {
                if !in_word {
                    w += LATIN_WORD_WEIGHT;
                }
                in_word = true;
            }
            Script::Mark | Script::Digit => {}
            Script::Neutral => in_word = false,
        }
    }
    w
}

/// Clamps a code-point span to the text so foreign spans cannot panic.
fn span_chars<'a>(chars: &'a [char], span: &Span) -> &'a [char] {
    let end = span.end.min(chars.len());
    let start = span.start.min(end);
    &chars[start..end]
}

/// Summarises the languages of `text` given its spans (see [`Languages`]).
pub fn summarize(text: &str, spans: &[Span]) -> Languages {
    let chars: Vec<char> = text.chars().collect();
    let mut totals: Vec<(String, f64)> = Vec::new();
    for span in spans {
        let w = weight(span_chars(&chars, span));
        match totals.iter_mut().find(|(l, _)| *l == span.lang) {
            Some((_, t)) => *t += w,
            None => totals.push((span.lang.clone(), w)),
        }
    }
    // Strictly greater keeps the first-appearing language on ties.
    let mut dominant: Option<&(String, f64)> = None;
    for t in &totals {
        if t.1 > 0.0 && dominant.is_none_or(|d| t.1 > d.1) {
            dominant = Some(t);
        }
    }
    let dominant_language = dominant.map(|d| d.0.clone());
    let languages: Vec<String> = totals
        .iter()
        .filter(|(l, w)| *w >= MIN_WEIGHT || Some(l) == dominant_language.as_ref())
        .filter(|(_, w)| *w > 0.0)
        .map(|(l, _)| l.clone())
        .collect();
    Languages {
        code_switched: languages.len() > 1,
        languages,
        dominant_language,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (text of each span, lang) for readable assertions.
    fn seg(text: &str) -> Vec<(String, String)> {
        let chars: Vec<char> = text.chars().collect();
        segment(text)
            .iter()
            .map(|s| (chars[s.start..s.end].iter().collect(), s.lang.clone()))
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn assert_contiguous(text: &str) {
        let spans = segment(text);
        let n = text.chars().count();
        assert_eq!(spans.first().map(|s| s.start), Some(0), "{text}");
        assert_eq!(spans.last().map(|s| s.end), Some(n), "{text}");
        for w in spans.windows(2) {
            assert_eq!(w[0].end, w[1].start, "{text}");
            assert_ne!(w[0].lang, w[1].lang, "{text}");
        }
    }

    const T1: &str = "把王家卫的《花样年华》的color palette喂给AI";
    const T2: &str = "Hey，关于'你觉得social media对mental health影响大吗？'这个话题，你怎么想的？";

    #[test]
    fn code_switched_spans() {
        assert_eq!(
            seg(T1),
            pairs(&[
                ("把王家卫的《花样年华》的", "zh"),
                ("color palette", "en"),
                ("喂给", "zh"),
                ("AI", "en"),
            ])
        );
        assert_eq!(
            seg(T2),
            pairs(&[
                ("Hey，", "en"),
                ("关于'你觉得", "zh"),
                ("social media", "en"),
                ("对", "zh"),
                ("mental health", "en"),
                ("影响大吗？'这个话题，你怎么想的？", "zh"),
            ])
        );
        for t in [T1, T2, "  ...OK好的👍", "我是学生。これはペンです。"] {
            assert_contiguous(t);
        }
    }

    #[test]
    fn leading_neutrals_join_following_span() {
        assert_eq!(
            seg("2024年，AI来了"),
            pairs(&[("2024年，", "zh"), ("AI", "en"), ("来了", "zh")])
        );
    }

    #[test]
    fn no_letters_no_spans() {
        assert!(segment("").is_empty());
        assert!(segment("123 😂!!").is_empty());
        let l = summarize("123", &segment("123"));
        assert!(l.languages.is_empty() && l.dominant_language.is_none() && !l.code_switched);
    }

    #[test]
    fn japanese_korean_and_full_width() {
        assert_eq!(
            seg("我是学生。これはペンです。"),
            pairs(&[("我是学生。", "zh"), ("これはペンです。", "ja")])
        );
        assert_eq!(seg("東京に行きます"), pairs(&[("東京に行きます", "ja")]));
        assert_eq!(
            seg("안녕하세요 friend"),
            pairs(&[("안녕하세요 ", "ko"), ("friend", "en")])
        );
        assert_eq!(seg("ＡＩ很强"), pairs(&[("ＡＩ", "en"), ("很强", "zh")]));
        // The katakana middle dot in a Chinese name is punctuation.
        assert_eq!(
            seg("列奥纳多・达・芬奇"),
            pairs(&[("列奥纳多・达・芬奇", "zh")])
        );
        assert_eq!(seg("Привет"), pairs(&[("Привет", "und")]));
    }

    #[test]
    fn detector_only_on_long_confident_runs() {
        let fr = "Je pense que c'est une très bonne idée pour le projet";
        assert_eq!(
            seg(&format!("我觉得{fr}")),
            pairs(&[("我觉得", "zh"), (fr, "fr")])
        );
        let de = "Ich glaube das ist eine sehr gute Idee für uns alle";
        assert_eq!(seg(de), pairs(&[(de, "de")]));
        let es = "Creo que es una idea muy buena para todos nosotros";
        assert_eq!(seg(es), pairs(&[(es, "es")]));
        // Seen misdetected as French by whatlang on the seed corpus.
        let en = "not soulless automation, but digital empathy. Now pass me that popcorn";
        assert_eq!(seg(en), pairs(&[(en, "en")]));
        // Short runs are never sent to the detector.
        assert_eq!(seg("très bien"), pairs(&[("très bien", "en")]));
        // Without fr in the allow-list the detector cannot say fr.
        let cfg = SegmentConfig {
            allowed: vec!["zh".into(), "en".into()],
            ..SegmentConfig::default()
        };
        assert_eq!(segment_with(fr, &cfg)[0].lang, "en");
    }

    #[test]
    fn summary() {
        let l = summarize(T1, &segment(T1));
        assert_eq!(l.languages, vec!["zh", "en"]);
        assert_eq!(l.dominant_language.as_deref(), Some("zh"));
        assert!(l.code_switched);

        // A lone loanword does not make a turn code-switched.
        let t = "Hey，这个话题你怎么想的？";
        let l = summarize(t, &segment(t));
        assert_eq!(l.languages, vec!["zh"]);
        assert!(!l.code_switched);

        // 6 English words (9.0) outweigh 4 Han characters (4.0).
        let t = "我觉得 this is a really good idea";
        let l = summarize(t, &segment(t));
        assert_eq!(l.dominant_language.as_deref(), Some("en"));
        assert_eq!(l.languages, vec!["zh", "en"]);

        // Below the threshold but alone: still reported.
        let l = summarize("OK", &segment("OK"));
        assert_eq!(l.languages, vec!["en"]);
        assert!(!l.code_switched);

        // Foreign or out-of-range spans must not panic.
        let bogus = [Span {
            start: 5,
            end: 99,
            lang: "zh".into(),
        }];
        let _ = summarize("短", &bogus);
    }

    #[test]
    fn serializes() {
        let v = serde_json::to_value(segment("hi你好")).unwrap_or_default();
        assert_eq!(v[0]["lang"], "en");
        assert_eq!(v[1]["start"], 2);
    }
}
