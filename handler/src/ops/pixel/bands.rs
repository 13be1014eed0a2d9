//! A uniform working form for the colour and channel operations: any `DynamicImage`
//! becomes 1–4 interleaved bands of `u16` (8-bit samples scaled by 257, so bitwise
//! operations on them act on each byte alike and convert back exactly), and back.
//! Plus the sRGB maths libvips uses for greyscale and Lab.

use image::{DynamicImage, ImageBuffer, Luma, LumaA, Rgb, Rgba};

/// An image as interleaved 16-bit bands. `deep` remembers whether it came from (and
/// goes back to) a 16-bit or float image; float images come back as 16-bit.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    pub width: u32,
    pub height: u32,
    /// 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
    pub channels: usize,
    pub deep: bool,
    pub data: Vec<u16>,
}

fn f32_to_u16(v: f32) -> u16 {
    // NaN clamps to 0 through `as`.
    (v.clamp(0.0, 1.0) * 65535.0).round() as u16
}

fn widen8(raw: &[u8]) -> Vec<u16> {
    raw.iter().map(|&v| u16::from(v) * 257).collect()
}

impl Bands {
    pub fn from_image(img: &DynamicImage) -> Bands {
        let (width, height) = (img.width(), img.height());
        let (channels, deep, data) = match img {
            DynamicImage::ImageLuma8(b) => (1, false, widen8(b.as_raw())),
            DynamicImage::ImageLumaA8(b) => (2, false, widen8(b.as_raw())),
            DynamicImage::ImageRgb8(b) => (3, false, widen8(b.as_raw())),
            DynamicImage::ImageRgba8(b) => (4, false, widen8(b.as_raw())),
            DynamicImage::ImageLuma16(b) => (1, true, b.as_raw().clone()),
            DynamicImage::ImageLumaA16(b) => (2, true, b.as_raw().clone()),
            DynamicImage::ImageRgb16(b) => (3, true, b.as_raw().clone()),
            DynamicImage::ImageRgba16(b) => (4, true, b.as_raw().clone()),
            DynamicImage::ImageRgb32F(b) => {
                (3, true, b.as_raw().iter().map(|&v| f32_to_u16(v)).collect())
            }
            DynamicImage::ImageRgba32F(b) => {
                (4, true, b.as_raw().iter().map(|&v| f32_to_u16(v)).collect())
            }
            // Future variants: through RGBA 16-bit.
            other => (4, true, other.to_rgba16().into_raw()),
        };
        Bands {
            width,
            height,
            channels,
            deep,
            data,
        }
    }

    /// An empty (all zero) image of this shape.
    pub fn blank(width: u32, height: u32, channels: usize, deep: bool) -> Bands {
        Bands {
            width,
            height,
            channels,
            deep,
            data: vec![0; width as usize * height as usize * channels],
        }
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 2 || self.channels == 4
    }

    /// Colour (non-alpha) bands: 1 or 3.
    pub fn colour_channels(&self) -> usize {
        if self.has_alpha() {
            self.channels - 1
        } else {
            self.channels
        }
    }

    pub fn pixels(&self) -> std::slice::ChunksExact<'_, u16> {
        self.data.chunks_exact(self.channels)
    }

    /// A new image with `channels` bands, each pixel from `f(old pixel, new pixel)`.
    pub fn map(&self, channels: usize, mut f: impl FnMut(&[u16], &mut [u16])) -> Bands {
        let mut out = Bands::blank(self.width, self.height, channels, self.deep);
        for (src, dst) in self.pixels().zip(out.data.chunks_exact_mut(channels)) {
            f(src, dst);
        }
        out
    }

    /// Back to the `DynamicImage` variant of this band count and depth.
    pub fn into_image(self) -> DynamicImage {
        let (w, h) = (self.width, self.height);
        if self.deep {
            let d = self.data;
            match self.channels {
                1 => DynamicImage::ImageLuma16(buffer::<Luma<u16>, _>(w, h, d)),
                2 => DynamicImage::ImageLumaA16(buffer::<LumaA<u16>, _>(w, h, d)),
                3 => DynamicImage::ImageRgb16(buffer::<Rgb<u16>, _>(w, h, d)),
                _ => DynamicImage::ImageRgba16(buffer::<Rgba<u16>, _>(w, h, d)),
            }
        } else {
            // Rounding back is exact for values that came from 8 bits.
            let d: Vec<u8> = self
                .data
                .iter()
                .map(|&v| ((u32::from(v) + 128) / 257) as u8)
                .collect();
            match self.channels {
                1 => DynamicImage::ImageLuma8(buffer::<Luma<u8>, _>(w, h, d)),
                2 => DynamicImage::ImageLumaA8(buffer::<LumaA<u8>, _>(w, h, d)),
                3 => DynamicImage::ImageRgb8(buffer::<Rgb<u8>, _>(w, h, d)),
                _ => DynamicImage::ImageRgba8(buffer::<Rgba<u8>, _>(w, h, d)),
            }
        }
    }
}

