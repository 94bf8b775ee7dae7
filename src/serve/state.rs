//! The indexes a server answers from: opened once, shared by every request, and opened again when
//! an ingest beside the server commits (its `meta.json` or manifest changes), so new files show up
//! without a restart — also after `ingest --rebuild`, which may change the schema.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use crate::error::Result;
use crate::index::MANIFEST;
use crate::multi::Indexes;
use crate::search::Engine;

/// The opened indexes and the state of their files they were opened at.
pub struct Opened {
    stamp: Stamp,
    pub indexes: Indexes,
}

impl Opened {
    /// The first index's engine: the aggregates (freq, collocates) count one index.
    pub fn first(&self) -> &Engine {
        // `Indexes::open` refuses an empty list, and the CLI always gives one.
        self.indexes.engines()[0]
    }
}

/// Modification time and length of each index's `meta.json` and manifest.
type Stamp = Vec<[Option<(SystemTime, u64)>; 2]>;

fn stamp(dirs: &[PathBuf]) -> Stamp {
    let of = |p: &Path| {
        let m = std::fs::metadata(p).ok()?;
        Some((m.modified().ok()?, m.len()))
    };
    dirs.iter()
        .map(|d| [of(&d.join("meta.json")), of(&d.join(MANIFEST))])
        .collect()
}

/// What every request reads from.
pub struct Library {
    pub dirs: Vec<PathBuf>,
    /// Longest a request may take (503 after).
    pub timeout: Duration,
    current: RwLock<Arc<Opened>>,
}

impl Library {
    /// Open the indexes; an error here stops the server before it listens.
    pub fn open(dirs: &[PathBuf], timeout: Duration) -> Result<Self> {
        if dirs.is_empty() {
            return Err(crate::Error::Invalid("give at least one --index".into()));
        }
        let stamp = stamp(dirs);
        let indexes = Indexes::open(dirs)?;
        Ok(Library {
            dirs: dirs.to_vec(),
            timeout,
            current: RwLock::new(Arc::new(Opened { stamp, indexes })),
        })
    }

    /// The indexes as last committed: opened again when their files changed since. While an
    /// ingest is half-way (the new state cannot be opened yet) the previous one keeps answering.
    pub fn current(&self) -> Arc<Opened> {
        let held = match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        };
        let now = stamp(&self.dirs);
        if held.stamp == now {
            return held;
        }
        match Indexes::open(&self.dirs) {
            Ok(indexes) => {
                let fresh = Arc::new(Opened {
                    stamp: now,
                    indexes,
                });
                match self.current.write() {
                    Ok(mut g) => *g = Arc::clone(&fresh),
                    Err(poisoned) => *poisoned.into_inner() = Arc::clone(&fresh),
                }
                fresh
            }
            Err(_) => held,
        }
    }
}
