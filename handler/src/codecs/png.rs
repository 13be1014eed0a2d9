//! PNG through the `image` crate (the pure-Rust `png` decoder): 1/2/4/8/16-bit, grey,
//! palette, alpha. 16-bit stays 16-bit in and out. APNG decodes as its default image only.
//! A quality (`q`) makes an indexed PNG, as Sharp's does (see `palette`).

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use image::{DynamicImage, ImageEncoder};

use super::{
    corrupt, decode_with_image_crate, from_image_error, is_opaque, orient, ColourModel, Details,
    Frame, ImageFormat, Limits, Probe, RawDecoded, MAX_ICC_BYTES,
};
use crate::error::Error;

mod palette;

/// Graphics: zlib level 6 with adaptive filtering. `Fast` (fdeflate) is 4–13× quicker
/// but its files are 30–270% larger on graphics (the flag: 17 KB vs 4.6 KB); `Best` is
/// 2× slower for under 1%.
const GRAPHICS: CompressionType = CompressionType::Default;
/// Photos: on thousands of colours zlib's matching finds little, and `Fast` costs ~5% in
/// size for half the time (300×300 photo: 97 KB in 20 ms vs 92 KB in 42 ms; Sharp: 132 KB).
const PHOTOS: CompressionType = CompressionType::Fast;
const FILTER: FilterType = FilterType::Adaptive;

/// More distinct colours than a graphic has, counted on a sample of up to 16 384 pixels.
fn looks_photographic(image: &DynamicImage) -> bool {
    const DISTINCT: usize = 2048;
    let (samples, channels) = match image {
        DynamicImage::ImageRgb8(b) => (b.as_raw(), 3),
        DynamicImage::ImageRgba8(b) => (b.as_raw(), 4),
        // Grey and 16-bit images are rare as outputs; keep the smaller files.
        _ => return false,
    };
    let pixels = samples.chunks_exact(channels);
    let step = (pixels.len() / 16_384).max(1);
    let mut seen = std::collections::HashSet::with_capacity(DISTINCT + 1);
    for pixel in pixels.step_by(step) {
        let alpha = pixel.get(3).copied().unwrap_or(255);
        seen.insert(u32::from_le_bytes([pixel[0], pixel[1], pixel[2], alpha]));
        if seen.len() > DISTINCT {
            return true;
        }
    }
    false
}

const SIGNATURE_LEN: usize = 8;

pub(super) fn probe(bytes: &[u8]) -> Result<Probe, Error> {
    let truncated = || corrupt(ImageFormat::Png, "the header ends early");
    let ihdr = bytes
        .get(SIGNATURE_LEN..SIGNATURE_LEN + 8 + 13)
        .ok_or_else(truncated)?;
    if &ihdr[4..8] != b"IHDR" {
        return Err(corrupt(ImageFormat::Png, "IHDR is not the first chunk"));
    }
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let (width, height) = (be32(&ihdr[8..12]), be32(&ihdr[12..16]));
    let color_type = ihdr[17];
    let mut has_alpha = matches!(color_type, 4 | 6);
    let mut orientation = 1;

    // Ancillary chunks that matter come before the first IDAT.
    let mut pos = SIGNATURE_LEN;
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = be32(&head[0..4]) as usize;
        let kind = &head[4..8];
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        let data = bytes.get(pos + 8..pos + 8 + len);
        match (kind, data) {
            (b"tRNS", _) => has_alpha = true,
            (b"eXIf", Some(data)) => orientation = orient::from_exif(data),
            _ => {}
        }
        pos = pos.saturating_add(12).saturating_add(len);
    }
    Ok(Probe {
        format: ImageFormat::Png,
        width,
        height,
        frames: 1,
        orientation,
        has_alpha,
    })
}

