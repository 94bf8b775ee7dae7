//! colloquy: a search engine for dialogue corpora.
//!
//! The modules follow the data flow of ingest and search:
//! [`decode`] (bytes → text) → [`repair`] (mojibake → text) → [`turns`] (text → speaker turns) →
//! [`spans`] (turn → language spans) → [`pipeline`] (those stages for one file) → [`analyzer`] and
//! [`schema`] (how turns are indexed) → [`ingest`] (corpus → index) → [`search`] (query → hits) →
//! [`output`] (hits → terminal or JSON).

pub mod analyzer;
pub mod bench;
pub mod decode;
pub mod error;
pub mod formats;
pub mod ingest;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod repair;
pub mod schema;
pub mod search;
pub mod spans;
pub mod stats;
pub mod turns;

pub use error::{Error, Result};
