//! WhatsApp chat exports (`.txt`, reader `whatsapp`), one conversation per file.
//!
//! - A message starts at a dated line: Android `DATE, TIME - Name: text` or iOS
//!   `[DATE, TIME] Name: text`, optionally after U+200E LEFT-TO-RIGHT MARKs. `DATE` is
//!   `D/M/Y` or `M/D/Y` with `/`, `.` or `-` between the fields and a 2- or 4-digit year (2-digit
//!   years are 20yy), or `Y-M-D`; the comma after it is optional. `TIME` is `H:MM[:SS]`, 24-hour or
//!   12-hour with `AM`/`PM`/`a.m.`/`p.m.` in either case after a space, U+202F or U+00A0.
//! - Day/month order is decided once per file: a first field above 12 on any line means D/M, else a
//!   second field above 12 means M/D, else D/M with a warning that the order was ambiguous. A dated
//!   line whose date is impossible in the chosen order is kept as text of the message before it,
//!   with a warning.
//! - Lines that do not start a message continue the one before them (multi-line messages); lines
//!   before the first dated line are the preamble.
//! - The sender is the text before the first `: ` (bidirectional marks around it removed); it must
//!   not hold quotes, which system lines about group subjects do. A dated line without a sender is
//!   a system line (`Alice added Bob`, the encryption notice), as is an iOS line whose text starts
//!   with U+200E and reads like one (`‎Alice added Bob`, attributed to the group). System lines are
//!   not turns: they go to the conversation's `system` metadata as `"<timestamp> <line after the
//!   date>"` strings, continuation lines included.
//! - The turn's time is the line's date and time taken as UTC (exports carry no zone). A U+200E at
//!   the start of a message's text (iOS writes one before media notes) is dropped. A message whose
//!   first line is a media placeholder (`<Media omitted>`, `image omitted`, `<attached: …>`,
//!   `… (file attached)`) keeps its text and gets `media=true` metadata. Only trailing ASCII
//!   whitespace is trimmed from a message.

use std::path::Path;

use super::{
    head_text, read_text, text_lines, trim_end_ascii, FormatError, ReadOptions, Reader, Sink,
};
use crate::model::{days_from_civil, Conversation, MetaValue, Origin, Timestamp, Turn};

pub struct WhatsApp;

impl Reader for WhatsApp {
    fn name(&self) -> &'static str {
        "whatsapp"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["txt"]
    }
    fn sniff(&self, head: &[u8]) -> u8 {
        let text = head_text(head);
        let dated = text_lines(&text)
            .take(20)
            .filter(|(_, l)| parse_head(l).is_some_and(|h| h.date.plausible()))
            .count();
        match dated {
            0 => 0,
            1 => 1,
            _ => 3,
        }
    }
    fn read(&self, path: &Path, _: &ReadOptions, sink: &mut dyn Sink) -> Result<(), FormatError> {
        let decoded = read_text(path, sink)?;
        let conv = parse(&decoded.text, sink);
        sink.conversation(conv);
        Ok(())
    }
}

/// A date as written, before the day/month order is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RawDate {
    first: u32,
    second: u32,
    third: u32,
    /// `Y-M-D`: `first` is the year.
    iso: bool,
}

impl RawDate {
    /// Could be a date in some order.
    fn plausible(&self) -> bool {
        self.iso || (1..=31).contains(&self.first) && (1..=31).contains(&self.second)
    }

    /// (year, month, day) in the file's order, if that is a real calendar date.
    fn resolve(&self, order: Order) -> Option<(i64, u32, u32)> {
        let (y, m, d) = match (self.iso, order) {
            (true, _) => (self.first, self.second, self.third),
            (false, Order::DayMonth) => (self.third, self.second, self.first),
            (false, Order::MonthDay) => (self.third, self.first, self.second),
        };
        let y = if y < 100 { 2000 + y } else { y };
        ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((i64::from(y), m, d))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    DayMonth,
    MonthDay,
}

/// The start of a dated line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Head<'a> {
    date: RawDate,
    /// Seconds into the day.
    clock: u32,
    /// The line after the date and time and their separator.
    rest: &'a str,
}

