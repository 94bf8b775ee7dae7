//! The data files the binary embeds are what their build scripts write: each matches its line
//! in `data/SHA256SUMS`, and a file derived from another (`zh_wordpairs.bin` keeps only the words
//! `cjk_dict.bin` scores) was built from the version of it that is committed. A file rebuilt
//! without its dependants is how `zh_wordpairs.bin` drifted from its build command once.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn sha256_of(name: &str) -> String {
    let bytes = std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("data/{name}: {e}"));
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn manifest() -> String {
    std::fs::read_to_string(data_dir().join("SHA256SUMS")).expect("data/SHA256SUMS")
}

#[test]
fn every_data_file_matches_its_recorded_checksum() {
    let text = manifest();
    let mut files = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (sum, name) = line
            .split_once("  ")
            .unwrap_or_else(|| panic!("not `SUM  NAME`: {line}"));
        assert_eq!(
            sha256_of(name),
            sum,
            "data/{name} is not the file data/SHA256SUMS records: rebuild it with its script \
             (data/README.md) or, if it was rebuilt on purpose, update its line"
        );
        files += 1;
    }
    // Every embedded table has its line (a file left out would go unchecked).
    for name in std::fs::read_dir(data_dir()).expect("data/").flatten() {
        let name = name.file_name().to_string_lossy().into_owned();
        if name.ends_with(".bin") {
            assert!(
                text.lines().any(|l| l.ends_with(&format!("  {name}"))),
                "data/{name} has no line in data/SHA256SUMS"
            );
        }
    }
    assert!(files >= 7, "{files} files listed");
}

#[test]
fn derived_data_files_were_built_from_the_committed_inputs() {
    let text = manifest();
    let mut edges = 0;
    for line in text
        .lines()
        .filter_map(|l| l.strip_prefix("# built-from: "))
    {
        let mut f = line.split_whitespace();
        let (Some(out), Some(input), Some(sum)) = (f.next(), f.next(), f.next()) else {
            panic!("not `# built-from: OUT INPUT SUM`: {line}");
        };
        assert_eq!(
            sha256_of(input),
            sum,
            "data/{out} was built from another data/{input}: rebuild data/{out} with its script \
             (data/README.md), then record the new sums of both"
        );
        edges += 1;
    }
    assert!(edges >= 1);
}
