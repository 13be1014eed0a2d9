//! The pixel foundation every operation stands on.
//!
//! - [`Sample`] and [`with_samples!`]: one generic code path for every `DynamicImage`
//!   variant (8/16-bit integer, 32-bit float; 1–4 channels). This is the one place that
//!   matches on the variants; [`Sample::image`] is the one way back to a `DynamicImage`.
//!   Values handed to operations are on the 8-bit scale (0–255) whatever the depth, so
//!   parameters written for 8-bit images (offsets, thresholds) mean the same on 16-bit
//!   and float images. Writing back rounds and clamps to the sample type's range (float
//!   images are clamped to 0–1 too).
//! - [`bands::Bands`]: a 16-bit interleaved copy built on `Sample`, for operations that
//!   want one depth (bitwise, band shuffles, 16-bit tables).
//! - [`srgb`]: the one sRGB transfer function and the one grey (libvips' B_W).
//! - [`lab`]: sRGB ↔ CIE Lab / LCh on top of `srgb`.
//! - [`canvas`]: canvases of an image's own pixel type, pasting, gravity offsets.
//!
//! Geometry operations that only move whole pixels (flip, flop, extract, trim) use the
//! `image` crate's own buffer operations and need none of this.

pub mod bands;
pub mod canvas;
pub mod lab;
pub mod srgb;

use image::{DynamicImage, ImageBuffer, Primitive};

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

    /// As a 16-bit sample: 8-bit × 257 (exact both ways), float clamped to 0–1.
    fn to_u16(self) -> u16;

    /// The `DynamicImage` of `channels` (1–4; the last is alpha for 2 and 4) interleaved
    /// samples of this type. `data.len()` must be `width × height × channels`. Float
    /// grey becomes 16-bit grey (`image` has no float grey type).
    fn image(width: u32, height: u32, channels: usize, data: Vec<Self>) -> DynamicImage;
}

/// The variant of 1–4 channels (more: the 4-channel one) for one sample type.
macro_rules! by_channels {
    ($w:ident, $h:ident, $channels:ident, $data:ident, $grey:ident, $grey_alpha:ident, $rgb:ident, $rgba:ident) => {
        match $channels {
            1 => DynamicImage::$grey(buffer($w, $h, $data)),
            2 => DynamicImage::$grey_alpha(buffer($w, $h, $data)),
            3 => DynamicImage::$rgb(buffer($w, $h, $data)),
            _ => DynamicImage::$rgba(buffer($w, $h, $data)),
        }
    };
}

fn buffer<P: image::Pixel>(
    w: u32,
    h: u32,
    data: Vec<P::Subpixel>,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    ImageBuffer::from_raw(w, h, data).expect("sample count matches the dimensions")
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
    #[inline]
    fn to_u16(self) -> u16 {
        u16::from(self) * 257
    }
    fn image(w: u32, h: u32, channels: usize, data: Vec<u8>) -> DynamicImage {
        by_channels!(
            w,
            h,
            channels,
            data,
            ImageLuma8,
            ImageLumaA8,
            ImageRgb8,
            ImageRgba8
        )
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
    #[inline]
    fn to_u16(self) -> u16 {
        self
    }
    fn image(w: u32, h: u32, channels: usize, data: Vec<u16>) -> DynamicImage {
        by_channels!(
            w,
            h,
            channels,
            data,
            ImageLuma16,
            ImageLumaA16,
            ImageRgb16,
            ImageRgba16
        )
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
    #[inline]
    fn to_u16(self) -> u16 {
        // NaN becomes 0 through `as`.
        (self.clamp(0.0, 1.0) * 65535.0).round() as u16
    }
    fn image(w: u32, h: u32, channels: usize, data: Vec<f32>) -> DynamicImage {
        match channels {
            1 | 2 => u16::image(w, h, channels, data.into_iter().map(f32::to_u16).collect()),
            3 => DynamicImage::ImageRgb32F(buffer(w, h, data)),
            _ => DynamicImage::ImageRgba32F(buffer(w, h, data)),
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

/// Runs `$body` with `$data: &mut [S]` (the samples of any variant) and `$layout`;
/// `with_samples!(ref img, …)` gives `&[S]` for reading. This match is the one place
/// that knows the `DynamicImage` variants. Call [`known_variant`] first; an unknown
/// variant is left untouched.
#[macro_export]
macro_rules! with_samples {
    (@arms [$($r:tt)+] $img:expr, $data:ident, $layout:ident, $body:expr) => {{
        use image::DynamicImage as D;
        let $layout = $crate::ops::pixel::Layout::of($img);
        match $img {
            D::ImageLuma8(b) => {
                let $data: $($r)+ [u8] = $($r)+ *b;
                $body
            }
            D::ImageLumaA8(b) => {
                let $data: $($r)+ [u8] = $($r)+ *b;
                $body
            }
            D::ImageRgb8(b) => {
                let $data: $($r)+ [u8] = $($r)+ *b;
                $body
            }
            D::ImageRgba8(b) => {
                let $data: $($r)+ [u8] = $($r)+ *b;
                $body
            }
            D::ImageLuma16(b) => {
                let $data: $($r)+ [u16] = $($r)+ *b;
                $body
            }
            D::ImageLumaA16(b) => {
                let $data: $($r)+ [u16] = $($r)+ *b;
                $body
            }
            D::ImageRgb16(b) => {
                let $data: $($r)+ [u16] = $($r)+ *b;
                $body
            }
            D::ImageRgba16(b) => {
                let $data: $($r)+ [u16] = $($r)+ *b;
                $body
            }
            D::ImageRgb32F(b) => {
                let $data: $($r)+ [f32] = $($r)+ *b;
                $body
            }
            D::ImageRgba32F(b) => {
                let $data: $($r)+ [f32] = $($r)+ *b;
                $body
            }
            _ => Default::default(),
        }
    }};
    (ref $img:expr, |$data:ident, $layout:ident| $body:expr) => {
        $crate::with_samples!(@arms [&] $img, $data, $layout, $body)
    };
    ($img:expr, |$data:ident, $layout:ident| $body:expr) => {
        $crate::with_samples!(@arms [&mut] $img, $data, $layout, $body)
    };
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
