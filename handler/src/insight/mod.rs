//! What `fm=json`, `fm=thumbhash` and `fm=blurhash` answer: the image's metadata from
//! its header ([`Metadata`]), and placeholders from a small decode ([`placeholders`]).
//! Plain functions of bytes and pixels; the pipeline decides what to decode.

pub mod exif;
pub mod icc;
pub mod placeholders;

use serde::Serialize;

pub use self::exif::{Exif, Gps};
use crate::codecs::Details;
use crate::error::Error;

/// The `fm=json` answer. Field names are the README's (section "Metadata and
/// placeholders"); optional fields are left out when the image has nothing to say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    /// The delivered image's format: the original's, or the one the other parameters
    /// would write.
    pub format: &'static str,
    /// The delivered size: upright (after the EXIF orientation), and after the other
    /// parameters when there are any.
    pub width: u32,
    pub height: u32,
    /// The original's size as stored (before orientation).
    pub stored_width: u32,
    pub stored_height: u32,
    /// EXIF orientation 1-8 of the original (1 when it has none).
    pub orientation: u8,
    pub frames: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    pub has_alpha: bool,
    pub bit_depth: u8,
    pub colour_space: &'static str,
    /// The embedded ICC profile's description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icc_profile: Option<String>,
    /// Bytes of the original.
    pub file_size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exif: Option<Exif>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gps: Option<Gps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dominant_colour: Option<String>,
}

/// The delivered image, when the parameters change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
}

impl Metadata {
    /// The original's metadata from its header and size; `delivered` replaces the
    /// format and size with those of the transformed image. `gps`: the deployment
    /// allows the position out.
    pub fn of(
        details: &Details,
        file_size: u64,
        delivered: Option<Delivered>,
        gps: bool,
    ) -> Metadata {
        let probe = &details.probe;
        let (upright_width, upright_height) = probe.oriented_size();
        let delivered = delivered.unwrap_or(Delivered {
            format: probe.format.name(),
            width: upright_width,
            height: upright_height,
        });
        let (exif, position) = details
            .exif
            .as_deref()
            .map_or((None, None), |block| Exif::read(block, gps));
        Metadata {
            format: delivered.format,
            width: delivered.width,
            height: delivered.height,
            stored_width: probe.width,
            stored_height: probe.height,
            orientation: probe.orientation,
            frames: probe.frames,
            duration_ms: details.duration_ms,
            has_alpha: probe.has_alpha,
            bit_depth: details.bit_depth,
            colour_space: details.colour.name(),
            icc_profile: details.icc_profile.as_deref().and_then(icc::description),
            file_size,
            exif,
            gps: position,
            dominant_colour: None,
        }
    }

    pub fn to_json(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|e| Error::Internal(format!("metadata JSON: {e}")))
    }
}
