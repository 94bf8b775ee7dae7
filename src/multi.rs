//! Several indexes searched as one (`--index A --index B`): hits merged into one order, totals
//! summed, and ids qualified by the index they come from (`A/000_abc`, `A/000_abc:12`), which
//! `show` given the same indexes accepts back.
//!
//! Merged by raw score: each index scores with BM25 over its own statistics (document counts,
//! term frequencies), so a score says how well a turn matches within its index; indexes of
//! similar material score alike, and no normalisation pretends to more than that.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::order::Ranked;
use crate::search::{
    ConversationView, Engine, Hit, HitSink, SearchOptions, SearchResults, TurnView,
};

/// One or more indexes; with more than one, every id is qualified by its index's label.
pub struct Indexes {
    members: Vec<Member>,
}

struct Member {
    /// The index folder as given, without a trailing slash; `None` when it is the only one.
    label: Option<String>,
    engine: Engine,
}

impl Indexes {
    /// Open every index; a folder given twice is refused (its hits would come twice).
    pub fn open(dirs: &[PathBuf]) -> Result<Self> {
        let mut members: Vec<Member> = Vec::with_capacity(dirs.len());
        for dir in dirs {
            let label = (dirs.len() > 1).then(|| label_of(dir));
            if let Some(l) = &label {
                if members.iter().any(|m| m.label.as_ref() == Some(l)) {
                    return Err(Error::Format(format!("--index {l} is given twice")));
                }
            }
            members.push(Member {
                label,
                engine: Engine::open(dir)?,
            });
        }
        Ok(Indexes { members })
    }

    /// The engine of each index, in the order given.
    pub fn engines(&self) -> Vec<&Engine> {
        self.members.iter().map(|m| &m.engine).collect()
    }

    /// Rank each search's hits on up to `threads` threads ([`Engine::with_rank_threads`]).
    pub fn with_rank_threads(self, threads: usize) -> Self {
        self.each_engine(|e| e.with_rank_threads(threads))
    }

    /// Leave turns' language spans out of results.
    pub fn without_spans(self) -> Self {
        self.each_engine(Engine::without_spans)
    }

    /// The same indexes with each engine set up by `f`.
    fn each_engine(self, f: impl Fn(Engine) -> Engine) -> Self {
        let members = self
            .members
            .into_iter()
            .map(|m| Member {
                engine: f(m.engine),
                ..m
            })
            .collect();
        Indexes { members }
    }

    /// Run a search and collect every hit.
    pub fn search(&self, opts: &SearchOptions) -> Result<SearchResults> {
        SearchResults::gather(opts, |sink| self.search_each(opts, sink))
    }

    /// [`Engine::search_each`] over every index: with a limit, the page of the merged order
    /// (each index gives its first `offset + limit`, so memory stays that of a page per index);
    /// without one, each index's hits streamed in turn. Returns the matching turns of all.
    pub fn search_each(&self, opts: &SearchOptions, sink: &mut dyn HitSink) -> Result<usize> {
        if let [only] = self.members.as_slice() {
            return only.engine.search_each(opts, sink);
        }
        let write = |e| Error::io("writing results", e);
        let mut emitters = Vec::with_capacity(self.members.len());
        for m in &self.members {
            emitters.push(m.engine.guard(|| m.engine.emitter(opts))?);
        }
        let total_hits = match opts.limit {
            Some(limit) => {
                let k = opts.offset.saturating_add(limit);
                let mut total_hits = 0;
                let mut candidates: Vec<(usize, Ranked)> = Vec::new();
                for (i, (m, e)) in self.members.iter().zip(&emitters).enumerate() {
                    let (total, top) = m.engine.guard(|| e.top(k))?;
                    total_hits += total;
                    candidates.extend(top.into_iter().map(|r| (i, r)));
                }
                candidates.sort_by(merged);
                sink.begin(&opts.query, Some(total_hits)).map_err(write)?;
                for (i, r) in candidates.into_iter().skip(opts.offset).take(limit) {
                    let m = &self.members[i];
                    let hit = m.engine.guard(|| emitters[i].hit(r.score, r.addr))?;
                    sink.hit(m.qualify(hit)).map_err(write)?;
                }
                total_hits
            }
            None => {
                sink.begin(&opts.query, None).map_err(write)?;
                let mut total_hits = 0;
                for (m, e) in self.members.iter().zip(&mut emitters) {
                    let skip = opts.offset.saturating_sub(total_hits);
                    let mut each = |hit: Hit| sink.hit(m.qualify(hit)).map_err(write);
                    total_hits += m.engine.guard(|| e.stream(skip, &mut each))?;
                }
                total_hits
            }
        };
        sink.end(total_hits).map_err(write)?;
        Ok(total_hits)
    }

