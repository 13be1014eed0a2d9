//! Faces at known places: the astronaut portrait (`tests/fixtures/faces/astronaut.jpg`,
//! NASA, public domain) pasted on a noisy grey canvas at the left, right, top or bottom.
//! Where its face is was measured by hand on the 512×512 portrait, not by the detector,
//! so the crop checks judge the detector too; each one also runs on the wrong answer
//! (centre gravity, the union or the largest face alone) and sees it fail.

use super::*;
use crate::ops::geometry::resize::{resample, Resize};
use crate::ops::testutil::{all_variants, fixture};
use crate::params::{Fit, FocalPoint, Gravity, Kernel, Position, Rgba, Strategy};
use image::RgbImage;

/// The face in the 512×512 portrait, measured by hand: hairline to chin, ear to ear.
const PORTRAIT_FACE: Rect = Rect {
    left: 178.0,
    top: 72.0,
    right: 272.0,
    bottom: 182.0,
};

/// The whole portrait, and a head-and-shoulders cut of it (left, top, width, height).
const WHOLE: (u32, u32, u32, u32) = (0, 0, 512, 512);
const HEAD: (u32, u32, u32, u32) = (130, 20, 190, 220);

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Rect {
    fn width(&self) -> f64 {
        self.right - self.left
    }

    fn centre(&self) -> (f64, f64) {
        (
            (self.left + self.right) / 2.0,
            (self.top + self.bottom) / 2.0,
        )
    }

    fn scaled(&self, s: f64) -> Rect {
        Rect {
            left: self.left * s,
            top: self.top * s,
            right: self.right * s,
            bottom: self.bottom * s,
        }
    }

    fn contains(&self, (x, y): (f64, f64)) -> bool {
        (self.left..=self.right).contains(&x) && (self.top..=self.bottom).contains(&y)
    }

    /// Whether the whole rect lies in the window at `corner`.
    fn inside(&self, corner: (u32, u32), window: (u32, u32)) -> bool {
        let (l, t) = (f64::from(corner.0), f64::from(corner.1));
        self.left >= l
            && self.top >= t
            && self.right <= l + f64::from(window.0)
            && self.bottom <= t + f64::from(window.1)
    }
}

fn portrait() -> DynamicImage {
    fixture("faces/astronaut.jpg")
}

/// Grey noise (from a hash, so no window of it repeats elsewhere).
fn canvas(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let hash =
            (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)).wrapping_mul(2_654_435_761);
        let v = 96 + (hash >> 27) as u8;
        image::Rgb([v, v, v + 6])
    })
}

/// The part `from` of the portrait, scaled by `scale`, its top-left corner at `at`.
struct Paste {
    from: (u32, u32, u32, u32),
    scale: f64,
    at: (u32, u32),
}

/// A canvas of `size` with the pastes on it, and where each paste's face is.
fn scene(size: (u32, u32), pastes: &[Paste]) -> (DynamicImage, Vec<Rect>) {
    let source = portrait().to_rgb8();
    let mut img = canvas(size.0, size.1);
    let mut faces = Vec::new();
    for p in pastes {
        let (fx, fy, fw, fh) = p.from;
        let part = image::imageops::crop_imm(&source, fx, fy, fw, fh).to_image();
        let (w, h) = (
            (f64::from(fw) * p.scale).round() as u32,
            (f64::from(fh) * p.scale).round() as u32,
        );
        let part = image::imageops::resize(&part, w, h, image::imageops::FilterType::Triangle);
        image::imageops::replace(&mut img, &part, i64::from(p.at.0), i64::from(p.at.1));
        let place =
            |v: f64, origin: u32, at: u32| f64::from(at) + (v - f64::from(origin)) * p.scale;
        faces.push(Rect {
            left: place(PORTRAIT_FACE.left, fx, p.at.0),
            top: place(PORTRAIT_FACE.top, fy, p.at.1),
            right: place(PORTRAIT_FACE.right, fx, p.at.0),
            bottom: place(PORTRAIT_FACE.bottom, fy, p.at.1),
        });
    }
    (DynamicImage::ImageRgb8(img), faces)
}

fn resize(w: u32, h: u32, position: Position, focal_point: Option<FocalPoint>) -> Resize {
    Resize {
        width: Some(w),
        height: Some(h),
        fit: Fit::Cover,
        position,
        focal_point,
        background: Rgba::BLACK,
        kernel: Kernel::Lanczos3,
    }
}

const FACE: Position = Position::Strategy(Strategy::Face);
const CENTRE: Position = Position::Gravity(Gravity::Center);

/// Where a cover crop went: `r` on `img`, then the output found in the resampled image.
struct Crop {
    corner: (u32, u32),
    window: (u32, u32),
    scaled: (u32, u32),
    /// Resampled size over source size.
    scale: f64,
    used: Option<Strategy>,
}

