//! Query → hits. Owns query parsing (tantivy syntax plus speaker/language/conversation filters),
//! exchange assembly (the turns around each hit) and highlight offsets. Printing is `output`'s job.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

use serde::Serialize;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::EnableScoring;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::query_grammar::{self, Delimiter, Occur as AstOccur, UserInputAst, UserInputLeaf};
use tantivy::schema::{IndexRecordOption, OwnedValue, Term, Value};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, DocSet, Executor, Index, IndexReader, Searcher, TantivyDocument, TERMINATED,
};

use crate::analyzer::ANALYZER;
use crate::error::{Error, Result};
use crate::index::schema::{Fields, KIND_CONVERSATION, KIND_TURN, LANG_FIELDS};
use crate::index::stored::{self, StoredGuess};
use crate::index::{self, writer::meta_term};
use crate::model::{Metadata, Origin, Timestamp};
use crate::order::{HitOrder, Ranked, TopOrdered};
use crate::query::Word;
use crate::spans::{script_of, Script, Span};

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
    /// `key=value` metadata filters: values of one key are ORed, keys ANDed.
    pub wheres: Vec<(String, String)>,
    /// Turns at or after this time (a moment, or an offset into a recording).
    pub since: Option<Timestamp>,
    /// Turns at or before this time.
    pub until: Option<Timestamp>,
    /// The first this many hits in `order`; `None` for every hit, streamed unranked in index order.
    pub limit: Option<usize>,
    /// Hits of the order skipped before the first one given (a page's start).
    pub offset: usize,
    /// The order hits are ranked in when there is a limit.
    pub order: HitOrder,
    /// About how many highlights to compute per hit (a terminal line shows the first few);
    /// `None` for all (JSON).
    pub highlight_limit: Option<usize>,
    /// Query options: exact forms only (`--exact`).
    pub mode: crate::query::Mode,
}

/// A turn as stored in the index.
#[derive(Debug, Clone, Serialize)]
pub struct TurnView {
    pub conversation: String,
    /// The conversation's title: its named topic, or the first words of its first turn.
    pub title: String,
    pub source: String,
    /// 1-based record number in a multi-record file (JSONL, CSV, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    pub line: u64,
    /// `source:line` or `source#record:line`: where the turn is in its file (`show` takes it).
    pub location: String,
    pub turn: u64,
    pub speaker: String,
    /// When the turn was said: `2024-01-12T21:04:05Z`, or `00:01:23.456` into a recording.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    pub languages: Vec<String>,
    pub dominant_language: Option<String>,
    pub code_switched: bool,
    pub spans: Vec<Span>,
    pub text: String,
    pub repaired: bool,
    /// The turn as it was in the file, when repair changed it.
    pub original: Option<String>,
    /// Characters repair had to choose, with alternatives and confidence.
    pub guesses: Vec<StoredGuess>,
    /// The turn's own fields from the source record.
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    /// The conversation's fields from the source record (model, language, …).
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub conversation_metadata: Metadata,
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

/// A conversation as `colloquy show` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationView {
    pub conversation: String,
    pub title: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    /// `source` or `source#record`.
    pub location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Metadata::is_empty")]
    pub metadata: Metadata,
    pub preamble: String,
    pub turns: Vec<TurnView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub query: String,
    pub total_hits: usize,
    pub hits: Vec<Hit>,
}

/// Receives a search's results as they are found (the searcher never formats, printers never
/// query; in the manner of ripgrep's `Sink`).
pub trait HitSink {
    /// Before any hit: the query, and how many turns match in all when that is known before the
    /// first hit (a ranked search counts first; a streamed one knows only at the end).
    fn begin(&mut self, query: &str, total_hits: Option<usize>) -> std::io::Result<()>;
    /// The next hit, in result order.
    fn hit(&mut self, hit: Hit) -> std::io::Result<()>;
    /// After the last hit: how many turns match in all.
    fn end(&mut self, total_hits: usize) -> std::io::Result<()>;
}

/// Collecting every hit (the terminal printer groups them by conversation).
impl SearchResults {
    /// Every hit a streaming search hands to its sink, kept in memory (the terminal printer
    /// groups hits by conversation).
    pub fn gather(
        opts: &SearchOptions,
        search_each: impl FnOnce(&mut dyn HitSink) -> Result<usize>,
    ) -> Result<SearchResults> {
        let mut results = SearchResults {
            query: opts.query.clone(),
            total_hits: 0,
            hits: Vec::new(),
        };
        results.total_hits = search_each(&mut results)?;
        Ok(results)
    }
}

