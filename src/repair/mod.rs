//! Mojibake repair: detects runs of text that went through a single-byte
//! code page (possibly twice, possibly losing undefined bytes), restores
//! them, and chooses among completions of lost bytes with a word-lattice
//! language model. Every guess is reported; the caller keeps the original.

mod codepage;
mod damage;
mod detect;
mod dict;
mod lm;
mod report;
mod score;
#[cfg(test)]
mod tests;

pub use codepage::CodePage;
pub use damage::{
    damage, evaluate, evaluate_with, DamageModel, EvalReport, ModelEval, UndefinedState,
};
pub use detect::looks_damaged;
pub use dict::{dict_load_time, preload_dict};
pub use lm::CorpusStats;
pub use report::{explain, FileReport, LOW_CONFIDENCE};
pub use score::{score_output, Score};

use detect::{Cluster, Token};
use lm::{is_han, Scorer, Slot};
use serde::Serialize;

/// One candidate for a guessed character.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Alternative {
    pub text: String,
    pub probability: f64,
}

/// A character restored from a sequence that lost bytes: what was chosen,
/// what else it could have been, and how sure the model is.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Guess {
    /// Code-point offsets into `Repaired.text`.
    pub start: usize,
    pub end: usize,
    pub chosen: String,
    /// Runners-up, most probable first.
    pub alternatives: Vec<Alternative>,
    /// Posterior probability of `chosen`.
    pub confidence: f64,
    /// The damaged text this replaced.
    pub original: String,
    pub code_page: CodePage,
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

const MAX_PASSES: u8 = 3;

