//! WebP through libwebp 1.6 (`libwebp-sys`, vendored and built by `cc`): lossy, lossless,
//! alpha and animation, for both decoding (WebPDecode / WebPAnimDecoder, which composites
//! frames onto the canvas) and encoding (WebPEncode / WebPAnimEncoder).
//!
//! Every libwebp object lives in a small RAII wrapper so early returns cannot leak it.

use std::ffi::{c_int, c_void, CStr};
use std::ptr;

use image::{DynamicImage, RgbImage, RgbaImage};
use libwebp_sys as sys;

use super::{
    alloc_pixels, corrupt, is_opaque, orient, ColourModel, Details, Frame, ImageFormat, Limits,
    Probe, RawDecoded,
};
use crate::error::Error;

pub(super) const DEFAULT_QUALITY: u8 = 80;
/// libwebp's speed/size trade-off 0–6; 4 is cwebp's and sharp's default.
const METHOD: c_int = 4;
/// Lossless: "quality" is compression effort. cwebp's defaults (method 4, effort 75) took
/// 164 ms for a 500 px photo; method 3 / effort 50 takes 65 ms for a 5% larger file.
const LOSSLESS_METHOD: c_int = 3;
const LOSSLESS_EFFORT: f32 = 50.0;
const MAX_DIMENSION: u32 = 16383;

/// What the RIFF chunks say.
#[derive(Debug, Default)]
struct WebpHeader {
    width: u32,
    height: u32,
    frames: u32,
    has_alpha: bool,
    animated: bool,
    orientation: u8,
    icc_profile: Option<Vec<u8>>,
    /// Where the EXIF chunk's TIFF-structured block is.
    exif: Option<std::ops::Range<usize>>,
    /// The frames' durations added up (ANMF).
    duration_ms: u64,
}

fn le24(b: &[u8]) -> u32 {
    u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16
}

fn scan_chunks(bytes: &[u8]) -> Result<WebpHeader, Error> {
    let truncated = || corrupt(ImageFormat::Webp, "the header ends early");
    let mut header = WebpHeader {
        orientation: 1,
        ..WebpHeader::default()
    };
    let mut pos = 12;
    let mut first = true;
    while let Some(head) = bytes.get(pos..pos + 8) {
        let fourcc = &head[0..4];
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let data = &bytes[pos + 8..bytes.len().min(pos + 8 + len)];
        match fourcc {
            b"VP8X" if first => {
                let d = data.get(..10).ok_or_else(truncated)?;
                header.has_alpha = d[0] & 0x10 != 0;
                header.animated = d[0] & 0x02 != 0;
                header.width = 1 + le24(&d[4..7]);
                header.height = 1 + le24(&d[7..10]);
            }
            b"VP8 " if first => {
                let d = data.get(..10).ok_or_else(truncated)?;
                if d[3..6] != [0x9d, 0x01, 0x2a] {
                    return Err(corrupt(ImageFormat::Webp, "bad VP8 start code"));
                }
                header.width = u32::from(u16::from_le_bytes([d[6], d[7]]) & 0x3fff);
                header.height = u32::from(u16::from_le_bytes([d[8], d[9]]) & 0x3fff);
            }
            b"VP8L" if first => {
                let d = data.get(..5).ok_or_else(truncated)?;
                if d[0] != 0x2f {
                    return Err(corrupt(ImageFormat::Webp, "bad VP8L signature"));
                }
                let bits = u32::from_le_bytes([d[1], d[2], d[3], d[4]]);
                header.width = (bits & 0x3fff) + 1;
                header.height = ((bits >> 14) & 0x3fff) + 1;
                header.has_alpha = (bits >> 28) & 1 != 0;
            }
            b"ANMF" => {
                header.frames += 1;
                // X, Y, width-1 and height-1 (24 bits each), then the duration.
                if let Some(duration) = data.get(12..15) {
                    header.duration_ms += u64::from(le24(duration));
                }
            }
            b"ALPH" => header.has_alpha = true,
            b"ICCP" => header.icc_profile = Some(data.to_vec()),
            b"EXIF" => {
                let (skip, exif) = match data.strip_prefix(b"Exif\0\0") {
                    Some(rest) => (6, rest),
                    None => (0, data),
                };
                header.orientation = orient::from_exif(exif);
                let start = pos + 8 + skip;
                header.exif = Some(start..start + exif.len());
            }
            _ if first => return Err(corrupt(ImageFormat::Webp, "unknown first chunk")),
            _ => {}
        }
        first = false;
        // Chunks are padded to an even length.
        pos = pos
            .saturating_add(8)
            .saturating_add(len)
            .saturating_add(len & 1);
    }
    if first {
        return Err(truncated());
    }
    if !header.animated {
        header.frames = 1;
    }
    Ok(header)
}

