//! Single-byte code pages that mojibake goes through: byte→char tables,
//! their inverses, and which bytes each page leaves undefined.
//!
//! Tables come from encoding_rs (the WHATWG set); latin-1 is the identity;
//! IBM437 and IBM850 are const tables generated from Python's codecs.

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
    Iso8859_15,
    Windows1253,
    MacCyrillic,
    Ibm437,
    Ibm850,
}

/// How many code pages the engine knows; per-page masks have a bit each.
pub(crate) const N_PAGES: usize = 14;

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
        CodePage::Iso8859_15,
        CodePage::Windows1253,
        CodePage::MacCyrillic,
        CodePage::Ibm437,
        CodePage::Ibm850,
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
            CodePage::Iso8859_15 => "iso-8859-15",
            CodePage::Windows1253 => "windows-1253",
            CodePage::MacCyrillic => "x-mac-cyrillic",
            CodePage::Ibm437 => "ibm437",
            CodePage::Ibm850 => "ibm850",
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
            CodePage::Iso8859_15 => 9,
            CodePage::Windows1253 => 10,
            CodePage::MacCyrillic => 11,
            CodePage::Ibm437 => 12,
            CodePage::Ibm850 => 13,
        }
    }

    /// The pages added last (ISO-8859-15, windows-1253, x-mac-cyrillic,
    /// IBM437, IBM850) read much clean text and much mojibake of the other
    /// pages as mojibake of their own: their readings need the document's
    /// evidence (see `select_clusters`).
    pub(crate) fn gated(self) -> bool {
        self.index() >= 9
    }

    /// Whether every character of `text` has a byte in this page: text in the page's own
    /// languages, which its users wrote and which their mojibake mostly is.
    pub fn can_write(self, text: &str) -> bool {
        let t = self.table();
        text.chars().all(|c| t.encode(c).is_some())
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
        CodePage::Iso8859_15 => encoding_rs::ISO_8859_15,
        CodePage::Windows1253 => encoding_rs::WINDOWS_1253,
        CodePage::MacCyrillic => encoding_rs::X_MAC_CYRILLIC,
        CodePage::Ibm437 => return IBM437_HIGH[usize::from(b - 0x80)],
        CodePage::Ibm850 => return IBM850_HIGH[usize::from(b - 0x80)],
    };
    let byte = [b];
    let (s, _) = enc.decode_without_bom_handling(&byte);
    s.chars().next().unwrap_or('\u{FFFD}')
}

/// IBM437 and IBM850 (the DOS pages; encoding_rs has neither), bytes
/// 0x80..=0xFF, generated from Python's `cp437` / `cp850` codecs (the
/// Unicode consortium's mappings): `bytes(range(0x80, 0x100)).decode("cp437")`.
const IBM437_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}', '\u{00E7}',
    '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}', '\u{00C5}',
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}', '\u{00F9}',
    '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00A2}', '\u{00A3}', '\u{00A5}', '\u{20A7}', '\u{0192}',
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}',
    '\u{00BF}', '\u{2310}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{2561}', '\u{2562}', '\u{2556}',
    '\u{2555}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{255C}', '\u{255B}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{255E}', '\u{255F}',
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{2567}',
    '\u{2568}', '\u{2564}', '\u{2565}', '\u{2559}', '\u{2558}', '\u{2552}', '\u{2553}', '\u{256B}',
    '\u{256A}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{258C}', '\u{2590}', '\u{2580}',
    '\u{03B1}', '\u{00DF}', '\u{0393}', '\u{03C0}', '\u{03A3}', '\u{03C3}', '\u{00B5}', '\u{03C4}',
    '\u{03A6}', '\u{0398}', '\u{03A9}', '\u{03B4}', '\u{221E}', '\u{03C6}', '\u{03B5}', '\u{2229}',
    '\u{2261}', '\u{00B1}', '\u{2265}', '\u{2264}', '\u{2320}', '\u{2321}', '\u{00F7}', '\u{2248}',
    '\u{00B0}', '\u{2219}', '\u{00B7}', '\u{221A}', '\u{207F}', '\u{00B2}', '\u{25A0}', '\u{00A0}',
];

/// See `IBM437_HIGH`.
const IBM850_HIGH: [char; 128] = [
    '\u{00C7}', '\u{00FC}', '\u{00E9}', '\u{00E2}', '\u{00E4}', '\u{00E0}', '\u{00E5}', '\u{00E7}',
    '\u{00EA}', '\u{00EB}', '\u{00E8}', '\u{00EF}', '\u{00EE}', '\u{00EC}', '\u{00C4}', '\u{00C5}',
    '\u{00C9}', '\u{00E6}', '\u{00C6}', '\u{00F4}', '\u{00F6}', '\u{00F2}', '\u{00FB}', '\u{00F9}',
    '\u{00FF}', '\u{00D6}', '\u{00DC}', '\u{00F8}', '\u{00A3}', '\u{00D8}', '\u{00D7}', '\u{0192}',
    '\u{00E1}', '\u{00ED}', '\u{00F3}', '\u{00FA}', '\u{00F1}', '\u{00D1}', '\u{00AA}', '\u{00BA}',
    '\u{00BF}', '\u{00AE}', '\u{00AC}', '\u{00BD}', '\u{00BC}', '\u{00A1}', '\u{00AB}', '\u{00BB}',
    '\u{2591}', '\u{2592}', '\u{2593}', '\u{2502}', '\u{2524}', '\u{00C1}', '\u{00C2}', '\u{00C0}',
    '\u{00A9}', '\u{2563}', '\u{2551}', '\u{2557}', '\u{255D}', '\u{00A2}', '\u{00A5}', '\u{2510}',
    '\u{2514}', '\u{2534}', '\u{252C}', '\u{251C}', '\u{2500}', '\u{253C}', '\u{00E3}', '\u{00C3}',
    '\u{255A}', '\u{2554}', '\u{2569}', '\u{2566}', '\u{2560}', '\u{2550}', '\u{256C}', '\u{00A4}',
    '\u{00F0}', '\u{00D0}', '\u{00CA}', '\u{00CB}', '\u{00C8}', '\u{0131}', '\u{00CD}', '\u{00CE}',
    '\u{00CF}', '\u{2518}', '\u{250C}', '\u{2588}', '\u{2584}', '\u{00A6}', '\u{00CC}', '\u{2580}',
    '\u{00D3}', '\u{00DF}', '\u{00D4}', '\u{00D2}', '\u{00F5}', '\u{00D5}', '\u{00B5}', '\u{00FE}',
    '\u{00DE}', '\u{00DA}', '\u{00DB}', '\u{00D9}', '\u{00FD}', '\u{00DD}', '\u{00AF}', '\u{00B4}',
    '\u{00AD}', '\u{00B1}', '\u{2017}', '\u{00BE}', '\u{00B6}', '\u{00A7}', '\u{00F7}', '\u{00B8}',
    '\u{00B0}', '\u{00A8}', '\u{00B7}', '\u{00B9}', '\u{00B3}', '\u{00B2}', '\u{25A0}', '\u{00A0}',
];

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
/// Box drawing and block elements (U+2500..U+259F).
pub(crate) const C_BOX: u8 = 64;

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
    if ('\u{2500}'..='\u{259F}').contains(&c) {
        k |= C_BOX;
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