impl HitSink for SearchResults {
    fn begin(&mut self, _: &str, _: Option<usize>) -> std::io::Result<()> {
        Ok(())
    }
    fn hit(&mut self, hit: Hit) -> std::io::Result<()> {
        self.hits.push(hit);
        Ok(())
    }
    fn end(&mut self, total_hits: usize) -> std::io::Result<()> {
        self.total_hits = total_hits;
        Ok(())
    }
}

/// A searcher over one index.
pub struct Engine {
    /// The index folder, for messages.
    dir: std::path::PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Read each turn's language spans back (JSON output needs them; a terminal does not, and
    /// a long mixed-script turn has a great many).
    spans: bool,
    /// Threads that rank a page's hits, one segment each at a time.
    rank_threads: usize,
    /// Their pool, made at the first ranking that has segments to share.
    ranking_pool: std::sync::OnceLock<Executor>,
}

impl Engine {
    pub fn open(dir: &Path) -> Result<Self> {
        let index = index::open(dir)?;
        // A field this version reads is missing: an index written by an older colloquy.
        let fields = Fields::new(&index.schema()).map_err(|_| Error::OldLayout {
            path: dir.to_owned(),
        })?;
        // The index's files exist (index::open checked): failing to read them, with an error or
        // a decoder's panic, is damage.
        let damaged = |reason: String| Error::Damaged {
            path: dir.to_owned(),
            reason,
        };
        let reader = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| index.reader()))
            .map_err(|_| damaged("a segment could not be opened".into()))?
            .map_err(|source| damaged(source.to_string()))?;
        Ok(Engine {
            dir: dir.to_owned(),
            index,
            reader,
            fields,
            spans: true,
            rank_threads: 1,
            ranking_pool: std::sync::OnceLock::new(),
        })
    }

    /// Rank hits on up to `threads` threads, segments shared among them: a single search's
    /// answer comes sooner (a common word at 1 GB scores 160,000 turns in 13 segments). A
    /// server answering many searches at once gains nothing from it and keeps one.
    pub fn with_rank_threads(mut self, threads: usize) -> Self {
        self.rank_threads = threads.max(1);
        self
    }

    /// The executor that ranks over `searcher`'s segments.
    fn ranking_executor(&self, searcher: &Searcher) -> &Executor {
        const ONE: Executor = Executor::SingleThread;
        let threads = self.rank_threads.min(searcher.segment_readers().len());
        if threads < 2 {
            return &ONE;
        }
        self.ranking_pool.get_or_init(|| {
            Executor::multi_thread(threads, "colloquy-rank-").unwrap_or(Executor::SingleThread)
        })
    }

    /// Leave turns' language spans out of results (they stay empty).
    pub fn without_spans(mut self) -> Self {
        self.spans = false;
        self
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// The schema's fields as this engine reads them.
    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }

    /// Run a search.
    pub fn search(&self, opts: &SearchOptions) -> Result<SearchResults> {
        self.guard(|| self.search_unguarded(opts))
    }

    /// Run `f`, turning what damaged index files cause — tantivy's data errors, and the panics
    /// some of its decoders raise on corrupt bytes — into [`Error::Damaged`], which names the fix.
    pub(crate) fn guard<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let damaged = |reason: String| Error::Damaged {
            path: self.dir.clone(),
            reason,
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(Err(Error::Tantivy(e))) => Err(damaged(e.to_string())),
            Ok(other) => other,
            Err(panic) => {
                let reason = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a decoder failed".into());
                Err(damaged(reason))
            }
        }
    }

    /// Run a search and hand each hit, in order, to `sink` as soon as it is assembled: memory
    /// stays that of a few hits however many there are (a ranked page is read `PAGE_CHUNK` hits
    /// at a time, a stream one by one). With a limit, the page of `offset..offset +
    /// limit` hits in `opts.order` (ties in corpus order); without one, every hit after the first
    /// `offset` streamed in index order, unranked, so the first comes at once (`--all` of a whole
    /// corpus). Returns the number of matching turns.
    pub fn search_each(&self, opts: &SearchOptions, sink: &mut dyn HitSink) -> Result<usize> {
        self.guard(|| {
            let mut emit = self.emitter(opts)?;
            let write = |e| Error::io("writing results", e);
            let total_hits = match opts.limit {
                Some(limit) => {
                    let (total_hits, top) = emit.top(opts.offset.saturating_add(limit))?;
                    sink.begin(&opts.query, Some(total_hits)).map_err(write)?;
                    let page = top.get(opts.offset..).unwrap_or_default();
                    emit.page(page, &mut |hit| sink.hit(hit).map_err(write))?;
                    total_hits
                }
                None => {
                    sink.begin(&opts.query, None).map_err(write)?;
                    emit.stream(opts.offset, &mut |hit| sink.hit(hit).map_err(write))?
                }
            };
            sink.end(total_hits).map_err(write)?;
            Ok(total_hits)
        })
    }

    /// The search `opts` asks for, ready to rank or stream (a search over several indexes drives
    /// one per index).
    pub fn emitter<'a>(&'a self, opts: &'a SearchOptions) -> Result<Emitter<'a>> {
        Ok(Emitter {
            engine: self,
            searcher: self.searcher(),
            query: self.build_query(opts)?,
            opts,
            highlighter: Highlighter::new(&self.index, &opts.query),
        })
    }

    fn search_unguarded(&self, opts: &SearchOptions) -> Result<SearchResults> {
        SearchResults::gather(opts, |sink| self.search_each(opts, sink))
    }

    /// The user's query with every filter, restricted to turn documents.
    pub(crate) fn build_query(&self, opts: &SearchOptions) -> Result<BooleanQuery> {
        let parsed = self.parse(&opts.query, opts.mode)?;
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
        // Speakers, languages and code-switching are fields of turns only, as the text is.
        let only_turns = parsed.only_turns
            || opts.mixed
            || !(opts.speakers.is_empty() && opts.langs.is_empty() && opts.dominant.is_empty());
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, parsed.query)];
        if !only_turns {
            clauses.push((
                Occur::Must,
                term_query(Term::from_field_text(f.kind, KIND_TURN)),
            ));
        }
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
        clauses.extend(self.where_clauses(&opts.wheres)?);
        clauses.extend(self.time_clauses(opts.since, opts.until)?);
        Ok(BooleanQuery::new(clauses))
    }

    /// `--where key=value`: values of one key ORed, keys ANDed; an unknown pair lists the known
    /// values of its key.
    fn where_clauses(&self, wheres: &[(String, String)]) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = &self.fields;
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in wheres {
            let term = meta_term(key, value);
            by_key
                .entry(key.trim().to_lowercase())
                .or_default()
                .push(term);
        }
        let searcher = self.searcher();
        let mut clauses = Vec::new();
        for (key, terms) in by_key {
            for term in &terms {
                if searcher.doc_freq(&Term::from_field_text(f.meta, term))? == 0 {
                    let prefix = format!("{key}=");
                    return Err(Error::UnknownValue {
                        flag: "--where".into(),
                        value: term.clone(),
                        known: self.known_values(&searcher, f.meta, &prefix)?,
                    });
                }
            }
            let any = terms
                .iter()
                .map(|t| (Occur::Should, term_query(Term::from_field_text(f.meta, t))))
                .collect();
            clauses.push((
                Occur::Must,
                Box::new(BooleanQuery::new(any)) as Box<dyn Query>,
            ));
        }
        Ok(clauses)
    }

    /// `--since`/`--until`: moments filter turn times, offsets filter times into a recording.
    fn time_clauses(
        &self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<Vec<(Occur, Box<dyn Query>)>> {
        let f = &self.fields;
        let term = |t: Timestamp| match t {
            Timestamp::At(ms) => {
                Term::from_field_date(f.time, tantivy::DateTime::from_timestamp_millis(ms))
            }
            Timestamp::Offset(ms) => Term::from_field_u64(f.offset, ms),
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match (since, until) {
            (Some(a), Some(b)) if std::mem::discriminant(&a) != std::mem::discriminant(&b) => {
                return Err(Error::Query {
                    query: format!("--since {a} --until {b}"),
                    reason: "--since and --until must both be dates or both be offsets".into(),
                    position: None,
                })
            }
            (None, None) => {}
            (lo, hi) => clauses.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    lo.map_or(Bound::Unbounded, |t| Bound::Included(term(t))),
                    hi.map_or(Bound::Unbounded, |t| Bound::Included(term(t))),
                )),
            )),
        }
        Ok(clauses)
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

    /// Indexed values of `field`, those sharing a prefix with `near` first (see
    /// [`crate::query::known_values`]).
    pub fn known_values(
        &self,
        searcher: &Searcher,
        field: tantivy::schema::Field,
        near: &str,
    ) -> Result<Vec<String>> {
        crate::query::known_values(searcher, field, near)
    }

    /// A conversation, or the turns around one turn of it, for `colloquy show`. `target` is a
    /// conversation id, `ID:TURN`, a source file holding one conversation, `file#record`, or a
    /// turn's location as search prints it (`file:line`, `file#record:line`; in a JSON record
    /// every turn has the record's line, so that names its first turn); a turn location shows
    /// the turns around that turn unless `turn` says otherwise.
    pub fn show(&self, target: &str, turn: Option<u64>, context: u64) -> Result<ConversationView> {
        self.guard(|| self.show_unguarded(target, turn, context))
    }

    fn show_unguarded(
        &self,
        target: &str,
        turn: Option<u64>,
        context: u64,
    ) -> Result<ConversationView> {
        let searcher = self.searcher();
        let (id, located) = self.resolve(&searcher, target)?;
        let conv_doc = self.conversation_doc(&searcher, &id)?;
        let count = conv_doc
            .as_ref()
            .and_then(|d| first_u64(d, self.fields.turns));
        if let (Some(t), Some(turns)) = (turn.or(located), count) {
            if t >= turns {
                return Err(Error::TurnOutOfRange { id, turn: t, turns });
            }
        }
        let (lo, hi) = match turn.or(located) {
            Some(t) => (t.saturating_sub(context), t.saturating_add(context)),
            None => (0, u64::MAX - 1),
        };
        let turns = self.turns_of(&searcher, &id, lo, hi, None)?;
        let f = &self.fields;
        let text = |field| {
            conv_doc
                .as_ref()
                .and_then(|d| first_str(d, field))
                .unwrap_or_default()
        };
        let source = text(f.source);
        let record = conv_doc.as_ref().and_then(|d| first_u64(d, f.record));
        Ok(ConversationView {
            location: match record {
                Some(r) => format!("{source}#{r}"),
                None => source.clone(),
            },
            conversation: id,
            title: text(f.title),
            source,
            record,
            time: conv_doc.as_ref().and_then(|d| time_of(d, f)),
            metadata: conv_doc
                .as_ref()
                .map(|d| stored(d, f.conversation_metadata))
                .unwrap_or_default(),
            preamble: if turn.or(located).is_none() {
                text(f.preamble)
            } else {
                String::new()
            },
            turns,
        })
    }

    /// The conversation id a `show` target names, and the turn when it names one.
    fn resolve(&self, searcher: &Searcher, target: &str) -> Result<(String, Option<u64>)> {
        let f = &self.fields;
        let exists = |id: &str| -> Result<bool> {
            Ok(searcher.doc_freq(&Term::from_field_text(f.conversation, id))? > 0)
        };
        if exists(target)? {
            return Ok((target.to_owned(), None));
        }
        // `ID:TURN`, the hit's conversation and turn number.
        if let Some((id, turn)) = target.rsplit_once(':') {
            if let (Ok(turn), true) = (turn.parse::<u64>(), exists(id)?) {
                return Ok((id.to_owned(), Some(turn)));
            }
        }
        if let Some((source, record, line)) = parse_location(target) {
            let mut clauses = vec![(
                Occur::Must,
                term_query(Term::from_field_text(f.source, source)),
            )];
            if let Some(r) = record {
                clauses.push((Occur::Must, term_query(Term::from_field_u64(f.record, r))));
            }
            let kind = if line.is_some() {
                KIND_TURN
            } else {
                KIND_CONVERSATION
            };
            clauses.push((Occur::Must, term_query(Term::from_field_text(f.kind, kind))));
            if let Some(l) = line {
                clauses.push((Occur::Must, term_query(Term::from_field_u64(f.line, l))));
            }
            let query = BooleanQuery::new(clauses);
            let top = searcher.search(&query, &TopDocs::with_limit(2).order_by_score())?;
            if top.len() == 1 || (line.is_some() && !top.is_empty()) {
                let doc: TantivyDocument = searcher.doc(top[0].1)?;
                let id = first_str(&doc, f.conversation).unwrap_or_default();
                return Ok((id, line.and_then(|_| first_u64(&doc, f.turn))));
            }
            if top.len() > 1 {
                return Err(Error::Query {
                    query: target.to_owned(),
                    reason: format!(
                        "{source} holds several conversations: name one as {source}#RECORD or by its id"
                    ),
                    position: None,
                });
            }
        }
        let near = self.known_values(searcher, f.conversation, target)?;
        Err(Error::UnknownConversation {
            id: target.to_owned(),
            near: near.into_iter().take(5).collect(),
        })
    }

    fn conversation_doc(&self, searcher: &Searcher, id: &str) -> Result<Option<TantivyDocument>> {
        let query = BooleanQuery::new(self.in_conversation(id, KIND_CONVERSATION));
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, addr)) => Ok(Some(searcher.doc(*addr)?)),
            None => Ok(None),
        }
    }

    fn parse(&self, query: &str, mode: crate::query::Mode) -> Result<crate::query::Parsed> {
        let searcher = self.searcher();
        crate::query::Builder::new(&self.index, &self.fields, &searcher, mode).build(query)
    }

    fn turn_at(&self, searcher: &Searcher, addr: DocAddress) -> Result<TurnView> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        Ok(self.turn_view(&doc))
    }

    fn turn_view(&self, doc: &TantivyDocument) -> TurnView {
        let f = &self.fields;
        let text = |field| first_str(doc, field).unwrap_or_default();
        let source = text(f.source);
        let record = first_u64(doc, f.record);
        let line = first_u64(doc, f.line).unwrap_or(0);
        let body = text(f.text);
        // The original and the guesses are stored as what the text does not already say.
        let guesses =
            first_bytes(doc, f.guesses).map_or_else(Vec::new, |g| stored::decode_guesses(g, &body));
        let original = first_bytes(doc, f.original).and_then(|o| stored::decode_original(o, &body));
        TurnView {
            conversation: text(f.conversation),
            title: text(f.title),
            location: Origin { line, record }.locate(&source),
            source,
            record,
            line,
            turn: first_u64(doc, f.turn).unwrap_or(0),
            speaker: text(f.speaker),
            time: time_of(doc, f),
            languages: all_str(doc, f.languages),
            dominant_language: first_str(doc, f.dominant),
            code_switched: first_bool(doc, f.code_switched).unwrap_or(false),
            spans: if self.spans {
                first_bytes(doc, f.spans).map_or_else(Vec::new, stored::decode_spans)
            } else {
                Vec::new()
            },
            text: body,
            repaired: first_bool(doc, f.repaired).unwrap_or(false),
            original,
            guesses,
            metadata: stored(doc, f.metadata),
            conversation_metadata: stored(doc, f.conversation_metadata),
        }
    }

    /// The turn at `addr` and the turns `opts` asks around it.
    fn read_hit(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        opts: &SearchOptions,
    ) -> Result<(TurnView, Context)> {
        let turn = self.turn_at(searcher, addr)?;
        let context = self.context(searcher, &turn, opts.before, opts.after)?;
        Ok((turn, context))
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

/// `file#record:line`, `file#record` or `file:line` → its parts; `None` for anything else.
fn parse_location(target: &str) -> Option<(&str, Option<u64>, Option<u64>)> {
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (rest, line) = match target.rsplit_once(':') {
        Some((rest, l)) if number(l).is_some() => (rest, number(l)),
        _ => (target, None),
    };
    match rest.rsplit_once('#') {
        Some((source, r)) if number(r).is_some() => Some((source, number(r), line)),
        _ => Some((rest, None, line)),
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

/// A typed value stored as JSON; its default when absent (an index written before the field).
fn first_bytes(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<&[u8]> {
    use tantivy::schema::Value;
    doc.get_first(field).and_then(|v| v.as_bytes())
}

fn stored<T: serde::de::DeserializeOwned + Default>(
    doc: &TantivyDocument,
    field: tantivy::schema::Field,
) -> T {
    first_str(doc, field)
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

/// The turn's time: a moment, else an offset into a recording.
fn time_of(doc: &TantivyDocument, f: &Fields) -> Option<Timestamp> {
    let at = doc
        .get_first(f.time)
        .and_then(|v| match OwnedValue::from(v) {
            OwnedValue::Date(d) => Some(Timestamp::At(d.into_timestamp_millis())),
            _ => None,
        });
    at.or_else(|| first_u64(doc, f.offset).map(Timestamp::Offset))
}

fn first_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> Option<String> {
    crate::index::first_str(doc, field).map(str::to_owned)
}

fn all_str(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_owned))
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

/// One index's part of a search: ranks or streams the matching turns and assembles each hit
/// (turn, context, highlights).
pub struct Emitter<'a> {
    engine: &'a Engine,
    searcher: Searcher,
    query: BooleanQuery,
    opts: &'a SearchOptions,
    highlighter: Highlighter,
}

impl Emitter<'_> {
    /// How many turns match, and the first `k` in the options' order (ties in corpus order):
    /// one pass that holds `k` candidates, not every match.
    pub fn top(&self, k: usize) -> Result<(usize, Vec<Ranked>)> {
        let top = TopOrdered {
            order: self.opts.order,
            k,
        };
        let executor = self.engine.ranking_executor(&self.searcher);
        let scoring = EnableScoring::enabled_from_searcher(&self.searcher);
        Ok(self
            .searcher
            .search_with_executor(&self.query, &(Count, top), executor, scoring)?)
    }

    /// Every hit after the first `skip`, segment by segment in document order, as the query's
    /// scorer finds it, handed to `each`; returns how many turns match (skipped ones included).
    pub fn stream(
        &mut self,
        skip: usize,
        each: &mut dyn FnMut(Hit) -> Result<()>,
    ) -> Result<usize> {
        let weight = self
            .query
            .weight(EnableScoring::enabled_from_searcher(&self.searcher))?;
        let mut total_hits = 0;
        let segments = self.searcher.segment_readers().to_vec();
        for (ord, segment) in segments.iter().enumerate() {
            let mut scorer = weight.scorer(segment, 1.0)?;
            let alive = segment.alive_bitset();
            let mut doc = scorer.doc();
            while doc != TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    // Skipped hits are counted, never loaded.
                    if total_hits >= skip {
                        each(self.hit(scorer.score(), DocAddress::new(ord as u32, doc))?)?;
                    }
                    total_hits += 1;
                }
                doc = scorer.advance();
            }
        }
        Ok(total_hits)
    }

    /// The hits of a ranked page, in order, handed to `each`. Their turns and contexts (a
    /// decompressed store block each) are read on the ranking threads a few hits at a time, so
    /// memory stays that of a few hits however long the page.
    pub fn page(&mut self, page: &[Ranked], each: &mut dyn FnMut(Hit) -> Result<()>) -> Result<()> {
        let executor = self.engine.ranking_executor(&self.searcher);
        let (engine, searcher, opts) = (self.engine, self.searcher.clone(), self.opts);
        let read = |r: &Ranked| Ok(engine.read_hit(&searcher, r.addr, opts));
        for chunk in page.chunks(PAGE_CHUNK) {
            let read = executor.map(read, chunk.iter())?;
            for (r, turns) in chunk.iter().zip(read) {
                let (turn, context) = turns?;
                each(self.highlighted(r.score, turn, context))?;
            }
        }
        Ok(())
    }

    /// The hit at `addr`: its turn, the turns around it and where the query matched in it.
    pub fn hit(&mut self, score: f32, addr: DocAddress) -> Result<Hit> {
        let (turn, context) = self.engine.read_hit(&self.searcher, addr, self.opts)?;
        Ok(self.highlighted(score, turn, context))
    }

    fn highlighted(&mut self, score: f32, turn: TurnView, context: Context) -> Hit {
        let limit = self.opts.highlight_limit.unwrap_or(usize::MAX);
        let highlights = self.highlighter.highlight(&turn.text, limit);
        Hit {
            turn,
            score,
            highlights,
            context,
        }
    }
}

