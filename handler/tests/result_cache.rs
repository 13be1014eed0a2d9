//! The result cache through the router: a repeat is served from the result store
//! without decoding, a replaced original is a new result, revalidation still answers
//! 304 first, `off` keeps nothing, and the edge copies CloudFront reads from S3 are
//! written at exactly the shared edge key and removed with their original.
//! (The same flow on S3 in moto: `result_store_contract.rs`.)

use image_service::edge_key::{edge_folder, edge_object_key};
use image_service::params::accept::AcceptClass;
use image_service::storage::{DynStore, ResultHeaders};
use image_service::Config;
use test_support::*;

const CAT: &[u8] = include_bytes!("../../assets/samples/progressive_3.jpg");
const QUERY: &str = "w=80&fm=webp";

fn timing_has(r: &TestResponse, phase: &str) -> bool {
    r.header("server-timing").is_some_and(|t| {
        t.split(',')
            .any(|p| p.trim().starts_with(&format!("{phase};")))
    })
}

async fn keys_under(store: &DynStore, prefix: &str) -> Vec<String> {
    let page = store.list(prefix, None, 1000).await.unwrap();
    page.objects.into_iter().map(|o| o.key).collect()
}

fn results(app: &TestApp) -> &DynStore {
    app.results.as_ref().expect("a cached TestApp")
}

#[tokio::test]
async fn a_repeat_is_served_from_the_cache_without_decoding() {
    let app = TestApp::cached(Config::default());
    app.put("cat.jpg", CAT.to_vec(), "image/jpeg").await;
    let path = format!("/cat.jpg?{QUERY}");
    let first = app.get(&path).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("x-result-cache"), Some("miss"));
    assert!(timing_has(&first, "decode") && timing_has(&first, "encode"));

    let second = app.get(&path).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("x-result-cache"), Some("hit"));
    for phase in ["decode", "ops", "encode"] {
        assert!(
            !timing_has(&second, phase),
            "a hit ran {phase}: {:?}",
            second.header("server-timing")
        );
    }
    assert!(timing_has(&second, "store"));
    assert_eq!(second.body, first.body);
    for h in ["etag", "content-type", "cache-control", "last-modified"] {
        assert_eq!(second.header(h), first.header(h), "{h}");
    }
    assert_eq!(second.header("content-type"), Some("image/webp"));

    // One canonical entry, and the hit's bytes are that entry's: change it in the
    // store and the next answer changes with it.
    let entries = keys_under(results(&app), "results/").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].len() == "results/".len() + 64);
    results(&app)
        .put_result(
            &entries[0],
            b"stored bytes".to_vec().into(),
            &ResultHeaders::typed("image/webp"),
        )
        .await
        .unwrap();
    let third = app.get(&path).await;
    assert_eq!(third.body, b"stored bytes");
    // Another variant is its own entry.
    let other = app.get("/cat.jpg?w=81&fm=webp").await;
    assert_eq!(other.header("x-result-cache"), Some("miss"));
    assert_eq!(keys_under(results(&app), "results/").await.len(), 2);
    // The cache lives under the reserved `_/`: the listing never shows it.
    let listed = app.get("/").await.json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Key"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cat.jpg"]);
}

#[tokio::test]
async fn a_replaced_original_is_a_new_result_and_revalidation_still_answers_304() {
    let app = TestApp::cached(Config::default());
    app.upload("/", &[("cat.jpg", CAT)]).await;
    let path = format!("/cat.jpg?{QUERY}");
    let first = app.get(&path).await;
    assert_eq!(app.get(&path).await.header("x-result-cache"), Some("hit"));
    let etag = first.header("etag").unwrap().to_string();
    let not_modified = app.get_with(&path, &[("if-none-match", &etag)]).await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());

    assert_eq!(app.delete("/", &["cat.jpg"]).await.status, 200);
    let other = png(300, 200);
    assert_eq!(app.upload("/", &[("cat.jpg", &other)]).await.status, 200);
    let replaced = app.get(&path).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.header("x-result-cache"), Some("miss"));
    assert_ne!(replaced.body, first.body);
    assert_ne!(replaced.header("etag"), Some(etag.as_str()));
    assert_eq!(decode(&replaced.body).width(), 80);
    assert_eq!(
        app.get_with(&path, &[("if-none-match", &etag)])
            .await
            .status,
        200
    );
    assert_eq!(app.get(&path).await.header("x-result-cache"), Some("hit"));
}

