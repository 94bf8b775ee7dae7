//! The conversation model every format reader produces and every later stage consumes.
//!
//! A file holds one conversation (a transcript, a subtitle file) or many (a JSONL dataset, a chat
//! export). Whatever the format, a reader hands out [`Conversation`]s of [`Turn`]s with their
//! speakers, timestamps and metadata, and a pointer back into the file, so repair, spans, the
//! index, search and the printers never need to know where the data came from.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One conversation as read from a file, before repair.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    /// The conversation's key inside a multi-conversation file (its record id, or its record
    /// number); `None` when the file is one conversation. The index id is `FILE_ID#key`.
    pub key: Option<String>,
    /// A title given by the data (a chat export's title); otherwise the pipeline derives one.
    pub title: Option<String>,
    /// Every scalar field of the record that is not a turn: model, language, tags, …
    pub metadata: Metadata,
    /// When the conversation started, if the data says.
    pub time: Option<Timestamp>,
    /// Text before the first turn (a transcript's header); stored and shown, not searched (readers
    /// warn when they keep one).
    pub preamble: String,
    pub turns: Vec<Turn>,
    /// Where the conversation starts in its file.
    pub origin: Origin,
}

/// One turn as read from a file, before repair.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Turn {
    /// Who spoke; empty when the format does not say.
    pub speaker: String,
    pub text: String,
    pub time: Option<Timestamp>,
    /// The turn's own fields (a message id, a model name, attachments' names, …).
    pub metadata: Metadata,
    /// Where the turn starts in its file.
    pub origin: Origin,
}

/// A pointer into the source file: `file:line` for text formats, `file#record` plus the line where
/// the record starts for JSON, JSONL, CSV and Parquet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// 1-based line (0 when the format has no lines, as Parquet).
    pub line: u64,
    /// 1-based record number in a multi-record file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
}

impl Origin {
    pub fn line(line: u64) -> Self {
        Origin { line, record: None }
    }

    pub fn record(record: u64, line: u64) -> Self {
        Origin {
            line,
            record: Some(record),
        }
    }

    /// `source#record:line`, `source:line`, or `source#record` without a line.
    pub fn locate(&self, source: &str) -> String {
        match (self.record, self.line) {
            (Some(r), 0) => format!("{source}#{r}"),
            (Some(r), l) => format!("{source}#{r}:{l}"),
            (None, l) => format!("{source}:{l}"),
        }
    }
}

/// Metadata fields, sorted by name. Nested objects are flattened to dotted names (`meta.lang`).
pub type Metadata = BTreeMap<String, MetaValue>;

/// A metadata value: a scalar, or a list of scalars (tags).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetaValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<MetaValue>),
}

impl MetaValue {
    /// The values `--where key=value` compares against: one per scalar, as text.
    pub fn terms(&self) -> Vec<String> {
        match self {
            MetaValue::List(items) => items.iter().flat_map(MetaValue::terms).collect(),
            scalar => vec![scalar.to_string()],
        }
    }
}

impl fmt::Display for MetaValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaValue::Bool(b) => write!(f, "{b}"),
            MetaValue::Int(n) => write!(f, "{n}"),
            MetaValue::Float(x) => write!(f, "{x}"),
            MetaValue::Str(s) => f.write_str(s),
            MetaValue::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

/// When a turn was said: a moment in time (chat logs, exports), or an offset into a recording
/// (subtitles, timed transcripts), which has no date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timestamp {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    At(i64),
    /// Milliseconds since the start of the recording.
    Offset(u64),
}

