//! Whether a repaired run would read as writing in the text around it.
//!
//! Detection judges a run by its source characters; this judges it by its
//! result. Mojibake hides text in the script of the sentence it sits in,
//! so a result that glues a letter of another script onto a word
//! (`Práškovohol` → `Prၚkovohol`, `líšiť` → `l획iť`) is an accident of the
//! code page, not a repair. The exceptions are chat's own: Chinese and
//! Japanese put Han and kana between Latin words (`用Python的OpenCV`), and
//! Korean ends a Latin word with a hangul particle (`API를`), which then has
//! to convince on its own evidence.

use unicode_script::{Script as Uscript, UnicodeScript};

/// The writing system of a character, as coarse as the judgement needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Script {
    Latin,
    Greek,
    Cyrillic,
    /// Han and kana: Chinese and Japanese write without spaces, so they
    /// meet Latin words on either side (`用Python的OpenCV`).
    HanKana,
    /// Hangul: Korean glues particles onto Latin words (`API를`) but puts
    /// spaces between words.
    Hangul,
    /// Any other script, by its Unicode script property.
    Other(Uscript),
}

/// The script of a character; `None` for characters every script uses
/// (digits, punctuation, symbols, emoji, combining marks).
pub(crate) fn script(c: char) -> Option<Script> {
    // ª and º are Latin to Unicode but stand beside any number, and the
    // spacing modifiers (ˆ ˜ ʼ) are what double encoding passes through.
    let u = c as u32;
    if matches!(u, 0x80..=0xBF | 0x2B0..=0x2FF) {
        return None;
    }
    // The blocks mojibake meets most, without the table's binary search:
    // edges are judged over every completion of a lost byte.
    match u {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F => {
            return Some(Script::Latin)
        }
        0x3041..=0x3096 | 0x30A1..=0x30FA | 0x4E00..=0x9FFF => return Some(Script::HanKana),
        0xAC00..=0xD7A3 => return Some(Script::Hangul),
        // General punctuation and currency (Windows code pages' „ † ‰ ‹ € ™ neighbours), CJK
        // and full-width punctuation: every script's.
        0x2000..=0x2064 | 0x2066..=0x206F | 0x20A0..=0x20C0 => return None,
        0x3000..=0x3004 | 0x3008..=0x3020 => return None,
        0xFF01..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65 => return None,
        _ => {}
    }
    script_by_table(c)
}

// `SCRIPT_INDEX`, `SCRIPT_BLOCKS`, `SCRIPT_OF_CODE`: the Unicode script of U+0000..U+3FFFF,
// written by build.rs from the `unicode-script` crate.
include!(concat!(env!("OUT_DIR"), "/scripts.rs"));

/// The Unicode script property of `c`: from the compiled-in table in the first four planes
/// (completions of a lost byte of a four-byte sequence land in planes 1-3), from the crate's
/// search beyond them.
#[inline]
pub(crate) fn unicode_script(c: char) -> Uscript {
    let u = c as usize;
    let code = SCRIPT_INDEX
        .get(u / SCRIPT_BLOCK)
        .and_then(|&b| SCRIPT_BLOCKS.get(b as usize * SCRIPT_BLOCK + u % SCRIPT_BLOCK));
    match code {
        Some(&code) => SCRIPT_OF_CODE[code as usize],
        None => c.script(),
    }
}

/// `script` by the Unicode tables alone.
fn script_by_table(c: char) -> Option<Script> {
    Some(match unicode_script(c) {
        Uscript::Common | Uscript::Inherited => return None,
        Uscript::Latin => Script::Latin,
        Uscript::Greek => Script::Greek,
        Uscript::Cyrillic => Script::Cyrillic,
        Uscript::Han | Uscript::Hiragana | Uscript::Katakana => Script::HanKana,
        Uscript::Hangul => Script::Hangul,
        other => Script::Other(other),
    })
}

// `LETTERS`: `char::is_alphabetic` of U+0000..`LETTERS_END`, written by build.rs.
include!(concat!(env!("OUT_DIR"), "/letters.rs"));

