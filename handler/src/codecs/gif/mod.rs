//! GIF decoding through the `image` crate, plus a block scanner that counts frames and
//! reads the loop count without decompressing anything. Encoding is in `encode.rs`.
//!
//! Loop count: `Decoded::loop_count` is the number of plays (0 = forever), as in WebP.
//! A GIF without a NETSCAPE2.0 block plays once (1); a NETSCAPE repeat count n > 0 means
//! n repeats after the first play (n + 1 plays), as browsers do. Encoding is the inverse.
//! Delays are kept as stored (centiseconds × 10); no minimum is imposed.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder};

use super::{
    corrupt, from_image_error, ColourModel, Details, Frame, ImageFormat, Limits, Probe, RawDecoded,
};
use crate::error::Error;

mod encode;
pub(super) use encode::encode;

#[derive(Debug, PartialEq, Eq)]
struct GifInfo {
    /// The canvas: the logical screen, grown to hold the first frame (see `scan`).
    width: u32,
    height: u32,
    frames: u32,
    /// Plays, 0 = forever.
    loop_count: u16,
    has_transparency: bool,
    /// Byte range of the global colour table.
    global_table: Option<(usize, usize)>,
    has_local_tables: bool,
    /// Palette indices some frame declares transparent.
    transparent_indices: Vec<u8>,
    /// Byte ranges of extension blocks with labels the decoder does not know (it refuses
    /// them; browsers and libnsgif skip them, and so do we).
    unknown_blocks: Vec<(usize, usize)>,
    /// The graphic control blocks' delays added up, in milliseconds.
    duration_ms: u64,
}

/// Walks the block structure: O(file size), no LZW decoding, no allocation.
/// A truncated file counts the frames whose descriptors are complete.
fn scan(bytes: &[u8]) -> Result<GifInfo, Error> {
    let lsd = bytes
        .get(6..13)
        .ok_or_else(|| corrupt(ImageFormat::Gif, "the header ends early"))?;
    let mut info = GifInfo {
        width: u32::from(u16::from_le_bytes([lsd[0], lsd[1]])),
        height: u32::from(u16::from_le_bytes([lsd[2], lsd[3]])),
        frames: 0,
        loop_count: 1,
        has_transparency: false,
        global_table: None,
        has_local_tables: false,
        transparent_indices: Vec::new(),
        unknown_blocks: Vec::new(),
        duration_ms: 0,
    };
    let color_table_len = |packed: u8| {
        if packed & 0x80 != 0 {
            3 << ((packed & 7) + 1)
        } else {
            0
        }
    };
    let mut pos = 13 + color_table_len(lsd[4]);
    if lsd[4] & 0x80 != 0 && pos <= bytes.len() {
        info.global_table = Some((13, pos));
    }
    // Skips a chain of data sub-blocks; returns the position after the terminator.
    let skip_sub_blocks = |mut pos: usize| -> Option<usize> {
        loop {
            let len = usize::from(*bytes.get(pos)?);
            pos += 1;
            if len == 0 {
                return Some(pos);
            }
            pos += len;
        }
    };
    while let Some(&introducer) = bytes.get(pos) {
        match introducer {
            0x21 => {
                let Some(&label) = bytes.get(pos + 1) else {
                    break;
                };
                let body = pos + 2;
                if label == 0xF9 {
                    // Graphic control: the delay in centiseconds after the packed flags.
                    if let Some(delay) = bytes.get(body + 2..body + 4) {
                        info.duration_ms +=
                            u64::from(u16::from_le_bytes([delay[0], delay[1]])) * 10;
                    }
                }
                match label {
                    // Graphic control: size byte 4, then packed flags (bit 0 = transparency).
                    0xF9 if bytes.get(body + 1).is_some_and(|packed| packed & 1 != 0) => {
                        info.has_transparency = true;
                        if let Some(&index) = bytes.get(body + 4) {
                            if !info.transparent_indices.contains(&index) {
                                info.transparent_indices.push(index);
                            }
                        }
                    }
                    0xFF => {
                        let app = bytes.get(body..body + 12);
                        let sub = bytes.get(body + 12..body + 16);
                        if let (Some(app), Some(sub)) = (app, sub) {
                            let is_loop_block =
                                &app[1..] == b"NETSCAPE2.0" || &app[1..] == b"ANIMEXTS1.0";
                            if is_loop_block && sub[0] >= 3 && sub[1] == 1 {
                                let repeats = u16::from_le_bytes([sub[2], sub[3]]);
                                info.loop_count = if repeats == 0 {
                                    0
                                } else {
                                    repeats.saturating_add(1)
                                };
                            }
                        }
                    }
                    _ => {}
                }
                let Some(next) = skip_sub_blocks(body) else {
                    break;
                };
                // Plain text (0x01), graphic control, comment and application blocks
                // are the ones GIF89a defines.
                if !matches!(label, 0x01 | 0xF9 | 0xFE | 0xFF) {
                    info.unknown_blocks.push((pos, next));
                }
                pos = next;
            }
            0x2C => {
                let Some(descriptor) = bytes.get(pos + 1..pos + 10) else {
                    break;
                };
                if info.frames == 0 {
                    grow_to_first_frame(&mut info, descriptor);
                }
                info.has_local_tables |= descriptor[8] & 0x80 != 0;
                // Skip the local colour table and the LZW minimum code size byte.
                let data = pos + 10 + color_table_len(descriptor[8]) + 1;
                let Some(next) = skip_sub_blocks(data) else {
                    // Truncated inside the image data: still a frame the decoder will try.
                    info.frames += 1;
                    break;
                };
                info.frames += 1;
                pos = next;
            }
            _ => break, // trailer (0x3B) or garbage
        }
    }
    if info.frames == 0 {
        return Err(corrupt(ImageFormat::Gif, "no image data"));
    }
    Ok(info)
}

