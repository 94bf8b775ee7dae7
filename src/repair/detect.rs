//! Finding mojibake: tokenizing text into would-be UTF-8 sequences under
//! each code page, enumerating completions of sequences that lost bytes,
//! and deciding per run (cluster of adjacent sequences) whether the run is
//! mojibake or legitimate text.

use super::codepage::{
    char_info, CodePage, PageMask, Table, C_BOX, C_CLOSING, C_CONTROL, C_LETTER, C_LOWER,
    C_OPENING, C_UPPER, N_PAGES,
};
use super::lm::credible;

/// What stood in a sequence where a byte is known to have been.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Obs {
    Byte(u8),
    /// U+FFFD or `?` standing for an undefined byte.
    Wild,
}

/// One would-be UTF-8 sequence: a lead byte plus what followed it. Plain
/// data; the completions of a lossy sequence live in a per-pass pool.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    /// Char indices into the scanned text, end exclusive.
    pub start: usize,
    pub end: usize,
    /// The decoded char of a complete sequence.
    pub fixed: Option<char>,
    /// For lossy tokens: range into the candidate pool (see `Candidates`),
    /// set once the run is accepted.
    pub opt_lo: u32,
    pub opt_len: u32,
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
    /// The text shows soft hyphens kept inside whole sequences of this code page: its lost
    /// bytes are the undefined ones only (see `SHY_KEPT`).
    shy_kept: bool,
}

/// Whole sequences with a soft hyphen (byte 0xAD) among their bytes, above which a text is taken
/// to keep its soft hyphens. Text pipelines that drop undefined bytes often strip the soft hyphen
/// too, as invisible (the seeds lost every one: `中` is `ä¸` there), so a lost byte may be one;
/// but a text that shows two or more kept, as whole `ä¸\u{AD}`, did not strip them, and
/// completing a lost byte with one there invents characters (`不` read `中`).
const SHY_KEPT: usize = 2;

impl Token {
    /// The characters this token may stand for.
    #[inline]
    pub fn options<'a>(&'a self, pool: &'a [char]) -> &'a [char] {
        match &self.fixed {
            Some(c) => std::slice::from_ref(c),
            None => {
                let lo = self.opt_lo as usize;
                pool.get(lo..lo + self.opt_len as usize).unwrap_or(&[])
            }
        }
    }
    pub fn lossy(&self) -> bool {
        self.missing > 0 || self.wild > 0
    }
    /// Whether every character this token may stand for could be a
    /// combining mark: only a lead byte of U+0300..U+037F (0xCC, 0xCD)
    /// leaves no letter among a lossy token's completions.
    pub fn may_be_only_marks(&self) -> bool {
        match self.fixed {
            Some(c) => super::plausible::combining(c),
            None => matches!(self.lead, 0xCC | 0xCD),
        }
    }
    fn anchor(&self) -> bool {
        self.conts > 0 || self.wild > 0
    }
    /// Everything completions depend on besides the code page, packed.
    fn pattern_key(&self, ci: usize) -> u64 {
        let mut k = (u64::from(self.shy_kept) << 4) | ci as u64;
        k = (k << 8) | u64::from(self.lead);
        k = (k << 2) | u64::from(self.n_obs);
        k = (k << 3) | u64::from(self.missing);
        for o in &self.obs[..usize::from(self.n_obs).min(3)] {
            k = (k << 9)
                | match *o {
                    Obs::Byte(b) => u64::from(b),
                    Obs::Wild => 0x100,
                };
        }
        k
    }
}

/// A maximal run of adjacent tokens under one code page; its tokens are
/// `tok_lo..tok_hi` of the token list it was built from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cluster {
    pub cp: CodePage,
    pub start: usize,
    pub end: usize,
    pub tok_lo: usize,
    pub tok_hi: usize,
    pub score: f32,
    pub anchors: usize,
    pub credible: bool,
}

