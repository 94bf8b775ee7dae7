//! Frequency lists (`colloquy freq`): how often each unit occurs in the matching turns, per
//! million units, and in how many turns (document frequency). [`Freq`] is also the counter
//! n-grams and collocates build on.

use std::collections::HashMap;

use serde::Serialize;

use super::{ordered, per_million, scan, Counter, Forms, Scope, Unit};
use crate::error::Result;
use crate::search::Engine;

/// Counts of one group's items.
#[derive(Debug, Default)]
pub struct Freq {
    items: HashMap<String, Entry>,
    /// Items counted (the denominator of per-million figures).
    tokens: u64,
    /// Turns seen; also the id of the current one, so an item counts a turn once.
    turns: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    count: u64,
    turns: u64,
    /// The last turn that had the item.
    last: u64,
}

impl Freq {
    /// One occurrence of `item` in the current turn.
    pub fn add(&mut self, item: &str) {
        let turn = self.turns;
        self.tokens += 1;
        match self.items.get_mut(item) {
            Some(e) => {
                e.count += 1;
                if e.last != turn {
                    e.turns += 1;
                    e.last = turn;
                }
            }
            None => {
                let e = Entry {
                    count: 1,
                    turns: 1,
                    last: turn,
                };
                self.items.insert(item.to_owned(), e);
            }
        }
    }

    /// How often `item` occurred.
    pub fn count(&self, item: &str) -> u64 {
        self.items.get(item).map_or(0, |e| e.count)
    }

    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    pub fn turns(&self) -> u64 {
        self.turns
    }

    pub fn types(&self) -> u64 {
        self.items.len() as u64
    }

    /// The list: items seen at least `min_count` times, most frequent first (equal counts in
    /// code-point order, so every run prints the same), the first `top` (0: all).
    pub fn table(&self, group: Option<String>, top: usize, min_count: u64) -> FreqGroup {
        let mut rows: Vec<(&String, &Entry)> = self
            .items
            .iter()
            .filter(|(_, e)| e.count >= min_count)
            .collect();
        rows.sort_unstable_by(|a, b| b.1.count.cmp(&a.1.count).then_with(|| a.0.cmp(b.0)));
        if top > 0 {
            rows.truncate(top);
        }
        FreqGroup {
            group,
            tokens: self.tokens,
            types: self.types(),
            turns: self.turns,
            items: rows
                .into_iter()
                .enumerate()
                .map(|(i, (item, e))| FreqRow {
                    rank: i + 1,
                    item: item.clone(),
                    count: e.count,
                    per_million: per_million(e.count, self.tokens),
                    turns: e.turns,
                })
                .collect(),
        }
    }
}

impl Counter for Freq {
    fn begin_turn(&mut self) {
        self.turns += 1;
    }

    fn unit(&mut self, unit: &str) {
        self.add(unit);
    }

    fn end_run(&mut self) {}

    fn merge(&mut self, other: Self) {
        // Turn ids of later turns stay above every `last` of both (they count from the sum).
        self.tokens += other.tokens;
        self.turns += other.turns;
        for (item, e) in other.items {
            match self.items.get_mut(&item) {
                Some(mine) => {
                    mine.count += e.count;
                    mine.turns += e.turns;
                }
                None => {
                    self.items.insert(item, e);
                }
            }
        }
    }
}

/// One row of a frequency list.
#[derive(Debug, Clone, Serialize)]
pub struct FreqRow {
    pub rank: usize,
    pub item: String,
    pub count: u64,
    /// `count` per million items of the group.
    pub per_million: f64,
    /// Turns the item occurs in (document frequency).
    pub turns: u64,
}

/// One group's list (the whole selection without `--by`).
#[derive(Debug, Clone, Serialize)]
pub struct FreqGroup {
    /// The group's value (speaker, language, month, …); absent without `--by`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Items counted in the group (words, characters or n-grams).
    pub tokens: u64,
    /// Distinct items.
    pub types: u64,
    /// Turns in the group.
    pub turns: u64,
    pub items: Vec<FreqRow>,
}