/// The header's facts beyond the probe, for a description: bit depth and colour type
/// from IHDR, the profile from iCCP (inflated, at most [`MAX_ICC_BYTES`]) and eXIf,
/// from the chunks before the first IDAT.
pub(super) fn details(bytes: &[u8]) -> Result<Details, Error> {
    let probe = probe(bytes)?;
    // `probe` checked that IHDR is there.
    let ihdr = &bytes[SIGNATURE_LEN + 8..SIGNATURE_LEN + 8 + 13];
    let colour = match ihdr[9] {
        0 | 4 => ColourModel::Grey,
        _ => ColourModel::Srgb,
    };
    let mut details = Details {
        probe,
        bit_depth: ihdr[8],
        colour,
        icc_profile: None,
        exif: None,
        duration_ms: None,
    };
    let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let mut pos = SIGNATURE_LEN;
    while let Some(head) = bytes.get(pos..pos + 8) {
        let (len, kind) = (be32(&head[0..4]), &head[4..8]);
        if kind == b"IDAT" || kind == b"IEND" {
            break;
        }
        match (
            kind,
            bytes.get(pos + 8..pos.saturating_add(8).saturating_add(len)),
        ) {
            (b"eXIf", Some(data)) => details.exif = Some(data.to_vec()),
            (b"iCCP", Some(data)) => details.icc_profile = inflate_iccp(data),
            _ => {}
        }
        pos = pos.saturating_add(12).saturating_add(len);
    }
    Ok(details)
}

/// An iCCP chunk's profile: name, NUL, method 0, then zlib data. `None` when it does
/// not inflate or is larger than [`MAX_ICC_BYTES`].
fn inflate_iccp(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let name_end = data.iter().position(|&b| b == 0)?;
    let compressed = data.get(name_end + 2..)?;
    let mut profile = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_ICC_BYTES as u64 + 1)
        .read_to_end(&mut profile)
        .ok()?;
    (profile.len() <= MAX_ICC_BYTES).then_some(profile)
}

pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    let decoder =
        PngDecoder::new(Cursor::new(bytes)).map_err(|e| from_image_error(ImageFormat::Png, e))?;
    let (image, icc_profile) = decode_with_image_crate(ImageFormat::Png, decoder, limits)?;
    Ok(RawDecoded {
        frames: vec![Frame { image, delay_ms: 0 }],
        loop_count: 0,
        icc_profile,
        palette: None,
    })
}

/// Truecolour (or grey) without a quality; with one, an indexed PNG of the fewest colours
/// that meet it (Sharp: `quality` implies `palette`), 8-bit whatever the input's depth.
pub(super) fn encode(image: &DynamicImage, quality: Option<u8>) -> Result<Vec<u8>, Error> {
    if let Some(q) = quality {
        return encode_indexed(image, q);
    }
    let compression = if looks_photographic(image) {
        PHOTOS
    } else {
        GRAPHICS
    };
    encode_with_compression(image, compression)
}

fn encode_with_compression(
    image: &DynamicImage,
    compression: CompressionType,
) -> Result<Vec<u8>, Error> {
    // An all-opaque alpha channel costs bytes for nothing.
    let without_alpha;
    let image = if image.color().has_alpha() && is_opaque(image) {
        without_alpha = match image {
            DynamicImage::ImageLumaA8(_) => DynamicImage::ImageLuma8(image.to_luma8()),
            DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLuma16(image.to_luma16()),
            DynamicImage::ImageRgba16(_) => DynamicImage::ImageRgb16(image.to_rgb16()),
            _ => DynamicImage::ImageRgb8(image.to_rgb8()),
        };
        &without_alpha
    } else {
        image
    };
    // Float images have no PNG form; 16-bit keeps the precision.
    let converted;
    let image = match image {
        DynamicImage::ImageRgb32F(_) => {
            converted = DynamicImage::ImageRgb16(image.to_rgb16());
            &converted
        }
        DynamicImage::ImageRgba32F(_) => {
            converted = DynamicImage::ImageRgba16(image.to_rgba16());
            &converted
        }
        other => other,
    };
    let mut out = Vec::new();
    PngEncoder::new_with_quality(&mut out, compression, FILTER)
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .map_err(|e| Error::Internal(format!("PNG encoder: {e}")))?;
    Ok(out)
}

