//! Image codecs: format sniffing, header-only probing, limit-checked decoding (with EXIF
//! auto-orientation and ICC → sRGB conversion) and encoding to every output format.
//!
//! Decoding always follows the same order: sniff the magic bytes, read the header
//! ([`probe`]), refuse anything over [`Limits`] *before* a pixel buffer exists, decode,
//! convert to sRGB, then apply the stored orientation so callers only ever see upright
//! sRGB pixels. Encoders never write metadata (no EXIF, GPS or ICC), except the CMYK
//! profile that CMYK output needs to be read right.
//!
//! Quality mapping (`EncodeOptions::quality`, 1–100; `None` = the default in brackets):
//! * JPEG [80]: libjpeg quality directly; 4:2:0 chroma below 90, 4:4:4 from 90; always
//!   optimised Huffman tables, baseline scans. `lossless` = quality 100 at 4:4:4
//!   (true lossless JPEG exists but no browser displays it).
//! * WebP [80]: libwebp quality directly (method 4). `lossless` = WebP lossless, pixels exact.
//! * AVIF [50]: `q` mapped onto ravif's quality for Sharp's SSIM, rav1e speed 6 (see `avif::encode`).
//!   `lossless` is not available in rav1e; it maps to quality 100 (near-lossless).
//! * PNG: lossless truecolour without `quality`; with it, an indexed PNG of the fewest
//!   colours (≤ 256, dithered) whose error meets it, as Sharp (libimagequant) does: see png/palette.rs.
//! * GIF: `quality` is ignored; one palette for all frames, close colours merged unless
//!   `lossless`, NeuQuant when more than 256 remain; frames differenced (see gif/encode.rs).
//! * TIFF: uncompressed; `quality` is ignored.
//! * `q=auto` searches JPEG, WebP and AVIF qualities for a perceptual target before
//!   encoding: see [`auto_quality`].
//! * `cmyk` (`tc=cmyk`): JPEG and TIFF written as CMYK with the shipped profile (see
//!   [`cmyk`]); other formats as sRGB after a CMYK round trip, as Sharp writes them.
//!
//! Inputs: JPEG (turbojpeg, incl. progressive/CMYK), PNG, WebP (incl. animated), GIF
//! (animated, composited), TIFF (first page), AVIF (feature `avif-decode`, rav1d, in a
//! child process: see [`isolate`]; else 415). HEIC is recognised and probed but always
//! refused with 415.

pub mod auto_quality;
mod avif;
mod cmyk;
mod color;
mod gif;
mod jpeg;
mod orient;
mod png;
mod probe;
mod sniff;
mod tiff;
mod webp;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use image::DynamicImage;

use crate::error::Error;

pub use avif::isolate;
pub use probe::{details, probe};
pub use sniff::sniff;

/// A format we can recognise from its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
    Tiff,
    Avif,
    Heic,
}

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Tiff => "image/tiff",
            ImageFormat::Avif => "image/avif",
            ImageFormat::Heic => "image/heic",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            ImageFormat::Webp => "webp",
            ImageFormat::Gif => "gif",
            ImageFormat::Tiff => "tiff",
            ImageFormat::Avif => "avif",
            ImageFormat::Heic => "heic",
        }
    }

    /// Upper-case name for messages ("the PNG image …").
    fn label(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::Webp => "WebP",
            ImageFormat::Gif => "GIF",
            ImageFormat::Tiff => "TIFF",
            ImageFormat::Avif => "AVIF",
            ImageFormat::Heic => "HEIC",
        }
    }
}

/// A format we can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
    Tiff,
    Avif,
}

impl OutputFormat {
    pub fn mime(self) -> &'static str {
        self.as_image_format().mime()
    }

    pub fn name(self) -> &'static str {
        self.as_image_format().name()
    }

    pub fn as_image_format(self) -> ImageFormat {
        match self {
            OutputFormat::Jpeg => ImageFormat::Jpeg,
            OutputFormat::Png => ImageFormat::Png,
            OutputFormat::Webp => ImageFormat::Webp,
            OutputFormat::Gif => ImageFormat::Gif,
            OutputFormat::Tiff => ImageFormat::Tiff,
            OutputFormat::Avif => ImageFormat::Avif,
        }
    }
}

/// The output format used when a request names none: the input's own format, except HEIC
/// (which we cannot write, nor read) → JPEG.
pub fn default_output(input: ImageFormat) -> OutputFormat {
    match input {
        ImageFormat::Jpeg | ImageFormat::Heic => OutputFormat::Jpeg,
        ImageFormat::Png => OutputFormat::Png,
        ImageFormat::Webp => OutputFormat::Webp,
        ImageFormat::Gif => OutputFormat::Gif,
        ImageFormat::Tiff => OutputFormat::Tiff,
        ImageFormat::Avif => OutputFormat::Avif,
    }
}

