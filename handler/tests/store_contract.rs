//! One contract, two backends: every case runs against the filesystem store and
//! against S3 on a real S3 API server (moto on loopback, started by `bin/test`).
//!
//! The S3 cases need `IMAGE_SERVICE_TEST_S3_ENDPOINT` (e.g. http://127.0.0.1:5055).
//! Without it they are skipped with a message — unless `IMAGE_SERVICE_REQUIRE_S3=1`,
//! which `bin/test` sets, turns the missing endpoint into a failure.

use bytes::Bytes;
use image_service::storage::{DynStore, StoreError};
use image_service::Config;
use std::sync::Arc;
use std::time::Duration;
use test_support::*;

mod store_support;
use store_support::{fresh_fs, fresh_s3};

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod fs_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (_dir, store) = super::fresh_fs();
                    super::$case(store).await;
                }
            )*
        }
        mod s3_backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    if let Some(store) = super::fresh_s3().await {
                        super::$case(store).await;
                    }
                }
            )*
        }
    };
}

contract!(
    put_then_get_and_head,
    missing_keys_are_not_found,
    put_if_absent_refuses_existing,
    concurrent_put_if_absent_has_one_winner,
    get_refuses_over_limit,
    list_filters_sorts_and_pages,
    list_pages_past_a_thousand,
    delete_many_removes_and_tolerates_missing,
    delete_many_in_batches_over_a_thousand,
    http_upload_race_has_one_winner,
    existing_if_same_tells_a_retry_from_a_conflict,
    http_retry_of_an_interrupted_upload_succeeds,
    http_concurrent_identical_uploads_all_succeed,
);

/// Every key under `prefix`, in one page.
async fn keys_under(store: &DynStore, prefix: &str) -> Vec<String> {
    let page = store.list(prefix, None, 1000).await.unwrap();
    page.objects.into_iter().map(|o| o.key).collect()
}

async fn put_then_get_and_head(store: DynStore) {
    let bytes = Bytes::from(png(5, 5));
    let meta = store
        .put_if_absent("a/b/c.png", bytes.clone(), "image/png")
        .await
        .unwrap();
    assert_eq!(meta.key, "a/b/c.png");
    assert_eq!(meta.size, bytes.len() as u64);
    assert!(!meta.etag.is_empty() && !meta.etag.contains('"'));
    let obj = store.get("a/b/c.png", 1 << 20).await.unwrap();
    assert_eq!(obj.bytes, bytes);
    assert_eq!(obj.meta.etag, meta.etag);
    let head = store.head("a/b/c.png").await.unwrap();
    assert_eq!(head.size, bytes.len() as u64);
    assert_eq!(head.etag, meta.etag);
    assert_eq!(head.last_modified, obj.meta.last_modified);
    let age = std::time::SystemTime::now()
        .duration_since(head.last_modified)
        .unwrap_or_default();
    assert!(
        age < Duration::from_secs(120),
        "last_modified comes from the store write"
    );
}

async fn missing_keys_are_not_found(store: DynStore) {
    assert_eq!(
        store.head("nope.png").await.unwrap_err(),
        StoreError::NotFound("nope.png".into())
    );
    assert_eq!(
        store.get("a/nope.png", 10).await.unwrap_err(),
        StoreError::NotFound("a/nope.png".into())
    );
}

async fn put_if_absent_refuses_existing(store: DynStore) {
    store
        .put_if_absent("x.png", Bytes::from_static(b"first"), "image/png")
        .await
        .unwrap();
    let e = store
        .put_if_absent("x.png", Bytes::from_static(b"second"), "image/png")
        .await
        .unwrap_err();
    assert_eq!(e, StoreError::AlreadyExists("x.png".into()));
    assert_eq!(
        store.get("x.png", 100).await.unwrap().bytes,
        Bytes::from_static(b"first")
    );
}

async fn concurrent_put_if_absent_has_one_winner(store: DynStore) {
    let payloads: Vec<Bytes> = (0..12)
        .map(|i| Bytes::from(vec![i as u8; 50_000 + i]))
        .collect();
    let mut tasks = Vec::new();
    for p in payloads.clone() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .put_if_absent("race.bin", p, "application/octet-stream")
                .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::AlreadyExists(_)) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
    let stored = store.get("race.bin", 1 << 20).await.unwrap().bytes;
    assert!(
        payloads.contains(&stored),
        "stored bytes are one whole payload"
    );
}