pub(super) fn probe(bytes: &[u8]) -> Result<Probe, Error> {
    let header = scan_chunks(bytes)?;
    Ok(Probe {
        format: ImageFormat::Webp,
        width: header.width,
        height: header.height,
        frames: header.frames,
        orientation: header.orientation,
        has_alpha: header.has_alpha,
    })
}

/// The header's facts beyond the probe, for a description: WebP is 8-bit RGB(A).
pub(super) fn details(bytes: &[u8]) -> Result<Details, Error> {
    let header = scan_chunks(bytes)?;
    Ok(Details {
        probe: probe(bytes)?,
        bit_depth: 8,
        colour: ColourModel::Srgb,
        exif: header
            .exif
            .and_then(|range| bytes.get(range))
            .map(<[u8]>::to_vec),
        icc_profile: header.icc_profile,
        duration_ms: header.animated.then_some(header.duration_ms),
    })
}

pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    let header = scan_chunks(bytes)?;
    let mut features: sys::WebPBitstreamFeatures = unsafe { std::mem::zeroed() };
    let status = unsafe { sys::WebPGetFeatures(bytes.as_ptr(), bytes.len(), &mut features) };
    if status != sys::VP8StatusCode::VP8_STATUS_OK {
        return Err(corrupt(ImageFormat::Webp, format!("{status:?}")));
    }
    let frames = if features.has_animation != 0 {
        decode_animation(bytes, limits)?
    } else {
        let (width, height) = (features.width as u32, features.height as u32);
        limits.check(width, height, 1)?;
        vec![Frame {
            image: decode_still(bytes, width, height, features.has_alpha != 0)?,
            delay_ms: 0,
        }]
    };
    Ok(RawDecoded {
        frames,
        loop_count: animation_loop_count(bytes),
        icc_profile: header.icc_profile,
        palette: None,
    })
}

fn decode_still(bytes: &[u8], width: u32, height: u32, alpha: bool) -> Result<DynamicImage, Error> {
    let channels = if alpha { 4 } else { 3 };
    let stride = width as usize * channels;
    let mut pixels = alloc_pixels(stride * height as usize)?;
    let out = unsafe {
        if alpha {
            sys::WebPDecodeRGBAInto(
                bytes.as_ptr(),
                bytes.len(),
                pixels.as_mut_ptr(),
                pixels.len(),
                stride as c_int,
            )
        } else {
            sys::WebPDecodeRGBInto(
                bytes.as_ptr(),
                bytes.len(),
                pixels.as_mut_ptr(),
                pixels.len(),
                stride as c_int,
            )
        }
    };
    if out.is_null() {
        return Err(corrupt(
            ImageFormat::Webp,
            "libwebp could not decode the bitstream",
        ));
    }
    let bad = || Error::Internal("WebP pixel buffer size mismatch".into());
    Ok(if alpha {
        DynamicImage::ImageRgba8(RgbaImage::from_raw(width, height, pixels).ok_or_else(bad)?)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, pixels).ok_or_else(bad)?)
    })
}

struct AnimDecoder(*mut sys::WebPAnimDecoder);

impl Drop for AnimDecoder {
    fn drop(&mut self) {
        unsafe { sys::WebPAnimDecoderDelete(self.0) }
    }
}

