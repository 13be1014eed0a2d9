//! PNG through the `image` crate (the pure-Rust `png` decoder): 1/2/4/8/16-bit, grey,
//! palette, alpha. 16-bit stays 16-bit in and out. APNG decodes as its default image only.

use std::io::Cursor;

use image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use image::{DynamicImage, ImageEncoder};

use super::{
    corrupt, decode_with_image_crate, from_image_error, is_opaque, orient, Frame, ImageFormat,
    Limits, Probe, RawDecoded,
};
use crate::error::Error;

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

pub(super) fn encode(image: &DynamicImage) -> Result<Vec<u8>, Error> {
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
        let png = encode(&img).unwrap();
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
        let out = decode(&encode(&opaque).unwrap(), &DecodeOptions::default()).unwrap();
        assert_eq!(out.frames[0].image.color(), ColorType::Rgb8);
        let mut translucent = RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 255]));
        translucent.put_pixel(3, 3, Rgba([9, 9, 9, 100]));
        let png = encode(&DynamicImage::ImageRgba8(translucent)).unwrap();
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
        let plain = encode(&img).unwrap();
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
