//! The user's query → a tantivy query. Owns the query language beyond tantivy's grammar:
//! inflection (a query word searches its base, `feelings` → feeling), exact forms (`=feelings`),
//! prefixes (`photo*`), fuzzy words (`photograpy~1`), regular expressions on single words
//! (`/colou?r/`), proximity (`"mental health"~2`), and `zh:`/`en:` language restrictions.
//! Anything the grammar accepts but this module cannot honour is an error with a caret under
//! it, never silently dropped.

use std::collections::BTreeSet;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EmptyQuery, FuzzyTermQuery, Occur, PhrasePrefixQuery,
    PhraseQuery, Query, QueryParser, TermQuery, TermSetQuery,
};
use tantivy::query_grammar::{
    self, Delimiter, Occur as AstOccur, UserInputAst, UserInputLeaf, UserInputLiteral,
};
use tantivy::schema::{Field, IndexRecordOption, Term};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, Searcher};

use crate::error::{Error, Result};
use crate::index::schema::{Fields, LANG_FIELDS};
use crate::spans::{script_of, Script};

/// Words a prefix, fuzzy word or regular expression may stand for; beyond this the query is
/// refused (a one-letter prefix would otherwise union most of the vocabulary).
pub const MAX_EXPANSION: usize = 10_000;

/// Longest regular expression accepted (its DFA is also bounded by tantivy-fst).
const MAX_REGEX_CHARS: usize = 200;

/// How much an exact-form match adds to a word's score, so `feelings` ranks turns saying
/// "feelings" before turns saying "feeling".
const EXACT_BOOST: f32 = 0.5;

/// Parentheses a query may nest: tantivy's parser recurses once per level, and ten thousand
/// levels overflowed the stack and aborted the process.
const MAX_QUERY_DEPTH: usize = 64;

/// One word of the query language, as the grammar leaves it in a bare literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Word {
    /// A word or phrase, matched through inflection.
    Plain,
    /// `=feelings`: this surface form only.
    Exact(String),
    /// `photo*`: surface forms starting so.
    Prefix(String),
    /// `photograpy~1`: surface forms within this many edits.
    Fuzzy(String, u8),
}

/// Reads the operators a bare literal may carry; `Err` explains what is not understood.
pub fn classify(phrase: &str) -> std::result::Result<Word, String> {
    if let Some(rest) = phrase.strip_prefix('=') {
        if rest.is_empty() {
            return Err("`=` must be followed by a word (=feelings)".into());
        }
        return Ok(Word::Exact(rest.to_owned()));
    }
    if let Some((word, distance)) = phrase.rsplit_once('~') {
        let distance = match distance {
            "" => 1,
            d => d
                .parse::<u8>()
                .ok()
                .filter(|d| *d <= 2)
                .ok_or_else(|| format!("fuzzy distance must be 0, 1 or 2: `{phrase}`"))?,
        };
        if word.is_empty() || word.contains(['*', '~']) {
            return Err(format!("`{phrase}`: write a word then ~N (colour~1)"));
        }
        return Ok(Word::Fuzzy(word.to_owned(), distance));
    }
    if let Some(stem) = phrase.strip_suffix('*') {
        if stem.is_empty() || stem.contains(['*', '?']) {
            return Err(format!(
                "`{phrase}`: a wildcard may only end a word (photo*); for more, use /a regex/"
            ));
        }
        return Ok(Word::Prefix(stem.to_owned()));
    }
    if phrase.contains(['*', '?']) && phrase != "*" {
        return Err(format!(
            "`{phrase}`: a wildcard may only end a word (photo*); for more, use /a regex/"
        ));
    }
    Ok(Word::Plain)
}

/// Query options beyond the text.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    /// Every word matches its exact form only (as if written `=word`).
    pub exact: bool,
    /// A single English word matches every surface form with its Snowball stem: the aggressive
    /// stemming other engines default to (feelings finds feel, emotional finds emotion).
    pub snowball: bool,
}

/// A user's query as tantivy reads it.
pub struct Parsed {
    pub query: Box<dyn Query>,
    /// Only turns can match: the caller needs no `kind:turn` clause (intersecting with every
    /// turn of the index was a fifth of a common word's search).
    pub only_turns: bool,
}

