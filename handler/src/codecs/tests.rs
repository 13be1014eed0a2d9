//! Cross-format tests and the helpers the per-codec tests share. Fixtures come from
//! `assets/samples/` and `tests/fixtures/` (see `ops::testutil::fixture_path`) or are made here.

use image::{DynamicImage, GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = crate::ops::testutil::fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Smooth colours: compresses like a photo, so quality settings matter.
pub(crate) fn gradient_rgb(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            ((x + y) * 7 % 256) as u8,
        ])
    })
}

/// Four flat quadrants (red, green / blue, white): survives JPEG, shows every flip.
fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        match (x < width / 2, y < height / 2) {
            (true, true) => Rgb([255, 0, 0]),
            (false, true) => Rgb([0, 255, 0]),
            (true, false) => Rgb([0, 0, 255]),
            (false, false) => Rgb([255, 255, 255]),
        }
    })
}

/// A JPEG of `quadrants` with an EXIF APP1 segment carrying `orientation`.
pub(crate) fn jpeg_with_exif_orientation(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg::encode(
        &DynamicImage::ImageRgb8(quadrants(width, height)),
        Some(95),
        false,
    )
    .unwrap();
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

/// Mean difference of what a viewer sees: both composited on white first, so the RGB
/// hidden under transparent pixels (which lossy encoders may change) does not count.
pub(crate) fn visible_diff(a: &DynamicImage, b: &DynamicImage) -> f64 {
    let a = DynamicImage::ImageRgb8(super::to_rgb8_on_white(a));
    let b = DynamicImage::ImageRgb8(super::to_rgb8_on_white(b));
    mean_abs_diff(&a, &b)
}

pub(crate) fn mean_abs_diff(a: &DynamicImage, b: &DynamicImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (a, b) = (a.to_rgba8(), b.to_rgba8());
    let sum: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f64 / a.as_raw().len() as f64
}

/// AVIF input needs the `avif-decode` feature.
fn can_decode(format: OutputFormat) -> bool {
    format != OutputFormat::Avif || cfg!(feature = "avif-decode")
}

fn still(image: DynamicImage) -> Vec<Frame> {
    vec![Frame { image, delay_ms: 0 }]
}

fn encode_opts(format: OutputFormat, quality: Option<u8>) -> EncodeOptions<'static> {
    EncodeOptions {
        format,
        quality,
        lossless: false,
        palette: None,
        cmyk: false,
    }
}

#[test]
fn all_eight_orientations_come_back_upright() {
    // Where the stored top-left (red) and top-right (green) quadrants end up, as
    // (right half?, bottom half?) of the upright image.
    let expected = [
        (1, (false, false), (true, false)),
        (2, (true, false), (false, false)),
        (3, (true, true), (false, true)),
        (4, (false, true), (true, true)),
        (5, (false, false), (false, true)),
        (6, (true, false), (true, true)),
        (7, (true, true), (true, false)),
        (8, (false, true), (false, false)),
    ];
    for (orientation, red_at, green_at) in expected {
        let jpeg = jpeg_with_exif_orientation(64, 32, orientation);
        let header = probe(&jpeg).unwrap();
        assert_eq!((header.width, header.height), (64, 32));
        assert_eq!(header.orientation, orientation as u8);
        let decoded = decode(&jpeg, &DecodeOptions::default()).unwrap();
        let img = decoded.frames[0].image.to_rgb8();
        let upright = if orientation >= 5 { (32, 64) } else { (64, 32) };
        assert_eq!(img.dimensions(), upright, "orientation {orientation}");
        assert_eq!((decoded.source_width, decoded.source_height), upright);
        let (w, h) = img.dimensions();
        let at = |(right, bottom): (bool, bool)| {
            *img.get_pixel(
                if right { w * 3 / 4 } else { w / 4 },
                if bottom { h * 3 / 4 } else { h / 4 },
            )
        };
        let red = at(red_at);
        let green = at(green_at);
        assert!(
            red[0] > 200 && red[1] < 60 && red[2] < 60,
            "orientation {orientation}: red is {red:?}"
        );
        assert!(
            green[1] > 200 && green[0] < 60 && green[2] < 60,
            "orientation {orientation}: green is {green:?}"
        );
    }
}

