//! `th`: Sharp's `threshold(t)` with its default `greyscale: true`: the image becomes
//! grey (libvips sRGB → B_W: Rec. 709 luminance in linear light, sRGB-encoded) and
//! each pixel 255 where grey ≥ t, else 0. `th=0` does nothing, as in Sharp (which
//! skips a zero threshold).
//!
//! Output is one grey channel (plus alpha) at the input depth (float images become
//! 16-bit grey). Deliberate difference: Sharp thresholds the alpha channel too; we keep
//! alpha as it was.

use crate::error::Result;
use crate::ops::pixel::lab::{grey, Linearise};
use crate::ops::pixel::{known_variant, Layout, Sample};
use image::{DynamicImage, ImageBuffer, Luma, LumaA};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub value: u8,
}

impl Threshold {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        if self.value == 0 {
            return Ok(());
        }
        let lin = Linearise::new();
        let t = f32::from(self.value);
        for img in images.iter_mut() {
            known_variant(img);
            let layout = Layout::of(img);
            let (w, h) = (img.width(), img.height());
            *img = match img {
                DynamicImage::ImageLuma8(b) => {
                    DynamicImage::ImageLuma8(grey_out::<u8, Luma<u8>>(b, layout, w, h, t, &lin))
                }
                DynamicImage::ImageRgb8(b) => {
                    DynamicImage::ImageLuma8(grey_out::<u8, Luma<u8>>(b, layout, w, h, t, &lin))
                }
                DynamicImage::ImageLumaA8(b) => {
                    DynamicImage::ImageLumaA8(grey_out::<u8, LumaA<u8>>(b, layout, w, h, t, &lin))
                }
                DynamicImage::ImageRgba8(b) => {
                    DynamicImage::ImageLumaA8(grey_out::<u8, LumaA<u8>>(b, layout, w, h, t, &lin))
                }
                DynamicImage::ImageLuma16(b) => {
                    DynamicImage::ImageLuma16(grey_out::<u16, Luma<u16>>(b, layout, w, h, t, &lin))
                }
                DynamicImage::ImageRgb16(b) => {
                    DynamicImage::ImageLuma16(grey_out::<u16, Luma<u16>>(b, layout, w, h, t, &lin))
                }
                DynamicImage::ImageLumaA16(b) => {
                    DynamicImage::ImageLumaA16(grey_out::<u16, LumaA<u16>>(
                        b, layout, w, h, t, &lin,
                    ))
                }
                DynamicImage::ImageRgba16(b) => {
                    DynamicImage::ImageLumaA16(grey_out::<u16, LumaA<u16>>(
                        b, layout, w, h, t, &lin,
                    ))
                }
                // `image` has no float grey type: 16-bit keeps the precision that matters.
                DynamicImage::ImageRgb32F(_) => {
                    let mut wide = DynamicImage::ImageRgb16(img.to_rgb16());
                    self.apply(std::slice::from_mut(&mut wide))?;
                    wide
                }
                DynamicImage::ImageRgba32F(_) => {
                    let mut wide = DynamicImage::ImageRgba16(img.to_rgba16());
                    self.apply(std::slice::from_mut(&mut wide))?;
                    wide
                }
                _ => continue,
            };
        }
        Ok(())
    }
}

fn grey_out<S: Sample, P: image::Pixel<Subpixel = S>>(
    data: &[S],
    layout: Layout,
    w: u32,
    h: u32,
    t: f32,
    lin: &Linearise,
) -> ImageBuffer<P, Vec<S>> {
    let out_ch = 1 + usize::from(layout.alpha);
    let mut out = Vec::with_capacity(data.len() / layout.channels * out_ch);
    let mut rgb = [0f32; 3];
    for px in data.chunks_exact(layout.channels) {
        let g = if layout.colour() == 1 {
            px[0].to_u8_scale()
        } else {
            for (c, v) in rgb.iter_mut().enumerate() {
                *v = px[c].to_u8_scale();
            }
            // Round like libvips' 8-bit B_W before comparing.
            grey(lin, rgb).round()
        };
        out.push(S::from_u8_scale(if g >= t { 255.0 } else { 0.0 }));
        if layout.alpha {
            out.push(px[layout.channels - 1]);
        }
    }
    ImageBuffer::from_raw(w, h, out).expect("buffer sized from the image")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::assert_like_sharp;

    #[test]
    fn matches_sharp() {
        assert_like_sharp("ops-photo.png", "threshold-128", 0.97, |f| {
            Threshold { value: 128 }.apply(f)
        });
        assert_like_sharp("ops-photo.png", "threshold-60", 0.97, |f| {
            Threshold { value: 60 }.apply(f)
        });
    }

    #[test]
    fn every_type_zero_and_max() {
        for img in every_variant(4, 3).into_iter().chain(every_variant(1, 1)) {
            let mut f = [img.clone()];
            Threshold { value: 0 }.apply(&mut f).unwrap();
            assert_eq!(f[0], img, "0 is a no-op");
            for value in [1, 128, 255] {
                let mut f = [img.clone()];
                Threshold { value }.apply(&mut f).unwrap();
                let c = f[0].color();
                assert_eq!(c.channel_count(), 1 + u8::from(img.color().has_alpha()));
                for p in f[0].to_luma_alpha8().pixels() {
                    assert!(p[0] == 0 || p[0] == 255);
                }
                assert_eq!(
                    f[0].to_luma_alpha8().get_pixel(0, 0)[1],
                    img.to_luma_alpha8().get_pixel(0, 0)[1],
                    "alpha kept"
                );
            }
        }
    }
}
