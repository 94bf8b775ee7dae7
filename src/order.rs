//! Hit orders and paging: which hits a page (`--offset`, `--limit`) holds under `--sort
//! score|time|position`, collected in one bounded pass over the matches.
//!
//! Every order is total: ties fall back to corpus position (conversation id, then turn), so the
//! pages of one query concatenate to the unpaged list, and the same query prints the same page on
//! every run whatever the segment layout. Only `offset + limit` candidates are ever held.

use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// The order hits are ranked in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HitOrder {
    /// Best score first (BM25).
    #[default]
    Score,
    /// The turn's time: moments first (earliest first), then offsets into a recording, then
    /// turns without a time.
    Time,
    /// Conversation id, then turn number.
    Position,
}

/// Where a hit sorts among the others: lower first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SortKey {
    /// The order's own criterion, as `(class, value)`: a score, a time, or nothing.
    pub rank: (u8, i64),
    pub conversation: String,
    pub turn: u64,
}

/// A hit chosen for a page: its score, its place in the order and where its document is.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub score: f32,
    pub key: SortKey,
    pub addr: DocAddress,
}

/// Collects the first `k` matching turns in `order` (with a [`tantivy::collector::Count`]
/// beside it for the total).
pub struct TopOrdered {
    pub order: HitOrder,
    pub k: usize,
}

impl Collector for TopOrdered {
    type Fruit = Vec<Ranked>;
    type Child = SegmentTop;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTop> {
        let ff = reader.fast_fields();
        let (time, offset) = match self.order {
            // A segment whose turns have no times may have no column: every turn is untimed.
            HitOrder::Time => (
                ff.column_opt::<tantivy::DateTime>("time")?,
                ff.column_opt::<u64>("offset")?,
            ),
            _ => (None, None),
        };
        Ok(SegmentTop {
            order: self.order,
            k: self.k,
            segment,
            conversation: ff.str("conversation")?,
            turn: ff.u64("turn")?,
            time,
            offset,
            heap: BinaryHeap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        // Every hit carries its score, whatever the order.
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Ranked>>) -> tantivy::Result<Vec<Ranked>> {
        Ok(merge(fruits.into_iter().flatten(), self.k))
    }
}

/// The first `k` of `hits` in key order (ties, which only documents of one turn indexed twice
/// could make, by document address).
pub fn merge(hits: impl IntoIterator<Item = Ranked>, k: usize) -> Vec<Ranked> {
    let mut all: Vec<Ranked> = hits.into_iter().collect();
    all.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.addr.cmp(&b.addr)));
    all.truncate(k);
    all
}

/// A candidate inside one segment: conversation ids as the segment's term ordinals, which sort
/// as the ids do, so no id is read until the segment's best are known.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Candidate {
    rank: (u8, i64),
    conversation: u64,
    turn: u64,
    doc: DocId,
    /// Bits of the score (it is in `rank` already when the order is by score).
    score: u32,
}

/// One segment's first `k`, in a max-heap whose top is the worst kept.
pub struct SegmentTop {
    order: HitOrder,
    k: usize,
    segment: SegmentOrdinal,
    conversation: Option<StrColumn>,
    turn: Column<u64>,
    time: Option<Column<tantivy::DateTime>>,
    offset: Option<Column<u64>>,
    heap: BinaryHeap<Candidate>,
}

impl SegmentTop {
    fn rank(&self, doc: DocId, score: Score) -> (u8, i64) {
        match self.order {
            HitOrder::Score => (0, score_rank(score)),
            HitOrder::Position => (0, 0),
            HitOrder::Time => {
                let at = self.time.as_ref().and_then(|c| c.first(doc));
                let offset = self.offset.as_ref().and_then(|c| c.first(doc));
                match (at, offset) {
                    (Some(at), _) => (0, at.into_timestamp_millis()),
                    (None, Some(ms)) => (1, i64::try_from(ms).unwrap_or(i64::MAX)),
                    (None, None) => (2, 0),
                }
            }
        }
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<Ranked>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if self.k == 0 {
            return;
        }
        let rank = self.rank(doc, score);
        // Most matches lose on rank alone, before any column is read.
        if self.heap.len() >= self.k && self.heap.peek().is_some_and(|worst| rank > worst.rank) {
            return;
        }
        let conversation = self
            .conversation
            .as_ref()
            .and_then(|c| c.term_ords(doc).next())
            .unwrap_or(u64::MAX);
        self.heap.push(Candidate {
            rank,
            conversation,
            turn: self.turn.first(doc).unwrap_or(0),
            doc,
            score: score.to_bits(),
        });
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    fn harvest(self) -> Vec<Ranked> {
        let candidates = self.heap.into_vec();
        let ids = conversation_ids(self.conversation.as_ref(), &candidates);
        candidates
            .into_iter()
            .map(|c| Ranked {
                score: f32::from_bits(c.score),
                key: SortKey {
                    rank: c.rank,
                    conversation: ids
                        .binary_search_by_key(&c.conversation, |(ord, _)| *ord)
                        .map(|i| ids[i].1.clone())
                        .unwrap_or_default(),
                    turn: c.turn,
                },
                addr: DocAddress::new(self.segment, c.doc),
            })
            .collect()
    }
}

/// The conversation id of each distinct ordinal among `candidates`, sorted by ordinal: one
/// streaming pass over the term dictionary (a lookup per candidate decoded a dictionary block
/// each time, and a deep page holds thousands). A failed read leaves ids empty: hits still sort.
fn conversation_ids(column: Option<&StrColumn>, candidates: &[Candidate]) -> Vec<(u64, String)> {
    let mut ords: Vec<u64> = candidates.iter().map(|c| c.conversation).collect();
    ords.sort_unstable();
    ords.dedup();
    ords.retain(|&o| o != u64::MAX);
    let mut names = Vec::with_capacity(ords.len());
    if let Some(col) = column {
        let read = col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
            names.push(String::from_utf8_lossy(bytes).into_owned())
        });
        if read.is_err() || names.len() != ords.len() {
            names.clear();
        }
    }
    names.resize(ords.len(), String::new());
    ords.into_iter().zip(names).collect()
}

/// A score as a rank: higher scores lower, in `f32::total_cmp`'s order.
fn score_rank(score: Score) -> i64 {
    let bits = score.to_bits() as i32;
    let ordered = if bits < 0 { bits ^ i32::MAX } else { bits };
    -i64::from(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_scores_rank_first() {
        let scores = [3.5f32, -1.0, 0.0, 12.25, 0.001, -0.0, f32::MAX];
        let mut by_rank = scores.to_vec();
        by_rank.sort_by_key(|s| score_rank(*s));
        let mut by_score = scores.to_vec();
        by_score.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(by_rank, by_score);
    }

    fn ranked(rank: i64, conversation: &str, turn: u64) -> Ranked {
        Ranked {
            score: 0.0,
            key: SortKey {
                rank: (0, rank),
                conversation: conversation.into(),
                turn,
            },
            addr: DocAddress::new(0, turn as u32),
        }
    }

    #[test]
    fn ties_fall_back_to_conversation_then_turn() {
        let hits = vec![
            ranked(1, "b", 0),
            ranked(0, "z", 9),
            ranked(1, "a", 5),
            ranked(1, "a", 2),
        ];
        let order: Vec<(String, u64)> = merge(hits, 3)
            .into_iter()
            .map(|r| (r.key.conversation, r.key.turn))
            .collect();
        assert_eq!(
            order,
            vec![("z".into(), 9), ("a".into(), 2), ("a".into(), 5)]
        );
    }
}
