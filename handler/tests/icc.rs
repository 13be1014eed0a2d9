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
//!
//! CMYK (`tools/sharp/make-cmyk-fixtures.js`): `tc=cmyk` output read back to sRGB through
//! its embedded profile against Sharp's CMYK output read back by Sharp, and CMYK files
//! without a profile (Sharp writes them so) against Sharp's sRGB rendering; the wrong
//! answers are the naive `(1 − C)(1 − K)` formula and sRGB values written as inks.

use image::{DynamicImage, GenericImage, RgbImage, RgbaImage};
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

/// The largest difference of any channel of any pixel.
fn max_error(a: &DynamicImage, b: &DynamicImage) -> u8 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    a.as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
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

/// Its profile is the one we assume for CMYK without a profile, so the stripped file would
/// read the same: the wrong answer here is the naive formula.
#[test]
fn cmyk_jpeg_with_a_profile_is_converted_like_sharp() {
    let input = fixture("icc/cmyk.jpg");
    let sharp = sharp_reference("cmyk");
    let ours = channel_errors(&render(&input, "fm=png"), &sharp);
    let (w, h, inks) = jpeg_inks(&input);
    let naive = channel_errors(&naive_rgb(w, h, &inks), &sharp);
    eprintln!("cmyk: ours {ours:.2?}, naive formula {naive:.2?} (bound 2)");
    assert!(worst(ours) <= 2.0, "{ours:.2?}");
    assert!(
        worst(naive) > 2.0,
        "the naive formula passes too: {naive:.2?}"
    );
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

fn sharp_reference(name: &str) -> DynamicImage {
    image::open(format!(
        "{}/tests/fixtures/sharp/icc-{name}.png",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// `(1 − C)(1 − K)`: CMYK read without colour management.
fn naive_rgb(width: u32, height: u32, cmyk: &[u8]) -> DynamicImage {
    let rgb = cmyk
        .chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u32::from(p[3]);
            [0, 1, 2].map(|c| ((255 - u32::from(p[c])) * k / 255) as u8)
        })
        .collect();
    DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).unwrap())
}

/// The inks of a CMYK JPEG (0 = no ink), undoing the Adobe inversion, and its size.
fn jpeg_inks(jpeg: &[u8]) -> (u32, u32, Vec<u8>) {
    let image: turbojpeg::Image<Vec<u8>> =
        turbojpeg::decompress(jpeg, turbojpeg::PixelFormat::CMYK).unwrap();
    // APP14 "Adobe": the samples are stored inverted (Photoshop's convention).
    assert!(jpeg
        .windows(9)
        .any(|w| w[..2] == [0xFF, 0xEE] && &w[4..] == b"Adobe"));
    let inks = image.pixels.iter().map(|v| 255 - v).collect();
    (image.width as u32, image.height as u32, inks)
}

/// The inks of an uncompressed, single-strip, little-endian CMYK TIFF, and its size.
fn tiff_inks(tiff: &[u8]) -> (u32, u32, Vec<u8>) {
    assert_eq!(&tiff[..4], b"II*\0");
    let u16_at = |o: usize| u16::from_le_bytes([tiff[o], tiff[o + 1]]);
    let u32_at = |o: usize| u32::from_le_bytes(tiff[o..o + 4].try_into().unwrap());
    let ifd = u32_at(4) as usize;
    let tag = |wanted: u16| {
        (0..usize::from(u16_at(ifd)))
            .map(|i| ifd + 2 + i * 12)
            .find(|&e| u16_at(e) == wanted)
            .map(|e| match u16_at(e + 2) {
                3 => u32::from(u16_at(e + 8)),
                _ => u32_at(e + 8),
            })
            .unwrap()
    };
    assert_eq!(
        (tag(262), tag(259), tag(277)),
        (5, 1, 4),
        "uncompressed CMYK"
    );
    let (w, h, at) = (tag(256), tag(257), tag(273) as usize);
    (w, h, tiff[at..at + (w * h * 4) as usize].to_vec())
}

