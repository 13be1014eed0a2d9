//! Test helpers shared by the operation tests: fixtures, Sharp reference images and a
//! structural-similarity score to compare our pixels with Sharp's.

use std::path::PathBuf;

use image::DynamicImage;

mod sharp;
pub use sharp::{bound, like_sharp, score, Bound, Op, Score};

/// `handler/tests/fixtures/<name>` when it exists, else `assets/samples/<name>`.
pub fn fixture_path(name: &str) -> PathBuf {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let test_only = crate_dir.join("tests").join("fixtures").join(name);
    if test_only.exists() {
        return test_only;
    }
    crate_dir
        .join("..")
        .join("assets")
        .join("samples")
        .join(name)
}

/// Decodes a committed fixture with the `image` crate (no orientation, no ICC).
pub fn fixture(name: &str) -> DynamicImage {
    let path = fixture_path(name);
    image::open(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Mean SSIM of the luma planes (BT.601 weights, 8×8 windows, stride 4; alpha is
/// composited over mid grey first so transparent areas compare by what they show).
/// 1.0 = identical. Panics when the sizes differ: callers compare dimensions first.
pub fn ssim(a: &DynamicImage, b: &DynamicImage) -> f64 {
    assert_eq!(
        (a.width(), a.height()),
        (b.width(), b.height()),
        "ssim needs equal sizes"
    );
    let (w, h) = (a.width() as usize, a.height() as usize);
    ssim_plane(&luma_plane(a), &luma_plane(b), w, h)
}

/// Mean SSIM of two `w`×`h` planes (8×8 windows, stride 4; one window when smaller).
pub fn ssim_plane(la: &[f64], lb: &[f64], w: usize, h: usize) -> f64 {
    const WIN: usize = 8;
    const STRIDE: usize = 4;
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    if w < WIN || h < WIN {
        // Too small for windows: one window over everything.
        return ssim_window(la, lb, w, 0, 0, w, h, c1, c2);
    }
    let mut total = 0.0;
    let mut count = 0usize;
    let mut y = 0;
    while y + WIN <= h {
        let mut x = 0;
        while x + WIN <= w {
            total += ssim_window(la, lb, w, x, y, WIN, WIN, c1, c2);
            count += 1;
            x += STRIDE;
        }
        y += STRIDE;
    }
    total / count as f64
}

#[allow(clippy::too_many_arguments)]
fn ssim_window(
    a: &[f64],
    b: &[f64],
    stride: usize,
    x0: usize,
    y0: usize,
    ww: usize,
    wh: usize,
    c1: f64,
    c2: f64,
) -> f64 {
    let n = (ww * wh) as f64;
    let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for y in y0..y0 + wh {
        for x in x0..x0 + ww {
            let (pa, pb) = (a[y * stride + x], b[y * stride + x]);
            sa += pa;
            sb += pb;
            saa += pa * pa;
            sbb += pb * pb;
            sab += pa * pb;
        }
    }
    let (ma, mb) = (sa / n, sb / n);
    let va = (saa / n - ma * ma).max(0.0);
    let vb = (sbb / n - mb * mb).max(0.0);
    let cov = sab / n - ma * mb;
    ((2.0 * ma * mb + c1) * (2.0 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
}

fn luma_plane(image: &DynamicImage) -> Vec<f64> {
    let rgba = image.to_rgba8();
    rgba.pixels()
        .map(|p| {
            let a = f64::from(p[3]) / 255.0;
            let y = 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
            y * a + 128.0 * (1.0 - a)
        })
        .collect()
}

/// Largest absolute difference of any channel of any pixel (both as RGBA 8-bit).
pub fn max_channel_diff(a: &DynamicImage, b: &DynamicImage) -> u8 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    a.to_rgba8()
        .as_raw()
        .iter()
        .zip(b.to_rgba8().as_raw())
        .map(|(x, y)| x.abs_diff(*y))
        .max()
        .unwrap_or(0)
}

/// A watermark asset: `assets/watermarks/<name>` of the repository.
pub fn watermark(name: &str) -> DynamicImage {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("assets")
        .join("watermarks")
        .join(name);
    image::open(&path).unwrap_or_else(|e| panic!("watermark {}: {e}", path.display()))
}

/// Mean absolute difference over all channels of all pixels (both as RGBA 8-bit);
/// catches colour errors SSIM (luma only) cannot see.
pub fn mean_channel_diff(a: &DynamicImage, b: &DynamicImage) -> f64 {
    assert_eq!((a.width(), a.height()), (b.width(), b.height()));
    let (a, b) = (a.to_rgba8(), b.to_rgba8());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len().max(1) as f64
}

/// One small image of every `DynamicImage` variant the decoders and operations
/// produce, with varied pixels and a varied alpha.
pub fn all_variants(w: u32, h: u32) -> Vec<DynamicImage> {
    let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([
            (x * 61 % 256) as u8,
            (y * 97 % 256) as u8,
            ((x * 13 + y * 29) % 256) as u8,
            ((x + y) * 40 % 256) as u8,
        ])
    }));
    vec![
        DynamicImage::ImageLuma8(rgba.to_luma8()),
        DynamicImage::ImageLumaA8(rgba.to_luma_alpha8()),
        DynamicImage::ImageRgb8(rgba.to_rgb8()),
        rgba.clone(),
        DynamicImage::ImageLuma16(rgba.to_luma16()),
        DynamicImage::ImageLumaA16(rgba.to_luma_alpha16()),
        DynamicImage::ImageRgb16(rgba.to_rgb16()),
        DynamicImage::ImageRgba16(rgba.to_rgba16()),
        DynamicImage::ImageRgb32F(rgba.to_rgb32f()),
        DynamicImage::ImageRgba32F(rgba.to_rgba32f()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn gradient(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
            Rgb([
                (x * 7 % 256) as u8,
                (y * 5 % 256) as u8,
                ((x + y) % 256) as u8,
            ])
        }))
    }

    #[test]
    fn identical_images_score_one() {
        let a = gradient(40, 30);
        assert!((ssim(&a, &a) - 1.0).abs() < 1e-9);
        assert_eq!(max_channel_diff(&a, &a), 0);
    }

    #[test]
    fn inverted_image_scores_low() {
        let a = gradient(40, 30);
        let mut b = a.clone();
        b.invert();
        assert!(ssim(&a, &b) < 0.5, "{}", ssim(&a, &b));
        assert_eq!(max_channel_diff(&a, &b), 255);
    }
}