const MAX_CANDS: usize = 255;
/// Upper bound on completions examined for one sequence: latin-1 (32 C1
/// bytes) with three lost bytes would otherwise mean 10^5 trials.
const MAX_TRIALS: usize = 4096;

#[inline]
pub(crate) fn seq_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Whether two adjacent source characters inside a sequence look like an
/// accident rather than writing. `lead` is the sequence's lead byte (`a`'s).
#[inline]
fn weird_pair(cp: CodePage, a: char, lead: u8, ka: u8, kb: u8, first: bool) -> u8 {
    if (ka | kb) & C_CONTROL != 0 {
        return 2;
    }
    if first {
        let special = first_pair(cp, a, lead, kb);
        if special > 0 {
            return special;
        }
    }
    // Box drawing next to box drawing is a drawing (IBM437's `█░`, `─┐`);
    // only the DOS pages read box drawing as lead bytes.
    if ka & kb & C_BOX != 0 && matches!(cp, CodePage::Ibm437 | CodePage::Ibm850) {
        return 0;
    }
    match (ka & C_LETTER != 0, kb & C_LETTER != 0) {
        (true, true) => u8::from(ka & C_LOWER != 0 && kb & C_UPPER != 0),
        (true, false) => u8::from(kb & C_CLOSING == 0),
        (false, true) => u8::from(ka & C_OPENING == 0),
        // Closing marks follow each other in writing: `…”`, `’”`, `”»`.
        (false, false) => u8::from(ka & kb & C_CLOSING == 0),
    }
}

/// Evidence from a lead char and the char after it that writing does not
/// show. The lead bytes C3 and C2 (`Ã`, `Â`; `├`, `┬` before anything but
/// box drawing in the DOS pages)
/// before a symbol or a C1-range character are not writing in any
/// language; mac-roman's `√` before a symbol is mathematics as often as
/// mojibake; a dash glued to a capital (x-mac-cyrillic's `—П`, `я`) and a
/// Greek capital before punctuation (windows-1253's `Ξ—`, `Η`) are rare
/// in writing, but the one-letter words of those languages are nothing else.
#[inline]
fn first_pair(cp: CodePage, a: char, lead: u8, kb: u8) -> u8 {
    match cp {
        CodePage::Windows1251 => 0,
        CodePage::MacRoman => u8::from(matches!(a, '√' | '‚' | '¬')),
        CodePage::MacCyrillic => u8::from(matches!(a, '–' | '—') && kb & C_UPPER != 0),
        CodePage::Windows1253 => u8::from(matches!(a, 'Ξ' | 'Ο') && kb & C_LETTER == 0),
        // The DOS pages' E2 (`Γ`, `Ô`) before a letter: `ΓÇó` (•), `Γé¼` (€).
        CodePage::Ibm437 | CodePage::Ibm850 if lead == 0xE2 && kb & C_LETTER != 0 => 2,
        _ => {
            let lead_c = matches!(a, 'Â' | 'Ã') || (matches!(a, '├' | '┬') && kb & C_BOX == 0);
            2 * u8::from(lead_c && matches!(lead, 0xC2 | 0xC3))
        }
    }
}

#[inline]
fn is_lead(b: u8) -> bool {
    (0xC2..=0xF4).contains(&b)
}

#[inline]
fn is_cont(b: u8) -> bool {
    (0x80..0xC0).contains(&b)
}

/// Per char of the text: its byte in every code page (0 = unencodable or
/// ASCII) and its class bits. Computed once, shared by all code pages.
pub(crate) struct Scan {
    pub bytes: Vec<[u8; N_PAGES]>,
    pub class: Vec<u8>,
    /// Per code page: positions where it reads a UTF-8 lead byte,
    /// ascending.
    pub leads: [Vec<u32>; N_PAGES],
    /// Bit per code page: some lead byte is directly followed by a
    /// continuation byte.
    pub pair_mask: PageMask,
    pub has_fffd: bool,
}

