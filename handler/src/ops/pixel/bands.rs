//! A 16-bit working form on top of [`Sample`], for the operations that need one
//! depth for every input (bitwise operations, band shuffles, 16-bit tables): any
//! `DynamicImage` becomes 1–4 interleaved bands of `u16` (8-bit samples scaled by 257,
//! so bitwise operations on them act on each byte alike and convert back exactly), and
//! back to the depth it came from.

use super::{Layout, Sample};
use image::DynamicImage;

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

impl Bands {
    pub fn from_image(img: &DynamicImage) -> Bands {
        let mut bands = None;
        crate::with_samples!(ref img, |data, layout| {
            bands = Some(Bands::of_samples(data, layout));
        });
        // Future variants: through RGBA 16-bit.
        bands.unwrap_or_else(|| Bands::from_image(&DynamicImage::ImageRgba16(img.to_rgba16())))
    }

    fn of_samples<S: Sample>(data: &[S], layout: Layout) -> Bands {
        Bands {
            width: layout.width as u32,
            height: layout.height as u32,
            channels: layout.channels,
            deep: S::MAX != 255.0,
            data: data.iter().map(|&v| v.to_u16()).collect(),
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
        let (w, h, channels) = (self.width, self.height, self.channels);
        if self.deep {
            u16::image(w, h, channels, self.data)
        } else {
            // Rounding back is exact for values that came from 8 bits.
            let d = self
                .data
                .iter()
                .map(|&v| ((u32::from(v) + 128) / 257) as u8);
            u8::image(w, h, channels, d.collect())
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

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
}
