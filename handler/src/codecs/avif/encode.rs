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

#[cfg(all(test, feature = "avif-decode"))]
mod figures {
    use crate::codecs::{decode, DecodeOptions};
    use crate::ops::testutil::ssim;

    /// Measurement, not a check: `AVIF_DIR=<dir> cargo test -p image-service --lib
    /// avif_quality_figures -- --ignored --nocapture`. For every `<name>-src.png` and
    /// Sharp's `<name>-sharp-q<q>.avif` beside it, prints size and SSIM against the source
    /// for Sharp's files and for ours at every quality 20–95 (same decoder for both).
    #[test]
    #[ignore]
    fn avif_quality_figures() {
        let dir = std::env::var("AVIF_DIR").unwrap();
        let opts = DecodeOptions::default();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                name.strip_suffix("-src.png").map(str::to_owned)
            })
            .collect();
        names.sort();
        for name in names {
            let src = image::open(format!("{dir}/{name}-src.png")).unwrap();
            for q in [30, 50, 70, 90] {
                let Ok(bytes) = std::fs::read(format!("{dir}/{name}-sharp-q{q}.avif")) else {
                    continue;
                };
                let out = decode(&bytes, &opts).unwrap().frames.remove(0).image;
                let s = ssim(&src, &out);
                println!("{name} sharp q{q} {} bytes ssim {s:.4}", bytes.len());
            }
            for q in (20..=95).step_by(5) {
                let bytes = super::encode(&src, Some(q), false).unwrap();
                let out = decode(&bytes, &opts).unwrap().frames.remove(0).image;
                let s = ssim(&src, &out);
                println!("{name} ours q{q} {} bytes ssim {s:.4}", bytes.len());
            }
        }
    }
}
