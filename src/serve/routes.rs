//! The endpoints: each parses its parameters (params), runs the library's blocking work on
//! tokio's blocking pool under a time limit, and answers JSON in the CLI's schema.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use super::assets;
use super::error::ApiError;
use super::params;
use super::state::Library;
use crate::aggregate::{self, collocates::CollocateOptions};
use crate::facets::{self, Facets};
use crate::kwic::{self, KwicRow};
use crate::request::{self, DEFAULT_LIMIT};
use crate::search::Hit;

/// Values per facet.
pub const FACET_TOP: usize = 100;

type Shared = Arc<Library>;

pub fn router(library: Shared) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/c/{conversation}", get(page))
        .route("/assets/app.js", get(|| text(assets::JS, assets::APP_JS)))
        .route(
            "/assets/style.css",
            get(|| text(assets::CSS, assets::STYLE_CSS)),
        )
        .route(
            "/api/openapi.yaml",
            get(|| text(assets::YAML, assets::OPENAPI_YAML)),
        )
        .route("/api/search", get(search))
        .route("/api/show", get(show))
        .route("/api/stats", get(stats))
        .route("/api/freq", get(freq))
        .route("/api/collocates", get(collocates))
        .fallback(|| async { ApiError::not_found("no such endpoint: see /api/openapi.yaml") })
        .with_state(library)
}

/// The page runs only its own script and style: corpus text the page shows can never become
/// code, even if a rendering bug let markup through.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, assets::HTML),
            (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        assets::INDEX_HTML,
    )
        .into_response()
}

async fn text(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Run `work` on the blocking pool, answering 503 after `limit` (the work itself may still
/// finish in the background: tantivy cannot be interrupted, so the pool's size bounds the load);
/// its value as JSON.
async fn blocking<T, F>(limit: Duration, work: F) -> Result<Response, ApiError>
where
    T: Serialize + Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    let task = tokio::task::spawn_blocking(move || {
        work().and_then(|v| {
            serde_json::to_vec(&v).map_err(|e| ApiError::internal(format!("encoding JSON: {e}")))
        })
    });
    let body = match tokio::time::timeout(limit, task).await {
        Err(_) => Err(ApiError::timeout(format!(
            "the request took longer than {:.1} s; narrow the query or the filters",
            limit.as_secs_f64()
        ))),
        Ok(Err(join)) => Err(ApiError::internal(format!("the request failed: {join}"))),
        Ok(Ok(body)) => body,
    }?;
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(assets::JSON));
    Ok(response)
}

/// `/api/search`: the CLI's `search --json` document, plus the page and facets.
#[derive(Serialize)]
struct SearchBody {
    query: String,
    total_hits: usize,
    offset: usize,
    limit: usize,
    took_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hits: Option<Vec<Hit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<KwicRow>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    facets: Option<Facets>,
}

async fn search(State(lib): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let p = params::search(raw.as_deref())?;
    blocking(lib.timeout, move || run_search(&lib, p)).await
}

fn run_search(lib: &Library, p: params::SearchParams) -> Result<SearchBody, ApiError> {
    let started = Instant::now();
    let opened = lib.current();
    let opts = p.request.options()?;
    let results = opened.indexes.search(&opts)?;
    let (hits, lines) = if p.request.kwic {
        let mut rows: Vec<KwicRow> = results
            .hits
            .iter()
            .flat_map(|h| kwic::rows(h, p.width / 2))
            .collect();
        if let Some(by) = p.request.sort.and_then(request::Sort::kwic) {
            kwic::sort(&mut rows, by);
        }
        (None, Some(rows))
    } else {
        (Some(results.hits), None)
    };
    let facets = match p.facets {
        true => Some(facets::facets(&opened.indexes.engines(), &opts, FACET_TOP)?),
        false => None,
    };
    Ok(SearchBody {
        query: results.query,
        total_hits: results.total_hits,
        offset: opts.offset,
        limit: opts.limit.unwrap_or(DEFAULT_LIMIT),
        took_ms: started.elapsed().as_secs_f64() * 1000.0,
        hits,
        lines,
        facets,
    })
}

async fn show(State(lib): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let p = params::show(raw.as_deref())?;
    blocking(lib.timeout, move || {
        let opened = lib.current();
        Ok(opened.indexes.show(&p.conversation, p.turn, p.context)?)
    })
    .await
}

async fn stats(State(lib): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let mut p = params::Params::parse(raw.as_deref())?;
    let top = p.number("top", 1..=params::MAX_TOP)?;
    p.finish()?;
    blocking(lib.timeout, move || {
        // The first index's (the CLI's `stats` reads one).
        let stats = crate::stats::collect(&lib.dirs[0])?;
        Ok(match top {
            Some(n) => stats.top(n),
            None => stats,
        })
    })
    .await
}

async fn freq(State(lib): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let (q, p) = params::freq(raw.as_deref())?;
    blocking(lib.timeout, move || {
        let scope = p.request.scope(q.as_deref())?;
        let cut = aggregate::freq::Cutoff {
            top: p.top,
            min_count: p.min_count.unwrap_or(1),
        };
        let opened = lib.current();
        Ok(aggregate::freq::freq(opened.first(), &scope, cut)?)
    })
    .await
}

async fn collocates(
    State(lib): State<Shared>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let p = params::collocates(raw.as_deref())?;
    blocking(lib.timeout, move || {
        let scope = p.agg.request.scope(None)?;
        let opts = CollocateOptions {
            node: p.word,
            window: request::parse_window(&p.window)?,
            measure: p.measure,
            top: p.agg.top,
            min_count: p.agg.min_count.unwrap_or(request::DEFAULT_COLLOCATE_MIN),
        };
        let opened = lib.current();
        Ok(aggregate::collocates::collocates(
            opened.first(),
            &scope,
            &opts,
        )?)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_time()
            .build()
            .expect("runtime")
    }

    #[test]
    fn slow_work_is_answered_503_in_time() {
        let started = Instant::now();
        let answer = runtime().block_on(blocking(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_millis(400));
            Ok(1)
        }));
        let e = answer.expect_err("a timeout");
        assert_eq!((e.status.as_u16(), e.kind), (503, "timeout"));
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn quick_work_is_json() {
        let answer = runtime().block_on(blocking(Duration::from_secs(5), || Ok(vec![1, 2])));
        let r = answer.expect("an answer");
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], assets::JSON);
    }
}
