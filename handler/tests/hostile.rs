//! The hostile-input corpus through the router: lying and broken images
//! (tests/hostile/images/, made by make_corpus.py), hostile queries
//! (tests/hostile/queries.txt, and every key × every hostile value), traversal in keys,
//! and hostile multipart bodies. Every one gets a 4xx with the error JSON, nothing
//! stored changes, and the process's peak memory stays bounded (a decoded bomb would
//! take gigabytes).

use axum::body::Body;
use axum::http::Request;
use image_service::params::KEYS;
use image_service::storage::DynStore;
use std::path::PathBuf;
use test_support::*;

fn corpus() -> PathBuf {
    handler_tests_dir("hostile")
}

async fn fixture() -> TestApp {
    let f = TestApp::new();
    f.put("ok.png", png(40, 30), "image/png").await;
    f
}

/// Every key in the store with its ETag, to prove nothing changed.
async fn snapshot(store: &DynStore) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = store
        .list("", None, 1000)
        .await
        .unwrap()
        .objects
        .into_iter()
        .map(|o| (o.key, o.etag))
        .collect();
    all.sort();
    all
}

/// Corpus files whose header declares more than the limits (a decompression bomb).
fn declares_too_much(name: &str) -> bool {
    [
        "bomb",
        "huge",
        "65535",
        "2147483647",
        "100000",
        "16384",
        "5000-frames",
    ]
    .iter()
    .any(|marker| name.contains(marker))
}

/// Bounded: far below what any of the declared sizes would need (the smallest bomb
/// declares 2.5 GP).
const MAX_PEAK_MB: f64 = 1500.0;

