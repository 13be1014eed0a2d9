//! Shared secrets a caller presents: bearer tokens for the management routes (upload,
//! delete, and the listing when configured) and the origin-verify values the CDN sends.
//! The configured sets are configuration data ([`crate::config::credentials`], re-exported
//! here); this module reads the credential a request carries.

pub use crate::config::credentials::{OriginSecrets, SecretSet, WriteTokens, MIN_TOKEN_CHARS};

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
    fn bearer_header() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }
}
