//! The result store's contract, on the filesystem and on S3 (moto, as
//! `store_contract.rs`): each case gets an originals store and its result cache in the
//! store's own `_/cache/` (the default for an S3 store).

use bytes::Bytes;
use image_service::storage::{DynStore, ResultHeaders, StoreError};
use image_service::Config;
use std::sync::Arc;
use test_support::*;

mod store_support;
use store_support::{fresh_fs_with_cache, fresh_s3_with_cache};

/// Every key under `prefix`, in one page.
async fn keys_under(store: &DynStore, prefix: &str) -> Vec<String> {
    let page = store.list(prefix, None, 1000).await.unwrap();
    page.objects.into_iter().map(|o| o.key).collect()
}

/// Cases that take a store and its result cache.
macro_rules! cache_contract {
    ($($case:ident),* $(,)?) => {
        mod fs_cache {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (_dir, store, cache) = super::fresh_fs_with_cache();
                    super::$case(store, cache).await;
                }
            )*
        }
        mod s3_cache {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    if let Some((store, cache)) = super::fresh_s3_with_cache().await {
                        super::$case(store, cache).await;
                    }
                }
            )*
        }
    };
}

cache_contract!(
    results_keep_their_headers_and_may_be_replaced,
    the_reserved_folder_is_never_listed,
    http_repeat_is_a_hit_and_delete_removes_edge_copies,
);

async fn results_keep_their_headers_and_may_be_replaced(_store: DynStore, cache: DynStore) {
    let key = "results/0123abcd";
    assert_eq!(
        cache.get_result(key, 100).await.unwrap_err(),
        StoreError::NotFound(key.into())
    );
    let first = ResultHeaders {
        image_quality: Some("62; auto"),
        ..ResultHeaders::typed("image/webp")
    };
    cache
        .put_result(key, Bytes::from_static(b"first"), &first)
        .await
        .unwrap();
    let got = cache.get_result(key, 100).await.unwrap();
    assert_eq!(got.bytes, Bytes::from_static(b"first"));
    assert_eq!(got.content_type, "image/webp");
    assert_eq!(got.cache_control, None);
    assert_eq!(got.image_quality.as_deref(), Some("62; auto"));
    // Results may be written again (a re-render); the headers follow the new write.
    let edge = "edge/aa/bb";
    cache
        .put_result(
            edge,
            Bytes::from(vec![9u8; 300]),
            &ResultHeaders {
                content_type: "image/avif",
                cache_control: Some("public, max-age=60"),
                image_quality: Some("50; auto-fallback=over-budget"),
            },
        )
        .await
        .unwrap();
    cache
        .put_result(
            edge,
            Bytes::from(vec![8u8; 200]),
            &ResultHeaders {
                cache_control: Some("public, max-age=30"),
                ..ResultHeaders::typed("image/png")
            },
        )
        .await
        .unwrap();
    let got = cache.get_result(edge, 200).await.unwrap();
    assert_eq!(got.bytes, Bytes::from(vec![8u8; 200]));
    assert_eq!(got.content_type, "image/png");
    assert_eq!(got.cache_control.as_deref(), Some("public, max-age=30"));
    assert_eq!(got.image_quality, None);
    match cache.get_result(edge, 199).await {
        Err(StoreError::TooLarge { size, limit, .. }) => assert_eq!((size, limit), (200, 199)),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(keys_under(&cache, "").await, [edge, key]);
    // Originals keep their create-only rule beside them.
    cache
        .put_if_absent("orig.png", Bytes::from_static(b"x"), "image/png")
        .await
        .unwrap();
    assert!(matches!(
        cache
            .put_if_absent("orig.png", Bytes::from_static(b"y"), "image/png")
            .await,
        Err(StoreError::AlreadyExists(_))
    ));
}

async fn the_reserved_folder_is_never_listed(store: DynStore, cache: DynStore) {
    // Keys on both sides of `_/` in byte order: `A` < `_` < `a`, `_a` sorts after `_/`.
    let originals = ["A.png", "Z/1.png", "_a.png", "a.png", "b/c.png"];
    for k in originals {
        store
            .put_if_absent(k, Bytes::from_static(b"x"), "image/png")
            .await
            .unwrap();
    }
    for i in 0..7 {
        cache
            .put_result(
                &format!("results/{i:02}"),
                Bytes::from_static(b"r"),
                &ResultHeaders::typed("image/png"),
            )
            .await
            .unwrap();
    }
    assert_eq!(keys_under(&cache, "results/").await.len(), 7);
    assert_eq!(keys_under(&store, "").await, originals);
    assert!(keys_under(&store, "_/").await.is_empty());
    assert!(keys_under(&store, "_/cache/results/").await.is_empty());
    assert_eq!(keys_under(&store, "_").await, ["_a.png"]);
    // Pages of two walk past the reserved range without showing any of it.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..20 {
        let page = store.list("", token.as_deref(), 2).await.unwrap();
        seen.extend(page.objects.into_iter().map(|o| o.key));
        match page.next_token {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen, originals);
}

async fn http_repeat_is_a_hit_and_delete_removes_edge_copies(store: DynStore, cache: DynStore) {
    use image_service::edge_key::{edge_folder, edge_object_key};
    use image_service::params::accept::AcceptClass;
    use image_service::result_cache::ResultCache;
    let config = Config {
        edge_salt: Some("r9".into()),
        open_without_tokens: true,
        ..Config::default()
    };
    let state = image_service::AppState::new(store.clone(), config)
        .with_result_cache(Some(Arc::new(ResultCache::new(cache.clone(), "test"))));
    let app = image_service::router(quiet(state));
    let body = png(64, 48);
    let r = send(
        &app,
        upload_request("/c", multipart(&[("data", Some("a.png"), &body)])),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let first = send(&app, get("/c/a.png?w=16&fm=png")).await;
    let second = send(&app, get("/c/a.png?w=16&fm=png")).await;
    assert_eq!(first.header("x-result-cache"), Some("miss"));
    assert_eq!(second.header("x-result-cache"), Some("hit"));
    assert_eq!(second.body, first.body);
    assert!(!second.header("server-timing").unwrap().contains("decode"));
    let pairs = [("w".to_string(), "16".to_string())];
    let object = edge_object_key("c/a.png", &pairs, AcceptClass::Other, "r9");
    let r = send(
        &app,
        axum::http::Request::get(format!("/{object}?w=16"))
            .header("x-image-edge-path", "/c/a.png")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let stored = cache.get_result(&object, 1 << 20).await.unwrap();
    assert_eq!(
        (stored.bytes.as_ref(), stored.content_type.as_str()),
        (&r.body[..], "image/png")
    );
    assert_eq!(
        stored.cache_control.as_deref(),
        Some("public, max-age=2592000")
    );
    let listed = send(&app, get("/")).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let r = send(&app, delete_request("/c", r#"{"images": ["a.png"]}"#)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(keys_under(&cache, &edge_folder("c/a.png")).await.is_empty());
    assert!(!keys_under(&cache, "results/").await.is_empty());
}
