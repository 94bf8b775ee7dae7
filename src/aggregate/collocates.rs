//! Collocates (`colloquy collocates WORD`): the units that occur within a window of L units left
//! and R right of each occurrence of the node word, in the same turn (and run), with the
//! association measures corpus tools report (AntConc; Evert 2008, "Corpora and collocations"):
//!
//! - N: units in the selection; f(n): occurrences of the node; f(c): of the collocate;
//!   O: occurrences of the collocate inside the node's windows; span = L + R.
//! - E = f(n) · f(c) · span / N
//! - MI = log2(O / E)
//! - t = (O − E) / √O
//! - log-likelihood G² = 2 Σᵢⱼ Oᵢⱼ · ln(Oᵢⱼ / Eᵢⱼ) over the 2×2 table
//!   O11 = O, O12 = f(n)·span − O, O21 = f(c) − O, O22 = N − f(n)·span − f(c) + O,
//!   with Eᵢⱼ = Rᵢ · Cⱼ / N from its row sums R₁ = f(n)·span, R₂ = N − R₁ and column sums
//!   C₁ = f(c), C₂ = N − f(c) (so E11 = E); a cell of 0 adds nothing (0 · ln 0 = 0), and so does a
//!   cell that overlapping windows make negative. G² is not signed: compare O with E.
//!
//! The node counts as a collocate of itself when it recurs inside its own window.

use std::collections::{HashMap, VecDeque};

use serde::Serialize;

use super::freq::Freq;
use super::{ordered, scan, units_of, Counter, Forms, Piece, Scope, Unit};
use crate::error::{Error, Result};
use crate::search::Engine;

/// Which measure ranks the collocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Measure {
    /// Log-likelihood G².
    Ll,
    /// Mutual information, log2(O/E).
    Mi,
    /// t-score, (O − E)/√O.
    T,
    /// All three printed, ranked by log-likelihood.
    All,
}

/// The window: units to the left and right of the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub left: usize,
    pub right: usize,
}

/// Counts of one group: every unit (for f(c) and N) and the units in the node's windows.
pub struct Collocates {
    node: String,
    window: Window,
    freq: Freq,
    near: HashMap<String, Near>,
    /// The last max(L, R) units of the current run: every pair is counted when its later unit
    /// arrives (a node's left window is behind it; a unit is in the right window of a node
    /// behind it), so nothing ahead is ever needed.
    recent: VecDeque<String>,
}

/// A collocate's occurrences in the node's windows, left and right of it.
#[derive(Debug, Default, Clone, Copy)]
struct Near {
    left: u64,
    right: u64,
}

impl Collocates {
    pub fn new(node: &str, window: Window) -> Self {
        Collocates {
            node: node.to_owned(),
            window,
            freq: Freq::default(),
            near: HashMap::new(),
            recent: VecDeque::new(),
        }
    }
}

/// One more occurrence of `unit` in a window, on the left of the node or its right.
fn bump(near: &mut HashMap<String, Near>, unit: &str, left: bool) {
    let add = |n: &mut Near| {
        if left {
            n.left += 1;
        } else {
            n.right += 1;
        }
    };
    // A lookup by &str first: most window units are already known.
    match near.get_mut(unit) {
        Some(n) => add(n),
        None => add(near.entry(unit.to_owned()).or_default()),
    }
}

impl Counter for Collocates {
    fn begin_turn(&mut self) {
        self.freq.begin_turn();
        self.recent.clear();
    }

    fn unit(&mut self, unit: &str) {
        self.freq.add(unit);
        let Window { left, right } = self.window;
        // `recent` from the nearest unit back.
        if unit == self.node {
            for u in self.recent.iter().rev().take(left) {
                bump(&mut self.near, u, true);
            }
        }
        for u in self.recent.iter().rev().take(right) {
            if *u == self.node {
                bump(&mut self.near, unit, false);
            }
        }
        let keep = left.max(right);
        if keep > 0 {
            super::push_recent(&mut self.recent, keep, unit);
        }
    }

    fn end_run(&mut self) {
        self.recent.clear();
    }

    fn merge(&mut self, other: Self) {
        self.freq.merge(other.freq);
        for (unit, n) in other.near {
            let mine = self.near.entry(unit).or_default();
            mine.left += n.left;
            mine.right += n.right;
        }
    }
}