fn decode_animation(bytes: &[u8], limits: &Limits) -> Result<Vec<Frame>, Error> {
    let data = sys::WebPData {
        bytes: bytes.as_ptr(),
        size: bytes.len(),
    };
    let mut options: sys::WebPAnimDecoderOptions = unsafe { std::mem::zeroed() };
    if unsafe { sys::WebPAnimDecoderOptionsInit(&mut options) } == 0 {
        return Err(Error::Internal("libwebp demux version mismatch".into()));
    }
    options.color_mode = sys::WEBP_CSP_MODE::MODE_RGBA;
    options.use_threads = 0;
    let decoder = AnimDecoder(unsafe { sys::WebPAnimDecoderNew(&data, &options) });
    if decoder.0.is_null() {
        return Err(corrupt(ImageFormat::Webp, "invalid animation"));
    }
    let mut info = sys::WebPAnimInfo::default();
    if unsafe { sys::WebPAnimDecoderGetInfo(decoder.0, &mut info) } == 0 {
        return Err(corrupt(ImageFormat::Webp, "invalid animation"));
    }
    let (width, height) = (info.canvas_width, info.canvas_height);
    limits.check(width, height, info.frame_count)?;
    let canvas_len = width as usize * height as usize * 4;
    let mut frames = Vec::with_capacity(info.frame_count as usize);
    let mut previous_timestamp = 0;
    while unsafe { sys::WebPAnimDecoderHasMoreFrames(decoder.0) } != 0 {
        let mut canvas: *mut u8 = ptr::null_mut();
        let mut timestamp: c_int = 0;
        if unsafe { sys::WebPAnimDecoderGetNext(decoder.0, &mut canvas, &mut timestamp) } == 0
            || canvas.is_null()
        {
            return Err(corrupt(
                ImageFormat::Webp,
                "an animation frame does not decode",
            ));
        }
        // The canvas belongs to the decoder and is reused for the next frame: copy it.
        let mut pixels = alloc_pixels(canvas_len)?;
        pixels.copy_from_slice(unsafe { std::slice::from_raw_parts(canvas, canvas_len) });
        let image = RgbaImage::from_raw(width, height, pixels)
            .ok_or_else(|| Error::Internal("WebP canvas size mismatch".into()))?;
        frames.push(Frame {
            image: DynamicImage::ImageRgba8(image),
            delay_ms: (timestamp - previous_timestamp).max(0) as u32,
        });
        previous_timestamp = timestamp;
    }
    Ok(frames)
}

/// The ANIM chunk's loop count (0 = forever); 0 for still images.
fn animation_loop_count(bytes: &[u8]) -> u16 {
    let mut pos = 12;
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        if &head[0..4] == b"ANIM" {
            return bytes
                .get(pos + 12..pos + 14)
                .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        }
        pos = pos
            .saturating_add(8)
            .saturating_add(len)
            .saturating_add(len & 1);
    }
    0
}

fn encoder_config(quality: Option<u8>, lossless: bool) -> Result<sys::WebPConfig, Error> {
    let mut config =
        sys::WebPConfig::new().map_err(|()| Error::Internal("libwebp version mismatch".into()))?;
    config.method = METHOD;
    if lossless {
        config.lossless = 1;
        config.method = LOSSLESS_METHOD;
        config.quality = LOSSLESS_EFFORT;
        // Keep RGB under transparent pixels, so lossless really is pixel-exact.
        config.exact = 1;
    } else {
        config.quality = f32::from(quality.unwrap_or(DEFAULT_QUALITY));
    }
    if unsafe { sys::WebPValidateConfig(&config) } == 0 {
        return Err(Error::Internal("invalid WebP encoder configuration".into()));
    }
    Ok(config)
}

/// A WebPPicture that owns the pixels libwebp imported (freed on drop).
struct Picture(sys::WebPPicture);

impl Picture {
    fn import(image: &DynamicImage, lossless: bool) -> Result<Self, Error> {
        let mut picture = sys::WebPPicture::new()
            .map_err(|()| Error::Internal("libwebp version mismatch".into()))?;
        picture.width = image.width() as c_int;
        picture.height = image.height() as c_int;
        picture.use_argb = c_int::from(lossless);
        let mut picture = Picture(picture);
        let ok = if image.color().has_alpha() && !is_opaque(image) {
            let rgba = image.to_rgba8();
            let stride = (image.width() * 4) as c_int;
            unsafe { sys::WebPPictureImportRGBA(&mut picture.0, rgba.as_ptr(), stride) }
        } else {
            let rgb = image.to_rgb8();
            let stride = (image.width() * 3) as c_int;
            unsafe { sys::WebPPictureImportRGB(&mut picture.0, rgb.as_ptr(), stride) }
        };
        if ok == 0 {
            return Err(Error::Internal(
                "libwebp could not import the pixels".into(),
            ));
        }
        Ok(picture)
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        unsafe { sys::WebPPictureFree(&mut self.0) }
    }
}

