//! Issue 18 parts 1 and 2 through the router: `fm=json` (metadata from the header, the
//! EXIF subset, GPS only when the deployment allows it, the transform case), and the
//! placeholders `fm=thumbhash` and `fm=blurhash` (`bhc`), each a variant like any other
//! (ETag, result cache, no `Vary: Accept`).

use image::DynamicImage;
use image_service::codecs::{self, DecodeOptions};
use image_service::insight::placeholders::{blurhash, small_rgba, thumbhash};
use image_service::params::BlurComponents;
use image_service::samples::sample;
use image_service::Config;
use test_support::*;

const IPHONE: &[u8] = include_bytes!("fixtures/exif/iphone-4s-gps.jpg");
const CANON: &[u8] = include_bytes!("fixtures/exif/canon-eos-t4i.jpg");
const CHROME: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

async fn app(config: Config) -> TestApp {
    seeded(TestApp::open(config)).await
}

async fn seeded(f: TestApp) -> TestApp {
    for (key, name) in [
        ("landscape.jpg", "Landscape_6.jpg"),
        ("cat.jpg", "progressive_3.jpg"),
        ("bug.png", "blackbug.png"),
        ("flag.png", "Flag_of_the_Netherlands-16bit.png"),
        ("squares.gif", "rotating-squares.gif"),
    ] {
        f.put(key, sample(name).to_vec(), "application/octet-stream")
            .await;
    }
    f.put("iphone.jpg", IPHONE.to_vec(), "image/jpeg").await;
    f.put("canon.jpg", canon_jpeg(), "image/jpeg").await;
    f.put("big.png", big_png(), "image/png").await;
    f
}

/// A decodable JPEG carrying the Canon camera's EXIF: the fixture keeps only the
/// segments before the image data, so its APP1 segment goes right after the SOI of a
/// small JPEG of ours.
fn canon_jpeg() -> Vec<u8> {
    assert_eq!(&CANON[..4], &[0xFF, 0xD8, 0xFF, 0xE1]);
    let app1_len = 2 + usize::from(u16::from_be_bytes([CANON[4], CANON[5]]));
    let img = image::RgbImage::from_fn(48, 32, |x, y| image::Rgb([x as u8 * 5, y as u8 * 7, 120]));
    let mut jpeg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
    let jpeg = jpeg.into_inner();
    [&jpeg[..2], &CANON[2..2 + app1_len], &jpeg[2..]].concat()
}