#[test]
fn landscape_6_and_8_decode_upright_and_alike() {
    let six = fixture("Landscape_6.jpg");
    let eight = fixture("Landscape_8.jpg");
    for (bytes, orientation) in [(&six, 6), (&eight, 8)] {
        let header = probe(bytes).unwrap();
        assert_eq!(
            (header.width, header.height, header.orientation),
            (450, 600, orientation)
        );
        assert_eq!(header.oriented_size(), (600, 450));
    }
    let a = decode(&six, &DecodeOptions::default()).unwrap();
    let b = decode(&eight, &DecodeOptions::default()).unwrap();
    assert_eq!((a.source_width, a.source_height), (600, 450));
    assert_eq!(a.frames[0].image.dimensions(), (600, 450));
    assert_eq!(b.frames[0].image.dimensions(), (600, 450));
    // The same photo stored two ways: upright, the pixels nearly agree...
    let same = mean_abs_diff(&a.frames[0].image, &b.frames[0].image);
    assert!(same < 6.0, "upright images differ by {same}");
    // ...while a wrong rotation (180°) would not.
    let rotated = DynamicImage::ImageRgb8(image::imageops::rotate180(&b.frames[0].image.to_rgb8()));
    assert!(mean_abs_diff(&a.frames[0].image, &rotated) > 3.0 * same.max(1.0));
}

#[test]
fn progressive_jpeg_decodes_and_scales() {
    let jpeg = fixture("progressive_3.jpg");
    assert!(turbojpeg::read_header(&jpeg).unwrap().is_progressive);
    let full = decode(&jpeg, &DecodeOptions::default()).unwrap();
    assert_eq!(full.frames[0].image.dimensions(), (650, 470));
    let half = decode(
        &jpeg,
        &DecodeOptions {
            shrink_to: Some((160, 0)), // 4.06×: 1/2 (Sharp's rule, see jpeg::scale_for)
            ..DecodeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(half.frames[0].image.dimensions(), (325, 235));
    assert_eq!((half.source_width, half.source_height), (650, 470));
}

#[test]
fn png_fixtures_keep_depth_and_alpha() {
    let flag = decode(
        &fixture("Flag_of_the_Netherlands-16bit.png"),
        &DecodeOptions::default(),
    )
    .unwrap();
    let img = &flag.frames[0].image;
    assert_eq!(img.color(), image::ColorType::Rgb16);
    assert_eq!(img.dimensions(), (900, 600));
    let top = img.as_rgb16().unwrap().get_pixel(450, 50);
    let bottom = img.as_rgb16().unwrap().get_pixel(450, 550);
    assert!(top[0] > top[2], "top stripe is red: {top:?}");
    assert!(bottom[2] > bottom[0], "bottom stripe is blue: {bottom:?}");

    let bug_bytes = fixture("blackbug.png");
    let header = probe(&bug_bytes).unwrap();
    assert_eq!(
        (header.width, header.height, header.has_alpha),
        (2048, 1536, true)
    );
    let bug = decode(&bug_bytes, &DecodeOptions::default()).unwrap();
    let rgba = bug.frames[0].image.to_rgba8();
    assert_eq!(bug.frames[0].image.color(), image::ColorType::Rgba8);
    assert!(rgba.pixels().any(|p| p[3] == 0) && rgba.pixels().any(|p| p[3] == 255));
}

#[test]
fn palette_grey_and_one_bit_png_decode() {
    use image::codecs::png::PngEncoder;
    use image::ImageEncoder;
    // 1-bit grey written by the png crate directly (image's encoder has no 1-bit mode).
    let mut one_bit = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut one_bit, 16, 2);
        encoder.set_color(::png::ColorType::Grayscale);
        encoder.set_depth(::png::BitDepth::One);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&[0b1010_1010, 0b1010_1010, 0xFF, 0x00])
            .unwrap();
    }
    let decoded = decode(&one_bit, &DecodeOptions::default()).unwrap();
    let grey = decoded.frames[0].image.to_luma8();
    assert_eq!(grey.dimensions(), (16, 2));
    assert_eq!((grey.get_pixel(0, 0)[0], grey.get_pixel(1, 0)[0]), (255, 0));
    assert_eq!(
        (grey.get_pixel(0, 1)[0], grey.get_pixel(15, 1)[0]),
        (255, 0)
    );

    // Palette with a transparent entry.
    let mut palette = Vec::new();
    {
        let mut encoder = ::png::Encoder::new(&mut palette, 2, 1);
        encoder.set_color(::png::ColorType::Indexed);
        encoder.set_depth(::png::BitDepth::Eight);
        encoder.set_palette(vec![255, 0, 0, 0, 0, 255]);
        encoder.set_trns(vec![255, 0]);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&[0, 1]).unwrap();
    }
    assert!(probe(&palette).unwrap().has_alpha);
    let decoded = decode(&palette, &DecodeOptions::default()).unwrap();
    let rgba = decoded.frames[0].image.to_rgba8();
    assert_eq!(rgba.get_pixel(0, 0), &Rgba([255, 0, 0, 255]));
    assert_eq!(rgba.get_pixel(1, 0)[3], 0);

    // Plain 8-bit grey stays grey.
    let mut grey_png = Vec::new();
    PngEncoder::new(&mut grey_png)
        .write_image(&[0, 64, 128, 255], 2, 2, image::ExtendedColorType::L8)
        .unwrap();
    let decoded = decode(&grey_png, &DecodeOptions::default()).unwrap();
    assert_eq!(decoded.frames[0].image.color(), image::ColorType::L8);
}

