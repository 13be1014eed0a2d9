//! `cl`: Sharp's `clahe({width, height, maxSlope})`: libvips `hist_local`. Each output
//! sample is the equalised rank of the input sample within the `width`×`height`
//! window around it (edges mirrored), with every histogram bin capped at `maxSlope`
//! and the excess spread evenly over the bins (0 = no cap): `255·Σ / (width·height)`.
//! Each colour channel is processed on its own, as libvips does.
//!
//! Works on 8-bit samples like libvips: 16-bit and float images are converted to 8-bit
//! (and stay 8-bit). Deliberate differences: libvips fails when the window is larger
//! than the image; we shrink the window to the image. libvips equalises alpha too; we
//! keep it.

use crate::error::Result;
use crate::ops::pixel::{known_variant, Layout, Sample};
use crate::params::Clahe;
use crate::with_samples;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaheOp {
    pub clahe: Clahe,
}

impl ClaheOp {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            known_variant(img);
            // 8-bit only, as libvips.
            match img {
                DynamicImage::ImageLuma16(_) => *img = DynamicImage::ImageLuma8(img.to_luma8()),
                DynamicImage::ImageLumaA16(_) => {
                    *img = DynamicImage::ImageLumaA8(img.to_luma_alpha8())
                }
                DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => {
                    *img = DynamicImage::ImageRgb8(img.to_rgb8())
                }
                DynamicImage::ImageRgba16(_) | DynamicImage::ImageRgba32F(_) => {
                    *img = DynamicImage::ImageRgba8(img.to_rgba8())
                }
                _ => {}
            }
            let c = self.clahe;
            with_samples!(img, |data, layout| {
                // Only u8 buffers reach here; the generic arms compile but never run.
                if let Some(bytes) = as_bytes(data) {
                    equalise(bytes, layout, c);
                }
            });
        }
        Ok(())
    }
}

fn as_bytes<S: Sample>(data: &mut [S]) -> Option<&mut [u8]> {
    S::bytes(data)
}

/// Mirror (reflect, edge repeated) an index into 0..n.
fn mirror(i: i64, n: i64) -> usize {
    let period = 2 * n;
    let m = i.rem_euclid(period);
    (if m < n { m } else { period - 1 - m }) as usize
}

fn equalise(data: &mut [u8], layout: Layout, c: Clahe) {
    let (w, h, ch) = (layout.width, layout.height, layout.channels);
    if w == 0 || h == 0 {
        return;
    }
    let ww = (c.width as usize).clamp(1, w);
    let wh = (c.height as usize).clamp(1, h);
    let area = (ww * wh) as u32;
    let max_slope = u32::from(c.max_slope);
    let src = data.to_vec();
    let (hx, hy) = ((ww / 2) as i64, (wh / 2) as i64);
    // Mirrored source index for every coordinate a window can reach, computed once.
    let xs: Vec<usize> = (-hx..w as i64 + ww as i64)
        .map(|x| mirror(x, w as i64))
        .collect();
    let ys: Vec<usize> = (-hy..h as i64 + wh as i64)
        .map(|y| mirror(y, h as i64) * w)
        .collect();
    let px = |x: i64, y: i64, b: usize| -> usize {
        src[(ys[(y + hy) as usize] + xs[(x + hx) as usize]) * ch + b] as usize
    };
    // Unlimited when max_slope is 0: no count can exceed the window area.
    let cap = if max_slope > 0 { max_slope } else { area };
    for b in 0..layout.colour() {
        for y in 0..h as i64 {
            let mut win = Window::new(cap);
            for dy in 0..wh as i64 {
                for dx in 0..ww as i64 {
                    win.add(px(dx - hx, y - hy + dy, b));
                }
            }
            for x in 0..w as i64 {
                if x > 0 {
                    let (old, new) = (x - 1 - hx, x - hx + ww as i64 - 1);
                    for dy in 0..wh as i64 {
                        win.remove(px(old, y - hy + dy, b));
                        win.add(px(new, y - hy + dy, b));
                    }
                }
                let target = px(x, y, b);
                // The clipped excess is spread evenly over the 256 bins (libvips).
                let sum = win.capped_through(target) + (target as u32 + 1) * win.over / 256;
                data[(y as usize * w + x as usize) * ch + b] = (255 * sum / area).min(255) as u8;
            }
        }
    }
}

/// A window's histogram with every bin capped at `cap`: the capped counts are also
/// summed per block of 16 bins, so a capped cumulative count costs ~30 additions
/// instead of 256, and `over` (the total clipped off) is kept as bins change.
struct Window {
    cap: u32,
    hist: [u32; 256],
    blocks: [u32; 16],
    over: u32,
}

impl Window {
    fn new(cap: u32) -> Self {
        Window {
            cap,
            hist: [0; 256],
            blocks: [0; 16],
            over: 0,
        }
    }

    fn add(&mut self, v: usize) {
        let h = self.hist[v];
        if h < self.cap {
            self.blocks[v / 16] += 1;
        } else {
            self.over += 1;
        }
        self.hist[v] = h + 1;
    }

    fn remove(&mut self, v: usize) {
        let h = self.hist[v];
        if h > self.cap {
            self.over -= 1;
        } else {
            self.blocks[v / 16] -= 1;
        }
        self.hist[v] = h - 1;
    }

    /// Σ min(count, cap) over bins 0..=v.
    fn capped_through(&self, v: usize) -> u32 {
        let full: u32 = self.blocks[..v / 16].iter().sum();
        let part: u32 = self.hist[v / 16 * 16..=v]
            .iter()
            .map(|n| (*n).min(self.cap))
            .sum();
        full + part
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    fn op(width: u32, height: u32, max_slope: u8) -> ClaheOp {
        ClaheOp {
            clahe: Clahe {
                width,
                height,
                max_slope,
            },
        }
    }

    #[test]
    fn matches_sharp() {
        like_sharp(
            "ops-photo.png",
            "clahe-10",
            bound(0.995, 1.0),
            &|f| op(10, 10, 3).apply(f),
            &[
                ("20×15 window", &|f| op(20, 15, 3).apply(f)),
                ("no slope limit", &|f| op(10, 10, 0).apply(f)),
            ],
        );
        like_sharp(
            "ops-photo.png",
            "clahe-20-0",
            bound(0.995, 1.0),
            &|f| op(20, 15, 0).apply(f),
            &[
                ("10×10 window", &|f| op(10, 10, 0).apply(f)),
                ("slope 3", &|f| op(20, 15, 3).apply(f)),
            ],
        );
    }

    #[test]
    fn windows_larger_than_the_image_and_every_type() {
        for img in every_variant(5, 4).into_iter().chain(every_variant(1, 1)) {
            for (w, h, s) in [(1, 1, 0), (1024, 1024, 100), (3, 7, 1)] {
                let mut f = [img.clone()];
                op(w, h, s).apply(&mut f).unwrap();
                assert_eq!(f[0].color().channel_count(), img.color().channel_count());
                assert_eq!(
                    f[0].to_rgba8().get_pixel(0, 0)[3],
                    img.to_rgba8().get_pixel(0, 0)[3],
                    "alpha kept"
                );
            }
        }
    }

    #[test]
    fn mirror_reflects() {
        assert_eq!(mirror(-1, 5), 0);
        assert_eq!(mirror(-2, 5), 1);
        assert_eq!(mirror(5, 5), 4);
        assert_eq!(mirror(2, 5), 2);
        assert_eq!(mirror(-7, 1), 0);
    }
}
