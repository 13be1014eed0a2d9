//! `r`: Sharp's `rotate(angle, {background})`, clockwise degrees (0–359 after parsing).
//!
//! Multiples of 90 are exact pixel moves (libvips `rot`). Other angles are libvips
//! `rotate`: an affine transform by [cos, −sin, sin, cos] with bilinear sampling, on a
//! canvas just large enough for the rotated corners (same output size as Sharp: the
//! rounded bounding box, see [`super::affine`]), the corners filled with the
//! background. A translucent background adds an alpha channel.
//!
//! Deliberate difference: with no `bg`, Sharp fills with opaque black even on images
//! with alpha; we fill images that have alpha with transparent (black on opaque ones).
//! The caller picks by passing `background: None` (our default) or a colour.

use super::affine;
use crate::error::Result;
use crate::params::{Interpolator, Rgba};
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotate {
    /// Clockwise degrees, any integer (normalised here too).
    pub degrees: i32,
    /// `None`: transparent on images with alpha, else black.
    pub background: Option<Rgba>,
}

impl Rotate {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        let degrees = self.degrees.rem_euclid(360);
        for img in images.iter_mut() {
            *img = match degrees {
                0 => continue,
                90 => img.rotate90(),
                180 => img.rotate180(),
                270 => img.rotate270(),
                _ => {
                    let bg = self.background.unwrap_or(if img.color().has_alpha() {
                        Rgba::TRANSPARENT
                    } else {
                        Rgba::BLACK
                    });
                    let (s, c) = f64::from(degrees).to_radians().sin_cos();
                    let src = std::mem::take(img);
                    affine::transform(src, [c, -s, s, c], bg, Interpolator::Bilinear)?
                }
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, fixture, like_sharp, max_channel_diff};

    fn rot(degrees: i32) -> Rotate {
        Rotate {
            degrees,
            background: None,
        }
    }

    #[test]
    fn right_angles_are_exact_like_sharp() {
        for (deg, name) in [(90, "rotate-90"), (270, "rotate-270")] {
            like_sharp(
                "ops-photo.png",
                name,
                bound(0.999, 0.5),
                &|f| rot(deg).apply(f),
                &[("the other way", &|f| rot(360 - deg).apply(f))],
            );
            let mut f = [fixture("ops-photo.png")];
            rot(deg).apply(&mut f).unwrap();
            assert_eq!(
                max_channel_diff(&f[0], &fixture(&format!("sharp/{name}.png"))),
                0
            );
        }
    }

    const ROTATE_BOUND: crate::ops::testutil::Bound = bound(0.998, 0.5);

    #[test]
    fn other_angles_match_sharp() {
        for (deg, name) in [(33, "rotate-33"), (200, "rotate-200")] {
            like_sharp(
                "ops-photo.png",
                name,
                ROTATE_BOUND,
                &|f| rot(deg).apply(f),
                &[
                    ("+180°", &|f| rot(deg + 180).apply(f)),
                    ("mirrored angle", &|f| rot(360 - deg).apply(f)),
                ],
            );
        }
        let clear = |degrees| Rotate {
            degrees,
            background: Some(Rgba::TRANSPARENT),
        };
        like_sharp(
            "ops-photo-alpha.png",
            "rotate-alpha-45",
            ROTATE_BOUND,
            &|f| clear(45).apply(f),
            &[
                ("-45°", &|f| clear(-45).apply(f)),
                ("black background", &|f| {
                    Rotate {
                        degrees: 45,
                        background: Some(Rgba::BLACK),
                    }
                    .apply(f)
                }),
            ],
        );
    }

    #[test]
    fn default_background_follows_alpha() {
        let opaque = every_variant(6, 4).remove(2);
        let mut f = [opaque];
        rot(45).apply(&mut f).unwrap();
        assert_eq!(f[0].color(), image::ColorType::Rgb8);
        assert_eq!(f[0].to_rgba8().get_pixel(0, 0).0, [0, 0, 0, 255]);
        let alpha = every_variant(6, 4).remove(3);
        let mut f = [alpha];
        rot(45).apply(&mut f).unwrap();
        assert_eq!(f[0].to_rgba8().get_pixel(0, 0)[3], 0);
    }

    #[test]
    fn every_type_every_quadrant_and_1x1() {
        for img in every_variant(3, 2).into_iter().chain(every_variant(1, 1)) {
            for deg in [0, 1, 45, 90, 135, 180, 270, 359, -30, 720] {
                let mut f = [img.clone(), img.clone()];
                rot(deg).apply(&mut f).unwrap();
                assert_eq!(f[0].color(), img.color());
                assert_eq!(f[0], f[1], "frames get the same op");
                if deg.rem_euclid(90) == 0 && deg.rem_euclid(180) == 90 {
                    assert_eq!((f[0].width(), f[0].height()), (img.height(), img.width()));
                }
            }
        }
    }

    #[test]
    fn too_large_is_an_error_not_a_panic() {
        let img = DynamicImage::new_luma8(12000, 12000);
        let mut f = [img];
        assert!(matches!(
            rot(45).apply(&mut f),
            Err(crate::error::Error::ImageTooLarge(_))
        ));
    }
}