#[tokio::test]
async fn off_keeps_nothing() {
    let app = TestApp::open(Config::default());
    app.put("cat.jpg", CAT.to_vec(), "image/jpeg").await;
    for _ in 0..2 {
        let r = app.get(&format!("/cat.jpg?{QUERY}")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-result-cache"), Some("off"));
        assert!(timing_has(&r, "decode"));
    }
    assert!(!app.root.join("_/cache").exists());
    // Originals carry no result cache header: they are never cached.
    let original = app.get("/cat.jpg").await;
    assert_eq!(original.header("x-result-cache"), None);
}

/// The first vector of `integration-tests/edge-keys.json`: `photo.jpg?w=300`, class
/// avif, salt r4.
const VECTOR_OBJECT: &str = "edge/aff6100bd4df0ea66736e1d3304208069a0f24303e21b43422398c935540a236/63ead2d71fe023ce6cf38eb366772bab9ab9bec628436a9d8e5f083a2ce7c318";

async fn edge_app() -> TestApp {
    let config = Config {
        edge_salt: Some("r4".into()),
        watermarks_dir: repo_root().join("assets/watermarks"),
        ..Config::default()
    };
    let app = TestApp::cached(config);
    app.put("photo.jpg", CAT.to_vec(), "image/jpeg").await;
    app.put("other.jpg", CAT.to_vec(), "image/jpeg").await;
    app
}

async fn edge_get(
    app: &TestApp,
    object: &str,
    query: &str,
    key: &str,
    class: &str,
) -> TestResponse {
    let path = format!(
        "/{object}{}{query}",
        if query.is_empty() { "" } else { "?" }
    );
    app.get_with(
        &path,
        &[("x-image-edge-path", key), ("x-image-accept", class)],
    )
    .await
}

#[tokio::test]
async fn an_edge_request_writes_the_edge_copy_at_the_shared_key() {
    let app = edge_app().await;
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../integration-tests/edge-keys.json")).unwrap();
    assert_eq!(vectors["vectors"][0]["object"], VECTOR_OBJECT);
    let r = edge_get(&app, VECTOR_OBJECT, "w=300", "/photo.jpg", "avif").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-result-cache"), Some("miss"));
    let stored = results(&app)
        .get_result(VECTOR_OBJECT, 1 << 24)
        .await
        .unwrap();
    assert_eq!(stored.bytes, r.body);
    assert_eq!(stored.content_type, "image/jpeg");
    assert_eq!(
        stored.cache_control.as_deref(),
        Some("public, max-age=2592000")
    );
    assert_eq!(decode(&stored.bytes).width(), 300);
    // The same through the plain URL: one canonical entry serves both.
    let plain = app.get("/photo.jpg?w=300").await;
    assert_eq!(plain.header("x-result-cache"), Some("hit"));
    assert_eq!(plain.body, r.body);
    assert_eq!(keys_under(results(&app), "edge/").await, [VECTOR_OBJECT]);
}

#[tokio::test]
async fn an_edge_path_that_is_not_the_edge_key_is_refused_and_writes_nothing() {
    let app = edge_app().await;
    for (query, key, class) in [
        ("w=300", "/photo.jpg", "webp"),
        ("w=300&q=80", "/photo.jpg", "avif"),
        ("w=301", "/photo.jpg", "avif"),
        ("w=300", "/other.jpg", "avif"),
    ] {
        let r = edge_get(&app, VECTOR_OBJECT, query, key, class).await;
        assert_eq!(r.status, 400, "{query} {key} {class}");
        assert_eq!(r.error_code(), "invalid-edge-path");
    }
    // Signing parameters are not part of the key: the path still matches.
    let r = edge_get(
        &app,
        VECTOR_OBJECT,
        "w=300&kid=k1&exp=1900000000&s=x",
        "/photo.jpg",
        "avif",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(keys_under(results(&app), "edge/").await, [VECTOR_OBJECT]);

    // Without a salt the header is refused.
    let unsalted = TestApp::cached(Config::default());
    unsalted.put("photo.jpg", CAT.to_vec(), "image/jpeg").await;
    let r = edge_get(&unsalted, VECTOR_OBJECT, "w=300", "/photo.jpg", "avif").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "invalid-edge-path");
    assert!(keys_under(results(&unsalted), "edge/").await.is_empty());
}

#[tokio::test]
async fn originals_and_variants_with_operands_are_never_edge_copies() {
    let app = edge_app().await;
    let original = edge_object_key("photo.jpg", &[], AcceptClass::Avif, "r4");
    let r = edge_get(&app, &original, "", "/photo.jpg", "avif").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, CAT);
    let pairs = [("wm".to_string(), "corner.png".to_string())];
    let marked = edge_object_key("photo.jpg", &pairs, AcceptClass::Avif, "r4");
    let r = edge_get(&app, &marked, "wm=corner.png", "/photo.jpg", "avif").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-result-cache"), Some("miss"));
    assert!(keys_under(results(&app), "edge/").await.is_empty());
    // The canonical entry of the watermarked variant is kept (its key covers the file).
    assert_eq!(keys_under(results(&app), "results/").await.len(), 1);
}

#[tokio::test]
async fn deleting_an_original_deletes_its_edge_copies() {
    let app = edge_app().await;
    let pairs = |w: &str| vec![("w".to_string(), w.to_string())];
    let mut written = Vec::new();
    for (key, w, class) in [
        ("photo.jpg", "300", AcceptClass::Avif),
        ("photo.jpg", "300", AcceptClass::Other),
        ("photo.jpg", "120", AcceptClass::Avif),
        ("other.jpg", "300", AcceptClass::Avif),
    ] {
        let object = edge_object_key(key, &pairs(w), class, "r4");
        let r = edge_get(
            &app,
            &object,
            &format!("w={w}"),
            &format!("/{key}"),
            class.as_str(),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        written.push(object);
    }
    assert_eq!(
        keys_under(results(&app), &edge_folder("photo.jpg"))
            .await
            .len(),
        3
    );
    let canonical = keys_under(results(&app), "results/").await;
    assert_eq!(app.delete("/", &["photo.jpg"]).await.status, 200);
    assert!(keys_under(results(&app), &edge_folder("photo.jpg"))
        .await
        .is_empty());
    assert_eq!(
        keys_under(results(&app), "edge/").await,
        [written[3].clone()]
    );
    assert_eq!(
        keys_under(results(&app), "results/").await,
        canonical,
        "canonical entries expire on their own"
    );
}
