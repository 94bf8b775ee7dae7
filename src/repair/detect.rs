//! Finding mojibake: tokenizing text into would-be UTF-8 sequences under
//! each code page, enumerating completions of sequences that lost bytes,
//! and deciding per run (cluster of adjacent sequences) whether the run is
//! mojibake or legitimate text.

use super::codepage::{
    char_info, lead_cont_mask, CodePage, Table, C_CLOSING, C_CONTROL, C_LETTER, C_LOWER, C_OPENING,
    C_UPPER,
};
use super::lm::credible;

/// What stood in a sequence where a byte is known to have been.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Obs {
    Byte(u8),
    /// U+FFFD or `?` standing for an undefined byte.
    Wild,
}

/// One would-be UTF-8 sequence: a lead byte plus what followed it.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    /// Char indices into the scanned text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// Filled for complete sequences at once, for lossy ones only once the
    /// run is accepted (see `fill_candidates`).
    pub cands: Vec<char>,
    /// The decoded char of a complete sequence.
    pub fixed: Option<char>,
    lead: u8,
    obs: [Obs; 3],
    n_obs: u8,
    /// Continuation bytes observed (excluding wildcards).
    pub conts: u8,
    /// Bytes dropped outright.
    pub missing: u8,
    pub wild: u8,
    /// Evidence the source characters are not legitimate text.
    pub weird: u8,
}

impl Token {
    /// The characters this token may stand for.
    pub fn options(&self) -> &[char] {
        match &self.fixed {
            Some(c) => std::slice::from_ref(c),
            None => &self.cands,
        }
    }
    pub fn lossy(&self) -> bool {
        self.missing > 0 || self.wild > 0
    }
    fn anchor(&self) -> bool {
        self.conts > 0 || self.wild > 0
    }
}

/// A maximal run of adjacent tokens under one code page.
#[derive(Clone, Debug)]
pub(crate) struct Cluster {
    pub cp: CodePage,
    pub start: usize,
    pub end: usize,
    pub tokens: Vec<Token>,
    pub score: f32,
    pub anchors: usize,
    pub credible: bool,
}

const MAX_CANDS: usize = 255;
/// Upper bound on completions examined for one sequence: latin-1 (32 C1
/// bytes) with three lost bytes would otherwise mean 10^5 trials.
const MAX_TRIALS: usize = 4096;

#[inline]
fn seq_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Whether two adjacent source characters inside a sequence look like an
/// accident rather than writing.
#[inline]
fn weird_pair(cp: CodePage, a: char, ka: u8, kb: u8, first: bool) -> u8 {
    if (ka | kb) & C_CONTROL != 0 {
        return 2;
    }
    if first {
        let special = match cp {
            CodePage::Windows1251 => false,
            CodePage::MacRoman => matches!(a, '√' | '‚' | '¬'),
            _ => matches!(a, 'Â' | 'Ã'),
        };
        if special {
            return 1;
        }
    }
    match (ka & C_LETTER != 0, kb & C_LETTER != 0) {
        (true, true) => u8::from(ka & C_LOWER != 0 && kb & C_UPPER != 0),
        (true, false) => u8::from(kb & C_CLOSING == 0),
        (false, true) => u8::from(ka & C_OPENING == 0),
        (false, false) => 1,
    }
}

/// Per char of the text: its byte in every code page (0 = unencodable or
/// ASCII) and its class bits. Computed once, shared by all code pages.
pub(crate) struct Scan {
    pub bytes: Vec<[u8; 6]>,
    pub class: Vec<u8>,
}

impl Scan {
    pub fn new(chars: &[char]) -> Scan {
        let info = char_info();
        let mut bytes = Vec::with_capacity(chars.len());
        let mut class = Vec::with_capacity(chars.len());
        for &c in chars {
            let (b, k) = info.get(c).unwrap_or(([0; 6], 0));
            bytes.push(b);
            class.push(k);
        }
        Scan { bytes, class }
    }
}

