//! GIF encoding with one palette for the whole animation and frame differencing.
//!
//! Animations are where GIF files grow: writing every frame whole, each with its own
//! palette, costs ten to twenty times what a viewer needs. So, like gifsicle and cgif:
//! - One global palette, chosen in this order: every opaque colour of every frame when
//!   they fit in 256 after colours within `MERGE_TOLERANCE` share an entry (no merging
//!   with `lossless`); else the source GIF's own palette if it still suits the frames
//!   (Sharp's `reuse`, not with `lossless`); else NeuQuant learns one from a sample of
//!   every frame. A colour always maps to the same index, so a pixel that does not
//!   change between frames keeps its index, and differencing works on what the viewer
//!   will show.
//! - A frame that shows the same as the one before is not written; the one before shows
//!   longer.
//! - Each frame after the first covers only the rectangle where the shown canvas changes,
//!   and inside it an unchanged pixel is the transparent index (long runs LZW packs well).
//! - GIF cannot turn a shown pixel transparent with a transparent index (that shows what
//!   is beneath). When the next frame needs that, this frame's rectangle grows to cover
//!   those pixels and is disposed to background (cleared) after it shows; the next frame
//!   then repaints whatever in the cleared area stays opaque.
//!
//! No dithering: flat colours stay exact and files stay small; photo-like GIFs with more
//! than 256 colours show some banding (Sharp dithers).
//!
//! Transparency is on or off per pixel: alpha below half is transparent, as libvips cuts
//! it (cutting at 0 turns a resize's soft edge into an opaque dark fringe).

use std::borrow::Cow;
use std::collections::HashMap;

use color_quant::NeuQuant;
use gif::{DisposalMethod, Repeat};
use image::{DynamicImage, RgbaImage};

use super::Frame;
use crate::error::Error;

/// NeuQuant learns from at most this many pixels; larger animations are sampled evenly.
const MAX_TRAINING_PIXELS: usize = 1 << 20;
/// NeuQuant's learning steps are (training pixels / sampling factor); the factor is chosen
/// to keep them near this many (≈ 0.1 s), using every pixel of small images.
const LEARNING_STEPS: usize = 100_000;
/// Colours whose channels all differ by at most this much share a palette entry unless
/// the output is lossless: hardly visible (6 of 255 levels), it keeps anti-aliasing noise
/// from making unchanged areas look changed between frames, and it often brings a resized
/// animation's blended colours under 256 without quantising.
const MERGE_TOLERANCE: u8 = 6;
/// Colours counted for merging at most; more than this many are quantised by NeuQuant.
const MAX_MERGED_COLOURS: usize = 1 << 15;
/// The source's palette is reused while its mean channel error on the frames stays at
/// most this (a resize of a palette GIF: ≈ 2.4; after a tint or modulate: far more).
const REUSE_MAX_MEAN_ERROR: f64 = 3.0;

/// `lossless` keeps every colour when they fit in the palette (close colours are merged
/// otherwise, see `MERGE_TOLERANCE`) and always learns a fresh palette when they do not.
/// `source_palette`: the input GIF's colours, reused (as Sharp does) when more than 256
/// colours remain and they still suit the frames: smaller files (≈ ¼ on resized photos)
/// for a little more error than a fresh palette.
pub(in crate::codecs) fn encode(
    frames: &[Frame],
    loop_count: u16,
    lossless: bool,
    source_palette: Option<&[[u8; 3]]>,
) -> Result<Vec<u8>, Error> {
    let Some(first) = frames.first() else {
        return Err(Error::Internal("GIF encoder: no frames".into()));
    };
    let (width, height) = (first.image.width(), first.image.height());
    if width > u32::from(u16::MAX) || height > u32::from(u16::MAX) {
        return Err(Error::OutputTooLarge(format!(
            "GIF output is limited to 65535x65535; this image is {width}x{height}"
        )));
    }
    if frames
        .iter()
        .any(|f| (f.image.width(), f.image.height()) != (width, height))
    {
        return Err(Error::Internal("GIF encoder: frames differ in size".into()));
    }
    let (tolerance, source_palette) = match lossless {
        true => (0, None),
        false => (MERGE_TOLERANCE, source_palette),
    };
    // Converted once: the palette reads every frame, maybe twice, then indexes them.
    let images = rgba_frames(frames);
    let palette = Palette::build(&images, tolerance, source_palette);
    let (indexed, delays) = merge_repeats(
        images
            .iter()
            .zip(frames)
            .map(|(image, f)| (palette.index(image), delay_centiseconds(f.delay_ms))),
    );
    let canvas = Canvas { width, height };
    let internal = |e: gif::EncodingError| Error::Internal(format!("GIF encoder: {e}"));

    let mut out = Vec::new();
    let mut encoder =
        gif::Encoder::new(&mut out, width as u16, height as u16, &palette.rgb).map_err(internal)?;
    if frames.len() > 1 || loop_count != 1 {
        let repeat = match loop_count {
            0 => Repeat::Infinite,
            plays => Repeat::Finite(plays - 1),
        };
        encoder.set_repeat(repeat).map_err(internal)?;
    }
    for (i, patch) in difference(&canvas, &indexed, palette.transparent).enumerate() {
        let frame = gif::Frame {
            delay: delays[i],
            dispose: patch.dispose,
            transparent: palette.transparent,
            left: patch.rect.left as u16,
            top: patch.rect.top as u16,
            width: patch.rect.width as u16,
            height: patch.rect.height as u16,
            buffer: Cow::Owned(patch.pixels),
            ..gif::Frame::default()
        };
        encoder.write_frame(&frame).map_err(internal)?;
    }
    encoder.into_inner().map_err(internal)?; // writes the trailer
    Ok(out)
}

