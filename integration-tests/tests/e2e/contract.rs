//! Routes, status codes and the error shape: health, list, originals, uploads, deletes,
//! revalidation.

use crate::{test, Svc, Test, SOURCES};
use integration_tests::{png, samples, Method, Service, Settings};

pub fn tests() -> Vec<Test> {
    vec![
        test!(health),
        test!(get_original_is_byte_for_byte),
        test!(head_has_headers_and_no_body),
        test!(conditional_get_answers_304),
        test!(list_fields_prefix_and_pages),
        test!(upload_single),
        test!(upload_several_in_one_request),
        test!(upload_conflict_is_409_and_writes_nothing),
        test!(upload_too_large_is_413),
        test!(upload_non_image_is_415),
        test!(upload_bad_requests_are_400),
        test!(concurrent_uploads_of_one_name_have_one_winner),
        test!(delete_all_or_nothing_then_404),
        test!(delete_bad_bodies_are_400),
        test!(missing_and_bad_keys),
        test!(unsupported_method_is_405),
        test!(writes_need_the_bearer_token),
    ]
}

async fn health(svc: Svc) {
    let res = svc.get("/_/health").await;
    res.expect(200);
    let j = res.json();
    assert_eq!(j["status"], "ok", "{j}");
    assert!(j["version"].as_str().is_some_and(|v| !v.is_empty()), "{j}");
    assert!(matches!(j["store"].as_str(), Some("fs" | "s3")), "{j}");
}

async fn get_original_is_byte_for_byte(svc: Svc) {
    for (name, bytes) in SOURCES {
        let res = svc.get(&svc.path(&format!("src/{name}"))).await;
        res.expect(200);
        assert!(
            res.body == *bytes,
            "{name}: the stored bytes differ from the upload ({} vs {} bytes)",
            res.body.len(),
            bytes.len()
        );
        let decoded = res.image(); // Content-Type from the bytes
        assert!(decoded.width > 0);
        assert_eq!(res.declared_length(), bytes.len().to_string(), "{name}");
        assert_eq!(
            res.need("cache-control"),
            format!("public, max-age={}", svc.settings.cache_max_age),
            "{name}"
        );
        let etag = res.need("etag");
        assert!(
            etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
            "{name}: ETag {etag}"
        );
        let lm = res.need("last-modified");
        httpdate::parse_http_date(lm).unwrap_or_else(|e| panic!("{name}: Last-Modified {lm}: {e}"));
    }
    // Unknown parameters (cache busters) alone change nothing.
    let res = svc.get(&svc.path("src/cat.jpg?v=3")).await;
    res.expect(200);
    assert!(
        res.body == samples::CAT_JPG,
        "?v=3 must return the original"
    );
}

async fn head_has_headers_and_no_body(svc: Svc) {
    let res = svc.head(&svc.path("src/bug.png")).await;
    res.expect(200);
    assert!(res.body.is_empty());
    assert_eq!(res.need("content-type"), "image/png");
    assert_eq!(res.declared_length(), samples::BUG_PNG.len().to_string());
    assert!(res.header("etag").is_some());
    let missing = svc.head(&svc.path("src/nope.png")).await;
    missing.expect(404);
}

