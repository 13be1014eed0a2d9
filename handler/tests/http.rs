//! The four routes end to end through `Router::oneshot`, over the filesystem store.

use axum::body::Body;
use axum::http::Request;
use image_service::config::Route;
use image_service::samples::sample;
use image_service::Config;
use std::sync::Arc;
use test_support::*;

async fn seeded() -> TestApp {
    let f = TestApp::open(Config::default());
    let r = upload_samples(&f).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    f
}

/// Uploads the two samples `cat.jpg` and `bug.png` to the root.
async fn upload_samples(app: &TestApp) -> TestResponse {
    app.upload(
        "/",
        &[
            ("cat.jpg", sample("progressive_3.jpg")),
            ("bug.png", sample("blackbug.png")),
        ],
    )
    .await
}

#[tokio::test]
async fn get_original_returns_stored_bytes_and_cache_headers() {
    let f = seeded().await;
    let r = f.get("/cat.jpg").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, sample("progressive_3.jpg"));
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert_eq!(
        r.header("content-length"),
        Some(sample("progressive_3.jpg").len().to_string().as_str())
    );
    assert_eq!(r.header("cache-control"), Some("public, max-age=2592000"));
    let etag = r.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let md = std::fs::metadata(f.root.join("cat.jpg")).unwrap();
    assert_eq!(
        r.header("last-modified").unwrap(),
        httpdate::fmt_http_date(md.modified().unwrap())
    );
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let f = seeded().await;
    let r = send(
        &f.app,
        Request::head("/bug.png").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(
        r.header("content-length"),
        Some(sample("blackbug.png").len().to_string().as_str())
    );
}

#[tokio::test]
async fn conditional_get_answers_304() {
    let f = seeded().await;
    let first = f.get("/cat.jpg").await;
    let etag = first.header("etag").unwrap().to_string();
    let r = send(
        &f.app,
        Request::get("/cat.jpg")
            .header("if-none-match", &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let lm = first.header("last-modified").unwrap().to_string();
    let r = send(
        &f.app,
        Request::get("/cat.jpg")
            .header("if-modified-since", &lm)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 304);
    let r = send(
        &f.app,
        Request::get("/cat.jpg")
            .header("if-none-match", "\"other\"")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        &f.app,
        Request::get("/cat.jpg")
            .header("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn transformed_get_resizes_and_converts() {
    let f = seeded().await;
    let r = f.get("/cat.jpg?w=100").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    let img = decode(&r.body);
    assert_eq!((img.width(), img.height()), (100, 72)); // 650x470 → 100 wide
    let r = f.get("/cat.jpg?h=47&fm=png").await;
    assert_eq!(r.header("content-type"), Some("image/png"));
    assert_eq!(decode(&r.body).height(), 47);
    let r = f.get("/bug.png?w=64&h=64&fm=webp&q=70").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/webp"));
    let img = decode(&r.body);
    assert_eq!((img.width(), img.height()), (64, 64));
    // Never enlarged.
    let r = f.get("/cat.jpg?w=5000").await;
    assert_eq!(decode(&r.body).width(), 650);
}

#[tokio::test]
async fn dpr_multiplies_the_size_and_is_its_own_variant() {
    let f = seeded().await;
    let at_2x = f.get("/cat.jpg?w=100&dpr=2").await;
    assert_eq!(at_2x.status, 200);
    assert_eq!(dims(&decode(&at_2x.body)), (200, 145)); // 650x470 → 200 wide
    let at_1_5x = f.get("/cat.jpg?w=100&h=50&f=fill&dpr=1.5").await;
    assert_eq!(dims(&decode(&at_1_5x.body)), (150, 75));
    // The variant differs from the 1x one, and dpr=2.0 is the same variant as dpr=2.
    let at_1x = f.get("/cat.jpg?w=100").await;
    assert_ne!(at_2x.header("etag"), at_1x.header("etag"));
    let spelled = f.get("/cat.jpg?w=100&dpr=2.0").await;
    assert_eq!(at_2x.header("etag"), spelled.header("etag"));
    // Still never enlarged: 400 × 2 asks for more than the original's 650.
    let r = f.get("/cat.jpg?w=400&dpr=2").await;
    assert_eq!(decode(&r.body).width(), 650);
    // A wrong ratio is a 400 naming dpr.
    let r = f.get("/cat.jpg?w=100&dpr=1.25").await;
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&r.body).contains("dpr"));
}

fn dims(img: &image::DynamicImage) -> (u32, u32) {
    (img.width(), img.height())
}

#[tokio::test]
async fn transformed_get_is_order_independent_and_revalidates() {
    let f = seeded().await;
    let a = f.get("/cat.jpg?w=120&q=60&fm=png").await;
    let b = f.get("/cat.jpg?fm=png&q=60&w=120&v=3").await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, b.body);
    assert_eq!(a.header("etag"), b.header("etag"));
    assert_ne!(a.header("etag"), f.get("/cat.jpg").await.header("etag"));
    let r = send(
        &f.app,
        Request::get("/cat.jpg?q=60&w=120&fm=png")
            .header("if-none-match", a.header("etag").unwrap())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 304);
}

#[tokio::test]
async fn unknown_parameters_alone_return_the_original() {
    let f = seeded().await;
    let r = f.get("/cat.jpg?v=3").await;
    assert_eq!(r.body, sample("progressive_3.jpg"));
}

#[tokio::test]
async fn bad_parameter_is_400_naming_it() {
    let f = seeded().await;
    let r = f.get("/cat.jpg?h=-350").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "invalid-parameter");
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("'h'") && msg.contains("-350"), "{msg}");
    // Checked before the store: a missing key with a bad parameter is still a 400.
    assert_eq!(f.get("/nope.jpg?w=abc").await.status, 400);
}