/// libnsgif (Sharp's GIF loader) grows the canvas to hold the first frame when that
/// frame reaches past the logical screen; later frames are clipped to the canvas. The
/// canvas stays within what the screen descriptor's 16-bit fields can say.
fn grow_to_first_frame(info: &mut GifInfo, descriptor: &[u8]) {
    let field = |i: usize| u32::from(u16::from_le_bytes([descriptor[i], descriptor[i + 1]]));
    let (left, top, width, height) = (field(0), field(2), field(4), field(6));
    let max = u32::from(u16::MAX);
    info.width = info.width.max((left + width).min(max));
    info.height = info.height.max((top + height).min(max));
}

pub(super) fn probe(bytes: &[u8]) -> Result<Probe, Error> {
    let info = scan(bytes)?;
    Ok(Probe {
        format: ImageFormat::Gif,
        width: info.width,
        height: info.height,
        frames: info.frames,
        orientation: 1,
        has_alpha: info.has_transparency,
    })
}

/// The header's facts beyond the probe, for a description: GIF is 8-bit palette colour.
pub(super) fn details(bytes: &[u8]) -> Result<Details, Error> {
    let info = scan(bytes)?;
    Ok(Details {
        probe: probe(bytes)?,
        bit_depth: 8,
        colour: ColourModel::Srgb,
        icc_profile: None,
        exif: None,
        duration_ms: (info.frames > 1).then_some(info.duration_ms),
    })
}

/// The colours of the global colour table, without the entries frames use as
/// transparent and without repeats; `None` when frames bring their own tables (then no
/// one palette describes the file).
fn source_palette(bytes: &[u8], info: &GifInfo) -> Option<Vec<[u8; 3]>> {
    let (start, end) = info.global_table.filter(|_| !info.has_local_tables)?;
    let mut colours: Vec<[u8; 3]> = Vec::new();
    for (index, rgb) in bytes[start..end].chunks_exact(3).enumerate() {
        let rgb = [rgb[0], rgb[1], rgb[2]];
        if !info.transparent_indices.contains(&(index as u8)) && !colours.contains(&rgb) {
            colours.push(rgb);
        }
    }
    Some(colours)
}