impl Scan {
    pub fn new(chars: &[char]) -> Scan {
        let info = char_info();
        let n = chars.len();
        let mut bytes = vec![[0u8; N_PAGES]; n];
        let mut class = vec![0u8; n];
        let mut leads: [Vec<u32>; N_PAGES] = Default::default();
        let mut pair_mask: PageMask = 0;
        let mut prev_lead: PageMask = 0;
        let mut has_fffd = false;
        for (i, &c) in chars.iter().enumerate() {
            if c.is_ascii() {
                prev_lead = 0;
                continue;
            }
            has_fffd |= c == '\u{FFFD}';
            let Some(e) = info.entry(c) else {
                prev_lead = 0;
                continue;
            };
            pair_mask |= prev_lead & e.cont;
            prev_lead = e.lead;
            if e.lead != 0 {
                for (ci, l) in leads.iter_mut().enumerate() {
                    if e.lead & (1 << ci) != 0 {
                        l.push(i as u32);
                    }
                }
            }
            if let (Some(bs), Some(ks)) = (bytes.get_mut(i), class.get_mut(i)) {
                *bs = e.bytes;
                *ks = e.class;
            }
        }
        Scan {
            bytes,
            class,
            leads,
            pair_mask,
            has_fffd,
        }
    }
}

/// Enumerate the characters a damaged sequence could have been.
fn completions(lead: u8, obs: &[Obs], missing: usize, sets: (&[u8], &[u8]), out: &mut Vec<char>) {
    if !is_lead(lead) {
        return;
    }
    // Distinct byte strings decode to distinct characters, and one string can be built twice
    // only where a lost byte may sit on either side of a byte equal to it: beside a wildcard, or
    // beside an observed byte that could also have been lost.
    let twice = missing > 0
        && obs.iter().any(|o| match *o {
            Obs::Wild => true,
            Obs::Byte(b) => sets.1.contains(&b),
        });
    let mut e = Enumeration {
        sets,
        buf: [lead, 0, 0, 0],
        out,
        trials: 0,
        twice,
    };
    e.rec(obs, missing, 1);
}

/// The state of one `completions` enumeration.
struct Enumeration<'a> {
    sets: (&'a [u8], &'a [u8]),
    buf: [u8; 4],
    out: &'a mut Vec<char>,
    trials: usize,
    /// Whether one character can be reached twice (see `completions`).
    twice: bool,
}

impl Enumeration<'_> {
    fn rec(&mut self, obs: &[Obs], missing: usize, len: usize) {
        if self.out.len() >= MAX_CANDS || self.trials >= MAX_TRIALS {
            return;
        }
        // Prune prefixes that can never be valid UTF-8 (overlong forms,
        // surrogates, beyond U+10FFFF) before multiplying them out.
        if len == 2 && !valid_prefix(self.buf[0], self.buf[1]) {
            return;
        }
        if obs.is_empty() && missing == 0 {
            self.trials += 1;
            self.leaf(len);
            return;
        }
        if len >= 4 {
            return;
        }
        let (undefined, droppable) = self.sets;
        if missing > 0 {
            for &u in droppable {
                self.buf[len] = u;
                self.rec(obs, missing - 1, len + 1);
            }
        }
        if let Some((first, rest)) = obs.split_first() {
            match *first {
                Obs::Byte(b) => {
                    self.buf[len] = b;
                    self.rec(rest, missing, len + 1);
                }
                Obs::Wild => {
                    for &u in undefined {
                        self.buf[len] = u;
                        self.rec(rest, missing, len + 1);
                    }
                }
            }
        }
    }

    /// Keep the candidate in `buf[..len]` if it decodes to a credible character (an undefined
    /// byte need not be a continuation byte).
    #[inline]
    fn leaf(&mut self, len: usize) {
        let Some(ch) = self
            .buf
            .get(1..len)
            .and_then(|tail| decode_utf8(self.buf[0], tail))
        else {
            return;
        };
        if credible(ch) && !(self.twice && self.out.contains(&ch)) {
            self.out.push(ch);
        }
    }
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

