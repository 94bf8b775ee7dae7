//! Scoring any tool's output (colloquy's or a peer's) against the clean text, with the evaluation
//! harness's own alignment, so `colloquy bench repair` compares tools on one yardstick.

use super::damage::{align_score, damages, DamageModel};
use serde::Serialize;
use std::collections::HashMap;

/// How much of a clean text an output reproduces.
#[derive(Serialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Score {
    pub chars: usize,
    /// Characters the damage model damages (lost or mangled a byte).
    pub damaged: usize,
    pub all_exact: usize,
    pub damaged_exact: usize,
}

impl Score {
    pub fn add(&mut self, other: Score) {
        self.chars += other.chars;
        self.damaged += other.damaged;
        self.all_exact += other.all_exact;
        self.damaged_exact += other.damaged_exact;
    }
    pub fn accuracy_damaged(&self) -> f64 {
        ratio(self.damaged_exact, self.damaged)
    }
    pub fn accuracy_all(&self) -> f64 {
        ratio(self.all_exact, self.chars)
    }
    /// Characters the model did not damage that the tool changed anyway.
    pub fn undamaged_changed(&self) -> usize {
        (self.chars - self.damaged) - (self.all_exact - self.damaged_exact)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Score `output` against `clean`, where `clean` was damaged by `model` (None: clean input).
pub fn score_output(clean: &str, output: &str, model: Option<DamageModel>) -> Score {
    let mut cache: HashMap<char, bool> = HashMap::new();
    let mask: Vec<bool> = clean
        .chars()
        .map(|c| match model {
            None => false,
            Some(model) => *cache.entry(c).or_insert_with(|| damages(model, c)),
        })
        .collect();
    let (same, same_damaged) =
        align_score(clean, output, &|i| mask.get(i).copied().unwrap_or(false));
    Score {
        chars: mask.len(),
        damaged: mask.iter().filter(|d| **d).count(),
        all_exact: same,
        damaged_exact: same_damaged,
    }
}
