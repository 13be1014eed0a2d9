//! `flop`: mirror left ↔ right (Sharp's `flop()`, libvips `flip` horizontal). Exact
//! pixel moves, any pixel type.

use crate::error::Result;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flop;

impl Flop {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            image::imageops::flip_horizontal_in_place(img);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, fixture, like_sharp, max_channel_diff};

    #[test]
    fn matches_sharp_exactly() {
        like_sharp(
            "ops-photo.png",
            "flop-h",
            bound(0.999, 0.5),
            &|f| Flop.apply(f),
            &[("flip", &|f| crate::ops::flip::Flip.apply(f))],
        );
        let mut frames = vec![fixture("ops-photo.png")];
        Flop.apply(&mut frames).unwrap();
        assert_eq!(
            max_channel_diff(&frames[0], &fixture("sharp/flop-h.png")),
            0
        );
    }

    #[test]
    fn every_type_and_tiny_images() {
        for img in every_variant(3, 2).into_iter().chain(every_variant(1, 1)) {
            let mut frames = [img.clone()];
            Flop.apply(&mut frames).unwrap();
            assert_eq!(frames[0].color(), img.color());
            assert_eq!(
                frames[0].to_rgba8().get_pixel(0, 0),
                img.to_rgba8().get_pixel(img.width() - 1, 0)
            );
        }
    }
}
