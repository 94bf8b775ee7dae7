//! The precision half of `colloquy bench repair`: the clean multilingual set (one line per row,
//! tagged by language) repaired by colloquy and by ftfy — characters changed that should not
//! have been, per language — then damaged once through every code page with the undefined bytes
//! kept, and the lines each tool restores exactly, per script group. Clean-text throughput too:
//! most real corpora are clean, so the checks that keep repair precise must be cheap.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::repair::{damage, DamageModel, Repairer, UndefinedState};

/// One row of the clean set.
struct Row {
    lang: String,
    text: String,
}

/// Lines and what each tool did with them, for one language or group.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub lines: usize,
    /// Clean lines colloquy / ftfy changed, and the characters they changed.
    pub colloquy_changed: usize,
    pub colloquy_chars: usize,
    pub ftfy_changed: Option<usize>,
    pub ftfy_chars: Option<usize>,
}

/// Lines damaged through one code page and restored exactly, per script group.
#[derive(Debug, Clone, Serialize)]
pub struct PageRow {
    pub model: String,
    /// Group → (damaged lines, colloquy restored, ftfy restored).
    pub groups: BTreeMap<String, (usize, usize, Option<usize>)>,
    /// The same for the lines the page can write (`CodePage::can_write`: its own languages).
    pub own: (usize, usize, Option<usize>),
    /// Those lines repaired one at a time by colloquy, each with no other line's evidence:
    /// (damaged lines, restored).
    pub own_alone: (usize, usize),
}

#[derive(Debug, Clone, Serialize)]
pub struct PrecisionBench {
    pub set: String,
    pub lines: usize,
    pub languages: usize,
    pub per_language: BTreeMap<String, Tally>,
    pub pages: Vec<PageRow>,
    /// Clean set repeated to `clean_mb` megabytes: colloquy on every core, ftfy on one.
    pub clean_mb: f64,
    pub colloquy_clean_mb_s: f64,
    pub ftfy_clean_mb_s: Option<f64>,
    pub cores: usize,
}

fn load(set: &Path) -> Result<Vec<Row>> {
    let text = std::fs::read_to_string(set)
        .map_err(|e| Error::io(format!("reading {}", set.display()), e))?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(lang, text)| Row {
            lang: lang.to_owned(),
            text: text.to_owned(),
        })
        .collect())
}

/// The script group of a language tag, as the precision test groups them.
fn group(lang: &str) -> &'static str {
    const LATIN: &[&str] = &[
        "cs", "sk", "pl", "hu", "sl", "hr", "ro", "lt", "lv", "et", "tr", "az", "is", "fo", "de",
        "fr", "es", "pt", "it", "ca", "nl", "da", "no", "sv", "fi", "cy", "ga", "mt", "sq", "vi",
        "eo", "yo", "nv", "en",
    ];
    if lang.starts_with("sym-") {
        "symbols"
    } else if LATIN.contains(&lang) {
        "latin"
    } else {
        "other scripts"
    }
}

/// Changed lines and characters between two texts of the same lines.
fn changes(clean: &[&str], got: &str) -> Vec<(bool, usize)> {
    let mut lines = got.split('\n');
    clean
        .iter()
        .map(|c| {
            let g = lines.next().unwrap_or("");
            let diff = c.chars().zip(g.chars()).filter(|(a, b)| a != b).count()
                + c.chars().count().abs_diff(g.chars().count());
            (g != *c, diff)
        })
        .collect()
}

