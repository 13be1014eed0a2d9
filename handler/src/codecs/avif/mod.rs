//! AVIF: header probing (shared with HEIC), encoding with ravif (rav1e), and the switch for
//! decoding, which lives in `decode` behind the `avif-decode` feature.

use image::DynamicImage;

use super::{corrupt, to_rgb8_on_white, ImageFormat, Limits, Probe, RawDecoded};
use crate::error::Error;
use container::HeifError;

pub(super) mod container;
#[cfg(feature = "avif-decode")]
mod decode;
pub mod isolate;

pub(super) const DEFAULT_QUALITY: u8 = 50;
/// rav1e speed 1–10. Measured at 500×281, q50, 2 cores (spread from a shared machine):
/// speed 6 92–275 ms / 5.1 KB, 8 62–240 ms / 5.4 KB, 9 40–116 ms / 5.9 KB,
/// 10 84–105 ms / 6.7 KB. 9 costs about what 10 does and is 13% smaller.
pub(super) const SPEED: u8 = 9;

pub(super) fn probe(bytes: &[u8], format: ImageFormat) -> Result<Probe, Error> {
    let info = header(bytes, format)?;
    Ok(Probe {
        format,
        width: info.width,
        height: info.height,
        frames: 1,
        orientation: info.orientation,
        has_alpha: info.has_alpha,
    })
}

fn header(bytes: &[u8], format: ImageFormat) -> Result<container::HeifInfo, Error> {
    container::parse(bytes).map_err(|e| match e {
        HeifError::Malformed(why) => corrupt(format, why),
        HeifError::NoPrimaryImage => Error::UnsupportedMediaType(format!(
            "this {} file has no still primary image (image sequences are not supported)",
            format.label()
        )),
    })
}

/// Decodes AVIF in a child process when the binary enabled it (see `isolate`).
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    isolate::decode(bytes, limits)
}

/// AVIF input needs the `avif-decode` feature (rav1d); without it AVIF is a clear 415.
pub(super) fn decode_in_process(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    #[cfg(feature = "avif-decode")]
    {
        let info = header(bytes, ImageFormat::Avif)?;
        decode::decode(bytes, limits, info)
    }
    #[cfg(not(feature = "avif-decode"))]
    {
        let _ = (bytes, limits);
        Err(Error::UnsupportedMediaType(
            "AVIF input is not supported by this build; convert to JPEG, PNG or WebP".into(),
        ))
    }
}

/// Encodes the first frame with ravif. 16-bit input is reduced to 8-bit.
pub(super) fn encode(
    image: &DynamicImage,
    quality: Option<u8>,
    lossless: bool,
) -> Result<Vec<u8>, Error> {
    encode_with_speed(image, quality, lossless, SPEED)
}

pub(super) fn encode_with_speed(
    image: &DynamicImage,
    quality: Option<u8>,
    lossless: bool,
    speed: u8,
) -> Result<Vec<u8>, Error> {
    let quality = if lossless {
        100
    } else {
        quality.unwrap_or(DEFAULT_QUALITY)
    };
    let encoder = ravif::Encoder::new()
        .with_quality(f32::from(quality))
        .with_alpha_quality(f32::from(quality))
        .with_speed(speed)
        .with_bit_depth(ravif::BitDepth::Eight)
        // None = rav1e's tiles run on the global rayon pool, shared with the rest of the crate.
        .with_num_threads(None);
    let (w, h) = (image.width() as usize, image.height() as usize);
    let internal = |e: ravif::Error| Error::Internal(format!("AVIF encoder: {e}"));
    let encoded = if image.color().has_alpha() && !super::is_opaque(image) {
        let rgba = image.to_rgba8();
        let pixels: Vec<ravif::RGBA8> = rgba
            .pixels()
            .map(|p| ravif::RGBA8::new(p[0], p[1], p[2], p[3]))
            .collect();
        encoder
            .encode_rgba(ravif::Img::new(pixels.as_slice(), w, h))
            .map_err(internal)?
    } else {
        let rgb = to_rgb8_on_white(image);
        let pixels: Vec<ravif::RGB8> = rgb
            .pixels()
            .map(|p| ravif::RGB8::new(p[0], p[1], p[2]))
            .collect();
        encoder
            .encode_rgb(ravif::Img::new(pixels.as_slice(), w, h))
            .map_err(internal)?
    };
    Ok(encoded.avif_file)
}
