//! The documents between ingest's threads and tantivy's indexing thread, bounded in bytes.
//!
//! tantivy's queue is bounded in documents (10,000), not bytes, and fills whenever its indexing
//! thread stops to write a segment out: at 1 GB, each of a dozen flushes found ~20 MB of turns
//! waiting, on top of a full indexing arena, and the heap kept that high-water mark (peak RSS of a
//! 1 GB ingest: 223 MB with tantivy's bound alone, 211 with 8 MB here, 185 with 2 MB, ingest time
//! unchanged: producers waiting during a flush had a full queue to wait on before). A document
//! here carries its size and gives it back when the indexing thread has indexed and dropped it;
//! a thread adding one waits while the documents in flight hold more than the budget.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tantivy::{Document, TantivyDocument};

/// Bytes of documents in flight before a thread adding one waits.
pub const IN_FLIGHT_BYTES: usize = 2 << 20;

/// How long one add waits for room at most. Past it the document is added anyway (tantivy's own
/// bound still holds): a stalled or failed indexing thread must never hang an ingest, and its
/// error surfaces from the add.
const MAX_WAIT: Duration = Duration::from_secs(10);

/// The bytes in flight, shared by the queued documents and the threads adding them.
#[derive(Debug)]
pub struct Gate {
    state: Mutex<InFlight>,
    room: Condvar,
    budget: usize,
}

#[derive(Debug, Default)]
struct InFlight {
    bytes: usize,
    /// Threads waiting for room: a dropped document wakes them only if there are any, so the
    /// common case (the indexing thread keeping up) costs no system call per document.
    waiting: usize,
}

impl Gate {
    pub fn new(budget: usize) -> Arc<Gate> {
        Arc::new(Gate {
            state: Mutex::new(InFlight::default()),
            room: Condvar::new(),
            budget,
        })
    }

    /// Wrap `doc` of about `bytes`, first waiting until it fits the budget (a document alone
    /// larger than the budget waits for an empty queue). A poisoned lock stops the counting:
    /// it is only a bound on memory.
    pub fn admit(self: &Arc<Gate>, doc: TantivyDocument, bytes: usize) -> Queued {
        let Ok(mut held) = self.state.lock() else {
            return self.queued(doc, 0);
        };
        let started = Instant::now();
        while held.bytes > 0 && held.bytes + bytes > self.budget {
            let left = MAX_WAIT.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            held.waiting += 1;
            let Ok((guard, _)) = self.room.wait_timeout(held, left) else {
                return self.queued(doc, 0);
            };
            held = guard;
            held.waiting -= 1;
        }
        held.bytes += bytes;
        drop(held);
        self.queued(doc, bytes)
    }

    fn queued(self: &Arc<Gate>, doc: TantivyDocument, bytes: usize) -> Queued {
        Queued {
            doc,
            bytes,
            gate: Arc::clone(self),
        }
    }

    fn give_back(&self, bytes: usize) {
        let Ok(mut held) = self.state.lock() else {
            return;
        };
        held.bytes = held.bytes.saturating_sub(bytes);
        // Waiters wake once half the budget is free, and then add documents in a burst: woken at
        // every dropped document, each waiting thread was switched in and out per document
        // whenever the indexing thread was the slower side.
        if held.waiting > 0 && held.bytes <= self.budget / 2 {
            self.room.notify_all();
        }
    }

    /// Threads waiting for room.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.state.lock().map_or(0, |held| held.waiting)
    }

    /// Bytes of documents not yet indexed.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.state.lock().map_or(0, |held| held.bytes)
    }
}

/// A document counted in its [`Gate`] until tantivy drops it.
pub struct Queued {
    doc: TantivyDocument,
    bytes: usize,
    gate: Arc<Gate>,
}

impl Drop for Queued {
    fn drop(&mut self) {
        self.gate.give_back(self.bytes);
    }
}

impl Document for Queued {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// An add of `bytes` on another thread, and a signal sent once it got in.
    fn add_elsewhere(
        gate: &Arc<Gate>,
        bytes: usize,
    ) -> (std::thread::JoinHandle<Queued>, mpsc::Receiver<()>) {
        let (tx, rx) = mpsc::channel();
        let other = Arc::clone(gate);
        let adder = std::thread::spawn(move || {
            let queued = other.admit(TantivyDocument::new(), bytes);
            let _ = tx.send(());
            queued
        });
        (adder, rx)
    }

    #[test]
    fn an_add_waits_until_the_indexing_thread_drops_a_document() {
        let gate = Gate::new(100);
        let first = gate.admit(TantivyDocument::new(), 80);
        assert_eq!(gate.in_flight(), 80);
        let (adder, rx) = add_elsewhere(&gate, 50);
        // 80 + 50 does not fit: the second add is still waiting.
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        drop(first);
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok());
        let second = adder.join().expect("adder");
        assert_eq!(gate.in_flight(), 50);
        drop(second);
        assert_eq!(gate.in_flight(), 0);
    }

    #[test]
    fn waiting_adds_wake_when_half_the_budget_is_free() {
        let gate = Gate::new(100);
        let docs: Vec<Queued> = (0..4)
            .map(|_| gate.admit(TantivyDocument::new(), 25))
            .collect();
        let (adder, rx) = add_elsewhere(&gate, 25);
        let started = Instant::now();
        while gate.waiting() == 0 && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(gate.waiting(), 1);
        let mut docs = docs.into_iter();
        drop(docs.next());
        // 75 in flight: room for 25, but not half the budget free; the add still waits.
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        drop(docs.next());
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok());
        let next = adder.join().expect("adder");
        assert_eq!(gate.in_flight(), 75);
        drop(next);
        drop(docs);
        assert_eq!(gate.in_flight(), 0);
    }

    #[test]
    fn a_document_larger_than_the_budget_passes_an_empty_queue() {
        let gate = Gate::new(10);
        let big = gate.admit(TantivyDocument::new(), 1000);
        assert_eq!(gate.in_flight(), 1000);
        drop(big);
        let small = gate.admit(TantivyDocument::new(), 5);
        assert_eq!(gate.in_flight(), 5);
        drop(small);
    }
}
