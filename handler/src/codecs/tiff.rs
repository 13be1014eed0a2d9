//! TIFF through the `image` crate (pure-Rust `tiff`): the first page only. Output is
//! uncompressed (the encoder offers nothing else); 16-bit stays 16-bit.

use std::io::Cursor;

use image::codecs::tiff::{TiffDecoder, TiffEncoder};
use image::{DynamicImage, ImageDecoder, ImageEncoder};

use super::{
    decode_with_image_crate, from_image_error, Frame, ImageFormat, Limits, Probe, RawDecoded,
};
use crate::error::Error;

fn err(e: image::ImageError) -> Error {
    from_image_error(ImageFormat::Tiff, e)
}

/// Reading the first IFD (tags only) is all `TiffDecoder::new` does.
pub(super) fn probe(bytes: &[u8]) -> Result<Probe, Error> {
    let mut decoder = TiffDecoder::new(Cursor::new(bytes)).map_err(err)?;
    let (width, height) = decoder.dimensions();
    let has_alpha = decoder.color_type().has_alpha();
    let orientation = decoder.orientation().map_or(1, |o| o.to_exif());
    Ok(Probe {
        format: ImageFormat::Tiff,
        width,
        height,
        frames: 1,
        orientation,
        has_alpha,
    })
}

pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    let decoder = TiffDecoder::new(Cursor::new(bytes)).map_err(err)?;
    let (image, icc_profile) = decode_with_image_crate(ImageFormat::Tiff, decoder, limits)?;
    Ok(RawDecoded {
        frames: vec![Frame { image, delay_ms: 0 }],
        loop_count: 0,
        icc_profile,
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
