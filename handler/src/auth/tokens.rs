//! Bearer tokens for the management routes (upload, delete, and the listing when
//! configured). Tokens are compared by their SHA-256 digests in constant time, every
//! configured token every time, so neither the length nor the position of a match
//! shows in the timing; a token is never logged or printed (Debug is redacted).

use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// The configured tokens (IMAGE_SERVICE_WRITE_TOKENS), kept as digests.
#[derive(Clone, Default)]
pub struct WriteTokens {
    digests: Vec<[u8; 32]>,
}

impl fmt::Debug for WriteTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WriteTokens({} configured, <redacted>)",
            self.digests.len()
        )
    }
}

/// Shortest token accepted, so that tokens cannot be guessed.
pub const MIN_TOKEN_CHARS: usize = 16;

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl WriteTokens {
    /// Comma-separated tokens; each must be printable ASCII without spaces, at least
    /// [`MIN_TOKEN_CHARS`] long (what an `Authorization` header can carry).
    pub fn parse(value: &str) -> Result<WriteTokens, String> {
        let mut digests = Vec::new();
        for (i, token) in value
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .enumerate()
        {
            if token.len() < MIN_TOKEN_CHARS {
                return Err(format!(
                    "token #{} is shorter than {MIN_TOKEN_CHARS} characters",
                    i + 1
                ));
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "token #{} has characters other than printable ASCII",
                    i + 1
                ));
            }
            digests.push(digest(token));
        }
        Ok(WriteTokens { digests })
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// True when `presented` is one of the tokens.
    pub fn accepts(&self, presented: &str) -> bool {
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