#[test]
fn encode_sniff_decode_round_trip_for_every_output_format() {
    let source = DynamicImage::ImageRgb8(gradient_rgb(120, 80));
    let cases = [
        (OutputFormat::Jpeg, 6.0),
        (OutputFormat::Png, 0.0),
        (OutputFormat::Webp, 4.0),
        (OutputFormat::Gif, 16.0),
        (OutputFormat::Tiff, 0.0),
        (OutputFormat::Avif, 6.0),
    ];
    for (format, max_diff) in cases {
        let bytes = encode(&still(source.clone()), 0, &encode_opts(format, None)).unwrap();
        assert_eq!(sniff(&bytes), Some(format.as_image_format()), "{format:?}");
        let header = probe(&bytes).unwrap();
        assert_eq!(
            (header.width, header.height, header.frames),
            (120, 80, 1),
            "{format:?}"
        );
        if !can_decode(format) {
            continue;
        }
        let decoded = decode(&bytes, &DecodeOptions::default()).unwrap();
        assert_eq!(decoded.format, format.as_image_format());
        assert_eq!(decoded.frames.len(), 1);
        let diff = mean_abs_diff(&source, &decoded.frames[0].image);
        assert!(diff <= max_diff, "{format:?}: mean difference {diff}");
    }
}

