//! AVIF: header probing (HEIC shares the container reader), encoding with ravif (rav1e,
//! in `encode`),
//! and decoding, which runs through `isolate` (a child process when the binary enabled
//! one) into `decode` (rav1d, behind the `avif-decode` feature).
//!
//! Dependencies run one way: this file → `isolate` → `decode` → `container`.

use super::{ColourModel, Details, ImageFormat, Limits, Probe, RawDecoded};
use crate::error::Error;

pub(super) mod container;
#[cfg(feature = "avif-decode")]
mod decode;
mod encode;
pub mod isolate;

pub(super) use encode::{encode, DEFAULT_QUALITY};

/// Size and orientation from the primary item's properties; for AVIF, avif-parse also
/// checks the structure and finds the alpha auxiliary. HEIC is only ever refused, so its
/// alpha is not looked for.
pub(super) fn probe(bytes: &[u8], format: ImageFormat) -> Result<Probe, Error> {
    let properties = container::properties(bytes, format)?;
    let has_alpha = match format {
        ImageFormat::Avif => match container::grid(bytes, &properties)? {
            Some(grid) => grid.alpha.is_some(),
            None => container::items(bytes)?.alpha_item.is_some(),
        },
        _ => false,
    };
    Ok(Probe {
        format,
        width: properties.width,
        height: properties.height,
        frames: 1,
        orientation: properties.orientation,
        has_alpha,
    })
}

/// The header's facts beyond the probe, for a description: the depth from `pixi` (8
/// when absent) and the `colr` profile. EXIF items are not read.
pub(super) fn details(bytes: &[u8], format: ImageFormat) -> Result<Details, Error> {
    let probe = probe(bytes, format)?;
    let properties = container::properties(bytes, format)?;
    Ok(Details {
        probe,
        bit_depth: properties.bit_depth.unwrap_or(8),
        colour: ColourModel::Srgb,
        icc_profile: properties.icc_profile.map(<[u8]>::to_vec),
        exif: None,
        duration_ms: None,
    })
}

/// Decodes AVIF, in a child process when the binary enabled it (see `isolate`).
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    isolate::decode(bytes, limits)
}

/// Decodes an AVIF this process encoded itself (a `q=auto` trial), here rather than in
/// a child: rav1e's output is not the hostile input the child guards against.
#[cfg(feature = "avif-decode")]
pub(super) fn decode_in_process(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    decode::decode(bytes, limits)
}

/// Without the decoder, a `q=auto` search never asks (see `auto_quality::can_decode`).
#[cfg(not(feature = "avif-decode"))]
pub(super) fn decode_in_process(_bytes: &[u8], _limits: &Limits) -> Result<RawDecoded, Error> {
    Err(Error::Internal("AVIF decoding is not built in".into()))
}

#[cfg(test)]
mod quality_tests;
#[cfg(test)]
mod real_files;
