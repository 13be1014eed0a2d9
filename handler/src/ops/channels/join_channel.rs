//! `jc`: Sharp's `joinChannel(images)`: append bands from other images.
//!
//! Each operand adds its first band: the grey of a grey mask, the red band of a
//! colour one. The result's layout follows from its band count: grey + 1 → grey with
//! alpha, grey + 2 → RGB, grey + 3 or RGB + 1 → RGBA. Our encoders carry at most
//! four bands, so more is a 400 naming `jc`.
//!
//! Deliberate differences from Sharp:
//! - Sharp (libvips `bandjoin`) appends every band of each operand and its PNG keeps
//!   the first four. For grey operands, and for one colour operand on an RGB image
//!   (RGB + the operand's red as alpha), that is exactly what we produce; where
//!   Sharp would silently drop bands we answer 400 instead.
//! - Size: libvips pads the smaller image with black to the larger size, so Sharp's
//!   output can grow. We keep the image's size and resize each operand to it
//!   (Lanczos3, aspect ratio not kept), as masks are usually meant to cover it.
//! - Depth: operands are converted to the image's depth (8 or 16 bits).

use crate::error::{Error, Result};
use crate::ops::pixel::bands::Bands;
use crate::params::StoreKey;
use fast_image_resize as fr;
use image::DynamicImage;

/// Most bands an image may have after joining (what PNG, WebP and TIFF carry).
pub const MAX_BANDS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinChannel {
    /// Store keys of the operands, in order; the pipeline loads them and passes the
    /// decoded images to `apply` in the same order.
    pub operands: Vec<StoreKey>,
}

impl JoinChannel {
    pub fn apply(&self, images: &mut [DynamicImage], operands: &[DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            let src = Bands::from_image(img);
            let total = src.channels + operands.len();
            if total > MAX_BANDS {
                let keys: Vec<String> = self
                    .operands
                    .iter()
                    .map(|k| format!("{:?}", k.as_str()))
                    .collect();
                return Err(Error::invalid_parameter(
                    "jc",
                    format!("[{}]", keys.join(",")),
                    format!(
                        "at most {} image(s) here: the image has {} channel(s) and \
                         the result may have at most {MAX_BANDS} (grey + up to 3, \
                         or RGB + 1)",
                        MAX_BANDS.saturating_sub(src.channels),
                        src.channels
                    ),
                ));
            }
            let extra = operands
                .iter()
                .map(|op| first_band(op, &src))
                .collect::<Result<Vec<_>>>()?;
            let n = src.channels;
            let mut out = Bands::blank(src.width, src.height, total, src.deep);
            for (i, (p, q)) in src
                .pixels()
                .zip(out.data.chunks_exact_mut(total))
                .enumerate()
            {
                q[..n].copy_from_slice(p);
                for (slot, band) in q[n..].iter_mut().zip(&extra) {
                    *slot = band[i];
                }
            }
            *img = out.into_image();
        }
        Ok(())
    }
}

/// The operand's first band at the image's size and depth.
fn first_band(operand: &DynamicImage, image: &Bands) -> Result<Vec<u16>> {
    let resized = crate::ops::geometry::resize::resample(
        operand,
        (image.width, image.height),
        fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3),
    )?;
    let b = Bands::from_image(&resized);
    Ok(b.pixels()
        .map(|p| {
            if image.deep {
                p[0]
            } else {
                ((u32::from(p[0]) + 128) / 257) as u16 * 257
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{all_variants, fixture, max_channel_diff, ssim};
    use image::GenericImageView;

    fn run(img: DynamicImage, operands: &[DynamicImage]) -> Result<DynamicImage> {
        let mut imgs = [img];
        let keys = (0..operands.len())
            .map(|i| StoreKey::parse(&format!("op{i}.png")).unwrap())
            .collect();
        JoinChannel { operands: keys }.apply(&mut imgs, operands)?;
        let [out] = imgs;
        Ok(out)
    }

    #[test]
    fn grey_mask_becomes_alpha_like_sharp() {
        let out = run(fixture("colour-photo.png"), &[fixture("colour-mask.png")]).unwrap();
        let want = fixture("sharp/jc-mask-landscape.png");
        assert_eq!(out.color(), want.color());
        assert_eq!(out.dimensions(), want.dimensions());
        assert_eq!(max_channel_diff(&out, &want), 0);
    }

    #[test]
    fn colour_operand_adds_its_red_like_sharps_png() {
        let out = run(
            fixture("colour-photo.png"),
            &[fixture("colour-operand.png")],
        )
        .unwrap();
        let want = fixture("sharp/jc-operand-landscape.png");
        assert_eq!(out.color(), want.color());
        assert_eq!(max_channel_diff(&out, &want), 0);
    }

    #[test]
    fn grey_plus_two_is_rgb_like_sharp() {
        let grey = fixture("sharp/tc-bw-landscape.png");
        let out = run(
            grey,
            &[fixture("colour-mask.png"), fixture("colour-mask.png")],
        )
        .unwrap();
        let want = fixture("sharp/jc-grey-two-masks.png");
        assert_eq!(out.color(), want.color());
        assert!(ssim(&out, &want) > 0.999);
    }

    #[test]
    fn more_than_four_bands_is_a_400_naming_jc() {
        let err = run(
            fixture("colour-photo.png"),
            &[fixture("colour-mask.png"), fixture("colour-mask.png")],
        )
        .unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
        assert!(err.to_string().contains("'jc'"), "{err}");
        assert!(run(
            fixture("colour-photo-alpha.png"),
            &[fixture("colour-mask.png")]
        )
        .is_err());
    }

    #[test]
    fn operand_of_another_size_is_resized() {
        let small = fixture("colour-mask.png").thumbnail(30, 30);
        let out = run(fixture("colour-photo.png"), &[small]).unwrap();
        assert_eq!(out.dimensions(), fixture("colour-photo.png").dimensions());
        assert_eq!(out.color(), image::ColorType::Rgba8);
    }

    #[test]
    fn every_variant() {
        for img in all_variants(3, 2) {
            for operand in all_variants(5, 1) {
                let n = img.color().channel_count() as usize;
                let out = run(img.clone(), std::slice::from_ref(&operand));
                assert_eq!(out.is_ok(), n < 4);
                if let Ok(out) = out {
                    assert_eq!(out.color().channel_count() as usize, n + 1);
                    assert_eq!(out.dimensions(), (3, 2));
                }
            }
        }
    }
}
