//! Single-byte code pages that mojibake goes through: byte→char tables,
//! their inverses, and which bytes each page leaves undefined.
//!
//! Tables come from encoding_rs (the WHATWG set); latin-1 is the identity.

use serde::Serialize;
use std::sync::OnceLock;

/// A single-byte code page that UTF-8 bytes may have been mis-decoded with.
#[derive(Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CodePage {
    Windows1252,
    Windows1254,
    Latin1,
    Windows1250,
    Windows1251,
    MacRoman,
    Iso8859_2,
    Windows1257,
    Koi8R,
}

/// How many code pages the engine knows; per-page masks have a bit each.
pub(crate) const N_PAGES: usize = 9;

/// One bit per code page (bit `CodePage::index`).
pub(crate) type PageMask = u16;
const _: () = assert!(N_PAGES <= PageMask::BITS as usize);

impl CodePage {
    /// Order matters: on a tie the earlier page wins, and windows-1254's
    /// undefined bytes are a superset of windows-1252's, so trying it first
    /// keeps every completion of a dropped byte in play. The pages added
    /// later come after the first six, so those keep winning the ties they
    /// won (ISO-8859-2 and windows-1257 read much mojibake of windows-1250
    /// and -1252 alike).
    pub const ALL: [CodePage; N_PAGES] = [
        CodePage::Windows1254,
        CodePage::Windows1252,
        CodePage::Latin1,
        CodePage::Windows1250,
        CodePage::Windows1251,
        CodePage::MacRoman,
        CodePage::Iso8859_2,
        CodePage::Windows1257,
        CodePage::Koi8R,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CodePage::Windows1252 => "windows-1252",
            CodePage::Windows1254 => "windows-1254",
            CodePage::Latin1 => "latin-1",
            CodePage::Windows1250 => "windows-1250",
            CodePage::Windows1251 => "windows-1251",
            CodePage::MacRoman => "mac-roman",
            CodePage::Iso8859_2 => "iso-8859-2",
            CodePage::Windows1257 => "windows-1257",
            CodePage::Koi8R => "koi8-r",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            CodePage::Windows1254 => 0,
            CodePage::Windows1252 => 1,
            CodePage::Latin1 => 2,
            CodePage::Windows1250 => 3,
            CodePage::Windows1251 => 4,
            CodePage::MacRoman => 5,
            CodePage::Iso8859_2 => 6,
            CodePage::Windows1257 => 7,
            CodePage::Koi8R => 8,
        }
    }

    pub(crate) fn table(self) -> &'static Table {
        &tables()[self.index()]
    }
}

/// Decode table plus inverse for one code page.
pub(crate) struct Table {
    /// Byte → char as the code page decodes it (undefined bytes decode to
    /// the C1 control of the same value, as encoding_rs does).
    pub decode: [char; 256],
    /// Bytes a careless decoder cannot map; bit set per byte.
    undefined: [bool; 256],
    /// Inverse for U+0080..U+00FF (the hot range); -1 when unencodable.
    low: [i16; 128],
    /// Inverse for everything else, sorted by char.
    high: Vec<(char, u8)>,
    /// The undefined bytes, for enumerating completions.
    pub undefined_list: Vec<u8>,
    /// Bytes that may vanish from a dropped-byte text: the undefined ones
    /// plus the soft hyphen, which text pipelines strip as invisible.
    pub droppable: Vec<u8>,
}

impl Table {
    #[inline]
    pub fn encode(&self, c: char) -> Option<u8> {
        let u = c as u32;
        if u < 0x80 {
            return Some(u as u8);
        }
        if u < 0x100 {
            let v = self.low[(u - 0x80) as usize];
            return if v < 0 { None } else { Some(v as u8) };
        }
        self.high
            .binary_search_by_key(&c, |&(ch, _)| ch)
            .ok()
            .map(|i| self.high[i].1)
    }

    #[inline]
    pub fn is_undefined(&self, b: u8) -> bool {
        self.undefined[b as usize]
    }
}