fn delay_centiseconds(ms: u32) -> u16 {
    u16::try_from(ms.saturating_add(5) / 10).unwrap_or(u16::MAX)
}

/// A frame that shows what the one before it shows only lengthens that one's delay
/// (as cgif and gifsicle do): same timeline, one frame less.
fn merge_repeats(frames: impl Iterator<Item = (Vec<u8>, u16)>) -> (Vec<Vec<u8>>, Vec<u16>) {
    let (mut indexed, mut delays): (Vec<Vec<u8>>, Vec<u16>) = (Vec::new(), Vec::new());
    for (frame, delay) in frames {
        if let (Some(last), Some(last_delay)) = (indexed.last(), delays.last_mut()) {
            if *last == frame {
                if let Some(sum) = last_delay.checked_add(delay) {
                    *last_delay = sum;
                    continue;
                }
            }
        }
        indexed.push(frame);
        delays.push(delay);
    }
    (indexed, delays)
}

/// The frames as 8-bit RGBA, borrowed when they already are.
fn rgba_frames(frames: &[Frame]) -> Vec<Cow<'_, RgbaImage>> {
    frames
        .iter()
        .map(|frame| match &frame.image {
            DynamicImage::ImageRgba8(image) => Cow::Borrowed(image),
            other => Cow::Owned(other.to_rgba8()),
        })
        .collect()
}

fn is_opaque(pixel: &[u8]) -> bool {
    pixel[3] >= 128
}

fn rgb_key(pixel: &[u8]) -> u32 {
    u32::from(pixel[0]) << 16 | u32::from(pixel[1]) << 8 | u32::from(pixel[2])
}

/// The animation's colours; index `transparent` (the last) is the transparent one.
struct Palette {
    /// r, g, b per entry, the transparent entry included (black).
    rgb: Vec<u8>,
    transparent: Option<u8>,
    lookup: Lookup,
}

enum Lookup {
    /// Every colour of the frames, each to its entry.
    Table(HashMap<u32, u8>),
    /// NeuQuant's palette, learnt from the frames.
    Quantized(NeuQuant),
    /// The source's palette, kept (nearest entry).
    Nearest(Vec<[u8; 3]>),
}

impl Palette {
    /// `tolerance`: how far (largest channel difference) a colour may move to share an
    /// entry with a more frequent one; 0 keeps every colour as it is. `source`: the
    /// input's palette, used when the colours do not fit and it still suits them.
    fn build(images: &[Cow<RgbaImage>], tolerance: u8, source: Option<&[[u8; 3]]>) -> Palette {
        // An animation always reserves the transparent index: differencing needs it.
        let mut needs_transparent = images.len() > 1;
        let mut counts: HashMap<u32, u64> = HashMap::new();
        let mut opaque_pixels = 0usize;
        // Colour and length of the current run: frames are mostly runs, and a hash map
        // update per run instead of per pixel is most of this loop's speed.
        let mut run = (0u32, 0u64);
        let mut count = |run: (u32, u64)| {
            // Past this many colours merging cannot bring them under 256: stop counting.
            if run.1 > 0 && counts.len() <= MAX_MERGED_COLOURS {
                *counts.entry(run.0).or_default() += run.1;
            }
        };
        for image in images {
            for pixel in image.pixels() {
                if !is_opaque(&pixel.0) {
                    needs_transparent = true;
                    continue;
                }
                opaque_pixels += 1;
                let key = rgb_key(&pixel.0);
                if key == run.0 {
                    run.1 += 1;
                } else {
                    count(run);
                    run = (key, 1);
                }
            }
        }
        count(run);
        let capacity = if needs_transparent { 255 } else { 256 };
        let table = (counts.len() <= MAX_MERGED_COLOURS)
            .then(|| merge_close_colours(counts, tolerance, capacity))
            .flatten();
        let (mut rgb, lookup) = match table {
            Some((entries, lookup)) => {
                let rgb = entries
                    .iter()
                    .flat_map(|&key| [(key >> 16) as u8, (key >> 8) as u8, key as u8])
                    .collect();
                (rgb, Lookup::Table(lookup))
            }
            None => {
                let sample = sample_opaque(images, opaque_pixels);
                match source.filter(|s| s.len() <= capacity && source_palette_fits(s, &sample)) {
                    Some(source) => (
                        source.iter().flatten().copied().collect(),
                        Lookup::Nearest(source.to_vec()),
                    ),
                    None => {
                        let quantizer = learn_palette(&sample, capacity);
                        (quantizer.color_map_rgb(), Lookup::Quantized(quantizer))
                    }
                }
            }
        };
        let transparent = needs_transparent.then(|| {
            let index = (rgb.len() / 3) as u8; // at most 255 colours before it
            rgb.extend_from_slice(&[0, 0, 0]);
            index
        });
        Palette {
            rgb,
            transparent,
            lookup,
        }
    }

