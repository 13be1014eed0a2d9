//! The edge key: where a transformed result lives in the result store so that
//! CloudFront can fetch it from S3 without invoking the Lambda. The CloudFront viewer
//! function (`cdk/functions/`) computes the same key from what it sees of a request,
//! so it holds no source ETag: a changed original is handled by deleting its
//! `edge/<hex sha256(key)>/` folder, and a changed deployment (render version,
//! settings, presets, watermark files) by a new salt.
//!
//! ```text
//! pairs'  = the decoded query pairs without s, exp, kid (signing never changes bytes)
//! message = canonical_message(key, pairs') "\n" class "\n" salt
//! object  = "edge/" hex(sha256(key)) "/" hex(sha256(message))
//! ```
//!
//! `integration-tests/edge-keys.json` holds vectors from an independent implementation.

use crate::auth::signing::{canonical_message, EXPIRES, KEY_ID, SIGNATURE};
use crate::params::accept::AcceptClass;
use sha2::{Digest, Sha256};

/// The request header the CloudFront function sets to the URI it rewrote.
pub const EDGE_PATH_HEADER: &str = "x-image-edge-path";

/// Lower-case hex of the SHA-256 of `bytes`.
pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `edge/<hex sha256(key)>/`: every edge copy of one original.
pub fn edge_folder(key: &str) -> String {
    format!("edge/{}/", hex_sha256(key.as_bytes()))
}

/// The message hashed into the object name.
pub fn edge_message(key: &str, pairs: &[(String, String)], class: &str, salt: &str) -> String {
    let kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| ![SIGNATURE, EXPIRES, KEY_ID].contains(&k.as_str()))
        .cloned()
        .collect();
    format!("{}\n{class}\n{salt}", canonical_message(key, &kept))
}

/// The result store key of the edge copy of `key` with `pairs` for `class`.
pub fn edge_object_key(
    key: &str,
    pairs: &[(String, String)],
    class: AcceptClass,
    salt: &str,
) -> String {
    let message = edge_message(key, pairs, class.as_str(), salt);
    format!("{}{}", edge_folder(key), hex_sha256(message.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors() -> Vec<serde_json::Value> {
        let file = include_str!("../../integration-tests/edge-keys.json");
        let json: serde_json::Value = serde_json::from_str(file).unwrap();
        json["vectors"].as_array().unwrap().clone()
    }

    fn pairs_of(v: &serde_json::Value) -> Vec<(String, String)> {
        v["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_string(),
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn reproduces_every_vector() {
        let vectors = vectors();
        assert!(vectors.len() >= 7, "the vector file lost rows");
        for v in &vectors {
            let key = v["key"].as_str().unwrap();
            let class = AcceptClass::parse(v["class"].as_str().unwrap()).unwrap();
            let salt = v["salt"].as_str().unwrap();
            // The pairs as the service decodes them from the raw query.
            let decoded = crate::params::query::pairs(v["query"].as_str().unwrap());
            assert_eq!(decoded, pairs_of(v), "{key}: query decoding");
            assert_eq!(
                edge_message(key, &decoded, class.as_str(), salt),
                v["message"].as_str().unwrap(),
                "{key}"
            );
            assert_eq!(
                edge_object_key(key, &decoded, class, salt),
                v["object"].as_str().unwrap(),
                "{key} {}",
                v["query"]
            );
        }
    }

    #[test]
    fn salt_class_and_parameters_change_the_key() {
        let v = &vectors()[0];
        let key = v["key"].as_str().unwrap();
        let pairs = pairs_of(v);
        let class = AcceptClass::parse(v["class"].as_str().unwrap()).unwrap();
        let salt = v["salt"].as_str().unwrap();
        let expected = v["object"].as_str().unwrap();
        assert_eq!(edge_object_key(key, &pairs, class, salt), expected);
        let mut extra = pairs.clone();
        extra.push(("q".into(), "80".into()));
        let other_class = if class == AcceptClass::Other {
            AcceptClass::Webp
        } else {
            AcceptClass::Other
        };
        for (what, got) in [
            ("salt", edge_object_key(key, &pairs, class, "r4-other")),
            ("class", edge_object_key(key, &pairs, other_class, salt)),
            ("extra parameter", edge_object_key(key, &extra, class, salt)),
            ("key", edge_object_key("other.jpg", &pairs, class, salt)),
        ] {
            assert_ne!(got, expected, "a different {what} is a different key");
        }
        assert!(expected.starts_with(&edge_folder(key)));
        assert!(!edge_object_key("other.jpg", &pairs, class, salt).starts_with(&edge_folder(key)));
    }
}
