//! AVIF: header probing (HEIC shares the container reader), encoding with ravif (rav1e),
//! and decoding, which runs through `isolate` (a child process when the binary enabled
//! one) into `decode` (rav1d, behind the `avif-decode` feature).
//!
//! Dependencies run one way: this file → `isolate` → `decode` → `container`.

use image::DynamicImage;

use super::{to_rgb8_on_white, ImageFormat, Limits, Probe, RawDecoded};
use crate::error::Error;

pub(super) mod container;
#[cfg(feature = "avif-decode")]
mod decode;
pub mod isolate;

pub(super) const DEFAULT_QUALITY: u8 = 50;
/// rav1e speed 1–10. Measured at 500×281, q50, 2 cores (spread from a shared machine):
/// speed 6 92–275 ms / 5.1 KB, 8 62–240 ms / 5.4 KB, 9 40–116 ms / 5.9 KB,
/// 10 84–105 ms / 6.7 KB. 9 costs about what 10 does and is 13% smaller.
pub(super) const SPEED: u8 = 9;

/// Size and orientation from the primary item's properties; for AVIF, avif-parse also
/// checks the structure and finds the alpha auxiliary. HEIC is only ever refused, so its
/// alpha is not looked for.
pub(super) fn probe(bytes: &[u8], format: ImageFormat) -> Result<Probe, Error> {
    let properties = container::properties(bytes, format)?;
    let has_alpha = match format {
        ImageFormat::Avif => match container::grid(bytes, &properties)? {
            Some(grid) => grid.alpha.is_some(),
            None => container::items(bytes)?.alpha_item.is_some(),
        },
        _ => false,
    };
    Ok(Probe {
        format,
        width: properties.width,
        height: properties.height,
        frames: 1,
        orientation: properties.orientation,
        has_alpha,
    })
}

/// Decodes AVIF, in a child process when the binary enabled it (see `isolate`).
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    isolate::decode(bytes, limits)
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

#[cfg(test)]
mod real_files;
