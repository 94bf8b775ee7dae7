//! Mojibake repair: detects runs of text that went through a single-byte
//! code page (possibly twice, possibly losing undefined bytes), restores
//! them, and chooses among completions of lost bytes with a word-lattice
//! language model. Every guess is reported; the caller keeps the original.

mod c1;
mod codepage;
mod damage;
mod detect;
mod dict;
mod eojeol;
mod lexicon;
mod lm;
mod parallel;
mod plausible;
mod report;
mod score;
#[cfg(test)]
mod tests;
mod variant;

pub use codepage::CodePage;
pub use damage::{
    damage, damage_once, evaluate, evaluate_with, DamageModel, EvalReport, ModelEval,
    UndefinedState,
};
pub use detect::{forget_patterns, looks_damaged};
use dict::FastSet;
pub use dict::{dict_load_time, preload_dict};
pub use lm::CorpusStats;
pub use report::{explain, Explained, FileReport, LOW_CONFIDENCE};
pub use score::{score_output, Score};

use detect::{Candidates, Cluster, Token};
use lm::{is_lexical, DecodeScratch, Scorer, Slot};
use serde::Serialize;
use std::borrow::Cow;
use variant::ScriptCounts;

/// One candidate for a guessed character.
#[derive(Serialize, Clone, Copy, Debug, PartialEq)]
pub struct Alternative {
    /// Serialized as a one-character string.
    pub text: char,
    pub probability: f64,
}

/// A character restored from a sequence that lost bytes: what was chosen,
/// what else it could have been, and how sure the model is.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Guess {
    /// Code-point offsets into `Repaired.text`.
    pub start: usize,
    pub end: usize,
    /// Serialized as a one-character string.
    pub chosen: char,
    /// Runners-up, most probable first.
    pub alternatives: Vec<Alternative>,
    /// Posterior probability of `chosen`.
    pub confidence: f64,
    /// The damaged text this replaced.
    pub original: ShortStr,
    pub code_page: CodePage,
}

/// The source of one damaged sequence: a lead char and at most three
/// more, each at most three bytes in UTF-8 (code-page chars, U+FFFD, `?`),
/// so it always fits inline. A `String` here was an allocation per guess,
/// and the seeds make one guess per ~60 bytes. Longer input is cut at a
/// char boundary (it cannot arise from a token).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ShortStr {
    len: u8,
    bytes: [u8; ShortStr::CAP],
}

impl ShortStr {
    const CAP: usize = 15;

    pub(crate) fn from_chars(chars: &[char]) -> ShortStr {
        let mut s = ShortStr {
            len: 0,
            bytes: [0; Self::CAP],
        };
        for &c in chars {
            let n = c.len_utf8();
            let at = usize::from(s.len);
            match s.bytes.get_mut(at..at + n) {
                Some(dst) => {
                    c.encode_utf8(dst);
                    s.len += n as u8;
                }
                None => {
                    // The property tests feed arbitrary text through here.
                    debug_assert!(false, "token source longer than {} bytes", Self::CAP);
                    break;
                }
            }
        }
        s
    }

    pub fn as_str(&self) -> &str {
        // Only whole chars are ever written.
        std::str::from_utf8(self.bytes.get(..usize::from(self.len)).unwrap_or(&[]))
            .unwrap_or_default()
    }
}

impl std::ops::Deref for ShortStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Debug for ShortStr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for ShortStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Guess {
    /// Below [`LOW_CONFIDENCE`]: worth a reader's check.
    pub fn low_confidence(&self) -> bool {
        self.confidence < LOW_CONFIDENCE
    }
}

/// One repaired run of mojibake.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct RunReport {
    /// Code-point offsets into `Repaired.text`.
    pub start: usize,
    pub end: usize,
    pub original: String,
    pub repaired: String,
    pub code_page: CodePage,
    /// 1 for the outer layer; 2 when the run surfaced only after a first
    /// repair (double encoding).
    pub pass: u8,
    pub bytes_restored: usize,
    pub guesses: usize,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Repaired {
    pub text: String,
    pub changed: bool,
    pub runs: Vec<RunReport>,
    pub guesses: Vec<Guess>,
    /// Bytes that were lost (dropped, or replaced by U+FFFD / `?`) and have
    /// been filled in by a guess.
    pub bytes_restored: usize,
    /// Mojibake characters consumed by the repair.
    pub chars_replaced: usize,
}

impl Repaired {
    fn unchanged(text: &str) -> Self {
        Repaired {
            text: text.to_string(),
            changed: false,
            runs: Vec::new(),
            guesses: Vec::new(),
            bytes_restored: 0,
            chars_replaced: 0,
        }
    }
}

/// The repair engine. Cheap to construct; the dictionary loads on the first
/// text that needs it, once per process.
#[derive(Default, Clone, Debug)]
pub struct Repairer {
    corpus: CorpusStats,
}

/// Layers of encoding peeled per call. Real damage has one or two; garbage
/// can hold more, and stopping early would leave a text that a second repair
/// changes again. Each pass runs only if the previous one changed the text.
const MAX_PASSES: u8 = 8;

/// What the text around the damage is written in: the characters outside
/// the selected runs and those the runs decode to without a guess.
fn undamaged_counts(chars: &[char], selected: &[Cluster], tokens: &[Token]) -> ScriptCounts {
    let mut n = ScriptCounts::default();
    let mut i = 0;
    for cl in selected {
        chars
            .get(i..cl.start)
            .unwrap_or(&[])
            .iter()
            .for_each(|&c| n.add(c));
        tokens
            .get(cl.tok_lo..cl.tok_hi)
            .unwrap_or(&[])
            .iter()
            .filter_map(|t| t.fixed)
            .for_each(|c| n.add(c));
        i = cl.end;
    }
    chars.get(i..).unwrap_or(&[]).iter().for_each(|&c| n.add(c));
    n
}

impl Repairer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Learn character and pair statistics from the corpus's own undamaged
    /// text (its emoji, punctuation, names). Pass only clean text.
    pub fn observe_clean(&mut self, text: &str) {
        self.corpus.observe(text);
    }

    /// As [`Repairer::observe_clean`], skipping text that may hold mojibake.
    pub fn observe_if_clean(&mut self, text: &str) {
        self.corpus.observe_if_clean(text);
    }

    pub fn with_stats(corpus: CorpusStats) -> Self {
        Repairer { corpus }
    }

    pub fn stats(&self) -> &CorpusStats {
        &self.corpus
    }

    pub fn repair(&self, text: &str) -> Repaired {
        if !looks_damaged(text) {
            return Repaired::unchanged(text);
        }
        // The lattice buffers outlive the call: ingest repairs turn by turn.
        thread_local! {
            static WORK: std::cell::RefCell<ChooseWork> = std::cell::RefCell::default();
        }
        WORK.with(|cell| match cell.try_borrow_mut() {
            Ok(mut work) => self.repair_with(text, &mut work),
            Err(_) => self.repair_with(text, &mut ChooseWork::default()),
        })
    }

    fn repair_with(&self, text: &str, work: &mut ChooseWork) -> Repaired {
        let mut result = Repaired::unchanged("");
        // The text as the passes so far left it; None while unchanged, so
        // text that needs no repair is copied once, into the result.
        let mut current: Option<String> = None;
        for pass in 1..=MAX_PASSES {
            // Lone C1 controls are read once no run is left: what they become may form a run
            // the next pass repairs, and the result is then a fixed point of repair.
            let now = current.as_deref().unwrap_or(text);
            let Some(p) = self
                .pass(now, pass, work)
                .or_else(|| lone_controls_pass(now, pass))
            else {
                break;
            };
            // Offsets reported by earlier passes move with this pass's
            // replacements.
            let remap = |i: usize| p.map.get(i).copied().unwrap_or(p.out_len);
            for g in &mut result.guesses {
                let s = remap(g.start);
                g.end = remap(g.end).max(s + 1);
                g.start = s;
            }
            for r in &mut result.runs {
                let s = remap(r.start);
                r.end = remap(r.end).max(s);
                r.start = s;
            }
            result.runs.extend(p.runs);
            result.guesses.extend(p.guesses);
            result.bytes_restored += p.bytes_restored;
            result.chars_replaced += p.chars_replaced;
            let done = !looks_damaged(&p.text);
            current = Some(p.text);
            if done {
                break;
            }
        }
        result.text = current.unwrap_or_else(|| text.to_string());
        result.changed = result.text != text;
        result.runs.sort_by_key(|r| (r.start, r.pass));
        result.guesses.sort_by_key(|g| g.start);
        result
    }

    fn pass(&self, text: &str, pass: u8, work: &mut ChooseWork) -> Option<PassResult> {
        let mut chars: Vec<char> = Vec::with_capacity(text.len());
        chars.extend(text.chars());
        let Selection {
            clusters: selected,
            mut tokens,
        } = select_clusters(&chars);
        if selected.is_empty() {
            return None;
        }
        // Completions are enumerated once per distinct damaged pattern.
        let mut cands = Candidates::default();
        let tok_entry = self.fill_candidates(&selected, &tokens, &mut cands);
        let needs_lm = tokens.iter().zip(&tok_entry).any(|(t, &e)| {
            t.fixed.is_none() && cands.entries.get(e as usize).is_some_and(|x| x.1 > 1)
        });
        let scorer = needs_lm.then(|| Scorer {
            dict: dict::dict(),
            corpus: &self.corpus,
            tilt: undamaged_counts(&chars, &selected, &tokens).tilt(),
        });
        if let Some(sc) = &scorer {
            prune_lists(sc, &mut cands);
        }
        cands.remember(self.corpus.version());
        for (t, &e) in tokens.iter_mut().zip(&tok_entry) {
            if let Some(&(lo, len)) = cands.entries.get(e as usize) {
                t.opt_lo = lo;
                t.opt_len = len;
            }
        }
        for cl in &selected {
            plausible_edge_options(&chars, cl, &mut tokens, &mut cands.pool);
        }
        let pool = &cands.pool;
        let mut w = PassWriter::new(text, chars.len(), selected.len());
        let mut slots = Vec::new();
        for cl in &selected {
            w.copy_to(&chars, cl.start);
            let cl_tokens = tokens.get(cl.tok_lo..cl.tok_hi).unwrap_or(&[]);
            choose(
                &chars,
                cl_tokens,
                cl,
                pool,
                scorer.as_ref(),
                &mut slots,
                work,
            );
            w.write_run(&chars, cl, cl_tokens, pool, work, pass);
        }
        w.finish(&chars)
    }

    /// The candidate list entry of every lossy token of the selected runs.
    fn fill_candidates(
        &self,
        selected: &[Cluster],
        tokens: &[Token],
        cands: &mut Candidates,
    ) -> Vec<u32> {
        let mut tok_entry = vec![u32::MAX; tokens.len()];
        for cl in selected {
            for k in cl.tok_lo..cl.tok_hi {
                if let (Some(t), Some(e)) = (tokens.get(k), tok_entry.get_mut(k)) {
                    if t.fixed.is_none() {
                        *e = cands.fill(t, cl.cp, self.corpus.version());
                    }
                }
            }
        }
        tok_entry
    }
}

