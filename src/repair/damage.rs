//! Damage models (how UTF-8 text becomes mojibake) and the evaluation
//! harness that damages clean text, repairs it and measures the result.

use super::codepage::CodePage;
use super::score::{score_output, Score};
use super::{dict, Repairer};
use serde::Serialize;
use std::fmt;
use std::time::Instant;

/// What happened to bytes the code page does not define.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UndefinedState {
    Dropped,
    /// Kept as the char of the same value: the C1 control (U+0081…), or
    /// the Latin-1 char for windows-1257's 0xA1 and 0xA5.
    C1Control,
    Replacement,
    QuestionMark,
}

impl UndefinedState {
    pub const ALL: [UndefinedState; 4] = [
        UndefinedState::Dropped,
        UndefinedState::C1Control,
        UndefinedState::Replacement,
        UndefinedState::QuestionMark,
    ];
    pub fn name(self) -> &'static str {
        match self {
            UndefinedState::Dropped => "dropped",
            UndefinedState::C1Control => "c1",
            UndefinedState::Replacement => "fffd",
            UndefinedState::QuestionMark => "question",
        }
    }
}

/// UTF-8 text decoded through `code_page` (`rounds` times), undefined bytes
/// handled per `undefined`.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DamageModel {
    pub code_page: CodePage,
    pub undefined: UndefinedState,
    pub rounds: u8,
}

impl DamageModel {
    /// The damage found in the seed corpus.
    pub const SEEDS: DamageModel = DamageModel {
        code_page: CodePage::Windows1254,
        undefined: UndefinedState::Dropped,
        rounds: 1,
    };

    /// Every distinct model: each code page, each state of undefined bytes
    /// (one state for pages that define every byte), one or two rounds.
    pub fn all() -> Vec<DamageModel> {
        let mut v = Vec::new();
        for rounds in [1u8, 2] {
            for cp in CodePage::ALL {
                let states: &[UndefinedState] = if cp.table().undefined_list.is_empty() {
                    &[UndefinedState::C1Control]
                } else {
                    &UndefinedState::ALL
                };
                for &undefined in states {
                    v.push(DamageModel {
                        code_page: cp,
                        undefined,
                        rounds,
                    });
                }
            }
        }
        v
    }

    pub fn name(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for DamageModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.code_page.name(), self.undefined.name())?;
        if self.rounds > 1 {
            write!(f, "/x{}", self.rounds)?;
        }
        Ok(())
    }
}

/// Whether `model` damages `c`: some byte of it is one the code page leaves undefined, so keeping
/// and dropping those bytes give different text.
pub(super) fn damages(model: DamageModel, c: char) -> bool {
    let s = c.to_string();
    let kept = DamageModel {
        undefined: UndefinedState::C1Control,
        ..model
    };
    let dropped = DamageModel {
        undefined: UndefinedState::Dropped,
        ..model
    };
    damage(&s, kept) != damage(&s, dropped)
}

/// Produce the mojibake `model` makes of `clean`.
pub fn damage(clean: &str, model: DamageModel) -> String {
    let mut text = clean.to_string();
    for _ in 0..model.rounds.max(1) {
        text = damage_once(&text, model.code_page, model.undefined).collect();
    }
    text
}

/// One round of mojibake, char by char: `clean`'s UTF-8 bytes read through `code_page`, the bytes
/// it leaves undefined handled as `undefined` says.
pub fn damage_once(
    clean: &str,
    code_page: CodePage,
    undefined: UndefinedState,
) -> impl Iterator<Item = char> + '_ {
    let t = code_page.table();
    clean.bytes().filter_map(move |b| {
        if b < 0x80 {
            Some(char::from(b))
        } else if t.is_undefined(b) {
            match undefined {
                UndefinedState::Dropped => None,
                UndefinedState::C1Control => Some(char::from(b)),
                UndefinedState::Replacement => Some('\u{FFFD}'),
                UndefinedState::QuestionMark => Some('?'),
            }
        } else {
            Some(t.decode[b as usize])
        }
    })
}

/// Accuracy figures for one damage model over all evaluation texts.
#[derive(Serialize, Clone, Debug)]
pub struct ModelEval {
    pub model: String,
    pub chars: usize,
    /// Characters that lost information (contained an undefined byte).
    pub damaged_chars: usize,
    pub damaged_exact: usize,
    pub all_exact: usize,
    /// Characters not damaged by the model that came out different.
    pub undamaged_changed: usize,
    pub accuracy_damaged: f64,
    pub accuracy_all: f64,
    pub input_bytes: usize,
    pub repair_seconds: f64,
    pub throughput_mb_s: f64,
    pub guesses: usize,
    pub low_confidence_guesses: usize,
}

#[derive(Serialize, Clone, Debug)]
pub struct EvalReport {
    pub models: Vec<ModelEval>,
    /// Clean inputs repaired as they are: characters changed / total.
    pub false_change_rate: f64,
    pub clean_files_changed: usize,
    pub dict_load_ms: f64,
}