/// A frequency list of words, characters or n-grams, per group.
#[derive(Debug, Clone, Serialize)]
pub struct FreqReport {
    pub unit: Unit,
    pub forms: Forms,
    /// The n of n-grams; absent for a plain frequency list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<usize>,
    pub query: String,
    /// Items seen fewer times are left out of the lists (not of the totals).
    pub min_count: u64,
    /// The `--by` key; absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Turns matching the query and filters.
    pub turns: u64,
    pub groups: Vec<FreqGroup>,
}

/// What to print of each list.
#[derive(Debug, Clone, Copy)]
pub struct Cutoff {
    /// Rows per group; 0 for all.
    pub top: usize,
    /// Items seen fewer times are left out (they still count in the totals).
    pub min_count: u64,
}

/// `colloquy freq`: the frequency list of the turns `scope` selects.
pub fn freq(engine: &Engine, scope: &Scope, cut: Cutoff) -> Result<FreqReport> {
    let scanned = scan(engine, scope, &Freq::default)?;
    Ok(report(scope, None, scanned.turns, scanned.groups, cut))
}

/// Lists of counted groups as a report.
pub(super) fn report(
    scope: &Scope,
    n: Option<usize>,
    turns: u64,
    groups: std::collections::BTreeMap<String, Freq>,
    cut: Cutoff,
) -> FreqReport {
    let by = scope.by.as_ref();
    let groups = ordered(by, groups, Freq::tokens)
        .into_iter()
        .map(|(key, f)| f.table(by.map(|_| key), cut.top, cut.min_count))
        .collect();
    FreqReport {
        unit: scope.unit,
        forms: scope.forms,
        n,
        query: scope.search.query.clone(),
        min_count: cut.min_count,
        by: by.map(|b| b.name().to_owned()),
        turns,
        groups,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Hand `counter` one turn of space-separated units, runs split by `|`.
    pub(crate) fn feed<C: Counter>(counter: &mut C, turn: &str) {
        counter.begin_turn();
        for run in turn.split('|') {
            run.split_whitespace().for_each(|u| counter.unit(u));
            counter.end_run();
        }
    }

    #[test]
    fn counts_tokens_and_turns_once_per_turn() {
        let mut f = Freq::default();
        feed(&mut f, "a b a");
        feed(&mut f, "a c");
        let t = f.table(None, 0, 1);
        assert_eq!((t.tokens, t.types, t.turns), (5, 3, 2));
        let a = &t.items[0];
        assert_eq!((a.item.as_str(), a.count, a.turns, a.rank), ("a", 3, 2, 1));
        assert!((a.per_million - 600_000.0).abs() < 1e-9);
        // Equal counts in code-point order.
        assert_eq!(t.items[1].item, "b");
        assert_eq!(t.items[2].item, "c");
    }

    #[test]
    fn merged_counters_equal_one_counter() {
        let (mut one, mut left, mut right) = (Freq::default(), Freq::default(), Freq::default());
        for (i, turn) in ["x y", "y y z", "x"].iter().enumerate() {
            feed(&mut one, turn);
            if i == 1 {
                feed(&mut right, turn);
            } else {
                feed(&mut left, turn);
            }
        }
        left.merge(right);
        feed(&mut left, "y");
        feed(&mut one, "y");
        let (a, b) = (one.table(None, 0, 1), left.table(None, 0, 1));
        let rows = |t: &FreqGroup| {
            t.items
                .iter()
                .map(|r| (r.item.clone(), r.count, r.turns))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(&a), rows(&b));
        assert_eq!(rows(&a)[0], ("y".to_owned(), 4, 3));
    }

    #[test]
    fn top_and_min_count_cut_the_list_not_the_totals() {
        let mut f = Freq::default();
        feed(&mut f, "a a a b b c");
        let t = f.table(None, 1, 1);
        assert_eq!(t.items.len(), 1);
        let t = f.table(None, 0, 2);
        assert_eq!(t.items.len(), 2);
        assert_eq!((t.tokens, t.types), (6, 3));
    }
}