pub(super) fn encode(
    frames: &[Frame],
    loop_count: u16,
    quality: Option<u8>,
    lossless: bool,
) -> Result<Vec<u8>, Error> {
    let (width, height) = (frames[0].image.width(), frames[0].image.height());
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Error::OutputTooLarge(format!(
            "WebP output is limited to {MAX_DIMENSION}x{MAX_DIMENSION}; this image is {width}x{height}"
        )));
    }
    let config = encoder_config(quality, lossless)?;
    if frames.len() > 1 {
        encode_animation(frames, loop_count, &config)
    } else {
        encode_still(&frames[0].image, &config)
    }
}

fn encode_still(image: &DynamicImage, config: &sys::WebPConfig) -> Result<Vec<u8>, Error> {
    let mut picture = Picture::import(image, config.lossless != 0)?;
    let mut writer: sys::WebPMemoryWriter = unsafe { std::mem::zeroed() };
    unsafe { sys::WebPMemoryWriterInit(&mut writer) };
    picture.0.writer = Some(sys::WebPMemoryWrite);
    picture.0.custom_ptr = (&mut writer as *mut sys::WebPMemoryWriter).cast::<c_void>();
    let ok = unsafe { sys::WebPEncode(config, &mut picture.0) };
    let result = if ok != 0 && !writer.mem.is_null() {
        Ok(unsafe { std::slice::from_raw_parts(writer.mem, writer.size) }.to_vec())
    } else {
        Err(Error::Internal(format!(
            "WebP encoder failed: {:?}",
            picture.0.error_code
        )))
    };
    unsafe { sys::WebPMemoryWriterClear(&mut writer) };
    result
}

struct AnimEncoder(*mut sys::WebPAnimEncoder);

impl AnimEncoder {
    fn error(&self) -> Error {
        let message = unsafe { sys::WebPAnimEncoderGetError(self.0) };
        let text = if message.is_null() {
            "unknown error".into()
        } else {
            unsafe { CStr::from_ptr(message) }
                .to_string_lossy()
                .into_owned()
        };
        Error::Internal(format!("WebP animation encoder: {text}"))
    }
}

impl Drop for AnimEncoder {
    fn drop(&mut self) {
        unsafe { sys::WebPAnimEncoderDelete(self.0) }
    }
}

