//! `p=entropy` / `p=attention`: where a cover crop keeps the most interesting part.
//!
//! libvips ranks edge strips and discards the dullest; we score every candidate
//! window along the cropped axis on a small luminance copy and keep the best one.
//! `entropy` scores a window by the Shannon entropy of its luminance histogram;
//! `attention` by edge energy plus saturation plus skin-like hues, a simple stand-in
//! for libvips's saliency. Both are approximations of Sharp's choice, not copies.

use crate::params::Strategy;
use image::{DynamicImage, GenericImageView};

/// Candidate windows tried along the cropped axis.
const STEPS: u32 = 24;
/// Longest side of the copy the scores are computed on.
const SAMPLE: u32 = 256;

pub fn best_window(img: &DynamicImage, window: (u32, u32), strategy: Strategy) -> (u32, u32) {
    let (w, h) = img.dimensions();
    let (ww, wh) = window;
    let (dx, dy) = (w.saturating_sub(ww), h.saturating_sub(wh));
    if dx == 0 && dy == 0 {
        return (0, 0);
    }
    let scale = (SAMPLE as f64 / w.max(h) as f64).min(1.0);
    let small = img
        .thumbnail(
            (w as f64 * scale).ceil() as u32,
            (h as f64 * scale).ceil() as u32,
        )
        .to_rgb8();
    let score_map = match strategy {
        Strategy::Entropy => None,
        // `face` comes here only when no face was found (see `resize`): attention.
        Strategy::Attention | Strategy::Face => Some(attention_map(&small)),
    };
    let mut best = (0u32, 0u32, f64::MIN);
    for i in 0..=STEPS {
        let (left, top) = (dx * i / STEPS, dy * i / STEPS);
        let sx = (left as f64 * scale) as u32;
        let sy = (top as f64 * scale) as u32;
        let sw = ((ww as f64 * scale).round() as u32)
            .max(1)
            .min(small.width() - sx.min(small.width() - 1));
        let sh = ((wh as f64 * scale).round() as u32)
            .max(1)
            .min(small.height() - sy.min(small.height() - 1));
        let score = match &score_map {
            None => entropy(&small, sx, sy, sw, sh),
            Some(map) => window_sum(map, small.width(), sx, sy, sw, sh),
        };
        if score > best.2 {
            best = (left, top, score);
        }
    }
    (best.0, best.1)
}

fn luma(p: &image::Rgb<u8>) -> u8 {
    ((p[0] as u32 * 299 + p[1] as u32 * 587 + p[2] as u32 * 114) / 1000) as u8
}

fn entropy(img: &image::RgbImage, x: u32, y: u32, w: u32, h: u32) -> f64 {
    let mut hist = [0u32; 256];
    for yy in y..(y + h).min(img.height()) {
        for xx in x..(x + w).min(img.width()) {
            hist[luma(img.get_pixel(xx, yy)) as usize] += 1;
        }
    }
    let total: u32 = hist.iter().sum();
    if total == 0 {
        return 0.0;
    }
    hist.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

fn attention_map(img: &image::RgbImage) -> Vec<f64> {
    let (w, h) = img.dimensions();
    let mut map = vec![0.0; (w * h) as usize];
    for y in 0..h {
        for x in 0..w {
            let p = img.get_pixel(x, y);
            let l = luma(p) as f64;
            let right = luma(img.get_pixel((x + 1).min(w - 1), y)) as f64;
            let down = luma(img.get_pixel(x, (y + 1).min(h - 1))) as f64;
            let edge = (l - right).abs() + (l - down).abs();
            let (r, g, b) = (p[0] as f64, p[1] as f64, p[2] as f64);
            let max = r.max(g).max(b);
            let min = r.min(g).min(b);
            let saturation = if max > 0.0 { (max - min) / max } else { 0.0 };
            // Skin tones: red above green above blue, moderately saturated.
            let skin = if r > 95.0 && g > 40.0 && b > 20.0 && r > g && g > b && (r - g) > 15.0 {
                1.0
            } else {
                0.0
            };
            map[(y * w + x) as usize] = edge + 64.0 * saturation + 96.0 * skin;
        }
    }
    map
}

fn window_sum(map: &[f64], stride: u32, x: u32, y: u32, w: u32, h: u32) -> f64 {
    let rows = map.len() as u32 / stride;
    let mut sum = 0.0;
    for yy in y..(y + h).min(rows) {
        for xx in x..(x + w).min(stride) {
            sum += map[(yy * stride + xx) as usize];
        }
    }
    sum
}