fn crop_of(img: &DynamicImage, r: &Resize) -> Crop {
    let g = r.geometry((img.width(), img.height()));
    let window = g.crop.expect("a cover crop");
    let lanczos3 = fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3);
    let scaled = resample(img, g.scaled, lanczos3).unwrap().to_rgb8();
    let mut out = [img.clone()];
    let used = r.apply_reporting(&mut out, None, None).unwrap();
    let out = out[0].to_rgb8();
    assert_eq!(out.dimensions(), window);
    Crop {
        corner: find(&scaled, &out).expect("the output is a window of the resampled image"),
        window,
        scaled: g.scaled,
        scale: f64::from(g.scaled.0) / f64::from(img.width()),
        used,
    }
}

/// Where `small` lies in `big`, pixel for pixel.
fn find(big: &RgbImage, small: &RgbImage) -> Option<(u32, u32)> {
    let (rx, ry) = (big.width() - small.width(), big.height() - small.height());
    (0..=ry)
        .flat_map(|y| (0..=rx).map(move |x| (x, y)))
        .find(|&(x, y)| {
            (0..small.height()).all(|yy| {
                (0..small.width())
                    .all(|xx| big.get_pixel(x + xx, y + yy) == small.get_pixel(xx, yy))
            })
        })
}

#[test]
fn the_embedded_model_parses() {
    assert!(model().is_ok());
}

#[test]
fn the_portrait_face_is_found_where_it_was_measured() {
    let faces = detect(&portrait()).unwrap();
    println!("portrait: {faces:?}");
    assert_eq!(faces.len(), 1, "{faces:?}");
    let found = faces[0];
    assert!(PORTRAIT_FACE.contains(found.centre()), "{found:?}");
    let ratio = found.width / PORTRAIT_FACE.width();
    assert!(
        (0.7..1.4).contains(&ratio),
        "{found:?}: {ratio:.2} of the face's width"
    );
    // The same face in 16-bit and float pixels.
    for img in [
        DynamicImage::ImageRgb16(portrait().to_rgb16()),
        DynamicImage::ImageRgba32F(portrait().to_rgba32f()),
    ] {
        let again = detect(&img).unwrap();
        assert_eq!(again.len(), 1, "{:?}: {again:?}", img.color());
        assert!(PORTRAIT_FACE.contains(again[0].centre()), "{again:?}");
    }
}

#[test]
fn a_flat_tiny_or_odd_image_has_no_face_and_no_panic() {
    let flat = DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 200, image::Rgb([120, 130, 140])));
    assert_eq!(detect(&flat).unwrap(), []);
    for (w, h) in [(1, 1), (39, 500), (500, 39)] {
        assert_eq!(detect(&DynamicImage::new_rgb8(w, h)).unwrap(), []);
    }
    for img in all_variants(64, 48) {
        detect(&img).unwrap();
    }
}

/// The portrait at each side of a canvas twice its size (and once halved by the
/// resize): the face crop keeps the face, centred as far as the crop allows; centre
/// gravity cuts it off, and the same check says so.
#[test]
fn a_face_crop_keeps_the_face_that_centre_cuts_off() {
    let cases = [
        ("left", (720, 360), (0, 0), (240, 360)),
        ("right", (720, 360), (360, 0), (240, 360)),
        ("top", (360, 720), (0, 0), (360, 240)),
        ("bottom", (360, 720), (0, 360), (360, 240)),
        ("left, resized to half", (720, 360), (0, 0), (120, 180)),
        ("bottom, resized to half", (360, 720), (0, 360), (180, 120)),
    ];
    for (name, size, at, (w, h)) in cases {
        let paste = Paste {
            from: WHOLE,
            scale: 360.0 / 512.0,
            at,
        };
        let (img, faces) = scene(size, &[paste]);
        let crop = crop_of(&img, &resize(w, h, FACE, None));
        let face = faces[0].scaled(crop.scale);
        assert_eq!(crop.used, Some(Strategy::Face), "{name}");
        assert!(
            face.inside(crop.corner, crop.window),
            "{name}: {face:?} is not in {:?} at {:?}",
            crop.window,
            crop.corner
        );
        let want = centred_on(face.centre(), crop.scaled, crop.window);
        let slack = 0.15 * face.width();
        let off = |a: u32, b: u32| f64::from(a.abs_diff(b));
        assert!(
            off(crop.corner.0, want.0) <= slack && off(crop.corner.1, want.1) <= slack,
            "{name}: at {:?}, centred on the face is {want:?}",
            crop.corner
        );
        let centre = crop_of(&img, &resize(w, h, CENTRE, None));
        assert_eq!(centre.used, None);
        assert!(
            !face.inside(centre.corner, centre.window),
            "{name}: centre gravity keeps the face too, the check proves nothing"
        );
    }
}