/// The lone C1 controls of `text` read as Windows-1252 (`c1`), as a pass that moves no offset.
fn lone_controls_pass(text: &str, pass: u8) -> Option<PassResult> {
    let (read, runs) = c1::read_lone_controls(text, pass)?;
    let n = read.chars().count();
    Some(PassResult {
        text: read,
        map: (0..=n).collect(),
        out_len: n,
        chars_replaced: runs.len(),
        runs,
        guesses: Vec::new(),
        bytes_restored: 0,
    })
}

/// Keep the lists the language model finds worth a place in the lattice
/// (those not already final from the cache).
fn prune_lists(sc: &Scorer, cands: &mut Candidates) {
    for ((lo, len), &done) in cands.entries.iter_mut().zip(&cands.done) {
        if *len > 2 && !done {
            let (lo_u, len_u) = (*lo as usize, *len as usize);
            if let Some(slice) = cands.pool.get_mut(lo_u..lo_u + len_u) {
                *len = sc.prune(slice) as u32;
            }
        }
    }
}

/// Writes a pass's result: the unchanged text copied, each run's
/// chosen characters with its report.
struct PassWriter<'t> {
    text: &'t str,
    res: PassResult,
    /// Next input char to write, and its byte offset in `text`:
    /// unchanged stretches are copied as they are.
    i: usize,
    bi: usize,
}

fn utf8_len(cs: &[char]) -> usize {
    cs.iter().map(|c| c.len_utf8()).sum()
}

impl<'t> PassWriter<'t> {
    fn new(text: &'t str, n_chars: usize, n_runs: usize) -> Self {
        PassWriter {
            text,
            res: PassResult {
                text: String::with_capacity(text.len()),
                map: Vec::with_capacity(n_chars + 1),
                out_len: 0,
                runs: Vec::with_capacity(n_runs),
                guesses: Vec::new(),
                bytes_restored: 0,
                chars_replaced: 0,
            },
            i: 0,
            bi: 0,
        }
    }

    /// Copy the unchanged text up to char `end`.
    fn copy_to(&mut self, chars: &[char], end: usize) {
        if let Some(prefix) = chars.get(self.i..end) {
            let nb = utf8_len(prefix);
            self.res
                .text
                .push_str(self.text.get(self.bi..self.bi + nb).unwrap_or_default());
            self.bi += nb;
            self.res
                .map
                .extend(self.res.out_len..self.res.out_len + prefix.len());
            self.res.out_len += prefix.len();
        }
    }

    /// Write a run's chosen characters and report it.
    fn write_run(
        &mut self,
        chars: &[char],
        cl: &Cluster,
        cl_tokens: &[Token],
        pool: &[char],
        work: &ChooseWork,
        pass: u8,
    ) {
        let run_start = self.res.out_len;
        let run_start_byte = self.res.text.len();
        let mut run_bytes = 0;
        let mut run_guesses = 0;
        for (ti, tok) in cl_tokens.iter().enumerate() {
            let choice = work.choice(ti);
            let Some(ch) = tok.options(pool).get(choice.chosen).copied() else {
                // No credible completion: keep the source as it was.
                for &c in chars.get(tok.start..tok.end).unwrap_or(&[]) {
                    self.res.text.push(c);
                    self.res.map.push(self.res.out_len);
                    self.res.out_len += 1;
                }
                continue;
            };
            for _ in tok.start..tok.end {
                self.res.map.push(self.res.out_len);
            }
            self.res.text.push(ch);
            if tok.lossy() {
                run_bytes += usize::from(tok.missing) + usize::from(tok.wild);
                run_guesses += 1;
                let g = make_guess(chars, tok, pool, &choice, ch, self.res.out_len, cl.cp);
                self.res.guesses.push(g);
            }
            self.res.out_len += 1;
            self.res.chars_replaced += tok.end - tok.start;
        }
        self.i = cl.end;
        self.res.bytes_restored += run_bytes;
        let run_src = self.bi;
        self.bi += utf8_len(chars.get(cl.start..cl.end).unwrap_or(&[]));
        self.res.runs.push(RunReport {
            start: run_start,
            end: self.res.out_len,
            original: self
                .text
                .get(run_src..self.bi)
                .unwrap_or_default()
                .to_string(),
            repaired: self
                .res
                .text
                .get(run_start_byte..)
                .unwrap_or_default()
                .to_string(),
            code_page: cl.cp,
            pass,
            bytes_restored: run_bytes,
            guesses: run_guesses,
        });
    }

    /// Copy the rest; None when the pass changed nothing.
    fn finish(mut self, chars: &[char]) -> Option<PassResult> {
        if let Some(rest) = chars.get(self.i..) {
            let r = &mut self.res;
            r.text
                .push_str(self.text.get(self.bi..).unwrap_or_default());
            r.map.extend(r.out_len..r.out_len + rest.len());
            r.out_len += rest.len();
        }
        self.res.map.push(self.res.out_len);
        (self.res.text != self.text).then_some(self.res)
    }
}

struct PassResult {
    text: String,
    /// Input char index → output char index (length n + 1).
    map: Vec<usize>,
    out_len: usize,
    runs: Vec<RunReport>,
    guesses: Vec<Guess>,
    bytes_restored: usize,
    chars_replaced: usize,
}

/// The choice for one token: index into its options and the posterior of
/// every option (empty when it had no rival).
struct Choice<'a> {
    chosen: usize,
    posterior: &'a [f32],
}

/// Per-cluster results of `choose` plus buffers reused across clusters.
#[derive(Default)]
struct ChooseWork {
    /// Per slot of the cluster lattice (context slots included).
    chosen: Vec<u32>,
    post_range: Vec<(u32, u32)>,
    post: Vec<f32>,
    /// Offset of the cluster's first token among the slots.
    first_token: usize,
    decode: DecodeScratch,
}

const SURE: [f32; 1] = [1.0];

impl ChooseWork {
    fn choice(&self, token: usize) -> Choice<'_> {
        let k = self.first_token + token;
        let chosen = self.chosen.get(k).copied().unwrap_or(0) as usize;
        let posterior = match self.post_range.get(k) {
            Some(&(lo, hi)) => self.post.get(lo as usize..hi as usize).unwrap_or(&[]),
            None => &SURE,
        };
        Choice { chosen, posterior }
    }
}

/// Pick a character for every token of a cluster, jointly; results in
/// `work` (read them with `ChooseWork::choice`).
fn choose<'a>(
    chars: &'a [char],
    tokens: &'a [Token],
    cl: &Cluster,
    pool: &'a [char],
    scorer: Option<&Scorer>,
    slots: &mut Vec<Slot<'a>>,
    work: &mut ChooseWork,
) {
    work.chosen.clear();
    work.post_range.clear();
    work.post.clear();
    work.first_token = 0;
    let Some(scorer) = scorer.filter(|_| tokens.iter().any(|t| t.options(pool).len() > 1)) else {
        // Every token is certain (`choice` reports chosen 0, posterior 1).
        return;
    };
    let (n_left, left, right) = fill_slots(chars, tokens, cl, pool, slots);
    work.first_token = n_left;
    decode_windows(slots, left, right, scorer, work);
}

/// The lattice of a cluster: up to 4 undamaged Han, kana or Hangul characters on each side as
/// context (words straddle a run's edge), then one slot per token. Returns the number of left
/// context slots and the characters just outside the lattice.
fn fill_slots<'a>(
    chars: &'a [char],
    tokens: &'a [Token],
    cl: &Cluster,
    pool: &'a [char],
    slots: &mut Vec<Slot<'a>>,
) -> (usize, Option<char>, Option<char>) {
    const CONTEXT: usize = 4;
    let n_left = chars[..cl.start]
        .iter()
        .rev()
        .take(CONTEXT)
        .take_while(|c| is_lexical(**c))
        .count();
    let n_right = chars[cl.end..]
        .iter()
        .take(CONTEXT)
        .take_while(|c| is_lexical(**c))
        .count();
    let left_ctx = &chars[cl.start - n_left..cl.start];
    let right_ctx = &chars[cl.end..cl.end + n_right];
    slots.clear();
    for c in left_ctx {
        slots.push(Slot {
            cands: std::slice::from_ref(c),
        });
    }
    for t in tokens {
        // A token without completions stays as it was; its source char
        // stands in so the lattice keeps its shape.
        let opts = t.options(pool);
        let cands = if opts.is_empty() {
            chars.get(t.start..t.start + 1).unwrap_or(&[' '])
        } else {
            opts
        };
        slots.push(Slot { cands });
    }
    for c in right_ctx {
        slots.push(Slot {
            cands: std::slice::from_ref(c),
        });
    }
    let left = cl
        .start
        .checked_sub(n_left + 1)
        .and_then(|k| chars.get(k))
        .copied();
    let right = chars.get(cl.end + n_right).copied();
    (n_left, left, right)
}