fn assert_client_error(r: &TestResponse, what: &str) -> String {
    assert!(
        (400..500).contains(&r.status),
        "{what}: expected a 4xx, got {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    r.error_code()
}

#[tokio::test]
async fn lying_and_broken_images_get_4xx_on_upload_or_transform() {
    let f = fixture().await;
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join("images"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus is missing");
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let bytes = std::fs::read(path).unwrap();
        let before = snapshot(&f.store).await;
        let r = send(
            &f.app,
            upload_request("/up", multipart(&[("data", Some(name), &bytes)])),
        )
        .await;
        if r.status != 200 {
            let code = assert_client_error(&r, &format!("upload {name}"));
            assert_eq!(
                snapshot(&f.store).await,
                before,
                "{name}: refused upload wrote"
            );
            // Declared sizes over the limits are refused from the header at upload.
            if declares_too_much(name) {
                assert_eq!(code, "image-too-large", "{name}");
            }
        } else {
            assert!(
                !declares_too_much(name),
                "{name}: a decompression bomb was stored"
            );
        }
        // Whatever the upload said, the transform of the stored bytes is a clean 4xx.
        let key = format!("raw/{name}");
        f.store
            .put_if_absent(&key, bytes.clone().into(), "application/octet-stream")
            .await
            .unwrap();
        for query in [
            "w=100",
            "r=45&fm=webp",
            "bl=2&fm=jpeg",
            "w=20&fm=avif",
            "fm=gif",
        ] {
            let r = send(&f.app, get(&format!("/{key}?{query}"))).await;
            // Damage inside compressed data may still decode (to garbage): an image is a
            // fair answer then. Anything else is a 4xx, never a 5xx or a hang.
            if r.status == 200 {
                assert!(!declares_too_much(name), "{name}?{query} was decoded");
                assert!(r.header("content-type").unwrap().starts_with("image/"));
                continue;
            }
            let code = assert_client_error(&r, &format!("{name}?{query}"));
            let expected: &[&str] = if declares_too_much(name) {
                &["image-too-large"]
            } else {
                &[
                    "image-too-large",
                    "unprocessable-image",
                    "unsupported-media-type",
                ]
            };
            assert!(expected.contains(&code.as_str()), "{name}?{query}: {code}");
        }
    }
    // The service still works after all of it.
    let r = f.get("/ok.png?w=20").await;
    assert_eq!(r.status, 200);
    let peak = peak_rss_mb(None).expect("/proc/self/status");
    assert!(peak < MAX_PEAK_MB, "peak RSS {peak:.0} MB");
}

#[tokio::test]
async fn hostile_queries_are_400_naming_the_parameter() {
    let f = fixture().await;
    let text = std::fs::read_to_string(corpus().join("queries.txt")).unwrap();
    let mut count = 0;
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let query = encode(line);
        let r = send(&f.app, get(&format!("/ok.png?{query}"))).await;
        assert_eq!(
            r.status,
            400,
            "{line}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.error_code();
        count += 1;
    }
    assert!(count >= 50);
}

/// `k=v&k=v` with every byte outside the unreserved set of each value escaped.
fn encode(line: &str) -> String {
    line.split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            format!("{k}={}", escape(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn escape(v: &str) -> String {
    v.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn every_key_with_every_hostile_value() {
    let f = fixture().await;
    let long = "9".repeat(10_000);
    let nested = "[".repeat(5_000);
    let values = [
        "",
        "-1",
        "0",
        "abc",
        "1e309",
        "-1e309",
        "NaN",
        "18446744073709551616",
        "%00",
        "\u{0}",
        "{",
        "[]",
        "{}",
        "null",
        "true",
        "b64:",
        "b64:!!!",
        "b64:e30",
        "\u{202e}",
        long.as_str(),
        nested.as_str(),
    ];
    for key in KEYS {
        for value in values {
            let url = format!("/ok.png?{}={}", key.name, escape(value));
            let r = f.get(&url).await;
            let shown: String = value.chars().take(20).collect();
            match r.status {
                200 => assert!(r.header("content-type").unwrap().starts_with("image/")),
                400 => {
                    let j = r.json();
                    r.error_code();
                    let message = j["message"].as_str().unwrap();
                    assert!(
                        message.contains(&format!("'{}'", key.name)),
                        "{}={shown}: the message does not name the key: {message}",
                        key.name
                    );
                }
                // Operand keys (bo, jc, wm) name images that may not exist.
                404 => assert!(
                    ["bo", "jc", "wm"].contains(&key.name),
                    "{}={shown}",
                    key.name
                ),
                other => panic!(
                    "{}={shown}: {other} {}",
                    key.name,
                    String::from_utf8_lossy(&r.body)
                ),
            }
        }
    }
    // A huge query as a whole, and many repeated unknown keys: refused or ignored.
    let r = send(
        &f.app,
        get(&format!("/ok.png?w=10&{}", "v=1&".repeat(12_000))),
    )
    .await;
    assert!(r.status == 200 || (400..500).contains(&r.status));
}

#[tokio::test]
async fn traversal_in_keys_never_escapes_the_store() {
    let f = fixture().await;
    for path in [
        "/../../etc/passwd",
        "/..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/a/%2E%2E/%2E%2E/etc/passwd",
        "/a/%252e%252e/ok.png",
        "/a\\..\\ok.png",
        "/a%5c..%5cok.png",
        "/ok.png%00.jpg",
        "/%c0%ae%c0%ae/etc/passwd",
        "/./ok.png",
        "/a//ok.png",
        "/_/tmp/x",
    ] {
        let r = f.get(path).await;
        assert!(
            r.status == 400 || r.status == 404,
            "{path}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        r.error_code();
    }
    let long = format!("/{}", "a/".repeat(15_000));
    let r = f.get(&long).await;
    assert_client_error(&r, "a very long key");
}

fn raw_upload(content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post("/up")
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn hostile_multipart_bodies_are_refused_and_store_nothing() {
    let f = fixture().await;
    let before = snapshot(&f.store).await;
    let img = png(4, 4);
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let many_parts: Vec<(String, Vec<u8>)> = (0..5_000)
        .map(|i| (format!("f{i}.png"), img.clone()))
        .collect();
    let many: Vec<(&str, Option<&str>, &[u8])> = many_parts
        .iter()
        .map(|(n, b)| ("data", Some(n.as_str()), b.as_slice()))
        .collect();
    let huge_header = {
        let mut b = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"x.png\"\r\nX-Pad: {}\r\n\r\n",
            "a".repeat(200_000)
        )
        .into_bytes();
        b.extend_from_slice(&img);
        b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        b
    };
    let long_name = format!("{}.png", "n".repeat(5_000));
    let cases: Vec<(&str, Request<Body>)> = vec![
        ("no boundary", raw_upload("multipart/form-data", multipart(&[("data", Some("a.png"), &img)]))),
        ("not multipart", raw_upload("application/json", b"{}".to_vec())),
        ("garbage body", raw_upload(&ct, vec![0xAB; 10_000])),
        ("unterminated", raw_upload(&ct, format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"a.png\"\r\n\r\n").into_bytes())),
        ("5000 parts", upload_request("/up", multipart(&many))),
        ("enormous part header", raw_upload(&ct, huge_header)),
        ("dot-dot name", upload_request("/up", multipart(&[("data", Some("../a.png"), &img)]))),
        ("slash in name", upload_request("/up", multipart(&[("data", Some("a/b.png"), &img)]))),
        ("backslash name", upload_request("/up", multipart(&[("data", Some("..\\a.png"), &img)]))),
        ("NUL in name", upload_request("/up", multipart(&[("data", Some("a\u{0}.png"), &img)]))),
        ("empty name", upload_request("/up", multipart(&[("data", Some(""), &img)]))),
        ("dot name", upload_request("/up", multipart(&[("data", Some(".."), &img)]))),
        ("very long name", upload_request("/up", multipart(&[("data", Some(&long_name), &img)]))),
        ("traversal in path", upload_request("/a/%2e%2e/%2e%2e", multipart(&[("data", Some("a.png"), &img)]))),
        ("valid then bad", upload_request("/up", multipart(&[("data", Some("good.png"), &img), ("data", Some("../bad.png"), &img)]))),
    ];
    for (what, req) in cases {
        let r = send(&f.app, req).await;
        assert_client_error(&r, what);
        assert_eq!(
            snapshot(&f.store).await,
            before,
            "{what}: the store changed"
        );
    }
    let peak = peak_rss_mb(None).expect("/proc/self/status");
    assert!(peak < MAX_PEAK_MB, "peak RSS {peak:.0} MB");
}
