//! Issue 18 part 4 through the router: `p=face` with its `X-Image-Crop` header, the
//! fallback to attention on a photo without a face, `fp`, and their 400s.
//!
//! The scene is the astronaut portrait (`tests/fixtures/faces/astronaut.jpg`, NASA,
//! public domain) scaled to 360 px on the left half of a 720×360 noisy canvas, stored
//! as PNG, so a 240×360 cover crop of it is an exact window of the stored pixels: the
//! test finds that window in the scene and checks it holds the face measured by hand.

use image::{DynamicImage, RgbImage};
use image_service::samples::sample;
use image_service::Config;
use test_support::*;

/// The face in the scene (left, top, right, bottom): the hand-measured box of the
/// 512×512 portrait (178, 72)-(272, 182), scaled by 360/512.
const FACE: (f64, f64, f64, f64) = (125.2, 50.6, 191.3, 128.0);

fn scene_png() -> Vec<u8> {
    let path = handler_tests_dir("fixtures/faces/astronaut.jpg");
    let portrait = image::open(&path).unwrap().to_rgb8();
    let portrait =
        image::imageops::resize(&portrait, 360, 360, image::imageops::FilterType::Triangle);
    let mut scene = RgbImage::from_fn(720, 360, |x, y| {
        let hash =
            (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)).wrapping_mul(2_654_435_761);
        let v = 96 + (hash >> 27) as u8;
        image::Rgb([v, v, v + 6])
    });
    image::imageops::replace(&mut scene, &portrait, 0, 0);
    let mut out = std::io::Cursor::new(Vec::new());
    scene.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn app(config: Config) -> (TestApp, RgbImage) {
    let f = TestApp::open(config);
    let scene = scene_png();
    f.put("scene.png", scene.clone(), "image/png").await;
    f.put(
        "landscape.jpg",
        sample("Landscape_6.jpg").to_vec(),
        "image/jpeg",
    )
    .await;
    (f, decode(&scene).to_rgb8())
}

/// The left edge of the window `out` is of `scene` (same height), pixel for pixel.
fn window_left(scene: &RgbImage, out: &DynamicImage) -> u32 {
    let out = out.to_rgb8();
    assert_eq!(out.height(), scene.height());
    (0..=scene.width() - out.width())
        .find(|&x| {
            (0..out.height()).all(|y| {
                (0..out.width()).all(|xx| scene.get_pixel(x + xx, y) == out.get_pixel(xx, y))
            })
        })
        .expect("the output is a window of the scene")
}

fn keeps_face(left: u32, width: u32) -> bool {
    f64::from(left) <= FACE.0 && FACE.2 <= f64::from(left + width)
}

#[tokio::test]
async fn p_face_keeps_the_face_and_says_so() {
    let (f, scene) = app(Config::default()).await;
    let r = f.get("/scene.png?w=240&h=360&p=face").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-image-crop"), Some("face"));
    assert_eq!(r.header("content-type"), Some("image/png"));
    let left = window_left(&scene, &decode(&r.body));
    assert!(keeps_face(left, 240), "the crop at x={left} cuts the face");

    // Centre gravity: no header, and the same check sees the face cut off.
    let r = f.get("/scene.png?w=240&h=360").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-image-crop"), None);
    let left = window_left(&scene, &decode(&r.body));
    assert!(!keeps_face(left, 240), "centre keeps the face at x={left}");
}

#[tokio::test]
async fn without_a_face_p_face_is_p_attention() {
    let (f, _) = app(Config::default()).await;
    let face = f.get("/landscape.jpg?w=200&h=200&p=face").await;
    assert_eq!(face.status, 200, "{}", face.text());
    assert_eq!(face.header("x-image-crop"), Some("attention"));
    let attention = f.get("/landscape.jpg?w=200&h=200&p=attention").await;
    assert_eq!(attention.header("x-image-crop"), None);
    assert!(
        face.body == attention.body,
        "p=face differs from p=attention"
    );
    let centre = f.get("/landscape.jpg?w=200&h=200").await;
    assert!(
        centre.body != attention.body,
        "attention crops at the centre: the comparison proves nothing"
    );
    // Different queries, different variants.
    assert_ne!(face.header("etag"), attention.header("etag"));
}

#[tokio::test]
async fn no_cover_crop_no_header() {
    let (f, _) = app(Config::default()).await;
    for q in [
        "w=200&p=face",
        "w=240&h=360&f=contain&p=face",
        "w=240&h=360&f=fill&p=face",
    ] {
        let r = f.get(&format!("/scene.png?{q}")).await;
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        assert_eq!(r.header("x-image-crop"), None, "{q}");
    }
}

/// The header says what this request's render did: a variant served from the result
/// cache was not cropped by this request and carries none.
#[tokio::test]
async fn a_result_cache_hit_carries_no_crop_header() {
    let f = TestApp::cached(Config::default());
    f.put("scene.png", scene_png(), "image/png").await;
    let first = f.get("/scene.png?w=240&h=360&p=face").await;
    assert_eq!(first.header("x-result-cache"), Some("miss"));
    assert_eq!(first.header("x-image-crop"), Some("face"));
    let again = f.get("/scene.png?w=240&h=360&p=face").await;
    assert_eq!(again.header("x-result-cache"), Some("hit"));
    assert_eq!(again.header("x-image-crop"), None);
    assert!(again.body == first.body);
}

#[tokio::test]
async fn fp_places_the_crop() {
    let (f, scene) = app(Config::default()).await;
    // The face's centre is at x 158 of 720: fp=0.22 centres the 240 px window there.
    let r = f.get("/scene.png?w=240&h=360&fp=0.22,0.3").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-image-crop"), None);
    let left = window_left(&scene, &decode(&r.body));
    assert_eq!(left, 38);
    assert!(keeps_face(left, 240));
    // Corners clamp; the middle is centre gravity, byte for byte.
    for (fp, want) in [("0,0", 0), ("1,1", 480), ("0.5,0.5", 240)] {
        let r = f.get(&format!("/scene.png?w=240&h=360&fp={fp}")).await;
        assert_eq!(window_left(&scene, &decode(&r.body)), want, "fp={fp}");
    }
    let middle = f.get("/scene.png?w=240&h=360&fp=0.5,0.5").await;
    let centre = f.get("/scene.png?w=240&h=360").await;
    assert!(middle.body == centre.body);
    let off = f.get("/scene.png?w=240&h=360&fp=0.6,0.5").await;
    assert!(off.body != centre.body, "fp=0.6 crops at the centre");
}

#[tokio::test]
async fn bad_fp_and_fp_with_p_are_400s_naming_the_key() {
    let (f, _) = app(Config::default()).await;
    let cases = [
        ("w=240&h=360&fp=1.5,0.5", "fp", "two numbers 0-1"),
        ("w=240&h=360&fp=0.5", "fp", "two numbers 0-1"),
        ("w=240&h=360&fp=0.3,0.7&p=face", "fp", "no p alongside it"),
        ("w=240&h=360&fp=0.3,0.7&p=north", "fp", "no p alongside it"),
        ("w=240&h=360&p=faces", "p", "entropy, attention or face"),
    ];
    for (q, key, says) in cases {
        let r = f.get(&format!("/scene.png?{q}")).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.error_code(), "invalid-parameter", "{q}");
        let message = r.json()["message"].as_str().unwrap_or("").to_string();
        assert!(message.contains(&format!("'{key}'")), "{q}: {message}");
        assert!(message.contains(says), "{q}: {message}");
    }
}
