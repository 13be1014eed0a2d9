//! `bo`: Sharp's `boolean(operand, op)`: a per-pixel, per-band bitwise and / or / eor
//! with another image (libvips `boolean`), alpha bands included.
//!
//! Bands follow libvips: equal band counts pair up; a one-band side is repeated to
//! the other's count (a grey operand applies to each of R, G, B; a grey image with a
//! colour operand gives colour). Bits are combined at the image's depth (the operand
//! is converted to it; float images work at 16 bits).
//!
//! Deliberate differences from Sharp:
//! - Size: libvips pads the smaller image with black to the larger size, so Sharp's
//!   output grows to the operand's size. We keep the image's size and resize the
//!   operand to it (nearest neighbour, so mask values stay exact).
//! - Other band mismatches (RGB with an RGBA operand, grey+alpha with RGB, …) are an
//!   error in Sharp ("not one band or 4 bands"); we convert the operand to the
//!   image's layout (dropping its alpha, or adding an opaque one).

use super::bandbool::combine;
use crate::error::Result;
use crate::ops::pixel::bands::Bands;
use crate::ops::pixel::srgb;
use crate::params::{BitwiseOperator, StoreKey};
use fast_image_resize as fr;
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boolean {
    pub operator: BitwiseOperator,
    /// The store key of the operand the pipeline loads and passes to `apply`.
    pub operand: StoreKey,
}

impl Boolean {
    pub fn apply(&self, images: &mut [DynamicImage], operand: &DynamicImage) -> Result<()> {
        let mut prepared: Option<((u32, u32), Bands)> = None;
        for img in images.iter_mut() {
            let size = (img.width(), img.height());
            let src = Bands::from_image(img);
            if prepared.as_ref().map(|(s, _)| *s) != Some(size) {
                prepared = Some((size, prepare(operand, &src)?));
            }
            let Some((_, other)) = prepared.as_ref() else {
                unreachable!("prepared above")
            };
            *img = self.combine(&src, other).into_image();
        }
        Ok(())
    }

    fn combine(&self, a: &Bands, b: &Bands) -> Bands {
        let channels = a.channels.max(b.channels);
        let op = self.operator;
        let mut out = Bands::blank(a.width, a.height, channels, a.deep);
        for ((p, o), q) in a
            .pixels()
            .zip(b.pixels())
            .zip(out.data.chunks_exact_mut(channels))
        {
            for (i, slot) in q.iter_mut().enumerate() {
                // A one-band side repeats; otherwise the layouts match.
                let x = p[if p.len() == 1 { 0 } else { i }];
                let y = o[if o.len() == 1 { 0 } else { i }];
                *slot = combine(op, x, y);
            }
        }
        out
    }
}

/// The operand at the image's size, depth and (unless one of them is one band)
/// band layout.
fn prepare(operand: &DynamicImage, image: &Bands) -> Result<Bands> {
    let size = (image.width, image.height);
    let resized = crate::ops::geometry::resize::resample(operand, size, fr::ResizeAlg::Nearest)?;
    let mut b = Bands::from_image(&resized);
    if b.channels != image.channels && b.channels != 1 && image.channels != 1 {
        b = relayout(&b, image.channels);
    }
    if b.deep != image.deep {
        // 8-bit samples are already v*257, so only the depth tag changes.
        b.deep = image.deep;
        if !image.deep {
            // 16-bit operand on an 8-bit image: round each sample to 8 bits.
            for v in b.data.iter_mut() {
                *v = ((u32::from(*v) + 128) / 257) as u16 * 257;
            }
        }
    }
    Ok(b)
}

/// Converts between grey/colour and with/without alpha (alpha added opaque).
fn relayout(b: &Bands, channels: usize) -> Bands {
    let want_alpha = channels == 2 || channels == 4;
    b.map(channels, |p, q| {
        let alpha = if p.len() == 2 || p.len() == 4 {
            p[p.len() - 1]
        } else {
            u16::MAX
        };
        let colour_in = if p.len() >= 3 { 3 } else { 1 };
        let colour_out = if channels >= 3 { 3 } else { 1 };
        match (colour_in, colour_out) {
            (3, 1) => q[0] = srgb::grey16(p[0], p[1], p[2]),
            (1, 3) => q[..3].fill(p[0]),
            (n, _) => q[..n].copy_from_slice(&p[..n]),
        }
        if want_alpha {
            q[channels - 1] = alpha;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{all_variants, fixture, max_channel_diff};
    use image::GenericImageView;

    fn run(op: BitwiseOperator, img: DynamicImage, operand: &DynamicImage) -> DynamicImage {
        let mut imgs = [img];
        Boolean {
            operator: op,
            operand: StoreKey::parse("colour-operand.png").unwrap(),
        }
        .apply(&mut imgs, operand)
        .unwrap();
        let [out] = imgs;
        out
    }

    #[test]
    fn matches_sharp_exactly_for_same_size_operands() {
        for (op, operand, reference) in [
            (
                BitwiseOperator::And,
                "colour-mask.png",
                "sharp/bo-and-mask-landscape.png",
            ),
            (
                BitwiseOperator::Eor,
                "colour-operand.png",
                "sharp/bo-eor-operand-landscape.png",
            ),
            (
                BitwiseOperator::Or,
                "colour-operand.png",
                "sharp/bo-or-operand-landscape.png",
            ),
        ] {
            let out = run(op, fixture("colour-photo.png"), &fixture(operand));
            let want = fixture(reference);
            assert_eq!(out.color(), want.color(), "{reference}");
            assert_eq!(out.dimensions(), want.dimensions());
            assert_eq!(max_channel_diff(&out, &want), 0, "{reference}");
        }
    }

    #[test]
    fn operand_of_another_size_is_resized_to_the_image() {
        let small = fixture("colour-mask.png").thumbnail(40, 40);
        let out = run(BitwiseOperator::And, fixture("colour-photo.png"), &small);
        assert_eq!(out.dimensions(), fixture("colour-photo.png").dimensions());
    }

    #[test]
    fn grey_image_with_colour_operand_gives_colour() {
        let grey =
            DynamicImage::ImageLuma8(image::GrayImage::from_pixel(2, 2, image::Luma([0xF0])));
        let colour = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            2,
            2,
            image::Rgb([0x0F, 0xFF, 0x3C]),
        ));
        let out = run(BitwiseOperator::And, grey, &colour);
        assert_eq!(out.as_rgb8().unwrap().get_pixel(1, 1).0, [0x00, 0xF0, 0x30]);
    }

    #[test]
    fn every_variant_pair() {
        let variants = all_variants(4, 3);
        let operands = all_variants(2, 5);
        for img in &variants {
            for operand in &operands {
                let out = run(BitwiseOperator::Eor, img.clone(), operand);
                assert_eq!(out.dimensions(), (4, 3));
                let n = img.color().channel_count();
                let m = operand.color().channel_count();
                let want = if n == 1 { m.max(1) } else { n };
                assert_eq!(
                    out.color().channel_count(),
                    want,
                    "{:?} {:?}",
                    img.color(),
                    operand.color()
                );
            }
        }
    }
}