/// `char::is_alphabetic`, with U+0000..U+23FF (the characters mojibake is made of, Windows
/// punctuation and letterlike symbols included, asked about for every run of every code page)
/// from a table compiled in.
#[inline]
pub(crate) fn is_letter(c: char) -> bool {
    let u = c as usize;
    if u >= LETTERS_END {
        // Han, kana and Hangul letters without the standard library's search: every lost byte's
        // completion asks about its neighbours, and in CJK text those are these blocks.
        return matches!(u, 0x3041..=0x3096 | 0x30A1..=0x30FA | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3)
            || c.is_alphabetic();
    }
    LETTERS
        .get(u / 64)
        .is_some_and(|w| w & (1 << (u % 64)) != 0)
}

/// A combining mark: writing only right after a letter.
pub(crate) fn combining(c: char) -> bool {
    unicode_script(c) == Uscript::Inherited
}

/// How a run's result meets one neighbouring letter, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Edge {
    /// No letter there, or the result continues the neighbour's script.
    Fits,
    /// A CJK result glued onto a letter of another script.
    Glued,
    /// Hangul glued onto a letter of another script: a particle at a word's
    /// end, never a word's middle.
    GluedHangul,
    /// A letter of another script glued onto the word: never writing.
    Breaks,
}

/// How a result character `c` meets the neighbouring letter `n`.
pub(crate) fn edge(n: Option<char>, c: char) -> Edge {
    match n.and_then(script) {
        Some(x) => edge_to(x, c),
        None => Edge::Fits,
    }
}

/// How `c` meets a letter of script `x`.
fn edge_to(x: Script, c: char) -> Edge {
    // A digit, mark or sign of one script has that script too: it sits
    // only beside its letters.
    let Some(y) = script(c) else {
        return Edge::Fits;
    };
    if x == y {
        Edge::Fits
    } else if y == Script::HanKana || (x == Script::HanKana && y != Script::Hangul) {
        Edge::Glued
    } else if y == Script::Hangul {
        Edge::GluedHangul
    } else {
        Edge::Breaks
    }
}

/// The best way any of `options` (the characters a token may become)
/// meets the neighbour `n`.
pub(crate) fn best_edge(n: Option<char>, options: &[char]) -> Edge {
    let Some(x) = n.and_then(script) else {
        return Edge::Fits;
    };
    let mut best = Edge::Breaks;
    for &c in options {
        best = best.min(edge_to(x, c));
        if best == Edge::Fits {
            break;
        }
    }
    best
}

/// Which scripts a list of options holds, one bit each (`SCRIPTS_KNOWN`
/// set once computed): `best_edge` from it costs a few tests, where a scan
/// reads the script of up to 255 options for every neighbour it is asked
/// about.
pub(crate) type ScriptMask = u8;
pub(crate) const SCRIPTS_KNOWN: ScriptMask = 1 << 7;
const NO_SCRIPT: ScriptMask = 1;

fn script_bit(s: Option<Script>) -> ScriptMask {
    match s {
        None => NO_SCRIPT,
        Some(Script::Latin) => 1 << 1,
        Some(Script::Greek) => 1 << 2,
        Some(Script::Cyrillic) => 1 << 3,
        Some(Script::HanKana) => 1 << 4,
        Some(Script::Hangul) => 1 << 5,
        Some(Script::Other(_)) => 1 << 6,
    }
}

pub(crate) fn script_mask(options: &[char]) -> ScriptMask {
    options
        .iter()
        .fold(SCRIPTS_KNOWN, |m, &c| m | script_bit(script(c)))
}

/// `best_edge(n, options)` for the options whose mask is `mask`. Scans the
/// options only when the neighbour's script is one the mask lumps together
/// (`Script::Other`) and some option is in such a script.
pub(crate) fn best_edge_masked(n: Option<char>, mask: ScriptMask, options: &[char]) -> Edge {
    let Some(x) = n.and_then(script) else {
        return Edge::Fits;
    };
    let other = script_bit(Some(Script::Other(Uscript::Unknown)));
    if matches!(x, Script::Other(_)) && mask & other != 0 {
        return best_edge(n, options);
    }
    let has = |s: Script| mask & script_bit(Some(s)) != 0;
    let any = mask & !SCRIPTS_KNOWN != 0;
    let non_hangul = mask & !SCRIPTS_KNOWN & !script_bit(Some(Script::Hangul)) != 0;
    if mask & NO_SCRIPT != 0 || has(x) {
        Edge::Fits
    } else if has(Script::HanKana) || (x == Script::HanKana && non_hangul) {
        Edge::Glued
    } else if has(Script::Hangul) {
        Edge::GluedHangul
    } else {
        debug_assert!(any || options.is_empty());
        Edge::Breaks
    }
}

