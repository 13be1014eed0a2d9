//! Codecs: sniff by magic bytes, probe dimensions before decoding, decode within
//! limits, encode. (Interim implementation on the `image` crate; the full codec set
//! with DCT shrink-on-load, libwebp and AVIF replaces it.)

use crate::error::{Error, Result};
use image::{DynamicImage, ImageDecoder};
use std::io::Cursor;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

/// Identifies an image by its first bytes.
pub fn sniff(b: &[u8]) -> Option<ImageFormat> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ImageFormat::Jpeg);
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ImageFormat::Png);
    }
    if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Some(ImageFormat::Webp);
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some(ImageFormat::Gif);
    }
    if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        return Some(ImageFormat::Tiff);
    }
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        let brand = &b[8..12];
        return match brand {
            b"avif" | b"avis" => Some(ImageFormat::Avif),
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
                Some(ImageFormat::Heic)
            }
            _ => None,
        };
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::Webp => "image/webp",
            OutputFormat::Gif => "image/gif",
            OutputFormat::Tiff => "image/tiff",
            OutputFormat::Avif => "image/avif",
        }
    }
}

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

#[derive(Debug, Clone)]
pub struct Probe {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub frames: u32,
    pub orientation: u8,
    pub has_alpha: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_pixels: u64,
    pub max_frames: u32,
    pub max_total_pixels: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    pub limits: Limits,
    pub shrink_to: Option<(u32, u32)>,
}

pub struct Frame {
    pub image: DynamicImage,
    pub delay_ms: u32,
}

pub struct Decoded {
    pub format: ImageFormat,
    pub frames: Vec<Frame>,
    pub loop_count: u16,
    pub source_width: u32,
    pub source_height: u32,
}

pub struct EncodeOptions {
    pub format: OutputFormat,
    pub quality: Option<u8>,
    pub lossless: bool,
}

fn image_format(f: ImageFormat) -> Result<image::ImageFormat> {
    Ok(match f {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
        ImageFormat::Gif => image::ImageFormat::Gif,
        ImageFormat::Tiff => image::ImageFormat::Tiff,
        other => {
            return Err(Error::UnsupportedMediaType(format!(
                "{} images cannot be decoded by this service",
                other.name().to_uppercase()
            )))
        }
    })
}

fn reader(bytes: &[u8], f: ImageFormat) -> Result<image::ImageReader<Cursor<&[u8]>>> {
    let mut r = image::ImageReader::new(Cursor::new(bytes));
    r.set_format(image_format(f)?);
    Ok(r)
}

pub fn probe(bytes: &[u8]) -> Result<Probe> {
    let format = sniff(bytes).ok_or_else(|| {
        Error::UnsupportedMediaType("the stored object is not a supported image".into())
    })?;
    let dec = reader(bytes, format)?
        .into_decoder()
        .map_err(|e| Error::UnprocessableImage(format!("cannot read the image header: {e}")))?;
    let (width, height) = dec.dimensions();
    let has_alpha = dec.color_type().has_alpha();
    Ok(Probe {
        format,
        width,
        height,
        frames: 1,
        orientation: 1,
        has_alpha,
    })
}

/// A whole JPEG ends with the EOI marker, possibly followed by padding.
fn ends_with_eoi(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

pub fn decode(bytes: &[u8], opts: &DecodeOptions) -> Result<Decoded> {
    let p = probe(bytes)?;
    let pixels = p.width as u64 * p.height as u64;
    if pixels > opts.limits.max_pixels {
        return Err(Error::ImageTooLarge(format!(
            "the image is {}x{} ({pixels} pixels); the limit is {} pixels",
            p.width, p.height, opts.limits.max_pixels
        )));
    }
    if p.format == ImageFormat::Jpeg && !ends_with_eoi(bytes) {
        // The JPEG decoder pads a truncated scan with grey; refuse it as Sharp does.
        return Err(Error::UnprocessableImage(
            "the JPEG is truncated (no end-of-image marker)".into(),
        ));
    }
    let mut r = reader(bytes, p.format)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(opts.limits.max_pixels.saturating_mul(16));
    r.limits(limits);
    let image = r
        .decode()
        .map_err(|e| Error::UnprocessableImage(format!("the image could not be decoded: {e}")))?;
    Ok(Decoded {
        format: p.format,
        source_width: image.width(),
        source_height: image.height(),
        frames: vec![Frame { image, delay_ms: 0 }],
        loop_count: 0,
    })
}

pub fn encode(frames: &[Frame], _loop_count: u16, opts: &EncodeOptions) -> Result<Vec<u8>> {
    let frame = frames
        .first()
        .ok_or_else(|| Error::Internal("nothing to encode".into()))?;
    let mut out = Cursor::new(Vec::new());
    let res = match opts.format {
        OutputFormat::Jpeg => {
            let q = opts.quality.unwrap_or(80);
            let enc = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q);
            frame.image.to_rgb8().write_with_encoder(enc)
        }
        OutputFormat::Png => frame.image.write_to(&mut out, image::ImageFormat::Png),
        OutputFormat::Webp => frame
            .image
            .to_rgba8()
            .write_to(&mut out, image::ImageFormat::WebP),
        OutputFormat::Gif => frame
            .image
            .to_rgba8()
            .write_to(&mut out, image::ImageFormat::Gif),
        OutputFormat::Tiff => frame.image.write_to(&mut out, image::ImageFormat::Tiff),
        OutputFormat::Avif => {
            return Err(Error::UnsupportedMediaType(
                "AVIF output is not available yet".into(),
            ))
        }
    };
    res.map_err(|e| Error::Internal(format!("encode failed: {e}")))?;
    Ok(out.into_inner())
}
