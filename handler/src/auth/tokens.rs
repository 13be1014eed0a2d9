//! Shared secrets a caller presents: bearer tokens for the management routes (upload,
//! delete, and the listing when configured) and the origin-verify values the CDN sends.
//! Values are compared by their SHA-256 digests in constant time, every configured value
//! every time, so neither the length nor the position of a match shows in the timing; a
//! value is never logged or printed (Debug is redacted).

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

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

/// What the `Authorization` header holds, if it is a bearer credential.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
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
    fn bearer_header() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }
}