#[tokio::test]
async fn missing_key_is_404_and_bad_keys_are_400() {
    let f = seeded().await;
    let r = f.get("/nope.jpg").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "not-found");
    for path in [
        "/a/../cat.jpg",
        "/a/%2e%2e/cat.jpg",
        "/a//cat.jpg",
        "/cat%00.jpg",
        "/_/tmp/x",
    ] {
        let r = f.get(path).await;
        assert_eq!(r.status, 400, "{path}");
        r.error_code();
    }
}

#[tokio::test]
async fn corrupt_original_is_422() {
    let f = seeded().await;
    let mut truncated = sample("progressive_3.jpg")[..3000].to_vec();
    truncated.extend_from_slice(&[0u8; 16]);
    std::fs::write(f.root.join("broken.jpg"), &truncated).unwrap();
    let r = f.get("/broken.jpg?w=50").await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.error_code(), "unprocessable-image");
}

#[tokio::test]
async fn pixel_limit_is_413_before_decoding() {
    let config = Config {
        max_input_pixels: 10_000,
        ..Config::default()
    };
    let f = TestApp::open(config);
    std::fs::write(f.root.join("big.png"), png(200, 100)).unwrap();
    let r = f.get("/big.png?w=10").await;
    assert_eq!(r.status, 413);
    assert_eq!(r.error_code(), "image-too-large");
}

#[tokio::test]
async fn list_returns_seed_fields_and_pages() {
    let f = seeded().await;
    let r = f.get("/").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let list = r.json();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["Key"], "bug.png");
    assert_eq!(items[1]["Key"], "cat.jpg");
    let item = &items[1];
    assert_eq!(item["Size"], sample("progressive_3.jpg").len());
    assert_eq!(item["StorageClass"], "STANDARD");
    assert!(item["ETag"]
        .as_str()
        .is_some_and(|e| !e.is_empty() && !e.contains('"')));
    let lm = item["LastModified"].as_str().unwrap();
    assert!(
        lm.len() == 24 && lm.ends_with('Z') && lm.as_bytes()[10] == b'T',
        "{lm}"
    );

    let p1 = f.get("/?max-keys=1").await;
    assert_eq!(p1.json().as_array().unwrap().len(), 1);
    let token = p1.header("x-next-continuation-token").unwrap().to_string();
    let p2 = send(
        &f.app,
        get(&format!("/?max-keys=1&continuation-token={token}")),
    )
    .await;
    let p2j = p2.json();
    assert_eq!(p2j[0]["Key"], "cat.jpg");
    assert!(p2.header("x-next-continuation-token").is_none());

    let r = f.get("/?prefix=ca").await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    assert_eq!(f.get("/?max-keys=0").await.status, 400);
    assert_eq!(f.get("/?continuation-token=%21%21").await.status, 400);
}

