//! Query strings → typed requests. Decoded by hand so that a repeated key (`speaker=A&speaker=B`)
//! keeps every value; every parameter is checked against its range, and one the endpoint does not
//! know is refused (a misspelt filter would otherwise widen the search silently).

use std::borrow::Cow;

use super::error::ApiError;
use crate::aggregate::{collocates::Measure, Forms, Unit};
use crate::request::{AggRequest, Filters, SearchRequest, Sort};

/// Longest query, node word or conversation id (characters).
pub const MAX_TEXT: usize = 1000;
/// Longest query string, all parameters together (bytes).
pub const MAX_QUERY_STRING: usize = 16 * 1024;
/// Most hits a page may ask for.
pub const MAX_LIMIT: usize = 500;
/// Deepest page: ranking keeps `offset + limit` candidates.
pub const MAX_OFFSET: usize = 10_000;
/// Most context turns on a side of a hit.
pub const MAX_CONTEXT: usize = 10;
/// Most turns of context around a shown turn.
pub const MAX_SHOW_CONTEXT: u64 = 100;
/// Most rows of an aggregate's list.
pub const MAX_TOP: usize = 1000;
/// Widths of a concordance line.
pub const KWIC_WIDTH: std::ops::RangeInclusive<usize> = 20..=1000;
pub const DEFAULT_KWIC_WIDTH: usize = 100;

/// The parameters of one request, taken out one by one; what is left at the end is unknown.
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let raw = raw.unwrap_or_default();
        if raw.len() > MAX_QUERY_STRING {
            return Err(ApiError::too_large(format!(
                "the query string is {} bytes; at most {MAX_QUERY_STRING}",
                raw.len()
            )));
        }
        let decode = |s: &str| -> Result<String, ApiError> {
            let spaced = s.replace('+', " ");
            percent_encoding::percent_decode_str(&spaced)
                .decode_utf8()
                .map(Cow::into_owned)
                .map_err(|_| ApiError::bad_request("a parameter is not UTF-8 once decoded"))
        };
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                Ok((decode(k)?, decode(v)?))
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Params(pairs))
    }

    /// Every value of `key`, each at most [`MAX_TEXT`] characters.
    pub fn all(&mut self, key: &str) -> Result<Vec<String>, ApiError> {
        let (mine, rest) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|(k, _)| k == key);
        self.0 = rest;
        let values: Vec<String> = mine.into_iter().map(|(_, v)| v).collect();
        for v in &values {
            check_length(key, v)?;
        }
        Ok(values)
    }

    /// The value of `key`, given at most once.
    pub fn one(&mut self, key: &str) -> Result<Option<String>, ApiError> {
        let mut values = self.all(key)?;
        match values.len() {
            0 | 1 => Ok(values.pop()),
            _ => Err(ApiError::bad_request(format!(
                "{key} is given more than once"
            ))),
        }
    }

    pub fn required(&mut self, key: &str) -> Result<String, ApiError> {
        self.one(key)?
            .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))
    }

    /// A number in `range`.
    pub fn number<T>(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<Option<T>, ApiError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(v) = self.one(key)? else {
            return Ok(None);
        };
        match v.trim().parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::bad_request(format!(
                "{key} takes a whole number from {} to {}, not {v:?}",
                range.start(),
                range.end()
            ))),
        }
    }

    /// `true`/`false` (also `1`/`0`).
    pub fn flag(&mut self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.one(key)?.as_deref() {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(v) => Err(ApiError::bad_request(format!(
                "{key} takes true or false, not {v:?}"
            ))),
        }
    }

    /// One of `names`, as the value it maps to.
    pub fn choice<T: Copy>(
        &mut self,
        key: &str,
        names: &[(&str, T)],
    ) -> Result<Option<T>, ApiError> {
        let Some(v) = self.one(key)? else {
            return Ok(None);
        };
        names
            .iter()
            .find(|(n, _)| *n == v)
            .map(|(_, t)| Some(*t))
            .ok_or_else(|| {
                let known: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
                ApiError::bad_request(format!("{key} takes {}, not {v:?}", known.join(", ")))
            })
    }

    /// Refuse parameters nobody took.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.0.first() {
            None => Ok(()),
            Some((k, _)) => Err(ApiError::bad_request(format!("unknown parameter {k:?}"))),
        }
    }

    /// The filters every search and aggregate takes.
    pub fn filters(&mut self) -> Result<Filters, ApiError> {
        Ok(Filters {
            speakers: self.all("speaker")?,
            langs: self.all("lang")?,
            dominant: self.all("dominant")?,
            mixed: self.flag("mixed")?.unwrap_or(false),
            conversations: self.all("conv")?,
            wheres: self.all("where")?,
            since: self.one("since")?,
            until: self.one("until")?,
        })
    }
}

fn check_length(key: &str, v: &str) -> Result<(), ApiError> {
    let n = v.chars().count();
    if n > MAX_TEXT {
        return Err(ApiError::too_large(format!(
            "{key} is {n} characters long; at most {MAX_TEXT}"
        )));
    }
    Ok(())
}

/// `/api/search`.
pub struct SearchParams {
    pub request: SearchRequest,
    pub facets: bool,
    /// Columns of a concordance line (each side gets half).
    pub width: usize,
}

