//! Known words with a non-ASCII letter, in 40+ languages (wordfreq, see
//! data/build_lexicon.py): a Bloom filter the repair engine asks whether a
//! repaired word is a real word in some language. About 0.5 % of non-words
//! pass as known; a word wordfreq does not list is unknown. Single letters
//! are listed too (`ų`, `в`, `à`), so they are weak evidence.

use std::sync::OnceLock;

static LEXICON_BYTES: &[u8] =
    include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/lexicon.bin"));

const MAGIC: &[u8; 4] = b"CQL1";
const HEADER_LEN: usize = 24;
/// More hashes than this is no Bloom filter we build; a corrupt header
/// must not make a lookup loop for long.
const MAX_K: u32 = 32;

/// The parsed header and the bit array (borrowed from the embedded file).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bloom {
    k: u32,
    /// Number of bits.
    m: u64,
    /// Number of words inserted.
    n: u64,
    bits: &'static [u8],
}

impl Bloom {
    /// None unless the header is sane and the bit array is exactly
    /// ceil(m / 64) little-endian u64 words.
    fn parse(data: &'static [u8]) -> Option<Bloom> {
        let header = data.get(..HEADER_LEN)?;
        if header.get(..4)? != MAGIC {
            return None;
        }
        let k = u32::from_le_bytes(header.get(4..8)?.try_into().ok()?);
        let m = u64::from_le_bytes(header.get(8..16)?.try_into().ok()?);
        let n = u64::from_le_bytes(header.get(16..24)?.try_into().ok()?);
        let bits = data.get(HEADER_LEN..)?;
        let words = usize::try_from(m.div_ceil(64)).ok()?;
        if k == 0 || k > MAX_K || m == 0 || Some(bits.len()) != words.checked_mul(8) {
            return None;
        }
        Some(Bloom { k, m, n, bits })
    }

    fn contains_hash(&self, h: u64) -> bool {
        let h1 = h & 0xffff_ffff;
        let h2 = (h >> 32) | 1;
        (0..u64::from(self.k)).all(|i| {
            // h1 + i * h2 < 2^32 + 32 * 2^32: no overflow.
            let bit = (h1 + i * h2) % self.m;
            // Bit j of the u64 array is bit j % 8 of byte j / 8.
            usize::try_from(bit / 8)
                .ok()
                .and_then(|b| self.bits.get(b))
                .is_some_and(|byte| byte >> (bit % 8) & 1 == 1)
        })
    }
}

fn lexicon() -> Option<&'static Bloom> {
    static LEXICON: OnceLock<Option<Bloom>> = OnceLock::new();
    LEXICON.get_or_init(|| Bloom::parse(LEXICON_BYTES)).as_ref()
}

