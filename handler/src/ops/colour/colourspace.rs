//! `pc` (pipeline colourspace) and `tc` (output colourspace): Sharp's
//! `pipelineColourspace` and `toColourspace`.
//!
//! What works: `srgb` (alias `rgb`), `rgb16`, `b-w` and `grey16`: 8-bit colour,
//! 16-bit colour, 8-bit grey and 16-bit grey, alpha kept. Grey is libvips' B_W:
//! the luminance of linear light, sRGB-encoded.
//!
//! - `tc` converts the final image, as Sharp does at the end of its pipeline.
//! - `pc` converts the decoded image before any other operation, so they run on
//!   that form (e.g. `pc=rgb16` works at 16 bits, `pc=b-w` on one grey band); then,
//!   as in Sharp, whose output colourspace defaults to sRGB, the result is written as
//!   8-bit sRGB unless `tc` says otherwise.
//!
//! `tc=cmyk` is Sharp's `toColourspace('cmyk')`. This op makes the image 8-bit sRGB
//! (alpha kept); the encoder does the rest (`codecs::cmyk`, told by the plan): `fm=jpeg`
//! and `fm=tiff` are written as CMYK (4 inks, 8 bits, the shipped CC0 CMYK profile
//! embedded; JPEG with the Adobe marker and inverted samples as Photoshop and libvips
//! write it). Sharp 0.35.5 writes PNG, WebP, AVIF and GIF for `tc=cmyk` as sRGB whose
//! colours went through CMYK and back (9.7 levels from the plain output on a saturated
//! photo), so we write those as sRGB after the same round trip. Alpha as in Sharp: a CMYK
//! TIFF keeps it as an unassociated extra sample; a CMYK JPEG is flattened onto bare
//! paper in ink (ink × alpha).
//!
//! Refused with a 400 before any pixel work ([`validate`]): `lab`, `lch`, `hsv` and
//! `xyz` for both, and `pc=cmyk`. Our encoders write only RGB, grey and (above) CMYK,
//! and Sharp itself writes the others as sRGB PNGs (its PNG for `tc=lab` is the sRGB
//! image), so accepting them would silently do nothing. `pc=cmyk` would run every
//! operation on ink values (Sharp's `negate` then inverts inks, not colours), which our
//! images cannot hold: operations run on RGB or grey; `tc=cmyk` writes CMYK.

use crate::error::{Error, Result};
use crate::ops::pixel::bands::Bands;
use crate::ops::pixel::srgb;
use crate::params::{Colourspace, Params};
use image::DynamicImage;

/// The `expected` text of the 400 for an unsupported `tc`.
pub const SUPPORTED: &str = "one of srgb, rgb16, b-w, grey16, cmyk (rgb is an alias of srgb; \
     lab, lch, hsv and xyz are not supported: images are written as RGB, grey or CMYK)";

/// The `expected` text of the 400 for an unsupported `pc`.
pub const SUPPORTED_PIPELINE: &str = "one of srgb, rgb16, b-w, grey16 (rgb is an alias of \
     srgb; lab, lch, cmyk, hsv and xyz are not supported: operations run on RGB or grey; \
     use tc=cmyk for CMYK output)";

/// True for the colourspaces `key` (`pc` or `tc`) can be.
pub fn is_supported(key: &str, cs: Colourspace) -> bool {
    match cs {
        Colourspace::Srgb | Colourspace::Rgb16 | Colourspace::BW | Colourspace::Grey16 => true,
        Colourspace::Cmyk => key == "tc",
        _ => false,
    }
}

fn check(key: &'static str, cs: Colourspace) -> Result<()> {
    if is_supported(key, cs) {
        Ok(())
    } else if key == "tc" {
        Err(Error::invalid_parameter(key, cs.name(), SUPPORTED))
    } else {
        Err(Error::invalid_parameter(key, cs.name(), SUPPORTED_PIPELINE))
    }
}

/// Refuses unsupported `pc`/`tc` values; call before decoding anything.
pub fn validate(p: &Params) -> Result<()> {
    if let Some(cs) = p.pc {
        check("pc", cs)?;
    }
    if let Some(cs) = p.tc {
        check("tc", cs)?;
    }
    Ok(())
}

/// Converts every frame to `colourspace`; `key` names the parameter in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToColourspace {
    pub key: &'static str,
    pub colourspace: Colourspace,
}

