//! `mo`: Sharp's `modulate({brightness, saturation, hue, lightness})`, done like Sharp
//! in LCh (D65): `L' = L·brightness + lightness`, `C' = C·saturation`,
//! `h' = h + hue`, then back to sRGB (clamped). Alpha is untouched; depth is kept; grey
//! images stay grey.

use crate::error::Result;
use crate::ops::pixel::lab::{lab_to_lch, lab_to_srgb, lch_to_lab, rgb_of, set_rgb, srgb_to_lab};
use crate::ops::pixel::map_colour;
use crate::ops::pixel::srgb::Linearise;
use crate::params::Modulate;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModulateOp {
    pub modulate: Modulate,
}

impl ModulateOp {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        if self.modulate == Modulate::IDENTITY {
            return Ok(());
        }
        let m = self.modulate;
        let (b, s, h, l) = (
            m.brightness as f32,
            m.saturation as f32,
            m.hue as f32,
            m.lightness as f32,
        );
        let lin = Linearise::new();
        for img in images.iter_mut() {
            map_colour(img, |colour, _| {
                let lch = lab_to_lch(srgb_to_lab(&lin, rgb_of(colour)));
                let out = [lch[0] * b + l, lch[1] * s, lch[2] + h];
                set_rgb(&lin, colour, lab_to_srgb(lch_to_lab(out)));
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::assert_like_sharp;

    fn op(brightness: f64, saturation: f64, hue: i32, lightness: f64) -> ModulateOp {
        ModulateOp {
            modulate: Modulate {
                brightness,
                saturation,
                hue,
                lightness,
            },
        }
    }

    #[test]
    fn matches_sharp() {
        assert_like_sharp("ops-photo.png", "modulate-bsh", 0.97, |f| {
            op(1.5, 0.5, 90, 0.0).apply(f)
        });
        assert_like_sharp("ops-photo.png", "modulate-l", 0.97, |f| {
            op(1.0, 1.0, 0, 20.0).apply(f)
        });
    }

    #[test]
    fn identity_extremes_and_every_type() {
        for img in every_variant(3, 2).into_iter().chain(every_variant(1, 1)) {
            let mut f = [img.clone()];
            op(1.0, 1.0, 0, 0.0).apply(&mut f).unwrap();
            assert_eq!(f[0], img);
            for (b, s, h, l) in [(0.0, 0.0, 0, -100.0), (100.0, 100.0, 359, 100.0)] {
                let mut f = [img.clone()];
                op(b, s, h, l).apply(&mut f).unwrap();
                assert_eq!(f[0].color(), img.color());
            }
        }
    }
}
