//! `POST /_/sign`: signs paths with the deployment's first signing key, for a caller
//! holding a write token (the console's "copy URL", its previews, a CMS). The key never
//! leaves the service. Body `{"paths": ["/cat.jpg?w=300", …], "expiresIn": 3600}` (or
//! one `"path"`); each query is checked as a GET would check it (parameters, presets,
//! plan) before it is signed, so a URL this returns is one the service will answer.
//!
//! With signing off the answer holds the same URLs unsigned (`"signed": false`): they
//! work as they are. With signing required but no key in force (a secret without
//! `signingKeys`), the URLs come back unsigned with the `image-service sign` command
//! that signs each on a machine that has the key.

use super::console::{hardened, require_console};
use super::{encode_key, public_base, AppState};
use crate::auth::{self, signing, SigningMode};
use crate::error::{codes, Error, Result};
use crate::keys;
use crate::params::{query, Params};
use crate::plan::{Limits, Plan};
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// Most paths one request may sign (a page of thumbnails is far fewer).
pub const MAX_PATHS: usize = 1000;
/// Longest `expiresIn`: ten years, in seconds.
pub const MAX_EXPIRES_IN: u64 = 10 * 365 * 24 * 3600;
/// Largest body: 1000 long paths fit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SignRequest {
    path: Option<String>,
    paths: Option<Vec<String>>,
    expires_in: Option<u64>,
}

const EXPECTED: &str =
    "Expected a JSON body such as {\"paths\": [\"/cat.jpg?w=300\"], \"expiresIn\": 3600}";

pub async fn sign(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    hardened(
        sign_paths(&state, &headers, body)
            .await
            .map(|v| Json(v).into_response()),
    )
}

async fn sign_paths(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Value> {
    require_console(state)?;
    let secrets = state.secrets.current();
    // Before the body is read, as on the management routes.
    auth::require_bearer(&state.config, &secrets, "sign", headers)?;
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            Error::PayloadTooLarge(format!(
                "The request body is larger than the limit of {MAX_BODY_BYTES} bytes."
            ))
        })?;
    let request: SignRequest = serde_json::from_slice(&body)
        .map_err(|e| Error::bad_request(codes::INVALID_BODY, format!("{EXPECTED}: {e}")))?;
    let paths = match (request.path, request.paths) {
        (Some(one), None) => vec![one],
        (None, Some(many)) => many,
        _ => {
            return Err(Error::bad_request(
                codes::INVALID_BODY,
                format!("{EXPECTED}: give either 'path' or 'paths'."),
            ))
        }
    };
    if paths.len() > MAX_PATHS {
        return Err(Error::bad_request(
            codes::INVALID_BODY,
            format!("At most {MAX_PATHS} paths can be signed in one request."),
        ));
    }
    let expires = match request.expires_in {
        None => None,
        Some(seconds @ 1..=MAX_EXPIRES_IN) => Some(now().saturating_add(seconds)),
        Some(other) => {
            return Err(Error::bad_request(
                codes::INVALID_BODY,
                format!("'expiresIn' must be 1 to {MAX_EXPIRES_IN} seconds, not {other}."),
            ))
        }
    };
    let config = &state.config;
    let keys_in_force = &secrets.signing_keys;
    let required = config.signing == SigningMode::Required;
    let will_sign = required && !keys_in_force.is_empty();
    let base = public_base(config, headers);
    let mut urls = Vec::with_capacity(paths.len());
    for raw in &paths {
        let (key, pairs) = checked(state, raw)?;
        let path = if will_sign {
            signing::sign(keys_in_force, &key, &pairs, expires).map_err(Error::Internal)?
        } else {
            unsigned(&key, raw)
        };
        let mut entry = json!({"path": path, "url": format!("{base}{path}")});
        if required && !will_sign {
            entry["cli"] = Value::String(cli_command(&path, request.expires_in));
        }
        urls.push(entry);
    }
    let message = match (required, will_sign) {
        (false, _) => "Signing is off on this deployment: these URLs work unsigned.",
        (true, true) => "URLs signed.",
        (true, false) => "Signing is required, but this deployment has no signing key in force: sign each URL where a key is (its 'cli' command, with IMAGE_SERVICE_SIGNING_KEYS set), or add signingKeys to the deployment's secret.",
    };
    let mut answer = json!({
        "status": 200,
        "code": "success",
        "message": message,
        "signing": if required { "required" } else { "off" },
        "signed": will_sign,
        "expires": if will_sign { expires } else { None },
        "urls": urls,
    });
    if paths.len() == 1 {
        answer["url"] = answer["urls"][0]["url"].clone();
    }
    Ok(answer)
}

/// The key and decoded pairs of `raw` (`/key?query`), after the checks a GET makes
/// before reading the store.
fn checked(state: &AppState, raw: &str) -> Result<(String, Vec<(String, String)>)> {
    if !raw.starts_with('/') {
        return Err(Error::bad_request(
            codes::INVALID_BODY,
            format!("{raw:?} is not a path: it must start with '/' (no scheme or host)."),
        ));
    }
    let (path, raw_query) = raw.split_once('?').unwrap_or((raw, ""));
    let key = keys::key_from_path(path)?;
    let params = Params::parse(raw_query)?;
    let expanded = state.config.presets.expand(&params)?;
    let limits = Limits {
        max_operations: state.config.max_operations,
        ..Limits::default()
    };
    Plan::new(&expanded, limits)?;
    Ok((key, query::pairs(raw_query)))
}

/// `raw` with its key written as the service writes links, the query as given.
fn unsigned(key: &str, raw: &str) -> String {
    match raw.split_once('?') {
        Some((_, q)) if !q.is_empty() => format!("/{}?{q}", encode_key(key)),
        _ => format!("/{}", encode_key(key)),
    }
}

/// The command that signs `path` where the key is.
fn cli_command(path: &str, expires_in: Option<u64>) -> String {
    let quoted = path.replace('\'', "'\\''");
    match expires_in {
        Some(s) => format!("image-service sign '{quoted}' --expires-in {s}"),
        None => format!("image-service sign '{quoted}'"),
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_commands_quote_the_path_for_a_shell() {
        assert_eq!(
            cli_command("/it's.jpg?w=1", Some(60)),
            "image-service sign '/it'\\''s.jpg?w=1' --expires-in 60"
        );
        assert_eq!(cli_command("/a.jpg", None), "image-service sign '/a.jpg'");
    }

    #[test]
    fn unsigned_paths_keep_the_query_and_escape_the_key() {
        assert_eq!(unsigned("a b.jpg", "/a%20b.jpg?w=1"), "/a%20b.jpg?w=1");
        assert_eq!(unsigned("a.jpg", "/a.jpg?"), "/a.jpg");
    }
}