/// The association measures of one collocate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub expected: f64,
    pub ll: f64,
    pub mi: f64,
    pub t: f64,
}

/// E, G², MI and t from O, f(n), f(c), N and the span, by the formulas in the module comment.
pub fn scores(observed: u64, node: u64, coll: u64, n: u64, span: usize) -> Scores {
    let (o, f_n, f_c, n) = (observed as f64, node as f64, coll as f64, n as f64);
    let r1 = f_n * span as f64;
    let expected = if n > 0.0 { r1 * f_c / n } else { 0.0 };
    let cells = [
        (o, r1, f_c),
        (r1 - o, r1, n - f_c),
        (f_c - o, n - r1, f_c),
        (n - r1 - f_c + o, n - r1, n - f_c),
    ];
    let ll = 2.0
        * cells
            .iter()
            .filter(|(obs, row, col)| *obs > 0.0 && *row > 0.0 && *col > 0.0)
            .map(|(obs, row, col)| obs * (obs / (row * col / n)).ln())
            .sum::<f64>();
    Scores {
        expected,
        ll,
        mi: (o / expected).log2(),
        t: (o - expected) / o.sqrt(),
    }
}

/// One collocate.
#[derive(Debug, Clone, Serialize)]
pub struct CollocateRow {
    pub rank: usize,
    pub item: String,
    /// O: occurrences inside the node's windows, and how many of them left and right of it.
    pub observed: u64,
    pub left: u64,
    pub right: u64,
    /// f(c): occurrences in the whole selection (group).
    pub frequency: u64,
    #[serde(flatten)]
    pub scores: Scores,
}

/// One group's collocates.
#[derive(Debug, Clone, Serialize)]
pub struct CollocateGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// N: units in the group.
    pub tokens: u64,
    /// f(n): occurrences of the node in the group.
    pub node_frequency: u64,
    pub turns: u64,
    pub items: Vec<CollocateRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CollocatesReport {
    /// The word as given, and the unit it is counted as (normalised like the text).
    pub node: String,
    pub node_unit: String,
    pub window: Window,
    pub measure: Measure,
    pub unit: Unit,
    pub forms: Forms,
    /// Collocates seen fewer times in the windows are left out.
    pub min_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub turns: u64,
    pub groups: Vec<CollocateGroup>,
}

/// What to compute and print.
#[derive(Debug, Clone)]
pub struct CollocateOptions {
    pub node: String,
    pub window: Window,
    pub measure: Measure,
    /// Rows per group; 0 for all.
    pub top: usize,
    /// Collocates seen fewer times than this in the windows are left out.
    pub min_count: u64,
}

/// `colloquy collocates`: the node's collocates in the turns `scope` selects.
pub fn collocates(
    engine: &Engine,
    scope: &Scope,
    opts: &CollocateOptions,
) -> Result<CollocatesReport> {
    let node = node_unit(&opts.node, scope.unit, scope.forms)?;
    if opts.window.left + opts.window.right == 0 {
        return Err(Error::Query {
            query: "--window 0,0".into(),
            reason: "the window holds no unit: give it at least one on a side".into(),
            position: None,
        });
    }
    let scanned = scan(engine, scope, &|| Collocates::new(&node, opts.window))?;
    let by = scope.by.as_ref();
    let groups = ordered(by, scanned.groups, |c| c.freq.tokens())
        .into_iter()
        .map(|(key, c)| table(by.map(|_| key), &c, opts))
        .collect();
    Ok(CollocatesReport {
        node: opts.node.clone(),
        node_unit: node,
        window: opts.window,
        measure: opts.measure,
        unit: scope.unit,
        forms: scope.forms,
        min_count: opts.min_count.max(1),
        by: by.map(|b| b.name().to_owned()),
        turns: scanned.turns,
        groups,
    })
}

/// The node as one unit of the text (normalised the same way); an error when it is not one.
fn node_unit(word: &str, unit: Unit, forms: Forms) -> Result<String> {
    let mut units: Vec<String> = Vec::new();
    let mut analyzer = crate::analyzer::analyzer();
    units_of(&mut analyzer, word, unit, forms, &mut |p| {
        if let Piece::Unit(u) = p {
            units.push(u.to_owned());
        }
    });
    let what = match unit {
        Unit::Word => "word",
        Unit::Char => "character",
    };
    let reason = match units.as_slice() {
        [one] => return Ok(one.clone()),
        [] => format!("collocates needs a {what}; this has none (only spaces or punctuation)"),
        many => format!(
            "collocates takes one {what}; this is {} {what}s ({})",
            many.len(),
            many.join(", ")
        ),
    };
    Err(Error::Query {
        query: word.to_owned(),
        reason,
        position: None,
    })
}