/// Whether every document `ast` can match is a turn. Conversation documents have no text, so a
/// query that requires a text match (or offers nothing but text matches) finds turns only;
/// anything else (titles, `*`, field values, negations alone) is assumed to reach conversations.
fn only_turns(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Clause(clauses) => {
            let with = |wanted: fn(&Option<AstOccur>) -> bool| {
                (clauses.iter())
                    .filter(move |(o, _)| wanted(o))
                    .map(|(_, c)| c)
                    .peekable()
            };
            let mut musts = with(|o| matches!(o, Some(AstOccur::Must) | None));
            if musts.peek().is_some() {
                return musts.any(only_turns);
            }
            let mut shoulds = with(|o| *o == Some(AstOccur::Should));
            shoulds.peek().is_some() && shoulds.all(only_turns)
        }
        UserInputAst::Boost(inner, _) => only_turns(inner),
        UserInputAst::Leaf(leaf) => match &**leaf {
            UserInputLeaf::Literal(lit) => match lit.field_name.as_deref() {
                None | Some("text") => true,
                Some(field) => LANG_FIELDS.contains(&field),
            },
            UserInputLeaf::Regex { field, .. } => matches!(field.as_deref(), None | Some("text")),
            _ => false,
        },
    }
}

/// Builds queries against one index.
pub struct Builder<'a> {
    index: &'a Index,
    fields: &'a Fields,
    searcher: &'a Searcher,
    mode: Mode,
    /// The whole query, for carets.
    source: &'a str,
    query_analyzer: TextAnalyzer,
    exact_analyzer: TextAnalyzer,
}

impl<'a> Builder<'a> {
    pub fn new(index: &'a Index, fields: &'a Fields, searcher: &'a Searcher, mode: Mode) -> Self {
        Builder {
            index,
            fields,
            searcher,
            mode,
            source: "",
            query_analyzer: crate::analyzer::query_analyzer(),
            exact_analyzer: crate::analyzer::exact_analyzer(),
        }
    }

    /// The tantivy query for `query`; `NOT art` alone means every turn without art.
    pub fn build(mut self, query: &'a str) -> Result<Parsed> {
        check_depth(query)?;
        self.source = query;
        let escaped = escape_apostrophes(query);
        let ast = query_grammar::parse_query(&escaped).map_err(|_| {
            let (reason, at) = explain_syntax_error(&escaped);
            // The column in the query as given: less the escapes added before it.
            let added = |n: usize| escaped.chars().take(n).filter(|c| *c == '\\').count();
            let given = |n: usize| query.chars().take(n).filter(|c| *c == '\\').count();
            Error::Query {
                query: query.to_owned(),
                reason,
                position: at.map(|n| n - (added(n) - given(n).min(added(n)))),
            }
        })?;
        Ok(Parsed {
            query: self.node(&ast)?,
            only_turns: only_turns(&ast),
        })
    }

    fn node(&mut self, ast: &UserInputAst) -> Result<Box<dyn Query>> {
        match ast {
            UserInputAst::Clause(clauses) => {
                let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(clauses.len() + 1);
                for (occur, sub) in clauses {
                    let occur = match occur {
                        Some(AstOccur::Should) => Occur::Should,
                        Some(AstOccur::MustNot) => Occur::MustNot,
                        Some(AstOccur::Must) | None => Occur::Must,
                    };
                    out.push((occur, self.node(sub)?));
                }
                if out.iter().all(|(o, _)| *o == Occur::MustNot) {
                    out.push((Occur::Must, Box::new(AllQuery)));
                }
                Ok(Box::new(BooleanQuery::new(out)))
            }
            UserInputAst::Boost(inner, boost) => Ok(Box::new(BoostQuery::new(
                self.node(inner)?,
                boost.into_inner() as f32,
            ))),
            UserInputAst::Leaf(leaf) => self.leaf(leaf),
        }
    }

    fn leaf(&mut self, leaf: &UserInputLeaf) -> Result<Box<dyn Query>> {
        match leaf {
            UserInputLeaf::All => Ok(Box::new(AllQuery)),
            UserInputLeaf::Literal(lit) => match lit.field_name.as_deref() {
                None | Some("text") => self.literal(self.fields.text, lit),
                Some("title") => self.literal(self.fields.title, lit),
                Some(lang) if LANG_FIELDS.contains(&lang) => self.in_language(lang, lit),
                Some(_) => self.field_value(lit),
            },
            UserInputLeaf::Regex { field, pattern } => match field.as_deref() {
                None | Some("text") => self.regex(pattern),
                Some(f) => Err(self.refuse(
                    pattern,
                    format!("regular expressions search the text, not the field {f}"),
                )),
            },
            other => self.delegate(UserInputLeaf::clone(other)),
        }
    }