impl Timestamp {
    /// A moment from seconds since the epoch (fractional, as ChatGPT exports write them).
    pub fn from_unix_seconds(secs: f64) -> Option<Self> {
        (secs.is_finite() && secs.abs() < 1e13)
            .then(|| Timestamp::At((secs * 1000.0).round() as i64))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Timestamp::At(ms) => {
                let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
                let (y, m, d) = civil_from_days(days);
                let secs = ms_of_day / 1000;
                write!(
                    f,
                    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60
                )?;
                if ms_of_day % 1000 != 0 {
                    write!(f, ".{:03}", ms_of_day % 1000)?;
                }
                f.write_str("Z")
            }
            Timestamp::Offset(ms) => {
                let secs = ms / 1000;
                write!(
                    f,
                    "{:02}:{:02}:{:02}.{:03}",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60,
                    ms % 1000
                )
            }
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_timestamp(&s).ok_or_else(|| serde::de::Error::custom(format!("bad timestamp {s:?}")))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number from [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parse the timestamps people write: `2024-01-12`, `2024-01-12 21:04`, `2024-01-12T21:04:05.123Z`,
/// `…+08:00`, and media offsets `01:23`, `00:01:23`, `00:01:23,456` (SRT), `00:01:23.456` (VTT).
/// A date without a zone is taken as UTC.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-') {
        return parse_date_time(s).map(Timestamp::At);
    }
    parse_offset(s).map(Timestamp::Offset)
}

/// `[H:]MM:SS[.,]mmm` → milliseconds.
pub fn parse_offset(s: &str) -> Option<u64> {
    let (clock, frac) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty() || p.len() > 3) {
        return None;
    }
    let mut secs: u64 = 0;
    for p in &parts {
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        secs = secs * 60 + p.parse::<u64>().ok()?;
    }
    let ms = match frac {
        Some(f) if !f.is_empty() && f.len() <= 3 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u64>().ok()? * 10u64.pow(3 - f.len() as u32)
        }
        Some(_) => return None,
        None => 0,
    };
    Some(secs * 1000 + ms)
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH:MM]` → milliseconds since the epoch.
fn parse_date_time(s: &str) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if s.as_bytes()[7] != b'-' || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(y, m as u32, d as u32);
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(days * 86_400_000);
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    // A clock of a date is `HH:MM[:SS[.fff]]`, where a media offset of two parts is `MM:SS`.
    let clock_ms = parse_offset(clock)?;
    let ms_of_day = i64::try_from(match clock.split(':').count() {
        2 => clock_ms * 60,
        _ => clock_ms,
    })
    .ok()?;
    if ms_of_day >= 86_400_000 + 1000 {
        return None;
    }
    let zone_ms = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let hm = z[1..].replace(':', "");
            if hm.len() != 4 || !hm.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let (h, m): (i64, i64) = (hm[..2].parse().ok()?, hm[2..].parse().ok()?);
            sign * (h * 3600 + m * 60) * 1000
        }
    };
    Some(days * 86_400_000 + ms_of_day - zone_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2024, 1, 12), 19_734);
    }

    #[test]
    fn timestamps_parse_and_print() {
        let at = |s: &str| parse_timestamp(s).map(|t| t.to_string());
        assert_eq!(at("2024-01-12").as_deref(), Some("2024-01-12T00:00:00Z"));
        assert_eq!(
            at("2024-01-12 21:04").as_deref(),
            Some("2024-01-12T21:04:00Z")
        );
        assert_eq!(
            at("2024-01-12T21:04:05.250Z").as_deref(),
            Some("2024-01-12T21:04:05.250Z")
        );
        assert_eq!(
            at("2024-01-13T05:04:05+08:00").as_deref(),
            Some("2024-01-12T21:04:05Z")
        );
        assert_eq!(at("00:01:23,456").as_deref(), Some("00:01:23.456"));
        assert_eq!(at("01:23.5").as_deref(), Some("00:01:23.500"));
        assert_eq!(at("1:02:03").as_deref(), Some("01:02:03.000"));
        for bad in [
            "",
            "12",
            "2024-13-01",
            "2024-01-12X",
            "a:b",
            "00:01:23.4567",
            "Note:",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn metadata_values_are_untagged_json() {
        let m: Metadata =
            serde_json::from_str(r#"{"model":"vicuna","n":3,"ok":true,"tags":["a","b"],"x":1.5}"#)
                .unwrap();
        assert_eq!(m["model"], MetaValue::Str("vicuna".into()));
        assert_eq!(m["n"].terms(), ["3"]);
        assert_eq!(m["tags"].terms(), ["a", "b"]);
        assert_eq!(serde_json::to_string(&m["x"]).unwrap(), "1.5");
    }

    #[test]
    fn origins_locate() {
        assert_eq!(Origin::line(7).locate("a.txt"), "a.txt:7");
        assert_eq!(Origin::record(3, 9).locate("a.jsonl"), "a.jsonl#3:9");
        assert_eq!(Origin::record(3, 0).locate("a.parquet"), "a.parquet#3");
    }
}
