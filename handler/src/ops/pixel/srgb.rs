//! The one sRGB transfer function and the one grey, for every operation.
//!
//! The transfer function is written once, generic over `f32` (the per-pixel loops of the
//! Lab operations) and `f64` (the tables); the tables below are caches of it. The grey
//! is libvips' sRGB → B_W, which Sharp uses for `greyscale`, `threshold`, `tint` and
//! the `b-w` colourspace: the CIE luminance Y (Rec. 709 weights) of linear light,
//! sRGB-encoded again.

use std::ops::{Add, Div, Mul, Sub};
use std::sync::OnceLock;

/// `f32` or `f64`: what the transfer function needs of a float.
pub trait Real:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
{
    /// A constant in this precision.
    fn c(v: f64) -> Self;
    fn powf(self, e: Self) -> Self;
    fn max(self, other: Self) -> Self;
}

macro_rules! real {
    ($($t:ident),*) => {$(
        impl Real for $t {
            #[inline]
            #[allow(clippy::unnecessary_cast)]
            fn c(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn powf(self, e: Self) -> Self {
                $t::powf(self, e)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
        }
    )*};
}

real!(f32, f64);

/// sRGB-encoded 0–1 to linear light.
#[inline]
pub fn to_linear<T: Real>(v: T) -> T {
    if v <= T::c(0.04045) {
        v / T::c(12.92)
    } else {
        ((v + T::c(0.055)) / T::c(1.055)).powf(T::c(2.4))
    }
}

/// Linear light to sRGB-encoded 0–1. Not clamped above (callers' write-back clamps);
/// values below 0 stay on the linear segment.
#[inline]
pub fn from_linear<T: Real>(v: T) -> T {
    if v <= T::c(0.003_130_8) {
        v * T::c(12.92)
    } else {
        T::c(1.055) * v.max(T::c(0.0)).powf(T::c(1.0) / T::c(2.4)) - T::c(0.055)
    }
}

/// The grey formula: CIE luminance Y of linear-light R, G, B (Rec. 709 weights).
#[inline]
pub fn luminance<T: Real>([r, g, b]: [T; 3]) -> T {
    T::c(0.2126) * r + T::c(0.7152) * g + T::c(0.0722) * b
}

// ------------------------------------------------------------- 8-bit scale, f32

/// Linear light of 8-bit-scale values (0–255), from a table for the 256 exact 8-bit
/// values so 8-bit images skip `powf`.
pub struct Linearise([f32; 256]);

impl Linearise {
    pub fn new() -> Self {
        Linearise(std::array::from_fn(|i| to_linear(i as f32 / 255.0)))
    }

    #[inline]
    pub fn get(&self, v: f32) -> f32 {
        // Exact 8-bit values come from the table; 16-bit and float ones are computed.
        let i = v as usize;
        if v == i as f32 && i < 256 {
            self.0[i]
        } else {
            to_linear(v / 255.0)
        }
    }
}

impl Default for Linearise {
    fn default() -> Self {
        Self::new()
    }
}

/// Linear light to the 8-bit scale (not clamped).
#[inline]
pub fn encode(v: f32) -> f32 {
    from_linear(v) * 255.0
}

/// [`grey16`] on the 8-bit scale in float, for the Lab operations' write-back.
#[inline]
pub fn grey(lin: &Linearise, rgb: [f32; 3]) -> f32 {
    encode(luminance(rgb.map(|v| lin.get(v))))
}

// ------------------------------------------------------------ 16-bit samples

/// Linear light of every 16-bit sample value (built once).
pub fn linear16() -> &'static [f32] {
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=65535u32)
            .map(|v| to_linear(f64::from(v) / 65535.0) as f32)
            .collect()
    })
}

/// sRGB-encoded 16-bit sample for linear light in 1/65535 steps (built once), so the
/// per-pixel loops need no `powf`.
fn encode16() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=65535u32)
            .map(|v| (from_linear(f64::from(v) / 65535.0) * 65535.0).round() as u16)
            .collect()
    })
}

/// The grey of 16-bit sRGB samples, 16-bit sRGB out (8-bit images: samples × 257).
#[inline]
pub fn grey16(r: u16, g: u16, b: u16) -> u16 {
    let t = linear16();
    let y = luminance([t[r as usize], t[g as usize], t[b as usize]]);
    encode16()[(y.clamp(0.0, 1.0) * 65535.0).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_of_white_black_and_red() {
        assert_eq!(grey16(65535, 65535, 65535), 65535);
        assert_eq!(grey16(0, 0, 0), 0);
        let lin = Linearise::new();
        assert!((grey(&lin, [128.0; 3]) - 128.0).abs() < 0.01);
        // Pure red: Y = 0.2126 → sRGB 127.
        assert_eq!((u32::from(grey16(65535, 0, 0)) + 128) / 257, 127);
        assert!((grey(&lin, [255.0, 0.0, 0.0]) - 127.0).abs() < 0.5);
    }

    #[test]
    fn the_f32_and_f64_paths_agree() {
        for i in 0..=1000 {
            let v = f64::from(i) / 1000.0;
            let (a, b) = (to_linear(v), f64::from(to_linear(v as f32)));
            assert!((a - b).abs() < 1e-6, "{v}");
            let (a, b) = (from_linear(v), f64::from(from_linear(v as f32)));
            assert!((a - b).abs() < 1e-6, "{v}");
            assert!((from_linear(to_linear(v)) - v).abs() < 1e-9, "{v}");
        }
    }
}
