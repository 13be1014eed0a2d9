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
    use crate::ops::testutil::{bound, like_sharp};

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
        like_sharp(
            "ops-photo.png",
            "modulate-bsh",
            bound(0.995, 2.0),
            &|f| op(1.5, 0.5, 90, 0.0).apply(f),
            &[
                ("hue 270", &|f| op(1.5, 0.5, 270, 0.0).apply(f)),
                ("saturation 1", &|f| op(1.5, 1.0, 90, 0.0).apply(f)),
                ("brightness 1", &|f| op(1.0, 0.5, 90, 0.0).apply(f)),
            ],
        );
        like_sharp(
            "ops-photo.png",
            "modulate-l",
            bound(0.995, 2.0),
            &|f| op(1.0, 1.0, 0, 20.0).apply(f),
            &[("lightness 10", &|f| op(1.0, 1.0, 0, 10.0).apply(f))],
        );
    }

    /// Hue on a real photo: each of 90°, 180° and 270° against Sharp's, with the other
    /// two (and the unchanged input, hue 0) as wrong answers.
    #[test]
    fn hue_matches_sharp() {
        let hues = [
            (90, "modulate-h90"),
            (180, "modulate-h180"),
            (270, "modulate-h270"),
        ];
        for &(hue, name) in &hues {
            let others: Vec<i32> = hues.iter().map(|h| h.0).filter(|&h| h != hue).collect();
            let (a, b) = (others[0], others[1]);
            like_sharp(
                "ops-landscape.png",
                name,
                bound(0.995, 2.0),
                &|f| op(1.0, 1.0, hue, 0.0).apply(f),
                &[
                    ("another hue", &|f| op(1.0, 1.0, a, 0.0).apply(f)),
                    ("a third hue", &|f| op(1.0, 1.0, b, 0.0).apply(f)),
                ],
            );
        }
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