impl ToColourspace {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        check(self.key, self.colourspace)?;
        let (grey, deep) = match self.colourspace {
            Colourspace::BW => (true, false),
            Colourspace::Grey16 => (true, true),
            Colourspace::Rgb16 => (false, true),
            // CMYK: 8-bit sRGB here; the encoder separates it (`codecs::cmyk`).
            _ => (false, false),
        };
        for img in images.iter_mut() {
            let src = Bands::from_image(img);
            let alpha = src.has_alpha();
            let channels = match (grey, alpha) {
                (true, false) => 1,
                (true, true) => 2,
                (false, false) => 3,
                (false, true) => 4,
            };
            let mut out = if grey && src.colour_channels() == 3 {
                src.map(channels, |p, q| {
                    q[0] = srgb::grey16(p[0], p[1], p[2]);
                    if alpha {
                        q[1] = p[3];
                    }
                })
            } else if !grey && src.colour_channels() == 1 {
                src.map(channels, |p, q| {
                    q[..3].fill(p[0]);
                    if alpha {
                        q[3] = p[1];
                    }
                })
            } else {
                src
            };
            out.deep = deep;
            *img = out.into_image();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::testutil::{all_variants, fixture, max_channel_diff};
    use image::{ColorType, GenericImageView};

    fn to(cs: Colourspace, img: DynamicImage) -> DynamicImage {
        let mut imgs = [img];
        ToColourspace {
            key: "tc",
            colourspace: cs,
        }
        .apply(&mut imgs)
        .unwrap();
        let [out] = imgs;
        out
    }

    #[test]
    fn output_colourspaces_match_sharp() {
        for (cs, input, reference, colour) in [
            (
                Colourspace::BW,
                "colour-photo.png",
                "sharp/tc-bw-landscape.png",
                ColorType::L8,
            ),
            (
                Colourspace::Grey16,
                "colour-photo.png",
                "sharp/tc-grey16-landscape.png",
                ColorType::L16,
            ),
            (
                Colourspace::Rgb16,
                "colour-small.png",
                "sharp/tc-rgb16-small.png",
                ColorType::Rgb16,
            ),
            // Sharp's tc=srgb of an sRGB image is the image.
            (
                Colourspace::Srgb,
                "colour-photo.png",
                "colour-photo.png",
                ColorType::Rgb8,
            ),
        ] {
            let out = to(cs, fixture(input));
            let want = fixture(reference);
            assert_eq!(out.color(), colour, "{reference}");
            assert_eq!(want.color(), colour, "{reference}");
            assert_eq!(out.dimensions(), want.dimensions());
            assert!(max_channel_diff(&out, &want) <= 1, "{reference}");
        }
    }

    #[test]
    fn grey_keeps_alpha_like_sharp() {
        let out = to(Colourspace::BW, fixture("colour-photo-alpha.png"));
        let want = fixture("sharp/tc-bw-alpha.png");
        assert_eq!(out.color(), ColorType::La8);
        assert_eq!(want.color(), ColorType::La8);
        assert!(max_channel_diff(&out, &want) <= 1);
    }

    /// `pc` as planned: convert first, (no other ops), then sRGB out.
    fn pipeline(cs: Colourspace, img: DynamicImage) -> DynamicImage {
        let params = Params {
            pc: Some(cs),
            ..Params::default()
        };
        let mut imgs = [img];
        for op in crate::plan::ops_of(&params) {
            op.apply(&mut imgs, None).unwrap();
        }
        let [out] = imgs;
        out
    }

    #[test]
    fn pipeline_colourspaces_match_sharp() {
        for (cs, reference) in [
            (Colourspace::BW, "sharp/pc-bw-landscape.png"),
            (Colourspace::Grey16, "sharp/pc-grey16-landscape.png"),
            (Colourspace::Rgb16, "colour-photo.png"),
            (Colourspace::Srgb, "colour-photo.png"),
        ] {
            let out = pipeline(cs, fixture("colour-photo.png"));
            let want = fixture(reference);
            assert_eq!(
                out.color(),
                ColorType::Rgb8,
                "{cs:?}: 8-bit sRGB out like Sharp"
            );
            assert_eq!(want.color(), ColorType::Rgb8);
            assert!(max_channel_diff(&out, &want) <= 1, "{cs:?}");
        }
    }

    #[test]
    fn sixteen_bit_to_srgb_is_eight_bit() {
        let out = to(
            Colourspace::Srgb,
            fixture("Flag_of_the_Netherlands-16bit.png"),
        );
        assert_eq!(out.color(), ColorType::Rgb8);
    }

    #[test]
    fn unsupported_values_are_a_400_naming_the_working_ones() {
        for &cs in Colourspace::ALL {
            let p = Params {
                tc: Some(cs),
                ..Params::default()
            };
            let q = Params {
                pc: Some(cs),
                ..Params::default()
            };
            for (params, key) in [(p, "tc"), (q, "pc")] {
                if is_supported(key, cs) {
                    assert!(validate(&params).is_ok());
                    continue;
                }
                let err = validate(&params).unwrap_err();
                assert_eq!(err.status(), axum::http::StatusCode::BAD_REQUEST);
                let m = err.to_string();
                assert!(
                    m.contains(&format!("'{key}'")) && m.contains(cs.name()),
                    "{m}"
                );
                assert!(m.contains("one of srgb, rgb16, b-w, grey16"), "{m}");
                let mut imgs = [DynamicImage::new_rgb8(1, 1)];
                let op = ToColourspace {
                    key,
                    colourspace: cs,
                };
                assert!(op.apply(&mut imgs).is_err(), "the op refuses too");
            }
        }
    }

    #[test]
    fn cmyk_is_output_only_and_names_tc_as_the_way() {
        let tc = Params {
            tc: Some(Colourspace::Cmyk),
            ..Params::default()
        };
        assert!(validate(&tc).is_ok());
        let pc = Params {
            pc: Some(Colourspace::Cmyk),
            ..Params::default()
        };
        let m = validate(&pc).unwrap_err().to_string();
        assert!(m.contains("'pc'") && m.contains("use tc=cmyk"), "{m}");
        // The op leaves 8-bit sRGB for the encoder, alpha kept.
        let out = to(Colourspace::Cmyk, fixture("colour-photo-alpha.png"));
        assert_eq!(out.color(), ColorType::Rgba8);
    }

    #[test]
    fn every_variant_to_every_supported_space() {
        for &cs in Colourspace::ALL
            .iter()
            .filter(|cs| is_supported("tc", **cs))
        {
            for img in all_variants(3, 2) {
                let out = to(cs, img.clone());
                assert_eq!(out.dimensions(), (3, 2));
                assert_eq!(out.color().has_alpha(), img.color().has_alpha());
                let grey = matches!(cs, Colourspace::BW | Colourspace::Grey16);
                assert_eq!(out.color().has_color(), !grey);
            }
        }
    }
}