/// Completions of the lossy tokens of one pass, shared between tokens with
/// the same pattern: `pool` holds every list, `entries` their ranges.
#[derive(Default)]
pub(crate) struct Candidates {
    pub pool: Vec<char>,
    pub entries: Vec<(u32, u32)>,
    /// Per entry: its pattern key, and whether its list is final (taken
    /// from the cache) or still as enumerated.
    keys: Vec<u64>,
    pub done: Vec<bool>,
    /// Per entry: the scripts of its list (0 until asked for).
    masks: Vec<super::plausible::ScriptMask>,
    index: super::dict::FastMap<u64, u32>,
    tmp: Vec<char>,
}

/// The final candidate list (completions, pruned by the language model
/// when longer than two) of every pattern this thread has met, per version
/// of the corpus statistics that pruning read. A corpus repeats a few
/// hundred patterns endlessly; so do the chunks of a parallel repair.
#[derive(Default)]
struct PatternCache {
    lists: super::dict::FastMap<(u64, u64), (u32, u32)>,
    pool: Vec<char>,
    /// The `EPOCH` the contents belong to.
    epoch: u64,
}

/// Bumped by `forget_patterns`: every thread's cache is stale from then on.
static EPOCH: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Empty every thread's cache of candidate lists, so a benchmark that
/// repeats one input times what a first repair of it costs.
pub fn forget_patterns() {
    EPOCH.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Beyond this many cached chars (4 MB) the cache starts over.
const CACHE_MAX_CHARS: usize = 1 << 20;

thread_local! {
    static PATTERNS: std::cell::RefCell<PatternCache> = std::cell::RefCell::default();
}

impl Candidates {
    /// The candidate list for a lossy token of an accepted run, from the
    /// cache or enumerated; returns the entry index.
    pub fn fill(&mut self, tok: &Token, cp: CodePage, version: u64) -> u32 {
        let key = tok.pattern_key(cp.index());
        if let Some(&e) = self.index.get(&key) {
            return e;
        }
        let lo = self.pool.len();
        let pool = &mut self.pool;
        let epoch = EPOCH.load(std::sync::atomic::Ordering::Relaxed);
        let cached = PATTERNS.with(|c| {
            let c = c.borrow();
            let list = (c.epoch == epoch)
                .then(|| c.lists.get(&(version, key)))
                .flatten()
                .and_then(|&(l, n)| c.pool.get(l as usize..(l + n) as usize));
            list.map(|list| pool.extend_from_slice(list)).is_some()
        });
        if !cached {
            let obs = &tok.obs[..usize::from(tok.n_obs).min(3)];
            let t = cp.table();
            self.tmp.clear();
            completions(
                tok.lead,
                obs,
                usize::from(tok.missing),
                if tok.shy_kept {
                    (&t.undefined_list, &t.undefined_list)
                } else {
                    (&t.undefined_list, &t.droppable)
                },
                &mut self.tmp,
            );
            self.pool.extend_from_slice(&self.tmp);
        }
        let e = self.entries.len() as u32;
        self.entries
            .push((lo as u32, (self.pool.len() - lo) as u32));
        self.keys.push(key);
        self.done.push(cached);
        self.index.insert(key, e);
        e
    }

    /// Cache the lists `fill` enumerated, once they are final: call after
    /// pruning (a pass that needs no language model has no list longer than
    /// one).
    /// The scripts of entry `e`'s list, computed on first use.
    pub fn script_mask(&mut self, e: u32) -> super::plausible::ScriptMask {
        let e = e as usize;
        if self.masks.len() < self.entries.len() {
            self.masks.resize(self.entries.len(), 0);
        }
        match self.masks.get(e) {
            Some(&m) if m != 0 => m,
            _ => {
                let (lo, len) = self.entries.get(e).copied().unwrap_or((0, 0));
                let list = self
                    .pool
                    .get(lo as usize..(lo + len) as usize)
                    .unwrap_or(&[]);
                let m = super::plausible::script_mask(list);
                if let Some(slot) = self.masks.get_mut(e) {
                    *slot = m;
                }
                m
            }
        }
    }

    pub fn remember(&self, version: u64) {
        let epoch = EPOCH.load(std::sync::atomic::Ordering::Relaxed);
        PATTERNS.with(|c| {
            let mut c = c.borrow_mut();
            if c.epoch != epoch {
                c.pool.clear();
                c.lists.clear();
                c.epoch = epoch;
            }
            for ((&(lo, len), &key), &done) in self.entries.iter().zip(&self.keys).zip(&self.done) {
                if done {
                    continue;
                }
                let Some(list) = self.pool.get(lo as usize..(lo + len) as usize) else {
                    continue;
                };
                if c.pool.len() + list.len() > CACHE_MAX_CHARS {
                    c.pool.clear();
                    c.lists.clear();
                }
                let at = c.pool.len() as u32;
                c.pool.extend_from_slice(list);
                c.lists.insert((version, key), (at, len));
            }
        });
    }
}

/// Tokenize `chars` under one code page into `tokens` and group them into
/// clusters (appended to `clusters`, token ranges into `tokens`). `wild_q`
/// says whether `?` may stand for an undefined byte.
pub(crate) fn tokenize(
    chars: &[char],
    scan: &Scan,
    cp: CodePage,
    wild_q: bool,
    tokens: &mut Vec<Token>,
    clusters: &mut Vec<Cluster>,
) {
    let page = PageRead {
        chars,
        scan,
        cp,
        ci: cp.index(),
        dos: matches!(cp, CodePage::Ibm437 | CodePage::Ibm850),
        wild_q,
    };
    let t: &Table = cp.table();
    let no_undefined = t.undefined_list.is_empty();
    let mut next = 0usize;
    let leads = scan.leads.get(page.ci).map_or(&[][..], |l| l.as_slice());
    let first_token = tokens.len();
    // Whole sequences holding a soft hyphen (see `SHY_KEPT`).
    let mut shy_seen = 0usize;
    tokens.reserve(leads.len());
    for &li in leads {
        let i = li as usize;
        if i < next {
            continue;
        }
        let lead = page.byte_at(i);
        if !is_lead(lead) {
            continue;
        }
        let Some(&c) = chars.get(i) else { break };
        let mut tok = page.read_sequence(i, c, lead);
        if tok.missing > 0 || tok.wild > 0 {
            if no_undefined {
                continue;
            }
        } else {
            let obs = tok.obs.get(..usize::from(tok.n_obs)).unwrap_or(&[]);
            // A C1 control is a credible intermediate: under double encoding
            // it is an undefined byte that the next layer consumes.
            tok.fixed = decode_complete(lead, obs)
                .filter(|&c| credible(c) || (0x80..0xA0).contains(&(c as u32)));
            if tok.fixed.is_none() {
                continue;
            }
            shy_seen += usize::from(obs.contains(&Obs::Byte(0xAD)));
        }
        next = tok.end;
        add_to_clusters(clusters, tokens.len(), cp, &tok);
        tokens.push(tok);
    }
    if shy_seen >= SHY_KEPT && t.droppable.contains(&0xAD) {
        let page_tokens = tokens.get_mut(first_token..).unwrap_or_default();
        for tok in page_tokens.iter_mut().filter(|tok| tok.fixed.is_none()) {
            tok.shy_kept = true;
        }
    }
}

/// A text read under one code page, as `tokenize` walks it.
struct PageRead<'a> {
    chars: &'a [char],
    scan: &'a Scan,
    cp: CodePage,
    ci: usize,
    /// A DOS page, whose box drawing is evidence only where it is not drawing.
    dos: bool,
    wild_q: bool,
}

