//! `bb`: Sharp's `bandbool(op)`: a bitwise and / or / eor across all bands of each
//! pixel, alpha included (libvips `bandbool`), giving one band.
//!
//! Band count: Sharp marks the result black-and-white and then writes it as sRGB, so
//! its PNG has three equal bands and no alpha; a colour image does the same here. A
//! grey image gives one grey band. Bits are combined at the image's depth (float
//! images at 16 bits).

use crate::error::Result;
use crate::ops::pixel::bands::Bands;
use crate::params::BitwiseOperator;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bandbool {
    pub operator: BitwiseOperator,
}

/// `a op b` on samples; public for the boolean operation.
pub fn combine(operator: BitwiseOperator, a: u16, b: u16) -> u16 {
    match operator {
        BitwiseOperator::And => a & b,
        BitwiseOperator::Or => a | b,
        BitwiseOperator::Eor => a ^ b,
    }
}

impl Bandbool {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            let src = Bands::from_image(img);
            // Out-of-range 16-bit values never happen for 8-bit sources, and each
            // 8-bit sample is v*257 (both bytes equal), so the bytes stay equal.
            let channels = if src.colour_channels() == 3 { 3 } else { 1 };
            let op = self.operator;
            *img = src
                .map(channels, |p, q| {
                    let v = p[1..].iter().fold(p[0], |acc, &b| combine(op, acc, b));
                    q.fill(v);
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
    fn matches_sharp_exactly() {
        for (op, input, reference) in [
            (
                BitwiseOperator::And,
                "colour-photo.png",
                "sharp/bb-and-landscape.png",
            ),
            (
                BitwiseOperator::Or,
                "colour-photo.png",
                "sharp/bb-or-landscape.png",
            ),
            (
                BitwiseOperator::Eor,
                "colour-photo.png",
                "sharp/bb-eor-landscape.png",
            ),
            (
                BitwiseOperator::Eor,
                "colour-photo-alpha.png",
                "sharp/bb-eor-alpha.png",
            ),
        ] {
            let mut imgs = [fixture(input)];
            Bandbool { operator: op }.apply(&mut imgs).unwrap();
            let want = fixture(reference);
            assert_eq!(imgs[0].color(), want.color(), "{reference}");
            assert_eq!(imgs[0].dimensions(), want.dimensions());
            assert_eq!(max_channel_diff(&imgs[0], &want), 0, "{reference}");
        }
    }

    #[test]
    fn single_pixel_values() {
        let img = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            1,
            1,
            image::Rgba([0b1100, 0b1010, 0b1110, 0b1111]),
        ));
        for (op, want) in [
            (BitwiseOperator::And, 0b1000),
            (BitwiseOperator::Or, 0b1111),
            (BitwiseOperator::Eor, 0b1100 ^ 0b1010 ^ 0b1110 ^ 0b1111),
        ] {
            let mut imgs = [img.clone()];
            Bandbool { operator: op }.apply(&mut imgs).unwrap();
            assert_eq!(imgs[0].as_rgb8().unwrap().get_pixel(0, 0).0, [want; 3]);
        }
    }

    #[test]
    fn every_variant() {
        for img in all_variants(3, 2) {
            for &operator in BitwiseOperator::ALL {
                let mut imgs = [img.clone()];
                Bandbool { operator }.apply(&mut imgs).unwrap();
                assert!(!imgs[0].color().has_alpha());
                assert_eq!(imgs[0].color().has_color(), img.color().has_color());
            }
        }
    }
}