/// Run the precision bench on the set at `set`; `work` receives the peer's inputs.
pub fn run(set: &Path, work: &Path) -> Result<PrecisionBench> {
    let rows = load(set)?;
    let lines: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let joined = lines.join("\n");
    let models: Vec<DamageModel> = DamageModel::all()
        .into_iter()
        .filter(|m| m.rounds == 1 && m.undefined == UndefinedState::C1Control)
        .collect();
    let inputs = work.join("precision-in");
    std::fs::create_dir_all(&inputs).map_err(|e| Error::io("creating the input folder", e))?;
    let write = |name: &str, text: &str| {
        std::fs::write(inputs.join(name), text).map_err(|e| Error::io("writing an input", e))
    };
    write("clean.txt", &joined)?;
    let damaged: Vec<Vec<String>> = models
        .iter()
        .map(|m| lines.iter().map(|l| damage(l, *m)).collect())
        .collect();
    for (k, d) in damaged.iter().enumerate() {
        write(&format!("m{k:02}.txt"), &d.join("\n"))?;
    }
    let ftfy = super::run_ftfy(&inputs, &work.join("precision-out")).ok();
    let peer = |name: &str| {
        ftfy.as_ref()
            .and_then(|_| std::fs::read_to_string(work.join("precision-out").join(name)).ok())
    };
    let repairer = Repairer::new();
    let mine = changes(&lines, &repairer.repair(&joined).text);
    let theirs = peer("clean.txt").map(|t| changes(&lines, &t));
    let per_language = tally(&rows, &mine, theirs.as_deref());
    let pages = models
        .iter()
        .zip(&damaged)
        .enumerate()
        .map(|(k, (m, d))| {
            let got = repairer.repair(&d.join("\n")).text;
            page_row(&rows, m, d, &got, peer(&format!("m{k:02}.txt")).as_deref())
        })
        .collect();
    let (clean_mb, colloquy_clean_mb_s, ftfy_clean_mb_s) = clean_speed(&joined, work)?;
    Ok(PrecisionBench {
        set: set.display().to_string(),
        lines: rows.len(),
        languages: per_language.len(),
        per_language,
        pages,
        clean_mb,
        colloquy_clean_mb_s,
        ftfy_clean_mb_s,
        cores: rayon::current_num_threads(),
    })
}

fn tally(
    rows: &[Row],
    mine: &[(bool, usize)],
    theirs: Option<&[(bool, usize)]>,
) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let t = out.entry(row.lang.clone()).or_default();
        t.lines += 1;
        let (changed, chars) = mine.get(i).copied().unwrap_or((false, 0));
        t.colloquy_changed += usize::from(changed);
        t.colloquy_chars += chars;
        if let Some((changed, chars)) = theirs.and_then(|v| v.get(i).copied()) {
            *t.ftfy_changed.get_or_insert(0) += usize::from(changed);
            *t.ftfy_chars.get_or_insert(0) += chars;
        }
    }
    out
}

fn page_row(
    rows: &[Row],
    model: &DamageModel,
    damaged: &[String],
    got: &str,
    peer: Option<&str>,
) -> PageRow {
    let mut groups: BTreeMap<String, (usize, usize, Option<usize>)> = BTreeMap::new();
    let mut own = (0, 0, None);
    let mut own_alone = (0, 0);
    let repairer = Repairer::new();
    let mut mine = got.split('\n');
    let mut theirs = peer.map(|p| p.split('\n'));
    for (row, d) in rows.iter().zip(damaged) {
        let m = mine.next().unwrap_or("");
        let t = theirs.as_mut().map(|it| it.next().unwrap_or(""));
        if *d == row.text {
            continue;
        }
        let mut tallies = vec![groups.entry(group(&row.lang).to_owned()).or_default()];
        if model.code_page.can_write(&row.text) {
            tallies.push(&mut own);
            own_alone.0 += 1;
            own_alone.1 += usize::from(repairer.repair(d).text == row.text);
        }
        for g in tallies {
            g.0 += 1;
            g.1 += usize::from(m == row.text);
            if let Some(t) = t {
                *g.2.get_or_insert(0) += usize::from(t == row.text);
            }
        }
    }
    PageRow {
        model: model.to_string(),
        groups,
        own,
        own_alone,
    }
}

/// The clean set repeated to about 16 MB, repaired on every core (best of three), and a 1 MB
/// slice of it through ftfy on one.
fn clean_speed(joined: &str, work: &Path) -> Result<(f64, f64, Option<f64>)> {
    let mut big = String::with_capacity(16 << 20);
    while big.len() < 16 << 20 {
        big.push_str(joined);
        big.push('\n');
    }
    let repairer = Repairer::new();
    let best = (0..3)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(repairer.repair_parallel(&big));
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    let mb = big.len() as f64 / 1e6;
    let slice_end = (0..=1 << 20)
        .rev()
        .find(|&i| big.is_char_boundary(i))
        .unwrap_or(0);
    let dir = work.join("speed-in");
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating the input folder", e))?;
    std::fs::write(dir.join("clean.txt"), big.get(..slice_end).unwrap_or(""))
        .map_err(|e| Error::io("writing an input", e))?;
    let ftfy = super::run_ftfy(&dir, &work.join("speed-out"))
        .ok()
        .and_then(|(_, t)| t.get("clean.txt").copied())
        .map(|secs| slice_end as f64 / 1e6 / secs);
    Ok((mb, mb / best, ftfy))
}