fn encode_indexed(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Error> {
    let rgba = image.to_rgba8();
    write_indexed(&rgba, &palette::quantise(&rgba, quality))
}

fn write_indexed(rgba: &image::RgbaImage, indexed: &palette::Indexed) -> Result<Vec<u8>, Error> {
    let n = indexed.palette.len();
    let (depth, bits) = match n {
        0..=2 => (::png::BitDepth::One, 1),
        3..=4 => (::png::BitDepth::Two, 2),
        5..=16 => (::png::BitDepth::Four, 4),
        _ => (::png::BitDepth::Eight, 8),
    };
    let width = rgba.width() as usize;
    let per_byte = 8 / bits;
    let row_bytes = width.div_ceil(per_byte);
    let mut data = vec![0u8; row_bytes * rgba.height() as usize];
    for (row, out) in indexed
        .indices
        .chunks_exact(width)
        .zip(data.chunks_exact_mut(row_bytes))
    {
        for (x, &i) in row.iter().enumerate() {
            let shift = 8 - bits * (x % per_byte + 1);
            out[x / per_byte] |= i << shift;
        }
    }
    let rgb: Vec<u8> = indexed
        .palette
        .iter()
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    // Translucent entries come first: tRNS stops after the last one.
    let trns: Vec<u8> = indexed
        .palette
        .iter()
        .map(|p| p[3])
        .take_while(|&a| a < 255)
        .collect();
    let internal = |e: ::png::EncodingError| Error::Internal(format!("PNG encoder: {e}"));
    let mut out = Vec::new();
    let mut encoder = ::png::Encoder::new(&mut out, rgba.width(), rgba.height());
    encoder.set_color(::png::ColorType::Indexed);
    encoder.set_depth(depth);
    encoder.set_palette(rgb);
    if !trns.is_empty() {
        encoder.set_trns(trns);
    }
    encoder.set_compression(::png::Compression::Balanced);
    // Index rows: differences between neighbouring indices mean nothing.
    encoder.set_filter(::png::Filter::NoFilter);
    let mut writer = encoder.write_header().map_err(internal)?;
    writer.write_image_data(&data).map_err(internal)?;
    writer.finish().map_err(internal)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{decode, probe, DecodeOptions};
    use image::{ColorType, Rgba, RgbaImage};

    /// A valid PNG signature + IHDR declaring `width`×`height`, then IEND: no pixel data.
    fn header_only_png(width: u32, height: u32) -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        push_chunk(&mut png, b"IHDR", &ihdr);
        // A few bytes of image data: decoders read the header up to the first IDAT.
        push_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00]);
        push_chunk(&mut png, b"IEND", &[]);
        png
    }

    fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        png.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn huge_declared_size_is_refused_from_the_header() {
        let png = header_only_png(50_000, 50_000);
        let p = probe(&png).unwrap();
        assert_eq!((p.width, p.height, p.has_alpha), (50_000, 50_000, true));
        let started = std::time::Instant::now();
        let err = decode(&png, &DecodeOptions::default()).unwrap_err();
        assert!(
            started.elapsed().as_millis() < 50,
            "refusal must not decode"
        );
        match err {
            Error::ImageTooLarge(msg) => {
                assert_eq!(msg, "image is 50000x50000 = 2500 MP; the limit is 50 MP")
            }
            other => panic!("expected ImageTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn image_crate_limit_is_a_second_line() {
        // Pretend our header check let it through: the decoder's own limit still refuses.
        let png = header_only_png(20_000, 20_000);
        let limits = Limits {
            max_pixels: 1_000_000,
            ..Limits::default()
        };
        match decode_raw_for_test(&png, &limits) {
            Err(Error::ImageTooLarge(_)) => {}
            other => panic!("expected ImageTooLarge, got {:?}", other.err()),
        }
    }

    fn decode_raw_for_test(png: &[u8], limits: &Limits) -> Result<(), Error> {
        super::decode(png, limits).map(|_| ())
    }

    #[test]
    fn sixteen_bit_round_trip_stays_sixteen_bit() {
        let img = DynamicImage::ImageRgb16(image::ImageBuffer::from_fn(33, 17, |x, y| {
            image::Rgb([x as u16 * 1000 + 7, y as u16 * 3000 + 1, 65535 - x as u16])
        }));
        let png = encode(&img, None).unwrap();
        let decoded = decode(&png, &DecodeOptions::default()).unwrap();
        let out = &decoded.frames[0].image;
        assert_eq!(out.color(), ColorType::Rgb16);
        assert_eq!(
            out.as_rgb16().unwrap().as_raw(),
            img.as_rgb16().unwrap().as_raw()
        );
    }

    #[test]
    fn opaque_alpha_is_dropped_and_real_alpha_kept() {
        let opaque = DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 255])));
        let out = decode(&encode(&opaque, None).unwrap(), &DecodeOptions::default()).unwrap();
        assert_eq!(out.frames[0].image.color(), ColorType::Rgb8);
        let mut translucent = RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 255]));
        translucent.put_pixel(3, 3, Rgba([9, 9, 9, 100]));
        let png = encode(&DynamicImage::ImageRgba8(translucent), None).unwrap();
        assert!(probe(&png).unwrap().has_alpha);
        let out = decode(&png, &DecodeOptions::default()).unwrap();
        assert_eq!(
            out.frames[0].image.to_rgba8().get_pixel(3, 3),
            &Rgba([9, 9, 9, 100])
        );
    }

    #[test]
    fn exif_orientation_in_png_is_applied() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(4, 2, |x, _| {
            image::Rgb([if x == 0 { 255 } else { 0 }, 0, 0])
        }));
        let plain = encode(&img, None).unwrap();
        // Insert an eXIf chunk (orientation 6) right after IHDR.
        let exif = [
            b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0,
            0, 0, 0,
        ];
        let mut png = plain[..33].to_vec();
        push_chunk(&mut png, b"eXIf", &exif);
        png.extend_from_slice(&plain[33..]);
        assert_eq!(probe(&png).unwrap().orientation, 6);
        let decoded = decode(&png, &DecodeOptions::default()).unwrap();
        let out = decoded.frames[0].image.to_rgb8();
        assert_eq!(out.dimensions(), (2, 4));
        // Rotating 90° clockwise moves the left column to the top row.
        assert_eq!(out.get_pixel(1, 0)[0], 255);
        assert_eq!(out.get_pixel(0, 3)[0], 0);
    }
}