const BIDI_MARKS: &[char] = &[
    '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}',
    '\u{2067}', '\u{2068}', '\u{2069}', '\u{FEFF}',
];

/// `[DATE, TIME] rest` or `DATE, TIME - rest`.
fn parse_head(line: &str) -> Option<Head<'_>> {
    let s = line.trim_start_matches(['\u{200E}', '\u{200F}', '\u{FEFF}']);
    let (bracket, s) = match s.strip_prefix('[') {
        Some(after) => (true, after),
        None => (false, s),
    };
    let (date, s) = parse_date(s)?;
    let s = s.strip_prefix(',').unwrap_or(s).strip_prefix(' ')?;
    let (clock, s) = parse_clock(s)?;
    let rest = if bracket {
        s.strip_prefix(']')?
            .trim_start_matches(['\u{200E}', '\u{200F}'])
            .strip_prefix(' ')?
    } else {
        s.strip_prefix(" - ")?
    };
    Some(Head { date, clock, rest })
}

/// Leading ASCII digits: (value, digit count, rest).
fn digits(s: &str, max: usize) -> Option<(u32, usize, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || n > max {
        return None;
    }
    Some((s[..n].parse().ok()?, n, &s[n..]))
}

/// `A/B/C` with one of `/ . -` as both separators.
fn parse_date(s: &str) -> Option<(RawDate, &str)> {
    let (first, first_len, s) = digits(s, 4)?;
    let sep = s.chars().next().filter(|c| matches!(c, '/' | '.' | '-'))?;
    let (second, _, s) = digits(&s[1..], 2)?;
    let s = s.strip_prefix(sep)?;
    let (third, third_len, s) = digits(s, 4)?;
    let iso = first_len == 4;
    let shaped = if iso {
        third_len <= 2
    } else {
        first_len <= 2 && matches!(third_len, 2 | 4)
    };
    shaped.then_some((
        RawDate {
            first,
            second,
            third,
            iso,
        },
        s,
    ))
}

/// `H:MM[:SS][ AM|PM]` → (seconds into the day, rest).
fn parse_clock(s: &str) -> Option<(u32, &str)> {
    let (h, _, s) = digits(s, 2)?;
    let (m, m_len, s) = digits(s.strip_prefix(':')?, 2)?;
    let (sec, s) = match s.strip_prefix(':').and_then(|t| digits(t, 2)) {
        Some((sec, 2, t)) => (sec, t),
        Some(_) => return None,
        None => (0, s),
    };
    if m_len != 2 || m > 59 || sec > 59 {
        return None;
    }
    let (h, s) = match meridiem(s) {
        Some((pm, rest)) if (1..=12).contains(&h) => (h % 12 + if pm { 12 } else { 0 }, rest),
        Some(_) => return None,
        None if h <= 23 => (h, s),
        None => return None,
    };
    Some((h * 3600 + m * 60 + sec, s))
}

/// A space (U+0020, U+202F or U+00A0) and `AM`/`PM`/`a.m.`/`p.m.` in any case → (is PM, rest).
fn meridiem(s: &str) -> Option<(bool, &str)> {
    let s = s.strip_prefix([' ', '\u{202F}', '\u{A0}'])?;
    for (mark, pm) in [("a.m.", false), ("p.m.", true), ("am", false), ("pm", true)] {
        if s.get(..mark.len())
            .is_some_and(|m| m.eq_ignore_ascii_case(mark))
        {
            return Some((pm, &s[mark.len()..]));
        }
    }
    None
}

/// Day/month order from every dated line of the file.
fn decide_order(dates: &[RawDate], sink: &mut dyn Sink) -> Order {
    let written: Vec<&RawDate> = dates.iter().filter(|d| !d.iso).collect();
    if written.iter().any(|d| d.first > 12) {
        return Order::DayMonth;
    }
    if written.iter().any(|d| d.second > 12) {
        return Order::MonthDay;
    }
    if !written.is_empty() {
        sink.warning(
            Origin::line(1),
            "day/month order is ambiguous (no date field above 12); dates read as day/month".into(),
        );
    }
    Order::DayMonth
}

