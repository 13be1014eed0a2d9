//! Colour-managed inputs against Sharp: Display P3 and Adobe RGB JPEGs, a CMYK JPEG with
//! its profile, 8- and 16-bit Display P3 PNGs and an animated WebP (`tests/fixtures/icc/`,
//! made by `tools/sharp/make-icc-fixtures.js`), each rendered through the pipeline at its
//! own size (so only colour management differs) and compared by decoded pixels with
//! Sharp's output. Each comparison also shows that a wrong answer fails its bound: the
//! same file with its profile stripped (what a reader that ignores ICC shows), or the
//! frames out of order.
//!
//! Sharp 0.35.5 leaves the profile of a 16-bit input unapplied; we apply it, and the
//! 16-bit file is compared with Sharp's rendering of the same picture stored in 8 bits.

use image::{DynamicImage, GenericImage, RgbaImage};
use image_service::codecs::{self, DecodeOptions};
use image_service::params::Params;
use image_service::pipeline::{render_params, Limits};

fn fixture(path: &str) -> Vec<u8> {
    let full = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/").to_string() + path;
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn render(input: &[u8], query: &str) -> DynamicImage {
    let params = Params::parse(query).unwrap();
    let out = render_params(input, &params, Limits::default()).unwrap();
    image::load_from_memory(&out.bytes).unwrap()
}

/// Mean absolute difference per channel (R, G, B) in 8-bit levels.
fn channel_errors(a: &DynamicImage, b: &DynamicImage) -> [f64; 3] {
    assert_eq!(a.width(), b.width());
    assert_eq!(a.height(), b.height());
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let mut sums = [0u64; 3];
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            sums[c] += u64::from(p[c].abs_diff(q[c]));
        }
    }
    let n = f64::from(a.width() * a.height());
    sums.map(|s| s as f64 / n)
}

fn worst(errors: [f64; 3]) -> f64 {
    errors.into_iter().fold(0.0, f64::max)
}

/// The JPEG without its APP2 ICC_PROFILE segments.
fn strip_jpeg_icc(jpeg: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        let segment = &jpeg[i..i + 2 + len];
        if !(marker == 0xE2 && segment[4..].starts_with(b"ICC_PROFILE\0")) {
            out.extend_from_slice(segment);
        }
        i += 2 + len;
    }
    out.extend_from_slice(&jpeg[i..]);
    out
}

/// The PNG without its iCCP chunk.
fn strip_png_icc(png: &[u8]) -> Vec<u8> {
    let mut out = png[..8].to_vec();
    let mut i = 8;
    while i + 8 <= png.len() {
        let len = u32::from_be_bytes(png[i..i + 4].try_into().unwrap()) as usize;
        let chunk = &png[i..i + 12 + len];
        if &chunk[4..8] != b"iCCP" {
            out.extend_from_slice(chunk);
        }
        i += 12 + len;
    }
    out
}

/// Ours within `bound` levels of Sharp on every channel; the profile-less file not.
/// `name` is the reference `tests/fixtures/sharp/icc-<name>.png`.
fn assert_managed_like_sharp(name: &str, input: &[u8], stripped: &[u8], bound: f64) {
    let query = "fm=png";
    let sharp = image::open(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sharp/").to_string()
            + &format!("icc-{name}.png"),
    )
    .unwrap();
    let ours = channel_errors(&render(input, query), &sharp);
    let unmanaged = channel_errors(&render(stripped, query), &sharp);
    eprintln!("{name}: ours {ours:.2?}, profile ignored {unmanaged:.2?} (bound {bound})");
    assert!(worst(ours) <= bound, "{name}: {ours:.2?} > {bound}");
    assert!(
        worst(unmanaged) > bound,
        "{name}: ignoring the profile passes too ({unmanaged:.2?}): the bound proves nothing"
    );
}

#[test]
fn display_p3_jpeg_is_converted_like_sharp() {
    let input = fixture("icc/p3.jpg");
    assert_managed_like_sharp("p3", &input, &strip_jpeg_icc(&input), 1.5);
}

#[test]
fn adobe_rgb_jpeg_is_converted_like_sharp() {
    let input = fixture("icc/adobe-rgb.jpg");
    assert_managed_like_sharp("adobe-rgb", &input, &strip_jpeg_icc(&input), 1.5);
}

#[test]
fn cmyk_jpeg_with_a_profile_is_converted_like_sharp() {
    let input = fixture("icc/cmyk.jpg");
    assert_managed_like_sharp("cmyk", &input, &strip_jpeg_icc(&input), 2.0);
}

#[test]
fn display_p3_png_is_converted_like_sharp() {
    let input = fixture("icc/p3-8bit.png");
    assert_managed_like_sharp("p3-png", &input, &strip_png_icc(&input), 1.5);
}

#[test]
fn sixteen_bit_display_p3_png_is_converted_like_sharps_eight_bit() {
    let input = fixture("icc/p3-16bit.png");
    assert_managed_like_sharp("p3-png", &input, &strip_png_icc(&input), 1.5);
}

/// Every frame of the animation, resized, against Sharp's frames (stacked vertically in
/// its PNG); the frames shifted by one must fail the same bound.
#[test]
fn animated_webp_frames_match_sharp() {
    let input = fixture("icc/animated.webp");
    let params = Params::parse("w=60&fm=webp&ll=true").unwrap();
    let out = render_params(&input, &params, Limits::default()).unwrap();
    let frames: Vec<DynamicImage> = codecs::decode(&out.bytes, &DecodeOptions::default())
        .unwrap()
        .frames
        .into_iter()
        .map(|f| f.image)
        .collect();
    assert_eq!(frames.len(), 9, "every frame kept");
    let stack = |frames: &[DynamicImage]| {
        let (w, h) = (frames[0].width(), frames[0].height());
        let mut all = RgbaImage::new(w, h * frames.len() as u32);
        for (i, f) in frames.iter().enumerate() {
            all.copy_from(&f.to_rgba8(), 0, h * i as u32).unwrap();
        }
        DynamicImage::ImageRgba8(all)
    };
    let sharp = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sharp/icc-animated.png"
    ))
    .unwrap();
    let ours = channel_errors(&stack(&frames), &sharp);
    let mut shifted = frames.clone();
    shifted.rotate_left(1);
    let wrong = channel_errors(&stack(&shifted), &sharp);
    eprintln!("animated: ours {ours:.2?}, frames shifted {wrong:.2?}");
    assert!(worst(ours) <= 2.0, "{ours:.2?}");
    assert!(worst(wrong) > 2.0, "shifted frames pass too: {wrong:.2?}");
}