impl PageRead<'_> {
    /// The page's byte for char `k` (0: ASCII or unencodable).
    #[inline]
    fn byte_at(&self, k: usize) -> u8 {
        self.scan.bytes.get(k).map_or(0, |b| b[self.ci])
    }

    /// The sequence that `lead` (char `c` at `i`) starts: the continuation bytes and wildcards
    /// after it, up to the length it announces, and the evidence they hold that the source was
    /// no writing. `fixed` is left for the caller, which knows whether the page may lose bytes.
    #[inline]
    fn read_sequence(&self, i: usize, c: char, lead: u8) -> Token {
        let (cp, chars, n) = (self.cp, self.chars, self.chars.len());
        let need = seq_len(lead) - 1;
        let mut obs = [Obs::Wild; 3];
        let mut n_obs = 0usize;
        let mut j = i + 1;
        let (mut conts, mut wild, mut weird, mut box_pairs) = (0u8, 0u8, 0u8, 0u8);
        let mut prev_class = self.scan.class.get(i).copied().unwrap_or(0);
        let mut first = true;
        while n_obs < need && j < n {
            let ch = chars[j];
            if ch == '\u{FFFD}' || (self.wild_q && ch == '?') {
                obs[n_obs] = Obs::Wild;
                n_obs += 1;
                wild += 1;
                if ch == '\u{FFFD}' {
                    weird = weird.saturating_add(2);
                }
            } else {
                let b = self.byte_at(j);
                if !is_cont(b) {
                    break;
                }
                obs[n_obs] = Obs::Byte(b);
                n_obs += 1;
                conts += 1;
                let k = self.scan.class.get(j).copied().unwrap_or(0);
                weird = weird.saturating_add(weird_pair(cp, c, lead, prev_class, k, first));
                box_pairs += u8::from(self.dos && prev_class & k & C_BOX != 0);
                prev_class = k;
                first = false;
            }
            j += 1;
        }
        // Box drawing glued to a letter is no drawing (`cig├╝e├▒a`).
        if box_pairs > 0 && glued_to_letter(chars, i, j) {
            weird = weird.saturating_add(box_pairs);
        }
        Token {
            start: i,
            end: j,
            fixed: None,
            opt_lo: 0,
            opt_len: 0,
            lead,
            obs,
            n_obs: n_obs as u8,
            conts,
            missing: (need - n_obs) as u8,
            wild,
            weird,
            shy_kept: false,
        }
    }
}