    /// Ranges, sets and `field:value` on keyword fields: tantivy's own reading.
    fn delegate(&self, leaf: UserInputLeaf) -> Result<Box<dyn Query>> {
        let parser = QueryParser::for_index(self.index, vec![self.fields.text]);
        parser
            .build_query_from_user_input_ast(UserInputAst::Leaf(Box::new(leaf)))
            .map_err(|e| Error::Query {
                query: self.source.to_owned(),
                reason: explain_field_error(&e.to_string()),
                position: None,
            })
    }

    /// `zh:X` (and `en:`, `ja:`, `ko:`) means X in a turn with a span of that language: the
    /// literal searched in `text`, and the turn's `lang` required. A language the corpus lacks
    /// simply matches nothing. (Separate per-language fields indexed every turn's text a second
    /// time: a fifth of the index and of the indexing work.)
    fn in_language(&mut self, lang: &str, lit: &UserInputLiteral) -> Result<Box<dyn Query>> {
        let text = UserInputLiteral {
            field_name: None,
            ..lit.clone()
        };
        let filter = TermQuery::new(
            Term::from_field_text(self.fields.languages, lang),
            IndexRecordOption::Basic,
        );
        Ok(Box::new(BooleanQuery::new(vec![
            (Occur::Must, self.literal(self.fields.text, &text)?),
            (Occur::Must, Box::new(filter)),
        ])))
    }

