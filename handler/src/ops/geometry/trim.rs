//! `tr`: trim edges whose pixels are within `threshold` of the top-left pixel
//! (Sharp's `trim`). The box is found on the first frame and cut from every frame.
//! As libvips' `find_trim`: the image is smoothed by a 3×3 median first (so isolated
//! specks and fine texture do not stop the trim), then compared with the original
//! top-left pixel; a pixel counts when some channel differs by more than `threshold`
//! (measured with Sharp 0.35.5 on a greyscale PNG, see the tests).

use crate::error::Result;
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq)]
pub struct Trim {
    pub threshold: u8,
}

impl Trim {
    /// The smallest box holding every pixel of the 3×3-median-smoothed image that differs
    /// from the original top-left pixel by more than the threshold in some channel;
    /// `None` when nothing differs.
    pub fn bounding_box(&self, img: &DynamicImage) -> Option<(u32, u32, u32, u32)> {
        if img.width() == 0 || img.height() == 0 {
            return None;
        }
        let corner = img.to_rgba8().get_pixel(0, 0).0;
        let mut smooth = [img.clone()];
        crate::ops::median::Median { size: 3 }
            .apply(&mut smooth)
            .ok()?;
        let rgba = smooth[0].to_rgba8();
        let (w, h) = rgba.dimensions();
        let t = self.threshold as i32;
        let differs = |p: &image::Rgba<u8>| {
            p.0.iter()
                .zip(corner)
                .any(|(a, b)| (*a as i32 - b as i32).abs() > t)
        };
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0u32, 0u32);
        for (x, y, p) in rgba.enumerate_pixels() {
            if differs(p) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
        (x0 <= x1).then(|| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
    }

    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let Some(first) = images.first() else {
            return Ok(());
        };
        // A uniform image has nothing to keep; like Sharp, leave it whole.
        let Some((x, y, w, h)) = self.bounding_box(first) else {
            return Ok(());
        };
        for img in images.iter_mut() {
            *img = img.crop_imm(x, y, w, h);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{bound, like_sharp};
    use image::{Rgb, RgbImage};

    #[test]
    fn trims_a_border_of_the_corner_colour() {
        let img = RgbImage::from_fn(20, 10, |x, y| {
            if (5..15).contains(&x) && (2..7).contains(&y) {
                Rgb([200, 10, 10])
            } else {
                Rgb([250, 250, 250])
            }
        });
        let mut imgs = [DynamicImage::ImageRgb8(img)];
        Trim { threshold: 10 }.apply(&mut imgs).unwrap();
        assert_eq!((imgs[0].width(), imgs[0].height()), (10, 5));
    }

    #[test]
    fn threshold_ignores_small_differences() {
        let img = RgbImage::from_fn(10, 10, |x, _| {
            if x == 9 {
                Rgb([105, 100, 100])
            } else {
                Rgb([100, 100, 100])
            }
        });
        let mut imgs = [DynamicImage::ImageRgb8(img.clone())];
        Trim { threshold: 10 }.apply(&mut imgs).unwrap();
        assert_eq!(
            imgs[0].width(),
            10,
            "uniform within the threshold: untouched"
        );
        let mut imgs = [DynamicImage::ImageRgb8(img)];
        Trim { threshold: 2 }.apply(&mut imgs).unwrap();
        assert_eq!((imgs[0].width(), imgs[0].height()), (1, 10));
    }

    /// A greyscale PNG with nested frames 6, 8, 28 and 138 levels from the corner, a
    /// ±2 texture and one dark speck near the corner: each threshold against Sharp's
    /// trim, with the neighbouring threshold (another box) as the wrong answer.
    #[test]
    fn greyscale_thresholds_match_sharp() {
        for (threshold, wrong) in [(3, 2), (6, 5), (9, 7), (28, 27)] {
            like_sharp(
                "trim-grey.png",
                &format!("trim-grey-{threshold}"),
                bound(0.999, 0.5),
                &|f| Trim { threshold }.apply(f),
                &[("neighbouring threshold", &|f| {
                    Trim { threshold: wrong }.apply(f)
                })],
            );
        }
    }
}