async fn conditional_get_answers_304(svc: Svc) {
    for path in [
        svc.path("src/cat.jpg"),
        svc.path("src/cat.jpg?w=120&fm=png"),
    ] {
        let first = svc.get(&path).await;
        first.expect(200);
        let etag = first.need("etag").to_string();
        let res = svc.get_with(&path, &[("if-none-match", &etag)]).await;
        res.expect(304);
        assert!(res.body.is_empty(), "{path}: 304 with a body");
        assert_eq!(res.header("etag"), Some(etag.as_str()), "{path}");
        let res = svc
            .get_with(&path, &[("if-none-match", "\"something-else\"")])
            .await;
        res.expect(200);
        assert!(res.body == first.body, "{path}");
        // An original revalidates by its date too; a variant only by its ETag, since
        // the original's date says nothing about the rendering.
        let lm = first.need("last-modified").to_string();
        let by_date = if path.contains('?') { 200 } else { 304 };
        svc.get_with(&path, &[("if-modified-since", &lm)])
            .await
            .expect(by_date);
        svc.get_with(
            &path,
            &[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")],
        )
        .await
        .expect(200);
    }
    // The variant's validator is the same whatever the parameter order, and differs
    // from the original's.
    let a = svc.get(&svc.path("src/cat.jpg?w=120&fm=png")).await;
    let b = svc.get(&svc.path("src/cat.jpg?fm=png&v=7&w=120")).await;
    assert_eq!(a.need("etag"), b.need("etag"));
    let original = svc.get(&svc.path("src/cat.jpg")).await;
    assert_ne!(a.need("etag"), original.need("etag"));
    svc.get_with(
        &svc.path("src/cat.jpg?fm=png&w=120"),
        &[("if-none-match", a.need("etag"))],
    )
    .await
    .expect(304);
}

async fn list_fields_prefix_and_pages(svc: Svc) {
    let prefix = format!("{}/src/", svc.prefix);
    let items = svc.list_all(&prefix, 1000).await;
    let keys: Vec<&str> = items
        .iter()
        .map(|i| i["Key"].as_str().unwrap_or_default())
        .collect();
    let mut want: Vec<String> = SOURCES
        .iter()
        .map(|(n, _)| format!("{prefix}{n}"))
        .collect();
    want.sort();
    assert_eq!(keys, want, "keys in order");
    for item in &items {
        let key = item["Key"].as_str().unwrap();
        let (_, bytes) = SOURCES.iter().find(|(n, _)| key.ends_with(n)).unwrap();
        assert_eq!(item["Size"].as_u64(), Some(bytes.len() as u64), "{item}");
        assert_eq!(item["StorageClass"], "STANDARD", "{item}");
        assert!(
            item["ETag"]
                .as_str()
                .is_some_and(|e| !e.is_empty() && !e.contains('"')),
            "{item}"
        );
        let lm = item["LastModified"].as_str().unwrap_or_default();
        assert!(
            lm.len() == 24 && lm.ends_with('Z') && lm.as_bytes()[10] == b'T',
            "LastModified {lm}"
        );
    }
    // One key per page: the same keys, in order, through continuation tokens.
    let paged = svc.list_all(&prefix, 1).await;
    let paged: Vec<&str> = paged
        .iter()
        .map(|i| i["Key"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(paged, keys);
    let first = svc
        .get(&format!(
            "/?prefix={}&max-keys=1",
            integration_tests::encode_query_value(&prefix)
        ))
        .await;
    assert_eq!(first.json().as_array().map(Vec::len), Some(1));
    assert!(first.header("x-next-continuation-token").is_some());
    // A prefix that matches nothing is an empty array.
    let none = svc
        .get(&format!(
            "/?prefix={}",
            integration_tests::encode_query_value(&format!("{prefix}zz-none"))
        ))
        .await;
    none.expect(200);
    assert_eq!(none.json(), serde_json::json!([]));
    svc.get("/?max-keys=0")
        .await
        .expect_error(400, "invalid-parameter");
    svc.get("/?max-keys=1001")
        .await
        .expect_error(400, "invalid-parameter");
}

/// Asserts the upload answer and returns its ETags entries.
fn upload_ok(res: &integration_tests::Res, links: &[String]) -> Vec<serde_json::Value> {
    res.expect(200);
    let j = res.json();
    assert_eq!(j["status"], 200, "{j}");
    assert_eq!(j["code"], "success", "{j}");
    assert_eq!(j["message"], "Images uploaded successfully!", "{j}");
    let etags = j["ETags"]
        .as_array()
        .unwrap_or_else(|| panic!("no ETags array: {j}"))
        .clone();
    assert_eq!(etags.len(), links.len(), "{j}");
    for (entry, link) in etags.iter().zip(links) {
        let got = entry["link"].as_str().unwrap_or_default();
        assert!(
            got.starts_with("http") && got.ends_with(link.as_str()),
            "link {got} should end with {link}"
        );
        assert!(
            entry["ETag"].as_str().is_some_and(|e| !e.is_empty()),
            "{entry}"
        );
    }
    etags
}

async fn upload_single(svc: Svc) {
    let img = png(31, 17, 1);
    let res = svc
        .upload(&svc.path("single"), &[("data", Some("one.png"), &img)])
        .await;
    upload_ok(&res, &[svc.path("single/one.png")]);
    let got = svc.get(&svc.path("single/one.png")).await;
    got.expect(200);
    assert!(got.body == img, "stored bytes differ");
    assert_eq!(got.image().width, 31);
    // A name with a space is stored as such and linked percent-encoded.
    let res = svc
        .upload(
            &svc.path("single"),
            &[("data", Some("with space.png"), &img)],
        )
        .await;
    upload_ok(&res, &[svc.path("single/with%20space.png")]);
    assert!(
        svc.get(&svc.path("single/with%20space.png"))
            .await
            .expect(200)
            .body
            == img
    );
}

async fn upload_several_in_one_request(svc: Svc) {
    let a = png(10, 10, 2);
    let b = samples::CAT_JPG;
    let res = svc
        .upload(
            &svc.path("several"),
            &[("data", Some("a.png"), &a), ("data", Some("b.jpg"), b)],
        )
        .await;
    upload_ok(
        &res,
        &[svc.path("several/a.png"), svc.path("several/b.jpg")],
    );
    assert!(svc.get(&svc.path("several/a.png")).await.expect(200).body == a);
    let got = svc.get(&svc.path("several/b.jpg")).await;
    assert!(got.expect(200).body == b);
    assert_eq!(got.need("content-type"), "image/jpeg");
}

async fn upload_conflict_is_409_and_writes_nothing(svc: Svc) {
    let fresh = png(5, 5, 3);
    let res = svc
        .upload(
            &svc.path("src"),
            &[
                ("data", Some("new.png"), &fresh),
                ("data", Some("cat.jpg"), &fresh),
            ],
        )
        .await;
    let msg = res.expect_error(409, "already-exists");
    assert!(
        msg.contains("cat.jpg"),
        "409 should name the existing file: {msg}"
    );
    assert!(
        !msg.contains("new.png"),
        "409 should name only the existing file: {msg}"
    );
    svc.get(&svc.path("src/new.png"))
        .await
        .expect_error(404, "not-found");
    assert!(
        svc.get(&svc.path("src/cat.jpg")).await.expect(200).body == samples::CAT_JPG,
        "never an overwrite"
    );
    // The same bytes again (a client retrying an upload that was cut short): 200 with
    // the stored object's ETag, nothing rewritten.
    let stored = svc.get(&svc.path("src/cat.jpg")).await;
    let res = svc
        .upload(
            &svc.path("src"),
            &[("data", Some("cat.jpg"), samples::CAT_JPG)],
        )
        .await;
    let etags = upload_ok(&res, &[svc.path("src/cat.jpg")]);
    assert_eq!(
        format!("\"{}\"", etags[0]["ETag"].as_str().unwrap_or_default()),
        stored.need("etag")
    );
}

async fn upload_too_large_is_413(svc: Svc) {
    // A real PNG header followed by filler, one byte over the limit on its own.
    let mut big = png(4, 4, 4);
    big.resize(svc.settings.max_upload_bytes + 1, 0);
    let res = svc
        .upload(&svc.path("big"), &[("data", Some("big.png"), &big)])
        .await;
    res.expect_error(413, "payload-too-large");
    svc.get(&svc.path("big/big.png"))
        .await
        .expect_error(404, "not-found");
}

async fn upload_non_image_is_415(svc: Svc) {
    let res = svc
        .upload(
            &svc.path("text"),
            &[("data", Some("notes.txt"), b"hello, not an image\n")],
        )
        .await;
    res.expect_error(415, "unsupported-media-type");
    // A .png name does not make it an image: the bytes decide.
    let res = svc
        .upload(
            &svc.path("text"),
            &[("data", Some("fake.png"), b"GIF? no, plain text")],
        )
        .await;
    res.expect_error(415, "unsupported-media-type");
    svc.get(&svc.path("text/fake.png"))
        .await
        .expect_error(404, "not-found");
}

async fn upload_bad_requests_are_400(svc: Svc) {
    let img = png(4, 4, 5);
    let dir = svc.path("bad");
    // Not multipart.
    let res = svc
        .send(
            Method::POST,
            &svc.url(&dir),
            &[("content-type", "application/json")],
            Some(b"{}".to_vec()),
        )
        .await;
    res.expect_error(400, "invalid-multipart");
    // Garbled multipart.
    svc.upload_raw(&dir, b"--nope\r\ngarbage".to_vec())
        .await
        .expect(400)
        .json();
    // No `data` part.
    svc.upload(&dir, &[("other", Some("x.png"), &img)])
        .await
        .expect_error(400, "missing-data");
    // Bad file names.
    for name in ["../x.png", "a\\b.png", "..", "a..b.png"] {
        svc.upload(&dir, &[("data", Some(name), &img)])
            .await
            .expect_error(400, "invalid-filename");
    }
    // One name twice in one request.
    svc.upload(
        &dir,
        &[
            ("data", Some("twice.png"), &img),
            ("data", Some("twice.png"), &img),
        ],
    )
    .await
    .expect_error(400, "duplicate-filename");
    // The reserved prefix and traversal in the path.
    svc.upload("/_/x", &[("data", Some("x.png"), &img)])
        .await
        .expect_error(400, "reserved-key");
    // (An HTTP client normalises `..` and `%2e%2e` away before sending; the Postman
    // collection sends those raw.)
    for bad in ["a%5Cb", "a%00b", "a//b"] {
        svc.upload(&format!("{dir}/{bad}"), &[("data", Some("x.png"), &img)])
            .await
            .expect_error(400, "invalid-key");
    }
    // Nothing was stored by any of these.
    assert_eq!(
        svc.list_all(&format!("{}/bad/", svc.prefix), 1000)
            .await
            .len(),
        0
    );
}

async fn concurrent_uploads_of_one_name_have_one_winner(svc: Svc) {
    let bodies: Vec<Vec<u8>> = (0..12u8).map(|i| png(20 + u32::from(i), 20, i)).collect();
    let mut tasks = Vec::new();
    for body in bodies.clone() {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            let res = svc
                .upload(&svc.path("race"), &[("data", Some("same.png"), &body)])
                .await;
            if res.status == 409 {
                res.expect_error(409, "already-exists");
            }
            res.status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("upload task"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "exactly one winner: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        bodies.len() - 1,
        "{statuses:?}"
    );
    let stored = svc.get(&svc.path("race/same.png")).await;
    stored.expect(200);
    assert!(
        bodies.contains(&stored.body),
        "the stored bytes must be one whole upload"
    );
}

async fn delete_all_or_nothing_then_404(svc: Svc) {
    let (a, b) = (png(6, 6, 6), png(7, 7, 7));
    let dir = svc.path("del");
    let res = svc
        .upload(
            &dir,
            &[("data", Some("a.png"), &a), ("data", Some("b.png"), &b)],
        )
        .await;
    upload_ok(&res, &[svc.path("del/a.png"), svc.path("del/b.png")]);

    let msg = svc
        .delete(&dir, &["a.png", "missing.png"])
        .await
        .expect_error(404, "not-found");
    assert!(
        msg.contains("missing.png") && !msg.contains("a.png"),
        "404 should list only the missing: {msg}"
    );
    svc.get(&svc.path("del/a.png")).await.expect(200);

    let res = svc.delete(&dir, &["a.png", "b.png"]).await;
    res.expect(200);
    let j = res.json();
    assert_eq!(
        j,
        serde_json::json!({"status": 200, "code": "success", "message": "Images removed successfully!"})
    );
    svc.get(&svc.path("del/a.png"))
        .await
        .expect_error(404, "not-found");
    svc.get(&svc.path("del/b.png?w=3"))
        .await
        .expect_error(404, "not-found");
    svc.delete(&dir, &["a.png"])
        .await
        .expect_error(404, "not-found");
}

async fn delete_bad_bodies_are_400(svc: Svc) {
    let dir = svc.path("src");
    for body in [
        "",
        "not json",
        "{}",
        r#"{"images":[]}"#,
        r#"{"images":"cat.jpg"}"#,
    ] {
        svc.delete_raw(&dir, body)
            .await
            .expect_error(400, "invalid-body");
    }
    let res = svc.delete_raw(&dir, r#"{"images":["../cat.jpg"]}"#).await;
    res.expect(400);
    res.json();
    assert!(
        svc.get(&svc.path("src/cat.jpg")).await.expect(200).body == samples::CAT_JPG,
        "nothing removed"
    );
}

async fn missing_and_bad_keys(svc: Svc) {
    svc.get(&svc.path("src/nope.jpg"))
        .await
        .expect_error(404, "not-found");
    svc.get(&svc.path("src/nope.jpg?w=10"))
        .await
        .expect_error(404, "not-found");
    // Parameters are checked before the store is read.
    svc.get(&svc.path("src/nope.jpg?w=abc"))
        .await
        .expect_error(400, "invalid-parameter");
    svc.get("/_/not-a-route").await.expect(400).json();
    for path in [
        svc.path("a%5Cb.jpg"),
        svc.path("a/%00x.jpg"),
        svc.path("a//cat.jpg"),
    ] {
        svc.get(&path).await.expect_error(400, "invalid-key");
    }
}

async fn unsupported_method_is_405(svc: Svc) {
    let res = svc
        .send(
            Method::PUT,
            &svc.url(&svc.path("src/cat.jpg")),
            &[],
            Some(b"x".to_vec()),
        )
        .await;
    res.expect_error(405, "method-not-allowed");
}

/// With a token configured (IMAGE_SERVICE_TOKEN), the management routes refuse requests
/// without it (401) or with another one (403) and change nothing.
async fn writes_need_the_bearer_token(svc: Svc) {
    if svc.settings.token.is_none() {
        println!("    (no IMAGE_SERVICE_TOKEN: the service under test runs without tokens)");
        return;
    }
    let anonymous = Service::new(Settings {
        token: None,
        ..svc.settings.clone()
    });
    let wrong = Service::new(Settings {
        token: Some("not-the-token-0123456789".into()),
        ..svc.settings.clone()
    });
    let img = png(8, 8, 3);
    let folder = svc.path("auth");
    for (client, status, code) in [
        (&anonymous, 401, "unauthorized"),
        (&wrong, 403, "invalid-token"),
    ] {
        client
            .upload(&folder, &[("data", Some("x.png"), &img)])
            .await
            .expect_error(status, code);
        client
            .delete_raw(&svc.path("src"), r#"{"images":["cat.jpg"]}"#)
            .await
            .expect_error(status, code);
        client.get("/").await.expect_error(status, code);
    }
    svc.get(&svc.path("auth/x.png")).await.expect(404);
    svc.get(&svc.path("src/cat.jpg")).await.expect(200);
    // Images stay readable without a token.
    anonymous.get(&svc.path("src/cat.jpg")).await.expect(200);
}