/// What `cp` decodes byte `b` to; U+FFFD where the page defines nothing.
fn decode_byte(cp: CodePage, b: u8) -> char {
    let enc = match cp {
        CodePage::Latin1 => return char::from(b),
        _ if b < 0x80 => return char::from(b),
        CodePage::Windows1252 => encoding_rs::WINDOWS_1252,
        CodePage::Windows1254 => encoding_rs::WINDOWS_1254,
        CodePage::Windows1250 => encoding_rs::WINDOWS_1250,
        CodePage::Windows1251 => encoding_rs::WINDOWS_1251,
        CodePage::MacRoman => encoding_rs::MACINTOSH,
        CodePage::Iso8859_2 => encoding_rs::ISO_8859_2,
        CodePage::Windows1257 => encoding_rs::WINDOWS_1257,
        CodePage::Koi8R => encoding_rs::KOI8_R,
    };
    let byte = [b];
    let (s, _) = enc.decode_without_bom_handling(&byte);
    s.chars().next().unwrap_or('\u{FFFD}')
}

fn build(cp: CodePage) -> Table {
    let mut decode = ['\0'; 256];
    for (b, slot) in decode.iter_mut().enumerate() {
        *slot = decode_byte(cp, b as u8);
    }
    let mut undefined = [false; 256];
    let mut undefined_list = Vec::new();
    for b in 0x80..256 {
        let c = decode[b] as u32;
        // Latin-1's C1 block is "defined" only as controls that pipelines
        // routinely strip, so it is damaged the same way undefined bytes are.
        if (0x80..0xA0).contains(&c) || c == 0xFFFD {
            undefined[b] = true;
            undefined_list.push(b as u8);
        }
        // Outside the C1 block (windows-1257's 0xA1, 0xA5) a careless
        // decoder keeps an undefined byte as the Latin-1 char of the same
        // value, as ftfy's sloppy codecs do; reading it back needs the same
        // mapping.
        let sloppy = char::from(b as u8);
        if c == 0xFFFD && !decode.contains(&sloppy) {
            decode[b] = sloppy;
        }
    }
    let mut low = [-1i16; 128];
    let mut high = Vec::new();
    for (b, &c) in decode.iter().enumerate().skip(0x80) {
        let u = c as u32;
        if c == '\u{FFFD}' {
            continue;
        }
        if (0x80..0x100).contains(&u) {
            low[(u - 0x80) as usize] = b as i16;
        } else if u >= 0x100 {
            high.push((c, b as u8));
        }
    }
    high.sort_unstable();
    let mut droppable = undefined_list.clone();
    if decode[0xAD] == '\u{AD}' {
        droppable.push(0xAD);
    }
    Table {
        decode,
        undefined,
        low,
        high,
        undefined_list,
        droppable,
    }
}

fn tables() -> &'static [Table; N_PAGES] {
    static T: OnceLock<[Table; N_PAGES]> = OnceLock::new();
    T.get_or_init(|| CodePage::ALL.map(build))
}

/// Class bits of a character as a source char of mojibake.
pub(crate) const C_LETTER: u8 = 1;
pub(crate) const C_LOWER: u8 = 2;
pub(crate) const C_UPPER: u8 = 4;
pub(crate) const C_CLOSING: u8 = 8;
pub(crate) const C_OPENING: u8 = 16;
pub(crate) const C_CONTROL: u8 = 32;

fn classify(c: char) -> u8 {
    let mut k = 0;
    // Ordinal indicators and micro sign are letters to Unicode but never
    // stand inside a word.
    if super::plausible::is_letter(c) && !matches!(c, 'ª' | 'º' | 'µ') {
        k |= C_LETTER;
        if c.is_lowercase() {
            k |= C_LOWER;
        }
        if c.is_uppercase() {
            k |= C_UPPER;
        }
    }
    if matches!(
        c,
        '’' | '”' | '“' | '»' | '›' | '…' | '–' | '—' | '•' | '·' | '‚' | '\u{A0}' | '´'
    ) {
        k |= C_CLOSING;
    }
    if matches!(
        c,
        '“' | '‘' | '«' | '‹' | '„' | '¿' | '¡' | '–' | '—' | '…' | '\u{A0}'
    ) {
        k |= C_OPENING;
    }
    if (0x80..0xA0).contains(&(c as u32)) {
        k |= C_CONTROL;
    }
    k
}

/// What the scans need of one non-ASCII char: its byte in every code page
/// (0 = not encodable), its class bits, and per code page whether that byte
/// is a UTF-8 lead byte / continuation byte (bit `CodePage::index`).
#[derive(Clone, Copy, Default)]
pub(crate) struct CharEntry {
    pub bytes: [u8; N_PAGES],
    pub class: u8,
    pub lead: PageMask,
    pub cont: PageMask,
    /// Some code page encodes the char.
    known: bool,
}