/// Decodes every frame composited onto the full canvas (disposal applied by the decoder).
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    let info = scan(bytes)?;
    let err = |e| from_image_error(ImageFormat::Gif, e);
    let cleaned;
    let bytes = if info.unknown_blocks.is_empty() && !screen_grown(bytes, &info) {
        bytes
    } else {
        let mut copy = without_ranges(bytes, &info.unknown_blocks);
        // The decoder composites onto the logical screen: give it the grown canvas.
        copy[6..8].copy_from_slice(&(info.width as u16).to_le_bytes());
        copy[8..10].copy_from_slice(&(info.height as u16).to_le_bytes());
        cleaned = copy;
        &cleaned[..]
    };
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(err)?;
    decoder.set_limits(limits.to_image_limits()).map_err(err)?;
    let (width, height) = decoder.dimensions();
    limits.check(width, height, info.frames)?;
    let mut frames = Vec::new();
    for frame in decoder.into_frames() {
        let frame = frame.map_err(err)?;
        // The scan already checked the count; this guards against a scan/decoder mismatch.
        if frames.len() as u32 >= limits.max_frames {
            return Err(Error::ImageTooLarge(format!(
                "animation has more than {} frames; the limit is {} frames",
                limits.max_frames, limits.max_frames
            )));
        }
        let (numer, denom) = frame.delay().numer_denom_ms();
        frames.push(Frame {
            delay_ms: numer.checked_div(denom).unwrap_or(0),
            image: DynamicImage::ImageRgba8(frame.into_buffer()),
        });
    }
    if !info.has_transparency {
        // A still GIF without transparency needs no alpha channel (smaller, and
        // JPEG-ready).
        if frames.len() == 1 {
            frames[0].image = DynamicImage::ImageRgb8(frames[0].image.to_rgb8());
            frames[0].delay_ms = 0;
        } else {
            // Canvas no frame covers is opaque black, as libnsgif leaves it when the file
            // declares no transparent colour.
            for frame in &mut frames {
                if let DynamicImage::ImageRgba8(rgba) = &mut frame.image {
                    rgba.pixels_mut().for_each(|p| p[3] = 255);
                }
            }
        }
    }
    Ok(RawDecoded {
        frames,
        loop_count: info.loop_count,
        icc_profile: None,
        palette: source_palette(bytes, &info),
    })
}

fn screen_grown(bytes: &[u8], info: &GifInfo) -> bool {
    let field = |i: usize| u32::from(u16::from_le_bytes([bytes[i], bytes[i + 1]]));
    (field(6), field(8)) != (info.width, info.height)
}

