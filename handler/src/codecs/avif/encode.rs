//! AVIF encoding with ravif (rav1e).
//!
//! `q` is mapped onto ravif's quality scale so that equal `q` gives about Sharp's picture
//! (libheif + libaom, effort 4): measured with `tools/sharp/avif-quality.js` and the
//! `avif_sweep` example on five photos of 450–1200 px and an alpha PNG (colour SSIM against
//! the uncompressed resize). At `SPEED` and through `QUALITY_MAP`, our SSIM is within −0.017…+0.040 of
//! Sharp's (median 0.000) for q 30/50/65/80, at 0.94–1.59× its bytes (median 1.13×).
//! rav1e cannot match libaom's bytes at equal SSIM (see `SPEED`), so no mapping gives
//! both on every photo; the old one (`q` straight, speed 9) was 0.018–0.043 below Sharp on
//! the photos.

use image::DynamicImage;

use crate::codecs::{is_opaque, to_rgb8_on_white};
use crate::error::Error;

pub(in crate::codecs) const DEFAULT_QUALITY: u8 = 50;

/// rav1e speed 1–10. For Sharp's SSIM, speed 9 needs 1.13–2.07× Sharp's bytes, 8 (as 7)
/// 1.05–1.35×, 6 1.04–1.28×, 4 a few per cent less than 6 at twice its time. Speed 6
/// encodes about 3× slower than 9, which the benchmark's AVIF job affords.
pub(in crate::codecs) const SPEED: u8 = 6;

/// `q` → ravif quality, linear between these points: where ravif at `SPEED` reaches the
/// SSIM Sharp gives at that `q` on the median photo of the measured set.
const QUALITY_MAP: [(f32, f32); 6] = [
    (1.0, 1.0),
    (30.0, 35.0),
    (50.0, 69.0),
    (65.0, 83.0),
    (80.0, 90.0),
    (100.0, 100.0),
];

/// What ravif is asked for.
#[derive(Clone, Copy, Debug)]
pub(in crate::codecs) struct Settings {
    pub quality: f32,
    /// The same map as colour, as libheif gives alpha the colour quality. On the alpha PNG
    /// (a black bug on transparency) rav1e's alpha is the weak part: alpha SSIM 0.955–0.9996
    /// against Sharp's 0.998–0.9999, at 1.17–1.45× its bytes.
    pub alpha_quality: f32,
    pub speed: u8,
}

impl Settings {
    /// The settings for a request's `q` (default 50) and `ll`.
    pub(in crate::codecs) fn for_request(quality: Option<u8>, lossless: bool) -> Self {
        let quality = if lossless {
            100.0
        } else {
            mapped_quality(quality.unwrap_or(DEFAULT_QUALITY))
        };
        Settings {
            quality,
            alpha_quality: quality,
            speed: SPEED,
        }
    }
}

/// Our `q` (1–100) on ravif's scale, through `QUALITY_MAP`.
fn mapped_quality(q: u8) -> f32 {
    let q = f32::from(q.clamp(1, 100));
    QUALITY_MAP
        .windows(2)
        .find(|pair| q <= pair[1].0)
        .map_or(100.0, |pair| {
            let ((q0, r0), (q1, r1)) = (pair[0], pair[1]);
            r0 + (q - q0) * (r1 - r0) / (q1 - q0)
        })
}

/// Encodes the first frame with ravif. 16-bit input is reduced to 8-bit.
pub(in crate::codecs) fn encode(
    image: &DynamicImage,
    quality: Option<u8>,
    lossless: bool,
) -> Result<Vec<u8>, Error> {
    encode_with(image, Settings::for_request(quality, lossless))
}

pub(in crate::codecs) fn encode_with(
    image: &DynamicImage,
    settings: Settings,
) -> Result<Vec<u8>, Error> {
    let encoder = ravif::Encoder::new()
        .with_quality(settings.quality)
        .with_alpha_quality(settings.alpha_quality)
        .with_speed(settings.speed)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_map_is_monotone_and_hits_its_points() {
        assert_eq!(mapped_quality(50), 69.0);
        assert_eq!(mapped_quality(80), 90.0);
        assert_eq!(mapped_quality(100), 100.0);
        assert_eq!(mapped_quality(0), 1.0);
        assert!((mapped_quality(40) - 52.0).abs() < 1e-4);
        let all: Vec<f32> = (1..=100).map(mapped_quality).collect();
        assert!(all.windows(2).all(|p| p[0] < p[1]), "{all:?}");
        assert!(all.iter().all(|q| (1.0..=100.0).contains(q)));
    }
}
