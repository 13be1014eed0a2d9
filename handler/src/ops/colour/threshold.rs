//! `th`: Sharp's `threshold(t)` with its default `greyscale: true`: the image becomes
//! grey (libvips sRGB → B_W: Rec. 709 luminance in linear light, sRGB-encoded) and
//! each pixel 255 where grey ≥ t, else 0. `th=0` does nothing, as in Sharp (which
//! skips a zero threshold).
//!
//! The grey is [`crate::ops::pixel::srgb::grey16`], the one `g` uses, so thresholding
//! an image and thresholding its `g` give the same pixels. Output is one grey channel
//! (plus alpha) at the input depth (float images become 16-bit grey). Deliberate
//! difference: Sharp thresholds the alpha channel too; we keep alpha as it was.

use crate::error::Result;
use crate::ops::pixel::bands::{self, Bands};
use crate::ops::pixel::srgb;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub value: u8,
}

impl Threshold {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        if self.value == 0 {
            return Ok(());
        }
        bands::map_frames(images, |src| Ok(self.threshold(&src)))
    }

    fn threshold(&self, src: &Bands) -> Bands {
        let t = u32::from(self.value) * 257;
        // A colour pixel's grey is the one `g` gives, rounded to 8 bits as libvips' B_W
        // is before comparing: grey ≥ t − ½ on the 8-bit scale. A grey pixel is
        // compared as it is.
        let (colour_cut, grey_cut) = (t - 128, t);
        let alpha = src.has_alpha();
        src.map(1 + usize::from(alpha), |p, q| {
            let white = if p.len() >= 3 {
                u32::from(srgb::grey16(p[0], p[1], p[2])) >= colour_cut
            } else {
                u32::from(p[0]) >= grey_cut
            };
            q[0] = if white { u16::MAX } else { 0 };
            if alpha {
                q[1] = p[p.len() - 1];
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    #[test]
    fn matches_sharp() {
        for (name, value, wrong) in [("threshold-128", 128, 120), ("threshold-60", 60, 66)] {
            like_sharp(
                "ops-photo.png",
                name,
                bound(0.98, 2.0),
                &|f| Threshold { value }.apply(f),
                &[("wrong value", &|f| Threshold { value: wrong }.apply(f))],
            );
        }
    }

    #[test]
    fn agrees_with_greyscale() {
        for name in ["ops-photo.png", "colour-photo-alpha.png"] {
            let direct = {
                let mut f = [crate::ops::testutil::fixture(name)];
                Threshold { value: 100 }.apply(&mut f).unwrap();
                f
            };
            let via_grey = {
                let mut f = [crate::ops::testutil::fixture(name)];
                crate::ops::greyscale::Greyscale.apply(&mut f).unwrap();
                Threshold { value: 100 }.apply(&mut f).unwrap();
                f
            };
            assert_eq!(direct, via_grey, "{name}");
        }
    }

    #[test]
    fn every_type_zero_and_max() {
        for img in every_variant(4, 3).into_iter().chain(every_variant(1, 1)) {
            let mut f = [img.clone()];
            Threshold { value: 0 }.apply(&mut f).unwrap();
            assert_eq!(f[0], img, "0 is a no-op");
            for value in [1, 128, 255] {
                let mut f = [img.clone()];
                Threshold { value }.apply(&mut f).unwrap();
                let c = f[0].color();
                assert_eq!(c.channel_count(), 1 + u8::from(img.color().has_alpha()));
                for p in f[0].to_luma_alpha8().pixels() {
                    assert!(p[0] == 0 || p[0] == 255);
                }
                assert_eq!(
                    f[0].to_luma_alpha8().get_pixel(0, 0)[1],
                    img.to_luma_alpha8().get_pixel(0, 0)[1],
                    "alpha kept"
                );
            }
        }
    }
}
