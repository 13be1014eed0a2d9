//! TIFF: the first page, decoded by our own reader (`tiff/`): the header and first IFD
//! are read by hand, strips/tiles go through the codec crates (weezl LZW, flate2 Deflate,
//! `fax` CCITT G3/G4, zune-jpeg for JPEG-in-TIFF) and the photometric conversion is ours,
//! so every interpretation libvips reads decodes (grey±alpha, RGB, palette, CMYK, YCbCr,
//! CIE/ICC L*a*b*, 32-bit LogLuv; 1–64-bit integer and float samples; strips or tiles;
//! chunky or planar). Output is uncompressed (the encoder offers nothing else); 16-bit
//! stays 16-bit.

use std::io::Cursor;

use image::codecs::tiff::TiffEncoder;
use image::{DynamicImage, ImageEncoder};

use super::{Frame, ImageFormat, Limits, Probe, RawDecoded};
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
