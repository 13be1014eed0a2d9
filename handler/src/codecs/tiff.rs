//! TIFF: the first page, decoded by our own reader (`tiff/`): the header and first IFD
//! are read by hand, strips/tiles go through the codec crates (weezl LZW, flate2 Deflate,
//! `fax` CCITT G3/G4, zune-jpeg for JPEG-in-TIFF) and the photometric conversion is ours,
//! so every interpretation libvips reads decodes (grey±alpha, RGB, palette, CMYK, YCbCr,
//! CIE/ICC L*a*b*, 32-bit LogLuv; 1–64-bit integer and float samples; strips or tiles;
//! chunky or planar). Output is uncompressed (the encoder offers nothing else); 16-bit
//! stays 16-bit. CMYK output (`tc=cmyk`) is written by [`encode_cmyk`]: 8-bit inks, alpha
//! as an unassociated extra sample, the CMYK profile embedded, as libvips writes it.

use std::io::Cursor;

use image::codecs::tiff::TiffEncoder;
use image::{DynamicImage, ImageEncoder};

use super::{ColourModel, Details, Frame, ImageFormat, Limits, Probe, RawDecoded};
use crate::error::Error;

mod chunks;
mod ifd;
mod layout;
mod logluv;
mod pixels;

/// 422: the file is not a readable TIFF.
fn bad(detail: impl std::fmt::Display) -> Error {
    super::corrupt(ImageFormat::Tiff, detail)
}

/// 415: a TIFF feature we do not decode.
fn unsupported(detail: impl std::fmt::Display) -> Error {
    Error::UnsupportedMediaType(format!(
        "this TIFF image uses a feature we cannot decode: {detail}"
    ))
}

/// Reads the header and first IFD only: no pixel data.
pub(super) fn probe(bytes: &[u8]) -> Result<Probe, Error> {
    let layout = layout::Layout::read(bytes)?;
    Ok(Probe {
        format: ImageFormat::Tiff,
        width: layout.width,
        height: layout.height,
        frames: 1,
        orientation: layout.orientation,
        has_alpha: layout.has_alpha(),
    })
}

/// The header's facts beyond the probe, for a description. A TIFF is itself the
/// structure EXIF borrows, so its EXIF is the file (IFD0 with its EXIF and GPS IFDs).
pub(super) fn details(bytes: &[u8]) -> Result<Details, Error> {
    let layout = layout::Layout::read(bytes)?;
    let colour = match layout.photometric {
        layout::WHITE_IS_ZERO | layout::BLACK_IS_ZERO => ColourModel::Grey,
        layout::CMYK => ColourModel::Cmyk,
        layout::CIELAB | layout::ICCLAB => ColourModel::Lab,
        logluv::LOGLUV => ColourModel::Xyz,
        _ => ColourModel::Srgb,
    };
    Ok(Details {
        probe: probe(bytes)?,
        bit_depth: u8::try_from(layout.bits).unwrap_or(u8::MAX),
        colour,
        icc_profile: layout.icc.map(<[u8]>::to_vec),
        exif: Some(bytes.to_vec()),
        duration_ms: None,
    })
}

/// The limits are checked on the header's size before any pixel buffer is allocated.
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    let layout = layout::Layout::read(bytes)?;
    layout.check(limits)?;
    let planes = layout::assemble(bytes, &layout)?;
    let (image, icc) = pixels::convert(&planes, &layout)?;
    Ok(RawDecoded {
        frames: vec![Frame { image, delay_ms: 0 }],
        loop_count: 0,
        icc_profile: icc.map(<[u8]>::to_vec),
        palette: None,
    })
}

pub(super) fn encode(image: &DynamicImage) -> Result<Vec<u8>, Error> {
    // The encoder takes grey, RGB and RGBA at 8/16 bits (and float): map the rest.
    let converted;
    let image = match image {
        DynamicImage::ImageLumaA8(_) => {
            converted = DynamicImage::ImageRgba8(image.to_rgba8());
            &converted
        }
        DynamicImage::ImageLumaA16(_) => {
            converted = DynamicImage::ImageRgba16(image.to_rgba16());
            &converted
        }
        other => other,
    };
    let mut out = Cursor::new(Vec::new());
    TiffEncoder::new(&mut out)
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .map_err(|e| Error::Internal(format!("TIFF encoder: {e}")))?;
    Ok(out.into_inner())
}

/// TIFF tag types (TIFF 6.0 §2).
const SHORT: u16 = 3;
const LONG: u16 = 4;
const UNDEFINED: u16 = 7;