/// Hits of a page read at once: enough to keep two or four threads busy, few enough that a long
/// page's memory stays small.
const PAGE_CHUNK: usize = 16;

/// Finds the query's positive literals in a text: each literal is analysed into tokens with their
/// relative positions (a phrase, or a Chinese word indexed both as a word and as characters), and
/// highlighted only where every one of its tokens occurs at the same relative position, so the
/// offsets point at what actually matched. Exact forms, prefixes, fuzzy words and regular
/// expressions are matched against the surface forms, as the `exact` field holds them.
pub struct Highlighter {
    /// The index's analyzer, or the same without jieba's words when no literal is a Chinese word
    /// (exact for everything else, and it never loads the dictionary).
    analyzer: Option<TextAnalyzer>,
    /// Per literal: (relative position, token text).
    patterns: Vec<Vec<(usize, String)>>,
    /// Every token text of every literal.
    words: std::collections::HashSet<String>,
    /// Single-word patterns on surface forms, and the analyzer that makes those.
    surface: Vec<Surface>,
    exact: TextAnalyzer,
}

/// A pattern on a folded surface form.
enum Surface {
    Exact(String),
    Prefix(String),
    Fuzzy(Vec<char>, u8),
    Regex(tantivy_fst::Regex),
}

impl Surface {
    fn matches(&self, word: &str) -> bool {
        use tantivy_fst::Automaton;
        match self {
            Surface::Exact(w) => word == w,
            Surface::Prefix(p) => word.starts_with(p.as_str()),
            Surface::Fuzzy(w, d) => within_edits(w, word, usize::from(*d)),
            Surface::Regex(re) => {
                let mut state = re.start();
                for &b in word.as_bytes() {
                    state = re.accept(&state, b);
                    if !re.can_match(&state) {
                        return false;
                    }
                }
                re.is_match(&state)
            }
        }
    }
}