    /// `speaker:B`, `conversation:…`, `lang:zh`: a value that matches nothing is refused with the
    /// known values, as the `--speaker` flag does.
    fn field_value(&self, lit: &UserInputLiteral) -> Result<Box<dyn Query>> {
        let name = lit.field_name.clone().unwrap_or_default();
        let checked = [
            ("speaker", self.fields.speaker, true),
            ("lang", self.fields.languages, true),
            ("dominant", self.fields.dominant, true),
            ("conversation", self.fields.conversation, false),
        ];
        if let Some(&(_, field, lowercase)) = checked.iter().find(|(n, _, _)| *n == name) {
            let value = if lowercase {
                lit.phrase.trim().to_lowercase()
            } else {
                lit.phrase.trim().to_owned()
            };
            let term = Term::from_field_text(field, &value);
            if self.searcher.doc_freq(&term)? == 0 {
                return Err(Error::UnknownValue {
                    flag: format!("{name}:"),
                    value: lit.phrase.clone(),
                    known: known_values(self.searcher, field, &value)?,
                });
            }
            return Ok(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
        }
        self.delegate(UserInputLeaf::Literal(lit.clone()))
    }

    fn literal(&mut self, field: Field, lit: &UserInputLiteral) -> Result<Box<dyn Query>> {
        if lit.delimiter == Delimiter::None {
            let word = classify(&lit.phrase).map_err(|reason| self.refuse(&lit.phrase, reason))?;
            if word != Word::Plain && field != self.fields.text {
                return Err(self.refuse(
                    &lit.phrase,
                    "exact forms, prefixes and fuzzy words search the turn text, not other fields"
                        .into(),
                ));
            }
            match word {
                Word::Plain => {}
                Word::Exact(w) => return self.exact(field, &w, &lit.phrase),
                Word::Prefix(p) => return self.prefix(&p, &lit.phrase),
                Word::Fuzzy(w, d) => return self.fuzzy(&w, d, &lit.phrase),
            }
        }
        if self.mode.snowball && field == self.fields.text && lit.delimiter == Delimiter::None {
            if let Some(q) = self.snowball(&lit.phrase)? {
                return Ok(q);
            }
        }
        let tokens = tokens_of(&mut self.query_analyzer, &lit.phrase);
        if tokens.is_empty() {
            return Err(self.refuse(
                &lit.phrase,
                "nothing searchable here (no letter, digit, ideograph or emoji)".into(),
            ));
        }
        let terms: Vec<(usize, Term)> = without_implied_unigrams(tokens)
            .iter()
            .map(|(p, t)| (*p, Term::from_field_text(field, t)))
            .collect();
        let main: Box<dyn Query> = if lit.prefix {
            Box::new(PhrasePrefixQuery::new_with_offset(terms))
        } else if let [(_, one)] = terms.as_slice() {
            Box::new(TermQuery::new(one.clone(), IndexRecordOption::WithFreqs))
        } else {
            Box::new(PhraseQuery::new_with_offset_and_slop(terms, lit.slop))
        };
        if field != self.fields.text {
            return Ok(main);
        }
        Ok(self.with_surface(main, &lit.phrase))
    }

    /// `main` with the literal's surface forms: required in exact mode, else a bonus that ranks
    /// them first.
    fn with_surface(&mut self, main: Box<dyn Query>, phrase: &str) -> Box<dyn Query> {
        let surface = tokens_of(&mut self.exact_analyzer, phrase);
        if surface.is_empty() {
            return main;
        }
        let occur = if self.mode.exact {
            Occur::Must
        } else {
            Occur::Should
        };
        let mut clauses = vec![(Occur::Must, main)];
        for (_, s) in surface {
            let q = TermQuery::new(
                Term::from_field_text(self.fields.exact, &s),
                IndexRecordOption::Basic,
            );
            let q: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(q), EXACT_BOOST));
            clauses.push((occur, q));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// `=word`: the surface form in `exact`; Han, kana and Hangul have no other forms, so they
    /// search the text as they are.
    fn exact(&mut self, field: Field, word: &str, raw: &str) -> Result<Box<dyn Query>> {
        let surface = tokens_of(&mut self.exact_analyzer, word);
        if surface.is_empty() || field != self.fields.text {
            let lit = UserInputLiteral {
                field_name: None,
                phrase: word.to_owned(),
                delimiter: Delimiter::DoubleQuotes,
                slop: 0,
                prefix: false,
            };
            return self.literal(field, &lit);
        }
        if surface.len() > 1 {
            return Err(self.refuse(
                raw,
                format!("`=` takes one word; for a phrase of exact forms use --exact \"{word}\""),
            ));
        }
        let term = Term::from_field_text(self.fields.exact, &surface[0].1);
        Ok(Box::new(TermQuery::new(term, IndexRecordOption::Basic)))
    }

    fn single_surface(&mut self, word: &str, raw: &str, what: &str) -> Result<String> {
        if word.chars().any(is_cjk) {
            return Err(self.refuse(raw, format!(
                "{what} works on alphabetic words; a Chinese, Japanese or Korean query already matches every word containing its characters (话 finds 话题)"
            )));
        }
        let surface = tokens_of(&mut self.exact_analyzer, word);
        match surface.as_slice() {
            [(_, one)] => Ok(one.clone()),
            [] => Err(self.refuse(raw, format!("{what} needs letters or digits"))),
            _ => Err(self.refuse(
                raw,
                format!("{what} applies to one word, and `{word}` is several"),
            )),
        }
    }

    /// `photo*`: every surface form starting so, at most [`MAX_EXPANSION`].
    fn prefix(&mut self, stem: &str, raw: &str) -> Result<Box<dyn Query>> {
        let p = self.single_surface(stem, raw, "a prefix")?;
        let found = self.scan_prefix(&p, raw, |_| true)?;
        Ok(self.set_query(found))
    }

    /// Every surface form sharing the word's Snowball English stem; `None` for anything but one
    /// alphabetic word of three letters or more (Snowball leaves shorter words alone).
    fn snowball(&mut self, word: &str) -> Result<Option<Box<dyn Query>>> {
        let surface = tokens_of(&mut self.exact_analyzer, word);
        let [(_, w)] = surface.as_slice() else {
            return Ok(None);
        };
        if w.len() <= 2 || !w.bytes().all(|b| b.is_ascii_lowercase()) {
            return Ok(None);
        }
        let stemmer = frostem::Stemmer::new(frostem::Algorithm::English);
        let stem = stemmer.stem(w).into_owned();
        // Stems are prefixes of their words but for a final y → i (happy → happi).
        let prefix = &stem[..stem.len().saturating_sub(1).max(2).min(stem.len())];
        let mut found = self.scan_prefix(prefix, word, |term| {
            std::str::from_utf8(term).is_ok_and(|t| stemmer.stem(t) == stem.as_str())
        })?;
        found.insert(w.as_bytes().to_vec());
        Ok(Some(self.set_query(found)))
    }

    /// `photograpy~1`: surface forms within the distance (a transposition counts as one).
    fn fuzzy(&mut self, word: &str, distance: u8, raw: &str) -> Result<Box<dyn Query>> {
        let w = self.single_surface(word, raw, "a fuzzy search")?;
        let term = Term::from_field_text(self.fields.exact, &w);
        Ok(Box::new(FuzzyTermQuery::new(term, distance, true)))
    }

    /// `/colou?r/`: surface forms the expression matches whole, at most [`MAX_EXPANSION`].
    fn regex(&mut self, pattern: &str) -> Result<Box<dyn Query>> {
        let raw = format!("/{pattern}/");
        if pattern.chars().count() > MAX_REGEX_CHARS {
            return Err(self.refuse(
                &raw,
                format!("a regular expression may have at most {MAX_REGEX_CHARS} characters"),
            ));
        }
        if pattern.chars().any(is_cjk) {
            return Err(self.refuse(
                &raw,
                "regular expressions match alphabetic words; for Chinese, Japanese or Korean, search the characters".into(),
            ));
        }
        let automaton = tantivy_fst::Regex::new(pattern).map_err(|e| {
            self.refuse(
                &raw,
                format!("not a regular expression this engine runs: {e}"),
            )
        })?;
        let mut found = BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.exact)?;
            let mut stream = inverted
                .terms()
                .search(&automaton)
                .into_stream()
                .map_err(|e| Error::io("reading the term dictionary", e))?;
            while stream.advance() {
                self.keep(&mut found, stream.key(), &raw)?;
            }
        }
        Ok(self.set_query(found))
    }

    /// The distinct surface forms starting with `prefix` that `wanted` accepts, across segments.
    fn scan_prefix(
        &self,
        prefix: &str,
        raw: &str,
        wanted: impl Fn(&[u8]) -> bool,
    ) -> Result<BTreeSet<Vec<u8>>> {
        let mut found = BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.exact)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()
                .map_err(|e| Error::io("reading the term dictionary", e))?;
            while stream.advance() && stream.key().starts_with(prefix.as_bytes()) {
                if wanted(stream.key()) {
                    self.keep(&mut found, stream.key(), raw)?;
                }
            }
        }
        Ok(found)
    }

    /// Adds a matched term, refusing once more than [`MAX_EXPANSION`] distinct words matched.
    fn keep(&self, found: &mut BTreeSet<Vec<u8>>, key: &[u8], raw: &str) -> Result<()> {
        found.insert(key.to_vec());
        if found.len() > MAX_EXPANSION {
            return Err(self.refuse(
                raw,
                format!("matches more than {MAX_EXPANSION} different words; make it narrower"),
            ));
        }
        Ok(())
    }

    fn set_query(&self, found: BTreeSet<Vec<u8>>) -> Box<dyn Query> {
        if found.is_empty() {
            return Box::new(EmptyQuery);
        }
        let field = self.fields.exact;
        let terms = found.into_iter().filter_map(|k| {
            std::str::from_utf8(&k)
                .ok()
                .map(|s| Term::from_field_text(field, s))
        });
        Box::new(TermSetQuery::new(terms))
    }

    fn refuse(&self, fragment: &str, reason: String) -> Error {
        Error::Query {
            query: self.source.to_owned(),
            reason: with_caret(self.source, fragment, &reason),
            position: Some(column_of(self.source, fragment)),
        }
    }
}

