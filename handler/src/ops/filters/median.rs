//! `md`: Sharp's `median(size)`: libvips `median`, i.e. `rank` with an N×N window and
//! index N²/2, edges extended by copying, every channel (alpha too) filtered
//! independently. Even sizes work as in libvips (window offset N/2). N = 1 is a no-op.
//!
//! 8-bit images use a sliding histogram (Huang), O(N) per sample; 16-bit and float
//! images sort each window (O(N²) per sample), fine for the usual small windows.

use crate::error::Result;
use crate::ops::pixel::{known_variant, Layout, Sample};
use crate::with_samples;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Median {
    pub size: u32,
}

impl Median {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let n = self.size.max(1) as usize;
        if n == 1 {
            return Ok(());
        }
        for img in images.iter_mut() {
            known_variant(img);
            with_samples!(img, |data, layout| {
                let out = median(data, layout, n);
                data.copy_from_slice(&out);
            });
        }
        Ok(())
    }
}

fn median<S: Sample>(data: &[S], layout: Layout, n: usize) -> Vec<S> {
    let (w, h, ch) = (layout.width, layout.height, layout.channels);
    let mut out = data.to_vec();
    let half = (n / 2) as i64;
    let rank = n * n / 2;
    let at = |x: i64, y: i64, c: usize| -> S {
        let x = x.clamp(0, w as i64 - 1) as usize;
        let y = y.clamp(0, h as i64 - 1) as usize;
        data[(y * w + x) * ch + c]
    };
    if S::MAX == 255.0 {
        // Sliding histogram along each row.
        for c in 0..ch {
            for y in 0..h as i64 {
                let mut hist = [0u32; 256];
                let y0 = y - half;
                for dx in 0..n as i64 {
                    for dy in 0..n as i64 {
                        hist[at(dx - half, y0 + dy, c).to_f32() as usize] += 1;
                    }
                }
                // Huang: track the median and how many samples lie below it, moving it
                // a few bins per step instead of rescanning the histogram.
                let (mut med, mut below) = (0usize, 0usize);
                for x in 0..w as i64 {
                    if x > 0 {
                        let (old, new) = (x - 1 - half, x - half + n as i64 - 1);
                        for dy in 0..n as i64 {
                            let o = at(old, y0 + dy, c).to_f32() as usize;
                            let v = at(new, y0 + dy, c).to_f32() as usize;
                            hist[o] -= 1;
                            hist[v] += 1;
                            below = below + usize::from(v < med) - usize::from(o < med);
                        }
                    }
                    // The median is the bin where the running count passes `rank`.
                    while below > rank {
                        med -= 1;
                        below -= hist[med] as usize;
                    }
                    while below + hist[med] as usize <= rank {
                        below += hist[med] as usize;
                        med += 1;
                    }
                    out[(y as usize * w + x as usize) * ch + c] = S::from_f32(med as f32);
                }
            }
        }
    } else {
        let mut window: Vec<f32> = Vec::with_capacity(n * n);
        for y in 0..h as i64 {
            for x in 0..w as i64 {
                for c in 0..ch {
                    window.clear();
                    for dy in 0..n as i64 {
                        for dx in 0..n as i64 {
                            window.push(at(x - half + dx, y - half + dy, c).to_f32());
                        }
                    }
                    let (_, m, _) = window.select_nth_unstable_by(rank, f32::total_cmp);
                    out[(y as usize * w + x as usize) * ch + c] = S::from_f32(*m);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, fixture, like_sharp, max_channel_diff};

    #[test]
    fn matches_sharp() {
        for (name, size, wrong, b) in [
            ("median-3", 3, 5, bound(0.995, 1.0)),
            ("median-7", 7, 5, bound(0.995, 1.0)),
        ] {
            like_sharp(
                "ops-photo.png",
                name,
                b,
                &|f| Median { size }.apply(f),
                &[("wrong size", &|f| Median { size: wrong }.apply(f))],
            );
        }
        let mut f = [fixture("ops-photo.png")];
        Median { size: 3 }.apply(&mut f).unwrap();
        assert!(max_channel_diff(&f[0], &fixture("sharp/median-3.png")) <= 1);
    }

    #[test]
    fn every_type_sizes_and_1x1() {
        for img in every_variant(6, 4).into_iter().chain(every_variant(1, 1)) {
            let mut f = [img.clone()];
            Median { size: 1 }.apply(&mut f).unwrap();
            assert_eq!(f[0], img);
            for size in [2, 3, 51] {
                let mut f = [img.clone()];
                Median { size }.apply(&mut f).unwrap();
                assert_eq!(f[0].color(), img.color());
            }
        }
    }

    #[test]
    fn removes_salt_noise_on_all_depths() {
        let mut g = image::GrayImage::from_pixel(5, 5, image::Luma([10]));
        g.put_pixel(2, 2, image::Luma([255]));
        for img in [
            DynamicImage::ImageLuma8(g.clone()),
            DynamicImage::ImageLuma16(DynamicImage::ImageLuma8(g).to_luma16()),
        ] {
            let mut f = [img];
            Median { size: 3 }.apply(&mut f).unwrap();
            assert_eq!(f[0].to_luma8().get_pixel(2, 2).0, [10]);
        }
    }
}
