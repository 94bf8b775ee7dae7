//! `colloquy serve`: the library over HTTP/JSON (axum on tokio). Read-only: no endpoint writes to
//! an index or the disk, and no part of a request is joined to a path (ids go through the index).
//! Requests are bounded in size (params), in time (routes) and in concurrent searches (the
//! blocking pool); answers are gzip-compressed when the client accepts it.

mod assets;
mod error;
mod params;
mod routes;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::ApiError;

use crate::error::{Error, Result};

/// Searches (and other index work) running at once; more wait their turn.
const MAX_BLOCKING: usize = 8;

/// Where to listen, and what to serve.
pub struct ServeOptions {
    pub indexes: Vec<PathBuf>,
    pub addr: SocketAddr,
    /// Longest a request may take before it is answered 503.
    pub timeout: Duration,
}

/// Open the indexes, listen, tell `listening` the bound address (a port 0 becomes a real one),
/// and serve until the process ends.
pub fn run(opts: &ServeOptions, listening: impl FnOnce(SocketAddr)) -> Result<()> {
    let library = Arc::new(state::Library::open(&opts.indexes, opts.timeout)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(MAX_BLOCKING)
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::io("starting the server's runtime", e))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(opts.addr)
            .await
            .map_err(|e| Error::io(format!("cannot listen on {}", opts.addr), e))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::io("reading the bound address", e))?;
        listening(bound);
        let app = routes::router(library).layer(tower_http::compression::CompressionLayer::new());
        axum::serve(listener, app)
            .await
            .map_err(|e| Error::io("serving", e))
    })
}

/// A warning for an address other machines can reach, or `None` for loopback.
pub fn exposure_warning(addr: &SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: listening on {addr}, reachable from other machines: the API has no \
             authentication and serves the whole corpus to anyone who can connect"
        )
    })
}