/// `it's`, `don't`: an apostrophe inside a word is part of the word, not the start of a
/// single-quoted phrase as tantivy's grammar reads it.
fn escape_apostrophes(query: &str) -> std::borrow::Cow<'_, str> {
    if !query.contains('\'') {
        return query.into();
    }
    let chars: Vec<char> = query.chars().collect();
    let mut out = String::with_capacity(query.len() + 4);
    let mut quoted = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == '"' {
            quoted = !quoted;
        }
        let inside_word = i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c == '\'' && inside_word && !quoted {
            out.push('\\');
        }
        out.push(c);
    }
    out.into()
}

fn is_cjk(c: char) -> bool {
    matches!(script_of(c), Script::Han | Script::Kana | Script::Hangul)
}

/// (position, text) of every token `analyzer` makes of `text`, positions from 0.
pub fn tokens_of(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut tokens = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        let t = stream.token();
        tokens.push((t.position, t.text.clone()));
    }
    if let Some(base) = tokens.iter().map(|t| t.0).min() {
        for t in &mut tokens {
            t.0 -= base;
        }
    }
    tokens
}

/// The tokens without the Han unigrams a word among them implies. The analyzer emits a Han word
/// only where the text has each of its characters as unigrams at the positions that follow, so
/// beside the word they match nothing more and cost the most: `话题` is the term 话题 instead of
/// the phrase 话题|话 题, which read the positions of two of the corpus's commonest terms. The
/// turns matched are the same.
fn without_implied_unigrams(tokens: Vec<(usize, String)>) -> Vec<(usize, String)> {
    let is_han = |c: char| script_of(c) == Script::Han;
    let mut implied: BTreeSet<(usize, char)> = BTreeSet::new();
    for (p, t) in &tokens {
        if t.chars().nth(1).is_some() && t.chars().all(is_han) {
            implied.extend(t.chars().enumerate().map(|(i, c)| (p + i, c)));
        }
    }
    tokens
        .into_iter()
        .filter(|(p, t)| {
            let mut cs = t.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => !implied.contains(&(*p, c)),
                _ => true,
            }
        })
        .collect()
}

