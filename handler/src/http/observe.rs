//! The outermost layer: times each request, classifies it, and once it is answered
//! writes its log line and metrics line ([`crate::metrics`]) and, on image responses,
//! the `Server-Timing` header. The GET handler reports its phase times in the
//! response's extensions ([`ImageWork`]), which this layer takes out again.

use super::AppState;
use crate::error::ErrorCode;
use crate::metrics::{redact_query, PhaseTimes, RequestRecord, RouteName};
use axum::body::HttpBody;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// What the GET handler did, carried to this layer on its response (success or error).
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageWork {
    /// The request asked for a transformation (else the original).
    pub transformed: bool,
    pub phases: PhaseTimes,
}

pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id(&request);
    let method = request.method().clone();
    let route = classify(
        &method,
        request.uri().path(),
        request.uri().query().unwrap_or(""),
    );
    let path = request.uri().path().to_string();
    let query = redact_query(request.uri().query().unwrap_or(""));
    let bytes_in = content_length(request.headers())
        .or_else(|| request.body().size_hint().exact())
        .unwrap_or(0);

    let mut response = next.run(request).await;

    let total = started.elapsed();
    let work = response.extensions_mut().remove::<ImageWork>();
    let status = response.status();
    let route = match work {
        Some(w) if w.transformed => RouteName::Transform,
        Some(_) => RouteName::Original,
        None => route,
    };
    let phases = work.map(|w| w.phases).unwrap_or_default();
    if work.is_some() && (status == StatusCode::OK || status == StatusCode::NOT_MODIFIED) {
        if let Ok(v) = HeaderValue::from_str(&phases.server_timing(total)) {
            response.headers_mut().insert("server-timing", v);
        }
    }
    let bytes_out = response
        .body()
        .size_hint()
        .exact()
        .or_else(|| content_length(response.headers()))
        .unwrap_or(0);
    state.observer.record(&RequestRecord {
        request_id,
        method: method.to_string(),
        route,
        path,
        query,
        status: status.as_u16(),
        code: response.extensions().get::<ErrorCode>().map(|c| c.0),
        bytes_in,
        bytes_out,
        total,
        phases,
    });
    response
}

/// Lambda's request id when the request came through `lambda_http`, else a new one.
fn request_id(request: &Request) -> String {
    use lambda_http::RequestExt;
    request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// A query with parameters other than the signature's: a transform, unless parsing it
/// finds none it knows (the GET handler then says so in [`ImageWork`]).
pub(crate) fn asks_for_transform(query: &str) -> bool {
    use crate::params::{EXPIRES, KEY_ID, SIGNATURE};
    crate::params::query::pairs(query)
        .iter()
        .any(|(k, _)| ![SIGNATURE, KEY_ID, EXPIRES].contains(&k.as_str()))
}

/// The route by method, path and query, for requests answered before (or without) the
/// GET handler's own account.
fn classify(method: &Method, path: &str, query: &str) -> RouteName {
    if *method == Method::OPTIONS {
        return RouteName::Preflight;
    }
    if path == "/_/health" {
        return RouteName::Health;
    }
    // The console's own routes are neither images nor writes.
    if path.starts_with("/_/") {
        return RouteName::Other;
    }
    match *method {
        Method::GET | Method::HEAD if path == "/" => RouteName::List,
        Method::GET | Method::HEAD if asks_for_transform(query) => RouteName::Transform,
        Method::GET | Method::HEAD => RouteName::Original,
        Method::POST => RouteName::Upload,
        Method::DELETE => RouteName::Delete,
        _ => RouteName::Other,
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_method_and_path() {
        for (method, path, route) in [
            (Method::GET, "/", RouteName::List),
            (Method::HEAD, "/", RouteName::List),
            (Method::GET, "/a/b.png", RouteName::Original),
            (Method::GET, "/a/b.png?s=x&kid=k&exp=1", RouteName::Original),
            (Method::GET, "/a/b.png?w=10&s=x", RouteName::Transform),
            (Method::POST, "/", RouteName::Upload),
            (Method::POST, "/albums", RouteName::Upload),
            (Method::DELETE, "/", RouteName::Delete),
            (Method::GET, "/_/health", RouteName::Health),
            (Method::GET, "/_/console/", RouteName::Other),
            (Method::POST, "/_/sign", RouteName::Other),
            (Method::OPTIONS, "/x.png", RouteName::Preflight),
            (Method::PUT, "/x.png", RouteName::Other),
        ] {
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            assert_eq!(classify(&method, path, query), route, "{method} {path}");
        }
    }
}
