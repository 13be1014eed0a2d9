//! The description steps (`fm=json|thumbhash|blurhash`): text about an image in place
//! of its encoding. With other parameters the plan's steps run as for an image and
//! the description reads the result ([`describe_pixels`]); `fm=json` alone answers from
//! the header, plus a small decode for the dominant colour ([`header_only`]).

use image::DynamicImage;

use crate::codecs::{self, DecodeOptions, ImageFormat, Probe};
use crate::error::{Error, Result};
use crate::insight::placeholders::{self, small_rgba, small_size};
use crate::insight::{Delivered, Metadata};
use crate::metrics::{Phase, PhaseTimes};
use crate::plan::{Describe, Plan};

/// Most pixels a "small decode" may hold, all frames together, for formats that cannot
/// shrink while decoding (all but JPEG, whose DCT scaling reads it at 1/8). Past it,
/// `fm=json` alone leaves out the dominant colour rather than decode a large image; a
/// query with a resize (`fm=json&w=200`) gives it for any image.
pub const SMALL_DECODE_MAX_PIXELS: u64 = 4_000_000;

/// The shrink-on-load target when the plan describes the original as it is (no
/// operations): the placeholders' size.
pub(super) fn small_target(plan: &Plan, upright: (u32, u32)) -> Option<(u32, u32)> {
    (plan.describes().is_some() && plan.operations().next().is_none())
        .then(|| small_size(upright.0, upright.1))
}

/// `fm=json` with no operation: the header, and the dominant colour when a small
/// decode can give it. Only that decode is timed (as the decode phase), so a response
/// without a decode time read no pixels.
pub(super) fn header_only(
    input: &[u8],
    plan: &Plan,
    gps: bool,
    phases: &mut PhaseTimes,
) -> Result<Vec<u8>> {
    let details = codecs::details(input)?;
    let mut metadata = Metadata::of(&details, input.len() as u64, None, gps);
    let limits = plan.limits().decode();
    if let Some(small) = small_decode(input, &details.probe, &limits, phases)? {
        metadata.dominant_colour = placeholders::dominant_colour(&small);
    }
    metadata.to_json()
}

/// The first frame at placeholder size, upright and sRGB, when the decode stays small
/// (see [`SMALL_DECODE_MAX_PIXELS`]) and is allowed at all (within the limits, and a
/// format we decode); `None` otherwise.
fn small_decode(
    input: &[u8],
    probe: &Probe,
    limits: &codecs::Limits,
    phases: &mut PhaseTimes,
) -> Result<Option<image::RgbaImage>> {
    let pixels = u64::from(probe.width) * u64::from(probe.height) * u64::from(probe.frames.max(1));
    let small_enough = probe.format == ImageFormat::Jpeg || pixels <= SMALL_DECODE_MAX_PIXELS;
    let decodable = probe.format != ImageFormat::Heic
        && limits
            .check(probe.width, probe.height, probe.frames)
            .is_ok();
    if !(small_enough && decodable) {
        return Ok(None);
    }
    phases.measure(Phase::Decode, || -> Result<Option<image::RgbaImage>> {
        let (width, height) = probe.oriented_size();
        let options = DecodeOptions {
            limits: *limits,
            shrink_to: Some(small_size(width, height)),
        };
        let decoded = codecs::decode_probed(input, probe, &options)?.into_upright();
        let first = decoded
            .frames
            .first()
            .ok_or_else(|| Error::Internal("decode returned no frame".into()))?;
        Ok(Some(small_rgba(&first.image)))
    })
}

/// The description of `images` (the plan's result so far) of the original `input`;
/// `format` is the format the image would be written in.
pub(super) fn describe_pixels(
    describe: Describe,
    input: &[u8],
    images: &[DynamicImage],
    format: codecs::OutputFormat,
) -> Result<Vec<u8>> {
    let first = images
        .first()
        .ok_or_else(|| Error::Internal("nothing to describe".into()))?;
    let small = small_rgba(first);
    match describe {
        Describe::Json { gps } => {
            let details = codecs::details(input)?;
            let delivered = Delivered {
                format: format.name(),
                width: first.width(),
                height: first.height(),
            };
            let mut metadata = Metadata::of(&details, input.len() as u64, Some(delivered), gps);
            metadata.dominant_colour = placeholders::dominant_colour(&small);
            metadata.to_json()
        }
        Describe::ThumbHash => Ok(placeholders::thumbhash(&small)?.into_bytes()),
        Describe::BlurHash(components) => {
            Ok(placeholders::blurhash(&small, components)?.into_bytes())
        }
    }
}