/// Add `tok` (to be token `index` of the page) to the last cluster if it follows that cluster's
/// last token directly, else open a cluster with it; score it either way.
#[inline]
fn add_to_clusters(clusters: &mut Vec<Cluster>, index: usize, cp: CodePage, tok: &Token) {
    let extend = clusters
        .last()
        .is_some_and(|cl| cl.cp == cp && cl.end == tok.start && cl.tok_hi == index);
    if !extend {
        clusters.push(Cluster {
            cp,
            start: tok.start,
            end: tok.end,
            tok_lo: index,
            tok_hi: index,
            score: 0.0,
            anchors: 0,
            credible: true,
        });
    }
    let Some(cl) = clusters.last_mut() else {
        return;
    };
    cl.end = tok.end;
    cl.tok_hi += 1;
    cl.score += f32::from(tok.weird);
    if tok.anchor() {
        cl.anchors += 1;
    }
    // What the sequence decodes to counts too: mojibake hides
    // common characters, an accidental reading finds odd ones.
    if let Some(c) = tok.fixed {
        cl.score += if !common_target(c) {
            -1.0
        } else if matches!(cp, CodePage::Koi8R | CodePage::Ibm437 | CodePage::Ibm850)
            && tok.weird == 0
        {
            // KOI8-R reads a Cyrillic letter and `ё` (`пё` → `У`)
            // as a Cyrillic letter, IBM850 two Latin ones
            // (`ãà` → `ƅ`): such a pair is a word as often as
            // mojibake, and needs the document's evidence.
            0.0
        } else {
            0.5
        };
    }
}

/// Whether the char before `start` or the one at `end` is a letter.
fn glued_to_letter(chars: &[char], start: usize, end: usize) -> bool {
    let letter = |c: Option<&char>| c.is_some_and(|&c| super::plausible::is_letter(c));
    letter(start.checked_sub(1).and_then(|k| chars.get(k))) || letter(chars.get(end))
}

