//! The one query-string decoder every route uses: split on `&`, each piece on its first
//! `=`, `+` is a space, and each key and value percent-decoded exactly once.
//!
//! Two modes differ only in what a component that is not UTF-8 after decoding becomes:
//! [`decode`] reports it (the transform parameters answer a 400 naming the value), and
//! [`pairs`] replaces the bad bytes with U+FFFD, for readers where a 400 would help no
//! one: the signature check (client libraries decode the same way before signing), the
//! listing's `prefix`, and the request classification in logs.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

/// The raw `(key, value)` pieces of `query`, still encoded; empty pieces are skipped
/// and a bare key has an empty value.
pub fn split(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| piece.split_once('=').unwrap_or((piece, "")))
}

/// `+` to space, then one round of percent-decoding. Err carries the lossy text.
pub fn decode(component: &str) -> Result<String, String> {
    let spaced: Cow<str> = if component.contains('+') {
        Cow::Owned(component.replace('+', " "))
    } else {
        Cow::Borrowed(component)
    };
    let bytes: Vec<u8> = percent_decode_str(&spaced).collect();
    String::from_utf8(bytes)
        .map_err(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned())
}

/// Every pair of `query` decoded, bytes that are not UTF-8 replaced (the lossy mode).
pub fn pairs(query: &str) -> Vec<(String, String)> {
    let lossy = |s: &str| decode(s).unwrap_or_else(|replaced| replaced);
    split(query).map(|(k, v)| (lossy(k), lossy(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_once() {
        assert_eq!(
            pairs("prefix=a%2Fb+c&x&y=%2541&&z="),
            vec![
                ("prefix".into(), "a/b c".into()),
                ("x".into(), "".into()),
                ("y".into(), "%41".into()),
                ("z".into(), "".into()),
            ]
        );
    }

    #[test]
    fn modes_differ_only_on_bytes_that_are_not_utf8() {
        assert_eq!(decode("a%20b+%C3%BC"), Ok("a b ü".to_string()));
        assert_eq!(decode("%FFx"), Err("\u{FFFD}x".to_string()));
        assert_eq!(
            pairs("k%FF=%FFv"),
            vec![("k\u{FFFD}".into(), "\u{FFFD}v".into())]
        );
    }
}
