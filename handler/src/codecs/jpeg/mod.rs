//! JPEG through TurboJPEG (vendored libjpeg-turbo 3): it reports errors instead of
//! panicking, scales in the DCT while decoding, and encodes fast.
//!
//! Warnings count as errors (libjpeg-turbo returns -1 for them), so a truncated file is a
//! 422 rather than a half-grey picture, as in sharp's default `failOn: 'warning'`.

use std::borrow::Cow;

use image::{DynamicImage, GrayImage, RgbImage};
use turbojpeg::{Colorspace, Compressor, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp};

use super::{
    alloc_pixels, color, corrupt, orient, to_rgb8_on_white, ColourModel, Details, Frame,
    ImageFormat, Limits, Probe, RawDecoded,
};
use crate::error::Error;

mod huffman;

pub(super) const DEFAULT_QUALITY: u8 = 80;
/// From this quality up, chroma keeps full resolution (4:4:4); below it 4:2:0 saves ~30%.
const FULL_CHROMA_FROM_QUALITY: u8 = 90;
/// Baseline scans with optimised Huffman tables. Measured on a photo at q80: progressive
/// was no smaller (500 px: 16.8 vs 16.4 KB; 3840 px: 337.0 vs 336.5 KB) and took 2× as
/// long, so it is off. Optimised Huffman tables cost 0.7 ms at 500 px and save 3% there,
/// 10% at 3840 px.
const PROGRESSIVE: bool = false;
/// From this many output pixels the Huffman tables are optimised after encoding
/// (`huffman`) instead of by libjpeg, whose second pass keeps every coefficient of
/// the image (2 bytes per sample). Same bytes either way.
const REWRITE_HUFFMAN_FROM_PIXELS: usize = 1 << 20;
/// Bounds the work a hostile progressive JPEG with thousands of scans can cause.
const MAX_SCANS: u32 = 500;

/// What the marker segments before the first scan say.
#[derive(Debug, Default)]
struct JpegHeader {
    width: u32,
    height: u32,
    orientation: u8,
    icc_profile: Option<Vec<u8>>,
    /// An Adobe APP14 segment: CMYK samples are stored inverted (Photoshop convention).
    adobe: bool,
    /// Bits per sample (8, or 12 and 16 in rare files) and components (1 grey, 3 colour,
    /// 4 CMYK) from the frame header.
    precision: u8,
    components: u8,
    /// Where the first EXIF block (TIFF-structured, after "Exif\0\0") is in the file.
    exif: Option<std::ops::Range<usize>>,
}

pub(super) fn probe(bytes: &[u8]) -> Result<Probe, Error> {
    let header = scan_markers(bytes)?;
    Ok(Probe {
        format: ImageFormat::Jpeg,
        width: header.width,
        height: header.height,
        frames: 1,
        orientation: header.orientation,
        has_alpha: false,
    })
}

/// The header's facts beyond the probe, for a description.
pub(super) fn details(bytes: &[u8]) -> Result<Details, Error> {
    let header = scan_markers(bytes)?;
    let colour = match header.components {
        1 => ColourModel::Grey,
        4 => ColourModel::Cmyk,
        _ => ColourModel::Srgb,
    };
    Ok(Details {
        probe: probe(bytes)?,
        bit_depth: header.precision,
        colour,
        exif: header
            .exif
            .and_then(|range| bytes.get(range))
            .map(<[u8]>::to_vec),
        icc_profile: header.icc_profile,
        duration_ms: None,
    })
}