/// Whether `b` is within `max` edits of `a` (insertions, deletions, substitutions and adjacent
/// transpositions), as tantivy's fuzzy query counts them.
fn within_edits(a: &[char], b: &str, max: usize) -> bool {
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m] <= max
}

impl Highlighter {
    pub fn new(index: &Index, query: &str) -> Self {
        let analyzer = index.tokenizers().get(ANALYZER);
        let mut leaves = Vec::new();
        if let Ok(ast) = query_grammar::parse_query(query) {
            collect_leaves(&ast, false, &mut leaves);
        }
        let mut reader = crate::analyzer::query_analyzer();
        let mut exact = crate::analyzer::exact_analyzer();
        let (mut patterns, mut surface) = (Vec::new(), Vec::new());
        for leaf in leaves {
            match leaf {
                UserInputLeaf::Regex { pattern, .. } => {
                    if let Ok(re) = tantivy_fst::Regex::new(&pattern) {
                        surface.push(Surface::Regex(re));
                    }
                }
                UserInputLeaf::Literal(lit) => {
                    let word = match lit.delimiter {
                        Delimiter::None => crate::query::classify(&lit.phrase).ok(),
                        // `"pho"*`: a phrase prefix of one word is a prefix.
                        _ if lit.prefix && !lit.phrase.trim().contains(char::is_whitespace) => {
                            Some(Word::Prefix(lit.phrase.clone()))
                        }
                        _ => Some(Word::Plain),
                    };
                    let folded = |w: &str, exact: &mut TextAnalyzer| {
                        crate::query::tokens_of(exact, w)
                            .into_iter()
                            .next()
                            .map(|t| t.1)
                    };
                    match word {
                        Some(Word::Exact(w)) => match folded(&w, &mut exact) {
                            Some(f) => surface.push(Surface::Exact(f)),
                            None => patterns.push(crate::query::tokens_of(&mut reader, &w)),
                        },
                        Some(Word::Prefix(p)) => {
                            surface.extend(folded(&p, &mut exact).map(Surface::Prefix))
                        }
                        Some(Word::Fuzzy(w, d)) => surface.extend(
                            folded(&w, &mut exact).map(|f| Surface::Fuzzy(f.chars().collect(), d)),
                        ),
                        Some(Word::Plain) => {
                            patterns.push(crate::query::tokens_of(&mut reader, &lit.phrase))
                        }
                        None => {}
                    }
                }
                _ => {}
            }
        }
        patterns.retain(|p| !p.is_empty());
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
            surface,
            exact,
        }
    }

    /// Highlight ranges in code points, sorted and merged: the first `limit` or so, found a
    /// chunk of the text at a time, so a turn of megabytes costs what its first matches cost
    /// (a phrase split by a chunk boundary, 64 KiB apart, is not highlighted).
    /// Takes `&mut self` so one analyzer (and its word cache) serves every hit.
    pub fn highlight(&mut self, text: &str, limit: usize) -> Vec<[usize; 2]> {
        if self.patterns.is_empty() && self.surface.is_empty() {
            return Vec::new();
        }
        let mut byte_ranges: Vec<(usize, usize)> = Vec::new();
        for (base, chunk) in crate::analyzer::chunks(text) {
            let mut found = self.byte_ranges(chunk);
            found.extend(self.surface_ranges(chunk));
            byte_ranges.extend(found.into_iter().map(|(s, e)| (base + s, base + e)));
            if byte_ranges.len() >= limit {
                break;
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
        to_char_ranges(text, &merged)
    }

    /// Byte ranges of the words whose surface form a surface pattern matches.
    fn surface_ranges(&mut self, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if self.surface.is_empty() {
            return out;
        }
        let mut stream = self.exact.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            if self.surface.iter().any(|s| s.matches(&t.text)) {
                out.push((t.offset_from, t.offset_to));
            }
        }
        out
    }

    /// Byte ranges in `text` where a literal matches.
    fn byte_ranges(&mut self, text: &str) -> Vec<(usize, usize)> {
        let Some(analyzer) = self.analyzer.as_mut() else {
            return Vec::new();
        };
        if self.patterns.is_empty() {
            return Vec::new();
        }
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
        byte_ranges
    }
}

