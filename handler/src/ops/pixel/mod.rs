//! Sample-level plumbing for the pixel operations: one generic code path for every
//! `DynamicImage` variant (8/16-bit integer, 32-bit float; 1–4 channels).
//!
//! Values handed to operations are on the 8-bit scale (0–255) whatever the depth, so
//! parameters written for 8-bit images (offsets, thresholds) mean the same on 16-bit
//! and float images. Writing back rounds and clamps to the sample type's range (float
//! images are clamped to 0–1 too).

pub mod bands;
pub mod canvas;
pub mod lab;

use image::{DynamicImage, Primitive};

/// A channel sample type of `DynamicImage`: u8, u16 or f32.
pub trait Sample: Primitive + Send + Sync + 'static {
    /// The sample value of full intensity.
    const MAX: f32;
    fn to_f32(self) -> f32;
    /// Rounds and clamps a raw (not 8-bit-scaled) value.
    fn from_f32(v: f32) -> Self;

    /// On the 8-bit scale.
    #[inline]
    fn to_u8_scale(self) -> f32 {
        self.to_f32() * (255.0 / Self::MAX)
    }

    /// From the 8-bit scale, rounded and clamped.
    #[inline]
    fn from_u8_scale(v: f32) -> Self {
        Self::from_f32(v * (Self::MAX / 255.0))
    }

    /// The samples as bytes, when `Self` is `u8` (for 8-bit-only algorithms).
    fn bytes(_data: &mut [Self]) -> Option<&mut [u8]> {
        None
    }

    /// The samples as 16-bit words, when `Self` is `u16`.
    fn words(_data: &mut [Self]) -> Option<&mut [u16]> {
        None
    }
}

impl Sample for u8 {
    const MAX: f32 = 255.0;
    #[inline]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        // `as` saturates and maps NaN to 0.
        (v + 0.5) as u8
    }
    fn bytes(data: &mut [u8]) -> Option<&mut [u8]> {
        Some(data)
    }
}

impl Sample for u16 {
    const MAX: f32 = 65535.0;
    #[inline]
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        (v + 0.5) as u16
    }
    fn words(data: &mut [u16]) -> Option<&mut [u16]> {
        Some(data)
    }
}

impl Sample for f32 {
    const MAX: f32 = 1.0;
    #[inline]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline]
    fn from_f32(v: f32) -> Self {
        if v.is_nan() {
            0.0
        } else {
            v.clamp(0.0, 1.0)
        }
    }
}

/// Shape of an interleaved buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub width: usize,
    pub height: usize,
    /// Samples per pixel, 1–4.
    pub channels: usize,
    /// The last channel is alpha.
    pub alpha: bool,
}

impl Layout {
    /// Channels that carry colour (all but alpha).
    pub fn colour(&self) -> usize {
        self.channels - usize::from(self.alpha)
    }

    pub fn of(img: &DynamicImage) -> Layout {
        let c = img.color();
        Layout {
            width: img.width() as usize,
            height: img.height() as usize,
            channels: usize::from(c.channel_count()),
            alpha: c.has_alpha(),
        }
    }
}

/// Rewrites variants this module does not know (future `image` versions) as RGBA8, so
/// [`with_samples!`] can match exhaustively.
pub fn known_variant(img: &mut DynamicImage) {
    use DynamicImage as D;
    match img {
        D::ImageLuma8(_)
        | D::ImageLumaA8(_)
        | D::ImageRgb8(_)
        | D::ImageRgba8(_)
        | D::ImageLuma16(_)
        | D::ImageLumaA16(_)
        | D::ImageRgb16(_)
        | D::ImageRgba16(_)
        | D::ImageRgb32F(_)
        | D::ImageRgba32F(_) => {}
        other => *other = D::ImageRgba8(other.to_rgba8()),
    }
}