/// Walks the marker segments up to the first SOS (start of scan).
fn scan_markers(bytes: &[u8]) -> Result<JpegHeader, Error> {
    let truncated = || corrupt(ImageFormat::Jpeg, "the header ends early");
    let mut header = JpegHeader {
        orientation: 1,
        ..JpegHeader::default()
    };
    let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
    let mut seen_exif = false;
    let mut pos = 2; // after SOI
    loop {
        // Markers are 0xFF followed by a code; extra 0xFF bytes are fill.
        if *bytes.get(pos).ok_or_else(truncated)? != 0xFF {
            return Err(corrupt(ImageFormat::Jpeg, "expected a marker"));
        }
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let marker = *bytes.get(pos).ok_or_else(truncated)?;
        pos += 1;
        if marker == 0x01 || (0xD0..=0xD8).contains(&marker) {
            continue; // standalone markers carry no length
        }
        if marker == 0xD9 {
            return Err(corrupt(
                ImageFormat::Jpeg,
                "no image data before the end marker",
            ));
        }
        let len_bytes = bytes.get(pos..pos + 2).ok_or_else(truncated)?;
        let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
        if len < 2 {
            return Err(corrupt(ImageFormat::Jpeg, "bad segment length"));
        }
        let segment = bytes.get(pos + 2..pos + len).ok_or_else(truncated)?;
        let segment_start = pos + 2;
        pos += len;
        match marker {
            0xE1 if !seen_exif && segment.starts_with(b"Exif\0\0") => {
                seen_exif = true;
                header.orientation = orient::from_exif(&segment[6..]);
                header.exif = Some(segment_start + 6..segment_start + segment.len());
            }
            0xE2 if segment.len() > 14 && segment.starts_with(b"ICC_PROFILE\0") => {
                icc_chunks.push((segment[12], &segment[14..]));
            }
            0xEE if segment.starts_with(b"Adobe") => header.adobe = true,
            // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                if segment.len() < 6 {
                    return Err(truncated());
                }
                header.precision = segment[0];
                header.height = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
                header.width = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
                header.components = segment[5];
            }
            0xDA => break,
            _ => {}
        }
    }
    if header.width == 0 || header.height == 0 {
        return Err(corrupt(ImageFormat::Jpeg, "no frame header with a size"));
    }
    if !icc_chunks.is_empty() {
        // Chunks are numbered from 1; order them in case a writer did not.
        icc_chunks.sort_by_key(|(seq, _)| *seq);
        header.icc_profile = Some(
            icc_chunks
                .iter()
                .flat_map(|(_, d)| d.iter().copied())
                .collect(),
        );
    }
    Ok(header)
}

/// The DCT scale (1/8, 1/4, 1/2 or 1) to decode at for a `target` in stored orientation
/// (0 = that axis is free), chosen for fidelity first, then speed.
///
/// The scaled IDCT is a coarse resampler: when it does nearly all of the reduction and
/// leaves ours only a few percent, the result is several levels away from a full decode
/// resized once with Lanczos-3 (`tests/fidelity.rs`). So, as Sharp does with its default
/// `fastShrinkOnLoad`, with `shrink` the smaller of the two axis reductions: the largest
/// factor ≤ `shrink`, halved when the integer part of `shrink` equals it (2.27× decodes
/// at full size, 4.26× at 1/2, 5.45× at 1/4, 8.5× at 1/4). This is never coarser than
/// Sharp's choice for the same request (our error is then at most Sharp's, measured in
/// `tests/fidelity.rs`), and never finer, so the decode costs what Sharp's does.
fn scale_for(width: usize, height: usize, target: Option<(u32, u32)>) -> ScalingFactor {
    let Some((tw, th)) = target else {
        return ScalingFactor::ONE;
    };
    let axis = |side: usize, t: u32| match t {
        0 => f64::INFINITY,
        t => side as f64 / f64::from(t),
    };
    let shrink = axis(width, tw).min(axis(height, th));
    let Some(mut denom) = [8usize, 4, 2].into_iter().find(|&d| shrink >= d as f64) else {
        return ScalingFactor::ONE;
    };
    // The integer part of the reduction equals the factor: leave the resampler at least
    // the rest of it (Sharp's "known libjpeg rounding errors" rule).
    if shrink.is_finite() && shrink.trunc() as usize == denom {
        denom /= 2;
    }
    // Never below the target on a constrained axis (holds by construction; kept as
    // the invariant the resize after the decode relies on).
    while denom > 1 {
        let factor = ScalingFactor::new(1, denom);
        if factor.scale(width) >= tw as usize && factor.scale(height) >= th as usize {
            return factor;
        }
        denom /= 2;
    }
    ScalingFactor::ONE
}

fn tj_error(err: turbojpeg::Error) -> Error {
    corrupt(ImageFormat::Jpeg, err)
}

