//! The index folder: tantivy's segments plus colloquy's manifest. Owns the schema, the documents
//! written per conversation, the manifest, and opening an index for reading or writing; `ingest`
//! writes through it and `search`/`stats` read through it.

pub mod manifest;
pub mod schema;
pub mod stored;
pub mod writer;

use std::path::Path;

use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{Index, IndexSettings};

use crate::error::{Error, Result};
pub use manifest::{FileEntry, FileStats, Manifest, MANIFEST};

/// True when `dir` holds a colloquy index.
pub fn exists(dir: &Path) -> bool {
    dir.join("meta.json").is_file() && dir.join(MANIFEST).is_file()
}

/// Open an existing index for reading, with colloquy's tokenizers registered.
pub fn open(dir: &Path) -> Result<Index> {
    if !exists(dir) {
        return Err(Error::IndexMissing {
            path: dir.to_owned(),
        });
    }
    let index = Index::open_in_dir(dir).map_err(|source| Error::Index {
        path: dir.to_owned(),
        source,
    })?;
    schema::register_tokenizers(&index);
    Ok(index)
}

/// The manifest of the index at `dir`, or a clear error.
pub fn manifest(dir: &Path) -> Result<Manifest> {
    if !exists(dir) {
        return Err(Error::IndexMissing {
            path: dir.to_owned(),
        });
    }
    manifest::read(dir).ok_or_else(|| Error::Manifest {
        path: dir.join(MANIFEST),
        reason: "unreadable; run `colloquy ingest --rebuild`".into(),
    })
}

/// Open the index at `dir` for writing, with its manifest; a new index when there is none, and
/// a fresh one (`rebuilt` = true) when the one there cannot be trusted.
pub fn open_for_writing(dir: &Path) -> Result<(Index, Manifest, bool)> {
    let mut rebuilt = false;
    if dir.join("meta.json").is_file() {
        let manifest = manifest::read(dir).unwrap_or_default();
        let index = Index::open_in_dir(dir).map_err(|source| Error::Index {
            path: dir.to_owned(),
            source,
        });
        let consistent = manifest.schema_version == schema::SCHEMA_VERSION
            && index
                .as_ref()
                .ok()
                .and_then(|i| i.load_metas().ok())
                .is_some_and(|m| m.opstamp == manifest.opstamp);
        if let (Ok(index), true) = (index, consistent) {
            schema::register_tokenizers(&index);
            return Ok((index, manifest, false));
        }
        // An index from another schema version, or whose manifest does not describe its last
        // commit: nothing in it can be trusted, so start over.
        clear(dir)?;
        rebuilt = true;
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create index folder {}", dir.display()), e))?;
    Ok((create(dir)?, Manifest::default(), rebuilt))
}

fn create(dir: &Path) -> Result<Index> {
    // Stored turns (text, original, guesses) are most of the index; zstd over 64 KiB blocks keeps
    // them about half the size lz4 gives, and a hit only ever decompresses one block.
    let settings = IndexSettings {
        docstore_compression: Compressor::Zstd(ZstdCompressor {
            compression_level: Some(3),
        }),
        docstore_blocksize: 64 * 1024,
        ..IndexSettings::default()
    };
    let index = Index::builder()
        .schema(schema::build())
        .settings(settings)
        .create_in_dir(dir)
        .map_err(|source| Error::Index {
            path: dir.to_owned(),
            source,
        })?;
    schema::register_tokenizers(&index);
    Ok(index)
}

/// Remove an old index's files, keeping anything that is not tantivy's or ours (e.g. `.gitkeep`).
fn clear(dir: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(format!("cannot read index folder {}", dir.display()), e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name == "meta.json"
            || name == MANIFEST
            || name == ".managed.json"
            || name.starts_with(".tantivy-")
            || name.split('.').next().is_some_and(|stem| {
                stem.len() == 32 && stem.chars().all(|c| c.is_ascii_hexdigit())
            });
        if ours && entry.path().is_file() {
            std::fs::remove_file(entry.path())
                .map_err(|e| Error::io(format!("cannot remove {}", entry.path().display()), e))?;
        }
    }
    Ok(())
}
