//! Hand-verified repairs at fixed spots of the damaged seeds
//! (data/seed_spots.tsv): each row is a snippet as it appears in a seed and
//! what a fluent reader knows it must say.

use colloquy::repair::{damage, DamageModel, Repairer};

const SPOTS: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/seed_spots.tsv"));

/// Share of spots that must come out right.
const FLOOR: f64 = 0.85;

fn seed(name: &str) -> Option<&'static str> {
    Some(match name {
        "000" => include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/000_69e3827c508b06a3.txt"
        )),
        "002" => include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/002_a46578f8551527d5.txt"
        )),
        "003" => include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/003_c8cacc78d537ad71.txt"
        )),
        _ => return None,
    })
}

/// What the seeds' damage makes of one character (soft hyphens vanish too).
fn damaged_form(c: char) -> Vec<char> {
    damage(&c.to_string(), DamageModel::SEEDS)
        .chars()
        .filter(|&x| x != '\u{AD}')
        .collect()
}

/// For every char of `repaired` (and one past the end), the offset in
/// `src` of what it replaced: a repaired char damaged again gives back its
/// source exactly; anything else is taken to be one source char. Lines are
/// aligned one by one (repair never touches a newline), so a char left
/// unrepaired cannot shift the rest of the file.
fn align(src: &str, repaired: &str) -> Vec<usize> {
    let mut at = Vec::new();
    let mut base = 0usize;
    let mut src_lines = src.split('\n');
    for rl in repaired.split('\n') {
        let sl: Vec<char> = src_lines.next().unwrap_or_default().chars().collect();
        let mut s = 0usize;
        for c in rl.chars() {
            at.push(base + s);
            let d = damaged_form(c);
            if !d.is_empty() && sl.get(s..s + d.len()) == Some(&d[..]) {
                s += d.len();
            } else {
                s += 1;
            }
        }
        // The newline.
        at.push(base + sl.len());
        base += sl.len() + 1;
    }
    at
}

fn find(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One repaired seed: name, source chars, repaired chars, alignment.
type Aligned = (String, Vec<char>, Vec<char>, Vec<usize>);

#[test]
fn seed_spots_are_repaired() {
    let rep = Repairer::new();
    let mut cache: Vec<Aligned> = Vec::new();
    let (mut total, mut right) = (0usize, 0usize);
    let mut wrong = Vec::new();
    for line in SPOTS.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, dmg, want, note] = cols[..] else {
            panic!("malformed spot line: {line:?}");
        };
        let Some(text) = seed(file) else {
            panic!("unknown seed {file}");
        };
        if !cache.iter().any(|c| c.0 == file) {
            let src: Vec<char> = text.chars().collect();
            let fixed = rep.repair(text).text;
            let at = align(text, &fixed);
            let out: Vec<char> = fixed.chars().collect();
            cache.push((file.to_string(), src, out, at));
        }
        let Some((_, src, out, at)) = cache.iter().find(|c| c.0 == file) else {
            continue;
        };
        let d: Vec<char> = dmg.chars().collect();
        let p = find(src, &d).unwrap_or_else(|| panic!("{file}: snippet {dmg:?} not in seed"));
        total += 1;
        let i = at.iter().position(|&x| x == p);
        let j = at.iter().position(|&x| x == p + d.len());
        let got: String = match (i, j) {
            (Some(i), Some(j)) if j >= i => out[i..j].iter().collect(),
            _ => "<unaligned>".to_string(),
        };
        if got == want {
            right += 1;
        } else {
            wrong.push(format!("{file}: want {want} got {got}   ({note})"));
        }
    }
    for w in &wrong {
        println!("WRONG {w}");
    }
    let acc = right as f64 / total.max(1) as f64;
    println!("seed spots: {right}/{total} = {acc:.3}");
    assert!(total >= 30, "only {total} spots");
    // The goal is 0.9; this is the floor reached so far (47/54 with
    // libime's word pairs, 43/54 without; 36/54 when bigram evidence came,
    // 18/54 before), kept as a regression guard.
    assert!(
        acc >= FLOOR,
        "seed spot accuracy {acc:.3} ({right}/{total})"
    );
}
