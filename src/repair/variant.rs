//! Which writing the text around a damaged run is in: Hangul or kana,
//! simplified or traditional Han, Cantonese or Mandarin. A lost byte often leaves candidates of
//! both (`嗎` and `吗` differ in where the byte was lost; `ㅎ` and `ぅ` share
//! two bytes), and the word statistics, which hold every CJK language, cannot
//! tell them apart; the characters that came through undamaged can.

use std::sync::OnceLock;

use super::eojeol::is_hangul;
use super::lm::is_han;

static VARIANT_BYTES: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/zh_variants.bin"));

/// Characters only simplified writing uses and only traditional writing
/// uses (from OpenCC's tables, see data/build_cjk_dict.py), one bit per
/// code point of `lo..=hi`.
struct Tables {
    lo: u32,
    hi: u32,
    simplified: Vec<u8>,
    traditional: Vec<u8>,
    /// Characters written Cantonese uses and Mandarin hardly does (`咁 啲 嘅`).
    cantonese: Vec<u8>,
    /// Traditional-only character → its simplified form, sorted.
    folds: Vec<(u32, u32)>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        parse(VARIANT_BYTES).unwrap_or(Tables {
            lo: 1,
            hi: 0,
            simplified: Vec::new(),
            traditional: Vec::new(),
            cantonese: Vec::new(),
            folds: Vec::new(),
        })
    })
}

fn parse(bytes: &[u8]) -> Option<Tables> {
    if bytes.get(0..4)? != b"CQV2" {
        return None;
    }
    let le32 = |p: usize| Some(u32::from_le_bytes(bytes.get(p..p + 4)?.try_into().ok()?));
    let (lo, hi) = (le32(4)?, le32(8)?);
    let n = (hi.checked_sub(lo)? as usize + 1).div_ceil(8);
    let mut pos = 12 + 2 * n;
    let n_folds = le32(pos)? as usize;
    pos += 4;
    let mut folds = Vec::with_capacity(n_folds);
    for _ in 0..n_folds {
        folds.push((le32(pos)?, le32(pos + 4)?));
        pos += 8;
    }
    Some(Tables {
        lo,
        hi,
        simplified: bytes.get(12..12 + n)?.to_vec(),
        traditional: bytes.get(12 + n..12 + 2 * n)?.to_vec(),
        cantonese: bytes.get(pos..pos + n)?.to_vec(),
        folds,
    })
}

/// The side of the simplified/traditional split a Han character is on, if
/// only one side writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Han {
    Simplified,
    Traditional,
}

/// Whether `c`'s bit is set in one of the tables' sets.
fn in_set(c: char, set: impl Fn(&Tables) -> &[u8]) -> bool {
    let t = tables();
    let u = c as u32;
    if !(t.lo..=t.hi).contains(&u) {
        return false;
    }
    let o = (u - t.lo) as usize;
    set(t).get(o >> 3).is_some_and(|b| b & (1 << (o & 7)) != 0)
}

fn han_variant(c: char) -> Option<Han> {
    if in_set(c, |t| &t.simplified) {
        Some(Han::Simplified)
    } else if in_set(c, |t| &t.traditional) {
        Some(Han::Traditional)
    } else {
        None
    }
}

fn is_cantonese(c: char) -> bool {
    in_set(c, |t| &t.cantonese)
}

/// The simplified form of a character only traditional writing uses (so
/// pair statistics of simplified text apply to traditional text); any other
/// character as it is.
#[inline]
pub(crate) fn to_simplified(c: char) -> char {
    if han_variant(c) != Some(Han::Traditional) {
        return c;
    }
    let folds = &tables().folds;
    folds
        .binary_search_by_key(&(c as u32), |x| x.0)
        .ok()
        .and_then(|k| folds.get(k))
        .and_then(|x| char::from_u32(x.1))
        .unwrap_or(c)
}

fn is_kana(c: char) -> bool {
    matches!(c as u32, 0x3041..=0x30FA)
}

/// How many characters of each kind the undamaged text showed.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct ScriptCounts {
    hangul: u32,
    kana: u32,
    simplified: u32,
    traditional: u32,
    /// Han characters, and those of them that mark Cantonese.
    han: u32,
    cantonese: u32,
}

impl ScriptCounts {
    pub fn add(&mut self, c: char) {
        if (c as u32) < 0x3041 {
            return;
        }
        if is_hangul(c) {
            self.hangul += 1;
        } else if is_kana(c) {
            self.kana += 1;
        } else {
            match han_variant(c) {
                Some(Han::Simplified) => self.simplified += 1,
                Some(Han::Traditional) => self.traditional += 1,
                None => {}
            }
            if is_han(c) {
                self.han += 1;
                self.cantonese += u32::from(is_cantonese(c));
            }
        }
    }

