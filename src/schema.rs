//! The index schema: one tantivy document per turn, plus one per conversation.
//!
//! Field names are part of the query syntax (`speaker:A`, `conversation:…`, `zh:算法`), so they are
//! short and stable. Bump [`SCHEMA_VERSION`] on any change: ingest then rebuilds old indexes.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};

use crate::analyzer::ANALYZER;

/// Version of the on-disk layout (schema and manifest).
pub const SCHEMA_VERSION: u32 = 2;

/// Tokenizer for speaker labels: the whole label, lowercased, so `--speaker alice` finds `Alice`.
pub const LABEL_TOKENIZER: &str = "colloquy_label";

/// Languages that get a language-restricted text field (`zh:算法`, `en:art`).
pub const LANG_FIELDS: [&str; 4] = ["zh", "en", "ja", "ko"];

pub const KIND_TURN: &str = "turn";
pub const KIND_CONVERSATION: &str = "conversation";

/// Handles to every field of the schema.
#[derive(Clone, Debug)]
pub struct Fields {
    pub kind: Field,
    pub conversation: Field,
    pub source: Field,
    pub line: Field,
    pub turn: Field,
    pub speaker: Field,
    pub languages: Field,
    pub dominant: Field,
    pub code_switched: Field,
    pub spans: Field,
    pub text: Field,
    pub original: Field,
    pub repaired: Field,
    pub guesses: Field,
    pub title: Field,
    pub preamble: Field,
    pub turns: Field,
    pub lang_fields: Vec<(String, Field)>,
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
    b.add_u64_field("line", STORED);
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
    b.add_text_field("spans", STORED);
    b.add_text_field("text", analyzed(true));
    b.add_text_field("original", STORED);
    b.add_bool_field("repaired", INDEXED | STORED);
    b.add_text_field("guesses", STORED);
    b.add_text_field("title", analyzed(true));
    b.add_text_field("preamble", STORED);
    b.add_u64_field("turns", STORED);
    for lang in LANG_FIELDS {
        b.add_text_field(lang, analyzed(false));
    }
    b.build()
}

impl Fields {
    pub fn new(schema: &Schema) -> tantivy::Result<Self> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            kind: f("kind")?,
            conversation: f("conversation")?,
            source: f("source")?,
            line: f("line")?,
            turn: f("turn")?,
            speaker: f("speaker")?,
            languages: f("lang")?,
            dominant: f("dominant")?,
            code_switched: f("mixed")?,
            spans: f("spans")?,
            text: f("text")?,
            original: f("original")?,
            repaired: f("repaired")?,
            guesses: f("guesses")?,
            title: f("title")?,
            preamble: f("preamble")?,
            turns: f("turns")?,
            lang_fields: LANG_FIELDS
                .iter()
                .map(|l| f(l).map(|field| ((*l).to_owned(), field)))
                .collect::<tantivy::Result<_>>()?,
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
