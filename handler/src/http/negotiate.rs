//! What a GET's answer takes from its headers for `fm=auto`, and what the response
//! says back: the client's accept class in, `Vary: Accept` and the format fallback out.

use crate::codecs::auto_quality::Search;
use crate::config::Config;
use crate::params::accept::{AcceptClass, ACCEPT_CLASS_HEADER};
use crate::plan::format::FALLBACK_HEADER;
use crate::plan::Context;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use std::time::Duration;

/// The plan context's negotiation part: the class from `x-image-accept` (set at the
/// edge) or `Accept`, and the deployment's settings.
pub fn context(config: &Config, headers: &HeaderMap) -> Context<'static> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    Context {
        accept: AcceptClass::from_headers(text(ACCEPT_CLASS_HEADER), text("accept")),
        auto_format: config.auto_format,
        avif_budget_ms: config.avif_budget_ms,
        auto_quality: config.auto_quality,
        quality_search: Search {
            target: config.auto_quality_target,
            budget: Duration::from_millis(config.auto_quality_budget_ms),
        },
        metadata_gps: config.metadata_gps,
        ..Context::default()
    }
}

/// Marks a response (200 or 304) whose bytes depend on `Accept` with `Vary: Accept`,
/// and says when a negotiated format fell back (`X-Image-Format-Fallback`).
pub fn mark(mut response: Response, negotiated: bool, fallback: Option<&'static str>) -> Response {
    let h = response.headers_mut();
    if negotiated {
        h.append(header::VARY, HeaderValue::from_static("Accept"));
    }
    if let Some(reason) = fallback {
        h.insert(FALLBACK_HEADER, HeaderValue::from_static(reason));
    }
    response
}
