//! Credentials as configured: the signing keys, the bearer tokens and the origin-verify
//! values, parsed and checked at start. Plain data owned by the configuration; `auth`
//! uses them to check requests (config never depends on auth). Secret values are never
//! printed (Debug is redacted); token sets are kept as SHA-256 digests and compared in
//! constant time, every configured value every time, so neither the length nor the
//! position of a match shows in the timing.

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// IMAGE_SERVICE_SIGNING.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningMode {
    /// Signatures are neither required nor checked.
    Off,
    /// Every transformed GET (and original GETs when `sign_originals`) carries a valid
    /// signature.
    Required,
}

/// One signing key: an id clients send as `kid`, and the shared secret.
#[derive(Clone)]
pub struct SigningKey {
    pub id: String,
    secret: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}: <redacted>)", self.id)
    }
}

impl SigningKey {
    /// Shortest secret accepted: 16 bytes, so a key cannot be guessed offline.
    pub const MIN_SECRET_BYTES: usize = 16;

    pub fn new(id: &str, secret: &str) -> Result<SigningKey, String> {
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !id_ok {
            return Err(format!(
                "key id '{id}': expected 1-64 characters of A-Z a-z 0-9 - _ ."
            ));
        }
        if secret.len() < Self::MIN_SECRET_BYTES {
            return Err(format!(
                "the secret of key '{id}' is shorter than {} bytes",
                Self::MIN_SECRET_BYTES
            ));
        }
        Ok(SigningKey {
            id: id.to_string(),
            secret: secret.as_bytes().to_vec(),
        })
    }

    /// The shared secret, for the HMAC in `auth::signing`.
    pub(crate) fn secret(&self) -> &[u8] {
        &self.secret
    }
}

/// `keyid:secret,keyid:secret` (IMAGE_SERVICE_SIGNING_KEYS); the first one signs.
pub fn parse_keys(value: &str) -> Result<Vec<SigningKey>, String> {
    let mut keys: Vec<SigningKey> = Vec::new();
    for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (id, secret) = pair
            .split_once(':')
            .ok_or_else(|| "expected keyid:secret pairs separated by commas".to_string())?;
        let key = SigningKey::new(id.trim(), secret)?;
        if keys.iter().any(|k| k.id == key.id) {
            return Err(format!("key id '{}' appears twice", key.id));
        }
        keys.push(key);
    }
    Ok(keys)
}

/// A set of accepted secret values, kept as digests.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretSet {
    digests: Vec<[u8; 32]>,
}

/// The write tokens (IMAGE_SERVICE_WRITE_TOKENS or the secret's `writeTokens`).
pub type WriteTokens = SecretSet;

/// The accepted `X-Origin-Verify` values (IMAGE_SERVICE_ORIGIN_SECRETS, the secret's
/// `originSecret` and `previousOriginSecrets`).
pub type OriginSecrets = SecretSet;

impl fmt::Debug for SecretSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SecretSet({} configured, <redacted>)",
            self.digests.len()
        )
    }
}

/// Shortest value accepted, so that tokens and origin secrets cannot be guessed.
pub const MIN_TOKEN_CHARS: usize = 16;

fn digest(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

impl SecretSet {
    /// Comma-separated values; each must be printable ASCII without spaces, at least
    /// [`MIN_TOKEN_CHARS`] long (what an HTTP header can carry).
    pub fn parse(value: &str) -> Result<SecretSet, String> {
        let mut digests = Vec::new();
        for (i, token) in value
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .enumerate()
        {
            if token.len() < MIN_TOKEN_CHARS {
                return Err(format!(
                    "value #{} is shorter than {MIN_TOKEN_CHARS} characters",
                    i + 1
                ));
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "value #{} has characters other than printable ASCII",
                    i + 1
                ));
            }
            let d = digest(token.as_bytes());
            if !digests.contains(&d) {
                digests.push(d);
            }
        }
        Ok(SecretSet { digests })
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Every value of `self` and of `other`.
    pub fn union(&self, other: &SecretSet) -> SecretSet {
        let mut digests = self.digests.clone();
        for d in &other.digests {
            if !digests.contains(d) {
                digests.push(*d);
            }
        }
        SecretSet { digests }
    }

    /// True when `presented` is one of the values.
    pub fn accepts(&self, presented: &str) -> bool {
        self.accepts_bytes(presented.as_bytes())
    }

    /// [`Self::accepts`] for raw header bytes.
    pub fn accepts_bytes(&self, presented: &[u8]) -> bool {
        let d = digest(presented);
        let mut found = subtle::Choice::from(0);
        for known in &self.digests {
            found |= known.ct_eq(&d);
        }
        found.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_configured_tokens() {
        let t = WriteTokens::parse("tok-aaaaaaaaaaaaaaaa, tok-bbbbbbbbbbbbbbbb").unwrap();
        assert!(t.accepts("tok-aaaaaaaaaaaaaaaa"));
        assert!(t.accepts("tok-bbbbbbbbbbbbbbbb"));
        assert!(!t.accepts("tok-aaaaaaaaaaaaaaa"));
        assert!(!t.accepts(""));
        assert!(!WriteTokens::default().accepts(""));
    }

    #[test]
    fn bad_tokens_are_refused_at_start() {
        assert!(WriteTokens::parse("short").unwrap_err().contains("#1"));
        assert!(
            WriteTokens::parse("tok-aaaaaaaaaaaaaaaa,has space inside it!")
                .unwrap_err()
                .contains("#2")
        );
        assert!(WriteTokens::parse(" , ").unwrap().is_empty());
    }

    #[test]
    fn union_keeps_every_value_once() {
        let a = SecretSet::parse("origin-aaaaaaaaaaaaaaaa,origin-bbbbbbbbbbbbbbbb").unwrap();
        let b = SecretSet::parse("origin-bbbbbbbbbbbbbbbb, origin-cccccccccccccccc").unwrap();
        let u = a.union(&b);
        assert_eq!(u.len(), 3);
        for v in ["aaaa", "bbbb", "cccc"] {
            assert!(u.accepts(&format!("origin-{v}{v}{v}{v}")), "{v}");
        }
        assert!(!u.accepts_bytes(b"origin-dddddddddddddddd"));
        assert!(SecretSet::default().union(&SecretSet::default()).is_empty());
    }

    #[test]
    fn debug_never_shows_a_token() {
        let t = WriteTokens::parse("tok-aaaaaaaaaaaaaaaa").unwrap();
        assert!(!format!("{t:?}").contains("tok-"));
    }

    #[test]
    fn keys_are_validated() {
        assert!(parse_keys("k1:short").unwrap_err().contains("16 bytes"));
        assert!(parse_keys("nosecret").is_err());
        assert!(parse_keys("bad id:0123456789abcdef").is_err());
        assert!(parse_keys("a:0123456789abcdef,a:0123456789abcdef")
            .unwrap_err()
            .contains("twice"));
        // Secrets may contain ':'.
        assert_eq!(parse_keys("a:0123:456789abcdef00").unwrap().len(), 1);
        let keys = parse_keys("new:0123456789abcdef-new").unwrap();
        assert!(!format!("{keys:?}").contains("0123456789"));
    }
}
