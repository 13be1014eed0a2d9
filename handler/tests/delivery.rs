//! Issue 17 end to end through the router: `fm=auto` negotiated from real `Accept`
//! strings (with `Vary: Accept`, an ETag per class and the AVIF budget), and presets
//! (expansion, one variant with the spelled-out query, the presets-only mode).

use axum::body::Body;
use axum::http::Request;
use image_service::auth::signing;
use image_service::config::credentials::parse_keys;
use image_service::config::SigningMode;
use image_service::params::query;
use image_service::samples::sample;
use image_service::Config;
use test_support::*;

const CHROME: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
const SAFARI_17: &str = "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
const SAFARI_16_4: &str =
    "image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
const SAFARI_15: &str = "image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5";
const FIREFOX: &str = "image/avif,image/webp,*/*";
const FIREFOX_OLD: &str = "image/webp,*/*";
const OLD_EDGE: &str = "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5";
const CURL: &str = "*/*";

/// Each client, its `Accept` (None: no header) and the type `fm=auto` gives it for a
/// JPEG photo.
const CLIENTS: &[(&str, Option<&str>, &str)] = &[
    ("Chrome", Some(CHROME), "image/avif"),
    ("Safari 17", Some(SAFARI_17), "image/avif"),
    ("Safari 16.4", Some(SAFARI_16_4), "image/avif"),
    ("Firefox", Some(FIREFOX), "image/avif"),
    ("Safari 15", Some(SAFARI_15), "image/webp"),
    ("Firefox 65-92", Some(FIREFOX_OLD), "image/webp"),
    ("Edge 18", Some(OLD_EDGE), "image/jpeg"),
    ("curl", Some(CURL), "image/jpeg"),
    ("no Accept", None, "image/jpeg"),
];

async fn app(config: Config) -> TestApp {
    let f = TestApp::open(config);
    for (key, name) in [
        ("cat.jpg", "progressive_3.jpg"),
        ("bug.png", "blackbug.png"),
        ("flag.png", "Flag_of_the_Netherlands-16bit.png"),
        ("squares.gif", "rotating-squares.gif"),
    ] {
        f.put(key, sample(name).to_vec(), "application/octet-stream")
            .await;
    }
    f.put("photo.png", gradient_png(), "image/png").await;
    f
}

/// An opaque truecolour PNG of thousands of colours: a photo stored as PNG.
fn gradient_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(120, 90, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 2) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn get_as(f: &TestApp, path: &str, accept: Option<&str>) -> TestResponse {
    let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
    f.get_with(path, &headers).await
}

/// The type the bytes really are, from their magic numbers.
fn sniffed(body: &[u8]) -> &'static str {
    image_service::codecs::sniff(body).map_or("?", |f| f.mime())
}

fn varies_on_accept(r: &TestResponse) -> bool {
    r.headers
        .get_all("vary")
        .iter()
        .any(|v| v.to_str().unwrap_or("").contains("Accept"))
}

