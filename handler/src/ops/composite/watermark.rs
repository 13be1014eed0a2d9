//! `wm` + `gr`: Sharp's `composite([{ input: watermark, gravity }])`: the watermark
//! laid over the image with Porter-Duff "over" on straight-alpha sRGB values, placed
//! by gravity (default southwest) `padding` pixels in from the edges it touches.
//!
//! As in Sharp, the result always has an alpha band (Sharp adds one before
//! compositing) and is RGBA at the image's depth (8 or 16 bits; float at 16).
//!
//! Deliberate difference: Sharp fails ("Image to composite must have same dimensions
//! or smaller") when the watermark is larger than the image; we scale the watermark
//! down (Lanczos3, aspect ratio kept) to fit inside the image less its padding.
//! Centred offsets round like Sharp's: with an odd leftover the mark sits one pixel
//! right of (or below) the exact centre.

use crate::error::Result;
use crate::ops::pixel::bands::Bands;
use crate::ops::pixel::canvas;
use crate::params::{Gravity, WatermarkName};
use fast_image_resize as fr;
use image::DynamicImage;

/// The default `gr`, as in the seed service.
pub const DEFAULT_GRAVITY: Gravity = Gravity::SouthWest;

/// A decoded watermark and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Watermark {
    pub image: DynamicImage,
    pub gravity: Gravity,
    /// Gap between the watermark and the image edges it sits against, in pixels.
    pub padding: u32,
}

/// The compositing step as planned; the pipeline loads the named watermark asset and
/// passes it decoded to `apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composite {
    pub watermark: WatermarkName,
    pub gravity: Gravity,
    pub padding: u32,
}

impl Composite {
    pub fn apply(&self, images: &mut [DynamicImage], watermark: &DynamicImage) -> Result<()> {
        Watermark {
            image: watermark.clone(),
            gravity: self.gravity,
            padding: self.padding,
        }
        .apply(images)
    }
}

impl Watermark {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let mut placed: Option<((u32, u32), Placed)> = None;
        for img in images.iter_mut() {
            let size = (img.width(), img.height());
            if size.0 == 0 || size.1 == 0 {
                continue;
            }
            if placed.as_ref().map(|(s, _)| *s) != Some(size) {
                placed = Some((size, self.place(size)?));
            }
            let Some((_, mark)) = placed.as_ref() else {
                unreachable!("placed above")
            };
            *img = over(&to_rgba(&Bands::from_image(img)), mark).into_image();
        }
        Ok(())
    }

    /// The watermark as RGBA bands, scaled to fit, and its top-left corner.
    fn place(&self, size: (u32, u32)) -> Result<Placed> {
        let (w, h) = size;
        // Padding never leaves less than a pixel for the mark.
        let pad = self
            .padding
            .min(w.saturating_sub(1) / 2)
            .min(h.saturating_sub(1) / 2);
        let room = (w - 2 * pad, h - 2 * pad);
        let (mw, mh) = (self.image.width().max(1), self.image.height().max(1));
        let fitted = if mw > room.0 || mh > room.1 {
            let scale = (f64::from(room.0) / f64::from(mw)).min(f64::from(room.1) / f64::from(mh));
            let fit =
                |side: u32, limit: u32| ((f64::from(side) * scale).round() as u32).clamp(1, limit);
            (fit(mw, room.0), fit(mh, room.1))
        } else {
            (mw, mh)
        };
        let image = crate::ops::geometry::resize::resample(
            &self.image,
            fitted,
            fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3),
        )?;
        let (left, top) = canvas::offset(room, fitted, self.gravity, true);
        Ok(Placed {
            mark: to_rgba(&Bands::from_image(&image)),
            left: left as u32 + pad,
            top: top as u32 + pad,
        })
    }
}

struct Placed {
    mark: Bands,
    left: u32,
    top: u32,
}

/// Any layout to RGBA (grey repeated, opaque alpha added).
fn to_rgba(b: &Bands) -> Bands {
    if b.channels == 4 {
        return b.clone();
    }
    b.map(4, |p, q| {
        let alpha = if p.len() == 2 { p[1] } else { u16::MAX };
        if p.len() >= 3 {
            q[..3].copy_from_slice(&p[..3]);
        } else {
            q[..3].fill(p[0]);
        }
        q[3] = alpha;
    })
}

