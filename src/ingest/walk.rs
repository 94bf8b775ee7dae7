//! Finding corpus files and naming their conversations.
//!
//! A file's id is its path relative to its root without the extension (`chats/2024/x`), with the
//! extension where two files would otherwise share an id (`episode1.srt`, `episode1.vtt`), and
//! with the root's folder name in front where two roots hold the same relative path
//! (`a/notes.txt`, `b/notes.txt`); as a last resort `~2`, `~3`, … in walk order. Ids already in the
//! index from roots not being walked are never taken over. Hidden files and folders are skipped,
//! and so is any folder holding a colloquy index (the index is never read as corpus). Symbolic
//! links are followed only while they stay inside their root, unless `--follow-links` says so; a
//! link that leaves the root is reported and skipped.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use super::Skipped;

/// A file found by the walk. A walk's list lives through the whole ingest, so a file costs
/// one string (its shown path) and a few numbers: the OS path, the relative path and the id are
/// read from that string wherever they are part of it.
#[derive(Debug, Clone)]
pub struct Found {
    /// The path as shown and stored (`/` separators).
    pub source: Box<str>,
    /// The root it was found under (shared by the root's files).
    root: Arc<Root>,
    /// Where the path relative to the root starts in `source` (its tail).
    rel_start: usize,
    /// The OS path, where it is not `source` itself (a name that is not UTF-8, a renamed twin).
    os_path: Option<Box<Path>>,
    pub size: u64,
    pub mtime_ns: u128,
    /// The conversation id of the file (conversations inside it are `id#key`).
    id: Id,
}

/// A root as the walk's files refer to it.
#[derive(Debug)]
struct Root {
    /// Absolute and normalised ([`root_key`]).
    key: String,
    /// Its last path component, used to tell roots apart in ids.
    label: String,
}

/// A file's id: most often its relative path or a prefix of it, kept as a length.
#[derive(Debug, Clone)]
enum Id {
    RelPrefix(usize),
    Own(Box<str>),
}

impl Found {
    /// The path relative to the root.
    fn rel(&self) -> &str {
        self.source.get(self.rel_start..).unwrap_or(&self.source)
    }

    /// The path to open.
    pub fn path(&self) -> &Path {
        self.os_path
            .as_deref()
            .unwrap_or_else(|| Path::new(&*self.source))
    }

    /// The root it was found under, absolute and normalised.
    pub fn root(&self) -> &str {
        &self.root.key
    }

    /// The conversation id of the file.
    pub fn id(&self) -> &str {
        match &self.id {
            Id::RelPrefix(len) => self.rel().get(..*len).unwrap_or(""),
            Id::Own(id) => id,
        }
    }

    fn set_id(&mut self, id: String) {
        self.id = if self.rel().starts_with(&id) {
            Id::RelPrefix(id.len())
        } else {
            Id::Own(id.into_boxed_str())
        };
    }

    /// Show the file under another name; the OS path stays.
    fn rename(&mut self, source: String) {
        if self.os_path.is_none() {
            self.os_path = Some(Path::new(&*self.source).into());
        }
        self.source = source.into_boxed_str();
    }
}

/// An absolute, normalised form of a root, so one folder named two ways is one root.
pub fn root_key(root: &Path) -> String {
    let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    display(&abs)
}

/// Walk the roots; files found and entries that could not be read. Two files whose paths show
/// alike (names that are not UTF-8) get `~2`, `~3` in walk order, so none replaces another.
pub fn walk(roots: &[PathBuf], follow_links: bool) -> (Vec<Found>, Vec<Skipped>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for root in roots {
        walk_root(root, follow_links, &mut found, &mut skipped);
    }
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for f in &mut found {
        if !seen.insert(f.source.to_string()) {
            let base = f.source.to_string();
            let mut n = 2;
            while !seen.insert(format!("{base}~{n}")) {
                n += 1;
            }
            f.rename(format!("{base}~{n}"));
        }
    }
    (found, skipped)
}

