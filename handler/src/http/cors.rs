//! CORS for browser callers (a CMS uploading from its own origin): only the configured
//! origins get CORS headers, and a preflight from any other origin is refused, so a
//! page elsewhere cannot drive the management routes with a token it obtained.

use super::AppState;
use crate::config::{CorsOrigins, Route};
use crate::error::Error;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How long a browser may cache a preflight answer (seconds).
const PREFLIGHT_MAX_AGE: &str = "600";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, If-None-Match, If-Modified-Since";
const EXPOSED_HEADERS: &str = "ETag, Content-Length, X-Next-Continuation-Token";

pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origins = &state.config.cors_origins;
    if *origins == CorsOrigins::None {
        return next.run(request).await;
    }
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let allowed = origin.as_deref().is_some_and(|o| origins.allows(o));
    if preflight {
        let Some(origin) = origin.filter(|_| allowed) else {
            return Error::forbidden(
                "origin-not-allowed",
                "This origin may not call the service from a browser.",
            )
            .into_response();
        };
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        add_origin(h, origins, &origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            allowed_methods(&state),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE),
        );
        return response;
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    // Responses differ by Origin, so shared caches must key on it.
    if *origins != CorsOrigins::Any {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(origin) = origin.filter(|_| allowed) {
        add_origin(h, origins, &origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    response
}

fn add_origin(h: &mut HeaderMap, origins: &CorsOrigins, origin: &str) {
    let value = match origins {
        CorsOrigins::Any => HeaderValue::from_static("*"),
        _ => HeaderValue::from_str(origin).unwrap_or_else(|_| HeaderValue::from_static("null")),
    };
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
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