    /// The frame as palette indices.
    fn index(&self, image: &RgbaImage) -> Vec<u8> {
        let transparent = self.transparent.unwrap_or(0);
        match &self.lookup {
            Lookup::Table(lookup) => map_cached(image, transparent, |rgb| {
                lookup.get(&rgb_key(&rgb)).copied().unwrap_or(0)
            }),
            Lookup::Quantized(quantizer) => map_cached(image, transparent, |rgb| {
                quantizer.index_of(&[rgb[0], rgb[1], rgb[2], 255]) as u8
            }),
            Lookup::Nearest(entries) => map_cached(image, transparent, |rgb| nearest(entries, rgb)),
        }
    }
}

/// Maps opaque pixels through `search`, remembering recent colours: a search (hash map,
/// NeuQuant, nearest of 256) is tens to hundreds of nanoseconds, and images repeat
/// colours a lot.
fn map_cached(image: &RgbaImage, transparent: u8, search: impl Fn([u8; 3]) -> u8) -> Vec<u8> {
    // Direct-mapped: (colour << 8 | index), u64::MAX when empty (no colour matches it).
    let mut cache = vec![u64::MAX; 1 << 14];
    image
        .pixels()
        .map(|p| {
            if !is_opaque(&p.0) {
                return transparent;
            }
            let key = rgb_key(&p.0);
            let slot = (key.wrapping_mul(0x9E37_79B1) >> 18) as usize;
            if cache[slot] >> 8 == u64::from(key) {
                return cache[slot] as u8;
            }
            let index = search([p[0], p[1], p[2]]);
            cache[slot] = u64::from(key) << 8 | u64::from(index);
            index
        })
        .collect()
}

/// The index of the entry closest to `rgb` (squared distance; the first of equals); 0
/// for no entries.
fn nearest(entries: &[[u8; 3]], rgb: [u8; 3]) -> u8 {
    let distance = |entry: &[u8; 3]| -> u32 {
        (0..3)
            .map(|c| u32::from(entry[c].abs_diff(rgb[c])).pow(2))
            .sum()
    };
    let mut best = (0, u32::MAX);
    for (i, entry) in entries.iter().enumerate() {
        let d = distance(entry);
        if d < best.1 {
            best = (i as u8, d);
        }
    }
    best.0
}

/// Whether the source's palette still fits the frames: mean channel error over the
/// sample at most `REUSE_MAX_MEAN_ERROR`. Colour operations (tint, modulate, …) move the
/// pixels away from it; a resize only blends between its colours.
fn source_palette_fits(entries: &[[u8; 3]], sample: &[u8]) -> bool {
    if sample.is_empty() {
        return false;
    }
    let mut error = 0u64;
    let mut last = (u32::MAX, 0u64);
    for pixel in sample.chunks_exact(4) {
        let key = rgb_key(pixel);
        if key != last.0 {
            let index = nearest(entries, [pixel[0], pixel[1], pixel[2]]);
            let Some(entry) = entries.get(usize::from(index)) else {
                return false; // no entries
            };
            let sum = (0..3).map(|c| u64::from(entry[c].abs_diff(pixel[c]))).sum();
            last = (key, sum);
        }
        error += last.1;
    }
    let pixels = (sample.len() / 4) as f64;
    error as f64 / (pixels * 3.0) <= REUSE_MAX_MEAN_ERROR
}

/// Palette entries for the counted colours, most frequent first, each colour joining the
/// first entry within `tolerance` (or starting one); `None` if more than `capacity` remain.
fn merge_close_colours(
    counts: HashMap<u32, u64>,
    tolerance: u8,
    capacity: usize,
) -> Option<(Vec<u32>, HashMap<u32, u8>)> {
    let mut by_frequency: Vec<(u32, u64)> = counts.into_iter().collect();
    // Ties by colour, so the palette does not depend on hash order.
    by_frequency.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let distance = |a: u32, b: u32| {
        [16, 8, 0]
            .iter()
            .map(|shift| ((a >> shift) as u8).abs_diff((b >> shift) as u8))
            .max()
            .unwrap_or(0)
    };
    let mut entries: Vec<u32> = Vec::new();
    let mut lookup = HashMap::with_capacity(by_frequency.len());
    for (colour, _) in by_frequency {
        let index = match entries
            .iter()
            .position(|&e| distance(e, colour) <= tolerance)
        {
            Some(index) => index,
            None => {
                if entries.len() == capacity {
                    return None;
                }
                entries.push(colour);
                entries.len() - 1
            }
        };
        lookup.insert(colour, index as u8);
    }
    Some((entries, lookup))
}

