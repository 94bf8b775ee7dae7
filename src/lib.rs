//! colloquy: a search engine for dialogue corpora.
//!
//! The modules follow the data flow of ingest and search:
//! [`formats`] (files → conversations of the [`model`], using [`decode`] for bytes → text) →
//! [`repair`] (mojibake → text) → [`spans`] (turn → language spans) → [`pipeline`] (those stages
//! for one conversation) → [`analyzer`] and [`index`] (how turns are stored and indexed) →
//! [`ingest`] (corpus → index) → [`search`] (query → hits) → [`output`] (hits → terminal or JSON);
//! [`aggregate`] counts the turns a search selects (frequency lists, n-grams, collocates).

pub mod aggregate;
pub mod analyzer;
pub mod bench;
pub mod decode;
pub mod dictionary;
pub mod error;
pub mod facets;
pub mod formats;
pub mod index;
pub mod ingest;
pub mod kwic;
pub mod model;
pub mod multi;
pub mod order;
pub mod output;
pub mod pipeline;
pub mod query;
pub mod repair;
pub mod request;
pub mod search;
#[cfg(feature = "server")]
pub mod serve;
pub mod spans;
pub mod stats;

pub use error::{Error, Result};
