//! Library error type: every failure a caller can act on, with the path or query that caused it.

use std::path::PathBuf;

/// Errors surfaced by the colloquy library. The CLI maps them to exit codes:
/// [`Error::Query`] is the user's mistake (exit 2), the rest are environment problems.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("corpus not found: {path} does not exist (pass --corpus DIR, or run from a folder that has a corpus/ directory)")]
    CorpusMissing { path: PathBuf },

    #[error("no index at {path}: run `colloquy ingest` first, or pass --index DIR")]
    IndexMissing { path: PathBuf },

    /// `position`: the character of `query` the caret of `reason` points at, when there is one.
    #[error("invalid query {query:?}: {reason}")]
    Query {
        query: String,
        reason: String,
        position: Option<usize>,
    },

    #[error("{flag} {value:?} matches nothing in the index; known values: {}", known.join(", "))]
    UnknownValue {
        flag: String,
        value: String,
        known: Vec<String>,
    },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("index error at {path}: {source}")]
    Index {
        path: PathBuf,
        #[source]
        source: tantivy::TantivyError,
    },

    #[error("{0}")]
    Tantivy(#[from] tantivy::TantivyError),

    #[error("{0}")]
    Format(String),

    /// A request's option out of its range or in the wrong form (a bad `--since`, `where=`,
    /// `--window`): the user's mistake, like [`Error::Query`].
    #[error("{0}")]
    Invalid(String),

    #[error("{path} is not empty and is not a colloquy index (it has no colloquy-manifest.json); colloquy never writes into or deletes files it did not write: choose an empty or new folder with --index")]
    NotAnIndex { path: PathBuf },

    #[error("another colloquy ingest is writing {path}; wait for it to finish")]
    Busy { path: PathBuf },

    #[error("the index at {path} is damaged ({reason}); run `colloquy ingest --rebuild --index {path}` to build it again from its corpus")]
    Damaged { path: PathBuf, reason: String },

    #[error("no conversation {id:?} in the index{}", if near.is_empty() { String::new() } else { format!("; ids nearest to it: {}", near.join(", ")) })]
    UnknownConversation { id: String, near: Vec<String> },

    #[error("conversation {id} has no turn {turn}: its turns are 0 to {}{}", turns.saturating_sub(1), if *turn >= *turns { format!("; the nearest is {id}:{}", turns.saturating_sub(1)) } else { String::new() })]
    TurnOutOfRange { id: String, turn: u64, turns: u64 },

    #[error("the index at {path} was written by another version of colloquy and lacks fields this one reads; run `colloquy ingest --index {path}` to rebuild it from its corpus")]
    OldLayout { path: PathBuf },

    #[error("corrupt index manifest {path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
