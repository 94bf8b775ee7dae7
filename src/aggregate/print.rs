//! Printing of aggregates: aligned tables for a terminal (widths in display columns, so CJK
//! items line up) and CSV. JSON is the reports' own serde form.

use std::io::{self, Write};

use super::collocates::{CollocateGroup, CollocatesReport, Measure};
use super::freq::FreqReport;
use super::Unit;
use crate::output::{display_width, Style};

/// Column alignment.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// A frequency or n-gram list as tables, one per group.
pub fn freq_table<W: Write + ?Sized>(out: &mut W, r: &FreqReport, style: Style) -> io::Result<()> {
    let item = match (r.n, r.unit) {
        (Some(n), _) => format!("{n}-gram"),
        (None, Unit::Word) => "word".to_owned(),
        (None, Unit::Char) => "character".to_owned(),
    };
    if r.groups.is_empty() {
        return writeln!(out, "no {item}s: {} turns matched", thousands(r.turns));
    }
    for (i, g) in r.groups.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let heading = format!(
            "{}{} {item}s, {} types in {} turns",
            group_label(r.by.as_deref(), g.group.as_deref()),
            thousands(g.tokens),
            thousands(g.types),
            thousands(g.turns)
        );
        writeln!(out, "{}", bold(style, &heading))?;
        if g.items.is_empty() {
            writeln!(out, "(no {item} seen {} times or more)", r.min_count)?;
            continue;
        }
        let rows: Vec<Vec<String>> = g
            .items
            .iter()
            .map(|row| {
                vec![
                    row.rank.to_string(),
                    row.item.clone(),
                    thousands(row.count),
                    per_million_text(row.per_million),
                    thousands(row.turns),
                ]
            })
            .collect();
        use Align::*;
        let header = [
            ("rank", Right),
            (item.as_str(), Left),
            ("count", Right),
            ("per million", Right),
            ("turns", Right),
        ];
        table(out, &header, &rows, style)?;
    }
    Ok(())
}

/// A measure's name and how to read it from the scores.
type MeasureOf = fn(&super::collocates::Scores) -> f64;

/// Collocates as tables, one per group: O, left/right, f(c), E and the chosen measures.
pub fn collocates_table<W: Write + ?Sized>(
    out: &mut W,
    r: &CollocatesReport,
    style: Style,
) -> io::Result<()> {
    let measures: &[(&str, MeasureOf)] = match r.measure {
        Measure::Ll => &[("LL", |s| s.ll)],
        Measure::Mi => &[("MI", |s| s.mi)],
        Measure::T => &[("t", |s| s.t)],
        Measure::All => &[("LL", |s| s.ll), ("MI", |s| s.mi), ("t", |s| s.t)],
    };
    if r.groups.is_empty() {
        return writeln!(out, "no collocates: {} turns matched", thousands(r.turns));
    }
    let counted_as = if r.node_unit == r.node {
        String::new()
    } else {
        format!(" (counted as {})", r.node_unit)
    };
    let units = match r.unit {
        Unit::Word => "words",
        Unit::Char => "characters",
    };
    for (i, g) in r.groups.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let heading = format!(
            "{}{}{}: {} {} in {} {units}, {} turns; window {} left, {} right",
            group_label(r.by.as_deref(), g.group.as_deref()),
            r.node,
            counted_as,
            thousands(g.node_frequency),
            if g.node_frequency == 1 {
                "time"
            } else {
                "times"
            },
            thousands(g.tokens),
            thousands(g.turns),
            r.window.left,
            r.window.right
        );
        writeln!(out, "{}", bold(style, &heading))?;
        if g.items.is_empty() {
            let min = r.min_count;
            writeln!(
                out,
                "(no collocate seen {min} times or more in the windows; lower --min-count)"
            )?;
            continue;
        }
        collocate_rows(out, g, measures, style)?;
    }
    Ok(())
}

/// One group's collocates as a table: counts, the expected count and the chosen measures.
fn collocate_rows<W: Write + ?Sized>(
    out: &mut W,
    g: &CollocateGroup,
    measures: &[(&str, MeasureOf)],
    style: Style,
) -> io::Result<()> {
    let rows: Vec<Vec<String>> = g
        .items
        .iter()
        .map(|c| {
            let mut row = vec![
                c.rank.to_string(),
                c.item.clone(),
                thousands(c.observed),
                thousands(c.left),
                thousands(c.right),
                thousands(c.frequency),
                format!("{:.3}", c.scores.expected),
            ];
            row.extend(measures.iter().map(|(_, f)| format!("{:.3}", f(&c.scores))));
            row
        })
        .collect();
    use Align::*;
    let mut header = vec![
        ("rank", Right),
        ("collocate", Left),
        ("O", Right),
        ("left", Right),
        ("right", Right),
        ("f(c)", Right),
        ("E", Right),
    ];
    header.extend(measures.iter().map(|(name, _)| (*name, Right)));
    table(out, &header, &rows, style)
}

