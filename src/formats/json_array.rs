//! The elements of a JSON array, one at a time, as bytes: a scan that knows only strings,
//! escapes and nesting finds where each element ends, and the caller parses those bytes.
//!
//! serde_json can stream an array from a reader, but it asks the reader for one byte per call:
//! on ShareGPT's 125 MB array that reading was ~10 % of ingest's CPU, on the one thread that
//! reads the file while the others wait. Parsing each element from a slice is the fast path.

use std::io::BufRead;

/// Where the next byte of the file is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    pub bytes: u64,
    /// 1-based line of the next byte.
    pub line: u64,
    /// Byte offset where that line starts (for columns).
    pub line_start: u64,
}

impl Position {
    /// 1-based column (in bytes) of the next byte.
    pub fn column(&self) -> u64 {
        self.bytes - self.line_start + 1
    }

    /// Past `bytes`.
    pub fn advance(&mut self, bytes: &[u8]) {
        // Counted apart from the last line break: a plain count over the bytes, which the
        // compiler vectorises, rather than a branch per byte (every byte of a file passes here).
        if let Some(last) = bytes.iter().rposition(|&b| b == b'\n') {
            self.line += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
            self.line_start = self.bytes + last as u64 + 1;
        }
        self.bytes += bytes.len() as u64;
    }
}

/// Consume the bytes `blank` accepts, counting them into `pos`; the first other byte (not
/// consumed), or None at the end of the file.
pub fn skip_blank<R: BufRead>(
    reader: &mut R,
    pos: &mut Position,
    blank: impl Fn(u8) -> bool,
) -> std::io::Result<Option<u8>> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        let n = buf.iter().take_while(|&&b| blank(b)).count();
        pos.advance(buf.get(..n).unwrap_or_default());
        let next = buf.get(n).copied();
        reader.consume(n);
        if next.is_some() {
            return Ok(next);
        }
    }
}

/// What the scan found next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// An element's bytes are in the buffer; it starts at this position.
    Element(Position),
    /// The closing `]`, consumed.
    End,
    /// The file ended before the array did.
    CutOff,
    /// A byte that cannot stand here (between elements: neither `,` nor `]`), not consumed.
    Unexpected(u8),
}

/// A scan of one array, from just after its `[`.
pub struct Elements<R> {
    reader: R,
    pos: Position,
    /// An element was read, so a `,` or the `]` comes next.
    after_element: bool,
}

impl<R: BufRead> Elements<R> {
    /// Scan the array whose `[` was the byte before `pos`.
    pub fn new(reader: R, pos: Position) -> Self {
        Elements {
            reader,
            pos,
            after_element: false,
        }
    }

    /// Where the scan is.
    pub fn position(&self) -> Position {
        self.pos
    }

    /// The reader, positioned just after what was scanned.
    pub fn into_reader(self) -> R {
        self.reader
    }

    /// The next element into `out` (cleared first), or why there is none.
    pub fn next(&mut self, out: &mut Vec<u8>) -> std::io::Result<Step> {
        out.clear();
        loop {
            let Some(b) = self.skip_blank()? else {
                return Ok(Step::CutOff);
            };
            match (b, self.after_element) {
                (b']', _) => {
                    self.consume(1)?;
                    return Ok(Step::End);
                }
                (b',', true) => {
                    self.consume(1)?;
                    self.after_element = false;
                    // `[1,]`: the `]` after a comma is unexpected, as serde_json says.
                    match self.skip_blank()? {
                        None => return Ok(Step::CutOff),
                        Some(b']') => return Ok(Step::Unexpected(b']')),
                        Some(_) => {}
                    }
                }
                (_, true) => return Ok(Step::Unexpected(b)),
                (_, false) => {
                    let start = self.pos;
                    if !self.element(out)? {
                        return Ok(Step::CutOff);
                    }
                    self.after_element = true;
                    return Ok(Step::Element(start));
                }
            }
        }
    }

