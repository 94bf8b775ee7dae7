//! Query → hits. Owns query parsing (tantivy syntax plus speaker/language/conversation filters),
//! exchange assembly (the turns around each hit) and highlight offsets. Printing is `output`'s job.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

use serde::Serialize;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{
    BooleanQuery, Occur, Query, QueryParser, QueryParserError, RangeQuery, TermQuery,
};
use tantivy::query_grammar::{self, Occur as AstOccur, UserInputAst, UserInputLeaf};
use tantivy::schema::{IndexRecordOption, OwnedValue, Term};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Index, IndexReader, Searcher, TantivyDocument};

use crate::analyzer::ANALYZER;
use crate::error::{Error, Result};
use crate::ingest;
use crate::schema::{Fields, KIND_CONVERSATION, KIND_TURN, LANG_FIELDS};
use crate::spans::{script_of, Script};

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    pub query: String,
    /// ORed together; matched case-insensitively.
    pub speakers: Vec<String>,
    /// ORed together: the turn has a span of one of these languages.
    pub langs: Vec<String>,
    /// ORed together: conversation ids.
    pub conversations: Vec<String>,
    /// ORed together: the turn's dominant language is one of these.
    pub dominant: Vec<String>,
    /// Only code-switched turns.
    pub mixed: bool,
    /// Context turns before and after each hit.
    pub before: usize,
    pub after: usize,
    /// At most this many hits; `None` for all.
    pub limit: Option<usize>,
}

/// A turn as stored in the index.
#[derive(Debug, Clone, Serialize)]
pub struct TurnView {
    pub conversation: String,
    /// The conversation's title: its named topic, or the first words of its first turn.
    pub title: String,
    pub source: String,
    pub line: u64,
    pub turn: u64,
    pub speaker: String,
    pub languages: Vec<String>,
    pub dominant_language: Option<String>,
    pub code_switched: bool,
    pub spans: serde_json::Value,
    pub text: String,
    pub repaired: bool,
    /// The turn as it was in the file, when repair changed it.
    pub original: Option<String>,
    /// Characters repair had to choose, with alternatives and confidence.
    pub guesses: serde_json::Value,
}

/// One hit: the matching turn and the turns around it.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub turn: TurnView,
    pub score: f32,
    /// `[start, end)` in Unicode code points into `text`.
    pub highlights: Vec<[usize; 2]>,
    pub context: Context,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Context {
    pub before: Vec<TurnView>,
    pub after: Vec<TurnView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub total_hits: usize,
    pub hits: Vec<Hit>,
}

/// A searcher over one index.
pub struct Engine {
    index: Index,
    reader: IndexReader,
    fields: Fields,
}