#[test]
fn alpha_survives_formats_that_have_it() {
    let mut img = RgbaImage::from_fn(64, 48, |x, y| Rgba([(x * 4) as u8, (y * 5) as u8, 90, 255]));
    for y in 0..24 {
        for x in 0..32 {
            img.put_pixel(x, y, Rgba([10, 20, 30, 0]));
        }
    }
    let source = DynamicImage::ImageRgba8(img);
    for format in [
        OutputFormat::Png,
        OutputFormat::Webp,
        OutputFormat::Gif,
        OutputFormat::Tiff,
        OutputFormat::Avif,
    ] {
        let bytes = encode(&still(source.clone()), 0, &encode_opts(format, Some(90))).unwrap();
        assert!(
            probe(&bytes).unwrap().has_alpha,
            "{format:?} lost alpha in the header"
        );
        if !can_decode(format) {
            continue;
        }
        let decoded = decode(&bytes, &DecodeOptions::default()).unwrap().frames[0]
            .image
            .to_rgba8();
        assert!(
            decoded.get_pixel(5, 5)[3] < 10,
            "{format:?}: transparent corner"
        );
        assert!(
            decoded.get_pixel(60, 40)[3] > 245,
            "{format:?}: opaque corner"
        );
    }
    // JPEG has no alpha: transparent pixels become white, not their hidden RGB.
    let jpeg = encode(
        &still(source),
        0,
        &encode_opts(OutputFormat::Jpeg, Some(90)),
    )
    .unwrap();
    let decoded = decode(&jpeg, &DecodeOptions::default()).unwrap().frames[0]
        .image
        .to_rgb8();
    assert!(decoded.get_pixel(5, 5).0.iter().all(|&c| c > 240));
}

#[test]
fn lower_quality_gives_smaller_files() {
    let source = still(DynamicImage::ImageRgb8(gradient_rgb(256, 192)));
    for format in [OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Avif] {
        let low = encode(&source, 0, &encode_opts(format, Some(20))).unwrap();
        let default = encode(&source, 0, &encode_opts(format, None)).unwrap();
        let high = encode(&source, 0, &encode_opts(format, Some(95))).unwrap();
        assert!(
            low.len() < default.len() && default.len() < high.len(),
            "{format:?}: {} / {} / {}",
            low.len(),
            default.len(),
            high.len()
        );
    }
}

#[cfg(not(feature = "avif-decode"))]
#[test]
fn avif_input_is_415_without_the_feature() {
    let avif = encode(
        &still(DynamicImage::ImageRgb8(gradient_rgb(8, 8))),
        0,
        &encode_opts(OutputFormat::Avif, None),
    )
    .unwrap();
    assert_eq!(probe(&avif).unwrap().width, 8);
    assert!(matches!(
        decode(&avif, &DecodeOptions::default()),
        Err(Error::UnsupportedMediaType(_))
    ));
}

#[cfg(feature = "avif-decode")]
#[test]
fn avif_decodes_with_alpha_and_foreign_major_brand() {
    let mut img = RgbaImage::from_fn(40, 30, |x, y| {
        Rgba([200, (x * 6) as u8, (y * 8) as u8, 255])
    });
    img.put_pixel(0, 0, Rgba([0, 0, 0, 0]));
    for x in 20..40 {
        for y in 0..30 {
            img.put_pixel(x, y, Rgba([0, 0, 255, 128]));
        }
    }
    let avif = encode(
        &still(DynamicImage::ImageRgba8(img)),
        0,
        &encode_opts(OutputFormat::Avif, Some(90)),
    )
    .unwrap();
    let decoded = decode(&avif, &DecodeOptions::default()).unwrap();
    let out = decoded.frames[0].image.to_rgba8();
    let half = out.get_pixel(30, 15);
    assert!(half[2] > 230 && (110..=146).contains(&half[3]), "{half:?}");
    assert!(out.get_pixel(5, 15)[0] > 180);

    // Same file with major brand mif1 and `avif` only among the compatible brands.
    let mut patched = avif.clone();
    assert_eq!(&patched[16..20], b"mif1");
    patched[8..12].copy_from_slice(b"mif1");
    patched[16..20].copy_from_slice(b"avif");
    assert_eq!(sniff(&patched), Some(ImageFormat::Avif));
    assert_eq!(
        decode(&patched, &DecodeOptions::default()).unwrap().frames[0]
            .image
            .dimensions(),
        (40, 30)
    );
}

