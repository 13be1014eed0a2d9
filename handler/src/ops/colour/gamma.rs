//! `gm` [in, out]: Sharp's `gamma(in, out)`. Sharp darkens with `v^in` (libvips
//! `gamma` with exponent 1/in) before resizing and brightens with `v^(1/out)` after;
//! [`GammaCorrection::apply_input`] and [`GammaCorrection::apply_output`] are those two
//! steps, [`GammaCorrection::apply`] runs both (rounding to the pixel type in between,
//! as Sharp's 8-bit lookup tables do, truncating). Alpha is untouched; depth is kept.

use crate::error::Result;
use crate::ops::pixel::map_colour_lut;
use crate::params::Gamma;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaCorrection {
    pub gamma: Gamma,
}

fn power(img: &mut DynamicImage, exponent: f64) {
    let e = exponent as f32;
    // libvips casts its gamma table to the pixel type by truncating; the write-back
    // rounds, so take half off to truncate too (16-bit/float: a negligible shift).
    map_colour_lut(img, |v| 255.0 * (v.max(0.0) / 255.0).powf(e) - 0.5);
}

impl GammaCorrection {
    /// The darkening step Sharp runs before resizing: `v^in`.
    pub fn apply_input(&self, images: &mut [DynamicImage]) -> Result<()> {
        images
            .iter_mut()
            .for_each(|img| power(img, self.gamma.input));
        Ok(())
    }

    /// The brightening step Sharp runs after resizing: `v^(1/out)`.
    pub fn apply_output(&self, images: &mut [DynamicImage]) -> Result<()> {
        // The parser keeps `output` in 1–3, so the division is safe.
        images
            .iter_mut()
            .for_each(|img| power(img, 1.0 / self.gamma.output));
        Ok(())
    }

    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        self.apply_input(images)?;
        self.apply_output(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    fn op(input: f64, output: f64) -> GammaCorrection {
        GammaCorrection {
            gamma: Gamma { input, output },
        }
    }

    #[test]
    fn matches_sharp() {
        like_sharp(
            "ops-photo.png",
            "gamma-22-23",
            bound(0.999, 1.0),
            &|f| op(2.2, 2.3).apply(f),
            &[
                ("2.2/2.2", &|f| op(2.2, 2.2).apply(f)),
                ("2.3/2.2", &|f| op(2.3, 2.2).apply(f)),
            ],
        );
        like_sharp(
            "ops-photo.png",
            "gamma-3-1",
            bound(0.999, 1.0),
            &|f| op(3.0, 1.0).apply(f),
            &[
                ("1/3", &|f| op(1.0, 3.0).apply(f)),
                ("2.5/1", &|f| op(2.5, 1.0).apply(f)),
            ],
        );
    }

    #[test]
    fn extremes_and_every_type() {
        for img in every_variant(4, 3).into_iter().chain(every_variant(1, 1)) {
            for (i, o) in [(1.0, 1.0), (3.0, 3.0), (1.0, 3.0), (3.0, 1.0)] {
                let mut frames = [img.clone()];
                op(i, o).apply(&mut frames).unwrap();
                assert_eq!(frames[0].color(), img.color());
                let (a, b) = (img.to_rgba8(), frames[0].to_rgba8());
                assert_eq!(a.get_pixel(0, 0)[3], b.get_pixel(0, 0)[3], "alpha kept");
            }
        }
        // 1/1 is the identity.
        let img = every_variant(4, 3).remove(2);
        let mut frames = [img.clone()];
        op(1.0, 1.0).apply(&mut frames).unwrap();
        assert_eq!(frames[0], img);
    }
}
