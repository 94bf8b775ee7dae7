//! English inflection: which base word a word form stands for (feelings → feeling, painted →
//! paint, went → go), and which other base it may also stand for (painting is a noun and a form
//! of paint). Inflection only, never derivation: emotional stays apart from emotion, consumer
//! from consume, difference from different — the over-reach of Snowball stemming (issue #13).
//!
//! Rules plus word frequencies: a suffix is removed only when what is left (or what spelling
//! rules restore: cod+ing → code, stopp+ed → stop, stud+ies → study) is a known English word
//! about as frequent as the form itself, so `need`, `news` and `always` are not taken apart.
//! Frequencies are wordfreq's (data/en_words.txt, built by data/build_en_words.py), searched in
//! place: nothing is parsed at start-up.

/// `word bucket\n` lines, sorted bytewise; bucket = wordfreq centibels (Zipf = 9 − bucket/100).
static WORDS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/en_words.txt"));

/// What a word form reads as: `primary` is the one token a query uses and the index always has;
/// `also` is a second base the index adds at the same position (an -ing form is its own noun
/// and a form of its verb; `left` is a word and a form of `leave`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readings {
    pub primary: String,
    pub also: Option<String>,
}

/// A base must be at most this many centibels rarer than the form (1 on the Zipf scale):
/// painted (Zipf 4.0) → paint (4.5) yes; united (5.0) → unite (3.7) no, it is its own word.
const MAX_RARER: u16 = 100;

/// Forms that look inflected but are words of their own (their "base" would be another word).
const NOT_INFLECTED: &[&str] = &[
    "always",
    "ceiling",
    "during",
    "economics",
    "ethics",
    "evening",
    "lens",
    "mathematics",
    "morning",
    "news",
    "nothing",
    "physics",
    "politics",
    "series",
    "species",
    "something",
    "anything",
    "everything",
    "thus",
    "perhaps",
    "sometimes",
    "wedding",
    "pudding",
    "darling",
];

/// Irregular forms whose only reading is the base.
const IRREGULAR: &[(&str, &str)] = &[
    ("am", "be"),
    ("are", "be"),
    ("is", "be"),
    ("was", "be"),
    ("were", "be"),
    ("been", "be"),
    ("being", "be"),
    ("has", "have"),
    ("had", "have"),
    ("having", "have"),
    ("does", "do"),
    ("did", "do"),
    ("done", "do"),
    ("doing", "do"),
    ("goes", "go"),
    ("went", "go"),
    ("gone", "go"),
    ("made", "make"),
    ("said", "say"),
    ("says", "say"),
    ("took", "take"),
    ("taken", "take"),
    ("came", "come"),
    ("gave", "give"),
    ("given", "give"),
    ("knew", "know"),
    ("known", "know"),
    ("thought", "think"),
    ("told", "tell"),
    ("became", "become"),
    ("began", "begin"),
    ("begun", "begin"),
    ("brought", "bring"),
    ("bought", "buy"),
    ("caught", "catch"),
    ("chose", "choose"),
    ("chosen", "choose"),
    ("drew", "draw"),
    ("drawn", "draw"),
    ("drank", "drink"),
    ("drunk", "drink"),
    ("drove", "drive"),
    ("driven", "drive"),
    ("ate", "eat"),
    ("eaten", "eat"),
    ("fought", "fight"),
    ("forgot", "forget"),
    ("forgotten", "forget"),
    ("froze", "freeze"),
    ("frozen", "freeze"),
    ("got", "get"),
    ("gotten", "get"),
    ("grew", "grow"),
    ("grown", "grow"),
    ("heard", "hear"),
    ("held", "hold"),
    ("kept", "keep"),
    ("knelt", "kneel"),
    ("led", "lead"),
    ("lent", "lend"),
    ("lost", "lose"),
    ("meant", "mean"),
    ("met", "meet"),
    ("paid", "pay"),
    ("ran", "run"),
    ("rode", "ride"),
    ("ridden", "ride"),
    ("rang", "ring"),
    ("sang", "sing"),
    ("sung", "sing"),
    ("sat", "sit"),
    ("sold", "sell"),
    ("sent", "send"),
    ("shook", "shake"),
    ("shot", "shoot"),
    ("slept", "sleep"),
    ("spent", "spend"),
    ("spoken", "speak"),
    ("stood", "stand"),
    ("stole", "steal"),
    ("stolen", "steal"),
    ("struck", "strike"),
    ("swam", "swim"),
    ("taught", "teach"),
    ("threw", "throw"),
    ("thrown", "throw"),
    ("understood", "understand"),
    ("woke", "wake"),
    ("woken", "wake"),
    ("wore", "wear"),
    ("worn", "wear"),
    ("won", "win"),
    ("wrote", "write"),
    ("written", "write"),
    ("dying", "die"),
    ("lying", "lie"),
    ("tying", "tie"),
    ("children", "child"),
    ("men", "man"),
    ("women", "woman"),
    ("feet", "foot"),
    ("teeth", "tooth"),
    ("mice", "mouse"),
    ("geese", "goose"),
    ("knives", "knife"),
    ("wives", "wife"),
    ("lives", "life"),
    ("leaves", "leaf"),
    ("halves", "half"),
    ("shelves", "shelf"),
    ("wolves", "wolf"),
    ("thieves", "thief"),
    ("selves", "self"),
    ("data", "datum"),
    ("criteria", "criterion"),
    ("phenomena", "phenomenon"),
    ("analyses", "analysis"),
    ("crises", "crisis"),
    ("theses", "thesis"),
    ("bases", "base"),
];