/// False for entries the walk does not enter or read: hidden ones, colloquy indexes, and links
/// that leave the root (reported).
fn admit(e: &walkdir::DirEntry, inside: Option<&Path>, skipped: &RefCell<Vec<Skipped>>) -> bool {
    if e.depth() == 0 {
        return true;
    }
    if e.file_name().to_string_lossy().starts_with('.') {
        return false;
    }
    if e.file_type().is_dir() && e.path().join(crate::index::MANIFEST).exists() {
        return false;
    }
    if let (Some(root), true) = (inside, e.path_is_symlink()) {
        // A dangling link is let through: reading it fails and is reported there.
        if let Ok(target) = std::fs::canonicalize(e.path()) {
            if !target.starts_with(root) {
                skipped.borrow_mut().push(Skipped {
                    path: display(e.path()),
                    reason: format!(
                        "symbolic link to {} outside the corpus root (pass --follow-links to read it)",
                        display(&target)
                    ),
                });
                return false;
            }
        }
    }
    true
}

fn walk_root(root: &Path, follow_links: bool, found: &mut Vec<Found>, skipped: &mut Vec<Skipped>) {
    let base = if root.is_file() {
        root.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        root.to_path_buf()
    };
    let shared = Arc::new(Root {
        key: root_key(root),
        label: Path::new(&root_key(&base))
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    });
    let canonical_base = std::fs::canonicalize(&base).unwrap_or_else(|_| base.clone());
    let inside = (!follow_links).then_some(canonical_base.as_path());
    let refused = RefCell::new(Vec::new());
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| admit(e, inside, &refused));
    for entry in walker {
        skipped.append(&mut refused.borrow_mut());
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().map(display).unwrap_or_else(|| display(root));
                let reason = match e.io_error() {
                    Some(io) => format!("cannot read: {io}"),
                    None => e.to_string(),
                };
                skipped.push(Skipped { path, reason });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let metadata = match entry.metadata() {
            Ok(m) => m,
            Err(e) => {
                skipped.push(Skipped {
                    path: display(&path),
                    reason: format!("cannot read metadata: {e}"),
                });
                continue;
            }
        };
        let mtime_ns = metadata
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let source = display(&path);
        // The relative path is the tail of the shown one: the cut falls on a separator.
        let rel_len = display(path.strip_prefix(&base).unwrap_or(&path)).len();
        let rel_start =
            if source.len() >= rel_len && source.is_char_boundary(source.len() - rel_len) {
                source.len() - rel_len
            } else {
                0
            };
        let os_path = (path.to_str() != Some(source.as_str())).then(|| path.into_boxed_path());
        found.push(Found {
            source: source.into_boxed_str(),
            root: Arc::clone(&shared),
            rel_start,
            os_path,
            size: metadata.len(),
            mtime_ns,
            id: Id::RelPrefix(0),
        });
    }
    skipped.append(&mut refused.borrow_mut());
}

/// Give every found file a unique id (see the module comment); `taken` are ids that stay in the
/// index from other roots.
pub fn assign_ids(found: &mut [Found], taken: &BTreeSet<String>) {
    let forms: [fn(&Found) -> String; 3] = [
        |f| strip_extension(f.rel()),
        |f| f.rel().to_owned(),
        |f| format!("{}/{}", f.root.label, f.rel()),
    ];
    let mut settled = vec![false; found.len()];
    for (level, form) in forms.iter().enumerate() {
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for (i, f) in found.iter_mut().enumerate() {
            if !settled[i] {
                let id = form(f);
                f.set_id(id);
            }
            *count.entry(f.id().to_owned()).or_default() += 1;
        }
        for (i, f) in found.iter().enumerate() {
            let unique = count[f.id()] == 1 && !taken.contains(f.id());
            // An id that is unique at a level stays; the last level settles everything left.
            if unique || level == forms.len() - 1 {
                settled[i] = true;
            }
        }
    }
    let mut used: BTreeSet<String> = taken.clone();
    for f in found.iter_mut() {
        if !used.insert(f.id().to_owned()) {
            let base = f.id().to_owned();
            let mut n = 2;
            while !used.insert(format!("{base}~{n}")) {
                n += 1;
            }
            f.set_id(format!("{base}~{n}"));
        }
    }
}

