//! AVIF encoding with ravif (rav1e).

use image::DynamicImage;

use crate::codecs::{is_opaque, to_rgb8_on_white};
use crate::error::Error;

pub(in crate::codecs) const DEFAULT_QUALITY: u8 = 50;
/// rav1e speed 1–10. Measured at 500×281, q50, 2 cores (spread from a shared machine):
/// speed 6 92–275 ms / 5.1 KB, 8 62–240 ms / 5.4 KB, 9 40–116 ms / 5.9 KB,
/// 10 84–105 ms / 6.7 KB. 9 costs about what 10 does and is 13% smaller.
pub(in crate::codecs) const SPEED: u8 = 9;

/// Encodes the first frame with ravif. 16-bit input is reduced to 8-bit.
pub(in crate::codecs) fn encode(
    image: &DynamicImage,
    quality: Option<u8>,
    lossless: bool,
) -> Result<Vec<u8>, Error> {
    encode_with_speed(image, quality, lossless, SPEED)
}

pub(in crate::codecs) fn encode_with_speed(
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
    let encoded = if image.color().has_alpha() && !is_opaque(image) {
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