/// Two faces: a window wide enough for both keeps both (centring on the larger alone
/// would cut the other); a narrow one keeps the larger whole (centring on both would
/// cut it).
#[test]
fn faces_that_fit_are_kept_together_else_the_largest() {
    let (img, faces) = scene(
        (1200, 400),
        &[
            Paste {
                from: HEAD,
                scale: 1.6,
                at: (100, 24),
            },
            Paste {
                from: HEAD,
                scale: 1.2,
                at: (760, 70),
            },
        ],
    );
    let (larger, smaller) = (faces[0], faces[1]);
    let found = detect(&img).unwrap();
    println!("two heads: {found:?}");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(larger.contains(found[0].centre()) && smaller.contains(found[1].centre()));
    let both = Rect {
        left: larger.left,
        top: larger.top.min(smaller.top),
        right: smaller.right,
        bottom: larger.bottom.max(smaller.bottom),
    };

    let wide = crop_of(&img, &resize(900, 400, FACE, None));
    assert_eq!(wide.used, Some(Strategy::Face));
    for face in [larger, smaller] {
        assert!(
            face.inside(wide.corner, wide.window),
            "{face:?} cut at {:?}",
            wide.corner
        );
    }
    let on_larger = centred_on(larger.centre(), wide.scaled, wide.window);
    assert!(
        !smaller.inside(on_larger, wide.window),
        "the larger alone keeps both"
    );

    let narrow = crop_of(&img, &resize(400, 400, FACE, None));
    assert_eq!(narrow.used, Some(Strategy::Face));
    assert!(
        larger.inside(narrow.corner, narrow.window),
        "{:?}",
        narrow.corner
    );
    let on_both = centred_on(both.centre(), narrow.scaled, narrow.window);
    assert!(
        !larger.inside(on_both, narrow.window),
        "centring on both keeps the larger"
    );
}

/// A photo without a face is cropped exactly as `p=attention` crops it, and says so;
/// centre gravity crops it elsewhere, so the comparison can fail.
#[test]
fn without_a_face_the_crop_falls_back_to_attention() {
    let img = fixture("Landscape_6.jpg");
    assert_eq!(detect(&img).unwrap(), [], "a face in the landscape");
    let run = |position| {
        let mut out = [img.clone()];
        let used = resize(200, 200, position, None)
            .apply_reporting(&mut out, None, None)
            .unwrap();
        (out[0].to_rgb8(), used)
    };
    let (face, used) = run(FACE);
    let (attention, attention_used) = run(Position::Strategy(Strategy::Attention));
    let (centre, _) = run(CENTRE);
    assert_eq!(used, Some(Strategy::Attention));
    assert_eq!(attention_used, None, "only p=face reports its crop");
    assert!(
        face == attention,
        "p=face without a face differs from attention"
    );
    assert!(centre != attention, "attention crops at the centre here");
}

#[test]
fn only_a_cover_crop_looks_for_faces() {
    let (img, _) = scene(
        (720, 360),
        &[Paste {
            from: WHOLE,
            scale: 360.0 / 512.0,
            at: (0, 0),
        }],
    );
    let mut no_crop = resize(240, 360, FACE, None);
    no_crop.height = None;
    let mut contain = resize(240, 360, FACE, None);
    contain.fit = Fit::Contain;
    let focal = resize(240, 360, FACE, Some(FocalPoint::CENTRE));
    for r in [no_crop, contain, focal] {
        let used = r.apply_reporting(&mut [img.clone()], None, None).unwrap();
        assert_eq!(used, None, "{r:?}");
    }
}

/// The detector's time is checked against the deadline before the resize goes on;
/// a crop that finds no faces does not stop there.
#[test]
fn a_face_crop_past_the_deadline_stops() {
    let (img, _) = scene(
        (720, 360),
        &[Paste {
            from: WHOLE,
            scale: 360.0 / 512.0,
            at: (0, 0),
        }],
    );
    let past = Some(std::time::Instant::now());
    let e = resize(240, 360, FACE, None)
        .apply_reporting(&mut [img.clone()], None, past)
        .unwrap_err();
    assert_eq!((e.status().as_u16(), e.code()), (503, "timeout"));
    let attention = Position::Strategy(Strategy::Attention);
    resize(240, 360, attention, None)
        .apply_reporting(&mut [img], None, past)
        .unwrap();
}

