//! `t`: Sharp's `tint(colour)` (0.33+): keep each pixel's luminance, take the chroma
//! from the tint colour. As in Sharp, the image is reduced to its luminance (libvips
//! B_W), then mapped through a lookup table: Lab with L from the grey and a, b from
//! the tint scaled by `1 − 4 (L/100 − ½)²` (full chroma in the mid-tones, none at
//! black and white), converted back to sRGB. Alpha is kept; the tint's alpha is
//! ignored (Sharp ignores it too).
//!
//! Grey images come out as RGB (a tint adds colour), with alpha if they had it.

use crate::error::Result;
use crate::ops::pixel::bands::{self, Bands};
use crate::ops::pixel::{lab, srgb};
use crate::params::Rgba;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tint {
    pub colour: Rgba,
}

impl Tint {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let lut = self.lut();
        bands::map_frames(images, |src| Ok(self.tint(&src, &lut)))
    }

    /// RGB for every 16-bit grey, interpolated from the exact colour at 4096 levels.
    fn lut(&self) -> Vec<[u16; 3]> {
        let coarse = self.coarse_lut();
        (0..=u16::MAX)
            .map(|grey| lookup(&coarse, grey).map(|v| (v * 65535.0).round() as u16))
            .collect()
    }

    fn coarse_lut(&self) -> Vec<[f64; 3]> {
        let lin = srgb::Linearise::new();
        let tint = lab::srgb_to_lab(
            &lin,
            [self.colour.r, self.colour.g, self.colour.b].map(f32::from),
        );
        (0..LEVELS)
            .map(|i| {
                let v = 255.0 * i as f32 / (LEVELS - 1) as f32;
                let l = lab::srgb_to_lab(&lin, [v, v, v])[0];
                let t = l / 100.0;
                let weight = 1.0 - 4.0 * (t - 0.5) * (t - 0.5);
                lab::lab_to_srgb([l, weight * tint[1], weight * tint[2]])
                    .map(|c| f64::from(c.clamp(0.0, 255.0)) / 255.0)
            })
            .collect()
    }

    fn tint(&self, src: &Bands, lut: &[[u16; 3]]) -> Bands {
        let alpha = src.has_alpha();
        let channels = if alpha { 4 } else { 3 };
        src.map(channels, |p, q| {
            let grey = if p.len() >= 3 {
                srgb::grey16(p[0], p[1], p[2])
            } else {
                p[0]
            };
            q[..3].copy_from_slice(&lut[grey as usize]);
            if alpha {
                q[3] = p[p.len() - 1];
            }
        })
    }
}

const LEVELS: usize = 4096;

fn lookup(lut: &[[f64; 3]], grey: u16) -> [f64; 3] {
    let pos = f64::from(grey) / 65535.0 * (LEVELS - 1) as f64;
    let i = (pos.floor() as usize).min(LEVELS - 2);
    let f = pos - i as f64;
    let (a, b) = (lut[i], lut[i + 1]);
    [0, 1, 2].map(|c| a[c] + (b[c] - a[c]) * f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{all_variants, fixture, ssim};

    fn magenta() -> Tint {
        Tint {
            colour: Rgba::new(255, 16, 240, 255),
        }
    }

    #[test]
    fn matches_sharp_on_a_photo() {
        let mut imgs = [fixture("colour-photo.png")];
        magenta().apply(&mut imgs).unwrap();
        let want = fixture("sharp/tint-landscape.png");
        assert_eq!(imgs[0].color(), want.color());
        let s = ssim(&imgs[0], &want);
        // Measured 0.9997, max channel difference 5, mean 0.27.
        assert!(s >= 0.999, "ssim {s}");
        // SSIM compares luma only: check the chroma too.
        assert!(crate::ops::testutil::mean_channel_diff(&imgs[0], &want) < 0.5);
        assert!(crate::ops::testutil::max_channel_diff(&imgs[0], &want) <= 8);
    }

    #[test]
    fn keeps_alpha_and_matches_sharp() {
        let mut imgs = [fixture("colour-photo-alpha.png")];
        Tint {
            colour: Rgba::new(0, 128, 255, 255),
        }
        .apply(&mut imgs)
        .unwrap();
        let want = fixture("sharp/tint-alpha.png");
        assert_eq!(imgs[0].color(), want.color());
        assert!(ssim(&imgs[0], &want) >= 0.999);
        assert!(crate::ops::testutil::mean_channel_diff(&imgs[0], &want) < 0.5);
    }

    #[test]
    fn black_and_white_stay_and_grey_becomes_colour() {
        let img = DynamicImage::ImageLuma8(image::GrayImage::from_fn(3, 1, |x, _| {
            image::Luma([[0, 128, 255][x as usize]])
        }));
        let mut imgs = [img];
        magenta().apply(&mut imgs).unwrap();
        let out = imgs[0].as_rgb8().expect("grey in, RGB out");
        assert_eq!(out.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(out.get_pixel(2, 0).0, [255, 255, 255]);
        let mid = out.get_pixel(1, 0).0;
        assert!(mid[0] > mid[1] && mid[2] > mid[1], "magenta-ish {mid:?}");
    }

    #[test]
    fn every_variant_and_extreme_colours_survive() {
        for colour in [Rgba::BLACK, Rgba::WHITE, Rgba::new(0, 255, 0, 0)] {
            for img in all_variants(4, 3) {
                let mut imgs = [img.clone()];
                Tint { colour }.apply(&mut imgs).unwrap();
                assert_eq!((imgs[0].width(), imgs[0].height()), (4, 3));
                assert!(imgs[0].color().has_color());
                assert_eq!(imgs[0].color().has_alpha(), img.color().has_alpha());
            }
        }
    }
}