    pub fn tilt(&self) -> Tilt {
        // Japanese and Korean are not written in one another's letters:
        // a script clash costs twice as much as a simplified character in
        // traditional text (where quotes and names do mix them).
        Tilt {
            kana: 2.0 * against(self.kana, self.hangul),
            hangul: 2.0 * against(self.hangul, self.kana),
            simplified: against(self.simplified, self.traditional),
            traditional: against(self.traditional, self.simplified),
            // Cantonese writes one of these in every few characters (HKCanCor: 1 in 6); a text
            // with fewer than 1 in 30 is Mandarin. Chosen on the dev texts: 1 in 10 cost
            // dev_zh_hant (Mandarin and Cantonese dialogues in one text) `攞`; 30 and 60 alike.
            cantonese: against(CANTONESE_SHARE.saturating_mul(self.cantonese), self.han),
        }
    }
}

/// Log-probability added to a candidate of one kind when the text showed
/// `other` of the opposite kind and `own` of its own: none while the text
/// is mixed or silent, up to `MAX` nats as the evidence grows
/// (2 ln((other + 1) / (own + 1)): three traditional characters and no
/// simplified one cost a simplified candidate 2.8).
const CANTONESE_SHARE: u32 = 30;

fn against(own: u32, other: u32) -> f32 {
    const MAX: f32 = 6.0;
    let r = ((other as f32 + 1.0) / (own as f32 + 1.0)).ln();
    -(2.0 * r).clamp(0.0, MAX)
}

/// The per-candidate adjustment the lattice applies (all ≤ 0).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Tilt {
    kana: f32,
    hangul: f32,
    simplified: f32,
    traditional: f32,
    cantonese: f32,
}

impl Tilt {
    #[inline]
    pub fn of(&self, c: char) -> f32 {
        if (c as u32) < 0x3041 {
            return 0.0;
        }
        if is_hangul(c) {
            self.hangul
        } else if is_kana(c) {
            self.kana
        } else {
            let variant = match han_variant(c) {
                Some(Han::Simplified) => self.simplified,
                Some(Han::Traditional) => self.traditional,
                None => 0.0,
            };
            if is_cantonese(c) {
                variant + self.cantonese
            } else {
                variant
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str) -> ScriptCounts {
        let mut n = ScriptCounts::default();
        text.chars().for_each(|c| n.add(c));
        n
    }

    #[test]
    fn simplified_and_traditional_only_characters_are_known() {
        assert_eq!(han_variant('们'), Some(Han::Simplified));
        assert_eq!(han_variant('吗'), Some(Han::Simplified));
        assert_eq!(han_variant('們'), Some(Han::Traditional));
        assert_eq!(han_variant('嗎'), Some(Han::Traditional));
        // Both sides write these.
        assert_eq!(han_variant('我'), None);
        assert_eq!(han_variant('后'), None);
        assert_eq!(han_variant('a'), None);
    }

    #[test]
    fn traditional_characters_fold_to_simplified() {
        assert_eq!(to_simplified('嗎'), '吗');
        assert_eq!(to_simplified('們'), '们');
        assert_eq!(to_simplified('吗'), '吗');
        assert_eq!(to_simplified('我'), '我');
    }

    #[test]
    fn traditional_text_tilts_against_simplified_candidates() {
        let t = counts("我們說這個還不錯").tilt();
        assert!(t.of('吗') < -2.0, "{t:?}");
        assert_eq!(t.of('嗎'), 0.0);
        assert_eq!(t.of('好'), 0.0);
        let t = counts("我们说这个还不错").tilt();
        assert!(t.of('嗎') < -2.0, "{t:?}");
        assert_eq!(t.of('吗'), 0.0);
    }

    #[test]
    fn korean_text_tilts_against_kana_and_japanese_against_hangul() {
        let t = counts("고마워 진짜").tilt();
        assert!(t.of('ぅ') < -2.0, "{t:?}");
        assert_eq!(t.of('ㅎ'), 0.0);
        let t = counts("ありがとう").tilt();
        assert!(t.of('ㅎ') < -2.0, "{t:?}");
    }

    #[test]
    fn mandarin_text_tilts_against_cantonese_characters_and_cantonese_text_does_not() {
        assert!(is_cantonese('咁') && is_cantonese('啲') && is_cantonese('揾'));
        // Mandarin writes these too.
        assert!(!is_cantonese('係') && !is_cantonese('松') && !is_cantonese('我'));
        let t = counts("我忽然想到布列松所说的决定性瞬间").tilt();
        assert!(t.of('揾') < -4.0, "{t:?}");
        assert_eq!(t.of('松'), 0.0);
        let t = counts("聽日得唔得閒？咁約十二點喺酒樓，啲蝦餃好正").tilt();
        assert_eq!(t.of('咁'), 0.0, "{t:?}");
        assert_eq!(t.of('攞'), 0.0);
    }

    #[test]
    fn mixed_or_silent_text_tilts_nothing() {
        assert_eq!(counts("hello 😂").tilt(), Tilt::default());
        let t = counts("我們 我们").tilt();
        assert_eq!(t.of('吗'), 0.0);
        assert_eq!(t.of('嗎'), 0.0);
    }
}