#[tokio::test]
async fn upload_stores_under_path_and_returns_links() {
    let f = TestApp::open(Config::default());
    let one = png(8, 8);
    let two = png(9, 9);
    let r = send(
        &f.app,
        upload_request(
            "/albums/2024",
            multipart(&[
                ("data", Some("a b.png"), &one),
                ("data", Some("b.png"), &two),
            ]),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["status"], 200);
    assert_eq!(j["code"], "success");
    assert_eq!(j["message"], "Images uploaded successfully!");
    let etags = j["ETags"].as_array().unwrap();
    assert_eq!(etags.len(), 2);
    assert_eq!(etags[0]["link"], "http://images.test/albums/2024/a%20b.png");
    assert!(etags[0]["ETag"].as_str().is_some_and(|e| !e.is_empty()));
    assert_eq!(
        std::fs::read(f.root.join("albums/2024/a b.png")).unwrap(),
        one
    );
    let r = f.get("/albums/2024/a%20b.png").await;
    assert_eq!(r.body, one);
}

#[tokio::test]
async fn upload_conflict_is_409_and_writes_nothing() {
    let f = seeded().await;
    let fresh = png(4, 4);
    let r = send(
        &f.app,
        upload_request(
            "/",
            multipart(&[
                ("data", Some("new.png"), &fresh),
                ("data", Some("cat.jpg"), &fresh),
            ]),
        ),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.error_code(), "already-exists");
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(msg.contains("cat.jpg") && msg.contains('/'), "{msg}");
    assert!(!f.root.join("new.png").exists(), "nothing may be written");
    assert_eq!(
        std::fs::read(f.root.join("cat.jpg")).unwrap(),
        sample("progressive_3.jpg")
    );
}

#[tokio::test]
async fn upload_rejections() {
    let f = TestApp::open(Config::default());
    let img = png(4, 4);
    // Not multipart at all.
    let r = send(
        &f.app,
        Request::post("/")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "invalid-multipart")
    );
    // Garbled multipart.
    let r = send(&f.app, upload_request("/", b"--nope\r\ngarbage".to_vec())).await;
    assert_eq!(r.status, 400);
    r.error_code();
    // No data part.
    let r = send(
        &f.app,
        upload_request("/", multipart(&[("other", Some("x.png"), &img)])),
    )
    .await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "missing-data"));
    // Bad file names.
    for name in ["../x.png", "a\\b.png", "..", "a..b.png"] {
        let r = f.upload("/", &[(name, &img)]).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "invalid-filename"),
            "{name}"
        );
    }
    // Not an image.
    let r = f.upload("/", &[("notes.txt", b"hello world")]).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (415, "unsupported-media-type")
    );
    // Reserved and traversing paths.
    let r = f.upload("/_/x", &[("x.png", &img)]).await;
    assert_eq!(r.status, 400);
    let r = f.upload("/a/%2e%2e/b", &[("x.png", &img)]).await;
    assert_eq!(r.status, 400);
    // Nothing was stored by any of these.
    let list = f.get("/").await.json();
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn upload_over_limit_is_413() {
    let config = Config {
        max_upload_bytes: 1000,
        ..Config::default()
    };
    let f = TestApp::open(config);
    let big = noisy_png(30, 30);
    assert!(big.len() > 1000);
    let r = f.upload("/", &[("big.png", &big)]).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (413, "payload-too-large")
    );
    assert!(!f.root.join("big.png").exists());
    // Far over: the body limit itself answers.
    let huge = vec![0u8; 200_000];
    let r = f.upload("/", &[("huge.png", &huge)]).await;
    assert_eq!(r.status, 413);
}