/// `mark` over `base` (both RGBA) at the placed position.
fn over(base: &Bands, placed: &Placed) -> Bands {
    let mut out = base.clone();
    // libvips composites premultiplied, so fully transparent pixels come out black:
    // the same here keeps our output byte-equal where nothing shows.
    for p in out.data.chunks_exact_mut(4) {
        if p[3] == 0 {
            p[..3].fill(0);
        }
    }
    let mark = &placed.mark;
    let width = base.width as usize;
    for my in 0..mark.height as usize {
        let y = placed.top as usize + my;
        if y >= base.height as usize {
            break;
        }
        for mx in 0..mark.width as usize {
            let x = placed.left as usize + mx;
            if x >= width {
                break;
            }
            let s = &mark.data[(my * mark.width as usize + mx) * 4..][..4];
            let d = &mut out.data[(y * width + x) * 4..][..4];
            let sa = f64::from(s[3]) / 65535.0;
            if sa <= 0.0 {
                continue;
            }
            let da = f64::from(d[3]) / 65535.0;
            let oa = sa + da * (1.0 - sa);
            for c in 0..3 {
                let sc = f64::from(s[c]);
                let dc = f64::from(d[c]);
                d[c] = ((sc * sa + dc * da * (1.0 - sa)) / oa)
                    .round()
                    .clamp(0.0, 65535.0) as u16;
            }
            d[3] = (oa * 65535.0).round() as u16;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{
        all_variants, bound, fixture, like_sharp, max_channel_diff, watermark,
    };
    use image::GenericImageView;

    fn mark() -> DynamicImage {
        watermark("corner.png")
    }

    fn run(img: DynamicImage, gravity: Gravity, mark: &DynamicImage) -> DynamicImage {
        let mut imgs = [img];
        Composite {
            watermark: WatermarkName::parse("corner.png").unwrap(),
            gravity,
            padding: 0,
        }
        .apply(&mut imgs, mark)
        .unwrap();
        let [out] = imgs;
        out
    }

    #[test]
    fn matches_sharp_for_every_gravity() {
        // Each gravity against Sharp's, with the mark one step along the edge (or, for
        // the centre, in a corner) as the wrong placement that must fail.
        let gravities = [
            (Gravity::NorthEast, Gravity::North),
            (Gravity::South, Gravity::SouthEast),
            (Gravity::SouthWest, Gravity::West),
            (Gravity::Center, Gravity::NorthWest),
        ];
        let mark = mark();
        let mark = &mark;
        let place = |gravity| {
            move |f: &mut [DynamicImage]| {
                Composite {
                    watermark: WatermarkName::parse("corner.png").unwrap(),
                    gravity,
                    padding: 0,
                }
                .apply(f, mark)
            }
        };
        for (gravity, wrong) in gravities {
            let name = format!("composite-{}-landscape", gravity.name());
            like_sharp(
                "colour-photo.png",
                &name,
                bound(0.999, 0.5),
                &place(gravity),
                &[("wrong gravity", &place(wrong))],
            );
            let out = run(fixture("colour-photo.png"), gravity, mark);
            let want = fixture(&format!("sharp/{name}.png"));
            assert_eq!(out.color(), want.color(), "{gravity:?}");
            assert!(max_channel_diff(&out, &want) <= 2, "{gravity:?}");
        }
    }

    #[test]
    fn over_a_transparent_image_matches_sharp() {
        let out = run(fixture("colour-photo-alpha.png"), Gravity::Center, &mark());
        let want = fixture("sharp/composite-center-alpha.png");
        assert_eq!(out.color(), want.color());
        assert!(max_channel_diff(&out, &want) <= 2);
    }

    #[test]
    fn larger_watermark_is_scaled_down_to_fit() {
        let big = mark().resize_exact(400, 100, image::imageops::FilterType::Triangle);
        let img = fixture("colour-photo.png");
        let (w, h) = img.dimensions();
        let mut imgs = [img];
        Watermark {
            image: big,
            gravity: Gravity::SouthEast,
            padding: 10,
        }
        .apply(&mut imgs)
        .unwrap();
        assert_eq!(imgs[0].dimensions(), (w, h));
        // The fitted mark is (w-20) wide and sits 10 px in from the right and bottom.
        let out = imgs[0].to_rgba8();
        let base = fixture("colour-photo.png").to_rgba8();
        assert_eq!(out.get_pixel(w - 5, h - 5), base.get_pixel(w - 5, h - 5));
        assert_eq!(out.get_pixel(5, h - 15), base.get_pixel(5, h - 15));
    }

    #[test]
    fn padding_moves_the_mark_in_from_the_edges() {
        let m = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            2,
            2,
            image::Rgba([255, 0, 0, 255]),
        ));
        let base = DynamicImage::ImageRgb8(image::RgbImage::new(10, 10));
        let mut imgs = [base];
        Watermark {
            image: m,
            gravity: Gravity::NorthEast,
            padding: 3,
        }
        .apply(&mut imgs)
        .unwrap();
        let out = imgs[0].as_rgba8().unwrap();
        assert_eq!(out.get_pixel(5, 3).0, [255, 0, 0, 255]);
        assert_eq!(out.get_pixel(6, 4).0, [255, 0, 0, 255]);
        assert_eq!(out.get_pixel(7, 3).0, [0, 0, 0, 255]);
        assert_eq!(out.get_pixel(5, 2).0, [0, 0, 0, 255]);
    }

    #[test]
    fn every_variant_tiny_images_and_huge_padding() {
        for img in all_variants(3, 2) {
            for m in all_variants(7, 9) {
                for padding in [0, 1, 1000] {
                    let mut imgs = [img.clone()];
                    Watermark {
                        image: m.clone(),
                        gravity: Gravity::Center,
                        padding,
                    }
                    .apply(&mut imgs)
                    .unwrap();
                    assert_eq!(imgs[0].dimensions(), (3, 2));
                    assert!(imgs[0].color().has_alpha());
                }
            }
        }
        let mut imgs = [DynamicImage::new_rgb8(1, 1)];
        Watermark {
            image: DynamicImage::new_rgba8(1, 1),
            gravity: Gravity::South,
            padding: 5,
        }
        .apply(&mut imgs)
        .unwrap();
    }
}