fn table(group: Option<String>, c: &Collocates, opts: &CollocateOptions) -> CollocateGroup {
    let span = opts.window.left + opts.window.right;
    let (n, f_n) = (c.freq.tokens(), c.freq.count(&c.node));
    let mut rows: Vec<CollocateRow> = c
        .near
        .iter()
        .filter_map(|(item, near)| {
            let observed = near.left + near.right;
            (observed >= opts.min_count.max(1)).then(|| {
                let frequency = c.freq.count(item);
                CollocateRow {
                    rank: 0,
                    item: item.clone(),
                    observed,
                    left: near.left,
                    right: near.right,
                    frequency,
                    scores: scores(observed, f_n, frequency, n, span),
                }
            })
        })
        .collect();
    let key = |r: &CollocateRow| match opts.measure {
        Measure::Ll | Measure::All => r.scores.ll,
        Measure::Mi => r.scores.mi,
        Measure::T => r.scores.t,
    };
    rows.sort_by(|a, b| {
        key(b)
            .total_cmp(&key(a))
            .then_with(|| b.observed.cmp(&a.observed))
            .then_with(|| a.item.cmp(&b.item))
    });
    if opts.top > 0 {
        rows.truncate(opts.top);
    }
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    CollocateGroup {
        group,
        tokens: n,
        node_frequency: f_n,
        turns: c.freq.turns(),
        items: rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::aggregate::freq::tests::feed;

    #[test]
    fn windows_count_left_and_right_within_a_run() {
        let mut c = Collocates::new("x", Window { left: 1, right: 2 });
        feed(&mut c, "a x b c d | e x");
        let got = |u: &str| c.near.get(u).map(|n| (n.left, n.right));
        assert_eq!(got("a"), Some((1, 0)));
        assert_eq!(got("b"), Some((0, 1)));
        assert_eq!(got("c"), Some((0, 1)));
        assert_eq!(got("d"), None);
        assert_eq!(got("e"), Some((1, 0)));
    }

    #[test]
    fn measures_match_the_formulas_worked_by_hand() {
        // O = 4, f(n) = 10, f(c) = 20, N = 1000, span = 4: E = 10·20·4/1000 = 0.8.
        let s = scores(4, 10, 20, 1000, 4);
        assert!((s.expected - 0.8).abs() < 1e-12);
        assert!((s.mi - 5f64.log2()).abs() < 1e-12);
        assert!((s.t - (4.0 - 0.8) / 2.0).abs() < 1e-12);
        // Table: O11 4, O12 36, O21 16, O22 944; rows 40/960, columns 20/980.
        let cell = |o: f64, r: f64, c: f64| o * (o / (r * c / 1000.0)).ln();
        let ll = 2.0
            * (cell(4.0, 40.0, 20.0)
                + cell(36.0, 40.0, 980.0)
                + cell(16.0, 960.0, 20.0)
                + cell(944.0, 960.0, 980.0));
        assert!((s.ll - ll).abs() < 1e-9, "{} vs {ll}", s.ll);
        assert!(s.ll > 0.0);
    }

    #[test]
    fn ranking_follows_the_measure() {
        let mut c = Collocates::new("x", Window { left: 1, right: 1 });
        // "the" is frequent everywhere; "rare" only next to x.
        feed(&mut c, "the x the x rare the the the the the the the");
        let opts = |measure| CollocateOptions {
            node: "x".into(),
            window: Window { left: 1, right: 1 },
            measure,
            top: 0,
            min_count: 1,
        };
        let mi = table(None, &c, &opts(Measure::Mi));
        assert_eq!(mi.items[0].item, "rare");
        assert_eq!(mi.node_frequency, 2);
        let t = table(None, &c, &opts(Measure::T));
        assert_eq!(t.items.len(), 2);
        assert!(t.items.windows(2).all(|w| w[0].scores.t >= w[1].scores.t));
    }
}