/// First char past the dense table; every code page's repertoire outside
/// ASCII lies below it (KOI8-R's box drawing and blocks, mac-roman's `◊`)
/// except three mac-roman chars (kept in `high`).
const DENSE_END: u32 = 0x25D0;

/// Byte in every code page (0 = not encodable) and class bits, for every
/// non-ASCII char some code page can encode: a dense table for
/// U+0080..U+25D0, a sorted list for the few beyond.
pub(crate) struct CharInfo {
    dense: Vec<CharEntry>,
    high: Vec<(char, CharEntry)>,
}

impl CharInfo {
    #[inline]
    pub fn entry(&self, c: char) -> Option<&CharEntry> {
        let u = c as u32;
        if u < 0x80 {
            return None;
        }
        let e = if u < DENSE_END {
            self.dense.get((u - 0x80) as usize)?
        } else {
            if lead_cont_mask_fast_reject(u) {
                return None;
            }
            let i = self.high.binary_search_by_key(&c, |x| x.0).ok()?;
            &self.high.get(i)?.1
        };
        e.known.then_some(e)
    }
}

/// Whether a char past the dense table is certainly in no code page: the
/// common case (CJK, emoji) must not pay for a binary search.
fn lead_cont_mask_fast_reject(u: u32) -> bool {
    u >= DENSE_END && u != 0xF8FF && u != 0xFB01 && u != 0xFB02
}

pub(crate) fn char_info() -> &'static CharInfo {
    static I: OnceLock<CharInfo> = OnceLock::new();
    I.get_or_init(|| {
        let entry_of = |c: char| {
            let mut e = CharEntry {
                class: classify(c),
                ..CharEntry::default()
            };
            for cp in CodePage::ALL {
                let ci = cp.index();
                let b = cp.table().encode(c).unwrap_or(0);
                e.bytes[ci] = b;
                e.lead |= PageMask::from((0xC2..=0xF4).contains(&b)) << ci;
                e.cont |= PageMask::from((0x80..0xC0).contains(&b)) << ci;
            }
            e
        };
        let mut chars: Vec<char> = tables()
            .iter()
            .flat_map(|t| t.high.iter().map(|x| x.0))
            .collect();
        chars.sort_unstable();
        chars.dedup();
        let mut dense: Vec<CharEntry> = (0x80..DENSE_END)
            .map(|u| {
                let c = char::from_u32(u).unwrap_or('\0');
                CharEntry {
                    class: classify(c),
                    ..CharEntry::default()
                }
            })
            .collect();
        // U+0080..U+00FF are always known (as before: bytes may all be 0).
        for u in 0x80u32..0x100 {
            let c = char::from_u32(u).unwrap_or('\0');
            if let Some(slot) = dense.get_mut((u - 0x80) as usize) {
                *slot = CharEntry {
                    known: true,
                    ..entry_of(c)
                };
            }
        }
        let mut high = Vec::new();
        for c in chars {
            let e = CharEntry {
                known: true,
                ..entry_of(c)
            };
            let u = c as u32;
            if u < DENSE_END {
                if let Some(slot) = dense.get_mut((u - 0x80) as usize) {
                    *slot = e;
                }
            } else {
                high.push((c, e));
            }
        }
        CharInfo { dense, high }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encodable_char_is_found() {
        let info = char_info();
        for cp in CodePage::ALL {
            let t = cp.table();
            for b in 0x80..=0xFFu8 {
                let c = t.decode[b as usize];
                if t.is_undefined(b) && c == '\u{FFFD}' {
                    continue;
                }
                assert_eq!(t.encode(c), Some(b), "{} {b:#x} {c:?}", cp.name());
                let e = info.entry(c);
                assert_eq!(
                    e.map(|e| e.bytes[cp.index()]),
                    Some(b),
                    "{} {c:?}",
                    cp.name()
                );
            }
        }
    }

    #[test]
    fn sloppy_undefined_bytes() {
        let t = CodePage::Windows1257.table();
        assert_eq!(t.undefined_list.len(), 12);
        assert_eq!(t.encode('¡'), Some(0xA1));
        assert_eq!(t.encode('¥'), Some(0xA5));
        assert_eq!(t.decode[0xA5], '¥');
    }
}
