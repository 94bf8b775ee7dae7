//! The index schema: one tantivy document per turn, plus one per conversation.
//!
//! Field names are part of the query syntax (`speaker:A`, `conversation:…`, `zh:算法`), so they are
//! short and stable. Bump [`SCHEMA_VERSION`] on any change: ingest then rebuilds old indexes.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, Schema, TextFieldIndexing,
    TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};

use crate::analyzer::terms::TERMS_TOKENIZER;
use crate::analyzer::ANALYZER;

/// Version of the on-disk layout (schema and manifest).
pub const SCHEMA_VERSION: u32 = 8;

/// Tokenizer for speaker labels: the whole label, lowercased, so `--speaker alice` finds `Alice`.
pub const LABEL_TOKENIZER: &str = "colloquy_label";

/// Languages a query may name as a field (`zh:算法`, `en:art`): the literal in a turn with a span
/// of that language (see `search::lang_fields_as_filters`).
pub const LANG_FIELDS: [&str; 4] = ["zh", "en", "ja", "ko"];

pub const KIND_TURN: &str = "turn";
pub const KIND_CONVERSATION: &str = "conversation";

/// Handles to every field of the schema.
#[derive(Clone, Debug)]
pub struct Fields {
    pub kind: Field,
    pub conversation: Field,
    pub source: Field,
    pub record: Field,
    pub line: Field,
    pub turn: Field,
    pub speaker: Field,
    pub languages: Field,
    pub dominant: Field,
    pub code_switched: Field,
    pub spans: Field,
    pub text: Field,
    pub exact: Field,
    pub original: Field,
    pub repaired: Field,
    pub guesses: Field,
    pub title: Field,
    pub preamble: Field,
    pub turns: Field,
    pub time: Field,
    pub offset: Field,
    pub meta: Field,
    pub metadata: Field,
    pub conversation_metadata: Field,
}

fn analyzed(stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(ANALYZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let opts = TextOptions::default().set_indexing_options(indexing);
    if stored {
        opts.set_stored()
    } else {
        opts
    }
}

/// Build the schema.
pub fn build() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field("kind", STRING);
    b.add_text_field("conversation", STRING | STORED | FAST);
    b.add_text_field("source", STRING | STORED);
    // Indexed so that a source pointer (`file#record`, `file:line`) finds its turn.
    b.add_u64_field("record", INDEXED | STORED);
    b.add_u64_field("line", INDEXED | STORED);
    b.add_u64_field("turn", INDEXED | STORED | FAST);
    let label = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(LABEL_TOKENIZER)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored();
    b.add_text_field("speaker", label);
    b.add_text_field("lang", STRING | STORED);
    b.add_text_field("dominant", STRING | STORED);
    b.add_bool_field("mixed", INDEXED | STORED);
    // Compact binary (index::stored): most of a damaged turn's stored bytes were these as JSON.
    b.add_bytes_field("spans", STORED);
    b.add_text_field("text", analyzed(true));
    // Surface forms of alphabetic words (`=feelings`, `photo*`, `photograpy~1`, `/colou?r/`):
    // document ids only, no frequencies or positions, so a turn's value is its distinct terms,
    // analysed by the ingest workers (analyzer::terms).
    b.add_text_field(
        "exact",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TERMS_TOKENIZER)
                .set_index_option(IndexRecordOption::Basic),
        ),
    );
    // The page bytes of index::stored::encode_original.
    b.add_bytes_field("original", STORED);
    b.add_bool_field("repaired", INDEXED | STORED);
    b.add_bytes_field("guesses", STORED);
    b.add_text_field("title", analyzed(true));
    b.add_text_field("preamble", STORED);
    b.add_u64_field("turns", STORED);
    // Turn times: a moment (chat logs) or an offset into a recording (subtitles).
    let date =
        DateOptions::from(INDEXED | STORED | FAST).set_precision(DateTimePrecision::Milliseconds);
    b.add_date_field("time", date);
    b.add_u64_field("offset", INDEXED | STORED | FAST);
    // `key=value` per metadata scalar (conversation's and turn's), lowercased, for `--where`.
    b.add_text_field("meta", STRING);
    b.add_text_field("metadata", STORED);
    b.add_text_field("conversation_metadata", STORED);
    b.build()
}

impl Fields {
    pub fn new(schema: &Schema) -> tantivy::Result<Self> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            kind: f("kind")?,
            conversation: f("conversation")?,
            source: f("source")?,
            record: f("record")?,
            line: f("line")?,
            turn: f("turn")?,
            speaker: f("speaker")?,
            languages: f("lang")?,
            dominant: f("dominant")?,
            code_switched: f("mixed")?,
            spans: f("spans")?,
            text: f("text")?,
            exact: f("exact")?,
            original: f("original")?,
            repaired: f("repaired")?,
            guesses: f("guesses")?,
            title: f("title")?,
            preamble: f("preamble")?,
            turns: f("turns")?,
            time: f("time")?,
            offset: f("offset")?,
            meta: f("meta")?,
            metadata: f("metadata")?,
            conversation_metadata: f("conversation_metadata")?,
        })
    }
}

/// Register every tokenizer the schema names on `index`.
pub fn register_tokenizers(index: &tantivy::Index) {
    crate::analyzer::register(index);
    index.tokenizers().register(
        LABEL_TOKENIZER,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}