/// The character column of the first occurrence of `fragment` in `query` (0 if absent).
fn column_of(query: &str, fragment: &str) -> usize {
    query
        .find(fragment)
        .map_or(0, |at| query[..at].chars().count())
}

/// `reason`, then the query with a caret under the first occurrence of `fragment`.
fn with_caret(query: &str, fragment: &str, reason: &str) -> String {
    let col = column_of(query, fragment);
    let before: String = query.chars().take(col).collect();
    let col = unicode_width::UnicodeWidthStr::width(before.as_str());
    format!("{reason}\n  {query}\n  {}^", " ".repeat(col))
}

/// Refuse a query nested deeper than [`MAX_QUERY_DEPTH`], with a caret at the first parenthesis
/// too deep (parentheses inside quotes are text).
pub fn check_depth(query: &str) -> Result<()> {
    let (mut depth, mut quoted) = (0usize, false);
    for (col, c) in query.chars().enumerate() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_QUERY_DEPTH {
            // The last characters up to the offending parenthesis, with a caret under it.
            let tail: String = query
                .chars()
                .skip((col + 1).saturating_sub(20))
                .take(col.min(19) + 1)
                .collect();
            let width = tail.chars().count();
            return Err(Error::Query {
                query: query.chars().take(80).collect(),
                reason: format!(
                    "parentheses nested deeper than {MAX_QUERY_DEPTH} levels\n  …{tail}\n  {}^",
                    " ".repeat(width)
                ),
                position: Some(col),
            });
        }
    }
    Ok(())
}

/// Where the grammar stopped, with a caret, and its character column.
fn explain_syntax_error(query: &str) -> (String, Option<usize>) {
    let (_, errors) = query_grammar::parse_query_lenient(query);
    match errors.first() {
        Some(err) => {
            let col = query
                .get(..err.pos.min(query.len()))
                .map_or(0, |p| p.chars().count());
            let reason = format!("{}\n  {query}\n  {}^", err.message, " ".repeat(col));
            (reason, Some(col))
        }
        None => ("the query is not valid syntax".into(), None),
    }
}

fn explain_field_error(tantivy_message: &str) -> String {
    let mut msg = tantivy_message.to_owned();
    if msg.contains("Field does not exist") || msg.contains("FieldDoesNotExist") {
        msg.push_str(&format!(
            " (fields: text, speaker, conversation, lang, dominant, title, {})",
            LANG_FIELDS.join(", ")
        ));
    }
    msg
}