/// 3000×2000 grey (6 MP): over the small-decode budget of a format that cannot shrink
/// while decoding, so `fm=json` alone must answer from its header.
fn big_png() -> Vec<u8> {
    let img = image::GrayImage::from_fn(3000, 2000, |x, y| {
        image::Luma([((x / 100 + y / 100) % 2 * 200) as u8 + 20])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn timing_has(r: &TestResponse, phase: &str) -> bool {
    r.header("server-timing").is_some_and(|t| {
        t.split(',')
            .any(|p| p.trim().starts_with(&format!("{phase};")))
    })
}

fn varies(r: &TestResponse) -> bool {
    r.headers.get_all("vary").iter().count() > 0
}

async fn json(f: &TestApp, path: &str) -> serde_json::Value {
    let r = f.get(path).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
    r.json()
}

fn is_hex_colour(v: &serde_json::Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 7
            && s.starts_with('#')
            && s[1..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

#[tokio::test]
async fn json_describes_an_oriented_photo_from_its_header() {
    let f = app(Config::default()).await;
    let r = f.get("/landscape.jpg?fm=json").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.header("etag").is_some() && r.header("cache-control").is_some());
    assert!(!varies(&r));
    let j = r.json();
    assert_eq!(j["format"], "jpeg");
    // Stored 450×600 with orientation 6: delivered upright, 600×450.
    assert_eq!(
        (j["width"].as_u64(), j["height"].as_u64()),
        (Some(600), Some(450))
    );
    assert_eq!(
        (j["stored_width"].as_u64(), j["stored_height"].as_u64()),
        (Some(450), Some(600))
    );
    assert_eq!(j["orientation"], 6);
    assert_eq!(j["frames"], 1);
    assert_eq!(j["has_alpha"], false);
    assert_eq!(j["bit_depth"], 8);
    assert_eq!(j["colour_space"], "srgb");
    assert_eq!(j["icc_profile"], "Generic RGB Profile");
    assert_eq!(
        j["file_size"].as_u64(),
        Some(sample("Landscape_6.jpg").len() as u64)
    );
    assert!(j.get("duration_ms").is_none() && j.get("gps").is_none());
    assert!(is_hex_colour(&j["dominant_colour"]), "{j}");
}

#[tokio::test]
async fn json_for_other_formats_animation_alpha_and_depth() {
    let f = app(Config::default()).await;
    let gif = json(&f, "/squares.gif?fm=json").await;
    assert_eq!(gif["format"], "gif");
    assert!(gif["frames"].as_u64().unwrap() > 1, "{gif}");
    assert!(gif["duration_ms"].as_u64().unwrap() > 0, "{gif}");
    assert_eq!(gif["has_alpha"], true);
    let flag = json(&f, "/flag.png?fm=json").await;
    assert_eq!(
        (flag["bit_depth"].as_u64(), flag["has_alpha"].as_bool()),
        (Some(16), Some(false))
    );
    assert_eq!(
        (flag["width"].as_u64(), flag["height"].as_u64()),
        (Some(900), Some(600))
    );
    // The Dutch flag's stripes are equal; red, white and blue each a third: the
    // dominant colour is one of the three, never their mean.
    let colour = flag["dominant_colour"].as_str().unwrap().to_string();
    assert!(
        ["#ae1c28", "#ffffff", "#21468b"].contains(&colour.as_str()),
        "{colour}"
    );
    let bug = json(&f, "/bug.png?fm=json").await;
    assert_eq!(
        (bug["has_alpha"].as_bool(), bug["bit_depth"].as_u64()),
        (Some(true), Some(8))
    );
}

#[tokio::test]
async fn exif_subset_without_serials_and_gps_only_when_the_deployment_allows() {
    let off = app(Config::default()).await;
    let on = app(Config {
        metadata_gps: true,
        ..Config::default()
    })
    .await;
    let canon = json(&off, "/canon.jpg?fm=json").await;
    let exif = &canon["exif"];
    assert_eq!(exif["make"], "Canon");
    assert_eq!(exif["model"], "Canon EOS REBEL T4i");
    assert_eq!(exif["lens"], "EF-S18-55mm f/3.5-5.6 IS II");
    assert_eq!(exif["date_taken"], "2012-12-21T11:15:19");
    // The body's serial number and firmware are in the file; never in the answer.
    let text = canon.to_string();
    let stored = canon_jpeg();
    for secret in ["DA1474845", "Firmware"] {
        assert!(
            stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} in the file"
        );
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }

    let path = "/iphone.jpg?fm=json";
    let hidden = off.get(path).await;
    let shown = on.get(path).await;
    let (hidden_json, shown_json) = (hidden.json(), shown.json());
    assert!(hidden_json.get("gps").is_none(), "{hidden_json}");
    let gps = &shown_json["gps"];
    let (lat, lon) = (
        gps["latitude"].as_f64().unwrap(),
        gps["longitude"].as_f64().unwrap(),
    );
    assert!(
        (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon),
        "{gps}"
    );
    assert!(lat != 0.0 && lon != 0.0, "{gps}");
    assert_eq!(hidden_json["exif"], shown_json["exif"]);
    assert_eq!(shown_json["exif"]["make"], "Apple");
    assert_eq!(shown_json["exif"]["model"], "iPhone 4S");
    // The setting is part of the variant: a cached answer with the position can never
    // be served to a deployment that turned it off.
    assert_ne!(hidden.header("etag"), shown.header("etag"));
}

#[tokio::test]
async fn with_transform_parameters_json_describes_the_result() {
    let f = app(Config::default()).await;
    let j = json(&f, "/cat.jpg?w=100&fm=json").await;
    let image = f.get("/cat.jpg?w=100").await;
    let rendered = image::load_from_memory(&image.body).unwrap();
    assert_eq!(j["width"], 100);
    assert_eq!(j["height"].as_u64(), Some(u64::from(rendered.height())));
    assert_eq!(
        (j["stored_width"].as_u64(), j["stored_height"].as_u64()),
        (Some(650), Some(470))
    );
    assert_eq!(j["format"], "jpeg");
    // The format the other parameters would write, and the size after every step.
    let j = json(&f, "/cat.jpg?w=100&r=90&fm=json&q=50").await;
    assert_eq!(
        (j["width"].as_u64(), j["height"].as_u64()),
        (Some(u64::from(rendered.height())), Some(100))
    );
    let j = json(&f, "/bug.png?w=64&ra&fm=json").await;
    assert_eq!(
        (j["format"].as_str(), j["width"].as_u64()),
        (Some("png"), Some(64))
    );
    let j = json(&f, "/landscape.jpg?fm=json&w=60&h=60").await;
    assert_eq!(
        (j["width"].as_u64(), j["height"].as_u64()),
        (Some(60), Some(60))
    );
    assert_eq!(j["orientation"], 6);
}

/// A 6 MP PNG: `fm=json` answers from the header (no decode phase, no dominant colour),
/// even under a pixel limit that refuses to decode it; with a resize it decodes.
#[tokio::test]
async fn a_big_image_is_described_from_its_header_without_decoding() {
    let f = app(Config::default()).await;
    let r = f.get("/big.png?fm=json").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (j["width"].as_u64(), j["height"].as_u64()),
        (Some(3000), Some(2000))
    );
    assert!(j.get("dominant_colour").is_none(), "{j}");
    assert!(timing_has(&r, "store"), "{:?}", r.header("server-timing"));
    for phase in ["decode", "ops"] {
        assert!(
            !timing_has(&r, phase),
            "{phase}: {:?}",
            r.header("server-timing")
        );
    }
    // The same check sees a decode when there is one.
    let resized = f.get("/big.png?w=100&fm=json").await;
    assert!(
        timing_has(&resized, "decode"),
        "{:?}",
        resized.header("server-timing")
    );
    assert!(is_hex_colour(&resized.json()["dominant_colour"]));
    // A JPEG shrinks while decoding (1/8): its small decode is always done.
    let cat = f.get("/cat.jpg?fm=json").await;
    assert!(timing_has(&cat, "decode") && is_hex_colour(&cat.json()["dominant_colour"]));

    let strict = app(Config {
        max_input_pixels: 1_000_000,
        ..Config::default()
    })
    .await;
    let r = strict.get("/big.png?fm=json").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["width"], 3000);
    let refused = strict.get("/big.png?w=100").await;
    assert_eq!(
        (refused.status, refused.error_code().as_str()),
        (413, "image-too-large")
    );
}

fn decoded(bytes: &[u8]) -> DynamicImage {
    let d = codecs::decode(bytes, &DecodeOptions::default()).unwrap();
    d.frames.into_iter().next().unwrap().image
}

#[tokio::test]
async fn placeholders_are_the_hashes_of_the_small_image() {
    let f = app(Config::default()).await;
    let small = small_rgba(&decoded(sample("blackbug.png")));
    let r = f.get("/bug.png?fm=thumbhash").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(!varies(&r));
    assert_eq!(r.text(), thumbhash(&small).unwrap());
    let bytes = base64_decode(&r.text());
    assert!((5..=25).contains(&bytes.len()), "{} bytes", bytes.len());
    let other = f.get("/flag.png?fm=thumbhash").await;
    assert_ne!(other.text(), r.text(), "another image, another hash");

    let r = f.get("/bug.png?fm=blurhash").await;
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        r.text(),
        blurhash(&small, BlurComponents { x: 4, y: 3 }).unwrap()
    );
    assert_eq!(r.text().len(), 4 + 2 * 4 * 3);
    let nine = f.get("/bug.png?fm=blurhash&bhc=9x9").await;
    assert_eq!(
        nine.text(),
        blurhash(&small, BlurComponents { x: 9, y: 9 }).unwrap()
    );
    assert_eq!(nine.text().len(), 4 + 2 * 81);
    assert_ne!(nine.header("etag"), r.header("etag"));
    // bhc=4x3 is the default: the same hash (a separate variant key, same bytes).
    let explicit = f.get("/bug.png?fm=blurhash&bhc=4x3").await;
    assert_eq!(explicit.text(), r.text());
    // With a transform, the hash is of the transformed image.
    let flopped = f.get("/bug.png?flop&fm=blurhash").await;
    assert_ne!(flopped.text(), r.text());
    // An oriented JPEG is hashed upright and after its 1/8 decode; any size works.
    for path in [
        "/landscape.jpg?fm=thumbhash",
        "/squares.gif?fm=blurhash&bhc=1x1",
        "/big.png?fm=thumbhash",
    ] {
        let r = f.get(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(!r.text().is_empty());
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|e| panic!("not standard base64 ({e}): {text}"))
}

#[tokio::test]
async fn a_bad_bhc_is_a_400_naming_it() {
    let f = app(Config::default()).await;
    for value in ["0x3", "10x3", "4x0", "4", "4x3x1", "abc", ""] {
        let r = f.get(&format!("/bug.png?fm=blurhash&bhc={value}")).await;
        assert_eq!(r.status, 400, "bhc={value}");
        assert_eq!(r.error_code(), "invalid-parameter");
        assert!(
            r.json()["message"].as_str().unwrap().contains("'bhc'"),
            "{}",
            r.text()
        );
    }
    let r = f.get("/bug.png?fm=placeholder").await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("thumbhash"), "{}", r.text());
}