/// Runs `$body` with `$data: &mut [S]` (the samples of any variant) and `$layout`.
/// Call [`known_variant`] first; an unknown variant is left untouched.
#[macro_export]
macro_rules! with_samples {
    ($img:expr, |$data:ident, $layout:ident| $body:expr) => {{
        use image::DynamicImage as D;
        let $layout = $crate::ops::pixel::Layout::of($img);
        match $img {
            D::ImageLuma8(b) => {
                let $data: &mut [u8] = &mut *b;
                $body
            }
            D::ImageLumaA8(b) => {
                let $data: &mut [u8] = &mut *b;
                $body
            }
            D::ImageRgb8(b) => {
                let $data: &mut [u8] = &mut *b;
                $body
            }
            D::ImageRgba8(b) => {
                let $data: &mut [u8] = &mut *b;
                $body
            }
            D::ImageLuma16(b) => {
                let $data: &mut [u16] = &mut *b;
                $body
            }
            D::ImageLumaA16(b) => {
                let $data: &mut [u16] = &mut *b;
                $body
            }
            D::ImageRgb16(b) => {
                let $data: &mut [u16] = &mut *b;
                $body
            }
            D::ImageRgba16(b) => {
                let $data: &mut [u16] = &mut *b;
                $body
            }
            D::ImageRgb32F(b) => {
                let $data: &mut [f32] = &mut *b;
                $body
            }
            D::ImageRgba32F(b) => {
                let $data: &mut [f32] = &mut *b;
                $body
            }
            _ => Default::default(),
        }
    }};
}

/// Calls `f` with each pixel's colour channels (8-bit scale, alpha excluded; up to 3)
/// and writes them back. Alpha is passed separately, read-only, 0–1.
pub fn map_colour(img: &mut DynamicImage, f: impl Fn(&mut [f32], f32)) {
    known_variant(img);
    with_samples!(img, |data, layout| map_colour_samples(data, layout, &f))
}

fn map_colour_samples<S: Sample>(data: &mut [S], layout: Layout, f: &impl Fn(&mut [f32], f32)) {
    let (ch, colour) = (layout.channels, layout.colour());
    let mut buf = [0f32; 4];
    for px in data.chunks_exact_mut(ch) {
        for (b, s) in buf.iter_mut().zip(px.iter()) {
            *b = s.to_u8_scale();
        }
        let alpha = if layout.alpha {
            px[ch - 1].to_f32() / S::MAX
        } else {
            1.0
        };
        f(&mut buf[..colour], alpha);
        for (s, b) in px.iter_mut().zip(buf[..colour].iter()) {
            *s = S::from_u8_scale(*b);
        }
    }
}

/// A 256-entry table applied to every colour channel of 8-bit images; other depths
/// call `f` per sample. `f` maps 8-bit-scale values.
pub fn map_colour_lut(img: &mut DynamicImage, f: impl Fn(f32) -> f32) {
    known_variant(img);
    with_samples!(img, |data, layout| lut_samples(data, layout, &f))
}

fn lut_samples<S: Sample>(data: &mut [S], layout: Layout, f: &impl Fn(f32) -> f32) {
    let (ch, colour) = (layout.channels, layout.colour());
    if S::MAX == 255.0 {
        let lut: Vec<S> = (0..256).map(|v| S::from_u8_scale(f(v as f32))).collect();
        for px in data.chunks_exact_mut(ch) {
            for s in px[..colour].iter_mut() {
                // u8 samples: to_f32 is the index.
                *s = lut[s.to_f32() as usize];
            }
        }
    } else {
        for px in data.chunks_exact_mut(ch) {
            for s in px[..colour].iter_mut() {
                *s = S::from_u8_scale(f(s.to_u8_scale()));
            }
        }
    }
}