async fn get_refuses_over_limit(store: DynStore) {
    store
        .put_if_absent(
            "big.bin",
            Bytes::from(vec![7u8; 4096]),
            "application/octet-stream",
        )
        .await
        .unwrap();
    match store.get("big.bin", 4095).await {
        Err(StoreError::TooLarge { size, limit, .. }) => assert_eq!((size, limit), (4096, 4095)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(store.get("big.bin", 4096).await.unwrap().bytes.len(), 4096);
}

async fn list_filters_sorts_and_pages(store: DynStore) {
    for k in ["b.png", "a/2.png", "a/1.png", "ab.png", "c/d/e.png"] {
        store
            .put_if_absent(k, Bytes::from_static(b"x"), "image/png")
            .await
            .unwrap();
    }
    let all = store.list("", None, 1000).await.unwrap();
    let keys: Vec<_> = all.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["a/1.png", "a/2.png", "ab.png", "b.png", "c/d/e.png"]);
    assert!(all.next_token.is_none());
    assert!(all
        .objects
        .iter()
        .all(|o| o.size == 1 && o.storage_class == "STANDARD"));
    let a = keys_under(&store, "a").await;
    assert_eq!(a, ["a/1.png", "a/2.png", "ab.png"]);
    let a_dir = keys_under(&store, "a/").await;
    assert_eq!(a_dir, ["a/1.png", "a/2.png"]);
    let deep = keys_under(&store, "c/d/").await;
    assert_eq!(deep, ["c/d/e.png"]);
    // Pages of two.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = store.list("", token.as_deref(), 2).await.unwrap();
        assert!(page.objects.len() <= 2);
        seen.extend(page.objects.into_iter().map(|o| o.key));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen, keys);
}

async fn list_pages_past_a_thousand(store: DynStore) {
    let keys: Vec<String> = (0..1005).map(|i| format!("many/{i:05}.png")).collect();
    let puts = keys
        .iter()
        .map(|k| store.put_if_absent(k, Bytes::from_static(b"x"), "image/png"));
    for r in futures::future::join_all(puts).await {
        r.unwrap();
    }
    let first = store.list("many/", None, 1000).await.unwrap();
    assert_eq!(first.objects.len(), 1000);
    let token = first.next_token.expect("a second page");
    let second = store.list("many/", Some(&token), 1000).await.unwrap();
    assert_eq!(second.objects.len(), 5);
    assert_eq!(second.objects[4].key, "many/01004.png");
    assert!(second.next_token.is_none());
}

async fn delete_many_removes_and_tolerates_missing(store: DynStore) {
    for k in ["d/1.png", "d/2.png", "keep.png"] {
        store
            .put_if_absent(k, Bytes::from_static(b"x"), "image/png")
            .await
            .unwrap();
    }
    store
        .delete_many(&["d/1.png".into(), "d/2.png".into(), "d/none.png".into()])
        .await
        .unwrap();
    let left = keys_under(&store, "").await;
    assert_eq!(left, ["keep.png"]);
}

async fn delete_many_in_batches_over_a_thousand(store: DynStore) {
    let keys: Vec<String> = (0..1201).map(|i| format!("bulk/{i}.png")).collect();
    let puts = keys
        .iter()
        .map(|k| store.put_if_absent(k, Bytes::from_static(b"x"), "image/png"));
    for r in futures::future::join_all(puts).await {
        r.unwrap();
    }
    store.delete_many(&keys).await.unwrap();
    assert!(store
        .list("bulk/", None, 1000)
        .await
        .unwrap()
        .objects
        .is_empty());
}

async fn http_upload_race_has_one_winner(store: DynStore) {
    let app = Arc::new(app_with(store.clone(), Config::default()));
    let bodies: Vec<Vec<u8>> = (0..10).map(|i| png(30 + i, 10)).collect();
    let mut tasks = Vec::new();
    for body in bodies.clone() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            send(
                &app,
                upload_request(
                    "/race",
                    multipart(&[
                        ("data", Some("one.png"), &body),
                        ("data", Some(&format!("{}.png", body.len())), &body),
                    ]),
                ),
            )
            .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => ok += 1,
            409 => assert_eq!(r.error_code(), "already-exists"),
            s => panic!("unexpected {s}: {}", String::from_utf8_lossy(&r.body)),
        }
    }
    assert_eq!(ok, 1);
    let stored = store
        .get("race/one.png", 1 << 20)
        .await
        .unwrap()
        .bytes
        .to_vec();
    assert!(bodies.contains(&stored));
    // The losers rolled back their second file: exactly the winner's two files remain.
    let left = store.list("race/", None, 1000).await.unwrap().objects;
    assert_eq!(
        left.len(),
        2,
        "{:?}",
        left.iter().map(|o| &o.key).collect::<Vec<_>>()
    );
}