/// Irregular forms that are also words of their own: `left` the direction, `felt` the cloth.
const AMBIGUOUS: &[(&str, &str)] = &[
    ("left", "leave"),
    ("felt", "feel"),
    ("found", "find"),
    ("saw", "see"),
    ("seen", "see"),
    ("lay", "lie"),
    ("fell", "fall"),
    ("fallen", "fall"),
    ("rose", "rise"),
    ("ground", "grind"),
    ("wound", "wind"),
    ("bore", "bear"),
    ("spoke", "speak"),
    ("broke", "break"),
    ("broken", "break"),
    ("built", "build"),
    ("sought", "seek"),
    ("hid", "hide"),
    ("hidden", "hide"),
    ("bit", "bite"),
    ("bitten", "bite"),
    ("flew", "fly"),
    ("flown", "fly"),
    ("hung", "hang"),
    ("laid", "lay"),
    ("stuck", "stick"),
    ("tore", "tear"),
    ("torn", "tear"),
];

/// The readings of a lowercase word; words of other shapes (digits, non-ASCII, ≤ 3 letters)
/// read as themselves.
pub fn readings(word: &str) -> Readings {
    let own = |primary: &str, also: Option<&str>| Readings {
        primary: primary.to_owned(),
        also: also.filter(|a| *a != primary).map(str::to_owned),
    };
    if !word.bytes().all(|b| b.is_ascii_lowercase()) || word.len() <= 3 {
        return own(word, None);
    }
    if let Some(&(_, base)) = IRREGULAR.iter().find(|(form, _)| *form == word) {
        return own(base, None);
    }
    if let Some(&(_, base)) = AMBIGUOUS.iter().find(|(form, _)| *form == word) {
        return own(word, Some(base));
    }
    if NOT_INFLECTED.contains(&word) {
        return own(word, None);
    }
    if let Some(stem) = word.strip_suffix("ing") {
        // An -ing form is a noun of its own (a painting, the feelings) and a form of its verb.
        return own(word, verb_base(word, stem).as_deref());
    }
    if let Some(stem) = word.strip_suffix("ed") {
        if let Some(base) = verb_base(word, stem) {
            return own(&base, None);
        }
        return own(word, None);
    }
    match plural_base(word) {
        Some(base) => own(&base, None),
        None => own(word, None),
    }
}

/// The one token a query word searches for.
pub fn query_form(word: &str) -> String {
    readings(word).primary
}

/// The base of a verb form `form` = `stem` + -ed/-ing: stopp → stop, cod → code, tri → try.
fn verb_base(form: &str, stem: &str) -> Option<String> {
    // A vowel, or a y after the first letter (try, cry): thing, string and bring have no verb.
    if stem.len() < 2
        || !stem
            .bytes()
            .enumerate()
            .any(|(i, b)| is_vowel(b) || (i > 0 && b == b'y'))
    {
        return None;
    }
    let bytes = stem.as_bytes();
    let mut candidates: Vec<String> = Vec::with_capacity(3);
    let n = bytes.len();
    if n >= 2 && bytes[n - 1] == bytes[n - 2] && !is_vowel(bytes[n - 1]) {
        // stopp → stop, but add stays add and call stays call: the more frequent wins.
        candidates.push(stem.to_owned());
        candidates.push(stem[..n - 1].to_owned());
        return best_known(form, &candidates, false);
    }
    if let Some(s) = stem.strip_suffix('i').filter(|_| form.ends_with("ied")) {
        return best_known(form, &[format!("{s}y")], false);
    }
    let with_e = format!("{stem}e");
    if ends_cvc(bytes) && known(&with_e).is_some_and(|b| b < 600) {
        // cod+ing is code: cod would have doubled its d (codding), as hop does (hopping).
        return best_known(form, &[with_e], false);
    }
    candidates.push(stem.to_owned());
    candidates.push(with_e);
    best_known(form, &candidates, false)
}

/// The singular of a plural, or the base of a third-person -s: cats → cat, studies → study,
/// boxes → box, codes → code.
fn plural_base(word: &str) -> Option<String> {
    let stem = word.strip_suffix('s')?;
    if ["s", "u", "i"].iter().any(|end| stem.ends_with(end)) && !word.ends_with("ies") {
        return None;
    }
    let mut candidates = vec![stem.to_owned()];
    if let Some(s) = word.strip_suffix("ies") {
        candidates.insert(0, format!("{s}y"));
    }
    if let Some(s) = word.strip_suffix("es") {
        candidates.push(s.to_owned());
    }
    best_known(word, &candidates, true)
}

