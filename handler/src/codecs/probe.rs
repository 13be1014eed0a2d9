//! Header-only inspection. Each format's parser lives beside its decoder; this dispatches.
//! None of them allocates in proportion to the declared pixel count.

use super::{avif, gif, jpeg, png, sniff, tiff, unknown_format, webp, Details, ImageFormat, Probe};
use crate::error::Error;

/// Reads format, stored size, frame count, orientation and alpha without decoding pixels.
pub fn probe(bytes: &[u8]) -> Result<Probe, Error> {
    let format = sniff(bytes).ok_or_else(unknown_format)?;
    let probe = match format {
        ImageFormat::Jpeg => jpeg::probe(bytes)?,
        ImageFormat::Png => png::probe(bytes)?,
        ImageFormat::Gif => gif::probe(bytes)?,
        ImageFormat::Webp => webp::probe(bytes)?,
        ImageFormat::Tiff => tiff::probe(bytes)?,
        ImageFormat::Avif | ImageFormat::Heic => avif::probe(bytes, format)?,
    };
    debug_assert!((1..=8).contains(&probe.orientation));
    Ok(probe)
}

/// Reads what [`probe`] reads plus bit depth, colour model, the embedded ICC profile,
/// the EXIF block and an animation's duration, still without decoding pixels.
pub fn details(bytes: &[u8]) -> Result<Details, Error> {
    let format = sniff(bytes).ok_or_else(unknown_format)?;
    match format {
        ImageFormat::Jpeg => jpeg::details(bytes),
        ImageFormat::Png => png::details(bytes),
        ImageFormat::Gif => gif::details(bytes),
        ImageFormat::Webp => webp::details(bytes),
        ImageFormat::Tiff => tiff::details(bytes),
        ImageFormat::Avif | ImageFormat::Heic => avif::details(bytes, format),
    }
}