/// Decode the lattice: only the neighbourhood of a damaged position can change its choice, so
/// merged windows around them are decoded and the rest left fixed; choices and posteriors go
/// to `work`.
fn decode_windows(
    slots: &[Slot<'_>],
    left: Option<char>,
    right: Option<char>,
    scorer: &Scorer,
    work: &mut ChooseWork,
) {
    const WINDOW: usize = 3;
    let m = slots.len();
    work.chosen.resize(m, 0);
    work.post_range.resize(m, (0, 0));
    let mut k = 0;
    while k < m {
        if slots[k].cands.len() <= 1 {
            k += 1;
            continue;
        }
        let lo = k.saturating_sub(WINDOW);
        let mut hi = (k + WINDOW + 1).min(m);
        let mut j = k + 1;
        while j < hi {
            if slots[j].cands.len() > 1 {
                hi = (j + WINDOW + 1).min(m);
            }
            j += 1;
        }
        let wl = if lo == 0 {
            left
        } else {
            slots.get(lo - 1).and_then(|s| s.cands.first().copied())
        };
        let wr = if hi == m {
            right
        } else {
            slots.get(hi).and_then(|s| s.cands.first().copied())
        };
        let d = &mut work.decode;
        scorer.decode(&slots[lo..hi], wl, wr, d);
        let (chosen, post_off, post) = (&d.chosen, &d.post_off, &d.post);
        for off in 0..hi - lo {
            let slot = lo + off;
            if let (Some(c), Some(r), Some(&ch)) = (
                work.chosen.get_mut(slot),
                work.post_range.get_mut(slot),
                chosen.get(off),
            ) {
                *c = ch;
                let a = post_off.get(off).copied().unwrap_or(0) as usize;
                let b = post_off.get(off + 1).copied().unwrap_or(0) as usize;
                let start = work.post.len() as u32;
                work.post.extend_from_slice(post.get(a..b).unwrap_or(&[]));
                *r = (start, work.post.len() as u32);
            }
        }
        k = hi;
    }
}

fn make_guess(
    chars: &[char],
    tok: &Token,
    pool: &[char],
    choice: &Choice,
    chosen: char,
    at: usize,
    cp: CodePage,
) -> Guess {
    let total: f64 = choice.posterior.iter().map(|&p| f64::from(p)).sum();
    let norm = |p: f32| {
        if total > 0.0 {
            f64::from(p) / total
        } else {
            1.0 / choice.posterior.len().max(1) as f64
        }
    };
    let opts = tok.options(pool);
    // The five likeliest runners-up, most probable first; among equals the
    // earlier option first (a stable sort of all of them, truncated).
    const TOP: usize = 5;
    let mut top = [(0usize, 0.0f64); TOP];
    let mut n_top = 0usize;
    for (k, &p) in choice.posterior.iter().enumerate() {
        if k == choice.chosen {
            continue;
        }
        let v = norm(p);
        let pos = top[..n_top]
            .iter()
            .position(|x| v.total_cmp(&x.1).is_gt())
            .unwrap_or(n_top);
        if pos >= TOP {
            continue;
        }
        let last = n_top.min(TOP - 1);
        top.copy_within(pos..last, pos + 1);
        top[pos] = (k, v);
        n_top = (n_top + 1).min(TOP);
    }
    let mut alternatives = Vec::with_capacity(n_top);
    for &(k, p) in &top[..n_top] {
        if let Some(&c) = opts.get(k) {
            alternatives.push(Alternative {
                text: c,
                probability: p,
            });
        }
    }
    Guess {
        start: at,
        end: at + 1,
        chosen,
        alternatives,
        confidence: choice
            .posterior
            .get(choice.chosen)
            .map_or(1.0, |&p| norm(p)),
        original: ShortStr::from_chars(chars.get(tok.start..tok.end).unwrap_or(&[])),
        code_page: cp,
    }
}

/// The clusters judged mojibake, in text order, and their tokens
/// (`Cluster::tok_lo..tok_hi` index `tokens`).
#[derive(Default)]
struct Selection {
    clusters: Vec<Cluster>,
    tokens: Vec<Token>,
}

/// Tokens and clusters of one code page.
#[derive(Default)]
struct PageScan {
    tokens: Vec<Token>,
    clusters: Vec<Cluster>,
}

impl PageScan {
    fn new(chars: &[char], scan: &detect::Scan, cp: CodePage, wild_q: bool) -> PageScan {
        let mut p = PageScan::default();
        detect::tokenize(chars, scan, cp, wild_q, &mut p.tokens, &mut p.clusters);
        // A reading that is itself mojibake of the same page, whole, is the outer layer of
        // double encoding: evidence no accidental reading has. Where two pages read a run
        // whole (windows-1250 and ISO-8859-2 both read `ÄąÄľ`), it picks the one that peels
        // (`Ĺľ`, then `ž`) over the one that stops at junk (`ıĵ`).
        for c in &mut p.clusters {
            let toks = p.tokens.get(c.tok_lo..c.tok_hi).unwrap_or(&[]);
            if toks.len() >= 2 && inner_layer_ends(toks, cp).is_some() {
                c.score += 1.0;
            }
        }
        p
    }

    /// Whether the cluster reads as complete sequences only: nothing lost.
    fn whole(&self, c: &Cluster) -> bool {
        self.tokens
            .get(c.tok_lo..c.tok_hi)
            .unwrap_or(&[])
            .iter()
            .all(|t| t.fixed.is_some())
    }
}

/// Tokenize under every code page, keep the clusters judged mojibake, and
/// resolve overlaps between code pages.
///
/// Judging is the costly part, and most of it goes to pages that lose: a page that reads
/// another page's mojibake in fragments (latin-1 cutting windows-1254's runs at every undefined
/// byte) has many times the clusters of the page that reads it whole. So a cluster inside a
/// longer, better-scored run that a page scanned before accepted is not judged — that run comes
/// first and takes its characters. Where it did not take them all (it lost to a run of yet
/// another page), the selection is made again with every cluster judged. What remains of the
/// shortcut is that a skipped cluster counts as rejected in its page's tallies (its total
/// score, which breaks ties between pages): on `colloquy bench repair`'s 82 damage models it
/// changed 20 characters, in two double-encoding models.
fn select_clusters(chars: &[char]) -> Selection {
    let scan = detect::Scan::new(chars);
    match select_with(chars, &scan, true) {
        Some(sel) => sel,
        None => select_with(chars, &scan, false).unwrap_or_default(),
    }
}

/// `select_clusters`, skipping the judgement of outscored clusters if `skip`; `None` when a
/// skipped cluster kept characters that no chosen run took.
fn select_with(chars: &[char], scan: &detect::Scan, skip: bool) -> Option<Selection> {
    // Scans without wildcards, kept for reuse when `?` is not one.
    let mut pages: [Option<PageScan>; codepage::N_PAGES] = Default::default();
    let wild_q = question_marks_are_wildcards(chars, scan, &mut pages);
    // The clusters not judged because a better run was around them, as char ranges.
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    // One sortable key per accepted cluster: best evidence first; ties go
    // to the code page that explains more of the text, then to the order
    // of CodePage::ALL, then to text order. Packed into one integer because
    // a text has thousands of clusters per page and this sort is on every
    // repair's path.
    let mut all: Vec<u128> = Vec::new();
    // Per page, the indices of its accepted clusters, in text order.
    let mut spans: [Vec<usize>; codepage::N_PAGES] = Default::default();
    // The same, as char ranges with their scores.
    let mut ranges: [Vec<(usize, usize, f32)>; codepage::N_PAGES] = Default::default();
    // Completions of edge tokens, for judging results before any run is
    // chosen; a sentinel version keeps them apart from the pruned lists.
    let mut probe = Candidates::default();
    for cp in CodePage::ALL {
        // A code page with no lead byte followed by a continuation byte
        // anywhere cannot hold mojibake.
        let ci = cp.index();
        let has_pair = scan.pair_mask & (1 << ci) != 0 || wild_q || scan.has_fffd;
        if !has_pair {
            continue;
        }
        let Some(slot) = pages.get_mut(ci) else {
            continue;
        };
        if wild_q || slot.is_none() {
            *slot = Some(PageScan::new(chars, scan, cp, wild_q));
        }
        let Some(page) = slot.as_ref() else { continue };
        let judging = Judging {
            ranges: &ranges,
            skip,
        };
        let (accepted, total) = accept_page(chars, page, cp, &judging, &mut probe, &mut skipped);
        // Bit 95 is left for `prefer_fitting_pages`.
        let page_key = (u128::from(desc_key(total) >> 1) << 64) | ((ci as u128) << 56);
        if let (Some(sp), Some(r)) = (spans.get_mut(ci), ranges.get_mut(ci)) {
            sp.extend_from_slice(&accepted);
            r.extend(
                accepted
                    .iter()
                    .filter_map(|&k| page.clusters.get(k))
                    .map(|c| (c.start, c.end, c.score)),
            );
        }
        // Clusters of one page are disjoint and in text order, so their index orders them as
        // their start does.
        all.extend(accepted.iter().filter_map(|&k| {
            let c = page.clusters.get(k)?;
            Some((u128::from(desc_key(c.score)) << 96) | page_key | (k as u128 & ((1 << 56) - 1)))
        }));
    }
    // Unpruned lists are a function of the pattern alone: later texts on this
    // thread reuse them.
    probe.remember(PROBE_VERSION);
    prefer_fitting_pages(chars, &pages, &spans, &mut all);
    let all = defer_to_better_runs(all, &pages, &spans);
    let (mut chosen, taken) = take_greedily(chars.len(), &pages, all);
    let all_taken =
        |&(s, e): &(usize, usize)| taken.get(s..e).is_some_and(|t| t.iter().all(|&t| t));
    if !skipped.iter().all(all_taken) {
        return None;
    }
    // Taken clusters do not overlap: their starts differ.
    chosen.sort_unstable();
    Some(assemble(&pages, chosen))
}

/// What judging a page's clusters consults besides the page: the runs pages scanned before it
/// accepted (char ranges with their scores, in text order per page), and whether clusters
/// inside a better one of them go unjudged.
struct Judging<'a> {
    ranges: &'a [Vec<(usize, usize, f32)>; codepage::N_PAGES],
    skip: bool,
}