/// A CMYK input without a profile, rendered to sRGB by us, against Sharp's rendering
/// (libvips' fallback profile); the naive formula must miss the bound.
fn assert_profileless_cmyk_like_sharp(file: &str, inks: (u32, u32, Vec<u8>), bound: f64) {
    let input = fixture(&format!("icc/{file}"));
    let sharp = sharp_reference(&file.replace('.', "-"));
    let ours = channel_errors(&render(&input, "fm=png"), &sharp);
    let (w, h, cmyk) = inks;
    let naive_image = naive_rgb(w, h, &cmyk);
    let naive = channel_errors(&naive_image, &sharp);
    eprintln!(
        "{file}: ours {ours:.2?} (max {}), naive formula {naive:.2?} (max {}) (bound {bound})",
        max_error(&render(&input, "fm=png"), &sharp),
        max_error(&naive_image, &sharp)
    );
    assert!(worst(ours) <= bound, "{file}: {ours:.2?} > {bound}");
    assert!(
        worst(naive) > bound,
        "{file}: the naive formula passes too ({naive:.2?})"
    );
}

#[test]
fn cmyk_jpeg_without_a_profile_reads_like_sharp() {
    let input = fixture("icc/cmyk-no-profile.jpg");
    assert_profileless_cmyk_like_sharp("cmyk-no-profile.jpg", jpeg_inks(&input), 8.5);
}

#[test]
fn cmyk_tiff_without_a_profile_reads_like_sharp() {
    let input = fixture("icc/cmyk-no-profile.tif");
    assert_profileless_cmyk_like_sharp("cmyk-no-profile.tif", tiff_inks(&input), 8.5);
}

/// The embedded ICC profile of a JPEG (one APP2 segment) or TIFF (tag 34675).
fn embedded_profile(file: &[u8]) -> Vec<u8> {
    if file.starts_with(&[0xFF, 0xD8]) {
        let at = file
            .windows(12)
            .position(|w| w == b"ICC_PROFILE\0")
            .unwrap();
        let len = usize::from(u16::from_be_bytes([file[at - 2], file[at - 1]]));
        return file[at + 14..at - 2 + len].to_vec();
    }
    let u32_at = |o: usize| u32::from_le_bytes(file[o..o + 4].try_into().unwrap()) as usize;
    let ifd = u32_at(4);
    let entries = usize::from(u16::from_le_bytes([file[ifd], file[ifd + 1]]));
    let e = (0..entries)
        .map(|i| ifd + 2 + i * 12)
        .find(|&e| file[e..e + 2] == 34675u16.to_le_bytes())
        .unwrap();
    file[u32_at(e + 8)..u32_at(e + 8) + u32_at(e + 4)].to_vec()
}

/// CMYK inks → sRGB through `icc` (moxcms, as a colour-managed reader would).
fn read_through(width: u32, height: u32, cmyk: &[u8], icc: &[u8]) -> DynamicImage {
    use moxcms::{ColorProfile, Layout, TransformOptions};
    let profile = ColorProfile::new_from_slice(icc).unwrap();
    assert_eq!(profile.color_space, moxcms::DataColorSpace::Cmyk);
    let t = profile
        .create_transform_8bit(
            Layout::Rgba,
            &ColorProfile::new_srgb(),
            Layout::Rgb,
            TransformOptions::default(),
        )
        .unwrap();
    let mut rgb = vec![0; cmyk.len() / 4 * 3];
    t.transform(cmyk, &mut rgb).unwrap();
    DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, rgb).unwrap())
}