/// Damage, repair and score every text under every model, with a repairer
/// that has learned nothing from the evaluation texts.
pub fn evaluate(clean_texts: &[(String, String)], models: &[DamageModel]) -> EvalReport {
    evaluate_with(&Repairer::new(), clean_texts, models)
}

/// As `evaluate`, with a caller-prepared repairer (e.g. one that observed
/// other clean text).
pub fn evaluate_with(
    repairer: &Repairer,
    clean_texts: &[(String, String)],
    models: &[DamageModel],
) -> EvalReport {
    let dict_load_ms = dict::preload_dict().as_secs_f64() * 1000.0;
    let mut clean_changed_chars = 0usize;
    let mut clean_chars = 0usize;
    let mut clean_files_changed = 0usize;
    for (_, text) in clean_texts {
        let r = repairer.repair(text);
        let s = score_output(text, &r.text, None);
        clean_chars += s.chars;
        if r.text != *text {
            clean_files_changed += 1;
            clean_changed_chars += s.chars - s.all_exact;
        }
    }
    let mut out = Vec::new();
    for &model in models {
        let mut score = Score::default();
        let mut m = ModelEval {
            model: model.name(),
            chars: 0,
            damaged_chars: 0,
            damaged_exact: 0,
            all_exact: 0,
            undamaged_changed: 0,
            accuracy_damaged: 1.0,
            accuracy_all: 1.0,
            input_bytes: 0,
            repair_seconds: 0.0,
            throughput_mb_s: 0.0,
            guesses: 0,
            low_confidence_guesses: 0,
        };
        for (_, text) in clean_texts {
            let damaged = damage(text, model);
            let t0 = Instant::now();
            let r = repairer.repair(&damaged);
            m.repair_seconds += t0.elapsed().as_secs_f64();
            m.input_bytes += damaged.len();
            m.guesses += r.guesses.len();
            m.low_confidence_guesses += r.guesses.iter().filter(|g| g.low_confidence()).count();
            score.add(score_output(text, &r.text, Some(model)));
        }
        m.chars = score.chars;
        m.damaged_chars = score.damaged;
        m.all_exact = score.all_exact;
        m.damaged_exact = score.damaged_exact;
        m.undamaged_changed = score.undamaged_changed();
        m.accuracy_all = score.accuracy_all();
        m.accuracy_damaged = score.accuracy_damaged();
        if m.repair_seconds > 0.0 {
            m.throughput_mb_s = m.input_bytes as f64 / 1e6 / m.repair_seconds;
        }
        out.push(m);
    }
    EvalReport {
        models: out,
        false_change_rate: if clean_chars == 0 {
            0.0
        } else {
            clean_changed_chars as f64 / clean_chars as f64
        },
        clean_files_changed,
        dict_load_ms,
    }
}

/// Count characters of `clean` reproduced exactly in `got`, overall and
/// among those `is_damaged` flags. Lines are aligned one to one (newlines
/// survive every model); a line whose length changed is aligned by edit
/// distance.
pub(super) fn align_score(
    clean: &str,
    got: &str,
    is_damaged: &dyn Fn(usize) -> bool,
) -> (usize, usize) {
    let cl: Vec<&str> = clean.split('\n').collect();
    let gl: Vec<&str> = got.split('\n').collect();
    let mut same = 0;
    let mut same_d = 0;
    let mut base = 0usize;
    if cl.len() != gl.len() {
        let a: Vec<char> = clean.chars().collect();
        let b: Vec<char> = got.chars().collect();
        return lcs_matches(&a, &b, 0, is_damaged);
    }
    for (c, g) in cl.iter().zip(&gl) {
        let a: Vec<char> = c.chars().collect();
        let b: Vec<char> = g.chars().collect();
        let (s, sd) = if a.len() == b.len() {
            let mut s = 0;
            let mut sd = 0;
            for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                if x == y {
                    s += 1;
                    if is_damaged(base + k) {
                        sd += 1;
                    }
                }
            }
            (s, sd)
        } else {
            lcs_matches(&a, &b, base, is_damaged)
        };
        same += s;
        same_d += sd;
        // The newline itself.
        base += a.len() + 1;
        same += 1;
    }
    // No newline after the last line.
    (same.saturating_sub(1).min(clean.chars().count()), same_d)
}

fn lcs_matches(
    a: &[char],
    b: &[char],
    base: usize,
    is_damaged: &dyn Fn(usize) -> bool,
) -> (usize, usize) {
    // Quadratic, but only for lines whose length changed; long ones are
    // scored as entirely wrong rather than stalling the harness.
    if a.len().saturating_mul(b.len()) > 20_000_000 {
        return (0, 0);
    }
    let w = b.len() + 1;
    let mut dp = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            dp[i * w + j] = if a[i] == b[j] {
                dp[(i + 1) * w + j + 1] + 1
            } else {
                dp[(i + 1) * w + j].max(dp[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j, mut s, mut sd) = (0, 0, 0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            s += 1;
            if is_damaged(base + i) {
                sd += 1;
            }
            i += 1;
            j += 1;
        } else if dp[(i + 1) * w + j] >= dp[i * w + j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    (s, sd)
}
