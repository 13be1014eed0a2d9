//! CORS for browser callers (a CMS uploading from its own origin): only the configured
//! origins get CORS headers, and a preflight from any other origin is refused, so a
//! page elsewhere cannot drive the management routes with a token it obtained.
//!
//! Responses must be safe in a shared cache (CloudFront, a browser's HTTP cache) that
//! later serves them to another origin: with `*`, every response carries
//! `Access-Control-Allow-Origin: *`, with or without an `Origin` header, so any cached
//! copy works for every origin; with a list, every response carries `Vary: Origin`
//! (also without an `Origin` header and for an origin not listed), so a cache keys on it.

use super::AppState;
use crate::config::{CorsOrigins, Route};
use crate::error::{codes, Error};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How long a browser may cache a preflight answer (seconds).
const PREFLIGHT_MAX_AGE: &str = "600";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, If-None-Match, If-Modified-Since";
const EXPOSED_HEADERS: &str = "ETag, Content-Length, X-Next-Continuation-Token, Server-Timing";

pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origins = &state.config.cors_origins;
    if *origins == CorsOrigins::None {
        return next.run(request).await;
    }
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    let allow_origin = allow_origin(origins, origin);
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        preflight_response(&state, allow_origin)
    } else {
        let mut response = next.run(request).await;
        if let Some(value) = allow_origin {
            let h = response.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
        }
        response
    };
    // With a list, responses differ by Origin, so shared caches must key on it.
    if matches!(origins, CorsOrigins::List(_)) {
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// The `Access-Control-Allow-Origin` value for this request, if it gets one: `*` for
/// any origin (a request without `Origin` too), else the origin when it is listed.
fn allow_origin(origins: &CorsOrigins, origin: Option<&str>) -> Option<HeaderValue> {
    match origins {
        CorsOrigins::None => None,
        CorsOrigins::Any => Some(HeaderValue::from_static("*")),
        CorsOrigins::List(_) => origin
            .filter(|o| origins.allows(o))
            .and_then(|o| HeaderValue::from_str(o).ok()),
    }
}

fn preflight_response(state: &AppState, allow_origin: Option<HeaderValue>) -> Response {
    let Some(value) = allow_origin else {
        return Error::forbidden(
            codes::ORIGIN_NOT_ALLOWED,
            "This origin may not call the service from a browser.",
        )
        .into_response();
    };
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h: &mut HeaderMap = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, allowed_methods(state));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    response
}

/// The methods of the routes this deployment serves.
fn allowed_methods(state: &AppState) -> HeaderValue {
    let mut methods = vec!["GET", "HEAD"];
    if state.config.route_enabled(Route::Upload) {
        methods.push("POST");
    }
    if state.config.route_enabled(Route::Delete) {
        methods.push("DELETE");
    }
    HeaderValue::from_str(&methods.join(", ")).expect("ASCII methods")
}