/// A message or system line being read.
enum Entry {
    Turn(Turn),
    System(String),
}

struct Chat {
    conv: Conversation,
    system: Vec<MetaValue>,
    preamble: String,
    current: Option<Entry>,
}

/// Read a whole export into one conversation.
fn parse(text: &str, sink: &mut dyn Sink) -> Conversation {
    let lines: Vec<(u64, &str, Option<Head>)> = text_lines(text)
        .map(|(n, l)| (n, l, parse_head(l).filter(|h| h.date.plausible())))
        .collect();
    let dates: Vec<RawDate> = lines
        .iter()
        .filter_map(|(_, _, h)| h.map(|h| h.date))
        .collect();
    let order = decide_order(&dates, sink);
    let mut chat = Chat {
        conv: Conversation {
            origin: Origin::line(1),
            ..Conversation::default()
        },
        system: Vec::new(),
        preamble: String::new(),
        current: None,
    };
    for &(n, line, head) in &lines {
        let Some(head) = head else {
            chat.continue_with(line);
            continue;
        };
        match time_of(&head, order) {
            Some(ms) => chat.start(n, head.rest, ms),
            None => {
                sink.warning(
                    Origin::line(n),
                    format!("impossible date in {order:?} order; line kept as message text"),
                );
                chat.continue_with(line);
            }
        }
    }
    chat.finish()
}

/// Milliseconds since the epoch of a dated line, taken as UTC.
fn time_of(head: &Head, order: Order) -> Option<i64> {
    let (y, m, d) = head.date.resolve(order)?;
    Some(days_from_civil(y, m, d) * 86_400_000 + i64::from(head.clock) * 1000)
}

impl Chat {
    /// A dated line: a message, or a system line.
    fn start(&mut self, n: u64, rest: &str, ms: i64) {
        self.flush();
        let time = Timestamp::At(ms);
        if self.conv.time.is_none() {
            self.conv.time = Some(time);
        }
        self.current = Some(match sender(rest) {
            Some((name, text)) if !is_ios_system(text) => Entry::Turn(Turn {
                speaker: name.to_owned(),
                text: text.strip_prefix('\u{200E}').unwrap_or(text).to_owned(),
                time: Some(time),
                origin: Origin::line(n),
                ..Turn::default()
            }),
            _ => Entry::System(format!("{time} {}", rest.replace('\u{200E}', ""))),
        });
    }

    fn continue_with(&mut self, line: &str) {
        let text = match self.current.as_mut() {
            Some(Entry::Turn(turn)) => &mut turn.text,
            Some(Entry::System(s)) => s,
            None => &mut self.preamble,
        };
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
    }

    fn flush(&mut self) {
        match self.current.take() {
            Some(Entry::Turn(mut turn)) => {
                turn.text.truncate(trim_end_ascii(&turn.text).len());
                if is_media(&turn.text) {
                    turn.metadata.insert("media".into(), MetaValue::Bool(true));
                }
                self.conv.turns.push(turn);
            }
            Some(Entry::System(s)) => self
                .system
                .push(MetaValue::Str(trim_end_ascii(&s).to_owned())),
            None => {}
        }
    }

    fn finish(mut self) -> Conversation {
        self.flush();
        let mut conv = self.conv;
        conv.preamble = self.preamble.trim().to_owned();
        if !self.system.is_empty() {
            conv.metadata
                .insert("system".into(), MetaValue::List(self.system));
        }
        conv
    }
}

/// `Name: text` → (name, text), when the part before `: ` can be a sender's name.
fn sender(rest: &str) -> Option<(&str, &str)> {
    let (name, text) = match rest.split_once(": ") {
        Some(split) => split,
        None => (rest.strip_suffix(':')?, ""),
    };
    let name = name.trim_matches(|c: char| c.is_whitespace() || BIDI_MARKS.contains(&c));
    let ok = !name.is_empty() && name.chars().count() <= 100 && !name.contains(['"', '“', '”']);
    ok.then_some((name, text))
}