    /// [`Engine::show`]: with several indexes, `target` names its index as search prints it
    /// (`LABEL/ID`, `LABEL/ID:TURN`, `LABEL/FILE:LINE`), or is looked up in each and must be in
    /// exactly one.
    pub fn show(&self, target: &str, turn: Option<u64>, context: u64) -> Result<ConversationView> {
        if let [only] = self.members.as_slice() {
            return only.engine.show(target, turn, context);
        }
        // The longest label the target starts with (one label may be a folder of another's).
        let named = self
            .members
            .iter()
            .filter_map(|m| {
                let label = m.label.as_deref()?;
                let rest = target.strip_prefix(label)?.strip_prefix('/')?;
                Some((label.len(), m, rest))
            })
            .max_by_key(|(len, _, _)| *len);
        if let Some((_, m, rest)) = named {
            return match m.engine.show(rest, turn, context) {
                Ok(view) => Ok(m.qualify_view(view)),
                // The nearest ids as this search prints them, qualified.
                Err(Error::UnknownConversation { near, .. }) => Err(Error::UnknownConversation {
                    id: target.to_owned(),
                    near: near.iter().map(|id| m.qualified(id)).collect(),
                }),
                Err(e) => Err(e),
            };
        }
        let mut found = Vec::new();
        let mut near = Vec::new();
        for m in &self.members {
            match m.engine.show(target, turn, context) {
                Ok(view) => found.push(m.qualify_view(view)),
                Err(Error::UnknownConversation { near: n, .. }) => {
                    near.extend(n.iter().map(|id| m.qualified(id)));
                }
                Err(e) => return Err(e),
            }
        }
        match found.len() {
            0 => Err(Error::UnknownConversation {
                id: target.to_owned(),
                near: near.into_iter().take(5).collect(),
            }),
            1 => Ok(found.remove(0)),
            _ => Err(Error::Query {
                query: target.to_owned(),
                reason: format!(
                    "it is in several indexes; name one: {}",
                    found
                        .iter()
                        .map(|v| v.conversation.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                position: None,
            }),
        }
    }
}

/// The merged order: the order's rank, then the index in the order given, then corpus position.
fn merged(a: &(usize, Ranked), b: &(usize, Ranked)) -> std::cmp::Ordering {
    let ((i, x), (j, y)) = (a, b);
    (x.key.rank, i)
        .cmp(&(y.key.rank, j))
        .then_with(|| (&x.key.conversation, x.key.turn).cmp(&(&y.key.conversation, y.key.turn)))
}

impl Member {
    fn qualified(&self, id: &str) -> String {
        match &self.label {
            Some(label) => format!("{label}/{id}"),
            None => id.to_owned(),
        }
    }

    fn qualify_turn(&self, t: &mut TurnView) {
        t.conversation = self.qualified(&t.conversation);
        t.location = self.qualified(&t.location);
    }

    fn qualify(&self, mut hit: Hit) -> Hit {
        if self.label.is_some() {
            self.qualify_turn(&mut hit.turn);
            let context = &mut hit.context;
            for t in context.before.iter_mut().chain(context.after.iter_mut()) {
                self.qualify_turn(t);
            }
        }
        hit
    }

    fn qualify_view(&self, mut view: ConversationView) -> ConversationView {
        if self.label.is_some() {
            // The conversation's own location stays its file: only ids and turn addresses,
            // which `show` takes back, name the index.
            view.conversation = self.qualified(&view.conversation);
            for t in &mut view.turns {
                self.qualify_turn(t);
            }
        }
        view
    }
}

/// An index's label: its folder as given, without trailing slashes.
fn label_of(dir: &Path) -> String {
    let s = dir.to_string_lossy();
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() {
        s.into_owned()
    } else {
        trimmed.to_owned()
    }
}