/// Decode a complete sequence (lead plus continuation bytes), rejecting
/// overlong forms, surrogates and values beyond U+10FFFF.
#[inline]
fn decode_complete(lead: u8, obs: &[Obs]) -> Option<char> {
    let mut tail = [0u8; 3];
    for (slot, o) in tail.iter_mut().zip(obs) {
        let Obs::Byte(b) = *o else { return None };
        *slot = b;
    }
    decode_utf8(lead, tail.get(..obs.len())?)
}

/// The character whose UTF-8 encoding is `lead` followed by `tail`, if that is one whole, valid
/// sequence: the length the lead byte announces, continuation bytes only, no overlong form,
/// surrogate or value beyond U+10FFFF.
#[inline]
pub(crate) fn decode_utf8(lead: u8, tail: &[u8]) -> Option<char> {
    let first = *tail.first()?;
    if !is_lead(lead)
        || tail.len() + 1 != seq_len(lead)
        || !valid_prefix(lead, first)
        || !tail.iter().all(|&b| is_cont(b))
    {
        return None;
    }
    let mut u = u32::from(lead) & (0x7F >> (tail.len() + 1));
    for &b in tail {
        u = (u << 6) | (u32::from(b) & 0x3F);
    }
    char::from_u32(u)
}

/// Characters that mojibake commonly hides: the letters of living scripts (Latin-1, Latin
/// Extended-A, the letters of Latin Extended-B and IPA that languages write — Vietnamese `ơ ư`,
/// pinyin `ǎ`, Romanian `ș ț`, Azerbaijani `ə`, Hausa `ɓ ɗ ƙ ƴ`, West African `ɛ ɔ`, Navajo `ǫ`,
/// the apostrophe letters `ʻ ʼ` —, but not the rest of Latin Extended-B, which is what a wrong
/// page reads (windows-1250's `Ć¶` is `ƶ`, windows-1257's the `ö` of `Könntest`), the Vietnamese
/// and Yoruba letters of Latin Extended Additional, Greek with its
/// polytonic letters, Cyrillic, Armenian, Hebrew, Arabic, the Indic scripts, Thai, Lao,
/// Georgian, Ethiopic), the spacing accents of windows-1250 and -1252 (`˝`, `ˇ`, `˜`: the inner
/// layer of their double encoding), punctuation, CJK, kana, hangul (syllables and the jamo of ㅋㅋ and ㅠㅠ),
/// full-width forms, symbols and emoji.
fn common_target(c: char) -> bool {
    // Cyrillic's historic letters (U+0460..U+0489) belong to no modern
    // language; braille, the second block of mathematical symbols and the
    // supplemental operators (U+2800..U+28FF, U+2980..U+2AFF) are what an
    // accidental reading of Korean mojibake finds (`‚´ì` → `⫓`), almost
    // never what was written. Long arrows (⟶) and ⤴ stay.
    matches!(c as u32,
        0xA0..=0x17F | 0x181 | 0x186 | 0x18A | 0x18F | 0x190 | 0x198 | 0x199 | 0x1A0 | 0x1A1
        | 0x1AF | 0x1B0 | 0x1B3 | 0x1B4 | 0x1CD..=0x1DC | 0x1EA | 0x1EB | 0x218..=0x21B | 0x253
        | 0x254 | 0x257 | 0x259 | 0x25B | 0x2BB | 0x2BC | 0x2C6..=0x2DD | 0x370..=0x3FF | 0x400..=0x45F | 0x48A..=0x52F | 0x531..=0x58A
        | 0x5D0..=0x5EA | 0x600..=0x6FF | 0x900..=0xDFF | 0xE01..=0xEDF | 0x10A0..=0x10FA
        | 0x1200..=0x137C | 0x1E00..=0x1FFE
        | 0x2000..=0x206F | 0x20A0..=0x20BF | 0x2100..=0x27FF | 0x2900..=0x297F | 0x2B00..=0x2BFF
        | 0x3000..=0x30FF
        | 0x3131..=0x318E | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 | 0xFE00..=0xFE0F | 0xFF00..=0xFFEF
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
    let info = char_info();
    let mut prev_lead: PageMask = 0;
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
        // A C1 control is a Windows-1252 byte read as Latin-1, alone or in a run.
        if super::c1::is_readable(c) {
            return true;
        }
        let Some(e) = info.entry(c) else {
            prev_lead = 0;
            continue;
        };
        if e.cont & prev_lead != 0 {
            return true;
        }
        prev_lead = e.lead;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, cp: CodePage, wild_q: bool) -> (Vec<Token>, Vec<Cluster>) {
        let chars: Vec<char> = text.chars().collect();
        let scan = Scan::new(&chars);
        let (mut tokens, mut clusters) = (Vec::new(), Vec::new());
        tokenize(&chars, &scan, cp, wild_q, &mut tokens, &mut clusters);
        (tokens, clusters)
    }

    #[test]
    fn a_sequence_that_lost_a_byte_is_one_lossy_token_beside_a_whole_one() {
        // `不过` through windows-1254, whose undefined 0x8D (the last byte of 不) was dropped.
        let (tokens, clusters) = read("x ä¸è¿‡ y", CodePage::Windows1254, false);
        assert_eq!(tokens.len(), 2);
        let (lost, whole) = (&tokens[0], &tokens[1]);
        assert_eq!(
            (lost.start, lost.end, lost.missing, lost.conts),
            (2, 4, 1, 1)
        );
        assert_eq!(lost.fixed, None);
        assert_eq!((whole.start, whole.end, whole.missing), (4, 7, 0));
        assert_eq!(whole.fixed, Some('过'));
        // Adjacent: one cluster.
        assert_eq!(clusters.len(), 1);
        assert_eq!((clusters[0].start, clusters[0].end), (2, 7));
        assert_eq!((clusters[0].tok_lo, clusters[0].tok_hi), (0, 2));
    }

    #[test]
    fn a_question_mark_stands_for_a_lost_byte_only_when_told() {
        let (tokens, _) = read("ä¸?", CodePage::Windows1254, true);
        assert_eq!(
            (tokens[0].end, tokens[0].wild, tokens[0].missing),
            (3, 1, 0)
        );
        let (tokens, _) = read("ä¸?", CodePage::Windows1254, false);
        assert_eq!(
            (tokens[0].end, tokens[0].wild, tokens[0].missing),
            (2, 0, 1)
        );
    }

    #[test]
    fn a_page_that_defines_every_byte_reads_no_lost_one() {
        // Mac Roman defines all 128 high bytes (no C1 controls a pipeline strips): `不` is `‰∏ç`
        // there whole, and `‰∏` with its last byte gone is no sequence of that page.
        let (tokens, clusters) = read("a ‰∏ b", CodePage::MacRoman, false);
        assert!(tokens.is_empty() && clusters.is_empty());
        let (tokens, _) = read("a ‰∏ç b", CodePage::MacRoman, false);
        assert_eq!(tokens.first().and_then(|t| t.fixed), Some('不'));
        // windows-1254 may have dropped an undefined byte after `ä¸`.
        let (tokens, _) = read("a ä¸ b", CodePage::Windows1254, false);
        assert_eq!(tokens.first().map(|t| t.missing), Some(1));
    }

    #[test]
    fn text_between_sequences_starts_a_new_cluster() {
        let (tokens, clusters) = read("è¿‡ è¿‡è¿‡", CodePage::Windows1254, false);
        assert_eq!(tokens.len(), 3);
        let spans: Vec<_> = clusters
            .iter()
            .map(|c| (c.start, c.end, c.tok_hi - c.tok_lo))
            .collect();
        assert_eq!(spans, [(0, 3, 1), (4, 10, 2)]);
    }
}
