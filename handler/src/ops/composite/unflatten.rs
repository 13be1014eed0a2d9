//! `uf`: Sharp's `unflatten()`, the reverse of flattening onto white: the image gets an
//! alpha channel and every white pixel becomes fully transparent; other pixels keep their
//! colour and alpha. White is judged on the one B-W grey ([`srgb::grey16`], libvips'
//! sRGB → B_W rounded to 8 bits, as Sharp compares it): a pixel is white when its grey
//! is 255, so near-whites one level off in one channel stay opaque. A threshold (`th`)
//! runs before it, so `th=240&uf` also clears near-white.

use crate::error::Result;
use crate::ops::pixel::bands::{self, Bands};
use crate::ops::pixel::srgb;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unflatten;

impl Unflatten {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        bands::map_frames(images, |src| Ok(unflatten(&src)))
    }
}

/// The grey (16-bit scale) from which a colour pixel counts as white: 8-bit 255 after
/// rounding, i.e. at least 254.5 × 257.
const WHITE_FROM: u32 = 255 * 257 - 128;

fn unflatten(src: &Bands) -> Bands {
    let colours = src.colour_channels();
    let had_alpha = src.has_alpha();
    src.map(colours + 1, |p, q| {
        q[..colours].copy_from_slice(&p[..colours]);
        let white = if colours >= 3 {
            u32::from(srgb::grey16(p[0], p[1], p[2])) >= WHITE_FROM
        } else {
            p[0] == u16::MAX
        };
        let alpha = if had_alpha { p[colours] } else { u16::MAX };
        q[colours] = if white { 0 } else { alpha };
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, fixture, like_sharp, max_channel_diff};

    #[test]
    fn matches_sharp() {
        for (input, reference) in [
            ("unflatten-logo.png", "unflatten-logo"),
            ("unflatten-logo-alpha.png", "unflatten-logo-alpha"),
        ] {
            let mut frames = [fixture(input)];
            Unflatten.apply(&mut frames).unwrap();
            let want = fixture(&format!("sharp/{reference}.png"));
            assert_eq!(frames[0].color(), want.color(), "{reference}");
            assert_eq!(max_channel_diff(&frames[0], &want), 0, "{reference}");
            like_sharp(
                input,
                reference,
                bound(0.999, 0.5),
                &|f| Unflatten.apply(f),
                &[],
            );
        }
    }

    /// The comparison can fail: the unchanged input (only alpha added, nothing cleared)
    /// and clearing near-whites too both miss Sharp's answer.
    #[test]
    fn wrong_answers_fail_the_comparison() {
        let want = fixture("sharp/unflatten-logo.png");
        let unchanged = DynamicImage::ImageRgba8(fixture("unflatten-logo.png").to_rgba8());
        assert!(max_channel_diff(&unchanged, &want) > 0);
        let mut too_eager = [fixture("unflatten-logo.png")];
        crate::ops::threshold::Threshold { value: 250 }
            .apply(&mut too_eager)
            .unwrap();
        Unflatten.apply(&mut too_eager).unwrap();
        assert_ne!(too_eager[0].color(), want.color());
    }

    #[test]
    fn every_pixel_type_gets_alpha_and_white_clears() {
        for img in every_variant(3, 2) {
            let before = img.color();
            let mut frames = [img];
            Unflatten.apply(&mut frames).unwrap();
            assert!(frames[0].color().has_alpha(), "{before:?}");
            assert_eq!(
                frames[0].color().channel_count(),
                before.channel_count() + u8::from(!before.has_alpha()),
                "{before:?}"
            );
        }
        let white = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(
            1,
            1,
            image::Rgb([u16::MAX; 3]),
        ));
        let mut frames = [white];
        Unflatten.apply(&mut frames).unwrap();
        assert_eq!(frames[0].to_rgba16().get_pixel(0, 0)[3], 0);
    }
}
