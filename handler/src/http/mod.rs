//! The router: four routes plus the health check and the console's ([`console`],
//! [`param_table`], [`sign`]), thin handlers one file each. Around them, outermost
//! first: the request log and metrics ([`observe`]), the origin check ([`origin`]), CORS.

pub mod console;
mod cors;
mod delete;
mod get;
mod health;
mod list;
mod negotiate;
pub mod observe;
pub mod origin;
pub mod param_table;
mod presets_only;
mod sign;
mod upload;

use crate::config::{Config, Route};
use crate::error::{Error, Result};
use crate::metrics::{LineSink, Observer};
use crate::result_cache::ResultCache;
use crate::secrets::{Secrets, SharedSecrets};
use crate::storage::DynStore;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::routing::get as get_route;
use axum::Router;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use std::sync::Arc;
use std::time::SystemTime;

#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    /// Plain data, read at start.
    pub config: Arc<Config>,
    /// Tokens, signing keys and origin values in force (they may rotate).
    pub secrets: Arc<SharedSecrets>,
    /// Where each request's log line (and metrics line) goes.
    pub observer: Arc<Observer>,
    /// Rendered variants kept for repeated requests; `None`: off.
    pub results: Option<Arc<ResultCache>>,
}

impl AppState {
    /// The configuration's own credentials, lines to stdout.
    pub fn new(store: DynStore, config: Config) -> AppState {
        AppState {
            store,
            secrets: SharedSecrets::fixed(Secrets::from_config(&config)),
            observer: Arc::new(Observer::stdout(config.metrics_namespace.clone())),
            config: Arc::new(config),
            results: None,
        }
    }

    /// Keeps rendered variants in `results` (see [`ResultCache::open`]).
    pub fn with_result_cache(mut self, results: Option<Arc<ResultCache>>) -> AppState {
        self.results = results;
        self
    }

    /// Credentials from a secret ([`SharedSecrets::from_env`]).
    pub fn with_secrets(mut self, secrets: Arc<SharedSecrets>) -> AppState {
        self.secrets = secrets;
        self
    }

    /// The log and metrics lines go to `sink` instead of stdout.
    pub fn with_log_sink(mut self, sink: LineSink) -> AppState {
        self.observer = Arc::new(Observer::new(self.config.metrics_namespace.clone(), sink));
        self
    }

    /// Refuses a route this deployment switched off, as if it were not deployed, and a
    /// management request without a valid bearer token (before its body is read).
    fn require(&self, route: Route, headers: &HeaderMap) -> Result<()> {
        if !self.config.route_enabled(route) {
            return Err(Error::NotFound(format!(
                "The '{}' route is disabled on this deployment.",
                route.name()
            )));
        }
        crate::auth::require_token(&self.config, &self.secrets.current(), route, headers)
    }
}

pub fn router(state: AppState) -> Router {
    // Multipart framing adds a little over the files themselves; the upload handler
    // enforces the exact limit on the files.
    let body_limit = state.config.max_upload_bytes.saturating_add(64 * 1024);
    Router::new()
        .route(
            "/",
            get_route(list::list)
                .post(upload::upload)
                .delete(delete::delete),
        )
        .route("/_/health", get_route(health::health))
        .route("/_/console", get_route(console::redirect))
        .route("/_/console/", get_route(console::page))
        .route("/_/console/{file}", get_route(console::asset))
        .route("/_/params", get_route(param_table::params))
        .route("/_/sign", axum::routing::post(sign::sign))
        .route(
            "/{*key}",
            get_route(get::get_image)
                .post(upload::upload)
                .delete(delete::delete),
        )
        .fallback(|| async { Error::NotFound("No such route.".into()) })
        .method_not_allowed_fallback(|| async {
            Error::MethodNotAllowed(
                "Method not allowed: use GET or HEAD to read, POST to upload, DELETE to remove."
                    .into(),
            )
        })
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::cors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::verify_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .with_state(state)
}

/// The lossy mode of the one query decoder, under its old name for the binaries and tests.
pub use crate::params::query::pairs as query_pairs;

/// Characters escaped in a path segment of a returned link.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'^')
    .add(b'|')
    .add(b'[')
    .add(b']')
    .add(b'\\');

pub(crate) fn encode_key(key: &str) -> String {
    key.split('/')
        .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

/// The public base URL: configured, or the scheme and host this request came in on.
pub(crate) fn public_base(config: &Config, headers: &HeaderMap) -> String {
    if let Some(url) = &config.public_url {
        return url.clone();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

pub(crate) fn quoted(etag: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{etag}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

pub(crate) fn http_date(t: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(t)).expect("http dates are ASCII")
}

/// True when the client's cached copy is still good (RFC 9110 §13.2.2: If-None-Match
/// wins over If-Modified-Since). With `last_modified` `None` only If-None-Match counts:
/// for responses that have no honest date of their own (variants).
pub(crate) fn not_modified(
    headers: &HeaderMap,
    etag: &str,
    last_modified: Option<SystemTime>,
) -> bool {
    if let Some(inm) = headers.get(header::IF_NONE_MATCH) {
        let Ok(inm) = inm.to_str() else { return false };
        return inm
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == etag);
    }
    let Some(last_modified) = last_modified else {
        return false;
    };
    if let Some(ims) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    {
        // HTTP dates have whole seconds.
        let secs = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        return secs(last_modified) <= secs(ims);
    }
    false
}

/// Which of `keys` exist, checked a few at a time: `(key, exists)` in input order.
pub(crate) async fn existence(store: &DynStore, keys: Vec<String>) -> Result<Vec<(String, bool)>> {
    use futures::stream::{self, StreamExt};
    stream::iter(keys)
        .map(|key| {
            let store = store.clone();
            async move {
                match store.head(&key).await {
                    Ok(_) => Ok((key, true)),
                    Err(crate::storage::StoreError::NotFound(_)) => Ok((key, false)),
                    Err(e) => Err(Error::from(e)),
                }
            }
        })
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

#[derive(serde::Serialize)]
pub(crate) struct Success<T: serde::Serialize> {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
    #[serde(flatten)]
    pub extra: T,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn conditional_requests() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = Some(at);
        let mut h = HeaderMap::new();
        assert!(!not_modified(&h, "abc", t));
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc\""),
        );
        assert!(not_modified(&h, "abc", t));
        assert!(
            not_modified(&h, "abc", None),
            "a variant revalidates by ETag"
        );
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\""));
        // If-None-Match present and not matching: If-Modified-Since is ignored.
        h.insert(
            header::IF_MODIFIED_SINCE,
            http_date(at + Duration::from_secs(10)),
        );
        assert!(!not_modified(&h, "abc", t));
        h.remove(header::IF_NONE_MATCH);
        assert!(not_modified(&h, "abc", t));
        assert!(
            !not_modified(&h, "abc", None),
            "a variant ignores If-Modified-Since"
        );
        h.insert(
            header::IF_MODIFIED_SINCE,
            http_date(at - Duration::from_secs(10)),
        );
        assert!(!not_modified(&h, "abc", t));
    }

    #[test]
    fn links_escape_segments() {
        assert_eq!(encode_key("a b/c#1.jpg"), "a%20b/c%231.jpg");
    }
}
