//! What a turn keeps in the index besides its text, as typed values: language spans, repair
//! guesses and metadata are stored as JSON and read back into these same types, so the printers
//! work on structs, never on JSON trees.

use serde::{Deserialize, Serialize};

use crate::repair::{CodePage, Guess};

/// Runners-up kept per guess in the index, and the smallest probability worth keeping.
const STORED_ALTERNATIVES: usize = 3;
const MIN_STORED_PROBABILITY: f64 = 0.001;

/// A repair guess as stored with its turn: probabilities to three decimals and the likeliest
/// runners-up, which is what a reader checks; the full lattice output is `colloquy repair --json`'s
/// job. On the seeds this keeps the stored guesses at about a third of their full size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredGuess {
    pub alternatives: Vec<StoredAlternative>,
    pub chosen: char,
    pub code_page: CodePage,
    pub confidence: f64,
    /// Code-point offsets into the turn's repaired text.
    pub end: usize,
    /// The damaged text this replaced.
    pub original: String,
    pub start: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAlternative {
    pub probability: f64,
    pub text: char,
}

impl StoredGuess {
    pub fn of(g: &Guess) -> Self {
        let round = |p: f64| (p * 1000.0).round() / 1000.0;
        StoredGuess {
            alternatives: g
                .alternatives
                .iter()
                .filter(|a| a.probability >= MIN_STORED_PROBABILITY)
                .take(STORED_ALTERNATIVES)
                .map(|a| StoredAlternative {
                    probability: round(a.probability),
                    text: a.text,
                })
                .collect(),
            chosen: g.chosen,
            code_page: g.code_page,
            confidence: round(g.confidence),
            end: g.end,
            original: g.original.as_str().to_owned(),
            start: g.start,
        }
    }
}