/// What the header says, read without decoding pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub format: ImageFormat,
    /// Stored width (before orientation).
    pub width: u32,
    /// Stored height (before orientation).
    pub height: u32,
    /// Number of frames the decoder will return (1 for still images).
    pub frames: u32,
    /// EXIF orientation 1–8 as stored (1 when absent). For AVIF/HEIC the `irot`/`imir`
    /// properties are expressed as the equivalent EXIF value.
    pub orientation: u8,
    pub has_alpha: bool,
}

impl Probe {
    /// Width and height after orientation.
    pub fn oriented_size(&self) -> (u32, u32) {
        orient::oriented_size(self.width, self.height, self.orientation)
    }
}

/// The largest embedded ICC profile read for a description (real ones are a few KB;
/// a few printer profiles reach 1-2 MB).
pub const MAX_ICC_BYTES: usize = 4 << 20;

/// The colour model of the stored samples (Sharp's `space`): RGB, palette and YCbCr
/// images are `srgb` whatever their profile says (the profile is told apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourModel {
    Srgb,
    Grey,
    Cmyk,
    Lab,
    /// High-dynamic-range LogLuv TIFF, decoded through CIE XYZ.
    Xyz,
}

impl ColourModel {
    pub fn name(self) -> &'static str {
        match self {
            ColourModel::Srgb => "srgb",
            ColourModel::Grey => "grey",
            ColourModel::Cmyk => "cmyk",
            ColourModel::Lab => "lab",
            ColourModel::Xyz => "xyz",
        }
    }
}

/// What a header says beyond [`Probe`], read without decoding pixels ([`details`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Details {
    pub probe: Probe,
    /// Bits per sample as stored (1-16; 32 or 64 for float TIFF, capped at 255).
    pub bit_depth: u8,
    pub colour: ColourModel,
    pub icc_profile: Option<Vec<u8>>,
    /// The EXIF block, TIFF-structured ("II*\0" or "MM\0*"): from JPEG APP1, PNG eXIf,
    /// WebP EXIF, or the TIFF file itself. AVIF's EXIF item is not read.
    pub exif: Option<Vec<u8>>,
    /// An animation's frame delays added up; `None` for a still.
    pub duration_ms: Option<u64>,
}

/// Decode limits, checked against the header before any pixel buffer is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pixels of one frame (width × height as stored).
    pub max_pixels: u64,
    pub max_frames: u32,
    /// Pixels of all frames together: every frame is decoded to a full canvas.
    pub max_total_pixels: u64,
    /// When the request must be answered (`None`: no deadline). An AVIF decoder child
    /// still running then is killed, and the decode is a 503 `timeout`; decoders in this
    /// process cannot be stopped and do not look at it.
    pub deadline: Option<Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: 50_000_000,
            max_frames: 500,
            // 100 MP of RGBA frames is 400 MB, about what one 50 MP still costs in 16-bit.
            max_total_pixels: 100_000_000,
            deadline: None,
        }
    }
}

impl Limits {
    /// The limits for an original (and its operand images): one frame up to
    /// `max_pixels`, all frames together up to four times that.
    pub fn for_input(max_pixels: u64, max_frames: u32) -> Limits {
        Limits {
            max_pixels,
            max_frames,
            max_total_pixels: max_pixels.saturating_mul(4),
            deadline: None,
        }
    }

    /// Refuses sizes over the limits with 413 and a message that states both numbers.
    pub fn check(&self, width: u32, height: u32, frames: u32) -> Result<(), Error> {
        if width == 0 || height == 0 {
            return Err(Error::UnprocessableImage(format!(
                "the image header declares an empty size ({width}x{height})"
            )));
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(Error::ImageTooLarge(format!(
                "image is {width}x{height} = {} MP; the limit is {} MP",
                megapixels(pixels),
                megapixels(self.max_pixels)
            )));
        }
        if frames > self.max_frames {
            return Err(Error::ImageTooLarge(format!(
                "animation has {frames} frames; the limit is {} frames",
                self.max_frames
            )));
        }
        let total = pixels.saturating_mul(u64::from(frames.max(1)));
        if total > self.max_total_pixels {
            return Err(Error::ImageTooLarge(format!(
                "animation has {frames} frames of {width}x{height} = {} MP in all; the limit is {} MP",
                megapixels(total),
                megapixels(self.max_total_pixels)
            )));
        }
        Ok(())
    }

