//! `ra`: Sharp's `removeAlpha()`: drop the alpha band, keep the colour bands as they
//! are (no flattening onto a background: transparent pixels show whatever colour
//! they hold). Images without alpha are left alone. `ra=false` plans nothing.

use crate::error::Result;
use crate::ops::pixel::bands;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoveAlpha;

impl RemoveAlpha {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            if !img.color().has_alpha() {
                continue;
            }
            let src = bands::Bands::from_image(img);
            let keep = src.colour_channels();
            *img = src
                .map(keep, |p, q| q.copy_from_slice(&p[..keep]))
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
    fn matches_sharp() {
        let mut imgs = [fixture("colour-photo-alpha.png")];
        RemoveAlpha.apply(&mut imgs).unwrap();
        let want = fixture("sharp/ra-alpha.png");
        assert_eq!(imgs[0].color(), want.color());
        assert_eq!(imgs[0].dimensions(), want.dimensions());
        assert_eq!(max_channel_diff(&imgs[0], &want), 0);
    }

    #[test]
    fn every_variant() {
        for img in all_variants(3, 2) {
            let mut imgs = [img.clone()];
            RemoveAlpha.apply(&mut imgs).unwrap();
            assert!(!imgs[0].color().has_alpha());
            assert_eq!(imgs[0].color().has_color(), img.color().has_color());
            if !img.color().has_alpha() {
                assert_eq!(imgs[0], img, "no alpha: untouched");
            }
        }
    }
}
