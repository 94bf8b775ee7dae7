//! Per-file repair summaries and the typed `--explain` lines a printer places.

use super::{Guess, Repaired, RunReport};
use serde::Serialize;

/// Guesses below this posterior are flagged as low confidence: at 0.9 the
/// model gives a runner-up at least a one-in-ten chance.
pub const LOW_CONFIDENCE: f64 = 0.9;

/// What repair did to one file.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct FileReport {
    pub name: String,
    pub changed: bool,
    pub runs_repaired: usize,
    pub chars_replaced: usize,
    pub bytes_restored: usize,
    pub guesses: usize,
    pub low_confidence_guesses: usize,
    pub low_confidence_threshold: f64,
    /// Mean posterior of the guesses (1.0 when there were none).
    pub mean_confidence: f64,
    /// The sum behind `mean_confidence`, so pieces add up.
    #[serde(skip)]
    confidence_sum: f64,
}

impl FileReport {
    pub fn new(name: &str, r: &Repaired) -> Self {
        let mut report = FileReport::empty(name);
        report.add(r);
        report
    }

    /// The report of a file nothing was repaired in yet: [`FileReport::add`] each piece.
    pub fn empty(name: &str) -> Self {
        FileReport {
            name: name.to_string(),
            changed: false,
            runs_repaired: 0,
            chars_replaced: 0,
            bytes_restored: 0,
            guesses: 0,
            low_confidence_guesses: 0,
            low_confidence_threshold: LOW_CONFIDENCE,
            mean_confidence: 1.0,
            confidence_sum: 0.0,
        }
    }

    /// Count one more piece of the file (a chunk `colloquy repair` wrote out).
    pub fn add(&mut self, r: &Repaired) {
        self.changed |= r.changed;
        self.runs_repaired += r.runs.len();
        self.chars_replaced += r.chars_replaced;
        self.bytes_restored += r.bytes_restored;
        self.guesses += r.guesses.len();
        self.low_confidence_guesses += r.guesses.iter().filter(|g| g.low_confidence()).count();
        self.confidence_sum += r.guesses.iter().map(|g| g.confidence).sum::<f64>();
        if self.guesses > 0 {
            self.mean_confidence = self.confidence_sum / self.guesses as f64;
        }
    }
}

fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            let u = c as u32;
            if c.is_control() || (0x200B..=0x200F).contains(&u) || (0xFE00..=0xFE0F).contains(&u) {
                format!("<U+{u:04X}>")
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// One line of an explanation: a repaired run, or a guess inside the run
/// listed before it. Typed, so a printer places it (line:column, JSON)
/// without parsing text back.
#[derive(Clone, Copy, Debug)]
pub enum Explained<'a> {
    Run(&'a RunReport),
    Guess(&'a Guess),
}

impl Explained<'_> {
    /// Code-point offset of what it describes in the repaired text.
    pub fn start(&self) -> usize {
        match self {
            Explained::Run(r) => r.start,
            Explained::Guess(g) => g.start,
        }
    }

    /// `before → after`, the code page, the choice and its runners-up,
    /// without the location.
    pub fn body(&self) -> String {
        match self {
            Explained::Run(run) => format!(
                "{}: \"{}\" → \"{}\"{}",
                run.code_page.name(),
                visible(&run.original),
                visible(&run.repaired),
                if run.pass > 1 {
                    format!(" (layer {})", run.pass)
                } else {
                    String::new()
                }
            ),
            Explained::Guess(g) => guess_body(g),
        }
    }
}

fn guess_body(g: &Guess) -> String {
    let alts: Vec<String> = g
        .alternatives
        .iter()
        .filter(|a| a.probability >= 0.001)
        .map(|a| {
            format!(
                "{} {:.3}",
                visible(a.text.encode_utf8(&mut [0; 4])),
                a.probability
            )
        })
        .collect();
    format!(
        "\"{}\" → {} p={:.3}{}{}",
        visible(&g.original),
        visible(g.chosen.encode_utf8(&mut [0; 4])),
        g.confidence,
        if g.low_confidence() { " LOW" } else { "" },
        if alts.is_empty() {
            String::new()
        } else {
            format!("; runners-up: {}", alts.join(", "))
        }
    )
}

impl std::fmt::Display for Explained<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Explained::Run(r) => write!(f, "[{}..{}] {}", r.start, r.end, self.body()),
            Explained::Guess(g) => write!(f, "    [{}] {}", g.start, self.body()),
        }
    }
}

/// Every repaired run, each followed by the guesses inside it.
pub fn explain(r: &Repaired) -> Vec<Explained<'_>> {
    let mut lines = Vec::with_capacity(r.runs.len() + r.guesses.len());
    let mut gi = 0usize;
    for run in &r.runs {
        lines.push(Explained::Run(run));
        while let Some(g) = r.guesses.get(gi) {
            if g.start >= run.end && run.end > run.start {
                break;
            }
            gi += 1;
            if g.start >= run.start {
                lines.push(Explained::Guess(g));
            }
        }
    }
    lines
}
