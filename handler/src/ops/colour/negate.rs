//! `ng`: the negative of the colour channels, `max − v` (Sharp's `negate({alpha:
//! false})`, libvips `invert`); alpha is untouched. Any pixel type, depth kept.

use crate::error::Result;
use crate::ops::pixel::map_colour_lut;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negate;

impl Negate {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            map_colour_lut(img, |v| 255.0 - v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, fixture, like_sharp, max_channel_diff};

    #[test]
    fn matches_sharp() {
        like_sharp(
            "ops-photo.png",
            "negate",
            bound(0.999, 0.5),
            &|f| Negate.apply(f),
            &[],
        );
        // Sharp's default negates colour only: negating alpha too is wrong.
        like_sharp(
            "ops-photo-alpha.png",
            "negate-alpha",
            bound(0.999, 0.5),
            &|f| Negate.apply(f),
            &[("alpha negated too", &|f| {
                for img in f.iter_mut() {
                    let mut rgba = img.to_rgba8();
                    rgba.pixels_mut().for_each(|p| p.0 = p.0.map(|v| 255 - v));
                    *img = DynamicImage::ImageRgba8(rgba);
                }
                Ok(())
            })],
        );
        let mut frames = vec![fixture("ops-photo-alpha.png")];
        Negate.apply(&mut frames).unwrap();
        assert_eq!(
            max_channel_diff(&frames[0], &fixture("sharp/negate-alpha.png")),
            0
        );
    }

    #[test]
    fn every_type_keeps_alpha_and_is_an_involution() {
        for img in every_variant(4, 3).into_iter().chain(every_variant(1, 1)) {
            let mut frames = [img.clone()];
            Negate.apply(&mut frames).unwrap();
            assert_eq!(frames[0].color(), img.color());
            let (a, b) = (img.to_rgba8(), frames[0].to_rgba8());
            assert_eq!(a.get_pixel(0, 0)[3], b.get_pixel(0, 0)[3], "alpha kept");
            assert_eq!(b.get_pixel(0, 0)[0], 255 - a.get_pixel(0, 0)[0]);
            Negate.apply(&mut frames).unwrap();
            assert_eq!(max_channel_diff(&frames[0], &img), 0);
        }
    }
}