#[tokio::test]
async fn non_images_allowed_by_configuration() {
    let config = Config {
        allow_non_images: true,
        ..Config::default()
    };
    let f = TestApp::open(config);
    let r = f.upload("/docs", &[("notes.txt", b"hello")]).await;
    assert_eq!(r.status, 200);
    let r = f.get("/docs/notes.txt").await;
    assert_eq!(r.body, b"hello");
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_uploads_of_one_name_have_one_winner() {
    let f = TestApp::open(Config::default());
    let app = Arc::new(f.app.clone());
    let bodies: Vec<Vec<u8>> = (0..16).map(|i| png(20 + i, 20)).collect();
    let mut tasks = Vec::new();
    for body in bodies.clone() {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            send(
                &app,
                upload_request("/race", multipart(&[("data", Some("same.png"), &body)])),
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        15,
        "{statuses:?}"
    );
    let stored = std::fs::read(f.root.join("race/same.png")).unwrap();
    assert!(
        bodies.contains(&stored),
        "stored bytes must be one whole upload"
    );
}

#[tokio::test]
async fn delete_removes_all_or_nothing() {
    let f = seeded().await;
    let r = send(
        &f.app,
        delete_request("/", r#"{"images":["cat.jpg","gone.png"]}"#),
    )
    .await;
    assert_eq!((r.status, r.error_code().as_str()), (404, "not-found"));
    let msg = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("gone.png") && !msg.contains("cat.jpg"),
        "{msg}"
    );
    assert!(f.root.join("cat.jpg").exists(), "nothing may be removed");

    let r = send(
        &f.app,
        delete_request("/", r#"{"images":["cat.jpg","bug.png"]}"#),
    )
    .await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["code"], "success");
    assert_eq!(j["message"], "Images removed successfully!");
    assert!(!f.root.join("cat.jpg").exists() && !f.root.join("bug.png").exists());
    assert_eq!(f.get("/cat.jpg").await.status, 404);
}

#[tokio::test]
async fn delete_under_a_path() {
    let f = TestApp::open(Config::default());
    let img = png(4, 4);
    f.upload("/a/b", &[("x.png", &img)]).await;
    let r = send(&f.app, delete_request("/a/b", r#"{"images":["x.png"]}"#)).await;
    assert_eq!(r.status, 200);
    assert!(!f.root.join("a").exists(), "empty folders are pruned");
}

#[tokio::test]
async fn delete_rejects_bad_bodies() {
    let f = seeded().await;
    for body in [
        "",
        "not json",
        "{}",
        r#"{"images":[]}"#,
        r#"{"images":"cat.jpg"}"#,
        r#"{"images":["../cat.jpg"]}"#,
    ] {
        let r = send(&f.app, delete_request("/", body)).await;
        assert_eq!(r.status, 400, "{body}");
        r.error_code();
    }
    assert!(f.root.join("cat.jpg").exists());
}

#[tokio::test]
async fn health_and_unknown_methods() {
    let f = seeded().await;
    let r = f.get("/_/health").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["version"], env!("CARGO_PKG_VERSION"));
    let r = send(
        &f.app,
        Request::put("/cat.jpg").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (405, "method-not-allowed")
    );
    // An image named `health` is still reachable.
    let img = png(3, 3);
    f.upload("/", &[("health", &img)]).await;
    assert_eq!(f.get("/health").await.body, img);
}

#[tokio::test]
async fn disabled_routes_are_not_served() {
    let config = Config {
        routes: [Route::Get].into_iter().collect(),
        ..Config::default()
    };
    let f = TestApp::open(config);
    assert_eq!(f.get("/").await.status, 404);
    let r = f.upload("/", &[("x.png", &png(2, 2))]).await;
    assert_eq!(r.status, 404);
    assert!(!f.root.join("x.png").exists());
    assert_eq!(
        send(&f.app, delete_request("/", r#"{"images":["x.png"]}"#))
            .await
            .status,
        404
    );
}

fn watermarks_dir() -> std::path::PathBuf {
    repo_root().join("assets/watermarks")
}

/// A fixture whose config finds the repository's watermarks, with the two samples and
/// a mask under `masks/`.
async fn seeded_with_operands(mut config: Config) -> TestApp {
    config.watermarks_dir = watermarks_dir();
    let f = TestApp::open(config);
    let mask = png(20, 20);
    for (path, name, bytes) in [
        ("/", "cat.jpg", sample("progressive_3.jpg")),
        ("/masks", "grey.png", &mask[..]),
    ] {
        let r = f.upload(path, &[(name, bytes)]).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    f
}

#[tokio::test]
async fn operands_come_from_the_store_and_missing_ones_are_404() {
    let f = seeded_with_operands(Config::default()).await;
    let bo = "bo=%7B%22operator%22:%22and%22,%22operand%22:%22masks/grey.png%22%7D";
    let r = send(&f.app, get(&format!("/cat.jpg?w=100&fm=png&{bo}"))).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let img = decode(&r.body);
    assert_eq!((img.width(), img.height()), (100, 72));
    let plain = decode(&f.get("/cat.jpg?w=100&fm=png").await.body);
    assert_ne!(img.to_rgb8(), plain.to_rgb8(), "the boolean changed pixels");

    let r = send(
        &f.app,
        get("/cat.jpg?bo=%7B%22operator%22:%22or%22,%22operand%22:%22masks/nope.png%22%7D"),
    )
    .await;
    assert_eq!(r.status, 404);
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("masks/nope.png") && message.contains("'bo'"),
        "{message}"
    );

    // URLs are refused by the parser: the service never fetches them.
    let r = send(
        &f.app,
        get("/cat.jpg?jc=%5B%22https://evil.example/x.png%22%5D"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "invalid-parameter");
}

#[tokio::test]
async fn watermark_by_name_and_unknown_names_list_the_available_ones() {
    let f = seeded_with_operands(Config::default()).await;
    let r = f.get("/cat.jpg?wm=corner.png&gr=northeast&fm=png").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let marked = decode(&r.body);
    let plain = decode(&f.get("/cat.jpg?fm=png").await.body);
    assert_eq!(
        (marked.width(), marked.height()),
        (plain.width(), plain.height())
    );
    // The mark sits in the north-east corner and nowhere else.
    let (m, p) = (marked.to_rgb8(), plain.to_rgb8());
    let differs = |x: u32, y: u32| m.get_pixel(x, y) != p.get_pixel(x, y);
    assert!((0..48).any(|d| differs(650 - 24, d)), "mark in the corner");
    assert!(!differs(10, 460), "south-west untouched");

    let r = f.get("/cat.jpg?wm=nope.png").await;
    assert_eq!(r.status, 404);
    let message = r.json()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("corner.png") && message.contains("image-service.png"),
        "{message}"
    );
}

#[tokio::test]
async fn enforced_watermark_applies_to_originals_too() {
    let config = Config::from_lookup(|k| match k {
        "IMAGE_SERVICE_WATERMARKS_DIR" => Some(watermarks_dir().display().to_string()),
        "IMAGE_SERVICE_WATERMARK" => Some("corner.png".into()),
        _ => None,
    })
    .unwrap();
    let f = seeded_with_operands(config).await;
    let r = f.get("/cat.jpg").await;
    assert_eq!(r.status, 200);
    assert_ne!(
        r.body,
        sample("progressive_3.jpg"),
        "never the raw original"
    );
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    let img = decode(&r.body);
    assert_eq!((img.width(), img.height()), (650, 470));

    let missing = Config::from_lookup(|k| match k {
        "IMAGE_SERVICE_WATERMARKS_DIR" => Some(watermarks_dir().display().to_string()),
        "IMAGE_SERVICE_WATERMARK" => Some("absent.png".into()),
        _ => None,
    });
    assert!(missing.unwrap_err().contains("IMAGE_SERVICE_WATERMARK"));
}

#[tokio::test]
async fn unsupported_colourspace_is_400_before_the_store_is_read() {
    let f = TestApp::open(Config::default());
    // No such key: the 400 comes first.
    let r = f.get("/absent.jpg?tc=lab").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "invalid-parameter");
    assert!(r.json()["message"].as_str().unwrap().contains("'tc'"));
}

#[tokio::test]
async fn upload_retry_with_the_same_bytes_is_200_and_rewrites_nothing() {
    let f = seeded().await;
    let before = std::fs::metadata(f.root.join("cat.jpg"))
        .unwrap()
        .modified()
        .unwrap();
    let r = upload_samples(&f).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["code"], "success");
    assert_eq!(j["message"], "Images uploaded successfully!");
    let etags = j["ETags"].as_array().unwrap();
    assert_eq!(etags.len(), 2);
    assert_eq!(etags[0]["link"], "http://images.test/cat.jpg");
    let original = f.get("/cat.jpg").await;
    assert_eq!(
        original.header("etag"),
        Some(format!("\"{}\"", etags[0]["ETag"].as_str().unwrap()).as_str())
    );
    let after = std::fs::metadata(f.root.join("cat.jpg"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "the stored file is not rewritten");
    // Other bytes under a stored name stay a conflict (upload_conflict_is_409_and_writes_nothing).
    let r = f.upload("/", &[("bug.png", &png(3, 3))]).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        std::fs::read(f.root.join("bug.png")).unwrap(),
        sample("blackbug.png")
    );
}

#[tokio::test]
async fn variants_revalidate_by_etag_only() {
    let f = seeded().await;
    let far = "Fri, 01 Jan 2100 00:00:00 GMT";
    let original = f.get("/cat.jpg").await;
    let lm = original.header("last-modified").unwrap().to_string();
    for since in [lm.as_str(), far] {
        let r = send(
            &f.app,
            Request::get("/cat.jpg")
                .header("if-modified-since", since)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 304, "the original's own date");
        let r = send(
            &f.app,
            Request::get("/cat.jpg?w=40")
                .header("if-modified-since", since)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200, "a variant is not dated by its original");
        assert!(!r.body.is_empty());
    }
    let etag = f
        .get("/cat.jpg?w=40")
        .await
        .header("etag")
        .unwrap()
        .to_string();
    let r = send(
        &f.app,
        Request::get("/cat.jpg?w=40")
            .header("if-none-match", &etag)
            .header("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 304);
}

/// Replacing a watermark file's bytes (same name) changes the ETag of every variant
/// that uses it, by `wm=` or enforced, so caches fetch the new marks.
#[tokio::test]
async fn variant_etag_follows_the_watermark_file() {
    let marks = tempfile::tempdir().unwrap();
    let mark = marks.path().join("mark.png");
    std::fs::write(&mark, png(16, 16)).unwrap();
    let dir = marks.path().display().to_string();
    let enforced = Config::from_lookup(|k| match k {
        "IMAGE_SERVICE_WATERMARKS_DIR" => Some(dir.clone()),
        "IMAGE_SERVICE_WATERMARK" => Some("mark.png".into()),
        _ => None,
    })
    .unwrap();
    let by_name = Config {
        watermarks_dir: marks.path().to_path_buf(),
        ..Default::default()
    };
    let (a, b) = (TestApp::open(by_name), TestApp::open(enforced));
    for f in [&a, &b] {
        let r = f
            .upload("/", &[("cat.jpg", sample("progressive_3.jpg"))])
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let etags = || async {
        let by_name = send(&a.app, get("/cat.jpg?wm=mark.png&fm=png")).await;
        assert_eq!(
            by_name.status,
            200,
            "{}",
            String::from_utf8_lossy(&by_name.body)
        );
        let enforced = send(&b.app, get("/cat.jpg")).await;
        assert_eq!(enforced.status, 200);
        (
            by_name.header("etag").unwrap().to_string(),
            enforced.header("etag").unwrap().to_string(),
        )
    };
    let before = etags().await;
    assert_eq!(before, etags().await, "stable while the file is unchanged");
    std::fs::write(&mark, png(17, 16)).unwrap();
    let after = etags().await;
    assert_ne!(before.0, after.0, "wm= variant");
    assert_ne!(before.1, after.1, "enforced watermark");
    let r = send(
        &a.app,
        Request::get("/cat.jpg?wm=mark.png&fm=png")
            .header("if-none-match", &before.0)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "the old ETag no longer revalidates");
}
