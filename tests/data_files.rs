//! The data files the binary embeds are what their build scripts write: each matches its line
//! in `data/SHA256SUMS`, and a file derived from another (`zh_wordpairs.bin` keeps only the words
//! `cjk_dict.bin` scores) was built from the version of it that is committed. A file rebuilt
//! without its dependants is how `zh_wordpairs.bin` drifted from its build command once.

use colloquy::ingest::sha256_hex;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn sha256_of(name: &str) -> String {
    sha256_hex(&data_dir().join(name)).unwrap_or_else(|e| panic!("data/{name}: {e}"))
}

/// `data/SHA256SUMS`: (sum, file) per `SUM  NAME` line, and (file, input, input's sum) per
/// `# built-from: OUT INPUT SUM` line.
struct Manifest {
    sums: Vec<(String, String)>,
    built_from: Vec<(String, String, String)>,
}

fn manifest() -> Manifest {
    let text = std::fs::read_to_string(data_dir().join("SHA256SUMS")).expect("data/SHA256SUMS");
    let mut m = Manifest {
        sums: Vec::new(),
        built_from: Vec::new(),
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(rest) = line.strip_prefix("# built-from: ") {
            let f: Vec<&str> = rest.split_whitespace().collect();
            let [out, input, sum] = f[..] else {
                panic!("not `# built-from: OUT INPUT SUM`: {line}");
            };
            m.built_from.push((out.into(), input.into(), sum.into()));
        } else if !line.starts_with('#') {
            let (sum, name) = line
                .split_once("  ")
                .unwrap_or_else(|| panic!("not `SUM  NAME`: {line}"));
            m.sums.push((sum.into(), name.into()));
        }
    }
    m
}

#[test]
fn every_data_file_matches_its_recorded_checksum() {
    let m = manifest();
    for (sum, name) in &m.sums {
        assert_eq!(
            &sha256_of(name),
            sum,
            "data/{name} is not the file data/SHA256SUMS records: rebuild it with its script \
             (data/README.md) or, if it was rebuilt on purpose, update its line"
        );
    }
    // Every embedded table has its line (a file left out would go unchecked).
    for entry in std::fs::read_dir(data_dir()).expect("data/").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".bin") {
            assert!(
                m.sums.iter().any(|(_, n)| *n == name),
                "data/{name} has no line in data/SHA256SUMS"
            );
        }
    }
    assert!(m.sums.len() >= 7, "{} files listed", m.sums.len());
}

#[test]
fn derived_data_files_were_built_from_the_committed_inputs() {
    let m = manifest();
    for (out, input, sum) in &m.built_from {
        assert_eq!(
            &sha256_of(input),
            sum,
            "data/{out} was built from another data/{input}: rebuild data/{out} with its script \
             (data/README.md), then record the new sums of both"
        );
    }
    assert!(!m.built_from.is_empty());
}