/// Verdict on a run from how its result meets the letters on either side:
/// `None` rejects it; `Some(true)` admits it only on its own evidence (the
/// document's other runs cannot vouch for it); `Some(false)` admits it as
/// detection decides.
pub(crate) fn verdict(left: Edge, right: Edge) -> Option<bool> {
    match (left, right) {
        (Edge::Breaks, _) | (_, Edge::Breaks) => None,
        // Hangul with letters of another script on both sides.
        (Edge::GluedHangul, Edge::GluedHangul | Edge::Glued) | (Edge::Glued, Edge::GluedHangul) => {
            None
        }
        (Edge::GluedHangul, _) | (_, Edge::GluedHangul) => Some(true),
        // Han and kana between Latin words are ordinary Chinese and Japanese
        // chat; the plain letters that would turn into them are judged by
        // the lexicon and by `reads_as_a_word`.
        (Edge::Glued, _) | (_, Edge::Glued) => Some(false),
        (Edge::Fits, Edge::Fits) => Some(false),
    }
}

/// Whether two adjacent result characters can stand side by side: letters
/// of two different scripts other than CJK never do inside one run.
pub(crate) fn adjacent_fit(a: char, b: char) -> bool {
    match (script(a), script(b)) {
        (Some(x), Some(y)) => {
            x == y
                || [x, y]
                    .iter()
                    .any(|s| matches!(s, Script::HanKana | Script::Hangul))
        }
        _ => true,
    }
}

