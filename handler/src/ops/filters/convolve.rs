//! `cv`: Sharp's `convolve({width, height, kernel, scale, offset})`: libvips `conv`,
//! `out = Σ kernel·pixels / scale + offset`, the kernel laid over the neighbourhood as
//! written (row by row, not flipped), edges extended by copying, results rounded and
//! clamped to the pixel type.
//!
//! Deliberate difference: Sharp convolves the alpha channel too (premultiplied), so an
//! edge-detection kernel makes opaque images transparent; we convolve the colour
//! channels (straight alpha) and keep alpha as it was.

use crate::error::Result;
use crate::ops::pixel::{known_variant, Layout, Sample};
use crate::params::Convolve;
use crate::with_samples;
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq)]
pub struct ConvolveOp {
    pub convolve: Convolve,
}

impl ConvolveOp {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let k = Kernel2d {
            width: self.convolve.width.max(1) as usize,
            height: self.convolve.height.max(1) as usize,
            weights: self.convolve.kernel.iter().map(|v| *v as f32).collect(),
            scale: self.convolve.scale as f32,
            offset: self.convolve.offset as f32,
        };
        if k.weights.len() != k.width * k.height || k.scale == 0.0 {
            return Err(crate::error::Error::invalid_parameter(
                "cv",
                format!("{:?}", self.convolve),
                "width×height kernel entries and a non-zero scale",
            ));
        }
        for img in images.iter_mut() {
            known_variant(img);
            with_samples!(img, |data, layout| k.apply(data, layout, layout.colour()));
        }
        Ok(())
    }
}

/// A 2-D kernel, applied as a correlation with copied edges.
pub struct Kernel2d {
    pub width: usize,
    pub height: usize,
    pub weights: Vec<f32>,
    pub scale: f32,
    /// Added after scaling, on the 8-bit scale.
    pub offset: f32,
}

impl Kernel2d {
    /// Convolves the first `channels` channels in place (one copy of the image).
    pub fn apply<S: Sample>(&self, data: &mut [S], layout: Layout, channels: usize) {
        let (w, h, ch) = (layout.width as i64, layout.height as i64, layout.channels);
        if w == 0 || h == 0 {
            return;
        }
        let src = data.to_vec();
        let (hx, hy) = ((self.width / 2) as i64, (self.height / 2) as i64);
        let offset = self.offset * S::MAX / 255.0;
        for y in 0..h {
            for x in 0..w {
                let o = ((y * w + x) as usize) * ch;
                for c in 0..channels {
                    let mut sum = 0f32;
                    for ky in 0..self.height as i64 {
                        let sy = (y + ky - hy).clamp(0, h - 1);
                        let row = (sy * w) as usize;
                        for kx in 0..self.width as i64 {
                            let sx = (x + kx - hx).clamp(0, w - 1) as usize;
                            let k = self.weights[ky as usize * self.width + kx as usize];
                            sum += k * src[(row + sx) * ch + c].to_f32();
                        }
                    }
                    data[o + c] = S::from_f32(sum / self.scale + offset);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    fn op(width: u32, height: u32, kernel: &[f64], scale: Option<f64>, offset: f64) -> ConvolveOp {
        ConvolveOp {
            convolve: Convolve {
                width,
                height,
                kernel: kernel.to_vec(),
                scale: scale.unwrap_or_else(|| Convolve::default_scale(kernel)),
                offset,
            },
        }
    }

    #[test]
    fn matches_sharp() {
        let sobel = [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0];
        let transposed = [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0];
        like_sharp(
            "ops-photo.png",
            "convolve-sobel",
            bound(0.995, 1.0),
            &|f| op(3, 3, &sobel, None, 0.0).apply(f),
            &[("transposed kernel", &|f| {
                op(3, 3, &transposed, None, 0.0).apply(f)
            })],
        );
        like_sharp(
            "ops-photo.png",
            "convolve-box5",
            bound(0.995, 1.5),
            &|f| op(5, 3, &[1.0; 15], None, 10.0).apply(f),
            &[
                ("no offset", &|f| op(5, 3, &[1.0; 15], None, 0.0).apply(f)),
                ("3×5 box", &|f| op(3, 5, &[1.0; 15], None, 10.0).apply(f)),
            ],
        );
    }

    #[test]
    fn identity_extremes_every_type() {
        for img in every_variant(4, 3).into_iter().chain(every_variant(1, 1)) {
            let mut f = [img.clone()];
            op(1, 1, &[1.0], None, 0.0).apply(&mut f).unwrap();
            assert_eq!(f[0], img);
            let mut f = [img.clone()];
            op(15, 15, &[1e6; 225], Some(-1e-9), 1e6)
                .apply(&mut f)
                .unwrap();
            assert_eq!(f[0].color(), img.color());
            assert_eq!(
                f[0].to_rgba8().get_pixel(0, 0)[3],
                img.to_rgba8().get_pixel(0, 0)[3],
                "alpha kept"
            );
        }
    }
}