/// Whether `word` (NFC) is a word wordfreq lists, up to the filter's false
/// positives. Case does not matter. Never true if the embedded file is
/// malformed.
pub(crate) fn known(word: &str) -> bool {
    lexicon().is_some_and(|b| b.contains_hash(folded_hash(word)))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a of the UTF-8 of `word` folded as data/build_lexicon.py
/// folds its words, without building the folded string.
fn folded_hash(word: &str) -> u64 {
    let mut h = FNV_OFFSET;
    let mut feed = |c: char| {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    };
    for c in word.chars() {
        // wordfreq lowercases Turkish İ to a plain i (to_lowercase gives
        // i + combining dot).
        if c == 'İ' {
            feed('i');
            continue;
        }
        for l in c.to_lowercase() {
            match l {
                // wordfreq case-folds, which turns these into the plain
                // forms its lists hold.
                'ς' => feed('σ'),
                'ß' => {
                    feed('s');
                    feed('s');
                }
                // Romanian lists use the comma, Turkish ones the cedilla;
                // the lexicon holds the cedilla for both.
                'ș' => feed('ş'),
                'ț' => feed('ţ'),
                // wordfreq strips vowel points and the tatweel from Arabic
                // and Hebrew words.
                _ if is_abjad_mark(l) => {}
                _ => feed(l),
            }
        }
    }
    h
}

/// The Arabic and Hebrew combining marks (general category Mn) and the
/// tatweel: the same ranges as `is_mark_stripped` in the build script.
fn is_abjad_mark(c: char) -> bool {
    matches!(c,
        '\u{0591}'..='\u{05BD}'
        | '\u{05BF}' | '\u{05C1}' | '\u{05C2}' | '\u{05C4}' | '\u{05C5}' | '\u{05C7}'
        | '\u{0610}'..='\u{061A}'
        | '\u{0640}'
        | '\u{064B}'..='\u{065F}'
        | '\u{0670}'
        | '\u{06D6}'..='\u{06DC}'
        | '\u{06DF}'..='\u{06E4}'
        | '\u{06E7}' | '\u{06E8}'
        | '\u{06EA}'..='\u{06ED}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown_of<'a>(words: &[&'a str]) -> Vec<&'a str> {
        words.iter().copied().filter(|w| !known(w)).collect()
    }

    #[test]
    fn common_words_are_known() {
        let words = [
            // cs, sk
            "Čeština",
            "příliš",
            "kůň",
            "děkuji",
            "váži",
            "môže",
            "ďakujem",
            "kôň",
            "žiť",
            // pl, hu
            "źdźbło",
            "pszczoła",
            "żółw",
            "dziękuję",
            "különböző",
            "köszönöm",
            "tűz",
            // ro (comma and cedilla forms), tr
            "țară",
            "ţară",
            "știință",
            "mulțumesc",
            "şehir",
            "türkçe",
            "teşekkür",
            "ılık",
            // vi, de, fr, pt
            "tiếng",
            "việt",
            "người",
            "größe",
            "Straße",
            "Mädchen",
            "naïve",
            "français",
            "été",
            "garçon",
            "São",
            "coração",
            // ru, uk, el (final sigma, upper case)
            "привет",
            "ПРИВЕТ",
            "спасибо",
            "привіт",
            "їжак",
            "дякую",
            "καλημέρα",
            "ευχαριστώ",
            "της",
            "ΤΗΣ",
            "γλώσσα",
            // he, ar (also with vowel marks), hi
            "שלום",
            "תודה",
            "מַיִם",
            "مرحبا",
            "العربية",
            "شُكْرًا",
            "नमस्ते",
            "धन्यवाद",
            "हिंदी",
        ];
        assert_eq!(unknown_of(&words), Vec::<&str>::new());
    }

    #[test]
    #[ignore = "wordfreq 3.1.1 has no Thai word list; needs another source"]
    fn thai_words_are_known() {
        assert_eq!(unknown_of(&["สวัสดี", "ขอบคุณ"]), Vec::<&str>::new());
    }

    #[test]
    fn mojibake_and_misrepairs_are_unknown() {
        let words = [
            "Prၚkovohol",
            "vၞi",
            "l획iť",
            "ÄŒeÅ¡tina",
            "cafÃ©",
            "Ã©tÃ©",
            "Ð¿Ñ€Ð¸Ð²ÐµÑ‚",
            "Bront녔",
            "PRÁŠKOVOHOLĚ",
        ];
        let known: Vec<_> = words.iter().filter(|w| super::known(w)).collect();
        assert!(known.is_empty(), "known: {known:?}");
    }

    #[test]
    fn header_matches_the_file() {
        let b = lexicon().expect("data/lexicon.bin parses");
        assert_eq!(b.k, 8);
        assert_eq!(b.m % 64, 0);
        assert_eq!(LEXICON_BYTES.len() as u64, HEADER_LEN as u64 + b.m / 8);
        // 40+ languages: several hundred thousand words at ~11 bits each.
        assert!(b.n > 500_000, "n = {}", b.n);
        let bits_per_word = b.m as f64 / b.n as f64;
        assert!((10.0..12.0).contains(&bits_per_word), "{bits_per_word}");
    }

    #[test]
    fn malformed_files_know_nothing() {
        let good = Bloom::parse(LEXICON_BYTES).expect("parses");
        let mut v = LEXICON_BYTES.to_vec();
        v[0] = b'X';
        let bad_magic: &'static [u8] = v.leak();
        let short: &'static [u8] = &LEXICON_BYTES[..LEXICON_BYTES.len() - 8];
        let mut z = LEXICON_BYTES[..HEADER_LEN].to_vec();
        z[4..8].copy_from_slice(&0u32.to_le_bytes());
        z.extend_from_slice(&LEXICON_BYTES[HEADER_LEN..]);
        let zero_k: &'static [u8] = z.leak();
        for data in [&[][..], &LEXICON_BYTES[..10], bad_magic, short, zero_k] {
            assert_eq!(Bloom::parse(data), None);
        }
        assert!(good.contains_hash(folded_hash("váži")));
    }

    /// Random strings of accented Latin letters: almost none is a word, so
    /// the share found is the false-positive rate (built for ~0.5 %).
    #[test]
    fn false_positive_rate_is_low() {
        let alphabet: Vec<char> = "áàâäãåąčćçďéèêëěęíìîïľĺłńňñóòôöõőřŕšśşťúùûüůűýÿžźżğıæøœ"
            .chars()
            .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let trials = 100_000;
        let mut hits = 0;
        for _ in 0..trials {
            let len = 4 + (next() % 7) as usize;
            let w: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            hits += usize::from(known(&w));
        }
        let rate = hits as f64 / f64::from(trials);
        eprintln!(
            "lexicon false positives: {hits}/{trials} = {:.3} %",
            rate * 100.0
        );
        assert!(rate < 0.02, "false-positive rate {rate}");
    }
}
