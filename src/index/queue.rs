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
    in_flight: Mutex<usize>,
    room: Condvar,
    budget: usize,
}

impl Gate {
    pub fn new(budget: usize) -> Arc<Gate> {
        Arc::new(Gate {
            in_flight: Mutex::new(0),
            room: Condvar::new(),
            budget,
        })
    }

    /// Wrap `doc` of about `bytes`, first waiting until it fits the budget (a document alone
    /// larger than the budget waits for an empty queue).
    pub fn admit(self: &Arc<Gate>, doc: TantivyDocument, bytes: usize) -> Queued {
        let started = Instant::now();
        if let Ok(mut held) = self.in_flight.lock() {
            while *held > 0 && *held + bytes > self.budget {
                let left = MAX_WAIT.saturating_sub(started.elapsed());
                if left.is_zero() {
                    break;
                }
                match self.room.wait_timeout(held, left) {
                    Ok((guard, _)) => held = guard,
                    // A poisoned lock: the count is only a bound on memory; stop waiting.
                    Err(_) => return self.queued(doc, 0),
                }
            }
            *held += bytes;
            drop(held);
            return self.queued(doc, bytes);
        }
        self.queued(doc, 0)
    }

    fn queued(self: &Arc<Gate>, doc: TantivyDocument, bytes: usize) -> Queued {
        Queued {
            doc,
            bytes,
            gate: Arc::clone(self),
        }
    }

    fn give_back(&self, bytes: usize) {
        if let Ok(mut held) = self.in_flight.lock() {
            *held = held.saturating_sub(bytes);
        }
        self.room.notify_all();
    }

    /// Bytes of documents not yet indexed.
    #[cfg(test)]
    pub fn in_flight(&self) -> usize {
        self.in_flight.lock().map_or(0, |held| *held)
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

    #[test]
    fn an_add_waits_until_the_indexing_thread_drops_a_document() {
        let gate = Gate::new(100);
        let first = gate.admit(TantivyDocument::new(), 80);
        assert_eq!(gate.in_flight(), 80);
        let (tx, rx) = mpsc::channel();
        let other = Arc::clone(&gate);
        let adder = std::thread::spawn(move || {
            let second = other.admit(TantivyDocument::new(), 50);
            let _ = tx.send(());
            second
        });
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
