//! Object keys and upload file names, validated at the edge.
//!
//! A request path is percent-decoded exactly once, here, and then checked segment by
//! segment: no empty segments, no `.`/`..`, no control characters, no backslashes.
//! The first segment `_` is reserved for the service's own routes (`/_/health`) and
//! for the filesystem store's temporary files, so no image can ever live there.

use crate::error::{codes, Error, Result};
use percent_encoding::percent_decode_str;

/// The first path segment kept for the service itself.
pub const RESERVED_SEGMENT: &str = "_";
/// S3's own limit on key length.
pub const MAX_KEY_BYTES: usize = 1024;
pub const MAX_FILENAME_BYTES: usize = 255;

fn invalid_key(raw: &str, why: &str) -> Error {
    Error::bad_request(
        codes::INVALID_KEY,
        format!("invalid image key '{raw}': {why}"),
    )
}

fn decode_once(raw: &str) -> Result<String> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| invalid_key(raw, "it is not valid UTF-8 once percent-decoded"))
}

fn check_segment(raw: &str, segment: &str) -> Result<()> {
    if segment.is_empty() {
        return Err(invalid_key(raw, "it has an empty path segment"));
    }
    if segment == "." || segment == ".." {
        return Err(invalid_key(raw, "'.' and '..' segments are not allowed"));
    }
    if segment.chars().any(|c| c.is_control()) {
        return Err(invalid_key(raw, "control characters are not allowed"));
    }
    if segment.contains('\\') {
        return Err(invalid_key(raw, "backslashes are not allowed"));
    }
    Ok(())
}

fn check_key(raw: &str, key: &str) -> Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(invalid_key(raw, "it is longer than 1024 bytes"));
    }
    for segment in key.split('/') {
        check_segment(raw, segment)?;
    }
    if key.split('/').next() == Some(RESERVED_SEGMENT) {
        return Err(Error::bad_request(
            codes::RESERVED_KEY,
            format!("the path segment '{RESERVED_SEGMENT}/' at the start of a key is reserved for the service"),
        ));
    }
    Ok(())
}

/// The key of one object from a request path such as `/photos/cat%20one.jpg`.
pub fn key_from_path(raw_path: &str) -> Result<String> {
    let trimmed = raw_path.strip_prefix('/').unwrap_or(raw_path);
    if trimmed.is_empty() {
        return Err(invalid_key(raw_path, "it is empty"));
    }
    let key = decode_once(trimmed)?;
    check_key(raw_path, &key)?;
    Ok(key)
}

/// A key handed over inside a parameter (operands of `bo`/`jc`): same rules, no
/// percent-decoding (the query was decoded already).
pub fn validate_key(key: &str) -> Result<String> {
    let key = key.strip_prefix('/').unwrap_or(key);
    if key.is_empty() {
        return Err(invalid_key(key, "it is empty"));
    }
    check_key(key, key)?;
    Ok(key.to_string())
}

/// The folder named by a POST/DELETE path: `/` is the root (empty string), `/a/b/` is `a/b`.
pub fn folder_from_path(raw_path: &str) -> Result<String> {
    let trimmed = raw_path.trim_start_matches('/');
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let folder = decode_once(trimmed)?;
    check_key(raw_path, &folder)?;
    Ok(folder)
}

/// A file name from an upload or a delete list: one path segment.
pub fn validate_filename(name: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::bad_request(
            codes::INVALID_FILENAME,
            format!("invalid file name {name:?}: {why}"),
        )
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > MAX_FILENAME_BYTES {
        return Err(bad("it is longer than 255 bytes"));
    }
    if name.contains('/') || name.contains('\\') {
        return Err(bad("it must not contain '/' or '\\'"));
    }
    if name.contains("..") {
        return Err(bad("it must not contain '..'"));
    }
    if name == "." {
        return Err(bad("'.' is not a file name"));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(bad("control characters are not allowed"));
    }
    Ok(())
}

/// `folder/name`, or `name` at the root.
pub fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_once() {
        assert_eq!(key_from_path("/a/cat%20one.jpg").unwrap(), "a/cat one.jpg");
        // %2541 decodes to %41, not to A: decoding happens exactly once.
        assert_eq!(key_from_path("/a%2541.jpg").unwrap(), "a%41.jpg");
    }

    #[test]
    fn rejects_traversal_and_junk() {
        for bad in [
            "/",
            "/../etc/passwd",
            "/a/../b.jpg",
            "/a/%2e%2e/b.jpg",
            "/a//b.jpg",
            "/a/b.jpg/",
            "/a%00b.jpg",
            "/a%5cb.jpg",
            "/a/./b.jpg",
            "/%ff.jpg",
            "/_/x.jpg",
        ] {
            let e = key_from_path(bad).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
        }
        let long = format!("/{}", "a".repeat(1025));
        assert!(key_from_path(&long).is_err());
    }

    #[test]
    fn folders() {
        assert_eq!(folder_from_path("/").unwrap(), "");
        assert_eq!(folder_from_path("/a/b").unwrap(), "a/b");
        assert_eq!(folder_from_path("/a/b/").unwrap(), "a/b");
        assert!(folder_from_path("/a/../b").is_err());
        assert!(folder_from_path("/_").is_err());
        assert_eq!(join("", "x.png"), "x.png");
        assert_eq!(join("a", "x.png"), "a/x.png");
    }

    #[test]
    fn filenames() {
        assert!(validate_filename("cat.jpg").is_ok());
        assert!(validate_filename("cat one (2).jpg").is_ok());
        for bad in [
            "", "a/b.jpg", "a\\b.jpg", "..", "../x.jpg", "a..jpg", "a\0.jpg", "a\n.jpg", ".",
        ] {
            assert!(validate_filename(bad).is_err(), "{bad:?}");
        }
        assert!(validate_filename(&"a".repeat(256)).is_err());
    }

    #[test]
    fn operand_keys() {
        assert_eq!(validate_key("/a/b.png").unwrap(), "a/b.png");
        assert!(validate_key("a/../b.png").is_err());
        assert!(validate_key("").is_err());
    }
}