/// `tc=cmyk` on a photo: 4 inks with a CMYK profile embedded. Read back through that
/// profile (as a colour-managed reader, and our decoder, would), it must be within `bound`
/// of the photo itself and no further from it than Sharp's CMYK output read back by Sharp
/// (+0.25 a channel). Wrong answers that must fail the bound: the photo's sRGB values
/// written as inks (`255 − v`, K = 0) and the naive separation, read through the same
/// profile.
fn assert_cmyk_output_faithful(format: &str, bound: f64) {
    let photo_bytes = fixture("icc/photo.png");
    let photo = image::load_from_memory(&photo_bytes).unwrap();
    let params = Params::parse(&format!("tc=cmyk&fm={format}&q=95")).unwrap();
    let out = render_params(&photo_bytes, &params, Limits::default())
        .unwrap()
        .bytes;
    let (w, h, inks) = if format == "jpeg" {
        jpeg_inks(&out)
    } else {
        tiff_inks(&out)
    };
    let icc = embedded_profile(&out);
    let ours = channel_errors(&read_through(w, h, &inks, &icc), &photo);
    let decoded = channel_errors(&render(&out, "fm=png"), &photo);
    let sharp = channel_errors(&sharp_reference(&format!("tc-cmyk-{format}")), &photo);
    let rgb = photo.to_rgb8();
    let unconverted: Vec<u8> = rgb
        .pixels()
        .flat_map(|p| [255 - p[0], 255 - p[1], 255 - p[2], 0])
        .collect();
    let as_inks = channel_errors(&read_through(w, h, &unconverted, &icc), &photo);
    let naive_inks: Vec<u8> = rgb
        .pixels()
        .flat_map(|p| {
            let k = 255 - p.0.iter().max().unwrap();
            let ink = |c: u8| match k {
                255 => 0,
                _ => (u32::from(255 - c - k) * 255 / u32::from(255 - k)) as u8,
            };
            [ink(p[0]), ink(p[1]), ink(p[2]), k]
        })
        .collect();
    let naive = channel_errors(&read_through(w, h, &naive_inks, &icc), &photo);
    eprintln!(
        "tc=cmyk&fm={format} against the photo: ours {ours:.2?} (our decoder {decoded:.2?}), \
         Sharp {sharp:.2?}, sRGB as inks {as_inks:.2?}, naive separation {naive:.2?} \
         (bound {bound})"
    );
    assert!(worst(ours) <= bound, "{format}: {ours:.2?} > {bound}");
    assert!(
        worst(decoded) <= bound,
        "{format}: decoded {decoded:.2?} > {bound}"
    );
    for c in 0..3 {
        assert!(
            ours[c] <= sharp[c] + 0.25,
            "{format}: {ours:.2?} vs Sharp {sharp:.2?}"
        );
    }
    assert!(
        worst(as_inks) > bound,
        "{format}: sRGB as inks passes ({as_inks:.2?})"
    );
    assert!(
        worst(naive) > bound,
        "{format}: the naive separation passes ({naive:.2?})"
    );
}

#[test]
fn cmyk_jpeg_output_reads_back_as_the_photo() {
    assert_cmyk_output_faithful("jpeg", 4.0);
}

#[test]
fn cmyk_tiff_output_reads_back_as_the_photo() {
    assert_cmyk_output_faithful("tiff", 4.0);
}

/// Sharp writes `tc=cmyk` PNG as sRGB after a CMYK round trip; so do we, through our
/// profile (Sharp's press gamut differs, hence the wider bound). The plain sRGB output
/// (no round trip) must fail the bound.
#[test]
fn cmyk_png_output_is_the_round_trip_like_sharps() {
    let photo = fixture("icc/photo-saturated.png");
    let sharp = sharp_reference("tc-cmyk-png");
    let ours = channel_errors(&render(&photo, "tc=cmyk&fm=png"), &sharp);
    let plain = channel_errors(&render(&photo, "fm=png"), &sharp);
    eprintln!("tc=cmyk&fm=png: ours {ours:.2?}, no round trip {plain:.2?}");
    assert!(worst(ours) <= 12.0, "{ours:.2?}");
    assert!(
        worst(plain) > 12.0,
        "the plain output passes too: {plain:.2?}"
    );
}