/// An even sample (RGBA, alpha 255) of the opaque pixels of every frame, at most
/// `MAX_TRAINING_PIXELS`.
fn sample_opaque(images: &[Cow<RgbaImage>], opaque_pixels: usize) -> Vec<u8> {
    let stride = opaque_pixels.div_ceil(MAX_TRAINING_PIXELS).max(1);
    let mut sample = Vec::with_capacity(opaque_pixels.min(MAX_TRAINING_PIXELS) * 4);
    let mut seen = 0usize;
    for image in images {
        for pixel in image.pixels() {
            if is_opaque(&pixel.0) {
                if seen.is_multiple_of(stride) {
                    sample.extend_from_slice(&[pixel[0], pixel[1], pixel[2], 255]);
                }
                seen += 1;
            }
        }
    }
    sample
}

fn learn_palette(sample: &[u8], colours: usize) -> NeuQuant {
    let sampling_factor = (sample.len() / 4).div_ceil(LEARNING_STEPS).clamp(1, 30) as i32;
    NeuQuant::new(sampling_factor, colours, sample)
}

struct Canvas {
    width: u32,
    height: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rect {
    left: u32,
    top: u32,
    width: u32,
    height: u32,
}

impl Rect {
    fn union(self, other: Rect) -> Rect {
        let left = self.left.min(other.left);
        let top = self.top.min(other.top);
        let right = (self.left + self.width).max(other.left + other.width);
        let bottom = (self.top + self.height).max(other.top + other.height);
        Rect {
            left,
            top,
            width: right - left,
            height: bottom - top,
        }
    }
}

impl Canvas {
    fn full(&self) -> Rect {
        Rect {
            left: 0,
            top: 0,
            width: self.width,
            height: self.height,
        }
    }

