//! Stage 3 of ingest: split a conversation's text into turns by speaker.
//!
//! A turn starts at a line `[SPEAKER]: ` (label of 1–40 characters without `]`) and runs to the
//! next such line. Text before the first turn is the conversation's preamble. Offsets are kept as
//! 1-based line numbers so every hit can be printed as `source:line`, like grep.

/// One speaker turn as it appears in the file (before any repair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawTurn {
    /// 0-based position of the turn in its conversation.
    pub index: usize,
    /// 1-based line where the turn's `[SPEAKER]: ` marker is.
    pub line: usize,
    pub speaker: String,
    /// The turn's text: the rest of the marker line and the lines up to the next turn, with
    /// trailing whitespace removed.
    pub text: String,
}

/// A conversation split into its preamble and turns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversation {
    pub preamble: String,
    pub turns: Vec<RawTurn>,
}

const MAX_LABEL_CHARS: usize = 40;

/// If `line` opens a turn, return the speaker label and the text after the marker.
pub fn parse_marker(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('[')?;
    let close = rest.find(']')?;
    let label = &rest[..close];
    let after = rest[close + 1..].strip_prefix(':')?;
    let count = label.chars().count();
    if count == 0 || count > MAX_LABEL_CHARS || label.trim().is_empty() {
        return None;
    }
    // The marker is `[X]: text`; accept `[X]:` at end of line too (an empty first line).
    let text = match after.strip_prefix(' ') {
        Some(t) => t,
        None if after.is_empty() || after.starts_with(['\r', '\t']) => after.trim_start(),
        None => return None,
    };
    Some((label, text))
}

/// Split a conversation's text into turns.
pub fn split(text: &str) -> Conversation {
    let mut conv = Conversation::default();
    let mut preamble = String::new();
    let mut current: Option<(usize, &str, String)> = None;

    for (i, raw_line) in text.split('\n').enumerate() {
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        match parse_marker(line) {
            Some((label, first)) => {
                if let Some((start, speaker, body)) = current.take() {
                    push_turn(&mut conv, start, speaker, body);
                }
                current = Some((i + 1, label, first.to_owned()));
            }
            None => match current.as_mut() {
                Some((_, _, body)) => {
                    body.push('\n');
                    body.push_str(line);
                }
                None => {
                    preamble.push_str(line);
                    preamble.push('\n');
                }
            },
        }
    }
    if let Some((start, speaker, body)) = current.take() {
        push_turn(&mut conv, start, speaker, body);
    }
    conv.preamble = preamble.trim().to_owned();
    conv
}

fn push_turn(conv: &mut Conversation, line: usize, speaker: &str, body: String) {
    conv.turns.push(RawTurn {
        index: conv.turns.len(),
        line,
        speaker: speaker.trim().to_owned(),
        text: body.trim_end().to_owned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(parse_marker("[A]: hi"), Some(("A", "hi")));
        assert_eq!(parse_marker("[Dr. Wu]: 你好"), Some(("Dr. Wu", "你好")));
        assert_eq!(parse_marker("[A]:"), Some(("A", "")));
        assert_eq!(parse_marker("[]: hi"), None);
        assert_eq!(parse_marker("[A] hi"), None);
        assert_eq!(parse_marker("[A]:hi"), None);
        assert_eq!(parse_marker(" [A]: hi"), None);
        assert_eq!(parse_marker(&format!("[{}]: x", "x".repeat(41))), None);
        assert!(parse_marker(&format!("[{}]: x", "话".repeat(40))).is_some());
    }

    #[test]
    fn multi_line_turns_and_preamble() {
        let conv = split("title line\n\n[A]: one\ncontinued\n\n[B]: two\r\n[A]: three\n\n");
        assert_eq!(conv.preamble, "title line");
        assert_eq!(conv.turns.len(), 3);
        assert_eq!(conv.turns[0].text, "one\ncontinued");
        assert_eq!(conv.turns[0].line, 3);
        assert_eq!(conv.turns[1].speaker, "B");
        assert_eq!(conv.turns[1].text, "two");
        assert_eq!(conv.turns[1].line, 6);
        assert_eq!(conv.turns[2].index, 2);
        assert_eq!(conv.turns[2].line, 7);
    }

    #[test]
    fn no_turns() {
        let conv = split("just some text\nwithout markers");
        assert!(conv.turns.is_empty());
        assert_eq!(conv.preamble, "just some text\nwithout markers");
    }
}