pub(super) fn decode(
    bytes: &[u8],
    limits: &Limits,
    stored_target: Option<(u32, u32)>,
) -> Result<RawDecoded, Error> {
    let markers = scan_markers(bytes)?;
    let mut decompressor = Decompressor::new().map_err(|e| Error::Internal(e.to_string()))?;
    decompressor.set_scan_limit(MAX_SCANS).map_err(tj_error)?;
    let header = decompressor.read_header(bytes).map_err(tj_error)?;
    // libjpeg's view of the size wins over our marker scan (e.g. a DNL-defined height).
    limits.check(
        u32::try_from(header.width).unwrap_or(u32::MAX),
        u32::try_from(header.height).unwrap_or(u32::MAX),
        1,
    )?;
    let factor = scale_for(header.width, header.height, stored_target);
    decompressor.set_scaling_factor(factor).map_err(tj_error)?;
    let (width, height) = (factor.scale(header.width), factor.scale(header.height));

    let format = match header.colorspace {
        Colorspace::Gray => PixelFormat::GRAY,
        Colorspace::CMYK | Colorspace::YCCK => PixelFormat::CMYK,
        _ => PixelFormat::RGB,
    };
    let mut pixels = alloc_pixels(width * height * format.size())?;
    decompressor
        .decompress(
            bytes,
            Image {
                pixels: pixels.as_mut_slice(),
                width,
                pitch: width * format.size(),
                height,
                format,
            },
        )
        .map_err(tj_error)?;

    let (w, h) = (width as u32, height as u32);
    let bad_size = || Error::Internal("pixel buffer size mismatch".into());
    let mut icc_profile = markers.icc_profile;
    let image = match format {
        PixelFormat::GRAY => {
            DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).ok_or_else(bad_size)?)
        }
        PixelFormat::CMYK => {
            if markers.adobe {
                pixels.iter_mut().for_each(|v| *v = 255 - *v);
            }
            // The CMYK profile is used up here; the result is sRGB.
            let rgb = color::cmyk_to_srgb(&pixels, icc_profile.take().as_deref());
            DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(bad_size)?)
        }
        _ => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(bad_size)?),
    };
    Ok(RawDecoded {
        frames: vec![Frame { image, delay_ms: 0 }],
        loop_count: 0,
        icc_profile,
        palette: None,
    })
}

pub(super) fn encode(
    image: &DynamicImage,
    quality: Option<u8>,
    lossless: bool,
) -> Result<Vec<u8>, Error> {
    encode_with(
        image,
        effective_quality(quality, lossless),
        PROGRESSIVE,
        true,
    )
}

/// `ll` means the highest quality (JPEG has no lossless mode here); no `q`, the default.
fn effective_quality(quality: Option<u8>, lossless: bool) -> u8 {
    if lossless {
        100
    } else {
        quality.unwrap_or(DEFAULT_QUALITY)
    }
}

fn encode_with(
    image: &DynamicImage,
    quality: u8,
    progressive: bool,
    optimize: bool,
) -> Result<Vec<u8>, Error> {
    let grey = matches!(
        image,
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageLuma16(_)
    );
    // 8-bit grey and RGB are encoded from the image's own buffer: a converted copy of a
    // large output would double the peak memory.
    let (pixels, format, subsamp): (Cow<[u8]>, _, _) = if grey {
        let pixels = match image {
            DynamicImage::ImageLuma8(b) => Cow::Borrowed(b.as_raw().as_slice()),
            _ => Cow::Owned(image.to_luma8().into_raw()),
        };
        (pixels, PixelFormat::GRAY, Subsamp::Gray)
    } else {
        let pixels = match image {
            DynamicImage::ImageRgb8(b) => Cow::Borrowed(b.as_raw().as_slice()),
            _ => Cow::Owned(to_rgb8_on_white(image).into_raw()),
        };
        (pixels, PixelFormat::RGB, colour_subsamp(quality))
    };
    let (width, height) = (image.width() as usize, image.height() as usize);
    let rewrite = optimize && !progressive && width * height >= REWRITE_HUFFMAN_FROM_PIXELS;
    let jpeg = compress(
        Image {
            pixels: &pixels[..],
            width,
            pitch: width * format.size(),
            height,
            format,
        },
        Settings {
            quality,
            subsamp,
            progressive,
            optimize: optimize && !rewrite,
        },
    )?;
    if !rewrite {
        return Ok(jpeg);
    }
    // The rewriter handles everything this encoder writes; should it ever refuse, the
    // file with standard tables is still a correct JPEG.
    Ok(huffman::optimize_huffman(&jpeg).unwrap_or(jpeg))
}