#[cfg(test)]
mod palette_figures {
    /// Measurement, not a check: `PALETTE_DIR=<dir> cargo test -p image-service --lib
    /// palette_figures -- --ignored --nocapture` quantises every `<name>-ref.png` in the
    /// folder (Sharp's truecolour output) at q 10–100 and writes `<name>-ours-q<q>.png`.
    #[test]
    #[ignore]
    fn write_palette_outputs() {
        let dir = std::env::var("PALETTE_DIR").unwrap();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix("-ref.png") else {
                continue;
            };
            let img = image::open(&path).unwrap();
            for q in [10u8, 30, 50, 70, 90, 100] {
                let t = std::time::Instant::now();
                let out = super::encode(&img, Some(q)).unwrap();
                println!("{stem} q{q} {} bytes {:?}", out.len(), t.elapsed());
                std::fs::write(format!("{dir}/{stem}-ours-q{q}.png"), out).unwrap();
                let rgba = img.to_rgba8();
                let plain = super::palette::quantise_with(&rgba, q, false);
                let out = super::write_indexed(&rgba, &plain).unwrap();
                std::fs::write(format!("{dir}/{stem}-plain-q{q}.png"), out).unwrap();
            }
        }
    }
}

#[cfg(test)]
mod palette_tests {
    use super::encode;
    use crate::codecs::{decode, DecodeOptions};
    use crate::ops::testutil::fixture;
    use image::DynamicImage;