/// iOS attributes system lines to the group and starts their text with U+200E.
fn is_ios_system(text: &str) -> bool {
    let Some(body) = text.strip_prefix('\u{200E}') else {
        return false;
    };
    let body = body.to_lowercase();
    [
        "end-to-end encrypted",
        "created group",
        "created this group",
        " added ",
        " removed ",
        " left",
        " joined",
        "changed the subject",
        "changed the group",
        "changed this group",
        "changed their phone number",
        "security code",
        "now an admin",
        "no longer an admin",
        "deleted this group",
        "disappearing messages",
    ]
    .iter()
    .any(|phrase| body.contains(phrase))
}

/// The message's first line is a media placeholder.
fn is_media(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("").replace('\u{200E}', "");
    let first = first.trim().to_lowercase();
    first == "<media omitted>"
        || first.starts_with("<attached:")
        || first.ends_with("(file attached)")
        || [
            "image",
            "video",
            "audio",
            "sticker",
            "gif",
            "document",
            "media",
            "contact card",
        ]
        .iter()
        .any(|kind| first.ends_with(&format!("{kind} omitted")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{check_fixture_dir, read_as, turns_of};
    use crate::formats::{choose, reads, Collect};

    fn read(content: &str) -> Collect {
        read_as(
            &WhatsApp,
            "chat.txt",
            content.as_bytes(),
            &ReadOptions::default(),
        )
    }

    fn time(s: &str) -> Option<Timestamp> {
        crate::model::parse_timestamp(s)
    }

    reads!(
        android_lines,
        WhatsApp,
        "chat.txt",
        "13/01/2024, 08:15 - Alice: 大家早! hiking?\n13/01/2024, 08:16 - Bob: 去!\n",
        [("Alice", "大家早! hiking?"), ("Bob", "去!")]
    );

    reads!(
        ios_lines_with_marks,
        WhatsApp,
        "chat.txt",
        "\u{200E}[1/14/24, 9:05:10\u{202F}PM] Chen: 这周读书\n[1/14/24, 9:06:00 pm] Sam: ok\n",
        [("Chen", "这周读书"), ("Sam", "ok")]
    );

    reads!(
        multi_line_messages,
        WhatsApp,
        "chat.txt",
        "13/01/2024, 08:16 - Bob: 去! I'll bring the map.\n地图在我包里\n\nand snacks\n\
         13/01/2024, 08:20 - 王小明: 我也去\n",
        [
            ("Bob", "去! I'll bring the map.\n地图在我包里\n\nand snacks"),
            ("王小明", "我也去")
        ]
    );

    reads!(
        lone_cr_line_endings,
        WhatsApp,
        "chat.txt",
        "13/01/2024, 08:16 - Bob: one\rtwo\r13/01/2024, 08:17 - Ann: three\r",
        [("Bob", "one\ntwo"), ("Ann", "three")]
    );

    #[test]
    fn times_are_utc_in_every_shape() {
        let cases = [
            ("13/01/2024, 21:04 - A: x", "2024-01-13T21:04:00Z"),
            ("[13/01/2024, 21:04:05] A: x", "2024-01-13T21:04:05Z"),
            ("13.01.24, 21:04 - A: x", "2024-01-13T21:04:00Z"),
            ("13-01-2024 21:04 - A: x", "2024-01-13T21:04:00Z"),
            ("13/01/2024, 9:04 PM - A: x", "2024-01-13T21:04:00Z"),
            ("13/01/2024, 9:04 pm - A: x", "2024-01-13T21:04:00Z"),
            ("13/01/2024, 12:04\u{202F}AM - A: x", "2024-01-13T00:04:00Z"),
            ("13/01/2024, 12:04\u{A0}p.m. - A: x", "2024-01-13T12:04:00Z"),
            (
                "[13/01/2024, 9:04:05\u{202F}AM] A: x",
                "2024-01-13T09:04:05Z",
            ),
            ("2024-01-13, 21:04 - A: x", "2024-01-13T21:04:00Z"),
        ];
        for (line, want) in cases {
            let got = read(line);
            let turn = &got.conversations[0].turns;
            assert_eq!(turn.len(), 1, "{line}");
            assert_eq!(turn[0].time, time(want), "{line}");
            assert_eq!(got.conversations[0].time, time(want), "{line}");
        }
    }

    #[test]
    fn bad_clocks_and_dates_are_not_message_starts() {
        for line in [
            "13/01/2024, 25:04 - A: x",
            "13/01/2024, 21:4 - A: x",
            "13/01/2024, 13:04 PM - A: x",
            "13/01/2024 21:04 A: x",
            "[13/01/2024, 21:04 A: x",
            "40/01/2024, 21:04 - A: x",
            "13/01/202, 21:04 - A: x",
            "1/2, 21:04 - A: x",
        ] {
            assert_eq!(
                parse_head(line).filter(|h| h.date.plausible()),
                None,
                "{line}"
            );
        }
    }

    #[test]
    fn day_month_order_is_decided_per_file() {
        // 13 in the first field: D/M for every line, including the ambiguous 02/01.
        let got = read("02/01/2024, 10:00 - A: x\n13/01/2024, 10:00 - B: y\n");
        let turns = &got.conversations[0].turns;
        assert_eq!(turns[0].time, time("2024-01-02T10:00"));
        assert!(got.warnings.is_empty());
        // 13 in the second field: M/D.
        let got = read("02/01/2024, 10:00 - A: x\n01/13/2024, 10:00 - B: y\n");
        let turns = &got.conversations[0].turns;
        assert_eq!(turns[0].time, time("2024-02-01T10:00"));
        assert_eq!(turns[1].time, time("2024-01-13T10:00"));
        assert!(got.warnings.is_empty());
        // Nothing above 12: D/M, with a warning saying so.
        let got = read("02/01/2024, 10:00 - A: x\n03/01/2024, 10:00 - B: y\n");
        assert_eq!(got.conversations[0].turns[0].time, time("2024-01-02T10:00"));
        assert_eq!(got.warnings.len(), 1);
        assert!(
            got.warnings[0].1.contains("ambiguous"),
            "{:?}",
            got.warnings
        );
    }

    #[test]
    fn impossible_date_in_the_chosen_order_stays_text() {
        let got = read("13/01/2024, 10:00 - A: x\n01/13/2024, 10:00 - B: y\n");
        assert_eq!(
            turns_of(&got),
            [("A".into(), "x\n01/13/2024, 10:00 - B: y".into())] as [(String, String); 1]
        );
        assert_eq!(got.warnings.len(), 1);
        assert_eq!(got.warnings[0].0.line, 2);
    }

    #[test]
    fn system_lines_go_to_metadata() {
        let got = read(
            "12/01/2024, 21:04 - Messages and calls are end-to-end encrypted. Tap to learn more.\n\
             12/01/2024, 21:04 - Alice created group \"周末: Hiking\"\n\
             12/01/2024, 21:05 - Alice added Bob\n\
             13/01/2024, 08:15 - Alice: hi\n\
             [13/01/2024, 08:16:00] 读书会: \u{200E}You created group “读书会”\n\
             [13/01/2024, 08:17:00] Bob: \u{200E}image omitted\n",
        );
        let conv = &got.conversations[0];
        assert_eq!(
            conv.metadata["system"].terms(),
            [
                "2024-01-12T21:04:00Z Messages and calls are end-to-end encrypted. Tap to learn more.",
                "2024-01-12T21:04:00Z Alice created group \"周末: Hiking\"",
                "2024-01-12T21:05:00Z Alice added Bob",
                "2024-01-13T08:16:00Z 读书会: You created group “读书会”",
            ]
        );
        assert_eq!(
            turns_of(&got),
            [
                ("Alice".to_string(), "hi".to_string()),
                ("Bob".to_string(), "image omitted".to_string())
            ]
        );
        assert_eq!(conv.time, time("2024-01-12T21:04"));
    }

    #[test]
    fn media_placeholders_are_flagged() {
        let got = read(
            "13/01/2024, 08:21 - Alice: <Media omitted>\n\
             [13/01/2024, 08:22:00] Bob: \u{200E}image omitted\n\
             [13/01/2024, 08:23:00] Bob: \u{200E}<attached: 00000012-PHOTO.jpg>\n\
             13/01/2024, 08:24 - Ann: IMG-1.jpg (file attached)\ncaption 说明\n\
             13/01/2024, 08:25 - Ann: I omitted nothing\n",
        );
        let turns = &got.conversations[0].turns;
        let media: Vec<bool> = turns
            .iter()
            .map(|t| t.metadata.contains_key("media"))
            .collect();
        assert_eq!(media, [true, true, true, true, false]);
        assert_eq!(turns[0].text, "<Media omitted>");
        assert_eq!(turns[0].metadata["media"], MetaValue::Bool(true));
        assert_eq!(turns[3].text, "IMG-1.jpg (file attached)\ncaption 说明");
    }

    #[test]
    fn trailing_nbsp_of_mojibake_is_kept() {
        let got = read("13/01/2024, 08:15 - A: å\u{8A}\u{A0} \n");
        assert_eq!(got.conversations[0].turns[0].text, "å\u{8A}\u{A0}");
    }

    #[test]
    fn senders() {
        assert_eq!(sender("Alice: hi: there"), Some(("Alice", "hi: there")));
        assert_eq!(
            sender("\u{202A}+1 555 0100\u{202C}: hi"),
            Some(("+1 555 0100", "hi"))
        );
        assert_eq!(sender("Bob:"), Some(("Bob", "")));
        assert_eq!(sender("Alice added Bob"), None);
        assert_eq!(sender("Alice changed the subject to \"a: b\""), None);
        assert_eq!(sender(": x"), None);
    }

    #[test]
    fn origins_and_preamble() {
        let got = read("exported chat\n\n13/01/2024, 08:15 - A: x\n13/01/2024, 08:16 - B: y\n");
        let conv = &got.conversations[0];
        assert_eq!(conv.preamble, "exported chat");
        let lines: Vec<u64> = conv.turns.iter().map(|t| t.origin.line).collect();
        assert_eq!(lines, [3, 4]);
    }

    #[test]
    fn sniffing() {
        let android = b"13/01/2024, 08:15 - A: x\n13/01/2024, 08:16 - B: y\n";
        assert_eq!(WhatsApp.sniff(android), 3);
        assert_eq!(WhatsApp.sniff(b"13/01/2024, 08:15 - A: x\nmore\n"), 1);
        assert_eq!(WhatsApp.sniff(b"[A]: hi\n[B]: yo\n"), 0);
        assert_eq!(WhatsApp.sniff(b"1\n00:00:01,000 --> 00:00:02,000\nhi\n"), 0);
        let ios = "\u{200E}[1/14/24, 9:05:10\u{202F}PM] C: x\n[1/14/24, 9:06:00\u{202F}PM] S: y\n";
        assert_eq!(WhatsApp.sniff(ios.as_bytes()), 3);
        assert_eq!(
            choose(Path::new("chat.txt"), ios.as_bytes()).name(),
            "whatsapp"
        );
        assert_eq!(
            choose(Path::new("chat.txt"), b"[A]: hi\n").name(),
            "bracket"
        );
    }

    #[test]
    fn fixtures() {
        check_fixture_dir("whatsapp");
        let content =
            std::fs::read("tests/fixtures/formats/whatsapp/android.txt").expect("fixture");
        let got = read_as(&WhatsApp, "a.txt", &content, &ReadOptions::default());
        assert_eq!(got.conversations[0].metadata["system"].terms().len(), 4);
    }

    /// Read `bytes` as a file, accepting a whole-file error (binary input).
    fn try_read(bytes: &[u8]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("chat.txt");
        std::fs::write(&path, bytes).expect("write");
        let _ = WhatsApp.read(&path, &ReadOptions::default(), &mut Collect::default());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            try_read(&bytes);
            WhatsApp.sniff(&bytes);
        }

        #[test]
        fn export_shaped_text_never_panics(lines in proptest::collection::vec(
            "\u{200E}?\\[?[0-9]{1,4}[/.-][0-9]{1,2}[/.-][0-9]{1,4},? [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?([ \u{202F}][AaPp][Mm])?(\\]| -) [A-Za-z 王\u{200E}:\"]{0,10}",
            0..12,
        )) {
            try_read(lines.join("\n").as_bytes());
        }
    }
}