#[test]
fn the_crop_keeps_all_faces_when_they_fit_else_the_largest() {
    let face = |left: f64, top: f64, side: f64| FaceBox {
        left,
        top,
        width: side,
        height: side,
        score: 5.0,
    };
    let faces = [face(100.0, 40.0, 60.0), face(300.0, 50.0, 40.0)];
    // 100..340 wide: fits a 300-wide window, not a 200-wide one.
    let all = target(&faces, (300, 300)).unwrap();
    assert_eq!(
        (all.left, all.width, all.top, all.height),
        (100.0, 240.0, 40.0, 60.0)
    );
    assert_eq!(target(&faces, (200, 300)), Some(faces[0]));
    assert_eq!(target(&[], (200, 300)), None);
}

#[test]
fn the_window_is_centred_on_the_point_and_clamped() {
    assert_eq!(centred_on((500.0, 50.0), (1000, 100), (100, 100)), (450, 0));
    assert_eq!(centred_on((10.0, 50.0), (1000, 100), (100, 100)), (0, 0));
    assert_eq!(centred_on((990.0, 50.0), (1000, 100), (100, 100)), (900, 0));
    // The centre of an odd margin rounds up, as centre gravity does.
    assert_eq!(centred_on((50.5, 50.0), (101, 100), (100, 100)), (1, 0));
    assert_eq!(centred_on((3.0, 3.0), (10, 10), (20, 20)), (0, 0));
}

/// Every pixel says where it is: red and green the low bits of x and y, blue the high.
fn coordinates(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x % 256) as u8,
            (y % 256) as u8,
            ((x / 256) * 16 + y / 256) as u8,
        ])
    }))
}

fn corner_of(out: &DynamicImage) -> (u32, u32) {
    let [r, g, b] = out.to_rgb8().get_pixel(0, 0).0;
    (
        u32::from(r) + u32::from(b / 16) * 256,
        u32::from(g) + u32::from(b % 16) * 256,
    )
}

fn focal_crop(img: &DynamicImage, window: (u32, u32), point: Option<FocalPoint>) -> DynamicImage {
    let mut out = [img.clone()];
    let used = resize(window.0, window.1, CENTRE, point)
        .apply_reporting(&mut out, None, None)
        .unwrap();
    assert_eq!(used, None);
    let [out] = out;
    out
}

/// `fp` centres the window on the point (it contains it), clamped at the edges.
#[test]
fn a_focal_point_centres_the_crop_on_it_as_far_as_the_image_allows() {
    let wide = coordinates(600, 300);
    let tall = coordinates(300, 600);
    let rows = [
        // (x, y, corner in the wide image cut to 200×300, in the tall one cut to 300×200)
        (0.3, 0.7, (80, 0), (0, 320)),
        (0.5, 0.5, (200, 0), (0, 200)),
        (0.0, 0.0, (0, 0), (0, 0)),
        (1.0, 1.0, (400, 0), (0, 400)),
        (0.95, 0.1, (400, 0), (0, 0)),
        (0.1, 0.95, (0, 0), (0, 400)),
    ];
    for (x, y, in_wide, in_tall) in rows {
        let point = Some(FocalPoint { x, y });
        let got = corner_of(&focal_crop(&wide, (200, 300), point));
        assert_eq!(got, in_wide, "fp={x},{y} on 600x300");
        let px = x * 600.0;
        assert!(
            f64::from(got.0) <= px && px <= f64::from(got.0 + 200),
            "fp={x},{y}"
        );
        let got = corner_of(&focal_crop(&tall, (300, 200), point));
        assert_eq!(got, in_tall, "fp={x},{y} on 300x600");
        let py = y * 600.0;
        assert!(
            f64::from(got.1) <= py && py <= f64::from(got.1 + 200),
            "fp={x},{y}"
        );
    }
}

/// `fp=0.5,0.5` is centre gravity to the pixel, odd margins included; a point a little
/// off the middle is not.
#[test]
fn the_middle_as_focal_point_is_centre_gravity() {
    for (size, window) in [
        ((600, 300), (200, 300)),
        ((601, 300), (200, 300)),
        ((300, 601), (300, 200)),
    ] {
        let img = coordinates(size.0, size.1);
        let centre = focal_crop(&img, window, None);
        let middle = focal_crop(&img, window, Some(FocalPoint::CENTRE));
        assert_eq!(corner_of(&middle), corner_of(&centre), "{size:?}");
        let off = focal_crop(&img, window, Some(FocalPoint { x: 0.52, y: 0.52 }));
        assert_ne!(corner_of(&off), corner_of(&centre), "{size:?}");
    }
}

#[test]
fn other_fits_ignore_the_focal_point() {
    let img = coordinates(600, 300);
    let mut contain = resize(200, 200, CENTRE, Some(FocalPoint { x: 0.1, y: 0.1 }));
    contain.fit = Fit::Contain;
    let mut with = [img.clone()];
    contain.apply(&mut with, None).unwrap();
    contain.focal_point = None;
    let mut without = [img];
    contain.apply(&mut without, None).unwrap();
    assert!(with[0] == without[0]);
}
