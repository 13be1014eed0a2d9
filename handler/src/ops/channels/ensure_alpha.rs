//! `ea`: Sharp's `ensureAlpha(alpha)`: add an alpha band of this opacity (0–1) to
//! images without one. An existing alpha band is left untouched, as in Sharp.

use crate::error::Result;
use crate::ops::pixel::bands::Bands;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnsureAlpha {
    /// 0 transparent – 1 opaque (the parser guarantees the range).
    pub alpha: f64,
}

impl EnsureAlpha {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let alpha = self.alpha.clamp(0.0, 1.0);
        for img in images.iter_mut() {
            if img.color().has_alpha() {
                continue;
            }
            let src = Bands::from_image(img);
            // Sharp scales by the format's maximum (255 or 65535) and truncates
            // (0.5 → 127, 0.999 → 254).
            let value = if src.deep {
                (alpha * 65535.0) as u16
            } else {
                (alpha * 255.0) as u16 * 257
            };
            let n = src.channels;
            *img = src
                .map(n + 1, |p, q| {
                    q[..n].copy_from_slice(p);
                    q[n] = value;
                })
                .into_image();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{all_variants, fixture, max_channel_diff};
    use image::GenericImageView;

    #[test]
    fn matches_sharp_when_adding() {
        let mut imgs = [fixture("colour-photo.png")];
        EnsureAlpha { alpha: 0.5 }.apply(&mut imgs).unwrap();
        let want = fixture("sharp/ea-landscape.png");
        assert_eq!(imgs[0].color(), want.color());
        assert_eq!(imgs[0].dimensions(), want.dimensions());
        // Sharp stores 0.5 × 255 = 127.5 as 127, like us.
        assert_eq!(max_channel_diff(&imgs[0], &want), 0);
    }

    #[test]
    fn existing_alpha_is_untouched_like_sharp() {
        let src = fixture("colour-photo-alpha.png");
        let mut imgs = [src.clone()];
        EnsureAlpha { alpha: 0.1 }.apply(&mut imgs).unwrap();
        assert_eq!(imgs[0], src);
        assert_eq!(
            max_channel_diff(&imgs[0], &fixture("sharp/ea-alpha.png")),
            0
        );
    }

    #[test]
    fn edges_and_variants() {
        for alpha in [0.0, 1.0, 0.3] {
            for img in all_variants(3, 2) {
                let mut imgs = [img.clone()];
                EnsureAlpha { alpha }.apply(&mut imgs).unwrap();
                assert!(imgs[0].color().has_alpha());
                if !img.color().has_alpha() {
                    let a = imgs[0].to_rgba16().get_pixel(1, 1).0[3];
                    let want = (alpha * 65535.0) as i32;
                    assert!((i32::from(a) - want).abs() <= 257, "{alpha} {a}");
                }
            }
        }
    }
}