/// Sorted byte ranges → code-point ranges in one pass over the text (a per-range count from the
/// start would be quadratic on a long turn with many matches).
fn to_char_ranges(text: &str, ranges: &[(usize, usize)]) -> Vec<[usize; 2]> {
    let mut out = Vec::with_capacity(ranges.len());
    let (mut byte, mut chars) = (0usize, 0usize);
    let mut advance = |to: usize| {
        let to = to.min(text.len());
        if to > byte {
            chars += text.get(byte..to).map_or(0, |p| p.chars().count());
            byte = to;
        }
        chars
    };
    for &(s, e) in ranges {
        let start = advance(s);
        let end = advance(e);
        out.push([start, end]);
    }
    out
}

/// The positive leaves of the query that search the text: literals and regular expressions.
fn collect_leaves(ast: &UserInputAst, negated: bool, out: &mut Vec<UserInputLeaf>) {
    match ast {
        UserInputAst::Clause(clauses) => {
            for (occur, sub) in clauses {
                let neg = negated ^ matches!(occur, Some(AstOccur::MustNot));
                collect_leaves(sub, neg, out);
            }
        }
        UserInputAst::Boost(inner, _) => collect_leaves(inner, negated, out),
        UserInputAst::Leaf(leaf) => {
            let field = match leaf.as_ref() {
                UserInputLeaf::Literal(lit) => &lit.field_name,
                UserInputLeaf::Regex { field, .. } => field,
                _ => return,
            };
            let searchable = match field.as_deref() {
                None | Some("text") => true,
                Some(f) => LANG_FIELDS.contains(&f),
            };
            if !negated && searchable {
                out.push(UserInputLeaf::clone(leaf));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighter(query: &str) -> Highlighter {
        let index = Index::create_in_ram(crate::index::schema::build());
        crate::index::schema::register_tokenizers(&index);
        Highlighter::new(&index, query)
    }

    #[test]
    fn a_one_line_hit_reads_only_the_chunk_of_its_first_match() {
        // 4 MB with a match every 4 bytes: the first chunk's matches only, not a million.
        let text = "fox ".repeat(1 << 20);
        let first = highlighter("fox").highlight(&text, 1);
        assert!(!first.is_empty());
        assert!(first.len() < 20_000, "{}", first.len());
        assert!(first
            .iter()
            .all(|r| r[1] <= crate::analyzer::CHUNK_BYTES + 4096));
    }

    #[test]
    fn highlights_are_code_point_ranges_across_chunks() {
        let filler = "话".repeat(40_000);
        let text = format!("{filler} needle {filler} needle");
        let ranges = highlighter("needle").highlight(&text, usize::MAX);
        let chars: Vec<char> = text.chars().collect();
        assert_eq!(ranges.len(), 2);
        for [s, e] in ranges {
            assert_eq!(chars[s..e].iter().collect::<String>(), "needle");
        }
    }

    #[test]
    fn query_depth_is_bounded() {
        assert!(
            crate::query::check_depth(&format!("{}a{}", "(".repeat(64), ")".repeat(64))).is_ok()
        );
        assert!(crate::query::check_depth(&format!("{}a", "(".repeat(65))).is_err());
        assert!(crate::query::check_depth(&format!("\"{}\"", "(".repeat(500))).is_ok());
    }

    proptest::proptest! {
        /// Any query string is answered by the depth check or parsed, never a stack overflow.
        #[test]
        fn any_query_parses_or_is_refused(q in ".{0,200}") {
            if crate::query::check_depth(&q).is_ok() {
                let _ = query_grammar::parse_query_lenient(&q);
                let _ = highlighter(&q);
            }
        }
    }
}