fn buffer<P: image::Pixel<Subpixel = T>, T: image::Primitive>(
    w: u32,
    h: u32,
    data: Vec<T>,
) -> ImageBuffer<P, Vec<T>> {
    // `Bands` keeps data.len() == w*h*channels, so this cannot fail.
    ImageBuffer::from_raw(w, h, data).expect("band data matches its dimensions")
}

/// Applies `f` to every frame through [`Bands`].
pub fn map_frames(
    images: &mut [DynamicImage],
    mut f: impl FnMut(Bands) -> crate::error::Result<Bands>,
) -> crate::error::Result<()> {
    for img in images.iter_mut() {
        let bands = Bands::from_image(img);
        *img = f(bands)?.into_image();
    }
    Ok(())
}

// ---------------------------------------------------------------- sRGB maths

/// sRGB-encoded 0–1 to linear light.
pub fn to_linear(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear light to sRGB-encoded 0–1 (clamped).
pub fn from_linear(v: f64) -> f64 {
    let v = v.clamp(0.0, 1.0);
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// Linear light of every 16-bit sample value, for the per-pixel loops (built once).
pub fn linear_table() -> &'static [f32] {
    static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=65535u32)
            .map(|v| to_linear(f64::from(v) / 65535.0) as f32)
            .collect()
    })
}

/// sRGB-encoded 16-bit sample for linear light in 1/65535 steps (built once), so the
/// per-pixel loops need no `powf`.
fn encode_table() -> &'static [u16] {
    static TABLE: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=65535u32)
            .map(|v| (from_linear(f64::from(v) / 65535.0) * 65535.0).round() as u16)
            .collect()
    })
}

/// libvips' sRGB → B_W: the CIE luminance Y of the linear RGB, sRGB-encoded again.
pub fn grey_of(table: &[f32], r: u16, g: u16, b: u16) -> u16 {
    let y = 0.2126 * table[r as usize] + 0.7152 * table[g as usize] + 0.0722 * table[b as usize];
    let i = (y.clamp(0.0, 1.0) * 65535.0).round() as usize;
    encode_table()[i]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips() {
        let rgb8 = DynamicImage::ImageRgb8(image::RgbImage::from_fn(3, 2, |x, y| {
            Rgb([x as u8 * 80, y as u8 * 200, 7])
        }));
        let all = [
            rgb8.clone(),
            DynamicImage::ImageLuma8(rgb8.to_luma8()),
            DynamicImage::ImageLumaA8(rgb8.to_luma_alpha8()),
            DynamicImage::ImageRgba8(rgb8.to_rgba8()),
            DynamicImage::ImageLuma16(rgb8.to_luma16()),
            DynamicImage::ImageLumaA16(rgb8.to_luma_alpha16()),
            DynamicImage::ImageRgb16(rgb8.to_rgb16()),
            DynamicImage::ImageRgba16(rgb8.to_rgba16()),
        ];
        for img in all {
            assert_eq!(Bands::from_image(&img).into_image(), img);
        }
        let float = DynamicImage::ImageRgb32F(rgb8.to_rgb32f());
        let back = Bands::from_image(&float).into_image();
        assert_eq!(back.to_rgb8(), rgb8.to_rgb8());
    }

    #[test]
    fn grey_of_white_and_black() {
        let t = linear_table();
        assert_eq!(grey_of(t, 65535, 65535, 65535), 65535);
        assert_eq!(grey_of(t, 0, 0, 0), 0);
    }
}