/// Enumerate the characters a damaged sequence could have been.
fn completions(lead: u8, obs: &[Obs], missing: usize, sets: (&[u8], &[u8]), out: &mut Vec<char>) {
    fn rec(
        obs: &[Obs],
        missing: usize,
        sets: (&[u8], &[u8]),
        buf: &mut [u8; 4],
        len: usize,
        out: &mut Vec<char>,
        trials: &mut usize,
    ) {
        if out.len() >= MAX_CANDS || *trials >= MAX_TRIALS {
            return;
        }
        // Prune prefixes that can never be valid UTF-8 (overlong forms,
        // surrogates, beyond U+10FFFF) before multiplying them out.
        if len == 2 && !valid_prefix(buf[0], buf[1]) {
            return;
        }
        if obs.is_empty() && missing == 0 {
            *trials += 1;
            if let Ok(s) = std::str::from_utf8(&buf[..len]) {
                if let Some(ch) = s.chars().next() {
                    if credible(ch) && !out.contains(&ch) {
                        out.push(ch);
                    }
                }
            }
            return;
        }
        if len >= 4 {
            return;
        }
        let (undefined, droppable) = sets;
        if missing > 0 {
            for &u in droppable {
                buf[len] = u;
                rec(obs, missing - 1, sets, buf, len + 1, out, trials);
            }
        }
        if let Some((first, rest)) = obs.split_first() {
            match *first {
                Obs::Byte(b) => {
                    buf[len] = b;
                    rec(rest, missing, sets, buf, len + 1, out, trials);
                }
                Obs::Wild => {
                    for &u in undefined {
                        buf[len] = u;
                        rec(rest, missing, sets, buf, len + 1, out, trials);
                    }
                }
            }
        }
    }
    let mut buf = [lead, 0, 0, 0];
    let mut trials = 0;
    rec(obs, missing, sets, &mut buf, 1, out, &mut trials);
}

/// Whether `lead, second` can begin a valid UTF-8 sequence.
fn valid_prefix(lead: u8, second: u8) -> bool {
    match lead {
        0xE0 => (0xA0..=0xBF).contains(&second),
        0xED => (0x80..=0x9F).contains(&second),
        0xF0 => (0x90..=0xBF).contains(&second),
        0xF4 => (0x80..=0x8F).contains(&second),
        _ => (0x80..=0xBF).contains(&second),
    }
}

/// Enumerate completions for a lossy token of an accepted run.
pub(crate) fn fill_candidates(tok: &mut Token, cp: CodePage) {
    if !tok.cands.is_empty() || tok.fixed.is_some() {
        return;
    }
    let obs = &tok.obs[..usize::from(tok.n_obs).min(3)];
    let t = cp.table();
    completions(
        tok.lead,
        obs,
        usize::from(tok.missing),
        (&t.undefined_list, &t.droppable),
        &mut tok.cands,
    );
}

/// Tokenize `chars` under one code page. `wild_q` says whether `?` may
/// stand for an undefined byte.
pub(crate) fn tokenize(chars: &[char], scan: &Scan, cp: CodePage, wild_q: bool) -> Vec<Token> {
    let t: &Table = cp.table();
    let ci = cp.index();
    let byte_at = |k: usize| scan.bytes.get(k).map_or(0, |b| b[ci]);
    let mut tokens = Vec::new();
    let mut obs: Vec<Obs> = Vec::with_capacity(4);
    let mut i = 0;
    let n = chars.len();
    while i < n {
        let c = chars[i];
        if c.is_ascii() {
            i += 1;
            continue;
        }
        let lead = byte_at(i);
        if !(0xC2..=0xF4).contains(&lead) {
            i += 1;
            continue;
        }
        let need = seq_len(lead) - 1;
        obs.clear();
        let mut j = i + 1;
        let mut conts = 0u8;
        let mut wild = 0u8;
        let mut weird = 0u8;
        let mut prev_class = scan.class.get(i).copied().unwrap_or(0);
        let mut first = true;
        while obs.len() < need && j < n {
            let ch = chars[j];
            if ch == '\u{FFFD}' || (wild_q && ch == '?') {
                obs.push(Obs::Wild);
                wild += 1;
                if ch == '\u{FFFD}' {
                    weird = weird.saturating_add(2);
                }
            } else if (0x80..0xC0).contains(&byte_at(j)) {
                obs.push(Obs::Byte(byte_at(j)));
                conts += 1;
                let k = scan.class.get(j).copied().unwrap_or(0);
                weird = weird.saturating_add(weird_pair(cp, c, prev_class, k, first));
                prev_class = k;
                first = false;
            } else {
                break;
            }
            j += 1;
        }
        let missing = need - obs.len();
        let mut fixed = None;
        let lossy = missing > 0 || wild > 0;
        if lossy && t.undefined_list.is_empty() {
            i += 1;
            continue;
        }
        if !lossy {
            let mut buf = [lead, 0, 0, 0];
            for (k, o) in obs.iter().enumerate() {
                if let Obs::Byte(b) = o {
                    buf[k + 1] = *b;
                }
            }
            // A C1 control is a credible intermediate: under double encoding
            // it is an undefined byte that the next layer consumes.
            fixed = std::str::from_utf8(&buf[..=need])
                .ok()
                .and_then(|s| s.chars().next())
                .filter(|&c| credible(c) || (0x80..0xA0).contains(&(c as u32)));
            if fixed.is_none() {
                i += 1;
                continue;
            }
        }
        let mut obs_arr = [Obs::Wild; 3];
        for (slot, o) in obs_arr.iter_mut().zip(&obs) {
            *slot = *o;
        }
        tokens.push(Token {
            start: i,
            end: j,
            cands: Vec::new(),
            fixed,
            lead,
            obs: obs_arr,
            n_obs: obs.len() as u8,
            conts,
            missing: missing as u8,
            wild,
            weird,
        });
        i = j;
    }
    tokens
}