fn strip_extension(rel: &str) -> String {
    let name_start = rel.rfind('/').map_or(0, |i| i + 1);
    match rel[name_start..].rfind('.') {
        Some(dot) if dot > 0 => rel[..name_start + dot].to_owned(),
        _ => rel.to_owned(),
    }
}

/// A path as shown and stored: bytes of a name that are not UTF-8 are written `\xNN` (not all as
/// U+FFFD, which made two such names one), and Windows separators as `/`.
pub fn display(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().replace('\\', "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(root_label: &str, rel: &str) -> Found {
        let source = format!("{root_label}/{rel}");
        Found {
            rel_start: source.len() - rel.len(),
            source: source.into_boxed_str(),
            root: Arc::new(Root {
                key: format!("/x/{root_label}"),
                label: root_label.into(),
            }),
            os_path: None,
            size: 0,
            mtime_ns: 0,
            id: Id::RelPrefix(0),
        }
    }

    fn ids(mut files: Vec<Found>, taken: &[&str]) -> Vec<String> {
        let taken = taken.iter().map(|s| s.to_string()).collect();
        assign_ids(&mut files, &taken);
        files.iter().map(|f| f.id().to_owned()).collect()
    }

    #[test]
    fn a_file_shown_under_another_name_is_still_read_from_its_own_path() {
        let mut f = found("c", "notes.txt");
        assert_eq!(f.path(), Path::new("c/notes.txt"));
        f.rename("c/notes.txt~2".into());
        assert_eq!(&*f.source, "c/notes.txt~2");
        assert_eq!(f.path(), Path::new("c/notes.txt"));
    }

    #[test]
    fn ids_are_read_from_the_path_or_kept_apart() {
        let mut f = found("c", "sub/x.jsonl");
        f.set_id("sub/x".into());
        assert!(matches!(f.id, Id::RelPrefix(5)));
        assert_eq!(f.id(), "sub/x");
        f.set_id("c/sub/x.jsonl".into());
        assert!(matches!(f.id, Id::Own(_)));
        assert_eq!(f.id(), "c/sub/x.jsonl");
    }

    #[test]
    fn ids_are_short_unless_they_would_collide() {
        assert_eq!(
            ids(
                vec![
                    found("c", "000_a.txt"),
                    found("c", "ep1.srt"),
                    found("c", "ep1.vtt"),
                    found("c", "sub/x.jsonl"),
                    found("c", "README"),
                    found("c", ".hidden.txt"),
                ],
                &[]
            ),
            ["000_a", "ep1.srt", "ep1.vtt", "sub/x", "README", ".hidden"]
        );
    }

    #[test]
    fn two_roots_with_the_same_path_are_kept_apart() {
        assert_eq!(
            ids(vec![found("a", "notes.txt"), found("b", "notes.txt")], &[]),
            ["a/notes.txt", "b/notes.txt"]
        );
        assert_eq!(
            ids(vec![found("a", "notes.txt"), found("a", "notes.txt")], &[]),
            ["a/notes.txt", "a/notes.txt~2"]
        );
    }

    #[test]
    fn ids_of_other_roots_are_never_taken_over() {
        assert_eq!(
            ids(vec![found("b", "notes.txt")], &["notes"]),
            ["notes.txt"]
        );
        assert_eq!(
            ids(
                vec![found("b", "notes.txt")],
                &["notes", "notes.txt", "b/notes.txt"]
            ),
            ["b/notes.txt~2"]
        );
    }
}
