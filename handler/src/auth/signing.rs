//! Signed URLs: `s` = URL-safe base64 (no padding) of HMAC-SHA256 over the canonical
//! request, `kid` picks the key, `exp` (Unix seconds, optional) is covered by the
//! signature.
//!
//! The canonical request is built from decoded values so that any client (or proxy)
//! spelling of the same URL signs the same bytes, and so that an independent
//! implementation fits in a few lines (README: JavaScript and Python):
//!
//! ```text
//! enc(x)  = percent-encoding of the UTF-8 bytes of x, every byte except A-Z a-z 0-9 - _ . ~
//!           as %XX (upper-case hex)
//! path    = "/" + the key, each '/'-separated segment enc()'d
//! query   = every (key, value) pair except `s`, percent-decoded once (`+` is a space),
//!           written enc(key) "=" enc(value), the strings sorted bytewise, joined by "&"
//! message = path "\n" query
//! ```
//!
//! So query order never matters, and `s` is no part of the cache key (it is not a
//! transform parameter, so [`crate::params::Params::canonical`] leaves it out).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The query parameters signing uses; none is a transform parameter.
pub use crate::params::{EXPIRES, KEY_ID, SIGNATURE};

pub use crate::config::credentials::{parse_keys, SigningKey};

/// HMAC-SHA256 of `message` under `key`.
fn mac(key: &SigningKey, message: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.secret()).expect("HMAC takes keys of any length");
    mac.update(message.as_bytes());
    mac
}

const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, UNRESERVED).to_string()
}

/// The bytes that are signed, for a store key and the decoded query pairs.
pub fn canonical_message(key: &str, pairs: &[(String, String)]) -> String {
    let path: Vec<String> = key.split('/').map(enc).collect();
    let mut query: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k != SIGNATURE)
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    query.sort_unstable();
    format!("/{}\n{}", path.join("/"), query.join("&"))
}

/// Why a request's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Missing, malformed, unknown key, or not matching.
    Invalid(String),
    /// Matching, but `exp` is in the past.
    Expired { expired_at: u64 },
}

/// A verified signature: the expiry it carried, if any (responses must not be cached
/// past it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub expires: Option<u64>,
}

/// Checks the signature of a request for `key` with the decoded query `pairs` at
/// `now` (Unix seconds), against `keys`.
pub fn verify(
    keys: &[SigningKey],
    key: &str,
    pairs: &[(String, String)],
    now: u64,
) -> Result<Verified, Refusal> {
    let one = |name: &str| -> Result<Option<&str>, Refusal> {
        let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(Refusal::Invalid(format!(
                "'{name}' appears more than once."
            )));
        }
        Ok(first.map(String::as_str))
    };
    let signature = one(SIGNATURE)?.ok_or_else(|| {
        Refusal::Invalid("This URL must be signed: add the 's' signature parameter.".into())
    })?;
    let signing_key = match one(KEY_ID)? {
        Some(id) => keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(|| Refusal::Invalid(format!("Unknown signing key id '{id}' in 'kid'.")))?,
        None => keys
            .first()
            .ok_or_else(|| Refusal::Invalid("No signing key is configured.".into()))?,
    };
    let expires = match one(EXPIRES)? {
        Some(v) => Some(v.parse::<u64>().map_err(|_| {
            Refusal::Invalid(format!("'exp' must be a Unix time in seconds, not {v:?}."))
        })?),
        None => None,
    };
    use base64::Engine as _;
    let given = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature.trim_end_matches('='))
        .map_err(|_| Refusal::Invalid("The signature 's' is not URL-safe base64.".into()))?;
    // `verify_slice` compares in constant time.
    mac(signing_key, &canonical_message(key, pairs))
        .verify_slice(&given)
        .map_err(|_| Refusal::Invalid("The signature does not match this URL.".into()))?;
    if let Some(at) = expires {
        if at <= now {
            return Err(Refusal::Expired { expired_at: at });
        }
    }
    Ok(Verified { expires })
}