#[test]
fn heic_is_probed_but_refused_with_415() {
    let heic = avif::container::tests::heif_header(b"heic", 4032, 3024, Some(3), None);
    assert_eq!(sniff(&heic), Some(ImageFormat::Heic));
    let header = probe(&heic).unwrap();
    assert_eq!(
        (header.width, header.height, header.orientation),
        (4032, 3024, 6)
    );
    match decode(&heic, &DecodeOptions::default()) {
        Err(Error::UnsupportedMediaType(msg)) => {
            assert_eq!(
                msg,
                "HEIC/HEIF images are not supported; convert to JPEG, PNG, WebP or AVIF"
            )
        }
        other => panic!("expected 415, got {other:?}"),
    }
    assert_eq!(default_output(ImageFormat::Heic), OutputFormat::Jpeg);
    assert_eq!(default_output(ImageFormat::Gif), OutputFormat::Gif);
}

#[test]
fn huge_jpeg_and_avif_headers_are_refused_before_decoding() {
    let mut jpeg = jpeg_with_exif_orientation(16, 16, 1);
    // Patch the SOF dimensions to 60000×60000.
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2])
        .unwrap();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    assert_eq!(probe(&jpeg).unwrap().width, 60_000);
    match decode(&jpeg, &DecodeOptions::default()) {
        Err(Error::ImageTooLarge(msg)) => {
            assert_eq!(msg, "image is 60000x60000 = 3600 MP; the limit is 50 MP")
        }
        other => panic!("expected 413, got {other:?}"),
    }
    let avif = avif::container::tests::heif_header(b"avif", 30_000, 30_000, None, None);
    assert!(matches!(
        decode(&avif, &DecodeOptions::default()),
        Err(Error::ImageTooLarge(_))
    ));
}

#[test]
fn limit_messages() {
    let limits = Limits::default();
    assert!(limits.check(7071, 7071, 1).is_ok());
    let msg = |r: Result<(), Error>| r.unwrap_err().to_string();
    assert_eq!(
        msg(limits.check(8000, 8000, 1)),
        "image is 8000x8000 = 64 MP; the limit is 50 MP"
    );
    assert_eq!(
        msg(limits.check(100, 100, 501)),
        "animation has 501 frames; the limit is 500 frames"
    );
    assert_eq!(
        msg(limits.check(1000, 1000, 101)),
        "animation has 101 frames of 1000x1000 = 101 MP in all; the limit is 100 MP"
    );
    assert!(matches!(
        limits.check(0, 10, 1),
        Err(Error::UnprocessableImage(_))
    ));
    assert_eq!(megapixels(2_500_000), "2.5");
}

#[test]
fn truncated_and_corrupt_inputs_are_422_never_panics() {
    let source = DynamicImage::ImageRgb8(gradient_rgb(96, 64));
    // Truncated JPEG, like sharp's truncated.jpg.
    let jpeg = encode(
        &still(source.clone()),
        0,
        &encode_opts(OutputFormat::Jpeg, Some(85)),
    )
    .unwrap();
    match decode(&jpeg[..jpeg.len() / 2], &DecodeOptions::default()) {
        Err(Error::UnprocessableImage(msg)) => assert!(msg.contains("JPEG"), "{msg}"),
        other => panic!("expected 422, got {other:?}"),
    }
    // PNG with damaged image data.
    let mut png = encode(
        &still(source.clone()),
        0,
        &encode_opts(OutputFormat::Png, None),
    )
    .unwrap();
    let idat = png.windows(4).position(|w| w == b"IDAT").unwrap();
    for b in &mut png[idat + 8..idat + 40] {
        *b ^= 0xA5;
    }
    assert!(matches!(
        decode(&png, &DecodeOptions::default()),
        Err(Error::UnprocessableImage(_))
    ));
    // Truncated AVIF.
    let avif = encode(
        &still(source.clone()),
        0,
        &encode_opts(OutputFormat::Avif, None),
    )
    .unwrap();
    assert!(decode(&avif[..avif.len() - 40], &DecodeOptions::default()).is_err());

    // Every format, cut at many points and with flipped bytes: an answer, never a panic.
    for format in [
        OutputFormat::Jpeg,
        OutputFormat::Png,
        OutputFormat::Webp,
        OutputFormat::Gif,
        OutputFormat::Tiff,
        OutputFormat::Avif,
    ] {
        let bytes = encode(&still(source.clone()), 0, &encode_opts(format, None)).unwrap();
        for cut in (0..bytes.len()).step_by((bytes.len() / 40).max(1)) {
            let _ = probe(&bytes[..cut]);
            let _ = decode(&bytes[..cut], &DecodeOptions::default());
        }
        if format == OutputFormat::Avif {
            continue;
        }
        for seed in 0..20usize {
            let mut damaged = bytes.clone();
            let len = damaged.len();
            for i in 0..8 {
                let at = 12 + (seed * 7919 + i * 104_729) % (len - 12);
                damaged[at] ^= 1 << ((seed + i) % 8);
            }
            let _ = decode(&damaged, &DecodeOptions::default());
        }
    }
}