pub fn search(raw: Option<&str>) -> Result<SearchParams, ApiError> {
    let mut p = Params::parse(raw)?;
    let side = 0..=MAX_CONTEXT;
    let request = SearchRequest {
        query: p.required("q")?,
        filters: p.filters()?,
        exact: p.flag("exact")?.unwrap_or(false),
        snowball: p.flag("snowball")?.unwrap_or(false),
        context: p.number("context", side.clone())?,
        before: p.number("before", side.clone())?,
        after: p.number("after", side)?,
        limit: p.number("limit", 0..=MAX_LIMIT)?,
        offset: p.number("offset", 0..=MAX_OFFSET)?.unwrap_or(0),
        sort: p.choice("sort", SORTS)?,
        kwic: p.flag("kwic")?.unwrap_or(false),
        all: false,
        with_context: true,
        highlight_limit: None,
    };
    let facets = p.flag("facets")?.unwrap_or(true);
    let width = p.number("width", KWIC_WIDTH)?.unwrap_or(DEFAULT_KWIC_WIDTH);
    p.finish()?;
    if request.exact && request.snowball {
        return Err(ApiError::bad_request(
            "exact and snowball exclude each other",
        ));
    }
    Ok(SearchParams {
        request,
        facets,
        width,
    })
}

const SORTS: &[(&str, Sort)] = &[
    ("score", Sort::Score),
    ("time", Sort::Time),
    ("position", Sort::Position),
    ("left1", Sort::Left1),
    ("right1", Sort::Right1),
];

/// `/api/show`.
pub struct ShowParams {
    pub conversation: String,
    pub turn: Option<u64>,
    pub context: u64,
}

pub fn show(raw: Option<&str>) -> Result<ShowParams, ApiError> {
    let mut p = Params::parse(raw)?;
    let params = ShowParams {
        conversation: p.required("conversation")?,
        turn: p.number("turn", 0..=u64::MAX)?,
        context: p.number("context", 0..=MAX_SHOW_CONTEXT)?.unwrap_or(2),
    };
    p.finish()?;
    Ok(params)
}

/// What freq and collocates share: filters, units, groups and the list's cut.
pub struct AggParams {
    pub request: AggRequest,
    pub top: usize,
    pub min_count: Option<u64>,
}

fn agg(p: &mut Params) -> Result<AggParams, ApiError> {
    Ok(AggParams {
        request: AggRequest {
            filters: p.filters()?,
            unit: p
                .choice("unit", &[("word", Unit::Word), ("char", Unit::Char)])?
                .unwrap_or(Unit::Word),
            forms: p
                .choice(
                    "forms",
                    &[
                        ("normalised", Forms::Normalised),
                        ("surface", Forms::Surface),
                    ],
                )?
                .unwrap_or(Forms::Normalised),
            by: p.one("by")?,
        },
        top: p.number("top", 1..=MAX_TOP)?.unwrap_or(50),
        min_count: p.number("min_count", 1..=u64::MAX)?,
    })
}

/// `/api/freq`: an optional query and the aggregate's parameters.
pub fn freq(raw: Option<&str>) -> Result<(Option<String>, AggParams), ApiError> {
    let mut p = Params::parse(raw)?;
    let q = p.one("q")?;
    let agg = agg(&mut p)?;
    p.finish()?;
    Ok((q, agg))
}

/// `/api/collocates`.
pub struct CollocateParams {
    pub word: String,
    pub window: String,
    pub measure: Measure,
    pub agg: AggParams,
}

pub fn collocates(raw: Option<&str>) -> Result<CollocateParams, ApiError> {
    let mut p = Params::parse(raw)?;
    let measures = [
        ("ll", Measure::Ll),
        ("mi", Measure::Mi),
        ("t", Measure::T),
        ("all", Measure::All),
    ];
    let params = CollocateParams {
        word: p.required("word")?,
        window: p.one("window")?.unwrap_or_else(|| "5,5".into()),
        measure: p.choice("measure", &measures)?.unwrap_or(Measure::Ll),
        agg: agg(&mut p)?,
    };
    p.finish()?;
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_escapes() {
        let s = search(Some("q=mental+health&speaker=A&speaker=B%20C&limit=5")).expect("ok");
        assert_eq!(s.request.query, "mental health");
        assert_eq!(s.request.filters.speakers, ["A", "B C"]);
        assert_eq!(s.request.limit, Some(5));
        assert!(s.facets);
    }

    #[test]
    fn out_of_range_unknown_and_too_long_are_refused() {
        let status = |raw: &str| search(Some(raw)).err().map(|e| e.status.as_u16());
        assert_eq!(status("q=a&limit=501"), Some(400));
        assert_eq!(status("q=a&context=11"), Some(400));
        assert_eq!(status("q=a&colour=red"), Some(400));
        assert_eq!(status("q=a&q=b"), Some(400));
        assert_eq!(status("limit=3"), Some(400));
        assert_eq!(status("q=a&kwic=maybe"), Some(400));
        assert_eq!(status(&format!("q={}", "a".repeat(1001))), Some(413));
        assert_eq!(status("q=%FF"), Some(400));
    }
}