fn colour_subsamp(quality: u8) -> Subsamp {
    if quality >= FULL_CHROMA_FROM_QUALITY {
        Subsamp::None
    } else {
        Subsamp::Sub2x2
    }
}

struct Settings {
    quality: u8,
    subsamp: Subsamp,
    progressive: bool,
    optimize: bool,
}

fn compress(image: Image<&[u8]>, settings: Settings) -> Result<Vec<u8>, Error> {
    let internal = |e: turbojpeg::Error| Error::Internal(format!("JPEG encoder: {e}"));
    let mut compressor = Compressor::new().map_err(internal)?;
    compressor
        .set_quality(i32::from(settings.quality))
        .map_err(internal)?;
    compressor.set_subsamp(settings.subsamp).map_err(internal)?;
    compressor
        .set_optimize(settings.optimize)
        .map_err(internal)?;
    compressor
        .set_progressive(settings.progressive)
        .map_err(internal)?;
    compressor.compress_to_vec(image).map_err(internal)
}

/// A CMYK JPEG of `ink` (4 samples a pixel, 0 = no ink), for `tc=cmyk`.
///
/// Written the way Photoshop and libvips write CMYK: an Adobe APP14 marker (libjpeg-turbo
/// adds it for CMYK) and the samples inverted (255 = no ink), which is what readers that
/// see that marker expect (libjpeg-based ones, Sharp, our decoder). libjpeg-turbo stores
/// them as YCCK, so the chroma subsampling rule of RGB output applies. `icc` (the CMYK
/// profile) goes in APP2 ICC_PROFILE segments right after SOI.
pub(super) fn encode_cmyk(
    width: u32,
    height: u32,
    ink: &[u8],
    quality: Option<u8>,
    lossless: bool,
    icc: &[u8],
) -> Result<Vec<u8>, Error> {
    let quality = effective_quality(quality, lossless);
    let inverted: Vec<u8> = ink.iter().map(|v| 255 - v).collect();
    let (width, height) = (width as usize, height as usize);
    let jpeg = compress(
        Image {
            pixels: inverted.as_slice(),
            width,
            pitch: width * 4,
            height,
            format: PixelFormat::CMYK,
        },
        Settings {
            quality,
            subsamp: colour_subsamp(quality),
            progressive: PROGRESSIVE,
            optimize: true,
        },
    )?;
    Ok(with_icc(&jpeg, icc))
}

/// Largest ICC payload of one APP2 segment: 65535 − length field − "ICC_PROFILE\0" − 2.
const ICC_CHUNK: usize = 65_519;