/// `bytes` without the given (sorted, disjoint) ranges.
fn without_ranges(bytes: &[u8], ranges: &[(usize, usize)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut from = 0;
    for &(start, end) in ranges {
        out.extend_from_slice(&bytes[from..start]);
        from = end;
    }
    out.extend_from_slice(&bytes[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::tests::fixture;
    use crate::codecs::{
        decode, encode as encode_any, sniff, DecodeOptions, EncodeOptions, OutputFormat,
    };
    use image::{Rgba, RgbaImage};

    fn animation(frame_count: u32) -> Vec<Frame> {
        (0..frame_count)
            .map(|i| Frame {
                image: DynamicImage::ImageRgba8(RgbaImage::from_fn(20, 10, |x, _| {
                    if x == i % 20 {
                        Rgba([255, 0, 0, 255])
                    } else {
                        Rgba([0, 0, 255, 255])
                    }
                })),
                delay_ms: 40 + 10 * (i % 3),
            })
            .collect()
    }

    #[test]
    fn rotating_squares_has_30_composited_frames() {
        let gif = fixture("rotating-squares.gif");
        let info = scan(&gif).unwrap();
        assert_eq!((info.width, info.height, info.frames), (80, 80, 30));
        assert!(info.has_transparency);
        let decoded = decode(&gif, &DecodeOptions::default()).unwrap();
        assert_eq!(decoded.frames.len(), 30);
        assert_eq!(decoded.loop_count, 0, "loops forever");
        for frame in &decoded.frames {
            assert_eq!((frame.image.width(), frame.image.height()), (80, 80));
            assert!(frame.delay_ms > 0);
        }
    }

    #[test]
    fn source_palette_is_the_global_table_without_transparent_or_repeated_entries() {
        // 4-entry global table (red, green, red again, blue), index 1 transparent.
        let mut gif = b"GIF89a\x01\x00\x01\x00\x81\x00\x00".to_vec();
        gif.extend_from_slice(&[255, 0, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255]);
        gif.extend_from_slice(b"\x21\xf9\x04\x01\x00\x00\x01\x00");
        gif.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b");
        // Decoding hands it on with the frames.
        let palette = |gif: &[u8]| decode(gif, &DecodeOptions::default()).unwrap().palette;
        assert_eq!(palette(&gif), Some(vec![[255, 0, 0], [0, 0, 255]]));
        // Frames with their own tables: no single palette.
        assert_eq!(palette(&fixture("rotating-squares.gif")), None);
    }

    #[test]
    fn frame_limit_refuses_before_decoding() {
        let gif = fixture("rotating-squares.gif");
        let mut opts = DecodeOptions::default();
        opts.limits.max_frames = 29;
        match decode(&gif, &opts) {
            Err(Error::ImageTooLarge(msg)) => assert!(msg.contains("30 frames"), "{msg}"),
            other => panic!("expected ImageTooLarge, got {other:?}"),
        }
        opts.limits.max_frames = 500;
        opts.limits.max_total_pixels = 80 * 80 * 29;
        assert!(matches!(decode(&gif, &opts), Err(Error::ImageTooLarge(_))));
    }

    #[test]
    fn unknown_extension_blocks_are_skipped() {
        // 1×1 red pixel with an extension block of label 0x99 before the image.
        let mut gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\x00\x00\x00\x00\xff".to_vec();
        gif.extend_from_slice(b"\x21\x99\x03abc\x02xy\x00");
        let image = b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
        gif.extend_from_slice(image);
        let decoded = decode(&gif, &DecodeOptions::default()).unwrap();
        assert_eq!(
            decoded.frames[0].image.to_rgb8().get_pixel(0, 0).0,
            [255, 0, 0]
        );
        // Null model: the same file handed to the decoder as it is fails.
        let err = |e| from_image_error(ImageFormat::Gif, e);
        let raw = GifDecoder::new(Cursor::new(&gif[..]))
            .map_err(err)
            .and_then(|d| DynamicImage::from_decoder(d).map_err(err));
        assert!(raw.is_err());
    }

    #[test]
    fn thousands_of_frames_are_counted_cheaply() {
        // A 1×1 GIF with 5000 tiny frames: the scan refuses it without decoding any.
        let mut gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
        for _ in 0..5000 {
            gif.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
        }
        gif.push(0x3B);
        assert_eq!(scan(&gif).unwrap().frames, 5000);
        assert!(matches!(
            decode(&gif, &DecodeOptions::default()),
            Err(Error::ImageTooLarge(_))
        ));
    }

    #[test]
    fn animated_round_trip_keeps_frames_delays_and_loops() {
        for loop_count in [0u16, 1, 3] {
            let frames = animation(6);
            let opts = EncodeOptions {
                format: OutputFormat::Gif,
                quality: None,
                lossless: false,
                palette: None,
                cmyk: false,
            };
            let gif = encode_any(&frames, loop_count, &opts).unwrap();
            assert_eq!(sniff(&gif), Some(ImageFormat::Gif));
            let decoded = decode(&gif, &DecodeOptions::default()).unwrap();
            assert_eq!(decoded.frames.len(), 6);
            assert_eq!(decoded.loop_count, loop_count);
            let delays: Vec<u32> = decoded.frames.iter().map(|f| f.delay_ms).collect();
            assert_eq!(delays, vec![40, 50, 60, 40, 50, 60]);
            // The red column moves one pixel per frame.
            let third = decoded.frames[2].image.to_rgba8();
            assert!(third.get_pixel(2, 5)[0] > 200 && third.get_pixel(3, 5)[0] < 50);
        }
    }

    #[test]
    fn corrupt_gif_is_unprocessable() {
        let gif = encode(&animation(2), 0, false, None).unwrap();
        // Cut inside the first frame's LZW data.
        let cut = &gif[..gif.len() / 2];
        assert!(matches!(
            decode(cut, &DecodeOptions::default()),
            Err(Error::UnprocessableImage(_))
        ));
        // Garbage after a valid header.
        let mut garbage = gif[..13].to_vec();
        garbage.extend_from_slice(&[0x2C, 1, 2, 3]);
        assert!(decode(&garbage, &DecodeOptions::default()).is_err());
    }
}