/// The first candidate that is a known word about as frequent as `form`; with `first_only`
/// false, the most frequent such candidate.
fn best_known(form: &str, candidates: &[String], first_only: bool) -> Option<String> {
    let limit = known(form).map_or(u16::MAX, |b| b.saturating_add(MAX_RARER));
    let mut best: Option<(u16, &String)> = None;
    for c in candidates {
        let Some(bucket) = known(c).filter(|&b| b <= limit) else {
            continue;
        };
        if first_only {
            return Some(c.clone());
        }
        if best.is_none_or(|(b, _)| bucket < b) {
            best = Some((bucket, c));
        }
    }
    best.map(|(_, c)| c.clone())
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Ends consonant-vowel-consonant (the last not w, x or y), or vowel-consonant if that is all:
/// the shape whose final consonant doubles before -ed/-ing (hop → hopping).
fn ends_cvc(s: &[u8]) -> bool {
    let n = s.len();
    let consonant = |b: u8| !is_vowel(b);
    n >= 2
        && consonant(s[n - 1])
        && !matches!(s[n - 1], b'w' | b'x' | b'y')
        && is_vowel(s[n - 2])
        && (n == 2 || consonant(s[n - 3]))
}

/// wordfreq bucket of a word (smaller is more frequent), if it is in the list.
pub fn known(word: &str) -> Option<u16> {
    let bytes = WORDS.as_bytes();
    let (mut lo, mut hi) = (0usize, bytes.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        // The line containing `mid`.
        let start = bytes[..mid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = start + bytes[start..].iter().position(|&b| b == b'\n')?;
        let line = &WORDS[start..end];
        let (w, bucket) = line.split_once(' ')?;
        match w.as_bytes().cmp(word.as_bytes()) {
            std::cmp::Ordering::Equal => return bucket.parse().ok(),
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = start,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primary(w: &str) -> String {
        readings(w).primary
    }

    #[test]
    fn the_word_list_is_sorted_and_searchable() {
        let mut previous = "";
        for line in WORDS.lines() {
            let (w, b) = line.split_once(' ').expect("word bucket");
            assert!(w > previous, "{w} after {previous}");
            assert!(b.parse::<u16>().is_ok());
            previous = w;
        }
        for line in WORDS.lines().step_by(97) {
            let w = line.split_once(' ').map(|p| p.0).unwrap_or_default();
            assert!(known(w).is_some(), "{w}");
        }
        assert_eq!(known("zzzzqqq"), None);
        assert_eq!(known(""), None);
    }

    #[test]
    fn inflections_fold_to_their_base() {
        for (form, base) in [
            ("feelings", "feeling"),
            ("paints", "paint"),
            ("painted", "paint"),
            ("coded", "code"),
            ("codes", "code"),
            ("studies", "study"),
            ("studied", "study"),
            ("stopped", "stop"),
            ("boxes", "box"),
            ("watches", "watch"),
            ("hoped", "hope"),
            ("hopped", "hop"),
            ("created", "create"),
            ("changed", "change"),
            ("used", "use"),
            ("added", "add"),
            ("called", "call"),
            ("movies", "movie"),
            ("went", "go"),
            ("children", "child"),
            ("tried", "try"),
        ] {
            assert_eq!(primary(form), base, "{form}");
        }
    }

    #[test]
    fn ing_forms_are_nouns_and_verb_forms() {
        for (form, verb) in [
            ("feeling", "feel"),
            ("painting", "paint"),
            ("coding", "code"),
            ("hoping", "hope"),
            ("hopping", "hop"),
            ("running", "run"),
            ("using", "use"),
            ("writing", "write"),
            ("opening", "open"),
            ("visiting", "visit"),
            ("seeing", "see"),
            ("building", "build"),
            ("trying", "try"),
            ("playing", "play"),
        ] {
            let r = readings(form);
            assert_eq!(r.primary, form);
            assert_eq!(r.also.as_deref(), Some(verb), "{form}");
        }
    }

    #[test]
    fn derivations_and_lookalikes_stay_apart() {
        for word in [
            "emotional",
            "emotion",
            "difference",
            "different",
            "technically",
            "technical",
            "consumer",
            "consume",
            "feel",
            "need",
            "news",
            "always",
            "evening",
            "thing",
            "nothing",
            "united",
            "this",
            "bus",
            "analysis",
            "status",
            "during",
            "speed",
        ] {
            let r = readings(word);
            assert_eq!(r.primary, word, "{word}");
        }
        assert_eq!(readings("evening").also, None);
        assert_eq!(readings("left").also.as_deref(), Some("leave"));
    }

    #[test]
    fn other_shapes_read_as_themselves() {
        for word in ["", "a", "cat", "covid19", "naïve", "ΑΒΓ", "x-ray"] {
            assert_eq!(primary(word), word);
        }
    }
}