    /// The same limit for the `image` crate's decoders, as a second line of defence:
    /// enough for one frame in the widest pixel type (RGBA 16-bit) and nothing more.
    fn to_image_limits(self) -> image::Limits {
        let mut limits = image::Limits::no_limits();
        limits.max_alloc = Some(self.max_pixels.saturating_mul(8).max(1 << 20));
        limits
    }
}

/// "2500" for 2.5e9 pixels, "0.5" for 500 000.
fn megapixels(pixels: u64) -> String {
    let mp = pixels as f64 / 1e6;
    if mp >= 10.0 || mp.fract() == 0.0 {
        format!("{}", mp.round() as u64)
    } else {
        format!("{mp:.1}")
    }
}

#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// Checked against the header before decoding.
    pub limits: Limits,
    /// The decoder may return a smaller image than stored as long as each upright dimension
    /// stays >= this size (0 = no constraint on that axis). Only JPEG uses it (DCT scaling
    /// by 1/2, 1/4 or 1/8); other formats decode at full size.
    pub shrink_to: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub struct Frame {
    pub image: DynamicImage,
    /// How long this frame shows; 0 for still images.
    pub delay_ms: u32,
}

#[derive(Debug, Clone)]
pub struct Decoded {
    pub format: ImageFormat,
    /// Upright, sRGB, full-canvas frames (animation frames are already composited).
    pub frames: Vec<Frame>,
    /// How many times an animation plays; 0 = forever (WebP semantics; see [`gif`]).
    pub loop_count: u16,
    /// Upright size of the stored image, before any shrink-on-load.
    pub source_width: u32,
    pub source_height: u32,
    /// A GIF's own palette (its global colour table, see `gif::source_palette`), for a GIF
    /// output to reuse.
    pub palette: Option<Vec<[u8; 3]>>,
}

/// What a format decoder hands back before colour conversion and orientation.
struct RawDecoded {
    frames: Vec<Frame>,
    loop_count: u16,
    icc_profile: Option<Vec<u8>>,
    /// See [`Decoded::palette`].
    palette: Option<Vec<[u8; 3]>>,
}

/// Reads the header and refuses a size or frame count over `limits`, before any pixel
/// buffer exists.
pub fn probe_within(bytes: &[u8], limits: &Limits) -> Result<Probe, Error> {
    let header = probe(bytes)?;
    limits.check(header.width, header.height, header.frames)?;
    Ok(header)
}

/// Decodes any supported format to upright sRGB frames, refusing over-limit images from
/// their header first: [`decode_stored`], then [`to_srgb`] and [`upright`].
pub fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Decoded, Error> {
    Ok(decode_stored(bytes, opts)?.into_upright())
}

/// What a decoder read, before the two steps every decode needs and a plan declares as
/// steps of its own: the colour profile ([`to_srgb`]) and the orientation ([`upright`]).
#[derive(Debug, Clone)]
pub struct Stored {
    pub format: ImageFormat,
    /// Frames in stored orientation and colour, each a full canvas.
    pub images: Vec<DynamicImage>,
    /// How long each frame shows (0 for still images).
    pub delays_ms: Vec<u32>,
    pub loop_count: u16,
    pub icc_profile: Option<Vec<u8>>,
    /// EXIF orientation 1–8 (see [`Probe::orientation`]).
    pub orientation: u8,
    /// Upright size of the stored image, before any shrink-on-load.
    pub source_width: u32,
    pub source_height: u32,
    pub palette: Option<Vec<[u8; 3]>>,
}

impl Stored {
    /// Upright sRGB frames: [`to_srgb`] and [`upright`] applied.
    pub fn into_upright(mut self) -> Decoded {
        let mut images = std::mem::take(&mut self.images);
        to_srgb(&mut images, self.icc_profile.as_deref());
        upright(&mut images, self.orientation);
        self.with_images(images)
    }

    /// The frames `images` (the stored ones after the decode steps) with their delays.
    pub fn frames(&self, images: Vec<DynamicImage>) -> Vec<Frame> {
        images
            .into_iter()
            .zip(self.delays_ms.iter().copied())
            .map(|(image, delay_ms)| Frame { image, delay_ms })
            .collect()
    }

    /// The decoded image with `images` in place of the stored frames.
    pub fn with_images(self, images: Vec<DynamicImage>) -> Decoded {
        let frames = self.frames(images);
        Decoded {
            format: self.format,
            frames,
            loop_count: self.loop_count,
            source_width: self.source_width,
            source_height: self.source_height,
            palette: self.palette,
        }
    }
}

