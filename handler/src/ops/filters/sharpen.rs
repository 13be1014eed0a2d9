//! `sh`: Sharp's `sharpen`.
//!
//! - Bare `sh` ([`Sharpen::Mild`]): Sharp's fast sharpen, a 3×3 convolution
//!   `[-1 -1 -1; -1 32 -1; -1 -1 -1] / 24` over every channel, premultiplied when there is
//!   alpha (as Sharp).
//! - A sigma or options ([`Sharpen::Gaussian`]): libvips `sharpen` on the L channel of
//!   CIE Lab: L is blurred with a Gaussian of that sigma (integer mask, amplitude cut at
//!   0.1), and each pixel gets `L + f(L − blur)` where `f` is libvips' curve: slope `m1`
//!   within ±`x1`, `m2` beyond, clamped to +`y2` (brighten) / −`y3` (darken). a and b are
//!   kept. Alpha is untouched. Grey images sharpen their L the same way.

use super::blur::{blur_plane, BoxKernel};
use super::convolve::Kernel2d;
use crate::error::Result;
use crate::ops::pixel::lab::{lab_to_srgb, rgb_of, set_rgb, srgb_to_lab};
use crate::ops::pixel::srgb::Linearise;
use crate::ops::pixel::{known_variant, map_colour, premultiplied, Layout, Sample};
use crate::params::{Sharpen, SharpenOptions};
use crate::with_samples;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpenOp {
    pub sharpen: Sharpen,
}

impl SharpenOp {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            known_variant(img);
            match self.sharpen {
                Sharpen::Mild => premultiplied(img, mild),
                Sharpen::Gaussian(o) => gaussian(img, &o),
            }
        }
        Ok(())
    }
}

fn mild(img: &mut DynamicImage) {
    let mut weights = vec![-1.0f32; 9];
    weights[4] = 32.0;
    let k = Kernel2d {
        width: 3,
        height: 3,
        weights,
        scale: 24.0,
        offset: 0.0,
    };
    with_samples!(img, |data, layout| k.apply(data, layout, layout.channels));
}

/// libvips' sharpening curve, in L units (0–100).
fn curve(o: &SharpenOptions, v: f64) -> f64 {
    let y = if v < -o.x1 {
        (v + o.x1) * o.m2 - o.x1 * o.m1
    } else if v < o.x1 {
        v * o.m1
    } else {
        (v - o.x1) * o.m2 + o.x1 * o.m1
    };
    y.clamp(-o.y3, o.y2)
}

fn gaussian(img: &mut DynamicImage, o: &SharpenOptions) {
    let lin = Linearise::new();
    let layout = Layout::of(img);
    let (w, h) = (layout.width, layout.height);
    // L of every pixel, then its blur.
    let mut l = Vec::with_capacity(w * h);
    with_samples!(img, |data, layout| luminance(data, layout, &lin, &mut l));
    let mut blurred = l.clone();
    blur_plane(&mut blurred, w, h, &BoxKernel::gaussian(o.sigma, 0.1));
    // libvips works on L as a short (×327.67) through a 65536-entry table: the curve is
    // cheap enough to evaluate directly.
    let i = std::cell::Cell::new(0usize);
    map_colour(img, |colour, _| {
        let k = i.get();
        i.set(k + 1);
        let mut lab = srgb_to_lab(&lin, rgb_of(colour));
        let d = f64::from(l[k] - blurred[k]);
        lab[0] = (f64::from(l[k]) + curve(o, d)).clamp(0.0, 100.0) as f32;
        set_rgb(&lin, colour, lab_to_srgb(lab));
    });
}

fn luminance<S: Sample>(data: &[S], layout: Layout, lin: &Linearise, out: &mut Vec<f32>) {
    let colour = layout.colour();
    let mut buf = [0f32; 3];
    for px in data.chunks_exact(layout.channels) {
        for c in 0..colour.min(3) {
            buf[c] = px[c].to_u8_scale();
        }
        out.push(srgb_to_lab(lin, rgb_of(&buf[..colour.min(3)]))[0]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    fn sigma(sigma: f64) -> SharpenOp {
        SharpenOp {
            sharpen: Sharpen::Gaussian(SharpenOptions {
                sigma,
                ..SharpenOptions::DEFAULT
            }),
        }
    }

    #[test]
    fn matches_sharp() {
        let mild = SharpenOp {
            sharpen: Sharpen::Mild,
        };
        like_sharp(
            "ops-photo.png",
            "sharpen-mild",
            bound(0.995, 1.5),
            &|f| mild.apply(f),
            &[("sigma 1 instead of mild", &|f| sigma(1.0).apply(f))],
        );
        like_sharp(
            "ops-photo.png",
            "sharpen-2",
            bound(0.995, 1.0),
            &|f| sigma(2.0).apply(f),
            &[
                ("sigma 1", &|f| sigma(1.0).apply(f)),
                ("sigma 3", &|f| sigma(3.0).apply(f)),
            ],
        );
        let opts = SharpenOptions {
            sigma: 1.0,
            m1: 0.5,
            m2: 4.0,
            x1: 3.0,
            y2: 15.0,
            y3: 25.0,
        };
        let with = |o: SharpenOptions| SharpenOp {
            sharpen: Sharpen::Gaussian(o),
        };
        // Each option changed on its own is a wrong answer that must fail.
        like_sharp(
            "ops-photo.png",
            "sharpen-opts",
            bound(0.995, 1.0),
            &|f| with(opts).apply(f),
            &[
                ("defaults", &|f| sigma(1.0).apply(f)),
                ("m1 2", &|f| {
                    with(SharpenOptions { m1: 2.0, ..opts }).apply(f)
                }),
                ("m2 1", &|f| {
                    with(SharpenOptions { m2: 1.0, ..opts }).apply(f)
                }),
                ("x1 10", &|f| {
                    with(SharpenOptions { x1: 10.0, ..opts }).apply(f)
                }),
                ("y2 5", &|f| {
                    with(SharpenOptions { y2: 5.0, ..opts }).apply(f)
                }),
                ("y3 5", &|f| {
                    with(SharpenOptions { y3: 5.0, ..opts }).apply(f)
                }),
            ],
        );
    }

    #[test]
    fn curve_is_libvips() {
        let o = SharpenOptions::DEFAULT;
        assert_eq!(curve(&o, 1.0), 1.0);
        assert_eq!(curve(&o, 3.0), 2.0 + 2.0);
        assert_eq!(curve(&o, 100.0), 10.0);
        assert_eq!(curve(&o, -100.0), -20.0);
    }

    #[test]
    fn extremes_every_type() {
        let max = SharpenOptions {
            sigma: 10.0,
            m1: 1e6,
            m2: 1e6,
            x1: 1e6,
            y2: 1e6,
            y3: 1e6,
        };
        let min = SharpenOptions {
            sigma: 1e-6,
            m1: 0.0,
            m2: 0.0,
            x1: 0.0,
            y2: 0.0,
            y3: 0.0,
        };
        for img in every_variant(5, 4).into_iter().chain(every_variant(1, 1)) {
            for s in [
                Sharpen::Mild,
                Sharpen::Gaussian(max),
                Sharpen::Gaussian(min),
            ] {
                let mut f = [img.clone()];
                SharpenOp { sharpen: s }.apply(&mut f).unwrap();
                assert_eq!(f[0].color(), img.color());
            }
        }
    }
}
