//! Parquet files of chat datasets, as dialogue datasets are published on the Hugging Face hub: a
//! row per conversation, one column holding its turns as a list of `{role, content}` (or
//! `{from, value}`, …) structs.
//!
//! Rows are read one row group at a time through the `parquet` crate's row API, never the whole
//! file, and each row becomes a JSON object interpreted by
//! [`chat::from_record`](super::chat::from_record) with `Origin::record(row, 0)` (1-based row
//! number; Parquet has no lines), so every rule of that module applies: the other columns are
//! metadata, the key is the row's `id`, `conversation_id` or `uuid`, else the row number. A row
//! group that cannot be decoded (corrupt, or compressed with a codec other than the supported
//! snappy, zstd and lz4) is skipped with its first row number and the reason; the others are read.

use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};

use super::chat;
use super::{FormatError, ReadOptions, Reader, Sink};
use crate::model::Origin;

pub struct Parquet;

impl Reader for Parquet {
    fn name(&self) -> &'static str {
        "parquet"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["parquet"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        if head.starts_with(b"PAR1") {
            3
        } else {
            0
        }
    }
    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        sink: &mut dyn Sink,
    ) -> Result<(), FormatError> {
        let file = File::open(path)?;
        let reader = match guarded(|| SerializedFileReader::new(file)) {
            Ok(Ok(reader)) => reader,
            Ok(Err(e)) => return Err(invalid(e)),
            Err(panic) => return Err(invalid(panic)),
        };
        let mut first_row = 1u64;
        for group in 0..reader.num_row_groups() {
            let rows = reader.metadata().row_group(group).num_rows();
            let rows = u64::try_from(rows).unwrap_or(0);
            match guarded(|| read_group(&reader, group, first_row, opts, sink)) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(panic) => sink.skipped(
                    Origin::record(first_row, 0),
                    format!("row group {group} (or its rest) not decoded: {panic}"),
                ),
            }
            first_row += rows;
        }
        Ok(())
    }
}

fn invalid(e: impl std::fmt::Display) -> FormatError {
    FormatError::Invalid(format!("not a readable Parquet file: {e}"))
}

/// Run `f`, turning a panic into an error: the `parquet` crate panics on some damaged files
/// (seen on a corrupted page header), and one bad file must not end an ingest.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown error");
        format!("the Parquet decoder failed ({message})")
    })
}

/// Read one row group whose first row is number `first_row`; false when the sink is full.
fn read_group(
    reader: &SerializedFileReader<File>,
    group: usize,
    first_row: u64,
    opts: &ReadOptions,
    sink: &mut dyn Sink,
) -> bool {
    let not_read = |sink: &mut dyn Sink, e: parquet::errors::ParquetError| {
        sink.skipped(
            Origin::record(first_row, 0),
            format!("row group {group} not read: {e}"),
        );
        true
    };
    let group_reader = match reader.get_row_group(group) {
        Ok(g) => g,
        Err(e) => return not_read(sink, e),
    };
    let rows = match group_reader.get_row_iter(None) {
        Ok(rows) => rows,
        Err(e) => return not_read(sink, e),
    };
    for (number, row) in (first_row..).zip(rows) {
        if sink.full() {
            return false;
        }
        let origin = Origin::record(number, 0);
        match row {
            Ok(row) => match chat::from_record(row.to_json_value(), origin, opts) {
                Ok(mut conv) => {
                    conv.key.get_or_insert_with(|| number.to_string());
                    sink.conversation(conv);
                }
                Err(reason) => sink.skipped(origin, reason),
            },
            Err(e) => {
                // A decoding error repeats for the rest of the group: skip all of it.
                sink.skipped(
                    origin,
                    format!("row group {group} not decoded from this row on: {e}"),
                );
                return true;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::turns_of;
    use crate::formats::Collect;

    const FIXTURE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/formats/parquet/chat.parquet"
    );

    #[test]
    fn rows_are_conversations_with_metadata() {
        let mut sink = Collect::default();
        Parquet
            .read(Path::new(FIXTURE), &ReadOptions::default(), &mut sink)
            .expect("read");
        let first = &sink.conversations[0];
        assert_eq!(first.key.as_deref(), Some("p1"));
        assert_eq!(first.origin, Origin::record(1, 0));
        assert!(
            first.metadata.contains_key("language"),
            "{:?}",
            first.metadata
        );
        assert_eq!(turns_of(&sink)[0].0, "system");
        // The row without turns is skipped with its number; the rest are read.
        assert_eq!(sink.skipped.len(), 1, "{:?}", sink.skipped);
        assert!(sink.skipped[0].0.record.is_some());
    }

    #[test]
    fn fixtures_read_as_expected() {
        crate::formats::json::check_fixtures("parquet");
    }

    #[test]
    fn not_parquet_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.parquet");
        for bytes in [
            &b""[..],
            b"PAR1",
            b"PAR1\x00\x00\x00\x00PAR1",
            b"hello world, not parquet",
        ] {
            std::fs::write(&path, bytes).expect("write");
            let result = Parquet.read(&path, &ReadOptions::default(), &mut Collect::default());
            assert!(result.is_err(), "{bytes:?}");
        }
        assert_eq!(Parquet.sniff(b"PAR1\x15"), 3);
        assert_eq!(Parquet.sniff(b"{\"a\""), 0);
    }

    #[test]
    fn a_decoder_panic_is_a_skipped_row_group() {
        // A byte of the first data page's header that makes the `parquet` crate panic (found by
        // `damaged_fixture_never_panics`).
        let mut bytes = std::fs::read(FIXTURE).expect("fixture");
        if let Some(b) = bytes.get_mut(1847) {
            *b = 148;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.parquet");
        std::fs::write(&path, &bytes).expect("write");
        let mut sink = Collect::default();
        Parquet
            .read(&path, &ReadOptions::default(), &mut sink)
            .expect("footer intact");
        assert!(
            sink.skipped[0].1.contains("decoder failed"),
            "{:?}",
            sink.skipped
        );
        assert_eq!(sink.skipped[0].0, Origin::record(1, 0));
        // The second row group (rows 3 and 4) is still read.
        assert_eq!(sink.conversations.len(), 1);
        assert_eq!(sink.conversations[0].key.as_deref(), Some("p4"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("x.parquet");
            let mut framed = b"PAR1".to_vec();
            framed.extend(&bytes);
            framed.extend(b"PAR1");
            for content in [&bytes, &framed] {
                std::fs::write(&path, content).expect("write");
                let _ = Parquet.read(&path, &ReadOptions::default(), &mut Collect::default());
            }
        }

        /// Damage anywhere in a real file gives errors or skipped rows, never a panic.
        #[test]
        fn damaged_fixture_never_panics(at in 0usize..4096, byte in proptest::num::u8::ANY) {
            let mut bytes = std::fs::read(FIXTURE).expect("fixture");
            let len = bytes.len();
            if let Some(b) = bytes.get_mut(at % len) {
                *b = byte;
            }
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("x.parquet");
            std::fs::write(&path, &bytes).expect("write");
            let _ = Parquet.read(&path, &ReadOptions::default(), &mut Collect::default());
        }
    }
}