/// Decodes any supported format as stored, refusing over-limit images from their header
/// first (see [`decode`] for upright sRGB frames).
pub fn decode_stored(bytes: &[u8], opts: &DecodeOptions) -> Result<Stored, Error> {
    let header = probe_within(bytes, &opts.limits)?;
    decode_probed(bytes, &header, opts)
}

/// [`decode_stored`] for a caller that already read the header with [`probe_within`]
/// under the same limits, so it is not parsed twice.
pub fn decode_probed(bytes: &[u8], header: &Probe, opts: &DecodeOptions) -> Result<Stored, Error> {
    let format = header.format;
    if format == ImageFormat::Heic {
        return Err(heic_unsupported());
    }

    // The decoders see the shrink target in stored orientation.
    let stored_target = opts
        .shrink_to
        .map(|(w, h)| orient::stored_size(w, h, header.orientation));
    let raw = guard_decode(format, || match format {
        ImageFormat::Jpeg => jpeg::decode(bytes, &opts.limits, stored_target),
        ImageFormat::Png => png::decode(bytes, &opts.limits),
        ImageFormat::Webp => webp::decode(bytes, &opts.limits),
        ImageFormat::Gif => gif::decode(bytes, &opts.limits),
        ImageFormat::Tiff => tiff::decode(bytes, &opts.limits),
        ImageFormat::Avif => avif::decode(bytes, &opts.limits),
        ImageFormat::Heic => Err(heic_unsupported()),
    })?;

    if raw.frames.is_empty() {
        return Err(Error::UnprocessableImage(format!(
            "the {} image has no frames",
            format.label()
        )));
    }
    let (source_width, source_height) = header.oriented_size();
    let (images, delays_ms) = raw
        .frames
        .into_iter()
        .map(|f| (f.image, f.delay_ms))
        .unzip();
    Ok(Stored {
        format,
        images,
        delays_ms,
        loop_count: raw.loop_count,
        icc_profile: raw.icc_profile,
        orientation: header.orientation,
        source_width,
        source_height,
        palette: raw.palette,
    })
}

/// Converts frames from their embedded colour profile to sRGB (nothing without one).
pub fn to_srgb(images: &mut [DynamicImage], icc_profile: Option<&[u8]>) {
    if let Some(icc) = icc_profile {
        for image in images {
            color::convert_to_srgb(image, icc);
        }
    }
}

/// Turns frames upright from their stored orientation.
pub fn upright(images: &mut [DynamicImage], orientation: u8) {
    for image in images {
        orient::apply(image, orientation);
    }
}

/// Composites alpha onto white for an output format without alpha (JPEG), as a page
/// background would show it; other formats keep their alpha. A CMYK JPEG (`cmyk`) is
/// flattened later, in ink, as Sharp does (see [`cmyk::Inks::flattened`]).
pub fn flatten_for_output(format: OutputFormat, cmyk: bool, images: &mut [DynamicImage]) {
    if format != OutputFormat::Jpeg || cmyk {
        return;
    }
    for image in images.iter_mut().filter(|i| i.color().has_alpha()) {
        *image = DynamicImage::ImageRgb8(to_rgb8_on_white(image));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions<'a> {
    pub format: OutputFormat,
    /// 1–100; `None` = the format's default (JPEG 80, WebP 80, AVIF 50).
    pub quality: Option<u8>,
    pub lossless: bool,
    /// The source's palette ([`Decoded::palette`]); GIF output may reuse it.
    pub palette: Option<&'a [[u8; 3]]>,
    /// `tc=cmyk`: JPEG and TIFF are written as CMYK with the shipped profile embedded;
    /// other formats get the sRGB colours a CMYK round trip leaves, as Sharp writes them.
    pub cmyk: bool,
}

/// Encodes frames (all the same size) without any metadata. Formats without animation
/// (JPEG, PNG, TIFF, AVIF) write the first frame only.
pub fn encode(frames: &[Frame], loop_count: u16, opts: &EncodeOptions) -> Result<Vec<u8>, Error> {
    let first = frames
        .first()
        .ok_or_else(|| Error::Internal("encode called with no frames".into()))?;
    if first.image.width() == 0 || first.image.height() == 0 {
        return Err(Error::Internal("encode called with an empty image".into()));
    }
    if let Some(q) = opts.quality {
        if !(1..=100).contains(&q) {
            return Err(Error::invalid_parameter("q", q.to_string(), "1 to 100"));
        }
    }
    let name = opts.format.as_image_format().label();
    if opts.cmyk {
        return guard(
            || cmyk::encode(frames, loop_count, opts),
            || Error::Internal(format!("the {name} CMYK encoder panicked")),
        );
    }
    guard(
        || match opts.format {
            OutputFormat::Jpeg => jpeg::encode(&first.image, opts.quality, opts.lossless),
            OutputFormat::Png => png::encode(&first.image, opts.quality),
            OutputFormat::Webp => webp::encode(frames, loop_count, opts.quality, opts.lossless),
            OutputFormat::Gif => gif::encode(frames, loop_count, opts.lossless, opts.palette),
            OutputFormat::Tiff => tiff::encode(&first.image),
            OutputFormat::Avif => avif::encode(&first.image, opts.quality, opts.lossless),
        },
        || Error::Internal(format!("the {name} encoder panicked")),
    )
}

fn unknown_format() -> Error {
    Error::UnsupportedMediaType(
        "unrecognised image format; supported: JPEG, PNG, WebP, GIF, TIFF, AVIF".into(),
    )
}

fn heic_unsupported() -> Error {
    Error::UnsupportedMediaType(
        "HEIC/HEIF images are not supported; convert to JPEG, PNG, WebP or AVIF".into(),
    )
}

/// Runs `f`, turning a panic into `on_panic()`. The release profile unwinds, so a codec
/// bug on one upload fails that request instead of the whole process.
fn guard<T>(
    f: impl FnOnce() -> Result<T, Error>,
    on_panic: impl FnOnce() -> Error,
) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Err(on_panic()))
}

