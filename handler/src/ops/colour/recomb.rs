//! `rc`: Sharp's `recomb(matrix)`: each output channel is a weighted sum of the input
//! channels (rows = output channels), after converting to sRGB, so grey images become
//! RGB. A 3×3 matrix mixes R, G, B and keeps alpha; a 4×4 one mixes R, G, B, A.
//! Results are rounded and clamped to the pixel type; depth is kept.
//!
//! Deliberate difference: Sharp fails a 4×4 matrix on an image without alpha; we
//! apply it with alpha taken as opaque and drop the alpha row.

use crate::error::Result;
use crate::ops::pixel::{known_variant, Layout, Sample};
use crate::params::Recomb;
use crate::with_samples;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecombOp {
    pub matrix: Recomb,
}

impl RecombOp {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let m: [[f32; 4]; 4] = match self.matrix {
            Recomb::Three(r) => std::array::from_fn(|i| {
                std::array::from_fn(|j| match (i, j) {
                    (3, 3) => 1.0,
                    (i, j) if i < 3 && j < 3 => r[i][j] as f32,
                    _ => 0.0,
                })
            }),
            Recomb::Four(r) => r.map(|row| row.map(|v| v as f32)),
        };
        for img in images.iter_mut() {
            known_variant(img);
            // Sharp recombines in sRGB: grey images become colour.
            match img {
                DynamicImage::ImageLuma8(_) => *img = DynamicImage::ImageRgb8(img.to_rgb8()),
                DynamicImage::ImageLumaA8(_) => *img = DynamicImage::ImageRgba8(img.to_rgba8()),
                DynamicImage::ImageLuma16(_) => *img = DynamicImage::ImageRgb16(img.to_rgb16()),
                DynamicImage::ImageLumaA16(_) => *img = DynamicImage::ImageRgba16(img.to_rgba16()),
                _ => {}
            }
            with_samples!(img, |data, layout| recomb(data, layout, &m));
        }
        Ok(())
    }
}

fn recomb<S: Sample>(data: &mut [S], layout: Layout, m: &[[f32; 4]; 4]) {
    let ch = layout.channels;
    for px in data.chunks_exact_mut(ch) {
        let mut v = [0f32, 0.0, 0.0, 255.0];
        for (c, s) in px.iter().enumerate() {
            v[c] = s.to_u8_scale();
        }
        for (c, s) in px.iter_mut().enumerate() {
            let row = &m[c];
            *s = S::from_u8_scale(row[0] * v[0] + row[1] * v[1] + row[2] * v[2] + row[3] * v[3]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    #[test]
    fn matches_sharp() {
        let sepia = Recomb::Three([
            [0.3588, 0.7044, 0.1368],
            [0.299, 0.587, 0.114],
            [0.2392, 0.4696, 0.0912],
        ]);
        let transposed = Recomb::Three([
            [0.3588, 0.299, 0.2392],
            [0.7044, 0.587, 0.4696],
            [0.1368, 0.114, 0.0912],
        ]);
        like_sharp(
            "ops-photo.png",
            "recomb-sepia",
            bound(0.995, 2.0),
            &|f| RecombOp { matrix: sepia }.apply(f),
            &[("transposed matrix", &|f| {
                RecombOp { matrix: transposed }.apply(f)
            })],
        );
        let swap = Recomb::Four([
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 0.5],
        ]);
        let alpha_kept = Recomb::Four([
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [1.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ]);
        like_sharp(
            "ops-photo-alpha.png",
            "recomb-alpha-4",
            bound(0.995, 2.0),
            &|f| RecombOp { matrix: swap }.apply(f),
            &[("alpha row ignored", &|f| {
                RecombOp { matrix: alpha_kept }.apply(f)
            })],
        );
    }

    #[test]
    fn every_type_never_panics_and_grey_becomes_rgb() {
        let big = Recomb::Four([[1e6; 4]; 4]);
        let three = Recomb::Three([[-1e6; 3]; 3]);
        for img in every_variant(3, 2).into_iter().chain(every_variant(1, 1)) {
            for matrix in [big, three] {
                let mut f = [img.clone()];
                RecombOp { matrix }.apply(&mut f).unwrap();
                assert!(f[0].color().channel_count() >= 3);
                assert_eq!(f[0].color().has_alpha(), img.color().has_alpha());
            }
        }
    }
}
