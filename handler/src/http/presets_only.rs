//! The presets-only mode (`IMAGE_SERVICE_PRESETS_ONLY`) on top of the signature check:
//! an unsigned transform may ask only for presets (see [`only_presets`]).

use crate::auth;
use crate::config::{Config, SigningMode};
use crate::error::{codes, Error, Result};
use crate::params::{query, Params, SIGNATURE};
use crate::presets::only_presets;
use crate::secrets::Secrets;

/// [`auth::require_signature`] with the presets-only rule: when it is on, a transform
/// without a signature (`s`) is served only if it asks for presets alone, and one with
/// a signature is checked as usual (signing off: nothing is signed). `params` is the
/// query as written; the signature covers the raw `query`.
pub fn require_signature(
    config: &Config,
    secrets: &Secrets,
    key: &str,
    query: &str,
    params: &Params,
) -> Result<Option<u64>> {
    let transformed = !params.is_empty();
    if !config.presets_only_unsigned || !transformed {
        return auth::require_signature(config, secrets, key, query, transformed);
    }
    let signed = config.signing == SigningMode::Required
        && query::pairs(query).iter().any(|(k, _)| k == SIGNATURE);
    if signed {
        return auth::require_signature(config, secrets, key, query, true);
    }
    if only_presets(params) {
        return Ok(None);
    }
    let how = if config.signing == SigningMode::Required {
        "other parameters need a signed URL"
    } else {
        "this deployment serves nothing else"
    };
    Err(Error::forbidden(
        codes::PRESETS_ONLY,
        format!(
            "Only presets are allowed without a signature: use preset=<name>[,<name>…] (available: {}), optionally with fm=auto; {how}.",
            config.presets.names().join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::credentials::parse_keys;

    const KEYS: &str = "k1:0123456789abcdef0123";

    fn config(presets_only: bool, signing: SigningMode) -> (Config, Secrets) {
        let config = Config {
            presets_only_unsigned: presets_only,
            signing,
            signing_keys: parse_keys(KEYS).unwrap(),
            ..Config::default()
        };
        let secrets = Secrets::from_config(&config);
        (config, secrets)
    }

    /// `query` with its signature for `a.jpg` (the canonical query `sign` returns).
    fn signed(query: &str) -> String {
        let url = auth::signing::sign(
            &parse_keys(KEYS).unwrap(),
            "a.jpg",
            &query::pairs(query),
            None,
        )
        .unwrap();
        url.split_once('?').unwrap().1.to_string()
    }

    fn check(config: &(Config, Secrets), query: &str) -> std::result::Result<(), String> {
        let params = Params::parse(query).map_err(|e| e.to_string())?;
        require_signature(&config.0, &config.1, "a.jpg", query, &params)
            .map(|_| ())
            .map_err(|e| e.code().to_string())
    }

    /// Presets-only mode: unsigned requests get presets (and fm=auto) only; signed ones
    /// anything; the mode off changes nothing.
    #[test]
    fn presets_only_mode_refuses_unsigned_parameters_and_allows_signed_ones() {
        let required = config(true, SigningMode::Required);
        assert_eq!(check(&required, "preset=thumb"), Ok(()));
        assert_eq!(check(&required, "preset=thumb&fm=auto&v=2"), Ok(()));
        assert_eq!(check(&required, ""), Ok(()), "originals are not transforms");
        assert_eq!(check(&required, "w=10"), Err("presets-only".into()));
        assert_eq!(
            check(&required, "preset=thumb&w=10"),
            Err("presets-only".into())
        );
        assert_eq!(check(&required, &signed("w=10")), Ok(()));
        assert_eq!(check(&required, &signed("preset=thumb&w=10")), Ok(()));
        assert_eq!(
            check(&required, "w=10&s=AAAA"),
            Err("invalid-signature".into())
        );
        // Signing off: every request is unsigned, so presets only.
        let off = config(true, SigningMode::Off);
        assert_eq!(check(&off, "preset=card"), Ok(()));
        assert_eq!(check(&off, "w=10"), Err("presets-only".into()));
        assert_eq!(check(&off, &signed("w=10")), Err("presets-only".into()));
        // The mode off: signing alone decides.
        let normal = config(false, SigningMode::Required);
        assert_eq!(
            check(&normal, "preset=thumb"),
            Err("invalid-signature".into())
        );
        assert_eq!(check(&normal, &signed("w=10")), Ok(()));
        assert_eq!(check(&config(false, SigningMode::Off), "w=10"), Ok(()));
    }

    #[test]
    fn the_refusal_lists_the_presets_and_says_what_to_do() {
        let (config, secrets) = config(true, SigningMode::Required);
        let params = Params::parse("w=10").unwrap();
        let e = require_signature(&config, &secrets, "a.jpg", "w=10", &params).unwrap_err();
        assert_eq!(e.status().as_u16(), 403);
        let message = e.to_string();
        for needle in ["Only presets", "thumb", "fm=auto", "signed URL"] {
            assert!(message.contains(needle), "{message}");
        }
    }
}
