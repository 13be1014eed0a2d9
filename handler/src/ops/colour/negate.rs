//! `ng`: the negative of the colour channels, `max − v` (Sharp's `negate({alpha})`,
//! libvips `invert`), and of alpha too when `alpha` is set. Any pixel type, depth kept.

use crate::error::Result;
use crate::ops::pixel::{map_colour_lut, Layout, Sample};
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negate {
    /// Negate the alpha channel as well (Sharp's `negate({alpha: true})`).
    pub alpha: bool,
}

impl Negate {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            map_colour_lut(img, |v| 255.0 - v);
            if self.alpha && img.color().has_alpha() {
                crate::with_samples!(img, |data, layout| negate_alpha(data, layout));
            }
        }
        Ok(())
    }
}

fn negate_alpha<S: Sample>(data: &mut [S], layout: Layout) {
    let ch = layout.channels;
    for px in data.chunks_exact_mut(ch) {
        px[ch - 1] = S::from_f32(S::MAX - px[ch - 1].to_f32());
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
            &|f| Negate { alpha: false }.apply(f),
            &[],
        );
        // Sharp's default negates colour only: negating alpha too is wrong.
        like_sharp(
            "ops-photo-alpha.png",
            "negate-alpha",
            bound(0.999, 0.5),
            &|f| Negate { alpha: false }.apply(f),
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
        Negate { alpha: false }.apply(&mut frames).unwrap();
        assert_eq!(
            max_channel_diff(&frames[0], &fixture("sharp/negate-alpha.png")),
            0
        );
    }

    #[test]
    fn every_type_keeps_alpha_and_is_an_involution() {
        for img in every_variant(4, 3).into_iter().chain(every_variant(1, 1)) {
            let mut frames = [img.clone()];
            Negate { alpha: false }.apply(&mut frames).unwrap();
            assert_eq!(frames[0].color(), img.color());
            let (a, b) = (img.to_rgba8(), frames[0].to_rgba8());
            assert_eq!(a.get_pixel(0, 0)[3], b.get_pixel(0, 0)[3], "alpha kept");
            assert_eq!(b.get_pixel(0, 0)[0], 255 - a.get_pixel(0, 0)[0]);
            Negate { alpha: false }.apply(&mut frames).unwrap();
            assert_eq!(max_channel_diff(&frames[0], &img), 0);
        }
    }

    #[test]
    fn alpha_option_negates_alpha_like_sharp() {
        // sharp/negate-alpha-true.png: Sharp 0.35.5 `negate({alpha: true})` of the input.
        let sharp = fixture("sharp/negate-alpha-true.png");
        let mut frames = vec![fixture("ops-photo-alpha.png")];
        let unchanged = frames[0].clone();
        Negate { alpha: true }.apply(&mut frames).unwrap();
        assert_eq!(max_channel_diff(&frames[0], &sharp), 0);
        // Null models: the input, and the negative with alpha untouched, are far off.
        let mut colour_only = vec![unchanged.clone()];
        Negate { alpha: false }.apply(&mut colour_only).unwrap();
        assert!(max_channel_diff(&colour_only[0], &sharp) > 100);
        assert!(max_channel_diff(&unchanged, &sharp) > 100);
    }

    #[test]
    fn alpha_option_on_every_type_is_an_involution() {
        for img in every_variant(4, 3) {
            let mut frames = [img.clone()];
            Negate { alpha: true }.apply(&mut frames).unwrap();
            assert_eq!(frames[0].color(), img.color());
            let (a, b) = (img.to_rgba8(), frames[0].to_rgba8());
            if img.color().has_alpha() {
                assert_eq!(
                    b.get_pixel(0, 0)[3],
                    255 - a.get_pixel(0, 0)[3],
                    "{:?}",
                    img.color()
                );
            }
            Negate { alpha: true }.apply(&mut frames).unwrap();
            assert_eq!(max_channel_diff(&frames[0], &img), 0);
        }
    }
}