/// One page's clusters that detection and judging accept, as indices in text order, and the
/// sum of their scores. `ranges` holds the runs pages scanned before this one accepted.
fn accept_page(
    chars: &[char],
    page: &PageScan,
    cp: CodePage,
    judging: &Judging,
    probe: &mut Candidates,
    skipped: &mut Vec<(usize, usize)>,
) -> (Vec<usize>, f32) {
    let ranges = judging.ranges;
    let (verdicts, evidenced) = page_verdicts(chars, page, cp, judging, probe);
    skipped.extend(
        verdicts
            .iter()
            .zip(&page.clusters)
            .filter(|(v, _)| **v == Verdict::Outscored)
            .map(|(_, c)| (c.start, c.end)),
    );
    let accepted = |k: usize, c: &Cluster, doc_strong: bool| {
        admitted(verdicts.get(k), c, doc_strong) && (evidenced || page.whole(c))
    };
    // A strong run counts as the document's evidence for this page only if no page scanned
    // before reads a longer run around it: pieces of another page's mojibake (Mac Roman's `‚´ì`
    // inside windows-1254's Korean runs) are no sign of this page's, and would let its weak runs
    // through (`ã…ã…`, two windows-1254 `ㅎ` that lost bytes, read `ãɋ…`).
    let strong = page
        .clusters
        .iter()
        .enumerate()
        .filter(|&(k, c)| {
            let known = verdicts.get(k) == Some(&Verdict::KnownWord);
            (c.score >= 1.0 || known)
                && accepted(k, c, false)
                && !inside_longer_run(c, ranges, cp.index())
        })
        .count();
    let doc_strong = strong >= 2;
    let mut kept: Vec<usize> = page
        .clusters
        .iter()
        .enumerate()
        .filter(|&(k, c)| accepted(k, c, doc_strong))
        .map(|(k, _)| k)
        .collect();
    let own = |k: usize| page.clusters.get(k).is_some_and(|c| accepted(k, c, false));
    drop_runs_of_another_kind(chars, page, cp, (&verdicts, &own), probe, &mut kept);
    admit_letters_beside_runs(chars, page, &verdicts, (evidenced, doc_strong), &mut kept);
    let total: f32 = kept
        .iter()
        .filter_map(|&k| page.clusters.get(k))
        .map(|c| c.score)
        .sum();
    (kept, total)
}

/// Remove from `kept` the runs that only the document's evidence admitted, that bring a script of
/// their own — a stranger letter read from symbols alone (`Verdict::NeedsDocument`), or a guess at
/// lost bytes glued to a letter whose completions are all Han, kana or Hangul — and whose script
/// the page's runs admitted on their own evidence never produce. A document's mojibake vouches
/// for weak runs of its own kind only: a Czech text's `Å¡` says nothing for `5×£35` (clean) read
/// as the Hebrew `5ף35`, nor for Croatian `sinoć?` read through windows-1257 with `?` as a lost
/// byte (`sinoが`), where Hebrew or Japanese mojibake elsewhere would; in a Chinese chat a lone
/// `å·` between English words stays a Han guess. Characters without a script (math operators,
/// punctuation, emoji) always count as shown.
fn drop_runs_of_another_kind(
    chars: &[char],
    page: &PageScan,
    cp: CodePage,
    (verdicts, own): (&[Verdict], &dyn Fn(usize) -> bool),
    probe: &mut Candidates,
    kept: &mut Vec<usize>,
) {
    let tokens = |k: usize| {
        page.clusters
            .get(k)
            .and_then(|c| page.tokens.get(c.tok_lo..c.tok_hi))
            .unwrap_or(&[])
    };
    let glued = |k: usize| {
        page.clusters
            .get(k)
            .is_some_and(|c| plausible::neighbours(chars, c.start, c.end) != (None, None))
    };
    let of_a_kind = |k: usize| {
        !own(k)
            && (verdicts.get(k) == Some(&Verdict::NeedsDocument)
                || (tokens(k).iter().any(|t| t.fixed.is_none()) && glued(k)))
    };
    if !kept.iter().any(|&k| of_a_kind(k)) {
        return;
    }
    let mut shown: Vec<Option<plausible::Script>> = vec![None];
    for &k in kept.iter().filter(|&&k| own(k)) {
        for s in tokens(k)
            .iter()
            .filter_map(|t| t.fixed)
            .map(plausible::script)
        {
            if !shown.contains(&s) {
                shown.push(s);
            }
        }
    }
    let is_shown = |c: char| shown.contains(&plausible::script(c));
    kept.retain(|&k| {
        !of_a_kind(k)
            || tokens(k).iter().all(|t| match t.fixed {
                Some(c) => is_shown(c),
                None => with_options(Some(t), cp, probe, |opts| {
                    // Only guesses that are all Han, kana or Hangul bring a script of their own.
                    let mut scripts = opts.iter().filter_map(|&c| plausible::script(c)).peekable();
                    let syllabic = |s: plausible::Script| {
                        matches!(s, plausible::Script::HanKana | plausible::Script::Hangul)
                    };
                    let own_script = scripts.peek().is_some() && scripts.all(syllabic);
                    !own_script
                        || opts
                            .iter()
                            .any(|&c| is_shown(c) && plausible::script(c).is_some())
                }),
            })
    });
}

/// Add to `kept` (a page's accepted clusters, in text order) the lone letters whose neighbouring
/// word holds an accepted run of the same page, or, in a document that shows strong mojibake of
/// the page (`evidence.1`), whose source is a sequence that an accepted run of the page holds. A
/// one-letter result is the weakest evidence there is (`РІ` → `в`, `Г\u{a0}` → `à`,
/// windows-1257's `ÄÆ` → `į`: pairs of capitals that writing rarely shows, but does), yet these
/// words are the commonest in their languages; the word before or after that went through the
/// same page says this one did too, and so does the same pair inside a repaired word (Italian
/// `ГЁ` alone between clean words, where `bibliothГЁque` went through windows-1251; as a
/// two-letter Cyrillic word it is otherwise a `PlainWord`, kept). Only runs accepted on their
/// own count, so one admitted letter never vouches for the next.
fn admit_letters_beside_runs(
    chars: &[char],
    page: &PageScan,
    verdicts: &[Verdict],
    (evidenced, doc_strong): (bool, bool),
    kept: &mut Vec<usize>,
) {
    // The kept runs accepted on their own evidence, not for the document's sake.
    let own_runs = || {
        kept.iter()
            .filter(|&&k| {
                !matches!(
                    verdicts.get(k),
                    Some(Verdict::LoneLetter { .. } | Verdict::NeedsDocument)
                )
            })
            .filter_map(|&k| page.clusters.get(k))
    };
    let runs: Vec<(usize, usize)> = own_runs().map(|c| (c.start, c.end)).collect();
    if runs.is_empty() {
        return;
    }
    // The clusters that could be admitted, before the costlier tests of why.
    let pending: Vec<(usize, &Cluster, bool)> = page
        .clusters
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let (lone, plain) = match verdicts.get(k) {
                Some(Verdict::LoneLetter { .. }) => (true, false),
                Some(Verdict::PlainWord) => (false, c.tok_hi - c.tok_lo == 1),
                _ => (false, false),
            };
            ((lone || plain)
                && detect::accept(c, true)
                && (evidenced || page.whole(c))
                && kept.binary_search(&k).is_err())
            .then_some((k, c, lone))
        })
        .collect();
    if pending.is_empty() {
        return;
    }
    let source = |s: usize, e: usize| chars.get(s..e).unwrap_or(&[]);
    // Built only here: a page's runs hold thousands of sequences, and most texts need none.
    let sequences: FastSet<&[char]> = if doc_strong {
        own_runs()
            .flat_map(|c| page.tokens.get(c.tok_lo..c.tok_hi).unwrap_or(&[]))
            .filter(|t| t.fixed.is_some())
            .map(|t| source(t.start, t.end))
            .collect()
    } else {
        Default::default()
    };
    let added: Vec<usize> = pending
        .into_iter()
        .filter(|&(_, c, lone)| {
            let seen = || sequences.contains(source(c.start, c.end));
            let beside = || {
                neighbour_words(chars, c.start, c.end)
                    .into_iter()
                    .flatten()
                    .any(|(s, e)| overlaps_any(&runs, s, e))
            };
            seen() || (lone && beside())
        })
        .map(|(k, _, _)| k)
        .collect();
    if !added.is_empty() {
        kept.extend(added);
        kept.sort_unstable();
    }
}

/// The words (runs of characters that are not white space, at most 40) just before `start` and
/// just after `end`, across at most two characters of white space.
fn neighbour_words(chars: &[char], start: usize, end: usize) -> [Option<(usize, usize)>; 2] {
    const SPACE: usize = 2;
    const WORD: usize = 40;
    let gap_left = chars
        .get(..start)
        .unwrap_or(&[])
        .iter()
        .rev()
        .take_while(|c| c.is_whitespace())
        .count();
    let left = (1..=SPACE).contains(&gap_left).then(|| {
        let e = start - gap_left;
        let len = chars
            .get(..e)
            .unwrap_or(&[])
            .iter()
            .rev()
            .take(WORD)
            .take_while(|c| !c.is_whitespace())
            .count();
        (e - len, e)
    });
    let gap_right = chars
        .get(end..)
        .unwrap_or(&[])
        .iter()
        .take_while(|c| c.is_whitespace())
        .count();
    let right = (1..=SPACE).contains(&gap_right).then(|| {
        let s = end + gap_right;
        let len = chars
            .get(s..)
            .unwrap_or(&[])
            .iter()
            .take(WORD)
            .take_while(|c| !c.is_whitespace())
            .count();
        (s, s + len)
    });
    [left, right]
}

/// Whether any of `runs` (disjoint, in text order) overlaps `s..e`.
fn overlaps_any(runs: &[(usize, usize)], s: usize, e: usize) -> bool {
    let i = runs.partition_point(|r| r.1 <= s);
    runs.get(i).is_some_and(|r| r.0 < e)
}

/// Whether a page other than `ci` has accepted a run that covers `c` and is longer: `ranges`
/// holds each page's accepted runs in text order.
fn inside_longer_run(
    c: &Cluster,
    ranges: &[Vec<(usize, usize, f32)>; codepage::N_PAGES],
    ci: usize,
) -> bool {
    longer_run_around(c, ranges, ci, |_| true)
}

/// Whether a page other than `ci` has accepted a longer run around `c` that also scored higher:
/// that run comes first in `take_greedily`'s order and takes `c`'s characters, so judging `c`
/// would be wasted. (Pages that read mojibake in fragments — latin-1 cutting windows-1254's
/// runs at every undefined byte — have ten times the clusters of the page that reads it whole.)
fn inside_better_run(
    c: &Cluster,
    ranges: &[Vec<(usize, usize, f32)>; codepage::N_PAGES],
    ci: usize,
) -> bool {
    longer_run_around(c, ranges, ci, |score| score > c.score)
}

