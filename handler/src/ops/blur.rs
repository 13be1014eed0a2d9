//! `bl`: Sharp's `blur(sigma)`: libvips `gaussblur` with Sharp's defaults (integer
//! precision, `minAmpl` 0.2), i.e. a separable kernel of weights
//! `rint(20·exp(−x²/2σ²))` for every x whose Gaussian is ≥ 0.2 (radius ≈ 1.8σ;
//! σ = 0.3 gives a 1-tap kernel, a no-op, as in Sharp), edges extended by copying,
//! horizontal pass first, each pass rounded to the pixel type. Images with alpha are
//! blurred premultiplied, as Sharp does.
//!
//! Speed: the integer kernel takes at most 20 distinct values, so it is a sum of at
//! most 17 nested boxes; each pass costs O(boxes) per sample through prefix sums,
//! whatever sigma is (exact, not an approximation). A 5000×5000 RGB blur at σ = 1000
//! takes seconds, not minutes.

use super::pixel::{known_variant, premultiplied, Layout, Sample};
use crate::error::Result;
use crate::with_samples;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Blur {
    pub sigma: f32,
}

impl Blur {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let kernel = BoxKernel::gaussian(f64::from(self.sigma), 0.2);
        if kernel.radius == 0 {
            return Ok(());
        }
        for img in images.iter_mut() {
            known_variant(img);
            premultiplied(img, |img| {
                with_samples!(img, |data, layout| kernel.apply_2d(
                    data,
                    layout,
                    layout.channels
                ))
            });
        }
        Ok(())
    }
}

/// A symmetric integer kernel as a sum of centred boxes.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxKernel {
    pub radius: usize,
    /// (half-width, multiplicity), widest first.
    boxes: Vec<(usize, u32)>,
    /// Sum of all weights.
    scale: f64,
}

impl BoxKernel {
    /// libvips `gaussmat` with integer precision (weights `rint(20·g)`), separable half.
    pub fn gaussian(sigma: f64, min_ampl: f64) -> BoxKernel {
        let sig2 = 2.0 * sigma * sigma;
        // libvips caps the mask at 8σ and at its sanity size; 10000 is far beyond the
        // 1000 σ the parser allows (radius ≈ 1800).
        let max_x = (8.0 * sigma).clamp(0.0, 10_000.0) as usize;
        let mut x = 0;
        while x < max_x {
            if (-((x * x) as f64) / sig2).exp() < min_ampl {
                break;
            }
            x += 1;
        }
        let radius = x.saturating_sub(1);
        let weights: Vec<u32> = (0..=radius)
            .map(|i| (20.0 * (-((i * i) as f64) / sig2).exp()).round() as u32)
            .collect();
        BoxKernel::from_weights(&weights)
    }

    /// `weights[i]` is the weight at distance i (non-increasing in i).
    fn from_weights(weights: &[u32]) -> BoxKernel {
        let radius = weights.len().saturating_sub(1);
        let top = weights.first().copied().unwrap_or(1).max(1);
        let mut boxes: Vec<(usize, u32)> = Vec::new();
        for level in 1..=top {
            let half = weights.iter().rposition(|w| *w >= level).unwrap_or(0);
            match boxes.last_mut() {
                Some((h, n)) if *h == half => *n += 1,
                _ => boxes.push((half, 1)),
            }
        }
        let scale = boxes
            .iter()
            .map(|(h, n)| f64::from(*n) * (2 * h + 1) as f64)
            .sum();
        BoxKernel {
            radius,
            boxes,
            scale,
        }
    }

    /// Filters one line in place (`line` holds the samples, edges copied outwards).
    pub fn filter_line(&self, line: &mut [f32], prefix: &mut Vec<f64>) {
        let n = line.len();
        if n == 0 {
            return;
        }
        let r = self.radius;
        prefix.clear();
        prefix.reserve(n + 2 * r + 1);
        prefix.push(0.0);
        let mut acc = 0.0f64;
        for i in 0..n + 2 * r {
            let src = i.saturating_sub(r).min(n - 1);
            acc += f64::from(line[src]);
            prefix.push(acc);
        }
        for (x, out) in line.iter_mut().enumerate() {
            // Padded index of x is x + r.
            let c = x + r;
            let mut sum = 0.0;
            for &(h, m) in &self.boxes {
                sum += f64::from(m) * (prefix[c + h + 1] - prefix[c - h]);
            }
            *out = (sum / self.scale) as f32;
        }
    }

    /// Horizontal then vertical pass over the first `channels` channels, rounding to the
    /// pixel type after each pass (as libvips' integer convolution does).
    pub fn apply_2d<S: Sample>(&self, data: &mut [S], layout: Layout, channels: usize) {
        let (w, h, ch) = (layout.width, layout.height, layout.channels);
        let mut prefix = Vec::new();
        let mut line = vec![0f32; w.max(h)];
        for y in 0..h {
            let row = &mut data[y * w * ch..(y + 1) * w * ch];
            for c in 0..channels {
                for x in 0..w {
                    line[x] = row[x * ch + c].to_f32();
                }
                self.filter_line(&mut line[..w], &mut prefix);
                for x in 0..w {
                    row[x * ch + c] = S::from_f32(line[x]);
                }
            }
        }
        // Columns in blocks, gathered row by row, so memory is read in runs rather than
        // one cache miss per sample.
        const BLOCK: usize = 32;
        let mut block = vec![0f32; BLOCK * ch * h];
        for x0 in (0..w).step_by(BLOCK) {
            let bw = BLOCK.min(w - x0);
            let lines = bw * ch;
            for y in 0..h {
                let row = &data[(y * w + x0) * ch..(y * w + x0 + bw) * ch];
                for (i, v) in row.iter().enumerate() {
                    block[i * h + y] = Sample::to_f32(*v);
                }
            }
            for i in 0..lines {
                if i % ch < channels {
                    self.filter_line(&mut block[i * h..(i + 1) * h], &mut prefix);
                }
            }
            for y in 0..h {
                let row = &mut data[(y * w + x0) * ch..(y * w + x0 + bw) * ch];
                for (i, v) in row.iter_mut().enumerate() {
                    if i % ch < channels {
                        *v = S::from_f32(block[i * h + y]);
                    }
                }
            }
        }
    }
}

