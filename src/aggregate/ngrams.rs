//! N-gram lists (`colloquy ngrams -n N`): sequences of N consecutive units of one turn, counted
//! like words. An n-gram never crosses a turn boundary, nor a run (`--unit char`: a stretch of
//! letters; `--by lang`: one language span). Chinese n-grams are over jieba's words by default
//! (the units of `--unit word`, joined by a space, as for every language) and over characters
//! with `--unit char` (joined without one).

use std::collections::VecDeque;

use super::freq::{report, Cutoff, Freq, FreqReport};
use super::{scan, Counter, Scope, Unit};
use crate::error::{Error, Result};
use crate::search::Engine;

/// Longest n-gram asked for: past it almost every sequence is unique and the list is noise.
pub const MAX_N: usize = 12;

/// N-gram counts of one group.
pub struct Ngrams {
    n: usize,
    joiner: &'static str,
    /// The last units of the current run, at most `n`.
    recent: VecDeque<String>,
    gram: String,
    freq: Freq,
}

impl Ngrams {
    pub fn new(n: usize, unit: Unit) -> Self {
        Ngrams {
            n,
            joiner: match unit {
                Unit::Word => " ",
                Unit::Char => "",
            },
            recent: VecDeque::with_capacity(n + 1),
            gram: String::new(),
            freq: Freq::default(),
        }
    }
}

impl Counter for Ngrams {
    fn begin_turn(&mut self) {
        self.freq.begin_turn();
        self.recent.clear();
    }

    fn unit(&mut self, unit: &str) {
        super::push_recent(&mut self.recent, self.n, unit);
        if self.recent.len() == self.n {
            self.gram.clear();
            for (i, u) in self.recent.iter().enumerate() {
                if i > 0 {
                    self.gram.push_str(self.joiner);
                }
                self.gram.push_str(u);
            }
            self.freq.add(&self.gram);
        }
    }

    fn end_run(&mut self) {
        self.recent.clear();
    }

    fn merge(&mut self, other: Self) {
        self.freq.merge(other.freq);
    }
}

/// `colloquy ngrams`: the n-gram list of the turns `scope` selects.
pub fn ngrams(engine: &Engine, scope: &Scope, n: usize, cut: Cutoff) -> Result<FreqReport> {
    if n == 0 || n > MAX_N {
        return Err(Error::Query {
            query: format!("-n {n}"),
            reason: format!("n-grams are of 1 to {MAX_N} units"),
            position: None,
        });
    }
    let unit = scope.unit;
    let scanned = scan(engine, scope, &|| Ngrams::new(n, unit))?;
    let groups = scanned
        .groups
        .into_iter()
        .map(|(k, g)| (k, g.freq))
        .collect();
    Ok(report(scope, Some(n), scanned.turns, groups, cut))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::aggregate::freq::tests::feed;

    #[test]
    fn bigrams_stay_inside_runs_and_turns() {
        let mut g = Ngrams::new(2, Unit::Word);
        feed(&mut g, "a b c | d e");
        feed(&mut g, "a b");
        let t = g.freq.table(None, 0, 1);
        let items: Vec<(&str, u64, u64)> = t
            .items
            .iter()
            .map(|r| (r.item.as_str(), r.count, r.turns))
            .collect();
        // No "c d" (runs) and no "e a" (turns).
        assert_eq!(items, [("a b", 2, 2), ("b c", 1, 1), ("d e", 1, 1)]);
        assert_eq!(t.tokens, 4);
    }

    #[test]
    fn character_ngrams_join_without_space() {
        let mut g = Ngrams::new(3, Unit::Char);
        feed(&mut g, "人 工 智 能");
        let t = g.freq.table(None, 0, 1);
        let items: Vec<&str> = t.items.iter().map(|r| r.item.as_str()).collect();
        assert_eq!(items, ["人工智", "工智能"]);
    }

    #[test]
    fn a_run_shorter_than_n_gives_nothing() {
        let mut g = Ngrams::new(3, Unit::Word);
        feed(&mut g, "a b");
        assert_eq!(g.freq.tokens(), 0);
        assert_eq!(g.freq.turns(), 1);
    }
}
