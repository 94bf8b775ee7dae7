//! Processed conversations → tantivy documents: one per turn, plus one per conversation.

use std::sync::Arc;

use tantivy::schema::Term;
use tantivy::{doc, DateTime, IndexWriter, TantivyDocument};

use super::queue::{Gate, Queued, IN_FLIGHT_BYTES};
use super::schema::{Fields, KIND_CONVERSATION, KIND_TURN};
use super::stored;
use crate::analyzer::terms::exact_terms;
use crate::error::Result;
use crate::model::{Metadata, Timestamp};
use crate::pipeline::{Conversation, Turn};

/// Where a conversation came from, as the index names it.
pub struct Placement<'a> {
    /// The conversation's id (`file id`, or `file id#key`).
    pub id: &'a str,
    /// The source file, as displayed.
    pub source: &'a str,
}

/// tantivy's index writer, fed through a queue bounded in bytes (see [`super::queue`]).
pub struct Writer {
    pub tantivy: IndexWriter<Queued>,
    gate: Arc<Gate>,
}

impl Writer {
    pub fn new(tantivy: IndexWriter<Queued>) -> Writer {
        Writer {
            tantivy,
            gate: Gate::new(IN_FLIGHT_BYTES),
        }
    }

    /// Add `doc` of about `bytes`, once the documents in flight leave room for it.
    fn add(&self, doc: TantivyDocument, bytes: usize) -> Result<()> {
        self.tantivy.add_document(self.gate.admit(doc, bytes))?;
        Ok(())
    }
}

/// Delete every document of a source file.
pub fn delete_source(writer: &Writer, f: &Fields, source: &str) {
    writer
        .tantivy
        .delete_term(Term::from_field_text(f.source, source));
}

/// What a document's values and its container take, besides the text fields counted apart.
const DOC_OVERHEAD: usize = 256;

/// Add a conversation's documents.
pub fn add_conversation(
    writer: &Writer,
    f: &Fields,
    at: &Placement,
    conv: &Conversation,
) -> Result<()> {
    let conv_meta = metadata_json(&conv.metadata);
    let mut head = doc!(
        f.kind => KIND_CONVERSATION,
        f.conversation => at.id,
        f.source => at.source,
        f.line => conv.origin.line,
        f.title => conv.title.as_str(),
        f.preamble => conv.preamble.as_str(),
        f.turns => conv.turns.len() as u64,
    );
    if let Some(r) = conv.origin.record {
        head.add_u64(f.record, r);
    }
    if let Some(m) = &conv_meta {
        head.add_text(f.conversation_metadata, m);
    }
    add_meta_terms(&mut head, f, &conv.metadata);
    add_time(&mut head, f, conv.time);
    let placed = at.id.len() + at.source.len() + DOC_OVERHEAD;
    let meta_bytes = conv_meta.as_ref().map_or(0, String::len);
    writer.add(
        head,
        placed + conv.title.len() + conv.preamble.len() + meta_bytes,
    )?;
    for turn in &conv.turns {
        let (mut d, bytes) = turn_doc(f, at, conv, turn);
        if let Some(m) = &conv_meta {
            d.add_text(f.conversation_metadata, m);
        }
        writer.add(d, placed + meta_bytes + bytes)?;
    }
    Ok(())
}

/// A turn's document and about how many bytes its values take beyond placement and the
/// conversation's metadata.
fn turn_doc(
    f: &Fields,
    at: &Placement,
    conv: &Conversation,
    turn: &Turn,
) -> (TantivyDocument, usize) {
    let spans = stored::encode_spans(&turn.spans);
    let exact = exact_terms(&turn.text);
    let mut bytes = turn.text.len() + exact.len() + conv.title.len() + spans.len();
    let mut d = doc!(
        f.kind => KIND_TURN,
        f.conversation => at.id,
        f.source => at.source,
        f.line => turn.origin.line,
        f.turn => turn.index as u64,
        f.speaker => turn.speaker.as_str(),
        f.title => conv.title.as_str(),
        f.text => turn.text.as_str(),
        f.exact => exact,
        f.repaired => turn.repaired(),
        f.code_switched => turn.code_switched,
        f.spans => spans,
    );
    if let Some(r) = turn.origin.record {
        d.add_u64(f.record, r);
    }
    for lang in &turn.languages {
        d.add_text(f.languages, lang);
    }
    if let Some(dominant) = &turn.dominant_language {
        d.add_text(f.dominant, dominant);
    }
    if let Some(original) = &turn.original {
        let encoded = stored::encode_original(original, &turn.text, &turn.guesses);
        bytes += encoded.len();
        d.add_bytes(f.original, &encoded);
    }
    if !turn.guesses.is_empty() {
        let encoded = stored::encode_guesses(&turn.guesses, &turn.text);
        bytes += encoded.len();
        d.add_bytes(f.guesses, &encoded);
    }
    if let Some(m) = metadata_json(&turn.metadata) {
        bytes += m.len();
        d.add_text(f.metadata, m);
    }
    // A turn is found by its conversation's metadata and, without a time of its own, its time.
    add_meta_terms(&mut d, f, &conv.metadata);
    add_meta_terms(&mut d, f, &turn.metadata);
    add_time(&mut d, f, turn.time.or(conv.time));
    (d, bytes)
}

fn metadata_json(m: &Metadata) -> Option<String> {
    (!m.is_empty()).then(|| serde_json::to_string(m).unwrap_or_default())
}

/// The `--where` term of a metadata field and one of its values.
pub fn meta_term(key: &str, value: &str) -> String {
    format!(
        "{}={}",
        key.trim().to_lowercase(),
        value.trim().to_lowercase()
    )
}

fn add_meta_terms(d: &mut TantivyDocument, f: &Fields, m: &Metadata) {
    for (key, value) in m {
        for v in value.terms() {
            d.add_text(f.meta, meta_term(key, &v));
        }
    }
}

fn add_time(d: &mut TantivyDocument, f: &Fields, t: Option<Timestamp>) {
    match t {
        Some(Timestamp::At(ms)) => d.add_date(f.time, DateTime::from_timestamp_millis(ms)),
        Some(Timestamp::Offset(ms)) => d.add_u64(f.offset, ms),
        None => {}
    }
}