    /// The next byte that is not JSON whitespace (not consumed); None at the end of the file.
    fn skip_blank(&mut self) -> std::io::Result<Option<u8>> {
        skip_blank(&mut self.reader, &mut self.pos, |b| {
            matches!(b, b' ' | b'\t' | b'\n' | b'\r')
        })
    }

    fn consume(&mut self, n: usize) -> std::io::Result<()> {
        let buf = self.reader.fill_buf()?;
        self.pos.advance(buf.get(..n).unwrap_or(buf));
        self.reader.consume(n);
        Ok(())
    }

    /// One element into `out`, up to the `,` or `]` after it at depth 0 (not consumed); false
    /// when the file ends first.
    fn element(&mut self, out: &mut Vec<u8>) -> std::io::Result<bool> {
        let mut depth = 0u64;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let mut end = None;
            for (i, &b) in buf.iter().enumerate() {
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' if depth > 0 => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    // A scalar (or junk) ends where a separator or blank starts.
                    b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let take = end.unwrap_or(buf.len());
            out.extend_from_slice(buf.get(..take).unwrap_or(buf));
            self.consume(take)?;
            if end.is_some() {
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(bytes: u64, line: u64, line_start: u64) -> Position {
        Position {
            bytes,
            line,
            line_start,
        }
    }

    /// Every step of scanning `text` (which starts after the `[`), with the element bytes.
    fn scan(text: &str) -> Vec<(Step, String)> {
        // A small buffer, so elements and blanks straddle refills.
        let reader = std::io::BufReader::with_capacity(3, text.as_bytes());
        let mut e = Elements::new(reader, at(1, 1, 0));
        let mut out = Vec::new();
        let mut steps = Vec::new();
        loop {
            let step = e.next(&mut out).expect("read");
            let done = !matches!(step, Step::Element(_));
            steps.push((step, String::from_utf8_lossy(&out).into_owned()));
            if done || steps.len() > 50 {
                return steps;
            }
        }
    }

    fn elements(text: &str) -> Vec<String> {
        scan(text)
            .into_iter()
            .filter(|(s, _)| matches!(s, Step::Element(_)))
            .map(|(_, t)| t)
            .collect()
    }

    #[test]
    fn elements_with_strings_escapes_and_nesting() {
        let text = r#" {"a": "x,]}\"y", "b": [1, {"c": "]"}]} , 12.5e3,"s\\",[ ],true
 , null ]  tail"#;
        assert_eq!(
            elements(text),
            [
                r#"{"a": "x,]}\"y", "b": [1, {"c": "]"}]}"#,
                "12.5e3",
                r#""s\\""#,
                "[ ]",
                "true",
                "null"
            ]
        );
        assert_eq!(scan(text).last().map(|s| &s.0), Some(&Step::End));
    }

    #[test]
    fn positions_are_where_elements_start() {
        let steps = scan("\n  {\"a\":\n1},\n\n 2]");
        assert_eq!(steps[0].0, Step::Element(at(4, 2, 2)));
        assert_eq!(steps[1].0, Step::Element(at(16, 5, 15)));
        assert_eq!(at(16, 5, 15).column(), 2);
        assert_eq!(steps[2].0, Step::End);
    }

    #[test]
    fn empty_cut_and_broken_arrays() {
        assert_eq!(scan(" ]")[0].0, Step::End);
        assert_eq!(scan("")[0].0, Step::CutOff);
        assert_eq!(scan("{\"a\": \"unterminated")[0].0, Step::CutOff);
        assert_eq!(scan("1, ").last().map(|s| &s.0), Some(&Step::CutOff));
        // Two elements without a comma; a trailing comma.
        assert_eq!(scan("{} {}")[1].0, Step::Unexpected(b'{'));
        assert_eq!(scan("1,]")[1].0, Step::Unexpected(b']'));
        assert_eq!(scan(",1")[0].0, Step::Element(at(1, 1, 0)));
        assert_eq!(scan(",1")[0].1, "");
    }
}