#[tokio::test]
async fn descriptions_are_cached_variants_without_vary() {
    let f = seeded(TestApp::cached(Config::default())).await;
    for path in [
        "/cat.jpg?fm=json",
        "/cat.jpg?w=120&fm=json",
        "/cat.jpg?fm=thumbhash",
        "/cat.jpg?fm=blurhash&bhc=3x3",
    ] {
        let first = f.get(path).await;
        assert_eq!(first.status, 200, "{path}: {}", first.text());
        assert_eq!(first.header("x-result-cache"), Some("miss"), "{path}");
        let second = f.get(path).await;
        assert_eq!(second.header("x-result-cache"), Some("hit"), "{path}");
        assert_eq!(second.body, first.body, "{path}");
        for h in ["etag", "content-type", "cache-control"] {
            assert_eq!(second.header(h), first.header(h), "{path} {h}");
        }
        for phase in ["decode", "ops", "encode"] {
            assert!(!timing_has(&second, phase), "{path}: a hit ran {phase}");
        }
        let etag = first.header("etag").unwrap();
        let again = f.get_with(path, &[("if-none-match", etag)]).await;
        assert_eq!(again.status, 304, "{path}");
    }
}

/// `Accept` does not change a description, even where `fm=auto` is the default, and
/// `fm=auto` itself still negotiates.
#[tokio::test]
async fn accept_and_auto_format_leave_descriptions_alone() {
    let f = app(Config {
        auto_format: true,
        ..Config::default()
    })
    .await;
    let mut etags = Vec::new();
    for accept in [CHROME, "image/webp,*/*", "*/*"] {
        let r = f
            .get_with("/cat.jpg?w=80&fm=json", &[("accept", accept)])
            .await;
        assert_eq!(r.status, 200);
        assert!(!varies(&r), "{accept}");
        assert_eq!(
            r.json()["format"],
            "jpeg",
            "the format without fm: the input's"
        );
        etags.push(r.header("etag").unwrap().to_string());
    }
    assert!(etags.iter().all(|e| e == &etags[0]), "{etags:?}");
    let auto = f.get_with("/cat.jpg?w=80", &[("accept", CHROME)]).await;
    assert_eq!(auto.header("content-type"), Some("image/avif"));
    assert!(varies(&auto));
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let f = app(Config::default()).await;
    let get = f.get("/cat.jpg?fm=thumbhash").await;
    let head = f
        .send(
            axum::http::Request::head("/cat.jpg?fm=thumbhash")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), get.header("etag"));
    assert_eq!(head.header("content-type"), get.header("content-type"));
}
