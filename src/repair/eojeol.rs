//! How unlikely a Hangul syllable is as a whole eojeol (a space-separated
//! unit of Korean). The word statistics count morphemes, so a bound stem,
//! particle or ending (작 of 작다, 의, 라) scores like a free word (응, 잘,
//! 돼); a lost byte between two spaces is then restored as the likelier
//! morpheme. `data/ko_alone.bin` (built from mecab-ko-dic's parts of speech by
//! `data/build_ko_alone.py`) holds the difference per syllable.

static ALONE: &[u8; SYLLABLES] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/ko_alone.bin"));

const FIRST: u32 = 0xAC00;
const SYLLABLES: usize = 11_172;
/// The file's unit: eighths of a nat.
const UNIT: f32 = 8.0;

/// Whether `c` is a Hangul syllable or one of the jamo chat writes alone (ㅋ, ㅠ).
#[inline]
pub(crate) fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0x3131..=0x318E | 0xAC00..=0xD7A3)
}

/// Nats a syllable pays for standing alone (after a space, before a non-Hangul character):
/// 0 for free words; the most for syllables the dictionary lacks (큗).
#[inline]
pub(crate) fn alone_cost(c: char) -> f32 {
    (c as u32)
        .checked_sub(FIRST)
        .and_then(|i| ALONE.get(i as usize))
        .map_or(0.0, |&q| f32::from(q) / UNIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_words_stand_alone_for_free() {
        // An interjection, an adverb, a verb form, a pronoun, a bound noun.
        for c in ['응', '잘', '돼', '뭐', '데'] {
            assert_eq!(alone_cost(c), 0.0, "{c}");
        }
    }

    #[test]
    fn bound_morphemes_pay_for_standing_alone() {
        // A particle and an ending: no analysis as a whole eojeol.
        assert!(alone_cost('의') >= 5.0);
        assert!(alone_cost('라') >= 5.0);
        // An adjective stem whose free readings (a noun, an adverb) are rarer.
        assert!(alone_cost('작') > 1.0);
        assert!(alone_cost('작') < alone_cost('의'));
    }

    #[test]
    fn only_syllables_have_a_cost() {
        assert!(alone_cost('큗') >= alone_cost('의'));
        for c in ['a', 'é', '中', 'ㅎ', 'ㅋ', '\u{D7A4}', '\u{ABFF}'] {
            assert_eq!(alone_cost(c), 0.0, "{c:?}");
        }
        assert!(is_hangul('ㅋ') && is_hangul('한') && !is_hangul('中'));
    }
}