    /// Mean absolute difference in levels over premultiplied RGBA: how far the picture
    /// moved, whatever hides under transparent pixels.
    fn error(a: &DynamicImage, b: &DynamicImage) -> f64 {
        let (a, b) = (a.to_rgba8(), b.to_rgba8());
        assert_eq!(a.dimensions(), b.dimensions());
        let mut total = 0.0;
        for (p, q) in a.pixels().zip(b.pixels()) {
            let (pa, qa) = (f64::from(p[3]) / 255.0, f64::from(q[3]) / 255.0);
            for c in 0..3 {
                total += (f64::from(p[c]) * pa - f64::from(q[c]) * qa).abs();
            }
            total += (f64::from(p[3]) - f64::from(q[3])).abs();
        }
        total / (a.as_raw().len() as f64)
    }

    fn decoded(png: &[u8]) -> DynamicImage {
        decode(png, &DecodeOptions::default())
            .unwrap()
            .frames
            .remove(0)
            .image
    }

    /// `q` makes an indexed PNG (colour type 3) smaller than the truecolour one, whose
    /// error against the input is within 1.25× Sharp's at the same q (Sharp 0.35.5's
    /// output is committed beside the input) while its size is at most Sharp's × 1.5.
    /// A wrong answer — the same image quantised at q=5, far fewer colours — fails the bound.
    #[test]
    fn quality_gives_an_indexed_png_like_sharps() {
        for name in ["blackbug-250", "progressive3-160"] {
            let input = fixture(&format!("palette/{name}.png"));
            let sharp_bytes = std::fs::read(crate::ops::testutil::fixture_path(&format!(
                "palette/{name}-sharp-q70.png"
            )))
            .unwrap();
            let sharp_error = error(&input, &decoded(&sharp_bytes));
            let bound = 1.25 * sharp_error;
            let truecolour = encode(&input, None).unwrap();
            let indexed = encode(&input, Some(70)).unwrap();
            assert_eq!(indexed[25], 3, "{name}: colour type");
            let ours = error(&input, &decoded(&indexed));
            let wrong = error(&input, &decoded(&encode(&input, Some(5)).unwrap()));
            println!(
                "{name}: ours {} bytes error {ours:.3}; Sharp {} bytes error {sharp_error:.3}; \
                 truecolour {} bytes; q=5 error {wrong:.3}",
                indexed.len(),
                sharp_bytes.len(),
                truecolour.len()
            );
            assert!(indexed.len() < truecolour.len(), "{name}: not smaller");
            assert!(indexed.len() * 2 <= sharp_bytes.len() * 3, "{name}: size");
            assert!(ours <= bound, "{name}: error {ours:.3} > {bound:.3}");
            assert!(
                wrong > bound,
                "{name}: q=5 passes ({wrong:.3} <= {bound:.3})"
            );
        }
    }

    #[test]
    fn quality_100_keeps_an_image_of_few_colours_exact() {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(12, 11, |x, y| {
            image::Rgba([
                (x * 40 % 256) as u8,
                (y * 90 % 256) as u8,
                7,
                [255, 0, 128][(x % 3) as usize],
            ])
        }));
        let png = encode(&img, Some(100)).unwrap();
        assert_eq!(png[25], 3);
        let out = decoded(&png).to_rgba8();
        for (p, q) in img.to_rgba8().pixels().zip(out.pixels()) {
            if p[3] == 0 {
                assert_eq!(q[3], 0);
            } else {
                assert_eq!(p, q);
            }
        }
    }

    /// Entries in the PLTE chunk.
    fn palette_len(png: &[u8]) -> usize {
        let at = png.windows(4).position(|w| w == b"PLTE").unwrap();
        u32::from_be_bytes(png[at - 4..at].try_into().unwrap()) as usize / 3
    }

    #[test]
    fn lower_quality_never_means_more_colours() {
        let input = fixture("palette/progressive3-160.png");
        let mut last = usize::MAX;
        for q in [100, 90, 70, 50, 30, 10, 1] {
            let n = palette_len(&encode(&input, Some(q)).unwrap());
            assert!(n <= last, "q={q}: {n} > {last}");
            last = n;
        }
        assert!(last < 64, "{last}");
    }
}