/// The letter directly before `start` and after `end` in `chars`, if any.
pub(crate) fn neighbours(chars: &[char], start: usize, end: usize) -> (Option<char>, Option<char>) {
    let letter = |c: &char| is_letter(*c);
    let left = start
        .checked_sub(1)
        .and_then(|k| chars.get(k))
        .filter(|c| letter(c))
        .copied();
    let right = chars.get(end).filter(|c| letter(c)).copied();
    (left, right)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_table_agrees_with_unicode_script() {
        let differ: Vec<char> = (0..0x50000)
            .filter_map(char::from_u32)
            .filter(|&c| unicode_script(c) != c.script())
            .collect();
        assert!(
            differ.is_empty(),
            "{} differ, first {:?}",
            differ.len(),
            differ.first()
        );
        assert_eq!(unicode_script('\u{300}'), Uscript::Inherited);
        assert_eq!(unicode_script('\u{378}'), Uscript::Unknown);
        assert_eq!(unicode_script('한'), Uscript::Hangul);
    }

    #[test]
    fn scripts_of_letters_and_non_letters() {
        assert_eq!(script('a'), Some(Script::Latin));
        assert_eq!(script('ť'), Some(Script::Latin));
        assert_eq!(script('ệ'), Some(Script::Latin));
        assert_eq!(script('λ'), Some(Script::Greek));
        assert_eq!(script('ж'), Some(Script::Cyrillic));
        assert_eq!(script('中'), Some(Script::HanKana));
        assert_eq!(script('か'), Some(Script::HanKana));
        assert_eq!(script('한'), Some(Script::Hangul));
        assert_eq!(script('ၚ'), Some(Script::Other(Uscript::Myanmar)));
        assert_eq!(script('ף'), Some(Script::Other(Uscript::Hebrew)));
        // One script across its blocks.
        assert_eq!(script('چ'), script('ط'));
        assert_eq!(script('ሰ'), script('ዛ'));
        for c in ['1', '²', '…', '”', '€', '∞', ' ', '\u{301}', 'ˆ', 'ª', 'µ'] {
            assert_eq!(script(c), None, "{c:?}");
        }
    }

    #[test]
    fn a_foreign_letter_inside_a_latin_word_breaks_it() {
        // Práškovohol → Prၚkovohol
        assert_eq!(edge(Some('r'), 'ၚ'), Edge::Breaks);
        assert_eq!(edge(Some('k'), 'ၚ'), Edge::Breaks);
        assert_eq!(verdict(Edge::Breaks, Edge::Breaks), None);
        // caf + é
        assert_eq!(edge(Some('f'), 'é'), Edge::Fits);
        assert_eq!(verdict(Edge::Fits, Edge::Fits), Some(false));
    }

    #[test]
    fn han_may_meet_latin_and_hangul_only_ends_a_word() {
        // iPhone + 手机
        assert_eq!(edge(Some('e'), '手'), Edge::Glued);
        assert_eq!(verdict(Edge::Glued, Edge::Fits), Some(false));
        // Python + 的 + OpenCV: Chinese between two Latin words.
        assert_eq!(verdict(Edge::Glued, Edge::Glued), Some(false));
        // líšiť → l획iť
        assert_eq!(edge(Some('í'), '획'), Edge::GluedHangul);
        assert_eq!(verdict(Edge::GluedHangul, Edge::GluedHangul), None);
        // API + 를
        assert_eq!(verdict(Edge::GluedHangul, Edge::Fits), Some(true));
        // Han after Han is just Chinese.
        assert_eq!(edge(Some('我'), '们'), Edge::Fits);
    }

    #[test]
    fn best_edge_takes_the_kindest_option() {
        assert_eq!(best_edge(Some('a'), &['ၚ', '中']), Edge::Glued);
        assert_eq!(best_edge(Some('a'), &['획', '中']), Edge::Glued);
        assert_eq!(best_edge(Some('a'), &['ၚ', 'ệ']), Edge::Fits);
        assert_eq!(best_edge(Some('a'), &['ၚ']), Edge::Breaks);
        assert_eq!(best_edge(None, &['ၚ']), Edge::Fits);
        // An Ethiopic tonal mark inside a Latin word is no better.
        assert_eq!(best_edge(Some('r'), &['ၚ', '\u{139A}']), Edge::Breaks);
        assert_eq!(best_edge(Some('n'), &['’']), Edge::Fits);
    }

    #[test]
    fn fast_script_ranges_agree_with_the_tables() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if !matches!(c as u32, 0x80..=0xBF | 0x2B0..=0x2FF) {
                assert_eq!(script(c), script_by_table(c), "{c:?}");
            }
        }
    }

    #[test]
    fn letter_table_agrees_with_the_standard_library() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(is_letter(c), c.is_alphabetic(), "{c:?}");
        }
    }

    #[test]
    fn masked_best_edge_agrees_with_the_scan() {
        let lists: [&[char]; 8] = [
            &['ၚ', '中'],
            &['획', '中'],
            &['ၚ', 'ệ'],
            &['ၚ'],
            &['ၚ', '\u{139A}'],
            &['’'],
            &['획', 'ж'],
            &[],
        ];
        let neighbours = [
            None,
            Some('a'),
            Some('r'),
            Some('中'),
            Some('한'),
            Some('ж'),
            Some('ၚ'),
            Some('λ'),
        ];
        for opts in lists {
            for n in neighbours {
                let m = script_mask(opts);
                assert_eq!(
                    best_edge_masked(n, m, opts),
                    best_edge(n, opts),
                    "{n:?} {opts:?}"
                );
            }
        }
    }

    #[test]
    fn adjacent_results_keep_one_script() {
        assert!(adjacent_fit('п', 'р'));
        assert!(!adjacent_fit('п', 'ၚ'));
        assert!(adjacent_fit('中', 'a'));
        assert!(adjacent_fit('—', 'ж'));
    }

    #[test]
    fn neighbours_are_letters_only() {
        let chars: Vec<char> = "Pr\u{e1}\u{161}kovohol".chars().collect();
        assert_eq!(neighbours(&chars, 2, 4), (Some('r'), Some('k')));
        let chars: Vec<char> = "112 \u{c5}\u{b2}".chars().collect();
        assert_eq!(neighbours(&chars, 4, 6), (None, None));
    }
}
