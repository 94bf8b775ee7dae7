//! The index folder: tantivy's segments plus colloquy's manifest. Owns the schema, the documents
//! written per conversation, the manifest, and opening an index for reading or writing; `ingest`
//! writes through it and `search`/`stats` read through it.

pub mod manifest;
mod queue;
mod reading;
pub mod schema;
pub mod stored;
pub mod writer;

use std::path::Path;

use tantivy::schema::{Field, Value};
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
    if folder_state(dir) == FolderState::Foreign {
        return Err(Error::NotAnIndex {
            path: dir.to_owned(),
        });
    }
    if !exists(dir) {
        return Err(Error::IndexMissing {
            path: dir.to_owned(),
        });
    }
    let directory = reading::Reading::open(dir).map_err(|source| Error::Index {
        path: dir.to_owned(),
        source,
    })?;
    let index = Index::open(directory).map_err(|source| Error::Damaged {
        path: dir.to_owned(),
        reason: source.to_string(),
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

/// What a folder given as `--index` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderState {
    /// No folder, or one holding nothing but hidden files (`.gitkeep`): an index may be made.
    Empty,
    /// A colloquy index: its manifest is there (written before anything else).
    Ours,
    /// Files that colloquy did not write, or a tantivy index without colloquy's manifest.
    Foreign,
}

/// What `dir` holds; colloquy writes into a folder only when it is empty or its own.
pub fn folder_state(dir: &Path) -> FolderState {
    if dir.join(MANIFEST).is_file() {
        return FolderState::Ours;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return FolderState::Empty;
    };
    let visible = entries.flatten().any(|e| {
        let name = e.file_name();
        let name = name.to_string_lossy();
        !name.starts_with('.') || name == ".managed.json"
    });
    if visible {
        FolderState::Foreign
    } else {
        FolderState::Empty
    }
}

/// The exclusive right to write an index folder, held from before its first byte until the
/// ingest ends (an advisory lock on `colloquy-writer.lock`, released when the process exits, even
/// by kill -9). Readers take no lock.
pub struct WriteLock {
    _file: std::fs::File,
}

pub const WRITE_LOCK: &str = ".colloquy-writer.lock";

fn lock(dir: &Path) -> Result<WriteLock> {
    let path = dir.join(WRITE_LOCK);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(format!("cannot lock {}", path.display()), e))?;
    match file.try_lock() {
        Ok(()) => Ok(WriteLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Busy {
            path: dir.to_owned(),
        }),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(Error::io(format!("cannot lock {}", path.display()), e))
        }
    }
}

/// Open the index at `dir` for writing, with its manifest and the write lock: a new index when
/// the folder is empty, a fresh one (`rebuilt` = true) when colloquy's index there cannot be
/// trusted or `rebuild` asks for it. A folder holding anything else is refused, never emptied.
pub fn open_for_writing(dir: &Path, rebuild: bool) -> Result<(Index, Manifest, bool, WriteLock)> {
    if folder_state(dir) == FolderState::Foreign {
        return Err(Error::NotAnIndex {
            path: dir.to_owned(),
        });
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("cannot create index folder {}", dir.display()), e))?;
    let lock = lock(dir)?;
    // Checked again under the lock: another ingest may have made the index meanwhile.
    if folder_state(dir) == FolderState::Ours && dir.join("meta.json").is_file() {
        let manifest = manifest::read(dir);
        let index = Index::open_in_dir(dir).ok();
        let consistent = match (&manifest, &index) {
            (Some(m), Some(i)) => {
                m.schema_version == schema::SCHEMA_VERSION
                    && i.load_metas().is_ok_and(|meta| meta.opstamp == m.opstamp)
            }
            _ => false,
        };
        if let (Some(manifest), Some(index), true) = (manifest, index, consistent) {
            match check_files(dir, &index) {
                // A rebuild of a sound index replaces its documents in one commit (the caller
                // deletes them all), so searches running meanwhile see the old index to the end.
                Ok(()) => {
                    schema::register_tokenizers(&index);
                    return Ok((index, manifest, rebuild, lock));
                }
                Err(e) if !rebuild => return Err(e),
                Err(_) => {}
            }
        }
        // Another schema version, a manifest that does not describe the last commit, or damaged
        // files to rebuild: start over, deleting only what colloquy and tantivy wrote.
        clear(dir)?;
        let (index, manifest) = create(dir)?;
        return Ok((index, manifest, true, lock));
    }
    let (index, manifest) = create(dir)?;
    Ok((index, manifest, rebuild, lock))
}

/// Every index file's checksum: an update on top of a damaged segment would report success and
/// keep the damage, so it is refused with the fix instead.
fn check_files(dir: &Path, index: &Index) -> Result<()> {
    let bad = index.validate_checksum().map_err(|source| Error::Damaged {
        path: dir.to_owned(),
        reason: source.to_string(),
    })?;
    if bad.is_empty() {
        return Ok(());
    }
    let mut names: Vec<String> = bad.iter().map(|p| p.display().to_string()).collect();
    names.sort();
    Err(Error::Damaged {
        path: dir.to_owned(),
        reason: format!("checksum mismatch in {}", names.join(", ")),
    })
}

/// A new index: the manifest first, so the folder is known as colloquy's from its first byte.
fn create(dir: &Path) -> Result<(Index, Manifest)> {
    let manifest = Manifest {
        schema_version: schema::SCHEMA_VERSION,
        ..Manifest::default()
    };
    manifest::write(dir, &manifest)?;
    // Stored turns (text, original, guesses) are most of the index; zstd over 64 KiB blocks keeps
    // them about half the size lz4 gives, and a hit only ever decompresses one block. Level 7
    // against 3: a 100 MB corpus's document store 49.0 MB instead of 52.3 MB for ~5 % more CPU
    // in ingest; reading a block costs the same at any level.
    let settings = IndexSettings {
        docstore_compression: Compressor::Zstd(ZstdCompressor {
            compression_level: Some(7),
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
    Ok((index, manifest))
}

/// Remove an index's files: tantivy's own (those its `.managed.json` lists, and `meta.json`) and
/// colloquy's manifest; nothing else in the folder is touched.
fn clear(dir: &Path) -> Result<()> {
    let mut names: Vec<String> = std::fs::read(dir.join(".managed.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    names.extend(["meta.json", ".managed.json", MANIFEST].map(String::from));
    for name in names {
        // Names from the file are only ever file names inside this folder.
        if name.contains(['/', '\\']) || name.starts_with("..") {
            continue;
        }
        let path = dir.join(&name);
        if path.is_file() {
            std::fs::remove_file(&path)
                .map_err(|e| Error::io(format!("cannot remove {}", path.display()), e))?;
        }
    }
    Ok(())
}

/// The first stored string of `field` in a document read from the index, borrowed.
pub fn first_str(doc: &tantivy::TantivyDocument, field: Field) -> Option<&str> {
    doc.get_first(field).and_then(|v| v.as_str())
}