/// Whether a page other than `ci` has accepted a run longer than `c` around it whose score
/// passes `keep`.
fn longer_run_around(
    c: &Cluster,
    ranges: &[Vec<(usize, usize, f32)>; codepage::N_PAGES],
    ci: usize,
    keep: impl Fn(f32) -> bool,
) -> bool {
    ranges.iter().enumerate().any(|(cj, r)| {
        // Runs of one page are disjoint: only the last one starting at or before `c` can hold it.
        let i = r.partition_point(|x| x.0 <= c.start);
        cj != ci
            && i.checked_sub(1)
                .and_then(|i| r.get(i))
                .is_some_and(|&(s, e, score)| e >= c.end && e - s > c.end - c.start && keep(score))
    })
}

/// The verdict on each of a page's clusters, and whether the page may repair runs that need lost
/// bytes: every page may but the gated ones, which need a run of their own first (a strong run,
/// read whole, that no earlier page reads).
///
/// A cluster that detection rejects even in a strong document needs no verdict: judging is the
/// costly part of a page's scan. Nor does a lossy run of a gated page without such a run, since
/// none of its lossy runs is accepted then.
fn page_verdicts(
    chars: &[char],
    page: &PageScan,
    cp: CodePage,
    judging: &Judging,
    probe: &mut Candidates,
) -> (Vec<Verdict>, bool) {
    let ranges = judging.ranges;
    let judge = |k: usize, c: &Cluster, probe: &mut Candidates| {
        if !detect::accept(c, true) {
            Verdict::Reject
        } else if judging.skip && inside_better_run(c, ranges, cp.index()) {
            Verdict::Outscored
        } else {
            judge_result(chars, page, k, probe)
        }
    };
    let gated = cp.gated();
    let mut verdicts: Vec<Verdict> = page
        .clusters
        .iter()
        .enumerate()
        .map(|(k, c)| {
            if gated && !page.whole(c) {
                Verdict::Reject
            } else {
                judge(k, c, probe)
            }
        })
        .collect();
    let evidenced = !gated
        || has_own_run(page, ranges, cp.index(), |k, c| {
            admitted(verdicts.get(k), c, false) && page.whole(c)
        });
    if gated && evidenced {
        for (k, c) in page.clusters.iter().enumerate() {
            if let (false, Some(v)) = (page.whole(c), verdicts.get_mut(k)) {
                *v = judge(k, c, probe);
            }
        }
    }
    (verdicts, evidenced)
}

/// Whether a cluster with this verdict is accepted, in a document that has (`doc_strong`) or
/// has not shown strong mojibake of the page.
fn admitted(verdict: Option<&Verdict>, c: &Cluster, doc_strong: bool) -> bool {
    match verdict {
        Some(Verdict::Detection) => detect::accept(c, doc_strong),
        Some(Verdict::OwnEvidence) => detect::accept(c, false),
        Some(Verdict::KnownWord) => detect::accept(c, true),
        Some(Verdict::NeedsDocument) => doc_strong && detect::accept(c, true),
        Some(Verdict::LoneLetter { weird, unit }) => {
            detect::accept(c, false) && (*weird >= 2 || (doc_strong && *weird >= 1 && !unit))
        }
        Some(Verdict::Reject | Verdict::PlainWord | Verdict::Outscored) | None => false,
    }
}

/// The chosen clusters `(start, page, index)`, in text order, with their tokens copied out of
/// their pages' scans.
fn assemble(
    pages: &[Option<PageScan>; codepage::N_PAGES],
    chosen: Vec<(usize, usize, usize)>,
) -> Selection {
    let mut sel = Selection {
        clusters: Vec::with_capacity(chosen.len()),
        tokens: Vec::new(),
    };
    for (_, ci, k) in chosen {
        let Some(page) = pages.get(ci).and_then(|p| p.as_ref()) else {
            continue;
        };
        let Some(cl) = page.clusters.get(k) else {
            continue;
        };
        let lo = sel.tokens.len();
        sel.tokens
            .extend_from_slice(page.tokens.get(cl.tok_lo..cl.tok_hi).unwrap_or(&[]));
        sel.clusters.push(Cluster {
            tok_lo: lo,
            tok_hi: sel.tokens.len(),
            ..*cl
        });
    }
    sel
}

/// A document-level preference among code pages that read the same runs:
/// where two pages read one run whole and one page's reading fits the word
/// around it better (`word_fit`) more often than the other way round, the
/// other page loses every tie (its keys sort after the rest among equal
/// scores). ISO-8859-2 and windows-1250 read Hungarian `ĂŠ` as `é` and `Ê`:
/// `miĂŠrt` → `miÊrt` breaks the word, so `ĂŠrtem` and `Ăśtször` follow
/// ISO-8859-2 too, where either reading alone would do.
fn prefer_fitting_pages(
    chars: &[char],
    pages: &[Option<PageScan>; codepage::N_PAGES],
    spans: &[Vec<usize>; codepage::N_PAGES],
    keys: &mut [u128],
) {
    let beats = page_beats(chars, pages, spans);
    // A page that another page beats loses its ties.
    let mut demoted: codepage::PageMask = 0;
    for row in &beats {
        for (q, &n) in row.iter().enumerate() {
            if n > 0 {
                demoted |= 1 << q;
            }
        }
    }
    if demoted == 0 {
        return;
    }
    for key in keys {
        let ci = ((*key >> 56) & 0xFF) as usize;
        if demoted & (1 << ci) != 0 {
            *key |= 1 << 95;
        }
    }
}

/// Every page's accepted runs as (start, end, page, cluster), sorted: runs of one span together.
fn runs_by_span(
    pages: &[Option<PageScan>; codepage::N_PAGES],
    spans: &[Vec<usize>; codepage::N_PAGES],
) -> Vec<(usize, usize, usize, usize)> {
    let mut runs: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (ci, sp) in spans.iter().enumerate() {
        let Some(page) = pages.get(ci).and_then(|p| p.as_ref()) else {
            continue;
        };
        runs.extend(
            sp.iter()
                .filter_map(|&k| page.clusters.get(k).map(|c| (c.start, c.end, ci, k))),
        );
    }
    runs.sort_unstable();
    runs
}

