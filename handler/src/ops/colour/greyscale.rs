//! `g`: Sharp's `greyscale()`. Every pixel becomes its luminance the way libvips
//! converts sRGB to B_W: Y = 0.2126 R + 0.7152 G + 0.0722 B on linear light, encoded
//! back to sRGB. Alpha is kept.
//!
//! Band count: like Sharp's PNG output, a colour image stays 3-band RGB (three equal
//! bands) and RGBA stays RGBA; Sharp only writes one band with `tc=b-w`, and so do we.
//! Grey images are left as they are.
//!
//! Deliberate difference: Sharp converts to grey before resizing (and before rotate,
//! extend, blur…), we at this step of our order. With Sharp alone, Landscape_8 resized
//! to 150 px wide differs between the two orders by at most 7 levels, 0.35 on average.

use crate::error::Result;
use crate::ops::pixel::bands::Bands;
use crate::ops::pixel::srgb;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greyscale;

impl Greyscale {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            if !img.color().has_color() {
                continue;
            }
            *img = grey(&Bands::from_image(img)).into_image();
        }
        Ok(())
    }
}

/// Colour bands to their luminance, alpha untouched, band count kept.
pub(crate) fn grey(src: &Bands) -> Bands {
    src.map(src.channels, |p, q| {
        if p.len() >= 3 {
            let y = srgb::grey16(p[0], p[1], p[2]);
            q[..3].fill(y);
            q[3..].copy_from_slice(&p[3..]);
        } else {
            q.copy_from_slice(p);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{fixture, ssim};
    use image::GenericImageView;

    #[test]
    fn matches_sharp_on_a_photo() {
        let mut imgs = [fixture("colour-photo.png")];
        Greyscale.apply(&mut imgs).unwrap();
        let want = fixture("sharp/greyscale-landscape.png");
        assert_eq!(imgs[0].color(), want.color(), "3 equal bands like Sharp");
        assert_eq!(imgs[0].dimensions(), want.dimensions());
        let s = ssim(&imgs[0], &want);
        assert!(s >= 0.999, "ssim {s}");
        assert!(crate::ops::testutil::max_channel_diff(&imgs[0], &want) <= 1);
    }

    #[test]
    fn keeps_alpha_like_sharp() {
        let mut imgs = [fixture("colour-photo-alpha.png")];
        Greyscale.apply(&mut imgs).unwrap();
        let want = fixture("sharp/greyscale-alpha.png");
        assert_eq!(imgs[0].color(), want.color());
        let s = ssim(&imgs[0], &want);
        assert!(s >= 0.999, "ssim {s}");
        assert!(crate::ops::testutil::max_channel_diff(&imgs[0], &want) <= 1);
        assert_eq!(
            imgs[0]
                .to_rgba8()
                .pixels()
                .map(|p| p[3])
                .collect::<Vec<_>>(),
            fixture("colour-photo-alpha.png")
                .to_rgba8()
                .pixels()
                .map(|p| p[3])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn luminance_weights_are_libvips() {
        // Pure red: Y = 0.2126 linear → sRGB 127 (libvips gives 127 too).
        let mut imgs = [DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            1,
            1,
            image::Rgb([255, 0, 0]),
        ))];
        Greyscale.apply(&mut imgs).unwrap();
        let p = imgs[0].as_rgb8().unwrap().get_pixel(0, 0).0;
        assert_eq!(p[0], p[1]);
        assert!((126..=128).contains(&p[0]), "{p:?}");
    }

    #[test]
    fn every_variant_survives() {
        for img in crate::ops::testutil::all_variants(5, 4) {
            let mut imgs = [img.clone()];
            Greyscale.apply(&mut imgs).unwrap();
            assert_eq!(imgs[0].dimensions(), (5, 4));
            assert_eq!(imgs[0].color().has_alpha(), img.color().has_alpha());
        }
    }
}