/// The precision bench as tables.
pub fn print(out: &mut impl std::io::Write, b: &PrecisionBench) -> std::io::Result<()> {
    let ftfy_ran = b.per_language.values().any(|t| t.ftfy_changed.is_some());
    let opt = |v: Option<usize>| v.map_or("-".to_owned(), |v| v.to_string());
    let (cl, cc): (usize, usize) = b.per_language.values().fold((0, 0), |(l, c), t| {
        (l + t.colloquy_changed, c + t.colloquy_chars)
    });
    let ft: Option<(usize, usize)> = ftfy_ran.then(|| {
        b.per_language.values().fold((0, 0), |(l, c), t| {
            (
                l + t.ftfy_changed.unwrap_or(0),
                c + t.ftfy_chars.unwrap_or(0),
            )
        })
    });
    writeln!(
        out,
        "\nclean multilingual set {}: {} lines, {} languages",
        b.set, b.lines, b.languages
    )?;
    writeln!(
        out,
        "  lines changed (characters): colloquy {cl} ({cc}); ftfy {}",
        ft.map_or("-".into(), |(l, c)| format!("{l} ({c})"))
    )?;
    for (lang, t) in &b.per_language {
        if t.colloquy_changed > 0 || t.ftfy_changed.unwrap_or(0) > 0 {
            writeln!(
                out,
                "  {lang:<14} {:>3} lines: colloquy changed {}, ftfy changed {}",
                t.lines,
                t.colloquy_changed,
                opt(t.ftfy_changed)
            )?;
        }
    }
    writeln!(
        out,
        "\none round through each code page, undefined bytes kept: lines restored exactly, colloquy / ftfy\n\
         (the set as one text; \"its own\": the lines the page can write, also repaired one line at a time)"
    )?;
    for p in &b.pages {
        let (n, c, f) = p.own;
        let cells: Vec<String> = p
            .groups
            .iter()
            .map(|(g, (n, c, f))| format!("{g} {c}/{n} vs {}", opt(*f)))
            .chain([format!(
                "its own {c}/{n} vs {} (line by line {}/{})",
                opt(f),
                p.own_alone.1,
                p.own_alone.0
            )])
            .collect();
        writeln!(out, "  {:<18} {}", p.model, cells.join("; "))?;
    }
    let ratio = b.ftfy_clean_mb_s.map_or("-".to_owned(), |f| {
        format!("{:.1}x", b.colloquy_clean_mb_s / f)
    });
    writeln!(
        out,
        "\nclean text ({:.1} MB): colloquy {:.1} MB/s on {} cores; ftfy {} on one; ratio {ratio}",
        b.clean_mb,
        b.colloquy_clean_mb_s,
        b.cores,
        b.ftfy_clean_mb_s
            .map_or("-".to_owned(), |f| format!("{f:.1} MB/s"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_count_lines_and_characters() {
        let clean = ["abc", "déf", "x"];
        let got = changes(&clean, "abc\ndef\nxy");
        assert_eq!(got, vec![(false, 0), (true, 1), (true, 1)]);
    }

    #[test]
    fn groups_follow_the_tags() {
        assert_eq!(group("cs"), "latin");
        assert_eq!(group("sym-math"), "symbols");
        assert_eq!(group("ru"), "other scripts");
    }

    #[test]
    fn clean_set_on_colloquy_alone() {
        let set = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/repair/clean_multilingual.tsv");
        let rows = load(&set).expect("set");
        assert!(rows.len() >= 320);
        let lines: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
        let mine = changes(&lines, &Repairer::new().repair(&lines.join("\n")).text);
        let t = tally(&rows, &mine, None);
        let changed: usize = t.values().map(|t| t.colloquy_changed).sum();
        assert_eq!(changed, 0);
        assert!(t.len() >= 45);
    }
}