impl Engine {
    pub fn open(dir: &Path) -> Result<Self> {
        let index = ingest::open_index(dir)?;
        let fields = Fields::new(&index.schema())?;
        let reader = index.reader().map_err(|source| Error::Index {
            path: dir.to_owned(),
            source,
        })?;
        Ok(Engine {
            index,
            reader,
            fields,
        })
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Run a search.
    pub fn search(&self, opts: &SearchOptions) -> Result<SearchResults> {
        let user_query = self.parse(&opts.query)?;
        let f = &self.fields;
        // Values of one flag are ORed; flags are ANDed. Labels and languages are stored lowercased.
        let filters = [
            ("--speaker", f.speaker, &opts.speakers, true),
            ("--lang", f.languages, &opts.langs, true),
            ("--dominant", f.dominant, &opts.dominant, true),
            ("--conv", f.conversation, &opts.conversations, false),
        ];
        for (flag, field, values, lowercase) in filters {
            self.check_values(flag, field, values, lowercase)?;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, user_query),
            (
                Occur::Must,
                term_query(Term::from_field_text(f.kind, KIND_TURN)),
            ),
        ];
        for (_, field, values, lowercase) in filters {
            if values.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let v = filter_value(v, lowercase);
                    (Occur::Should, term_query(Term::from_field_text(field, &v)))
                })
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        if opts.mixed {
            clauses.push((
                Occur::Must,
                term_query(Term::from_field_bool(f.code_switched, true)),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.searcher();
        let total_hits = searcher.search(&query, &Count)?;
        let limit = opts.limit.unwrap_or(total_hits).min(total_hits);
        let top = if limit == 0 {
            Vec::new()
        } else {
            searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?
        };
        let mut highlighter = Highlighter::new(&self.index, &opts.query);
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let turn = self.turn_at(&searcher, addr)?;
            let context = self.context(&searcher, &turn, opts.before, opts.after)?;
            let highlights = highlighter.highlight(&turn.text);
            hits.push(Hit {
                turn,
                score,
                highlights,
                context,
            });
        }
        // Equal scores come back in segment order, which depends on how ingest threads split the
        // work; order them by position in the corpus so output is the same on every run.
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.turn.conversation.cmp(&b.turn.conversation))
                .then_with(|| a.turn.turn.cmp(&b.turn.turn))
        });
        Ok(SearchResults {
            query: opts.query.clone(),
            total_hits,
            hits,
        })
    }

    /// A filter value that matches nothing is almost always a typo: say which values exist.
    fn check_values(
        &self,
        flag: &str,
        field: tantivy::schema::Field,
        values: &[String],
        lowercase: bool,
    ) -> Result<()> {
        let searcher = self.searcher();
        for value in values {
            let v = filter_value(value, lowercase);
            if searcher.doc_freq(&Term::from_field_text(field, &v))? == 0 {
                let known = self.known_values(&searcher, field, &v)?;
                return Err(Error::UnknownValue {
                    flag: flag.to_owned(),
                    value: value.clone(),
                    known,
                });
            }
        }
        Ok(())
    }

    /// Indexed values of `field`, those sharing a prefix with `near` first; at most 20.
    pub fn known_values(
        &self,
        searcher: &Searcher,
        field: tantivy::schema::Field,
        near: &str,
    ) -> Result<Vec<String>> {
        const MAX: usize = 20;
        let mut all = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .stream()
                .map_err(|e| Error::io("reading the term dictionary", e))?;
            while stream.advance() {
                if let Ok(s) = std::str::from_utf8(stream.key()) {
                    all.insert(s.to_owned());
                }
                if all.len() > 10_000 {
                    break;
                }
            }
        }
        let first: String = near.chars().take(3).collect();
        let mut known: Vec<String> = all
            .iter()
            .filter(|v| v.starts_with(&first))
            .cloned()
            .collect();
        known.extend(all.iter().filter(|v| !v.starts_with(&first)).cloned());
        known.truncate(MAX);
        Ok(known)
    }

    /// The turns of a conversation around `turn` (or all of it), for `colloquy show`.
    pub fn show(&self, conversation: &str, around: Option<(u64, u64)>) -> Result<Vec<TurnView>> {
        self.check_values(
            "conversation",
            self.fields.conversation,
            &[conversation.to_owned()],
            false,
        )?;
        let (lo, hi) = match around {
            Some((turn, context)) => (turn.saturating_sub(context), turn.saturating_add(context)),
            None => (0, u64::MAX - 1),
        };
        let searcher = self.searcher();
        self.turns_of(&searcher, conversation, lo, hi, None)
    }

    /// Preamble of an indexed conversation.
    pub fn preamble(&self, conversation: &str) -> Result<String> {
        let f = &self.fields;
        let query = BooleanQuery::new(self.in_conversation(conversation, KIND_CONVERSATION));
        let searcher = self.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = top.first() else {
            return Ok(String::new());
        };
        let doc: TantivyDocument = searcher.doc(*addr)?;
        Ok(first_str(&doc, f.preamble).unwrap_or_default())
    }

    fn parse(&self, query: &str) -> Result<Box<dyn Query>> {
        let f = &self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.text]);
        parser.set_conjunction_by_default();
        match parser.parse_query(query) {
            Ok(q) => Ok(q),
            // `NOT art` or `-art` alone means "every turn without art", as a reader expects.
            Err(QueryParserError::AllButQueryForbidden) => parser
                .parse_query(&format!("* {query}"))
                .map_err(|e| Error::Query {
                    query: query.to_owned(),
                    reason: explain_query_error(query, &e.to_string()),
                }),
            Err(e) => Err(Error::Query {
                query: query.to_owned(),
                reason: explain_query_error(query, &e.to_string()),
            }),
        }
    }

    fn turn_at(&self, searcher: &Searcher, addr: DocAddress) -> Result<TurnView> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        Ok(self.turn_view(&doc))
    }

    fn turn_view(&self, doc: &TantivyDocument) -> TurnView {
        let f = &self.fields;
        let text = |field| first_str(doc, field).unwrap_or_default();
        let json = |field| {
            first_str(doc, field)
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_else(|| serde_json::Value::Array(Vec::new()))
        };
        TurnView {
            conversation: text(f.conversation),
            title: text(f.title),
            source: text(f.source),
            line: first_u64(doc, f.line).unwrap_or(0),
            turn: first_u64(doc, f.turn).unwrap_or(0),
            speaker: text(f.speaker),
            languages: all_str(doc, f.languages),
            dominant_language: first_str(doc, f.dominant),
            code_switched: first_bool(doc, f.code_switched).unwrap_or(false),
            spans: json(f.spans),
            text: text(f.text),
            repaired: first_bool(doc, f.repaired).unwrap_or(false),
            original: first_str(doc, f.original),
            guesses: json(f.guesses),
        }
    }

    /// Turns `turn - before ..= turn + after` of the hit's conversation, without the hit.
    fn context(
        &self,
        searcher: &Searcher,
        hit: &TurnView,
        before: usize,
        after: usize,
    ) -> Result<Context> {
        if before == 0 && after == 0 {
            return Ok(Context::default());
        }
        let lo = hit.turn.saturating_sub(before as u64);
        let hi = hit.turn.saturating_add(after as u64);
        let turns = self.turns_of(searcher, &hit.conversation, lo, hi, Some(hit.turn))?;
        let (before, after) = turns.into_iter().partition(|t| t.turn < hit.turn);
        Ok(Context { before, after })
    }

    /// Clauses for the documents of one kind in one conversation.
    fn in_conversation(&self, conversation: &str, kind: &str) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        vec![
            (
                Occur::Must,
                term_query(Term::from_field_text(f.conversation, conversation)),
            ),
            (Occur::Must, term_query(Term::from_field_text(f.kind, kind))),
        ]
    }

    /// The turns of a conversation in `lo..=hi` except `skip`, in conversation order.
    pub fn turns_of(
        &self,
        searcher: &Searcher,
        conversation: &str,
        lo: u64,
        hi: u64,
        skip: Option<u64>,
    ) -> Result<Vec<TurnView>> {
        let f = &self.fields;
        let mut clauses = self.in_conversation(conversation, KIND_TURN);
        clauses.push((
            Occur::Must,
            Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(f.turn, lo)),
                Bound::Included(Term::from_field_u64(f.turn, hi)),
            )),
        ));
        // The hit itself is not context: not loaded, not parsed.
        if let Some(t) = skip {
            clauses.push((Occur::MustNot, term_query(Term::from_field_u64(f.turn, t))));
        }
        let query = BooleanQuery::new(clauses);
        // Every match, however long the conversation: no top-k bound to guess or allocate.
        let docs = searcher.search(&query, &DocSetCollector)?;
        let mut turns = docs
            .into_iter()
            .map(|addr| self.turn_at(searcher, addr))
            .collect::<Result<Vec<_>>>()?;
        turns.sort_by_key(|t| t.turn);
        Ok(turns)
    }
}