#[tokio::test]
async fn auto_answers_each_client_in_its_format_with_vary_and_an_etag_per_class() {
    let f = app(Config::default()).await;
    let mut etags: Vec<(&str, String)> = Vec::new();
    for (client, accept, want) in CLIENTS {
        let r = get_as(&f, "/cat.jpg?w=120&fm=auto", *accept).await;
        assert_eq!(r.status, 200, "{client}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(*want), "{client}");
        assert_eq!(sniffed(&r.body), *want, "{client}: the bytes are the type");
        assert!(varies_on_accept(&r), "{client}: Vary: Accept");
        assert_eq!(r.header("x-image-format-fallback"), None, "{client}");
        etags.push((want, r.header("etag").unwrap().to_string()));
    }
    for (want_a, etag_a) in &etags {
        for (want_b, etag_b) in &etags {
            assert_eq!(want_a == want_b, etag_a == etag_b, "{want_a} / {want_b}");
        }
    }
    // A fixed format is one variant for everyone, without Vary: Accept.
    let mut fixed = Vec::new();
    for (client, accept, _) in CLIENTS {
        let r = get_as(&f, "/cat.jpg?w=120&fm=webp", *accept).await;
        assert_eq!(r.header("content-type"), Some("image/webp"), "{client}");
        assert!(!varies_on_accept(&r), "{client}");
        fixed.push(r.header("etag").unwrap().to_string());
    }
    assert!(fixed.iter().all(|e| e == &fixed[0]), "{fixed:?}");
    assert!(etags.iter().all(|(_, e)| e != &fixed[0]));
}

#[tokio::test]
async fn the_edge_class_header_wins_over_accept() {
    let f = app(Config::default()).await;
    let r = f
        .get_with(
            "/cat.jpg?w=60&fm=auto",
            &[("x-image-accept", "webp"), ("accept", CHROME)],
        )
        .await;
    assert_eq!(r.header("content-type"), Some("image/webp"));
    let r = f
        .get_with("/cat.jpg?w=60&fm=auto", &[("x-image-accept", "other")])
        .await;
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
}

#[tokio::test]
async fn revalidation_and_head_carry_vary_too() {
    let f = app(Config::default()).await;
    let first = get_as(&f, "/cat.jpg?w=80&fm=auto", Some(CHROME)).await;
    let etag = first.header("etag").unwrap().to_string();
    let r = f
        .get_with(
            "/cat.jpg?w=80&fm=auto",
            &[("accept", CHROME), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(r.status, 304);
    assert!(varies_on_accept(&r));
    // The same ETag from a client of another class is not a match: it gets its format.
    let r = f
        .get_with(
            "/cat.jpg?w=80&fm=auto",
            &[("accept", CURL), ("if-none-match", &etag)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    let head = f
        .send(
            Request::head("/cat.jpg?w=80&fm=auto")
                .header("accept", FIREFOX_OLD)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-type"), Some("image/webp"));
    assert!(varies_on_accept(&head));
}

/// Frames in an animated WebP or a GIF (1 for a still).
fn frames(body: &[u8]) -> usize {
    use image::AnimationDecoder;
    let cursor = std::io::Cursor::new(body);
    match sniffed(body) {
        "image/gif" => image::codecs::gif::GifDecoder::new(cursor)
            .unwrap()
            .into_frames()
            .count(),
        "image/webp" => {
            let decoder = image::codecs::webp::WebPDecoder::new(cursor).unwrap();
            if decoder.has_animation() {
                decoder.into_frames().count()
            } else {
                1
            }
        }
        _ => 1,
    }
}

#[tokio::test]
async fn animations_stay_animated_and_alpha_or_few_colours_give_png() {
    let f = app(Config::default()).await;
    let original = frames(sample("rotating-squares.gif"));
    assert!(original > 1);
    for (accept, want) in [
        (CHROME, "image/webp"),
        (FIREFOX_OLD, "image/webp"),
        (CURL, "image/gif"),
    ] {
        let r = get_as(&f, "/squares.gif?w=40&fm=auto", Some(accept)).await;
        assert_eq!(r.header("content-type"), Some(want), "{accept}");
        // Repeated frames may be merged into longer ones, so the count may drop.
        let n = frames(&r.body);
        assert!(
            n > 1 && n <= original,
            "{accept}: still animated ({n} frames)"
        );
    }
    // For a client of neither AVIF nor WebP: alpha → PNG, a few-colour PNG → PNG, a
    // photo (JPEG or PNG) → JPEG, and a JPEG given alpha by the query → PNG.
    for (path, want) in [
        ("/bug.png?w=200&fm=auto", "image/png"),
        ("/flag.png?w=90&fm=auto", "image/png"),
        ("/photo.png?w=60&fm=auto", "image/jpeg"),
        ("/photo.png?w=60&ea=0.5&fm=auto", "image/png"),
        ("/cat.jpg?w=100&fm=auto", "image/jpeg"),
        ("/cat.jpg?w=100&ea=0.5&fm=auto", "image/png"),
    ] {
        let r = get_as(&f, path, Some(OLD_EDGE)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(want), "{path}");
        assert_eq!(sniffed(&r.body), want, "{path}");
    }
}

#[tokio::test]
async fn avif_over_the_budget_is_webp_and_says_so() {
    let tiny = app(Config {
        avif_budget_ms: 1,
        ..Config::default()
    })
    .await;
    let r = get_as(&tiny, "/cat.jpg?w=300&fm=auto", Some(CHROME)).await;
    assert_eq!(r.header("content-type"), Some("image/webp"));
    assert_eq!(
        r.header("x-image-format-fallback"),
        Some("avif-over-budget")
    );
    assert!(varies_on_accept(&r));
    let again = get_as(&tiny, "/cat.jpg?w=300&fm=auto", Some(CHROME)).await;
    assert_eq!(
        again.header("etag"),
        r.header("etag"),
        "the estimate is stable"
    );
    // An explicit fm=avif is honoured whatever the budget.
    let r = get_as(&tiny, "/cat.jpg?w=300&fm=avif", Some(CHROME)).await;
    assert_eq!(r.header("content-type"), Some("image/avif"));
    assert_eq!(r.header("x-image-format-fallback"), None);
    // Within the default budget: AVIF, no header, and another ETag (the budget is part
    // of the negotiated key).
    let normal = app(Config::default()).await;
    let within = get_as(&normal, "/cat.jpg?w=300&fm=auto", Some(CHROME)).await;
    assert_eq!(within.header("content-type"), Some("image/avif"));
    assert_eq!(within.header("x-image-format-fallback"), None);
    assert_ne!(within.header("etag"), again.header("etag"));
}

#[tokio::test]
async fn a_result_cache_hit_says_again_that_avif_fell_back() {
    let f = TestApp::cached(Config {
        avif_budget_ms: 1,
        ..Config::default()
    });
    f.put(
        "cat.jpg",
        sample("progressive_3.jpg").to_vec(),
        "image/jpeg",
    )
    .await;
    let path = "/cat.jpg?w=300&fm=auto";
    let miss = get_as(&f, path, Some(CHROME)).await;
    let hit = get_as(&f, path, Some(CHROME)).await;
    assert_eq!(miss.header("x-result-cache"), Some("miss"));
    assert_eq!(hit.header("x-result-cache"), Some("hit"));
    for r in [&miss, &hit] {
        assert_eq!(r.header("content-type"), Some("image/webp"));
        assert_eq!(
            r.header("x-image-format-fallback"),
            Some("avif-over-budget")
        );
        assert!(varies_on_accept(r));
    }
    // A WebP the class asked for is no fallback, on a hit either.
    let webp = "/cat.jpg?w=300&fm=auto";
    get_as(&f, webp, Some(SAFARI_15)).await;
    let hit = get_as(&f, webp, Some(SAFARI_15)).await;
    assert_eq!(hit.header("x-result-cache"), Some("hit"));
    assert_eq!(hit.header("content-type"), Some("image/webp"));
    assert_eq!(hit.header("x-image-format-fallback"), None);
}

#[tokio::test]
async fn auto_format_setting_makes_auto_the_default_for_transforms_only() {
    let f = app(Config {
        auto_format: true,
        ..Config::default()
    })
    .await;
    let r = get_as(&f, "/cat.jpg?w=100", Some(CHROME)).await;
    assert_eq!(r.header("content-type"), Some("image/avif"));
    assert!(varies_on_accept(&r));
    let explicit = get_as(&f, "/cat.jpg?w=100&fm=auto", Some(CHROME)).await;
    assert_eq!(explicit.header("etag"), r.header("etag"));
    let png = get_as(&f, "/cat.jpg?w=100&fm=png", Some(CHROME)).await;
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert!(!varies_on_accept(&png));
    let original = get_as(&f, "/cat.jpg", Some(CHROME)).await;
    assert_eq!(original.body, sample("progressive_3.jpg"));
    assert!(!varies_on_accept(&original));
    // Off (the default), an absent fm keeps the original's format.
    let off = app(Config::default()).await;
    let r = get_as(&off, "/cat.jpg?w=100", Some(CHROME)).await;
    assert_eq!(r.header("content-type"), Some("image/jpeg"));
    assert!(!varies_on_accept(&r));
}

#[tokio::test]
async fn a_preset_is_the_same_variant_as_its_spelled_out_query() {
    let f = app(Config::default()).await;
    let preset = f.get("/cat.jpg?preset=thumb").await;
    let spelled = f.get("/cat.jpg?f=cover&w=200&h=200").await;
    assert_eq!(preset.status, 200, "{}", preset.text());
    assert_eq!(preset.header("etag"), spelled.header("etag"));
    assert_eq!(preset.body, spelled.body);
    let img = image::load_from_memory(&preset.body).unwrap();
    assert_eq!((img.width(), img.height()), (200, 200));
    // The query's own keys win over the preset's.
    let wider = f.get("/cat.jpg?preset=thumb&w=150").await;
    let img = image::load_from_memory(&wider.body).unwrap();
    assert_eq!((img.width(), img.height()), (150, 200));
    assert_ne!(wider.header("etag"), preset.header("etag"));
    // Later presets win: card at dpr 2 is 1200×800, but the original is 650×470 and
    // is never enlarged, so the cover crop keeps card's 3:2 at the original's width.
    let r = f.get("/cat.jpg?preset=card,retina").await;
    let img = image::load_from_memory(&r.body).unwrap();
    assert!(img.width() <= 650 && img.height() <= 470, "{img:?}");
}

#[tokio::test]
async fn an_unknown_preset_is_a_400_naming_it_and_listing_the_others() {
    let f = app(Config::default()).await;
    let r = f.get("/cat.jpg?preset=thumb,huge").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "invalid-parameter");
    let text = r.text();
    for needle in ["'preset'", "huge", "avatar", "card", "thumb"] {
        assert!(text.contains(needle), "{text}");
    }
}

const KEYS: &str = "k1:0123456789abcdef0123";

/// `/cat.jpg?<query>` signed with [`KEYS`].
fn signed(query: &str) -> String {
    let url = signing::sign(
        &parse_keys(KEYS).unwrap(),
        "cat.jpg",
        &query::pairs(query),
        None,
    )
    .unwrap();
    format!("/cat.jpg?{}", url.split_once('?').unwrap().1)
}

#[tokio::test]
async fn presets_only_mode_serves_unsigned_presets_and_signed_anything() {
    let f = app(Config {
        presets_only_unsigned: true,
        signing: SigningMode::Required,
        signing_keys: parse_keys(KEYS).unwrap(),
        ..Config::default()
    })
    .await;
    for path in [
        "/cat.jpg?preset=thumb",
        "/cat.jpg?preset=avatar&fm=auto&v=3",
        "/cat.jpg",
    ] {
        let r = get_as(&f, path, Some(CHROME)).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    for path in [
        "/cat.jpg?w=10",
        "/cat.jpg?preset=thumb&w=10",
        "/cat.jpg?fm=auto",
    ] {
        let r = f.get(path).await;
        assert_eq!(r.status, 403, "{path}");
        assert_eq!(r.error_code(), "presets-only", "{path}");
        assert!(r.text().contains("Only presets"), "{}", r.text());
    }
    let r = f.get(&signed("w=10&preset=thumb")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let img = image::load_from_memory(&r.body).unwrap();
    assert_eq!(img.width(), 10);
    // A forged signature is still refused as one.
    let r = f.get("/cat.jpg?w=10&s=AAAA").await;
    assert_eq!(r.error_code(), "invalid-signature");
}
