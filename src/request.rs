//! Requests as the CLI and the HTTP API (`colloquy serve`) both take them: a search's query,
//! filters and page, and an aggregate's units and groups, checked and turned into the library's
//! [`SearchOptions`] and [`Scope`]. One place for the defaults and the checks both front ends share.

use crate::aggregate::{self, collocates::Window, Scope};
use crate::error::{Error, Result};
use crate::kwic::KwicSort;
use crate::model::{self, Timestamp};
use crate::order::HitOrder;
use crate::search::SearchOptions;

/// Hits a search shows without a limit of the user's.
pub const DEFAULT_LIMIT: usize = 20;
/// Collocates seen fewer times are left out by default: MI ranks pairs seen once or twice first.
pub const DEFAULT_COLLOCATE_MIN: u64 = 3;
/// Widest window side: past it a "collocate" is just a word of the same turn.
pub const MAX_WINDOW: usize = 50;

/// Which turns a search or an aggregate looks at, as given (text, not yet parsed).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub speakers: Vec<String>,
    pub langs: Vec<String>,
    pub dominant: Vec<String>,
    pub mixed: bool,
    pub conversations: Vec<String>,
    /// `KEY=VALUE` pairs.
    pub wheres: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Filters {
    /// A search for `query` restricted by these filters (every other option at its default).
    pub fn options(&self, query: &str) -> Result<SearchOptions> {
        Ok(SearchOptions {
            query: query.to_owned(),
            speakers: self.speakers.clone(),
            langs: self.langs.clone(),
            dominant: self.dominant.clone(),
            mixed: self.mixed,
            conversations: self.conversations.clone(),
            wheres: parse_wheres(&self.wheres)?,
            since: self
                .since
                .as_deref()
                .map(|t| parse_time(t, false))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|t| parse_time(t, true))
                .transpose()?,
            ..SearchOptions::default()
        })
    }
}

/// The order of hits (`--sort`, `sort=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Score,
    Time,
    Position,
    /// Concordance lines by the word before the match (with kwic only).
    Left1,
    /// Concordance lines by the word after the match (with kwic only).
    Right1,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "score" => Sort::Score,
            "time" => Sort::Time,
            "position" => Sort::Position,
            "left1" => Sort::Left1,
            "right1" => Sort::Right1,
            _ => return None,
        })
    }

    /// The concordance order it asks for, if any.
    pub fn kwic(self) -> Option<KwicSort> {
        match self {
            Sort::Left1 => Some(KwicSort::Left1),
            Sort::Right1 => Some(KwicSort::Right1),
            _ => None,
        }
    }
}

/// A search as the user asked for it.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub filters: Filters,
    pub exact: bool,
    pub snowball: bool,
    /// Turns around each hit, both sides [default: 1]; `before`/`after` override a side.
    pub context: Option<usize>,
    pub before: Option<usize>,
    pub after: Option<usize>,
    /// Hits shown [default: [`DEFAULT_LIMIT`]].
    pub limit: Option<usize>,
    pub offset: usize,
    pub sort: Option<Sort>,
    /// A concordance: the hit turns alone, every match in them.
    pub kwic: bool,
    /// Every hit, unranked, streamed (no limit).
    pub all: bool,
    /// The hits carry their context turns (the CLI's `--fields` may leave them out).
    pub with_context: bool,
    /// About how many highlights to compute per hit; `None` for all.
    pub highlight_limit: Option<usize>,
}

impl SearchRequest {
    /// The library's options for this request, or why it cannot be run.
    pub fn options(&self) -> Result<SearchOptions> {
        let order =
            match self.sort {
                None | Some(Sort::Score) => HitOrder::Score,
                Some(Sort::Time) => HitOrder::Time,
                Some(Sort::Position) => HitOrder::Position,
                // The lines of the best hits by score, sorted by the printer.
                Some(Sort::Left1 | Sort::Right1) if self.kwic => HitOrder::Score,
                Some(_) => return Err(Error::Invalid(
                    "sort left1 and right1 order concordance lines by the word next to the match: \
                     add kwic"
                        .into(),
                )),
            };
        let with_context = self.with_context && !self.kwic;
        let side = |one: Option<usize>| match with_context {
            true => one.unwrap_or(self.context.unwrap_or(1)),
            false => 0,
        };
        Ok(SearchOptions {
            highlight_limit: self.highlight_limit,
            mode: crate::query::Mode {
                exact: self.exact,
                snowball: self.snowball,
            },
            before: side(self.before),
            after: side(self.after),
            limit: (!self.all).then(|| self.limit.unwrap_or(DEFAULT_LIMIT)),
            offset: self.offset,
            order,
            ..self.filters.options(&self.query)?
        })
    }
}