    /// The smallest rectangle holding every pixel (by raster index) where `hit` holds.
    fn bounding_box(&self, hit: impl Fn(usize) -> bool) -> Option<Rect> {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut found: Option<(usize, usize, usize, usize)> = None; // x0, y0, x1, y1 inclusive
        for y in 0..h {
            let row = y * w;
            let Some(first) = (0..w).find(|&x| hit(row + x)) else {
                continue;
            };
            let last = (first..w).rev().find(|&x| hit(row + x)).unwrap_or(first);
            found = Some(match found {
                None => (first, y, last, y),
                Some((x0, y0, x1, _)) => (x0.min(first), y0, x1.max(last), y),
            });
        }
        found.map(|(x0, y0, x1, y1)| Rect {
            left: x0 as u32,
            top: y0 as u32,
            width: (x1 - x0 + 1) as u32,
            height: (y1 - y0 + 1) as u32,
        })
    }
}

/// One frame as written: the rectangle, its indices, and what happens to it after.
struct Patch {
    rect: Rect,
    pixels: Vec<u8>,
    dispose: DisposalMethod,
}

/// Turns full indexed frames into the patches that show them, in order. `transparent` is
/// `None` only for a still image without transparency, which is written whole.
fn difference<'a>(
    canvas: &'a Canvas,
    frames: &'a [Vec<u8>],
    transparent: Option<u8>,
) -> impl Iterator<Item = Patch> + 'a {
    // What the viewer shows before the frame is drawn; `transparent` where nothing is.
    let mut shown = vec![transparent.unwrap_or(0); frames.first().map_or(0, Vec::len)];
    let width = canvas.width as usize;
    frames.iter().enumerate().map(move |(i, target)| {
        let Some(t) = transparent else {
            return Patch {
                rect: canvas.full(),
                pixels: target.clone(),
                dispose: DisposalMethod::Keep,
            };
        };
        let mut rect = if i == 0 {
            canvas.full()
        } else {
            // A frame that changes nothing still needs a pixel: one transparent one.
            canvas
                .bounding_box(|p| target[p] != shown[p])
                .unwrap_or(Rect {
                    left: 0,
                    top: 0,
                    width: 1,
                    height: 1,
                })
        };
        let clears = frames
            .get(i + 1)
            .and_then(|next| canvas.bounding_box(|p| target[p] != t && next[p] == t));
        let dispose = match clears {
            Some(clear) => {
                rect = rect.union(clear);
                DisposalMethod::Background
            }
            None => DisposalMethod::Keep,
        };
        let mut pixels = Vec::with_capacity((rect.width * rect.height) as usize);
        for y in rect.top..rect.top + rect.height {
            let row = y as usize * width;
            for p in row + rect.left as usize..row + (rect.left + rect.width) as usize {
                // Unchanged shows through the transparent index; that includes staying
                // transparent, since the frame before cleared whatever must become so.
                pixels.push(if target[p] == shown[p] { t } else { target[p] });
            }
        }
        shown.copy_from_slice(target);
        if dispose == DisposalMethod::Background {
            for y in rect.top..rect.top + rect.height {
                let row = y as usize * width;
                shown[row + rect.left as usize..row + (rect.left + rect.width) as usize].fill(t);
            }
        }
        Patch {
            rect,
            pixels,
            dispose,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::tests::fixture;
    use crate::codecs::{decode, DecodeOptions};
    use image::imageops::FilterType;
    use image::Rgba;
    use proptest::prelude::*;

    const CLEAR: Rgba<u8> = Rgba([0, 0, 0, 0]);

    fn still(image: RgbaImage) -> Frame {
        Frame {
            image: DynamicImage::ImageRgba8(image),
            delay_ms: 0,
        }
    }

    /// What a viewer should see for an input frame: alpha cut at half, nothing under
    /// transparent pixels.
    fn expected(frame: &Frame) -> RgbaImage {
        let mut image = frame.image.to_rgba8();
        for pixel in image.pixels_mut() {
            *pixel = if is_opaque(&pixel.0) {
                Rgba([pixel[0], pixel[1], pixel[2], 255])
            } else {
                CLEAR
            };
        }
        image
    }

    /// Every frame as the decoder composites it, nothing under transparent pixels.
    fn shown(gif: &[u8]) -> Vec<RgbaImage> {
        decoded(gif).into_iter().map(|(image, _)| image).collect()
    }

    fn decoded(gif: &[u8]) -> Vec<(RgbaImage, u32)> {
        let decoded = decode(gif, &DecodeOptions::default()).unwrap();
        decoded
            .frames
            .iter()
            .map(|f| {
                let mut image = f.image.to_rgba8();
                for pixel in image.pixels_mut() {
                    if pixel[3] == 0 {
                        *pixel = CLEAR;
                    }
                }
                (image, f.delay_ms)
            })
            .collect()
    }

    /// For each input frame, what the decoded animation shows when that frame starts
    /// (repeated frames are merged, so the counts may differ but the timeline may not).
    fn shown_at_input_times(gif: &[u8], input: &[Frame]) -> Vec<RgbaImage> {
        let decoded = decoded(gif);
        let mut start = 0;
        input
            .iter()
            .map(|frame| {
                let mut end = 0;
                let showing = decoded
                    .iter()
                    .find(|(_, delay)| {
                        end += delay;
                        end > start
                    })
                    .unwrap_or_else(|| decoded.last().unwrap());
                start += frame.delay_ms;
                showing.0.clone()
            })
            .collect()
    }

    /// Largest channel difference over the frame; alpha must agree exactly.
    fn max_error(want: &RgbaImage, got: &RgbaImage, frame: usize) -> u8 {
        assert_eq!(want.dimensions(), got.dimensions(), "frame {frame}");
        want.pixels()
            .zip(got.pixels())
            .map(|(w, g)| {
                assert_eq!(w[3], g[3], "frame {frame}: transparency differs");
                (0..3).map(|c| w[c].abs_diff(g[c])).max().unwrap()
            })
            .max()
            .unwrap_or(0)
    }

    fn mean_error(want: &RgbaImage, got: &RgbaImage) -> f64 {
        let sum: u64 = want
            .pixels()
            .zip(got.pixels())
            .map(|(w, g)| (0..3).map(|c| u64::from(w[c].abs_diff(g[c]))).sum::<u64>())
            .sum();
        sum as f64 / (want.width() * want.height() * 3) as f64
    }

    fn rotating_squares() -> Vec<Frame> {
        decode(&fixture("rotating-squares.gif"), &DecodeOptions::default())
            .unwrap()
            .frames
    }

    #[test]
    fn rotating_squares_round_trip_exactly_and_small() {
        let frames = rotating_squares();
        let gif = encode(&frames, 0, true, None).unwrap();
        let got = shown_at_input_times(&gif, &frames);
        for (i, (frame, got)) in frames.iter().zip(&got).enumerate() {
            assert_eq!(max_error(&expected(frame), got, i), 0, "frame {i}");
        }
        // Its 30 frames show 9 distinct pictures; each is written once.
        let decoded = decoded(&gif);
        assert_eq!(decoded.len(), 9);
        let total = |delays: &mut dyn Iterator<Item = u32>| delays.sum::<u32>();
        assert_eq!(
            total(&mut decoded.iter().map(|f| f.1)),
            total(&mut frames.iter().map(|f| f.delay_ms))
        );
        // The 42 KB source re-encoded: Sharp 0.35.5 (cgif) writes 2162 bytes.
        assert!(gif.len() < 2600, "{} bytes", gif.len());
    }

    /// Thousands of colours: NeuQuant learns one palette, and differencing still writes
    /// only what moves (a square over a fixed gradient with a transparent hole).
    #[test]
    fn a_many_colour_animation_is_quantised_once_and_differenced() {
        let background = |x: u32, y: u32| Rgba([(x * 3) as u8, (y * 3) as u8, (x + y) as u8, 255]);
        let frames: Vec<Frame> = (0..6)
            .map(|i| Frame {
                image: DynamicImage::ImageRgba8(RgbaImage::from_fn(80, 80, |x, y| {
                    let (sx, hx) = (5 + 10 * i, 60);
                    if (sx..sx + 8).contains(&x) && (10..18).contains(&y) {
                        Rgba([250, 250, 20, 255])
                    } else if (hx..hx + 6).contains(&x) && (50..56).contains(&y) {
                        CLEAR
                    } else {
                        background(x, y)
                    }
                })),
                delay_ms: 50,
            })
            .collect();
        let palette = Palette::build(&rgba_frames(&frames), MERGE_TOLERANCE, None);
        assert!(matches!(palette.lookup, Lookup::Quantized(_)));
        let gif = encode(&frames, 0, false, None).unwrap();
        let got = shown_at_input_times(&gif, &frames);
        for (i, (frame, got)) in frames.iter().zip(&got).enumerate() {
            let want = expected(frame);
            max_error(&want, got, i); // transparency exactly where it was
            let mean = mean_error(&want, got);
            assert!(mean < 4.0, "frame {i}: {mean}");
        }
        // Every frame after the first covers only the square's and the hole's paths.
        let first = encode(&frames[..1], 0, false, None).unwrap().len();
        assert!(
            gif.len() < first * 2,
            "{} bytes; the first frame alone {first}",
            gif.len()
        );
    }

    #[test]
    fn close_colours_share_the_entry_of_the_most_frequent() {
        let counts = HashMap::from([
            (0x10_20_30, 5),
            (0x13_20_2d, 9), // within 3 of the first: the more frequent one leads
            (0x17_20_30, 1), // 4 from the leader, 7 from the first
            (0xff_ff_ff, 2),
        ]);
        let (entries, lookup) = merge_close_colours(counts.clone(), 3, 255).unwrap();
        assert_eq!(entries, [0x13_20_2d, 0xff_ff_ff, 0x17_20_30]);
        assert_eq!(lookup[&0x10_20_30], 0);
        assert_eq!(lookup[&0x13_20_2d], 0);
        assert_eq!(lookup[&0x17_20_30], 2);
        // Tolerance 0 keeps every colour; too few entries for them is a `None`.
        let (entries, _) = merge_close_colours(counts.clone(), 0, 255).unwrap();
        assert_eq!(entries.len(), 4);
        assert!(merge_close_colours(counts, 0, 3).is_none());
    }

    #[test]
    fn merging_moves_no_colour_beyond_the_tolerance() {
        let frames = rotating_squares();
        let exact = encode(&frames, 0, true, None).unwrap();
        let merged = encode(&frames, 0, false, None).unwrap();
        assert!(
            merged.len() < exact.len(),
            "{} vs {}",
            merged.len(),
            exact.len()
        );
        let got = shown_at_input_times(&merged, &frames);
        for (i, (frame, got)) in frames.iter().zip(&got).enumerate() {
            assert!(
                max_error(&expected(frame), got, i) <= MERGE_TOLERANCE,
                "frame {i}"
            );
        }
    }

    /// A palette GIF of a photo, as our encoder writes it (one global table).
    fn palette_photo_gif(width: u32) -> Vec<u8> {
        let photo = image::load_from_memory(&fixture("Landscape_6.jpg"))
            .unwrap()
            .resize(width, width, FilterType::Triangle);
        let frame = Frame {
            image: photo,
            delay_ms: 0,
        };
        encode(&[frame], 1, false, None).unwrap()
    }

    fn colours_of(image: &RgbaImage) -> std::collections::HashSet<[u8; 3]> {
        image.pixels().map(|p| [p[0], p[1], p[2]]).collect()
    }

    #[test]
    fn a_resized_palette_gif_keeps_its_palette_unless_colours_moved() {
        use crate::params::Params;
        use crate::pipeline::{render_params, Limits};
        let source = palette_photo_gif(200);
        let palette: std::collections::HashSet<[u8; 3]> =
            decode(&source, &DecodeOptions::default())
                .unwrap()
                .palette
                .unwrap()
                .into_iter()
                .collect();
        assert!(palette.len() > 200, "{} colours", palette.len());
        let render_query = |query: &str| {
            let params = Params::parse(query).unwrap();
            render_params(&source, &params, Limits::default())
                .unwrap()
                .bytes
        };
        // A resize blends between the palette's colours: the palette still fits.
        let resized = render_query("w=120");
        let shown_colours = colours_of(&shown(&resized)[0]);
        assert!(shown_colours.is_subset(&palette));
        // Lossless learns a fresh palette (less error, more bytes).
        let fresh = render_query("w=120&ll=true");
        assert!(!colours_of(&shown(&fresh)[0]).is_subset(&palette));
        assert!(
            resized.len() < fresh.len(),
            "{} vs {}",
            resized.len(),
            fresh.len()
        );
        // A tint moves every colour away from it: a fresh palette.
        let tinted = render_query("w=120&t=ff0000");
        assert!(!colours_of(&shown(&tinted)[0]).is_subset(&palette));
    }

    #[test]
    fn a_source_palette_that_does_not_suit_is_not_used() {
        let frames = [Frame {
            image: image::load_from_memory(&fixture("Landscape_6.jpg"))
                .unwrap()
                .resize(100, 100, FilterType::Triangle),
            delay_ms: 0,
        }];
        let greys: Vec<[u8; 3]> = (0..=255).map(|v| [v, v, v]).collect();
        let palette = Palette::build(&rgba_frames(&frames), MERGE_TOLERANCE, Some(&greys));
        assert!(matches!(palette.lookup, Lookup::Quantized(_)));
        let palette = Palette::build(&rgba_frames(&frames), MERGE_TOLERANCE, Some(&[]));
        assert!(matches!(palette.lookup, Lookup::Quantized(_)));
        // A palette of the photo's own colours (a few hundred learnt ones) suits it.
        let own = Palette::build(&rgba_frames(&frames), 0, None);
        let own: Vec<[u8; 3]> = own.rgb.chunks(3).map(|c| [c[0], c[1], c[2]]).collect();
        let palette = Palette::build(&rgba_frames(&frames), MERGE_TOLERANCE, Some(&own));
        assert!(matches!(palette.lookup, Lookup::Nearest(_)));
        // And one too long to leave room (256 colours, transparency needed) is not used.
        let mut with_hole = frames[0].image.to_rgba8();
        with_hole.put_pixel(0, 0, CLEAR);
        let frames = [still(with_hole)];
        let mut long = own.clone();
        long.resize(256, [1, 2, 3]);
        let palette = Palette::build(&rgba_frames(&frames), MERGE_TOLERANCE, Some(&long));
        assert!(matches!(palette.lookup, Lookup::Quantized(_)));
    }

    #[test]
    fn white_is_not_mistaken_for_an_empty_cache_slot() {
        let image = RgbaImage::from_fn(64, 64, |x, _| {
            if x % 2 == 0 {
                Rgba([255, 255, 255, 255])
            } else {
                Rgba([0, 0, 0, 255])
            }
        });
        let indices = map_cached(&image, 9, |rgb| if rgb[0] == 255 { 1 } else { 2 });
        assert!(indices.chunks(2).all(|pair| pair == [1, 2]));
    }

    /// Through the whole pipeline, against what Sharp 0.35.5 (libvips + cgif) writes for
    /// the same requests on the same file (`tools/sharp`, `animated: true`).
    #[test]
    fn animated_outputs_are_no_larger_than_sharps() {
        use crate::params::Params;
        use crate::pipeline::{render_params, Limits};
        let source = fixture("rotating-squares.gif");
        for (query, sharp_bytes) in [("fm=gif", 2162), ("w=40", 2645)] {
            let params = Params::parse(query).unwrap();
            let out = render_params(&source, &params, Limits::default()).unwrap();
            if let Ok(dir) = std::env::var("GIF_DUMP_DIR") {
                std::fs::write(format!("{dir}/{query}.gif"), &out.bytes).unwrap();
            }
            assert!(
                out.bytes.len() <= sharp_bytes,
                "{query}: {} bytes, Sharp {sharp_bytes}",
                out.bytes.len()
            );
            // And it looks the same as the lossless output (exact colours here).
            let lossless = Params::parse(&format!("{query}&ll=true")).unwrap();
            let lossless = render_params(&source, &lossless, Limits::default()).unwrap();
            let reference = decoded(&lossless.bytes);
            assert!(reference.len() > 1 && lossless.bytes.len() > out.bytes.len());
            let frames: Vec<Frame> = reference
                .into_iter()
                .map(|(image, delay_ms)| Frame {
                    image: DynamicImage::ImageRgba8(image),
                    delay_ms,
                })
                .collect();
            let got = shown_at_input_times(&out.bytes, &frames);
            for (i, (want, got)) in frames.iter().zip(&got).enumerate() {
                let want = expected(want);
                assert!(
                    max_error(&want, got, i) <= MERGE_TOLERANCE,
                    "{query} frame {i}"
                );
            }
        }
    }

    #[test]
    fn pixels_turning_transparent_are_cleared_by_the_frame_before() {
        let red = Rgba([255, 0, 0, 255]);
        let blue = Rgba([0, 0, 255, 255]);
        let frames = [
            still(RgbaImage::from_pixel(8, 6, red)),
            // Left half turns transparent, one pixel blue.
            still(RgbaImage::from_fn(8, 6, |x, y| match (x, y) {
                (6, 5) => blue,
                (x, _) if x < 4 => CLEAR,
                _ => red,
            })),
            // The same again: an empty difference.
            still(RgbaImage::from_fn(8, 6, |x, y| match (x, y) {
                (6, 5) => blue,
                (x, _) if x < 4 => CLEAR,
                _ => red,
            })),
            // Everything transparent but one corner.
            still(RgbaImage::from_fn(8, 6, |x, y| {
                if (x, y) == (0, 0) {
                    blue
                } else {
                    CLEAR
                }
            })),
            // And opaque again.
            still(RgbaImage::from_pixel(8, 6, blue)),
        ];
        // 100 ms each, so the timeline tells the frames apart.
        let frames = frames.map(|f| Frame { delay_ms: 100, ..f });
        let gif = encode(&frames, 0, true, None).unwrap();
        assert_eq!(decoded(&gif).len(), 4, "the repeat is merged");
        let got = shown_at_input_times(&gif, &frames);
        for (i, (frame, got)) in frames.iter().zip(&got).enumerate() {
            assert_eq!(&expected(frame), got, "frame {i}");
        }
    }

    #[test]
    fn patches_cover_only_what_changes() {
        let canvas = Canvas {
            width: 10,
            height: 10,
        };
        let t = 3;
        let background = vec![0u8; 100];
        let mut dot = background.clone();
        dot[4 * 10 + 5] = 1; // (5, 4)
        let mut hole = background.clone();
        hole[7 * 10 + 2] = t; // (2, 7) turns transparent
        let frames = [background.clone(), dot, background, hole];
        let patches: Vec<Patch> = difference(&canvas, &frames, Some(t)).collect();
        let rects: Vec<Rect> = patches.iter().map(|p| p.rect).collect();
        let at = |left, top, width, height| Rect {
            left,
            top,
            width,
            height,
        };
        assert_eq!(
            rects,
            [
                canvas.full(),
                at(5, 4, 1, 1),
                // Must also clear (2, 7) for the next frame.
                at(2, 4, 4, 4),
                // Repaints the cleared rectangle but the hole.
                at(2, 4, 4, 4),
            ]
        );
        let disposals: Vec<_> = patches.iter().map(|p| p.dispose).collect();
        use DisposalMethod::{Background, Keep};
        assert_eq!(disposals, [Keep, Keep, Background, Keep]);
        // The second patch is the dot itself; the third writes the old colour back at
        // (5, 4) and leaves the rest of its rectangle transparent (unchanged).
        assert_eq!(patches[1].pixels, [1]);
        let third = &patches[2].pixels;
        assert_eq!(third.iter().filter(|&&i| i != t).count(), 1);
        assert_eq!(third[3], 0); // (5, 4) is column 3, row 0 of the rectangle
                                 // The fourth repaints the cleared rectangle except the hole at (2, 7).
        assert_eq!(patches[3].pixels.iter().filter(|&&i| i == t).count(), 1);
        assert_eq!(patches[3].pixels[3 * 4], t);
    }

    #[test]
    fn still_without_transparency_uses_all_256_colours_exactly() {
        let image = RgbaImage::from_fn(16, 16, |x, y| {
            Rgba([(x * 16) as u8, (y * 16) as u8, 7, 255])
        });
        let frames = [still(image)];
        let palette = Palette::build(&rgba_frames(&frames), 0, None);
        assert_eq!(palette.transparent, None);
        assert_eq!(palette.rgb.len(), 256 * 3);
        let gif = encode(&frames, 1, true, None).unwrap();
        assert_eq!(shown(&gif), [expected(&frames[0])]);
        let probe = crate::codecs::gif::probe(&gif).unwrap();
        assert!(!probe.has_alpha, "no transparent index written");
    }

    #[test]
    fn a_photo_is_quantised_to_256_colours_without_a_transparent_slot() {
        let photo = image::load_from_memory(&fixture("Landscape_6.jpg"))
            .unwrap()
            .resize(160, 160, FilterType::Triangle);
        let frames = [Frame {
            image: photo,
            delay_ms: 0,
        }];
        let palette = Palette::build(&rgba_frames(&frames), 0, None);
        assert!(matches!(palette.lookup, Lookup::Quantized(_)));
        assert_eq!((palette.transparent, palette.rgb.len()), (None, 256 * 3));
        let got = shown(&encode(&frames, 1, true, None).unwrap());
        let want = expected(&frames[0]);
        max_error(&want, &got[0], 0);
        let ours = mean_error(&want, &got[0]);
        // The gif crate's own per-frame NeuQuant (what `image` used) as the yardstick.
        let mut pixels = want.clone().into_raw();
        let theirs_frame =
            gif::Frame::from_rgba_speed(want.width() as u16, want.height() as u16, &mut pixels, 10);
        let palette_of =
            |i: u8| theirs_frame.palette.as_ref().unwrap()[usize::from(i) * 3..][..3].to_vec();
        let theirs_image = RgbaImage::from_fn(want.width(), want.height(), |x, y| {
            let rgb = palette_of(theirs_frame.buffer[(y * want.width() + x) as usize]);
            Rgba([rgb[0], rgb[1], rgb[2], 255])
        });
        let theirs = mean_error(&want, &theirs_image);
        eprintln!("mean error ours {ours:.2}, gif crate speed 10: {theirs:.2}");
        assert!(ours <= theirs * 1.05, "ours {ours}, theirs {theirs}");
    }

    #[test]
    fn frames_of_different_sizes_are_refused() {
        let frames = [still(RgbaImage::new(4, 4)), still(RgbaImage::new(4, 5))];
        assert!(matches!(
            encode(&frames, 0, true, None),
            Err(Error::Internal(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any animation of few colours comes back exactly as shown, frame by frame.
        #[test]
        fn few_colour_animations_round_trip_exactly(
            width in 1u32..9,
            height in 1u32..9,
            seeds in prop::collection::vec(prop::collection::vec(0u8..5, 64), 1..6),
        ) {
            let colours = [CLEAR, Rgba([255, 0, 0, 255]), Rgba([0, 255, 0, 255]), Rgba([0, 0, 255, 90]), Rgba([9, 9, 9, 200])];
            let frames: Vec<Frame> = seeds
                .iter()
                .map(|seed| Frame {
                    image: DynamicImage::ImageRgba8(RgbaImage::from_fn(width, height, |x, y| {
                        colours[usize::from(seed[(y * 8 + x) as usize])]
                    })),
                    delay_ms: 30,
                })
                .collect();
            let got = shown_at_input_times(&encode(&frames, 0, true, None).unwrap(), &frames);
            for (i, (frame, got)) in frames.iter().zip(&got).enumerate() {
                prop_assert_eq!(&expected(frame), got, "frame {}", i);
            }
        }
    }
}