fn guard_decode<T>(format: ImageFormat, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    guard(f, || corrupt(format, "the decoder failed"))
}

/// 422 for bytes that claim to be `format` but do not decode.
fn corrupt(format: ImageFormat, detail: impl std::fmt::Display) -> Error {
    Error::UnprocessableImage(format!(
        "the {} image is corrupt or truncated: {detail}",
        format.label()
    ))
}

/// Maps an `image` crate error: limits → 413, unsupported features → 415, rest → 422.
fn from_image_error(format: ImageFormat, err: image::ImageError) -> Error {
    match err {
        image::ImageError::Limits(e) => Error::ImageTooLarge(format!(
            "the {} image is over the decode limits: {e}",
            format.label()
        )),
        image::ImageError::Unsupported(e) => Error::UnsupportedMediaType(format!(
            "this {} image uses a feature we cannot decode: {e}",
            format.label()
        )),
        other => corrupt(format, other),
    }
}

/// Decodes one still image with an `image` crate decoder. The decoder's own idea of the
/// size is checked against the limits again (our header parser could disagree with it),
/// and its allocation is bounded before any pixel buffer exists.
fn decode_with_image_crate(
    format: ImageFormat,
    mut decoder: impl image::ImageDecoder,
    limits: &Limits,
) -> Result<(DynamicImage, Option<Vec<u8>>), Error> {
    let err = |e| from_image_error(format, e);
    decoder.set_limits(limits.to_image_limits()).map_err(err)?;
    let (width, height) = decoder.dimensions();
    limits.check(width, height, 1)?;
    if decoder.total_bytes() > limits.max_pixels.saturating_mul(8) {
        return Err(Error::ImageTooLarge(format!(
            "the {} image needs {} bytes of pixels; over the limit",
            format.label(),
            decoder.total_bytes()
        )));
    }
    let icc_profile = decoder.icc_profile().map_err(err)?;
    let image = DynamicImage::from_decoder(decoder).map_err(err)?;
    Ok((image, icc_profile))
}

/// Allocates a zeroed pixel buffer, reporting failure instead of aborting the process.
fn alloc_pixels(len: usize) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len)
        .map_err(|_| Error::ImageTooLarge(format!("cannot allocate {len} bytes for pixels")))?;
    buf.resize(len, 0);
    Ok(buf)
}

/// Flattens 16-bit and alpha away for encoders that take 8-bit RGB: transparent pixels
/// become white (as a page background would show them) rather than revealing hidden RGB.
fn to_rgb8_on_white(image: &DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = image::RgbImage::new(w, h);
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        for c in 0..3 {
            dst[c] = ((u32::from(src[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

/// True when every pixel is opaque, so the alpha channel can be dropped on output.
fn is_opaque(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageRgba8(img) => img.pixels().all(|p| p[3] == 255),
        DynamicImage::ImageLumaA8(img) => img.pixels().all(|p| p[1] == 255),
        DynamicImage::ImageRgba16(img) => img.pixels().all(|p| p[3] == u16::MAX),
        DynamicImage::ImageLumaA16(img) => img.pixels().all(|p| p[1] == u16::MAX),
        other => !other.color().has_alpha(),
    }
}

#[cfg(test)]
mod details_tests;
#[cfg(test)]
mod tests;
