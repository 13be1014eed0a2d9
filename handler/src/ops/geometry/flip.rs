//! `flip`: mirror top ↔ bottom (Sharp's `flip()`, libvips `flip` vertical). Exact pixel
//! moves, any pixel type.

use crate::error::Result;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flip;

impl Flip {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            image::imageops::flip_vertical_in_place(img);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp, max_channel_diff};

    #[test]
    fn matches_sharp_exactly() {
        like_sharp(
            "ops-photo.png",
            "flip-v",
            bound(0.999, 0.5),
            &|f| Flip.apply(f),
            &[("flop", &|f| crate::ops::flop::Flop.apply(f))],
        );
        let mut frames = vec![crate::ops::testutil::fixture("ops-photo.png")];
        Flip.apply(&mut frames).unwrap();
        let want = crate::ops::testutil::fixture("sharp/flip-v.png");
        assert_eq!(max_channel_diff(&frames[0], &want), 0);
    }

    #[test]
    fn every_type_and_tiny_images() {
        for img in every_variant(3, 2).into_iter().chain(every_variant(1, 1)) {
            let mut frames = [img.clone(), img.clone()];
            Flip.apply(&mut frames).unwrap();
            assert_eq!(frames[0].color(), img.color());
            assert_eq!(
                frames[1].to_rgba8().get_pixel(0, 0),
                img.to_rgba8().get_pixel(0, img.height() - 1)
            );
        }
    }
}
