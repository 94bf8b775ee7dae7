//! Per-file repair summaries and the human-readable `--explain` lines.

use super::Repaired;
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
}

impl FileReport {
    pub fn new(name: &str, r: &Repaired) -> Self {
        let n = r.guesses.len();
        let mean = if n == 0 {
            1.0
        } else {
            r.guesses.iter().map(|g| g.confidence).sum::<f64>() / n as f64
        };
        FileReport {
            name: name.to_string(),
            changed: r.changed,
            runs_repaired: r.runs.len(),
            chars_replaced: r.chars_replaced,
            bytes_restored: r.bytes_restored,
            guesses: n,
            low_confidence_guesses: r.guesses.iter().filter(|g| g.low_confidence()).count(),
            low_confidence_threshold: LOW_CONFIDENCE,
            mean_confidence: mean,
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

/// One line per repaired run, then one indented line per guess in it:
/// `before → after`, the code page, the choice and its runners-up.
pub fn explain(r: &Repaired) -> Vec<String> {
    let mut lines = Vec::new();
    let mut gi = 0usize;
    for run in &r.runs {
        lines.push(format!(
            "[{}..{}] {}: \"{}\" → \"{}\"{}",
            run.start,
            run.end,
            run.code_page.name(),
            visible(&run.original),
            visible(&run.repaired),
            if run.pass > 1 {
                format!(" (layer {})", run.pass)
            } else {
                String::new()
            }
        ));
        while let Some(g) = r.guesses.get(gi) {
            if g.start >= run.end && run.end > run.start {
                break;
            }
            gi += 1;
            if g.start < run.start {
                continue;
            }
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
            lines.push(format!(
                "    [{}] \"{}\" → {} p={:.3}{}{}",
                g.start,
                visible(&g.original),
                visible(g.chosen.encode_utf8(&mut [0; 4])),
                g.confidence,
                if g.low_confidence() { " LOW" } else { "" },
                if alts.is_empty() {
                    String::new()
                } else {
                    format!("; runners-up: {}", alts.join(", "))
                }
            ));
        }
    }
    lines
}