#[test]
fn unknown_bytes_are_415() {
    assert!(matches!(
        decode(b"hello world", &DecodeOptions::default()),
        Err(Error::UnsupportedMediaType(_))
    ));
    assert!(matches!(
        probe(b"BM\0\0\0\0"),
        Err(Error::UnsupportedMediaType(_))
    ));
}

#[test]
fn encode_rejects_bad_quality_and_empty_input() {
    let frames = still(DynamicImage::ImageRgb8(gradient_rgb(4, 4)));
    assert!(matches!(
        encode(&frames, 0, &encode_opts(OutputFormat::Jpeg, Some(0))),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        encode(&[], 0, &encode_opts(OutputFormat::Png, None)),
        Err(Error::Internal(_))
    ));
}

#[test]
fn outputs_carry_no_metadata() {
    // Decode a JPEG with EXIF, re-encode: no APP1/APP2 in the JPEG, no eXIf/iCCP in the PNG.
    let decoded = decode(&fixture("Landscape_6.jpg"), &DecodeOptions::default()).unwrap();
    let jpeg = encode(&decoded.frames, 0, &encode_opts(OutputFormat::Jpeg, None)).unwrap();
    assert!(!jpeg.windows(4).any(|w| w == b"Exif"));
    assert!(!jpeg.windows(11).any(|w| w == b"ICC_PROFILE"));
    assert_eq!(probe(&jpeg).unwrap().orientation, 1);
    let png = encode(&decoded.frames, 0, &encode_opts(OutputFormat::Png, None)).unwrap();
    assert!(!png.windows(4).any(|w| w == b"eXIf" || w == b"iCCP"));
    let webp = encode(&decoded.frames, 0, &encode_opts(OutputFormat::Webp, None)).unwrap();
    assert!(!webp.windows(4).any(|w| w == b"EXIF" || w == b"ICCP"));
}

#[test]
fn animated_gif_to_gif_keeps_the_animation() {
    let source = decode(&fixture("rotating-squares.gif"), &DecodeOptions::default()).unwrap();
    let gif = encode(
        &source.frames,
        source.loop_count,
        &encode_opts(OutputFormat::Gif, None),
    )
    .unwrap();
    let again = decode(&gif, &DecodeOptions::default()).unwrap();
    assert_eq!(again.loop_count, source.loop_count);
    // Repeated frames are merged into longer ones (30 frames show 9 pictures): compare
    // what shows when each source frame starts.
    assert_eq!(again.frames.len(), 9);
    let total = |frames: &[Frame]| frames.iter().map(|f| f.delay_ms).sum::<u32>();
    assert_eq!(total(&again.frames), total(&source.frames));
    let mut start = 0;
    for frame in &source.frames {
        let mut end = 0;
        let showing = again
            .frames
            .iter()
            .find(|f| {
                end += f.delay_ms;
                end > start
            })
            .unwrap();
        assert!(visible_diff(&frame.image, &showing.image) < 1.0);
        start += frame.delay_ms;
    }
}
