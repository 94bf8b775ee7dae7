//! Printers: search results for a terminal (colour or plain markers) and as JSON / JSON Lines.
//! Kept apart from `search` so the searcher never formats and the printer never queries.

use std::io::{self, Write};

use crate::search::{Hit, SearchResults, TurnView};

/// How matched words are set apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// ANSI colours: matches bold red, context dimmed.
    Color,
    /// No escapes: matches wrapped in `**`, context turns marked with a space instead of `>`.
    Plain,
}

const MARK_OPEN: &str = "**";
const MARK_CLOSE: &str = "**";

struct Paint {
    style: Style,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        match self.style {
            Style::Color => format!("\x1b[{code}m{s}\x1b[0m"),
            Style::Plain => s.to_owned(),
        }
    }
    fn path(&self, s: &str) -> String {
        self.wrap("35", s)
    }
    fn line(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn speaker(&self, s: &str) -> String {
        self.wrap("1;36", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn matched(&self, s: &str) -> String {
        match self.style {
            Style::Color => format!("\x1b[1;31m{s}\x1b[0m"),
            Style::Plain => format!("{MARK_OPEN}{s}{MARK_CLOSE}"),
        }
    }
}

/// Print hits as exchanges: a heading per hit, then the context and hit turns in order.
pub fn print_terminal(
    out: &mut impl Write,
    results: &SearchResults,
    style: Style,
) -> io::Result<()> {
    let paint = Paint { style };
    for (n, hit) in results.hits.iter().enumerate() {
        if n > 0 {
            writeln!(out, "{}", paint.dim("--"))?;
        }
        print_hit(out, hit, &paint)?;
    }
    let conversations: std::collections::BTreeSet<&str> = results
        .hits
        .iter()
        .map(|h| h.turn.conversation.as_str())
        .collect();
    if !results.hits.is_empty() {
        writeln!(out)?;
    }
    let shown = if results.hits.len() < results.total_hits {
        format!(" (showing {}; use --limit)", results.hits.len())
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} in {} conversation{}{shown}",
        plural(results.total_hits, "hit"),
        conversations.len(),
        if conversations.len() == 1 { "" } else { "s" },
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn print_hit(out: &mut impl Write, hit: &Hit, paint: &Paint) -> io::Result<()> {
    let t = &hit.turn;
    let mut heading = format!(
        "{}:{} {} turn {}",
        paint.path(&t.source),
        paint.line(&t.line.to_string()),
        t.conversation,
        t.turn
    );
    if !t.languages.is_empty() {
        heading.push_str(&format!(" [{}]", t.languages.join(",")));
    }
    if t.repaired {
        heading.push_str(" (repaired)");
    }
    writeln!(out, "{heading}")?;
    let width = hit
        .context
        .before
        .iter()
        .chain(std::iter::once(t))
        .chain(&hit.context.after)
        .map(|c| c.line.to_string().len())
        .max()
        .unwrap_or(1);
    for c in &hit.context.before {
        print_turn(out, c, None, width, paint)?;
    }
    print_turn(out, t, Some(&hit.highlights), width, paint)?;
    for c in &hit.context.after {
        print_turn(out, c, None, width, paint)?;
    }
    Ok(())
}

fn print_turn(
    out: &mut impl Write,
    turn: &TurnView,
    highlights: Option<&[[usize; 2]]>,
    width: usize,
    paint: &Paint,
) -> io::Result<()> {
    let is_hit = highlights.is_some();
    let marker = if is_hit { ">" } else { " " };
    let line_no = format!("{:>width$}", turn.line);
    let label = format!("[{}]", turn.speaker);
    let body = match highlights {
        Some(h) => mark(&turn.text, h, paint),
        None => turn.text.clone(),
    };
    let indent = " ".repeat(width + 3);
    for (i, line) in body.split('\n').enumerate() {
        let text = if is_hit {
            line.to_owned()
        } else {
            paint.dim(line)
        };
        if i == 0 {
            writeln!(
                out,
                "{marker} {}: {} {text}",
                paint.line(&line_no),
                paint.speaker(&label)
            )?;
        } else if line.is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "{indent}{text}")?;
        }
    }
    Ok(())
}

/// Wrap the highlighted code-point ranges of `text`.
fn mark(text: &str, highlights: &[[usize; 2]], paint: &Paint) -> String {
    let mut out = String::with_capacity(text.len() + highlights.len() * 8);
    let chars: Vec<char> = text.chars().collect();
    let mut pos = 0;
    for &[start, end] in highlights {
        let (start, end) = (start.min(chars.len()), end.min(chars.len()));
        if start < pos || start >= end {
            continue;
        }
        out.extend(&chars[pos..start]);
        let word: String = chars[start..end].iter().collect();
        out.push_str(&paint.matched(&word));
        pos = end;
    }
    out.extend(&chars[pos..]);
    out
}

/// `--json`: one document with every hit.
pub fn print_json(out: &mut impl Write, results: &SearchResults) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, results)?;
    writeln!(out)
}

/// `--jsonl`: one hit per line.
pub fn print_jsonl(out: &mut impl Write, results: &SearchResults) -> io::Result<()> {
    for hit in &results.hits {
        serde_json::to_writer(&mut *out, hit)?;
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_code_point_ranges() {
        let paint = Paint {
            style: Style::Plain,
        };
        assert_eq!(
            mark("我不知道 mental health", &[[1, 2], [5, 11]], &paint),
            "我**不**知道 **mental** health"
        );
    }
}