/// Runs `f` on a premultiplied-alpha version of `img` (8-bit images are widened to
/// 16-bit for it, so premultiplying loses nothing), then unpremultiplies and restores
/// the original pixel type. Images without alpha go straight to `f`. This is what Sharp
/// does around blur, sharpen and convolution so transparent pixels don't bleed colour.
pub fn premultiplied(img: &mut DynamicImage, f: impl FnOnce(&mut DynamicImage)) {
    known_variant(img);
    if !img.color().has_alpha() {
        f(img);
        return;
    }
    let original = img.color();
    let mut work = match std::mem::take(img) {
        DynamicImage::ImageLumaA8(b) => {
            DynamicImage::ImageLumaA16(DynamicImage::ImageLumaA8(b).to_luma_alpha16())
        }
        DynamicImage::ImageRgba8(b) => {
            DynamicImage::ImageRgba16(DynamicImage::ImageRgba8(b).to_rgba16())
        }
        other => other,
    };
    with_samples!(&mut work, |data, layout| premultiply(data, layout, true));
    f(&mut work);
    with_samples!(&mut work, |data, layout| premultiply(data, layout, false));
    *img = match original {
        image::ColorType::La8 => DynamicImage::ImageLumaA8(work.to_luma_alpha8()),
        image::ColorType::Rgba8 => DynamicImage::ImageRgba8(work.to_rgba8()),
        _ => work,
    };
}

fn premultiply<S: Sample>(data: &mut [S], layout: Layout, forward: bool) {
    if !layout.alpha {
        return;
    }
    let ch = layout.channels;
    for px in data.chunks_exact_mut(ch) {
        let a = px[ch - 1].to_f32() / S::MAX;
        for s in px[..ch - 1].iter_mut() {
            let v = s.to_f32();
            *s = if forward {
                S::from_f32(v * a)
            } else if a > 0.0 {
                S::from_f32(v / a)
            } else {
                S::from_f32(0.0)
            };
        }
    }
}

/// Applies `f` to every frame, stopping at the first error.
pub fn each_frame(
    images: &mut [DynamicImage],
    mut f: impl FnMut(&mut DynamicImage) -> crate::error::Result<()>,
) -> crate::error::Result<()> {
    for img in images.iter_mut() {
        f(img)?;
    }
    Ok(())
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// One small image of every variant, with varied content.
    pub fn every_variant(w: u32, h: u32) -> Vec<DynamicImage> {
        let base = DynamicImage::ImageRgba8(image::RgbaImage::from_fn(w, h, |x, y| {
            image::Rgba([
                (x * 37 % 256) as u8,
                (y * 53 % 256) as u8,
                ((x + y) * 11 % 256) as u8,
                (128 + (x * 7 + y) % 128) as u8,
            ])
        }));
        vec![
            DynamicImage::ImageLuma8(base.to_luma8()),
            DynamicImage::ImageLumaA8(base.to_luma_alpha8()),
            DynamicImage::ImageRgb8(base.to_rgb8()),
            base.clone(),
            DynamicImage::ImageLuma16(base.to_luma16()),
            DynamicImage::ImageLumaA16(base.to_luma_alpha16()),
            DynamicImage::ImageRgb16(base.to_rgb16()),
            DynamicImage::ImageRgba16(base.to_rgba16()),
            DynamicImage::ImageRgb32F(base.to_rgb32f()),
            DynamicImage::ImageRgba32F(base.to_rgba32f()),
        ]
    }

    #[test]
    fn samples_round_and_clamp() {
        assert_eq!(u8::from_f32(254.6), 255);
        assert_eq!(u8::from_f32(300.0), 255);
        assert_eq!(u8::from_f32(-3.0), 0);
        assert_eq!(u8::from_f32(f32::NAN), 0);
        assert_eq!(u16::from_u8_scale(255.0), 65535);
        assert_eq!(f32::from_u8_scale(510.0), 1.0);
        assert_eq!(f32::from_f32(f32::NAN), 0.0);
    }

    #[test]
    fn premultiplied_round_trip_keeps_type_and_pixels() {
        for img in every_variant(5, 4) {
            let mut out = img.clone();
            premultiplied(&mut out, |_| {});
            assert_eq!(out.color(), img.color());
            let (a, b) = (img.to_rgba8(), out.to_rgba8());
            for (p, q) in a.pixels().zip(b.pixels()) {
                for c in 0..4 {
                    assert!(p[c].abs_diff(q[c]) <= 1, "{:?} {p:?} {q:?}", img.color());
                }
            }
        }
    }
}