/// Per pair of pages: runs where the first one's reading fits better than
/// the second one's, less runs where it fits worse.
fn page_beats(
    chars: &[char],
    pages: &[Option<PageScan>; codepage::N_PAGES],
    spans: &[Vec<usize>; codepage::N_PAGES],
) -> [[i32; codepage::N_PAGES]; codepage::N_PAGES] {
    let runs = runs_by_span(pages, spans);
    let reading = |ci: usize, k: usize| -> Option<String> {
        let page = pages.get(ci).and_then(|p| p.as_ref())?;
        let c = page.clusters.get(k)?;
        whole_reading(page.tokens.get(c.tok_lo..c.tok_hi)?)
    };
    // Each page's readings of its runs, built for the pages that disagree somewhere: the word a
    // run lands in is read with the page's other runs in it read too (`ÃŸaÃ°` is `það` through
    // ISO-8859-15 only once both of its runs are).
    let mut readings_of: [Option<Vec<(usize, usize, String)>>; codepage::N_PAGES] =
        Default::default();
    let page_reading = |ci: usize| -> Vec<(usize, usize, String)> {
        let page = pages.get(ci).and_then(|p| p.as_ref());
        spans
            .get(ci)
            .map(|sp| {
                sp.iter()
                    .filter_map(|&k| {
                        let c = page?.clusters.get(k)?;
                        Some((c.start, c.end, reading(ci, k)?))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut beats = [[0i32; codepage::N_PAGES]; codepage::N_PAGES];
    for group in runs.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        if group.len() < 2 || readings_agree(pages, group) {
            continue;
        }
        let readings: Vec<(usize, String)> = group
            .iter()
            .filter_map(|&(_, _, ci, k)| Some((ci, reading(ci, k)?)))
            .collect();
        if readings.windows(2).all(|w| w[0].1 == w[1].1) {
            continue;
        }
        let (start, end) = (group[0].0, group[0].1);
        let fits: Vec<(usize, u8)> = readings
            .iter()
            .map(|(ci, r)| {
                let own = readings_of
                    .get_mut(*ci)
                    .map(|slot| slot.get_or_insert_with(|| page_reading(*ci)).as_slice());
                (*ci, word_fit(chars, start, end, r, own.unwrap_or(&[])))
            })
            .collect();
        for &(p, fp) in &fits {
            for &(q, fq) in &fits {
                if fp > fq {
                    if let Some(x) = beats.get_mut(p).and_then(|row| row.get_mut(q)) {
                        *x += 1;
                    }
                    if let Some(x) = beats.get_mut(q).and_then(|row| row.get_mut(p)) {
                        *x -= 1;
                    }
                }
            }
        }
    }
    beats
}

/// The text tokens read as, if every one of them reads whole. Sized up front: readings are
/// built for runs by the thousand, and collecting `Option<char>`s grows a string char by char.
fn whole_reading(toks: &[Token]) -> Option<String> {
    let mut s = String::with_capacity(toks.len() * 4);
    for t in toks {
        s.push(t.fixed?);
    }
    Some(s)
}

/// Whether the runs of one span (start, end, page, cluster) that read whole all read alike.
/// Most spans are read alike by several pages, so this is checked on the tokens before any
/// reading is built.
fn readings_agree(
    pages: &[Option<PageScan>; codepage::N_PAGES],
    group: &[(usize, usize, usize, usize)],
) -> bool {
    let whole = group.iter().filter_map(|&(_, _, ci, k)| {
        let page = pages.get(ci)?.as_ref()?;
        let c = page.clusters.get(k)?;
        let toks = page.tokens.get(c.tok_lo..c.tok_hi)?;
        toks.iter().all(|t| t.fixed.is_some()).then_some(toks)
    });
    let mut first: Option<&[Token]> = None;
    for toks in whole {
        match first {
            None => first = Some(toks),
            Some(f) => {
                let same =
                    f.len() == toks.len() && f.iter().zip(toks).all(|(a, b)| a.fixed == b.fixed);
                if !same {
                    return false;
                }
            }
        }
    }
    true
}

/// How well `result` fits in place of `chars[start..end]` within its word, the page's other runs
/// in that word (`others`: start, end and reading, in text order) read too:
/// 0 when the word turns from lower to upper case inside, 2 when it is a
/// known word, 1 otherwise. Han, kana and Hangul have neither case nor
/// words in the lexicon (whose false positives would decide): always 1.
fn word_fit(
    chars: &[char],
    start: usize,
    end: usize,
    result: &str,
    others: &[(usize, usize, String)],
) -> u8 {
    let syllabic = |c: char| {
        plausible::script(c)
            .is_some_and(|s| matches!(s, plausible::Script::HanKana | plausible::Script::Hangul))
    };
    if result.chars().any(syllabic) {
        return 1;
    }
    let word = word_around(chars, start, end, result, |side, pos| {
        run_in(others, side, pos)
    });
    if lower_then_upper(word.chars()) {
        0
    } else if word.chars().all(plausible::is_letter) && lexicon::known(&word) {
        2
    } else {
        1
    }
}

/// Which side of a position a run lies on, for `word_around`'s lookups.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    /// The run ends at the position (it lies to its left).
    Ending,
    /// The run starts at the position.
    Starting,
}

/// A run that ends or starts at `pos` among `runs` (start, end, reading; disjoint, in text
/// order): its other edge and its reading.
fn run_in(
    runs: &[(usize, usize, String)],
    side: Side,
    pos: usize,
) -> Option<(usize, Cow<'_, str>)> {
    match side {
        Side::Ending => {
            let r = runs.get(runs.partition_point(|r| r.1 < pos))?;
            (r.1 == pos && r.0 < pos).then_some((r.0, Cow::Borrowed(r.2.as_str())))
        }
        Side::Starting => {
            let r = runs.get(runs.partition_point(|r| r.0 < pos))?;
            (r.0 == pos).then_some((r.1, Cow::Borrowed(r.2.as_str())))
        }
    }
}

/// The same among a page's runs read whole, other than `cl`: the reading is built only for a run
/// the word reaches, which is rare (judging asks for every run of every page).
fn page_run<'p>(
    page: &'p PageScan,
    cl: &Cluster,
    side: Side,
    pos: usize,
) -> Option<(usize, Cow<'p, str>)> {
    let c = match side {
        Side::Ending => page
            .clusters
            .get(page.clusters.partition_point(|c| c.end < pos))
            .filter(|c| c.end == pos && c.start < pos)?,
        Side::Starting => page
            .clusters
            .get(page.clusters.partition_point(|c| c.start < pos))
            .filter(|c| c.start == pos)?,
    };
    if c.start == cl.start {
        return None;
    }
    let reading = whole_reading(page.tokens.get(c.tok_lo..c.tok_hi)?);
    let other_edge = if side == Side::Ending { c.start } else { c.end };
    Some((other_edge, Cow::Owned(reading?)))
}

/// The word `result` lands in when it replaces `chars[start..end]`: the letters on either side,
/// and the runs that touch it (`run_at`: the run ending or starting at a position, its other edge
/// and reading) read as their page reads them. At most 64 characters each side.
fn word_around<'r>(
    chars: &[char],
    start: usize,
    end: usize,
    result: &str,
    run_at: impl Fn(Side, usize) -> Option<(usize, Cow<'r, str>)>,
) -> String {
    const REACH: usize = 64;
    let letter = |k: usize| chars.get(k).is_some_and(|&c| plausible::is_letter(c));
    // What stands left of `start`, innermost first: a letter, or a run's reading.
    let mut left: Vec<Result<char, Cow<'r, str>>> = Vec::new();
    let mut pos = start;
    while start - pos < REACH {
        if let Some((s, reading)) = run_at(Side::Ending, pos) {
            left.push(Err(reading));
            pos = s;
        } else if pos > 0 && letter(pos - 1) {
            left.extend(chars.get(pos - 1).copied().map(Ok));
            pos -= 1;
        } else {
            break;
        }
    }
    let mut word = String::new();
    for piece in left.iter().rev() {
        match piece {
            Ok(c) => word.push(*c),
            Err(reading) => word.push_str(reading),
        }
    }
    word.push_str(result);
    let mut pos = end;
    while pos - end < REACH {
        if let Some((e, reading)) = run_at(Side::Starting, pos) {
            word.push_str(&reading);
            pos = e;
        } else if letter(pos) {
            word.extend(chars.get(pos));
            pos += 1;
        } else {
            break;
        }
    }
    word
}

/// Whether `page` (index `ci`) has a strong run, accepted on its own
/// evidence (`own`), that no page before it in `CodePage::ALL` reads as
/// mojibake at all (`ranges`: their accepted runs, in text order): a run
/// that only this page explains.
fn has_own_run(
    page: &PageScan,
    ranges: &[Vec<(usize, usize, f32)>; codepage::N_PAGES],
    ci: usize,
    own: impl Fn(usize, &Cluster) -> bool,
) -> bool {
    let earlier = CodePage::ALL
        .iter()
        .take_while(|cp| cp.index() != ci)
        .filter_map(|cp| ranges.get(cp.index()));
    let earlier: Vec<&Vec<(usize, usize, f32)>> = earlier.collect();
    page.clusters.iter().enumerate().any(|(k, c)| {
        c.score >= 1.0
            && own(k, c)
            && earlier.iter().all(|r| {
                let i = r.partition_point(|x| x.1 <= c.start);
                r.get(i).is_none_or(|x| x.0 >= c.end)
            })
    })
}

/// The order in which `take_greedily` considers the clusters: by key, except
/// that a cluster that an accepted run of another code page explains better
/// (`explains_better`) comes after every cluster that no run does.
fn defer_to_better_runs(
    all: Vec<u128>,
    pages: &[Option<PageScan>; codepage::N_PAGES],
    spans: &[Vec<usize>; codepage::N_PAGES],
) -> Vec<u128> {
    let deferred = explained_better(pages, spans);
    // Two sorts of plain keys, not one of (deferred, key) pairs: this sort is on every repair's
    // path and compares a quarter as many bytes.
    let (mut order, mut later): (Vec<u128>, Vec<u128>) = all.into_iter().partition(|&key| {
        let ci = ((key >> 56) & 0xFF) as usize;
        let k = (key & ((1 << 56) - 1)) as usize;
        !deferred.get(ci).and_then(|d| d.get(k)).is_some_and(|&d| d)
    });
    order.sort_unstable();
    later.sort_unstable();
    order.append(&mut later);
    order
}

/// Per page, by cluster index, whether an accepted run of another page explains the accepted
/// cluster better. Runs of one page are disjoint and `spans` lists them in text order, so only
/// the last run of another page that starts at or before a cluster can contain it; walking each
/// page's runs in order, a cursor per other page finds that run without a search (this was a
/// tenth of repair's time on the damaged seeds as a binary search per page and cluster).
fn explained_better(
    pages: &[Option<PageScan>; codepage::N_PAGES],
    spans: &[Vec<usize>; codepage::N_PAGES],
) -> [Vec<bool>; codepage::N_PAGES] {
    let cluster = |ci: usize, k: usize| {
        let page = pages.get(ci).and_then(|p| p.as_ref())?;
        Some((page, page.clusters.get(k)?))
    };
    let mut deferred: [Vec<bool>; codepage::N_PAGES] = Default::default();
    for (ci, sp) in spans.iter().enumerate() {
        let (Some(Some(page)), Some(flags)) = (pages.get(ci), deferred.get_mut(ci)) else {
            continue;
        };
        flags.resize(page.clusters.len(), false);
        let mut cursor = [0usize; codepage::N_PAGES];
        for &k in sp {
            let Some(x) = cluster(ci, k) else { continue };
            let mut better = |cj: usize, other: &Vec<usize>| {
                let Some(at) = cursor.get_mut(cj) else {
                    return false;
                };
                let starts_by = |i: usize| {
                    other
                        .get(i)
                        .and_then(|&j| cluster(cj, j))
                        .is_some_and(|(_, y)| y.start <= x.1.start)
                };
                while starts_by(*at + 1) {
                    *at += 1;
                }
                starts_by(*at)
                    && other
                        .get(*at)
                        .and_then(|&j| cluster(cj, j))
                        .is_some_and(|y| explains_better(y, x))
            };
            let d = spans
                .iter()
                .enumerate()
                .any(|(cj, other)| cj != ci && better(cj, other));
            if let Some(f) = flags.get_mut(k) {
                *f = d;
            }
        }
    }
    deferred
}

/// Whether run `y` (its page's tokens and the cluster) covers all of run
/// `x` of another page and explains it better. Both readings call those
/// characters mojibake, so `y` is better when
/// - it is longer and `x` cuts through one of its complete sequences: `y`
///   reads the cut characters as one whole character and explains the
///   neighbours too, where `x` starts or ends mid-sequence and would leave
///   the rest of `y` unrepaired (a Mac Roman `”ì–´` → `ӓЫ` taking the tail
///   of windows-1254 `ë””` in `ë””ì–´` → `디어`). A cut through a sequence
///   `y` reads as lossy proves nothing: a page that drops bytes reads the
///   mojibake of another page as lossy runs almost anywhere;
/// - or it reads all of `x`'s characters as complete sequences where `x`
///   needs lost bytes (windows-1254 `Êó•„Åå` as five lossy sequences, Mac
///   Roman as `日が`).
fn explains_better(y: (&PageScan, &Cluster), x: (&PageScan, &Cluster)) -> bool {
    let ((yp, y), (xp, x)) = (y, x);
    if y.start > x.start || y.end < x.end {
        return false;
    }
    let y_toks = yp.tokens.get(y.tok_lo..y.tok_hi).unwrap_or(&[]);
    // Tokens are in text order and disjoint: those overlapping `x` are a
    // contiguous stretch, found by binary search (a run can hold thousands).
    let lo = y_toks.partition_point(|t| t.end <= x.start);
    let hi = y_toks.partition_point(|t| t.start < x.end);
    let over = y_toks.get(lo..hi.max(lo)).unwrap_or(&[]);
    let inside = |i: usize, t: &Token| t.start < i && i < t.end;
    let cuts_whole = over
        .iter()
        .any(|t| t.fixed.is_some() && (inside(x.start, t) || inside(x.end, t)));
    if y.end - y.start > x.end - x.start && cuts_whole {
        return true;
    }
    let x_lossy = xp
        .tokens
        .get(x.tok_lo..x.tok_hi)
        .unwrap_or(&[])
        .iter()
        .any(Token::lossy);
    x_lossy && over.iter().all(|t| t.fixed.is_some())
}

/// Take clusters in the order given, each unless it overlaps one taken
/// before; returns the (start, page, index) of those taken, and which
/// characters they cover.
fn take_greedily(
    n: usize,
    pages: &[Option<PageScan>; codepage::N_PAGES],
    order: Vec<u128>,
) -> (Vec<(usize, usize, usize)>, Vec<bool>) {
    let mut taken = vec![false; n];
    let mut chosen: Vec<(usize, usize, usize)> = Vec::new();
    for key in order {
        let ci = ((key >> 56) & 0xFF) as usize;
        let k = (key & ((1 << 56) - 1)) as usize;
        let Some(page) = pages.get(ci).and_then(|p| p.as_ref()) else {
            continue;
        };
        let Some(cl) = page.clusters.get(k) else {
            continue;
        };
        if let Some(span) = taken.get_mut(cl.start..cl.end) {
            if span.iter().all(|t| !t) {
                span.fill(true);
                chosen.push((cl.start, ci, k));
            }
        }
    }
    (chosen, taken)
}

/// What the result of a cluster says about accepting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// Breaks a word or its own script, or turns a known word into an
    /// unknown one.
    Reject,
    /// As detection decides, with the document's help.
    Detection,
    /// Only on the cluster's own evidence (CJK glued onto a word).
    OwnEvidence,
    /// Not judged: inside a longer, better-scored run of another page (see
    /// `select_clusters`); not accepted.
    Outscored,
    /// Reads as a word of its neighbours' script (`reads_as_a_word`): not accepted, unless it is
    /// one sequence that the page's accepted runs in the same document hold
    /// (`admit_letters_beside_runs`).
    PlainWord,
    /// Turns an unknown word into a known one: credible even on weak
    /// evidence.
    KnownWord,
    /// A letter standing alone: the shortest run, which needs source
    /// characters that are clearly not writing (`weird`) or a document that
    /// shows mojibake elsewhere. `unit`: the source reads as a unit with an exponent after a
    /// number, which the document's mojibake does not vouch for (see `judge_word`).
    LoneLetter { weird: u8, unit: bool },
    /// One character read from symbols only, standing alone (`symbols_to_a_stranger`): only a
    /// document that shows the page's mojibake elsewhere
    /// admits it.
    NeedsDocument,
}

/// Judge what a cluster would become: how its result meets the letters
/// around it, whether its letters keep one script, and whether the word it
/// lands in is a word.
fn judge_result(chars: &[char], page: &PageScan, k: usize, probe: &mut Candidates) -> Verdict {
    let Some(cl) = page.clusters.get(k) else {
        return Verdict::Reject;
    };
    let toks = page.tokens.get(cl.tok_lo..cl.tok_hi).unwrap_or(&[]);
    // A pair that is itself mojibake under the same page is the inner
    // layer of double encoding (windows-1253's `Οƒ` of `σ`): its scripts
    // need not fit.
    let t = cl.cp.table();
    let layered = |a: char, b: char| {
        t.encode(a).is_some_and(|x| (0xC2..=0xF4).contains(&x))
            && t.encode(b).is_some_and(|x| (0x80..0xC0).contains(&x))
    };
    // Whether token `i`'s char belongs to such a pair.
    let in_layer = |i: usize| {
        let fixed = |j: usize| toks.get(j).and_then(|t| t.fixed);
        let pair =
            |j: usize| matches!((fixed(j), fixed(j + 1)), (Some(a), Some(b)) if layered(a, b));
        pair(i) || i.checked_sub(1).is_some_and(pair)
    };
    let fixed_pairs_fit =
        toks.windows(2)
            .enumerate()
            .all(|(i, w)| match (w[0].fixed, w[1].fixed) {
                (Some(a), Some(b)) => {
                    plausible::adjacent_fit(a, b) || in_layer(i) || in_layer(i + 1)
                }
                _ => true,
            });
    if !fixed_pairs_fit {
        return Verdict::Reject;
    }
    if symbols_to_a_stranger(chars, cl, toks) {
        return Verdict::NeedsDocument;
    }
    if reads_as_a_word(chars, cl, toks, probe) {
        return Verdict::PlainWord;
    }
    let (left, right) = plausible::neighbours(chars, cl.start, cl.end);
    if let Some((a, b)) = inner_layer_ends(toks, cl.cp) {
        let left = left.filter(|_| !ohms_after_a_prefix(chars, cl.start, Some(a)));
        return match plausible::verdict(plausible::edge(left, a), plausible::edge(right, b)) {
            None => Verdict::Reject,
            Some(true) => Verdict::OwnEvidence,
            Some(false) => Verdict::Detection,
        };
    }
    let first_fixed = toks.first().and_then(|t| t.fixed);
    let left = left.filter(|_| !ohms_after_a_prefix(chars, cl.start, first_fixed));
    // Without a neighbour an edge fits whatever the options are: list them
    // (the costly part of judging) only when an answer depends on them.
    let first = toks.first();
    if left.is_none() && first.is_some_and(Token::may_be_only_marks) {
        let lone_mark = with_options(first, cl.cp, probe, |first| {
            !first.is_empty() && first.iter().all(|&c| plausible::combining(c))
        });
        if lone_mark {
            return Verdict::Reject;
        }
    }
    let left_edge = edge_beside(left, first, cl.cp, probe);
    let right_edge = edge_beside(right, toks.last(), cl.cp, probe);
    let edges = plausible::verdict(left_edge, right_edge);
    match edges {
        None => Verdict::Reject,
        Some(true) => Verdict::OwnEvidence,
        Some(false) => judge_word(chars, page, cl, toks, left.is_some() || right.is_some()),
    }
}

/// Whether the cluster is one character read from symbols only, standing alone (no letter on
/// either side), that is a letter of another script than Latin or a math operator read from
/// math operators: IBM437's `∞┐║` → `쿺`, Mac Roman's `√∑` → `÷`. Clean math and box
/// drawing read that way as often as mojibake does (both turned up in the property test of
/// clean text). Latin results are left to the lone-letter rules (`√©` is `é` in `caf√©`).
fn symbols_to_a_stranger(chars: &[char], cl: &Cluster, toks: &[Token]) -> bool {
    let [tok] = toks else {
        return false;
    };
    let Some(result) = tok.fixed else {
        return false;
    };
    let source = chars.get(cl.start..cl.end).unwrap_or(&[]);
    if source.iter().any(|&c| plausible::is_letter(c)) {
        return false;
    }
    // Glued to a letter, it is part of a word, and the word rules judge it (`k╬⌐` is `kΩ`,
    // `10 ┬╡F` is `10 µF`).
    let alone = plausible::neighbours(chars, cl.start, cl.end) == (None, None);
    alone
        && match plausible::script(result) {
            // A price keeps its reading (`¬£175` is `£175`); a math operator read from math
            // operators says nothing.
            None => is_math_operator(result) && source.iter().all(|&c| is_math_operator(c)),
            Some(plausible::Script::Latin) => false,
            Some(_) => true,
        }
}

fn is_math_operator(c: char) -> bool {
    matches!(c, '\u{2200}'..='\u{22FF}' | '¬' | '±' | '×' | '÷' | '⁄')
}

/// The first and last characters of what the cluster's result decodes to when the result is
/// itself mojibake of the same page, whole: the inner layer of double encoding, which is what
/// meets the letters around it once both layers are peeled (windows-1251's `canРІР‚в„ўt` is
/// `canвЂ™t` after one, where Cyrillic breaks the word, and `can’t` after two).
fn inner_layer_ends(toks: &[Token], cp: CodePage) -> Option<(char, char)> {
    let t = cp.table();
    let mut bytes = [0u8; 16];
    let mut n = 0;
    for c in toks.iter().map(|tok| tok.fixed) {
        let b = t.encode(c?)?;
        *bytes.get_mut(n)? = b;
        n += 1;
    }
    let inner = std::str::from_utf8(bytes.get(..n)?).ok()?;
    if inner.is_ascii() {
        return None;
    }
    Some((inner.chars().next()?, inner.chars().next_back()?))
}

/// Whether the cluster reads as `Ω` after a metric prefix standing alone (`4.7 kΩ`): a unit,
/// where a Greek letter meets a Latin one.
fn ohms_after_a_prefix(chars: &[char], start: usize, first: Option<char>) -> bool {
    let prefix = start.checked_sub(1).and_then(|k| chars.get(k));
    let before = start.checked_sub(2).and_then(|k| chars.get(k));
    first == Some('Ω')
        && prefix.is_some_and(|c| "pnµμmkMGT".contains(*c))
        && !before.is_some_and(|&c| plausible::is_letter(c))
}

/// Whether the cluster's source reads as (part of) a word of one script
/// that the repair would turn into something else. Mojibake nearly always
/// shows symbols among its letters, or letters of a script foreign to the
/// word around it (`mГЎs`); a run of plain letters in the script of its
/// neighbours is a word, and only a repair into that same script may touch
/// it (`ÄŒ` → `Č`).
fn reads_as_a_word(chars: &[char], cl: &Cluster, toks: &[Token], probe: &mut Candidates) -> bool {
    let src = chars.get(cl.start..cl.end).unwrap_or(&[]);
    let Some(x) = src.first().and_then(|&c| plausible::script(c)) else {
        return false;
    };
    let same = |c: char| plausible::script(c) == Some(x);
    let (left, right) = plausible::neighbours(chars, cl.start, cl.end);
    let in_script = src.iter().all(|&c| plausible::is_letter(c) && same(c))
        && left.is_none_or(same)
        && right.is_none_or(same);
    // Words do not turn from lower to upper case inside (`ğŸ` is an emoji), nor from two
    // capitals to lower case (IBM850's `ÔÇö` is a dash).
    let word = || left.into_iter().chain(src.iter().copied()).chain(right);
    let cased = !lower_then_upper(word()) && !capitals_then_lower(word());
    // Nor does a Latin "word" of accented vowels only that reads as the symbols of
    // U+2000..U+2BFF — punctuation, arrows, math, box drawing (IBM850's `Ôöé` is `│`, `Ôëê` is
    // `≈`). Words of accented consonants (`Řľčśż`), and vowels that would read as another
    // script's letters or marks (`øÿüÿà` as Arabic letters, `ÿåÿü` as Arabic `،؟`), stay words:
    // the property test draws them.
    let to_symbols = toks.iter().all(|t| {
        t.fixed
            .is_some_and(|c| matches!(c, '\u{2000}'..='\u{2BFF}'))
    });
    let plain = x != plausible::Script::Latin
        || word().take(3).count() < 3
        || !word().all(accented_vowel)
        || !to_symbols;
    in_script
        && cased
        && plain
        && toks
            .iter()
            .any(|t| with_options(Some(t), cl.cp, probe, |opts| opts.iter().any(|&c| !same(c))))
}

/// Whether `c` is a vowel with a diacritic, of Latin-1 or Latin Extended-A.
fn accented_vowel(c: char) -> bool {
    const VOWELS: &str = "àáâãäåæèéêëìíîïòóôõöøùúûüýÿāăąēĕėęěĩīĭįıōŏőœũūŭůűųŷ";
    c.to_lowercase().all(|l| VOWELS.contains(l))
}

/// Whether two uppercase letters are followed by a lowercase one: words are written in lower
/// case, capitalised or in capitals, and the plurals of abbreviations (`PDFs`) are ASCII, which
/// mojibake never is.
fn capitals_then_lower(chars: impl Iterator<Item = char>) -> bool {
    let mut capitals = 0;
    for c in chars {
        if c.is_lowercase() && capitals >= 2 {
            return true;
        }
        capitals = if c.is_uppercase() { capitals + 1 } else { 0 };
    }
    false
}

/// Whether a lowercase letter is followed by an uppercase one: words do not
/// do that (`akÅŸam`, `ğŸ` do).
fn lower_then_upper(chars: impl Iterator<Item = char>) -> bool {
    let mut prev_lower = false;
    for c in chars {
        if prev_lower && c.is_uppercase() {
            return true;
        }
        prev_lower = c.is_lowercase();
    }
    false
}

/// The word-level part of `judge_result` for a cluster whose edges fit.
fn judge_word(
    chars: &[char],
    page: &PageScan,
    cl: &Cluster,
    toks: &[Token],
    glued: bool,
) -> Verdict {
    let fixed = whole_reading(toks);
    let Some(result) = fixed else {
        return Verdict::Detection;
    };
    let alphabetic = |c: char| {
        plausible::script(c)
            .is_some_and(|s| !matches!(s, plausible::Script::HanKana | plausible::Script::Hangul))
    };
    if !result.chars().any(alphabetic) {
        return Verdict::Detection;
    }
    let is_letter = |c: &&char| plausible::is_letter(**c);
    let before: String = {
        let mut v: Vec<char> = chars[..cl.start]
            .iter()
            .rev()
            .take_while(is_letter)
            .copied()
            .collect();
        v.reverse();
        v.into_iter().collect()
    };
    let after: String = chars[cl.end..].iter().take_while(is_letter).collect();
    let src: String = chars[cl.start..cl.end].iter().collect();
    let src_word = format!("{before}{src}{after}");
    // The word as the page reads it: its other runs in the word read too (`kĂśdĂśs` is the known
    // `ködös` only with both runs read).
    let res_word = word_around(chars, cl.start, cl.end, &result, |side, pos| {
        page_run(page, cl, side, pos)
    });
    let res_letters = res_word
        .chars()
        .filter(|&c| plausible::is_letter(c))
        .count();
    let src_is_word = src_word.chars().all(plausible::is_letter);
    let src_known = src_is_word && lexicon::known(&src_word);
    let res_known = res_word.chars().all(plausible::is_letter) && lexicon::known(&res_word);
    if src_known && !res_known {
        return Verdict::Reject;
    }
    if res_letters == 1 && !glued {
        let weird = toks.iter().map(|t| t.weird).max().unwrap_or(0);
        // A number, then a letter with an exponent, is a measurement (`TPSA: 112 Å²`, clean,
        // reads `112 Ų` through windows-1252): writing, whatever mojibake the text shows
        // elsewhere.
        let unit = unit_after_number(chars, cl.start, chars.get(cl.start..cl.end).unwrap_or(&[]));
        return Verdict::LoneLetter { weird, unit };
    }
    // A lexicon false positive (one lookup in 200) must not lower the bar
    // for a source that reads as plain writing: letters only, cased as
    // words are.
    let src_plain = src_is_word
        && !lower_then_upper(src_word.chars())
        && !capitals_then_lower(src_word.chars());
    if res_known && !src_known && !src_plain && res_letters >= 2 {
        return Verdict::KnownWord;
    }
    Verdict::Detection
}

/// Whether `source`, at `start`, is a letter with superscript digits after a number and at most
/// one space: how units with an exponent are written (`112 Å²`, `5 m³`).
fn unit_after_number(chars: &[char], start: usize, source: &[char]) -> bool {
    let superscript = |c: &char| matches!(c, '¹' | '²' | '³' | '\u{2070}'..='\u{2079}');
    let shaped = match source {
        [letter, exponent @ ..] => {
            plausible::is_letter(*letter)
                && !exponent.is_empty()
                && exponent.iter().all(superscript)
        }
        [] => false,
    };
    let mut before = chars.get(..start).unwrap_or(&[]).iter().rev();
    let after_number = match before.next() {
        Some(' ' | '\u{A0}') => before.next().is_some_and(char::is_ascii_digit),
        Some(c) => c.is_ascii_digit(),
        None => false,
    };
    shaped && after_number
}

/// How a token's kindest option meets the letter `n` beside it
/// (`plausible::best_edge`), from the scripts of its option list.
fn edge_beside(
    n: Option<char>,
    t: Option<&Token>,
    cp: CodePage,
    probe: &mut Candidates,
) -> plausible::Edge {
    if n.and_then(plausible::script).is_none() {
        return plausible::Edge::Fits;
    }
    match t {
        Some(Token { fixed: Some(c), .. }) => plausible::edge(n, *c),
        Some(t) => {
            let e = probe.fill(t, cp, PROBE_VERSION);
            let mask = probe.script_mask(e);
            let (lo, len) = probe.entries.get(e as usize).copied().unwrap_or((0, 0));
            let opts = probe
                .pool
                .get(lo as usize..(lo + len) as usize)
                .unwrap_or(&[]);
            plausible::best_edge_masked(n, mask, opts)
        }
        None => plausible::best_edge(n, &[]),
    }
}

/// `f` of the characters a token may become: its decoded char, or its
/// completions (unpruned), borrowed rather than copied, since the judge asks
/// for them for every cluster on every page.
fn with_options<R>(
    t: Option<&Token>,
    cp: CodePage,
    probe: &mut Candidates,
    f: impl FnOnce(&[char]) -> R,
) -> R {
    match t {
        Some(Token { fixed: Some(c), .. }) => f(std::slice::from_ref(c)),
        Some(t) => {
            let e = probe.fill(t, cp, PROBE_VERSION) as usize;
            let (lo, len) = probe.entries.get(e).copied().unwrap_or((0, 0));
            f(probe
                .pool
                .get(lo as usize..(lo + len) as usize)
                .unwrap_or(&[]))
        }
        None => f(&[]),
    }
}

/// Narrow the completions of a cluster's edge tokens to those that do not
/// break the word beside them: detection admitted the cluster because some
/// did not, and the language model must not pick one that does.
fn plausible_edge_options(
    chars: &[char],
    cl: &Cluster,
    tokens: &mut [Token],
    pool: &mut Vec<char>,
) {
    let (left, right) = plausible::neighbours(chars, cl.start, cl.end);
    let edges = [(cl.tok_lo, left), (cl.tok_hi.wrapping_sub(1), right)];
    for (k, n) in edges {
        let Some(t) = tokens
            .get_mut(k)
            .filter(|t| t.fixed.is_none() && n.is_some())
        else {
            continue;
        };
        let opts = t.options(pool);
        let fits = |c: &&char| plausible::edge(n, **c) != plausible::Edge::Breaks;
        let kept = opts.iter().filter(fits).count();
        if kept == 0 || kept == opts.len() {
            continue;
        }
        let narrowed: Vec<char> = opts.iter().filter(fits).copied().collect();
        t.opt_lo = pool.len() as u32;
        t.opt_len = narrowed.len() as u32;
        pool.extend(narrowed);
    }
}

/// The corpus-statistics version under which `judge_result` enumerates and
/// caches completions: never a real one, so its unpruned lists never mix
/// with the pruned lists of a model.
const PROBE_VERSION: u64 = u64::MAX;

/// Maps an f32 to a u32 whose ascending order is the float's descending
/// `total_cmp` order.
fn desc_key(f: f32) -> u32 {
    let b = f.to_bits();
    let asc = if b >> 31 == 1 { !b } else { b | 0x8000_0000 };
    !asc
}

/// `?` stands for an undefined byte only when the text shows that pattern:
/// sequences cut short are followed by `?` far more often than not.
fn question_marks_are_wildcards(
    chars: &[char],
    scan: &detect::Scan,
    pages: &mut [Option<PageScan>; codepage::N_PAGES],
) -> bool {
    let after_non_ascii = chars.windows(2).any(|w| w[1] == '?' && !w[0].is_ascii());
    if !after_non_ascii {
        return false;
    }
    let mut followed = 0usize;
    let mut not_followed = 0usize;
    for cp in [
        CodePage::Windows1254,
        CodePage::Windows1250,
        CodePage::Windows1251,
    ] {
        let Some(slot) = pages.get_mut(cp.index()) else {
            continue;
        };
        let page = slot.get_or_insert_with(|| PageScan::new(chars, scan, cp, false));
        for cl in &page.clusters {
            for t in page.tokens.get(cl.tok_lo..cl.tok_hi).unwrap_or(&[]) {
                if t.missing == 0 {
                    continue;
                }
                if chars.get(t.end) == Some(&'?') {
                    followed += 1;
                } else if t.conts > 0 && cl.score >= 1.0 {
                    not_followed += 1;
                }
            }
        }
    }
    followed > 0 && followed > 2 * not_followed
}