/// An uncompressed little-endian CMYK TIFF of `ink` (4 samples a pixel, 0 = no ink) and
/// optional `alpha` (one a pixel, unassociated: ExtraSamples 2, as Sharp writes CMYK with
/// alpha), with `icc` in the ICC tag so a colour-managed reader knows what the inks mean.
pub(super) fn encode_cmyk(
    width: u32,
    height: u32,
    ink: &[u8],
    alpha: Option<&[u8]>,
    icc: &[u8],
) -> Result<Vec<u8>, Error> {
    let samples: u16 = if alpha.is_some() { 5 } else { 4 };
    let data_len = ink.len() + alpha.map_or(0, <[u8]>::len);
    let too_large = || Error::ImageTooLarge("a CMYK TIFF over 4 GB".into());
    let data_len32 = u32::try_from(data_len).map_err(|_| too_large())?;
    // Header, pixel data, the variable-length values, then the IFD.
    let mut out = Vec::new();
    out.try_reserve_exact(data_len + icc.len() + 256)
        .map_err(|_| too_large())?;
    out.extend_from_slice(b"II*\0");
    out.extend_from_slice(&[0; 4]); // IFD offset, set below
    let data_at = out.len() as u32;
    match alpha {
        None => out.extend_from_slice(ink),
        Some(alpha) => {
            for (px, a) in ink.chunks_exact(4).zip(alpha) {
                out.extend_from_slice(px);
                out.push(*a);
            }
        }
    }
    // Values and the IFD start on word boundaries (TIFF 6.0 §2).
    let word_align = |out: &mut Vec<u8>| -> Result<u32, Error> {
        if out.len() % 2 == 1 {
            out.push(0);
        }
        u32::try_from(out.len()).map_err(|_| too_large())
    };
    let bits_at = word_align(&mut out)?;
    (0..samples).for_each(|_| out.extend_from_slice(&8u16.to_le_bytes()));
    let icc_at = word_align(&mut out)?;
    out.extend_from_slice(icc);
    let ifd_at = word_align(&mut out)?;
    out[4..8].copy_from_slice(&ifd_at.to_le_bytes());
    let icc_len = u32::try_from(icc.len()).map_err(|_| too_large())?;
    let mut tags: Vec<(u16, u16, u32, u32)> = vec![
        (256, LONG, 1, width),
        (257, LONG, 1, height),
        (258, SHORT, u32::from(samples), bits_at),
        (259, SHORT, 1, 1),      // no compression
        (262, SHORT, 1, 5),      // separated (CMYK)
        (273, LONG, 1, data_at), // one strip
        (277, SHORT, 1, u32::from(samples)),
        (278, LONG, 1, height),
        (279, LONG, 1, data_len32),
        (284, SHORT, 1, 1), // chunky
        (332, SHORT, 1, 1), // InkSet: CMYK
        (34675, UNDEFINED, icc_len, icc_at),
    ];
    if alpha.is_some() {
        tags.push((338, SHORT, 1, 2)); // ExtraSamples: unassociated alpha
        tags.sort_by_key(|t| t.0);
    }
    out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
    for (tag, kind, count, value) in tags {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        // One SHORT sits left-justified in the 4-byte value field.
        if kind == SHORT && count == 1 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&[0; 4]); // no next IFD
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{decode, probe, DecodeOptions};
    use image::{ImageBuffer, LumaA};

    #[test]
    fn round_trip_grey_alpha_and_16_bit() {
        let grey_alpha = DynamicImage::ImageLumaA8(ImageBuffer::from_fn(9, 5, |x, y| {
            LumaA([x as u8 * 20, y as u8 * 50])
        }));
        let tiff = encode(&grey_alpha).unwrap();
        let header = probe(&tiff).unwrap();
        assert_eq!(
            (header.width, header.height, header.has_alpha),
            (9, 5, true)
        );
        let out = decode(&tiff, &DecodeOptions::default()).unwrap();
        assert_eq!(
            out.frames[0].image.to_luma_alpha8().as_raw(),
            grey_alpha.to_luma_alpha8().as_raw()
        );

        let deep = DynamicImage::ImageRgb16(ImageBuffer::from_fn(7, 3, |x, _| {
            image::Rgb([x as u16 * 9000, 1, 65535])
        }));
        let out = decode(&encode(&deep).unwrap(), &DecodeOptions::default()).unwrap();
        assert_eq!(out.frames[0].image.color(), image::ColorType::Rgb16);
    }

    #[test]
    fn cmyk_output_round_trips_with_alpha_and_profile() {
        let (w, h) = (5u32, 3u32);
        let ink: Vec<u8> = (0..w * h).flat_map(|i| [0, 230, 230, i as u8]).collect();
        let alpha: Vec<u8> = (0..w * h).map(|i| i as u8 * 17).collect();
        let icc = crate::codecs::cmyk::PROFILE;
        for alpha in [None, Some(alpha.as_slice())] {
            let tiff = encode_cmyk(w, h, &ink, alpha, icc).unwrap();
            let layout = layout::Layout::read(&tiff).unwrap();
            assert_eq!(layout.photometric, layout::CMYK);
            assert_eq!(layout.icc, Some(icc));
            assert_eq!(layout.has_alpha(), alpha.is_some());
            let out = decode(&tiff, &DecodeOptions::default()).unwrap();
            let img = &out.frames[0].image;
            assert_eq!((img.width(), img.height()), (5, 3));
            let p = img.to_rgba8().get_pixel(1, 0).0;
            assert!(p[0] > 200 && p[1] < 90 && p[2] < 90, "a press red: {p:?}");
            if let Some(alpha) = alpha {
                assert_eq!(p[3], alpha[1]);
            }
        }
    }

    #[test]
    fn truncated_tiff_is_unprocessable() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::new(50, 50));
        let tiff = encode(&img).unwrap();
        // Keep the header and IFD offset but lose the strip data and IFD.
        let cut = &tiff[..tiff.len() / 3];
        assert!(matches!(
            decode(cut, &DecodeOptions::default()),
            Err(Error::UnprocessableImage(_))
        ));
    }
}