impl Repairer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Learn character and pair statistics from the corpus's own undamaged
    /// text (its emoji, punctuation, names). Pass only clean text.
    pub fn observe_clean(&mut self, text: &str) {
        self.corpus.observe(text);
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
        let mut result = Repaired::unchanged(text);
        let mut current = text.to_string();
        for pass in 1..=MAX_PASSES {
            let Some(p) = self.pass(&current, pass) else {
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
            current = p.text;
            if !looks_damaged(&current) {
                break;
            }
        }
        result.changed = current != text;
        result.text = current;
        result.runs.sort_by_key(|r| (r.start, r.pass));
        result.guesses.sort_by_key(|g| g.start);
        result
    }

    fn pass(&self, text: &str, pass: u8) -> Option<PassResult> {
        let chars: Vec<char> = text.chars().collect();
        let mut selected = select_clusters(&chars);
        if selected.is_empty() {
            return None;
        }
        for cl in &mut selected {
            let cp = cl.cp;
            for t in &mut cl.tokens {
                detect::fill_candidates(t, cp);
            }
        }
        let needs_lm = selected
            .iter()
            .any(|c| c.tokens.iter().any(|t| t.options().len() > 1));
        let scorer = needs_lm.then(|| Scorer {
            dict: dict::dict(),
            corpus: &self.corpus,
        });
        if let Some(sc) = &scorer {
            for cl in &mut selected {
                for t in &mut cl.tokens {
                    if t.cands.len() > 2 {
                        sc.prune(&mut t.cands);
                    }
                }
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut map: Vec<usize> = Vec::with_capacity(chars.len() + 1);
        let mut out_len = 0usize;
        let mut runs = Vec::new();
        let mut guesses = Vec::new();
        let mut bytes_restored = 0;
        let mut chars_replaced = 0;
        let mut i = 0usize;
        for cl in &selected {
            while i < cl.start {
                out.push(chars[i]);
                map.push(out_len);
                out_len += 1;
                i += 1;
            }
            let choices = choose(&chars, cl, scorer.as_ref());
            let run_start = out_len;
            let run_start_byte = out.len();
            let mut run_bytes = 0;
            let mut run_guesses = 0;
            for (tok, choice) in cl.tokens.iter().zip(&choices) {
                let Some(ch) = tok.options().get(choice.chosen).copied() else {
                    // No credible completion: keep the source as it was.
                    for &c in &chars[tok.start..tok.end] {
                        out.push(c);
                        map.push(out_len);
                        out_len += 1;
                    }
                    continue;
                };
                for _ in tok.start..tok.end {
                    map.push(out_len);
                }
                out.push(ch);
                if tok.lossy() {
                    let lost = usize::from(tok.missing) + usize::from(tok.wild);
                    run_bytes += lost;
                    run_guesses += 1;
                    guesses.push(make_guess(&chars, tok, choice, out_len, cl.cp));
                }
                out_len += 1;
                chars_replaced += tok.end - tok.start;
            }
            i = cl.end;
            bytes_restored += run_bytes;
            runs.push(RunReport {
                start: run_start,
                end: out_len,
                original: chars[cl.start..cl.end].iter().collect(),
                repaired: out.get(run_start_byte..).unwrap_or_default().to_string(),
                code_page: cl.cp,
                pass,
                bytes_restored: run_bytes,
                guesses: run_guesses,
            });
        }
        while i < chars.len() {
            out.push(chars[i]);
            map.push(out_len);
            out_len += 1;
            i += 1;
        }
        map.push(out_len);
        if out == text {
            return None;
        }
        Some(PassResult {
            text: out,
            map,
            out_len,
            runs,
            guesses,
            bytes_restored,
            chars_replaced,
        })
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

struct Choice {
    chosen: usize,
    posterior: Vec<f32>,
}

/// Pick a character for every token of a cluster, jointly.
fn choose(chars: &[char], cl: &Cluster, scorer: Option<&Scorer>) -> Vec<Choice> {
    let Some(scorer) = scorer.filter(|_| cl.tokens.iter().any(|t| t.options().len() > 1)) else {
        return cl
            .tokens
            .iter()
            .map(|_| Choice {
                chosen: 0,
                posterior: vec![1.0],
            })
            .collect();
    };
    // Undamaged Han characters around the run are context for words that
    // straddle its edge.
    const CONTEXT: usize = 4;
    let left_ctx: Vec<char> = chars[..cl.start]
        .iter()
        .rev()
        .take(CONTEXT)
        .take_while(|c| is_han(**c))
        .copied()
        .collect();
    let right_ctx: Vec<char> = chars[cl.end..]
        .iter()
        .take(CONTEXT)
        .take_while(|c| is_han(**c))
        .copied()
        .collect();
    let left_ctx: Vec<char> = left_ctx.into_iter().rev().collect();
    let stand_ins: Vec<char> = cl
        .tokens
        .iter()
        .map(|t| chars.get(t.start).copied().unwrap_or(' '))
        .collect();
    let mut slots: Vec<Slot> =
        Vec::with_capacity(cl.tokens.len() + left_ctx.len() + right_ctx.len());
    for c in left_ctx.chunks(1) {
        slots.push(Slot { cands: c });
    }
    for (t, stand_in) in cl.tokens.iter().zip(stand_ins.chunks(1)) {
        // A token without completions stays as it was; its source char
        // stands in so the lattice keeps its shape.
        let cands = if t.options().is_empty() {
            stand_in
        } else {
            t.options()
        };
        slots.push(Slot { cands });
    }
    for c in right_ctx.chunks(1) {
        slots.push(Slot { cands: c });
    }
    let left = cl
        .start
        .checked_sub(left_ctx.len() + 1)
        .and_then(|k| chars.get(k))
        .copied();
    let right = chars.get(cl.end + right_ctx.len()).copied();
    // Only the neighbourhood of a damaged position can change its choice;
    // decode merged windows around them and leave the rest fixed.
    const WINDOW: usize = 3;
    let m = slots.len();
    let mut choices: Vec<Choice> = slots
        .iter()
        .map(|_| Choice {
            chosen: 0,
            posterior: Vec::new(),
        })
        .collect();
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
        let decoded = scorer.decode(&slots[lo..hi], wl, wr);
        for (off, d) in decoded.into_iter().enumerate() {
            if let Some(c) = choices.get_mut(lo + off) {
                c.chosen = d.chosen;
                c.posterior = d.posterior;
            }
        }
        k = hi;
    }
    choices
        .into_iter()
        .skip(left_ctx.len())
        .take(cl.tokens.len())
        .collect()
}

fn make_guess(chars: &[char], tok: &Token, choice: &Choice, at: usize, cp: CodePage) -> Guess {
    let total: f64 = choice.posterior.iter().map(|&p| f64::from(p)).sum();
    let norm = |p: f32| {
        if total > 0.0 {
            f64::from(p) / total
        } else {
            1.0 / choice.posterior.len().max(1) as f64
        }
    };
    let mut alts: Vec<(usize, f64)> = choice
        .posterior
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != choice.chosen)
        .map(|(k, &p)| (k, norm(p)))
        .collect();
    alts.sort_by(|a, b| b.1.total_cmp(&a.1));
    alts.truncate(5);
    Guess {
        start: at,
        end: at + 1,
        chosen: tok
            .options()
            .get(choice.chosen)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        alternatives: alts
            .into_iter()
            .filter_map(|(k, p)| {
                tok.options().get(k).map(|c| Alternative {
                    text: c.to_string(),
                    probability: p,
                })
            })
            .collect(),
        confidence: choice
            .posterior
            .get(choice.chosen)
            .map_or(1.0, |&p| norm(p)),
        original: chars[tok.start..tok.end].iter().collect(),
        code_page: cp,
    }
}

/// Tokenize under every code page, keep the clusters judged mojibake, and
/// resolve overlaps between code pages.
fn select_clusters(chars: &[char]) -> Vec<Cluster> {
    let scan = detect::Scan::new(chars);
    let wild_q = question_marks_are_wildcards(chars, &scan);
    let mut all: Vec<(f32, Cluster)> = Vec::new();
    for cp in CodePage::ALL {
        // A code page with no lead byte followed by a continuation byte
        // anywhere cannot hold mojibake.
        let ci = cp.index();
        let has_pair = scan
            .bytes
            .windows(2)
            .any(|w| (0xC2..=0xF4).contains(&w[0][ci]) && (0x80..0xC0).contains(&w[1][ci]))
            || (wild_q || chars.contains(&'\u{FFFD}'));
        if !has_pair {
            continue;
        }
        let cls = detect::clusters(detect::tokenize(chars, &scan, cp, wild_q), cp);
        let strong = cls
            .iter()
            .filter(|c| c.score >= 1.0 && detect::accept(c, false))
            .count();
        let accepted: Vec<Cluster> = cls
            .into_iter()
            .filter(|c| detect::accept(c, strong >= 2))
            .collect();
        let total: f32 = accepted.iter().map(|c| c.score).sum();
        all.extend(accepted.into_iter().map(|c| (total, c)));
    }
    // Best evidence first; ties go to the code page that explains more of
    // the text, then to the order of CodePage::ALL.
    all.sort_by(|a, b| {
        b.1.score
            .total_cmp(&a.1.score)
            .then(b.0.total_cmp(&a.0))
            .then((a.1.cp.index()).cmp(&b.1.cp.index()))
    });
    let mut taken = vec![false; chars.len()];
    let mut chosen: Vec<Cluster> = Vec::new();
    for (_, cl) in all {
        if taken
            .get(cl.start..cl.end)
            .is_some_and(|s| s.iter().all(|t| !t))
        {
            for t in taken.iter_mut().take(cl.end).skip(cl.start) {
                *t = true;
            }
            chosen.push(cl);
        }
    }
    chosen.sort_by_key(|c| c.start);
    chosen
}

/// `?` stands for an undefined byte only when the text shows that pattern:
/// sequences cut short are followed by `?` far more often than not.
fn question_marks_are_wildcards(chars: &[char], scan: &detect::Scan) -> bool {
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
        for cl in detect::clusters(detect::tokenize(chars, scan, cp, false), cp) {
            for t in &cl.tokens {
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
