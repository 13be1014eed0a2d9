//! `ec`: Sharp's `extractChannel(channel)`: one band as a one-band grey image.
//!
//! As in Sharp, extraction happens on the sRGB output image, so a grey image's red,
//! green and blue are all its grey, and `alpha` is the alpha band of grey+alpha and
//! RGBA images. Asking for `alpha` when there is none is a 400 naming `ec` (Sharp:
//! "Cannot extract channel 3 from image with channels 0-2").
//!
//! Depth: 8-bit images give 8-bit grey, 16-bit and float give 16-bit grey. (Sharp
//! reduces 16-bit images to 8 bits unless `tc=rgb16`, before extracting.)

use crate::error::{Error, Result};
use crate::ops::pixel::bands::Bands;
use crate::params::Channel;
use image::DynamicImage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractChannel {
    pub channel: Channel,
}

impl ExtractChannel {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            let src = Bands::from_image(img);
            let index = match (self.channel, src.channels) {
                (Channel::Alpha, 2 | 4) => src.channels - 1,
                (Channel::Alpha, n) => {
                    return Err(Error::invalid_parameter(
                        "ec",
                        self.channel.name(),
                        format!(
                            "red, green or blue: the image has no alpha channel (its channels \
                             are {})",
                            if n == 1 {
                                "grey"
                            } else {
                                "red, green and blue"
                            }
                        ),
                    ))
                }
                (c, 3 | 4) => c.index(),
                // Grey: every colour channel is the grey.
                (_, _) => 0,
            };
            *img = src.map(1, |p, q| q[0] = p[index]).into_image();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{all_variants, fixture, max_channel_diff};
    use image::GenericImageView;

    fn run(channel: Channel, img: DynamicImage) -> Result<DynamicImage> {
        let mut imgs = [img];
        ExtractChannel { channel }.apply(&mut imgs)?;
        let [out] = imgs;
        Ok(out)
    }

    #[test]
    fn matches_sharp() {
        for (channel, input, reference) in [
            (
                Channel::Red,
                "colour-photo.png",
                "sharp/ec-red-landscape.png",
            ),
            (
                Channel::Green,
                "colour-photo.png",
                "sharp/ec-green-landscape.png",
            ),
            (
                Channel::Alpha,
                "colour-photo-alpha.png",
                "sharp/ec-alpha-alpha.png",
            ),
        ] {
            let out = run(channel, fixture(input)).unwrap();
            let want = fixture(reference);
            assert_eq!(out.color(), image::ColorType::L8, "{reference}");
            assert_eq!(out.color(), want.color(), "{reference}");
            assert_eq!(out.dimensions(), want.dimensions());
            assert_eq!(max_channel_diff(&out, &want), 0, "{reference}");
        }
    }

    #[test]
    fn alpha_of_an_opaque_image_is_a_400_naming_ec() {
        let err = run(Channel::Alpha, fixture("colour-photo.png")).unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
        assert!(err.to_string().contains("'ec'"), "{err}");
    }

    #[test]
    fn every_variant_and_channel() {
        for img in all_variants(3, 2) {
            for &channel in Channel::ALL {
                let out = run(channel, img.clone());
                if channel == Channel::Alpha && !img.color().has_alpha() {
                    assert!(out.is_err());
                    continue;
                }
                let out = out.unwrap();
                assert_eq!(out.color().channel_count(), 1);
                assert_eq!(out.dimensions(), (3, 2));
            }
        }
    }
}