async fn existing_if_same_tells_a_retry_from_a_conflict(store: DynStore) {
    let bytes = Bytes::from(png(6, 6));
    let meta = store
        .put_if_absent("same/a.png", bytes.clone(), "image/png")
        .await
        .unwrap();
    let same = store
        .existing_if_same("same/a.png", &bytes)
        .await
        .unwrap()
        .expect("identical bytes are the stored object");
    assert_eq!((same.key.as_str(), same.size), ("same/a.png", meta.size));
    assert_eq!(same.etag, store.head("same/a.png").await.unwrap().etag);
    // Other bytes: of another size, and of the same size.
    let mut flipped = bytes.to_vec();
    *flipped.last_mut().unwrap() ^= 1;
    for other in [png(7, 6), flipped, Vec::new()] {
        assert_eq!(
            store.existing_if_same("same/a.png", &other).await.unwrap(),
            None
        );
    }
    assert_eq!(
        store
            .existing_if_same("same/none.png", &bytes)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get("same/a.png", 1 << 20).await.unwrap().bytes, bytes);
}

/// A three-file upload cut after its first file was stored (a crash, a gateway
/// timeout): the client's retry of the same bytes succeeds as a first upload would;
/// the same names with other bytes stay a 409 that overwrites and writes nothing.
async fn http_retry_of_an_interrupted_upload_succeeds(store: DynStore) {
    let app = app_with(store.clone(), Config::default());
    let files: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("{i}.png"), png(10 + i, 10)))
        .collect();
    let parts: Vec<(&str, Option<&str>, &[u8])> = files
        .iter()
        .map(|(name, bytes)| ("data", Some(name.as_str()), &bytes[..]))
        .collect();
    // The interrupted attempt got as far as the first file.
    let first = store
        .put_if_absent("retry/0.png", Bytes::from(files[0].1.clone()), "image/png")
        .await
        .unwrap();

    let r = send(&app, upload_request("/retry", multipart(&parts))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(
        (j["status"].as_u64(), j["code"].as_str()),
        (Some(200), Some("success"))
    );
    let etags = j["ETags"].as_array().unwrap();
    assert_eq!(etags.len(), 3, "{j}");
    for ((name, bytes), entry) in files.iter().zip(etags) {
        assert!(entry["link"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/retry/{name}")));
        let head = store.head(&format!("retry/{name}")).await.unwrap();
        assert_eq!(entry["ETag"].as_str(), Some(head.etag.as_str()));
        let stored = store.get(&format!("retry/{name}"), 1 << 20).await.unwrap();
        assert_eq!(stored.bytes.as_ref(), &bytes[..]);
    }
    assert_eq!(
        etags[0]["ETag"].as_str(),
        Some(first.etag.as_str()),
        "not rewritten"
    );

    // The whole upload again: still 200, the same answer.
    let again = send(&app, upload_request("/retry", multipart(&parts))).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json(), j);

    // Other bytes under one of the names (with a new name beside it): 409, nothing
    // overwritten, the new name not written.
    let other = png(40, 40);
    let r = send(
        &app,
        upload_request(
            "/retry",
            multipart(&[
                ("data", Some("3.png"), &files[2].1),
                ("data", Some("1.png"), &other),
            ]),
        ),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error_code(), "already-exists");
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("1.png") && !msg.contains("3.png"), "{msg}");
    assert_eq!(
        store
            .get("retry/1.png", 1 << 20)
            .await
            .unwrap()
            .bytes
            .as_ref(),
        &files[1].1[..]
    );
    assert_eq!(
        keys_under(&store, "retry/").await,
        ["retry/0.png", "retry/1.png", "retry/2.png"]
    );
}

/// Retries that overlap (the client gave up on a slow first attempt) all succeed: the
/// losers of the create-only write find their very bytes stored.
async fn http_concurrent_identical_uploads_all_succeed(store: DynStore) {
    let app = Arc::new(app_with(store.clone(), Config::default()));
    let body = png(33, 12);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app, body) = (app.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            send(
                &app,
                upload_request("/same", multipart(&[("data", Some("one.png"), &body)])),
            )
            .await
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        answers.push(r.json());
    }
    let head = store.head("same/one.png").await.unwrap();
    for j in &answers {
        assert_eq!(
            j["ETags"][0]["ETag"].as_str(),
            Some(head.etag.as_str()),
            "{j}"
        );
    }
    assert_eq!(
        store
            .get("same/one.png", 1 << 20)
            .await
            .unwrap()
            .bytes
            .as_ref(),
        &body[..]
    );
}