/// Signs `key` with `pairs` (adding `kid`, and `exp` when given) with the first key,
/// returning the path and query to request: `/key?<canonical query>&s=<signature>`.
pub fn sign(
    keys: &[SigningKey],
    key: &str,
    pairs: &[(String, String)],
    expires: Option<u64>,
) -> Result<String, String> {
    let signing_key = keys
        .first()
        .ok_or("no signing key is configured (IMAGE_SERVICE_SIGNING_KEYS)")?;
    let mut pairs: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != SIGNATURE && k != KEY_ID && k != EXPIRES)
        .cloned()
        .collect();
    pairs.push((KEY_ID.into(), signing_key.id.clone()));
    if let Some(at) = expires {
        pairs.push((EXPIRES.into(), at.to_string()));
    }
    let message = canonical_message(key, &pairs);
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(mac(signing_key, &message).finalize().into_bytes());
    let (path, query) = message.split_once('\n').expect("the message has two lines");
    Ok(format!("{path}?{query}&{SIGNATURE}={signature}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<SigningKey> {
        parse_keys("new:0123456789abcdef-new,old:0123456789abcdef-old").unwrap()
    }

    fn pairs(q: &str) -> Vec<(String, String)> {
        crate::params::query::pairs(q)
    }

    /// Splits a signed path?query back into key and pairs, as the router would.
    fn request(signed: &str) -> (String, Vec<(String, String)>) {
        let (path, query) = signed.split_once('?').unwrap();
        let key = percent_encoding::percent_decode_str(&path[1..])
            .decode_utf8()
            .unwrap()
            .into_owned();
        (key, pairs(query))
    }

    #[test]
    fn signed_urls_verify_in_any_query_order() {
        let k = keys();
        let signed = sign(&k, "photos/cat.jpg", &pairs("w=300&h=200&fm=webp"), None).unwrap();
        let (key, mut p) = request(&signed);
        assert_eq!(verify(&k, &key, &p, 0), Ok(Verified { expires: None }));
        p.reverse();
        assert!(verify(&k, &key, &p, 0).is_ok());
    }

    #[test]
    fn message_is_canonical() {
        // Decoded values, sorted `k=v` strings, unreserved set only.
        assert_eq!(
            canonical_message("a b/ü.jpg", &pairs("w=300&bg=%23ff0000&s=zzz&a-b=1&a=x+y")),
            "/a%20b/%C3%BC.jpg\na-b=1&a=x%20y&bg=%23ff0000&w=300"
        );
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let k = keys();
        let signed = sign(&k, "cat.jpg", &pairs("w=300"), Some(2_000_000_000)).unwrap();
        for tampered in [
            signed.replace("w=300", "w=301"),
            signed.replace("/cat.jpg", "/dog.jpg"),
            signed.replace("exp=2000000000", "exp=2000000001"),
            format!("{signed}&h=10"),
            signed.replace("kid=new", "kid=old"),
        ] {
            let (key, p) = request(&tampered);
            assert!(
                matches!(verify(&k, &key, &p, 0), Err(Refusal::Invalid(_))),
                "{tampered}"
            );
        }
    }

    #[test]
    fn expiry_is_checked_after_the_signature() {
        let k = keys();
        let signed = sign(&k, "cat.jpg", &pairs("w=300"), Some(1_000)).unwrap();
        let (key, p) = request(&signed);
        assert_eq!(
            verify(&k, &key, &p, 999),
            Ok(Verified {
                expires: Some(1_000)
            })
        );
        assert_eq!(
            verify(&k, &key, &p, 1_000),
            Err(Refusal::Expired { expired_at: 1_000 })
        );
    }

    #[test]
    fn old_keys_keep_working_during_rotation() {
        let old_first = parse_keys("old:0123456789abcdef-old").unwrap();
        let signed = sign(&old_first, "cat.jpg", &pairs("w=1"), None).unwrap();
        let (key, p) = request(&signed);
        assert!(verify(&keys(), &key, &p, 0).is_ok());
        // A key that was removed no longer verifies.
        let only_new = parse_keys("new:0123456789abcdef-new").unwrap();
        assert!(matches!(
            verify(&only_new, &key, &p, 0),
            Err(Refusal::Invalid(m)) if m.contains("'old'")
        ));
    }

    #[test]
    fn missing_duplicate_or_malformed_parts_are_invalid() {
        let k = keys();
        for q in [
            "w=1",
            "w=1&s=abc&s=abc",
            "w=1&s=!!!",
            "w=1&s=abc&exp=tomorrow",
            "w=1&s=abc&kid=nope",
        ] {
            assert!(
                matches!(verify(&k, "a.jpg", &pairs(q), 0), Err(Refusal::Invalid(_))),
                "{q}"
            );
        }
        assert!(matches!(
            verify(&[], "a.jpg", &pairs("s=abc"), 0),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn known_answer() {
        // Computed independently with Python:
        // hmac.new(b"0123456789abcdef-new", b"/cat.jpg\nkid=new&w=300", hashlib.sha256)
        let k = keys();
        let signed = sign(&k, "cat.jpg", &pairs("w=300"), None).unwrap();
        assert_eq!(signed, format!("/cat.jpg?kid=new&w=300&s={}", KNOWN));
    }
    const KNOWN: &str = "IWX2VQDQL_HZRi-x_9A_oLKcp8bj38gBF1DDe8pPy3U";
}
