//! Who may do what: signed URLs for reading ([`signing`]) and bearer tokens for the
//! management routes ([`tokens`]). The route handlers call [`require_signature`] and
//! [`require_token`] first, before any parameter or store work.

pub mod signing;
pub mod tokens;

pub use crate::config::SigningMode;

use crate::config::{Config, Route};
use crate::error::{codes, Error, Result};
use crate::secrets::Secrets;
use axum::http::{header, HeaderMap};
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Checks a GET's signature (over the raw `query`) when the configuration asks for one,
/// against the keys in force. Returns the expiry the signature carried (responses must
/// not be cached past it).
pub fn require_signature(
    config: &Config,
    secrets: &Secrets,
    key: &str,
    query: &str,
    transformed: bool,
) -> Result<Option<u64>> {
    if config.signing == SigningMode::Off || !(transformed || config.sign_originals) {
        return Ok(None);
    }
    let pairs = crate::params::query::pairs(query);
    match signing::verify(&secrets.signing_keys, key, &pairs, now()) {
        Ok(v) => Ok(v.expires),
        Err(signing::Refusal::Invalid(message)) => Err(Error::forbidden(
            codes::INVALID_SIGNATURE,
            format!("Invalid signature: {message}"),
        )),
        Err(signing::Refusal::Expired { expired_at }) => Err(Error::forbidden(
            codes::EXPIRED,
            format!("This signed URL expired at {expired_at} (Unix time)."),
        )),
    }
}

/// Whether `route` needs a bearer token under this configuration.
pub fn needs_token(config: &Config, route: Route) -> bool {
    match route {
        Route::Upload | Route::Delete => true,
        Route::List => config.list_requires_token,
        Route::Get => false,
    }
}

/// Checks the `Authorization: Bearer` credential of a management request against the
/// tokens in force.
pub fn require_token(
    config: &Config,
    secrets: &Secrets,
    route: Route,
    headers: &HeaderMap,
) -> Result<()> {
    if !needs_token(config, route) {
        return Ok(());
    }
    require_bearer(config, secrets, route.name(), headers)
}

/// Checks the bearer credential of a request to `what` (a route's name, in the messages)
/// that always needs a write token, with the same rules as the management routes: with
/// no tokens configured it is open only where the configuration says so (locally).
pub fn require_bearer(
    config: &Config,
    secrets: &Secrets,
    what: &str,
    headers: &HeaderMap,
) -> Result<()> {
    if secrets.write_tokens.is_empty() {
        if config.open_without_tokens {
            return Ok(());
        }
        return Err(Error::forbidden(
            codes::WRITES_DISABLED,
            format!(
                "The '{what}' route needs a bearer token, and this deployment has none configured (IMAGE_SERVICE_WRITE_TOKENS, or writeTokens in its secret)."
            ),
        ));
    }
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(token) = tokens::bearer(presented) else {
        return Err(Error::Unauthorized(format!(
            "The '{what}' route needs 'Authorization: Bearer <token>'."
        )));
    };
    if secrets.write_tokens.accepts(token) {
        Ok(())
    } else {
        Err(Error::forbidden(
            codes::INVALID_TOKEN,
            "The bearer token is not valid for this deployment.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn config(tokens: &str, open: bool) -> Config {
        Config {
            write_tokens: tokens::WriteTokens::parse(tokens).unwrap(),
            open_without_tokens: open,
            ..Config::default()
        }
    }

    fn check(c: &Config, route: Route, headers: &HeaderMap) -> Result<()> {
        require_token(c, &Secrets::from_config(c), route, headers)
    }

    fn signature(c: &Config, key: &str, query: &str, transformed: bool) -> Result<Option<u64>> {
        require_signature(c, &Secrets::from_config(c), key, query, transformed)
    }

    fn with_auth(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn tokens_guard_writes_and_the_listing() {
        let c = config("tok-aaaaaaaaaaaaaaaa", false);
        let none = HeaderMap::new();
        for route in [Route::Upload, Route::Delete, Route::List] {
            assert_eq!(check(&c, route, &none).unwrap_err().code(), "unauthorized");
            assert_eq!(
                check(&c, route, &with_auth("Bearer wrong-wrong-wrong"))
                    .unwrap_err()
                    .code(),
                "invalid-token"
            );
            check(&c, route, &with_auth("Bearer tok-aaaaaaaaaaaaaaaa")).unwrap();
        }
        check(&c, Route::Get, &none).unwrap();
        let c = Config {
            list_requires_token: false,
            ..c
        };
        check(&c, Route::List, &none).unwrap();
    }

    #[test]
    fn no_tokens_means_open_locally_and_closed_on_lambda() {
        let none = HeaderMap::new();
        check(&config("", true), Route::Upload, &none).unwrap();
        let e = check(&config("", false), Route::Upload, &none).unwrap_err();
        assert_eq!((e.status().as_u16(), e.code()), (403, "writes-disabled"));
    }

    #[test]
    fn signatures_only_when_configured() {
        let keys = signing::parse_keys("k:0123456789abcdef").unwrap();
        let pairs = crate::params::query::pairs("w=10");
        let off = Config::default();
        assert_eq!(signature(&off, "a.jpg", "w=10", true).unwrap(), None);
        let on = Config {
            signing: SigningMode::Required,
            signing_keys: keys.clone(),
            ..Config::default()
        };
        let e = signature(&on, "a.jpg", "w=10", true).unwrap_err();
        assert_eq!((e.status().as_u16(), e.code()), (403, "invalid-signature"));
        // Originals only when configured.
        signature(&on, "a.jpg", "", false).unwrap();
        let originals = Config {
            sign_originals: true,
            ..on.clone()
        };
        assert!(signature(&originals, "a.jpg", "", false).is_err());
        let signed = signing::sign(&keys, "a.jpg", &pairs, Some(1)).unwrap();
        let query = signed.split_once('?').unwrap().1;
        let e = signature(&on, "a.jpg", query, true).unwrap_err();
        assert_eq!(e.code(), "expired");
    }
}