/// Indexed values of `field`, those sharing a prefix with `near` first; at most `MAX`, and a
/// last entry saying how many more there are.
pub fn known_values(searcher: &Searcher, field: Field, near: &str) -> Result<Vec<String>> {
    const MAX: usize = 20;
    const SCAN: usize = 10_000;
    let mut all = BTreeSet::new();
    let mut capped = false;
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
            if all.len() > SCAN {
                capped = true;
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
    let total = known.len();
    known.truncate(MAX);
    if total > MAX {
        let more = if capped {
            format!("over {}", SCAN - MAX)
        } else {
            (total - MAX).to_string()
        };
        known.push(format!("… and {more} more"));
    }
    Ok(known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::DocSetCollector;
    use tantivy::schema::{Schema, TextFieldIndexing, TextOptions, STORED};
    use tantivy::TantivyDocument;

    fn reduced(q: &str) -> Vec<(usize, String)> {
        without_implied_unigrams(tokens_of(&mut crate::analyzer::query_analyzer(), q))
    }

    fn turns_only(q: &str) -> bool {
        let ast = query_grammar::parse_query(q).expect("a query the grammar reads");
        only_turns(&ast)
    }

    #[test]
    fn text_requirements_reach_turns_only() {
        for q in [
            "art",
            "\"mental health\"",
            "art AND title:photography",
            "art -music",
            "art OR music",
            "(art OR music) speaker:B",
            "zh:话题",
            "text:art^2",
            "/colou?r/",
        ] {
            assert!(turns_only(q), "{q}");
        }
        // Conversations have titles, fields and no text: these need the turn filter.
        for q in [
            "title:photography",
            "art OR title:photography",
            "*",
            "-art",
            "speaker:B",
            "turn:[0 TO 3]",
        ] {
            assert!(!turns_only(q), "{q}");
        }
    }

    #[test]
    fn a_word_stands_for_its_unigrams() {
        assert_eq!(reduced("话题"), vec![(0, "话题".to_string())]);
        assert_eq!(reduced("算法"), vec![(0, "算法".to_string())]);
        // English and single characters are left as they are.
        assert_eq!(reduced("话"), vec![(0, "话".to_string())]);
        assert_eq!(reduced("mental health").len(), 2);
    }

    /// The phrase of a query's words alone matches the same turns as the phrase of its words
    /// and unigrams, on the seeds' repaired lines, for words, non-words and mixtures.
    #[test]
    fn dropping_implied_unigrams_matches_the_same_turns() {
        let mut sb = Schema::builder();
        let opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(crate::analyzer::ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let body = sb.add_text_field("body", opts | STORED);
        let index = Index::create_in_ram(sb.build());
        crate::analyzer::register(&index);
        let mut w = index
            .writer_with_num_threads(1, 15_000_000)
            .expect("writer");
        let repairer = crate::repair::Repairer::new();
        for seed in
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus")).expect("corpus")
        {
            let text = std::fs::read_to_string(seed.expect("entry").path()).expect("seed");
            for line in text.lines() {
                let mut d = TantivyDocument::new();
                d.add_text(body, repairer.repair(line).text);
                w.add_document(d).expect("add");
            }
        }
        w.commit().expect("commit");
        let searcher = index.reader().expect("reader").searcher();
        let hits = |tokens: &[(usize, String)]| {
            let terms: Vec<(usize, Term)> = tokens
                .iter()
                .map(|(p, t)| (*p, Term::from_field_text(body, t)))
                .collect();
            let q: Box<dyn Query> = match terms.as_slice() {
                [(_, one)] => Box::new(TermQuery::new(one.clone(), IndexRecordOption::Basic)),
                _ => Box::new(PhraseQuery::new_with_offset(terms)),
            };
            let mut ids: Vec<_> = searcher
                .search(&*q, &DocSetCollector)
                .expect("search")
                .into_iter()
                .collect();
            ids.sort();
            ids
        };
        let mut matched = 0;
        for q in [
            "话题",
            "这个话题",
            "艺术",
            "社交媒体",
            "影响",
            "你怎么想",
            "心理健康",
            "我觉得",
            "算法",
            "大吗",
            "的话",
            "人工智能",
            "话题很",
            "艺术家",
            "创作",
        ] {
            let all = tokens_of(&mut crate::analyzer::query_analyzer(), q);
            let fewer = without_implied_unigrams(all.clone());
            let found = hits(&all);
            assert_eq!(hits(&fewer), found, "{q}: {all:?} against {fewer:?}");
            matched += usize::from(!found.is_empty());
        }
        assert!(matched >= 10, "only {matched} queries match anything");
    }
}