/// Blurs a float plane (e.g. a luminance channel) without rounding between passes.
pub fn blur_plane(plane: &mut [f32], width: usize, height: usize, kernel: &BoxKernel) {
    let mut prefix = Vec::new();
    for row in plane.chunks_exact_mut(width.max(1)) {
        kernel.filter_line(row, &mut prefix);
    }
    let mut line = vec![0f32; height];
    for x in 0..width {
        for y in 0..height {
            line[y] = plane[y * width + x];
        }
        kernel.filter_line(&mut line, &mut prefix);
        for y in 0..height {
            plane[y * width + x] = line[y];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{assert_like_sharp, fixture};

    #[test]
    fn matches_sharp() {
        assert_like_sharp("ops-photo.png", "blur-1", 0.97, |f| {
            Blur { sigma: 1.0 }.apply(f)
        });
        assert_like_sharp("ops-photo.png", "blur-0_3", 0.999, |f| {
            Blur { sigma: 0.3 }.apply(f)
        });
        assert_like_sharp("ops-photo.png", "blur-30", 0.97, |f| {
            Blur { sigma: 30.0 }.apply(f)
        });
        assert_like_sharp("ops-photo-alpha.png", "blur-alpha-2", 0.97, |f| {
            Blur { sigma: 2.0 }.apply(f)
        });
    }

    #[test]
    fn kernel_is_libvips_gaussmat() {
        // sigma 1, min_ampl 0.2: exp(-x²/2) ≥ 0.2 for x ≤ 1 → radius 1, weights 20, 12.
        let k = BoxKernel::gaussian(1.0, 0.2);
        assert_eq!(k.radius, 1);
        assert_eq!(k.scale, 20.0 + 2.0 * 12.0);
        assert_eq!(BoxKernel::gaussian(0.3, 0.2).radius, 0);
        let big = BoxKernel::gaussian(1000.0, 0.2);
        assert!(big.boxes.len() <= 20 && big.radius > 1700, "{}", big.radius);
    }

    #[test]
    fn box_sum_equals_direct_convolution() {
        let k = BoxKernel::gaussian(2.5, 0.1);
        let weights: Vec<f64> = (0..=k.radius)
            .map(|i| (20.0 * (-((i * i) as f64) / 12.5).exp()).round())
            .collect();
        let src: Vec<f32> = (0..40).map(|i| ((i * 37) % 101) as f32).collect();
        let mut fast = src.clone();
        k.filter_line(&mut fast, &mut Vec::new());
        for x in 0..src.len() as i64 {
            let mut sum = 0.0;
            for d in -(k.radius as i64)..=k.radius as i64 {
                let i = (x + d).clamp(0, src.len() as i64 - 1) as usize;
                sum += weights[d.unsigned_abs() as usize] * f64::from(src[i]);
            }
            let want = sum / k.scale;
            assert!((f64::from(fast[x as usize]) - want).abs() < 1e-3);
        }
    }

    #[test]
    fn every_type_extremes_and_1x1() {
        for img in every_variant(5, 3).into_iter().chain(every_variant(1, 1)) {
            for sigma in [0.3, 1.0, 1000.0] {
                let mut f = [img.clone(), img.clone()];
                Blur { sigma }.apply(&mut f).unwrap();
                assert_eq!(f[0].color(), img.color());
                assert_eq!(f[0], f[1]);
            }
        }
        // A flat image stays flat.
        let flat = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(
            9,
            7,
            image::Rgb([1000u16, 2000, 3000]),
        ));
        let mut f = [flat.clone()];
        Blur { sigma: 3.0 }.apply(&mut f).unwrap();
        assert_eq!(f[0], flat);
    }

    #[test]
    fn huge_sigma_on_a_large_image_is_fast() {
        // Debug builds are ~10× slower than release: 1000×1000 here stands for
        // 5000×5000 (25× the work) in release.
        let img =
            fixture("ops-photo.png").resize_exact(1000, 1000, image::imageops::FilterType::Nearest);
        let start = std::time::Instant::now();
        let mut f = [img];
        Blur { sigma: 1000.0 }.apply(&mut f).unwrap();
        assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
    }

    /// The worst case; run with `--ignored` (about 3 s at opt-level 2).
    #[test]
    #[ignore]
    fn blur_5000_square_at_sigma_1000() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(5000, 5000, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x ^ y) % 256) as u8])
        }));
        let start = std::time::Instant::now();
        let mut f = [img];
        Blur { sigma: 1000.0 }.apply(&mut f).unwrap();
        eprintln!("5000×5000 RGB, sigma 1000: {:?}", start.elapsed());
        assert!(start.elapsed().as_secs() < 60);
    }
}