fn encode_animation(
    frames: &[Frame],
    loop_count: u16,
    config: &sys::WebPConfig,
) -> Result<Vec<u8>, Error> {
    let (width, height) = (frames[0].image.width(), frames[0].image.height());
    let mut options: sys::WebPAnimEncoderOptions = unsafe { std::mem::zeroed() };
    if unsafe {
        sys::WebPAnimEncoderOptionsInitInternal(&mut options, sys::WEBP_MUX_ABI_VERSION as c_int)
    } == 0
    {
        return Err(Error::Internal("libwebp mux version mismatch".into()));
    }
    options.anim_params.loop_count = c_int::from(loop_count);
    let encoder = AnimEncoder(unsafe {
        sys::WebPAnimEncoderNewInternal(
            width as c_int,
            height as c_int,
            &options,
            sys::WEBP_MUX_ABI_VERSION as c_int,
        )
    });
    if encoder.0.is_null() {
        return Err(Error::Internal(
            "could not create the WebP animation encoder".into(),
        ));
    }
    let mut timestamp: c_int = 0;
    for frame in frames {
        if (frame.image.width(), frame.image.height()) != (width, height) {
            return Err(Error::Internal("animation frames differ in size".into()));
        }
        let mut picture = Picture::import(&frame.image, config.lossless != 0)?;
        if unsafe { sys::WebPAnimEncoderAdd(encoder.0, &mut picture.0, timestamp, config) } == 0 {
            return Err(encoder.error());
        }
        timestamp = timestamp.saturating_add(c_int::try_from(frame.delay_ms).unwrap_or(c_int::MAX));
    }
    // A final NULL frame tells the encoder how long the last frame lasts.
    if unsafe { sys::WebPAnimEncoderAdd(encoder.0, ptr::null_mut(), timestamp, ptr::null()) } == 0 {
        return Err(encoder.error());
    }
    let mut data = sys::WebPData::default();
    if unsafe { sys::WebPAnimEncoderAssemble(encoder.0, &mut data) } == 0 {
        return Err(encoder.error());
    }
    let out = unsafe { std::slice::from_raw_parts(data.bytes, data.size) }.to_vec();
    unsafe { sys::WebPDataClear(&mut data) };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::tests::{fixture, gradient_rgb};
    use crate::codecs::{decode, probe, DecodeOptions};
    use image::Rgba;

    fn opts() -> DecodeOptions {
        DecodeOptions::default()
    }

    #[test]
    fn lossless_round_trips_pixels_exactly() {
        let mut img = RgbaImage::new(37, 23);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = Rgba([
                (x * 7) as u8,
                (y * 11) as u8,
                (x * y) as u8,
                if x % 5 == 0 { 0 } else { 255 - y as u8 },
            ]);
        }
        let img = DynamicImage::ImageRgba8(img);
        let frame = [Frame {
            image: img.clone(),
            delay_ms: 0,
        }];
        let webp = encode(&frame, 0, None, true).unwrap();
        let header = probe(&webp).unwrap();
        assert_eq!(
            (header.width, header.height, header.has_alpha),
            (37, 23, true)
        );
        let decoded = decode(&webp, &opts()).unwrap();
        assert_eq!(
            decoded.frames[0].image.to_rgba8().as_raw(),
            img.to_rgba8().as_raw()
        );
    }

    #[test]
    fn lossy_quality_lowers_size_and_opaque_has_no_alpha() {
        let img = DynamicImage::ImageRgb8(gradient_rgb(320, 240));
        let frame = |image: &DynamicImage| {
            [Frame {
                image: image.clone(),
                delay_ms: 0,
            }]
        };
        let low = encode(&frame(&img), 0, Some(30), false).unwrap();
        let high = encode(&frame(&img), 0, Some(95), false).unwrap();
        assert!(low.len() < high.len(), "{} vs {}", low.len(), high.len());
        let decoded = decode(&low, &opts()).unwrap();
        assert_eq!(decoded.frames[0].image.color(), image::ColorType::Rgb8);
        assert_eq!((decoded.source_width, decoded.source_height), (320, 240));
    }

    #[test]
    fn animated_round_trip_keeps_frames_delays_and_loop() {
        let gif = fixture("rotating-squares.gif");
        let source = decode(&gif, &opts()).unwrap();
        let webp = encode(&source.frames, 3, Some(75), false).unwrap();
        let header = probe(&webp).unwrap();
        assert_eq!((header.width, header.height), (80, 80));
        // libwebp merges consecutive identical frames by lengthening the first.
        assert!(
            (2..=30).contains(&header.frames),
            "{} frames",
            header.frames
        );
        let decoded = decode(&webp, &opts()).unwrap();
        assert_eq!(decoded.frames.len() as u32, header.frames);
        assert_eq!(decoded.loop_count, 3);
        let total = |frames: &[Frame]| frames.iter().map(|f| f.delay_ms).sum::<u32>();
        assert_eq!(total(&source.frames), total(&decoded.frames));
        // Each output frame looks like the source frame shown at the same moment.
        let mut t = 0;
        for frame in &decoded.frames {
            let mut shown = 0;
            let mut elapsed = 0;
            for (i, f) in source.frames.iter().enumerate() {
                if elapsed <= t {
                    shown = i;
                }
                elapsed += f.delay_ms;
            }
            let diff =
                crate::codecs::tests::visible_diff(&frame.image, &source.frames[shown].image);
            assert!(diff < 10.0, "frame at {t} ms differs by {diff}");
            t += frame.delay_ms;
        }
    }

    #[test]
    fn corrupt_and_truncated_webp_are_unprocessable() {
        let img = DynamicImage::ImageRgb8(gradient_rgb(64, 64));
        let webp = encode(
            &[Frame {
                image: img,
                delay_ms: 0,
            }],
            0,
            Some(80),
            false,
        )
        .unwrap();
        let truncated = &webp[..webp.len() * 2 / 3];
        assert!(matches!(
            decode(truncated, &opts()),
            Err(Error::UnprocessableImage(_))
        ));
        let mut flipped = webp.clone();
        for b in flipped.iter_mut().skip(40).step_by(7) {
            *b ^= 0x5A;
        }
        // Flipped payload bytes either fail or decode to something; never panic.
        let _ = decode(&flipped, &opts());
        let mut bad_size = webp.clone();
        bad_size[26..30].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert!(decode(&bad_size, &opts()).is_err());
    }
}
