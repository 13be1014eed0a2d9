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

/// The file with every value of one SHORT or LONG tag of the first IFD set to `value`.
fn with_tag(bytes: &[u8], tag: u16, value: u16) -> Vec<u8> {
    let le = &bytes[..2] == b"II";
    let read = |b: &[u8], i: usize, n: usize| {
        let mut v = b[i..i + n].to_vec();
        if le {
            v.reverse();
        }
        v.iter().fold(0usize, |acc, &x| acc << 8 | usize::from(x))
    };
    let ifd = read(bytes, 4, 4);
    let mut out = bytes.to_vec();
    for e in 0..read(bytes, ifd, 2) {
        let at = ifd + 2 + e * 12;
        if read(bytes, at, 2) != usize::from(tag) {
            continue;
        }
        let size = if read(bytes, at + 2, 2) == 4 { 4 } else { 2 };
        let count = read(bytes, at + 4, 4);
        let first = if count * size <= 4 {
            at + 8
        } else {
            read(bytes, at + 8, 4)
        };
        for i in 0..count {
            let mut v = u32::from(value).to_be_bytes()[4 - size..].to_vec();
            if le {
                v.reverse();
            }
            out[first + i * size..][..size].copy_from_slice(&v);
        }
        return out;
    }
    panic!("tag {tag} not found");
}

fn check(name: &str, null: impl Fn(&[u8]) -> RgbaImage) {
    check_within(name, BOUND, null);
}

fn check_within(name: &str, bound: f64, null: impl Fn(&[u8]) -> RgbaImage) {
    check_against(name, &format!("{name}.sharp.png"), bound, null);
}

/// `reference`: a PNG beside the fixtures (Sharp's decode of `name` or of its samples).
fn check_against(name: &str, reference: &str, bound: f64, null: impl Fn(&[u8]) -> RgbaImage) {
    let bytes = fixture(name);
    let sharp = image::load_from_memory(&fixture(reference))
        .unwrap()
        .to_rgba8();
    let e = error(&ours(&bytes), &sharp);
    assert!(e <= bound, "{name}: mean error {e:.2} > {bound}");
    let wrong = error(&null(&bytes), &sharp);
    println!("{name}: mean error {e:.2}, null model {wrong:.2}");
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

/// Our decode with its (sRGB-encoded) values taken as the linear ones: what writing the
/// linear values as if sRGB-encoded gave (the old output).
fn as_if_srgb(b: &[u8]) -> RgbaImage {
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
}

#[test]
fn float_rgb_is_linear_light() {
    // Null model: the linear values written as if they were sRGB-encoded (the old output).
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

/// Our decode with every pixel's alpha set opaque.
fn alpha_ignored(b: &[u8]) -> RgbaImage {
    let mut img = ours(b);
    img.pixels_mut().for_each(|p| p[3] = 255);
    img
}

#[test]
fn grey_with_alpha_8_and_16_bit() {
    // Written by libvips (tools/sharp/make-tiff-fixtures.js): ExtraSamples = unassociated.
    check("grey-alpha-8.tif", alpha_ignored);
    check("grey-alpha-16.tif", alpha_ignored);
}

#[test]
fn float_grey_is_linear_light() {
    // Sharp casts float grey to 8 bits (0..1 comes out black); the reference is Sharp's
    // decode of the same samples stored as float RGB, which libvips reads as linear.
    // Null model: the linear values written as if sRGB-encoded (the old output).
    for name in ["gradient-1c-32b-float.tiff", "predictor-3-gray-f32.tif"] {
        check_against(name, &format!("{name}.linear.png"), BOUND, as_if_srgb);
        let decoded = decode(&fixture(name), &DecodeOptions::default()).unwrap();
        assert_eq!(decoded.frames[0].image.color(), image::ColorType::L8);
    }
}

#[test]
fn signed_samples_are_read_at_face_value() {
    // Null model: the same samples read as unsigned (SampleFormat set to 1).
    let unsigned = |b: &[u8]| ours(&with_tag(b, 339, 1));
    for name in ["int8.tif", "int8_rgb.tif", "int16.tif", "int16_rgb.tif"] {
        check(name, unsigned);
    }
}

#[test]
fn two_dimensional_group_3_fax_is_refused_clearly() {
    // The fax crate decodes 1-D Group 3 and Group 4 only; 2-D Group 3 (T4Options bit 0)
    // is a 415 naming the feature, not garbage (see differences.rs).
    let two_d = with_tag(&fixture("g3test.tif"), 292, 1);
    match decode(&two_d, &DecodeOptions::default()) {
        Err(image_service::error::Error::UnsupportedMediaType(msg)) => {
            assert!(msg.contains("2-D CCITT Group 3"), "{msg}")
        }
        other => panic!("expected 415, got {:?}", other.map(|_| ())),
    }
    // The 1-D file itself decodes (the refusal is about the option, not the file).
    assert!(decode(&fixture("g3test.tif"), &DecodeOptions::default()).is_ok());
}
#[test]
fn signed_cmyk_samples() {
    // Sample decoding only: what is left (14 levels) is the conversion of CMYK without a
    // profile, libvips' built-in profile against our formula (handled apart from this).
    check_within("tiled-cmyk-i8.tif", 15.0, |b| ours(&with_tag(b, 339, 1)));
}

#[test]
fn logluv_32_bit() {
    // libtiff's off_luv32.tif (SGILOG, 32-bit LogLuv): XYZ → sRGB as libvips shows it.
    // Null model: the same pixels with the luminance read as if already sRGB-encoded.
    check("off_luv32.tif", as_if_srgb);
}

#[test]
fn logl_and_24_bit_logluv_are_refused_clearly() {
    // The 24-bit form (compression 34677) and LogL (photometric 32844): a 415 naming
    // the encoding (differences.rs).
    let luv24 = with_tag(&fixture("off_luv32.tif"), 259, 34677);
    let logl = with_tag(&fixture("off_luv32.tif"), 262, 32844);
    for bytes in [luv24, logl] {
        match decode(&bytes, &DecodeOptions::default()) {
            Err(image_service::error::Error::UnsupportedMediaType(msg)) => {
                assert!(msg.contains("LogLuv"), "{msg}")
            }
            other => panic!("expected 415, got {:?}", other.map(|_| ())),
        }
    }
}