/// `KEY=VALUE` filters as pairs.
pub fn parse_wheres(wheres: &[String]) -> Result<Vec<(String, String)>> {
    wheres
        .iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(Error::Invalid(format!(
                "--where takes KEY=VALUE, not {w:?}"
            ))),
        })
        .collect()
}

/// A `since`/`until` value; a date alone as `until` means through the end of that day.
pub fn parse_time(value: &str, until: bool) -> Result<Timestamp> {
    let t = model::parse_timestamp(value).ok_or_else(|| {
        Error::Invalid(format!(
            "cannot read time {value:?}: use a date (2024-01-12, 2024-01-12T21:04:05Z, \
             2024-01-12 21:04+08:00) or an offset into a recording (01:23, 00:01:23.500)"
        ))
    })?;
    Ok(match t {
        Timestamp::At(ms) if until && value.trim().len() == 10 => Timestamp::At(ms + 86_399_999),
        other => other,
    })
}

/// `L,R` or one number for both sides.
pub fn parse_window(s: &str) -> Result<Window> {
    let side = |v: &str| v.trim().parse::<usize>().ok().filter(|n| *n <= MAX_WINDOW);
    let (l, r) = s.split_once(',').unwrap_or((s, s));
    match (side(l), side(r)) {
        (Some(left), Some(right)) => Ok(Window { left, right }),
        _ => Err(Error::Invalid(format!(
            "--window takes L,R (0 to {MAX_WINDOW} units each side), not {s:?}"
        ))),
    }
}

/// What an aggregate (freq, ngrams, collocates) counts, as given.
#[derive(Debug, Clone)]
pub struct AggRequest {
    pub filters: Filters,
    pub unit: aggregate::Unit,
    pub forms: aggregate::Forms,
    /// speaker, conversation, lang, year, month, day or a metadata key.
    pub by: Option<String>,
}

impl AggRequest {
    /// The turns to count, how to cut and group them.
    pub fn scope(&self, query: Option<&str>) -> Result<Scope> {
        let by = match self.by.as_deref() {
            None => None,
            Some(key) => Some(aggregate::GroupBy::parse(key).ok_or_else(|| {
                Error::Invalid(
                    "--by takes speaker, conversation, lang, year, month, day or a metadata key"
                        .into(),
                )
            })?),
        };
        Ok(Scope {
            search: self.filters.options(query.unwrap_or_default())?,
            unit: self.unit,
            forms: self.forms,
            by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kwic_orders_need_kwic() {
        let mut r = SearchRequest {
            query: "art".into(),
            sort: Some(Sort::Left1),
            ..SearchRequest::default()
        };
        assert!(matches!(r.options(), Err(Error::Invalid(_))));
        r.kwic = true;
        assert_eq!(r.options().map(|o| o.order).ok(), Some(HitOrder::Score));
    }

    #[test]
    fn context_sides_default_to_context() {
        let r = SearchRequest {
            query: "art".into(),
            context: Some(3),
            after: Some(0),
            with_context: true,
            ..SearchRequest::default()
        };
        let o = r.options().expect("options");
        assert_eq!((o.before, o.after, o.limit), (3, 0, Some(DEFAULT_LIMIT)));
    }

    #[test]
    fn bad_filters_are_invalid_not_panics() {
        assert!(parse_wheres(&["=x".into()]).is_err());
        assert!(parse_time("yesterday-ish", false).is_err());
        assert!(parse_window("51").is_err());
        assert_eq!(
            parse_window("2,3").map(|w| (w.left, w.right)).ok(),
            Some((2, 3))
        );
    }
}
