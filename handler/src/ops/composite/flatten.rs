//! `fl`: Sharp's `flatten({background})`: composite the image over the colour and drop
//! the alpha channel (`v·α + bg·(1−α)`, straight alpha). Images without alpha are left
//! as they are, as in Sharp. Grey images flatten onto the colour's grey (Rec. 601, as
//! the other canvas colours). Depth is kept.

use crate::error::Result;
use crate::ops::pixel::{known_variant, Layout, Sample};
use crate::params::Rgba;
use image::{DynamicImage, ImageBuffer, Luma, Rgb};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flatten {
    pub background: Rgba,
}

impl Flatten {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let bg = self.background;
        let rgb = [bg.r, bg.g, bg.b].map(f32::from);
        let grey = [f32::from(
            ((u32::from(bg.r) * 299 + u32::from(bg.g) * 587 + u32::from(bg.b) * 114 + 500) / 1000)
                as u8,
        )];
        for img in images.iter_mut() {
            known_variant(img);
            let layout = Layout::of(img);
            let (w, h) = (img.width(), img.height());
            let out = match &*img {
                DynamicImage::ImageLumaA8(b) => {
                    DynamicImage::ImageLuma8(flat::<u8, Luma<u8>>(b, layout, w, h, &grey))
                }
                DynamicImage::ImageRgba8(b) => {
                    DynamicImage::ImageRgb8(flat::<u8, Rgb<u8>>(b, layout, w, h, &rgb))
                }
                DynamicImage::ImageLumaA16(b) => {
                    DynamicImage::ImageLuma16(flat::<u16, Luma<u16>>(b, layout, w, h, &grey))
                }
                DynamicImage::ImageRgba16(b) => {
                    DynamicImage::ImageRgb16(flat::<u16, Rgb<u16>>(b, layout, w, h, &rgb))
                }
                DynamicImage::ImageRgba32F(b) => {
                    DynamicImage::ImageRgb32F(flat::<f32, Rgb<f32>>(b, layout, w, h, &rgb))
                }
                _ => continue,
            };
            *img = out;
        }
        Ok(())
    }
}

fn flat<S: Sample, P: image::Pixel<Subpixel = S>>(
    data: &[S],
    layout: Layout,
    w: u32,
    h: u32,
    bg: &[f32],
) -> ImageBuffer<P, Vec<S>> {
    let colour = layout.colour();
    let mut out = Vec::with_capacity(data.len() / layout.channels * colour);
    for px in data.chunks_exact(layout.channels) {
        let a = px[colour].to_f32() / S::MAX;
        for c in 0..colour {
            out.push(S::from_u8_scale(
                px[c].to_u8_scale() * a + bg[c] * (1.0 - a),
            ));
        }
    }
    ImageBuffer::from_raw(w, h, out).expect("buffer sized from the image")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp};

    #[test]
    fn matches_sharp() {
        let bg = Rgba::new(255, 128, 0, 255);
        like_sharp(
            "ops-photo-alpha.png",
            "flatten-orange",
            bound(0.99, 2.0),
            &|f| Flatten { background: bg }.apply(f),
            &[
                ("white", &|f| {
                    Flatten {
                        background: Rgba::WHITE,
                    }
                    .apply(f)
                }),
                ("orange as BGR", &|f| {
                    Flatten {
                        background: Rgba::new(0, 128, 255, 255),
                    }
                    .apply(f)
                }),
            ],
        );
    }

    #[test]
    fn drops_alpha_on_every_type() {
        for img in every_variant(4, 3).into_iter().chain(every_variant(1, 1)) {
            let mut f = [img.clone()];
            Flatten {
                background: Rgba::WHITE,
            }
            .apply(&mut f)
            .unwrap();
            assert!(!f[0].color().has_alpha());
            if !img.color().has_alpha() {
                assert_eq!(f[0], img, "no alpha: unchanged");
            }
        }
        let clear = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            1,
            1,
            image::Rgba([9, 9, 9, 0]),
        ));
        let mut f = [clear];
        Flatten {
            background: Rgba::new(1, 2, 3, 255),
        }
        .apply(&mut f)
        .unwrap();
        assert_eq!(f[0].as_rgb8().unwrap().get_pixel(0, 0).0, [1, 2, 3]);
    }
}
