//! `li`: Sharp's `linear(a, b)`: `a × v + b` per channel, on the 8-bit scale (so `b`
//! means the same at any depth; Sharp adds it raw to 16-bit values), rounded and
//! clamped to the pixel type.
//!
//! Which channels: one pair applies to every colour channel; a list applies in channel
//! order to the colour channels, and to alpha too only when it has one entry per
//! channel including alpha (Sharp's rule). Deliberate differences: Sharp fails on a
//! list longer than the image's channels (e.g. 3 values on a grey image) or of another
//! length than 1 or the colour count; we apply the entries that have a channel and
//! leave channels without an entry unchanged, so no image makes the request fail.

use crate::error::Result;
use crate::ops::pixel::{known_variant, Layout, Sample};
use crate::params::Linear;
use crate::with_samples;
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq)]
pub struct LinearOp {
    pub linear: Linear,
}

impl LinearOp {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            known_variant(img);
            let (a, b) = coefficients(&self.linear, Layout::of(img));
            with_samples!(img, |data, layout| apply_samples(data, layout, &a, &b));
        }
        Ok(())
    }
}

/// Per-channel (a, b); identity where a channel has no entry.
fn coefficients(linear: &Linear, layout: Layout) -> ([f32; 4], [f32; 4]) {
    let (mut a, mut b) = ([1f32; 4], [0f32; 4]);
    let n = linear.a.len().min(linear.b.len());
    let with_alpha = layout.alpha && n == layout.channels;
    let targets = if with_alpha {
        layout.channels
    } else {
        layout.colour()
    };
    for c in 0..targets {
        let i = if n == 1 { 0 } else { c };
        if i < n {
            a[c] = linear.a[i] as f32;
            b[c] = linear.b[i] as f32;
        }
    }
    (a, b)
}

fn apply_samples<S: Sample>(data: &mut [S], layout: Layout, a: &[f32; 4], b: &[f32; 4]) {
    for px in data.chunks_exact_mut(layout.channels) {
        for (c, s) in px.iter_mut().enumerate() {
            if a[c] != 1.0 || b[c] != 0.0 {
                *s = S::from_u8_scale(a[c] * s.to_u8_scale() + b[c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    fn op(a: &[f64], b: &[f64]) -> LinearOp {
        LinearOp {
            linear: Linear {
                a: a.to_vec(),
                b: b.to_vec(),
            },
        }
    }

    #[test]
    fn matches_sharp() {
        like_sharp(
            "ops-photo.png",
            "linear-1",
            bound(0.995, 2.0),
            &|f| op(&[1.5], &[-20.0]).apply(f),
            &[("offset 0", &|f| op(&[1.5], &[0.0]).apply(f))],
        );
        like_sharp(
            "ops-photo.png",
            "linear-3",
            bound(0.995, 2.0),
            &|f| op(&[1.0, 0.5, 1.2], &[0.0, 10.0, -10.0]).apply(f),
            &[("red and blue swapped", &|f| {
                op(&[1.2, 0.5, 1.0], &[-10.0, 10.0, 0.0]).apply(f)
            })],
        );
    }

    #[test]
    fn channel_selection() {
        let px = |img: &DynamicImage| img.to_rgba8().get_pixel(0, 0).0;
        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            1,
            1,
            image::Rgba([10, 20, 30, 40]),
        ));
        let mut f = [rgba.clone()];
        op(&[2.0], &[1.0]).apply(&mut f).unwrap();
        assert_eq!(px(&f[0]), [21, 41, 61, 40], "one pair: colour only");
        let mut f = [rgba.clone()];
        op(&[1.0, 1.0, 1.0, 2.0], &[0.0, 0.0, 0.0, 0.0])
            .apply(&mut f)
            .unwrap();
        assert_eq!(px(&f[0]), [10, 20, 30, 80], "four values reach alpha");
        let grey = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(1, 1, image::Luma([10])));
        let mut f = [grey];
        op(&[2.0, 5.0, 5.0, 5.0], &[0.0, 0.0, 0.0, 0.0])
            .apply(&mut f)
            .unwrap();
        assert_eq!(
            f[0].as_luma8().unwrap().get_pixel(0, 0).0,
            [20],
            "extra entries ignored"
        );
    }

    #[test]
    fn extremes_never_panic() {
        for img in every_variant(3, 2).into_iter().chain(every_variant(1, 1)) {
            for (a, b) in [(1e6, 1e6), (-1e6, -1e6), (0.0, 0.0)] {
                let mut f = [img.clone()];
                op(&[a, a, a, a], &[b, b, b, b]).apply(&mut f).unwrap();
                assert_eq!(f[0].color(), img.color());
            }
        }
    }
}
