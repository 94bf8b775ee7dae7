//! Facets of a search: how many matching turns each speaker and each language has, over every
//! match (not a page of them). Counted on the inverted index: the matches of a segment go into a
//! bit set, then each value's posting list is walked against it, so the cost is that of the
//! index's speaker and language postings, whatever the number of hits, and memory is a bit per
//! turn of one segment. Metadata (`key=value` terms) is counted the same way where a segment holds
//! few enough different pairs to be worth a facet.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::query::{EnableScoring, Query};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocAddress, DocSet, Searcher, SegmentReader, TERMINATED};

use crate::error::{Error, Result};
use crate::search::{Engine, SearchOptions};

/// One value of a facet and the matching turns that have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// Matching turns per value of one metadata key (lowercased, as `--where` matches them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MetadataFacet {
    pub key: String,
    pub values: Vec<FacetValue>,
}

/// Matching turns per speaker, per language (a turn with spans in two languages counts in both)
/// and per metadata value, most first.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    pub speaker: Vec<FacetValue>,
    pub lang: Vec<FacetValue>,
    /// Keys in order of their matching turns. Left out: keys with more than 100 different values
    /// among the matches (ids, free text), keys whose every value belongs to one turn (cue
    /// numbers, timestamps), and segments with more than [`MAX_METADATA_TERMS`] pairs.
    pub metadata: Vec<MetadataFacet>,
}

/// A segment with more different `key=value` pairs holds identifiers or free text, not
/// categories: counting them would cost every search a walk over all of them.
pub const MAX_METADATA_TERMS: u64 = 10_000;
/// A key with more different values among the matches is no category either.
const MAX_METADATA_VALUES: usize = 100;
/// Metadata keys shown.
const MAX_METADATA_KEYS: usize = 10;

/// Counts per indexed term, and a turn that has it (its stored value is what a user reads: the
/// speaker term is lowercased).
type Tally = HashMap<String, (u64, Option<(usize, DocAddress)>)>;

/// The facets of `opts`'s matches over `engines` (one or several indexes), `top` values each.
pub fn facets(engines: &[&Engine], opts: &SearchOptions, top: usize) -> Result<Facets> {
    let (mut speakers, mut langs, mut meta) = (Tally::new(), Tally::new(), Tally::new());
    let mut searchers = Vec::with_capacity(engines.len());
    for (i, engine) in engines.iter().enumerate() {
        let searcher = engine.searcher();
        engine.guard(|| {
            let query = engine.build_query(opts)?;
            let weight = query.weight(EnableScoring::disabled_from_searcher(&searcher))?;
            let fields = engine.fields();
            for (s, segment) in searcher.segment_readers().iter().enumerate() {
                let matches = matching(segment, weight.scorer(segment, 1.0)?.as_mut());
                let at = |doc| (i, DocAddress::new(s as u32, doc));
                tally(segment, fields.speaker, &matches, &mut speakers, at)?;
                tally(segment, fields.languages, &matches, &mut langs, at)?;
                if segment.inverted_index(fields.meta)?.terms().num_terms() as u64
                    <= MAX_METADATA_TERMS
                {
                    tally(segment, fields.meta, &matches, &mut meta, at)?;
                }
            }
            Ok(())
        })?;
        searchers.push(searcher);
    }
    let speaker = ranked(speakers, top, |(i, addr)| {
        stored_str(&searchers[i], addr, engines[i].fields().speaker)
    })?;
    let lang = ranked(langs, top, |_| Ok(None))?;
    Ok(Facets {
        speaker,
        lang,
        metadata: by_key(meta, top),
    })
}

/// `key=value` counts grouped by key: categories only, the keys with most matches first.
fn by_key(counts: Tally, top: usize) -> Vec<MetadataFacet> {
    let mut keys: HashMap<String, Vec<FacetValue>> = HashMap::new();
    for (term, (count, _)) in counts {
        if let Some((key, value)) = term.split_once('=') {
            keys.entry(key.to_owned()).or_default().push(FacetValue {
                value: value.to_owned(),
                count,
            });
        }
    }
    let mut facets: Vec<(u64, MetadataFacet)> = keys
        .into_iter()
        // A key of one turn per value (subtitle cue numbers, timestamps) narrows nothing.
        .filter(|(_, values)| {
            values.len() <= MAX_METADATA_VALUES && values.iter().any(|v| v.count > 1)
        })
        .map(|(key, mut values)| {
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            let total = values.iter().map(|v| v.count).sum();
            values.truncate(top);
            (total, MetadataFacet { key, values })
        })
        .collect();
    facets.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.key.cmp(&b.1.key)));
    facets.truncate(MAX_METADATA_KEYS);
    facets.into_iter().map(|(_, f)| f).collect()
}

/// The live documents of `segment` that `docs` yields.
fn matching(segment: &SegmentReader, docs: &mut dyn DocSet) -> BitSet {
    let mut set = BitSet::with_max_value(segment.max_doc());
    let alive = segment.alive_bitset();
    let mut doc = docs.doc();
    while doc != TERMINATED {
        if alive.is_none_or(|a| a.is_alive(doc)) {
            set.insert(doc);
        }
        doc = docs.advance();
    }
    set
}

/// Add to `counts` the matches each term of `field` has in this segment.
fn tally(
    segment: &SegmentReader,
    field: Field,
    matches: &BitSet,
    counts: &mut Tally,
    at: impl Fn(u32) -> (usize, DocAddress),
) -> Result<()> {
    if matches.len() == 0 {
        return Ok(());
    }
    let inverted = segment.inverted_index(field)?;
    let io = |e| Error::io("reading the term dictionary", e);
    let mut terms = inverted.terms().stream().map_err(io)?;
    while terms.advance() {
        let mut postings = inverted
            .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
            .map_err(io)?;
        let (mut n, mut first) = (0u64, None);
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if matches.contains(doc) {
                n += 1;
                first.get_or_insert(doc);
            }
            doc = postings.advance();
        }
        if let (Some(doc), Ok(term)) = (first, std::str::from_utf8(terms.key())) {
            let entry = counts.entry(term.to_owned()).or_insert((0, None));
            entry.0 += n;
            entry.1.get_or_insert(at(doc));
        }
    }
    Ok(())
}

/// The `top` largest counts, most first (ties by value), each shown as `display` reads it from
/// one of its turns, or as the term.
fn ranked(
    counts: Tally,
    top: usize,
    display: impl Fn((usize, DocAddress)) -> Result<Option<String>>,
) -> Result<Vec<FacetValue>> {
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    rows.truncate(top);
    rows.into_iter()
        .map(|(term, (count, doc))| {
            let shown = match doc {
                Some(doc) => display(doc)?,
                None => None,
            };
            Ok(FacetValue {
                value: shown.unwrap_or(term),
                count,
            })
        })
        .collect()
}

fn stored_str(searcher: &Searcher, addr: DocAddress, field: Field) -> Result<Option<String>> {
    let doc: tantivy::TantivyDocument = searcher.doc(addr)?;
    Ok(crate::index::first_str(&doc, field).map(str::to_owned))
}
