//! `nr`: Sharp's `normalise()`: stretch luminance so its 1st percentile maps to black
//! and its 99th to white. As Sharp: L of CIE Lab, percentiles as libvips finds them
//! (see [`percentile`]), `L' = (L − lo)·100/(hi − lo)` when
//! `hi − lo > 1` (else nothing), a and b kept, back to sRGB clamped. Alpha is
//! untouched; depth is kept; grey images stay grey.

use crate::error::Result;
use crate::ops::pixel::lab::{lab_to_srgb, rgb_of, set_rgb, srgb_to_lab};
use crate::ops::pixel::map_colour;
use crate::ops::pixel::srgb::Linearise;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normalise;

/// Sharp's default percentiles.
const LOWER: f64 = 1.0;
const UPPER: f64 = 99.0;

impl Normalise {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let lin = Linearise::new();
        for img in images.iter_mut() {
            // First pass: histogram of whole L values.
            let hist = std::cell::RefCell::new([0u64; 101]);
            let mut probe = img.clone();
            map_colour(&mut probe, |colour, _| {
                let l = srgb_to_lab(&lin, rgb_of(colour))[0];
                hist.borrow_mut()[(l.clamp(0.0, 100.0)) as usize] += 1;
            });
            drop(probe);
            let hist = hist.into_inner();
            let (lo, hi) = (percentile(&hist, LOWER), percentile(&hist, UPPER));
            if hi - lo <= 1.0 {
                continue;
            }
            let f = 100.0 / (hi - lo);
            map_colour(img, |colour, _| {
                let mut lab = srgb_to_lab(&lin, rgb_of(colour));
                lab[0] = (lab[0] - lo) * f;
                set_rgb(&lin, colour, lab_to_srgb(lab));
            });
        }
        Ok(())
    }
}

/// libvips' `vips_percent` on L, as Sharp calls it: L is cast to whole values, the
/// histogram runs from 0 to the largest one (`m`), its cumulative sum is normalised to
/// `0..=m` and truncated to integers, and the answer is the first index whose normalised
/// count exceeds `p·(m + 1)/100`. The truncation is what makes Sharp's 1st percentile
/// land one or two L values above the exact one (measured: 5 and 4 on the two photo
/// fixtures where the exact 1 % point is 3.7 and 3.2), so ours does the same.
fn percentile(hist: &[u64; 101], p: f64) -> f32 {
    let total: u64 = hist.iter().sum();
    let Some(m) = hist.iter().rposition(|&n| n > 0) else {
        return 0.0;
    };
    let threshold = p * (m + 1) as f64 / 100.0;
    let mut seen = 0u64;
    for (i, n) in hist.iter().enumerate().take(m + 1) {
        seen += n;
        let normalised = (seen as f64 * m as f64 / total as f64).floor();
        if normalised > threshold {
            return i as f32;
        }
    }
    m as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    #[test]
    fn matches_sharp() {
        for (input, reference) in [
            ("ops-photo.png", "normalise"),
            ("ops-landscape.png", "normalise-landscape"),
        ] {
            like_sharp(
                input,
                reference,
                bound(0.995, 1.0),
                &|f| Normalise.apply(f),
                &[],
            );
        }
    }

    #[test]
    fn flat_images_are_untouched_and_every_type_works() {
        let flat =
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 4, image::Rgb([90, 90, 90])));
        let mut f = [flat.clone()];
        Normalise.apply(&mut f).unwrap();
        assert_eq!(f[0], flat);
        for img in every_variant(6, 5).into_iter().chain(every_variant(1, 1)) {
            let mut f = [img.clone()];
            Normalise.apply(&mut f).unwrap();
            assert_eq!(f[0].color(), img.color());
        }
    }

    #[test]
    fn stretches_a_low_contrast_ramp() {
        let ramp = DynamicImage::ImageLuma8(image::GrayImage::from_fn(100, 1, |x, _| {
            image::Luma([100 + (x / 2) as u8])
        }));
        let mut f = [ramp];
        Normalise.apply(&mut f).unwrap();
        let g = f[0].as_luma8().unwrap();
        // Whole-L percentiles leave a little headroom, as in Sharp.
        assert!(
            g.get_pixel(0, 0)[0] < 20 && g.get_pixel(99, 0)[0] > 235,
            "{:?}",
            g.as_raw()
        );
    }
}