/// Group adjacent tokens into clusters and score each.
pub(crate) fn clusters(tokens: Vec<Token>, cp: CodePage) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    for tok in tokens {
        let extend = out.last().is_some_and(|c| c.end == tok.start);
        if !extend {
            out.push(Cluster {
                cp,
                start: tok.start,
                end: tok.end,
                tokens: Vec::new(),
                score: 0.0,
                anchors: 0,
                credible: true,
            });
        }
        if let Some(cl) = out.last_mut() {
            cl.end = tok.end;
            cl.tokens.push(tok);
        }
    }
    for cl in &mut out {
        let mut score = 0.0f32;
        for t in &cl.tokens {
            score += f32::from(t.weird);
            if t.anchor() {
                cl.anchors += 1;
            }
            // A sequence that decodes only to implausible characters
            // argues that the source was real text.

            // What the sequence decodes to counts too: mojibake hides
            // common characters, an accidental reading finds odd ones.
            if let Some(c) = t.fixed {
                score += if common_target(c) { 0.5 } else { -1.0 };
            }
        }
        cl.score = score;
    }
    out
}

/// Characters that mojibake commonly hides: Latin-1 and Latin Extended
/// letters, Greek, Cyrillic, Hebrew and Arabic letters, punctuation, CJK,
/// kana, hangul, full-width forms, symbols and emoji.
fn common_target(c: char) -> bool {
    matches!(c as u32,
        0xA0..=0x24F | 0x370..=0x3FF | 0x400..=0x52F | 0x5D0..=0x5EA | 0x600..=0x6FF
        | 0x2000..=0x206F | 0x20A0..=0x20BF | 0x2100..=0x2BFF | 0x3000..=0x30FF
        | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0xFE00..=0xFE0F | 0xFF00..=0xFFEF
        | 0x1F000..=0x1FAFF)
}

/// Decide whether a cluster is mojibake. `doc_strong` is whether the text
/// has already shown clear mojibake under the same code page, which lowers
/// the bar for runs with weaker evidence.
pub(crate) fn accept(cl: &Cluster, doc_strong: bool) -> bool {
    if !cl.credible || cl.anchors == 0 {
        return false;
    }
    cl.score >= 1.0 || (doc_strong && cl.score >= 0.0)
}

/// Cheap pre-check: is there any pair of characters that could be the
/// start of a mojibake sequence in some code page?
pub fn looks_damaged(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Pure ASCII (the common case for much of a dialogue corpus) can hold
    // no mojibake.
    if bytes.is_ascii() {
        return false;
    }
    let mut prev_lead = 0u16;
    for c in text.chars() {
        if c.is_ascii() {
            if c == '?' && prev_lead != 0 {
                return true;
            }
            prev_lead = 0;
            continue;
        }
        if c == '\u{FFFD}' && prev_lead != 0 {
            return true;
        }
        let m = lead_cont_mask(c);
        if (m >> 8) & prev_lead != 0 {
            return true;
        }
        prev_lead = m & 0xFF;
    }
    false
}
