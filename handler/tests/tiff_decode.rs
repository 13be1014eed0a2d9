//! TIFFs from libtiff's own test pictures decode as Sharp (libvips/libtiff) decodes them:
//! mean absolute error per channel against Sharp's PNG (committed beside each file, made
//! with `tools/sharp/reference.js <file> '' <file>.sharp.png`) within 1 level, and a
//! wrong reading of the same file (the photometric or alpha tag changed, or float taken
//! as non-linear) misses that bound. Attribution: fixtures/ATTRIBUTION-D.md.

use image::RgbaImage;
use image_service::codecs::{decode, DecodeOptions};

const BOUND: f64 = 1.0;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/tiff/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ours(bytes: &[u8]) -> RgbaImage {
    decode(bytes, &DecodeOptions::default()).unwrap().frames[0]
        .image
        .to_rgba8()
}

/// Worst channel's mean absolute difference (alpha too when Sharp's PNG has it).
fn error(a: &RgbaImage, b: &RgbaImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut sums = [0f64; 4];
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..4 {
            sums[c] += (f64::from(p[c]) - f64::from(q[c])).abs();
        }
    }
    let n = f64::from(a.width() * a.height());
    sums.iter().map(|s| s / n).fold(0.0, f64::max)
}

/// The file with one SHORT tag of the first IFD set to `value`.
fn with_tag(bytes: &[u8], tag: u16, value: u16) -> Vec<u8> {
    let le = &bytes[..2] == b"II";
    let u16_at = |b: &[u8], i: usize| {
        let v = [b[i], b[i + 1]];
        if le {
            u16::from_le_bytes(v)
        } else {
            u16::from_be_bytes(v)
        }
    };
    let mut v4 = [bytes[4], bytes[5], bytes[6], bytes[7]];
    if !le {
        v4.reverse();
    }
    let ifd = u32::from_le_bytes(v4) as usize;
    let mut out = bytes.to_vec();
    for e in 0..usize::from(u16_at(bytes, ifd)) {
        let at = ifd + 2 + e * 12;
        if u16_at(bytes, at) == tag {
            let v = if le {
                value.to_le_bytes()
            } else {
                value.to_be_bytes()
            };
            out[at + 8..at + 10].copy_from_slice(&v);
            return out;
        }
    }
    panic!("tag {tag} not found");
}

fn check(name: &str, null: impl Fn(&[u8]) -> RgbaImage) {
    check_within(name, BOUND, null);
}

fn check_within(name: &str, bound: f64, null: impl Fn(&[u8]) -> RgbaImage) {
    let bytes = fixture(name);
    let sharp = image::load_from_memory(&fixture(&format!("{name}.sharp.png")))
        .unwrap()
        .to_rgba8();
    let e = error(&ours(&bytes), &sharp);
    assert!(e <= bound, "{name}: mean error {e:.2} > {bound}");
    let wrong = error(&null(&bytes), &sharp);
    assert!(
        wrong > bound * 4.0,
        "{name}: the null model scores {wrong:.2}"
    );
}

fn photometric(value: u16) -> impl Fn(&[u8]) -> RgbaImage {
    move |b: &[u8]| ours(&with_tag(b, 262, value))
}

#[test]
fn jpeg_in_tiff_ycbcr_strips() {
    check("quad-jpeg.tif", photometric(2));
}

#[test]
fn subsampled_ycbcr_lzw() {
    check("ycbcr-cat.tif", photometric(2));
}

#[test]
fn cmyk_16_bit() {
    // 16-bit CMYK without a profile: libvips' built-in CMYK profile and our naive formula
    // agree to 1.3 levels on this file (8-bit CMYK differs more: see the report).
    check_within("seq-4c-16b-cmyk-c6e52592.tiff", 1.5, photometric(2));
}

#[test]
fn palette_4_bit_and_packbits_palette() {
    check("palette-1c-4b.tiff", photometric(1));
    check("jello.tif", photometric(1));
}

#[test]
fn associated_alpha_is_unpremultiplied() {
    // Null model: the same samples read as unassociated alpha.
    check("strike.tif", |b| ours(&with_tag(b, 338, 2)));
}

#[test]
fn fax_group_3_and_group_4() {
    // Null model: the bits read with the other polarity.
    let inverted = |b: &[u8]| {
        let mut img = ours(b);
        img.pixels_mut()
            .for_each(|p| (0..3).for_each(|c| p[c] = 255 - p[c]));
        img
    };
    check("fax4.tiff", inverted);
    check("g3test.tif", inverted);
}

#[test]
fn float_rgb_is_linear_light() {
    // Null model: the linear values written as if they were sRGB-encoded (the old output).
    let as_if_srgb = |b: &[u8]| {
        let mut img = ours(b);
        for p in img.pixels_mut() {
            for c in 0..3 {
                let v = f64::from(p[c]) / 255.0;
                let linear = if v <= 0.04045 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                };
                p[c] = (linear * 255.0).round() as u8;
            }
        }
        img
    };
    check("predictor-3-rgb-f32.tif", as_if_srgb);
    check("gradient-3c-32b-float.tiff", as_if_srgb);
    // Written as 8-bit, not 32-bit float.
    let decoded = decode(
        &fixture("predictor-3-rgb-f32.tif"),
        &DecodeOptions::default(),
    )
    .unwrap();
    assert_eq!(decoded.frames[0].image.color(), image::ColorType::Rgb8);
}