/// `[group,]rank,item,count,per_million,turns`, one line per item.
pub fn freq_csv(out: impl Write, r: &FreqReport) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let by = r.by.is_some();
    let mut header: Vec<&str> = Vec::new();
    if by {
        header.push("group");
    }
    header.extend(["rank", "item", "count", "per_million", "turns"]);
    w.write_record(&header)?;
    for g in &r.groups {
        for row in &g.items {
            let mut rec: Vec<String> = Vec::new();
            if by {
                rec.push(g.group.clone().unwrap_or_default());
            }
            rec.extend([
                row.rank.to_string(),
                row.item.clone(),
                row.count.to_string(),
                row.per_million.to_string(),
                row.turns.to_string(),
            ]);
            w.write_record(&rec)?;
        }
    }
    w.flush()
}

/// `[group,]rank,item,observed,left,right,frequency,expected,ll,mi,t`, every measure.
pub fn collocates_csv(out: impl Write, r: &CollocatesReport) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let by = r.by.is_some();
    let mut header: Vec<&str> = Vec::new();
    if by {
        header.push("group");
    }
    header.extend([
        "rank",
        "item",
        "observed",
        "left",
        "right",
        "frequency",
        "expected",
        "ll",
        "mi",
        "t",
    ]);
    w.write_record(&header)?;
    for g in &r.groups {
        for c in &g.items {
            let mut rec: Vec<String> = Vec::new();
            if by {
                rec.push(g.group.clone().unwrap_or_default());
            }
            let s = &c.scores;
            rec.extend([c.rank.to_string(), c.item.clone()]);
            rec.extend(
                [c.observed, c.left, c.right, c.frequency]
                    .iter()
                    .map(u64::to_string),
            );
            rec.extend([s.expected, s.ll, s.mi, s.t].iter().map(f64::to_string));
            w.write_record(&rec)?;
        }
    }
    w.flush()
}

/// 28217.953 → 28,217.95
fn per_million_text(x: f64) -> String {
    let text = format!("{x:.2}");
    match text.split_once('.') {
        Some((whole, frac)) => match whole.parse::<u64>() {
            Ok(w) => format!("{}.{frac}", thousands(w)),
            Err(_) => text,
        },
        None => text,
    }
}

/// `speaker A: ` before a group's heading; nothing without `--by`.
fn group_label(by: Option<&str>, group: Option<&str>) -> String {
    match (by, group) {
        (Some(by), Some(g)) => format!("{by} {g}: "),
        _ => String::new(),
    }
}

fn bold(style: Style, s: &str) -> String {
    match style {
        Style::Color => format!("\x1b[1m{s}\x1b[0m"),
        Style::Plain => s.to_owned(),
    }
}

/// 1234567 → 1,234,567
fn thousands(n: impl Into<u64>) -> String {
    crate::output::group(n.into())
}

/// Columns two spaces apart, padded to the widest cell in display columns.
fn table<W: Write + ?Sized>(
    out: &mut W,
    header: &[(&str, Align)],
    rows: &[Vec<String>],
    style: Style,
) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|(h, _)| display_width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(display_width(cell));
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| -> String {
        let padded: Vec<String> = cells
            .zip(header.iter().zip(&widths))
            .map(|(c, ((_, align), w))| {
                let pad = " ".repeat(w.saturating_sub(display_width(c)));
                match align {
                    Align::Left => format!("{c}{pad}"),
                    Align::Right => format!("{pad}{c}"),
                }
            })
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let head = line(&mut header.iter().map(|(h, _)| *h));
    writeln!(out, "{}", bold(style, &head))?;
    for row in rows {
        writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_by_display_width() {
        let rows = vec![
            vec!["1".to_owned(), "人工智能".to_owned(), "12".to_owned()],
            vec!["2".to_owned(), "art".to_owned(), "3".to_owned()],
        ];
        let header = [
            ("rank", Align::Right),
            ("word", Align::Left),
            ("count", Align::Right),
        ];
        let mut out = Vec::new();
        table(&mut out, &header, &rows, Style::Plain).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "rank  word      count");
        assert_eq!(lines[1], "   1  人工智能     12");
        assert_eq!(lines[2], "   2  art           3");
        let widths: Vec<usize> = lines.iter().map(|l| display_width(l)).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0u64), "0");
        assert_eq!(thousands(1_234_567u64), "1,234,567");
        assert_eq!(per_million_text(28_217.953), "28,217.95");
        assert_eq!(per_million_text(0.5), "0.50");
    }
}