/// A filter flag's value as the index stores it.
fn filter_value(v: &str, lowercase: bool) -> String {
    if lowercase {
        v.trim().to_lowercase()
    } else {
        v.to_owned()
    }
}

fn term_query(term: Term) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

fn first_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| match OwnedValue::from(v) {
            OwnedValue::Str(s) => Some(s),
            _ => None,
        })
}

fn all_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| match OwnedValue::from(v) {
            OwnedValue::Str(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn first_u64(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<u64> {
    doc.get_first(field)
        .and_then(|v| match OwnedValue::from(v) {
            OwnedValue::U64(n) => Some(n),
            _ => None,
        })
}

fn first_bool(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<bool> {
    doc.get_first(field)
        .and_then(|v| match OwnedValue::from(v) {
            OwnedValue::Bool(b) => Some(b),
            _ => None,
        })
}

/// Turn tantivy's parse error into one that shows where the query went wrong.
fn explain_query_error(query: &str, tantivy_message: &str) -> String {
    let (_, errors) = query_grammar::parse_query_lenient(query);
    match errors.first() {
        Some(err) => {
            let col = query
                .get(..err.pos.min(query.len()))
                .map_or(0, |p| p.chars().count());
            format!("{}\n  {query}\n  {}^", err.message, " ".repeat(col))
        }
        None => {
            let mut msg = tantivy_message.to_owned();
            if msg.contains("Field does not exist") || msg.contains("FieldDoesNotExist") {
                msg.push_str(&format!(
                    " (fields: text, speaker, conversation, lang, title, {})",
                    LANG_FIELDS.join(", ")
                ));
            }
            msg
        }
    }
}

/// Finds the query's positive literals in a text: each literal is analysed into tokens with their
/// relative positions (a phrase, or a Chinese word indexed both as a word and as characters), and
/// highlighted only where every one of its tokens occurs at the same relative position, so the
/// offsets point at what actually matched.
pub struct Highlighter {
    /// The index's analyzer, or the same without jieba's words when no literal is a Chinese word
    /// (exact for everything else, and it never loads the dictionary).
    analyzer: Option<TextAnalyzer>,
    /// Per literal: (relative position, token text).
    patterns: Vec<Vec<(usize, String)>>,
    /// Every token text of every literal.
    words: std::collections::HashSet<String>,
}

impl Highlighter {
    pub fn new(index: &Index, query: &str) -> Self {
        let analyzer = index.tokenizers().get(ANALYZER);
        let mut literals = Vec::new();
        if let Ok(ast) = query_grammar::parse_query(query) {
            collect_literals(&ast, false, &mut literals);
        }
        let mut patterns = Vec::new();
        if let Some(mut analyzer) = analyzer.clone() {
            for literal in literals {
                let mut tokens = Vec::new();
                let mut stream = analyzer.token_stream(&literal);
                while stream.advance() {
                    let t = stream.token();
                    tokens.push((t.position, t.text.clone()));
                }
                if let Some(base) = tokens.iter().map(|t| t.0).min() {
                    for t in &mut tokens {
                        t.0 -= base;
                    }
                    patterns.push(tokens);
                }
            }
        }
        let needs_words = patterns
            .iter()
            .flatten()
            .any(|(_, t)| t.chars().count() > 1 && t.chars().any(|c| script_of(c) == Script::Han));
        let analyzer = match analyzer {
            Some(_) if !needs_words => Some(crate::analyzer::analyzer_without_words()),
            other => other,
        };
        let words = patterns.iter().flatten().map(|(_, w)| w.clone()).collect();
        Highlighter {
            analyzer,
            patterns,
            words,
        }
    }

    /// Highlight ranges in code points, sorted and merged.
    /// Takes `&mut self` so one analyzer (and its word cache) serves every hit.
    pub fn highlight(&mut self, text: &str) -> Vec<[usize; 2]> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        let Some(analyzer) = self.analyzer.as_mut() else {
            return Vec::new();
        };
        // Position → the tokens there that some literal contains, with their byte ranges in
        // `text` (every literal has a token at relative position 0, so no match is lost).
        let mut at: BTreeMap<usize, Vec<(String, usize, usize)>> = BTreeMap::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            if self.words.contains(t.text.as_str()) {
                at.entry(t.position).or_default().push((
                    t.text.clone(),
                    t.offset_from,
                    t.offset_to,
                ));
            }
        }
        let find = |position: usize, word: &str| {
            at.get(&position)?
                .iter()
                .find(|(w, _, _)| w == word)
                .map(|&(_, from, to)| (from, to))
        };
        let mut byte_ranges: Vec<(usize, usize)> = Vec::new();
        for pattern in &self.patterns {
            for &start in at.keys() {
                let range = pattern.iter().try_fold(None, |range, (rel, word)| {
                    let (from, to) = find(start + rel, word)?;
                    Some(Some(match range {
                        Some((f, t)) => (from.min(f), to.max(t)),
                        None => (from, to),
                    }))
                });
                if let Some(Some(r)) = range {
                    byte_ranges.push(r);
                }
            }
        }
        byte_ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in byte_ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        merged
            .into_iter()
            .map(|(s, e)| [char_offset(text, s), char_offset(text, e)])
            .collect()
    }
}

fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |p| p.chars().count())
}

fn collect_literals(ast: &UserInputAst, negated: bool, out: &mut Vec<String>) {
    match ast {
        UserInputAst::Clause(clauses) => {
            for (occur, sub) in clauses {
                let neg = negated ^ matches!(occur, Some(AstOccur::MustNot));
                collect_literals(sub, neg, out);
            }
        }
        UserInputAst::Boost(inner, _) => collect_literals(inner, negated, out),
        UserInputAst::Leaf(leaf) => {
            if let UserInputLeaf::Literal(lit) = leaf.as_ref() {
                let searchable = match lit.field_name.as_deref() {
                    None | Some("text") => true,
                    Some(f) => LANG_FIELDS.contains(&f),
                };
                if !negated && searchable {
                    out.push(lit.phrase.clone());
                }
            }
        }
    }
}