/// `jpeg` with `icc` in APP2 ICC_PROFILE segments (numbered from 1) after SOI.
fn with_icc(jpeg: &[u8], icc: &[u8]) -> Vec<u8> {
    let chunks: Vec<&[u8]> = icc.chunks(ICC_CHUNK).collect();
    let mut out = Vec::with_capacity(jpeg.len() + icc.len() + 18 * chunks.len());
    out.extend_from_slice(&jpeg[..2]);
    for (i, chunk) in chunks.iter().enumerate() {
        out.extend_from_slice(&[0xFF, 0xE2]);
        out.extend_from_slice(&((chunk.len() + 16) as u16).to_be_bytes());
        out.extend_from_slice(b"ICC_PROFILE\0");
        out.extend_from_slice(&[(i + 1) as u8, chunks.len() as u8]);
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::tests::{gradient_rgb, jpeg_with_exif_orientation};
    use crate::codecs::{decode, DecodeOptions};

    #[test]
    fn scale_leaves_the_resampler_its_share_as_sharp_does() {
        let pick = |w, h, t| {
            let f = scale_for(w, h, t);
            (f.num(), f.denom())
        };
        // 4000 px: 2.27× full size, 4.26× at 1/2, 5.45× at 1/4, 8.5× at 1/4, 9.5× at 1/8.
        assert_eq!(pick(4000, 3000, Some((1762, 0))), (1, 1));
        assert_eq!(pick(4000, 3000, Some((939, 0))), (1, 2));
        assert_eq!(pick(4000, 3000, Some((734, 0))), (1, 4));
        assert_eq!(pick(4000, 3000, Some((471, 0))), (1, 4));
        assert_eq!(pick(4000, 3000, Some((421, 0))), (1, 8));
        // Between the integers the largest factor ≤ the reduction stays.
        assert_eq!(pick(4000, 3000, Some((1100, 0))), (1, 2)); // 3.6×
        assert_eq!(pick(4000, 3000, Some((2001, 0))), (1, 1)); // 1.999×
        assert_eq!(pick(4000, 3000, Some((2000, 0))), (1, 1)); // exactly 2×: int 2 = 2
        assert_eq!(pick(4000, 3000, Some((1333, 0))), (1, 2)); // 3.0×
                                                               // The smaller of the two reductions counts; 0 leaves an axis free.
        assert_eq!(pick(4000, 3000, Some((500, 600))), (1, 4)); // 8× and 5×
        assert_eq!(pick(4000, 3000, Some((0, 300))), (1, 8)); // 10×
        assert_eq!(pick(4000, 3000, Some((0, 0))), (1, 8));
        assert_eq!(pick(4000, 3000, None), (1, 1));
    }

    #[test]
    fn large_outputs_have_the_bytes_of_libjpeg_optimised_tables() {
        // Above REWRITE_HUFFMAN_FROM_PIXELS the tables are optimised after encoding.
        const _: () = assert!(1280 * 900 >= REWRITE_HUFFMAN_FROM_PIXELS);
        let image = gradient_rgb(1280, 900);
        let ours = encode(&DynamicImage::ImageRgb8(image.clone()), Some(80), false).unwrap();
        let mut compressor = Compressor::new().unwrap();
        compressor.set_quality(80).unwrap();
        compressor.set_subsamp(Subsamp::Sub2x2).unwrap();
        compressor.set_optimize(true).unwrap();
        let libjpeg = compressor
            .compress_to_vec(Image {
                pixels: image.as_raw().as_slice(),
                width: 1280,
                pitch: 1280 * 3,
                height: 900,
                format: PixelFormat::RGB,
            })
            .unwrap();
        assert!(ours == libjpeg, "{} vs {} bytes", ours.len(), libjpeg.len());
    }

    #[test]
    fn shrink_on_load_returns_scaled_image_and_source_size() {
        let jpeg = encode(
            &DynamicImage::ImageRgb8(gradient_rgb(1600, 1200)),
            Some(90),
            false,
        )
        .unwrap();
        let opts = |target| DecodeOptions {
            shrink_to: target,
            ..DecodeOptions::default()
        };
        let cases = [
            (Some((160, 120)), (200, 150)), // 10×
            (Some((200, 150)), (400, 300)), // 8×: int 8 = 8, so 1/4
            (Some((201, 0)), (400, 300)),   // 7.96×
            (Some((0, 301)), (800, 600)),   // 3.99×
            (Some((900, 0)), (1600, 1200)), // 1.78×
            (None, (1600, 1200)),
        ];
        for (target, size) in cases {
            let decoded = decode(&jpeg, &opts(target)).unwrap();
            let img = &decoded.frames[0].image;
            assert_eq!((img.width(), img.height()), size, "target {target:?}");
            assert_eq!((decoded.source_width, decoded.source_height), (1600, 1200));
        }
    }

    #[test]
    fn shrink_target_is_upright_for_rotated_jpegs() {
        // Stored 1600×800, orientation 6 → upright 800×1600. An upright target of 100 wide
        // and 200 high is an 8× reduction on both axes: 1/4 (stored 400×200). Read
        // unrotated it would be 16× and 4×, so 1/2 (stored 800×400).
        let jpeg = jpeg_with_exif_orientation(1600, 800, 6);
        let decoded = decode(
            &jpeg,
            &DecodeOptions {
                shrink_to: Some((100, 200)),
                ..DecodeOptions::default()
            },
        )
        .unwrap();
        let img = &decoded.frames[0].image;
        assert_eq!((img.width(), img.height()), (200, 400));
        assert_eq!((decoded.source_width, decoded.source_height), (800, 1600));
    }

    #[test]
    fn marker_scan_reads_size_orientation_and_icc() {
        let jpeg = jpeg_with_exif_orientation(64, 32, 3);
        let header = scan_markers(&jpeg).unwrap();
        assert_eq!(
            (header.width, header.height, header.orientation),
            (64, 32, 3)
        );
        assert!(header.icc_profile.is_none());
        assert!(scan_markers(&jpeg[..4]).is_err());
    }

    #[test]
    fn grey_stays_single_channel() {
        let grey = DynamicImage::ImageLuma8(GrayImage::from_fn(40, 30, |x, _| {
            image::Luma([x as u8 * 6])
        }));
        let jpeg = encode(&grey, None, false).unwrap();
        let decoded = decode(&jpeg, &DecodeOptions::default()).unwrap();
        assert_eq!(decoded.frames[0].image.color(), image::ColorType::L8);
    }

    #[test]
    fn adobe_cmyk_comes_out_as_rgb_not_inverted() {
        // Photoshop-style inverted CMYK: pure red is C=0 M=Y=100% K=0, stored as 255,0,0,255.
        let (w, h) = (32usize, 16usize);
        let stored: Vec<u8> = (0..w * h).flat_map(|_| [255u8, 0, 0, 255]).collect();
        let mut compressor = Compressor::new().unwrap();
        compressor.set_quality(95).unwrap();
        compressor.set_subsamp(Subsamp::None).unwrap();
        let jpeg = compressor
            .compress_to_vec(Image {
                pixels: stored.as_slice(),
                width: w,
                pitch: w * 4,
                height: h,
                format: PixelFormat::CMYK,
            })
            .unwrap();
        assert!(
            scan_markers(&jpeg).unwrap().adobe,
            "libjpeg writes an Adobe marker for CMYK"
        );
        let decoded = decode(&jpeg, &DecodeOptions::default()).unwrap();
        let rgb = decoded.frames[0].image.to_rgb8();
        let p = rgb.get_pixel(10, 8);
        // A press red through the shipped profile (read inverted it would be cyan-black).
        assert!(
            p[0] > 200 && p[1] < 90 && p[2] < 90,
            "expected red, got {p:?}"
        );
    }

    #[test]
    fn cmyk_output_is_inverted_adobe_cmyk_with_its_profile() {
        // A flat press red: C=0 M=Y=90% K=0.
        let (w, h) = (24u32, 16u32);
        let ink: Vec<u8> = (0..w * h).flat_map(|_| [0u8, 230, 230, 0]).collect();
        let icc = crate::codecs::cmyk::PROFILE;
        let jpeg = encode_cmyk(w, h, &ink, Some(95), false, icc).unwrap();
        let header = scan_markers(&jpeg).unwrap();
        assert!(header.adobe, "Adobe APP14 marker");
        assert_eq!(header.icc_profile.as_deref(), Some(icc));
        // Stored inverted: no ink is 255.
        let mut d = Decompressor::new().unwrap();
        let raw = d.read_header(&jpeg).unwrap();
        assert_eq!((raw.width, raw.height), (24, 16));
        let mut stored = vec![0u8; 24 * 16 * 4];
        d.decompress(
            &jpeg,
            Image {
                pixels: stored.as_mut_slice(),
                width: 24,
                pitch: 96,
                height: 16,
                format: PixelFormat::CMYK,
            },
        )
        .unwrap();
        assert!(
            stored[0] > 250 && stored[1] < 40 && stored[3] > 250,
            "{:?}",
            &stored[..4]
        );
        // Our decoder reads it back through the profile: a press red.
        let decoded = decode(&jpeg, &DecodeOptions::default()).unwrap();
        let p = *decoded.frames[0].image.to_rgb8().get_pixel(5, 5);
        assert!(p[0] > 200 && p[1] < 90 && p[2] < 90, "{p:?}");
    }

    #[test]
    fn higher_quality_is_larger_and_q90_keeps_full_chroma() {
        let img = DynamicImage::ImageRgb8(gradient_rgb(300, 200));
        let small = encode(&img, Some(40), false).unwrap();
        let large = encode(&img, Some(95), false).unwrap();
        assert!(
            small.len() < large.len(),
            "{} vs {}",
            small.len(),
            large.len()
        );
        let subsamp = |jpeg: &[u8]| turbojpeg::read_header(jpeg).unwrap().subsamp;
        assert_eq!(subsamp(&small), Subsamp::Sub2x2);
        assert_eq!(subsamp(&large), Subsamp::None);
        assert!(!turbojpeg::read_header(&large).unwrap().is_progressive);
    }
}
