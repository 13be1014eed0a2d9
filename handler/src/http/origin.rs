//! The origin answers only its CDN: when origin-verify values are configured (the
//! secret's `originSecret` and `previousOriginSecrets`, `IMAGE_SERVICE_ORIGIN_SECRETS`),
//! every request, health checks and preflights included, must carry one of them in
//! `X-Origin-Verify`, which CloudFront adds to each request it forwards (overriding any
//! value a viewer sent). Others get a 403 `forbidden-origin`, so calling the API
//! Gateway URL directly skips neither the CDN's cache nor its firewall. Several values
//! are accepted at once, so the value rotates without downtime. With none configured
//! (local serving, tests) the check is off.

use super::AppState;
use crate::error::{codes, Error};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The request header CloudFront sets as an origin custom header.
pub const HEADER: &str = "x-origin-verify";

pub async fn verify_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = {
        let secrets = state.secrets.current();
        secrets.origin.is_empty()
            || request
                .headers()
                .get(HEADER)
                .is_some_and(|v| secrets.origin.accepts_bytes(v.as_bytes()))
    };
    if allowed {
        next.run(request).await
    } else {
        Error::forbidden(
            codes::FORBIDDEN_ORIGIN,
            "This service answers only requests that come through its CDN.",
        )
        .into_response()
    }
}
